//! The state every call shares, and who is calling.

use std::sync::Arc;

use completionist_common::{authn, db::Pool, paging::PageTokens};
use tonic::Request;
use uuid::Uuid;

use crate::{error::Error, imports::worker::Imports, providers::Providers};

/// The state every call shares. Cheap to clone.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) pool: Pool,
    pub(crate) providers: Arc<Providers>,
    pub(crate) page_tokens: PageTokens,
    pub(crate) imports: Arc<Imports>,
}

/// An authenticated caller.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caller {
    pub(crate) user_id: Uuid,
}

impl Caller {
    /// The caller of an authenticated request (see `completionist_common::authn`).
    pub(crate) fn of<T>(request: &Request<T>) -> Result<Self, Error> {
        Ok(authn::caller(request)?)
    }
}

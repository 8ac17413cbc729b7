//! The state every call shares, and who is calling.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use completionist_common::{authn, db::Pool, paging::PageTokens};
use tokio_util::sync::CancellationToken;
use tonic::Request;
use uuid::Uuid;

use crate::{
    auth::AuthClient, config::ScrobblesConfig, deleted_accounts::DeletedAccounts, error::Error,
    providers::Providers, series::Series, transfers::state::Imports, watch::Hub,
};

/// The state every call shares. Cheap to clone.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) pool: Pool,
    pub(crate) providers: Arc<Providers>,
    pub(crate) page_tokens: PageTokens,
    pub(crate) imports: Arc<Imports>,
    pub(crate) watch: Arc<Hub>,
    /// auth-service, for streams that check their token again while open.
    pub(crate) auth: AuthClient,
    pub(crate) deleted_accounts: Arc<DeletedAccounts>,
    /// Series' configuration, and room for first episode fetches.
    pub(crate) series: Arc<Series>,
    pub(crate) scrobbles: Arc<ScrobblesConfig>,
    /// Cancelled when the service begins to shut down: streams end, the
    /// import worker and the enricher let go of their work.
    pub(crate) shutdown: CancellationToken,
}

/// An authenticated caller.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caller {
    pub(crate) user_id: Uuid,
    /// When the caller's access token expires.
    pub(crate) token_expires_at: DateTime<Utc>,
    /// The token's id and its session's, as revocations name them.
    pub(crate) token_id: Uuid,
    pub(crate) session_id: Uuid,
}

impl Caller {
    /// The caller of an authenticated request (see `completionist_common::authn`).
    pub(crate) fn of<T>(request: &Request<T>) -> Result<Self, Error> {
        Ok(authn::caller(request)?)
    }
}

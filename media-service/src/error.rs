//! Everything a media-service call can fail with, and its one mapping to a
//! gRPC status.

use std::time::Duration;

use completionist_common::{
    db::DbError,
    error::{ApiError, to_status},
};
use tonic::{Code, Status};
use tonic_types::FieldViolation;

use crate::providers::ProviderError;

/// The `ErrorInfo` domain of this service.
pub const DOMAIN: &str = "media.completionist";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the request has invalid fields")]
    InvalidArgument(Vec<FieldViolation>),
    #[error("missing `authorization: Bearer <token>` metadata")]
    MissingToken,
    /// auth-service refused the token; `reason` is its own.
    #[error("{message}")]
    Unauthenticated {
        reason: &'static str,
        message: String,
    },
    #[error("the authentication service is unavailable")]
    AuthUnavailable,
    #[error("no such media item")]
    MediaNotFound,
    #[error("no such list entry")]
    ListEntryNotFound,
    #[error("this item is already on your list")]
    ListEntryExists,
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// One invalid field.
    pub fn invalid(field: &str, why: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![FieldViolation::new(field, why)])
    }
}

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

impl From<Vec<FieldViolation>> for Error {
    fn from(violations: Vec<FieldViolation>) -> Self {
        Self::InvalidArgument(violations)
    }
}

impl ApiError for Error {
    fn code(&self) -> Code {
        match self {
            Self::InvalidArgument(_) => Code::InvalidArgument,
            Self::MissingToken | Self::Unauthenticated { .. } => Code::Unauthenticated,
            Self::AuthUnavailable => Code::Unavailable,
            Self::MediaNotFound | Self::ListEntryNotFound => Code::NotFound,
            Self::ListEntryExists => Code::AlreadyExists,
            Self::Provider(error) => error.code(),
            Self::Db(error) => error.code(),
            Self::Internal(_) => Code::Internal,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Self::InvalidArgument(_) => "INVALID_ARGUMENT",
            Self::MissingToken => "MISSING_TOKEN",
            Self::Unauthenticated { reason, .. } => reason,
            Self::AuthUnavailable => "AUTH_UNAVAILABLE",
            Self::MediaNotFound => "MEDIA_NOT_FOUND",
            Self::ListEntryNotFound => "LIST_ENTRY_NOT_FOUND",
            Self::ListEntryExists => "LIST_ENTRY_EXISTS",
            Self::Provider(error) => error.reason(),
            Self::Db(error) => error.reason(),
            Self::Internal(_) => "INTERNAL",
        }
    }

    fn violations(&self) -> &[FieldViolation] {
        match self {
            Self::InvalidArgument(violations) => violations,
            _ => &[],
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::AuthUnavailable => Some(Duration::from_secs(1)),
            Self::Provider(error) => error.retry_after(),
            Self::Db(error) => error.retry_after(),
            _ => None,
        }
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        to_status(DOMAIN, &error)
    }
}

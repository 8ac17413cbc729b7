//! Everything an auth-service call can fail with, and its one mapping to a
//! gRPC status.

use std::time::Duration;

use completionist_common::{
    db::DbError,
    error::{ApiError, to_status},
};
use tonic::{Code, Status};
use tonic_types::FieldViolation;

/// The `ErrorInfo` domain of this service.
pub const DOMAIN: &str = "auth.completionist";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the request has invalid fields")]
    InvalidArgument(Vec<FieldViolation>),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("too many failed attempts; try again later")]
    TooManyAttempts { retry_after: Duration },
    #[error("this account is disabled")]
    AccountDisabled,
    #[error("missing `authorization: Bearer <token>` metadata")]
    MissingToken,
    #[error("the access token is invalid")]
    InvalidToken,
    #[error("the access token has expired")]
    TokenExpired,
    #[error("the token has been revoked")]
    TokenRevoked,
    #[error("the refresh token is invalid")]
    RefreshTokenInvalid,
    #[error("the refresh token has expired")]
    RefreshTokenExpired,
    #[error("the refresh token was already used; the session has been revoked")]
    RefreshTokenReused,
    #[error("this call needs the admin role")]
    AdminRequired,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("no such user")]
    UserNotFound,
    #[error("admins cannot disable, demote or delete their own account")]
    CannotModifySelf,
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
            Self::EmailTaken => Code::AlreadyExists,
            Self::InvalidCredentials
            | Self::MissingToken
            | Self::InvalidToken
            | Self::TokenExpired
            | Self::TokenRevoked
            | Self::RefreshTokenInvalid
            | Self::RefreshTokenExpired
            | Self::RefreshTokenReused => Code::Unauthenticated,
            Self::TooManyAttempts { .. } => Code::ResourceExhausted,
            Self::AccountDisabled | Self::AdminRequired | Self::WrongPassword => {
                Code::PermissionDenied
            }
            Self::UserNotFound => Code::NotFound,
            Self::CannotModifySelf => Code::FailedPrecondition,
            Self::Db(db) => db.code(),
            Self::Internal(_) => Code::Internal,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Self::InvalidArgument(_) => "INVALID_ARGUMENT",
            Self::EmailTaken => "EMAIL_TAKEN",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::TooManyAttempts { .. } => "TOO_MANY_ATTEMPTS",
            Self::AccountDisabled => "ACCOUNT_DISABLED",
            Self::MissingToken => "MISSING_TOKEN",
            Self::InvalidToken => "TOKEN_INVALID",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::TokenRevoked => "TOKEN_REVOKED",
            Self::RefreshTokenInvalid => "REFRESH_TOKEN_INVALID",
            Self::RefreshTokenExpired => "REFRESH_TOKEN_EXPIRED",
            Self::RefreshTokenReused => "REFRESH_TOKEN_REUSED",
            Self::AdminRequired => "ADMIN_REQUIRED",
            Self::WrongPassword => "WRONG_PASSWORD",
            Self::UserNotFound => "USER_NOT_FOUND",
            Self::CannotModifySelf => "CANNOT_MODIFY_SELF",
            Self::Db(db) => db.reason(),
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
            Self::TooManyAttempts { retry_after } => Some(*retry_after),
            Self::Db(db) => db.retry_after(),
            _ => None,
        }
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        to_status(DOMAIN, &error)
    }
}

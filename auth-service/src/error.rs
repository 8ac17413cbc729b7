//! Everything an auth-service call can fail with, and its one mapping to a
//! gRPC status.

use std::time::Duration;

use completionist_common::error::{ApiError, CommonError};
use tonic::Code;
use tonic_types::FieldViolation;

/// The `ErrorInfo` domain of this service.
pub(crate) const DOMAIN: &str = "auth.completionist";

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Common(CommonError),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("too many failed attempts; try again later")]
    TooManyAttempts { retry_after: Duration },
    #[error("this account is disabled")]
    AccountDisabled,
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
    #[error("this replica may miss revocations while it reconnects to its database; try again")]
    RevocationsUnavailable,
    #[error("revocations came faster than they were read; reconnect and recheck")]
    SlowConsumer,
    #[error("the service is shutting down; reconnect")]
    ShuttingDown,
}

completionist_common::service_error!(Error, DOMAIN);

impl ApiError for Error {
    fn code(&self) -> Code {
        match self {
            Self::Common(common) => common.code(),
            Self::EmailTaken => Code::AlreadyExists,
            Self::InvalidCredentials
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
            Self::RevocationsUnavailable | Self::ShuttingDown => Code::Unavailable,
            Self::SlowConsumer => Code::ResourceExhausted,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Self::Common(common) => common.reason(),
            Self::EmailTaken => "EMAIL_TAKEN",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::TooManyAttempts { .. } => "TOO_MANY_ATTEMPTS",
            Self::AccountDisabled => "ACCOUNT_DISABLED",
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
            Self::RevocationsUnavailable => "REVOCATIONS_UNAVAILABLE",
            Self::SlowConsumer => "SLOW_CONSUMER",
            Self::ShuttingDown => "SHUTTING_DOWN",
        }
    }

    fn violations(&self) -> &[FieldViolation] {
        match self {
            Self::Common(common) => common.violations(),
            _ => &[],
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::TooManyAttempts { retry_after } => Some(*retry_after),
            Self::RevocationsUnavailable | Self::ShuttingDown => Some(Duration::from_secs(1)),
            Self::Common(common) => common.retry_after(),
            _ => None,
        }
    }
}

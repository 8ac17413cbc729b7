//! The one mapping from a service's errors to `google.rpc.Status`: an
//! `ErrorInfo` with a stable reason, a `BadRequest` with every invalid field,
//! a `RetryInfo` where waiting helps, and a `RequestInfo` with the request id.
//! Internal faults are logged with their cause chain and answered with
//! nothing but `INTERNAL` and the request id.

use std::{error::Error as StdError, fmt::Display, time::Duration};

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

pub use self::violations::{AllSome, Violations};
use crate::{db::DbError, paging::PageTokenError, request_id};

mod violations;

/// What a service error must say about itself to become a `Status`.
pub trait ApiError: StdError {
    /// The gRPC code.
    fn code(&self) -> Code;
    /// A stable UPPER_SNAKE reason for `ErrorInfo`.
    fn reason(&self) -> &'static str;
    /// Invalid request fields, for `BadRequest`.
    fn violations(&self) -> &[FieldViolation] {
        &[]
    }
    /// How long to wait before retrying, for `RetryInfo`.
    fn retry_after(&self) -> Option<Duration> {
        None
    }
}

/// Turns a service error into a `Status` of the given error domain.
pub fn to_status<E: ApiError + ?Sized>(domain: &str, error: &E) -> Status {
    let code = error.code();
    let request_id = request_id::current().unwrap_or_default();
    let mut details = ErrorDetails::new();
    details.set_request_info(request_id, "");
    if matches!(code, Code::Internal | Code::Unknown | Code::DataLoss) {
        tracing::error!(error = %Chain(error), "internal error");
        details.set_error_info("INTERNAL", domain, []);
        return Status::with_error_details(Code::Internal, "internal error", details);
    }
    details.set_error_info(error.reason(), domain, []);
    if !error.violations().is_empty() {
        details.set_bad_request(error.violations().to_vec());
    }
    if let Some(delay) = error.retry_after() {
        details.set_retry_info(Some(delay));
    }
    Status::with_error_details(code, error.to_string(), details)
}

/// The failures every service shares: invalid fields, a missing
/// credential, the database, and internal faults. Each service's error enum
/// holds it as one variant and adds its own (see [`service_error!`]).
#[derive(Debug, thiserror::Error)]
pub enum CommonError {
    #[error("the request has invalid fields")]
    InvalidArgument(Vec<FieldViolation>),
    #[error("missing `authorization: Bearer <token>` metadata")]
    MissingToken,
    #[error("more than one `authorization` header; send exactly one credential")]
    MultipleCredentials,
    #[error("the service is at capacity; try again shortly")]
    Overloaded,
    #[error("the request message is larger than {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    Malformed(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl CommonError {
    /// One invalid field.
    pub fn invalid(field: &str, why: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![FieldViolation::new(field, why)])
    }
}

impl From<diesel::result::Error> for CommonError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

impl From<Vec<FieldViolation>> for CommonError {
    fn from(violations: Vec<FieldViolation>) -> Self {
        Self::InvalidArgument(violations)
    }
}

impl From<PageTokenError> for CommonError {
    fn from(error: PageTokenError) -> Self {
        Self::invalid("page_token", error.to_string())
    }
}

impl ApiError for CommonError {
    fn code(&self) -> Code {
        match self {
            Self::InvalidArgument(_) => Code::InvalidArgument,
            Self::MissingToken | Self::MultipleCredentials => Code::Unauthenticated,
            Self::TooLarge(_) | Self::Overloaded => Code::ResourceExhausted,
            Self::Malformed(_) => Code::InvalidArgument,
            Self::Db(db) => db.code(),
            Self::Internal(_) => Code::Internal,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Self::InvalidArgument(_) => "INVALID_ARGUMENT",
            Self::MissingToken => "MISSING_TOKEN",
            Self::MultipleCredentials => "MULTIPLE_CREDENTIALS",
            Self::TooLarge(_) => "REQUEST_TOO_LARGE",
            Self::Overloaded => "OVERLOADED",
            Self::Malformed(_) => "MALFORMED_REQUEST",
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
            Self::Db(db) => db.retry_after(),
            Self::Overloaded => Some(Duration::from_millis(500)),
            _ => None,
        }
    }
}

/// The conversions of a service error enum whose `Common` variant holds a
/// [`CommonError`]: from each shared failure, `invalid(field, why)`, and
/// into a `Status` of the service's `ErrorInfo` domain.
#[macro_export]
macro_rules! service_error {
    ($error:ident, $domain:expr) => {
        impl $error {
            /// One invalid field.
            pub(crate) fn invalid(field: &str, why: impl Into<String>) -> Self {
                Self::Common($crate::error::CommonError::invalid(field, why))
            }
        }

        impl From<$crate::error::CommonError> for $error {
            fn from(error: $crate::error::CommonError) -> Self {
                Self::Common(error)
            }
        }

        impl From<$crate::db::DbError> for $error {
            fn from(error: $crate::db::DbError) -> Self {
                Self::Common(error.into())
            }
        }

        impl From<::diesel::result::Error> for $error {
            fn from(error: ::diesel::result::Error) -> Self {
                Self::Common(error.into())
            }
        }

        impl From<::anyhow::Error> for $error {
            fn from(error: ::anyhow::Error) -> Self {
                Self::Common(error.into())
            }
        }

        impl From<Vec<::tonic_types::FieldViolation>> for $error {
            fn from(violations: Vec<::tonic_types::FieldViolation>) -> Self {
                Self::Common(violations.into())
            }
        }

        impl From<$crate::paging::PageTokenError> for $error {
            fn from(error: $crate::paging::PageTokenError) -> Self {
                Self::Common(error.into())
            }
        }

        impl From<$error> for ::tonic::Status {
            fn from(error: $error) -> Self {
                $crate::error::to_status($domain, &error)
            }
        }
    };
}

/// Displays an error with its sources: `outer: inner: root`.
pub struct Chain<'a, E: ?Sized>(pub &'a E);

impl<E: StdError + ?Sized> Display for Chain<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Error {
        #[error("bad request")]
        Invalid(Vec<FieldViolation>),
        #[error("database password=hunter2 exploded")]
        Internal,
    }

    impl ApiError for Error {
        fn code(&self) -> Code {
            match self {
                Self::Invalid(_) => Code::InvalidArgument,
                Self::Internal => Code::Internal,
            }
        }
        fn reason(&self) -> &'static str {
            match self {
                Self::Invalid(_) => "INVALID_ARGUMENT",
                Self::Internal => "INTERNAL",
            }
        }
        fn violations(&self) -> &[FieldViolation] {
            match self {
                Self::Invalid(v) => v,
                Self::Internal => &[],
            }
        }
    }

    #[test]
    fn lists_every_violation_with_reason_and_domain() {
        let mut v = Violations::default();
        let a = v.check("a", Err::<(), _>("too short"));
        let b = v.check("b", Err::<(), _>("too long"));
        let status = to_status("test", &Error::Invalid(v.finish((a, b)).unwrap_err()));
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        assert_eq!(details.error_info().unwrap().reason, "INVALID_ARGUMENT");
        assert_eq!(details.error_info().unwrap().domain, "test");
        assert_eq!(details.bad_request().unwrap().field_violations.len(), 2);
    }

    #[test]
    fn internal_errors_say_nothing_of_their_cause() {
        let status = to_status("test", &Error::Internal);
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
        assert!(!format!("{status:?}").contains("hunter2"));
    }
}

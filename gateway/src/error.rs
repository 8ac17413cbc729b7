//! The gateway's own refusals and failures, as gRPC statuses with their
//! `ErrorInfo` reasons.

use completionist_common::error::{ApiError, to_status};
use http::Response;
use tonic::{Code, body::Body};

/// The `ErrorInfo` domain of the gateway's own errors.
pub(crate) const DOMAIN: &str = "gateway.completionist";

/// Why the gateway itself refused or failed a call.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("the gateway is at its limit of calls in flight; try again shortly")]
    Overloaded,
    #[error("the gateway is at its limit of open streams; try again shortly")]
    TooManyStreams,
    #[error("the stream sent nothing for {0:?} and was ended; reconnect")]
    StreamIdle(std::time::Duration),
    #[error("the gateway is shutting down; reconnect")]
    ShuttingDown,
    #[error("the request is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the request body could not be read")]
    UnreadableBody,
    #[error("{0} is unavailable; try again shortly")]
    BackendUnavailable(&'static str),
    #[error("request metadata too large: {0}")]
    MetadataTooLarge(String),
    #[error("{0}")]
    UploadsBusy(&'static str),
    #[error("the upload sent nothing for {0:?} and was ended; send it again")]
    UploadStalled(std::time::Duration),
    #[error("the upload ended after {got} of the {declared} bytes its frame declared")]
    UploadEndedShort { declared: usize, got: usize },
}

impl ApiError for Error {
    fn code(&self) -> Code {
        match self {
            Self::Overloaded
            | Self::TooManyStreams
            | Self::TooLarge(_)
            | Self::UploadsBusy(_)
            | Self::UploadStalled(_) => Code::ResourceExhausted,
            Self::UploadEndedShort { .. } => Code::InvalidArgument,
            Self::UnreadableBody | Self::MetadataTooLarge(_) => Code::InvalidArgument,
            Self::BackendUnavailable(_) | Self::StreamIdle(_) | Self::ShuttingDown => {
                Code::Unavailable
            }
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Self::Overloaded => "GATEWAY_OVERLOADED",
            Self::TooManyStreams => "TOO_MANY_STREAMS",
            Self::StreamIdle(_) => "STREAM_IDLE",
            Self::ShuttingDown => "SHUTTING_DOWN",
            Self::TooLarge(_) => "REQUEST_TOO_LARGE",
            Self::UnreadableBody => "UNREADABLE_BODY",
            Self::BackendUnavailable(_) => "BACKEND_UNAVAILABLE",
            Self::MetadataTooLarge(_) => "METADATA_TOO_LARGE",
            Self::UploadsBusy(_) => "UPLOADS_BUSY",
            Self::UploadStalled(_) => "UPLOAD_STALLED",
            Self::UploadEndedShort { .. } => "UPLOAD_ENDED_SHORT",
        }
    }

    fn retry_after(&self) -> Option<std::time::Duration> {
        matches!(
            self,
            Self::Overloaded
                | Self::TooManyStreams
                | Self::BackendUnavailable(_)
                | Self::ShuttingDown
                | Self::UploadsBusy(_)
        )
        .then_some(std::time::Duration::from_secs(1))
    }
}

impl Error {
    pub(crate) fn into_response(self) -> Response<Body> {
        to_status(DOMAIN, &self).into_http()
    }
}

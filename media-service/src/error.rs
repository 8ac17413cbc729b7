//! Everything a media-service call can fail with, and its one mapping to a
//! gRPC status.

use std::time::Duration;

use completionist_common::error::{ApiError, CommonError};
use tonic::Code;
use tonic_types::FieldViolation;

use crate::providers::ProviderError;

/// The `ErrorInfo` domain of this service.
pub(crate) const DOMAIN: &str = "media.completionist";

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Common(CommonError),
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
    #[error("no such run")]
    RunNotFound,
    #[error("{0}")]
    NoEpisodes(&'static str),
    /// A series' first fetch of episodes is under way, or failed and waits
    /// to be tried again (when: the duration).
    #[error("the series' episodes have not been fetched from its provider yet; try again in {}s", .0.as_secs())]
    EpisodesNotFetched(Duration),
    #[error("no such calendar feed")]
    CalendarFeedNotFound,
    #[error("you have {0} calendar feeds, the most one may have; delete one first")]
    TooManyCalendarFeeds(i64),
    #[error("no such scrobble token")]
    ScrobbleTokenNotFound,
    #[error("you have {0} scrobble tokens, the most one may have; delete one first")]
    TooManyScrobbleTokens(i64),
    /// The webhook's token is unknown or revoked.
    #[error("unknown or revoked scrobble token")]
    ScrobbleTokenUnknown,
    #[error("your media servers posted more than {0} deliveries this minute; try again later")]
    ScrobbleRateExceeded(i32, Duration),
    #[error("no such scrobble event")]
    ScrobbleEventNotFound,
    #[error("{0}")]
    NotPinnable(&'static str),
    #[error("no such import")]
    ImportNotFound,
    #[error("the import has already finished")]
    ImportFinished,
    #[error("the file is over the {0}-byte limit for imports")]
    ImportTooLarge(u64),
    #[error("the file has more than {0} rows, the most one import takes")]
    ImportTooManyRows(usize),
    #[error("{0}")]
    UnreadableImport(String),
    #[error("reading the file took longer than the {0:?} this call allows; split it")]
    ImportTooSlow(Duration),
    #[error("the upload sent nothing for {0:?} and was ended; send it again")]
    UploadStalled(Duration),
    /// The replica is reading as many files as it reads at once, or the
    /// caller already has one being read.
    #[error("{0}")]
    ImportsBusy(&'static str),
    #[error(
        "the resume token is older than the history kept; list the entries again and watch anew"
    )]
    ResumeTokenExpired,
    #[error("{0}")]
    TooManyStreams(&'static str),
    #[error(
        "the stream was cut off: the client read too slowly to keep up; open it again, resuming from the last message read where the call allows"
    )]
    SlowConsumer,
    #[error("the service is shutting down; reconnect and resume with the last token")]
    ShuttingDown,
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

completionist_common::service_error!(Error, DOMAIN);

impl ApiError for Error {
    fn code(&self) -> Code {
        match self {
            Self::Common(common) => common.code(),
            Self::Unauthenticated { .. } => Code::Unauthenticated,
            Self::AuthUnavailable | Self::EpisodesNotFetched(_) => Code::Unavailable,
            Self::MediaNotFound
            | Self::ListEntryNotFound
            | Self::RunNotFound
            | Self::CalendarFeedNotFound
            | Self::ScrobbleTokenNotFound
            | Self::ScrobbleEventNotFound
            | Self::ImportNotFound => Code::NotFound,
            Self::ScrobbleTokenUnknown => Code::Unauthenticated,
            Self::NotPinnable(_) => Code::FailedPrecondition,
            Self::TooManyScrobbleTokens(_) | Self::ScrobbleRateExceeded(..) => {
                Code::ResourceExhausted
            }
            Self::ImportFinished | Self::ResumeTokenExpired | Self::NoEpisodes(_) => {
                Code::FailedPrecondition
            }
            Self::TooManyCalendarFeeds(_) => Code::ResourceExhausted,
            Self::ImportTooLarge(_)
            | Self::ImportTooManyRows(_)
            | Self::ImportTooSlow(_)
            | Self::UploadStalled(_)
            | Self::ImportsBusy(_)
            | Self::TooManyStreams(_)
            | Self::SlowConsumer => Code::ResourceExhausted,
            Self::ShuttingDown => Code::Unavailable,
            Self::UnreadableImport(_) => Code::InvalidArgument,
            Self::ListEntryExists => Code::AlreadyExists,
            Self::Provider(error) => error.code(),
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Self::Common(common) => common.reason(),
            Self::Unauthenticated { reason, .. } => reason,
            Self::AuthUnavailable => "AUTH_UNAVAILABLE",
            Self::MediaNotFound => "MEDIA_NOT_FOUND",
            Self::ListEntryNotFound => "LIST_ENTRY_NOT_FOUND",
            Self::ListEntryExists => "LIST_ENTRY_EXISTS",
            Self::RunNotFound => "RUN_NOT_FOUND",
            Self::NoEpisodes(_) => "NO_EPISODES",
            Self::EpisodesNotFetched(_) => "EPISODES_NOT_FETCHED",
            Self::CalendarFeedNotFound => "CALENDAR_FEED_NOT_FOUND",
            Self::TooManyCalendarFeeds(_) => "TOO_MANY_CALENDAR_FEEDS",
            Self::ScrobbleTokenNotFound => "SCROBBLE_TOKEN_NOT_FOUND",
            Self::TooManyScrobbleTokens(_) => "TOO_MANY_SCROBBLE_TOKENS",
            Self::ScrobbleTokenUnknown => "SCROBBLE_TOKEN_UNKNOWN",
            Self::ScrobbleRateExceeded(..) => "SCROBBLE_RATE_EXCEEDED",
            Self::ScrobbleEventNotFound => "SCROBBLE_EVENT_NOT_FOUND",
            Self::NotPinnable(_) => "NOT_PINNABLE",
            Self::ImportNotFound => "IMPORT_NOT_FOUND",
            Self::ImportFinished => "IMPORT_FINISHED",
            Self::ImportTooLarge(_) | Self::ImportTooManyRows(_) => "IMPORT_TOO_LARGE",
            Self::UnreadableImport(_) => "UNREADABLE_IMPORT",
            Self::ImportTooSlow(_) => "IMPORT_TOO_SLOW",
            Self::UploadStalled(_) => "UPLOAD_STALLED",
            Self::ImportsBusy(_) => "IMPORTS_BUSY",
            Self::ResumeTokenExpired => "RESUME_TOKEN_EXPIRED",
            Self::TooManyStreams(_) => "TOO_MANY_STREAMS",
            Self::SlowConsumer => "SLOW_CONSUMER",
            Self::ShuttingDown => "SHUTTING_DOWN",
            Self::Provider(error) => error.reason(),
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
            Self::AuthUnavailable
            | Self::ImportsBusy(_)
            | Self::TooManyStreams(_)
            | Self::ShuttingDown => Some(Duration::from_secs(1)),
            Self::ScrobbleRateExceeded(_, wait) | Self::EpisodesNotFetched(wait) => Some(*wait),
            Self::Provider(error) => error.retry_after(),
            Self::Common(common) => common.retry_after(),
            _ => None,
        }
    }
}

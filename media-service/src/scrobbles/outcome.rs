//! What became of an event, as stored and as answered.

use completionist_proto::media as pb;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Watched,
    Duplicate,
    Ignored,
    Unmatched,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Watched => "watched",
            Self::Duplicate => "duplicate",
            Self::Ignored => "ignored",
            Self::Unmatched => "unmatched",
        }
    }

    pub(crate) fn parse(text: &str) -> Self {
        match text {
            "watched" => Self::Watched,
            "duplicate" => Self::Duplicate,
            "ignored" => Self::Ignored,
            _ => Self::Unmatched,
        }
    }

    pub(crate) fn to_proto(self) -> pb::ScrobbleOutcome {
        match self {
            Self::Watched => pb::ScrobbleOutcome::Watched,
            Self::Duplicate => pb::ScrobbleOutcome::Duplicate,
            Self::Ignored => pb::ScrobbleOutcome::Ignored,
            Self::Unmatched => pb::ScrobbleOutcome::Unmatched,
        }
    }
}

/// What became of an event, and why.
pub(crate) struct Recorded {
    pub(crate) outcome: Outcome,
    pub(crate) reason: String,
}

impl Recorded {
    pub(super) fn new(outcome: Outcome, reason: impl Into<String>) -> Self {
        Self {
            outcome,
            reason: reason.into(),
        }
    }

    pub(super) fn delivered_before() -> Self {
        Self::new(Outcome::Duplicate, "this delivery was recorded already")
    }
}

//! WatchListEntries: each user's list as it changes, on every device.
//!
//! Triggers number every change to a list per user and keep it in
//! `list_changes` (see `db::changes`), announcing each committing
//! transaction on a Postgres channel. Every replica listens there
//! ([`Hub`]) and wakes the streams of the users named; each stream then
//! reads what follows its own position from the database. The log is
//! both the replay for reconnecting clients and the live feed, so the two
//! cannot disagree, and a stream that falls behind holds no memory: its
//! backlog stays in Postgres.
//!
//! Every server stream of the service (this one, WatchImport, ExportList)
//! runs the same guarded way (`guarded`): bounded per user and replica,
//! cut off when its client stops reading, ended when its token expires or
//! is revoked (auth-service feeds revocations as they happen:
//! `revocations`).

mod guarded;
mod history;
mod hub;
mod outbox;
mod revocations;
mod stream;
mod token;

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub(crate) use self::{
    guarded::{Live, Topic, Waited, open as open_stream},
    history::prune_history,
    hub::{Hub, StreamKind},
    outbox::Outbox,
    revocations::follow_revocations,
    stream::watch_list_entries,
    token::encode as resume_token,
};
use crate::domain::Entry;

completionist_common::text_enum! {
    /// What happened to an entry.
    pub(crate) enum ChangeKind {
        Added = "added",
        Updated = "updated",
        Removed = "removed",
    }
}

/// One change to a user's list.
#[derive(Clone, Debug)]
pub(crate) struct Change {
    /// Its number in the user's history: 1, 2, 3, … without gaps.
    pub(crate) seq: i64,
    pub(crate) kind: ChangeKind,
    pub(crate) entry_id: Uuid,
    /// The entry as the change left it; `None` when removed.
    pub(crate) entry: Option<Entry>,
    pub(crate) runs_changed: bool,
    pub(crate) at: DateTime<Utc>,
}

//! Whole lists in and out: StartImport, GetImport, ListImports,
//! CancelImport and WatchImport (`jobs`), the worker that applies the rows
//! (`worker`, `apply`) after finding the items of rows without an id
//! (`lookup`), the enricher that fills in items made from a file's own data
//! (`enrich`), ExportList (`export`), and what a replica's imports share
//! (`state`).

mod apply;
pub(crate) mod enrich;
pub(crate) mod export;
pub(crate) mod formats;
mod jobs;
mod lookup;
pub(crate) mod read_places;
pub(crate) mod state;
pub(crate) mod worker;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use self::formats::Format;
pub(crate) use self::jobs::{
    ImportListing, NewImport, cancel_import, get_import, list_imports, start_import, watch_import,
};

completionist_common::text_enum! {
    /// What an import does with an item already on the list.
    pub(crate) enum Policy {
        Skip = "skip",
        Overwrite = "overwrite",
        Merge = "merge",
    }
}

/// What applying one row did: its number, its outcome, why, and the
/// entry it made or met.
#[derive(Debug)]
pub(crate) struct RowResult {
    pub(crate) row: i32,
    pub(crate) outcome: Outcome,
    pub(crate) message: String,
    pub(crate) entry: Option<Uuid>,
}

completionist_common::text_enum! {
    pub(crate) enum JobState {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Cancelled = "cancelled",
        /// Its batches failed too many times in a row.
        Failed = "failed",
    }
}

completionist_common::text_enum! {
    /// What became of one row.
    pub(crate) enum Outcome {
        Created = "created",
        Updated = "updated",
        Unchanged = "unchanged",
        Skipped = "skipped",
        Failed = "failed",
    }
}

impl JobState {
    pub(crate) fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Cancelled | Self::Failed)
    }
}

/// Rows per outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) created: i32,
    pub(crate) updated: i32,
    pub(crate) unchanged: i32,
    pub(crate) skipped: i32,
    pub(crate) failed: i32,
}

/// An import of one file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Job {
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) file_name: String,
    pub(crate) format: Format,
    pub(crate) policy: Policy,
    pub(crate) state: JobState,
    pub(crate) total_rows: i32,
    pub(crate) counts: Counts,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) finished_at: Option<DateTime<Utc>>,
    /// Why the last batch failed; empty when it did not.
    pub(crate) failure: String,
}

/// One row's outcome, as reported.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RowReport {
    pub(crate) row: i32,
    pub(crate) line: i32,
    pub(crate) file: String,
    pub(crate) title: String,
    pub(crate) outcome: Outcome,
    pub(crate) message: String,
    pub(crate) entry_id: Option<Uuid>,
}

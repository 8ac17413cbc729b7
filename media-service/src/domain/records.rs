//! The records the use cases work with: a catalog item, a list entry with
//! its item, and an entry's runs.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{ListStatus, MediaKind, Notes, Progress, Rating, Source};

/// A catalog item: a provider's (shared by every user) or a custom one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Item {
    pub(crate) id: Uuid,
    pub(crate) kind: MediaKind,
    pub(crate) source: Source,
    /// The provider's id; `None` for custom items.
    pub(crate) external_id: Option<String>,
    pub(crate) title: String,
    pub(crate) year: Option<i32>,
    pub(crate) image_url: String,
    pub(crate) summary: String,
    /// Episodes, chapters, pages; `None` where unknown.
    pub(crate) total_units: Option<i32>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// A provider item in the catalog, and whether this import created it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Imported {
    pub(crate) item: Item,
    pub(crate) created: bool,
}

/// The user-editable fields of an entry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EntryFields {
    pub(crate) status: ListStatus,
    pub(crate) rating: Option<Rating>,
    pub(crate) progress: Progress,
    pub(crate) notes: Notes,
    pub(crate) start_date: Option<NaiveDate>,
    pub(crate) finish_date: Option<NaiveDate>,
}

/// One item on one user's list.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub(crate) id: Uuid,
    pub(crate) fields: EntryFields,
    pub(crate) item: Item,
    /// How many runs the entry has.
    pub(crate) completion_count: i32,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// The dates of one time an entry was finished; either may be unknown,
/// and the start is never after the finish.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RunDates {
    pub(crate) start_date: Option<NaiveDate>,
    pub(crate) finish_date: Option<NaiveDate>,
}

/// One time an entry was finished.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Run {
    pub(crate) id: Uuid,
    pub(crate) entry_id: Uuid,
    pub(crate) dates: RunDates,
    pub(crate) created_at: DateTime<Utc>,
}

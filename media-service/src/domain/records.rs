//! The records the use cases work with: a catalog item, and a list entry
//! with its item.

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
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

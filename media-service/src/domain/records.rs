//! The records the use cases work with: a catalog item, a list entry with
//! its item, and an entry's runs.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{ListStatus, MediaKind, Notes, Progress, ProviderCheck, Rating, Source};

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
    /// Whether the text above is the provider's.
    pub(crate) provider_check: ProviderCheck,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// What an import file said of a provider item the provider has not
/// confirmed: kept on the uploader's entry and shown to them alone.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub(crate) struct FileItem {
    pub(crate) title: String,
    pub(crate) year: Option<i32>,
    pub(crate) image_url: String,
    pub(crate) summary: String,
    pub(crate) total_units: Option<i32>,
}

impl Item {
    /// The item as `file` describes it, while the provider has not
    /// confirmed it (a confirmed item keeps the provider's text).
    pub(crate) fn described_by(mut self, file: Option<FileItem>) -> Self {
        if let Some(file) = file
            && self.provider_check != ProviderCheck::Confirmed
        {
            self.title = file.title;
            self.year = file.year;
            self.image_url = file.image_url;
            self.summary = file.summary;
            self.total_units = file.total_units;
        }
        self
    }
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

impl EntryFields {
    /// A new entry's fields: planned, nothing else set.
    pub(crate) fn planned() -> Self {
        Self {
            status: ListStatus::Planned,
            rating: None,
            progress: Progress::default(),
            notes: Notes::default(),
            start_date: None,
            finish_date: None,
        }
    }
}

/// One item on one user's list.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub(crate) id: Uuid,
    pub(crate) fields: EntryFields,
    pub(crate) item: Item,
    /// How many runs the entry has.
    pub(crate) completion_count: i32,
    /// The run its episodes are watched in now (a rewatch is the next).
    pub(crate) current_run: i32,
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

/// One episode of a series.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Episode {
    pub(crate) id: Uuid,
    pub(crate) season: i32,
    pub(crate) number: Option<i32>,
    pub(crate) special: bool,
    pub(crate) title: String,
    /// `None`: to be announced.
    pub(crate) air_date: Option<NaiveDate>,
    /// `None`: only the day is known (an all-day event).
    pub(crate) air_time: Option<DateTime<Utc>>,
    pub(crate) runtime_minutes: Option<i32>,
    pub(crate) missing_upstream: bool,
    pub(crate) updated_at: DateTime<Utc>,
}

impl Episode {
    /// When it airs: its time, or the start of its day (UTC) when only the
    /// day is known; `None` while to be announced.
    pub(crate) fn airs_at(&self) -> Option<DateTime<Utc>> {
        self.air_time.or_else(|| {
            self.air_date
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })
    }

    /// Whether it has aired by `now`.
    pub(crate) fn aired(&self, now: DateTime<Utc>) -> bool {
        self.airs_at().is_some_and(|at| at <= now)
    }

    /// Whether it counts toward progress: a regular episode the provider
    /// still lists.
    pub(crate) fn counts(&self) -> bool {
        !self.special && !self.missing_upstream
    }

    /// "S2E5", or "S2 special".
    pub(crate) fn label(&self) -> String {
        match self.number {
            Some(n) if !self.special => format!("S{}E{n}", self.season),
            _ => format!("S{} special", self.season),
        }
    }
}

/// One watch of an episode, with the series and entry it belongs to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EpisodeWatch {
    pub(crate) id: Uuid,
    pub(crate) entry_id: Uuid,
    pub(crate) series_title: String,
    pub(crate) episode: Episode,
    pub(crate) run: i32,
    pub(crate) watched_at: DateTime<Utc>,
}

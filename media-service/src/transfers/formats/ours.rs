//! Completionist's own export, version 2 (docs/export-format.md): a JSON
//! object `{"format": "completionist", "version": 2, "exported_at",
//! "entries": [...]}`, each entry its item (with the provider's id), its
//! fields, its runs and (since version 2) its episode watches; version 1
//! files still import. [`ExportEntry`] is written by ExportList and read
//! back here, so an export imported into a fresh account is the same list
//! without asking any provider.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    FileError, KnownItem, MAX_EPISODE_WATCHES, Parsed, ReadLimits, Record, RecordRun, RecordWatch,
    Row, Target, archive, json_rows,
};
use crate::domain::{Entry, EpisodeWatch, ListStatus, MediaKind, Run, Source};

/// The `format` field.
pub(crate) const FORMAT: &str = "completionist";
/// The version written; readers take this one and older.
pub(crate) const VERSION: u32 = 2;

/// One entry of an export.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ExportEntry {
    pub(crate) item: ExportItem,
    pub(crate) status: ListStatus,
    pub(crate) rating: Option<i16>,
    pub(crate) progress: i32,
    #[serde(default)]
    pub(crate) notes: String,
    pub(crate) start_date: Option<NaiveDate>,
    pub(crate) finish_date: Option<NaiveDate>,
    #[serde(default)]
    pub(crate) runs: Vec<ExportRun>,
    /// Since version 2.
    #[serde(default)]
    pub(crate) episode_watches: Vec<ExportWatch>,
}

/// One watch of an episode.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ExportWatch {
    pub(crate) season: i32,
    /// Absent for specials without a number (not imported again).
    pub(crate) number: Option<i32>,
    #[serde(default)]
    pub(crate) special: bool,
    /// The entry's run it was in, from 1.
    pub(crate) run: i32,
    pub(crate) watched_at: DateTime<Utc>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ExportItem {
    pub(crate) kind: MediaKind,
    pub(crate) source: Source,
    /// The provider's id; absent for custom items.
    pub(crate) external_id: Option<String>,
    pub(crate) title: String,
    pub(crate) year: Option<i32>,
    #[serde(default)]
    pub(crate) image_url: String,
    #[serde(default)]
    pub(crate) summary: String,
    pub(crate) total_units: Option<i32>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ExportRun {
    /// The run's id where it was exported; importing it twice adds it once.
    pub(crate) id: Uuid,
    pub(crate) start_date: Option<NaiveDate>,
    pub(crate) finish_date: Option<NaiveDate>,
}

impl ExportEntry {
    pub(crate) fn new(entry: Entry, runs: Vec<Run>, watches: Vec<EpisodeWatch>) -> Self {
        let Entry { fields, item, .. } = entry;
        Self {
            item: ExportItem {
                kind: item.kind,
                source: item.source,
                external_id: item.external_id,
                title: item.title,
                year: item.year,
                image_url: item.image_url,
                summary: item.summary,
                total_units: item.total_units,
            },
            status: fields.status,
            rating: fields.rating.map(crate::domain::Rating::get),
            progress: fields.progress.get(),
            notes: fields.notes.as_str().to_owned(),
            start_date: fields.start_date,
            finish_date: fields.finish_date,
            runs: runs
                .into_iter()
                .map(|run| ExportRun {
                    id: run.id,
                    start_date: run.dates.start_date,
                    finish_date: run.dates.finish_date,
                })
                .collect(),
            episode_watches: watches
                .into_iter()
                .map(|w| ExportWatch {
                    season: w.episode.season,
                    number: w.episode.number,
                    special: w.episode.special,
                    run: w.run,
                    watched_at: w.watched_at,
                })
                .collect(),
        }
    }
}

/// Reads the envelope, each entry a row as it is met: one bad entry fails
/// only its row.
pub(crate) fn read(
    files: &[archive::File<'_>],
    limits: &ReadLimits,
) -> Result<Vec<Row>, FileError> {
    let file = files
        .first()
        .ok_or_else(|| FileError::Unreadable("no file".into()))?;
    let mut rows = Vec::new();
    let envelope = json_rows::envelope(
        &archive::text(&file.bytes),
        limits,
        "a Completionist export",
        |entry| rows.push(row(entry)),
    )?;
    if envelope.format != FORMAT || envelope.version == 0 || envelope.version > VERSION {
        return Err(FileError::Unreadable(format!(
            "a Completionist export of version {} to {VERSION} was expected, got format {:?} version {}",
            1, envelope.format, envelope.version
        )));
    }
    Ok(rows)
}

fn row(value: serde_json::Value) -> Row {
    let title = value
        .pointer("/item/title")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let parsed = match serde_json::from_value::<ExportEntry>(value) {
        Ok(entry) => record(entry),
        Err(e) => Parsed::Failed(format!("not an entry: {e}")),
    };
    Row {
        line: 0,
        file: String::new(),
        title,
        parsed,
    }
}

fn record(entry: ExportEntry) -> Parsed {
    let ExportEntry {
        item,
        status,
        rating,
        progress,
        notes,
        start_date,
        finish_date,
        runs,
        episode_watches,
    } = entry;
    let custom = item.source == Source::Custom;
    let known = KnownItem {
        source: item.source,
        kind: item.kind,
        external_id: item.external_id.unwrap_or_default(),
        title: item.title,
        year: item.year,
        image_url: item.image_url,
        summary: item.summary,
        total_units: item.total_units,
    };
    let target = if custom {
        Target::Custom(known)
    } else {
        Target::Known(known)
    };
    let mut record = Record::new(target, status);
    record.rating = rating;
    record.progress = progress;
    record.notes = notes;
    record.start_date = start_date;
    record.finish_date = finish_date;
    record.runs = runs
        .into_iter()
        .map(|run| RecordRun {
            start_date: run.start_date,
            finish_date: run.finish_date,
            origin: format!("{FORMAT}:{}", run.id),
        })
        .collect();
    record.episode_watches = episode_watches
        .into_iter()
        .filter_map(|w| {
            Some(RecordWatch {
                season: w.season,
                number: w.number?,
                watched_at: w.watched_at,
            })
        })
        .take(MAX_EPISODE_WATCHES)
        .collect();
    record.checked()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_provider_and_custom_items_and_fails_bad_entries_alone() {
        let text = r#"{"format": "completionist", "version": 1, "entries": [
            {"item": {"kind": "anime", "source": "jikan", "external_id": "1", "title": "Cowboy Bebop",
              "year": 1998, "total_units": 26}, "status": "completed", "rating": 9, "progress": 26,
              "start_date": "1998-04-03", "finish_date": null,
              "runs": [{"id": "01936f4e-0000-7000-8000-000000000001", "start_date": null, "finish_date": "1999-01-01"}]},
            {"item": {"kind": "book", "source": "custom", "title": "Zine"}, "status": "planned",
              "rating": null, "progress": 0, "start_date": null, "finish_date": null},
            {"item": {"kind": "vinyl", "source": "custom", "title": "LP"}, "status": "planned"}
        ]}"#;
        let file = archive::File {
            name: "x.json".into(),
            bytes: text.as_bytes().into(),
        };
        let rows = read(&[file], &ReadLimits::rows(3)).unwrap();
        let Parsed::Record(bebop) = &rows[0].parsed else {
            panic!("{:?}", rows[0]);
        };
        assert_eq!(
            bebop.runs[0].origin,
            "completionist:01936f4e-0000-7000-8000-000000000001"
        );
        assert!(
            matches!(&rows[1].parsed, Parsed::Record(r) if matches!(r.target, Target::Custom(_)))
        );
        assert!(matches!(&rows[2].parsed, Parsed::Failed(_)));
        assert_eq!(rows[2].title, "LP");
    }
}

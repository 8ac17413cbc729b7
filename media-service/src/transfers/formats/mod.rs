//! Reading other trackers' exports: each format's parser turns a file into
//! rows, each row a [`Record`] in our terms or the reason it cannot be one.
//! Parsers are pure functions of bytes (property-tested: no input panics
//! them); what needs the network — finding a book or a film by title — is
//! left as a [`Target::Search`] for the worker.
//!
//! Compressed input is read through [`archive`], which bounds what it
//! unpacks; XML entities are never expanded (`mal`).

pub(crate) mod archive;
mod csv_rows;
mod goodreads;
mod imdb;
mod json_rows;
mod letterboxd;
mod limits;
mod mal;
pub(crate) mod ours;
mod text;
mod trakt;

pub(crate) use self::{
    limits::ReadLimits,
    text::{date, head, year},
};

use std::time::Instant;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{
    ImageUrl, ListStatus, MediaKind, Notes, Progress, Rating, Reference, Source, Summary, Title,
    Units, Year,
};

completionist_common::text_enum! {
    /// What wrote an import file.
    pub(crate) enum Format {
        MyAnimeList = "myanimelist",
        Goodreads = "goodreads",
        Letterboxd = "letterboxd",
        Trakt = "trakt",
        Imdb = "imdb",
        Completionist = "completionist",
    }
}

/// A file that is no import at all; the message names what was expected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum FileError {
    #[error("{0}")]
    Unreadable(String),
    /// Unpacking would pass the limit (a zip or gzip bomb, or just too big).
    #[error("unpacked, the file is over the {0}-byte limit")]
    TooLarge(u64),
    /// More rows than one import takes.
    #[error("the file has more than {0} rows, the most one import takes")]
    TooManyRows(usize),
    /// Reading took longer than the call may.
    #[error("reading the file took too long")]
    TooSlow,
}

/// What the importer needs to know of a file before reading it.
pub(crate) struct Input<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) file_name: &'a str,
    /// How much unpacking a compressed file may produce.
    pub(crate) max_unpacked: u64,
    /// The most rows the upload may have, all the files inside it
    /// together: each costs memory while it is read.
    pub(crate) max_rows: usize,
    /// When reading must have ended; `None` for no limit.
    pub(crate) deadline: Option<Instant>,
}

/// One row of a file, and where it was.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    /// 1-based line where the row starts; 0 where lines mean nothing.
    pub(crate) line: u32,
    /// The file inside an archive; empty otherwise.
    pub(crate) file: String,
    /// The row's title as the file gives it, for the report.
    pub(crate) title: String,
    pub(crate) parsed: Parsed,
}

/// Stored as each row's `record` until the worker applies it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Parsed {
    Record(Box<Record>),
    /// Something the list does not keep (an episode, a video game on IMDb).
    Skipped(String),
    /// Not importable; why.
    Failed(String),
}

/// What to put on the list for one row: the item and the entry's fields,
/// already checked against what an entry may be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Record {
    pub(crate) target: Target,
    pub(crate) status: ListStatus,
    pub(crate) rating: Option<i16>,
    pub(crate) progress: i32,
    pub(crate) notes: String,
    pub(crate) start_date: Option<NaiveDate>,
    pub(crate) finish_date: Option<NaiveDate>,
    /// Each time it was finished; `origin` is unique per item within a
    /// format, so importing the file again adds none of them twice.
    pub(crate) runs: Vec<RecordRun>,
    /// Episodes watched (series), matched to the show's episodes by number
    /// once they are fetched.
    #[serde(default)]
    pub(crate) episode_watches: Vec<RecordWatch>,
}

/// One watch of an episode, by its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct RecordWatch {
    pub(crate) season: i32,
    pub(crate) number: i32,
    pub(crate) watched_at: chrono::DateTime<chrono::Utc>,
}

/// Episode watches one row keeps at most.
pub(crate) const MAX_EPISODE_WATCHES: usize = 20_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct RecordRun {
    pub(crate) start_date: Option<NaiveDate>,
    pub(crate) finish_date: Option<NaiveDate>,
    pub(crate) origin: String,
}

/// The item a row is about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Target {
    /// A provider item the file names by id, with what the file says of
    /// it, so the entry can be listed before the provider is asked.
    Known(KnownItem),
    /// Found by asking the provider of `kind`.
    Search(Search),
    /// An item of the user's own (our export).
    Custom(KnownItem),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct KnownItem {
    pub(crate) source: Source,
    pub(crate) kind: MediaKind,
    /// Empty for custom items.
    pub(crate) external_id: String,
    pub(crate) title: String,
    pub(crate) year: Option<i32>,
    pub(crate) image_url: String,
    pub(crate) summary: String,
    pub(crate) total_units: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Search {
    pub(crate) kind: MediaKind,
    pub(crate) title: String,
    pub(crate) year: Option<i32>,
    pub(crate) author: Option<String>,
    /// ISBN-13 or ISBN-10 as the file gives it (leading zeros, `X` kept).
    pub(crate) isbn: Option<String>,
}

/// The most runs one row may carry.
const MAX_RUNS: usize = 100;

impl Record {
    /// A record with no rating, notes, dates or runs.
    pub(crate) fn new(target: Target, status: ListStatus) -> Self {
        Self {
            target,
            status,
            rating: None,
            progress: 0,
            notes: String::new(),
            start_date: None,
            finish_date: None,
            runs: Vec::new(),
            episode_watches: Vec::new(),
        }
    }

    /// The record as a row, or the first reason it cannot be an entry.
    pub(crate) fn checked(self) -> Parsed {
        match self.check() {
            Ok(()) => Parsed::Record(Box::new(self)),
            Err(why) => Parsed::Failed(why),
        }
    }

    fn check(&self) -> Result<(), String> {
        let mut texts = vec![self.notes.as_str()];
        match &self.target {
            Target::Known(item) | Target::Custom(item) => {
                item.check()?;
                texts.extend([item.title.as_str(), &item.summary, &item.image_url]);
            }
            Target::Search(search) => {
                Title::parse(&search.title).map_err(|why| format!("title {why}"))?;
                texts.push(&search.title);
            }
        }
        if let Target::Known(item) = &self.target {
            Reference::new(item.source, item.kind, &item.external_id)
                .map_err(|problems| format!("id: {}", problems[0].1))?;
        }
        if texts
            .iter()
            .any(|text| text.chars().any(completionist_common::guard::is_unwanted))
        {
            return Err("the text holds control characters".into());
        }
        if let Some(rating) = self.rating {
            Rating::parse(rating.into()).map_err(|why| format!("rating {why}"))?;
        }
        Progress::parse(self.progress).map_err(|why| format!("progress {why}"))?;
        Notes::parse(&self.notes).map_err(|why| format!("notes {why}"))?;
        if self.runs.len() > MAX_RUNS {
            return Err(format!("more than {MAX_RUNS} runs"));
        }
        let spans = std::iter::once((self.start_date, self.finish_date))
            .chain(self.runs.iter().map(|r| (r.start_date, r.finish_date)));
        for (start, finish) in spans {
            if let (Some(start), Some(finish)) = (start, finish)
                && finish < start
            {
                return Err(format!("finished ({finish}) before it started ({start})"));
            }
        }
        Ok(())
    }
}

impl KnownItem {
    /// What a catalog item made from a file must be: what CreateCustomMediaItem
    /// asks of one.
    fn check(&self) -> Result<(), String> {
        Title::parse(&self.title).map_err(|why| format!("title {why}"))?;
        Summary::parse(&self.summary).map_err(|why| format!("summary {why}"))?;
        ImageUrl::parse(&self.image_url).map_err(|why| format!("image_url {why}"))?;
        if let Some(year) = self.year {
            Year::parse(year).map_err(|why| format!("year {why}"))?;
        }
        if let Some(units) = self.total_units {
            Units::parse(units).map_err(|why| format!("total_units {why}"))?;
        }
        Ok(())
    }
}

/// Reads `input` as `format`, or as what its content says when `format` is
/// `None`. Rows come in file order.
pub(crate) fn read(
    format: Option<Format>,
    input: &Input<'_>,
) -> Result<(Format, Vec<Row>), FileError> {
    let files = archive::unpack(input)?;
    let format = match format {
        Some(format) => format,
        None => detect(&files).ok_or_else(|| {
            FileError::Unreadable(format!(
                "the file is none of the formats read here: {}",
                EXPECTED
            ))
        })?,
    };
    let limits = &ReadLimits::new(input.max_rows, input.deadline);
    let rows = match format {
        Format::MyAnimeList => mal::read(&files, limits)?,
        Format::Goodreads => goodreads::read(&files, limits)?,
        Format::Letterboxd => letterboxd::read(&files, limits)?,
        Format::Trakt => trakt::read(&files, limits)?,
        Format::Imdb => imdb::read(&files, limits)?,
        Format::Completionist => ours::read(&files, limits)?,
    };
    Ok((format, rows))
}

/// What [`read`] knows, for messages.
const EXPECTED: &str = "a MyAnimeList XML export (gzipped or not), a Goodreads library CSV, \
     a Letterboxd export ZIP or CSV, a Trakt export ZIP or JSON, an IMDb ratings or list CSV, \
     or a Completionist JSON export";

/// The format whose marks `files` carry.
fn detect(files: &[archive::File]) -> Option<Format> {
    let first = files.first()?;
    let text = archive::text(&first.bytes);
    let start = text.trim_start();
    let text = &*text;
    if files.iter().any(|f| letterboxd::is_file(&f.name)) && files.len() > 1 {
        return Some(Format::Letterboxd);
    }
    if files.iter().any(|f| trakt::is_file(&f.name)) && files.len() > 1 {
        return Some(Format::Trakt);
    }
    if start.starts_with('<') {
        return head(start, 4096)
            .contains("<myanimelist")
            .then_some(Format::MyAnimeList);
    }
    // Of the formats read here, only ours is a JSON object (its reader
    // then checks `format` and `version`, wherever they stand).
    if start.starts_with('{') {
        return Some(Format::Completionist);
    }
    if start.starts_with('[') {
        return trakt::looks_like(start).then_some(Format::Trakt);
    }
    let header = csv_rows::header(text);
    if goodreads::is_header(&header) {
        Some(Format::Goodreads)
    } else if imdb::is_header(&header) {
        Some(Format::Imdb)
    } else if letterboxd::is_header(&header) {
        Some(Format::Letterboxd)
    } else {
        None
    }
}

#[cfg(test)]
mod tests;

//! Trakt's export: the ZIP, or its JSON files alone — watched history
//! (`history*.json`, `watched-*.json`), ratings (`ratings-*.json`) and the
//! watchlist (`watchlist-*.json`). `ids.imdb` is the OMDb id; a title
//! without one is found by title and year. Episode rows count toward their
//! show (their own ids may be null); each history row's `id` makes a run
//! that importing again does not add twice.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::{
    FileError, KnownItem, MAX_EPISODE_WATCHES, Parsed, ReadLimits, Record, RecordRun, RecordWatch,
    Row, Search, Target, archive, date, json_rows,
};
use crate::domain::{ListStatus, MediaKind, Source};

pub(super) fn is_file(name: &str) -> bool {
    let name = name.to_lowercase();
    name.ends_with(".json")
        && ["history", "watched-", "ratings-", "watchlist-"]
            .iter()
            .any(|p| name.starts_with(p))
}

/// Whether a JSON array reads like one of Trakt's files.
pub(super) fn looks_like(text: &str) -> bool {
    let head = super::head(text, 4096);
    head.contains("\"ids\"")
        && ["watched_at", "rated_at", "listed_at", "last_watched_at"]
            .iter()
            .any(|k| head.contains(k))
}

/// One movie or show, gathered from every file.
#[derive(Default)]
struct Title {
    file: String,
    kind: Option<MediaKind>,
    name: String,
    year: Option<i32>,
    imdb: Option<String>,
    watched: bool,
    planned: bool,
    rating: Option<i16>,
    episodes: BTreeSet<(i64, i64)>,
    /// When each episode was watched, where the file says.
    watches: BTreeSet<RecordWatch>,
    runs: Vec<RecordRun>,
    problem: Option<String>,
}

pub(super) fn read(
    files: &[archive::File<'_>],
    limits: &ReadLimits,
) -> Result<Vec<Row>, FileError> {
    let mut titles: Vec<Title> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut read_any = false;
    for file in files {
        if files.len() > 1 && !is_file(&file.name) {
            continue;
        }
        let label = if files.len() > 1 {
            file.name.clone()
        } else {
            String::new()
        };
        let name = file.name.to_lowercase();
        json_rows::each_element(
            &archive::text(&file.bytes),
            limits,
            &format!("a Trakt export: {} is not a JSON list", file.name),
            |row| gather(&mut titles, &mut index, &label, &name, &row),
        )?;
        read_any = true;
    }
    if !read_any {
        return Err(FileError::Unreadable(
            "not a Trakt export: no history, watched, ratings or watchlist JSON".into(),
        ));
    }
    Ok(titles.into_iter().map(finish).collect())
}

/// The movie or show a row is about: the row's `movie` or `show`.
fn subject(row: &Value) -> Option<(MediaKind, &Value)> {
    if let Some(movie) = row.get("movie").filter(|m| m.is_object()) {
        return Some((MediaKind::Movie, movie));
    }
    row.get("show")
        .filter(|s| s.is_object())
        .map(|show| (MediaKind::Series, show))
}

fn gather(
    titles: &mut Vec<Title>,
    index: &mut HashMap<String, usize>,
    label: &str,
    file: &str,
    row: &Value,
) {
    let Some((kind, item)) = subject(row) else {
        return;
    };
    let name = item
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let year = item
        .get("year")
        .and_then(Value::as_i64)
        .and_then(|y| i32::try_from(y).ok());
    let imdb = item
        .pointer("/ids/imdb")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    let key = match &imdb {
        Some(id) => id.clone(),
        None => format!("{kind}:{}:{}", name.to_lowercase(), year.unwrap_or(0)),
    };
    let at = *index.entry(key).or_insert_with(|| {
        titles.push(Title {
            file: label.to_owned(),
            kind: Some(kind),
            name: name.to_owned(),
            year,
            imdb,
            ..Title::default()
        });
        titles.len() - 1
    });
    let title = &mut titles[at];
    let episode = row.get("episode").filter(|e| e.is_object());
    if file.starts_with("watchlist") {
        title.planned = true;
    } else if file.starts_with("ratings") {
        // Ratings of an episode or a season say nothing of the show's.
        if episode.is_none() && row.get("season").is_none_or(Value::is_null) {
            title.rating = row
                .get("rating")
                .and_then(Value::as_i64)
                .and_then(|r| i16::try_from(r).ok());
        }
    } else {
        title.watched = true;
        watched(title, row, episode);
    }
}

/// A history or watched row: episodes toward the show, plays as runs.
fn watched(title: &mut Title, row: &Value, episode: Option<&Value>) {
    let number = |v: &Value, key| v.get(key).and_then(Value::as_i64);
    if let Some(episode) = episode {
        if let (Some(season), Some(n)) = (number(episode, "season"), number(episode, "number")) {
            title.episodes.insert((season, n));
            watch(title, season, n, row.get("watched_at"));
        }
        return;
    }
    for season in row
        .get("seasons")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let s = number(season, "number").unwrap_or(0);
        for e in season
            .get("episodes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let n = number(e, "number").unwrap_or(0);
            title.episodes.insert((s, n));
            watch(title, s, n, e.get("last_watched_at"));
        }
    }
    if title.kind != Some(MediaKind::Movie) {
        return;
    }
    plays(title, row);
}

/// Records that episode (`season`, `number`) was watched `at`, when the
/// file says when.
fn watch(title: &mut Title, season: i64, number: i64, at: Option<&Value>) {
    let at = at
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    let (Ok(season), Ok(number), Some(at)) = (i32::try_from(season), i32::try_from(number), at)
    else {
        return;
    };
    if title.watches.len() < MAX_EPISODE_WATCHES {
        title.watches.insert(RecordWatch {
            season,
            number,
            watched_at: at.with_timezone(&chrono::Utc),
        });
    }
}

/// A movie's plays: one run per history row (its id keeps it from being
/// added twice), or `plays` runs from watched-movies.
fn plays(title: &mut Title, row: &Value) {
    let when = row
        .get("watched_at")
        .or_else(|| row.get("last_watched_at"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let day = match date(when) {
        Ok(day) => day,
        Err(why) => {
            title.problem = Some(format!("watched_at: {why}"));
            return;
        }
    };
    match row.get("id").and_then(Value::as_i64) {
        Some(id) => title.runs.push(RecordRun {
            start_date: None,
            finish_date: day,
            origin: format!("trakt:history:{id}"),
        }),
        None => {
            let plays = row
                .get("plays")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .min(100);
            let key = title
                .imdb
                .clone()
                .unwrap_or_else(|| title.name.to_lowercase());
            title.runs.extend((0..plays).map(|n| RecordRun {
                start_date: None,
                finish_date: if n == 0 { day } else { None },
                origin: format!("trakt:watched:{key}:{n}"),
            }));
        }
    }
}

fn finish(title: Title) -> Row {
    let kind = title.kind.unwrap_or(MediaKind::Movie);
    let parsed = match title.problem {
        Some(why) => Parsed::Failed(why),
        None => record(&title, kind),
    };
    Row {
        line: 0,
        file: title.file,
        title: title.name,
        parsed,
    }
}

fn record(title: &Title, kind: MediaKind) -> Parsed {
    let target = match &title.imdb {
        Some(id) => Target::Known(KnownItem {
            source: Source::Omdb,
            kind,
            external_id: id.clone(),
            title: title.name.clone(),
            year: title.year,
            image_url: String::new(),
            summary: String::new(),
            total_units: (kind == MediaKind::Movie).then_some(1),
        }),
        None => Target::Search(Search {
            kind,
            title: title.name.clone(),
            year: title.year,
            author: None,
            isbn: None,
        }),
    };
    let status = match (kind, title.watched) {
        (MediaKind::Movie, true) => ListStatus::Completed,
        (_, true) => ListStatus::InProgress,
        // Rated but never logged: seen all the same.
        (MediaKind::Movie, false) if title.rating.is_some() => ListStatus::Completed,
        _ => ListStatus::Planned,
    };
    let mut record = Record::new(target, status);
    record.rating = title.rating;
    let mut runs = title.runs.clone();
    // The same play may be in history and in watched; history's ids win.
    if runs.iter().any(|r| r.origin.starts_with("trakt:history")) {
        runs.retain(|r| r.origin.starts_with("trakt:history"));
    }
    runs.sort_by_key(|r| r.finish_date);
    if runs.len() > super::MAX_RUNS {
        runs.drain(..runs.len() - super::MAX_RUNS);
    }
    record.finish_date = runs.iter().filter_map(|r| r.finish_date).max();
    record.progress = match kind {
        MediaKind::Movie => i32::from(status == ListStatus::Completed),
        _ => i32::try_from(title.episodes.len()).unwrap_or(i32::MAX),
    };
    record.runs = runs;
    record.episode_watches = title.watches.iter().copied().collect();
    record.checked()
}

#[cfg(test)]
mod tests;

//! Which of a show's episodes a request means. Marking takes only episodes
//! that have aired, give or take a day (time zones), by the watch time:
//! named ones are refused otherwise, a season or "up to here" leaves them
//! out. Specials are marked by id; a season and "up to here" are regular
//! episodes only.

use chrono::{DateTime, TimeDelta, Utc};
use completionist_common::error::Violations;
use uuid::Uuid;

use super::Selection;
use crate::{domain::Episode, error::Error};

/// The episodes `selection` marks watched at `at`.
pub(super) fn for_marking(
    episodes: &[Episode],
    selection: &Selection,
    at: DateTime<Utc>,
) -> Result<Vec<Uuid>, Error> {
    let due = |e: &Episode| {
        e.airs_at()
            .is_some_and(|airs| airs - TimeDelta::days(1) <= at)
    };
    let chosen = chosen(episodes, selection)?;
    if matches!(selection, Selection::Episodes { .. }) {
        let mut v = Violations::default();
        for e in chosen.iter().filter(|e| !due(e)) {
            match e.airs_at() {
                Some(airs) => v.add(
                    "watch_time",
                    format!("is more than a day before {} aired ({airs})", e.label()),
                ),
                None => v.add(
                    "watch_time",
                    format!(
                        "{} has no air date yet, so it cannot have been watched",
                        e.label()
                    ),
                ),
            }
        }
        v.finish(())?;
        return Ok(chosen.iter().map(|e| e.id).collect());
    }
    Ok(chosen
        .into_iter()
        .filter(|e| due(e))
        .map(|e| e.id)
        .collect())
}

/// The episodes `selection` unmarks.
pub(super) fn for_unmarking(
    episodes: &[Episode],
    selection: &Selection,
) -> Result<Vec<Uuid>, Error> {
    Ok(chosen(episodes, selection)?.iter().map(|e| e.id).collect())
}

/// The regular episode numbered (`season`, `number`): the one the provider
/// lists now before one it stopped listing (renumbered upstream).
fn numbered(episodes: &[Episode], season: i32, number: i32) -> Option<&Episode> {
    let matching = || {
        episodes
            .iter()
            .filter(move |e| !e.special && e.season == season && e.number == Some(number))
    };
    matching()
        .find(|e| !e.missing_upstream)
        .or_else(|| matching().next())
}

/// The episodes `selection` names; any it names that the show does not
/// have is refused, by field.
fn chosen<'a>(episodes: &'a [Episode], selection: &Selection) -> Result<Vec<&'a Episode>, Error> {
    let mut v = Violations::default();
    let chosen = match selection {
        Selection::Episodes { ids, numbers } => named(episodes, ids, numbers, &mut v),
        Selection::Season(season) => {
            if !episodes.iter().any(|e| e.season == *season) {
                v.add(
                    "selection.season",
                    format!("the series has no season {season}"),
                );
            }
            episodes
                .iter()
                .filter(|e| e.season == *season && e.counts())
                .collect()
        }
        Selection::UpTo(season, number) => {
            if numbered(episodes, *season, *number).is_none() {
                v.add(
                    "selection.up_to",
                    format!("S{season}E{number} is not an episode of this series"),
                );
            }
            episodes
                .iter()
                .filter(|e| e.counts() && (e.season, e.number) <= (*season, Some(*number)))
                .collect()
        }
    };
    v.finish(())?;
    Ok(chosen)
}

/// The episodes named by id or number, each once.
fn named<'a>(
    episodes: &'a [Episode],
    ids: &[Uuid],
    numbers: &[(i32, i32)],
    v: &mut Violations,
) -> Vec<&'a Episode> {
    let mut chosen = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        match episodes.iter().find(|e| e.id == *id) {
            Some(e) => chosen.push(e),
            None => v.add(
                &format!("selection.episodes.ids[{i}]"),
                "is not an episode of this series",
            ),
        }
    }
    for (i, (season, number)) in numbers.iter().enumerate() {
        match numbered(episodes, *season, *number) {
            Some(e) => chosen.push(e),
            None => v.add(
                &format!("selection.episodes.numbers[{i}]"),
                format!("S{season}E{number} is not an episode of this series"),
            ),
        }
    }
    chosen.sort_by_key(|e| e.id);
    chosen.dedup_by_key(|e| e.id);
    chosen
}

//! Where the current run of a series stands, on the list: the next episode
//! to watch, how many aired episodes are new, whether it is caught up.

use std::collections::HashMap;

use chrono::Utc;
use completionist_proto::media as pb;
use uuid::Uuid;

use super::watching;
use crate::{
    db,
    domain::{Entry, Episode, MediaKind, Source},
};

/// Where the current run of each series or anime among `entries` stands,
/// by entry id (entries whose episodes are not known have none).
pub(crate) async fn progress_of(
    conn: &mut db::Conn,
    entries: &[Entry],
) -> Result<HashMap<Uuid, pb::SeriesProgress>, diesel::result::Error> {
    // Only a provider's series and anime have episodes: an entry of
    // anything else costs no query.
    let shows: Vec<&Entry> = entries
        .iter()
        .filter(|e| matches!(e.item.kind, MediaKind::Series | MediaKind::Anime))
        .filter(|e| e.item.source != Source::Custom)
        .collect();
    if shows.is_empty() {
        return Ok(HashMap::new());
    }
    let items: Vec<Uuid> = shows.iter().map(|e| e.item.id).collect();
    let episodes = db::episodes::of_items(conn, &items).await?;
    if episodes.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<Uuid> = shows
        .iter()
        .filter(|e| episodes.contains_key(&e.item.id))
        .map(|e| e.id)
        .collect();
    let mut seen = db::watches::in_current_runs(conn, &ids).await?;
    let now = Utc::now();
    Ok(shows
        .into_iter()
        .filter_map(|entry| {
            let (status, list) = episodes.get(&entry.item.id)?;
            let seen = seen.remove(&entry.id).unwrap_or_default();
            let summary = watching::Summary::of(list, &seen, *status, now);
            Some((entry.id, progress(list, &summary)))
        })
        .collect())
}

/// What `summary` of a run through `episodes` shows on the list.
pub(super) fn progress(episodes: &[Episode], summary: &watching::Summary) -> pb::SeriesProgress {
    let next = summary
        .next
        .and_then(|id| episodes.iter().find(|e| e.id == id))
        .map(|e| pb::EpisodeNumber {
            season: e.season,
            number: e.number.unwrap_or_default(),
        });
    pb::SeriesProgress {
        next_episode: next,
        new_episodes: summary.new,
        aired_episodes: summary.aired,
        caught_up: summary.caught_up,
    }
}

/// `entry` as the caller sees it, with its series' progress from
/// `progress` (see [`progress_of`]).
pub(crate) fn shown(
    entry: Entry,
    progress: &mut HashMap<Uuid, pb::SeriesProgress>,
) -> pb::ListEntry {
    let id = entry.id;
    let mut shown = pb::ListEntry::from(entry);
    shown.series_progress = progress.remove(&id);
    shown
}

/// One entry as the caller sees it, with its series' progress.
pub(super) async fn one_shown(
    conn: &mut db::Conn,
    entry: Entry,
) -> Result<pb::ListEntry, diesel::result::Error> {
    let mut progress = progress_of(conn, std::slice::from_ref(&entry)).await?;
    Ok(shown(entry, &mut progress))
}

//! Series by season and episode: ListEpisodes, MarkEpisodesWatched,
//! UnmarkEpisodesWatched and ListEpisodeWatches. Episodes come from the
//! providers (`refresh`, also on a schedule in the background); which
//! episodes a request means is `selection`'s, and what watches make of the
//! entry (progress, status, dates) `watching`'s.

mod history;
mod progress;
pub(crate) mod refresh;
mod selection;
mod watching;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use completionist_common::{db as common_db, paging::PageSize, time::timestamp};
use completionist_proto::media as pb;
use tokio::sync::Semaphore;
use tonic::Request;
use uuid::Uuid;

use crate::{
    app::{App, Caller},
    config::SeriesConfig,
    conversions::series::episode,
    db::{self, watches::Seen},
    domain::{Entry, Episode, Item, ListStatus, ShowStatus, parse_id},
    error::Error,
    list::record_run,
};

pub(crate) use self::history::list_episode_watches;
use self::progress::one_shown;
pub(crate) use self::progress::{progress_of, shown};

/// What series share: the configuration, and room for first fetches.
pub(crate) struct Series {
    pub(crate) config: SeriesConfig,
    /// First fetches under way in the background (`refresh::soon`).
    first_fetches: Arc<Semaphore>,
}

impl Series {
    /// First fetches one replica runs at once; more wait for the schedule.
    const FIRST_FETCHES: usize = 4;

    pub(crate) fn new(config: SeriesConfig) -> Self {
        Self {
            config,
            first_fetches: Arc::new(Semaphore::new(Self::FIRST_FETCHES)),
        }
    }
}

/// Which episodes a mark or unmark is about.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Selection {
    /// By id (specials included) or by (season, number).
    Episodes {
        ids: Vec<Uuid>,
        numbers: Vec<(i32, i32)>,
    },
    /// Every regular episode of a season.
    Season(i32),
    /// Every regular episode up to and including (season, number).
    UpTo(i32, i32),
}

/// A MarkEpisodesWatched request.
pub(crate) struct MarkRequest {
    pub(crate) entry: Uuid,
    pub(crate) selection: Selection,
    pub(crate) at: DateTime<Utc>,
}

/// An UnmarkEpisodesWatched request.
pub(crate) struct UnmarkRequest {
    pub(crate) entry: Uuid,
    pub(crate) selection: Selection,
}

/// A ListEpisodeWatches request.
pub(crate) struct WatchListing {
    pub(crate) entry: Option<Uuid>,
    pub(crate) size: PageSize,
    pub(crate) page_token: String,
}

pub(crate) async fn list_episodes(
    app: &App,
    request: Request<pb::ListEpisodesRequest>,
) -> Result<pb::ListEpisodesResponse, Error> {
    let caller = Caller::of(&request)?;
    let pb::ListEpisodesRequest { list_entry_id } = request.into_inner();
    let id = parse_id(&list_entry_id).map_err(|why| Error::invalid("list_entry_id", why))?;
    let entry = find_entry(app, caller.user_id, id).await?;
    let source = refresh::fetched(app, &entry.item).await?;
    let (status, refreshed_at) =
        source.map_or((ShowStatus::NotFound, None), |s| (s.status, s.refreshed_at));
    let (item, user) = (entry.item.id, caller.user_id);
    // Read again: a first fetch has just given the item its episode count.
    let read = common_db::read(&app.pool, |conn| {
        Box::pin(async move {
            let Some(entry) = db::entries::find(conn, user, id).await? else {
                return Ok(None);
            };
            let run = entry.current_run;
            let entry = one_shown(conn, entry).await?;
            let episodes = db::episodes::list(conn, item).await?;
            let seen = db::watches::seen(conn, id, run).await?;
            Ok(Some((entry, episodes, run, seen)))
        })
    })
    .await?;
    let (entry, episodes, run, seen) = read.ok_or(Error::ListEntryNotFound)?;
    let now = Utc::now();
    let summary = watching::Summary::of(&episodes, &seen, status, now);
    let next_episode = summary
        .next
        .and_then(|next| episodes.iter().find(|e| e.id == next))
        .map(|e| episode(e.clone(), seen_of(&seen, e), now));
    Ok(pb::ListEpisodesResponse {
        list_entry: Some(entry),
        show_status: crate::conversions::ProtoEnum::to_proto(status),
        next_episode,
        caught_up: summary.caught_up,
        current_run: run,
        refresh_time: refreshed_at.map(timestamp),
        seasons: seasons(episodes, &seen, now),
    })
}

fn seen_of(seen: &std::collections::HashMap<Uuid, Seen>, e: &Episode) -> Seen {
    seen.get(&e.id).copied().unwrap_or_default()
}

/// Episodes grouped by season, in order.
fn seasons(
    episodes: Vec<Episode>,
    seen: &std::collections::HashMap<Uuid, Seen>,
    now: DateTime<Utc>,
) -> Vec<pb::Season> {
    let mut seasons: Vec<pb::Season> = Vec::new();
    for e in episodes {
        let s = seen_of(seen, &e);
        let counted = e.counts();
        let aired = e.aired(now);
        if seasons.last().is_none_or(|last| last.number != e.season) {
            seasons.push(pb::Season {
                number: e.season,
                ..pb::Season::default()
            });
        }
        let Some(season) = seasons.last_mut() else {
            continue;
        };
        season.aired_count += i32::from(counted && aired);
        season.watched_count += i32::from(counted && s.in_run);
        season.episodes.push(episode(e, s, now));
    }
    seasons
}

pub(crate) async fn mark_episodes_watched(
    app: &App,
    request: Request<pb::MarkEpisodesWatchedRequest>,
) -> Result<pb::MarkEpisodesWatchedResponse, Error> {
    let caller = Caller::of(&request)?;
    let MarkRequest {
        entry,
        selection,
        at,
    } = MarkRequest::try_from(request.into_inner())?;
    let found = find_entry(app, caller.user_id, entry).await?;
    let status = refresh::fetched_status(app, &found.item).await?;
    let user = caller.user_id;
    let (entry, marked) = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move { mark_in(conn, user, entry, &selection, at, status).await })
    })
    .await?;
    Ok(pb::MarkEpisodesWatchedResponse {
        list_entry: Some(entry),
        marked_count: i32::try_from(marked).unwrap_or(i32::MAX),
    })
}

/// Marks `selection` of `user`'s `entry` watched at `at`, in the caller's
/// transaction (`status`: the show's, from [`show_status`]); answers the
/// entry and how many watches were recorded (none for episodes watched in
/// this run already). A selection the show does not have is refused
/// (INVALID_ARGUMENT) before anything is written.
pub(crate) async fn mark_in(
    conn: &mut db::Conn,
    user: Uuid,
    entry: Uuid,
    selection: &Selection,
    at: DateTime<Utc>,
    status: ShowStatus,
) -> Result<(pb::ListEntry, usize), Error> {
    let (before, episodes) = locked(conn, user, entry).await?;
    let run = before.current_run;
    let chosen = selection::for_marking(&episodes, selection, at)?;
    let marked = db::watches::insert(conn, user, before.id, run, &chosen, at).await?;
    let entry = write_watch_state(conn, before, &episodes, run, status, at, Change::Marked).await?;
    Ok((entry, marked))
}

/// Refuses (INVALID_ARGUMENT) a `selection` to mark at `at` that `item`'s
/// show does not have, as [`mark_in`] would, without an entry to mark.
pub(crate) async fn markable(
    conn: &mut db::Conn,
    item: Uuid,
    selection: &Selection,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    let episodes = db::episodes::list(conn, item).await?;
    selection::for_marking(&episodes, selection, at).map(drop)
}

/// Whether `item`'s show still airs, its episodes fetched first if they
/// never were (EPISODES_NOT_FETCHED if they cannot be yet); `untracked`
/// for a show that may be on no one's list yet (it is about to be): its
/// episodes are kept fresh from now on.
pub(crate) async fn show_status(
    app: &App,
    item: &Item,
    untracked: bool,
) -> Result<ShowStatus, Error> {
    if untracked && item.external_id.is_some() {
        let mut conn = common_db::conn(&app.pool).await?;
        db::episode_sources::track(&mut conn, item.id).await?;
    }
    refresh::fetched_status(app, item).await
}

pub(crate) async fn unmark_episodes_watched(
    app: &App,
    request: Request<pb::UnmarkEpisodesWatchedRequest>,
) -> Result<pb::UnmarkEpisodesWatchedResponse, Error> {
    let caller = Caller::of(&request)?;
    let UnmarkRequest { entry, selection } = UnmarkRequest::try_from(request.into_inner())?;
    let found = find_entry(app, caller.user_id, entry).await?;
    let status = refresh::fetched_status(app, &found.item).await?;
    let user = caller.user_id;
    let (entry, unmarked) = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            let (before, episodes) = locked(conn, user, entry).await?;
            let run = before.current_run;
            let chosen = selection::for_unmarking(&episodes, &selection)?;
            let unmarked = db::watches::delete(conn, before.id, run, &chosen).await?;
            // Nothing unmarked changes nothing: a completion stays.
            let change = if unmarked > 0 {
                Change::Unmarked
            } else {
                Change::Marked
            };
            let entry =
                write_watch_state(conn, before, &episodes, run, status, Utc::now(), change).await?;
            Ok((entry, unmarked))
        })
    })
    .await?;
    Ok(pb::UnmarkEpisodesWatchedResponse {
        list_entry: Some(entry),
        unmarked_count: i32::try_from(unmarked).unwrap_or(i32::MAX),
    })
}

/// The caller's entry locked for a change, and its show's episodes.
async fn locked(
    conn: &mut db::Conn,
    user: Uuid,
    entry: Uuid,
) -> Result<(Entry, Vec<Episode>), Error> {
    let entry = db::entries::find_for_update(conn, user, entry)
        .await?
        .ok_or(Error::ListEntryNotFound)?;
    let episodes = db::episodes::list(conn, entry.item.id).await?;
    Ok((entry, episodes))
}

/// What a call did to the run's watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    /// Marked some (or none): the entry may start or complete.
    Marked,
    /// Unmarked some: a completed entry may be taken back.
    Unmarked,
}

/// Writes what the run's watches make of `before` (always: every open
/// device hears of the change), recording the run it completes, if any;
/// answers the entry as the caller sees it.
async fn write_watch_state(
    conn: &mut db::Conn,
    before: Entry,
    episodes: &[Episode],
    run: i32,
    status: ShowStatus,
    at: DateTime<Utc>,
    change: Change,
) -> Result<pb::ListEntry, Error> {
    let seen = db::watches::seen(conn, before.id, run).await?;
    // What has aired is as of now; the watch time dates the entry.
    let summary = watching::Summary::of(episodes, &seen, status, Utc::now());
    let fields = watching::fields(&before.fields, &summary, at, change == Change::Unmarked);
    // An undone completion takes its run with it: completing again must
    // not count one viewing twice.
    let undone =
        before.fields.status == ListStatus::Completed && fields.status != ListStatus::Completed;
    if undone {
        db::runs::forget_completion(conn, before.id, before.fields.finish_date).await?;
    }
    let entry = db::entries::update(conn, before.id, before.item, &fields).await?;
    let entry = record_run(conn, entry, Some(&before.fields)).await?;
    let mut shown = pb::ListEntry::from(entry);
    shown.series_progress = Some(progress::progress(episodes, &summary));
    Ok(shown)
}

async fn find_entry(app: &App, user: Uuid, id: Uuid) -> Result<Entry, Error> {
    common_db::read(&app.pool, |conn| {
        Box::pin(db::entries::find(conn, user, id))
    })
    .await?
    .ok_or(Error::ListEntryNotFound)
}

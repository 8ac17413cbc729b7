//! The calendar: episodes airing for a user's planned and in-progress
//! entries, and the user's calendar feeds (their tokens kept as SHA-256).

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use diesel::{dsl::count_star, prelude::*};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult, episodes::EpisodeRow};
use crate::{
    domain::{Episode, ListStatus, MediaKind},
    schema::{calendar_feeds, episodes, list_entries, media_items},
};

/// A show on a user's calendar: their entry, and what the calendar shows
/// of the series.
#[derive(Debug)]
pub(crate) struct Show {
    pub(crate) entry_id: Uuid,
    pub(crate) item_id: Uuid,
    pub(crate) kind: MediaKind,
    pub(crate) title: String,
    pub(crate) image_url: String,
}

/// An episode airing for one of a user's entries.
#[derive(Clone, Debug)]
pub(crate) struct Airing {
    pub(crate) show: Arc<Show>,
    pub(crate) episode: Episode,
}

/// A window of time: timed episodes airing in `[from, to)`, all-day ones on
/// the days `first..=last`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub(crate) from: DateTime<Utc>,
    pub(crate) to: DateTime<Utc>,
    pub(crate) first: NaiveDate,
    pub(crate) last: NaiveDate,
}

/// What airs in `window` for `user`'s planned and in-progress series and
/// anime, by time (an all-day episode at the start of its day), at most
/// `limit`. Three small queries, each led by an index and sized by the
/// user's list, never the catalog: their entries, those entries' shows,
/// the shows' episodes in the window. (Joined, the planner read every
/// episode, or every series, on each call.)
pub(crate) async fn airing(
    conn: &mut Conn,
    user: Uuid,
    window: Window,
    limit: i64,
) -> QueryResult<Vec<Airing>> {
    let shows = followed_shows(conn, user).await?;
    if shows.is_empty() {
        return Ok(Vec::new());
    }
    let items: Vec<Uuid> = shows.keys().copied().collect();
    // A day's start anywhere is within a day of its start in UTC.
    let (near_from, near_to) = (
        window.from - TimeDelta::days(2),
        window.to + TimeDelta::days(2),
    );
    let episodes: Vec<(Uuid, EpisodeRow)> = episodes::table
        .filter(episodes::media_item_id.eq_any(items))
        .filter(episodes::missing_upstream.eq(false))
        .filter(episodes::airs_at.ge(near_from))
        .filter(episodes::airs_at.lt(near_to))
        .filter(
            episodes::air_time
                .ge(window.from)
                .and(episodes::air_time.lt(window.to))
                .or(episodes::air_time
                    .is_null()
                    .and(episodes::air_date.ge(window.first))
                    .and(episodes::air_date.le(window.last))),
        )
        .order((episodes::airs_at, episodes::id))
        .limit(limit)
        .select((episodes::media_item_id, EpisodeRow::as_select()))
        .load(conn)
        .await?;
    Ok(episodes
        .into_iter()
        .filter_map(|(item, episode)| {
            Some(Airing {
                show: shows.get(&item)?.clone(),
                episode: episode.into(),
            })
        })
        .collect())
}

/// `user`'s planned and in-progress series and anime, by item id.
async fn followed_shows(conn: &mut Conn, user: Uuid) -> QueryResult<HashMap<Uuid, Arc<Show>>> {
    let entries: HashMap<Uuid, Uuid> = list_entries::table
        .filter(list_entries::user_id.eq(user))
        .filter(list_entries::status.eq_any([ListStatus::Planned, ListStatus::InProgress]))
        .select((list_entries::media_item_id, list_entries::id))
        .load::<(Uuid, Uuid)>(conn)
        .await?
        .into_iter()
        .collect();
    let items: Vec<Uuid> = entries.keys().copied().collect();
    let shows = media_items::table
        .filter(media_items::id.eq_any(items))
        .filter(media_items::kind.eq_any([MediaKind::Series, MediaKind::Anime]))
        .select((
            media_items::id,
            media_items::kind,
            media_items::title,
            media_items::image_url,
        ))
        .load::<(Uuid, MediaKind, String, String)>(conn)
        .await?;
    Ok(shows
        .into_iter()
        .filter_map(|(item_id, kind, title, image_url)| {
            let show = Show {
                entry_id: *entries.get(&item_id)?,
                item_id,
                kind,
                title,
                image_url,
            };
            Some((item_id, Arc::new(show)))
        })
        .collect())
}

/// A calendar feed, without its token.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = calendar_feeds, check_for_backend(diesel::pg::Pg))]
pub(crate) struct Feed {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) last_read_at: Option<DateTime<Utc>>,
}

/// `user`'s feeds, oldest first.
pub(crate) async fn feeds(conn: &mut Conn, user: Uuid) -> QueryResult<Vec<Feed>> {
    calendar_feeds::table
        .filter(calendar_feeds::user_id.eq(user))
        .order((calendar_feeds::created_at, calendar_feeds::id))
        .select(Feed::as_select())
        .load(conn)
        .await
}

/// How many feeds `user` has, under a lock of theirs held until commit:
/// their feeds are created one at a time, so the limit holds.
pub(crate) async fn lock_count(conn: &mut Conn, user: Uuid) -> QueryResult<i64> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 21))")
        .bind::<diesel::sql_types::Uuid, _>(user)
        .execute(conn)
        .await?;
    calendar_feeds::table
        .filter(calendar_feeds::user_id.eq(user))
        .select(count_star())
        .first(conn)
        .await
}

pub(crate) async fn insert(
    conn: &mut Conn,
    user: Uuid,
    name: &str,
    token_hash: &[u8],
) -> QueryResult<Feed> {
    diesel::insert_into(calendar_feeds::table)
        .values((
            calendar_feeds::id.eq(Uuid::now_v7()),
            calendar_feeds::user_id.eq(user),
            calendar_feeds::name.eq(name),
            calendar_feeds::token_hash.eq(token_hash),
        ))
        .returning(Feed::as_returning())
        .get_result(conn)
        .await
}

pub(crate) async fn delete(conn: &mut Conn, user: Uuid, id: Uuid) -> QueryResult<bool> {
    let deleted = diesel::delete(
        calendar_feeds::table
            .filter(calendar_feeds::id.eq(id))
            .filter(calendar_feeds::user_id.eq(user)),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

/// The owner of the feed whose token hashes to `token_hash`, noting that
/// it was read (at most once an hour, so reads stay reads).
pub(crate) async fn owner(conn: &mut Conn, token_hash: &[u8]) -> QueryResult<Option<Uuid>> {
    let found: Option<(Uuid, Uuid, Option<DateTime<Utc>>)> = calendar_feeds::table
        .filter(calendar_feeds::token_hash.eq(token_hash))
        .select((
            calendar_feeds::id,
            calendar_feeds::user_id,
            calendar_feeds::last_read_at,
        ))
        .first(conn)
        .await
        .optional()?;
    let Some((id, user, last_read)) = found else {
        return Ok(None);
    };
    let now = Utc::now();
    if last_read.is_none_or(|at| at < now - TimeDelta::hours(1)) {
        diesel::update(calendar_feeds::table.find(id))
            .set(calendar_feeds::last_read_at.eq(now))
            .execute(conn)
            .await?;
    }
    Ok(Some(user))
}

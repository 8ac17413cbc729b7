//! Users' watches of episodes, one row per watch, each in a run of its
//! entry. Every query goes through the user's entry, so no one reaches
//! another's watches.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use completionist_common::sql::prepared;
use diesel::{dsl::count_star, prelude::*};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::{
    domain::{EpisodeWatch, ListStatus},
    schema::{episode_watches, episodes, list_entries, media_items},
};

/// What one entry's watches say of one episode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    /// Watches over every run.
    pub(crate) count: i64,
    /// Watched in the current run.
    pub(crate) in_run: bool,
    pub(crate) last: Option<DateTime<Utc>>,
}

/// Begins the next run of entry `entry` (a rewatch).
pub(crate) async fn begin_run(conn: &mut Conn, entry: Uuid) -> QueryResult<()> {
    diesel::update(list_entries::table.find(entry))
        .set(list_entries::current_run.eq(list_entries::current_run + 1))
        .execute(conn)
        .await
        .map(drop)
}

/// Each watched episode of entry `entry`, as of run `run`, counted in SQL.
pub(crate) async fn seen(
    conn: &mut Conn,
    entry: Uuid,
    run: i32,
) -> QueryResult<HashMap<Uuid, Seen>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        episode_id: Uuid,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        in_run: bool,
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        last: DateTime<Utc>,
    }
    let rows: Vec<Row> = prepared("SELECT episode_id, count(*) AS count, bool_or(run = ")
        .bind::<diesel::sql_types::Integer, _>(run)
        .sql(
            ") AS in_run, max(watched_at) AS last \
             FROM episode_watches WHERE list_entry_id = ",
        )
        .bind::<diesel::sql_types::Uuid, _>(entry)
        .sql(" GROUP BY episode_id")
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let seen = Seen {
                count: r.count,
                in_run: r.in_run,
                last: Some(r.last),
            };
            (r.episode_id, seen)
        })
        .collect())
}

/// The episodes each of `entries` has watched in its current run.
pub(crate) async fn in_current_runs(
    conn: &mut Conn,
    entries: &[Uuid],
) -> QueryResult<HashMap<Uuid, HashMap<Uuid, Seen>>> {
    let rows: Vec<(Uuid, Uuid)> = episode_watches::table
        .inner_join(list_entries::table)
        .filter(episode_watches::list_entry_id.eq_any(entries))
        .filter(episode_watches::run.eq(list_entries::current_run))
        .select((episode_watches::list_entry_id, episode_watches::episode_id))
        .load(conn)
        .await?;
    let mut seen: HashMap<Uuid, HashMap<Uuid, Seen>> = HashMap::new();
    for (entry, episode) in rows {
        let in_run = Seen {
            count: 1,
            in_run: true,
            last: None,
        };
        seen.entry(entry).or_default().insert(episode, in_run);
    }
    Ok(seen)
}

/// Records `episodes` watched at `at` in run `run` of `user`'s entry
/// `entry`; one already watched in that run is left alone. Answers how
/// many were recorded.
pub(crate) async fn insert(
    conn: &mut Conn,
    user: Uuid,
    entry: Uuid,
    run: i32,
    episodes: &[Uuid],
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    use diesel::sql_types::{Array, Integer, Timestamptz, Uuid as SqlUuid};
    if episodes.is_empty() {
        return Ok(0);
    }
    // One text for any number of episodes, so it stays prepared.
    let ids: Vec<Uuid> = episodes.iter().map(|_| Uuid::now_v7()).collect();
    prepared(
        "INSERT INTO episode_watches (id, user_id, list_entry_id, episode_id, run, watched_at) \
         SELECT w.id, ",
    )
    .bind::<SqlUuid, _>(user)
    .sql(", ")
    .bind::<SqlUuid, _>(entry)
    .sql(", w.episode_id, ")
    .bind::<Integer, _>(run)
    .sql(", ")
    .bind::<Timestamptz, _>(at)
    .sql(" FROM unnest(")
    .bind::<Array<SqlUuid>, _>(ids)
    .sql(", ")
    .bind::<Array<SqlUuid>, _>(episodes)
    .sql(") AS w(id, episode_id) ON CONFLICT DO NOTHING")
    .execute(conn)
    .await
}

/// Forgets run `run`'s watches of `episodes` in entry `entry`; answers how
/// many.
pub(crate) async fn delete(
    conn: &mut Conn,
    entry: Uuid,
    run: i32,
    episodes: &[Uuid],
) -> QueryResult<usize> {
    diesel::delete(
        episode_watches::table
            .filter(episode_watches::list_entry_id.eq(entry))
            .filter(episode_watches::run.eq(run))
            .filter(episode_watches::episode_id.eq_any(episodes)),
    )
    .execute(conn)
    .await
}

/// Takes back to in progress the completed entries of `item` that have not
/// watched every one of `added` (new regular episodes) in their run.
pub(crate) async fn reopen_completed(
    conn: &mut Conn,
    item: Uuid,
    added: &[Uuid],
) -> QueryResult<usize> {
    let entries: Vec<(Uuid, i32, Option<chrono::NaiveDate>)> = list_entries::table
        .filter(list_entries::media_item_id.eq(item))
        .filter(list_entries::status.eq(ListStatus::Completed))
        .select((
            list_entries::id,
            list_entries::current_run,
            list_entries::finish_date,
        ))
        .for_update()
        .load(conn)
        .await?;
    let mut reopened = 0;
    for (entry, run, finished) in entries {
        let watched: i64 = episode_watches::table
            .filter(episode_watches::list_entry_id.eq(entry))
            .filter(episode_watches::run.eq(run))
            .filter(episode_watches::episode_id.eq_any(added))
            .select(count_star())
            .first(conn)
            .await?;
        if usize::try_from(watched).unwrap_or(0) < added.len() {
            // The run goes on: completing it again records it once.
            super::runs::forget_completion(conn, entry, finished).await?;
            reopened += diesel::update(list_entries::table.find(entry))
                .set((
                    list_entries::status.eq(ListStatus::InProgress),
                    list_entries::finish_date.eq(None::<chrono::NaiveDate>),
                    list_entries::updated_at.eq(Utc::now()),
                ))
                .execute(conn)
                .await?;
        }
    }
    Ok(reopened)
}

/// A page of `user`'s watches (of entry `entry`, or all), newest first,
/// after `after` (a watch time and id).
pub(crate) async fn history(
    conn: &mut Conn,
    user: Uuid,
    entry: Option<Uuid>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<EpisodeWatch>> {
    let mut query = episode_watches::table
        .inner_join(episodes::table)
        .inner_join(list_entries::table.inner_join(media_items::table))
        .filter(episode_watches::user_id.eq(user))
        .into_boxed();
    if let Some(entry) = entry {
        query = query.filter(episode_watches::list_entry_id.eq(entry));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            episode_watches::watched_at
                .lt(at)
                .or(episode_watches::watched_at
                    .eq(at)
                    .and(episode_watches::id.lt(id))),
        );
    }
    let rows: Vec<WatchRow> = query
        .order((
            episode_watches::watched_at.desc(),
            episode_watches::id.desc(),
        ))
        .limit(limit)
        .select(watch_columns())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(watch).collect())
}

type WatchRow = (
    Uuid,
    Uuid,
    i32,
    DateTime<Utc>,
    String,
    super::episodes::EpisodeRow,
);

/// The columns of a [`WatchRow`], for every query that reads watches.
type WatchColumns = (
    episode_watches::id,
    episode_watches::list_entry_id,
    episode_watches::run,
    episode_watches::watched_at,
    media_items::title,
    diesel::dsl::AsSelect<super::episodes::EpisodeRow, diesel::pg::Pg>,
);

fn watch_columns() -> WatchColumns {
    (
        episode_watches::id,
        episode_watches::list_entry_id,
        episode_watches::run,
        episode_watches::watched_at,
        media_items::title,
        super::episodes::EpisodeRow::as_select(),
    )
}

fn watch(row: WatchRow) -> EpisodeWatch {
    let (id, entry_id, run, watched_at, series_title, episode) = row;
    EpisodeWatch {
        id,
        entry_id,
        series_title,
        episode: episode.into(),
        run,
        watched_at,
    }
}

/// Every watch of `entries`, for an export: oldest first.
pub(crate) async fn of_entries(
    conn: &mut Conn,
    entries: &[Uuid],
) -> QueryResult<Vec<EpisodeWatch>> {
    let rows: Vec<WatchRow> = episode_watches::table
        .inner_join(episodes::table)
        .inner_join(list_entries::table.inner_join(media_items::table))
        .filter(episode_watches::list_entry_id.eq_any(entries))
        .order((episode_watches::watched_at, episode_watches::id))
        .select(watch_columns())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(watch).collect())
}

//! Series' episodes. A refresh writes a show's whole list in one
//! transaction; an episode the provider stops listing is flagged, never
//! deleted (its watches stay).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    dsl::sql,
    prelude::*,
    sql_types::{Bool, Timestamptz},
    upsert::excluded,
};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::{
    domain::{Episode, ShowStatus},
    providers::{EpisodeInfo, ShowEpisodes},
    schema::{episode_sources, episodes, media_items},
};

#[derive(Queryable, Selectable)]
#[diesel(table_name = episodes, check_for_backend(diesel::pg::Pg))]
pub(super) struct EpisodeRow {
    id: Uuid,
    season: i32,
    number: Option<i32>,
    special: bool,
    title: String,
    air_date: Option<NaiveDate>,
    air_time: Option<DateTime<Utc>>,
    runtime_minutes: Option<i32>,
    missing_upstream: bool,
    updated_at: DateTime<Utc>,
}

impl From<EpisodeRow> for Episode {
    fn from(row: EpisodeRow) -> Self {
        let EpisodeRow {
            id,
            season,
            number,
            special,
            title,
            air_date,
            air_time,
            runtime_minutes,
            missing_upstream,
            updated_at,
        } = row;
        Self {
            id,
            season,
            number,
            special,
            title,
            air_date,
            air_time,
            runtime_minutes,
            missing_upstream,
            updated_at,
        }
    }
}

/// The episodes of `item`, in order: by season, then number, specials
/// after a season's numbered episodes by air date.
pub(crate) async fn list(conn: &mut Conn, item: Uuid) -> QueryResult<Vec<Episode>> {
    let rows: Vec<EpisodeRow> = episodes::table
        .filter(episodes::media_item_id.eq(item))
        .order((
            episodes::season,
            episodes::number.asc().nulls_last(),
            episodes::air_date.asc().nulls_last(),
            episodes::provider_id,
        ))
        .select(EpisodeRow::as_select())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The episodes of `items`, each list in order (as [`list`]), with each
/// show's status.
pub(crate) async fn of_items(
    conn: &mut Conn,
    items: &[Uuid],
) -> QueryResult<HashMap<Uuid, (ShowStatus, Vec<Episode>)>> {
    let mut shows: HashMap<Uuid, (ShowStatus, Vec<Episode>)> = episode_sources::table
        .filter(episode_sources::media_item_id.eq_any(items))
        .filter(episode_sources::refreshed_at.is_not_null())
        .select((episode_sources::media_item_id, episode_sources::show_status))
        .load::<(Uuid, ShowStatus)>(conn)
        .await?
        .into_iter()
        .map(|(item, status)| (item, (status, Vec::new())))
        .collect();
    if shows.is_empty() {
        return Ok(shows);
    }
    let items: Vec<Uuid> = shows.keys().copied().collect();
    let rows: Vec<(Uuid, EpisodeRow)> = episodes::table
        .filter(episodes::media_item_id.eq_any(items))
        .order((
            episodes::media_item_id,
            episodes::season,
            episodes::number.asc().nulls_last(),
            episodes::air_date.asc().nulls_last(),
            episodes::provider_id,
        ))
        .select((episodes::media_item_id, EpisodeRow::as_select()))
        .load(conn)
        .await?;
    for (item, row) in rows {
        if let Some((_, list)) = shows.get_mut(&item) {
            list.push(row.into());
        }
    }
    Ok(shows)
}

#[derive(Insertable)]
#[diesel(table_name = episodes)]
struct NewEpisode<'a> {
    id: Uuid,
    media_item_id: Uuid,
    provider_id: &'a str,
    season: i32,
    number: Option<i32>,
    special: bool,
    title: &'a str,
    air_date: Option<NaiveDate>,
    air_time: Option<DateTime<Utc>>,
    runtime_minutes: Option<i32>,
    missing_upstream: bool,
}

impl<'a> NewEpisode<'a> {
    fn of(item: Uuid, info: &'a EpisodeInfo) -> Self {
        Self {
            id: Uuid::now_v7(),
            media_item_id: item,
            provider_id: &info.provider_id,
            season: info.season,
            number: info.number,
            special: info.special,
            title: &info.title,
            air_date: info.air_date,
            air_time: info.air_time,
            runtime_minutes: info.runtime_minutes,
            missing_upstream: false,
        }
    }
}

/// An episode row changes its `updated_at` only when something of it
/// changed: calendar feeds stay byte for byte the same otherwise. And when
/// anything a feed shows of it changes: the feeds' `EventCache`
/// (`calendar/events.rs`) writes an event again only then. A new column a
/// feed shows belongs in this list.
const CHANGED_AT: &str = "CASE WHEN (episodes.season, episodes.number, episodes.special, \
     episodes.title, episodes.air_date, episodes.air_time, episodes.runtime_minutes, \
     episodes.missing_upstream) IS DISTINCT FROM (EXCLUDED.season, EXCLUDED.number, \
     EXCLUDED.special, EXCLUDED.title, EXCLUDED.air_date, EXCLUDED.air_time, \
     EXCLUDED.runtime_minutes, false) THEN now() ELSE episodes.updated_at END";

/// Writes `show` as `item`'s episodes, and when to refresh it next; entries
/// completed before new regular episodes appeared are watched again. Run
/// in a transaction.
pub(crate) async fn store(
    conn: &mut Conn,
    item: Uuid,
    show: &ShowEpisodes,
    next_due: DateTime<Utc>,
) -> QueryResult<()> {
    let before = episode_sources::table
        .find(item)
        .select(episode_sources::refreshed_at)
        .for_update()
        .first::<Option<DateTime<Utc>>>(conn)
        .await
        .optional()?
        .flatten();
    let added = upsert(conn, item, &show.episodes).await?;
    let listed: Vec<&str> = show
        .episodes
        .iter()
        .map(|e| e.provider_id.as_str())
        .collect();
    diesel::update(episodes::table)
        .filter(episodes::media_item_id.eq(item))
        .filter(episodes::missing_upstream.eq(false))
        .filter(episodes::provider_id.ne_all(&listed))
        .set((
            episodes::missing_upstream.eq(true),
            episodes::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    diesel::update(episode_sources::table.find(item))
        .set((
            episode_sources::show_id.eq(&show.show_id),
            episode_sources::show_status.eq(show.status),
            episode_sources::refreshed_at.eq(Utc::now()),
            episode_sources::refresh_due_at.eq(next_due),
            episode_sources::fetching_until.eq(None::<DateTime<Utc>>),
            episode_sources::failures.eq(0),
            episode_sources::last_failure.eq(""),
        ))
        .execute(conn)
        .await?;
    super::pending_watches::match_pending(conn, &[item]).await?;
    let regular = show.episodes.iter().filter(|e| !e.special).count();
    if regular > 0 {
        diesel::update(media_items::table.find(item))
            .set(media_items::total_units.eq(i32::try_from(regular).unwrap_or(i32::MAX)))
            .execute(conn)
            .await?;
    }
    // New episodes of a show someone had finished: the entry is watched
    // again from where it was (a show seen for the first time is not new).
    if before.is_some() && !added.is_empty() {
        super::watches::reopen_completed(conn, item, &added).await?;
    }
    Ok(())
}

/// Writes `list` as episodes of `item`, each by its provider id; answers
/// the regular episodes that are new.
async fn upsert(conn: &mut Conn, item: Uuid, list: &[EpisodeInfo]) -> QueryResult<Vec<Uuid>> {
    let mut added = Vec::new();
    for chunk in list.chunks(1000) {
        let rows: Vec<NewEpisode<'_>> = chunk.iter().map(|e| NewEpisode::of(item, e)).collect();
        let written: Vec<(Uuid, bool, bool)> = diesel::insert_into(episodes::table)
            .values(&rows)
            .on_conflict((episodes::media_item_id, episodes::provider_id))
            .do_update()
            .set((
                episodes::season.eq(excluded(episodes::season)),
                episodes::number.eq(excluded(episodes::number)),
                episodes::special.eq(excluded(episodes::special)),
                episodes::title.eq(excluded(episodes::title)),
                episodes::air_date.eq(excluded(episodes::air_date)),
                episodes::air_time.eq(excluded(episodes::air_time)),
                episodes::runtime_minutes.eq(excluded(episodes::runtime_minutes)),
                episodes::updated_at.eq(sql::<Timestamptz>(CHANGED_AT)),
                episodes::missing_upstream.eq(false),
            ))
            .returning((episodes::id, episodes::special, sql::<Bool>("xmax = 0")))
            .get_results(conn)
            .await?;
        added.extend(
            written
                .into_iter()
                .filter(|(_, special, inserted)| *inserted && !special)
                .map(|(id, ..)| id),
        );
    }
    Ok(added)
}

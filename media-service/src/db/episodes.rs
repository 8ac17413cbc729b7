//! Series' episodes and where they come from: which show, whether it still
//! airs, and when its episodes are fetched again. A refresh writes a
//! show's whole list in one transaction; an episode the provider stops
//! listing is flagged, never deleted (its watches stay).

use std::time::Duration;

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
    domain::{Episode, MediaKind, Reference, ShowStatus, Source},
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

/// What is known of a show's episodes.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = episode_sources, check_for_backend(diesel::pg::Pg))]
pub(crate) struct SourceState {
    #[diesel(column_name = show_status)]
    pub(crate) status: ShowStatus,
    pub(crate) refreshed_at: Option<DateTime<Utc>>,
}

/// A show whose refresh a replica has claimed.
#[derive(Clone, Debug)]
pub(crate) struct Claimed {
    pub(crate) item_id: Uuid,
    pub(crate) reference: Reference,
    pub(crate) show_id: Option<String>,
    pub(crate) failures: i32,
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

/// Where `item`'s episodes stand; `None` for items without episodes.
pub(crate) async fn source(conn: &mut Conn, item: Uuid) -> QueryResult<Option<SourceState>> {
    episode_sources::table
        .find(item)
        .select(SourceState::as_select())
        .first(conn)
        .await
        .optional()
}

/// Claims `item` for a fetch now, for `lease`, unless another fetch of it
/// holds it; answers its show id and failures so far.
pub(crate) async fn claim(
    conn: &mut Conn,
    item: Uuid,
    lease: Duration,
) -> QueryResult<Option<(Option<String>, i32)>> {
    let until = Utc::now() + lease;
    diesel::update(episode_sources::table.find(item))
        .filter(
            episode_sources::fetching_until
                .is_null()
                .or(episode_sources::fetching_until.lt(diesel::dsl::now)),
        )
        .set(episode_sources::fetching_until.eq(until))
        .returning((episode_sources::show_id, episode_sources::failures))
        .get_result(conn)
        .await
        .optional()
}

/// Claims up to `batch` shows whose refresh is due and that someone
/// tracks, each for `lease`: another replica skips them meanwhile.
pub(crate) async fn claim_due(
    conn: &mut Conn,
    batch: i64,
    lease: Duration,
) -> QueryResult<Vec<Claimed>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        media_item_id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        show_id: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        failures: i32,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "UPDATE episode_sources SET fetching_until = now() + make_interval(secs => $2) \
         WHERE media_item_id IN ( \
             SELECT s.media_item_id FROM episode_sources s \
             WHERE s.refresh_due_at <= now() \
               AND (s.fetching_until IS NULL OR s.fetching_until < now()) \
               AND EXISTS (SELECT 1 FROM list_entries e WHERE e.media_item_id = s.media_item_id) \
             ORDER BY s.refresh_due_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING media_item_id, show_id, failures",
    )
    .bind::<diesel::sql_types::BigInt, _>(batch)
    .bind::<diesel::sql_types::Double, _>(lease.as_secs_f64())
    .load(conn)
    .await?;
    let claimed: Vec<(Uuid, Option<String>, i32)> = rows
        .into_iter()
        .map(|r| (r.media_item_id, r.show_id, r.failures))
        .collect();
    let ids: Vec<Uuid> = claimed.iter().map(|(id, ..)| *id).collect();
    let items: Vec<(Uuid, Source, MediaKind, Option<String>)> = media_items::table
        .filter(media_items::id.eq_any(&ids))
        .select((
            media_items::id,
            media_items::source,
            media_items::kind,
            media_items::external_id,
        ))
        .load(conn)
        .await?;
    Ok(claimed
        .into_iter()
        .filter_map(|(item_id, show_id, failures)| {
            let (_, source, kind, external_id) = items.iter().find(|(id, ..)| *id == item_id)?;
            Some(Claimed {
                item_id,
                reference: Reference {
                    source: *source,
                    kind: *kind,
                    external_id: external_id.clone()?,
                },
                show_id,
                failures,
            })
        })
        .collect())
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
/// changed: calendar feeds stay byte for byte the same otherwise.
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
    super::watches::settle_pending(conn, &[item]).await?;
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

/// Records that the provider has no episode list for `item`: asked again
/// after `next_due`.
pub(crate) async fn store_not_found(
    conn: &mut Conn,
    item: Uuid,
    next_due: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(episode_sources::table.find(item))
        .set((
            episode_sources::show_status.eq(ShowStatus::NotFound),
            episode_sources::refreshed_at.eq(Utc::now()),
            episode_sources::refresh_due_at.eq(next_due),
            episode_sources::fetching_until.eq(None::<DateTime<Utc>>),
            episode_sources::failures.eq(0),
            episode_sources::last_failure.eq(""),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Records a failed refresh of `item`: tried again after `next_due`.
pub(crate) async fn store_failure(
    conn: &mut Conn,
    item: Uuid,
    detail: &str,
    next_due: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(episode_sources::table.find(item))
        .set((
            episode_sources::failures.eq(episode_sources::failures + 1),
            episode_sources::last_failure.eq(detail),
            episode_sources::refresh_due_at.eq(next_due),
            episode_sources::fetching_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

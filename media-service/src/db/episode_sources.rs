//! Where series' episodes come from and when they are fetched again: a
//! show's provider id and status, its schedule, and the lease of the
//! replica fetching it (see `series::refresh`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::{
    domain::{MediaKind, Reference, ShowStatus, Source},
    schema::{episode_sources, media_items},
};

/// What is known of a show's episodes.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = episode_sources, check_for_backend(diesel::pg::Pg))]
pub(crate) struct SourceState {
    #[diesel(column_name = show_status)]
    pub(crate) status: ShowStatus,
    pub(crate) refreshed_at: Option<DateTime<Utc>>,
    /// While a replica fetches it.
    pub(crate) fetching_until: Option<DateTime<Utc>>,
    /// When it is fetched next (again, after a failure).
    pub(crate) refresh_due_at: DateTime<Utc>,
}

/// A show whose refresh a replica has claimed.
#[derive(Clone, Debug)]
pub(crate) struct Claimed {
    pub(crate) item_id: Uuid,
    pub(crate) reference: Reference,
    pub(crate) show_id: Option<String>,
    pub(crate) failures: i32,
    /// The end of the claim's lease, as stored: what tells this claim
    /// from a later one of the same show ([`release`]).
    pub(crate) until: DateTime<Utc>,
}

/// Makes `item`'s episodes due (as putting it on a list does), unless they
/// are tracked already.
pub(crate) async fn track(conn: &mut Conn, item: Uuid) -> QueryResult<()> {
    diesel::insert_into(episode_sources::table)
        .values(episode_sources::media_item_id.eq(item))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
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

/// Claims `item`, never fetched, for a fetch now, for `lease`, unless
/// another fetch of it holds it or its last failure's backoff has not
/// passed; answers its show id, failures so far and the lease's end.
pub(crate) async fn claim(
    conn: &mut Conn,
    item: Uuid,
    lease: Duration,
) -> QueryResult<Option<(Option<String>, i32, DateTime<Utc>)>> {
    use chrono::SubsecRound;
    // To the microsecond, as stored, so that it tells this claim apart.
    let until = (Utc::now() + lease).trunc_subsecs(6);
    diesel::update(episode_sources::table.find(item))
        .filter(episode_sources::refreshed_at.is_null())
        .filter(episode_sources::refresh_due_at.le(diesel::dsl::now))
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
        .map(|claimed| claimed.map(|(show, failures)| (show, failures, until)))
}

/// Gives back `claims` (items with their leases' ends), not fetched after
/// all (the replica is stopping): another replica may take them at once
/// instead of when their lease ends. A claim taken over since (its lease
/// ran out) is left to its new holder.
pub(crate) async fn release(conn: &mut Conn, claims: &[(Uuid, DateTime<Utc>)]) -> QueryResult<()> {
    for (item, until) in claims {
        diesel::update(
            episode_sources::table
                .find(item)
                .filter(episode_sources::fetching_until.eq(until)),
        )
        .set(episode_sources::fetching_until.eq(None::<DateTime<Utc>>))
        .execute(conn)
        .await?;
    }
    Ok(())
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
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        fetching_until: DateTime<Utc>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "UPDATE episode_sources SET fetching_until = now() + make_interval(secs => $2) \
         WHERE media_item_id IN ( \
             SELECT s.media_item_id FROM episode_sources s \
             WHERE s.refresh_due_at <= now() \
               AND (s.fetching_until IS NULL OR s.fetching_until < now()) \
               AND EXISTS (SELECT 1 FROM list_entries e WHERE e.media_item_id = s.media_item_id) \
             ORDER BY s.refresh_due_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING media_item_id, show_id, failures, fetching_until",
    )
    .bind::<diesel::sql_types::BigInt, _>(batch)
    .bind::<diesel::sql_types::Double, _>(lease.as_secs_f64())
    .load(conn)
    .await?;
    let claimed: Vec<(Uuid, Option<String>, i32, DateTime<Utc>)> = rows
        .into_iter()
        .map(|r| (r.media_item_id, r.show_id, r.failures, r.fetching_until))
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
        .filter_map(|(item_id, show_id, failures, until)| {
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
                until,
            })
        })
        .collect())
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

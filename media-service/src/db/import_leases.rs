//! Who applies an import job: a worker claims it under a holder id of its
//! own for a lease it keeps renewing; only the holder applies a batch, and
//! a failed attempt lets the job go for a backoff or ends it FAILED.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, Int4, Text, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::{
    schema::import_jobs,
    transfers::{JobState, Policy},
};

/// A job taken by a worker: only `holder` may apply its rows, for as long
/// as it renews the lease.
#[derive(Clone, Copy, Debug, QueryableByName)]
pub(crate) struct Claim {
    #[diesel(sql_type = SqlUuid, column_name = id)]
    pub(crate) job: Uuid,
    #[diesel(sql_type = SqlUuid, column_name = user_id)]
    pub(crate) user: Uuid,
    #[diesel(sql_type = Text, column_name = conflict_policy)]
    pub(crate) policy: Policy,
    #[diesel(sql_type = SqlUuid, column_name = lease_holder)]
    pub(crate) holder: Uuid,
}

/// Takes the oldest unfinished job nobody holds, for `lease`, under a new
/// holder id; `None` when there is none. Replicas never take the same job
/// at once: the row is locked with SKIP LOCKED while it is taken, and a
/// worker whose lease ran out finds another holder named when it next
/// renews or applies.
pub(crate) async fn claim(
    conn: &mut Conn,
    lease: Duration,
    skip: &[Uuid],
) -> QueryResult<Option<Claim>> {
    diesel::sql_query(
        "UPDATE import_jobs SET leased_until = now() + make_interval(secs => $1::float8 / 1000), \
                lease_holder = $3, state = 'running', updated_at = now() \
         WHERE id = (SELECT id FROM import_jobs \
                     WHERE state IN ('queued', 'running') \
                       AND (leased_until IS NULL OR leased_until < now()) \
                       AND NOT (id = ANY($2)) \
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, user_id, conflict_policy, lease_holder",
    )
    .bind::<Int4, _>(millis(lease))
    .bind::<Array<SqlUuid>, _>(skip)
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .get_result::<Claim>(conn)
    .await
    .optional()
}

fn millis(duration: Duration) -> i32 {
    i32::try_from(duration.as_millis()).unwrap_or(i32::MAX)
}

/// Whether `claim.holder` still holds the unfinished job, which stays
/// locked until the transaction ends: the test each batch passes before it
/// is applied.
pub(crate) async fn is_held(conn: &mut Conn, claim: Claim) -> QueryResult<bool> {
    import_jobs::table
        .find(claim.job)
        .filter(import_jobs::lease_holder.eq(claim.holder))
        .filter(import_jobs::state.eq_any([JobState::Queued, JobState::Running]))
        .select(import_jobs::id)
        .for_update()
        .first::<Uuid>(conn)
        .await
        .optional()
        .map(|held| held.is_some())
}

/// Holds the claimed job for another `lease`; false when its holder no
/// longer holds it (the lease ran out and another took it, or it ended).
pub(crate) async fn renew(conn: &mut Conn, claim: Claim, lease: Duration) -> QueryResult<bool> {
    // The database's clock, as `claim` reads it.
    diesel::sql_query(
        "UPDATE import_jobs SET leased_until = now() + make_interval(secs => $3::float8 / 1000) \
         WHERE id = $1 AND lease_holder = $2",
    )
    .bind::<SqlUuid, _>(claim.job)
    .bind::<SqlUuid, _>(claim.holder)
    .bind::<Int4, _>(millis(lease))
    .execute(conn)
    .await
    .map(|n| n == 1)
}

/// Lets go of the claimed job (a replica shutting down), so another takes
/// it now.
pub(crate) async fn release(conn: &mut Conn, claim: Claim) -> QueryResult<()> {
    diesel::update(import_jobs::table.find(claim.job))
        .filter(import_jobs::lease_holder.eq(claim.holder))
        .set((
            import_jobs::leased_until.eq(None::<DateTime<Utc>>),
            import_jobs::lease_holder.eq(None::<Uuid>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// How a failed attempt at a job is retried.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Retry {
    /// Failed attempts in a row that end the job.
    pub(crate) max_attempts: u32,
    /// The wait after the first failure; doubles with each one after.
    pub(crate) backoff: Duration,
    pub(crate) max_backoff: Duration,
}

/// Records that an attempt at the claimed job failed, and why: it is let
/// go until its backoff has passed, or ends FAILED when that was the last
/// attempt. Nothing when its holder no longer holds it.
pub(crate) async fn attempt_failed(
    conn: &mut Conn,
    claim: Claim,
    why: &str,
    retry: Retry,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE import_jobs SET \
           failed_attempts = failed_attempts + 1, failure = $3, \
           state = CASE WHEN failed_attempts + 1 >= $4 THEN 'failed' ELSE state END, \
           finished_at = CASE WHEN failed_attempts + 1 >= $4 THEN now() END, \
           leased_until = CASE WHEN failed_attempts + 1 >= $4 THEN NULL \
             ELSE now() + make_interval(secs => least($5::float8 * power(2, least(failed_attempts, 30)), $6::float8) / 1000) END, \
           lease_holder = NULL, updated_at = now() \
         WHERE id = $1 AND lease_holder = $2 AND state IN ('queued', 'running')",
    )
    .bind::<SqlUuid, _>(claim.job)
    .bind::<SqlUuid, _>(claim.holder)
    .bind::<Text, _>(why)
    .bind::<Int4, _>(i32::try_from(retry.max_attempts).unwrap_or(i32::MAX))
    .bind::<Int4, _>(millis(retry.backoff))
    .bind::<Int4, _>(millis(retry.max_backoff))
    .execute(conn)
    .await
    .map(drop)
}

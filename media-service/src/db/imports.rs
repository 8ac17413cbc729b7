//! Import jobs and their rows. A job's counts move only in the transaction
//! that records its rows' outcomes, so they always agree.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, Int4, Nullable, Text, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::{
    schema::{import_jobs, import_rows},
    transfers::{
        Counts, Job, JobState, Outcome, Policy, RowReport, RowResult,
        formats::{Format, Parsed},
    },
};

#[derive(Queryable, Selectable)]
#[diesel(table_name = import_jobs, check_for_backend(diesel::pg::Pg))]
struct JobRow {
    id: Uuid,
    user_id: Uuid,
    file_name: String,
    format: Format,
    conflict_policy: Policy,
    state: JobState,
    total_rows: i32,
    created_count: i32,
    updated_count: i32,
    unchanged_count: i32,
    skipped_count: i32,
    failed_count: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    failure: String,
}

impl From<JobRow> for Job {
    fn from(row: JobRow) -> Self {
        Self {
            id: row.id,
            user_id: row.user_id,
            file_name: row.file_name,
            format: row.format,
            policy: row.conflict_policy,
            state: row.state,
            total_rows: row.total_rows,
            counts: Counts {
                created: row.created_count,
                updated: row.updated_count,
                unchanged: row.unchanged_count,
                skipped: row.skipped_count,
                failed: row.failed_count,
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
            failure: row.failure,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = import_jobs)]
pub(crate) struct NewJob<'a> {
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) file_name: &'a str,
    pub(crate) format: Format,
    pub(crate) conflict_policy: Policy,
    pub(crate) state: JobState,
    pub(crate) total_rows: i32,
}

#[derive(Insertable)]
#[diesel(table_name = import_rows)]
pub(crate) struct NewRow {
    pub(crate) import_job_id: Uuid,
    pub(crate) row_number: i32,
    pub(crate) line: i32,
    pub(crate) file: String,
    pub(crate) title: String,
    pub(crate) record: Option<serde_json::Value>,
    pub(crate) message: String,
}

/// Rows stored by one statement: few enough that their records, built as
/// the statement is, never stand in memory for a whole file at once.
const ROWS_PER_INSERT: usize = 500;

/// Stores a job and all its rows, [`ROWS_PER_INSERT`] at a time.
pub(crate) async fn insert(
    conn: &mut Conn,
    job: NewJob<'_>,
    mut rows: impl Iterator<Item = NewRow> + Send,
) -> QueryResult<Job> {
    let job = diesel::insert_into(import_jobs::table)
        .values(&job)
        .returning(JobRow::as_returning())
        .get_result(conn)
        .await?;
    loop {
        let chunk: Vec<NewRow> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        if chunk.is_empty() {
            break;
        }
        diesel::insert_into(import_rows::table)
            .values(&chunk)
            .execute(conn)
            .await?;
    }
    Ok(job.into())
}

/// `user`'s job `id`.
pub(crate) async fn find(conn: &mut Conn, user: Uuid, id: Uuid) -> QueryResult<Option<Job>> {
    import_jobs::table
        .find(id)
        .filter(import_jobs::user_id.eq(user))
        .select(JobRow::as_select())
        .first(conn)
        .await
        .optional()
        .map(|row| row.map(Job::from))
}

/// Job `id`, locked until the transaction ends: the worker's batches and
/// CancelImport take turns.
pub(crate) async fn lock(conn: &mut Conn, id: Uuid) -> QueryResult<Job> {
    import_jobs::table
        .find(id)
        .select(JobRow::as_select())
        .for_update()
        .first(conn)
        .await
        .map(Job::from)
}

/// A page of `user`'s jobs, newest first.
pub(crate) async fn list(
    conn: &mut Conn,
    user: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<Job>> {
    use import_jobs::dsl as j;
    let mut query = import_jobs::table
        .filter(j::user_id.eq(user))
        .select(JobRow::as_select())
        .order((j::created_at.desc(), j::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            j::created_at
                .lt(at)
                .or(j::created_at.eq(at).and(j::id.lt(id))),
        );
    }
    Ok(query.load(conn).await?.into_iter().map(Job::from).collect())
}

/// Moves job `id` to `state` (finished now, if it finishes it).
pub(crate) async fn set_state(conn: &mut Conn, id: Uuid, state: JobState) -> QueryResult<Job> {
    let now = Utc::now();
    diesel::update(import_jobs::table.find(id))
        .set((
            import_jobs::state.eq(state),
            import_jobs::updated_at.eq(now),
            import_jobs::finished_at.eq(state.is_finished().then_some(now)),
            import_jobs::leased_until.eq(None::<DateTime<Utc>>),
            import_jobs::lease_holder.eq(None::<Uuid>),
            import_jobs::failure.eq(""),
        ))
        .returning(JobRow::as_returning())
        .get_result(conn)
        .await
        .map(Job::from)
}

/// A row still to apply: its number and what it was read as.
pub(crate) struct Pending {
    pub(crate) row: i32,
    pub(crate) parsed: Parsed,
}

/// The next `limit` rows of job `id` without an outcome, in row order.
pub(crate) async fn pending(conn: &mut Conn, id: Uuid, limit: i64) -> QueryResult<Vec<Pending>> {
    let rows: Vec<(i32, Option<serde_json::Value>, String)> = import_rows::table
        .filter(import_rows::import_job_id.eq(id))
        .filter(import_rows::outcome.is_null())
        .order(import_rows::row_number)
        .select((
            import_rows::row_number,
            import_rows::record,
            import_rows::message,
        ))
        .limit(limit)
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(row, record, message)| Pending {
            row,
            parsed: record
                .and_then(|json| serde_json::from_value(json).ok())
                .unwrap_or(Parsed::Failed(message)),
        })
        .collect())
}

/// Records outcomes of rows of job `id` and adds them to its counts; rows
/// that already have one are left alone (and not counted again).
pub(crate) async fn record(conn: &mut Conn, id: Uuid, results: &[RowResult]) -> QueryResult<()> {
    let rows: Vec<i32> = results.iter().map(|r| r.row).collect();
    let kinds: Vec<String> = results
        .iter()
        .map(|r| r.outcome.as_str().to_owned())
        .collect();
    let messages: Vec<&str> = results.iter().map(|r| r.message.as_str()).collect();
    let entries: Vec<Option<Uuid>> = results.iter().map(|r| r.entry).collect();
    diesel::sql_query(
        "WITH done AS ( \
           UPDATE import_rows r SET outcome = u.outcome, message = u.message, list_entry_id = u.entry \
           FROM unnest($2::int4[], $3::text[], $4::text[], $5::uuid[]) AS u(row_number, outcome, message, entry) \
           WHERE r.import_job_id = $1 AND r.row_number = u.row_number AND r.outcome IS NULL \
           RETURNING u.outcome) \
         UPDATE import_jobs SET \
           created_count = created_count + (SELECT count(*) FROM done WHERE outcome = 'created'), \
           updated_count = updated_count + (SELECT count(*) FROM done WHERE outcome = 'updated'), \
           unchanged_count = unchanged_count + (SELECT count(*) FROM done WHERE outcome = 'unchanged'), \
           skipped_count = skipped_count + (SELECT count(*) FROM done WHERE outcome = 'skipped'), \
           failed_count = failed_count + (SELECT count(*) FROM done WHERE outcome = 'failed'), \
           failed_attempts = 0, failure = '', updated_at = now() \
         WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Array<Int4>, _>(rows)
    .bind::<Array<Text>, _>(kinds)
    .bind::<Array<Text>, _>(messages)
    .bind::<Array<Nullable<SqlUuid>>, _>(entries)
    .execute(conn)
    .await
    .map(drop)
}

/// A row with its outcome, as `reports` reads it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = import_rows, check_for_backend(diesel::pg::Pg))]
struct ReportedRow {
    row_number: i32,
    line: i32,
    file: String,
    title: String,
    outcome: Option<Outcome>,
    message: String,
    list_entry_id: Option<Uuid>,
}

/// Deletes up to `limit` rows of jobs that finished before `before` (their
/// counts stay on the job); how many.
pub(crate) async fn prune_rows(
    conn: &mut Conn,
    before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM import_rows WHERE (import_job_id, row_number) IN ( \
           SELECT r.import_job_id, r.row_number FROM import_rows r \
           JOIN import_jobs j ON j.id = r.import_job_id \
           WHERE j.finished_at < $1 LIMIT $2)",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(before)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .execute(conn)
    .await
}

/// Outcomes of job `id` after row `after`, in row order. A watcher moves
/// `after` to the last row it was sent, so this holds only while outcomes
/// commit in row order: each batch settles a leading run of the pending
/// rows, never skipping one (`transfers::lookup`), and a job's batches take
/// turns under the job's row lock (`import_leases`). A change that let a
/// later row's outcome commit first would lose the earlier one to watchers.
pub(crate) async fn reports(
    conn: &mut Conn,
    id: Uuid,
    after: i32,
    limit: i64,
) -> QueryResult<Vec<RowReport>> {
    let rows: Vec<ReportedRow> = import_rows::table
        .filter(import_rows::import_job_id.eq(id))
        .filter(import_rows::row_number.gt(after))
        .filter(import_rows::outcome.is_not_null())
        .order(import_rows::row_number)
        .select(ReportedRow::as_select())
        .limit(limit)
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(RowReport {
                row: row.row_number,
                line: row.line,
                file: row.file,
                title: row.title,
                outcome: row.outcome?,
                message: row.message,
                entry_id: row.list_entry_id,
            })
        })
        .collect())
}

/// The seed of the advisory lock keyed by a user that each batch applied
/// to their list holds ("appl").
const BATCH_LOCK: i64 = 0x6170_706c;

/// Waits until no other batch is being applied to `user`'s list (from any
/// job, on any replica) and holds them off until the transaction ends: two
/// imports running at once would otherwise both find no custom item or
/// entry for a title, and both add one.
pub(crate) async fn lock_batches_of(conn: &mut Conn, user: Uuid) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, $2))")
        .bind::<SqlUuid, _>(user)
        .bind::<diesel::sql_types::BigInt, _>(BATCH_LOCK)
        .execute(conn)
        .await
        .map(drop)
}

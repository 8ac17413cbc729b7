//! Postgres through diesel-async and bb8: the pool, embedded migrations run
//! under an advisory lock, the database half of every service's errors, and
//! the health watch that reports NOT_SERVING while the database is away.

use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{
    AsyncConnection, AsyncPgConnection, RunQueryDsl,
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{AsyncDieselConnectionManager, bb8},
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use futures_util::future::BoxFuture;
use tonic::Code;

use crate::error::ApiError;

/// A pool of Postgres connections.
pub type Pool = bb8::Pool<AsyncPgConnection>;

/// A connection checked out of a [`Pool`].
pub type Conn<'a> = bb8::PooledConnection<'a, AsyncPgConnection>;

/// How many connections a pool keeps and how long a checkout may wait.
#[derive(Clone, Copy, Debug)]
pub struct PoolSize {
    pub max_connections: u32,
    /// Kept below the usual RPC deadline, so a starved pool answers
    /// UNAVAILABLE rather than the caller timing out.
    pub checkout_timeout: Duration,
}

impl Default for PoolSize {
    fn default() -> Self {
        Self {
            max_connections: 16,
            checkout_timeout: Duration::from_secs(3),
        }
    }
}

/// Builds a pool; connections are opened on demand, so a database that is
/// briefly away at start-up does not stop the service.
pub fn pool(url: &str, size: PoolSize) -> Pool {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
    ::bb8::Pool::builder()
        .max_size(size.max_connections)
        .connection_timeout(size.checkout_timeout)
        .test_on_check_out(false)
        .build_unchecked(manager)
}

/// Reports `pool` as metrics every few seconds while it runs (labelled
/// OpenTelemetry's way): connections in use and idle, calls that had to
/// wait for one, and those that gave up waiting.
pub async fn report_pool(pool: Pool) {
    use crate::metrics::name as metrics_name;
    let mut every = tokio::time::interval(Duration::from_secs(5));
    loop {
        every.tick().await;
        let state = pool.state();
        let used = state.connections.saturating_sub(state.idle_connections);
        metrics::gauge!(metrics_name::DB_CONNECTIONS, "db.client.connection.state" => "used")
            .set(f64::from(used));
        metrics::gauge!(metrics_name::DB_CONNECTIONS, "db.client.connection.state" => "idle")
            .set(f64::from(state.idle_connections));
        metrics::counter!(metrics_name::DB_WAITS).absolute(state.statistics.get_waited);
        metrics::counter!(metrics_name::DB_TIMEOUTS).absolute(state.statistics.get_timed_out);
    }
}

/// Runs `work` in a transaction on a task of its own that owns the
/// connection: a caller that cancels (deadline, disconnect) cannot cut a
/// multi-statement write in half, and the transaction commits or rolls back
/// as a whole.
pub async fn transaction<R, E, F>(pool: &Pool, work: F) -> Result<R, E>
where
    F: for<'r> FnOnce(&'r mut AsyncPgConnection) -> BoxFuture<'r, Result<R, E>> + Send + 'static,
    R: Send + 'static,
    E: From<DieselError> + From<DbError> + Send + 'static,
{
    let pool = pool.clone();
    tokio::spawn(async move {
        let mut conn = pool.get_owned().await.map_err(DbError::from)?;
        conn.transaction(async move |conn| work(conn).await).await
    })
    .await
    .map_err(|e| E::from(DbError::Task(e)))?
}

/// Fresh connections [`read`] may hold at once in a process: beside the
/// pools, so few that a restart of Postgres does not double the load of
/// the connections being taken back.
pub const FRESH_READS: usize = 8;

/// How long [`read`] waits for a fresh connection.
pub const FRESH_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Runs the read-only `work` on a pooled connection and, if that
/// connection turns out lost (the database restarted, or ended the
/// session), once more on a fresh connection of its own: a pool's idle
/// connections die together, and an idempotent read should not fail for
/// it. The retry connects outside the pool, within [`FRESH_CONNECT_TIMEOUT`],
/// at most [`FRESH_READS`] at a time in the process (past that, the read
/// answers UNAVAILABLE as it would have), and is closed after. Only for
/// work that is safe to run twice; `work` owns what it needs (as for
/// [`transaction`]), since it may run twice.
pub async fn read<R, F>(pool: &Pool, work: F) -> Result<R, DbError>
where
    F: for<'r> Fn(&'r mut AsyncPgConnection) -> BoxFuture<'r, Result<R, DieselError>>,
{
    {
        let mut conn = conn(pool).await?;
        match work(&mut conn).await {
            Err(error) if is_lost_connection(&error) => {
                tracing::info!(%error, "connection lost; reading again on a fresh one");
            }
            done => return done.map_err(DbError::from),
        }
    }
    static FRESH: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(FRESH_READS);
    let unavailable = |why: String| DbError::Unavailable(why);
    let _place = FRESH
        .try_acquire()
        .map_err(|_| unavailable("connection lost, and no fresh one to spare".into()))?;
    let mut fresh = tokio::time::timeout(FRESH_CONNECT_TIMEOUT, pool.dedicated_connection())
        .await
        .map_err(|_| unavailable("connection lost, and a fresh one timed out".into()))?
        .map_err(|e| unavailable(e.to_string()))?;
    work(&mut fresh).await.map_err(DbError::from)
}

/// Checks a connection out of the pool.
pub async fn conn(pool: &Pool) -> Result<Conn<'_>, DbError> {
    pool.get()
        .await
        .map_err(|e| DbError::Unavailable(e.to_string()))
}

/// Runs the pending embedded migrations. Replicas starting together take
/// turns: `run_pending_migrations` takes no lock of its own, so it runs under
/// a session advisory lock keyed by `lock_key`.
///
/// Needs a multi-threaded runtime (the harness uses `block_in_place`).
pub async fn migrate(
    url: &str,
    migrations: EmbeddedMigrations,
    lock_key: i64,
) -> Result<(), anyhow::Error> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(lock_key)
        .execute(&mut conn)
        .await?;
    let mut harness: AsyncConnectionWrapper<AsyncPgConnection> = AsyncConnectionWrapper::from(conn);
    let applied = tokio::task::block_in_place(|| {
        harness
            .run_pending_migrations(migrations)
            .map(|versions| versions.len())
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))
    })?;
    let mut conn: AsyncPgConnection = harness.into_inner();
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<diesel::sql_types::BigInt, _>(lock_key)
        .execute(&mut conn)
        .await?;
    tracing::info!(applied, "database migrated");
    Ok(())
}

/// The database side of a request failing.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had in time.
    #[error("the database is unavailable")]
    Unavailable(String),
    /// A query failed in a way the caller cannot fix.
    #[error("database query failed")]
    Query(#[source] DieselError),
    /// The task running a transaction panicked or was cancelled.
    #[error("database task failed")]
    Task(#[source] tokio::task::JoinError),
    /// The caller's account was deleted meanwhile: the database refuses
    /// to write for it again (a trigger says so).
    #[error("the account was deleted")]
    AccountDeleted,
    /// Postgres ended the transaction to let a concurrent one through (a
    /// deadlock broken, or a serialization failure): the same call again
    /// may well succeed.
    #[error(
        "the database ended this call's transaction to let a concurrent one through; try again"
    )]
    Conflict(#[source] DieselError),
}

impl From<DieselError> for DbError {
    fn from(error: DieselError) -> Self {
        if is_lost_connection(&error) {
            return Self::Unavailable(error.to_string());
        }
        if matches!(&error, DieselError::DatabaseError(_, info)
            if info.message() == ACCOUNT_DELETED)
        {
            return Self::AccountDeleted;
        }
        if is_conflict(&error) {
            return Self::Conflict(error);
        }
        Self::Query(error)
    }
}

/// What media-service's `refuse_removed_user` trigger raises.
const ACCOUNT_DELETED: &str = "the account was deleted";

/// Whether Postgres gave up on the transaction for another's sake: a
/// serialization failure (40001), or a deadlock it broke (40P01, whose
/// SQLSTATE diesel-async does not pass on: its message, in Postgres's
/// default English).
fn is_conflict(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            info.message() == "deadlock detected"
        }
        _ => false,
    }
}

/// Whether `error` says the connection went away (the server stopped or
/// restarted, or ended the session) rather than that the query was wrong:
/// the caller may try again, on another connection, and gets UNAVAILABLE.
fn is_lost_connection(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        )
        | DieselError::BrokenTransactionManager => true,
        // diesel-async does not pass the SQLSTATE on; these are the
        // messages of class 57 (operator intervention: 57P01 to 57P03),
        // as Postgres sends them in its default English.
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            [
                "terminating connection due to",
                "the database system is shutting down",
                "the database system is starting up",
                "the database system is in recovery mode",
                "the database system is not yet accepting connections",
            ]
            .iter()
            .any(|lost| message.starts_with(lost))
        }
        _ => false,
    }
}

impl From<bb8::RunError> for DbError {
    fn from(error: bb8::RunError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl ApiError for DbError {
    fn code(&self) -> Code {
        match self {
            Self::Unavailable(_) => Code::Unavailable,
            Self::AccountDeleted => Code::Unauthenticated,
            Self::Conflict(_) => Code::Aborted,
            Self::Query(_) | Self::Task(_) => Code::Internal,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "DATABASE_UNAVAILABLE",
            Self::AccountDeleted => "ACCOUNT_DELETED",
            Self::Conflict(_) => "TRANSACTION_CONFLICT",
            Self::Query(_) | Self::Task(_) => "INTERNAL",
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        matches!(self, Self::Unavailable(_) | Self::Conflict(_)).then_some(Duration::from_secs(1))
    }
}

/// Whether `error` is a unique violation of the named constraint: the one
/// place that turns such violations into client errors.
pub fn is_unique_violation(error: &DieselError, constraint: &str) -> bool {
    matches!(
        error,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some(constraint)
    )
}

/// Asks the database whether it answers, on a connection of its own: a
/// pool busy with work must not make a healthy service report NOT_SERVING
/// (and be taken out of rotation just when it is busiest).
pub struct Probe {
    url: String,
    conn: std::sync::Arc<tokio::sync::Mutex<Option<AsyncPgConnection>>>,
}

impl Probe {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            conn: std::sync::Arc::default(),
        }
    }

    /// Whether the database answers a trivial query within `timeout`; a
    /// connection that failed is opened again on the next ping.
    pub async fn ping(&self, timeout: Duration) -> Result<(), DbError> {
        let url = self.url.clone();
        let slot = self.conn.clone();
        let check = async move {
            let mut slot = slot.lock().await;
            let conn = match slot.take() {
                Some(conn) => conn,
                None => AsyncPgConnection::establish(&url)
                    .await
                    .map_err(|e| DbError::Unavailable(e.to_string()))?,
            };
            let conn = slot.insert(conn);
            diesel::sql_query("SELECT 1")
                .execute(conn)
                .await
                .inspect_err(|_| {
                    slot.take();
                })?;
            Ok(())
        };
        tokio::time::timeout(timeout, check)
            .await
            .map_err(|_| DbError::Unavailable("health check timed out".into()))?
    }
}

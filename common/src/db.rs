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

/// Runs the read-only `work` on a pooled connection and, if that
/// connection turns out lost (the database restarted, or ended the
/// session), once more on a fresh connection of its own: a pool's idle
/// connections die together, and an idempotent read should not fail for
/// it. The retry connects outside the pool, at most once per call (calls
/// are already bounded by admission), and is closed after. Only for work
/// that is safe to run twice; `work` owns what it needs (as for
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
    let mut fresh = pool
        .dedicated_connection()
        .await
        .map_err(|e| DbError::Unavailable(e.to_string()))?;
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
}

impl From<DieselError> for DbError {
    fn from(error: DieselError) -> Self {
        if is_lost_connection(&error) {
            return Self::Unavailable(error.to_string());
        }
        Self::Query(error)
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
            Self::Query(_) | Self::Task(_) => Code::Internal,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "DATABASE_UNAVAILABLE",
            Self::Query(_) | Self::Task(_) => "INTERNAL",
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        matches!(self, Self::Unavailable(_)).then_some(Duration::from_secs(1))
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

/// What a [`listen`] loop tells, on the connection it listens on (free
/// between two announcements, to read what they announce).
pub trait Listener: Send {
    /// Listening (again): announcements made while not listening were
    /// missed, so whatever they would have prompted should be done now.
    fn listening(
        &mut self,
        conn: &mut AsyncPgConnection,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// One announcement on `channel`. An error ends this connection (and
    /// the loop listens again, after a pause).
    fn announced(
        &mut self,
        conn: &mut AsyncPgConnection,
        channel: &str,
        payload: &str,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// No longer listening: announcements may be missed until the next
    /// [`Listener::listening`].
    fn stopped_listening(&mut self) {}
}

/// Listens to the Postgres notification `channels` on a connection of its
/// own, telling `listener` what it hears; reconnects after failures, with
/// backoff from 100 ms to 5 s. Runs until dropped.
pub async fn listen(url: &str, channels: &[&str], listener: &mut impl Listener) {
    use futures_util::StreamExt;
    let mut backoff = Duration::from_millis(100);
    loop {
        let ended = async {
            let mut conn = AsyncPgConnection::establish(url).await?;
            for channel in channels {
                // The channel is ours, not a caller's: a plain identifier.
                diesel::sql_query(format!("LISTEN {channel}"))
                    .execute(&mut conn)
                    .await?;
            }
            // Listening first, then reading, so nothing falls in between.
            listener.listening(&mut conn).await?;
            backoff = Duration::from_millis(100);
            loop {
                // The stream borrows the connection only while waiting:
                // announcements queue in the connection meanwhile.
                let next = std::pin::pin!(conn.notifications_stream()).next().await;
                let Some(notification) = next else {
                    return Ok::<_, anyhow::Error>(());
                };
                let notification = notification?;
                listener
                    .announced(&mut conn, &notification.channel, &notification.payload)
                    .await?;
            }
        }
        .await;
        listener.stopped_listening();
        if let Err(error) = ended {
            tracing::warn!(
                ?channels,
                error = format!("{error:#}"),
                "listener disconnected; retrying"
            );
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

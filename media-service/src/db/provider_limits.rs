//! The providers' rate limits, kept here so that every replica takes its
//! turn under the same limit (a generic cell rate algorithm: one row per
//! limit, the time its next request would be due at the steady rate).

use std::time::Duration;

use diesel::{
    OptionalExtension, QueryableByName,
    sql_types::{BigInt, Text},
};
use diesel_async::RunQueryDsl;

use super::{Conn, QueryResult};

/// Reserves the next slot under limit `name` (one request every
/// `interval`, bursts of up to `per` worth): how long to wait for it, or
/// none when it is further off than `max_wait` (nothing is reserved then).
pub(crate) async fn reserve(
    conn: &mut Conn,
    name: &str,
    interval: Duration,
    per: Duration,
    max_wait: Duration,
) -> QueryResult<Option<Duration>> {
    #[derive(QueryableByName)]
    struct Reserved {
        #[diesel(sql_type = BigInt)]
        wait_micros: i64,
    }
    let micros = |d: Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
    let reserved: Option<Reserved> = diesel::sql_query(
        "INSERT INTO provider_limits AS l (name, next_at) \
         VALUES ($1, now() + make_interval(secs => $2 / 1e6)) \
         ON CONFLICT (name) DO UPDATE \
           SET next_at = greatest(l.next_at, now()) + make_interval(secs => $2 / 1e6) \
           WHERE greatest(l.next_at, now()) + make_interval(secs => ($2 - $3) / 1e6) \
             <= now() + make_interval(secs => $4 / 1e6) \
         RETURNING greatest(0, \
           (extract(epoch FROM l.next_at - now()) * 1e6)::bigint - $3) AS wait_micros",
    )
    .bind::<Text, _>(name)
    .bind::<BigInt, _>(micros(interval))
    .bind::<BigInt, _>(micros(per))
    .bind::<BigInt, _>(micros(max_wait))
    .get_result(conn)
    .await
    .optional()?;
    Ok(reserved.map(|r| Duration::from_micros(u64::try_from(r.wait_micros).unwrap_or(0))))
}

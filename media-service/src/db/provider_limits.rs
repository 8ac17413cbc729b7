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

/// A limit as kept here: one request every `interval`, in bursts of up to
/// `per` worth.
pub(crate) struct Limit {
    /// The row's name: the provider and the rate (`jikan:3/1000ms`).
    pub name: String,
    pub interval: Duration,
    pub per: Duration,
}

/// Reserves the next slot under every one of `limits` at once: how long
/// until the last of them comes; none, with nothing reserved, when one is
/// further off than `max_wait`.
pub(crate) async fn reserve_all(
    conn: &mut Conn,
    limits: &[Limit],
    max_wait: Duration,
) -> QueryResult<Option<Duration>> {
    use diesel::result::Error::RollbackTransaction;
    use diesel_async::AsyncConnection;
    let reserved = conn
        .transaction(async |conn| {
            let mut longest = Duration::ZERO;
            for limit in limits {
                match reserve(conn, &limit.name, limit.interval, limit.per, max_wait).await? {
                    Some(wait) => longest = longest.max(wait),
                    None => return Err(RollbackTransaction),
                }
            }
            Ok(longest)
        })
        .await;
    match reserved {
        Ok(wait) => Ok(Some(wait)),
        Err(RollbackTransaction) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Reserves the next slot under limit `name` (one request every
/// `interval`, bursts of up to `per` worth): how long to wait for it, or
/// none when it is further off than `max_wait` (nothing is reserved then).
async fn reserve(
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

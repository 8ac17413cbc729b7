//! How long scrobble events are kept: the retention period, and each
//! user's most.

use chrono::{DateTime, Utc};
use completionist_common::sql::prepared;
use diesel::sql_types;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};

/// Removes up to `limit` of `user`'s events past their newest `keep`;
/// answers how many went.
pub(crate) async fn trim(conn: &mut Conn, user: Uuid, keep: i64, limit: i64) -> QueryResult<usize> {
    prepared(
        "DELETE FROM scrobble_events WHERE id IN \
           (SELECT id FROM scrobble_events WHERE user_id = ",
    )
    .bind::<sql_types::Uuid, _>(user)
    .sql(" ORDER BY received_at DESC, id DESC OFFSET ")
    .bind::<sql_types::BigInt, _>(keep)
    .sql(" LIMIT ")
    .bind::<sql_types::BigInt, _>(limit)
    .sql(")")
    .execute(conn)
    .await
}

/// Removes events received before `before`, at most `limit` of them;
/// answers how many went.
pub(crate) async fn prune(
    conn: &mut Conn,
    before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM scrobble_events WHERE id IN \
           (SELECT id FROM scrobble_events WHERE received_at < $1 ORDER BY received_at LIMIT $2)",
    )
    .bind::<sql_types::Timestamptz, _>(before)
    .bind::<sql_types::BigInt, _>(limit)
    .execute(conn)
    .await
}

//! Revocation records, which every replica also keeps in memory
//! (`crate::revocation`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::{revocation::RevocationKind, schema::revocations};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = revocations, check_for_backend(diesel::pg::Pg))]
pub(crate) struct RevocationRow {
    pub(crate) id: i64,
    pub(crate) kind: RevocationKind,
    pub(crate) subject: Option<Uuid>,
    pub(crate) issued_before: Option<DateTime<Utc>>,
    pub(crate) expires_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = revocations)]
pub(crate) struct NewRevocation {
    pub(crate) kind: RevocationKind,
    pub(crate) subject: Option<Uuid>,
    pub(crate) issued_before: Option<DateTime<Utc>>,
    pub(crate) expires_at: DateTime<Utc>,
}

/// Held from a revocation's insert to its transaction's end.
const INSERT_LOCK: i64 = 0x7265_766f; // "revo"

/// Records a revocation; a trigger announces it to every replica. Run in a
/// transaction (every caller does): revocations then commit one at a
/// time, in id order, so a replica that has read up to an id has missed
/// none below it — two at once could otherwise commit the higher id first,
/// and the lower one would never be read.
pub(crate) async fn insert(conn: &mut Conn, revocation: NewRevocation) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(INSERT_LOCK)
        .execute(conn)
        .await?;
    diesel::insert_into(revocations::table)
        .values(revocation)
        .execute(conn)
        .await
        .map(drop)
}

/// Every revocation recorded after `after_id`, oldest first, expired ones
/// too: one statement, so one snapshot, and the last row read is how far
/// the reader has read (asking for the newest id in a second statement
/// could see a row committed in between, never read).
pub(crate) async fn since(conn: &mut Conn, after_id: i64) -> QueryResult<Vec<RevocationRow>> {
    revocations::table
        .filter(revocations::id.gt(after_id))
        .order(revocations::id)
        .select(RevocationRow::as_select())
        .load(conn)
        .await
}

pub(crate) async fn delete_expired(conn: &mut Conn) -> QueryResult<usize> {
    diesel::delete(revocations::table.filter(revocations::expires_at.lt(Utc::now())))
        .execute(conn)
        .await
}

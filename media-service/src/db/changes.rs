//! The change log of users' lists (`list_changes`, `list_heads`), written by
//! triggers (see the migration) and read by WatchListEntries.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult, entries::EntryRow, items::ItemRow};
use crate::{
    domain::{Entry, Item, Progress, Rating},
    schema::{list_changes, list_heads, media_items},
    watch::{Change, ChangeKind},
};

/// Where a user's history stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Head {
    /// The number of the latest change; 0 before the first.
    pub(crate) seq: i64,
    /// Changes up to this number are forgotten.
    pub(crate) pruned_through: i64,
}

pub(crate) async fn head(conn: &mut Conn, user: Uuid) -> QueryResult<Head> {
    let found = list_heads::table
        .find(user)
        .select((list_heads::seq, list_heads::pruned_through))
        .first::<(i64, i64)>(conn)
        .await
        .optional()?;
    Ok(
        found.map_or_else(Head::default, |(seq, pruned_through)| Head {
            seq,
            pruned_through,
        }),
    )
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = list_changes, check_for_backend(diesel::pg::Pg))]
struct ChangeRow {
    seq: i64,
    kind: ChangeKind,
    list_entry_id: Uuid,
    entry: Option<serde_json::Value>,
    runs_changed: bool,
    created_at: DateTime<Utc>,
}

/// `user`'s changes after number `after`, oldest first, at most `limit`.
pub(crate) async fn after(
    conn: &mut Conn,
    user: Uuid,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<Change>> {
    let rows: Vec<(ChangeRow, Option<ItemRow>)> = list_changes::table
        .left_join(media_items::table.on(media_items::id.eq(list_changes::media_item_id)))
        .filter(list_changes::user_id.eq(user))
        .filter(list_changes::seq.gt(after))
        .order(list_changes::seq.asc())
        .limit(limit)
        .select((ChangeRow::as_select(), Option::<ItemRow>::as_select()))
        .load(conn)
        .await?;
    rows.into_iter().map(change).collect()
}

fn change((row, item): (ChangeRow, Option<ItemRow>)) -> QueryResult<Change> {
    let entry = match (row.kind, row.entry, item) {
        (ChangeKind::Removed, _, _) => None,
        (_, Some(snapshot), Some(item)) => Some(
            from_snapshot(snapshot, item.into())
                .map_err(|why| corrupt(format!("change {} of an entry: {why}", row.seq)))?,
        ),
        _ => return Err(corrupt(format!("change {} has no entry or item", row.seq))),
    };
    Ok(Change {
        seq: row.seq,
        kind: row.kind,
        entry_id: row.list_entry_id,
        entry,
        runs_changed: row.runs_changed,
        at: row.created_at,
    })
}

fn corrupt(why: String) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(why.into())
}

/// Forgets up to `limit` changes made before `before`, and notes in each
/// user's head how far their history is gone; answers how many. One
/// replica at a time (the others skip their turn).
pub(crate) async fn prune(conn: &mut Conn, before: DateTime<Utc>, limit: i64) -> QueryResult<i64> {
    use diesel::sql_types::{BigInt, Timestamptz};
    #[derive(QueryableByName)]
    struct Pruned {
        #[diesel(sql_type = BigInt)]
        pruned: i64,
    }
    let pruned: Pruned = diesel::sql_query(
        "WITH turn AS (SELECT pg_try_advisory_xact_lock($3) AS mine), \
         gone AS ( \
           DELETE FROM list_changes WHERE (user_id, seq) IN ( \
             SELECT user_id, seq FROM list_changes, turn \
             WHERE turn.mine AND created_at < $1 ORDER BY created_at LIMIT $2) \
           RETURNING user_id, seq), \
         latest AS (SELECT user_id, max(seq) AS seq FROM gone GROUP BY user_id), \
         noted AS ( \
           UPDATE list_heads h SET pruned_through = greatest(h.pruned_through, latest.seq) \
           FROM latest WHERE h.user_id = latest.user_id) \
         SELECT count(*) AS pruned FROM gone",
    )
    .bind::<Timestamptz, _>(before)
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(PRUNE_LOCK)
    .get_result(conn)
    .await?;
    Ok(pruned.pruned)
}

/// Advisory lock taken while pruning ("watch").
const PRUNE_LOCK: i64 = 0x0077_6174_6368;

/// A `list_entries` row as the change log keeps it (`to_jsonb`).
#[derive(serde::Deserialize)]
struct Snapshot {
    id: Uuid,
    status: String,
    rating: Option<i32>,
    progress: i32,
    notes: String,
    start_date: Option<NaiveDate>,
    finish_date: Option<NaiveDate>,
    completion_count: i32,
    #[serde(default = "first_run")]
    current_run: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[serde(default)]
    file_item: Option<serde_json::Value>,
}

/// The run of a snapshot logged before entries had runs.
const fn first_run() -> i32 {
    1
}

/// The entry of a change log snapshot, with its item.
fn from_snapshot(snapshot: serde_json::Value, item: Item) -> Result<Entry, String> {
    let row: Snapshot = serde_json::from_value(snapshot).map_err(|e| e.to_string())?;
    let status = row.status.parse().map_err(|e| format!("{e}"))?;
    let row = EntryRow {
        id: row.id,
        status,
        rating: row.rating.map(Rating::parse).transpose()?,
        progress: Progress::parse(row.progress)?,
        notes: row.notes,
        start_date: row.start_date,
        finish_date: row.finish_date,
        completion_count: row.completion_count,
        current_run: row.current_run,
        created_at: row.created_at,
        updated_at: row.updated_at,
        file_item: row.file_item,
    };
    Ok(row.with(item))
}

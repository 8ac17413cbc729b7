//! What media-service holds of an account, removed when auth-service
//! deletes it, and how far those removals have got.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::{
    domain::Source,
    schema::{
        calendar_feeds, deleted_users_handled, import_jobs, list_changes, list_entries, list_heads,
        media_items, removed_users, scrobble_events, scrobble_rates, scrobble_tokens,
    },
};

/// The seed of the advisory lock keyed by an account that its writes hold
/// shared and its removal exclusively ("remo"; the same number is in the
/// trigger function `refuse_removed_user`).
const REMOVAL_LOCK: i64 = 0x7265_6d6f;

/// Refuses every write for `user` from its commit on (`removed_users`),
/// once the writes for them under way have committed: each holds a lock
/// keyed by its owner, shared, until it commits (the trigger
/// `refuse_removed_user`), and this takes it exclusively. Run in a
/// transaction of its own, before [`remove`]: it holds no other lock, so
/// a write that has locked rows of the user's before its first insert
/// never waits for it while it waits for that write.
pub(crate) async fn refuse_writes(conn: &mut Conn, user: Uuid) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, $2))")
        .bind::<diesel::sql_types::Uuid, _>(user)
        .bind::<diesel::sql_types::BigInt, _>(REMOVAL_LOCK)
        .execute(conn)
        .await?;
    diesel::insert_into(removed_users::table)
        .values(removed_users::user_id.eq(user))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
}

/// Removes everything of `user`, whose writes [`refuse_writes`] refuses
/// already (committed): list (runs and scrobble pins go with their
/// entries), change log, imports (rows go with their jobs), calendar feeds,
/// scrobble tokens and events, and custom items. Removing twice removes
/// nothing more.
pub(crate) async fn remove(conn: &mut Conn, user: Uuid) -> QueryResult<()> {
    diesel::delete(import_jobs::table.filter(import_jobs::user_id.eq(user)))
        .execute(conn)
        .await?;
    diesel::delete(calendar_feeds::table.filter(calendar_feeds::user_id.eq(user)))
        .execute(conn)
        .await?;
    diesel::delete(scrobble_events::table.filter(scrobble_events::user_id.eq(user)))
        .execute(conn)
        .await?;
    diesel::delete(scrobble_tokens::table.filter(scrobble_tokens::user_id.eq(user)))
        .execute(conn)
        .await?;
    diesel::delete(scrobble_rates::table.filter(scrobble_rates::user_id.eq(user)))
        .execute(conn)
        .await?;
    // Scrobble pins go with their entries.
    diesel::delete(list_entries::table.filter(list_entries::user_id.eq(user)))
        .execute(conn)
        .await?;
    diesel::delete(list_changes::table.filter(list_changes::user_id.eq(user)))
        .execute(conn)
        .await?;
    diesel::delete(list_heads::table.filter(list_heads::user_id.eq(user)))
        .execute(conn)
        .await?;
    // Custom items are seen by their maker only, so no one else's entry
    // names them.
    diesel::delete(
        media_items::table
            .filter(media_items::source.eq(Source::Custom))
            .filter(media_items::created_by.eq(user)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The sequence number of the last deletion handled.
pub(crate) async fn handled_through(conn: &mut Conn) -> QueryResult<i64> {
    deleted_users_handled::table
        .select(deleted_users_handled::last_sequence)
        .first(conn)
        .await
}

/// Records deletions up to `sequence` as handled; never moves back (another
/// replica may have got further).
pub(crate) async fn mark_handled(conn: &mut Conn, sequence: i64) -> QueryResult<()> {
    diesel::update(deleted_users_handled::table)
        .filter(deleted_users_handled::last_sequence.lt(sequence))
        .set(deleted_users_handled::last_sequence.eq(sequence))
        .execute(conn)
        .await
        .map(drop)
}

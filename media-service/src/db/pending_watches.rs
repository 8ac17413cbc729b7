//! Episode watches an import brought, by season and number, kept until
//! the show's episodes are there to match them.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::{schema::pending_episode_watches, transfers::formats::RecordWatch};

/// Keeps episode watches an import brought for `entry` of `user`, until
/// the show's episodes are there to match them ([`match_pending`]).
pub(crate) async fn add_pending(
    conn: &mut Conn,
    user: Uuid,
    entry: Uuid,
    watches: &[RecordWatch],
) -> QueryResult<()> {
    for chunk in watches.chunks(1000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|w| {
                (
                    pending_episode_watches::list_entry_id.eq(entry),
                    pending_episode_watches::user_id.eq(user),
                    pending_episode_watches::season.eq(w.season),
                    pending_episode_watches::number.eq(w.number),
                    pending_episode_watches::watched_at.eq(w.watched_at),
                )
            })
            .collect();
        diesel::insert_into(pending_episode_watches::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Turns the pending watches of `items` whose episodes have been fetched
/// into watches (in each entry's current run) and drops those that match
/// no episode.
pub(crate) async fn match_pending(conn: &mut Conn, items: &[Uuid]) -> QueryResult<()> {
    diesel::sql_query(
        "WITH matched AS ( \
             DELETE FROM pending_episode_watches p USING list_entries le, episode_sources s \
             WHERE p.list_entry_id = le.id AND s.media_item_id = le.media_item_id \
               AND s.refreshed_at IS NOT NULL AND le.media_item_id = ANY($1) \
             RETURNING le.user_id, le.id AS entry, le.media_item_id AS item, le.current_run, \
                       p.season, p.number, p.watched_at) \
         INSERT INTO episode_watches (id, user_id, list_entry_id, episode_id, run, watched_at) \
         SELECT DISTINCT ON (s.entry, e.id) gen_random_uuid(), s.user_id, s.entry, e.id, \
                s.current_run, s.watched_at \
         FROM matched s JOIN episodes e ON e.media_item_id = s.item \
              AND e.season = s.season AND e.number = s.number AND NOT e.missing_upstream \
         ORDER BY s.entry, e.id, s.watched_at DESC \
         ON CONFLICT DO NOTHING",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(items)
    .execute(conn)
    .await
    .map(drop)
}

//! Scrobbling: tokens (kept as SHA-256), and the events media servers
//! posted with their outcomes.

use chrono::{DateTime, Utc};
use completionist_common::sql::prepared;
use diesel::{dsl::count_star, prelude::*, sql_types};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::schema::{scrobble_events, scrobble_tokens};

/// A token, as its owner sees it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = scrobble_tokens)]
pub(crate) struct Token {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) server_user: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) last_used_at: Option<DateTime<Utc>>,
}

/// A token a delivery came with, and how its user stands against their
/// rate.
#[derive(Debug, QueryableByName)]
pub(crate) struct TokenUse {
    #[diesel(sql_type = sql_types::Uuid)]
    pub(crate) id: Uuid,
    #[diesel(sql_type = sql_types::Uuid)]
    pub(crate) user_id: Uuid,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Text>)]
    pub(crate) server_user: Option<String>,
    /// Deliveries in the current window, this one included.
    #[diesel(sql_type = sql_types::Integer)]
    pub(crate) deliveries: i32,
    #[diesel(sql_type = sql_types::Timestamptz)]
    pub(crate) window_started_at: DateTime<Utc>,
    /// This delivery was stored already (a retry).
    #[diesel(sql_type = sql_types::Bool)]
    pub(crate) delivered: bool,
    /// The user has pinned a server's show (most never do, and their
    /// events need not look for a pin).
    #[diesel(sql_type = sql_types::Bool)]
    pub(crate) pinned: bool,
}

/// How many tokens `user` has, under a lock of theirs held until commit:
/// their tokens are created one at a time, so the limit holds.
pub(crate) async fn lock_count(conn: &mut Conn, user: Uuid) -> QueryResult<i64> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 22))")
        .bind::<sql_types::Uuid, _>(user)
        .execute(conn)
        .await?;
    scrobble_tokens::table
        .filter(scrobble_tokens::user_id.eq(user))
        .select(count_star())
        .first(conn)
        .await
}

pub(crate) async fn insert_token(
    conn: &mut Conn,
    user: Uuid,
    name: &str,
    server_user: Option<&str>,
    token_hash: &[u8],
) -> QueryResult<Token> {
    diesel::insert_into(scrobble_tokens::table)
        .values((
            scrobble_tokens::id.eq(Uuid::now_v7()),
            scrobble_tokens::user_id.eq(user),
            scrobble_tokens::name.eq(name),
            scrobble_tokens::server_user.eq(server_user),
            scrobble_tokens::token_hash.eq(token_hash),
        ))
        .returning(Token::as_returning())
        .get_result(conn)
        .await
}

/// `user`'s tokens, oldest first.
pub(crate) async fn tokens(conn: &mut Conn, user: Uuid) -> QueryResult<Vec<Token>> {
    scrobble_tokens::table
        .filter(scrobble_tokens::user_id.eq(user))
        .order((scrobble_tokens::created_at, scrobble_tokens::id))
        .select(Token::as_select())
        .load(conn)
        .await
}

pub(crate) async fn delete_token(conn: &mut Conn, user: Uuid, id: Uuid) -> QueryResult<bool> {
    let deleted = diesel::delete(
        scrobble_tokens::table
            .filter(scrobble_tokens::id.eq(id))
            .filter(scrobble_tokens::user_id.eq(user)),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

/// Finds the token whose secret hashes to `token_hash` (noting its use, to
/// the minute) and counts a delivery against its user's rate, in one
/// statement that also says whether the user's `delivery` (its server and
/// digest, when the event could be read) was stored already and whether
/// they pinned any show. A window of a minute starts with the first
/// delivery after the last one ended. `None` for an unknown or revoked
/// token.
pub(crate) async fn use_token(
    conn: &mut Conn,
    token_hash: &[u8],
    delivery: Option<(&str, &[u8])>,
) -> QueryResult<Option<TokenUse>> {
    let (server, digest) = delivery.unzip();
    prepared(
        "WITH token AS ( \
           SELECT id, user_id, server_user FROM scrobble_tokens \
           WHERE token_hash = ",
    )
    .bind::<sql_types::Bytea, _>(token_hash)
    .sql(
        "), \
         touched AS ( \
           UPDATE scrobble_tokens t SET last_used_at = now() FROM token \
           WHERE t.id = token.id \
             AND (t.last_used_at IS NULL \
                  OR t.last_used_at <= now() - interval '1 minute')), \
         rate AS ( \
           INSERT INTO scrobble_rates AS r \
             (user_id, minute_started_at, deliveries, hour_started_at, lookups) \
           SELECT user_id, now(), 1, now(), 0 FROM token \
           ON CONFLICT (user_id) DO UPDATE SET \
             minute_started_at = CASE WHEN r.minute_started_at <= now() - interval '1 minute' \
                                      THEN now() ELSE r.minute_started_at END, \
             deliveries = CASE WHEN r.minute_started_at <= now() - interval '1 minute' \
                               THEN 1 ELSE r.deliveries + 1 END \
           RETURNING deliveries, minute_started_at) \
         SELECT token.id, token.user_id, token.server_user, rate.deliveries, \
                rate.minute_started_at AS window_started_at, \
                EXISTS (SELECT 1 FROM scrobble_events e \
                        WHERE e.user_id = token.user_id AND e.server = ",
    )
    .bind::<sql_types::Nullable<sql_types::Text>, _>(server)
    .sql(" AND e.delivery_digest = ")
    .bind::<sql_types::Nullable<sql_types::Bytea>, _>(digest)
    .sql(
        ") AS delivered, \
         EXISTS (SELECT 1 FROM scrobble_pins p WHERE p.user_id = token.user_id) AS pinned \
         FROM token, rate",
    )
    .get_result(conn)
    .await
    .optional()
}

/// Counts a provider lookup against `user`'s hourly budget; whether it is
/// within `per_hour`.
pub(crate) async fn take_lookup(conn: &mut Conn, user: Uuid, per_hour: i32) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Taken {
        #[diesel(sql_type = sql_types::Integer)]
        lookups: i32,
    }
    let taken: Option<Taken> = prepared(
        "UPDATE scrobble_rates SET \
           hour_started_at = CASE WHEN hour_started_at <= now() - interval '1 hour' \
                                  THEN now() ELSE hour_started_at END, \
           lookups = CASE WHEN hour_started_at <= now() - interval '1 hour' \
                          THEN 1 ELSE lookups + 1 END \
         WHERE user_id = ",
    )
    .bind::<sql_types::Uuid, _>(user)
    .sql(" RETURNING lookups")
    .get_result(conn)
    .await
    .optional()?;
    Ok(taken.is_some_and(|t| t.lookups <= per_hour))
}

/// An event as stored.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = scrobble_events, treat_none_as_default_value = false)]
pub(crate) struct EventRow {
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) token_id: Option<Uuid>,
    pub(crate) server: String,
    pub(crate) server_user: String,
    pub(crate) event: String,
    pub(crate) kind: String,
    pub(crate) title: String,
    pub(crate) series_title: String,
    pub(crate) year: Option<i32>,
    pub(crate) season: Option<i32>,
    pub(crate) episode: Option<i32>,
    pub(crate) last_episode: Option<i32>,
    pub(crate) ids: serde_json::Value,
    pub(crate) item_key: String,
    pub(crate) watched_at: DateTime<Utc>,
    pub(crate) delivery_digest: Vec<u8>,
    pub(crate) outcome: String,
    pub(crate) reason: String,
    pub(crate) list_entry_id: Option<Uuid>,
    pub(crate) media_item_id: Option<Uuid>,
    pub(crate) received_at: DateTime<Utc>,
}

/// Stores `event`; `false` when the same delivery (user, server, digest)
/// was stored already, and nothing was.
pub(crate) async fn insert_event(conn: &mut Conn, event: &EventRow) -> QueryResult<bool> {
    let inserted = diesel::insert_into(scrobble_events::table)
        .values(event)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted > 0)
}

/// Whether a webhook recorded `entry`'s (`season`, `episode`) as watched
/// since `since` (for a movie, both `None`).
pub(crate) async fn watched_since(
    conn: &mut Conn,
    entry: Uuid,
    season: Option<i32>,
    episode: Option<i32>,
    since: DateTime<Utc>,
) -> QueryResult<bool> {
    let mut query = scrobble_events::table
        .filter(scrobble_events::list_entry_id.eq(entry))
        .filter(scrobble_events::outcome.eq("watched"))
        .filter(scrobble_events::received_at.ge(since))
        .into_boxed();
    if let (Some(season), Some(episode)) = (season, episode) {
        query = query
            .filter(scrobble_events::season.eq(season))
            .filter(scrobble_events::episode.le(episode))
            .filter(
                scrobble_events::last_episode
                    .ge(episode)
                    .or(scrobble_events::episode.eq(episode)),
            );
    }
    diesel::select(diesel::dsl::exists(query.select(scrobble_events::id)))
        .get_result(conn)
        .await
}

/// `user`'s event `id`.
pub(crate) async fn event(conn: &mut Conn, user: Uuid, id: Uuid) -> QueryResult<Option<EventRow>> {
    scrobble_events::table
        .filter(scrobble_events::id.eq(id))
        .filter(scrobble_events::user_id.eq(user))
        .select(EventRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// A page of `user`'s events, newest first, after `after` (received at,
/// id) when given.
pub(crate) async fn events(
    conn: &mut Conn,
    user: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    let mut query = scrobble_events::table
        .filter(scrobble_events::user_id.eq(user))
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            scrobble_events::received_at
                .lt(at)
                .or(scrobble_events::received_at
                    .eq(at)
                    .and(scrobble_events::id.lt(id))),
        );
    }
    query
        .order((
            scrobble_events::received_at.desc(),
            scrobble_events::id.desc(),
        ))
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
        .await
}

/// Locks event `id` until commit; whether it is still unmatched (a pin
/// records it again only then, once).
pub(crate) async fn lock_unmatched(conn: &mut Conn, id: Uuid) -> QueryResult<bool> {
    let outcome: Option<String> = scrobble_events::table
        .find(id)
        .select(scrobble_events::outcome)
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Ok(outcome.as_deref() == Some("unmatched"))
}

/// Records what became of event `id` when it was recorded again.
pub(crate) async fn set_outcome(
    conn: &mut Conn,
    id: Uuid,
    outcome: &str,
    reason: &str,
    matched: Option<(Uuid, Uuid)>,
) -> QueryResult<()> {
    diesel::update(scrobble_events::table.find(id))
        .set((
            scrobble_events::outcome.eq(outcome),
            scrobble_events::reason.eq(reason),
            scrobble_events::list_entry_id.eq(matched.map(|m| m.0)),
            scrobble_events::media_item_id.eq(matched.map(|m| m.1)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The new reason of event `id`, if it is still unmatched.
pub(crate) async fn set_unmatched_reason(
    conn: &mut Conn,
    id: Uuid,
    reason: &str,
) -> QueryResult<()> {
    diesel::update(
        scrobble_events::table
            .find(id)
            .filter(scrobble_events::outcome.eq("unmatched")),
    )
    .set(scrobble_events::reason.eq(reason))
    .execute(conn)
    .await?;
    Ok(())
}

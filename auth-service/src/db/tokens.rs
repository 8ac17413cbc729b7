//! Refresh tokens (stored as hashes, one family per session) and the
//! failed-login counts that throttle guessing.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::schema::{login_failures, refresh_tokens};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
pub(crate) struct RefreshRow {
    pub(crate) family_id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) superseded_at: Option<DateTime<Utc>>,
    pub(crate) revoked_at: Option<DateTime<Utc>>,
    pub(crate) successor_sealed: Option<Vec<u8>>,
}

#[derive(Insertable)]
#[diesel(table_name = refresh_tokens)]
pub(crate) struct NewRefreshToken<'a> {
    pub(crate) id: Uuid,
    pub(crate) family_id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) token_hash: &'a [u8],
    pub(crate) expires_at: DateTime<Utc>,
}

pub(crate) async fn insert_refresh_token(
    conn: &mut Conn,
    token: NewRefreshToken<'_>,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(token)
        .execute(conn)
        .await
        .map(drop)
}

/// Marks a live refresh token superseded and returns it; `None` when the
/// token is unknown, expired, revoked or already superseded. The condition is
/// in the UPDATE, so of two concurrent refreshes only one gets the row.
pub(crate) async fn supersede_refresh_token(
    conn: &mut Conn,
    token_hash: &[u8],
) -> QueryResult<Option<RefreshRow>> {
    let now = Utc::now();
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .filter(refresh_tokens::superseded_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::expires_at.gt(now)),
    )
    .set(refresh_tokens::superseded_at.eq(now))
    .returning(RefreshRow::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// Keeps the sealed successor of the superseded token `token_hash`.
pub(crate) async fn keep_successor(
    conn: &mut Conn,
    token_hash: &[u8],
    sealed: &[u8],
) -> QueryResult<()> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::token_hash.eq(token_hash)))
        .set(refresh_tokens::successor_sealed.eq(sealed))
        .execute(conn)
        .await
        .map(drop)
}

pub(crate) async fn find_refresh_token(
    conn: &mut Conn,
    token_hash: &[u8],
) -> QueryResult<Option<RefreshRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub(crate) async fn revoke_family_refresh_tokens(
    conn: &mut Conn,
    family: Uuid,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Utc::now()))
    .execute(conn)
    .await
}

pub(crate) async fn revoke_user_refresh_tokens(conn: &mut Conn, user: Uuid) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Utc::now()))
    .execute(conn)
    .await
}

pub(crate) async fn revoke_all_refresh_tokens(conn: &mut Conn) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::revoked_at.is_null()))
        .set(refresh_tokens::revoked_at.eq(Utc::now()))
        .execute(conn)
        .await
}

pub(crate) async fn delete_expired_refresh_tokens(conn: &mut Conn) -> QueryResult<usize> {
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.lt(Utc::now())))
        .execute(conn)
        .await
}

/// The time an email is locked until, if it is.
pub(crate) async fn login_locked_until(
    conn: &mut Conn,
    email: &str,
) -> QueryResult<Option<DateTime<Utc>>> {
    login_failures::table
        .find(email)
        .select(login_failures::locked_until)
        .first::<Option<DateTime<Utc>>>(conn)
        .await
        .optional()
        .map(Option::flatten)
}

/// Counts an attempt to log in as `email` before its password is checked,
/// unless a lockout holds (then nothing is counted): answers the attempts
/// counted since the last success, this one included. Counted first, so
/// guesses sent at once are counted as they arrive, not as their checks
/// end; a success clears the count ([`clear_login_failures`]).
pub(crate) async fn count_login_attempt(conn: &mut Conn, email: &str) -> QueryResult<Option<i32>> {
    #[derive(QueryableByName)]
    struct Counted {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        failures: i32,
    }
    let counted: Option<Counted> = diesel::sql_query(
        "INSERT INTO login_failures AS f (email, failures, updated_at) VALUES ($1, 1, now()) \
         ON CONFLICT (email) DO UPDATE SET failures = f.failures + 1, updated_at = now() \
           WHERE f.locked_until IS NULL OR f.locked_until <= now() \
         RETURNING failures",
    )
    .bind::<diesel::sql_types::Text, _>(email)
    .get_result(conn)
    .await
    .optional()?;
    Ok(counted.map(|c| c.failures))
}

/// Locks `email`'s logins until `until`, or later if a longer lockout
/// holds already.
pub(crate) async fn lock_login(
    conn: &mut Conn,
    email: &str,
    until: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(login_failures::table.find(email))
        .set(
            login_failures::locked_until.eq(diesel::dsl::sql::<
                diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
            >("greatest(locked_until, ")
            .bind::<diesel::sql_types::Timestamptz, _>(until)
            .sql(")")),
        )
        .execute(conn)
        .await
        .map(drop)
}

pub(crate) async fn clear_login_failures(conn: &mut Conn, email: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.find(email))
        .execute(conn)
        .await
        .map(drop)
}

/// Forgets failures not repeated for `older_than` and no longer locking.
pub(crate) async fn delete_stale_login_failures(
    conn: &mut Conn,
    older_than: DateTime<Utc>,
) -> QueryResult<usize> {
    let now = Utc::now();
    diesel::delete(
        login_failures::table
            .filter(login_failures::updated_at.lt(older_than))
            .filter(
                login_failures::locked_until
                    .is_null()
                    .or(login_failures::locked_until.lt(now)),
            ),
    )
    .execute(conn)
    .await
}

//! Rows and queries: small async functions over one connection. Row structs
//! stay here; handlers see domain types and proto messages only.

use chrono::{DateTime, Utc};
use diesel::{prelude::*, upsert::excluded};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::{login_failures, refresh_tokens, revocations, users};

pub type Conn = AsyncPgConnection;
type QueryResult<T> = Result<T, diesel::result::Error>;

/// The unique constraint on `users.email`.
pub const USERS_EMAIL_KEY: &str = "users_email_key";

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
}

/// The changes UpdateUser may make; `None` leaves a column alone.
#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct UserChanges<'a> {
    pub display_name: Option<&'a str>,
    pub role: Option<&'a str>,
    pub disabled: Option<bool>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub async fn insert_user(conn: &mut Conn, user: NewUser<'_>) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(user)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn find_user_by_email(conn: &mut Conn, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find_user(conn: &mut Conn, id: Uuid) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// A page of users in (created_at, id) order, after the given position.
pub async fn list_users(
    conn: &mut Conn,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table
        .select(UserRow::as_select())
        .order((users::created_at, users::id))
        .limit(limit)
        .into_boxed();
    if let Some((created_at, id)) = after {
        query = query.filter(
            users::created_at
                .gt(created_at)
                .or(users::created_at.eq(created_at).and(users::id.gt(id))),
        );
    }
    query.load(conn).await
}

pub async fn update_user(
    conn: &mut Conn,
    id: Uuid,
    changes: UserChanges<'_>,
) -> QueryResult<Option<UserRow>> {
    diesel::update(users::table.find(id))
        .set(changes)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

pub async fn set_password(conn: &mut Conn, id: Uuid, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
}

pub async fn set_role_by_email(conn: &mut Conn, email: &str, role: &str) -> QueryResult<usize> {
    diesel::update(users::table.filter(users::email.eq(email)))
        .set((users::role.eq(role), users::updated_at.eq(Utc::now())))
        .execute(conn)
        .await
}

pub async fn delete_user(conn: &mut Conn, id: Uuid) -> QueryResult<bool> {
    Ok(diesel::delete(users::table.find(id)).execute(conn).await? > 0)
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
pub struct RefreshRow {
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub superseded_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken<'a> {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub token_hash: &'a [u8],
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_refresh_token(conn: &mut Conn, token: NewRefreshToken<'_>) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(token)
        .execute(conn)
        .await
        .map(drop)
}

/// Marks a live refresh token superseded and returns it; `None` when the
/// token is unknown, expired, revoked or already superseded. The condition is
/// in the UPDATE, so of two concurrent refreshes only one gets the row.
pub async fn supersede_refresh_token(
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

pub async fn find_refresh_token(
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

pub async fn revoke_family_refresh_tokens(conn: &mut Conn, family: Uuid) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Utc::now()))
    .execute(conn)
    .await
}

pub async fn revoke_user_refresh_tokens(conn: &mut Conn, user: Uuid) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Utc::now()))
    .execute(conn)
    .await
}

pub async fn revoke_all_refresh_tokens(conn: &mut Conn) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::revoked_at.is_null()))
        .set(refresh_tokens::revoked_at.eq(Utc::now()))
        .execute(conn)
        .await
}

pub async fn delete_expired_refresh_tokens(conn: &mut Conn) -> QueryResult<usize> {
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.lt(Utc::now())))
        .execute(conn)
        .await
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = revocations, check_for_backend(diesel::pg::Pg))]
pub struct RevocationRow {
    pub id: i64,
    pub kind: String,
    pub subject: Option<Uuid>,
    pub issued_before: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = revocations)]
pub struct NewRevocation<'a> {
    pub kind: &'a str,
    pub subject: Option<Uuid>,
    pub issued_before: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

/// Records a revocation; a trigger announces it to every replica.
pub async fn insert_revocation(conn: &mut Conn, revocation: NewRevocation<'_>) -> QueryResult<()> {
    diesel::insert_into(revocations::table)
        .values(revocation)
        .execute(conn)
        .await
        .map(drop)
}

/// Live revocations recorded after `after_id`, oldest first.
pub async fn revocations_since(conn: &mut Conn, after_id: i64) -> QueryResult<Vec<RevocationRow>> {
    revocations::table
        .filter(revocations::id.gt(after_id))
        .filter(revocations::expires_at.gt(Utc::now()))
        .order(revocations::id)
        .select(RevocationRow::as_select())
        .load(conn)
        .await
}

/// The newest revocation id, live or not.
pub async fn last_revocation_id(conn: &mut Conn) -> QueryResult<i64> {
    revocations::table
        .select(diesel::dsl::max(revocations::id))
        .first::<Option<i64>>(conn)
        .await
        .map(Option::unwrap_or_default)
}

pub async fn delete_expired_revocations(conn: &mut Conn) -> QueryResult<usize> {
    diesel::delete(revocations::table.filter(revocations::expires_at.lt(Utc::now())))
        .execute(conn)
        .await
}

/// The time an email is locked until, if it is.
pub async fn login_locked_until(
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

/// Counts one more failure for `email`; returns the consecutive count.
pub async fn record_login_failure(conn: &mut Conn, email: &str) -> QueryResult<i32> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::email.eq(email),
            login_failures::failures.eq(1),
            login_failures::updated_at.eq(Utc::now()),
        ))
        .on_conflict(login_failures::email)
        .do_update()
        .set((
            login_failures::failures
                .eq(login_failures::failures + excluded(login_failures::failures)),
            login_failures::updated_at.eq(excluded(login_failures::updated_at)),
        ))
        .returning(login_failures::failures)
        .get_result(conn)
        .await
}

pub async fn lock_login(conn: &mut Conn, email: &str, until: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(login_failures::table.find(email))
        .set(login_failures::locked_until.eq(until))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn clear_login_failures(conn: &mut Conn, email: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.find(email))
        .execute(conn)
        .await
        .map(drop)
}

/// Forgets failures not repeated for `older_than` and no longer locking.
pub async fn delete_stale_login_failures(
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

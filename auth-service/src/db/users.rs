//! Accounts.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::{
    domain::{Role, User},
    schema::{deleted_users, users},
};

/// The unique constraint on `users.email`.
pub(crate) const USERS_EMAIL_KEY: &str = "users_email_key";

#[derive(Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
struct UserRow {
    id: Uuid,
    email: String,
    display_name: String,
    role: Role,
    disabled: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        let UserRow {
            id,
            email,
            display_name,
            role,
            disabled,
            created_at,
            updated_at,
        } = row;
        Self {
            id,
            email,
            display_name,
            role,
            disabled,
            created_at,
            updated_at,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
struct CredentialsRow {
    #[diesel(embed)]
    user: UserRow,
    password_hash: String,
}

/// An account with its password hash: what a login checks.
pub(crate) struct Credentials {
    pub(crate) user: User,
    pub(crate) password_hash: String,
}

impl From<CredentialsRow> for Credentials {
    fn from(row: CredentialsRow) -> Self {
        Self {
            user: row.user.into(),
            password_hash: row.password_hash,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub(crate) struct NewUser<'a> {
    pub(crate) id: Uuid,
    pub(crate) email: &'a str,
    pub(crate) display_name: &'a str,
    pub(crate) password_hash: &'a str,
    pub(crate) role: Role,
}

/// The changes UpdateUser may make; `None` leaves a column alone.
#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub(crate) struct UserChanges<'a> {
    pub(crate) display_name: Option<&'a str>,
    pub(crate) role: Option<Role>,
    pub(crate) disabled: Option<bool>,
    pub(crate) updated_at: Option<DateTime<Utc>>,
}

pub(crate) async fn insert(conn: &mut Conn, user: NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(user)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
        .map(User::from)
}

pub(crate) async fn find(conn: &mut Conn, id: Uuid) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
        .map(|row| row.map(User::from))
}

pub(crate) async fn find_credentials(
    conn: &mut Conn,
    email: &str,
) -> QueryResult<Option<Credentials>> {
    let row = users::table
        .filter(users::email.eq(email))
        .select(CredentialsRow::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(Credentials::from))
}

/// Locks account `id`'s row until the transaction ends and answers it as
/// it is now. Every transaction that issues, rotates or revokes a user's
/// tokens takes it first (before any other lock), so a revocation waits
/// for a rotation under way and then sees the token it issued, and no
/// token is issued from a read of the account older than the lock (its
/// role, whether it is disabled, its password).
pub(crate) async fn lock(conn: &mut Conn, id: Uuid) -> QueryResult<Option<Credentials>> {
    let row = users::table
        .find(id)
        .select(CredentialsRow::as_select())
        .for_no_key_update()
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(Credentials::from))
}

/// Locks every account's row, in id order, as [`lock`] locks one: for
/// revoking everyone's tokens.
pub(crate) async fn lock_all(conn: &mut Conn) -> QueryResult<()> {
    users::table
        .select(users::id)
        .order(users::id)
        .for_no_key_update()
        .load::<Uuid>(conn)
        .await
        .map(drop)
}

/// A page of users in (created_at, id) order, after the given position.
pub(crate) async fn list(
    conn: &mut Conn,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<User>> {
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
    let rows = query.load(conn).await?;
    Ok(rows.into_iter().map(User::from).collect())
}

pub(crate) async fn update(
    conn: &mut Conn,
    id: Uuid,
    changes: UserChanges<'_>,
) -> QueryResult<Option<User>> {
    diesel::update(users::table.find(id))
        .set(changes)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
        .optional()
        .map(|row| row.map(User::from))
}

pub(crate) async fn set_password(conn: &mut Conn, id: Uuid, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
}

pub(crate) async fn set_role_by_email(
    conn: &mut Conn,
    email: &str,
    role: Role,
) -> QueryResult<usize> {
    diesel::update(users::table.filter(users::email.eq(email)))
        .set((users::role.eq(role), users::updated_at.eq(Utc::now())))
        .execute(conn)
        .await
}

/// Held from a deletion's record to its transaction's end.
const DELETION_LOCK: i64 = 0x6465_6c65; // "dele"

/// Deletes account `id` and records that it was deleted, for
/// [`deleted_after`]. Run in a transaction (every caller does): deletions
/// then commit one at a time, in `sequence` order, so a service that has
/// handled up to a sequence number has missed none below it.
pub(crate) async fn delete(conn: &mut Conn, id: Uuid) -> QueryResult<bool> {
    if diesel::delete(users::table.find(id)).execute(conn).await? == 0 {
        return Ok(false);
    }
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(DELETION_LOCK)
        .execute(conn)
        .await?;
    diesel::insert_into(deleted_users::table)
        .values(deleted_users::user_id.eq(id))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(true)
}

/// A deleted account.
#[derive(Queryable, Selectable)]
#[diesel(table_name = deleted_users, check_for_backend(diesel::pg::Pg))]
pub(crate) struct DeletedUserRow {
    pub(crate) sequence: i64,
    pub(crate) user_id: Uuid,
    pub(crate) deleted_at: DateTime<Utc>,
}

/// Up to `limit` accounts deleted after the one numbered `after`, in the
/// order they were deleted.
pub(crate) async fn deleted_after(
    conn: &mut Conn,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<DeletedUserRow>> {
    deleted_users::table
        .filter(deleted_users::sequence.gt(after))
        .order(deleted_users::sequence)
        .limit(limit)
        .select(DeletedUserRow::as_select())
        .load(conn)
        .await
}

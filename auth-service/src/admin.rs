//! Administration: users (list, get, update, delete), revocations (one
//! user's tokens, everyone's), and the cleanup of expired records.

use chrono::{TimeDelta, Utc};
use completionist_common::{
    db::{self as common_db, Pool},
    paging::{Page, PageSize},
};
use completionist_proto::auth as pb;
use tonic::Request;
use uuid::Uuid;

use crate::{
    app::{App, Caller, revocation_time, revoke_deleted_user, revoke_user},
    db::{
        self,
        revocations::NewRevocation,
        users::{DeletedUserRow, UserChanges},
    },
    domain::{DisplayName, Email, Role, User, UserId},
    error::Error,
    revocation::RevocationKind,
};

/// UpdateUser's target and masked changes; `None` leaves a field alone.
#[derive(Debug)]
pub(crate) struct UserUpdate {
    pub(crate) id: UserId,
    pub(crate) display_name: Option<DisplayName>,
    pub(crate) role: Option<Role>,
    pub(crate) disabled: Option<bool>,
}

/// Whose tokens RevokeUserTokens revokes: the caller's when `None`.
pub(crate) struct RevokeTarget(pub(crate) Option<UserId>);

/// A ListUsers page request.
pub(crate) struct UserPage {
    pub(crate) size: PageSize,
    pub(crate) token: String,
}

/// Where ListUsers resumes: after this (created_at, id).
type Position = (chrono::DateTime<Utc>, Uuid);

pub(crate) async fn list_users(
    app: &App,
    request: Request<pb::ListUsersRequest>,
) -> Result<pb::ListUsersResponse, Error> {
    let caller = Caller::of(&request)?;
    let page = UserPage::try_from(request.into_inner())?;
    caller.require_admin()?;
    let me = caller.user_id().to_string();
    let after = app
        .page_tokens
        .open::<(), Position>(&page.token, &me, &())?;
    let limit = page.size.limit();
    let users = common_db::read(&app.pool, |conn| {
        Box::pin(db::users::list(conn, after, limit))
    })
    .await?;
    let page = Page::from_rows(users, page.size, |u: &User| {
        app.page_tokens.seal(&me, &(), &(u.created_at, u.id))
    });
    Ok(pb::ListUsersResponse {
        users: page.items.into_iter().map(Into::into).collect(),
        next_page_token: page.next_page_token,
    })
}

pub(crate) async fn get_user(
    app: &App,
    request: Request<pb::GetUserRequest>,
) -> Result<pb::GetUserResponse, Error> {
    let caller = Caller::of(&request)?;
    let id = UserId::try_from(request.into_inner())?;
    caller.require_admin()?;
    let user = common_db::read(&app.pool, |conn| Box::pin(db::users::find(conn, id.0)))
        .await?
        .ok_or(Error::UserNotFound)?;
    Ok(pb::GetUserResponse {
        user: Some(user.into()),
    })
}

/// Changing the role or disabling revokes the account's tokens, so the
/// role in every live token is the current one.
pub(crate) async fn update_user(
    app: &App,
    request: Request<pb::UpdateUserRequest>,
) -> Result<pb::UpdateUserResponse, Error> {
    let caller = Caller::of(&request)?;
    let update = UserUpdate::try_from(request.into_inner())?;
    caller.require_admin()?;
    let demotes_or_disables_self = update.id.0 == caller.user_id()
        && (update.role == Some(Role::User) || update.disabled == Some(true));
    if demotes_or_disables_self {
        return Err(Error::CannotModifySelf);
    }
    let ttl = app.revocation_ttl();
    let user = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            let id = update.id.0;
            let before = db::users::lock(conn, id)
                .await?
                .ok_or(Error::UserNotFound)?
                .user;
            let changes = UserChanges {
                display_name: update.display_name.as_ref().map(DisplayName::as_str),
                role: update.role,
                disabled: update.disabled,
                updated_at: Some(Utc::now()),
            };
            let after = db::users::update(conn, id, changes)
                .await?
                .ok_or(Error::UserNotFound)?;
            if after.role != before.role || (after.disabled && !before.disabled) {
                revoke_user(conn, id, ttl).await?;
            }
            Ok(after)
        })
    })
    .await?;
    app.sync_revocations().await?;
    Ok(pb::UpdateUserResponse {
        user: Some(user.into()),
    })
}

pub(crate) async fn delete_user(
    app: &App,
    request: Request<pb::DeleteUserRequest>,
) -> Result<pb::DeleteUserResponse, Error> {
    let caller = Caller::of(&request)?;
    let id = UserId::try_from(request.into_inner())?.0;
    caller.require_admin()?;
    if id == caller.user_id() {
        return Err(Error::CannotModifySelf);
    }
    let ttl = app.revocation_ttl();
    common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            if !db::users::delete(conn, id).await? {
                return Err(Error::UserNotFound);
            }
            revoke_deleted_user(conn, id, ttl).await.map(drop)
        })
    })
    .await?;
    app.sync_revocations().await?;
    Ok(pb::DeleteUserResponse {})
}

/// Which deleted accounts to list: those after a sequence number.
pub(crate) struct DeletionPage {
    pub(crate) size: PageSize,
    pub(crate) token: String,
    pub(crate) after: i64,
}

/// Accounts deleted after a point, for services catching up (internal).
pub(crate) async fn list_deleted_users(
    app: &App,
    request: Request<pb::ListDeletedUsersRequest>,
) -> Result<pb::ListDeletedUsersResponse, Error> {
    let page = DeletionPage::try_from(request.into_inner())?;
    // Not bound to a caller (services have no account), only to the query.
    let after = app
        .page_tokens
        .open::<i64, i64>(&page.token, "", &page.after)?
        .unwrap_or(page.after);
    let limit = page.size.limit();
    let rows = common_db::read(&app.pool, |conn| {
        Box::pin(db::users::deleted_after(conn, after, limit))
    })
    .await?;
    let query = page.after;
    let page = Page::from_rows(rows, page.size, |row: &DeletedUserRow| {
        app.page_tokens.seal("", &query, &row.sequence)
    });
    Ok(pb::ListDeletedUsersResponse {
        deleted_users: page.items.into_iter().map(Into::into).collect(),
        next_page_token: page.next_page_token,
    })
}

/// Revokes every token of a user issued until now: the caller's own, or
/// (for admins) anyone's.
pub(crate) async fn revoke_user_tokens(
    app: &App,
    request: Request<pb::RevokeUserTokensRequest>,
) -> Result<pb::RevokeUserTokensResponse, Error> {
    let caller = Caller::of(&request)?;
    let RevokeTarget(target) = RevokeTarget::try_from(request.into_inner())?;
    let target = target.map_or(caller.user_id(), |id| id.0);
    if target != caller.user_id() {
        caller.require_admin()?;
    }
    let ttl = app.revocation_ttl();
    let at = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            if db::users::lock(conn, target).await?.is_none() {
                return Err(Error::UserNotFound);
            }
            revoke_user(conn, target, ttl).await
        })
    })
    .await?;
    app.sync_revocations().await?;
    Ok(pb::RevokeUserTokensResponse {
        revoke_time: Some(completionist_common::time::timestamp(at)),
    })
}

pub(crate) async fn revoke_all_tokens(
    app: &App,
    request: Request<pb::RevokeAllTokensRequest>,
) -> Result<pb::RevokeAllTokensResponse, Error> {
    Caller::of(&request)?.require_admin()?;
    let ttl = app.revocation_ttl();
    let at = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            db::users::lock_all(conn).await?;
            let now = revocation_time().await;
            db::tokens::revoke_all_refresh_tokens(conn).await?;
            let revocation = NewRevocation {
                kind: RevocationKind::All,
                subject: None,
                issued_before: Some(now),
                expires_at: now + ttl,
            };
            db::revocations::insert(conn, revocation).await?;
            Ok::<_, Error>(now)
        })
    })
    .await?;
    app.sync_revocations().await?;
    Ok(pb::RevokeAllTokensResponse {
        revoke_time: Some(completionist_common::time::timestamp(at)),
    })
}

pub(crate) async fn cleanup_revoked_tokens(
    app: &App,
    request: Request<pb::CleanupRevokedTokensRequest>,
) -> Result<pb::CleanupRevokedTokensResponse, Error> {
    Caller::of(&request)?.require_admin()?;
    let deleted = cleanup(app).await?;
    Ok(pb::CleanupRevokedTokensResponse {
        deleted_count: i64::try_from(deleted).unwrap_or(i64::MAX),
    })
}

/// Removes expired revocation records, refresh tokens and stale login
/// failures; returns how many rows went.
pub(crate) async fn cleanup(app: &App) -> Result<u64, Error> {
    let lockout_memory = app.login.max_lockout;
    let deleted = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            let revocations = db::revocations::delete_expired(conn).await?;
            let refresh = db::tokens::delete_expired_refresh_tokens(conn).await?;
            let older_than = Utc::now() - TimeDelta::from_std(lockout_memory).unwrap_or_default();
            let failures = db::tokens::delete_stale_login_failures(conn, older_than).await?;
            Ok::<_, Error>(revocations + refresh + failures)
        })
    })
    .await?;
    app.revocations.prune(Utc::now());
    Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
}

/// Grants the admin role to the account with this email (the `grant-admin`
/// subcommand). Returns whether such an account exists.
pub(crate) async fn grant_admin(pool: &Pool, email: &str) -> Result<bool, Error> {
    let mut conn = common_db::conn(pool).await?;
    let email = Email::normalize(email);
    Ok(db::users::set_role_by_email(&mut conn, &email, Role::Admin).await? > 0)
}

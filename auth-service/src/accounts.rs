//! Accounts: Register, GetCurrentUser and ChangePassword.

use completionist_common::db as common_db;
use completionist_proto::auth as pb;
use tonic::Request;
use uuid::Uuid;

use crate::{
    app::{App, Caller, revoke_user},
    db::{self, users::NewUser},
    domain::{DisplayName, Email, Password, Role, User},
    error::Error,
    sessions::{check_password, issue},
};

/// A new account, validated.
#[derive(Debug)]
pub(crate) struct NewAccount {
    pub(crate) email: Email,
    pub(crate) password: Password,
    pub(crate) display_name: DisplayName,
}

/// ChangePassword's two passwords, as typed: the new one is checked
/// against the policy once the account's email is known.
pub(crate) struct PasswordChange {
    pub(crate) current: String,
    pub(crate) new: String,
}

pub(crate) async fn register(
    app: &App,
    request: Request<pb::RegisterRequest>,
) -> Result<pb::RegisterResponse, Error> {
    let account = NewAccount::try_from(request.into_inner())?;
    let hash = app.hasher.hash(account.password).await?;
    let mut conn = common_db::conn(&app.pool).await?;
    let new = NewUser {
        id: Uuid::now_v7(),
        email: account.email.as_str(),
        display_name: account.display_name.as_str(),
        password_hash: &hash,
        role: Role::User,
    };
    let user = db::users::insert(&mut conn, new).await.map_err(|e| {
        if common_db::is_unique_violation(&e, db::users::USERS_EMAIL_KEY) {
            Error::EmailTaken
        } else {
            e.into()
        }
    })?;
    Ok(pb::RegisterResponse {
        user: Some(user.into()),
    })
}

pub(crate) async fn get_current_user(
    app: &App,
    request: Request<pb::GetCurrentUserRequest>,
) -> Result<pb::GetCurrentUserResponse, Error> {
    let pb::GetCurrentUserRequest {} = request.get_ref();
    let user = current_user(app, &Caller::of(&request)?).await?;
    Ok(pb::GetCurrentUserResponse {
        user: Some(user.into()),
    })
}

/// Changes the caller's password after checking the current one; revokes
/// every earlier token and starts a new session.
pub(crate) async fn change_password(
    app: &App,
    request: Request<pb::ChangePasswordRequest>,
) -> Result<pb::ChangePasswordResponse, Error> {
    let caller = Caller::of(&request)?;
    let change = PasswordChange::try_from(request.into_inner())?;
    let user = current_user(app, &caller).await?;
    let new = Password::parse(&change.new, Some(&user.email))
        .map_err(|why| Error::invalid("new_password", why))?;
    let checked = match check_password(app, &user.email, &change.current).await {
        Ok(checked) => checked,
        Err(Error::InvalidCredentials) => return Err(Error::WrongPassword),
        Err(other) => return Err(other),
    };
    let hash = app.hasher.hash(new).await?;
    let keys = app.keys.clone();
    let ttl = app.revocation_ttl();
    let tokens = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            // The password checked must still be the account's once locked
            // (db::users::lock): another change may have landed meanwhile.
            let user = db::users::lock(conn, user.id)
                .await?
                .ok_or(Error::UserNotFound)?;
            if user.password_hash != checked.password_hash {
                return Err(Error::WrongPassword);
            }
            let user = user.user;
            if user.disabled {
                return Err(Error::AccountDisabled);
            }
            db::users::set_password(conn, user.id, &hash).await?;
            revoke_user(conn, user.id, ttl).await?;
            issue(conn, &keys, user.id, user.role, Uuid::now_v7()).await
        })
    })
    .await?;
    app.sync_revocations().await?;
    Ok(pb::ChangePasswordResponse {
        tokens: Some(tokens.into()),
    })
}

async fn current_user(app: &App, caller: &Caller) -> Result<User, Error> {
    let id = caller.user_id();
    common_db::read(&app.pool, |conn| Box::pin(db::users::find(conn, id)))
        .await?
        .ok_or(Error::UserNotFound)
}

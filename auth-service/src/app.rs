//! What auth-service does, as plain async methods over domain types; the gRPC
//! layer (`service.rs`) only converts to and from protobuf.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use completionist_common::db::{self as common_db, DbError, Pool};
use uuid::Uuid;

use crate::{
    config::{Config, LoginPolicy},
    db::{self, NewRefreshToken, NewRevocation, NewUser, UserChanges, UserRow},
    domain::{DisplayName, Email, Password, Role, UserId},
    error::Error,
    password::Hasher,
    revocation::Revocations,
    slots::Activity,
    token::{AccessToken, Claims, Keys, hash_refresh_token, new_refresh_token},
};

/// The state every call shares. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pool: Pool,
    keys: Arc<Keys>,
    hasher: Hasher,
    revocations: Arc<Revocations>,
    login: LoginPolicy,
}

/// A new account, validated.
#[derive(Debug)]
pub struct NewAccount {
    pub email: Email,
    pub password: Password,
    pub display_name: DisplayName,
}

/// A fresh access token and the refresh token of the same session.
pub struct Tokens {
    pub access: AccessToken,
    pub refresh: String,
    pub refresh_expires_at: DateTime<Utc>,
}

/// Who is calling: the claims of a checked, unrevoked access token.
#[derive(Clone, Debug)]
pub struct Caller(pub Claims);

impl Caller {
    pub fn user_id(&self) -> Uuid {
        self.0.sub
    }

    fn require_admin(&self) -> Result<(), Error> {
        match self.0.role {
            Role::Admin => Ok(()),
            Role::User => Err(Error::AdminRequired),
        }
    }
}

/// What UpdateUser changes; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct UserUpdate {
    pub display_name: Option<DisplayName>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

/// Where ListUsers resumes: after this (created_at, id).
#[derive(serde::Serialize, serde::Deserialize)]
struct UserCursor {
    created_at: DateTime<Utc>,
    id: Uuid,
}

impl App {
    pub fn new(
        config: &Config,
        pool: Pool,
        revocations: Arc<Revocations>,
        activity: Arc<Activity>,
    ) -> Result<Self, anyhow::Error> {
        Ok(Self {
            pool,
            keys: Arc::new(Keys::new(config.jwt.clone())),
            hasher: Hasher::new(config.hashing_concurrency, activity)?,
            revocations,
            login: config.login,
        })
    }

    pub async fn register(&self, account: NewAccount) -> Result<UserRow, Error> {
        let hash = self.hasher.hash(account.password).await?;
        let mut conn = common_db::conn(&self.pool).await?;
        let new = NewUser {
            id: Uuid::now_v7(),
            email: account.email.as_str(),
            display_name: account.display_name.as_str(),
            password_hash: &hash,
            role: Role::User.as_str(),
        };
        db::insert_user(&mut conn, new).await.map_err(|e| {
            if common_db::is_unique_violation(&e, db::USERS_EMAIL_KEY) {
                Error::EmailTaken
            } else {
                e.into()
            }
        })
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<(UserRow, Tokens), Error> {
        let email = Email::normalize(email);
        let user = self.check_password(&email, password).await?;
        if user.disabled {
            return Err(Error::AccountDisabled);
        }
        let role = parse_role(&user.role)?;
        let tokens = self.issue_in_new_session(user.id, role).await?;
        Ok((user, tokens))
    }

    /// Checks a password against an account, throttling repeated failures
    /// per email (known or not, so the lock does not reveal who exists).
    async fn check_password(&self, email: &str, password: &str) -> Result<UserRow, Error> {
        let mut conn = common_db::conn(&self.pool).await?;
        let now = Utc::now();
        if let Some(until) = db::login_locked_until(&mut conn, email).await?
            && until > now
        {
            return Err(Error::TooManyAttempts {
                retry_after: (until - now).to_std().unwrap_or_default(),
            });
        }
        let user = db::find_user_by_email(&mut conn, email).await?;
        // Return the connection while argon2 runs.
        drop(conn);
        let hash = user.as_ref().map(|u| u.password_hash.as_str());
        let matches = self.hasher.verify(password, hash).await?;
        let mut conn = common_db::conn(&self.pool).await?;
        match user {
            Some(user) if matches => {
                db::clear_login_failures(&mut conn, email).await?;
                Ok(user)
            }
            _ => {
                let failures = db::record_login_failure(&mut conn, email).await?;
                if let Some(lock) = lockout(self.login, failures) {
                    db::lock_login(&mut conn, email, Utc::now() + lock).await?;
                }
                Err(Error::InvalidCredentials)
            }
        }
    }

    /// Starts a session: a new refresh token family and its first tokens.
    async fn issue_in_new_session(&self, user: Uuid, role: Role) -> Result<Tokens, Error> {
        let keys = self.keys.clone();
        common_db::transaction::<_, Error, _>(&self.pool, move |conn| {
            Box::pin(async move { issue(conn, &keys, user, role, Uuid::now_v7()).await })
        })
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, Error> {
        if refresh_token.is_empty() {
            return Err(Error::invalid("refresh_token", "must not be empty"));
        }
        let hash = hash_refresh_token(refresh_token);
        let keys = self.keys.clone();
        let ttl = self.revocation_ttl();
        let outcome = common_db::transaction::<_, Error, _>(&self.pool, move |conn| {
            Box::pin(async move {
                if let Some(old) = db::supersede_refresh_token(conn, &hash).await? {
                    let user = db::find_user(conn, old.user_id)
                        .await?
                        .ok_or(Error::RefreshTokenInvalid)?;
                    if user.disabled {
                        return Err(Error::AccountDisabled);
                    }
                    let role = parse_role(&user.role)?;
                    return issue(conn, &keys, user.id, role, old.family_id)
                        .await
                        .map(Ok);
                }
                let Some(row) = db::find_refresh_token(conn, &hash).await? else {
                    return Err(Error::RefreshTokenInvalid);
                };
                if row.revoked_at.is_some() {
                    Err(Error::TokenRevoked)
                } else if row.superseded_at.is_some() {
                    // Someone presents a token that was already rotated:
                    // the token leaked, or a client replayed it. End the
                    // whole session, access tokens included.
                    revoke_family(conn, row.family_id, ttl).await?;
                    Ok(Err(Error::RefreshTokenReused))
                } else {
                    Err(Error::RefreshTokenExpired)
                }
            })
        })
        .await?;
        // The reuse verdict is returned as a value so its revocation commits.
        if matches!(outcome, Err(Error::RefreshTokenReused)) {
            self.sync_revocations().await?;
        }
        outcome
    }

    pub async fn logout(&self, caller: &Caller) -> Result<(), Error> {
        let claims = caller.0.clone();
        let ttl = self.revocation_ttl();
        common_db::transaction::<_, Error, _>(&self.pool, move |conn| {
            Box::pin(async move {
                db::insert_revocation(
                    conn,
                    NewRevocation {
                        kind: "token",
                        subject: Some(claims.jti),
                        issued_before: None,
                        expires_at: claims.expires_at() + ttl,
                    },
                )
                .await?;
                revoke_family(conn, claims.sid, ttl).await?;
                Ok::<_, Error>(())
            })
        })
        .await?;
        self.sync_revocations().await
    }

    /// Checks an access token: signature, type, expiry, issuer, audience and
    /// revocation (which covers disabled and deleted users). No database
    /// round trip while the revocation listener is current.
    pub async fn authenticate(&self, token: &str) -> Result<Caller, Error> {
        let claims = self.keys.decode(token)?;
        if !self.revocations.is_current() {
            let mut conn = common_db::conn(&self.pool).await?;
            self.revocations
                .catch_up(&mut conn)
                .await
                .map_err(DbError::from)?;
        }
        if self.revocations.is_revoked(&claims) {
            return Err(Error::TokenRevoked);
        }
        Ok(Caller(claims))
    }

    /// Revokes every token of `target` (the caller when `None`) issued
    /// until now.
    pub async fn revoke_user_tokens(
        &self,
        caller: &Caller,
        target: Option<UserId>,
    ) -> Result<DateTime<Utc>, Error> {
        let target = target.map_or(caller.user_id(), |id| id.0);
        if target != caller.user_id() {
            caller.require_admin()?;
        }
        let ttl = self.revocation_ttl();
        let at = common_db::transaction::<_, Error, _>(&self.pool, move |conn| {
            Box::pin(async move {
                if db::find_user(conn, target).await?.is_none() {
                    return Err(Error::UserNotFound);
                }
                revoke_user(conn, target, ttl).await
            })
        })
        .await?;
        self.sync_revocations().await?;
        Ok(at)
    }

    pub async fn revoke_all(&self, caller: &Caller) -> Result<DateTime<Utc>, Error> {
        caller.require_admin()?;
        let ttl = self.revocation_ttl();
        let at = common_db::transaction::<_, Error, _>(&self.pool, move |conn| {
            Box::pin(async move {
                let now = Utc::now();
                db::revoke_all_refresh_tokens(conn).await?;
                db::insert_revocation(
                    conn,
                    NewRevocation {
                        kind: "all",
                        subject: None,
                        issued_before: Some(now),
                        expires_at: now + ttl,
                    },
                )
                .await?;
                Ok::<_, Error>(now)
            })
        })
        .await?;
        self.sync_revocations().await?;
        Ok(at)
    }

    /// Removes expired revocation records, refresh tokens and stale login
    /// failures; returns how many rows went.
    pub async fn cleanup(&self) -> Result<u64, Error> {
        let lockout_memory = self.login.max_lockout;
        let deleted = common_db::transaction::<_, Error, _>(&self.pool, move |conn| {
            Box::pin(async move {
                let revocations = db::delete_expired_revocations(conn).await?;
                let refresh = db::delete_expired_refresh_tokens(conn).await?;
                let older_than =
                    Utc::now() - TimeDelta::from_std(lockout_memory).unwrap_or_default();
                let failures = db::delete_stale_login_failures(conn, older_than).await?;
                Ok::<_, Error>(revocations + refresh + failures)
            })
        })
        .await?;
        self.revocations.prune(Utc::now());
        Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
    }

    pub async fn cleanup_as(&self, caller: &Caller) -> Result<u64, Error> {
        caller.require_admin()?;
        self.cleanup().await
    }

    pub async fn current_user(&self, caller: &Caller) -> Result<UserRow, Error> {
        let mut conn = common_db::conn(&self.pool).await?;
        db::find_user(&mut conn, caller.user_id())
            .await?
            .ok_or(Error::UserNotFound)
    }

    /// Changes the caller's password after checking the current one;
    /// revokes every earlier token and starts a new session.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
    ) -> Result<Tokens, Error> {
        let user = self.current_user(caller).await?;
        let new = Password::parse(new, Some(&user.email))
            .map_err(|why| Error::invalid("new_password", why))?;
        match self.check_password(&user.email, current).await {
            Ok(_) => {}
            Err(Error::InvalidCredentials) => return Err(Error::WrongPassword),
            Err(other) => return Err(other),
        }
        let hash = self.hasher.hash(new).await?;
        let keys = self.keys.clone();
        let ttl = self.revocation_ttl();
        let role = parse_role(&user.role)?;
        let tokens = common_db::transaction::<_, Error, _>(&self.pool, move |conn| {
            Box::pin(async move {
                db::set_password(conn, user.id, &hash).await?;
                revoke_user(conn, user.id, ttl).await?;
                issue(conn, &keys, user.id, role, Uuid::now_v7()).await
            })
        })
        .await?;
        self.sync_revocations().await?;
        Ok(tokens)
    }

    pub async fn list_users(
        &self,
        caller: &Caller,
        page_size: i64,
        page_token: &str,
    ) -> Result<(Vec<UserRow>, String), Error> {
        caller.require_admin()?;
        let after = completionist_common::page_token::decode::<UserCursor>(page_token)
            .map_err(|e| Error::invalid("page_token", e.to_string()))?
            .map(|c| (c.created_at, c.id));
        let mut conn = common_db::conn(&self.pool).await?;
        let mut users = db::list_users(&mut conn, after, page_size + 1).await?;
        let next = if users.len() > usize::try_from(page_size).unwrap_or(usize::MAX) {
            users.pop();
            users.last().map_or_else(String::new, |last| {
                completionist_common::page_token::encode(&UserCursor {
                    created_at: last.created_at,
                    id: last.id,
                })
            })
        } else {
            String::new()
        };
        Ok((users, next))
    }

    pub async fn get_user(&self, caller: &Caller, id: UserId) -> Result<UserRow, Error> {
        caller.require_admin()?;
        let mut conn = common_db::conn(&self.pool).await?;
        db::find_user(&mut conn, id.0)
            .await?
            .ok_or(Error::UserNotFound)
    }

    /// Changing the role or disabling revokes the account's tokens, so the
    /// role in every live token is the current one.
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: UserId,
        update: UserUpdate,
    ) -> Result<UserRow, Error> {
        caller.require_admin()?;
        let demotes_or_disables_self = id.0 == caller.user_id()
            && (update.role == Some(Role::User) || update.disabled == Some(true));
        if demotes_or_disables_self {
            return Err(Error::CannotModifySelf);
        }
        let ttl = self.revocation_ttl();
        let user = common_db::transaction::<_, Error, _>(&self.pool, move |conn| {
            Box::pin(async move {
                let before = db::find_user(conn, id.0)
                    .await?
                    .ok_or(Error::UserNotFound)?;
                let changes = UserChanges {
                    display_name: update.display_name.as_ref().map(DisplayName::as_str),
                    role: update.role.map(Role::as_str),
                    disabled: update.disabled,
                    updated_at: Some(Utc::now()),
                };
                let after = db::update_user(conn, id.0, changes)
                    .await?
                    .ok_or(Error::UserNotFound)?;
                if after.role != before.role || (after.disabled && !before.disabled) {
                    revoke_user(conn, id.0, ttl).await?;
                }
                Ok(after)
            })
        })
        .await?;
        self.sync_revocations().await?;
        Ok(user)
    }

    pub async fn delete_user(&self, caller: &Caller, id: UserId) -> Result<(), Error> {
        caller.require_admin()?;
        if id.0 == caller.user_id() {
            return Err(Error::CannotModifySelf);
        }
        let ttl = self.revocation_ttl();
        common_db::transaction::<_, Error, _>(&self.pool, move |conn| {
            Box::pin(async move {
                if !db::delete_user(conn, id.0).await? {
                    return Err(Error::UserNotFound);
                }
                revoke_user(conn, id.0, ttl).await.map(drop)
            })
        })
        .await?;
        self.sync_revocations().await
    }

    /// Applies revocations this replica just committed, so its own next
    /// call sees them without waiting for the announcement to come round.
    async fn sync_revocations(&self) -> Result<(), Error> {
        let mut conn = common_db::conn(&self.pool).await?;
        self.revocations
            .catch_up(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(())
    }

    /// How long a revocation made now must be kept: until every access token
    /// it covers has expired, leeway included.
    fn revocation_ttl(&self) -> TimeDelta {
        let config = self.keys.config();
        TimeDelta::from_std(config.access_ttl + config.leeway).unwrap_or(TimeDelta::days(1))
    }
}

/// Grants the admin role to the account with this email (the `grant-admin`
/// subcommand). Returns whether such an account exists.
pub async fn grant_admin(pool: &Pool, email: &str) -> Result<bool, Error> {
    let mut conn = common_db::conn(pool).await?;
    let email = Email::normalize(email);
    Ok(db::set_role_by_email(&mut conn, &email, Role::Admin.as_str()).await? > 0)
}

/// Signs an access token and stores a new refresh token in `family`.
async fn issue(
    conn: &mut db::Conn,
    keys: &Keys,
    user: Uuid,
    role: Role,
    family: Uuid,
) -> Result<Tokens, Error> {
    let refresh = new_refresh_token();
    let refresh_expires_at = Utc::now()
        + TimeDelta::from_std(keys.config().refresh_ttl)
            .map_err(|e| anyhow::anyhow!("refresh TTL out of range: {e}"))?;
    db::insert_refresh_token(
        conn,
        NewRefreshToken {
            id: Uuid::now_v7(),
            family_id: family,
            user_id: user,
            token_hash: &hash_refresh_token(&refresh),
            expires_at: refresh_expires_at,
        },
    )
    .await?;
    let access = keys.issue(user, role, family)?;
    Ok(Tokens {
        access,
        refresh,
        refresh_expires_at,
    })
}

async fn revoke_family(conn: &mut db::Conn, family: Uuid, ttl: TimeDelta) -> Result<(), Error> {
    db::revoke_family_refresh_tokens(conn, family).await?;
    db::insert_revocation(
        conn,
        NewRevocation {
            kind: "family",
            subject: Some(family),
            issued_before: None,
            expires_at: Utc::now() + ttl,
        },
    )
    .await?;
    Ok(())
}

async fn revoke_user(
    conn: &mut db::Conn,
    user: Uuid,
    ttl: TimeDelta,
) -> Result<DateTime<Utc>, Error> {
    let now = Utc::now();
    db::revoke_user_refresh_tokens(conn, user).await?;
    db::insert_revocation(
        conn,
        NewRevocation {
            kind: "user",
            subject: Some(user),
            issued_before: Some(now),
            expires_at: now + ttl,
        },
    )
    .await?;
    Ok(now)
}

fn parse_role(stored: &str) -> Result<Role, Error> {
    stored
        .parse()
        .map_err(|e: String| Error::Internal(anyhow::anyhow!("stored role: {e}")))
}

/// How long to lock an email after `failures` consecutive failures: nothing
/// up to the allowance, then `lockout`, doubling per further failure.
fn lockout(policy: LoginPolicy, failures: i32) -> Option<TimeDelta> {
    let over = u32::try_from(failures)
        .ok()?
        .checked_sub(policy.max_failures)?;
    let lock = policy
        .lockout
        .checked_mul(1u32.checked_shl(over.min(16))?)
        .unwrap_or(policy.max_lockout)
        .min(policy.max_lockout);
    TimeDelta::from_std(lock).ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn lockout_doubles_up_to_the_cap() {
        let policy = LoginPolicy {
            max_failures: 3,
            lockout: Duration::from_secs(10),
            max_lockout: Duration::from_secs(60),
        };
        assert_eq!(lockout(policy, 2), None);
        assert_eq!(lockout(policy, 3), Some(TimeDelta::seconds(10)));
        assert_eq!(lockout(policy, 4), Some(TimeDelta::seconds(20)));
        assert_eq!(lockout(policy, 6), Some(TimeDelta::seconds(60)));
        assert_eq!(lockout(policy, 500), Some(TimeDelta::seconds(60)));
    }
}

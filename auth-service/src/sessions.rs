//! Sessions: Login (with its throttle), Refresh (rotation, a short reuse
//! interval, and reuse detection that ends the session), Logout, and
//! ValidateToken for the other services. A session is a refresh token
//! family.

use chrono::{DateTime, TimeDelta, Utc};
use completionist_common::db as common_db;
use completionist_proto::auth as pb;
use tonic::Request;
use uuid::Uuid;

use crate::{
    app::{App, Caller, revoke_family},
    config::LoginPolicy,
    db::{self, revocations::NewRevocation, tokens::NewRefreshToken, users::Credentials},
    domain::{Email, Role, User},
    error::Error,
    revocation::RevocationKind,
    token::{
        AccessToken, Keys, hash_refresh_token, new_refresh_token, open_successor, seal_successor,
    },
};

/// A fresh access token and the refresh token of the same session.
pub(crate) struct Tokens {
    pub(crate) access: AccessToken,
    pub(crate) refresh: String,
    pub(crate) refresh_expires_at: DateTime<Utc>,
}

/// What a login presents; the email as typed.
pub(crate) struct LoginAttempt {
    pub(crate) email: String,
    pub(crate) password: String,
}

pub(crate) async fn login(
    app: &App,
    request: Request<pb::LoginRequest>,
) -> Result<pb::LoginResponse, Error> {
    let attempt = LoginAttempt::try_from(request.into_inner())?;
    let checked = check_password(app, &attempt.email, &attempt.password).await?;
    let (user, tokens) = issue_in_new_session(app, checked).await?;
    Ok(pb::LoginResponse {
        user: Some(user.into()),
        tokens: Some(tokens.into()),
    })
}

pub(crate) async fn refresh(
    app: &App,
    request: Request<pb::RefreshRequest>,
) -> Result<pb::RefreshResponse, Error> {
    let pb::RefreshRequest { refresh_token } = request.into_inner();
    if refresh_token.is_empty() {
        return Err(Error::invalid("refresh_token", "must not be empty"));
    }
    let tokens = rotate(app, refresh_token).await?;
    Ok(pb::RefreshResponse {
        tokens: Some(tokens.into()),
    })
}

pub(crate) async fn logout(
    app: &App,
    request: Request<pb::LogoutRequest>,
) -> Result<pb::LogoutResponse, Error> {
    let pb::LogoutRequest {} = request.get_ref();
    let claims = Caller::of(&request)?.0;
    let ttl = app.revocation_ttl();
    common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            // First, as every revocation does (db::users::lock).
            db::users::lock(conn, claims.sub).await?;
            db::revocations::insert(
                conn,
                NewRevocation {
                    kind: RevocationKind::Token,
                    subject: Some(claims.jti),
                    issued_before: None,
                    expires_at: claims.expires_at() + ttl,
                },
            )
            .await?;
            revoke_family(conn, claims.sub, claims.sid, ttl).await
        })
    })
    .await?;
    app.sync_revocations().await?;
    Ok(pb::LogoutResponse {})
}

/// For services only (the gateway does not forward it): who a token
/// belongs to, if it is valid.
pub(crate) async fn validate_token(
    app: &App,
    request: Request<pb::ValidateTokenRequest>,
) -> Result<pb::ValidateTokenResponse, Error> {
    let pb::ValidateTokenRequest { access_token } = request.into_inner();
    if access_token.is_empty() {
        return Err(Error::invalid("access_token", "must not be empty"));
    }
    Ok(app.validate(&access_token).await?.into())
}

/// Checks a password against an account, throttling repeated failures
/// per email (known or not, so the lock does not reveal who exists);
/// answers the account with the hash the password matched.
pub(crate) async fn check_password(
    app: &App,
    email: &str,
    password: &str,
) -> Result<Credentials, Error> {
    let email = Email::normalize(email);
    let policy = app.login;
    let counted = {
        let email = email.clone();
        common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
            Box::pin(async move {
                let Some(attempts) = db::tokens::count_login_attempt(conn, &email).await? else {
                    let until = db::tokens::login_locked_until(conn, &email).await?;
                    return Ok(Err(until.unwrap_or_else(Utc::now)));
                };
                // The attempt that reaches the allowance locks before it is
                // checked (and a success unlocks): attempts sent at once
                // behind it are refused, not checked.
                if let Some(lock) = lockout(policy, attempts) {
                    db::tokens::lock_login(conn, &email, Utc::now() + lock).await?;
                }
                Ok(Ok(()))
            })
        })
        .await?
    };
    if let Err(until) = counted {
        return Err(Error::TooManyAttempts {
            retry_after: (until - Utc::now())
                .to_std()
                .unwrap_or_default()
                .max(std::time::Duration::from_secs(1)),
        });
    }
    let mut conn = common_db::conn(&app.pool).await?;
    let found = db::users::find_credentials(&mut conn, &email).await?;
    // Return the connection while argon2 runs.
    drop(conn);
    let hash = found.as_ref().map(|c| c.password_hash.as_str());
    let matches = app.hasher.verify(password, hash).await?;
    match found {
        Some(credentials) if matches => {
            let mut conn = common_db::conn(&app.pool).await?;
            db::tokens::clear_login_failures(&mut conn, &email).await?;
            Ok(credentials)
        }
        _ => Err(Error::InvalidCredentials),
    }
}

/// Starts a session for the account whose password was `checked`: a new
/// refresh token family and its first tokens, with the account as it is
/// once locked. A password changed or an account disabled while the hash
/// was being checked refuses the login.
async fn issue_in_new_session(app: &App, checked: Credentials) -> Result<(User, Tokens), Error> {
    let keys = app.keys.clone();
    common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            let user = db::users::lock(conn, checked.user.id)
                .await?
                .filter(|now| now.password_hash == checked.password_hash)
                .ok_or(Error::InvalidCredentials)?
                .user;
            if user.disabled {
                return Err(Error::AccountDisabled);
            }
            let tokens = issue(conn, &keys, user.id, user.role, Uuid::now_v7()).await?;
            Ok((user, tokens))
        })
    })
    .await
}

/// Supersedes a live refresh token with the next of its family, keeping
/// that successor sealed with the token. A superseded token presented again
/// within the reuse interval, while its successor is live, gets the same
/// successor (two tabs refreshing at once); otherwise it ends the session.
async fn rotate(app: &App, token: String) -> Result<Tokens, Error> {
    let keys = app.keys.clone();
    let ttl = app.revocation_ttl();
    let hash = hash_refresh_token(&token);
    let outcome = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            let Some(presented) = db::tokens::find_refresh_token(conn, &hash).await? else {
                return Err(Error::RefreshTokenInvalid);
            };
            // Before any write (db::users::lock); what follows reads the
            // token again under the lock.
            let owner = db::users::lock(conn, presented.user_id).await?;
            if let Some(old) = db::tokens::supersede_refresh_token(conn, &hash).await? {
                let user = live_user(owner)?;
                let tokens = issue(conn, &keys, user.id, user.role, old.family_id).await?;
                if let Some(sealed) = seal_successor(&token, &tokens.refresh) {
                    db::tokens::keep_successor(conn, &hash, &sealed).await?;
                }
                return Ok(Ok(tokens));
            }
            let Some(row) = db::tokens::find_refresh_token(conn, &hash).await? else {
                return Err(Error::RefreshTokenInvalid);
            };
            if row.revoked_at.is_some() {
                Err(Error::TokenRevoked)
            } else if let Some(tokens) = same_successor(conn, &keys, &row, &token, owner).await? {
                Ok(Ok(tokens))
            } else if row.superseded_at.is_some() {
                // The token leaked, or a client replayed it.
                revoke_family(conn, row.user_id, row.family_id, ttl).await?;
                Ok(Err(Error::RefreshTokenReused))
            } else {
                Err(Error::RefreshTokenExpired)
            }
        })
    })
    .await?;
    // The reuse verdict is returned as a value so its revocation commits.
    if matches!(outcome, Err(Error::RefreshTokenReused)) {
        app.sync_revocations().await?;
    }
    outcome
}

/// The tokens a superseded `token` (its `row`) gets when presented again
/// within the reuse interval: its successor, still live, with a fresh
/// access token. `None` past the interval, or once the successor has been
/// used or revoked.
async fn same_successor(
    conn: &mut db::Conn,
    keys: &Keys,
    row: &db::tokens::RefreshRow,
    token: &str,
    owner: Option<Credentials>,
) -> Result<Option<Tokens>, Error> {
    let interval = TimeDelta::from_std(keys.config().refresh_reuse_interval).unwrap_or_default();
    let (Some(superseded_at), Some(sealed)) = (row.superseded_at, &row.successor_sealed) else {
        return Ok(None);
    };
    if Utc::now() - superseded_at > interval {
        return Ok(None);
    }
    let Some(successor) = open_successor(token, sealed) else {
        return Ok(None);
    };
    let Some(next) = db::tokens::find_refresh_token(conn, &hash_refresh_token(&successor)).await?
    else {
        return Ok(None);
    };
    let live =
        next.superseded_at.is_none() && next.revoked_at.is_none() && next.expires_at > Utc::now();
    if !live || next.family_id != row.family_id {
        return Ok(None);
    }
    let user = live_user(owner)?;
    tracing::info!(
        session = %row.family_id,
        "a rotated refresh token presented again within the reuse interval got its successor"
    );
    Ok(Some(Tokens {
        access: keys.issue(user.id, user.role, row.family_id)?,
        refresh: successor,
        refresh_expires_at: next.expires_at,
    }))
}

/// The user a session belongs to (`owner`, as locked), unless gone or
/// disabled.
fn live_user(owner: Option<Credentials>) -> Result<User, Error> {
    let user = owner.ok_or(Error::RefreshTokenInvalid)?.user;
    if user.disabled {
        return Err(Error::AccountDisabled);
    }
    Ok(user)
}

/// Signs an access token and stores a new refresh token in `family`.
pub(crate) async fn issue(
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
    db::tokens::insert_refresh_token(
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

//! The state every call shares, and what several concepts need of it:
//! who is calling, and revoking tokens so every replica honours it at once.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use completionist_common::{
    authn::{self, Authenticate},
    db::{self as common_db, DbError, Pool},
    paging::PageTokens,
};
use tonic::{Request, Status};
use uuid::Uuid;

use crate::{
    config::{Config, LoginPolicy},
    db::{self, revocations::NewRevocation},
    domain::Role,
    error::{self, Error},
    password::Hasher,
    revocation::{RevocationKind, Revocations},
    slots::Activity,
    token::{Claims, Keys},
};

/// The state every call shares. Cheap to clone.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) pool: Pool,
    pub(crate) keys: Arc<Keys>,
    pub(crate) hasher: Hasher,
    pub(crate) revocations: Arc<Revocations>,
    pub(crate) login: LoginPolicy,
    pub(crate) page_tokens: PageTokens,
}

/// Who is calling: the claims of a checked, unrevoked access token.
#[derive(Clone, Debug)]
pub(crate) struct Caller(pub(crate) Claims);

impl Caller {
    /// The caller of an authenticated request (see `completionist_common::authn`).
    pub(crate) fn of<T>(request: &Request<T>) -> Result<Self, Error> {
        Ok(authn::caller(request)?)
    }

    pub(crate) fn user_id(&self) -> Uuid {
        self.0.sub
    }

    pub(crate) fn require_admin(&self) -> Result<(), Error> {
        match self.0.role {
            Role::Admin => Ok(()),
            Role::User => Err(Error::AdminRequired),
        }
    }
}

impl App {
    pub(crate) fn new(
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
            page_tokens: completionist_common::config::page_tokens(
                config.page_token_secret.as_ref(),
                crate::SERVICE_NAME,
            ),
        })
    }

    /// Checks an access token: signature, type, expiry, issuer, audience and
    /// revocation (which covers disabled and deleted users). No database
    /// round trip while the revocation listener is current.
    pub(crate) async fn validate(&self, token: &str) -> Result<Caller, Error> {
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

    /// Applies revocations this replica just committed, so its own next
    /// call sees them without waiting for the announcement to come round.
    pub(crate) async fn sync_revocations(&self) -> Result<(), Error> {
        let mut conn = common_db::conn(&self.pool).await?;
        self.revocations
            .catch_up(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(())
    }

    /// How long a revocation made now must be kept: until every access token
    /// it covers has expired, leeway included.
    pub(crate) fn revocation_ttl(&self) -> TimeDelta {
        let config = self.keys.config();
        TimeDelta::from_std(config.access_ttl + config.leeway).unwrap_or(TimeDelta::days(1))
    }
}

impl Authenticate for App {
    type Caller = Caller;
    const DOMAIN: &'static str = error::DOMAIN;

    async fn authenticate(&self, token: &str) -> Result<Caller, Status> {
        Ok(self.validate(token).await?)
    }
}

/// The time a revocation revokes tokens issued before, read once the
/// accounts' locks are held (`db::users::lock`): the next whole
/// millisecond, which this waits for. Tokens carry their issue time to
/// the millisecond and are revoked when issued strictly before it, so a
/// token issued before the lock was taken is revoked even if in the same
/// millisecond, and one issued once this returns (ChangePassword's new
/// one, a login that waited for the lock) is not. A whole millisecond
/// also keeps as it is in Postgres, so the time answered is the one fed
/// to other services.
pub(crate) async fn revocation_time() -> DateTime<Utc> {
    use chrono::DurationRound;
    let millisecond = TimeDelta::milliseconds(1);
    let now = Utc::now();
    let next = now.duration_trunc(millisecond).unwrap_or(now) + millisecond;
    while let Ok(wait) = (next - Utc::now()).to_std() {
        if wait.is_zero() {
            break;
        }
        tokio::time::sleep(wait).await;
    }
    next
}

/// Revokes every token of `user` issued until now, refresh tokens included.
pub(crate) async fn revoke_user(
    conn: &mut db::Conn,
    user: Uuid,
    ttl: TimeDelta,
) -> Result<DateTime<Utc>, Error> {
    revoke_user_as(conn, user, ttl, RevocationKind::User).await
}

/// Revokes every token of `user`, deleted in this transaction: the feed
/// tells other services the account is gone.
pub(crate) async fn revoke_deleted_user(
    conn: &mut db::Conn,
    user: Uuid,
    ttl: TimeDelta,
) -> Result<DateTime<Utc>, Error> {
    revoke_user_as(conn, user, ttl, RevocationKind::Deleted).await
}

async fn revoke_user_as(
    conn: &mut db::Conn,
    user: Uuid,
    ttl: TimeDelta,
    kind: RevocationKind,
) -> Result<DateTime<Utc>, Error> {
    // Taken before the time is read: a rotation under way commits first,
    // and the update below then sees the token it issued.
    db::users::lock(conn, user).await?;
    let now = revocation_time().await;
    db::tokens::revoke_user_refresh_tokens(conn, user).await?;
    db::revocations::insert(
        conn,
        NewRevocation {
            kind,
            subject: Some(user),
            issued_before: Some(now),
            expires_at: now + ttl,
        },
    )
    .await?;
    Ok(now)
}

/// Revokes one session of `user`: its refresh tokens and its access tokens.
pub(crate) async fn revoke_family(
    conn: &mut db::Conn,
    user: Uuid,
    family: Uuid,
    ttl: TimeDelta,
) -> Result<(), Error> {
    db::users::lock(conn, user).await?;
    db::tokens::revoke_family_refresh_tokens(conn, family).await?;
    db::revocations::insert(
        conn,
        NewRevocation {
            kind: RevocationKind::Family,
            subject: Some(family),
            issued_before: None,
            expires_at: Utc::now() + ttl,
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token issued in the millisecond a revocation began (before its
    /// lock was granted) is issued strictly before the revocation time;
    /// one issued once it returns is not.
    #[tokio::test]
    async fn a_revocation_time_is_a_millisecond_that_has_begun_after_the_call() {
        for _ in 0..200 {
            let called = Utc::now().timestamp_millis();
            let at = revocation_time().await;
            assert_eq!(at.timestamp_subsec_nanos() % 1_000_000, 0, "{at}");
            assert!(called < at.timestamp_millis(), "{called} {at}");
            assert!(Utc::now().timestamp_millis() >= at.timestamp_millis());
        }
    }
}

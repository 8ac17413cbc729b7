//! Who is calling: the caller's bearer token checked by auth-service's
//! ValidateToken (its internal TokenService) over gRPC, carrying the request id and the caller's
//! remaining deadline. Positive answers are reused for at most the time a
//! revocation may take to be honoured (one second); refusals never are.
//! auth-service unreachable means UNAVAILABLE — never a call let through.

use std::time::Duration;

use chrono::{DateTime, Utc};
use completionist_common::{
    authn::Authenticate,
    channel::{self, Internal},
    request_id, retry, server,
};
use completionist_proto::auth::{
    DeletedUser, ListDeletedUsersRequest, ValidateTokenRequest, WatchRevocationsRequest,
    WatchRevocationsResponse, token_service_client::TokenServiceClient,
};
use moka::future::Cache;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;
use uuid::Uuid;

use crate::{
    app::Caller,
    error::{self, Error},
};

/// How long the streams of one token share a recheck's answer.
const RECHECK_SHARED: Duration = Duration::from_millis(250);

/// How long a token check may take when the caller set no deadline.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// auth-service's ValidateToken, with a short cache of positive answers.
#[derive(Clone)]
pub(crate) struct AuthClient {
    client: TokenServiceClient<Internal>,
    /// Positive answers, each with when it was asked.
    cache: Cache<String, (Caller, tokio::time::Instant)>,
    ttl: Duration,
    /// Rechecks of open streams, shared by the streams of one token for a
    /// moment.
    rechecks: Cache<String, Caller>,
}

impl AuthClient {
    /// A client for auth-service at `url`; connects on first use and
    /// reconnects by itself, so either service may start first.
    pub(crate) fn new(url: &str, ttl: Duration) -> Result<Self, anyhow::Error> {
        Ok(Self {
            client: TokenServiceClient::new(channel::internal(url)?)
                .max_decoding_message_size(server::MAX_MESSAGE_BYTES)
                .max_encoding_message_size(server::MAX_MESSAGE_BYTES),
            cache: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build(),
            ttl,
            rechecks: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(RECHECK_SHARED)
                .build(),
        })
    }

    /// The caller behind a token, asked of auth-service anew (not from the
    /// cache of positive answers): for streams that outlive a call. The
    /// streams of one token share one answer for [`RECHECK_SHARED`]. A
    /// refusal also drops the cached answers, so calls are refused too.
    pub(crate) async fn recheck(&self, token: &str) -> Result<Caller, Error> {
        let asked = self
            .rechecks
            .try_get_with_by_ref(token, self.ask(token))
            .await;
        // The shared error, made our own again.
        let asked = asked.map_err(|error| match &*error {
            Error::Unauthenticated { reason, message } => Error::Unauthenticated {
                reason,
                message: message.clone(),
            },
            _ => Error::AuthUnavailable,
        });
        self.rechecked(token, asked).await
    }

    /// As [`AuthClient::recheck`], but certainly asked after this call
    /// began: when a stream opens, and when a revocation may name its token.
    pub(crate) async fn recheck_now(&self, token: &str) -> Result<Caller, Error> {
        let asked = self.ask(token).await;
        self.rechecked(token, asked).await
    }

    async fn rechecked(&self, token: &str, asked: Result<Caller, Error>) -> Result<Caller, Error> {
        match asked {
            Ok(caller) => Ok(caller),
            Err(refused @ Error::Unauthenticated { .. }) => {
                self.cache.invalidate(token).await;
                self.rechecks.invalidate(token).await;
                Err(refused)
            }
            Err(_) => Err(Error::AuthUnavailable),
        }
    }

    /// auth-service's revocations as they are recorded (WatchRevocations).
    pub(crate) async fn watch_revocations(
        &self,
    ) -> Result<tonic::Streaming<WatchRevocationsResponse>, Status> {
        let response = self
            .client
            .clone()
            .watch_revocations(WatchRevocationsRequest {})
            .await?;
        Ok(response.into_inner())
    }

    /// Up to a page of accounts deleted after deletion number `after`, in
    /// the order they were deleted.
    pub(crate) async fn deleted_users_after(&self, after: i64) -> Result<Vec<DeletedUser>, Status> {
        let mut request = Request::new(ListDeletedUsersRequest {
            page_size: 1000,
            page_token: String::new(),
            after_sequence: after,
        });
        request.set_timeout(DEFAULT_TIMEOUT);
        let response = self.client.clone().list_deleted_users(request).await?;
        Ok(response.into_inner().deleted_users)
    }

    /// The caller behind a bearer token.
    async fn validate(&self, token: &str) -> Result<Caller, Error> {
        // Used for `ttl` from when it was asked, not from when it came: an
        // answer that took long to come may be stale already.
        if let Some((caller, asked)) = self.cache.get(token).await
            && asked.elapsed() < self.ttl
            && caller.token_expires_at > Utc::now()
        {
            return Ok(caller);
        }
        let asked = tokio::time::Instant::now();
        let caller = self.ask(token).await?;
        // Only while the token lives: an entry must not outlast its token.
        if caller.token_expires_at > Utc::now() + self.ttl {
            self.cache.insert(token.to_owned(), (caller, asked)).await;
        }
        Ok(caller)
    }

    /// auth-service's answer for a token.
    async fn ask(&self, token: &str) -> Result<Caller, Error> {
        // Tried again on another replica when one is unavailable: reading
        // a token changes nothing. Within the caller's deadline, or ours.
        let deadline =
            tokio::time::Instant::now() + request_id::remaining().unwrap_or(DEFAULT_TIMEOUT);
        let response = retry::idempotent(Some(deadline), || {
            let mut request = Request::new(ValidateTokenRequest {
                access_token: token.to_owned(),
            });
            request.set_timeout(deadline.saturating_duration_since(tokio::time::Instant::now()));
            let mut client = self.client.clone();
            async move { client.validate_token(request).await }
        })
        .await
        .map_err(refusal)?
        .into_inner();
        let user_id = Uuid::parse_str(&response.user_id)
            .map_err(|e| anyhow::anyhow!("auth-service sent a bad user id: {e}"))?;
        let expires = response
            .expire_time
            .and_then(|t| DateTime::from_timestamp(t.seconds, 0))
            .unwrap_or_else(Utc::now);
        // Named by revocations only; an auth-service too old to send them
        // leaves streams to their periodic rechecks.
        let id = |id: &str| Uuid::parse_str(id).unwrap_or_default();
        Ok(Caller {
            user_id,
            token_expires_at: expires,
            token_id: id(&response.token_id),
            session_id: id(&response.session_id),
        })
    }
}

impl Authenticate for AuthClient {
    type Caller = Caller;
    const DOMAIN: &'static str = error::DOMAIN;

    async fn authenticate(&self, token: &str) -> Result<Caller, Status> {
        Ok(self.validate(token).await?)
    }
}

/// The refusal of a token past its expiry.
pub(crate) fn expired() -> Error {
    Error::Unauthenticated {
        reason: "TOKEN_EXPIRED",
        message: "the access token has expired".into(),
    }
}

/// What auth-service's refusal means for our caller.
fn refusal(status: tonic::Status) -> Error {
    match status.code() {
        Code::Unauthenticated | Code::InvalidArgument => {
            let reason = match status
                .get_details_error_info()
                .map(|info| info.reason)
                .as_deref()
            {
                Some("TOKEN_EXPIRED") => "TOKEN_EXPIRED",
                Some("TOKEN_REVOKED") => "TOKEN_REVOKED",
                _ => "TOKEN_INVALID",
            };
            Error::Unauthenticated {
                reason,
                message: match reason {
                    "TOKEN_EXPIRED" => "the access token has expired".into(),
                    "TOKEN_REVOKED" => "the token has been revoked".into(),
                    _ => "the access token is invalid".into(),
                },
            }
        }
        code => {
            tracing::warn!(
                ?code,
                message = status.message(),
                "auth-service could not validate a token"
            );
            Error::AuthUnavailable
        }
    }
}

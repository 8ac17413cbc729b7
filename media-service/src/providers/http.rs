//! HTTP to one provider: a descriptive User-Agent, connect and per-attempt
//! timeouts, a client-side rate limit at the provider's published limit
//! (for every replica together: see `limits`), and bounded retries with jittered exponential
//! backoff that honour `Retry-After` — all within the caller's deadline.
//! Only GETs are sent, so every retry is safe.

use std::time::{Duration, Instant};

use completionist_common::{db::Pool, metrics::name};
use rand::Rng;
use reqwest::{StatusCode, header::RETRY_AFTER};
use serde::de::DeserializeOwned;

pub(super) use super::limits::Rate;
use super::{
    ProviderError,
    limits::{RateLimits, Refusal},
};
use crate::config::ProvidersConfig;

const USER_AGENT: &str = concat!(
    "Completionist/",
    env!("CARGO_PKG_VERSION"),
    " (self-hosted media tracker; media-service)"
);

/// Longest a call may spend on a provider when its caller set no deadline.
const DEFAULT_BUDGET: Duration = Duration::from_secs(20);

/// A provider's HTTP client.
pub(super) struct HttpClient {
    provider: &'static str,
    client: reqwest::Client,
    limits: RateLimits,
    attempt_timeout: Duration,
    max_retries: u32,
    backoff: Duration,
}

/// What came back: the status and the body.
#[derive(Debug)]
pub(super) struct Reply {
    pub status: StatusCode,
    pub body: bytes::Bytes,
    /// Where a redirect points (only seen by a client that does not follow
    /// redirects itself).
    pub location: Option<String>,
}

impl Reply {
    /// The body as JSON of type `T`.
    pub(super) fn json<T: DeserializeOwned>(
        &self,
        provider: &'static str,
    ) -> Result<T, ProviderError> {
        serde_json::from_slice(&self.body).map_err(|e| ProviderError::BadResponse {
            provider,
            detail: format!("HTTP {}: {e}", self.status),
        })
    }
}

impl HttpClient {
    pub(super) fn new(
        provider: &'static str,
        config: &ProvidersConfig,
        rates: &[Rate],
        pool: &Pool,
    ) -> Result<Self, anyhow::Error> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self {
            provider,
            client,
            limits: RateLimits::new(provider, rates, pool)?,
            attempt_timeout: config.request_timeout,
            max_retries: config.max_retries,
            backoff: config.backoff,
        })
    }

    /// The same client, answering redirects instead of following them: a
    /// provider whose limit counts every request follows them itself, each
    /// hop taking its turn under the limit.
    pub(super) fn without_redirects(
        mut self,
        config: &ProvidersConfig,
    ) -> Result<Self, anyhow::Error> {
        self.client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(self)
    }

    /// GETs `url` with `query`, retrying 429s, 5xx and transport failures
    /// until the caller's deadline. Other statuses are returned for the
    /// provider to interpret.
    pub(super) async fn get(
        &self,
        url: &str,
        query: &[(&str, &str)],
    ) -> Result<Reply, ProviderError> {
        let budget = completionist_common::request_id::remaining().unwrap_or(DEFAULT_BUDGET);
        let deadline = Instant::now() + budget;
        let mut attempt = 0;
        loop {
            let failure = match self.attempt(url, query, deadline).await {
                Ok(reply)
                    if reply.status == StatusCode::TOO_MANY_REQUESTS
                        || reply.status.is_server_error() =>
                {
                    Failure {
                        retry_after: reply.retry_after,
                        ..Failure::new(format!("HTTP {}", reply.status))
                    }
                }
                Ok(reply) => {
                    return Ok(Reply {
                        status: reply.status,
                        body: reply.body,
                        location: reply.location,
                    });
                }
                Err(failure) => failure,
            };
            // No slot before the deadline: waiting and asking again would
            // find none either.
            let out_of_turns = failure.limited;
            let delay = failure
                .retry_after
                .unwrap_or_else(|| jittered(self.backoff * 2u32.saturating_pow(attempt)));
            let fits = Instant::now() + delay < deadline;
            if attempt >= self.max_retries || !fits || out_of_turns {
                tracing::warn!(
                    provider = self.provider,
                    detail = %failure.detail,
                    attempt,
                    "provider request failed"
                );
                return Err(ProviderError::Unavailable {
                    provider: self.provider,
                    detail: failure.detail,
                    retry_after: failure.retry_after,
                });
            }
            tracing::debug!(
                provider = self.provider,
                detail = %failure.detail,
                ?delay,
                "retrying provider request"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        url: &str,
        query: &[(&str, &str)],
        deadline: Instant,
    ) -> Result<Attempt, Failure> {
        let deadline = tokio::time::Instant::from_std(deadline);
        self.take_turn(deadline).await?;
        let timeout = deadline
            .saturating_duration_since(tokio::time::Instant::now())
            .min(self.attempt_timeout);
        let exchange = async {
            let response = self
                .client
                .get(url)
                .query(query)
                .send()
                .await
                .map_err(|e| Failure::new(e.without_url().to_string()))?;
            let status = response.status();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response
                .bytes()
                .await
                .map_err(|e| Failure::new(e.without_url().to_string()))?;
            Ok(Attempt {
                status,
                retry_after,
                body,
                location,
            })
        };
        let attempt = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| Failure::new(format!("no answer within {timeout:?}")))
            .flatten();
        self.count(match &attempt {
            Ok(a) if a.status == StatusCode::TOO_MANY_REQUESTS => "throttled",
            Ok(a) if a.status.is_server_error() => "server_error",
            Ok(_) => "answered",
            Err(_) => "failed",
        });
        attempt
    }

    /// Waits for this request's turn under the rate limits, until
    /// `deadline`.
    async fn take_turn(&self, deadline: tokio::time::Instant) -> Result<(), Failure> {
        let waiting = Instant::now();
        self.limits.take_turn(deadline).await.map_err(|refusal| {
            let limited = matches!(refusal, Refusal::PastDeadline);
            if limited {
                self.count("limited");
            }
            Failure {
                limited,
                ..Failure::new(refusal.to_string())
            }
        })?;
        metrics::histogram!(name::PROVIDER_WAIT, "provider" => self.provider)
            .record(waiting.elapsed());
        Ok(())
    }

    /// Counts one call to the provider (or one the limit kept back).
    fn count(&self, outcome: &'static str) {
        metrics::counter!(name::PROVIDER_CALLS, "provider" => self.provider, "outcome" => outcome)
            .increment(1);
    }
}

struct Attempt {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: bytes::Bytes,
    location: Option<String>,
}

struct Failure {
    detail: String,
    retry_after: Option<Duration>,
    /// The rate limits had no slot for it.
    limited: bool,
}

impl Failure {
    fn new(detail: impl Into<String>) -> Self {
        Self {
            detail: detail.into(),
            retry_after: None,
            limited: false,
        }
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

/// `base` ± 25%, so clients that failed together do not retry together.
fn jittered(base: Duration) -> Duration {
    base.mul_f64(rand::rng().random_range(0.75..1.25))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_retry_after_in_both_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        let later = (chrono::Utc::now() + chrono::TimeDelta::seconds(30)).to_rfc2822();
        let parsed = parse_retry_after(&later).unwrap();
        assert!(parsed > Duration::from_secs(25) && parsed <= Duration::from_secs(30));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn jitter_stays_near_the_base() {
        for _ in 0..100 {
            let d = jittered(Duration::from_millis(100));
            assert!(d >= Duration::from_millis(75) && d <= Duration::from_millis(125));
        }
    }
}

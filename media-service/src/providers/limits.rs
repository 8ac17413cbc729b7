//! A provider's rate limits, for every replica together: each limit is a
//! row in the database (`db::provider_limits`), and a request reserves its
//! slot there before it waits for it. Requests of one replica reserve in
//! arrival order.

use std::time::Duration;

use completionist_common::db::Pool;
use tokio::time::Instant;

/// A rate: `count` requests per `per`.
pub(crate) struct Rate {
    pub count: u32,
    pub per: Duration,
}

/// A rate as the database keeps it: one request every `interval`, in
/// bursts of up to `per` worth.
struct Limit {
    /// The row's name: the provider and the rate (`jikan:3/1000ms`).
    name: String,
    interval: Duration,
    per: Duration,
}

/// One provider's limits.
pub(super) struct RateLimits {
    limits: Vec<Limit>,
    pool: Pool,
    /// Requests reserve their slots one at a time, in arrival order. Left
    /// to chance, whoever woke first took each free slot, and the
    /// enricher, asking again the moment its last call returned, took
    /// every one while a person's search waited.
    turn: tokio::sync::Mutex<()>,
}

/// Why a request may not go.
#[derive(Debug, thiserror::Error)]
pub(super) enum Refusal {
    #[error("client-side rate limit reached")]
    PastDeadline,
    #[error("the rate limits could not be read: {0}")]
    Unreadable(String),
}

impl RateLimits {
    pub(super) fn new(provider: &str, rates: &[Rate], pool: &Pool) -> anyhow::Result<Self> {
        let limits = rates
            .iter()
            .map(|rate| {
                let count = rate.count.max(1);
                let interval = rate.per / count;
                anyhow::ensure!(!interval.is_zero(), "rate period of {provider} is zero");
                Ok(Limit {
                    name: format!("{provider}:{count}/{}ms", rate.per.as_millis()),
                    interval,
                    per: rate.per,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            limits,
            pool: pool.clone(),
            turn: tokio::sync::Mutex::new(()),
        })
    }

    /// Waits for a request's turn under every limit; refused when it would
    /// come after `deadline`.
    pub(super) async fn take_turn(&self, deadline: Instant) -> Result<(), Refusal> {
        let go_at = {
            // The wait itself is not held under the lock.
            let _turn = tokio::time::timeout_at(deadline, self.turn.lock())
                .await
                .map_err(|_| Refusal::PastDeadline)?;
            let mut go_at = Instant::now();
            for limit in &self.limits {
                let now = Instant::now();
                let reserved =
                    tokio::time::timeout_at(deadline, self.reserve(limit, deadline - now))
                        .await
                        .map_err(|_| Refusal::PastDeadline)??;
                go_at = go_at.max(now + reserved.ok_or(Refusal::PastDeadline)?);
            }
            go_at
        };
        tokio::time::sleep_until(go_at).await;
        Ok(())
    }

    /// Reserves the next slot under `limit`, unless it is further off than
    /// `max_wait`: how long until it comes.
    async fn reserve(
        &self,
        limit: &Limit,
        max_wait: Duration,
    ) -> Result<Option<Duration>, Refusal> {
        let unreadable = |e: &dyn std::fmt::Display| Refusal::Unreadable(e.to_string());
        let mut conn = self.pool.get().await.map_err(|e| unreadable(&e))?;
        crate::db::provider_limits::reserve(
            &mut conn,
            &limit.name,
            limit.interval,
            limit.per,
            max_wait,
        )
        .await
        .map_err(|e| unreadable(&e))
    }
}

//! A provider's rate limits, for every replica together: each limit is a
//! row in the database (`db::provider_limits`), and a request reserves its
//! slot there before it waits for it. Requests of one replica reserve in
//! arrival order.

use std::time::Duration;

use completionist_common::db::Pool;

use crate::db::provider_limits::Limit;
use tokio::time::Instant;

/// A rate: `count` requests per `per`.
pub(crate) struct Rate {
    pub count: u32,
    pub per: Duration,
}

/// The longest a request waits for its slot: reserving further ahead
/// would let a burst of callers book the provider's quota for minutes
/// (and a reservation stays when its caller goes away).
const MAX_WAIT: Duration = Duration::from_secs(10);

/// What a request needs after its slot for its answer: a slot later than
/// that before the caller's deadline is not worth reserving.
const MIN_ATTEMPT: Duration = Duration::from_millis(500);

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
    /// The database keeping them could not be asked (logged here).
    #[error("the rate limits could not be read")]
    Unreadable,
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
    /// come after `deadline` (less the time an attempt needs) or further
    /// off than [`MAX_WAIT`].
    pub(super) async fn take_turn(&self, deadline: Instant) -> Result<(), Refusal> {
        let go_at = {
            // The wait itself is not held under the lock.
            let _turn = tokio::time::timeout_at(deadline, self.turn.lock())
                .await
                .map_err(|_| Refusal::PastDeadline)?;
            let now = Instant::now();
            let max_wait = deadline
                .saturating_duration_since(now)
                .saturating_sub(MIN_ATTEMPT)
                .min(MAX_WAIT);
            let reserved = tokio::time::timeout_at(deadline, self.reserve(max_wait))
                .await
                .map_err(|_| Refusal::PastDeadline)??;
            now + reserved.ok_or(Refusal::PastDeadline)?
        };
        tokio::time::sleep_until(go_at).await;
        Ok(())
    }

    /// Reserves the next slot under every limit, unless one is further off
    /// than `max_wait`: how long until they come.
    async fn reserve(&self, max_wait: Duration) -> Result<Option<Duration>, Refusal> {
        let unreadable = |error: &dyn std::fmt::Display| {
            tracing::warn!(%error, "the providers' rate limits could not be read");
            Refusal::Unreadable
        };
        let mut conn = self.pool.get().await.map_err(|e| unreadable(&e))?;
        crate::db::provider_limits::reserve_all(&mut conn, &self.limits, max_wait)
            .await
            .map_err(|e| unreadable(&e))
    }
}

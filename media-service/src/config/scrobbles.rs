//! Scrobbling: how often a token may post, when the same play is a
//! duplicate, and how long events are kept.

use std::time::Duration;

use completionist_common::config::{Env, seconds};

#[derive(Clone, Debug)]
pub struct ScrobblesConfig {
    /// Deliveries one user's tokens may post per minute, on all replicas
    /// together (`SCROBBLE_DELIVERIES_PER_MINUTE`); past it, 429.
    pub deliveries_per_minute: i32,
    /// Items not yet in the catalog that one user's deliveries may have
    /// looked up at a provider per hour (`SCROBBLE_LOOKUPS_PER_HOUR`);
    /// past it, events are unmatched until the hour is over.
    pub lookups_per_hour: i32,
    /// How long after a webhook recorded a movie or an episode the same one
    /// from a webhook is a duplicate (`SCROBBLE_DEDUPE_SECONDS`, 2 hours):
    /// auto-play and retries send two stops. Marks made by hand bypass it.
    pub dedupe_window: Duration,
    /// How long events are kept (`SCROBBLE_EVENT_RETENTION_DAYS`, 30).
    pub retention: Duration,
    /// Events one user keeps at most, the newest
    /// (`SCROBBLE_MAX_EVENTS_PER_USER`, 10,000): a server posting its plays
    /// and pauses all month must not fill the disk.
    pub max_events_per_user: i64,
    /// Tokens one user may have (`SCROBBLE_MAX_TOKENS_PER_USER`, 10).
    pub max_tokens_per_user: i64,
}

impl ScrobblesConfig {
    pub(super) fn from_env(env: &mut Env) -> Self {
        let config = Self {
            deliveries_per_minute: env.or("SCROBBLE_DELIVERIES_PER_MINUTE", 120i32),
            lookups_per_hour: env.or("SCROBBLE_LOOKUPS_PER_HOUR", 60i32),
            dedupe_window: env.parse_or(
                "SCROBBLE_DEDUPE_SECONDS",
                Duration::from_secs(2 * 3600),
                seconds,
            ),
            retention: Duration::from_secs(
                env.or("SCROBBLE_EVENT_RETENTION_DAYS", 30u64)
                    .saturating_mul(24 * 3600),
            ),
            max_tokens_per_user: env.or("SCROBBLE_MAX_TOKENS_PER_USER", 10i64),
            max_events_per_user: env.or("SCROBBLE_MAX_EVENTS_PER_USER", 10_000i64),
        };
        for (name, bad) in [
            (
                "SCROBBLE_DELIVERIES_PER_MINUTE",
                config.deliveries_per_minute < 1,
            ),
            ("SCROBBLE_LOOKUPS_PER_HOUR", config.lookups_per_hour < 1),
            ("SCROBBLE_EVENT_RETENTION_DAYS", config.retention.is_zero()),
            (
                "SCROBBLE_MAX_TOKENS_PER_USER",
                config.max_tokens_per_user < 1,
            ),
            (
                "SCROBBLE_MAX_EVENTS_PER_USER",
                config.max_events_per_user < 1,
            ),
        ] {
            if bad {
                env.problem(name, "must be at least 1");
            }
        }
        config
    }
}

//! How series' episodes are kept fresh, and calendar feeds.

use std::time::Duration;

use completionist_common::config::{Env, seconds};

/// Episode refreshes and calendar feeds.
#[derive(Clone, Debug)]
pub struct SeriesConfig {
    /// How often each replica looks for shows whose refresh is due
    /// (`EPISODES_REFRESH_POLL_SECONDS`).
    pub refresh_poll: Duration,
    /// How long after a refresh a show still airing is refreshed again
    /// (`EPISODES_REFRESH_RUNNING_SECONDS`, a day).
    pub running_every: Duration,
    /// The same for a show that has ended (`EPISODES_REFRESH_ENDED_SECONDS`,
    /// a week).
    pub ended_every: Duration,
    /// Shows one replica claims at a time.
    pub claim_batch: i64,
    /// How long a claimed show is left to its replica before another may
    /// take it (a replica that died mid-refresh).
    pub claim_lease: Duration,
    /// The first wait after a failed refresh; doubles per failure in a row,
    /// up to `running_every`.
    pub retry_backoff: Duration,
    /// Episodes kept per show: the first this many the provider lists.
    pub max_episodes: usize,
    /// Calendar feeds one user may have (`CALENDAR_MAX_FEEDS_PER_USER`).
    pub max_feeds_per_user: i64,
}

impl SeriesConfig {
    pub(super) fn from_env(env: &mut Env) -> Self {
        let config = Self {
            refresh_poll: env.parse_or(
                "EPISODES_REFRESH_POLL_SECONDS",
                Duration::from_secs(60),
                seconds,
            ),
            running_every: env.parse_or(
                "EPISODES_REFRESH_RUNNING_SECONDS",
                Duration::from_secs(24 * 3600),
                seconds,
            ),
            ended_every: env.parse_or(
                "EPISODES_REFRESH_ENDED_SECONDS",
                Duration::from_secs(7 * 24 * 3600),
                seconds,
            ),
            claim_batch: 8,
            claim_lease: Duration::from_secs(10 * 60),
            retry_backoff: Duration::from_secs(15 * 60),
            max_episodes: 5_000,
            max_feeds_per_user: env.or("CALENDAR_MAX_FEEDS_PER_USER", 10i64),
        };
        for (name, zero) in [
            (
                "EPISODES_REFRESH_POLL_SECONDS",
                config.refresh_poll.is_zero(),
            ),
            (
                "EPISODES_REFRESH_RUNNING_SECONDS",
                config.running_every.is_zero(),
            ),
            (
                "EPISODES_REFRESH_ENDED_SECONDS",
                config.ended_every.is_zero(),
            ),
            ("CALENDAR_MAX_FEEDS_PER_USER", config.max_feeds_per_user < 1),
        ] {
            if zero {
                env.problem(name, "must be at least 1");
            }
        }
        config
    }
}

//! media-service configuration, read from the environment.

use std::{net::SocketAddr, time::Duration};

use completionist_common::{
    config::{ConfigError, Env, SecretString, http_url, postgres_url, seconds, service_urls},
    db::PoolSize,
    server,
    telemetry::Telemetry,
};

/// Everything media-service reads at start-up.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen_addr: SocketAddr,
    pub database_url: SecretString,
    pub pool: PoolSize,
    /// Where auth-service answers ValidateToken.
    pub auth_service_url: String,
    /// How long a positive token check is reused; at most one second, the
    /// time a revocation may take to be honoured.
    pub auth_cache_ttl: Duration,
    pub providers: ProvidersConfig,
    pub health_interval: Duration,
    /// `MEDIA_STOP_DELAY_SECONDS` (see `server::Readiness::stop_delay`).
    pub stop_delay: Duration,
    /// The key page tokens are sealed with (`PAGE_TOKEN_SECRET`).
    pub page_token_secret: Option<SecretString>,
    pub imports: ImportsConfig,
    pub watch: WatchConfig,
    pub series: SeriesConfig,
    pub scrobbles: ScrobblesConfig,
    pub telemetry: Telemetry,
}

/// How many streams of one kind may be open on one replica.
#[derive(Clone, Copy, Debug)]
pub struct StreamLimits {
    /// In all.
    pub per_replica: usize,
    /// By one user: a phone, a laptop, a few tabs.
    pub per_user: usize,
}

/// How the server streams (WatchListEntries, WatchImport, ExportList) run.
#[derive(Clone, Debug)]
pub struct WatchConfig {
    /// How often a quiet stream sends a heartbeat (`WATCH_HEARTBEAT_SECONDS`),
    /// well under the idle timeouts of proxies and browsers.
    pub heartbeat: Duration,
    /// How long changes are kept to replay to reconnecting clients
    /// (`WATCH_RETENTION_SECONDS`); an older resume token means refetch.
    pub retention: Duration,
    /// WatchListEntries streams (`WATCH_MAX_STREAMS`,
    /// `WATCH_MAX_STREAMS_PER_USER`).
    pub list_streams: StreamLimits,
    /// WatchImport streams (`IMPORT_MAX_WATCHES`,
    /// `IMPORT_MAX_WATCHES_PER_USER`).
    pub import_streams: StreamLimits,
    /// ExportList streams (`EXPORT_MAX_STREAMS`,
    /// `EXPORT_MAX_STREAMS_PER_USER`); each reads the database while the
    /// client keeps up.
    pub export_streams: StreamLimits,
    /// How long a stream of any kind may wait on a client that reads
    /// nothing before it is cut off (`WATCH_SLOW_CONSUMER_SECONDS`).
    pub slow_consumer: Duration,
    /// How often an open stream asks auth-service whether its token still
    /// holds while auth-service's revocation feed (WatchRevocations) is
    /// down: a revoked token ends the stream within about this much plus a
    /// call.
    pub recheck: Duration,
    /// How often it asks while the feed is up, which names each revoked
    /// token at once: a net under the feed, not its replacement.
    pub fed_recheck: Duration,
    /// How often forgotten history is cleared away.
    pub prune_interval: Duration,
}

/// How whole-list imports run.
#[derive(Clone, Debug)]
pub struct ImportsConfig {
    /// The largest file StartImport takes (`IMPORT_MAX_BYTES`); a heavy
    /// Trakt user's export is tens of MB.
    pub max_bytes: usize,
    /// The most a compressed file may unpack to.
    pub max_unpacked_bytes: u64,
    /// The most rows one file may have (`IMPORT_MAX_ROWS`): each costs
    /// memory while the file is read, and a row in the database after.
    pub max_rows: usize,
    /// Files one replica reads at once (`IMPORT_READERS`); each holds its
    /// upload and its rows in memory while it is read, and a caller reads
    /// one at a time.
    pub readers: usize,
    /// The longest a file may take to read when the call itself has no
    /// sooner deadline: a backstop with room for a loaded machine, not a
    /// target.
    pub read_time: Duration,
    /// Jobs one replica runs at once (`IMPORT_WORKERS`).
    pub workers: usize,
    /// Rows applied per transaction.
    pub batch_rows: usize,
    /// How long a worker holds a job unless it renews it (every third of
    /// it); a crashed replica's jobs are taken over once it passes.
    pub lease: Duration,
    /// Attempts in a row that may fail before a job ends FAILED
    /// (`IMPORT_MAX_ATTEMPTS`); a provider down for a while is waited out.
    pub max_attempts: u32,
    /// The wait after a job's first failed attempt; it doubles with each
    /// one after, up to `max_retry_backoff`.
    pub retry_backoff: Duration,
    pub max_retry_backoff: Duration,
    /// How long the rows of a finished import are kept, with their
    /// outcomes (`IMPORT_ROW_RETENTION_DAYS`); the job and its counts stay.
    pub row_retention: Duration,
    /// How often idle workers look for jobs (StartImport wakes its own
    /// replica's at once).
    pub poll_interval: Duration,
}

/// The external providers: where they are, their keys, and how patiently to
/// ask them.
#[derive(Clone, Debug)]
pub struct ProvidersConfig {
    pub omdb_api_key: Option<SecretString>,
    pub omdb_base_url: String,
    pub jikan_base_url: String,
    pub openlibrary_base_url: String,
    pub rawg_api_key: Option<SecretString>,
    pub rawg_base_url: String,
    /// TVmaze, for series' episodes (no key).
    pub tvmaze_base_url: String,
    pub connect_timeout: Duration,
    /// Per attempt.
    pub request_timeout: Duration,
    /// Retries after the first attempt, for 429, 5xx and transport errors.
    pub max_retries: u32,
    /// First backoff; doubles per retry (with jitter).
    pub backoff: Duration,
    /// How long search results are reused.
    pub search_cache_ttl: Duration,
}

impl completionist_common::cli::Configured for Config {
    fn from_env(env: Env) -> Result<Self, ConfigError> {
        Self::from_env(env)
    }

    fn telemetry(&self) -> &Telemetry {
        &self.telemetry
    }

    fn listen_addr(&self) -> SocketAddr {
        self.listen_addr
    }
}

impl ImportsConfig {
    fn from_env(env: &mut Env) -> Self {
        let imports = Self {
            max_bytes: env.or("IMPORT_MAX_BYTES", 64usize << 20),
            max_unpacked_bytes: 256 << 20,
            max_rows: env.or("IMPORT_MAX_ROWS", 100_000usize),
            readers: env.or("IMPORT_READERS", 2usize),
            read_time: Duration::from_secs(30),
            workers: env.or("IMPORT_WORKERS", 2usize),
            batch_rows: 500,
            lease: Duration::from_secs(30),
            max_attempts: env.or("IMPORT_MAX_ATTEMPTS", 8u32),
            retry_backoff: Duration::from_secs(30),
            max_retry_backoff: Duration::from_secs(30 * 60),
            poll_interval: Duration::from_secs(1),
            row_retention: Duration::from_secs(
                env.or("IMPORT_ROW_RETENTION_DAYS", 30u64)
                    .saturating_mul(24 * 3600),
            ),
        };
        for (name, zero) in [
            ("IMPORT_MAX_ATTEMPTS", imports.max_attempts == 0),
            ("IMPORT_READERS", imports.readers == 0),
        ] {
            if zero {
                env.problem(name, "must be at least 1");
            }
        }
        imports
    }
}

impl Config {
    /// Reads the configuration, naming every bad variable at once.
    pub fn from_env(mut env: Env) -> Result<Self, ConfigError> {
        let listen_addr = env.or(
            "MEDIA_LISTEN_ADDR",
            SocketAddr::from(([127, 0, 0, 1], 50052)),
        );
        let database_url = env.required("MEDIA_DATABASE_URL", postgres_url);
        let auth_service_url = env.parse_or(
            "AUTH_SERVICE_URL",
            "http://127.0.0.1:50051".into(),
            service_urls,
        );
        let max_connections = env.or("MEDIA_DB_MAX_CONNECTIONS", 16u32);
        let providers = ProvidersConfig::from_env(&mut env);
        let page_token_secret = completionist_common::config::page_token_secret(&mut env);
        let imports = ImportsConfig::from_env(&mut env);
        let watch = WatchConfig::from_env(&mut env);
        let series = SeriesConfig::from_env(&mut env);
        let scrobbles = ScrobblesConfig::from_env(&mut env);
        let telemetry = Telemetry::from_env(
            &mut env,
            "MEDIA_METRICS_ADDR",
            std::net::SocketAddr::from(([127, 0, 0, 1], 9462)),
        );
        let stop_delay = server::stop_delay(&mut env, "MEDIA_STOP_DELAY_SECONDS");
        env.finish(Self {
            listen_addr,
            database_url,
            pool: PoolSize {
                max_connections,
                ..PoolSize::default()
            },
            auth_service_url,
            auth_cache_ttl: Duration::from_secs(1),
            providers,
            health_interval: Duration::from_secs(2),
            stop_delay,
            page_token_secret,
            imports,
            watch,
            series,
            scrobbles,
            telemetry,
        })
    }
}

impl WatchConfig {
    fn from_env(env: &mut Env) -> Self {
        let config = Self {
            heartbeat: env.parse_or("WATCH_HEARTBEAT_SECONDS", Duration::from_secs(15), seconds),
            retention: env.parse_or(
                "WATCH_RETENTION_SECONDS",
                Duration::from_secs(24 * 3600),
                seconds,
            ),
            list_streams: StreamLimits {
                per_replica: env.or("WATCH_MAX_STREAMS", 4096usize),
                per_user: env.or("WATCH_MAX_STREAMS_PER_USER", 16usize),
            },
            import_streams: StreamLimits {
                per_replica: env.or("IMPORT_MAX_WATCHES", 256usize),
                per_user: env.or("IMPORT_MAX_WATCHES_PER_USER", 8usize),
            },
            export_streams: StreamLimits {
                per_replica: env.or("EXPORT_MAX_STREAMS", 32usize),
                per_user: env.or("EXPORT_MAX_STREAMS_PER_USER", 2usize),
            },
            slow_consumer: env.parse_or(
                "WATCH_SLOW_CONSUMER_SECONDS",
                Duration::from_secs(10),
                seconds,
            ),
            recheck: Duration::from_millis(500),
            fed_recheck: Duration::from_secs(30),
            prune_interval: Duration::from_secs(60),
        };
        for (name, zero) in [
            ("WATCH_HEARTBEAT_SECONDS", config.heartbeat.is_zero()),
            ("WATCH_RETENTION_SECONDS", config.retention.is_zero()),
            ("WATCH_MAX_STREAMS", config.list_streams.per_replica == 0),
            (
                "WATCH_MAX_STREAMS_PER_USER",
                config.list_streams.per_user == 0,
            ),
            ("IMPORT_MAX_WATCHES", config.import_streams.per_replica == 0),
            (
                "IMPORT_MAX_WATCHES_PER_USER",
                config.import_streams.per_user == 0,
            ),
            ("EXPORT_MAX_STREAMS", config.export_streams.per_replica == 0),
            (
                "EXPORT_MAX_STREAMS_PER_USER",
                config.export_streams.per_user == 0,
            ),
            (
                "WATCH_SLOW_CONSUMER_SECONDS",
                config.slow_consumer.is_zero(),
            ),
        ] {
            if zero {
                env.problem(name, "must be at least 1");
            }
        }
        config
    }
}

impl ProvidersConfig {
    fn from_env(env: &mut Env) -> Self {
        Self {
            omdb_api_key: env.get("OMDB_API_KEY").map(SecretString::from),
            omdb_base_url: env.parse_or(
                "OMDB_BASE_URL",
                "https://www.omdbapi.com".into(),
                http_url,
            ),
            jikan_base_url: env.parse_or(
                "JIKAN_BASE_URL",
                "https://api.jikan.moe/v4".into(),
                http_url,
            ),
            openlibrary_base_url: env.parse_or(
                "OPENLIBRARY_BASE_URL",
                "https://openlibrary.org".into(),
                http_url,
            ),
            rawg_api_key: env.get("RAWG_API_KEY").map(SecretString::from),
            rawg_base_url: env.parse_or(
                "RAWG_BASE_URL",
                "https://api.rawg.io/api".into(),
                http_url,
            ),
            tvmaze_base_url: env.parse_or(
                "TVMAZE_BASE_URL",
                "https://api.tvmaze.com".into(),
                http_url,
            ),
            connect_timeout: Duration::from_secs(3),
            request_timeout: env.parse_or(
                "PROVIDER_TIMEOUT_SECONDS",
                Duration::from_secs(8),
                seconds,
            ),
            max_retries: env.or("PROVIDER_MAX_RETRIES", 2u32),
            backoff: Duration::from_millis(250),
            search_cache_ttl: env.parse_or(
                "SEARCH_CACHE_TTL_SECONDS",
                Duration::from_secs(300),
                seconds,
            ),
        }
    }
}

mod scrobbles;
mod series;
#[cfg(test)]
mod tests;
pub use scrobbles::ScrobblesConfig;
pub use series::SeriesConfig;

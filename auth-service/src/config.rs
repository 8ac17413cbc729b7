//! auth-service configuration, read from the environment.

use std::{net::SocketAddr, time::Duration};

use completionist_common::{
    config::{ConfigError, Env, SecretString, postgres_url, seconds},
    db::PoolSize,
    server,
    telemetry::Telemetry,
};

/// Everything auth-service reads at start-up.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen_addr: SocketAddr,
    pub database_url: SecretString,
    pub pool: PoolSize,
    pub jwt: JwtConfig,
    pub login: LoginPolicy,
    /// Concurrent argon2 computations; about the number of cores, so a flood
    /// of logins cannot take every core from the other RPCs.
    pub hashing_concurrency: usize,
    /// How often expired revocations and refresh tokens are removed.
    pub cleanup_interval: Duration,
    /// How often the database is probed for the health service.
    pub health_interval: Duration,
    /// How long a stopping replica keeps serving after it says NOT_SERVING.
    pub stop_delay: Duration,
    /// The key page tokens are sealed with (`PAGE_TOKEN_SECRET`).
    pub page_token_secret: Option<SecretString>,
    pub telemetry: Telemetry,
}

/// How tokens are signed and how long they live.
#[derive(Clone, Debug)]
pub struct JwtConfig {
    /// HS256 key; at least 32 bytes.
    pub secret: SecretString,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// How long a superseded refresh token presented again gets the same
    /// successor rather than ending its session
    /// (`JWT_REFRESH_REUSE_SECONDS`; 0 turns it off): two tabs, or a
    /// retry after a lost answer, refreshing at once.
    pub refresh_reuse_interval: Duration,
    /// Clock skew tolerated on `exp`.
    pub leeway: Duration,
    pub issuer: String,
    pub audience: String,
}

/// Throttling of repeated failed logins for one email.
#[derive(Clone, Copy, Debug)]
pub struct LoginPolicy {
    /// Failed logins per email that lock it, the last of them included;
    /// an attempt counts as failed while its password is being checked.
    pub max_failures: u32,
    /// The first lock; each further failure doubles it, up to `max_lockout`.
    pub lockout: Duration,
    pub max_lockout: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lockout: Duration::from_secs(30),
            max_lockout: Duration::from_secs(15 * 60),
        }
    }
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

impl Config {
    /// Reads the configuration, naming every bad variable at once.
    pub fn from_env(mut env: Env) -> Result<Self, ConfigError> {
        let listen_addr = env.or(
            "AUTH_LISTEN_ADDR",
            SocketAddr::from(([127, 0, 0, 1], 50051)),
        );
        let database_url = env.required("AUTH_DATABASE_URL", postgres_url);
        let jwt = JwtConfig::from_env(&mut env);
        let max_connections = env.or("AUTH_DB_MAX_CONNECTIONS", 16u32);
        let hashing_concurrency = env.or("AUTH_HASHING_CONCURRENCY", cores());
        if hashing_concurrency == 0 {
            env.problem("AUTH_HASHING_CONCURRENCY", "must be at least 1");
        }
        let login = LoginPolicy::from_env(&mut env);
        let cleanup_interval = env.parse_or(
            "AUTH_CLEANUP_INTERVAL_SECONDS",
            Duration::from_secs(3600),
            positive_seconds,
        );
        let page_token_secret = completionist_common::config::page_token_secret(&mut env);
        let telemetry = Telemetry::from_env(
            &mut env,
            "AUTH_METRICS_ADDR",
            std::net::SocketAddr::from(([127, 0, 0, 1], 9461)),
        );
        let stop_delay = server::stop_delay(&mut env, "AUTH_STOP_DELAY_SECONDS");
        env.finish(Self {
            listen_addr,
            database_url,
            pool: PoolSize {
                max_connections,
                ..PoolSize::default()
            },
            jwt,
            login,
            hashing_concurrency,
            cleanup_interval,
            health_interval: Duration::from_secs(2),
            stop_delay,
            page_token_secret,
            telemetry,
        })
    }
}

impl JwtConfig {
    fn from_env(env: &mut Env) -> Self {
        let secret = env.required("JWT_SECRET", |raw| {
            if raw.len() < 32 {
                Err("must be at least 32 bytes (e.g. `openssl rand -base64 48`)".into())
            } else {
                Ok(SecretString::from(raw))
            }
        });
        let access_ttl = env.parse_or(
            "JWT_ACCESS_TTL_SECONDS",
            Duration::from_secs(15 * 60),
            positive_seconds,
        );
        let refresh_ttl = env.parse_or(
            "JWT_REFRESH_TTL_SECONDS",
            Duration::from_secs(30 * 24 * 3600),
            positive_seconds,
        );
        let leeway = env.parse_or("JWT_LEEWAY_SECONDS", Duration::from_secs(30), seconds);
        let refresh_reuse_interval = env.parse_or(
            "JWT_REFRESH_REUSE_SECONDS",
            Duration::from_secs(10),
            seconds,
        );
        if refresh_ttl < access_ttl {
            env.problem(
                "JWT_REFRESH_TTL_SECONDS",
                "must not be shorter than JWT_ACCESS_TTL_SECONDS",
            );
        }
        Self {
            secret,
            access_ttl,
            refresh_ttl,
            refresh_reuse_interval,
            leeway,
            issuer: "completionist-auth".into(),
            audience: "completionist".into(),
        }
    }
}

impl LoginPolicy {
    fn from_env(env: &mut Env) -> Self {
        let defaults = Self::default();
        Self {
            max_failures: env.or("AUTH_LOGIN_MAX_FAILURES", defaults.max_failures),
            lockout: env.parse_or("AUTH_LOGIN_LOCKOUT_SECONDS", defaults.lockout, seconds),
            max_lockout: defaults.max_lockout,
        }
    }
}

fn positive_seconds(raw: &str) -> Result<Duration, String> {
    match seconds(raw)? {
        Duration::ZERO => Err("must be at least 1 second".into()),
        duration => Ok(duration),
    }
}

/// The cores this process may run on (2 when the platform cannot say).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Vec<(&'static str, &'static str)> {
        vec![
            ("AUTH_DATABASE_URL", "postgres://localhost/auth"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ]
    }

    #[test]
    fn defaults_follow_the_contract() {
        let config = Config::from_env(Env::from_vars(valid())).unwrap();
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:50051");
        assert_eq!(config.jwt.access_ttl, Duration::from_secs(900));
    }

    #[test]
    fn names_every_bad_variable() {
        let env = Env::from_vars([
            ("AUTH_LISTEN_ADDR", "nowhere"),
            ("JWT_SECRET", "short"),
            ("JWT_ACCESS_TTL_SECONDS", "0"),
            ("LOG_FORMAT", "xml"),
        ]);
        let err = Config::from_env(env).unwrap_err().to_string();
        for name in [
            "AUTH_LISTEN_ADDR",
            "AUTH_DATABASE_URL",
            "JWT_SECRET",
            "JWT_ACCESS_TTL_SECONDS",
            "LOG_FORMAT",
        ] {
            assert!(err.contains(name), "{name} missing from: {err}");
        }
        assert!(
            !err.contains("short"),
            "a secret's value must not be echoed: {err}"
        );
    }

    #[test]
    fn refresh_must_outlive_access() {
        let mut vars = valid();
        vars.push(("JWT_ACCESS_TTL_SECONDS", "100"));
        vars.push(("JWT_REFRESH_TTL_SECONDS", "10"));
        let err = Config::from_env(Env::from_vars(vars))
            .unwrap_err()
            .to_string();
        assert!(err.contains("JWT_REFRESH_TTL_SECONDS"), "{err}");
    }
}

//! gateway configuration, read from the environment.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use completionist_common::{
    config::{ConfigError, Env, seconds, service_urls},
    server,
    telemetry::Telemetry,
};
use http::HeaderValue;

/// Everything the gateway reads at start-up.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen_addr: SocketAddr,
    pub auth_service_url: String,
    pub media_service_url: String,
    /// Browser origins allowed to call (CORS); empty allows none.
    pub cors_allowed_origins: Vec<HeaderValue>,
    /// The built web app served at `/` (`GATEWAY_WEB_DIR`, holding
    /// `index.html`); none serves the APIs only.
    pub web_dir: Option<PathBuf>,
    pub limits: Limits,
    pub health_interval: Duration,
    /// How long a stopping replica keeps serving after it says NOT_SERVING.
    pub stop_delay: Duration,
    pub telemetry: Telemetry,
}

/// What one client may ask of the gateway.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest request body (all messages of a call), in bytes.
    pub max_request_bytes: usize,
    /// Largest request body of an upload (StartImport's file), in bytes;
    /// keep it at media-service's `IMPORT_MAX_BYTES` plus a little.
    pub max_upload_bytes: usize,
    /// Uploads under way at once (`GATEWAY_MAX_UPLOADS`), one per user;
    /// each is passed on as it comes, so what one holds is small.
    pub max_uploads: usize,
    /// Largest response body of a unary call, in bytes.
    pub max_response_bytes: usize,
    /// Calls in flight at once, over all clients; more are refused with
    /// RESOURCE_EXHAUSTED rather than queued. Open server streams are
    /// counted apart.
    pub max_concurrent_requests: usize,
    /// Server streams open at once, over all clients
    /// (`GATEWAY_MAX_CONCURRENT_STREAMS`): however many are open, ordinary
    /// calls still get through.
    pub max_concurrent_streams: usize,
    /// How long a server stream may go without a message before the
    /// gateway ends it (`GATEWAY_STREAM_IDLE_SECONDS`); WatchListEntries'
    /// heartbeats come well within it.
    pub stream_idle_timeout: Duration,
    /// Largest request metadata (HPACK-counted: names, values, 32 bytes
    /// each), below the 16 KiB a backend accepts: more would make the
    /// backend close the connection every caller shares.
    pub max_metadata_bytes: usize,
    /// Largest single metadata value.
    pub max_metadata_value_bytes: usize,
}

impl Limits {
    /// The limits' variables, each at least 1 where 0 would refuse all.
    fn from_env(env: &mut Env) -> Self {
        let limits = Limits {
            max_request_bytes: env.or("GATEWAY_MAX_REQUEST_BYTES", 4 * 1024 * 1024),
            max_upload_bytes: env.or("GATEWAY_MAX_UPLOAD_BYTES", (64 << 20) + (64 << 10)),
            max_uploads: env.or("GATEWAY_MAX_UPLOADS", 8),
            max_response_bytes: env.or("GATEWAY_MAX_RESPONSE_BYTES", 16 * 1024 * 1024),
            max_concurrent_requests: env.or("GATEWAY_MAX_CONCURRENT_REQUESTS", 1024),
            max_concurrent_streams: env.or("GATEWAY_MAX_CONCURRENT_STREAMS", 4096),
            stream_idle_timeout: env.parse_or(
                "GATEWAY_STREAM_IDLE_SECONDS",
                Duration::from_secs(60),
                seconds,
            ),
            max_metadata_bytes: 8 * 1024,
            max_metadata_value_bytes: 4 * 1024,
        };
        for (name, zero) in [
            ("GATEWAY_MAX_UPLOADS", limits.max_uploads == 0),
            (
                "GATEWAY_MAX_CONCURRENT_REQUESTS",
                limits.max_concurrent_requests == 0,
            ),
            (
                "GATEWAY_MAX_CONCURRENT_STREAMS",
                limits.max_concurrent_streams == 0,
            ),
            (
                "GATEWAY_STREAM_IDLE_SECONDS",
                limits.stream_idle_timeout.is_zero(),
            ),
        ] {
            if zero {
                env.problem(name, "must be at least 1");
            }
        }
        limits
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
            "GATEWAY_LISTEN_ADDR",
            SocketAddr::from(([127, 0, 0, 1], 8080)),
        );
        let auth_service_url = env.parse_or(
            "AUTH_SERVICE_URL",
            "http://127.0.0.1:50051".into(),
            service_urls,
        );
        let media_service_url = env.parse_or(
            "MEDIA_SERVICE_URL",
            "http://127.0.0.1:50052".into(),
            service_urls,
        );
        let cors_allowed_origins =
            env.parse_or("GATEWAY_CORS_ALLOWED_ORIGINS", Vec::new(), origins);
        let web_dir = env.parse_or("GATEWAY_WEB_DIR", None, |raw| {
            let dir = PathBuf::from(raw);
            crate::web::check_dir(&dir).map(|()| Some(dir))
        });
        let limits = Limits::from_env(&mut env);
        let telemetry = Telemetry::from_env(
            &mut env,
            "GATEWAY_METRICS_ADDR",
            std::net::SocketAddr::from(([127, 0, 0, 1], 9460)),
        );
        let stop_delay = server::stop_delay(&mut env, "GATEWAY_STOP_DELAY_SECONDS");
        env.finish(Self {
            listen_addr,
            auth_service_url,
            media_service_url,
            cors_allowed_origins,
            web_dir,
            limits,
            health_interval: Duration::from_secs(2),
            stop_delay,
            telemetry,
        })
    }
}

/// A comma list of origins such as `https://app.example.com`. A wildcard is
/// refused: the gateway answers with bearer tokens' data, so origins are
/// named one by one.
fn origins(raw: &str) -> Result<Vec<HeaderValue>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let uri =
                http::Uri::try_from(origin).map_err(|_| format!("{origin:?} is not an origin"))?;
            let plain = matches!(uri.scheme_str(), Some("http" | "https"))
                && uri.authority().is_some()
                && uri
                    .path_and_query()
                    .is_none_or(|p| p.as_str() == "/" || p.as_str().is_empty())
                && !origin.ends_with('/');
            if !plain {
                return Err(format!(
                    "{origin:?} is not an origin like https://app.example.com"
                ));
            }
            HeaderValue::from_str(origin).map_err(|_| format!("{origin:?} is not an origin"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_contract() {
        let config = Config::from_env(Env::from_vars::<&str, &str>([])).unwrap();
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.media_service_url, "http://127.0.0.1:50052");
        assert!(config.cors_allowed_origins.is_empty());
        assert!(config.web_dir.is_none());
    }

    #[test]
    fn reads_origin_lists_and_refuses_wildcards() {
        let config = Config::from_env(Env::from_vars([(
            "GATEWAY_CORS_ALLOWED_ORIGINS",
            "https://app.example.com, http://localhost:5173",
        )]))
        .unwrap();
        assert_eq!(config.cors_allowed_origins.len(), 2);
        let err = Config::from_env(Env::from_vars([
            ("GATEWAY_CORS_ALLOWED_ORIGINS", "*"),
            ("MEDIA_SERVICE_URL", "nope"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("GATEWAY_CORS_ALLOWED_ORIGINS") && err.contains("MEDIA_SERVICE_URL"),
            "{err}"
        );
    }

    #[test]
    fn a_web_dir_without_index_html_is_named() {
        let dir = std::env::temp_dir().join(format!("no-app-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = Config::from_env(Env::from_vars([("GATEWAY_WEB_DIR", dir.to_str().unwrap())]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("GATEWAY_WEB_DIR") && err.contains("index.html"),
            "{err}"
        );
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
        let config =
            Config::from_env(Env::from_vars([("GATEWAY_WEB_DIR", dir.to_str().unwrap())])).unwrap();
        assert_eq!(config.web_dir, Some(dir.clone()));
        std::fs::remove_dir_all(dir).unwrap();
    }
}

//! Logging and metrics: `RUST_LOG` filters, `LOG_FORMAT` chooses `pretty`
//! (people) or `json` (log collectors); each service's `…_METRICS_ADDR` is
//! where it serves `/metrics` ([`crate::metrics`]; empty turns it off).

use std::net::SocketAddr;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::Env;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

/// The logging and metrics part of a service's configuration.
#[derive(Clone, Debug)]
pub struct Telemetry {
    pub filter: String,
    pub format: LogFormat,
    /// Where `/metrics` is served; none: not at all.
    pub metrics_addr: Option<SocketAddr>,
    /// The variable that says so (`MEDIA_METRICS_ADDR`, …).
    pub metrics_var: &'static str,
}

impl Telemetry {
    /// Reads `RUST_LOG`, `LOG_FORMAT` and `metrics_var` (`metrics_addr`
    /// when unset).
    pub fn from_env(env: &mut Env, metrics_var: &'static str, metrics_addr: SocketAddr) -> Self {
        let filter = env.parse_or("RUST_LOG", "info".to_owned(), |raw| {
            EnvFilter::try_new(raw)
                .map(|_| raw.to_owned())
                .map_err(|e| format!("not a valid filter: {e}"))
        });
        let format = env.parse_or("LOG_FORMAT", LogFormat::Pretty, |raw| match raw {
            "pretty" => Ok(LogFormat::Pretty),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("expected \"pretty\" or \"json\", got {other:?}")),
        });
        let metrics_addr = env.or_off(metrics_var, metrics_addr);
        Self {
            filter,
            format,
            metrics_addr,
            metrics_var,
        }
    }

    /// Installs the global subscriber. Call once, from `main`.
    pub fn init(&self) {
        let filter = EnvFilter::new(&self.filter);
        let registry = tracing_subscriber::registry().with(filter);
        match self.format {
            LogFormat::Pretty => registry.with(fmt::layer()).init(),
            LogFormat::Json => registry
                .with(
                    fmt::layer()
                        .json()
                        .flatten_event(true)
                        .with_current_span(true),
                )
                .init(),
        }
    }
}

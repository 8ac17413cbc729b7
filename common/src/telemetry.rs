//! Logging, metrics and traces: `RUST_LOG` filters, `LOG_FORMAT` chooses
//! `pretty` (people) or `json` (log collectors); each service's
//! `…_METRICS_ADDR` is where it serves `/metrics` ([`crate::metrics`];
//! empty turns it off); `OTEL_EXPORTER_OTLP_ENDPOINT` is where spans go
//! ([`crate::trace`]; unset: nowhere).

use std::net::SocketAddr;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::{config::Env, trace};

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
    /// The OpenTelemetry collector spans are exported to (OTLP over gRPC);
    /// none: they are not exported.
    pub otlp_endpoint: Option<String>,
    /// `OTEL_SDK_DISABLED=true`: no traces at all (no trace ids either).
    pub traces_off: bool,
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
        // Plain gRPC, to a collector beside the service (an agent, or a
        // mesh that adds TLS).
        let otlp_endpoint =
            env.parse_or(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                None,
                |raw| match crate::config::http_url(raw) {
                    Ok(url) if url.starts_with("http://") => Ok(Some(url)),
                    _ => Err(format!(
                        "must be an http:// URL (OTLP over gRPC), got {raw:?}"
                    )),
                },
            );
        let traces_off = env.or("OTEL_SDK_DISABLED", false);
        Self {
            filter,
            format,
            metrics_addr,
            metrics_var,
            otlp_endpoint,
            traces_off,
        }
    }

    /// Installs the global subscriber, spans named as `service`'s. Call
    /// once, from `main`, inside the runtime.
    pub fn init(&self, service: &str) -> anyhow::Result<()> {
        let filter = EnvFilter::new(&self.filter);
        let registry = tracing_subscriber::registry()
            .with(filter)
            // Under the one filter above: a filter of the layer's own
            // would make every disabled log line of every library cost a
            // check at run time (measured: a fifth of ValidateToken's rate).
            .with(if self.traces_off {
                None
            } else {
                Some(trace::layer(service, self.otlp_endpoint.as_deref())?)
            });
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Telemetry, crate::config::ConfigError> {
        let mut env = Env::from_vars(vars.iter().copied());
        let telemetry = Telemetry::from_env(
            &mut env,
            "TEST_METRICS_ADDR",
            SocketAddr::from(([127, 0, 0, 1], 9)),
        );
        env.finish(telemetry)
    }

    #[test]
    fn the_collector_is_one_plain_grpc_url_or_none() {
        let telemetry = read(&[]).unwrap();
        assert_eq!(
            (telemetry.otlp_endpoint, telemetry.traces_off),
            (None, false)
        );
        let telemetry = read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")]).unwrap();
        assert_eq!(
            telemetry.otlp_endpoint.as_deref(),
            Some("http://collector:4317")
        );
        for bad in [
            "https://collector:4317",
            "collector:4317",
            "http://a:1,http://b:2",
        ] {
            let error = read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", bad)]).unwrap_err();
            assert!(
                error.to_string().contains("OTEL_EXPORTER_OTLP_ENDPOINT"),
                "{bad}: {error}"
            );
        }
        assert!(read(&[("OTEL_SDK_DISABLED", "true")]).unwrap().traces_off);
        assert!(read(&[("OTEL_SDK_DISABLED", "maybe")]).is_err());
    }
}

//! What each binary's `main` does the same way: read the configuration (or
//! stop with every bad variable named and exit code 2), start telemetry,
//! serve or check health, and turn the outcome into an exit code. The
//! subcommands themselves are each binary's own clap `Subcommand`, with
//! [`Common`] flattened in.

use std::{net::SocketAddr, process::ExitCode};

use tokio::net::TcpListener;

use crate::config::{ConfigError, Env};

/// A binary's configuration, as [`configure`] needs it.
pub trait Configured: Sized {
    /// Reads every variable, naming each bad one.
    fn from_env(env: Env) -> Result<Self, ConfigError>;
    fn telemetry(&self) -> &crate::telemetry::Telemetry;
    /// Where the binary serves, which `healthcheck` asks.
    fn listen_addr(&self) -> SocketAddr;
}

/// The subcommands every binary has.
#[derive(Clone, Debug, Default, clap::Subcommand)]
pub enum Common {
    /// Serve until Ctrl-C or SIGTERM (the default).
    #[default]
    Serve,
    /// Exit 0 when the instance at the configured address reports SERVING.
    Healthcheck,
}

#[derive(clap::Parser)]
struct Args {
    #[command(subcommand)]
    command: Option<Common>,
}

/// The whole `main` of a binary with no subcommands of its own: parse the
/// command line, read the configuration, then `serve` or check health.
pub async fn run<C: Configured>(
    name: &'static str,
    about: &'static str,
    serve: impl AsyncFnOnce(C) -> anyhow::Result<()>,
) -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Args::command().name(name).about(about).get_matches();
    let command = Args::from_arg_matches(&matches)
        .unwrap_or_else(|error| error.exit())
        .command
        .unwrap_or_default();
    let config = match configure::<C>(name) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let result = match command {
        Common::Serve => serve(config).await,
        Common::Healthcheck => healthcheck(config.listen_addr()).await,
    };
    exit(name, result)
}

/// The configuration from the environment, with telemetry started; or the
/// exit code after every bad variable was named.
pub fn configure<C: Configured>(name: &str) -> Result<C, ExitCode> {
    crate::memory::return_large_buffers();
    match C::from_env(Env::from_process()) {
        Ok(config) => match config.telemetry().init(name) {
            Ok(()) => Ok(config),
            Err(error) => {
                eprintln!("{name}: cannot export traces: {error:#}");
                Err(ExitCode::from(2))
            }
        },
        Err(error) => {
            eprintln!("{name}: {error}");
            Err(ExitCode::from(2))
        }
    }
}

/// The exit code of a command's outcome; a failure is logged and printed.
pub fn exit(name: &str, result: anyhow::Result<()>) -> ExitCode {
    crate::trace::flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("{name}: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Binds `addr`, saying which address could not be had.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

/// Serves `/metrics` where `telemetry` says, in the background, for as
/// long as the process runs (a shutdown's drain included).
pub async fn serve_metrics(telemetry: &crate::telemetry::Telemetry) -> anyhow::Result<()> {
    let Some(addr) = telemetry.metrics_addr else {
        return Ok(());
    };
    let listener = bind(addr)
        .await
        .map_err(|e| e.context(format!("{} (the metrics address)", telemetry.metrics_var)))?;
    // Before the service starts, so nothing it records is lost.
    crate::metrics::install();
    tokio::spawn(async move {
        if let Err(error) = crate::metrics::serve(listener, std::future::pending()).await {
            tracing::error!(%error, "metrics are no longer served");
        }
    });
    Ok(())
}

/// Succeeds when the instance on `addr` reports SERVING.
pub async fn healthcheck(addr: SocketAddr) -> anyhow::Result<()> {
    if crate::health::check(addr).await? {
        Ok(())
    } else {
        anyhow::bail!("not serving")
    }
}

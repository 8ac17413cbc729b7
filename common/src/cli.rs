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

/// The configuration from the environment, with telemetry started; or the
/// exit code after every bad variable was named.
pub fn configure<C: Configured>(name: &str) -> Result<C, ExitCode> {
    match C::from_env(Env::from_process()) {
        Ok(config) => {
            config.telemetry().init();
            Ok(config)
        }
        Err(error) => {
            eprintln!("{name}: {error}");
            Err(ExitCode::from(2))
        }
    }
}

/// The exit code of a command's outcome; a failure is logged and printed.
pub fn exit(name: &str, result: anyhow::Result<()>) -> ExitCode {
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

/// Succeeds when the instance on `addr` reports SERVING.
pub async fn healthcheck(addr: SocketAddr) -> anyhow::Result<()> {
    if crate::health::check(addr).await? {
        Ok(())
    } else {
        anyhow::bail!("not serving")
    }
}

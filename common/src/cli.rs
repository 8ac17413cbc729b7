//! What each binary's `main` does the same way: read the configuration (or
//! stop with every bad variable named and exit code 2), start telemetry,
//! dispatch the subcommand, and turn the outcome into an exit code.

use std::{future::Future, net::SocketAddr, process::ExitCode};

use tokio::net::TcpListener;

use crate::config::{ConfigError, Env};

/// A binary's configuration, as [`main`] needs it.
pub trait Configured: Sized {
    /// Reads every variable, naming each bad one.
    fn from_env(env: Env) -> Result<Self, ConfigError>;
    fn telemetry(&self) -> &crate::telemetry::Telemetry;
    fn listen_addr(&self) -> SocketAddr;
}

/// Runs a binary: `name serve` (the default), `name healthcheck`, or one of
/// the binary's own subcommands handled by `other` (`None`: unknown).
pub async fn main<C, S, O, F>(name: &str, usage: &str, serve: S, other: O) -> ExitCode
where
    C: Configured,
    S: AsyncFnOnce(C) -> anyhow::Result<()>,
    O: FnOnce(C, &[&str]) -> Option<F>,
    F: Future<Output = anyhow::Result<()>>,
{
    let config = match C::from_env(Env::from_process()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{name}: {error}");
            return ExitCode::from(2);
        }
    };
    config.telemetry().init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args[..] {
        [] | ["serve"] => serve(config).await,
        ["healthcheck"] => healthcheck(config.listen_addr()).await,
        _ => match other(config, &args) {
            Some(command) => command.await,
            None => {
                eprintln!("usage: {name} {usage}");
                return ExitCode::from(2);
            }
        },
    };
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

/// Exit 0 when the instance on `addr` reports SERVING.
async fn healthcheck(addr: SocketAddr) -> anyhow::Result<()> {
    if crate::health::check(addr).await? {
        Ok(())
    } else {
        anyhow::bail!("not serving")
    }
}

//! `gateway` — serve (the default); `gateway healthcheck` to ask a running
//! instance whether it and its backends serve (exit 0 when they do).

use std::process::ExitCode;

use completionist_common::{config::Env, shutdown};
use gateway::Config;

const USAGE: &str = "usage: gateway [serve | healthcheck]";

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env(Env::from_process()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("gateway: {error}");
            return ExitCode::from(2);
        }
    };
    config.telemetry.init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] | ["serve"] => serve(config).await,
        ["healthcheck"] => healthcheck(config).await,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("gateway: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen_addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen_addr))?;
    gateway::run(listener, config, shutdown::signal()).await
}

async fn healthcheck(config: Config) -> anyhow::Result<()> {
    if completionist_common::health::check(config.listen_addr).await? {
        Ok(())
    } else {
        anyhow::bail!("not serving")
    }
}

//! `media-service` — serve (the default); `media-service healthcheck` to ask
//! a running instance whether it serves (exit 0 when it does).

use std::process::ExitCode;

use completionist_common::{config::Env, shutdown};
use media_service::Config;

const USAGE: &str = "usage: media-service [serve | healthcheck]";

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env(Env::from_process()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("media-service: {error}");
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
            eprintln!("media-service: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    media_service::migrate(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen_addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen_addr))?;
    media_service::run(listener, config, shutdown::signal()).await
}

async fn healthcheck(config: Config) -> anyhow::Result<()> {
    if completionist_common::health::check(config.listen_addr).await? {
        Ok(())
    } else {
        anyhow::bail!("not serving")
    }
}

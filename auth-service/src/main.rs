//! `auth-service` — serve (the default); `auth-service grant-admin EMAIL` to
//! make a registered account an admin; `auth-service healthcheck` to ask a
//! running instance whether it serves (exit 0 when it does).

use std::process::ExitCode;

use auth_service::Config;
use completionist_common::{config::Env, shutdown};

const USAGE: &str = "usage: auth-service [serve | grant-admin EMAIL | healthcheck]";

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env(Env::from_process()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("auth-service: {error}");
            return ExitCode::from(2);
        }
    };
    config.telemetry.init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] | ["serve"] => serve(config).await,
        ["grant-admin", email] => grant_admin(config, email).await,
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
            eprintln!("auth-service: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    auth_service::migrate(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen_addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen_addr))?;
    auth_service::run(listener, config, shutdown::signal()).await
}

async fn grant_admin(config: Config, email: &str) -> anyhow::Result<()> {
    auth_service::migrate(&config).await?;
    if auth_service::grant_admin(&config, email).await? {
        println!(
            "{email} is now an admin; tokens issued before carry the old role until the next login"
        );
        Ok(())
    } else {
        anyhow::bail!("no account with email {email}; register it first")
    }
}

async fn healthcheck(config: Config) -> anyhow::Result<()> {
    if completionist_common::health::check(config.listen_addr).await? {
        Ok(())
    } else {
        anyhow::bail!("not serving")
    }
}

//! `media-service`: serve (the default) or `healthcheck`.

use std::process::ExitCode;

use clap::Parser;
use completionist_common::{cli, shutdown};
use media_service::Config;

#[derive(Parser)]
#[command(
    version,
    about = "Completionist catalog, user lists and providers over gRPC"
)]
struct Args {
    #[command(subcommand)]
    command: Option<cli::Common>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let command = Args::parse().command.unwrap_or_default();
    let config = match cli::configure::<Config>("media-service") {
        Ok(config) => config,
        Err(code) => return code,
    };
    let result = match command {
        cli::Common::Serve => serve(config).await,
        cli::Common::Healthcheck => cli::healthcheck(config.listen_addr).await,
    };
    cli::exit("media-service", result)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    media_service::migrate(&config).await?;
    let listener = cli::bind(config.listen_addr).await?;
    media_service::run(listener, config, shutdown::signal()).await
}

//! `gateway`: serve (the default) or `healthcheck` (exit 0 when it and its
//! backends serve).

use std::process::ExitCode;

use clap::Parser;
use completionist_common::{cli, shutdown};
use gateway::Config;

#[derive(Parser)]
#[command(
    version,
    about = "gRPC-Web and gRPC in front of Completionist's services"
)]
struct Args {
    #[command(subcommand)]
    command: Option<cli::Common>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let command = Args::parse().command.unwrap_or_default();
    let config = match cli::configure::<Config>("gateway") {
        Ok(config) => config,
        Err(code) => return code,
    };
    let result = match command {
        cli::Common::Serve => serve(config).await,
        cli::Common::Healthcheck => cli::healthcheck(config.listen_addr).await,
    };
    cli::exit("gateway", result)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = cli::bind(config.listen_addr).await?;
    gateway::run(listener, config, shutdown::signal()).await
}

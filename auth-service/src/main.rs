//! `auth-service`: serve (the default), `healthcheck`, or `grant-admin
//! EMAIL` to make a registered account an admin.

use std::process::ExitCode;

use auth_service::Config;
use clap::{Parser, Subcommand};
use completionist_common::{cli, shutdown};

#[derive(Parser)]
#[command(
    version,
    about = "Completionist accounts, sessions and tokens over gRPC"
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Common(cli::Common),
    /// Make the registered account with this email an admin.
    GrantAdmin { email: String },
}

#[tokio::main]
async fn main() -> ExitCode {
    let command = Args::parse()
        .command
        .unwrap_or(Command::Common(cli::Common::Serve));
    let config = match cli::configure::<Config>("auth-service") {
        Ok(config) => config,
        Err(code) => return code,
    };
    let result = match command {
        Command::Common(cli::Common::Serve) => serve(config).await,
        Command::Common(cli::Common::Healthcheck) => cli::healthcheck(config.listen_addr).await,
        Command::GrantAdmin { email } => grant_admin(config, email).await,
    };
    cli::exit("auth-service", result)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    auth_service::migrate(&config).await?;
    let listener = cli::bind(config.listen_addr).await?;
    cli::serve_metrics(&config.telemetry).await?;
    auth_service::run(listener, config, shutdown::signal()).await
}

async fn grant_admin(config: Config, email: String) -> anyhow::Result<()> {
    auth_service::migrate(&config).await?;
    if auth_service::grant_admin(&config, &email).await? {
        println!(
            "{email} is now an admin; tokens issued before carry the old role until the next login"
        );
        Ok(())
    } else {
        anyhow::bail!("no account with email {email}; register it first")
    }
}

//! `auth-service` — serve (the default); `auth-service grant-admin EMAIL` to
//! make a registered account an admin; `auth-service healthcheck` to ask a
//! running instance whether it serves (exit 0 when it does).

use std::process::ExitCode;

use auth_service::Config;
use completionist_common::{cli, shutdown};

#[tokio::main]
async fn main() -> ExitCode {
    cli::main(
        "auth-service",
        "[serve | grant-admin EMAIL | healthcheck]",
        async |config: Config| {
            auth_service::migrate(&config).await?;
            let listener = cli::bind(config.listen_addr).await?;
            auth_service::run(listener, config, shutdown::signal()).await
        },
        |config, args| match args {
            ["grant-admin", email] => Some(grant_admin(config, (*email).to_owned())),
            _ => None,
        },
    )
    .await
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

//! `media-service` — serve (the default); `media-service healthcheck` to ask
//! a running instance whether it serves (exit 0 when it does).

use std::process::ExitCode;

use completionist_common::{cli, shutdown};
use media_service::Config;

#[tokio::main]
async fn main() -> ExitCode {
    cli::main(
        "media-service",
        "[serve | healthcheck]",
        async |config: Config| {
            media_service::migrate(&config).await?;
            let listener = cli::bind(config.listen_addr).await?;
            media_service::run(listener, config, shutdown::signal()).await
        },
        |_, _| None::<std::future::Ready<anyhow::Result<()>>>,
    )
    .await
}

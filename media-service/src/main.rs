//! `media-service`: serve (the default) or `healthcheck`.

use std::process::ExitCode;

use completionist_common::{cli, shutdown};
use media_service::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let about = "Completionist catalog, user lists and providers over gRPC";
    cli::run("media-service", about, async |config: Config| {
        media_service::migrate(&config).await?;
        let listener = cli::bind(config.listen_addr).await?;
        cli::serve_metrics(&config.telemetry).await?;
        media_service::run(listener, config, shutdown::signal()).await
    })
    .await
}

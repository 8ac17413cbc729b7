//! `gateway`: serve (the default) or `healthcheck` (exit 0 when it and its
//! backends serve).

use std::process::ExitCode;

use completionist_common::{cli, shutdown};
use gateway::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let about = "gRPC-Web and gRPC in front of Completionist's services";
    cli::run("gateway", about, async |config: Config| {
        let listener = cli::bind(config.listen_addr).await?;
        cli::serve_metrics(&config.telemetry).await?;
        gateway::run(listener, config, shutdown::signal()).await
    })
    .await
}

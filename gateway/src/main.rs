//! `gateway` — serve (the default); `gateway healthcheck` to ask a running
//! instance whether it and its backends serve (exit 0 when they do).

use std::process::ExitCode;

use completionist_common::{cli, shutdown};
use gateway::Config;

#[tokio::main]
async fn main() -> ExitCode {
    cli::main(
        "gateway",
        "[serve | healthcheck]",
        async |config: Config| {
            let listener = cli::bind(config.listen_addr).await?;
            gateway::run(listener, config, shutdown::signal()).await
        },
        |_, _| None::<std::future::Ready<anyhow::Result<()>>>,
    )
    .await
}

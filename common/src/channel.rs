//! Channels from one service to another.

use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

/// A channel to an internal service at `url`. It connects on first use and
/// reconnects by itself, so services may start in any order and a backend
/// that comes back is used again; a backend that is down fails fast.
pub fn internal(url: &str) -> Result<Channel, tonic::transport::Error> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(Duration::from_secs(1))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(10))
        .connect_lazy())
}

//! Channels from one service to another.

use std::time::Duration;

use tonic::transport::{Channel, Endpoint};
use tower::Layer;

use crate::metrics::{Calls, CallsLayer};

/// A channel to an internal service, each call through it measured
/// ([`crate::metrics`]).
pub type Internal = Calls<Channel>;

/// A channel to an internal service at `url`. It connects on first use and
/// reconnects by itself, so services may start in any order and a backend
/// that comes back is used again; a backend that is down fails fast.
pub fn internal(url: &str) -> Result<Internal, tonic::transport::Error> {
    Ok(CallsLayer::client().layer(endpoint(url)?.connect_lazy()))
}

/// Flow-control window of each stream on a [`streams`] channel.
const STREAM_WINDOW: u32 = 64 * 1024;

/// A channel for up to `streams` server streams at once to an internal
/// service at `url`, apart from its unary calls. Each stream's HTTP/2
/// window is small, so one whose client reads slowly holds back only its
/// own data, and the connection's is as large as all of them together, so
/// it cannot stall the others; unary calls, on their own connection, never
/// wait behind streams.
pub fn streams(url: &str, streams: usize) -> Result<Internal, tonic::transport::Error> {
    let total = u32::try_from(streams.max(1))
        .unwrap_or(u32::MAX)
        .saturating_mul(STREAM_WINDOW)
        .min(i32::MAX as u32);
    let channel = endpoint(url)?
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(total)
        .connect_lazy();
    Ok(CallsLayer::client().layer(channel))
}

fn endpoint(url: &str) -> Result<Endpoint, tonic::transport::Error> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(Duration::from_secs(1))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(10)))
}

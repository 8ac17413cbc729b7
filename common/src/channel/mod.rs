//! Channels from one service to another, over every replica of it. A
//! service's address may be a comma list of URLs, and each URL's host a
//! name that resolves to several replicas (a Kubernetes headless Service):
//! [`replicas`] resolves them again every few seconds, adds and removes
//! replicas as they come and go, and takes out one that reports
//! NOT_SERVING (it lost its database, or is stopping). Calls are spread
//! over the replicas that serve (tonic's balancer: each connection counts
//! as equally loaded, so the choice is at random).

mod replicas;

use std::time::Duration;

use http::{Request, Uri};
use tonic::{
    body::Body,
    transport::{Channel, Endpoint},
};
use tower::{Layer, util::MapRequest};

pub use self::replicas::Resolve;
use crate::{
    metrics::{Calls, CallsLayer},
    request_id, trace,
};

/// A channel to an internal service, each call through it measured
/// ([`crate::metrics`]) and carrying its request's context ([`outgoing`]).
pub type Internal = Calls<MapRequest<Channel, fn(Request<Body>) -> Request<Body>>>;

/// What every internal call carries of the request it is made for: the
/// request id and the time its caller has left ([`request_id::stamp`]),
/// and its trace ([`trace::inject`]).
fn outgoing(mut request: Request<Body>) -> Request<Body> {
    request_id::stamp(request.headers_mut());
    trace::inject(request.headers_mut());
    request
}

/// How often replicas are resolved and asked whether they serve.
const FOLLOW_EVERY: Duration = Duration::from_secs(2);

/// A channel to the replicas of an internal service at `urls` (a comma
/// list). It connects on first use and reconnects by itself, so services
/// may start in any order and a replica that comes back is used again; a
/// replica that is down fails fast.
pub fn internal(urls: &str) -> Result<Internal, tonic::transport::Error> {
    balanced(urls, std::convert::identity, replicas::dns())
}

/// Flow-control window of each stream on a [`streams`] channel.
const STREAM_WINDOW: u32 = 64 * 1024;

/// A channel for up to `streams` server streams at once to an internal
/// service at `urls`, apart from its unary calls. Each stream's HTTP/2
/// window is small, so one whose client reads slowly holds back only its
/// own data, and the connection's is as large as all of them together, so
/// it cannot stall the others; unary calls, on their own connection, never
/// wait behind streams.
pub fn streams(urls: &str, streams: usize) -> Result<Internal, tonic::transport::Error> {
    let total = u32::try_from(streams.max(1))
        .unwrap_or(u32::MAX)
        .saturating_mul(STREAM_WINDOW)
        .min(i32::MAX as u32);
    let windows = move |endpoint: Endpoint| {
        endpoint
            .initial_stream_window_size(STREAM_WINDOW)
            .initial_connection_window_size(total)
    };
    balanced(urls, windows, replicas::dns())
}

/// [`internal`] with replicas found by `resolve` (tests give their own).
pub fn internal_with(urls: &str, resolve: Resolve) -> Result<Internal, tonic::transport::Error> {
    balanced(urls, std::convert::identity, resolve)
}

/// A balanced channel over the replicas of `urls`, each endpoint set up
/// by `setup`, followed in the background for as long as the channel
/// lives.
fn balanced(
    urls: &str,
    setup: impl Fn(Endpoint) -> Endpoint + Send + Sync + 'static,
    resolve: Resolve,
) -> Result<Internal, tonic::transport::Error> {
    let targets = urls
        .split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(|url| Endpoint::from_shared(url.to_owned()).map(|e| e.uri().clone()))
        .collect::<Result<Vec<Uri>, _>>()?;
    let (channel, changes) = Channel::balance_channel(16);
    let endpoint = move |uri: Uri| setup(configured(Endpoint::from(uri)));
    tokio::spawn(replicas::follow(
        targets,
        endpoint,
        changes,
        resolve,
        FOLLOW_EVERY,
    ));
    let stamped = MapRequest::new(channel, outgoing as fn(Request<Body>) -> Request<Body>);
    Ok(CallsLayer::client().layer(stamped))
}

/// The settings of every internal endpoint.
fn configured(endpoint: Endpoint) -> Endpoint {
    endpoint
        .connect_timeout(Duration::from_secs(1))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(10))
}

#[cfg(test)]
mod tests;

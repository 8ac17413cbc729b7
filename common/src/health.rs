//! The client side of `grpc.health.v1`: what `<binary> healthcheck` runs, for
//! `make run` and container health checks.

use std::{net::SocketAddr, time::Duration};

use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// Whether the server behind `channel` reports SERVING, asked with
/// `timeout`: what the gateway's readiness asks of its backends, and what
/// [`crate::channel`] asks of each replica.
pub async fn serving<T>(channel: T, timeout: Duration) -> bool
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    <T::ResponseBody as http_body::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    let mut request = tonic::Request::new(HealthCheckRequest::default());
    request.set_timeout(timeout);
    // Bounded here too: a call waits in the channel, unbounded by its
    // own timeout, until a replica takes it.
    let answer = tokio::time::timeout(timeout, HealthClient::new(channel).check(request)).await;
    matches!(
        answer.map(|a| a.map(|r| r.into_inner().status())),
        Ok(Ok(ServingStatus::Serving))
    )
}

/// Whether the server listening on `addr` reports SERVING. An unspecified
/// address (`0.0.0.0`) is reached through loopback.
pub async fn check(addr: SocketAddr) -> anyhow::Result<bool> {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(2))
        .connect()
        .await?;
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await?
        .into_inner()
        .status();
    Ok(status == ServingStatus::Serving)
}

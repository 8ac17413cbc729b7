//! Calling a server under test: bearer metadata, waiting for a health
//! status, and the servers' logs on request.

use std::{
    sync::Once,
    time::{Duration, Instant},
};

use tonic::{Request, transport::Channel};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// A request with `authorization: Bearer <token>`.
pub fn authed<T>(token: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("a metadata value"),
    );
    request
}

/// What the server behind `channel` reports for `service` (`Unknown` when
/// it does not answer).
pub async fn health(channel: &Channel, service: &str) -> ServingStatus {
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .map_or(ServingStatus::Unknown, |r| r.into_inner().status())
}

/// Waits (up to 5 s, else panics) until the server behind `channel` reports
/// `status` for `service`.
pub async fn wait_for_health(channel: &Channel, service: &str, status: ServingStatus) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = health(channel, service).await;
        if now == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{service:?} never became {status:?} (last {now:?})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// With `TEST_LOG=1`, the servers' logs go to the test's output (shown for
/// failing tests, or all with `--nocapture`); `RUST_LOG` filters them.
pub fn init_logs() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var("TEST_LOG").is_ok_and(|v| !v.is_empty() && v != "0") {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("debug"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
    });
}

/// Calls every method of `service` (from its encoded descriptor set) that
/// is not in `public`, without credentials, and asserts each is refused
/// with UNAUTHENTICATED / MISSING_TOKEN in `domain`: the authentication
/// layer covers every method, present and future.
pub async fn assert_every_method_needs_a_token(
    channel: Channel,
    descriptor_set: &[u8],
    service: &str,
    public: &[&str],
    domain: &str,
) {
    let methods = completionist_common::authn::methods_of(descriptor_set, service);
    assert!(!methods.is_empty(), "{service} has no methods");
    let mut grpc = tonic::client::Grpc::new(channel);
    for method in methods.iter().filter(|m| !public.contains(&m.as_str())) {
        grpc.ready().await.expect("the server accepts calls");
        let path = http::uri::PathAndQuery::try_from(method.as_str()).expect("a method path");
        // An empty message decodes as any request type.
        let codec = tonic_prost::ProstCodec::<(), ()>::default();
        let result = grpc.unary(Request::new(()), path, codec).await;
        crate::assert_error(
            result,
            tonic::Code::Unauthenticated,
            "MISSING_TOKEN",
            domain,
        );
    }
}

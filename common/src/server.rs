//! Server start-up shared by every binary: HTTP/2 limits, request ids and
//! request logs, health and reflection, and a graceful shutdown that reports
//! NOT_SERVING first and bounds the drain.

use std::{future::Future, time::Duration};

use tokio::net::TcpListener;
use tonic::{
    service::Routes,
    transport::{Server, server::TcpIncoming},
};
use tonic_health::{
    ServingStatus,
    pb::health_server::{Health, HealthServer},
    server::HealthReporter,
};
use tower::ServiceBuilder;
use tower_http::{
    classify::{GrpcErrorsAsFailures, SharedClassifier},
    trace::{
        DefaultOnBodyChunk, DefaultOnEos, DefaultOnFailure, DefaultOnRequest, DefaultOnResponse,
        TraceLayer,
    },
};
use tracing::Level;

use crate::request_id::{self, RequestIdLayer};

/// The largest request message a service accepts (and the largest answer
/// its clients accept): set on every server and client, and checked with
/// clear details by [`crate::guard`].
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// How long in-flight calls may finish after a shutdown begins. Idle HTTP/2
/// connections can otherwise hold the drain open forever (hyper#4170).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The variable `name`: seconds a stopping server keeps serving after it
/// says NOT_SERVING (see [`Readiness::stop_delay`]); none when unset.
pub fn stop_delay(env: &mut crate::config::Env, name: &str) -> Duration {
    env.parse_or(name, Duration::ZERO, crate::config::seconds)
}

/// Health and reflection (v1 and v1alpha) for a server that serves the
/// services described by `descriptor_sets` (encoded `FileDescriptorSet`s).
/// The health and error-detail descriptors are registered too, so clients
/// can describe every import and decode error details.
pub fn base_routes(
    health: HealthServer<impl Health>,
    descriptor_sets: &[&[u8]],
) -> Result<Routes, tonic_reflection::server::Error> {
    let reflection = || {
        descriptor_sets.iter().fold(
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(
                    completionist_proto::ERROR_DETAILS_DESCRIPTOR_SET,
                ),
            |builder, set| builder.register_encoded_file_descriptor_set(set),
        )
    };
    Ok(Routes::new(health)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?))
}

/// Readiness of a service whose every call needs its database: SERVING
/// while the database answers.
pub fn database_readiness(
    reporter: HealthReporter,
    service: &'static str,
    database_url: &str,
    interval: Duration,
    stop_delay: Duration,
) -> Readiness<impl FnMut() -> futures_util::future::BoxFuture<'static, bool> + Send> {
    let probe = std::sync::Arc::new(crate::db::Probe::new(database_url));
    Readiness {
        reporter,
        services: vec![service],
        probe: move || {
            let probe = probe.clone();
            // A busy machine may take a while to answer; the database is
            // away when it cannot answer within a second, not within one
            // (possibly very short) interval.
            let timeout = interval.max(Duration::from_secs(1));
            Box::pin(async move { probe.ping(timeout).await.is_ok() })
                as futures_util::future::BoxFuture<'static, bool>
        },
        interval,
        stop_delay,
    }
}

/// What a server reports on `grpc.health.v1.Health`.
pub struct Readiness<P> {
    pub reporter: HealthReporter,
    /// The fully qualified names of the services served (e.g.
    /// `completionist.auth.v1.AuthService`); `""` is reported too.
    pub services: Vec<&'static str>,
    /// Answers whether the server can do its work (its database answers, its
    /// backends serve); asked every `interval`.
    pub probe: P,
    pub interval: Duration,
    /// How long a stopping server keeps serving after it says NOT_SERVING,
    /// so its callers' health checks (and load balancers) take it out
    /// before it stops accepting.
    pub stop_delay: Duration,
}

/// A tonic server builder with the limits every server here sets.
pub fn builder() -> Server {
    Server::builder()
        // Left unset, hyper allows unlimited streams and local resets: the
        // openings for HTTP/2 stream floods and rapid reset.
        .max_concurrent_streams(256)
        .http2_max_local_error_reset_streams(Some(1024))
        .http2_max_pending_accept_reset_streams(Some(100))
        // Stated, not left to a default: the gateway keeps its callers'
        // metadata below this (`gateway::config::Limits`).
        .http2_max_header_list_size(Some(16 * 1024))
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)))
        .timeout(Duration::from_secs(30))
}

/// Serves `routes` on `listener` until `shutdown` completes, then reports
/// NOT_SERVING, keeps serving for the readiness's `stop_delay`, stops
/// accepting and lets in-flight calls finish for at most [`DRAIN_TIMEOUT`].
pub async fn serve<P, F>(
    listener: TcpListener,
    routes: Routes,
    readiness: Readiness<P>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error>
where
    P: FnMut() -> F,
    F: Future<Output = bool>,
{
    serve_with(builder(), listener, routes, readiness, shutdown).await
}

/// [`serve`] with a builder of the caller's (e.g. one accepting HTTP/1.1).
pub async fn serve_with<P, F>(
    builder: Server,
    listener: TcpListener,
    routes: Routes,
    mut readiness: Readiness<P>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error>
where
    P: FnMut() -> F,
    F: Future<Output = bool>,
{
    let local_addr = listener.local_addr().ok();
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = builder
        .layer(
            ServiceBuilder::new()
                .layer(RequestIdLayer)
                .layer(call_spans()),
        )
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, async {
            let _ = stop_rx.await;
        });
    tokio::pin!(server);
    tracing::info!(address = ?local_addr, "serving");

    tokio::select! {
        result = &mut server => return result,
        () = shutdown => {}
        () = watch(&mut readiness) => {}
    }

    set_status(
        &readiness.reporter,
        &readiness.services,
        ServingStatus::NotServing,
    )
    .await;
    // Still serving, while callers see NOT_SERVING and go elsewhere.
    tokio::select! {
        result = &mut server => return result,
        () = tokio::time::sleep(readiness.stop_delay) => {}
    }
    let _ = stop_tx.send(());
    match tokio::time::timeout(DRAIN_TIMEOUT, server).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!("calls still in flight after the drain timeout; stopping anyway");
            Ok(())
        }
    }
}

/// The layer that gives each call its span ([`call_span`]) and logs its
/// outcome: failures at INFO, the rest at DEBUG.
pub type CallSpans<B> = TraceLayer<
    SharedClassifier<GrpcErrorsAsFailures>,
    fn(&http::Request<B>) -> tracing::Span,
    DefaultOnRequest,
    DefaultOnResponse,
    DefaultOnBodyChunk,
    DefaultOnEos,
    DefaultOnFailure,
>;

/// Every server's [`CallSpans`], inside [`RequestIdLayer`].
pub fn call_spans<B>() -> CallSpans<B> {
    TraceLayer::new_for_grpc()
        .make_span_with(call_span::<B> as fn(&http::Request<B>) -> tracing::Span)
        .on_request(DefaultOnRequest::new().level(Level::DEBUG))
        .on_response(DefaultOnResponse::new().level(Level::DEBUG))
        .on_failure(DefaultOnFailure::new().level(Level::INFO))
}

/// The span of one call: its request id, trace id and method, in the trace
/// its caller named (or a new one).
fn call_span<B>(request: &http::Request<B>) -> tracing::Span {
    let id = request
        .headers()
        .get(request_id::HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let method = logged_path(request.uri().path());
    // Probes have no span, so no trace: theirs would drown the traces of
    // calls, whatever the log level.
    if method.starts_with("/grpc.health.v1.Health/") {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        "rpc",
        request_id = %id,
        trace_id = tracing::field::Empty,
        method = %method,
        otel.name = %method,
        otel.kind = "server",
    );
    crate::trace::continue_from(&span, request.headers());
    span
}

/// Reports the probe's verdict whenever it changes; runs until dropped.
async fn watch<P, F>(readiness: &mut Readiness<P>)
where
    P: FnMut() -> F,
    F: Future<Output = bool>,
{
    let mut last = None;
    loop {
        let status = if (readiness.probe)().await {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        if last != Some(status) {
            set_status(&readiness.reporter, &readiness.services, status).await;
            last = Some(status);
        }
        tokio::time::sleep(readiness.interval).await;
    }
}

async fn set_status(reporter: &HealthReporter, services: &[&str], status: ServingStatus) {
    reporter.set_service_status("", status).await;
    for service in services {
        reporter.set_service_status(*service, status).await;
    }
}

/// A request's path as logs and traces show it: a calendar feed's path and
/// a media server's webhook path hold a secret token, and show the route
/// instead.
fn logged_path(path: &str) -> &str {
    if path.starts_with("/calendar/") {
        "/calendar/{token}.ics"
    } else if path.starts_with("/scrobble/") {
        "/scrobble/{server}/{token}"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_feeds_token_is_never_logged() {
        assert_eq!(
            super::logged_path("/calendar/s3cr3t.ics"),
            "/calendar/{token}.ics"
        );
        assert_eq!(
            super::logged_path("/scrobble/plex/s3cr3t"),
            "/scrobble/{server}/{token}"
        );
        let method = "/completionist.media.v1.MediaService/ListEpisodes";
        assert_eq!(super::logged_path(method), method);
    }

    #[tokio::test]
    async fn a_stopping_server_says_not_serving_and_serves_on_for_its_delay() {
        use std::time::Duration;

        use tonic_health::pb::{
            HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
        };

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (reporter, health) = tonic_health::server::health_reporter();
        let routes = super::base_routes(health, &[]).unwrap();
        let readiness = super::Readiness {
            reporter,
            services: vec![""],
            probe: || async { true },
            interval: Duration::from_millis(100),
            stop_delay: Duration::from_secs(1),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(super::serve(listener, routes, readiness, async {
            let _ = stopped.await;
        }));
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
            .unwrap()
            .connect_lazy();
        let status = || async {
            let mut client = HealthClient::new(channel.clone());
            client
                .check(HealthCheckRequest::default())
                .await
                .map(|r| r.into_inner().status())
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(status().await.unwrap(), ServingStatus::Serving);

        stop.send(()).unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Answered: still serving, saying it is stopping.
        assert_eq!(status().await.unwrap(), ServingStatus::NotServing);
        tokio::time::timeout(Duration::from_secs(5), served)
            .await
            .expect("stopped after its delay")
            .unwrap()
            .unwrap();
    }
}

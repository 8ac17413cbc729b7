//! gateway: gRPC-Web (binary and text, over HTTP/1.1 and HTTP/2) and plain
//! gRPC on one port, in front of auth-service and media-service, with CORS
//! for the configured browser origins.
//!
//! Each backend service is forwarded whole ([`forward::Forward`]), so a new
//! RPC reaches browsers without gateway code. The gateway serves its own
//! health (SERVING while both backends serve) and reflection for the union
//! of both APIs, and the web app's files ([`web`]) from `GATEWAY_WEB_DIR`.

mod calendar;
pub mod config;
mod error;
mod forward;
mod scrobble;
mod streams;
mod uploads;
mod web;

use std::{future::Future, sync::Arc, time::Duration};

use completionist_common::channel::Internal;
use completionist_common::{
    channel, health, metrics,
    server::{self, Readiness},
};
use http::{HeaderName, Method};
use tokio::{net::TcpListener, sync::Semaphore};
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic_web::GrpcWebLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use crate::config::Config;
use crate::forward::{Auth, Forward, Media, Shared};

/// The name the gateway's own health is reported under.
pub const SERVICE_NAME: &str = "completionist.gateway";

/// Request headers a gRPC-Web client sends.
const ALLOWED_HEADERS: &[&str] = &[
    "content-type",
    "authorization",
    "x-grpc-web",
    "x-user-agent",
    "grpc-timeout",
    "x-request-id",
    // W3C trace context, from pages that trace their own calls.
    "traceparent",
    "tracestate",
];

/// Response headers a browser may read: without them, errors (sent as
/// trailers-only responses, in ordinary headers) would be invisible.
const EXPOSED_HEADERS: &[&str] = &[
    "grpc-status",
    "grpc-message",
    "grpc-status-details-bin",
    "x-request-id",
];

/// Serves the gateway on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let auth = channel::internal(&config.auth_service_url)?;
    let media = channel::internal(&config.media_service_url)?;
    let stopping = CancellationToken::new();
    let shared = Shared {
        in_flight: Arc::new(Semaphore::new(config.limits.max_concurrent_requests)),
        streams: Arc::new(Semaphore::new(config.limits.max_concurrent_streams)),
        stopping: stopping.clone(),
        uploads: uploads::Uploads::new(config.limits.max_uploads, auth.clone()),
    };

    let (reporter, health) = tonic_health::server::health_reporter();
    let routes = routes(&config, health, (&auth, &media), shared)?;

    let probe_timeout = config.health_interval;
    let readiness = Readiness {
        reporter,
        services: vec![SERVICE_NAME],
        probe: move || {
            let (auth, media) = (auth.clone(), media.clone());
            async move {
                let (auth, media) = tokio::join!(
                    health::serving(auth, probe_timeout),
                    health::serving(media, probe_timeout)
                );
                auth && media
            }
        },
        interval: config.health_interval,
        stop_delay: config.stop_delay,
    };
    // Streams end (UNAVAILABLE) as soon as shutdown begins, rather than
    // holding the drain open until its timeout.
    let shutdown = async {
        shutdown.await;
        stopping.cancel();
    };
    server::serve_with(
        server::builder().accept_http1(true),
        listener,
        routes,
        readiness,
        shutdown,
    )
    .await?;
    Ok(())
}

/// Health, reflection and both backends, with gRPC-Web and CORS.
fn routes(
    config: &Config,
    health: tonic_health::pb::health_server::HealthServer<
        impl tonic_health::pb::health_server::Health,
    >,
    (auth, media): (&Internal, &Internal),
    shared: Shared,
) -> anyhow::Result<Routes> {
    let media_streams = channel::streams(
        &config.media_service_url,
        config.limits.max_concurrent_streams,
    )?;
    let routes = server::base_routes(
        health,
        &[
            completionist_proto::AUTH_DESCRIPTOR_SET,
            completionist_proto::MEDIA_DESCRIPTOR_SET,
        ],
    )?
    // auth-service has no streams: its channel serves both.
    .add_service(Forward::<Auth>::new(
        auth.clone(),
        auth.clone(),
        config.limits,
        shared.clone(),
    ))
    .add_service(Forward::<Media>::new(
        media.clone(),
        media_streams,
        config.limits,
        shared,
    ));
    // CORS outside gRPC-Web: tonic-web answers 400 to any other HTTP/1
    // request, a preflight included.
    // Calls measured as gRPC, whichever way they came.
    let apis = routes
        .into_axum_router()
        .layer(metrics::CallsLayer::server())
        .layer(GrpcWebLayer::new())
        .layer(cors(config));
    // Plain HTTP beside the app: calendar apps' feeds, media servers'
    // webhooks.
    let plain = calendar::routes(media.clone()).merge(scrobble::router(media.clone()));
    Ok(Routes::from(web::with_app(
        apis,
        plain,
        config.web_dir.as_deref(),
    )))
}

fn cors(config: &Config) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(config.cors_allowed_origins.clone()))
        .allow_methods([Method::POST])
        .allow_headers(
            ALLOWED_HEADERS
                .iter()
                .map(|h| HeaderName::from_static(h))
                .collect::<Vec<_>>(),
        )
        .expose_headers(
            EXPOSED_HEADERS
                .iter()
                .map(|h| HeaderName::from_static(h))
                .collect::<Vec<_>>(),
        )
        .max_age(Duration::from_secs(24 * 3600))
}

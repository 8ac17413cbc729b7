//! A bare tonic server for `make bench`: health and a TokenService whose
//! ValidateToken answers at once (no token is read), on the runtime our
//! services run on (tokio's multi-threaded default). `--layers` adds some
//! of our servers' layers ([`LAYERS`]), each where our servers have it, so
//! the bench can read off what each costs a call (`bench/src/layers.rs`).
//!
//! Usage: `bare-tonic ADDRESS [--layers settings,request-ids,...]`.

use std::net::SocketAddr;

use completionist_common::{admission, compression, guard, metrics, request_id, server};
use completionist_proto::{
    TOKENS_DESCRIPTOR_SET,
    auth::{
        ListDeletedUsersRequest, ListDeletedUsersResponse, ValidateTokenRequest,
        ValidateTokenResponse, WatchRevocationsRequest, WatchRevocationsResponse,
        token_service_server::{TokenService, TokenServiceServer},
    },
};
use tonic::{Request, Response, Status, service::Routes, transport::server::TcpIncoming};

/// The layers `--layers` may name.
const LAYERS: &[&str] = &[
    "settings",
    "request-ids",
    "spans",
    "metrics",
    "admission",
    "guard",
];

const USAGE: &str = "usage: bare-tonic ADDRESS [--layers settings,request-ids,...]";

/// ValidateToken with nothing behind it.
struct Null;

#[tonic::async_trait]
impl TokenService for Null {
    async fn validate_token(
        &self,
        _: Request<ValidateTokenRequest>,
    ) -> Result<Response<ValidateTokenResponse>, Status> {
        Ok(Response::new(ValidateTokenResponse {
            user_id: "0190b2a4-5f3e-7c2a-9d41-6f1e2b3c4d5e".into(),
            role: 1,
            expire_time: Some(prost_types::Timestamp {
                seconds: 4_102_444_800,
                nanos: 0,
            }),
            token_id: "0190b2a4-5f3e-7c2a-9d41-6f1e2b3c4d5f".into(),
            session_id: "0190b2a4-5f3e-7c2a-9d41-6f1e2b3c4d60".into(),
        }))
    }

    type WatchRevocationsStream =
        futures_util::stream::Empty<Result<WatchRevocationsResponse, Status>>;

    async fn watch_revocations(
        &self,
        _: Request<WatchRevocationsRequest>,
    ) -> Result<Response<Self::WatchRevocationsStream>, Status> {
        Err(Status::unimplemented("not in the bare server"))
    }

    async fn list_deleted_users(
        &self,
        _: Request<ListDeletedUsersRequest>,
    ) -> Result<Response<ListDeletedUsersResponse>, Status> {
        Err(Status::unimplemented("not in the bare server"))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args.next().ok_or_else(|| anyhow::anyhow!(USAGE))?.parse()?;
    let layers: Vec<String> = match (args.next().as_deref(), args.next()) {
        (Some("--layers"), Some(list)) => list.split(',').map(str::to_owned).collect(),
        (None, _) => Vec::new(),
        _ => anyhow::bail!(USAGE),
    };
    if let Some(unknown) = layers.iter().find(|l| !LAYERS.contains(&l.as_str())) {
        anyhow::bail!("no layer {unknown:?}; {USAGE}");
    }
    let with = |layer: &str| layers.iter().any(|l| l == layer);
    if with("spans") {
        completionist_common::telemetry::Telemetry {
            filter: "info".into(),
            format: completionist_common::telemetry::LogFormat::Pretty,
            metrics_addr: None,
            metrics_var: "BARE_METRICS_ADDR",
            otlp_endpoint: None,
            traces_off: false,
        }
        .init("bare-tonic")?;
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve(listener, routes(&with)?, &with).await
}

/// Health, and the TokenService behind the layers asked for that wrap a
/// service (as our services have them).
fn routes(with: &dyn Fn(&str) -> bool) -> anyhow::Result<Routes> {
    let (_, health) = tonic_health::server::health_reporter();
    let tokens = TokenServiceServer::new(Null);
    let tokens = if with("settings") {
        compression::ENCODINGS
            .into_iter()
            .fold(tokens, |s, e| s.accept_compressed(e).send_compressed(e))
    } else {
        tokens
    };
    let routes = Routes::new(health);
    let limits = admission::Limits::for_pool(completionist_common::db::PoolSize::default());
    let guarded = |tokens| {
        guard::protect(
            tokens,
            TOKENS_DESCRIPTOR_SET,
            "bench",
            server::MAX_MESSAGE_BYTES,
        )
    };
    let routes = match (with("admission"), with("guard")) {
        (false, false) => routes.add_service(tokens),
        (false, true) => routes.add_service(guarded(tokens)?),
        (true, false) => routes.add_service(admission::protect(tokens, limits, &[], "bench")),
        (true, true) => {
            routes.add_service(admission::protect(guarded(tokens)?, limits, &[], "bench"))
        }
    };
    Ok(if with("metrics") {
        metrics::install();
        metrics::measure_calls(routes)
    } else {
        routes
    })
}

/// Serves `routes` behind the server-wide layers asked for.
async fn serve(
    listener: tokio::net::TcpListener,
    routes: Routes,
    with: &dyn Fn(&str) -> bool,
) -> anyhow::Result<()> {
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let mut builder = if with("settings") {
        server::builder()
    } else {
        tonic::transport::Server::builder()
    };
    // Each arm its own stack: an optional layer (`Either`) would be a
    // layer too, and could not change the answer's body type.
    match (with("request-ids"), with("spans")) {
        (false, false) => {
            builder
                .add_routes(routes)
                .serve_with_incoming(incoming)
                .await?;
        }
        (true, false) => {
            builder
                .layer(request_id::RequestIdLayer)
                .add_routes(routes)
                .serve_with_incoming(incoming)
                .await?;
        }
        (false, true) => {
            builder
                .layer(server::call_spans())
                .add_routes(routes)
                .serve_with_incoming(incoming)
                .await?;
        }
        (true, true) => {
            builder
                .layer(
                    tower::ServiceBuilder::new()
                        .layer(request_id::RequestIdLayer)
                        .layer(server::call_spans()),
                )
                .add_routes(routes)
                .serve_with_incoming(incoming)
                .await?;
        }
    }
    Ok(())
}

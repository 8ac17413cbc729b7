//! The web app's files, beside the APIs, the calendar feeds and the media
//! servers' webhooks on the same port.
//!
//! A request is for the APIs when it says it is gRPC or gRPC-Web (its
//! content type) or is a CORS preflight; under `/calendar/` or
//! `/scrobble/` for plain HTTP (`calendar`, `scrobble`); everything else is a file of the
//! built app (`GATEWAY_WEB_DIR`): hashed `/assets/*` cached for a year, any
//! other path answered with `index.html` (the app routes it) and never
//! cached, both compressed and under a Content-Security-Policy that allows
//! no inline script. Without a web directory every other request gets 404.

use std::{
    convert::Infallible,
    future::Future,
    path::Path,
    pin::Pin,
    task::{Context, Poll},
};

use axum::{Router, body::Body};
use http::{
    HeaderName, HeaderValue, Method, Request, Response,
    header::{CACHE_CONTROL, CONTENT_TYPE},
};
use tower::{Layer, Service, ServiceExt};
use tower_http::{
    compression::CompressionLayer,
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

/// The policy of every page: scripts, styles and calls from this origin
/// only; covers from any https host (the providers' image servers).
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' https: data:; connect-src 'self'; font-src 'self'; \
     manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Hashed file names change with their content: cached for good.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `index.html` names the current hashed files: asked again every time.
const REVALIDATE: &str = "no-cache";

/// The APIs (`grpc`, with gRPC-Web and CORS), the `plain` HTTP routes and,
/// when there is one, the web app in `dir`, on one router.
pub(crate) fn with_app(grpc: Router, plain: Router, dir: Option<&Path>) -> Router {
    let files = dir.map_or_else(Router::new, files);
    Router::new().fallback_service(Split { grpc, plain, files })
}

/// The built app: hashed assets (a missing one is 404, never the page),
/// and `index.html` for any other path the app may route.
fn files(dir: &Path) -> Router {
    let cache =
        |value| SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static(value));
    let header = |name, value| {
        SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    Router::new()
        .nest_service(
            "/assets",
            cache(IMMUTABLE).layer(ServeDir::new(dir.join("assets"))),
        )
        .fallback_service(
            cache(REVALIDATE)
                .layer(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")))),
        )
        .layer(CompressionLayer::new())
        .layer(header("content-security-policy", CONTENT_SECURITY_POLICY))
        .layer(header("x-content-type-options", "nosniff"))
        .layer(header("referrer-policy", "no-referrer"))
        .layer(header("cross-origin-opener-policy", "same-origin"))
        .layer(header("permissions-policy", PERMISSIONS_POLICY))
        .layer(axum::middleware::from_fn(strict_transport))
}

/// Browser features the app never uses, off for it and anything it embeds.
const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/// A year of HTTPS only, said where the page came over HTTPS: the gateway
/// itself speaks plain HTTP, so that is a proxy in front saying
/// `X-Forwarded-Proto: https` (said over plain HTTP the header is ignored
/// by browsers, and would pin a plain-HTTP install to HTTPS it lacks).
async fn strict_transport(request: Request<Body>, next: axum::middleware::Next) -> Response<Body> {
    let https = request
        .headers()
        .get("x-forwarded-proto")
        .and_then(|proto| proto.to_str().ok())
        .and_then(|proto| proto.split(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    let mut response = next.run(request).await;
    if https {
        response.headers_mut().insert(
            http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// Sends API requests to `grpc`, calendar feeds and webhooks to `plain`,
/// and the rest to `files`.
#[derive(Clone)]
struct Split {
    grpc: Router,
    plain: Router,
    files: Router,
}

/// Where the plain HTTP routes are.
const PLAIN_PREFIXES: [&str; 2] = ["/calendar/", "/scrobble/"];

impl Service<Request<Body>> for Split {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Routers are always ready; each call gets its own clone.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let router = if for_the_apis(&request) {
            self.grpc.clone()
        } else if PLAIN_PREFIXES
            .iter()
            .any(|prefix| request.uri().path().starts_with(prefix))
        {
            self.plain.clone()
        } else {
            self.files.clone()
        };
        Box::pin(router.oneshot(request))
    }
}

/// gRPC and gRPC-Web say so in their content type; a CORS preflight has
/// none, and only the APIs answer one.
fn for_the_apis<B>(request: &Request<B>) -> bool {
    request.method() == Method::OPTIONS
        || request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/grpc"))
}

/// Why `GATEWAY_WEB_DIR` cannot be served, if it cannot.
pub(crate) fn check_dir(dir: &Path) -> Result<(), String> {
    if dir.join("index.html").is_file() {
        Ok(())
    } else {
        Err(format!(
            "{} has no index.html (build the app: make web)",
            dir.display()
        ))
    }
}

//! A whole backend service forwarded as it is: every method of the service,
//! present and future, reaches the backend with its metadata (authorization,
//! request id, `grpc-timeout`), and the answer comes back with its trailers
//! and error details untouched. Nothing here knows a method but the few a
//! backend keeps for other services.

use std::{
    convert::Infallible,
    marker::PhantomData,
    sync::Arc,
    task::{Context, Poll},
};

use completionist_common::error::{ApiError, to_status};
use futures_util::future::BoxFuture;
use http::{Request, Response, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use tokio::sync::Semaphore;
use tonic::{Code, body::Body, server::NamedService, transport::Channel};
use tower::{Service, ServiceExt};

use crate::config::Limits;

/// The `ErrorInfo` domain of the gateway's own errors.
pub(crate) const DOMAIN: &str = "gateway.completionist";

/// A backend service: its name and the methods only services may call.
pub(crate) trait Backend: Send + Sync + 'static {
    /// The fully qualified service name.
    const NAME: &'static str;
    /// Methods not served to the outside.
    const PRIVATE_METHODS: &'static [&'static str];
    /// Methods whose request is a file, allowed up to
    /// `Limits::max_upload_bytes`.
    const UPLOAD_METHODS: &'static [&'static str] = &[];
    /// Server-streaming methods: their responses are as long as the stream
    /// lasts, so no total response size applies (each message is still
    /// bounded by the backend's own limit).
    const STREAMING_METHODS: &'static [&'static str] = &[];
}

/// `completionist.auth.v1.AuthService`, less ValidateToken.
pub(crate) struct Auth;

impl Backend for Auth {
    const NAME: &'static str = completionist_proto::auth::auth_service_server::SERVICE_NAME;
    const PRIVATE_METHODS: &'static [&'static str] = &["ValidateToken"];
}

/// `completionist.media.v1.MediaService`.
pub(crate) struct Media;

impl Backend for Media {
    const NAME: &'static str = completionist_proto::media::media_service_server::SERVICE_NAME;
    const PRIVATE_METHODS: &'static [&'static str] = &[];
    const UPLOAD_METHODS: &'static [&'static str] = &["StartImport"];
    const STREAMING_METHODS: &'static [&'static str] = &["WatchImport", "ExportList"];
}

/// Forwards every call of backend `B` over `channel`.
pub(crate) struct Forward<B> {
    channel: Channel,
    limits: Limits,
    /// Shared by every backend: calls in flight through the gateway.
    in_flight: Arc<Semaphore>,
    backend: PhantomData<fn() -> B>,
}

impl<B> Clone for Forward<B> {
    fn clone(&self) -> Self {
        Self {
            channel: self.channel.clone(),
            limits: self.limits,
            in_flight: self.in_flight.clone(),
            backend: PhantomData,
        }
    }
}

impl<B: Backend> Forward<B> {
    pub(crate) fn new(channel: Channel, limits: Limits, in_flight: Arc<Semaphore>) -> Self {
        Self {
            channel,
            limits,
            in_flight,
            backend: PhantomData,
        }
    }
}

impl<B: Backend> NamedService for Forward<B> {
    const NAME: &'static str = B::NAME;
}

/// Why the gateway itself refused or failed a call.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("{0} is for services only and is not served to the outside")]
    NotPublic(String),
    #[error("the gateway is at its limit of calls in flight; try again shortly")]
    Overloaded,
    #[error("the request is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the request body could not be read")]
    UnreadableBody,
    #[error("{0} is unavailable; try again shortly")]
    BackendUnavailable(&'static str),
    #[error("request metadata too large: {0}")]
    MetadataTooLarge(String),
}

impl ApiError for Error {
    fn code(&self) -> Code {
        match self {
            Self::NotPublic(_) => Code::PermissionDenied,
            Self::Overloaded | Self::TooLarge(_) => Code::ResourceExhausted,
            Self::UnreadableBody | Self::MetadataTooLarge(_) => Code::InvalidArgument,
            Self::BackendUnavailable(_) => Code::Unavailable,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Self::NotPublic(_) => "RPC_NOT_PUBLIC",
            Self::Overloaded => "GATEWAY_OVERLOADED",
            Self::TooLarge(_) => "REQUEST_TOO_LARGE",
            Self::UnreadableBody => "UNREADABLE_BODY",
            Self::BackendUnavailable(_) => "BACKEND_UNAVAILABLE",
            Self::MetadataTooLarge(_) => "METADATA_TOO_LARGE",
        }
    }

    fn retry_after(&self) -> Option<std::time::Duration> {
        matches!(self, Self::Overloaded | Self::BackendUnavailable(_))
            .then_some(std::time::Duration::from_secs(1))
    }
}

impl Error {
    fn into_response(self) -> Response<Body> {
        to_status(DOMAIN, &self).into_http()
    }
}

/// Connection-specific headers: fine on an HTTP/1.1 request from a browser,
/// forbidden on the HTTP/2 request to the backend.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "host",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
];

impl<B: Backend> Service<Request<Body>> for Forward<B> {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Readiness is awaited per call, on a clone of the channel.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            Ok(this
                .forward(request)
                .await
                .unwrap_or_else(Error::into_response))
        })
    }
}

impl<B: Backend> Forward<B> {
    async fn forward(self, request: Request<Body>) -> Result<Response<Body>, Error> {
        let method = request.uri().path().rsplit('/').next().unwrap_or_default();
        if B::PRIVATE_METHODS.contains(&method) {
            return Err(Error::NotPublic(format!("{}/{method}", B::NAME)));
        }
        check_metadata(request.headers(), self.limits)?;
        let _permit = self
            .in_flight
            .try_acquire()
            .map_err(|_| Error::Overloaded)?;

        let max = if B::UPLOAD_METHODS.contains(&method) {
            self.limits.max_upload_bytes
        } else {
            self.limits.max_request_bytes
        };
        let streaming = B::STREAMING_METHODS.contains(&method);
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|length| length > max) {
            return Err(Error::TooLarge(max));
        }
        // Every RPC here is unary, so the request is read whole, within the
        // limit, before it goes on: an oversized one is refused with a clear
        // status instead of failing half-sent.
        let (mut parts, body) = request.into_parts();
        let body = Limited::new(body, max).collect().await.map_err(|error| {
            if error.is::<LengthLimitError>() {
                Error::TooLarge(max)
            } else {
                Error::UnreadableBody
            }
        })?;
        for name in HOP_BY_HOP {
            parts.headers.remove(*name);
        }
        if parts
            .headers
            .get(header::TE)
            .is_some_and(|te| te != "trailers")
        {
            parts.headers.remove(header::TE);
        }
        // gRPC-Web text arrives base64-encoded; its length is not the length
        // of what goes on.
        parts.headers.remove(header::CONTENT_LENGTH);
        let request = Request::from_parts(parts, Body::new(Full::new(body.to_bytes())));

        let mut channel = self.channel;
        let response = async {
            channel.ready().await?;
            channel.call(request).await
        }
        .await
        .map_err(|error| {
            let error = completionist_common::error::Chain(&error);
            tracing::warn!(backend = B::NAME, %error, "backend unreachable");
            Error::BackendUnavailable(B::NAME)
        })?;
        if streaming {
            return Ok(response);
        }
        let max_response = self.limits.max_response_bytes;
        Ok(response.map(|body| Body::new(Limited::new(body, max_response))))
    }
}

/// Refuses metadata a backend would not take: past its limit, the
/// backend's HTTP/2 server closes the connection, and with it every call
/// of every caller the gateway multiplexes on it.
fn check_metadata(headers: &http::HeaderMap, limits: Limits) -> Result<(), Error> {
    let mut total = 0;
    for (name, value) in headers {
        if value.len() > limits.max_metadata_value_bytes {
            return Err(Error::MetadataTooLarge(format!(
                "`{name}` is {} bytes, at most {}",
                value.len(),
                limits.max_metadata_value_bytes
            )));
        }
        total += name.as_str().len() + value.len() + 32;
    }
    if total > limits.max_metadata_bytes {
        return Err(Error::MetadataTooLarge(format!(
            "{total} bytes in all, at most {}",
            limits.max_metadata_bytes
        )));
    }
    Ok(())
}

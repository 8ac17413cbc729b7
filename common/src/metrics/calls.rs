//! Calls measured on either side: [`CallsLayer`].

use std::{
    collections::HashSet,
    future::Future,
    pin::Pin,
    sync::OnceLock,
    task::{Context, Poll},
    time::Instant,
};

use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use tonic::Code;
use tower::{Layer, Service};

use super::OTHER;

/// `routes` with every call they serve measured ([`CallsLayer::server`]).
pub fn measure_calls(routes: tonic::service::Routes) -> tonic::service::Routes {
    tonic::service::Routes::from(routes.into_axum_router().layer(CallsLayer::server()))
}

/// Which side of a call is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Server,
    Client,
}

impl Side {
    fn histogram(self) -> &'static str {
        match self {
            Self::Server => super::name::SERVER_CALLS,
            Self::Client => super::name::CLIENT_CALLS,
        }
    }
}

/// Measures each call through it; see the module's doc.
#[derive(Clone, Copy, Debug)]
pub struct CallsLayer {
    side: Side,
}

impl CallsLayer {
    /// Calls a server serves.
    pub fn server() -> Self {
        Self { side: Side::Server }
    }

    /// Calls a client makes.
    pub fn client() -> Self {
        Self { side: Side::Client }
    }
}

impl<S> Layer<S> for CallsLayer {
    type Service = Calls<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Calls {
            inner,
            side: self.side,
        }
    }
}

/// A service whose calls are measured ([`CallsLayer`]).
#[derive(Clone, Debug)]
pub struct Calls<S> {
    inner: S,
    side: Side,
}

impl<S, B, RB> Service<Request<B>> for Calls<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
    RB: Body + Unpin,
{
    type Response = Response<Measured<RB>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let path = request.uri().path();
        let mut call = Pending(
            (!path.starts_with("/grpc.health.v1.Health/")).then(|| Call {
                side: self.side,
                method: method_label(path),
                started: Instant::now(),
            }),
        );
        let response = self.inner.call(request);
        Box::pin(async move {
            match response.await {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    let mut body = Measured { inner: body, call };
                    // An error answered at once carries its status here.
                    body.finish(&parts.headers);
                    Ok(Response::from_parts(parts, body))
                }
                Err(e) => {
                    // No answer at all: the server could not be reached.
                    call.finish(Code::Unavailable);
                    Err(e)
                }
            }
        })
    }
}

/// One call being measured.
struct Call {
    side: Side,
    method: &'static str,
    started: Instant,
}

/// A call not yet recorded. It is recorded once: with its status, or as
/// CANCELLED when dropped before one was known (the caller went away, or
/// its deadline passed, before or while it was answered).
struct Pending(Option<Call>);

impl Pending {
    fn finish(&mut self, code: Code) {
        if let Some(call) = self.0.take() {
            metrics::histogram!(
                call.side.histogram(),
                "rpc.system.name" => "grpc",
                "rpc.method" => call.method,
                "rpc.status_code" => code_name(code),
            )
            .record(call.started.elapsed());
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.finish(Code::Cancelled);
    }
}

/// A response body whose call is recorded when its status is known: in
/// its headers (an error answered at once) or its trailers; a body dropped
/// before either was a call cancelled.
pub struct Measured<B> {
    inner: B,
    call: Pending,
}

impl<B> Measured<B> {
    /// Records the call if `headers` (or trailers) carry its status.
    fn finish(&mut self, headers: &HeaderMap) {
        if let Some(code) = status_code(headers) {
            self.call.finish(code);
        }
    }
}

impl<B: Body + Unpin> Body for Measured<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    self.finish(trailers);
                }
            }
            Poll::Ready(Some(Err(_))) => self.call.finish(Code::Unavailable),
            // Ended without a status: gRPC says UNKNOWN.
            Poll::Ready(None) => self.call.finish(Code::Unknown),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The status in `headers`, if they carry one.
fn status_code(headers: &HeaderMap) -> Option<Code> {
    let code = headers
        .get("grpc-status")?
        .to_str()
        .ok()?
        .parse::<i32>()
        .ok()?;
    Some(Code::from(code))
}

/// A status code's name, as gRPC spells it.
pub(crate) fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// `path`'s method (`package.Service/Method`) if a service here has it,
/// else [`OTHER`].
pub(crate) fn method_label(path: &str) -> &'static str {
    static KNOWN: OnceLock<HashSet<String>> = OnceLock::new();
    let known = KNOWN.get_or_init(known_methods);
    let method = path.strip_prefix('/').unwrap_or(path);
    known.get(method).map_or(OTHER, String::as_str)
}

/// Every method of every service here, and of reflection.
fn known_methods() -> HashSet<String> {
    let sets = [
        completionist_proto::AUTH_DESCRIPTOR_SET,
        completionist_proto::TOKENS_DESCRIPTOR_SET,
        completionist_proto::MEDIA_DESCRIPTOR_SET,
        completionist_proto::FEEDS_DESCRIPTOR_SET,
        completionist_proto::SCROBBLES_DESCRIPTOR_SET,
    ];
    let reflection = [
        "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    ];
    let ours = sets
        .into_iter()
        .flat_map(crate::descriptors::paths_of)
        .map(|path| path.trim_start_matches('/').to_owned());
    reflection
        .into_iter()
        .map(str::to_owned)
        .chain(ours)
        .collect()
}

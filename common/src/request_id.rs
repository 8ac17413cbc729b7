//! Request ids and deadlines that follow a request across services.
//!
//! [`RequestIdLayer`] takes the caller's `x-request-id` (or makes one), scopes
//! it and the caller's `grpc-timeout` deadline to the task serving the
//! request, and echoes the id on the response. Errors read it back with
//! [`current`]; outgoing calls carry both ([`stamp`]).

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use http::{HeaderValue, Request, Response};
use tower::{Layer, Service};

/// The metadata key of the request id.
pub const HEADER: &str = "x-request-id";

/// Longer incoming ids are replaced, so a caller cannot bloat every log line.
const MAX_LEN: usize = 128;

#[derive(Clone, Debug)]
struct RequestContext {
    id: HeaderValue,
    deadline: Option<Instant>,
}

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// The id of the request the current task serves.
pub fn current() -> Option<String> {
    CONTEXT
        .try_with(|cx| cx.id.to_str().ok().map(str::to_owned))
        .ok()
        .flatten()
}

/// Time left before the caller's deadline, if the caller set one.
pub fn remaining() -> Option<Duration> {
    CONTEXT
        .try_with(|cx| cx.deadline)
        .ok()
        .flatten()
        .map(|deadline| deadline.saturating_duration_since(Instant::now()))
}

/// `future` in the current request's context, for a task spawned to serve
/// it (a server stream's): its errors carry the request id and its log
/// lines the request's span. The caller's deadline stays behind: it bounds
/// the call's answer, not the stream that follows.
pub fn carry<F: Future>(future: F) -> impl Future<Output = F::Output> {
    use tracing::Instrument;
    let cx = CONTEXT
        .try_with(|cx| RequestContext {
            id: cx.id.clone(),
            deadline: None,
        })
        .ok();
    async move {
        match cx {
            Some(cx) => CONTEXT.scope(cx, future).await,
            None => future.await,
        }
    }
    .in_current_span()
}

/// Stamps an outgoing call's `headers` with the current request's id and
/// the time its caller has left, where the call does not say them itself
/// (tonic enforces an incoming deadline but does not forward it). Every
/// internal channel does it ([`crate::channel`]).
pub fn stamp(headers: &mut http::HeaderMap) {
    let Ok(cx) = CONTEXT.try_with(Clone::clone) else {
        return;
    };
    if !headers.contains_key(HEADER) {
        headers.insert(HEADER, cx.id);
    }
    if let Some(deadline) = cx.deadline
        && !headers.contains_key(GRPC_TIMEOUT)
    {
        // At most 8 digits, in milliseconds (gRPC's TimeoutValue).
        let left = deadline.saturating_duration_since(Instant::now());
        let millis = left.as_millis().clamp(1, 99_999_999);
        if let Ok(value) = HeaderValue::from_str(&format!("{millis}m")) {
            headers.insert(GRPC_TIMEOUT, value);
        }
    }
}

/// The deadline's header.
const GRPC_TIMEOUT: &str = "grpc-timeout";

/// Adds request ids to every request of a server.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestIdLayer;

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestIdService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestIdService { inner }
    }
}

/// See [`RequestIdLayer`].
#[derive(Clone, Debug)]
pub struct RequestIdService<S> {
    inner: S,
}

impl<S, B, R> Service<Request<B>> for RequestIdService<S>
where
    S: Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let id = request
            .headers()
            .get(HEADER)
            .filter(|id| !id.is_empty() && id.len() <= MAX_LEN && id.to_str().is_ok())
            .cloned()
            .unwrap_or_else(generate);
        request.headers_mut().insert(HEADER, id.clone());
        let deadline = request
            .headers()
            .get(GRPC_TIMEOUT)
            .and_then(|v| parse_grpc_timeout(v.to_str().ok()?))
            .map(|timeout| Instant::now() + timeout);
        let response = self.inner.call(request);
        let cx = RequestContext {
            id: id.clone(),
            deadline,
        };
        Box::pin(CONTEXT.scope(cx, async move {
            let mut response = response.await?;
            response.headers_mut().insert(HEADER, id);
            Ok(response)
        }))
    }
}

fn generate() -> HeaderValue {
    let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
    let id = uuid::Uuid::now_v7().hyphenated().encode_lower(&mut text);
    // A UUID is always a valid header value.
    HeaderValue::from_str(id).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// Parses the gRPC `TimeoutValue TimeoutUnit` form, e.g. `250m` or `3S`.
fn parse_grpc_timeout(raw: &str) -> Option<Duration> {
    if raw.len() < 2 || raw.len() > 9 {
        return None;
    }
    let (value, unit) = raw.split_at(raw.len() - 1);
    let value: u64 = value.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(value.checked_mul(3600)?),
        "M" => Duration::from_secs(value.checked_mul(60)?),
        "S" => Duration::from_secs(value),
        "m" => Duration::from_millis(value),
        "u" => Duration::from_micros(value),
        "n" => Duration::from_nanos(value),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_grpc_timeouts() {
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("3S"), Some(Duration::from_secs(3)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("10x"), None);
        assert_eq!(parse_grpc_timeout("m"), None);
        assert_eq!(parse_grpc_timeout("1234567890S"), None);
    }

    #[tokio::test]
    async fn stamps_the_scoped_id_and_deadline_where_the_call_has_none() {
        let cx = RequestContext {
            id: HeaderValue::from_static("req-1"),
            deadline: Some(Instant::now() + Duration::from_secs(5)),
        };
        let (stamped, own) = CONTEXT
            .scope(cx, async {
                let mut stamped = http::HeaderMap::new();
                stamp(&mut stamped);
                let mut own = http::HeaderMap::new();
                own.insert(HEADER, HeaderValue::from_static("mine"));
                own.insert(GRPC_TIMEOUT, HeaderValue::from_static("100m"));
                stamp(&mut own);
                (stamped, own)
            })
            .await;
        assert_eq!(stamped[HEADER], "req-1");
        let timeout = parse_grpc_timeout(stamped[GRPC_TIMEOUT].to_str().unwrap()).unwrap();
        assert!(timeout > Duration::from_secs(4) && timeout <= Duration::from_secs(5));
        assert_eq!(own[HEADER], "mine");
        assert_eq!(own[GRPC_TIMEOUT], "100m");
        assert_eq!(current(), None);
    }
}

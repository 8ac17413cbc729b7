//! A caller's request as it goes on to a backend: its metadata checked
//! against the backend's limits, read whole (or passed on, for an upload)
//! and made fit for HTTP/2.

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Uri, Version, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use tonic::body::Body;

use crate::{config::Limits, error::Error};

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

/// A request read whole: sent once, or again for a method that may be
/// tried again.
pub(super) struct Whole {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
}

impl Whole {
    /// The request, to send (a copy each time), with the time the caller
    /// has left, not the time it had.
    pub(super) fn request(&self) -> Request<Body> {
        let mut request = Request::new(Body::new(Full::new(self.body.clone())));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.version_mut() = self.version;
        *request.headers_mut() = self.headers.clone();
        // The channel stamps what is left instead.
        request.headers_mut().remove("grpc-timeout");
        request
    }
}

/// The request read whole, within `max` bytes, and made fit for HTTP/2.
/// Every RPC here has one request message (unary or server streaming), so
/// an oversized one is refused with a clear status instead of failing
/// half-sent. (Uploads are not read whole: see `uploads`.)
pub(super) async fn read_whole(request: Request<Body>, max: usize) -> Result<Whole, Error> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > max) {
        return Err(Error::TooLarge(max));
    }
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, max).collect().await.map_err(|error| {
        if error.is::<LengthLimitError>() {
            Error::TooLarge(max)
        } else {
            Error::UnreadableBody
        }
    })?;
    let (parts, ()) = fit_for_http2(parts, ()).into_parts();
    Ok(Whole {
        method: parts.method,
        uri: parts.uri,
        version: parts.version,
        headers: parts.headers,
        body: body.to_bytes(),
    })
}

/// The request with `body`, less the headers HTTP/2 forbids.
pub(super) fn fit_for_http2<B>(mut parts: http::request::Parts, body: B) -> Request<B> {
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
    Request::from_parts(parts, body)
}

/// Refuses metadata a backend would not take: past its limit, the
/// backend's HTTP/2 server closes the connection, and with it every call
/// of every caller the gateway multiplexes on it.
pub(super) fn check_metadata(headers: &HeaderMap, limits: Limits) -> Result<(), Error> {
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

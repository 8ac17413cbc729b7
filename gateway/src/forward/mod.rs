//! A whole backend service forwarded as it is: every method of the service,
//! present and future, reaches the backend with its metadata (authorization,
//! request id, `grpc-timeout`), and the answer comes back with its trailers
//! and error details untouched. Nothing here knows a method: what services
//! ask of each other (auth-service's TokenService) is a service of its own,
//! which the gateway does not forward.

use std::{
    convert::Infallible,
    marker::PhantomData,
    sync::Arc,
    task::{Context, Poll},
};

use completionist_common::channel::Internal;
use completionist_common::{
    descriptors::{self, MethodShapes},
    error::to_status,
    request_id, retry,
};
use futures_util::future::BoxFuture;
use http::{Request, Response};
use http_body_util::Limited;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tonic::{body::Body, server::NamedService};
use tower::{Service, ServiceExt};

use self::request::{check_metadata, fit_for_http2, read_whole};
use crate::{
    config::Limits,
    error::{DOMAIN, Error},
    streams::{Endings, ForwardedStream, trailers},
    uploads::{self, EndedShort, Uploads},
};

mod request;

/// A backend service: its name and its descriptors. Which methods stream, and which take a file, is read
/// from the descriptors (see `completionist_common::descriptors`):
/// server-streaming responses last as long as the stream, so no total
/// response size applies (each message is still bounded by the backend's
/// own limit); uploads are allowed up to `Limits::max_upload_bytes`.
pub(crate) trait Backend: Send + Sync + 'static {
    /// The fully qualified service name.
    const NAME: &'static str;
    /// The encoded `FileDescriptorSet` the service is in.
    const DESCRIPTOR_SET: &'static [u8];
}

/// `completionist.auth.v1.AuthService`.
pub(crate) struct Auth;

impl Backend for Auth {
    const NAME: &'static str = completionist_proto::auth::auth_service_server::SERVICE_NAME;
    const DESCRIPTOR_SET: &'static [u8] = completionist_proto::AUTH_DESCRIPTOR_SET;
}

/// `completionist.media.v1.MediaService`.
pub(crate) struct Media;

impl Backend for Media {
    const NAME: &'static str = completionist_proto::media::media_service_server::SERVICE_NAME;
    const DESCRIPTOR_SET: &'static [u8] = completionist_proto::MEDIA_DESCRIPTOR_SET;
}

/// Forwards every call of backend `B`: unary calls over `channel`, server
/// streams over `streams`.
pub(crate) struct Forward<B> {
    channel: Internal,
    streams: Internal,
    shapes: Arc<MethodShapes>,
    limits: Limits,
    shared: Shared,
    backend: PhantomData<fn() -> B>,
}

/// What every backend's forwarding shares.
#[derive(Clone)]
pub(crate) struct Shared {
    /// Unary calls in flight through the gateway.
    pub(crate) in_flight: Arc<Semaphore>,
    /// Server streams open through the gateway, counted apart so that
    /// open streams never lock ordinary calls out.
    pub(crate) streams: Arc<Semaphore>,
    /// Cancelled when the gateway shuts down: open streams end.
    pub(crate) stopping: CancellationToken,
    pub(crate) uploads: Arc<Uploads>,
}

impl<B> Clone for Forward<B> {
    fn clone(&self) -> Self {
        Self {
            channel: self.channel.clone(),
            streams: self.streams.clone(),
            shapes: self.shapes.clone(),
            limits: self.limits,
            shared: self.shared.clone(),
            backend: PhantomData,
        }
    }
}

impl<B: Backend> Forward<B> {
    pub(crate) fn new(
        channel: Internal,
        streams: Internal,
        limits: Limits,
        shared: Shared,
    ) -> Self {
        Self {
            channel,
            streams,
            shapes: Arc::new(descriptors::shapes_of(B::DESCRIPTOR_SET, B::NAME)),
            limits,
            shared,
            backend: PhantomData,
        }
    }
}

impl<B: Backend> NamedService for Forward<B> {
    const NAME: &'static str = B::NAME;
}

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
                .unwrap_or_else(|refused| match refused {
                    Refused::Gateway(error) => error.into_response(),
                    Refused::Status(status) => status.into_http(),
                }))
        })
    }
}

/// Why a call went no further.
enum Refused {
    /// The gateway's own refusal.
    Gateway(Error),
    /// A status made already (auth-service's, or the upload check's),
    /// passed on as it is.
    Status(tonic::Status),
}

impl From<Error> for Refused {
    fn from(error: Error) -> Self {
        Self::Gateway(error)
    }
}

impl<B: Backend> Forward<B> {
    async fn forward(self, request: Request<Body>) -> Result<Response<Body>, Refused> {
        check_metadata(request.headers(), self.limits)?;
        let streaming = self.shapes.is_server_streaming(request.uri().path());
        // A unary call holds its place until its answer's headers; a
        // stream, a place among the streams for as long as it is open.
        let permit = if streaming {
            self.shared.streams.clone().try_acquire_owned()
        } else {
            self.shared.in_flight.clone().try_acquire_owned()
        };
        let permit = permit.map_err(|_| {
            if streaming {
                Error::TooManyStreams
            } else {
                Error::Overloaded
            }
        })?;
        // An upload's sender is known before its body is read, and the
        // body goes on as it comes; any other request is read whole.
        let path = request.uri().path().to_owned();
        let response = if self.shapes.is_upload(&path) {
            // Held until the answer's headers.
            let _place = self
                .shared
                .uploads
                .admit(request.headers())
                .await
                .map_err(Refused::Status)?;
            let (parts, body) = request.into_parts();
            let (body, ended_short) = uploads::pass_on(body, self.limits.max_upload_bytes).await?;
            let response = call(self.channel.clone(), fit_for_http2(parts, body)).await;
            self.answer(response, Some(&ended_short))?
        } else {
            let whole = read_whole(request, self.limits.max_request_bytes).await?;
            let channel = if streaming {
                &self.streams
            } else {
                &self.channel
            };
            let response = if !streaming && self.shapes.is_idempotent(&path) {
                // Another replica may answer: a read changes nothing.
                let deadline = request_id::remaining().map(|left| Instant::now() + left);
                retry::idempotent_when(
                    deadline,
                    || call(channel.clone(), whole.request()),
                    unavailable,
                )
                .await
            } else {
                call(channel.clone(), whole.request()).await
            };
            self.answer(response, None)?
        };
        if streaming {
            return Ok(self.watched(response, permit));
        }
        drop(permit);
        let max_response = self.limits.max_response_bytes;
        Ok(response.map(|body| Body::new(Limited::new(body, max_response))))
    }

    /// The backend's answer, or why there was none.
    fn answer(
        &self,
        response: Result<Response<Body>, tonic::transport::Error>,
        ended_short: Option<&EndedShort>,
    ) -> Result<Response<Body>, Refused> {
        let response = response.map_err(|error| {
            // An upload that ended short fails the call: the client's
            // doing, said as such.
            if let Some(short) = ended_short.and_then(EndedShort::take) {
                return short;
            }
            let error = completionist_common::error::Chain(&error);
            tracing::warn!(backend = B::NAME, %error, "backend unreachable");
            Error::BackendUnavailable(B::NAME)
        })?;
        Ok(response)
    }

    /// A stream's response, passed on as it comes: no size limit, ended
    /// by the gateway when idle too long or shutting down.
    fn watched(self, response: Response<Body>, permit: OwnedSemaphorePermit) -> Response<Body> {
        let idle_after = self.limits.stream_idle_timeout;
        let endings = Endings {
            idle: trailers(&to_status(DOMAIN, &Error::StreamIdle(idle_after))),
            stopping: trailers(&to_status(DOMAIN, &Error::ShuttingDown)),
        };
        let stopping = self.shared.stopping;
        response.map(|body| {
            Body::new(ForwardedStream::new(
                body, permit, idle_after, stopping, endings,
            ))
        })
    }
}

/// One attempt: `request` on `channel`, once it is ready.
async fn call(
    mut channel: Internal,
    request: Request<Body>,
) -> Result<Response<Body>, tonic::transport::Error> {
    channel.ready().await?;
    Ok(channel.call(request).await?.map(Body::new))
}

/// Whether a forwarded call's answer says its backend replica was not
/// there: no answer at all, or a bare UNAVAILABLE (what a server that is
/// going away answers). An UNAVAILABLE the service itself explains (its
/// provider or auth-service is down, with the details and the delay to
/// wait) is passed on: the service has tried again already, and another
/// replica would find the same.
fn unavailable(answer: &Result<Response<Body>, tonic::transport::Error>) -> bool {
    answer.as_ref().map_or(true, |response| {
        let headers = response.headers();
        headers.get("grpc-status").is_some_and(|code| code == "14")
            && !headers.contains_key("grpc-status-details-bin")
    })
}

#[cfg(test)]
mod tests {
    use completionist_common::descriptors::shapes_of;

    use super::*;

    #[test]
    fn streams_uploads_and_reads_are_read_from_the_descriptors() {
        let media = shapes_of(Media::DESCRIPTOR_SET, Media::NAME);
        let path = |m: &str| format!("/{}/{m}", Media::NAME);
        let mut streaming = media.server_streaming.clone();
        streaming.sort();
        assert_eq!(
            streaming,
            ["ExportList", "WatchImport", "WatchListEntries"].map(path)
        );
        assert_eq!(media.uploads, [path("StartImport")]);
        // Reads, and ImportMedia (IDEMPOTENT), may be tried again; no
        // other change may.
        for read in [
            "GetListEntry",
            "ListListEntries",
            "ListUpcoming",
            "ImportMedia",
        ] {
            assert!(media.is_idempotent(&path(read)), "{read}");
        }
        for change in ["AddListEntry", "MarkEpisodesWatched", "StartImport"] {
            assert!(!media.is_idempotent(&path(change)), "{change}");
        }
        // WatchRevocations is TokenService's, which is not forwarded.
        let auth = shapes_of(Auth::DESCRIPTOR_SET, Auth::NAME);
        assert!(auth.server_streaming.is_empty());
        assert!(auth.uploads.is_empty());
    }
}

//! Server streams on their way out: passed on frame by frame as they come,
//! holding a place among the streams in flight for as long as they are
//! open, and ended by the gateway (with a status a client acts on, in
//! trailers) when the backend has sent nothing for the idle timeout or
//! the gateway shuts down.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::{
    sync::OwnedSemaphorePermit,
    time::{Instant, Sleep},
};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tonic::{Status, body::Body};

/// How the gateway ends a stream itself: the trailers of each ending,
/// made while the request's id is at hand.
pub(crate) struct Endings {
    pub(crate) idle: HeaderMap,
    pub(crate) stopping: HeaderMap,
}

/// A backend's streaming response body, watched.
pub(crate) struct ForwardedStream {
    inner: Body,
    _permit: OwnedSemaphorePermit,
    idle_after: Duration,
    idle: Pin<Box<Sleep>>,
    stopping: Pin<Box<WaitForCancellationFutureOwned>>,
    endings: Endings,
    ended: bool,
}

impl ForwardedStream {
    pub(crate) fn new(
        inner: Body,
        permit: OwnedSemaphorePermit,
        idle_after: Duration,
        stopping: CancellationToken,
        endings: Endings,
    ) -> Self {
        Self {
            inner,
            _permit: permit,
            idle_after,
            idle: Box::pin(tokio::time::sleep(idle_after)),
            stopping: Box::pin(stopping.cancelled_owned()),
            endings,
            ended: false,
        }
    }

    fn end(
        &mut self,
        trailers: fn(&mut Endings) -> &mut HeaderMap,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        self.ended = true;
        Poll::Ready(Some(Ok(Frame::trailers(std::mem::take(trailers(
            &mut self.endings,
        ))))))
    }
}

impl HttpBody for ForwardedStream {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if frame.is_trailers() {
                    this.ended = true;
                } else {
                    this.idle.as_mut().reset(Instant::now() + this.idle_after);
                }
                return Poll::Ready(Some(Ok(frame)));
            }
            Poll::Ready(Some(Err(status))) => return Poll::Ready(Some(Err(status))),
            Poll::Ready(None) => {
                this.ended = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        if this.stopping.as_mut().poll(cx).is_ready() {
            return this.end(|e| &mut e.stopping);
        }
        if this.idle.as_mut().poll(cx).is_ready() {
            return this.end(|e| &mut e.idle);
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.ended
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// The trailers that end a stream with `status`.
pub(crate) fn trailers(status: &Status) -> HeaderMap {
    let mut headers = HeaderMap::new();
    // A status the gateway made itself always fits in headers.
    let _ = status.add_header(&mut headers);
    headers
}

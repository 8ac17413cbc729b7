//! StartImport's place to read its file in (see [`Imports::place_to_read`]),
//! taken as a layer, before the request's body is read, decoded and checked
//! by the request guard: an upload of tens of MB costs its memory only once
//! it has a place, so a replica holds at most `IMPORT_READERS` files at
//! once, and a caller one. A body that then sends nothing for
//! [`UPLOAD_IDLE`] is ended (`UPLOAD_STALLED`), freeing its place: a
//! stalled upload cannot keep the places from everyone else. The handler
//! takes the place over from the request and keeps it until the rows are
//! stored.

use std::{
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use completionist_common::gate::{Gate, Gated};
use http::{Request, Response};
use tonic::{Status, body::Body};

use super::state::{Imports, Reading};
use crate::{app::Caller, error::Error};

/// How long an upload's body may send nothing before it is ended.
pub(crate) const UPLOAD_IDLE: Duration = Duration::from_secs(5);

/// `service` with its uploads (`paths`: StartImport) given a place to
/// read in first.
pub(crate) fn protect<S>(
    service: S,
    imports: Arc<Imports>,
    paths: Vec<String>,
) -> Gated<S, ReadPlaces> {
    let places = ReadPlaces {
        imports,
        paths: Arc::new(paths),
    };
    Gated::new(service, places)
}

/// The gate that gives uploads their place (see [`protect`]).
#[derive(Clone)]
pub(crate) struct ReadPlaces {
    imports: Arc<Imports>,
    paths: Arc<Vec<String>>,
}

/// A place taken for one request, until its handler takes it over.
#[derive(Clone)]
pub(crate) struct PlaceTaken(Arc<Mutex<Option<Reading>>>);

impl PlaceTaken {
    /// The place this layer took for `request`.
    pub(crate) fn take<T>(request: &tonic::Request<T>) -> Option<Reading> {
        let taken = request.extensions().get::<Self>()?;
        taken
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl Gate for ReadPlaces {
    type Held = ();

    /// Only StartImport, and only once authenticated (the handler refuses
    /// a request without a caller).
    fn applies(&self, request: &Request<Body>) -> bool {
        let upload = self.paths.iter().any(|path| path == request.uri().path());
        upload && completionist_common::authn::caller_in::<Caller>(request.extensions()).is_some()
    }

    async fn check(
        &self,
        mut request: Request<Body>,
    ) -> Result<(Request<Body>, ()), Response<Body>> {
        let Some(caller) = completionist_common::authn::caller_in::<Caller>(request.extensions())
        else {
            return Ok((request, ()));
        };
        let reading = self
            .imports
            .place_to_read(caller.user_id)
            .await
            .map_err(|busy| Status::from(busy).into_http())?;
        let taken = PlaceTaken(Arc::new(Mutex::new(Some(reading))));
        request.extensions_mut().insert(taken);
        let request = request.map(|body| Body::new(Lively::new(body, UPLOAD_IDLE)));
        Ok((request, ()))
    }
}

/// A request body that fails once it has sent nothing for `idle`.
struct Lively {
    inner: Body,
    idle: Duration,
    quiet: Pin<Box<Sleep>>,
}

impl Lively {
    fn new(inner: Body, idle: Duration) -> Self {
        Self {
            inner,
            idle,
            quiet: Box::pin(tokio::time::sleep(idle)),
        }
    }
}

impl HttpBody for Lively {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.quiet.as_mut().reset(Instant::now() + this.idle);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => match this.quiet.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    Poll::Ready(Some(Err(Status::from(Error::UploadStalled(this.idle)))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

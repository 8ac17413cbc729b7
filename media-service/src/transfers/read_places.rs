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

use futures_util::future::BoxFuture;
use http::{Request, Response};
use tonic::{Status, body::Body, server::NamedService};
use tower::Service;

use super::state::{Imports, Reading};
use crate::{app::Caller, error::Error};

/// How long an upload's body may send nothing before it is ended.
pub(crate) const UPLOAD_IDLE: Duration = Duration::from_secs(5);

/// `service` with its uploads (`paths`: StartImport) given a place to
/// read in first.
pub(crate) fn protect<S>(service: S, imports: Arc<Imports>, paths: Vec<String>) -> ReadPlaces<S> {
    ReadPlaces {
        inner: service,
        imports,
        paths: Arc::new(paths),
    }
}

#[derive(Clone)]
pub(crate) struct ReadPlaces<S> {
    inner: S,
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

impl<S: NamedService> NamedService for ReadPlaces<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<Request<Body>> for ReadPlaces<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        // Only StartImport, and only once authenticated (the handler
        // refuses a request without a caller).
        let caller = completionist_common::authn::caller_in::<Caller>(request.extensions());
        let upload = self.paths.iter().any(|path| path == request.uri().path());
        let (true, Some(caller)) = (upload, caller) else {
            return Box::pin(self.inner.call(request));
        };
        // The inner service was made ready for this call; keep that one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let imports = self.imports.clone();
        Box::pin(async move {
            match imports.place_to_read(caller.user_id).await {
                Ok(reading) => {
                    let taken = PlaceTaken(Arc::new(Mutex::new(Some(reading))));
                    request.extensions_mut().insert(taken);
                    let request = request.map(|body| Body::new(Lively::new(body, UPLOAD_IDLE)));
                    inner.call(request).await
                }
                Err(busy) => Ok(Status::from(busy).into_http()),
            }
        })
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

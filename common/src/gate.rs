//! The one way a check stands in front of a service: a [`Gate`] looks at
//! each request it applies to and either passes it on (perhaps changed,
//! with something held for as long as the call runs) or answers it itself;
//! [`Gated`] is the tower service around the pair. The request guard,
//! admission, authentication and media-service's read places for uploads
//! are gates. Requests a gate does not apply to (health, reflection, the
//! methods it exempts) go straight through, with no future of its own.

use std::{
    future::Future,
    task::{Context, Poll},
};

use futures_util::future::BoxFuture;
use http::{Request, Response};
use tonic::{body::Body, server::NamedService};
use tower::Service;

/// A check in front of a service.
pub trait Gate: Clone + Send + Sync + 'static {
    /// What the gate holds while the call runs (an admission permit, say).
    type Held: Send + 'static;

    /// Whether `request` goes through this gate at all.
    fn applies(&self, request: &Request<Body>) -> bool;

    /// The request to pass on and what to hold meanwhile, or the answer
    /// to give instead (a refusal, as a gRPC status).
    fn check(
        &self,
        request: Request<Body>,
    ) -> impl Future<Output = Result<(Request<Body>, Self::Held), Response<Body>>> + Send;
}

/// `inner` behind `gate`.
#[derive(Clone)]
pub struct Gated<S, G> {
    inner: S,
    gate: G,
}

impl<S, G> Gated<S, G> {
    pub fn new(inner: S, gate: G) -> Self {
        Self { inner, gate }
    }

    /// The gate, to adjust it while the stack is built.
    pub fn gate_mut(&mut self) -> &mut G {
        &mut self.gate
    }

    /// The gate, to build another service behind the same one.
    pub fn gate(&self) -> &G {
        &self.gate
    }
}

impl<S: NamedService, G> NamedService for Gated<S, G> {
    const NAME: &'static str = S::NAME;
}

impl<S, G> Service<Request<Body>> for Gated<S, G>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send,
    G: Gate,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        if !self.gate.applies(&request) {
            return Box::pin(self.inner.call(request));
        }
        // The inner service was made ready for this call; keep that one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let gate = self.gate.clone();
        Box::pin(async move {
            match gate.check(request).await {
                Ok((request, held)) => {
                    let response = inner.call(request).await;
                    drop(held);
                    response
                }
                Err(answer) => Ok(answer),
            }
        })
    }
}

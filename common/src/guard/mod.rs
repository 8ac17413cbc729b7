//! What every request must be before a handler sees it, checked in one
//! place for every method, present and future, against the method's
//! request type in the service's descriptor set:
//!
//! - one gRPC message within the size limit (RESOURCE_EXHAUSTED, with the
//!   usual details, instead of tonic's bare OUT_OF_RANGE);
//! - a valid encoding of the request type (INVALID_ARGUMENT, instead of
//!   tonic's INTERNAL);
//! - no text a person did not mean: NUL and other control characters but
//!   newline and tab are refused in every string field, nested ones and
//!   list and map entries included, each named in the `BadRequest` (the
//!   first hundred).
//!
//! It wraps a service, so health and reflection pass untouched. Each
//! request type is planned once, at start-up (`plan`), and a request is
//! read once against its plan, not decoded into a message of its own.

use std::{collections::HashMap, sync::Arc};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use prost_reflect::DescriptorPool;
use tonic::body::Body;

mod plan;
mod wire;

use plan::Plan;

use crate::{
    error::{CommonError, to_status},
    gate::{Gate, Gated},
};

/// The gRPC frame header: a compression flag and a 4-byte length.
const FRAME_HEADER: usize = 5;

/// `service` with every request checked first against the types in
/// `descriptor_set`; refusals in the `ErrorInfo` domain `domain`.
pub fn protect<S>(
    service: S,
    descriptor_set: &[u8],
    domain: &'static str,
    max_message_bytes: usize,
) -> Result<Guarded<S>, prost_reflect::DescriptorError> {
    let pool = DescriptorPool::decode(descriptor_set)?;
    let mut plan = Plan::default();
    let mut inputs = HashMap::new();
    for service in pool.services() {
        for method in service.methods() {
            let path = format!("/{}/{}", service.full_name(), method.name());
            inputs.insert(path, plan.add(&method.input()));
        }
    }
    let guard = RequestGuard {
        inputs: Arc::new(inputs),
        plan: Arc::new(plan),
        domain,
        max_message_bytes,
        larger: Arc::new(HashMap::new()),
    };
    Ok(Gated::new(service, guard))
}

/// The request guard (see [`protect`]).
#[derive(Clone)]
pub struct RequestGuard {
    /// Request type of each method (its index in `plan`), by path.
    inputs: Arc<HashMap<String, usize>>,
    plan: Arc<Plan>,
    domain: &'static str,
    max_message_bytes: usize,
    /// Methods (by path) allowed larger messages.
    larger: Arc<HashMap<String, usize>>,
}

/// A service whose requests are checked first; see [`protect`].
pub type Guarded<S> = Gated<S, RequestGuard>;

impl<S> Guarded<S> {
    /// Lets the method at `path` (`/package.Service/Method`) take messages
    /// of up to `max` bytes (an upload, say); others keep the service's
    /// limit.
    #[must_use]
    pub fn allow(mut self, path: &str, max: usize) -> Self {
        Arc::make_mut(&mut self.gate_mut().larger).insert(path.to_owned(), max);
        self
    }
}

impl Gate for RequestGuard {
    type Held = ();

    fn applies(&self, request: &Request<Body>) -> bool {
        self.inputs.contains_key(request.uri().path())
    }

    async fn check(&self, request: Request<Body>) -> Result<(Request<Body>, ()), Response<Body>> {
        let path = request.uri().path();
        let (Some(input), max) = (
            self.inputs.get(path).copied(),
            self.larger
                .get(path)
                .copied()
                .unwrap_or(self.max_message_bytes),
        ) else {
            return Ok((request, ()));
        };
        let (parts, body) = request.into_parts();
        let body = match Limited::new(body, max + FRAME_HEADER).collect().await {
            Ok(body) => body.to_bytes(),
            Err(error) => {
                // A body that ended itself with a status (an upload that
                // stalled, say) says best what went wrong.
                if let Some(status) = error.downcast_ref::<tonic::Status>() {
                    return Err(status.clone().into_http());
                }
                let refusal = if error.is::<LengthLimitError>() {
                    CommonError::TooLarge(max)
                } else {
                    CommonError::Malformed("the request body could not be read".into())
                };
                return Err(to_status(self.domain, &refusal).into_http());
            }
        };
        let encoding = parts.headers.get("grpc-encoding");
        let body = match crate::compression::uncompressed(body, encoding, max) {
            Ok(body) => body,
            Err(refusal) => return Err(to_status(self.domain, &refusal).into_http()),
        };
        if let Err(refusal) = check(&self.plan, input, &body, max) {
            return Err(to_status(self.domain, &refusal).into_http());
        }
        Ok((Request::from_parts(parts, Body::new(Full::new(body))), ()))
    }
}

/// Checks one framed request message of type `input` (in `plan`). Nothing
/// is copied out of `body` (an upload may be tens of megabytes).
fn check(plan: &Plan, input: usize, body: &Bytes, max: usize) -> Result<(), CommonError> {
    let Some((header, message)) = body.split_first_chunk::<FRAME_HEADER>() else {
        return Err(CommonError::Malformed(
            "the request carries no message".into(),
        ));
    };
    let [compressed, length @ ..] = *header;
    let length = usize::try_from(u32::from_be_bytes(length)).unwrap_or(usize::MAX);
    if length > max {
        return Err(CommonError::TooLarge(max));
    }
    if length != message.len() {
        return Err(CommonError::Malformed(
            "the request is not one whole gRPC message".into(),
        ));
    }
    if compressed != 0 {
        // In an encoding not taken here (the guard uncompresses the
        // others first): tonic refuses it.
        return Ok(());
    }
    let mut violations = Vec::new();
    plan.check(input, message, &mut violations).map_err(|_| {
        CommonError::Malformed(format!("the request is not a {}", plan.name(input)))
    })?;
    if violations.is_empty() {
        Ok(())
    } else {
        Err(CommonError::InvalidArgument(violations))
    }
}

/// Control characters (Unicode's `Cc`) other than newline and tab.
pub fn is_unwanted(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

#[cfg(test)]
mod tests;

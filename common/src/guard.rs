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
//!   list and map entries included, each named in the `BadRequest`.
//!
//! It wraps a service, so health and reflection pass untouched.

use std::{collections::HashMap, sync::Arc};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use prost_reflect::{DescriptorPool, DynamicMessage, MapKey, MessageDescriptor, Value};
use tonic::body::Body;
use tonic_types::FieldViolation;

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
    let mut inputs = HashMap::new();
    for service in pool.services() {
        for method in service.methods() {
            let path = format!("/{}/{}", service.full_name(), method.name());
            inputs.insert(path, method.input());
        }
    }
    let guard = RequestGuard {
        inputs: Arc::new(inputs),
        domain,
        max_message_bytes,
        larger: Arc::new(HashMap::new()),
    };
    Ok(Gated::new(service, guard))
}

/// The request guard (see [`protect`]).
#[derive(Clone)]
pub struct RequestGuard {
    /// Request type of each method, by path.
    inputs: Arc<HashMap<String, MessageDescriptor>>,
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
            self.inputs.get(path).cloned(),
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
        if let Err(refusal) = check(&input, &body, max) {
            return Err(to_status(self.domain, &refusal).into_http());
        }
        Ok((Request::from_parts(parts, Body::new(Full::new(body))), ()))
    }
}

/// Checks one framed request message of type `input`. `bytes` fields are
/// not copied out of `body` (an upload may be tens of megabytes).
pub fn check(input: &MessageDescriptor, body: &Bytes, max: usize) -> Result<(), CommonError> {
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
    let message =
        DynamicMessage::decode(input.clone(), body.slice(FRAME_HEADER..)).map_err(|_| {
            CommonError::Malformed(format!("the request is not a {}", input.full_name()))
        })?;
    let mut violations = Vec::new();
    texts(&message, "", &mut violations);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(CommonError::InvalidArgument(violations))
    }
}

/// Records every string in `message` (under `prefix`) that holds a
/// character no person types into a form.
fn texts(message: &DynamicMessage, prefix: &str, violations: &mut Vec<FieldViolation>) {
    for (field, value) in message.fields() {
        let path = format!("{prefix}{}", field.name());
        value_texts(value, &path, violations);
    }
}

fn value_texts(value: &Value, path: &str, violations: &mut Vec<FieldViolation>) {
    match value {
        Value::String(text) => {
            if let Some(bad) = text.chars().find(|c| is_unwanted(*c)) {
                let why = format!(
                    "must not contain control characters (found U+{:04X}); \
                     newline and tab are allowed",
                    u32::from(bad)
                );
                violations.push(FieldViolation::new(path, why));
            }
        }
        Value::Message(message) => texts(message, &format!("{path}."), violations),
        Value::List(values) => {
            for (i, value) in values.iter().enumerate() {
                value_texts(value, &format!("{path}[{i}]"), violations);
            }
        }
        Value::Map(entries) => {
            for (key, value) in entries {
                let key = match key {
                    MapKey::String(key) => {
                        value_texts(
                            &Value::String(key.clone()),
                            &format!("{path}.key"),
                            violations,
                        );
                        format!("{key:?}")
                    }
                    other => format!("{other:?}"),
                };
                value_texts(value, &format!("{path}[{key}]"), violations);
            }
        }
        _ => {}
    }
}

/// Control characters (Unicode's `Cc`) other than newline and tab.
pub fn is_unwanted(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use prost_reflect::ReflectMessage;

    use super::*;

    /// `google.protobuf.FieldMask`, a message of repeated strings that the
    /// well-known types always describe.
    fn mask_descriptor() -> MessageDescriptor {
        prost_types::FieldMask::default().descriptor()
    }

    fn framed(message: &[u8]) -> Bytes {
        let mut body = vec![0];
        body.extend(u32::try_from(message.len()).unwrap().to_be_bytes());
        body.extend(message);
        body.into()
    }

    #[test]
    fn control_characters_are_refused_by_field() {
        let mask = prost_types::FieldMask {
            paths: vec!["fine\tand\nfine".into(), "nul\0".into(), "bell\u{7}".into()],
        };
        let Err(CommonError::InvalidArgument(violations)) =
            check(&mask_descriptor(), &framed(&mask.encode_to_vec()), 1024)
        else {
            panic!("expected InvalidArgument");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["paths[1]", "paths[2]"]);
    }

    #[test]
    fn frames_are_checked_before_the_message() {
        let descriptor = mask_descriptor();
        assert!(check(&descriptor, &framed(b""), 8).is_ok());
        assert!(matches!(
            check(&descriptor, &framed(&[0; 16]), 8),
            Err(CommonError::TooLarge(8))
        ));
        assert!(matches!(
            check(&descriptor, &Bytes::from_static(&[0, 0]), 8),
            Err(CommonError::Malformed(_))
        ));
        assert!(matches!(
            check(&descriptor, &Bytes::from_static(&[0, 0, 0, 0, 9, 1]), 64),
            Err(CommonError::Malformed(_))
        ));
        assert!(matches!(
            check(&descriptor, &framed(&[0xff, 0xff]), 64),
            Err(CommonError::Malformed(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bodies_are_checked_without_panicking(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = check(&mask_descriptor(), &Bytes::from(body.clone()), 128);
            let _ = check(&mask_descriptor(), &framed(&body), 128);
        }
    }
}

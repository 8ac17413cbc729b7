//! A webhook's body, read within bounds: the JSON a server sent, whole or
//! as the one part of a `multipart/form-data` body that holds it (Plex's
//! `payload`, older Emby's `data`). At most [`MAX_JSON`] bytes of JSON; any
//! other part (Plex's thumbnail JPEG) is read past as it streams, never
//! kept, up to [`MAX_SKIPPED`] bytes; at most [`MAX_PARTS`] parts.

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use futures_util::TryStreamExt;
use http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

/// Bytes of JSON a delivery may hold.
pub(super) const MAX_JSON: usize = 1 << 20;
/// Bytes of other parts (thumbnails) read past at most.
const MAX_SKIPPED: u64 = 8 << 20;
/// Bytes of a multipart body at most, framing included: multer holds what
/// arrives while it looks for a boundary, so the whole stream is bounded.
const MAX_MULTIPART: u64 = MAX_JSON as u64 + MAX_SKIPPED + (64 << 10);
/// Parts a multipart delivery may have (Plex sends two).
const MAX_PARTS: usize = 8;
/// The parts that hold the JSON.
const JSON_PARTS: [&str; 2] = ["payload", "data"];

/// Why a body could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Unreadable {
    /// Over [`MAX_JSON`] of JSON, or [`MAX_SKIPPED`] of the rest: 413.
    TooLarge,
    /// Not JSON, nor a multipart body holding it: 400.
    Malformed(&'static str),
}

/// The JSON of a delivery.
pub(super) async fn json(headers: &HeaderMap, body: Body) -> Result<Bytes, Unreadable> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match multer::parse_boundary(content_type) {
        Ok(boundary) => from_parts(body, boundary).await,
        Err(_) if content_type.starts_with("multipart/") => {
            Err(Unreadable::Malformed("a multipart body without a boundary"))
        }
        Err(_) => whole(body).await,
    }
}

async fn whole(body: Body) -> Result<Bytes, Unreadable> {
    match Limited::new(body, MAX_JSON).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(Unreadable::TooLarge),
        Err(_) => Err(Unreadable::Malformed("the body ended early")),
    }
}

async fn from_parts(body: Body, boundary: String) -> Result<Bytes, Unreadable> {
    let stream = body.into_data_stream();
    let limit = multer::SizeLimit::new().whole_stream(MAX_MULTIPART);
    let constraints = multer::Constraints::new().size_limit(limit);
    let mut parts = multer::Multipart::with_constraints(stream, boundary, constraints);
    let (mut json, mut skipped, mut count) = (None, 0u64, 0usize);
    loop {
        let part = match parts.next_field().await {
            Ok(Some(part)) => part,
            Ok(None) => break,
            Err(e) => return Err(unreadable(&e)),
        };
        count += 1;
        if count > MAX_PARTS {
            return Err(Unreadable::Malformed("too many parts"));
        }
        let holds_json = part.name().is_some_and(|n| JSON_PARTS.contains(&n)) && json.is_none();
        let mut part = part.map_err(|e| unreadable(&e));
        let mut kept = BytesMut::new();
        while let Some(chunk) = part.try_next().await? {
            if holds_json {
                if kept.len() + chunk.len() > MAX_JSON {
                    return Err(Unreadable::TooLarge);
                }
                kept.extend_from_slice(&chunk);
            } else {
                skipped += chunk.len() as u64;
                if skipped > MAX_SKIPPED {
                    return Err(Unreadable::TooLarge);
                }
            }
        }
        if holds_json {
            json = Some(kept.freeze());
        }
    }
    json.ok_or(Unreadable::Malformed("no payload or data part"))
}

/// What a multipart error means for the sender: too much, or malformed.
fn unreadable(error: &multer::Error) -> Unreadable {
    match error {
        multer::Error::StreamSizeExceeded { .. } => Unreadable::TooLarge,
        _ => Unreadable::Malformed("a malformed multipart body"),
    }
}

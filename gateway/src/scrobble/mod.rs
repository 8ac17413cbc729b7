//! `POST /scrobble/{plex|jellyfin|emby|kodi}/{token}`: media servers'
//! webhooks, for servers that have no access token (the scrobble token is
//! in the URL). Each server's payload is read here (`body`, then its own
//! module) into one normalized event, which media-service's internal
//! `ScrobbleIntakeService` records and answers with what became of it.
//!
//! Answers: `200` with the outcome for everything recorded (watched,
//! duplicate, ignored, unmatched: a server must not retry those), `401`
//! for an unknown or revoked token, `413` over a megabyte of JSON, `400`
//! for a body that is no server's payload, `408` for one that takes over
//! [`BODY_WAIT`] to arrive, `429` with `Retry-After` when the token's user
//! is over their rate, `503` while too many deliveries are under way or
//! media-service cannot answer.
//!
//! Places: a token holds [`PER_TOKEN`] deliveries at once at most; tokens
//! media-service recently accepted share [`MAX_DELIVERIES`] places, and
//! tokens not yet seen (the first delivery after a start, or made-up
//! tokens trickling their bodies) share [`MAX_STRANGERS`] of their own, so
//! they can never hold up the deliveries of tokens known to be real.

mod body;
mod emby;
mod fields;
mod jellyfin;
mod kodi;
mod plex;
mod shape;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::{Path, State},
    routing::post,
};
use completionist_common::channel::Internal;
use completionist_common::quota::Quota;
use completionist_proto::media::{
    self as pb, scrobble_intake_service_client::ScrobbleIntakeServiceClient,
};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tonic::Code;
use tonic_types::StatusExt;

use self::body::Unreadable;

/// Deliveries under way at once through one gateway with tokens known to
/// be real.
const MAX_DELIVERIES: usize = 64;
/// Deliveries under way at once with tokens not seen yet.
const MAX_STRANGERS: usize = 8;
/// Deliveries one token has under way at once (a server sends one at a
/// time; a retry may overlap it).
const PER_TOKEN: usize = 4;
/// How long a token media-service accepted counts as known.
const KNOWN_FOR: Duration = Duration::from_secs(600);
/// A token is 43 characters; anything much longer is not one.
const MAX_TOKEN: usize = 128;
/// How long media-service may take to answer one.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Values a payload may hold at most, counted roughly by their `{`, `[`
/// and `,`: a server's holds a few hundred, and the tree `serde_json`
/// builds (tens of bytes a value) is bounded by this, not by the bytes.
const MAX_VALUES: usize = 20_000;
/// How long a delivery's body may take to arrive: a place is held while it
/// does, and a sender that trickles must not hold one for long.
const BODY_WAIT: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct Intake {
    client: ScrobbleIntakeServiceClient<Internal>,
    deliveries: Arc<Semaphore>,
    strangers: Arc<Semaphore>,
    per_token: Arc<Quota<[u8; 32]>>,
    /// Digests of the tokens media-service accepted lately.
    known: moka::sync::Cache<[u8; 32], ()>,
}

/// The routes, for media-service at `channel`.
pub(crate) fn router(channel: Internal) -> Router {
    let intake = Intake {
        client: ScrobbleIntakeServiceClient::new(channel),
        deliveries: Arc::new(Semaphore::new(MAX_DELIVERIES)),
        strangers: Arc::new(Semaphore::new(MAX_STRANGERS)),
        per_token: Arc::new(Quota::new(PER_TOKEN)),
        known: moka::sync::Cache::builder()
            .max_capacity(100_000)
            .time_to_live(KNOWN_FOR)
            .build(),
    };
    Router::new()
        .route("/scrobble/{server}/{token}", post(receive))
        .with_state(intake)
}

async fn receive(
    State(intake): State<Intake>,
    Path((server, token)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response<Body> {
    let parse: fn(&Value) -> pb::RecordScrobbleRequest = match server.as_str() {
        "plex" => plex::parse,
        "jellyfin" => jellyfin::parse,
        "emby" => emby::parse,
        "kodi" => kodi::parse,
        _ => return answer(StatusCode::NOT_FOUND, "no such media server"),
    };
    if token.len() > MAX_TOKEN {
        return answer(StatusCode::UNAUTHORIZED, "unknown or revoked token");
    }
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let Some(_mine) = intake.per_token.try_take(digest) else {
        let mut reply = answer(
            StatusCode::TOO_MANY_REQUESTS,
            "this token has too many deliveries under way",
        );
        reply
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(1));
        return reply;
    };
    let places = if intake.known.contains_key(&digest) {
        &intake.deliveries
    } else {
        &intake.strangers
    };
    let Ok(_place) = places.try_acquire() else {
        return answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many deliveries at once",
        );
    };
    let mut request = match read(&headers, body, parse).await {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    request.token = token;
    let mut call = tonic::Request::new(request);
    call.set_timeout(TIMEOUT);
    let mut client = intake.client.clone();
    let answered = client.record_scrobble(call).await;
    match &answered {
        Err(status) if status.code() == Code::Unauthenticated => intake.known.invalidate(&digest),
        Ok(_) => intake.known.insert(digest, ()),
        Err(_) => {}
    }
    match answered {
        Ok(response) => recorded(&response.into_inner()),
        Err(status) => refused(&status),
    }
}

/// The event of a delivery's body as `parse` reads it, with the body's
/// digest; or the answer to a body that cannot be read.
async fn read(
    headers: &HeaderMap,
    body: Body,
    parse: fn(&Value) -> pb::RecordScrobbleRequest,
) -> Result<pb::RecordScrobbleRequest, Response<Body>> {
    let json = match tokio::time::timeout(BODY_WAIT, body::json(headers, body)).await {
        Ok(Ok(json)) => json,
        Ok(Err(Unreadable::TooLarge)) => {
            return Err(answer(
                StatusCode::PAYLOAD_TOO_LARGE,
                "over a megabyte of JSON",
            ));
        }
        Ok(Err(Unreadable::Malformed(why))) => return Err(answer(StatusCode::BAD_REQUEST, why)),
        Err(_) => {
            return Err(answer(
                StatusCode::REQUEST_TIMEOUT,
                "the body took too long to send",
            ));
        }
    };
    if json
        .iter()
        .filter(|b| matches!(b, b'{' | b'[' | b','))
        .count()
        > MAX_VALUES
    {
        return Err(answer(
            StatusCode::BAD_REQUEST,
            "the payload holds too many values",
        ));
    }
    let Ok(value) = serde_json::from_slice::<Value>(&json) else {
        return Err(answer(StatusCode::BAD_REQUEST, "the payload is not JSON"));
    };
    if !value.is_object() {
        return Err(answer(
            StatusCode::BAD_REQUEST,
            "the payload is not a JSON object",
        ));
    }
    let mut request = parse(&value);
    request.delivery_digest = Sha256::digest(&json).to_vec();
    Ok(request)
}

fn recorded(response: &pb::RecordScrobbleResponse) -> Response<Body> {
    let outcome = match response.outcome() {
        pb::ScrobbleOutcome::Watched => "watched",
        pb::ScrobbleOutcome::Duplicate => "duplicate",
        pb::ScrobbleOutcome::Ignored => "ignored",
        pb::ScrobbleOutcome::Unmatched | pb::ScrobbleOutcome::Unspecified => "unmatched",
    };
    let text = serde_json::json!({ "outcome": outcome, "reason": response.reason }).to_string();
    let mut reply = Response::new(Body::from(text));
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    reply
}

fn refused(status: &tonic::Status) -> Response<Body> {
    match status.code() {
        Code::Unauthenticated => answer(StatusCode::UNAUTHORIZED, "unknown or revoked token"),
        Code::InvalidArgument => answer(StatusCode::BAD_REQUEST, status.message()),
        Code::ResourceExhausted => {
            let delay = status
                .get_details_retry_info()
                .and_then(|info| info.retry_delay)
                .map_or(1, |d| d.as_secs().max(1));
            let mut reply = answer(StatusCode::TOO_MANY_REQUESTS, "too many deliveries");
            reply
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(delay));
            reply
        }
        code => {
            tracing::warn!(
                ?code,
                message = status.message(),
                "media-service refused a delivery"
            );
            answer(StatusCode::SERVICE_UNAVAILABLE, "try again later")
        }
    }
}

fn answer(status: StatusCode, why: &str) -> Response<Body> {
    let mut reply = Response::new(Body::from(format!("{why}\n")));
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    reply
}

#[cfg(test)]
mod tests;

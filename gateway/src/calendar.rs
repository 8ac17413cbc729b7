//! `GET|HEAD /calendar/{token}.ics`: a calendar feed, for calendar apps
//! (which have no access token: the feed's token is in its URL). The
//! calendar comes from media-service's internal `CalendarFeedService`; this
//! is the HTTP around it: `text/calendar`, `ETag` and `304` for
//! `If-None-Match`, `404` for an unknown or revoked token (after the same
//! work as a known one), and `503` while too many feeds are being read at
//! once or media-service cannot answer.

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::{Path, State},
    routing::get,
};
use completionist_proto::media::{
    RenderCalendarFeedRequest, calendar_feed_service_client::CalendarFeedServiceClient,
};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use tokio::sync::Semaphore;
use tonic::{Code, transport::Channel};

/// Feeds read at once through one gateway; calendar apps read every few
/// hours, so more waiting than this is a client retrying in a loop.
const MAX_READS: usize = 16;
/// How long media-service may take to answer one.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct Feeds {
    client: CalendarFeedServiceClient<Channel>,
    reads: Arc<Semaphore>,
}

/// The calendar routes, reading feeds from media-service over `media`.
pub(crate) fn routes(media: Channel) -> Router {
    let feeds = Feeds {
        client: CalendarFeedServiceClient::new(media),
        reads: Arc::new(Semaphore::new(MAX_READS)),
    };
    Router::new()
        .route("/calendar/{file}", get(feed))
        .with_state(feeds)
}

/// One feed; axum answers `HEAD` with the same headers and no body.
async fn feed(
    State(feeds): State<Feeds>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response<Body> {
    let Some(token) = file.strip_suffix(".ics") else {
        return plain(StatusCode::NOT_FOUND, "no such calendar feed");
    };
    let Ok(_read) = feeds.reads.try_acquire() else {
        return busy();
    };
    let mut request = tonic::Request::new(RenderCalendarFeedRequest {
        token: token.to_owned(),
    });
    request.set_timeout(TIMEOUT);
    let answer = feeds.client.clone().render_calendar_feed(request).await;
    let feed = match answer {
        Ok(feed) => feed.into_inner(),
        Err(status) if status.code() == Code::NotFound => {
            return plain(StatusCode::NOT_FOUND, "no such calendar feed");
        }
        Err(status) => {
            tracing::warn!(code = ?status.code(), message = status.message(), "calendar feed failed");
            return busy();
        }
    };
    let Ok(etag) = HeaderValue::from_str(&feed.etag) else {
        return busy();
    };
    let unchanged = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == feed.etag || tag.trim() == "*");
    let response = Response::builder()
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, "private, no-cache")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer");
    let built = if unchanged {
        response
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
    } else {
        response
            .header(header::CONTENT_TYPE, "text/calendar; charset=utf-8")
            .body(Body::from(feed.ics))
    };
    built.unwrap_or_else(|_| busy())
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn busy() -> Response<Body> {
    let mut response = plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "the calendar cannot be read now; try again shortly",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

//! `GET|HEAD /calendar/{token}.ics`: a calendar feed, for calendar apps
//! (which have no access token: the feed's token is in its URL). The
//! calendar comes from media-service's internal `CalendarFeedService`; this
//! is the HTTP around it: `text/calendar`, `ETag` and `304` for
//! `If-None-Match`, `404` for an unknown or revoked token (held as long as
//! a calendar typically takes, so that a wrong token costs the caller the
//! time a right one does), and `503` while too many feeds are being read at
//! once — through this gateway, or of one feed (a client retrying in a
//! loop holds four places at most) — or media-service cannot answer.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Body,
    extract::{Path, State},
    routing::get,
};
use completionist_common::{channel::Internal, retry};
use completionist_proto::media::{
    RenderCalendarFeedRequest, RenderCalendarFeedResponse,
    calendar_feed_service_client::CalendarFeedServiceClient,
};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use tokio::sync::Semaphore;
use tonic::Code;

/// Feeds read at once through one gateway; calendar apps read every few
/// hours, so more waiting than this is clients retrying in a loop.
const MAX_READS: usize = 32;
/// Reads of one feed at once.
const MAX_READS_PER_FEED: usize = 4;
/// How long media-service may take to answer one.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct Feeds {
    client: CalendarFeedServiceClient<Internal>,
    reads: Arc<Semaphore>,
    /// Reads under way per token.
    per_feed: Arc<Mutex<HashMap<String, usize>>>,
    /// How long a calendar has taken lately (µs, a moving average): how
    /// long a NOT_FOUND is held.
    typical_micros: Arc<AtomicU64>,
}

/// A read of one feed under way: its place is given back when dropped.
struct FeedRead {
    per_feed: Arc<Mutex<HashMap<String, usize>>>,
    token: String,
}

impl Feeds {
    /// Notes how long a calendar took (an average over the last few
    /// dozen, at most a second).
    fn took(&self, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .min(1_000_000);
        let before = self.typical_micros.load(Ordering::Relaxed);
        self.typical_micros
            .store(before - before / 32 + micros / 32, Ordering::Relaxed);
    }

    /// A place to read the feed of `token`, if it has one free.
    fn begin(&self, token: &str) -> Option<FeedRead> {
        let mut reads = self
            .per_feed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = reads.entry(token.to_owned()).or_default();
        if *count >= MAX_READS_PER_FEED {
            return None;
        }
        *count += 1;
        Some(FeedRead {
            per_feed: self.per_feed.clone(),
            token: token.to_owned(),
        })
    }
}

impl Drop for FeedRead {
    fn drop(&mut self) {
        let mut reads = self
            .per_feed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = reads.get_mut(&self.token) {
            *count -= 1;
            if *count == 0 {
                reads.remove(&self.token);
            }
        }
    }
}

/// The calendar routes, reading feeds from media-service over `media`.
pub(crate) fn routes(media: Internal) -> Router {
    let feeds = Feeds {
        client: CalendarFeedServiceClient::new(media),
        reads: Arc::new(Semaphore::new(MAX_READS)),
        per_feed: Arc::default(),
        typical_micros: Arc::new(AtomicU64::new(5_000)),
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
    // A token is 43 characters: anything far longer is no token at all.
    let Some(token) = file.strip_suffix(".ics").filter(|t| t.len() <= 128) else {
        return plain(StatusCode::NOT_FOUND, "no such calendar feed");
    };
    let Ok(_place) = feeds.reads.try_acquire() else {
        return busy();
    };
    // Unknown tokens as well: the same answer, the same cost.
    let Some(_read) = feeds.begin(token) else {
        return busy();
    };
    let started = Instant::now();
    let answer = render(&feeds, token).await;
    let feed = match answer {
        Ok(feed) => {
            feeds.took(started.elapsed());
            feed.into_inner()
        }
        Err(status) if status.code() == Code::NotFound => {
            let typical = Duration::from_micros(feeds.typical_micros.load(Ordering::Relaxed));
            tokio::time::sleep(typical.saturating_sub(started.elapsed())).await;
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

/// media-service's rendering of the feed of `token`; tried again on another
/// replica when one is away (reading a feed changes nothing).
async fn render(
    feeds: &Feeds,
    token: &str,
) -> Result<tonic::Response<RenderCalendarFeedResponse>, tonic::Status> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    retry::idempotent(Some(deadline), || {
        let mut request = tonic::Request::new(RenderCalendarFeedRequest {
            token: token.to_owned(),
        });
        request.set_timeout(deadline.saturating_duration_since(tokio::time::Instant::now()));
        let mut client = feeds.client.clone();
        async move { client.render_calendar_feed(request).await }
    })
    .await
}

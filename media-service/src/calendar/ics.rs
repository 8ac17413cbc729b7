//! Calendar feeds as iCal (RFC 5545, written by the `icalendar` crate),
//! served to the gateway by the internal `CalendarFeedService`: one event
//! per episode from 30 days back to 180 ahead (see `events`). An unchanged
//! calendar is the same bytes, and so the same ETag.

use chrono::{Days, TimeDelta, Utc};
use completionist_common::db as common_db;
use completionist_proto::media::{self as pb, calendar_feed_service_server::CalendarFeedService};
use icalendar::{Calendar, Property};
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};

use super::events::EventCache;
use crate::{
    app::App,
    db::{
        self,
        calendar::{Airing, Window},
    },
    error::Error,
};

/// Events a feed holds at most.
const MAX_EVENTS: i64 = 5_000;

/// `completionist.media.v1.CalendarFeedService`.
pub(crate) struct Feeds {
    app: App,
    events: EventCache,
}

impl Feeds {
    pub(crate) fn new(app: App) -> Self {
        Self {
            app,
            events: EventCache::default(),
        }
    }
}

#[tonic::async_trait]
impl CalendarFeedService for Feeds {
    async fn render_calendar_feed(
        &self,
        request: Request<pb::RenderCalendarFeedRequest>,
    ) -> Result<Response<pb::RenderCalendarFeedResponse>, Status> {
        render(&self.app, &self.events, request.into_inner().token)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}

/// The calendar of the feed with `token`; an unknown or revoked token (or
/// anything too long to be one) is NOT_FOUND. The token is found by its
/// hash, so how long the lookup takes says nothing of how close a guess
/// was; the gateway answers NOT_FOUND as slowly as a calendar.
async fn render(
    app: &App,
    events: &EventCache,
    token: String,
) -> Result<pb::RenderCalendarFeedResponse, Error> {
    if token.len() > crate::secrets::MAX_LEN {
        return Err(Error::CalendarFeedNotFound);
    }
    let hash = crate::secrets::hash(&token);
    let now = Utc::now();
    let today = now.date_naive();
    let window = Window {
        from: now - TimeDelta::days(30),
        to: now + TimeDelta::days(180),
        first: today - Days::new(30),
        last: today + Days::new(180),
    };
    let airing = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            let owner = db::calendar::owner(conn, &hash).await?;
            let user = owner.ok_or(Error::CalendarFeedNotFound)?;
            Ok(db::calendar::airing(conn, user, window, MAX_EVENTS).await?)
        })
    })
    .await?;
    let ics = calendar(events, &airing);
    let digest = Sha256::digest(ics.as_bytes());
    let etag = format!("\"{}\"", hex(&digest[..16]));
    Ok(pb::RenderCalendarFeedResponse {
        ics: ics.into_bytes().into(),
        etag,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The iCal text of `airing`: the calendar's own properties, written by
/// the crate, then each event in turn (one at a time: thousands of events
/// are never all held as objects).
fn calendar(events: &EventCache, airing: &[Airing]) -> String {
    const END: &str = "END:VCALENDAR\r\n";
    let mut head = Calendar::new();
    head.append_property(Property::new("PRODID", "-//Completionist//Calendar//EN"))
        .name("Completionist")
        .append_property(Property::new("REFRESH-INTERVAL;VALUE=DURATION", "PT6H"));
    let head = head.done().to_string();
    let mut text = String::with_capacity(head.len() + airing.len() * 256);
    text.push_str(head.strip_suffix(END).unwrap_or(&head));
    for a in airing {
        events.append(&mut text, a);
    }
    text.push_str(END);
    text
}

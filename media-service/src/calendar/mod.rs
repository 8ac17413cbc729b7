//! The calendar: ListUpcoming (what airs for the caller's planned and
//! in-progress entries, by day of their time zone), and calendar feeds —
//! CreateCalendarFeed, ListCalendarFeeds, DeleteCalendarFeed — read by
//! calendar apps through the gateway as iCal (`ics`).

mod events;
pub(crate) mod ics;

use chrono::{Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use completionist_common::{db as common_db, error::Violations, time::timestamp};
use completionist_proto::media as pb;
use tonic::Request;

use crate::{
    app::{App, Caller},
    conversions::{date as date_of, date_to_proto, series::episode},
    db::{
        self,
        calendar::{Airing, Feed, Window},
        watches::Seen,
    },
    domain::parse_id,
    error::Error,
};

/// Items ListUpcoming answers at most.
const MAX_UPCOMING: i64 = 2_000;
/// Days one ListUpcoming may span.
const MAX_DAYS: u64 = 366;

/// A ListUpcoming request: the days (inclusive) and the time zone.
pub(crate) struct UpcomingRequest {
    pub(crate) zone: Tz,
    pub(crate) first: NaiveDate,
    pub(crate) last: NaiveDate,
}

impl TryFrom<pb::ListUpcomingRequest> for UpcomingRequest {
    type Error = Error;

    fn try_from(request: pb::ListUpcomingRequest) -> Result<Self, Error> {
        let pb::ListUpcomingRequest {
            time_zone,
            start_date,
            end_date,
        } = request;
        let mut v = Violations::default();
        let zone = if time_zone.is_empty() {
            Some(Tz::UTC)
        } else {
            v.check(
                "time_zone",
                time_zone
                    .parse::<Tz>()
                    .map_err(|_| "must be an IANA time zone, such as Europe/Berlin"),
            )
        };
        let first = v
            .check("start_date", date_of(start_date.as_ref()))
            .flatten();
        let last = v.check("end_date", date_of(end_date.as_ref())).flatten();
        let today = zone.map(|z| Utc::now().with_timezone(&z).date_naive());
        let (zone, today) = v.finish((zone, today))?;
        let first = first.unwrap_or(today);
        let last = last.unwrap_or_else(|| first + Days::new(30));
        let mut v = Violations::default();
        if last < first {
            v.add("end_date", "is before start_date");
        } else if (last - first).num_days() >= i64::try_from(MAX_DAYS).unwrap_or(i64::MAX) {
            v.add(
                "end_date",
                format!("is more than {MAX_DAYS} days after start_date"),
            );
        }
        v.finish(())?;
        Ok(Self { zone, first, last })
    }
}

impl UpcomingRequest {
    /// The request's days as a window of UTC time.
    fn window(&self) -> Window {
        let start = |day: NaiveDate| {
            let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
            self.zone
                .from_local_datetime(&midnight)
                .earliest()
                .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
        };
        Window {
            from: start(self.first),
            to: start(self.last + Days::new(1)),
            first: self.first,
            last: self.last,
        }
    }
}

pub(crate) async fn list_upcoming(
    app: &App,
    request: Request<pb::ListUpcomingRequest>,
) -> Result<pb::ListUpcomingResponse, Error> {
    let caller = Caller::of(&request)?;
    let upcoming = UpcomingRequest::try_from(request.into_inner())?;
    let window = upcoming.window();
    let user = caller.user_id;
    let airing = common_db::read(&app.pool, |conn| {
        Box::pin(db::calendar::airing(conn, user, window, MAX_UPCOMING))
    })
    .await?;
    let now = Utc::now();
    let mut items: Vec<pb::UpcomingItem> = airing
        .into_iter()
        .map(|Airing { show, episode: e }| {
            let date = match e.air_time {
                Some(at) => at.with_timezone(&upcoming.zone).date_naive(),
                None => e.air_date.unwrap_or(upcoming.first),
            };
            pb::UpcomingItem {
                list_entry_id: show.entry_id.to_string(),
                media_item_id: show.item_id.to_string(),
                kind: crate::conversions::ProtoEnum::to_proto(show.kind),
                title: show.title.clone(),
                image_url: show.image_url.clone(),
                time: e.air_time.map(timestamp),
                date: Some(date_to_proto(date)),
                episode: Some(episode(e, Seen::default(), now)),
            }
        })
        .collect();
    // By day of the caller's zone, all-day ones first, then by time: an
    // all-day episode's day is its own, not UTC's.
    items.sort_by_key(|i| {
        let day = i.date.as_ref().map(|d| (d.year, d.month, d.day));
        (day, i.time.as_ref().map(|t| (t.seconds, t.nanos)))
    });
    Ok(pb::ListUpcomingResponse { items })
}

pub(crate) async fn create_calendar_feed(
    app: &App,
    request: Request<pb::CreateCalendarFeedRequest>,
) -> Result<pb::CreateCalendarFeedResponse, Error> {
    let caller = Caller::of(&request)?;
    let pb::CreateCalendarFeedRequest { name } = request.into_inner();
    let name = name.trim().to_owned();
    let length = name.chars().count();
    if length == 0 || length > 100 {
        return Err(Error::invalid("name", "must be 1 to 100 characters"));
    }
    let (token, hash) = crate::secrets::generate();
    let user = caller.user_id;
    let most = app.series.config.max_feeds_per_user;
    let feed = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            if db::calendar::lock_count(conn, user).await? >= most {
                return Err(Error::TooManyCalendarFeeds(most));
            }
            Ok(db::calendar::insert(conn, user, &name, &hash).await?)
        })
    })
    .await?;
    Ok(pb::CreateCalendarFeedResponse {
        calendar_feed: Some(feed_to_proto(feed)),
        path: format!("/calendar/{token}.ics"),
    })
}

pub(crate) async fn list_calendar_feeds(
    app: &App,
    request: Request<pb::ListCalendarFeedsRequest>,
) -> Result<pb::ListCalendarFeedsResponse, Error> {
    let caller = Caller::of(&request)?;
    let user = caller.user_id;
    let feeds =
        common_db::read(&app.pool, |conn| Box::pin(db::calendar::feeds(conn, user))).await?;
    Ok(pb::ListCalendarFeedsResponse {
        calendar_feeds: feeds.into_iter().map(feed_to_proto).collect(),
    })
}

pub(crate) async fn delete_calendar_feed(
    app: &App,
    request: Request<pb::DeleteCalendarFeedRequest>,
) -> Result<pb::DeleteCalendarFeedResponse, Error> {
    let caller = Caller::of(&request)?;
    let pb::DeleteCalendarFeedRequest { id } = request.into_inner();
    let id = parse_id(&id).map_err(|why| Error::invalid("id", why))?;
    let mut conn = common_db::conn(&app.pool).await?;
    if !db::calendar::delete(&mut conn, caller.user_id, id).await? {
        return Err(Error::CalendarFeedNotFound);
    }
    Ok(pb::DeleteCalendarFeedResponse {})
}

fn feed_to_proto(feed: Feed) -> pb::CalendarFeed {
    let Feed {
        id,
        name,
        created_at,
        last_read_at,
    } = feed;
    pb::CalendarFeed {
        id: id.to_string(),
        name,
        create_time: Some(timestamp(created_at)),
        last_read_time: last_read_at.map(timestamp),
    }
}

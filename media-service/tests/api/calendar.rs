//! ListUpcoming in the caller's time zone, and calendar feeds: created,
//! listed, read as iCal through the internal CalendarFeedService (parsed
//! back with the `icalendar` crate's parser), revoked.

use chrono::{Datelike, Duration, Utc};
use chrono_tz::Tz;
use completionist_proto::media::{
    self as pb, ListStatus, calendar_feed_service_client::CalendarFeedServiceClient,
};
use icalendar::{Calendar, CalendarComponent, Component, DatePerhapsTime};
use tonic::Code;

use crate::{
    helpers::{TestApp, assert_error, authed, violated_fields},
    shows::{self, ENDED, RUNNING},
};

impl TestApp {
    pub(crate) async fn upcoming(
        &self,
        token: &str,
        request: pb::ListUpcomingRequest,
    ) -> Result<Vec<pb::UpcomingItem>, tonic::Status> {
        self.client()
            .list_upcoming(authed(token, request))
            .await
            .map(|r| r.into_inner().items)
    }

    pub(crate) async fn feed(&self, token: &str, name: &str) -> pb::CreateCalendarFeedResponse {
        self.client()
            .create_calendar_feed(authed(
                token,
                pb::CreateCalendarFeedRequest { name: name.into() },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    /// The feed at `path` (`/calendar/{token}.ics`), as media-service
    /// renders it for the gateway.
    pub(crate) async fn render(
        &self,
        path: &str,
    ) -> Result<pb::RenderCalendarFeedResponse, tonic::Status> {
        let token = path
            .trim_start_matches("/calendar/")
            .trim_end_matches(".ics");
        CalendarFeedServiceClient::new(self.media.channel.clone())
            .render_calendar_feed(pb::RenderCalendarFeedRequest {
                token: token.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }
}

#[tokio::test]
async fn upcoming_lists_what_airs_by_day_of_the_callers_time_zone() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    app.add_series(&token, RUNNING, ListStatus::Planned).await;
    app.add_series(&token, ENDED, ListStatus::InProgress).await;
    let zone = "America/New_York";
    let items = app
        .upcoming(
            &token,
            pb::ListUpcomingRequest {
                time_zone: zone.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Fetched as they were put on the list.
    assert!(items.len() <= 2);
    for _ in 0..100 {
        let fetched = app
            .media_db
            .count("SELECT count(*) AS count FROM episode_sources WHERE refreshed_at IS NOT NULL")
            .await;
        if fetched == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let items = app
        .upcoming(
            &token,
            pb::ListUpcomingRequest {
                time_zone: zone.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let numbers: Vec<_> = items
        .iter()
        .map(|i| i.episode.as_ref().unwrap().number)
        .collect();
    assert_eq!(numbers, [Some(3), Some(4)], "to come in 30 days, dated");
    let timed = &items[0];
    let at = timed.time.as_ref().unwrap();
    let local = chrono::DateTime::from_timestamp(at.seconds, 0)
        .unwrap()
        .with_timezone(&zone.parse::<Tz>().unwrap());
    let day = timed.date.as_ref().unwrap();
    assert_eq!(
        (day.year, day.month, day.day),
        (local.year(), local.month() as i32, local.day() as i32)
    );
    assert!(
        local.date_naive() < at_utc_day(at),
        "02:00 UTC is the evening before in New York"
    );
    assert!(items[1].time.is_none(), "a day-only episode is all day");
    assert_eq!(items[0].title, "Severance");
}

#[tokio::test]
async fn on_hold_and_dropped_entries_are_left_out() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, RUNNING, ListStatus::Planned).await;
    app.episodes(&token, &entry.id).await.unwrap();
    let items = app
        .upcoming(&token, pb::ListUpcomingRequest::default())
        .await
        .unwrap();
    assert_eq!(items.len(), 2);
    for status in [ListStatus::OnHold, ListStatus::Dropped] {
        let mut held = app.get_entry(&token, &entry.id).await.unwrap();
        held.status = status as i32;
        app.update(&token, held, &["status"]).await.unwrap();
        let items = app
            .upcoming(&token, pb::ListUpcomingRequest::default())
            .await
            .unwrap();
        assert!(items.is_empty(), "{status:?}");
    }
}

fn at_utc_day(at: &prost_types::Timestamp) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp(at.seconds, 0)
        .unwrap()
        .date_naive()
}

#[tokio::test]
async fn upcoming_refuses_bad_zones_and_windows() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let day = |d: chrono::NaiveDate| pb::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    };
    let today = Utc::now().date_naive();
    let cases = [
        (
            pb::ListUpcomingRequest {
                time_zone: "Mars/Olympus".into(),
                ..Default::default()
            },
            "time_zone",
        ),
        (
            pb::ListUpcomingRequest {
                start_date: Some(day(today)),
                end_date: Some(day(today - Duration::days(1))),
                ..Default::default()
            },
            "end_date",
        ),
        (
            pb::ListUpcomingRequest {
                start_date: Some(day(today)),
                end_date: Some(day(today + Duration::days(400))),
                ..Default::default()
            },
            "end_date",
        ),
        (
            pb::ListUpcomingRequest {
                start_date: Some(pb::Date {
                    year: 2024,
                    month: 2,
                    day: 30,
                }),
                ..Default::default()
            },
            "start_date",
        ),
    ];
    for (request, field) in cases {
        let status = assert_error(
            app.upcoming(&token, request).await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(violated_fields(&status), [field]);
    }
}

#[tokio::test]
async fn a_feed_is_ical_with_stable_uids_until_it_is_revoked() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app
        .add_series(&token, RUNNING, ListStatus::InProgress)
        .await;
    let ended = app.add_series(&token, ENDED, ListStatus::Planned).await;
    app.episodes(&token, &entry.id).await.unwrap();
    app.episodes(&token, &ended.id).await.unwrap();
    let created = app.feed(&token, "phone").await;
    assert!(created.path.starts_with("/calendar/") && created.path.ends_with(".ics"));
    let feed = created.calendar_feed.unwrap();
    assert_eq!(feed.name, "phone");

    let first = app.render(&created.path).await.unwrap();
    let again = app.render(&created.path).await.unwrap();
    assert_eq!(first.etag, again.etag, "nothing changed: the same bytes");
    assert_eq!(first.ics, again.ics);
    let text = String::from_utf8(first.ics.to_vec()).unwrap();
    let calendar: Calendar = text.parse().unwrap();
    assert!(calendar.property_value("PRODID").is_some());
    assert_eq!(calendar.property_value("VERSION"), Some("2.0"));
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    // The running show's aired two, two to come (the undated one left
    // out); the ended show aired long before the 30 days back.
    assert_eq!(events.len(), 4, "{text}");
    for event in &events {
        assert!(event.get_uid().unwrap().ends_with("@completionist"));
        assert!(event.get_timestamp().is_some(), "DTSTAMP");
        assert!(event.get_summary().unwrap().starts_with("Severance — S1E"));
    }
    let all_day = events
        .iter()
        .filter(|e| matches!(e.get_start(), Some(DatePerhapsTime::Date(_))))
        .count();
    assert_eq!(all_day, 1);
    assert!(
        text.contains("DTSTART:") && text.contains("Z\r\n"),
        "times in UTC"
    );
    assert!(text.contains("DTSTART;VALUE=DATE:"));
}

#[tokio::test]
async fn feeds_are_bounded_per_user_and_named() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    for i in 0..10 {
        app.feed(&token, &format!("feed {i}")).await;
    }
    let more = app
        .client()
        .create_calendar_feed(authed(
            &token,
            pb::CreateCalendarFeedRequest {
                name: "one more".into(),
            },
        ))
        .await;
    assert_error(more, Code::ResourceExhausted, "TOO_MANY_CALENDAR_FEEDS");
    let other = app.user().await;
    app.feed(&other, "theirs").await;
    for name in ["", &"n".repeat(101)] {
        let refused = app
            .client()
            .create_calendar_feed(authed(
                &other,
                pb::CreateCalendarFeedRequest { name: name.into() },
            ))
            .await;
        let status = assert_error(refused, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_eq!(violated_fields(&status), ["name"]);
    }
}

#[tokio::test]
async fn a_revoked_feed_is_gone_and_only_its_owner_revokes_it() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let created = app.feed(&token, "phone").await;
    let feed = created.calendar_feed.unwrap();
    app.render(&created.path).await.unwrap();
    // Listed without the token; revoked, it is gone.
    let feeds = app
        .client()
        .list_calendar_feeds(authed(&token, pb::ListCalendarFeedsRequest {}))
        .await
        .unwrap()
        .into_inner()
        .calendar_feeds;
    assert_eq!(feeds.len(), 1);
    assert!(feeds[0].last_read_time.is_some());
    let stranger = app.user().await;
    let delete = |who: &str| {
        let who = who.to_owned();
        let id = feed.id.clone();
        let client = app.client();
        async move {
            client
                .clone()
                .delete_calendar_feed(authed(&who, pb::DeleteCalendarFeedRequest { id }))
                .await
        }
    };
    assert_error(
        delete(&stranger).await,
        Code::NotFound,
        "CALENDAR_FEED_NOT_FOUND",
    );
    delete(&token).await.unwrap();
    assert_error(
        app.render(&created.path).await,
        Code::NotFound,
        "CALENDAR_FEED_NOT_FOUND",
    );
    assert_error(
        app.render("/calendar/nope.ics").await,
        Code::NotFound,
        "CALENDAR_FEED_NOT_FOUND",
    );
    assert_error(
        delete(&token).await,
        Code::NotFound,
        "CALENDAR_FEED_NOT_FOUND",
    );
}

//! Series and the calendar as a browser reaches them (gRPC-Web through the
//! gateway), and the calendar feed as a calendar app reads it: plain HTTP
//! `GET|HEAD /calendar/{token}.ics`, parsed back with the `icalendar`
//! crate's parser.

use std::net::SocketAddr;

use chrono::{Duration, Utc};
use completionist_proto::media::{
    RenderCalendarFeedRequest, calendar_feed_service_client::CalendarFeedServiceClient,
};
use icalendar::{Calendar, CalendarComponent, Component};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use tonic::Code;

use crate::helpers::{Stack, buf_curl, severance_stack};

const AUTH: &str = "completionist.auth.v1.AuthService";
const MEDIA: &str = "completionist.media.v1.MediaService";

async fn call(gw: SocketAddr, method: &str, body: Value, token: &str) -> Value {
    buf_curl(gw, &format!("{MEDIA}/{method}"), body, Some(token))
        .await
        .unwrap_or_else(|error| panic!("{method} failed: {error}"))
}

fn episode(id: i64, number: i32, days: i64, timed: bool) -> Value {
    let day = (Utc::now() + Duration::days(days)).date_naive();
    json!({"id": id, "name": format!("Part {number}"), "season": 1, "number": number,
           "type": "regular", "airdate": day.to_string(),
           "airtime": if timed { "21:00" } else { "" },
           "airstamp": format!("{day}T01:00:00+00:00"), "runtime": 50})
}

async fn stack() -> Stack {
    severance_stack(
        json!([
            episode(1, 1, -3, true),
            episode(2, 2, 2, true),
            episode(3, 3, 5, false)
        ]),
        |_| {},
    )
    .await
}

async fn sign_up(gw: SocketAddr) -> String {
    let account = json!({"email": "cal@example.com", "password": "correct horse"});
    let mut register = account.clone();
    register["display_name"] = json!("Cal");
    buf_curl(gw, &format!("{AUTH}/Register"), register, None)
        .await
        .unwrap();
    let login = buf_curl(gw, &format!("{AUTH}/Login"), account, None)
        .await
        .unwrap();
    login["tokens"]["accessToken"].as_str().unwrap().to_owned()
}

/// Signs up and puts the running show on the list; the token and entry.
pub(crate) async fn following(gw: SocketAddr) -> (String, String) {
    let token = sign_up(gw).await;
    let reference = json!({"source": "MEDIA_SOURCE_OMDB", "kind": "MEDIA_KIND_SERIES",
                           "externalId": "tt11280740"});
    let added = call(
        gw,
        "AddListEntry",
        json!({"reference": reference, "status": "LIST_STATUS_PLANNED"}),
        &token,
    )
    .await;
    let entry = added["listEntry"]["id"].as_str().unwrap().to_owned();
    (token, entry)
}

#[tokio::test]
async fn a_browser_marks_episodes_and_reads_its_calendar() {
    let stack = stack().await;
    let gw = stack.gateway.addr;
    let (token, entry) = following(gw).await;
    let list = call(gw, "ListEpisodes", json!({"listEntryId": entry}), &token).await;
    assert_eq!(list["showStatus"], "SHOW_STATUS_RUNNING");
    assert_eq!(list["seasons"][0]["episodes"].as_array().unwrap().len(), 3);
    let up_to = json!({"listEntryId": entry, "selection": {"upTo": {"season": 1, "number": 1}}});
    let marked = call(gw, "MarkEpisodesWatched", up_to, &token).await;
    assert_eq!(marked["listEntry"]["progress"], 1);
    assert_eq!(marked["listEntry"]["status"], "LIST_STATUS_IN_PROGRESS");
    let list = call(gw, "ListEpisodes", json!({"listEntryId": entry}), &token).await;
    assert_eq!(list["caughtUp"], true);
    let history = call(gw, "ListEpisodeWatches", json!({}), &token).await;
    assert_eq!(history["episodeWatches"].as_array().unwrap().len(), 1);
    let upcoming = call(
        gw,
        "ListUpcoming",
        json!({"timeZone": "Asia/Tokyo"}),
        &token,
    )
    .await;
    assert_eq!(upcoming["items"].as_array().unwrap().len(), 2);
    let season = json!({"listEntryId": entry, "selection": {"season": 1}});
    let unmarked = call(gw, "UnmarkEpisodesWatched", season, &token).await;
    assert_eq!(unmarked["unmarkedCount"], 1);
}

/// The events of an iCal text, parsed.
fn events(text: &str) -> Vec<icalendar::Event> {
    let calendar: Calendar = text.parse().unwrap();
    calendar
        .components
        .into_iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_calendar_app_reads_the_feed_until_it_is_revoked() {
    let stack = stack().await;
    let gw = stack.gateway.addr;
    let (token, entry) = following(gw).await;
    call(gw, "ListEpisodes", json!({"listEntryId": entry}), &token).await;
    let created = call(gw, "CreateCalendarFeed", json!({"name": "phone"}), &token).await;
    let feed_path = created["path"].as_str().unwrap().to_owned();
    let feeds = call(gw, "ListCalendarFeeds", json!({}), &token).await;
    assert_eq!(feeds["calendarFeeds"][0]["name"], "phone");
    assert!(
        !feeds.to_string().contains(&feed_path),
        "the token is shown once"
    );

    let url = format!("{}{feed_path}", stack.url());
    let client = reqwest::Client::new();
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let kind = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
    assert!(kind.starts_with("text/calendar"), "{kind}");
    let etag = response.headers()[header::ETAG].clone();
    let text = response.text().await.unwrap();
    let events = events(&text);
    assert_eq!(events.len(), 3, "{text}");
    assert!(
        events
            .iter()
            .all(|e| e.get_uid().is_some() && e.get_timestamp().is_some())
    );
    assert!(
        events
            .iter()
            .any(|e| e.get_summary() == Some("Severance — S1E2 Part 2"))
    );

    let again = client.get(&url).header(header::IF_NONE_MATCH, etag.clone());
    assert_eq!(
        again.send().await.unwrap().status(),
        StatusCode::NOT_MODIFIED
    );
    let head = client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()[header::ETAG], etag);
    assert!(head.text().await.unwrap().is_empty());

    let feed_id = feeds["calendarFeeds"][0]["id"].as_str().unwrap();
    call(gw, "DeleteCalendarFeed", json!({"id": feed_id}), &token).await;
    let status = |url: String| {
        let client = client.clone();
        async move { client.get(url).send().await.unwrap().status() }
    };
    assert_eq!(status(url.clone()).await, StatusCode::NOT_FOUND);
    for other in ["/calendar/nothing.ics", "/calendar/nothing"] {
        assert_eq!(
            status(format!("{}{other}", stack.url())).await,
            StatusCode::NOT_FOUND
        );
    }
    let posted = client.post(&url).send().await.unwrap();
    assert_eq!(posted.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_internal_feed_service_is_not_forwarded() {
    let stack = Stack::spawn().await;
    let refused = CalendarFeedServiceClient::new(stack.gateway.channel.clone())
        .render_calendar_feed(RenderCalendarFeedRequest { token: "x".into() })
        .await;
    assert_eq!(refused.unwrap_err().code(), Code::Unimplemented);
    let names = test_support::reflection::list_services(stack.gateway.channel.clone()).await;
    assert!(
        !names.iter().any(|n| n.contains("CalendarFeed")),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_feed_is_unavailable_while_media_service_is_down() {
    let mut stack = stack().await;
    stack.media.stop().await;
    let response = reqwest::get(format!("{}/calendar/abc.ics", stack.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
}

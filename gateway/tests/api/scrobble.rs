//! Media servers' webhooks through the gateway: `POST
//! /scrobble/{server}/{token}` with each server's payload as it sends it,
//! then the list, the watches and the event log as a browser reads them.

use std::net::SocketAddr;

use chrono::{Duration, Utc};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use wiremock::{
    Mock, ResponseTemplate,
    matchers::{path, query_param},
};

use crate::helpers::{Stack, buf_curl, severance_stack};

const MEDIA: &str = "completionist.media.v1.MediaService";

pub(crate) async fn call(gw: SocketAddr, method: &str, body: Value, token: &str) -> Value {
    buf_curl(gw, &format!("{MEDIA}/{method}"), body, Some(token))
        .await
        .unwrap_or_else(|error| panic!("{method} failed: {error}"))
}

fn episode(id: i64, number: i32, days: i64) -> Value {
    let day = (Utc::now() + Duration::days(days)).date_naive();
    json!({"id": id, "name": format!("Part {number}"), "season": 1, "number": number,
           "type": "regular", "airdate": day.to_string(), "airtime": "21:00",
           "airstamp": format!("{day}T01:00:00+00:00"), "runtime": 50})
}

/// A stack whose TVmaze and OMDb know Severance, three episodes aired.
pub(crate) async fn stack() -> Stack {
    severance_stack(
        json!([episode(1, 1, -30), episode(2, 2, -20), episode(3, 3, -10)]),
        |media| media.scrobbles.deliveries_per_minute = 12,
    )
    .await
}

/// Signs up, puts Severance on the list and makes a scrobble token; the
/// access token, the entry and the token's Plex path (for `{server}`).
pub(crate) async fn following(gw: SocketAddr) -> (String, String, String) {
    let (token, entry) = crate::calendar::following(gw).await;
    let created = call(gw, "CreateScrobbleToken", json!({"name": "box"}), &token).await;
    let plex = created["urls"][0]["path"].as_str().unwrap().to_owned();
    assert!(plex.starts_with("/scrobble/plex/"), "{plex}");
    (token, entry, plex)
}

fn plex_payload(event: &str, episode: i32) -> Value {
    json!({
        "event": event, "user": true, "owner": true,
        "Account": {"id": 1, "title": "ada"},
        "Metadata": {"type": "episode", "title": "Good News About Hell",
                     "grandparentTitle": "Severance", "parentIndex": 1, "index": episode,
                     "ratingKey": format!("9{episode}"),
                     "Guid": [{"id": "imdb://tt11650328"}, {"id": "tvdb://7891234"}]}
    })
}

/// Plex's multipart body: the JSON `payload`, then a JPEG `thumb`.
fn plex_multipart(payload: &Value) -> (String, Vec<u8>) {
    let boundary = "------------------------b0a5c3d1e2f3";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"payload\"\r\n\
         Content-Type: application/json\r\n\r\n{payload}\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"thumb\"; filename=\"thumb.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend([0xFF, 0xD8, 0xFF, 0xE0].iter().cycle().take(200_000));
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(crate) async fn post(url: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The token's URL for `server`, from its Plex URL.
fn at(plex: &str, server: &str) -> String {
    plex.replace("/plex/", &format!("/{server}/"))
}

/// Posts `body` as JSON and answers the outcome.
async fn outcome(url: &str, content_type: &str, body: &Value) -> Value {
    let (status, answer) = post(url, content_type, body.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["outcome"].clone()
}

/// Plex: a scrobble with its thumbnail, the same delivery retried, a play.
async fn plex_deliveries(plex: &str) {
    let (kind, body) = plex_multipart(&plex_payload("media.scrobble", 1));
    let (status, answer) = post(plex, &kind, body.clone()).await;
    assert_eq!(
        (status, &answer["outcome"]),
        (StatusCode::OK, &json!("watched")),
        "{answer}"
    );
    let (_, retried) = post(plex, &kind, body).await;
    assert_eq!(retried["outcome"], "duplicate");
    let (kind, body) = plex_multipart(&plex_payload("media.play", 2));
    assert_eq!(post(plex, &kind, body).await.1["outcome"], "ignored");
}

/// Jellyfin as text/plain (a two-episode file); Emby before 4.9
/// (multipart `data`), stopped early; Kodi stopped at 40%, then the end of
/// an episode Plex recorded already.
async fn other_servers(plex: &str) {
    let jellyfin = json!({"NotificationType": "PlaybackStop", "PlayedToCompletion": "True",
        "ItemType": "Episode", "Name": "Half Loop", "SeriesName": "Severance",
        "SeasonNumber": 1, "EpisodeNumber": 2, "EpisodeNumberEnd": 3,
        "NotificationUsername": "ada", "UtcTimestamp": Utc::now().to_rfc3339(), "ItemId": "a1"});
    assert_eq!(
        outcome(&at(plex, "jellyfin"), "text/plain", &jellyfin).await,
        "watched"
    );
    let emby = json!({"Event": "playback.stop", "User": {"Name": "ada"},
        "Item": {"Type": "Episode", "Name": "x", "SeriesName": "Severance",
                 "ParentIndexNumber": 1, "IndexNumber": 1},
        "PlaybackInfo": {"PlayedToCompletion": false}});
    let form = format!(
        "--emby\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n{emby}\r\n--emby--\r\n"
    );
    let (_, answer) = post(
        &at(plex, "emby"),
        "multipart/form-data; boundary=emby",
        form.into_bytes(),
    )
    .await;
    assert_eq!(answer["outcome"], "ignored", "{answer}");
    let kodi = |event: &str, progress: f64| {
        json!({"event": event, "progress": progress,
        "user": "ada", "item": {"type": "episode", "title": "x", "showtitle": "Severance",
                                 "season": 1, "episode": 1}})
    };
    let url = at(plex, "kodi");
    assert_eq!(
        outcome(&url, "application/json", &kodi("stop", 40.0)).await,
        "ignored"
    );
    assert_eq!(
        outcome(&url, "application/json", &kodi("end", 100.0)).await,
        "duplicate"
    );
}

#[tokio::test]
async fn each_servers_payload_is_recorded_and_explained() {
    let stack = stack().await;
    let gw = stack.gateway.addr;
    let (token, entry, plex) = following(gw).await;
    let plex = format!("{}{plex}", stack.url());
    plex_deliveries(&plex).await;
    other_servers(&plex).await;

    // The list, the watches and the log, as the browser reads them.
    let shown = call(gw, "GetListEntry", json!({"id": entry}), &token).await;
    assert_eq!(shown["listEntry"]["progress"], 3, "{shown}");
    let events = call(gw, "ListScrobbleEvents", json!({}), &token).await;
    let outcomes: Vec<&str> = events["scrobbleEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "SCROBBLE_OUTCOME_DUPLICATE",
            "SCROBBLE_OUTCOME_IGNORED",
            "SCROBBLE_OUTCOME_IGNORED",
            "SCROBBLE_OUTCOME_WATCHED",
            "SCROBBLE_OUTCOME_IGNORED",
            "SCROBBLE_OUTCOME_WATCHED"
        ]
    );
}

#[tokio::test]
async fn an_unmatched_show_is_pinned_from_the_browser() {
    let stack = stack().await;
    let gw = stack.gateway.addr;
    let (token, entry, plex) = following(gw).await;
    let url = format!("{}{}", stack.url(), plex.replace("/plex/", "/jellyfin/"));
    // No ids, and a title that is not ours; NUL bytes in its strings.
    let body = json!({"NotificationType": "PlaybackStop", "PlayedToCompletion": true,
        "ItemType": "Episode", "Name": "Half\u{0}Loop", "SeriesName": "Severance (JP)\u{0}",
        "SeasonNumber": 1, "EpisodeNumber": 2, "NotificationUsername": "ada"});
    let (status, answer) = post(&url, "application/json", body.to_string().into_bytes()).await;
    assert_eq!(
        (status, &answer["outcome"]),
        (StatusCode::OK, &json!("unmatched")),
        "{answer}"
    );
    let events = call(gw, "ListScrobbleEvents", json!({}), &token).await;
    let event = &events["scrobbleEvents"][0];
    assert_eq!(event["seriesTitle"], "Severance (JP)");
    assert!(
        event["reason"]
            .as_str()
            .unwrap()
            .contains("none of your series")
    );
    let pinned = call(
        gw,
        "PinScrobbleShow",
        json!({"scrobbleEventId": event["id"], "listEntryId": entry}),
        &token,
    )
    .await;
    assert_eq!(
        pinned["scrobbleEvent"]["outcome"], "SCROBBLE_OUTCOME_WATCHED",
        "{pinned}"
    );
}

#[tokio::test]
async fn plex_older_agent_names_the_show_by_its_tvdb_id() {
    let stack = stack().await;
    let gw = stack.gateway.addr;
    let (token, entry, plex) = following(gw).await;
    // A title that is not ours and no episode ids: only TheTVDB's id of
    // the show, which TVmaze links to Severance's IMDb id.
    let mut payload = plex_payload("media.scrobble", 2);
    payload["Metadata"]["grandparentTitle"] = json!("Severance (US)");
    payload["Metadata"]["guid"] = json!("com.plexapp.agents.thetvdb://371980/1/2?lang=en");
    payload["Metadata"]["Guid"] = json!([]);
    let (kind, body) = plex_multipart(&payload);
    let (status, answer) = post(&format!("{}{plex}", stack.url()), &kind, body).await;
    assert_eq!(
        (status, &answer["outcome"]),
        (StatusCode::OK, &json!("watched")),
        "{answer}"
    );
    let asked = stack
        .providers
        .received_requests()
        .await
        .unwrap_or_default();
    assert!(
        asked
            .iter()
            .any(|r| r.url.path() == "/tvmaze/lookup/shows"
                && r.url.query() == Some("thetvdb=371980")),
        "TVmaze was asked by TheTVDB's id"
    );
    let watches = call(
        gw,
        "ListEpisodeWatches",
        json!({"listEntryId": entry}),
        &token,
    )
    .await;
    assert_eq!(
        watches["episodeWatches"][0]["episode"]["number"], 2,
        "{watches}"
    );

    // An id TVmaze does not know: the title decides.
    Mock::given(path("/tvmaze/lookup/shows"))
        .and(query_param("thetvdb", "999"))
        .respond_with(ResponseTemplate::new(404))
        .with_priority(1)
        .mount(&stack.providers)
        .await;
    payload["Metadata"]["grandparentTitle"] = json!("Severance");
    payload["Metadata"]["index"] = json!(3);
    payload["Metadata"]["ratingKey"] = json!("93");
    payload["Metadata"]["guid"] = json!("com.plexapp.agents.thetvdb://999/1/3");
    let (kind, body) = plex_multipart(&payload);
    let (_, answer) = post(&format!("{}{plex}", stack.url()), &kind, body).await;
    assert_eq!(answer["outcome"], "watched", "{answer}");
}

//! Webhooks that are refused, each with a clear answer and nothing
//! stored: an unknown or overlong token, an unknown server, bodies that
//! are not JSON, too large or too deep, too many parts, a token over its
//! rate; and the internal intake service, which the gateway never forwards.

use completionist_proto::media::{
    MediaServer, RecordScrobbleRequest, scrobble_intake_service_client::ScrobbleIntakeServiceClient,
};
use futures_util::StreamExt;
use reqwest::{StatusCode, header};
use serde_json::json;
use tonic::Code;

use crate::{
    helpers::Stack,
    scrobble::{call, following, post, stack},
};

/// The answer's status to `body` posted to `url` as `content_type`.
async fn status(url: &str, content_type: &str, body: impl Into<Vec<u8>>) -> StatusCode {
    post(url, content_type, body.into()).await.0
}

#[tokio::test]
async fn bad_deliveries_get_clear_answers_and_store_nothing() {
    let stack = stack().await;
    let gw = stack.gateway.addr;
    let (token, _, plex) = following(gw).await;
    let base = stack.url();
    let json = "application/json";

    let unknown = format!("{base}/scrobble/plex/{}", "A".repeat(43));
    assert_eq!(status(&unknown, json, "{}").await, StatusCode::UNAUTHORIZED);
    let long = format!("{base}/scrobble/plex/{}", "A".repeat(10_000));
    assert_eq!(status(&long, json, "{}").await, StatusCode::UNAUTHORIZED);
    let nowhere = format!("{base}{}", plex.replace("/plex/", "/winamp/"));
    assert_eq!(status(&nowhere, json, "{}").await, StatusCode::NOT_FOUND);

    let jelly = format!("{base}{}", plex.replace("/plex/", "/jellyfin/"));
    assert_eq!(
        status(&jelly, "text/plain", "not json").await,
        StatusCode::BAD_REQUEST
    );
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(status(&jelly, json, deep).await, StatusCode::BAD_REQUEST);
    let huge = vec![b' '; 2 << 20];
    assert_eq!(
        status(&jelly, json, huge).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let big = format!("{{\"Name\": \"{}\"}}", "x".repeat(100 << 20));
    assert_eq!(
        status(&jelly, json, big).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let mut parts = String::new();
    for n in 0..10_000 {
        parts.push_str(&format!(
            "--b\r\nContent-Disposition: form-data; name=\"p{n}\"\r\n\r\nx\r\n"
        ));
    }
    parts.push_str("--b--\r\n");
    let form = "multipart/form-data; boundary=b";
    assert_eq!(
        status(&format!("{base}{plex}"), form, parts).await,
        StatusCode::BAD_REQUEST
    );
    // No boundary ever: multer would hold it all while it looks for one.
    let endless = vec![b'x'; 12 << 20];
    let endless = status(&format!("{base}{plex}"), form, endless).await;
    assert_eq!(endless, StatusCode::PAYLOAD_TOO_LARGE);
    // Under a megabyte, but a tree of hundreds of thousands of values.
    let wide = format!("[{}[]]", "[],".repeat(300_000));
    assert_eq!(status(&jelly, json, wide).await, StatusCode::BAD_REQUEST);
    let events = call(gw, "ListScrobbleEvents", json!({}), &token).await;
    let stored = events["scrobbleEvents"].as_array().map_or(0, Vec::len);
    assert_eq!(stored, 0, "{events}");
}

#[tokio::test]
async fn a_token_over_its_rate_gets_429_with_when() {
    let stack = stack().await;
    let (_, _, plex) = following(stack.gateway.addr).await;
    let jelly = format!("{}{}", stack.url(), plex.replace("/plex/", "/jellyfin/"));
    // 12 a minute in this stack.
    let mut last = StatusCode::OK;
    let mut retry_after = None;
    for n in 0..14 {
        let body = json!({"NotificationType": "PlaybackStart", "ItemId": n});
        let response = reqwest::Client::new()
            .post(&jelly)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        last = response.status();
        retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let seconds: u64 = retry_after.unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");
}

/// Posts a body that sends one byte, then nothing: the answer's status.
async fn trickle(url: &str) -> StatusCode {
    let first = futures_util::stream::once(async { Ok::<_, std::io::Error>(b"{".to_vec()) });
    let trickle = first.chain(futures_util::stream::pending());
    let response = reqwest::Client::new()
        .post(url)
        .body(reqwest::Body::wrap_stream(trickle))
        .send()
        .await
        .unwrap();
    response.status()
}

#[tokio::test]
async fn bodies_that_trickle_are_ended_and_hold_up_no_known_token() {
    let stack = stack().await;
    let (_, _, plex) = following(stack.gateway.addr).await;
    let url = format!("{}{}", stack.url(), plex.replace("/plex/", "/jellyfin/"));
    let json = "application/json";
    // Known: media-service has accepted it.
    let play = |n: i32| json!({"NotificationType": "PlaybackStart", "ItemId": n}).to_string();
    assert_eq!(status(&url, json, play(1)).await, StatusCode::OK);
    // Made-up tokens trickling their bodies take the places of tokens not
    // seen yet, and only those.
    let base = stack.url();
    let strangers: Vec<_> = (0..8)
        .map(|n| {
            let stranger = format!("{base}/scrobble/jellyfin/{n:0>43}");
            tokio::spawn(async move { trickle(&stranger).await })
        })
        .collect();
    // Refused once every stranger holds its place (however long a loaded
    // machine takes to open them).
    let one_more = format!("{base}/scrobble/jellyfin/{}", "B".repeat(43));
    let mut answered = StatusCode::OK;
    for _ in 0..100 {
        answered = status(&one_more, json, "{}").await;
        if answered == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(answered, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(status(&url, json, play(2)).await, StatusCode::OK);
    for stranger in strangers {
        assert_eq!(stranger.await.unwrap(), StatusCode::REQUEST_TIMEOUT);
    }
}

#[tokio::test]
async fn the_internal_intake_service_is_not_forwarded() {
    let stack = Stack::spawn().await;
    let refused = ScrobbleIntakeServiceClient::new(stack.gateway.channel.clone())
        .record_scrobble(RecordScrobbleRequest {
            token: "x".into(),
            server: MediaServer::Plex.into(),
            ..Default::default()
        })
        .await;
    assert_eq!(refused.unwrap_err().code(), Code::Unimplemented);
    let names = test_support::reflection::list_services(stack.gateway.channel.clone()).await;
    assert!(
        !names.iter().any(|n| n.contains("ScrobbleIntake")),
        "{names:?}"
    );
}

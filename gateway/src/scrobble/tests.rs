//! The payload parsers against payloads shaped as each server sends them,
//! and against anything at all.

use completionist_proto::media as pb;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{emby, jellyfin, kodi, plex};

fn plex_episode(event: &str) -> Value {
    json!({
        "event": event, "user": true, "owner": true,
        "Account": {"id": 1, "thumb": "https://plex.tv/users/1/avatar", "title": "alice"},
        "Server": {"title": "box", "uuid": "0af6"},
        "Player": {"local": true, "publicAddress": "203.0.113.7", "title": "TV", "uuid": "x1"},
        "Metadata": {
            "librarySectionType": "show", "ratingKey": "5331", "key": "/library/metadata/5331",
            "guid": "plex://episode/5d9c086c46115600200aa2fe", "type": "episode",
            "title": "Winter Is Coming", "grandparentTitle": "Game of Thrones",
            "parentIndex": 1, "index": 1, "year": 2011,
            "Guid": [{"id": "imdb://tt1480055"}, {"id": "tmdb://63056"}, {"id": "tvdb://3254641"}]
        }
    })
}

#[test]
fn plex_scrobble_of_an_episode() {
    let event = plex::parse(&plex_episode("media.scrobble"));
    assert!(event.watched);
    assert_eq!(event.server(), pb::MediaServer::Plex);
    assert_eq!(event.kind(), pb::PlayedKind::Episode);
    assert_eq!(event.server_user, "alice");
    assert_eq!(event.series_title, "Game of Thrones");
    assert_eq!((event.season, event.episode), (Some(1), Some(1)));
    let ids = event.ids.unwrap_or_default();
    assert_eq!(
        (ids.imdb.as_str(), ids.tmdb.as_str(), ids.tvdb.as_str()),
        ("tt1480055", "63056", "3254641")
    );
    assert_eq!(event.item_key, "5331");
    assert_eq!(
        event.series_ids.unwrap_or_default(),
        pb::PlayedIds::default()
    );
    assert!(!plex::parse(&plex_episode("media.stop")).watched);
}

#[test]
fn plex_older_agents_name_the_series_by_its_tvdb_id() {
    for (field, guid) in [
        (
            "grandparentGuid",
            "com.plexapp.agents.thetvdb://121361?lang=en",
        ),
        ("guid", "com.plexapp.agents.thetvdb://121361/1/1?lang=en"),
    ] {
        let mut payload = plex_episode("media.scrobble");
        payload["Metadata"][field] = json!(guid);
        let ids = plex::parse(&payload).series_ids.unwrap_or_default();
        assert_eq!(ids.tvdb, "121361", "{guid}");
    }
    let mut payload = plex_episode("media.scrobble");
    payload["Metadata"]["guid"] = json!("com.plexapp.agents.thetvdb://12x4/1/1");
    assert_eq!(
        plex::parse(&payload).series_ids.unwrap_or_default().tvdb,
        ""
    );
}

#[test]
fn jellyfin_stop_of_a_two_episode_file() {
    let body = json!({
        "ServerId": "e0b1", "ServerName": "jf", "ServerVersion": "10.10.3",
        "NotificationType": "PlaybackStop", "Timestamp": "2026-12-06T21:04:05.1234567+01:00",
        "UtcTimestamp": "2026-12-06T20:04:05.1234567Z", "Name": "Pilot (1) & (2)",
        "ItemId": "8f2c", "ItemType": "Episode", "SeriesName": "Lost",
        "SeasonNumber": 1, "EpisodeNumber": 1, "EpisodeNumberEnd": 2, "Year": 2004,
        "Provider_imdb": "tt0636289", "Provider_tvdb": "127131",
        "PlayedToCompletion": true, "NotificationUsername": "bob", "UserId": "u1"
    });
    let event = jellyfin::parse(&body);
    assert!(event.watched);
    assert_eq!(event.kind(), pb::PlayedKind::Episode);
    assert_eq!(
        (event.season, event.episode, event.last_episode),
        (Some(1), Some(1), Some(2))
    );
    assert_eq!(event.server_user, "bob");
    assert_eq!(event.event_time.map(|t| t.seconds), Some(1_796_587_445));
    let mut stopped = body;
    stopped["PlayedToCompletion"] = json!(false);
    assert!(!jellyfin::parse(&stopped).watched);
}

#[test]
fn emby_stop_of_a_movie() {
    let body = json!({
        "Title": "bob has finished playing Heat", "Date": "2026-12-06T20:00:00.0000000Z",
        "Event": "playback.stop", "User": {"Name": "bob", "Id": "u2"},
        "Item": {"Name": "Heat", "Id": "77", "Type": "Movie", "ProductionYear": 1995,
                 "ProviderIds": {"Imdb": "tt0113277", "Tmdb": "949"}},
        "PlaybackInfo": {"PlayedToCompletion": true, "PositionTicks": 102_000_000_000_i64}
    });
    let event = emby::parse(&body);
    assert!(event.watched);
    assert_eq!(event.kind(), pb::PlayedKind::Movie);
    assert_eq!((event.title.as_str(), event.year), ("Heat", 1995));
    assert_eq!(event.ids.unwrap_or_default().imdb, "tt0113277");
    assert_eq!((event.season, event.episode), (None, None));
}

#[test]
fn kodi_stop_counts_past_eighty_percent() {
    let body = |event: &str, progress: f64| {
        json!({
            "event": event, "progress": progress, "user": "kodi",
            "item": {"type": "episode", "title": "Pilot", "showtitle": "Lost", "season": "1",
                     "episode": "1", "uniqueid": {"imdb": "tt0636289", "tvdb": "127131"}}
        })
    };
    assert!(kodi::parse(&body("stop", 85.0)).watched);
    assert!(!kodi::parse(&body("stop", 40.0)).watched);
    assert!(kodi::parse(&body("end", 0.0)).watched);
    assert_eq!(kodi::parse(&body("end", 0.0)).season, Some(1));
}

#[test]
fn strings_lose_control_characters_and_ids_must_look_like_ids() {
    let mut body = plex_episode("media.scrobble");
    body["Account"]["title"] = json!("al\u{0}ice\u{7}");
    body["Metadata"]["Guid"] = json!([{"id": "imdb://tt1480055\u{0}"}, {"id": "tmdb://../../etc"}]);
    let event = plex::parse(&body);
    assert_eq!(event.server_user, "alice");
    let ids = event.ids.unwrap_or_default();
    assert_eq!((ids.imdb.as_str(), ids.tmdb.as_str()), ("tt1480055", ""));
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("event".to_owned()),
                    Just("Metadata".to_owned()),
                    Just("Item".to_owned()),
                    Just("item".to_owned()),
                    Just("Guid".to_owned()),
                    Just("id".to_owned()),
                    Just("type".to_owned()),
                    Just("ItemType".to_owned()),
                    Just("Type".to_owned()),
                    Just("NotificationType".to_owned()),
                    Just("progress".to_owned()),
                    Just("UtcTimestamp".to_owned()),
                    Just("Date".to_owned()),
                    ".{0,8}",
                ],
                inner,
                0..8,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    /// No payload, however odd, makes a parser panic.
    #[test]
    fn parsers_take_any_json(value in any_json()) {
        for parse in [plex::parse, jellyfin::parse, emby::parse, kodi::parse] {
            let event = parse(&value);
            prop_assert!(event.server_user.chars().count() <= 300);
        }
    }
}

/// A body made of multipart's own pieces and stray bytes.
fn any_body() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"--b\r\n".to_vec()),
        Just(b"--b--\r\n".to_vec()),
        Just(b"Content-Disposition: form-data; name=\"payload\"\r\n\r\n".to_vec()),
        Just(b"Content-Disposition: form-data; name=\"thumb\"\r\n\r\n".to_vec()),
        Just(b"{\"event\":\"media.scrobble\"}\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..64),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    /// No body, however odd, makes the reading panic: it is JSON bytes, or
    /// refused.
    #[test]
    fn bodies_are_read_or_refused(body in any_body(), multipart in any::<bool>()) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut headers = http::HeaderMap::new();
        if multipart {
            let kind = http::HeaderValue::from_static("multipart/form-data; boundary=b");
            headers.insert(http::header::CONTENT_TYPE, kind);
        }
        let read = runtime.block_on(super::body::json(&headers, axum::body::Body::from(body)));
        if let Ok(json) = read {
            prop_assert!(json.len() <= super::body::MAX_JSON);
        }
    }
}

//! Kodi, as the common webhook add-ons send it: a JSON object with the
//! `event` (`start`, `pause`, `resume`, `stop`, `end`), the `progress` in
//! percent, the server's `user`, and the `item` as Kodi's video library
//! describes it (`type` `movie` or `episode`, `title`, `showtitle`,
//! `season`, `episode`, `year`, `uniqueid.{imdb,tmdb,tvdb}` or
//! `imdbnumber`). Watched is `end`, or `stop` past [`WATCHED_PERCENT`].

use completionist_proto::media as pb;
use serde_json::Value;

use super::fields::{at, imdb, number, numeric_id, percent, text};

/// How far a stopped play must have gone to count as watched.
const WATCHED_PERCENT: f64 = 80.0;

/// The event of a Kodi body.
pub(super) fn parse(body: &Value) -> pb::RecordScrobbleRequest {
    let event = text(body, &["event"]);
    let item = at(body, &["item"]).unwrap_or(&Value::Null);
    let kind = match text(item, &["type"]).as_str() {
        "movie" => pb::PlayedKind::Movie,
        "episode" => pb::PlayedKind::Episode,
        _ => pb::PlayedKind::Other,
    };
    let episode = kind == pb::PlayedKind::Episode;
    let progress = percent(body, &["progress"]).unwrap_or_default();
    let watched = event == "end" || (event == "stop" && progress >= WATCHED_PERCENT);
    let mut imdb_id = imdb(&text(item, &["uniqueid", "imdb"]));
    if imdb_id.is_empty() {
        imdb_id = imdb(&text(item, &["imdbnumber"]));
    }
    pb::RecordScrobbleRequest {
        server: pb::MediaServer::Kodi.into(),
        server_user: text(body, &["user"]),
        watched,
        event,
        kind: kind.into(),
        title: text(item, &["title"]),
        series_title: if episode {
            text(item, &["showtitle"])
        } else {
            String::new()
        },
        year: number(item, &["year"]).unwrap_or_default(),
        ids: Some(pb::PlayedIds {
            imdb: imdb_id,
            tmdb: numeric_id(&text(item, &["uniqueid", "tmdb"])),
            tvdb: numeric_id(&text(item, &["uniqueid", "tvdb"])),
        }),
        season: number(item, &["season"]).filter(|_| episode),
        episode: number(item, &["episode"]).filter(|_| episode),
        item_key: text(item, &["id"]),
        ..Default::default()
    }
}

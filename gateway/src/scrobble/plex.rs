//! Plex's webhook: `multipart/form-data` whose `payload` part is JSON (a
//! `thumb` part, a JPEG, comes with some events and is skipped). Watched is
//! `media.scrobble` (Plex sends it past 90%); the ids are `Metadata.Guid[]`
//! ("imdb://…", "tmdb://…", "tvdb://…"), the episode's own for an episode;
//! `grandparentTitle`, `parentIndex` and `index` name the series, season and
//! episode; `Account.title` is the server's user.

use completionist_proto::media as pb;
use serde_json::Value;

use super::fields::{at, clean, imdb, number, numeric_id, text};

/// The event of a Plex `payload` part.
pub(super) fn parse(payload: &Value) -> pb::RecordScrobbleRequest {
    let event = text(payload, &["event"]);
    let metadata = at(payload, &["Metadata"]).unwrap_or(&Value::Null);
    let kind = match text(metadata, &["type"]).as_str() {
        "movie" => pb::PlayedKind::Movie,
        "episode" => pb::PlayedKind::Episode,
        _ => pb::PlayedKind::Other,
    };
    let episode = kind == pb::PlayedKind::Episode;
    pb::RecordScrobbleRequest {
        server: pb::MediaServer::Plex.into(),
        server_user: text(payload, &["Account", "title"]),
        watched: event == "media.scrobble",
        event,
        kind: kind.into(),
        title: text(metadata, &["title"]),
        series_title: if episode {
            text(metadata, &["grandparentTitle"])
        } else {
            String::new()
        },
        year: number(metadata, &["year"]).unwrap_or_default(),
        ids: Some(guids(metadata)),
        season: number(metadata, &["parentIndex"]).filter(|_| episode),
        episode: number(metadata, &["index"]).filter(|_| episode),
        item_key: text(metadata, &["ratingKey"]),
        ..Default::default()
    }
}

/// The ids in `Metadata.Guid[]`: `{"id": "imdb://tt…"}` and the like.
fn guids(metadata: &Value) -> pb::PlayedIds {
    let mut ids = pb::PlayedIds::default();
    let Some(Value::Array(guids)) = at(metadata, &["Guid"]) else {
        return ids;
    };
    // A real item has three or four; more is not Plex.
    for guid in guids.iter().take(16) {
        let Some(Value::String(id)) = guid.get("id") else {
            continue;
        };
        let id = clean(id);
        if let Some(value) = id.strip_prefix("imdb://") {
            ids.imdb = imdb(value);
        } else if let Some(value) = id.strip_prefix("tmdb://") {
            ids.tmdb = numeric_id(value);
        } else if let Some(value) = id.strip_prefix("tvdb://") {
            ids.tvdb = numeric_id(value);
        }
    }
    ids
}

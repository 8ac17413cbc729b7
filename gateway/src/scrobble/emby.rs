//! Emby's webhook: JSON (4.9 and later), or `multipart/form-data` with the
//! same JSON in a `data` part (earlier). Watched is `playback.stop` with
//! `PlaybackInfo.PlayedToCompletion`; `Item.Type` is `Movie` or `Episode`,
//! with `SeriesName`, `ParentIndexNumber` (season), `IndexNumber` and
//! `IndexNumberEnd`, and `ProviderIds.{Imdb,Tmdb,Tvdb}`; `User.Name` is the
//! server's user.

use completionist_proto::media as pb;
use serde_json::Value;

use super::fields::{at, flag, imdb, number, numeric_id, text, time};

/// The event of an Emby body (or `data` part).
pub(super) fn parse(body: &Value) -> pb::RecordScrobbleRequest {
    let event = text(body, &["Event"]);
    let item = at(body, &["Item"]).unwrap_or(&Value::Null);
    let kind = match text(item, &["Type"]).as_str() {
        "Movie" => pb::PlayedKind::Movie,
        "Episode" => pb::PlayedKind::Episode,
        _ => pb::PlayedKind::Other,
    };
    let episode = kind == pb::PlayedKind::Episode;
    pb::RecordScrobbleRequest {
        server: pb::MediaServer::Emby.into(),
        server_user: text(body, &["User", "Name"]),
        watched: event == "playback.stop" && flag(body, &["PlaybackInfo", "PlayedToCompletion"]),
        event,
        kind: kind.into(),
        title: text(item, &["Name"]),
        series_title: if episode {
            text(item, &["SeriesName"])
        } else {
            String::new()
        },
        year: number(item, &["ProductionYear"]).unwrap_or_default(),
        ids: Some(pb::PlayedIds {
            imdb: imdb(&text(item, &["ProviderIds", "Imdb"])),
            tmdb: numeric_id(&text(item, &["ProviderIds", "Tmdb"])),
            tvdb: numeric_id(&text(item, &["ProviderIds", "Tvdb"])),
        }),
        season: number(item, &["ParentIndexNumber"]).filter(|_| episode),
        episode: number(item, &["IndexNumber"]).filter(|_| episode),
        last_episode: number(item, &["IndexNumberEnd"]).filter(|_| episode),
        item_key: text(item, &["Id"]),
        event_time: time(body, &["Date"]),
        ..Default::default()
    }
}

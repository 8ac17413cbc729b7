//! Jellyfin's webhook plugin with "Send All Properties": one flat JSON
//! object, often sent as `text/plain`. Watched is `PlaybackStop` with
//! `PlayedToCompletion`; `ItemType` is `Movie` or `Episode`; a file holding
//! several episodes gives `EpisodeNumberEnd`; `Provider_imdb`,
//! `Provider_tmdb` and `Provider_tvdb` are the item's own ids;
//! `NotificationUsername` is the server's user.

use completionist_proto::media as pb;
use serde_json::Value;

use super::fields::{flag, imdb, number, numeric_id, text, time};

/// The event of a Jellyfin body.
pub(super) fn parse(body: &Value) -> pb::RecordScrobbleRequest {
    let event = text(body, &["NotificationType"]);
    let kind = match text(body, &["ItemType"]).as_str() {
        "Movie" => pb::PlayedKind::Movie,
        "Episode" => pb::PlayedKind::Episode,
        _ => pb::PlayedKind::Other,
    };
    let episode = kind == pb::PlayedKind::Episode;
    pb::RecordScrobbleRequest {
        server: pb::MediaServer::Jellyfin.into(),
        server_user: text(body, &["NotificationUsername"]),
        watched: event == "PlaybackStop" && flag(body, &["PlayedToCompletion"]),
        event,
        kind: kind.into(),
        title: text(body, &["Name"]),
        series_title: if episode {
            text(body, &["SeriesName"])
        } else {
            String::new()
        },
        year: number(body, &["Year"]).unwrap_or_default(),
        ids: Some(pb::PlayedIds {
            imdb: imdb(&text(body, &["Provider_imdb"])),
            tmdb: numeric_id(&text(body, &["Provider_tmdb"])),
            tvdb: numeric_id(&text(body, &["Provider_tvdb"])),
        }),
        season: number(body, &["SeasonNumber"]).filter(|_| episode),
        episode: number(body, &["EpisodeNumber"]).filter(|_| episode),
        last_episode: number(body, &["EpisodeNumberEnd"]).filter(|_| episode),
        item_key: text(body, &["ItemId"]),
        event_time: time(body, &["UtcTimestamp"]),
        ..Default::default()
    }
}

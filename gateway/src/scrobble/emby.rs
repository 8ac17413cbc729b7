//! Emby's webhook: JSON (4.9 and later), or `multipart/form-data` with the
//! same JSON in a `data` part (earlier). Watched is `playback.stop` with
//! `PlaybackInfo.PlayedToCompletion`; `Item.Type` is `Movie` or `Episode`,
//! with `SeriesName`, `ParentIndexNumber` (season), `IndexNumber` and
//! `IndexNumberEnd`, and `ProviderIds.{Imdb,Tmdb,Tvdb}`; `User.Name` is the
//! server's user.

use completionist_proto::media as pb;
use serde_json::Value;

use super::{fields::flag, shape::Shape};

const SHAPE: Shape = Shape {
    server: pb::MediaServer::Emby,
    event: &["Event"],
    user: &["User", "Name"],
    kind: (&["Item", "Type"], "Movie", "Episode"),
    title: &["Item", "Name"],
    series_title: &["Item", "SeriesName"],
    year: &["Item", "ProductionYear"],
    ids: [
        &["Item", "ProviderIds", "Imdb"],
        &["Item", "ProviderIds", "Tmdb"],
        &["Item", "ProviderIds", "Tvdb"],
    ],
    season: &["Item", "ParentIndexNumber"],
    episode: &["Item", "IndexNumber"],
    last_episode: &["Item", "IndexNumberEnd"],
    item_key: &["Item", "Id"],
    time: &["Date"],
};

/// The event of an Emby body (or `data` part).
pub(super) fn parse(body: &Value) -> pb::RecordScrobbleRequest {
    let mut event = SHAPE.read(body);
    event.watched =
        event.event == "playback.stop" && flag(body, &["PlaybackInfo", "PlayedToCompletion"]);
    event
}

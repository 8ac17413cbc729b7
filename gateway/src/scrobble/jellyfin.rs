//! Jellyfin's webhook plugin with "Send All Properties": one flat JSON
//! object, often sent as `text/plain`. Watched is `PlaybackStop` with
//! `PlayedToCompletion`; `ItemType` is `Movie` or `Episode`; a file holding
//! several episodes gives `EpisodeNumberEnd`; `Provider_imdb`,
//! `Provider_tmdb` and `Provider_tvdb` are the item's own ids;
//! `NotificationUsername` is the server's user.

use completionist_proto::media as pb;
use serde_json::Value;

use super::{fields::flag, shape::Shape};

const SHAPE: Shape = Shape {
    server: pb::MediaServer::Jellyfin,
    event: &["NotificationType"],
    user: &["NotificationUsername"],
    kind: (&["ItemType"], "Movie", "Episode"),
    title: &["Name"],
    series_title: &["SeriesName"],
    year: &["Year"],
    ids: [&["Provider_imdb"], &["Provider_tmdb"], &["Provider_tvdb"]],
    season: &["SeasonNumber"],
    episode: &["EpisodeNumber"],
    last_episode: &["EpisodeNumberEnd"],
    item_key: &["ItemId"],
    time: &["UtcTimestamp"],
};

/// The event of a Jellyfin body.
pub(super) fn parse(body: &Value) -> pb::RecordScrobbleRequest {
    let mut event = SHAPE.read(body);
    event.watched = event.event == "PlaybackStop" && flag(body, &["PlayedToCompletion"]);
    event
}

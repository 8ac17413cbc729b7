//! Kodi, as the common webhook add-ons send it: a JSON object with the
//! `event` (`start`, `pause`, `resume`, `stop`, `end`), the `progress` in
//! percent, the server's `user`, and the `item` as Kodi's video library
//! describes it (`type` `movie` or `episode`, `title`, `showtitle`,
//! `season`, `episode`, `year`, `uniqueid.{imdb,tmdb,tvdb}` or
//! `imdbnumber`). Watched is `end`, or `stop` past [`WATCHED_PERCENT`].

use completionist_proto::media as pb;
use serde_json::Value;

use super::{
    fields::{imdb, percent, text},
    shape::Shape,
};

/// How far a stopped play must have gone to count as watched.
const WATCHED_PERCENT: f64 = 80.0;

const SHAPE: Shape = Shape {
    server: pb::MediaServer::Kodi,
    event: &["event"],
    user: &["user"],
    kind: (&["item", "type"], "movie", "episode"),
    title: &["item", "title"],
    series_title: &["item", "showtitle"],
    year: &["item", "year"],
    ids: [
        &["item", "uniqueid", "imdb"],
        &["item", "uniqueid", "tmdb"],
        &["item", "uniqueid", "tvdb"],
    ],
    season: &["item", "season"],
    episode: &["item", "episode"],
    last_episode: &[],
    item_key: &["item", "id"],
    time: &[],
};

/// The event of a Kodi body.
pub(super) fn parse(body: &Value) -> pb::RecordScrobbleRequest {
    let mut event = SHAPE.read(body);
    let progress = percent(body, &["progress"]).unwrap_or_default();
    event.watched = event.event == "end" || (event.event == "stop" && progress >= WATCHED_PERCENT);
    if let Some(ids) = event.ids.as_mut()
        && ids.imdb.is_empty()
    {
        ids.imdb = imdb(&text(body, &["item", "imdbnumber"]));
    }
    event
}

//! Plex's webhook: `multipart/form-data` whose `payload` part is JSON (a
//! `thumb` part, a JPEG, comes with some events and is skipped). Watched is
//! `media.scrobble` (Plex sends it past 90%); the ids are `Metadata.Guid[]`
//! ("imdb://…", "tmdb://…", "tvdb://…"), the episode's own for an episode;
//! `grandparentTitle`, `parentIndex` and `index` name the series, season and
//! episode; `Account.title` is the server's user.

use completionist_proto::media as pb;
use serde_json::Value;

use super::{
    fields::{at, clean, imdb, numeric_id},
    shape::Shape,
};

const SHAPE: Shape = Shape {
    server: pb::MediaServer::Plex,
    event: &["event"],
    user: &["Account", "title"],
    kind: (&["Metadata", "type"], "movie", "episode"),
    title: &["Metadata", "title"],
    series_title: &["Metadata", "grandparentTitle"],
    year: &["Metadata", "year"],
    // In `Metadata.Guid[]`, read by `guids`.
    ids: [&[], &[], &[]],
    season: &["Metadata", "parentIndex"],
    episode: &["Metadata", "index"],
    last_episode: &[],
    item_key: &["Metadata", "ratingKey"],
    time: &[],
};

/// The event of a Plex `payload` part.
pub(super) fn parse(payload: &Value) -> pb::RecordScrobbleRequest {
    let mut event = SHAPE.read(payload);
    event.watched = event.event == "media.scrobble";
    let metadata = at(payload, &["Metadata"]).unwrap_or(&Value::Null);
    event.ids = Some(guids(metadata));
    event.series_ids = Some(series_ids(metadata));
    event
}

/// The series' ids an episode names through Plex's older TheTVDB agent:
/// its `grandparentGuid` (or its own `guid`) is
/// `com.plexapp.agents.thetvdb://81189/1/1?lang=en`. The newer agent's
/// `plex://show/…` names no one else's id, and the HAMA anime agent's
/// TheTVDB ids are not taken: anime are Jikan's here, matched by title.
fn series_ids(metadata: &Value) -> pb::PlayedIds {
    let mut ids = pb::PlayedIds::default();
    for path in [&["grandparentGuid"], &["guid"]] {
        let Some(Value::String(guid)) = at(metadata, path) else {
            continue;
        };
        if let Some(show) = guid.strip_prefix("com.plexapp.agents.thetvdb://") {
            let end = show.find(['/', '?']).unwrap_or(show.len());
            ids.tvdb = numeric_id(&show[..end]);
            if !ids.tvdb.is_empty() {
                break;
            }
        }
    }
    ids
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

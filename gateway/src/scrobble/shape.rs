//! Where a server's payload keeps each field of the event: every server
//! names them its own way, and reads them the same way from there.

use completionist_proto::media as pb;
use serde_json::Value;

use super::fields::{imdb, number, numeric_id, text, time};

/// A path into the payload: object keys, one level each.
type Path = &'static [&'static str];

/// One server's names for the fields of an event.
pub(super) struct Shape {
    pub(super) server: pb::MediaServer,
    pub(super) event: Path,
    pub(super) user: Path,
    /// The item's type, and its values for a movie and an episode.
    pub(super) kind: (Path, &'static str, &'static str),
    pub(super) title: Path,
    pub(super) series_title: Path,
    pub(super) year: Path,
    /// IMDb, TMDB and TVDB ids; empty paths where the server keeps them
    /// elsewhere (Plex).
    pub(super) ids: [Path; 3],
    pub(super) season: Path,
    pub(super) episode: Path,
    pub(super) last_episode: Path,
    pub(super) item_key: Path,
    pub(super) time: Path,
}

impl Shape {
    /// The event `body` describes (whether it was a watch is each
    /// server's own rule, left to the caller).
    pub(super) fn read(&self, body: &Value) -> pb::RecordScrobbleRequest {
        let (kind_path, movie, episode) = self.kind;
        let kind = match text(body, kind_path) {
            k if k == movie => pb::PlayedKind::Movie,
            k if k == episode => pb::PlayedKind::Episode,
            _ => pb::PlayedKind::Other,
        };
        let is_episode = kind == pb::PlayedKind::Episode;
        let episode_number = |path: Path| number(body, path).filter(|_| is_episode);
        let [imdb_path, tmdb_path, tvdb_path] = self.ids;
        pb::RecordScrobbleRequest {
            server: self.server.into(),
            server_user: text(body, self.user),
            event: text(body, self.event),
            kind: kind.into(),
            title: text(body, self.title),
            series_title: if is_episode {
                text(body, self.series_title)
            } else {
                String::new()
            },
            year: number(body, self.year).unwrap_or_default(),
            ids: Some(pb::PlayedIds {
                imdb: imdb(&text(body, imdb_path)),
                tmdb: numeric_id(&text(body, tmdb_path)),
                tvdb: numeric_id(&text(body, tvdb_path)),
            }),
            season: episode_number(self.season),
            episode: episode_number(self.episode),
            last_episode: episode_number(self.last_episode),
            item_key: text(body, self.item_key),
            event_time: time(body, self.time),
            ..Default::default()
        }
    }
}

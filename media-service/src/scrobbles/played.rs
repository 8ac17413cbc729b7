//! A playback event as the gateway read it from a media server's webhook,
//! checked: what the rest of scrobbling works with.

use chrono::{DateTime, Utc};
use completionist_common::error::Violations;
use completionist_proto::media as pb;
use sha2::{Digest, Sha256};

use crate::error::Error;

/// Characters a text field of an event may have (the gateway cuts to 300).
const MAX_TEXT: usize = 500;
/// Episodes one file may hold (a double or triple episode; a whole season
/// is not a file).
const MAX_EPISODES_PER_FILE: i32 = 10;
/// Numbers a season or an episode may have.
const MAX_NUMBER: i32 = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Server {
    Plex,
    Jellyfin,
    Emby,
    Kodi,
}

impl Server {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Plex => "plex",
            Self::Jellyfin => "jellyfin",
            Self::Emby => "emby",
            Self::Kodi => "kodi",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        [Self::Plex, Self::Jellyfin, Self::Emby, Self::Kodi]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    pub(crate) fn to_proto(self) -> pb::MediaServer {
        match self {
            Self::Plex => pb::MediaServer::Plex,
            Self::Jellyfin => pb::MediaServer::Jellyfin,
            Self::Emby => pb::MediaServer::Emby,
            Self::Kodi => pb::MediaServer::Kodi,
        }
    }

    pub(crate) const ALL: [Self; 4] = [Self::Plex, Self::Jellyfin, Self::Emby, Self::Kodi];
}

/// What was played.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Played {
    Movie,
    /// Episodes `first..=last` of a season (one, or the range of a file
    /// holding several).
    Episodes {
        season: i32,
        first: i32,
        last: i32,
    },
    /// An episode the server gave no season or number for.
    UnnumberedEpisode,
    Other,
}

impl Played {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Movie => "movie",
            Self::Episodes { .. } | Self::UnnumberedEpisode => "episode",
            Self::Other => "other",
        }
    }
}

/// Ids a server gave, each checked by the gateway's reading ("tt…", digits).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Ids {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) imdb: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) tmdb: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) tvdb: String,
}

impl From<Option<pb::PlayedIds>> for Ids {
    fn from(ids: Option<pb::PlayedIds>) -> Self {
        let pb::PlayedIds { imdb, tmdb, tvdb } = ids.unwrap_or_default();
        Self { imdb, tmdb, tvdb }
    }
}

/// The ids of an item and of its series, as stored with an event.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct EventIds {
    #[serde(default)]
    pub(crate) item: Ids,
    #[serde(default)]
    pub(crate) series: Ids,
}

/// One delivery, checked.
#[derive(Clone, Debug)]
pub(crate) struct Event {
    pub(crate) server: Server,
    pub(crate) server_user: String,
    pub(crate) event: String,
    pub(crate) watched: bool,
    pub(crate) played: Played,
    pub(crate) title: String,
    pub(crate) series_title: String,
    pub(crate) year: Option<i32>,
    pub(crate) ids: EventIds,
    pub(crate) item_key: String,
    pub(crate) at: DateTime<Utc>,
    pub(crate) digest: Vec<u8>,
}

impl Event {
    /// The request's event (its token taken already); a field out of
    /// bounds is refused by name (the gateway answers 400).
    pub(crate) fn read(request: pb::RecordScrobbleRequest) -> Result<Self, Error> {
        let mut v = Violations::default();
        let server = match request.server() {
            pb::MediaServer::Plex => Some(Server::Plex),
            pb::MediaServer::Jellyfin => Some(Server::Jellyfin),
            pb::MediaServer::Emby => Some(Server::Emby),
            pb::MediaServer::Kodi => Some(Server::Kodi),
            pb::MediaServer::Unspecified => {
                v.add("server", "must name a media server");
                None
            }
        };
        for (field, text) in [
            ("server_user", &request.server_user),
            ("event", &request.event),
            ("title", &request.title),
            ("series_title", &request.series_title),
            ("item_key", &request.item_key),
        ] {
            if text.chars().count() > MAX_TEXT || text.contains('\0') {
                v.add(
                    field,
                    format!("must be at most {MAX_TEXT} characters, without NUL"),
                );
            }
        }
        let played = played(&request, &mut v);
        if request.delivery_digest.len() != 32 {
            v.add("delivery_digest", "must be a SHA-256 digest");
        }
        let at = match request.event_time {
            None => Utc::now(),
            // A server's clock may be off; a play is never in the future.
            Some(t) => DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0))
                .map_or_else(Utc::now, |t| t.min(Utc::now())),
        };
        let (server,) = v.finish((server,))?;
        Ok(Self {
            server,
            server_user: request.server_user,
            event: request.event,
            watched: request.watched,
            played,
            title: request.title,
            series_title: request.series_title,
            year: (request.year > 0).then_some(request.year),
            ids: EventIds {
                item: request.ids.into(),
                series: request.series_ids.into(),
            },
            item_key: request.item_key,
            at,
            digest: delivery_key(&request.delivery_digest, request.event_time.is_some()),
        })
    }

    /// The key a server's show is pinned by: its title in lower case.
    pub(crate) fn show_key(&self) -> String {
        self.series_title.trim().to_lowercase()
    }
}

/// A delivery's key: its body's digest, with the hour it came in when the
/// server gives no time of its own (Plex, Kodi). The same body retried
/// within the hour is the same delivery; a rewatch days later is not.
fn delivery_key(digest: &[u8], timed: bool) -> Vec<u8> {
    if timed {
        return digest.to_vec();
    }
    let hour = Utc::now().timestamp() / 3600;
    Sha256::new()
        .chain_update(digest)
        .chain_update(hour.to_be_bytes())
        .finalize()
        .to_vec()
}

fn played(request: &pb::RecordScrobbleRequest, v: &mut Violations) -> Played {
    match request.kind() {
        pb::PlayedKind::Movie => Played::Movie,
        pb::PlayedKind::Other | pb::PlayedKind::Unspecified => Played::Other,
        pb::PlayedKind::Episode => {
            let (Some(season), Some(first)) = (request.season, request.episode) else {
                return Played::UnnumberedEpisode;
            };
            if !(0..=MAX_NUMBER).contains(&season) {
                v.add("season", format!("must be 0 to {MAX_NUMBER}"));
            }
            if !(0..=MAX_NUMBER).contains(&first) {
                v.add("episode", format!("must be 0 to {MAX_NUMBER}"));
            }
            let last = request.last_episode.unwrap_or(first);
            if last < first || last - first >= MAX_EPISODES_PER_FILE {
                v.add(
                    "last_episode",
                    format!(
                        "must be from the episode to {} episodes on",
                        MAX_EPISODES_PER_FILE - 1
                    ),
                );
            }
            Played::Episodes {
                season,
                first,
                last,
            }
        }
    }
}

//! Series, episodes and watches: requests in, episodes and watches out.

use chrono::{DateTime, Utc};
use completionist_common::{error::Violations, time::timestamp};
use completionist_proto::media as pb;

use super::{ProtoEnum, date_to_proto, proto_enum};
use crate::{
    db::watches::Seen,
    domain::{Episode, EpisodeWatch, ShowStatus, parse_id},
    error::Error,
    series::{MarkRequest, Selection, UnmarkRequest, WatchListing},
};

/// Episodes one request may name.
const MAX_NAMED: usize = 1000;

proto_enum!(ShowStatus, pb::ShowStatus, "show status" {
    Unknown, Running, Ended, NotFound,
});

fn selection(selection: Option<pb::EpisodeSelection>, v: &mut Violations) -> Option<Selection> {
    use pb::episode_selection::Selection as S;
    match selection.and_then(|s| s.selection) {
        None => {
            v.add(
                "selection",
                "is required: episodes, a season or everything up to one",
            );
            None
        }
        Some(S::Episodes(pb::EpisodeList { ids, numbers })) => {
            if ids.len() + numbers.len() > MAX_NAMED {
                v.add(
                    "selection.episodes",
                    format!("names more than {MAX_NAMED} episodes"),
                );
                return None;
            }
            if ids.is_empty() && numbers.is_empty() {
                v.add("selection.episodes", "names no episode");
                return None;
            }
            let ids: Vec<_> = ids
                .iter()
                .enumerate()
                .filter_map(|(i, id)| {
                    v.check(&format!("selection.episodes.ids[{i}]"), parse_id(id))
                })
                .collect();
            let numbers = numbers.iter().map(|n| (n.season, n.number)).collect();
            Some(Selection::Episodes { ids, numbers })
        }
        Some(S::Season(season)) => Some(Selection::Season(season)),
        Some(S::UpTo(pb::EpisodeNumber { season, number })) => {
            Some(Selection::UpTo(season, number))
        }
    }
}

fn entry_id(raw: &str, v: &mut Violations) -> Option<uuid::Uuid> {
    v.check("list_entry_id", parse_id(raw))
}

impl TryFrom<pb::MarkEpisodesWatchedRequest> for MarkRequest {
    type Error = Error;

    fn try_from(request: pb::MarkEpisodesWatchedRequest) -> Result<Self, Error> {
        let pb::MarkEpisodesWatchedRequest {
            list_entry_id,
            selection: chosen,
            watch_time,
        } = request;
        let mut v = Violations::default();
        let entry = entry_id(&list_entry_id, &mut v);
        let chosen = selection(chosen, &mut v);
        let at = match watch_time {
            None => Some(Utc::now()),
            Some(t) => {
                let at = DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0));
                match at {
                    Some(at) if at > Utc::now() + chrono::TimeDelta::minutes(1) => {
                        v.add("watch_time", "is in the future");
                        None
                    }
                    None => {
                        v.add("watch_time", "is not a time");
                        None
                    }
                    at => at,
                }
            }
        };
        let (entry, selection, at) = v.finish((entry, chosen, at))?;
        Ok(Self {
            entry,
            selection,
            at,
        })
    }
}

impl TryFrom<pb::UnmarkEpisodesWatchedRequest> for UnmarkRequest {
    type Error = Error;

    fn try_from(request: pb::UnmarkEpisodesWatchedRequest) -> Result<Self, Error> {
        let pb::UnmarkEpisodesWatchedRequest {
            list_entry_id,
            selection: chosen,
        } = request;
        let mut v = Violations::default();
        let entry = entry_id(&list_entry_id, &mut v);
        let chosen = selection(chosen, &mut v);
        let (entry, selection) = v.finish((entry, chosen))?;
        Ok(Self { entry, selection })
    }
}

impl TryFrom<pb::ListEpisodeWatchesRequest> for WatchListing {
    type Error = Error;

    fn try_from(request: pb::ListEpisodeWatchesRequest) -> Result<Self, Error> {
        let pb::ListEpisodeWatchesRequest {
            list_entry_id,
            page_size,
            page_token,
        } = request;
        let mut v = Violations::default();
        let entry = if list_entry_id.is_empty() {
            Some(None)
        } else {
            entry_id(&list_entry_id, &mut v).map(Some)
        };
        let size = v.check(
            "page_size",
            completionist_common::paging::PageSize::parse(page_size, 20, 100),
        );
        let (entry, size) = v.finish((entry, size))?;
        Ok(Self {
            entry,
            size,
            page_token,
        })
    }
}

/// An episode as the caller sees it: with their watches, if any.
pub(crate) fn episode(episode: Episode, seen: Seen, now: DateTime<Utc>) -> pb::Episode {
    let aired = episode.aired(now);
    let Episode {
        id,
        season,
        number,
        special,
        title,
        air_date,
        air_time,
        runtime_minutes,
        missing_upstream,
        updated_at: _,
    } = episode;
    pb::Episode {
        id: id.to_string(),
        season,
        number: if special { None } else { number },
        special,
        title,
        air_date: air_date.map(date_to_proto),
        air_time: air_time.map(timestamp),
        runtime_minutes: runtime_minutes.unwrap_or_default(),
        aired,
        missing_upstream,
        watched: seen.in_run,
        watch_count: i32::try_from(seen.count).unwrap_or(i32::MAX),
        last_watch_time: seen.last.map(timestamp),
    }
}

impl From<EpisodeWatch> for pb::EpisodeWatch {
    fn from(watch: EpisodeWatch) -> Self {
        let EpisodeWatch {
            id,
            entry_id,
            series_title,
            episode: watched,
            run,
            watched_at,
        } = watch;
        Self {
            id: id.to_string(),
            list_entry_id: entry_id.to_string(),
            title: series_title,
            episode: Some(episode(watched, Seen::default(), Utc::now())),
            run,
            watch_time: Some(timestamp(watched_at)),
        }
    }
}

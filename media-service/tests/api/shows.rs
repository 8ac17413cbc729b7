//! TVmaze and OMDb stand-ins for series, dated relative to now: an ended
//! show with a season 0, a special inside a season and a day-only episode;
//! a running show with episodes to come, one with no time of day and one
//! with no date. Helpers to put them on a list and to watch them.

use chrono::{DateTime, Duration, Utc};
use completionist_proto::media::{self as pb, MediaKind, MediaSource};
use serde_json::{Value, json};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{path, query_param},
};

use crate::helpers::{TestApp, authed, reference};

/// Futurama: ended; TVmaze 538, found through a redirect as TVmaze does.
pub(crate) const ENDED: &str = "tt0149460";
/// Severance: running; TVmaze 44933.
pub(crate) const RUNNING: &str = "tt11280740";

/// A TVmaze episode airing `days` from now (negative: aired) at `hour`
/// UTC, or all day when `hour` is `None`.
pub(crate) fn episode(
    id: i64,
    season: i32,
    number: Option<i32>,
    kind: &str,
    days: i64,
    hour: Option<u32>,
) -> Value {
    let day = (Utc::now() + Duration::days(days)).date_naive();
    let stamp: DateTime<Utc> = day.and_hms_opt(hour.unwrap_or(4), 0, 0).unwrap().and_utc();
    json!({
        "id": id, "name": format!("Episode {id}"), "season": season, "number": number,
        "type": kind, "airdate": day.to_string(),
        "airtime": hour.map_or(String::new(), |h| format!("{h:02}:00")),
        "airstamp": stamp.to_rfc3339(), "runtime": 30
    })
}

/// The ended show's episodes: S0 special; S1E1–3; a special in season 1;
/// S2E1 (day only) and S2E2. Five regular episodes in all.
pub(crate) fn ended_episodes() -> Value {
    json!([
        episode(100, 0, Some(1), "significant_special", -400, Some(20)),
        episode(101, 1, Some(1), "regular", -300, Some(20)),
        episode(102, 1, Some(2), "regular", -299, Some(20)),
        episode(103, 1, Some(3), "regular", -298, Some(20)),
        episode(104, 1, None, "insignificant_special", -297, None),
        episode(201, 2, Some(1), "regular", -200, None),
        episode(202, 2, Some(2), "regular", -199, Some(20)),
    ])
}

/// The running show's episodes: two aired, one in 4 days at 02:00 UTC,
/// one in 11 days (day only), one not dated yet.
pub(crate) fn running_episodes() -> Value {
    let mut tba = episode(305, 1, Some(5), "regular", 60, None);
    tba["airdate"] = Value::Null;
    tba["airstamp"] = Value::Null;
    json!([
        episode(301, 1, Some(1), "regular", -10, Some(2)),
        episode(302, 1, Some(2), "regular", -3, Some(2)),
        episode(303, 1, Some(3), "regular", 4, Some(2)),
        episode(304, 1, Some(4), "regular", 11, None),
        tba,
    ])
}

fn omdb_series(imdb: &str, title: &str) -> Value {
    json!({"Title": title, "Year": "2022–", "imdbID": imdb, "Type": "series",
           "Plot": "A show.", "Poster": "N/A", "Response": "True"})
}

/// Mounts both shows on OMDb and TVmaze.
pub(crate) async fn mount(app: &TestApp) {
    for (imdb, title) in [(ENDED, "Futurama"), (RUNNING, "Severance")] {
        Mock::given(path("/omdb/"))
            .and(query_param("i", imdb))
            .respond_with(ResponseTemplate::new(200).set_body_json(omdb_series(imdb, title)))
            .mount(&app.providers)
            .await;
    }
    let base = app.providers.uri();
    Mock::given(path("/tvmaze/lookup/shows"))
        .and(query_param("imdb", ENDED))
        .respond_with(
            ResponseTemplate::new(301)
                .insert_header("Location", format!("{base}/tvmaze/shows/538").as_str()),
        )
        .mount(&app.providers)
        .await;
    Mock::given(path("/tvmaze/lookup/shows"))
        .and(query_param("imdb", RUNNING))
        .respond_with(ResponseTemplate::new(200).set_body_json(show(44933, "Running")))
        .mount(&app.providers)
        .await;
    mount_show(app, 538, "Ended", ended_episodes()).await;
    mount_show(app, 44933, "Running", running_episodes()).await;
}

/// A TVmaze show's JSON.
pub(crate) fn show(id: i64, status: &str) -> Value {
    json!({"id": id, "name": "Show", "status": status,
           "network": {"country": {"timezone": "America/New_York"}},
           "externals": {"imdb": null, "thetvdb": null}})
}

/// Mounts TVmaze show `id` with `status` and `episodes`.
pub(crate) async fn mount_show(app: &TestApp, id: i64, status: &str, episodes: Value) {
    Mock::given(path(format!("/tvmaze/shows/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(show(id, status)))
        .mount(&app.providers)
        .await;
    Mock::given(path(format!("/tvmaze/shows/{id}/episodes")))
        .and(query_param("specials", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(episodes))
        .mount(&app.providers)
        .await;
}

impl TestApp {
    /// Puts series `imdb` on the caller's list with `status`.
    pub(crate) async fn add_series(
        &self,
        token: &str,
        imdb: &str,
        status: pb::ListStatus,
    ) -> pb::ListEntry {
        self.client()
            .add_list_entry(authed(
                token,
                pb::AddListEntryRequest {
                    media: Some(pb::add_list_entry_request::Media::Reference(reference(
                        MediaSource::Omdb,
                        MediaKind::Series,
                        imdb,
                    ))),
                    status: status as i32,
                    rating: None,
                    progress: 0,
                    notes: String::new(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .list_entry
            .unwrap()
    }

    pub(crate) async fn episodes(
        &self,
        token: &str,
        entry: &str,
    ) -> Result<pb::ListEpisodesResponse, tonic::Status> {
        self.client()
            .list_episodes(authed(
                token,
                pb::ListEpisodesRequest {
                    list_entry_id: entry.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    pub(crate) async fn mark(
        &self,
        token: &str,
        entry: &str,
        selection: pb::episode_selection::Selection,
        watch_time: Option<DateTime<Utc>>,
    ) -> Result<pb::MarkEpisodesWatchedResponse, tonic::Status> {
        self.client()
            .mark_episodes_watched(authed(
                token,
                pb::MarkEpisodesWatchedRequest {
                    list_entry_id: entry.into(),
                    selection: Some(pb::EpisodeSelection {
                        selection: Some(selection),
                    }),
                    watch_time: watch_time.map(completionist_common::time::timestamp),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    pub(crate) async fn unmark(
        &self,
        token: &str,
        entry: &str,
        selection: pb::episode_selection::Selection,
    ) -> Result<pb::UnmarkEpisodesWatchedResponse, tonic::Status> {
        self.client()
            .unmark_episodes_watched(authed(
                token,
                pb::UnmarkEpisodesWatchedRequest {
                    list_entry_id: entry.into(),
                    selection: Some(pb::EpisodeSelection {
                        selection: Some(selection),
                    }),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }
}

/// Selects episodes by number.
pub(crate) fn numbers(list: &[(i32, i32)]) -> pb::episode_selection::Selection {
    pb::episode_selection::Selection::Episodes(pb::EpisodeList {
        ids: Vec::new(),
        numbers: list
            .iter()
            .map(|(season, number)| pb::EpisodeNumber {
                season: *season,
                number: *number,
            })
            .collect(),
    })
}

/// Selects episodes by id.
pub(crate) fn ids(list: &[&str]) -> pb::episode_selection::Selection {
    pb::episode_selection::Selection::Episodes(pb::EpisodeList {
        ids: list.iter().map(|id| (*id).to_owned()).collect(),
        numbers: Vec::new(),
    })
}

pub(crate) fn up_to(season: i32, number: i32) -> pb::episode_selection::Selection {
    pb::episode_selection::Selection::UpTo(pb::EpisodeNumber { season, number })
}

/// Every episode of a ListEpisodes answer, in order.
pub(crate) fn all(list: &pb::ListEpisodesResponse) -> Vec<&pb::Episode> {
    list.seasons.iter().flat_map(|s| &s.episodes).collect()
}

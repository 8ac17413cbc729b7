//! TVmaze: the seasons and episodes of series (OMDb's, linked through
//! their IMDb id), and a show's IMDb id by its TheTVDB id (for media
//! servers' webhooks). No key. `/lookup/shows?imdb=` (or `?thetvdb=`)
//! answers a redirect to the show, whose `externals` hold its other ids; `/shows/{id}/episodes?specials=1` lists every episode, specials
//! with `number: null` and a `type` other than `regular`. `airstamp` is
//! UTC, `airtime` may be empty (only the day is known), `airdate` may be
//! null (to be announced). Published limit: 20 calls per 10 seconds, held
//! as one call every 550 ms with no burst (requests do not arrive as evenly
//! as they leave), the lookup's redirect followed here so that it takes its
//! own turn: no 10 s window ever holds more than 20.

use completionist_common::db::Pool;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::StatusCode;
use serde::Deserialize;

use super::{
    EpisodeInfo, ProviderError, ShowEpisodes,
    http::{HttpClient, Rate, Reply},
};
use crate::{config::ProvidersConfig, domain::ShowStatus};

pub(super) const NAME: &str = "TVmaze";

pub(super) struct Tvmaze {
    http: HttpClient,
    base_url: String,
}

#[derive(Deserialize)]
struct Show {
    id: i64,
    status: Option<String>,
    externals: Option<Externals>,
}

/// A show's ids elsewhere.
#[derive(Deserialize)]
struct Externals {
    imdb: Option<String>,
}

#[derive(Deserialize)]
struct Episode {
    id: i64,
    name: Option<String>,
    season: Option<i32>,
    number: Option<i32>,
    #[serde(rename = "type")]
    kind: Option<String>,
    airdate: Option<String>,
    airtime: Option<String>,
    airstamp: Option<String>,
    runtime: Option<i32>,
}

impl Tvmaze {
    pub(super) fn new(config: &ProvidersConfig, pool: &Pool) -> Result<Self, anyhow::Error> {
        Ok(Self {
            http: HttpClient::new(
                NAME,
                config,
                &[Rate {
                    count: 1,
                    per: Duration::from_millis(550),
                }],
                pool,
            )?
            .without_redirects(config)?,
            base_url: config.tvmaze_base_url.clone(),
        })
    }

    /// The episodes of the show with IMDb id `imdb_id`, or of TVmaze show
    /// `show_id` once it is known.
    pub(super) async fn episodes(
        &self,
        imdb_id: &str,
        show_id: Option<&str>,
    ) -> Result<ShowEpisodes, ProviderError> {
        let show = match show_id {
            Some(id) if id.parse::<u64>().is_ok() => {
                let url = format!("{}/shows/{id}", self.base_url);
                show(&self.http.get(&url, &[]).await?)?
            }
            _ => {
                let url = format!("{}/lookup/shows", self.base_url);
                let found = shown_at(&self.http.get(&url, &[("imdb", imdb_id)]).await?)?;
                let url = format!("{}/shows/{found}", self.base_url);
                show(&self.http.get(&url, &[]).await?)?
            }
        };
        let url = format!("{}/shows/{}/episodes", self.base_url, show.id);
        let reply = self.http.get(&url, &[("specials", "1")]).await?;
        Ok(ShowEpisodes {
            show_id: show.id.to_string(),
            status: status(show.status.as_deref()),
            episodes: episodes(&reply)?,
        })
    }
}

impl Tvmaze {
    /// The IMDb id of the show TheTVDB knows as `tvdb`: `None` when TVmaze
    /// has no such show, or has it without an IMDb id.
    pub(super) async fn imdb_of_tvdb_show(
        &self,
        tvdb: &str,
    ) -> Result<Option<String>, ProviderError> {
        let url = format!("{}/lookup/shows", self.base_url);
        let found = match shown_at(&self.http.get(&url, &[("thetvdb", tvdb)]).await?) {
            Ok(found) => found,
            Err(ProviderError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let url = format!("{}/shows/{found}", self.base_url);
        Ok(show(&self.http.get(&url, &[]).await?)?.imdb())
    }
}

impl Show {
    /// Its IMDb id, when it has one that looks like one.
    fn imdb(self) -> Option<String> {
        self.externals?.imdb.filter(|id| {
            id.len() <= 12 && id.starts_with("tt") && id[2..].bytes().all(|b| b.is_ascii_digit())
        })
    }
}

fn status(status: Option<&str>) -> ShowStatus {
    match status {
        Some("Ended") => ShowStatus::Ended,
        _ => ShowStatus::Running,
    }
}

/// The show id a lookup's redirect names (`Location: …/shows/{id}`).
fn shown_at(reply: &Reply) -> Result<u64, ProviderError> {
    match reply.status {
        status if status.is_redirection() => reply
            .location
            .as_deref()
            .and_then(|l| l.trim_end_matches('/').rsplit('/').next())
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| ProviderError::BadResponse {
                provider: NAME,
                detail: format!("HTTP {status} without a show to go to"),
            }),
        // Answered in place (a proxy that followed it): the show itself.
        StatusCode::OK => show(reply).and_then(|s| {
            u64::try_from(s.id).map_err(|_| ProviderError::BadResponse {
                provider: NAME,
                detail: "a negative show id".into(),
            })
        }),
        StatusCode::NOT_FOUND => Err(ProviderError::NotFound { provider: NAME }),
        status => Err(ProviderError::BadResponse {
            provider: NAME,
            detail: format!("HTTP {status}"),
        }),
    }
}

fn show(reply: &Reply) -> Result<Show, ProviderError> {
    match reply.status {
        StatusCode::OK => reply.json(NAME),
        StatusCode::NOT_FOUND => Err(ProviderError::NotFound { provider: NAME }),
        status => Err(ProviderError::BadResponse {
            provider: NAME,
            detail: format!("HTTP {status}"),
        }),
    }
}

fn episodes(reply: &Reply) -> Result<Vec<EpisodeInfo>, ProviderError> {
    if reply.status != StatusCode::OK {
        return Err(ProviderError::BadResponse {
            provider: NAME,
            detail: format!("HTTP {}", reply.status),
        });
    }
    let list: Vec<Episode> = reply.json(NAME)?;
    Ok(list.into_iter().map(Episode::into_info).collect())
}

impl Episode {
    fn into_info(self) -> EpisodeInfo {
        let season = self.season.unwrap_or(0);
        let air_date = self
            .airdate
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        // With no time of day, the stamp is a guess at midnight: the
        // episode is an all-day event on its date.
        let timed = self
            .airtime
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty());
        let air_time = self
            .airstamp
            .as_deref()
            .filter(|_| timed && air_date.is_some())
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc));
        EpisodeInfo {
            provider_id: self.id.to_string(),
            season,
            number: self.number,
            special: self.kind.as_deref() != Some("regular")
                || self.number.is_none()
                || season == 0,
            title: self.name.unwrap_or_default(),
            air_date,
            air_time,
            runtime_minutes: self.runtime.filter(|r| *r > 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use completionist_common::error::ApiError;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn reads_specials_dates_and_times() {
        let body = serde_json::json!([
            {"id": 1, "name": "Pilot", "season": 1, "number": 1, "type": "regular",
             "airdate": "2013-06-24", "airtime": "22:00", "airstamp": "2013-06-25T02:00:00+00:00", "runtime": 60},
            {"id": 2, "name": "Behind", "season": 1, "number": null, "type": "significant_special",
             "airdate": "2013-07-01", "airtime": "", "airstamp": "2013-07-01T04:00:00+00:00", "runtime": null},
            {"id": 3, "name": "TBA", "season": 2, "number": 1, "type": "regular",
             "airdate": null, "airtime": "", "airstamp": null, "runtime": 60}
        ]);
        let reply = Reply {
            status: StatusCode::OK,
            body: body.to_string().into(),
            location: None,
        };
        let list = episodes(&reply).unwrap();
        assert!(!list[0].special);
        assert_eq!(
            list[0].air_time.unwrap().to_rfc3339(),
            "2013-06-25T02:00:00+00:00"
        );
        assert!(list[1].special);
        assert_eq!(list[1].air_time, None, "no time of day: all day");
        assert_eq!(list[1].air_date, NaiveDate::from_ymd_opt(2013, 7, 1));
        assert_eq!((list[2].air_date, list[2].air_time), (None, None));
        assert_eq!(status(Some("Ended")), ShowStatus::Ended);
        assert_eq!(status(Some("To Be Determined")), ShowStatus::Running);
    }

    proptest! {
        #[test]
        fn any_reply_is_read_or_refused_without_panicking(reply in super::super::arbitrary::reply()) {
            match show(&reply) {
                Err(error) => prop_assert_ne!(error.code(), tonic::Code::Internal),
                Ok(found) => if let Some(imdb) = found.imdb() {
                    prop_assert!(imdb.starts_with("tt"));
                },
            }
            if let Err(error) = shown_at(&reply) {
                prop_assert_ne!(error.code(), tonic::Code::Internal);
            }
            if let Err(error) = episodes(&reply) {
                prop_assert_ne!(error.code(), tonic::Code::Internal);
            }
        }
    }
}

//! Jikan's episodes of an anime: one flat, paged list
//! (`/anime/{id}/episodes?page=N`, about 100 a page), each `aired` a date
//! at 00:00 UTC, so every episode is an all-day event; whether it still
//! airs is `/anime/{id}`'s `status`.

use chrono::{DateTime, NaiveDate};
use reqwest::StatusCode;
use serde::Deserialize;

use super::{
    EpisodeInfo, ProviderError, ShowEpisodes,
    http::{HttpClient, Reply},
    jikan::NAME,
};
use crate::domain::ShowStatus;

/// Pages read at most: 10,000 episodes, past any anime's count.
const MAX_PAGES: u32 = 100;

#[derive(Deserialize)]
struct AnimeBody {
    data: Anime,
}

#[derive(Deserialize)]
struct Anime {
    status: Option<String>,
}

#[derive(Deserialize)]
struct PageBody {
    data: Vec<Episode>,
    pagination: Pagination,
}

#[derive(Deserialize)]
struct Pagination {
    has_next_page: bool,
}

#[derive(Deserialize)]
struct Episode {
    mal_id: i32,
    title: Option<String>,
    aired: Option<String>,
}

/// The episodes of anime `id`, up to `max` of them.
pub(super) async fn episodes(
    http: &HttpClient,
    base_url: &str,
    id: &str,
    max: usize,
) -> Result<ShowEpisodes, ProviderError> {
    if id.parse::<u64>().is_err() {
        return Err(ProviderError::NotFound { provider: NAME });
    }
    let status = anime_status(&http.get(&format!("{base_url}/anime/{id}"), &[]).await?)?;
    let url = format!("{base_url}/anime/{id}/episodes");
    let mut list = Vec::new();
    for page in 1..=MAX_PAGES {
        let (mut episodes, more) = page_of(&http.get(&url, &[("page", &page.to_string())]).await?)?;
        list.append(&mut episodes);
        if !more || list.len() >= max {
            break;
        }
    }
    Ok(ShowEpisodes {
        show_id: id.to_owned(),
        status,
        episodes: list,
    })
}

fn anime_status(reply: &Reply) -> Result<ShowStatus, ProviderError> {
    match reply.status {
        StatusCode::OK => Ok(
            match reply.json::<AnimeBody>(NAME)?.data.status.as_deref() {
                Some("Finished Airing") => ShowStatus::Ended,
                _ => ShowStatus::Running,
            },
        ),
        StatusCode::NOT_FOUND => Err(ProviderError::NotFound { provider: NAME }),
        status => Err(ProviderError::BadResponse {
            provider: NAME,
            detail: format!("HTTP {status}"),
        }),
    }
}

fn page_of(reply: &Reply) -> Result<(Vec<EpisodeInfo>, bool), ProviderError> {
    if reply.status != StatusCode::OK {
        return Err(ProviderError::BadResponse {
            provider: NAME,
            detail: format!("HTTP {}", reply.status),
        });
    }
    let body: PageBody = reply.json(NAME)?;
    let episodes = body
        .data
        .into_iter()
        .map(|e| EpisodeInfo {
            provider_id: e.mal_id.to_string(),
            season: 1,
            number: Some(e.mal_id),
            special: false,
            title: e.title.unwrap_or_default(),
            air_date: e.aired.as_deref().and_then(aired_day),
            air_time: None,
            runtime_minutes: None,
        })
        .collect();
    Ok((episodes, body.pagination.has_next_page))
}

/// The day of `"1998-04-03T00:00:00+00:00"`.
fn aired_day(aired: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(aired)
        .ok()
        .map(|t| t.date_naive())
}

#[cfg(test)]
mod tests {
    use completionist_common::error::ApiError;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn reads_a_page() {
        let body = serde_json::json!({
            "pagination": {"last_visible_page": 2, "has_next_page": true},
            "data": [{"mal_id": 1, "title": "Asteroid Blues", "aired": "1998-10-24T00:00:00+00:00"},
                     {"mal_id": 2, "title": null, "aired": null}]
        });
        let reply = Reply {
            status: StatusCode::OK,
            body: body.to_string().into(),
            location: None,
        };
        let (list, more) = page_of(&reply).unwrap();
        assert!(more);
        assert_eq!(list[0].air_date, NaiveDate::from_ymd_opt(1998, 10, 24));
        assert_eq!((list[1].number, list[1].air_date), (Some(2), None));
    }

    proptest! {
        #[test]
        fn any_reply_is_read_or_refused_without_panicking(reply in super::super::arbitrary::reply()) {
            if let Err(error) = anime_status(&reply) {
                prop_assert_ne!(error.code(), tonic::Code::Internal);
            }
            if let Err(error) = page_of(&reply) {
                prop_assert_ne!(error.code(), tonic::Code::Internal);
            }
        }
    }
}

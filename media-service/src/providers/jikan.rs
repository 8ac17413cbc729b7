//! Jikan v4 (MyAnimeList): anime and manga. Lists are `{data, pagination}`,
//! one item `{data}`; episodes, chapters, years and synopses may be null.
//! Published limits: 3 requests a second and 60 a minute.

use completionist_common::db::Pool;
use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;

use super::{
    Candidate, Provider, ProviderError, SearchPage, ShowEpisodes, clip,
    http::{HttpClient, Rate, Reply},
    leading_year,
};
use crate::{
    config::ProvidersConfig,
    domain::{MediaKind, Reference, Source},
};

pub(super) const NAME: &str = "Jikan";
const PAGE_SIZE: &str = "20";

pub(super) struct Jikan {
    http: HttpClient,
    base_url: String,
}

#[derive(Deserialize)]
struct ListBody {
    data: Vec<Item>,
    pagination: Pagination,
}

#[derive(Deserialize)]
struct Pagination {
    has_next_page: bool,
    items: Option<PageItems>,
}

#[derive(Deserialize)]
struct PageItems {
    total: i64,
}

#[derive(Deserialize)]
struct OneBody {
    data: Item,
}

#[derive(Deserialize)]
struct Item {
    mal_id: i64,
    title: String,
    images: Option<Images>,
    episodes: Option<i32>,
    chapters: Option<i32>,
    year: Option<i32>,
    synopsis: Option<String>,
    aired: Option<Period>,
    published: Option<Period>,
}

#[derive(Deserialize)]
struct Images {
    jpg: Option<Image>,
}

#[derive(Deserialize)]
struct Image {
    image_url: Option<String>,
}

#[derive(Deserialize)]
struct Period {
    from: Option<String>,
}

impl Jikan {
    pub(super) fn new(config: &ProvidersConfig, pool: &Pool) -> Result<Self, anyhow::Error> {
        Ok(Self {
            http: HttpClient::new(
                NAME,
                config,
                &[
                    Rate {
                        count: 3,
                        per: Duration::from_secs(1),
                    },
                    Rate {
                        count: 60,
                        per: Duration::from_secs(60),
                    },
                ],
                pool,
            )?,
            base_url: config.jikan_base_url.clone(),
        })
    }
}

impl Jikan {
    /// The episodes of anime `id`, up to `max` of them.
    pub(super) async fn episodes(
        &self,
        id: &str,
        max: usize,
    ) -> Result<ShowEpisodes, ProviderError> {
        super::jikan_episodes::episodes(&self.http, &self.base_url, id, max).await
    }
}

fn path(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Manga => "manga",
        _ => "anime",
    }
}

impl Item {
    fn into_candidate(self, kind: MediaKind) -> Candidate {
        let period = if kind == MediaKind::Manga {
            &self.published
        } else {
            &self.aired
        };
        let year = self
            .year
            .or_else(|| leading_year(period.as_ref().and_then(|p| p.from.as_deref())));
        Candidate {
            reference: Reference {
                source: Source::Jikan,
                kind,
                external_id: self.mal_id.to_string(),
            },
            title: self.title,
            year,
            image_url: self
                .images
                .and_then(|i| i.jpg)
                .and_then(|j| j.image_url)
                .unwrap_or_default(),
            summary: clip(self.synopsis.as_deref().unwrap_or_default()),
            total_units: if kind == MediaKind::Manga {
                self.chapters
            } else {
                self.episodes
            }
            .filter(|n| *n > 0),
        }
    }
}

#[tonic::async_trait]
impl Provider for Jikan {
    async fn search(
        &self,
        kind: MediaKind,
        query: &str,
        page: u32,
    ) -> Result<SearchPage, ProviderError> {
        let url = format!("{}/{}", self.base_url, path(kind));
        let page_param = page.to_string();
        let reply = self
            .http
            .get(
                &url,
                &[("q", query), ("page", &page_param), ("limit", PAGE_SIZE)],
            )
            .await?;
        search_page(kind, &reply)
    }

    async fn details(
        &self,
        kind: MediaKind,
        external_id: &str,
    ) -> Result<Candidate, ProviderError> {
        if external_id.parse::<u64>().is_err() {
            return Err(ProviderError::NotFound { provider: NAME });
        }
        let url = format!("{}/{}/{external_id}", self.base_url, path(kind));
        let reply = self.http.get(&url, &[]).await?;
        item(kind, &reply)
    }
}

fn search_page(kind: MediaKind, reply: &Reply) -> Result<SearchPage, ProviderError> {
    if reply.status != StatusCode::OK {
        return Err(ProviderError::BadResponse {
            provider: NAME,
            detail: format!("HTTP {}", reply.status),
        });
    }
    let body: ListBody = reply.json(NAME)?;
    Ok(SearchPage {
        total: body.pagination.items.map_or(0, |i| i.total),
        has_more: body.pagination.has_next_page,
        items: body
            .data
            .into_iter()
            .map(|i| i.into_candidate(kind))
            .collect(),
    })
}

fn item(kind: MediaKind, reply: &Reply) -> Result<Candidate, ProviderError> {
    match reply.status {
        StatusCode::OK => Ok(reply.json::<OneBody>(NAME)?.data.into_candidate(kind)),
        StatusCode::NOT_FOUND => Err(ProviderError::NotFound { provider: NAME }),
        status => Err(ProviderError::BadResponse {
            provider: NAME,
            detail: format!("HTTP {status}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use completionist_common::error::ApiError;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_reply_is_read_or_refused_without_panicking(reply in super::super::arbitrary::reply()) {
            for kind in [MediaKind::Anime, MediaKind::Manga] {
                if let Err(error) = search_page(kind, &reply) {
                    prop_assert_ne!(error.code(), tonic::Code::Internal);
                }
                if let Err(error) = item(kind, &reply) {
                    prop_assert_ne!(error.code(), tonic::Code::Internal);
                }
            }
        }
    }
}

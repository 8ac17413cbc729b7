//! RAWG: games. Needs a key; `released` and `background_image` may be null;
//! details add `description_raw`.

use completionist_common::db::Pool;
use std::time::Duration;

use completionist_common::config::{ExposeSecret, SecretString};
use reqwest::StatusCode;
use serde::Deserialize;

use super::{
    Candidate, Provider, ProviderError, SearchPage, clip,
    http::{HttpClient, Rate, Reply},
    leading_year,
};
use crate::{
    config::ProvidersConfig,
    domain::{MediaKind, Reference, Source},
};

pub(super) const NAME: &str = "RAWG";
const KEY_VARIABLE: &str = "RAWG_API_KEY";
const PAGE_SIZE: &str = "20";

pub(super) struct Rawg {
    http: HttpClient,
    base_url: String,
    api_key: Option<SecretString>,
}

#[derive(Deserialize)]
struct ListBody {
    count: i64,
    next: Option<String>,
    #[serde(default)]
    results: Vec<Game>,
}

#[derive(Deserialize)]
struct Game {
    id: i64,
    name: String,
    released: Option<String>,
    background_image: Option<String>,
    description_raw: Option<String>,
    #[serde(default)]
    genres: Vec<Genre>,
}

#[derive(Deserialize)]
struct Genre {
    name: String,
}

impl Rawg {
    pub(super) fn new(config: &ProvidersConfig, pool: &Pool) -> Result<Self, anyhow::Error> {
        Ok(Self {
            http: HttpClient::new(
                NAME,
                config,
                &[Rate {
                    count: 5,
                    per: Duration::from_secs(1),
                }],
                pool,
            )?,
            base_url: config.rawg_base_url.clone(),
            api_key: config.rawg_api_key.clone(),
        })
    }

    fn key(&self) -> Result<&str, ProviderError> {
        self.api_key
            .as_ref()
            .map(ExposeSecret::expose_secret)
            .ok_or(ProviderError::NotConfigured {
                provider: NAME,
                variable: KEY_VARIABLE,
            })
    }
}

fn check(status: StatusCode) -> Result<(), ProviderError> {
    match status {
        StatusCode::OK => Ok(()),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(ProviderError::KeyRejected {
            provider: NAME,
            variable: KEY_VARIABLE,
        }),
        StatusCode::NOT_FOUND => Err(ProviderError::NotFound { provider: NAME }),
        status => Err(ProviderError::BadResponse {
            provider: NAME,
            detail: format!("HTTP {status}"),
        }),
    }
}

impl Game {
    fn into_candidate(self) -> Candidate {
        let summary = match self.description_raw.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => clip(text),
            _ => self
                .genres
                .iter()
                .map(|g| g.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        Candidate {
            reference: Reference {
                source: Source::Rawg,
                kind: MediaKind::Game,
                external_id: self.id.to_string(),
            },
            title: self.name,
            year: leading_year(self.released.as_deref()),
            image_url: self.background_image.unwrap_or_default(),
            summary,
            total_units: Some(1),
        }
    }
}

#[tonic::async_trait]
impl Provider for Rawg {
    async fn search(
        &self,
        _kind: MediaKind,
        query: &str,
        page: u32,
    ) -> Result<SearchPage, ProviderError> {
        let key = self.key()?;
        let page_param = page.to_string();
        let reply = self
            .http
            .get(
                &format!("{}/games", self.base_url),
                &[
                    ("key", key),
                    ("search", query),
                    ("page", &page_param),
                    ("page_size", PAGE_SIZE),
                ],
            )
            .await?;
        search_page(&reply)
    }

    async fn details(
        &self,
        _kind: MediaKind,
        external_id: &str,
    ) -> Result<Candidate, ProviderError> {
        let key = self.key()?;
        if external_id.parse::<u64>().is_err() {
            return Err(ProviderError::NotFound { provider: NAME });
        }
        let reply = self
            .http
            .get(
                &format!("{}/games/{external_id}", self.base_url),
                &[("key", key)],
            )
            .await?;
        game(&reply)
    }
}

fn search_page(reply: &Reply) -> Result<SearchPage, ProviderError> {
    if reply.status == StatusCode::NOT_FOUND {
        // RAWG answers 404 for a page past the last.
        return Ok(SearchPage::default());
    }
    check(reply.status)?;
    let body: ListBody = reply.json(NAME)?;
    Ok(SearchPage {
        total: body.count,
        has_more: body.next.is_some(),
        items: body.results.into_iter().map(Game::into_candidate).collect(),
    })
}

fn game(reply: &Reply) -> Result<Candidate, ProviderError> {
    check(reply.status)?;
    Ok(reply.json::<Game>(NAME)?.into_candidate())
}

#[cfg(test)]
mod tests {
    use completionist_common::error::ApiError;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_reply_is_read_or_refused_without_panicking(reply in super::super::arbitrary::reply()) {
            if let Err(error) = search_page(&reply) {
                prop_assert_ne!(error.code(), tonic::Code::Internal);
            }
            if let Err(error) = game(&reply) {
                prop_assert_ne!(error.code(), tonic::Code::Internal);
            }
        }
    }
}

//! OMDb: movies and series. Answers are HTTP 200 even for misses
//! (`{"Response":"False","Error":"Movie not found!"}`); a bad key or an
//! exhausted quota are 401s with the same shape. Missing values are `"N/A"`,
//! numbers come as strings, series years as `"1999–2007"`.

use completionist_common::db::Pool;
use std::time::Duration;

use completionist_common::config::{ExposeSecret, SecretString};
use reqwest::StatusCode;
use serde::Deserialize;

use super::{
    Candidate, Provider, ProviderError, SearchPage, clip,
    http::Reply,
    http::{HttpClient, Rate},
    leading_year, present,
};
use crate::{
    config::ProvidersConfig,
    domain::{MediaKind, Reference, Source},
};

pub(super) const NAME: &str = "OMDb";
const KEY_VARIABLE: &str = "OMDB_API_KEY";
/// OMDb pages hold ten results.
const PAGE_SIZE: i64 = 10;

pub(super) struct Omdb {
    http: HttpClient,
    base_url: String,
    api_key: Option<SecretString>,
}

/// Every OMDb answer: a success or `Response: "False"` with an `Error`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    response: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct SearchBody {
    #[serde(rename = "Search", default)]
    search: Vec<Item>,
    #[serde(rename = "totalResults")]
    total_results: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Item {
    title: String,
    year: Option<String>,
    #[serde(rename = "imdbID")]
    imdb_id: String,
    #[serde(rename = "Type")]
    kind: String,
    poster: Option<String>,
    plot: Option<String>,
}

/// An episode, as OMDb gives it by the episode's own IMDb id.
#[derive(Deserialize)]
struct EpisodeItem {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "seriesID")]
    series_id: Option<String>,
    #[serde(rename = "Season")]
    season: Option<String>,
    #[serde(rename = "Episode")]
    episode: Option<String>,
}

/// Where an episode is: its series' IMDb id, its season and its number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EpisodePlace {
    pub(crate) series_imdb: String,
    pub(crate) season: i32,
    pub(crate) number: i32,
}

impl EpisodeItem {
    /// The place of an episode with a series, a season and a number;
    /// `None` for anything else OMDb answers with that id.
    fn place(self) -> Option<EpisodePlace> {
        let number = |s: Option<String>| s.and_then(|s| s.trim().parse::<i32>().ok());
        (self.kind == "episode").then_some(())?;
        Some(EpisodePlace {
            series_imdb: present(self.series_id.as_deref())?.to_owned(),
            season: number(self.season).filter(|n| (0..=1_000).contains(n))?,
            number: number(self.episode).filter(|n| (0..=100_000).contains(n))?,
        })
    }
}

impl Omdb {
    /// Where the episode with IMDb id `imdb` is; `None` when OMDb knows no
    /// such episode.
    pub(super) async fn episode(&self, imdb: &str) -> Result<Option<EpisodePlace>, ProviderError> {
        let item: Option<EpisodeItem> = self.ask(&[("i", imdb)]).await?;
        Ok(item.and_then(EpisodeItem::place))
    }

    pub(super) fn new(config: &ProvidersConfig, pool: &Pool) -> Result<Self, anyhow::Error> {
        Ok(Self {
            http: HttpClient::new(
                NAME,
                config,
                &[Rate {
                    count: 10,
                    per: Duration::from_secs(1),
                }],
                pool,
            )?,
            base_url: format!("{}/", config.omdb_base_url),
            api_key: config.omdb_api_key.clone(),
        })
    }

    /// Asks OMDb and sorts its answer into data or a provider error.
    async fn ask<T: serde::de::DeserializeOwned>(
        &self,
        query: &[(&str, &str)],
    ) -> Result<Option<T>, ProviderError> {
        let key = self.api_key.as_ref().ok_or(ProviderError::NotConfigured {
            provider: NAME,
            variable: KEY_VARIABLE,
        })?;
        let mut params = vec![("apikey", key.expose_secret())];
        params.extend_from_slice(query);
        let reply = self.http.get(&self.base_url, &params).await?;
        sort(&reply)
    }
}

/// OMDb's answer sorted into data, a miss (`None`) or a provider error.
fn sort<T: serde::de::DeserializeOwned>(reply: &Reply) -> Result<Option<T>, ProviderError> {
    let envelope: Envelope = reply.json(NAME)?;
    if envelope.response == "True" {
        return reply.json(NAME).map(Some);
    }
    let error = envelope.error.unwrap_or_default();
    match (reply.status, error.as_str()) {
        (_, "Request limit reached!") => Err(ProviderError::Unavailable {
            provider: NAME,
            detail: "daily request limit reached".into(),
            retry_after: Some(Duration::from_secs(3600)),
        }),
        (StatusCode::UNAUTHORIZED, _) | (_, "Invalid API key!" | "No API key provided.") => {
            Err(ProviderError::KeyRejected {
                provider: NAME,
                variable: KEY_VARIABLE,
            })
        }
        (_, "Too many results.") => Err(ProviderError::QueryRejected {
            provider: NAME,
            detail: "too many results; use a longer query".into(),
        }),
        // Only OMDb's own "there is none": anything else it says with a
        // 200 ("Error getting data.", say) may pass, and is tried again.
        (status, message)
            if status.is_success()
                && (message.ends_with("not found!") || message == "Incorrect IMDb ID.") =>
        {
            Ok(None)
        }
        (status, _) => Err(ProviderError::BadResponse {
            provider: NAME,
            detail: format!("HTTP {status}: {error}"),
        }),
    }
}

fn omdb_type(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Series => "series",
        _ => "movie",
    }
}

impl Item {
    fn into_candidate(self, kind: MediaKind) -> Candidate {
        Candidate {
            year: leading_year(self.year.as_deref()),
            image_url: present(self.poster.as_deref())
                .unwrap_or_default()
                .to_owned(),
            summary: clip(present(self.plot.as_deref()).unwrap_or_default()),
            total_units: (kind == MediaKind::Movie).then_some(1),
            reference: Reference {
                source: Source::Omdb,
                kind,
                external_id: self.imdb_id,
            },
            title: self.title,
        }
    }
}

fn search_page(kind: MediaKind, page: u32, body: SearchBody) -> SearchPage {
    let total = body
        .total_results
        .as_deref()
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or_default();
    SearchPage {
        items: body
            .search
            .into_iter()
            .filter(|item| item.kind == omdb_type(kind))
            .map(|item| item.into_candidate(kind))
            .collect(),
        total,
        has_more: i64::from(page).saturating_mul(PAGE_SIZE) < total,
    }
}

#[tonic::async_trait]
impl Provider for Omdb {
    async fn search(
        &self,
        kind: MediaKind,
        query: &str,
        page: u32,
    ) -> Result<SearchPage, ProviderError> {
        let page_param = page.to_string();
        let body: Option<SearchBody> = self
            .ask(&[
                ("s", query),
                ("type", omdb_type(kind)),
                ("page", &page_param),
            ])
            .await?;
        Ok(body.map_or_else(SearchPage::default, |body| search_page(kind, page, body)))
    }

    async fn details(
        &self,
        kind: MediaKind,
        external_id: &str,
    ) -> Result<Candidate, ProviderError> {
        let item: Option<Item> = self.ask(&[("i", external_id), ("plot", "short")]).await?;
        match item {
            Some(item) if item.kind == omdb_type(kind) => Ok(item.into_candidate(kind)),
            _ => Err(ProviderError::NotFound { provider: NAME }),
        }
    }
}

#[cfg(test)]
mod tests {
    use completionist_common::error::ApiError;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_reply_is_read_or_refused_without_panicking(
            reply in super::super::arbitrary::reply(),
            page in 1_u32..=100,
        ) {
            for kind in [MediaKind::Movie, MediaKind::Series] {
                match sort::<SearchBody>(&reply) {
                    Ok(body) => drop(body.map(|body| search_page(kind, page, body))),
                    Err(error) => prop_assert_ne!(error.code(), tonic::Code::Internal),
                }
                match sort::<Item>(&reply) {
                    Ok(item) => drop(item.map(|item| item.into_candidate(kind))),
                    Err(error) => prop_assert_ne!(error.code(), tonic::Code::Internal),
                }
                match sort::<EpisodeItem>(&reply) {
                    Ok(item) => drop(item.and_then(EpisodeItem::place)),
                    Err(error) => prop_assert_ne!(error.code(), tonic::Code::Internal),
                }
            }
        }
    }
}

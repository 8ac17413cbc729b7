//! The external providers behind one trait, one module each, and the caches
//! in front of them: search results are reused for a while, and concurrent
//! requests for one item's details share one fetch.

#[cfg(test)]
mod arbitrary;
mod http;
mod jikan;
mod jikan_episodes;
mod limits;
pub(crate) mod omdb;
mod openlibrary;
mod rawg;
mod shows;
mod tvmaze;

use completionist_common::db::Pool;
use std::{sync::Arc, time::Duration};

use completionist_common::error::ApiError;
use moka::future::Cache;
use tonic::Code;

use crate::{
    config::ProvidersConfig,
    domain::{MediaKind, Reference, ShowStatus, Source},
};

/// One provider's item, in the catalog's terms.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Candidate {
    pub reference: Reference,
    pub title: String,
    pub year: Option<i32>,
    pub image_url: String,
    pub summary: String,
    /// Episodes, chapters, pages; 1 for movies and games.
    pub total_units: Option<i32>,
}

/// A show's episodes, as its provider lists them.
#[derive(Clone, Debug)]
pub(crate) struct ShowEpisodes {
    /// The provider's id of the show.
    pub show_id: String,
    /// Running or ended.
    pub status: ShowStatus,
    pub episodes: Vec<EpisodeInfo>,
}

/// One episode, as its provider lists it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EpisodeInfo {
    pub provider_id: String,
    pub season: i32,
    pub number: Option<i32>,
    pub special: bool,
    pub title: String,
    pub air_date: Option<chrono::NaiveDate>,
    /// When only the day is known, `None`.
    pub air_time: Option<chrono::DateTime<chrono::Utc>>,
    pub runtime_minutes: Option<i32>,
}

/// One page of a provider's search results.
#[derive(Clone, Debug, Default)]
pub(crate) struct SearchPage {
    pub items: Vec<Candidate>,
    /// As the provider counts them.
    pub total: i64,
    pub has_more: bool,
}

/// A provider of one or two kinds of media.
#[tonic::async_trait]
pub(crate) trait Provider: Send + Sync {
    /// A page (from 1) of candidates of `kind` matching `query`.
    async fn search(
        &self,
        kind: MediaKind,
        query: &str,
        page: u32,
    ) -> Result<SearchPage, ProviderError>;
    /// The item `external_id` of `kind`.
    async fn details(&self, kind: MediaKind, external_id: &str)
    -> Result<Candidate, ProviderError>;
}

#[derive(Clone, Debug, thiserror::Error)]
pub(crate) enum ProviderError {
    #[error("{provider} is not configured: set {variable}")]
    NotConfigured {
        provider: &'static str,
        variable: &'static str,
    },
    #[error("{provider} rejected the API key in {variable}")]
    KeyRejected {
        provider: &'static str,
        variable: &'static str,
    },
    #[error("{provider} has no such item")]
    NotFound { provider: &'static str },
    #[error("{provider} refused the query: {detail}")]
    QueryRejected {
        provider: &'static str,
        detail: String,
    },
    #[error("{provider} is unavailable ({detail}); try again later")]
    Unavailable {
        provider: &'static str,
        detail: String,
        retry_after: Option<Duration>,
    },
    #[error("{provider} answered something unreadable; try again later")]
    BadResponse {
        provider: &'static str,
        detail: String,
    },
}

impl ApiError for ProviderError {
    fn code(&self) -> Code {
        match self {
            Self::NotConfigured { .. } | Self::KeyRejected { .. } => Code::FailedPrecondition,
            Self::NotFound { .. } => Code::NotFound,
            Self::QueryRejected { .. } => Code::InvalidArgument,
            Self::Unavailable { .. } | Self::BadResponse { .. } => Code::Unavailable,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Self::NotConfigured { .. } => "PROVIDER_NOT_CONFIGURED",
            Self::KeyRejected { .. } => "PROVIDER_KEY_REJECTED",
            Self::NotFound { .. } => "EXTERNAL_MEDIA_NOT_FOUND",
            Self::QueryRejected { .. } => "PROVIDER_REJECTED_QUERY",
            Self::Unavailable { .. } | Self::BadResponse { .. } => "PROVIDER_UNAVAILABLE",
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Unavailable { retry_after, .. } => {
                Some(retry_after.unwrap_or(Duration::from_secs(5)))
            }
            Self::BadResponse { .. } => Some(Duration::from_secs(30)),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SearchKey {
    kind: MediaKind,
    query: String,
    page: u32,
}

/// Every provider, behind the caches.
pub(crate) struct Providers {
    omdb: omdb::Omdb,
    jikan: jikan::Jikan,
    open_library: openlibrary::OpenLibrary,
    rawg: rawg::Rawg,
    tvmaze: tvmaze::Tvmaze,
    searches: Cache<SearchKey, Arc<SearchPage>>,
    details: Cache<Reference, Arc<Candidate>>,
    /// Episodes' places by their IMDb id, found or not: media servers send
    /// the same episodes' ids again and again.
    episode_places: Cache<String, Option<omdb::EpisodePlace>>,
    /// Shows' IMDb ids by their TheTVDB id (TVmaze's), found or not.
    tvdb_shows: Cache<String, Option<String>>,
}

impl Providers {
    /// The providers, their rate limits kept in the database behind `pool`
    /// (shared by every replica).
    pub(crate) fn new(config: &ProvidersConfig, pool: &Pool) -> Result<Self, anyhow::Error> {
        Ok(Self {
            omdb: omdb::Omdb::new(config, pool)?,
            jikan: jikan::Jikan::new(config, pool)?,
            open_library: openlibrary::OpenLibrary::new(config, pool)?,
            rawg: rawg::Rawg::new(config, pool)?,
            tvmaze: tvmaze::Tvmaze::new(config, pool)?,
            searches: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(config.search_cache_ttl)
                .build(),
            details: Cache::builder()
                .max_capacity(1_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
            episode_places: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(24 * 3600))
                .build(),
            tvdb_shows: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(24 * 3600))
                .build(),
        })
    }

    fn provider(&self, kind: MediaKind) -> &dyn Provider {
        match kind.provider() {
            Source::Omdb => &self.omdb,
            Source::Jikan => &self.jikan,
            Source::OpenLibrary => &self.open_library,
            // No kind is served by Custom; `MediaKind::provider` never says so.
            Source::Rawg | Source::Custom => &self.rawg,
        }
    }

    /// Searches the provider of `kind`; the same query within the cache's
    /// lifetime is answered without asking again.
    pub(crate) async fn search(
        &self,
        kind: MediaKind,
        query: &str,
        page: u32,
    ) -> Result<Arc<SearchPage>, ProviderError> {
        let key = SearchKey {
            kind,
            query: query.to_lowercase(),
            page,
        };
        self.searches
            .try_get_with(key, async {
                self.provider(kind)
                    .search(kind, query, page)
                    .await
                    .map(Arc::new)
            })
            .await
            .map_err(|e| (*e).clone())
    }

    /// The details of a provider item. Concurrent calls for one item share
    /// one request.
    pub(crate) async fn details(
        &self,
        reference: &Reference,
    ) -> Result<Arc<Candidate>, ProviderError> {
        self.details
            .try_get_with(reference.clone(), async {
                self.provider(reference.kind)
                    .details(reference.kind, &reference.external_id)
                    .await
                    .map(Arc::new)
            })
            .await
            .map_err(|e| (*e).clone())
    }
}

/// A provider's "missing" value (`"N/A"`, empty) as `None`.
fn present(value: Option<&str>) -> Option<&str> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != "N/A")
}

/// The year at the start of `"1999"`, `"1999–2007"`, `"2005–"` or
/// `"2013-09-17"`.
fn leading_year(value: Option<&str>) -> Option<i32> {
    let value = present(value)?;
    let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
    (digits.len() == 4).then(|| digits.parse().ok()).flatten()
}

/// Summaries are kept to a sensible size.
fn clip(text: &str) -> String {
    const MAX: usize = 4000;
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The answer for an item its provider said it does not have (the catalog
/// remembers, and does not ask again).
pub(crate) fn not_found(source: Source) -> ProviderError {
    let provider = match source {
        Source::Omdb => omdb::NAME,
        Source::Jikan => jikan::NAME,
        Source::OpenLibrary => openlibrary::NAME,
        Source::Rawg => rawg::NAME,
        Source::Custom => "custom",
    };
    ProviderError::NotFound { provider }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_provider_years_and_missing_values() {
        assert_eq!(leading_year(Some("1999")), Some(1999));
        assert_eq!(leading_year(Some("1999–2007")), Some(1999));
        assert_eq!(leading_year(Some("2005–")), Some(2005));
        assert_eq!(leading_year(Some("2013-09-17")), Some(2013));
        assert_eq!(leading_year(Some("N/A")), None);
        assert_eq!(leading_year(None), None);
        assert_eq!(present(Some("N/A")), None);
        assert_eq!(clip(&"x".repeat(5000)).chars().count(), 4001);
    }
}

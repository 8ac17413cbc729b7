//! Open Library: books, by work (`/works/OL…W`). Search gives titles,
//! authors, cover ids, first publication years and median page counts; a
//! work's `description` is either a string or `{type, value}`. No key, but a
//! descriptive User-Agent and about one request a second.

use completionist_common::db::Pool;
use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;

use super::{
    Candidate, Provider, ProviderError, SearchPage, clip,
    http::{HttpClient, Rate, Reply},
};
use crate::{
    config::ProvidersConfig,
    domain::{MediaKind, Reference, Source},
};

pub(super) const NAME: &str = "Open Library";
const FIELDS: &str = "key,title,author_name,cover_i,first_publish_year,number_of_pages_median";
const PAGE_SIZE: u32 = 20;
const COVERS: &str = "https://covers.openlibrary.org/b/id";

pub(super) struct OpenLibrary {
    http: HttpClient,
    base_url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchBody {
    num_found: i64,
    #[serde(default)]
    docs: Vec<Doc>,
}

#[derive(Deserialize)]
struct Doc {
    key: String,
    title: String,
    #[serde(default)]
    author_name: Vec<String>,
    cover_i: Option<i64>,
    first_publish_year: Option<i32>,
    number_of_pages_median: Option<i32>,
}

#[derive(Deserialize)]
struct Work {
    title: String,
    description: Option<Description>,
    #[serde(default)]
    covers: Vec<i64>,
}

/// Either form Open Library uses.
#[derive(Deserialize)]
#[serde(untagged)]
enum Description {
    Text(String),
    Typed { value: String },
}

impl OpenLibrary {
    pub(super) fn new(config: &ProvidersConfig, pool: &Pool) -> Result<Self, anyhow::Error> {
        Ok(Self {
            http: HttpClient::new(
                NAME,
                config,
                &[Rate {
                    count: 3,
                    per: Duration::from_secs(3),
                }],
                pool,
            )?,
            base_url: config.openlibrary_base_url.clone(),
        })
    }

    async fn search_json(&self, query: &[(&str, &str)]) -> Result<SearchBody, ProviderError> {
        let mut params = vec![("fields", FIELDS)];
        params.extend_from_slice(query);
        let reply = self
            .http
            .get(&format!("{}/search.json", self.base_url), &params)
            .await?;
        if reply.status != StatusCode::OK {
            return Err(ProviderError::BadResponse {
                provider: NAME,
                detail: format!("HTTP {}", reply.status),
            });
        }
        reply.json(NAME)
    }
}

fn cover(id: Option<i64>) -> String {
    id.filter(|id| *id > 0)
        .map(|id| format!("{COVERS}/{id}-M.jpg"))
        .unwrap_or_default()
}

impl Doc {
    fn into_candidate(self) -> Candidate {
        let external_id = self.key.trim_start_matches("/works/").to_owned();
        let summary = if self.author_name.is_empty() {
            String::new()
        } else {
            format!("By {}.", self.author_name.join(", "))
        };
        Candidate {
            reference: Reference {
                source: Source::OpenLibrary,
                kind: MediaKind::Book,
                external_id,
            },
            title: self.title,
            year: self.first_publish_year,
            image_url: cover(self.cover_i),
            summary,
            total_units: self.number_of_pages_median.filter(|n| *n > 0),
        }
    }
}

#[tonic::async_trait]
impl Provider for OpenLibrary {
    async fn search(
        &self,
        _kind: MediaKind,
        query: &str,
        page: u32,
    ) -> Result<SearchPage, ProviderError> {
        let offset = (page.saturating_sub(1) * PAGE_SIZE).to_string();
        let limit = PAGE_SIZE.to_string();
        let body = self
            .search_json(&[("q", query), ("limit", &limit), ("offset", &offset)])
            .await?;
        Ok(search_page(page, body))
    }

    /// The work's own record (title, description, covers), completed with
    /// the year, authors and page count that only search knows.
    async fn details(
        &self,
        _kind: MediaKind,
        external_id: &str,
    ) -> Result<Candidate, ProviderError> {
        let is_work_id = external_id.starts_with("OL")
            && external_id.ends_with('W')
            && external_id[2..external_id.len() - 1]
                .chars()
                .all(|c| c.is_ascii_digit());
        if !is_work_id {
            return Err(ProviderError::NotFound { provider: NAME });
        }
        let reply = self
            .http
            .get(&format!("{}/works/{external_id}.json", self.base_url), &[])
            .await?;
        let work = work(&reply)?;
        let key = format!("key:/works/{external_id}");
        let found = self.search_json(&[("q", &key), ("limit", "1")]).await?;
        Ok(candidate(external_id, work, found))
    }
}

fn search_page(page: u32, body: SearchBody) -> SearchPage {
    SearchPage {
        has_more: i64::from(page.saturating_mul(PAGE_SIZE)) < body.num_found,
        total: body.num_found,
        items: body
            .docs
            .into_iter()
            .filter(|d| d.key.starts_with("/works/"))
            .map(Doc::into_candidate)
            .collect(),
    }
}

/// A work's record, or why there is none.
fn work(reply: &Reply) -> Result<Work, ProviderError> {
    match reply.status {
        StatusCode::OK => reply.json(NAME),
        StatusCode::NOT_FOUND => Err(ProviderError::NotFound { provider: NAME }),
        status => Err(ProviderError::BadResponse {
            provider: NAME,
            detail: format!("HTTP {status}"),
        }),
    }
}

/// A work's record completed with what search knows of it.
fn candidate(external_id: &str, work: Work, found: SearchBody) -> Candidate {
    let mut candidate = found
        .docs
        .into_iter()
        .next()
        .map(Doc::into_candidate)
        .unwrap_or_else(|| Candidate {
            reference: Reference {
                source: Source::OpenLibrary,
                kind: MediaKind::Book,
                external_id: external_id.to_owned(),
            },
            title: work.title.clone(),
            year: None,
            image_url: String::new(),
            summary: String::new(),
            total_units: None,
        });
    candidate.title = work.title;
    if let Some(description) = work.description {
        let (Description::Text(text) | Description::Typed { value: text }) = description;
        candidate.summary = clip(&text);
    }
    if candidate.image_url.is_empty() {
        candidate.image_url = cover(work.covers.first().copied());
    }
    candidate
}

#[cfg(test)]
mod tests {
    use completionist_common::error::ApiError;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_reply_is_read_or_refused_without_panicking(
            work_reply in super::super::arbitrary::reply(),
            search_reply in super::super::arbitrary::reply(),
            page in 1_u32..=100,
        ) {
            let search = search_reply.json::<SearchBody>(NAME);
            match (work(&work_reply), search) {
                (Ok(work), Ok(found)) => drop(candidate("OL1W", work, found)),
                (Err(error), _) | (_, Err(error)) => {
                    prop_assert_ne!(error.code(), tonic::Code::Internal);
                }
            }
            if let Ok(body) = search_reply.json::<SearchBody>(NAME) {
                drop(search_page(page, body));
            }
        }
    }
}

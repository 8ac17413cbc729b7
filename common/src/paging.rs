//! Keyset paging for every List call: page sizes, opaque page tokens that
//! carry where the next page starts and for which query, and [`Page`].

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// How many results a page holds, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageSize(usize);

impl PageSize {
    /// A requested page size: 0 means `default`, above `max` is refused.
    pub fn parse(requested: i32, default: usize, max: usize) -> Result<Self, String> {
        match usize::try_from(requested) {
            Ok(0) => Ok(Self(default)),
            Ok(n) if n <= max => Ok(Self(n)),
            _ => Err(format!(
                "must be between 1 and {max} (or 0 for {default}), got {requested}"
            )),
        }
    }

    /// Rows to fetch: one more than a page, to tell whether another follows.
    pub fn limit(self) -> i64 {
        i64::try_from(self.0).map_or(i64::MAX, |n| n + 1)
    }
}

/// One page of results and the token of the next ("" on the last).
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: String,
}

impl<T> Page<T> {
    /// A page from rows fetched with [`PageSize::limit`]: the extra row is
    /// dropped, and the next page resumes after the last row kept, for the
    /// same `query`.
    pub fn from_rows<Q: Serialize, P: Serialize>(
        mut rows: Vec<T>,
        size: PageSize,
        query: &Q,
        position: impl FnOnce(&T) -> P,
    ) -> Self {
        if rows.len() <= size.0 {
            return Self {
                items: rows,
                next_page_token: String::new(),
            };
        }
        rows.truncate(size.0);
        let next_page_token = rows
            .last()
            .map(|last| encode(query, &position(last)))
            .unwrap_or_default();
        Self {
            items: rows,
            next_page_token,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_page_token: self.next_page_token,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Token<Q, P> {
    query: Q,
    position: P,
}

/// A page token: where the next page starts, and the query it belongs to.
pub fn encode<Q: Serialize, P: Serialize>(query: &Q, position: &P) -> String {
    // Plain data structs always serialize to JSON.
    let json = serde_json::to_vec(&Token { query, position }).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Where the page of `token` starts; `None` for the empty token of the
/// first page. A token issued for another query is refused: its position
/// means nothing in this one.
pub fn decode<Q, P>(token: &str, query: &Q) -> Result<Option<P>, PageTokenError>
where
    Q: DeserializeOwned + PartialEq,
    P: DeserializeOwned,
{
    if token.is_empty() {
        return Ok(None);
    }
    let json = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| PageTokenError::NotOurs)?;
    let token: Token<Q, P> = serde_json::from_slice(&json).map_err(|_| PageTokenError::NotOurs)?;
    if token.query != *query {
        return Err(PageTokenError::OtherQuery);
    }
    Ok(Some(token.position))
}

/// Why a page token was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PageTokenError {
    #[error("is not a token this service issued")]
    NotOurs,
    #[error("was issued for other filters or order; start again without it")]
    OtherQuery,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Query {
        kind: Option<String>,
    }

    #[test]
    fn tokens_round_trip_for_their_own_query_only() {
        let query = Query { kind: None };
        let token = encode(&query, &42_i64);
        assert_eq!(decode::<_, i64>(&token, &query), Ok(Some(42)));
        assert_eq!(decode::<_, i64>("", &query), Ok(None));
        let other = Query {
            kind: Some("anime".into()),
        };
        assert_eq!(
            decode::<_, i64>(&token, &other),
            Err(PageTokenError::OtherQuery)
        );
        assert_eq!(
            decode::<_, i64>("not a token", &query),
            Err(PageTokenError::NotOurs)
        );
        assert_eq!(
            decode::<_, i64>(&encode(&query, &"a string"), &query),
            Err(PageTokenError::NotOurs)
        );
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(PageSize::parse(0, 20, 100), Ok(PageSize(20)));
        assert_eq!(PageSize::parse(100, 20, 100), Ok(PageSize(100)));
        assert!(PageSize::parse(101, 20, 100).is_err());
        assert!(PageSize::parse(-1, 20, 100).is_err());
        assert_eq!(PageSize(20).limit(), 21);
    }

    #[test]
    fn a_page_drops_the_extra_row_and_resumes_after_the_last_kept() {
        let size = PageSize::parse(2, 20, 100).unwrap();
        let query = Query { kind: None };
        let page = Page::from_rows(vec![1, 2, 3], size, &query, |n| *n);
        assert_eq!(page.items, [1, 2]);
        assert_eq!(decode::<_, i32>(&page.next_page_token, &query), Ok(Some(2)));
        let last = Page::from_rows(vec![1, 2], size, &query, |n| *n);
        assert_eq!(last.next_page_token, "");
    }
}

//! Keyset paging for every List call: page sizes, [`Page`], and page tokens
//! that carry where the next page starts. A token is sealed with
//! authenticated encryption ([`PageTokens`]): opaque to the caller,
//! impossible to forge or alter, and good only for the caller and the query
//! (filters, order) it was issued for.

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, Generate, KeyInit, Payload},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};

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
    /// dropped, and `next_token` makes the token of the page after the
    /// last row kept.
    pub fn from_rows(
        mut rows: Vec<T>,
        size: PageSize,
        next_token: impl FnOnce(&T) -> String,
    ) -> Self {
        if rows.len() <= size.0 {
            return Self {
                items: rows,
                next_page_token: String::new(),
            };
        }
        rows.truncate(size.0);
        let next_page_token = rows.last().map(next_token).unwrap_or_default();
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

/// Longer tokens are refused unread: none this service issues comes close.
const MAX_TOKEN_LEN: usize = 2048;

/// Seals and opens page tokens with XChaCha20-Poly1305: the caller is the
/// associated data, so a token opens only for whom it was issued to.
#[derive(Clone)]
pub struct PageTokens {
    cipher: Arc<XChaCha20Poly1305>,
}

impl PageTokens {
    /// Keys derived from `secret` and `purpose` (the service), so replicas
    /// sharing the secret accept each other's tokens and services do not.
    pub fn new(secret: &SecretString, purpose: &str) -> Self {
        let key: [u8; 32] = Sha256::new()
            .chain_update(purpose.as_bytes())
            .chain_update([0])
            .chain_update(secret.expose_secret().as_bytes())
            .finalize()
            .into();
        Self {
            cipher: Arc::new(XChaCha20Poly1305::new(&key.into())),
        }
    }

    /// A random key: tokens last as long as this process.
    pub fn ephemeral() -> Self {
        Self {
            cipher: Arc::new(XChaCha20Poly1305::new(&chacha20poly1305::Key::generate())),
        }
    }

    /// The token of the page at `position` of `query`, for `caller`.
    pub fn seal<Q: Serialize, P: Serialize>(
        &self,
        caller: &str,
        query: &Q,
        position: &P,
    ) -> String {
        // Plain data structs always serialize to JSON.
        let json = serde_json::to_vec(&Token { query, position }).unwrap_or_default();
        let nonce = XNonce::generate();
        let payload = Payload {
            msg: &json,
            aad: caller.as_bytes(),
        };
        // Encryption into a Vec cannot fail for inputs this small.
        let sealed = self.cipher.encrypt(&nonce, payload).unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Where the page of `token` starts; `None` for the empty token of the
    /// first page. Refuses a token that was not sealed here for `caller`,
    /// or was issued for another query.
    pub fn open<Q, P>(
        &self,
        token: &str,
        caller: &str,
        query: &Q,
    ) -> Result<Option<P>, PageTokenError>
    where
        Q: DeserializeOwned + PartialEq,
        P: DeserializeOwned,
    {
        if token.is_empty() {
            return Ok(None);
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(PageTokenError::NotOurs);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| PageTokenError::NotOurs)?;
        if bytes.len() < 24 {
            return Err(PageTokenError::NotOurs);
        }
        let (nonce, sealed) = bytes.split_at(24);
        let nonce = XNonce::try_from(nonce).map_err(|_| PageTokenError::NotOurs)?;
        let payload = Payload {
            msg: sealed,
            aad: caller.as_bytes(),
        };
        let json = self
            .cipher
            .decrypt(&nonce, payload)
            .map_err(|_| PageTokenError::NotOurs)?;
        let token: Token<Q, P> =
            serde_json::from_slice(&json).map_err(|_| PageTokenError::NotOurs)?;
        if token.query != *query {
            return Err(PageTokenError::OtherQuery);
        }
        Ok(Some(token.position))
    }
}

/// Why a page token was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PageTokenError {
    #[error("is not a page token this service issued to you")]
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

    fn tokens() -> PageTokens {
        PageTokens::new(
            &SecretString::from("a test secret of enough length!!"),
            "test",
        )
    }

    #[test]
    fn tokens_round_trip_for_their_own_caller_and_query_only() {
        let tokens = tokens();
        let query = Query { kind: None };
        let token = tokens.seal("ada", &query, &42_i64);
        assert_eq!(tokens.open::<_, i64>(&token, "ada", &query), Ok(Some(42)));
        assert_eq!(tokens.open::<_, i64>("", "ada", &query), Ok(None));
        let other = Query {
            kind: Some("anime".into()),
        };
        assert_eq!(
            tokens.open::<_, i64>(&token, "ada", &other),
            Err(PageTokenError::OtherQuery)
        );
        assert_eq!(
            tokens.open::<_, i64>(&token, "bob", &query),
            Err(PageTokenError::NotOurs),
            "bound to the caller"
        );
        assert_eq!(
            tokens.open::<_, i64>("not a token", "ada", &query),
            Err(PageTokenError::NotOurs)
        );
        let elsewhere = PageTokens::new(
            &SecretString::from("another secret of enough length"),
            "test",
        );
        assert_eq!(
            elsewhere.open::<_, i64>(&token, "ada", &query),
            Err(PageTokenError::NotOurs),
            "sealed with another key"
        );
    }

    #[test]
    fn tokens_are_opaque_and_tamper_evident() {
        let tokens = tokens();
        let query = Query { kind: None };
        let token = tokens.seal("ada", &query, &"a position");
        let bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("position"));
        for i in 0..bytes.len() {
            let mut tampered = bytes.clone();
            tampered[i] ^= 1;
            let tampered = URL_SAFE_NO_PAD.encode(tampered);
            assert_eq!(
                tokens.open::<_, String>(&tampered, "ada", &query),
                Err(PageTokenError::NotOurs)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_tokens_are_refused_without_panicking(token in ".{0,300}", bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let tokens = tokens();
            let query = Query { kind: None };
            let opened = tokens.open::<_, i64>(&token, "ada", &query);
            proptest::prop_assert!(opened.is_err() || token.is_empty());
            let encoded = URL_SAFE_NO_PAD.encode(&bytes);
            proptest::prop_assert!(tokens.open::<_, i64>(&encoded, "ada", &query).is_err() || encoded.is_empty());
        }
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
        let page = Page::from_rows(vec![1, 2, 3], size, |n| format!("after {n}"));
        assert_eq!(page.items, [1, 2]);
        assert_eq!(page.next_page_token, "after 2");
        let last = Page::from_rows(vec![1, 2], size, |n| format!("after {n}"));
        assert_eq!(last.next_page_token, "");
    }
}

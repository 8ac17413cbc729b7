//! Opaque page tokens: a keyset cursor serialized and base64url-encoded, so
//! clients cannot depend on (or easily forge) what is inside.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Serialize, de::DeserializeOwned};

/// Encodes a cursor as a page token.
pub fn encode<T: Serialize>(cursor: &T) -> String {
    // Serializing plain data structs to JSON cannot fail.
    let json = serde_json::to_vec(cursor).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Decodes a page token; `None` for the empty token of the first page.
pub fn decode<T: DeserializeOwned>(token: &str) -> Result<Option<T>, InvalidPageToken> {
    if token.is_empty() {
        return Ok(None);
    }
    let json = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| InvalidPageToken)?;
    serde_json::from_slice(&json)
        .map(Some)
        .map_err(|_| InvalidPageToken)
}

/// The token was not made by this service (or for this query).
#[derive(Debug, thiserror::Error)]
#[error("page_token is not a token this service issued")]
pub struct InvalidPageToken;

/// Checks a requested page size: 0 means `default`, above `max` is refused.
pub fn page_size(requested: i32, default: i64, max: i64) -> Result<i64, String> {
    match i64::from(requested) {
        0 => Ok(default),
        n if (1..=max).contains(&n) => Ok(n),
        n => Err(format!(
            "must be between 1 and {max} (or 0 for {default}), got {n}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Cursor {
        after: i64,
    }

    #[test]
    fn round_trips_and_rejects_garbage() {
        let token = encode(&Cursor { after: 42 });
        assert_eq!(
            decode::<Cursor>(&token).unwrap(),
            Some(Cursor { after: 42 })
        );
        assert_eq!(decode::<Cursor>("").unwrap(), None);
        assert!(decode::<Cursor>("not a token").is_err());
        assert!(decode::<Cursor>(&encode(&"other shape")).is_err());
    }

    #[test]
    fn page_size_bounds() {
        assert_eq!(page_size(0, 20, 100), Ok(20));
        assert_eq!(page_size(100, 20, 100), Ok(100));
        assert!(page_size(101, 20, 100).is_err());
        assert!(page_size(-1, 20, 100).is_err());
    }
}

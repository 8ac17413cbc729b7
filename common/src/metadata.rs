//! Reading call metadata.

use tonic::metadata::MetadataMap;

/// The token of `authorization: Bearer <token>` (scheme in any case).
pub fn bearer_token(metadata: &MetadataMap) -> Option<&str> {
    let value = metadata.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use tonic::metadata::MetadataValue;

    use super::*;

    #[test]
    fn reads_bearer_tokens() {
        let mut metadata = MetadataMap::new();
        assert_eq!(bearer_token(&metadata), None);
        metadata.insert("authorization", MetadataValue::from_static("Bearer abc"));
        assert_eq!(bearer_token(&metadata), Some("abc"));
        metadata.insert("authorization", MetadataValue::from_static("bearer  abc "));
        assert_eq!(bearer_token(&metadata), Some("abc"));
        metadata.insert("authorization", MetadataValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&metadata), None);
        metadata.insert("authorization", MetadataValue::from_static("Bearer "));
        assert_eq!(bearer_token(&metadata), None);
    }
}

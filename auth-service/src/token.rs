//! Access tokens (HS256 JWTs) and refresh tokens (opaque random strings that
//! are stored only as SHA-256 hashes).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use completionist_common::config::ExposeSecret;

use crate::{config::JwtConfig, domain::Role, error::Error};

/// The `typ` header of access tokens (RFC 9068). jsonwebtoken does not check
/// it; [`Keys::decode`] does, so no other kind of JWT passes for one.
const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// The claims of an access token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Claims {
    /// The user id.
    pub(crate) sub: Uuid,
    /// The token id; what Logout revokes.
    pub(crate) jti: Uuid,
    /// The session (refresh token family) the token was issued in.
    pub(crate) sid: Uuid,
    /// Issue time in seconds with millisecond precision, so a revocation
    /// "before now" does not also catch a token issued right after it.
    pub(crate) iat: f64,
    pub(crate) exp: i64,
    pub(crate) iss: String,
    pub(crate) aud: String,
    pub(crate) role: Role,
}

impl Claims {
    /// Issue time in whole milliseconds since the epoch.
    pub(crate) fn issued_at_millis(&self) -> i64 {
        // Issue times are ~1.7e12 ms: exact in an f64.
        (self.iat * 1000.0).round() as i64
    }

    pub(crate) fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.exp, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// Signs and checks access tokens.
pub(crate) struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    config: JwtConfig,
    /// Tokens whose signature, type, issuer and audience were checked, with
    /// their claims: a token is the same string each time its holder sends
    /// it, and checking it again would only find the same. Its expiry is
    /// still checked at each use.
    verified: moka::sync::Cache<String, Claims>,
}

/// How many checked tokens [`Keys`] remembers (a few MiB at most).
const VERIFIED_TOKENS: u64 = 10_000;

/// A freshly signed access token.
pub(crate) struct AccessToken {
    pub(crate) token: String,
    pub(crate) claims: Claims,
}

impl Keys {
    pub(crate) fn new(config: JwtConfig) -> Self {
        let secret = config.secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = config.leeway.as_secs();
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_TOKENS)
                // No token lives longer.
                .time_to_live(config.access_ttl + config.leeway)
                .build(),
            config,
        }
    }

    pub(crate) fn config(&self) -> &JwtConfig {
        &self.config
    }

    /// Signs an access token for `user` in session `session`.
    pub(crate) fn issue(
        &self,
        user: Uuid,
        role: Role,
        session: Uuid,
    ) -> Result<AccessToken, Error> {
        let now = Utc::now();
        let ttl = TimeDelta::from_std(self.config.access_ttl)
            .map_err(|e| anyhow::anyhow!("access TTL out of range: {e}"))?;
        let iat = now.timestamp_millis() as f64 / 1000.0;
        let claims = Claims {
            sub: user,
            jti: Uuid::now_v7(),
            sid: session,
            iat,
            exp: (now + ttl).timestamp(),
            iss: self.config.issuer.clone(),
            aud: self.config.audience.clone(),
            role,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(ACCESS_TOKEN_TYPE.into());
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| anyhow::anyhow!("signing failed: {e}"))?;
        Ok(AccessToken { token, claims })
    }

    /// Checks signature, type, expiry (with leeway), issuer and audience.
    /// Revocation is the caller's next step.
    pub(crate) fn decode(&self, token: &str) -> Result<Claims, Error> {
        if let Some(claims) = self.verified.get(token) {
            // As jsonwebtoken judges expiry: past `exp` by more than the
            // leeway.
            let leeway = i64::try_from(self.validation.leeway).unwrap_or(i64::MAX);
            if claims.exp < Utc::now().timestamp().saturating_sub(leeway) {
                return Err(Error::TokenExpired);
            }
            return Ok(claims);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => Error::TokenExpired,
                _ => Error::InvalidToken,
            })?;
        if data.header.typ.as_deref() != Some(ACCESS_TOKEN_TYPE) {
            return Err(Error::InvalidToken);
        }
        self.verified.insert(token.to_owned(), data.claims.clone());
        Ok(data.claims)
    }
}

/// A new opaque refresh token: 256 random bits, base64url.
pub(crate) fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `successor`, sealed so that only the holder of `token` (the refresh
/// token it supersedes) can open it: XOR with a SHA-256 of `token` under a
/// label of its own (a hash the database does not keep). `None` for a
/// successor that is not one of ours.
pub(crate) fn seal_successor(token: &str, successor: &str) -> Option<Vec<u8>> {
    let successor = URL_SAFE_NO_PAD.decode(successor).ok()?;
    let pad = successor_pad(token);
    (successor.len() == pad.len()).then(|| successor.iter().zip(pad).map(|(a, b)| a ^ b).collect())
}

/// The successor [`seal_successor`] sealed, opened with `token`.
pub(crate) fn open_successor(token: &str, sealed: &[u8]) -> Option<String> {
    let pad = successor_pad(token);
    (sealed.len() == pad.len()).then(|| {
        URL_SAFE_NO_PAD.encode(
            sealed
                .iter()
                .zip(pad)
                .map(|(a, b)| a ^ b)
                .collect::<Vec<u8>>(),
        )
    })
}

fn successor_pad(token: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"completionist refresh successor\0");
    hash.update(token.as_bytes());
    hash.finalize().into()
}

/// What the database stores of a refresh token.
pub(crate) fn hash_refresh_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use completionist_common::config::SecretString;

    use super::*;

    fn config(secret: &str, ttl: Duration) -> JwtConfig {
        JwtConfig {
            secret: SecretString::from(secret),
            access_ttl: ttl,
            refresh_ttl: ttl,
            refresh_reuse_interval: Duration::ZERO,
            leeway: Duration::ZERO,
            issuer: "iss".into(),
            audience: "aud".into(),
        }
    }

    #[test]
    fn only_the_superseded_token_opens_its_successor() {
        let (old, next) = (new_refresh_token(), new_refresh_token());
        let sealed = seal_successor(&old, &next).unwrap();
        assert_eq!(
            open_successor(&old, &sealed).as_deref(),
            Some(next.as_str())
        );
        assert_ne!(
            open_successor(&new_refresh_token(), &sealed).as_deref(),
            Some(next.as_str())
        );
        assert_ne!(
            sealed,
            hash_refresh_token(&next),
            "the seal is not the stored hash"
        );
        assert!(open_successor(&old, &sealed[1..]).is_none());
        assert!(seal_successor(&old, "not ours!").is_none());
    }

    #[test]
    fn issues_and_decodes() {
        let keys = Keys::new(config("k".repeat(32).as_str(), Duration::from_secs(60)));
        let user = Uuid::now_v7();
        let token = keys.issue(user, Role::Admin, Uuid::now_v7()).unwrap();
        let claims = keys.decode(&token.token).unwrap();
        assert_eq!(claims.sub, user);
        assert_eq!(claims.role, Role::Admin);
        assert_eq!(claims.jti, token.claims.jti);
    }

    #[test]
    fn a_remembered_token_still_expires() {
        let keys = Keys::new(config(&"k".repeat(32), Duration::from_secs(60)));
        let mut claims = keys
            .issue(Uuid::now_v7(), Role::User, Uuid::now_v7())
            .unwrap()
            .claims;
        claims.exp = Utc::now().timestamp() + 1;
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(ACCESS_TOKEN_TYPE.into());
        let token = jsonwebtoken::encode(&header, &claims, &keys.encoding).unwrap();
        assert!(keys.decode(&token).is_ok());
        assert!(keys.verified.contains_key(&token), "remembered");
        std::thread::sleep(Duration::from_millis(2100));
        assert!(matches!(keys.decode(&token), Err(Error::TokenExpired)));
    }

    #[test]
    fn refuses_other_keys_types_and_garbage() {
        let keys = Keys::new(config(&"k".repeat(32), Duration::from_secs(60)));
        let other = Keys::new(config(&"o".repeat(32), Duration::from_secs(60)));
        let token = other
            .issue(Uuid::now_v7(), Role::User, Uuid::now_v7())
            .unwrap();
        assert!(matches!(
            keys.decode(&token.token),
            Err(Error::InvalidToken)
        ));
        assert!(matches!(keys.decode("garbage"), Err(Error::InvalidToken)));

        // Same key, same claims, but not typed as an access token.
        let claims = keys
            .issue(Uuid::now_v7(), Role::User, Uuid::now_v7())
            .unwrap()
            .claims;
        let untyped =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert!(matches!(keys.decode(&untyped), Err(Error::InvalidToken)));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_passes_for_a_token(token in ".{0,600}") {
            let keys = Keys::new(config(&"k".repeat(32), Duration::from_secs(60)));
            proptest::prop_assert!(keys.decode(&token).is_err());
        }

        #[test]
        fn a_token_with_any_byte_changed_is_refused(at in proptest::num::usize::ANY, to in 0x21u8..0x7f) {
            let keys = Keys::new(config(&"k".repeat(32), Duration::from_secs(60)));
            let token = keys.issue(Uuid::now_v7(), Role::User, Uuid::now_v7()).unwrap().token;
            let mut bytes = token.clone().into_bytes();
            let at = at % bytes.len();
            proptest::prop_assume!(bytes[at] != to);
            bytes[at] = to;
            let tampered = String::from_utf8(bytes).unwrap();
            proptest::prop_assert!(keys.decode(&tampered).is_err(), "{tampered}");
        }
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = new_refresh_token();
        assert_ne!(a, new_refresh_token());
        assert_eq!(hash_refresh_token(&a).len(), 32);
        assert_eq!(hash_refresh_token(&a), hash_refresh_token(&a));
    }
}

//! The secrets in URLs that calendar apps and media servers hold in place
//! of an access token: 32 random bytes, URL-safe, shown once, kept only as
//! their SHA-256.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The longest text that may be such a secret (one is 43 characters):
/// anything longer is refused before it is hashed.
pub(crate) const MAX_LEN: usize = 128;

/// A new secret, and its hash to keep.
pub(crate) fn generate() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&secret);
    (secret, hash)
}

/// What is kept of `secret`; it is found by this, so how long the lookup
/// takes says nothing of how close a guess was.
pub(crate) fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

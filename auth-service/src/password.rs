//! argon2id hashing off the async runtime, a few at a time.
//!
//! Each hash or verify costs tens of milliseconds of CPU: it runs on the
//! blocking pool behind a semaphore about the size of the core count, so a
//! flood of logins queues here instead of starving every other RPC.

use std::sync::Arc;

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use tokio::sync::Semaphore;

use crate::{domain::Password, error::Error};

/// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// Verified when an email is unknown, so that answer takes as long as a
    /// wrong password and timing does not reveal who has an account.
    dummy_hash: Arc<str>,
}

impl Hasher {
    pub fn new(concurrency: usize) -> Result<Self, anyhow::Error> {
        let dummy_hash = hash_blocking("a password nobody has".as_bytes())?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// The PHC string of a new password.
    pub async fn hash(&self, password: Password) -> Result<String, Error> {
        self.run(move || hash_blocking(password.expose().as_bytes()))
            .await
    }

    /// Whether `password` matches `hash`; with no hash (unknown account), a
    /// dummy is verified and the answer is `false`.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, Error> {
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.to_owned();
        let matches = self
            .run(move || {
                let parsed = PasswordHash::new(&hash)
                    .map_err(|e| anyhow::anyhow!("stored hash is not a PHC string: {e}"))?;
                Ok(argon2()?
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok())
            })
            .await?;
        Ok(known && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, anyhow::Error> + Send + 'static,
    ) -> Result<T, Error> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| anyhow::anyhow!("hashing semaphore closed: {e}"))?;
        let result = tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| anyhow::anyhow!("hashing task failed: {e}"))?;
        Ok(result?)
    }
}

fn argon2() -> Result<Argon2<'static>, anyhow::Error> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &[u8]) -> Result<String, anyhow::Error> {
    Ok(argon2()?
        .hash_password(password)
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_owasp_parameters_and_verifies() {
        let hasher = Hasher::new(1).unwrap();
        let hash = hasher
            .hash(Password::parse("correct horse", None).unwrap())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(hasher.verify("correct horse", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("wrong horse", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("correct horse", None).await.unwrap());
    }
}

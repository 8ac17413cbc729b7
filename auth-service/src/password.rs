//! argon2id hashing off the async runtime, in a limited number of
//! [`Slots`], so a flood of logins queues here instead of starving every
//! other RPC (figures in `bench/README.md`).

use std::sync::{Arc, Mutex};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
};

use crate::{
    config,
    domain::Password,
    error::Error,
    slots::{Activity, Slots},
};

/// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;
const OUTPUT_LEN: usize = 32;

#[derive(Clone)]
pub(crate) struct Hasher {
    slots: Arc<Slots>,
    /// argon2's working memory, one block array per slot, reused: freed
    /// 19 MiB arrays piled up in glibc (`bench/README.md`, peak memory).
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
    /// Verified when an email is unknown, so that answer takes as long as a
    /// wrong password and timing does not reveal who has an account.
    dummy_hash: Arc<str>,
}

impl Hasher {
    /// At most `concurrency` computations at once, one fewer while
    /// `activity` shows other calls being answered.
    pub(crate) fn new(concurrency: usize, activity: Arc<Activity>) -> Result<Self, anyhow::Error> {
        let mut memory = vec![Block::default(); params()?.block_count()];
        let dummy_hash = hash_blocking(b"a password nobody has", &mut memory)?;
        Ok(Self {
            slots: Arc::new(Slots::new(concurrency, config::cores(), activity)),
            memory: Arc::new(Mutex::new(vec![memory])),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// The PHC string of a new password.
    pub(crate) async fn hash(&self, password: Password) -> Result<String, Error> {
        self.run(move |memory| hash_blocking(password.expose().as_bytes(), memory))
            .await
    }

    /// Whether `password` matches `hash`; with no hash (unknown account), a
    /// dummy is verified and the answer is `false`.
    pub(crate) async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, Error> {
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.to_owned();
        let matches = self
            .run(move |memory| verify_blocking(password.as_bytes(), &hash, memory))
            .await?;
        Ok(known && matches)
    }

    /// Runs `work` on the blocking pool in a slot, with a block array.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> Result<T, anyhow::Error> + Send + 'static,
    ) -> Result<T, Error> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| anyhow::anyhow!("hashing semaphore closed: {e}"))?;
        let pool = self.memory.clone();
        let span = tracing::Span::current();
        let result = tokio::task::spawn_blocking(move || {
            let _request = span.enter();
            yield_to_async_workers();
            let taken = pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let mut memory = taken.unwrap_or_default();
            let result = work(&mut memory);
            pool.lock().unwrap_or_else(|e| e.into_inner()).push(memory);
            result
        })
        .await
        .map_err(|e| anyhow::anyhow!("hashing task failed: {e}"))?;
        Ok(result?)
    }
}

/// Puts the calling blocking-pool thread in Linux's `SCHED_IDLE` class,
/// once, so hashing gives way to the async workers (`bench/README.md`).
fn yield_to_async_workers() {
    thread_local! {
        static LOWERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if LOWERED.with(|lowered| lowered.replace(true)) {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
            set_thread_priority_and_policy, thread_native_id,
        };
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        if let Err(error) =
            set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle)
        {
            tracing::debug!(?error, "could not lower the hashing thread's priority");
        }
    }
}

fn params() -> Result<Params, anyhow::Error> {
    Params::new(MEMORY_KIB, PASSES, LANES, Some(OUTPUT_LEN))
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))
}

/// `memory` resized to what `params` need (a no-op once it has been).
fn blocks<'a>(memory: &'a mut Vec<Block>, params: &Params) -> &'a mut [Block] {
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    &mut memory[..params.block_count()]
}

fn hash_blocking(password: &[u8], memory: &mut Vec<Block>) -> Result<String, anyhow::Error> {
    let params = params()?;
    let salt = Salt::generate();
    let mut output = [0u8; OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, &salt, &mut output, blocks(memory, &params))
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("{e}"))?,
        salt: Some(salt),
        hash: Some(Output::new(&output).map_err(|e| anyhow::anyhow!("{e}"))?),
    };
    Ok(phc.to_string())
}

/// Verifies with the parameters stored in the hash (so hashes made with
/// other parameters still verify).
fn verify_blocking(
    password: &[u8],
    stored: &str,
    memory: &mut Vec<Block>,
) -> Result<bool, anyhow::Error> {
    let invalid =
        |e: &dyn std::fmt::Display| anyhow::anyhow!("stored hash is not an argon2 PHC string: {e}");
    let parsed = PasswordHash::new(stored).map_err(|e| invalid(&e))?;
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(|e| invalid(&e))?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|e| invalid(&e))?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(|e| invalid(&e))?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(invalid(&"no salt or no hash"));
    };
    let mut output = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(password, &salt, &mut output, blocks(memory, &params))
        .map_err(|e| anyhow::anyhow!("verifying failed: {e}"))?;
    // `Output`'s equality is constant-time.
    Ok(Output::new(&output).map_err(|e| invalid(&e))? == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_owasp_parameters_and_verifies() {
        let hasher = Hasher::new(1, Arc::default()).unwrap();
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

    #[tokio::test]
    async fn verifies_hashes_made_by_the_argon2_crate_itself() {
        use argon2::password_hash::PasswordHasher;
        let params = Params::new(8 * 1024, 1, 1, None).unwrap();
        let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"from elsewhere")
            .unwrap()
            .to_string();
        let hasher = Hasher::new(1, Arc::default()).unwrap();
        assert!(hasher.verify("from elsewhere", Some(&other)).await.unwrap());
        assert!(!hasher.verify("from nowhere", Some(&other)).await.unwrap());
        assert!(hasher.verify("x", Some("not a phc string")).await.is_err());
    }
}

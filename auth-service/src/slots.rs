//! How many argon2 computations may run at once: every core while the
//! service only hashes, one fewer while it answers other calls, so waking
//! workers always find a core free of hashing. The measurements behind
//! this (`perf sched` traces of a login flood) are in `bench/README.md`.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use tokio::{
    sync::{AcquireError, Semaphore, SemaphorePermit},
    time::Instant,
};
use tonic::{
    codegen::{Service, http},
    server::NamedService,
};

/// How long after its last other call the service counts as only hashing.
const QUIET: Duration = Duration::from_millis(100);

/// When the service last took a call that does not hash a password.
#[derive(Debug)]
pub(crate) struct Activity {
    origin: Instant,
    /// Milliseconds from `origin` to the last such call, plus one; zero
    /// before the first.
    last: AtomicU64,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            last: AtomicU64::new(0),
        }
    }
}

impl Activity {
    /// Notes a call that does not hash.
    pub(crate) fn touch(&self) {
        let millis = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.last.store(millis + 1, Ordering::Relaxed);
    }

    /// When the service counts (or counted) as quiet.
    fn quiet_from(&self) -> Instant {
        match self.last.load(Ordering::Relaxed) {
            0 => self.origin,
            last => self.origin + Duration::from_millis(last - 1) + QUIET,
        }
    }

    fn is_quiet(&self) -> bool {
        self.quiet_from() <= Instant::now()
    }
}

/// Permits to hash: some always open, the rest only while the service is
/// quiet.
#[derive(Debug)]
pub(crate) struct Slots {
    steady: Semaphore,
    spare: Option<Semaphore>,
    activity: Arc<Activity>,
}

impl Slots {
    /// `concurrency` slots, of which all but one (and never fewer than one)
    /// stay open while the service answers other calls on `cores` cores.
    pub(crate) fn new(concurrency: usize, cores: usize, activity: Arc<Activity>) -> Self {
        let concurrency = concurrency.max(1);
        let steady = concurrency.min(cores.saturating_sub(1)).max(1);
        let spare = concurrency - steady;
        Self {
            steady: Semaphore::new(steady),
            spare: (spare > 0).then(|| Semaphore::new(spare)),
            activity,
        }
    }

    /// Waits for a slot: a steady one, or a spare one while the service is
    /// quiet. Waiters keep their place in the steady queue throughout.
    pub(crate) async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        let steady = self.steady.acquire();
        let Some(spare) = &self.spare else {
            return steady.await;
        };
        tokio::pin!(steady);
        loop {
            let quiet_from = self.activity.quiet_from();
            if quiet_from > Instant::now() {
                tokio::select! {
                    biased;
                    permit = &mut steady => return permit,
                    () = tokio::time::sleep_until(quiet_from) => {}
                }
            } else {
                tokio::select! {
                    biased;
                    permit = &mut steady => return permit,
                    permit = spare.acquire() => {
                        let permit = permit?;
                        // Calls may have come in while this waited.
                        if self.activity.is_quiet() {
                            return Ok(permit);
                        }
                    }
                }
            }
        }
    }
}

/// A gRPC service whose calls mark [`Activity`], except those to the
/// methods named in `hashing`.
#[derive(Clone)]
pub(crate) struct MarkActivity<S> {
    inner: S,
    activity: Arc<Activity>,
    hashing: &'static [&'static str],
}

impl<S> MarkActivity<S> {
    pub(crate) fn new(inner: S, activity: Arc<Activity>, hashing: &'static [&'static str]) -> Self {
        Self {
            inner,
            activity,
            hashing,
        }
    }
}

impl<S: NamedService> NamedService for MarkActivity<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> Service<http::Request<B>> for MarkActivity<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().rsplit('/').next().unwrap_or_default();
        if !self.hashing.contains(&method) {
            self.activity.touch();
        }
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use super::*;

    /// Whether `future` finishes without waiting.
    async fn ready<F: Future>(future: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            output = future => Some(output),
            () = std::future::ready(()) => None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_service_hashes_on_every_slot() {
        let slots = Slots::new(2, 2, Arc::default());
        let first = ready(slots.acquire()).await.unwrap().unwrap();
        let second = ready(slots.acquire()).await.unwrap().unwrap();
        assert!(ready(slots.acquire()).await.is_none(), "only two slots");
        drop((first, second));
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_service_keeps_a_core_from_hashing_until_it_is_quiet() {
        let activity = Arc::new(Activity::default());
        let slots = Arc::new(Slots::new(2, 2, activity.clone()));
        activity.touch();
        let first = ready(slots.acquire()).await.unwrap().unwrap();

        let waiting = tokio::spawn({
            let slots = slots.clone();
            async move {
                let _permit = slots.acquire().await.unwrap();
                Instant::now()
            }
        });
        tokio::time::sleep(QUIET / 2).await;
        activity.touch();
        let touched = Instant::now();
        let got_spare = waiting.await.unwrap();
        assert!(
            got_spare >= touched + QUIET,
            "the spare slot opened {:?} after the last call",
            got_spare - touched
        );
        drop(first);
    }

    #[tokio::test(start_paused = true)]
    async fn a_released_steady_slot_goes_to_a_waiter_while_busy() {
        let activity = Arc::new(Activity::default());
        let slots = Arc::new(Slots::new(2, 2, activity.clone()));
        activity.touch();
        let first = ready(slots.acquire()).await.unwrap().unwrap();
        let waiting = tokio::spawn({
            let slots = slots.clone();
            async move { slots.acquire().await.map(drop) }
        });
        tokio::task::yield_now().await;
        drop(first);
        let started = Instant::now();
        waiting.await.unwrap().unwrap();
        assert!(Instant::now() - started < QUIET);
    }

    /// A service that answers every request with `()`.
    #[derive(Clone)]
    struct Answer;

    impl Service<http::Request<()>> for Answer {
        type Response = ();
        type Error = std::convert::Infallible;
        type Future = std::future::Ready<Result<(), Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: http::Request<()>) -> Self::Future {
            std::future::ready(Ok(()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_call_but_the_hashing_ones_marks_the_service_busy() {
        let activity = Arc::new(Activity::default());
        let mut service = MarkActivity::new(Answer, activity.clone(), &["Login"]);
        let call = |method: &str| {
            http::Request::builder()
                .uri(format!("/completionist.auth.v1.AuthService/{method}"))
                .body(())
                .unwrap()
        };
        service.call(call("Login")).await.unwrap();
        assert!(activity.is_quiet(), "Login hashes: it does not count");
        service.call(call("ValidateToken")).await.unwrap();
        assert!(!activity.is_quiet());
        tokio::time::sleep(QUIET).await;
        assert!(
            activity.is_quiet(),
            "quiet again {QUIET:?} after the last call"
        );
    }

    #[test]
    fn all_but_one_core_stay_open_and_never_fewer_than_one_slot() {
        // (concurrency, cores) -> (steady, spare)
        for ((concurrency, cores), expected) in [
            ((2, 2), (1, 1)),
            ((4, 2), (1, 3)),
            ((8, 8), (7, 1)),
            ((4, 8), (4, 0)),
            ((1, 4), (1, 0)),
            ((2, 1), (1, 1)),
            ((0, 2), (1, 0)),
        ] {
            let slots = Slots::new(concurrency, cores, Arc::default());
            let spare = slots.spare.as_ref().map_or(0, Semaphore::available_permits);
            assert_eq!(
                (slots.steady.available_permits(), spare),
                expected,
                "{concurrency} slots on {cores} cores"
            );
        }
    }
}

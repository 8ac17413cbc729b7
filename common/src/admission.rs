//! Load shedding with fair waits. At most `running` calls of a service run
//! at once (about its database pool's size); the next `waiting` wait their
//! turn in arrival order; past that, or after waiting `max_wait`, a call is
//! refused at once with RESOURCE_EXHAUSTED and a retry delay. So overload
//! shows as overload, not as "the database is unavailable" after a pool
//! timeout, and a queue served in order keeps every caller's wait alike.
//! It wraps a service, so health checks and reflection never wait here;
//! nor do the methods a service exempts (those that do not use the pool).

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use http::{Request, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::body::Body;

use crate::{
    error::{CommonError, to_status},
    gate::{Gate, Gated},
};

/// How many calls run and wait.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub running: usize,
    pub waiting: usize,
    pub max_wait: Duration,
}

impl Limits {
    /// Limits for a service whose calls each hold one of the pool's
    /// connections: as many running, eight times as many waiting (a wait
    /// of a few dozen milliseconds once warm), for at most the pool's own
    /// checkout timeout (connections are opened on demand: a cold start
    /// waits for them).
    pub fn for_pool(pool: crate::db::PoolSize) -> Self {
        let running = usize::try_from(pool.max_connections).unwrap_or(16).max(1);
        Self {
            running,
            waiting: running * 8,
            max_wait: pool.checkout_timeout,
        }
    }
}

/// `service` behind admission; `exempt` methods (full paths) are never
/// held.
pub fn protect<S>(
    service: S,
    limits: Limits,
    exempt: &'static [&'static str],
    domain: &'static str,
) -> Admitted<S> {
    let admission = Admission {
        permits: Arc::new(Semaphore::new(limits.running)),
        waiting: Arc::new(AtomicUsize::new(0)),
        limits,
        exempt,
        domain,
    };
    Gated::new(service, admission)
}

/// Admission's places and queue (see [`protect`]).
#[derive(Clone)]
pub struct Admission {
    permits: Arc<Semaphore>,
    /// Calls waiting for a permit now.
    waiting: Arc<AtomicUsize>,
    limits: Limits,
    exempt: &'static [&'static str],
    domain: &'static str,
}

impl Admission {
    /// A permit to run, or the refusal.
    async fn admit(&self) -> Result<OwnedSemaphorePermit, CommonError> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let _waiting = Waiting::enter(&self.waiting, self.limits.waiting)?;
        let waited =
            tokio::time::timeout(self.limits.max_wait, self.permits.clone().acquire_owned()).await;
        match waited {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => {
                metrics::counter!(crate::metrics::name::ADMISSION_REFUSED, "reason" => "wait_timeout").increment(1);
                Err(CommonError::Overloaded)
            }
        }
    }
}

/// One call counted as waiting, until dropped (also when the caller gives
/// up mid-wait).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(waiting: &'a AtomicUsize, limit: usize) -> Result<Self, CommonError> {
        if waiting.fetch_add(1, Ordering::AcqRel) >= limit {
            waiting.fetch_sub(1, Ordering::AcqRel);
            metrics::counter!(crate::metrics::name::ADMISSION_REFUSED, "reason" => "queue_full")
                .increment(1);
            return Err(CommonError::Overloaded);
        }
        metrics::gauge!(crate::metrics::name::ADMISSION_WAITING).increment(1.0);
        Ok(Self(waiting))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
        metrics::gauge!(crate::metrics::name::ADMISSION_WAITING).decrement(1.0);
    }
}

/// A service behind admission; see [`protect`].
pub type Admitted<S> = Gated<S, Admission>;

impl<S> Admitted<S> {
    /// `service` behind this same admission (one set of places and one
    /// queue for both), with methods of its own exempt.
    pub fn beside<T>(&self, service: T, exempt: &'static [&'static str]) -> Admitted<T> {
        let admission = Admission {
            exempt,
            ..self.gate().clone()
        };
        Gated::new(service, admission)
    }
}

impl Gate for Admission {
    type Held = OwnedSemaphorePermit;

    fn applies(&self, request: &Request<Body>) -> bool {
        !self.exempt.contains(&request.uri().path())
    }

    async fn check(
        &self,
        request: Request<Body>,
    ) -> Result<(Request<Body>, OwnedSemaphorePermit), Response<Body>> {
        match self.admit().await {
            Ok(permit) => Ok((request, permit)),
            Err(refusal) => Err(to_status(self.domain, &refusal).into_http()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(running: usize, waiting: usize) -> Admission {
        Admission {
            permits: Arc::new(Semaphore::new(running)),
            waiting: Arc::new(AtomicUsize::new(0)),
            limits: Limits {
                running,
                waiting,
                max_wait: Duration::from_millis(100),
            },
            exempt: &[],
            domain: "test",
        }
    }

    #[tokio::test(start_paused = true)]
    async fn calls_past_the_queue_are_refused_at_once() {
        let admission = admission(1, 1);
        let running = admission.admit().await.unwrap();
        let waiter = tokio::spawn({
            let admission = admission.clone();
            async move { admission.admit().await.map(drop) }
        });
        tokio::task::yield_now().await;
        assert!(matches!(
            admission.admit().await,
            Err(CommonError::Overloaded)
        ));
        drop(running);
        assert!(waiter.await.unwrap().is_ok(), "the waiter got the permit");
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_that_gives_up_leaves_the_queue() {
        let admission = admission(1, 1);
        let _running = admission.admit().await.unwrap();
        let gives_up = tokio::time::timeout(Duration::from_millis(10), admission.admit()).await;
        assert!(gives_up.is_err(), "still waiting when dropped");
        assert_eq!(admission.waiting.load(Ordering::Acquire), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_is_bounded() {
        let admission = admission(1, 8);
        let _running = admission.admit().await.unwrap();
        let started = tokio::time::Instant::now();
        assert!(matches!(
            admission.admit().await,
            Err(CommonError::Overloaded)
        ));
        assert_eq!(started.elapsed(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_arrival_order() {
        let admission = admission(1, 8);
        let running = admission.admit().await.unwrap();
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for n in 0..5 {
            let (admission, order) = (admission.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let _permit = admission.admit().await.unwrap();
                order.lock().unwrap().push(n);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }));
            tokio::task::yield_now().await;
        }
        drop(running);
        for waiter in waiters {
            waiter.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
    }
}

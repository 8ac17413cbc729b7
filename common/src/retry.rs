//! Idempotent calls tried again on `UNAVAILABLE`: another replica (or the
//! same one, back) may answer. At most [`RETRIES`] times, after a jittered
//! backoff, and never past the caller's deadline. Calls that change
//! something are never retried here: a lost answer does not say whether
//! the change was made.

use std::{future::Future, time::Duration};

use rand::Rng;
use tokio::time::Instant;
use tonic::{Code, Status};

/// Retries after the first attempt.
pub const RETRIES: u32 = 2;

/// The first backoff; each next one doubles.
const BACKOFF: Duration = Duration::from_millis(25);

/// `call`'s answer, tried again on `UNAVAILABLE` (see the module's doc)
/// while `deadline` (if any) leaves room.
pub async fn idempotent<T, F, Fut>(deadline: Option<Instant>, call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    idempotent_when(
        deadline,
        call,
        |answer| matches!(answer, Err(status) if status.code() == Code::Unavailable),
    )
    .await
}

/// [`idempotent`] for answers of any type, `unavailable` saying which
/// mean "unavailable" (a forwarded call's, say, whose status is in its
/// headers). The last answer is returned as it is.
pub async fn idempotent_when<R, F, Fut>(
    deadline: Option<Instant>,
    mut call: F,
    unavailable: impl Fn(&R) -> bool,
) -> R
where
    F: FnMut() -> Fut,
    Fut: Future<Output = R>,
{
    let mut attempt = 0;
    loop {
        let answer = call().await;
        if attempt == RETRIES || !unavailable(&answer) {
            return answer;
        }
        let delay = jittered(BACKOFF * 2u32.pow(attempt));
        if deadline.is_some_and(|deadline| Instant::now() + delay >= deadline) {
            return answer;
        }
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

/// `delay` give or take half, so callers that failed together do not come
/// back together.
fn jittered(delay: Duration) -> Duration {
    delay.mul_f64(rand::rng().random_range(0.5..1.5))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    async fn tries(deadline: Option<Instant>, fail: u32, code: Code) -> (Result<u32, Status>, u32) {
        let attempts = AtomicU32::new(0);
        let answer = idempotent(deadline, || {
            let n = attempts.fetch_add(1, Ordering::Relaxed);
            async move {
                if n < fail {
                    Err(Status::new(code, "no"))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        (answer, attempts.load(Ordering::Relaxed))
    }

    #[tokio::test]
    async fn unavailable_is_tried_again_at_most_twice() {
        assert_eq!(tries(None, 2, Code::Unavailable).await.0.unwrap(), 2);
        let (answer, attempts) = tries(None, 5, Code::Unavailable).await;
        assert_eq!(answer.unwrap_err().code(), Code::Unavailable);
        assert_eq!(attempts, 1 + RETRIES);
    }

    #[tokio::test]
    async fn other_errors_and_a_spent_deadline_are_answered_at_once() {
        let (answer, attempts) = tries(None, 5, Code::NotFound).await;
        assert_eq!((answer.unwrap_err().code(), attempts), (Code::NotFound, 1));
        let (answer, attempts) = tries(Some(Instant::now()), 5, Code::Unavailable).await;
        assert_eq!(
            (answer.unwrap_err().code(), attempts),
            (Code::Unavailable, 1)
        );
    }
}

//! Driving load and measuring it honestly.
//!
//! Each case runs twice. First closed-loop, every worker sending its next
//! call as soon as the last returns: what the stack serves at most (the
//! requests per second reported). Then open-loop at a fixed fraction of that
//! rate: calls are due on a schedule that does not wait for answers, and
//! each latency is measured from when the call was due, not from when a
//! worker got round to sending it — so a stall shows up in every call it
//! delayed (no coordinated omission).

use std::{
    collections::BTreeMap,
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;

/// How hard and how long to push.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    /// Calls in flight at once.
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// The open-loop rate as a fraction of the closed-loop rate.
    pub latency_load: f64,
}

/// What a case measured.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub(crate) struct Measured {
    /// Closed-loop throughput.
    pub rps: f64,
    /// The open-loop rate latencies were measured at.
    pub latency_rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub calls: u64,
    /// Failed calls by gRPC code (both phases).
    pub errors: BTreeMap<String, u64>,
}

/// The outcome of one call: `Err` holds the status code's name.
pub(crate) type CallResult = Result<(), String>;

/// Runs `call(i)` closed-loop, then open-loop, as [`Shape`] says.
pub(crate) async fn measure<F, Fut>(shape: Shape, call: F) -> Measured
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = CallResult> + Send + 'static,
{
    let errors = Arc::new(Mutex::new(BTreeMap::new()));
    closed_loop(
        shape.concurrency,
        shape.warmup,
        call.clone(),
        errors.clone(),
    )
    .await;
    errors.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let (calls, elapsed) = closed_loop(
        shape.concurrency,
        shape.duration,
        call.clone(),
        errors.clone(),
    )
    .await;
    let rps = calls as f64 / elapsed.as_secs_f64();

    let rate = (rps * shape.latency_load).max(1.0);
    let histogram = open_loop(
        shape.concurrency,
        rate,
        shape.duration,
        call,
        errors.clone(),
    )
    .await;
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    let errors = errors.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Measured {
        rps,
        latency_rps: rate,
        p50_ms: ms(0.5),
        p90_ms: ms(0.9),
        p99_ms: ms(0.99),
        max_ms: histogram.max() as f64 / 1000.0,
        calls: calls + histogram.len(),
        errors,
    }
}

/// `concurrency` workers calling back to back for `duration`; returns the
/// number of calls completed and the time taken.
pub(crate) async fn closed_loop<F, Fut>(
    concurrency: usize,
    duration: Duration,
    call: F,
    errors: Arc<Mutex<BTreeMap<String, u64>>>,
) -> (u64, Duration)
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = CallResult> + Send + 'static,
{
    let started = Instant::now();
    let end = started + duration;
    let next = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (call, next, errors) = (call.clone(), next.clone(), errors.clone());
            tokio::spawn(async move {
                let mut done = 0u64;
                while Instant::now() < end {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if let Err(code) = call(i).await {
                        *errors
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .entry(code)
                            .or_default() += 1;
                    }
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0;
    for worker in workers {
        total += worker.await.unwrap_or_default();
    }
    (total, started.elapsed())
}

/// Calls due every `1 / rate` seconds for `duration`, sent by up to
/// `concurrency` workers; the latency of each is measured from its due time.
pub(crate) async fn open_loop<F, Fut>(
    concurrency: usize,
    rate: f64,
    duration: Duration,
    call: F,
    errors: Arc<Mutex<BTreeMap<String, u64>>>,
) -> Histogram<u64>
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = CallResult> + Send + 'static,
{
    let start = tokio::time::Instant::now() + Duration::from_millis(10);
    let interval = Duration::from_secs_f64(1.0 / rate);
    let total = (duration.as_secs_f64() * rate) as u64;
    let next = Arc::new(AtomicU64::new(0));
    // A few more workers than the closed loop had, so a slow call does not
    // by itself hold up the schedule; every delay is still counted.
    let workers: Vec<_> = (0..concurrency * 2)
        .map(|_| {
            let (call, next, errors) = (call.clone(), next.clone(), errors.clone());
            tokio::spawn(async move {
                let mut histogram =
                    Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return histogram;
                    }
                    let due = start + interval * (i as u32);
                    tokio::time::sleep_until(due).await;
                    if let Err(code) = call(i).await {
                        *errors
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .entry(code)
                            .or_default() += 1;
                    }
                    let micros = due.elapsed().as_micros().clamp(1, 60_000_000) as u64;
                    histogram.saturating_record(micros);
                }
            })
        })
        .collect();
    let mut merged = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
    for worker in workers {
        if let Ok(histogram) = worker.await {
            let _ = merged.add(histogram);
        }
    }
    merged
}

/// What a saturated case measured: `concurrency` calls always in flight.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct Saturated {
    pub concurrency: usize,
    /// Successful calls per second: the goodput.
    pub ok_rps: f64,
    /// Latency of the successful calls.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub calls: u64,
    /// Failed calls by gRPC code.
    pub errors: BTreeMap<String, u64>,
}

/// `concurrency` workers calling back to back for `duration`, every
/// successful call's latency recorded: how a service treats more callers
/// than it runs at once (how fair the wait is, what it sheds).
pub(crate) async fn saturate<F, Fut>(concurrency: usize, duration: Duration, call: F) -> Saturated
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = CallResult> + Send + 'static,
{
    let errors: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let started = Instant::now();
    let end = started + duration;
    let next = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (call, next, errors) = (call.clone(), next.clone(), errors.clone());
            tokio::spawn(async move {
                let mut histogram =
                    Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
                let mut calls = 0_u64;
                while Instant::now() < end {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let sent = Instant::now();
                    match call(i).await {
                        // Goodput is what the window served: a call
                        // answered after it is not counted.
                        Ok(()) if Instant::now() > end => {}
                        Ok(()) => {
                            let micros = sent.elapsed().as_micros().clamp(1, 60_000_000) as u64;
                            histogram.saturating_record(micros);
                        }
                        Err(code) => {
                            *errors
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .entry(code)
                                .or_default() += 1;
                        }
                    }
                    calls += 1;
                }
                (histogram, calls)
            })
        })
        .collect();
    let mut merged = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
    let mut calls = 0;
    for worker in workers {
        if let Ok((histogram, n)) = worker.await {
            let _ = merged.add(histogram);
            calls += n;
        }
    }
    let ms = |q: f64| merged.value_at_quantile(q) as f64 / 1000.0;
    let errors = errors.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Saturated {
        concurrency,
        ok_rps: merged.len() as f64 / duration.as_secs_f64(),
        p50_ms: ms(0.5),
        p99_ms: ms(0.99),
        calls,
        errors,
    }
}

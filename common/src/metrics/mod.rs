//! Prometheus metrics. Each process serves the text format at `/metrics`
//! on an address of its own ([`serve`]), apart from its API: a scrape is
//! never an API call, and the port can stay private. Calls are measured on
//! both sides by [`CallsLayer`], after OpenTelemetry's RPC conventions: the
//! histograms `rpc.server.call.duration` and `rpc.client.call.duration`, in
//! seconds, labelled `rpc.system.name`, `rpc.method` (fully qualified;
//! `_OTHER` for a path no service here has) and `rpc.status_code` (the
//! code's name). Health checks are not counted.
//!
//! Every histogram has the same buckets ([`SECONDS`]), so the histograms of
//! several replicas add up (summaries would not). Without [`serve`], no
//! recorder is installed and recording goes nowhere.

use std::{future::Future, sync::OnceLock, time::Duration};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

/// Upper bounds, in seconds, of every histogram's buckets.
pub const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The label value of a method no service here has: paths are the
/// caller's to choose, and each would be a series of its own.
pub const OTHER: &str = "_OTHER";

/// Every metric, by the name code records it with; exported in
/// Prometheus's way (`.` → `_`, a unit's suffix, `_total` on counters).
pub mod name {
    /// Histogram, seconds: a call served (see the module's doc).
    pub const SERVER_CALLS: &str = "rpc.server.call.duration";
    /// Histogram, seconds: a call made to another service.
    pub const CLIENT_CALLS: &str = "rpc.client.call.duration";
    /// Gauge: server streams open, by `rpc.method`.
    pub const OPEN_STREAMS: &str = "rpc.server.open_streams";
    /// Gauge: pool connections by `db.client.connection.state` (`used`,
    /// `idle`).
    pub const DB_CONNECTIONS: &str = "db.client.connection.count";
    /// Counter: calls that waited for a pool connection.
    pub const DB_WAITS: &str = "db.client.connection.waits";
    /// Counter: calls that gave up waiting for one.
    pub const DB_TIMEOUTS: &str = "db.client.connection.timeouts";
    /// Gauge: calls waiting in admission's queue.
    pub const ADMISSION_WAITING: &str = "admission.waiting";
    /// Counter: calls admission refused, by `reason` (`queue_full`,
    /// `wait_timeout`).
    pub const ADMISSION_REFUSED: &str = "admission.refused";
    /// Counter: import rows applied, by `outcome`.
    pub const IMPORT_ROWS: &str = "import.rows";
    /// Counter: import jobs done.
    pub const IMPORT_JOBS_DONE: &str = "import.jobs_done";
    /// Counter: attempts at an import job that failed (each retried later,
    /// or the job ends FAILED).
    pub const IMPORT_ATTEMPTS_FAILED: &str = "import.attempts_failed";
    /// Counter: provider requests by `provider` and `outcome` (`answered`,
    /// `throttled`, `server_error`, `failed`, `limited`: kept back by our
    /// own rate limit).
    pub const PROVIDER_CALLS: &str = "provider.calls";
    /// Histogram, seconds: time a provider request waited for its turn
    /// under the rate limits.
    pub const PROVIDER_WAIT: &str = "provider.rate_limit.wait";
    /// Gauge: 1 while media-service follows auth-service's revocation feed.
    pub const REVOCATION_FEED: &str = "revocation_feed.connected";
    /// Counter: scrobble events recorded, by `outcome`.
    pub const SCROBBLE_EVENTS: &str = "scrobble.events";
}

/// Says what each metric is, and the unit of each histogram.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_histogram!(name::SERVER_CALLS, Unit::Seconds, "gRPC calls served");
    describe_histogram!(
        name::CLIENT_CALLS,
        Unit::Seconds,
        "gRPC calls made to another service"
    );
    describe_gauge!(name::OPEN_STREAMS, "server streams open");
    describe_gauge!(name::DB_CONNECTIONS, "database pool connections");
    describe_counter!(name::DB_WAITS, "calls that waited for a pool connection");
    describe_counter!(
        name::DB_TIMEOUTS,
        "calls that gave up waiting for a pool connection"
    );
    describe_gauge!(name::ADMISSION_WAITING, "calls waiting for a place to run");
    describe_counter!(name::ADMISSION_REFUSED, "calls refused for want of a place");
    describe_counter!(name::IMPORT_ROWS, "import rows applied");
    describe_counter!(name::IMPORT_JOBS_DONE, "import jobs done");
    describe_counter!(
        name::IMPORT_ATTEMPTS_FAILED,
        "attempts at import jobs that failed"
    );
    describe_counter!(name::PROVIDER_CALLS, "requests to providers");
    describe_histogram!(
        name::PROVIDER_WAIT,
        Unit::Seconds,
        "waits under provider rate limits"
    );
    describe_gauge!(
        name::REVOCATION_FEED,
        "whether the revocation feed is followed"
    );
    describe_counter!(name::SCROBBLE_EVENTS, "scrobble events recorded");
}

/// How often histograms are folded in, between scrapes.
const UPKEEP: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder, if it is not yet: what is recorded
/// before goes nowhere. [`serve`] installs it too.
pub fn install() {
    handle();
}

/// The process's recorder, installed on first use. Services run in one
/// process (as tests run them) share it.
fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .with_recommended_naming(true)
            .set_buckets(SECONDS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first; /metrics stays empty");
        }
        describe();
        handle
    })
}

/// Serves `/metrics` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let handle = handle();
    let upkeep = tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP);
        loop {
            every.tick().await;
            handle.run_upkeep();
        }
    });
    tracing::info!(address = ?listener.local_addr().ok(), "serving metrics");
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || async move {
            (
                [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                handle.render(),
            )
        }),
    );
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    upkeep.abort();
    served
}

mod calls;

#[cfg(test)]
use calls::method_label;
pub use calls::{Calls, CallsLayer, Measured, measure_calls};

#[cfg(test)]
mod tests;

//! What our servers cost beside a bare tonic server: its health check is
//! the floor our floor is a ratio of, and its ValidateToken (answered at
//! once) is measured with our layers added one at a time, each in a fresh
//! process, for the CPU each adds to a call. `bare-tonic` is
//! `src/bin/bare_tonic.rs`.

use std::{
    collections::BTreeMap,
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use completionist_proto::auth::{self as auth_pb, token_service_client::TokenServiceClient};
use serde::Serialize;
use tonic::transport::Channel;

use crate::{
    cases::{Ctx, code, measure},
    client::{channels, pick},
    load,
    report::{Case, Target, median},
    stack::{self, Process},
};

/// The health check of a bare tonic server: the floor of floors.
pub(crate) const BARE_FLOOR: &str = "health check (bare tonic)";

/// `bare-tonic`'s layers (its `--layers` words), outermost first, as our
/// servers stack them, and what the table calls them.
const LAYERS: &[(&str, &str)] = &[
    (
        "settings",
        "server settings (HTTP/2 limits, 30 s timeout, compression)",
    ),
    ("request-ids", "request ids and deadlines"),
    ("spans", "call spans and logs (tracing, OpenTelemetry)"),
    ("metrics", "call metrics"),
    ("admission", "admission"),
    ("guard", "request guard"),
];

/// How often each step is measured (alternating, for the median); once
/// when the cases run shorter than two windows (a quick run).
const REPEATS: usize = 3;

/// Calls per second each step is measured at: the same steady rate for
/// every server, well below what the slowest serves, so each call's CPU is
/// compared at the same load (at saturation, batching would blur it).
const RATE: f64 = 10_000.0;

/// The bare server with the first `layers` of [`LAYERS`], started and
/// healthy.
pub(crate) async fn start_bare(bin_dir: &Path, layers: usize) -> anyhow::Result<Process> {
    let addr = stack::free_addr()?;
    let words: Vec<&str> = LAYERS[..layers].iter().map(|(word, _)| *word).collect();
    let mut args = vec![addr.to_string()];
    if !words.is_empty() {
        args.extend(["--layers".to_owned(), words.join(",")]);
    }
    let process = stack::spawn_with_args(bin_dir, "bare-tonic", addr, &args)?;
    stack::wait_healthy(&process).await?;
    Ok(process)
}

/// The bare server's health check, measured as every case is.
pub(crate) async fn bare_floor(ctx: &Ctx) -> Case {
    let call = crate::cases::health_check(ctx.bare.clone());
    measure(ctx, BARE_FLOOR, ctx.shape, call).await
}

/// One step of the layer table: a server and what a call cost it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Step {
    pub server: String,
    pub rps: f64,
    /// The server's CPU time per call, in microseconds.
    pub cpu_us_per_call: f64,
}

/// The layer table: the bare server with each layer added, then
/// auth-service's own ValidateToken (the real handler behind every layer).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct LayerCosts {
    pub steps: Vec<Step>,
    /// Runs of each step the medians are of.
    pub repeats: usize,
    /// How long each run called.
    pub window_secs: u64,
}

/// Measures every step [`REPEATS`] times, alternating, and keeps the
/// medians.
pub(crate) async fn run(ctx: &Ctx, bin_dir: &Path) -> anyhow::Result<LayerCosts> {
    let window = ctx.shape.duration.min(Duration::from_secs(5));
    let repeats = if ctx.shape.duration < window * 2 {
        1
    } else {
        REPEATS
    };
    let mut samples: Vec<Vec<(f64, f64)>> = vec![Vec::new(); LAYERS.len() + 2];
    let token = ctx.users.user(0).token.clone();
    for repeat in 1..=repeats {
        for (layers, runs) in samples.iter_mut().take(LAYERS.len() + 1).enumerate() {
            eprintln!(
                "measuring layer costs ({repeat} of {repeats}): bare tonic + {layers} layers..."
            );
            let bare = start_bare(bin_dir, layers).await?;
            let channels = channels(&bare.url()).await?;
            runs.push(cpu_per_call(ctx, &bare, &channels, &token, window).await?);
        }
        eprintln!("measuring layer costs ({repeat} of {repeats}): auth-service...");
        let real = cpu_per_call(ctx, &ctx.stack.auth, &ctx.auth, &token, window).await?;
        samples[LAYERS.len() + 1].push(real);
    }
    let names = std::iter::once("bare tonic, ValidateToken answered at once".to_owned())
        .chain(LAYERS.iter().map(|(_, name)| format!("+ {name}")))
        .chain(std::iter::once(
            "auth-service's ValidateToken (its handler too; admission exempts it)".to_owned(),
        ));
    let steps = names
        .zip(samples)
        .map(|(server, runs)| Step {
            server,
            rps: median(runs.iter().map(|r| r.0).collect()).unwrap_or_default(),
            cpu_us_per_call: median(runs.iter().map(|r| r.1).collect()).unwrap_or_default(),
        })
        .collect();
    Ok(LayerCosts {
        steps,
        repeats,
        window_secs: window.as_secs(),
    })
}

/// ValidateToken on `process` over `channels`: closed-loop through the
/// warm-up, for the most it serves; then at [`RATE`] for `window`, for the
/// process's CPU µs per call.
async fn cpu_per_call(
    ctx: &Ctx,
    process: &Process,
    channels: &[Channel],
    token: &str,
    window: Duration,
) -> anyhow::Result<(f64, f64)> {
    let channels = Arc::new(channels.to_vec());
    let access_token = token.to_owned();
    let call = move |i| {
        let channel = channels[pick(i)].clone();
        let access_token = access_token.clone();
        async move {
            TokenServiceClient::new(channel)
                .validate_token(auth_pb::ValidateTokenRequest { access_token })
                .await
                .map(drop)
                .map_err(code)
        }
    };
    let errors = Arc::new(Mutex::new(BTreeMap::new()));
    let concurrency = ctx.shape.concurrency;
    let (most, elapsed) =
        load::closed_loop(concurrency, ctx.shape.warmup, call.clone(), errors.clone()).await;
    let most = f64::from(u32::try_from(most).unwrap_or(u32::MAX)) / elapsed.as_secs_f64();
    let before = process.cpu_seconds()?;
    let answered = load::open_loop(concurrency, RATE, window, call, errors.clone()).await;
    let cpu = process.cpu_seconds()? - before;
    let errors = errors.lock().unwrap_or_else(|e| e.into_inner()).clone();
    anyhow::ensure!(
        errors.is_empty(),
        "{} refused calls: {errors:?}",
        process.name
    );
    let calls = f64::from(u32::try_from(answered.len().max(1)).unwrap_or(u32::MAX));
    Ok((most, cpu * 1e6 / calls))
}

impl LayerCosts {
    pub(crate) fn write_table(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(
            out,
            concat!(
                "\nWhat each layer costs a call: ValidateToken on a bare tonic server with ",
                "our layers added one at a time (a fresh process each), then on ",
                "auth-service; the most each serves (closed loop, through the warm-up), ",
                "and the server process's CPU (user and system) per call at a steady ",
                "{:.0} calls/s for {} s (one clock tick, 10 ms, is 0.2 µs a call); medians of ",
                "{} alternating runs.\n\n",
                "| server | most req/s | CPU µs per call | the layer's µs |\n",
                "|---|---:|---:|---:|\n",
            ),
            RATE, self.window_secs, self.repeats
        );
        let mut last: Option<f64> = None;
        for step in &self.steps {
            let added = last.map_or("–".to_owned(), |last| {
                format!("{:+.1}", step.cpu_us_per_call - last)
            });
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.1} | {} |",
                step.server, step.rps, step.cpu_us_per_call, added
            );
            last = Some(step.cpu_us_per_call);
        }
    }
}

/// Our floor against the bare server's.
pub(crate) fn floor_target(cases: &[Case]) -> Option<Target> {
    let find = |name: &str| cases.iter().find(|c| c.name == name).map(|c| &c.measured);
    let (ours, bare) = (find(crate::cases::FLOOR)?, find(BARE_FLOOR)?);
    let ratio = ours.rps / bare.rps;
    Some(Target {
        what: "our health check ≥ 0.85× the bare tonic server's (issue 24)".into(),
        measured: format!("{ratio:.2}×"),
        met: ratio >= 0.85,
    })
}

//! Where a call's CPU goes: each kind of call as the main table measures it
//! (closed loop, as many in flight), with the CPU every process of the
//! machine's stack spent meanwhile (our services, Postgres, and the load
//! generator itself), per call. The machine's cores are shared by all of
//! them, so what a call costs Postgres and the load generator bounds what it
//! can reach beside the floor, whatever our services do with their share.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::Serialize;

use crate::{
    cases::{self, Call, Ctx},
    client::CONNECTIONS,
    load,
    report::median,
    stack,
};

/// Runs of each kind, alternating, for the medians; once in a quick run.
const REPEATS: usize = 3;

/// The processes a call's CPU is counted in, in the table's order.
const PROCESSES: [&str; 5] = [
    "auth-service",
    "media-service",
    "gateway",
    "Postgres",
    "load generator",
];

/// One kind of call and its CPU per process.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Spent {
    pub call: &'static str,
    /// Calls answered per second.
    pub rps: f64,
    /// µs of CPU (user and system) per call, by [`PROCESSES`].
    pub us_per_call: BTreeMap<&'static str, f64>,
}

impl Spent {
    fn total(&self) -> f64 {
        self.us_per_call.values().sum()
    }
}

/// The table: each kind's CPU per call by process.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Budget {
    pub calls: Vec<Spent>,
    pub window_secs: u64,
    pub repeats: usize,
    pub cores: usize,
}

/// Measures each kind [`REPEATS`] times, alternating.
pub(crate) async fn run(ctx: &Ctx) -> anyhow::Result<Budget> {
    let window = ctx.shape.duration.min(Duration::from_secs(5));
    let repeats = if ctx.shape.duration < window * 2 {
        1
    } else {
        REPEATS
    };
    let kinds = kinds(ctx)?;
    let mut samples: Vec<Vec<(f64, [f64; 5])>> = vec![Vec::new(); kinds.len()];
    for repeat in 1..=repeats {
        for (kind, runs) in kinds.iter().zip(&mut samples) {
            let name = kind.name;
            eprintln!("measuring where a call's CPU goes ({repeat} of {repeats}): {name}...");
            let call = kind.call.clone();
            runs.push(spent(ctx, kind.concurrency, move |i| call(i), window).await?);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let calls = kinds
        .iter()
        .zip(samples)
        .map(|(kind, runs)| Spent {
            call: kind.name,
            rps: median(runs.iter().map(|run| run.0).collect()).unwrap_or_default(),
            us_per_call: PROCESSES
                .iter()
                .enumerate()
                .map(|(p, name)| {
                    let values = runs.iter().map(|run| run.1[p]).collect();
                    (*name, median(values).unwrap_or_default())
                })
                .collect(),
        })
        .collect();
    Ok(Budget {
        calls,
        window_secs: window.as_secs(),
        repeats,
        cores: ctx.cores,
    })
}

/// One kind of call, as the main table makes it.
struct Kind {
    name: &'static str,
    /// Calls in flight: the main table's.
    concurrency: usize,
    call: Arc<dyn Fn(u64) -> Call + Send + Sync>,
}

/// The floor, then the calls whose targets are ratios of it.
fn kinds(ctx: &Ctx) -> anyhow::Result<Vec<Kind>> {
    let kind = |name, concurrency, call| Kind {
        name,
        concurrency,
        call,
    };
    let shape = ctx.shape.concurrency;
    let get_list_entry = crate::saturation::get_list_entry(ctx);
    Ok(vec![
        kind(
            cases::FLOOR,
            shape,
            Arc::new(cases::health_check(ctx.auth.clone())),
        ),
        kind("ValidateToken", shape, Arc::new(cases::validate_call(ctx))),
        kind(
            "GetCurrentUser",
            shape,
            Arc::new(crate::saturation::current_user(ctx)),
        ),
        kind(
            "GetListEntry",
            shape,
            Arc::new(move |i| -> Call { Box::pin(crate::saturation::coded(get_list_entry(i))) }),
        ),
        kind(
            "GetListEntry via gateway (gRPC-Web, HTTP/1.1)",
            CONNECTIONS,
            Arc::new(cases::gateway_call(ctx)?),
        ),
    ])
}

/// `call`, `concurrency` in flight, for the warm-up and then `window`: the
/// calls answered per second in the window and each process's CPU µs per
/// call, in [`PROCESSES`]' order.
async fn spent<F>(
    ctx: &Ctx,
    concurrency: usize,
    call: F,
    window: Duration,
) -> anyhow::Result<(f64, [f64; 5])>
where
    F: Fn(u64) -> Call + Clone + Send + Sync + 'static,
{
    let errors = Arc::new(Mutex::new(BTreeMap::new()));
    load::closed_loop(concurrency, ctx.shape.warmup, call.clone(), errors.clone()).await;
    let before = cpu(ctx)?;
    let (calls, elapsed) = load::closed_loop(concurrency, window, call, errors.clone()).await;
    let after = cpu(ctx)?;
    let errors = errors.lock().unwrap_or_else(|e| e.into_inner()).clone();
    anyhow::ensure!(errors.is_empty(), "calls failed: {errors:?}");
    let calls = f64::from(u32::try_from(calls.max(1)).unwrap_or(u32::MAX));
    let spent = std::array::from_fn(|p| (after[p] - before[p]) * 1e6 / calls);
    Ok((calls / elapsed.as_secs_f64(), spent))
}

/// CPU seconds so far of each of [`PROCESSES`].
fn cpu(ctx: &Ctx) -> anyhow::Result<[f64; 5]> {
    let stack = &ctx.stack;
    Ok([
        stack.auth.cpu_seconds()?,
        stack.media.cpu_seconds()?,
        stack.gateway.cpu_seconds()?,
        postgres_cpu_seconds(),
        stack::cpu_seconds(std::process::id())?,
    ])
}

/// CPU seconds so far of every Postgres process on the machine (the
/// bench's private cluster: its server, its backends and its workers). A
/// process that ends in between takes its share with it; the pools keep
/// their connections, so none does.
fn postgres_cpu_seconds() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim_end() == "postgres")
        })
        .filter_map(|pid| stack::cpu_seconds(pid).ok())
        .sum()
}

impl Budget {
    pub(crate) fn write_table(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(
            out,
            concat!(
                "\nWhere a call's CPU goes: each kind as the main table measures it (closed ",
                "loop, after the warm-up, for {} s), with the CPU (user and system) each ",
                "process spent meanwhile, in µs per call; medians of {} alternating runs. ",
                "All share the {} cores: {} cores ÷ req/s is the most a call can cost in all.\n\n",
                "| call | req/s | × the floor's | {} | total µs |\n",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
            ),
            self.window_secs,
            self.repeats,
            self.cores,
            self.cores,
            PROCESSES.join(" | "),
        );
        let floor = self.calls.first().map_or(f64::NAN, |floor| floor.rps);
        for spent in &self.calls {
            let by_process: Vec<String> = PROCESSES
                .iter()
                .map(|p| {
                    format!(
                        "{:.1}",
                        spent.us_per_call.get(p).copied().unwrap_or_default()
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.2} | {} | {:.1} |",
                spent.call,
                spent.rps,
                spent.rps / floor,
                by_process.join(" | "),
                spent.total(),
            );
        }
    }
}

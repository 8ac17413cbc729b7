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
    load, stack,
};

/// Runs of each kind, alternating, for the median; once in a quick run.
const REPEATS: usize = 3;

/// The processes a call's CPU is counted in, in the table's order; [`cpu`]
/// reads them in this order.
const PROCESSES: [&str; 5] = [
    "auth-service",
    "media-service",
    "gateway",
    "Postgres",
    "load generator",
];

/// One run of one kind of call: calls answered per second, and µs of CPU
/// (user and system) per call, by [`PROCESSES`].
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Spent {
    pub call: &'static str,
    pub rps: f64,
    pub us_per_call: [f64; 5],
}

impl Spent {
    fn total(&self) -> f64 {
        self.us_per_call.iter().sum()
    }
}

/// The table: for each kind, its run with the median req/s.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Budget {
    /// What each `us_per_call` figure is of, in order.
    pub processes: [&'static str; 5],
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
    let mut samples: Vec<Vec<Spent>> = vec![Vec::new(); kinds.len()];
    for repeat in 1..=repeats {
        for (kind, runs) in kinds.iter().zip(&mut samples) {
            let name = kind.name;
            eprintln!("measuring where a call's CPU goes ({repeat} of {repeats}): {name}...");
            let call = kind.call.clone();
            runs.push(spent(ctx, kind, move |i| call(i), window).await?);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    // Whole runs, not a median per column: each row's figures are of one
    // run, and its total is theirs.
    let calls = samples
        .into_iter()
        .filter_map(|mut runs| {
            runs.sort_by(|a, b| a.rps.total_cmp(&b.rps));
            let middle = runs.len() / 2;
            runs.into_iter().nth(middle)
        })
        .collect();
    Ok(Budget {
        processes: PROCESSES,
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

/// `kind`'s `call` with its calls in flight, for the warm-up and then
/// `window` (closed loop, as the main table measures: the operating point
/// its ratios are of; `layers` measures at a fixed rate instead, to compare
/// servers at one load): the window's calls per second and each process's
/// CPU per call.
async fn spent<F>(ctx: &Ctx, kind: &Kind, call: F, window: Duration) -> anyhow::Result<Spent>
where
    F: Fn(u64) -> Call + Clone + Send + Sync + 'static,
{
    let concurrency = kind.concurrency;
    // Warm-up errors (a cold start) are not the window's, as in the main table.
    load::closed_loop(concurrency, ctx.shape.warmup, call.clone(), Arc::default()).await;
    let errors = Arc::new(Mutex::new(BTreeMap::new()));
    let before = cpu(ctx)?;
    let (calls, elapsed) = load::closed_loop(concurrency, window, call, errors.clone()).await;
    let after = cpu(ctx)?;
    let errors = errors.lock().unwrap_or_else(|e| e.into_inner()).clone();
    anyhow::ensure!(errors.is_empty(), "{}: calls failed: {errors:?}", kind.name);
    anyhow::ensure!(calls > 0, "{}: no call answered in the window", kind.name);
    #[expect(
        clippy::cast_precision_loss,
        reason = "a count of calls, far below 2^52"
    )]
    let calls = calls as f64;
    Ok(Spent {
        call: kind.name,
        rps: calls / elapsed.as_secs_f64(),
        us_per_call: std::array::from_fn(|p| (after[p] - before[p]) * 1e6 / calls),
    })
}

/// CPU seconds so far of each of [`PROCESSES`], in its order.
fn cpu(ctx: &Ctx) -> anyhow::Result<[f64; 5]> {
    let stack = &ctx.stack;
    Ok([
        stack.auth.cpu_seconds()?,
        stack.media.cpu_seconds()?,
        stack.gateway.cpu_seconds()?,
        postgres_cpu_seconds(&stack.auth_db)?,
        stack::cpu_seconds(std::process::id())?,
    ])
}

/// CPU seconds so far of the Postgres cluster serving `database_url`
/// (`scripts/pg.sh`'s private one, which the tests use too: run nothing
/// else meanwhile): its server process, with the CPU of the children it
/// has reaped (so a backend that ends in between still counts), and every
/// child it runs now.
fn postgres_cpu_seconds(database_url: &str) -> anyhow::Result<f64> {
    let port = reqwest::Url::parse(database_url)?
        .port()
        .ok_or_else(|| anyhow::anyhow!("no port in the database URL"))?;
    // A child reaped between reading it and reading the server would be
    // counted in neither: read again when the server's reaped CPU moved.
    for _ in 0..3 {
        let processes = postgres_processes()?;
        let server = server_of(&processes, port)?;
        let reaped_before = processes
            .iter()
            .find(|(pid, _)| *pid == server)
            .map(|(_, stat)| stat.reaped_seconds);
        let total = processes
            .iter()
            .filter(|(pid, stat)| *pid == server || stat.parent == server)
            .map(|(_, stat)| stat.cpu_seconds)
            .sum();
        if reaped_before == Some(Stat::of(server)?.reaped_seconds) {
            return Ok(total);
        }
    }
    anyhow::bail!("Postgres's processes kept changing while read")
}

/// Every process named `postgres`, with what its stat says.
fn postgres_processes() -> anyhow::Result<Vec<(u32, Stat)>> {
    Ok(std::fs::read_dir("/proc")?
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim_end() == "postgres")
        })
        .filter_map(|pid| Some((pid, Stat::of(pid).ok()?)))
        .collect())
}

/// The server among `processes` listening on `port`: started with `-p
/// PORT` (`scripts/pg.sh`), its parent not Postgres (a child forked a
/// moment ago still shows the server's command line).
fn server_of(processes: &[(u32, Stat)], port: u16) -> anyhow::Result<u32> {
    let port = port.to_string();
    let listens = |pid: u32| {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let words: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        words
            .windows(2)
            .any(|pair| pair[0] == b"-p" && pair[1] == port.as_bytes())
    };
    processes
        .iter()
        .find(|(pid, stat)| {
            !processes.iter().any(|(other, _)| *other == stat.parent) && listens(*pid)
        })
        .map(|(pid, _)| *pid)
        .ok_or_else(|| anyhow::anyhow!("no Postgres server listening on port {port}"))
}

/// What `/proc/PID/stat` says of a process.
struct Stat {
    parent: u32,
    /// Its own CPU and that of the children it has waited for (utime,
    /// stime, cutime, cstime), in seconds.
    cpu_seconds: f64,
    /// The children's part of it (cutime, cstime).
    reaped_seconds: f64,
}

impl Stat {
    fn of(pid: u32) -> anyhow::Result<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        // After the command name (which may hold spaces): the state, the
        // parent, ..., and from the 12th the four CPU times.
        let fields: Vec<&str> = stat
            .rsplit_once(") ")
            .map_or("", |(_, rest)| rest)
            .split(' ')
            .collect();
        let parent = fields.get(1).and_then(|f| f.parse().ok());
        let ticks: Vec<f64> = fields
            .iter()
            .skip(11)
            .take(4)
            .filter_map(|t| t.parse().ok())
            .collect();
        match parent {
            Some(parent) if ticks.len() == 4 => Ok(Self {
                parent,
                cpu_seconds: ticks.iter().sum::<f64>() / stack::USER_HZ,
                reaped_seconds: (ticks[2] + ticks[3]) / stack::USER_HZ,
            }),
            _ => anyhow::bail!("no parent or CPU times in /proc/{pid}/stat"),
        }
    }
}

impl Budget {
    pub(crate) fn write_table(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(
            out,
            concat!(
                "\nWhere a call's CPU goes: each kind as the main table measures it (closed ",
                "loop, after the warm-up, for {} s), with the CPU (user and system) each ",
                "process spent meanwhile, in µs per call; of {} alternating runs, the one ",
                "with the median req/s. All share the {} cores: a call's total is at most ",
                "{} cores' time ÷ req/s (interrupts and other processes take the rest).\n\n",
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
            let by_process: Vec<String> = spent
                .us_per_call
                .iter()
                .map(|us| format!("{us:.1}"))
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

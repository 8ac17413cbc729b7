//! `loadgen` — what `make bench` (and, briefly, `make bench-quick`) runs:
//! starts its own stack, seeds it, measures each case and writes
//! `bench/results/latest.md` and `latest.json`.
//!
//! Every case is measured in each of `--rounds` rounds (3, or 1 with
//! `--quick`), one round after the other, and the report gives the median of
//! each figure with its spread: on a shared machine a single run's tail
//! swings with the neighbours. `--cases` measures only the named cases (and
//! always the floor, which the others are compared with); such a run writes
//! `partial.md`, not `latest.md`.

mod budget;
mod bulk;
mod cases;
mod client;
mod compression;
mod fanout;
mod layers;
mod load;
mod report;
mod restarts;
mod saturation;
mod scrobbles;
mod seed;
mod series;
mod stack;
mod standin;
mod targets;
mod uploads;

use std::{path::PathBuf, sync::Arc, time::Duration};

use clap::Parser;

use crate::{
    cases::Ctx,
    client::{channels, log_in},
    load::Shape,
    report::Report,
    seed::Seed,
    stack::Stack,
};

/// The names `--cases` takes (the floor always runs).
const CASES: &[&str] = &[
    "validate",
    "current",
    "get",
    "list",
    "update",
    "gateway",
    "login",
    "flood",
    "fair",
    "overload",
    "bulk",
    "fanout",
    "series",
    "scrobbles",
    "compression",
    "restarts",
    "layers",
    "budget",
];

#[derive(Parser)]
#[command(about = "Measures the whole stack against its own floor")]
struct Args {
    /// One short round on a small seed, so the harness cannot rot.
    #[arg(long)]
    quick: bool,
    /// Rounds to measure (default 3, or 1 with --quick).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: Option<u32>,
    /// Only these cases (comma list): validate, current, get, list, update,
    /// gateway, login, flood, fair, overload, bulk, fanout, series,
    /// scrobbles, compression, restarts, layers, budget.
    #[arg(
        long,
        value_delimiter = ',',
        value_parser = clap::builder::PossibleValuesParser::new(CASES)
    )]
    cases: Option<Vec<String>>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let wanted = |key: &str| {
        args.cases
            .as_ref()
            .is_none_or(|keys| keys.iter().any(|k| k == key))
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()?;
    let bin_dir = std::env::current_exe()?
        .parent()
        .ok_or_else(|| anyhow::anyhow!("no binary directory"))?
        .to_path_buf();
    let rounds_wanted = args.rounds.unwrap_or(if args.quick { 1 } else { 3 });
    let (seed, shape, logins) = if args.quick {
        (Seed::new(200, 2_000, 20), shape(64, 1, 2), 10)
    } else {
        (Seed::new(1_000, 10_000, 100), shape(64, 3, 10), 100)
    };

    eprintln!("starting the stack and seeding {seed:?}...");
    let stack = Stack::start(&root, &bin_dir, seed).await?;
    let auth = channels(&stack.auth.url()).await?;
    let media = channels(&stack.media_url).await?;
    let bare = channels(&stack.bare.url()).await?;
    let users = Arc::new(log_in(&auth[0], &media[0], logins).await?);
    let ctx = Ctx {
        stack,
        auth,
        media,
        bare,
        users,
        shape,
        seed,
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        fanout_streams: if args.quick { 100 } else { 1_000 },
    };
    let mut rounds = Vec::new();
    for n in 1..=rounds_wanted {
        eprintln!("round {n} of {rounds_wanted}");
        rounds.push(cases::round(&ctx, &wanted).await?);
    }
    let (cases, argon2_rounds) = report::median_of(rounds);
    let report = Report::new(
        cases,
        ctx.cores,
        &argon2_rounds,
        ctx.seed,
        ctx.shape,
        args.quick,
        usize::try_from(rounds_wanted)?,
    );
    let report = measured_once(report, &ctx, &wanted, &bin_dir).await?;
    write(&root, report_name(&args), &report)
}

/// `report` with the cases measured once, after the rounds.
async fn measured_once(
    report: Report,
    ctx: &Ctx,
    wanted: &dyn Fn(&str) -> bool,
    bin_dir: &std::path::Path,
) -> anyhow::Result<Report> {
    let report = report.with_saturated(saturation::run(ctx, wanted).await);
    let report = if wanted("layers") {
        report.with_layers(layers::run(ctx, bin_dir).await?)
    } else {
        report
    };
    let report = if wanted("budget") {
        report.with_budget(budget::run(ctx).await?)
    } else {
        report
    };
    let report = if wanted("compression") {
        report.with_compression(compression::run(ctx).await?)
    } else {
        report
    };
    Ok(if wanted("restarts") {
        report.with_restarts(restarts::run(ctx, bin_dir).await?)
    } else {
        report
    })
}

/// Where a run's report goes: only a full run of every case is the figure
/// of record.
fn report_name(args: &Args) -> &'static str {
    match (args.quick, &args.cases) {
        (true, _) => "quick",
        (false, Some(_)) => "partial",
        (false, None) => "latest",
    }
}

fn shape(concurrency: usize, warmup_secs: u64, secs: u64) -> Shape {
    Shape {
        concurrency,
        warmup: Duration::from_secs(warmup_secs),
        duration: Duration::from_secs(secs),
        latency_load: 0.5,
    }
}

/// Prints the report and writes it to `bench/results/{name}.md` and `.json`.
fn write(root: &std::path::Path, name: &str, report: &Report) -> anyhow::Result<()> {
    let text = report.markdown();
    println!("{text}");
    let out = root.join("bench/results");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join(format!("{name}.md")), &text)?;
    std::fs::write(
        out.join(format!("{name}.json")),
        serde_json::to_string_pretty(report)?,
    )?;
    eprintln!("written to bench/results/{name}.md and {name}.json");
    Ok(())
}

//! Rolling restarts under load: two replicas of each service (their own
//! processes, on the bench's databases), and every one of them stopped
//! (SIGTERM) and started again in turn — auth-service's, media-service's,
//! then the gateways' — while callers go on through the gateways: unary
//! reads and changes at a steady rate, WatchListEntries streams that
//! resume where they were cut off, and an import. It counts what a
//! rolling restart must not cost: failed calls, changes a stream never
//! got, import rows lost or applied twice; and compares the calls' p99
//! during the restarts with before.
//!
//! The callers reach the gateways as a service inside the cluster does
//! (`common::channel`: every gateway followed, one that says NOT_SERVING
//! left out). A browser behind a load balancer relies on the balancer's
//! own health checks for the same. A row applied twice would show in the
//! job's counts (each row counted once, under one outcome) more than in
//! the list, where an entry per item is unique.

use std::{collections::BTreeMap, path::Path, sync::atomic::Ordering, time::Duration};

use completionist_common::channel;

mod callers;

use self::callers::{Import, Load, Streams};
use crate::{
    cases::Ctx,
    stack::{JWT_SECRET, Process, free_addr, media_env, pairs, spawn, wait_healthy},
};

/// Unary calls per second through the gateways, half reads, half changes.
const RATE: u64 = 100;
/// WatchListEntries streams (two per user).
const STREAMS: usize = 200;
/// Rows of the import that runs through the media-service restarts.
const IMPORT_ROWS: usize = 20_000;
/// How long a stopping replica serves on after it says NOT_SERVING: as in
/// the compose file and the manifests (its callers look every 2 s, and
/// take up to a second to hear back).
const STOP_DELAY: &str = "5";

/// What the case found.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Restarts {
    pub restarted: usize,
    pub calls: u64,
    /// Failed unary calls, by code.
    pub failed: BTreeMap<String, u64>,
    pub streams: usize,
    /// Times a stream was cut off and resumed.
    pub resumed: u64,
    /// Changes a stream never got, over every stream.
    pub missed: u64,
    pub import_rows: usize,
    pub rows_lost: i64,
    pub rows_applied_twice: i64,
    pub p99_before_ms: f64,
    pub p99_during_ms: f64,
}

/// One replica: its process, and how to start it again.
struct Replica {
    name: &'static str,
    addr: std::net::SocketAddr,
    env: Vec<(&'static str, String)>,
    process: Option<Process>,
}

impl Replica {
    fn new(name: &'static str, env: Vec<(&'static str, String)>) -> anyhow::Result<Self> {
        Ok(Self {
            name,
            addr: free_addr()?,
            env,
            process: None,
        })
    }

    fn start(&mut self, bin_dir: &Path) -> anyhow::Result<()> {
        let common = [("RUST_LOG", "warn"), ("LOG_FORMAT", "json")];
        self.process = Some(spawn(
            bin_dir,
            self.name,
            self.addr,
            &pairs(&self.env),
            &common,
        )?);
        Ok(())
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// The replicated stack: two of each service.
struct Replicas {
    all: Vec<Replica>,
    gateways: String,
}

impl Replicas {
    async fn start(ctx: &Ctx, bin_dir: &Path) -> anyhow::Result<Self> {
        let stack = &ctx.stack;
        let mut all = Vec::new();
        for _ in 0..2 {
            all.push(Replica::new("auth-service", Vec::new())?);
        }
        let auth_urls = urls(&all);
        for (i, replica) in all.iter_mut().enumerate() {
            replica.env = vec![
                ("AUTH_LISTEN_ADDR", replica.addr.to_string()),
                ("AUTH_DATABASE_URL", stack.auth_db.clone()),
                ("JWT_SECRET", JWT_SECRET.to_owned()),
                ("JWT_ACCESS_TTL_SECONDS", "7200".to_owned()),
                ("AUTH_METRICS_ADDR", String::new()),
                ("AUTH_STOP_DELAY_SECONDS", STOP_DELAY.to_owned()),
                ("AUTH_HASHING_CONCURRENCY", (1 + i % 2).to_string()),
            ];
        }
        let mut media = Vec::new();
        for _ in 0..2 {
            let mut replica = Replica::new("media-service", Vec::new())?;
            replica.env = media_env(replica.addr, &stack.media_db, &auth_urls, &stack.stand_in);
            replica.env.extend([
                ("MEDIA_METRICS_ADDR", String::new()),
                ("MEDIA_STOP_DELAY_SECONDS", STOP_DELAY.to_owned()),
            ]);
            media.push(replica);
        }
        let media_urls = urls(&media);
        all.extend(media);
        let mut gateways = Vec::new();
        for _ in 0..2 {
            let mut replica = Replica::new("gateway", Vec::new())?;
            replica.env = vec![
                ("GATEWAY_LISTEN_ADDR", replica.addr.to_string()),
                ("AUTH_SERVICE_URL", auth_urls.clone()),
                ("MEDIA_SERVICE_URL", media_urls.clone()),
                ("GATEWAY_METRICS_ADDR", String::new()),
                ("GATEWAY_STOP_DELAY_SECONDS", STOP_DELAY.to_owned()),
            ];
            gateways.push(replica);
        }
        let gateway_urls = urls(&gateways);
        all.extend(gateways);
        for replica in &mut all {
            replica.start(bin_dir)?;
        }
        for replica in &all {
            wait_for(replica).await?;
        }
        Ok(Self {
            all,
            gateways: gateway_urls,
        })
    }

    /// Stops replica `i` (SIGTERM) and starts it again, serving.
    async fn restart(&mut self, i: usize, bin_dir: &Path) -> anyhow::Result<()> {
        let replica = &mut self.all[i];
        if let Some(mut process) = replica.process.take() {
            process.terminate(Duration::from_secs(30)).await?;
        }
        replica.start(bin_dir)?;
        wait_for(replica).await
    }
}

fn urls(replicas: &[Replica]) -> String {
    replicas
        .iter()
        .map(Replica::url)
        .collect::<Vec<_>>()
        .join(",")
}

async fn wait_for(replica: &Replica) -> anyhow::Result<()> {
    match &replica.process {
        Some(process) => wait_healthy(process).await,
        None => anyhow::bail!("{} is not running", replica.name),
    }
}

/// Runs the case on replicas of its own, beside the bench's stack.
pub(crate) async fn run(ctx: &Ctx, bin_dir: &Path) -> anyhow::Result<Restarts> {
    eprintln!("rolling restarts: starting two replicas of each service...");
    let mut replicas = Replicas::start(ctx, bin_dir).await?;
    let gateway = channel::internal(&replicas.gateways)?;
    let watched: Vec<(String, String)> = (0..STREAMS / 2)
        .map(|i| ctx.users.entry(i as u64))
        .collect();
    let streams = Streams::open(&gateway, &watched).await?;
    let load = Load::start(&gateway, ctx, watched.clone());

    tokio::time::sleep(Duration::from_secs(8)).await;
    load.phase.store(1, Ordering::Relaxed);
    let restarted = replicas.all.len();
    let mut import = None;
    for i in 0..restarted {
        if replicas.all[i].name == "media-service" && import.is_none() {
            import = Some(Import::start(ctx, &gateway).await?);
        }
        eprintln!(
            "rolling restarts: {} {}...",
            replicas.all[i].name,
            i % 2 + 1
        );
        replicas.restart(i, bin_dir).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    load.phase.store(2, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (calls, failed, made, [before, during]) = load.finish().await;
    // Let the last changes arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (resumed, missed) = streams.finish(&made);
    let (rows_lost, rows_applied_twice) = match import {
        Some(import) => import.finish(ctx).await?,
        None => (0, 0),
    };
    Ok(Restarts {
        restarted,
        calls,
        failed,
        streams: STREAMS,
        resumed,
        missed,
        import_rows: IMPORT_ROWS,
        rows_lost,
        rows_applied_twice,
        p99_before_ms: before.value_at_quantile(0.99) as f64 / 1000.0,
        p99_during_ms: during.value_at_quantile(0.99) as f64 / 1000.0,
    })
}

impl Restarts {
    /// Its section of the report.
    pub(crate) fn write_table(&self, out: &mut String) {
        use std::fmt::Write;
        let failed = if self.failed.is_empty() {
            "none".to_owned()
        } else {
            format!("{:?}", self.failed)
        };
        let _ = write!(
            out,
            concat!(
                "\nRolling restarts: {} replicas (2 auth-service, 2 media-service, 2 gateways) ",
                "stopped with SIGTERM and started again one at a time, stop delay {} s, ",
                "under {} unary calls/s through the gateways (half GetListEntry, half ",
                "UpdateListEntry), {} WatchListEntries streams and a {}-row import:\n\n",
                "| unary calls | failed | streams resumed | changes missed | import rows lost | ",
                "applied twice | p99 before ms | p99 during ms |\n",
                "|---:|---|---:|---:|---:|---:|---:|---:|\n",
                "| {} | {} | {} | {} | {} | {} | {:.2} | {:.2} |\n",
            ),
            self.restarted,
            STOP_DELAY,
            RATE,
            self.streams,
            self.import_rows,
            self.calls,
            failed,
            self.resumed,
            self.missed,
            self.rows_lost,
            self.rows_applied_twice,
            self.p99_before_ms,
            self.p99_during_ms,
        );
    }

    /// Its targets: nothing lost.
    pub(crate) fn targets(&self) -> Vec<crate::report::Target> {
        use crate::report::Target;
        vec![
            Target {
                what: "rolling restarts: no failed unary call".into(),
                measured: format!("{} of {}", self.failed.values().sum::<u64>(), self.calls),
                met: self.failed.is_empty() && self.calls > 0,
            },
            Target {
                what: "rolling restarts: no change missed by a resumed stream".into(),
                measured: format!("{} missed, {} resumptions", self.missed, self.resumed),
                met: self.missed == 0,
            },
            Target {
                what: "rolling restarts: no import row lost or applied twice".into(),
                measured: format!("{} lost, {} twice", self.rows_lost, self.rows_applied_twice),
                met: self.rows_lost == 0 && self.rows_applied_twice == 0,
            },
        ]
    }
}

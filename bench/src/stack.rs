//! The stack under test: the private Postgres cluster, fresh databases, the
//! three release binaries on free ports, and seed data written straight to
//! the databases (registering a thousand users through argon2 would take the
//! whole run).

use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

pub(crate) const PASSWORD: &str = "bench password 123";

/// The key auth-service signs with: the restarts case's replicas share it.
pub(crate) const JWT_SECRET: &str = "bench secret that is long enough to sign tokens";

/// The three services, running.
pub(crate) struct Stack {
    pub auth: Process,
    pub media: Process,
    pub gateway: Process,
    pub media_url: String,
    /// The databases, for cases that seed their own data or start
    /// replicas of their own.
    pub auth_db: String,
    pub media_db: String,
    /// The provider stand-in media-service asks for episodes (TVmaze).
    pub stand_in: crate::standin::StandIn,
    /// A bare tonic server, the floor of floors ([`crate::layers`]).
    pub bare: Process,
}

/// One spawned binary.
pub(crate) struct Process {
    pub name: &'static str,
    pub addr: SocketAddr,
    child: Child,
}

impl Process {
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Forgets the peak resident memory so far (Linux `clear_refs` 5).
    pub(crate) fn reset_peak_memory(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }

    /// CPU time the process has used so far (user and system, every
    /// thread), in seconds.
    pub(crate) fn cpu_seconds(&self) -> anyhow::Result<f64> {
        cpu_seconds(self.child.id())
    }

    /// Peak resident memory since the last reset, in MiB.
    pub(crate) fn peak_memory_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    }
}

impl Process {
    /// Sends SIGTERM, as an orchestrator stopping it does, and waits up
    /// to `within` for it to exit.
    pub(crate) async fn terminate(&mut self, within: Duration) -> anyhow::Result<()> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        anyhow::ensure!(sent.success(), "kill -TERM {} failed", self.child.id());
        let deadline = Instant::now() + within;
        while self.child.try_wait()?.is_none() {
            anyhow::ensure!(Instant::now() < deadline, "{} still running", self.name);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Stack {
    /// Fresh databases on the private cluster, seeded, and the three binaries
    /// from `bin_dir` started on them.
    pub(crate) async fn start(
        root: &Path,
        bin_dir: &Path,
        seed: crate::seed::Seed,
    ) -> anyhow::Result<Self> {
        let admin = private_postgres(root)?;
        let auth_db = fresh_database(&admin, "bench_auth").await?;
        let media_db = fresh_database(&admin, "bench_media").await?;
        let common = common_env();

        let auth_addr = free_addr()?;
        let auth_env = auth_env(auth_addr, &auth_db);
        let auth = spawn(
            bin_dir,
            "auth-service",
            auth_addr,
            &pairs(&auth_env),
            &common,
        )?;
        let stand_in = crate::standin::StandIn::start(root)?;
        let media_addr = free_addr()?;
        let media_env = media_env(media_addr, &media_db, &auth.url(), &stand_in);
        let media = spawn(
            bin_dir,
            "media-service",
            media_addr,
            &pairs(&media_env),
            &common,
        )?;
        let gateway_addr = free_addr()?;
        let gateway = spawn(
            bin_dir,
            "gateway",
            gateway_addr,
            &[
                ("GATEWAY_LISTEN_ADDR", &gateway_addr.to_string()),
                ("AUTH_SERVICE_URL", &auth.url()),
                ("MEDIA_SERVICE_URL", &media.url()),
            ],
            &common,
        )?;
        for process in [&auth, &media, &gateway] {
            wait_healthy(process).await?;
        }
        let bare = crate::layers::start_bare(bin_dir, 0).await?;
        crate::seed::seed_data(&auth_db, &media_db, seed).await?;
        Ok(Self {
            media_url: media.url(),
            auth_db,
            media_db,
            stand_in,
            bare,
            auth,
            media,
            gateway,
        })
    }

    pub(crate) fn processes(&self) -> [&Process; 3] {
        [&self.auth, &self.media, &self.gateway]
    }
}

/// Starts the private cluster of `scripts/pg.sh` and returns its admin URL.
fn private_postgres(root: &Path) -> anyhow::Result<String> {
    let output = Command::new(root.join("scripts/pg.sh"))
        .arg("start")
        .output()
        .context("run scripts/pg.sh")?;
    if !output.status.success() {
        bail!(
            "scripts/pg.sh start: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Drops and creates `name`; returns its URL.
async fn fresh_database(admin: &str, name: &str) -> anyhow::Result<String> {
    let mut conn = AsyncPgConnection::establish(admin).await?;
    // One statement each: DROP DATABASE refuses to run in a transaction,
    // which a multi-statement batch is.
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    Ok(format!("{}/{name}", admin.trim_end_matches("/postgres")))
}

/// What every binary of the stack is started with: quiet logs; metrics
/// and traces on (traces made and logged, exported nowhere: no collector
/// here), metrics each on a port of its own (BENCH_METRICS=off and
/// BENCH_TRACES=off measure without them).
pub(crate) fn common_env() -> [(&'static str, &'static str); 6] {
    let off = |var| std::env::var(var).as_deref() == Ok("off");
    let metrics = if off("BENCH_METRICS") {
        ""
    } else {
        "127.0.0.1:0"
    };
    let traces_off = if off("BENCH_TRACES") { "true" } else { "false" };
    [
        ("OTEL_SDK_DISABLED", traces_off),
        ("RUST_LOG", "warn"),
        ("LOG_FORMAT", "json"),
        ("AUTH_METRICS_ADDR", metrics),
        ("MEDIA_METRICS_ADDR", metrics),
        ("GATEWAY_METRICS_ADDR", metrics),
    ]
}

/// auth-service's variables: on `addr` and `auth_db`.
fn auth_env(addr: SocketAddr, auth_db: &str) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("AUTH_LISTEN_ADDR", addr.to_string()),
        ("AUTH_DATABASE_URL", auth_db.to_owned()),
        ("JWT_SECRET", JWT_SECRET.to_owned()),
        ("AUTH_LOGIN_MAX_FAILURES", "1000000".to_owned()),
        // The users log in once, before the first round: their access
        // tokens must outlive all three (some 25 minutes).
        ("JWT_ACCESS_TTL_SECONDS", "7200".to_owned()),
    ];
    // BENCH_HASHING_CONCURRENCY tries other argon2 concurrencies (the
    // service defaults to the core count).
    let hashing = std::env::var("BENCH_HASHING_CONCURRENCY").unwrap_or_default();
    if !hashing.is_empty() {
        env.push(("AUTH_HASHING_CONCURRENCY", hashing));
    }
    env
}

/// media-service's variables: on `addr` and `media_db`, asking
/// `auth_urls`; every provider a closed port but TVmaze, which is
/// `stand_in`'s.
pub(crate) fn media_env(
    addr: SocketAddr,
    media_db: &str,
    auth_urls: &str,
    stand_in: &crate::standin::StandIn,
) -> Vec<(&'static str, String)> {
    [
        ("MEDIA_LISTEN_ADDR", addr.to_string()),
        ("MEDIA_DATABASE_URL", media_db.to_owned()),
        ("AUTH_SERVICE_URL", auth_urls.to_owned()),
        // A closed port: no case may depend on the internet, and
        // the whole-list cases may ask no provider at all.
        ("OMDB_BASE_URL", "http://127.0.0.1:9".to_owned()),
        ("JIKAN_BASE_URL", "http://127.0.0.1:9".to_owned()),
        ("OPENLIBRARY_BASE_URL", "http://127.0.0.1:9".to_owned()),
        ("RAWG_BASE_URL", "http://127.0.0.1:9".to_owned()),
        // Episodes from the stand-in, which keeps TVmaze's limit;
        // refreshes looked for every second.
        ("TVMAZE_BASE_URL", format!("{}/tvmaze", stand_in.base)),
        ("EPISODES_REFRESH_POLL_SECONDS", "1".to_owned()),
        // The scrobble case's 500 deliveries a second come from the
        // bench's 100 users (10 in the quick run): 300 (3,000) a
        // minute each, where a real server sends a few an hour.
        ("SCROBBLE_DELIVERIES_PER_MINUTE", "6000".to_owned()),
    ]
    .into()
}

/// `vars` as `spawn` takes them.
pub(crate) fn pairs<'a>(vars: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    vars.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

pub(crate) fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

pub(crate) fn spawn(
    bin_dir: &Path,
    name: &'static str,
    addr: SocketAddr,
    env: &[(&str, &str)],
    common: &[(&str, &str)],
) -> anyhow::Result<Process> {
    let path: PathBuf = bin_dir.join(name);
    let child = Command::new(&path)
        .envs(env.iter().chain(common).copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("start {}", path.display()))?;
    Ok(Process { name, addr, child })
}

/// `name` from `bin_dir` started with `args` (for binaries configured by
/// their command line rather than variables).
pub(crate) fn spawn_with_args(
    bin_dir: &Path,
    name: &'static str,
    addr: SocketAddr,
    args: &[String],
) -> anyhow::Result<Process> {
    let path: PathBuf = bin_dir.join(name);
    let child = Command::new(&path)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("start {}", path.display()))?;
    Ok(Process { name, addr, child })
}

/// Linux's clock ticks per second in `/proc` (`USER_HZ`: 100 on x86 and
/// ARM, the machines the bench runs on).
pub(crate) const USER_HZ: f64 = 100.0;

/// CPU time of process `pid` so far, in seconds.
pub(crate) fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces): state is the
    // first, utime and stime the 12th and 13th.
    let after_name = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let ticks: Vec<f64> = after_name
        .split(' ')
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<f64>().ok())
        .collect();
    anyhow::ensure!(ticks.len() == 2, "no CPU times in /proc/{pid}/stat");
    Ok(ticks.iter().sum::<f64>() / USER_HZ)
}

pub(crate) async fn wait_healthy(process: &Process) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let channel = tonic::transport::Endpoint::from_shared(process.url())?
            .connect()
            .await;
        if let Ok(channel) = channel {
            let answer = tonic_health::pb::health_client::HealthClient::new(channel)
                .check(tonic_health::pb::HealthCheckRequest::default())
                .await;
            if answer.is_ok_and(|r| r.into_inner().status == 1) {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!("{} did not become healthy", process.name);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

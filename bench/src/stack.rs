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
use diesel::{QueryableByName, sql_types::Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

pub(crate) const PASSWORD: &str = "bench password 123";

/// The three services, running.
pub(crate) struct Stack {
    pub auth: Process,
    pub media: Process,
    pub gateway: Process,
    pub media_url: String,
    /// The media database, for cases that seed their own data.
    pub media_db: String,
    /// The provider stand-in media-service asks for episodes (TVmaze).
    pub stand_in: crate::standin::StandIn,
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

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Seed sizes.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub(crate) struct Seed {
    pub users: u32,
    pub items: u32,
    pub entries_per_user: u32,
}

impl Seed {
    pub(crate) fn new(users: u32, items: u32, entries_per_user: u32) -> Self {
        Self {
            users,
            items,
            entries_per_user,
        }
    }
}

impl Stack {
    /// Fresh databases on the private cluster, seeded, and the three binaries
    /// from `bin_dir` started on them.
    pub(crate) async fn start(root: &Path, bin_dir: &Path, seed: Seed) -> anyhow::Result<Self> {
        let admin = private_postgres(root)?;
        let auth_db = fresh_database(&admin, "bench_auth").await?;
        let media_db = fresh_database(&admin, "bench_media").await?;
        let secret = "bench secret that is long enough to sign tokens";
        // Metrics on, as in production, each on a port of its own;
        // BENCH_METRICS=off measures without them.
        let metrics = if std::env::var("BENCH_METRICS").as_deref() == Ok("off") {
            ""
        } else {
            "127.0.0.1:0"
        };
        let common = [
            ("RUST_LOG", "warn"),
            ("LOG_FORMAT", "json"),
            ("AUTH_METRICS_ADDR", metrics),
            ("MEDIA_METRICS_ADDR", metrics),
            ("GATEWAY_METRICS_ADDR", metrics),
        ];

        let auth_addr = free_addr()?;
        // BENCH_HASHING_CONCURRENCY tries other argon2 concurrencies (the
        // service defaults to the core count).
        let hashing = std::env::var("BENCH_HASHING_CONCURRENCY").unwrap_or_default();
        let mut auth_env = vec![
            ("AUTH_LISTEN_ADDR", auth_addr.to_string()),
            ("AUTH_DATABASE_URL", auth_db.clone()),
            ("JWT_SECRET", secret.to_owned()),
            ("AUTH_LOGIN_MAX_FAILURES", "1000000".to_owned()),
            // The users log in once, before the first round: their access
            // tokens must outlive all three (some 25 minutes).
            ("JWT_ACCESS_TTL_SECONDS", "7200".to_owned()),
        ];
        if !hashing.is_empty() {
            auth_env.push(("AUTH_HASHING_CONCURRENCY", hashing));
        }
        let auth_env: Vec<(&str, &str)> = auth_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let auth = spawn(bin_dir, "auth-service", auth_addr, &auth_env, &common)?;
        let stand_in = crate::standin::StandIn::start(root)?;
        let media = spawn_media(bin_dir, &media_db, &auth, &stand_in, &common)?;
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
        seed_data(&auth_db, &media_db, seed).await?;
        Ok(Self {
            media_url: media.url(),
            media_db,
            stand_in,
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

/// media-service on `media_db`, asking `auth`; every provider a closed
/// port but TVmaze, which is `stand_in`'s.
fn spawn_media(
    bin_dir: &Path,
    media_db: &str,
    auth: &Process,
    stand_in: &crate::standin::StandIn,
    common: &[(&str, &str)],
) -> anyhow::Result<Process> {
    let tvmaze = format!("{}/tvmaze", stand_in.base);
    let media_addr = free_addr()?;
    spawn(
        bin_dir,
        "media-service",
        media_addr,
        &[
            ("MEDIA_LISTEN_ADDR", &media_addr.to_string()),
            ("MEDIA_DATABASE_URL", media_db),
            ("AUTH_SERVICE_URL", &auth.url()),
            // A closed port: no case may depend on the internet, and
            // the whole-list cases may ask no provider at all.
            ("OMDB_BASE_URL", "http://127.0.0.1:9"),
            ("JIKAN_BASE_URL", "http://127.0.0.1:9"),
            ("OPENLIBRARY_BASE_URL", "http://127.0.0.1:9"),
            ("RAWG_BASE_URL", "http://127.0.0.1:9"),
            // Episodes from the stand-in, which keeps TVmaze's limit;
            // refreshes looked for every second.
            ("TVMAZE_BASE_URL", &tvmaze),
            ("EPISODES_REFRESH_POLL_SECONDS", "1"),
            // The scrobble case's 500 deliveries a second come from the
            // bench's 100 users (10 in the quick run): 300 (3,000) a
            // minute each, where a real server sends a few an hour.
            ("SCROBBLE_DELIVERIES_PER_MINUTE", "6000"),
        ],
        common,
    )
}

fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

fn spawn(
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

async fn wait_healthy(process: &Process) -> anyhow::Result<()> {
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

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Users (one argon2 hash shared by all), catalog items, and each user's
/// entries over distinct items, written with set-based SQL.
async fn seed_data(auth_db: &str, media_db: &str, seed: Seed) -> anyhow::Result<()> {
    let hash = {
        use argon2::password_hash::PasswordHasher;
        let params =
            argon2::Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(PASSWORD.as_bytes())
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .to_string()
    };
    let mut auth = AsyncPgConnection::establish(auth_db).await?;
    auth.batch_execute(&format!(
        "INSERT INTO users (id, email, display_name, password_hash, role, created_at)
         SELECT gen_random_uuid(), 'bench' || g || '@example.com', 'Bench ' || g, '{hash}', 'user',
                now() - (g || ' seconds')::interval
         FROM generate_series(1, {}) g",
        seed.users
    ))
    .await?;
    let ids: Vec<Id> = diesel::sql_query("SELECT id::text AS id FROM users ORDER BY email")
        .load(&mut auth)
        .await?;
    let ids = ids
        .iter()
        .map(|i| i.id.as_str())
        .collect::<Vec<_>>()
        .join(",");

    let mut media = AsyncPgConnection::establish(media_db).await?;
    media
        .batch_execute(&format!(
            "INSERT INTO media_items (id, kind, source, external_id, title, year, total_units, created_at)
             SELECT gen_random_uuid(),
                    (ARRAY['movie','series','anime','manga','game','book'])[1 + g % 6],
                    'custom', NULL, 'Bench item ' || g, 1950 + g % 75, 1 + g % 500,
                    now() - (g || ' seconds')::interval
             FROM generate_series(1, {items}) g;
             CREATE TEMP TABLE numbered AS
               SELECT id, (row_number() OVER (ORDER BY created_at, id) - 1)::int AS n FROM media_items;
             INSERT INTO list_entries (id, user_id, media_item_id, status, rating, progress, updated_at)
             SELECT gen_random_uuid(), u.id, i.id,
                    (ARRAY['planned','in_progress','completed','on_hold','dropped'])[1 + (u.n + k) % 5],
                    CASE WHEN k % 4 = 0 THEN NULL ELSE 1 + (u.n * 7 + k) % 10 END,
                    0, now() - (k || ' minutes')::interval
             FROM unnest('{{{ids}}}'::uuid[]) WITH ORDINALITY AS u(id, n)
             CROSS JOIN generate_series(0, {per_user} - 1) k
             JOIN numbered i ON i.n = ((u.n - 1) * {per_user} + k) % {items}",
            items = seed.items,
            per_user = seed.entries_per_user,
        ))
        .await?;
    flush_seed(&mut auth).await?;
    flush_seed(&mut media).await
}

/// After a seed's write burst, before measuring: vacuums (so autovacuum is
/// unlikely to start mid-case) and checkpoints (so a checkpoint is too).
pub(crate) async fn flush_seed(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    // One statement each: VACUUM may not share an implicit transaction.
    conn.batch_execute("VACUUM ANALYZE").await?;
    conn.batch_execute("CHECKPOINT").await?;
    Ok(())
}

//! Each test gets its own Postgres database, copied from a template that is
//! migrated once per test process (as crates.io's `crates_io_test_db`).
//!
//! The server is the one named by `TEST_DATABASE_URL` (an admin URL, as
//! `make test` exports); without it, the private cluster of `scripts/pg.sh`
//! is started. Databases are named after the test process, dropped when the
//! [`TestDb`] is dropped, and leftovers of crashed runs are swept on the next.
//!
//! [`Server`] runs a service in-process on port 0 for end-to-end tests;
//! `TEST_LOG=1` shows its logs.

pub mod accounts;
mod grpc;
pub mod reflection;
mod server;
mod status;

pub use grpc::{assert_every_method_needs_a_token, authed, health, init_logs, wait_for_health};
pub use server::{Server, Shutdown};
pub use status::{assert_error, violated_fields};
pub use tonic_health::pb::health_check_response::ServingStatus;

use std::{
    collections::HashSet,
    process::Command,
    sync::{
        OnceLock,
        atomic::{AtomicU32, Ordering},
    },
};

use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::EmbeddedMigrations;

static NEXT_ID: AtomicU32 = AtomicU32::new(0);
static TEMPLATES: tokio::sync::Mutex<Option<HashSet<&'static str>>> =
    tokio::sync::Mutex::const_new(None);

/// A database of one test, dropped with it.
#[derive(Debug)]
pub struct TestDb {
    url: String,
    name: String,
}

impl TestDb {
    /// A fresh database with `migrations` applied. `service` names the
    /// template (one per set of migrations).
    pub async fn new(service: &'static str, migrations: EmbeddedMigrations) -> Self {
        let admin = admin_url();
        let template = template(service, migrations).await;
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        );
        execute(
            admin,
            &format!("CREATE DATABASE {name} TEMPLATE {template}"),
        )
        .await;
        Self {
            url: with_database(admin, &name),
            name,
        }
    }

    /// A fresh database with no schema at all, for testing migrations.
    pub async fn empty() -> Self {
        let admin = admin_url();
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        );
        execute(admin, &format!("CREATE DATABASE {name}")).await;
        Self {
            url: with_database(admin, &name),
            name,
        }
    }

    /// The URL to give the service under test.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number `sql` (a query of one `count` column) answers, read
    /// straight from the database: for what no RPC shows, such as how
    /// often a row was written.
    pub async fn count(&self, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            count: i64,
        }
        let mut conn = AsyncPgConnection::establish(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connect to the test database: {e}"));
        diesel::sql_query(sql)
            .get_result::<Count>(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .count
    }

    /// Runs `sql` straight on the database: for what no RPC can do, such
    /// as another worker taking a job over.
    pub async fn execute(&self, sql: &str) {
        execute(&self.url, sql).await;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Not joined: the test's runtime may still own connections to this
        // database, and blocking it here would keep them from closing. What
        // a process exits before dropping is swept by the next run.
        std::thread::spawn(move || block_on(execute(admin_url(), &sql)));
    }
}

/// The admin URL of the test server.
pub fn admin_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("TEST_DATABASE_URL")
            && !url.is_empty()
        {
            return url;
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg.sh");
        let output = Command::new(script)
            .arg("start")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
        assert!(
            output.status.success(),
            "{script} start failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    })
}

/// `url` with its database replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

async fn template(service: &'static str, migrations: EmbeddedMigrations) -> String {
    let name = format!("tmpl_{service}_{}", std::process::id());
    let mut templates = TEMPLATES.lock().await;
    let created = templates.get_or_insert_with(|| {
        sweep_leftovers();
        HashSet::new()
    });
    if created.insert(service) {
        let admin = admin_url();
        execute(
            admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await;
        execute(admin, &format!("CREATE DATABASE {name}")).await;
        let url = with_database(admin, &name);
        // Migrations need a multi-threaded runtime (block_in_place); tests may
        // run on a current-thread one, so migrate on a runtime of its own.
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime for migrations")
                .block_on(completionist_common::db::migrate(&url, migrations, 1))
                .expect("migrations apply to the template");
        })
        .join()
        .expect("migration thread");
    }
    name
}

/// Drops databases left by test processes that no longer run.
fn sweep_leftovers() {
    #[derive(QueryableByName)]
    struct Database {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    std::thread::spawn(|| {
        block_on(async {
            let admin = admin_url();
            let mut conn = AsyncPgConnection::establish(admin)
                .await
                .expect("connect to the test server");
            let databases: Vec<Database> = diesel::sql_query(concat!(
                "SELECT datname FROM pg_database ",
                "WHERE datname LIKE 't\\_%' OR datname LIKE 'tmpl\\_%'",
            ))
            .load(&mut conn)
            .await
            .expect("list databases");
            for db in databases {
                let pid = match db.datname.strip_prefix("t_") {
                    Some(rest) => rest.split('_').next(),
                    None => db.datname.rsplit('_').next(),
                };
                let alive =
                    pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
                if !alive {
                    let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", db.datname);
                    let _ = diesel::sql_query(sql).execute(&mut conn).await;
                }
            }
        });
    })
    .join()
    .expect("sweep thread");
}

async fn execute(url: &str, sql: &str) {
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .unwrap_or_else(|e| panic!("connect to the test server: {e}"));
    diesel::sql_query(sql)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://u:p@127.0.0.1:5432/postgres", "t_1"),
            "postgres://u:p@127.0.0.1:5432/t_1"
        );
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}

//! The workspace's binaries run as processes, as they run in production:
//! each its own process (its own tracer, metrics, signals), killed when
//! the test drops it.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;

/// A binary of the workspace, killed when dropped.
pub(crate) struct Process(Child);

impl Process {
    /// `binary` with only `vars` set (JSON logs to `log`).
    pub(crate) fn start(binary: &str, vars: &[(&str, &str)], log: &Path) -> Self {
        let path = binaries().join(binary);
        assert!(
            path.exists(),
            "{} is not built: `cargo build --workspace` (make test does)",
            path.display()
        );
        let child = Command::new(path)
            .env_clear()
            .current_dir(std::env::temp_dir())
            .envs(vars.iter().copied())
            .env("LOG_FORMAT", "json")
            .env("OTEL_BSP_SCHEDULE_DELAY", "100")
            .stdout(std::fs::File::create(log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self(child)
    }

    /// Sends SIGTERM, as an orchestrator stopping it does, and waits
    /// (up to `within`) for it to exit.
    pub(crate) async fn terminate(&mut self, within: Duration) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let started = Instant::now();
        while self.0.try_wait().unwrap().is_none() {
            assert!(started.elapsed() < within, "still running after {within:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where cargo put this test's gateway, and the other binaries beside it.
fn binaries() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_gateway"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Waits until the server behind `channel` serves (the processes start
/// and migrate first).
pub(crate) async fn serving(channel: &Channel) {
    let started = Instant::now();
    while test_support::health(channel, "").await != ServingStatus::Serving {
        assert!(started.elapsed() < Duration::from_secs(60), "never served");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An address free a moment ago, for a process that needs one up front.
pub(crate) fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// A directory of the test's own for logs, removed when dropped.
pub(crate) struct Logs(pub(crate) PathBuf);

impl Logs {
    pub(crate) fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("processes-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub(crate) fn of(&self, name: &str) -> PathBuf {
        self.0.join(format!("{name}.log"))
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        // A failed test shows what its processes said (the directory goes).
        if std::thread::panicking() {
            let mut logs: Vec<_> = std::fs::read_dir(&self.0)
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .collect();
            logs.sort();
            for log in logs {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                let last = &lines[lines.len().saturating_sub(40)..];
                eprintln!("--- {} (last {} lines)", log.display(), last.len());
                eprintln!("{}", last.join("\n"));
            }
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// auth-service on `database`, with `vars` besides: the process and its URL.
pub(crate) fn auth_service(
    database: &str,
    vars: &[(&str, &str)],
    logs: &Logs,
) -> (Process, String) {
    let addr = free_addr();
    let mut all = vec![
        ("AUTH_LISTEN_ADDR", addr.as_str()),
        ("AUTH_METRICS_ADDR", ""),
        ("AUTH_DATABASE_URL", database),
        ("JWT_SECRET", "test secret that is long enough to sign with"),
    ];
    all.extend_from_slice(vars);
    let process = Process::start("auth-service", &all, &logs.of("auth"));
    (process, format!("http://{addr}"))
}

/// A new user's access token, registered and logged in through `gateway`.
pub(crate) async fn user_token(gateway: &Channel, email: &str) -> String {
    use completionist_proto::auth::auth_service_client::AuthServiceClient;
    use test_support::accounts;
    let auth = AuthServiceClient::new(gateway.clone());
    reaches_auth(&auth).await;
    accounts::register_as(&auth, email).await;
    accounts::log_in(&auth, email).await.access_token
}

/// Waits until a call through the gateway is answered by auth-service. The
/// gateway says SERVING after its last probe of its backends; in a loaded
/// test run, a call right after has been answered UNAVAILABLE ("try again
/// shortly") once, and Register, a mutation, is not tried again by the
/// gateway. A failed login is asked instead: it changes nothing that
/// matters here.
async fn reaches_auth(
    auth: &completionist_proto::auth::auth_service_client::AuthServiceClient<Channel>,
) {
    use completionist_proto::auth::LoginRequest;
    let started = Instant::now();
    loop {
        let answer = auth
            .clone()
            .login(LoginRequest {
                email: "nobody@example.com".into(),
                password: "not a password".into(),
            })
            .await;
        match answer {
            Err(status) if status.code() == tonic::Code::Unavailable => {
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "the gateway never reached auth-service: {status:?}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            _ => return,
        }
    }
}

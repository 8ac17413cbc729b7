//! Three replicas of media-service behind the gateway, as processes: the
//! calls are shared (each replica's own `/metrics` counts some), a replica
//! added under load serves within seconds, and one stopped under load
//! (SIGTERM, as a rolling restart does) costs no call.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use completionist_proto::media as media_pb;
use test_support::{TestDb, authed};
use tonic::transport::Channel;

use crate::processes::{Logs, Process, auth_service, free_addr, serving, user_token};

const READ: &str = "completionist.media.v1.MediaService/GetListStats";

/// A media-service replica, and where it serves its metrics.
struct Replica {
    process: Option<Process>,
    addr: String,
    metrics: String,
}

impl Replica {
    fn new() -> Self {
        Self {
            process: None,
            addr: free_addr(),
            metrics: free_addr(),
        }
    }

    fn start(&mut self, database: &str, auth_url: &str, logs: &Logs) {
        let name = format!("media-{}", self.addr.replace(':', "-"));
        self.process = Some(Process::start(
            "media-service",
            &[
                ("MEDIA_LISTEN_ADDR", &self.addr),
                ("MEDIA_METRICS_ADDR", &self.metrics),
                ("MEDIA_DATABASE_URL", database),
                ("AUTH_SERVICE_URL", auth_url),
                // Longer than the gateway takes to look (every 2 s).
                ("MEDIA_STOP_DELAY_SECONDS", "3"),
            ],
            &logs.of(&name),
        ));
    }

    /// The reads this replica has answered, by its own count.
    async fn reads(&self) -> u64 {
        let Ok(response) = reqwest::get(format!("http://{}/metrics", self.metrics)).await else {
            return 0;
        };
        let text = response.text().await.unwrap_or_default();
        text.lines()
            .filter(|line| {
                line.starts_with("rpc_server_call_duration_seconds_count{")
                    && line.contains(READ)
                    && line.contains(r#"rpc_status_code="OK""#)
            })
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }
}

/// Callers reading through the gateway until stopped, counting failures.
struct Load {
    stop: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
    failures: Arc<std::sync::Mutex<Vec<tonic::Status>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(gateway: &Channel, token: &str, callers: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
        let tasks = (0..callers)
            .map(|_| {
                let (stop, calls, failures) = (stop.clone(), calls.clone(), failures.clone());
                let mut client =
                    media_pb::media_service_client::MediaServiceClient::new(gateway.clone());
                let token = token.to_owned();
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let mut request = authed(&token, media_pb::GetListStatsRequest {});
                        request.set_timeout(Duration::from_secs(5));
                        if let Err(status) = client.get_list_stats(request).await {
                            failures.lock().unwrap().push(status);
                        }
                        calls.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        Self {
            stop,
            calls,
            failures,
            tasks,
        }
    }

    /// Stops the callers: how many calls they made, and those that failed.
    async fn finish(self) -> (usize, Vec<tonic::Status>) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.unwrap();
        }
        let failures = std::mem::take(&mut *self.failures.lock().unwrap());
        (self.calls.load(Ordering::Relaxed), failures)
    }
}

#[tokio::test]
async fn replicas_share_the_calls_come_and_go_and_lose_none() {
    let logs = Logs::new();
    let auth_db = TestDb::new("auth", auth_service::MIGRATIONS).await;
    let media_db = TestDb::new("media", media_service::MIGRATIONS).await;
    let (_auth, auth_url) = auth_service(auth_db.url(), &[], &logs);
    let mut replicas = [Replica::new(), Replica::new(), Replica::new()];
    for replica in &mut replicas[..2] {
        replica.start(media_db.url(), &auth_url, &logs);
    }
    // The third is named from the start and comes later.
    let media_urls = replicas
        .iter()
        .map(|r| format!("http://{}", r.addr))
        .collect::<Vec<_>>()
        .join(",");
    let gateway_addr = free_addr();
    let _gateway = Process::start(
        "gateway",
        &[
            ("GATEWAY_LISTEN_ADDR", &gateway_addr),
            ("GATEWAY_METRICS_ADDR", ""),
            ("AUTH_SERVICE_URL", &auth_url),
            ("MEDIA_SERVICE_URL", &media_urls),
            ("GATEWAY_CORS_ALLOWED_ORIGINS", "http://app.example.test"),
        ],
        &logs.of("gateway"),
    );
    let gateway = Channel::from_shared(format!("http://{gateway_addr}"))
        .unwrap()
        .connect_lazy();
    serving(&gateway).await;
    let token = user_token(&gateway, "replicas@example.com").await;

    let load = Load::start(&gateway, &token, 4);
    tokio::time::sleep(Duration::from_secs(2)).await;
    replicas[2].start(media_db.url(), &auth_url, &logs);
    let added = Instant::now();
    while replicas[2].reads().await == 0 {
        assert!(
            added.elapsed() < Duration::from_secs(15),
            "the added replica served nothing"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (i, replica) in replicas.iter().enumerate() {
        assert!(replica.reads().await > 0, "replica {i} served nothing");
    }

    // A rolling restart's stop, under load.
    let mut stopped = replicas[0].process.take().unwrap();
    stopped.terminate(Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (calls, failures) = load.finish().await;
    assert!(calls > 100, "only {calls} calls");
    assert!(
        failures.is_empty(),
        "{} of {calls} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
}

/// A media-service stand-in that says SERVING and answers every call
/// UNAVAILABLE, counting them.
async fn unavailable_backend(calls: Arc<AtomicUsize>) -> test_support::Server {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    let refuse = move || {
        calls.fetch_add(1, Ordering::Relaxed);
        async {
            (
                [("content-type", "application/grpc"), ("grpc-status", "14")],
                "",
            )
        }
    };
    let router = tonic::service::Routes::new(health_service)
        .into_axum_router()
        .fallback(refuse);
    test_support::Server::start(|listener, shutdown| async move {
        tonic::transport::Server::builder()
            .add_routes(tonic::service::Routes::from(router))
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                shutdown.wait(),
            )
            .await
            .map_err(Into::into)
    })
    .await
}

#[tokio::test]
async fn the_gateway_tries_reads_again_and_changes_never() {
    let calls = Arc::new(AtomicUsize::new(0));
    let backend = unavailable_backend(calls.clone()).await;
    let backend_url = format!("http://{}", backend.addr);
    let config = gateway::Config::from_env(completionist_common::config::Env::from_vars([
        ("AUTH_SERVICE_URL", backend_url.as_str()),
        ("MEDIA_SERVICE_URL", backend_url.as_str()),
        ("GATEWAY_CORS_ALLOWED_ORIGINS", "http://app.example.test"),
    ]))
    .unwrap();
    let gateway = test_support::Server::start(|listener, shutdown| {
        gateway::run(listener, config, shutdown.wait())
    })
    .await;
    let mut client = media_pb::media_service_client::MediaServiceClient::new(
        Channel::from_shared(format!("http://{}", gateway.addr))
            .unwrap()
            .connect_lazy(),
    );

    let read = client
        .get_list_stats(authed("t", media_pb::GetListStatsRequest {}))
        .await
        .unwrap_err();
    assert_eq!(read.code(), tonic::Code::Unavailable);
    assert_eq!(
        calls.swap(0, Ordering::Relaxed),
        3,
        "tried once, then twice more"
    );

    let change = client
        .remove_list_entry(authed("t", media_pb::RemoveListEntryRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(change.code(), tonic::Code::Unavailable);
    assert_eq!(calls.load(Ordering::Relaxed), 1, "a change is sent once");
}

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::net::TcpListener;
use tokio_util::task::AbortOnDropHandle;
use tonic::{service::InterceptorLayer, transport::server::TcpIncoming};
use tonic_health::{
    ServingStatus,
    pb::{HealthCheckRequest, health_client::HealthClient},
    server::HealthReporter,
};

use super::{FOLLOW_EVERY, Resolve, internal_with};

/// A health server that counts the calls marked `x-load`.
struct Replica {
    address: SocketAddr,
    calls: Arc<AtomicUsize>,
    health: HealthReporter,
    _served: AbortOnDropHandle<()>,
}

impl Replica {
    async fn start() -> Self {
        let (health, service) = tonic_health::server::health_reporter();
        health.set_service_status("", ServingStatus::Serving).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let count = move |request: tonic::Request<()>| {
            if request.metadata().contains_key("x-load") {
                counted.fetch_add(1, Ordering::Relaxed);
            }
            Ok(request)
        };
        let served = tokio::spawn(async move {
            let _ = tonic::transport::Server::builder()
                .layer(InterceptorLayer::new(count))
                .add_service(service)
                .serve_with_incoming(TcpIncoming::from(listener))
                .await;
        });
        Self {
            address,
            calls,
            health,
            _served: AbortOnDropHandle::new(served),
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
}

/// A resolver that answers what the test says.
fn answering(addresses: Arc<Mutex<Vec<SocketAddr>>>) -> Resolve {
    Arc::new(move |_, _| {
        let addresses = addresses.lock().unwrap().clone();
        Box::pin(async move { Ok(addresses) })
    })
}

async fn load(channel: &super::Internal, calls: usize) {
    for _ in 0..calls {
        let mut request = tonic::Request::new(HealthCheckRequest::default());
        request
            .metadata_mut()
            .insert("x-load", "1".parse().unwrap());
        HealthClient::new(channel.clone())
            .check(request)
            .await
            .unwrap();
    }
}

/// Long enough for the replicas to be followed twice.
async fn followed() {
    tokio::time::sleep(FOLLOW_EVERY * 2 + Duration::from_millis(500)).await;
}

#[tokio::test]
async fn calls_are_spread_over_the_replicas_as_they_come_and_go() {
    let replicas = [
        Replica::start().await,
        Replica::start().await,
        Replica::start().await,
        Replica::start().await,
    ];
    let addresses = Arc::new(Mutex::new(
        replicas[..3].iter().map(|r| r.address).collect::<Vec<_>>(),
    ));
    let channel =
        internal_with("http://replicas.internal:1", answering(addresses.clone())).unwrap();

    load(&channel, 60).await;
    for (i, replica) in replicas[..3].iter().enumerate() {
        assert!(replica.calls() > 0, "replica {i} served none");
    }

    // Stopping (NOT_SERVING): taken out before it goes away.
    replicas[0]
        .health
        .set_service_status("", ServingStatus::NotServing)
        .await;
    followed().await;
    let before = replicas[0].calls();
    load(&channel, 60).await;
    assert_eq!(
        replicas[0].calls(),
        before,
        "a stopping replica is left out"
    );

    // A new replica, as the name resolves to it: serving within seconds.
    addresses.lock().unwrap().push(replicas[3].address);
    followed().await;
    load(&channel, 60).await;
    assert!(replicas[3].calls() > 0, "the new replica served none");
}

#[tokio::test]
async fn a_name_that_resolves_to_nothing_fails_fast_as_given() {
    let nothing = Arc::new(Mutex::new(Vec::new()));
    // A closed port, standing in while nothing resolves.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let channel = internal_with(&format!("http://{closed}"), answering(nothing)).unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let answer = tokio::time::timeout(
        Duration::from_secs(5),
        HealthClient::new(channel).check(HealthCheckRequest::default()),
    )
    .await
    .expect("answered, not left waiting");
    assert_eq!(answer.unwrap_err().code(), tonic::Code::Unavailable);
}

#[tokio::test]
async fn when_no_replica_serves_all_are_kept() {
    let replica = Replica::start().await;
    replica
        .health
        .set_service_status("", ServingStatus::NotServing)
        .await;
    let addresses = Arc::new(Mutex::new(vec![replica.address]));
    let channel = internal_with("http://replicas.internal:1", answering(addresses)).unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Answered (not left waiting for a replica that serves).
    tokio::time::timeout(Duration::from_secs(5), load(&channel, 1))
        .await
        .unwrap();
    assert_eq!(replica.calls(), 1);
}

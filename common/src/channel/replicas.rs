//! Following the replicas of a service (see the parent module): each round
//! resolves every URL's host, asks each address whether it serves, and
//! tells the balancer which addresses came and went.

use std::{
    collections::{BTreeSet, HashMap},
    net::SocketAddr,
    sync::Arc,
    time::Duration,
};

use futures_util::future::{BoxFuture, join_all};
use http::Uri;
use tokio::sync::mpsc::Sender;
use tonic::transport::{Channel, Endpoint, channel::Change};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// Finds the addresses of a host and port.
pub type Resolve =
    Arc<dyn Fn(String, u16) -> BoxFuture<'static, std::io::Result<Vec<SocketAddr>>> + Send + Sync>;

/// The system's resolver (DNS, `/etc/hosts`).
pub(super) fn dns() -> Resolve {
    Arc::new(|host, port| {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host.as_str(), port))
                .await?
                .collect())
        })
    })
}

/// How long a replica may take to say whether it serves.
const ASK_WITHIN: Duration = Duration::from_secs(1);

/// Follows the replicas of `targets` every `every`, sending `changes` to
/// the balancer (each replica's endpoint made by `endpoint`), until the
/// balancer is gone. A replica that does not say SERVING is left out,
/// unless none does: then all stay, so calls fail fast rather than wait.
pub(super) async fn follow(
    targets: Vec<Uri>,
    endpoint: impl Fn(Uri) -> Endpoint,
    changes: Sender<Change<SocketAddr, Endpoint>>,
    resolve: Resolve,
    every: Duration,
) {
    let mut last_resolved: HashMap<usize, Vec<SocketAddr>> = HashMap::new();
    let mut asked: HashMap<SocketAddr, HealthClient<Channel>> = HashMap::new();
    let mut current: BTreeSet<SocketAddr> = BTreeSet::new();
    while !changes.is_closed() {
        let mut resolved = HashMap::new();
        for (i, target) in targets.iter().enumerate() {
            let host = target.host().unwrap_or_default();
            let host = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let port = target.port_u16().unwrap_or(80);
            let addresses = match resolve(host, port).await {
                Ok(addresses) => {
                    last_resolved.insert(i, addresses.clone());
                    addresses
                }
                Err(error) => {
                    tracing::warn!(%error, url = %target, "cannot resolve a service; keeping its last addresses");
                    last_resolved.get(&i).cloned().unwrap_or_default()
                }
            };
            resolved.extend(
                addresses
                    .into_iter()
                    .map(|a| (a, target.scheme_str().unwrap_or("http"))),
            );
        }
        asked.retain(|address, _| resolved.contains_key(address));
        let serving = serving(&resolved, &mut asked).await;
        let wanted: BTreeSet<SocketAddr> = if serving.is_empty() {
            resolved.keys().copied().collect()
        } else {
            serving
        };
        for gone in current.difference(&wanted) {
            if changes.send(Change::Remove(*gone)).await.is_err() {
                return;
            }
        }
        for new in wanted.difference(&current) {
            let Some(uri) = uri_of(resolved[new], *new) else {
                continue;
            };
            if changes
                .send(Change::Insert(*new, endpoint(uri)))
                .await
                .is_err()
            {
                return;
            }
        }
        current = wanted;
        tokio::time::sleep(every).await;
    }
}

/// The addresses among `resolved` that say SERVING, asked all at once.
async fn serving(
    resolved: &HashMap<SocketAddr, &str>,
    asked: &mut HashMap<SocketAddr, HealthClient<Channel>>,
) -> BTreeSet<SocketAddr> {
    let asks = resolved.iter().filter_map(|(address, scheme)| {
        let client = match asked.get(address) {
            Some(client) => client.clone(),
            None => {
                let endpoint = Endpoint::from(uri_of(scheme, *address)?)
                    .connect_timeout(ASK_WITHIN)
                    .timeout(ASK_WITHIN);
                let client = HealthClient::new(endpoint.connect_lazy());
                asked.insert(*address, client.clone());
                client
            }
        };
        let address = *address;
        Some(async move {
            let answer = client.clone().check(HealthCheckRequest::default()).await;
            let serves = answer.is_ok_and(|a| a.into_inner().status() == ServingStatus::Serving);
            serves.then_some(address)
        })
    });
    join_all(asks.collect::<Vec<_>>())
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// The URL of one replica.
fn uri_of(scheme: &str, address: SocketAddr) -> Option<Uri> {
    Uri::try_from(format!("{scheme}://{address}")).ok()
}

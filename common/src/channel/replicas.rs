//! Following the replicas of a service (see the parent module): each round
//! resolves every URL's host, asks each address whether it serves, and
//! tells the balancer which addresses came and went.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    net::SocketAddr,
    sync::Arc,
    time::Duration,
};

use futures_util::future::{BoxFuture, join_all};
use http::Uri;
use tokio::sync::mpsc::Sender;
use tonic::transport::{Channel, Endpoint, channel::Change};

use crate::health;

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

/// How soon to look again while no replica says it serves.
const SOON_WHILE_NONE_SERVE: Duration = Duration::from_millis(250);

/// Follows the replicas of `targets` every `every`, sending `changes` to
/// the balancer (each replica's endpoint made by `endpoint`), until the
/// balancer is gone. After the first round (at most two seconds: every
/// answer is awaited [`ASK_WITHIN`]) it never has none: while no address
/// is known, the targets as given stand in, and a connection to them fails
/// fast. A replica that does not say SERVING is
/// left out, unless none does: then all stay, so calls fail fast rather
/// than wait, and the next round comes sooner.
pub(super) async fn follow(
    targets: Vec<Uri>,
    endpoint: impl Fn(Uri) -> Endpoint,
    changes: Sender<Change<String, Endpoint>>,
    resolve: Resolve,
    every: Duration,
) {
    let mut last_resolved: HashMap<usize, Vec<SocketAddr>> = HashMap::new();
    let mut asked: HashMap<SocketAddr, Channel> = HashMap::new();
    let as_given: BTreeMap<String, Uri> =
        targets.iter().map(|t| (t.to_string(), t.clone())).collect();
    let mut current: BTreeMap<String, Uri> = BTreeMap::new();
    while !changes.is_closed() {
        let mut resolved = HashMap::new();
        for (i, target) in targets.iter().enumerate() {
            let host = target.host().unwrap_or_default();
            let host = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let port = target.port_u16().unwrap_or(80);
            let resolved_now = tokio::time::timeout(ASK_WITHIN, resolve(host, port)).await;
            let addresses = match resolved_now {
                Ok(Ok(addresses)) if !addresses.is_empty() => {
                    last_resolved.insert(i, addresses.clone());
                    addresses
                }
                // Nothing, or no answer: the last addresses known.
                _ => {
                    tracing::debug!(url = %target, "a service did not resolve; keeping its last addresses");
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
        let none_serve = serving.is_empty();
        let chosen: Vec<SocketAddr> = if none_serve {
            resolved.keys().copied().collect()
        } else {
            serving.into_iter().collect()
        };
        let mut wanted: BTreeMap<String, Uri> = chosen
            .into_iter()
            .filter_map(|address| Some((address.to_string(), uri_of(resolved[&address], address)?)))
            .collect();
        if wanted.is_empty() {
            wanted = as_given.clone();
        }
        if !replace(&mut current, wanted, &endpoint, &changes).await {
            return;
        }
        // While none serves (replicas starting together, say), calls go to
        // every address, up or not: look again soon, so that the ones
        // serving take over as soon as they do.
        let pause = if none_serve {
            every.min(SOON_WHILE_NONE_SERVE)
        } else {
            every
        };
        tokio::time::sleep(pause).await;
    }
}

/// Tells the balancer to go from `current` to `wanted`: new replicas in
/// first, then the gone ones out, so it is never left with none. `false`
/// when the balancer is gone.
async fn replace(
    current: &mut BTreeMap<String, Uri>,
    wanted: BTreeMap<String, Uri>,
    endpoint: &impl Fn(Uri) -> Endpoint,
    changes: &Sender<Change<String, Endpoint>>,
) -> bool {
    for (key, uri) in &wanted {
        if !current.contains_key(key)
            && changes
                .send(Change::Insert(key.clone(), endpoint(uri.clone())))
                .await
                .is_err()
        {
            return false;
        }
    }
    for key in current.keys() {
        if !wanted.contains_key(key) && changes.send(Change::Remove(key.clone())).await.is_err() {
            return false;
        }
    }
    *current = wanted;
    true
}

/// The addresses among `resolved` that say SERVING, asked all at once.
async fn serving(
    resolved: &HashMap<SocketAddr, &str>,
    asked: &mut HashMap<SocketAddr, Channel>,
) -> BTreeSet<SocketAddr> {
    let asks = resolved.iter().filter_map(|(address, scheme)| {
        let channel = match asked.get(address) {
            Some(channel) => channel.clone(),
            None => {
                let endpoint =
                    Endpoint::from(uri_of(scheme, *address)?).connect_timeout(ASK_WITHIN);
                let channel = endpoint.connect_lazy();
                asked.insert(*address, channel.clone());
                channel
            }
        };
        let address = *address;
        Some(async move {
            health::serving(channel, ASK_WITHIN)
                .await
                .then_some(address)
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

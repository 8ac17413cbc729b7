//! Scrobbles through the gateway: every bench user's media server (a
//! Jellyfin, as its webhook plugin posts) sends the episodes of a show on
//! that user's list, 500 deliveries a second in all, for the case's
//! duration; then each accepted delivery is looked for in the event log.
//! Each delivery is new (its own item key and time), so each is an event:
//! an episode's first play is watched, a later one within the window a
//! duplicate.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use completionist_proto::media::{self as pb, media_service_client::MediaServiceClient};
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use test_support::authed;

use futures_util::future::BoxFuture;
use hdrhistogram::Histogram;

use crate::{
    cases::Ctx,
    load::{CallResult, Measured, open_loop},
    report::Case,
    seed::flush_seed,
    series::{seed_shows, user_id},
};

/// Deliveries per second, from all the users together.
pub(crate) const RATE: f64 = 500.0;
pub(crate) const NAME: &str = "scrobbles via gateway (Jellyfin), 500/s";
/// What each user's show is called, with the round's tag after it.
const SHOW: &str = "Bench show 1";

/// Where each user's server posts, with the token's id and its owner's
/// access token (to delete it after).
struct Sender {
    url: String,
    token_id: String,
    access_token: String,
}

pub(crate) async fn scrobbles(ctx: &Ctx) -> anyhow::Result<Case> {
    eprintln!("measuring {RATE} scrobbles/s through the gateway...");
    let mut conn = AsyncPgConnection::establish(&ctx.stack.media_db).await?;
    let tag = format!("bench{}s", uuid::Uuid::new_v4().simple());
    let mut ids = Vec::new();
    for user in 0..ctx.users.len() {
        ids.push(user_id(ctx, &ctx.users[user].token).await?);
    }
    conn.batch_execute("BEGIN").await?;
    seed_shows(&mut conn, &tag, 1, "running", &ids).await?;
    conn.batch_execute("COMMIT").await?;
    flush_seed(&mut conn).await?;
    let mut senders = Vec::new();
    for user in 0..ctx.users.len() {
        senders.push(create_token(ctx, &ctx.users[user].token).await?);
    }
    let senders = Arc::new(senders);
    let (histogram, accepted, mut errors) =
        deliver(delivery(senders.clone(), tag), ctx.shape.duration).await;
    let accepted_measured = histogram.len() - errors.values().sum::<u64>();
    let logged = logged(&mut conn, &senders).await?;
    if logged != accepted {
        errors.insert(format!("accepted {accepted}, logged {logged}"), 1);
    }
    for sender in senders.iter() {
        let request = pb::DeleteScrobbleTokenRequest {
            id: sender.token_id.clone(),
        };
        MediaServiceClient::new(ctx.media[0].clone())
            .delete_scrobble_token(authed(&sender.access_token, request))
            .await?;
    }
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    let gateway = ctx.stack.processes()[2];
    let media = ctx.stack.processes()[1];
    Ok(Case {
        name: NAME,
        measured: Measured {
            rps: accepted_measured as f64 / ctx.shape.duration.as_secs_f64(),
            latency_rps: RATE,
            p50_ms: ms(0.5),
            p90_ms: ms(0.9),
            p99_ms: ms(0.99),
            max_ms: histogram.max() as f64 / 1000.0,
            calls: histogram.len(),
            errors,
        },
        peak_memory_mib: [
            (media.name.to_owned(), media.peak_memory_mib()),
            (gateway.name.to_owned(), gateway.peak_memory_mib()),
        ]
        .into(),
        rounds: Vec::new(),
    })
}

/// Delivery `i`: a sender's Jellyfin posting the stop of an episode of its
/// user's show, an item of its own at a time of its own.
fn delivery(
    senders: Arc<Vec<Sender>>,
    tag: String,
) -> impl Fn(u64) -> BoxFuture<'static, CallResult> + Clone + Send + Sync + 'static {
    let client = reqwest::Client::new();
    let series = format!("{SHOW} {tag}");
    let started = chrono::Utc::now();
    move |i: u64| {
        let users = senders.len() as u64;
        let sender = &senders[usize::try_from(i % users).unwrap_or_default()];
        // The aired episodes (90 of them) in turn, a user's every 90th
        // delivery playing one again.
        let n = (i / users) % 90;
        let at = started + chrono::TimeDelta::milliseconds(i64::try_from(i).unwrap_or_default());
        let body = serde_json::json!({
            "NotificationType": "PlaybackStop",
            "PlayedToCompletion": true,
            "ItemType": "Episode",
            "ItemId": format!("{tag}-{i}"),
            "Name": format!("Episode {}", n + 1),
            "SeriesName": series,
            "SeasonNumber": 1 + n / 25,
            "EpisodeNumber": 1 + n % 25,
            "NotificationUsername": "bench",
            "UtcTimestamp": at.to_rfc3339(),
        });
        let request = client
            .post(&sender.url)
            .header("content-type", "text/plain")
            .body(body.to_string());
        Box::pin(async move {
            let response = request.send().await.map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(response.status().to_string());
            }
            response.bytes().await.map(drop).map_err(|e| e.to_string())
        })
    }
}

/// A second's warm-up, then `duration` of deliveries at [`RATE`]: the
/// latencies after the warm-up, the deliveries accepted in all (the
/// warm-up's are events too), and the refusals after the warm-up.
async fn deliver<F>(call: F, duration: Duration) -> (Histogram<u64>, u64, BTreeMap<String, u64>)
where
    F: Fn(u64) -> BoxFuture<'static, CallResult> + Clone + Send + Sync + 'static,
{
    let errors = Arc::new(Mutex::new(BTreeMap::new()));
    let failed = |errors: &Mutex<BTreeMap<String, u64>>| {
        errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .sum::<u64>()
    };
    let second = Duration::from_secs(1);
    let warm = open_loop(16, RATE, second, call.clone(), errors.clone()).await;
    let warm_accepted = warm.len() - failed(&errors);
    errors.lock().unwrap_or_else(|e| e.into_inner()).clear();
    // Numbered on from the warm-up's: each delivery is new.
    let after_warm = move |i: u64| call(i + warm.len());
    let histogram = open_loop(64, RATE, duration, after_warm, errors.clone()).await;
    let accepted = warm_accepted + histogram.len() - failed(&errors);
    let errors = errors.lock().unwrap_or_else(|e| e.into_inner()).clone();
    (histogram, accepted, errors)
}

async fn create_token(ctx: &Ctx, token: &str) -> anyhow::Result<Sender> {
    let request = pb::CreateScrobbleTokenRequest {
        name: "bench Jellyfin".into(),
        server_user: String::new(),
    };
    let created = MediaServiceClient::new(ctx.media[0].clone())
        .create_scrobble_token(authed(token, request))
        .await?
        .into_inner();
    let path = created
        .urls
        .iter()
        .find(|u| u.server == pb::MediaServer::Jellyfin as i32)
        .map(|u| u.path.clone())
        .ok_or_else(|| anyhow::anyhow!("no Jellyfin URL"))?;
    Ok(Sender {
        url: format!("{}{path}", ctx.stack.gateway.url()),
        token_id: created.scrobble_token.unwrap_or_default().id,
        access_token: token.to_owned(),
    })
}

/// The events the senders' tokens have in the log.
async fn logged(conn: &mut AsyncPgConnection, senders: &[Sender]) -> anyhow::Result<u64> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        count: i64,
    }
    let ids: Vec<String> = senders.iter().map(|s| s.token_id.clone()).collect();
    let counted: Count = diesel::sql_query(
        "SELECT count(*) AS count FROM scrobble_events WHERE token_id::text = ANY($1)",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(ids)
    .get_result(conn)
    .await?;
    Ok(u64::try_from(counted.count).unwrap_or_default())
}

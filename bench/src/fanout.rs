//! Live updates at scale: WatchListEntries streams open on media-service
//! (1,000: ten devices, each with its own access token, of each of a
//! hundred users) while a writer changes the users' entries at a steady
//! rate. Each change's delay is measured from just before the
//! UpdateListEntry that makes it is sent until each of its user's streams
//! has it, so the write itself is counted. The streams are opened at the
//! start of a round and stay open through its other cases: their targets
//! are met with the streams open.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use completionist_proto::{
    auth::{self as auth_pb, auth_service_client::AuthServiceClient},
    media::{self as pb, media_service_client::MediaServiceClient},
};
use hdrhistogram::Histogram;
use test_support::authed;
use tokio::task::JoinHandle;

use crate::{
    cases::Ctx,
    client::{CONNECTIONS, mask},
    load::Measured,
    report::Case,
};

/// Streams (devices) per user.
const DEVICES: usize = 10;
/// Changes per second, over all users.
pub(crate) const RATE: u64 = 100;
/// The case's name in the report.
pub(crate) const NAME: &str = "WatchListEntries fan-out (change to delivery)";

/// A user whose list is watched.
struct Watched {
    /// The writer's token.
    token: String,
    entry_id: String,
}

/// Streams open for a round.
pub(crate) struct Fanout {
    users: Vec<Watched>,
    streams: Vec<JoinHandle<()>>,
    /// When the fan-out started: notes carry microseconds since.
    epoch: Instant,
    delays: Arc<Mutex<Histogram<u64>>>,
    delivered: Arc<AtomicU64>,
    /// How streams ended early, by status code.
    ended: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl Fanout {
    /// Opens `streams` streams, every one started before this returns.
    pub(crate) async fn open(ctx: &Ctx, streams: usize) -> anyhow::Result<Self> {
        eprintln!("opening {streams} WatchListEntries streams...");
        let mut fanout = Self {
            users: Vec::new(),
            streams: Vec::new(),
            epoch: Instant::now(),
            delays: Arc::new(Mutex::new(Histogram::new(3)?)),
            delivered: Arc::default(),
            ended: Arc::default(),
        };
        for n in 0..streams.div_ceil(DEVICES) {
            let (tokens, watched) = user(ctx, n).await?;
            for (device, token) in tokens.into_iter().enumerate() {
                let channel = ctx.media[(n * DEVICES + device) % CONNECTIONS].clone();
                fanout.streams.push(fanout.follow(channel, token).await?);
            }
            fanout.users.push(watched);
        }
        Ok(fanout)
    }

    /// Opens one stream and reads it on a task of its own.
    async fn follow(
        &self,
        channel: tonic::transport::Channel,
        token: String,
    ) -> anyhow::Result<JoinHandle<()>> {
        let mut stream = MediaServiceClient::new(channel)
            .watch_list_entries(authed(&token, pb::WatchListEntriesRequest::default()))
            .await?
            .into_inner();
        stream
            .message()
            .await?
            .ok_or_else(|| anyhow::anyhow!("a stream ended before it started"))?;
        let (epoch, delays, delivered, ended) = (
            self.epoch,
            self.delays.clone(),
            self.delivered.clone(),
            self.ended.clone(),
        );
        Ok(tokio::spawn(async move {
            loop {
                match stream.message().await {
                    Ok(Some(message)) => {
                        let Some(pb::watch_list_entries_response::Event::Change(change)) =
                            message.event
                        else {
                            continue;
                        };
                        let sent = change
                            .list_entry
                            .and_then(|e| e.notes.strip_prefix("sent:")?.parse::<u64>().ok());
                        if let Some(sent) = sent {
                            let now = u64::try_from(epoch.elapsed().as_micros()).unwrap_or(0);
                            let mut delays = delays.lock().unwrap_or_else(|e| e.into_inner());
                            let _ = delays.record(now.saturating_sub(sent).max(1));
                            delivered.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Ok(None) => break count(&ended, "ended without a status".into()),
                    Err(status) => break count(&ended, format!("{:?}", status.code())),
                }
            }
        }))
    }

    /// Changes the users' entries at [`RATE`] for `duration`; each
    /// change's delay to each stream of its user.
    pub(crate) async fn measure(&self, ctx: &Ctx, duration: Duration) -> Case {
        eprintln!(
            "measuring {} streams with {RATE} changes/s...",
            self.streams.len()
        );
        let media = ctx.stack.processes()[1];
        media.reset_peak_memory();
        self.delays
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .reset();
        self.delivered.store(0, Ordering::Relaxed);
        let errors: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
        let changes = u64::try_from(duration.as_millis()).unwrap_or(0) * RATE / 1000;
        let started = Instant::now();
        let mut writes = Vec::new();
        for i in 0..changes {
            tokio::time::sleep_until(
                (started + Duration::from_micros(i * 1_000_000 / RATE)).into(),
            )
            .await;
            writes.push(tokio::spawn(self.change(ctx, i, errors.clone())));
        }
        for write in writes {
            let _ = write.await;
        }
        // Let the last changes arrive.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let delivered = self.delivered.load(Ordering::Relaxed);
        let mut errors = errors.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let expected = changes * DEVICES as u64;
        if delivered < expected {
            errors.insert("undelivered".into(), expected - delivered);
        }
        for (code, n) in self.ended.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            errors.insert(format!("stream ended: {code}"), *n);
        }
        let delays = self.delays.lock().unwrap_or_else(|e| e.into_inner());
        let ms = |q: f64| delays.value_at_quantile(q) as f64 / 1000.0;
        Case {
            name: NAME,
            measured: Measured {
                rps: delivered as f64 / duration.as_secs_f64(),
                latency_rps: RATE as f64,
                p50_ms: ms(0.5),
                p90_ms: ms(0.9),
                p99_ms: ms(0.99),
                max_ms: delays.max() as f64 / 1000.0,
                calls: delivered,
                errors,
            },
            peak_memory_mib: [(media.name.to_owned(), media.peak_memory_mib())].into(),
            rounds: Vec::new(),
        }
    }

    /// Change `i`: one user's entry, its notes the time it was sent.
    fn change(
        &self,
        ctx: &Ctx,
        i: u64,
        errors: Arc<Mutex<BTreeMap<String, u64>>>,
    ) -> impl Future<Output = ()> + Send + 'static {
        let user = &self.users[usize::try_from(i).unwrap_or(0) % self.users.len()];
        let channel = ctx.media[usize::try_from(i).unwrap_or(0) % CONNECTIONS].clone();
        let sent = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(0);
        let request = authed(
            &user.token,
            pb::UpdateListEntryRequest {
                list_entry: Some(pb::ListEntry {
                    id: user.entry_id.clone(),
                    notes: format!("sent:{sent}"),
                    ..Default::default()
                }),
                update_mask: Some(mask(&["notes"])),
                progress_increment: 0,
            },
        );
        async move {
            if let Err(status) = MediaServiceClient::new(channel)
                .update_list_entry(request)
                .await
            {
                count(&errors, format!("{:?}", status.code()));
            }
        }
    }
}

impl Drop for Fanout {
    fn drop(&mut self) {
        for stream in &self.streams {
            stream.abort();
        }
    }
}

fn count(counts: &Mutex<BTreeMap<String, u64>>, key: String) {
    *counts
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_default() += 1;
}

/// A new user with an entry to change, and an access token per device
/// (a login, then refreshes: no password hashing per device).
async fn user(ctx: &Ctx, n: usize) -> anyhow::Result<(Vec<String>, Watched)> {
    let mut auth = AuthServiceClient::new(ctx.auth[n % ctx.auth.len()].clone());
    let email = format!("fanout-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "bench password long enough";
    auth.register(auth_pb::RegisterRequest {
        email: email.clone(),
        password: password.into(),
        display_name: "Fan-out".into(),
    })
    .await?;
    let mut pair = auth
        .login(auth_pb::LoginRequest {
            email,
            password: password.into(),
        })
        .await?
        .into_inner()
        .tokens
        .ok_or_else(|| anyhow::anyhow!("no tokens"))?;
    let mut tokens = vec![pair.access_token.clone()];
    while tokens.len() < DEVICES {
        pair = auth
            .refresh(auth_pb::RefreshRequest {
                refresh_token: pair.refresh_token.clone(),
            })
            .await?
            .into_inner()
            .tokens
            .ok_or_else(|| anyhow::anyhow!("no tokens"))?;
        tokens.push(pair.access_token.clone());
    }
    let token = tokens[0].clone();
    let entry_id = entry(ctx, n, &token).await?;
    Ok((tokens, Watched { token, entry_id }))
}

/// A new entry on the list of `token`'s user: its id.
async fn entry(ctx: &Ctx, n: usize, token: &str) -> anyhow::Result<String> {
    let mut media = MediaServiceClient::new(ctx.media[n % CONNECTIONS].clone());
    let item = media
        .create_custom_media_item(authed(
            token,
            pb::CreateCustomMediaItemRequest {
                kind: pb::MediaKind::Series as i32,
                title: format!("Watched show {n}"),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .media_item
        .ok_or_else(|| anyhow::anyhow!("no item"))?;
    let entry = media
        .add_list_entry(authed(
            token,
            pb::AddListEntryRequest {
                media: Some(pb::add_list_entry_request::Media::MediaItemId(item.id)),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .list_entry
        .ok_or_else(|| anyhow::anyhow!("no entry"))?;
    Ok(entry.id)
}

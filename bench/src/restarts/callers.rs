//! The callers of the restarts case: unary calls at a steady rate, streams
//! that resume, and an import.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use completionist_common::channel::Internal;
use completionist_proto::media::{self as pb, media_service_client::MediaServiceClient};
use diesel::{QueryableByName, sql_types::BigInt};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use hdrhistogram::Histogram;
use test_support::authed;
use tokio::task::JoinHandle;

use super::{IMPORT_ROWS, RATE, STREAMS};
use crate::{cases::Ctx, client::mask};

/// Each user's entry changes that were answered OK: the notes' numbers.
pub(super) type Made = HashMap<String, HashSet<u64>>;

/// Unary calls at [`RATE`] through the gateways: a read, then a change of
/// a watched user's entry (its notes `rr:<n>`), in turn.
pub(super) struct Load {
    /// 0 before the restarts, 1 during, 2 after.
    pub(super) phase: Arc<AtomicUsize>,
    task: JoinHandle<Vec<JoinHandle<()>>>,
    stop: Arc<AtomicUsize>,
    outcome: Arc<Mutex<Outcome>>,
}

struct Outcome {
    calls: u64,
    failed: BTreeMap<String, u64>,
    made: Made,
    /// Latency before and during the restarts, in µs.
    latency: [Histogram<u64>; 2],
}

impl Load {
    pub(super) fn start(gateway: &Internal, ctx: &Ctx, watched: Vec<(String, String)>) -> Self {
        let phase = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicUsize::new(0));
        let outcome = Arc::new(Mutex::new(Outcome {
            calls: 0,
            failed: BTreeMap::new(),
            made: HashMap::new(),
            latency: [new_histogram(), new_histogram()],
        }));
        let users = ctx.users.clone();
        let (gateway, phase_in, stop_in, outcome_in) = (
            gateway.clone(),
            phase.clone(),
            stop.clone(),
            outcome.clone(),
        );
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let mut calls = Vec::new();
            for i in 0u64.. {
                if stop_in.load(Ordering::Relaxed) != 0 {
                    break;
                }
                tokio::time::sleep_until(
                    (started + Duration::from_micros(i * 1_000_000 / RATE)).into(),
                )
                .await;
                let client = MediaServiceClient::new(gateway.clone());
                let phase = phase_in.load(Ordering::Relaxed);
                let outcome = outcome_in.clone();
                let call = if i % 2 == 0 {
                    let (token, id) = users.entry(i / 2);
                    Call::Read { token, id }
                } else {
                    let (token, id) =
                        watched[usize::try_from(i / 2).unwrap_or(0) % watched.len()].clone();
                    Call::Change { token, id, n: i }
                };
                calls.push(tokio::spawn(call.make(client, phase, outcome)));
            }
            calls
        });
        Self {
            phase,
            task,
            stop,
            outcome,
        }
    }

    /// Stops the calls: how many, which failed, the changes made, and the
    /// latency before and during the restarts.
    pub(super) async fn finish(self) -> (u64, BTreeMap<String, u64>, Made, [Histogram<u64>; 2]) {
        self.stop.store(1, Ordering::Relaxed);
        for call in self.task.await.unwrap_or_default() {
            let _ = call.await;
        }
        let mut outcome = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        let latency = std::mem::replace(&mut outcome.latency, [new_histogram(), new_histogram()]);
        (
            outcome.calls,
            std::mem::take(&mut outcome.failed),
            std::mem::take(&mut outcome.made),
            latency,
        )
    }
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant figures are allowed"))
}

enum Call {
    Read { token: String, id: String },
    Change { token: String, id: String, n: u64 },
}

impl Call {
    async fn make(
        self,
        mut client: MediaServiceClient<Internal>,
        phase: usize,
        outcome: Arc<Mutex<Outcome>>,
    ) {
        let started = Instant::now();
        let (answer, made) = match self {
            Self::Read { token, id } => {
                let answer = client
                    .get_list_entry(authed(&token, pb::GetListEntryRequest { id }))
                    .await
                    .map(drop);
                (answer, None)
            }
            Self::Change { token, id, n } => {
                let request = pb::UpdateListEntryRequest {
                    list_entry: Some(pb::ListEntry {
                        id: id.clone(),
                        notes: format!("rr:{n}"),
                        ..Default::default()
                    }),
                    update_mask: Some(mask(&["notes"])),
                    progress_increment: 0,
                };
                let answer = client
                    .update_list_entry(authed(&token, request))
                    .await
                    .map(drop);
                (answer, Some((id, n)))
            }
        };
        let micros = u64::try_from(started.elapsed().as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let mut outcome = outcome.lock().unwrap_or_else(|e| e.into_inner());
        outcome.calls += 1;
        match answer {
            Ok(()) => {
                if let Some(latency) = outcome.latency.get_mut(phase) {
                    let _ = latency.record(micros);
                }
                if let Some((id, n)) = made {
                    outcome.made.entry(id).or_default().insert(n);
                }
            }
            Err(status) => {
                *outcome
                    .failed
                    .entry(format!("{:?}", status.code()))
                    .or_default() += 1
            }
        }
    }
}

/// WatchListEntries streams through the gateways, two per watched user,
/// each resuming after its last message when cut off.
pub(super) struct Streams {
    followers: Vec<Follower>,
    resumed: Arc<AtomicU64>,
}

impl Streams {
    /// Opens them all, each started before this returns.
    pub(super) async fn open(
        gateway: &Internal,
        watched: &[(String, String)],
    ) -> anyhow::Result<Self> {
        eprintln!("rolling restarts: opening {STREAMS} streams...");
        let resumed = Arc::new(AtomicU64::new(0));
        let mut followers = Vec::new();
        for (token, id) in watched.iter().flat_map(|w| [w, w]) {
            let seen = Arc::new(Mutex::new(HashSet::new()));
            let (started_tx, started_rx) = tokio::sync::oneshot::channel();
            let task = tokio::spawn(follow(
                MediaServiceClient::new(gateway.clone()),
                token.clone(),
                seen.clone(),
                resumed.clone(),
                started_tx,
            ));
            started_rx.await?;
            followers.push((id.clone(), seen, task));
        }
        Ok(Self { followers, resumed })
    }

    /// Closes them: how often they resumed, and the changes they missed
    /// of those `made`.
    pub(super) fn finish(self, made: &Made) -> (u64, u64) {
        let mut missed = 0;
        for (id, seen, task) in self.followers {
            task.abort();
            let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            missed += made
                .get(&id)
                .map_or(0, |made| made.difference(&seen).count()) as u64;
        }
        (self.resumed.load(Ordering::Relaxed), missed)
    }
}

/// A stream's entry, the changes it got, and its task.
type Follower = (String, Arc<Mutex<HashSet<u64>>>, JoinHandle<()>);

/// Follows one stream for ever, resuming from the last token it had.
async fn follow(
    mut client: MediaServiceClient<Internal>,
    token: String,
    seen: Arc<Mutex<HashSet<u64>>>,
    resumed: Arc<AtomicU64>,
    started: tokio::sync::oneshot::Sender<()>,
) {
    let mut started = Some(started);
    let mut resume_token = String::new();
    loop {
        let request = pb::WatchListEntriesRequest {
            resume_token: resume_token.clone(),
        };
        if let Ok(response) = client.watch_list_entries(authed(&token, request)).await {
            let mut stream = response.into_inner();
            while let Ok(Some(message)) = stream.message().await {
                if !message.resume_token.is_empty() {
                    resume_token = message.resume_token;
                }
                if let Some(started) = started.take() {
                    let _ = started.send(());
                }
                if let Some(pb::watch_list_entries_response::Event::Change(change)) = message.event
                    && let Some(n) = change
                        .list_entry
                        .and_then(|e| e.notes.strip_prefix("rr:")?.parse::<u64>().ok())
                {
                    seen.lock().unwrap_or_else(|e| e.into_inner()).insert(n);
                }
            }
        }
        resumed.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An import started through the gateways.
pub(super) struct Import {
    token: String,
    id: String,
}

impl Import {
    pub(super) async fn start(ctx: &Ctx, gateway: &Internal) -> anyhow::Result<Self> {
        let token = crate::bulk::fresh_user(ctx).await?;
        let media = MediaServiceClient::new(gateway.clone()).max_encoding_message_size(64 << 20);
        let job =
            crate::bulk::start_mal_import(media, &token, crate::bulk::mal_export(IMPORT_ROWS))
                .await?;
        Ok(Self { token, id: job.id })
    }

    /// Waits for it to finish (straight to a media-service of the bench's
    /// stack): the rows lost, and the rows applied twice.
    pub(super) async fn finish(self, ctx: &Ctx) -> anyhow::Result<(i64, i64)> {
        let mut media = MediaServiceClient::new(ctx.media[0].clone());
        let deadline = Instant::now() + Duration::from_secs(300);
        let job = loop {
            let job = media
                .get_import(authed(
                    &self.token,
                    pb::GetImportRequest {
                        id: self.id.clone(),
                    },
                ))
                .await?
                .into_inner()
                .import_job
                .unwrap_or_default();
            if job.finish_time.is_some() {
                break job;
            }
            anyhow::ensure!(Instant::now() < deadline, "the import did not finish");
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        // Here only: its `load` would shadow the atomics' above.
        use diesel_async::RunQueryDsl;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let mut conn = AsyncPgConnection::establish(&ctx.stack.media_db).await?;
        let entries: Count = diesel::sql_query(
            "SELECT count(*) AS n FROM list_entries e JOIN import_jobs j ON j.user_id = e.user_id \
             WHERE j.id = $1::uuid",
        )
        .bind::<diesel::sql_types::Text, _>(&self.id)
        .get_result(&mut conn)
        .await?;
        let rows = i64::try_from(IMPORT_ROWS)?;
        let outcomes = i64::from(
            job.created_count
                + job.updated_count
                + job.unchanged_count
                + job.skipped_count
                + job.failed_count,
        );
        Ok((
            (rows - entries.n).max(0),
            (outcomes - rows).max(0) + (entries.n - rows).max(0),
        ))
    }
}

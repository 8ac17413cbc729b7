//! The import worker: takes unfinished jobs (its own replica's at once,
//! any replica's whose lease ran out), and applies each job's rows in row
//! order, a batch per transaction that also records the rows' outcomes, so
//! a restart resumes after the last committed batch with no row applied
//! twice. Rows that name no provider id are first found by search, at the
//! provider's pace; what cannot be found fails its row, not the job.

use std::sync::Arc;

use completionist_common::db as common_db;
use tokio::{sync::watch, task::JoinSet};
use uuid::Uuid;

use super::{
    JobState, Policy, apply,
    formats::{KnownItem, Parsed, Search, Target},
};
use crate::{
    app::App,
    config::ImportsConfig,
    db,
    domain::{MediaKind, SearchQuery},
    error::Error,
};

/// Rows needing a search per batch: at about one search a second, a batch
/// stays well inside its lease.
const SEARCHES_PER_BATCH: usize = 8;

/// The worker of one replica; stopping it lets go of its jobs, so another
/// replica (or this one, restarted) takes them over at once. Dropped
/// without stopping (the server's future cut short, as in a crash), it is
/// aborted, and its jobs wait for their leases to run out.
pub(crate) struct Worker {
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Worker {
    pub(crate) fn start(app: App) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(app, stopped));
        Self {
            stop,
            task: Some(task),
        }
    }

    /// Finishes the batches under way, then lets go of their jobs.
    pub(crate) async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "the import worker failed");
        }
    }
}

async fn run(app: App, mut stopped: watch::Receiver<bool>) {
    let config = app.imports.config.clone();
    let mut jobs: JoinSet<Uuid> = JoinSet::new();
    let mut held: Vec<Uuid> = Vec::new();
    loop {
        while held.len() < config.workers && !*stopped.borrow() {
            match claim(&app, &config, &held).await {
                Ok(Some((id, user, policy))) => {
                    held.push(id);
                    let (app, stopped) = (app.clone(), stopped.clone());
                    jobs.spawn(async move {
                        if let Err(e) = run_job(&app, id, user, policy, stopped).await {
                            tracing::warn!(job = %id, error = %e, "an import batch failed; it will be retried");
                        }
                        id
                    });
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "could not look for import jobs");
                    break;
                }
            }
        }
        tokio::select! {
            () = app.imports.wake.notified() => {}
            () = tokio::time::sleep(config.poll_interval) => {}
            Some(done) = jobs.join_next() => {
                if let Ok(id) = done {
                    held.retain(|h| *h != id);
                }
            }
            _ = stopped.changed() => {
                while let Some(done) = jobs.join_next().await {
                    if let Ok(id) = done {
                        held.retain(|h| *h != id);
                    }
                }
                return;
            }
        }
    }
}

async fn claim(
    app: &App,
    config: &ImportsConfig,
    held: &[Uuid],
) -> Result<Option<(Uuid, Uuid, Policy)>, Error> {
    let mut conn = common_db::conn(&app.pool).await?;
    Ok(db::imports::claim(&mut conn, config.lease, held).await?)
}

/// Applies job `id` batch by batch until it is done, cancelled, or the
/// worker stops (then the lease is let go).
async fn run_job(
    app: &App,
    id: Uuid,
    user: Uuid,
    policy: Policy,
    stopped: watch::Receiver<bool>,
) -> Result<(), Error> {
    let config = &app.imports.config;
    loop {
        if *stopped.borrow() {
            let mut conn = common_db::conn(&app.pool).await?;
            db::imports::release(&mut conn, id).await?;
            return Ok(());
        }
        let pending = {
            let mut conn = common_db::conn(&app.pool).await?;
            db::imports::pending(&mut conn, id, config.batch_rows as i64).await?
        };
        let mut batch = Vec::with_capacity(pending.len());
        let mut searches = 0;
        for row in pending {
            let parsed = match row.parsed {
                Parsed::Record(mut record) => {
                    if let Target::Search(search) = &record.target {
                        if searches == SEARCHES_PER_BATCH {
                            break;
                        }
                        searches += 1;
                        match resolve(app, search).await {
                            Ok(item) => {
                                record.target = Target::Known(item);
                                Parsed::Record(record)
                            }
                            Err(why) => Parsed::Failed(why),
                        }
                    } else {
                        Parsed::Record(record)
                    }
                }
                other => other,
            };
            batch.push((row.row, parsed));
        }
        let lease = config.lease;
        let finished = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
            Box::pin(async move {
                let job = db::imports::lock(conn, id).await?;
                if job.state.is_finished() {
                    return Ok(true);
                }
                if batch.is_empty() {
                    db::imports::set_state(conn, id, JobState::Done).await?;
                    return Ok(true);
                }
                let outcomes = apply::apply(conn, user, policy, batch).await?;
                db::imports::record(conn, id, &outcomes).await?;
                db::imports::renew(conn, id, lease).await?;
                Ok(false)
            })
        })
        .await?;
        if finished {
            return Ok(());
        }
    }
}

/// The provider item a row without an id stands for: by ISBN first, then
/// by title (and author); the candidate of the same year wins.
async fn resolve(app: &App, search: &Search) -> Result<KnownItem, String> {
    let mut queries = Vec::new();
    queries.extend(search.isbn.clone());
    queries.push(match &search.author {
        Some(author) => format!("{} {author}", search.title),
        None => search.title.clone(),
    });
    for (n, query) in queries.iter().enumerate() {
        let Ok(query) = SearchQuery::parse(query) else {
            continue;
        };
        let page = app
            .providers
            .search(search.kind, query.as_str(), 1)
            .await
            .map_err(|e| format!("{} could not be asked: {e}", search.kind.provider()))?;
        let by_isbn = n == 0 && search.isbn.is_some();
        let same_title = |title: &str| title.eq_ignore_ascii_case(search.title.trim());
        let same_year = |year: Option<i32>| search.year.is_none() || year == search.year;
        let best = page
            .items
            .iter()
            .find(|c| same_title(&c.title) && same_year(c.year))
            .or_else(|| {
                page.items
                    .iter()
                    .find(|c| same_year(c.year) && search.year.is_some())
            })
            .or_else(|| {
                page.items
                    .first()
                    .filter(|_| by_isbn || search.kind == MediaKind::Book)
            });
        if let Some(candidate) = best {
            return Ok(KnownItem {
                source: candidate.reference.source,
                kind: candidate.reference.kind,
                external_id: candidate.reference.external_id.clone(),
                title: candidate.title.clone(),
                year: candidate.year,
                image_url: candidate.image_url.clone(),
                summary: candidate.summary.clone(),
                total_units: candidate.total_units,
            });
        }
    }
    Err(match search.year {
        Some(year) => format!(
            "no {} called {:?} from {year} was found",
            search.kind, search.title
        ),
        None => format!("no {} called {:?} was found", search.kind, search.title),
    })
}

/// What StartImport needs of the worker: its settings, and a way to wake
/// it when there is a new job.
pub(crate) struct Imports {
    pub(crate) config: ImportsConfig,
    pub(crate) wake: tokio::sync::Notify,
    /// One permit per open WatchImport stream.
    pub(crate) watches: Arc<tokio::sync::Semaphore>,
}

impl Imports {
    pub(crate) fn new(config: ImportsConfig) -> Arc<Self> {
        Arc::new(Self {
            watches: Arc::new(tokio::sync::Semaphore::new(config.max_watches)),
            config,
            wake: tokio::sync::Notify::new(),
        })
    }
}

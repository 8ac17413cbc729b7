//! The import worker: takes unfinished jobs (its own replica's at once,
//! any replica's whose lease ran out), and applies each job's rows in row
//! order, a batch per transaction that also records the rows' outcomes, so
//! a restart resumes after the last committed batch with no row applied
//! twice. Only the lease's holder applies a batch (checked in its
//! transaction), and the lease is renewed while rows are searched for.
//! Rows that name no provider id are first found by search, at the
//! provider's pace; what cannot be found fails its row, not the job; a
//! provider that cannot be asked fails the attempt, retried with backoff
//! until the job has failed too often in a row and ends FAILED.

use std::collections::HashMap;

use completionist_common::{db as common_db, metrics::name, request_id};
use tokio::task::JoinSet;
use tokio_util::{sync::CancellationToken, task::AbortOnDropHandle};
use uuid::Uuid;

use super::{JobState, apply, lookup};
use crate::{
    app::App,
    config::ImportsConfig,
    db::{
        self,
        import_leases::{Claim, Retry},
    },
    error::Error,
};

/// The worker of one replica; stopping (the service shutting down) lets go
/// of its jobs, so another replica (or this one, restarted) takes them over
/// at once. Dropped without stopping (the server's future cut short, as in
/// a crash), it is aborted, and its jobs wait for their leases to run out.
pub(crate) struct Worker {
    task: AbortOnDropHandle<()>,
}

impl Worker {
    /// Starts working; stops when the service shuts down (`App::shutdown`).
    pub(crate) fn start(app: App) -> Self {
        Self {
            task: AbortOnDropHandle::new(tokio::spawn(run(app))),
        }
    }

    /// Once the service is shutting down: waits for the batches under way
    /// to finish and their jobs to be let go.
    pub(crate) async fn finished(self) {
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the import worker failed");
        }
    }
}

async fn run(app: App) {
    let stopped = app.shutdown.clone();
    let config = app.imports.config.clone();
    let retry = Retry {
        max_attempts: config.max_attempts,
        backoff: config.retry_backoff,
        max_backoff: config.max_retry_backoff,
    };
    let mut running = Running::default();
    loop {
        while running.len() < config.workers && !stopped.is_cancelled() {
            match claim(&app, &config, &running.jobs()).await {
                Ok(Some(claim)) => {
                    let (app, stopped) = (app.clone(), stopped.clone());
                    running.spawn(claim, async move { run_job(&app, claim, stopped).await });
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
            Some((claim, ended)) = running.next_ended() => {
                attempt_ended(&app, claim, ended, retry).await;
            }
            () = stopped.cancelled() => {
                while let Some((claim, ended)) = running.next_ended().await {
                    attempt_ended(&app, claim, ended, retry).await;
                }
                return;
            }
        }
    }
}

/// Records a failed attempt at a job: it is retried after a backoff, or
/// ends FAILED with the reason once it has failed too often in a row.
async fn attempt_ended(app: &App, claim: Claim, ended: Result<(), String>, retry: Retry) {
    let Err(why) = ended else { return };
    tracing::warn!(job = %claim.job, error = %why, "an attempt at an import failed");
    metrics::counter!(name::IMPORT_ATTEMPTS_FAILED).increment(1);
    let recorded = async {
        let mut conn = common_db::conn(&app.pool).await?;
        db::import_leases::attempt_failed(&mut conn, claim, &why, retry).await?;
        Ok::<_, Error>(())
    };
    if let Err(e) = recorded.await {
        // The lease runs out all the same, and the job is retried then.
        tracing::warn!(job = %claim.job, error = %e, "could not record a failed import attempt");
    }
}

/// The jobs this replica is applying, a task each, known by task id so
/// that one that panicked is known too and frees its place.
#[derive(Default)]
struct Running {
    tasks: JoinSet<Result<(), String>>,
    claims: HashMap<tokio::task::Id, Claim>,
}

impl Running {
    fn len(&self) -> usize {
        self.claims.len()
    }

    fn jobs(&self) -> Vec<Uuid> {
        self.claims.values().map(|claim| claim.job).collect()
    }

    fn spawn<F>(&mut self, claim: Claim, job: F)
    where
        F: Future<Output = Result<(), Error>> + Send + 'static,
    {
        let task = self.tasks.spawn(request_id::carry(async move {
            let ended = job.await;
            // An import's rows and batches are freed by now.
            completionist_common::memory::hand_back_freed();
            // What the person sees of a failure: the status's own message,
            // never an internal cause.
            ended.map_err(|e| tonic::Status::from(e).message().to_owned())
        }));
        self.claims.insert(task.id(), claim);
    }

    /// The next job to end, and whether its attempt failed (why); `None`
    /// when none is running.
    async fn next_ended(&mut self) -> Option<(Claim, Result<(), String>)> {
        loop {
            let (task, ended) = match self.tasks.join_next_with_id().await? {
                Ok((task, ended)) => (task, ended),
                Err(e) => {
                    if e.is_panic() {
                        tracing::error!(error = %e, "an import job panicked");
                    }
                    (e.id(), Err(INTERNAL_FAULT.to_owned()))
                }
            };
            if let Some(claim) = self.claims.remove(&task) {
                return Some((claim, ended));
            }
        }
    }
}

/// The failure shown for a job whose attempt panicked.
const INTERNAL_FAULT: &str = "an internal error stopped this attempt";

async fn claim(app: &App, config: &ImportsConfig, held: &[Uuid]) -> Result<Option<Claim>, Error> {
    let mut conn = common_db::conn(&app.pool).await?;
    Ok(db::import_leases::claim(&mut conn, config.lease, held).await?)
}

/// Applies the claimed job batch by batch, renewing its lease meanwhile,
/// until it is done, cancelled, taken by another worker, or the worker
/// stops (then the lease is let go). `Err` when an attempt failed and the
/// job is to be retried later.
async fn run_job(app: &App, claim: Claim, stopped: CancellationToken) -> Result<(), Error> {
    tokio::select! {
        applied = apply_batches(app, claim, stopped) => applied,
        () = keep_lease(app, claim) => {
            tracing::info!(job = %claim.job, "an import's lease was lost; its new holder goes on");
            Ok(())
        }
    }
}

/// Renews the claim's lease every third of it; returns when the lease is
/// lost. Searches at the provider's pace can outlast a lease, and no
/// other worker may take the job meanwhile.
async fn keep_lease(app: &App, claim: Claim) {
    let lease = app.imports.config.lease;
    loop {
        tokio::time::sleep(lease / 3).await;
        let renewed = async {
            let mut conn = common_db::conn(&app.pool).await?;
            Ok::<_, Error>(db::import_leases::renew(&mut conn, claim, lease).await?)
        };
        match renewed.await {
            Ok(true) => {}
            Ok(false) => return,
            // Applying checks the holder all the same.
            Err(e) => {
                tracing::warn!(job = %claim.job, error = %e, "could not renew an import's lease")
            }
        }
    }
}

/// What a batch's transaction did.
enum Applied {
    /// Nothing applied: a provider is away; there are more rows.
    Waiting,
    /// These rows were applied, with these outcomes; there may be more.
    Rows(Vec<crate::transfers::Outcome>),
    /// Every row has an outcome; the job is done.
    Done,
    /// Another worker holds the job now, or it ended (cancelled): nothing
    /// was applied.
    NotHeld,
}

async fn apply_batches(app: &App, claim: Claim, stopped: CancellationToken) -> Result<(), Error> {
    let config = &app.imports.config;
    loop {
        if stopped.is_cancelled() {
            let mut conn = common_db::conn(&app.pool).await?;
            db::import_leases::release(&mut conn, claim).await?;
            return Ok(());
        }
        let pending = {
            let mut conn = common_db::conn(&app.pool).await?;
            db::imports::pending(&mut conn, claim.job, config.batch_rows as i64).await?
        };
        let (batch, unavailable) = lookup::resolve_batch(app, pending).await;
        let waiting = unavailable.is_some();
        let applied = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
            Box::pin(async move {
                // Decided here, under the job's lock: a worker whose lease
                // ran out while it searched applies nothing.
                if !db::import_leases::is_held(conn, claim).await? {
                    return Ok(Applied::NotHeld);
                }
                if batch.is_empty() {
                    if waiting {
                        return Ok(Applied::Waiting);
                    }
                    db::imports::set_state(conn, claim.job, JobState::Done).await?;
                    return Ok(Applied::Done);
                }
                let outcomes = apply::apply(conn, claim.user, claim.policy, batch).await?;
                db::imports::record(conn, claim.job, &outcomes).await?;
                Ok(Applied::Rows(outcomes.iter().map(|r| r.outcome).collect()))
            })
        })
        .await?;
        match applied {
            Applied::Waiting => {}
            Applied::Rows(outcomes) => {
                for outcome in outcomes {
                    metrics::counter!(name::IMPORT_ROWS, "outcome" => outcome.as_str())
                        .increment(1);
                }
            }
            Applied::Done => {
                metrics::counter!(name::IMPORT_JOBS_DONE).increment(1);
                return Ok(());
            }
            Applied::NotHeld => return Ok(()),
        }
        if let Some(e) = unavailable {
            return Err(e.into());
        }
    }
}

#[cfg(test)]
mod tests;

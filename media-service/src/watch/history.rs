//! Forgetting old history: changes older than `WATCH_RETENTION_SECONDS`
//! are deleted, and a resume token from before them answers
//! RESUME_TOKEN_EXPIRED.

use completionist_common::db as common_db;

use crate::{app::App, db, error::Error};

/// Changes deleted per statement.
const BATCH: i64 = 10_000;

/// Prunes every `prune_interval` until the service shuts down.
pub(crate) async fn prune_history(app: App) {
    let config = &app.watch.config;
    loop {
        if let Err(e) = prune_due(&app).await {
            tracing::warn!(error = %e, "could not prune the list change history");
        }
        tokio::select! {
            () = tokio::time::sleep(config.prune_interval) => {}
            () = app.watch.stopped() => return,
        }
    }
}

/// Deletes every change past retention, a batch at a time.
async fn prune_due(app: &App) -> Result<(), Error> {
    let retention =
        chrono::TimeDelta::from_std(app.watch.config.retention).unwrap_or(chrono::TimeDelta::MAX);
    let before = chrono::Utc::now()
        .checked_sub_signed(retention)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    loop {
        let mut conn = common_db::conn(&app.pool).await?;
        let pruned = db::changes::prune(&mut conn, before, BATCH).await?;
        if pruned > 0 {
            tracing::debug!(pruned, "pruned list change history");
        }
        if pruned < BATCH {
            return Ok(());
        }
    }
}

//! Forgetting old history: list changes older than
//! `WATCH_RETENTION_SECONDS` are deleted (a resume token from before them
//! answers RESUME_TOKEN_EXPIRED), and so are the rows of imports finished
//! more than `IMPORT_ROW_RETENTION_DAYS` ago (the job and its counts stay),
//! and scrobble events older than `SCROBBLE_EVENT_RETENTION_DAYS`.
//! Any replica may prune at any time: deleting what is past retention
//! twice deletes it once.

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
        if let Err(e) = prune_import_rows(&app).await {
            tracing::warn!(error = %e, "could not prune finished imports' rows");
        }
        if let Err(e) = prune_scrobble_events(&app).await {
            tracing::warn!(error = %e, "could not prune scrobble events");
        }
        tokio::select! {
            () = tokio::time::sleep(config.prune_interval) => {}
            () = app.watch.stopped() => return,
        }
    }
}

/// Deletes every change past retention, a batch at a time.
async fn prune_due(app: &App) -> Result<(), Error> {
    let before = cut_off(app.watch.config.retention);
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

/// Deletes the rows of every import finished past retention, a batch at a
/// time.
async fn prune_import_rows(app: &App) -> Result<(), Error> {
    let before = cut_off(app.imports.config.row_retention);
    loop {
        let mut conn = common_db::conn(&app.pool).await?;
        let pruned = db::imports::prune_rows(&mut conn, before, BATCH).await?;
        if pruned > 0 {
            tracing::debug!(pruned, "pruned finished imports' rows");
        }
        if (pruned as i64) < BATCH {
            return Ok(());
        }
    }
}

/// Deletes every scrobble event past retention, a batch at a time.
async fn prune_scrobble_events(app: &App) -> Result<(), Error> {
    let before = cut_off(app.scrobbles.retention);
    loop {
        let mut conn = common_db::conn(&app.pool).await?;
        let pruned = db::scrobble_retention::prune(&mut conn, before, BATCH).await?;
        if pruned > 0 {
            tracing::debug!(pruned, "pruned scrobble events");
        }
        if (pruned as i64) < BATCH {
            return Ok(());
        }
    }
}

/// The time `retention` before now.
fn cut_off(retention: std::time::Duration) -> chrono::DateTime<chrono::Utc> {
    let retention = chrono::TimeDelta::from_std(retention).unwrap_or(chrono::TimeDelta::MAX);
    chrono::Utc::now()
        .checked_sub_signed(retention)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
}

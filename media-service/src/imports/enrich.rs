//! Fills in catalog items an import made from a file's own data (a title
//! and an id, say): in the background, at the providers' pace (their rate
//! limiters pace the calls), so the import never waits for them. An item
//! whose provider fails is tried again later.

use std::time::Duration;

use completionist_common::db as common_db;
use tokio::sync::watch;

use crate::{app::App, catalog::new_item, db, domain::Reference, error::Error};

/// How long a claimed item is left to one enricher (and how long a failed
/// one waits before the next try).
const HOLD: Duration = Duration::from_secs(300);
/// Items claimed at a time.
const BATCH: i64 = 10;

/// Runs until `stopped` turns true.
pub(crate) async fn run(app: App, mut stopped: watch::Receiver<bool>) {
    let idle = app.imports.config.poll_interval;
    loop {
        let filled = match fill_some(&app).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "could not fill in imported items");
                0
            }
        };
        if *stopped.borrow() {
            return;
        }
        if filled == 0 {
            tokio::select! {
                () = tokio::time::sleep(idle) => {}
                _ = stopped.changed() => return,
            }
        }
    }
}

/// Fills in up to a batch of due items; answers how many were claimed.
async fn fill_some(app: &App) -> Result<usize, Error> {
    let due = {
        let mut conn = common_db::conn(&app.pool).await?;
        db::items::claim_due_details(&mut conn, HOLD, BATCH).await?
    };
    for item in &due {
        let Some(reference) = item
            .external_id
            .as_deref()
            .and_then(|id| Reference::new(item.source, item.kind, id).ok())
        else {
            continue;
        };
        match app.providers.details(&reference).await {
            Ok(details) => {
                let mut conn = common_db::conn(&app.pool).await?;
                db::items::fill_details(&mut conn, item.id, &new_item(&details)).await?;
            }
            Err(e) => {
                tracing::info!(item = %item.id, error = %e, "details not filled in; trying later");
            }
        }
    }
    Ok(due.len())
}

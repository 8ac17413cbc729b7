//! Fills in catalog items an import made from a file's own data (a title
//! and an id, say): in the background, at the providers' pace (their rate
//! limiters pace the calls), so the import never waits for them. An item
//! whose provider fails is tried again later; one the provider says it
//! does not have is marked so and never asked about again.

use std::time::Duration;

use completionist_common::db as common_db;
use tokio_util::sync::CancellationToken;

use crate::{
    app::App, catalog::new_item, db, domain::Reference, error::Error, providers::ProviderError,
};

/// How long a claimed item is left to one enricher (and how long a failed
/// one waits before the next try).
const HOLD: Duration = Duration::from_secs(300);
/// Items claimed at a time.
const BATCH: i64 = 10;

/// Runs until the service shuts down.
pub(crate) async fn run(app: App) {
    let idle = app.imports.config.poll_interval;
    let stopped = app.shutdown.clone();
    loop {
        let filled = match fill_some(&app, &stopped).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "could not fill in imported items");
                0
            }
        };
        if stopped.is_cancelled() {
            return;
        }
        if filled == 0 {
            tokio::select! {
                () = tokio::time::sleep(idle) => {}
                () = stopped.cancelled() => return,
            }
        }
    }
}

/// Fills in up to a batch of due items; answers how many were claimed.
/// Stopping lets go of the items not yet filled in (the one whose
/// provider call is under way included) rather than wait on providers
/// that may take their time: shutdown stays quick.
async fn fill_some(app: &App, stopped: &CancellationToken) -> Result<usize, Error> {
    let due = {
        let mut conn = common_db::conn(&app.pool).await?;
        db::item_details::claim_due_details(&mut conn, HOLD, BATCH).await?
    };
    for (done, item) in due.iter().enumerate() {
        let Some(reference) = item
            .external_id
            .as_deref()
            .and_then(|id| Reference::new(item.source, item.kind, id).ok())
        else {
            continue;
        };
        let details = tokio::select! {
            biased;
            () = stopped.cancelled() => None,
            details = app.providers.details(&reference) => Some(details),
        };
        let Some(details) = details else {
            let left: Vec<_> = due[done..].iter().map(|item| item.id).collect();
            let mut conn = common_db::conn(&app.pool).await?;
            db::item_details::release_details(&mut conn, &left).await?;
            return Ok(due.len());
        };
        match details {
            Ok(details) => {
                let mut conn = common_db::conn(&app.pool).await?;
                db::item_details::fill_details(&mut conn, item.id, &new_item(&details)).await?;
            }
            Err(ProviderError::NotFound { .. }) => {
                let mut conn = common_db::conn(&app.pool).await?;
                db::item_details::mark_not_found(&mut conn, item.id).await?;
                tracing::info!(item = %item.id, "the provider has no such item; not asked again");
            }
            Err(e) => {
                tracing::info!(item = %item.id, error = %e, "details not filled in; trying later");
            }
        }
    }
    Ok(due.len())
}

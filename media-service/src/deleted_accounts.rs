//! Accounts deleted in auth-service: what media-service holds of them is
//! removed. The revocation feed says so at once (`UserDeleted`); after the
//! feed was down, or this service was, TokenService.ListDeletedUsers says
//! what was missed. Both wake the one loop here, which pages on from the
//! last deletion handled — kept in the database, so a restart or another
//! replica goes on from there, and two replicas removing the same account
//! remove it once.

use std::time::Duration;

use completionist_common::db as common_db;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{app::App, db};

/// How long a failed catch-up waits before trying again.
const RETRY: Duration = Duration::from_secs(5);

/// Wakes the removal loop: a deletion was heard of, or may have been missed.
#[derive(Default)]
pub(crate) struct DeletedAccounts {
    wake: Notify,
}

impl DeletedAccounts {
    /// Asks for a catch-up; several asks before it runs make one.
    pub(crate) fn catch_up(&self) {
        self.wake.notify_one();
    }
}

/// Removes deleted accounts' data whenever woken, until dropped.
pub(crate) async fn remove_deleted(app: App) {
    loop {
        app.deleted_accounts.wake.notified().await;
        while let Err(error) = catch_up(&app).await {
            tracing::warn!(
                error = %format_args!("{error:#}"),
                "could not remove deleted accounts' data; trying again"
            );
            tokio::time::sleep(RETRY).await;
        }
    }
}

/// Removes the data of every account deleted after the last one handled.
async fn catch_up(app: &App) -> anyhow::Result<()> {
    loop {
        let after = {
            let mut conn = common_db::conn(&app.pool).await?;
            db::accounts::handled_through(&mut conn).await?
        };
        let deleted = app.auth.deleted_users_after(after).await?;
        let Some(last) = deleted.iter().map(|d| d.sequence).max() else {
            return Ok(());
        };
        let users: Vec<Uuid> = deleted
            .iter()
            .filter_map(|d| Uuid::parse_str(&d.user_id).ok())
            .collect();
        let removed = users.len();
        common_db::transaction::<_, anyhow::Error, _>(&app.pool, move |conn| {
            Box::pin(async move {
                for user in users {
                    db::accounts::remove(conn, user).await?;
                }
                db::accounts::mark_handled(conn, last).await?;
                Ok(())
            })
        })
        .await?;
        tracing::info!(removed, through = last, "removed deleted accounts' data");
    }
}

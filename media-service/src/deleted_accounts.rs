//! Accounts deleted in auth-service: what media-service holds of them is
//! removed. The revocation feed says so at once (`UserDeleted`); after the
//! feed was down, or this service was, TokenService.ListDeletedUsers says
//! what was missed. Both wake the one loop here, which pages on from the
//! last deletion handled — kept in the database, so a restart or another
//! replica goes on from there, and two replicas removing the same account
//! remove it once.

use std::{sync::Mutex, time::Duration};

use completionist_common::db as common_db;
use completionist_proto::auth::DeletedUser;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{app::App, db};

/// How long a failed catch-up waits before trying again.
const RETRY: Duration = Duration::from_secs(5);

/// Wakes the removal loop: a deletion was heard of, or may have been missed.
#[derive(Default)]
pub(crate) struct DeletedAccounts {
    wake: Notify,
    /// Accounts the feed named, removed first (the catch-up would reach
    /// them too, in deletion order).
    named: Mutex<Vec<Uuid>>,
}

impl DeletedAccounts {
    /// Asks for a catch-up; several asks before it runs make one.
    pub(crate) fn catch_up(&self) {
        self.wake.notify_one();
    }

    /// Asks for `user`'s data to be removed, and a catch-up.
    pub(crate) fn deleted(&self, user: Uuid) {
        self.named
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(user);
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

/// Removes the data of the accounts the feed named, then of every account
/// deleted after the last one handled, one account at a time.
async fn catch_up(app: &App) -> anyhow::Result<()> {
    let named = std::mem::take(
        &mut *app
            .deleted_accounts
            .named
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    for user in named {
        remove(app, user, None).await?;
    }
    loop {
        let after = {
            let mut conn = common_db::conn(&app.pool).await?;
            db::accounts::handled_through(&mut conn).await?
        };
        let deleted = app.auth.deleted_users_after(after).await?;
        if deleted.is_empty() {
            return Ok(());
        }
        for DeletedUser {
            user_id, sequence, ..
        } in deleted
        {
            let user = Uuid::parse_str(&user_id).ok();
            if user.is_none() {
                tracing::warn!(user_id, sequence, "auth-service named no account; skipped");
            }
            remove(app, user, Some(sequence)).await?;
        }
    }
}

/// Removes `user`'s data and, if it came from the record of deletions,
/// notes that deletion `sequence` is handled — in one transaction, after
/// the one that refuses the user's writes from then on.
async fn remove(
    app: &App,
    user: impl Into<Option<Uuid>>,
    sequence: Option<i64>,
) -> anyhow::Result<()> {
    let user = user.into();
    if let Some(user) = user {
        common_db::transaction::<_, anyhow::Error, _>(&app.pool, move |conn| {
            Box::pin(async move { Ok(db::accounts::refuse_writes(conn, user).await?) })
        })
        .await?;
    }
    common_db::transaction::<_, anyhow::Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            if let Some(user) = user {
                db::accounts::remove(conn, user).await?;
            }
            if let Some(sequence) = sequence {
                db::accounts::mark_handled(conn, sequence).await?;
            }
            Ok(())
        })
    })
    .await?;
    if let Some(user) = user {
        tracing::info!(%user, "removed a deleted account's data");
    }
    Ok(())
}

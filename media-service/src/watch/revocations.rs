//! auth-service's revocations as they are recorded (WatchRevocations): each
//! pokes the token watches of the streams whose token it may name, which recheck
//! at once, so a revoked token's streams end within a call's time while no
//! stream asks about its token more than every `fed_recheck`. While the
//! feed is down, token watches fall back to asking every `recheck`. A deleted
//! account also has its data removed (`crate::deleted_accounts`).

use std::time::Duration;

use completionist_proto::auth::{revocation::Scope, watch_revocations_response::Event};
use tonic::Status;

use crate::app::App;

const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(5);

/// Follows the feed, reconnecting after each loss, until dropped.
pub(crate) async fn follow_revocations(app: App) {
    let mut retry = FIRST_RETRY;
    loop {
        let (started, ended) = follow(&app).await;
        let was_fed = app.watch.is_fed();
        app.watch.set_fed(false);
        if started {
            retry = FIRST_RETRY;
        }
        match ended {
            Err(status) if was_fed => tracing::warn!(
                code = ?status.code(),
                message = status.message(),
                "revocation feed lost; streams recheck their tokens until it is back"
            ),
            Err(status) => tracing::debug!(
                code = ?status.code(),
                message = status.message(),
                "revocation feed unavailable"
            ),
            Ok(()) => tracing::warn!("revocation feed ended; reconnecting"),
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(LAST_RETRY);
    }
}

/// One connection to the feed: whether it started, and how it ended.
async fn follow(app: &App) -> (bool, Result<(), Status>) {
    let mut started = false;
    let ended = async {
        let mut feed = app.auth.watch_revocations().await?;
        while let Some(message) = feed.message().await? {
            match message.event {
                Some(Event::Started(_)) => {
                    started = true;
                    app.watch.set_fed(true);
                    // Accounts deleted while the feed was down.
                    app.deleted_accounts.catch_up();
                }
                Some(Event::UserDeleted(deleted)) => {
                    match uuid::Uuid::parse_str(&deleted.user_id) {
                        Ok(user) => app.deleted_accounts.deleted(user),
                        Err(_) => app.deleted_accounts.catch_up(),
                    }
                    app.watch.revoked(Some(&Scope::UserId(deleted.user_id)));
                }
                Some(Event::Revocation(revocation)) => {
                    // One this replica cannot read concerns every stream.
                    app.watch.revoked(revocation.scope.as_ref());
                }
                None => {}
            }
        }
        Ok::<_, Status>(())
    }
    .await;
    (started, ended)
}

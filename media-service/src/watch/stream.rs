//! WatchListEntries: one task per stream, reading its user's history from
//! its own position, while a guard checks the stream's token.

use std::time::Duration;

use completionist_common::{authn, db as common_db, request_id};
use completionist_proto::media as pb;
use pb::watch_list_entries_response::Event;
use tokio::{sync::Notify, time::Instant};
use tonic::{Request, Status};
use uuid::Uuid;

use super::{
    Change,
    hub::Subscription,
    outbox::{Outbox, Outlet, Refused, outbox},
    token,
};
use crate::{
    app::{App, Caller},
    auth, db,
    error::Error,
};

/// Messages a stream may have queued for its client.
const QUEUE: usize = 64;
/// Changes read per query.
const READ: i64 = 256;
/// Token rechecks that may fail in a row (auth-service briefly away)
/// before the stream ends UNAVAILABLE.
const RECHECK_FAILURES: u32 = 2;

type Response = pb::WatchListEntriesResponse;

/// Opens a stream of the caller's list from now, or after a resume token.
pub(crate) async fn watch_list_entries(
    app: &App,
    request: Request<pb::WatchListEntriesRequest>,
) -> Result<Outbox<Response>, Error> {
    let caller = Caller::of(&request)?;
    let token = authn::bearer_token(&request.metadata().clone().into_headers())?.to_owned();
    let pb::WatchListEntriesRequest { resume_token } = request.into_inner();
    let resume = token::decode(&resume_token).map_err(|why| Error::invalid("resume_token", why))?;
    // Counted in before the history is read, so no change falls between;
    // and before the guard's first check, so no revocation does.
    let subscription = app.watch.open(caller)?;
    let poked = subscription.poked.clone();
    let head = {
        let mut conn = common_db::conn(&app.pool).await?;
        db::changes::head(&mut conn, caller.user_id).await?
    };
    let start = match resume {
        None => head.seq,
        Some(seq) if seq < head.pruned_through || seq > head.seq => {
            return Err(Error::ResumeTokenExpired);
        }
        Some(seq) => seq,
    };
    let (outlet, outbox) = outbox(QUEUE);
    let mut stream = Stream {
        app: app.clone(),
        user: caller.user_id,
        subscription,
        last: start,
        quiet_since: Instant::now(),
    };
    let app = app.clone();
    let task = request_id::carry(async move {
        let ended = tokio::select! {
            ended = stream.follow(&outlet) => ended,
            refused = guard(&app, &token, caller, &poked) => Err(refused),
            () = app.watch.stopped() => Err(Error::ShuttingDown),
        };
        if let Err(error) = ended {
            outlet.finish(Status::from(error));
        }
    });
    tokio::spawn(task);
    Ok(outbox)
}

struct Stream {
    app: App,
    user: Uuid,
    subscription: Subscription,
    /// The number of the last change sent (or where the stream started).
    last: i64,
    /// When the last message went out.
    quiet_since: Instant,
}

impl Stream {
    /// Sends the start, then every change as it comes, with heartbeats in
    /// the quiet; `Ok` when the client has gone.
    async fn follow(&mut self, outlet: &Outlet<Response>) -> Result<(), Error> {
        let heartbeat = self.app.watch.config.heartbeat;
        let started = pb::WatchStarted {
            heartbeat_interval_seconds: i32::try_from(heartbeat.as_secs().max(1))
                .unwrap_or(i32::MAX),
        };
        if !self.send(outlet, Event::Started(started)).await? {
            return Ok(());
        }
        loop {
            self.subscription.changes.borrow_and_update();
            // Boxed, as the token check below: a stream spends its life
            // waiting, and its task should not carry a query's state
            // while it does (about 1,000 streams per 10 MiB otherwise).
            let changes = Box::pin(read(&self.app, self.user, self.last)).await?;
            follows(self.last, &changes)?;
            let more = changes.len() as i64 == READ;
            for change in changes {
                self.last = change.seq;
                if !self
                    .send(outlet, Event::Change(Box::new(change.into())))
                    .await?
                {
                    return Ok(());
                }
            }
            if more {
                continue;
            }
            tokio::select! {
                _ = self.subscription.changes.changed() => {}
                () = tokio::time::sleep_until(self.quiet_since + heartbeat) => {
                    if !self.send(outlet, Event::Heartbeat(pb::WatchHeartbeat {})).await? {
                        return Ok(());
                    }
                }
                () = outlet.closed() => return Ok(()),
            }
        }
    }

    /// Sends one message with the stream's position; `false` when the
    /// client has gone.
    async fn send(&mut self, outlet: &Outlet<Response>, event: Event) -> Result<bool, Error> {
        let message = Response {
            resume_token: token::encode(self.last),
            event: Some(event),
        };
        let patience = self.app.watch.config.slow_consumer;
        match outlet.send(message, patience).await {
            Ok(()) => {
                self.quiet_since = Instant::now();
                Ok(true)
            }
            Err(Refused::Gone) => Ok(false),
            Err(Refused::Slow) => Err(Error::SlowConsumer),
        }
    }
}

/// `user`'s changes after `last`, a batch.
async fn read(app: &App, user: Uuid, last: i64) -> Result<Vec<Change>, Error> {
    let mut conn = common_db::conn(&app.pool).await?;
    Ok(db::changes::after(&mut conn, user, last, READ).await?)
}

/// Whether `changes` (read after `last`) follow on from it. Numbers have
/// no gaps: one here means history was pruned under a stream too far
/// behind, which must start over like a client with an old token.
fn follows(last: i64, changes: &[Change]) -> Result<(), Error> {
    match changes.first() {
        Some(first) if first.seq != last + 1 => Err(Error::ResumeTokenExpired),
        _ => Ok(()),
    }
}

/// Completes with the refusal once the stream's token is no longer good:
/// at its expiry, or when auth-service says it was revoked. It asks at
/// once (the token was checked up to a cache's lifetime ago), whenever a
/// revocation may name the token (`poked`), and `recheck` after the last
/// time it asked while the revocation feed is down, `fed_recheck` while it
/// is up. It sleeps until then: a thousand quiet streams wake a few dozen
/// times a second, not a few thousand.
async fn guard(app: &App, token: &str, caller: Caller, poked: &Notify) -> Error {
    let config = &app.watch.config;
    let left = (caller.token_expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or(Duration::ZERO);
    let expiry = tokio::time::sleep(left);
    tokio::pin!(expiry);
    let mut feed = app.watch.feed();
    let mut failures = 0;
    let mut now = true;
    let mut asked = Instant::now();
    loop {
        if !now {
            let every = if *feed.borrow_and_update() {
                config.fed_recheck
            } else {
                config.recheck
            };
            tokio::select! {
                () = &mut expiry => return auth::expired(),
                () = poked.notified() => now = true,
                () = tokio::time::sleep_until(asked + every) => {}
                // The feed went down (or up): wait again, the new interval
                // counted from the last time it asked.
                Ok(()) = feed.changed() => continue,
            }
        }
        asked = Instant::now();
        // Boxed: a stream spends its life waiting, and its task should
        // not carry a call's state while it does.
        let answer = if std::mem::take(&mut now) {
            Box::pin(app.auth.recheck_now(token)).await
        } else {
            Box::pin(app.auth.recheck(token)).await
        };
        match answer {
            Ok(_) => failures = 0,
            Err(refused @ Error::Unauthenticated { .. }) => return refused,
            Err(unavailable) => {
                failures += 1;
                if failures >= RECHECK_FAILURES {
                    return unavailable;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::watch::ChangeKind;

    fn change(seq: i64) -> Change {
        Change {
            seq,
            kind: ChangeKind::Removed,
            entry_id: Uuid::now_v7(),
            entry: None,
            runs_changed: false,
            at: Utc::now(),
        }
    }

    #[test]
    fn a_gap_after_the_position_means_history_is_gone() {
        assert!(follows(4, &[]).is_ok());
        assert!(follows(4, &[change(5), change(6)]).is_ok());
        assert!(matches!(
            follows(4, &[change(7)]),
            Err(Error::ResumeTokenExpired)
        ));
    }
}

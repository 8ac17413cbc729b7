//! WatchListEntries: one guarded stream (see `guarded`) per call, reading
//! its user's history from its own position.

use completionist_common::db as common_db;
use completionist_proto::media as pb;
use pb::watch_list_entries_response::Event;
use tonic::Request;
use uuid::Uuid;

use super::{
    Change,
    guarded::{self, Live, Topic, Waited},
    hub::StreamKind,
    outbox::Outbox,
    token,
};
use crate::{app::App, db, error::Error};

/// Changes read per query.
const READ: i64 = 256;

type Response = pb::WatchListEntriesResponse;

/// Opens a stream of the caller's list from now, or after a resume token.
pub(crate) async fn watch_list_entries(
    app: &App,
    request: Request<pb::WatchListEntriesRequest>,
) -> Result<Outbox<Response>, Error> {
    // Counted in before the history is read, so no change falls between;
    // and before the token watch's first check, so no revocation does.
    let opening = guarded::open(app, StreamKind::ListEntries, &request)?;
    let user = opening.caller().user_id;
    let pb::WatchListEntriesRequest { resume_token } = request.into_inner();
    let resume = token::decode(&resume_token).map_err(|why| Error::invalid("resume_token", why))?;
    let head = {
        let mut conn = common_db::conn(&app.pool).await?;
        db::changes::head(&mut conn, user).await?
    };
    let start = match resume {
        None => head.seq,
        Some(seq) if seq < head.pruned_through || seq > head.seq => {
            return Err(Error::ResumeTokenExpired);
        }
        Some(seq) => seq,
    };
    let own = app.clone();
    Ok(opening.run(app, move |live| {
        ListStream {
            app: own,
            user,
            live,
            last: start,
        }
        .follow()
    }))
}

struct ListStream {
    app: App,
    user: Uuid,
    live: Live<Response>,
    /// The number of the last change sent (or where the stream started).
    last: i64,
}

impl ListStream {
    /// Sends the start, then every change as it comes, with heartbeats in
    /// the quiet; `Ok` when the client has gone.
    async fn follow(mut self) -> Result<(), Error> {
        let started = pb::WatchStarted {
            heartbeat_interval_seconds: i32::try_from(self.live.heartbeat().as_secs().max(1))
                .unwrap_or(i32::MAX),
        };
        if !self.send(Event::Started(started)).await? {
            return Ok(());
        }
        loop {
            self.live.seen(Topic::List);
            // Boxed, as the token watch's check: a stream spends its life
            // waiting, and its task should not carry a query's state
            // while it does (about 1,000 streams per 10 MiB otherwise).
            let changes = Box::pin(read(&self.app, self.user, self.last)).await?;
            follows(self.last, &changes)?;
            let more = changes.len() as i64 == READ;
            for change in changes {
                self.last = change.seq;
                if !self.send(Event::Change(Box::new(change.into()))).await? {
                    return Ok(());
                }
            }
            if more {
                continue;
            }
            match self.live.wait(Topic::List).await {
                Waited::News => {}
                Waited::Quiet => {
                    if !self.send(Event::Heartbeat(pb::WatchHeartbeat {})).await? {
                        return Ok(());
                    }
                }
                Waited::Gone => return Ok(()),
            }
        }
    }

    /// Sends one message with the stream's position; `false` when the
    /// client has gone.
    async fn send(&mut self, event: Event) -> Result<bool, Error> {
        self.live
            .send(Response {
                resume_token: token::encode(self.last),
                event: Some(event),
            })
            .await
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

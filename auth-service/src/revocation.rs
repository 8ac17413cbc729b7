//! Revocations in memory, so ValidateToken needs no database round trip.
//!
//! Postgres holds the truth (`revocations`); every insert is announced on the
//! `auth_revocations` channel by a trigger. Each replica listens on a
//! connection of its own and, on every announcement, reads the rows it has
//! not seen yet. While that listener is down, [`Revocations::is_current`] is
//! false and the caller catches up from the database before trusting the
//! set, so a revocation made through any replica is honoured by all.
//!
//! Each record newly applied is also passed on to subscribers
//! ([`Revocations::subscribe`], behind WatchRevocations), so services holding
//! a token for the length of a stream hear of it at once instead of asking
//! again and again.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, Ordering},
    },
};

use chrono::{DateTime, Utc};
use completionist_common::{
    listen::{Listener, listen},
    request_id,
};
use completionist_proto::auth as pb;
use diesel_async::AsyncPgConnection;
use futures_util::Stream;
use pb::watch_revocations_response::Event;
use tokio::sync::broadcast;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Status};
use uuid::Uuid;

use crate::{
    app::App,
    db::{self, revocations::RevocationRow},
    error::Error,
    token::Claims,
};

const CHANNEL: &str = "auth_revocations";

completionist_common::text_enum! {
    /// What a revocation record covers.
    pub(crate) enum RevocationKind {
        /// One access token, by its id.
        Token = "token",
        /// One session (refresh token family), by its id.
        Family = "family",
        /// Every token of a user issued before a time.
        User = "user",
        /// Every token issued before a time.
        All = "all",
        /// Every token of a user deleted at that time.
        Deleted = "deleted",
    }
}

/// Records a subscriber may fall behind by before it is cut off (and
/// must reconnect and recheck what it holds).
const FEED_CAPACITY: usize = 1024;

/// The revocations a replica knows of.
pub(crate) struct Revocations {
    state: RwLock<State>,
    /// The listener is connected and has caught up since connecting.
    current: AtomicBool,
    /// Every record as it is applied, and the listener's losses.
    feed: broadcast::Sender<FeedEvent>,
    stopping: CancellationToken,
}

/// What subscribers hear.
#[derive(Clone, Debug)]
pub(crate) enum FeedEvent {
    /// A record newly applied.
    Revoked(RevocationRow),
    /// The listener disconnected: records may be missed until it is back.
    Lost,
}

impl Default for Revocations {
    fn default() -> Self {
        Self {
            state: RwLock::default(),
            current: AtomicBool::new(false),
            feed: broadcast::Sender::new(FEED_CAPACITY),
            stopping: CancellationToken::new(),
        }
    }
}

#[derive(Default)]
struct State {
    last_id: i64,
    /// Revoked token ids, with when each record stops mattering.
    tokens: HashMap<Uuid, DateTime<Utc>>,
    /// Revoked sessions (refresh token families).
    families: HashMap<Uuid, DateTime<Utc>>,
    /// Per user: tokens issued before the first time are revoked.
    users: HashMap<Uuid, (i64, DateTime<Utc>)>,
    /// Every token issued before this (milliseconds) is revoked.
    all: Option<(i64, DateTime<Utc>)>,
}

impl Revocations {
    /// Whether the token is revoked by anything this replica knows of.
    pub(crate) fn is_revoked(&self, claims: &Claims) -> bool {
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        let issued = claims.issued_at_millis();
        state.tokens.contains_key(&claims.jti)
            || state.families.contains_key(&claims.sid)
            || state
                .users
                .get(&claims.sub)
                .is_some_and(|(before, _)| issued < *before)
            || state.all.is_some_and(|(before, _)| issued < before)
    }

    /// Whether the listener is up to date; if not, call
    /// [`Revocations::catch_up`] before trusting [`Revocations::is_revoked`].
    pub(crate) fn is_current(&self) -> bool {
        AtomicBool::load(&self.current, Ordering::Acquire)
    }

    /// Reads the revocations recorded since the last one seen.
    pub(crate) async fn catch_up(
        &self,
        conn: &mut AsyncPgConnection,
    ) -> Result<(), diesel::result::Error> {
        let after = self.state.read().unwrap_or_else(|e| e.into_inner()).last_id;
        let rows = db::revocations::since(conn, after).await?;
        // Read up to the last row, expired or not; only live ones matter.
        let last = rows.last().map_or(after, |row| row.id);
        let now = Utc::now();
        let live: Vec<RevocationRow> = rows
            .into_iter()
            .filter(|row| row.expires_at > now)
            .collect();
        self.apply(&live, last);
        Ok(())
    }

    fn apply(&self, rows: &[RevocationRow], last_id: i64) {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        // Two catch-ups at once (the listener's and a call's) read the same
        // rows: apply and pass on each once.
        let seen = state.last_id;
        for row in rows.iter().filter(|row| row.id > seen) {
            let before = row.issued_before.map(|t| t.timestamp_millis());
            match (row.kind, row.subject, before) {
                (RevocationKind::Token, Some(id), _) => {
                    state.tokens.insert(id, row.expires_at);
                }
                (RevocationKind::Family, Some(id), _) => {
                    state.families.insert(id, row.expires_at);
                }
                (RevocationKind::User | RevocationKind::Deleted, Some(id), Some(before)) => {
                    let entry = state.users.entry(id).or_insert((before, row.expires_at));
                    *entry = (entry.0.max(before), entry.1.max(row.expires_at));
                }
                (RevocationKind::All, None, Some(before)) => {
                    let (b, e) = state.all.unwrap_or((before, row.expires_at));
                    state.all = Some((b.max(before), e.max(row.expires_at)));
                }
                _ => {
                    let (id, kind) = (row.id, row.kind);
                    tracing::warn!(id, %kind, "malformed revocation row ignored");
                    continue;
                }
            }
            // No subscribers is no error.
            let _ = self.feed.send(FeedEvent::Revoked(row.clone()));
        }
        state.last_id = state.last_id.max(last_id);
    }

    /// Hears every record applied from now on, and the listener's losses.
    /// Subscribe first, then check [`Revocations::is_current`]: if it is,
    /// nothing is missed until a [`FeedEvent::Lost`].
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<FeedEvent> {
        self.feed.subscribe()
    }

    /// Ends the subscribers' streams: the service is shutting down.
    pub(crate) fn stop(&self) {
        self.stopping.cancel();
    }

    /// Completes once the service is shutting down.
    pub(crate) async fn stopped(&self) {
        self.stopping.cancelled().await;
    }

    /// Forgets records whose tokens have all expired; returns how many.
    pub(crate) fn prune(&self, now: DateTime<Utc>) -> usize {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let before = state.tokens.len() + state.families.len() + state.users.len();
        state.tokens.retain(|_, expires| *expires > now);
        state.families.retain(|_, expires| *expires > now);
        state.users.retain(|_, (_, expires)| *expires > now);
        if state.all.is_some_and(|(_, expires)| expires <= now) {
            state.all = None;
        }
        before - (state.tokens.len() + state.families.len() + state.users.len())
    }

    /// Keeps this replica in step with every other: listens for
    /// announcements and reads new rows on each. Reconnects after failures;
    /// runs until the task is dropped.
    pub(crate) async fn listen(&self, database_url: &str) {
        listen(database_url, &[CHANNEL], &mut &*self).await;
    }
}

impl Listener for &Revocations {
    async fn listening(&mut self, conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
        self.catch_up(conn).await?;
        self.current.store(true, Ordering::Release);
        Ok(())
    }

    async fn announced(
        &mut self,
        conn: &mut AsyncPgConnection,
        _channel: &str,
        _payload: &str,
    ) -> anyhow::Result<()> {
        Ok(self.catch_up(conn).await?)
    }

    fn stopped_listening(&mut self) {
        self.current.store(false, Ordering::Release);
        let _ = self.feed.send(FeedEvent::Lost);
    }
}

/// What WatchRevocations answers.
pub(crate) type Feed =
    Pin<Box<dyn Stream<Item = Result<pb::WatchRevocationsResponse, Status>> + Send>>;

/// WatchRevocations: `started`, then every record this replica applies,
/// until its listener is lost, the subscriber falls too far behind, or the
/// service shuts down — each an error after which the subscriber
/// reconnects and rechecks the tokens it holds.
pub(crate) fn watch_revocations(
    app: &App,
    _request: Request<pb::WatchRevocationsRequest>,
) -> Result<Feed, Error> {
    feed(app.revocations.clone())
}

fn feed(revocations: Arc<Revocations>) -> Result<Feed, Error> {
    let mut heard = revocations.subscribe();
    if !revocations.is_current() {
        return Err(Error::RevocationsUnavailable);
    }
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    // A task of its own, carrying the request id into the status it ends
    // with; it goes when the subscriber does.
    tokio::spawn(request_id::carry(async move {
        let started = pb::WatchRevocationsResponse {
            event: Some(Event::Started(pb::RevocationsStarted {})),
        };
        if sender.send(Ok(started)).await.is_err() {
            return;
        }
        loop {
            let next = tokio::select! {
                heard = heard.recv() => match heard {
                    Ok(FeedEvent::Revoked(row)) => Ok(row.into()),
                    Ok(FeedEvent::Lost) => Err(Error::RevocationsUnavailable),
                    Err(broadcast::error::RecvError::Lagged(_)) => Err(Error::SlowConsumer),
                    Err(broadcast::error::RecvError::Closed) => Err(Error::ShuttingDown),
                },
                () = revocations.stopped() => Err(Error::ShuttingDown),
                () = sender.closed() => return,
            };
            let end = next.is_err();
            if sender.send(next.map_err(Status::from)).await.is_err() || end {
                return;
            }
        }
    }));
    Ok(Box::pin(ReceiverStream::new(receiver)))
}

#[cfg(test)]
mod tests;

//! The streams open on this replica, by user, and what wakes them: the
//! announcements of `list_changes` on the Postgres channel of that name,
//! whichever replica made the change; and auth-service's revocations that
//! may name a stream's token, which poke its guard to recheck it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use completionist_common::db::Heard;
use completionist_proto::auth::revocation::Scope;
use tokio::sync::{Notify, watch};
use uuid::Uuid;

use crate::{app::Caller, config::WatchConfig, error::Error};

/// The channel the change log's trigger announces on.
const CHANNEL: &str = "list_changes";

pub(crate) struct Hub {
    pub(crate) config: WatchConfig,
    streams: Mutex<Streams>,
    stopping: watch::Sender<bool>,
    /// auth-service's revocation feed is up, so revocations poke the guards
    /// of the streams they may concern; guards follow it to know how often
    /// to ask about their tokens themselves.
    fed: watch::Sender<bool>,
}

#[derive(Default)]
struct Streams {
    users: HashMap<Uuid, Watched>,
    /// Every open stream's token, by stream.
    guards: HashMap<u64, Guarded>,
    next_id: u64,
    open: usize,
}

/// The token a stream was opened with, as revocations name it.
struct Guarded {
    caller: Caller,
    poke: Arc<Notify>,
}

impl Guarded {
    fn named_by(&self, scope: &Scope) -> bool {
        let named = |id: &str, ours: Uuid| Uuid::parse_str(id).map_or(true, |id| id == ours);
        match scope {
            Scope::TokenId(id) => named(id, self.caller.token_id),
            Scope::SessionId(id) => named(id, self.caller.session_id),
            // Which of the user's tokens is for auth-service to say.
            Scope::UserId(id) => named(id, self.caller.user_id),
            Scope::Everyone(_) => true,
        }
    }
}

/// A user with streams open here.
struct Watched {
    streams: usize,
    /// Bumped whenever the user's list may have changed.
    changes: watch::Sender<u64>,
}

impl Hub {
    pub(crate) fn new(config: WatchConfig) -> Arc<Self> {
        Arc::new(Self {
            config,
            streams: Mutex::default(),
            stopping: watch::Sender::new(false),
            fed: watch::Sender::new(false),
        })
    }

    /// Counts a new stream of `caller` in, within the limits.
    pub(crate) fn open(self: &Arc<Self>, caller: Caller) -> Result<Subscription, Error> {
        let user = caller.user_id;
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        if streams.open >= self.config.max_streams {
            return Err(Error::TooManyStreams(
                "this server has as many streams open as it takes; try again shortly",
            ));
        }
        let watched = streams.users.entry(user).or_insert_with(|| Watched {
            streams: 0,
            changes: watch::Sender::new(0),
        });
        if watched.streams >= self.config.max_streams_per_user {
            return Err(Error::TooManyStreams(
                "you have as many streams open as one user may; close one first",
            ));
        }
        watched.streams += 1;
        let changes = watched.changes.subscribe();
        streams.open += 1;
        let id = streams.next_id;
        streams.next_id += 1;
        let poke = Arc::new(Notify::new());
        streams.guards.insert(
            id,
            Guarded {
                caller,
                poke: poke.clone(),
            },
        );
        Ok(Subscription {
            changes,
            poked: poke,
            hub: self.clone(),
            user,
            id,
        })
    }

    fn close(&self, user: Uuid, id: u64) {
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        streams.guards.remove(&id);
        if let Some(watched) = streams.users.get_mut(&user) {
            watched.streams -= 1;
            if watched.streams == 0 {
                streams.users.remove(&user);
            }
            streams.open -= 1;
        }
    }

    /// Streams open here now.
    #[cfg(test)]
    fn open_streams(&self) -> usize {
        self.streams.lock().unwrap_or_else(|e| e.into_inner()).open
    }

    /// Wakes the streams an announcement concerns: the named user's, or
    /// every stream when announcements may have been missed.
    fn heard(&self, heard: Heard) {
        let streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        let users = &streams.users;
        let wake = |watched: &Watched| watched.changes.send_modify(|n| *n = n.wrapping_add(1));
        match heard {
            Heard::Listening => users.values().for_each(wake),
            Heard::Payload(user) => {
                if let Some(watched) = Uuid::parse_str(&user).ok().and_then(|u| users.get(&u)) {
                    wake(watched);
                }
            }
        }
    }

    /// Listens for announcements until dropped.
    pub(crate) async fn listen(self: Arc<Self>, database_url: String) {
        completionist_common::db::listen(&database_url, CHANNEL, |heard| self.heard(heard)).await;
    }

    /// Pokes the guards of the streams whose token a revocation may name
    /// (every stream's for one it cannot read); returns how many.
    pub(crate) fn revoked(&self, scope: Option<&Scope>) -> usize {
        let streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        let mut poked = 0;
        for guarded in streams.guards.values() {
            if scope.is_none_or(|scope| guarded.named_by(scope)) {
                guarded.poke.notify_one();
                poked += 1;
            }
        }
        poked
    }

    /// Whether the revocation feed is up (see [`Hub::revoked`]).
    pub(crate) fn is_fed(&self) -> bool {
        *self.fed.borrow()
    }

    /// Follows whether the revocation feed is up.
    pub(crate) fn feed(&self) -> watch::Receiver<bool> {
        self.fed.subscribe()
    }

    /// The revocation feed came up or went down. Coming up, every guard
    /// rechecks once: revocations made while it was down were not fed.
    pub(crate) fn set_fed(&self, fed: bool) {
        self.fed.send_replace(fed);
        if fed {
            self.revoked(None);
        }
    }

    /// Ends every stream: the service is shutting down.
    pub(crate) fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Completes once the service is shutting down.
    pub(crate) async fn stopped(&self) {
        let _ = self
            .stopping
            .subscribe()
            .wait_for(|stopping| *stopping)
            .await;
    }
}

/// One open stream, woken when its user's list may have changed, its
/// guard poked when its token may have been revoked. Counted out when
/// dropped.
pub(crate) struct Subscription {
    pub(crate) changes: watch::Receiver<u64>,
    pub(crate) poked: Arc<Notify>,
    hub: Arc<Hub>,
    user: Uuid,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.close(self.user, self.id);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn hub(max_streams: usize, max_streams_per_user: usize) -> Arc<Hub> {
        Hub::new(WatchConfig {
            heartbeat: Duration::from_secs(1),
            retention: Duration::from_secs(1),
            max_streams,
            max_streams_per_user,
            slow_consumer: Duration::from_secs(1),
            recheck: Duration::from_secs(1),
            fed_recheck: Duration::from_secs(1),
            prune_interval: Duration::from_secs(1),
        })
    }

    #[tokio::test]
    async fn stopping_is_heard_by_every_waiter() {
        let hub = hub(1, 1);
        let waiting = tokio::spawn({
            let hub = hub.clone();
            async move { hub.stopped().await }
        });
        hub.stop();
        waiting.await.unwrap();
        hub.stopped().await;
    }

    fn caller(user: Uuid) -> Caller {
        Caller {
            user_id: user,
            token_expires_at: chrono::Utc::now(),
            token_id: Uuid::now_v7(),
            session_id: Uuid::now_v7(),
        }
    }

    #[test]
    fn streams_are_bounded_per_user_and_in_all() {
        let hub = hub(3, 2);
        let (ada, bob, cy) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let first = hub.open(caller(ada)).unwrap();
        let _second = hub.open(caller(ada)).unwrap();
        assert!(matches!(
            hub.open(caller(ada)),
            Err(Error::TooManyStreams(_))
        ));
        let _third = hub.open(caller(bob)).unwrap();
        assert!(matches!(
            hub.open(caller(cy)),
            Err(Error::TooManyStreams(_))
        ));
        drop(first);
        assert_eq!(hub.open_streams(), 2);
        let _again = hub.open(caller(cy)).unwrap();
    }

    #[test]
    fn announcements_wake_their_users_streams_only() {
        let hub = hub(10, 10);
        let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let mut a = hub.open(caller(ada)).unwrap();
        let b = hub.open(caller(bob)).unwrap();
        hub.heard(Heard::Payload(ada.to_string()));
        hub.heard(Heard::Payload("not a uuid".into()));
        assert!(a.changes.has_changed().unwrap());
        assert!(!b.changes.has_changed().unwrap());
        a.changes.borrow_and_update();
        hub.heard(Heard::Listening);
        assert!(a.changes.has_changed().unwrap() && b.changes.has_changed().unwrap());
        drop((a, b));
        assert_eq!(hub.open_streams(), 0);
    }

    #[test]
    fn revocations_poke_the_streams_they_may_name() {
        let hub = hub(10, 10);
        let (ada, bob) = (caller(Uuid::now_v7()), caller(Uuid::now_v7()));
        let mut ada_too = caller(ada.user_id);
        ada_too.session_id = ada.session_id;
        let _streams = [hub.open(ada), hub.open(ada_too), hub.open(bob)];
        let id = |id: Uuid| id.to_string();
        assert_eq!(hub.revoked(Some(&Scope::TokenId(id(ada.token_id)))), 1);
        assert_eq!(hub.revoked(Some(&Scope::SessionId(id(ada.session_id)))), 2);
        assert_eq!(hub.revoked(Some(&Scope::UserId(id(bob.user_id)))), 1);
        assert_eq!(hub.revoked(Some(&Scope::TokenId(id(Uuid::now_v7())))), 0);
        assert_eq!(hub.revoked(Some(&Scope::Everyone(true))), 3);
        // What cannot be read may name anyone.
        assert_eq!(hub.revoked(Some(&Scope::SessionId("?".into()))), 3);
        assert_eq!(hub.revoked(None), 3);
    }

    #[tokio::test]
    async fn a_poke_waits_for_its_guard_and_the_feed_coming_up_pokes_all() {
        let hub = hub(10, 10);
        let ada = caller(Uuid::now_v7());
        let stream = hub.open(ada).unwrap();
        hub.revoked(Some(&Scope::TokenId(ada.token_id.to_string())));
        // Poked while the guard was busy: it finds the poke when it waits.
        stream.poked.notified().await;
        assert!(!hub.is_fed());
        hub.set_fed(true);
        assert!(hub.is_fed());
        stream.poked.notified().await;
        hub.set_fed(false);
        assert!(!hub.is_fed());
        drop(stream);
        assert_eq!(hub.revoked(None), 0, "closed streams are forgotten");
    }
}

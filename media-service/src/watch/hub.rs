//! The streams open on this replica, by user, and what wakes them: the
//! announcements of `list_changes` on the Postgres channel of that name,
//! whichever replica made the change.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use completionist_common::db::Heard;
use tokio::sync::watch;
use uuid::Uuid;

use crate::{config::WatchConfig, error::Error};

/// The channel the change log's trigger announces on.
const CHANNEL: &str = "list_changes";

pub(crate) struct Hub {
    pub(crate) config: WatchConfig,
    streams: Mutex<Streams>,
    stopping: watch::Sender<bool>,
}

#[derive(Default)]
struct Streams {
    users: HashMap<Uuid, Watched>,
    open: usize,
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
        })
    }

    /// Counts a new stream of `user` in, within the limits.
    pub(crate) fn open(self: &Arc<Self>, user: Uuid) -> Result<Subscription, Error> {
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
        Ok(Subscription {
            changes,
            hub: self.clone(),
            user,
        })
    }

    fn close(&self, user: Uuid) {
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
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

/// One open stream, woken when its user's list may have changed. Counted
/// out when dropped.
pub(crate) struct Subscription {
    pub(crate) changes: watch::Receiver<u64>,
    hub: Arc<Hub>,
    user: Uuid,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.close(self.user);
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

    #[test]
    fn streams_are_bounded_per_user_and_in_all() {
        let hub = hub(3, 2);
        let (ada, bob, cy) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let first = hub.open(ada).unwrap();
        let _second = hub.open(ada).unwrap();
        assert!(matches!(hub.open(ada), Err(Error::TooManyStreams(_))));
        let _third = hub.open(bob).unwrap();
        assert!(matches!(hub.open(cy), Err(Error::TooManyStreams(_))));
        drop(first);
        assert_eq!(hub.open_streams(), 2);
        let _again = hub.open(cy).unwrap();
    }

    #[test]
    fn announcements_wake_their_users_streams_only() {
        let hub = hub(10, 10);
        let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let mut a = hub.open(ada).unwrap();
        let b = hub.open(bob).unwrap();
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
}

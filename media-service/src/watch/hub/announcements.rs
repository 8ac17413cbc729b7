//! Announcements on the Postgres channels: each wakes the streams it
//! concerns, and a (re)connected listener wakes them all.

use std::sync::Arc;

use completionist_common::listen::Listener;
use diesel_async::AsyncPgConnection;
use tokio::sync::watch;
use uuid::Uuid;

use super::{Hub, IMPORT_JOBS, LIST_CHANGES};

impl Hub {
    /// Wakes the streams an announcement on `channel` concerns: the named
    /// user's of that channel.
    pub(super) fn announced(&self, channel: &str, payload: &str) {
        let streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        let Some(mine) = Uuid::parse_str(payload)
            .ok()
            .and_then(|user| streams.users.get(&user))
        else {
            return;
        };
        match channel {
            LIST_CHANGES => wake(&mine.list),
            IMPORT_JOBS => wake(&mine.imports),
            _ => {}
        }
    }

    /// Wakes every stream: announcements may have been missed.
    pub(super) fn wake_all(&self) {
        let streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        for mine in streams.users.values() {
            wake(&mine.list);
            wake(&mine.imports);
        }
    }

    /// Listens for announcements until dropped.
    pub(crate) async fn listen(self: Arc<Self>, database_url: String) {
        let channels = [LIST_CHANGES, IMPORT_JOBS];
        completionist_common::listen::listen(&database_url, &channels, &mut &*self).await;
    }
}

fn wake(news: &watch::Sender<u64>) {
    news.send_modify(|n| *n = n.wrapping_add(1));
}

impl Listener for &Hub {
    async fn listening(&mut self, _conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
        self.wake_all();
        Ok(())
    }

    async fn announced(
        &mut self,
        _conn: &mut AsyncPgConnection,
        channel: &str,
        payload: &str,
    ) -> anyhow::Result<()> {
        Hub::announced(self, channel, payload);
        Ok(())
    }
}

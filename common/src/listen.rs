//! Postgres notifications: one loop that LISTENs on a connection of its
//! own, reconnects with backoff, and tells a [`Listener`] what it hears.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// What a [`listen`] loop tells, on the connection it listens on (free
/// between two announcements, to read what they announce).
pub trait Listener: Send {
    /// Listening (again): announcements made while not listening were
    /// missed, so whatever they would have prompted should be done now.
    fn listening(
        &mut self,
        conn: &mut AsyncPgConnection,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// One announcement on `channel`. An error ends this connection (and
    /// the loop listens again, after a pause).
    fn announced(
        &mut self,
        conn: &mut AsyncPgConnection,
        channel: &str,
        payload: &str,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// No longer listening: announcements may be missed until the next
    /// [`Listener::listening`].
    fn stopped_listening(&mut self) {}
}

/// Listens to the Postgres notification `channels` on a connection of its
/// own, telling `listener` what it hears; reconnects after failures, with
/// backoff from 100 ms to 5 s. Runs until dropped.
pub async fn listen(url: &str, channels: &[&str], listener: &mut impl Listener) {
    use futures_util::StreamExt;
    let mut backoff = Duration::from_millis(100);
    loop {
        let ended = async {
            let mut conn = AsyncPgConnection::establish(url).await?;
            for channel in channels {
                // The channel is ours, not a caller's: a plain identifier.
                diesel::sql_query(format!("LISTEN {channel}"))
                    .execute(&mut conn)
                    .await?;
            }
            // Listening first, then reading, so nothing falls in between.
            listener.listening(&mut conn).await?;
            backoff = Duration::from_millis(100);
            loop {
                // The stream borrows the connection only while waiting:
                // announcements queue in the connection meanwhile.
                let next = std::pin::pin!(conn.notifications_stream()).next().await;
                let Some(notification) = next else {
                    return Ok::<_, anyhow::Error>(());
                };
                let notification = notification?;
                listener
                    .announced(&mut conn, &notification.channel, &notification.payload)
                    .await?;
            }
        }
        .await;
        listener.stopped_listening();
        if let Err(error) = ended {
            tracing::warn!(
                ?channels,
                error = format!("{error:#}"),
                "listener disconnected; retrying"
            );
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

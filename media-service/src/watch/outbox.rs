//! A server stream's messages, and how it ends. Unlike a channel of
//! results, the final status does not queue behind the messages a slow
//! client has not read: it goes out next, and the unread ones are dropped
//! (the client resumes from the last message it did read).

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use futures_util::Stream;
use tokio::sync::{mpsc, oneshot};
use tonic::Status;

/// Every end: the task writes to the [`Outlet`] and may end the stream
/// with a status through the [`Ending`]; tonic reads the [`Outbox`].
pub(crate) fn outbox<T>(capacity: usize) -> (Outlet<T>, Ending, Outbox<T>) {
    let (messages, queued) = mpsc::channel(capacity);
    let (end, ended) = oneshot::channel();
    (
        Outlet { messages },
        Ending(end),
        Outbox {
            queued,
            ended: Some(ended),
            done: false,
        },
    )
}

/// Why a message could not be sent.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The client has gone.
    Gone,
    /// The client read nothing for the whole of the patience given.
    Slow,
}

pub(crate) struct Outlet<T> {
    messages: mpsc::Sender<T>,
}

/// How a stream ends with a status; dropped unused, it ends well once its
/// messages are read.
pub(crate) struct Ending(oneshot::Sender<Status>);

impl Ending {
    /// Ends the stream with `status`, ahead of any message still queued.
    pub(crate) fn finish(self, status: Status) {
        let _ = self.0.send(status);
    }
}

impl<T> Outlet<T> {
    /// Queues `message`, waiting at most `patience` for room.
    pub(crate) async fn send(&self, message: T, patience: Duration) -> Result<(), Refused> {
        match tokio::time::timeout(patience, self.messages.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Refused::Gone),
            Err(_) => Err(Refused::Slow),
        }
    }

    /// Completes when the client has gone.
    pub(crate) async fn closed(&self) {
        self.messages.closed().await;
    }
}

pub(crate) struct Outbox<T> {
    queued: mpsc::Receiver<T>,
    ended: Option<oneshot::Receiver<Status>>,
    done: bool,
}

impl<T> Outbox<T> {
    /// The final status once it was sent (`Some`), or the ending dropped
    /// unused (`None`).
    fn poll_end(&mut self, cx: &mut Context<'_>) -> Poll<Option<Status>> {
        let Some(ended) = self.ended.as_mut() else {
            return Poll::Ready(None);
        };
        let status = std::task::ready!(Pin::new(ended).poll(cx)).ok();
        self.ended = None;
        Poll::Ready(status)
    }
}

impl<T> Stream for Outbox<T> {
    type Item = Result<T, Status>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if let Poll::Ready(Some(status)) = this.poll_end(cx) {
            this.done = true;
            return Poll::Ready(Some(Err(status)));
        }
        match this.queued.poll_recv(cx) {
            Poll::Ready(Some(message)) => Poll::Ready(Some(Ok(message))),
            // The outlet is gone: the stream ends as its ending says, once
            // it says (the outlet may go first).
            Poll::Ready(None) => {
                let status = std::task::ready!(this.poll_end(cx));
                this.done = true;
                Poll::Ready(status.map(Err))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::{FutureExt, StreamExt};
    use tonic::Code;

    use super::*;

    const PATIENCE: Duration = Duration::from_millis(50);

    #[tokio::test]
    async fn messages_then_the_end() {
        let (outlet, ending, mut outbox) = outbox(4);
        outlet.send(1, PATIENCE).await.unwrap();
        outlet.send(2, PATIENCE).await.unwrap();
        drop((outlet, ending));
        assert_eq!(outbox.next().await.unwrap().unwrap(), 1);
        assert_eq!(outbox.next().await.unwrap().unwrap(), 2);
        assert!(outbox.next().await.is_none());
    }

    #[tokio::test]
    async fn the_final_status_goes_ahead_of_unread_messages() {
        let (outlet, ending, mut outbox) = outbox(4);
        outlet.send(1, PATIENCE).await.unwrap();
        ending.finish(Status::unavailable("bye"));
        let end = outbox.next().await.unwrap().unwrap_err();
        assert_eq!(end.code(), Code::Unavailable);
        assert!(outbox.next().await.is_none());
    }

    #[tokio::test]
    async fn a_status_sent_after_the_outlet_went_still_ends_the_stream() {
        let (outlet, ending, mut outbox) = outbox::<u8>(4);
        drop(outlet);
        assert!(
            outbox.next().now_or_never().is_none(),
            "waits for its ending"
        );
        ending.finish(Status::unauthenticated("expired"));
        let end = outbox.next().await.unwrap().unwrap_err();
        assert_eq!(end.code(), Code::Unauthenticated);
        assert!(outbox.next().await.is_none());
    }

    #[tokio::test]
    async fn a_full_outbox_refuses_after_its_patience_and_a_gone_client_at_once() {
        let (outlet, _ending, outbox) = outbox(1);
        outlet.send(1, PATIENCE).await.unwrap();
        assert_eq!(outlet.send(2, PATIENCE).await, Err(Refused::Slow));
        drop(outbox);
        assert_eq!(outlet.send(3, PATIENCE).await, Err(Refused::Gone));
        outlet.closed().await;
    }
}

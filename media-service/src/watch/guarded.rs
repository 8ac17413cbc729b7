//! The one way a server stream runs here, WatchListEntries, WatchImport
//! and ExportList alike:
//!
//! - counted in by kind, per user and per replica ([`Hub::open`]), so one
//!   caller's streams never take another's place;
//! - its own task, writing into a small queue that a client reading nothing
//!   fills; once full for `WATCH_SLOW_CONSUMER_SECONDS` the stream ends
//!   `SLOW_CONSUMER`, and its task and place are freed;
//! - heartbeats in the quiet, for proxies and the gateway's idle timeout;
//! - a token watch ending it when its token expires or is revoked;
//! - ended `SHUTTING_DOWN` when the service stops.
//!
//! [`Hub::open`]: super::Hub::open

use std::time::Duration;

use completionist_common::{authn, request_id};
use tokio::{sync::Notify, time::Instant};
use tonic::{Request, Status};

use super::{
    hub::{StreamKind, Subscription},
    outbox::{Outbox, Outlet, Refused, outbox},
};
use crate::{
    app::{App, Caller},
    auth,
    error::Error,
};

/// Token rechecks that may fail in a row (auth-service briefly away)
/// before the stream ends UNAVAILABLE.
const RECHECK_FAILURES: u32 = 2;

/// A stream counted in, not yet running.
pub(crate) struct Opening {
    subscription: Subscription,
    token: String,
}

/// Counts a stream of `kind` of the request's caller in, within the limits.
pub(crate) fn open<R>(app: &App, kind: StreamKind, request: &Request<R>) -> Result<Opening, Error> {
    let caller = Caller::of(request)?;
    let token = authn::bearer_token(&request.metadata().clone().into_headers())?.to_owned();
    let subscription = app.watch.open(kind, caller)?;
    Ok(Opening {
        subscription,
        token,
    })
}

impl Opening {
    pub(crate) fn caller(&self) -> Caller {
        self.subscription.caller
    }

    /// Runs `body` as the stream's task, beside its token watch, until the body
    /// ends, the token fails, or the service stops; tonic reads the
    /// returned outbox.
    pub(crate) fn run<T, Body>(self, app: &App, body: impl FnOnce(Live<T>) -> Body) -> Outbox<T>
    where
        T: Send + 'static,
        Body: Future<Output = Result<(), Error>> + Send + 'static,
    {
        let (outlet, ending, outbox) = outbox(self.subscription.kind.queue());
        let caller = self.subscription.caller;
        let poked = self.subscription.poked.clone();
        let config = &app.watch.config;
        let body = body(Live {
            outlet,
            patience: config.slow_consumer,
            heartbeat: config.heartbeat,
            quiet_since: Instant::now(),
            subscription: self.subscription,
        });
        let app = app.clone();
        let token = self.token;
        tokio::spawn(request_id::carry(async move {
            let ended = tokio::select! {
                ended = body => ended,
                refused = token_watch(&app, &token, caller, &poked) => Err(refused),
                () = app.watch.stopped() => Err(Error::ShuttingDown),
            };
            if let Err(error) = ended {
                ending.finish(Status::from(error));
            }
        }));
        outbox
    }
}

/// What a stream's body waits for news of.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Topic {
    /// The caller's list.
    List,
    /// The caller's imports.
    Imports,
}

impl Topic {
    fn news(self, subscription: &mut Subscription) -> &mut tokio::sync::watch::Receiver<u64> {
        match self {
            Self::List => &mut subscription.list,
            Self::Imports => &mut subscription.imports,
        }
    }
}

/// What [`Live::wait`] woke for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Waited {
    /// There may be news.
    News,
    /// Nothing was sent for a heartbeat's interval.
    Quiet,
    /// The client has gone.
    Gone,
}

/// A running stream, as its body sees it.
pub(crate) struct Live<T> {
    outlet: Outlet<T>,
    patience: Duration,
    heartbeat: Duration,
    /// When the last message went out.
    quiet_since: Instant,
    subscription: Subscription,
}

impl<T> Live<T> {
    pub(crate) fn heartbeat(&self) -> Duration {
        self.heartbeat
    }

    /// Sends one message: `false` when the client has gone,
    /// `SLOW_CONSUMER` when it read nothing for the whole patience.
    pub(crate) async fn send(&mut self, message: T) -> Result<bool, Error> {
        match self.outlet.send(message, self.patience).await {
            Ok(()) => {
                self.quiet_since = Instant::now();
                Ok(true)
            }
            Err(Refused::Gone) => Ok(false),
            Err(Refused::Slow) => Err(Error::SlowConsumer),
        }
    }

    /// Marks the news of `topic` so far as seen: call before reading it,
    /// so that news arriving meanwhile wakes the next [`Live::wait`].
    pub(crate) fn seen(&mut self, topic: Topic) {
        topic.news(&mut self.subscription).borrow_and_update();
    }

    /// Waits for news of `topic`, for a heartbeat to be due, or for the
    /// client to go.
    pub(crate) async fn wait(&mut self, topic: Topic) -> Waited {
        let due = self.quiet_since + self.heartbeat;
        let outlet = &self.outlet;
        let news = topic.news(&mut self.subscription);
        tokio::select! {
            Ok(()) = news.changed() => Waited::News,
            () = tokio::time::sleep_until(due) => Waited::Quiet,
            () = outlet.closed() => Waited::Gone,
        }
    }
}

/// Completes with the refusal once the stream's token is no longer good:
/// at its expiry, or when auth-service says it was revoked. It asks at
/// once (the token was checked up to a cache's lifetime ago), whenever a
/// revocation may name the token (`poked`), and `recheck` after the last
/// time it asked while the revocation feed is down, `fed_recheck` while it
/// is up. It sleeps until then: a thousand quiet streams wake a few dozen
/// times a second, not a few thousand.
async fn token_watch(app: &App, token: &str, caller: Caller, poked: &Notify) -> Error {
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

//! The server streams open on this replica, by user and kind, and what
//! wakes them: announcements on the Postgres channels `list_changes` (a
//! user's list changed) and `import_jobs` (one of a user's imports moved
//! on), whichever replica made the change; and auth-service's revocations
//! that may name a stream's token, which poke its token watch to recheck it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use completionist_common::metrics::name;
use completionist_proto::auth::revocation::Scope;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{
    app::Caller,
    config::{StreamLimits, WatchConfig},
    error::Error,
};

/// The channel the change log's trigger announces on.
const LIST_CHANGES: &str = "list_changes";
/// The channel import jobs' trigger announces on.
const IMPORT_JOBS: &str = "import_jobs";
/// How long the rechecks the revocation feed's return calls for are
/// spread over, so that thousands of streams do not ask auth-service at
/// the same moment.
const RECHECK_SPREAD: Duration = Duration::from_secs(5);
/// The steps of that spread.
const RECHECK_STEPS: u32 = 50;

/// What a stream carries, each kind bounded on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamKind {
    /// WatchListEntries.
    ListEntries,
    /// WatchImport.
    Import,
    /// ExportList.
    Export,
}

impl StreamKind {
    const COUNT: usize = 3;

    fn index(self) -> usize {
        self as usize
    }

    /// The method that opens it, as the calls' metrics name it.
    fn method(self) -> &'static str {
        match self {
            Self::ListEntries => "completionist.media.v1.MediaService/WatchListEntries",
            Self::Import => "completionist.media.v1.MediaService/WatchImport",
            Self::Export => "completionist.media.v1.MediaService/ExportList",
        }
    }

    /// Messages a stream of this kind may have queued for its client: an
    /// export's are 64 KiB chunks, the others' a change or a row.
    pub(crate) fn queue(self) -> usize {
        match self {
            Self::ListEntries | Self::Import => 64,
            Self::Export => 4,
        }
    }

    fn limits(self, config: &WatchConfig) -> StreamLimits {
        match self {
            Self::ListEntries => config.list_streams,
            Self::Import => config.import_streams,
            Self::Export => config.export_streams,
        }
    }

    fn refusals(self) -> (&'static str, &'static str) {
        match self {
            Self::ListEntries => (
                "this server has as many list streams open as it takes; try again shortly",
                "you have as many list streams open as one user may; close one first",
            ),
            Self::Import => (
                "this server has as many imports watched as it takes; try again shortly",
                "you are watching as many imports as one user may; close one first",
            ),
            Self::Export => (
                "this server is writing as many exports as it takes; try again shortly",
                "you have as many exports under way as one user may; wait for one to finish",
            ),
        }
    }
}

pub(crate) struct Hub {
    pub(crate) config: WatchConfig,
    streams: Mutex<Streams>,
    stopping: CancellationToken,
    /// auth-service's revocation feed is up, so revocations poke the guards
    /// of the streams they may concern; token watches follow it to know how often
    /// to ask about their tokens themselves.
    fed: watch::Sender<bool>,
}

#[derive(Default)]
struct Streams {
    users: HashMap<Uuid, UserStreams>,
    /// Every open stream's token, by stream.
    tokens: HashMap<u64, StreamToken>,
    next_id: u64,
    open: [usize; StreamKind::COUNT],
}

/// The token a stream was opened with, as revocations name it.
struct StreamToken {
    caller: Caller,
    poke: Arc<Notify>,
}

impl StreamToken {
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
struct UserStreams {
    open: [usize; StreamKind::COUNT],
    /// Bumped whenever the user's list may have changed.
    list: watch::Sender<u64>,
    /// Bumped whenever one of the user's imports may have moved on.
    imports: watch::Sender<u64>,
}

impl Hub {
    /// A hub whose streams end when `stopping` is cancelled.
    pub(crate) fn new(config: WatchConfig, stopping: CancellationToken) -> Arc<Self> {
        Arc::new(Self {
            config,
            streams: Mutex::default(),
            stopping,
            fed: watch::Sender::new(false),
        })
    }

    /// Counts a new stream of `kind` of `caller` in, within its limits.
    pub(crate) fn open(
        self: &Arc<Self>,
        kind: StreamKind,
        caller: Caller,
    ) -> Result<Subscription, Error> {
        let user = caller.user_id;
        let limits = kind.limits(&self.config);
        let (replica_full, user_full) = kind.refusals();
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        if streams.open[kind.index()] >= limits.per_replica {
            return Err(Error::TooManyStreams(replica_full));
        }
        let mine = streams.users.entry(user).or_insert_with(|| UserStreams {
            open: [0; StreamKind::COUNT],
            list: watch::Sender::new(0),
            imports: watch::Sender::new(0),
        });
        if mine.open[kind.index()] >= limits.per_user {
            if mine.open == [0; StreamKind::COUNT] {
                streams.users.remove(&user);
            }
            return Err(Error::TooManyStreams(user_full));
        }
        mine.open[kind.index()] += 1;
        let list = mine.list.subscribe();
        let imports = mine.imports.subscribe();
        streams.open[kind.index()] += 1;
        let id = streams.next_id;
        streams.next_id += 1;
        let poke = Arc::new(Notify::new());
        streams.tokens.insert(
            id,
            StreamToken {
                caller,
                poke: poke.clone(),
            },
        );
        metrics::gauge!(name::OPEN_STREAMS, "rpc.method" => kind.method()).increment(1.0);
        Ok(Subscription {
            list,
            imports,
            poked: poke,
            caller,
            hub: self.clone(),
            kind,
            id,
        })
    }

    fn close(&self, user: Uuid, kind: StreamKind, id: u64) {
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        streams.tokens.remove(&id);
        if let Some(mine) = streams.users.get_mut(&user) {
            mine.open[kind.index()] -= 1;
            if mine.open == [0; StreamKind::COUNT] {
                streams.users.remove(&user);
            }
            streams.open[kind.index()] -= 1;
        }
    }

    /// Streams open here now.
    #[cfg(test)]
    fn open_streams(&self) -> usize {
        let streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        streams.open.iter().sum()
    }

    /// Pokes the token watches of the streams whose token a revocation may name
    /// (every stream's for one it cannot read); returns how many.
    pub(crate) fn revoked(&self, scope: Option<&Scope>) -> usize {
        let pokes: Vec<Arc<Notify>> = {
            let streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
            streams
                .tokens
                .values()
                .filter(|token| scope.is_none_or(|scope| token.named_by(scope)))
                .map(|token| token.poke.clone())
                .collect()
        };
        let poked = pokes.len();
        poke(pokes);
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
    /// rechecks once, as revocations made while it was down were not fed
    /// (spread out, as [`poke`] does).
    pub(crate) fn set_fed(&self, fed: bool) {
        self.fed.send_replace(fed);
        metrics::gauge!(name::REVOCATION_FEED).set(f64::from(u8::from(fed)));
        if fed {
            self.revoked(None);
        }
    }

    /// Completes once the service is shutting down.
    pub(crate) async fn stopped(&self) {
        self.stopping.cancelled().await;
    }
}

/// Pokes token watches so that they recheck their tokens: at once when they are a
/// few, or else in [`RECHECK_STEPS`] groups over [`RECHECK_SPREAD`] (a
/// revocation of everyone, or the feed's return), so that thousands of
/// streams do not ask auth-service in the same moment.
fn poke(pokes: Vec<Arc<Notify>>) {
    if pokes.len() <= RECHECK_STEPS as usize {
        pokes.iter().for_each(|poke| poke.notify_one());
    } else {
        tokio::spawn(poke_over(pokes, RECHECK_SPREAD));
    }
}

/// Pokes `pokes` in [`RECHECK_STEPS`] even groups over `spread`, the
/// first group at once.
async fn poke_over(pokes: Vec<Arc<Notify>>, spread: Duration) {
    let per_step = pokes.len().div_ceil(RECHECK_STEPS as usize);
    let mut steps = tokio::time::interval(spread / RECHECK_STEPS);
    for group in pokes.chunks(per_step) {
        steps.tick().await;
        group.iter().for_each(|poke| poke.notify_one());
    }
}

/// One open stream, woken when its user's list or imports may have
/// changed, its token watch poked when its token may have been revoked. Counted
/// out when dropped.
pub(crate) struct Subscription {
    pub(crate) list: watch::Receiver<u64>,
    pub(crate) imports: watch::Receiver<u64>,
    pub(crate) poked: Arc<Notify>,
    pub(crate) caller: Caller,
    pub(crate) kind: StreamKind,
    hub: Arc<Hub>,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.close(self.caller.user_id, self.kind, self.id);
        metrics::gauge!(name::OPEN_STREAMS, "rpc.method" => self.kind.method()).decrement(1.0);
    }
}

mod announcements;
#[cfg(test)]
mod tests;

//! Keeping episodes fresh. Any replica, every `refresh_poll`, claims a few
//! shows whose refresh is due and that someone tracks (a row lock skipped
//! by the others, then a lease), fetches each from its provider and writes
//! its whole list in one transaction; the next refresh is a day later for
//! a show still airing, a week for one that ended. A failed refresh keeps
//! what is stored and is tried again later, each failure in a row waiting
//! twice as long. A series seen for the first time is fetched at once
//! (`now`).

use std::time::Duration;

use chrono::Utc;
use completionist_common::db as common_db;
use rand::Rng;

use crate::{
    app::App,
    db::{
        self,
        episode_sources::{Claimed, SourceState},
    },
    domain::{Item, MediaKind, Reference, ShowStatus},
    error::Error,
    providers::ProviderError,
};

/// Who waits for a fetch, which decides what a replica that begins
/// stopping does with it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Waiting {
    /// A call: the fetch is finished (the drain bounds it).
    Caller,
    /// No one (the schedule, or a series just put on a list): the claim is
    /// given back for another replica, and none is taken once stopping.
    NoOne,
}

/// Fetches and stores `item`'s episodes now, unless another fetch of them
/// is under way (on this replica or another); answers whether it fetched.
async fn now(app: &App, item: &Item, waiting: Waiting) -> Result<bool, Error> {
    let Some(external_id) = item.external_id.clone() else {
        return Ok(false);
    };
    if waiting == Waiting::NoOne && app.shutdown.is_cancelled() {
        return Ok(false);
    }
    let lease = app.series.config.claim_lease;
    let claimed = {
        let mut conn = common_db::conn(&app.pool).await?;
        db::episode_sources::claim(&mut conn, item.id, lease).await?
    };
    let Some((show_id, failures, until)) = claimed else {
        return Ok(false);
    };
    let claimed = Claimed {
        item_id: item.id,
        reference: Reference {
            source: item.source,
            kind: item.kind,
            external_id,
        },
        show_id,
        failures,
        until,
    };
    match fetch(app, claimed, waiting).await {
        Fetch::Done(done) => done.map(|()| true),
        Fetch::Stopped => Ok(false),
    }
}

/// Fetches `item`'s episodes in the background at once (a series just put
/// on a list), if this replica has room for another such fetch; if not,
/// the schedule fetches them within a poll.
pub(crate) fn soon(app: &App, item: Item) {
    let has_episodes = matches!(item.kind, MediaKind::Series | MediaKind::Anime);
    if !has_episodes || item.external_id.is_none() {
        return;
    }
    let Ok(permit) = app.series.first_fetches.clone().try_acquire_owned() else {
        return;
    };
    let app = app.clone();
    tokio::spawn(async move {
        let _permit = permit;
        if let Err(error) = now(&app, &item, Waiting::NoOne).await {
            tracing::warn!(item = %item.id, %error, "first episode fetch failed; the schedule tries again");
        }
    });
}

/// How a claimed fetch ended.
enum Fetch {
    /// Fetched and stored, or failed (stored as a failure).
    Done(Result<(), Error>),
    /// The replica began stopping first: the claim was given back.
    Stopped,
}

/// Fetches `claimed` in a task of its own, so that a caller going away (a
/// cancelled request) does not cut it short and leave the show claimed
/// until its lease ends. A fetch no one waits for is given back instead
/// when the replica begins stopping, so that another takes it at once.
async fn fetch(app: &App, claimed: Claimed, waiting: Waiting) -> Fetch {
    let app = app.clone();
    let task = tokio::spawn(async move {
        let lease = (claimed.item_id, claimed.until);
        if waiting == Waiting::Caller {
            return Fetch::Done(refresh(&app, claimed).await);
        }
        tokio::select! {
            done = refresh(&app, claimed) => Fetch::Done(done),
            () = app.shutdown.cancelled() => {
                release(&app, &[lease]).await;
                Fetch::Stopped
            }
        }
    });
    task.await
        .unwrap_or_else(|e| Fetch::Done(Err(anyhow::anyhow!("episode fetch failed: {e}").into())))
}

/// Gives back claims this replica will not fetch (it is stopping).
async fn release(app: &App, claims: &[(uuid::Uuid, chrono::DateTime<Utc>)]) {
    let released = match common_db::conn(&app.pool).await {
        Ok(mut conn) => db::episode_sources::release(&mut conn, claims)
            .await
            .map_err(Error::from),
        Err(error) => Err(error.into()),
    };
    if let Err(error) = released {
        tracing::warn!(%error, "could not give back episode fetches; their leases run out instead");
    }
}

/// Refreshes the shows whose turn has come, until shutdown.
pub(crate) async fn run(app: App) {
    loop {
        let pause = jittered(app.series.config.refresh_poll);
        tokio::select! {
            () = app.shutdown.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
        loop {
            let claimed = match common_db::conn(&app.pool).await {
                Ok(mut conn) => {
                    db::episode_sources::claim_due(
                        &mut conn,
                        app.series.config.claim_batch,
                        app.series.config.claim_lease,
                    )
                    .await
                }
                Err(error) => {
                    tracing::warn!(%error, "no connection for episode refreshes");
                    break;
                }
            };
            let claimed = match claimed {
                Ok(claimed) if !claimed.is_empty() => claimed,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, "could not claim shows to refresh");
                    break;
                }
            };
            let mut claimed = claimed.into_iter();
            while let Some(show) = claimed.next() {
                let item = show.item_id;
                match fetch(&app, show, Waiting::NoOne).await {
                    Fetch::Done(Ok(())) => {}
                    Fetch::Done(Err(error)) => {
                        tracing::warn!(%item, %error, "episode refresh failed; trying again later");
                    }
                    Fetch::Stopped => {
                        let left: Vec<_> = claimed.map(|show| (show.item_id, show.until)).collect();
                        release(&app, &left).await;
                        return;
                    }
                }
            }
        }
    }
}

/// Fetches one show and stores what came back: its episodes, that the
/// provider has none, or the failure.
async fn refresh(app: &App, show: Claimed) -> Result<(), Error> {
    let config = &app.series.config;
    let Claimed {
        item_id,
        reference,
        show_id,
        failures,
        ..
    } = show;
    // Never fetched (no show found yet): someone may be waiting for it.
    let first = show_id.is_none();
    let found = app
        .providers
        .episodes(&reference, show_id.as_deref(), config.max_episodes)
        .await;
    let now = Utc::now();
    match found {
        Some(Ok(show)) => {
            let every = if show.status == ShowStatus::Ended {
                config.ended_every
            } else {
                config.running_every
            };
            let next = now + every;
            common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
                Box::pin(async move { Ok(db::episodes::store(conn, item_id, &show, next).await?) })
            })
            .await
        }
        None | Some(Err(ProviderError::NotFound { .. })) => {
            let next = now + config.ended_every;
            let mut conn = common_db::conn(&app.pool).await?;
            Ok(db::episode_sources::store_not_found(&mut conn, item_id, next).await?)
        }
        Some(Err(error)) => {
            let wait = backoff(config.retry_backoff, failures).min(config.running_every);
            let wait = if first {
                wait.min(backoff(FIRST_RETRY, failures))
            } else {
                wait
            };
            let mut conn = common_db::conn(&app.pool).await?;
            db::episode_sources::store_failure(&mut conn, item_id, &error.to_string(), now + wait)
                .await?;
            Err(error.into())
        }
    }
}

/// The first wait after a failed first fetch (doubling per failure, up to
/// the usual backoff).
const FIRST_RETRY: Duration = Duration::from_secs(30);

/// `base` doubled per failure in a row.
fn backoff(base: Duration, failures: i32) -> Duration {
    base.saturating_mul(2u32.saturating_pow(u32::try_from(failures).unwrap_or(0).min(16)))
}

/// `base` ± 20%, so replicas started together do not poll together.
fn jittered(base: Duration) -> Duration {
    base.mul_f64(rand::rng().random_range(0.8..1.2))
}

/// Where `item`'s episodes stand, fetching them first if they never were
/// (or waiting, a few seconds at most, for a fetch under way); `None` for
/// a series no provider lists (a custom one).
pub(super) async fn fetched(app: &App, item: &Item) -> Result<Option<SourceState>, Error> {
    if !matches!(item.kind, MediaKind::Series | MediaKind::Anime) {
        return Err(Error::NoEpisodes("only series and anime have episodes"));
    }
    let id = item.id;
    let read = || {
        common_db::read(&app.pool, |conn| {
            Box::pin(db::episode_sources::source(conn, id))
        })
    };
    let Some(mut source) = read().await? else {
        return Ok(None);
    };
    if source.refreshed_at.is_some() {
        return Ok(Some(source));
    }
    for _ in 0..WAITS {
        // Fetched here, or by whoever holds the fetch: read what it stored.
        if now(app, item, Waiting::Caller).await? {
            return Ok(read().await?);
        }
        // Not claimed: another fetch took it since the last read (a
        // series just put on a list is fetched in the background), or the
        // last one failed. Only a fresh read tells which.
        let Some(fresh) = read().await? else {
            return Ok(None);
        };
        source = fresh;
        let fetching = source
            .fetching_until
            .is_some_and(|until| until > Utc::now());
        if source.refreshed_at.is_some() || !fetching {
            // Fetched, or its last fetch failed and waits out its backoff:
            // what is stored (nothing yet) is the answer.
            return Ok(Some(source));
        }
        tokio::time::sleep(WAIT).await;
    }
    Ok(Some(source))
}

/// The status of `item`'s show, for a call that needs its episodes
/// (marking, unmarking, a scrobble). Episodes never fetched (the first
/// fetch still under way after [`fetched`]'s wait, or failed and waiting
/// to be tried again) are refused as unavailable, with when to try again,
/// rather than taken for a show without episodes.
pub(super) async fn fetched_status(app: &App, item: &Item) -> Result<ShowStatus, Error> {
    let Some(source) = fetched(app, item).await? else {
        return Ok(ShowStatus::NotFound);
    };
    if source.refreshed_at.is_some() {
        return Ok(source.status);
    }
    let now = Utc::now();
    let retry_at = match source.fetching_until {
        Some(until) if until > now => now + FETCHING_RETRY,
        _ => source.refresh_due_at,
    };
    let retry = (retry_at - now).to_std().unwrap_or_default();
    Err(Error::EpisodesNotFetched(
        retry.max(std::time::Duration::from_secs(1)),
    ))
}

/// How long, in all, a first look waits for another's fetch.
const WAIT: std::time::Duration = std::time::Duration::from_millis(200);
const WAITS: usize = 25;

/// When to try again while a first fetch is still under way.
const FETCHING_RETRY: chrono::TimeDelta = chrono::TimeDelta::seconds(2);

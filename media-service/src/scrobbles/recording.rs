//! Recording an event: what needs no match (another server user, a play
//! that is not a watch), a retried delivery (recorded once), then the
//! watch itself, in one transaction with the event's row: a movie
//! completed (or watched again), episodes marked. The same movie or episode
//! from a webhook within the dedupe window is a duplicate; marks made by
//! hand are not webhooks, and never make one.

use chrono::{DateTime, Utc};
use completionist_common::{db as common_db, error::ApiError};
use tonic::Code;
use uuid::Uuid;

use super::{
    matching::{self, Target},
    outcome::{Outcome, Recorded},
    played::{Event, Played},
    watching::{Added, add, watch_movie},
};
use crate::{
    app::App,
    db::{
        self, Conn,
        scrobbles::{EventRow, TokenUse},
    },
    domain::{ListStatus, MediaKind, ShowStatus},
    error::Error,
    series::{self, Selection},
};

/// Records `event`, delivered with `token`.
pub(crate) async fn record(app: &App, token: &TokenUse, event: Event) -> Result<Recorded, Error> {
    let user = token.user_id;
    let row = super::new_row(user, token.id, &event);
    if let Some(ignored) = ignored(token, &event) {
        return store_alone(app, row, ignored).await;
    }
    // A retried delivery, before any provider is asked.
    {
        let mut conn = common_db::conn(&app.pool).await?;
        if db::scrobbles::delivered(&mut conn, user, event.server.as_str(), &event.digest).await? {
            return Ok(Recorded::delivered_before());
        }
    }
    let target = matching::find(app, user, &event).await?;
    watch(app, user, Fresh::New(Box::new(row)), target, &event).await
}

/// Pins event `id`'s show to `user`'s `entry` (the event's season only,
/// with `season` and `offset`, unless both are 0), and records the event
/// again when it did not match; answers the event as it now stands.
pub(crate) async fn pin(
    app: &App,
    user: Uuid,
    id: Uuid,
    entry: Uuid,
    (season, offset): (i32, i32),
) -> Result<EventRow, Error> {
    let (row, entry) = {
        let mut conn = common_db::conn(&app.pool).await?;
        let row = db::scrobbles::event(&mut conn, user, id)
            .await?
            .ok_or(Error::ScrobbleEventNotFound)?;
        let entry = db::entries::find(&mut conn, user, entry)
            .await?
            .ok_or(Error::ListEntryNotFound)?;
        (row, entry)
    };
    let Some(event) = super::stored_event(&row) else {
        return Err(Error::NotPinnable("the event is of no media server"));
    };
    let Played::Episodes { season: theirs, .. } = event.played else {
        return Err(Error::NotPinnable(
            "only an event of a numbered episode can be pinned",
        ));
    };
    if !matches!(entry.item.kind, MediaKind::Series | MediaKind::Anime) {
        return Err(Error::NotPinnable(
            "a show can be pinned to a series or an anime only",
        ));
    }
    let whole_show = season == 0 && offset == 0;
    let (server_season, to) = if whole_show {
        (None, (entry.id, theirs, 0))
    } else {
        (Some(theirs), (entry.id, season, offset))
    };
    let (server, key) = (event.server.as_str(), event.show_key());
    common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            db::scrobble_pins::lock(conn, user).await?;
            Ok(db::scrobble_pins::set(conn, user, server, &key, server_season, to).await?)
        })
    })
    .await?;
    if Outcome::parse(&row.outcome) == Outcome::Unmatched {
        let target = matching::find(app, user, &event).await?;
        watch(app, user, Fresh::Again(row.id), target, &event).await?;
    }
    let mut conn = common_db::conn(&app.pool).await?;
    db::scrobbles::event(&mut conn, user, id)
        .await?
        .ok_or(Error::ScrobbleEventNotFound)
}

/// Why `event` is no watch to record, if it is not.
fn ignored(token: &TokenUse, event: &Event) -> Option<Recorded> {
    if let Some(only) = token.server_user.as_deref()
        && !only.eq_ignore_ascii_case(&event.server_user)
    {
        let why = format!(
            "played by “{}”; this token records {only}'s plays only",
            event.server_user
        );
        return Some(Recorded::new(Outcome::Ignored, why));
    }
    if !event.watched {
        let why = format!("“{}” is not the end of a watch", event.event);
        return Some(Recorded::new(Outcome::Ignored, why));
    }
    if event.played == Played::Other {
        return Some(Recorded::new(Outcome::Ignored, "not a movie or an episode"));
    }
    None
}

/// Stores `row` with `recorded` as its outcome, and nothing else.
async fn store_alone(app: &App, mut row: EventRow, recorded: Recorded) -> Result<Recorded, Error> {
    row.outcome = recorded.outcome.as_str().to_owned();
    row.reason.clone_from(&recorded.reason);
    let mut conn = common_db::conn(&app.pool).await?;
    if db::scrobbles::insert_event(&mut conn, &row).await? {
        Ok(recorded)
    } else {
        Ok(Recorded::delivered_before())
    }
}

/// An event's row: new (stored with its outcome), or stored already (its
/// outcome rewritten).
enum Fresh {
    New(Box<EventRow>),
    Again(Uuid),
}

/// Records `target`'s watch and the event's outcome, in one transaction.
async fn watch(
    app: &App,
    user: Uuid,
    fresh: Fresh,
    target: Result<Target, String>,
    event: &Event,
) -> Result<Recorded, Error> {
    let target = match target {
        Ok(target) => target,
        Err(why) => return unmatched(app, fresh, why).await,
    };
    // A show's episodes, fetched first if they never were (a show on the
    // list is tracked already).
    let status = match &target {
        Target::Episodes { item, entry, .. } => {
            match series::show_status(app, item, entry.is_none()).await {
                Ok(status) => status,
                Err(e) => {
                    let why = format!("its episodes could not be fetched ({e}); mark it by hand");
                    return unmatched(app, fresh, why).await;
                }
            }
        }
        Target::Movie(_) => ShowStatus::Unknown,
    };
    let since = Utc::now() - app.scrobbles.dedupe_window;
    let at = event.at;
    let recorded = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            match fresh {
                // Stored once, with its outcome; the same delivery stored
                // meanwhile by another call rolls this one's watch back.
                Fresh::New(mut row) => {
                    let (recorded, matched) =
                        apply(conn, user, target, status, (at, since)).await?;
                    row.outcome = recorded.outcome.as_str().to_owned();
                    row.reason.clone_from(&recorded.reason);
                    (row.list_entry_id, row.media_item_id) = matched.unzip();
                    if !db::scrobbles::insert_event(conn, &row).await? {
                        return Err(Error::ScrobbleDeliveredBefore);
                    }
                    Ok(recorded)
                }
                Fresh::Again(id) => {
                    if !db::scrobbles::lock_unmatched(conn, id).await? {
                        return Ok(Recorded::new(Outcome::Duplicate, "recorded already"));
                    }
                    let (recorded, matched) =
                        apply(conn, user, target, status, (at, since)).await?;
                    let (outcome, reason) = (recorded.outcome.as_str(), &recorded.reason);
                    db::scrobbles::set_outcome(conn, id, outcome, reason, matched).await?;
                    Ok(recorded)
                }
            }
        })
    })
    .await;
    match recorded {
        Err(Error::ScrobbleDeliveredBefore) => Ok(Recorded::delivered_before()),
        recorded => recorded,
    }
}

/// Records an event that matched nothing, with why.
async fn unmatched(app: &App, fresh: Fresh, why: String) -> Result<Recorded, Error> {
    let recorded = Recorded::new(Outcome::Unmatched, why);
    match fresh {
        Fresh::New(row) => store_alone(app, *row, recorded).await,
        Fresh::Again(id) => {
            let mut conn = common_db::conn(&app.pool).await?;
            let outcome = recorded.outcome.as_str();
            db::scrobbles::set_outcome(&mut conn, id, outcome, &recorded.reason, None).await?;
            Ok(recorded)
        }
    }
}

/// The watch of `target` at `at` (a duplicate of a webhook's since
/// `since`), and the entry and item it was recorded on.
async fn apply(
    conn: &mut Conn,
    user: Uuid,
    target: Target,
    status: ShowStatus,
    (at, since): (DateTime<Utc>, DateTime<Utc>),
) -> Result<(Recorded, Option<(Uuid, Uuid)>), Error> {
    Ok(match target {
        Target::Movie(item) => {
            let (recorded, entry) = watch_movie(conn, user, &item, at, since).await?;
            (recorded, entry.map(|e| (e, item.id)))
        }
        Target::Episodes {
            item,
            entry,
            season,
            first,
            last,
        } => {
            let entry = match entry {
                Some(entry) => entry,
                None => {
                    match add(conn, user, &item, ListStatus::InProgress, at.date_naive()).await? {
                        Added::New(entry) | Added::There(entry) => entry.id,
                    }
                }
            };
            let numbers = (season, first, last);
            let recorded = watch_episodes(conn, user, entry, numbers, (at, since), status).await?;
            (recorded, Some((entry, item.id)))
        }
    })
}

/// Episodes `first..=last` of `season` watched at `at` on `entry`. An
/// episode the show does not have leaves the event unmatched, with why.
async fn watch_episodes(
    conn: &mut Conn,
    user: Uuid,
    entry: Uuid,
    (season, first, last): (i32, i32, i32),
    (at, since): (DateTime<Utc>, DateTime<Utc>),
    status: ShowStatus,
) -> Result<Recorded, Error> {
    let label = if first == last {
        format!("S{season}E{first}")
    } else {
        format!("S{season}E{first}–E{last}")
    };
    if db::scrobbles::watched_since(conn, entry, Some(season), Some(first), since).await? {
        let why = format!("a webhook recorded {label} a short while ago");
        return Ok(Recorded::new(Outcome::Duplicate, why));
    }
    let selection = Selection::Episodes {
        ids: Vec::new(),
        numbers: (first..=last).map(|n| (season, n)).collect(),
    };
    // Numbers the show does not have are refused before anything is
    // written: the event is still recorded, unmatched.
    let marked = series::mark_in(conn, user, entry, &selection, at, status).await;
    Ok(match marked {
        Ok((_, 0)) => Recorded::new(Outcome::Duplicate, format!("{label} was watched already")),
        Ok(_) => Recorded::new(Outcome::Watched, label),
        Err(e) if e.code() == Code::InvalidArgument => {
            let why: Vec<String> = e
                .violations()
                .iter()
                .map(|v| v.description.clone())
                .collect();
            Recorded::new(
                Outcome::Unmatched,
                format!(
                    "{}; pin the show to say where its episodes are",
                    why.join("; ")
                ),
            )
        }
        Err(e) => return Err(e),
    })
}

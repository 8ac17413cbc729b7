//! Recording an event: a retried delivery (recorded once), what needs no
//! match (another server user, a play that is not a watch), then the
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
    domain::{ListStatus, ShowStatus},
    error::Error,
    series::{self, Selection},
};

/// Records `event`, delivered with `token`.
pub(crate) async fn record(app: &App, token: &TokenUse, event: Event) -> Result<Recorded, Error> {
    // A retried delivery, before any provider is asked.
    if token.delivered {
        return Ok(Recorded::delivered_before());
    }
    let user = token.user_id;
    let row = super::new_row(user, token.id, &event);
    if let Some(ignored) = ignored(token, &event) {
        return store_outcome(app, row, ignored).await;
    }
    let target = matching::find(app, user, &event, token.pinned).await?;
    watch(app, user, Row::Unsaved(Box::new(row)), target, &event).await
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
async fn store_outcome(
    app: &App,
    mut row: EventRow,
    recorded: Recorded,
) -> Result<Recorded, Error> {
    row.outcome = recorded.outcome.as_str().to_owned();
    row.reason.clone_from(&recorded.reason);
    let mut conn = common_db::conn(&app.pool).await?;
    if insert_event(&mut conn, &row).await? {
        Ok(recorded)
    } else {
        Ok(Recorded::delivered_before())
    }
}

/// Stores `row`; `false` when the same delivery was stored already. A
/// token deleted while its delivery was under way leaves the delivery
/// unknown (UNAUTHENTICATED), as a moment later it would have been.
async fn insert_event(conn: &mut Conn, row: &EventRow) -> Result<bool, Error> {
    use diesel::result::{DatabaseErrorKind, Error as DieselError};
    db::scrobbles::insert_event(conn, row)
        .await
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info)
                if info.constraint_name() == Some("scrobble_events_token_id_fkey") =>
            {
                Error::ScrobbleTokenUnknown
            }
            e => e.into(),
        })
}

/// An event's row: not saved yet (saved once, with its outcome), or saved
/// already (its outcome rewritten: a pin's second try).
pub(super) enum Row {
    Unsaved(Box<EventRow>),
    Saved(Uuid),
}

/// Records `target`'s watch and the event's outcome, in one transaction.
pub(super) async fn watch(
    app: &App,
    user: Uuid,
    row: Row,
    target: Result<Target, String>,
    event: &Event,
) -> Result<Recorded, Error> {
    let target = match target {
        Ok(target) => target,
        Err(why) => return unmatched(app, row, why).await,
    };
    // A show's episodes, fetched first if they never were (a show on the
    // list is tracked already).
    let status = match &target {
        Target::Episodes { item, entry, .. } => {
            match series::show_status(app, item, entry.is_none()).await {
                Ok(status) => status,
                Err(e) => {
                    let why = format!(
                        "its episodes could not be fetched ({e}); pin the show to try again"
                    );
                    return unmatched(app, row, why).await;
                }
            }
        }
        Target::Movie(_) => ShowStatus::Unknown,
    };
    let since = Utc::now() - app.scrobbles.dedupe_window;
    let at = event.at;
    let recorded = common_db::transaction::<_, Stopped, _>(&app.pool, move |conn| {
        Box::pin(async move {
            match row {
                // Stored once, with its outcome; the same delivery stored
                // meanwhile by another call rolls this one's watch back.
                Row::Unsaved(mut row) => {
                    let (recorded, matched) =
                        record_watch(conn, user, target, status, (at, since)).await?;
                    row.outcome = recorded.outcome.as_str().to_owned();
                    row.reason.clone_from(&recorded.reason);
                    (row.list_entry_id, row.media_item_id) = matched.unzip();
                    if !insert_event(conn, &row).await? {
                        return Err(Stopped::Raced);
                    }
                    Ok(recorded)
                }
                Row::Saved(id) => {
                    if !db::scrobbles::lock_unmatched(conn, id).await? {
                        return Ok(Recorded::new(Outcome::Duplicate, "recorded already"));
                    }
                    let (recorded, matched) =
                        record_watch(conn, user, target, status, (at, since)).await?;
                    let (outcome, reason) = (recorded.outcome.as_str(), &recorded.reason);
                    db::scrobbles::set_outcome(conn, id, outcome, reason, matched).await?;
                    Ok(recorded)
                }
            }
        })
    })
    .await;
    match recorded {
        Ok(recorded) => Ok(recorded),
        Err(Stopped::Raced) => Ok(Recorded::delivered_before()),
        Err(Stopped::Failed(e)) => Err(e),
    }
}

/// Why recording a new event's watch stopped: the same delivery was
/// stored meanwhile by another call (its retry), which rolls this call's
/// watch back; or an error.
enum Stopped {
    Raced,
    Failed(Error),
}

impl From<Error> for Stopped {
    fn from(e: Error) -> Self {
        Self::Failed(e)
    }
}

impl From<diesel::result::Error> for Stopped {
    fn from(e: diesel::result::Error) -> Self {
        Self::Failed(e.into())
    }
}

impl From<common_db::DbError> for Stopped {
    fn from(e: common_db::DbError) -> Self {
        Self::Failed(e.into())
    }
}

/// Records an event that matched nothing, with why.
async fn unmatched(app: &App, row: Row, why: String) -> Result<Recorded, Error> {
    let recorded = Recorded::new(Outcome::Unmatched, why);
    match row {
        Row::Unsaved(row) => store_outcome(app, *row, recorded).await,
        // Still unmatched: only its reason is new (a pin that matched it
        // meanwhile stands).
        Row::Saved(id) => {
            let mut conn = common_db::conn(&app.pool).await?;
            db::scrobbles::set_unmatched_reason(&mut conn, id, &recorded.reason).await?;
            Ok(recorded)
        }
    }
}

/// The watch of `target` at `at` (a duplicate of a webhook's since
/// `since`), and the entry and item it was recorded on (none when the
/// event is unmatched after all).
async fn record_watch(
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
            let numbers = (season, first, last);
            let entry = match entry {
                Some(entry) => entry,
                // A show not yet on the list is added only for episodes
                // it has: an unmatched event adds nothing.
                None => {
                    if let Err(e) = series::markable(conn, item.id, &numbered(numbers), at).await {
                        return Ok((not_there(e)?, None));
                    }
                    match add(conn, user, &item, ListStatus::InProgress, at.date_naive()).await? {
                        Added::New(entry) | Added::There(entry) => entry.id,
                    }
                }
            };
            let recorded = watch_episodes(conn, user, entry, numbers, (at, since), status).await?;
            let matched = (recorded.outcome != Outcome::Unmatched).then_some((entry, item.id));
            (recorded, matched)
        }
    })
}

/// Episodes `first..=last` of `season`.
fn numbered((season, first, last): (i32, i32, i32)) -> Selection {
    Selection::Episodes {
        ids: Vec::new(),
        numbers: (first..=last).map(|n| (season, n)).collect(),
    }
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
    // Numbers the show does not have are refused before anything is
    // written: the event is still recorded, unmatched.
    let selection = numbered((season, first, last));
    match series::mark_in(conn, user, entry, &selection, at, status).await {
        Ok((_, 0)) => Ok(Recorded::new(
            Outcome::Duplicate,
            format!("{label} was watched already"),
        )),
        Ok(_) => Ok(Recorded::new(Outcome::Watched, label)),
        Err(e) => not_there(e),
    }
}

/// The unmatched event for episode numbers the show does not have (an
/// INVALID_ARGUMENT from marking them); any other error as it is.
fn not_there(e: Error) -> Result<Recorded, Error> {
    if e.code() != Code::InvalidArgument {
        return Err(e);
    }
    let why: Vec<String> = e
        .violations()
        .iter()
        .map(|v| v.description.clone())
        .collect();
    Ok(Recorded::new(
        Outcome::Unmatched,
        format!(
            "{}; pin the show to say where its episodes are",
            why.join("; ")
        ),
    ))
}

//! What a webhook's watch writes to the list beside episodes: a movie
//! completed, watched again or put on the list completed; a show put on the
//! list in progress.

use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use super::outcome::{Outcome, Recorded};
use crate::{
    db::{self, Conn, runs::NewRun},
    domain::{Entry, EntryFields, Item, ListStatus, Progress, RunDates},
    error::Error,
    list::{insert_entry, record_run},
};

/// A movie watched at `at`: added completed, completed, or watched again.
pub(super) async fn watch_movie(
    conn: &mut Conn,
    user: Uuid,
    item: &Item,
    at: DateTime<Utc>,
    since: DateTime<Utc>,
) -> Result<(Recorded, Option<Uuid>), Error> {
    let day = at.date_naive();
    let found = match db::entries_by_item::of_item(conn, user, item.id).await? {
        Some(found) => found,
        None => match add(conn, user, item, ListStatus::Completed, day).await? {
            Added::New(entry) => {
                let why = "added to your list, completed";
                return Ok((Recorded::new(Outcome::Watched, why), Some(entry.id)));
            }
            Added::There(entry) => entry,
        },
    };
    let entry = db::entries::find_for_update(conn, user, found.id)
        .await?
        .ok_or(Error::ListEntryNotFound)?;
    if db::scrobbles::watched_since(conn, entry.id, None, None, since).await? {
        let why = "a webhook recorded this movie a short while ago";
        return Ok((Recorded::new(Outcome::Duplicate, why), Some(entry.id)));
    }
    if entry.fields.status == ListStatus::Completed {
        let dates = RunDates {
            start_date: Some(day),
            finish_date: Some(day),
        };
        db::runs::insert(conn, &NewRun::new(entry.id, dates, None)).await?;
        return Ok((
            Recorded::new(Outcome::Watched, "watched again"),
            Some(entry.id),
        ));
    }
    let fields = completed(Some(&entry.fields), item, day);
    let updated = db::entries::update(conn, entry.id, entry.item.clone(), &fields).await?;
    record_run(conn, updated, Some(&entry.fields)).await?;
    Ok((Recorded::new(Outcome::Watched, "completed"), Some(entry.id)))
}

/// What [`add`] found or made.
pub(super) enum Added {
    New(Entry),
    /// A delivery beside this one put the item on the list first.
    There(Entry),
}

/// `item` put on `user`'s list with `status` on `day`, in a savepoint: when
/// a delivery beside this one put it there first, its entry is answered
/// and the transaction goes on.
pub(super) async fn add(
    conn: &mut Conn,
    user: Uuid,
    item: &Item,
    status: ListStatus,
    day: NaiveDate,
) -> Result<Added, Error> {
    let fields = match status {
        ListStatus::Completed => completed(None, item, day),
        _ => EntryFields {
            status,
            start_date: Some(day),
            ..EntryFields::planned()
        },
    };
    let inserted = conn
        .transaction(async |conn| insert_entry(conn, user, item.clone(), &fields).await)
        .await;
    match inserted {
        Ok(entry) => Ok(Added::New(entry)),
        Err(Error::ListEntryExists) => db::entries_by_item::of_item(conn, user, item.id)
            .await?
            .map(Added::There)
            .ok_or(Error::ListEntryNotFound),
        Err(e) => Err(e),
    }
}

/// `before` (or a new entry's fields) completed on `day`.
fn completed(before: Option<&EntryFields>, item: &Item, day: NaiveDate) -> EntryFields {
    let mut fields = before.cloned().unwrap_or_else(EntryFields::planned);
    fields.status = ListStatus::Completed;
    fields.finish_date = Some(day);
    fields.start_date = fields
        .start_date
        .filter(|start| *start <= day)
        .or(Some(day));
    if let Some(total) = item.total_units.and_then(|t| Progress::parse(t).ok()) {
        fields.progress = fields.progress.max(total);
    }
    fields
}

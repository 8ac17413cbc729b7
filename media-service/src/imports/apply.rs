//! Applying a batch of rows to one user's list, in the caller's
//! transaction: the items made or found, the entries created or changed
//! under the conflict policy, the runs added unless already there, and each
//! row's outcome. Entries are locked, so a user's own edits and the import
//! take turns.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use self::catalog::{ItemKey, file_item, items, key};
use super::{
    Outcome, Policy,
    formats::{Parsed, Record},
};
use crate::{
    db::{self, Conn, entries::NewEntry, runs::NewRun},
    domain::{EntryFields, FileItem, Item, ListStatus, Notes, Progress, Rating, RunDates},
};

/// One row's outcome: its number, what happened, why, and the entry.
pub(super) type RowOutcome = (i32, Outcome, String, Option<Uuid>);

/// An entry as the batch leaves it.
struct Slot {
    id: Uuid,
    fields: EntryFields,
    /// The file's text of an item the provider has not confirmed.
    file_item: Option<FileItem>,
    created: bool,
    changed: bool,
}

/// Applies `rows` (in row order) to `user`'s list.
pub(super) async fn apply(
    conn: &mut Conn,
    user: Uuid,
    policy: Policy,
    rows: Vec<(i32, Parsed)>,
) -> Result<Vec<RowOutcome>, diesel::result::Error> {
    let items = items(conn, user, &rows).await?;
    let item_ids: Vec<Uuid> = items.values().map(|i| i.id).collect();
    let mut slots: HashMap<Uuid, Slot> = db::entries::of_items_for_update(conn, user, &item_ids)
        .await?
        .into_iter()
        .map(|(id, item, fields)| {
            let slot = Slot {
                id,
                fields,
                file_item: None,
                created: false,
                changed: false,
            };
            (item, slot)
        })
        .collect();
    let existing: Vec<Uuid> = slots.values().map(|s| s.id).collect();
    let mut seen: HashSet<(Uuid, String)> = HashSet::new();
    for (entry, id, origin) in db::runs::keys(conn, &existing).await? {
        seen.insert((entry, format!("{}:{id}", super::formats::ours::FORMAT)));
        seen.extend(origin.map(|o| (entry, o)));
    }
    let mut runs = Vec::new();
    let outcomes = rows
        .into_iter()
        .map(|(row, parsed)| {
            let (outcome, why, entry) =
                decide(parsed, &items, &mut slots, policy, &mut seen, &mut runs);
            (row, outcome, why, entry)
        })
        .collect();
    write(conn, user, &slots, &runs).await?;
    Ok(outcomes)
}

/// One row's outcome, with the entry and runs it changes.
fn decide(
    parsed: Parsed,
    items: &HashMap<ItemKey, Item>,
    slots: &mut HashMap<Uuid, Slot>,
    policy: Policy,
    seen: &mut HashSet<(Uuid, String)>,
    runs: &mut Vec<NewRun>,
) -> (Outcome, String, Option<Uuid>) {
    let record = match parsed {
        Parsed::Record(record) => record,
        Parsed::Skipped(why) => return (Outcome::Skipped, why, None),
        Parsed::Failed(why) => return (Outcome::Failed, why, None),
    };
    let Some(item) = items.get(&key(&record.target)) else {
        return (Outcome::Failed, "the item could not be found".into(), None);
    };
    let fields = match fields(&record, item) {
        Ok(fields) => fields,
        Err(why) => return (Outcome::Failed, why, None),
    };
    let (outcome, why, slot) = settle(slots, item.id, policy, fields);
    if outcome == Outcome::Skipped {
        return (outcome, why, Some(slot.id));
    }
    if let Some(text) = file_item(&record.target, item) {
        slot.file_item = Some(text);
    }
    let new = new_runs(&record, slot.id, seen);
    let outcome = if outcome == Outcome::Unchanged && !new.is_empty() {
        slot.changed = true;
        Outcome::Updated
    } else {
        outcome
    };
    runs.extend(new);
    (outcome, why, Some(slot.id))
}

/// What the row does to the item's entry under `policy`.
fn settle(
    slots: &mut HashMap<Uuid, Slot>,
    item: Uuid,
    policy: Policy,
    file: EntryFields,
) -> (Outcome, String, &mut Slot) {
    use std::collections::hash_map::Entry as Vacancy;
    match slots.entry(item) {
        Vacancy::Vacant(vacant) => {
            let slot = vacant.insert(Slot {
                id: Uuid::now_v7(),
                fields: file,
                file_item: None,
                created: true,
                changed: false,
            });
            (Outcome::Created, String::new(), slot)
        }
        Vacancy::Occupied(occupied) => {
            let slot = occupied.into_mut();
            let wanted = match policy {
                Policy::Skip | Policy::Overwrite => file,
                Policy::Merge => merge(&slot.fields, &file),
            };
            if wanted == slot.fields {
                (Outcome::Unchanged, String::new(), slot)
            } else if policy == Policy::Skip {
                (Outcome::Skipped, "already on your list".into(), slot)
            } else {
                slot.fields = wanted;
                slot.changed = true;
                (Outcome::Updated, String::new(), slot)
            }
        }
    }
}

/// MERGE: the greater progress, the later dates, the status of the side
/// further along (completed wins), and the file's rating and notes only
/// where the entry has none.
fn merge(entry: &EntryFields, file: &EntryFields) -> EntryFields {
    let file_ahead = file.progress > entry.progress
        || (file.status == ListStatus::Completed && entry.status != ListStatus::Completed);
    EntryFields {
        status: if file_ahead {
            file.status
        } else {
            entry.status
        },
        rating: entry.rating.or(file.rating),
        progress: entry.progress.max(file.progress),
        notes: if entry.notes.as_str().is_empty() {
            file.notes.clone()
        } else {
            entry.notes.clone()
        },
        start_date: entry.start_date.max(file.start_date),
        finish_date: entry.finish_date.max(file.finish_date),
    }
}

/// The runs of `record` the entry does not have yet.
fn new_runs(record: &Record, entry: Uuid, seen: &mut HashSet<(Uuid, String)>) -> Vec<NewRun> {
    record
        .runs
        .iter()
        .filter(|run| seen.insert((entry, run.origin.clone())))
        .map(|run| {
            let dates = RunDates {
                start_date: run.start_date,
                finish_date: run.finish_date,
            };
            NewRun::new(entry, dates, Some(run.origin.clone()))
        })
        .collect()
}

/// The entry fields a record asks for, or why it cannot be an entry of
/// `item` (the checks a user's own edit gets).
fn fields(record: &Record, item: &Item) -> Result<EntryFields, String> {
    let rating = record
        .rating
        .map(|r| Rating::parse(r.into()))
        .transpose()
        .map_err(|why| format!("rating {why}"))?;
    let progress = Progress::parse(record.progress).map_err(|why| format!("progress {why}"))?;
    if let Some(total) = item.total_units
        && progress.get() > total
    {
        return Err(format!(
            "progress {} is past the item's {total} units",
            progress.get()
        ));
    }
    Ok(EntryFields {
        status: record.status,
        rating,
        progress,
        notes: Notes::parse(&record.notes).map_err(|why| format!("notes {why}"))?,
        start_date: record.start_date,
        finish_date: record.finish_date,
    })
}

async fn write(
    conn: &mut Conn,
    user: Uuid,
    slots: &HashMap<Uuid, Slot>,
    runs: &[NewRun],
) -> Result<(), diesel::result::Error> {
    let created: Vec<NewEntry<'_>> = slots
        .iter()
        .filter(|(_, s)| s.created)
        .map(|(item, s)| NewEntry {
            id: s.id,
            item: *item,
            fields: &s.fields,
            file_item: s.file_item.as_ref(),
        })
        .collect();
    db::entries::insert_all(conn, user, &created).await?;
    for slot in slots.values().filter(|s| !s.created) {
        if slot.changed {
            db::entries::overwrite(conn, slot.id, &slot.fields).await?;
        }
        if let Some(file_item) = &slot.file_item {
            db::entries::set_file_item(conn, slot.id, file_item).await?;
        }
    }
    db::runs::insert_new(conn, runs).await?;
    Ok(())
}

mod catalog;
#[cfg(test)]
mod tests;

//! Applying a batch of rows to one user's list, in the caller's
//! transaction: the items made or found, the entries created or changed
//! under the conflict policy, the runs added unless already there, episode
//! watches kept until they can be matched, and each row's outcome. Entries are locked, so a user's own edits and the import
//! take turns.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use self::catalog::{ItemKey, file_item, items, key};
use super::{
    Outcome, Policy, RowResult,
    formats::{Parsed, Record, RecordWatch},
};
use crate::{
    db::{self, Conn, entries::NewEntry, runs::NewRun},
    domain::{
        EntryFields, FileItem, Item, ListStatus, MediaKind, Notes, Progress, Rating, RunDates,
        Source,
    },
};

/// An entry as the batch leaves it (written once, after every row).
struct EntryDraft {
    id: Uuid,
    fields: EntryFields,
    /// The file's text of an item the provider has not confirmed.
    file_item: Option<FileItem>,
    created: bool,
    changed: bool,
}

/// What rows add beside their entries' fields.
#[derive(Default)]
struct Additions {
    runs: Vec<NewRun>,
    /// Each entry's episode watches, with its item.
    watches: Vec<(Uuid, Uuid, Vec<RecordWatch>)>,
}

/// Applies `rows` (in row order) to `user`'s list.
pub(super) async fn apply(
    conn: &mut Conn,
    user: Uuid,
    policy: Policy,
    rows: Vec<(i32, Parsed)>,
) -> Result<Vec<RowResult>, diesel::result::Error> {
    db::imports::lock_batches_of(conn, user).await?;
    let items = items(conn, user, &rows).await?;
    let item_ids: Vec<Uuid> = items.values().map(|i| i.id).collect();
    let mut drafts: HashMap<Uuid, EntryDraft> =
        db::entries::of_items_for_update(conn, user, &item_ids)
            .await?
            .into_iter()
            .map(|(id, item, fields)| {
                let draft = EntryDraft {
                    id,
                    fields,
                    file_item: None,
                    created: false,
                    changed: false,
                };
                (item, draft)
            })
            .collect();
    let existing: Vec<Uuid> = drafts.values().map(|s| s.id).collect();
    let mut seen: HashSet<(Uuid, String)> = HashSet::new();
    for (entry, id, origin) in db::runs::keys(conn, &existing).await? {
        seen.insert((entry, format!("{}:{id}", super::formats::ours::FORMAT)));
        seen.extend(origin.map(|o| (entry, o)));
    }
    let mut additions = Additions::default();
    let outcomes = rows
        .into_iter()
        .map(|(row, parsed)| {
            let (outcome, message, entry) = apply_row(
                parsed,
                &items,
                &mut drafts,
                policy,
                &mut seen,
                &mut additions,
            );
            RowResult {
                row,
                outcome,
                message,
                entry,
            }
        })
        .collect();
    write(conn, user, &drafts, &additions).await?;
    Ok(outcomes)
}

/// One row's outcome, with the entry and runs it changes.
fn apply_row(
    parsed: Parsed,
    items: &HashMap<ItemKey, Item>,
    drafts: &mut HashMap<Uuid, EntryDraft>,
    policy: Policy,
    seen: &mut HashSet<(Uuid, String)>,
    additions: &mut Additions,
) -> (Outcome, String, Option<Uuid>) {
    let mut record = match parsed {
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
    let (outcome, why, draft) = resolve_conflict(drafts, item.id, policy, fields);
    if outcome == Outcome::Skipped {
        return (outcome, why, Some(draft.id));
    }
    if let Some(text) = file_item(&record.target, item) {
        draft.file_item = Some(text);
    }
    let new = new_runs(&record, draft.id, seen);
    let outcome = if outcome == Outcome::Unchanged && !new.is_empty() {
        draft.changed = true;
        Outcome::Updated
    } else {
        outcome
    };
    additions.runs.extend(new);
    // Only a provider's series or anime has episodes to match them to.
    let has_episodes =
        matches!(item.kind, MediaKind::Series | MediaKind::Anime) && item.source != Source::Custom;
    let latest = chrono::Utc::now() + chrono::TimeDelta::days(1);
    let mut watches = std::mem::take(&mut record.episode_watches);
    watches.retain(|w| w.watched_at <= latest);
    if has_episodes && !watches.is_empty() {
        additions.watches.push((draft.id, item.id, watches));
    }
    (outcome, why, Some(draft.id))
}

/// What the row does to the item's entry under `policy`.
fn resolve_conflict(
    drafts: &mut HashMap<Uuid, EntryDraft>,
    item: Uuid,
    policy: Policy,
    file: EntryFields,
) -> (Outcome, String, &mut EntryDraft) {
    use std::collections::hash_map::Entry as MapEntry;
    match drafts.entry(item) {
        MapEntry::Vacant(vacant) => {
            let draft = vacant.insert(EntryDraft {
                id: Uuid::now_v7(),
                fields: file,
                file_item: None,
                created: true,
                changed: false,
            });
            (Outcome::Created, String::new(), draft)
        }
        MapEntry::Occupied(occupied) => {
            let draft = occupied.into_mut();
            let wanted = match policy {
                Policy::Skip | Policy::Overwrite => file,
                Policy::Merge => merge(&draft.fields, &file),
            };
            if wanted == draft.fields {
                (Outcome::Unchanged, String::new(), draft)
            } else if policy == Policy::Skip {
                (Outcome::Skipped, "already on your list".into(), draft)
            } else {
                draft.fields = wanted;
                draft.changed = true;
                (Outcome::Updated, String::new(), draft)
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
    drafts: &HashMap<Uuid, EntryDraft>,
    additions: &Additions,
) -> Result<(), diesel::result::Error> {
    let created: Vec<NewEntry<'_>> = drafts
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
    for draft in drafts.values().filter(|s| !s.created) {
        if draft.changed {
            db::entries::overwrite(conn, draft.id, &draft.fields).await?;
        }
        if let Some(file_item) = &draft.file_item {
            db::entries::set_file_item(conn, draft.id, file_item).await?;
        }
    }
    db::runs::insert_new(conn, &additions.runs).await?;
    for (entry, _, watches) in &additions.watches {
        db::pending_watches::add_pending(conn, user, *entry, watches).await?;
    }
    let shows: Vec<Uuid> = additions.watches.iter().map(|(_, item, _)| *item).collect();
    if !shows.is_empty() {
        db::pending_watches::match_pending(conn, &shows).await?;
    }
    Ok(())
}

mod catalog;
#[cfg(test)]
mod tests;

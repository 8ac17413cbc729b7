//! Each user's list: AddListEntry, UpdateListEntry, RemoveListEntry,
//! GetListEntry, ListListEntries, and GetListStats (`stats`); the rule of
//! what completing an entry fills in lives in `rules`.

pub(crate) mod rules;
mod runs;
mod stats;

use chrono::NaiveDate;
use completionist_common::{
    db as common_db,
    paging::{Page, PageSize},
};
use completionist_proto::media as pb;
use tonic::Request;
use uuid::Uuid;

pub(crate) use self::{
    runs::{
        NewRunRequest, RunListing, RunUpdate, create_list_entry_run, delete_list_entry_run,
        list_list_entry_runs, update_list_entry_run,
    },
    stats::{Stats, get_list_stats},
};
use crate::{
    app::{App, Caller},
    catalog::{confirmed, find_imported, new_item},
    db::{
        self,
        listing::{EntryFilter, EntryPosition},
    },
    domain::{Entry, EntryFields, Item, ListStatus, Notes, Progress, Rating, Reference},
    error::Error,
    series,
};

/// What AddListEntry adds.
#[derive(Debug)]
pub(crate) enum Target {
    Item(Uuid),
    Reference(Reference),
}

/// An AddListEntry request.
pub(crate) struct NewEntry {
    pub(crate) target: Target,
    pub(crate) fields: EntryFields,
}

/// UpdateListEntry's target and masked changes; `None` leaves a field
/// alone.
#[derive(Debug, Default)]
pub(crate) struct EntryUpdate {
    pub(crate) id: Uuid,
    pub(crate) status: Option<ListStatus>,
    pub(crate) rating: Option<Option<Rating>>,
    pub(crate) progress: Option<Progress>,
    /// Added to the stored progress (see [`EntryUpdate::resolved`]).
    pub(crate) progress_increment: i32,
    pub(crate) notes: Option<Notes>,
    pub(crate) start_date: Option<Option<NaiveDate>>,
    pub(crate) finish_date: Option<Option<NaiveDate>>,
}

impl EntryUpdate {
    /// The update with its increment turned into the progress it makes of
    /// `before`'s, read under the entry's lock.
    fn resolved(mut self, before: &EntryFields) -> Result<Self, Error> {
        if self.progress_increment != 0 {
            let progress = before
                .progress
                .get()
                .saturating_add(self.progress_increment);
            self.progress = Some(Progress::parse(progress).map_err(|why| {
                Error::invalid(
                    "progress_increment",
                    format!("would make progress {progress}: {why}"),
                )
            })?);
            self.progress_increment = 0;
        }
        Ok(self)
    }
}

/// A ListListEntries request.
pub(crate) struct EntryListing {
    pub(crate) size: PageSize,
    pub(crate) page_token: String,
    pub(crate) filter: EntryFilter,
}

/// Puts an item on the caller's list; a provider item is imported on the
/// way, in the same transaction, so a refused entry leaves no item.
pub(crate) async fn add_list_entry(
    app: &App,
    request: Request<pb::AddListEntryRequest>,
) -> Result<pb::AddListEntryResponse, Error> {
    let caller = Caller::of(&request)?;
    let NewEntry { target, fields } = NewEntry::try_from(request.into_inner())?;
    let candidate = match &target {
        Target::Reference(reference) => match find_imported(app, reference).await? {
            None => Some(app.providers.details(reference).await?),
            // Made from someone's import file: the provider's word first.
            Some(item) => {
                confirmed(app, item).await?;
                None
            }
        },
        Target::Item(_) => None,
    };
    let entry = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            let item = match (&target, &candidate) {
                (_, Some(candidate)) => Some(
                    db::items::find_or_insert(conn, new_item(candidate))
                        .await?
                        .item,
                ),
                (Target::Item(id), None) => db::items::find(conn, caller.user_id, *id).await?,
                (Target::Reference(reference), None) => {
                    db::items::find_by_reference(conn, reference).await?
                }
            }
            .ok_or(Error::MediaNotFound)?;
            let fields = rules::complete(fields, None, &item);
            rules::check(&fields, &item, "")?;
            insert_entry(conn, caller.user_id, item, &fields).await
        })
    })
    .await?;
    crate::series::refresh::soon(app, entry.item.clone());
    Ok(pb::AddListEntryResponse {
        list_entry: Some(entry.into()),
    })
}

/// Applies the masked changes to one of the caller's entries under a row
/// lock. Completing fills progress and the finish date when absent.
pub(crate) async fn update_list_entry(
    app: &App,
    request: Request<pb::UpdateListEntryRequest>,
) -> Result<pb::UpdateListEntryResponse, Error> {
    let caller = Caller::of(&request)?;
    let update = EntryUpdate::try_from(request.into_inner())?;
    let entry = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            let Entry {
                id, fields, item, ..
            } = db::entries::find_for_update(conn, caller.user_id, update.id)
                .await?
                .ok_or(Error::ListEntryNotFound)?;
            let update = update.resolved(&fields)?;
            let changed = rules::apply(&fields, &update);
            let changed = rules::restart(changed, &fields, &update);
            let changed = rules::start(changed, &fields, &update);
            let changed = rules::complete(changed, Some((&fields, &update)), &item);
            rules::check(&changed, &item, "list_entry.")?;
            // A rewatch: the episodes watched from now on are the next run's.
            if fields.status == ListStatus::Completed && changed.status == ListStatus::InProgress {
                db::watches::begin_run(conn, id).await?;
            }
            let entry = db::entries::update(conn, id, item, &changed).await?;
            record_run(conn, entry, Some(&fields)).await
        })
    })
    .await?;
    Ok(pb::UpdateListEntryResponse {
        list_entry: Some(entry.into()),
    })
}

/// `item` put on `user`'s list with `fields`, its first run recorded;
/// LIST_ENTRY_EXISTS when it is there already.
pub(crate) async fn insert_entry(
    conn: &mut db::Conn,
    user: Uuid,
    item: Item,
    fields: &EntryFields,
) -> Result<Entry, Error> {
    let entry = db::entries::insert(conn, user, item, fields)
        .await
        .map_err(|e| {
            if common_db::is_unique_violation(&e, db::entries::USER_ITEM_KEY) {
                Error::ListEntryExists
            } else {
                Error::from(e)
            }
        })?;
    record_run(conn, entry, None).await
}

/// `entry` (just written, its fields changed from `before`) with the run
/// its change finished, if it finished one.
pub(crate) async fn record_run(
    conn: &mut db::Conn,
    mut entry: Entry,
    before: Option<&EntryFields>,
) -> Result<Entry, Error> {
    if let Some(dates) = rules::finished_run(before, &entry.fields) {
        db::runs::insert(conn, &db::runs::NewRun::new(entry.id, dates, None)).await?;
        entry.completion_count += 1;
    }
    Ok(entry)
}

pub(crate) async fn remove_list_entry(
    app: &App,
    request: Request<pb::RemoveListEntryRequest>,
) -> Result<pb::RemoveListEntryResponse, Error> {
    let caller = Caller::of(&request)?;
    let pb::RemoveListEntryRequest { id } = request.into_inner();
    let id = crate::domain::parse_id(&id).map_err(|why| Error::invalid("id", why))?;
    let mut conn = common_db::conn(&app.pool).await?;
    if !db::entries::delete(&mut conn, caller.user_id, id).await? {
        return Err(Error::ListEntryNotFound);
    }
    Ok(pb::RemoveListEntryResponse {})
}

pub(crate) async fn get_list_entry(
    app: &App,
    request: Request<pb::GetListEntryRequest>,
) -> Result<pb::GetListEntryResponse, Error> {
    let caller = Caller::of(&request)?;
    let pb::GetListEntryRequest { id } = request.into_inner();
    let id = crate::domain::parse_id(&id).map_err(|why| Error::invalid("id", why))?;
    let entry = common_db::read(&app.pool, |conn| {
        Box::pin(async move {
            let Some(entry) = db::entries::find(conn, caller.user_id, id).await? else {
                return Ok(None);
            };
            let mut progress = series::progress_of(conn, std::slice::from_ref(&entry)).await?;
            Ok(Some(series::shown(entry, &mut progress)))
        })
    })
    .await?
    .ok_or(Error::ListEntryNotFound)?;
    Ok(pb::GetListEntryResponse {
        list_entry: Some(entry),
    })
}

pub(crate) async fn list_list_entries(
    app: &App,
    request: Request<pb::ListListEntriesRequest>,
) -> Result<pb::ListListEntriesResponse, Error> {
    let caller = Caller::of(&request)?;
    let EntryListing {
        size,
        page_token,
        filter,
    } = EntryListing::try_from(request.into_inner())?;
    let me = caller.user_id.to_string();
    let after = app
        .page_tokens
        .open::<_, EntryPosition>(&page_token, &me, &filter)?;
    let (head, entries, mut progress) = common_db::read(&app.pool, |conn| {
        let after = after.clone();
        Box::pin(async move {
            // Head first: a change committed meanwhile is in the page and
            // after this position both, never in neither.
            let head = db::changes::head(conn, caller.user_id).await?;
            let entries =
                db::listing::list(conn, caller.user_id, filter, after, size.limit()).await?;
            let progress = series::progress_of(conn, &entries).await?;
            Ok((head, entries, progress))
        })
    })
    .await?;
    let page = Page::from_rows(entries, size, |entry| {
        let position = EntryPosition::of(entry, filter.order);
        app.page_tokens.seal(&me, &filter, &position)
    });
    Ok(pb::ListListEntriesResponse {
        list_entries: page
            .items
            .into_iter()
            .map(|entry| series::shown(entry, &mut progress))
            .collect(),
        next_page_token: page.next_page_token,
        resume_token: crate::watch::resume_token(head.seq),
    })
}

//! What media-service does, as plain async methods over domain types; the
//! gRPC layer (`service.rs`) only converts to and from protobuf.

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, NaiveDate, Utc};
use completionist_common::{
    db::{self as common_db, Pool},
    page_token,
};
use tonic_types::FieldViolation;
use uuid::Uuid;

use crate::{
    auth::Caller,
    db::{self, EntryChanges, EntryOrder, EntryPosition, EntryRow, ItemRow, NewEntry, NewItem},
    domain::{ListStatus, MediaKind, Rating, Reference, Source},
    error::Error,
    providers::{Candidate, Providers},
};

/// The state every call shares. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pool: Pool,
    providers: Arc<Providers>,
}

/// Search results with the catalog ids of those already imported.
pub struct SearchResults {
    pub items: Vec<(Candidate, Option<Uuid>)>,
    pub next_page_token: String,
    pub total: i64,
}

/// Where SearchMedia resumes: the provider's page of this same search.
#[derive(serde::Serialize, serde::Deserialize)]
struct SearchCursor {
    kind: MediaKind,
    query: String,
    page: u32,
}

/// Where ListMediaItems resumes, and for which filters.
#[derive(serde::Serialize, serde::Deserialize)]
struct ItemCursor {
    kind: Option<MediaKind>,
    title: Option<String>,
    created_at: DateTime<Utc>,
    id: Uuid,
}

/// Where ListListEntries resumes, and for which filters and order.
#[derive(serde::Serialize, serde::Deserialize)]
struct EntryCursor {
    status: Option<ListStatus>,
    kind: Option<MediaKind>,
    order: EntryOrder,
    position: EntryPosition,
}

/// A custom catalog item, validated.
#[derive(Debug)]
pub struct NewCustomItem {
    pub kind: MediaKind,
    pub title: String,
    pub year: Option<i32>,
    pub image_url: String,
    pub summary: String,
    pub total_units: Option<i32>,
}

/// What AddListEntry adds.
#[derive(Debug)]
pub enum Target {
    Item(Uuid),
    Reference(Reference),
}

/// The user-editable fields of an entry.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryFields {
    pub status: ListStatus,
    pub rating: Option<Rating>,
    pub progress: i32,
    pub notes: String,
    pub start_date: Option<NaiveDate>,
    pub finish_date: Option<NaiveDate>,
}

/// UpdateListEntry's masked changes; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct EntryUpdate {
    pub status: Option<ListStatus>,
    pub rating: Option<Option<Rating>>,
    pub progress: Option<i32>,
    pub notes: Option<String>,
    pub start_date: Option<Option<NaiveDate>>,
    pub finish_date: Option<Option<NaiveDate>>,
}

/// Counts over one user's list.
pub struct Stats {
    pub total: i64,
    pub by_status: Vec<(ListStatus, i64)>,
    pub by_kind: Vec<(MediaKind, i64)>,
    pub mean_rating: Option<f64>,
    pub completed_fraction: f64,
}

/// OMDb serves at most 100 pages; nobody reads further.
const MAX_SEARCH_PAGE: u32 = 100;

impl App {
    pub fn new(pool: Pool, providers: Arc<Providers>) -> Self {
        Self { pool, providers }
    }

    pub async fn search(
        &self,
        kind: MediaKind,
        query: &str,
        page_token: &str,
    ) -> Result<SearchResults, Error> {
        let page = match page_token::decode::<SearchCursor>(page_token).map_err(invalid_token)? {
            None => 1,
            Some(c) if c.kind == kind && c.query == query => c.page,
            Some(_) => {
                return Err(Error::invalid(
                    "page_token",
                    "was issued for another search",
                ));
            }
        };
        let found = self.providers.search(kind, query, page).await?;
        let ids: Vec<&str> = found
            .items
            .iter()
            .map(|c| c.reference.external_id.as_str())
            .collect();
        let imported: HashMap<String, Uuid> = {
            let mut conn = common_db::conn(&self.pool).await?;
            db::imported_ids(&mut conn, kind.provider().as_str(), kind.as_str(), &ids)
                .await?
                .into_iter()
                .collect()
        };
        let next_page_token = if found.has_more && page < MAX_SEARCH_PAGE {
            page_token::encode(&SearchCursor {
                kind,
                query: query.to_owned(),
                page: page + 1,
            })
        } else {
            String::new()
        };
        Ok(SearchResults {
            items: found
                .items
                .iter()
                .map(|c| (c.clone(), imported.get(&c.reference.external_id).copied()))
                .collect(),
            next_page_token,
            total: found.total,
        })
    }

    /// Finds or creates the catalog item of a provider item. The provider is
    /// asked only when the item is new; concurrent imports make one row.
    pub async fn import(&self, reference: &Reference) -> Result<(ItemRow, bool), Error> {
        if let Some(item) = self.find_imported(reference).await? {
            return Ok((item, false));
        }
        let candidate = self.providers.details(reference).await?;
        let mut conn = common_db::conn(&self.pool).await?;
        Ok(db::find_or_insert_item(&mut conn, new_item(&candidate)).await?)
    }

    async fn find_imported(&self, reference: &Reference) -> Result<Option<ItemRow>, Error> {
        let mut conn = common_db::conn(&self.pool).await?;
        Ok(db::find_item_by_reference(
            &mut conn,
            reference.source.as_str(),
            reference.kind.as_str(),
            &reference.external_id,
        )
        .await?)
    }

    pub async fn get_item(&self, id: Uuid) -> Result<ItemRow, Error> {
        let mut conn = common_db::conn(&self.pool).await?;
        db::find_item(&mut conn, id)
            .await?
            .ok_or(Error::MediaNotFound)
    }

    pub async fn list_items(
        &self,
        kind: Option<MediaKind>,
        title: Option<String>,
        page_size: i64,
        page_token: &str,
    ) -> Result<(Vec<ItemRow>, String), Error> {
        let after = match page_token::decode::<ItemCursor>(page_token).map_err(invalid_token)? {
            None => None,
            Some(c) if c.kind == kind && c.title == title => Some((c.created_at, c.id)),
            Some(_) => return Err(Error::invalid("page_token", "was issued for other filters")),
        };
        let mut conn = common_db::conn(&self.pool).await?;
        let mut items = db::list_items(
            &mut conn,
            kind.map(MediaKind::as_str),
            title.as_deref(),
            after,
            page_size + 1,
        )
        .await?;
        let next = next_page(&mut items, page_size, |last| ItemCursor {
            kind,
            title: title.clone(),
            created_at: last.created_at,
            id: last.id,
        });
        Ok((items, next))
    }

    pub async fn create_custom(
        &self,
        caller: Caller,
        item: NewCustomItem,
    ) -> Result<ItemRow, Error> {
        let mut conn = common_db::conn(&self.pool).await?;
        Ok(db::insert_item(
            &mut conn,
            NewItem {
                id: Uuid::now_v7(),
                kind: item.kind.as_str(),
                source: Source::Custom.as_str(),
                external_id: None,
                title: &item.title,
                year: item.year,
                image_url: &item.image_url,
                summary: &item.summary,
                total_units: item.total_units,
                created_by: Some(caller.user_id),
            },
        )
        .await?)
    }

    /// Puts an item on the caller's list; a provider item is imported on the
    /// way, in the same transaction, so a refused entry leaves no item.
    pub async fn add_entry(
        &self,
        caller: Caller,
        target: Target,
        fields: EntryFields,
    ) -> Result<(EntryRow, ItemRow), Error> {
        let candidate = match &target {
            Target::Reference(reference) if self.find_imported(reference).await?.is_none() => {
                Some(self.providers.details(reference).await?)
            }
            _ => None,
        };
        common_db::transaction::<_, Error, _>(&self.pool, move |conn| {
            Box::pin(async move {
                let item = match (&target, &candidate) {
                    (_, Some(candidate)) => {
                        db::find_or_insert_item(conn, new_item(candidate)).await?.0
                    }
                    (Target::Item(id), None) => db::find_item(conn, *id)
                        .await?
                        .ok_or(Error::MediaNotFound)?,
                    (Target::Reference(r), None) => db::find_item_by_reference(
                        conn,
                        r.source.as_str(),
                        r.kind.as_str(),
                        &r.external_id,
                    )
                    .await?
                    .ok_or(Error::MediaNotFound)?,
                };
                let fields = complete(fields, None, &item);
                check_progress(&fields, &item, "progress")?;
                let entry = db::insert_entry(
                    conn,
                    NewEntry {
                        id: Uuid::now_v7(),
                        user_id: caller.user_id,
                        media_item_id: item.id,
                        status: fields.status.as_str(),
                        rating: fields.rating.map(Rating::get),
                        progress: fields.progress,
                        notes: &fields.notes,
                        start_date: fields.start_date,
                        finish_date: fields.finish_date,
                    },
                )
                .await
                .map_err(|e| {
                    if common_db::is_unique_violation(&e, db::LIST_ENTRIES_USER_ITEM_KEY) {
                        Error::ListEntryExists
                    } else {
                        e.into()
                    }
                })?;
                Ok((entry, item))
            })
        })
        .await
    }

    /// Applies the masked changes to one of the caller's entries under a row
    /// lock. Completing fills progress and the finish date when absent.
    pub async fn update_entry(
        &self,
        caller: Caller,
        id: Uuid,
        update: EntryUpdate,
    ) -> Result<(EntryRow, ItemRow), Error> {
        common_db::transaction::<_, Error, _>(&self.pool, move |conn| {
            Box::pin(async move {
                let (old, item) = db::find_entry_for_update(conn, caller.user_id, id)
                    .await?
                    .ok_or(Error::ListEntryNotFound)?;
                let before = fields_of(&old)?;
                let fields = EntryFields {
                    status: update.status.unwrap_or(before.status),
                    rating: update.rating.unwrap_or(before.rating),
                    progress: update.progress.unwrap_or(before.progress),
                    notes: update.notes.clone().unwrap_or_else(|| before.notes.clone()),
                    start_date: update.start_date.unwrap_or(before.start_date),
                    finish_date: update.finish_date.unwrap_or(before.finish_date),
                };
                let fields = complete(fields, Some((&before, &update)), &item);
                check_progress(&fields, &item, "list_entry.progress")?;
                let entry = db::update_entry(
                    conn,
                    id,
                    EntryChanges {
                        status: fields.status.as_str(),
                        rating: fields.rating.map(Rating::get),
                        progress: fields.progress,
                        notes: &fields.notes,
                        start_date: fields.start_date,
                        finish_date: fields.finish_date,
                        updated_at: Utc::now(),
                    },
                )
                .await?;
                Ok((entry, item))
            })
        })
        .await
    }

    pub async fn remove_entry(&self, caller: Caller, id: Uuid) -> Result<(), Error> {
        let mut conn = common_db::conn(&self.pool).await?;
        if db::delete_entry(&mut conn, caller.user_id, id).await? {
            Ok(())
        } else {
            Err(Error::ListEntryNotFound)
        }
    }

    pub async fn get_entry(&self, caller: Caller, id: Uuid) -> Result<(EntryRow, ItemRow), Error> {
        let mut conn = common_db::conn(&self.pool).await?;
        db::find_entry(&mut conn, caller.user_id, id)
            .await?
            .ok_or(Error::ListEntryNotFound)
    }

    pub async fn list_entries(
        &self,
        caller: Caller,
        status: Option<ListStatus>,
        kind: Option<MediaKind>,
        order: EntryOrder,
        page_size: i64,
        page_token: &str,
    ) -> Result<(Vec<(EntryRow, ItemRow)>, String), Error> {
        let after = match page_token::decode::<EntryCursor>(page_token).map_err(invalid_token)? {
            None => None,
            Some(c) if c.status == status && c.kind == kind && c.order == order => Some(c.position),
            Some(_) => {
                return Err(Error::invalid(
                    "page_token",
                    "was issued for other filters or order",
                ));
            }
        };
        let mut conn = common_db::conn(&self.pool).await?;
        let mut entries = db::list_entries(
            &mut conn,
            caller.user_id,
            status.map(ListStatus::as_str),
            kind.map(MediaKind::as_str),
            order,
            after.as_ref(),
            page_size + 1,
        )
        .await?;
        let next = next_page(&mut entries, page_size, |(entry, item)| EntryCursor {
            status,
            kind,
            order,
            position: match order {
                EntryOrder::Updated => EntryPosition::Updated(entry.updated_at, entry.id),
                EntryOrder::Title => EntryPosition::Title(item.title.clone(), entry.id),
                EntryOrder::Rating => EntryPosition::Rating(entry.rating, entry.id),
            },
        });
        Ok((entries, next))
    }

    pub async fn stats(&self, caller: Caller) -> Result<Stats, Error> {
        let mut conn = common_db::conn(&self.pool).await?;
        let counts = db::entry_counts(&mut conn, caller.user_id).await?;
        let mean_rating = db::mean_rating(&mut conn, caller.user_id).await?;
        let mut by_status: Vec<(ListStatus, i64)> =
            ListStatus::ALL.iter().map(|s| (*s, 0)).collect();
        let mut by_kind: Vec<(MediaKind, i64)> = MediaKind::ALL.iter().map(|k| (*k, 0)).collect();
        for (status, kind, count) in counts {
            if let Some(slot) = by_status.iter_mut().find(|(s, _)| s.as_str() == status) {
                slot.1 += count;
            }
            if let Some(slot) = by_kind.iter_mut().find(|(k, _)| k.as_str() == kind) {
                slot.1 += count;
            }
        }
        let total: i64 = by_status.iter().map(|(_, n)| n).sum();
        let completed = by_status
            .iter()
            .find(|(s, _)| *s == ListStatus::Completed)
            .map_or(0, |(_, n)| *n);
        #[allow(clippy::cast_precision_loss)]
        let completed_fraction = if total == 0 {
            0.0
        } else {
            completed as f64 / total as f64
        };
        Ok(Stats {
            total,
            by_status,
            by_kind,
            mean_rating,
            completed_fraction,
        })
    }
}

fn new_item(candidate: &Candidate) -> NewItem<'_> {
    NewItem {
        id: Uuid::now_v7(),
        kind: candidate.reference.kind.as_str(),
        source: candidate.reference.source.as_str(),
        external_id: Some(&candidate.reference.external_id),
        title: &candidate.title,
        year: candidate.year,
        image_url: &candidate.image_url,
        summary: &candidate.summary,
        total_units: candidate.total_units,
        created_by: None,
    }
}

/// Completing an entry fills the progress (to the item's total, where known)
/// and the finish date (today) unless the same change sets them.
fn complete(
    mut fields: EntryFields,
    previous: Option<(&EntryFields, &EntryUpdate)>,
    item: &ItemRow,
) -> EntryFields {
    let was_completed = previous.is_some_and(|(before, _)| before.status == ListStatus::Completed);
    if fields.status != ListStatus::Completed || was_completed {
        return fields;
    }
    let (progress_given, finish_given) = match previous {
        Some((_, update)) => (update.progress.is_some(), update.finish_date.is_some()),
        None => (fields.progress != 0, fields.finish_date.is_some()),
    };
    if !progress_given && let Some(total) = item.total_units {
        fields.progress = fields.progress.max(total);
    }
    if !finish_given && fields.finish_date.is_none() {
        fields.finish_date = Some(Utc::now().date_naive());
    }
    fields
}

fn check_progress(fields: &EntryFields, item: &ItemRow, field: &str) -> Result<(), Error> {
    match item.total_units {
        Some(total) if fields.progress > total => {
            Err(Error::InvalidArgument(vec![FieldViolation::new(
                field,
                format!("must not exceed the item's {total} units"),
            )]))
        }
        _ => Ok(()),
    }
}

/// The fields of a stored entry.
fn fields_of(entry: &EntryRow) -> Result<EntryFields, Error> {
    let status = ListStatus::from_db(&entry.status)
        .ok_or_else(|| anyhow::anyhow!("stored status {:?}", entry.status))?;
    let rating = entry
        .rating
        .map(|r| Rating::parse(i32::from(r)))
        .transpose()
        .map_err(|e| anyhow::anyhow!("stored rating: {e}"))?;
    Ok(EntryFields {
        status,
        rating,
        progress: entry.progress,
        notes: entry.notes.clone(),
        start_date: entry.start_date,
        finish_date: entry.finish_date,
    })
}

/// Trims a page fetched with one extra row and returns the token of the
/// next page, or "" on the last.
fn next_page<T, C: serde::Serialize>(
    rows: &mut Vec<T>,
    page_size: i64,
    cursor: impl FnOnce(&T) -> C,
) -> String {
    let page_size = usize::try_from(page_size).unwrap_or(usize::MAX);
    if rows.len() <= page_size {
        return String::new();
    }
    rows.truncate(page_size);
    rows.last()
        .map(|last| page_token::encode(&cursor(last)))
        .unwrap_or_default()
}

fn invalid_token(error: page_token::InvalidPageToken) -> Error {
    Error::invalid("page_token", error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(total_units: Option<i32>) -> ItemRow {
        ItemRow {
            id: Uuid::now_v7(),
            kind: "anime".into(),
            source: "jikan".into(),
            external_id: Some("1".into()),
            title: "Cowboy Bebop".into(),
            year: Some(1998),
            image_url: String::new(),
            summary: String::new(),
            total_units,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn fields(status: ListStatus, progress: i32) -> EntryFields {
        EntryFields {
            status,
            rating: None,
            progress,
            notes: String::new(),
            start_date: None,
            finish_date: None,
        }
    }

    #[test]
    fn completing_fills_progress_and_finish_date() {
        let before = fields(ListStatus::InProgress, 3);
        let update = EntryUpdate {
            status: Some(ListStatus::Completed),
            ..EntryUpdate::default()
        };
        let done = complete(
            fields(ListStatus::Completed, 3),
            Some((&before, &update)),
            &item(Some(26)),
        );
        assert_eq!(done.progress, 26);
        assert_eq!(done.finish_date, Some(Utc::now().date_naive()));
    }

    #[test]
    fn completing_keeps_what_the_same_change_sets() {
        let before = fields(ListStatus::InProgress, 3);
        let day = NaiveDate::from_ymd_opt(2020, 1, 2);
        let update = EntryUpdate {
            status: Some(ListStatus::Completed),
            progress: Some(20),
            finish_date: Some(day),
            ..EntryUpdate::default()
        };
        let mut new = fields(ListStatus::Completed, 20);
        new.finish_date = day;
        let done = complete(new, Some((&before, &update)), &item(Some(26)));
        assert_eq!(done.progress, 20);
        assert_eq!(done.finish_date, day);
    }

    #[test]
    fn unknown_totals_leave_progress_alone() {
        let done = complete(fields(ListStatus::Completed, 0), None, &item(None));
        assert_eq!(done.progress, 0);
        assert!(done.finish_date.is_some());
    }

    #[test]
    fn progress_cannot_pass_the_total() {
        assert!(
            check_progress(
                &fields(ListStatus::InProgress, 27),
                &item(Some(26)),
                "progress"
            )
            .is_err()
        );
        assert!(
            check_progress(
                &fields(ListStatus::InProgress, 26),
                &item(Some(26)),
                "progress"
            )
            .is_ok()
        );
        assert!(
            check_progress(
                &fields(ListStatus::InProgress, 9999),
                &item(None),
                "progress"
            )
            .is_ok()
        );
    }
}

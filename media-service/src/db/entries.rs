//! Users' list entries, each read with its catalog item.

use chrono::{DateTime, NaiveDate, Utc};
use completionist_common::sql::cached;
use diesel::{dsl::count_star, prelude::*};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult, items::ItemRow};
use crate::{
    domain::{Entry, EntryFields, FileItem, Item, ListStatus, MediaKind, Notes, Progress, Rating},
    schema::{list_entries, media_items},
};

// GetListStats groups entries by their status and their item's kind.
diesel::allow_columns_to_appear_in_same_group_by_clause!(list_entries::status, media_items::kind);

/// The unique constraint on one entry per user and item.
pub(crate) const USER_ITEM_KEY: &str = "list_entries_user_id_media_item_id_key";

#[derive(Queryable, Selectable)]
#[diesel(table_name = list_entries, check_for_backend(diesel::pg::Pg))]
pub(super) struct EntryRow {
    pub(super) id: Uuid,
    pub(super) status: ListStatus,
    pub(super) rating: Option<Rating>,
    pub(super) progress: Progress,
    pub(super) notes: String,
    pub(super) start_date: Option<NaiveDate>,
    pub(super) finish_date: Option<NaiveDate>,
    pub(super) completion_count: i32,
    pub(super) current_run: i32,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
    /// What the import file said of the item (`FileItem`), while the
    /// provider has not confirmed it.
    pub(super) file_item: Option<serde_json::Value>,
}

impl EntryRow {
    fn fields(&self) -> EntryFields {
        EntryFields {
            status: self.status,
            rating: self.rating,
            progress: self.progress,
            notes: Notes::stored(self.notes.clone()),
            start_date: self.start_date,
            finish_date: self.finish_date,
        }
    }

    pub(super) fn with(self, item: Item) -> Entry {
        let Self {
            id,
            status,
            rating,
            progress,
            notes,
            start_date,
            finish_date,
            completion_count,
            current_run,
            created_at,
            updated_at,
            file_item,
        } = self;
        // A file item that does not read is the provider's neutral text.
        let file_item = file_item.and_then(|value| serde_json::from_value(value).ok());
        Entry {
            id,
            fields: EntryFields {
                status,
                rating,
                progress,
                notes: Notes::stored(notes),
                start_date,
                finish_date,
            },
            item: item.described_by(file_item),
            completion_count,
            current_run,
            created_at,
            updated_at,
        }
    }
}

pub(super) fn entry((row, item): (EntryRow, ItemRow)) -> Entry {
    row.with(item.into())
}

/// The columns an entry's fields are written to.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = list_entries, treat_none_as_null = true)]
struct FieldColumns<'a> {
    status: ListStatus,
    rating: Option<Rating>,
    progress: Progress,
    notes: &'a str,
    start_date: Option<NaiveDate>,
    finish_date: Option<NaiveDate>,
}

impl<'a> From<&'a EntryFields> for FieldColumns<'a> {
    fn from(fields: &'a EntryFields) -> Self {
        Self {
            status: fields.status,
            rating: fields.rating,
            progress: fields.progress,
            notes: fields.notes.as_str(),
            start_date: fields.start_date,
            finish_date: fields.finish_date,
        }
    }
}

/// Puts `item` on `user`'s list with `fields`.
pub(crate) async fn insert(
    conn: &mut Conn,
    user: Uuid,
    item: Item,
    fields: &EntryFields,
) -> QueryResult<Entry> {
    let row = diesel::insert_into(list_entries::table)
        .values((
            list_entries::id.eq(Uuid::now_v7()),
            list_entries::user_id.eq(user),
            list_entries::media_item_id.eq(item.id),
            FieldColumns::from(fields),
        ))
        .returning(EntryRow::as_returning())
        .get_result(conn)
        .await?;
    Ok(row.with(item))
}

/// `user`'s entries of `items` (without their items), locked for an update
/// in the same transaction.
pub(crate) async fn of_items_for_update(
    conn: &mut Conn,
    user: Uuid,
    items: &[Uuid],
) -> QueryResult<Vec<(Uuid, Uuid, EntryFields)>> {
    let rows: Vec<(Uuid, EntryRow)> = list_entries::table
        .filter(list_entries::user_id.eq(user))
        .filter(list_entries::media_item_id.eq_any(items))
        .select((list_entries::media_item_id, EntryRow::as_select()))
        .for_update()
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(item, row)| (row.id, item, row.fields()))
        .collect())
}

/// An entry an import puts on a list.
pub(crate) struct NewEntry<'a> {
    pub(crate) id: Uuid,
    pub(crate) item: Uuid,
    pub(crate) fields: &'a EntryFields,
    /// The file's text of an item the provider has not confirmed.
    pub(crate) file_item: Option<&'a FileItem>,
}

/// Puts many items on `user`'s list at once.
pub(crate) async fn insert_all(
    conn: &mut Conn,
    user: Uuid,
    entries: &[NewEntry<'_>],
) -> QueryResult<()> {
    let rows: Vec<_> = entries
        .iter()
        .map(|entry| {
            (
                list_entries::id.eq(entry.id),
                list_entries::user_id.eq(user),
                list_entries::media_item_id.eq(entry.item),
                FieldColumns::from(entry.fields),
                list_entries::file_item.eq(entry.file_item.map(file_item_json)),
            )
        })
        .collect();
    for chunk in rows.chunks(4_000) {
        diesel::insert_into(list_entries::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Keeps the file's text of entry `id`'s item, not yet confirmed.
pub(crate) async fn set_file_item(
    conn: &mut Conn,
    id: Uuid,
    file_item: &FileItem,
) -> QueryResult<()> {
    diesel::update(list_entries::table.find(id))
        .set(list_entries::file_item.eq(file_item_json(file_item)))
        .execute(conn)
        .await
        .map(drop)
}

fn file_item_json(file_item: &FileItem) -> serde_json::Value {
    serde_json::to_value(file_item).unwrap_or_default()
}

/// Writes every field of entry `id`, answering nothing.
pub(crate) async fn overwrite(conn: &mut Conn, id: Uuid, fields: &EntryFields) -> QueryResult<()> {
    cached(diesel::update(list_entries::table.find(id)).set((
        FieldColumns::from(fields),
        list_entries::updated_at.eq(Utc::now()),
    )))
    .execute(conn)
    .await
    .map(drop)
}

/// One of `user`'s entries with its item, in one round trip.
pub(crate) async fn find(conn: &mut Conn, user: Uuid, id: Uuid) -> QueryResult<Option<Entry>> {
    list_entries::table
        .inner_join(media_items::table)
        .filter(list_entries::id.eq(id))
        .filter(list_entries::user_id.eq(user))
        .select((EntryRow::as_select(), ItemRow::as_select()))
        .first(conn)
        .await
        .optional()
        .map(|found| found.map(entry))
}

/// Like [`find`], with the entry locked for an update in the same
/// transaction. Only the entry is locked: other users' entries of the same
/// item stay free to change.
pub(crate) async fn find_for_update(
    conn: &mut Conn,
    user: Uuid,
    id: Uuid,
) -> QueryResult<Option<Entry>> {
    let found = list_entries::table
        .filter(list_entries::id.eq(id))
        .filter(list_entries::user_id.eq(user))
        .select((EntryRow::as_select(), list_entries::media_item_id))
        .for_update()
        .first::<(EntryRow, Uuid)>(conn)
        .await
        .optional()?;
    let Some((row, item_id)) = found else {
        return Ok(None);
    };
    let item = media_items::table
        .find(item_id)
        .select(ItemRow::as_select())
        .first(conn)
        .await?;
    Ok(Some(row.with(item.into())))
}

/// Writes every field of entry `id` (of `item`).
pub(crate) async fn update(
    conn: &mut Conn,
    id: Uuid,
    item: Item,
    fields: &EntryFields,
) -> QueryResult<Entry> {
    let row = cached(
        diesel::update(list_entries::table.find(id))
            .set((
                FieldColumns::from(fields),
                list_entries::updated_at.eq(Utc::now()),
            ))
            .returning(EntryRow::as_returning()),
    )
    .get_result(conn)
    .await?;
    Ok(row.with(item))
}

pub(crate) async fn delete(conn: &mut Conn, user: Uuid, id: Uuid) -> QueryResult<bool> {
    let deleted = diesel::delete(
        list_entries::table
            .filter(list_entries::id.eq(id))
            .filter(list_entries::user_id.eq(user)),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

/// How many of `user`'s entries there are per (status, kind).
pub(crate) async fn counts(
    conn: &mut Conn,
    user: Uuid,
) -> QueryResult<Vec<(ListStatus, MediaKind, i64)>> {
    list_entries::table
        .inner_join(media_items::table)
        .filter(list_entries::user_id.eq(user))
        .group_by((list_entries::status, media_items::kind))
        .select((list_entries::status, media_items::kind, count_star()))
        .load(conn)
        .await
}

/// The mean of `user`'s ratings, if any.
pub(crate) async fn mean_rating(conn: &mut Conn, user: Uuid) -> QueryResult<Option<f64>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Double, Nullable};
    list_entries::table
        .filter(list_entries::user_id.eq(user))
        .select(sql::<Nullable<Double>>("avg(rating)::float8"))
        .first(conn)
        .await
}

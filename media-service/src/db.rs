//! Rows and queries: small async functions over one connection.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{dsl::count_star, prelude::*};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::{list_entries, media_items};

pub type Conn = AsyncPgConnection;

// GetListStats groups entries by their status and their item's kind.
diesel::allow_columns_to_appear_in_same_group_by_clause!(list_entries::status, media_items::kind);
type QueryResult<T> = Result<T, diesel::result::Error>;

/// The unique constraint on one entry per user and item.
pub const LIST_ENTRIES_USER_ITEM_KEY: &str = "list_entries_user_id_media_item_id_key";

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = media_items, check_for_backend(diesel::pg::Pg))]
pub struct ItemRow {
    pub id: Uuid,
    pub kind: String,
    pub source: String,
    pub external_id: Option<String>,
    pub title: String,
    pub year: Option<i32>,
    pub image_url: String,
    pub summary: String,
    pub total_units: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = media_items)]
pub struct NewItem<'a> {
    pub id: Uuid,
    pub kind: &'a str,
    pub source: &'a str,
    pub external_id: Option<&'a str>,
    pub title: &'a str,
    pub year: Option<i32>,
    pub image_url: &'a str,
    pub summary: &'a str,
    pub total_units: Option<i32>,
    pub created_by: Option<Uuid>,
}

pub async fn find_item(conn: &mut Conn, id: Uuid) -> QueryResult<Option<ItemRow>> {
    media_items::table
        .find(id)
        .select(ItemRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find_item_by_reference(
    conn: &mut Conn,
    source: &str,
    kind: &str,
    external_id: &str,
) -> QueryResult<Option<ItemRow>> {
    media_items::table
        .filter(media_items::source.eq(source))
        .filter(media_items::kind.eq(kind))
        .filter(media_items::external_id.eq(external_id))
        .select(ItemRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Catalog ids of the given provider items that are already imported.
pub async fn imported_ids(
    conn: &mut Conn,
    source: &str,
    kind: &str,
    external_ids: &[&str],
) -> QueryResult<Vec<(String, Uuid)>> {
    media_items::table
        .filter(media_items::source.eq(source))
        .filter(media_items::kind.eq(kind))
        .filter(media_items::external_id.eq_any(external_ids))
        .select((media_items::external_id.assume_not_null(), media_items::id))
        .load(conn)
        .await
}

/// Inserts a provider item unless it is there already; returns the row and
/// whether this call created it. Safe under concurrent imports: the unique
/// key decides, and the loser reads the winner's row.
pub async fn find_or_insert_item(
    conn: &mut Conn,
    item: NewItem<'_>,
) -> QueryResult<(ItemRow, bool)> {
    let (source, kind, external_id) = (item.source, item.kind, item.external_id);
    let inserted = diesel::insert_into(media_items::table)
        .values(&item)
        .on_conflict_do_nothing()
        .returning(ItemRow::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    if let Some(row) = inserted {
        return Ok((row, true));
    }
    let existing = find_item_by_reference(conn, source, kind, external_id.unwrap_or_default())
        .await?
        .ok_or(diesel::result::Error::NotFound)?;
    Ok((existing, false))
}

pub async fn insert_item(conn: &mut Conn, item: NewItem<'_>) -> QueryResult<ItemRow> {
    diesel::insert_into(media_items::table)
        .values(&item)
        .returning(ItemRow::as_returning())
        .get_result(conn)
        .await
}

/// A page of the catalog in (created_at, id) order.
pub async fn list_items(
    conn: &mut Conn,
    kind: Option<&str>,
    title_query: Option<&str>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<ItemRow>> {
    let mut query = media_items::table
        .select(ItemRow::as_select())
        .order((media_items::created_at, media_items::id))
        .limit(limit)
        .into_boxed();
    if let Some(kind) = kind {
        query = query.filter(media_items::kind.eq(kind.to_owned()));
    }
    if let Some(title) = title_query {
        query = query.filter(media_items::title.ilike(format!("%{}%", escape_like(title))));
    }
    if let Some((created_at, id)) = after {
        query = query.filter(
            media_items::created_at
                .gt(created_at)
                .or(media_items::created_at
                    .eq(created_at)
                    .and(media_items::id.gt(id))),
        );
    }
    query.load(conn).await
}

/// `text` with LIKE's wildcards escaped.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = list_entries, check_for_backend(diesel::pg::Pg))]
pub struct EntryRow {
    pub id: Uuid,
    pub media_item_id: Uuid,
    pub status: String,
    pub rating: Option<i16>,
    pub progress: i32,
    pub notes: String,
    pub start_date: Option<NaiveDate>,
    pub finish_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = list_entries)]
pub struct NewEntry<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub media_item_id: Uuid,
    pub status: &'a str,
    pub rating: Option<i16>,
    pub progress: i32,
    pub notes: &'a str,
    pub start_date: Option<NaiveDate>,
    pub finish_date: Option<NaiveDate>,
}

/// Every column UpdateListEntry may write, already merged with the old row.
#[derive(AsChangeset)]
#[diesel(table_name = list_entries, treat_none_as_null = true)]
pub struct EntryChanges<'a> {
    pub status: &'a str,
    pub rating: Option<i16>,
    pub progress: i32,
    pub notes: &'a str,
    pub start_date: Option<NaiveDate>,
    pub finish_date: Option<NaiveDate>,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert_entry(conn: &mut Conn, entry: NewEntry<'_>) -> QueryResult<EntryRow> {
    diesel::insert_into(list_entries::table)
        .values(entry)
        .returning(EntryRow::as_returning())
        .get_result(conn)
        .await
}

/// One of `user`'s entries with its item, in one round trip.
pub async fn find_entry(
    conn: &mut Conn,
    user: Uuid,
    id: Uuid,
) -> QueryResult<Option<(EntryRow, ItemRow)>> {
    list_entries::table
        .inner_join(media_items::table)
        .filter(list_entries::id.eq(id))
        .filter(list_entries::user_id.eq(user))
        .select((EntryRow::as_select(), ItemRow::as_select()))
        .first(conn)
        .await
        .optional()
}

/// Like [`find_entry`], with the entry locked for an update in the same
/// transaction. Only the entry is locked: other users' entries of the same
/// item stay free to change.
pub async fn find_entry_for_update(
    conn: &mut Conn,
    user: Uuid,
    id: Uuid,
) -> QueryResult<Option<(EntryRow, ItemRow)>> {
    let entry = list_entries::table
        .filter(list_entries::id.eq(id))
        .filter(list_entries::user_id.eq(user))
        .select(EntryRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let Some(entry) = entry else {
        return Ok(None);
    };
    let item = media_items::table
        .find(entry.media_item_id)
        .select(ItemRow::as_select())
        .first(conn)
        .await?;
    Ok(Some((entry, item)))
}

pub async fn update_entry(
    conn: &mut Conn,
    id: Uuid,
    changes: EntryChanges<'_>,
) -> QueryResult<EntryRow> {
    diesel::update(list_entries::table.find(id))
        .set(changes)
        .returning(EntryRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete_entry(conn: &mut Conn, user: Uuid, id: Uuid) -> QueryResult<bool> {
    Ok(diesel::delete(
        list_entries::table
            .filter(list_entries::id.eq(id))
            .filter(list_entries::user_id.eq(user)),
    )
    .execute(conn)
    .await?
        > 0)
}

/// How ListListEntries orders, and where a page resumes.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum EntryPosition {
    /// Most recently updated first: after (updated_at, id) descending.
    Updated(DateTime<Utc>, Uuid),
    /// Title A to Z: after (title, id).
    Title(String, Uuid),
    /// Best rated first, unrated last: after (rating, id).
    Rating(Option<i16>, Uuid),
}

/// The order of a listing, without a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EntryOrder {
    Updated,
    Title,
    Rating,
}

/// A page of `user`'s entries with their items.
pub async fn list_entries(
    conn: &mut Conn,
    user: Uuid,
    status: Option<&str>,
    kind: Option<&str>,
    order: EntryOrder,
    after: Option<&EntryPosition>,
    limit: i64,
) -> QueryResult<Vec<(EntryRow, ItemRow)>> {
    use list_entries::dsl as e;
    use media_items::dsl as m;
    let mut query = list_entries::table
        .inner_join(media_items::table)
        .filter(e::user_id.eq(user))
        .select((EntryRow::as_select(), ItemRow::as_select()))
        .limit(limit)
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(e::status.eq(status.to_owned()));
    }
    if let Some(kind) = kind {
        query = query.filter(m::kind.eq(kind.to_owned()));
    }
    query = match order {
        EntryOrder::Updated => query.order((e::updated_at.desc(), e::id.desc())),
        EntryOrder::Title => query.order((m::title.asc(), e::id.asc())),
        EntryOrder::Rating => query.order((e::rating.desc().nulls_last(), e::id.asc())),
    };
    query = match after.cloned() {
        None => query,
        Some(EntryPosition::Updated(at, id)) => query.filter(
            e::updated_at
                .lt(at)
                .or(e::updated_at.eq(at).and(e::id.lt(id))),
        ),
        Some(EntryPosition::Title(title, id)) => query.filter(
            m::title
                .gt(title.clone())
                .or(m::title.eq(title).and(e::id.gt(id))),
        ),
        Some(EntryPosition::Rating(Some(rating), id)) => query.filter(
            e::rating
                .lt(rating)
                .or(e::rating.eq(rating).and(e::id.gt(id)))
                .or(e::rating.is_null()),
        ),
        Some(EntryPosition::Rating(None, id)) => {
            query.filter(e::rating.is_null().and(e::id.gt(id)))
        }
    };
    query.load(conn).await
}

/// Entries per (status, kind), and the sum and count of ratings.
pub async fn entry_counts(conn: &mut Conn, user: Uuid) -> QueryResult<Vec<(String, String, i64)>> {
    list_entries::table
        .inner_join(media_items::table)
        .filter(list_entries::user_id.eq(user))
        .group_by((list_entries::status, media_items::kind))
        .select((list_entries::status, media_items::kind, count_star()))
        .load(conn)
        .await
}

/// The mean of `user`'s ratings, if any.
pub async fn mean_rating(conn: &mut Conn, user: Uuid) -> QueryResult<Option<f64>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Double, Nullable};
    list_entries::table
        .filter(list_entries::user_id.eq(user))
        .select(sql::<Nullable<Double>>("avg(rating)::float8"))
        .first(conn)
        .await
}

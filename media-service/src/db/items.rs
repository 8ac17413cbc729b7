//! The catalog.

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::{
    domain::{Imported, Item, MediaKind, ProviderCheck, Reference, Source},
    schema::media_items,
};

#[derive(Queryable, Selectable)]
#[diesel(table_name = media_items, check_for_backend(diesel::pg::Pg))]
pub(super) struct ItemRow {
    id: Uuid,
    kind: MediaKind,
    source: Source,
    external_id: Option<String>,
    title: String,
    year: Option<i32>,
    image_url: String,
    summary: String,
    total_units: Option<i32>,
    provider_check: ProviderCheck,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ItemRow> for Item {
    fn from(row: ItemRow) -> Self {
        let ItemRow {
            id,
            kind,
            source,
            external_id,
            title,
            year,
            image_url,
            summary,
            total_units,
            provider_check,
            created_at,
            updated_at,
        } = row;
        Self {
            id,
            kind,
            source,
            external_id,
            title,
            year,
            image_url,
            summary,
            total_units,
            provider_check,
            created_at,
            updated_at,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = media_items)]
pub(crate) struct NewItem<'a> {
    pub(crate) id: Uuid,
    pub(crate) kind: MediaKind,
    pub(crate) source: Source,
    pub(crate) external_id: Option<&'a str>,
    pub(crate) title: &'a str,
    pub(crate) year: Option<i32>,
    pub(crate) image_url: &'a str,
    pub(crate) summary: &'a str,
    pub(crate) total_units: Option<i32>,
    pub(crate) created_by: Option<Uuid>,
    /// When the provider should be asked for the details the item lacks
    /// (made from an import file's own data); `None` when it has them.
    pub(crate) details_due_at: Option<DateTime<Utc>>,
    pub(crate) provider_check: ProviderCheck,
}

/// What `viewer` may see of the catalog: every provider item, and the
/// custom items they made themselves.
fn visible_to(
    viewer: Uuid,
) -> Box<dyn BoxableExpression<media_items::table, Pg, SqlType = diesel::sql_types::Bool>> {
    Box::new(
        media_items::source
            .ne(Source::Custom)
            .or(media_items::created_by.eq(viewer).assume_not_null()),
    )
}

/// The item `id`, if `viewer` may see it.
pub(crate) async fn find(conn: &mut Conn, viewer: Uuid, id: Uuid) -> QueryResult<Option<Item>> {
    media_items::table
        .find(id)
        .filter(visible_to(viewer))
        .select(ItemRow::as_select())
        .first(conn)
        .await
        .optional()
        .map(|row| row.map(Item::from))
}

pub(crate) async fn find_by_reference(
    conn: &mut Conn,
    reference: &Reference,
) -> QueryResult<Option<Item>> {
    media_items::table
        .filter(media_items::source.eq(reference.source))
        .filter(media_items::kind.eq(reference.kind))
        .filter(media_items::external_id.eq(&reference.external_id))
        .select(ItemRow::as_select())
        .first(conn)
        .await
        .optional()
        .map(|row| row.map(Item::from))
}

/// Catalog ids of the given provider items that are already imported.
pub(crate) async fn imported_ids(
    conn: &mut Conn,
    source: Source,
    kind: MediaKind,
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

/// Inserts a provider item unless it is there already. Safe under
/// concurrent imports: the unique key decides, and the loser reads the
/// winner's row.
pub(crate) async fn find_or_insert(conn: &mut Conn, item: NewItem<'_>) -> QueryResult<Imported> {
    let inserted = diesel::insert_into(media_items::table)
        .values(&item)
        .on_conflict_do_nothing()
        .returning(ItemRow::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    if let Some(row) = inserted {
        return Ok(Imported {
            item: row.into(),
            created: true,
        });
    }
    let existing = media_items::table
        .filter(media_items::source.eq(item.source))
        .filter(media_items::kind.eq(item.kind))
        .filter(media_items::external_id.eq(item.external_id))
        .select(ItemRow::as_select())
        .first(conn)
        .await?;
    Ok(Imported {
        item: existing.into(),
        created: false,
    })
}

pub(crate) async fn insert(conn: &mut Conn, item: NewItem<'_>) -> QueryResult<Item> {
    diesel::insert_into(media_items::table)
        .values(&item)
        .returning(ItemRow::as_returning())
        .get_result(conn)
        .await
        .map(Item::from)
}

/// A page of what `viewer` may see of the catalog, in (created_at, id)
/// order: custom items and confirmed provider items.
pub(crate) async fn list(
    conn: &mut Conn,
    viewer: Uuid,
    kind: Option<MediaKind>,
    title_query: Option<&str>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<Item>> {
    let mut query = media_items::table
        .select(ItemRow::as_select())
        .order((media_items::created_at, media_items::id))
        .filter(visible_to(viewer))
        // Items only an import file vouches for are not the catalog's yet.
        .filter(media_items::provider_check.eq(ProviderCheck::Confirmed))
        .limit(limit)
        .into_boxed();
    if let Some(kind) = kind {
        query = query.filter(media_items::kind.eq(kind));
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
    let rows = query.load(conn).await?;
    Ok(rows.into_iter().map(Item::from).collect())
}

/// `text` with LIKE's wildcards escaped.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Provider items named by an import, inserted where missing; answers every
/// one of them (new or not), in no particular order.
pub(crate) async fn find_or_insert_all(
    conn: &mut Conn,
    items: &[NewItem<'_>],
) -> QueryResult<Vec<Item>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    diesel::insert_into(media_items::table)
        .values(items)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    let mut found = Vec::with_capacity(items.len());
    let mut groups: std::collections::HashMap<(Source, MediaKind), Vec<&str>> =
        std::collections::HashMap::new();
    for item in items {
        groups
            .entry((item.source, item.kind))
            .or_default()
            .extend(item.external_id);
    }
    for ((source, kind), ids) in groups {
        let rows: Vec<ItemRow> = media_items::table
            .filter(media_items::source.eq(source))
            .filter(media_items::kind.eq(kind))
            .filter(media_items::external_id.eq_any(ids))
            .select(ItemRow::as_select())
            .load(conn)
            .await?;
        found.extend(rows.into_iter().map(Item::from));
    }
    Ok(found)
}

/// `user`'s own custom item of `kind` titled `title`, if they made one.
pub(crate) async fn find_custom(
    conn: &mut Conn,
    user: Uuid,
    kind: MediaKind,
    title: &str,
) -> QueryResult<Option<Item>> {
    media_items::table
        .filter(media_items::source.eq(Source::Custom))
        .filter(media_items::created_by.eq(user))
        .filter(media_items::kind.eq(kind))
        .filter(media_items::title.eq(title))
        .select(ItemRow::as_select())
        .first(conn)
        .await
        .optional()
        .map(|row| row.map(Item::from))
}

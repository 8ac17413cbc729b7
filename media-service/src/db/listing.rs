//! Reading a user's list a page at a time: ListListEntries in the order
//! and under the filter asked for, resuming after a position, and
//! ExportList by entry id.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{
    Conn, QueryResult,
    entries::{EntryRow, entry},
    items::ItemRow,
};
use crate::{
    domain::{Entry, ListStatus, MediaKind, Rating},
    schema::{list_entries, media_items},
};

/// How ListListEntries orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum EntryOrder {
    /// Most recently updated first.
    Updated,
    /// Title A to Z.
    Title,
    /// Best rated first, unrated last.
    Rating,
}

/// Where a page of ListListEntries resumes: after this entry, in the
/// listing's order.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) enum EntryPosition {
    Updated(DateTime<Utc>, Uuid),
    Title(String, Uuid),
    Rating(Option<i16>, Uuid),
}

impl EntryPosition {
    /// The position of `entry` in a listing in `order`.
    pub(crate) fn of(entry: &Entry, order: EntryOrder) -> Self {
        match order {
            EntryOrder::Updated => Self::Updated(entry.updated_at, entry.id),
            EntryOrder::Title => Self::Title(entry.item.title.clone(), entry.id),
            EntryOrder::Rating => Self::Rating(entry.fields.rating.map(Rating::get), entry.id),
        }
    }
}

/// Which entries a listing shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct EntryFilter {
    pub(crate) status: Option<ListStatus>,
    pub(crate) kind: Option<MediaKind>,
    pub(crate) order: EntryOrder,
}

/// The title an entry shows (see `Item::described_by`): the file's while
/// the provider has not confirmed the item.
fn shown_title() -> diesel::expression::SqlLiteral<diesel::sql_types::Text> {
    diesel::dsl::sql(
        "(CASE WHEN media_items.provider_check <> 'confirmed' \
               AND jsonb_typeof(list_entries.file_item->'title') = 'string' \
          THEN list_entries.file_item->>'title' ELSE media_items.title END)",
    )
}

/// A page of `user`'s entries with their items.
pub(crate) async fn list(
    conn: &mut Conn,
    user: Uuid,
    filter: EntryFilter,
    after: Option<EntryPosition>,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    use list_entries::dsl as e;
    use media_items::dsl as m;
    let mut query = list_entries::table
        .inner_join(media_items::table)
        .filter(e::user_id.eq(user))
        .select((EntryRow::as_select(), ItemRow::as_select()))
        .limit(limit)
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(e::status.eq(status));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(m::kind.eq(kind));
    }
    query = match filter.order {
        EntryOrder::Updated => query.order((e::updated_at.desc(), e::id.desc())),
        EntryOrder::Title => query.order((shown_title().asc(), e::id.asc())),
        EntryOrder::Rating => query.order((e::rating.desc().nulls_last(), e::id.asc())),
    };
    query = match after {
        None => query,
        Some(EntryPosition::Updated(at, id)) => query.filter(
            e::updated_at
                .lt(at)
                .or(e::updated_at.eq(at).and(e::id.lt(id))),
        ),
        Some(EntryPosition::Title(title, id)) => query.filter(
            shown_title()
                .gt(title.clone())
                .or(shown_title().eq(title).and(e::id.gt(id))),
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
    let rows = query.load(conn).await?;
    Ok(rows.into_iter().map(entry).collect())
}

/// `user`'s entries after entry `after`, oldest first: keyed by id, which
/// no edit changes, so paging through a list that changes meanwhile sees
/// each entry once (ExportList).
pub(crate) async fn all_after(
    conn: &mut Conn,
    user: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    use list_entries::dsl as e;
    let mut query = list_entries::table
        .inner_join(media_items::table)
        .filter(e::user_id.eq(user))
        .select((EntryRow::as_select(), ItemRow::as_select()))
        .order(e::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(e::id.gt(after));
    }
    let rows = query.load(conn).await?;
    Ok(rows.into_iter().map(entry).collect())
}

//! A user's entries found by their item: the one of an item, or those
//! whose item has a title (a media server names what it played by title).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{
    Conn, QueryResult,
    entries::{EntryRow, entry},
    items::ItemRow,
};
use crate::{
    domain::{Entry, MediaKind},
    schema::{list_entries, media_items},
};

/// `user`'s entry of `item`, if it is on their list.
pub(crate) async fn of_item(conn: &mut Conn, user: Uuid, item: Uuid) -> QueryResult<Option<Entry>> {
    list_entries::table
        .inner_join(media_items::table)
        .filter(list_entries::media_item_id.eq(item))
        .filter(list_entries::user_id.eq(user))
        .select((EntryRow::as_select(), ItemRow::as_select()))
        .first(conn)
        .await
        .optional()
        .map(|found| found.map(entry))
}

diesel::define_sql_function! {
    /// Postgres' `lower`, as the index on `lower(title)` has it.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// `user`'s entries of `kinds` whose item is titled `title` (in any case),
/// and of `year` when given and known; a few at most. The statement's text
/// is the same with a year or without (no year is a bound flag, and the 0
/// bound for it then is never compared), so Diesel keeps it prepared.
pub(crate) async fn titled(
    conn: &mut Conn,
    user: Uuid,
    kinds: &[MediaKind],
    title: &str,
    year: Option<i32>,
) -> QueryResult<Vec<Entry>> {
    let any_year = year.is_none().into_sql::<diesel::sql_types::Bool>();
    list_entries::table
        .inner_join(media_items::table)
        .filter(list_entries::user_id.eq(user))
        .filter(media_items::kind.eq_any(kinds))
        .filter(lower(media_items::title).eq(lower(title)))
        .filter(
            any_year
                .or(media_items::year.eq(year.unwrap_or_default()))
                .or(media_items::year.is_null()),
        )
        .select((EntryRow::as_select(), ItemRow::as_select()))
        .limit(5)
        .load(conn)
        .await
        .map(|found| found.into_iter().map(entry).collect())
}

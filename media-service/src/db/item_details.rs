//! The provider's word on catalog items made from import files: claimed
//! by the enricher a few at a time, filled in (confirmed), marked unknown
//! to the provider, or let go for the next try.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{
    Conn, QueryResult,
    items::{ItemRow, NewItem},
};
use crate::{
    domain::{Item, ProviderCheck},
    schema::{list_entries, media_items},
};

#[derive(QueryableByName)]
struct ClaimedItem {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
}

/// Up to `limit` items whose details are due, each put off by `hold` so no
/// other enricher takes it meanwhile.
pub(crate) async fn claim_due_details(
    conn: &mut Conn,
    hold: std::time::Duration,
    limit: i64,
) -> QueryResult<Vec<Item>> {
    let hold = i32::try_from(hold.as_secs()).unwrap_or(i32::MAX);
    let ids: Vec<Uuid> = diesel::sql_query(
        "UPDATE media_items SET details_due_at = now() + make_interval(secs => $1) \
         WHERE id IN (SELECT id FROM media_items WHERE details_due_at <= now() \
                      ORDER BY details_due_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
         RETURNING id",
    )
    .bind::<diesel::sql_types::Int4, _>(hold)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load::<ClaimedItem>(conn)
    .await?
    .into_iter()
    .map(|c| c.id)
    .collect();
    media_items::table
        .filter(media_items::id.eq_any(ids))
        .select(ItemRow::as_select())
        .load(conn)
        .await
        .map(|rows| rows.into_iter().map(Item::from).collect())
}

/// The provider's details of item `id`, which no longer needs them: the
/// item is confirmed.
pub(crate) async fn fill_details(
    conn: &mut Conn,
    id: Uuid,
    details: &NewItem<'_>,
) -> QueryResult<()> {
    diesel::update(media_items::table.find(id))
        .set((
            media_items::title.eq(details.title),
            media_items::year.eq(details.year),
            media_items::image_url.eq(details.image_url),
            media_items::summary.eq(details.summary),
            media_items::total_units.eq(details.total_units),
            media_items::details_due_at.eq(None::<DateTime<Utc>>),
            media_items::provider_check.eq(ProviderCheck::Confirmed),
            media_items::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    // The files' word is no longer shown: let it go.
    diesel::update(
        list_entries::table
            .filter(list_entries::media_item_id.eq(id))
            .filter(list_entries::file_item.is_not_null()),
    )
    .set(list_entries::file_item.eq(None::<serde_json::Value>))
    .execute(conn)
    .await
    .map(drop)
}

/// The provider says it has no item `id`: never asked about again, and
/// its entries keep their files' text.
pub(crate) async fn mark_not_found(conn: &mut Conn, id: Uuid) -> QueryResult<()> {
    diesel::update(media_items::table.find(id))
        .set((
            media_items::details_due_at.eq(None::<DateTime<Utc>>),
            media_items::provider_check.eq(ProviderCheck::NotFound),
            media_items::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Lets go of claimed items `ids` that still need their details, so the
/// next enricher (this replica's successor, say) takes them at once.
pub(crate) async fn release_details(conn: &mut Conn, ids: &[Uuid]) -> QueryResult<()> {
    diesel::update(
        media_items::table
            .filter(media_items::id.eq_any(ids))
            .filter(media_items::details_due_at.is_not_null()),
    )
    .set(media_items::details_due_at.eq(Utc::now()))
    .execute(conn)
    .await
    .map(drop)
}

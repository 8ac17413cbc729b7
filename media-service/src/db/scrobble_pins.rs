//! The media-server shows people pinned to theirs.

use diesel::{prelude::*, sql_types};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Conn, QueryResult};
use crate::schema::scrobble_pins;

/// Where a server show's episodes are on a user's list.
#[derive(Clone, Copy, Debug, Queryable, Selectable)]
#[diesel(table_name = scrobble_pins)]
pub(crate) struct Pin {
    pub(crate) list_entry_id: Uuid,
    /// The server's season it is for; `None`: every season, numbered as
    /// the server numbers them.
    pub(crate) server_season: Option<i32>,
    /// Where that season's episodes are here: this season, their numbers
    /// plus the offset.
    pub(crate) season: i32,
    pub(crate) episode_offset: i32,
}

/// The pin for `user`'s `server` show `show_key`: the one for `season`
/// first, then the one for every season.
pub(crate) async fn pin(
    conn: &mut Conn,
    user: Uuid,
    server: &str,
    show_key: &str,
    season: Option<i32>,
) -> QueryResult<Option<Pin>> {
    let pins: Vec<Pin> = scrobble_pins::table
        .filter(scrobble_pins::user_id.eq(user))
        .filter(scrobble_pins::server.eq(server))
        .filter(scrobble_pins::show_key.eq(show_key))
        .select(Pin::as_select())
        .load(conn)
        .await?;
    let for_season = pins
        .iter()
        .find(|p| p.server_season.is_some() && p.server_season == season);
    Ok(for_season
        .or_else(|| pins.iter().find(|p| p.server_season.is_none()))
        .copied())
}

/// Takes `user`'s pins' lock until commit: their pins change one at a
/// time, so replacing one never collides with another's insert.
pub(crate) async fn lock(conn: &mut Conn, user: Uuid) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 23))")
        .bind::<sql_types::Uuid, _>(user)
        .execute(conn)
        .await
        .map(drop)
}

/// Pins `user`'s `server` show `show_key` (for `server_season` only, when
/// given), replacing the pin it had.
pub(crate) async fn set(
    conn: &mut Conn,
    user: Uuid,
    server: &str,
    show_key: &str,
    server_season: Option<i32>,
    to: (Uuid, i32, i32),
) -> QueryResult<()> {
    let (entry, season, offset) = to;
    let same = scrobble_pins::table
        .filter(scrobble_pins::user_id.eq(user))
        .filter(scrobble_pins::server.eq(server))
        .filter(scrobble_pins::show_key.eq(show_key));
    match server_season {
        Some(s) => {
            diesel::delete(same.filter(scrobble_pins::server_season.eq(s)))
                .execute(conn)
                .await?
        }
        None => {
            diesel::delete(same.filter(scrobble_pins::server_season.is_null()))
                .execute(conn)
                .await?
        }
    };
    diesel::insert_into(scrobble_pins::table)
        .values((
            scrobble_pins::id.eq(Uuid::now_v7()),
            scrobble_pins::user_id.eq(user),
            scrobble_pins::server.eq(server),
            scrobble_pins::show_key.eq(show_key),
            scrobble_pins::server_season.eq(server_season),
            scrobble_pins::list_entry_id.eq(entry),
            scrobble_pins::season.eq(season),
            scrobble_pins::episode_offset.eq(offset),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

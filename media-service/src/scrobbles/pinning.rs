//! PinScrobbleShow: a server's show pinned to one of the person's entries
//! (for all its seasons, or one season moved by an offset), and the event
//! it was pinned from recorded again when it did not match.

use completionist_common::db as common_db;
use uuid::Uuid;

use super::{
    matching,
    outcome::Outcome,
    played::Played,
    recording::{Row, watch},
};
use crate::{
    app::App,
    db::{self, scrobbles::EventRow},
    domain::MediaKind,
    error::Error,
};

/// Pins event `id`'s show to `user`'s `entry` (the event's season only,
/// with `season` and `offset`, unless both are 0), and records the event
/// again when it did not match; answers the event as it now stands.
pub(crate) async fn pin(
    app: &App,
    user: Uuid,
    id: Uuid,
    entry: Uuid,
    (season, offset): (i32, i32),
) -> Result<EventRow, Error> {
    let (row, entry) = {
        let mut conn = common_db::conn(&app.pool).await?;
        let row = db::scrobbles::event(&mut conn, user, id)
            .await?
            .ok_or(Error::ScrobbleEventNotFound)?;
        let entry = db::entries::find(&mut conn, user, entry)
            .await?
            .ok_or(Error::ListEntryNotFound)?;
        (row, entry)
    };
    let Some(event) = super::stored_event(&row) else {
        return Err(Error::NotPinnable("the event is of no media server"));
    };
    let Played::Episodes { season: theirs, .. } = event.played else {
        return Err(Error::NotPinnable(
            "only an event of a numbered episode can be pinned",
        ));
    };
    if !matches!(entry.item.kind, MediaKind::Series | MediaKind::Anime) {
        return Err(Error::NotPinnable(
            "a show can be pinned to a series or an anime only",
        ));
    }
    let whole_show = season == 0 && offset == 0;
    let (server_season, to) = if whole_show {
        (None, (entry.id, theirs, 0))
    } else {
        (Some(theirs), (entry.id, season, offset))
    };
    let (server, key) = (event.server.as_str(), event.show_key());
    let entry_id = entry.id;
    common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            db::scrobble_pins::lock(conn, user).await?;
            // Still on the list, and kept there until the pin is stored.
            if db::entries::find_for_update(conn, user, entry_id)
                .await?
                .is_none()
            {
                return Err(Error::ListEntryNotFound);
            }
            Ok(db::scrobble_pins::set(conn, user, server, &key, server_season, to).await?)
        })
    })
    .await?;
    if Outcome::parse(&row.outcome) == Outcome::Unmatched {
        let target = matching::find(app, user, &event, true).await?;
        watch(app, user, Row::Saved(row.id), target, &event).await?;
    }
    let mut conn = common_db::conn(&app.pool).await?;
    db::scrobbles::event(&mut conn, user, id)
        .await?
        .ok_or(Error::ScrobbleEventNotFound)
}

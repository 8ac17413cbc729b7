//! Which of the person's items an event is about. A match that is not
//! certain is never guessed: the event is unmatched, with why.
//!
//! - A movie: by its IMDb id (the catalog, or OMDb); without one, the
//!   person's one movie of that title (and year).
//! - Episodes: the show the person pinned; else the series' IMDb id (an
//!   OMDb series); else the person's one series or anime of that title
//!   (and year). The numbers are the server's, moved by a pin's offset.

use completionist_common::db as common_db;
use uuid::Uuid;

use super::played::{Event, Played};
use crate::{
    app::App,
    catalog, db,
    domain::{Item, MediaKind, Reference, Source},
    error::Error,
    providers::ProviderError,
};

/// Where an event's watch goes.
#[derive(Clone, Debug)]
pub(super) enum Target {
    /// A movie of the catalog, on the list or not yet.
    Movie(Item),
    /// Episodes `first..=last` of `season` of a show of the catalog, on the
    /// list (`entry`) or not yet.
    Episodes {
        item: Item,
        entry: Option<Uuid>,
        season: i32,
        first: i32,
        last: i32,
    },
}

/// The target of `event` (a watched movie or numbered episodes), or why
/// there is none.
pub(super) async fn find(
    app: &App,
    user: Uuid,
    event: &Event,
) -> Result<Result<Target, String>, Error> {
    match event.played {
        Played::Movie => movie(app, user, event).await,
        Played::Episodes {
            season,
            first,
            last,
        } => episodes(app, user, event, (season, first, last)).await,
        Played::UnnumberedEpisode | Played::Other => {
            Ok(Err("the server named no season and episode".into()))
        }
    }
}

async fn movie(app: &App, user: Uuid, event: &Event) -> Result<Result<Target, String>, Error> {
    let imdb = &event.ids.item.imdb;
    if !imdb.is_empty() {
        return Ok(by_provider(app, Source::Omdb, MediaKind::Movie, imdb)
            .await?
            .map(Target::Movie));
    }
    let mut conn = common_db::conn(&app.pool).await?;
    let found = db::entries_by_item::titled(
        &mut conn,
        user,
        &[MediaKind::Movie],
        &event.title,
        event.year,
    )
    .await?;
    Ok(match found.as_slice() {
        [one] => Ok(Target::Movie(one.item.clone())),
        [] => Err(format!(
            "the server gave no IMDb id, and none of your movies is called “{}”",
            event.title
        )),
        _ => Err(format!(
            "the server gave no IMDb id, and several of your movies are called “{}”",
            event.title
        )),
    })
}

async fn episodes(
    app: &App,
    user: Uuid,
    event: &Event,
    (season, first, last): (i32, i32, i32),
) -> Result<Result<Target, String>, Error> {
    let mut conn = common_db::conn(&app.pool).await?;
    let key = event.show_key();
    if let Some(pin) =
        db::scrobble_pins::pin(&mut conn, user, event.server.as_str(), &key, Some(season)).await?
    {
        let Some(entry) = db::entries::find(&mut conn, user, pin.list_entry_id).await? else {
            return Ok(Err("the pinned show is no longer on your list".into()));
        };
        let (season, offset) = match pin.server_season {
            Some(_) => (pin.season, pin.episode_offset),
            None => (season, 0),
        };
        return Ok(Ok(Target::Episodes {
            item: entry.item,
            entry: Some(entry.id),
            season,
            first: first + offset,
            last: last + offset,
        }));
    }
    let series_imdb = &event.ids.series.imdb;
    if !series_imdb.is_empty() {
        drop(conn);
        let item = match by_provider(app, Source::Omdb, MediaKind::Series, series_imdb).await? {
            Ok(item) => item,
            Err(why) => return Ok(Err(why)),
        };
        let mut conn = common_db::conn(&app.pool).await?;
        let entry = db::entries_by_item::of_item(&mut conn, user, item.id).await?;
        return Ok(Ok(Target::Episodes {
            item,
            entry: entry.map(|e| e.id),
            season,
            first,
            last,
        }));
    }
    let shows = [MediaKind::Series, MediaKind::Anime];
    let found =
        db::entries_by_item::titled(&mut conn, user, &shows, &event.series_title, None).await?;
    Ok(match found.as_slice() {
        [one] => Ok(Target::Episodes {
            item: one.item.clone(),
            entry: Some(one.id),
            season,
            first,
            last,
        }),
        [] => Err(format!(
            "none of your series is called “{}”; add it, or pin this show to yours",
            event.series_title
        )),
        _ => Err(format!(
            "several of your series are called “{}”; pin this show to one",
            event.series_title
        )),
    })
}

/// The catalog item `source` knows as `id` (asked of it when not yet in
/// the catalog), or why not.
async fn by_provider(
    app: &App,
    source: Source,
    kind: MediaKind,
    id: &str,
) -> Result<Result<Item, String>, Error> {
    let Ok(reference) = Reference::new(source, kind, id) else {
        return Ok(Err(format!("“{id}” is not an IMDb id")));
    };
    if let Some(item) = catalog::find_imported(app, &reference).await? {
        return Ok(Ok(item));
    }
    match app.providers.details(&reference).await {
        Ok(candidate) => {
            let mut conn = common_db::conn(&app.pool).await?;
            let imported =
                db::items::find_or_insert(&mut conn, catalog::new_item(&candidate)).await?;
            Ok(Ok(imported.item))
        }
        Err(ProviderError::NotFound { provider }) => Ok(Err(format!(
            "{provider} has no {} with the id {id}",
            kind_word(kind)
        ))),
        Err(e) => Ok(Err(format!(
            "{id} could not be looked up ({e}); it is matched when the server sends it again"
        ))),
    }
}

fn kind_word(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Movie => "movie",
        _ => "series",
    }
}

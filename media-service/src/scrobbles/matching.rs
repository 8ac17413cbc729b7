//! Which of the person's items an event is about. A match that is not
//! certain is never guessed: the event is unmatched, with why.
//!
//! - A movie: by its IMDb id (the catalog, or OMDb); without one, the
//!   person's one movie of that title (and year).
//! - Episodes: the show the person pinned; else the series' IMDb id (an
//!   OMDb series), when the server gives one, or its TheTVDB id, whose
//!   IMDb id TVmaze knows; else the episode's own IMDb id, which OMDb
//!   places in its series; else the person's one series or anime of that
//!   title. The numbers are the server's (OMDb's, by the
//!   episode's id), moved by a pin's offset.

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
///
/// `look_for_pin`: whether the user may have pinned the show (most never
/// pin one, and their events need no lookup).
pub(super) async fn find(
    app: &App,
    user: Uuid,
    event: &Event,
    look_for_pin: bool,
) -> Result<Result<Target, String>, Error> {
    match event.played {
        Played::Movie => movie(app, user, event).await,
        Played::Episodes {
            season,
            first,
            last,
        } => episodes(app, user, event, (season, first, last), look_for_pin).await,
        Played::UnnumberedEpisode | Played::Other => {
            Ok(Err("the server named no season and episode".into()))
        }
    }
}

async fn movie(app: &App, user: Uuid, event: &Event) -> Result<Result<Target, String>, Error> {
    let imdb = &event.ids.item.imdb;
    if !imdb.is_empty() {
        return Ok(
            by_provider(app, user, (Source::Omdb, MediaKind::Movie), imdb)
                .await?
                .map(Target::Movie),
        );
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

/// The target the person pinned the event's show to, if they pinned it.
async fn by_pin(
    app: &App,
    user: Uuid,
    event: &Event,
    (season, first, last): (i32, i32, i32),
) -> Result<Option<Result<Target, String>>, Error> {
    let mut conn = common_db::conn(&app.pool).await?;
    let key = event.show_key();
    let Some(pin) =
        db::scrobble_pins::pin(&mut conn, user, event.server.as_str(), &key, Some(season)).await?
    else {
        return Ok(None);
    };
    let Some(entry) = db::entries::find(&mut conn, user, pin.list_entry_id).await? else {
        return Ok(Some(
            Err("the pinned show is no longer on your list".into()),
        ));
    };
    let (season, offset) = match pin.server_season {
        Some(_) => (pin.season, pin.episode_offset),
        None => (season, 0),
    };
    Ok(Some(Ok(Target::Episodes {
        item: entry.item,
        entry: Some(entry.id),
        season,
        first: first + offset,
        last: last + offset,
    })))
}

async fn episodes(
    app: &App,
    user: Uuid,
    event: &Event,
    (season, first, last): (i32, i32, i32),
    look_for_pin: bool,
) -> Result<Result<Target, String>, Error> {
    if look_for_pin && let Some(pinned) = by_pin(app, user, event, (season, first, last)).await? {
        return Ok(pinned);
    }
    let series_imdb = &event.ids.series.imdb;
    if !series_imdb.is_empty() {
        return by_series(app, user, series_imdb, (season, first, last)).await;
    }
    // The show by the series' TheTVDB id (TVmaze knows its IMDb id): taken
    // at once when it is on the person's list; otherwise added only when no
    // other way finds one of theirs (they may follow it as another item).
    let mut by_tvdb = None;
    let series_tvdb = &event.ids.series.tvdb;
    if is_tvdb_id(series_tvdb)
        && (app.providers.knows_tvdb_show(series_tvdb) || lookup_allowed(app, user).await?)
        && let Ok(Some(imdb)) = app.providers.tvdb_show_imdb(series_tvdb).await
    {
        match by_series(app, user, &imdb, (season, first, last)).await? {
            Ok(target @ Target::Episodes { entry: Some(_), .. }) => return Ok(Ok(target)),
            Ok(target) => by_tvdb = Some(target),
            // Not certain: the other ways decide.
            Err(_) => {}
        }
    }
    // The episode's own IMDb id (what Plex, Jellyfin and Emby send): OMDb
    // says its series, season and number. Nothing certain from OMDb (it
    // does not know the id, or cannot be asked): the title decides.
    let own_imdb = &event.ids.item.imdb;
    if !own_imdb.is_empty()
        && (app.providers.knows_episode_place(own_imdb) || lookup_allowed(app, user).await?)
        && let Ok(Some(place)) = app.providers.episode_place(own_imdb).await
    {
        let span = (place.season, place.number, place.number + (last - first));
        return by_series(app, user, &place.series_imdb, span).await;
    }
    Ok(
        match (
            by_title(app, user, event, (season, first, last)).await?,
            by_tvdb,
        ) {
            (Err(_), Some(target)) => Ok(target),
            (titled, _) => titled,
        },
    )
}

/// Episodes `first..=last` of `season` of the person's one series or anime
/// titled as the server says.
async fn by_title(
    app: &App,
    user: Uuid,
    event: &Event,
    (season, first, last): (i32, i32, i32),
) -> Result<Result<Target, String>, Error> {
    let mut conn = common_db::conn(&app.pool).await?;
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

/// Episodes `first..=last` of `season` of the OMDb series `imdb`, on the
/// list or not yet.
async fn by_series(
    app: &App,
    user: Uuid,
    imdb: &str,
    (season, first, last): (i32, i32, i32),
) -> Result<Result<Target, String>, Error> {
    let item = match by_provider(app, user, (Source::Omdb, MediaKind::Series), imdb).await? {
        Ok(item) => item,
        Err(why) => return Ok(Err(why)),
    };
    let mut conn = common_db::conn(&app.pool).await?;
    let entry = db::entries_by_item::of_item(&mut conn, user, item.id).await?;
    Ok(Ok(Target::Episodes {
        item,
        entry: entry.map(|e| e.id),
        season,
        first,
        last,
    }))
}

/// Why an item not yet in the catalog was not looked up.
const NO_LOOKUPS: &str =
    "your servers sent too many new titles this hour; pin the show, or mark it by hand";

/// The catalog item `source` knows as `id` (asked of it when not yet in
/// the catalog, within `user`'s hourly budget of lookups), or why not.
async fn by_provider(
    app: &App,
    user: Uuid,
    (source, kind): (Source, MediaKind),
    id: &str,
) -> Result<Result<Item, String>, Error> {
    let Ok(reference) = Reference::new(source, kind, id) else {
        return Ok(Err(format!("“{id}” is not an IMDb id")));
    };
    if catalog::find_imported(app, &reference).await?.is_none()
        && !lookup_allowed(app, user).await?
    {
        return Ok(Err(NO_LOOKUPS.into()));
    }
    match catalog::import(app, &reference).await {
        Ok(imported) => Ok(Ok(imported.item)),
        Err(Error::Provider(ProviderError::NotFound { provider })) => Ok(Err(format!(
            "{provider} has no {} with the id {id}",
            kind_word(kind)
        ))),
        Err(Error::Provider(e)) => Ok(Err(format!(
            "{id} could not be looked up ({e}); pin the show or mark it by hand"
        ))),
        Err(e) => Err(e),
    }
}

/// Takes one of `user`'s provider lookups for this hour, if one is left.
async fn lookup_allowed(app: &App, user: Uuid) -> Result<bool, Error> {
    let mut conn = common_db::conn(&app.pool).await?;
    let per_hour = app.scrobbles.lookups_per_hour;
    Ok(db::scrobbles::take_lookup(&mut conn, user, per_hour).await?)
}

/// TheTVDB's ids are numbers.
fn is_tvdb_id(id: &str) -> bool {
    (1..=12).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

fn kind_word(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Movie => "movie",
        _ => "series",
    }
}

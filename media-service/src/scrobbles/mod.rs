//! Scrobbling: media servers (Plex, Jellyfin, Emby, Kodi) post what was
//! played to the gateway, which reads each server's payload into one event
//! for the internal `ScrobbleIntakeService` (`intake`). Each event is
//! matched to the person's list (`matching`), recorded (`recording`), and
//! kept with what became of it, for the person to read and, for a show
//! that did not match, to pin. The public RPCs here manage the tokens
//! servers post with, list the events, and pin shows.

pub(crate) mod intake;
mod matching;
mod outcome;
mod pinning;
mod played;
mod recording;
mod watching;

use completionist_common::{
    db as common_db,
    paging::{Page, PageSize},
    time::timestamp,
};
use completionist_proto::media as pb;
use tonic::Request;
use uuid::Uuid;

pub(crate) use self::played::Server;
use self::played::{Event, EventIds};
use crate::{
    app::{App, Caller},
    db::{self, scrobbles::EventRow},
    domain::parse_id,
    error::Error,
};

/// What ListScrobbleEvents' page tokens are for.
const EVENTS_QUERY: &str = "scrobble_events";

/// Characters a token's name and its server user may have.
const MAX_NAME: usize = 100;

pub(crate) async fn create_scrobble_token(
    app: &App,
    request: Request<pb::CreateScrobbleTokenRequest>,
) -> Result<pb::CreateScrobbleTokenResponse, Error> {
    let caller = Caller::of(&request)?;
    let pb::CreateScrobbleTokenRequest { name, server_user } = request.into_inner();
    let name = name.trim().to_owned();
    let server_user = server_user.trim().to_owned();
    let mut v = completionist_common::error::Violations::default();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.contains('\0') {
        v.add("name", format!("must be 1 to {MAX_NAME} characters"));
    }
    if server_user.chars().count() > MAX_NAME || server_user.contains('\0') {
        v.add(
            "server_user",
            format!("must be at most {MAX_NAME} characters"),
        );
    }
    v.finish(())?;
    let (secret, hash) = crate::secrets::generate();
    let user = caller.user_id;
    let most = app.scrobbles.max_tokens_per_user;
    let token = common_db::transaction::<_, Error, _>(&app.pool, move |conn| {
        Box::pin(async move {
            if db::scrobbles::lock_count(conn, user).await? >= most {
                return Err(Error::TooManyScrobbleTokens(most));
            }
            let only = (!server_user.is_empty()).then_some(server_user.as_str());
            Ok(db::scrobbles::insert_token(conn, user, &name, only, &hash).await?)
        })
    })
    .await?;
    Ok(pb::CreateScrobbleTokenResponse {
        scrobble_token: Some(token_to_proto(token)),
        urls: Server::ALL
            .into_iter()
            .map(|server| pb::ScrobbleUrl {
                server: server.to_proto().into(),
                path: format!("/scrobble/{}/{secret}", server.as_str()),
            })
            .collect(),
    })
}

pub(crate) async fn list_scrobble_tokens(
    app: &App,
    request: Request<pb::ListScrobbleTokensRequest>,
) -> Result<pb::ListScrobbleTokensResponse, Error> {
    let caller = Caller::of(&request)?;
    let user = caller.user_id;
    let tokens = common_db::read(&app.pool, |conn| {
        Box::pin(db::scrobbles::tokens(conn, user))
    })
    .await?;
    Ok(pb::ListScrobbleTokensResponse {
        scrobble_tokens: tokens.into_iter().map(token_to_proto).collect(),
    })
}

pub(crate) async fn delete_scrobble_token(
    app: &App,
    request: Request<pb::DeleteScrobbleTokenRequest>,
) -> Result<pb::DeleteScrobbleTokenResponse, Error> {
    let caller = Caller::of(&request)?;
    let pb::DeleteScrobbleTokenRequest { id } = request.into_inner();
    let id = parse_id(&id).map_err(|why| Error::invalid("id", why))?;
    let mut conn = common_db::conn(&app.pool).await?;
    if !db::scrobbles::delete_token(&mut conn, caller.user_id, id).await? {
        return Err(Error::ScrobbleTokenNotFound);
    }
    Ok(pb::DeleteScrobbleTokenResponse {})
}

pub(crate) async fn list_scrobble_events(
    app: &App,
    request: Request<pb::ListScrobbleEventsRequest>,
) -> Result<pb::ListScrobbleEventsResponse, Error> {
    let caller = Caller::of(&request)?;
    let pb::ListScrobbleEventsRequest {
        page_size,
        page_token,
    } = request.into_inner();
    let size =
        PageSize::parse(page_size, 50, 100).map_err(|why| Error::invalid("page_size", why))?;
    let me = caller.user_id.to_string();
    // Every page of this listing is of the same query: the caller's events.
    let query = EVENTS_QUERY.to_owned();
    let after = app.page_tokens.open(&page_token, &me, &query)?;
    let user = caller.user_id;
    let events = common_db::read(&app.pool, |conn| {
        Box::pin(db::scrobbles::events(conn, user, after, size.limit()))
    })
    .await?;
    let page = Page::from_rows(events, size, |e| {
        app.page_tokens.seal(&me, &query, &(e.received_at, e.id))
    });
    Ok(pb::ListScrobbleEventsResponse {
        scrobble_events: page.items.into_iter().map(event_to_proto).collect(),
        next_page_token: page.next_page_token,
    })
}

pub(crate) async fn pin_scrobble_show(
    app: &App,
    request: Request<pb::PinScrobbleShowRequest>,
) -> Result<pb::PinScrobbleShowResponse, Error> {
    let caller = Caller::of(&request)?;
    let pb::PinScrobbleShowRequest {
        scrobble_event_id,
        list_entry_id,
        season,
        episode_offset,
    } = request.into_inner();
    let mut v = completionist_common::error::Violations::default();
    let event_id = v.check("scrobble_event_id", parse_id(&scrobble_event_id));
    let entry_id = v.check("list_entry_id", parse_id(&list_entry_id));
    if !(0..=1_000).contains(&season) {
        v.add("season", "must be 0 to 1000");
    }
    if !(-10_000..=10_000).contains(&episode_offset) {
        v.add("episode_offset", "must be -10000 to 10000");
    }
    let (event_id, entry_id) = v.finish((event_id, entry_id))?;
    let event = pinning::pin(
        app,
        caller.user_id,
        event_id,
        entry_id,
        (season, episode_offset),
    )
    .await?;
    Ok(pb::PinScrobbleShowResponse {
        scrobble_event: Some(event_to_proto(event)),
    })
}

fn token_to_proto(token: db::scrobbles::Token) -> pb::ScrobbleToken {
    pb::ScrobbleToken {
        id: token.id.to_string(),
        name: token.name,
        server_user: token.server_user.unwrap_or_default(),
        create_time: Some(timestamp(token.created_at)),
        last_used_time: token.last_used_at.map(timestamp),
    }
}

fn event_to_proto(row: EventRow) -> pb::ScrobbleEvent {
    let server = Server::parse(&row.server).map_or(pb::MediaServer::Unspecified, Server::to_proto);
    let kind = match row.kind.as_str() {
        "movie" => pb::PlayedKind::Movie,
        "episode" => pb::PlayedKind::Episode,
        _ => pb::PlayedKind::Other,
    };
    pb::ScrobbleEvent {
        id: row.id.to_string(),
        server: server.into(),
        server_user: row.server_user,
        event: row.event,
        kind: kind.into(),
        title: row.title,
        series_title: row.series_title,
        year: row.year.unwrap_or_default(),
        season: row.season,
        episode: row.episode,
        last_episode: row.last_episode,
        outcome: outcome::Outcome::parse(&row.outcome).to_proto().into(),
        reason: row.reason,
        list_entry_id: row
            .list_entry_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        media_item_id: row
            .media_item_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        receive_time: Some(timestamp(row.received_at)),
    }
}

/// The row of `event`, received now, to be stored once its outcome is
/// known (set by the recording before the row is written).
fn new_row(user: Uuid, token: Uuid, event: &Event) -> EventRow {
    let (season, episode, last_episode) = match event.played {
        played::Played::Episodes {
            season,
            first,
            last,
        } => (Some(season), Some(first), (last != first).then_some(last)),
        _ => (None, None, None),
    };
    EventRow {
        id: Uuid::now_v7(),
        user_id: user,
        token_id: Some(token),
        server: event.server.as_str().to_owned(),
        server_user: event.server_user.clone(),
        event: event.event.clone(),
        kind: event.played.kind().to_owned(),
        title: event.title.clone(),
        series_title: event.series_title.clone(),
        year: event.year,
        season,
        episode,
        last_episode,
        ids: serde_json::to_value(&event.ids).unwrap_or_default(),
        item_key: event.item_key.clone(),
        watched_at: event.at,
        delivery_digest: event.digest.clone(),
        outcome: outcome::Outcome::Unmatched.as_str().to_owned(),
        reason: String::new(),
        list_entry_id: None,
        media_item_id: None,
        received_at: chrono::Utc::now(),
    }
}

/// The event a stored row records, to match it again (a pin).
fn stored_event(row: &EventRow) -> Option<Event> {
    let played = match (row.kind.as_str(), row.season, row.episode) {
        ("episode", Some(season), Some(first)) => played::Played::Episodes {
            season,
            first,
            last: row.last_episode.unwrap_or(first),
        },
        ("episode", _, _) => played::Played::UnnumberedEpisode,
        ("movie", _, _) => played::Played::Movie,
        _ => played::Played::Other,
    };
    Some(Event {
        server: Server::parse(&row.server)?,
        server_user: row.server_user.clone(),
        event: row.event.clone(),
        watched: true,
        played,
        title: row.title.clone(),
        series_title: row.series_title.clone(),
        year: row.year,
        ids: serde_json::from_value::<EventIds>(row.ids.clone()).unwrap_or_default(),
        item_key: row.item_key.clone(),
        at: row.watched_at,
        digest: row.delivery_digest.clone(),
    })
}

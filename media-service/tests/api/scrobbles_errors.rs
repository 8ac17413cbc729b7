//! Scrobbling's refusals: what cannot be pinned, tokens past their number
//! or revoked, a token over its rate, events out of bounds, an episode the
//! show lacks, events past a user's most, the event log's pages, each its
//! owner's only, and a token deleted while its delivery is recorded.

use completionist_proto::media::{self as pb, ListStatus, PlayedKind, ScrobbleOutcome};
use tonic::Code;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{path, query_param},
};

use crate::{
    helpers::{Options, TestApp, assert_error, authed, violated_fields},
    scrobbles::episode,
    shows::{self, ENDED},
};

#[tokio::test]
async fn pins_refuse_what_cannot_be_pinned() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let other = app.user().await;
    let secret = app.scrobble_token(&user, "").await;
    let mut movie = episode(&secret, "", 0, 0, 1);
    movie.kind = PlayedKind::Movie.into();
    movie.season = None;
    movie.episode = None;
    app.scrobble(movie).await.unwrap();
    let event = app.scrobble_events(&user).await.remove(0);
    let book = app
        .custom_item(&user, pb::MediaKind::Book, "A book", None)
        .await;
    let entry = app.add(&user, &book.id, ListStatus::Planned, None).await;
    let pin = |who: &str, event: &str, entry: &str| {
        let request = pb::PinScrobbleShowRequest {
            scrobble_event_id: event.into(),
            list_entry_id: entry.into(),
            season: 0,
            episode_offset: 0,
        };
        let mut client = app.client();
        let who = who.to_owned();
        async move { client.pin_scrobble_show(authed(&who, request)).await }
    };
    assert_error(
        pin(&user, &event.id, &entry.id).await,
        Code::FailedPrecondition,
        "NOT_PINNABLE",
    );
    assert_error(
        pin(&other, &event.id, &entry.id).await,
        Code::NotFound,
        "SCROBBLE_EVENT_NOT_FOUND",
    );
    let missing = uuid::Uuid::new_v4().to_string();
    assert_error(
        pin(&user, &event.id, &missing).await,
        Code::NotFound,
        "LIST_ENTRY_NOT_FOUND",
    );
    let bad = assert_error(
        pin(&user, "x", "y").await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        violated_fields(&bad),
        ["scrobble_event_id", "list_entry_id"]
    );
}

#[tokio::test]
async fn tokens_are_created_listed_and_revoked() {
    let app = TestApp::spawn_with(Options {
        media: |config| config.scrobbles.max_tokens_per_user = 2,
        ..Options::default()
    })
    .await;
    let user = app.user().await;
    let other = app.user().await;
    let secret = app.scrobble_token(&user, "").await;
    app.scrobble_token(&user, "ada").await;
    let third = app
        .client()
        .create_scrobble_token(authed(
            &user,
            pb::CreateScrobbleTokenRequest {
                name: "third".into(),
                server_user: String::new(),
            },
        ))
        .await;
    assert_error(third, Code::ResourceExhausted, "TOO_MANY_SCROBBLE_TOKENS");
    let nameless = app
        .client()
        .create_scrobble_token(authed(&user, pb::CreateScrobbleTokenRequest::default()))
        .await;
    let bad = assert_error(nameless, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&bad), ["name"]);

    let listed = app
        .client()
        .list_scrobble_tokens(authed(&user, pb::ListScrobbleTokensRequest {}))
        .await
        .unwrap()
        .into_inner()
        .scrobble_tokens;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1].server_user, "ada");
    assert!(!format!("{listed:?}").contains(&secret));

    let delete = |who: &str, id: &str| {
        let request = pb::DeleteScrobbleTokenRequest { id: id.into() };
        let mut client = app.client();
        let who = who.to_owned();
        async move { client.delete_scrobble_token(authed(&who, request)).await }
    };
    assert_error(
        delete(&other, &listed[0].id).await,
        Code::NotFound,
        "SCROBBLE_TOKEN_NOT_FOUND",
    );
    delete(&user, &listed[0].id).await.unwrap();
    assert_error(
        delete(&user, &listed[0].id).await,
        Code::NotFound,
        "SCROBBLE_TOKEN_NOT_FOUND",
    );
    let revoked = app.scrobble(episode(&secret, "Futurama", 1, 1, 1)).await;
    assert_error(revoked, Code::Unauthenticated, "SCROBBLE_TOKEN_UNKNOWN");
    let long = app
        .scrobble(episode(&"x".repeat(10_000), "Futurama", 1, 1, 1))
        .await;
    assert_error(long, Code::Unauthenticated, "SCROBBLE_TOKEN_UNKNOWN");
}

#[tokio::test]
async fn a_users_deliveries_over_their_rate_are_refused_with_a_delay() {
    let app = TestApp::spawn_with(Options {
        media: |config| config.scrobbles.deliveries_per_minute = 2,
        ..Options::default()
    })
    .await;
    let user = app.user().await;
    let other = app.user().await;
    // Two tokens of one user share the user's rate.
    let first = app.scrobble_token(&user, "").await;
    let second = app.scrobble_token(&user, "").await;
    app.scrobble(episode(&first, "Nothing", 1, 1, 1))
        .await
        .unwrap();
    app.scrobble(episode(&second, "Nothing", 1, 1, 2))
        .await
        .unwrap();
    let refused = app.scrobble(episode(&first, "Nothing", 1, 1, 3)).await;
    let status = assert_error(refused, Code::ResourceExhausted, "SCROBBLE_RATE_EXCEEDED");
    let delay = tonic_types::StatusExt::get_details_retry_info(&status)
        .and_then(|info| info.retry_delay)
        .unwrap();
    assert!(delay.as_secs() >= 1 && delay.as_secs() <= 60, "{delay:?}");
    // Refused deliveries are not recorded; another user's are not held.
    assert_eq!(app.scrobble_events(&user).await.len(), 2);
    let theirs = app.scrobble_token(&other, "").await;
    app.scrobble(episode(&theirs, "Nothing", 1, 1, 4))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_user_keeps_their_newest_events_only() {
    let app = TestApp::spawn_with(Options {
        media: |config| config.scrobbles.max_events_per_user = 2,
        ..Options::default()
    })
    .await;
    let user = app.user().await;
    let secret = app.scrobble_token(&user, "").await;
    for n in 1..=4 {
        app.scrobble(episode(&secret, "Nothing", 1, 1, n))
            .await
            .unwrap();
    }
    assert_eq!(app.scrobble_events(&user).await.len(), 4);
    // A new minute: its first delivery trims the oldest.
    let new_minute = "UPDATE scrobble_rates SET minute_started_at = now() - interval '2 minutes'";
    app.media_db.execute(new_minute).await;
    app.scrobble(episode(&secret, "Nothing", 1, 1, 5))
        .await
        .unwrap();
    assert_eq!(app.scrobble_events(&user).await.len(), 2, "the newest two");
}

#[tokio::test]
async fn new_titles_are_looked_up_within_an_hourly_budget() {
    let app = TestApp::spawn_with(Options {
        media: |config| config.scrobbles.lookups_per_hour = 1,
        ..Options::default()
    })
    .await;
    let user = app.user().await;
    let secret = app.scrobble_token(&user, "").await;
    let movie = |imdb: &str, n| {
        let mut request = episode(&secret, "", 0, 0, n);
        request.kind = PlayedKind::Movie.into();
        (request.season, request.episode) = (None, None);
        request.ids = Some(pb::PlayedIds {
            imdb: imdb.into(),
            ..Default::default()
        });
        request
    };
    // OMDb (not mounted here) is asked once, and answers nothing useful.
    let first = app.scrobble(movie("tt0000001", 1)).await.unwrap();
    assert!(
        first.reason.contains("could not be looked up"),
        "{}",
        first.reason
    );
    let second = app.scrobble(movie("tt0000002", 2)).await.unwrap();
    assert_eq!(second.outcome(), pb::ScrobbleOutcome::Unmatched);
    assert!(
        second.reason.contains("too many new titles"),
        "{}",
        second.reason
    );
}

#[tokio::test]
async fn an_event_out_of_bounds_is_refused_by_field() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let secret = app.scrobble_token(&user, "").await;
    let mut request = episode(&secret, "Futurama", -1, 5, 1);
    request.last_episode = Some(4);
    request.delivery_digest = vec![1; 3];
    let refused = app.scrobble(request).await;
    let bad = assert_error(refused, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(
        violated_fields(&bad),
        ["season", "last_episode", "delivery_digest"]
    );
    // NUL is refused before any handler reads the request.
    let mut request = episode(&secret, "Futurama", 1, 1, 2);
    request.title = "a\0b".into();
    let refused = app.scrobble(request).await;
    let bad = assert_error(refused, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&bad), ["title"]);
    assert!(app.scrobble_events(&user).await.is_empty());
}

#[tokio::test]
async fn events_are_listed_a_page_at_a_time_to_their_owner_only() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let other = app.user().await;
    let secret = app.scrobble_token(&user, "").await;
    for n in 1..=3 {
        app.scrobble(episode(&secret, "Nothing", 1, 1, n))
            .await
            .unwrap();
    }
    let page = |who: &str, token: &str| {
        let request = pb::ListScrobbleEventsRequest {
            page_size: 2,
            page_token: token.into(),
        };
        let mut client = app.client();
        let who = who.to_owned();
        async move {
            client
                .list_scrobble_events(authed(&who, request))
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let first = page(&user, "").await.unwrap();
    assert_eq!(first.scrobble_events.len(), 2);
    let second = page(&user, &first.next_page_token).await.unwrap();
    assert_eq!(second.scrobble_events.len(), 1);
    assert!(second.next_page_token.is_empty());
    assert!(page(&other, "").await.unwrap().scrobble_events.is_empty());
    assert_error(
        page(&other, &first.next_page_token).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
}

#[tokio::test]
async fn an_episode_the_show_lacks_adds_nothing_to_the_list() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let place = serde_json::json!({"Title": "Lost", "Season": "9", "Episode": "99",
        "seriesID": ENDED, "Type": "episode", "Response": "True"});
    Mock::given(path("/omdb/"))
        .and(query_param("i", "tt0584442"))
        .respond_with(ResponseTemplate::new(200).set_body_json(place))
        .mount(&app.providers)
        .await;
    let user = app.user().await;
    let secret = app.scrobble_token(&user, "").await;
    let mut request = episode(&secret, "Futurama (US)", 9, 99, 1);
    request.ids = Some(pb::PlayedIds {
        imdb: "tt0584442".into(),
        ..Default::default()
    });
    let recorded = app.scrobble(request).await.unwrap();
    assert_eq!(
        recorded.outcome(),
        ScrobbleOutcome::Unmatched,
        "{recorded:?}"
    );
    let listed = app.list(&user, pb::ListListEntriesRequest::default()).await;
    assert!(listed.list_entries.is_empty(), "{listed:?}");
    let events = app.scrobble_events(&user).await;
    assert_eq!(events[0].list_entry_id, "", "unmatched: no entry");
}

#[tokio::test]
async fn a_token_deleted_while_its_delivery_is_recorded_leaves_it_unknown() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let secret = app.scrobble_token(&user, "").await;
    // The token goes just as its event is stored (a revocation racing the
    // delivery, made certain).
    app.media_db
        .execute(
            "CREATE FUNCTION revoke_first() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN DELETE FROM scrobble_tokens WHERE id = NEW.token_id; RETURN NEW; END $$",
        )
        .await;
    app.media_db
        .execute(
            "CREATE TRIGGER revoke_first BEFORE INSERT ON scrobble_events \
             FOR EACH ROW EXECUTE FUNCTION revoke_first()",
        )
        .await;
    let mut movie = episode(&secret, "", 0, 0, 1);
    movie.kind = PlayedKind::Movie.into();
    (movie.season, movie.episode) = (None, None);
    let refused = app.scrobble(movie).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    assert!(app.scrobble_events(&user).await.is_empty());
}

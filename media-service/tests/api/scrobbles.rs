//! Scrobbling as media-service serves it: the public RPCs (tokens, events,
//! pins) and the internal ScrobbleIntakeService the gateway hands each
//! webhook's event to. The webhooks themselves are the gateway's tests.

use completionist_proto::media::{
    self as pb, ListStatus, MediaServer, PlayedKind, ScrobbleOutcome,
    scrobble_intake_service_client::ScrobbleIntakeServiceClient,
};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{path, query_param},
};

use crate::{
    helpers::{TestApp, authed, json_fixture},
    shows::{self, ENDED},
};

impl TestApp {
    pub(crate) async fn scrobble_token(&self, token: &str, server_user: &str) -> String {
        let created = self
            .client()
            .create_scrobble_token(authed(
                token,
                pb::CreateScrobbleTokenRequest {
                    name: "living room".into(),
                    server_user: server_user.into(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        let plex = &created.urls[0];
        plex.path.trim_start_matches("/scrobble/plex/").to_owned()
    }

    pub(crate) async fn scrobble(
        &self,
        request: pb::RecordScrobbleRequest,
    ) -> Result<pb::RecordScrobbleResponse, tonic::Status> {
        ScrobbleIntakeServiceClient::new(self.media.channel.clone())
            .record_scrobble(request)
            .await
            .map(tonic::Response::into_inner)
    }

    pub(crate) async fn scrobble_events(&self, token: &str) -> Vec<pb::ScrobbleEvent> {
        self.client()
            .list_scrobble_events(authed(token, pb::ListScrobbleEventsRequest::default()))
            .await
            .unwrap()
            .into_inner()
            .scrobble_events
    }
}

/// A watched episode from Jellyfin, as the gateway reads it; `n` makes
/// the delivery its own.
pub(crate) fn episode(
    secret: &str,
    series: &str,
    season: i32,
    episode: i32,
    n: u8,
) -> pb::RecordScrobbleRequest {
    pb::RecordScrobbleRequest {
        token: secret.into(),
        server: MediaServer::Jellyfin.into(),
        server_user: "ada".into(),
        event: "PlaybackStop".into(),
        watched: true,
        kind: PlayedKind::Episode.into(),
        title: "An episode".into(),
        series_title: series.into(),
        season: Some(season),
        episode: Some(episode),
        delivery_digest: vec![n; 32],
        ..Default::default()
    }
}

fn outcome(response: &pb::RecordScrobbleResponse) -> ScrobbleOutcome {
    response.outcome()
}

#[tokio::test]
async fn an_episode_matched_by_title_is_marked_once() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let user = app.user().await;
    let entry = app.add_series(&user, ENDED, ListStatus::InProgress).await;
    let secret = app.scrobble_token(&user, "").await;

    let first = app
        .scrobble(episode(&secret, "futurama", 1, 2, 1))
        .await
        .unwrap();
    assert_eq!(outcome(&first), ScrobbleOutcome::Watched, "{first:?}");
    // The same delivery again, then the same episode in another delivery
    // (a double stop on auto-play).
    let again = app
        .scrobble(episode(&secret, "Futurama", 1, 2, 1))
        .await
        .unwrap();
    assert_eq!(outcome(&again), ScrobbleOutcome::Duplicate);
    let double = app
        .scrobble(episode(&secret, "Futurama", 1, 2, 2))
        .await
        .unwrap();
    assert_eq!(outcome(&double), ScrobbleOutcome::Duplicate, "{double:?}");

    let shown = app.get_entry(&user, &entry.id).await.unwrap();
    assert_eq!(shown.progress, 1);
    let watches = app.episodes(&user, &entry.id).await.unwrap();
    let s1e2 = &watches.seasons[1].episodes[1];
    assert_eq!(
        (s1e2.season, s1e2.number, s1e2.watch_count),
        (1, Some(2), 1)
    );

    // Recorded once per delivery, newest first, each with its outcome.
    let events = app.scrobble_events(&user).await;
    let outcomes: Vec<_> = events.iter().map(pb::ScrobbleEvent::outcome).collect();
    assert_eq!(
        outcomes,
        [ScrobbleOutcome::Duplicate, ScrobbleOutcome::Watched]
    );
    assert_eq!(events[1].list_entry_id, entry.id);
    assert_eq!(events[1].server(), MediaServer::Jellyfin);
}

#[tokio::test]
async fn one_delivery_sent_several_times_at_once_is_recorded_once() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let user = app.user().await;
    let entry = app.add_series(&user, ENDED, ListStatus::InProgress).await;
    let secret = app.scrobble_token(&user, "").await;
    let sends = (0..6).map(|_| app.scrobble(episode(&secret, "Futurama", 1, 3, 7)));
    let answers = futures_util::future::join_all(sends).await;
    let watched = answers
        .iter()
        .filter(|a| outcome(a.as_ref().unwrap()) == ScrobbleOutcome::Watched)
        .count();
    assert_eq!(watched, 1, "{answers:?}");
    assert_eq!(app.scrobble_events(&user).await.len(), 1);
    let watches = app.episodes(&user, &entry.id).await.unwrap();
    assert_eq!(watches.seasons[1].episodes[2].watch_count, 1);
}

#[tokio::test]
async fn an_episode_is_placed_by_its_own_imdb_id() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let place = serde_json::json!({"Title": "Fry and the Slurm Factory", "Season": "1",
        "Episode": "3", "seriesID": ENDED, "Type": "episode", "Response": "True"});
    Mock::given(path("/omdb/"))
        .and(query_param("i", "tt0584441"))
        .respond_with(ResponseTemplate::new(200).set_body_json(place))
        .expect(1)
        .mount(&app.providers)
        .await;
    let user = app.user().await;
    let secret = app.scrobble_token(&user, "").await;
    // The server's own title and numbering; OMDb's place wins.
    let mut request = episode(&secret, "Futurama (US)", 7, 13, 1);
    request.ids = Some(pb::PlayedIds {
        imdb: "tt0584441".into(),
        ..Default::default()
    });
    let recorded = app.scrobble(request.clone()).await.unwrap();
    assert_eq!(outcome(&recorded), ScrobbleOutcome::Watched, "{recorded:?}");
    assert_eq!(recorded.reason, "S1E3");
    request.delivery_digest = vec![2; 32];
    let again = app.scrobble(request).await.unwrap();
    assert_eq!(outcome(&again), ScrobbleOutcome::Duplicate);
    // Not on the list before: added in progress, with that episode.
    let listed = app
        .list(&user, pb::ListListEntriesRequest::default())
        .await
        .list_entries;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status(), ListStatus::InProgress);
    assert_eq!(listed[0].progress, 1);
}

#[tokio::test]
async fn a_file_of_several_episodes_marks_each() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let user = app.user().await;
    let entry = app.add_series(&user, ENDED, ListStatus::Planned).await;
    let secret = app.scrobble_token(&user, "").await;
    let mut request = episode(&secret, "Futurama", 1, 1, 1);
    request.last_episode = Some(3);
    let recorded = app.scrobble(request).await.unwrap();
    assert_eq!(outcome(&recorded), ScrobbleOutcome::Watched, "{recorded:?}");
    let shown = app.get_entry(&user, &entry.id).await.unwrap();
    assert_eq!(shown.progress, 3);
    assert_eq!(shown.status(), ListStatus::InProgress);
}

#[tokio::test]
async fn a_movie_by_its_imdb_id_is_added_completed() {
    let app = TestApp::spawn().await;
    Mock::given(path("/omdb/"))
        .and(query_param("i", "tt0133093"))
        .respond_with(json_fixture("omdb_movie_tt0133093.json"))
        .mount(&app.providers)
        .await;
    let user = app.user().await;
    let secret = app.scrobble_token(&user, "").await;
    let movie = |n| pb::RecordScrobbleRequest {
        token: secret.clone(),
        server: MediaServer::Plex.into(),
        event: "media.scrobble".into(),
        watched: true,
        kind: PlayedKind::Movie.into(),
        title: "The Matrix".into(),
        ids: Some(pb::PlayedIds {
            imdb: "tt0133093".into(),
            ..Default::default()
        }),
        delivery_digest: vec![n; 32],
        ..Default::default()
    };
    let recorded = app.scrobble(movie(1)).await.unwrap();
    assert_eq!(outcome(&recorded), ScrobbleOutcome::Watched, "{recorded:?}");
    let again = app.scrobble(movie(2)).await.unwrap();
    assert_eq!(outcome(&again), ScrobbleOutcome::Duplicate);
    // Two servers at once, for a movie not yet on another list: one watch,
    // one duplicate, both recorded.
    let other = app.user().await;
    let theirs = app.scrobble_token(&other, "").await;
    let at_once = |n| {
        let mut request = movie(n);
        request.token.clone_from(&theirs);
        app.scrobble(request)
    };
    let (a, b) = tokio::join!(at_once(3), at_once(4));
    let mut both = [outcome(&a.unwrap()), outcome(&b.unwrap())];
    both.sort_by_key(|o| *o as i32);
    assert_eq!(both, [ScrobbleOutcome::Watched, ScrobbleOutcome::Duplicate]);
    let listed = app
        .list(&user, pb::ListListEntriesRequest::default())
        .await
        .list_entries;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status(), ListStatus::Completed);
    assert_eq!(listed[0].completion_count, 1);
}

#[tokio::test]
async fn plays_that_are_no_watch_are_ignored() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let secret = app.scrobble_token(&user, "ada").await;
    let mut stopped = episode(&secret, "Futurama", 1, 1, 1);
    stopped.watched = false;
    let mut other_user = episode(&secret, "Futurama", 1, 1, 2);
    other_user.server_user = "bob".into();
    let mut song = episode(&secret, "", 1, 1, 3);
    song.kind = PlayedKind::Other.into();
    for request in [stopped, other_user, song] {
        let recorded = app.scrobble(request).await.unwrap();
        assert_eq!(outcome(&recorded), ScrobbleOutcome::Ignored, "{recorded:?}");
    }
    assert_eq!(app.scrobble_events(&user).await.len(), 3);
    let listed = app.list(&user, pb::ListListEntriesRequest::default()).await;
    assert!(listed.list_entries.is_empty());
}

#[tokio::test]
async fn an_unmatched_show_is_pinned_with_an_offset() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let user = app.user().await;
    let entry = app.add_series(&user, ENDED, ListStatus::InProgress).await;
    let secret = app.scrobble_token(&user, "").await;
    // The server's season 3 is the provider's season 2, numbered on.
    let recorded = app
        .scrobble(episode(&secret, "Futurama", 3, 1, 1))
        .await
        .unwrap();
    assert_eq!(outcome(&recorded), ScrobbleOutcome::Unmatched);
    assert!(recorded.reason.contains("S3E1"), "{}", recorded.reason);
    let event = &app.scrobble_events(&user).await[0];
    let pinned = app
        .client()
        .pin_scrobble_show(authed(
            &user,
            pb::PinScrobbleShowRequest {
                scrobble_event_id: event.id.clone(),
                list_entry_id: entry.id.clone(),
                season: 2,
                episode_offset: 1,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .scrobble_event
        .unwrap();
    assert_eq!(pinned.outcome(), ScrobbleOutcome::Watched, "{pinned:?}");
    // The next event of that season goes where the pin says.
    let next = app
        .scrobble(episode(&secret, "Futurama", 3, 0, 2))
        .await
        .unwrap();
    assert_eq!(outcome(&next), ScrobbleOutcome::Watched, "{next:?}");
    let episodes = app.episodes(&user, &entry.id).await.unwrap();
    let season_2 = episodes.seasons.iter().find(|s| s.number == 2).unwrap();
    assert!(season_2.episodes.iter().all(|e| e.watch_count == 1));

    // A show not on the list is unmatched, and pinned whole.
    let unknown = app
        .scrobble(episode(&secret, "Futurama (1999)", 1, 3, 3))
        .await
        .unwrap();
    assert_eq!(outcome(&unknown), ScrobbleOutcome::Unmatched);
    assert!(
        unknown.reason.contains("none of your series"),
        "{}",
        unknown.reason
    );
}

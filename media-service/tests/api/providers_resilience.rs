use std::time::{Duration, Instant};

use completionist_proto::media as pb;
use pb::{MediaKind, MediaSource};
use tonic::Code;
use tonic_types::StatusExt;
use wiremock::{Mock, ResponseTemplate, matchers::path};

use crate::helpers::{Options, TestApp, assert_error, json_fixture, reference};

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_and_retried() {
    let app = TestApp::spawn().await;
    Mock::given(path("/jikan/v4/anime/1"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_raw(
                    crate::helpers::fixture("jikan_429.json"),
                    "application/json",
                ),
        )
        .up_to_n_times(1)
        .mount(&app.providers)
        .await;
    Mock::given(path("/jikan/v4/anime/1"))
        .respond_with(json_fixture("jikan_anime_1.json"))
        .mount(&app.providers)
        .await;
    let token = app.user().await;

    let started = Instant::now();
    let item = app
        .import(&token, reference(MediaSource::Jikan, MediaKind::Anime, "1"))
        .await
        .unwrap()
        .media_item
        .unwrap();

    assert_eq!(item.title, "Cowboy Bebop");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After was not honoured"
    );
    assert_eq!(app.providers.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_provider_that_keeps_failing_is_unavailable_and_the_catalog_still_works() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let custom = app
        .custom_item(&token, MediaKind::Anime, "Local Item", Some(12))
        .await;
    Mock::given(path("/jikan/v4/anime"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "30")
                .set_body_raw(
                    crate::helpers::fixture("jikan_429.json"),
                    "application/json",
                ),
        )
        .mount(&app.providers)
        .await;
    Mock::given(path("/jikan/v4/manga"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&app.providers)
        .await;

    let limited = assert_error(
        app.search(&token, MediaKind::Anime, "bebop").await,
        Code::Unavailable,
        "PROVIDER_UNAVAILABLE",
    );
    let delay = limited
        .get_details_retry_info()
        .unwrap()
        .retry_delay
        .unwrap();
    assert_eq!(
        delay,
        Duration::from_secs(30),
        "the provider's Retry-After is passed on"
    );
    assert_error(
        app.search(&token, MediaKind::Manga, "berserk").await,
        Code::Unavailable,
        "PROVIDER_UNAVAILABLE",
    );
    // 503s are retried: one try and two retries.
    let manga_requests = app
        .providers
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/jikan/v4/manga")
        .count();
    assert_eq!(manga_requests, 3);

    let entry = app
        .add(&token, &custom.id, pb::ListStatus::Planned, None)
        .await;
    assert_eq!(entry.media_item.unwrap().id, custom.id);
}

#[tokio::test]
async fn a_slow_provider_times_out() {
    let app = TestApp::spawn_with(Options {
        request_timeout: Duration::from_millis(300),
        ..Options::default()
    })
    .await;
    Mock::given(path("/openlibrary/search.json"))
        .respond_with(json_fixture("openlibrary_search.json").set_delay(Duration::from_secs(3)))
        .mount(&app.providers)
        .await;
    let token = app.user().await;

    let started = Instant::now();
    let status = assert_error(
        app.search(&token, MediaKind::Book, "rings").await,
        Code::Unavailable,
        "PROVIDER_UNAVAILABLE",
    );
    assert!(started.elapsed() < Duration::from_secs(3), "{status:?}");
}

#[tokio::test]
async fn malformed_json_is_unavailable_not_internal() {
    let app = TestApp::spawn().await;
    Mock::given(path("/rawg/api/games"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw("{\"count\": 3, \"results\": [", "application/json"),
        )
        .mount(&app.providers)
        .await;
    let token = app.user().await;

    assert_error(
        app.search(&token, MediaKind::Game, "witcher").await,
        Code::Unavailable,
        "PROVIDER_UNAVAILABLE",
    );
}

#[tokio::test]
async fn jikan_requests_are_held_to_three_a_second() {
    let app = TestApp::spawn().await;
    answer_anime_searches(&app).await;
    let token = app.user().await;

    let started = Instant::now();
    for i in 0..6 {
        app.search(&token, MediaKind::Anime, &format!("query {i}"))
            .await
            .unwrap();
    }

    assert_eq!(app.providers.received_requests().await.unwrap().len(), 6);
    // Three go at once; the next three wait a third of a second each.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "six requests in {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_turn_past_the_deadline_is_refused_and_takes_no_slot() {
    let app = TestApp::spawn().await;
    answer_anime_searches(&app).await;
    let token = app.user().await;
    app.search(&token, MediaKind::Anime, "first").await.unwrap();
    // Jikan's next turns a long way off (set here, not by timing a burst,
    // which a loaded machine can stretch past a turn).
    let far = "'2099-01-01T00:00:00Z'";
    app.media_db
        .execute(&format!(
            "UPDATE provider_limits SET next_at = {far} WHERE lower(name) LIKE 'jikan:%'"
        ))
        .await;
    let limits = app
        .media_db
        .count("SELECT count(*) AS count FROM provider_limits WHERE lower(name) LIKE 'jikan:%'")
        .await;
    assert!(limits > 0);

    let mut hurried = anime_search(&token, "hurried".into());
    hurried.set_timeout(Duration::from_secs(5));
    assert_error(
        app.client().search_media(hurried).await,
        Code::Unavailable,
        "PROVIDER_UNAVAILABLE",
    );
    // Refused without a request, and without taking a turn.
    assert_eq!(app.providers.received_requests().await.unwrap().len(), 1);
    let untouched = app
        .media_db
        .count(&format!(
            "SELECT count(*) AS count FROM provider_limits \
             WHERE lower(name) LIKE 'jikan:%' AND next_at = {far}"
        ))
        .await;
    assert_eq!(untouched, limits);

    // Turns due again: the next caller goes at once.
    app.media_db
        .execute("UPDATE provider_limits SET next_at = now() WHERE lower(name) LIKE 'jikan:%'")
        .await;
    app.search(&token, MediaKind::Anime, "patient")
        .await
        .unwrap();
    assert_eq!(app.providers.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn jikan_limits_hold_for_three_replicas_together() {
    let app = TestApp::spawn().await;
    answer_anime_searches(&app).await;
    let token = app.user().await;
    let others = [app.media_replica().await, app.media_replica().await];
    let channels = [&app.media.channel, &others[0].channel, &others[1].channel];

    // Five searches on each replica at once: fifteen requests to Jikan.
    let started = Instant::now();
    let searches = channels.iter().enumerate().flat_map(|(replica, channel)| {
        let token = token.clone();
        (0..5).map(move |i| {
            let mut client = pb::media_service_client::MediaServiceClient::new((*channel).clone());
            let request = anime_search(&token, format!("replica {replica} query {i}"));
            async move { client.search_media(request).await }
        })
    });
    for answer in futures_util::future::join_all(searches).await {
        answer.unwrap();
    }

    assert_eq!(app.providers.received_requests().await.unwrap().len(), 15);
    // Three a second for the three together: three at once, then twelve
    // a third of a second apart. (Each held to its own three a second, the
    // three replicas would have taken under a second.)
    assert!(
        started.elapsed() >= Duration::from_millis(3900),
        "fifteen requests in {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_search_is_not_starved_by_items_being_filled_in_behind_it() {
    let app = TestApp::spawn().await;
    answer_anime_searches(&app).await;
    // Everything else (the 200 items' details) is a quick 404, so the
    // enricher asks as fast as Jikan's limits let it.
    let token = app.user().await;
    app.imported(&token, crate::imports::mal_export(200)).await;
    // Past Jikan's 60 a minute: from here every slot is contended.
    let asked = app.provider_requests(62).await;
    assert!(asked >= 62, "the enricher asked only {asked} times");
    let started = Instant::now();
    app.search(&token, MediaKind::Anime, "bebop").await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the search waited {:?} behind the enricher",
        started.elapsed()
    );
}

/// Jikan's anime search answered, always with the same page.
async fn answer_anime_searches(app: &TestApp) {
    Mock::given(path("/jikan/v4/anime"))
        .respond_with(json_fixture("jikan_anime_search.json"))
        .mount(&app.providers)
        .await;
}

/// An anime search for `query`, as `token`'s user.
fn anime_search(token: &str, query: String) -> tonic::Request<pb::SearchMediaRequest> {
    test_support::authed(
        token,
        pb::SearchMediaRequest {
            kind: MediaKind::Anime as i32,
            query,
            page_token: String::new(),
        },
    )
}

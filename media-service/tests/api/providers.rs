use std::time::{Duration, Instant};

use completionist_proto::media as pb;
use pb::{MediaKind, MediaSource};
use tonic::Code;
use tonic_types::StatusExt;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path, query_param},
};

use crate::helpers::{
    OMDB_KEY, Options, RAWG_KEY, TestApp, assert_error, json_fixture, reference, violated_fields,
};

#[tokio::test]
async fn omdb_search_reads_strings_na_values_and_pages() {
    let app = TestApp::spawn().await;
    Mock::given(method("GET"))
        .and(path("/omdb/"))
        .and(query_param("apikey", OMDB_KEY))
        .and(query_param("s", "matrix"))
        .and(query_param("type", "movie"))
        .and(query_param("page", "1"))
        .respond_with(json_fixture("omdb_search_matrix.json"))
        .expect(1)
        .mount(&app.providers)
        .await;
    let token = app.user().await;

    let found = app
        .search(&token, MediaKind::Movie, "matrix")
        .await
        .unwrap();

    assert_eq!(found.total_size, 233);
    assert!(!found.next_page_token.is_empty());
    assert_eq!(found.results.len(), 3);
    let first = &found.results[0];
    assert_eq!(first.title, "The Matrix");
    assert_eq!(first.year, Some(1999));
    assert_eq!(first.total_units, Some(1));
    assert_eq!(
        first.reference,
        Some(reference(MediaSource::Omdb, MediaKind::Movie, "tt0133093"))
    );
    assert!(first.media_item_id.is_empty());
    assert_eq!(
        found.results[2].image_url, "",
        "\"N/A\" posters are no image"
    );

    // The same search again is answered from the cache (expect(1) above).
    let again = app
        .search(&token, MediaKind::Movie, "Matrix")
        .await
        .unwrap();
    assert_eq!(again.results.len(), 3);
}

#[tokio::test]
async fn omdb_misses_are_empty_results() {
    let app = TestApp::spawn().await;
    Mock::given(path("/omdb/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"Response":"False","Error":"Movie not found!"}"#,
            "application/json",
        ))
        .mount(&app.providers)
        .await;
    let token = app.user().await;

    let found = app
        .search(&token, MediaKind::Movie, "zzzzqqq")
        .await
        .unwrap();

    assert!(found.results.is_empty());
    assert!(found.next_page_token.is_empty());
}

#[tokio::test]
async fn omdb_error_bodies_become_clear_statuses() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let cases = [
        (
            "bad-key",
            401,
            "Invalid API key!",
            Code::FailedPrecondition,
            "PROVIDER_KEY_REJECTED",
        ),
        (
            "quota",
            401,
            "Request limit reached!",
            Code::Unavailable,
            "PROVIDER_UNAVAILABLE",
        ),
        (
            "broad",
            200,
            "Too many results.",
            Code::InvalidArgument,
            "PROVIDER_REJECTED_QUERY",
        ),
    ];
    for (query, status, error, _, _) in cases {
        Mock::given(path("/omdb/"))
            .and(query_param("s", query))
            .respond_with(ResponseTemplate::new(status).set_body_raw(
                format!(r#"{{"Response":"False","Error":"{error}"}}"#),
                "application/json",
            ))
            .mount(&app.providers)
            .await;
    }
    for (query, _, _, code, reason) in cases {
        let status = assert_error(
            app.search(&token, MediaKind::Series, query).await,
            code,
            reason,
        );
        if reason == "PROVIDER_KEY_REJECTED" {
            assert!(
                status.message().contains("OMDB_API_KEY"),
                "{}",
                status.message()
            );
            assert!(!status.message().contains(OMDB_KEY), "the key leaked");
        }
        if reason == "PROVIDER_UNAVAILABLE" {
            assert!(status.get_details_retry_info().is_some());
        }
    }
}

#[tokio::test]
async fn providers_without_their_key_say_which_variable_is_missing() {
    let app = TestApp::spawn_with(Options {
        omdb_key: false,
        rawg_key: false,
        ..Options::default()
    })
    .await;
    let token = app.user().await;

    let omdb = assert_error(
        app.search(&token, MediaKind::Movie, "matrix").await,
        Code::FailedPrecondition,
        "PROVIDER_NOT_CONFIGURED",
    );
    assert!(
        omdb.message().contains("OMDB_API_KEY"),
        "{}",
        omdb.message()
    );
    let rawg = assert_error(
        app.import(
            &token,
            reference(MediaSource::Rawg, MediaKind::Game, "3328"),
        )
        .await,
        Code::FailedPrecondition,
        "PROVIDER_NOT_CONFIGURED",
    );
    assert!(
        rawg.message().contains("RAWG_API_KEY"),
        "{}",
        rawg.message()
    );
    assert_eq!(app.providers.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn omdb_series_years_are_ranges() {
    let app = TestApp::spawn().await;
    Mock::given(path("/omdb/"))
        .and(query_param("i", "tt0149460"))
        .respond_with(json_fixture("omdb_series_tt0149460.json"))
        .mount(&app.providers)
        .await;
    let token = app.user().await;

    let item = app
        .import(
            &token,
            reference(MediaSource::Omdb, MediaKind::Series, "tt0149460"),
        )
        .await
        .unwrap()
        .media_item
        .unwrap();

    assert_eq!(item.title, "Futurama");
    assert_eq!(item.year, Some(1999));
    assert_eq!(item.total_units, None);
    assert_eq!(item.image_url, "");
    assert!(item.summary.starts_with("The adventures"));

    // The same id asked for as a movie is no movie.
    assert_error(
        app.import(
            &token,
            reference(MediaSource::Omdb, MediaKind::Movie, "tt0149460"),
        )
        .await,
        Code::NotFound,
        "EXTERNAL_MEDIA_NOT_FOUND",
    );
}

#[tokio::test]
async fn jikan_search_handles_nulls_and_pagination() {
    let app = TestApp::spawn().await;
    Mock::given(path("/jikan/v4/anime"))
        .and(query_param("q", "bebop"))
        .respond_with(json_fixture("jikan_anime_search.json"))
        .mount(&app.providers)
        .await;
    Mock::given(path("/jikan/v4/manga"))
        .and(query_param("q", "berserk"))
        .respond_with(json_fixture("jikan_manga_search.json"))
        .mount(&app.providers)
        .await;
    let token = app.user().await;

    let anime = app.search(&token, MediaKind::Anime, "bebop").await.unwrap();
    assert_eq!(anime.total_size, 42);
    assert!(!anime.next_page_token.is_empty());
    assert_eq!(anime.results[0].total_units, Some(26));
    assert_eq!(anime.results[0].year, Some(1998));
    let unaired = &anime.results[1];
    assert_eq!((unaired.total_units, unaired.year), (None, None));
    assert_eq!(
        (unaired.image_url.as_str(), unaired.summary.as_str()),
        ("", "")
    );

    let manga = app
        .search(&token, MediaKind::Manga, "berserk")
        .await
        .unwrap();
    assert_eq!(
        manga.results[0].total_units, None,
        "chapters: null while publishing"
    );
    assert_eq!(manga.results[0].year, Some(1989), "from published.from");
    assert!(manga.next_page_token.is_empty());
}

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
    Mock::given(path("/jikan/v4/anime"))
        .respond_with(json_fixture("jikan_anime_search.json"))
        .mount(&app.providers)
        .await;
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
async fn open_library_search_and_both_description_shapes() {
    let app = TestApp::spawn().await;
    Mock::given(path("/openlibrary/search.json"))
        .and(query_param("q", "the lord of the rings"))
        .respond_with(json_fixture("openlibrary_search.json"))
        .mount(&app.providers)
        .await;
    Mock::given(path("/openlibrary/search.json"))
        .and(query_param("q", "key:/works/OL27448W"))
        .respond_with(json_fixture("openlibrary_search.json"))
        .mount(&app.providers)
        .await;
    Mock::given(path("/openlibrary/works/OL27448W.json"))
        .respond_with(json_fixture("openlibrary_work_OL27448W.json"))
        .mount(&app.providers)
        .await;
    Mock::given(path("/openlibrary/search.json"))
        .and(query_param("q", "key:/works/OL45804W"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"numFound":0,"start":0,"docs":[]}"#, "application/json"),
        )
        .mount(&app.providers)
        .await;
    Mock::given(path("/openlibrary/works/OL45804W.json"))
        .respond_with(json_fixture("openlibrary_work_OL45804W.json"))
        .mount(&app.providers)
        .await;
    let token = app.user().await;

    let found = app
        .search(&token, MediaKind::Book, "the lord of the rings")
        .await
        .unwrap();
    let book = &found.results[0];
    assert_eq!(book.reference.as_ref().unwrap().external_id, "OL27448W");
    assert_eq!(
        book.image_url,
        "https://covers.openlibrary.org/b/id/14625765-M.jpg"
    );
    assert_eq!((book.year, book.total_units), (Some(1954), Some(1193)));
    assert_eq!(book.summary, "By J.R.R. Tolkien.");
    assert_eq!(found.results[1].image_url, "", "no cover_i");

    let rings = app
        .import(
            &token,
            reference(MediaSource::OpenLibrary, MediaKind::Book, "OL27448W"),
        )
        .await
        .unwrap()
        .media_item
        .unwrap();
    assert!(
        rings.summary.starts_with("Originally published"),
        "{{type, value}} description"
    );
    assert_eq!(rings.total_units, Some(1193));

    let fox = app
        .import(
            &token,
            reference(MediaSource::OpenLibrary, MediaKind::Book, "OL45804W"),
        )
        .await
        .unwrap()
        .media_item
        .unwrap();
    assert!(
        fox.summary.starts_with("The main character"),
        "string description"
    );
    assert_eq!(
        fox.image_url,
        "https://covers.openlibrary.org/b/id/6498519-M.jpg"
    );
}

#[tokio::test]
async fn rawg_search_and_details() {
    let app = TestApp::spawn().await;
    Mock::given(path("/rawg/api/games"))
        .and(query_param("key", RAWG_KEY))
        .and(query_param("search", "witcher"))
        .respond_with(json_fixture("rawg_search.json"))
        .mount(&app.providers)
        .await;
    Mock::given(path("/rawg/api/games/3328"))
        .and(query_param("key", RAWG_KEY))
        .respond_with(json_fixture("rawg_game_3328.json"))
        .mount(&app.providers)
        .await;
    Mock::given(path("/rawg/api/games/404"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_raw(r#"{"detail":"Not found."}"#, "application/json"),
        )
        .mount(&app.providers)
        .await;
    let token = app.user().await;

    let found = app
        .search(&token, MediaKind::Game, "witcher")
        .await
        .unwrap();
    assert_eq!(found.total_size, 1029);
    assert!(!found.next_page_token.is_empty());
    assert_eq!(found.results[0].year, Some(2015));
    assert_eq!(found.results[0].summary, "Action, RPG");
    assert_eq!(
        (found.results[1].year, found.results[1].image_url.as_str()),
        (None, "")
    );

    let game = app
        .import(
            &token,
            reference(MediaSource::Rawg, MediaKind::Game, "3328"),
        )
        .await
        .unwrap()
        .media_item
        .unwrap();
    assert_eq!(
        game.summary,
        "The third game in a series, it holds nothing back from the player."
    );

    assert_error(
        app.import(&token, reference(MediaSource::Rawg, MediaKind::Game, "404"))
            .await,
        Code::NotFound,
        "EXTERNAL_MEDIA_NOT_FOUND",
    );
}

#[tokio::test]
async fn search_checks_its_arguments() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let status = assert_error(
        app.client()
            .search_media(crate::helpers::authed(
                &token,
                pb::SearchMediaRequest {
                    kind: 0,
                    query: "  ".into(),
                    page_token: String::new(),
                },
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["kind", "query"]);

    let status = assert_error(
        app.client()
            .search_media(crate::helpers::authed(
                &token,
                pb::SearchMediaRequest {
                    kind: MediaKind::Book as i32,
                    query: "rings".into(),
                    page_token: "not-a-token".into(),
                },
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["page_token"]);
}

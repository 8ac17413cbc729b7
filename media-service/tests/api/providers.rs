use completionist_proto::media as pb;
use pb::{MediaKind, MediaSource};
use tonic::Code;
use tonic_types::StatusExt;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path, query_param},
};

use crate::helpers::{
    OMDB_KEY, Options, TestApp, assert_error, json_fixture, reference, violated_fields,
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
        // Not a miss: OMDb could not answer this time.
        (
            "flaky",
            200,
            "Error getting data.",
            Code::Unavailable,
            "PROVIDER_UNAVAILABLE",
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

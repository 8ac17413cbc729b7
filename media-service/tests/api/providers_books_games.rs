use completionist_proto::media as pb;
use pb::{MediaKind, MediaSource};
use tonic::Code;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{path, query_param},
};

use crate::helpers::{RAWG_KEY, TestApp, assert_error, json_fixture, reference};

/// Open Library answering a search and two works, one with each shape of
/// description.
async fn mount_open_library(app: &TestApp) {
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
}

#[tokio::test]
async fn open_library_search_and_both_description_shapes() {
    let app = TestApp::spawn().await;
    mount_open_library(&app).await;
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

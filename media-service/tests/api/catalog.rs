use std::collections::HashSet;

use completionist_proto::media as pb;
use pb::{MediaKind, MediaSource};
use tonic::{Code, Status};
use wiremock::{Mock, ResponseTemplate, matchers::path};

use crate::helpers::{TestApp, assert_error, authed, json_fixture, reference, violated_fields};

/// SearchMedia and ImportMedia as a caller makes them.
impl TestApp {
    pub(crate) async fn search(
        &self,
        token: &str,
        kind: pb::MediaKind,
        query: &str,
    ) -> Result<pb::SearchMediaResponse, Status> {
        self.client()
            .search_media(authed(
                token,
                pb::SearchMediaRequest {
                    kind: kind as i32,
                    query: query.into(),
                    page_token: String::new(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    pub(crate) async fn import(
        &self,
        token: &str,
        reference: pb::MediaReference,
    ) -> Result<pb::ImportMediaResponse, Status> {
        self.client()
            .import_media(authed(
                token,
                pb::ImportMediaRequest {
                    reference: Some(reference),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }
}

async fn mount_matrix(app: &TestApp) {
    Mock::given(path("/omdb/"))
        .and(wiremock::matchers::query_param("i", "tt0133093"))
        .respond_with(json_fixture("omdb_movie_tt0133093.json"))
        .expect(1)
        .mount(&app.providers)
        .await;
}

#[tokio::test]
async fn import_creates_once_and_asks_the_provider_once() {
    let app = TestApp::spawn().await;
    mount_matrix(&app).await;
    let token = app.user().await;
    let matrix = reference(MediaSource::Omdb, MediaKind::Movie, "tt0133093");

    let first = app.import(&token, matrix.clone()).await.unwrap();
    let second = app.import(&token, matrix).await.unwrap();

    assert!(first.created);
    assert!(!second.created);
    let item = first.media_item.unwrap();
    assert_eq!(item, second.media_item.unwrap());
    assert_eq!(item.title, "The Matrix");
    assert_eq!(item.year, Some(1999));
    assert_eq!(item.source, MediaSource::Omdb as i32);
    assert_eq!(item.external_id, "tt0133093");
    assert!(item.summary.contains("Neo"));
}

#[tokio::test]
async fn concurrent_imports_of_one_item_make_one_row() {
    let app = TestApp::spawn().await;
    mount_matrix(&app).await;
    let token = app.user().await;

    let imports = (0..8).map(|_| {
        let mut client = app.client();
        let request = authed(
            &token,
            pb::ImportMediaRequest {
                reference: Some(reference(MediaSource::Omdb, MediaKind::Movie, "tt0133093")),
            },
        );
        tokio::spawn(async move { client.import_media(request).await.unwrap().into_inner() })
    });
    let results: Vec<_> = futures_util::future::join_all(imports)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    let ids: HashSet<_> = results
        .iter()
        .map(|r| r.media_item.as_ref().unwrap().id.clone())
        .collect();
    assert_eq!(ids.len(), 1, "one catalog row");
    assert_eq!(
        results.iter().filter(|r| r.created).count(),
        1,
        "exactly one creator"
    );
}

#[tokio::test]
async fn search_marks_what_is_already_imported() {
    let app = TestApp::spawn().await;
    mount_matrix(&app).await;
    Mock::given(path("/omdb/"))
        .and(wiremock::matchers::query_param("s", "matrix"))
        .respond_with(json_fixture("omdb_search_matrix.json"))
        .mount(&app.providers)
        .await;
    let token = app.user().await;
    let imported = app
        .import(
            &token,
            reference(MediaSource::Omdb, MediaKind::Movie, "tt0133093"),
        )
        .await
        .unwrap()
        .media_item
        .unwrap();

    let found = app
        .search(&token, MediaKind::Movie, "matrix")
        .await
        .unwrap();

    assert_eq!(found.results[0].media_item_id, imported.id);
    assert!(found.results[1].media_item_id.is_empty());
}

#[tokio::test]
async fn import_checks_the_reference() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    Mock::given(path("/jikan/v4/anime/999999999"))
        .respond_with(ResponseTemplate::new(404).set_body_raw(
            crate::helpers::fixture("jikan_404.json"),
            "application/json",
        ))
        .mount(&app.providers)
        .await;

    let status = assert_error(
        app.import(&token, reference(MediaSource::Jikan, MediaKind::Movie, ""))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        violated_fields(&status),
        ["reference.external_id", "reference.kind"]
    );
    assert_error(
        app.import(
            &token,
            reference(MediaSource::Custom, MediaKind::Movie, "x"),
        )
        .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_error(
        app.import(
            &token,
            reference(MediaSource::Jikan, MediaKind::Anime, "999999999"),
        )
        .await,
        Code::NotFound,
        "EXTERNAL_MEDIA_NOT_FOUND",
    );
}

#[tokio::test]
async fn get_media_item() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(&token, MediaKind::Book, "My Zine", Some(24))
        .await;

    let fetched = app
        .client()
        .get_media_item(authed(
            &token,
            pb::GetMediaItemRequest {
                id: item.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .media_item
        .unwrap();
    assert_eq!(fetched, item);

    assert_error(
        app.client()
            .get_media_item(authed(
                &token,
                pb::GetMediaItemRequest {
                    id: uuid::Uuid::new_v4().to_string(),
                },
            ))
            .await,
        Code::NotFound,
        "MEDIA_NOT_FOUND",
    );
    let status = assert_error(
        app.client()
            .get_media_item(authed(&token, pb::GetMediaItemRequest { id: "x".into() }))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["id"]);
}

#[tokio::test]
async fn create_custom_item_validates_every_field() {
    let app = TestApp::spawn().await;
    let token = app.user().await;

    let item = app
        .custom_item(&token, MediaKind::Game, "  Homebrew Quest ", Some(1))
        .await;
    assert_eq!(item.title, "Homebrew Quest");
    assert_eq!(item.source, MediaSource::Custom as i32);
    assert_eq!(item.external_id, "");

    let status = assert_error(
        app.client()
            .create_custom_media_item(authed(
                &token,
                pb::CreateCustomMediaItemRequest {
                    kind: 0,
                    title: String::new(),
                    year: Some(5),
                    image_url: "javascript:alert(1)".into(),
                    summary: String::new(),
                    total_units: Some(-1),
                },
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        violated_fields(&status),
        ["kind", "title", "year", "image_url", "total_units"]
    );
}

pub(crate) async fn list_items(
    app: &TestApp,
    token: &str,
    request: pb::ListMediaItemsRequest,
) -> Result<pb::ListMediaItemsResponse, tonic::Status> {
    app.client()
        .list_media_items(authed(token, request))
        .await
        .map(tonic::Response::into_inner)
}

fn books(page_size: i32, page_token: String) -> pb::ListMediaItemsRequest {
    pb::ListMediaItemsRequest {
        page_size,
        page_token,
        kind: MediaKind::Book as i32,
        title_query: String::new(),
    }
}

#[tokio::test]
async fn list_media_items_filters_and_pages() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    for i in 0..5 {
        app.custom_item(&token, MediaKind::Book, &format!("Book {i}"), None)
            .await;
    }
    app.custom_item(&token, MediaKind::Movie, "Book Club: The Movie", None)
        .await;
    app.custom_item(&token, MediaKind::Game, "Unrelated", None)
        .await;

    let mut titles = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = list_items(&app, &token, books(2, page_token))
            .await
            .unwrap();
        titles.extend(page.media_items.into_iter().map(|i| i.title));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(titles, ["Book 0", "Book 1", "Book 2", "Book 3", "Book 4"]);

    let by_title = pb::ListMediaItemsRequest {
        title_query: "book c".into(),
        ..Default::default()
    };
    let by_title = list_items(&app, &token, by_title).await.unwrap();
    let titles: Vec<_> = by_title.media_items.into_iter().map(|i| i.title).collect();
    assert_eq!(titles, ["Book Club: The Movie"]);

    // A token belongs to the filters it was issued for.
    let first = list_items(&app, &token, books(1, String::new()))
        .await
        .unwrap();
    let games = pb::ListMediaItemsRequest {
        kind: MediaKind::Game as i32,
        ..books(1, first.next_page_token)
    };
    let status = assert_error(
        list_items(&app, &token, games).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["page_token"]);
}

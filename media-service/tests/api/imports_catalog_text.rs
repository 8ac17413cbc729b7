//! What an import file says of a provider's item is its uploader's word:
//! shown to the uploader alone until the provider confirms the item, and
//! an id the provider does not know is marked so and never asked again.

use std::time::{Duration, Instant};

use completionist_proto::media as pb;
use pb::{ConflictPolicy, MediaKind, MediaSource};
use tonic::Code;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path},
};

use crate::helpers::{TestApp, assert_error, authed, json_fixture, reference};

/// A MyAnimeList export naming anime `id` with a title of the uploader's.
fn mal_file(id: u32, title: &str) -> Vec<u8> {
    format!(
        "<myanimelist><anime><series_animedb_id>{id}</series_animedb_id>\
         <series_title>{title}</series_title><my_status>Watching</my_status>\
         </anime></myanimelist>"
    )
    .into_bytes()
}

/// Imports `file` for `token` and waits for the job to finish.
async fn import(app: &TestApp, token: &str, file: Vec<u8>) {
    let job = app
        .start_import(token, file, "list.xml", ConflictPolicy::Skip)
        .await
        .unwrap();
    app.watch_import(token, &job.id, 0).await;
}

async fn jikan_answers(app: &TestApp, route: &str, answer: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(answer)
        .mount(&app.providers)
        .await;
}

async fn import_media(
    app: &TestApp,
    token: &str,
    id: &str,
) -> Result<pb::MediaItem, tonic::Status> {
    let reference = Some(reference(MediaSource::Jikan, MediaKind::Anime, id));
    app.client()
        .import_media(authed(token, pb::ImportMediaRequest { reference }))
        .await
        .map(|r| r.into_inner().media_item.unwrap())
}

/// Calls to Jikan for anime `id`.
async fn asked_about(app: &TestApp, id: &str) -> usize {
    let route = format!("/jikan/v4/anime/{id}");
    app.providers
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == route)
        .count()
}

async fn first_item(app: &TestApp, token: &str) -> pb::MediaItem {
    app.all_entries(token).await.remove(0).media_item.unwrap()
}

#[tokio::test]
async fn a_files_text_is_shown_to_its_uploader_only_until_the_provider_confirms_it() {
    let app = TestApp::spawn().await;
    // Jikan cannot answer yet: the item stays the file's word.
    jikan_answers(&app, "/jikan/v4/anime/1", ResponseTemplate::new(503)).await;
    let uploader = app.user().await;
    import(&app, &uploader, mal_file(1, "Spam Title Everyone Sees")).await;

    let mine = first_item(&app, &uploader).await;
    assert_eq!(mine.title, "Spam Title Everyone Sees");
    let other = app.user().await;
    let request = pb::GetMediaItemRequest {
        id: mine.id.clone(),
    };
    let theirs = app
        .client()
        .get_media_item(authed(&other, request))
        .await
        .unwrap()
        .into_inner()
        .media_item
        .unwrap();
    assert_eq!((theirs.title.as_str(), theirs.summary.as_str()), ("1", ""));
    let everything = pb::ListMediaItemsRequest::default();
    let listed = crate::catalog::list_items(&app, &other, everything)
        .await
        .unwrap();
    assert!(
        listed.media_items.iter().all(|i| !i.title.contains("Spam")),
        "{listed:?}"
    );

    // Someone asks for the item itself once Jikan answers: the provider's
    // word, for everyone, the uploader's entry included.
    app.providers.reset().await;
    jikan_answers(
        &app,
        "/jikan/v4/anime/1",
        json_fixture("jikan_anime_1.json"),
    )
    .await;
    let confirmed = import_media(&app, &other, "1").await.unwrap();
    assert_eq!(confirmed.id, mine.id);
    assert_eq!(confirmed.title, "Cowboy Bebop");
    assert_eq!(first_item(&app, &uploader).await.title, "Cowboy Bebop");
}

#[tokio::test]
async fn an_id_the_provider_does_not_know_is_marked_and_never_asked_again() {
    let app = TestApp::spawn().await;
    let missing = ResponseTemplate::new(404).set_body_json(serde_json::json!({"status": 404}));
    jikan_answers(&app, "/jikan/v4/anime/424242", missing).await;
    let uploader = app.user().await;
    import(&app, &uploader, mal_file(424_242, "Made Up Show")).await;

    // The enricher (or ImportMedia, if first) asks once and hears there is
    // no such anime.
    let other = app.user().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let marked = "SELECT count(*) AS count FROM media_items WHERE provider_check = 'not_found'";
    while app.media_db.count(marked).await == 0 {
        assert!(Instant::now() < deadline, "never marked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let asked = asked_about(&app, "424242").await;
    for _ in 0..3 {
        assert_error(
            import_media(&app, &other, "424242").await,
            Code::NotFound,
            "EXTERNAL_MEDIA_NOT_FOUND",
        );
    }
    assert_eq!(asked_about(&app, "424242").await, asked, "asked again");
    assert!(asked <= 2, "asked {asked} times");
    // The uploader keeps the file's text.
    assert_eq!(first_item(&app, &uploader).await.title, "Made Up Show");
}

//! What an attacker might try with an import: bytes Postgres cannot store,
//! catalog data of their own making, and streams left open.

use completionist_proto::media as pb;
use pb::{ConflictPolicy, RowOutcome};
use tonic::Code;
use wiremock::{Mock, matchers::path};

use crate::{
    exports::{slow_letterboxd, watched_csv},
    helpers::{Options, TestApp, assert_error, authed, json_fixture},
};

#[tokio::test]
async fn nul_bytes_raw_or_escaped_fail_their_rows_not_the_import() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let imdb = "Const,Your Rating,Title,Title Type,Year\ntt0133093,9,The\0Matrix,Movie\0,1999\n";
    let job = app
        .start_import(
            &token,
            imdb.as_bytes().to_vec(),
            "ratings.csv",
            ConflictPolicy::Skip,
        )
        .await
        .unwrap();
    let (rows, _) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(rows[0].outcome(), RowOutcome::Failed, "{rows:?}");
    assert!(rows[0].message.contains("control characters"), "{rows:?}");
    assert_eq!(
        rows[0].title, "The\u{FFFD}Matrix",
        "reported as Postgres can keep it"
    );

    let trakt = r#"[{"id": 1, "watched_at": "2020-01-02T20:00:00.000Z", "type": "movie",
        "movie": {"title": "Bad\u0000Title", "year": 2010, "ids": {"imdb": "tt1375666"}}}]"#;
    let job = app
        .start_import(
            &token,
            trakt.as_bytes().to_vec(),
            "history.json",
            ConflictPolicy::Skip,
        )
        .await
        .unwrap();
    let (rows, _) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(rows[0].outcome(), RowOutcome::Failed, "{rows:?}");
    assert!(rows[0].message.contains("control characters"), "{rows:?}");
}

fn our_export(item: &serde_json::Value) -> Vec<u8> {
    serde_json::json!({
        "format": "completionist",
        "version": 1,
        "entries": [{"item": item, "status": "planned", "rating": null, "progress": 0,
                     "start_date": null, "finish_date": null}],
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn a_file_cannot_dress_up_the_shared_catalog() {
    let app = TestApp::spawn().await;
    Mock::given(path("/jikan/v4/anime/1"))
        .respond_with(json_fixture("jikan_anime_1.json"))
        .mount(&app.providers)
        .await;
    let token = app.user().await;
    let script = serde_json::json!({"kind": "anime", "source": "jikan", "external_id": "1",
        "title": "Bebop", "image_url": "javascript:alert(1)"});
    let job = app
        .start_import(&token, our_export(&script), "x.json", ConflictPolicy::Skip)
        .await
        .unwrap();
    let (rows, _) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(rows[0].outcome(), RowOutcome::Failed);
    assert!(rows[0].message.starts_with("image_url"), "{rows:?}");

    let fake = serde_json::json!({"kind": "anime", "source": "jikan", "external_id": "1",
        "title": "Not Cowboy Bebop", "summary": "made up", "image_url": "https://evil.example/x.jpg"});
    let job = app
        .start_import(&token, our_export(&fake), "x.json", ConflictPolicy::Skip)
        .await
        .unwrap();
    let (rows, _) = app.watch_import(&token, &job.id, 0).await;
    let entry = app.get_entry(&token, &rows[0].list_entry_id).await.unwrap();
    let id = entry.media_item.unwrap().id;
    let title = app
        .media_item_once(&token, &id, |i| i.title == "Cowboy Bebop")
        .await
        .title;
    assert_eq!(
        title, "Cowboy Bebop",
        "the provider's word replaces the file's"
    );
}

#[tokio::test]
async fn watches_are_bounded_and_a_closed_one_frees_its_place() {
    let app = TestApp::spawn_with(Options {
        media: |config| config.watch.import_streams.per_replica = 1,
        ..Options::default()
    })
    .await;
    slow_letterboxd(&app).await;
    let token = app.user().await;
    let job = app
        .start_import(&token, watched_csv(40), "watched.csv", ConflictPolicy::Skip)
        .await
        .unwrap();
    let watch = || {
        let mut client = app.client();
        let request = authed(
            &token,
            pb::WatchImportRequest {
                id: job.id.clone(),
                after_row: 0,
            },
        );
        async move { client.watch_import(request).await }
    };
    let mut first = watch().await.unwrap().into_inner();
    first.message().await.unwrap().unwrap();
    let status = assert_error(watch().await, Code::ResourceExhausted, "TOO_MANY_STREAMS");
    assert!(status.message().contains("watched"), "{status:?}");
    drop(first);
    let mut reopened = None;
    for _ in 0..100 {
        if let Ok(stream) = watch().await {
            reopened = Some(stream);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(reopened.is_some(), "a closed watch gives its place back");
}

//! Episode watches in and out of whole-list files: Trakt's history records
//! per-episode watches once the show's episodes are fetched; our export
//! (version 2) carries them, and imports back; version 1 files still
//! import.

use completionist_proto::media::{self as pb, ConflictPolicy, ListStatus};

use crate::{
    helpers::TestApp,
    shows::{self, ENDED, all, up_to},
};

async fn watched(app: &TestApp, token: &str) -> Vec<(i32, Option<i32>, i64)> {
    let entry = app.all_entries(token).await.remove(0);
    let list = app.episodes(token, &entry.id).await.unwrap();
    all(&list)
        .into_iter()
        .filter(|e| e.watched)
        .map(|e| {
            (
                e.season,
                e.number,
                e.last_watch_time.as_ref().unwrap().seconds,
            )
        })
        .collect()
}

#[tokio::test]
async fn trakt_history_becomes_episode_watches() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let history = format!(
        r#"[{{"id": 1, "watched_at": "2021-06-01T20:00:00.000Z", "type": "episode",
              "episode": {{"season": 1, "number": 1}},
              "show": {{"title": "Futurama", "year": 1999, "ids": {{"imdb": "{ENDED}"}}}}}},
             {{"id": 2, "watched_at": "2021-06-02T20:00:00.000Z", "type": "episode",
              "episode": {{"season": 1, "number": 2}},
              "show": {{"title": "Futurama", "year": 1999, "ids": {{"imdb": "{ENDED}"}}}}}},
             {{"id": 3, "watched_at": "2021-06-03T20:00:00.000Z", "type": "episode",
              "episode": {{"season": 7, "number": 40}},
              "show": {{"title": "Futurama", "year": 1999, "ids": {{"imdb": "{ENDED}"}}}}}}]"#
    );
    let job = app
        .start_import(
            &token,
            history.into_bytes(),
            "history-episodes.json",
            ConflictPolicy::Skip,
        )
        .await
        .unwrap();
    app.watch_import(&token, &job.id, 0).await;
    let june_1 = 1_622_577_600;
    assert_eq!(
        watched(&app, &token).await,
        [(1, Some(1), june_1), (1, Some(2), june_1 + 86_400)],
        "the episode the show does not have is dropped"
    );
    assert_eq!(
        app.media_db
            .count("SELECT count(*) AS count FROM pending_episode_watches")
            .await,
        0
    );
}

#[tokio::test]
async fn our_export_carries_episode_watches_back() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, ENDED, ListStatus::InProgress).await;
    app.mark(&token, &entry.id, up_to(1, 3), None)
        .await
        .unwrap();
    let before = watched(&app, &token).await;
    assert_eq!(before.len(), 3);

    let (file, ..) = app.export(&token, pb::ExportFormat::Json).await;
    let json: serde_json::Value = serde_json::from_slice(&file).unwrap();
    assert_eq!(json["version"], 2);
    assert_eq!(
        json["entries"][0]["episode_watches"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let other = app.user().await;
    let job = app
        .start_import(&other, file, "completionist.json", ConflictPolicy::Skip)
        .await
        .unwrap();
    app.watch_import(&other, &job.id, 0).await;
    assert_eq!(watched(&app, &other).await, before);
}

#[tokio::test]
async fn version_one_files_still_import() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let file = r#"{"format": "completionist", "version": 1, "entries": [
        {"item": {"kind": "book", "source": "custom", "title": "Zine"}, "status": "planned",
         "rating": null, "progress": 0, "start_date": null, "finish_date": null}]}"#;
    let job = app
        .start_import(
            &token,
            file.as_bytes().to_vec(),
            "old.json",
            ConflictPolicy::Skip,
        )
        .await
        .unwrap();
    let (_, job) = app.watch_import(&token, &job.id, 0).await;
    assert_eq!(job.created_count, 1);
}

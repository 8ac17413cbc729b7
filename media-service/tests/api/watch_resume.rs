//! Where a stream starts: ListListEntries says where the list's history
//! stood when it was read, so a WatchListEntries opened from there misses
//! no change made between the two calls; a resume token past the history
//! kept, or not made here, is refused; an import's rows reach an open
//! stream as changes.

use std::time::Duration;

use completionist_proto::media as pb;
use pb::{ConflictPolicy, ListEntryChangeType as Type, ListStatus};
use tonic::Code;

use crate::{
    helpers::{Options, TestApp, assert_error, violated_fields},
    watch::{PATIENCE, fast_heartbeats, movie, next_change, quiet, started},
};

#[tokio::test]
async fn a_change_between_reading_the_list_and_watching_it_is_not_missed() {
    let app = TestApp::spawn_with(fast_heartbeats()).await;
    let token = app.user().await;
    let before = movie(&app, &token, "Arrival").await;
    app.add(&token, &before.id, ListStatus::Planned, None).await;
    let page = app
        .list(
            &token,
            pb::ListListEntriesRequest {
                page_size: 10,
                ..Default::default()
            },
        )
        .await;
    assert_eq!(page.list_entries.len(), 1);
    assert!(!page.resume_token.is_empty());

    // Made after the list was read, before the stream opens.
    let between = movie(&app, &token, "Heat").await;
    let entry = app
        .add(&token, &between.id, ListStatus::Planned, None)
        .await;

    let mut watch = app.watch(&token, &page.resume_token).await.unwrap();
    started(&mut watch).await;
    let (change, _) = next_change(&mut watch).await;
    assert_eq!(change.r#type(), Type::Added);
    assert_eq!(change.list_entry_id, entry.id);
    // What the page already held is not sent again.
    quiet(&mut watch).await;
}

#[tokio::test]
async fn a_resume_token_past_the_kept_history_is_refused_with_a_stable_reason() {
    let app = TestApp::spawn_with(Options {
        media: |config| {
            config.watch.retention = Duration::from_secs(1);
            config.watch.prune_interval = Duration::from_millis(100);
        },
        ..Options::default()
    })
    .await;
    let token = app.user().await;
    let mut watch = app.watch(&token, "").await.unwrap();
    let old = started(&mut watch).await;
    let item = movie(&app, &token, "Stalker").await;
    app.add(&token, &item.id, ListStatus::Planned, None).await;
    next_change(&mut watch).await;

    let refused = async {
        loop {
            match app.watch(&token, &old).await {
                Err(status) => return status,
                Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    };
    let status = tokio::time::timeout(PATIENCE, refused).await.unwrap();
    assert_error::<()>(
        Err(status),
        Code::FailedPrecondition,
        "RESUME_TOKEN_EXPIRED",
    );
}

#[tokio::test]
async fn a_resume_token_not_made_here_is_invalid() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    for resume in ["not a token", "AAAAAAAAAAAA", &"x".repeat(5000)] {
        let status = assert_error(
            app.watch(&token, resume).await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(violated_fields(&status), ["resume_token"]);
    }
}

#[tokio::test]
async fn an_imports_rows_land_as_changes() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let mut watch = app.watch(&token, "").await.unwrap();
    started(&mut watch).await;
    let job = app
        .start_import(
            &token,
            crate::imports::mal_export(30),
            "animelist.xml",
            ConflictPolicy::Skip,
        )
        .await
        .unwrap();
    let mut titles = Vec::new();
    for _ in 0..30 {
        let (change, _) = next_change(&mut watch).await;
        assert_eq!(change.r#type(), Type::Added);
        titles.push(change.list_entry.unwrap().media_item.unwrap().title);
    }
    titles.sort();
    let mut expected: Vec<_> = (1..=30).map(|n| format!("Show {n}")).collect();
    expected.sort();
    assert_eq!(titles, expected, "every row, once");
    app.watch_import(&token, &job.id, 0).await;
}

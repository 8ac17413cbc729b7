use completionist_proto::media as pb;
use pb::{ListStatus, MediaKind};
use tonic::Code;

use crate::helpers::{TestApp, assert_error, today, violated_fields};

#[tokio::test]
async fn update_applies_the_mask_and_completing_fills_progress_and_date() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(&token, MediaKind::Anime, "Short Series", Some(12))
        .await;
    let entry = app
        .add(&token, &item.id, ListStatus::InProgress, None)
        .await;

    let rated = app
        .update(
            &token,
            pb::ListEntry {
                id: entry.id.clone(),
                rating: Some(9),
                notes: "not in the mask".into(),
                progress: 3,
                ..Default::default()
            },
            &["rating", "progress"],
        )
        .await
        .unwrap();
    assert_eq!(
        (rated.rating, rated.progress, rated.notes.as_str()),
        (Some(9), 3, "")
    );

    let done = app
        .update(
            &token,
            pb::ListEntry {
                id: entry.id.clone(),
                status: ListStatus::Completed as i32,
                ..Default::default()
            },
            &["status"],
        )
        .await
        .unwrap();
    assert_eq!(done.status, ListStatus::Completed as i32);
    assert_eq!(done.progress, 12);
    assert_eq!(done.finish_date, Some(today()));
    assert_eq!(done.rating, Some(9), "untouched");

    let cleared = app
        .update(
            &token,
            pb::ListEntry {
                id: entry.id.clone(),
                ..Default::default()
            },
            &["rating"],
        )
        .await
        .unwrap();
    assert_eq!(cleared.rating, None, "a masked, unset rating clears it");
}

/// A user reading a 100-page book: its token and the entry.
async fn thin_book_in_progress(app: &TestApp) -> (String, pb::ListEntry) {
    let token = app.user().await;
    let item = app
        .custom_item(&token, MediaKind::Book, "Thin Book", Some(100))
        .await;
    let entry = app
        .add(&token, &item.id, ListStatus::InProgress, None)
        .await;
    (token, entry)
}

#[tokio::test]
async fn update_refuses_bad_values() {
    let app = TestApp::spawn().await;
    let (token, entry) = thin_book_in_progress(&app).await;

    let status = assert_error(
        app.update(
            &token,
            pb::ListEntry {
                id: entry.id.clone(),
                rating: Some(11),
                start_date: Some(pb::Date {
                    year: 2024,
                    month: 13,
                    day: 1,
                }),
                ..Default::default()
            },
            &["rating", "start_date", "media_item"],
        )
        .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        violated_fields(&status),
        ["list_entry.rating", "list_entry.start_date", "update_mask"]
    );
    let status = assert_error(
        app.update(
            &token,
            pb::ListEntry {
                id: entry.id.clone(),
                progress: 101,
                ..Default::default()
            },
            &["progress"],
        )
        .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["list_entry.progress"]);
}

#[tokio::test]
async fn another_users_entry_cannot_be_updated() {
    let app = TestApp::spawn().await;
    let (token, entry) = thin_book_in_progress(&app).await;

    let intruder = app.user().await;
    assert_error(
        app.update(
            &intruder,
            pb::ListEntry {
                id: entry.id.clone(),
                rating: Some(1),
                ..Default::default()
            },
            &["rating"],
        )
        .await,
        Code::NotFound,
        "LIST_ENTRY_NOT_FOUND",
    );
    let untouched = app.get_entry(&token, &entry.id).await.unwrap();
    assert_eq!(untouched.rating, None);
}

#[tokio::test]
async fn an_entry_cannot_finish_before_it_starts() {
    let app = TestApp::spawn().await;
    let (token, entry) = thin_book_in_progress(&app).await;
    let day = |day| pb::Date {
        year: 2024,
        month: 5,
        day,
    };
    let backwards = pb::ListEntry {
        id: entry.id.clone(),
        start_date: Some(day(2)),
        finish_date: Some(day(1)),
        ..Default::default()
    };
    let status = assert_error(
        app.update(&token, backwards, &["start_date", "finish_date"])
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        violated_fields(&status),
        ["list_entry.start_date", "list_entry.finish_date"]
    );

    // Completing fills the finish date with today: not before a future start.
    let future = pb::ListEntry {
        id: entry.id.clone(),
        start_date: Some(pb::Date {
            year: 2999,
            month: 1,
            day: 1,
        }),
        status: ListStatus::Completed as i32,
        ..Default::default()
    };
    let status = assert_error(
        app.update(&token, future, &["start_date", "status"]).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        violated_fields(&status),
        ["list_entry.start_date", "list_entry.finish_date"]
    );
    let same_day = pb::ListEntry {
        id: entry.id.clone(),
        start_date: Some(day(1)),
        finish_date: Some(day(1)),
        ..Default::default()
    };
    assert!(
        app.update(&token, same_day, &["start_date", "finish_date"])
            .await
            .is_ok()
    );
}

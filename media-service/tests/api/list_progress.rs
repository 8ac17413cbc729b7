//! Progress added on the server (UpdateListEntry's `progress_increment`):
//! two +1s at once count twice, and progress on a planned entry starts it.

use completionist_proto::media as pb;
use pb::ListStatus;
use tonic::Code;

use crate::{
    helpers::{TestApp, assert_error, authed, mask, today, violated_fields},
    watch::movie,
};

fn increment(id: &str, by: i32, paths: &[&str]) -> pb::UpdateListEntryRequest {
    pb::UpdateListEntryRequest {
        list_entry: Some(pb::ListEntry {
            id: id.into(),
            ..Default::default()
        }),
        update_mask: mask(paths),
        progress_increment: by,
    }
}

#[tokio::test]
async fn two_increments_at_once_both_count_and_start_a_planned_entry() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(&token, pb::MediaKind::Series, "Severance", Some(9))
        .await;
    let entry = app.add(&token, &item.id, ListStatus::Planned, None).await;
    let bump = || {
        let mut client = app.client();
        let request = authed(&token, increment(&entry.id, 1, &[]));
        async move { client.update_list_entry(request).await }
    };
    let (a, b) = tokio::join!(bump(), bump());
    a.unwrap();
    b.unwrap();
    let now = app.get_entry(&token, &entry.id).await.unwrap();
    assert_eq!(now.progress, 2, "both increments count");
    assert_eq!(now.status(), ListStatus::InProgress);
    assert_eq!(now.start_date, Some(today()));
}

#[tokio::test]
async fn an_increment_is_refused_with_progress_in_the_mask_or_below_zero() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = movie(&app, &token, "Heat").await;
    let entry = app.add(&token, &item.id, ListStatus::Planned, None).await;
    let mut client = app.client();
    for request in [
        increment(&entry.id, 1, &["progress"]),
        increment(&entry.id, -1, &[]),
        increment(&entry.id, 20_000, &[]),
    ] {
        let status = assert_error(
            client.update_list_entry(authed(&token, request)).await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(violated_fields(&status), ["progress_increment"]);
    }
}

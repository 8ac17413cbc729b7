//! ListListEntries says where the list's history stood when it was read,
//! so a WatchListEntries opened from there misses no change made between
//! the two calls.

use completionist_proto::media as pb;
use pb::{ListEntryChangeType as Type, ListStatus};

use crate::{
    helpers::TestApp,
    watch::{fast_heartbeats, movie, next_change, quiet, started},
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

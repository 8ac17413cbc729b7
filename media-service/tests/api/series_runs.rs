//! Runs of a series: a rewatch keeps the first run's watches; an undone
//! completion takes its run with it; a watch time in the past never
//! finishes a show that has aired more since.

use chrono::{Duration, Utc};
use completionist_proto::media::{self as pb, ListStatus};

use crate::{
    helpers::{TestApp, authed},
    shows::{self, ENDED, all, numbers, up_to},
};

#[tokio::test]
async fn rewatching_begins_a_new_run_and_keeps_the_first() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, ENDED, ListStatus::InProgress).await;
    let first = Utc::now() - Duration::days(30);
    app.mark(&token, &entry.id, up_to(2, 2), Some(first))
        .await
        .unwrap();
    let done = app.get_entry(&token, &entry.id).await.unwrap();
    assert_eq!(done.status, ListStatus::Completed as i32);

    let mut again = done.clone();
    again.status = ListStatus::InProgress as i32;
    app.update(&token, again, &["status"]).await.unwrap();
    let list = app.episodes(&token, &entry.id).await.unwrap();
    assert_eq!(list.current_run, 2);
    let one = all(&list)
        .into_iter()
        .find(|e| e.season == 1 && e.number == Some(1))
        .unwrap();
    assert!(!one.watched && one.watch_count == 1, "{one:?}");

    let watched = app
        .mark(&token, &entry.id, numbers(&[(1, 1)]), None)
        .await
        .unwrap();
    assert_eq!(watched.list_entry.unwrap().progress, 1);
    let list = app.episodes(&token, &entry.id).await.unwrap();
    let one = all(&list)
        .into_iter()
        .find(|e| e.season == 1 && e.number == Some(1))
        .unwrap();
    assert!(one.watched && one.watch_count == 2);
    let runs = app
        .client()
        .list_episode_watches(authed(
            &token,
            pb::ListEpisodeWatchesRequest {
                list_entry_id: entry.id.clone(),
                page_size: 100,
                page_token: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .episode_watches;
    assert_eq!(runs.len(), 6, "the first run's five and the new one");
    assert_eq!(runs.iter().filter(|w| w.run == 1).count(), 5);
}

#[tokio::test]
async fn completing_again_after_an_undo_records_one_run() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, ENDED, ListStatus::InProgress).await;
    for _ in 0..3 {
        let done = app
            .mark(&token, &entry.id, up_to(2, 2), None)
            .await
            .unwrap();
        assert_eq!(done.list_entry.unwrap().completion_count, 1);
        let undone = app
            .unmark(&token, &entry.id, numbers(&[(2, 2)]))
            .await
            .unwrap();
        assert_eq!(undone.list_entry.unwrap().completion_count, 0);
    }
}

#[tokio::test]
async fn an_old_watch_time_does_not_finish_a_show_that_aired_since() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, ENDED, ListStatus::InProgress).await;
    // Season 1 seen 250 days ago, before season 2 aired (200 days ago).
    let then = Utc::now() - Duration::days(250);
    let season = pb::episode_selection::Selection::Season(1);
    let marked = app
        .mark(&token, &entry.id, season, Some(then))
        .await
        .unwrap();
    let after = marked.list_entry.unwrap();
    assert_eq!(after.status, ListStatus::InProgress as i32);
    assert_eq!(after.completion_count, 0);
    // Unmarking what was never watched leaves a completion alone.
    let mut done = after;
    done.status = ListStatus::Completed as i32;
    app.update(&token, done, &["status"]).await.unwrap();
    let unmarked = app
        .unmark(&token, &entry.id, numbers(&[(2, 1)]))
        .await
        .unwrap();
    assert_eq!(unmarked.unmarked_count, 0);
    let kept = unmarked.list_entry.unwrap();
    assert_eq!(
        (kept.status, kept.completion_count),
        (ListStatus::Completed as i32, 1)
    );
}

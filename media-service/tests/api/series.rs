//! ListEpisodes, MarkEpisodesWatched, UnmarkEpisodesWatched and
//! ListEpisodeWatches against the TVmaze stand-in.

use chrono::{Duration, Utc};
use completionist_proto::media::{self as pb, ListStatus};
use tonic::Code;

use crate::{
    helpers::{TestApp, assert_error, authed, violated_fields},
    shows::{self, ENDED, RUNNING, all, ids, numbers, up_to},
};

#[tokio::test]
async fn episodes_come_by_season_with_specials_marked_and_dates_as_given() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, ENDED, ListStatus::Planned).await;

    let list = app.episodes(&token, &entry.id).await.unwrap();
    assert_eq!(list.show_status, pb::ShowStatus::Ended as i32);
    let seasons: Vec<_> = list.seasons.iter().map(|s| s.number).collect();
    assert_eq!(seasons, [0, 1, 2]);
    let episodes = all(&list);
    assert_eq!(episodes.len(), 7);
    let specials: Vec<_> = episodes.iter().filter(|e| e.special).collect();
    assert_eq!(
        specials.len(),
        2,
        "season 0 and the special inside season 1"
    );
    assert!(specials.iter().all(|e| e.number.is_none()));
    let day_only = episodes
        .iter()
        .find(|e| e.season == 2 && e.number == Some(1))
        .unwrap();
    assert!(day_only.air_time.is_none() && day_only.air_date.is_some());
    assert!(episodes.iter().all(|e| e.aired && !e.watched));
    let next = list.next_episode.unwrap();
    assert_eq!((next.season, next.number), (1, Some(1)));
    assert_eq!(list.seasons[1].aired_count, 3, "the special does not count");
    assert!(list.refresh_time.is_some());
    let item = list.list_entry.unwrap().media_item.unwrap();
    assert_eq!(item.total_units, Some(5), "regular episodes only");
}

#[tokio::test]
async fn watching_counts_regular_episodes_and_completes_an_ended_show() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, ENDED, ListStatus::Planned).await;

    let marked = app
        .mark(&token, &entry.id, up_to(1, 3), None)
        .await
        .unwrap();
    assert_eq!(marked.marked_count, 3);
    let after = marked.list_entry.unwrap();
    assert_eq!(after.progress, 3);
    assert_eq!(after.status, ListStatus::InProgress as i32);
    assert!(after.start_date.is_some());

    let list = app.episodes(&token, &entry.id).await.unwrap();
    let special = all(&list)
        .into_iter()
        .find(|e| e.special && e.season == 1)
        .unwrap()
        .id
        .clone();
    let marked = app
        .mark(&token, &entry.id, ids(&[&special]), None)
        .await
        .unwrap();
    assert_eq!(marked.marked_count, 1);
    assert_eq!(
        marked.list_entry.unwrap().progress,
        3,
        "specials never count"
    );

    let again = app
        .mark(&token, &entry.id, up_to(1, 3), None)
        .await
        .unwrap();
    assert_eq!(again.marked_count, 0, "the same call twice records once");

    let season = pb::episode_selection::Selection::Season(2);
    let done = app
        .mark(&token, &entry.id, season, None)
        .await
        .unwrap()
        .list_entry
        .unwrap();
    assert_eq!(done.status, ListStatus::Completed as i32);
    assert_eq!((done.progress, done.completion_count), (5, 1));
    assert!(done.finish_date.is_some());

    let unmarked = app
        .unmark(&token, &entry.id, numbers(&[(2, 2)]))
        .await
        .unwrap();
    assert_eq!(unmarked.unmarked_count, 1);
    let reopened = unmarked.list_entry.unwrap();
    assert_eq!(reopened.status, ListStatus::InProgress as i32);
    assert_eq!((reopened.progress, reopened.finish_date), (4, None));
}

#[tokio::test]
async fn a_running_show_caught_up_stays_in_progress() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, RUNNING, ListStatus::Planned).await;

    let season = pb::episode_selection::Selection::Season(1);
    let marked = app.mark(&token, &entry.id, season, None).await.unwrap();
    assert_eq!(marked.marked_count, 2, "only the episodes that aired");
    assert_eq!(
        marked.list_entry.unwrap().status,
        ListStatus::InProgress as i32
    );
    let list = app.episodes(&token, &entry.id).await.unwrap();
    assert!(list.caught_up);
    let run = list.list_entry.as_ref().unwrap().series_progress.unwrap();
    assert!(run.caught_up && run.new_episodes == 0);
    assert_eq!(list.show_status, pb::ShowStatus::Running as i32);
    let next = list.next_episode.unwrap();
    assert_eq!(next.number, Some(3));
    assert!(!next.aired);

    let early = app.mark(&token, &entry.id, numbers(&[(1, 3)]), None).await;
    let status = assert_error(early, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["watch_time"]);
}

#[tokio::test]
async fn bad_selections_and_times_name_their_field() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, ENDED, ListStatus::InProgress).await;
    let cases: Vec<(
        pb::episode_selection::Selection,
        Option<chrono::DateTime<Utc>>,
        &str,
    )> = vec![
        (
            numbers(&[(1, 1), (1, 9)]),
            None,
            "selection.episodes.numbers[1]",
        ),
        (ids(&["not-a-uuid"]), None, "selection.episodes.ids[0]"),
        (
            ids(&[&uuid::Uuid::new_v4().to_string()]),
            None,
            "selection.episodes.ids[0]",
        ),
        (
            pb::episode_selection::Selection::Season(9),
            None,
            "selection.season",
        ),
        (up_to(3, 1), None, "selection.up_to"),
        (
            numbers(&[(1, 1)]),
            Some(Utc::now() + Duration::days(2)),
            "watch_time",
        ),
        (
            numbers(&[(2, 1)]),
            Some(Utc::now() - Duration::days(250)),
            "watch_time",
        ),
    ];
    for (selection, at, field) in cases {
        let refused = app.mark(&token, &entry.id, selection, at).await;
        let status = assert_error(refused, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_eq!(violated_fields(&status), [field]);
    }
    let none = app
        .client()
        .mark_episodes_watched(authed(
            &token,
            pb::MarkEpisodesWatchedRequest {
                list_entry_id: entry.id.clone(),
                selection: None,
                watch_time: None,
            },
        ))
        .await;
    let status = assert_error(none, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["selection"]);
    assert_eq!(app.get_entry(&token, &entry.id).await.unwrap().progress, 0);
}

#[tokio::test]
async fn the_watch_history_pages_newest_first() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, ENDED, ListStatus::Planned).await;
    app.mark(&token, &entry.id, up_to(2, 2), None)
        .await
        .unwrap();
    let history = app
        .client()
        .list_episode_watches(authed(
            &token,
            pb::ListEpisodeWatchesRequest {
                list_entry_id: entry.id.clone(),
                page_size: 4,
                page_token: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(history.episode_watches.len(), 4);
    assert!(!history.next_page_token.is_empty());
    assert_eq!(history.episode_watches[0].title, "Futurama");
    let rest = app
        .client()
        .list_episode_watches(authed(
            &token,
            pb::ListEpisodeWatchesRequest {
                list_entry_id: String::new(),
                page_size: 4,
                page_token: history.next_page_token,
            },
        ))
        .await;
    assert_error(rest, Code::InvalidArgument, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn another_users_entry_and_items_without_episodes_are_refused() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, ENDED, ListStatus::InProgress).await;
    let stranger = app.user().await;
    for result in [
        app.episodes(&stranger, &entry.id).await.map(drop),
        app.mark(&stranger, &entry.id, up_to(1, 1), None)
            .await
            .map(drop),
        app.unmark(&stranger, &entry.id, up_to(1, 1))
            .await
            .map(drop),
    ] {
        assert_error(result, Code::NotFound, "LIST_ENTRY_NOT_FOUND");
    }
    let history = app
        .client()
        .list_episode_watches(authed(
            &stranger,
            pb::ListEpisodeWatchesRequest {
                list_entry_id: entry.id.clone(),
                page_size: 0,
                page_token: String::new(),
            },
        ))
        .await;
    assert_error(history, Code::NotFound, "LIST_ENTRY_NOT_FOUND");

    let movie = app
        .custom_item(&token, pb::MediaKind::Movie, "A film", Some(1))
        .await;
    let film = app.add(&token, &movie.id, ListStatus::Planned, None).await;
    assert_error(
        app.episodes(&token, &film.id).await,
        Code::FailedPrecondition,
        "NO_EPISODES",
    );
}

#[tokio::test]
async fn the_list_shows_the_next_episode_and_how_many_are_new() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, ENDED, ListStatus::Planned).await;
    app.mark(&token, &entry.id, up_to(1, 3), None)
        .await
        .unwrap();
    let shown = app.get_entry(&token, &entry.id).await.unwrap();
    let run = shown.series_progress.unwrap();
    let next = run.next_episode.unwrap();
    assert_eq!(
        (next.season, next.number, run.new_episodes),
        (2, 1, 2),
        "S2E1 next, 2 new"
    );
    let listed = app
        .list(&token, pb::ListListEntriesRequest::default())
        .await;
    assert_eq!(listed.list_entries[0].series_progress, Some(run));
}

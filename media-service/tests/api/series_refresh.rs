//! Episodes kept fresh: refreshed in the background by one replica at a
//! time, keeping what is stored when TVmaze fails, keeping watches of
//! episodes renumbered upstream, reopening a completed entry when a new
//! season comes; anime from Jikan; watches heard on every device.

use std::time::Duration;

use completionist_proto::media::{self as pb, ListStatus};
use serde_json::json;
use tonic::Code;
use tonic_types::StatusExt;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{path, path_regex, query_param},
};

use crate::{
    helpers::{Options, TestApp, assert_error},
    shows::{self, ENDED, RUNNING, all, episode, numbers, up_to},
    watch::{next_change, started},
};

fn fast_refreshes() -> Options {
    Options {
        media: |config| config.series.refresh_poll = Duration::from_millis(200),
        ..Options::default()
    }
}

/// Makes every show due, then waits (at most 15 s) until `done` holds.
async fn refresh_until<F>(app: &TestApp, mut done: impl FnMut() -> F)
where
    F: std::future::Future<Output = bool>,
{
    app.media_db
        .execute("UPDATE episode_sources SET refresh_due_at = now()")
        .await;
    for _ in 0..150 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the refresh never came");
}

#[tokio::test]
async fn a_refresh_keeps_renumbered_watches_and_reopens_a_finished_show() {
    let app = TestApp::spawn_with(fast_refreshes()).await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, ENDED, ListStatus::InProgress).await;
    app.mark(&token, &entry.id, up_to(2, 2), None)
        .await
        .unwrap();
    assert_eq!(
        app.get_entry(&token, &entry.id).await.unwrap().status,
        ListStatus::Completed as i32
    );

    // Upstream: S2E2 is now another episode, and a third season comes.
    app.providers.reset().await;
    let mut list = shows::ended_episodes();
    let listed = list.as_array_mut().unwrap();
    listed.retain(|e| e["id"] != 202);
    listed.push(episode(203, 2, Some(2), "regular", -199, Some(20)));
    listed.push(episode(301, 3, Some(1), "regular", -1, Some(20)));
    shows::mount_show(&app, 538, "Running", list).await;
    refresh_until(&app, || async {
        app.episodes(&token, &entry.id).await.unwrap().show_status == pb::ShowStatus::Running as i32
    })
    .await;

    let list = app.episodes(&token, &entry.id).await.unwrap();
    let episodes = all(&list);
    let kept: Vec<_> = episodes.iter().filter(|e| e.missing_upstream).collect();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].watched, "its watch stays");
    assert!(episodes.iter().any(|e| e.season == 3));
    let reopened = list.list_entry.unwrap();
    assert_eq!(reopened.status, ListStatus::InProgress as i32);
    assert_eq!(reopened.finish_date, None);
    assert_eq!(
        reopened.completion_count, 0,
        "the run goes on: finishing the new season records it once"
    );
}

#[tokio::test]
async fn tvmaze_failures_keep_what_is_stored() {
    let app = TestApp::spawn_with(fast_refreshes()).await;
    Mock::given(path_regex("^/tvmaze/"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&app.providers)
        .await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, RUNNING, ListStatus::Planned).await;
    // The first fetch (this look's, or the one adding it began) fails:
    // nothing is stored, and the failure waits out its backoff.
    match app.episodes(&token, &entry.id).await {
        Ok(list) => {
            assert!(list.seasons.is_empty());
            assert_eq!(list.show_status, pb::ShowStatus::Unknown as i32);
        }
        Err(status) => {
            assert_error::<()>(Err(status), Code::Unavailable, "PROVIDER_UNAVAILABLE");
        }
    }

    // Nothing to mark yet: refused as unavailable, with when to try again,
    // not as an episode the show lacks.
    let mark = app.mark(&token, &entry.id, numbers(&[(1, 1)]), None).await;
    let status = assert_error(mark, Code::Unavailable, "EPISODES_NOT_FETCHED");
    assert!(status.get_details_retry_info().is_some(), "{status:?}");

    app.providers.reset().await;
    shows::mount(&app).await;
    refresh_until(&app, || async {
        all(&app.episodes(&token, &entry.id).await.unwrap()).len() == 5
    })
    .await;

    // Garbage now: the refresh fails, is recorded, and the list stays.
    app.providers.reset().await;
    Mock::given(path_regex("^/tvmaze/"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .mount(&app.providers)
        .await;
    refresh_until(&app, || async {
        app.media_db
            .count("SELECT count(*) AS count FROM episode_sources WHERE failures > 0")
            .await
            == 1
    })
    .await;
    assert_eq!(
        all(&app.episodes(&token, &entry.id).await.unwrap()).len(),
        5
    );
}

#[tokio::test]
async fn a_429_is_waited_out() {
    let app = TestApp::spawn().await;
    Mock::given(path("/tvmaze/shows/44933/episodes"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.providers)
        .await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, RUNNING, ListStatus::Planned).await;
    assert_eq!(
        all(&app.episodes(&token, &entry.id).await.unwrap()).len(),
        5
    );
}

#[tokio::test]
async fn a_stopping_replica_gives_back_the_fetch_it_holds() {
    // The fetch outlasts the test unless given back.
    let mut app = TestApp::spawn_with(Options {
        request_timeout: Duration::from_secs(120),
        ..Options::default()
    })
    .await;
    Mock::given(path("/tvmaze/shows/44933/episodes"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(60)))
        .with_priority(1)
        .mount(&app.providers)
        .await;
    shows::mount(&app).await;
    let token = app.user().await;
    app.add_series(&token, RUNNING, ListStatus::Planned).await;
    let held = "SELECT count(*) AS count FROM episode_sources WHERE fetching_until > now()";
    for _ in 0..100 {
        if app.media_db.count(held).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.media_db.count(held).await, 1, "the fetch never began");

    // Another replica takes it at once, not when the lease runs out.
    app.media.stop().await;
    for _ in 0..100 {
        if app.media_db.count(held).await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the stopped replica kept its claim");
}

#[tokio::test]
async fn two_replicas_refresh_each_show_once() {
    let app = TestApp::spawn_with(fast_refreshes()).await;
    let _other = app.media_replica().await;
    shows::mount(&app).await;
    let token = app.user().await;
    app.add_series(&token, ENDED, ListStatus::Planned).await;
    app.add_series(&token, RUNNING, ListStatus::Planned).await;
    let lists = || async {
        let requests = app.providers.received_requests().await.unwrap();
        requests
            .iter()
            .filter(|r| r.url.path().ends_with("/episodes"))
            .count()
    };
    // Fetched once as they were put on the list; then both replicas poll.
    for _ in 0..100 {
        if lists().await == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    refresh_until(&app, || async { lists().await >= 4 }).await;
    // A few more rounds of both replicas polling.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(lists().await, 4, "one fetch per show and refresh");
}

#[tokio::test]
async fn anime_keep_jikans_flat_list() {
    let app = TestApp::spawn().await;
    Mock::given(path("/jikan/v4/anime/1"))
        .respond_with(crate::helpers::json_fixture("jikan_anime_1.json"))
        .mount(&app.providers)
        .await;
    for page in 1..=2 {
        let first = (page - 1) * 2 + 1;
        let body = json!({
            "pagination": {"last_visible_page": 2, "has_next_page": page == 1},
            "data": [
                {"mal_id": first, "title": "One", "aired": "1998-10-24T00:00:00+00:00"},
                {"mal_id": first + 1, "title": "Two", "aired": null}
            ]
        });
        Mock::given(path("/jikan/v4/anime/1/episodes"))
            .and(query_param("page", page.to_string().as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&app.providers)
            .await;
    }
    let token = app.user().await;
    let entry = app
        .client()
        .add_list_entry(crate::helpers::authed(
            &token,
            pb::AddListEntryRequest {
                media: Some(pb::add_list_entry_request::Media::Reference(
                    crate::helpers::reference(pb::MediaSource::Jikan, pb::MediaKind::Anime, "1"),
                )),
                status: ListStatus::Planned as i32,
                rating: None,
                progress: 0,
                notes: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .list_entry
        .unwrap();
    let list = app.episodes(&token, &entry.id).await.unwrap();
    assert_eq!(list.show_status, pb::ShowStatus::Ended as i32);
    assert_eq!(list.seasons.len(), 1);
    let numbers: Vec<_> = all(&list).iter().map(|e| e.number).collect();
    assert_eq!(numbers, [Some(1), Some(2), Some(3), Some(4)]);
    assert!(all(&list)[0].air_time.is_none(), "Jikan gives days only");
}

#[tokio::test]
async fn watches_reach_every_open_device() {
    let app = TestApp::spawn().await;
    shows::mount(&app).await;
    let token = app.user().await;
    let entry = app.add_series(&token, ENDED, ListStatus::Planned).await;
    app.episodes(&token, &entry.id).await.unwrap();
    let mut other_tab = app.watch(&token, "").await.unwrap();
    started(&mut other_tab).await;

    app.mark(&token, &entry.id, up_to(1, 2), None)
        .await
        .unwrap();
    let (change, _) = next_change(&mut other_tab).await;
    let heard = change.list_entry.unwrap();
    assert_eq!(
        (heard.progress, heard.status),
        (2, ListStatus::InProgress as i32)
    );
    app.unmark(&token, &entry.id, up_to(1, 2)).await.unwrap();
    let (change, _) = next_change(&mut other_tab).await;
    assert_eq!(change.list_entry.unwrap().progress, 0);
}

//! How WatchListEntries streams end: a revoked or expired token, shutdown,
//! a client too slow to keep up; and how many may be open.

use std::time::{Duration, Instant};

use completionist_proto::{auth as auth_pb, media as pb};
use pb::{ConflictPolicy, ListEntryChangeType as Type, watch_list_entries_response::Event};
use tonic::{Code, transport::Endpoint};

use crate::{
    helpers::{Options, TestApp, assert_error, authed},
    watch::{Watch, movie, next, next_change, started, two_sessions, watch_on},
};

/// The status a stream ends with, past any messages still coming.
async fn end(watch: &mut Watch) -> tonic::Status {
    loop {
        if let Err(status) = next(watch).await {
            return status;
        }
    }
}

/// Streams that ask about their token only when auth-service's revocation
/// feed names it: what ends them within a second is the feed.
fn fed_only() -> Options {
    Options {
        media: |config| {
            config.watch.recheck = Duration::from_secs(60);
            config.watch.fed_recheck = Duration::from_secs(60);
        },
        ..Options::default()
    }
}

#[tokio::test]
async fn revoking_the_token_ends_the_stream_through_the_feed() {
    let app = TestApp::spawn_with(fed_only()).await;
    wait_for_the_feed(&app).await;
    let token = app.user().await;
    let mut watch = app.watch(&token, "").await.unwrap();
    started(&mut watch).await;
    app.auth_client()
        .logout(authed(&token, auth_pb::LogoutRequest {}))
        .await
        .unwrap();
    let revoked = Instant::now();
    assert_error::<()>(
        Err(end(&mut watch).await),
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    // The feed, not the minute-long recheck, ended it (typically within
    // a second; a loaded machine gets more room here).
    assert!(
        revoked.elapsed() < Duration::from_secs(10),
        "ended {:?} after the revocation",
        revoked.elapsed()
    );
    // And the token opens no stream either.
    assert_error(
        app.watch(&token, "").await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
}

#[tokio::test]
async fn revoking_a_users_tokens_ends_their_streams_only() {
    let app = TestApp::spawn_with(fed_only()).await;
    let (token, other) = (app.user().await, app.user().await);
    let mut watch = app.watch(&token, "").await.unwrap();
    let mut others = app.watch(&other, "").await.unwrap();
    started(&mut watch).await;
    started(&mut others).await;
    app.auth_client()
        .revoke_user_tokens(authed(&token, auth_pb::RevokeUserTokensRequest::default()))
        .await
        .unwrap();
    assert_error::<()>(
        Err(end(&mut watch).await),
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    let item = movie(&app, &other, "Heat").await;
    app.add(&other, &item.id, pb::ListStatus::Planned, None)
        .await;
    assert_eq!(next_change(&mut others).await.0.r#type(), Type::Added);
}

#[tokio::test]
async fn logging_out_one_device_leaves_the_others_stream_open() {
    let app = TestApp::spawn_with(fed_only()).await;
    let (phone, laptop) = two_sessions(&app).await;
    let mut on_laptop = app.watch(&laptop, "").await.unwrap();
    started(&mut on_laptop).await;
    app.auth_client()
        .logout(authed(&phone, auth_pb::LogoutRequest {}))
        .await
        .unwrap();
    // Its guard was not even asked to recheck; the next change arrives.
    let item = movie(&app, &laptop, "Arrival").await;
    app.add(&laptop, &item.id, pb::ListStatus::Planned, None)
        .await;
    assert_eq!(next_change(&mut on_laptop).await.0.r#type(), Type::Added);
}

#[tokio::test]
async fn an_expiring_token_ends_the_stream() {
    let app = TestApp::spawn_with(Options {
        auth_env: &[("JWT_ACCESS_TTL_SECONDS", "2")],
        ..Options::default()
    })
    .await;
    let token = app.user().await;
    let mut watch = app.watch(&token, "").await.unwrap();
    started(&mut watch).await;
    assert_error::<()>(
        Err(end(&mut watch).await),
        Code::Unauthenticated,
        "TOKEN_EXPIRED",
    );
}

#[tokio::test]
async fn streams_end_unavailable_when_their_token_cannot_be_checked() {
    let mut app = TestApp::spawn().await;
    let token = app.user().await;
    let mut watch = app.watch(&token, "").await.unwrap();
    started(&mut watch).await;
    app.auth.stop().await;
    assert_error::<()>(
        Err(end(&mut watch).await),
        Code::Unavailable,
        "AUTH_UNAVAILABLE",
    );
}

/// Waits until media-service follows auth-service's revocation feed: a
/// probe stream whose token is revoked ends well before its own recheck
/// without the feed (the configured `recheck`) only when the feed names
/// the token.
async fn wait_for_the_feed(app: &TestApp) {
    let soon = (app.media_config.watch.recheck / 2).min(Duration::from_secs(10));
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let probe = app.user().await;
        let mut watch = app.watch(&probe, "").await.unwrap();
        started(&mut watch).await;
        app.auth_client()
            .logout(authed(&probe, auth_pb::LogoutRequest {}))
            .await
            .unwrap();
        let revoked = Instant::now();
        end(&mut watch).await;
        if revoked.elapsed() < soon {
            return;
        }
    }
    panic!("the revocation feed never came up");
}

#[tokio::test]
async fn losing_the_revocation_feed_makes_streams_ask_for_themselves() {
    // Every 2 s without the feed; with it, not within the test's patience.
    let mut app = TestApp::spawn_with(Options {
        media: |config| {
            config.watch.recheck = Duration::from_secs(2);
            config.watch.fed_recheck = Duration::from_secs(60);
        },
        ..Options::default()
    })
    .await;
    wait_for_the_feed(&app).await;
    let token = app.user().await;
    let mut watch = app.watch(&token, "").await.unwrap();
    started(&mut watch).await;
    // auth-service goes away: the feed is lost, and the stream's next
    // rechecks (2 s apart, not 60) fail until it ends.
    let stopped = Instant::now();
    app.auth.stop().await;
    assert_error::<()>(
        Err(end(&mut watch).await),
        Code::Unavailable,
        "AUTH_UNAVAILABLE",
    );
    assert!(
        stopped.elapsed() < Duration::from_secs(8),
        "ended {:?} after auth-service stopped",
        stopped.elapsed()
    );
}

#[tokio::test]
async fn shutting_down_ends_streams_unavailable_so_clients_reconnect() {
    let mut app = TestApp::spawn().await;
    let token = app.user().await;
    let mut watch = app.watch(&token, "").await.unwrap();
    let position = started(&mut watch).await;
    let stopping = tokio::spawn(async move {
        app.media.stop().await;
        app
    });
    assert_error::<()>(
        Err(end(&mut watch).await),
        Code::Unavailable,
        "SHUTTING_DOWN",
    );
    let mut app = stopping.await.unwrap();
    app.restart_media().await;
    let mut resumed = app.watch(&token, &position).await.unwrap();
    started(&mut resumed).await;
}

#[tokio::test]
async fn streams_are_bounded_per_user_and_a_closed_one_frees_its_place() {
    let app = TestApp::spawn_with(Options {
        media: |config| config.watch.list_streams.per_user = 2,
        ..Options::default()
    })
    .await;
    let (ada, bob) = (app.user().await, app.user().await);
    let first = app.watch(&ada, "").await.unwrap();
    let _second = app.watch(&ada, "").await.unwrap();
    assert_error(
        app.watch(&ada, "").await,
        Code::ResourceExhausted,
        "TOO_MANY_STREAMS",
    );
    // Another user is not held back.
    let mut bobs = app.watch(&bob, "").await.unwrap();
    started(&mut bobs).await;
    drop(first);
    let reopened = async {
        loop {
            match app.watch(&ada, "").await {
                Ok(watch) => return watch,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    };
    let mut third = tokio::time::timeout(Duration::from_secs(10), reopened)
        .await
        .expect("a closed stream frees its place");
    started(&mut third).await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_off_and_resumes_where_it_was() {
    let app = TestApp::spawn_with(Options {
        media: |config| config.watch.slow_consumer = Duration::from_millis(300),
        ..Options::default()
    })
    .await;
    let token = app.user().await;
    // A small HTTP/2 window: the server feels a client that reads nothing
    // after a few messages rather than megabytes.
    let channel = Endpoint::from_shared(format!("http://{}", app.media.addr))
        .unwrap()
        .initial_stream_window_size(Some(16 * 1024))
        .connect()
        .await
        .unwrap();
    let mut watch = watch_on(channel, &token, "").await.unwrap();
    let mut last = started(&mut watch).await;
    let rows = 1_500;
    let job = app
        .start_import(
            &token,
            crate::imports::mal_export(rows),
            "animelist.xml",
            ConflictPolicy::Skip,
        )
        .await
        .unwrap();
    app.watch_import(&token, &job.id, 0).await;
    // Long enough to be cut off while reading nothing.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let mut seen = 0;
    let status = loop {
        match next(&mut watch).await {
            Ok(message) => {
                if matches!(message.event, Some(Event::Change(_))) {
                    seen += 1;
                }
                last = message.resume_token;
            }
            Err(status) => break status,
        }
    };
    assert_error::<()>(Err(status), Code::ResourceExhausted, "SLOW_CONSUMER");
    assert!(seen < rows, "cut off before the end: {seen}");

    let mut resumed = app.watch(&token, &last).await.unwrap();
    started(&mut resumed).await;
    for _ in seen..rows {
        next_change(&mut resumed).await;
    }
}

#[tokio::test]
async fn import_watches_end_unavailable_on_shutdown_too() {
    let mut app = TestApp::spawn().await;
    crate::exports::slow_letterboxd(&app).await;
    let token = app.user().await;
    let job = app
        .start_import(
            &token,
            crate::exports::watched_csv(40),
            "watched.csv",
            ConflictPolicy::Skip,
        )
        .await
        .unwrap();
    let mut watch = app
        .client()
        .watch_import(authed(
            &token,
            pb::WatchImportRequest {
                id: job.id,
                after_row: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    watch.message().await.unwrap().unwrap();
    let stopping = tokio::spawn(async move { app.media.stop().await });
    let status = loop {
        match tokio::time::timeout(Duration::from_secs(10), watch.message())
            .await
            .unwrap()
        {
            Ok(Some(_)) => {}
            Ok(None) => panic!("ended without a status"),
            Err(status) => break status,
        }
    };
    assert_error::<()>(Err(status), Code::Unavailable, "SHUTTING_DOWN");
    stopping.await.unwrap();
}

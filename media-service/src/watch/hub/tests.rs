use std::time::Duration;

use futures_util::FutureExt;

use tokio_util::sync::CancellationToken;

use super::*;

fn limits(per_replica: usize, per_user: usize) -> StreamLimits {
    StreamLimits {
        per_replica,
        per_user,
    }
}

fn hub(max_streams: usize, max_streams_per_user: usize) -> Arc<Hub> {
    Hub::new(
        WatchConfig {
            heartbeat: Duration::from_secs(1),
            retention: Duration::from_secs(1),
            list_streams: limits(max_streams, max_streams_per_user),
            import_streams: limits(max_streams, max_streams_per_user),
            export_streams: limits(1, 1),
            slow_consumer: Duration::from_secs(1),
            recheck: Duration::from_secs(1),
            fed_recheck: Duration::from_secs(1),
            prune_interval: Duration::from_secs(1),
        },
        CancellationToken::new(),
    )
}

const LIST: StreamKind = StreamKind::ListEntries;

#[tokio::test]
async fn stopping_is_heard_by_every_waiter() {
    let hub = hub(1, 1);
    let waiting = tokio::spawn({
        let hub = hub.clone();
        async move { hub.stopped().await }
    });
    hub.stopping.cancel();
    waiting.await.unwrap();
    hub.stopped().await;
}

fn caller(user: Uuid) -> Caller {
    Caller {
        user_id: user,
        token_expires_at: chrono::Utc::now(),
        token_id: Uuid::now_v7(),
        session_id: Uuid::now_v7(),
    }
}

#[test]
fn streams_are_bounded_per_user_and_in_all() {
    let hub = hub(3, 2);
    let (ada, bob, cy) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let first = hub.open(LIST, caller(ada)).unwrap();
    let _second = hub.open(LIST, caller(ada)).unwrap();
    assert!(matches!(
        hub.open(LIST, caller(ada)),
        Err(Error::TooManyStreams(_))
    ));
    let _third = hub.open(LIST, caller(bob)).unwrap();
    assert!(matches!(
        hub.open(LIST, caller(cy)),
        Err(Error::TooManyStreams(_))
    ));
    drop(first);
    assert_eq!(hub.open_streams(), 2);
    let _again = hub.open(LIST, caller(cy)).unwrap();
}

#[test]
fn each_kind_is_bounded_on_its_own() {
    let hub = hub(2, 2);
    let ada = Uuid::now_v7();
    let _lists = [hub.open(LIST, caller(ada)), hub.open(LIST, caller(ada))];
    let _imports = [
        hub.open(StreamKind::Import, caller(ada)).unwrap(),
        hub.open(StreamKind::Import, caller(ada)).unwrap(),
    ];
    let export = hub.open(StreamKind::Export, caller(ada)).unwrap();
    let Err(Error::TooManyStreams(why)) = hub.open(StreamKind::Export, caller(ada)) else {
        panic!("a second export was let in");
    };
    assert!(why.contains("export"), "{why}");
    drop(export);
    hub.open(StreamKind::Export, caller(ada)).unwrap();
}

#[test]
fn announcements_wake_their_users_streams_of_their_channel_only() {
    let hub = hub(10, 10);
    let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let mut a = hub.open(LIST, caller(ada)).unwrap();
    let b = hub.open(LIST, caller(bob)).unwrap();
    hub.announced(LIST_CHANGES, &ada.to_string());
    hub.announced(LIST_CHANGES, "not a uuid");
    assert!(a.list.has_changed().unwrap());
    assert!(!a.imports.has_changed().unwrap());
    assert!(!b.list.has_changed().unwrap());
    a.list.borrow_and_update();
    hub.announced(IMPORT_JOBS, &ada.to_string());
    assert!(a.imports.has_changed().unwrap() && !a.list.has_changed().unwrap());
    a.imports.borrow_and_update();
    hub.wake_all();
    assert!(a.list.has_changed().unwrap() && b.list.has_changed().unwrap());
    assert!(a.imports.has_changed().unwrap());
    drop((a, b));
    assert_eq!(hub.open_streams(), 0);
}

#[test]
fn revocations_poke_the_streams_they_may_name() {
    let hub = hub(10, 10);
    let (ada, bob) = (caller(Uuid::now_v7()), caller(Uuid::now_v7()));
    let mut ada_too = caller(ada.user_id);
    ada_too.session_id = ada.session_id;
    let _streams = [
        hub.open(LIST, ada),
        hub.open(StreamKind::Import, ada_too),
        hub.open(LIST, bob),
    ];
    let id = |id: Uuid| id.to_string();
    assert_eq!(hub.revoked(Some(&Scope::TokenId(id(ada.token_id)))), 1);
    assert_eq!(hub.revoked(Some(&Scope::SessionId(id(ada.session_id)))), 2);
    assert_eq!(hub.revoked(Some(&Scope::UserId(id(bob.user_id)))), 1);
    assert_eq!(hub.revoked(Some(&Scope::TokenId(id(Uuid::now_v7())))), 0);
    assert_eq!(hub.revoked(Some(&Scope::Everyone(true))), 3);
    // What cannot be read may name anyone.
    assert_eq!(hub.revoked(Some(&Scope::SessionId("?".into()))), 3);
    assert_eq!(hub.revoked(None), 3);
}

#[tokio::test]
async fn a_poke_waits_for_its_guard() {
    let hub = hub(10, 10);
    let ada = caller(Uuid::now_v7());
    let stream = hub.open(LIST, ada).unwrap();
    hub.revoked(Some(&Scope::TokenId(ada.token_id.to_string())));
    // Poked while the guard was busy: it finds the poke when it waits.
    stream.poked.notified().await;
    drop(stream);
    assert_eq!(hub.revoked(None), 0, "closed streams are forgotten");
}

#[tokio::test(start_paused = true)]
async fn the_feed_coming_back_or_revoking_everyone_pokes_every_stream_spread_over_seconds() {
    let hub = hub(2000, 2000);
    let ada = caller(Uuid::now_v7());
    let streams: Vec<Subscription> = (0..1000).map(|_| hub.open(LIST, ada).unwrap()).collect();
    let poked = |streams: &[Subscription]| {
        streams
            .iter()
            .filter(|s| s.poked.notified().now_or_never().is_some())
            .count()
    };
    assert!(!hub.is_fed());
    hub.set_fed(true);
    assert!(hub.is_fed());
    tokio::task::yield_now().await;
    let at_once = poked(&streams);
    assert!(at_once <= 1000 / 50, "{at_once} guards asked at once");
    tokio::time::sleep(RECHECK_SPREAD).await;
    assert_eq!(at_once + poked(&streams), 1000, "every guard rechecks once");
    // So does a revocation of everyone.
    assert_eq!(hub.revoked(Some(&Scope::Everyone(true))), 1000);
    tokio::task::yield_now().await;
    assert!(poked(&streams) <= 1000 / 50);
    tokio::time::sleep(RECHECK_SPREAD).await;
    hub.set_fed(false);
    assert!(!hub.is_fed());
}

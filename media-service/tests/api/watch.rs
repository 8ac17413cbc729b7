//! WatchListEntries: changes reach every stream of their user, on every
//! replica, in order, and reconnecting replays exactly what was missed.

use std::time::Duration;

use completionist_proto::media as pb;
use pb::{ListEntryChangeType as Type, ListStatus, MediaKind, watch_list_entries_response::Event};
use tonic::{Code, Status, Streaming, transport::Channel};

use crate::helpers::{Options, TestApp, assert_error, authed, mask};

pub(crate) type Watch = Streaming<pb::WatchListEntriesResponse>;

/// How long a test waits for a message before it fails.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

impl TestApp {
    pub(crate) async fn watch(&self, token: &str, resume_token: &str) -> Result<Watch, Status> {
        watch_on(self.media.channel.clone(), token, resume_token).await
    }
}

pub(crate) async fn watch_on(
    channel: Channel,
    token: &str,
    resume_token: &str,
) -> Result<Watch, Status> {
    pb::media_service_client::MediaServiceClient::new(channel)
        .watch_list_entries(authed(
            token,
            pb::WatchListEntriesRequest {
                resume_token: resume_token.into(),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// The next message; `Err` when the stream ended with a status.
pub(crate) async fn next(watch: &mut Watch) -> Result<pb::WatchListEntriesResponse, Status> {
    match tokio::time::timeout(PATIENCE, watch.message()).await {
        Ok(Ok(Some(message))) => Ok(message),
        Ok(Ok(None)) => panic!("the stream ended without a status"),
        Ok(Err(status)) => Err(status),
        Err(_) => panic!("no message within {PATIENCE:?}"),
    }
}

/// The first message, which must say where the stream starts: its token.
pub(crate) async fn started(watch: &mut Watch) -> String {
    let message = next(watch).await.unwrap();
    assert!(
        matches!(message.event, Some(Event::Started(_))),
        "{message:?}"
    );
    message.resume_token
}

/// The next change, past heartbeats, with its resume token.
pub(crate) async fn next_change(watch: &mut Watch) -> (pb::ListEntryChange, String) {
    loop {
        let message = next(watch).await.unwrap();
        match message.event.unwrap() {
            Event::Change(change) => return (*change, message.resume_token),
            Event::Heartbeat(_) => {}
            Event::Started(_) => panic!("a second start"),
        }
    }
}

/// Asserts that the stream sends a heartbeat (nothing changed) next.
pub(crate) async fn quiet(watch: &mut Watch) {
    let message = next(watch).await.unwrap();
    assert!(
        matches!(message.event, Some(Event::Heartbeat(_))),
        "expected a heartbeat, got {message:?}"
    );
}

pub(crate) fn fast_heartbeats() -> Options {
    Options {
        media: |config| config.watch.heartbeat = Duration::from_millis(200),
        ..Options::default()
    }
}

pub(crate) async fn movie(app: &TestApp, token: &str, title: &str) -> pb::MediaItem {
    app.custom_item(token, MediaKind::Movie, title, None).await
}

#[tokio::test]
async fn a_change_on_one_device_reaches_the_other() {
    let app = TestApp::spawn().await;
    let (phone, laptop) = two_sessions(&app).await;
    let mut on_phone = app.watch(&phone, "").await.unwrap();
    let mut on_laptop = app.watch(&laptop, "").await.unwrap();
    started(&mut on_phone).await;
    started(&mut on_laptop).await;

    let item = movie(&app, &phone, "Arrival").await;
    let entry = app.add(&phone, &item.id, ListStatus::Planned, None).await;
    for watch in [&mut on_phone, &mut on_laptop] {
        let (change, _) = next_change(watch).await;
        assert_eq!(change.r#type(), Type::Added);
        assert_eq!(change.list_entry_id, entry.id);
        let sent = change.list_entry.unwrap();
        assert_eq!(
            sent, entry,
            "the event carries the entry as AddListEntry answered"
        );
    }

    let mut changed = entry.clone();
    changed.progress = 1;
    changed.status = ListStatus::Completed as i32;
    let updated = app
        .update(&laptop, changed, &["progress", "status"])
        .await
        .unwrap();
    let (change, _) = next_change(&mut on_phone).await;
    assert_eq!(change.r#type(), Type::Updated);
    assert_eq!(change.list_entry.unwrap().status(), ListStatus::Completed);
    // Completing records a run: the entry again, with its count.
    let (change, _) = next_change(&mut on_phone).await;
    assert_eq!(change.r#type(), Type::Updated);
    assert!(change.runs_changed);
    assert_eq!(change.list_entry.unwrap().completion_count, 1);
    assert_eq!(updated.completion_count, 1);

    app.client()
        .remove_list_entry(authed(
            &phone,
            pb::RemoveListEntryRequest {
                id: entry.id.clone(),
            },
        ))
        .await
        .unwrap();
    for watch in [&mut on_phone, &mut on_laptop] {
        let (change, _) = loop {
            let (change, token) = next_change(watch).await;
            if change.r#type() == Type::Removed {
                break (change, token);
            }
        };
        assert_eq!(change.list_entry_id, entry.id);
        assert!(change.list_entry.is_none());
    }
}

/// Two logins of one user: two tokens, as two devices have.
pub(crate) async fn two_sessions(app: &TestApp) -> (String, String) {
    use test_support::accounts;
    let auth = app.auth_client();
    let email = accounts::register(&auth).await;
    let first = accounts::log_in(&auth, &email).await.access_token;
    let second = accounts::log_in(&auth, &email).await.access_token;
    (first, second)
}

#[tokio::test]
async fn runs_recorded_corrected_and_forgotten_are_changes() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = movie(&app, &token, "Heat").await;
    let entry = app.add(&token, &item.id, ListStatus::Planned, None).await;
    let mut watch = app.watch(&token, "").await.unwrap();
    started(&mut watch).await;

    let run = app
        .client()
        .create_list_entry_run(authed(
            &token,
            pb::CreateListEntryRunRequest {
                parent: entry.id.clone(),
                list_entry_run: Some(pb::ListEntryRun::default()),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .list_entry_run
        .unwrap();
    let (change, _) = next_change(&mut watch).await;
    assert!(change.runs_changed);
    assert_eq!(change.list_entry.unwrap().completion_count, 1);

    let mut corrected = run.clone();
    corrected.finish_date = Some(crate::helpers::today());
    app.client()
        .update_list_entry_run(authed(
            &token,
            pb::UpdateListEntryRunRequest {
                list_entry_run: Some(corrected),
                update_mask: mask(&["finish_date"]),
            },
        ))
        .await
        .unwrap();
    let (change, _) = next_change(&mut watch).await;
    assert!(change.runs_changed);
    assert_eq!(change.r#type(), Type::Updated);

    app.client()
        .delete_list_entry_run(authed(&token, pb::DeleteListEntryRunRequest { id: run.id }))
        .await
        .unwrap();
    let (change, _) = next_change(&mut watch).await;
    assert_eq!(change.list_entry.unwrap().completion_count, 0);
}

#[tokio::test]
async fn another_users_changes_never_appear() {
    let app = TestApp::spawn_with(fast_heartbeats()).await;
    let (ada, bob) = (app.user().await, app.user().await);
    let mut bobs = app.watch(&bob, "").await.unwrap();
    started(&mut bobs).await;

    let item = movie(&app, &ada, "Alien").await;
    app.add(&ada, &item.id, ListStatus::Planned, None).await;
    quiet(&mut bobs).await;

    let own = movie(&app, &bob, "Aliens").await;
    let entry = app.add(&bob, &own.id, ListStatus::Planned, None).await;
    let (change, _) = next_change(&mut bobs).await;
    assert_eq!(
        change.list_entry_id, entry.id,
        "Bob's first change is his own"
    );

    // A token is a position in the caller's own history: Ada's, further
    // along than Bob's, replays nothing of hers to him.
    let mut adas = app.watch(&ada, "").await.unwrap();
    started(&mut adas).await;
    let second = movie(&app, &ada, "Alien 3").await;
    app.add(&ada, &second.id, ListStatus::Planned, None).await;
    let (_, adas_token) = next_change(&mut adas).await;
    assert_error(
        app.watch(&bob, &adas_token).await,
        Code::FailedPrecondition,
        "RESUME_TOKEN_EXPIRED",
    );
}

#[tokio::test]
async fn a_change_made_on_one_replica_reaches_streams_on_another() {
    let app = TestApp::spawn().await;
    let replica = app.media_replica().await;
    let token = app.user().await;
    let mut watch = watch_on(replica.channel.clone(), &token, "").await.unwrap();
    started(&mut watch).await;

    let item = movie(&app, &token, "Ran").await;
    let entry = app.add(&token, &item.id, ListStatus::Planned, None).await;
    let (change, _) = next_change(&mut watch).await;
    assert_eq!(change.list_entry_id, entry.id);
}

#[tokio::test]
async fn resuming_replays_exactly_the_missed_changes_in_order() {
    let app = TestApp::spawn_with(fast_heartbeats()).await;
    let token = app.user().await;
    let mut watch = app.watch(&token, "").await.unwrap();
    let start = started(&mut watch).await;
    let first = movie(&app, &token, "One").await;
    app.add(&token, &first.id, ListStatus::Planned, None).await;
    let (_, after_first) = next_change(&mut watch).await;
    drop(watch);

    let mut missed = Vec::new();
    for title in ["Two", "Three", "Four"] {
        let item = movie(&app, &token, title).await;
        missed.push(
            app.add(&token, &item.id, ListStatus::Planned, None)
                .await
                .id,
        );
    }

    let mut resumed = app.watch(&token, &after_first).await.unwrap();
    assert!(!started(&mut resumed).await.is_empty());
    let mut replayed = Vec::new();
    for _ in 0..3 {
        replayed.push(next_change(&mut resumed).await.0.list_entry_id);
    }
    assert_eq!(replayed, missed);
    quiet(&mut resumed).await;

    // From the very start: all four, once each.
    let mut again = app.watch(&token, &start).await.unwrap();
    started(&mut again).await;
    let mut all = Vec::new();
    for _ in 0..4 {
        all.push(next_change(&mut again).await.0.list_entry_id);
    }
    assert_eq!(all[1..], missed[..]);
    quiet(&mut again).await;
}

#[tokio::test]
async fn heartbeats_carry_the_current_position() {
    let app = TestApp::spawn_with(fast_heartbeats()).await;
    let token = app.user().await;
    let mut watch = app.watch(&token, "").await.unwrap();
    let first = next(&mut watch).await.unwrap();
    let Some(Event::Started(started)) = first.event else {
        panic!("{first:?}")
    };
    assert_eq!(started.heartbeat_interval_seconds, 1);
    let item = movie(&app, &token, "Ikiru").await;
    app.add(&token, &item.id, ListStatus::Planned, None).await;
    next_change(&mut watch).await;
    let beat = next(&mut watch).await.unwrap();
    assert!(matches!(beat.event, Some(Event::Heartbeat(_))));
    // Resuming from a heartbeat replays nothing.
    let mut resumed = app.watch(&token, &beat.resume_token).await.unwrap();
    started_then_quiet(&mut resumed).await;
}

async fn started_then_quiet(watch: &mut Watch) {
    started(watch).await;
    quiet(watch).await;
}

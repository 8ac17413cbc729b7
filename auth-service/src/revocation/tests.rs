use chrono::TimeDelta;

use pb::revocation::Scope;

use futures_util::StreamExt;

use super::*;
use crate::domain::Role;

fn claims(iat_millis: i64) -> Claims {
    let iat = iat_millis as f64 / 1000.0;
    Claims {
        sub: Uuid::now_v7(),
        jti: Uuid::now_v7(),
        sid: Uuid::now_v7(),
        iat,
        exp: 0,
        iss: String::new(),
        aud: String::new(),
        role: Role::User,
    }
}

fn row(
    id: i64,
    kind: RevocationKind,
    subject: Option<Uuid>,
    before: Option<DateTime<Utc>>,
) -> RevocationRow {
    RevocationRow {
        id,
        kind,
        subject,
        issued_before: before,
        expires_at: Utc::now() + TimeDelta::hours(1),
    }
}

#[test]
fn each_kind_revokes_what_it_names() {
    let set = Revocations::default();
    let now = Utc::now();
    let old = claims(now.timestamp_millis() - 1000);
    let new = claims(now.timestamp_millis());
    assert!(!set.is_revoked(&old));

    set.apply(&[row(1, RevocationKind::Token, Some(old.jti), None)], 1);
    assert!(set.is_revoked(&old));
    assert!(!set.is_revoked(&new));

    let other = claims(now.timestamp_millis() - 1000);
    set.apply(&[row(2, RevocationKind::Family, Some(other.sid), None)], 2);
    assert!(set.is_revoked(&other));

    let mut user_old = claims(now.timestamp_millis() - 1);
    let mut user_new = claims(now.timestamp_millis());
    user_new.sub = user_old.sub;
    set.apply(
        &[row(3, RevocationKind::User, Some(user_old.sub), Some(now))],
        3,
    );
    assert!(set.is_revoked(&user_old), "issued before the cutoff");
    assert!(!set.is_revoked(&user_new), "issued at the cutoff");

    user_old.sub = Uuid::now_v7();
    set.apply(&[row(4, RevocationKind::All, None, Some(now))], 4);
    assert!(set.is_revoked(&user_old));
    assert!(!set.is_revoked(&new));
}

#[test]
fn prune_forgets_only_expired_records() {
    let set = Revocations::default();
    let live = claims(0);
    let mut dead = row(1, RevocationKind::Token, Some(Uuid::now_v7()), None);
    dead.expires_at = Utc::now() - TimeDelta::seconds(1);
    set.apply(
        &[dead, row(2, RevocationKind::Token, Some(live.jti), None)],
        2,
    );
    assert_eq!(set.prune(Utc::now()), 1);
    assert!(set.is_revoked(&live));
}

fn event(message: Option<Result<pb::WatchRevocationsResponse, Status>>) -> Event {
    message
        .expect("a message")
        .expect("not an error")
        .event
        .expect("an event")
}

fn reason(message: Option<Result<pb::WatchRevocationsResponse, Status>>) -> String {
    let status = message.expect("a message").expect_err("an error");
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

fn current() -> Arc<Revocations> {
    let set = Arc::new(Revocations::default());
    set.current.store(true, Ordering::Release);
    set
}

#[test]
fn no_feed_while_the_listener_is_behind() {
    let set = Arc::new(Revocations::default());
    assert!(matches!(feed(set), Err(Error::RevocationsUnavailable)));
}

#[tokio::test]
async fn the_feed_starts_then_passes_on_each_record_once() {
    let set = current();
    let mut feed = feed(set.clone()).unwrap();
    assert!(matches!(event(feed.next().await), Event::Started(_)));
    let jti = Uuid::now_v7();
    let first = row(1, RevocationKind::Token, Some(jti), None);
    set.apply(std::slice::from_ref(&first), 1);
    set.apply(&[first], 1);
    let now = Utc::now();
    set.apply(&[row(2, RevocationKind::All, None, Some(now))], 2);
    let Event::Revocation(revocation) = event(feed.next().await) else {
        panic!("a revocation");
    };
    assert_eq!(revocation.scope, Some(Scope::TokenId(jti.to_string())));
    let Event::Revocation(revocation) = event(feed.next().await) else {
        panic!("a revocation");
    };
    assert_eq!(revocation.scope, Some(Scope::Everyone(true)));
    assert_eq!(
        revocation.revoke_time.map(|t| t.seconds),
        Some(now.timestamp())
    );
}

#[tokio::test]
async fn the_feed_ends_when_records_may_be_missed() {
    let set = current();
    let mut lost = feed(set.clone()).unwrap();
    lost.next().await;
    let _ = set.feed.send(FeedEvent::Lost);
    assert_eq!(reason(lost.next().await), "REVOCATIONS_UNAVAILABLE");
    assert!(lost.next().await.is_none(), "nothing after the end");

    let set = current();
    let mut lagging = feed(set.clone()).unwrap();
    lagging.next().await;
    let records = FEED_CAPACITY as i64 + 1;
    for id in 1..=records {
        let subject = Some(Uuid::now_v7());
        set.apply(&[row(id, RevocationKind::Token, subject, None)], id);
    }
    let mut delivered = 0;
    let end = loop {
        match lagging.next().await {
            Some(Ok(_)) => delivered += 1,
            end => break end,
        }
    };
    assert_eq!(reason(end), "SLOW_CONSUMER");
    assert!(delivered < records);
}

#[tokio::test]
async fn the_feed_ends_on_shutdown() {
    let set = current();
    let mut feed = feed(set.clone()).unwrap();
    feed.next().await;
    set.stop();
    assert_eq!(reason(feed.next().await), "SHUTTING_DOWN");
}

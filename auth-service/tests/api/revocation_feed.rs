//! WatchRevocations: every revocation any replica records, in order, to
//! the services that hold tokens for longer than a call.

use std::time::{Duration, Instant};

use completionist_proto::auth as pb;
use pb::{revocation::Scope, watch_revocations_response::Event};
use tonic::Code;

use crate::helpers::{TestApp, assert_error, authed, email};

/// WatchRevocations on `app`, once its listener has caught up (until
/// then the feed answers UNAVAILABLE, as the contract says).
pub(crate) async fn feed(app: &TestApp) -> tonic::Streaming<pb::WatchRevocationsResponse> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match app
            .tokens()
            .watch_revocations(pb::WatchRevocationsRequest {})
            .await
        {
            Ok(response) => {
                let mut feed = response.into_inner();
                let first = feed.message().await.unwrap().unwrap().event;
                assert!(matches!(first, Some(Event::Started(_))), "{first:?}");
                return feed;
            }
            Err(status) if Instant::now() < deadline => {
                assert_eq!(status.code(), Code::Unavailable, "{status:?}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(status) => panic!("no feed: {status:?}"),
        }
    }
}

/// The next revocation on `feed`. (How soon is for the tests of the
/// services that use it; this one may share the machine with them.)
async fn next(feed: &mut tonic::Streaming<pb::WatchRevocationsResponse>) -> pb::Revocation {
    let message = tokio::time::timeout(Duration::from_secs(10), feed.message())
        .await
        .expect("a revocation")
        .unwrap()
        .unwrap();
    match message.event {
        Some(Event::Revocation(revocation)) => revocation,
        other => panic!("not a revocation: {other:?}"),
    }
}

#[tokio::test]
async fn the_revocation_feed_names_what_any_replica_revokes() {
    let first = TestApp::spawn().await;
    let second = first.replica().await;
    let mut feed = feed(&second).await;
    let (user, tokens) = first.user(&email("fed")).await;
    let (_, admin) = first.admin(&email("fed-admin")).await;
    let validated = first.validate(&tokens.access_token).await.unwrap();

    first
        .client()
        .logout(authed(&tokens.access_token, pb::LogoutRequest {}))
        .await
        .unwrap();
    let token = next(&mut feed).await;
    assert_eq!(token.scope, Some(Scope::TokenId(validated.token_id)));
    assert_eq!(token.revoke_time, None);
    let session = next(&mut feed).await;
    assert_eq!(session.scope, Some(Scope::SessionId(validated.session_id)));

    let revoked = first
        .client()
        .revoke_user_tokens(authed(
            &admin.access_token,
            pb::RevokeUserTokensRequest {
                user_id: user.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let of_user = next(&mut feed).await;
    assert_eq!(of_user.scope, Some(Scope::UserId(user.id)));
    assert_eq!(of_user.revoke_time, revoked.revoke_time);

    let revoked = first
        .client()
        .revoke_all_tokens(authed(&admin.access_token, pb::RevokeAllTokensRequest {}))
        .await
        .unwrap()
        .into_inner();
    let everyone = next(&mut feed).await;
    assert_eq!(everyone.scope, Some(Scope::Everyone(true)));
    assert_eq!(everyone.revoke_time, revoked.revoke_time);
}

#[tokio::test]
async fn the_revocation_feed_ends_unavailable_on_shutdown() {
    let mut app = TestApp::spawn().await;
    let mut feed = feed(&app).await;
    let stopping = Instant::now();
    app.server.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "the feed held the drain open for {:?}",
        stopping.elapsed()
    );
    assert_error(feed.message().await, Code::Unavailable, "SHUTTING_DOWN");
}

#[tokio::test]
async fn revocations_committed_together_all_reach_the_other_replica() {
    let first = TestApp::spawn().await;
    let second = first.replica().await;
    let mut tokens = Vec::new();
    for n in 0..10 {
        tokens.push(first.user(&email(&format!("together{n}"))).await.1);
    }
    // At once, so their transactions overlap and could commit out of order.
    let logouts = tokens.iter().map(|pair| {
        let mut client = first.client();
        async move {
            client
                .logout(authed(&pair.access_token, pb::LogoutRequest {}))
                .await
        }
    });
    for logout in futures_util::future::join_all(logouts).await {
        logout.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    for pair in &tokens {
        while second.validate(&pair.access_token).await.is_ok() {
            assert!(Instant::now() < deadline, "a revocation never arrived");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

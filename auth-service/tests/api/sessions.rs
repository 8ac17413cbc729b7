use std::time::Duration;

use completionist_proto::auth as pb;
use tonic::Code;

use crate::helpers::{TestApp, assert_error, authed, email, violated_fields};

#[tokio::test]
async fn refresh_rotates_the_token_pair() {
    let app = TestApp::spawn().await;
    let (user, first) = app.user(&email("rotate")).await;

    let second = app.refresh(&first.refresh_token).await.unwrap();

    assert_ne!(second.refresh_token, first.refresh_token);
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(
        app.validate(&second.access_token).await.unwrap().user_id,
        user.id
    );
    let third = app.refresh(&second.refresh_token).await.unwrap();
    assert!(app.validate(&third.access_token).await.is_ok());
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_session() {
    let app = TestApp::spawn_with(|c| c.jwt.refresh_reuse_interval = Duration::ZERO).await;
    let address = email("reuse");
    let (_, first) = app.user(&address).await;
    let other_session = app.login(&address).await;
    let second = app.refresh(&first.refresh_token).await.unwrap();

    assert_error(
        app.refresh(&first.refresh_token).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_REUSED",
    );

    assert_error(
        app.refresh(&second.refresh_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    assert_error(
        app.validate(&second.access_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    assert_error(
        app.validate(&first.access_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    // Another session of the same user is not touched.
    assert!(app.validate(&other_session.access_token).await.is_ok());
    assert!(app.refresh(&other_session.refresh_token).await.is_ok());
}

#[tokio::test]
async fn refresh_refuses_unknown_and_empty_tokens() {
    let app = TestApp::spawn().await;
    assert_error(
        app.refresh("made-up").await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_INVALID",
    );
    let status = assert_error(
        app.refresh("").await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["refresh_token"]);
}

#[tokio::test]
async fn a_rotated_token_presented_again_at_once_gets_the_same_successor() {
    let app = TestApp::spawn().await;
    let (_, first) = app.user(&email("tabs")).await;
    let second = app.refresh(&first.refresh_token).await.unwrap();
    // A second tab with the same token, a moment later.
    let again = app.refresh(&first.refresh_token).await.unwrap();
    assert_eq!(again.refresh_token, second.refresh_token);
    assert!(app.validate(&again.access_token).await.is_ok());
    assert!(app.validate(&second.access_token).await.is_ok());
    // The session goes on; once its successor is used, the old token is
    // a reuse again, and ends it.
    let third = app.refresh(&second.refresh_token).await.unwrap();
    assert_error(
        app.refresh(&first.refresh_token).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_REUSED",
    );
    assert_error(
        app.refresh(&third.refresh_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
}

#[tokio::test]
async fn a_rotated_token_past_the_reuse_interval_ends_the_session() {
    let app = TestApp::spawn_with(|c| c.jwt.refresh_reuse_interval = Duration::from_secs(1)).await;
    let (_, first) = app.user(&email("late")).await;
    let second = app.refresh(&first.refresh_token).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_error(
        app.refresh(&first.refresh_token).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_REUSED",
    );
    assert_error(
        app.refresh(&second.refresh_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_all_get_one_successor() {
    let app = TestApp::spawn().await;
    let (_, tokens) = app.user(&email("race")).await;
    let results = refresh_at_once(&app, &tokens.refresh_token).await;
    let successors: std::collections::HashSet<_> = results
        .into_iter()
        .map(|r| r.unwrap().into_inner().tokens.unwrap().refresh_token)
        .collect();
    assert_eq!(successors.len(), 1, "{successors:?}");
    let successor = successors.into_iter().next().unwrap();
    assert!(app.refresh(&successor).await.is_ok());
}

async fn refresh_at_once(
    app: &TestApp,
    token: &str,
) -> Vec<Result<tonic::Response<pb::RefreshResponse>, tonic::Status>> {
    let attempts = (0..8).map(|_| {
        let mut client = app.client();
        let token = token.to_owned();
        tokio::spawn(async move {
            client
                .refresh(pb::RefreshRequest {
                    refresh_token: token,
                })
                .await
        })
    });
    futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|joined| joined.unwrap())
        .collect()
}

#[tokio::test]
async fn without_a_reuse_interval_concurrent_refreshes_let_exactly_one_win() {
    let app = TestApp::spawn_with(|c| c.jwt.refresh_reuse_interval = Duration::ZERO).await;
    let (_, tokens) = app.user(&email("race")).await;
    let results = refresh_at_once(&app, &tokens.refresh_token).await;

    let winners = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(winners, 1, "{results:?}");
    for loser in results.into_iter().filter(Result::is_err) {
        assert_eq!(loser.unwrap_err().code(), Code::Unauthenticated);
    }
}

#[tokio::test]
async fn short_lived_tokens_expire() {
    // Long enough that the first validation lands inside it on a loaded
    // machine.
    let app = TestApp::spawn_with(|c| {
        c.jwt.access_ttl = Duration::from_secs(3);
        c.jwt.refresh_ttl = Duration::from_secs(3);
    })
    .await;
    let (_, tokens) = app.user(&email("expiry")).await;
    assert!(app.validate(&tokens.access_token).await.is_ok());

    tokio::time::sleep(Duration::from_millis(4100)).await;

    assert_error(
        app.validate(&tokens.access_token).await,
        Code::Unauthenticated,
        "TOKEN_EXPIRED",
    );
    assert_error(
        app.refresh(&tokens.refresh_token).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_EXPIRED",
    );
}

#[tokio::test]
async fn validate_token_refuses_garbage_and_empty_tokens() {
    let app = TestApp::spawn().await;
    assert_error(
        app.validate("a.b.c").await,
        Code::Unauthenticated,
        "TOKEN_INVALID",
    );
    let status = assert_error(
        app.validate("").await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["access_token"]);
}

#[tokio::test]
async fn logout_revokes_the_access_token_and_its_session() {
    let app = TestApp::spawn().await;
    let address = email("logout");
    let (_, tokens) = app.user(&address).await;
    let other = app.login(&address).await;

    app.client()
        .logout(authed(&tokens.access_token, pb::LogoutRequest {}))
        .await
        .unwrap();

    assert_error(
        app.validate(&tokens.access_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    assert_error(
        app.current_user(&tokens.access_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    assert_error(
        app.refresh(&tokens.refresh_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    assert!(app.validate(&other.access_token).await.is_ok());
    assert_error(
        app.client().logout(pb::LogoutRequest {}).await,
        Code::Unauthenticated,
        "MISSING_TOKEN",
    );
}

//! Revocations racing the calls that issue tokens: whatever a rotation or
//! a login answers while a revocation commits, no token it hands out
//! outlives the revocation.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use completionist_proto::auth::{self as pb, auth_service_client::AuthServiceClient};
use tokio::task::JoinHandle;
use tonic::{Code, transport::Channel};

use crate::helpers::{PASSWORD, TestApp, authed, email};

/// Refreshes `pair` over and over, each time with the token the last call
/// answered, until a refresh is refused or `stop` is set; answers the last
/// pair it was given.
fn refresh_chain(
    mut client: AuthServiceClient<Channel>,
    mut pair: pb::TokenPair,
    refreshed: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> JoinHandle<pb::TokenPair> {
    tokio::spawn(async move {
        while !stop.load(Ordering::SeqCst) {
            let request = pb::RefreshRequest {
                refresh_token: pair.refresh_token.clone(),
            };
            match client.refresh(request).await {
                Ok(response) => pair = response.into_inner().tokens.unwrap(),
                Err(_) => break,
            }
            refreshed.fetch_add(1, Ordering::SeqCst);
        }
        pair
    })
}

/// Waits until `chains` have refreshed `count` times in all, or all ended.
async fn until_refreshed(
    chains: &[JoinHandle<pb::TokenPair>],
    refreshed: &AtomicUsize,
    count: usize,
) {
    while refreshed.load(Ordering::SeqCst) < count && !chains.iter().all(JoinHandle::is_finished) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Neither the refresh token nor the access token of `pair` works.
async fn assert_dead(app: &TestApp, pair: &pb::TokenPair) {
    let refreshed = app.refresh(&pair.refresh_token).await;
    assert!(
        refreshed.is_err(),
        "a refresh token outlived the revocation"
    );
    let validated = app.validate(&pair.access_token).await;
    assert_eq!(
        validated.map_err(|s| s.code()).err(),
        Some(Code::Unauthenticated),
        "an access token outlived the revocation"
    );
}

#[tokio::test]
async fn sessions_refreshing_during_a_revocation_do_not_outlive_it() {
    let app = TestApp::spawn().await;
    let address = email("refreshing");
    let (_, first) = app.user(&address).await;
    let mut sessions = vec![first.clone()];
    for _ in 0..5 {
        sessions.push(app.login(&address).await);
    }
    let refreshed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let chains: Vec<_> = sessions
        .into_iter()
        .map(|pair| refresh_chain(app.client(), pair, refreshed.clone(), stop.clone()))
        .collect();
    until_refreshed(&chains, &refreshed, 30).await;

    app.client()
        .revoke_user_tokens(authed(
            &first.access_token,
            pb::RevokeUserTokensRequest::default(),
        ))
        .await
        .unwrap();
    until_refreshed(&chains, &refreshed, refreshed.load(Ordering::SeqCst) + 12).await;
    stop.store(true, Ordering::SeqCst);

    for chain in chains {
        assert_dead(&app, &chain.await.unwrap()).await;
    }
}

#[tokio::test]
async fn a_session_refreshing_during_its_logout_does_not_outlive_it() {
    let app = TestApp::spawn().await;
    let (_, pair) = app.user(&email("leaving")).await;
    let refreshed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let chains = [refresh_chain(
        app.client(),
        pair.clone(),
        refreshed.clone(),
        stop.clone(),
    )];
    until_refreshed(&chains, &refreshed, 10).await;

    app.client()
        .logout(authed(&pair.access_token, pb::LogoutRequest {}))
        .await
        .unwrap();
    stop.store(true, Ordering::SeqCst);

    let [chain] = chains;
    assert_dead(&app, &chain.await.unwrap()).await;
}

#[tokio::test]
async fn logins_during_a_disable_answer_no_live_token() {
    let app = TestApp::spawn().await;
    let address = email("disabled-midway");
    let (user, _) = app.user(&address).await;
    let (_, admin) = app.admin(&email("disabling-admin")).await;
    // Fewer than the failed attempts allowed: each is checked.
    let logins: Vec<_> = (0..4)
        .map(|_| {
            let mut client = app.client();
            let address = address.clone();
            tokio::spawn(async move {
                client
                    .login(pb::LoginRequest {
                        email: address,
                        password: PASSWORD.into(),
                    })
                    .await
            })
        })
        .collect();

    app.client()
        .update_user(authed(
            &admin.access_token,
            pb::UpdateUserRequest {
                user: Some(pb::User {
                    id: user.id.clone(),
                    disabled: true,
                    ..Default::default()
                }),
                update_mask: crate::helpers::mask(&["disabled"]),
            },
        ))
        .await
        .unwrap();

    for login in logins {
        match login.await.unwrap() {
            Ok(response) => assert_dead(&app, &response.into_inner().tokens.unwrap()).await,
            Err(status) => assert_eq!(status.code(), Code::PermissionDenied, "{status:?}"),
        }
    }
}

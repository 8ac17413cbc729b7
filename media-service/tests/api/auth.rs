use std::time::{Duration, Instant};

use completionist_proto::{auth as auth_pb, media as pb};
use tonic::{Code, Request};
use tonic_types::StatusExt;

use crate::helpers::{TestApp, assert_error, authed};

#[tokio::test]
async fn calls_need_a_valid_token() {
    let app = TestApp::spawn().await;

    assert_error(
        app.client()
            .get_list_stats(pb::GetListStatsRequest {})
            .await,
        Code::Unauthenticated,
        "MISSING_TOKEN",
    );
    assert_error(
        app.client()
            .get_list_stats(authed("not-a-token", pb::GetListStatsRequest {}))
            .await,
        Code::Unauthenticated,
        "TOKEN_INVALID",
    );
}

#[tokio::test]
async fn a_revoked_token_is_refused_within_a_second() {
    let app = TestApp::spawn().await;
    let tokens = app.login_pair().await;
    app.client()
        .get_list_stats(authed(&tokens.access_token, pb::GetListStatsRequest {}))
        .await
        .unwrap();

    app.auth_client()
        .logout(authed(&tokens.access_token, auth_pb::LogoutRequest {}))
        .await
        .unwrap();
    let revoked = Instant::now();

    loop {
        match app
            .client()
            .get_list_stats(authed(&tokens.access_token, pb::GetListStatsRequest {}))
            .await
        {
            Err(status) => {
                assert_eq!(status.code(), Code::Unauthenticated);
                assert_eq!(
                    status.get_details_error_info().unwrap().reason,
                    "TOKEN_REVOKED"
                );
                break;
            }
            Ok(_) => {
                assert!(
                    revoked.elapsed() < Duration::from_secs(1),
                    "still accepted after a second"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test]
async fn auth_service_down_means_unavailable_never_let_through() {
    let mut app = TestApp::spawn().await;
    let token = app.user().await;

    app.auth.stop().await;
    // Past the one-second cache of the earlier positive answer.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let status = assert_error(
        app.client()
            .get_list_stats(authed(&token, pb::GetListStatsRequest {}))
            .await,
        Code::Unavailable,
        "AUTH_UNAVAILABLE",
    );
    assert!(status.get_details_retry_info().is_some());
}

#[tokio::test]
async fn the_request_id_travels_to_auth_service_and_back() {
    let app = TestApp::spawn().await;
    let mut request = Request::new(pb::GetListStatsRequest {});
    request
        .metadata_mut()
        .insert("authorization", "Bearer garbage".parse().unwrap());
    request
        .metadata_mut()
        .insert("x-request-id", "trace-me-42".parse().unwrap());

    let status = app.client().get_list_stats(request).await.unwrap_err();

    assert_eq!(
        status.metadata().get("x-request-id").unwrap(),
        "trace-me-42"
    );
    assert_eq!(
        status.get_details_request_info().unwrap().request_id,
        "trace-me-42"
    );
}

#[tokio::test]
async fn every_method_needs_a_token() {
    let app = TestApp::spawn().await;
    test_support::assert_every_method_needs_a_token(
        app.media.channel.clone(),
        completionist_proto::MEDIA_DESCRIPTOR_SET,
        media_service::SERVICE_NAME,
        &[],
        "media.completionist",
    )
    .await;
}

#[tokio::test]
async fn two_credentials_are_refused_on_both_services() {
    let app = TestApp::spawn().await;
    let (first, second) = (app.user().await, app.user().await);
    let twice = |message| {
        let mut request = authed(&first, message);
        let value = format!("Bearer {second}").parse().unwrap();
        request.metadata_mut().append("authorization", value);
        request
    };
    assert_error(
        app.client()
            .get_list_stats(twice(pb::GetListStatsRequest {}))
            .await,
        Code::Unauthenticated,
        "MULTIPLE_CREDENTIALS",
    );
    let mut request = authed(&first, auth_pb::GetCurrentUserRequest {});
    let value = format!("Bearer {second}").parse().unwrap();
    request.metadata_mut().append("authorization", value);
    test_support::assert_error(
        app.auth_client().get_current_user(request).await,
        Code::Unauthenticated,
        "MULTIPLE_CREDENTIALS",
        "auth.completionist",
    );
}

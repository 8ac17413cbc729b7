use std::time::{Duration, Instant};

use completionist_proto::auth as pb;
use tonic::Code;

use crate::helpers::{TestApp, assert_error, authed, email, violated_fields};

#[tokio::test]
async fn revoking_your_own_tokens_leaves_new_logins_working() {
    let app = TestApp::spawn().await;
    let address = email("self-revoke");
    let (_, tokens) = app.user(&address).await;

    let response = app
        .client()
        .revoke_user_tokens(authed(
            &tokens.access_token,
            pb::RevokeUserTokensRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(response.revoke_time.is_some());

    assert_error(
        app.validate(&tokens.access_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    assert_error(
        app.refresh(&tokens.refresh_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    let fresh = app.login(&address).await;
    assert!(app.validate(&fresh.access_token).await.is_ok());
}

#[tokio::test]
async fn only_admins_revoke_other_users_tokens() {
    let app = TestApp::spawn().await;
    let (victim, victim_tokens) = app.user(&email("victim")).await;
    let (_, user_tokens) = app.user(&email("mallory")).await;
    let (_, admin_tokens) = app.admin(&email("admin")).await;
    let target = pb::RevokeUserTokensRequest {
        user_id: victim.id.clone(),
    };

    assert_error(
        app.client()
            .revoke_user_tokens(authed(&user_tokens.access_token, target.clone()))
            .await,
        Code::PermissionDenied,
        "ADMIN_REQUIRED",
    );
    assert!(app.validate(&victim_tokens.access_token).await.is_ok());

    app.client()
        .revoke_user_tokens(authed(&admin_tokens.access_token, target))
        .await
        .unwrap();
    assert_error(
        app.validate(&victim_tokens.access_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    assert!(app.validate(&admin_tokens.access_token).await.is_ok());

    assert_error(
        app.client()
            .revoke_user_tokens(authed(
                &admin_tokens.access_token,
                pb::RevokeUserTokensRequest {
                    user_id: uuid::Uuid::new_v4().to_string(),
                },
            ))
            .await,
        Code::NotFound,
        "USER_NOT_FOUND",
    );
    let status = assert_error(
        app.client()
            .revoke_user_tokens(authed(
                &admin_tokens.access_token,
                pb::RevokeUserTokensRequest {
                    user_id: "nope".into(),
                },
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["user_id"]);
}

#[tokio::test]
async fn revoke_all_tokens_is_for_admins_and_revokes_everyone() {
    let app = TestApp::spawn().await;
    let (_, user_tokens) = app.user(&email("everyone")).await;
    let (_, admin_tokens) = app.admin(&email("root")).await;

    assert_error(
        app.client()
            .revoke_all_tokens(authed(
                &user_tokens.access_token,
                pb::RevokeAllTokensRequest {},
            ))
            .await,
        Code::PermissionDenied,
        "ADMIN_REQUIRED",
    );

    app.client()
        .revoke_all_tokens(authed(
            &admin_tokens.access_token,
            pb::RevokeAllTokensRequest {},
        ))
        .await
        .unwrap();

    for token in [&user_tokens.access_token, &admin_tokens.access_token] {
        assert_error(
            app.validate(token).await,
            Code::Unauthenticated,
            "TOKEN_REVOKED",
        );
    }
    assert_error(
        app.refresh(&user_tokens.refresh_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
}

#[tokio::test]
async fn cleanup_removes_expired_records_and_keeps_live_ones() {
    // Long enough that the first steps finish inside it on a loaded machine.
    let app = TestApp::spawn_with(|c| {
        c.jwt.access_ttl = Duration::from_secs(4);
        c.jwt.refresh_ttl = Duration::from_secs(4);
    })
    .await;
    let janitor = email("janitor");
    app.admin(&janitor).await;
    let (_, old) = app.user(&email("old")).await;
    app.client()
        .logout(authed(&old.access_token, pb::LogoutRequest {}))
        .await
        .unwrap();

    assert_error(
        app.client()
            .cleanup_revoked_tokens(authed(
                &old.access_token,
                pb::CleanupRevokedTokensRequest {},
            ))
            .await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    tokio::time::sleep(Duration::from_millis(5100)).await;
    let admin = app.login(&janitor).await;
    let (_, live) = app.user(&email("live")).await;
    app.client()
        .logout(authed(&live.access_token, pb::LogoutRequest {}))
        .await
        .unwrap();

    let deleted = app
        .client()
        .cleanup_revoked_tokens(authed(
            &admin.access_token,
            pb::CleanupRevokedTokensRequest {},
        ))
        .await
        .unwrap()
        .into_inner()
        .deleted_count;

    // The old logout's token and session records, plus expired refresh
    // tokens; the live logout's records stay and still refuse its token.
    assert!(deleted >= 2, "deleted {deleted}");
    assert_error(
        app.validate(&live.access_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );

    let (_, user) = app.user(&email("not-admin")).await;
    assert_error(
        app.client()
            .cleanup_revoked_tokens(authed(
                &user.access_token,
                pb::CleanupRevokedTokensRequest {},
            ))
            .await,
        Code::PermissionDenied,
        "ADMIN_REQUIRED",
    );
}

#[tokio::test]
async fn a_revocation_reaches_every_replica_within_a_second() {
    let first = TestApp::spawn().await;
    let second = first.replica().await;
    let (_, tokens) = first.user(&email("replicated")).await;
    assert!(second.validate(&tokens.access_token).await.is_ok());

    first
        .client()
        .logout(authed(&tokens.access_token, pb::LogoutRequest {}))
        .await
        .unwrap();
    let revoked_at = Instant::now();

    loop {
        match second.validate(&tokens.access_token).await {
            Err(status) => {
                assert_eq!(status.code(), Code::Unauthenticated);
                break;
            }
            Ok(_) => {
                assert!(
                    revoked_at.elapsed() < Duration::from_secs(1),
                    "replica still accepts the token"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

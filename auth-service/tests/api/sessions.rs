use std::time::{Duration, Instant};

use completionist_proto::auth as pb;
use tonic::Code;

use crate::helpers::{TestApp, assert_error, authed, email, violated_fields};

async fn refresh(app: &TestApp, token: &str) -> Result<pb::TokenPair, tonic::Status> {
    app.client()
        .refresh(pb::RefreshRequest {
            refresh_token: token.into(),
        })
        .await
        .map(|r| r.into_inner().tokens.expect("tokens"))
}

#[tokio::test]
async fn refresh_rotates_the_token_pair() {
    let app = TestApp::spawn().await;
    let (user, first) = app.user(&email("rotate")).await;

    let second = refresh(&app, &first.refresh_token).await.unwrap();

    assert_ne!(second.refresh_token, first.refresh_token);
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(
        app.validate(&second.access_token).await.unwrap().user_id,
        user.id
    );
    let third = refresh(&app, &second.refresh_token).await.unwrap();
    assert!(app.validate(&third.access_token).await.is_ok());
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_session() {
    let app = TestApp::spawn().await;
    let address = email("reuse");
    let (_, first) = app.user(&address).await;
    let other_session = app.login(&address).await;
    let second = refresh(&app, &first.refresh_token).await.unwrap();

    assert_error(
        refresh(&app, &first.refresh_token).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_REUSED",
    );

    assert_error(
        refresh(&app, &second.refresh_token).await,
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
    assert!(refresh(&app, &other_session.refresh_token).await.is_ok());
}

#[tokio::test]
async fn refresh_refuses_unknown_and_empty_tokens() {
    let app = TestApp::spawn().await;
    assert_error(
        refresh(&app, "made-up").await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_INVALID",
    );
    let status = assert_error(
        refresh(&app, "").await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["refresh_token"]);
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let (_, tokens) = app.user(&email("race")).await;

    let attempts = (0..8).map(|_| {
        let mut client = app.client();
        let token = tokens.refresh_token.clone();
        tokio::spawn(async move {
            client
                .refresh(pb::RefreshRequest {
                    refresh_token: token,
                })
                .await
        })
    });
    let results: Vec<_> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|joined| joined.unwrap())
        .collect();

    let winners = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(winners, 1, "{results:?}");
    for loser in results.into_iter().filter(Result::is_err) {
        assert_eq!(loser.unwrap_err().code(), Code::Unauthenticated);
    }
}

#[tokio::test]
async fn short_lived_tokens_expire() {
    let app = TestApp::spawn_with(|c| {
        c.jwt.access_ttl = Duration::from_secs(1);
        c.jwt.refresh_ttl = Duration::from_secs(1);
    })
    .await;
    let (_, tokens) = app.user(&email("expiry")).await;
    assert!(app.validate(&tokens.access_token).await.is_ok());

    tokio::time::sleep(Duration::from_millis(2100)).await;

    assert_error(
        app.validate(&tokens.access_token).await,
        Code::Unauthenticated,
        "TOKEN_EXPIRED",
    );
    assert_error(
        refresh(&app, &tokens.refresh_token).await,
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
        refresh(&app, &tokens.refresh_token).await,
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
        refresh(&app, &tokens.refresh_token).await,
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
        refresh(&app, &user_tokens.refresh_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
}

#[tokio::test]
async fn cleanup_removes_expired_records_and_keeps_live_ones() {
    let app = TestApp::spawn_with(|c| {
        c.jwt.access_ttl = Duration::from_secs(2);
        c.jwt.refresh_ttl = Duration::from_secs(2);
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
    tokio::time::sleep(Duration::from_millis(3100)).await;
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

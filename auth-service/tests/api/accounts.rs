use std::time::Duration;

use completionist_proto::auth as pb;
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{PASSWORD, TestApp, assert_error, authed, email, violated_fields};

#[tokio::test]
async fn register_normalizes_the_email_and_returns_the_user() {
    let app = TestApp::spawn().await;

    let user = app
        .client()
        .register(pb::RegisterRequest {
            email: "  Ada@Example.COM ".into(),
            password: PASSWORD.into(),
            display_name: " Ada Lovelace ".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();

    assert_eq!(user.email, "ada@example.com");
    assert_eq!(user.display_name, "Ada Lovelace");
    assert_eq!(user.role, pb::Role::User as i32);
    assert!(!user.disabled);
    assert!(uuid::Uuid::parse_str(&user.id).is_ok());
    assert!(user.create_time.is_some());
}

#[tokio::test]
async fn register_reports_every_invalid_field_at_once() {
    let app = TestApp::spawn().await;

    let result = app
        .client()
        .register(pb::RegisterRequest {
            email: "not an email".into(),
            password: "short".into(),
            display_name: String::new(),
        })
        .await;

    let status = assert_error(result, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(
        violated_fields(&status),
        ["email", "password", "display_name"]
    );
}

#[tokio::test]
async fn register_refuses_a_password_equal_to_the_email() {
    let app = TestApp::spawn().await;
    let result = app
        .client()
        .register(pb::RegisterRequest {
            email: "long.enough@example.com".into(),
            password: "Long.Enough@example.com".into(),
            display_name: "x".into(),
        })
        .await;
    let status = assert_error(result, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["password"]);
}

#[tokio::test]
async fn register_refuses_a_taken_email_in_any_case() {
    let app = TestApp::spawn().await;
    app.register("taken@example.com").await;

    let result = app
        .client()
        .register(pb::RegisterRequest {
            email: "TAKEN@example.com".into(),
            password: PASSWORD.into(),
            display_name: "Again".into(),
        })
        .await;

    assert_error(result, Code::AlreadyExists, "EMAIL_TAKEN");
}

#[tokio::test]
async fn login_issues_tokens_that_validate() {
    let app = TestApp::spawn().await;
    let user = app.register("login@example.com").await;

    let response = app.try_login(" LOGIN@example.com", PASSWORD).await.unwrap();

    assert_eq!(response.user.unwrap().id, user.id);
    let tokens = response.tokens.unwrap();
    assert_eq!(tokens.token_type, "Bearer");
    assert!(!tokens.refresh_token.is_empty());
    let validated = app.validate(&tokens.access_token).await.unwrap();
    assert_eq!(validated.user_id, user.id);
    assert_eq!(validated.role, pb::Role::User as i32);
    assert!(!validated.token_id.is_empty());
    assert!(!validated.session_id.is_empty());
    let expires = validated.expire_time.unwrap().seconds;
    let now = chrono::Utc::now().timestamp();
    assert!(
        (now + 890..=now + 900).contains(&expires),
        "15 minutes by default"
    );
}

#[tokio::test]
async fn unknown_email_and_wrong_password_look_the_same() {
    let app = TestApp::spawn().await;
    app.register("known@example.com").await;

    let wrong = assert_error(
        app.try_login("known@example.com", "wrong password").await,
        Code::Unauthenticated,
        "INVALID_CREDENTIALS",
    );
    let unknown = assert_error(
        app.try_login("nobody@example.com", PASSWORD).await,
        Code::Unauthenticated,
        "INVALID_CREDENTIALS",
    );
    assert_eq!(wrong.message(), unknown.message());
}

#[tokio::test]
async fn login_needs_both_fields() {
    let app = TestApp::spawn().await;
    let status = assert_error(
        app.try_login("", "").await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["email", "password"]);
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_a_retry_delay() {
    let app = TestApp::spawn_with(|c| {
        c.login.max_failures = 3;
        c.login.lockout = Duration::from_secs(60);
    })
    .await;
    app.register("victim@example.com").await;

    for _ in 0..3 {
        assert_error(
            app.try_login("victim@example.com", "wrong password").await,
            Code::Unauthenticated,
            "INVALID_CREDENTIALS",
        );
    }
    // Locked now: even the right password waits.
    let status = assert_error(
        app.try_login("victim@example.com", PASSWORD).await,
        Code::ResourceExhausted,
        "TOO_MANY_ATTEMPTS",
    );
    let delay = status
        .get_details_retry_info()
        .unwrap()
        .retry_delay
        .unwrap();
    assert!(
        delay > Duration::from_secs(50) && delay <= Duration::from_secs(60),
        "{delay:?}"
    );

    // Unknown emails are throttled the same way.
    for _ in 0..3 {
        let _ = app.try_login("ghost@example.com", "whatever1").await;
    }
    assert_error(
        app.try_login("ghost@example.com", "whatever1").await,
        Code::ResourceExhausted,
        "TOO_MANY_ATTEMPTS",
    );
}

#[tokio::test]
async fn guesses_sent_at_once_get_no_more_checks_than_the_allowance() {
    let app = TestApp::spawn_with(|c| {
        c.login.max_failures = 3;
        c.login.lockout = Duration::from_secs(60);
    })
    .await;
    app.register("rushed@example.com").await;
    let guesses: Vec<_> = (0..20)
        .map(|n| {
            let mut client = app.client();
            tokio::spawn(async move {
                client
                    .login(pb::LoginRequest {
                        email: "rushed@example.com".into(),
                        password: format!("guess number {n}"),
                    })
                    .await
                    .map(drop)
            })
        })
        .collect();
    let mut checked = 0;
    for guess in guesses {
        let status = guess.await.unwrap().unwrap_err();
        match status.code() {
            Code::Unauthenticated => checked += 1,
            code => assert_eq!(code, Code::ResourceExhausted, "{status:?}"),
        }
    }
    assert_eq!(checked, 3, "guesses checked");
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = TestApp::spawn_with(|c| c.login.max_failures = 2).await;
    app.register("forgetful@example.com").await;

    let _ = app
        .try_login("forgetful@example.com", "wrong password")
        .await;
    app.login("forgetful@example.com").await;
    let _ = app
        .try_login("forgetful@example.com", "wrong password")
        .await;

    app.login("forgetful@example.com").await;
}

#[tokio::test]
async fn get_current_user_needs_a_token() {
    let app = TestApp::spawn().await;
    let (user, tokens) = app.user(&email("me")).await;

    assert_eq!(
        app.current_user(&tokens.access_token).await.unwrap().id,
        user.id
    );

    assert_error(
        app.client()
            .get_current_user(pb::GetCurrentUserRequest {})
            .await,
        Code::Unauthenticated,
        "MISSING_TOKEN",
    );
    assert_error(
        app.current_user("not.a.jwt").await,
        Code::Unauthenticated,
        "TOKEN_INVALID",
    );
}

async fn change_password(
    app: &TestApp,
    token: &str,
    current: &str,
    new: &str,
) -> Result<pb::ChangePasswordResponse, tonic::Status> {
    app.client()
        .change_password(authed(
            token,
            pb::ChangePasswordRequest {
                current_password: current.into(),
                new_password: new.into(),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn change_password_checks_the_current_one_and_revokes_old_sessions() {
    let app = TestApp::spawn().await;
    let address = email("changer");
    let (_, first) = app.user(&address).await;
    let second = app.login(&address).await;

    assert_error(
        change_password(
            &app,
            &first.access_token,
            "not my password",
            "a brand new secret",
        )
        .await,
        Code::PermissionDenied,
        "WRONG_PASSWORD",
    );
    let weak = assert_error(
        change_password(&app, &first.access_token, PASSWORD, "short").await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&weak), ["new_password"]);

    let fresh = change_password(&app, &first.access_token, PASSWORD, "a brand new secret")
        .await
        .unwrap()
        .tokens
        .unwrap();

    assert!(app.current_user(&fresh.access_token).await.is_ok());
    for old in [&first.access_token, &second.access_token] {
        assert_error(
            app.validate(old).await,
            Code::Unauthenticated,
            "TOKEN_REVOKED",
        );
    }
    assert_error(
        app.refresh(&second.refresh_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    assert_error(
        app.try_login(&address, PASSWORD).await,
        Code::Unauthenticated,
        "INVALID_CREDENTIALS",
    );
    assert!(app.try_login(&address, "a brand new secret").await.is_ok());
}

use std::collections::HashSet;

use completionist_proto::auth as pb;
use tonic::Code;

use crate::helpers::{TestApp, assert_error, authed, email, violated_fields};

#[tokio::test]
async fn list_users_pages_through_everyone_once() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin(&email("lister")).await;
    for i in 0..6 {
        app.register(&email(&format!("member{i}"))).await;
    }

    let mut seen = HashSet::new();
    let mut page_token = String::new();
    let mut pages = 0;
    loop {
        let page = app
            .client()
            .list_users(authed(
                &admin.access_token,
                pb::ListUsersRequest {
                    page_size: 3,
                    page_token: page_token.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(page.users.len() <= 3);
        for user in page.users {
            assert!(seen.insert(user.id), "a user appeared twice");
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn list_users_checks_its_arguments_and_the_role() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin(&email("checker")).await;
    let (_, user) = app.user(&email("plain")).await;

    let bad_size = assert_error(
        app.client()
            .list_users(authed(
                &admin.access_token,
                pb::ListUsersRequest {
                    page_size: 1000,
                    page_token: String::new(),
                },
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&bad_size), ["page_size"]);
    let bad_token = assert_error(
        app.client()
            .list_users(authed(
                &admin.access_token,
                pb::ListUsersRequest {
                    page_size: 0,
                    page_token: "garbage!".into(),
                },
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&bad_token), ["page_token"]);
    assert_error(
        app.client()
            .list_users(authed(&user.access_token, pb::ListUsersRequest::default()))
            .await,
        Code::PermissionDenied,
        "ADMIN_REQUIRED",
    );
}

#[tokio::test]
async fn get_user_is_for_admins() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin(&email("getter")).await;
    let (user, user_tokens) = app.user(&email("gotten")).await;

    let fetched = app
        .client()
        .get_user(authed(
            &admin.access_token,
            pb::GetUserRequest {
                user_id: user.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert_eq!(fetched, user);

    assert_error(
        app.client()
            .get_user(authed(
                &user_tokens.access_token,
                pb::GetUserRequest { user_id: user.id },
            ))
            .await,
        Code::PermissionDenied,
        "ADMIN_REQUIRED",
    );
    assert_error(
        app.client()
            .get_user(authed(
                &admin.access_token,
                pb::GetUserRequest {
                    user_id: uuid::Uuid::new_v4().to_string(),
                },
            ))
            .await,
        Code::NotFound,
        "USER_NOT_FOUND",
    );
}

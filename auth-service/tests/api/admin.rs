use std::collections::HashSet;

use completionist_proto::auth as pb;
use prost_types::FieldMask;
use tonic::Code;

use crate::helpers::{PASSWORD, TestApp, assert_error, authed, email, violated_fields};

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

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

#[tokio::test]
async fn update_user_changes_masked_fields_and_revokes_on_role_change() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin(&email("updater")).await;
    let (user, user_tokens) = app.user(&email("updated")).await;

    let renamed = app
        .client()
        .update_user(authed(
            &admin.access_token,
            pb::UpdateUserRequest {
                user: Some(pb::User {
                    id: user.id.clone(),
                    display_name: "Renamed".into(),
                    role: pb::Role::Admin as i32,
                    ..Default::default()
                }),
                update_mask: mask(&["display_name"]),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert_eq!(renamed.display_name, "Renamed");
    assert_eq!(
        renamed.role,
        pb::Role::User as i32,
        "role was not in the mask"
    );
    assert!(
        app.validate(&user_tokens.access_token).await.is_ok(),
        "renaming revokes nothing"
    );

    let promoted = app
        .client()
        .update_user(authed(
            &admin.access_token,
            pb::UpdateUserRequest {
                user: Some(pb::User {
                    id: user.id.clone(),
                    role: pb::Role::Admin as i32,
                    ..Default::default()
                }),
                update_mask: mask(&["role"]),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert_eq!(promoted.role, pb::Role::Admin as i32);
    assert_error(
        app.validate(&user_tokens.access_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    let relogged = app.login(&user.email).await;
    assert_eq!(
        app.validate(&relogged.access_token).await.unwrap().role,
        pb::Role::Admin as i32
    );
}

#[tokio::test]
async fn disabling_a_user_revokes_its_tokens_and_blocks_login() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin(&email("disabler")).await;
    let (user, tokens) = app.user(&email("disabled")).await;

    app.client()
        .update_user(authed(
            &admin.access_token,
            pb::UpdateUserRequest {
                user: Some(pb::User {
                    id: user.id.clone(),
                    disabled: true,
                    ..Default::default()
                }),
                update_mask: mask(&["disabled"]),
            },
        ))
        .await
        .unwrap();

    assert_error(
        app.validate(&tokens.access_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    assert_error(
        app.try_login(&user.email, PASSWORD).await,
        Code::PermissionDenied,
        "ACCOUNT_DISABLED",
    );
}

#[tokio::test]
async fn update_user_reports_bad_masks_and_refuses_self_demotion() {
    let app = TestApp::spawn().await;
    let (admin_user, admin) = app.admin(&email("self")).await;

    let status = assert_error(
        app.client()
            .update_user(authed(
                &admin.access_token,
                pb::UpdateUserRequest {
                    user: Some(pb::User {
                        id: "bad".into(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["email"]),
                },
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["user.id", "update_mask"]);

    assert_error(
        app.client()
            .update_user(authed(
                &admin.access_token,
                pb::UpdateUserRequest {
                    user: Some(pb::User {
                        id: admin_user.id.clone(),
                        role: pb::Role::User as i32,
                        ..Default::default()
                    }),
                    update_mask: mask(&["role"]),
                },
            ))
            .await,
        Code::FailedPrecondition,
        "CANNOT_MODIFY_SELF",
    );
    assert_error(
        app.client()
            .update_user(authed(
                &admin.access_token,
                pb::UpdateUserRequest {
                    user: Some(pb::User {
                        id: uuid::Uuid::new_v4().to_string(),
                        display_name: "Nobody".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await,
        Code::NotFound,
        "USER_NOT_FOUND",
    );
}

#[tokio::test]
async fn delete_user_removes_the_account_and_its_tokens() {
    let app = TestApp::spawn().await;
    let (admin_user, admin) = app.admin(&email("deleter")).await;
    let (user, tokens) = app.user(&email("deleted")).await;
    let (_, plain) = app.user(&email("bystander")).await;

    assert_error(
        app.client()
            .delete_user(authed(
                &plain.access_token,
                pb::DeleteUserRequest {
                    user_id: user.id.clone(),
                },
            ))
            .await,
        Code::PermissionDenied,
        "ADMIN_REQUIRED",
    );
    app.client()
        .delete_user(authed(
            &admin.access_token,
            pb::DeleteUserRequest {
                user_id: user.id.clone(),
            },
        ))
        .await
        .unwrap();

    assert_error(
        app.validate(&tokens.access_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
    assert_error(
        app.try_login(&user.email, PASSWORD).await,
        Code::Unauthenticated,
        "INVALID_CREDENTIALS",
    );
    assert_error(
        app.client()
            .delete_user(authed(
                &admin.access_token,
                pb::DeleteUserRequest { user_id: user.id },
            ))
            .await,
        Code::NotFound,
        "USER_NOT_FOUND",
    );
    assert_error(
        app.client()
            .delete_user(authed(
                &admin.access_token,
                pb::DeleteUserRequest {
                    user_id: admin_user.id,
                },
            ))
            .await,
        Code::FailedPrecondition,
        "CANNOT_MODIFY_SELF",
    );
}

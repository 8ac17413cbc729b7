use completionist_proto::auth as pb;
use tonic::Code;

use crate::helpers::{PASSWORD, TestApp, assert_error, authed, email, mask, violated_fields};

/// UpdateUser with `user` and a mask of `paths`; the updated user.
async fn update_user(
    app: &TestApp,
    token: &str,
    user: pb::User,
    paths: &[&str],
) -> Result<pb::User, tonic::Status> {
    app.client()
        .update_user(authed(
            token,
            pb::UpdateUserRequest {
                user: Some(user),
                update_mask: mask(paths),
            },
        ))
        .await
        .map(|r| r.into_inner().user.expect("user"))
}

#[tokio::test]
async fn update_user_changes_masked_fields_and_revokes_on_role_change() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin(&email("updater")).await;
    let (user, user_tokens) = app.user(&email("updated")).await;

    let renamed = update_user(
        &app,
        &admin.access_token,
        pb::User {
            id: user.id.clone(),
            display_name: "Renamed".into(),
            role: pb::Role::Admin as i32,
            ..Default::default()
        },
        &["display_name"],
    )
    .await
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

    let promoted = update_user(
        &app,
        &admin.access_token,
        pb::User {
            id: user.id.clone(),
            role: pb::Role::Admin as i32,
            ..Default::default()
        },
        &["role"],
    )
    .await
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

    update_user(
        &app,
        &admin.access_token,
        pb::User {
            id: user.id.clone(),
            disabled: true,
            ..Default::default()
        },
        &["disabled"],
    )
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
        update_user(
            &app,
            &admin.access_token,
            pb::User {
                id: "bad".into(),
                ..Default::default()
            },
            &["email"],
        )
        .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["user.id", "update_mask"]);

    assert_error(
        update_user(
            &app,
            &admin.access_token,
            pb::User {
                id: admin_user.id.clone(),
                role: pb::Role::User as i32,
                ..Default::default()
            },
            &["role"],
        )
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

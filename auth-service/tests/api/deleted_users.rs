//! Deleting an account tells other services, live (the revocation feed)
//! and afterwards (ListDeletedUsers), so they remove what they hold of it.

use std::time::Duration;

use completionist_proto::auth as pb;
use pb::watch_revocations_response::Event;
use tonic::Code;

use crate::{
    helpers::{TestApp, assert_error, authed, email, violated_fields},
    revocation_feed::feed,
};

async fn delete(app: &TestApp, admin: &str, user_id: &str) {
    app.client()
        .delete_user(authed(
            admin,
            pb::DeleteUserRequest {
                user_id: user_id.into(),
            },
        ))
        .await
        .unwrap();
}

async fn deleted_after(
    app: &TestApp,
    request: pb::ListDeletedUsersRequest,
) -> Result<pb::ListDeletedUsersResponse, tonic::Status> {
    app.tokens()
        .list_deleted_users(request)
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_deletion_is_on_the_feed_of_every_replica_and_its_tokens_are_refused() {
    let first = TestApp::spawn().await;
    let second = first.replica().await;
    let mut feed = feed(&second).await;
    let (user, tokens) = first.user(&email("gone")).await;
    let (_, admin) = first.admin(&email("gone-admin")).await;

    delete(&first, &admin.access_token, &user.id).await;
    let message = tokio::time::timeout(Duration::from_secs(10), feed.message())
        .await
        .expect("an event")
        .unwrap()
        .unwrap();
    let Some(Event::UserDeleted(deleted)) = message.event else {
        panic!("not a deletion: {message:?}");
    };
    assert_eq!(deleted.user_id, user.id);
    assert!(deleted.delete_time.is_some());
    assert_error(
        second.validate(&tokens.access_token).await,
        Code::Unauthenticated,
        "TOKEN_REVOKED",
    );
}

#[tokio::test]
async fn deleted_users_are_listed_in_order_after_a_sequence_and_by_page() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.admin(&email("lister")).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let (user, _) = app.user(&email(&format!("listed{n}"))).await;
        delete(&app, &admin.access_token, &user.id).await;
        ids.push(user.id);
    }

    let all = deleted_after(&app, pb::ListDeletedUsersRequest::default())
        .await
        .unwrap();
    let listed: Vec<_> = all
        .deleted_users
        .iter()
        .map(|d| d.user_id.clone())
        .collect();
    assert_eq!(listed, ids);
    assert!(all.next_page_token.is_empty());
    let first = all.deleted_users[0].sequence;
    assert!(
        all.deleted_users
            .windows(2)
            .all(|w| w[0].sequence < w[1].sequence)
    );

    // After the first one seen, a page of one at a time.
    let mut request = pb::ListDeletedUsersRequest {
        page_size: 1,
        page_token: String::new(),
        after_sequence: first,
    };
    let mut paged = Vec::new();
    loop {
        let page = deleted_after(&app, request.clone()).await.unwrap();
        paged.extend(page.deleted_users.into_iter().map(|d| d.user_id));
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    assert_eq!(paged, ids[1..]);
}

#[tokio::test]
async fn list_deleted_users_refuses_bad_paging() {
    let app = TestApp::spawn().await;
    let bad = deleted_after(
        &app,
        pb::ListDeletedUsersRequest {
            page_size: -1,
            page_token: String::new(),
            after_sequence: -5,
        },
    )
    .await;
    let status = assert_error(bad, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["page_size", "after_sequence"]);
    let forged = deleted_after(
        &app,
        pb::ListDeletedUsersRequest {
            page_token: "forged".into(),
            ..Default::default()
        },
    )
    .await;
    let status = assert_error(forged, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["page_token"]);
}

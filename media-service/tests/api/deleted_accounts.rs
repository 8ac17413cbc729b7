//! Deleting an account in auth-service removes what media-service holds of
//! it: at once while the revocation feed is up, and on catching up when
//! media-service missed it.

use std::time::{Duration, Instant};

use completionist_proto::{auth as auth_pb, media as pb};
use diesel::sql_query;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use pb::{ListStatus, MediaKind};
use test_support::Server;

use crate::helpers::{TestApp, authed};

/// A user with a custom item on their list (an entry, a change, a head).
async fn reader(app: &TestApp) -> (String, String) {
    let token = app.user().await;
    let item = app
        .custom_item(&token, MediaKind::Book, "Diary", Some(10))
        .await;
    app.add(&token, &item.id, ListStatus::InProgress, Some(7))
        .await;
    let me = app
        .auth_client()
        .get_current_user(authed(&token, auth_pb::GetCurrentUserRequest {}))
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    (token, me.id)
}

/// Rows anywhere in media-service that belong to `user`.
async fn rows_of(app: &TestApp, user: &str) -> i64 {
    app.media_db
        .count(&format!(
            "SELECT (SELECT count(*) FROM list_entries WHERE user_id = '{user}') \
                  + (SELECT count(*) FROM list_changes WHERE user_id = '{user}') \
                  + (SELECT count(*) FROM list_heads WHERE user_id = '{user}') \
                  + (SELECT count(*) FROM import_jobs WHERE user_id = '{user}') \
                  + (SELECT count(*) FROM media_items WHERE created_by = '{user}') AS count"
        ))
        .await
}

async fn delete(app: &TestApp, user: &str) {
    use test_support::accounts;
    let mut auth = app.auth_client();
    let email = accounts::register(&auth).await;
    assert!(
        auth_service::grant_admin(&app.auth_config, &email)
            .await
            .unwrap()
    );
    let admin = accounts::log_in(&auth, &email).await.access_token;
    auth.delete_user(authed(
        &admin,
        auth_pb::DeleteUserRequest {
            user_id: user.into(),
        },
    ))
    .await
    .unwrap();
}

async fn wait_until_removed(app: &TestApp, user: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while rows_of(app, user).await > 0 {
        assert!(Instant::now() < deadline, "the deleted user's data stayed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_deleted_users_list_is_removed_and_no_one_elses() {
    let app = TestApp::spawn().await;
    let (_, gone) = reader(&app).await;
    let (_, kept) = reader(&app).await;
    assert!(rows_of(&app, &gone).await >= 4);
    let before = rows_of(&app, &kept).await;

    delete(&app, &gone).await;
    wait_until_removed(&app, &gone).await;
    assert_eq!(rows_of(&app, &kept).await, before);
}

#[tokio::test]
async fn a_deletion_missed_while_media_service_was_down_is_caught_up() {
    let mut app = TestApp::spawn().await;
    let (_, gone) = reader(&app).await;
    app.media.stop().await;

    delete(&app, &gone).await;
    assert!(rows_of(&app, &gone).await > 0);
    let config = app.media_config.clone();
    app.media = Server::start(move |listener, shutdown| {
        media_service::run(listener, config, shutdown.wait())
    })
    .await;
    wait_until_removed(&app, &gone).await;
    assert_eq!(
        app.media_db
            .count("SELECT last_sequence AS count FROM deleted_users_handled")
            .await,
        1
    );
}

#[tokio::test]
async fn nothing_is_written_for_a_removed_account_again() {
    let app = TestApp::spawn().await;
    let (token, user) = reader(&app).await;
    // As the removal does, while a call of theirs is still under way (or
    // their token is still cached for a second).
    app.media_db
        .execute(&format!(
            "INSERT INTO removed_users (user_id) VALUES ('{user}')"
        ))
        .await;
    let late = app
        .client()
        .create_custom_media_item(authed(
            &token,
            pb::CreateCustomMediaItemRequest {
                kind: MediaKind::Movie as i32,
                title: "Late".into(),
                ..Default::default()
            },
        ))
        .await;
    crate::helpers::assert_error(late, tonic::Code::Unauthenticated, "ACCOUNT_DELETED");
}

/// A transaction on media-service's database, begun with `sql` and left
/// open: a write under way, as far as anyone else can tell.
async fn begun(app: &TestApp, sql: &str) -> AsyncPgConnection {
    use diesel_async::RunQueryDsl;
    let mut writer = AsyncPgConnection::establish(app.media_db.url())
        .await
        .unwrap();
    sql_query("BEGIN").execute(&mut writer).await.unwrap();
    sql_query(sql).execute(&mut writer).await.unwrap();
    writer
}

#[tokio::test]
async fn a_write_under_way_when_the_account_goes_is_removed_with_it() {
    use diesel_async::RunQueryDsl;

    let app = TestApp::spawn().await;
    let (_, user) = reader(&app).await;
    // A write for the account, begun and not yet committed.
    let mut writer = begun(
        &app,
        &format!(
            "INSERT INTO calendar_feeds (id, user_id, name, token_hash) \
             VALUES (gen_random_uuid(), '{user}', 'racing', '\\x01')"
        ),
    )
    .await;

    delete(&app, &user).await;
    // The removal waits for the write rather than deleting around it.
    let waiting = "SELECT count(*) AS count FROM pg_locks \
                   WHERE locktype = 'advisory' AND NOT granted \
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    let deadline = Instant::now() + Duration::from_secs(15);
    while app.media_db.count(waiting).await == 0 {
        assert!(Instant::now() < deadline, "the removal never waited");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(rows_of(&app, &user).await > 0);

    sql_query("COMMIT").execute(&mut writer).await.unwrap();
    wait_until_removed(&app, &user).await;
    let feeds = app
        .media_db
        .count(&format!(
            "SELECT count(*) AS count FROM calendar_feeds WHERE user_id = '{user}'"
        ))
        .await;
    assert_eq!(feeds, 0, "the write under way outlived the removal");
}

#[tokio::test]
async fn a_write_holding_rows_the_removal_deletes_is_refused_not_deadlocked() {
    use diesel_async::RunQueryDsl;

    let app = TestApp::spawn().await;
    let (_, user) = reader(&app).await;
    // A write that has locked the user's entry and not yet inserted.
    let mut writer = begun(
        &app,
        &format!("SELECT id FROM list_entries WHERE user_id = '{user}' FOR UPDATE"),
    )
    .await;

    delete(&app, &user).await;
    // The removal has refused the user's writes (committed) and goes on
    // to delete, waiting for the entry.
    let refused = format!("SELECT count(*) AS count FROM removed_users WHERE user_id = '{user}'");
    let deadline = Instant::now() + Duration::from_secs(15);
    while app.media_db.count(&refused).await == 0 {
        assert!(Instant::now() < deadline, "the removal never began");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let inserted = sql_query(format!(
        "INSERT INTO calendar_feeds (id, user_id, name, token_hash) \
         VALUES (gen_random_uuid(), '{user}', 'late', '\\x02')"
    ))
    .execute(&mut writer)
    .await;
    let error = inserted.expect_err("wrote for a removed account");
    assert!(
        error.to_string().contains("the account was deleted"),
        "{error}"
    );
    sql_query("ROLLBACK").execute(&mut writer).await.unwrap();
    wait_until_removed(&app, &user).await;
}

use std::process::Command;

use completionist_proto::media::{self as pb, media_service_client::MediaServiceClient};
use test_support::{ServingStatus, wait_for_health};
use tonic::{Code, transport::Channel};
use tonic_types::StatusExt;

use crate::helpers::{Options, TestApp, assert_error, authed};

#[tokio::test]
async fn health_and_reflection() {
    let app = TestApp::spawn().await;
    wait_for_health(
        &app.media.channel,
        media_service::SERVICE_NAME,
        ServingStatus::Serving,
    )
    .await;

    let names = test_support::reflection::list_services(app.media.channel.clone()).await;
    assert!(
        names.contains(&media_service::SERVICE_NAME.to_owned()),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("AuthService")),
        "{names:?}"
    );
}

#[test]
fn start_up_refuses_a_bad_configuration_naming_every_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_media-service"))
        .env_clear()
        .current_dir(std::env::temp_dir())
        .env("MEDIA_LISTEN_ADDR", "nowhere")
        .env("OMDB_BASE_URL", "gopher://old")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for variable in ["MEDIA_LISTEN_ADDR", "MEDIA_DATABASE_URL", "OMDB_BASE_URL"] {
        assert!(
            stderr.contains(variable),
            "{variable} not named in: {stderr}"
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn overload_is_shed_as_resource_exhausted_and_health_keeps_answering() {
    let app = TestApp::spawn_with(Options {
        max_connections: 1,
        ..Options::default()
    })
    .await;
    let token = app.user().await;
    let calls: Vec<_> = (0..64)
        .map(|_| {
            let mut client = app.client();
            let request = authed(&token, pb::GetListStatsRequest {});
            tokio::spawn(async move { client.get_list_stats(request).await })
        })
        .collect();
    let health = test_support::health(&app.media.channel, media_service::SERVICE_NAME).await;
    assert_eq!(health, ServingStatus::Serving, "health is never queued");
    let (mut served, mut shed) = (0, 0);
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => served += 1,
            Err(status) => {
                let status =
                    assert_error(Err::<(), _>(status), Code::ResourceExhausted, "OVERLOADED");
                assert!(status.get_details_retry_info().is_some(), "{status:?}");
                shed += 1;
            }
        }
    }
    assert!(
        served >= 9,
        "one running and eight waiting are served: {served}"
    );
    assert!(shed > 0, "64 calls at once on a pool of one: some are shed");
}

/// Each call's code, calling GetListEntry (or, for a `writer`,
/// UpdateListEntry) until `stop`.
async fn call_until(
    stop: &std::sync::atomic::AtomicBool,
    client: MediaServiceClient<Channel>,
    token: &str,
    entry: &pb::ListEntry,
    writer: bool,
) -> Vec<Code> {
    let mut codes = Vec::new();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let mut client = client.clone();
        let result = if writer {
            let mut entry = entry.clone();
            entry.notes = format!("{}", codes.len());
            let update = pb::UpdateListEntryRequest {
                list_entry: Some(entry),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["notes".into()],
                }),
                progress_increment: 0,
            };
            client
                .update_list_entry(authed(token, update))
                .await
                .map(drop)
        } else {
            let id = entry.id.clone();
            client
                .get_list_entry(authed(token, pb::GetListEntryRequest { id }))
                .await
                .map(drop)
        };
        codes.push(result.map_or_else(|status| status.code(), |()| Code::Ok));
    }
    codes
}

#[tokio::test]
async fn connections_the_database_ends_under_load_retry_reads_and_never_answer_internal() {
    let app = TestApp::spawn().await;
    let token = app.user().await;
    let item = app
        .custom_item(&token, pb::MediaKind::Book, "Dune", None)
        .await;
    let entry = app
        .add(&token, &item.id, pb::ListStatus::Planned, None)
        .await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Four readers and one writer, calling until told to stop. A read is
    // idempotent (retried on a fresh connection), a write is not
    // (UNAVAILABLE, for the client to retry).
    let callers: Vec<_> = (0..5)
        .map(|n| {
            let (client, token, entry, stop) =
                (app.client(), token.clone(), entry.clone(), stop.clone());
            tokio::spawn(
                async move { (n, call_until(&stop, client, &token, &entry, n == 0).await) },
            )
        })
        .collect();
    // As a restart of Postgres does: every backend of the service's
    // database is told "terminating connection due to administrator
    // command" (57P01), five times over.
    let mut ended = 0;
    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        ended += app
            .media_db
            .count(
                "SELECT count(pg_terminate_backend(pid)) AS count FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(ended >= 5, "connections were ended: {ended}");
    for caller in callers {
        let (n, codes) = caller.await.unwrap();
        assert!(codes.contains(&Code::Ok));
        let failed: Vec<Code> = codes.into_iter().filter(|c| *c != Code::Ok).collect();
        if n == 0 {
            assert!(
                failed.iter().all(|c| *c == Code::Unavailable),
                "writes: only UNAVAILABLE, which clients retry: {failed:?}"
            );
        } else {
            assert!(failed.is_empty(), "reads are retried: {failed:?}");
        }
    }
}

/// A deadlock Postgres breaks is the victim's ABORTED, to be tried again,
/// not INTERNAL.
#[tokio::test]
async fn a_broken_deadlock_is_aborted_not_internal() {
    use completionist_common::{db::DbError, error::ApiError};
    use diesel::sql_query;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

    let app = TestApp::spawn().await;
    let url = app.media_db.url().to_owned();
    let mut setup = AsyncPgConnection::establish(&url).await.unwrap();
    setup
        .batch_execute(
            "CREATE TABLE crossing (id int PRIMARY KEY); INSERT INTO crossing VALUES (1), (2)",
        )
        .await
        .unwrap();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let cross = |first: i32, second: i32| {
        let (url, barrier) = (url.clone(), barrier.clone());
        tokio::spawn(async move {
            let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
            sql_query("BEGIN").execute(&mut conn).await.unwrap();
            let lock = |id: i32| format!("SELECT id FROM crossing WHERE id = {id} FOR UPDATE");
            sql_query(lock(first)).execute(&mut conn).await.unwrap();
            barrier.wait().await;
            let crossed = sql_query(lock(second)).execute(&mut conn).await;
            let _ = sql_query("ROLLBACK").execute(&mut conn).await;
            crossed.err()
        })
    };
    let (one, two) = (cross(1, 2), cross(2, 1));
    let errors: Vec<_> = [one.await.unwrap(), two.await.unwrap()]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let error = DbError::from(errors.into_iter().next().unwrap());
    assert_eq!(error.code(), Code::Aborted, "{error:?}");
    assert_eq!(error.reason(), "TRANSACTION_CONFLICT");
    assert!(error.retry_after().is_some());
}

//! Every server stream (WatchListEntries, WatchImport, ExportList) is
//! bounded per user: one person holding hundreds of streams they never
//! read takes no one else's place, and their refusals touch no database;
//! and streams are counted apart from ordinary calls at the gateway.

use std::time::Duration;

use completionist_proto::media as pb;
use futures_util::future::join_all;
use pb::watch_list_entries_response::Event;
use tonic::{Code, Status, Streaming};
use tonic_types::StatusExt;

use test_support::authed;

use crate::{
    grpc::{stats_request, token},
    helpers::Stack,
    streams::{add_movie, next, reason, watch},
};

const HOARD: usize = 300;
const PATIENCE: Duration = Duration::from_secs(10);

/// Starts an import of one custom movie in our format; its job id. With no
/// workers, it stays queued.
async fn queued_import(stack: &Stack, token: &str) -> String {
    let file = serde_json::json!({
        "format": "completionist",
        "version": 1,
        "entries": [{
            "item": {"kind": "movie", "source": "custom", "title": "Jour de fête"},
            "status": "planned",
        }],
    });
    stack
        .media_client()
        .start_import(authed(
            token,
            pb::StartImportRequest {
                content: file.to_string().into_bytes().into(),
                file_name: "list.json".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .import_job
        .unwrap()
        .id
}

/// What the calls answered: the streams let in, and how many were refused
/// (each `RESOURCE_EXHAUSTED`: `TOO_MANY_STREAMS`, or `OVERLOADED` for a
/// burst past media-service's admission queue; nothing else).
fn sorted<T>(
    answers: Vec<Result<tonic::Response<Streaming<T>>, Status>>,
) -> (Vec<Streaming<T>>, usize) {
    let mut open = Vec::new();
    let mut refused = 0;
    for answer in answers {
        match answer {
            Ok(response) => open.push(response.into_inner()),
            Err(status) => {
                assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                let reason = status.get_details_error_info().unwrap().reason;
                assert!(
                    ["TOO_MANY_STREAMS", "OVERLOADED"].contains(&reason.as_str()),
                    "{status:?}"
                );
                refused += 1;
            }
        }
    }
    (open, refused)
}

/// `HOARD` calls of `open`, a few dozen at a time, sorted.
async fn hoard<T, F>(open: impl Fn() -> F) -> (Vec<Streaming<T>>, usize)
where
    F: Future<Output = Result<tonic::Response<Streaming<T>>, Status>>,
{
    let (mut open_streams, mut refused) = (Vec::new(), 0);
    for _ in 0..HOARD / 30 {
        let (streams, more) = sorted(join_all((0..30).map(|_| open())).await);
        open_streams.extend(streams);
        refused += more;
    }
    (open_streams, refused)
}

async fn first<T>(stream: &mut Streaming<T>) -> T {
    tokio::time::timeout(PATIENCE, stream.message())
        .await
        .expect("a message in time")
        .expect("no error")
        .expect("a message")
}

#[tokio::test]
async fn one_user_hoarding_unread_streams_of_every_kind_leaves_another_users_working() {
    let stack = Stack::spawn_configured(|_| {}, |m| m.imports.workers = 0).await;
    let (hoarder, other) = (token(&stack).await, token(&stack).await);
    let hoarded_job = queued_import(&stack, &hoarder).await;
    let other_job = queued_import(&stack, &other).await;
    let limits = {
        let config = media_service::Config::from_env(completionist_common::config::Env::from_vars(
            [("MEDIA_DATABASE_URL", "postgres://h/media")],
        ))
        .unwrap();
        config.watch
    };

    // Hundreds of each kind, none of them ever read (asked for a few
    // dozen at a time: a burst of hundreds of calls at once would test
    // admission, and starve the tests running beside this one).
    let lists = hoard(|| {
        let mut client = stack.media_client();
        let request = authed(&hoarder, pb::WatchListEntriesRequest::default());
        async move { client.watch_list_entries(request).await }
    })
    .await;
    let imports = hoard(|| {
        let mut client = stack.media_client();
        let request = authed(
            &hoarder,
            pb::WatchImportRequest {
                id: hoarded_job.clone(),
                after_row: 0,
            },
        );
        async move { client.watch_import(request).await }
    })
    .await;
    let exports = hoard(|| {
        let mut client = stack.media_client();
        let request = authed(&hoarder, pb::ExportListRequest::default());
        async move { client.export_list(request).await }
    })
    .await;
    assert_eq!(lists.0.len(), limits.list_streams.per_user);
    assert_eq!(imports.0.len(), limits.import_streams.per_user);
    // An export of a short list is written and done at once, freeing
    // its place: some more get in, never all.
    assert!(exports.1 > 0, "every export was let in");

    // The other user's streams of every kind work meanwhile.
    each_kind_works(&stack, &other, &other_job).await;
    drop((lists, imports, exports));
}

/// `token`'s list, import `job` and export each stream as they should.
async fn each_kind_works(stack: &Stack, token: &str, job: &str) {
    let mut list = stack
        .media_client()
        .watch_list_entries(authed(token, pb::WatchListEntriesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let started = first(&mut list).await;
    assert!(
        matches!(
            started.event,
            Some(pb::watch_list_entries_response::Event::Started(_))
        ),
        "{started:?}"
    );
    let mut watched = stack
        .media_client()
        .watch_import(authed(
            token,
            pb::WatchImportRequest {
                id: job.to_owned(),
                after_row: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let message = first(&mut watched).await;
    let Some(pb::watch_import_response::Event::ImportJob(watched_job)) = message.event else {
        panic!("{message:?}")
    };
    assert_eq!(watched_job.id, job);
    let mut export = stack
        .media_client()
        .export_list(authed(token, pb::ExportListRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let mut file = Vec::new();
    while let Some(chunk) = tokio::time::timeout(PATIENCE, export.message())
        .await
        .unwrap()
        .unwrap()
    {
        file.extend_from_slice(&chunk.data);
    }
    let file: serde_json::Value = serde_json::from_slice(&file).unwrap();
    assert_eq!(file["format"], "completionist");
}

#[tokio::test]
async fn a_watched_import_waiting_its_turn_sends_heartbeats_past_the_idle_timeout() {
    let stack = Stack::spawn_configured(
        |c| c.limits.stream_idle_timeout = Duration::from_secs(1),
        |m| {
            m.imports.workers = 0;
            m.watch.heartbeat = Duration::from_millis(200);
        },
    )
    .await;
    let token = token(&stack).await;
    let job = queued_import(&stack, &token).await;
    let mut watched = stack
        .media_client()
        .watch_import(authed(
            &token,
            pb::WatchImportRequest {
                id: job,
                after_row: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    first(&mut watched).await;
    let until = tokio::time::Instant::now() + Duration::from_millis(2500);
    while tokio::time::Instant::now() < until {
        let beat = first(&mut watched).await;
        assert!(
            matches!(
                beat.event,
                Some(pb::watch_import_response::Event::Heartbeat(_))
            ),
            "{beat:?}"
        );
    }
}

#[tokio::test]
async fn open_streams_never_lock_out_ordinary_calls() {
    let stack = Stack::spawn_with(|c| {
        c.limits.max_concurrent_streams = 2;
        c.limits.max_concurrent_requests = 2;
    })
    .await;
    let token = token(&stack).await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut stream = watch(&stack, &token).await.unwrap();
        next(&mut stream).await.unwrap();
        open.push(stream);
    }
    let refused = watch(&stack, &token).await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted);
    assert_eq!(reason(&refused), "TOO_MANY_STREAMS");
    assert_eq!(
        refused.get_details_error_info().unwrap().domain,
        "gateway.completionist"
    );
    for _ in 0..3 {
        stack
            .media_client()
            .get_list_stats(stats_request(&token))
            .await
            .unwrap();
    }
    // The streams still deliver.
    let id = add_movie(&stack, &token, "Trafic").await;
    for stream in &mut open {
        let change = next(stream).await.unwrap();
        let Some(Event::Change(change)) = change.event else {
            panic!("{change:?}")
        };
        assert_eq!(change.list_entry_id, id);
    }
}

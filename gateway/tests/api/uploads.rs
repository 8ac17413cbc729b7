//! Uploads through the gateway: the sender is known before the body is
//! read, each user sends one at a time among a few in all, and a body is
//! passed on as it arrives.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use serde_json::json;

use crate::{
    grpc::token,
    helpers::{ORIGIN, Stack},
};

const START_IMPORT: &str = "completionist.media.v1.MediaService/StartImport";
/// What a sender that never finishes gets to say before it stalls.
const SENT: usize = 64 * 1024;

/// How a client sends its call.
#[derive(Clone, Copy, Debug)]
enum Wire {
    /// Plain gRPC over HTTP/2, as services send it.
    Grpc,
    /// gRPC-Web over HTTP/1.1, as a browser sends it.
    GrpcWeb,
}

/// An upload whose frame header declares `declared` bytes, of which it
/// sends `SENT` and then nothing more, ever; the status it was answered
/// with (code and reason) and how long that took.
async fn stalled_upload(
    stack: &Stack,
    wire: Wire,
    token: Option<&str>,
    declared: u32,
) -> (String, String, Duration) {
    let mut head = vec![0u8];
    head.extend_from_slice(&declared.to_be_bytes());
    head.extend(std::iter::repeat_n(0u8, SENT));
    upload(stack, wire, token, head, true).await
}

/// An upload of `sent`, then nothing more, ever (`stall`) or the end.
async fn upload(
    stack: &Stack,
    wire: Wire,
    token: Option<&str>,
    sent: Vec<u8>,
    stall: bool,
) -> (String, String, Duration) {
    let client = match wire {
        Wire::Grpc => reqwest::Client::builder().http2_prior_knowledge(),
        Wire::GrpcWeb => reqwest::Client::builder().http1_only(),
    }
    .build()
    .unwrap();
    let sent = stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(sent)) });
    let body = if stall {
        sent.chain(stream::pending()).boxed()
    } else {
        sent.boxed()
    };
    let mut request = client
        .post(format!("{}/{START_IMPORT}", stack.url()))
        .body(reqwest::Body::wrap_stream(body));
    request = match wire {
        Wire::Grpc => request
            .header("content-type", "application/grpc")
            .header("te", "trailers"),
        Wire::GrpcWeb => request
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .header("origin", ORIGIN),
    };
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let started = tokio::time::Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(10), request.send())
        .await
        .unwrap_or_else(|_| panic!("no answer within 10 s over {wire:?}"))
        .unwrap();
    let took = started.elapsed();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let reason = header("grpc-status-details-bin");
    let reason = if reason.is_empty() {
        String::new()
    } else {
        use base64::Engine;
        use tonic_types::StatusExt;
        let details = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(reason.trim_end_matches('='))
            .unwrap();
        let status = tonic::Status::with_details(tonic::Code::Unknown, "", details.into());
        status
            .get_details_error_info()
            .map(|info| info.reason)
            .unwrap_or_default()
    };
    (header("grpc-status"), reason, took)
}

#[tokio::test]
async fn an_upload_without_a_good_token_is_refused_before_its_body_is_sent() {
    let stack = Stack::spawn().await;
    // The test process's first call pays for setting up its HTTP client.
    stalled_upload(&stack, Wire::Grpc, None, 1).await;
    for wire in [Wire::Grpc, Wire::GrpcWeb] {
        for token in [None, Some("not.a.token")] {
            let (status, reason, took) = stalled_upload(&stack, wire, token, 60_000_000).await;
            assert_eq!(status, "16", "{wire:?} {token:?}: {reason}");
            assert!(
                took < Duration::from_secs(1),
                "{wire:?} {token:?} answered after {took:?}"
            );
        }
    }
}

/// An upload of `token`'s that sends its frame header and then stalls,
/// for ever.
fn hold_upload(
    stack: &Stack,
    token: &str,
) -> tokio::task::JoinHandle<reqwest::Result<reqwest::Response>> {
    let url = stack.url();
    let token = token.to_owned();
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .http2_prior_knowledge()
            .build()
            .unwrap();
        let mut head = vec![0u8];
        head.extend_from_slice(&1_000_000u32.to_be_bytes());
        let body = stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(head)) })
            .chain(stream::pending());
        client
            .post(format!("{url}/{START_IMPORT}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .header("authorization", format!("Bearer {token}"))
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await
    })
}

#[tokio::test]
async fn media_service_gives_an_upload_its_place_before_reading_its_body() {
    let stack = Stack::spawn_configured(|_| {}, |m| m.imports.readers = 1).await;
    let (ada, bob) = (token(&stack).await, token(&stack).await);
    let held = hold_upload(&stack, &ada);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Ada's stalled upload holds the replica's one place to read in, so
    // Bob's finds none (after waiting a moment for it)...
    let (status, reason, _) = stalled_upload(&stack, Wire::Grpc, Some(&bob), 100).await;
    assert_eq!((status.as_str(), reason.as_str()), ("8", "IMPORTS_BUSY"));
    // ...until it has sent nothing for 5 s, and is ended.
    let ended = tokio::time::timeout(Duration::from_secs(10), held)
        .await
        .expect("the stalled upload was ended")
        .unwrap()
        .unwrap();
    let header = |name| ended.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("grpc-status"), "8");
    assert!(
        header("grpc-message").contains("sent%20nothing"),
        "{:?}",
        ended.headers()
    );
    let (status, reason, _) = stalled_upload(&stack, Wire::Grpc, Some(&bob), 100).await;
    assert_ne!(reason, "IMPORTS_BUSY", "{status}");
}

#[tokio::test]
async fn an_upload_ending_short_or_never_sending_its_header_is_refused_clearly() {
    let stack = Stack::spawn().await;
    let ada = token(&stack).await;
    let mut short = vec![0u8];
    short.extend_from_slice(&1000u32.to_be_bytes());
    short.extend([0u8; 100]);
    let (status, reason, _) = upload(&stack, Wire::Grpc, Some(&ada), short, false).await;
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("3", "UPLOAD_ENDED_SHORT")
    );
    let (status, reason, _) = upload(&stack, Wire::GrpcWeb, Some(&ada), vec![0, 0], false).await;
    assert_eq!((status.as_str(), reason.as_str()), ("3", "UNREADABLE_BODY"));
    let (status, reason, took) = upload(&stack, Wire::Grpc, Some(&ada), vec![0, 0], true).await;
    assert_eq!((status.as_str(), reason.as_str()), ("8", "UPLOAD_STALLED"));
    assert!(took < Duration::from_secs(8), "{took:?}");
}

#[tokio::test]
async fn one_upload_at_a_time_per_user_and_another_user_is_not_held_up() {
    let stack = Stack::spawn().await;
    let (ada, bob) = (token(&stack).await, token(&stack).await);
    let first = hold_upload(&stack, &ada);
    // Once it is under way, it holds her place.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!first.is_finished(), "the stalled upload was answered");
    let mut refused = None;
    for _ in 0..50 {
        let answer = stalled_upload(&stack, Wire::Grpc, Some(&ada), 100).await;
        if answer.0 == "8" {
            refused = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, reason, took) = refused.expect("a second upload of Ada's was let in");
    assert_eq!(reason, "UPLOADS_BUSY");
    assert!(took < Duration::from_secs(1), "{took:?}");

    // Bob's whole upload goes through meanwhile.
    let file = json!({"format": "completionist", "version": 1, "entries": []});
    let job = stack
        .media_client()
        .start_import({
            let mut request = tonic::Request::new(completionist_proto::media::StartImportRequest {
                content: file.to_string().into_bytes().into(),
                file_name: "list.json".into(),
                ..Default::default()
            });
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {bob}").parse().unwrap());
            request
        })
        .await
        .unwrap()
        .into_inner();
    assert!(job.import_job.is_some());
    first.abort();
}

#[tokio::test]
async fn an_upload_declaring_more_than_the_limit_is_refused_at_once() {
    let stack = Stack::spawn_with(|c| c.limits.max_upload_bytes = 1 << 20).await;
    let ada = token(&stack).await;
    for wire in [Wire::Grpc, Wire::GrpcWeb] {
        let (status, reason, took) = stalled_upload(&stack, wire, Some(&ada), 2 << 20).await;
        assert_eq!(
            (status.as_str(), reason.as_str()),
            ("8", "REQUEST_TOO_LARGE"),
            "{wire:?}"
        );
        assert!(took < Duration::from_secs(1), "{wire:?}: {took:?}");
    }
}

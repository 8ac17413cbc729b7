//! Compressed calls through the gateway, as a gRPC client in another
//! language sends them by default: gzip or zstd requests are taken, and
//! answers come compressed when asked for.

use completionist_proto::media::{self as pb, media_service_client::MediaServiceClient};
use test_support::authed;
use tonic::{Code, codec::CompressionEncoding, transport::Channel};
use tonic_types::StatusExt;

use crate::{
    grpc::{stats_request, token},
    helpers::Stack,
};

fn compressing(stack: &Stack, encoding: CompressionEncoding) -> MediaServiceClient<Channel> {
    stack
        .media_client()
        .send_compressed(encoding)
        .accept_compressed(encoding)
}

#[tokio::test]
async fn compressed_requests_are_taken_and_answers_compressed_on_request() {
    let stack = Stack::spawn().await;
    let token = token(&stack).await;
    for (encoding, name) in [
        (CompressionEncoding::Gzip, "gzip"),
        (CompressionEncoding::Zstd, "zstd"),
    ] {
        let response = compressing(&stack, encoding)
            .get_list_stats(stats_request(&token))
            .await
            .unwrap();
        assert_eq!(
            response.metadata().get("grpc-encoding").unwrap(),
            name,
            "the answer is compressed"
        );
    }
    // A client that asks for nothing gets nothing compressed.
    let plain = stack
        .media_client()
        .get_list_stats(stats_request(&token))
        .await
        .unwrap();
    assert!(plain.metadata().get("grpc-encoding").is_none());
}

#[tokio::test]
async fn a_compressed_request_is_checked_like_any_other() {
    let stack = Stack::spawn().await;
    let token = token(&stack).await;
    let request = authed(
        &token,
        pb::GetListEntryRequest {
            id: "nul\0here".into(),
        },
    );
    let refused = compressing(&stack, CompressionEncoding::Gzip)
        .get_list_entry(request)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    // The guard's refusal (the text's), not the handler's (the id's).
    let violations = refused.get_details_bad_request().unwrap().field_violations;
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].field, "id");
    assert!(
        violations[0].description.contains("control characters"),
        "{violations:?}"
    );
}

#[tokio::test]
async fn a_request_that_uncompresses_past_the_limit_is_refused() {
    let stack = Stack::spawn().await;
    let token = token(&stack).await;
    // 8 MiB of text compresses to a few KiB; the limit is 4 MiB.
    let request = authed(
        &token,
        pb::GetListEntryRequest {
            id: "a".repeat(8 << 20),
        },
    );
    let refused = compressing(&stack, CompressionEncoding::Gzip)
        .get_list_entry(request)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
}

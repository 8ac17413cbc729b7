//! `/metrics`: the calls of all three processes (here, one test process)
//! with OpenTelemetry's names, labels and fixed buckets.

use completionist_proto::media as pb;
use test_support::authed;
use tonic::{Code, Request};

use crate::{
    grpc::{stats_request, token},
    helpers::Stack,
};

/// Serves this process's metrics on a port of its own; answers the URL.
async fn metrics_url() -> String {
    completionist_common::metrics::install();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    tokio::spawn(completionist_common::metrics::serve(
        listener,
        std::future::pending(),
    ));
    url
}

/// The samples of `metric` whose labels include every one of `labels`.
fn samples<'a>(text: &'a str, metric: &str, labels: &[&str]) -> Vec<&'a str> {
    text.lines()
        .filter(|line| line.starts_with(&format!("{metric}{{")))
        .filter(|line| labels.iter().all(|label| line.contains(label)))
        .collect()
}

/// `/metrics` after a call answered OK, one answered NOT_FOUND and one to
/// a path no service has, all through the gateway.
async fn scraped_after_calls() -> String {
    // Serving first: the services report their pools as they start.
    let url = metrics_url().await;
    let stack = Stack::spawn().await;
    let token = token(&stack).await;
    stack
        .media_client()
        .get_list_stats(stats_request(&token))
        .await
        .unwrap();
    let missing = stack
        .media_client()
        .get_list_entry(authed(
            &token,
            pb::GetListEntryRequest {
                id: uuid::Uuid::now_v7().to_string(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let unknown = call_unknown(tonic::client::Grpc::new(stack.gateway.channel.clone())).await;
    assert_eq!(unknown, Code::Unimplemented);

    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.unwrap()
}

const GRPC: &str = "rpc_system_name=\"grpc\"";
const STATS: &str = "rpc_method=\"completionist.media.v1.MediaService/GetListStats\"";

#[tokio::test]
async fn calls_served_carry_their_method_and_status_in_fixed_buckets() {
    let text = scraped_after_calls().await;
    // Served by the gateway and by media-service, answered OK.
    let ok = samples(
        &text,
        "rpc_server_call_duration_seconds_count",
        &[GRPC, STATS, "rpc_status_code=\"OK\""],
    );
    assert!(!ok.is_empty(), "{text}");
    // Fixed buckets, in seconds, so replicas add up.
    for le in ["le=\"0.005\"", "le=\"1\"", "le=\"+Inf\""] {
        let buckets = samples(
            &text,
            "rpc_server_call_duration_seconds_bucket",
            &[STATS, le],
        );
        assert!(!buckets.is_empty(), "no bucket {le}: {text}");
    }
    let not_found = samples(
        &text,
        "rpc_server_call_duration_seconds_count",
        &[
            "rpc_method=\"completionist.media.v1.MediaService/GetListEntry\"",
            "rpc_status_code=\"NOT_FOUND\"",
        ],
    );
    assert!(!not_found.is_empty(), "{text}");
    let other = samples(
        &text,
        "rpc_server_call_duration_seconds_count",
        &["rpc_method=\"_OTHER\"", "rpc_status_code=\"UNIMPLEMENTED\""],
    );
    assert!(!other.is_empty(), "{text}");
    assert!(!text.contains("made.Up"), "a caller's path is no label");
    assert!(
        !text.contains("grpc.health.v1"),
        "health checks are no API calls"
    );
}

#[tokio::test]
async fn calls_made_to_other_services_and_the_pools_are_measured() {
    let text = scraped_after_calls().await;
    // media-service asking auth-service; the gateway forwarding.
    for method in [
        "rpc_method=\"completionist.auth.v1.TokenService/ValidateToken\"",
        STATS,
    ] {
        let calls = samples(
            &text,
            "rpc_client_call_duration_seconds_count",
            &[GRPC, method],
        );
        assert!(!calls.is_empty(), "no client calls of {method}: {text}");
    }
    // The pools, reported as the services start.
    let pools = samples(
        &text,
        "db_client_connection_count",
        &["db_client_connection_state=\"idle\""],
    );
    assert!(!pools.is_empty(), "{text}");
}

/// Calls `/made.Up/Thing`; answers the status code.
async fn call_unknown(mut grpc: tonic::client::Grpc<tonic::transport::Channel>) -> Code {
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/made.Up/Thing");
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    grpc.unary(Request::new(()), path, codec)
        .await
        .map_or_else(|status| status.code(), |_: tonic::Response<()>| Code::Ok)
}

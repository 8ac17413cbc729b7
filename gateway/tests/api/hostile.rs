//! Hostile requests fail alone: while other callers keep calling, oversized
//! metadata, malformed gRPC-Web frames and oversized bodies each get a clear
//! refusal, and nobody else sees a failure, through the gateway's shared
//! connections to the backends or media-service's to auth-service.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use completionist_proto::media::{self as pb, media_service_client::MediaServiceClient};
use tokio::task::JoinSet;
use tonic::{Code, transport::Channel};
use tonic_types::StatusExt;

use crate::{
    grpc::{stats_request, token},
    helpers::Stack,
};

/// Callers that keep asking for their stats until stopped, counting what
/// they get.
struct Steady {
    stop: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
    failures: Arc<Mutex<Vec<tonic::Status>>>,
    tasks: JoinSet<()>,
}

impl Steady {
    fn start(channel: &Channel, token: &str, callers: usize) -> Self {
        let mut steady = Self {
            stop: Arc::default(),
            served: Arc::default(),
            failures: Arc::default(),
            tasks: JoinSet::new(),
        };
        for _ in 0..callers {
            let mut client = MediaServiceClient::new(channel.clone());
            let (stop, served, failures) = (
                steady.stop.clone(),
                steady.served.clone(),
                steady.failures.clone(),
            );
            let token = token.to_owned();
            steady.tasks.spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match client.get_list_stats(stats_request(&token)).await {
                        Ok(_) => served.fetch_add(1, Ordering::Relaxed),
                        Err(status) => {
                            failures.lock().unwrap().push(status);
                            0
                        }
                    };
                }
            });
        }
        steady
    }

    /// Stops the callers; asserts every call of theirs was served.
    async fn assert_unharmed(mut self) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.stop.store(true, Ordering::Relaxed);
        while self.tasks.join_next().await.is_some() {}
        let failures = self.failures.lock().unwrap();
        assert!(failures.is_empty(), "innocent calls failed: {failures:?}");
        assert!(self.served.load(Ordering::Relaxed) > 0, "no call was made");
    }
}

/// A gRPC-Web call's `grpc-status` (of a trailers-only answer, or the
/// HTTP status when there is none).
async fn web_status(request: reqwest::RequestBuilder) -> String {
    let response = request.send().await.unwrap();
    response.headers().get("grpc-status").map_or_else(
        || format!("HTTP {}", response.status()),
        |status| status.to_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn hostile_requests_through_the_gateway_fail_alone() {
    let stack = Stack::spawn().await;
    let token = token(&stack).await;
    let steady = Steady::start(&stack.gateway.channel, &token, 16);

    let web = reqwest::Client::new();
    let url = format!(
        "{}/completionist.media.v1.MediaService/GetListStats",
        stack.url()
    );
    let call = || {
        web.post(&url)
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
    };
    let empty_message: &'static [u8] = &[0, 0, 0, 0, 0];
    for _ in 0..3 {
        let huge = format!("Bearer {}", "a".repeat(100_000));
        let oversized_metadata = call().header("authorization", huge).body(empty_message);
        assert_eq!(
            web_status(oversized_metadata).await,
            "3",
            "INVALID_ARGUMENT"
        );

        let bearer = format!("Bearer {token}");
        let malformed = call()
            .header("authorization", &bearer)
            .body(&[0_u8, 0, 0, 0, 16, 1, 2, 3][..]);
        assert_eq!(web_status(malformed).await, "3", "INVALID_ARGUMENT");

        let oversized_body = call()
            .header("authorization", &bearer)
            .body(vec![0_u8; 5 * 1024 * 1024]);
        assert_eq!(web_status(oversized_body).await, "8", "RESOURCE_EXHAUSTED");

        // Over plain gRPC, on a connection of its own: the gateway refuses
        // metadata its backends would not take.
        let own = tonic::transport::Endpoint::from_shared(stack.url())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut request = stats_request(&token);
        let big = "x".repeat(10_000).parse().unwrap();
        request.metadata_mut().insert("x-padding", big);
        let status = MediaServiceClient::new(own)
            .get_list_stats(request)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    }
    steady.assert_unharmed().await;
}

#[tokio::test]
async fn hostile_tokens_sent_to_media_service_fail_alone() {
    let stack = Stack::spawn().await;
    let token = token(&stack).await;
    let steady = Steady::start(&stack.media.channel, &token, 16);

    for _ in 0..3 {
        // Under media-service's own metadata limit; the token then travels
        // to auth-service in a ValidateToken message, not in metadata.
        let own = tonic::transport::Endpoint::from_shared(format!("http://{}", stack.media.addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let forged = format!("Bearer {}", "a".repeat(12_000)).parse().unwrap();
        let mut request = tonic::Request::new(pb::GetListStatsRequest {});
        request.metadata_mut().insert("authorization", forged);
        let status = MediaServiceClient::new(own)
            .get_list_stats(request)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    }
    steady.assert_unharmed().await;
}

#[tokio::test]
async fn overload_through_the_gateway_is_resource_exhausted_never_unavailable() {
    let stack = Stack::spawn_configured(|_| {}, |media| media.pool.max_connections = 1).await;
    let token = token(&stack).await;
    let calls: Vec<_> = (0..96)
        .map(|_| {
            let mut client = stack.media_client();
            let request = stats_request(&token);
            tokio::spawn(async move { client.get_list_stats(request).await })
        })
        .collect();
    let (mut served, mut shed) = (0, 0);
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => served += 1,
            Err(status) => {
                assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                assert_eq!(
                    status.get_details_error_info().unwrap().reason,
                    "OVERLOADED"
                );
                assert!(status.get_details_retry_info().is_some());
                shed += 1;
            }
        }
    }
    assert!(
        served >= 9,
        "one running and eight waiting are served: {served}"
    );
    assert!(shed > 0, "96 calls at once on a pool of one: some are shed");
}

#[tokio::test]
async fn control_characters_through_the_gateway_are_invalid_argument() {
    let stack = Stack::spawn().await;
    let login = completionist_proto::auth::LoginRequest {
        email: "ada\0@example.com".into(),
        password: "whatever1".into(),
    };
    let status = stack.auth_client().login(login.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let fields: Vec<_> = status
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["email"]);

    // The same as a raw gRPC-Web frame over HTTP/1.1.
    let message = prost::Message::encode_to_vec(&login);
    let mut frame = vec![0];
    frame.extend(u32::try_from(message.len()).unwrap().to_be_bytes());
    frame.extend(message);
    let url = format!("{}/completionist.auth.v1.AuthService/Login", stack.url());
    let request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .body(frame);
    assert_eq!(web_status(request).await, "3", "INVALID_ARGUMENT");
}

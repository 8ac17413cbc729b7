use std::time::{Duration, Instant};

use completionist_proto::{
    auth::{self as auth_pb, token_service_client::TokenServiceClient},
    media as pb,
};
use tokio_stream::StreamExt;
use tonic::{Code, Request};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1alpha;
use tonic_types::StatusExt;

use crate::helpers::Stack;

pub(crate) async fn token(stack: &Stack) -> String {
    test_support::accounts::new_user(&stack.auth_client())
        .await
        .access_token
}

pub(crate) fn stats_request(token: &str) -> Request<pb::GetListStatsRequest> {
    let mut request = Request::new(pb::GetListStatsRequest {});
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

async fn health(stack: &Stack) -> ServingStatus {
    HealthClient::new(stack.gateway.channel.clone())
        .check(HealthCheckRequest::default())
        .await
        .map_or(ServingStatus::Unknown, |r| r.into_inner().status())
}

async fn wait_for_health(stack: &Stack, wanted: ServingStatus) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while health(stack).await != wanted {
        assert!(
            Instant::now() < deadline,
            "gateway never reported {wanted:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn plain_grpc_passes_metadata_and_error_details_through() {
    let stack = Stack::spawn().await;
    let token = token(&stack).await;

    let mut request = stats_request(&token);
    request
        .metadata_mut()
        .insert("x-request-id", "through-the-gateway".parse().unwrap());
    let response = stack.media_client().get_list_stats(request).await.unwrap();
    assert_eq!(
        response.metadata().get("x-request-id").unwrap(),
        "through-the-gateway"
    );
    assert_eq!(response.into_inner().total_count, 0);

    let status = stack
        .media_client()
        .get_media_item(
            stats_request(&token).map(|_| pb::GetMediaItemRequest { id: "nope".into() }),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let details = status.get_error_details();
    assert_eq!(details.error_info().unwrap().domain, "media.completionist");
    assert_eq!(
        details.bad_request().unwrap().field_violations[0].field,
        "id"
    );
}

#[tokio::test]
async fn the_internal_token_service_is_not_forwarded() {
    let stack = Stack::spawn().await;
    let mut tokens = TokenServiceClient::new(stack.gateway.channel.clone());
    let validate = tokens
        .validate_token(auth_pb::ValidateTokenRequest {
            access_token: "x".into(),
        })
        .await
        .map(drop);
    let feed = tokens
        .watch_revocations(auth_pb::WatchRevocationsRequest {})
        .await
        .map(drop);
    let deleted = tokens
        .list_deleted_users(auth_pb::ListDeletedUsersRequest::default())
        .await
        .map(drop);
    for refused in [validate, feed, deleted] {
        assert_eq!(refused.unwrap_err().code(), Code::Unimplemented);
    }
    // Nor does the gateway's reflection know of it.
    let names = test_support::reflection::list_services(stack.gateway.channel.clone()).await;
    assert!(
        !names.iter().any(|n| n.contains("TokenService")),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_stopped_backend_is_unavailable_quickly_and_used_again_when_back() {
    let mut stack = Stack::spawn().await;
    let token = token(&stack).await;
    wait_for_health(&stack, ServingStatus::Serving).await;

    stack.media.stop().await;
    let started = Instant::now();
    let status = stack
        .media_client()
        .get_list_stats(stats_request(&token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "BACKEND_UNAVAILABLE"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    wait_for_health(&stack, ServingStatus::NotServing).await;
    // The other backend still answers.
    assert!(
        stack
            .auth_client()
            .get_current_user(stats_request(&token).map(|_| auth_pb::GetCurrentUserRequest {}))
            .await
            .is_ok()
    );

    stack.restart_media().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match stack
            .media_client()
            .get_list_stats(stats_request(&token))
            .await
        {
            Ok(_) => break,
            Err(status) => {
                assert!(Instant::now() < deadline, "never recovered: {status:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    wait_for_health(&stack, ServingStatus::Serving).await;
}

#[tokio::test]
async fn reflection_lists_both_services_over_v1_and_v1alpha() {
    let stack = Stack::spawn().await;
    let names = test_support::reflection::list_services(stack.gateway.channel.clone()).await;
    for name in [
        "completionist.auth.v1.AuthService",
        "completionist.media.v1.MediaService",
    ] {
        assert!(names.contains(&name.to_owned()), "{names:?}");
    }

    let describe = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                "completionist.media.v1.MediaService".into(),
            ),
        ),
    };
    let mut stream = v1alpha::server_reflection_client::ServerReflectionClient::new(
        stack.gateway.channel.clone(),
    )
    .server_reflection_info(tokio_stream::once(describe))
    .await
    .unwrap()
    .into_inner();
    assert!(matches!(
        stream.next().await.unwrap().unwrap().message_response,
        Some(v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(_))
    ));
}

#[tokio::test]
async fn oversized_requests_are_refused() {
    let stack = Stack::spawn_with(|c| c.limits.max_request_bytes = 1024).await;
    let status = stack
        .auth_client()
        .register(auth_pb::RegisterRequest {
            email: "big@example.com".into(),
            password: "correct horse".into(),
            display_name: "x".repeat(4096),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "REQUEST_TOO_LARGE"
    );
}

#[tokio::test]
async fn calls_past_the_concurrency_cap_are_refused_not_queued() {
    let stack = Stack::spawn_with(|c| c.limits.max_concurrent_requests = 1).await;
    wiremock::Mock::given(wiremock::matchers::path("/jikan/v4/anime"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_raw(
                    crate::helpers::fixture("jikan_anime_search.json"),
                    "application/json",
                )
                .set_delay(Duration::from_millis(1500)),
        )
        .mount(&stack.providers)
        .await;
    let token = token(&stack).await;
    let mut slow_client = stack.media_client();
    let search = stats_request(&token).map(|_| pb::SearchMediaRequest {
        kind: pb::MediaKind::Anime as i32,
        query: "slow".into(),
        page_token: String::new(),
    });
    let slow = tokio::spawn(async move { slow_client.search_media(search).await });
    // The slow call holds the only place once it is waiting on Jikan.
    let mut reached = false;
    for _ in 0..200 {
        reached = !stack
            .providers
            .received_requests()
            .await
            .unwrap()
            .is_empty();
        if reached {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(reached, "the slow call never reached Jikan");

    let status = stack
        .media_client()
        .get_list_stats(stats_request(&token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "GATEWAY_OVERLOADED"
    );
    assert!(slow.await.unwrap().is_ok());
    assert!(
        stack
            .media_client()
            .get_list_stats(stats_request(&token))
            .await
            .is_ok()
    );
}

#[test]
fn start_up_refuses_a_bad_configuration() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gateway"))
        .env_clear()
        .current_dir(std::env::temp_dir())
        .env("GATEWAY_LISTEN_ADDR", "everywhere")
        .env("GATEWAY_CORS_ALLOWED_ORIGINS", "*")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for variable in ["GATEWAY_LISTEN_ADDR", "GATEWAY_CORS_ALLOWED_ORIGINS"] {
        assert!(
            stderr.contains(variable),
            "{variable} not named in: {stderr}"
        );
    }
}

#[tokio::test]
async fn oversized_responses_are_cut_off() {
    let stack = Stack::spawn_with(|c| c.limits.max_response_bytes = 64).await;
    // A registration answer (the user, with ids and times) is larger than
    // 64 bytes: the client gets an error, never a truncated message.
    let result = stack
        .auth_client()
        .register(auth_pb::RegisterRequest {
            email: "long@example.com".into(),
            password: "correct horse".into(),
            display_name: "A name long enough to pass sixty-four bytes".into(),
        })
        .await;
    assert!(result.is_err(), "{result:?}");
}

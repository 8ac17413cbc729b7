use std::process::Command;

use tokio_stream::StreamExt;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1;

use crate::helpers::TestApp;

#[tokio::test]
async fn health_and_reflection() {
    let app = TestApp::spawn().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let status = HealthClient::new(app.media.channel.clone())
            .check(HealthCheckRequest {
                service: media_service::SERVICE_NAME.into(),
            })
            .await
            .map(|r| r.into_inner().status());
        if matches!(status, Ok(ServingStatus::Serving)) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never SERVING: {status:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut stream =
        v1::server_reflection_client::ServerReflectionClient::new(app.media.channel.clone())
            .server_reflection_info(tokio_stream::once(request))
            .await
            .unwrap()
            .into_inner();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        stream.next().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
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

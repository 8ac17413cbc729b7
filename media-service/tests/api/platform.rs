use std::process::Command;

use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

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

use std::process::Command;

use test_support::{ServingStatus, wait_for_health};

use crate::helpers::TestApp;

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

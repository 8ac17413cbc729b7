use std::process::Command;

use completionist_proto::media as pb;
use test_support::{ServingStatus, wait_for_health};
use tonic::Code;
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

use std::process::Command;

use completionist_proto::auth as pb;
use tokio_stream::StreamExt;
use tonic::{Code, Request};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1alpha;
use tonic_types::StatusExt;

use test_support::{health, wait_for_health};

use crate::helpers::{TestApp, assert_error, email};

#[tokio::test]
async fn health_reports_serving_then_not_serving_without_the_database() {
    let app = TestApp::spawn().await;
    let channel = &app.server.channel;
    wait_for_health(channel, auth_service::SERVICE_NAME, ServingStatus::Serving).await;
    assert_eq!(health(channel, "").await, ServingStatus::Serving);

    drop_database(app.db.name()).await;

    wait_for_health(
        channel,
        auth_service::SERVICE_NAME,
        ServingStatus::NotServing,
    )
    .await;
    // A call that needs the database says so, retryably.
    let status = app
        .client()
        .register(pb::RegisterRequest {
            email: email("late"),
            password: "long enough password".into(),
            display_name: "Late".into(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(status.code(), Code::Unavailable | Code::Internal),
        "{status:?}"
    );
}

async fn drop_database(name: &str) {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let mut conn = AsyncPgConnection::establish(test_support::admin_url())
        .await
        .unwrap();
    diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn shutdown_reports_not_serving_and_stops() {
    let mut app = TestApp::spawn().await;
    app.server.stop().await;
    assert!(
        HealthClient::new(app.server.channel.clone())
            .check(HealthCheckRequest::default())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn reflection_lists_the_service_over_v1_and_v1alpha() {
    let app = TestApp::spawn().await;

    let names = test_support::reflection::list_services(app.server.channel.clone()).await;
    assert!(
        names.contains(&auth_service::SERVICE_NAME.to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_owned()),
        "{names:?}"
    );

    // grpcurl 1.8 speaks only v1alpha; `describe` fetches the service's
    // file, then each import by name.
    use v1alpha::server_reflection_request::MessageRequest;
    for request in [
        MessageRequest::FileContainingSymbol(auth_service::SERVICE_NAME.into()),
        MessageRequest::FileByFilename("google/protobuf/field_mask.proto".into()),
        MessageRequest::FileByFilename("google/protobuf/timestamp.proto".into()),
    ] {
        let request = v1alpha::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(request),
        };
        let mut stream = v1alpha::server_reflection_client::ServerReflectionClient::new(
            app.server.channel.clone(),
        )
        .server_reflection_info(tokio_stream::once(request.clone()))
        .await
        .unwrap()
        .into_inner();
        let response = stream.next().await.unwrap().unwrap().message_response;
        assert!(
            matches!(
                response,
                Some(
                    v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(_)
                )
            ),
            "{request:?} answered {response:?}"
        );
    }
}

#[tokio::test]
async fn the_request_id_is_kept_or_made_and_returned() {
    let app = TestApp::spawn().await;

    let mut request = Request::new(pb::LoginRequest {
        email: "nobody@example.com".into(),
        password: "whatever1".into(),
    });
    request
        .metadata_mut()
        .insert("x-request-id", "my-trace-123".parse().unwrap());
    let status = app.client().login(request).await.unwrap_err();
    assert_eq!(
        status.metadata().get("x-request-id").unwrap(),
        "my-trace-123"
    );
    assert_eq!(
        status.get_details_request_info().unwrap().request_id,
        "my-trace-123"
    );

    let response = app
        .client()
        .register(pb::RegisterRequest {
            email: email("rid"),
            password: "long enough password".into(),
            display_name: "Rid".into(),
        })
        .await
        .unwrap();
    let generated = response
        .metadata()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");
}

#[tokio::test]
async fn unauthenticated_errors_carry_details_too() {
    let app = TestApp::spawn().await;
    assert_error(
        app.client()
            .list_users(pb::ListUsersRequest::default())
            .await,
        Code::Unauthenticated,
        "MISSING_TOKEN",
    );
}

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_auth-service"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    // No .env file is read from the test's working directory.
    command.current_dir(std::env::temp_dir());
    command
}

#[test]
fn start_up_refuses_a_bad_configuration_naming_every_variable() {
    let output = binary()
        .env("AUTH_LISTEN_ADDR", "not-an-address")
        .env("JWT_SECRET", "too short")
        .env("JWT_ACCESS_TTL_SECONDS", "soon")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for variable in [
        "AUTH_LISTEN_ADDR",
        "AUTH_DATABASE_URL",
        "JWT_SECRET",
        "JWT_ACCESS_TTL_SECONDS",
    ] {
        assert!(
            stderr.contains(variable),
            "{variable} not named in: {stderr}"
        );
    }
    assert!(!stderr.contains("too short"), "the secret leaked: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn grant_admin_subcommand_promotes_a_registered_account() {
    let app = TestApp::spawn().await;
    let address = email("promoted");
    app.register(&address).await;

    let run = |email: &str| {
        binary()
            .env("AUTH_DATABASE_URL", app.db.url())
            .env("JWT_SECRET", "test secret that is long enough to sign with")
            .env("RUST_LOG", "warn")
            .args(["grant-admin", email])
            .output()
            .unwrap()
    };
    let promoted = run(&address);
    assert!(
        promoted.status.success(),
        "{}",
        String::from_utf8_lossy(&promoted.stderr)
    );
    let tokens = app.login(&address).await;
    assert_eq!(
        app.validate(&tokens.access_token).await.unwrap().role,
        pb::Role::Admin as i32
    );

    let missing = run("nobody@example.com");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("register it first"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_migrating_at_once_take_turns() {
    let db = test_support::TestDb::empty().await;
    let config = crate::helpers::test_config(db.url());

    let (first, second) = tokio::join!(
        auth_service::migrate(&config),
        auth_service::migrate(&config)
    );

    first.unwrap();
    second.unwrap();
    // The schema is there and usable.
    assert!(
        !auth_service::grant_admin(&config, "nobody@example.com")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn every_method_but_the_public_ones_needs_a_token() {
    let app = TestApp::spawn().await;
    test_support::assert_every_method_needs_a_token(
        app.server.channel.clone(),
        completionist_proto::AUTH_DESCRIPTOR_SET,
        auth_service::SERVICE_NAME,
        &[
            "/completionist.auth.v1.AuthService/Register",
            "/completionist.auth.v1.AuthService/Login",
            "/completionist.auth.v1.AuthService/Refresh",
            "/completionist.auth.v1.AuthService/ValidateToken",
            "/completionist.auth.v1.AuthService/WatchRevocations",
        ],
        "auth.completionist",
    )
    .await;
}

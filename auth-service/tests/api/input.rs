//! Text no person means is refused, field by field.

use completionist_proto::auth as pb;
use tonic::Code;

use crate::helpers::{PASSWORD, TestApp, assert_error, email, violated_fields};

#[tokio::test]
async fn control_characters_and_spoofing_names_are_refused_by_field() {
    let app = TestApp::spawn().await;
    let status = assert_error(
        app.try_login("ada\0@example.com", "whatever1").await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["email"]);

    let register = |display_name: &str| {
        let request = pb::RegisterRequest {
            email: email("spoof"),
            password: PASSWORD.into(),
            display_name: display_name.into(),
        };
        let mut client = app.client();
        async move { client.register(request).await }
    };
    for name in ["Ada\u{202E}nimda", "\u{200B}\u{200D}", "bell\u{7}"] {
        let status = assert_error(
            register(name).await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(violated_fields(&status), ["display_name"], "{name:?}");
    }
    assert!(register("Zoë Lovelace ✓").await.is_ok());
}

use std::time::{Duration, Instant};

use base64::{Engine, engine::general_purpose::STANDARD};
use completionist_proto::auth as auth_pb;
use prost::Message;
use serde_json::{Value, json};
use tonic_types::StatusExt;
use wiremock::{Mock, matchers::path};

use crate::helpers::{ORIGIN, Stack, buf_curl, fixture};

fn ok(answer: Result<Value, Value>) -> Value {
    answer.unwrap_or_else(|error| panic!("call failed: {error}"))
}

#[tokio::test]
async fn a_browser_client_goes_from_register_to_logout() {
    let stack = Stack::spawn().await;
    Mock::given(path("/jikan/v4/anime"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_raw(fixture("jikan_anime_search.json"), "application/json"),
        )
        .mount(&stack.providers)
        .await;
    Mock::given(path("/jikan/v4/anime/1"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_raw(fixture("jikan_anime_1.json"), "application/json"),
        )
        .mount(&stack.providers)
        .await;
    let gw = stack.gateway.addr;
    let auth = "completionist.auth.v1.AuthService";
    let media = "completionist.media.v1.MediaService";

    let user = ok(buf_curl(
        gw,
        &format!("{auth}/Register"),
        json!({"email": "web@example.com", "password": "correct horse", "display_name": "Web"}),
        None,
    )
    .await);
    assert_eq!(user["user"]["email"], "web@example.com");
    let login = ok(buf_curl(
        gw,
        &format!("{auth}/Login"),
        json!({"email": "web@example.com", "password": "correct horse"}),
        None,
    )
    .await);
    let token = login["tokens"]["accessToken"].as_str().unwrap().to_owned();
    let refresh = login["tokens"]["refreshToken"].as_str().unwrap().to_owned();
    let t = Some(token.as_str());

    let found = ok(buf_curl(
        gw,
        &format!("{media}/SearchMedia"),
        json!({"kind": "MEDIA_KIND_ANIME", "query": "bebop"}),
        t,
    )
    .await);
    assert_eq!(found["results"][0]["title"], "Cowboy Bebop");
    let reference = found["results"][0]["reference"].clone();

    let imported = ok(buf_curl(
        gw,
        &format!("{media}/ImportMedia"),
        json!({"reference": reference}),
        t,
    )
    .await);
    assert_eq!(imported["created"], true);
    let item_id = imported["mediaItem"]["id"].as_str().unwrap().to_owned();

    let added = ok(buf_curl(
        gw,
        &format!("{media}/AddListEntry"),
        json!({"media_item_id": item_id, "status": "LIST_STATUS_IN_PROGRESS", "progress": 4}),
        t,
    )
    .await);
    let entry_id = added["listEntry"]["id"].as_str().unwrap().to_owned();

    let updated = ok(buf_curl(
        gw,
        &format!("{media}/UpdateListEntry"),
        json!({"list_entry": {"id": entry_id, "status": "LIST_STATUS_COMPLETED", "rating": 10}, "update_mask": "status,rating"}),
        t,
    )
    .await);
    assert_eq!(updated["listEntry"]["progress"], 26);
    assert_eq!(updated["listEntry"]["rating"], 10);

    let listed = ok(buf_curl(gw, &format!("{media}/ListListEntries"), json!({}), t).await);
    assert_eq!(listed["listEntries"].as_array().unwrap().len(), 1);
    let stats = ok(buf_curl(gw, &format!("{media}/GetListStats"), json!({}), t).await);
    assert_eq!(stats["totalCount"], "1");
    assert_eq!(stats["completedFraction"], 1.0);

    let refreshed = ok(buf_curl(
        gw,
        &format!("{auth}/Refresh"),
        json!({"refresh_token": refresh}),
        None,
    )
    .await);
    let fresh = refreshed["tokens"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();

    ok(buf_curl(gw, &format!("{auth}/Logout"), json!({}), Some(&fresh)).await);
    let logged_out = Instant::now();
    let refusal = loop {
        match buf_curl(
            gw,
            &format!("{media}/GetListStats"),
            json!({}),
            Some(&fresh),
        )
        .await
        {
            Err(error) => break error,
            Ok(_) => {
                assert!(
                    logged_out.elapsed() < Duration::from_secs(1),
                    "still served after logout"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(refusal["code"], "unauthenticated", "{refusal}");
    assert_eq!(
        refusal["details"][0]["type"], "google.rpc.ErrorInfo",
        "{refusal}"
    );
}

#[tokio::test]
async fn validate_token_is_refused_from_outside() {
    let stack = Stack::spawn().await;
    let refusal = buf_curl(
        stack.gateway.addr,
        "completionist.auth.v1.AuthService/ValidateToken",
        json!({"access_token": "anything"}),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(refusal["code"], "permission_denied", "{refusal}");
    assert!(
        refusal["message"]
            .as_str()
            .unwrap()
            .contains("ValidateToken")
    );
}

/// A gRPC-Web frame around `message`, as browsers send it.
fn frame(message: &impl Message) -> Vec<u8> {
    let body = message.encode_to_vec();
    let mut framed = vec![0u8];
    framed.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
    framed.extend(body);
    framed
}

#[tokio::test]
async fn grpc_web_text_over_http1_with_cors_headers() {
    let stack = Stack::spawn().await;
    let client = reqwest::Client::builder().http1_only().build().unwrap();
    let register = auth_pb::RegisterRequest {
        email: "text@example.com".into(),
        password: "correct horse".into(),
        display_name: "Text".into(),
    };

    let response = client
        .post(format!(
            "{}/completionist.auth.v1.AuthService/Register",
            stack.url()
        ))
        .header("content-type", "application/grpc-web-text")
        .header("accept", "application/grpc-web-text")
        .header("x-grpc-web", "1")
        .header("x-user-agent", "grpc-web-javascript/0.1")
        .header("origin", ORIGIN)
        .body(STANDARD.encode(frame(&register)))
        .send()
        .await
        .unwrap();

    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], ORIGIN);
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    for header in [
        "grpc-status",
        "grpc-message",
        "grpc-status-details-bin",
        "x-request-id",
    ] {
        assert!(exposed.contains(header), "{header} not exposed: {exposed}");
    }
    assert!(response.headers().contains_key("x-request-id"));
    let text = response.text().await.unwrap().replace(['\r', '\n'], "");
    // Each frame is base64-encoded on its own, padding included, so the
    // text is decoded a quantum (four characters) at a time, as browsers do.
    let body: Vec<u8> = text
        .as_bytes()
        .chunks(4)
        .flat_map(|quantum| STANDARD.decode(quantum).expect("base64"))
        .collect();
    let length = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
    let reply = auth_pb::RegisterResponse::decode(&body[5..5 + length]).unwrap();
    assert_eq!(reply.user.unwrap().email, "text@example.com");
    let trailers = String::from_utf8_lossy(&body[5 + length + 5..]).to_lowercase();
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
}

#[tokio::test]
async fn errors_are_readable_by_a_browser() {
    let stack = Stack::spawn().await;
    let client = reqwest::Client::builder().http1_only().build().unwrap();
    let login = auth_pb::LoginRequest {
        email: "nobody@example.com".into(),
        password: "wrong password".into(),
    };

    let response = client
        .post(format!(
            "{}/completionist.auth.v1.AuthService/Login",
            stack.url()
        ))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("origin", ORIGIN)
        .header("x-request-id", "browser-req-7")
        .body(frame(&login))
        .send()
        .await
        .unwrap();

    // A trailers-only answer: the status sits in headers the browser may read.
    let headers = response.headers().clone();
    assert_eq!(headers["grpc-status"], "16");
    assert_eq!(headers["x-request-id"], "browser-req-7");
    let status = tonic::Status::from_header_map(&headers).unwrap();
    let details = status.get_error_details();
    assert_eq!(details.error_info().unwrap().reason, "INVALID_CREDENTIALS");
    assert_eq!(details.error_info().unwrap().domain, "auth.completionist");
    assert_eq!(details.request_info().unwrap().request_id, "browser-req-7");
}

#[tokio::test]
async fn cors_preflight_for_allowed_and_refused_origins() {
    let stack = Stack::spawn().await;
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(
                reqwest::Method::OPTIONS,
                format!(
                    "{}/completionist.media.v1.MediaService/GetListStats",
                    stack.url()
                ),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,x-grpc-web,x-user-agent,authorization,grpc-timeout,x-request-id",
            )
            .send()
    };

    let allowed = preflight(ORIGIN).await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(allowed.headers()["access-control-allow-origin"], ORIGIN);
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    for header in [
        "content-type",
        "x-grpc-web",
        "x-user-agent",
        "authorization",
        "grpc-timeout",
        "x-request-id",
    ] {
        assert!(headers.contains(header), "{header} not allowed: {headers}");
    }
    assert!(
        allowed.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );

    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin"),
        "a browser must not be allowed: {:?}",
        refused.headers()
    );
}

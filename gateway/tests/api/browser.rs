use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use completionist_proto::auth as auth_pb;
use prost::Message;
use serde_json::{Value, json};
use tonic_types::StatusExt;
use wiremock::{Mock, matchers::path};

use crate::helpers::{ORIGIN, Stack, buf_curl, fixture};

const AUTH: &str = "completionist.auth.v1.AuthService";
const MEDIA: &str = "completionist.media.v1.MediaService";

/// A successful gRPC-Web call's answer as JSON.
async fn call(gw: SocketAddr, method: &str, body: Value, token: Option<&str>) -> Value {
    buf_curl(gw, method, body, token)
        .await
        .unwrap_or_else(|error| panic!("{method} failed: {error}"))
}

async fn mount_jikan(stack: &Stack) {
    for (route, body) in [
        ("/jikan/v4/anime", "jikan_anime_search.json"),
        ("/jikan/v4/anime/1", "jikan_anime_1.json"),
    ] {
        Mock::given(path(route))
            .respond_with(
                wiremock::ResponseTemplate::new(200)
                    .set_body_raw(fixture(body), "application/json"),
            )
            .mount(&stack.providers)
            .await;
    }
}

/// Registers and logs in; the access and refresh tokens.
async fn sign_up(gw: SocketAddr) -> (String, String) {
    let account = json!({"email": "web@example.com", "password": "correct horse"});
    let mut register = account.clone();
    register["display_name"] = json!("Web");
    let user = call(gw, &format!("{AUTH}/Register"), register, None).await;
    assert_eq!(user["user"]["email"], "web@example.com");
    let login = call(gw, &format!("{AUTH}/Login"), account, None).await;
    let token = |name: &str| login["tokens"][name].as_str().unwrap().to_owned();
    (token("accessToken"), token("refreshToken"))
}

#[tokio::test]
async fn a_browser_client_goes_from_register_to_logout() {
    let stack = Stack::spawn().await;
    mount_jikan(&stack).await;
    let gw = stack.gateway.addr;
    let (token, refresh) = sign_up(gw).await;
    let t = Some(token.as_str());

    let search = json!({"kind": "MEDIA_KIND_ANIME", "query": "bebop"});
    let found = call(gw, &format!("{MEDIA}/SearchMedia"), search, t).await;
    assert_eq!(found["results"][0]["title"], "Cowboy Bebop");
    let reference = json!({"reference": found["results"][0]["reference"].clone()});
    let imported = call(gw, &format!("{MEDIA}/ImportMedia"), reference, t).await;
    assert_eq!(imported["created"], true);
    let item_id = imported["mediaItem"]["id"].as_str().unwrap().to_owned();

    let entry =
        json!({"media_item_id": item_id, "status": "LIST_STATUS_IN_PROGRESS", "progress": 4});
    let added = call(gw, &format!("{MEDIA}/AddListEntry"), entry, t).await;
    let entry_id = added["listEntry"]["id"].as_str().unwrap().to_owned();
    let update = json!({
        "list_entry": {"id": entry_id, "status": "LIST_STATUS_COMPLETED", "rating": 10},
        "update_mask": "status,rating",
    });
    let updated = call(gw, &format!("{MEDIA}/UpdateListEntry"), update, t).await;
    assert_eq!(updated["listEntry"]["progress"], 26);
    assert_eq!(updated["listEntry"]["rating"], 10);

    let listed = call(gw, &format!("{MEDIA}/ListListEntries"), json!({}), t).await;
    assert_eq!(listed["listEntries"].as_array().unwrap().len(), 1);
    let stats = call(gw, &format!("{MEDIA}/GetListStats"), json!({}), t).await;
    assert_eq!(stats["totalCount"], "1");
    assert_eq!(stats["completedFraction"], 1.0);

    let rotate = json!({"refresh_token": refresh});
    let refreshed = call(gw, &format!("{AUTH}/Refresh"), rotate, None).await;
    let fresh = refreshed["tokens"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    call(gw, &format!("{AUTH}/Logout"), json!({}), Some(&fresh)).await;
    logged_out_within_a_second(gw, &fresh).await;
}

/// Waits (up to a second) until `token` is refused, with readable details.
async fn logged_out_within_a_second(gw: SocketAddr, token: &str) {
    let logged_out = Instant::now();
    let method = format!("{MEDIA}/GetListStats");
    let refusal = loop {
        match buf_curl(gw, &method, json!({}), Some(token)).await {
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
    let client = reqwest::Client::builder().http1_only().build().unwrap();
    let validate = auth_pb::ValidateTokenRequest {
        access_token: "anything".into(),
    };
    let response = client
        .post(format!(
            "{}/completionist.auth.v1.TokenService/ValidateToken",
            stack.url()
        ))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("origin", ORIGIN)
        .body(frame(&validate))
        .send()
        .await
        .unwrap();
    // UNIMPLEMENTED: the gateway forwards no such service.
    assert_eq!(response.headers()["grpc-status"], "12");
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

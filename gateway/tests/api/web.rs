//! The web app's files beside the APIs on one port.

use std::path::PathBuf;

use completionist_proto::auth as auth_pb;
use reqwest::{StatusCode, header};

use crate::helpers::{Stack, buf_curl};

/// A built app: a page and one hashed script big enough to compress.
fn app_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("web-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>Completionist</title><script type=module src=/assets/app-1a2b.js></script>",
    )
    .unwrap();
    std::fs::write(
        dir.join("assets/app-1a2b.js"),
        "console.log('completionist');\n".repeat(200),
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn the_page_is_served_for_every_app_path_never_cached() {
    let dir = app_dir();
    let stack = Stack::spawn_with(|config| config.web_dir = Some(dir.clone())).await;
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{}{path}", stack.url()));

    // The page: never cached, under a policy without inline script.
    let page = get("/").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers["cross-origin-opener-policy"], "same-origin");
    assert!(
        headers["permissions-policy"]
            .to_str()
            .unwrap()
            .contains("camera=()")
    );
    assert!(
        !headers.contains_key(header::STRICT_TRANSPORT_SECURITY),
        "plain HTTP pins nothing"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<title>Completionist</title>"));

    // A path the app routes is the same page.
    let deep = get("/entries/0190e7d2").send().await.unwrap();
    assert_eq!(deep.status(), StatusCode::OK);
    assert_eq!(deep.headers()[header::CACHE_CONTROL], "no-cache");
    assert_eq!(deep.text().await.unwrap(), html);

    // Behind a proxy that ended TLS, browsers are told to stay on HTTPS.
    let proxied = get("/")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(
        proxied.headers()[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );

    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn assets_are_cached_and_compressed_and_the_apis_still_answer() {
    let dir = app_dir();
    let stack = Stack::spawn_with(|config| config.web_dir = Some(dir.clone())).await;
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{}{path}", stack.url()));

    // Hashed assets: cached for good, compressed when the browser can take it.
    let script = get("/assets/app-1a2b.js")
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    let headers = script.headers().clone();
    assert_eq!(
        headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    let body = script.bytes().await.unwrap();
    assert_eq!(&body[..2], &[0x1f, 0x8b], "a gzip stream");
    assert!(body.len() < 6_000 / 10, "{} bytes", body.len());

    // A missing asset is missing, not the page (a stale page must not run
    // HTML as script).
    let missing = get("/assets/gone-9f9f.js").send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // Files are only read.
    let post = client
        .post(format!("{}/", stack.url()))
        .header(header::CONTENT_TYPE, "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);

    // The APIs on the same port: gRPC-Web and plain gRPC.
    let answer = buf_curl(
        stack.gateway.addr,
        "completionist.auth.v1.AuthService/Register",
        serde_json::json!({"email": "web@example.com", "password": "correct horse battery", "displayName": "Web"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(answer["user"]["email"], "web@example.com");
    let login = stack
        .auth_client()
        .login(auth_pb::LoginRequest {
            email: "web@example.com".into(),
            password: "correct horse battery".into(),
        })
        .await
        .unwrap();
    assert!(login.into_inner().tokens.is_some());
    // An unknown service asked over gRPC-Web is UNIMPLEMENTED, not a page.
    let unknown = client
        .post(format!(
            "{}/completionist.nothing.v1.NoService/Call",
            stack.url()
        ))
        .header(header::CONTENT_TYPE, "application/grpc-web+proto")
        .body(vec![0, 0, 0, 0, 0])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::OK);
    assert_eq!(unknown.headers()["grpc-status"], "12");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn without_an_app_other_requests_are_not_found() {
    let stack = Stack::spawn().await;
    let page = reqwest::get(format!("{}/", stack.url())).await.unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
}

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use completionist_common::config::Env;
use completionist_proto::{
    auth::auth_service_client::AuthServiceClient, media::media_service_client::MediaServiceClient,
};
use serde_json::Value;
use test_support::{Server, TestDb};
use tonic::transport::Channel;
use wiremock::MockServer;

pub(crate) const ORIGIN: &str = "http://app.example.test";

pub(crate) struct Stack {
    pub gateway: Server,
    _auth: Server,
    pub media: Server,
    pub providers: MockServer,
    media_config: media_service::Config,
    _dbs: (TestDb, TestDb),
}

impl Stack {
    pub(crate) async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub(crate) async fn spawn_with(configure: impl FnOnce(&mut gateway::Config)) -> Self {
        Self::spawn_configured(configure, |_| {}).await
    }

    /// A stack with the gateway's and media-service's configuration changed.
    pub(crate) async fn spawn_configured(
        configure: impl FnOnce(&mut gateway::Config),
        configure_media: impl FnOnce(&mut media_service::Config),
    ) -> Self {
        let providers = MockServer::start().await;
        let auth_db = TestDb::new("auth", auth_service::MIGRATIONS).await;
        let media_db = TestDb::new("media", media_service::MIGRATIONS).await;
        let auth_config = auth_service::Config::from_env(Env::from_vars([
            ("AUTH_DATABASE_URL", auth_db.url()),
            ("JWT_SECRET", "test secret that is long enough to sign with"),
        ]))
        .unwrap();
        let auth = Server::start(|listener, shutdown| {
            auth_service::run(listener, auth_config, shutdown.wait())
        })
        .await;
        let auth_url = format!("http://{}", auth.addr);
        let mut media_config = media_service::Config::from_env(Env::from_vars([
            ("MEDIA_DATABASE_URL", media_db.url()),
            ("AUTH_SERVICE_URL", auth_url.as_str()),
        ]))
        .unwrap();
        media_config.providers.jikan_base_url = format!("{}/jikan/v4", providers.uri());
        configure_media(&mut media_config);
        let media = {
            let config = media_config.clone();
            Server::start(|listener, shutdown| {
                media_service::run(listener, config, shutdown.wait())
            })
            .await
        };
        let media_url = format!("http://{}", media.addr);
        let mut config = gateway::Config::from_env(Env::from_vars([
            ("AUTH_SERVICE_URL", auth_url.as_str()),
            ("MEDIA_SERVICE_URL", media_url.as_str()),
            ("GATEWAY_CORS_ALLOWED_ORIGINS", ORIGIN),
        ]))
        .unwrap();
        config.health_interval = Duration::from_millis(100);
        configure(&mut config);
        let gateway =
            Server::start(|listener, shutdown| gateway::run(listener, config, shutdown.wait()))
                .await;
        Self {
            gateway,
            _auth: auth,
            media,
            providers,
            media_config,
            _dbs: (auth_db, media_db),
        }
    }

    /// Starts media-service again on the address it had.
    pub(crate) async fn restart_media(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.media.addr)
            .await
            .unwrap();
        let config = self.media_config.clone();
        self.media = Server::start_on(listener, |listener, shutdown| {
            media_service::run(listener, config, shutdown.wait())
        });
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.gateway.addr)
    }

    /// Plain gRPC clients through the gateway.
    pub(crate) fn auth_client(&self) -> AuthServiceClient<Channel> {
        AuthServiceClient::new(self.gateway.channel.clone())
    }

    pub(crate) fn media_client(&self) -> MediaServiceClient<Channel> {
        MediaServiceClient::new(self.gateway.channel.clone())
    }
}

/// What `buf curl` printed: the response message, or the error.
pub(crate) type Answer = Result<Value, Value>;

/// Calls `method` through the gateway with `buf curl --protocol grpcweb`
/// over HTTP/1.1, the way a browser's gRPC-Web client does.
pub(crate) async fn buf_curl(
    gateway: SocketAddr,
    method: &str,
    body: Value,
    token: Option<&str>,
) -> Answer {
    let mut command = tokio::process::Command::new(buf());
    command
        .args(["curl", "--protocol", "grpcweb", "--emit-defaults", "-d"])
        .arg(body.to_string())
        .args(["-H", &format!("Origin: {ORIGIN}")]);
    if let Some(token) = token {
        command.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let output = command
        .arg(format!("http://{gateway}/{method}"))
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        Ok(serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}")))
    } else {
        let text = if stdout.trim().is_empty() {
            stderr
        } else {
            stdout
        };
        Err(serde_json::from_str(&text).unwrap_or_else(|_| panic!("buf curl failed: {text}")))
    }
}

/// Calls server-streaming `method` through the gateway with `buf curl
/// --protocol grpcweb`, the request body read from `body_file`; every
/// message the stream sent, or the error.
pub(crate) async fn buf_curl_stream(
    gateway: SocketAddr,
    method: &str,
    body_file: &std::path::Path,
    token: &str,
) -> Result<Vec<Value>, String> {
    let output = tokio::process::Command::new(buf())
        .args(["curl", "--protocol", "grpcweb", "--emit-defaults", "-d"])
        .arg(format!("@{}", body_file.display()))
        .args(["-H", &format!("Origin: {ORIGIN}")])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .arg(format!("http://{gateway}/{method}"))
        .output()
        .await
        .unwrap();
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned()
            + &String::from_utf8_lossy(&output.stdout));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    Ok(serde_json::Deserializer::from_str(&stdout)
        .into_iter::<Value>()
        .map(|m| m.unwrap_or_else(|e| panic!("{e}: {stdout}")))
        .collect())
}

/// buf, as `make test` installs it from npm.
pub(crate) fn buf() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node/node_modules/.bin/buf");
    assert!(
        path.exists(),
        "{} is missing: run `make test`, which installs it (npm install --prefix node)",
        path.display()
    );
    path
}

pub(crate) fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../media-service/tests/api/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A stack whose OMDb and TVmaze stand-ins know Severance (running, with
/// `episodes` as TVmaze lists them), with media-service's configuration
/// changed by `configure_media` too.
pub(crate) async fn severance_stack(
    episodes: serde_json::Value,
    configure_media: impl FnOnce(&mut media_service::Config),
) -> Stack {
    use wiremock::{Mock, ResponseTemplate, matchers::path};
    let stack = Stack::spawn_configured(
        |_| {},
        |media| {
            let base = media.providers.jikan_base_url.replace("/jikan/v4", "");
            media.providers.omdb_base_url = format!("{base}/omdb");
            media.providers.omdb_api_key = Some("key".to_owned().into());
            media.providers.tvmaze_base_url = format!("{base}/tvmaze");
            configure_media(media);
        },
    )
    .await;
    let series = serde_json::json!({"Title": "Severance", "Year": "2022–",
        "imdbID": "tt11280740", "Type": "series", "Plot": "", "Poster": "N/A",
        "Response": "True"});
    let show = serde_json::json!({"id": 44933, "name": "Severance", "status": "Running",
        "externals": {"imdb": "tt11280740", "thetvdb": 371980}});
    for (route, body) in [
        ("/omdb/", series),
        ("/tvmaze/lookup/shows", show.clone()),
        ("/tvmaze/shows/44933", show),
        ("/tvmaze/shows/44933/episodes", episodes),
    ] {
        Mock::given(path(route))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&stack.providers)
            .await;
    }
    stack
}

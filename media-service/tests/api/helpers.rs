//! A real auth-service and a real media-service on port 0, each on its own
//! database, with the providers pointed at a local HTTP server.

use std::{sync::Arc, time::Duration};

use completionist_common::config::{Env, SecretString};
use completionist_proto::{
    auth::{self as auth_pb, auth_service_client::AuthServiceClient},
    media::{self as pb, media_service_client::MediaServiceClient},
};
use media_service::Config;
use test_support::{Server, TestDb};
use tonic::{Code, Status, transport::Channel};
use wiremock::MockServer;

pub(crate) const OMDB_KEY: &str = "omdb-test-key";
pub(crate) const RAWG_KEY: &str = "rawg-test-key";

pub(crate) struct TestApp {
    pub media: Server,
    pub auth: Server,
    pub providers: MockServer,
    /// What media-service was started with, to start it again.
    pub media_config: Config,
    pub media_db: Arc<TestDb>,
    /// What auth-service was started with (to grant an admin role).
    pub auth_config: auth_service::Config,
    _auth_db: TestDb,
}

pub(crate) struct Options {
    pub omdb_key: bool,
    pub rawg_key: bool,
    pub request_timeout: Duration,
    pub max_connections: u32,
    pub import_max_bytes: usize,
    pub import_max_unpacked_bytes: u64,
    pub import_max_rows: usize,
    /// Adjusts media-service's configuration last.
    pub media: fn(&mut Config),
    /// More variables for auth-service.
    pub auth_env: &'static [(&'static str, &'static str)],
}

impl Default for Options {
    fn default() -> Self {
        Self {
            omdb_key: true,
            rawg_key: true,
            request_timeout: Duration::from_secs(2),
            max_connections: 16,
            import_max_bytes: 64 << 20,
            import_max_unpacked_bytes: 256 << 20,
            import_max_rows: 100_000,
            media: |_| {},
            auth_env: &[],
        }
    }
}

impl TestApp {
    pub(crate) async fn spawn() -> Self {
        Self::spawn_with(Options::default()).await
    }

    pub(crate) async fn spawn_with(options: Options) -> Self {
        let providers = MockServer::start().await;
        let auth_db = TestDb::new("auth", auth_service::MIGRATIONS).await;
        let media_db = Arc::new(TestDb::new("media", media_service::MIGRATIONS).await);

        let auth_config = auth_service::Config::from_env(Env::from_vars(
            [
                ("AUTH_DATABASE_URL", auth_db.url()),
                ("JWT_SECRET", "test secret that is long enough to sign with"),
                ("JWT_LEEWAY_SECONDS", "0"),
            ]
            .into_iter()
            .chain(options.auth_env.iter().copied()),
        ))
        .unwrap();
        let started_with = auth_config.clone();
        let auth = Server::start(move |listener, shutdown| {
            auth_service::run(listener, auth_config, shutdown.wait())
        })
        .await;

        let mut config = media_config(
            media_db.url(),
            &format!("http://{}", auth.addr),
            &providers.uri(),
        );
        if !options.omdb_key {
            config.providers.omdb_api_key = None;
        }
        if !options.rawg_key {
            config.providers.rawg_api_key = None;
        }
        config.providers.request_timeout = options.request_timeout;
        config.pool.max_connections = options.max_connections;
        config.imports.max_bytes = options.import_max_bytes;
        config.imports.max_unpacked_bytes = options.import_max_unpacked_bytes;
        config.imports.max_rows = options.import_max_rows;
        (options.media)(&mut config);
        let media_config = config.clone();
        let media = Server::start(move |listener, shutdown| {
            media_service::run(listener, config, shutdown.wait())
        })
        .await;

        Self {
            media,
            auth,
            providers,
            media_config,
            media_db,
            auth_config: started_with,
            _auth_db: auth_db,
        }
    }

    /// Stops media-service gracefully and starts it again on the same
    /// database (on a new port).
    pub(crate) async fn restart_media(&mut self) {
        self.media.stop().await;
        let config = self.media_config.clone();
        self.media = Server::start(move |listener, shutdown| {
            media_service::run(listener, config, shutdown.wait())
        })
        .await;
    }

    /// Another replica of media-service, on the same database.
    pub(crate) async fn media_replica(&self) -> Server {
        let config = self.media_config.clone();
        Server::start(move |listener, shutdown| {
            media_service::run(listener, config, shutdown.wait())
        })
        .await
    }

    /// Starts a second media-service on the same database and cuts the
    /// first one off mid-flight, as a crash would: its leases are left to
    /// run out.
    pub(crate) async fn crash_media(&mut self) {
        let config = self.media_config.clone();
        let replacement = Server::start(move |listener, shutdown| {
            media_service::run(listener, config, shutdown.wait())
        })
        .await;
        // Dropping a running server aborts it.
        drop(std::mem::replace(&mut self.media, replacement));
    }

    pub(crate) fn client(&self) -> MediaServiceClient<Channel> {
        MediaServiceClient::new(self.media.channel.clone())
    }

    pub(crate) fn auth_client(&self) -> AuthServiceClient<Channel> {
        AuthServiceClient::new(self.auth.channel.clone())
    }

    /// Registers and logs in a new user; returns its access token.
    pub(crate) async fn user(&self) -> String {
        self.login_pair().await.access_token
    }

    pub(crate) async fn login_pair(&self) -> auth_pb::TokenPair {
        test_support::accounts::new_user(&self.auth_client()).await
    }

    /// A custom catalog item with `total_units`.
    pub(crate) async fn custom_item(
        &self,
        token: &str,
        kind: pb::MediaKind,
        title: &str,
        total_units: Option<i32>,
    ) -> pb::MediaItem {
        self.client()
            .create_custom_media_item(authed(
                token,
                pb::CreateCustomMediaItemRequest {
                    kind: kind as i32,
                    title: title.into(),
                    year: Some(2001),
                    image_url: String::new(),
                    summary: String::new(),
                    total_units,
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .media_item
            .unwrap()
    }

    pub(crate) async fn add(
        &self,
        token: &str,
        item_id: &str,
        status: pb::ListStatus,
        rating: Option<i32>,
    ) -> pb::ListEntry {
        self.try_add(token, item_id, status, rating).await.unwrap()
    }

    pub(crate) async fn update(
        &self,
        token: &str,
        entry: pb::ListEntry,
        paths: &[&str],
    ) -> Result<pb::ListEntry, Status> {
        self.client()
            .update_list_entry(authed(
                token,
                pb::UpdateListEntryRequest {
                    list_entry: Some(entry),
                    update_mask: mask(paths),
                    progress_increment: 0,
                },
            ))
            .await
            .map(|r| r.into_inner().list_entry.unwrap())
    }

    pub(crate) async fn get_entry(&self, token: &str, id: &str) -> Result<pb::ListEntry, Status> {
        self.client()
            .get_list_entry(authed(token, pb::GetListEntryRequest { id: id.into() }))
            .await
            .map(|r| r.into_inner().list_entry.unwrap())
    }

    pub(crate) async fn list(
        &self,
        token: &str,
        request: pb::ListListEntriesRequest,
    ) -> pb::ListListEntriesResponse {
        self.client()
            .list_list_entries(authed(token, request))
            .await
            .unwrap()
            .into_inner()
    }

    pub(crate) async fn try_add(
        &self,
        token: &str,
        item_id: &str,
        status: pb::ListStatus,
        rating: Option<i32>,
    ) -> Result<pb::ListEntry, Status> {
        self.client()
            .add_list_entry(authed(
                token,
                pb::AddListEntryRequest {
                    media: Some(pb::add_list_entry_request::Media::MediaItemId(
                        item_id.into(),
                    )),
                    status: status as i32,
                    rating,
                    progress: 0,
                    notes: String::new(),
                },
            ))
            .await
            .map(|r| r.into_inner().list_entry.unwrap())
    }
}

/// media-service's configuration for tests: providers at `providers`, fast
/// retries.
pub(crate) fn media_config(database_url: &str, auth_url: &str, providers: &str) -> Config {
    let mut config = Config::from_env(Env::from_vars([
        ("MEDIA_DATABASE_URL", database_url),
        ("AUTH_SERVICE_URL", auth_url),
    ]))
    .unwrap();
    let p = &mut config.providers;
    p.omdb_api_key = Some(SecretString::from(OMDB_KEY));
    p.rawg_api_key = Some(SecretString::from(RAWG_KEY));
    p.omdb_base_url = format!("{providers}/omdb");
    p.jikan_base_url = format!("{providers}/jikan/v4");
    p.openlibrary_base_url = format!("{providers}/openlibrary");
    p.rawg_base_url = format!("{providers}/rawg/api");
    p.tvmaze_base_url = format!("{providers}/tvmaze");
    p.backoff = Duration::from_millis(20);
    p.max_retries = 2;
    config.health_interval = Duration::from_millis(100);
    config.imports.poll_interval = Duration::from_millis(100);
    config.imports.lease = Duration::from_secs(2);
    config.imports.retry_backoff = Duration::from_millis(200);
    config
}

/// Asserts the code, the `ErrorInfo` reason (in this service's domain) and
/// a request id.
#[track_caller]
pub(crate) fn assert_error<T: std::fmt::Debug>(
    result: Result<T, Status>,
    code: Code,
    reason: &str,
) -> Status {
    test_support::assert_error(result, code, reason, "media.completionist")
}

pub(crate) use test_support::{authed, violated_fields};

pub(crate) use crate::values::{fixture, json_fixture, mask, reference, today};

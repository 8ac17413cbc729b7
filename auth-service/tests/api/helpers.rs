//! A real auth-service on port 0 over its own database, and typed helpers.

use std::time::Duration;

use auth_service::Config;
use completionist_common::config::Env;
use completionist_proto::auth::{
    self as pb, auth_service_client::AuthServiceClient, token_service_client::TokenServiceClient,
};
use test_support::{Server, TestDb};
use tonic::{Code, Status, transport::Channel};

pub(crate) const PASSWORD: &str = "correct horse battery";

pub(crate) struct TestApp {
    pub server: Server,
    pub config: Config,
    /// Kept so the database lives as long as the app.
    pub db: std::sync::Arc<TestDb>,
}

/// A configuration for tests: short intervals, no leeway.
pub(crate) fn test_config(database_url: &str) -> Config {
    let mut config = Config::from_env(Env::from_vars([
        ("AUTH_DATABASE_URL", database_url),
        ("JWT_SECRET", "test secret that is long enough to sign with"),
        ("JWT_LEEWAY_SECONDS", "0"),
    ]))
    .expect("test configuration is valid");
    config.health_interval = Duration::from_millis(100);
    config.hashing_concurrency = 2;
    config
}

impl TestApp {
    pub(crate) async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with a configuration changed by `configure`.
    pub(crate) async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        let db = TestDb::new("auth", auth_service::MIGRATIONS).await;
        Self::spawn_on(std::sync::Arc::new(db), configure).await
    }

    /// A second replica on the same database.
    pub(crate) async fn replica(&self) -> Self {
        let config = self.config.clone();
        Self::spawn_on(self.db.clone(), move |c| *c = config).await
    }

    async fn spawn_on(db: std::sync::Arc<TestDb>, configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = test_config(db.url());
        configure(&mut config);
        let server = {
            let config = config.clone();
            Server::start(|listener, shutdown| auth_service::run(listener, config, shutdown.wait()))
                .await
        };
        Self { server, config, db }
    }

    pub(crate) fn client(&self) -> AuthServiceClient<Channel> {
        AuthServiceClient::new(self.server.channel.clone())
    }

    /// The internal API other services call.
    pub(crate) fn tokens(&self) -> TokenServiceClient<Channel> {
        TokenServiceClient::new(self.server.channel.clone())
    }

    pub(crate) async fn register(&self, email: &str) -> pb::User {
        self.client()
            .register(pb::RegisterRequest {
                email: email.into(),
                password: PASSWORD.into(),
                display_name: "Test User".into(),
            })
            .await
            .expect("register")
            .into_inner()
            .user
            .expect("user")
    }

    pub(crate) async fn try_login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<pb::LoginResponse, Status> {
        self.client()
            .login(pb::LoginRequest {
                email: email.into(),
                password: password.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub(crate) async fn login(&self, email: &str) -> pb::TokenPair {
        self.try_login(email, PASSWORD)
            .await
            .expect("login")
            .tokens
            .expect("tokens")
    }

    /// Registers and logs in; returns the user and its tokens.
    pub(crate) async fn user(&self, email: &str) -> (pb::User, pb::TokenPair) {
        let user = self.register(email).await;
        let tokens = self.login(email).await;
        (user, tokens)
    }

    /// Registers an admin (through `grant_admin`, as the subcommand does)
    /// and logs it in.
    pub(crate) async fn admin(&self, email: &str) -> (pb::User, pb::TokenPair) {
        let user = self.register(email).await;
        assert!(
            auth_service::grant_admin(&self.config, email)
                .await
                .expect("grant admin")
        );
        let tokens = self.login(email).await;
        (user, tokens)
    }

    pub(crate) async fn refresh(&self, token: &str) -> Result<pb::TokenPair, Status> {
        self.client()
            .refresh(pb::RefreshRequest {
                refresh_token: token.into(),
            })
            .await
            .map(|r| r.into_inner().tokens.expect("tokens"))
    }

    pub(crate) async fn validate(
        &self,
        access_token: &str,
    ) -> Result<pb::ValidateTokenResponse, Status> {
        self.tokens()
            .validate_token(pb::ValidateTokenRequest {
                access_token: access_token.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub(crate) async fn current_user(&self, access_token: &str) -> Result<pb::User, Status> {
        self.client()
            .get_current_user(authed(access_token, pb::GetCurrentUserRequest {}))
            .await
            .map(|r| r.into_inner().user.expect("user"))
    }
}

/// An update mask naming `paths`.
pub(crate) fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// Asserts the code, the `ErrorInfo` reason (in this service's domain) and
/// a request id.
#[track_caller]
pub(crate) fn assert_error<T: std::fmt::Debug>(
    result: Result<T, Status>,
    code: Code,
    reason: &str,
) -> Status {
    test_support::assert_error(result, code, reason, "auth.completionist")
}

pub(crate) use test_support::{authed, violated_fields};

/// A unique email per call.
pub(crate) fn email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

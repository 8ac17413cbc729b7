//! auth-service: registers users, logs them in, issues and revokes tokens,
//! and validates them for the other services.
//!
//! One module per concept, each holding its RPCs end to end: `accounts`,
//! `sessions`, `admin`; `api` is the tonic trait, one line per method, and
//! `conversions` every protobuf ↔ domain conversion. [`run`] serves on an
//! already-bound listener until `shutdown` completes, so tests bind port 0
//! and start the real server in-process.

mod accounts;
mod admin;
mod api;
mod app;
pub mod config;
mod conversions;
mod db;
mod domain;
mod error;
mod password;
mod revocation;
mod schema;
mod sessions;
mod slots;
mod token;

use std::{future::Future, sync::Arc};

use completionist_common::{
    admission, authn, compression, config::ExposeSecret, db as common_db, guard, metrics, server,
};
use completionist_proto::{
    AUTH_DESCRIPTOR_SET, TOKENS_DESCRIPTOR_SET,
    auth::{
        auth_service_server::{self, AuthServiceServer},
        token_service_server::TokenServiceServer,
    },
};
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use tokio::net::TcpListener;
use tokio_util::task::AbortOnDropHandle;

pub use crate::config::Config;
use crate::{
    api::Api,
    app::App,
    revocation::Revocations,
    slots::{Activity, MarkActivity},
};

/// The schema of the auth database, applied at start-up.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/auth");

/// Advisory lock taken while migrating, so replicas starting together take
/// turns.
const MIGRATION_LOCK: i64 = 0x6175_7468; // "auth"

/// The fully qualified name of the service, as health checks ask for it.
pub const SERVICE_NAME: &str = auth_service_server::SERVICE_NAME;

/// The calls that need no access token; every other is authenticated
/// before its handler runs.
const PUBLIC_METHODS: &[&str] = &[
    "/completionist.auth.v1.AuthService/Register",
    "/completionist.auth.v1.AuthService/Login",
    "/completionist.auth.v1.AuthService/Refresh",
];

/// Calls admission control does not hold (`common::admission`): the
/// hashing calls queue for a hashing slot instead, which bounds their share
/// of the pool.
const UNPOOLED_METHODS: &[&str] = &[
    "/completionist.auth.v1.AuthService/Register",
    "/completionist.auth.v1.AuthService/Login",
    "/completionist.auth.v1.AuthService/ChangePassword",
];

/// TokenService's calls admission control does not hold: token checks and
/// the revocation feed answer from memory (ListDeletedUsers reads the
/// database, and waits its turn with AuthService's calls).
const UNPOOLED_TOKEN_METHODS: &[&str] = &[
    "/completionist.auth.v1.TokenService/ValidateToken",
    "/completionist.auth.v1.TokenService/WatchRevocations",
];

/// The methods that hash a password: every other call to the service marks
/// it busy, and a busy service leaves a core free of hashing (see
/// [`slots`]).
const HASHING_METHODS: &[&str] = &["Register", "Login", "ChangePassword"];

/// Applies pending migrations to the auth database.
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let url = config.database_url.expose_secret();
    common_db::migrate(url, MIGRATIONS, MIGRATION_LOCK).await
}

/// Grants the admin role to the registered account with this email.
pub async fn grant_admin(config: &Config, email: &str) -> anyhow::Result<bool> {
    let pool = common_db::pool(config.database_url.expose_secret(), config.pool);
    admin::grant_admin(&pool, email)
        .await
        .map_err(|e| anyhow::anyhow!("{}", completionist_common::error::Chain(&e)))
}

/// Serves auth-service on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let pool = common_db::pool(config.database_url.expose_secret(), config.pool);
    let revocations = Arc::new(Revocations::default());
    let activity = Arc::new(Activity::default());
    let app = App::new(&config, pool.clone(), revocations.clone(), activity.clone())?;

    // The listener and the cleanup loop end with this future (as it
    // returns, or is cut short).
    let database_url = config.database_url.clone();
    let listener_revocations = revocations.clone();
    let _listener = AbortOnDropHandle::new(tokio::spawn(async move {
        listener_revocations
            .listen(database_url.expose_secret())
            .await;
    }));
    let _cleanup = AbortOnDropHandle::new(tokio::spawn(clean_up_periodically(
        app.clone(),
        config.cleanup_interval,
    )));
    let _pool = AbortOnDropHandle::new(tokio::spawn(common_db::report_pool(pool.clone())));

    let (reporter, health) = tonic_health::server::health_reporter();
    let routes = routes(app, &config, activity, health)?;
    let readiness = server::database_readiness(
        reporter,
        SERVICE_NAME,
        config.database_url.expose_secret(),
        config.health_interval,
        config.stop_delay,
    );
    // Revocation feeds end (UNAVAILABLE) as soon as shutdown begins: they
    // would otherwise hold the drain open until its timeout.
    let shutdown = async {
        shutdown.await;
        revocations.stop();
    };
    server::serve(listener, routes, readiness, shutdown).await?;
    Ok(())
}

/// Health, reflection, AuthService and TokenService behind their layers.
fn routes(
    app: App,
    config: &Config,
    activity: Arc<Activity>,
    health: tonic_health::pb::health_server::HealthServer<
        impl tonic_health::pb::health_server::Health,
    >,
) -> anyhow::Result<tonic::service::Routes> {
    // Outermost first: who is calling, whether there is room, whether the
    // request is well formed; then the service.
    let api = AuthServiceServer::new(Api(app.clone()))
        .max_decoding_message_size(server::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(server::MAX_MESSAGE_BYTES);
    let api = compression::ENCODINGS
        .into_iter()
        .fold(api, |s, e| s.accept_compressed(e).send_compressed(e));
    let api = guard::protect(
        api,
        AUTH_DESCRIPTOR_SET,
        error::DOMAIN,
        server::MAX_MESSAGE_BYTES,
    )?;
    let limits = admission::Limits::for_pool(config.pool);
    let api = admission::protect(api, limits, UNPOOLED_METHODS, error::DOMAIN);
    // The internal API: well-formed requests only, no bearer token of the
    // caller's own (each call is about the token it carries; auth-service's
    // port belongs on the services' private network), the same admission.
    let tokens = TokenServiceServer::new(Api(app.clone()))
        .max_decoding_message_size(server::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(server::MAX_MESSAGE_BYTES);
    let tokens = compression::ENCODINGS
        .into_iter()
        .fold(tokens, |s, e| s.accept_compressed(e).send_compressed(e));
    let tokens = guard::protect(
        tokens,
        TOKENS_DESCRIPTOR_SET,
        error::DOMAIN,
        server::MAX_MESSAGE_BYTES,
    )?;
    let tokens = api.beside(tokens, UNPOOLED_TOKEN_METHODS);
    let api = authn::protect(api, app, PUBLIC_METHODS);
    let routes = server::base_routes(health, &[AUTH_DESCRIPTOR_SET, TOKENS_DESCRIPTOR_SET])?
        .add_service(MarkActivity::new(api, activity.clone(), HASHING_METHODS))
        .add_service(MarkActivity::new(tokens, activity, &[]));
    Ok(metrics::measure_calls(routes))
}

async fn clean_up_periodically(app: App, interval: std::time::Duration) {
    loop {
        tokio::time::sleep(interval).await;
        match admin::cleanup(&app).await {
            Ok(deleted) => tracing::info!(deleted, "removed expired revocations and tokens"),
            Err(error) => {
                let error = completionist_common::error::Chain(&error);
                tracing::warn!(%error, "cleanup failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn methods() -> Vec<String> {
        authn::methods_of(AUTH_DESCRIPTOR_SET, SERVICE_NAME)
    }

    #[test]
    fn public_methods_are_methods_of_the_service() {
        let methods = methods();
        assert!(
            !methods.is_empty(),
            "{SERVICE_NAME} not in the descriptor set"
        );
        for method in PUBLIC_METHODS {
            assert!(
                methods.iter().any(|m| m == method),
                "{method} not in {methods:?}"
            );
        }
    }

    #[test]
    fn unpooled_methods_are_methods_of_the_service() {
        let methods = methods();
        for method in UNPOOLED_METHODS {
            assert!(
                methods.iter().any(|m| m == method),
                "{method} not in {methods:?}"
            );
        }
        let token_methods =
            authn::methods_of(TOKENS_DESCRIPTOR_SET, "completionist.auth.v1.TokenService");
        for method in UNPOOLED_TOKEN_METHODS {
            assert!(token_methods.iter().any(|m| m == method), "{method}");
        }
    }

    #[test]
    fn hashing_methods_are_methods_of_the_service() {
        let methods = methods();
        for method in HASHING_METHODS {
            let path = format!("/{SERVICE_NAME}/{method}");
            assert!(methods.contains(&path), "{path} not in {methods:?}");
        }
    }
}

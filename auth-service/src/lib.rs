//! auth-service: registers users, logs them in, issues and revokes tokens,
//! and validates them for the other services.
//!
//! [`run`] serves on an already-bound listener until `shutdown` completes,
//! so tests bind port 0 and start the real server in-process.

mod app;
pub mod config;
mod db;
mod domain;
mod error;
mod password;
mod revocation;
mod schema;
mod service;
mod slots;
mod token;

use std::{future::Future, sync::Arc};

use completionist_common::{db as common_db, server};
use completionist_proto::auth::auth_service_server::AuthServiceServer;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use tokio::{net::TcpListener, task::JoinSet};
use tonic::server::NamedService;

pub use crate::config::Config;
use crate::{
    app::App,
    revocation::Revocations,
    service::AuthApi,
    slots::{Activity, MarkActivity},
};

/// The schema of the auth database, applied at start-up.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/auth");

/// Advisory lock taken while migrating, so replicas starting together take
/// turns.
const MIGRATION_LOCK: i64 = 0x6175_7468; // "auth"

/// The fully qualified name of the service, as health checks ask for it.
pub const SERVICE_NAME: &str = <AuthServiceServer<AuthApi> as NamedService>::NAME;

/// The methods that hash a password: every other call to the service marks
/// it busy, and a busy service leaves a core free of hashing (see
/// [`slots`]).
const HASHING_METHODS: &[&str] = &["Register", "Login", "ChangePassword"];

/// Applies pending migrations to the auth database.
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    common_db::migrate(config.database_url.expose(), MIGRATIONS, MIGRATION_LOCK).await
}

/// Grants the admin role to the registered account with this email.
pub async fn grant_admin(config: &Config, email: &str) -> anyhow::Result<bool> {
    let pool = common_db::pool(config.database_url.expose(), config.pool);
    app::grant_admin(&pool, email)
        .await
        .map_err(|e| anyhow::anyhow!("{}", completionist_common::error::Chain(&e)))
}

/// Serves auth-service on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let pool = common_db::pool(config.database_url.expose(), config.pool);
    let revocations = Arc::new(Revocations::default());
    let activity = Arc::new(Activity::default());
    let app = App::new(&config, pool.clone(), revocations.clone(), activity.clone())?;

    let database_url = config.database_url.clone();
    let mut background = JoinSet::new();
    background.spawn(async move { revocations.listen(database_url.expose()).await });
    let cleanup_app = app.clone();
    let cleanup_interval = config.cleanup_interval;
    background.spawn(async move {
        loop {
            tokio::time::sleep(cleanup_interval).await;
            match cleanup_app.cleanup().await {
                Ok(deleted) => tracing::info!(deleted, "removed expired revocations and tokens"),
                Err(error) => tracing::warn!(error = %completionist_common::error::Chain(&error), "cleanup failed"),
            }
        }
    });

    let (reporter, health) = tonic_health::server::health_reporter();
    let routes = server::base_routes(health, &[completionist_proto::AUTH_DESCRIPTOR_SET])?
        .add_service(MarkActivity::new(
            AuthServiceServer::new(AuthApi::new(app)),
            activity,
            HASHING_METHODS,
        ));
    let readiness =
        server::database_readiness(reporter, SERVICE_NAME, pool, config.health_interval);
    // Dropping `background` (also when this future is dropped) stops the
    // listener and the cleanup loop.
    server::serve(listener, routes, readiness, shutdown).await?;
    drop(background);
    Ok(())
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use prost_types::FileDescriptorSet;

    use super::*;

    #[test]
    fn hashing_methods_are_methods_of_the_service() {
        let set = FileDescriptorSet::decode(completionist_proto::AUTH_DESCRIPTOR_SET).unwrap();
        let methods: Vec<String> = set
            .file
            .iter()
            .flat_map(|file| {
                let package = file.package().to_owned();
                file.service
                    .iter()
                    .filter(move |service| format!("{package}.{}", service.name()) == SERVICE_NAME)
            })
            .flat_map(|service| service.method.iter().map(|m| m.name().to_owned()))
            .collect();
        assert!(
            !methods.is_empty(),
            "{SERVICE_NAME} not in the descriptor set"
        );
        for method in HASHING_METHODS {
            assert!(
                methods.iter().any(|m| m == method),
                "{method} not in {methods:?}"
            );
        }
    }
}

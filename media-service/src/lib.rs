//! media-service: the catalog of things to watch, read and play, each
//! user's list of them, and the external providers they come from. Every
//! call is authenticated by auth-service's ValidateToken, in a layer before
//! any handler runs.
//!
//! One module per concept, each holding its RPCs end to end: `catalog` and
//! `list`; `api` is the tonic trait, one line per method, and
//! `conversions` every protobuf ↔ domain conversion. [`run`] serves on an
//! already-bound listener until `shutdown` completes, so tests bind port 0
//! and start the real server in-process.

mod api;
mod app;
mod auth;
mod calendar;
mod catalog;
pub mod config;
mod conversions;
mod db;
mod deleted_accounts;
mod domain;
mod error;
mod list;
mod providers;
mod schema;
mod scrobbles;
mod secrets;
mod series;
mod transfers;
mod watch;

use std::{future::Future, sync::Arc};

use completionist_common::{
    admission, authn, compression, config::ExposeSecret, db as common_db, descriptors, guard,
    metrics, server,
};
use completionist_proto::media::{
    calendar_feed_service_server::CalendarFeedServiceServer,
    media_service_server::{self, MediaServiceServer},
    scrobble_intake_service_server::ScrobbleIntakeServiceServer,
};
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::AbortOnDropHandle};
use tonic::service::Routes;

pub use crate::config::Config;
use crate::{
    api::Api,
    app::App,
    auth::AuthClient,
    providers::Providers,
    transfers::{state::Imports, worker::Worker},
    watch::Hub,
};

/// The schema of the media database, applied at start-up.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/media");

/// Advisory lock taken while migrating, so replicas starting together take
/// turns.
const MIGRATION_LOCK: i64 = 0x006d_6564_6961; // "media"

/// The fully qualified name of the service, as health checks ask for it.
pub const SERVICE_NAME: &str = media_service_server::SERVICE_NAME;

/// Every call needs an access token.
const PUBLIC_METHODS: &[&str] = &[];

/// Applies pending migrations to the media database.
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let url = config.database_url.expose_secret();
    common_db::migrate(url, MIGRATIONS, MIGRATION_LOCK).await
}

/// Serves media-service on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let app = app(&config)?;
    let stopping = app.shutdown.clone();
    let database_url = config.database_url.expose_secret().to_owned();
    let _listener = background(app.watch.clone().listen(database_url));
    let _pruner = background(watch::prune_history(app.clone()));
    let _revocations = background(watch::follow_revocations(app.clone()));
    let _deletions = background(deleted_accounts::remove_deleted(app.clone()));
    let _refreshes = background(series::refresh::run(app.clone()));
    let _pool = background(common_db::report_pool(app.pool.clone()));
    let worker = Worker::start(app.clone());
    let enricher = background(transfers::enrich::run(app.clone()));
    let (reporter, health) = tonic_health::server::health_reporter();
    let routes = routes(app, &config, health)?;
    let readiness = server::database_readiness(
        reporter,
        SERVICE_NAME,
        config.database_url.expose_secret(),
        config.health_interval,
        config.stop_delay,
    );
    // Streams end (UNAVAILABLE) as soon as shutdown begins: they would
    // otherwise hold the drain open until its timeout.
    let shutdown = {
        let stopping = stopping.clone();
        async move {
            shutdown.await;
            stopping.cancel();
        }
    };
    let builder = server::builder().max_concurrent_streams(max_http2_streams(&config.watch));
    let served = server::serve_with(builder, listener, routes, readiness, shutdown).await;
    // Also when the server failed rather than was told to stop.
    stopping.cancel();
    // Jobs under way are let go, for the next replica to take at once.
    worker.finished().await;
    let _ = enricher.await;
    served?;
    Ok(())
}

/// Health, reflection, MediaService behind its layers, and the gateway's
/// CalendarFeedService.
fn routes(
    app: App,
    config: &Config,
    health: tonic_health::pb::health_server::HealthServer<
        impl tonic_health::pb::health_server::Health,
    >,
) -> anyhow::Result<Routes> {
    let auth = app.auth.clone();
    // An upload is one message: the largest file plus its framing fields.
    let max_upload = config.imports.max_bytes + 64 * 1024;

    // Outermost first: who is calling, whether there is room, whether an
    // upload has a place to be read in, whether the request is well
    // formed; then the service.
    let imports_state = app.imports.clone();
    let feeds_app = app.clone();
    let api = MediaServiceServer::new(Api(app))
        .max_decoding_message_size(max_upload.max(server::MAX_MESSAGE_BYTES))
        .max_encoding_message_size(server::MAX_MESSAGE_BYTES);
    let api = compression::ENCODINGS
        .into_iter()
        .fold(api, |s, e| s.accept_compressed(e).send_compressed(e));
    // The methods that take a file (StartImport), as the descriptors say.
    let uploads =
        descriptors::shapes_of(completionist_proto::MEDIA_DESCRIPTOR_SET, SERVICE_NAME).uploads;
    let api = uploads.iter().fold(
        guard::protect(
            api,
            completionist_proto::MEDIA_DESCRIPTOR_SET,
            error::DOMAIN,
            server::MAX_MESSAGE_BYTES,
        )?,
        |api, path| api.allow(path, max_upload),
    );
    let api = transfers::read_places::protect(api, imports_state, uploads);
    let limits = admission::Limits::for_pool(config.pool);
    let api = admission::protect(api, limits, &[], error::DOMAIN);
    let scrobbles_app = feeds_app.clone();
    let feeds = api.beside(feeds_service(feeds_app)?, &[]);
    let scrobbles = api.beside(scrobbles_service(scrobbles_app)?, &[]);
    let api = authn::protect(api, auth, PUBLIC_METHODS);
    let routes = server::base_routes(
        health,
        &[
            completionist_proto::MEDIA_DESCRIPTOR_SET,
            completionist_proto::FEEDS_DESCRIPTOR_SET,
            completionist_proto::SCROBBLES_DESCRIPTOR_SET,
        ],
    )?
    .add_service(api)
    .add_service(feeds)
    .add_service(scrobbles);
    Ok(metrics::measure_calls(routes))
}

/// The gateway's internal API: well-formed requests only, and no bearer
/// token (each call is about the feed token it carries; media-service's
/// port belongs on the services' private network).
fn feeds_service(
    app: App,
) -> anyhow::Result<guard::Guarded<CalendarFeedServiceServer<calendar::ics::Feeds>>> {
    let feeds = CalendarFeedServiceServer::new(calendar::ics::Feeds::new(app))
        .max_decoding_message_size(server::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(server::MAX_MESSAGE_BYTES);
    let feeds = compression::ENCODINGS
        .into_iter()
        .fold(feeds, |s, e| s.accept_compressed(e).send_compressed(e));
    Ok(guard::protect(
        feeds,
        completionist_proto::FEEDS_DESCRIPTOR_SET,
        error::DOMAIN,
        server::MAX_MESSAGE_BYTES,
    )?)
}

/// The gateway's internal API for media servers' webhooks, as
/// [`feeds_service`]: each call is about the scrobble token it carries.
fn scrobbles_service(
    app: App,
) -> anyhow::Result<guard::Guarded<ScrobbleIntakeServiceServer<scrobbles::intake::Intake>>> {
    let intake = ScrobbleIntakeServiceServer::new(scrobbles::intake::Intake::new(app))
        .max_decoding_message_size(server::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(server::MAX_MESSAGE_BYTES);
    let intake = compression::ENCODINGS
        .into_iter()
        .fold(intake, |s, e| s.accept_compressed(e).send_compressed(e));
    Ok(guard::protect(
        intake,
        completionist_proto::SCROBBLES_DESCRIPTOR_SET,
        error::DOMAIN,
        server::MAX_MESSAGE_BYTES,
    )?)
}

/// A background task that ends with the returned handle: when `run`
/// returns, or its future is cut short.
fn background(task: impl Future<Output = ()> + Send + 'static) -> AbortOnDropHandle<()> {
    AbortOnDropHandle::new(tokio::spawn(task))
}

/// HTTP/2 streams per connection: bounded by the server streams' own
/// limits, not per connection (a gateway carries many browsers' streams on
/// one), with room for the unary calls beside them.
fn max_http2_streams(watch: &config::WatchConfig) -> u32 {
    let streams: usize = [
        watch.list_streams,
        watch.import_streams,
        watch.export_streams,
    ]
    .iter()
    .map(|limits| limits.per_replica)
    .sum();
    u32::try_from(streams + 256).unwrap_or(u32::MAX)
}

/// The state every call shares.
fn app(config: &Config) -> anyhow::Result<App> {
    let shutdown = CancellationToken::new();
    let pool = common_db::pool(config.database_url.expose_secret(), config.pool);
    Ok(App {
        providers: Arc::new(Providers::new(&config.providers, &pool)?),
        pool,
        page_tokens: completionist_common::config::page_tokens(
            config.page_token_secret.as_ref(),
            SERVICE_NAME,
        ),
        imports: Imports::new(config.imports.clone()),
        watch: Hub::new(config.watch.clone(), shutdown.clone()),
        auth: AuthClient::new(&config.auth_service_url, config.auth_cache_ttl)?,
        deleted_accounts: Arc::default(),
        series: Arc::new(series::Series::new(config.series.clone())),
        scrobbles: Arc::new(config.scrobbles.clone()),
        shutdown,
    })
}

//! media-service end to end: a real auth-service and media-service on port
//! 0, real Postgres databases, providers played by a local HTTP server
//! serving payloads shaped like the real APIs.
#![expect(clippy::unwrap_used, reason = "a test fails by panicking")]

mod auth;
mod calendar;
mod catalog;
mod deleted_accounts;
mod exports;
mod helpers;
mod hostile_input;
mod imports;
mod imports_attempts;
mod imports_bounds;
mod imports_catalog_text;
mod imports_conflicts;
mod imports_errors;
mod imports_formats;
mod imports_hostile;
mod list;
mod list_listing;
mod list_progress;
mod list_update;
mod platform;
mod privacy;
mod providers;
mod providers_books_games;
mod providers_resilience;
mod runs;
mod scrobbles;
mod scrobbles_errors;
mod series;
mod series_refresh;
mod series_runs;
mod series_transfers;
mod shows;
mod values;
mod watch;
mod watch_ends;
mod watch_resume;

//! auth-service end to end: a real server on port 0, a real Postgres
//! database per test, real gRPC clients.

#![expect(clippy::unwrap_used, reason = "a test fails by panicking")]

mod accounts;
mod admin;
mod admin_updates;
mod deleted_users;
mod helpers;
mod input;
mod platform;
mod races;
mod revocation_feed;
mod revocations;
mod sessions;

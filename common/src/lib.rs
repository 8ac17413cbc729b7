//! What every Completionist binary needs the same way: configuration from the
//! environment, telemetry, request ids, the mapping of errors to
//! `google.rpc.Status`, database plumbing and the gRPC server start-up.

pub mod channel;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod health;
pub mod metadata;
pub mod page_token;
pub mod request_id;
pub mod server;
pub mod shutdown;
pub mod telemetry;
pub mod time;

//! What every Completionist binary needs the same way: configuration from the
//! environment, telemetry, request ids, authentication, the mapping of errors
//! to `google.rpc.Status`, paging and update masks, database plumbing and
//! the gRPC server start-up.

pub mod admission;
pub mod authn;
pub mod channel;
pub mod cli;
pub mod compression;
pub mod config;
pub mod db;
pub mod descriptors;
pub mod error;
pub mod field_mask;
pub mod gate;
pub mod guard;
pub mod health;
pub mod listen;
pub mod memory;
pub mod metrics;
pub mod paging;
pub mod pg_enum;
pub mod quota;
pub mod request_id;
pub mod retry;
pub mod server;
pub mod shutdown;
pub mod sql;
pub mod telemetry;
pub mod time;
pub mod trace;

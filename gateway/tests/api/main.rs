//! The gateway end to end: auth-service, media-service and the gateway on
//! port 0 over real databases, a local HTTP stand-in for the providers, and
//! clients nobody here wrote: `buf curl --protocol grpcweb` over HTTP/1.1
//! as a browser sends it, reqwest for CORS and gRPC-Web text, and tonic
//! for plain gRPC.
#![expect(clippy::unwrap_used, reason = "a test fails by panicking")]

mod browser;
mod calendar;
mod compression;
mod grpc;
mod helpers;
mod hostile;
mod imports;
mod metrics;
mod processes;
mod replicas;
mod scrobble;
mod scrobble_refused;
mod stream_bounds;
mod streams;
mod traces;
mod uploads;
mod web;

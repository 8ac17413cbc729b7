//! The Completionist APIs as generated Rust code, shared by every crate so
//! that nobody else runs code generation (as in tonic's `extern_path` test).

mod redact;

/// `completionist.auth.v1`: accounts, sessions and tokens (`AuthService`),
/// and what other services ask of them (`TokenService`).
#[expect(
    clippy::allow_attributes,
    clippy::allow_attributes_without_reason,
    clippy::too_many_lines,
    reason = "tonic's generated code allows lints of its own"
)]
pub mod auth {
    tonic::include_proto!("completionist.auth.v1");
}

/// `completionist.media.v1`: the catalog, each user's list, the providers.
#[expect(
    clippy::allow_attributes,
    clippy::allow_attributes_without_reason,
    clippy::too_many_lines,
    reason = "tonic's generated code allows lints of its own"
)]
pub mod media {
    tonic::include_proto!("completionist.media.v1");
}

/// The encoded `FileDescriptorSet` of `completionist.auth.v1` and its
/// imports, for server reflection.
pub const AUTH_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/auth_descriptor.bin"));

/// The encoded `FileDescriptorSet` of `completionist.auth.v1.TokenService`,
/// auth-service's internal API, and its imports: for auth-service's
/// reflection, never the gateway's.
pub const TOKENS_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/tokens_descriptor.bin"));

/// The encoded `FileDescriptorSet` of `completionist.media.v1` and its
/// imports, for server reflection.
pub const MEDIA_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/media_descriptor.bin"));

/// The encoded `FileDescriptorSet` of
/// `completionist.media.v1.CalendarFeedService`, media-service's internal
/// API for the gateway: for media-service's reflection, never the
/// gateway's.
pub const FEEDS_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/feeds_descriptor.bin"));

/// The encoded `FileDescriptorSet` of
/// `completionist.media.v1.ScrobbleIntakeService`, media-service's internal
/// API for the gateway's webhooks, and its imports: for media-service's
/// reflection, never the gateway's.
pub const SCROBBLES_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/scrobbles_descriptor.bin"));

/// The encoded `FileDescriptorSet` of the `google.rpc` error details every
/// error carries, so reflection clients (grpcurl) can print them.
pub const ERROR_DETAILS_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/error_details_descriptor.bin"));

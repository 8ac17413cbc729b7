//! The Completionist APIs as generated Rust code, shared by every crate so
//! that nobody else runs code generation (as in tonic's `extern_path` test).

mod redact;

/// `completionist.auth.v1`: accounts, sessions and tokens.
pub mod auth {
    tonic::include_proto!("completionist.auth.v1");
}

/// `completionist.media.v1`: the catalog, each user's list, the providers.
pub mod media {
    tonic::include_proto!("completionist.media.v1");
}

/// The encoded `FileDescriptorSet` of both APIs and everything they import,
/// for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/completionist_descriptor.bin"));

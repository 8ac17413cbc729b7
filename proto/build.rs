//! Compiles the `.proto` files with protox (no system `protoc`), generates the
//! tonic code, and writes one encoded descriptor set per API for server
//! reflection (each with its imports), plus one for the error details.

use std::{env, fs, path::PathBuf};

use prost::Message;

/// Messages that carry passwords or tokens: their `Debug` is written by hand in
/// `src/redact.rs` so that a logged request never shows a secret.
const SECRET_MESSAGES: &[&str] = &[
    ".completionist.auth.v1.RegisterRequest",
    ".completionist.auth.v1.LoginRequest",
    ".completionist.auth.v1.RefreshRequest",
    ".completionist.auth.v1.ValidateTokenRequest",
    ".completionist.auth.v1.ChangePasswordRequest",
    ".completionist.auth.v1.TokenPair",
    ".completionist.media.v1.RenderCalendarFeedRequest",
    ".completionist.media.v1.CreateCalendarFeedResponse",
    ".completionist.media.v1.RecordScrobbleRequest",
    ".completionist.media.v1.ScrobbleUrl",
];

const AUTH: &str = "completionist/auth/v1/auth.proto";
const TOKENS: &str = "completionist/auth/v1/tokens.proto";
const MEDIA: &str = "completionist/media/v1/media.proto";
const FEEDS: &str = "completionist/media/v1/feeds.proto";
const SCROBBLES: &str = "completionist/media/v1/scrobbles.proto";
const ERROR_DETAILS: &str = "google/rpc/error_details.proto";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=completionist");
    println!("cargo:rerun-if-changed=third_party");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);

    for (file, include, name) in [
        (AUTH, ".", "auth_descriptor.bin"),
        (TOKENS, ".", "tokens_descriptor.bin"),
        (MEDIA, ".", "media_descriptor.bin"),
        (FEEDS, ".", "feeds_descriptor.bin"),
        (SCROBBLES, ".", "scrobbles_descriptor.bin"),
        (ERROR_DETAILS, "third_party", "error_details_descriptor.bin"),
    ] {
        let set = protox::compile([file], [include])?;
        fs::write(out_dir.join(name), set.encode_to_vec())?;
    }

    tonic_prost_build::configure()
        .skip_debug(SECRET_MESSAGES)
        // Files of tens of megabytes: shared, not copied, from the buffer
        // they arrive in.
        .bytes(".completionist.media.v1.StartImportRequest.content")
        .bytes(".completionist.media.v1.ExportListResponse.data")
        .bytes(".completionist.media.v1.RenderCalendarFeedResponse.ics")
        // A change is hundreds of bytes, a heartbeat none.
        .boxed(".completionist.media.v1.WatchListEntriesResponse.event.change")
        .compile_fds(protox::compile(
            [AUTH, TOKENS, MEDIA, FEEDS, SCROBBLES],
            ["."],
        )?)?;
    Ok(())
}

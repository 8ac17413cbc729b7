//! Compiles the `.proto` files with protox (no system `protoc`), generates the
//! tonic code, and writes the encoded descriptor set for server reflection.

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
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "completionist/auth/v1/auth.proto",
        "completionist/media/v1/media.proto",
    ];
    println!("cargo:rerun-if-changed=completionist");

    let fds = protox::compile(files, ["."])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("completionist_descriptor.bin"),
        fds.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        .skip_debug(SECRET_MESSAGES)
        .compile_fds(fds)?;
    Ok(())
}

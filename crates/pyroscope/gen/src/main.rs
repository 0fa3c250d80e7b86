//! Regenerates `crates/pyroscope/src/generated/` from the schemas in `crates/pyroscope/proto/`.
//!
//! `cargo run` (from `just proto`) writes the files; `cargo run -- --check` generates into a
//! temporary directory and fails when the result differs from the checked-in files. Both run
//! `rustfmt --edition 2024` (with the repository's `rustfmt.toml`) on the output, so the checked-in
//! files are exactly what `cargo fmt` keeps.
//!
//! Design decisions: protox parses the schemas in pure Rust, so no `protoc` is needed anywhere;
//! `bytes` fields become `bytes::Bytes` so a `RawSample` shares its profile bytes instead of
//! copying them; one file per package, named by prost-build (`push.v1.rs`, …).

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const FILES: [&str; 3] = ["push.proto", "types.proto", "profile.proto"];
const OUTPUTS: [&str; 3] = ["push.v1.rs", "types.v1.rs", "perftools.profiles.rs"];

fn main() -> Result<(), Box<dyn Error>> {
    let check = std::env::args().any(|a| a == "--check");
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("generator has no parent directory")?
        .to_path_buf();
    let proto_dir = crate_dir.join("proto");
    let target_dir = crate_dir.join("src").join("generated");
    let out_dir = if check {
        let dir =
            std::env::temp_dir().join(format!("ferroalloy-pyroscope-gen-{}", std::process::id()));
        fs::create_dir_all(&dir)?;
        dir
    } else {
        target_dir.clone()
    };

    fs::create_dir_all(&out_dir)?;
    generate(&proto_dir, &out_dir)?;
    let paths: Vec<PathBuf> = OUTPUTS.iter().map(|f| out_dir.join(f)).collect();
    let status = Command::new("rustfmt")
        .arg("--edition")
        .arg("2024")
        .arg("--config-path")
        .arg(crate_dir.join("..").join("..").join("rustfmt.toml"))
        .args(&paths)
        .status()?;
    if !status.success() {
        return Err(format!("rustfmt failed: {status}").into());
    }

    if check {
        let mut stale = Vec::new();
        for name in OUTPUTS {
            let fresh = fs::read_to_string(out_dir.join(name))?;
            let current = fs::read_to_string(target_dir.join(name)).unwrap_or_default();
            if fresh != current {
                stale.push(name);
            }
        }
        fs::remove_dir_all(&out_dir)?;
        if !stale.is_empty() {
            return Err(format!(
                "generated code is stale: {} (run `just proto`)",
                stale.join(", ")
            )
            .into());
        }
        println!("generated code is up to date");
    }
    Ok(())
}

fn generate(proto_dir: &Path, out_dir: &Path) -> Result<(), Box<dyn Error>> {
    let fds = protox::compile(FILES, [proto_dir])?;
    let mut config = prost_build::Config::new();
    config.out_dir(out_dir);
    config.bytes(["."]);
    config.compile_fds(fds)?;
    Ok(())
}

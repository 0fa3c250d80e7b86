//! Helpers for the end-to-end tests: locating the real `ferroalloy` binary, running it on
//! temporary configuration files, and capturing what a user would see.
//!
//! This crate only serves tests, so a broken fixture stops the test with a message.
#![allow(clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The path of the `ferroalloy` binary built for this test run.
///
/// `cargo test --workspace` builds it next to the test executables' directory; when a test of
/// this crate runs alone, it is built once with the same cargo.
pub fn ferroalloy_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test executables live in target/<profile>/deps");
        let binary = profile_dir.join(format!("ferroalloy{}", std::env::consts::EXE_SUFFIX));
        if !binary.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let status = Command::new(cargo)
                .args(["build", "-p", "ferroalloy-runtime", "--bin", "ferroalloy"])
                .status()
                .expect("run cargo build");
            assert!(
                status.success(),
                "cargo build of the ferroalloy binary failed"
            );
        }
        binary
    })
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output as text.
    pub stdout: String,
    /// Standard error as text.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Run `ferroalloy <args>` in `dir` with `stdin` as standard input, `NO_COLOR` set, and wait for
/// it to finish.
pub fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    use std::io::Write;
    let mut child = Command::new(ferroalloy_binary())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ferroalloy");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin).expect("write stdin");
    }
    child
        .wait_with_output()
        .expect("wait for ferroalloy")
        .into()
}

/// The repository's copy of Alloy's syntax conformance corpus.
pub fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance/syntax")
}

/// Write the files of a txtar archive (`-- name --` headers) into `dir`.
pub fn write_txtar(archive: &str, dir: &Path) {
    let mut current: Option<(String, String)> = None;
    let flush = |entry: Option<(String, String)>| {
        if let Some((name, content)) = entry {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("create txtar directory");
            }
            std::fs::write(path, content).expect("write txtar file");
        }
    };
    for line in archive.split_inclusive('\n') {
        let trimmed = line.trim_end_matches('\n');
        if let Some(name) = trimmed
            .strip_prefix("-- ")
            .and_then(|rest| rest.strip_suffix(" --"))
        {
            flush(current.take());
            current = Some((name.to_owned(), String::new()));
        } else if let Some((_, content)) = current.as_mut() {
            content.push_str(line);
        }
    }
    flush(current);
}

//! Shared helpers of the `local.file` behaviour tests.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferroalloy_component::HealthState;
use ferroalloy_local_file::{LAST_ACCESSED_METRIC, LocalFile, LocalFileArguments};
use ferroalloy_test_util::{ComponentHarness, eventually};
use ferroalloy_value::duration::Duration as ConfigDuration;
use ferroalloy_value::{Capsule, Object, OptionalSecret, Value};

/// The bound of every "within 1 s" of the spec.
pub const ONE_SECOND: Duration = Duration::from_secs(1);

/// A generous bound for waits that are not under test (set-up, recovery after a poll).
pub const PATIENCE: Duration = Duration::from_secs(10);

pub type Harness = ComponentHarness<LocalFile>;

/// Arguments for `path` with `detector` and `poll_frequency` (Go duration text).
pub fn args(path: &Path, detector: &str, poll_frequency: &str) -> LocalFileArguments {
    LocalFileArguments {
        filename: path.display().to_string(),
        detector: detector.to_owned(),
        poll_frequency: ConfigDuration::parse(poll_frequency).unwrap(),
        is_secret: false,
    }
}

/// The `content` export of `object`.
pub fn content(object: &Object) -> OptionalSecret {
    match object.get("content") {
        Some(Value::Capsule(Capsule::OptionalSecret(content))) => content.clone(),
        other => panic!("content is not an optional secret: {other:?}"),
    }
}

/// The text of the latest export.
pub fn latest_text(harness: &Harness) -> Option<String> {
    harness
        .latest_export()
        .map(|o| content(&o).expose().to_owned())
}

/// Build and start a harness over `args`.
pub async fn started(args: LocalFileArguments) -> Harness {
    let mut harness = Harness::build(args).await.unwrap();
    harness.start();
    harness
}

/// Build and start a harness over `args` with the `fsnotify` detector, and wait until the
/// watch is set up: the detector reads once right after arming, which moves the gauge of the
/// last read. Changes made after this returns are seen only through notifications (or the
/// fallback poll).
pub async fn watching(args: LocalFileArguments) -> Harness {
    assert_eq!(
        args.detector_kind(),
        ferroalloy_local_file::Detector::Fsnotify
    );
    let mut harness = Harness::build(args).await.unwrap();
    let built = harness.metric_value(LAST_ACCESSED_METRIC).unwrap();
    harness.start();
    let armed = eventually(PATIENCE, || {
        harness
            .metric_value(LAST_ACCESSED_METRIC)
            .is_some_and(|t| t > built)
    })
    .await;
    assert!(armed, "the detector did not start");
    harness
}

/// Wait until the latest export is `expected`.
pub async fn exported_within(harness: &Harness, expected: &str, timeout: Duration) -> bool {
    eventually(timeout, || {
        latest_text(harness).as_deref() == Some(expected)
    })
    .await
}

/// Wait until the component's health has `state`.
pub async fn health_within(harness: &Harness, state: HealthState, timeout: Duration) -> bool {
    eventually(timeout, || {
        harness.health().is_some_and(|h| h.state == state)
    })
    .await
}

/// The health message, or `""`.
pub fn health_message(harness: &Harness) -> String {
    harness.health().map(|h| h.message).unwrap_or_default()
}

/// Write `content` to `path` without replacing the file (open, truncate, write).
pub fn write_in_place(path: &Path, content: &str) {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .unwrap();
    file.write_all(content.as_bytes()).unwrap();
}

/// Write `content` to a temporary file beside `path` and rename it over `path`.
pub fn replace_atomically(path: &Path, content: &str) {
    let tmp = path.with_extension("tmp-new");
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Whether this process ignores file modes (root, or a capability that bypasses them): a file
/// with mode 000 can still be opened.
pub fn file_modes_are_ignored(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dir.join("mode-probe");
    std::fs::write(&probe, "x").unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o000)).unwrap();
    let ignored = std::fs::File::open(&probe).is_ok();
    std::fs::remove_file(&probe).unwrap();
    ignored
}

/// A buffer that collects log output.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Collect every log line of this thread (all levels) into the returned buffer until the guard
/// is dropped. Use with a current-thread runtime so the component's task logs here too.
pub fn capture_logs() -> (LogBuffer, tracing::subscriber::DefaultGuard) {
    let buffer = LogBuffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (buffer, guard)
}

/// A fresh directory with `name` written as `content`.
pub fn dir_with(name: &str, content: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    (dir, path)
}

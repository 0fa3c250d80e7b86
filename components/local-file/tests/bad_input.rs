//! The Bad input table of `local-file.md`, with real files in temporary directories.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout
)]

mod common;

use std::time::Instant;

use common::*;
use ferroalloy_component::HealthState;
use ferroalloy_local_file::{LocalFileArguments, MAX_FILE_SIZE, SETTLE_DELAY};
use ferroalloy_test_util::decode_args;

#[test]
fn a_missing_filename_is_an_evaluation_error() {
    let errors = decode_args::<LocalFileArguments>("detector = \"poll\"").unwrap_err();
    assert_eq!(errors, vec!["missing required attribute \"filename\""]);
}

/// Build over `path` and return the build error's message.
async fn build_error(path: &std::path::Path) -> String {
    let failure = Harness::build(args(path, "fsnotify", "1m"))
        .await
        .unwrap_err();
    assert!(
        failure.published.is_empty(),
        "a failed build published an export"
    );
    failure.error.to_string()
}

/// Start over a good file, break it with `break_file`, and check the component turns unhealthy
/// with a message ending in `reason` while the export keeps the good content.
async fn breaks_while_running(break_file: impl FnOnce(&std::path::Path), reason: &str) {
    let (_dir, path) = dir_with("file", "good");
    let harness = started(args(&path, "fsnotify", "100ms")).await;
    break_file(&path);
    assert!(
        health_within(&harness, HealthState::Unhealthy, ONE_SECOND).await,
        "still healthy: {}",
        health_message(&harness)
    );
    let message = health_message(&harness);
    assert!(
        message.starts_with(&format!("failed to read file: {}: ", path.display())),
        "{message}"
    );
    assert!(message.ends_with(reason), "{message}");
    assert_eq!(latest_text(&harness).as_deref(), Some("good"));
    assert_eq!(harness.export_count(), 1);
    let info = harness.debug_info().unwrap();
    assert_eq!(
        info.get("last_error").and_then(|v| v.as_str()),
        Some(message.as_str())
    );
}

#[tokio::test]
async fn an_unreadable_file_fails_the_build_and_a_running_component() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    if file_modes_are_ignored(dir.path()) {
        // Root (as in CI) opens mode-000 files, so there is no permission error to observe.
        println!("skipped: this process ignores file modes (running as root)");
        assert!(file_modes_are_ignored(dir.path()));
        return;
    }
    let path = dir.path().join("locked");
    std::fs::write(&path, "x").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let message = build_error(&path).await;
    assert!(
        message.ends_with("Permission denied (os error 13)"),
        "{message}"
    );

    breaks_while_running(
        |path| std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000)).unwrap(),
        "Permission denied (os error 13)",
    )
    .await;
}

#[tokio::test]
async fn a_directory_is_refused_with_the_os_reason() {
    let dir = tempfile::tempdir().unwrap();
    let message = build_error(dir.path()).await;
    assert_eq!(
        message,
        format!(
            "failed to read file: {}: Is a directory (os error 21)",
            dir.path().display()
        )
    );

    breaks_while_running(
        |path| {
            std::fs::remove_file(path).unwrap();
            std::fs::create_dir(path).unwrap();
        },
        "Is a directory (os error 21)",
    )
    .await;
}

#[tokio::test]
async fn invalid_utf8_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("binary");
    std::fs::write(&path, [b'o', b'k', 0xc3, 0x28]).unwrap();
    let message = build_error(&path).await;
    assert_eq!(
        message,
        format!(
            "failed to read file: {}: content is not valid UTF-8",
            path.display()
        )
    );

    breaks_while_running(
        |path| std::fs::write(path, [0xff, 0xfe, 0xfd]).unwrap(),
        "content is not valid UTF-8",
    )
    .await;
}

#[tokio::test]
async fn a_file_over_64_mib_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big");
    // Sparse: no disk space and no memory is used to make it.
    std::fs::File::create(&path)
        .unwrap()
        .set_len(MAX_FILE_SIZE + 1)
        .unwrap();
    let message = build_error(&path).await;
    assert_eq!(
        message,
        format!(
            "failed to read file: {}: file is larger than 67108864 bytes",
            path.display()
        )
    );

    breaks_while_running(
        |path| {
            std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .unwrap()
                .set_len(MAX_FILE_SIZE + 1)
                .unwrap()
        },
        "file is larger than 67108864 bytes",
    )
    .await;
}

#[tokio::test]
async fn a_file_of_exactly_64_mib_is_exported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("limit");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(MAX_FILE_SIZE)
        .unwrap();
    let harness = Harness::build(args(&path, "poll", "1h")).await.unwrap();
    let export = harness.latest_export().unwrap();
    assert_eq!(content(&export).expose().len() as u64, MAX_FILE_SIZE);
}

#[tokio::test(flavor = "current_thread")]
async fn a_removed_parent_directory_is_reported_and_recovered_from() {
    let (logs, _guard) = capture_logs();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("secrets");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("token");
    std::fs::write(&path, "before").unwrap();
    let harness = watching(args(&path, "fsnotify", "300ms")).await;

    std::fs::remove_dir_all(&dir).unwrap();
    assert!(health_within(&harness, HealthState::Unhealthy, ONE_SECOND).await);
    assert!(health_message(&harness).ends_with("No such file or directory (os error 2)"));
    assert_eq!(latest_text(&harness).as_deref(), Some("before"));
    let warned = ferroalloy_test_util::eventually(ONE_SECOND, || {
        logs.text()
            .lines()
            .any(|l| l.contains("WARN") && l.contains("watch"))
    })
    .await;
    assert!(warned, "no warning about the lost watch: {}", logs.text());

    std::fs::create_dir(&dir).unwrap();
    std::fs::write(&path, "after").unwrap();
    // Within one poll_frequency (300 ms) plus the settle delay; 1 s bounds it.
    assert!(exported_within(&harness, "after", ONE_SECOND).await);
    assert!(health_within(&harness, HealthState::Healthy, ONE_SECOND).await);

    // The watch is back: a change is seen without waiting for the poll.
    write_in_place(&path, "watched again");
    assert!(exported_within(&harness, "watched again", ONE_SECOND).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_writes_coalesces_and_ends_on_the_last_content() {
    const WRITES: usize = 3_000;
    let (_dir, path) = dir_with("file", "start");
    let harness = watching(args(&path, "fsnotify", "1h")).await;
    let before = harness.export_count();

    let writer_path = path.clone();
    let started = Instant::now();
    tokio::task::spawn_blocking(move || {
        for i in 0..WRITES {
            replace_atomically(&writer_path, &format!("write {i}"));
        }
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();

    let last = format!("write {}", WRITES - 1);
    assert!(
        exported_within(&harness, &last, ONE_SECOND).await,
        "the last write was not exported"
    );
    let publishes = harness.export_count() - before;
    // At most one read per settle delay, over the writing time plus the final settle and read.
    let bound = (elapsed.as_millis() / SETTLE_DELAY.as_millis()) as usize + 3;
    assert!(
        publishes <= bound,
        "{publishes} publishes for {WRITES} writes in {elapsed:?} (bound {bound})"
    );
    assert!(
        publishes < WRITES / 10,
        "{publishes} publishes for {WRITES} writes"
    );
}

#[tokio::test(start_paused = true)]
async fn a_lasting_failure_is_logged_once_at_error_level() {
    let (logs, _guard) = capture_logs();
    let (_dir, path) = dir_with("file", "here");
    let harness = started(args(&path, "poll", "100ms")).await;
    std::fs::remove_file(&path).unwrap();
    // Twenty polls of virtual time, all failing the same way.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(harness.health().unwrap().state, HealthState::Unhealthy);
    let text = logs.text();
    let failures = |level: &str| {
        text.lines()
            .filter(|l| l.contains(level) && l.contains("failed to read file"))
            .count()
    };
    assert_eq!(failures("ERROR"), 1, "{text}");
    assert!(failures("DEBUG") >= 5, "{text}");
}

//! Update and shutdown semantics of `local.file` (spec §3.1).

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout
)]

mod common;

use std::time::Duration;

use common::*;
use ferroalloy_component::HealthState;
use ferroalloy_local_file::LAST_ACCESSED_METRIC;

#[tokio::test]
async fn a_new_filename_is_read_at_once_and_then_followed() {
    let (_old_dir, old) = dir_with("old", "old content");
    let (_new_dir, new) = dir_with("new", "new content");
    let mut harness = watching(args(&old, "fsnotify", "1h")).await;
    harness.mark_seen();

    harness.update(args(&new, "fsnotify", "1h")).await.unwrap();
    // Published by update itself, before it returned.
    let export = harness
        .next_export(Duration::ZERO)
        .await
        .expect("published by update");
    assert_eq!(content(&export).expose(), "new content");
    let info = harness.debug_info().unwrap();
    assert_eq!(
        info.get("filename").and_then(|v| v.as_str()),
        Some(&*new.display().to_string())
    );

    // The detector now watches the new file's directory.
    write_in_place(&new, "new content, changed");
    assert!(exported_within(&harness, "new content, changed", ONE_SECOND).await);
    // The old file no longer matters: a change to it never becomes the export.
    write_in_place(&old, "old content, changed");
    write_in_place(&new, "new content, changed twice");
    assert!(exported_within(&harness, "new content, changed twice", ONE_SECOND).await);
    let after_build = harness.exports().all().into_iter().skip(1);
    assert!(
        after_build
            .map(|o| content(&o))
            .all(|c| !c.expose().starts_with("old"))
    );
}

#[tokio::test]
async fn a_failed_update_keeps_the_previous_arguments_export_and_watch() {
    let (dir, path) = dir_with("file", "good");
    let harness = watching(args(&path, "fsnotify", "1h")).await;

    let missing = dir.path().join("missing");
    let error = harness
        .update(args(&missing, "poll", "1h"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(&format!("failed to read file: {}: ", missing.display())),
        "{error}"
    );
    let health = harness.health().unwrap();
    assert_eq!(health.state, HealthState::Unhealthy);
    assert_eq!(health.message, error);
    assert_eq!(latest_text(&harness).as_deref(), Some("good"));
    assert_eq!(harness.export_count(), 1);

    // Still reading the previous file with the previous (fsnotify) detector.
    write_in_place(&path, "still followed");
    assert!(exported_within(&harness, "still followed", ONE_SECOND).await);
    assert!(health_within(&harness, HealthState::Healthy, ONE_SECOND).await);

    // Once the file exists, the same update succeeds.
    std::fs::write(&missing, "now present").unwrap();
    harness.update(args(&missing, "poll", "1h")).await.unwrap();
    assert_eq!(latest_text(&harness).as_deref(), Some("now present"));
    assert_eq!(health_message(&harness), "read file");
}

#[tokio::test]
async fn changing_only_is_secret_republishes_with_the_new_type() {
    let (_dir, path) = dir_with("token", "tok");
    let mut harness = started(args(&path, "fsnotify", "1h")).await;
    harness.mark_seen();

    let mut secret = args(&path, "fsnotify", "1h");
    secret.is_secret = true;
    harness.update(secret.clone()).await.unwrap();
    let export = harness
        .next_export(Duration::ZERO)
        .await
        .expect("republished");
    assert!(content(&export).is_secret());
    assert_eq!(content(&export).expose(), "tok");

    // The same arguments again: the content did not change, nothing is published.
    harness.update(secret).await.unwrap();
    assert!(harness.next_export(Duration::ZERO).await.is_none());
    assert_eq!(harness.export_count(), 2);

    harness.update(args(&path, "fsnotify", "1h")).await.unwrap();
    let export = harness
        .next_export(Duration::ZERO)
        .await
        .expect("republished");
    assert!(!content(&export).is_secret());
}

#[tokio::test]
async fn switching_to_poll_replaces_the_detector() {
    let (_dir, path) = dir_with("file", "start");
    let harness = watching(args(&path, "fsnotify", "1h")).await;
    harness.update(args(&path, "poll", "100ms")).await.unwrap();
    assert_eq!(
        harness
            .debug_info()
            .unwrap()
            .get("detector")
            .and_then(|v| v.as_str()),
        Some("poll")
    );
    write_in_place(&path, "polled");
    assert!(exported_within(&harness, "polled", ONE_SECOND).await);
}

#[tokio::test]
async fn an_update_before_run_is_applied_when_run_starts() {
    let (_dir, path) = dir_with("file", "start");
    let mut harness = Harness::build(args(&path, "poll", "1h")).await.unwrap();
    harness.update(args(&path, "poll", "100ms")).await.unwrap();
    harness.start();
    write_in_place(&path, "polled");
    assert!(exported_within(&harness, "polled", ONE_SECOND).await);
}

#[tokio::test(start_paused = true)]
async fn no_read_happens_after_shutdown() {
    let (_dir, path) = dir_with("file", "before");
    let mut harness = started(args(&path, "poll", "100ms")).await;
    let reads_follow = ferroalloy_test_util::eventually(Duration::from_secs(1), || {
        latest_text(&harness).as_deref() == Some("before")
            && harness.metric_value(LAST_ACCESSED_METRIC).is_some()
    })
    .await;
    assert!(reads_follow);

    harness.stop().await.unwrap();
    assert!(!harness.is_running());
    let last_read = harness.metric_value(LAST_ACCESSED_METRIC).unwrap();
    let count = harness.export_count();
    write_in_place(&path, "after");
    // A hundred poll periods of virtual time.
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(harness.export_count(), count);
    assert_eq!(harness.metric_value(LAST_ACCESSED_METRIC), Some(last_read));
}

#[tokio::test]
async fn fsnotify_stops_with_the_component() {
    let (_dir, path) = dir_with("file", "before");
    let mut harness = watching(args(&path, "fsnotify", "1h")).await;
    harness.stop().await.unwrap();
    let count = harness.export_count();
    write_in_place(&path, "after");
    // The settle delay is 30 ms; give a stray read ten times that to show up.
    let stray = ferroalloy_test_util::eventually(Duration::from_millis(300), || {
        harness.export_count() != count
    })
    .await;
    assert!(!stray, "a read happened after shutdown");
}

#[tokio::test]
async fn the_longest_poll_frequency_runs() {
    let (_dir, path) = dir_with("file", "start");
    // About 292 years, the largest duration the language has.
    let mut arguments = args(&path, "fsnotify", "2562047h");
    let harness = watching(arguments.clone()).await;
    write_in_place(&path, "seen");
    assert!(exported_within(&harness, "seen", ONE_SECOND).await);
    arguments.detector = "poll".into();
    harness.update(arguments).await.unwrap();
    assert!(harness.is_running());
}

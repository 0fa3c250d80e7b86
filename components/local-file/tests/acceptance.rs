//! The Acceptance items of `local-file.md`, through the component harness with real files.
//!
//! Items 6 (the fake Pyroscope server part) and 9 need the runtime and a writer; they live with
//! the end-to-end tests of the runtime.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout
)]

mod common;

use std::os::unix::fs::symlink;
use std::time::Duration;

use common::*;
use ferroalloy_component::{HealthState, Stability};
use ferroalloy_local_file::{LAST_ACCESSED_METRIC, LocalFileArguments};
use ferroalloy_test_util::{decode_args, decode_args_with_scope, eventually};
use ferroalloy_value::decode::{ArgErrors, Arguments, FieldVisitor};
use ferroalloy_value::eval::Scope;
use ferroalloy_value::{Object, Secret, Value};
use std::collections::BTreeMap;

// 1
#[tokio::test]
async fn build_publishes_the_content_before_run() {
    let (_dir, path) = dir_with("file", "First load!");
    let mut harness = Harness::build(args(&path, "fsnotify", "1m")).await.unwrap();
    let first = harness
        .next_export(Duration::ZERO)
        .await
        .expect("exported during build");
    let content = content(&first);
    assert_eq!(content.expose(), "First load!");
    assert!(!content.is_secret());
    let health = harness.health().unwrap();
    assert_eq!(health.state, HealthState::Healthy);
    assert_eq!(health.message, "read file");
    assert_eq!(harness.export_count(), 1);
}

#[test]
fn registration_is_generally_available_with_a_content_export() {
    let registration = ferroalloy_local_file::registration();
    assert_eq!(registration.name, "local.file");
    assert_eq!(registration.stability, Stability::GenerallyAvailable);
    assert_eq!(registration.exports.len(), 1);
    assert_eq!(registration.exports[0].name, "content");
    assert!(!registration.exports[0].receiver);
}

#[tokio::test]
async fn the_content_is_exported_unchanged() {
    let (_dir, path) = dir_with("file", "  token with spaces\n\n");
    let harness = Harness::build(args(&path, "", "1m")).await.unwrap();
    assert_eq!(
        latest_text(&harness).as_deref(),
        Some("  token with spaces\n\n")
    );
}

// 2: each change kind with fsnotify and a poll too slow to matter.
#[tokio::test]
async fn fsnotify_sees_a_write_in_place() {
    let (_dir, path) = dir_with("file", "First load!");
    let harness = watching(args(&path, "fsnotify", "1h")).await;
    write_in_place(&path, "New content!");
    assert!(exported_within(&harness, "New content!", ONE_SECOND).await);
}

#[tokio::test]
async fn fsnotify_sees_truncate_then_write() {
    let (_dir, path) = dir_with("file", "First load!");
    let harness = watching(args(&path, "fsnotify", "1h")).await;
    std::fs::File::create(&path).unwrap();
    std::fs::write(&path, "Truncated then written").unwrap();
    assert!(exported_within(&harness, "Truncated then written", ONE_SECOND).await);
}

#[tokio::test]
async fn fsnotify_sees_delete_then_create() {
    let (_dir, path) = dir_with("file", "First load!");
    let harness = watching(args(&path, "fsnotify", "1h")).await;
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, "Recreated").unwrap();
    assert!(exported_within(&harness, "Recreated", ONE_SECOND).await);
    // A second change proves the watch survived the old file's removal.
    write_in_place(&path, "Changed again");
    assert!(exported_within(&harness, "Changed again", ONE_SECOND).await);
}

#[tokio::test]
async fn fsnotify_sees_an_atomic_replace() {
    let (_dir, path) = dir_with("file", "First load!");
    let harness = watching(args(&path, "fsnotify", "1h")).await;
    replace_atomically(&path, "Replaced");
    assert!(exported_within(&harness, "Replaced", ONE_SECOND).await);
    // Alloy's file watch is gone after a replace; the directory watch is not.
    replace_atomically(&path, "Replaced twice");
    assert!(exported_within(&harness, "Replaced twice", ONE_SECOND).await);
}

#[tokio::test]
async fn fsnotify_sees_a_kubernetes_symlink_swap() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("..2026_01")).unwrap();
    std::fs::write(root.join("..2026_01/token"), "old-token").unwrap();
    symlink("..2026_01", root.join("..data")).unwrap();
    symlink("..data/token", root.join("token")).unwrap();
    let harness = watching(args(&root.join("token"), "fsnotify", "1h")).await;
    assert_eq!(latest_text(&harness).as_deref(), Some("old-token"));

    for (generation, token) in [("..2026_02", "new-token"), ("..2026_03", "newer-token")] {
        std::fs::create_dir(root.join(generation)).unwrap();
        std::fs::write(root.join(generation).join("token"), token).unwrap();
        symlink(generation, root.join("..data_tmp")).unwrap();
        std::fs::rename(root.join("..data_tmp"), root.join("..data")).unwrap();
        assert!(
            exported_within(&harness, token, ONE_SECOND).await,
            "{token} not exported"
        );
    }
}

// 3
#[tokio::test]
async fn poll_exports_a_change_within_one_second() {
    let (_dir, path) = dir_with("file", "First load!");
    let harness = started(args(&path, "poll", "100ms")).await;
    write_in_place(&path, "Polled");
    assert!(exported_within(&harness, "Polled", ONE_SECOND).await);
}

#[tokio::test(start_paused = true)]
async fn poll_waits_for_its_period() {
    let (_dir, path) = dir_with("file", "First load!");
    let mut harness = started(args(&path, "poll", "1h")).await;
    harness.mark_seen();
    write_in_place(&path, "Changed");
    // Virtual time: the next second passes without a read…
    assert!(harness.next_export(ONE_SECOND).await.is_none());
    assert_eq!(latest_text(&harness).as_deref(), Some("First load!"));
    // …and the tick an hour after start reads the change.
    let next = harness
        .next_export(Duration::from_secs(3600))
        .await
        .expect("read on the tick");
    assert_eq!(content(&next).expose(), "Changed");
}

// 4
#[tokio::test]
async fn a_missing_file_fails_the_build_without_an_export() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing");
    let failure = Harness::build(args(&path, "fsnotify", "1m"))
        .await
        .unwrap_err();
    let message = failure.error.to_string();
    assert!(message.starts_with("failed to read file: "), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("No such file or directory"), "{message}");
    assert!(failure.published.is_empty());
}

// 5
async fn deleted_then_recreated(detector: &str, poll_frequency: &str) {
    let (_dir, path) = dir_with("file", "Before");
    let arguments = args(&path, detector, poll_frequency);
    let harness = if detector == "poll" {
        started(arguments).await
    } else {
        watching(arguments).await
    };
    std::fs::remove_file(&path).unwrap();
    assert!(health_within(&harness, HealthState::Unhealthy, ONE_SECOND).await);
    let message = health_message(&harness);
    let prefix = format!("failed to read file: {}: ", path.display());
    assert!(message.starts_with(&prefix), "{message}");
    assert_eq!(latest_text(&harness).as_deref(), Some("Before"));

    std::fs::write(&path, "After").unwrap();
    assert!(exported_within(&harness, "After", ONE_SECOND).await);
    assert!(health_within(&harness, HealthState::Healthy, ONE_SECOND).await);
    assert_eq!(health_message(&harness), "read file");
}

#[tokio::test]
async fn fsnotify_reports_a_deleted_file_and_recovers() {
    deleted_then_recreated("fsnotify", "1h").await;
}

#[tokio::test]
async fn poll_reports_a_deleted_file_and_recovers() {
    deleted_then_recreated("poll", "100ms").await;
}

// 6 (component side)
#[tokio::test(flavor = "current_thread")]
async fn a_secret_content_never_shows() {
    let (logs, _guard) = capture_logs();
    let (_dir, path) = dir_with("token", "s3cr3t-token-value");
    let mut arguments = args(&path, "fsnotify", "100ms");
    arguments.is_secret = true;
    let harness = started(arguments).await;
    let export = harness.latest_export().unwrap();
    let content = content(&export);
    assert!(content.is_secret());
    assert_eq!(content.expose(), "s3cr3t-token-value");

    // The API shows `(secret)`.
    let api = ferroalloy_value::api_json::encode_value(export.get("content").unwrap()).to_string();
    assert!(api.contains("(secret)"), "{api}");
    assert!(!api.contains("s3cr3t"), "{api}");
    assert_eq!(format!("{export:?}").matches("s3cr3t").count(), 0);

    // A failed read logs the path, never the content; debug info never holds it either.
    std::fs::write(&path, [0xff, 0xfe]).unwrap();
    assert!(health_within(&harness, HealthState::Unhealthy, ONE_SECOND).await);
    let debug = format!("{:?}", harness.debug_info().unwrap());
    assert!(!debug.contains("s3cr3t"), "{debug}");
    let text = logs.text();
    assert!(
        text.contains("failed to read file"),
        "no failure logged: {text}"
    );
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");
}

/// A consumer with a string, a secret and a string map, like a writer's endpoint.
#[derive(Clone, Debug, Default, PartialEq)]
struct Consumer {
    url: Option<String>,
    bearer_token: Option<Secret>,
    external_labels: BTreeMap<String, String>,
}

impl Arguments for Consumer {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("url", |s| &mut s.url);
        v.optional("bearer_token", |s| &mut s.bearer_token);
        v.optional("external_labels", |s| &mut s.external_labels);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        Ok(())
    }
}

/// A scope where `local.file.t` holds the exports of `harness`.
fn scope_with(harness: &Harness) -> Scope {
    let mut t = Object::new();
    t.insert("t", Value::Object(harness.latest_export().unwrap()));
    let mut file = Object::new();
    file.insert("file", Value::Object(t));
    let mut scope = Scope::new();
    scope.set("local", Value::Object(file));
    scope
}

#[tokio::test]
async fn a_secret_content_is_refused_where_a_string_is_expected() {
    let (_dir, path) = dir_with("token", "tok");
    let mut arguments = args(&path, "fsnotify", "1m");
    arguments.is_secret = true;
    let harness = Harness::build(arguments).await.unwrap();
    let scope = scope_with(&harness);

    let errors =
        decode_args_with_scope::<Consumer>("url = local.file.t.content", &scope).unwrap_err();
    assert!(
        errors.iter().any(|d| d
            .message
            .contains("secrets may not be converted into strings")),
        "{errors:?}"
    );
    let consumer =
        decode_args_with_scope::<Consumer>("bearer_token = local.file.t.content", &scope).unwrap();
    assert_eq!(consumer.bearer_token.unwrap().expose(), "tok");
}

// 7
#[tokio::test]
async fn a_plain_content_is_a_string_and_a_secret() {
    let (_dir, path) = dir_with("token", "plain-value");
    let harness = Harness::build(args(&path, "fsnotify", "1m")).await.unwrap();
    let scope = scope_with(&harness);
    let consumer = decode_args_with_scope::<Consumer>(
        "url = local.file.t.content\n\
         bearer_token = local.file.t.content\n\
         external_labels = { team = local.file.t.content }",
        &scope,
    )
    .unwrap();
    assert_eq!(consumer.url.as_deref(), Some("plain-value"));
    assert_eq!(consumer.bearer_token.unwrap().expose(), "plain-value");
    assert_eq!(
        consumer.external_labels.get("team").map(String::as_str),
        Some("plain-value")
    );
}

// 8 and 10
#[tokio::test(start_paused = true)]
async fn an_unchanged_file_is_not_republished_but_is_read() {
    let (_dir, path) = dir_with("file", "Steady");
    let harness = started(args(&path, "poll", "100ms")).await;
    let first_read = harness.metric_value(LAST_ACCESSED_METRIC).unwrap();
    assert!(first_read > 1.0e9, "not a Unix time: {first_read}");

    // Two seconds of virtual time: about twenty reads, each of the same content. The gauge
    // follows the wall clock, which paused time does not stop, so it rises.
    let read_again = eventually(Duration::from_secs(2), || {
        harness
            .metric_value(LAST_ACCESSED_METRIC)
            .is_some_and(|t| t > first_read)
    })
    .await;
    assert!(read_again, "no read in two seconds of 100ms polls");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        harness.export_count(),
        1,
        "an unchanged file was republished"
    );
}

#[tokio::test]
async fn the_last_accessed_gauge_rises_after_each_read() {
    let (_dir, path) = dir_with("file", "one");
    let harness = watching(args(&path, "fsnotify", "1h")).await;
    let text = harness.metrics_text();
    assert!(
        text.contains("# TYPE local_file_timestamp_last_accessed_unix_seconds gauge"),
        "{text}"
    );
    assert!(text.contains("component_id=\"test.component\""), "{text}");
    let mut last = harness.metric_value(LAST_ACCESSED_METRIC).unwrap();
    for next in ["two", "three"] {
        write_in_place(&path, next);
        assert!(exported_within(&harness, next, ONE_SECOND).await);
        let now = harness.metric_value(LAST_ACCESSED_METRIC).unwrap();
        assert!(now > last, "{now} <= {last}");
        last = now;
    }
}

// 11
#[test]
fn validation_messages() {
    let errors = decode_args::<LocalFileArguments>("filename = \"/tmp/x\"\ndetector = \"inotify\"")
        .unwrap_err();
    assert_eq!(
        errors,
        vec!["unrecognized detector \"inotify\", expected fsnotify or poll"]
    );

    let errors =
        decode_args::<LocalFileArguments>("filename = \"/tmp/x\"\npoll_frequency = \"0s\"")
            .unwrap_err();
    assert_eq!(errors, vec!["poll_frequency must be greater than 0"]);

    let args = decode_args::<LocalFileArguments>("filename = \"/tmp/x\"\ndetector = \"\"").unwrap();
    assert_eq!(
        args.detector_kind(),
        ferroalloy_local_file::Detector::Fsnotify
    );

    let args = decode_args::<LocalFileArguments>(
        "filename = \"/tmp/x\"\ndetector = \"poll\"\npoll_frequency = \"250ms\"\nis_secret = true",
    )
    .unwrap();
    assert_eq!(args.detector_kind(), ferroalloy_local_file::Detector::Poll);
    assert_eq!(args.poll_period(), Duration::from_millis(250));
    assert!(args.is_secret);
}

#[tokio::test]
async fn debug_info_describes_the_file_without_its_content() {
    let (_dir, path) = dir_with("file", "12345");
    let harness = started(args(&path, "poll", "1h")).await;
    let info = harness.debug_info().unwrap();
    assert_eq!(
        info.get("filename").and_then(Value::as_str),
        Some(&*path.display().to_string())
    );
    assert_eq!(info.get("detector").and_then(Value::as_str), Some("poll"));
    let last_read = info
        .get("last_read")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    assert!(
        last_read.ends_with('Z') && last_read.len() >= 20,
        "{last_read}"
    );
    assert_eq!(info.get("last_error").and_then(Value::as_str), Some(""));
    assert_eq!(info.get("size_bytes"), Some(&Value::int(5)));
    assert!(!format!("{info:?}").contains("12345\""), "{info:?}");
}

#[tokio::test]
async fn the_registration_decodes_and_builds_as_the_runtime_does() {
    use ferroalloy_component::Options;
    use ferroalloy_syntax::ast::Stmt;
    use ferroalloy_syntax::{SourceFile, parser::parse_file};
    use ferroalloy_test_util::ExportRecorder;
    use ferroalloy_value::eval::Evaluator;

    let (dir, path) = dir_with("token", "from the registry");
    let registration = ferroalloy_local_file::registration();
    let text = format!(
        "local.file \"t\" {{\n  filename = {:?}\n  is_secret = true\n}}\n",
        path.display().to_string()
    );
    let src = SourceFile::new("main.alloy", text);
    let (file, _) = parse_file(&src);
    let Some(Stmt::Block(block)) = file.body.stmts.first() else {
        panic!("no block")
    };
    let scope = Scope::new();
    let decoded = (registration.decode)(block, &Evaluator::new(&src, &scope)).unwrap();
    let body = decoded.to_body();
    assert_eq!(body.get("is_secret"), Some(&Value::Bool(true)));
    assert!(
        body.get("detector").is_none(),
        "defaults are omitted from the API body"
    );

    let recorder = ExportRecorder::new();
    let options = Options::new(
        "local.file.t",
        dir.path().join("data"),
        Duration::from_secs(5),
        recorder.sink(),
    );
    let component = (registration.build)(options, decoded).await.unwrap();
    let exported = content(&recorder.latest().unwrap());
    assert!(exported.is_secret());
    assert_eq!(exported.expose(), "from the registry");
    assert_eq!(component.health().unwrap().message, "read file");
    let info = component.debug_info().unwrap();
    assert_eq!(info.get("size_bytes"), Some(&Value::int(17)));

    let cancel = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(component.run(cancel.clone()));
    cancel.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(5), task).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "run did not stop cleanly"
    );
}

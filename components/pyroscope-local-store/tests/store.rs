//! `pyroscope.local_store` through the component harness, with real files in a temporary
//! directory: names, content, the index, rotation, unwritable directories, unsafe label values,
//! updates, debug info and metrics.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ferroalloy_component::{HealthState, Stability};
use ferroalloy_pyroscope::pprof::{
    Function, Line, Location, Profile, Sample, ValueType, decode_profile, encode_gzip,
};
use ferroalloy_pyroscope::{
    AppendError, Appendable as _, Appender, IncomingProfile, Labels, RawSample,
};
use ferroalloy_pyroscope_local_store::component::INGEST_REFUSED;
use ferroalloy_pyroscope_local_store::{INDEX_FILE, LocalStore, LocalStoreArguments};
use ferroalloy_test_util::{ComponentHarness, decode_args};
use ferroalloy_value::Value;
use prost::Message as _;

type Harness = ComponentHarness<LocalStore>;

const LIMIT: usize = 64 << 20;

/// A small CPU profile whose one sample counts `n`.
fn cpu_profile(n: i64) -> Profile {
    Profile {
        sample_type: vec![
            ValueType { r#type: 1, unit: 2 },
            ValueType { r#type: 3, unit: 4 },
        ],
        sample: vec![Sample {
            location_id: vec![1],
            value: vec![n, n * 10_000_000],
            label: Vec::new(),
        }],
        location: vec![Location {
            id: 1,
            line: vec![Line {
                function_id: 1,
                line: 42,
                ..Line::default()
            }],
            ..Location::default()
        }],
        function: vec![Function {
            id: 1,
            name: 5,
            system_name: 5,
            filename: 6,
            ..Function::default()
        }],
        string_table: [
            "",
            "samples",
            "count",
            "cpu",
            "nanoseconds",
            "main",
            "main.rs",
        ]
        .map(String::from)
        .to_vec(),
        period_type: Some(ValueType { r#type: 3, unit: 4 }),
        period: 10_000_000,
        ..Profile::default()
    }
}

fn labels(service: &str, name: &str) -> Labels {
    Labels::from_pairs([("service_name", service), ("__name__", name)])
}

async fn build(directory: &Path, max_profiles: u64) -> Harness {
    let args = LocalStoreArguments {
        directory: directory.display().to_string(),
        max_profiles,
    };
    let mut harness = Harness::build(args).await.expect("built");
    harness.start();
    harness
}

fn appender(harness: &Harness) -> Arc<dyn Appender> {
    harness.component().exports().receiver.get().appender()
}

/// The profile files under `dir/service`, sorted by name.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// `process_cpu-20261126T041502.123Z-0.pb.gz` → ("process_cpu", "20261126T041502.123Z", 0).
fn name_parts(name: &str) -> (String, String, u64) {
    let stem = name.strip_suffix(".pb.gz").expect("a .pb.gz file");
    let mut parts = stem.rsplitn(3, '-');
    let seq = parts.next().unwrap().parse().expect("a sequence number");
    let time = parts.next().unwrap().to_owned();
    let kind = parts.next().unwrap().to_owned();
    (kind, time, seq)
}

fn is_compact_utc_time(time: &str) -> bool {
    let bytes = time.as_bytes();
    bytes.len() == 20
        && bytes[8] == b'T'
        && bytes[15] == b'.'
        && bytes[19] == b'Z'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| matches!(i, 8 | 15 | 19) || b.is_ascii_digit())
}

fn index_lines(dir: &Path) -> Vec<serde_json::Value> {
    fs::read_to_string(dir.join(INDEX_FILE))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

fn debug_int(harness: &Harness, name: &str) -> Option<i64> {
    harness
        .debug_info()?
        .get(name)
        .and_then(|value| match value {
            Value::Number(n) => Some(n.as_f64() as i64),
            _ => None,
        })
}

fn debug_str(harness: &Harness, name: &str) -> Option<String> {
    harness
        .debug_info()?
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

#[test]
fn registration_exports_a_receiver() {
    let registration = ferroalloy_pyroscope_local_store::registration();
    assert_eq!(registration.name, "pyroscope.local_store");
    assert_eq!(registration.stability, Stability::GenerallyAvailable);
    assert_eq!(registration.exports.len(), 1);
    assert_eq!(registration.exports[0].name, "receiver");
    assert!(registration.exports[0].receiver);
}

#[test]
fn arguments_decode_with_defaults_and_validate() {
    let args = decode_args::<LocalStoreArguments>("directory = \"profiles\"").unwrap();
    assert_eq!(args, LocalStoreArguments::new("profiles"));
    assert_eq!(args.max_profiles, 1000);
    let args = decode_args::<LocalStoreArguments>("directory = \"p\"\nmax_profiles = 3").unwrap();
    assert_eq!(args.max_profiles, 3);
    assert_eq!(
        decode_args::<LocalStoreArguments>("max_profiles = 3").unwrap_err(),
        vec!["missing required attribute \"directory\""]
    );
    let errors = decode_args::<LocalStoreArguments>("directory = \"\"").unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("directory must not be empty")),
        "{errors:?}"
    );
    let errors =
        decode_args::<LocalStoreArguments>("directory = \"p\"\nmax_profiles = 0").unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("max_profiles must be at least 1")),
        "{errors:?}"
    );
}

#[tokio::test]
async fn profiles_are_written_as_gzipped_pprof_files_with_an_index() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("profiles");
    let harness = build(&root, 1000).await;
    let health = harness.health().unwrap();
    assert_eq!(health.state, HealthState::Healthy);
    assert_eq!(
        health.message,
        format!("writing profiles to {}", root.display())
    );
    assert!(root.is_dir(), "the directory is created at build");
    assert_eq!(harness.export_count(), 1);

    let plain = cpu_profile(3);
    let gzipped = encode_gzip(&cpu_profile(5));
    appender(&harness)
        .append(
            labels("ferroalloy", "process_cpu"),
            vec![
                RawSample::new(plain.encode_to_vec()),
                RawSample::with_id("second", gzipped.clone()),
            ],
        )
        .await
        .unwrap();

    let files = files_in(&root.join("ferroalloy"));
    assert_eq!(files.len(), 2, "{files:?}");
    let mut seqs = Vec::new();
    for file in &files {
        let (kind, time, seq) = name_parts(&file_name(file));
        assert_eq!(kind, "process_cpu");
        assert!(is_compact_utc_time(&time), "{time}");
        seqs.push(seq);
    }
    seqs.sort_unstable();
    assert_eq!(seqs, [0, 1]);
    // Ordered by sequence: the plain profile first, gzipped on disk; the gzipped one unchanged.
    let by_seq = |seq: u64| {
        files
            .iter()
            .find(|f| name_parts(&file_name(f)).2 == seq)
            .unwrap()
    };
    let first = fs::read(by_seq(0)).unwrap();
    assert_eq!(&first[..2], &[0x1f, 0x8b], "stored gzipped");
    assert_eq!(decode_profile(&first, LIMIT).unwrap(), plain);
    assert_eq!(fs::read(by_seq(1)).unwrap(), gzipped.to_vec());
    let no_temporaries = fs::read_dir(root.join("ferroalloy"))
        .unwrap()
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().starts_with('.'));
    assert!(no_temporaries);

    let index = index_lines(&root);
    assert_eq!(index.len(), 2);
    let path = index[0]["path"].as_str().unwrap();
    assert_eq!(path, format!("ferroalloy/{}", file_name(by_seq(0))));
    assert_eq!(index[0]["labels"]["service_name"], "ferroalloy");
    assert_eq!(index[0]["labels"]["__name__"], "process_cpu");
    assert_eq!(index[0]["bytes"], first.len());
    assert!(index[0]["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(index[1]["id"], "second");

    let total = (first.len() + gzipped.len()) as i64;
    assert_eq!(debug_int(&harness, "profiles_written"), Some(2));
    assert_eq!(debug_int(&harness, "bytes_written"), Some(total));
    assert_eq!(debug_int(&harness, "files"), Some(2));
    assert_eq!(
        debug_str(&harness, "directory"),
        Some(root.display().to_string())
    );
    assert_eq!(
        debug_str(&harness, "last_file"),
        Some(by_seq(1).display().to_string())
    );
    assert_eq!(debug_str(&harness, "last_error").as_deref(), Some(""));
    assert_eq!(
        harness.metric_value("pyroscope_local_store_profiles_total"),
        Some(2.0)
    );
    assert_eq!(
        harness.metric_value("pyroscope_local_store_bytes_total"),
        Some(total as f64)
    );
    assert_eq!(
        harness.metric_value("pyroscope_local_store_errors_total"),
        Some(0.0)
    );
}

#[tokio::test]
async fn missing_labels_are_unknown_and_unsafe_bytes_are_replaced() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("p");
    let harness = build(&root, 1000).await;
    let append = appender(&harness);
    let sample = || vec![RawSample::new(encode_gzip(&cpu_profile(1)))];
    append
        .append(labels("team/app", "../../escape"), sample())
        .await
        .unwrap();
    append.append(Labels::new(), sample()).await.unwrap();
    append
        .append(labels("..", "a b\\c\u{e9}"), sample())
        .await
        .unwrap();

    let team = files_in(&root.join("team_app"));
    assert_eq!(team.len(), 1, "{team:?}");
    assert_eq!(name_parts(&file_name(&team[0])).0, "_._.._escape");
    let unknown = files_in(&root.join("unknown"));
    assert_eq!(unknown.len(), 1);
    assert_eq!(name_parts(&file_name(&unknown[0])).0, "unknown");
    let dots = files_in(&root.join("_."));
    assert_eq!(dots.len(), 1);
    assert_eq!(name_parts(&file_name(&dots[0])).0, "a_b_c_");

    // Nothing was written outside the directory, and the index keeps the labels as sent.
    let outside: Vec<String> = fs::read_dir(temp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(outside, ["p"]);
    let index = index_lines(&root);
    assert_eq!(index[0]["labels"]["service_name"], "team/app");
    assert!(
        index[0]["path"]
            .as_str()
            .unwrap()
            .starts_with("team_app/_._.._escape-")
    );
}

#[tokio::test]
async fn the_oldest_files_are_deleted_beyond_max_profiles() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("p");
    let harness = build(&root, 3).await;
    let append = appender(&harness);
    for n in 1..=5 {
        append
            .append(
                labels("svc", "process_cpu"),
                vec![RawSample::new(encode_gzip(&cpu_profile(n)))],
            )
            .await
            .unwrap();
    }
    let files = files_in(&root.join("svc"));
    let mut seqs: Vec<u64> = files.iter().map(|f| name_parts(&file_name(f)).2).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, [2, 3, 4], "the newest three are kept");
    assert_eq!(debug_int(&harness, "files"), Some(3));
    assert_eq!(debug_int(&harness, "profiles_written"), Some(5));

    // A smaller max_profiles applies at once.
    harness
        .update(LocalStoreArguments {
            directory: root.display().to_string(),
            max_profiles: 1,
        })
        .await
        .unwrap();
    let files = files_in(&root.join("svc"));
    assert_eq!(files.len(), 1);
    assert_eq!(name_parts(&file_name(&files[0])).2, 4);
    assert_eq!(debug_int(&harness, "max_profiles"), Some(1));
}

#[tokio::test]
async fn files_on_disk_are_counted_at_build_oldest_first() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("p");
    let now = SystemTime::now();
    for (i, service) in ["a", "b", "a", "b"].iter().enumerate() {
        let dir = root.join(service);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("cpu-old-{i}.pb.gz"));
        fs::write(&path, b"x").unwrap();
        let file = fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(now - Duration::from_secs(100 - i as u64 * 10))
            .unwrap();
    }
    fs::write(root.join("a").join(".cpu-crashed.pb.gz.tmp"), b"x").unwrap();
    fs::write(root.join("a").join("notes.txt"), b"kept").unwrap();

    let harness = build(&root, 2).await;
    let mut left: Vec<String> = files_in(&root.join("a"))
        .into_iter()
        .chain(files_in(&root.join("b")))
        .map(|f| file_name(&f))
        .collect();
    left.sort();
    assert_eq!(left, ["cpu-old-2.pb.gz", "cpu-old-3.pb.gz", "notes.txt"]);
    assert_eq!(debug_int(&harness, "files"), Some(2));

    appender(&harness)
        .append(
            labels("b", "cpu"),
            vec![RawSample::new(encode_gzip(&cpu_profile(1)))],
        )
        .await
        .unwrap();
    assert!(!root.join("a").join("cpu-old-2.pb.gz").exists());
    assert!(root.join("b").join("cpu-old-3.pb.gz").exists());
}

#[tokio::test]
async fn an_unwritable_directory_is_unhealthy_until_it_works() {
    let temp = tempfile::tempdir().unwrap();
    let blocker = temp.path().join("blocker");
    fs::write(&blocker, b"a file where a directory should be").unwrap();
    let root = blocker.join("profiles");
    let harness = build(&root, 10).await;
    let health = harness.health().unwrap();
    assert_eq!(health.state, HealthState::Unhealthy);
    assert!(
        health
            .message
            .starts_with(&format!("failed to create directory {}: ", root.display())),
        "{}",
        health.message
    );
    assert_eq!(harness.export_count(), 1, "the receiver is exported anyway");

    let append = appender(&harness);
    let err = append
        .append(
            labels("svc", "cpu"),
            vec![RawSample::new(encode_gzip(&cpu_profile(1)))],
        )
        .await
        .unwrap_err();
    let AppendError::Other(message) = err else {
        panic!("unexpected error {err:?}");
    };
    assert!(
        message.starts_with("failed to create directory"),
        "{message}"
    );
    assert_eq!(debug_str(&harness, "last_error"), Some(message));
    assert_eq!(
        harness.metric_value("pyroscope_local_store_errors_total"),
        Some(1.0)
    );
    assert_eq!(debug_int(&harness, "profiles_written"), Some(0));

    // Once the path works, the next append succeeds and the component is healthy again.
    fs::remove_file(&blocker).unwrap();
    append
        .append(
            labels("svc", "cpu"),
            vec![RawSample::new(encode_gzip(&cpu_profile(1)))],
        )
        .await
        .unwrap();
    assert_eq!(files_in(&root.join("svc")).len(), 1);
    assert_eq!(harness.health().unwrap().state, HealthState::Healthy);
}

#[tokio::test]
async fn an_update_moves_the_directory_and_keeps_the_receiver() {
    let temp = tempfile::tempdir().unwrap();
    let first = temp.path().join("one");
    let second = temp.path().join("two");
    let harness = build(&first, 10).await;
    let append = appender(&harness);
    let sample = || vec![RawSample::new(encode_gzip(&cpu_profile(1)))];
    append.append(labels("s", "cpu"), sample()).await.unwrap();
    harness
        .update(LocalStoreArguments::new(second.display().to_string()))
        .await
        .unwrap();
    assert_eq!(harness.export_count(), 1, "update publishes nothing");
    append.append(labels("s", "cpu"), sample()).await.unwrap();
    assert_eq!(files_in(&first.join("s")).len(), 1);
    assert_eq!(files_in(&second.join("s")).len(), 1);
    assert_eq!(
        debug_str(&harness, "directory"),
        Some(second.display().to_string())
    );
    assert_eq!(
        harness.health().unwrap().message,
        format!("writing profiles to {}", second.display())
    );
}

#[tokio::test]
async fn ingest_requests_are_refused_and_empty_appends_write_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("p");
    let mut harness = build(&root, 10).await;
    let append = appender(&harness);
    let err = append
        .append_ingest(IncomingProfile::default())
        .await
        .unwrap_err();
    assert_eq!(err, AppendError::Rejected(INGEST_REFUSED.to_owned()));
    append.append(labels("s", "cpu"), Vec::new()).await.unwrap();
    assert!(!root.join(INDEX_FILE).exists());
    assert_eq!(debug_int(&harness, "profiles_written"), Some(0));
    harness.stop().await.unwrap();
}

#[tokio::test]
async fn the_index_is_compacted_to_the_files_that_exist() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("p");
    let harness = build(&root, 1).await;
    let append = appender(&harness);
    for n in 1..=5 {
        append
            .append(
                labels("svc", "cpu"),
                vec![RawSample::new(encode_gzip(&cpu_profile(n)))],
            )
            .await
            .unwrap();
    }
    let files = files_in(&root.join("svc"));
    assert_eq!(files.len(), 1);
    let index = index_lines(&root);
    assert!(index.len() <= 2, "{index:?}");
    assert_eq!(
        index.last().unwrap()["path"],
        format!("svc/{}", file_name(&files[0]))
    );
}

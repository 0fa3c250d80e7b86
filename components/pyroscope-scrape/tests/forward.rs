//! Hand-off (spec §4.3, §5.4, §5.7): the labels a receiver gets, `forward_to = []`, receiver
//! errors, the metrics, identical targets, and the chain through a real `pyroscope.write` to
//! the fake Pyroscope server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "../../../crates/test-util/include/write_chain.rs"]
mod write_chain;

use common::*;
use ferroalloy_pyroscope::AppendError;
use ferroalloy_test_util::FakePyroscope;
use write_chain::writer_to;

/// §4.3: what a receiver gets for a goroutine and a memory job (before the writer filters).
#[tokio::test]
async fn receivers_get_the_job_labels_and_the_scope_labels() {
    let target = FakeTarget::start().await;
    serve_memory(&target);
    target.reply("/debug/pprof/goroutine", Reply::pprof(goroutine_profile()));
    let recorder = Recorder::new();
    let address = target.address();
    let mut arguments = args(
        vec![common::target(&[
            ("__address__", &address),
            ("__meta_kubernetes_namespace", "ns"),
            ("service_name", "app"),
            ("env", "test"),
        ])],
        vec![recorder.receiver()],
        "1s",
        &["memory", "goroutine"],
    );
    arguments.job_name = "j".to_owned();
    arguments.params.insert("debug".into(), vec!["1".into()]);
    let _harness = start(arguments).await;
    assert!(recorder.wait_named("goroutine", 1, WAIT).await);
    assert!(recorder.wait_named("memory", 1, WAIT).await);
    let version = format!("v{}", env!("CARGO_PKG_VERSION"));
    let mut goroutine: Vec<(String, String)> = recorder.named("goroutine")[0]
        .0
        .clone()
        .into_iter()
        .collect();
    goroutine.sort();
    let expected: Vec<(String, String)> = [
        ("__address__", address.as_str()),
        ("__meta_kubernetes_namespace", "ns"),
        ("__name__", "goroutine"),
        ("__param_debug", "1"),
        ("__profile_path__", "/debug/pprof/goroutine"),
        ("__scheme__", "http"),
        ("env", "test"),
        ("instance", address.as_str()),
        ("job", "j"),
        ("otel.scope.name", "com.grafana.alloy/pyroscope.scrape"),
        ("otel.scope.version", version.as_str()),
        ("service_name", "app"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(goroutine, expected);
    let memory = &recorder.named("memory")[0].0;
    assert_eq!(memory.get("__delta__"), Some("false"));
    assert_eq!(memory.get("__profile_path__"), Some("/debug/pprof/allocs"));
    let paths: Vec<String> = target
        .received()
        .iter()
        .map(|r| r.path_and_query.clone())
        .collect();
    assert!(
        paths.contains(&"/debug/pprof/goroutine?debug=1".to_owned()),
        "{paths:?}"
    );
}

/// Bad input `forward_to = []`: every job `up`, nothing sent, nothing counted as forwarded.
#[tokio::test]
async fn an_empty_forward_to_discards_and_is_up() {
    let target = FakeTarget::start().await;
    serve_memory(&target);
    target.reply("/debug/pprof/goroutine", Reply::pprof(goroutine_profile()));
    let harness = start(single(&target, vec![], "1s", &["memory", "goroutine"])).await;
    assert!(target.wait_count("/debug/pprof/allocs", 2, WAIT).await);
    for suffix in ["/debug/pprof/allocs", "/debug/pprof/goroutine"] {
        let info = wait_info(&harness, suffix, WAIT, |t| t.health != "unknown").await;
        assert_eq!(info.health, "up", "{suffix}");
        assert_eq!(info.last_error, "");
    }
    assert_eq!(
        harness.metric_value("pyroscope_forwarded_entries_total"),
        Some(0.0)
    );
}

/// §5.7: every receiver is tried; the failures in `forward_to` order joined by `; `; the
/// counter grows only when all succeeded; the latency histogram observes each fan-out.
#[tokio::test]
async fn receiver_errors_are_joined_and_all_receivers_are_tried() {
    let target = FakeTarget::start().await;
    target.reply("/debug/pprof/goroutine", Reply::pprof(goroutine_profile()));
    let failing_a = Recorder::new();
    failing_a.fail_with(Some(AppendError::Rejected(
        "invalid labels in profile: first".into(),
    )));
    let ok = Recorder::new();
    let failing_b = Recorder::new();
    failing_b.fail_with(Some(AppendError::Other("second".into())));
    let harness = start(single(
        &target,
        vec![failing_a.receiver(), ok.receiver(), failing_b.receiver()],
        "1s",
        &["goroutine"],
    ))
    .await;
    let info = first_outcome(&harness, "/debug/pprof/goroutine").await;
    assert_eq!(info.health, "down");
    assert_eq!(info.last_error, "invalid labels in profile: first; second");
    assert_eq!(
        ok.named("goroutine").len(),
        failing_b.named("goroutine").len()
    );
    assert!(!ok.named("goroutine").is_empty(), "every receiver is tried");
    assert_eq!(
        harness.metric_value("pyroscope_forwarded_entries_total"),
        Some(0.0)
    );
    assert!(
        harness
            .metric_value("pyroscope_fanout_latency_count")
            .unwrap()
            >= 1.0
    );

    failing_a.fail_with(None);
    failing_b.fail_with(None);
    wait_info(&harness, "/debug/pprof/goroutine", WAIT, |t| {
        t.health == "up"
    })
    .await;
    assert!(
        harness
            .metric_value("pyroscope_forwarded_entries_total")
            .unwrap()
            >= 1.0
    );
}

/// Acceptance 17: two targets with identical labels and address produce one set of jobs.
#[tokio::test]
async fn identical_targets_are_one_set_of_jobs() {
    let target = FakeTarget::start().await;
    let same = common::target(&[("__address__", &target.address()), ("service_name", "app")]);
    let harness = start(args(
        vec![same.clone(), same],
        vec![],
        "30s",
        &["memory", "goroutine", "mutex", "block"],
    ))
    .await;
    let urls: Vec<String> = targets_info(&harness).into_iter().map(|t| t.url).collect();
    let address = target.address();
    assert_eq!(
        urls,
        [
            format!("http://{address}/debug/pprof/allocs"),
            format!("http://{address}/debug/pprof/block"),
            format!("http://{address}/debug/pprof/goroutine"),
            format!("http://{address}/debug/pprof/mutex"),
        ]
    );
}

/// §4.3 through a real `pyroscope.write` to the fake Pyroscope server: the label sets a server
/// receives for a non-delta and a delta job.
#[tokio::test]
async fn through_pyroscope_write_to_the_server() {
    let server = FakePyroscope::start().await.unwrap();
    let (_writer, receiver) = writer_to(&server.url()).await;
    let target = FakeTarget::start().await;
    serve_memory(&target);
    target.reply("/debug/pprof/goroutine", Reply::pprof(goroutine_profile()));
    let address = target.address();
    let _harness = start(args(
        vec![common::target(&[
            ("__address__", &address),
            ("service_name", "app"),
            ("env", "test"),
        ])],
        vec![receiver],
        "1s",
        &["memory", "goroutine"],
    ))
    .await;
    let seen = |name: &str| {
        server
            .received_series()
            .into_iter()
            .find(|s| s.label("__name__") == Some(name))
    };
    assert!(
        ferroalloy_test_util::eventually(WAIT, || seen("goroutine").is_some()
            && seen("memory").is_some())
        .await
    );
    let version = format!("v{}", env!("CARGO_PKG_VERSION"));
    let names = |series: ferroalloy_test_util::pyroscope_server::ReceivedSeries| {
        let mut pairs: Vec<(String, String)> = series.labels.clone();
        pairs.sort();
        pairs
    };
    let base = [
        ("env", "test"),
        ("instance", address.as_str()),
        ("otel.scope.name", "com.grafana.alloy/pyroscope.scrape"),
        ("otel.scope.version", version.as_str()),
        ("service_name", "app"),
    ];
    let with = |extra: &[(&str, &str)]| {
        let mut pairs: Vec<(String, String)> = base
            .iter()
            .chain(extra)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        pairs.sort();
        pairs
    };
    assert_eq!(
        names(seen("goroutine").unwrap()),
        with(&[("__name__", "goroutine")])
    );
    assert_eq!(
        names(seen("memory").unwrap()),
        with(&[("__name__", "memory"), ("__delta__", "false")])
    );
    let memory = seen("memory").unwrap();
    assert!(memory.samples[0].gzipped);
}

/// Bad input: a target label name `my-label` is scraped; the writer refuses the profile and the
/// job is `down` with its `invalid labels in profile: …` text.
#[tokio::test]
async fn a_label_the_writer_refuses_makes_the_job_down() {
    let server = FakePyroscope::start().await.unwrap();
    let (_writer, receiver) = writer_to(&server.url()).await;
    let target = FakeTarget::start().await;
    target.reply("/debug/pprof/goroutine", Reply::pprof(goroutine_profile()));
    let harness = start(args(
        vec![common::target(&[
            ("__address__", &target.address()),
            ("service_name", "app"),
            ("my-label", "x"),
        ])],
        vec![receiver],
        "1s",
        &["goroutine"],
    ))
    .await;
    let info = first_outcome(&harness, "/debug/pprof/goroutine").await;
    assert_eq!(info.health, "down");
    assert!(
        info.last_error.starts_with("invalid labels in profile: "),
        "{}",
        info.last_error
    );
    assert!(info.last_error.contains("my-label"), "{}", info.last_error);
    assert_eq!(server.received_series().len(), 0);
}

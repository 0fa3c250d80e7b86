//! `pyroscope.write` end to end over loopback against the fake Pyroscope server, on the real
//! clock (§18 items 2–4, 10, 11, 15, 16, 23; §19 rows about Append).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{appender, args_for, assert_invariant, labels, metric, sample, start};
use ferroalloy_http_client::USER_AGENT_VALUE;
use ferroalloy_pyroscope::push_v1::PushRequest;
use ferroalloy_pyroscope::{AppendError, IncomingProfile, RawSample};
use ferroalloy_pyroscope_write::PyroscopeWriteArguments;
use ferroalloy_pyroscope_write::config::Headers;
use ferroalloy_test_util::eventually;
use ferroalloy_test_util::pyroscope_server::{FakePyroscope, Route, ScriptedResponse};
use prost::Message as _;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn label_pipeline_reaches_the_server_sorted_filtered_and_extended() {
    let server = FakePyroscope::start().await.expect("server");
    let mut args = args_for(&[server.url()]);
    args.external_labels = BTreeMap::from([
        ("foo".to_owned(), "buzz".to_owned()),
        ("job".to_owned(), String::new()),
    ]);
    let harness = start(args).await;
    appender(&harness)
        .append(
            labels(&[
                ("__name__", "process_cpu"),
                ("__address__", "a:1"),
                ("__meta_x", "y"),
                ("__delta__", "false"),
                ("job", "j"),
                ("foo", "bar"),
                ("service_name", "s"),
            ]),
            sample("sample-id", b"profile bytes"),
        )
        .await
        .expect("accepted");
    let requests = server
        .wait_for(Route::Push, 1, WAIT)
        .await
        .expect("one push");
    let series = &requests[0].series;
    assert_eq!(series.len(), 1);
    assert_eq!(
        series[0].label_pairs(),
        [
            ("__delta__", "false"),
            ("__name__", "process_cpu"),
            ("foo", "buzz"),
            ("service_name", "s"),
        ]
    );
    assert_eq!(series[0].samples.len(), 1);
    assert_eq!(series[0].samples[0].id, "sample-id");
    assert_eq!(&series[0].samples[0].raw_profile[..], b"profile bytes");
    assert!(
        eventually(WAIT, || metric(
            &harness,
            "pyroscope_write_sent_profiles_total",
            &[]
        ) == Some(1.0))
        .await
    );
    assert_invariant(&harness);
}

#[tokio::test]
async fn invalid_labels_are_refused_with_alloys_texts_and_nothing_moves() {
    let server = FakePyroscope::start().await.expect("server");
    let harness = start(args_for(&[server.url()])).await;
    let appender = appender(&harness);
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("service_name", "s"), ("invalid-label", "x")],
            "invalid labels in profile: invalid label name: invalid label name: invalid-label: character is not allowed: '-'",
        ),
        (&[], "invalid labels in profile: service name is required"),
        (
            &[("service_name", "s"), ("foo", "1"), ("foo", "2")],
            "invalid labels in profile: duplicate label name: foo",
        ),
        (
            &[("service_name", "s"), ("a b", "1")],
            "invalid labels in profile: invalid label name: invalid label name: a b: character is not allowed: ' '",
        ),
        (
            &[("service_name", "s"), ("", "1")],
            "invalid labels in profile: invalid label name: label name is required",
        ),
    ];
    for (pairs, expected) in cases {
        let err = appender
            .append(labels(pairs), sample("", b"x"))
            .await
            .expect_err("refused");
        assert!(matches!(err, AppendError::Rejected(_)), "{err:?}");
        assert_eq!(err.to_string(), expected);
    }
    let err = appender
        .append_ingest(IncomingProfile {
            raw_body: b"body".to_vec().into(),
            path: "/ingest".into(),
            raw_query: "name=x".into(),
            ..IncomingProfile::default()
        })
        .await
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "invalid labels in profile: service name is required"
    );
    // A valid Append afterwards is the first and only request.
    appender
        .append(labels(&[("service_name", "s")]), sample("", b"x"))
        .await
        .expect("accepted");
    server
        .wait_for(Route::Push, 1, WAIT)
        .await
        .expect("one push");
    assert!(
        eventually(WAIT, || metric(
            &harness,
            "pyroscope_write_sent_profiles_total",
            &[]
        ) == Some(1.0))
        .await
    );
    assert_eq!(server.request_count(), 1);
    assert_eq!(
        metric(&harness, "pyroscope_write_enqueued_profiles_total", &[]),
        Some(1.0)
    );
    assert_eq!(
        metric(&harness, "pyroscope_write_dropped_profiles_total", &[]),
        Some(0.0)
    );
}

#[tokio::test]
async fn a_dead_endpoint_never_delays_the_caller_or_the_others() {
    let a = FakePyroscope::start().await.expect("server a");
    let b = FakePyroscope::start().await.expect("server b");
    let c = FakePyroscope::start().await.expect("server c");
    c.set_fallback(Route::Push, Some(ScriptedResponse::never_answer()));
    // C holds every request for an hour: an Append that waited on C's network I/O could not
    // return before the bound below, so returning at all shows the caller never waits on it.
    // (Per-call latency with a dead endpoint is measured by the benchmarks, not asserted here.)
    let mut args = args_for(&[a.url(), b.url(), c.url()]);
    args.endpoints[2].remote_timeout =
        ferroalloy_value::duration::Duration::from_secs(3600).expect("an hour fits");
    let harness = start(args).await;
    let appender = appender(&harness);
    let append = |i: usize| {
        let appender = appender.clone();
        async move {
            appender
                .append(
                    labels(&[("service_name", "s")]),
                    sample(&format!("p{i}"), b"x"),
                )
                .await
                .expect("accepted");
        }
    };
    append(0).await;
    c.wait_for(Route::Push, 1, WAIT)
        .await
        .expect("C holds the first request");
    let rest = async {
        for i in 1..200 {
            append(i).await;
        }
    };
    tokio::time::timeout(WAIT, rest)
        .await
        .expect("199 more Appends returned while C held its request");
    let counts = c.counts(Route::Push);
    assert!(counts.by_status.is_empty(), "C never answered: {counts:?}");
    assert_eq!(counts.closed, 0, "{counts:?}");
    for server in [&a, &b] {
        let requests = server
            .wait_for(Route::Push, 200, WAIT)
            .await
            .expect("all 200");
        assert_eq!(requests.len(), 200);
    }
    let c_label = c.url();
    assert_eq!(
        metric(
            &harness,
            "pyroscope_write_enqueued_profiles_total",
            &[("endpoint", c_label.as_str())]
        ),
        Some(200.0)
    );
    assert_invariant(&harness);
}

#[tokio::test]
async fn a_push_request_has_the_connect_shape() {
    let server = FakePyroscope::start().await.expect("server");
    let mut args = args_for(&[format!("{}/base/", server.url())]);
    args.endpoints[0].headers = Headers(BTreeMap::from([(
        "X-Scope-OrgID".to_owned(),
        "squad-1".to_owned(),
    )]));
    let harness = start(args).await;
    appender(&harness)
        .append(labels(&[("service_name", "s")]), sample("", b"pprof"))
        .await
        .expect("accepted");
    let requests = server.wait_for(Route::Push, 1, WAIT).await.expect("a push");
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/base/push.v1.PusherService/Push");
    assert_eq!(
        request.header("content-type").as_deref(),
        Some("application/proto")
    );
    assert_eq!(
        request.header("connect-protocol-version").as_deref(),
        Some("1")
    );
    let timeout_ms: u64 = request
        .header("connect-timeout-ms")
        .and_then(|v| v.parse().ok())
        .expect("Connect-Timeout-Ms");
    assert!((9_000..=10_000).contains(&timeout_ms), "{timeout_ms}");
    assert_eq!(request.user_agent().as_deref(), Some(USER_AGENT_VALUE));
    assert!(USER_AGENT_VALUE.starts_with("ferroalloy/"));
    assert_eq!(request.org_id().as_deref(), Some("squad-1"));
    assert_eq!(request.header("content-encoding"), None);
    assert_eq!(
        request.header("content-length"),
        Some(request.body.len().to_string())
    );
    let decoded = PushRequest::decode(request.body.clone()).expect("a PushRequest");
    assert_eq!(decoded.series.len(), 1);
    assert_eq!(&decoded.series[0].samples[0].raw_profile[..], b"pprof");
    assert_eq!(
        protoc_decode_push_request(&request.body),
        "series {\n  labels {\n    name: \"service_name\"\n    value: \"s\"\n  }\n  \
         samples {\n    raw_profile: \"pprof\"\n  }\n}\n"
    );
}

/// The body as `protoc --decode=push.v1.PushRequest` reads it with the schemas checked in under
/// `crates/pyroscope/proto` (the peer validator of PEERS.md; `.ci/run` installs `protoc`).
#[allow(
    clippy::expect_used,
    reason = "a missing or failing protoc ends the test with its message"
)]
fn protoc_decode_push_request(body: &[u8]) -> String {
    use std::io::Write as _;
    let proto_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../crates/pyroscope/proto");
    let mut child = std::process::Command::new("protoc")
        .args([
            "--decode=push.v1.PushRequest",
            "-I",
            proto_dir,
            "push.proto",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("protoc on PATH (Debian package protobuf-compiler; .ci/run installs it)");
    child
        .stdin
        .take()
        .expect("protoc stdin")
        .write_all(body)
        .expect("body to protoc");
    let output = child.wait_with_output().expect("protoc finishes");
    assert!(
        output.status.success(),
        "protoc --decode failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("protoc prints text")
}

#[tokio::test]
async fn every_endpoint_gets_the_same_bytes() {
    let servers = [
        FakePyroscope::start().await.expect("server"),
        FakePyroscope::start().await.expect("server"),
        FakePyroscope::start().await.expect("server"),
    ];
    let urls: Vec<String> = servers.iter().map(FakePyroscope::url).collect();
    let harness = start(args_for(&urls)).await;
    appender(&harness)
        .append(
            labels(&[("service_name", "s"), ("env", "prod")]),
            vec![
                RawSample::with_id("one", b"first".to_vec()),
                RawSample::new(b"second".to_vec()),
            ],
        )
        .await
        .expect("accepted");
    let mut bodies = Vec::new();
    for server in &servers {
        let requests = server.wait_for(Route::Push, 1, WAIT).await.expect("a push");
        bodies.push(requests[0].body.clone());
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[1], bodies[2]);
    let decoded = PushRequest::decode(bodies[0].clone()).expect("a PushRequest");
    assert_eq!(decoded.series[0].samples.len(), 2);
    assert_eq!(decoded.series[0].samples[1].id, "");
    assert!(
        eventually(WAIT, || {
            urls.iter().all(|u| {
                metric(
                    &harness,
                    "pyroscope_write_sent_profiles_total",
                    &[("endpoint", u.as_str())],
                ) == Some(2.0)
            })
        })
        .await
    );
}

#[tokio::test]
async fn ingest_requests_are_forwarded_with_the_rewritten_name() {
    let server = FakePyroscope::start().await.expect("server");
    let mut args = args_for(&[format!("{}/base/", server.url())]);
    args.external_labels = BTreeMap::from([
        ("env".to_owned(), "prod".to_owned()),
        ("cluster".to_owned(), "c1".to_owned()),
    ]);
    let harness = start(args).await;
    let body = b"\x1f\x8b raw pprof body".to_vec();
    appender(&harness)
        .append_ingest(IncomingProfile {
            raw_body: body.clone().into(),
            content_type: vec!["ct1".into(), "ct2".into()],
            path: "/ingest".into(),
            raw_query: "name=app%7Benv%3Dstaging%2Ckey%3Dvalue%7D&from=1&until=2&format=pprof"
                .into(),
            labels: labels(&[
                ("__name__", "app"),
                ("env", "staging"),
                ("key", "value"),
                ("service_name", "my-service"),
            ]),
        })
        .await
        .expect("accepted");
    let requests = server
        .wait_for(Route::Ingest, 1, WAIT)
        .await
        .expect("an ingest");
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/base/ingest");
    assert_eq!(
        request.query.as_deref(),
        Some(
            "format=pprof&from=1&name=my-service%7Bcluster%3Dc1%2Cenv%3Dprod%2Ckey%3Dvalue%2Cservice_name%3Dmy-service%7D&until=2"
        )
    );
    let content_types: Vec<&str> = request
        .headers
        .get_all("content-type")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(content_types, ["ct1", "ct2"]);
    assert_eq!(&request.body[..], &body[..]);
    assert_eq!(request.user_agent().as_deref(), Some(USER_AGENT_VALUE));
}

#[tokio::test]
async fn ingest_outcomes_show_in_debug_info() {
    let server = FakePyroscope::start().await.expect("server");
    server.script_ingest([
        ScriptedResponse::status(202),
        ScriptedResponse::status(422).body("bad"),
        ScriptedResponse::status(503),
        ScriptedResponse::status(200),
    ]);
    let url = format!("{}/base/", server.url());
    let mut args = args_for(std::slice::from_ref(&url));
    args.endpoints[0].min_backoff_period =
        ferroalloy_value::duration::Duration::from_nanos(10_000_000);
    args.endpoints[0].queue_config.max_shards = 1.0;
    let harness = start(args).await;
    let appender = appender(&harness);
    let ingest = || IncomingProfile {
        raw_body: b"body".to_vec().into(),
        content_type: vec!["application/octet-stream".into()],
        path: "/ingest".into(),
        raw_query: "name=app&format=pprof".into(),
        labels: labels(&[("__name__", "app")]),
    };
    appender.append_ingest(ingest()).await.expect("accepted");
    server
        .wait_for(Route::Ingest, 1, WAIT)
        .await
        .expect("first");
    appender.append_ingest(ingest()).await.expect("accepted");
    server
        .wait_for(Route::Ingest, 2, WAIT)
        .await
        .expect("second");
    let component = harness.component().clone();
    assert!(
        eventually(WAIT, || component.endpoint_states()[0].1.dropped_profiles
            == 1)
        .await
    );
    let state = &component.endpoint_states()[0].1;
    assert_eq!(state.sent_profiles, 1);
    assert_eq!(
        state.last_error,
        format!(
            "failed to ingest to endpoint {url} (0 retries): remote error: pyroscope write error: status=422 msg=bad"
        )
    );
    appender.append_ingest(ingest()).await.expect("accepted");
    server
        .wait_for(Route::Ingest, 4, WAIT)
        .await
        .expect("503 then 200");
    assert!(eventually(WAIT, || component.endpoint_states()[0].1.sent_profiles == 2).await);
    let state = &component.endpoint_states()[0].1;
    assert_eq!(state.retries, 1);
    assert_eq!(state.consecutive_failures, 0);
    assert!(!state.last_success.is_empty());
    assert_eq!(
        metric(
            &harness,
            "pyroscope_write_dropped_profiles_by_reason_total",
            &[("reason", "rejected")]
        ),
        Some(1.0)
    );
    assert_invariant(&harness);
}

#[tokio::test]
async fn zero_endpoints_still_validate() {
    let harness = start(PyroscopeWriteArguments::default()).await;
    let appender = appender(&harness);
    appender
        .append(labels(&[("service_name", "s")]), sample("", b"x"))
        .await
        .expect("valid labels are accepted");
    appender
        .append(labels(&[("service_name", "s")]), Vec::new())
        .await
        .expect("zero samples are a no-op");
    let err = appender
        .append(labels(&[]), sample("", b"x"))
        .await
        .expect_err("invalid labels are refused");
    assert_eq!(
        err.to_string(),
        "invalid labels in profile: service name is required"
    );
    let debug = harness.debug_info().expect("debug info");
    assert!(debug.is_empty());
}

#[tokio::test]
async fn garbage_and_oversized_profiles_are_accepted_and_handled_per_endpoint() {
    let server = FakePyroscope::start().await.expect("server");
    let mut args = args_for(&[server.url()]);
    args.endpoints[0].queue_config.capacity_bytes = 1024.0;
    let harness = start(args).await;
    let appender = appender(&harness);
    appender
        .append(
            labels(&[("service_name", "s")]),
            sample("", &[0xde, 0xad, 0xbe, 0xef]),
        )
        .await
        .expect("garbage is forwarded unchanged");
    let requests = server.wait_for(Route::Push, 1, WAIT).await.expect("a push");
    assert_eq!(
        &requests[0].series[0].samples[0].raw_profile[..],
        &[0xde, 0xad, 0xbe, 0xef]
    );
    appender
        .append(labels(&[("service_name", "s")]), sample("", &[0u8; 2048]))
        .await
        .expect("the caller is not told about drops");
    assert_eq!(
        metric(
            &harness,
            "pyroscope_write_dropped_profiles_by_reason_total",
            &[("reason", "too_large")]
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(&harness, "pyroscope_write_dropped_bytes_total", &[]),
        Some(2048.0)
    );
    assert!(
        eventually(WAIT, || metric(
            &harness,
            "pyroscope_write_sent_profiles_total",
            &[]
        ) == Some(1.0))
        .await
    );
    assert_invariant(&harness);
}

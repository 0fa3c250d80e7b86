//! Delivery over real loopback sockets against the fake Pyroscope server, on the real clock
//! (spec §18 items 4, 10, 11, 15, 16, 22 and §19's delivery rows). No tight durations are
//! asserted; every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferroalloy_pyroscope_write::endpoint::{DrainReason, EndpointState, QueueItem};
use ferroalloy_test_util::pyroscope_server::{FakePyroscope, Gate, Route, ScriptedResponse};
use tokio::time::Instant;

mod wire_support;

use wire_support::*;

fn reason(state: &EndpointState, reason: &str) -> u64 {
    state
        .dropped_by_reason
        .iter()
        .find(|(r, _)| *r == reason)
        .map(|(_, n)| *n)
        .unwrap()
}

// §18 item 10

#[tokio::test]
async fn push_request_shape_on_the_wire() {
    let server = FakePyroscope::start().await.unwrap();
    let setup = Setup::new();
    let ep = setup.endpoint(&format!(
        "url = \"{}/base/\"\nheaders = {{ \"X-Scope-OrgID\" = \"squad-1\" }}",
        server.url()
    ));
    ep.enqueue(&push_item("svc", b"\x01\x02\x03"));
    let reqs = server.wait_for(Route::Push, 1, WAIT).await.unwrap();
    let req = &reqs[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/base/push.v1.PusherService/Push");
    assert_eq!(req.content_type().as_deref(), Some("application/proto"));
    assert_eq!(req.header("connect-protocol-version").as_deref(), Some("1"));
    let timeout_ms: i64 = req.header("connect-timeout-ms").unwrap().parse().unwrap();
    assert!((9_000..=10_000).contains(&timeout_ms), "{timeout_ms}");
    assert_eq!(
        req.user_agent().as_deref(),
        Some(concat!("ferroalloy/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(req.org_id().as_deref(), Some("squad-1"));
    assert!(req.header("content-encoding").is_none());
    assert!(req.header("transfer-encoding").is_none());
    assert_eq!(
        req.header("content-length").as_deref(),
        Some(req.body.len().to_string().as_str())
    );
    assert_eq!(req.series.len(), 1, "{:?}", req.decode_error);
    assert_eq!(
        req.series[0].label_pairs(),
        [("__name__", "process_cpu"), ("service_name", "svc")]
    );
    assert_eq!(
        req.series[0].samples[0].raw_profile.as_ref(),
        b"\x01\x02\x03"
    );
    assert_eq!(req.series[0].samples[0].id, "x");
    let state = settle(&ep).await;
    assert_eq!(state.sent_profiles, 1);
    server.shutdown().await;
}

// §18 item 11

#[tokio::test]
async fn three_endpoints_receive_byte_identical_bodies() {
    let servers = [
        FakePyroscope::start().await.unwrap(),
        FakePyroscope::start().await.unwrap(),
        FakePyroscope::start().await.unwrap(),
    ];
    let setup = Setup::new();
    let eps: Vec<_> = servers
        .iter()
        .map(|s| setup.endpoint(&format!("url = \"{}\"", s.url())))
        .collect();
    let item = push_item("svc", b"garbage, not a pprof");
    for ep in &eps {
        ep.enqueue(&item);
    }
    let mut bodies = Vec::new();
    for s in &servers {
        bodies.push(
            s.wait_for(Route::Push, 1, WAIT).await.unwrap()[0]
                .body
                .clone(),
        );
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[1], bodies[2]);
    for ep in &eps {
        settle(ep).await;
    }
}

// §18 item 4 (delivery side): a dead endpoint delays nobody.

#[tokio::test]
async fn a_dead_endpoint_does_not_delay_the_others() {
    let a = FakePyroscope::start().await.unwrap();
    let b = FakePyroscope::start().await.unwrap();
    let c = FakePyroscope::start().await.unwrap();
    c.set_fallback(Route::Push, Some(ScriptedResponse::never_answer()));
    let setup = Setup::new();
    let eps = [
        setup.endpoint(&format!("url = \"{}\"", a.url())),
        setup.endpoint(&format!("url = \"{}\"", b.url())),
        setup.endpoint(&format!("url = \"{}\"\nremote_timeout = \"10s\"", c.url())),
    ];
    let mut slowest = Duration::ZERO;
    let start = std::time::Instant::now();
    for i in 0..200 {
        let item = push_item(&format!("svc-{i}"), b"p");
        let t = std::time::Instant::now();
        for ep in &eps {
            ep.enqueue(&item);
        }
        slowest = slowest.max(t.elapsed());
    }
    let total = start.elapsed();
    assert!(total < Duration::from_secs(1), "{total:?}");
    assert!(slowest < Duration::from_millis(100), "{slowest:?}");
    for s in [&a, &b] {
        s.wait_for(Route::Push, 200, WAIT).await.unwrap();
    }
    settle(&eps[0]).await;
    settle(&eps[1]).await;
    assert_eq!(eps[0].state().sent_profiles, 200);
    assert_eq!(eps[1].state().sent_profiles, 200);
    assert_eq!(eps[2].state().enqueued_profiles, 200);
    assert_eq!(eps[2].state().sent_profiles, 0);
    let summary = eps[2].drain(Instant::now(), DrainReason::Removed).await;
    assert_eq!(summary.dropped, 200);
    c.shutdown().await;
}

// §18 item 15

#[tokio::test]
async fn ingest_is_forwarded_unchanged_with_its_content_types() {
    let server = FakePyroscope::start().await.unwrap();
    let setup = Setup::new();
    let ep = setup.endpoint(&format!("url = \"{}/base/\"", server.url()));
    let body = Bytes::from_static(b"\x1f\x8b\x08\x00 raw pprof body");
    let query = "format=pprof&from=1&name=my-service%7Bcluster%3Dc1%2Cenv%3Dprod%2Ckey%3Dvalue%2Cservice_name%3Dmy-service%7D&until=2";
    ep.enqueue(&Arc::new(QueueItem::ingest(
        body.clone(),
        vec!["ct1".into(), "ct2".into()],
        "/ingest".into(),
        query.into(),
    )));
    let reqs = server.wait_for(Route::Ingest, 1, WAIT).await.unwrap();
    let req = &reqs[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/base/ingest");
    assert_eq!(req.query.as_deref(), Some(query));
    let cts: Vec<_> = req.headers.get_all("content-type").iter().collect();
    assert_eq!(cts, ["ct1", "ct2"]);
    assert_eq!(req.body, body);
    assert_eq!(
        req.user_agent().as_deref(),
        Some(concat!("ferroalloy/", env!("CARGO_PKG_VERSION")))
    );
    assert!(req.header("content-encoding").is_none());
    settle(&ep).await;
}

// §18 item 16

#[tokio::test]
async fn ingest_outcomes() {
    let server = FakePyroscope::start().await.unwrap();
    server.script_ingest([
        ScriptedResponse::status(202),
        ScriptedResponse::status(422).body("bad"),
        ScriptedResponse::status(503),
        ScriptedResponse::status(200),
    ]);
    let setup = Setup::new();
    let url = format!("{}/base/", server.url());
    let ep = setup.endpoint(&format!("url = \"{url}\"\nmin_backoff_period = \"10ms\""));
    let ingest = || {
        Arc::new(QueueItem::ingest(
            Bytes::from_static(b"b"),
            vec![],
            "/ingest".into(),
            "name=a".into(),
        ))
    };
    ep.enqueue(&ingest());
    let state = settle(&ep).await;
    assert_eq!(state.sent_profiles, 1);
    assert_eq!(server.count(Route::Ingest), 1);
    ep.enqueue(&ingest());
    let state = settle(&ep).await;
    assert_eq!(server.count(Route::Ingest), 2);
    assert_eq!(
        state.last_error,
        format!(
            "failed to ingest to endpoint {url} (0 retries): remote error: pyroscope write error: status=422 msg=bad"
        )
    );
    assert_eq!(reason(&state, "rejected"), 1);
    ep.enqueue(&ingest());
    let state = settle(&ep).await;
    assert_eq!(server.count(Route::Ingest), 4);
    assert_eq!(state.sent_profiles, 2);
    assert_eq!(state.consecutive_failures, 0);
    server.shutdown().await;
}

// §18 item 9 over the wire, and §19: a 10 MiB error body.

#[tokio::test]
async fn gzip_connect_errors_and_huge_bodies_are_handled() {
    let server = FakePyroscope::start().await.unwrap();
    server.script_push([
        ScriptedResponse::connect_error("resource_exhausted", "push rate limit").gzip(),
        ScriptedResponse::status(503).body(vec![b'x'; 10 * 1024 * 1024]),
        ScriptedResponse::connect_error("resource_exhausted", "push rate limit").gzip(),
    ]);
    let setup = Setup::new();
    let url = server.url();
    let ep = setup.endpoint(&format!(
        "url = \"{url}\"\nmin_backoff_period = \"10ms\"\nmax_backoff_retries = 3"
    ));
    ep.enqueue(&push_item("svc", b"p"));
    let state = settle(&ep).await;
    assert_eq!(server.count(Route::Push), 3);
    assert_eq!(
        state.last_error,
        format!(
            "failed to push to endpoint {url} (3 retries): resource_exhausted: push rate limit"
        )
    );
    assert_eq!(reason(&state, "retries_exhausted"), 1);
    // The connection of the cut 10 MiB body was discarded; the endpoint still delivers.
    ep.enqueue(&push_item("svc", b"p"));
    let state = settle(&ep).await;
    assert_eq!(state.sent_profiles, 1);
    server.shutdown().await;
}

// §19: a dead port.

#[tokio::test]
async fn connection_refused_is_a_retried_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let setup = Setup::new();
    let ep = setup.endpoint(&format!(
        "url = \"http://127.0.0.1:{port}\"\nmin_backoff_period = \"10ms\"\nmax_backoff_retries = 2"
    ));
    ep.enqueue(&push_item("svc", b"p"));
    let state = settle(&ep).await;
    assert!(
        state.last_error.starts_with(&format!(
            "failed to push to endpoint http://127.0.0.1:{port} (2 retries): transport error: "
        )),
        "{}",
        state.last_error
    );
    assert_eq!(state.retries, 1);
    assert!(setup.text().contains("status_code=\"error\""));
}

// §18 item 22 (delivery side).

#[tokio::test]
async fn secrets_never_reach_debug_state_or_metrics() {
    let server = FakePyroscope::start().await.unwrap();
    server.script_push([ScriptedResponse::status(500).body("boom")]);
    let setup = Setup::new();
    let addr = server.addr();
    let ep = setup.endpoint(&format!(
        "url = \"http://u:p4ss@{addr}\"\nmin_backoff_period = \"10ms\"\nmax_backoff_retries = 1\nheaders = {{ \"X-Token\" = \"s3cr3t-token\" }}"
    ));
    ep.enqueue(&push_item("svc", b"p"));
    let failed = settle(&ep).await;
    ep.enqueue(&push_item("svc", b"p"));
    let ok = settle(&ep).await;
    assert_eq!(ok.sent_profiles, 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].authorization().unwrap().starts_with("Basic "));
    assert_eq!(reqs[0].header("x-token").as_deref(), Some("s3cr3t-token"));
    let text = setup.text();
    let dump = format!("{failed:?}{ok:?}{text}{:?}", ep);
    assert!(!dump.contains("p4ss"), "{dump}");
    assert!(!dump.contains("s3cr3t-token"), "{dump}");
    assert!(
        text.contains(&format!("endpoint=\"http://u:xxxxx@{addr}\"")),
        "{text}"
    );
    assert_eq!(failed.url, format!("http://u:xxxxx@{addr}"));
    assert!(
        failed
            .last_error
            .contains(&format!("http://u:xxxxx@{addr}"))
    );
    server.shutdown().await;
}

// §18 item 12 over the wire.

#[tokio::test]
async fn overflow_keeps_the_newest_and_delivers_in_order() {
    let server = FakePyroscope::start().await.unwrap();
    let gate = Gate::new();
    server.script_push([ScriptedResponse::ok().after(&gate)]);
    let setup = Setup::new();
    let ep = setup.endpoint(&format!(
        "url = \"{}\"\nqueue_config {{\n capacity = 3\n max_shards = 1\n}}",
        server.url()
    ));
    ep.enqueue(&push_item("p1", b"1"));
    server.wait_for(Route::Push, 1, WAIT).await.unwrap();
    for i in 2..=10 {
        ep.enqueue(&push_item(&format!("p{i}"), b"1"));
    }
    let state = ep.state();
    assert_eq!(state.queue_profiles, 3);
    assert_eq!(reason(&state, "queue_full"), 6);
    gate.open();
    let reqs = server.wait_for(Route::Push, 4, WAIT).await.unwrap();
    let order: Vec<String> = reqs
        .iter()
        .map(|r| r.series[0].label("service_name").unwrap().to_owned())
        .collect();
    assert_eq!(order, ["p1", "p8", "p9", "p10"]);
    let state = settle(&ep).await;
    assert_eq!(state.sent_profiles, 4);
    assert_eq!(
        state.enqueued_profiles,
        state.sent_profiles + state.dropped_profiles
    );
    server.shutdown().await;
}

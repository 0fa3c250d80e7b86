//! Scrape failures (spec §5.2, §5.3, Bad input): every failure text of the §5.3 table as a job's
//! `last_error`, the transport error naming the URL, the timeout text, and nothing forwarded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;

/// One target per reply, each with its own `__profile_path__`, only the goroutine type enabled
/// so a 1s interval is valid.
#[tokio::test]
async fn every_failure_text_of_the_table() {
    let target = FakeTarget::start().await;
    let html = "\n  <!DOCTYPE html><html><body><h1>Internal Server Error</h1></body></html>";
    let json = r#"{"error": "profiling is disabled on this host", "code": 7}"#;
    let cases: Vec<(&str, Reply, String)> = vec![
        (
            "/404",
            Reply::with(404, Some("text/plain"), "Unknown profile\n"),
            "server returned HTTP status (404) Unknown profile".into(),
        ),
        (
            "/500",
            Reply::with(500, None, ""),
            "server returned HTTP status (500) 500 Internal Server Error".into(),
        ),
        (
            "/html",
            Reply::pprof(html),
            format!(
                "invalid profile data: text response instead of pprof: {:?} (server should return \
                 HTTP error, not 200)",
                &html[..50]
            ),
        ),
        (
            "/json",
            Reply::pprof(json),
            format!(
                "invalid profile data: text response instead of pprof: \"{}\" (server should \
                 return HTTP error, not 200)",
                json[..50].replace('"', "\\\"")
            ),
        ),
        (
            "/text",
            Reply::with(200, Some("text/plain; charset=utf-8"), "hello"),
            "invalid profile data: unexpected Content-Type text/plain; charset=utf-8, expected \
             application/octet-stream for pprof data"
                .into(),
        ),
        (
            "/no-type",
            Reply::with(200, None, vec![0x0a, 0x00, 0x10]),
            "invalid profile data: missing Content-Type header".into(),
        ),
        ("/empty", Reply::pprof(""), "empty goroutine profile".into()),
        (
            "/ff",
            Reply::pprof(vec![0xff, 0xff, 0xff]),
            "invalid profile data: invalid protobuf data: illegal wireType 7 (expected 0-5), \
             first bytes: ffffff"
                .into(),
        ),
        (
            "/short",
            Reply::pprof(vec![0x0a, 0x00]),
            "invalid profile data: data too short for pprof format".into(),
        ),
    ];
    let mut targets = Vec::new();
    for (path, reply, _) in &cases {
        target.reply(path, reply.clone());
        targets.push(target_with_path(&target, path));
    }
    let recorder = Recorder::new();
    let harness = start(args(
        targets,
        vec![recorder.receiver()],
        "1s",
        &["goroutine"],
    ))
    .await;
    for (path, _, expected) in &cases {
        let info = wait_info(&harness, path, WAIT, |t| t.health != "unknown").await;
        assert_eq!(info.health, "down", "{path}");
        assert_eq!(&info.last_error, expected, "{path}");
        assert_ne!(info.last_scrape, "0001-01-01T00:00:00Z", "{path}");
    }
    assert!(recorder.appends().is_empty(), "nothing is forwarded");
    assert_eq!(
        harness.health().map(|h| h.state.as_str()),
        Some("healthy"),
        "scrape failures never change the component's health"
    );
}

fn target_with_path(target: &FakeTarget, path: &str) -> std::collections::BTreeMap<String, String> {
    common::target(&[
        ("__address__", &target.address()),
        ("__profile_path__", path),
        ("service_name", "app"),
    ])
}

/// A refused connection: `down` with the transport error, which names the URL.
#[tokio::test]
async fn transport_errors_name_the_url() {
    let mut target = FakeTarget::start().await;
    let address = target.address();
    target.stop().await;
    let harness = start(args(
        vec![common::target(&[("__address__", &address)])],
        vec![],
        "1s",
        &["goroutine"],
    ))
    .await;
    let info = first_outcome(&harness, "/debug/pprof/goroutine").await;
    assert_eq!(info.health, "down");
    let url = format!("http://{address}/debug/pprof/goroutine");
    assert!(
        info.last_error.starts_with(&format!("Get \"{url}\": ")),
        "{}",
        info.last_error
    );
    assert!(
        info.last_error.to_lowercase().contains("connect"),
        "{}",
        info.last_error
    );
}

/// A target that never answers: `down` after `scrape_timeout` with the timeout text, and the
/// held request is given up.
#[tokio::test]
async fn a_target_that_never_answers_times_out() {
    let target = FakeTarget::start().await;
    target.reply("/debug/pprof/goroutine", Reply::Hang);
    let mut arguments = single(&target, vec![], "1s", &["goroutine"]);
    arguments.scrape_timeout = dur("300ms");
    let harness = start(arguments).await;
    let info = first_outcome(&harness, "/debug/pprof/goroutine").await;
    assert_eq!(info.health, "down");
    assert_eq!(
        info.last_error,
        format!(
            "scrape of http://{}/debug/pprof/goroutine timed out after 300ms",
            target.address()
        )
    );
    assert!(
        ferroalloy_test_util::eventually(WAIT, || target.abandoned() >= 1).await,
        "the held request is abandoned by the client"
    );
}

/// A `seconds` URL gets `scrape_timeout + interval − 1s` (§5.2): a CPU job against a target that
/// never answers reports that bound.
#[tokio::test]
async fn a_seconds_url_gets_the_longer_bound() {
    let target = FakeTarget::start().await;
    target.reply("/debug/pprof/profile", Reply::Hang);
    let mut arguments = single(&target, vec![], "2s", &["process_cpu"]);
    arguments.scrape_timeout = dur("500ms");
    let harness = start(arguments).await;
    let info = first_outcome(&harness, "/debug/pprof/profile?seconds=1").await;
    assert_eq!(
        info.last_error,
        format!(
            "scrape of http://{}/debug/pprof/profile?seconds=1 timed out after 1.5s",
            target.address()
        )
    );
}

/// The request: `GET`, the product `User-Agent`, no `Accept-Encoding`, the client block's
/// `http_headers` (§5.3).
#[tokio::test]
async fn the_request_has_the_user_agent_and_no_accept_encoding() {
    let target = FakeTarget::start().await;
    target.reply("/debug/pprof/goroutine", Reply::pprof(goroutine_profile()));
    let mut arguments = single(&target, vec![], "1s", &["goroutine"]);
    arguments.client.http_headers.insert(
        "X-Scope".to_owned(),
        vec![ferroalloy_value::Secret::new("team-a")],
    );
    let _harness = start(arguments).await;
    assert!(target.wait_count("/debug/pprof/goroutine", 1, WAIT).await);
    let request = &target.received()[0];
    let ua = request.headers.get("user-agent").unwrap().to_str().unwrap();
    assert!(ua.starts_with("ferroalloy/"), "{ua}");
    assert!(request.headers.get("accept-encoding").is_none());
    assert_eq!(request.headers.get("x-scope").unwrap(), "team-a");
}

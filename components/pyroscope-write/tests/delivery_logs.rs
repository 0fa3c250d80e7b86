//! §16 / §18 item 22: logs at trace level never carry secrets. Alone in its test binary, so
//! that it can install the global log subscriber.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod wire_support;

use ferroalloy_pyroscope_write::endpoint::DrainReason;
use ferroalloy_test_util::CapturedLogs;
use ferroalloy_test_util::pyroscope_server::{FakePyroscope, Route, ScriptedResponse};
use tokio::time::Instant;
use wire_support::*;

#[tokio::test(flavor = "current_thread")]
async fn logs_name_the_redacted_endpoint_and_no_secret() {
    // The only test of this binary, so the subscriber can be the global one: a thread-scoped
    // subscriber shares tracing's per-callsite interest cache with every other test thread.
    let captured = CapturedLogs::install_global(tracing::Level::TRACE).expect("first subscriber");
    let server = FakePyroscope::start().await.unwrap();
    server.script_push([
        ScriptedResponse::status(503).body("down"),
        ScriptedResponse::status(400).body("bad"),
    ]);
    let setup = Setup::new();
    let addr = server.addr();
    let ep = setup.endpoint(&format!(
        "url = \"http://u:p4ss@{addr}\"\nname = \"primary\"\nmin_backoff_period = \"10ms\"\nbearer_token = \"s3cr3t-token\"\nheaders = {{ \"X-Api-Key\" = \"hdr-s3cr3t\" }}"
    ));
    ep.enqueue(&push_item("svc", b"p"));
    let state = settle(&ep).await;
    assert_eq!(server.count(Route::Push), 2);
    // URL userinfo becomes the Authorization header, which then keeps the bearer token out
    // (http-client.md §5).
    let auth = server.requests()[0].authorization().unwrap();
    assert!(auth.starts_with("Basic "), "{auth}");
    ep.drain(Instant::now(), DrainReason::Shutdown).await;
    server.shutdown().await;
    let logs = captured.text();
    assert!(logs.contains("attempt failed"), "{logs}");
    assert!(logs.contains("request failed"), "{logs}");
    assert!(logs.contains(&format!("http://u:xxxxx@{addr}")), "{logs}");
    assert!(logs.contains("primary"), "{logs}");
    for secret in ["p4ss", "s3cr3t-token", "hdr-s3cr3t", &auth[6..]] {
        assert!(!logs.contains(secret), "{secret} in {logs}");
        assert!(!format!("{state:?}").contains(secret));
    }
}

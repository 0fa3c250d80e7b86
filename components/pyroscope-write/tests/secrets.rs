//! No secret reaches logs, debug info or metrics (§16, §18 item 22), through a failing and a
//! succeeding delivery.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use common::{appender, labels, metric, sample, start};
use ferroalloy_pyroscope_write::{EndpointConfig, PyroscopeWriteArguments};
use ferroalloy_test_util::eventually;
use ferroalloy_test_util::pyroscope_server::{FakePyroscope, Route, ScriptedResponse};
use ferroalloy_value::Secret;

const WAIT: Duration = Duration::from_secs(10);

/// Collects everything the fmt subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// Current-thread runtime: every task logs through the thread's default subscriber.
#[tokio::test]
async fn secrets_never_reach_logs_debug_info_or_metrics() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = FakePyroscope::start().await.expect("server");
    server.script_push([
        ScriptedResponse::status(503).body("try later"),
        ScriptedResponse::status(503).body("try later"),
        ScriptedResponse::ok(),
    ]);
    let port = server.addr().port();
    let mut endpoint = EndpointConfig::new(format!("http://u:p4ss@127.0.0.1:{port}"));
    endpoint.client.bearer_token = Secret::new("s3cr3t-token");
    endpoint.max_backoff_retries = 2;
    endpoint.min_backoff_period = ferroalloy_value::duration::Duration::from_nanos(10_000_000);
    endpoint.queue_config.max_shards = 1.0;
    let harness = start(PyroscopeWriteArguments {
        endpoints: vec![endpoint],
        ..PyroscopeWriteArguments::default()
    })
    .await;
    let appender = appender(&harness);
    appender
        .append(labels(&[("service_name", "s")]), sample("", b"p"))
        .await
        .expect("accepted");
    server
        .wait_for(Route::Push, 2, WAIT)
        .await
        .expect("two attempts");
    appender
        .append(labels(&[("service_name", "s")]), sample("", b"p"))
        .await
        .expect("accepted");
    server
        .wait_for(Route::Push, 3, WAIT)
        .await
        .expect("third request");
    let redacted = format!("http://u:xxxxx@127.0.0.1:{port}");
    assert!(
        eventually(WAIT, || metric(
            &harness,
            "pyroscope_write_sent_profiles_total",
            &[("endpoint", redacted.as_str())]
        ) == Some(1.0))
        .await,
        "{}",
        harness.metrics_text()
    );
    assert_eq!(
        metric(
            &harness,
            "pyroscope_write_dropped_profiles_by_reason_total",
            &[
                ("endpoint", redacted.as_str()),
                ("reason", "retries_exhausted")
            ]
        ),
        Some(1.0)
    );

    let debug = harness.debug_info().expect("debug info");
    let debug_text = format!("{debug:?} {}", debug.to_api_json());
    let state = &harness.component().endpoint_states()[0].1;
    assert_eq!(
        state.last_error,
        format!(
            "failed to push to endpoint {redacted} (2 retries): unexpected HTTP status 503: try later"
        )
    );
    assert!(debug_text.contains(&redacted), "{debug_text}");
    let logs = captured.text();
    assert!(
        logs.contains(&redacted),
        "the logs name the endpoint: {logs}"
    );
    let metrics = harness.metrics_text();
    let args_text = format!("{:?}", harness.component());
    for (what, text) in [
        ("logs", &logs),
        ("debug info", &debug_text),
        ("metrics", &metrics),
        ("component", &args_text),
    ] {
        for secret in ["s3cr3t-token", "p4ss"] {
            assert!(!text.contains(secret), "{secret} in {what}: {text}");
        }
    }
}

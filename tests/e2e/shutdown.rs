//! Stopping components with the real binary, a real `pyroscope.receive_http` producer and a real
//! `pyroscope.write` writer in front of the fake Pyroscope server (runtime §7.2 step 5, §8,
//! §15 items 14 and 20):
//! - a renamed receiver on the same port is stopped before its successor is built, so one reload
//!   succeeds;
//! - on `SIGTERM`, the receiver (layer 0) stops before the writer it feeds (layer 1), the writer
//!   drains what it queued while the server holds its answers, and the process exits 0;
//! - what the drain cannot deliver in time is counted as dropped with reason `shutdown`; a task
//!   still running at `--feature.component-shutdown-deadline` is aborted with an error log;
//! - a second `SIGTERM` exits 1 without waiting for the drain.
//!
//! The fake server runs on its own tokio runtime; the test thread talks to ferroalloy with
//! blocking loopback requests. Held answers use a gate the test opens, so the order of events
//! is fixed by the test, not by timing; every wait is bounded.
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a broken fixture stops the test with a message"
)]

use std::path::Path;
use std::time::Duration;

use ferroalloy_test_util::pyroscope_server::{Gate, Outcome, ReceivedRequest};
use ferroalloy_test_util::{BlockingFakePyroscope, Route, ScriptedResponse};
use ferroalloy_tests::{RunningFerroalloy, free_port, start_run, temp, try_http_request_with_body};

/// The fake Pyroscope server on a runtime of its own; stopped when dropped.
fn start_fake() -> BlockingFakePyroscope {
    BlockingFakePyroscope::start().expect("start the fake Pyroscope server")
}

/// Wait (up to 30 s) until `n` ingest requests have reached `fake`.
fn wait_for_ingests(fake: &BlockingFakePyroscope, n: usize) -> Vec<ReceivedRequest> {
    fake.wait_for(Route::Ingest, n, Duration::from_secs(30))
        .unwrap_or_else(|err| panic!("{err}"))
}

/// `pyroscope.write "w"` (one worker, so requests go one at a time) fed by
/// `pyroscope.receive_http "<receiver>"` on `127.0.0.1:<port>`.
fn config(fake_url: &str, drain_timeout: &str, receiver: &str, port: u16) -> String {
    format!(
        "pyroscope.write \"w\" {{\n  endpoint {{\n    url = \"{fake_url}\"\n\n    queue_config {{\n      max_shards    = 1\n      drain_timeout = \"{drain_timeout}\"\n    }}\n  }}\n}}\n\npyroscope.receive_http \"{receiver}\" {{\n  http {{\n    listen_address = \"127.0.0.1\"\n    listen_port    = {port}\n  }}\n\n  forward_to = [pyroscope.write.w.receiver]\n}}\n"
    )
}

fn write_config(dir: &Path, text: &str) {
    std::fs::write(dir.join("main.alloy"), text).expect("write main.alloy");
}

/// `POST /ingest?name=app&format=pprof` with `body` to the receiver on `port`.
fn ingest(port: u16, body: &str) -> std::io::Result<u16> {
    try_http_request_with_body(
        &format!("127.0.0.1:{port}"),
        "POST",
        "/ingest?name=app&format=pprof",
        &[("Content-Type", "application/octet-stream")],
        body.as_bytes(),
    )
    .map(|reply| reply.status)
}

/// Send `bodies` through the receiver; each must be accepted (200).
fn send_all(port: u16, bodies: &[String]) {
    for body in bodies {
        assert_eq!(ingest(port, body).expect("the receiver answers"), 200);
    }
}

/// The value of the first series of `name` whose labels contain every one of `labels`.
fn metric(run: &RunningFerroalloy, name: &str, labels: &[&str]) -> Option<f64> {
    let text = run.get("/metrics").text();
    text.lines()
        .filter(|line| line.starts_with(&format!("{name}{{")))
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

const W: &str = "component_id=\"pyroscope.write.w\"";

/// Wait (up to 10 s) until nothing accepts connections on `port` any more.
fn wait_port_closed(run: &RunningFerroalloy, port: u16) -> bool {
    run.wait_until(Duration::from_secs(10), |_| {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
    })
}

/// The first stderr line containing `msg="<msg>"`.
fn log_line(stderr: &str, msg: &str) -> Option<String> {
    let needle = format!("msg=\"{msg}\"");
    stderr
        .lines()
        .find(|line| line.contains(&needle))
        .map(str::to_owned)
}

fn bodies(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("profile-{i}")).collect()
}

/// `ferroalloy run` whose writer is stuck: the fake server never answers, `profiles` bodies were
/// accepted by the receiver and the first has reached the server (one request in flight, the
/// rest queued). Dropped in field order: the process is killed first.
struct Stalled {
    run: RunningFerroalloy,
    /// The receiver's port.
    port: u16,
    _dir: tempfile::TempDir,
    fake: BlockingFakePyroscope,
}

/// [`Stalled`] with the writer's `drain_timeout` and `--feature.component-shutdown-deadline`.
fn stalled_writer(drain_timeout: &str, deadline: &str, profiles: usize) -> Stalled {
    let fake = start_fake();
    fake.server()
        .set_fallback(Route::Ingest, Some(ScriptedResponse::never_answer()));
    let dir = temp();
    let port = free_port();
    write_config(
        dir.path(),
        &config(&fake.server().url(), drain_timeout, "r", port),
    );
    let run = start_run(
        dir.path(),
        &[
            &format!("--feature.component-shutdown-deadline={deadline}"),
            "main.alloy",
        ],
    );
    run.wait_ready();
    send_all(port, &bodies(profiles));
    wait_for_ingests(&fake, 1);
    Stalled {
        run,
        port,
        _dir: dir,
        fake,
    }
}

/// Item 14: renaming `pyroscope.receive_http "a"` to `"b"` on the same port takes one
/// successful reload, because the removed receiver is stopped before the new one binds.
#[test]
fn renaming_a_receiver_on_the_same_port_succeeds_in_one_reload() {
    let fake = start_fake();
    fake.server()
        .set_fallback(Route::Ingest, Some(ScriptedResponse::status(200)));
    let dir = temp();
    let port = free_port();
    write_config(dir.path(), &config(&fake.server().url(), "30s", "a", port));
    let mut run = start_run(dir.path(), &["main.alloy"]);
    run.wait_ready();
    send_all(port, &bodies(1));
    wait_for_ingests(&fake, 1);

    write_config(dir.path(), &config(&fake.server().url(), "30s", "b", port));
    let reload = run.post("/-/reload");
    assert_eq!(
        (reload.status, reload.text().as_str()),
        (200, "config reloaded\n"),
        "{}",
        run.stderr()
    );
    let status = run.get("/api/v0/web/reload-status").json();
    assert_eq!(status["lastReload"]["outcome"], "ok", "{status}");
    assert_eq!(
        run.get("/api/v0/web/components/pyroscope.receive_http.a")
            .status,
        404
    );
    let started = run.wait_until(Duration::from_secs(10), |run| {
        run.get("/api/v0/web/components/pyroscope.receive_http.b")
            .json()["health"]["state"]
            == "healthy"
    });
    let detail = run
        .get("/api/v0/web/components/pyroscope.receive_http.b")
        .json();
    assert!(started, "{detail}\n{}", run.stderr());
    assert_eq!(detail["health"]["message"], "started component", "{detail}");
    let healthy = run.get("/-/healthy");
    assert_eq!(
        (healthy.status, healthy.text().as_str()),
        (200, "All ferroalloy components are healthy.\n")
    );

    // The new receiver serves the same port and still feeds the writer.
    send_all(port, &["after-rename".to_owned()]);
    let received = wait_for_ingests(&fake, 2);
    assert_eq!(received[1].body.as_ref(), b"after-rename");

    run.signal("TERM");
    assert_eq!(
        run.wait_exit(Duration::from_secs(60)),
        Some(0),
        "{}",
        run.stderr()
    );
}

/// Item 20: `SIGTERM` while the server holds the writer's answers: the receiver stops first
/// (its port closes while the writer still waits for its first answer), the writer then delivers
/// everything it had queued, and the process exits 0 long before the deadline.
#[test]
fn sigterm_stops_the_receiver_first_and_the_writer_drains_its_queue() {
    let fake = start_fake();
    let gate = Gate::new();
    let sent = bodies(5);
    fake.server().script_ingest((0..sent.len()).map(|_| {
        ScriptedResponse::status(200)
            .delay(Duration::from_millis(50))
            .after(&gate)
    }));
    let dir = temp();
    let port = free_port();
    write_config(dir.path(), &config(&fake.server().url(), "2m", "r", port));
    let mut run = start_run(
        dir.path(),
        &["--feature.component-shutdown-deadline=3m", "main.alloy"],
    );
    run.wait_ready();

    send_all(port, &sent);
    // One worker: the first request is held at the server, the other four wait in the queue.
    wait_for_ingests(&fake, 1);
    assert_eq!(
        metric(&run, "pyroscope_write_enqueued_profiles_total", &[W]),
        Some(5.0)
    );
    assert_eq!(
        metric(&run, "pyroscope_write_queue_profiles", &[W]),
        Some(4.0)
    );
    assert_eq!(
        metric(&run, "pyroscope_write_in_flight_requests", &[W]),
        Some(1.0)
    );

    run.signal("TERM");
    assert!(wait_port_closed(&run, port), "{}", run.stderr());
    // The producer is gone while the writer is still waiting for its first answer.
    assert_eq!(fake.server().count(Route::Ingest), 1);
    assert_eq!(ingest(port, "too-late").ok(), None);
    assert_eq!(
        run.wait_exit(Duration::from_millis(0)),
        None,
        "still draining"
    );
    assert_eq!(run.get("/-/ready").status, 503);

    gate.open();
    assert_eq!(
        run.wait_exit(Duration::from_secs(60)),
        Some(0),
        "{}",
        run.stderr()
    );
    let received = fake.server().requests_to(Route::Ingest);
    let bodies: Vec<&[u8]> = received.iter().map(|r| r.body.as_ref()).collect();
    let expected: Vec<&[u8]> = sent.iter().map(|b| b.as_bytes()).collect();
    assert_eq!(
        bodies, expected,
        "everything queued was delivered, in order"
    );
    assert!(received.iter().all(|r| r.outcome == Outcome::Answered(200)));

    let stderr = run.stderr();
    let drained = log_line(&stderr, "endpoint drain finished")
        .unwrap_or_else(|| panic!("no drain log:\n{stderr}"));
    assert!(drained.contains("level=info"), "{drained}");
    assert!(drained.contains(" delivered=5"), "{drained}");
    assert!(drained.contains(" dropped=0"), "{drained}");
    assert!(
        log_line(&stderr, "endpoint drain finished with drops").is_none(),
        "{stderr}"
    );
    assert!(!stderr.contains("shutdown deadline"), "{stderr}");
    assert!(stderr.contains("msg=\"ferroalloy stopped\""), "{stderr}");
}

/// Item 20, what cannot be delivered: the server never answers, the writer's drain ends at its
/// `drain_timeout`, the profiles it held are counted as dropped with reason `shutdown`, and the
/// process still exits 0.
#[test]
fn what_the_drain_cannot_deliver_is_dropped_with_reason_shutdown() {
    // Bound in this order so that they drop in reverse: the process is killed first.
    let Stalled {
        fake,
        _dir,
        port: _port,
        mut run,
    } = stalled_writer("1s", "1m", 3);
    assert_eq!(
        metric(&run, "pyroscope_write_enqueued_profiles_total", &[W]),
        Some(3.0)
    );
    assert_eq!(
        metric(&run, "pyroscope_write_sent_profiles_total", &[W]),
        Some(0.0)
    );

    run.signal("TERM");
    assert_eq!(
        run.wait_exit(Duration::from_secs(60)),
        Some(0),
        "{}",
        run.stderr()
    );
    let stderr = run.stderr();
    let drained = log_line(&stderr, "endpoint drain finished with drops")
        .unwrap_or_else(|| panic!("no drain log:\n{stderr}"));
    assert!(drained.contains("level=warn"), "{drained}");
    assert!(drained.contains(" delivered=0"), "{drained}");
    assert!(drained.contains(" dropped=3"), "{drained}");
    assert!(drained.contains(" reason=shutdown"), "{drained}");
    assert_eq!(
        fake.server().count(Route::Ingest),
        1,
        "no retry after the drain"
    );
    assert!(!stderr.contains("shutdown deadline"), "{stderr}");
}

/// Item 20, the runtime's deadline: a writer whose drain would outlast
/// `--feature.component-shutdown-deadline` is aborted there with an error log naming it, and
/// the process exits 0.
#[test]
fn a_writer_still_draining_at_the_shutdown_deadline_is_aborted() {
    // Bound in this order so that they drop in reverse: the process is killed first.
    let Stalled {
        fake: _fake,
        _dir,
        port: _port,
        mut run,
    } = stalled_writer("10m", "1s", 2);

    run.signal("TERM");
    assert_eq!(
        run.wait_exit(Duration::from_secs(60)),
        Some(0),
        "{}",
        run.stderr()
    );
    let stderr = run.stderr();
    let aborted = stderr
        .lines()
        .find(|line| line.contains("did not stop before the shutdown deadline"))
        .unwrap_or_else(|| panic!("no abort log:\n{stderr}"));
    assert!(aborted.contains("level=error"), "{aborted}");
    assert!(aborted.contains("pyroscope.write.w"), "{aborted}");
    assert!(
        !stderr
            .lines()
            .any(|line| line.contains("did not stop") && line.contains("receive_http")),
        "the receiver stopped in time:\n{stderr}"
    );
    assert!(stderr.contains("msg=\"ferroalloy stopped\""), "{stderr}");
}

/// Item 20, impatience: a second `SIGTERM` during a drain that would take minutes exits 1 at
/// once (bounded here far below the drain and the deadline).
#[test]
fn a_second_sigterm_during_the_drain_exits_1() {
    // Bound in this order so that they drop in reverse: the process is killed first.
    let Stalled {
        fake: _fake,
        _dir,
        port,
        mut run,
    } = stalled_writer("10m", "10m", 2);

    run.signal("TERM");
    // The receiver has stopped: the runtime is now waiting for the writer's drain.
    assert!(wait_port_closed(&run, port), "{}", run.stderr());
    assert_eq!(
        run.wait_exit(Duration::from_millis(0)),
        None,
        "still draining"
    );
    run.signal("TERM");
    assert_eq!(
        run.wait_exit(Duration::from_secs(30)),
        Some(1),
        "{}",
        run.stderr()
    );
    let stderr = run.stderr();
    assert!(
        stderr.contains("received a second termination signal, exiting at once"),
        "{stderr}"
    );
}

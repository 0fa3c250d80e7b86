//! `pyroscope.write` inside the real `ferroalloy run`, delivering to fake Pyroscope servers
//! started in the test process: runtime §15 items 9, 10, 18 and 19, and the end-to-end
//! pipeline (`pyroscope.receive_http` → `pyroscope.write` → several servers), and DESIGN.md's
//! "reload under load" row through the binary.
//!
//! Design decisions:
//! - the fake servers ([`FakePyroscope`]) run on tokio runtimes of their own
//!   ([`BlockingFakePyroscope`], [`Fakes`]); the test itself stays synchronous, like the other e2e tests, and drives
//!   the binary over HTTP with the helpers of `ferroalloy-tests`;
//! - every wait is bounded ([`WAIT`]); nothing asserts how fast something happens;
//! - "no re-evaluation of the dependants" is read from the runtime's own metrics: an evaluation
//!   triggered by an export change (not by a load) is the only thing that observes
//!   `alloy_component_dependencies_wait_seconds`, and every evaluation observes
//!   `alloy_component_evaluation_seconds`.
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a broken fixture stops the test with a message"
)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use ferroalloy_pyroscope::generated::perftools::profiles::{Profile, Sample, ValueType};
use ferroalloy_pyroscope::pprof::encode_gzip;
use ferroalloy_pyroscope::push_v1::{PushRequest, RawProfileSeries, RawSample};
use ferroalloy_pyroscope::types_v1::LabelPair;
use ferroalloy_test_util::BlockingFakePyroscope;
use ferroalloy_test_util::pyroscope_server::{
    FakePyroscope, ReceivedRequest, Route, ScriptedResponse,
};
use ferroalloy_tests::{
    HttpReply, RunningFerroalloy, free_port, http_request_with_body, metric_sum, start_run, temp,
    write,
};
use prost::Message;
use serde_json::{Value, json};

/// The bound of every wait.
const WAIT: Duration = Duration::from_secs(30);

/// The secret of item 19.
const PASSWORD: &str = "s3cr3t-pw";

// ---------------------------------------------------------------------------------------------
// fixtures

/// Fake Pyroscope servers on 127.0.0.1, each served by a runtime of its own and stopped when
/// dropped.
struct Fakes {
    servers: Vec<BlockingFakePyroscope>,
}

impl Fakes {
    fn start(n: usize) -> Self {
        let servers = (0..n)
            .map(|_| BlockingFakePyroscope::start().expect("start a fake Pyroscope server"))
            .collect();
        Fakes { servers }
    }

    /// `http://127.0.0.1:<port>` of server `i`.
    fn url(&self, i: usize) -> String {
        self.servers[i].url()
    }

    fn server(&self, i: usize) -> &FakePyroscope {
        self.servers[i].server()
    }

    /// Wait until server `i` has received at least `n` requests to `route`; all of them.
    fn wait_for(&self, i: usize, route: Route, n: usize) -> Vec<ReceivedRequest> {
        self.servers[i]
            .wait_for(route, n, WAIT)
            .unwrap_or_else(|err| panic!("server {i}: {err:?}"))
    }
}

/// A small valid pprof profile (gzipped), distinct per `value`.
fn pprof(value: i64) -> Bytes {
    encode_gzip(&Profile {
        string_table: vec!["".into(), "cpu".into(), "nanoseconds".into()],
        sample_type: vec![ValueType { r#type: 1, unit: 2 }],
        sample: vec![Sample {
            value: vec![value],
            ..Sample::default()
        }],
        ..Profile::default()
    })
}

fn pairs(labels: &[(&str, &str)]) -> Vec<LabelPair> {
    labels
        .iter()
        .map(|(name, value)| LabelPair {
            name: (*name).to_owned(),
            value: (*value).to_owned(),
        })
        .collect()
}

/// One series of a push request: its labels and its samples as `(ID, raw_profile)`.
type Series<'a> = (Vec<LabelPair>, Vec<(&'a str, Bytes)>);

/// A binary Connect `PushRequest`.
fn push_request(series: Vec<Series<'_>>) -> Vec<u8> {
    PushRequest {
        series: series
            .into_iter()
            .map(|(labels, samples)| RawProfileSeries {
                labels,
                samples: samples
                    .into_iter()
                    .map(|(id, raw_profile)| RawSample {
                        raw_profile,
                        id: id.to_owned(),
                    })
                    .collect(),
                annotations: Vec::new(),
            })
            .collect(),
    }
    .encode_to_vec()
}

/// `POST /push.v1.PusherService/Push` to the receiver at `addr`, as a Connect unary client.
fn push(addr: &str, body: &[u8]) -> HttpReply {
    http_request_with_body(
        addr,
        "POST",
        "/push.v1.PusherService/Push",
        &[
            ("Content-Type", "application/proto"),
            ("Connect-Protocol-Version", "1"),
        ],
        body,
    )
}

/// `push` of one series `{service_name=<service>}` with one sample; asserts the 200.
fn push_one(addr: &str, service: &str, id: &str, value: i64) {
    let body = push_request(vec![(
        pairs(&[("__name__", "process_cpu"), ("service_name", service)]),
        vec![(id, pprof(value))],
    )]);
    let reply = push(addr, &body);
    assert_eq!(reply.status, 200, "{}", reply.text());
}

/// The component object of `id` (detail form).
fn component(run: &RunningFerroalloy, id: &str) -> Value {
    let reply = run.get(&format!("/api/v0/web/components/{id}"));
    assert_eq!(reply.status, 200, "{id}: {}", reply.text());
    reply.json()
}

/// The statement named `name` of an encoded body (runtime §10.2).
fn statement<'a>(body: &'a Value, name: &str) -> &'a Value {
    body.as_array()
        .and_then(|items| items.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no statement {name} in {body}"))
}

/// Every block named `name` of an encoded body, in order.
fn blocks<'a>(body: &'a Value, name: &str) -> Vec<&'a Value> {
    body.as_array()
        .map(|items| {
            items
                .iter()
                .filter(|s| s["name"] == name && s["type"] == "block")
                .collect()
        })
        .unwrap_or_default()
}

fn metric(run: &RunningFerroalloy, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    metric_sum(&run.get("/metrics").text(), name, labels)
}

/// The runtime's evaluation counters: (evaluations, evaluations triggered by export changes).
fn evaluation_counts(run: &RunningFerroalloy) -> (f64, f64) {
    let text = run.get("/metrics").text();
    (
        metric_sum(&text, "alloy_component_evaluation_seconds_count", &[]).unwrap_or(0.0),
        metric_sum(
            &text,
            "alloy_component_dependencies_wait_seconds_count",
            &[],
        )
        .unwrap_or(0.0),
    )
}

/// Wait until the evaluations queued by export changes have all finished: every evaluation is
/// either one of the `nodes` evaluations of each of `loads` loads or a queued one.
fn settled_evaluations(run: &RunningFerroalloy, nodes: f64, loads: f64) -> (f64, f64) {
    let mut counts = (0.0, 0.0);
    let settled = run.wait_until(WAIT, |run| {
        counts = evaluation_counts(run);
        counts.0 == nodes * loads + counts.1
    });
    assert!(settled, "evaluations did not settle: {counts:?}");
    counts
}

/// `(line, column)`, 1-based, of the first occurrence of `needle` in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in {text}"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = offset - before.rfind('\n').map_or(0, |n| n + 1) + 1;
    (line, column)
}

/// The `receive_http` block: `pyroscope.receive_http "in"` on 127.0.0.1:`port`, forwarding to
/// `pyroscope.write.w`.
fn receiver_block(port: u16) -> String {
    format!(
        "pyroscope.receive_http \"in\" {{\n  http {{\n    listen_address = \"127.0.0.1\"\n    listen_port    = {port}\n  }}\n  forward_to = [pyroscope.write.w.receiver]\n}}\n"
    )
}

/// Wait (bounded) until the receiver at `addr` accepts connections.
fn wait_listening(run: &RunningFerroalloy, addr: &str) {
    let up = run.wait_until(WAIT, |_| std::net::TcpStream::connect(addr).is_ok());
    assert!(up, "nothing listens on {addr}:\n{}", run.stderr());
}

// ---------------------------------------------------------------------------------------------
// runtime §15 item 19

#[test]
fn a_basic_auth_password_is_shown_as_a_secret_and_appears_nowhere() {
    let fakes = Fakes::start(1);
    let dir = temp();
    let config = dir.path().join("main.alloy");
    let text = format!(
        "pyroscope.write \"w\" {{\n  endpoint {{\n    url = \"{}\"\n\n    basic_auth {{\n      username = \"u\"\n      password = \"{PASSWORD}\"\n    }}\n  }}\n}}\n",
        fakes.url(0)
    );
    write(&config, &text);
    let run = start_run(
        dir.path(),
        &["--log.level=debug", "--config.watch=false", "main.alloy"],
    );
    run.wait_ready();

    let detail = component(&run, "pyroscope.write.w");
    assert_eq!(detail["health"]["state"], "healthy", "{detail}");
    let endpoint = blocks(&detail["arguments"], "endpoint");
    assert_eq!(endpoint.len(), 1, "{detail}");
    let auth = blocks(&endpoint[0]["body"], "basic_auth");
    assert_eq!(auth.len(), 1, "{detail}");
    assert_eq!(
        statement(&auth[0]["body"], "password")["value"],
        json!({"type": "capsule", "value": "(secret)"})
    );
    assert_eq!(
        statement(&auth[0]["body"], "username")["value"],
        json!({"type": "string", "value": "u"})
    );
    assert_eq!(
        statement(&endpoint[0]["body"], "url")["value"],
        json!({"type": "string", "value": fakes.url(0)})
    );
    assert_eq!(
        detail["exports"],
        json!([{"name": "receiver", "type": "attr",
            "value": {"type": "capsule", "value": "capsule(\"pyroscope.Appendable\")"}}])
    );

    // A failed reload of the same block: its diagnostics and the reload status must not echo
    // the password either.
    write(
        &config,
        &text.replace("    url = ", "    remote_timeout = \"soon\"\n    url = "),
    );
    let reload = run.post("/-/reload");
    assert_eq!(reload.status, 400, "{}", reload.text());
    assert!(!reload.text().contains(PASSWORD), "{}", reload.text());

    let mut seen = Vec::new();
    for path in [
        "/api/v0/web/components",
        "/api/v0/web/components/pyroscope.write.w",
        "/api/v0/web/reload-status",
        "/metrics",
        "/-/healthy",
    ] {
        let reply = run.get(path);
        seen.push((path, reply.text()));
    }
    for (path, text) in &seen {
        assert!(!text.contains(PASSWORD), "{path}: {text}");
    }
    assert!(
        seen.iter()
            .any(|(path, text)| *path == "/metrics" && text.contains("pyroscope.write.w")),
        "{seen:?}"
    );
    let log = run.stderr();
    assert!(log.contains("pyroscope.write.w"), "{log}");
    assert!(!log.contains(PASSWORD), "{log}");
}

// ---------------------------------------------------------------------------------------------
// runtime §15 item 18

#[test]
fn pyroscope_write_series_are_per_component_and_leave_with_the_component() {
    let fakes = Fakes::start(2);
    let dir = temp();
    let config = dir.path().join("main.alloy");
    let k = dir.path().join("k.txt");
    write(&k, "kay");
    let local = format!(
        "local.file \"k\" {{\n  filename = \"{}\"\n}}\n",
        k.display()
    );
    let w = format!(
        "pyroscope.write \"w\" {{\n  endpoint {{\n    url = \"{}\"\n  }}\n}}\n",
        fakes.url(0)
    );
    let v = format!(
        "pyroscope.write \"v\" {{\n  endpoint {{\n    url = \"{}\"\n\n    queue_config {{\n      capacity = 7\n    }}\n  }}\n}}\n",
        fakes.url(1)
    );
    write(&config, &format!("{local}\n{w}\n{v}"));
    let run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
    run.wait_ready();

    let text = run.get("/metrics").text();
    assert!(
        text.lines().any(|line| line
            == "alloy_component_controller_running_components{controller_id=\"\",controller_path=\"/\",health_type=\"healthy\"} 3"),
        "{text}"
    );
    let w_labels = [
        ("component_id", "pyroscope.write.w"),
        ("component_path", "/"),
    ];
    let w_endpoint = fakes.url(0);
    let mut with_endpoint = w_labels.to_vec();
    with_endpoint.push(("endpoint", w_endpoint.as_str()));
    assert_eq!(
        metric_sum(
            &text,
            "pyroscope_write_queue_capacity_profiles",
            &with_endpoint
        ),
        Some(10000.0),
        "{text}"
    );
    assert_eq!(
        metric_sum(
            &text,
            "pyroscope_write_queue_capacity_profiles",
            &[
                ("component_id", "pyroscope.write.v"),
                ("endpoint", fakes.url(1).as_str())
            ]
        ),
        Some(7.0),
        "{text}"
    );
    assert_eq!(
        metric_sum(
            &text,
            "pyroscope_write_queue_capacity_bytes",
            &with_endpoint
        ),
        Some(67_108_864.0),
        "{text}"
    );
    assert_eq!(
        metric_sum(
            &text,
            "ferroalloy_component_health",
            &[
                ("component_id", "pyroscope.write.w"),
                ("health_type", "healthy")
            ]
        ),
        Some(1.0),
        "{text}"
    );
    // Families gathered from the two writers' registries are merged: one HELP, one TYPE.
    for family in [
        "pyroscope_write_queue_capacity_profiles",
        "pyroscope_write_sent_profiles",
    ] {
        let help = text
            .lines()
            .filter(|line| line.starts_with(&format!("# HELP {family} ")))
            .count();
        let kind = text
            .lines()
            .filter(|line| line.starts_with(&format!("# TYPE {family} ")))
            .count();
        assert_eq!((help, kind), (1, 1), "{family}:\n{text}");
    }

    // Remove `w` by reload: its series are gone, `v`'s stay.
    write(&config, &format!("{local}\n{v}"));
    let reload = run.post("/-/reload");
    assert_eq!(
        (reload.status, reload.text()),
        (200, "config reloaded\n".to_owned())
    );
    let text = run.get("/metrics").text();
    assert!(
        !text.contains("component_id=\"pyroscope.write.w\""),
        "{text}"
    );
    assert!(
        text.contains("component_id=\"pyroscope.write.v\""),
        "{text}"
    );
    assert!(
        text.lines().any(|line| line
            == "alloy_component_controller_running_components{controller_id=\"\",controller_path=\"/\",health_type=\"healthy\"} 2"),
        "{text}"
    );
    assert_eq!(
        run.get("/api/v0/web/components/pyroscope.write.w").status,
        404
    );
}

// ---------------------------------------------------------------------------------------------
// runtime §15 items 9 and 10

#[test]
fn a_bad_reload_keeps_the_old_endpoint_and_a_fixed_one_swaps_it_under_the_same_handle() {
    let fakes = Fakes::start(2);
    let (old_url, new_url) = (fakes.url(0), fakes.url(1));
    let dir = temp();
    let config = dir.path().join("main.alloy");
    write(&dir.path().join("k1.txt"), "first");
    write(&dir.path().join("k2.txt"), "second");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let file = |k: &str, endpoint: &str| {
        format!(
            "local.file \"k\" {{\n  filename = \"{}\"\n}}\n\npyroscope.write \"w\" {{\n  endpoint {{\n{endpoint}  }}\n}}\n\n{}",
            dir.path().join(k).display(),
            receiver_block(port)
        )
    };
    write(
        &config,
        &file("k1.txt", &format!("    url = \"{old_url}\"\n")),
    );
    let run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
    run.wait_ready();
    wait_listening(&run, &addr);
    // Three nodes, one load so far, plus whatever the first publication of `receiver` queued.
    let (evaluations, queued) = settled_evaluations(&run, 3.0, 1.0);
    assert_eq!(
        component(&run, "pyroscope.write.w")["referencedBy"],
        json!(["pyroscope.receive_http.in"])
    );
    assert_eq!(
        component(&run, "pyroscope.receive_http.in")["dataFlowEdgesTo"],
        json!(["pyroscope.write.w"])
    );

    push_one(&addr, "before", "p1", 1);
    let first = fakes.wait_for(0, Route::Push, 1);
    assert_eq!(first[0].series[0].label("service_name"), Some("before"));

    // Item 9: a new URL and an invalid remote_timeout in the same endpoint block, plus a
    // change of another component in the same file.
    let bad = file(
        "k2.txt",
        &format!("    url            = \"{new_url}\"\n    remote_timeout = \"soon\"\n"),
    );
    write(&config, &bad);
    let (line, column) = position(&bad, "\"soon\"");
    let reload = run.post("/-/reload");
    let body = reload.text();
    assert_eq!(reload.status, 400, "{body}");
    assert_eq!(
        body,
        format!(
            "config reload applied with errors; failed components keep their previous arguments:\nmain.alloy:{line}:{column}: \"soon\" time: invalid duration \"soon\"\n"
        )
    );
    let w = component(&run, "pyroscope.write.w");
    assert_eq!(w["health"]["state"], "unhealthy", "{w}");
    assert_eq!(
        w["health"]["message"],
        format!(
            "component evaluation failed: main.alloy:{line}:{column}: \"soon\" time: invalid duration \"soon\""
        )
    );
    let endpoint = blocks(&w["arguments"], "endpoint");
    assert_eq!(endpoint.len(), 1, "{w}");
    assert_eq!(
        statement(&endpoint[0]["body"], "url")["value"],
        json!({"type": "string", "value": old_url})
    );
    let k = component(&run, "local.file.k");
    assert_eq!(
        k["exports"],
        json!([{"name": "content", "type": "attr",
            "value": {"type": "capsule", "value": "\"second\""}}]),
        "the other change of the file is applied"
    );
    assert_eq!(
        run.get("/api/v0/web/reload-status").json()["lastReload"]["outcome"],
        "partial"
    );
    let healthy = run.get("/-/healthy");
    assert_eq!(
        (healthy.status, healthy.text()),
        (500, "unhealthy components: pyroscope.write.w\n".to_owned())
    );
    // No evaluation was queued by an export change; each node was evaluated once by the load.
    let after_bad = evaluation_counts(&run);
    assert_eq!(after_bad, (evaluations + 3.0, queued), "bad reload");

    // `w` keeps delivering to the old URL.
    push_one(&addr, "during", "p2", 2);
    let old = fakes.wait_for(0, Route::Push, 2);
    assert_eq!(old[1].series[0].label("service_name"), Some("during"));
    assert_eq!(fakes.server(1).count(Route::Push), 0);

    // Item 10: the new URL stays, the bad remote_timeout goes.
    write(
        &config,
        &file("k2.txt", &format!("    url = \"{new_url}\"\n")),
    );
    let reload = run.post("/-/reload");
    assert_eq!(
        (reload.status, reload.text()),
        (200, "config reloaded\n".to_owned())
    );
    let w = component(&run, "pyroscope.write.w");
    assert_eq!(w["health"]["state"], "healthy", "{w}");
    assert_eq!(
        statement(&blocks(&w["arguments"], "endpoint")[0]["body"], "url")["value"],
        json!({"type": "string", "value": new_url})
    );
    assert_eq!(
        run.get("/-/healthy").text(),
        "All ferroalloy components are healthy.\n"
    );
    // Each node was evaluated once by the load and nothing was queued by an export change.
    // (A load evaluates a queued dependant in its own order, so these counts alone cannot tell
    // a new handle from the same one; the last step below does.)
    assert_eq!(
        evaluation_counts(&run),
        (evaluations + 6.0, queued),
        "good reload"
    );

    push_one(&addr, "after", "p3", 3);
    let new = fakes.wait_for(1, Route::Push, 1);
    assert_eq!(new[0].series[0].label("service_name"), Some("after"));
    assert_eq!(new[0].series[0].samples[0].id, "p3");
    assert_eq!(
        fakes.server(0).count(Route::Push),
        2,
        "nothing more reaches the old URL"
    );

    // Same receiver handle: the receiver keeps the handle it was built with when its own
    // evaluation fails (last good arguments), and that handle follows `w`'s next update. A
    // writer that exported a new handle per update would leave this push at the second server.
    let stuck = file("k2.txt", &format!("    url = \"{old_url}\"\n")).replace(
        "  forward_to = ",
        "  graceful_shutdown_timeout = \"soon\"\n  forward_to = ",
    );
    write(&config, &stuck);
    let reload = run.post("/-/reload");
    assert_eq!(reload.status, 400, "{}", reload.text());
    let receiver = component(&run, "pyroscope.receive_http.in");
    assert_eq!(receiver["health"]["state"], "unhealthy", "{receiver}");
    assert!(
        receiver["health"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("component evaluation failed: ")),
        "{receiver}"
    );
    let w = component(&run, "pyroscope.write.w");
    assert_eq!(w["health"]["state"], "healthy", "{w}");
    push_one(&addr, "last", "p4", 4);
    let old = fakes.wait_for(0, Route::Push, 3);
    assert_eq!(old[2].series[0].label("service_name"), Some("last"));
    assert_eq!(
        fakes.server(1).count(Route::Push),
        1,
        "the handle held since start-up follows the update"
    );
}

// ---------------------------------------------------------------------------------------------
// the pipeline: receive_http → write → several fake servers

#[test]
fn profiles_pushed_and_ingested_into_the_receiver_reach_every_endpoint_with_labels_and_tenant() {
    let fakes = Fakes::start(2);
    let (url_a, url_b) = (fakes.url(0), fakes.url(1));
    let dir = temp();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let config = format!(
        "pyroscope.write \"w\" {{\n  endpoint {{\n    url     = \"{url_a}\"\n    headers = {{\n      \"X-Scope-OrgID\" = \"tenant-a\",\n    }}\n  }}\n\n  endpoint {{\n    url     = \"{url_b}/base/\"\n    headers = {{\n      \"X-Scope-OrgID\" = \"tenant-b\",\n    }}\n\n    basic_auth {{\n      username = \"u\"\n      password = \"{PASSWORD}\"\n    }}\n  }}\n  external_labels = {{\n    cluster = \"c1\",\n    env     = \"prod\",\n  }}\n}}\n\n{}",
        receiver_block(port)
    );
    write(&dir.path().join("main.alloy"), &config);
    let mut run = start_run(
        dir.path(),
        &["--log.level=debug", "--config.watch=false", "main.alloy"],
    );
    run.wait_ready();
    wait_listening(&run, &addr);

    // A Connect push with two series (one and two samples).
    let (p1, p2, p3) = (pprof(11), pprof(22), pprof(33));
    let body = push_request(vec![
        (
            pairs(&[
                ("__name__", "process_cpu"),
                ("service_name", "svc"),
                ("env", "dev"),
                ("__address__", "10.0.0.1:4040"),
            ]),
            vec![("id-1", p1.clone())],
        ),
        (
            pairs(&[("__name__", "memory"), ("service_name", "svc")]),
            vec![("id-2", p2.clone()), ("", p3.clone())],
        ),
    ]);
    let reply = push(&addr, &body);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/proto"));

    // A legacy /ingest upload.
    let raw = pprof(44);
    let reply = http_request_with_body(
        &addr,
        "POST",
        "/ingest?name=app%7Bregion%3Deu%7D&from=1&until=2&format=pprof&sampleRate=100",
        &[("Content-Type", "binary/octet-stream")],
        &raw,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());

    let base = ["", "/base"];
    for (i, tenant) in [(0, "tenant-a"), (1, "tenant-b")] {
        let pushes = fakes.wait_for(i, Route::Push, 2);
        assert_eq!(pushes.len(), 2, "server {i}: one request per series");
        for request in &pushes {
            assert_eq!(
                request.path,
                format!("{}/push.v1.PusherService/Push", base[i])
            );
            assert_eq!(request.org_id().as_deref(), Some(tenant), "server {i}");
            assert_eq!(request.content_type().as_deref(), Some("application/proto"));
            assert_eq!(request.series.len(), 1);
        }
        let mut series: Vec<_> = pushes.iter().map(|r| r.series[0].clone()).collect();
        series.sort_by(|a, b| a.label("__name__").cmp(&b.label("__name__")));
        assert_eq!(
            series[0].label_pairs(),
            [
                ("__name__", "memory"),
                ("cluster", "c1"),
                ("env", "prod"),
                ("service_name", "svc"),
            ],
            "server {i}"
        );
        assert_eq!(
            series[1].label_pairs(),
            [
                ("__name__", "process_cpu"),
                ("cluster", "c1"),
                ("env", "prod"),
                ("service_name", "svc"),
            ],
            "server {i}: __address__ dropped, env overridden by external_labels"
        );
        let samples: Vec<(&str, &Bytes)> = series
            .iter()
            .flat_map(|s| s.samples.iter().map(|x| (x.id.as_str(), &x.raw_profile)))
            .collect();
        assert_eq!(
            samples,
            [("id-2", &p2), ("", &p3), ("id-1", &p1)],
            "server {i}: ids and bytes unchanged"
        );

        let ingests = fakes.wait_for(i, Route::Ingest, 1);
        let ingest = &ingests[0];
        assert_eq!(ingest.path, format!("{}/ingest", base[i]));
        assert_eq!(
            ingest.query.as_deref(),
            Some(
                "format=pprof&from=1&name=app%7Bcluster%3Dc1%2Cenv%3Dprod%2Cregion%3Deu%2Cservice_name%3Dapp%7D&sampleRate=100&until=2"
            ),
            "server {i}"
        );
        assert_eq!(
            ingest.header_values("content-type"),
            ["binary/octet-stream"]
        );
        assert_eq!(ingest.org_id().as_deref(), Some(tenant), "server {i}");
        assert_eq!(ingest.body, raw, "server {i}: body byte-identical");
    }
    // Only endpoint B authenticates.
    let a = fakes.server(0).requests();
    let b = fakes.server(1).requests();
    assert!(a.iter().all(|r| r.authorization().is_none()));
    assert!(
        b.iter()
            .all(|r| r.authorization().as_deref() == Some("Basic dTpzM2NyM3QtcHc=")),
        "{:?}",
        b.iter()
            .map(ReceivedRequest::authorization)
            .collect::<Vec<_>>()
    );
    // Each series is encoded once and shared: both servers got the same push bodies.
    let bodies = |requests: &[ReceivedRequest]| {
        let mut bodies: Vec<Bytes> = requests
            .iter()
            .filter(|r| r.route == Route::Push)
            .map(|r| r.body.clone())
            .collect();
        bodies.sort();
        bodies
    };
    assert_eq!(bodies(&a), bodies(&b));

    // The writer's metrics and debug info, through the runtime: 3 samples + 1 ingest body per
    // endpoint, all sent, none dropped.
    let endpoint_b = format!("{url_b}/base/");
    for endpoint in [url_a.as_str(), endpoint_b.as_str()] {
        let labels = [
            ("component_id", "pyroscope.write.w"),
            ("endpoint", endpoint),
        ];
        let sent = run.wait_until(WAIT, |run| {
            metric(run, "pyroscope_write_sent_profiles_total", &labels) == Some(4.0)
        });
        assert!(sent, "{}", run.get("/metrics").text());
        assert_eq!(
            metric(&run, "pyroscope_write_enqueued_profiles_total", &labels),
            Some(4.0)
        );
        assert_eq!(
            metric(&run, "pyroscope_write_dropped_profiles_total", &labels),
            Some(0.0)
        );
    }
    let w = component(&run, "pyroscope.write.w");
    let endpoints = blocks(&w["debugInfo"], "endpoint");
    assert_eq!(endpoints.len(), 2, "{w}");
    for (block, url) in endpoints.iter().zip([url_a.as_str(), endpoint_b.as_str()]) {
        assert_eq!(statement(&block["body"], "url")["value"]["value"], url);
        assert_eq!(
            statement(&block["body"], "sent_profiles")["value"]["value"],
            4
        );
        assert_eq!(
            statement(&block["body"], "state")["value"]["value"],
            "active"
        );
    }
    let receiver = component(&run, "pyroscope.receive_http.in");
    assert_eq!(receiver["health"]["state"], "healthy", "{receiver}");
    assert_eq!(
        statement(&receiver["debugInfo"], "listen_address")["value"]["value"],
        addr.as_str()
    );

    // Nothing shows the password, the requests above logged at debug level included.
    for path in [
        "/api/v0/web/components",
        "/api/v0/web/components/pyroscope.write.w",
        "/metrics",
    ] {
        let text = run.get(path).text();
        assert!(!text.contains(PASSWORD), "{path}: {text}");
    }
    assert!(!run.stderr().contains(PASSWORD), "{}", run.stderr());

    run.signal("TERM");
    assert_eq!(run.wait_exit(WAIT), Some(0), "{}", run.stderr());
}

// ---------------------------------------------------------------------------------------------
// runtime §8 / §15 item 20 adapted to the receiver: the writer drains at shutdown

#[test]
fn sigterm_lets_the_writer_drain_what_the_receiver_accepted() {
    let fakes = Fakes::start(1);
    // Every push is answered after a delay, so profiles are still queued when SIGTERM arrives.
    fakes.server(0).set_fallback(
        Route::Push,
        Some(ScriptedResponse::ok().delay(Duration::from_millis(300))),
    );
    let dir = temp();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    write(
        &dir.path().join("main.alloy"),
        &format!(
            "pyroscope.write \"w\" {{\n  endpoint {{\n    url = \"{}\"\n\n    queue_config {{\n      max_shards = 1\n    }}\n  }}\n}}\n\n{}",
            fakes.url(0),
            receiver_block(port)
        ),
    );
    let mut run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
    run.wait_ready();
    wait_listening(&run, &addr);
    for n in 0..5 {
        push_one(&addr, "drained", &format!("d{n}"), n);
    }
    // The first request is held by the server; the others wait in the queue.
    fakes.wait_for(0, Route::Push, 1);
    run.signal("TERM");
    assert_eq!(run.wait_exit(WAIT), Some(0), "{}", run.stderr());
    let ids: Vec<String> = fakes
        .server(0)
        .received_series()
        .iter()
        .map(|s| s.samples[0].id.clone())
        .collect();
    assert_eq!(
        ids,
        ["d0", "d1", "d2", "d3", "d4"],
        "every accepted profile delivered"
    );
}

// ---------------------------------------------------------------------------------------------
// runtime §8 / §15 item 20: the drain is bounded, and a second signal aborts it

/// A writer whose server never answers, fed by the receiver: `w`, with `queue` as the
/// endpoint's `queue_config` body; returns the receiver's address.
fn never_answering_pipeline(fakes: &Fakes, dir: &Path, queue: &str) -> String {
    fakes
        .server(0)
        .set_fallback(Route::Push, Some(ScriptedResponse::never_answer()));
    let port = free_port();
    write(
        &dir.join("main.alloy"),
        &format!(
            "pyroscope.write \"w\" {{\n  endpoint {{\n    url = \"{}\"\n\n    queue_config {{\n{queue}    }}\n  }}\n}}\n\n{}",
            fakes.url(0),
            receiver_block(port)
        ),
    );
    format!("127.0.0.1:{port}")
}

#[test]
fn a_drain_that_runs_out_counts_what_is_left_as_dropped_and_exits_0() {
    let fakes = Fakes::start(1);
    let dir = temp();
    let addr = never_answering_pipeline(
        &fakes,
        dir.path(),
        "      max_shards    = 1\n      drain_timeout = \"1s\"\n",
    );
    let mut run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
    run.wait_ready();
    wait_listening(&run, &addr);
    for n in 0..3 {
        push_one(&addr, "held", &format!("h{n}"), n);
    }
    fakes.wait_for(0, Route::Push, 1);
    run.signal("TERM");
    assert_eq!(run.wait_exit(WAIT), Some(0), "{}", run.stderr());
    let log = run.stderr();
    let line = log
        .lines()
        .find(|line| line.contains("msg=\"endpoint drain finished with drops\""))
        .unwrap_or_else(|| panic!("no drain line:\n{log}"));
    for field in [
        "level=warn",
        "component_id=pyroscope.write.w",
        "delivered=0",
        "dropped=3",
        "reason=shutdown",
    ] {
        assert!(line.contains(field), "{field}: {line}");
    }
    assert_eq!(
        fakes.server(0).count(Route::Push),
        1,
        "one worker, its request held"
    );
}

#[test]
fn a_second_sigterm_during_the_drain_exits_1() {
    let fakes = Fakes::start(1);
    let dir = temp();
    // The default drain_timeout (30s) keeps the writer draining until the second signal.
    let addr = never_answering_pipeline(&fakes, dir.path(), "      max_shards = 1\n");
    let mut run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
    run.wait_ready();
    wait_listening(&run, &addr);
    push_one(&addr, "held", "h0", 0);
    fakes.wait_for(0, Route::Push, 1);

    run.signal("TERM");
    // Shutting down, still serving the API while the writer drains (runtime §8 step 1).
    let not_ready = run.wait_until(WAIT, |run| run.get("/-/ready").status == 503);
    assert!(not_ready, "{}", run.stderr());
    assert_eq!(run.get("/-/ready").text(), "ferroalloy is not ready.\n");
    let reload = run.post("/-/reload");
    assert_eq!(
        (reload.status, reload.text()),
        (503, "ferroalloy is shutting down\n".to_owned())
    );

    run.signal("TERM");
    assert_eq!(run.wait_exit(WAIT), Some(1), "{}", run.stderr());
}

// ---------------------------------------------------------------------------------------------
// pyroscope-write §18 item 22 through the runtime

#[test]
fn a_url_password_and_a_bearer_token_stay_out_of_metrics_debug_info_and_logs() {
    let fakes = Fakes::start(1);
    fakes.server(0).script_push([
        ScriptedResponse::status(503).body("try later"),
        ScriptedResponse::ok(),
    ]);
    let dir = temp();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let server_port = fakes.server(0).addr().port();
    write(
        &dir.path().join("main.alloy"),
        &format!(
            "pyroscope.write \"w\" {{\n  endpoint {{\n    url                = \"http://u:p4ss@127.0.0.1:{server_port}\"\n    bearer_token       = \"s3cr3t-token\"\n    min_backoff_period = \"10ms\"\n  }}\n}}\n\n{}",
            receiver_block(port)
        ),
    );
    let run = start_run(
        dir.path(),
        &["--log.level=debug", "--config.watch=false", "main.alloy"],
    );
    run.wait_ready();
    wait_listening(&run, &addr);
    push_one(&addr, "svc", "s1", 1);
    let requests = fakes.wait_for(0, Route::Push, 2);
    // URL userinfo comes first (http-client §5 step 1); the token stays unused.
    assert_eq!(
        requests[1].authorization().as_deref(),
        Some("Basic dTpwNHNz")
    );
    let redacted = format!("http://u:xxxxx@127.0.0.1:{server_port}");
    let labels = [
        ("component_id", "pyroscope.write.w"),
        ("endpoint", redacted.as_str()),
    ];
    let sent = run.wait_until(WAIT, |run| {
        metric(run, "pyroscope_write_sent_profiles_total", &labels) == Some(1.0)
    });
    assert!(sent, "{}", run.get("/metrics").text());
    assert_eq!(
        metric(&run, "pyroscope_write_retries_total", &labels),
        Some(1.0)
    );
    let w = component(&run, "pyroscope.write.w");
    let endpoint = blocks(&w["debugInfo"], "endpoint");
    assert_eq!(
        statement(&endpoint[0]["body"], "url")["value"]["value"],
        redacted.as_str()
    );
    assert_eq!(
        statement(&endpoint[0]["body"], "consecutive_failures")["value"]["value"],
        0
    );
    let token = statement(
        &blocks(&w["arguments"], "endpoint")[0]["body"],
        "bearer_token",
    );
    assert_eq!(
        token["value"],
        json!({"type": "capsule", "value": "(secret)"})
    );
    let metrics = run.get("/metrics").text();
    let debug_info = w["debugInfo"].to_string();
    let log = run.stderr();
    for secret in ["p4ss", "s3cr3t-token"] {
        assert!(
            !metrics.contains(secret),
            "{secret} in /metrics:\n{metrics}"
        );
        assert!(
            !debug_info.contains(secret),
            "{secret} in debug info: {debug_info}"
        );
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
    assert!(
        !w["arguments"].to_string().contains("s3cr3t-token"),
        "{}",
        w["arguments"]
    );
}

// ---------------------------------------------------------------------------------------------
// DESIGN.md's "reload under load" row, through the binary

/// The sample IDs a server received, as numbers, in arrival order.
fn received_ids(requests: &[ReceivedRequest]) -> Vec<usize> {
    requests
        .iter()
        .flat_map(|r| r.series.iter().flat_map(|s| s.samples.iter()))
        .map(|s| s.id.parse().expect("a numbered sample ID"))
        .collect()
}

/// The sample IDs `server` has received on the push route, sorted.
fn sorted_push_ids(server: &FakePyroscope) -> Vec<usize> {
    let mut ids = received_ids(&server.requests_to(Route::Push));
    ids.sort_unstable();
    ids
}

/// `pyroscope.write "w"` with one endpoint per URL.
fn writer_block(urls: &[String]) -> String {
    let endpoints: String = urls
        .iter()
        .map(|url| format!("  endpoint {{\n    url = \"{url}\"\n  }}\n"))
        .collect();
    format!("pyroscope.write \"w\" {{\n{endpoints}}}\n")
}

#[test]
fn a_reload_under_load_loses_nothing_on_the_endpoint_it_keeps() {
    let fakes = Fakes::start(3);
    let (a, b, c) = (fakes.url(0), fakes.url(1), fakes.url(2));
    let dir = temp();
    let config = dir.path().join("main.alloy");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let receiver = receiver_block(port);
    write(
        &config,
        &format!("{}\n{receiver}", writer_block(&[a.clone(), b.clone()])),
    );
    let run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
    run.wait_ready();
    wait_listening(&run, &addr);

    // A client pushing numbered profiles back to back, one request at a time (every one
    // answered 200), until told to stop, at most 20,000.
    let sent = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let client = std::thread::spawn({
        let (sent, stop, addr) = (sent.clone(), stop.clone(), addr.clone());
        move || {
            while !stop.load(Ordering::SeqCst) && sent.load(Ordering::SeqCst) < 20_000 {
                let id = sent.load(Ordering::SeqCst);
                push_one(&addr, "svc", &id.to_string(), 1);
                sent.store(id + 1, Ordering::SeqCst);
            }
        }
    });
    let sent_at_least = |n: usize| run.wait_until(WAIT, |_| sent.load(Ordering::SeqCst) >= n);

    assert!(sent_at_least(300), "the client stalled before the reload");
    write(
        &config,
        &format!("{}\n{receiver}", writer_block(&[a.clone(), c.clone()])),
    );
    let reload = run.post("/-/reload");
    assert_eq!(
        (reload.status, reload.text()),
        (200, "config reloaded\n".to_owned())
    );
    let answered_before_reload_returned = sent.load(Ordering::SeqCst);
    assert!(
        sent_at_least(answered_before_reload_returned + 300),
        "the client stalled after the reload"
    );
    stop.store(true, Ordering::SeqCst);
    client.join().expect("the client thread ends");
    let total = sent.load(Ordering::SeqCst);

    // A, kept: every profile exactly once.
    let mut at_a = received_ids(&fakes.wait_for(0, Route::Push, total));
    at_a.sort_unstable();
    assert_eq!(
        at_a,
        (0..total).collect::<Vec<_>>(),
        "A lost or repeated profiles"
    );
    let labels = [
        ("component_id", "pyroscope.write.w"),
        ("endpoint", a.as_str()),
    ];
    let counted = run.wait_until(WAIT, |run| {
        metric(run, "pyroscope_write_sent_profiles_total", &labels) == Some(total as f64)
    });
    assert!(counted, "A's sent counter did not carry over the reload");
    assert_eq!(
        metric(&run, "pyroscope_write_dropped_profiles_total", &labels),
        Some(0.0)
    );

    // B, removed, got a gapless start; C, added, a gapless end. The request answered last when
    // the reload returned may have been queued before the swap; the next one was sent after it.
    let mut at_b = Vec::new();
    let b_gapless = run.wait_until(WAIT, |_| {
        at_b = sorted_push_ids(fakes.server(1));
        !at_b.is_empty() && at_b == (0..at_b.len()).collect::<Vec<_>>()
    });
    assert!(b_gapless, "B's profiles are not a gapless start: {at_b:?}");
    let mut at_c = Vec::new();
    let c_complete = run.wait_until(WAIT, |_| {
        at_c = sorted_push_ids(fakes.server(2));
        at_c.last() == Some(&(total - 1))
    });
    assert!(c_complete, "C did not get the last profile: {at_c:?}");
    let first_at_c = at_c[0];
    assert_eq!(at_c, (first_at_c..total).collect::<Vec<_>>(), "C has a gap");
    assert!(
        first_at_c <= answered_before_reload_returned + 1,
        "C starts at {first_at_c}, after the reload returned at {answered_before_reload_returned}"
    );
}

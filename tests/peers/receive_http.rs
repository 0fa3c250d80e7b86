//! Real Pyroscope SDKs pushing into `pyroscope.receive_http`, forwarded by `pyroscope.write` to
//! the fake Pyroscope server (receive_http spec §9 and Acceptance 1–4 through the writer).
//!
//! Each test runs one client of `PEERS.md` (its own driver, tags, basic auth, tenant and extra
//! header) against `pyroscope.receive_http "in"` → `pyroscope.write "w"` → fake server, and
//! asserts what arrives there:
//! - every client request was answered 200 (the receiver's request metrics) and reached the
//!   fake server (one series per Push series, one `/ingest` request per upload);
//! - the series labels (Push) or the rewritten `name` (`/ingest`, writer §9.1) are exactly the
//!   receiver's labels (receive_http §5.5, §6.8) as the writer renders them;
//! - the tenant is the writer endpoint's `X-Scope-OrgID`, once; the client's own tenant,
//!   `Authorization`, custom header and `Content-Encoding` end at the receiver (§5.6, §7);
//! - every profile is accepted by `go tool pprof -raw`, and the client's sample labels
//!   (`phase`, and for 0.8.16 its tags) are still inside it;
//! - what arrived is what the client sent: the client talks to the receiver through a
//!   [`RecordingProxy`], so Push labels, IDs and `raw_profile` bytes, and `/ingest` bodies,
//!   content types and parameters other than `name` are compared with the client's own request.

use std::process::Command;
use std::time::Duration;

use ferroalloy_pyroscope::pprof::{gunzip_limited, is_gzip};
use ferroalloy_pyroscope::push_v1::{PushRequest, RawProfileSeries};
use ferroalloy_test_util::pyroscope_server::{ReceivedRequest, ReceivedSeries, Route};
use ferroalloy_tests::metric_sum;

use crate::proxy::{Exchange, RecordingProxy};
use crate::support::{
    Peer, Peers, Pipeline, Process, WAIT, attr_str, decode, fixture, node_version,
    sample_label_values, sample_types,
};

/// The receiver's metric that counts answered requests.
const REQUESTS: &str = "pyroscope_receive_http_request_duration_seconds_count";

/// A client of `PEERS.md`.
#[derive(Clone, Copy, Debug)]
enum Client {
    Py14,
    Py08,
    Node064,
    Node0413,
}

impl Client {
    fn command(self, peers: &Peers, url: &str, seconds: f64) -> Command {
        let mut command = match self {
            Client::Py14 | Client::Py08 => {
                let venv = if matches!(self, Client::Py14) {
                    "py14"
                } else {
                    "py08"
                };
                let mut c = Command::new(peers.path(&format!("{venv}/bin/python")));
                c.arg(fixture("py_client.py"));
                c
            }
            Client::Node064 | Client::Node0413 => {
                let prefix = if matches!(self, Client::Node064) {
                    "node064"
                } else {
                    "node0413"
                };
                let mut c = Command::new("node");
                c.arg(fixture("node_client.js"))
                    .env("NODE_PATH", peers.path(&format!("{prefix}/node_modules")));
                c
            }
        };
        command.arg(url).arg(format!("{seconds:.1}"));
        command
    }
}

/// `pyroscope.receive_http "in"` on an ephemeral port of 127.0.0.1, forwarding to the writer.
/// The clients talk to it through a [`RecordingProxy`], so what each sent can be compared with
/// what reached the fake server.
struct Receiver {
    pipeline: Pipeline,
    proxy: RecordingProxy,
    /// `http://<proxy address>`.
    url: String,
    tenant: String,
}

impl Receiver {
    fn start(tenant: &str) -> Receiver {
        let pipeline = Pipeline::start(tenant, |_| {
            "pyroscope.receive_http \"in\" {\n  http {\n    listen_address = \"127.0.0.1\"\n    listen_port    = 0\n  }\n  forward_to = [pyroscope.write.w.receiver]\n}\n".to_owned()
        });
        let mut addr = String::new();
        let bound = pipeline.run.wait_until(WAIT, |_| {
            let c = pipeline.component("pyroscope.receive_http.in");
            addr = attr_str(&c["debugInfo"], "listen_address");
            !addr.is_empty() && !addr.ends_with(":0")
        });
        assert!(bound, "receiver did not report its address: {addr:?}");
        let proxy = RecordingProxy::start(&addr);
        Receiver {
            url: format!("http://{}", proxy.addr()),
            pipeline,
            proxy,
            tenant: tenant.to_owned(),
        }
    }

    /// What the client sent (every request answered through the proxy).
    fn client_requests(&self) -> Vec<Exchange> {
        self.proxy.exchanges()
    }

    /// Run `client` for `seconds` against the receiver; it must exit 0.
    fn run_client(&self, peers: &Peers, client: Client, seconds: f64) -> String {
        let mut process = Process::spawn(
            &format!("{client:?}"),
            client.command(peers, &self.url, seconds),
            self.pipeline.dir.path(),
        );
        let status = process.wait_exit(Duration::from_secs_f64(seconds) + WAIT);
        let log = process.log();
        assert!(status.success(), "{client:?} exited with {status}:\n{log}");
        log
    }

    /// Wait until the receiver answered at least `min` requests on `route`; asserts that every
    /// one was answered 200 and returns how many there were. `client_log` goes into failures.
    fn answered_ok(&self, route: &str, min: usize, client_log: &str) -> usize {
        let count = |status: Option<&str>| {
            let mut labels = vec![("route", route)];
            labels.extend(status.map(|s| ("status_code", s)));
            metric_sum(&self.pipeline.metrics(), REQUESTS, &labels).unwrap_or(0.0) as usize
        };
        let mut total = 0;
        // Counted once nothing is in flight at the proxy: the client has exited, so every
        // request it sent has then been answered (and recorded) by the receiver.
        let reached = self.pipeline.run.wait_until(WAIT, |_| {
            total = count(None);
            total >= min && self.proxy.in_flight() == 0
        });
        total = count(None);
        assert!(
            reached,
            "the receiver answered {total} requests on {route}, expected at least {min}; client log:\n{client_log}\nmetrics:\n{}",
            self.pipeline.metrics()
        );
        assert_eq!(
            count(Some("200")),
            total,
            "every request answered 200; client log:\n{client_log}\nmetrics:\n{}",
            self.pipeline.metrics()
        );
        total
    }

    /// Wait until the fake server holds `n` Push series; all of them.
    fn wait_series(&self, n: usize) -> Vec<ReceivedSeries> {
        let server = self.pipeline.fake.server();
        let arrived = self
            .pipeline
            .run
            .wait_until(WAIT, |_| server.received_series().len() >= n);
        let series = server.received_series();
        assert!(
            arrived,
            "{} of {n} series reached the fake server",
            series.len()
        );
        assert_eq!(series.len(), n, "one series per client series");
        series
    }

    /// What the writer must (and must not) send along: the endpoint's tenant once, its user
    /// agent, none of the client's own headers.
    fn check_headers(&self, request: &ReceivedRequest) {
        assert_eq!(
            request.header_values("x-scope-orgid"),
            [self.tenant.as_str()],
            "the writer endpoint's tenant, once"
        );
        assert_eq!(
            request.authorization(),
            None,
            "client auth ends at the receiver"
        );
        assert_eq!(request.header("x-extra-header"), None);
        assert_eq!(request.header("content-encoding"), None);
        let agent = request.user_agent().unwrap_or_default();
        assert!(agent.starts_with("ferroalloy/"), "user agent {agent}");
    }
}

/// Whether `id` looks like a UUID (`8-4-4-4-12` hex digits).
fn is_uuid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The query keys of a forwarded `/ingest` request in order; they must be sorted (Go's
/// `url.Values.Encode`, writer §9.1 step 5).
fn sorted_keys(request: &ReceivedRequest) -> Vec<String> {
    let keys: Vec<String> = request.query_pairs().into_iter().map(|(k, _)| k).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "query {:?}", request.query);
    keys
}

/// Seconds from now until `after` seconds past the first multiple of `window` seconds of Unix
/// time that is at least `min_ahead` seconds away.
fn past_next_window(window: f64, min_ahead: f64, after: f64) -> f64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let mut end = (now / window).ceil() * window;
    if end - now < min_ahead {
        end += window;
    }
    end - now + after
}

/// `from` and `until` of an `/ingest` query: whole seconds, `from <= until`.
fn check_time_range(request: &ReceivedRequest) {
    let number = |k: &str| -> u64 {
        request
            .query_param(k)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{k} in {:?}", request.query))
    };
    assert!(number("from") <= number("until"), "{:?}", request.query);
}

/// Run `client` (peer `peer`) for `seconds` against a fresh receiver whose writer sends
/// `X-Scope-OrgID: ops-<test>`; waits until the receiver answered at least `min` requests on
/// `route` (all 200). `None` when the peers are missing (the test is skipped).
fn client_run(
    test: &str,
    peer: Peer,
    client: Client,
    seconds: f64,
    route: &str,
    min: usize,
) -> Option<(Receiver, usize)> {
    let peers = Peers::require(test, &[Peer::Go, peer])?;
    let rx = Receiver::start(&format!("ops-{test}"));
    let log = rx.run_client(&peers, client, seconds);
    let n = rx.answered_ok(route, min, &log);
    // The client did send its own tenant and credentials; they must end at the receiver.
    let tenant = match client {
        Client::Py14 | Client::Py08 => "tenant-42",
        Client::Node064 | Client::Node0413 => "tenant-7",
    };
    let sent = rx.client_requests();
    assert_eq!(sent.len(), n, "client requests vs answered");
    for exchange in &sent {
        let header = |name: &str| {
            exchange
                .request_headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("x-scope-orgid"), Some(tenant));
        assert!(header("authorization").is_some_and(|v| v.starts_with("Basic ")));
    }
    Some((rx, n))
}

/// [`client_run`] on `/ingest`: the receiver and the `n` requests the fake server received.
fn ingest_run(
    test: &str,
    peer: Peer,
    client: Client,
    seconds: f64,
    min: usize,
) -> Option<(Receiver, Vec<ReceivedRequest>)> {
    let (rx, n) = client_run(test, peer, client, seconds, "ingest", min)?;
    let requests = rx.pipeline.fake.wait_for(Route::Ingest, n);
    assert_eq!(requests.len(), n, "one forwarded request per upload");
    check_ingest_intact(&rx.client_requests(), &requests);
    Some((rx, requests))
}

/// Every forwarded `/ingest` request is one the client sent: the same body byte for byte, the
/// same `Content-Type`, the same query apart from `name` (receive_http §5.2, §5.6, writer §9).
fn check_ingest_intact(sent: &[Exchange], forwarded: &[ReceivedRequest]) {
    assert_eq!(sent.len(), forwarded.len(), "client requests vs forwarded");
    let other_params = |query: &str| -> Vec<String> {
        let mut pairs: Vec<String> = query
            .split('&')
            .filter(|p| !p.starts_with("name="))
            .map(str::to_owned)
            .collect();
        pairs.sort();
        pairs
    };
    for request in forwarded {
        let original = sent
            .iter()
            .find(|e| e.request_body == request.body)
            .unwrap_or_else(|| panic!("forwarded body is no client body: {:?}", request.query));
        let content_types: Vec<&str> = original
            .request_headers
            .iter()
            .filter(|(n, _)| n == "content-type")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(request.header_values("content-type"), content_types);
        let (path, query) = original
            .target
            .split_once('?')
            .unwrap_or((&original.target, ""));
        assert_eq!(path, "/ingest");
        assert_eq!(
            other_params(request.query.as_deref().unwrap_or("")),
            other_params(query),
            "parameters other than name unchanged"
        );
    }
}

/// The series a Push client sent, decoded from its (gzipped) `PushRequest` bodies.
fn sent_series(sent: &[Exchange]) -> Vec<RawProfileSeries> {
    use prost::Message as _;
    let mut out = Vec::new();
    for exchange in sent {
        assert!(exchange.target.starts_with("/push.v1.PusherService/Push"));
        let body = if is_gzip(&exchange.request_body) {
            gunzip_limited(&exchange.request_body, 64 * 1024 * 1024).expect("client gzip body")
        } else {
            exchange.request_body.clone()
        };
        out.extend(
            PushRequest::decode(body.as_slice())
                .expect("client PushRequest")
                .series,
        );
    }
    out
}

// ---------------------------------------------------------------------------------------------

/// receive_http Acceptance 1 through the writer: `pyroscope-io` 1.4.0 Connect Push.
#[test]
fn pyroscope_io_1_4_0_push_arrives_with_its_series_labels_ids_and_phase_sample_labels() {
    let test = "pyroscope_io_1_4_0";
    let Some((rx, n)) = client_run(
        test,
        Peer::Py14,
        Client::Py14,
        7.0,
        "push_v1_pusherservice_push",
        2,
    ) else {
        return;
    };
    let series = rx.wait_series(n);
    for request in rx.pipeline.fake.server().requests_to(Route::Push) {
        rx.check_headers(&request);
        assert_eq!(request.path, "/push.v1.PusherService/Push");
    }

    let python = Peers::require(test, &[Peer::Py14])
        .expect("checked above")
        .python_version("py14");
    let expected = [
        ("__name__", "process_cpu"),
        ("env", "test"),
        ("otel.scope.name", "com.grafana.pyroscope/python"),
        ("otel.scope.version", "1.4.0"),
        ("process.runtime.name", "cpython"),
        ("process.runtime.version", python.as_str()),
        ("region", "us-east"),
        ("service_name", "peer.python.app"),
    ];
    let mut ids = Vec::new();
    let mut phases = 0;
    for s in &series {
        assert_eq!(s.label_pairs(), expected);
        assert_eq!(s.samples.len(), 1, "one sample per series");
        let sample = &s.samples[0];
        assert!(is_uuid(&sample.id), "ID {:?}", sample.id);
        ids.push(sample.id.clone());
        assert!(!sample.gzipped, "the client sends an uncompressed pprof");
        let raw = rx.pipeline.go_pprof("py14", &sample.raw_profile);
        assert!(raw.contains("PeriodType: cpu nanoseconds"), "{raw}");
        let profile = decode("py14", &sample.raw_profile);
        assert_eq!(sample_types(&profile), ["cpu/nanoseconds"]);
        let phase = sample_label_values(&profile, "phase");
        assert!(phase.iter().all(|v| v == "a"), "{phase:?}");
        phases += phase.len();
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), series.len(), "distinct IDs");

    // Exactly what the client sent: its labels (sorted by the writer), IDs and bytes.
    let sent = sent_series(&rx.client_requests());
    assert_eq!(sent.len(), series.len(), "client series vs forwarded");
    for s in &series {
        let sample = &s.samples[0];
        let original = sent
            .iter()
            .find(|o| o.samples.iter().any(|x| x.id == sample.id))
            .unwrap_or_else(|| panic!("ID {} was not sent by the client", sample.id));
        let mut labels: Vec<(String, String)> = original
            .labels
            .iter()
            .map(|l| (l.name.clone(), l.value.clone()))
            .collect();
        labels.sort();
        assert_eq!(s.labels, labels, "the client's labels");
        assert_eq!(original.samples.len(), 1);
        assert_eq!(
            sample.raw_profile, original.samples[0].raw_profile,
            "the client's bytes"
        );
    }
    assert!(phases > 0, "no sample carries the phase label");
}

/// receive_http Acceptance 2 through the writer: `pyroscope-io` 0.8.16 `/ingest`.
#[test]
fn pyroscope_io_0_8_16_ingest_arrives_renamed_with_its_body_and_sample_labels() {
    let test = "pyroscope_io_0_8_16";
    // 0.8.16 uploads at the end of each 10 s wall-clock window and (not reliably under load)
    // at shutdown: run until 1.5 s past the next window end that is at least 3 s away, so one
    // upload happens while the client runs.
    let Some((rx, requests)) = ingest_run(
        test,
        Peer::Py08,
        Client::Py08,
        past_next_window(10.0, 3.0, 1.5),
        1,
    ) else {
        return;
    };
    let mut tags = Vec::new();
    for request in &requests {
        rx.check_headers(request);
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/ingest");
        assert_eq!(
            sorted_keys(request),
            ["format", "from", "name", "sampleRate", "spyName", "until"]
        );
        assert_eq!(
            request.query_param("name").as_deref(),
            Some("peer.python.app{service_name=peer.python.app}")
        );
        assert_eq!(request.query_param("format").as_deref(), Some("pprof"));
        assert_eq!(request.query_param("sampleRate").as_deref(), Some("100"));
        assert_eq!(request.query_param("spyName").as_deref(), Some("pyspy"));
        check_time_range(request);
        assert_eq!(
            request.header_values("content-type"),
            ["binary/octet-stream"]
        );
        assert!(
            is_gzip(&request.body),
            "the client's gzipped pprof, as sent"
        );
        let raw = rx.pipeline.go_pprof("py08", &request.body);
        assert!(raw.contains("PeriodType: cpu nanoseconds"), "{raw}");
        let profile = decode("py08", &request.body);
        for (key, value) in [("phase", "a"), ("region", "us-east"), ("env", "test")] {
            let values = sample_label_values(&profile, key);
            assert!(values.iter().all(|v| v == value), "{key}: {values:?}");
            tags.extend(values.into_iter().map(|v| format!("{key}={v}")));
        }
    }
    for tag in ["phase=a", "region=us-east", "env=test"] {
        assert!(tags.iter().any(|t| t == tag), "{tag} not a sample label");
    }
}

/// The wall and heap uploads of a Node client, checked alike; `body` gives each request's
/// pprof (the multipart part for 0.4.13).
fn check_node_uploads(
    rx: &Receiver,
    requests: &[ReceivedRequest],
    keys_without_rate: &[&str],
    name: &str,
    body: impl Fn(&ReceivedRequest) -> Vec<u8>,
) {
    let (mut walls, mut heaps, mut phases) = (0, 0, 0);
    for request in requests {
        rx.check_headers(request);
        assert_eq!(request.path, "/ingest");
        assert_eq!(request.query_param("name").as_deref(), Some(name));
        assert_eq!(request.query_param("spyName").as_deref(), Some("nodespy"));
        check_time_range(request);
        let pprof = body(request);
        assert!(is_gzip(&pprof), "a gzipped pprof");
        let raw = rx.pipeline.go_pprof("node", &pprof);
        let profile = decode("node", &pprof);
        let types = sample_types(&profile);
        let mut keys = sorted_keys(request);
        if types.iter().any(|t| t == "wall/nanoseconds") {
            walls += 1;
            assert!(raw.contains("PeriodType: wall nanoseconds"), "{raw}");
            assert_eq!(
                request.query_param("sampleRate").as_deref(),
                Some("17"),
                "the wall upload keeps its sampleRate"
            );
            keys.retain(|k| k != "sampleRate");
            let phase = sample_label_values(&profile, "phase");
            assert!(phase.iter().all(|v| v == "a"), "{phase:?}");
            phases += phase.len();
        } else {
            heaps += 1;
            assert_eq!(types, ["inuse_objects/count", "inuse_space/bytes"]);
            assert_eq!(
                request.query_param("sampleRate"),
                None,
                "heap: no sampleRate"
            );
        }
        assert_eq!(keys, keys_without_rate);
    }
    assert!(walls > 0 && heaps > 0, "walls {walls}, heaps {heaps}");
    assert!(phases > 0, "no wall sample carries the phase label");
}

/// receive_http Acceptance 3 through the writer: `@pyroscope/nodejs` 0.6.4 `/ingest`.
#[test]
fn pyroscope_nodejs_0_6_4_ingest_arrives_with_otel_labels_tags_and_sample_rate_on_wall_only() {
    let test = "pyroscope_nodejs_0_6_4";
    // A flush at 5 s (wall and heap) and a final one at stop.
    let Some((rx, requests)) = ingest_run(test, Peer::Node064, Client::Node064, 6.0, 2) else {
        return;
    };
    let name = format!(
        "peer.node.app{{env=test,otel.scope.name=com.grafana.pyroscope/nodejs,otel.scope.version=0.6.4,process.runtime.name=nodejs,process.runtime.version={},region=eu-west,service_name=peer.node.app}}",
        node_version()
    );
    for request in &requests {
        assert_eq!(
            request.header_values("content-type"),
            ["application/octet-stream"]
        );
        assert_eq!(request.query_param("format").as_deref(), Some("pprof"));
    }
    check_node_uploads(
        &rx,
        &requests,
        &["format", "from", "name", "spyName", "until"],
        &name,
        |r| r.body.to_vec(),
    );
}

/// The `profile` part of a multipart body with `boundary`, checking the framing on the way.
fn multipart_profile(body: &[u8], boundary: &str) -> Vec<u8> {
    let open = format!("--{boundary}\r\n");
    let close = format!("\r\n--{boundary}--\r\n");
    assert!(body.starts_with(open.as_bytes()), "multipart opening");
    assert!(body.ends_with(close.as_bytes()), "multipart closing");
    let inner = &body[open.len()..body.len() - close.len()];
    let split = inner
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("part headers");
    let headers = String::from_utf8_lossy(&inner[..split]);
    assert!(
        headers.contains("Content-Disposition: form-data; name=\"profile\"; filename=\"profile\""),
        "{headers}"
    );
    let part = &inner[split + 4..];
    assert!(
        !part
            .windows(boundary.len())
            .any(|w| w == boundary.as_bytes()),
        "exactly one part"
    );
    part.to_vec()
}

/// receive_http Acceptance 4 through the writer: `@pyroscope/nodejs` 0.4.13 multipart `/ingest`.
#[test]
fn pyroscope_nodejs_0_4_13_multipart_arrives_with_its_boundary_and_tags() {
    let test = "pyroscope_nodejs_0_4_13";
    let Some((rx, requests)) = ingest_run(test, Peer::Node0413, Client::Node0413, 6.0, 2) else {
        return;
    };
    for request in &requests {
        let types = request.header_values("content-type");
        assert_eq!(types.len(), 1, "{types:?}");
        assert!(
            types[0].starts_with("multipart/form-data; boundary=----formdata-undici-"),
            "{types:?}"
        );
        assert_eq!(request.query_param("format"), None);
    }
    check_node_uploads(
        &rx,
        &requests,
        &["from", "name", "spyName", "until"],
        "peer.node.app{env=test,region=eu-west,service_name=peer.node.app}",
        |r| {
            let ct = r.content_type().unwrap_or_default();
            let boundary = ct.split("boundary=").nth(1).unwrap_or_default().to_owned();
            multipart_profile(&r.body, &boundary)
        },
    );
}

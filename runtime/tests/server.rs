//! The HTTP server against a scripted control plane, over real loopback connections: every
//! status code and body of runtime §10, the JSON shapes of §10.1–§10.3, gzip, the UI prefix,
//! 404/405, percent-decoded IDs, h2c and bounded request heads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferroalloy_component::{BoxFuture, EncodedBody, Health, HealthState};
use ferroalloy_runtime::server::{HttpServer, router};
use ferroalloy_runtime::status::{
    ComponentInfo, ControlPlane, LoadOutcome, LoadReport, ReloadStatus, Trigger,
};
use ferroalloy_syntax::{Diagnostic, Diagnostics, SourceFile, Span};
use ferroalloy_value::value::{Capsule, Handle};
use ferroalloy_value::{Object, OptionalSecret, Secret, Value};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// A control plane whose answers the test sets.
#[derive(Default)]
struct Scripted {
    ready: AtomicBool,
    shutting_down: AtomicBool,
    components: Mutex<Vec<ComponentInfo>>,
    status: Mutex<ReloadStatus>,
    /// What the next reloads return (`None`: shutdown began while waiting).
    reload_result: Mutex<Option<LoadReport>>,
    reloads: AtomicUsize,
    metrics: String,
}

impl ControlPlane for Scripted {
    fn reload(&self, trigger: Trigger) -> BoxFuture<'_, Option<LoadReport>> {
        assert_eq!(trigger, Trigger::Http);
        self.reloads.fetch_add(1, Ordering::SeqCst);
        let result = self.reload_result.lock().unwrap().clone();
        Box::pin(async move { result })
    }

    fn components(&self) -> Vec<ComponentInfo> {
        self.components.lock().unwrap().clone()
    }

    fn component(&self, id: &str) -> Option<ComponentInfo> {
        self.components
            .lock()
            .unwrap()
            .iter()
            .find(|c| c.id == id)
            .cloned()
    }

    fn reload_status(&self) -> ReloadStatus {
        self.status.lock().unwrap().clone()
    }

    fn encode_metrics(&self, out: &mut String) {
        out.push_str(&self.metrics);
    }

    fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}

fn at(secs: u64, nanos: u32) -> SystemTime {
    UNIX_EPOCH + Duration::new(secs, nanos)
}

fn info(id: &str, state: HealthState) -> ComponentInfo {
    let (name, label) = id.rsplit_once('.').unwrap();
    ComponentInfo {
        id: id.to_owned(),
        name: name.to_owned(),
        label: Some(label.to_owned()),
        references_to: Vec::new(),
        referenced_by: Vec::new(),
        data_flow_edges_to: Vec::new(),
        health: Health {
            state,
            message: format!("{state} message"),
            updated: at(1_787_305_227, 123_456_789),
        },
        arguments: None,
        exports: None,
        debug_info: None,
    }
}

/// A running server over `control`; stops when dropped.
struct TestServer {
    addr: std::net::SocketAddr,
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    async fn start(control: Arc<Scripted>, prefix: &str) -> Self {
        let server = HttpServer::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr();
        let stop = CancellationToken::new();
        let app = router(control, prefix);
        let task = tokio::spawn(server.serve(app, stop.clone()));
        TestServer {
            addr,
            stop,
            task: Some(task),
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[]).await
    }

    async fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.raw(head.as_bytes()).await
    }

    async fn raw(&self, bytes: &[u8]) -> Reply {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        let mut response = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
            .await
            .expect("response within 10 s")
            .unwrap();
        Reply::parse(&response)
    }

    async fn stop(mut self) {
        self.stop.cancel();
        let task = self.task.take().unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("server stops within 10 s")
            .unwrap();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn parse(bytes: &[u8]) -> Reply {
        let split = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a response head");
        let head = std::str::from_utf8(&bytes[..split]).unwrap();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        let mut body = bytes[split + 4..].to_vec();
        let chunked = headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
        if chunked {
            body = dechunk(&body);
        }
        Reply {
            status,
            headers,
            body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    fn json(&self) -> serde_json::Value {
        assert_eq!(self.header("content-type"), Some("application/json"));
        serde_json::from_slice(&self.body).unwrap()
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = std::str::from_utf8(&data[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

fn report(outcome: LoadOutcome, diagnostics: Diagnostics) -> LoadReport {
    LoadReport {
        time: at(1_787_305_227, 500_000_000),
        trigger: Trigger::Http,
        outcome,
        duration: Duration::from_millis(12),
        config_hash: "ab".repeat(32),
        files: vec!["main.alloy".to_owned()],
        diagnostics,
    }
}

/// Two errors (given out of order) and a warning in `main.alloy`.
fn sample_diagnostics() -> Diagnostics {
    let file = SourceFile::new(
        "main.alloy",
        "local.file \"a\" {\n  filename = 1\n}\nfoo = 3\n",
    );
    let mut diagnostics = Diagnostics::new();
    diagnostics.push(Diagnostic::error(
        &file,
        Span::new(34, 37),
        "unrecognized attribute foo",
    ));
    diagnostics.push(Diagnostic::warning(
        &file,
        Span::new(0, 10),
        "a warning that stays in the log",
    ));
    diagnostics.push(Diagnostic::error(
        &file,
        Span::new(30, 31),
        "expected string, got number",
    ));
    diagnostics
}

#[tokio::test]
async fn ready_answers_503_until_the_control_plane_is_ready_and_head_has_no_body() {
    let control = Arc::new(Scripted::default());
    let server = TestServer::start(control.clone(), "/").await;
    let reply = server.get("/-/ready").await;
    assert_eq!(
        (reply.status, reply.text()),
        (503, "ferroalloy is not ready.\n".to_owned())
    );
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    control.ready.store(true, Ordering::SeqCst);
    let reply = server.get("/-/ready").await;
    assert_eq!(
        (reply.status, reply.text()),
        (200, "ferroalloy is ready.\n".to_owned())
    );
    let head = server.request("HEAD", "/-/ready", &[]).await;
    assert_eq!((head.status, head.body.len()), (200, 0));
    let post = server.request("POST", "/-/ready", &[]).await;
    assert_eq!(post.status, 405);
    server.stop().await;
}

#[tokio::test]
async fn healthy_lists_unhealthy_and_exited_components_in_evaluation_order() {
    let control = Arc::new(Scripted::default());
    *control.components.lock().unwrap() = vec![
        info("local.file.a", HealthState::Healthy),
        info("local.file.z", HealthState::Exited),
        info("local.file.b", HealthState::Unknown),
        info("local.file.c", HealthState::Unhealthy),
    ];
    let server = TestServer::start(control.clone(), "/").await;
    let reply = server.get("/-/healthy").await;
    assert_eq!(
        (reply.status, reply.text()),
        (
            500,
            "unhealthy components: local.file.z, local.file.c\n".to_owned()
        )
    );
    control.components.lock().unwrap().truncate(1);
    let reply = server.get("/-/healthy").await;
    assert_eq!(
        (reply.status, reply.text()),
        (200, "All ferroalloy components are healthy.\n".to_owned())
    );
    let head = server.request("HEAD", "/-/healthy", &[]).await;
    assert_eq!((head.status, head.body.len()), (200, 0));
    server.stop().await;
}

#[tokio::test]
async fn reload_answers_with_the_outcome_and_the_error_diagnostics() {
    let control = Arc::new(Scripted::default());
    let server = TestServer::start(control.clone(), "/").await;

    *control.reload_result.lock().unwrap() = Some(report(LoadOutcome::Ok, sample_diagnostics()));
    for method in ["GET", "POST"] {
        let reply = server.request(method, "/-/reload", &[]).await;
        assert_eq!(
            (reply.status, reply.text()),
            (200, "config reloaded\n".to_owned())
        );
    }

    *control.reload_result.lock().unwrap() =
        Some(report(LoadOutcome::Rejected, sample_diagnostics()));
    let reply = server.request("POST", "/-/reload", &[]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.text(),
        "config reload rejected; the running configuration is unchanged:\n\
         main.alloy:2:14: expected string, got number\n\
         main.alloy:4:1: unrecognized attribute foo\n"
    );

    *control.reload_result.lock().unwrap() =
        Some(report(LoadOutcome::Partial, sample_diagnostics()));
    let reply = server.get("/-/reload").await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.text().lines().next(),
        Some("config reload applied with errors; failed components keep their previous arguments:")
    );
    assert_eq!(reply.text().lines().count(), 3);

    *control.reload_result.lock().unwrap() = None;
    let reply = server.get("/-/reload").await;
    assert_eq!(
        (reply.status, reply.text()),
        (503, "ferroalloy is shutting down\n".to_owned())
    );
    let before = control.reloads.load(Ordering::SeqCst);
    control.shutting_down.store(true, Ordering::SeqCst);
    let reply = server.request("POST", "/-/reload", &[]).await;
    assert_eq!(
        (reply.status, reply.text()),
        (503, "ferroalloy is shutting down\n".to_owned())
    );
    assert_eq!(
        control.reloads.load(Ordering::SeqCst),
        before,
        "no reload once shutdown began"
    );

    let put = server.request("PUT", "/-/reload", &[]).await;
    assert_eq!(put.status, 405);
    server.stop().await;
}

#[tokio::test]
async fn metrics_are_the_control_planes_exposition() {
    let control = Arc::new(Scripted {
        metrics: "# HELP up Up.\n# TYPE up gauge\nup 1\n".to_owned(),
        ..Scripted::default()
    });
    let server = TestServer::start(control, "/").await;
    let reply = server.get("/metrics").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "# HELP up Up.\n# TYPE up gauge\nup 1\n");
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    server.stop().await;
}

fn detailed_component() -> ComponentInfo {
    let mut component = info("pyroscope.write.default", HealthState::Healthy);
    component.health.message = "started component".to_owned();
    component.referenced_by = vec!["pyroscope.scrape.default".to_owned()];
    component.references_to = vec!["local.file.k".to_owned()];
    let mut basic_auth = EncodedBody::new();
    basic_auth.attr("username", Value::string("u"));
    basic_auth.attr(
        "password",
        Value::Capsule(Capsule::Secret(Secret::new("s3cr3t-pw"))),
    );
    let mut endpoint = EncodedBody::new();
    endpoint.attr("url", Value::string("http://127.0.0.1:4040"));
    endpoint.attr(
        "bearer",
        Value::Capsule(Capsule::OptionalSecret(OptionalSecret::new(
            "visible", false,
        ))),
    );
    endpoint.block("basic_auth", None, basic_auth);
    let mut arguments = EncodedBody::new();
    arguments.block("endpoint", None, endpoint);
    arguments.attr("external_labels", {
        let mut labels = Object::new();
        labels.insert("zone", Value::string("b"));
        labels.insert("env", Value::string("prod"));
        Value::Object(labels)
    });
    component.arguments = Some(arguments);
    let mut exports = Object::new();
    exports.insert(
        "receiver",
        Value::Capsule(Capsule::Handle(Handle::new(
            "pyroscope.Appendable",
            Arc::new(()),
        ))),
    );
    component.exports = Some(exports);
    let mut debug = EncodedBody::new();
    debug.attr("queued", Value::int(54));
    component.debug_info = Some(debug);
    component
}

#[tokio::test]
async fn component_list_and_detail_have_alloys_shape_and_never_show_a_secret() {
    let control = Arc::new(Scripted::default());
    let mut unlabelled = info("local.file.x", HealthState::Unknown);
    unlabelled.label = None;
    unlabelled.health.updated = at(1_787_305_227, 0);
    *control.components.lock().unwrap() = vec![detailed_component(), unlabelled];
    let server = TestServer::start(control, "/").await;

    let list = server.get("/api/v0/web/components").await;
    assert_eq!(list.status, 200);
    let list_text = list.text();
    assert_eq!(
        list.json(),
        json!([
            {
                "name": "pyroscope.write", "type": "block", "localID": "pyroscope.write.default",
                "moduleID": "", "label": "default",
                "referencesTo": ["local.file.k"], "referencedBy": ["pyroscope.scrape.default"],
                "dataFlowEdgesTo": [],
                "health": { "state": "healthy", "message": "started component",
                            "updatedTime": "2026-08-21T09:40:27.123456789Z" },
                "original": "", "arguments": [], "exports": [], "debugInfo": [],
                "liveDebuggingEnabled": false
            },
            {
                "name": "local.file", "type": "block", "localID": "local.file.x",
                "moduleID": "",
                "referencesTo": [], "referencedBy": [], "dataFlowEdgesTo": [],
                "health": { "state": "unknown", "message": "unknown message",
                            "updatedTime": "2026-08-21T09:40:27Z" },
                "original": "", "arguments": [], "exports": [], "debugInfo": [],
                "liveDebuggingEnabled": false
            }
        ])
    );
    // Key order is Alloy's.
    assert!(
        list_text.starts_with(r#"[{"name":"pyroscope.write","type":"block","localID":"#),
        "{list_text}"
    );

    let detail = server
        .get("/api/v0/web/components/pyroscope.write.default")
        .await;
    assert_eq!(detail.status, 200);
    let text = detail.text();
    assert!(!text.contains("s3cr3t-pw"), "{text}");
    let json = detail.json();
    assert_eq!(
        json["arguments"],
        json!([
            { "name": "endpoint", "type": "block", "body": [
                { "name": "url", "type": "attr",
                  "value": { "type": "string", "value": "http://127.0.0.1:4040" } },
                { "name": "bearer", "type": "attr",
                  "value": { "type": "capsule", "value": "\"visible\"" } },
                { "name": "basic_auth", "type": "block", "body": [
                    { "name": "username", "type": "attr",
                      "value": { "type": "string", "value": "u" } },
                    { "name": "password", "type": "attr",
                      "value": { "type": "capsule", "value": "(secret)" } }
                ] }
            ] },
            { "name": "external_labels", "type": "attr", "value": { "type": "object", "value": [
                { "key": "env", "value": { "type": "string", "value": "prod" } },
                { "key": "zone", "value": { "type": "string", "value": "b" } }
            ] } }
        ])
    );
    assert_eq!(
        json["exports"],
        json!([{ "name": "receiver", "type": "attr",
                 "value": { "type": "capsule", "value": "capsule(\"pyroscope.Appendable\")" } }])
    );
    assert_eq!(
        json["debugInfo"],
        json!([{ "name": "queued", "type": "attr", "value": { "type": "number", "value": 54 } }])
    );
    assert_eq!(json["referencedBy"], json!(["pyroscope.scrape.default"]));

    let never_built = server.get("/api/v0/web/components/local.file.x").await;
    let json = never_built.json();
    assert_eq!(
        (&json["arguments"], &json["exports"], &json["debugInfo"]),
        (&json!([]), &json!([]), &json!([]))
    );
    assert!(json.get("label").is_none());
    server.stop().await;
}

#[tokio::test]
async fn ids_are_matched_literally_after_percent_decoding() {
    let control = Arc::new(Scripted::default());
    *control.components.lock().unwrap() = vec![info("local.file.x", HealthState::Healthy)];
    let server = TestServer::start(control, "/").await;
    let found = server.get("/api/v0/web/components/local%2Efile%2Ex").await;
    assert_eq!(found.status, 200);
    assert_eq!(found.json()["localID"], "local.file.x");
    for path in [
        "/api/v0/web/components/does.not.exist",
        "/api/v0/web/components/local.file%2Fx",
        "/api/v0/web/components/local/file.x",
        "/api/v0/web/components/%FF%FE",
        "/api/v0/web/components/",
    ] {
        let reply = server.get(path).await;
        assert_eq!(
            (reply.status, reply.text()),
            (404, "404 page not found\n".to_owned()),
            "{path}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn unknown_paths_modules_and_component_handlers_answer_like_alloy() {
    let control = Arc::new(Scripted::default());
    let server = TestServer::start(control, "/").await;
    for path in ["/", "/graph", "/component/local.file.x", "/nope"] {
        let reply = server.get(path).await;
        assert_eq!(reply.status, 200, "{path}: the UI entry page (runtime §10)");
        assert!(reply.text().contains("<base href=\"/\">"), "{path}");
    }
    for path in [
        "/api/v0/component/local.file.x/metrics",
        "/api/v0/web/nope",
        "/-/nope",
    ] {
        let reply = server.get(path).await;
        assert_eq!(
            (reply.status, reply.text()),
            (404, "404 page not found\n".to_owned()),
            "{path}"
        );
    }
    let reply = server
        .get("/api/v0/web/modules/some.module/components")
        .await;
    assert_eq!(
        (reply.status, reply.text()),
        (500, "module not found\n".to_owned())
    );
    let reply = server
        .request("DELETE", "/api/v0/web/components", &[])
        .await;
    assert_eq!(reply.status, 405);
    server.stop().await;
}

#[tokio::test]
async fn reload_status_has_the_shape_of_section_10_3() {
    let control = Arc::new(Scripted::default());
    let server = TestServer::start(control.clone(), "/").await;
    let reply = server.get("/api/v0/web/reload-status").await;
    assert_eq!(
        reply.json(),
        json!({ "lastReload": null, "lastSuccess": null })
    );

    *control.status.lock().unwrap() = ReloadStatus {
        last_reload: Some(report(LoadOutcome::Rejected, sample_diagnostics())),
        last_success: Some((at(1_787_305_000, 0), "cd".repeat(32))),
    };
    let reply = server.get("/api/v0/web/reload-status").await;
    let json = reply.json();
    assert_eq!(
        json,
        json!({
            "lastReload": {
                "time": "2026-08-21T09:40:27.5Z", "trigger": "http", "outcome": "rejected",
                "durationSeconds": 0.012, "configHash": "ab".repeat(32), "files": ["main.alloy"],
                "diagnostics": [
                    { "severity": "warning", "file": "main.alloy", "line": 1, "column": 1,
                      "endLine": 1, "endColumn": 10,
                      "message": "a warning that stays in the log",
                      "text": "main.alloy:1:1: a warning that stays in the log" },
                    { "severity": "error", "file": "main.alloy", "line": 2, "column": 14,
                      "message": "expected string, got number",
                      "text": "main.alloy:2:14: expected string, got number" },
                    { "severity": "error", "file": "main.alloy", "line": 4, "column": 1,
                      "endLine": 4, "endColumn": 3,
                      "message": "unrecognized attribute foo",
                      "text": "main.alloy:4:1: unrecognized attribute foo" }
                ]
            },
            "lastSuccess": { "time": "2026-08-21T09:36:40Z", "configHash": "cd".repeat(32) }
        })
    );
    server.stop().await;
}

#[tokio::test]
async fn the_web_api_is_gzipped_when_the_client_accepts_it() {
    let control = Arc::new(Scripted::default());
    *control.components.lock().unwrap() = vec![detailed_component()];
    let server = TestServer::start(control, "/").await;
    let plain = server.get("/api/v0/web/components").await;
    assert_eq!(plain.header("content-encoding"), None);
    for path in [
        "/api/v0/web/components",
        "/api/v0/web/reload-status",
        "/api/v0/web/components/pyroscope.write.default",
    ] {
        let zipped = server
            .request("GET", path, &[("Accept-Encoding", "gzip")])
            .await;
        assert_eq!(zipped.status, 200, "{path}");
        assert_eq!(zipped.header("content-encoding"), Some("gzip"), "{path}");
        assert_eq!(zipped.header("content-type"), Some("application/json"));
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(zipped.body.as_slice())
            .read_to_string(&mut decoded)
            .unwrap();
        let unzipped = server.get(path).await;
        assert_eq!(decoded, unzipped.text(), "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_ui_prefix_mounts_the_web_api_and_redirects_the_bare_prefix() {
    let control = Arc::new(Scripted::default());
    control.ready.store(true, Ordering::SeqCst);
    *control.components.lock().unwrap() = vec![info("local.file.x", HealthState::Healthy)];
    let server = TestServer::start(control, "/alloy").await;
    let reply = server.get("/alloy/api/v0/web/components").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()[0]["localID"], "local.file.x");
    let reply = server
        .get("/alloy/api/v0/web/components/local.file.x")
        .await;
    assert_eq!(reply.status, 200);
    let reply = server.get("/api/v0/web/components").await;
    assert_eq!(reply.status, 404);
    let reply = server.get("/alloy").await;
    assert_eq!(reply.status, 302);
    assert_eq!(reply.header("location"), Some("/alloy/"));
    assert_eq!(server.get("/-/ready").await.status, 200);
    assert_eq!(server.get("/alloy/-/ready").await.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn h2c_with_prior_knowledge_is_served_on_the_same_listener() {
    let control = Arc::new(Scripted::default());
    let server = TestServer::start(control, "/").await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    // The connection preface, then an empty SETTINGS frame.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    let mut frame_head = [0u8; 9];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut frame_head))
        .await
        .expect("a frame within 10 s")
        .unwrap();
    assert_eq!(frame_head[3], 0x4, "the server's first frame is SETTINGS");
    drop(stream);
    server.stop().await;
}

#[tokio::test]
async fn oversized_request_heads_are_refused_with_a_4xx() {
    let control = Arc::new(Scripted::default());
    let server = TestServer::start(control.clone(), "/").await;
    let huge = "a".repeat(200 * 1024);
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!("GET /-/ready HTTP/1.1\r\nHost: test\r\nX-Big: {huge}\r\n\r\n");
    // The server may close before reading everything; only the reply matters.
    let _ = stream.write_all(head.as_bytes()).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");
    // The server still answers afterwards.
    assert_eq!(server.get("/-/ready").await.status, 503);
    server.stop().await;
}

#[tokio::test]
async fn a_reload_in_flight_finishes_before_the_server_stops() {
    /// A control plane whose reload waits until the test lets it finish.
    struct Gated {
        inner: Scripted,
        started: tokio::sync::Notify,
        release: tokio::sync::Notify,
    }
    impl ControlPlane for Gated {
        fn reload(&self, _trigger: Trigger) -> BoxFuture<'_, Option<LoadReport>> {
            Box::pin(async {
                self.started.notify_one();
                self.release.notified().await;
                Some(report(LoadOutcome::Ok, Diagnostics::new()))
            })
        }
        fn components(&self) -> Vec<ComponentInfo> {
            self.inner.components()
        }
        fn component(&self, id: &str) -> Option<ComponentInfo> {
            self.inner.component(id)
        }
        fn reload_status(&self) -> ReloadStatus {
            self.inner.reload_status()
        }
        fn encode_metrics(&self, out: &mut String) {
            self.inner.encode_metrics(out);
        }
        fn is_ready(&self) -> bool {
            true
        }
        fn is_shutting_down(&self) -> bool {
            false
        }
    }
    let control = Arc::new(Gated {
        inner: Scripted::default(),
        started: tokio::sync::Notify::new(),
        release: tokio::sync::Notify::new(),
    });
    let server = HttpServer::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr();
    let stop = CancellationToken::new();
    let task = tokio::spawn(server.serve(router(control.clone(), "/"), stop.clone()));
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /-/reload HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), control.started.notified())
        .await
        .expect("the reload starts");
    stop.cancel();
    control.release.notify_one();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .unwrap()
        .unwrap();
    let reply = Reply::parse(&response);
    assert_eq!(
        (reply.status, reply.text()),
        (200, "config reloaded\n".to_owned())
    );
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "listener closed");
}

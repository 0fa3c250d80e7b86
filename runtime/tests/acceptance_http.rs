//! Runtime §15 item 17 through the real HTTP API: a controller with test components served by
//! the real router on 127.0.0.1, driven by real HTTP requests. No shipped component panics, so
//! the panicking one (`test.panic`, whose first `run` panics) lives in `support`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use ferroalloy_runtime::server::{HttpServer, router};
use ferroalloy_runtime::status::{LoadOutcome, Trigger};
use serde_json::Value as Json;
use support::{Fixture, calls_of};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// One answer of the server.
#[derive(Debug)]
struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn json(&self) -> Json {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|err| panic!("invalid JSON ({err}): {}", self.body))
    }
}

/// The real router over a controller, on 127.0.0.1:0; stops when dropped.
struct Served {
    addr: SocketAddr,
    stop: CancellationToken,
}

impl Served {
    async fn start(fixture: &Fixture) -> Self {
        let server = HttpServer::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr();
        let stop = CancellationToken::new();
        let app = router(fixture.controller.clone(), "/");
        tokio::spawn(server.serve(app, stop.clone()));
        Self { addr, stop }
    }

    /// One HTTP/1.1 request over a new connection, bounded to 30 s.
    async fn request(&self, method: &str, path: &str) -> Reply {
        let exchange = async {
            let mut stream = TcpStream::connect(self.addr).await.unwrap();
            let head = format!(
                "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await.unwrap();
            response
        };
        let response = tokio::time::timeout(Duration::from_secs(30), exchange)
            .await
            .expect("an answer within 30 s");
        parse(&response)
    }

    async fn get(&self, path: &str) -> Reply {
        self.request("GET", path).await
    }

    async fn health(&self, id: &str) -> (String, String) {
        let reply = self.get(&format!("/api/v0/web/components/{id}")).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let json = reply.json();
        (
            json["health"]["state"].as_str().unwrap().to_owned(),
            json["health"]["message"].as_str().unwrap().to_owned(),
        )
    }

    /// Poll the component's shown health (every 10 ms, at most 10 s) until it is `state`.
    async fn wait_for_state(&self, id: &str, state: &str) -> (String, String) {
        for _ in 0..1000 {
            let health = self.health(id).await;
            if health.0 == state {
                return health;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "{id} did not reach {state} within 10 s: {:?}",
            self.health(id).await
        );
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn parse(bytes: &[u8]) -> Reply {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let mut body = bytes[split + 4..].to_vec();
    if chunked {
        let mut data = body.as_slice();
        let mut out = Vec::new();
        loop {
            let end = data
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("a chunk size line");
            let size = usize::from_str_radix(
                std::str::from_utf8(&data[..end])
                    .unwrap()
                    .split(';')
                    .next()
                    .unwrap()
                    .trim(),
                16,
            )
            .expect("a chunk size");
            data = &data[end + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(&data[..size]);
            data = &data[size + 2..];
        }
        body = out;
    }
    Reply {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn metric_line<'a>(metrics: &'a str, prefix: &str) -> Option<&'a str> {
    metrics.lines().find(|line| line.starts_with(prefix))
}

const PANIC_CONFIG: &str = "test.panic \"x\" {}\n\ntest.counter \"y\" {\n  value = 1\n}\n\ntest.counter \"z\" {\n  value = test.counter.y.out + 1\n}\n";

/// Item 17: a panicking `run` leaves its component `exited` with the panic message,
/// `/-/healthy` names it, everything else keeps running and serving, a rejected reload leaves
/// it exited, and the next successful reload restarts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_component_is_exited_in_the_api_and_the_next_successful_reload_restarts_it() {
    let fixture = Fixture::new(PANIC_CONFIG);
    let served = Served::start(&fixture).await;
    assert_eq!(served.get("/-/ready").await.status, 503);
    let report = fixture.controller.load(Trigger::Startup).await.unwrap();
    assert_eq!(report.outcome, LoadOutcome::Ok);
    assert_eq!(served.get("/-/ready").await.status, 200);

    let (state, message) = served.wait_for_state("test.panic.x", "exited").await;
    assert_eq!(state, "exited");
    assert!(
        message.starts_with("component panicked:"),
        "health message: {message}"
    );
    assert_eq!(message, "component panicked: boom");

    let healthy = served.get("/-/healthy").await;
    assert_eq!(healthy.status, 500);
    assert_eq!(healthy.body, "unhealthy components: test.panic.x\n");

    // The process and the other components keep running.
    assert_eq!(served.get("/-/ready").await.status, 200);
    for id in ["test.counter.y", "test.counter.z"] {
        assert_eq!(
            served.health(id).await,
            ("healthy".to_owned(), "started component".to_owned()),
            "{id}"
        );
    }
    let tasks_before: Vec<_> = ["test.counter.y", "test.counter.z"]
        .iter()
        .map(|id| fixture.controller.task_id(id).expect("running"))
        .collect();
    let list = served.get("/api/v0/web/components").await.json();
    let states: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["localID"].as_str().unwrap(),
                c["health"]["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("test.panic.x", "exited"),
            ("test.counter.y", "healthy"),
            ("test.counter.z", "healthy")
        ],
        "components list in evaluation order"
    );
    let metrics = served.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert_eq!(
        metric_line(
            &metrics.body,
            "ferroalloy_component_health{component_id=\"test.panic.x\",health_type=\"exited\"}"
        ),
        Some("ferroalloy_component_health{component_id=\"test.panic.x\",health_type=\"exited\"} 1"),
        "{}",
        metrics.body
    );
    assert_eq!(calls_of("test.panic.x").runs, 1);

    // A rejected reload is not a successful one: nothing restarts.
    fixture.write(&format!("{PANIC_CONFIG}test.counter \"broken\" {{\n"));
    let rejected = served.request("POST", "/-/reload").await;
    assert_eq!(rejected.status, 400, "{}", rejected.body);
    assert!(
        rejected
            .body
            .starts_with("config reload rejected; the running configuration is unchanged:\n"),
        "{}",
        rejected.body
    );
    assert_eq!(served.health("test.panic.x").await.0, "exited");
    assert_eq!(calls_of("test.panic.x").runs, 1);
    assert_eq!(served.get("/-/healthy").await.status, 500);

    // The next successful reload restarts it; the others keep their tasks.
    fixture.write(PANIC_CONFIG);
    let reloaded = served.request("POST", "/-/reload").await;
    assert_eq!(reloaded.status, 200, "{}", reloaded.body);
    assert_eq!(reloaded.body, "config reloaded\n");
    assert_eq!(
        served.wait_for_state("test.panic.x", "healthy").await,
        ("healthy".to_owned(), "started component".to_owned())
    );
    assert_eq!(calls_of("test.panic.x").runs, 2);
    let healthy = served.get("/-/healthy").await;
    assert_eq!(
        (healthy.status, healthy.body.as_str()),
        (200, "All ferroalloy components are healthy.\n")
    );
    let tasks_after: Vec<_> = ["test.counter.y", "test.counter.z"]
        .iter()
        .map(|id| fixture.controller.task_id(id).expect("running"))
        .collect();
    assert_eq!(
        tasks_after, tasks_before,
        "the other components kept their tasks"
    );
    assert_eq!(calls_of("test.counter.y").runs, 1);
    assert_eq!(calls_of("test.counter.z").runs, 1);
    let metrics = served.get("/metrics").await.body;
    assert!(
        metrics.contains(
            "ferroalloy_component_health{component_id=\"test.panic.x\",health_type=\"healthy\"} 1"
        ),
        "{metrics}"
    );

    let report = fixture.controller.shutdown().await;
    assert!(report.aborted.is_empty(), "{report:?}");
}

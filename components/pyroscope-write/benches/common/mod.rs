//! What both `pyroscope.write` benchmarks share: the sink process, the payloads, the forwarder
//! rig (the component behind its exported receiver), the direct baseline and the `/proc`
//! readers.
//!
//! Design decisions:
//! - The sinks run in a **child process** (this same bench binary re-executed with
//!   `PYBENCH_SINK` set), so the process CPU time read from `/proc/self/stat` is the
//!   forwarder's (or the baseline client's) alone, and the sinks' memory never shows in the
//!   forwarder's RSS. The child serves `SINKS` fast listeners (hyper HTTP/1.1, read the whole
//!   body, answer `200` with an empty `application/proto` body at once) and one black hole that
//!   accepts connections, reads and discards everything and never answers. It exits when its
//!   stdin closes, so it never outlives the bench; the parent also kills it by its pid on drop.
//! - Every fast sink counts what it served (requests and `Content-Length` bytes, by route: Push,
//!   `/ingest`, other; all listeners together) and answers `GET /count` with the counts, so a
//!   bench whose traffic does not pass through an in-process endpoint (the receive_http load
//!   test) can still show that every profile arrived ([`sink_served`]).
//! - The payloads are realistic gzip pprof CPU profiles of 10–50 KB (deterministic stacks over
//!   a few hundred functions), generated once.
//! - The forwarder is the real component built through `ComponentHarness` (real HTTP clients,
//!   real workers, the exported `receiver` capsule). A round appends `n` profiles through the
//!   appender a `forward_to` holds and ends when every healthy endpoint has finished all `n`
//!   (polled every millisecond; the poll costs far less than a round). A healthy endpoint that
//!   drops anything fails the benchmark: it must never measure the wrong thing.
//! - The baseline sends the very same bodies (the encoded one-series `PushRequest` the
//!   forwarder produces), with the same headers, to the same sinks, with one reqwest client and
//!   the same concurrency per sink as an endpoint's workers (`max_shards`, 16 by default).

#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(clippy::expect_used, clippy::panic, clippy::print_stdout)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferroalloy_pyroscope::labels::push_labels;
use ferroalloy_pyroscope::pprof::{self, Function, Line, Location, Profile, Sample, ValueType};
use ferroalloy_pyroscope::push::encode_series;
use ferroalloy_pyroscope::{Appendable as _, Appender, Labels, RawSample, ReceiverRef};
use ferroalloy_pyroscope_write::endpoint::Endpoint;
use ferroalloy_pyroscope_write::{EndpointConfig, PyroscopeWrite, PyroscopeWriteArguments};
use ferroalloy_test_util::ComponentHarness;
use ferroalloy_test_util::harness::HarnessOptions;
use ferroalloy_value::decode::ArgValue as _;
use ferroalloy_value::duration::Duration as ConfigDuration;

/// Fast sinks served by the child process (enough for the 4-endpoint fan-out).
pub const SINKS: usize = 4;
/// Workers per endpoint (the `max_shards` default) = baseline concurrency per sink.
pub const CONCURRENCY: usize = 16;
/// Distinct payloads cycled through.
pub const PAYLOADS: usize = 16;
/// The environment variable that turns the bench binary into the sink process.
const SINK_ENV: &str = "PYBENCH_SINK";
/// Bound of every wait for delivery.
const ROUND_LIMIT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------------
// The sink process

/// Call first in `main`: when this process is the sink child, serve until stdin closes and exit.
pub fn sink_main_if_child() {
    if std::env::var_os(SINK_ENV).is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("sink runtime");
    runtime.block_on(serve_sinks());
    std::process::exit(0);
}

async fn serve_sinks() {
    let mut out = String::new();
    for _ in 0..SINKS {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind sink");
        out.push_str(&format!(
            "sink {}\n",
            listener.local_addr().expect("addr").port()
        ));
        tokio::spawn(accept_fast(listener));
    }
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind black hole");
    out.push_str(&format!(
        "dead {}\nready\n",
        hole.local_addr().expect("addr").port()
    ));
    tokio::spawn(accept_black_hole(hole));
    {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(out.as_bytes()).expect("announce ports");
        stdout.flush().expect("flush ports");
    }
    // Serve until the parent closes our stdin (or dies).
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
    })
    .await;
}

/// What the fast sinks served (all listeners together): requests to Push, `/ingest` and any
/// other path, then the `Content-Length` bytes of each. `GET /count` answers them.
static SERVED: [AtomicU64; 6] = [const { AtomicU64::new(0) }; 6];

async fn accept_fast(listener: tokio::net::TcpListener) {
    use http_body_util::{BodyExt as _, Full};
    use hyper::body::Incoming;
    use hyper::{Request, Response};

    async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
        if req.method() == hyper::Method::GET && req.uri().path() == "/count" {
            let counts: Vec<String> = SERVED
                .iter()
                .map(|c| c.load(Ordering::Relaxed).to_string())
                .collect();
            return Ok(Response::new(Full::new(Bytes::from(counts.join(" ")))));
        }
        let route = match req.uri().path() {
            "/push.v1.PusherService/Push" => 0,
            "/ingest" => 1,
            _ => 2,
        };
        let length = req
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        // Read the whole body, as a server must before it can answer.
        let _body = req.into_body().collect().await?;
        SERVED[route].fetch_add(1, Ordering::Relaxed);
        SERVED[3 + route].fetch_add(length, Ordering::Relaxed);
        let mut response = Response::new(Full::new(Bytes::new()));
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/proto"),
        );
        Ok(response)
    }

    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, hyper::service::service_fn(answer))
                .await;
        });
    }
}

async fn accept_black_hole(listener: tokio::net::TcpListener) {
    use tokio::io::AsyncReadExt as _;
    while let Ok((mut stream, _)) = listener.accept().await {
        tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
        });
    }
}

/// The sink child process, seen from the bench.
pub struct SinkProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    /// `http://127.0.0.1:<port>` of each fast sink.
    pub sinks: Vec<String>,
    /// `http://127.0.0.1:<port>` of the black hole (the never-answering endpoint).
    pub dead: String,
}

impl SinkProcess {
    /// Start the child and read its ports.
    pub fn start() -> Self {
        let exe = std::env::current_exe().expect("the bench binary's path");
        let mut child = Command::new(exe)
            .env(SINK_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the sink process");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("sink stdout");
        let mut sinks = Vec::new();
        let mut dead = String::new();
        for line in BufReader::new(stdout).lines().take(SINKS + 2) {
            let line = line.expect("sink announcement");
            match line.split_once(' ') {
                Some(("sink", port)) => sinks.push(format!("http://127.0.0.1:{port}")),
                Some(("dead", port)) => dead = format!("http://127.0.0.1:{port}"),
                _ if line == "ready" => break,
                _ => panic!("unexpected sink announcement {line:?}"),
            }
        }
        assert_eq!(sinks.len(), SINKS, "the sink process announced its sinks");
        assert!(
            !dead.is_empty(),
            "the sink process announced its black hole"
        );
        Self {
            child,
            stdin,
            sinks,
            dead,
        }
    }

    /// The child's pid (to read its CPU time, or to report).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for SinkProcess {
    fn drop(&mut self) {
        end_child(&mut self.child, self.stdin.take());
    }
}

/// End a child of this bench that exits when its stdin closes: close `stdin`, wait up to 5 s,
/// then kill it (by its own handle) and reap it.
pub fn end_child(child: &mut Child, stdin: Option<ChildStdin>) {
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// What the fast sinks of the process behind `sink` (`http://127.0.0.1:<port>`) have served so
/// far: `[push, ingest, other, push bytes, ingest bytes, other bytes]` (one `GET /count` on a
/// new connection, blocking).
pub fn sink_served(sink: &str) -> [u64; 6] {
    let addr = sink.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to the sink");
    stream
        .write_all(b"GET /count HTTP/1.1\r\nhost: sink\r\nconnection: close\r\n\r\n")
        .expect("ask the sink for its counts");
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .expect("read the sink's counts");
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let mut out = [0u64; 6];
    for (slot, value) in out.iter_mut().zip(body.split_whitespace()) {
        *slot = value.parse().expect("a count");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Payloads

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A gzip pprof CPU profile whose compressed size is at least `target` bytes.
fn cpu_profile(seed: u64, target: usize) -> Bytes {
    let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut strings = vec![
        String::new(),
        "samples".to_owned(),
        "count".to_owned(),
        "cpu".to_owned(),
        "nanoseconds".to_owned(),
    ];
    let packages = [
        "github.com/acme/shop/internal/checkout",
        "github.com/acme/shop/internal/cart",
        "github.com/acme/shop/pkg/db",
        "net/http",
        "encoding/json",
        "runtime",
        "google.golang.org/grpc",
        "github.com/prometheus/client_golang/prometheus",
    ];
    let functions: Vec<Function> = (0..150u64)
        .map(|i| {
            let pkg = packages[(i as usize * 7 + seed as usize) % packages.len()];
            strings.push(format!("{pkg}.(*Handler{}).Serve{}", i % 37, i));
            let name = (strings.len() - 1) as i64;
            strings.push(format!("{pkg}/file_{}.go", i % 53));
            let file = (strings.len() - 1) as i64;
            Function {
                id: i + 1,
                name,
                system_name: name,
                filename: file,
                start_line: (i * 17 % 900) as i64,
            }
        })
        .collect();
    let locations: Vec<Location> = (0..400u64)
        .map(|i| Location {
            id: i + 1,
            mapping_id: 0,
            address: 0x40_0000 + i * 0x40 + rng.below(0x40),
            line: vec![Line {
                function_id: 1 + rng.below(functions.len() as u64),
                line: 1 + rng.below(800) as i64,
                column: 0,
            }],
            is_folded: false,
        })
        .collect();
    let mut profile = Profile {
        sample_type: vec![
            ValueType { r#type: 1, unit: 2 },
            ValueType { r#type: 3, unit: 4 },
        ],
        function: functions,
        location: locations,
        period_type: Some(ValueType { r#type: 3, unit: 4 }),
        period: 10_000_000,
        duration_nanos: 15_000_000_000,
        time_nanos: 1_700_000_000_000_000_000 + seed as i64,
        ..Profile::default()
    };
    profile.string_table = strings;
    loop {
        for _ in 0..25 {
            let depth = 8 + rng.below(24) as usize;
            let root = rng.below(40);
            let stack: Vec<u64> = (0..depth)
                .map(|d| {
                    if d + 6 >= depth {
                        1 + (root * 31 + d as u64 * 7) % 400
                    } else {
                        1 + rng.below(400)
                    }
                })
                .collect();
            let count = 1 + rng.below(20) as i64;
            profile.sample.push(Sample {
                location_id: stack,
                value: vec![count, count * 10_000_000],
                label: Vec::new(),
            });
        }
        let gz = pprof::encode_gzip(&profile);
        if gz.len() >= target {
            return gz;
        }
    }
}

/// [`PAYLOADS`] gzip pprof profiles, sized evenly across 10–50 KB.
pub fn payloads() -> Vec<Bytes> {
    (0..PAYLOADS)
        .map(|i| {
            let target = 10_000 + i * 40_000 / (PAYLOADS - 1);
            cpu_profile(i as u64 + 1, target)
        })
        .collect()
}

/// The labels of profile `i` (a few services and pods).
pub fn labels_of(i: usize) -> Labels {
    Labels::from_pairs([
        ("__name__", "process_cpu".to_owned()),
        ("service_name", format!("shop-{}", i % 4)),
        ("namespace", "prod".to_owned()),
        ("pod", format!("shop-{}-7f9c{}", i % 4, i % 8)),
        ("__delta__", "false".to_owned()),
    ])
}

/// The body the forwarder sends for profile `i` (one-series `PushRequest`, no external labels).
pub fn body_of(i: usize, payloads: &[Bytes]) -> Bytes {
    let samples = [RawSample::new(payloads[i % payloads.len()].clone())];
    encode_series(
        push_labels(labels_of(i), std::iter::empty::<(&str, &str)>()),
        &samples,
    )
}

// ---------------------------------------------------------------------------------------------
// The forwarder rig

/// One running `pyroscope.write` with `healthy` fast endpoints then `dead` black-hole ones.
pub struct Rig {
    harness: ComponentHarness<PyroscopeWrite>,
    appender: Arc<dyn Appender>,
    healthy: Vec<Endpoint>,
    dead: Vec<Endpoint>,
    payloads: Vec<Bytes>,
    next: usize,
}

impl Rig {
    /// Build and start the component; `capacity_bytes` overrides the dead endpoints' queue size.
    pub async fn start(
        sinks: &SinkProcess,
        healthy: usize,
        dead: usize,
        dead_capacity_bytes: Option<u64>,
        payloads: &[Bytes],
    ) -> Self {
        assert!(healthy <= sinks.sinks.len(), "not enough sinks");
        let zero = ConfigDuration::parse("0s").expect("0s");
        let mut endpoints = Vec::new();
        for url in sinks.sinks.iter().take(healthy) {
            let mut cfg = EndpointConfig::new(url.clone());
            cfg.queue_config.drain_timeout = zero;
            endpoints.push(cfg);
        }
        for _ in 0..dead {
            let mut cfg = EndpointConfig::new(sinks.dead.clone());
            cfg.queue_config.drain_timeout = zero;
            if let Some(bytes) = dead_capacity_bytes {
                cfg.queue_config.capacity_bytes = bytes as f64;
            }
            endpoints.push(cfg);
        }
        let args = PyroscopeWriteArguments {
            endpoints,
            ..PyroscopeWriteArguments::default()
        };
        let settings = HarnessOptions {
            id: "pyroscope.write.bench".to_owned(),
            shutdown_deadline: Duration::from_secs(30),
        };
        let mut harness = match ComponentHarness::<PyroscopeWrite>::build_with(settings, args).await
        {
            Ok(h) => h,
            Err(failure) => panic!("build failed: {}", failure.error),
        };
        harness.start();
        let exports = harness.latest_export().expect("exports published at build");
        let value = exports.get("receiver").expect("a receiver export");
        let receiver = ReceiverRef::from_value(value).expect("a pyroscope.Appendable capsule");
        let appender = receiver.get().appender();
        let mut all = harness.component().endpoints();
        let dead_eps = all.split_off(healthy);
        Self {
            harness,
            appender,
            healthy: all,
            dead: dead_eps,
            payloads: payloads.to_vec(),
            next: 0,
        }
    }

    /// Append `n` profiles, then wait until every healthy endpoint has delivered them. Returns
    /// the wall time of the round; `latencies` gets each `append` call's duration.
    pub async fn round(&mut self, n: usize, mut latencies: Option<&mut Vec<Duration>>) -> Duration {
        let targets: Vec<u64> = self
            .healthy
            .iter()
            .map(|e| {
                let s = e.state();
                s.sent_profiles + s.dropped_profiles + n as u64
            })
            .collect();
        let started = Instant::now();
        for _ in 0..n {
            let i = self.next;
            self.next += 1;
            let samples = vec![RawSample::new(
                self.payloads[i % self.payloads.len()].clone(),
            )];
            let call = Instant::now();
            self.appender
                .append(labels_of(i), samples)
                .await
                .expect("append accepted");
            if let Some(out) = latencies.as_deref_mut() {
                out.push(call.elapsed());
            }
        }
        loop {
            let done = self.healthy.iter().zip(&targets).all(|(e, &target)| {
                let s = e.state();
                s.sent_profiles + s.dropped_profiles >= target
            });
            if done {
                break;
            }
            assert!(
                started.elapsed() < ROUND_LIMIT,
                "healthy endpoints never delivered the round: {:?}",
                self.healthy.iter().map(Endpoint::state).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let elapsed = started.elapsed();
        for e in &self.healthy {
            let s = e.state();
            assert_eq!(s.dropped_profiles, 0, "a healthy endpoint dropped: {s:?}");
        }
        elapsed
    }

    /// Queued bytes and profiles of the first dead endpoint, with its drops.
    pub fn dead_state(&self) -> Option<(u64, u64, u64)> {
        self.dead.first().map(|e| {
            let s = e.state();
            (s.queue_bytes, s.queue_profiles, s.dropped_profiles)
        })
    }

    /// Stop the component (dead endpoints give up at once: `drain_timeout = 0s`).
    pub async fn stop(mut self) {
        self.harness.stop().await.expect("the component stopped");
    }
}

// ---------------------------------------------------------------------------------------------
// The direct baseline

/// The same requests straight to the sinks with one reqwest client.
pub struct Direct {
    client: reqwest::Client,
    urls: Vec<reqwest::Url>,
    bodies: Arc<Vec<Bytes>>,
    headers: reqwest::header::HeaderMap,
    next: usize,
}

impl Direct {
    /// A baseline sending to the first `sinks` sinks, [`CONCURRENCY`] requests at a time to each.
    pub fn new(sinks: &SinkProcess, count: usize, payloads: &[Bytes]) -> Self {
        use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
        // The reqwest client an endpoint with default settings is built on (same transport,
        // TLS provider and pool settings), used bare.
        let client = ferroalloy_http_client::HttpClient::build(
            &EndpointConfig::default().client,
            &ferroalloy_http_client::ClientOptions::default(),
        )
        .expect("a default HTTP client")
        .reqwest()
        .clone();
        let urls = sinks
            .sinks
            .iter()
            .take(count)
            .map(|u| {
                reqwest::Url::parse(&format!("{u}/push.v1.PusherService/Push")).expect("a url")
            })
            .collect();
        // As many distinct bodies as the forwarder cycles through (labels x payloads).
        let bodies = (0..PAYLOADS * 8).map(|i| body_of(i, payloads)).collect();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/proto"));
        headers.insert(
            HeaderName::from_static("connect-protocol-version"),
            HeaderValue::from_static("1"),
        );
        headers.insert(
            HeaderName::from_static("connect-timeout-ms"),
            HeaderValue::from_static("10000"),
        );
        headers.insert(USER_AGENT, HeaderValue::from_static("ferroalloy/bench"));
        Self {
            client,
            urls,
            bodies: Arc::new(bodies),
            headers,
            next: 0,
        }
    }

    /// Send `n` profiles to every sink ([`CONCURRENCY`] in flight per sink); returns the wall
    /// time. Every response must be `200`.
    pub async fn round(&mut self, n: usize) -> Duration {
        let base = self.next;
        self.next += n;
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for url in &self.urls {
            let cursor = Arc::new(AtomicUsize::new(0));
            for _ in 0..CONCURRENCY {
                let client = self.client.clone();
                let url = url.clone();
                let bodies = Arc::clone(&self.bodies);
                let headers = self.headers.clone();
                let cursor = Arc::clone(&cursor);
                tasks.spawn(async move {
                    loop {
                        let k = cursor.fetch_add(1, Ordering::Relaxed);
                        if k >= n {
                            return;
                        }
                        let body = bodies[(base + k) % bodies.len()].clone();
                        let response = client
                            .post(url.clone())
                            .headers(headers.clone())
                            .body(body)
                            .send()
                            .await
                            .expect("the sink answered");
                        assert_eq!(response.status(), 200, "the sink accepted the push");
                        let _ = response.bytes().await;
                    }
                });
            }
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("a baseline sender finished");
        }
        started.elapsed()
    }
}

// ---------------------------------------------------------------------------------------------
// /proc readers

/// Linux's fixed `USER_HZ`: the unit of `utime`/`stime` in `/proc/<pid>/stat`.
const USER_HZ: u64 = 100;

/// User + system CPU time of process `pid` (`"self"` for this one), all threads, exited
/// threads included.
pub fn process_cpu(pid: &str) -> Duration {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/<pid>/stat");
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = text.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); utime is field 14, stime field 15.
    let utime: u64 = fields.get(11).and_then(|f| f.parse().ok()).expect("utime");
    let stime: u64 = fields.get(12).and_then(|f| f.parse().ok()).expect("stime");
    Duration::from_millis((utime + stime) * 1000 / USER_HZ)
}

/// Time the calling thread has spent on a CPU (`/proc/thread-self/schedstat`, nanoseconds).
pub fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("read schedstat");
    let ns = text
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .expect("time on CPU");
    Duration::from_nanos(ns)
}

/// `VmRSS` and `VmHWM` of this process, in bytes.
pub fn rss() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let field = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The bench runtime: two workers, like the machine's two cores.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("bench runtime")
}

/// The median of `values` (sorted in place).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The `q` quantile (0..=1) of `values` (sorted in place), nearest rank.
pub fn quantile(values: &mut [Duration], q: f64) -> Duration {
    values.sort();
    if values.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((values.len() as f64) * q).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// Mean size of the payloads, in bytes.
pub fn mean_size(payloads: &[Bytes]) -> usize {
    payloads.iter().map(Bytes::len).sum::<usize>() / payloads.len().max(1)
}

/// Sanity-print a line on stdout.
pub fn say(line: impl AsRef<str>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", line.as_ref());
    let _ = out.flush();
}

//! Load test of `pyroscope.receive_http` → `pyroscope.write` (DESIGN.md's budget row
//! "forwarding throughput, receive_http → write → fast local sink ≥ 90% of the same load
//! generator posting straight to the sink").
//!
//! [`CLIENTS`] SDK-like clients each send [`PER_CLIENT`] requests per round, one after another
//! (a closed loop, one keep-alive connection per client, as separate SDK processes would have):
//! - three in four are shaped like `pyroscope-io` 1.4.0 (PEERS.md §3): `POST
//!   /push.v1.PusherService/Push`, `content-type: application/proto`, `content-encoding: gzip`,
//!   its user agent, basic auth and `x-scope-orgid`; the body is the gzip of a one-series
//!   `PushRequest` with the SDK's eight series labels and one sample whose `raw_profile` is an
//!   uncompressed CPU pprof and whose `ID` is a UUID;
//! - one in four is shaped like `@pyroscope/nodejs` 0.6.4 (PEERS.md §4): `POST
//!   /ingest?format=pprof&from=…&name=<app>{otel…}&spyName=nodespy&until=…&sampleRate=17`,
//!   `content-type: application/octet-stream`, no `content-encoding`, a gzipped pprof body.
//!
//! The pprof profiles are the `pyroscope.write` benches' payloads (10–50 KB gzipped), so the
//! gzip bodies of both kinds are 10–50 KB.
//!
//! Two modes, interleaved round by round ([`ROUNDS`] rounds, the order alternating):
//! - **forward**: the clients send to the real `pyroscope.receive_http` component (built with
//!   `ComponentHarness`, listening on 127.0.0.1), whose `forward_to` is the exported receiver
//!   of a real `pyroscope.write` (default settings: 16 workers, one series per request) whose
//!   endpoint is a fast sink. A round ends when the writer has delivered every profile.
//! - **direct**: the same clients send the same requests straight to the same sink. A round
//!   ends when every response is in.
//!
//! Design decisions:
//! - **Three processes**, so each CPU figure belongs to one party: this process hosts only
//!   ferroalloy (the two components on a 2-worker tokio runtime, as `ferroalloy run` has on a
//!   2-core machine); the **clients** run in a child (this binary re-executed with
//!   `PYBENCH_CLIENTS`, commanded over stdin/stdout); the **sink** runs in another child (the
//!   `pyroscope.write` benches' sink process, shared through `#[path]`). CPU is `utime + stime`
//!   of `/proc/<pid>/stat` for each, read before and after each round. The clients' CPU is the
//!   same work in both modes, which the table shows; this process's CPU in the direct rounds
//!   shows what idling costs.
//! - **Nothing lost**: every round compares what the clients had answered `200`, what the
//!   writer reports delivered (forward) and what the sink counted (by route, `GET /count`);
//!   any difference, any non-200 and any writer drop fails the bench.
//! - Latency is what a client observes per request (send to the end of the response body); in
//!   forward mode a request is answered once the profile is queued in the writer, so delivery
//!   to the sink is in the throughput (end to end), not in the latency.
//! - Figures are medians over rounds of per-round values and per-round ratios, so load from
//!   other processes on the shared machine hits both sides of a ratio alike.
//! - The closed loop outruns the writer (receive_http answers once a profile is queued; the
//!   writer's `append` never waits), so the measured rounds raise the writer's `capacity_bytes`
//!   to [`QUEUE_BYTES`], which holds a whole round's backlog. A last section repeats the loop
//!   with the default 64 MiB and prints how much the queue shed (`queue_full`), checking that
//!   what was sent arrived.
//! - A bench argument `push` or `ingest` makes every client one kind, to split the cost of the
//!   two routes; the default is the mix above.

#![allow(missing_docs)] // a bench binary
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)] // setup failures break the bench; it prints, and its client child reports failures on stderr

#[path = "../../pyroscope-write/benches/common/mod.rs"]
mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferroalloy_pyroscope::pprof::{gunzip_limited, gzip};
use ferroalloy_pyroscope::push::encode_series;
use ferroalloy_pyroscope::types_v1::LabelPair;
use ferroalloy_pyroscope::{RawSample, ReceiverRef};
use ferroalloy_pyroscope_receive_http::{ReceiveHttp, ReceiveHttpArguments};
use ferroalloy_pyroscope_write::endpoint::Endpoint;
use ferroalloy_pyroscope_write::{EndpointConfig, PyroscopeWrite, PyroscopeWriteArguments};
use ferroalloy_test_util::ComponentHarness;
use ferroalloy_value::decode::ArgValue as _;
use ferroalloy_value::duration::Duration as ConfigDuration;
use tokio::runtime::Runtime;

use common::{SinkProcess, median, process_cpu, rss, say, sink_served};

/// Concurrent SDK-like clients.
const CLIENTS: usize = 64;
/// Requests per client per measured round.
const PER_CLIENT: usize = 64;
/// In the default mix, every `NODE_EVERY`-th client is a Node-like `/ingest` client; the
/// others push.
const NODE_EVERY: usize = 4;

/// Which clients send what: the default mix, or one kind only (a bench argument `push` or
/// `ingest`, to split the cost of the two routes).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mix {
    Mixed,
    Push,
    Ingest,
}

impl Mix {
    fn parse(word: &str) -> Option<Self> {
        match word {
            "mixed" => Some(Self::Mixed),
            "push" => Some(Self::Push),
            "ingest" => Some(Self::Ingest),
            _ => None,
        }
    }

    const fn word(self) -> &'static str {
        match self {
            Self::Mixed => "mixed",
            Self::Push => "push",
            Self::Ingest => "ingest",
        }
    }

    /// Whether client `c` is a Node-like `/ingest` client.
    const fn node(self, c: usize) -> bool {
        match self {
            Self::Mixed => c % NODE_EVERY == NODE_EVERY - 1,
            Self::Push => false,
            Self::Ingest => true,
        }
    }

    fn nodes(self) -> usize {
        (0..CLIENTS).filter(|&c| self.node(c)).count()
    }
}
/// Interleaved rounds.
const ROUNDS: usize = 7;
/// The environment variable that turns the bench binary into the client process.
const CLIENTS_ENV: &str = "PYBENCH_CLIENTS";
/// Bound of every wait for delivery.
const ROUND_LIMIT: Duration = Duration::from_secs(180);
/// The writer's `queue_config.capacity_bytes` in the measured rounds: a whole round's backlog
/// (about 150 MiB) fits, so nothing is evicted.
const QUEUE_BYTES: u64 = 2 << 30;
/// The largest gunzipped payload accepted while building the bodies.
const UNZIP_LIMIT: usize = 64 << 20;

// ---------------------------------------------------------------------------------------------
// The SDK-like requests

/// The request bodies and paths the clients cycle through.
struct SdkRequests {
    /// Gzipped one-series `PushRequest`s (pyroscope-io 1.4.0 shape).
    push: Vec<Bytes>,
    /// Gzipped pprof bodies (@pyroscope/nodejs 0.6.4 shape).
    ingest: Vec<Bytes>,
}

/// A UUID-shaped sample `ID`, deterministic per `i`.
fn uuid_of(i: usize) -> String {
    let x = (i as u128 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
    let h = format!("{x:032x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

fn sdk_requests(payloads: &[Bytes]) -> SdkRequests {
    let pair = |name: &str, value: &str| LabelPair {
        name: name.to_owned(),
        value: value.to_owned(),
    };
    let push = payloads
        .iter()
        .enumerate()
        .map(|(i, gz)| {
            let plain = gunzip_limited(gz, UNZIP_LIMIT).expect("a payload gunzips");
            let labels = vec![
                pair("__name__", "process_cpu"),
                pair("region", "us-east"),
                pair("env", "test"),
                pair("service_name", &format!("peer.python.app-{}", i % 4)),
                pair("otel.scope.name", "com.grafana.pyroscope/python"),
                pair("otel.scope.version", "1.4.0"),
                pair("process.runtime.name", "cpython"),
                pair("process.runtime.version", "3.11.7"),
            ];
            gzip(&encode_series(
                labels,
                &[RawSample::with_id(uuid_of(i), plain)],
            ))
        })
        .collect();
    SdkRequests {
        push,
        ingest: payloads.to_vec(),
    }
}

/// The `/ingest` path and query of Node-like client `c`.
fn ingest_path(c: usize) -> String {
    format!(
        "/ingest?format=pprof&from=1700000000&name=peer.node.app-{c}%7Botel.scope.name%3Dcom.grafana.pyroscope%2Fnodejs%2Cotel.scope.version%3D0.6.4%2Cprocess.runtime.name%3Dnodejs%2Cprocess.runtime.version%3D20.20.2%2Cregion%3Deu-west%2Cenv%3Dtest%7D&spyName=nodespy&until=1700000010&sampleRate=17"
    )
}

fn mean(values: &[Bytes]) -> usize {
    values.iter().map(Bytes::len).sum::<usize>() / values.len().max(1)
}

// ---------------------------------------------------------------------------------------------
// The client process

/// Call in `main` (after the sink check): when this process is the client child, serve round
/// commands from stdin until it closes, then exit.
///
/// Protocol: the parent writes `round <base url> <requests per client> <first body index>
/// <mix>`;
/// the child answers `done <wall µs> <push 200s> <ingest 200s> <failures> <p50 ns> <p99 ns>
/// <max ns>`. It announces `ready` once its bodies are built.
fn clients_main_if_child() {
    if std::env::var_os(CLIENTS_ENV).is_none() {
        return;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = common::runtime();
    let requests = Arc::new(sdk_requests(&common::payloads()));
    // One client (one pool, one keep-alive connection) per simulated SDK process.
    let clients: Vec<reqwest::Client> = (0..CLIENTS)
        .map(|_| reqwest::Client::builder().build().expect("a client"))
        .collect();
    let paths: Arc<Vec<String>> = Arc::new((0..CLIENTS).map(ingest_path).collect());
    say("ready");
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        let [_, base, per_client, first, mix] = words.as_slice() else {
            break;
        };
        let mix = Mix::parse(mix).expect("a client mix");
        let per_client: usize = per_client.parse().expect("requests per client");
        let first: usize = first.parse().expect("first body index");
        let base = (*base).to_owned();
        let answer = rt.block_on(client_round(
            &clients, &requests, &paths, &base, per_client, first, mix,
        ));
        say(answer);
    }
    std::process::exit(0);
}

/// One round: every client sends `per_client` requests in a closed loop.
async fn client_round(
    clients: &[reqwest::Client],
    requests: &Arc<SdkRequests>,
    paths: &Arc<Vec<String>>,
    base: &str,
    per_client: usize,
    first: usize,
    mix: Mix,
) -> String {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (c, client) in clients.iter().enumerate() {
        let client = client.clone();
        let requests = Arc::clone(requests);
        let paths = Arc::clone(paths);
        let node = mix.node(c);
        let url = if node {
            format!("{base}{}", paths[c])
        } else {
            format!("{base}/push.v1.PusherService/Push")
        };
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            let (mut ok, mut failed) = (0u64, 0u64);
            for j in 0..per_client {
                let k = first + c * per_client + j;
                let request = if node {
                    client
                        .post(&url)
                        .header("content-type", "application/octet-stream")
                        .header("authorization", "Basic Ym9iOnBhNTU=")
                        .header("X-Scope-OrgID", "tenant-7")
                        .header("user-agent", "node")
                        .body(requests.ingest[k % requests.ingest.len()].clone())
                } else {
                    client
                        .post(&url)
                        .header("user-agent", "pyroscope-rs/pyspy/1.4.0 reqwest")
                        .header("content-type", "application/proto")
                        .header("content-encoding", "gzip")
                        .header("authorization", "Basic YWxpY2U6czNjcmV0")
                        .header("x-scope-orgid", "tenant-42")
                        .body(requests.push[k % requests.push.len()].clone())
                };
                let sent = Instant::now();
                match request.send().await {
                    Ok(response) => {
                        let status = response.status();
                        let body = response.bytes().await.unwrap_or_default();
                        if status == 200 {
                            ok += 1;
                        } else {
                            failed += 1;
                            eprintln!("client {c}: {status} {}", String::from_utf8_lossy(&body));
                        }
                    }
                    Err(error) => {
                        failed += 1;
                        eprintln!("client {c}: {error}");
                    }
                }
                latencies.push(sent.elapsed());
            }
            (node, ok, failed, latencies)
        });
    }
    let (mut push, mut ingest, mut failed, mut latencies) = (0u64, 0u64, 0u64, Vec::new());
    while let Some(done) = tasks.join_next().await {
        let (node, ok, bad, lat) = done.expect("a client task finished");
        if node {
            ingest += ok;
        } else {
            push += ok;
        }
        failed += bad;
        latencies.extend(lat);
    }
    let wall = started.elapsed();
    let p50 = common::quantile(&mut latencies, 0.50).as_nanos();
    let p99 = common::quantile(&mut latencies, 0.99).as_nanos();
    let max = common::quantile(&mut latencies, 1.0).as_nanos();
    format!(
        "done {} {push} {ingest} {failed} {p50} {p99} {max}",
        wall.as_micros()
    )
}

/// The client child, seen from the bench.
struct ClientProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

/// What the clients report after a round.
struct ClientRound {
    push: u64,
    ingest: u64,
    failed: u64,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

impl ClientProcess {
    fn start() -> Self {
        let exe = std::env::current_exe().expect("the bench binary's path");
        let mut child = Command::new(exe)
            .env(CLIENTS_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the client process");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("client stdout"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("the client announcement");
        assert_eq!(line.trim(), "ready", "the client process is ready");
        Self {
            child,
            stdin,
            stdout,
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Run one round against `base` and wait for its report.
    fn round(&mut self, base: &str, per_client: usize, first: usize, mix: Mix) -> ClientRound {
        let stdin = self.stdin.as_mut().expect("client stdin open");
        writeln!(stdin, "round {base} {per_client} {first} {}", mix.word())
            .expect("command the clients");
        stdin.flush().expect("flush the command");
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("the clients' report");
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            f.first(),
            Some(&"done"),
            "unexpected client report {line:?}"
        );
        let num = |i: usize| -> u64 {
            f.get(i)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("field {i} of the client report {line:?}"))
        };
        ClientRound {
            push: num(2),
            ingest: num(3),
            failed: num(4),
            p50: Duration::from_nanos(num(5)),
            p99: Duration::from_nanos(num(6)),
            max: Duration::from_nanos(num(7)),
        }
    }
}

impl Drop for ClientProcess {
    fn drop(&mut self) {
        common::end_child(&mut self.child, self.stdin.take());
    }
}

// ---------------------------------------------------------------------------------------------
// The ferroalloy side

/// `pyroscope.receive_http` forwarding to `pyroscope.write`, whose endpoint is `sink`.
struct Chain {
    receive: ComponentHarness<ReceiveHttp>,
    write: ComponentHarness<PyroscopeWrite>,
    endpoint: Endpoint,
    addr: SocketAddr,
}

impl Chain {
    /// `capacity_bytes` overrides the endpoint's queue size (default 64 MiB).
    async fn start(sink: &str, capacity_bytes: Option<u64>) -> Self {
        let mut endpoint = EndpointConfig::new(sink.to_owned());
        endpoint.queue_config.drain_timeout = ConfigDuration::parse("0s").expect("0s");
        if let Some(bytes) = capacity_bytes {
            endpoint.queue_config.capacity_bytes = bytes as f64;
        }
        let args = PyroscopeWriteArguments {
            endpoints: vec![endpoint],
            ..PyroscopeWriteArguments::default()
        };
        let mut write = ComponentHarness::<PyroscopeWrite>::build(args)
            .await
            .unwrap_or_else(|f| panic!("pyroscope.write build failed: {}", f.error));
        write.start();
        let exports = write.latest_export().expect("exports published at build");
        let receiver = ReceiverRef::from_value(exports.get("receiver").expect("a receiver"))
            .expect("a pyroscope.Appendable capsule");
        let endpoint = write
            .component()
            .endpoints()
            .into_iter()
            .next()
            .expect("one endpoint");
        let mut args = ReceiveHttpArguments {
            forward_to: vec![receiver],
            ..ReceiveHttpArguments::default()
        };
        args.http.listen_address = "127.0.0.1".to_owned();
        args.http.listen_port = 0;
        let mut receive = ComponentHarness::<ReceiveHttp>::build(args)
            .await
            .unwrap_or_else(|f| panic!("pyroscope.receive_http build failed: {}", f.error));
        receive.start();
        let addr = receive.component().local_addr().await.expect("bound");
        Self {
            receive,
            write,
            endpoint,
            addr,
        }
    }

    /// Profiles the writer has delivered and dropped so far.
    fn delivered(&self) -> (u64, u64) {
        let s = self.endpoint.state();
        (s.sent_profiles, s.dropped_profiles)
    }

    async fn stop(mut self) {
        self.receive.stop().await.expect("receive_http stopped");
        self.write.stop().await.expect("pyroscope.write stopped");
    }
}

// ---------------------------------------------------------------------------------------------
// Rounds

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Forward,
    Direct,
}

/// The figures of one round.
struct Figures {
    profiles_per_s: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    /// CPU µs per profile: this process (ferroalloy), the sink, the clients.
    ferroalloy_cpu: f64,
    sink_cpu: f64,
    client_cpu: f64,
    /// Bytes the sink received per profile.
    sink_bytes: f64,
    /// The largest backlog seen in the writer's queue while waiting for delivery (forward).
    backlog_bytes: u64,
}

impl Figures {
    fn total_cpu(&self) -> f64 {
        self.ferroalloy_cpu + self.sink_cpu + self.client_cpu
    }
}

struct Bench {
    rt: Runtime,
    sinks: SinkProcess,
    clients: ClientProcess,
    chain: Chain,
    next: usize,
    mix: Mix,
}

impl Bench {
    fn round(&mut self, mode: Mode, per_client: usize) -> Figures {
        let sink = self.sinks.sinks[0].clone();
        let base = match mode {
            Mode::Forward => format!("http://{}", self.chain.addr),
            Mode::Direct => sink.clone(),
        };
        let profiles = (CLIENTS * per_client) as u64;
        let served0 = sink_served(&sink);
        let (sent0, dropped0) = self.chain.delivered();
        let (sink_pid, client_pid) = (self.sinks.pid().to_string(), self.clients.pid());
        let cpu0 = [
            process_cpu("self"),
            process_cpu(&sink_pid),
            process_cpu(&client_pid),
        ];
        let started = Instant::now();
        let report = self.clients.round(&base, per_client, self.next, self.mix);
        self.next += CLIENTS * per_client;
        let mut backlog_bytes = 0;
        if mode == Mode::Forward {
            loop {
                let s = self.chain.endpoint.state();
                backlog_bytes = backlog_bytes.max(s.queue_bytes);
                if s.sent_profiles + s.dropped_profiles >= sent0 + dropped0 + profiles {
                    break;
                }
                assert!(
                    started.elapsed() < ROUND_LIMIT,
                    "the writer never delivered the round: {:?}",
                    self.chain.endpoint.state()
                );
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let wall = started.elapsed();
        let cpu1 = [
            process_cpu("self"),
            process_cpu(&sink_pid),
            process_cpu(&client_pid),
        ];
        let served1 = sink_served(&sink);
        let (sent1, dropped1) = self.chain.delivered();
        // Nothing lost: what the clients had accepted is what the sink got.
        assert_eq!(report.failed, 0, "{mode:?}: requests failed");
        assert_eq!(
            dropped1,
            dropped0,
            "{mode:?}: the writer dropped profiles: {:?}",
            self.chain.endpoint.state()
        );
        assert_eq!(
            report.push + report.ingest,
            profiles,
            "{mode:?}: every request was answered 200"
        );
        let got = [served1[0] - served0[0], served1[1] - served0[1]];
        assert_eq!(
            got,
            [report.push, report.ingest],
            "{mode:?}: the sink received every profile (push, ingest)"
        );
        assert_eq!(
            served1[2], served0[2],
            "{mode:?}: no request to another path"
        );
        match mode {
            Mode::Forward => {
                assert_eq!(
                    sent1 - sent0,
                    profiles,
                    "the writer delivered every profile"
                );
            }
            Mode::Direct => {
                assert_eq!(
                    (sent1, dropped1),
                    (sent0, dropped0),
                    "the writer stayed idle"
                );
            }
        }
        let per = |i: usize| (cpu1[i] - cpu0[i]).as_secs_f64() * 1e6 / profiles as f64;
        Figures {
            profiles_per_s: profiles as f64 / wall.as_secs_f64(),
            p50: report.p50,
            p99: report.p99,
            max: report.max,
            ferroalloy_cpu: per(0),
            sink_cpu: per(1),
            client_cpu: per(2),
            sink_bytes: ((served1[3] + served1[4]) - (served0[3] + served0[4])) as f64
                / profiles as f64,
            backlog_bytes,
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1u32 << 20)
}

/// Mean CPU time of one `gunzip_limited` of a push body (what receive_http does first with
/// every gzip Push), measured on this thread over a few passes.
fn gunzip_cost(push: &[Bytes]) -> Duration {
    const PASSES: u32 = 20;
    let started = common::thread_cpu();
    let mut out = 0usize;
    for _ in 0..PASSES {
        for body in push {
            out += gunzip_limited(body, UNZIP_LIMIT)
                .expect("a push body gunzips")
                .len();
        }
    }
    assert!(out > 0, "the bodies decompress to something");
    (common::thread_cpu() - started) / (PASSES * push.len().max(1) as u32)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() {
    common::sink_main_if_child();
    clients_main_if_child();
    // `cargo bench` passes `--bench`; an argument `push` or `ingest` selects one kind of client.
    let mix = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .find_map(|a| Mix::parse(&a))
        .unwrap_or(Mix::Mixed);
    let (rss_start, _) = rss();
    let sinks = SinkProcess::start();
    let clients = ClientProcess::start();
    let rt = common::runtime();
    let chain = rt.block_on(Chain::start(&sinks.sinks[0], Some(QUEUE_BYTES)));
    std::thread::sleep(Duration::from_millis(500));
    let (rss_idle, _) = rss();
    let payloads = common::payloads();
    let sdk = sdk_requests(&payloads);
    let plain: Vec<Bytes> = payloads
        .iter()
        .map(|gz| Bytes::from(gunzip_limited(gz, UNZIP_LIMIT).expect("a payload gunzips")))
        .collect();
    let gunzip = gunzip_cost(&sdk.push);
    say(format!(
        "receive_http -> write load test: {CLIENTS} clients ({} push like pyroscope-io 1.4.0, {} \
         /ingest like @pyroscope/nodejs 0.6.4), {PER_CLIENT} requests each per round, {ROUNDS} \
         interleaved rounds; push bodies {}..{} bytes (mean {}; raw_profile plain pprof mean {}), \
         ingest bodies mean {} bytes; one gunzip of a push body {:.1} us of CPU; writer \
         capacity_bytes {} MiB; sink process {}, client \
         process {}; load average {}",
        CLIENTS - mix.nodes(),
        mix.nodes(),
        sdk.push.iter().map(Bytes::len).min().unwrap_or(0),
        sdk.push.iter().map(Bytes::len).max().unwrap_or(0),
        mean(&sdk.push),
        mean(&plain),
        mean(&sdk.ingest),
        gunzip.as_secs_f64() * 1e6,
        QUEUE_BYTES >> 20,
        sinks.pid(),
        clients.pid(),
        loadavg(),
    ));
    let mut bench = Bench {
        rt,
        sinks,
        clients,
        chain,
        next: 0,
        mix,
    };
    // Warm both paths: connections open, allocator settled.
    bench.round(Mode::Forward, PER_CLIENT / 4);
    bench.round(Mode::Direct, PER_CLIENT / 4);
    let mut forward = Vec::new();
    let mut direct = Vec::new();
    for r in 0..ROUNDS {
        let order = if r % 2 == 0 {
            [Mode::Forward, Mode::Direct]
        } else {
            [Mode::Direct, Mode::Forward]
        };
        for mode in order {
            let f = bench.round(mode, PER_CLIENT);
            say(format!(
                "round {r} {mode:?}: {:.0} profiles/s, p50 {:.2} ms, p99 {:.2} ms, CPU us/profile \
                 ferroalloy {:.1} sink {:.1} clients {:.1}",
                f.profiles_per_s,
                ms(f.p50),
                ms(f.p99),
                f.ferroalloy_cpu,
                f.sink_cpu,
                f.client_cpu
            ));
            match mode {
                Mode::Forward => forward.push(f),
                Mode::Direct => direct.push(f),
            }
        }
    }
    let (rss_after, rss_peak) = rss();
    report(&forward, &direct);
    let Bench {
        rt,
        sinks,
        mut clients,
        chain,
        ..
    } = bench;
    rt.block_on(chain.stop());
    say(format!(
        "ferroalloy process RSS: {:.1} MiB at start, {:.1} MiB with both components idle, {:.1} \
         MiB after the rounds, peak {:.1} MiB",
        mib(rss_start),
        mib(rss_idle),
        mib(rss_after),
        mib(rss_peak),
    ));
    overload(&rt, &sinks, &mut clients, mix);
    say(format!("load average at the end: {}", loadavg()));
}

/// The same closed loop against a writer with the default 64 MiB queue: how much of a round
/// the queue sheds (every drop counted by reason; what was sent must have arrived).
fn overload(rt: &Runtime, sinks: &SinkProcess, clients: &mut ClientProcess, mix: Mix) {
    let sink = &sinks.sinks[0];
    let chain = rt.block_on(Chain::start(sink, None));
    let base = format!("http://{}", chain.addr);
    let mut lines = Vec::new();
    for r in 0..3 {
        let served0 = sink_served(sink);
        let (sent0, dropped0) = chain.delivered();
        let report = clients.round(&base, PER_CLIENT, r * CLIENTS * PER_CLIENT, mix);
        let profiles = report.push + report.ingest;
        assert_eq!(report.failed, 0, "overload: requests failed");
        let started = Instant::now();
        let state = loop {
            let s = chain.endpoint.state();
            if s.sent_profiles + s.dropped_profiles >= sent0 + dropped0 + profiles {
                break s;
            }
            assert!(
                started.elapsed() < ROUND_LIMIT,
                "overload: the writer never finished the round: {s:?}"
            );
            std::thread::sleep(Duration::from_millis(1));
        };
        let served1 = sink_served(sink);
        let arrived = (served1[0] + served1[1]) - (served0[0] + served0[1]);
        assert_eq!(
            arrived,
            state.sent_profiles - sent0,
            "overload: what the writer sent arrived"
        );
        let reasons: Vec<String> = state
            .dropped_by_reason
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(reason, n)| format!("{reason} {n}"))
            .collect();
        lines.push(format!(
            "overload round {r}: {profiles} answered 200, {arrived} delivered, {} dropped \
             (cumulative by reason: {})",
            state.dropped_profiles - dropped0,
            if reasons.is_empty() {
                "none".to_owned()
            } else {
                reasons.join(", ")
            }
        ));
    }
    rt.block_on(chain.stop());
    say("== the same closed loop with the default capacity_bytes (64 MiB)");
    for line in lines {
        say(line);
    }
}

fn report(forward: &[Figures], direct: &[Figures]) {
    let med = |rounds: &[Figures], f: &dyn Fn(&Figures) -> f64| {
        median(&mut rounds.iter().map(f).collect::<Vec<_>>())
    };
    let ratio = |f: &dyn Fn(&Figures) -> f64| {
        median(
            &mut forward
                .iter()
                .zip(direct)
                .map(|(a, b)| f(a) / f(b))
                .collect::<Vec<_>>(),
        )
    };
    say("== medians of the rounds");
    say(
        "mode | profiles/s | p50 ms | p99 ms | max ms | CPU us/profile: ferroalloy | sink | clients | \
         total | sink bytes/profile | peak writer backlog MiB",
    );
    for (name, rounds) in [("forward", forward), ("direct", direct)] {
        say(format!(
            "{name} | {:.0} | {:.2} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | {:.1}",
            med(rounds, &|f| f.profiles_per_s),
            med(rounds, &|f| ms(f.p50)),
            med(rounds, &|f| ms(f.p99)),
            med(rounds, &|f| ms(f.max)),
            med(rounds, &|f| f.ferroalloy_cpu),
            med(rounds, &|f| f.sink_cpu),
            med(rounds, &|f| f.client_cpu),
            med(rounds, &|f| f.total_cpu()),
            med(rounds, &|f| f.sink_bytes),
            med(rounds, &|f| mib(f.backlog_bytes)),
        ));
    }
    say("== forward / direct, medians of per-round ratios");
    say(format!(
        "throughput {:.2} | p50 latency {:.2} | p99 latency {:.2} | total CPU {:.2} | clients CPU \
         {:.2} | ferroalloy CPU / direct sink CPU {:.2} | forward sink CPU / direct sink CPU {:.2}",
        ratio(&|f| f.profiles_per_s),
        ratio(&|f| ms(f.p50)),
        ratio(&|f| ms(f.p99)),
        ratio(&|f| f.total_cpu()),
        ratio(&|f| f.client_cpu),
        median(
            &mut forward
                .iter()
                .zip(direct)
                .map(|(a, b)| a.ferroalloy_cpu / b.sink_cpu)
                .collect::<Vec<_>>()
        ),
        ratio(&|f| f.sink_cpu),
    ));
}

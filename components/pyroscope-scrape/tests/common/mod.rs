//! Helpers shared by the component tests: a fake pprof target served in-process on 127.0.0.1
//! (per-path scripted replies, request capture, streaming and never-answering replies, stop and
//! restart on the same port), synthetic pprof profiles built with the prost types, the recording
//! receiver of `ferroalloy-test-util`, and argument and debug-info helpers.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use ferroalloy_component::EncodedBody;
use ferroalloy_pyroscope::ReceiverRef;
use ferroalloy_pyroscope::pprof::{
    Function, Line, Location, Profile, Sample, ValueType, decode_profile, encode_gzip,
};
use ferroalloy_pyroscope_scrape::PyroscopeScrape;
use ferroalloy_pyroscope_scrape::config::ScrapeArguments;
use ferroalloy_test_util::ComponentHarness;
// Not every test binary that includes this module records.
#[allow(unused_imports)]
pub use ferroalloy_test_util::receiver::Recorder;
use ferroalloy_value::Value;
use ferroalloy_value::duration::Duration as GoDuration;
use hyper::body::{Body, Frame};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The bound of every wait in these tests.
pub const WAIT: Duration = Duration::from_secs(15);

/// The harness type of these tests.
pub type Harness = ComponentHarness<PyroscopeScrape>;

// ---------------------------------------------------------------------------------------------
// the fake target

/// What the fake target answers on one path.
#[derive(Clone)]
pub enum Reply {
    /// A complete response.
    Full {
        /// Status code.
        status: u16,
        /// `Content-Type`, if any.
        content_type: Option<String>,
        /// The body.
        body: Bytes,
    },
    /// 200 `application/octet-stream` with `total` zero bytes streamed in 1 MiB chunks.
    Stream {
        /// Bytes to send.
        total: u64,
    },
    /// Never answer (the request is held until the client goes away).
    Hang,
    /// Wait, then answer with the inner reply.
    Delay(Duration, Box<Reply>),
}

impl Reply {
    /// 200 `application/octet-stream` with `body`.
    pub fn pprof(body: impl Into<Bytes>) -> Self {
        Self::Full {
            status: 200,
            content_type: Some("application/octet-stream".into()),
            body: body.into(),
        }
    }

    /// `status` with `content_type` and `body`.
    pub fn with(status: u16, content_type: Option<&str>, body: impl Into<Bytes>) -> Self {
        Self::Full {
            status,
            content_type: content_type.map(str::to_owned),
            body: body.into(),
        }
    }
}

/// Builds the reply of the `n`-th request (from 1) of a path.
pub type Responder = Arc<dyn Fn(usize) -> Reply + Send + Sync>;

/// One request as the fake target saw it.
#[derive(Clone, Debug)]
pub struct Received {
    /// Path and query (`/debug/pprof/profile?seconds=14`).
    pub path_and_query: String,
    /// Just the path.
    pub path: String,
    /// The request headers.
    pub headers: hyper::HeaderMap,
    /// When it arrived.
    pub at: SystemTime,
}

#[derive(Default)]
struct TargetState {
    routes: Mutex<HashMap<String, Responder>>,
    counts: Mutex<HashMap<String, usize>>,
    received: Mutex<Vec<Received>>,
    /// Held (`Hang`) requests whose client went away.
    abandoned: AtomicUsize,
}

/// A pprof target on 127.0.0.1: 404 `Unknown profile` on paths without a reply.
pub struct FakeTarget {
    addr: SocketAddr,
    state: Arc<TargetState>,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl FakeTarget {
    /// Serve on an ephemeral port.
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap()).await
    }

    /// Serve on `addr` (to restart on a port used before), with fresh routes and records.
    pub async fn start_on(addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(TargetState::default());
        let stop = CancellationToken::new();
        let task = tokio::spawn(serve(listener, Arc::clone(&state), stop.clone()));
        Self {
            addr,
            state,
            stop,
            task: Some(task),
        }
    }

    /// The address (`127.0.0.1:<port>`), the target's `__address__`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `__address__` as a string.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Answer `path` with `reply`, always.
    pub fn reply(&self, path: &str, reply: Reply) {
        self.respond(path, move |_| reply.clone());
    }

    /// Answer the `n`-th request of `path` with `responder(n)`.
    pub fn respond(&self, path: &str, responder: impl Fn(usize) -> Reply + Send + Sync + 'static) {
        self.state
            .routes
            .lock()
            .unwrap()
            .insert(path.to_owned(), Arc::new(responder));
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// How many requests `path` got.
    pub fn count(&self, path: &str) -> usize {
        self.state
            .counts
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// How many held requests were given up by their client.
    pub fn abandoned(&self) -> usize {
        self.state.abandoned.load(Ordering::SeqCst)
    }

    /// Wait until `path` got at least `n` requests.
    pub async fn wait_count(&self, path: &str, n: usize, timeout: Duration) -> bool {
        ferroalloy_test_util::eventually(timeout, || self.count(path) >= n).await
    }

    /// Stop listening and close every connection.
    pub async fn stop(&mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeTarget {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn serve(listener: TcpListener, state: Arc<TargetState>, stop: CancellationToken) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        let state = Arc::clone(&state);
        connections.spawn(async move {
            let service = service_fn(move |req| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(answer(&state, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
    drop(listener);
    connections.shutdown().await;
}

/// Counts a held request whose future was dropped (its connection closed).
struct AbandonGuard(Arc<TargetState>);

impl Drop for AbandonGuard {
    fn drop(&mut self) {
        self.0.abandoned.fetch_add(1, Ordering::SeqCst);
    }
}

async fn answer(
    state: &Arc<TargetState>,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<ReplyBody> {
    let path = req.uri().path().to_owned();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    let n = {
        let mut counts = state.counts.lock().unwrap();
        let n = counts.entry(path.clone()).or_insert(0);
        *n += 1;
        *n
    };
    state.received.lock().unwrap().push(Received {
        path_and_query,
        path: path.clone(),
        headers: req.headers().clone(),
        at: SystemTime::now(),
    });
    let responder = state.routes.lock().unwrap().get(&path).cloned();
    let reply = match responder {
        Some(responder) => responder(n),
        None => Reply::with(404, Some("text/plain; charset=utf-8"), "Unknown profile\n"),
    };
    let reply = match reply {
        Reply::Delay(delay, inner) => {
            tokio::time::sleep(delay).await;
            *inner
        }
        other => other,
    };
    match reply {
        Reply::Full {
            status,
            content_type,
            body,
        } => {
            let mut response = hyper::Response::builder().status(status);
            if let Some(ct) = content_type {
                response = response.header("content-type", ct);
            }
            response.body(ReplyBody::Full(Some(body))).unwrap()
        }
        Reply::Stream { total } => hyper::Response::builder()
            .status(200)
            .header("content-type", "application/octet-stream")
            .body(ReplyBody::Stream {
                left: total,
                chunk: Bytes::from(vec![0u8; 1 << 20]),
            })
            .unwrap(),
        Reply::Hang | Reply::Delay(..) => {
            let _guard = AbandonGuard(Arc::clone(state));
            std::future::pending::<()>().await;
            unreachable!("a pending future never completes")
        }
    }
}

/// The body of a fake target's reply.
pub enum ReplyBody {
    /// All at once.
    Full(Option<Bytes>),
    /// `left` more bytes, one `chunk` (or its prefix) at a time.
    Stream {
        /// Bytes still to send.
        left: u64,
        /// The chunk sent repeatedly.
        chunk: Bytes,
    },
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        Poll::Ready(match this {
            ReplyBody::Full(body) => body.take().map(|b| Ok(Frame::data(b))),
            ReplyBody::Stream { left, chunk } => {
                if *left == 0 {
                    None
                } else {
                    let n = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(chunk.len());
                    *left -= n as u64;
                    Some(Ok(Frame::data(chunk.slice(..n))))
                }
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// synthetic pprof

/// `(type, unit)` of a Go heap profile.
pub const MEMORY_TYPES: [(&str, &str); 4] = [
    ("alloc_objects", "count"),
    ("alloc_space", "bytes"),
    ("inuse_objects", "count"),
    ("inuse_space", "bytes"),
];

/// A profile with `types`, one function and location per distinct frame name, and `samples`
/// as (stack from leaf to root, values).
pub fn profile(
    types: &[(&str, &str)],
    samples: &[(&[&str], &[i64])],
    time_nanos: i64,
    period: i64,
) -> Profile {
    let mut strings: Vec<String> = vec![String::new()];
    let mut intern = |s: &str| -> i64 {
        match strings.iter().position(|x| x == s) {
            Some(i) => i as i64,
            None => {
                strings.push(s.to_owned());
                (strings.len() - 1) as i64
            }
        }
    };
    let sample_type: Vec<ValueType> = types
        .iter()
        .map(|(t, u)| ValueType {
            r#type: intern(t),
            unit: intern(u),
        })
        .collect();
    let period_type = Some(ValueType {
        r#type: intern("space"),
        unit: intern("bytes"),
    });
    let mut functions: Vec<Function> = Vec::new();
    let mut locations: Vec<Location> = Vec::new();
    let mut out_samples = Vec::new();
    for (stack, values) in samples {
        let mut ids = Vec::new();
        for frame in *stack {
            let name = intern(frame);
            let id = match functions.iter().find(|f| f.name == name) {
                Some(f) => f.id,
                None => {
                    let id = functions.len() as u64 + 1;
                    let filename = intern("main.go");
                    functions.push(Function {
                        id,
                        name,
                        system_name: name,
                        filename,
                        start_line: 1,
                    });
                    locations.push(Location {
                        id,
                        mapping_id: 0,
                        address: 0x1000 * id,
                        line: vec![Line {
                            function_id: id,
                            line: 10 * id as i64,
                            column: 0,
                        }],
                        is_folded: false,
                    });
                    id
                }
            };
            ids.push(id);
        }
        out_samples.push(Sample {
            location_id: ids,
            value: values.to_vec(),
            label: Vec::new(),
        });
    }
    Profile {
        sample_type,
        sample: out_samples,
        location: locations,
        function: functions,
        string_table: strings,
        time_nanos,
        period_type,
        period,
        ..Profile::default()
    }
}

/// A gzipped Go-like heap profile at `time_nanos` whose allocation totals grow with `n`
/// (`main.alloc`: 10·n objects, 1000·n bytes; `main.idle`: constant 5/500), in-use 1/100.
pub fn memory_profile(n: i64, time_nanos: i64) -> Bytes {
    encode_gzip(&profile(
        &MEMORY_TYPES,
        &[
            (&["main.alloc", "main.main"], &[10 * n, 1000 * n, 1, 100]),
            (&["main.idle", "main.main"], &[5, 500, 1, 100]),
        ],
        time_nanos,
        524_288,
    ))
}

/// A small gzipped goroutine profile.
pub fn goroutine_profile() -> Bytes {
    encode_gzip(&profile(
        &[("goroutine", "count")],
        &[(&["runtime.gopark", "main.main"], &[3])],
        1_700_000_000_000_000_000,
        1,
    ))
}

/// Now in Unix nanoseconds.
pub fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// A memory target: `/debug/pprof/allocs` answers with growing totals stamped with the time.
pub fn serve_memory(target: &FakeTarget) {
    target.respond("/debug/pprof/allocs", |n| {
        Reply::pprof(memory_profile(n as i64, now_nanos()))
    });
}

/// Decode forwarded bytes (gzip or plain).
pub fn decode(bytes: &[u8]) -> Profile {
    decode_profile(bytes, 1 << 30).expect("a valid pprof")
}

/// `(type, unit)` strings of a profile's sample types.
pub fn type_names(profile: &Profile) -> Vec<(String, String)> {
    ferroalloy_pyroscope::pprof::sample_types(profile)
        .into_iter()
        .map(|(t, u)| (t.to_owned(), u.to_owned()))
        .collect()
}

/// `(leaf function name, values)` of each sample.
pub fn leaf_values(profile: &Profile) -> Vec<(String, Vec<i64>)> {
    profile
        .sample
        .iter()
        .map(|s| {
            let loc = s
                .location_id
                .first()
                .and_then(|id| profile.location.iter().find(|l| l.id == *id));
            let func = loc
                .and_then(|l| l.line.first())
                .and_then(|line| profile.function.iter().find(|f| f.id == line.function_id));
            let name = func.map_or("", |f| {
                ferroalloy_pyroscope::pprof::string_at(profile, f.name)
            });
            (name.to_owned(), s.value.clone())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// arguments and the component

/// A Go duration from text (`"1s"`).
pub fn dur(text: &str) -> GoDuration {
    GoDuration::parse(text).unwrap()
}

/// A target map from pairs.
pub fn target(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Arguments with `targets`, `forward_to`, `interval`, and only the profile types `enabled`
/// (by built-in name) switched on.
pub fn args(
    targets: Vec<BTreeMap<String, String>>,
    forward_to: Vec<ReceiverRef>,
    interval: &str,
    enabled: &[&str],
) -> ScrapeArguments {
    let mut args = ScrapeArguments {
        targets,
        forward_to,
        scrape_interval: dur(interval),
        ..ScrapeArguments::default()
    };
    let pc = &mut args.profiling_config;
    pc.process_cpu.enabled = enabled.contains(&"process_cpu");
    pc.memory.enabled = enabled.contains(&"memory");
    pc.goroutine.enabled = enabled.contains(&"goroutine");
    pc.mutex.enabled = enabled.contains(&"mutex");
    pc.block.enabled = enabled.contains(&"block");
    pc.fgprof.enabled = enabled.contains(&"fgprof");
    pc.godeltaprof_memory.enabled = enabled.contains(&"godeltaprof_memory");
    pc.godeltaprof_mutex.enabled = enabled.contains(&"godeltaprof_mutex");
    pc.godeltaprof_block.enabled = enabled.contains(&"godeltaprof_block");
    args
}

/// [`args`] with one target: `__address__` of `target`.
pub fn single(
    target: &FakeTarget,
    forward_to: Vec<ReceiverRef>,
    interval: &str,
    enabled: &[&str],
) -> ScrapeArguments {
    let targets = vec![self::target(&[("__address__", &target.address())])];
    args(targets, forward_to, interval, enabled)
}

/// Build and start the component.
pub async fn start(args: ScrapeArguments) -> Harness {
    let mut harness = match Harness::build(args).await {
        Ok(h) => h,
        Err(failure) => panic!("build failed: {}", failure.error),
    };
    harness.start();
    harness
}

/// One `target` block of debug info, as plain strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetInfo {
    /// `job`.
    pub job: String,
    /// `url`.
    pub url: String,
    /// `health`.
    pub health: String,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `last_error`.
    pub last_error: String,
    /// `last_scrape`.
    pub last_scrape: String,
    /// `last_scrape_duration`.
    pub last_scrape_duration: String,
}

fn text(body: &EncodedBody, name: &str) -> String {
    match body.get(name) {
        Some(Value::String(s)) => s.clone(),
        other => panic!("{name} is not a string: {other:?}"),
    }
}

/// The `target` blocks of the component's debug info.
pub fn targets_info(harness: &Harness) -> Vec<TargetInfo> {
    let body = harness.debug_info().expect("debug info");
    body.blocks("target")
        .map(|block| {
            let labels = match block.get("labels") {
                Some(Value::Object(object)) => object
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect(),
                other => panic!("labels is not an object: {other:?}"),
            };
            TargetInfo {
                job: text(block, "job"),
                url: text(block, "url"),
                health: text(block, "health"),
                labels,
                last_error: text(block, "last_error"),
                last_scrape: text(block, "last_scrape"),
                last_scrape_duration: text(block, "last_scrape_duration"),
            }
        })
        .collect()
}

/// The debug entry whose URL ends with `suffix`.
pub fn info_for(harness: &Harness, suffix: &str) -> Option<TargetInfo> {
    targets_info(harness)
        .into_iter()
        .find(|t| t.url.ends_with(suffix))
}

/// Wait for the first outcome (`up` or `down`) of the job whose URL ends with `suffix`.
pub async fn first_outcome(harness: &Harness, suffix: &str) -> TargetInfo {
    wait_info(harness, suffix, WAIT, |t| t.health != "unknown").await
}

/// Wait until the entry whose URL ends with `suffix` satisfies `check`; returns it.
pub async fn wait_info(
    harness: &Harness,
    suffix: &str,
    timeout: Duration,
    check: impl Fn(&TargetInfo) -> bool,
) -> TargetInfo {
    let reached = ferroalloy_test_util::eventually(timeout, || {
        info_for(harness, suffix).is_some_and(|t| check(&t))
    })
    .await;
    let info = info_for(harness, suffix);
    assert!(reached, "condition not reached for {suffix}: {info:?}");
    info.unwrap()
}

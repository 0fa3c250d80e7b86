//! Delivery timelines on a paused clock (spec §18 items 5–9, 12–14, 20, 21): each endpoint's
//! HTTP exchange is answered by an in-process scripted sender, so waits and timeouts are exact.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ferroalloy_component::{BoxFuture, ComponentMetrics};
use ferroalloy_pyroscope_write::config::{EndpointConfig, EndpointOptions};
use ferroalloy_pyroscope_write::endpoint::{
    DrainReason, Endpoint, EndpointState, Exchange, ExchangeError, ExchangeRequest,
    ExchangeResponse, QueueItem, WriteMetrics,
};
use ferroalloy_test_util::args::decode_args;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::Notify;
use tokio::time::Instant;

// ------------------------------------------------------------------------------------------
// the scripted exchange

#[derive(Clone)]
enum Step {
    Respond {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Bytes,
    },
    Fail(ExchangeError),
    /// Answer `then` after `delay`.
    After(Duration, Box<Step>),
    /// Answer `then` once `release` is notified.
    Hold(Arc<Notify>, Box<Step>),
}

fn ok() -> Step {
    status(200)
}

fn status(code: u16) -> Step {
    Step::Respond {
        status: code,
        headers: Vec::new(),
        body: Bytes::new(),
    }
}

fn with_body(step: Step, text: &str) -> Step {
    match step {
        Step::Respond {
            status, headers, ..
        } => Step::Respond {
            status,
            headers,
            body: Bytes::copy_from_slice(text.as_bytes()),
        },
        other => other,
    }
}

fn with_header(step: Step, name: &'static str, value: &str) -> Step {
    match step {
        Step::Respond {
            status,
            mut headers,
            body,
        } => {
            headers.push((name, value.to_owned()));
            Step::Respond {
                status,
                headers,
                body,
            }
        }
        other => other,
    }
}

fn connect(code: u16, json: &str) -> Step {
    with_header(
        with_body(status(code), json),
        "content-type",
        "application/json",
    )
}

struct Sent {
    at: Instant,
    request: ExchangeRequest,
}

struct Script {
    steps: Mutex<VecDeque<Step>>,
    fallback: Step,
    sent: Mutex<Vec<Sent>>,
}

impl Script {
    fn new(steps: impl IntoIterator<Item = Step>, fallback: Step) -> Arc<Self> {
        Arc::new(Self {
            steps: Mutex::new(steps.into_iter().collect()),
            fallback,
            sent: Mutex::new(Vec::new()),
        })
    }

    fn times(&self) -> Vec<Instant> {
        self.sent.lock().unwrap().iter().map(|s| s.at).collect()
    }

    fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }

    fn bodies(&self) -> Vec<Bytes> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.request.body.clone())
            .collect()
    }

    fn requests(&self) -> Vec<ExchangeRequest> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.request.clone())
            .collect()
    }
}

async fn play(step: Step) -> Result<ExchangeResponse, ExchangeError> {
    let mut step = step;
    loop {
        match step {
            Step::Respond {
                status,
                headers,
                body,
            } => {
                let mut map = HeaderMap::new();
                for (name, value) in headers {
                    map.append(
                        HeaderName::from_static(name),
                        HeaderValue::from_str(&value).unwrap(),
                    );
                }
                return Ok(ExchangeResponse {
                    status: StatusCode::from_u16(status).unwrap(),
                    headers: map,
                    body,
                    complete: true,
                });
            }
            Step::Fail(err) => return Err(err),
            Step::After(delay, then) => {
                tokio::time::sleep(delay).await;
                step = *then;
            }
            Step::Hold(release, then) => {
                release.notified().await;
                step = *then;
            }
        }
    }
}

impl Exchange for Script {
    fn send(
        &self,
        request: ExchangeRequest,
    ) -> BoxFuture<'_, Result<ExchangeResponse, ExchangeError>> {
        self.sent.lock().unwrap().push(Sent {
            at: Instant::now(),
            request,
        });
        let step = self
            .steps
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| self.fallback.clone());
        Box::pin(play(step))
    }
}

// ------------------------------------------------------------------------------------------
// helpers

fn options(body: &str) -> Arc<EndpointOptions> {
    let cfg: EndpointConfig = decode_args(body).unwrap_or_else(|e| panic!("{e:?}"));
    Arc::new(EndpointOptions::new(&cfg).unwrap())
}

struct Setup {
    registry: ComponentMetrics,
    metrics: WriteMetrics,
}

impl Setup {
    fn new() -> Self {
        let registry = ComponentMetrics::new("pyroscope.write.test");
        let metrics = WriteMetrics::register(&registry);
        Self { registry, metrics }
    }

    fn endpoint(&self, body: &str, script: &Arc<Script>) -> Endpoint {
        Endpoint::with_exchange(
            options(body),
            &self.metrics,
            Arc::clone(script) as Arc<dyn Exchange>,
        )
    }

    fn text(&self) -> String {
        let mut out = String::new();
        self.registry.encode(&mut out).unwrap();
        out
    }

    /// The value of the series of `name` whose labels contain every `labels` pair (0 when
    /// absent).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let text = self.text();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let Some((series, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let metric = series.split('{').next().unwrap();
            if metric != name {
                continue;
            }
            if labels
                .iter()
                .all(|(k, v)| series.contains(&format!("{k}=\"{v}\"")))
            {
                return value.parse().unwrap();
            }
        }
        0.0
    }
}

static FRAME_SEQ: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// A distinct push item of 1 profile, 10 bytes.
fn push_item() -> Arc<QueueItem> {
    let n = FRAME_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Arc::new(QueueItem::push(
        Bytes::from(vec![0x0a, 0x02, 0x12, n]),
        1,
        10,
    ))
}

fn reason(state: &EndpointState, reason: &str) -> u64 {
    state
        .dropped_by_reason
        .iter()
        .find(|(r, _)| *r == reason)
        .map(|(_, n)| *n)
        .unwrap()
}

/// Wait (on the paused clock, bounded) until every enqueued profile is sent or dropped.
async fn settle(endpoint: &Endpoint) -> EndpointState {
    for _ in 0..100_000 {
        let s = endpoint.state();
        if s.sent_profiles + s.dropped_profiles == s.enqueued_profiles && s.in_flight_requests == 0
        {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("endpoint never settled: {:?}", endpoint.state());
}

/// §10.3's invariant, in debug state and in metrics (a single endpoint per registry).
/// Assert one jittered retry wait of the window starting at `lo`: the schedule draws it from
/// `[lo, 2·lo)` at nanosecond resolution, and tokio's timer wheel fires a sleep at the first
/// millisecond tick at or after its deadline, so on the paused clock (every attempt at a whole
/// millisecond) the observed wait is the draw rounded up: `[lo, 2·lo]`.
fn assert_jittered_wait(wait: Duration, lo: Duration) {
    assert!(
        wait >= lo && wait <= lo * 2,
        "wait {wait:?} outside [{lo:?}, {:?}]",
        lo * 2
    );
}

fn check_invariant(setup: &Setup, state: &EndpointState) {
    assert_eq!(
        state.enqueued_profiles,
        state.sent_profiles
            + state.dropped_profiles
            + state.queue_profiles
            + state.in_flight_profiles,
        "{state:?}"
    );
    let by_reason: u64 = state.dropped_by_reason.iter().map(|(_, n)| n).sum();
    assert_eq!(by_reason, state.dropped_profiles);
    let url = state.url.as_str();
    let l = [("endpoint", url)];
    let enq = setup.value("pyroscope_write_enqueued_profiles_total", &l);
    let sent = setup.value("pyroscope_write_sent_profiles_total", &l);
    let dropped = setup.value("pyroscope_write_dropped_profiles_total", &l);
    let queued = setup.value("pyroscope_write_queue_profiles", &l);
    let in_flight = state.in_flight_profiles as f64;
    assert_eq!(enq, sent + dropped + queued + in_flight, "{}", setup.text());
    let reasons: f64 = [
        "queue_full",
        "too_large",
        "too_old",
        "rejected",
        "retries_exhausted",
        "removed",
        "shutdown",
    ]
    .iter()
    .map(|r| {
        setup.value(
            "pyroscope_write_dropped_profiles_by_reason_total",
            &[("endpoint", url), ("reason", r)],
        )
    })
    .sum();
    assert_eq!(reasons, dropped);
}

const URL: &str = "http://127.0.0.1:4040";

// ------------------------------------------------------------------------------------------
// §18 item 5

#[tokio::test(start_paused = true)]
async fn retries_503_twice_then_delivers_with_doubling_waits() {
    let setup = Setup::new();
    let script = Script::new([status(503), status(503)], ok());
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nmin_backoff_period = \"100ms\""),
        &script,
    );
    ep.start();
    ep.enqueue(&push_item());
    let state = settle(&ep).await;
    let t = script.times();
    assert_eq!(t.len(), 3);
    let w1 = t[1] - t[0];
    let w2 = t[2] - t[1];
    assert_jittered_wait(w1, Duration::from_millis(100));
    assert_jittered_wait(w2, Duration::from_millis(200));
    let l = [("endpoint", URL)];
    assert_eq!(setup.value("pyroscope_write_sent_profiles_total", &l), 1.0);
    assert_eq!(setup.value("pyroscope_write_sent_bytes_total", &l), 10.0);
    assert_eq!(setup.value("pyroscope_write_retries_total", &l), 2.0);
    assert_eq!(
        setup.value("pyroscope_write_dropped_profiles_total", &l),
        0.0
    );
    assert_eq!(
        setup.value(
            "pyroscope_write_requests_total",
            &[("endpoint", URL), ("type", "push"), ("status_code", "503")]
        ),
        2.0
    );
    assert_eq!(
        setup.value(
            "pyroscope_write_requests_total",
            &[("type", "push"), ("status_code", "200")]
        ),
        1.0
    );
    assert_eq!(state.consecutive_failures, 0);
    assert_eq!(state.retries, 2);
    assert!(state.last_success.ends_with('Z'), "{state:?}");
    assert_eq!(state.last_error, "");
    check_invariant(&setup, &state);
}

// §18 item 6

#[tokio::test(start_paused = true)]
async fn retry_after_seconds_sets_the_wait() {
    let setup = Setup::new();
    let script = Script::new([with_header(status(429), "retry-after", "2")], ok());
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nmin_backoff_period = \"100ms\""),
        &script,
    );
    ep.start();
    ep.enqueue(&push_item());
    let state = settle(&ep).await;
    let t = script.times();
    assert_eq!(t.len(), 2);
    assert_eq!(t[1] - t[0], Duration::from_secs(2));
    assert_eq!(state.sent_profiles, 1);
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_clamped_to_max_backoff() {
    let setup = Setup::new();
    let script = Script::new([with_header(status(429), "retry-after", "600")], ok());
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nmin_backoff_period = \"100ms\"\nmax_backoff_period = \"5s\""),
        &script,
    );
    ep.start();
    ep.enqueue(&push_item());
    settle(&ep).await;
    let t = script.times();
    assert_eq!(t[1] - t[0], Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn unparsable_retry_after_keeps_the_backoff() {
    let setup = Setup::new();
    let script = Script::new([with_header(status(503), "retry-after", "soon")], ok());
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nmin_backoff_period = \"100ms\""),
        &script,
    );
    ep.start();
    ep.enqueue(&push_item());
    settle(&ep).await;
    let t = script.times();
    assert_jittered_wait(t[1] - t[0], Duration::from_millis(100));
}

#[tokio::test(start_paused = true)]
async fn http_429_is_rejected_when_not_retried() {
    let setup = Setup::new();
    let script = Script::new([with_header(status(429), "retry-after", "2")], ok());
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nretry_on_http_429 = false"),
        &script,
    );
    ep.start();
    ep.enqueue(&push_item());
    let state = settle(&ep).await;
    assert_eq!(script.count(), 1);
    assert_eq!(reason(&state, "rejected"), 1);
    assert_eq!(
        state.last_error,
        format!("failed to push to endpoint {URL} (0 retries): unexpected HTTP status 429")
    );
    check_invariant(&setup, &state);
}

// §18 item 7

#[tokio::test(start_paused = true)]
async fn the_attempt_budget_counts_the_first_attempt() {
    let setup = Setup::new();
    let script = Script::new([], with_body(status(503), "service always unavailable"));
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nmax_backoff_retries = 3"),
        &script,
    );
    ep.start();
    ep.enqueue(&push_item());
    let state = settle(&ep).await;
    assert_eq!(script.count(), 3);
    assert_eq!(state.retries, 2);
    assert_eq!(
        setup.value("pyroscope_write_retries_total", &[("endpoint", URL)]),
        2.0
    );
    assert_eq!(reason(&state, "retries_exhausted"), 1);
    assert_eq!(
        state.last_error,
        format!(
            "failed to push to endpoint {URL} (3 retries): unexpected HTTP status 503: service always unavailable"
        )
    );
    assert_eq!(state.consecutive_failures, 1);
    assert!(state.last_error_time.ends_with('Z'));
    assert_eq!(state.last_success, "");
    check_invariant(&setup, &state);
}

// §18 item 8

#[tokio::test(start_paused = true)]
async fn permanent_errors_are_never_retried() {
    let cases: Vec<(Step, &str)> = vec![
        (
            connect(
                400,
                r#"{"code":"invalid_argument","message":"no profiles received"}"#,
            ),
            "invalid_argument: no profiles received",
        ),
        (
            with_body(status(400), "bad"),
            "unexpected HTTP status 400: bad",
        ),
        (status(401), "unexpected HTTP status 401"),
        (status(404), "unexpected HTTP status 404"),
        (status(413), "unexpected HTTP status 413"),
        (status(422), "unexpected HTTP status 422"),
        (status(501), "unexpected HTTP status 501"),
        (status(301), "unexpected HTTP status 301"),
        (
            Step::Fail(ExchangeError::Build(
                "invalid authorization header value".into(),
            )),
            "invalid authorization header value",
        ),
    ];
    for (step, text) in cases {
        let setup = Setup::new();
        let script = Script::new([step], ok());
        let ep = setup.endpoint(&format!("url = \"{URL}\""), &script);
        ep.start();
        ep.enqueue(&push_item());
        let state = settle(&ep).await;
        assert_eq!(script.count(), 1, "{text}");
        assert_eq!(reason(&state, "rejected"), 1, "{text}");
        assert_eq!(
            state.last_error,
            format!("failed to push to endpoint {URL} (0 retries): {text}")
        );
        check_invariant(&setup, &state);
    }
}

#[tokio::test(start_paused = true)]
async fn transient_errors_are_retried() {
    let cases: Vec<(Step, &str)> = vec![
        (status(408), "408"),
        (status(500), "500"),
        (status(502), "502"),
        (
            connect(500, r#"{"code":"unknown","message":"corrupt"}"#),
            "500",
        ),
        (connect(409, r#"{"code":"aborted","message":"a"}"#), "409"),
        (
            Step::Fail(ExchangeError::Transport(
                "tcp connect error: Connection refused".into(),
            )),
            "error",
        ),
        (
            Step::Fail(ExchangeError::Credentials(
                "unable to read authorization credentials: unable to read file /t: gone".into(),
            )),
            "error",
        ),
    ];
    for (step, label) in cases {
        let setup = Setup::new();
        let script = Script::new([step], ok());
        let ep = setup.endpoint(&format!("url = \"{URL}\""), &script);
        ep.start();
        ep.enqueue(&push_item());
        let state = settle(&ep).await;
        assert_eq!(script.count(), 2, "{label}");
        assert_eq!(state.sent_profiles, 1, "{label}");
        assert_eq!(
            setup.value("pyroscope_write_requests_total", &[("status_code", label)]),
            1.0,
            "{label}: {}",
            setup.text()
        );
        check_invariant(&setup, &state);
    }
}

#[tokio::test(start_paused = true)]
async fn an_attempt_timeout_is_retried_and_counted_as_timeout() {
    let setup = Setup::new();
    let script = Script::new(
        [Step::After(Duration::from_secs(3600), Box::new(ok()))],
        ok(),
    );
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nremote_timeout = \"2s\"\nmax_backoff_retries = 1"),
        &script,
    );
    ep.start();
    ep.enqueue(&push_item());
    let state = settle(&ep).await;
    assert_eq!(script.count(), 1);
    assert_eq!(
        state.last_error,
        format!("failed to push to endpoint {URL} (1 retries): request timed out after 2s")
    );
    assert_eq!(
        setup.value(
            "pyroscope_write_requests_total",
            &[("status_code", "timeout")]
        ),
        1.0
    );
}

// §18 item 9

#[tokio::test(start_paused = true)]
async fn gzip_connect_error_is_decoded_and_retried() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(br#"{"code":"resource_exhausted","message":"push rate limit"}"#)
        .unwrap();
    let body = Bytes::from(gz.finish().unwrap());
    let step = Step::Respond {
        status: 429,
        headers: vec![
            ("content-type", "application/json".into()),
            ("content-encoding", "gzip".into()),
        ],
        body,
    };
    let setup = Setup::new();
    let script = Script::new([], step);
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nmax_backoff_retries = 2"),
        &script,
    );
    ep.start();
    ep.enqueue(&push_item());
    let state = settle(&ep).await;
    assert_eq!(script.count(), 2);
    assert_eq!(
        state.last_error,
        format!(
            "failed to push to endpoint {URL} (2 retries): resource_exhausted: push rate limit"
        )
    );
}

// §18 item 11 (unit side)

#[tokio::test(start_paused = true)]
async fn every_endpoint_sends_the_same_frame_allocation() {
    let setup = Setup::new();
    let scripts: Vec<_> = (0..3).map(|_| Script::new([], ok())).collect();
    let eps: Vec<_> = scripts
        .iter()
        .enumerate()
        .map(|(i, s)| setup.endpoint(&format!("url = \"http://127.0.0.1:{}\"", 4040 + i), s))
        .collect();
    let item = push_item();
    let Some(frame_ptr) = (match &item.payload {
        ferroalloy_pyroscope_write::endpoint::Payload::Push { frame } => Some(frame.as_ptr()),
        _ => None,
    }) else {
        panic!("push item")
    };
    for ep in &eps {
        ep.start();
        ep.enqueue(&item);
    }
    for ep in &eps {
        settle(ep).await;
    }
    for s in &scripts {
        let bodies = s.bodies();
        assert_eq!(bodies.len(), 1);
        assert_eq!(bodies[0].as_ptr(), frame_ptr);
    }
}

// §8.2 / §8.3 on the paused clock: exact Connect-Timeout-Ms and header assembly.

#[tokio::test(start_paused = true)]
async fn push_headers_are_assembled_in_order() {
    let setup = Setup::new();
    let script = Script::new([], ok());
    let ep = setup.endpoint(
        "url = \"http://127.0.0.1:4040/base/\"\nheaders = { \"X-Scope-OrgID\" = \"squad-1\", \"User-Agent\" = \"mine\", \"Content-Type\" = \"text/plain\" }",
        &script,
    );
    ep.start();
    ep.enqueue(&push_item());
    settle(&ep).await;
    let req = &script.requests()[0];
    assert_eq!(
        req.url.as_str(),
        "http://127.0.0.1:4040/base/push.v1.PusherService/Push"
    );
    let h = &req.headers;
    assert_eq!(h["content-type"], "application/proto");
    assert_eq!(h.get_all("content-type").iter().count(), 1);
    assert_eq!(h["connect-protocol-version"], "1");
    assert_eq!(h["connect-timeout-ms"], "10000");
    assert_eq!(
        h["user-agent"],
        concat!("ferroalloy/", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(h["x-scope-orgid"], "squad-1");
    assert!(h.get("content-encoding").is_none());
    assert!(h.get("accept-encoding").is_none());
}

#[tokio::test(start_paused = true)]
async fn ingest_headers_and_url() {
    let setup = Setup::new();
    let script = Script::new([], ok());
    let ep = setup.endpoint(
        "url = \"http://127.0.0.1:4040/base/\"\nheaders = { \"Content-Type\" = \"text/plain\", \"X-Scope-OrgID\" = \"t\" }",
        &script,
    );
    ep.start();
    let body = Bytes::from_static(b"raw body");
    let item = Arc::new(QueueItem::ingest(
        body.clone(),
        vec!["ct1".into(), "ct2".into()],
        "/ingest".into(),
        "format=pprof&name=app%7B%7D".into(),
    ));
    ep.enqueue(&item);
    let state = settle(&ep).await;
    assert_eq!(state.sent_profiles, 1);
    let req = &script.requests()[0];
    assert_eq!(
        req.url.as_str(),
        "http://127.0.0.1:4040/base/ingest?format=pprof&name=app%7B%7D"
    );
    let cts: Vec<_> = req.headers.get_all("content-type").iter().collect();
    assert_eq!(cts, ["ct1", "ct2"]);
    assert!(req.headers.get("connect-protocol-version").is_none());
    assert_eq!(req.headers["x-scope-orgid"], "t");
    assert_eq!(req.body.as_ptr(), body.as_ptr());
    // Without incoming content types the configured one stays.
    let item = Arc::new(QueueItem::ingest(
        body,
        vec![],
        "/pyroscope/../ingest".into(),
        "name=a".into(),
    ));
    ep.enqueue(&item);
    settle(&ep).await;
    let req = &script.requests()[1];
    assert_eq!(req.url.as_str(), "http://127.0.0.1:4040/base/ingest?name=a");
    assert_eq!(req.headers["content-type"], "text/plain");
}

#[tokio::test(start_paused = true)]
async fn ingest_failure_text_and_retry() {
    let setup = Setup::new();
    let script = Script::new([with_body(status(422), "bad"), status(503)], ok());
    let ep = setup.endpoint("url = \"http://127.0.0.1:4040/base/\"", &script);
    ep.start();
    ep.enqueue(&Arc::new(QueueItem::ingest(
        Bytes::from_static(b"x"),
        vec![],
        "/ingest".into(),
        "name=a".into(),
    )));
    let state = settle(&ep).await;
    assert_eq!(
        state.last_error,
        "failed to ingest to endpoint http://127.0.0.1:4040/base/ (0 retries): remote error: pyroscope write error: status=422 msg=bad"
    );
    ep.enqueue(&Arc::new(QueueItem::ingest(
        Bytes::from_static(b"y"),
        vec![],
        "/ingest".into(),
        "name=a".into(),
    )));
    let state = settle(&ep).await;
    assert_eq!(script.count(), 3);
    assert_eq!(state.sent_profiles, 1);
    assert_eq!(
        setup.value(
            "pyroscope_write_requests_total",
            &[("type", "ingest"), ("status_code", "503")]
        ),
        1.0
    );
    check_invariant(&setup, &state);
}

// §18 item 12

#[tokio::test(start_paused = true)]
async fn overflow_evicts_the_oldest() {
    let setup = Setup::new();
    let release = Arc::new(Notify::new());
    let script = Script::new([Step::Hold(Arc::clone(&release), Box::new(ok()))], ok());
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nqueue_config {{\n capacity = 3\n max_shards = 1\n}}"),
        &script,
    );
    ep.start();
    let items: Vec<_> = (0..10).map(|_| push_item()).collect();
    ep.enqueue(&items[0]);
    for _ in 0..1000 {
        if script.count() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(script.count(), 1);
    for item in &items[1..] {
        ep.enqueue(item);
    }
    let state = ep.state();
    assert_eq!(state.queue_profiles, 3);
    assert_eq!(state.in_flight_profiles, 1);
    assert_eq!(reason(&state, "queue_full"), 6);
    assert_eq!(state.last_error, "dropped 1 profiles: queue_full");
    check_invariant(&setup, &state);
    assert_eq!(
        setup.value("pyroscope_write_queue_profiles", &[("endpoint", URL)]),
        3.0
    );
    assert_eq!(
        setup.value("pyroscope_write_queue_bytes", &[("endpoint", URL)]),
        30.0
    );
    assert_eq!(
        setup.value("pyroscope_write_in_flight_requests", &[("endpoint", URL)]),
        1.0
    );
    release.notify_one();
    let state = settle(&ep).await;
    assert_eq!(state.sent_profiles, 4);
    let frame = |i: &Arc<QueueItem>| match &i.payload {
        ferroalloy_pyroscope_write::endpoint::Payload::Push { frame } => frame.clone(),
        _ => unreachable!(),
    };
    let expected: Vec<Bytes> = [0, 7, 8, 9].iter().map(|&i| frame(&items[i])).collect();
    assert_eq!(script.bodies(), expected);
    check_invariant(&setup, &state);
}

#[tokio::test(start_paused = true)]
async fn an_item_larger_than_the_queue_is_dropped_too_large() {
    let setup = Setup::new();
    let script = Script::new([], ok());
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nqueue_config {{\n capacity_bytes = 100\n capacity = 2\n}}"),
        &script,
    );
    ep.start();
    ep.enqueue(&Arc::new(QueueItem::push(
        Bytes::from_static(b"\x0a\x00"),
        1,
        101,
    )));
    ep.enqueue(&Arc::new(QueueItem::push(
        Bytes::from_static(b"\x0a\x00"),
        3,
        10,
    )));
    let state = settle(&ep).await;
    assert_eq!(reason(&state, "too_large"), 4);
    assert_eq!(
        setup.value("pyroscope_write_dropped_bytes_total", &[("endpoint", URL)]),
        111.0
    );
    assert_eq!(script.count(), 0);
    check_invariant(&setup, &state);
}

// §18 item 13

#[tokio::test(start_paused = true)]
async fn the_age_limit_ends_infinite_retries() {
    let setup = Setup::new();
    let script = Script::new([], status(503));
    let ep = setup.endpoint(
        &format!(
            "url = \"{URL}\"\nmax_backoff_retries = 0\nmin_backoff_period = \"1s\"\nmax_backoff_period = \"1s\"\nqueue_config {{\n profile_age_limit = \"1m\"\n}}"
        ),
        &script,
    );
    ep.start();
    let start = Instant::now();
    ep.enqueue(&push_item());
    let state = settle(&ep).await;
    let t = script.times();
    assert_eq!(t.len(), 60);
    for (i, at) in t.iter().enumerate() {
        assert_eq!(*at - start, Duration::from_secs(i as u64));
    }
    assert_eq!(reason(&state, "too_old"), 1);
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(script.count(), 60, "no request after the drop");
    check_invariant(&setup, &state);
}

#[tokio::test(start_paused = true)]
async fn old_queued_items_are_dropped_when_taken() {
    let setup = Setup::new();
    let script = Script::new([], ok());
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nqueue_config {{\n profile_age_limit = \"1m\"\n}}"),
        &script,
    );
    ep.enqueue(&push_item());
    tokio::time::sleep(Duration::from_secs(61)).await;
    ep.enqueue(&push_item());
    ep.start();
    let state = settle(&ep).await;
    assert_eq!(reason(&state, "too_old"), 1);
    assert_eq!(state.sent_profiles, 1);
    assert_eq!(state.last_error, "dropped 1 profiles: too_old");
}

// §18 item 14

#[tokio::test(start_paused = true)]
async fn batches_fill_up_to_max_series_or_wait_the_deadline() {
    let setup = Setup::new();
    let script = Script::new([], ok());
    let ep = setup.endpoint(
        &format!(
            "url = \"{URL}\"\nqueue_config {{\n max_series_per_send = 3\n batch_send_deadline = \"1s\"\n max_shards = 1\n}}"
        ),
        &script,
    );
    ep.start();
    tokio::task::yield_now().await;
    let items: Vec<_> = (0..7).map(|_| push_item()).collect();
    let start = Instant::now();
    for item in &items {
        ep.enqueue(item);
    }
    let state = settle(&ep).await;
    assert_eq!(state.sent_profiles, 7);
    let bodies = script.bodies();
    let sizes: Vec<usize> = bodies.iter().map(|b| b.len() / 4).collect();
    assert_eq!(sizes, [3, 3, 1]);
    // The concatenation keeps queue order.
    let all: Vec<u8> = bodies.iter().flat_map(|b| b.to_vec()).collect();
    let expected: Vec<u8> = items
        .iter()
        .flat_map(|i| match &i.payload {
            ferroalloy_pyroscope_write::endpoint::Payload::Push { frame } => frame.to_vec(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(all, expected);
    let t = script.times();
    assert!(t[1] - start < Duration::from_millis(10));
    assert_eq!(t[2] - start, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn by_default_every_series_is_its_own_request() {
    let setup = Setup::new();
    let script = Script::new([], ok());
    let ep = setup.endpoint(&format!("url = \"{URL}\""), &script);
    ep.start();
    for _ in 0..7 {
        ep.enqueue(&push_item());
    }
    settle(&ep).await;
    let bodies = script.bodies();
    assert_eq!(bodies.len(), 7);
    assert!(bodies.iter().all(|b| b.len() == 4));
}

#[tokio::test(start_paused = true)]
async fn an_ingest_item_ends_a_waiting_batch() {
    let setup = Setup::new();
    let script = Script::new([], ok());
    let ep = setup.endpoint(
        &format!(
            "url = \"{URL}\"\nqueue_config {{\n max_series_per_send = 3\n batch_send_deadline = \"10s\"\n max_shards = 1\n}}"
        ),
        &script,
    );
    ep.start();
    ep.enqueue(&push_item());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    ep.enqueue(&Arc::new(QueueItem::ingest(
        Bytes::from_static(b"body"),
        vec![],
        "/ingest".into(),
        "name=a".into(),
    )));
    ep.enqueue(&push_item());
    let state = settle(&ep).await;
    assert_eq!(state.sent_profiles, 3);
    let reqs = script.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs[0].url.path().ends_with("/Push"));
    assert_eq!(reqs[0].body.len(), 4);
    assert!(reqs[1].url.path().ends_with("/ingest"));
    assert!(reqs[2].url.path().ends_with("/Push"));
    let t = script.times();
    assert_eq!(
        t[0], start,
        "the waiting batch leaves when the ingest item arrives"
    );
}

// §18 item 20

#[tokio::test(start_paused = true)]
async fn shutdown_drain_delivers_until_the_deadline() {
    let setup = Setup::new();
    let script = Script::new([], Step::After(Duration::from_millis(800), Box::new(ok())));
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nqueue_config {{\n max_shards = 1\n drain_timeout = \"2s\"\n}}"),
        &script,
    );
    for _ in 0..5 {
        ep.enqueue(&push_item());
    }
    ep.start();
    let start = Instant::now();
    let summary = ep
        .drain(start + Duration::from_secs(2), DrainReason::Shutdown)
        .await;
    assert!(Instant::now() - start <= Duration::from_millis(2100));
    assert_eq!(summary.delivered, 2);
    assert_eq!(summary.dropped, 3);
    let state = ep.state();
    assert_eq!(state.sent_profiles, 2);
    assert_eq!(reason(&state, "shutdown"), 3);
    assert!(state.draining);
    assert!(ep.is_drained());
    check_invariant(&setup, &state);
    // Capacity gauges are given back when the drain ends.
    assert_eq!(
        setup.value(
            "pyroscope_write_queue_capacity_profiles",
            &[("endpoint", URL)]
        ),
        0.0
    );
    assert_eq!(
        setup.value("pyroscope_write_in_flight_requests", &[("endpoint", URL)]),
        0.0
    );
    // A late enqueue is counted `removed`.
    ep.enqueue(&push_item());
    assert_eq!(reason(&ep.state(), "removed"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_drain_delivers_everything_when_time_allows() {
    let setup = Setup::new();
    let script = Script::new([status(503)], ok());
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nqueue_config {{\n max_shards = 2\n}}"),
        &script,
    );
    for _ in 0..4 {
        ep.enqueue(&push_item());
    }
    // Run never started: the drain starts the workers itself.
    let start = Instant::now();
    let summary = ep
        .drain(start + Duration::from_secs(30), DrainReason::Removed)
        .await;
    assert_eq!(summary.delivered, 4);
    assert_eq!(summary.dropped, 0);
    assert!(Instant::now() - start < Duration::from_secs(2));
    check_invariant(&setup, &ep.state());
}

// §18 item 21

#[tokio::test(start_paused = true)]
async fn removal_with_zero_drain_timeout_ends_infinite_retries() {
    let baseline = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    let setup = Setup::new();
    let script = Script::new([], status(503));
    let ep = setup.endpoint(
        &format!(
            "url = \"{URL}\"\nmax_backoff_retries = 0\nqueue_config {{\n drain_timeout = \"0s\"\n max_shards = 4\n}}"
        ),
        &script,
    );
    ep.start();
    ep.enqueue(&push_item());
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(script.count() > 3);
    assert!(
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
            > baseline
    );
    let summary = ep.drain(Instant::now(), DrainReason::Removed).await;
    assert_eq!(summary.dropped, 1);
    let state = ep.state();
    assert_eq!(reason(&state, "removed"), 1);
    assert_eq!(state.in_flight_requests, 0);
    for _ in 0..100 {
        if tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
            == baseline
        {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks(),
        baseline
    );
    let sent = script.count();
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(script.count(), sent, "no request after the drain");
    check_invariant(&setup, &state);
}

#[tokio::test(start_paused = true)]
async fn a_second_drain_waits_for_the_first() {
    let setup = Setup::new();
    let script = Script::new([], Step::After(Duration::from_secs(1), Box::new(ok())));
    let ep = setup.endpoint(&format!("url = \"{URL}\""), &script);
    ep.start();
    ep.enqueue(&push_item());
    let first = {
        let ep = ep.clone();
        tokio::spawn(async move {
            ep.drain(
                Instant::now() + Duration::from_secs(5),
                DrainReason::Removed,
            )
            .await
        })
    };
    tokio::task::yield_now().await;
    let second = ep
        .drain(
            Instant::now() + Duration::from_secs(0),
            DrainReason::Shutdown,
        )
        .await;
    assert_eq!(second, Default::default());
    let first = first.await.unwrap();
    assert_eq!(
        first.delivered, 1,
        "the earlier deadline and reason are kept"
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_the_endpoint_counts_what_it_held() {
    let setup = Setup::new();
    let script = Script::new([], Step::After(Duration::from_secs(3600), Box::new(ok())));
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nqueue_config {{\n max_shards = 1\n}}"),
        &script,
    );
    ep.start();
    for _ in 0..3 {
        ep.enqueue(&push_item());
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(script.count(), 1);
    drop(ep);
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    let l = [("endpoint", URL)];
    assert_eq!(
        setup.value(
            "pyroscope_write_dropped_profiles_by_reason_total",
            &[("endpoint", URL), ("reason", "shutdown")]
        ),
        3.0,
        "{}",
        setup.text()
    );
    assert_eq!(setup.value("pyroscope_write_queue_profiles", &l), 0.0);
    assert_eq!(setup.value("pyroscope_write_in_flight_requests", &l), 0.0);
    assert_eq!(
        setup.value("pyroscope_write_queue_capacity_profiles", &l),
        0.0
    );
}

#[tokio::test(start_paused = true)]
async fn endpoints_sharing_a_url_share_series_and_gauges_add_up() {
    let setup = Setup::new();
    let script = Script::new([], ok());
    let a = setup.endpoint(&format!("url = \"{URL}\""), &script);
    let b = setup.endpoint(&format!("url = \"{URL}\""), &script);
    let l = [("endpoint", URL)];
    assert_eq!(
        setup.value("pyroscope_write_queue_capacity_profiles", &l),
        20000.0
    );
    a.enqueue(&push_item());
    b.enqueue(&push_item());
    assert_eq!(setup.value("pyroscope_write_queue_profiles", &l), 2.0);
    a.start();
    b.start();
    settle(&a).await;
    settle(&b).await;
    assert_eq!(setup.value("pyroscope_write_sent_profiles_total", &l), 2.0);
    assert_eq!(
        a.state().sent_profiles,
        1,
        "debug counters are per instance"
    );
    a.drain(Instant::now(), DrainReason::Removed).await;
    assert_eq!(
        setup.value("pyroscope_write_queue_capacity_profiles", &l),
        10000.0
    );
}

#[tokio::test(start_paused = true)]
async fn latency_histograms_are_observed() {
    let setup = Setup::new();
    let script = Script::new([], Step::After(Duration::from_millis(30), Box::new(ok())));
    let ep = setup.endpoint(&format!("url = \"{URL}\""), &script);
    ep.start();
    ep.enqueue(&push_item());
    settle(&ep).await;
    for ty in ["push_queue", "push_endpoint", "push_downstream"] {
        assert_eq!(
            setup.value(
                "pyroscope_write_latency_count",
                &[("endpoint", URL), ("type", ty)]
            ),
            1.0,
            "{ty}: {}",
            setup.text()
        );
    }
    assert_eq!(
        setup.value(
            "pyroscope_write_latency_bucket",
            &[("type", "push_downstream"), ("le", "0.025")]
        ),
        0.0
    );
    assert_eq!(
        setup.value(
            "pyroscope_write_latency_bucket",
            &[("type", "push_downstream"), ("le", "0.05")]
        ),
        1.0
    );
    setup.metrics.observe_call(
        ferroalloy_pyroscope_write::endpoint::RequestType::Push,
        0.001,
    );
    assert_eq!(
        setup.value(
            "pyroscope_write_latency_count",
            &[("endpoint", "-"), ("type", "push_total")]
        ),
        1.0
    );
}

#[test]
fn a_dropped_runtime_still_counts_every_profile() {
    let setup = Setup::new();
    let release = Arc::new(Notify::new());
    let script = Script::new([], Step::Hold(Arc::clone(&release), Box::new(ok())));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nqueue_config {{\n max_shards = 1\n}}"),
        &script,
    );
    rt.block_on(async {
        ep.start();
        for _ in 0..3 {
            ep.enqueue(&push_item());
        }
        for _ in 0..1000 {
            if script.count() == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
    });
    assert_eq!(script.count(), 1);
    assert_eq!(ep.state().in_flight_profiles, 1);
    drop(rt);
    let state = ep.state();
    assert_eq!(state.in_flight_profiles, 0);
    assert_eq!(reason(&state, "shutdown"), 1, "the in-flight item");
    drop(ep);
    assert_eq!(
        setup.value(
            "pyroscope_write_dropped_profiles_by_reason_total",
            &[("endpoint", URL), ("reason", "shutdown")]
        ),
        3.0,
        "{}",
        setup.text()
    );
    assert_eq!(
        setup.value("pyroscope_write_in_flight_requests", &[("endpoint", URL)]),
        0.0
    );
}

#[tokio::test(start_paused = true)]
async fn a_rejection_after_retries_reports_the_retries_made() {
    let setup = Setup::new();
    let script = Script::new(
        [status(503), status(503), with_body(status(400), "bad")],
        ok(),
    );
    let ep = setup.endpoint(&format!("url = \"{URL}\""), &script);
    ep.start();
    ep.enqueue(&push_item());
    let state = settle(&ep).await;
    assert_eq!(script.count(), 3);
    assert_eq!(
        state.last_error,
        format!("failed to push to endpoint {URL} (2 retries): unexpected HTTP status 400: bad")
    );
    assert_eq!(reason(&state, "rejected"), 1);
    assert_eq!(state.retries, 2);
}

#[tokio::test(start_paused = true)]
async fn during_a_drain_attempts_are_bounded_by_its_deadline() {
    let setup = Setup::new();
    let script = Script::new([], Step::After(Duration::from_secs(3600), Box::new(ok())));
    let ep = setup.endpoint(
        &format!("url = \"{URL}\"\nqueue_config {{\n max_shards = 1\n drain_timeout = \"3s\"\n}}"),
        &script,
    );
    ep.enqueue(&push_item());
    let start = Instant::now();
    let summary = ep
        .drain(start + Duration::from_secs(3), DrainReason::Removed)
        .await;
    assert_eq!(Instant::now() - start, Duration::from_secs(3));
    assert_eq!(summary.dropped, 1);
    assert_eq!(reason(&ep.state(), "removed"), 1);
    let req = &script.requests()[0];
    assert_eq!(req.headers["connect-timeout-ms"], "3000");
}

//! Helpers shared by the component tests: the recording receiver of `ferroalloy-test-util`, building and starting the
//! component on 127.0.0.1 with an ephemeral port, HTTP clients, and raw TCP requests.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ferroalloy_pyroscope::push_v1::{PushRequest, RawProfileSeries, RawSample as WireSample};
use ferroalloy_pyroscope::types_v1::LabelPair;
use ferroalloy_pyroscope::{Labels, ReceiverRef};
use ferroalloy_pyroscope_receive_http::{ReceiveHttp, ReceiveHttpArguments};
use ferroalloy_test_util::ComponentHarness;
// Not every test binary that includes this module records.
#[allow(unused_imports)]
pub use ferroalloy_test_util::receiver::Recorder;
use prost::Message as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The bound of every wait in these tests.
pub const WAIT: Duration = Duration::from_secs(10);

/// The harness type of these tests.
pub type Harness = ComponentHarness<ReceiveHttp>;

/// Arguments listening on 127.0.0.1 with an ephemeral port.
pub fn args(forward_to: Vec<ReceiverRef>) -> ReceiveHttpArguments {
    let mut args = ReceiveHttpArguments {
        forward_to,
        ..ReceiveHttpArguments::default()
    };
    args.http.listen_address = "127.0.0.1".to_owned();
    args.http.listen_port = 0;
    args
}

/// Build and start the component; returns it with its bound address.
pub async fn start(args: ReceiveHttpArguments) -> (Harness, SocketAddr) {
    let mut harness = match Harness::build(args).await {
        Ok(h) => h,
        Err(failure) => panic!("build failed: {}", failure.error),
    };
    harness.start();
    let addr = harness.component().local_addr().await.expect("bound");
    (harness, addr)
}

/// One recorder, one started component forwarding to it.
pub async fn start_recording() -> (Harness, SocketAddr, Arc<Recorder>) {
    let recorder = Recorder::new();
    let (harness, addr) = start(args(vec![recorder.receiver()])).await;
    (harness, addr, recorder)
}

/// A reqwest builder with the ring provider installed.
pub fn builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// A plain HTTP client.
pub fn client() -> reqwest::Client {
    builder().build().unwrap()
}

/// `http://<addr><path>`.
pub fn url(addr: SocketAddr, path: &str) -> String {
    format!("http://{addr}{path}")
}

/// One series for [`push_request`]: label pairs and `(id, bytes)` samples.
pub type SeriesSpec<'a> = (&'a [(&'a str, &'a str)], &'a [(&'a str, &'a [u8])]);

/// A PushRequest with one series per spec.
pub fn push_request(series: &[SeriesSpec<'_>]) -> PushRequest {
    PushRequest {
        series: series
            .iter()
            .map(|(labels, samples)| RawProfileSeries {
                labels: labels
                    .iter()
                    .map(|(n, v)| LabelPair {
                        name: (*n).to_owned(),
                        value: (*v).to_owned(),
                    })
                    .collect(),
                samples: samples
                    .iter()
                    .map(|(id, raw)| WireSample {
                        raw_profile: raw.to_vec().into(),
                        id: (*id).to_owned(),
                    })
                    .collect(),
                annotations: Vec::new(),
            })
            .collect(),
    }
}

/// The encoding of a one-series request `{__name__=process_cpu, service_name=svc}` with sample
/// `x` = `[1, 2, 3]`.
pub fn simple_push_body() -> Vec<u8> {
    push_request(&[(
        &[("__name__", "process_cpu"), ("service_name", "svc")],
        &[("x", &[1, 2, 3])],
    )])
    .encode_to_vec()
}

/// POST `body` to the Push path as `application/proto`.
pub async fn push(addr: SocketAddr, body: Vec<u8>) -> reqwest::Response {
    client()
        .post(url(addr, "/push.v1.PusherService/Push"))
        .header("content-type", "application/proto")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The Connect error `(status, code, message)` of a response.
pub async fn connect_error(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "error answers are JSON"
    );
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    (
        status,
        body["code"].as_str().unwrap_or_default().to_owned(),
        body["message"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Send raw bytes on a new connection, then read until the server closes it or `WAIT` passes;
/// returns what was read.
pub async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A pprof-like payload of `n` bytes (content is never inspected by the component).
pub fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// Gzip `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// The pairs of `labels`, in order.
pub fn pairs(labels: &Labels) -> Vec<(String, String)> {
    labels
        .iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

/// The pairs of `labels`, sorted by name.
pub fn sorted(labels: &Labels) -> Vec<(String, String)> {
    let mut out = pairs(labels);
    out.sort();
    out
}

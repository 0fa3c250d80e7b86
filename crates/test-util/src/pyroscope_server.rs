//! A fake Pyroscope server on 127.0.0.1 for tests of code that pushes profiles.
//!
//! [`FakePyroscope`] is a real HTTP server (hyper; HTTP/1.1 and cleartext HTTP/2 with prior
//! knowledge, or HTTPS with ALPN `h2`/`http/1.1` when built with [`ServerTls`]) that implements
//! the server side of `wire.md`:
//!
//! - the Connect unary push route: any path ending in `/push.v1.PusherService/Push` (so a base
//!   path prefix works), `application/proto` or `application/json`, whole-body `gzip` request
//!   encoding; the body is decoded as a `push.v1.PushRequest` with the generated prost types of
//!   `ferroalloy-pyroscope` (or as proto3 JSON); annotations are dropped, as Pyroscope does;
//! - the legacy `/ingest` route: any path ending in `/ingest`; the query, content type and raw
//!   body are recorded.
//!
//! Every request is recorded ([`ReceivedRequest`]: method, path, query, headers, raw body, decoded
//! series with their labels and sample sizes) **before** it is answered, so a test can wait for a
//! request that is never answered. Waits ([`FakePyroscope::wait_for_requests`],
//! [`FakePyroscope::wait_for`]) are bounded by a caller-given timeout and return an error instead
//! of hanging.
//!
//! Responses are scripted per route: a FIFO queue of [`ScriptedResponse`]s (status, headers such
//! as `Retry-After`, a plain or Connect JSON body, optionally gzip-compressed; a delay before
//! answering; a [`Gate`] the test opens to release held answers; "never answer", which holds the
//! request open until the server stops; "close", which drops the connection without a
//! response). When a route's queue is empty the route's
//! fallback answers ([`FakePyroscope::set_fallback`]); without one the server behaves like
//! Pyroscope: it validates the request as `wire.md` §2 and §3.7 describe and answers `200` with
//! an empty `PushResponse` (push) or an empty body (`/ingest`).
//!
//! Design decisions:
//! - the response is chosen (and the queue popped) when the request arrives, in arrival order,
//!   and the choice is stored in the record ([`Outcome`]), so tests can assert which scripted
//!   answer each request got even while it is still being delayed;
//! - every task belongs to the server: one accept task and one task per connection, tracked by a
//!   `TaskTracker` and stopped by a `CancellationToken` on [`FakePyroscope::shutdown`] or drop;
//!   requests that are delayed or never answered end with the server;
//! - connections are numbered and counted ([`FakePyroscope::connections`],
//!   [`ReceivedRequest::connection`]), so a test can tell whether a client kept its pool;
//! - recording never panics on peer input: undecodable bodies are recorded with their error text
//!   ([`ReceivedRequest::decode_error`]) and answered as Pyroscope would (`500 unknown`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferroalloy_pyroscope::push_v1 as wire;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use prost::Message;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The path suffix of the Connect unary push procedure.
pub const PUSH_PATH: &str = "/push.v1.PusherService/Push";

/// The path suffix of the legacy ingest route.
pub const INGEST_PATH: &str = "/ingest";

/// How much a gzip body may expand to before the fake server gives up decoding it.
const MAX_DECOMPRESSED: u64 = 256 * 1024 * 1024;

/// How long a TLS handshake may take before the connection is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// routes and scripts

/// A route of the fake server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Route {
    /// `…/push.v1.PusherService/Push` (Connect unary).
    Push,
    /// `…/ingest` (legacy).
    Ingest,
    /// Any other path (answered `404` unless scripted).
    Other,
}

impl Route {
    /// The route a request path belongs to.
    pub fn of_path(path: &str) -> Self {
        if path.ends_with(PUSH_PATH) {
            Self::Push
        } else if path.ends_with(INGEST_PATH) {
            Self::Ingest
        } else {
            Self::Other
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Push => "push",
            Self::Ingest => "ingest",
            Self::Other => "other",
        })
    }
}

/// What a scripted response does.
#[derive(Clone, Debug)]
enum Action {
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        gzip: bool,
    },
    NeverAnswer,
    Close,
}

/// One scripted answer of the fake server.
///
/// Built with a constructor ([`ok`](Self::ok), [`status`](Self::status),
/// [`connect_error`](Self::connect_error), [`never_answer`](Self::never_answer),
/// [`close`](Self::close)) and refined with the builder methods.
#[derive(Clone, Debug)]
pub struct ScriptedResponse {
    action: Action,
    delay: Duration,
    gate: Option<Gate>,
}

impl ScriptedResponse {
    /// `200` with an empty body (an encoded empty `PushResponse`) and
    /// `Content-Type: application/proto`.
    pub fn ok() -> Self {
        Self::status(200).header("content-type", "application/proto")
    }

    /// `status` with an empty body and no headers.
    pub fn status(status: u16) -> Self {
        Self {
            action: Action::Reply {
                status,
                headers: Vec::new(),
                body: Vec::new(),
                gzip: false,
            },
            delay: Duration::ZERO,
            gate: None,
        }
    }

    /// A Connect error: the HTTP status of `code` (`wire.md` §2.3; an unknown code gives `500`),
    /// `Content-Type: application/json` and the body `{"code":…,"message":…}` (`message` left out
    /// when empty).
    pub fn connect_error(code: &str, message: &str) -> Self {
        let status = connect_code_status(code).unwrap_or(500);
        let mut body = serde_json::Map::new();
        body.insert("code".into(), serde_json::Value::String(code.to_owned()));
        if !message.is_empty() {
            body.insert(
                "message".into(),
                serde_json::Value::String(message.to_owned()),
            );
        }
        Self::status(status).json(serde_json::Value::Object(body).to_string())
    }

    /// Hold the request open without answering until the server stops.
    pub fn never_answer() -> Self {
        Self {
            action: Action::NeverAnswer,
            delay: Duration::ZERO,
            gate: None,
        }
    }

    /// Close the connection without sending a response (HTTP/2: reset the stream).
    pub fn close() -> Self {
        Self {
            action: Action::Close,
            delay: Duration::ZERO,
            gate: None,
        }
    }

    /// Replace the body (its content type is left as it is).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        if let Action::Reply { body: b, .. } = &mut self.action {
            *b = body.into();
        }
        self
    }

    /// Replace the body with `json` and set `Content-Type: application/json`.
    pub fn json(self, json: impl Into<Vec<u8>>) -> Self {
        self.body(json).header("content-type", "application/json")
    }

    /// Set a response header (replacing an earlier one of the same name).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Action::Reply { headers, .. } = &mut self.action {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Set `Retry-After` (seconds, or an HTTP date: any text is sent as given).
    pub fn retry_after(self, value: impl fmt::Display) -> Self {
        self.header("retry-after", &value.to_string())
    }

    /// Send the body gzip-compressed with `Content-Encoding: gzip`.
    pub fn gzip(mut self) -> Self {
        if let Action::Reply { gzip, .. } = &mut self.action {
            *gzip = true;
        }
        self.header("content-encoding", "gzip")
    }

    /// Wait `delay` before acting (answering, closing or holding the request).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Wait until `gate` is opened (after the delay, if any) before acting; the server's shutdown
    /// also ends the wait (and the connection).
    pub fn after(mut self, gate: &Gate) -> Self {
        self.gate = Some(gate.clone());
        self
    }

    /// The outcome this response produces.
    fn outcome(&self) -> Outcome {
        match &self.action {
            Action::Reply { status, .. } => Outcome::Answered(*status),
            Action::NeverAnswer => Outcome::NeverAnswered,
            Action::Close => Outcome::Closed,
        }
    }
}

/// A gate that holds scripted responses ([`ScriptedResponse::after`]) until a test opens it, e.g.
/// to keep a request in flight while the test fills the client's queue.
#[derive(Clone, Debug, Default)]
pub struct Gate(CancellationToken);

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Open the gate: every response held by it (now or later) proceeds.
    pub fn open(&self) {
        self.0.cancel();
    }

    /// Whether the gate is open.
    pub fn is_open(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// How the fake server handled (or is handling) a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered with this status (after the scripted delay, if any).
    Answered(u16),
    /// Held open until the server stopped.
    NeverAnswered,
    /// The connection was closed without an answer.
    Closed,
}

/// The HTTP status of a Connect error code (`wire.md` §2.3), `None` for an unknown code.
pub fn connect_code_status(code: &str) -> Option<u16> {
    ferroalloy_pyroscope::connect::Code::from_name(code).map(|code| code.http_status())
}

// ---------------------------------------------------------------------------------------------
// records

/// One sample of a received series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedSample {
    /// The `ID` field.
    pub id: String,
    /// The `raw_profile` bytes as sent.
    pub raw_profile: Bytes,
    /// Whether `raw_profile` starts with the gzip magic `1f 8b`.
    pub gzipped: bool,
    /// The size of the pprof after gunzip (the raw size when not gzipped; `None` when the gzip
    /// stream is corrupt).
    pub profile_size: Option<usize>,
}

/// One series of a received `PushRequest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedSeries {
    /// The labels in the order they were sent.
    pub labels: Vec<(String, String)>,
    /// The samples in the order they were sent.
    pub samples: Vec<ReceivedSample>,
}

impl ReceivedSeries {
    /// The value of label `name` (the first one, if repeated).
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The labels as `(&name, &value)` pairs, in the order they were sent.
    pub fn label_pairs(&self) -> Vec<(&str, &str)> {
        self.labels
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }
}

/// One request as the fake server received it.
#[derive(Clone, Debug)]
pub struct ReceivedRequest {
    /// Position in arrival order over all routes, from 0.
    pub index: usize,
    /// The route the path belongs to.
    pub route: Route,
    /// The method (`POST`, …).
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query (without `?`), if any.
    pub query: Option<String>,
    /// The HTTP version.
    pub version: hyper::Version,
    /// Every request header.
    pub headers: HeaderMap,
    /// The body as received (still gzip-compressed when sent so).
    pub body: Bytes,
    /// Push: the body after removing `Content-Encoding: gzip`; other routes: the raw body.
    pub decoded_body: Bytes,
    /// Push: the decoded series (empty when decoding failed or on other routes).
    pub series: Vec<ReceivedSeries>,
    /// Push: why the body could not be decoded.
    pub decode_error: Option<String>,
    /// The client certificate (DER), over TLS with a client certificate.
    pub client_cert: Option<Vec<u8>>,
    /// The connection it came on: connections are numbered from 0 in accept order.
    pub connection: u64,
    /// How the request was (or is being) answered.
    pub outcome: Outcome,
    /// When the request (its whole body) arrived, on the real clock.
    pub received_at: Instant,
}

impl ReceivedRequest {
    /// The header's value as text (the first, if repeated; lossy UTF-8), `None` when absent.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    /// Every value of the header, in order (lossy UTF-8).
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    }

    /// `Authorization`.
    pub fn authorization(&self) -> Option<String> {
        self.header("authorization")
    }

    /// `X-Scope-OrgID`.
    pub fn org_id(&self) -> Option<String> {
        self.header("x-scope-orgid")
    }

    /// `User-Agent`.
    pub fn user_agent(&self) -> Option<String> {
        self.header("user-agent")
    }

    /// `Content-Type`.
    pub fn content_type(&self) -> Option<String> {
        self.header("content-type")
    }

    /// The query parameters, percent-decoded, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first value of query parameter `name`, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The number of samples over all series.
    pub fn sample_count(&self) -> usize {
        self.series.iter().map(|s| s.samples.len()).sum()
    }
}

/// Counters of one route.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteCounts {
    /// Requests received.
    pub requests: usize,
    /// Requests answered (or being answered after a delay), by status.
    pub by_status: BTreeMap<u16, usize>,
    /// Requests held open without an answer.
    pub never_answered: usize,
    /// Connections closed without an answer.
    pub closed: usize,
}

/// A bounded wait ran out before enough requests arrived.
#[derive(Clone, Debug, thiserror::Error)]
#[error(
    "timed out after {timeout:?} waiting for {wanted} {what} requests to the fake pyroscope server: got {got}"
)]
pub struct WaitTimeout {
    /// `all`, `push`, `ingest` or `other`.
    pub what: String,
    /// How many were awaited.
    pub wanted: usize,
    /// How many had arrived.
    pub got: usize,
    /// The timeout.
    pub timeout: Duration,
}

// ---------------------------------------------------------------------------------------------
// TLS fixtures

/// A certificate and its private key, PEM.
#[derive(Clone, Debug)]
pub struct CertPair {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key, PEM.
    pub key_pem: String,
}

impl CertPair {
    /// Write both to `dir` as `<stem>.crt` and `<stem>.key`; returns their paths.
    pub fn write(&self, dir: &Path, stem: &str) -> std::io::Result<(PathBuf, PathBuf)> {
        let cert = dir.join(format!("{stem}.crt"));
        let key = dir.join(format!("{stem}.key"));
        std::fs::write(&cert, &self.cert_pem)?;
        std::fs::write(&key, &self.key_pem)?;
        Ok((cert, key))
    }
}

/// Errors of the TLS fixtures.
#[derive(Debug, thiserror::Error)]
pub enum TlsFixtureError {
    /// Generating a certificate failed.
    #[error("failed to generate a test certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// A PEM input could not be read.
    #[error("failed to read test certificate pem: {0}")]
    Pem(String),
    /// rustls refused the configuration.
    #[error("failed to build the test tls configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A test certificate authority (rcgen) issuing server and client certificates.
pub struct TestCa {
    ca: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl TestCa {
    /// A fresh self-signed CA with common name `name`.
    pub fn new(name: &str) -> Result<Self, TlsFixtureError> {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let ca = rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate()?)?;
        Ok(Self { ca })
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// A server certificate for `names` (DNS names or IP addresses, e.g. `localhost`,
    /// `127.0.0.1`).
    pub fn server(&self, names: &[&str]) -> Result<CertPair, TlsFixtureError> {
        let cn = names.first().copied().unwrap_or("localhost");
        self.leaf(names, rcgen::ExtendedKeyUsagePurpose::ServerAuth, cn)
    }

    /// A client certificate with common name `cn`.
    pub fn client(&self, cn: &str) -> Result<CertPair, TlsFixtureError> {
        self.leaf(&[], rcgen::ExtendedKeyUsagePurpose::ClientAuth, cn)
    }

    fn leaf(
        &self,
        names: &[&str],
        usage: rcgen::ExtendedKeyUsagePurpose,
        cn: &str,
    ) -> Result<CertPair, TlsFixtureError> {
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let mut params = rcgen::CertificateParams::new(names)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        params.extended_key_usages = vec![usage];
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let key = rcgen::KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.ca)?;
        Ok(CertPair {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// What the fake server offers over TLS.
#[derive(Clone, Debug)]
pub struct ServerTls {
    /// The server certificate and key.
    pub pair: CertPair,
    /// Require a client certificate issued by this CA (PEM).
    pub client_ca_pem: Option<String>,
    /// Offer `h2` in ALPN (else only `http/1.1`).
    pub h2: bool,
}

impl ServerTls {
    /// TLS 1.2 and 1.3 with `pair`, ALPN `h2` and `http/1.1`, no client certificate.
    pub fn new(pair: CertPair) -> Self {
        Self {
            pair,
            client_ca_pem: None,
            h2: true,
        }
    }

    /// Require client certificates issued by `ca_pem`.
    pub fn require_client_cert(mut self, ca_pem: impl Into<String>) -> Self {
        self.client_ca_pem = Some(ca_pem.into());
        self
    }

    /// The rustls server configuration (ring provider).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsFixtureError> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};

        let pem_err = |e: rustls::pki_types::pem::Error| TlsFixtureError::Pem(e.to_string());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])?;
        let builder = match &self.client_ca_pem {
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                    roots.add(cert.map_err(pem_err)?)?;
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .map_err(|e| TlsFixtureError::Pem(e.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let chain = CertificateDer::pem_slice_iter(self.pair.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(pem_err)?;
        let key = PrivateKeyDer::from_pem_slice(self.pair.key_pem.as_bytes()).map_err(pem_err)?;
        let mut config = builder.with_single_cert(chain, key)?;
        config.alpn_protocols = if self.h2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        Ok(Arc::new(config))
    }
}

/// Errors starting the fake server.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Binding 127.0.0.1:0 failed.
    #[error("failed to bind the fake pyroscope server: {0}")]
    Bind(#[from] std::io::Error),
    /// The TLS configuration could not be built.
    #[error(transparent)]
    Tls(#[from] TlsFixtureError),
}

// ---------------------------------------------------------------------------------------------
// the server

#[derive(Default)]
struct State {
    requests: Vec<ReceivedRequest>,
    scripts: HashMap<Route, VecDeque<ScriptedResponse>>,
    fallbacks: HashMap<Route, ScriptedResponse>,
    counts: HashMap<Route, RouteCounts>,
    connections: ConnectionCounts,
}

/// Counters of the fake server's TCP connections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnectionCounts {
    /// Connections accepted.
    pub opened: u64,
    /// Connections that ended (closed by either side, or by the server's shutdown).
    pub closed: u64,
}

struct Shared {
    state: Mutex<State>,
    /// The number of recorded requests; waiters watch it.
    arrived: watch::Sender<usize>,
    /// Multi-tenancy: unscripted requests without `X-Scope-OrgID` are answered `401`.
    require_org_id: bool,
    cancel: CancellationToken,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Builder of a [`FakePyroscope`].
#[derive(Clone, Debug, Default)]
pub struct FakePyroscopeBuilder {
    tls: Option<ServerTls>,
    require_org_id: bool,
}

impl FakePyroscopeBuilder {
    /// Serve HTTPS with `tls` instead of plain HTTP.
    pub fn tls(mut self, tls: ServerTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Behave like Pyroscope with multi-tenancy on: an unscripted push or ingest request without
    /// `X-Scope-OrgID` is answered `401` `{"code":"unauthenticated","message":"no org id"}`.
    pub fn require_org_id(mut self) -> Self {
        self.require_org_id = true;
        self
    }

    /// Bind 127.0.0.1:0 and start serving.
    pub async fn start(self) -> Result<FakePyroscope, StartError> {
        let acceptor = match &self.tls {
            Some(tls) => Some(tokio_rustls::TlsAcceptor::from(tls.server_config()?)),
            None => None,
        };
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (arrived, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            arrived,
            cancel: CancellationToken::new(),
            require_org_id: self.require_org_id,
        });
        let tracker = TaskTracker::new();
        tracker.spawn(accept_loop(
            listener,
            acceptor,
            shared.clone(),
            tracker.clone(),
        ));
        Ok(FakePyroscope {
            addr,
            tls: self.tls.is_some(),
            shared,
            tracker,
        })
    }
}

/// A fake Pyroscope server on 127.0.0.1 (see the module documentation).
///
/// Dropping it stops it: the listener closes and every connection ends.
pub struct FakePyroscope {
    addr: SocketAddr,
    tls: bool,
    shared: Arc<Shared>,
    tracker: TaskTracker,
}

impl fmt::Debug for FakePyroscope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakePyroscope")
            .field("addr", &self.addr)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl Drop for FakePyroscope {
    fn drop(&mut self) {
        self.shared.cancel.cancel();
    }
}

impl FakePyroscope {
    /// A plain HTTP server (HTTP/1.1, and HTTP/2 with prior knowledge) on 127.0.0.1:0.
    pub async fn start() -> Result<Self, StartError> {
        Self::builder().start().await
    }

    /// A builder, for TLS.
    pub fn builder() -> FakePyroscopeBuilder {
        FakePyroscopeBuilder::default()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>` (`https://…` with TLS), without a trailing slash.
    pub fn url(&self) -> String {
        self.url_with_host("127.0.0.1")
    }

    /// The URL with another host name (for TLS certificates issued to `localhost`).
    pub fn url_with_host(&self, host: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{host}:{}", self.addr.port())
    }

    /// The full push URL: `<url>/push.v1.PusherService/Push`.
    pub fn push_url(&self) -> String {
        format!("{}{PUSH_PATH}", self.url())
    }

    /// The full ingest URL: `<url>/ingest`.
    pub fn ingest_url(&self) -> String {
        format!("{}{INGEST_PATH}", self.url())
    }

    /// Queue `responses` for `route`, after those already queued; each request to the route
    /// takes the next one.
    pub fn script(&self, route: Route, responses: impl IntoIterator<Item = ScriptedResponse>) {
        self.shared
            .lock()
            .scripts
            .entry(route)
            .or_default()
            .extend(responses);
    }

    /// Queue `responses` for the push route.
    pub fn script_push(&self, responses: impl IntoIterator<Item = ScriptedResponse>) {
        self.script(Route::Push, responses);
    }

    /// Queue `responses` for the ingest route.
    pub fn script_ingest(&self, responses: impl IntoIterator<Item = ScriptedResponse>) {
        self.script(Route::Ingest, responses);
    }

    /// How many scripted responses of `route` are still queued.
    pub fn scripted_left(&self, route: Route) -> usize {
        self.shared
            .lock()
            .scripts
            .get(&route)
            .map_or(0, VecDeque::len)
    }

    /// Answer `route` with `response` whenever its queue is empty (e.g. "always 503", "never
    /// answer"); `None` restores the Pyroscope-like default.
    pub fn set_fallback(&self, route: Route, response: Option<ScriptedResponse>) {
        let mut state = self.shared.lock();
        match response {
            Some(r) => state.fallbacks.insert(route, r),
            None => state.fallbacks.remove(&route),
        };
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.shared.lock().requests.clone()
    }

    /// The requests to `route`, in arrival order.
    pub fn requests_to(&self, route: Route) -> Vec<ReceivedRequest> {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.route == route)
            .cloned()
            .collect()
    }

    /// Every series of every push request, in arrival order.
    pub fn received_series(&self) -> Vec<ReceivedSeries> {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.route == Route::Push)
            .flat_map(|r| r.series.iter().cloned())
            .collect()
    }

    /// How many requests were received over all routes.
    pub fn request_count(&self) -> usize {
        self.shared.lock().requests.len()
    }

    /// How many requests `route` received.
    pub fn count(&self, route: Route) -> usize {
        self.counts(route).requests
    }

    /// The counters of `route`.
    pub fn counts(&self, route: Route) -> RouteCounts {
        self.shared
            .lock()
            .counts
            .get(&route)
            .cloned()
            .unwrap_or_default()
    }

    /// How many connections were accepted and how many have ended.
    pub fn connections(&self) -> ConnectionCounts {
        self.shared.lock().connections
    }

    /// Wait until at least `n` requests (any route) have arrived, at most `timeout`; returns
    /// every request received by then.
    pub async fn wait_for_requests(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<ReceivedRequest>, WaitTimeout> {
        self.wait_until(n, timeout, None).await
    }

    /// Wait until at least `n` requests to `route` have arrived, at most `timeout`; returns the
    /// requests to `route` received by then.
    pub async fn wait_for(
        &self,
        route: Route,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<ReceivedRequest>, WaitTimeout> {
        self.wait_until(n, timeout, Some(route)).await
    }

    async fn wait_until(
        &self,
        n: usize,
        timeout: Duration,
        route: Option<Route>,
    ) -> Result<Vec<ReceivedRequest>, WaitTimeout> {
        let matching = || match route {
            None => self.requests(),
            Some(route) => self.requests_to(route),
        };
        let mut arrived = self.shared.arrived.subscribe();
        let reached = tokio::time::timeout(timeout, async {
            loop {
                if matching().len() >= n {
                    return;
                }
                if arrived.changed().await.is_err() {
                    // The sender lives as long as `self`; unreachable in practice, but never spin.
                    std::future::pending::<()>().await;
                }
            }
        })
        .await;
        let got = matching();
        match reached {
            Ok(()) => Ok(got),
            Err(_) if got.len() >= n => Ok(got),
            Err(_) => Err(WaitTimeout {
                what: route.map_or_else(|| "all".to_owned(), |r| r.to_string()),
                wanted: n,
                got: got.len(),
                timeout,
            }),
        }
    }

    /// Stop: close the listener, end every connection (held and delayed requests included) and
    /// wait for the server's tasks to finish.
    pub async fn shutdown(self) {
        self.shared.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    tracker: TaskTracker,
) {
    loop {
        let accepted = tokio::select! {
            () = shared.cancel.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            // Transient accept errors (e.g. too many open files): back off briefly.
            tokio::select! {
                () = shared.cancel.cancelled() => return,
                () = tokio::time::sleep(Duration::from_millis(10)) => continue,
            }
        };
        let shared = shared.clone();
        let acceptor = acceptor.clone();
        let connection = {
            let mut state = shared.lock();
            state.connections.opened += 1;
            state.connections.opened - 1
        };
        tracker.spawn(async move {
            let cancel = shared.cancel.clone();
            let _closed = ConnectionClosed(shared.clone());
            let serve = async move {
                match acceptor {
                    Some(acceptor) => {
                        let Ok(Ok(tls)) =
                            tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                                .await
                        else {
                            return;
                        };
                        let client_cert = tls
                            .get_ref()
                            .1
                            .peer_certificates()
                            .and_then(|c| c.first())
                            .map(|c| c.to_vec());
                        serve_connection(TokioIo::new(tls), shared, connection, client_cert).await;
                    }
                    None => serve_connection(TokioIo::new(stream), shared, connection, None).await,
                }
            };
            tokio::select! {
                () = cancel.cancelled() => {}
                () = serve => {}
            }
        });
    }
}

/// Counts a connection as closed when its task ends, however it ends.
struct ConnectionClosed(Arc<Shared>);

impl Drop for ConnectionClosed {
    fn drop(&mut self) {
        self.0.lock().connections.closed += 1;
    }
}

/// The error a handler returns to make hyper drop the connection without a response.
#[derive(Debug)]
struct CloseConnection;

impl fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("scripted close")
    }
}

impl std::error::Error for CloseConnection {}

async fn serve_connection<I>(
    io: I,
    shared: Arc<Shared>,
    connection: u64,
    client_cert: Option<Vec<u8>>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req: Request<Incoming>| {
        let shared = shared.clone();
        let client_cert = client_cert.clone();
        async move { handle(req, shared, connection, client_cert).await }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let _ = builder.serve_connection(io, service).await;
}

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    connection: u64,
    client_cert: Option<Vec<u8>>,
) -> Result<Response<Full<Bytes>>, CloseConnection> {
    let (parts, body) = req.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        // The client went away mid-body: nothing to record or answer.
        return Err(CloseConnection);
    };
    let path = parts.uri.path().to_owned();
    let route = Route::of_path(&path);
    let mut received = ReceivedRequest {
        index: 0,
        route,
        method: parts.method.to_string(),
        path,
        query: parts.uri.query().map(str::to_owned),
        version: parts.version,
        headers: parts.headers,
        body: body.clone(),
        decoded_body: body,
        series: Vec::new(),
        decode_error: None,
        client_cert,
        connection,
        outcome: Outcome::Closed,
        received_at: Instant::now(),
    };
    if route == Route::Push {
        decode_push(&mut received);
    }

    let response = {
        let mut state = shared.lock();
        let response = state
            .scripts
            .get_mut(&route)
            .and_then(VecDeque::pop_front)
            .or_else(|| state.fallbacks.get(&route).cloned())
            .unwrap_or_else(|| default_response(&received, shared.require_org_id));
        received.index = state.requests.len();
        received.outcome = response.outcome();
        let counts = state.counts.entry(route).or_default();
        counts.requests += 1;
        match received.outcome {
            Outcome::Answered(status) => *counts.by_status.entry(status).or_default() += 1,
            Outcome::NeverAnswered => counts.never_answered += 1,
            Outcome::Closed => counts.closed += 1,
        }
        state.requests.push(received);
        let total = state.requests.len();
        drop(state);
        shared.arrived.send_replace(total);
        response
    };

    if !response.delay.is_zero() {
        tokio::select! {
            () = shared.cancel.cancelled() => return Err(CloseConnection),
            () = tokio::time::sleep(response.delay) => {}
        }
    }
    if let Some(gate) = &response.gate {
        tokio::select! {
            () = shared.cancel.cancelled() => return Err(CloseConnection),
            () = gate.0.cancelled() => {}
        }
    }
    match response.action {
        Action::Reply {
            status,
            headers,
            body,
            gzip,
        } => Ok(build_response(status, &headers, body, gzip)),
        Action::NeverAnswer => {
            shared.cancel.cancelled().await;
            Err(CloseConnection)
        }
        Action::Close => Err(CloseConnection),
    }
}

fn build_response(
    status: u16,
    headers: &[(String, String)],
    body: Vec<u8>,
    gzip: bool,
) -> Response<Full<Bytes>> {
    let body = if gzip { gzip_bytes(&body) } else { body };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// The gzip of `data`.
pub fn gzip_bytes(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

/// The gunzip of `data`, at most [`MAX_DECOMPRESSED`] bytes.
fn gunzip(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("invalid gzip body: {e}"))?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err("gzip body too large".to_owned());
    }
    Ok(out)
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    headers.get("content-type").map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

fn content_encoding(headers: &HeaderMap) -> Option<String> {
    headers.get("content-encoding").map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .trim()
            .to_ascii_lowercase()
    })
}

/// Gunzip (per `Content-Encoding`) and decode a push body into `received`.
fn decode_push(received: &mut ReceivedRequest) {
    match content_encoding(&received.headers).as_deref() {
        None | Some("identity") => {}
        Some("gzip") => match gunzip(&received.body) {
            Ok(plain) => received.decoded_body = Bytes::from(plain),
            Err(e) => {
                received.decode_error = Some(e);
                return;
            }
        },
        Some(other) => {
            received.decode_error = Some(format!("unsupported content encoding {other:?}"));
            return;
        }
    }
    let decoded = if media_type(&received.headers).as_deref() == Some("application/json") {
        decode_push_json(&received.decoded_body)
    } else {
        wire::PushRequest::decode(received.decoded_body.clone())
            .map(|r| r.series.into_iter().map(series_from_wire).collect())
            .map_err(|e| format!("invalid push request: {e}"))
    };
    match decoded {
        Ok(series) => received.series = series,
        Err(e) => received.decode_error = Some(e),
    }
}

fn sample(id: String, raw_profile: Bytes) -> ReceivedSample {
    let gzipped = raw_profile.starts_with(&[0x1f, 0x8b]);
    let profile_size = if gzipped {
        gunzip(&raw_profile).ok().map(|p| p.len())
    } else {
        Some(raw_profile.len())
    };
    ReceivedSample {
        id,
        raw_profile,
        gzipped,
        profile_size,
    }
}

fn series_from_wire(series: wire::RawProfileSeries) -> ReceivedSeries {
    ReceivedSeries {
        labels: series
            .labels
            .into_iter()
            .map(|l| (l.name, l.value))
            .collect(),
        samples: series
            .samples
            .into_iter()
            .map(|s| sample(s.id, s.raw_profile))
            .collect(),
    }
}

/// Decode a proto3-JSON `PushRequest` (`wire.md` §1.3).
fn decode_push_json(body: &[u8]) -> Result<Vec<ReceivedSeries>, String> {
    use base64::Engine as _;
    use serde_json::Value;

    let invalid = |what: &str| format!("invalid push request json: {what}");
    let root: Value = serde_json::from_slice(body).map_err(|e| invalid(&e.to_string()))?;
    let text = |v: Option<&Value>| -> Result<String, String> {
        match v {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(invalid("expected a string")),
        }
    };
    let list = |v: Option<&Value>| -> Result<Vec<Value>, String> {
        match v {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(invalid("expected a list")),
        }
    };
    let mut out = Vec::new();
    for series in list(root.get("series"))? {
        let mut labels = Vec::new();
        for label in list(series.get("labels"))? {
            labels.push((text(label.get("name"))?, text(label.get("value"))?));
        }
        let mut samples = Vec::new();
        for s in list(series.get("samples"))? {
            let raw = text(s.get("rawProfile").or_else(|| s.get("raw_profile")))?;
            let raw = base64::engine::general_purpose::STANDARD
                .decode(raw.as_bytes())
                .map_err(|e| invalid(&format!("rawProfile: {e}")))?;
            samples.push(sample(text(s.get("ID"))?, Bytes::from(raw)));
        }
        out.push(ReceivedSeries { labels, samples });
    }
    Ok(out)
}

/// The Pyroscope-like answer to an unscripted request.
fn default_response(req: &ReceivedRequest, require_org_id: bool) -> ScriptedResponse {
    if require_org_id
        && req.route != Route::Other
        && req.method == "POST"
        && req.org_id().is_none_or(|id| id.is_empty())
    {
        return ScriptedResponse::connect_error("unauthenticated", "no org id");
    }
    match req.route {
        Route::Push => default_push_response(req),
        Route::Ingest => default_ingest_response(req),
        Route::Other => ScriptedResponse::status(404)
            .header("content-type", "text/plain; charset=utf-8")
            .body("404 page not found\n"),
    }
}

fn default_push_response(req: &ReceivedRequest) -> ScriptedResponse {
    if req.method != "POST" {
        return ScriptedResponse::status(405).header("allow", "POST");
    }
    let media = media_type(&req.headers);
    if !matches!(
        media.as_deref(),
        Some("application/proto" | "application/json")
    ) {
        return ScriptedResponse::status(415)
            .header("accept-post", "application/json, application/proto");
    }
    if let Some(version) = req.header("connect-protocol-version")
        && version != "1"
    {
        return ScriptedResponse::connect_error(
            "invalid_argument",
            &format!("connect-protocol-version must be \"1\": got {version:?}"),
        );
    }
    if let Some(timeout) = req.header("connect-timeout-ms")
        && (timeout.is_empty()
            || timeout.len() > 10
            || !timeout.bytes().all(|b| b.is_ascii_digit()))
    {
        return ScriptedResponse::connect_error(
            "invalid_argument",
            &format!("protocol error: invalid timeout {timeout:?}"),
        );
    }
    if let Some(encoding) = content_encoding(&req.headers)
        && encoding != "gzip"
        && encoding != "identity"
    {
        return ScriptedResponse::connect_error(
            "unimplemented",
            &format!("unknown compression {encoding:?}: supported encodings are gzip"),
        );
    }
    if let Some(error) = &req.decode_error {
        return ScriptedResponse::connect_error("unknown", error);
    }
    if req.series.is_empty() {
        return ScriptedResponse::connect_error("invalid_argument", "no profiles received");
    }
    let ok = ScriptedResponse::status(200);
    match media.as_deref() {
        Some("application/json") => ok.json("{}"),
        _ => ok.header("content-type", "application/proto"),
    }
}

fn default_ingest_response(req: &ReceivedRequest) -> ScriptedResponse {
    if req.method != "POST" {
        return ScriptedResponse::status(405);
    }
    let name = req.query_param("name").unwrap_or_default();
    if name.trim().is_empty() {
        return ScriptedResponse::connect_error("invalid_argument", "name is required")
            .header("x-content-type-options", "nosniff");
    }
    ScriptedResponse::status(200)
}

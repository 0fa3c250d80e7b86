//! Shared fixtures of the http-client tests, all on 127.0.0.1:
//! - [`Pki`]: an rcgen test CA issuing server and client certificates;
//! - [`server_tls`]: a rustls server configuration (TLS versions, ALPN, required client
//!   certificates);
//! - [`TestServer`]: an HTTP or HTTPS server (hyper, tokio-rustls) that records every request and
//!   answers through a handler;
//! - [`RecordingProxy`]: an HTTP proxy that records each request head, tunnels `CONNECT` to the
//!   target and answers plain requests itself;
//! - [`decode`]: settings written in the configuration language, decoded like a component does.
//!
//! Every server task is aborted when its handle is dropped.

#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ferroalloy_http_client::HttpClientConfig;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The ring provider, for test servers.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

// ---------------------------------------------------------------------------------------------
// certificates

/// A test CA.
pub struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key, PEM.
#[derive(Clone, Debug)]
pub struct Pair {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Pair {
    /// The certificate's DER (what a server sees of a client certificate).
    pub fn cert_der(&self) -> Vec<u8> {
        CertificateDer::from_pem_slice(self.cert_pem.as_bytes())
            .unwrap()
            .to_vec()
    }

    /// Write both to `dir` as `<stem>.crt` and `<stem>.key`.
    pub fn write(&self, dir: &Path, stem: &str) -> (PathBuf, PathBuf) {
        let cert = dir.join(format!("{stem}.crt"));
        let key = dir.join(format!("{stem}.key"));
        std::fs::write(&cert, &self.cert_pem).unwrap();
        std::fs::write(&key, &self.key_pem).unwrap();
        (cert, key)
    }
}

impl Pki {
    /// A fresh CA named `name`.
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { ca }
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// A server certificate for `names` (DNS names or IP addresses).
    pub fn server(&self, names: &[&str]) -> Pair {
        self.leaf(names, ExtendedKeyUsagePurpose::ServerAuth, names[0])
    }

    /// A client certificate with common name `cn`.
    pub fn client(&self, cn: &str) -> Pair {
        self.leaf(&[], ExtendedKeyUsagePurpose::ClientAuth, cn)
    }

    fn leaf(&self, names: &[&str], usage: ExtendedKeyUsagePurpose, cn: &str) -> Pair {
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![usage];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        Pair {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// What a test TLS server offers.
#[derive(Clone, Debug)]
pub struct ServerTls {
    pub pair: Pair,
    /// Only TLS 1.2.
    pub tls12_only: bool,
    /// Offer `h2` in ALPN (else only `http/1.1`).
    pub h2: bool,
    /// Require a client certificate issued by this CA.
    pub client_ca_pem: Option<String>,
}

impl ServerTls {
    /// TLS 1.2 and 1.3, ALPN `h2` and `http/1.1`, no client certificate.
    pub fn new(pair: Pair) -> Self {
        Self {
            pair,
            tls12_only: false,
            h2: true,
            client_ca_pem: None,
        }
    }
}

/// The rustls server configuration of `tls`.
pub fn server_tls(tls: &ServerTls) -> Arc<rustls::ServerConfig> {
    let provider = provider();
    let versions: &[&'static rustls::SupportedProtocolVersion] = if tls.tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS12, &rustls::version::TLS13]
    };
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .unwrap();
    let builder = match &tls.client_ca_pem {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                roots.add(cert.unwrap()).unwrap();
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(tls.pair.cert_pem.as_bytes())
            .map(Result::unwrap)
            .collect();
    let key = PrivateKeyDer::from_pem_slice(tls.pair.key_pem.as_bytes()).unwrap();
    let mut config = builder.with_single_cert(chain, key).unwrap();
    config.alpn_protocols = if tls.h2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Arc::new(config)
}

// ---------------------------------------------------------------------------------------------
// servers

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// The request target as received (origin form `/path?q` for direct requests).
    pub uri: String,
    pub version: hyper::Version,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
    /// The client certificate's DER, over TLS with a client certificate.
    pub client_cert: Option<Vec<u8>>,
}

impl Recorded {
    /// The header's value as text, `None` when absent.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }
}

/// The answer of a handler.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// `200` with `body`.
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// `status` with an empty body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Add a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

type Handler =
    Arc<dyn Fn(Recorded) -> std::pin::Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync>;

/// A recording HTTP(S) server on 127.0.0.1.
pub struct TestServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// A plain HTTP server answering `200 ok` to everything.
    pub async fn http_ok() -> Self {
        Self::http(|_| async { Reply::ok("ok") }).await
    }

    /// A plain HTTP server (HTTP/1.1; HTTP/2 only with prior knowledge).
    pub async fn http<F, Fut>(handler: F) -> Self
    where
        F: Fn(Recorded) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Reply> + Send + 'static,
    {
        Self::start(None, handler).await
    }

    /// An HTTPS server with `tls`.
    pub async fn https<F, Fut>(tls: &ServerTls, handler: F) -> Self
    where
        F: Fn(Recorded) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Reply> + Send + 'static,
    {
        Self::start(Some(server_tls(tls)), handler).await
    }

    async fn start<F, Fut>(tls: Option<Arc<rustls::ServerConfig>>, handler: F) -> Self
    where
        F: Fn(Recorded) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Reply> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(move |r| Box::pin(handler(r)));
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let handler = handler.clone();
                let recorded = recorded.clone();
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    match acceptor {
                        Some(acceptor) => {
                            let Ok(Ok(tls)) = tokio::time::timeout(
                                Duration::from_secs(10),
                                acceptor.accept(stream),
                            )
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
                            serve(TokioIo::new(tls), handler, recorded, client_cert).await;
                        }
                        None => serve(TokioIo::new(stream), handler, recorded, None).await,
                    }
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Self {
            addr,
            requests,
            task,
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `https://<host>:<port><path>`.
    pub fn https_url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.addr.port())
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests were received.
    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

async fn serve<I>(
    io: I,
    handler: Handler,
    recorded: Arc<Mutex<Vec<Recorded>>>,
    client_cert: Option<Vec<u8>>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let handler = handler.clone();
        let recorded = recorded.clone();
        let client_cert = client_cert.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let rec = Recorded {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                version: parts.version,
                headers: parts.headers,
                body,
                client_cert,
            };
            recorded.lock().unwrap().push(rec.clone());
            let reply = handler(rec).await;
            let mut response = hyper::Response::builder().status(reply.status);
            for (name, value) in &reply.headers {
                response = response.header(name, value);
            }
            Ok::<_, Infallible>(response.body(Full::new(Bytes::from(reply.body))).unwrap())
        }
    });
    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(io, service)
        .await;
}

// ---------------------------------------------------------------------------------------------
// proxy

/// One request head as the proxy saw it.
#[derive(Clone, Debug)]
pub struct ProxyRecord {
    pub method: String,
    /// The request target: absolute form for forwarded requests, `host:port` for `CONNECT`.
    pub target: String,
    /// Header lines in order, names as sent.
    pub headers: Vec<(String, String)>,
}

impl ProxyRecord {
    /// Every value of header `name` (case-insensitive).
    pub fn values(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// An HTTP proxy on 127.0.0.1: tunnels `CONNECT` to the target's port on 127.0.0.1, answers
/// every other request itself with `200` and body `via proxy`.
pub struct RecordingProxy {
    pub addr: SocketAddr,
    records: Arc<Mutex<Vec<ProxyRecord>>>,
    task: JoinHandle<()>,
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RecordingProxy {
    /// Start the proxy.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let records = Arc::new(Mutex::new(Vec::new()));
        let rec = records.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                connections.spawn(proxy_connection(stream, rec.clone()));
                while connections.try_join_next().is_some() {}
            }
        });
        Self {
            addr,
            records,
            task,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request head received so far.
    pub fn records(&self) -> Vec<ProxyRecord> {
        self.records.lock().unwrap().clone()
    }
}

/// Read one request head (up to 64 KiB); `None` on EOF or garbage.
async fn read_head(stream: &mut TcpStream) -> Option<(ProxyRecord, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let rest = buf[end + 4..].to_vec();
            let mut lines = head.split("\r\n");
            let mut first = lines.next()?.split(' ');
            let method = first.next()?.to_owned();
            let target = first.next()?.to_owned();
            let headers = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
                .collect();
            return Some((
                ProxyRecord {
                    method,
                    target,
                    headers,
                },
                rest,
            ));
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn proxy_connection(mut stream: TcpStream, records: Arc<Mutex<Vec<ProxyRecord>>>) {
    // A bound on requests per connection keeps the loop finite.
    for _ in 0..1000 {
        let Some((record, rest)) = read_head(&mut stream).await else {
            return;
        };
        records.lock().unwrap().push(record.clone());
        if record.method == "CONNECT" {
            // Every test target is on loopback: names (pinned in the client) and addresses
            // alike are reached on 127.0.0.1 at the requested port.
            let port = record
                .target
                .rsplit_once(':')
                .and_then(|(_, p)| p.parse::<u16>().ok())
                .unwrap_or(443);
            let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", port)).await else {
                let _ = stream
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                    .await;
                return;
            };
            if stream
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await
                .is_err()
            {
                return;
            }
            if !rest.is_empty() && upstream.write_all(&rest).await.is_err() {
                return;
            }
            let _ = tokio::io::copy_bidirectional(&mut stream, &mut upstream).await;
            return;
        }
        // Forwarded request: skip its body, answer ourselves.
        let length: usize = record
            .values("content-length")
            .first()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut remaining = length.saturating_sub(rest.len());
        let mut sink = [0u8; 4096];
        while remaining > 0 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(n) => remaining = remaining.saturating_sub(n),
            }
        }
        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nvia proxy";
        if stream.write_all(reply).await.is_err() {
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// configuration

/// Decode `body` (attributes and blocks of an `endpoint`) into the settings, as a component's
/// decoder does: `Ok` with the settings, or `Err` with every diagnostic's message.
pub fn decode(body: &str) -> Result<HttpClientConfig, Vec<String>> {
    use ferroalloy_syntax::ast::Stmt;
    use ferroalloy_syntax::{SourceFile, parser::parse_file};
    use ferroalloy_value::decode::decode_arguments;
    use ferroalloy_value::eval::{Evaluator, Scope};

    let src = SourceFile::new("test.alloy", format!("endpoint {{\n{body}\n}}\n"));
    let (file, diags) = parse_file(&src);
    assert!(diags.is_empty(), "parse errors: {diags:?}");
    let Some(Stmt::Block(block)) = file.body.stmts.first() else {
        panic!("no block");
    };
    let scope = Scope::new();
    decode_arguments::<HttpClientConfig>(block, &Evaluator::new(&src, &scope))
        .map_err(|diags| diags.iter().map(|d| d.message.clone()).collect())
}

/// A request built with the client's reqwest client.
pub fn get(client: &ferroalloy_http_client::HttpClient, url: &str) -> reqwest::Request {
    client.reqwest().get(url).build().unwrap()
}

// ---------------------------------------------------------------------------------------------
// SOCKS5 proxy

/// One SOCKS5 session as the proxy saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocksRecord {
    /// Username and password, when the client authenticated.
    pub credentials: Option<(String, String)>,
    /// The requested destination, `host:port` (a name for `socks5h`, an address for `socks5`).
    pub target: String,
}

/// A SOCKS5 proxy on 127.0.0.1 (no auth or username/password), connecting every request to the
/// requested port on 127.0.0.1.
pub struct SocksProxy {
    pub addr: SocketAddr,
    records: Arc<Mutex<Vec<SocksRecord>>>,
    task: JoinHandle<()>,
}

impl Drop for SocksProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SocksProxy {
    /// Start the proxy.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let records = Arc::new(Mutex::new(Vec::new()));
        let rec = records.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let rec = rec.clone();
                connections.spawn(async move {
                    let _ =
                        tokio::time::timeout(Duration::from_secs(30), socks_session(stream, rec))
                            .await;
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Self {
            addr,
            records,
            task,
        }
    }

    /// Every session so far.
    pub fn records(&self) -> Vec<SocksRecord> {
        self.records.lock().unwrap().clone()
    }
}

async fn socks_session(
    mut stream: TcpStream,
    records: Arc<Mutex<Vec<SocksRecord>>>,
) -> std::io::Result<()> {
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).await?;
    let mut methods = vec![0u8; usize::from(head[1])];
    stream.read_exact(&mut methods).await?;
    let credentials = if methods.contains(&2) {
        stream.write_all(&[5, 2]).await?;
        let mut ver_len = [0u8; 2];
        stream.read_exact(&mut ver_len).await?;
        let mut user = vec![0u8; usize::from(ver_len[1])];
        stream.read_exact(&mut user).await?;
        let mut plen = [0u8; 1];
        stream.read_exact(&mut plen).await?;
        let mut pass = vec![0u8; usize::from(plen[0])];
        stream.read_exact(&mut pass).await?;
        stream.write_all(&[1, 0]).await?;
        Some((
            String::from_utf8_lossy(&user).into_owned(),
            String::from_utf8_lossy(&pass).into_owned(),
        ))
    } else {
        stream.write_all(&[5, 0]).await?;
        None
    };
    let mut request = [0u8; 4];
    stream.read_exact(&mut request).await?;
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            stream.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            stream.read_exact(&mut len).await?;
            let mut name = vec![0u8; usize::from(len[0])];
            stream.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => {
            let mut ip = [0u8; 16];
            stream.read_exact(&mut ip).await?;
            format!("[{}]", std::net::Ipv6Addr::from(ip))
        }
    };
    let mut port = [0u8; 2];
    stream.read_exact(&mut port).await?;
    let port = u16::from_be_bytes(port);
    records.lock().unwrap().push(SocksRecord {
        credentials,
        target: format!("{host}:{port}"),
    });
    let mut upstream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut stream, &mut upstream).await?;
    Ok(())
}

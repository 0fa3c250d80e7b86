//! The server (spec §3, §4, §10): routes, update of receivers and listeners, TLS, h2c,
//! connection limit, debug info, metrics, shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ferroalloy_component::HealthState;
use ferroalloy_pyroscope_receive_http::{ReceiveHttpArguments, TlsServerConfig};
use ferroalloy_test_util::pyroscope_server::TestCa;
use ferroalloy_value::value::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Bad input: other methods on the three paths → 405 with `Allow: POST`; unknown paths → 404.
#[tokio::test]
async fn routes() {
    let (_h, addr, recorder) = start_recording().await;
    let c = client();
    for (method, path) in [
        (reqwest::Method::GET, "/ingest"),
        (reqwest::Method::PUT, "/push.v1.PusherService/Push"),
        (reqwest::Method::DELETE, "/pyroscope/ingest"),
    ] {
        let response = c
            .request(method.clone(), url(addr, path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers().get("allow").unwrap(), "POST");
        let (status, code, _) = connect_error(response).await;
        assert_eq!(
            (status, code.as_str()),
            (405, "unimplemented"),
            "{method} {path}"
        );
    }
    for path in [
        "/nope",
        "/",
        "/push.v1.PusherService/Nope",
        "/debuginfo.v1alpha1.DebuginfoService/Upload",
    ] {
        let response = c.post(url(addr, path)).body("x").send().await.unwrap();
        let (status, code, _) = connect_error(response).await;
        assert_eq!((status, code.as_str()), (404, "not_found"), "{path}");
    }
    assert_eq!(recorder.calls(), 0);
}

/// Acceptance 8 (first part): an Update changing `forward_to` only keeps the listener and an
/// open keep-alive connection; requests after it reach the new receiver.
#[tokio::test]
async fn update_of_receivers_keeps_connections() {
    let first = Recorder::new();
    let second = Recorder::new();
    let (h, addr) = start(args(vec![first.receiver()])).await;
    let c = client(); // one pooled keep-alive connection
    assert_eq!(push(addr, simple_push_body()).await.status(), 200);
    let send = |c: &reqwest::Client| c.post(url(addr, "/ingest?name=app")).body("x").send();
    assert_eq!(send(&c).await.unwrap().status(), 200);
    assert_eq!(h.component().open_connections(), 1);
    h.update(args(vec![second.receiver()])).await.unwrap();
    assert_eq!(send(&c).await.unwrap().status(), 200);
    assert_eq!(h.component().local_addr().await, Some(addr));
    assert_eq!(first.ingests().len(), 1);
    assert_eq!(second.ingests().len(), 1);
    // The keep-alive connection was reused across the Update.
    assert_eq!(h.component().open_connections(), 1);
}

async fn refuses(addr: std::net::SocketAddr) -> bool {
    ferroalloy_test_util::eventually(Duration::from_secs(1), || {
        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err()
    })
    .await
}

/// Acceptance 8: a new port is bound, the old one refuses within 1 s; a port in use makes the
/// component unhealthy while the old port keeps serving.
#[tokio::test]
async fn update_moves_the_listener() {
    let recorder = Recorder::new();
    let (h, old) = start(args(vec![recorder.receiver()])).await;
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let new_port = free.local_addr().unwrap().port();
    drop(free);
    let mut moved = args(vec![recorder.receiver()]);
    moved.http.listen_port = i64::from(new_port);
    h.update(moved.clone()).await.unwrap();
    let new = h.component().local_addr().await.unwrap();
    assert_eq!(new.port(), new_port);
    assert!(refuses(old).await, "old port still accepts");
    assert_eq!(push(new, simple_push_body()).await.status(), 200);

    // A port in use: unhealthy, the current port still serves.
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut clash = args(vec![recorder.receiver()]);
    clash.http.listen_port = i64::from(taken.local_addr().unwrap().port());
    let error = h.update(clash).await.unwrap_err().to_string();
    assert!(
        error.starts_with("failed to create server: listen tcp 127.0.0.1:"),
        "{error}"
    );
    let health = h.health().unwrap();
    assert_eq!(health.state, HealthState::Unhealthy);
    assert_eq!(health.message, error);
    assert_eq!(push(new, simple_push_body()).await.status(), 200);

    // A later good Update is healthy again.
    h.update(moved).await.unwrap();
    assert_eq!(h.health().unwrap().state, HealthState::Healthy);
}

/// §3: a changed address on the same port stops the old listener first, then binds.
#[tokio::test]
async fn update_of_the_address_on_the_same_port() {
    let recorder = Recorder::new();
    let (h, old) = start(args(vec![recorder.receiver()])).await;
    let mut same_port = args(vec![recorder.receiver()]);
    same_port.http.listen_port = i64::from(old.port());
    // Pin the port first (0 → the bound port), which is a port change.
    h.update(same_port.clone()).await.unwrap();
    let pinned = h.component().local_addr().await.unwrap();
    assert_eq!(
        pinned.port(),
        old.port(),
        "same port rebound after the old stopped"
    );
    same_port.http.listen_address = "localhost".to_owned();
    h.update(same_port).await.unwrap();
    let now = h.component().local_addr().await.unwrap();
    assert_eq!(now.port(), old.port());
    assert_eq!(push(now, simple_push_body()).await.status(), 200);
}

/// Acceptance 11: TLS with a test CA (ALPN h2) and h2c with prior knowledge.
#[tokio::test]
async fn tls_and_h2c() {
    let ca = TestCa::new("receive_http test ca").unwrap();
    let pair = ca.server(&["localhost", "127.0.0.1"]).unwrap();
    let recorder = Recorder::new();
    let mut a = args(vec![recorder.receiver()]);
    a.http.tls = Some(TlsServerConfig {
        cert_pem: pair.cert_pem.clone(),
        key_pem: Some(ferroalloy_value::Secret::new(pair.key_pem.clone())),
        ..TlsServerConfig::default()
    });
    let (h, addr) = start(a).await;
    let client = tls_client(&ca.ca_pem());
    let response = client
        .post(format!(
            "https://localhost:{}/push.v1.PusherService/Push",
            addr.port()
        ))
        .header("content-type", "application/proto")
        .body(simple_push_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    let info = h.debug_info().unwrap();
    assert_eq!(info.to_object().get("tls"), Some(&Value::Bool(true)));
    // Plain HTTP to the TLS port gets no answer.
    assert!(
        client
            .post(url(addr, "/ingest?name=a"))
            .body("x")
            .send()
            .await
            .is_err()
    );

    let mut a = args(vec![recorder.receiver()]);
    a.http.http2.enabled = true;
    let (h2, addr2) = start(a).await;
    let h2c = builder().http2_prior_knowledge().build().unwrap();
    let response = h2c
        .post(url(addr2, "/push.v1.PusherService/Push"))
        .header("content-type", "application/proto")
        .body(simple_push_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(
        h2.debug_info().unwrap().to_object().get("http2_cleartext"),
        Some(&Value::Bool(true))
    );
    assert_eq!(recorder.appends().len(), 2);

    // Without `http2.enabled`, a prior-knowledge h2c request fails.
    let (_h3, addr3) = start(args(Vec::new())).await;
    assert!(
        h2c.post(url(addr3, "/push.v1.PusherService/Push"))
            .header("content-type", "application/proto")
            .body(simple_push_body())
            .send()
            .await
            .is_err()
    );
}

fn tls_client(ca_pem: &str) -> reqwest::Client {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    builder().tls_backend_preconfigured(config).build().unwrap()
}

/// §2 `conn_limit`: at the limit the server stops accepting until a connection closes; the
/// metrics show the count and the limit.
#[tokio::test]
async fn connection_limit() {
    let mut a = args(Vec::new());
    a.http.conn_limit = 1;
    let (h, addr) = start(a).await;
    let mut first = TcpStream::connect(addr).await.unwrap();
    first
        .write_all(b"POST /ingest?name=a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx")
        .await
        .unwrap();
    let mut buf = [0u8; 12];
    first.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"HTTP/1.1 200");
    assert_eq!(h.component().open_connections(), 1);
    // The second connection completes its TCP handshake (backlog) but is not served.
    let mut second = TcpStream::connect(addr).await.unwrap();
    second
        .write_all(b"POST /ingest?name=a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx")
        .await
        .unwrap();
    let mut answer = [0u8; 12];
    let early =
        tokio::time::timeout(Duration::from_millis(300), second.read_exact(&mut answer)).await;
    assert!(early.is_err(), "served beyond the limit");
    let text = h.metrics_text();
    assert!(
        text.contains("pyroscope_receive_http_tcp_connections{protocol=\"http\",component_path=\"/\",component_id=\"test.component\"} 1")
            || text.lines().any(|l| l.starts_with("pyroscope_receive_http_tcp_connections{") && l.contains("protocol=\"http\"") && l.ends_with(" 1")),
        "{text}"
    );
    assert!(
        text.lines().any(
            |l| l.starts_with("pyroscope_receive_http_tcp_connections_limit{")
                && l.contains("protocol=\"http\"")
                && l.ends_with(" 1")
        ),
        "{text}"
    );
    drop(first);
    tokio::time::timeout(WAIT, second.read_exact(&mut answer))
        .await
        .expect("served once the first closed")
        .unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
}

/// §10: debug info shows the bound address; request metrics carry method and route.
#[tokio::test]
async fn debug_info_and_request_metrics() {
    let (h, addr, _recorder) = start_recording().await;
    let info = h.debug_info().unwrap().to_object();
    assert_eq!(
        info.get("listen_address"),
        Some(&Value::string(addr.to_string()))
    );
    assert_eq!(info.get("tls"), Some(&Value::Bool(false)));
    assert_eq!(info.get("http2_cleartext"), Some(&Value::Bool(false)));
    assert_eq!(push(addr, simple_push_body()).await.status(), 200);
    let text = h.metrics_text();
    assert!(
        text.lines().any(|l| l
            .starts_with("pyroscope_receive_http_request_duration_seconds_count{")
            && l.contains("method=\"POST\"")
            && l.contains("route=\"push_v1_pusherservice_push\"")
            && l.contains("status_code=\"200\"")
            && l.contains("ws=\"false\"")
            && l.ends_with(" 1")),
        "{text}"
    );
    assert!(
        text.contains("pyroscope_receive_http_inflight_requests{"),
        "{text}"
    );
    assert!(
        text.contains("pyroscope_receive_http_request_message_bytes_sum{"),
        "{text}"
    );
    assert_eq!(h.health().unwrap().state, HealthState::Healthy);
}

/// §3 Shutdown: the port closes; an in-flight request finishes.
#[tokio::test]
async fn shutdown_stops_the_listener_after_in_flight_requests() {
    let (mut h, addr, recorder) = start_recording().await;
    // A request whose body is still arriving when shutdown starts.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /ingest?name=a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
        .await
        .unwrap();
    assert!(ferroalloy_test_util::eventually(WAIT, || h.component().open_connections() == 1).await);
    let finish = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        stream.write_all(b"cd").await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).into_owned()
    });
    h.stop().await.unwrap();
    let answer = finish.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(&recorder.ingests()[0].raw_body[..], b"abcd");
    assert!(TcpStream::connect(addr).await.is_err(), "port closed");
}

/// §3 Shutdown: connections that do not finish are cut after `graceful_shutdown_timeout`.
#[tokio::test]
async fn shutdown_is_bounded() {
    let mut a: ReceiveHttpArguments = args(Vec::new());
    a.graceful_shutdown_timeout = ferroalloy_value::duration::Duration::from_nanos(200_000_000);
    let (mut h, addr) = start(a).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /ingest?name=a HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
        .await
        .unwrap();
    assert!(ferroalloy_test_util::eventually(WAIT, || h.component().open_connections() == 1).await);
    tokio::time::timeout(WAIT, h.stop())
        .await
        .expect("stop is bounded")
        .unwrap();
    assert_eq!(h.component().open_connections(), 0);
}

/// §2 `server_idle_timeout`: an idle keep-alive connection is closed.
#[tokio::test]
async fn idle_connections_are_closed() {
    let mut a = args(Vec::new());
    a.http.server_idle_timeout = ferroalloy_value::duration::Duration::from_nanos(300_000_000);
    let (h, addr) = start(a).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /ingest?name=a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx")
        .await
        .unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the server closed the idle connection");
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"));
    assert!(ferroalloy_test_util::eventually(WAIT, || h.component().open_connections() == 0).await);
}

/// §2 `server_read_timeout`: a body that stops arriving is answered 408; the request is not
/// forwarded.
#[tokio::test]
async fn slow_bodies_time_out() {
    let recorder = Recorder::new();
    let mut a = args(vec![recorder.receiver()]);
    a.http.server_read_timeout = ferroalloy_value::duration::Duration::from_nanos(300_000_000);
    let (_h, addr) = start(a).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /ingest?name=a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut out)).await;
    let answer = String::from_utf8_lossy(&out);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("timed out reading the request body"),
        "{answer}"
    );
    assert_eq!(recorder.calls(), 0);
}

/// `client_auth_type = "RequireAndVerifyClientCert"`: a client without a certificate is refused,
/// one with a certificate of the CA is served.
#[tokio::test]
async fn client_certificates_are_verified() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let ca = TestCa::new("receive_http mtls ca").unwrap();
    let server_pair = ca.server(&["localhost"]).unwrap();
    let client_pair = ca.client("sdk").unwrap();
    let mut a = args(Vec::new());
    a.http.tls = Some(TlsServerConfig {
        cert_pem: server_pair.cert_pem.clone(),
        key_pem: Some(ferroalloy_value::Secret::new(server_pair.key_pem.clone())),
        client_auth_type: "RequireAndVerifyClientCert".into(),
        client_ca: ca.ca_pem(),
        ..TlsServerConfig::default()
    });
    let (_h, addr) = start(a).await;
    let target = format!("https://localhost:{}/ingest?name=a", addr.port());
    assert!(
        tls_client(&ca.ca_pem())
            .post(&target)
            .body("x")
            .send()
            .await
            .is_err()
    );
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.ca_pem().as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_client_auth_cert(
        CertificateDer::pem_slice_iter(client_pair.cert_pem.as_bytes())
            .map(Result::unwrap)
            .collect(),
        PrivateKeyDer::from_pem_slice(client_pair.key_pem.as_bytes()).unwrap(),
    )
    .unwrap();
    let client = builder().tls_backend_preconfigured(config).build().unwrap();
    let response = client.post(&target).body("x").send().await.unwrap();
    assert_eq!(response.status(), 200);
}

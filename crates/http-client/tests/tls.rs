//! TLS over real loopback servers (Acceptance 8–11, 15): the test CA, a wrong CA refused,
//! `server_name`, `insecure_skip_verify`, mutual TLS and certificate rotation without reload,
//! `min_version`, HTTP/2 by ALPN, and the build errors' exact texts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::error::Error as _;

use ferroalloy_http_client::{
    BuildError, ClientOptions, HttpClient, HttpClientConfig, RequestError, TlsConfig,
};
use ferroalloy_value::Secret;
use support::{Pki, Reply, ServerTls, TestServer, get};

const HOST: &str = "pyroscope.test";

fn options(server: &TestServer) -> ClientOptions {
    ClientOptions {
        resolve: vec![(HOST.to_owned(), server.addr)],
        ..ClientOptions::default()
    }
}

fn with_tls(tls: TlsConfig) -> HttpClientConfig {
    HttpClientConfig {
        tls_config: tls,
        ..HttpClientConfig::default()
    }
}

fn ca(pki: &Pki) -> TlsConfig {
    TlsConfig {
        ca_pem: pki.ca_pem(),
        ..TlsConfig::default()
    }
}

/// The error and all its sources, for matching the cause.
fn chain(error: &RequestError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(" / ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

async fn send(client: &HttpClient, url: &str) -> Result<reqwest::Response, RequestError> {
    client.execute(get(client, url)).await
}

async fn https_server(pki: &Pki) -> TestServer {
    TestServer::https(&ServerTls::new(pki.server(&[HOST])), |_| async {
        Reply::ok("secure")
    })
    .await
}

/// Acceptance 8: `ca_pem` with the test CA and the URL host pinned to 127.0.0.1.
#[tokio::test]
async fn trusted_ca_pem_succeeds() {
    let pki = Pki::new("test ca");
    let server = https_server(&pki).await;
    let client = HttpClient::build(&with_tls(ca(&pki)), &options(&server)).unwrap();
    let response = send(&client, &server.https_url(HOST, "/")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "secure");
}

/// Acceptance 8: no CA configured → the system roots do not know the test CA.
#[tokio::test]
async fn no_ca_is_a_handshake_error() {
    let pki = Pki::new("test ca");
    let server = https_server(&pki).await;
    let client = HttpClient::build(&HttpClientConfig::default(), &options(&server)).unwrap();
    let error = send(&client, &server.https_url(HOST, "/"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, RequestError::Transport(ref e) if e.is_connect()),
        "{error:?}"
    );
    assert!(chain(&error).contains("certificate"), "{}", chain(&error));
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn wrong_ca_is_refused() {
    let pki = Pki::new("test ca");
    let other = Pki::new("other ca");
    let server = https_server(&pki).await;
    let client = HttpClient::build(&with_tls(ca(&other)), &options(&server)).unwrap();
    let error = send(&client, &server.https_url(HOST, "/"))
        .await
        .unwrap_err();
    assert!(chain(&error).contains("UnknownIssuer"), "{}", chain(&error));
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn ca_file_is_used_and_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    let first = Pki::new("first ca");
    let second = Pki::new("second ca");
    std::fs::write(&ca_file, first.ca_pem()).unwrap();
    let server1 = https_server(&first).await;
    let server2 = https_server(&second).await;
    let tls = TlsConfig {
        ca_file: ca_file.display().to_string(),
        ..TlsConfig::default()
    };
    let opts = ClientOptions {
        resolve: vec![(HOST.to_owned(), server1.addr)],
        ..ClientOptions::default()
    };
    let client = HttpClient::build(&with_tls(tls), &opts).unwrap();
    let url1 = server1.https_url(HOST, "/");
    let url2 = server2.https_url(HOST, "/");
    // The pinned name resolves to 127.0.0.1; the URL's port picks the server.
    send(&client, &url1).await.unwrap();
    assert!(send(&client, &url2).await.is_err());

    // Rotation: the next new connection trusts the new CA, without rebuilding the client.
    std::fs::write(&ca_file, second.ca_pem()).unwrap();
    send(&client, &url2).await.unwrap();

    // Content that does not load keeps the previous CA.
    std::fs::write(&ca_file, "garbage").unwrap();
    let server3 = https_server(&second).await;
    send(&client, &server3.https_url(HOST, "/")).await.unwrap();
}

/// Acceptance 8: the URL names 127.0.0.1, `server_name` names the certificate.
#[tokio::test]
async fn server_name_overrides_the_verified_name() {
    let pki = Pki::new("test ca");
    let server = https_server(&pki).await;
    let url = server.https_url("127.0.0.1", "/");

    let without = HttpClient::build(&with_tls(ca(&pki)), &ClientOptions::default()).unwrap();
    let error = send(&without, &url).await.unwrap_err();
    assert!(
        chain(&error).contains("not valid for name"),
        "{}",
        chain(&error)
    );

    let tls = TlsConfig {
        server_name: HOST.to_owned(),
        ..ca(&pki)
    };
    let client = HttpClient::build(&with_tls(tls), &ClientOptions::default()).unwrap();
    assert_eq!(send(&client, &url).await.unwrap().status(), 200);

    let wrong = TlsConfig {
        server_name: "other.test".to_owned(),
        ..ca(&pki)
    };
    let client = HttpClient::build(&with_tls(wrong), &ClientOptions::default()).unwrap();
    assert!(send(&client, &url).await.is_err());
}

/// Acceptance 8: `insecure_skip_verify` with no CA.
#[tokio::test]
async fn insecure_skip_verify_accepts_any_certificate() {
    let pki = Pki::new("test ca");
    let server = https_server(&pki).await;
    let tls = TlsConfig {
        insecure_skip_verify: true,
        ..TlsConfig::default()
    };
    let client = HttpClient::build(&with_tls(tls), &ClientOptions::default()).unwrap();
    let response = send(&client, &server.https_url("127.0.0.1", "/"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn mtls_server(pki: &Pki) -> TestServer {
    let tls = ServerTls {
        client_ca_pem: Some(pki.ca_pem()),
        ..ServerTls::new(pki.server(&[HOST]))
    };
    TestServer::https(&tls, |_| async { Reply::ok("mtls") }).await
}

/// Acceptance 9: mutual TLS with `cert_file` + `key_file`, rotated without reload.
#[tokio::test]
async fn client_certificate_from_files_and_rotation() {
    let pki = Pki::new("test ca");
    let dir = tempfile::tempdir().unwrap();
    let first = pki.client("first client");
    let second = pki.client("second client");
    let (cert_file, key_file) = first.write(dir.path(), "client");
    let server = mtls_server(&pki).await;
    let tls = TlsConfig {
        cert_file: cert_file.display().to_string(),
        key_file: key_file.display().to_string(),
        ..ca(&pki)
    };
    let client = HttpClient::build(&with_tls(tls.clone()), &options(&server)).unwrap();
    let url = server.https_url(HOST, "/");
    assert_eq!(send(&client, &url).await.unwrap().status(), 200);
    assert_eq!(server.requests()[0].client_cert, Some(first.cert_der()));

    // Without a client certificate the server refuses the handshake.
    let without = HttpClient::build(&with_tls(ca(&pki)), &options(&server)).unwrap();
    assert!(send(&without, &url).await.is_err());
    assert_eq!(server.count(), 1);

    // Replace both files: new connections present the new certificate. A second server forces
    // a new connection (the first one stays pooled and open).
    second.write(dir.path(), "client");
    let server2 = mtls_server(&pki).await;
    let url2 = server2.https_url(HOST, "/");
    send(&client, &url2).await.unwrap();
    assert_eq!(server2.requests()[0].client_cert, Some(second.cert_der()));

    // A half-written rotation (certificate without its key) keeps the last good pair.
    std::fs::write(&cert_file, first.cert_pem.clone()).unwrap();
    let server3 = mtls_server(&pki).await;
    send(&client, &server3.https_url(HOST, "/")).await.unwrap();
    assert_eq!(server3.requests()[0].client_cert, Some(second.cert_der()));
}

#[tokio::test]
async fn inline_client_certificate() {
    let pki = Pki::new("test ca");
    let pair = pki.client("inline client");
    let server = mtls_server(&pki).await;
    let tls = TlsConfig {
        cert_pem: pair.cert_pem.clone(),
        key_pem: Secret::new(pair.key_pem.clone()),
        ..ca(&pki)
    };
    let client = HttpClient::build(&with_tls(tls), &options(&server)).unwrap();
    send(&client, &server.https_url(HOST, "/")).await.unwrap();
    assert_eq!(server.requests()[0].client_cert, Some(pair.cert_der()));
}

/// Acceptance 10: `min_version = "TLS13"` against a TLS 1.2-only server.
#[tokio::test]
async fn min_version_tls13_refuses_a_tls12_server() {
    let pki = Pki::new("test ca");
    let tls12 = ServerTls {
        tls12_only: true,
        ..ServerTls::new(pki.server(&[HOST]))
    };
    let server = TestServer::https(&tls12, |_| async { Reply::ok("old") }).await;
    let url = server.https_url(HOST, "/");

    let tls = TlsConfig {
        min_version: "TLS13".to_owned(),
        ..ca(&pki)
    };
    let client = HttpClient::build(&with_tls(tls), &options(&server)).unwrap();
    let error = send(&client, &url).await.unwrap_err();
    assert!(
        matches!(error, RequestError::Transport(ref e) if e.is_connect()),
        "{error:?}"
    );
    assert_eq!(server.count(), 0);

    let tls = TlsConfig {
        min_version: "TLS12".to_owned(),
        ..ca(&pki)
    };
    let client = HttpClient::build(&with_tls(tls), &options(&server)).unwrap();
    assert_eq!(send(&client, &url).await.unwrap().status(), 200);

    // TLS10 / TLS11 build (with a warning) and negotiate TLS 1.2.
    for version in ["TLS10", "TLS11"] {
        let tls = TlsConfig {
            min_version: version.to_owned(),
            ..ca(&pki)
        };
        let client = HttpClient::build(&with_tls(tls), &options(&server)).unwrap();
        assert_eq!(send(&client, &url).await.unwrap().status(), 200);
    }
}

/// Acceptance 11: HTTP/2 by ALPN when enabled; HTTP/1.1 otherwise and always over plain HTTP.
#[tokio::test]
async fn http2_by_alpn() {
    let pki = Pki::new("test ca");
    let server = https_server(&pki).await;
    let plain = TestServer::http_ok().await;
    for (enable, expected) in [
        (true, hyper::Version::HTTP_2),
        (false, hyper::Version::HTTP_11),
    ] {
        let cfg = HttpClientConfig {
            enable_http2: enable,
            ..with_tls(ca(&pki))
        };
        let client = HttpClient::build(&cfg, &options(&server)).unwrap();
        let response = send(&client, &server.https_url(HOST, "/")).await.unwrap();
        assert_eq!(response.version(), expected);
        assert_eq!(server.requests().last().unwrap().version, expected);

        let response = send(&client, &plain.http_url("/")).await.unwrap();
        assert_eq!(response.version(), reqwest::Version::HTTP_11);
        assert_eq!(
            plain.requests().last().unwrap().version,
            hyper::Version::HTTP_11
        );
    }
    // A server that offers only http/1.1 gets HTTP/1.1 from an HTTP/2-enabled client.
    let h1 = ServerTls {
        h2: false,
        ..ServerTls::new(pki.server(&[HOST]))
    };
    let server = TestServer::https(&h1, |_| async { Reply::ok("h1") }).await;
    let client = HttpClient::build(&with_tls(ca(&pki)), &options(&server)).unwrap();
    let response = send(&client, &server.https_url(HOST, "/")).await.unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
}

/// Acceptance 15 and the rest of §4's table.
#[test]
fn build_errors_have_the_spec_texts() {
    let pki = Pki::new("test ca");
    let dir = tempfile::tempdir().unwrap();
    let missing = "/nonexistent/ca.pem";
    let io_error = std::fs::read(missing).unwrap_err().to_string();
    let build = |tls: TlsConfig| {
        HttpClient::build(&with_tls(tls), &ClientOptions::default())
            .unwrap_err()
            .to_string()
    };

    assert_eq!(
        build(TlsConfig {
            ca_file: missing.to_owned(),
            ..TlsConfig::default()
        }),
        format!("unable to read CA cert: unable to read file {missing}: {io_error}")
    );
    assert_eq!(
        build(TlsConfig {
            ca_pem: "garbage".to_owned(),
            ..TlsConfig::default()
        }),
        "unable to use specified CA cert inline"
    );
    let garbage_file = dir.path().join("garbage.pem");
    std::fs::write(&garbage_file, "garbage").unwrap();
    assert_eq!(
        build(TlsConfig {
            ca_file: garbage_file.display().to_string(),
            ..TlsConfig::default()
        }),
        format!(
            "unable to use specified CA cert file {}",
            garbage_file.display()
        )
    );

    let first = pki.client("first");
    let second = pki.client("second");
    let (cert_file, key_file) = first.write(dir.path(), "first");
    assert_eq!(
        build(TlsConfig {
            cert_file: cert_file.display().to_string(),
            key_pem: Secret::new(second.key_pem.clone()),
            ..TlsConfig::default()
        }),
        format!(
            "unable to use specified client cert (file {}) & key (inline): private key does not match certificate",
            cert_file.display()
        )
    );
    assert_eq!(
        build(TlsConfig {
            cert_file: "/nonexistent/c.pem".to_owned(),
            key_file: key_file.display().to_string(),
            ..TlsConfig::default()
        }),
        format!(
            "unable to read specified client cert: unable to read file /nonexistent/c.pem: {}",
            std::fs::read("/nonexistent/c.pem").unwrap_err()
        )
    );
    assert_eq!(
        build(TlsConfig {
            cert_file: cert_file.display().to_string(),
            key_file: "/nonexistent/k.pem".to_owned(),
            ..TlsConfig::default()
        }),
        format!(
            "unable to read specified client key: unable to read file /nonexistent/k.pem: {}",
            std::fs::read("/nonexistent/k.pem").unwrap_err()
        )
    );
    assert_eq!(
        build(TlsConfig {
            cert_pem: "garbage".to_owned(),
            key_file: key_file.display().to_string(),
            ..TlsConfig::default()
        }),
        format!(
            "unable to use specified client cert (inline) & key (file {}): no certificate found in PEM input",
            key_file.display()
        )
    );
    let key_text = build(TlsConfig {
        cert_pem: first.cert_pem.clone(),
        key_pem: Secret::new(first.cert_pem.clone()),
        ..TlsConfig::default()
    });
    assert_eq!(
        key_text,
        "unable to use specified client cert (inline) & key (inline): no private key found in PEM input"
    );

    // A CA PEM with an undecodable block next to a good one is accepted (Go parity).
    let mixed = format!(
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n{}",
        pki.ca_pem()
    );
    HttpClient::build(
        &with_tls(TlsConfig {
            ca_pem: mixed,
            ..TlsConfig::default()
        }),
        &ClientOptions::default(),
    )
    .unwrap();

    // Invalid settings fail the build with the validation text.
    let error = HttpClient::build(
        &with_tls(TlsConfig {
            min_version: "TLS1.2".to_owned(),
            ..TlsConfig::default()
        }),
        &ClientOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(error, BuildError::Invalid(_)));
    assert_eq!(
        error.to_string(),
        "tls_config.min_version: unknown TLS version: TLS1.2"
    );
}

/// No build error shows key material.
#[test]
fn build_errors_show_no_key() {
    let pki = Pki::new("test ca");
    let first = pki.client("first");
    let second = pki.client("second");
    let error = HttpClient::build(
        &with_tls(TlsConfig {
            cert_pem: first.cert_pem.clone(),
            key_pem: Secret::new(second.key_pem.clone()),
            ..TlsConfig::default()
        }),
        &ClientOptions::default(),
    )
    .unwrap_err();
    let text = format!("{error} {error:?}");
    let key_body = second.key_pem.lines().nth(1).unwrap();
    assert!(!text.contains(key_body), "{text}");
}

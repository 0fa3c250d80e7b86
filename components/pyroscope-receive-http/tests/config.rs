//! Arguments (spec §2): defaults, validation messages, build failures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use ferroalloy_pyroscope_receive_http::config::parse_body_size;
use ferroalloy_pyroscope_receive_http::{ReceiveHttpArguments, TlsServerConfig};
use ferroalloy_test_util::decode_args;

fn errors(body: &str) -> Vec<String> {
    match decode_args::<ReceiveHttpArguments>(body) {
        Ok(args) => panic!("decoded: {args:?}"),
        Err(errors) => errors,
    }
}

#[test]
fn defaults() {
    let args = decode_args::<ReceiveHttpArguments>("forward_to = []").unwrap();
    assert_eq!(args, ReceiveHttpArguments::default());
    assert_eq!(args.graceful_shutdown_timeout.to_string(), "30s");
    assert_eq!(args.debug_info_upload_timeout.to_string(), "2m0s");
    assert_eq!(args.http.listen_address, "");
    assert_eq!(args.http.listen_port, 8080);
    assert_eq!(args.http.conn_limit, 16384);
    assert_eq!(args.http.server_read_timeout.to_string(), "30s");
    assert_eq!(args.http.server_write_timeout.to_string(), "30s");
    assert_eq!(args.http.server_idle_timeout.to_string(), "2m0s");
    assert_eq!(args.http.body_limit(), 256 * 1024 * 1024);
    assert!(!args.http.http2.enabled);
    assert_eq!(args.http.http2.max_concurrent_streams, 100);

    // A present block keeps the defaults of what it omits.
    let args = decode_args::<ReceiveHttpArguments>(
        "forward_to = []\nhttp {\n listen_port = 0\n http2 {\n enabled = true\n max_handlers = 5\n }\n}\ngrpc {\n listen_port = 9095\n max_connection_age = \"1m\"\n}",
    )
    .unwrap();
    assert_eq!(args.http.listen_port, 0);
    assert_eq!(args.http.conn_limit, 16384);
    assert!(args.http.http2.enabled);
    assert_eq!(args.http.http2.ignored_set(), vec!["max_handlers"]);
    assert!(args.grpc.is_some());
}

#[test]
fn forward_to_is_required() {
    let errors = errors("");
    assert!(
        errors.iter().any(|e| e.contains("forward_to")),
        "{errors:?}"
    );
}

#[test]
fn body_sizes() {
    assert_eq!(parse_body_size("256MiB"), Ok(256 << 20));
    assert_eq!(parse_body_size("1KB"), Ok(1024));
    assert_eq!(parse_body_size("1KiB"), Ok(1024));
    assert_eq!(parse_body_size("2GB"), Ok(2 << 30));
    assert_eq!(parse_body_size("100"), Ok(100));
    assert_eq!(parse_body_size("100B"), Ok(100));
    for bad in ["", "0", "-1", "1.5MiB", "1 MiB", "1TB", "MiB", "1kb"] {
        assert_eq!(
            parse_body_size(bad),
            Err(format!("invalid max_request_body_size {bad:?}")),
            "{bad}"
        );
    }
    let errors = errors("forward_to = []\nhttp {\n max_request_body_size = \"lots\"\n}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("invalid max_request_body_size \"lots\"")),
        "{errors:?}"
    );
}

#[test]
fn ranges() {
    let errors = errors(
        "forward_to = []\nhttp {\n listen_port = 70000\n conn_limit = -1\n server_idle_timeout = \"-1s\"\n}",
    );
    let text = errors.join("\n");
    assert!(
        text.contains("listen_port must be between 0 and 65535"),
        "{text}"
    );
    assert!(text.contains("conn_limit must not be negative"), "{text}");
    assert!(
        text.contains("server_idle_timeout must not be negative"),
        "{text}"
    );
}

fn tls_error(tls: TlsServerConfig) -> String {
    use ferroalloy_component::Arguments as _;
    let mut args = args(Vec::new());
    args.http.tls = Some(tls);
    args.validate().unwrap_err().to_string()
}

#[test]
fn tls_rules_in_order() {
    let secret = || Some(ferroalloy_value::Secret::new("k"));
    let cases = [
        (
            TlsServerConfig {
                cert_pem: "c".into(),
                cert_file: "f".into(),
                key_file: "k".into(),
                key_pem: secret(),
                ..TlsServerConfig::default()
            },
            "at most one of cert_pem and cert_file must be configured",
        ),
        (
            TlsServerConfig {
                cert_pem: "c".into(),
                key_file: "k".into(),
                key_pem: secret(),
                ..TlsServerConfig::default()
            },
            "at most one of key_pem and key_file must be configured",
        ),
        (
            TlsServerConfig {
                cert_pem: "c".into(),
                key_file: "k".into(),
                client_ca: "x".into(),
                client_ca_file: "y".into(),
                ..TlsServerConfig::default()
            },
            "at most one of client_ca and client_ca_file must be configured",
        ),
        (
            TlsServerConfig {
                cert_pem: "c".into(),
                ..TlsServerConfig::default()
            },
            "a server certificate requires a key",
        ),
        (
            TlsServerConfig {
                key_pem: secret(),
                ..TlsServerConfig::default()
            },
            "a server key requires a certificate",
        ),
        (
            TlsServerConfig {
                cert_pem: "c".into(),
                key_file: "k".into(),
                client_auth_type: "Sometimes".into(),
                ..TlsServerConfig::default()
            },
            "unknown client_auth_type \"Sometimes\"",
        ),
        (
            TlsServerConfig {
                cert_pem: "c".into(),
                key_file: "k".into(),
                min_version: "TLS12".into(),
                ..TlsServerConfig::default()
            },
            "unknown min_version \"TLS12\"",
        ),
    ];
    for (tls, expected) in cases {
        let text = tls_error(tls);
        assert!(text.contains(expected), "{text} / {expected}");
    }
}

#[tokio::test]
async fn unusable_certificate_fails_the_build() {
    let mut a = args(Vec::new());
    a.http.tls = Some(TlsServerConfig {
        cert_pem: "not a pem".into(),
        key_pem: Some(ferroalloy_value::Secret::new("nope")),
        ..TlsServerConfig::default()
    });
    let failure = Harness::build(a).await.expect_err("build fails");
    assert!(
        failure
            .error
            .to_string()
            .starts_with("failed to load server certificate: "),
        "{}",
        failure.error
    );
    let mut a = args(Vec::new());
    a.http.tls = Some(TlsServerConfig {
        cert_file: "/nonexistent/cert.pem".into(),
        key_file: "/nonexistent/key.pem".into(),
        ..TlsServerConfig::default()
    });
    let failure = Harness::build(a).await.expect_err("build fails");
    assert!(
        failure.error.to_string().contains(
            "failed to load server certificate: failed to read certificate /nonexistent/cert.pem"
        ),
        "{}",
        failure.error
    );
}

#[tokio::test]
async fn a_port_in_use_fails_the_build() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut a = args(Vec::new());
    a.http.listen_port = i64::from(port);
    let failure = Harness::build(a).await.expect_err("build fails");
    let text = failure.error.to_string();
    assert!(
        text.starts_with(&format!(
            "failed to create server: listen tcp 127.0.0.1:{port}: "
        )),
        "{text}"
    );
}

//! Proxies over real loopback servers (Acceptance 13, 14; spec §8): `proxy_url` for every
//! request, `no_proxy` and its loopback exemption, `CONNECT` with `proxy_connect_header` and
//! `Proxy-Authorization`, and environment proxies only when asked.
//!
//! The environment tests cannot set variables in this process (`set_var` is `unsafe` in edition
//! 2024 and the workspace forbids `unsafe`), so each runs this test binary again as a child with
//! the variables set on the child alone: `env_child` does the client's part there, the parent
//! runs the proxy and the target and checks what they saw. The environment of the test process
//! itself is never changed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use ferroalloy_http_client::{ClientOptions, HttpClient, HttpClientConfig, ProxyConfig, TlsConfig};
use ferroalloy_value::Secret;
use support::{Pki, RecordingProxy, Reply, ServerTls, SocksProxy, SocksRecord, TestServer, get};

fn proxied(proxy: ProxyConfig) -> HttpClientConfig {
    HttpClientConfig {
        proxy,
        ..HttpClientConfig::default()
    }
}

/// Acceptance 13: `proxy_url` alone proxies every request, loopback included, in absolute form.
#[tokio::test]
async fn proxy_url_alone_proxies_loopback() {
    let proxy = RecordingProxy::start().await;
    let server = TestServer::http_ok().await;
    let cfg = proxied(ProxyConfig {
        proxy_url: proxy.url(),
        ..ProxyConfig::default()
    });
    let client = HttpClient::build(&cfg, &ClientOptions::default()).unwrap();
    let url = server.http_url("/push?x=1");
    let response = client.execute(get(&client, &url)).await.unwrap();
    assert_eq!(response.text().await.unwrap(), "via proxy");
    let records = proxy.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].method, "GET");
    assert_eq!(records[0].target, url);
    assert_eq!(server.count(), 0);
}

/// Acceptance 13: with any `no_proxy`, Go's rules apply, and loopback goes direct.
#[tokio::test]
async fn no_proxy_exempts_loopback() {
    let proxy = RecordingProxy::start().await;
    let server = TestServer::http_ok().await;
    let cfg = proxied(ProxyConfig {
        proxy_url: proxy.url(),
        no_proxy: "192.0.2.1".to_owned(),
        ..ProxyConfig::default()
    });
    let client = HttpClient::build(&cfg, &ClientOptions::default()).unwrap();
    let response = client
        .execute(get(&client, &server.http_url("/")))
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "ok");
    assert_eq!(server.count(), 1);
    assert!(proxy.records().is_empty());
}

/// `no_proxy` entries by domain and port, on names pinned to 127.0.0.1 (no loopback exemption
/// for names).
#[tokio::test]
async fn no_proxy_domains_and_ports() {
    let proxy = RecordingProxy::start().await;
    let server = TestServer::http_ok().await;
    let port = server.addr.port();
    let cfg = proxied(ProxyConfig {
        proxy_url: proxy.url(),
        no_proxy: format!(
            "10.0.0.0/33, ,direct.test, .sub.test, other.test:{}",
            port + 1
        ),
        ..ProxyConfig::default()
    });
    let names = [
        "direct.test",
        "a.direct.test",
        "sub.test",
        "a.sub.test",
        "other.test",
    ];
    let opts = ClientOptions {
        resolve: names
            .iter()
            .map(|n| ((*n).to_owned(), server.addr))
            .collect(),
        ..ClientOptions::default()
    };
    let client = HttpClient::build(&cfg, &opts).unwrap();
    let mut expected_proxied = Vec::new();
    for (name, direct) in [
        ("direct.test", true),
        ("a.direct.test", true),
        ("sub.test", false),
        ("a.sub.test", true),
        ("other.test", false),
    ] {
        let url = format!("http://{name}:{port}/");
        let body = client
            .execute(get(&client, &url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, if direct { "ok" } else { "via proxy" }, "{name}");
        if !direct {
            expected_proxied.push(url);
        }
    }
    let targets: Vec<String> = proxy.records().into_iter().map(|r| r.target).collect();
    assert_eq!(targets, expected_proxied);
}

/// Acceptance 13: `https://` goes through `CONNECT`, which carries `proxy_connect_header` (one
/// line per value) and `Proxy-Authorization` from the proxy URL's userinfo; a plain-HTTP request
/// forwarded through the same proxy carries the credentials but not the connect headers.
#[tokio::test]
async fn connect_carries_proxy_connect_header() {
    let pki = Pki::new("test ca");
    let tls_server = TestServer::https(
        &ServerTls::new(pki.server(&["pyroscope.test"])),
        |_| async { Reply::ok("tunnelled") },
    )
    .await;
    let plain = TestServer::http_ok().await;
    let proxy = RecordingProxy::start().await;
    let mut connect_headers = BTreeMap::new();
    connect_headers.insert(
        "X-Proxy-Tenant".to_owned(),
        vec![Secret::new("t1"), Secret::new("t2")],
    );
    let proxy_url = format!("http://al%20ice:pa%3Ass@{}", proxy.addr);
    let cfg = HttpClientConfig {
        proxy: ProxyConfig {
            proxy_url,
            proxy_connect_header: connect_headers,
            ..ProxyConfig::default()
        },
        tls_config: TlsConfig {
            ca_pem: pki.ca_pem(),
            ..TlsConfig::default()
        },
        ..HttpClientConfig::default()
    };
    let opts = ClientOptions {
        resolve: vec![("pyroscope.test".to_owned(), tls_server.addr)],
        ..ClientOptions::default()
    };
    let client = HttpClient::build(&cfg, &opts).unwrap();
    let expected_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("al ice:pa:ss")
    );

    let response = client
        .execute(get(
            &client,
            &tls_server.https_url("pyroscope.test", "/secure"),
        ))
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "tunnelled");
    let records = proxy.records();
    assert_eq!(records.len(), 1);
    let connect = &records[0];
    assert_eq!(connect.method, "CONNECT");
    assert_eq!(
        connect.target,
        format!("pyroscope.test:{}", tls_server.addr.port())
    );
    assert_eq!(connect.values("x-proxy-tenant"), ["t1", "t2"]);
    assert_eq!(
        connect.values("proxy-authorization"),
        std::slice::from_ref(&expected_auth)
    );
    // Inside the tunnel the server sees neither the proxy's credentials nor its headers.
    let inner = &tls_server.requests()[0];
    // HTTP/2 through the tunnel (ALPN), so the server sees the full URI.
    assert_eq!(inner.version, hyper::Version::HTTP_2);
    assert!(inner.uri.ends_with("/secure"), "{}", inner.uri);
    assert!(inner.header("proxy-authorization").is_none());
    assert!(inner.header("x-proxy-tenant").is_none());

    // A plain-HTTP request forwarded in absolute form: credentials, no connect headers.
    let url = plain.http_url("/plain");
    let response = client.execute(get(&client, &url)).await.unwrap();
    assert_eq!(response.text().await.unwrap(), "via proxy");
    let records = proxy.records();
    assert_eq!(records.len(), 2);
    let forwarded = &records[1];
    assert_eq!(forwarded.method, "GET");
    assert_eq!(forwarded.target, url);
    assert!(
        forwarded.values("x-proxy-tenant").is_empty(),
        "{forwarded:?}"
    );
    assert_eq!(forwarded.values("proxy-authorization"), [expected_auth]);
}

/// SOCKS proxies: `socks5h` sends the name, `socks5` the resolved address; userinfo becomes the
/// SOCKS credentials; neither `proxy_connect_header` nor `Proxy-Authorization` is sent anywhere.
#[tokio::test]
async fn socks5_proxies() {
    let socks = SocksProxy::start().await;
    let server = TestServer::http_ok().await;
    let port = server.addr.port();
    let mut connect_headers = BTreeMap::new();
    connect_headers.insert("X-Proxy-Tenant".to_owned(), vec![Secret::new("t1")]);
    let opts = ClientOptions {
        resolve: vec![("target.test".to_owned(), server.addr)],
        ..ClientOptions::default()
    };
    let url = format!("http://target.test:{port}/via-socks");

    let cfg = proxied(ProxyConfig {
        proxy_url: format!("socks5h://user:pa%3Ass@{}", socks.addr),
        proxy_connect_header: connect_headers,
        ..ProxyConfig::default()
    });
    let client = HttpClient::build(&cfg, &opts).unwrap();
    let response = client.execute(get(&client, &url)).await.unwrap();
    assert_eq!(response.text().await.unwrap(), "ok");

    let cfg = proxied(ProxyConfig {
        proxy_url: format!("socks5://{}", socks.addr),
        ..ProxyConfig::default()
    });
    let client = HttpClient::build(&cfg, &opts).unwrap();
    client.execute(get(&client, &url)).await.unwrap();

    assert_eq!(
        socks.records(),
        [
            SocksRecord {
                credentials: Some(("user".to_owned(), "pa:ss".to_owned())),
                target: format!("target.test:{port}"),
            },
            SocksRecord {
                credentials: None,
                target: format!("127.0.0.1:{port}"),
            },
        ]
    );
    for request in server.requests() {
        assert_eq!(request.uri, "/via-socks");
        assert!(request.header("x-proxy-tenant").is_none());
        assert!(request.header("proxy-authorization").is_none());
    }
}

/// The proxy URL's password never shows in the client's `Debug`.
#[test]
fn proxy_password_is_not_shown() {
    let cfg = proxied(ProxyConfig {
        proxy_url: "http://user:hunter2@127.0.0.1:3128".to_owned(),
        ..ProxyConfig::default()
    });
    let client = HttpClient::build(&cfg, &ClientOptions::default()).unwrap();
    let text = format!("{cfg:?} {client:?}");
    assert!(!text.contains("hunter2"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// environment proxies, through a child process

/// Variables the child reads: which settings to build and where to send.
const CHILD: &str = "FA_HTTP_CLIENT_ENV_CHILD";
const CHILD_URL: &str = "FA_HTTP_CLIENT_ENV_URL";
const CHILD_FROM_ENV: &str = "FA_HTTP_CLIENT_ENV_FROM_ENV";
const CHILD_EXPECT: &str = "FA_HTTP_CLIENT_ENV_EXPECT";
const CHILD_PIN: &str = "FA_HTTP_CLIENT_ENV_PIN";

/// The child's part: does nothing in a normal run. With [`CHILD`] set, builds a client with
/// `proxy_from_environment` from [`CHILD_FROM_ENV`], sends one GET to [`CHILD_URL`] and checks
/// the body against [`CHILD_EXPECT`].
#[tokio::test]
async fn env_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let var = |name: &str| std::env::var(name).unwrap();
    let cfg = proxied(ProxyConfig {
        proxy_from_environment: var(CHILD_FROM_ENV) == "true",
        ..ProxyConfig::default()
    });
    let mut opts = ClientOptions::default();
    if let Ok(pin) = std::env::var(CHILD_PIN) {
        let (name, addr) = pin.split_once('=').unwrap();
        opts.resolve.push((name.to_owned(), addr.parse().unwrap()));
    }
    let client = HttpClient::build(&cfg, &opts).unwrap();
    let response = client.execute(get(&client, &var(CHILD_URL))).await.unwrap();
    assert_eq!(response.text().await.unwrap(), var(CHILD_EXPECT));
}

/// Run [`env_child`] with `vars` set and every proxy variable of the parent removed.
async fn run_child(vars: Vec<(&'static str, String)>) {
    let exe = std::env::current_exe().unwrap();
    let status = tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(exe);
        command.args(["--exact", "env_child", "--test-threads=1", "--nocapture"]);
        for name in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "NO_PROXY",
            "no_proxy",
            "ALL_PROXY",
            "all_proxy",
            "REQUEST_METHOD",
        ] {
            command.env_remove(name);
        }
        command.env(CHILD, "1");
        for (name, value) in vars {
            command.env(name, value);
        }
        command.output().unwrap()
    });
    let output = tokio::time::timeout(Duration::from_secs(60), status)
        .await
        .expect("child finishes")
        .unwrap();
    assert!(
        output.status.success(),
        "child failed: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The child really ran the test (a filter matching nothing would pass vacuously).
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Acceptance 14: `HTTP_PROXY` without a scheme, `NO_PROXY` unset → an `http://example.invalid/`
/// request goes through the proxy.
#[tokio::test]
async fn proxy_from_environment_uses_http_proxy() {
    let proxy = RecordingProxy::start().await;
    run_child(vec![
        ("HTTP_PROXY", proxy.addr.to_string()),
        (CHILD_FROM_ENV, "true".to_owned()),
        (CHILD_URL, "http://example.invalid/".to_owned()),
        (CHILD_EXPECT, "via proxy".to_owned()),
    ])
    .await;
    let records = proxy.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].target, "http://example.invalid/");
}

/// Environment proxies are ignored unless asked for, and `NO_PROXY` is honoured when they are.
#[tokio::test]
async fn environment_is_ignored_unless_asked_and_no_proxy_honoured() {
    let proxy = RecordingProxy::start().await;
    let server = TestServer::http_ok().await;
    let url = format!("http://target.test:{}/", server.addr.port());
    let pin = format!("target.test={}", server.addr);
    run_child(vec![
        ("HTTP_PROXY", proxy.url()),
        (CHILD_FROM_ENV, "false".to_owned()),
        (CHILD_URL, url.clone()),
        (CHILD_PIN, pin.clone()),
        (CHILD_EXPECT, "ok".to_owned()),
    ])
    .await;
    run_child(vec![
        ("http_proxy", proxy.url()),
        ("no_proxy", "target.test".to_owned()),
        (CHILD_FROM_ENV, "true".to_owned()),
        (CHILD_URL, url.clone()),
        (CHILD_PIN, pin.clone()),
        (CHILD_EXPECT, "ok".to_owned()),
    ])
    .await;
    // CGI: with REQUEST_METHOD set, HTTP_PROXY is not used.
    run_child(vec![
        ("HTTP_PROXY", proxy.url()),
        ("REQUEST_METHOD", "GET".to_owned()),
        (CHILD_FROM_ENV, "true".to_owned()),
        (CHILD_URL, url.clone()),
        (CHILD_PIN, pin.clone()),
        (CHILD_EXPECT, "ok".to_owned()),
    ])
    .await;
    assert!(proxy.records().is_empty());
    assert_eq!(server.count(), 3);
    // The same name goes through the proxy when NO_PROXY does not name it.
    run_child(vec![
        ("HTTP_PROXY", proxy.url()),
        ("NO_PROXY", "elsewhere.test".to_owned()),
        (CHILD_FROM_ENV, "true".to_owned()),
        (CHILD_URL, url.clone()),
        (CHILD_PIN, pin),
        (CHILD_EXPECT, "via proxy".to_owned()),
    ])
    .await;
    assert_eq!(proxy.records().len(), 1);
    assert_eq!(proxy.records()[0].target, url);
}

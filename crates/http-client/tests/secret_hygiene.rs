//! Secret hygiene (spec §11): `Debug` output, errors and logs never show secret values, file
//! contents, tokens or the password of a URL. Every test records everything `tracing` emits
//! (all levels, this thread's tasks) while it runs and checks that too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/alloy.rs"]
pub mod alloy;
#[path = "support/token_server.rs"]
pub mod token_server;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use alloy::{config, get, lit};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ferroalloy_http_client::auth::RequestAuth;
use ferroalloy_http_client::{ClientOptions, HttpClient};
use token_server::{Reply, ScriptedServer};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Every secret value the tests configure; none may appear anywhere.
const SECRETS: [&str; 11] = [
    "bearer-SECRET-1",
    "basic-SECRET-2",
    "credentials-SECRET-3",
    "client-SECRET-4",
    "header-SECRET-5",
    "connect-SECRET-6",
    "proxypw-SECRET-7",
    "key-SECRET-8",
    "file-SECRET-9",
    "token-SECRET-10",
    "urlpw-SECRET-11",
];

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows {secret}: {text}");
    }
    // Nor their base64 in `Basic` credentials (`u:<secret>`, `id:<secret>`).
    for user in ["u", "id"] {
        for secret in SECRETS {
            let encoded = BASE64.encode(format!("{user}:{secret}"));
            assert!(
                !text.contains(&encoded),
                "{what} shows {user}:{secret}: {text}"
            );
        }
    }
}

/// A `tracing` subscriber that writes every span field and event into one string.
#[derive(Clone, Default)]
struct Capture {
    text: Arc<Mutex<String>>,
    next_id: Arc<AtomicU64>,
}

struct Writer<'a>(&'a mut String);

impl Visit for Writer<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        span.record(&mut Writer(&mut self.text.lock().unwrap()));
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut Writer(&mut self.text.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = self.text.lock().unwrap();
        text.push('\n');
        text.push_str(event.metadata().target());
        event.record(&mut Writer(&mut text));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

impl Capture {
    fn text(&self) -> String {
        self.text.lock().unwrap().clone()
    }
}

/// Run `test` on a current-thread runtime with every `tracing` event captured; the capture.
fn with_logs<F: Future<Output = ()>>(test: impl FnOnce() -> F) -> String {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(test());
    capture.text()
}

fn every_secret_config(token_url: &str, key_pem: &str, cert_pem: &str) -> String {
    format!(
        r#"http_headers = {{ "X-Api-Key" = ["header-SECRET-5", "header-SECRET-5b"] }}
        proxy_url = "http://user:proxypw-SECRET-7@127.0.0.1:3128"
        proxy_connect_header = {{ "X-Connect" = ["connect-SECRET-6"] }}
        oauth2 {{
            client_id = "id"
            client_secret = "client-SECRET-4"
            token_url = {}
            proxy_url = "http://user:proxypw-SECRET-7@127.0.0.1:3129"
            proxy_connect_header = {{ "X-Connect" = ["connect-SECRET-6"] }}
            tls_config {{
                cert_pem = {}
                key_pem = {}
            }}
        }}
        tls_config {{
            cert_pem = {}
            key_pem = {}
        }}"#,
        lit(token_url),
        lit(cert_pem),
        lit(key_pem),
        lit(cert_pem),
        lit(key_pem),
    )
}

/// A self-signed certificate and its key, with a marker inside the key's PEM text so that a
/// leak of the key is visible (the marker sits in a PEM comment line rustls skips).
fn cert_and_key() -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let key_pem = format!("key-SECRET-8\n{}", key.serialize_pem());
    (cert.pem(), key_pem)
}

#[test]
fn debug_of_settings_and_clients_shows_no_secret() {
    let logs = with_logs(|| async {
        let (cert, key) = cert_and_key();
        let cfg = config(&every_secret_config(
            "https://id:urlpw-SECRET-11@127.0.0.1:1/token",
            &key,
            &cert,
        ));
        assert_clean("config Debug", &format!("{cfg:?}"));
        assert_clean("config Debug (alternate)", &format!("{cfg:#?}"));
        assert_clean(
            "normalized config Debug",
            &format!("{:?}", cfg.normalized()),
        );

        let client = HttpClient::build(&cfg, &ClientOptions::default()).unwrap();
        assert_clean("client Debug", &format!("{client:?}"));

        for body in [
            r#"bearer_token = "bearer-SECRET-1""#,
            r#"basic_auth {
                username = "u"
                password = "basic-SECRET-2"
            }"#,
            r#"authorization {
                type = "Token"
                credentials = "credentials-SECRET-3"
            }"#,
        ] {
            let cfg = config(body);
            assert_clean("config Debug", &format!("{cfg:?}"));
            let client = alloy::client(body);
            assert_clean("client Debug", &format!("{client:?}"));
        }
    });
    assert_clean("logs", &logs);
}

#[test]
fn requests_after_auth_print_credentials_as_sensitive() {
    let logs = with_logs(|| async {
        let tokens = ScriptedServer::always(Reply::token("token-SECRET-10", 3600)).await;
        for body in [
            r#"bearer_token = "bearer-SECRET-1""#.to_owned(),
            r#"basic_auth {
                username = "u"
                password = "basic-SECRET-2"
            }"#
            .to_owned(),
            format!(
                r#"oauth2 {{
                    client_id = "id"
                    client_secret = "client-SECRET-4"
                    token_url = {}
                }}"#,
                lit(&tokens.url("/token"))
            ),
        ] {
            let cfg = config(&body).normalized();
            let auth = RequestAuth::from_config(&cfg, &ClientOptions::default()).unwrap();
            let url = reqwest::Url::parse("http://127.0.0.1:1/").unwrap();
            let mut req = reqwest::Request::new(reqwest::Method::GET, url);
            auth.apply(&mut req).await.unwrap();
            let value = req.headers().get(reqwest::header::AUTHORIZATION).unwrap();
            assert!(value.is_sensitive());
            assert_clean("request Debug", &format!("{req:?}"));
            assert_clean("auth Debug", &format!("{auth:?}"));
        }
    });
    assert_clean("logs", &logs);
}

#[test]
fn errors_name_files_by_path_only_and_hide_url_passwords() {
    let logs = with_logs(|| async {
        let dir = tempfile::tempdir().unwrap();
        // A file whose content cannot be used: not UTF-8, with a secret inside.
        let path = dir.path().join("token");
        let mut content = b"file-SECRET-9".to_vec();
        content.push(0xff);
        std::fs::write(&path, &content).unwrap();
        let server = ScriptedServer::always(Reply::ok()).await;
        let client = alloy::client(&format!(
            "bearer_token_file = {}",
            lit(&path.display().to_string())
        ));
        let err = get(&client, &server.url("/")).await.unwrap_err();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert_clean("file read error", &err);
        assert_eq!(server.count(), 0);

        // A request URL with a password that fails in transport.
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let client = alloy::client("");
        let err = get(
            &client,
            &format!("http://user:urlpw-SECRET-11@127.0.0.1:{closed}/"),
        )
        .await
        .unwrap_err();
        assert_clean("transport error", &err);

        // A token URL with a password that cannot be reached.
        let client = alloy::client(&format!(
            r#"oauth2 {{
                client_id = "id"
                client_secret = "client-SECRET-4"
                token_url = "http://id:urlpw-SECRET-11@127.0.0.1:{closed}/token"
            }}"#
        ));
        let err = get(&client, &server.url("/")).await.unwrap_err();
        assert!(err.starts_with("oauth2: cannot fetch token: "), "{err}");
        assert_clean("token transport error", &err);
    });
    assert_clean("logs", &logs);
}

#[test]
fn token_endpoint_failures_show_neither_secret_nor_token() {
    let logs = with_logs(|| async {
        let resource = ScriptedServer::always(Reply::ok()).await;
        for reply in [
            Reply::with(
                401,
                Some("application/json"),
                r#"{"error":"invalid_client"}"#,
            ),
            Reply::with(500, Some("text/plain"), "boom"),
            Reply::json(r#"{"access_token":"token-SECRET-10","error":"odd"}"#),
            Reply::json(r#"{"access_token":"token-SECRET-10","expires_in":"soon"}"#),
        ] {
            let tokens = ScriptedServer::always(reply).await;
            let client = alloy::client(&format!(
                r#"oauth2 {{
                    client_id = "id"
                    client_secret = "client-SECRET-4"
                    token_url = {}
                }}"#,
                lit(&tokens.url("/token"))
            ));
            let err = get(&client, &resource.url("/")).await.unwrap_err();
            assert!(err.starts_with("oauth2: "), "{err}");
            assert_clean("token error", &err);
        }
        assert_eq!(resource.count(), 0);
    });
    // The capture works: the failed fetches were logged (without their secrets).
    assert!(logs.contains("oauth2 token fetch failed"), "{logs}");
    assert_clean("logs", &logs);
}

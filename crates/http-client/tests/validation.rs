//! Validation of the settings (spec §3, Bad input §13, Acceptance 16): each rule with its exact
//! text, written in the configuration language and decoded as a component decodes its `endpoint`
//! block; the first failing rule wins; defaults; secrets never in `Debug`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use ferroalloy_http_client::{HttpClientConfig, TlsConfig};
use ferroalloy_value::Secret;
use support::decode;

/// Decoding `body` fails with exactly `message`.
#[track_caller]
fn rejects(body: &str, message: &str) {
    match decode(body) {
        Ok(cfg) => panic!("accepted: {body}\n{cfg:?}"),
        Err(messages) => assert_eq!(messages, vec![message.to_owned()], "for {body}"),
    }
}

/// Decoding `body` succeeds.
#[track_caller]
fn accepts(body: &str) -> HttpClientConfig {
    decode(body).unwrap_or_else(|e| panic!("rejected: {body}: {e:?}"))
}

/// The path and message of `cfg.validate()`'s error.
#[track_caller]
fn error_of(cfg: &HttpClientConfig) -> (String, String) {
    let errors = cfg.validate().expect_err("expected an error");
    assert_eq!(errors.0.len(), 1, "only the first failure is reported");
    (errors.0[0].path.to_string(), errors.0[0].message.clone())
}

const METHODS: &str = "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured";

#[test]
fn defaults_are_alloys() {
    let cfg = accepts("");
    assert_eq!(cfg, HttpClientConfig::default());
    assert!(cfg.enable_http2);
    assert!(cfg.follow_redirects);
    assert!(!cfg.proxy.proxy_from_environment);
    assert!(cfg.basic_auth.is_none() && cfg.authorization.is_none() && cfg.oauth2.is_none());
    assert_eq!(cfg.tls_config, TlsConfig::default());
    assert!(!cfg.tls_config.insecure_skip_verify);
    assert!(cfg.validate().is_ok());
}

#[test]
fn every_setting_decodes() {
    let cfg = accepts(
        r#"
        enable_http2 = false
        follow_redirects = false
        http_headers = { "X-Scope-OrgID" = ["a", "b"] }
        proxy_url = "http://proxy:3128"
        no_proxy = "10.0.0.0/8"
        proxy_connect_header = { "X-Proxy" = ["p"] }
        oauth2 {
            client_id = "id"
            client_secret_file = "/s"
            scopes = ["a", "b"]
            token_url = "https://t/token"
            endpoint_params = { audience = "x" }
            proxy_from_environment = true
            tls_config {
                ca_file = "/ca"
                min_version = "TLS13"
            }
        }
        tls_config {
            ca_pem = "pem"
            cert_file = "/c"
            key_pem = "k"
            server_name = "pyroscope.test"
            insecure_skip_verify = true
            min_version = "TLS12"
        }
        "#,
    );
    assert!(!cfg.enable_http2 && !cfg.follow_redirects);
    assert_eq!(
        cfg.http_headers["X-Scope-OrgID"],
        vec![Secret::new("a"), Secret::new("b")]
    );
    assert_eq!(cfg.proxy.proxy_url, "http://proxy:3128");
    assert_eq!(cfg.proxy.no_proxy, "10.0.0.0/8");
    assert_eq!(
        cfg.proxy.proxy_connect_header["X-Proxy"],
        vec![Secret::new("p")]
    );
    let oauth2 = cfg.oauth2.as_ref().unwrap();
    assert_eq!(oauth2.scopes, ["a", "b"]);
    assert_eq!(oauth2.endpoint_params["audience"], "x");
    assert!(oauth2.proxy.proxy_from_environment);
    assert_eq!(oauth2.tls_config.min_version, "TLS13");
    assert_eq!(cfg.tls_config.key_pem, Secret::new("k"));
    assert!(cfg.tls_config.insecure_skip_verify);
}

// §13, line by line, in the table's order.

#[test]
fn bearer_token_with_bearer_token_file() {
    rejects(
        r#"bearer_token = "a"
        bearer_token_file = "/f""#,
        METHODS,
    );
}

#[test]
fn bearer_token_with_basic_auth() {
    rejects(
        r#"bearer_token = "a"
        basic_auth {
            username = "u"
        }"#,
        METHODS,
    );
}

#[test]
fn basic_auth_password_with_password_file() {
    rejects(
        r#"basic_auth {
            password = "p"
            password_file = "/f"
        }"#,
        "at most one of basic_auth password & password_file must be configured",
    );
}

#[test]
fn authorization_type_basic() {
    rejects(
        r#"authorization {
            type = "Basic"
            credentials = "x"
        }"#,
        r#"authorization type cannot be set to "basic", use "basic_auth" block instead"#,
    );
    // Trimmed and case-insensitive.
    rejects(
        r#"authorization {
            type = " bAsIc "
        }"#,
        r#"authorization type cannot be set to "basic", use "basic_auth" block instead"#,
    );
}

#[test]
fn authorization_credentials_with_credentials_file() {
    rejects(
        r#"authorization {
            credentials = "x"
            credentials_file = "/f"
        }"#,
        "at most one of authorization credentials & credentials_file must be configured",
    );
    // Checked before the type.
    rejects(
        r#"authorization {
            type = "basic"
            credentials = "x"
            credentials_file = "/f"
        }"#,
        "at most one of authorization credentials & credentials_file must be configured",
    );
}

#[test]
fn oauth2_without_client_id() {
    rejects(
        r#"oauth2 {
            client_secret = "s"
            token_url = "https://t"
        }"#,
        "oauth2 client_id must be configured",
    );
}

#[test]
fn oauth2_without_secret() {
    rejects(
        r#"oauth2 {
            client_id = "i"
            token_url = "https://t"
        }"#,
        "either oauth2 client_secret or client_secret_file must be configured",
    );
}

#[test]
fn oauth2_without_token_url() {
    rejects(
        r#"oauth2 {
            client_id = "i"
            client_secret = "s"
        }"#,
        "oauth2 token_url must be configured",
    );
}

#[test]
fn oauth2_with_both_secrets() {
    rejects(
        r#"oauth2 {
            client_id = "i"
            client_secret = "s"
            client_secret_file = "/f"
            token_url = "https://t"
        }"#,
        "at most one of oauth2 client_secret & client_secret_file must be configured",
    );
}

#[test]
fn oauth2_no_proxy_without_proxy_url() {
    rejects(
        r#"oauth2 {
            client_id = "i"
            client_secret = "s"
            token_url = "https://t"
            no_proxy = "x"
        }"#,
        "if no_proxy is configured, proxy_url must also be configured",
    );
}

#[test]
fn tls_ca_pem_with_ca_file() {
    rejects(
        r#"tls_config {
            ca_pem = "…"
            ca_file = "/f"
        }"#,
        "at most one of ca_pem and ca_file must be configured",
    );
}

#[test]
fn tls_cert_without_key() {
    rejects(
        r#"tls_config {
            cert_file = "/c"
        }"#,
        "exactly one of key_pem or key_file must be configured when a client certificate is configured",
    );
}

#[test]
fn tls_key_without_cert() {
    rejects(
        r#"tls_config {
            key_pem = "…"
        }"#,
        "exactly one of cert_pem or cert_file must be configured when a client key is configured",
    );
}

#[test]
fn tls_unknown_min_version() {
    rejects(
        r#"tls_config {
            min_version = "TLS1.2"
        }"#,
        "unknown TLS version: TLS1.2",
    );
    // Case-sensitive.
    rejects(
        r#"tls_config {
            min_version = "tls12"
        }"#,
        "unknown TLS version: tls12",
    );
    for version in ["TLS10", "TLS11", "TLS12", "TLS13"] {
        accepts(&format!("tls_config {{\n min_version = \"{version}\"\n}}"));
    }
}

#[test]
fn reserved_http_header() {
    rejects(
        r#"http_headers = { "user-agent" = ["x"] }"#,
        r#"setting header "User-Agent" is not allowed"#,
    );
}

#[test]
fn proxy_connect_header_alone() {
    rejects(
        r#"proxy_connect_header = { "X" = ["y"] }"#,
        "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured",
    );
}

#[test]
fn proxy_from_environment_with_proxy_url() {
    rejects(
        r#"proxy_from_environment = true
        proxy_url = "http://p:3128""#,
        "if proxy_from_environment is configured, proxy_url must not be configured",
    );
}

#[test]
fn proxy_from_environment_with_no_proxy() {
    rejects(
        r#"proxy_from_environment = true
        no_proxy = "a""#,
        "if proxy_from_environment is configured, no_proxy must not be configured",
    );
}

#[test]
fn no_proxy_alone() {
    rejects(
        r#"no_proxy = "a""#,
        "if no_proxy is configured, proxy_url must also be configured",
    );
}

#[test]
fn proxy_url_with_unsupported_scheme() {
    rejects(
        r#"proxy_url = "ftp://p:21""#,
        r#"proxy_url scheme must be one of http, https, socks5, socks5h, got "ftp""#,
    );
}

#[test]
fn malformed_no_proxy_entries_are_accepted() {
    let cfg = accepts(
        r#"proxy_url = "http://p:3128"
        no_proxy = "10.0.0.0/33, ,foo.com""#,
    );
    assert_eq!(cfg.proxy.no_proxy, "10.0.0.0/33, ,foo.com");
    // How the entries match is shown in tests/proxy.rs and the proxy module's unit tests.
}

// §3 rules beyond the §13 table.

#[test]
fn proxy_url_must_be_absolute() {
    rejects(
        r#"proxy_url = "/relative""#,
        "invalid proxy_url: relative URL without a base",
    );
    // The URL (and any password in it) is not echoed.
    let messages = decode(r#"proxy_url = "http://user:pw@[::1""#).unwrap_err();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].starts_with("invalid proxy_url: "),
        "{messages:?}"
    );
    assert!(!messages[0].contains("pw"), "{messages:?}");
    for scheme in ["http", "https", "socks5", "socks5h"] {
        accepts(&format!("proxy_url = \"{scheme}://p:1\""));
    }
}

#[test]
fn oauth2_proxy_url_is_checked_too() {
    rejects(
        r#"oauth2 {
            client_id = "i"
            client_secret = "s"
            token_url = "https://t"
            proxy_url = "ftp://p"
        }"#,
        r#"proxy_url scheme must be one of http, https, socks5, socks5h, got "ftp""#,
    );
    rejects(
        r#"oauth2 {
            client_id = "i"
            client_secret = "s"
            token_url = "https://t"
            proxy_connect_header = { "X" = ["y"] }
        }"#,
        "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured",
    );
    rejects(
        r#"oauth2 {
            client_id = "i"
            client_secret = "s"
            token_url = "https://t"
            proxy_from_environment = true
            proxy_url = "http://p"
        }"#,
        "if proxy_from_environment is configured, proxy_url must not be configured",
    );
    rejects(
        r#"oauth2 {
            client_id = "i"
            client_secret = "s"
            token_url = "https://t"
            proxy_from_environment = true
            no_proxy = "x"
        }"#,
        "if proxy_from_environment is configured, no_proxy must not be configured",
    );
}

#[test]
fn oauth2_token_url_must_be_absolute_http() {
    for url in ["t", "/token", "ftp://t/token", "file:///token"] {
        rejects(
            &format!(
                "oauth2 {{\n client_id = \"i\"\n client_secret = \"s\"\n token_url = \"{url}\"\n}}"
            ),
            "oauth2 token_url must be an absolute http or https URL",
        );
    }
}

#[test]
fn oauth2_scope_param_conflicts_with_scopes() {
    rejects(
        r#"oauth2 {
            client_id = "i"
            client_secret = "s"
            token_url = "https://t"
            scopes = ["a"]
            endpoint_params = { scope = "b" }
        }"#,
        r#"oauth2 endpoint_params must not set "scope" when scopes is configured"#,
    );
    accepts(
        r#"oauth2 {
            client_id = "i"
            client_secret = "s"
            token_url = "https://t"
            endpoint_params = { scope = "b" }
        }"#,
    );
}

#[test]
fn oauth2_rules_run_in_order() {
    // Everything missing: client_id is reported first.
    rejects("oauth2 {}", "oauth2 client_id must be configured");
    // Both secrets and no token_url: the missing token_url comes first.
    rejects(
        r#"oauth2 {
            client_id = "i"
            client_secret = "s"
            client_secret_file = "/f"
        }"#,
        "oauth2 token_url must be configured",
    );
}

#[test]
fn oauth2_tls_config_is_checked() {
    rejects(
        r#"oauth2 {
            client_id = "i"
            client_secret = "s"
            token_url = "https://t"
            tls_config {
                ca_pem = "x"
                ca_file = "/f"
            }
        }"#,
        "at most one of ca_pem and ca_file must be configured",
    );
    rejects(
        r#"oauth2 {
            client_id = "i"
            client_secret = "s"
            token_url = "https://t"
            tls_config {
                min_version = "SSL3"
            }
        }"#,
        "unknown TLS version: SSL3",
    );
}

#[test]
fn tls_rules_run_in_order() {
    rejects(
        r#"tls_config {
            cert_pem = "c"
            cert_file = "/c"
        }"#,
        "at most one of cert_pem and cert_file must be configured",
    );
    rejects(
        r#"tls_config {
            cert_pem = "c"
            key_pem = "k"
            key_file = "/k"
        }"#,
        "at most one of key_pem and key_file must be configured",
    );
    // ca before cert before key.
    rejects(
        r#"tls_config {
            ca_pem = "a"
            ca_file = "/a"
            cert_pem = "c"
            cert_file = "/c"
        }"#,
        "at most one of ca_pem and ca_file must be configured",
    );
    accepts(
        r#"tls_config {
            cert_pem = "c"
            key_file = "/k"
        }"#,
    );
}

#[test]
fn every_pair_of_methods_is_refused() {
    let blocks = [
        "basic_auth {\n username = \"u\"\n}",
        "authorization {\n credentials = \"c\"\n}",
        "oauth2 {\n client_id = \"i\"\n client_secret = \"s\"\n token_url = \"https://t\"\n}",
        "bearer_token = \"t\"",
        "bearer_token_file = \"/t\"",
    ];
    for (i, a) in blocks.iter().enumerate() {
        accepts(a);
        for b in &blocks[i + 1..] {
            rejects(&format!("{a}\n{b}"), METHODS);
        }
    }
}

#[test]
fn nested_block_errors_come_before_host_rules() {
    rejects(
        r#"bearer_token = "a"
        basic_auth {
            password = "p"
            password_file = "/f"
        }"#,
        "at most one of basic_auth password & password_file must be configured",
    );
}

#[test]
fn header_rules() {
    rejects(
        r#"http_headers = { "bad name" = ["x"] }"#,
        r#"invalid header name "bad name" in http_headers"#,
    );
    rejects(
        r#"http_headers = { "X-Ok" = ["line\nbreak"] }"#,
        r#"invalid value for header "X-Ok" in http_headers"#,
    );
    // Names in byte-wise order: "Authorization" sorts before "bad name".
    rejects(
        r#"http_headers = { "bad name" = ["x"], "authorization" = ["y"] }"#,
        r#"setting header "Authorization" is not allowed"#,
    );
    for reserved in [
        "authorization",
        "HOST",
        "content-encoding",
        "Content-Length",
        "content-type",
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "www-authenticate",
        "accept-encoding",
        "x-prometheus-remote-write-version",
        "x-prometheus-remote-read-version",
        "x-prometheus-scrape-timeout-seconds",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
    ] {
        let messages =
            decode(&format!("http_headers = {{ \"{reserved}\" = [\"x\"] }}")).unwrap_err();
        assert_eq!(messages.len(), 1);
        assert!(
            messages[0].starts_with("setting header \"")
                && messages[0].ends_with("\" is not allowed"),
            "{messages:?}"
        );
    }
    accepts(r#"http_headers = { "X-Scope-OrgID" = ["tenant"] }"#);
}

#[test]
fn proxy_connect_header_rules() {
    rejects(
        r#"proxy_url = "http://p:3128"
        proxy_connect_header = { "proxy-authorization" = ["x"] }"#,
        r#"setting header "Proxy-Authorization" is not allowed"#,
    );
    rejects(
        r#"proxy_url = "http://p:3128"
        proxy_connect_header = { "bad name" = ["x"] }"#,
        r#"invalid header name "bad name" in proxy_connect_header"#,
    );
    accepts(
        r#"proxy_from_environment = true
        proxy_connect_header = { "X" = ["y"] }"#,
    );
}

#[test]
fn proxy_rules_run_in_order() {
    // All of connect header (without url), from_environment and no_proxy: the first rule that
    // applies is "from_environment with no_proxy", since the connect-header rule is satisfied.
    rejects(
        r#"proxy_from_environment = true
        no_proxy = "a"
        proxy_connect_header = { "X" = ["y"] }"#,
        "if proxy_from_environment is configured, no_proxy must not be configured",
    );
    rejects(
        r#"no_proxy = "a"
        proxy_connect_header = { "X" = ["y"] }"#,
        "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured",
    );
}

#[test]
fn errors_name_the_attribute_at_fault() {
    let cfg = HttpClientConfig {
        basic_auth: Some(ferroalloy_http_client::BasicAuth {
            username: String::new(),
            password: Secret::new("p"),
            password_file: "/f".into(),
        }),
        ..HttpClientConfig::default()
    };
    assert_eq!(error_of(&cfg).0, "basic_auth.password_file");

    let cfg = HttpClientConfig {
        oauth2: Some(ferroalloy_http_client::OAuth2Config {
            client_id: "i".into(),
            client_secret: Secret::new("s"),
            token_url: "https://t".into(),
            tls_config: TlsConfig {
                ca_pem: "x".into(),
                ca_file: "/f".into(),
                ..TlsConfig::default()
            },
            ..Default::default()
        }),
        ..HttpClientConfig::default()
    };
    assert_eq!(
        error_of(&cfg),
        (
            "oauth2.tls_config.ca_file".to_owned(),
            "at most one of ca_pem and ca_file must be configured".to_owned()
        )
    );

    let mut cfg = HttpClientConfig::default();
    cfg.http_headers
        .insert("Host".into(), vec![Secret::new("h")]);
    assert_eq!(error_of(&cfg).0, "http_headers.Host");

    let cfg = HttpClientConfig {
        bearer_token: Secret::new("a"),
        bearer_token_file: "/f".into(),
        ..HttpClientConfig::default()
    };
    assert_eq!(error_of(&cfg), (String::new(), METHODS.to_owned()));
}

#[test]
fn normalized_turns_bearer_tokens_into_authorization() {
    let cfg = accepts(r#"bearer_token = "t1""#).normalized();
    let auth = cfg.authorization.unwrap();
    assert_eq!(
        (auth.r#type.as_str(), auth.credentials.expose()),
        ("Bearer", "t1")
    );
    assert!(cfg.bearer_token.is_empty());

    let cfg = accepts(r#"bearer_token_file = "/t""#).normalized();
    let auth = cfg.authorization.unwrap();
    assert_eq!(
        (auth.r#type.as_str(), auth.credentials_file.as_str()),
        ("Bearer", "/t")
    );

    let cfg = accepts(
        r#"authorization {
            type = "  "
            credentials = "x"
        }"#,
    )
    .normalized();
    assert_eq!(cfg.authorization.unwrap().r#type, "Bearer");

    let cfg = accepts(
        r#"authorization {
            type = " Token "
            credentials = "x"
        }"#,
    )
    .normalized();
    assert_eq!(cfg.authorization.unwrap().r#type, "Token");
}

#[test]
fn equality_compares_secrets_by_value_and_files_by_path() {
    let a = accepts(r#"bearer_token = "t1""#);
    assert_eq!(a, accepts(r#"bearer_token = "t1""#));
    assert_ne!(a, accepts(r#"bearer_token = "t2""#));
    let f = accepts(r#"bearer_token_file = "/a""#);
    assert_eq!(f, accepts(r#"bearer_token_file = "/a""#));
    assert_ne!(f, accepts(r#"bearer_token_file = "/b""#));
}

/// Acceptance 16: `Debug` of a config with every secret set shows none of them.
#[test]
fn debug_shows_no_secret() {
    let cfg = accepts(
        r#"
        http_headers = { "X-Key" = ["hdr-secret-1"] }
        proxy_url = "http://user:proxy-pass-2@proxy:3128"
        proxy_connect_header = { "X-Proxy-Key" = ["connect-secret-3"] }
        authorization {
            credentials = "cred-secret-4"
        }
        tls_config {
            cert_pem = "c"
            key_pem = "key-secret-5"
        }
        "#,
    );
    let with_basic = accepts(
        r#"basic_auth {
            username = "u"
            password = "basic-secret-6"
        }"#,
    );
    let with_bearer = accepts(r#"bearer_token = "bearer-secret-7""#);
    let with_oauth2 = accepts(
        r#"oauth2 {
            client_id = "i"
            client_secret = "oauth-secret-8"
            token_url = "https://t"
            proxy_url = "http://u:oauth-proxy-pass-9@p"
            tls_config {
                cert_pem = "c"
                key_pem = "oauth-key-secret-10"
            }
        }"#,
    );
    let text = format!(
        "{cfg:?} {with_basic:?} {with_bearer:?} {with_oauth2:?} {:?}",
        cfg.normalized()
    );
    for secret in [
        "hdr-secret-1",
        "proxy-pass-2",
        "connect-secret-3",
        "cred-secret-4",
        "key-secret-5",
        "basic-secret-6",
        "bearer-secret-7",
        "oauth-secret-8",
        "oauth-proxy-pass-9",
        "oauth-key-secret-10",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(text.contains("xxxxx"), "{text}");
    assert!(text.contains("(secret)"), "{text}");
}

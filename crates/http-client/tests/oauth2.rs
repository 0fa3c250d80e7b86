//! OAuth2 client credentials over a real loopback token endpoint (spec §6; Acceptance §12 items
//! 5–7): the exact token request, one fetch however many requests wait, refresh after expiry
//! (paused clock, never spanning socket I/O), client-authentication detection, the token
//! endpoint's error texts, failures not cached, secret rotation and 401 invalidation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/alloy.rs"]
pub mod alloy;
mod support;
#[path = "support/token_server.rs"]
pub mod token_server;

use std::time::Duration;

use alloy::{client, config, get, lit, send};
use ferroalloy_http_client::{ClientOptions, HttpClient};
use reqwest::header::AUTHORIZATION;
use token_server::{Gate, Recorded, Reply, ScriptedServer};

/// The `oauth2` block of Acceptance item 6 against `token_url`.
fn acceptance_block(token_url: &str) -> String {
    format!(
        r#"oauth2 {{
            client_id = "id"
            client_secret = "se cret"
            scopes = ["a", "b"]
            endpoint_params = {{ audience = "x" }}
            token_url = {}
        }}"#,
        lit(token_url)
    )
}

/// A plain `oauth2` block with `id` / `secret`.
fn simple_block(token_url: &str) -> String {
    format!(
        r#"oauth2 {{
            client_id = "id"
            client_secret = "secret"
            token_url = {}
        }}"#,
        lit(token_url)
    )
}

fn authorizations(server: &ScriptedServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| r.authorization().to_owned())
        .collect()
}

/// Advance the paused clock by `by` with nothing in flight, then let it run again, so no socket
/// I/O ever happens while the clock is paused.
async fn advance(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

/// Send `n` requests at once, each in its own task; their results.
async fn concurrently(client: &HttpClient, url: &str, n: usize) -> Vec<Result<u16, String>> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let client = client.clone();
        let url = url.to_owned();
        tasks.spawn(async move { get(&client, &url).await });
    }
    let mut results = Vec::with_capacity(n);
    while let Some(result) = tasks.join_next().await {
        results.push(result.unwrap());
    }
    results
}

#[tokio::test]
async fn acceptance_token_request_single_flight_and_refresh_after_expiry() {
    let gate = Gate::new();
    let held = gate.clone();
    let tokens = ScriptedServer::start(move |_, i| {
        if i == 0 {
            Reply::token("tok1", 3600).gated(&held)
        } else {
            Reply::token("tok2", 3600)
        }
    })
    .await;
    let resource = ScriptedServer::always(Reply::ok()).await;
    let client = client(&acceptance_block(&tokens.url("/token")));

    // 100 concurrent requests while the first token request is held: one token request.
    let url = resource.url("/push");
    let requests = {
        let client = client.clone();
        let url = url.clone();
        tokio::spawn(async move { concurrently(&client, &url, 100).await })
    };
    assert!(tokens.wait_for_count(1).await);
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    gate.open();
    let results = requests.await.unwrap();
    assert_eq!(results.len(), 100);
    assert!(results.iter().all(|r| *r == Ok(200)), "{results:?}");
    assert_eq!(tokens.count(), 1);
    assert_eq!(resource.count(), 100);
    assert!(authorizations(&resource).iter().all(|a| a == "Bearer tok1"));

    let token_request = &tokens.requests()[0];
    assert_eq!(token_request.method, "POST");
    assert_eq!(token_request.path, "/token");
    assert_eq!(
        token_request.body,
        "audience=x&grant_type=client_credentials&scope=a+b"
    );
    assert_eq!(token_request.authorization(), "Basic aWQ6c2UrY3JldA==");
    assert_eq!(
        token_request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        token_request.header("user-agent"),
        Some(ferroalloy_http_client::USER_AGENT_VALUE)
    );

    // Still fresh well before `expires_in − 10 s` (the margin absorbs the real time the test
    // itself takes): no fetch.
    advance(Duration::from_secs(3580)).await;
    assert_eq!(get(&client, &url).await, Ok(200));
    assert_eq!(tokens.count(), 1);
    assert_eq!(authorizations(&resource).last().unwrap(), "Bearer tok1");

    // Less than 10 s before expiry (3591 s after it was obtained): refreshed.
    advance(Duration::from_secs(11)).await;
    assert_eq!(get(&client, &url).await, Ok(200));
    assert_eq!(tokens.count(), 2);
    assert_eq!(authorizations(&resource).last().unwrap(), "Bearer tok2");
    // The refresh kept the client-authentication style that worked.
    assert_eq!(
        tokens.requests()[1].authorization(),
        "Basic aWQ6c2UrY3JldA=="
    );
}

#[tokio::test]
async fn acceptance_form_credentials_after_basic_is_refused_and_remembered() {
    let tokens = ScriptedServer::start(|req: &Recorded, i| {
        if req.authorization().starts_with("Basic ") {
            Reply::with(
                401,
                Some("application/json"),
                r#"{"error":"invalid_client"}"#,
            )
        } else {
            Reply::token(&format!("tok{i}"), 3600)
        }
    })
    .await;
    let resource = ScriptedServer::start(|_, i| {
        // The second protected request is refused, which drops the cached token.
        if i == 1 {
            Reply::with(401, None, "")
        } else {
            Reply::ok()
        }
    })
    .await;
    let client = client(&acceptance_block(&tokens.url("/token")));
    let url = resource.url("/");

    assert_eq!(get(&client, &url).await, Ok(200));
    let seen = tokens.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].authorization(), "Basic aWQ6c2UrY3JldA==");
    assert_eq!(seen[1].authorization(), "");
    assert_eq!(
        seen[1].body,
        "audience=x&client_id=id&client_secret=se+cret&grant_type=client_credentials&scope=a+b"
    );
    assert_eq!(authorizations(&resource), ["Bearer tok1"]);

    // A 401 from the protected server is handed to the caller and drops the token.
    assert_eq!(get(&client, &url).await, Ok(401));
    assert_eq!(tokens.count(), 2);

    // The refresh goes straight to the body style: one token request.
    assert_eq!(get(&client, &url).await, Ok(200));
    let seen = tokens.requests();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].authorization(), "");
    assert!(seen[2].body.contains("client_id=id&client_secret=se+cret"));
    assert_eq!(authorizations(&resource).last().unwrap(), "Bearer tok2");
}

#[tokio::test]
async fn oauth2_overrides_an_authorization_the_caller_set() {
    let tokens = ScriptedServer::always(Reply::token("tok", 3600)).await;
    let resource = ScriptedServer::always(Reply::ok()).await;
    let client = client(&simple_block(&tokens.url("/token")));
    let builder = client
        .reqwest()
        .get(resource.url("/"))
        .header(AUTHORIZATION, "Custom y");
    assert_eq!(send(&client, builder).await, Ok(200));
    assert_eq!(authorizations(&resource), ["Bearer tok"]);
}

#[tokio::test]
async fn token_types_and_form_responses() {
    let cases = [
        (
            Reply::json(r#"{"access_token":"t","token_type":"MAC"}"#),
            "MAC t",
        ),
        (Reply::json(r#"{"access_token":"t"}"#), "Bearer t"),
        (
            Reply::json(r#"{"access_token":"t","token_type":"DPoP","expires_in":"60"}"#),
            "DPoP t",
        ),
        (
            Reply::with(
                200,
                Some("application/x-www-form-urlencoded; charset=utf-8"),
                "access_token=f%2Bt&token_type=basic&expires_in=60",
            ),
            "Basic f+t",
        ),
        (
            Reply::with(200, Some("text/plain"), "access_token=p&token_type=bearer"),
            "Bearer p",
        ),
    ];
    for (reply, expected) in cases {
        let tokens = ScriptedServer::always(reply).await;
        let resource = ScriptedServer::always(Reply::ok()).await;
        let client = client(&simple_block(&tokens.url("/token")));
        assert_eq!(get(&client, &resource.url("/")).await, Ok(200));
        assert_eq!(authorizations(&resource), [expected]);
    }
}

/// The error a protected request gets when every token request is answered with `reply`; the
/// protected server must not be reached.
async fn token_error(reply: Reply) -> String {
    let tokens = ScriptedServer::always(reply).await;
    let resource = ScriptedServer::always(Reply::ok()).await;
    let client = client(&simple_block(&tokens.url("/token")));
    let err = get(&client, &resource.url("/")).await.unwrap_err();
    assert_eq!(resource.count(), 0);
    // Basic first, then form credentials: both tried.
    assert_eq!(tokens.count(), 2);
    err
}

#[tokio::test]
async fn token_endpoint_errors_have_go_texts() {
    assert_eq!(
        token_error(Reply::with(
            400,
            Some("application/json"),
            r#"{"error":"invalid_client","error_description":"bad secret","error_uri":"https://e.test/x"}"#,
        ))
        .await,
        r#"oauth2: "invalid_client" "bad secret" "https://e.test/x""#
    );
    assert_eq!(
        token_error(Reply::with(
            400,
            Some("application/x-www-form-urlencoded"),
            "error=invalid_scope",
        ))
        .await,
        r#"oauth2: "invalid_scope""#
    );
    // An `error` field in a 200 is an error too.
    assert_eq!(
        token_error(Reply::json(r#"{"error":"slow_down","access_token":"t"}"#)).await,
        r#"oauth2: "slow_down""#
    );
    assert_eq!(
        token_error(Reply::with(500, Some("text/html"), "<b>boom</b>")).await,
        "oauth2: cannot fetch token: 500 Internal Server Error\nResponse: <b>boom</b>"
    );
    assert_eq!(
        token_error(Reply::with(503, Some("application/json"), "{not json")).await,
        "oauth2: cannot fetch token: 503 Service Unavailable\nResponse: {not json"
    );
    let json = token_error(Reply::json("{not json")).await;
    assert!(json.starts_with("oauth2: cannot parse json: "), "{json}");
    let form = token_error(Reply::with(200, Some("text/plain"), "access_token=%zz")).await;
    assert!(
        form.starts_with("oauth2: cannot parse response: "),
        "{form}"
    );
    assert_eq!(
        token_error(Reply::json(r#"{"token_type":"bearer"}"#)).await,
        "oauth2: server response missing access_token"
    );
    assert_eq!(
        token_error(Reply::with(200, Some("text/plain"), "token_type=bearer")).await,
        "oauth2: server response missing access_token"
    );
}

#[tokio::test]
async fn an_unreachable_token_endpoint_fails_the_attempt() {
    // A port that was bound and released: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let resource = ScriptedServer::always(Reply::ok()).await;
    let client = client(&simple_block(&format!("http://127.0.0.1:{port}/token")));
    let err = get(&client, &resource.url("/")).await.unwrap_err();
    assert!(err.starts_with("oauth2: cannot fetch token: "), "{err}");
    assert_eq!(resource.count(), 0);
}

#[tokio::test]
async fn a_failed_fetch_is_shared_by_its_waiters_and_not_cached() {
    let gate = Gate::new();
    let held = gate.clone();
    let tokens = ScriptedServer::start(move |_, i| {
        if i < 2 {
            Reply::with(503, Some("text/plain"), "down").gated(&held)
        } else {
            Reply::token("ok", 3600)
        }
    })
    .await;
    let resource = ScriptedServer::always(Reply::ok()).await;
    let client = client(&simple_block(&tokens.url("/token")));
    let url = resource.url("/");

    let requests = {
        let client = client.clone();
        let url = url.clone();
        tokio::spawn(async move { concurrently(&client, &url, 20).await })
    };
    assert!(tokens.wait_for_count(1).await);
    gate.open();
    let results = requests.await.unwrap();
    let expected = "oauth2: cannot fetch token: 503 Service Unavailable\nResponse: down";
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().err().map(String::as_str) == Some(expected)),
        "{results:?}"
    );
    // One fetch (Basic, then form credentials) for all twenty.
    assert_eq!(tokens.count(), 2);
    assert_eq!(resource.count(), 0);

    // The failure is not cached: the next request fetches again and succeeds.
    assert_eq!(get(&client, &url).await, Ok(200));
    assert_eq!(tokens.count(), 3);
}

#[tokio::test]
async fn a_waiter_that_gives_up_does_not_cancel_the_fetch() {
    let gate = Gate::new();
    let held = gate.clone();
    let tokens = ScriptedServer::start(move |_, _| Reply::token("late", 3600).gated(&held)).await;
    let resource = ScriptedServer::always(Reply::ok()).await;
    let client = client(&simple_block(&tokens.url("/token")));
    let url = resource.url("/");

    // The caller's attempt deadline passes while the token request is held.
    let attempt = tokio::time::timeout(Duration::from_millis(200), get(&client, &url)).await;
    assert!(attempt.is_err());
    assert_eq!(tokens.count(), 1);

    // The fetch carries on; its token serves the next request without a second fetch.
    gate.open();
    assert_eq!(get(&client, &url).await, Ok(200));
    assert_eq!(tokens.count(), 1);
    assert_eq!(authorizations(&resource), ["Bearer late"]);
}

#[tokio::test]
async fn no_expires_in_means_no_expiry() {
    let tokens = ScriptedServer::start(|_, i| {
        Reply::json(format!(
            r#"{{"access_token":"t{i}","token_type":"bearer"}}"#
        ))
    })
    .await;
    let resource = ScriptedServer::always(Reply::ok()).await;
    let client = client(&simple_block(&tokens.url("/token")));
    assert_eq!(get(&client, &resource.url("/")).await, Ok(200));
    advance(Duration::from_secs(10 * 365 * 24 * 3600)).await;
    assert_eq!(get(&client, &resource.url("/")).await, Ok(200));
    assert_eq!(tokens.count(), 1);
    assert_eq!(authorizations(&resource), ["Bearer t0", "Bearer t0"]);
}

#[tokio::test]
async fn a_rotated_client_secret_file_invalidates_the_token() {
    let tokens = ScriptedServer::start(|_, i| Reply::token(&format!("tok{i}"), 3600)).await;
    let resource = ScriptedServer::always(Reply::ok()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client_secret");
    std::fs::write(&path, "s1\n").unwrap();
    let client = client(&format!(
        r#"oauth2 {{
            client_id = "id"
            client_secret_file = {}
            token_url = {}
        }}"#,
        lit(&path.display().to_string()),
        lit(&tokens.url("/token"))
    ));
    let url = resource.url("/");

    assert_eq!(get(&client, &url).await, Ok(200));
    assert_eq!(get(&client, &url).await, Ok(200));
    assert_eq!(tokens.count(), 1);
    // base64("id:s1")
    assert_eq!(tokens.requests()[0].authorization(), "Basic aWQ6czE=");

    std::fs::write(&path, "s2").unwrap();
    assert_eq!(get(&client, &url).await, Ok(200));
    assert_eq!(tokens.count(), 2);
    // base64("id:s2")
    assert_eq!(tokens.requests()[1].authorization(), "Basic aWQ6czI=");
    assert_eq!(
        authorizations(&resource),
        ["Bearer tok0", "Bearer tok0", "Bearer tok1"]
    );

    // An unreadable secret fails the attempt before any token request.
    std::fs::remove_file(&path).unwrap();
    let err = get(&client, &url).await.unwrap_err();
    let expected = format!(
        "unable to read oauth2 client secret: unable to read file {}: ",
        path.display()
    );
    assert!(err.starts_with(&expected), "{err}");
    assert_eq!(tokens.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_token_request_is_bounded_by_30_seconds() {
    // The reply is held forever; on the paused clock the runtime jumps to the fetch deadline
    // once the request is on the wire and nothing else can happen.
    let gate = Gate::new();
    let held = gate.clone();
    let tokens = ScriptedServer::start(move |_, _| Reply::token("never", 3600).gated(&held)).await;
    let resource = ScriptedServer::always(Reply::ok()).await;
    let client = client(&simple_block(&tokens.url("/token")));
    let started = tokio::time::Instant::now();
    let err = get(&client, &resource.url("/")).await.unwrap_err();
    assert_eq!(err, "oauth2: cannot fetch token: timed out after 30s");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(30) && waited < Duration::from_secs(31),
        "{waited:?}"
    );
    assert_eq!(tokens.count(), 1);
    assert_eq!(resource.count(), 0);
    drop(gate);
}

/// `oauth2 > tls_config` and the oauth2 proxy settings serve the token requests only: the token
/// endpoint is reached over HTTPS through a CONNECT proxy carrying the oauth2
/// `proxy_connect_header`, while the protected request goes direct.
#[tokio::test]
async fn token_requests_use_the_oauth2_tls_and_proxy_settings_only() {
    let pki = support::Pki::new("token ca");
    let token_server = support::TestServer::https(
        &support::ServerTls::new(pki.server(&["auth.test"])),
        |_| async {
            support::Reply::ok(r#"{"access_token":"via-tls","token_type":"bearer"}"#)
                .header("content-type", "application/json")
        },
    )
    .await;
    let proxy = support::RecordingProxy::start().await;
    let resource = ScriptedServer::always(Reply::ok()).await;
    let cfg = config(&format!(
        r#"oauth2 {{
            client_id = "id"
            client_secret = "secret"
            token_url = {}
            proxy_url = {}
            proxy_connect_header = {{ "X-Auth-Tenant" = ["t1"] }}
            tls_config {{
                ca_pem = {}
            }}
        }}"#,
        lit(&token_server.https_url("auth.test", "/token")),
        lit(&proxy.url()),
        lit(&pki.ca_pem()),
    ));
    let client = HttpClient::build(&cfg, &ClientOptions::default()).unwrap();
    assert_eq!(get(&client, &resource.url("/")).await, Ok(200));
    assert_eq!(authorizations(&resource), ["Bearer via-tls"]);

    let records = proxy.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].method, "CONNECT");
    assert_eq!(
        records[0].target,
        format!("auth.test:{}", token_server.addr.port())
    );
    assert_eq!(records[0].values("x-auth-tenant"), ["t1"]);
    let token_requests = token_server.requests();
    assert_eq!(token_requests.len(), 1);
    assert_eq!(token_requests[0].version, hyper::Version::HTTP_11);
    assert_eq!(
        token_requests[0].header("authorization").as_deref(),
        Some("Basic aWQ6c2VjcmV0")
    );
}

/// The host's `tls_config` does not apply to token requests: with the CA only there, the token
/// endpoint's certificate is not trusted.
#[tokio::test]
async fn the_host_tls_config_does_not_apply_to_token_requests() {
    let pki = support::Pki::new("token ca");
    let token_server = support::TestServer::https(
        &support::ServerTls::new(pki.server(&["auth.test"])),
        |_| async {
            support::Reply::ok(r#"{"access_token":"t"}"#).header("content-type", "application/json")
        },
    )
    .await;
    let resource = ScriptedServer::always(Reply::ok()).await;
    let cfg = config(&format!(
        r#"tls_config {{
            ca_pem = {}
        }}
        oauth2 {{
            client_id = "id"
            client_secret = "secret"
            token_url = {}
        }}"#,
        lit(&pki.ca_pem()),
        lit(&token_server.https_url("auth.test", "/token")),
    ));
    let opts = ClientOptions {
        resolve: vec![("auth.test".to_owned(), token_server.addr)],
        ..ClientOptions::default()
    };
    let client = HttpClient::build(&cfg, &opts).unwrap();
    let err = get(&client, &resource.url("/")).await.unwrap_err();
    assert!(err.starts_with("oauth2: cannot fetch token: "), "{err}");
    assert!(err.contains("certificate"), "{err}");
    assert_eq!(token_server.count(), 0);
    assert_eq!(resource.count(), 0);
}

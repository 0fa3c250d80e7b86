//! Redirects over loopback (Acceptance 12, spec §7): 307/308 repeat method and body, 301/302/303
//! turn a POST into a body-less GET, at most 10 hops, `follow_redirects = false` hands the 3xx to
//! the caller, and credentials are dropped when the host, port or scheme changes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use ferroalloy_http_client::{ClientOptions, HttpClient, HttpClientConfig, RequestError};
use ferroalloy_value::Secret;
use support::{Reply, TestServer};

/// A server that answers `/from/<status>` with that redirect to `/to` and `/to` with `200 done`.
async fn redirecting_server() -> TestServer {
    TestServer::http(|req| async move {
        match req.uri.strip_prefix("/from/") {
            Some(status) => Reply::status(status.parse().unwrap()).header("location", "/to"),
            None => Reply::ok("done"),
        }
    })
    .await
}

fn client(cfg: &HttpClientConfig) -> HttpClient {
    HttpClient::build(cfg, &ClientOptions::default()).unwrap()
}

async fn post(client: &HttpClient, url: &str, body: &'static str) -> reqwest::Response {
    let req = client.reqwest().post(url).body(body).build().unwrap();
    client.execute(req).await.unwrap()
}

/// Acceptance 12: a 307 (and 308) to the same host is followed with method and body.
#[tokio::test]
async fn temporary_and_permanent_redirects_repeat_the_body() {
    let server = redirecting_server().await;
    let client = client(&HttpClientConfig::default());
    for status in [307, 308] {
        let response = post(
            &client,
            &server.http_url(&format!("/from/{status}")),
            "payload",
        )
        .await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "done");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    for second in [&requests[1], &requests[3]] {
        assert_eq!(second.method, "POST");
        assert_eq!(second.uri, "/to");
        assert_eq!(&second.body[..], b"payload");
    }
}

/// 301/302/303 turn a POST into a GET without a body.
#[tokio::test]
async fn other_redirects_turn_post_into_get() {
    let server = redirecting_server().await;
    let client = client(&HttpClientConfig::default());
    for status in [301, 302, 303] {
        let response = post(
            &client,
            &server.http_url(&format!("/from/{status}")),
            "payload",
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 6);
    for pair in requests.chunks(2) {
        assert_eq!(pair[0].method, "POST");
        assert_eq!(pair[1].method, "GET");
        assert_eq!(pair[1].uri, "/to");
        assert!(pair[1].body.is_empty());
        assert!(pair[1].header("content-length").is_none_or(|l| l == "0"));
    }
}

/// Acceptance 12: `follow_redirects = false` hands the 307 to the caller.
#[tokio::test]
async fn redirects_not_followed_when_disabled() {
    let server = redirecting_server().await;
    let cfg = HttpClientConfig {
        follow_redirects: false,
        ..HttpClientConfig::default()
    };
    let client = client(&cfg);
    let response = post(&client, &server.http_url("/from/307"), "payload").await;
    assert_eq!(response.status(), 307);
    assert_eq!(response.headers()["location"], "/to");
    assert_eq!(server.count(), 1);
}

/// Acceptance 12: a 302 to another port is followed, and the second request carries no
/// `Authorization` (configured or set by the caller).
#[tokio::test]
async fn credentials_are_dropped_across_ports() {
    let target = TestServer::http_ok().await;
    let location = target.http_url("/elsewhere");
    let origin = TestServer::http(move |_| {
        let location = location.clone();
        async move { Reply::status(302).header("location", &location) }
    })
    .await;

    let cfg = HttpClientConfig {
        bearer_token: Secret::new("t1"),
        ..HttpClientConfig::default()
    };
    let client = client(&cfg);
    let response = client
        .execute(client.reqwest().get(origin.http_url("/")).build().unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        origin.requests()[0].header("authorization").as_deref(),
        Some("Bearer t1")
    );
    let second = &target.requests()[0];
    assert_eq!(second.uri, "/elsewhere");
    assert!(second.header("authorization").is_none(), "{second:?}");

    // The same for a header the caller set.
    let client = self::client(&HttpClientConfig::default());
    let req = client
        .reqwest()
        .get(origin.http_url("/"))
        .header("authorization", "Custom y")
        .build()
        .unwrap();
    assert_eq!(client.execute(req).await.unwrap().status(), 200);
    assert_eq!(
        origin.requests()[1].header("authorization").as_deref(),
        Some("Custom y")
    );
    assert!(target.requests()[1].header("authorization").is_none());
}

/// On the same host and port the credentials stay.
#[tokio::test]
async fn credentials_stay_on_the_same_origin() {
    let server = redirecting_server().await;
    let cfg = HttpClientConfig {
        bearer_token: Secret::new("t1"),
        ..HttpClientConfig::default()
    };
    let client = client(&cfg);
    post(&client, &server.http_url("/from/307"), "x").await;
    let requests = server.requests();
    assert_eq!(
        requests[1].header("authorization").as_deref(),
        Some("Bearer t1")
    );
}

/// At most 10 redirects are followed; the 11th is an error.
#[tokio::test]
async fn at_most_ten_redirects() {
    let server =
        TestServer::http(|_| async { Reply::status(302).header("location", "/again") }).await;
    let client = client(&HttpClientConfig::default());
    let error = client
        .execute(client.reqwest().get(server.http_url("/")).build().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(error, RequestError::Transport(ref e) if e.is_redirect()),
        "{error:?}"
    );
    assert_eq!(server.count(), 11);
}

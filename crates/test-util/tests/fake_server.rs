//! The fake Pyroscope server against plain reqwest clients over loopback: decoding and recording,
//! the Pyroscope-like default answers, every scripting feature, HTTP/2 (h2c and TLS), waits and
//! shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferroalloy_pyroscope::{push_v1, types_v1};
use ferroalloy_test_util::pyroscope_server::{
    ConnectionCounts, FakePyroscope, Gate, Outcome, Route, ScriptedResponse, ServerTls, TestCa,
    connect_code_status, gzip_bytes,
};
use prost::Message;

/// Bound of every wait in these tests; never reached when things work.
const WAIT: Duration = Duration::from_secs(10);

fn series(labels: &[(&str, &str)], samples: &[(&str, &[u8])]) -> push_v1::RawProfileSeries {
    push_v1::RawProfileSeries {
        labels: labels
            .iter()
            .map(|(n, v)| types_v1::LabelPair {
                name: (*n).into(),
                value: (*v).into(),
            })
            .collect(),
        samples: samples
            .iter()
            .map(|(id, raw)| push_v1::RawSample {
                raw_profile: Bytes::copy_from_slice(raw),
                id: (*id).into(),
            })
            .collect(),
        annotations: Vec::new(),
    }
}

fn one_series_body() -> Vec<u8> {
    push_v1::PushRequest {
        series: vec![series(
            &[("__name__", "process_cpu"), ("service_name", "svc")],
            &[("x", &[1, 2, 3])],
        )],
    }
    .encode_to_vec()
}

/// A reqwest builder, with the ring provider installed for reqwest's plain-HTTP TLS setup.
fn builder() -> reqwest::ClientBuilder {
    // Fails only when a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

fn client() -> reqwest::Client {
    builder().build().unwrap()
}

async fn push(client: &reqwest::Client, url: &str, body: Vec<u8>) -> reqwest::Response {
    client
        .post(url)
        .header("content-type", "application/proto")
        .body(body)
        .send()
        .await
        .unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

// ---------------------------------------------------------------------------------------------
// recording and decoding

#[tokio::test]
async fn a_push_is_recorded_with_headers_and_decoded_series() {
    let server = FakePyroscope::start().await.unwrap();
    let body = push_v1::PushRequest {
        series: vec![
            series(
                &[("service_name", "svc"), ("__name__", "process_cpu")],
                &[("id-1", &[1, 2, 3]), ("id-2", &[4, 5])],
            ),
            series(&[("__name__", "memory")], &[("id-3", b"pprof")]),
        ],
    }
    .encode_to_vec();

    let response = client()
        .post(format!("{}/base/push.v1.PusherService/Push", server.url()))
        .header("content-type", "application/proto")
        .header("connect-protocol-version", "1")
        .header("connect-timeout-ms", "10000")
        .header("authorization", "Basic dTpw")
        .header("x-scope-orgid", "squad-1")
        .header("user-agent", "ferroalloy/0.1.0")
        .body(body.clone())
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/proto"
    );
    assert!(response.bytes().await.unwrap().is_empty());

    let requests = server.wait_for_requests(1, WAIT).await.unwrap();
    let r = &requests[0];
    assert_eq!(r.index, 0);
    assert_eq!(r.route, Route::Push);
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/base/push.v1.PusherService/Push");
    assert_eq!(r.query, None);
    assert_eq!(r.version, hyper::Version::HTTP_11);
    assert_eq!(r.authorization().as_deref(), Some("Basic dTpw"));
    assert_eq!(r.org_id().as_deref(), Some("squad-1"));
    assert_eq!(r.user_agent().as_deref(), Some("ferroalloy/0.1.0"));
    assert_eq!(r.content_type().as_deref(), Some("application/proto"));
    assert_eq!(r.header("connect-protocol-version").as_deref(), Some("1"));
    assert_eq!(r.header("connect-timeout-ms").as_deref(), Some("10000"));
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(&r.body[..], &body[..]);
    assert_eq!(r.decode_error, None);
    assert_eq!(r.outcome, Outcome::Answered(200));
    assert_eq!(r.sample_count(), 3);

    assert_eq!(r.series.len(), 2);
    assert_eq!(
        r.series[0].label_pairs(),
        [("service_name", "svc"), ("__name__", "process_cpu")]
    );
    assert_eq!(r.series[0].label("__name__"), Some("process_cpu"));
    assert_eq!(r.series[0].label("job"), None);
    let ids: Vec<&str> = r.series[0].samples.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["id-1", "id-2"]);
    assert_eq!(&r.series[0].samples[0].raw_profile[..], &[1, 2, 3]);
    assert!(!r.series[0].samples[0].gzipped);
    assert_eq!(r.series[0].samples[0].profile_size, Some(3));
    assert_eq!(r.series[1].label_pairs(), [("__name__", "memory")]);
    assert_eq!(&r.series[1].samples[0].raw_profile[..], b"pprof");

    assert_eq!(server.received_series().len(), 2);
    let counts = server.counts(Route::Push);
    assert_eq!(counts.requests, 1);
    assert_eq!(counts.by_status.get(&200), Some(&1));
    assert_eq!(server.count(Route::Ingest), 0);
}

#[tokio::test]
async fn a_gzip_push_body_is_decoded_and_gzip_samples_are_measured() {
    let server = FakePyroscope::start().await.unwrap();
    let pprof = vec![7u8; 5000];
    let gz_pprof = gzip_bytes(&pprof);
    let plain = push_v1::PushRequest {
        series: vec![series(&[("__name__", "process_cpu")], &[("u", &gz_pprof)])],
    }
    .encode_to_vec();
    let response = client()
        .post(server.push_url())
        .header("content-type", "application/proto")
        .header("content-encoding", "gzip")
        .body(gzip_bytes(&plain))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let r = &server.wait_for(Route::Push, 1, WAIT).await.unwrap()[0];
    assert_eq!(r.header("content-encoding").as_deref(), Some("gzip"));
    assert_ne!(r.body, r.decoded_body);
    assert_eq!(&r.decoded_body[..], &plain[..]);
    let sample = &r.series[0].samples[0];
    assert!(sample.gzipped);
    assert_eq!(&sample.raw_profile[..], &gz_pprof[..]);
    assert_eq!(sample.profile_size, Some(5000));
}

#[tokio::test]
async fn a_json_push_body_is_decoded() {
    let server = FakePyroscope::start().await.unwrap();
    let response = client()
        .post(server.push_url())
        .header("content-type", "application/json; charset=utf-8")
        .body(
            r#"{"series":[{"labels":[{"name":"__name__","value":"process_cpu"}],
                "samples":[{"rawProfile":"AQID","ID":"a"},{"raw_profile":"BA==","ID":"b"}]}]}"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let r = &server.wait_for_requests(1, WAIT).await.unwrap()[0];
    assert_eq!(r.decode_error, None);
    assert_eq!(r.series[0].label_pairs(), [("__name__", "process_cpu")]);
    assert_eq!(&r.series[0].samples[0].raw_profile[..], &[1, 2, 3]);
    assert_eq!(r.series[0].samples[1].id, "b");
    assert_eq!(&r.series[0].samples[1].raw_profile[..], &[4]);
}

#[tokio::test]
async fn an_ingest_request_is_recorded_with_query_content_type_and_raw_body() {
    let server = FakePyroscope::start().await.unwrap();
    let raw = gzip_bytes(b"not really pprof");
    let url = format!(
        "{}?name=app%7Ba%3D1%2Cb%3D2%7D&from=1700000000&until=1700000010&format=pprof&spyName=nodespy",
        server.ingest_url()
    );
    let response = client()
        .post(url)
        .header("content-type", "application/octet-stream")
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().is_empty());

    let r = &server.wait_for(Route::Ingest, 1, WAIT).await.unwrap()[0];
    assert_eq!(r.route, Route::Ingest);
    assert_eq!(r.path, "/ingest");
    assert_eq!(r.query_param("name").as_deref(), Some("app{a=1,b=2}"));
    assert_eq!(r.query_param("from").as_deref(), Some("1700000000"));
    assert_eq!(r.query_param("format").as_deref(), Some("pprof"));
    assert_eq!(r.query_param("spyName").as_deref(), Some("nodespy"));
    assert_eq!(r.query_param("sampleRate"), None);
    assert_eq!(r.query_pairs().len(), 5);
    assert_eq!(
        r.content_type().as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(&r.body[..], &raw[..]);
    assert_eq!(r.decoded_body, r.body, "ingest bodies are not decoded");
    assert!(r.series.is_empty());
    assert_eq!(server.counts(Route::Ingest).by_status.get(&200), Some(&1));
    assert_eq!(server.count(Route::Push), 0);
}

// ---------------------------------------------------------------------------------------------
// Pyroscope-like default answers

async fn connect_json(response: reqwest::Response) -> serde_json::Value {
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

#[tokio::test]
async fn unscripted_push_requests_are_validated_like_pyroscope() {
    let server = FakePyroscope::start().await.unwrap();
    let client = client();

    let r = client
        .post(server.push_url())
        .header("content-type", "application/x-protobuf")
        .body(one_series_body())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(
        r.headers()["accept-post"].to_str().unwrap(),
        "application/json, application/proto"
    );

    let r = client.get(server.push_url()).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"].to_str().unwrap(), "POST");

    let r = push(&client, &server.push_url(), Vec::new()).await;
    assert_eq!(r.status(), 400);
    let body = connect_json(r).await;
    assert_eq!(body["code"], "invalid_argument");
    assert_eq!(body["message"], "no profiles received");

    let r = push(&client, &server.push_url(), vec![0xff, 0xff, 0xff]).await;
    assert_eq!(r.status(), 500);
    assert_eq!(connect_json(r).await["code"], "unknown");

    let r = client
        .post(server.push_url())
        .header("content-type", "application/proto")
        .header("connect-timeout-ms", "12345678901")
        .body(one_series_body())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(connect_json(r).await["code"], "invalid_argument");

    let r = client
        .post(server.push_url())
        .header("content-type", "application/proto")
        .header("connect-protocol-version", "2")
        .body(one_series_body())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(connect_json(r).await["code"], "invalid_argument");

    let r = client
        .post(server.push_url())
        .header("content-type", "application/proto")
        .header("content-encoding", "br")
        .body(one_series_body())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 501);
    assert_eq!(connect_json(r).await["code"], "unimplemented");

    let r = client
        .post(server.push_url())
        .header("content-type", "application/proto")
        .header("content-encoding", "gzip")
        .body(b"not gzip".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(connect_json(r).await["code"], "unknown");

    let recorded = server.wait_for(Route::Push, 8, WAIT).await.unwrap();
    assert!(
        recorded[3]
            .decode_error
            .as_deref()
            .unwrap()
            .starts_with("invalid push request")
    );
    assert!(
        recorded[7]
            .decode_error
            .as_deref()
            .unwrap()
            .starts_with("invalid gzip body")
    );
    let counts = server.counts(Route::Push);
    assert_eq!(counts.requests, 8);
    assert_eq!(counts.by_status.get(&400), Some(&3));
    assert_eq!(counts.by_status.get(&500), Some(&2));
}

#[tokio::test]
async fn unscripted_ingest_and_unknown_paths_are_answered_like_pyroscope() {
    let server = FakePyroscope::start().await.unwrap();
    let client = client();

    let r = client.post(server.ingest_url()).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(connect_json(r).await["code"], "invalid_argument");

    let r = client
        .get(format!("{}?name=app", server.ingest_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);

    let r = client
        .post(format!("{}/pyroscope/ingest?name=app", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let r = client
        .post(format!("{}/metrics", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(server.count(Route::Other), 1);
    assert_eq!(server.count(Route::Ingest), 3);
}

#[tokio::test]
async fn with_multi_tenancy_a_request_without_an_org_id_is_unauthenticated() {
    let server = FakePyroscope::builder()
        .require_org_id()
        .start()
        .await
        .unwrap();
    let client = client();
    let r = push(&client, &server.push_url(), one_series_body()).await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        connect_json(r).await,
        serde_json::json!({"code": "unauthenticated", "message": "no org id"})
    );
    let r = client
        .post(format!("{}?name=app", server.ingest_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let r = client
        .post(server.push_url())
        .header("content-type", "application/proto")
        .header("x-scope-orgid", "squad-1")
        .body(one_series_body())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(server.counts(Route::Push).by_status.get(&401), Some(&1));
}

// ---------------------------------------------------------------------------------------------
// scripting

#[tokio::test]
async fn scripted_responses_are_served_in_order_then_the_default() {
    let server = FakePyroscope::start().await.unwrap();
    server.script_push([
        ScriptedResponse::status(503).body("service always unavailable"),
        ScriptedResponse::status(429).retry_after(2),
        ScriptedResponse::connect_error("resource_exhausted", "push rate limit").gzip(),
        ScriptedResponse::status(502)
            .header("content-type", "text/html")
            .body("<html>bad gateway</html>"),
        ScriptedResponse::status(200).json(r#"{"code":"bogus"}"#),
    ]);
    assert_eq!(server.scripted_left(Route::Push), 5);
    let client = client();
    let url = server.push_url();

    let r = push(&client, &url, one_series_body()).await;
    assert_eq!(r.status(), 503);
    assert_eq!(
        r.text().await.unwrap(),
        "service always unavailable",
        "plain body as scripted"
    );

    let r = push(&client, &url, one_series_body()).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"].to_str().unwrap(), "2");

    let r = push(&client, &url, one_series_body()).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["content-encoding"].to_str().unwrap(), "gzip");
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body: serde_json::Value =
        serde_json::from_slice(&gunzip(&r.bytes().await.unwrap())).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"code": "resource_exhausted", "message": "push rate limit"})
    );

    let r = push(&client, &url, one_series_body()).await;
    assert_eq!(r.status(), 502);
    assert_eq!(r.text().await.unwrap(), "<html>bad gateway</html>");

    let r = push(&client, &url, one_series_body()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"{"code":"bogus"}"#);

    assert_eq!(server.scripted_left(Route::Push), 0);
    let r = push(&client, &url, one_series_body()).await;
    assert_eq!(r.status(), 200, "an empty queue falls back to the default");

    let outcomes: Vec<Outcome> = server.requests().iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [503, 429, 429, 502, 200, 200].map(Outcome::Answered)
    );
    let counts = server.counts(Route::Push);
    assert_eq!(counts.requests, 6);
    assert_eq!(counts.by_status.get(&429), Some(&2));
    assert_eq!(counts.by_status.get(&200), Some(&2));
}

#[tokio::test]
async fn each_route_has_its_own_queue() {
    let server = FakePyroscope::start().await.unwrap();
    server.script_ingest([ScriptedResponse::status(422)]);
    server.script(Route::Push, [ScriptedResponse::status(500)]);
    let client = client();

    let r = client
        .post(format!("{}?name=app", server.ingest_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        push(&client, &server.push_url(), one_series_body())
            .await
            .status(),
        500
    );
    assert_eq!(
        push(&client, &server.push_url(), one_series_body())
            .await
            .status(),
        200
    );
    let r = client
        .post(format!("{}?name=app", server.ingest_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn every_connect_code_maps_to_its_http_status() {
    let table = [
        ("canceled", 499),
        ("unknown", 500),
        ("invalid_argument", 400),
        ("deadline_exceeded", 504),
        ("not_found", 404),
        ("already_exists", 409),
        ("permission_denied", 403),
        ("resource_exhausted", 429),
        ("failed_precondition", 400),
        ("aborted", 409),
        ("out_of_range", 400),
        ("unimplemented", 501),
        ("internal", 500),
        ("unavailable", 503),
        ("data_loss", 500),
        ("unauthenticated", 401),
    ];
    assert_eq!(connect_code_status("bogus"), None);
    let server = FakePyroscope::start().await.unwrap();
    server.script_push(
        table
            .iter()
            .map(|(code, _)| ScriptedResponse::connect_error(code, "")),
    );
    let client = client();
    for (code, status) in table {
        assert_eq!(connect_code_status(code), Some(status), "{code}");
        let r = push(&client, &server.push_url(), one_series_body()).await;
        assert_eq!(r.status(), status, "{code}");
        assert_eq!(
            connect_json(r).await,
            serde_json::json!({ "code": code }),
            "no message when empty"
        );
    }
}

#[tokio::test]
async fn a_fallback_answers_every_unscripted_request_until_removed() {
    let server = FakePyroscope::start().await.unwrap();
    server.set_fallback(
        Route::Push,
        Some(ScriptedResponse::status(503).body("service always unavailable")),
    );
    server.script_push([ScriptedResponse::status(401)]);
    let client = client();
    let url = server.push_url();
    assert_eq!(push(&client, &url, one_series_body()).await.status(), 401);
    for _ in 0..3 {
        assert_eq!(push(&client, &url, one_series_body()).await.status(), 503);
    }
    server.set_fallback(Route::Push, None);
    assert_eq!(push(&client, &url, one_series_body()).await.status(), 200);
    assert_eq!(server.counts(Route::Push).by_status.get(&503), Some(&3));
}

#[tokio::test]
async fn a_delayed_answer_is_recorded_before_it_is_sent() {
    let server = Arc::new(FakePyroscope::start().await.unwrap());
    server.script_push([ScriptedResponse::status(202).delay(Duration::from_millis(400))]);
    let url = server.push_url();
    let started = Instant::now();
    let request = tokio::spawn(async move {
        let r = push(&client(), &url, one_series_body()).await;
        (r.status().as_u16(), started.elapsed())
    });

    let recorded = server.wait_for_requests(1, WAIT).await.unwrap();
    assert_eq!(recorded[0].outcome, Outcome::Answered(202));
    let (status, elapsed) = tokio::time::timeout(WAIT, request).await.unwrap().unwrap();
    assert_eq!(status, 202);
    assert!(
        elapsed >= Duration::from_millis(400),
        "answered after the delay, not before: {elapsed:?}"
    );
}

#[tokio::test]
async fn a_never_answered_request_times_out_at_the_client_and_the_next_one_is_served() {
    let server = FakePyroscope::start().await.unwrap();
    server.script_push([ScriptedResponse::never_answer()]);
    let client = builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    let error = client
        .post(server.push_url())
        .header("content-type", "application/proto")
        .body(one_series_body())
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");

    let r = push(&client, &server.push_url(), one_series_body()).await;
    assert_eq!(r.status(), 200);
    let requests = server.wait_for_requests(2, WAIT).await.unwrap();
    assert_eq!(requests[0].outcome, Outcome::NeverAnswered);
    assert_eq!(requests[0].series.len(), 1, "held requests are decoded too");
    let counts = server.counts(Route::Push);
    assert_eq!(counts.never_answered, 1);
    assert_eq!(counts.by_status.get(&200), Some(&1));
}

#[tokio::test]
async fn a_never_answering_fallback_holds_every_request() {
    let server = FakePyroscope::start().await.unwrap();
    server.set_fallback(Route::Push, Some(ScriptedResponse::never_answer()));
    let client = builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    for _ in 0..3 {
        let error = client
            .post(server.push_url())
            .header("content-type", "application/proto")
            .body(one_series_body())
            .send()
            .await
            .unwrap_err();
        assert!(error.is_timeout(), "{error:?}");
    }
    assert_eq!(server.counts(Route::Push).never_answered, 3);
}

#[tokio::test]
async fn shutdown_ends_held_requests() {
    let server = FakePyroscope::start().await.unwrap();
    server.set_fallback(Route::Push, Some(ScriptedResponse::never_answer()));
    let url = server.push_url();
    let request = tokio::spawn(async move {
        client()
            .post(url)
            .header("content-type", "application/proto")
            .body(one_series_body())
            .send()
            .await
    });
    server.wait_for_requests(1, WAIT).await.unwrap();
    tokio::time::timeout(WAIT, server.shutdown())
        .await
        .expect("shutdown finishes although a request is held");
    let result = tokio::time::timeout(WAIT, request).await.unwrap().unwrap();
    let error = result.unwrap_err();
    assert!(!error.is_timeout(), "the connection was closed: {error:?}");
}

#[tokio::test]
async fn a_scripted_close_drops_the_connection_without_an_answer() {
    let server = FakePyroscope::start().await.unwrap();
    server.script_push([
        ScriptedResponse::close(),
        ScriptedResponse::close().delay(Duration::from_millis(100)),
    ]);
    let client = client();
    for _ in 0..2 {
        let error = client
            .post(server.push_url())
            .header("content-type", "application/proto")
            .body(one_series_body())
            .send()
            .await
            .unwrap_err();
        assert!(error.status().is_none(), "{error:?}");
        assert!(!error.is_timeout(), "{error:?}");
    }
    assert_eq!(
        push(&client, &server.push_url(), one_series_body())
            .await
            .status(),
        200
    );
    let counts = server.counts(Route::Push);
    assert_eq!(counts.requests, 3, "no client retry hides a close");
    assert_eq!(counts.closed, 2);
    assert_eq!(server.requests()[0].outcome, Outcome::Closed);
}

#[tokio::test]
async fn a_gate_holds_answers_until_the_test_opens_it() {
    let server = Arc::new(FakePyroscope::start().await.unwrap());
    let gate = Gate::new();
    server.script_push([
        ScriptedResponse::status(503).after(&gate),
        ScriptedResponse::ok().after(&gate),
    ]);
    let url = server.push_url();
    let requests = tokio::spawn(async move {
        // Two clients, so two connections and both requests held at once.
        let (first, second) = (client(), client());
        let (a, b) = tokio::join!(
            push(&first, &url, one_series_body()),
            push(&second, &url, one_series_body())
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        statuses
    });
    let held = server.wait_for_requests(2, WAIT).await.unwrap();
    assert_eq!(held.len(), 2);
    // Held: the answers have not come back.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!requests.is_finished(), "answers wait for the gate");
    assert!(!gate.is_open());

    gate.open();
    assert!(gate.is_open());
    let statuses = tokio::time::timeout(WAIT, requests).await.unwrap().unwrap();
    assert_eq!(statuses, [200, 503]);
    assert_eq!(
        push(&client(), &server.push_url(), one_series_body())
            .await
            .status(),
        200,
        "an open gate holds nothing"
    );
}

#[tokio::test]
async fn repeated_headers_are_recorded_in_order() {
    let server = FakePyroscope::start().await.unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.append("content-type", "ct1".parse().unwrap());
    headers.append("x-other", "o".parse().unwrap());
    headers.append("content-type", "ct2".parse().unwrap());
    let r = client()
        .post(format!("{}?name=app", server.ingest_url()))
        .headers(headers)
        .body("raw")
        .send()
        .await;
    assert_eq!(r.unwrap().status(), 200);
    let recorded = &server.wait_for_requests(1, WAIT).await.unwrap()[0];
    assert_eq!(recorded.header_values("content-type"), ["ct1", "ct2"]);
    assert_eq!(recorded.header_values("x-missing"), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------
// waits, lifecycle, connections

#[tokio::test]
async fn connections_are_numbered_and_counted() {
    let server = FakePyroscope::start().await.unwrap();
    let pooled = client();
    for _ in 0..3 {
        assert_eq!(
            push(&pooled, &server.push_url(), one_series_body())
                .await
                .status(),
            200
        );
    }
    let requests = server.wait_for_requests(3, WAIT).await.unwrap();
    let connections: Vec<u64> = requests.iter().map(|r| r.connection).collect();
    assert_eq!(
        connections,
        [0, 0, 0],
        "a pooled client reuses its connection"
    );
    assert_eq!(
        server.connections(),
        ConnectionCounts {
            opened: 1,
            closed: 0
        }
    );

    drop(pooled);
    let other = client();
    assert_eq!(
        push(&other, &server.push_url(), one_series_body())
            .await
            .status(),
        200
    );
    assert_eq!(server.requests()[3].connection, 1);
    let closed = ferroalloy_test_util::eventually(WAIT, || server.connections().closed == 1).await;
    assert!(
        closed,
        "the dropped client's connection ends: {:?}",
        server.connections()
    );
    assert_eq!(server.connections().opened, 2);
}

#[tokio::test]
async fn a_wait_for_more_requests_than_arrive_reports_what_arrived() {
    let server = FakePyroscope::start().await.unwrap();
    push(&client(), &server.push_url(), one_series_body()).await;
    let error = server
        .wait_for_requests(2, Duration::from_millis(100))
        .await
        .unwrap_err();
    assert_eq!((error.wanted, error.got), (2, 1));
    assert_eq!(
        error.to_string(),
        "timed out after 100ms waiting for 2 all requests to the fake pyroscope server: got 1"
    );
    let error = server
        .wait_for(Route::Ingest, 1, Duration::from_millis(50))
        .await
        .unwrap_err();
    assert_eq!(error.what, "ingest");
    assert_eq!(error.got, 0);
}

#[tokio::test]
async fn waits_return_as_soon_as_concurrent_requests_arrive() {
    let server = Arc::new(FakePyroscope::start().await.unwrap());
    let url = server.push_url();
    let senders = tokio::spawn(async move {
        let client = client();
        for _ in 0..20 {
            assert_eq!(push(&client, &url, one_series_body()).await.status(), 200);
        }
    });
    let requests = server.wait_for(Route::Push, 20, WAIT).await.unwrap();
    assert!(requests.len() >= 20);
    let indexes: Vec<usize> = requests.iter().map(|r| r.index).collect();
    assert_eq!(indexes, (0..20).collect::<Vec<_>>());
    tokio::time::timeout(WAIT, senders).await.unwrap().unwrap();
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let server = FakePyroscope::start().await.unwrap();
    let url = server.push_url();
    assert_eq!(push(&client(), &url, one_series_body()).await.status(), 200);
    drop(server);
    let mut refused = false;
    for _ in 0..100 {
        // A fresh client each time: no pooled connection to a stopped server.
        let result = client()
            .post(&url)
            .header("content-type", "application/proto")
            .body(one_series_body())
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        if let Err(error) = result
            && error.is_connect()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the listener is closed after drop");
}

// ---------------------------------------------------------------------------------------------
// HTTP/2 and TLS

#[tokio::test]
async fn h2c_with_prior_knowledge_is_served() {
    let server = FakePyroscope::start().await.unwrap();
    let client = builder().http2_prior_knowledge().build().unwrap();
    let r = push(&client, &server.push_url(), one_series_body()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    let recorded = &server.wait_for_requests(1, WAIT).await.unwrap()[0];
    assert_eq!(recorded.version, hyper::Version::HTTP_2);
    assert_eq!(recorded.series.len(), 1);
}

#[tokio::test]
async fn an_h2_scripted_close_fails_only_that_request() {
    let server = FakePyroscope::start().await.unwrap();
    server.script_push([ScriptedResponse::close()]);
    let client = builder().http2_prior_knowledge().build().unwrap();
    let error = client
        .post(server.push_url())
        .header("content-type", "application/proto")
        .body(one_series_body())
        .send()
        .await
        .unwrap_err();
    assert!(error.status().is_none(), "{error:?}");
    assert_eq!(
        push(&client, &server.push_url(), one_series_body())
            .await
            .status(),
        200
    );
    assert_eq!(server.counts(Route::Push).closed, 1);
}

fn tls_client(ca_pem: &str, client_pair: Option<(&str, &str)>) -> reqwest::Client {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let mut config = match client_pair {
        Some((cert, key)) => tls
            .with_client_auth_cert(
                CertificateDer::pem_slice_iter(cert.as_bytes())
                    .map(Result::unwrap)
                    .collect(),
                PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
            )
            .unwrap(),
        None => tls.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    builder().tls_backend_preconfigured(config).build().unwrap()
}

#[tokio::test]
async fn tls_serves_h2_by_alpn_and_records_client_certificates() {
    let ca = TestCa::new("fake pyroscope test ca").unwrap();
    let server_pair = ca.server(&["localhost", "127.0.0.1"]).unwrap();
    let client_pair = ca.client("ferroalloy").unwrap();
    let server = FakePyroscope::builder()
        .tls(ServerTls::new(server_pair).require_client_cert(ca.ca_pem()))
        .start()
        .await
        .unwrap();
    assert!(server.url().starts_with("https://127.0.0.1:"));

    let client = tls_client(
        &ca.ca_pem(),
        Some((&client_pair.cert_pem, &client_pair.key_pem)),
    );
    let url = format!(
        "{}/push.v1.PusherService/Push",
        server.url_with_host("localhost")
    );
    let r = push(&client, &url, one_series_body()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    let recorded = &server.wait_for_requests(1, WAIT).await.unwrap()[0];
    assert!(recorded.client_cert.is_some());
    assert_eq!(recorded.series.len(), 1);

    let without_cert = tls_client(&ca.ca_pem(), None);
    let result = without_cert
        .post(&url)
        .header("content-type", "application/proto")
        .body(one_series_body())
        .send()
        .await;
    assert!(result.is_err(), "a client certificate is required");
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn tls_without_h2_serves_http1_and_certificate_files_can_be_written() {
    let ca = TestCa::new("fake pyroscope test ca").unwrap();
    let pair = ca.server(&["127.0.0.1"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pair.write(dir.path(), "server").unwrap();
    assert_eq!(std::fs::read_to_string(cert).unwrap(), pair.cert_pem);
    assert_eq!(std::fs::read_to_string(key).unwrap(), pair.key_pem);

    let mut tls = ServerTls::new(pair);
    tls.h2 = false;
    let server = FakePyroscope::builder().tls(tls).start().await.unwrap();
    let r = push(
        &tls_client(&ca.ca_pem(), None),
        &server.push_url(),
        one_series_body(),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), reqwest::Version::HTTP_11);
}

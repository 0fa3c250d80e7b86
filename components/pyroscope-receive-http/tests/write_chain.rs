//! Through real `pyroscope.write` components to the fake Pyroscope server (Acceptance 2 and 6),
//! and a receiver that is shutting down (Bad input "receiver shutting down").

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "../../../crates/test-util/include/write_chain.rs"]
mod write_chain;

use common::*;
use ferroalloy_pyroscope::labels::parse_query;
use ferroalloy_pyroscope::{Appendable as _, Labels, RawSample};
use ferroalloy_test_util::{FakePyroscope, Route};
use write_chain::writer_to;

/// Acceptance 2 through pyroscope.write: the fake server sees `POST /ingest`, the rendered
/// `name`, the other parameters unchanged, no `Content-Encoding`, the same body.
#[tokio::test]
async fn ingest_through_pyroscope_write() {
    let server = FakePyroscope::start().await.unwrap();
    let (_writer, receiver) = writer_to(&server.url()).await;
    let (_h, addr) = start(args(vec![receiver])).await;
    let body = gzip(&payload(4000));
    let response = client()
        .post(url(
            addr,
            "/ingest?name=peer.python.app&from=1700000000&until=1700000010&format=pprof&sampleRate=100&spyName=pyspy",
        ))
        .header("content-type", "binary/octet-stream")
        .header("content-encoding", "gzip")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let requests = server.wait_for(Route::Ingest, 1, WAIT).await.unwrap();
    let got = &requests[0];
    assert_eq!(got.method, "POST");
    assert_eq!(got.path, "/ingest");
    assert_eq!(
        got.query_param("name").as_deref(),
        Some("peer.python.app{service_name=peer.python.app}")
    );
    for (key, value) in [
        ("from", "1700000000"),
        ("until", "1700000010"),
        ("format", "pprof"),
        ("sampleRate", "100"),
        ("spyName", "pyspy"),
    ] {
        assert_eq!(got.query_param(key).as_deref(), Some(value), "{key}");
    }
    let query = got.query.clone().unwrap_or_default();
    assert_eq!(parse_query(&query).len(), 6);
    assert_eq!(got.header("content-encoding"), None);
    assert_eq!(got.content_type().as_deref(), Some("binary/octet-stream"));
    assert_eq!(&got.body[..], &body[..]);
}

/// Acceptance 6: pyroscope.write (A) → receive_http → pyroscope.write (B) → fake server:
/// labels, `ID` and bytes arrive unchanged.
#[tokio::test]
async fn push_chain_keeps_labels_ids_and_bytes() {
    let server = FakePyroscope::start().await.unwrap();
    let (_b, receiver_b) = writer_to(&server.url()).await;
    let (_h, addr) = start(args(vec![receiver_b])).await;
    let (_a, receiver_a) = writer_to(&format!("http://{addr}")).await;
    let pprof = payload(2500);
    receiver_a
        .get()
        .appender()
        .append(
            Labels::from_pairs([
                ("__name__", "process_cpu"),
                ("service_name", "chain"),
                ("env", "test"),
            ]),
            vec![RawSample::with_id("id-1", pprof.clone())],
        )
        .await
        .unwrap();
    let requests = server.wait_for(Route::Push, 1, WAIT).await.unwrap();
    let series = &requests[0].series;
    assert_eq!(series.len(), 1);
    assert_eq!(
        series[0].label_pairs(),
        vec![
            ("__name__", "process_cpu"),
            ("env", "test"),
            ("service_name", "chain")
        ]
    );
    assert_eq!(series[0].samples[0].id, "id-1");
    assert_eq!(&series[0].samples[0].raw_profile[..], &pprof[..]);
}

/// Bad input "receiver shutting down": a stopped pyroscope.write answers `Stopped` → 503.
#[tokio::test]
async fn a_stopped_writer_gives_503() {
    let server = FakePyroscope::start().await.unwrap();
    let (mut writer, receiver) = writer_to(&server.url()).await;
    let (_h, addr) = start(args(vec![receiver])).await;
    writer.stop().await.unwrap();
    let (status, code, message) = connect_error(push(addr, simple_push_body()).await).await;
    assert_eq!((status, code.as_str()), (503, "unavailable"));
    assert_eq!(
        message,
        r#"unable to append series {__name__="process_cpu", service_name="svc"} to receiver 0: pyroscope.write is shutting down"#
    );
    let response = client()
        .post(url(addr, "/ingest?name=app"))
        .body("x")
        .send()
        .await
        .unwrap();
    let (status, _, message) = connect_error(response).await;
    assert_eq!(status, 503);
    assert_eq!(
        message,
        "unable to ingest profile to receiver 0: pyroscope.write is shutting down"
    );
}

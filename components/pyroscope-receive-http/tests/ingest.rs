//! `/ingest` (spec §5): the request shapes real SDKs send, forwarded byte for byte, and every
//! bad-input answer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;

async fn post_ingest(
    addr: std::net::SocketAddr,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = client().post(url(addr, path_and_query));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(body).send().await.unwrap()
}

/// Acceptance 2: pyroscope-io 0.8.16 — labels, content types, path, query and body.
#[tokio::test]
async fn pyroscope_io_08_ingest_is_forwarded_byte_for_byte() {
    let (_h, addr, recorder) = start_recording().await;
    let query = "name=peer.python.app&from=1700000000&until=1700000010&format=pprof&sampleRate=100&spyName=pyspy";
    let body = gzip(&payload(3000));
    let response = post_ingest(
        addr,
        &format!("/ingest?{query}"),
        &[
            ("content-type", "binary/octet-stream"),
            ("content-encoding", "gzip"),
            ("x-scope-orgid", "tenant"),
            ("authorization", "Bearer t"),
        ],
        body.clone(),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().is_empty());
    let ingests = recorder.ingests();
    assert_eq!(ingests.len(), 1);
    let got = &ingests[0];
    assert_eq!(
        sorted(&got.labels),
        vec![
            ("__name__".to_owned(), "peer.python.app".to_owned()),
            ("service_name".to_owned(), "peer.python.app".to_owned()),
        ]
    );
    assert_eq!(got.content_type, vec!["binary/octet-stream".to_owned()]);
    assert_eq!(got.path, "/ingest");
    assert_eq!(got.raw_query, query);
    assert_eq!(&got.raw_body[..], &body[..], "not gunzipped");
}

/// Acceptance 3: @pyroscope/nodejs 0.6.4 — otel/process labels and tags from `name`,
/// `sampleRate=17` only on the wall request.
#[tokio::test]
async fn nodejs_064_wall_and_heap_requests() {
    let (_h, addr, recorder) = start_recording().await;
    let name = "peer.node.app%7Botel.scope.name%3Dcom.grafana.pyroscope%2Fnodejs%2Cotel.scope.version%3D0.6.4%2Cprocess.runtime.name%3Dnodejs%2Cprocess.runtime.version%3Dv20.20.2%2Cregion%3Deu-west%2Cenv%3Dtest%7D";
    let wall = format!(
        "format=pprof&from=1700000000&name={name}&spyName=nodespy&until=1700000060&sampleRate=17"
    );
    let heap = format!("format=pprof&from=1700000000&name={name}&spyName=nodespy&until=1700000060");
    for query in [&wall, &heap] {
        let response = post_ingest(
            addr,
            &format!("/ingest?{query}"),
            &[
                ("content-type", "application/octet-stream"),
                ("user-agent", "node"),
            ],
            gzip(&payload(100)),
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    let ingests = recorder.ingests();
    assert_eq!(ingests.len(), 2);
    for got in &ingests {
        let labels = sorted(&got.labels);
        for (n, v) in [
            ("otel.scope.name", "com.grafana.pyroscope/nodejs"),
            ("otel.scope.version", "0.6.4"),
            ("process.runtime.name", "nodejs"),
            ("process.runtime.version", "v20.20.2"),
            ("region", "eu-west"),
            ("env", "test"),
            ("service_name", "peer.node.app"),
            ("__name__", "peer.node.app"),
        ] {
            assert!(
                labels.contains(&(n.to_owned(), v.to_owned())),
                "{n}={v} in {labels:?}"
            );
        }
    }
    assert!(ingests[0].raw_query.contains("sampleRate=17"));
    assert_eq!(ingests[0].raw_query, wall);
    assert!(!ingests[1].raw_query.contains("sampleRate"));
}

fn multipart(boundary: &str, part_type: &str, profile: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"profile\"; filename=\"profile\"\r\nContent-Type: {part_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(profile);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// Acceptance 4 (0.4.13): multipart forwarded with the same `Content-Type` (boundary) and body.
#[tokio::test]
async fn multipart_is_forwarded_unparsed() {
    let (_h, addr, recorder) = start_recording().await;
    let boundary = "----formdata-undici-0123456789";
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let body = multipart(boundary, "application/octet-stream", &gzip(&payload(2000)));
    let response = post_ingest(
        addr,
        "/ingest?from=1&name=peer.node.app%7Benv%3Dtest%7D&spyName=nodespy&until=2",
        &[("content-type", &content_type)],
        body.clone(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let got = &recorder.ingests()[0];
    assert_eq!(got.content_type, vec![content_type]);
    assert_eq!(&got.raw_body[..], &body[..]);
    assert_eq!(got.labels.get("env"), Some("test"));
}

/// Acceptance 4 (0.3.11) and Bad input "chunked body": a chunked multipart body whose part
/// claims `text/json` is forwarded de-chunked, byte for byte.
#[tokio::test]
async fn chunked_multipart_is_dechunked() {
    let (_h, addr, recorder) = start_recording().await;
    let boundary = "--------------------------axios0311";
    let body = multipart(boundary, "text/json", &gzip(&payload(5000)));
    let mut request = format!(
        "POST /ingest?from=1&name=peer.node.app&spyName=nodespy&until=2 HTTP/1.1\r\nHost: x\r\nUser-Agent: axios/0.21\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.chunks(777) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let answer = raw_exchange(addr, &request).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let got = &recorder.ingests()[0];
    assert_eq!(&got.raw_body[..], &body[..]);
    assert_eq!(
        got.content_type,
        vec![format!("multipart/form-data; boundary={boundary}")]
    );
}

/// Every `Content-Type` value is passed on, in order.
#[tokio::test]
async fn repeated_content_types_are_kept_in_order() {
    let (_h, addr, recorder) = start_recording().await;
    let request = b"POST /ingest?name=app HTTP/1.1\r\nHost: x\r\nContent-Type: a/b\r\nContent-Type: c/d\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";
    let answer = raw_exchange(addr, request).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(
        recorder.ingests()[0].content_type,
        vec!["a/b".to_owned(), "c/d".to_owned()]
    );
}

/// `service_name` inside `name` keeps its value and the app name becomes `app_name`; empty
/// values are dropped; unterminated text is ignored.
#[tokio::test]
async fn name_labels_follow_alloy() {
    let (_h, addr, recorder) = start_recording().await;
    for query in [
        "name=app%7Bservice_name%3Dsvc%2Cempty%3D%7D",
        "name=app%7Binvalid-label-syntax%7D",
    ] {
        let response = post_ingest(addr, &format!("/ingest?{query}"), &[], b"x".to_vec()).await;
        assert_eq!(response.status(), 200, "{query}");
    }
    let ingests = recorder.ingests();
    assert_eq!(
        sorted(&ingests[0].labels),
        vec![
            ("__name__".to_owned(), "app".to_owned()),
            ("app_name".to_owned(), "app".to_owned()),
            ("service_name".to_owned(), "svc".to_owned()),
        ]
    );
    assert_eq!(
        sorted(&ingests[1].labels),
        vec![
            ("__name__".to_owned(), "app".to_owned()),
            ("service_name".to_owned(), "app".to_owned()),
        ]
    );
}

/// Acceptance 10: `/pyroscope/ingest` behaves as `/ingest` and forwards path `/ingest`.
#[tokio::test]
async fn pyroscope_ingest_is_an_alias() {
    let (_h, addr, recorder) = start_recording().await;
    let response = post_ingest(
        addr,
        "/pyroscope/ingest?name=app&format=pprof",
        &[],
        b"data".to_vec(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let got = &recorder.ingests()[0];
    assert_eq!(got.path, "/ingest");
    assert_eq!(got.raw_query, "name=app&format=pprof");
}

/// Bad input: missing, empty and invalid `name` → 400 `name: …`.
#[tokio::test]
async fn bad_names_get_400() {
    let (_h, addr, recorder) = start_recording().await;
    let cases = [
        ("/ingest?from=1", "name: service name is required"),
        ("/ingest?name=", "name: service name is required"),
        (
            "/ingest?name=a%20b",
            "name: invalid service name: a b: character is not allowed: ' '",
        ),
        (
            "/ingest?name=app%7Ba-b%3D1%7D",
            "name: invalid label name: a-b: character is not allowed: '-'",
        ),
    ];
    for (path, expected) in cases {
        let (status, code, message) =
            connect_error(post_ingest(addr, path, &[], b"x".to_vec()).await).await;
        assert_eq!((status, code.as_str()), (400, "invalid_argument"), "{path}");
        assert_eq!(message, expected);
    }
    assert_eq!(recorder.calls(), 0);
}

/// Bad input: an empty body → 400 `empty request body`.
#[tokio::test]
async fn empty_body_gets_400() {
    let (_h, addr, recorder) = start_recording().await;
    let (status, code, message) =
        connect_error(post_ingest(addr, "/ingest?name=app", &[], Vec::new()).await).await;
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (400, "invalid_argument", "empty request body")
    );
    assert_eq!(recorder.calls(), 0);
}

/// Acceptance 9 and Bad input: 1 MiB is accepted by default; with a 1 KiB limit a 2 KiB body is
/// refused with and without `Content-Length`.
#[tokio::test]
async fn body_limit() {
    let (_h, addr, recorder) = start_recording().await;
    let big = payload(1 << 20);
    let response = post_ingest(addr, "/ingest?name=app", &[], big.clone()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(recorder.ingests()[0].raw_body.len(), big.len());

    let limited = Recorder::new();
    let mut a = args(vec![limited.receiver()]);
    a.http.max_request_body_size = "1KiB".to_owned();
    let (_h2, addr2) = start(a).await;
    let (status, code, message) =
        connect_error(post_ingest(addr2, "/ingest?name=app", &[], payload(2048)).await).await;
    assert_eq!((status, code.as_str()), (413, "invalid_argument"));
    assert_eq!(message, "request body too large: limit 1024 bytes");

    // Chunked, no Content-Length: refused as soon as the limit is passed; the rest of the body
    // is never sent, and the answer still arrives (the server does not wait for it).
    let mut stream = tokio::net::TcpStream::connect(addr2).await.unwrap();
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    stream
        .write_all(b"POST /ingest?name=app HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n")
        .await
        .unwrap();
    stream.write_all(&payload(2048)).await.unwrap();
    stream.write_all(b"\r\n").await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("request body too large: limit 1024 bytes"));

    // Exactly at the limit is fine.
    let response = post_ingest(addr2, "/ingest?name=app", &[], payload(1024)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(limited.ingests().len(), 1);
}

/// Bad input: a client that disconnects mid-body gets nothing forwarded.
#[tokio::test]
async fn disconnect_mid_body_forwards_nothing() {
    let (h, addr, recorder) = start_recording().await;
    {
        use tokio::io::AsyncWriteExt as _;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /ingest?name=app HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly-a-part")
            .await
            .unwrap();
    }
    // The connection ends; then a normal request still works and is the only one forwarded.
    assert!(ferroalloy_test_util::eventually(WAIT, || h.component().open_connections() == 0).await);
    let response = post_ingest(addr, "/ingest?name=app", &[], b"full".to_vec()).await;
    assert_eq!(response.status(), 200);
    let ingests = recorder.ingests();
    assert_eq!(ingests.len(), 1);
    assert_eq!(&ingests[0].raw_body[..], b"full");
}

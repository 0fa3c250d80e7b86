//! Connect `Push` (spec §6): what real clients send, both codecs, gzip, label handling,
//! receiver failures, and every bad-input answer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use ferroalloy_pyroscope::AppendError;
use prost::Message as _;

/// Acceptance 1: a pyroscope-io 1.4.0 request (gzip PushRequest, no Connect-Protocol-Version,
/// client headers) becomes one append with exactly the client's labels, ID and bytes.
#[tokio::test]
async fn pyroscope_io_14_push_is_forwarded_unchanged() {
    let (_h, addr, recorder) = start_recording().await;
    let labels: &[(&str, &str)] = &[
        ("__name__", "process_cpu"),
        ("env", "test"),
        ("region", "us-east"),
        ("service_name", "peer.python.app"),
        ("otel.scope.name", "com.grafana.pyroscope/python"),
        ("otel.scope.version", "1.4.0"),
        ("process.runtime.name", "cpython"),
        ("process.runtime.version", "3.11.7"),
    ];
    let pprof = payload(5000);
    let uuid = "3f2b1c9e-7a51-4c55-9a7e-2f4d1b0c8e11";
    let request = push_request(&[(labels, &[(uuid, &pprof)])]);
    let response = client()
        .post(url(addr, "/push.v1.PusherService/Push"))
        .header("content-type", "application/proto")
        .header("content-encoding", "gzip")
        .header("user-agent", "pyroscope-rs/pyspy/1.4.0 reqwest")
        .header("authorization", "Basic dXNlcjpwYXNz")
        .header("x-scope-orgid", "tenant-a")
        .body(gzip(&request.encode_to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/proto"
    );
    assert!(response.bytes().await.unwrap().is_empty());
    let appends = recorder.appends();
    assert_eq!(appends.len(), 1);
    let (got_labels, samples) = &appends[0];
    let want: Vec<(String, String)> = labels
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(pairs(got_labels), want, "exactly the client's labels");
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0].id, uuid);
    assert_eq!(&samples[0].raw_profile[..], &pprof[..]);
}

/// Acceptance 5: the JSON codec, `{}` answer, decoded bytes forwarded.
#[tokio::test]
async fn json_push_is_answered_with_json() {
    let (_h, addr, recorder) = start_recording().await;
    let body = r#"{"series":[{"labels":[{"name":"__name__","value":"process_cpu"},{"name":"service_name","value":"svc"}],"samples":[{"rawProfile":"AQIDBA==","ID":"x"}]}]}"#;
    let response = client()
        .post(url(addr, "/push.v1.PusherService/Push"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(&response.bytes().await.unwrap()[..], b"{}");
    let appends = recorder.appends();
    assert_eq!(appends.len(), 1);
    assert_eq!(&appends[0].1[0].raw_profile[..], &[1, 2, 3, 4]);
    assert_eq!(appends[0].1[0].id, "x");

    // `; charset=utf-8`, `raw_profile` and URL-safe unpadded base64 are accepted too.
    let body = r#"{"series":[{"labels":[{"name":"service_name","value":"svc"},{"name":"__name__","value":"memory"}],"samples":[{"raw_profile":"-_8"}]}]}"#;
    let response = client()
        .post(url(addr, "/push.v1.PusherService/Push"))
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(&recorder.appends()[1].1[0].raw_profile[..], &[0xfb, 0xff]);
}

/// Acceptance 12 and §6 step 8: missing `service_name` → `unknown_service`; later duplicates
/// replace, empty values remove; `__` labels pass on.
#[tokio::test]
async fn series_labels_are_normalised() {
    let (_h, addr, recorder) = start_recording().await;
    let body = push_request(&[(
        &[
            ("__name__", "process_cpu"),
            ("a", "1"),
            ("a", "2"),
            ("gone", "x"),
            ("gone", ""),
            ("__session_id__", "abc"),
        ],
        &[("", b"p")],
    )])
    .encode_to_vec();
    assert_eq!(push(addr, body).await.status(), 200);
    let appends = recorder.appends();
    assert_eq!(
        sorted(&appends[0].0),
        vec![
            ("__name__".to_owned(), "process_cpu".to_owned()),
            ("__session_id__".to_owned(), "abc".to_owned()),
            ("a".to_owned(), "2".to_owned()),
            ("service_name".to_owned(), "unknown_service".to_owned()),
        ]
    );
}

/// Several series: each with samples is one append per receiver; a series without samples is
/// skipped.
#[tokio::test]
async fn every_series_reaches_every_receiver() {
    let a = Recorder::new();
    let b = Recorder::new();
    let (_h, addr) = start(args(vec![a.receiver(), b.receiver()])).await;
    let body = push_request(&[
        (
            &[("__name__", "process_cpu"), ("service_name", "s")],
            &[("1", b"one"), ("2", b"two")],
        ),
        (&[("__name__", "memory"), ("service_name", "s")], &[]),
        (
            &[("__name__", "memory"), ("service_name", "s")],
            &[("3", b"three")],
        ),
    ])
    .encode_to_vec();
    assert_eq!(push(addr, body).await.status(), 200);
    for recorder in [&a, &b] {
        let appends = recorder.appends();
        assert_eq!(appends.len(), 2);
        assert_eq!(appends[0].1.len(), 2);
        assert_eq!(appends[0].0.get("__name__"), Some("process_cpu"));
        assert_eq!(appends[1].0.get("__name__"), Some("memory"));
        assert_eq!(&appends[1].1[0].raw_profile[..], b"three");
    }
}

/// Acceptance 7: a generic failure of one receiver → 500 `internal` naming series and receiver
/// index; the other receiver still has the profile.
#[tokio::test]
async fn a_failing_receiver_gives_500_and_the_other_keeps_the_profile() {
    let good = Recorder::new();
    let bad = Recorder::new();
    bad.fail_with(Some(AppendError::Other("disk full".to_owned())));
    let (_h, addr) = start(args(vec![good.receiver(), bad.receiver()])).await;
    let (status, code, message) = connect_error(push(addr, simple_push_body()).await).await;
    assert_eq!((status, code.as_str()), (500, "internal"));
    assert_eq!(
        message,
        r#"unable to append series {__name__="process_cpu", service_name="svc"} to receiver 1: disk full"#
    );
    assert_eq!(good.appends().len(), 1);
}

/// §8: `Rejected` → 400, `Stopped` → 503 (Bad input "receiver shutting down"); the first failure
/// decides, every failing receiver is in the message.
#[tokio::test]
async fn receiver_errors_are_classified() {
    let rejected = Recorder::new();
    rejected.fail_with(Some(AppendError::Rejected(
        "invalid labels in profile: duplicate label name: a".to_owned(),
    )));
    let stopped = Recorder::new();
    stopped.fail_with(Some(AppendError::Stopped));
    let (_h, addr) = start(args(vec![stopped.receiver(), rejected.receiver()])).await;
    let (status, code, message) = connect_error(push(addr, simple_push_body()).await).await;
    assert_eq!((status, code.as_str()), (503, "unavailable"));
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 2, "{message}");
    assert!(lines[0].ends_with("to receiver 0: pyroscope.write is shutting down"));
    assert!(
        lines[1].ends_with("to receiver 1: invalid labels in profile: duplicate label name: a")
    );

    let rejected_only = Recorder::new();
    rejected_only.fail_with(Some(AppendError::Rejected("no".to_owned())));
    let (_h2, addr2) = start(args(vec![rejected_only.receiver()])).await;
    let (status, code, _) = connect_error(push(addr2, simple_push_body()).await).await;
    assert_eq!((status, code.as_str()), (400, "invalid_argument"));
}

/// `forward_to = []`: requests succeed, data is discarded.
#[tokio::test]
async fn no_receivers_accepts_and_discards() {
    let (_h, addr) = start(args(Vec::new())).await;
    assert_eq!(push(addr, simple_push_body()).await.status(), 200);
}

async fn push_with(
    addr: std::net::SocketAddr,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = client().post(url(addr, "/push.v1.PusherService/Push"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(body).send().await.unwrap()
}

/// Bad input: content types other than proto/JSON → 415 with `Accept-Post`.
#[tokio::test]
async fn unsupported_content_types_get_415() {
    let (_h, addr, recorder) = start_recording().await;
    for content_type in [
        Some("text/plain"),
        None,
        Some("application/x-protobuf"),
        Some("application/grpc"),
        Some("application/grpc+proto"),
    ] {
        let headers: Vec<(&str, &str)> = content_type
            .map(|t| vec![("content-type", t)])
            .unwrap_or_default();
        let response = push_with(addr, &headers, simple_push_body()).await;
        assert_eq!(
            response.headers().get("accept-post").unwrap(),
            "application/json, application/json; charset=utf-8, application/proto"
        );
        let (status, code, message) = connect_error(response).await;
        assert_eq!(
            (status, code.as_str()),
            (415, "unimplemented"),
            "{content_type:?}"
        );
        assert!(message.contains("content-type"), "{message}");
    }
    assert_eq!(recorder.calls(), 0);
}

/// Bad input: `Content-Encoding: br` → 501; gzip that is not gzip or truncated → 400.
#[tokio::test]
async fn compression_errors() {
    let (_h, addr, recorder) = start_recording().await;
    let response = push_with(
        addr,
        &[
            ("content-type", "application/proto"),
            ("content-encoding", "br"),
        ],
        simple_push_body(),
    )
    .await;
    assert_eq!(response.headers().get("accept-encoding").unwrap(), "gzip");
    let (status, code, message) = connect_error(response).await;
    assert_eq!((status, code.as_str()), (501, "unimplemented"));
    assert_eq!(
        message,
        r#"unknown compression "br": supported encodings are gzip"#
    );

    let gz = gzip(&simple_push_body());
    for body in [simple_push_body(), gz[..gz.len() / 2].to_vec()] {
        let (status, code, message) = connect_error(
            push_with(
                addr,
                &[
                    ("content-type", "application/proto"),
                    ("content-encoding", "gzip"),
                ],
                body,
            )
            .await,
        )
        .await;
        assert_eq!((status, code.as_str()), (400, "invalid_argument"));
        assert!(message.starts_with("decompress: "), "{message}");
    }
    // `identity` is fine.
    let response = push_with(
        addr,
        &[
            ("content-type", "application/proto"),
            ("content-encoding", "identity"),
        ],
        simple_push_body(),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(recorder.appends().len(), 1);
}

/// Bad input: random bytes, truncated protobuf, bad JSON, bad base64 → 400 `unmarshal message`.
#[tokio::test]
async fn undecodable_messages_get_400() {
    let (_h, addr, recorder) = start_recording().await;
    let full = simple_push_body();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "application/proto",
            vec![0xff, 0xff, 0xff, 0xff, 0x0f, 0x01],
        ),
        ("application/proto", full[..full.len() - 2].to_vec()),
        ("application/json", b"{\"series\": [".to_vec()),
        (
            "application/json",
            br#"{"series":[{"samples":[{"rawProfile":"%%%"}]}]}"#.to_vec(),
        ),
        ("application/json", b"[]".to_vec()),
    ];
    for (content_type, body) in cases {
        let (status, code, message) =
            connect_error(push_with(addr, &[("content-type", content_type)], body).await).await;
        assert_eq!((status, code.as_str()), (400, "invalid_argument"));
        assert!(message.starts_with("unmarshal message: "), "{message}");
    }
    // Invalid UTF-8 in a string field (label value).
    let mut bad_utf8 = simple_push_body();
    let at = bad_utf8
        .windows(3)
        .position(|w| w == b"svc")
        .expect("label value present");
    bad_utf8[at] = 0xff;
    let (status, _, message) = connect_error(push(addr, bad_utf8).await).await;
    assert_eq!(status, 400);
    assert!(message.starts_with("unmarshal message: "), "{message}");
    assert_eq!(recorder.calls(), 0);
}

/// Bad input: Connect-Protocol-Version 2, Connect-Timeout-Ms abc or 11 digits → 400.
#[tokio::test]
async fn connect_header_errors() {
    let (_h, addr, recorder) = start_recording().await;
    let cases = [
        (
            ("connect-protocol-version", "2"),
            r#"connect-protocol-version must be "1": got "2""#,
        ),
        (("connect-timeout-ms", "abc"), r#"invalid timeout: "abc""#),
        (
            ("connect-timeout-ms", "12345678901"),
            r#"invalid timeout: "12345678901""#,
        ),
    ];
    for (header, expected) in cases {
        let (status, code, message) = connect_error(
            push_with(
                addr,
                &[("content-type", "application/proto"), header],
                simple_push_body(),
            )
            .await,
        )
        .await;
        assert_eq!((status, code.as_str()), (400, "invalid_argument"));
        assert_eq!(message, expected);
    }
    let ok = push_with(
        addr,
        &[
            ("content-type", "application/proto"),
            ("connect-protocol-version", "1"),
            ("connect-timeout-ms", "10000"),
        ],
        simple_push_body(),
    )
    .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(recorder.appends().len(), 1);
}

/// Bad input: zero series, or series without samples only → 400 `no profiles received`.
#[tokio::test]
async fn empty_pushes_get_400() {
    let (_h, addr, recorder) = start_recording().await;
    let no_samples = push_request(&[(&[("__name__", "process_cpu"), ("service_name", "s")], &[])])
        .encode_to_vec();
    for body in [Vec::new(), no_samples] {
        let (status, code, message) = connect_error(push(addr, body).await).await;
        assert_eq!(
            (status, code.as_str(), message.as_str()),
            (400, "invalid_argument", "no profiles received")
        );
    }
    assert_eq!(recorder.calls(), 0);
}

/// Bad input: an empty `raw_profile` or a label name `a-b` → 400 naming the series (and
/// sample); nothing forwarded, not even the valid series before it.
#[tokio::test]
async fn invalid_series_fail_the_whole_request() {
    let (_h, addr, recorder) = start_recording().await;
    let valid: SeriesSpec<'_> = (
        &[("__name__", "process_cpu"), ("service_name", "s")],
        &[("", b"ok")],
    );
    let body = push_request(&[
        valid,
        (
            &[("__name__", "memory"), ("service_name", "s")],
            &[("", b"ok"), ("", b"")],
        ),
    ])
    .encode_to_vec();
    let (status, _, message) = connect_error(push(addr, body).await).await;
    assert_eq!(status, 400);
    assert_eq!(message, "series 1 sample 1: empty raw_profile");

    let body = push_request(&[
        valid,
        (
            &[("__name__", "memory"), ("service_name", "s"), ("a-b", "1")],
            &[("", b"ok")],
        ),
    ])
    .encode_to_vec();
    let (status, code, message) = connect_error(push(addr, body).await).await;
    assert_eq!((status, code.as_str()), (400, "invalid_argument"));
    assert_eq!(
        message,
        "series 1: invalid labels: invalid label name: invalid label name: a-b: character is not allowed: '-'"
    );
    assert_eq!(recorder.calls(), 0);
}

/// Bad input: a gzip bomb (small body, decompressed above the limit) → 413.
#[tokio::test]
async fn gzip_bombs_get_413() {
    let recorder = Recorder::new();
    let mut a = args(vec![recorder.receiver()]);
    a.http.max_request_body_size = "64KiB".to_owned();
    let (_h, addr) = start(a).await;
    let big = push_request(&[(
        &[("__name__", "process_cpu"), ("service_name", "s")],
        &[("", &vec![0u8; 1 << 20])],
    )])
    .encode_to_vec();
    let bomb = gzip(&big);
    assert!(bomb.len() < 64 * 1024);
    let (status, code, message) = connect_error(
        push_with(
            addr,
            &[
                ("content-type", "application/proto"),
                ("content-encoding", "gzip"),
            ],
            bomb,
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (413, "invalid_argument"));
    assert_eq!(message, "request body too large: limit 65536 bytes");
    assert_eq!(recorder.calls(), 0);
}

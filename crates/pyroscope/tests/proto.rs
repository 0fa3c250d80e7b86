//! The checked-in prost types read and write the real wire format (`wire.md` §1, §7, §8).
//!
//! Expected bytes are written out by hand here (tag, length, payload), independent of prost, so
//! a wrong field number or type in the generated code fails these tests.

use bytes::Bytes;
use ferroalloy_pyroscope::pprof::{Profile, Sample, ValueType};
use ferroalloy_pyroscope::push::{concat_frames, encode_series};
use ferroalloy_pyroscope::push_v1::{PushRequest, RawProfileSeries, RawSample};
use ferroalloy_pyroscope::types_v1::LabelPair;
use prost::Message;

/// A length-delimited field (wire type 2) with a one-byte tag and a one-byte length.
fn ld(field: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 128, "test helper writes one-byte lengths");
    let mut out = vec![field << 3 | 2, payload.len() as u8];
    out.extend_from_slice(payload);
    out
}

/// A varint field (wire type 0) with a one-byte tag.
fn varint(field: u8, mut value: u64) -> Vec<u8> {
    let mut out = vec![field << 3];
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

fn label(name: &str, value: &str) -> LabelPair {
    LabelPair {
        name: name.into(),
        value: value.into(),
    }
}

fn label_bytes(name: &str, value: &str) -> Vec<u8> {
    [ld(1, name.as_bytes()), ld(2, value.as_bytes())].concat()
}

fn acceptance_request() -> PushRequest {
    PushRequest {
        series: vec![RawProfileSeries {
            labels: vec![
                label("__name__", "process_cpu"),
                label("service_name", "svc"),
            ],
            samples: vec![RawSample {
                raw_profile: Bytes::from_static(&[1, 2, 3]),
                id: "x".into(),
            }],
            annotations: vec![],
        }],
    }
}

fn acceptance_bytes() -> Vec<u8> {
    let series = [
        ld(1, &label_bytes("__name__", "process_cpu")),
        ld(1, &label_bytes("service_name", "svc")),
        ld(2, &[ld(1, &[1, 2, 3]), ld(2, b"x")].concat()),
    ]
    .concat();
    ld(1, &series)
}

#[test]
fn push_request_encodes_to_the_wire_format() {
    // wire.md §8 item 1: the fields protoc --decode would print, byte for byte
    let encoded = acceptance_request().encode_to_vec();
    assert_eq!(encoded, acceptance_bytes());
    assert_eq!(encoded.len(), 58);
}

#[test]
fn push_request_round_trips() -> Result<(), prost::DecodeError> {
    let request = acceptance_request();
    let decoded = PushRequest::decode(request.encode_to_vec().as_slice())?;
    assert_eq!(decoded, request);
    assert_eq!(decoded.series[0].samples[0].id, "x");
    Ok(())
}

#[test]
fn encode_series_is_a_one_series_request() -> Result<(), prost::DecodeError> {
    let samples = [ferroalloy_pyroscope::RawSample::with_id(
        "x",
        vec![1u8, 2, 3],
    )];
    let frame = encode_series(
        vec![
            label("__name__", "process_cpu"),
            label("service_name", "svc"),
        ],
        &samples,
    );
    assert_eq!(frame.as_ref(), acceptance_bytes().as_slice());
    assert_eq!(
        frame[0], 0x0A,
        "a series frame starts with field 1, wire type 2"
    );
    // an empty id is omitted from the wire
    let frame = encode_series(
        vec![label("service_name", "s")],
        &[ferroalloy_pyroscope::RawSample::new(vec![9u8])],
    );
    let series = ld(
        1,
        &[
            ld(1, &label_bytes("service_name", "s")),
            ld(2, &ld(1, &[9])),
        ]
        .concat(),
    );
    assert_eq!(frame.as_ref(), series.as_slice());
    let decoded = PushRequest::decode(frame)?;
    assert_eq!(decoded.series.len(), 1);
    assert!(decoded.series[0].annotations.is_empty());
    Ok(())
}

#[test]
fn concatenated_frames_are_one_request() -> Result<(), prost::DecodeError> {
    // wire.md §8 item 2
    let a = encode_series(
        vec![label("service_name", "a")],
        &[ferroalloy_pyroscope::RawSample::with_id("1", vec![1u8])],
    );
    let b = encode_series(
        vec![label("service_name", "b")],
        &[
            ferroalloy_pyroscope::RawSample::with_id("2", vec![2u8]),
            ferroalloy_pyroscope::RawSample::with_id("3", vec![3u8]),
        ],
    );
    let body = concat_frames([&a, &b]);
    assert_eq!(body.len(), a.len() + b.len());
    let decoded = PushRequest::decode(body)?;
    let names: Vec<&str> = decoded
        .series
        .iter()
        .map(|s| s.labels[0].value.as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);
    let ids: Vec<&str> = decoded
        .series
        .iter()
        .flat_map(|s| s.samples.iter().map(|x| x.id.as_str()))
        .collect();
    assert_eq!(ids, ["1", "2", "3"]);
    // one frame is the body itself: the same allocation, not a copy
    let single = concat_frames([&a]);
    assert_eq!(single.as_ptr(), a.as_ptr());
    Ok(())
}

#[test]
fn unknown_fields_are_skipped() -> Result<(), prost::DecodeError> {
    // a future field 9 (varint) and 10 (bytes) around the series
    let bytes = [varint(9, 300), acceptance_bytes(), ld(10, b"ignored")].concat();
    assert_eq!(PushRequest::decode(bytes.as_slice())?, acceptance_request());
    Ok(())
}

fn go_style_pprof(packed: bool) -> Vec<u8> {
    // time_nanos (9) before sample_type (1), as Go writes it; location_id unpacked or packed
    let sample = if packed {
        [ld(1, &[1, 2, 3]), ld(2, &[7])].concat()
    } else {
        [varint(1, 1), varint(1, 2), varint(1, 3), varint(2, 7)].concat()
    };
    [
        varint(9, 1_700_000_000_000_000_000),
        ld(1, &[varint(1, 1), varint(2, 2)].concat()),
        ld(2, &sample),
        ld(6, b""),
        ld(6, b"samples"),
        ld(6, b"count"),
        varint(12, 10_000_000),
    ]
    .concat()
}

#[test]
fn pprof_in_go_field_order_decodes() -> Result<(), prost::DecodeError> {
    // wire.md §8 item 7
    for packed in [false, true] {
        let profile = Profile::decode(go_style_pprof(packed).as_slice())?;
        assert_eq!(profile.time_nanos, 1_700_000_000_000_000_000);
        assert_eq!(profile.sample_type, [ValueType { r#type: 1, unit: 2 }]);
        assert_eq!(
            profile.sample,
            [Sample {
                location_id: vec![1, 2, 3],
                value: vec![7],
                label: vec![],
            }]
        );
        assert_eq!(profile.string_table, ["", "samples", "count"]);
        assert_eq!(profile.period, 10_000_000);
    }
    Ok(())
}

#[test]
fn truncated_input_is_an_error_not_a_panic() {
    let push = acceptance_bytes();
    for cut in 1..push.len() {
        assert!(
            PushRequest::decode(&push[..cut]).is_err(),
            "push prefix of {cut} bytes"
        );
    }
    let pprof = go_style_pprof(false);
    let mut failures = 0;
    for cut in 1..pprof.len() {
        // a prefix that ends on a field boundary is a valid shorter profile
        if Profile::decode(&pprof[..cut]).is_err() {
            failures += 1;
        }
    }
    assert!(failures > 0);
    // garbage
    assert!(PushRequest::decode(&[0xff, 0xff, 0xff][..]).is_err());
    assert!(Profile::decode(&[0x0a, 0x7f, 0x01][..]).is_err());
}

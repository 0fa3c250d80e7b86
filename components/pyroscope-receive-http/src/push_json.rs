//! The protobuf-JSON codec of `push.v1.PushRequest` (spec §6 step 6, `wire.md` §1.3).
//!
//! Decisions: a small hand-written reader over `serde_json::Value` instead of a serde derive on
//! the generated types (which are prost-only): field names `series`, `labels`, `name`,
//! `value`, `samples`, `rawProfile` (also `raw_profile`), `ID`, `annotations`; `null` means the
//! field's default (proto3 JSON); unknown fields are ignored; bytes are base64 in the standard
//! or URL-safe alphabet, padded or not. Errors are the `<err>` of `unmarshal message: <err>`.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;
use ferroalloy_pyroscope::push_v1::{PushRequest, RawProfileSeries, RawSample};
use ferroalloy_pyroscope::types_v1::LabelPair;
use serde_json::{Map, Value};

const CONFIG: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);

/// Decode a JSON `PushRequest`.
pub fn decode(body: &[u8]) -> Result<PushRequest, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let object = as_object(&value, "push.v1.PushRequest")?;
    let mut request = PushRequest::default();
    if let Some(series) = field(object, &["series"]) {
        for (i, item) in as_list(series, "series")?.iter().enumerate() {
            request
                .series
                .push(decode_series(item).map_err(|e| format!("series[{i}]: {e}"))?);
        }
    }
    Ok(request)
}

fn decode_series(value: &Value) -> Result<RawProfileSeries, String> {
    let object = as_object(value, "push.v1.RawProfileSeries")?;
    let mut series = RawProfileSeries::default();
    if let Some(labels) = field(object, &["labels"]) {
        for (i, item) in as_list(labels, "labels")?.iter().enumerate() {
            let label =
                as_object(item, "types.v1.LabelPair").map_err(|e| format!("labels[{i}]: {e}"))?;
            series.labels.push(LabelPair {
                name: as_string(field(label, &["name"]), "name")
                    .map_err(|e| format!("labels[{i}]: {e}"))?,
                value: as_string(field(label, &["value"]), "value")
                    .map_err(|e| format!("labels[{i}]: {e}"))?,
            });
        }
    }
    if let Some(samples) = field(object, &["samples"]) {
        for (j, item) in as_list(samples, "samples")?.iter().enumerate() {
            let sample =
                as_object(item, "push.v1.RawSample").map_err(|e| format!("samples[{j}]: {e}"))?;
            let raw = as_string(field(sample, &["rawProfile", "raw_profile"]), "rawProfile")
                .map_err(|e| format!("samples[{j}]: {e}"))?;
            let raw_profile = decode_base64(&raw)
                .map_err(|e| format!("samples[{j}]: rawProfile: invalid base64: {e}"))?;
            series.samples.push(RawSample {
                raw_profile: Bytes::from(raw_profile),
                id: as_string(field(sample, &["ID"]), "ID")
                    .map_err(|e| format!("samples[{j}]: {e}"))?,
            });
        }
    }
    // `annotations` are checked for shape only: servers drop them.
    if let Some(annotations) = field(object, &["annotations"]) {
        as_list(annotations, "annotations")?;
    }
    Ok(series)
}

/// The first present, non-null field among `names`.
fn field<'a>(object: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .filter_map(|name| object.get(*name))
        .find(|v| !v.is_null())
}

fn as_object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("expected a JSON object for {what}"))
}

fn as_list<'a>(value: &'a Value, what: &str) -> Result<&'a [Value], String> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| format!("{what}: expected a JSON array"))
}

fn as_string(value: Option<&Value>, what: &str) -> Result<String, String> {
    match value {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("{what}: expected a JSON string")),
    }
}

/// Base64 in the standard or URL-safe alphabet, padded or not.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    if text.contains(['-', '_']) {
        URL_SAFE.decode(text)
    } else {
        STANDARD.decode(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_both_spellings_and_alphabets() -> Result<(), String> {
        let body = br#"{"series":[{"labels":[{"name":"__name__","value":"process_cpu"}],
            "samples":[{"rawProfile":"AQID","ID":"x"},{"raw_profile":"-_8","ID":null}],
            "annotations":[{"key":"k","value":"v"}], "unknown": 1}], "other": {}}"#;
        let request = decode(body)?;
        assert_eq!(request.series.len(), 1);
        let series = &request.series[0];
        assert_eq!(series.labels[0].name, "__name__");
        assert_eq!(&series.samples[0].raw_profile[..], &[1, 2, 3]);
        assert_eq!(series.samples[0].id, "x");
        assert_eq!(&series.samples[1].raw_profile[..], &[0xfb, 0xff]);
        assert_eq!(series.samples[1].id, "");
        Ok(())
    }

    #[test]
    fn padded_and_unpadded() {
        assert_eq!(decode_base64("AQ==").ok(), Some(vec![1]));
        assert_eq!(decode_base64("AQ").ok(), Some(vec![1]));
        assert!(decode_base64("!!!").is_err());
    }

    #[test]
    fn errors_name_the_place() {
        let err = decode(br#"{"series":[{"samples":[{"rawProfile":"%%"}]}]}"#).err();
        assert!(
            err.as_deref()
                .is_some_and(|e| e.starts_with("series[0]: samples[0]: rawProfile: invalid base64")),
            "{err:?}"
        );
        assert!(decode(b"[1]").is_err());
        assert!(decode(b"{").is_err());
        assert!(decode(br#"{"series":{}}"#).is_err());
    }
}

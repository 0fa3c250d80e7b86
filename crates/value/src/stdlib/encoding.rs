//! The `encoding` namespace, except `from_yaml` (`yaml.rs`) and `to_json` (`to_json.rs`).
//!
//! Base64 decoding is a port of Go's `encoding/base64` rather than the `base64` crate's decoder
//! so that the error offset (`illegal base64 data at input byte <n>`) and the leniencies (line
//! breaks are skipped, trailing bits are ignored) match Alloy. Decoded bytes must be UTF-8,
//! since values are text (E5).
//!
//! `from_json` turns every JSON number into a float, as Go's `encoding/json` does when decoding
//! into `interface{}` (so `from_json("7") / 2` is 3.5).

use base64::Engine as _;

use crate::value::{FunctionError, Number, Object, Value};

use super::{expect_args, string_arg};

/// `encoding.from_json(s)`.
pub(super) fn from_json(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 1)?;
    let text = string_arg(args, 0)?;
    let parsed: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| FunctionError::Call(e.to_string()))?;
    Ok(json_to_value(parsed, NumberMode::AllFloats))
}

/// How JSON numbers become values.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum NumberMode {
    /// Every number is a float (Go's `encoding/json`).
    AllFloats,
    /// Integers that fit stay integers (`json_path`, whose JSON parser keeps `int64`).
    KeepIntegers,
}

/// Convert parsed JSON into a value; object key order is kept.
pub(super) fn json_to_value(json: serde_json::Value, mode: NumberMode) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Number(json_number(&n, mode)),
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| json_to_value(v, mode)).collect())
        }
        serde_json::Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, json_to_value(v, mode)))
                .collect::<Object>(),
        ),
    }
}

fn json_number(n: &serde_json::Number, mode: NumberMode) -> Number {
    if mode == NumberMode::KeepIntegers {
        if let Some(i) = n.as_i64() {
            return Number::Int(i);
        }
        if let Some(u) = n.as_u64() {
            return Number::Uint(u);
        }
    }
    Number::Float(n.as_f64().unwrap_or(0.0))
}

/// `encoding.from_base64(s)`: padded standard alphabet.
pub(super) fn from_base64(args: &[Value]) -> Result<Value, FunctionError> {
    decode_base64_arg(args, STD_ALPHABET)
}

/// `encoding.from_URLbase64(s)`: padded URL alphabet.
pub(super) fn from_url_base64(args: &[Value]) -> Result<Value, FunctionError> {
    decode_base64_arg(args, URL_ALPHABET)
}

/// `encoding.to_base64(s)`.
pub(super) fn to_base64(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 1)?;
    let text = string_arg(args, 0)?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(text),
    ))
}

/// `encoding.to_URLbase64(s)`.
pub(super) fn to_url_base64(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 1)?;
    let text = string_arg(args, 0)?;
    Ok(Value::String(
        base64::engine::general_purpose::URL_SAFE.encode(text),
    ))
}

const STD_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn decode_base64_arg(args: &[Value], alphabet: &[u8; 64]) -> Result<Value, FunctionError> {
    expect_args(args, 1)?;
    let text = string_arg(args, 0)?;
    let bytes = decode_base64(text.as_bytes(), alphabet)
        .map_err(|at| FunctionError::Call(format!("illegal base64 data at input byte {at}")))?;
    utf8(bytes)
}

fn utf8(bytes: Vec<u8>) -> Result<Value, FunctionError> {
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| FunctionError::Call("decoded data is not valid UTF-8".to_owned()))
}

/// Go's `base64.Encoding.DecodeString` for a padded, non-strict encoding; `Err(offset)` is the
/// offset Go's `CorruptInputError` reports.
fn decode_base64(src: &[u8], alphabet: &[u8; 64]) -> Result<Vec<u8>, usize> {
    let mut map = [0xFFu8; 256];
    for (i, &c) in alphabet.iter().enumerate() {
        map[usize::from(c)] = i as u8;
    }
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        let (next, done) = decode_quantum(&mut out, src, si, &map)?;
        si = next;
        if done {
            break;
        }
    }
    Ok(out)
}

/// One 4-character quantum (Go's `decodeQuantum`); returns the next offset and whether the
/// input ended.
fn decode_quantum(
    out: &mut Vec<u8>,
    src: &[u8],
    mut si: usize,
    map: &[u8; 256],
) -> Result<(usize, bool), usize> {
    let mut dbuf = [0u8; 4];
    let mut dlen = 4;
    let mut j = 0;
    let mut trailing_garbage = None;
    while j < 4 {
        if si == src.len() {
            if j == 0 {
                return Ok((si, true));
            }
            // Padding is required, so a short final quantum is corrupt.
            return Err(si - j);
        }
        let c = src[si];
        si += 1;
        let v = map[usize::from(c)];
        if v != 0xFF {
            dbuf[j] = v;
            j += 1;
            continue;
        }
        if c == b'\n' || c == b'\r' {
            continue;
        }
        if c != b'=' {
            return Err(si - 1);
        }
        // Padding: the quantum ends here.
        match j {
            0 | 1 => return Err(si - 1),
            2 => {
                while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                    si += 1;
                }
                if si == src.len() {
                    return Err(src.len());
                }
                if src[si] != b'=' {
                    return Err(si - 1);
                }
                si += 1;
            }
            _ => {}
        }
        while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
            si += 1;
        }
        if si < src.len() {
            trailing_garbage = Some(si);
        }
        dlen = j;
        break;
    }
    let val = (u32::from(dbuf[0]) << 18)
        | (u32::from(dbuf[1]) << 12)
        | (u32::from(dbuf[2]) << 6)
        | u32::from(dbuf[3]);
    let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
    out.extend_from_slice(&bytes[..dlen - 1]);
    match trailing_garbage {
        Some(at) => Err(at),
        None => Ok((si, dlen < 4)),
    }
}

/// `encoding.url_encode(s)`: query escaping (Go's `url.QueryEscape`).
pub(super) fn url_encode(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 1)?;
    let text = string_arg(args, 0)?;
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
                out.push(char::from(HEX_UPPER[usize::from(b & 0xF)]));
            }
        }
    }
    Ok(Value::String(out))
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// `encoding.url_decode(s)`: query unescaping (Go's `url.QueryUnescape`).
pub(super) fn url_decode(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 1)?;
    let text = string_arg(args, 0)?;
    match query_unescape(&text) {
        Ok(out) => utf8(out),
        Err(at) => {
            let bad = &text.as_bytes()[at..text.len().min(at + 3)];
            Err(FunctionError::Call(format!(
                "invalid URL escape {}",
                quote_bytes(bad)
            )))
        }
    }
}

/// Go's `url.QueryUnescape` on bytes: `+` is a space and `%XX` (either case) a byte; the error is
/// the offset of a `%` not followed by two hex digits.
pub fn query_unescape(text: &str) -> Result<Vec<u8>, usize> {
    let s = text.as_bytes();
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                let hi = s.get(i + 1).copied().and_then(hex_value);
                let lo = s.get(i + 2).copied().and_then(hex_value);
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(i);
                };
                out.push((hi << 4) | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).map(|d| d as u8)
}

/// Go's `strconv.Quote` of bytes that may cut a UTF-8 sequence: valid text quoted as `%q`,
/// stray bytes as `\xHH`.
fn quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        let valid = ferroalloy_syntax::quote::quote(chunk.valid());
        out.push_str(&valid[1..valid.len() - 1]);
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('"');
    out
}

//! One scrape request (spec §5.2, §5.3): `GET <url>` through the component's shared
//! [`HttpClient`], the body read in full under a fixed cap, and the response checked in the
//! order of the §5.3 table, each failure with its exact text.
//!
//! Decisions:
//! - The body is read chunk by chunk and the read stops as soon as the total would pass
//!   [`BODY_LIMIT`]: memory never holds more than the cap, whatever the target streams. A
//!   `Content-Length` over the cap fails before the body is read.
//! - The whole exchange (connect, headers, full body) runs under one `tokio::time::timeout`;
//!   dropping the future on expiry (or on the job's cancellation) aborts the connection.
//! - No `Accept-Encoding` is sent and the client has no decompression: the body is taken byte
//!   for byte, which for Go targets is a gzipped pprof.
//! - Decoding the pprof to reject garbage is optional (`decode_check`): a client-side delta job
//!   decodes anyway and reports that failure as `computing delta: …` (§5.5 step 1).

use std::fmt::Write as _;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferroalloy_http_client::error::error_chain;
use ferroalloy_http_client::{HttpClient, RequestError};
use ferroalloy_pyroscope::pprof::{decode_profile, is_gzip};
use reqwest::header::CONTENT_TYPE;

/// The most bytes a response body (and a decompressed profile) may have: 256 MiB (§5.3).
pub const BODY_LIMIT: usize = 256 << 20;

/// How much of a non-2xx body the error text quotes (§5.3).
const STATUS_BODY_PREVIEW: usize = 1024;

/// Why a scrape request failed; `Display` is the §5.3 / §5.2 text shown as `last_error`.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL could not be parsed or the request not built.
    #[error("invalid scrape url {url:?}: {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Connect, DNS, TLS, reset, or a credential of the client block that could not be read:
    /// Go's `Get "<url>": <cause>`.
    #[error("Get \"{url}\": {cause}")]
    Transport {
        /// The URL fetched.
        url: String,
        /// The cause with its source chain.
        cause: String,
    },
    /// The exchange took longer than its bound (§5.2).
    #[error("scrape of {url} timed out after {bound}")]
    TimedOut {
        /// The URL fetched.
        url: String,
        /// The bound, in Go's duration format (`24s`).
        bound: ferroalloy_value::duration::Duration,
    },
    /// Reading the body failed midway.
    #[error("failed to read body: {0}")]
    ReadBody(String),
    /// The body passed [`BODY_LIMIT`].
    #[error("response body exceeds {BODY_LIMIT} bytes")]
    BodyTooLarge,
    /// A status outside 2xx, with the text of §5.3 after the code.
    #[error("server returned HTTP status ({code}) {text}")]
    Status {
        /// The status code.
        code: u16,
        /// The trimmed body (at most 1024 bytes), or `<code> <reason>` when it is empty.
        text: String,
    },
    /// A 2xx with an empty body.
    #[error("empty {0} profile")]
    Empty(String),
    /// The body is not pprof data.
    #[error("invalid profile data: {0}")]
    InvalidProfile(String),
}

/// What one request needs besides the client.
#[derive(Clone, Copy, Debug)]
pub struct FetchRequest<'a> {
    /// The full URL (§4.5).
    pub url: &'a str,
    /// The job's final `__name__`, for `empty <name> profile`.
    pub profile_name: &'a str,
    /// The exchange's bound (`ScrapeArguments::fetch_timeout`, §5.2).
    pub bound: Duration,
    /// Decode the body as pprof and fail with `invalid profile data: <decoder error>` when it
    /// does not decode (§5.3, last row).
    pub decode_check: bool,
}

/// Fetch one profile: the body bytes, unchanged, when every §5.3 check passes.
pub async fn fetch(client: &HttpClient, request: FetchRequest<'_>) -> Result<Bytes, FetchError> {
    let (status, content_type, body) =
        match tokio::time::timeout(request.bound, exchange(client, request.url)).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(FetchError::TimedOut {
                    url: request.url.to_owned(),
                    bound: ferroalloy_value::duration::Duration::from_std(request.bound)
                        .unwrap_or(ferroalloy_value::duration::Duration::from_nanos(i64::MAX)),
                });
            }
        };
    check_response(status, content_type.as_deref(), &body, request)?;
    Ok(body)
}

/// Send the request and read the whole body under the cap.
async fn exchange(
    client: &HttpClient,
    url: &str,
) -> Result<(reqwest::StatusCode, Option<String>, Bytes), FetchError> {
    let invalid = |reason: String| FetchError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    let req = client
        .reqwest()
        .get(parsed)
        .build()
        .map_err(|e| invalid(e.without_url().to_string()))?;
    let mut response = client
        .execute(req)
        .await
        .map_err(|e| FetchError::Transport {
            url: url.to_owned(),
            cause: request_error_text(e),
        })?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    // A declared length over the cap fails before any byte is read.
    if response
        .content_length()
        .is_some_and(|n| n > BODY_LIMIT as u64)
    {
        return Err(FetchError::BodyTooLarge);
    }
    let mut body = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if chunk.len() > BODY_LIMIT - body.len() {
                    return Err(FetchError::BodyTooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(FetchError::ReadBody(error_chain(&e.without_url()))),
        }
    }
    Ok((status, content_type, body.freeze()))
}

/// The checks of the §5.3 table after the exchange, in its order.
fn check_response(
    status: reqwest::StatusCode,
    content_type: Option<&str>,
    body: &[u8],
    request: FetchRequest<'_>,
) -> Result<(), FetchError> {
    if !status.is_success() {
        let trimmed = body.trim_ascii();
        let text = if trimmed.is_empty() {
            match status.canonical_reason() {
                Some(reason) => format!("{} {reason}", status.as_u16()),
                None => status.as_u16().to_string(),
            }
        } else {
            let preview = &trimmed[..trimmed.len().min(STATUS_BODY_PREVIEW)];
            String::from_utf8_lossy(preview).into_owned()
        };
        return Err(FetchError::Status {
            code: status.as_u16(),
            text,
        });
    }
    if body.is_empty() {
        return Err(FetchError::Empty(request.profile_name.to_owned()));
    }
    validate_profile_data(body, content_type).map_err(FetchError::InvalidProfile)?;
    if request.decode_check {
        decode_profile(body, BODY_LIMIT).map_err(|e| FetchError::InvalidProfile(e.to_string()))?;
    }
    Ok(())
}

/// The content checks of §5.3 (Alloy's `validateProfileData`), without the `invalid profile
/// data: ` prefix.
fn validate_profile_data(body: &[u8], content_type: Option<&str>) -> Result<(), String> {
    let content_type = content_type.unwrap_or("");
    if content_type.is_empty() {
        return Err("missing Content-Type header".to_owned());
    }
    if !content_type.starts_with("application/octet-stream") {
        return Err(format!(
            "unexpected Content-Type {content_type}, expected application/octet-stream for pprof data"
        ));
    }
    if is_text_content(body) {
        let preview = &body[..body.len().min(50)];
        return Err(format!(
            "text response instead of pprof: {} (server should return HTTP error, not 200)",
            quote_bytes(preview)
        ));
    }
    if body.len() <= 2 {
        return Err("data too short for pprof format".to_owned());
    }
    if is_gzip(body) {
        return Ok(());
    }
    let wire_type = body[0] & 0x07;
    if wire_type >= 6 {
        let mut hex = String::with_capacity(32);
        for byte in &body[..body.len().min(16)] {
            let _ = write!(hex, "{byte:02x}");
        }
        return Err(format!(
            "invalid protobuf data: illegal wireType {wire_type} (expected 0-5), first bytes: {hex}"
        ));
    }
    Ok(())
}

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// An HTML page or a JSON document where pprof was expected (§5.3).
fn is_text_content(body: &[u8]) -> bool {
    if body.len() < 10 {
        return false;
    }
    if has_html_prefix(body) {
        return true;
    }
    let first = body
        .iter()
        .take(64)
        .copied()
        .find(|b| !is_whitespace(*b))
        .unwrap_or(0);
    matches!(first, b'{' | b'[') && body.len() > 20
}

fn has_html_prefix(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !is_whitespace(*b))
        .unwrap_or(body.len());
    let rest = &body[start..];
    if rest.first() != Some(&b'<') || rest.len() < 2 {
        return false;
    }
    if rest.len() >= 9 && rest[1] == b'!' && rest[2].eq_ignore_ascii_case(&b'd') {
        return true;
    }
    rest.len() >= 5 && matches!(rest[1].to_ascii_lowercase(), b'h' | b'b' | b't')
}

/// Go's `%q` of `string(bytes)`: valid UTF-8 quoted as text, invalid bytes as `\xHH`.
fn quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        let quoted = ferroalloy_syntax::quote::quote(chunk.valid());
        out.push_str(&quoted[1..quoted.len() - 1]);
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out.push('"');
    out
}

/// The text of a client error: the transport cause with its source chain (without the URL,
/// which [`FetchError::Transport`] names itself), or the credential error's own text.
fn request_error_text(error: RequestError) -> String {
    match error {
        RequestError::Transport(e) => error_chain(&e.without_url()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(decode_check: bool) -> FetchRequest<'static> {
        FetchRequest {
            url: "http://127.0.0.1:1/debug/pprof/allocs",
            profile_name: "memory",
            bound: Duration::from_secs(1),
            decode_check,
        }
    }

    fn check(status: u16, ct: Option<&str>, body: &[u8]) -> String {
        let status = reqwest::StatusCode::from_u16(status).unwrap_or(reqwest::StatusCode::OK);
        match check_response(status, ct, body, request(true)) {
            Ok(()) => "ok".to_owned(),
            Err(e) => e.to_string(),
        }
    }

    const OCTET: Option<&str> = Some("application/octet-stream");

    #[test]
    fn status_texts() {
        assert_eq!(
            check(404, Some("text/plain"), b"  Unknown profile\n"),
            "server returned HTTP status (404) Unknown profile"
        );
        assert_eq!(
            check(500, None, b""),
            "server returned HTTP status (500) 500 Internal Server Error"
        );
        let long = vec![b'x'; 2000];
        let text = check(502, None, &long);
        assert_eq!(
            text.len(),
            "server returned HTTP status (502) ".len() + 1024
        );
    }

    #[test]
    fn content_checks_in_table_order() {
        assert_eq!(check(200, OCTET, b""), "empty memory profile");
        assert_eq!(
            check(204, None, b""),
            "empty memory profile",
            "any 2xx is a success status"
        );
        assert_eq!(
            check(200, None, b"\x0a\x00"),
            "invalid profile data: missing Content-Type header"
        );
        assert_eq!(
            check(200, Some("text/plain; charset=utf-8"), b"hello"),
            "invalid profile data: unexpected Content-Type text/plain; charset=utf-8, expected \
             application/octet-stream for pprof data"
        );
        assert_eq!(
            check(200, OCTET, b"\n <!DOCTYPE html><html>\n</html>"),
            "invalid profile data: text response instead of pprof: \"\\n <!DOCTYPE \
             html><html>\\n</html>\" (server should return HTTP error, not 200)"
        );
        assert_eq!(
            check(200, OCTET, br#"{"error": "not a profile at all"}"#),
            "invalid profile data: text response instead of pprof: \"{\\\"error\\\": \\\"not a \
             profile at all\\\"}\" (server should return HTTP error, not 200)"
        );
        assert_eq!(
            check(200, OCTET, b"\xff\xff"),
            "invalid profile data: data too short for pprof format"
        );
        assert_eq!(
            check(200, OCTET, b"\xff\xff\xff"),
            "invalid profile data: invalid protobuf data: illegal wireType 7 (expected 0-5), \
             first bytes: ffffff"
        );
        assert_eq!(
            check(
                200,
                OCTET,
                &[0x1e, 0x01, 0x00, 0x12, 0x04, b't', b'e', b's', b't']
            ),
            "invalid profile data: invalid protobuf data: illegal wireType 6 (expected 0-5), \
             first bytes: 1e0100120474657374"
        );
    }

    #[test]
    fn text_preview_is_50_bytes_quoted_like_go() {
        let mut body = b"<html>".to_vec();
        body.extend(std::iter::repeat_n(b'a', 60));
        let text = check(200, OCTET, &body);
        assert!(
            text.contains(&format!("\"<html>{}\"", "a".repeat(44))),
            "{text}"
        );
        assert_eq!(quote_bytes(b"a\xffb\xe2\x82"), "\"a\\xffb\\xe2\\x82\"");
        assert_eq!(quote_bytes("é\t".as_bytes()), "\"é\\t\"");
    }

    #[test]
    fn short_text_is_not_taken_for_html() {
        // Under 10 bytes the text heuristics do not apply: `<` is wire type 4, so the body
        // reaches the decoder.
        let text = check(200, OCTET, b"<html>");
        assert!(
            text.starts_with("invalid profile data: failed to decode Protobuf message"),
            "{text}"
        );
    }

    #[test]
    fn the_decode_check_is_optional() {
        // Field 1 (sample_type) with length 4 but only 2 bytes follow: a truncated message.
        let truncated = b"\x0a\x04\x08\x01";
        let text = check(200, OCTET, truncated);
        assert!(text.starts_with("invalid profile data: "), "{text}");
        let status = reqwest::StatusCode::OK;
        assert!(check_response(status, OCTET, truncated, request(false)).is_ok());
        let gzip_garbage = b"\x1f\x8b\x08\x00garbage";
        assert!(check_response(status, OCTET, gzip_garbage, request(false)).is_ok());
    }

    #[test]
    fn timeout_text_uses_go_durations() {
        let error = FetchError::TimedOut {
            url: "http://h:80/debug/pprof/profile?seconds=14".into(),
            bound: ferroalloy_value::duration::Duration::from_std(Duration::from_millis(24_500))
                .unwrap_or_default(),
        };
        assert_eq!(
            error.to_string(),
            "scrape of http://h:80/debug/pprof/profile?seconds=14 timed out after 24.5s"
        );
        assert_eq!(
            FetchError::BodyTooLarge.to_string(),
            "response body exceeds 268435456 bytes"
        );
    }
}

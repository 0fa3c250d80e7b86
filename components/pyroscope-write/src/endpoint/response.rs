//! Turning one attempt's result into an outcome: success, or a failure with its text (§8.4,
//! §9.3), its retry classification (§11.1), its `Retry-After` and its `status_code` label.
//!
//! Decisions:
//! - A Connect error needs an `application/json` media type and a JSON object whose `code` is
//!   one of the 16 Connect codes; anything else (an HTML 502, `{"code":"bogus"}`, a cut or
//!   undecodable body) is a plain HTTP error that keeps its status.
//! - A gzip-encoded error body is gunzipped with the output capped at the body limit; a failed
//!   or overflowing gunzip means "not a Connect error" and the raw bytes are shown.

use std::io::Read;
use std::time::{Duration, SystemTime};

use flate2::read::GzDecoder;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};

use super::RequestType;
use super::backoff::parse_retry_after;
use super::exchange::{ExchangeError, ExchangeResponse, RESPONSE_BODY_LIMIT};

/// How much of an error body appears in an error text.
const ERROR_BODY_SHOWN: usize = 2048;

/// The 16 Connect error codes (`wire.md` §2.3), with whether each is retried (§11.1);
/// `resource_exhausted` depends on `retry_on_http_429`.
const CONNECT_CODES: [(&str, Retry); 16] = [
    ("canceled", Retry::No),
    ("unknown", Retry::Yes),
    ("invalid_argument", Retry::No),
    ("deadline_exceeded", Retry::Yes),
    ("not_found", Retry::No),
    ("already_exists", Retry::No),
    ("permission_denied", Retry::No),
    ("resource_exhausted", Retry::If429),
    ("failed_precondition", Retry::No),
    ("aborted", Retry::Yes),
    ("out_of_range", Retry::No),
    ("unimplemented", Retry::No),
    ("internal", Retry::Yes),
    ("unavailable", Retry::Yes),
    ("data_loss", Retry::Yes),
    ("unauthenticated", Retry::No),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Retry {
    Yes,
    No,
    If429,
}

/// The result of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Delivered.
    Success {
        /// The `status_code` label.
        status: String,
    },
    /// Not delivered.
    Failure(Failure),
}

/// A failed attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Failure {
    /// The attempt error text (§8.4 table, §9.3).
    pub(super) text: String,
    /// Whether the request may be tried again (§11.1).
    pub(super) retryable: bool,
    /// The server's requested wait, only for retryable responses.
    pub(super) retry_after: Option<Duration>,
    /// The `status_code` label: the status, `error` or `timeout`.
    pub(super) status_label: String,
}

/// Classify a response to a `kind` request.
pub(super) fn classify_response(
    kind: RequestType,
    response: &ExchangeResponse,
    retry_on_429: bool,
) -> Outcome {
    let status = response.status;
    let status_label = status.as_u16().to_string();
    if status.is_success() {
        return Outcome::Success {
            status: status_label,
        };
    }
    let (text, retryable) = match kind {
        RequestType::Push => {
            if status.is_redirection() {
                (format!("unexpected HTTP status {}", status.as_u16()), false)
            } else {
                let body = decoded_body(response);
                match body.as_ref().and_then(|b| connect_error(response, b)) {
                    Some((code, message, retry)) => {
                        let text = if message.is_empty() {
                            code.to_owned()
                        } else {
                            format!("{code}: {message}")
                        };
                        let retryable = match retry {
                            Retry::Yes => true,
                            Retry::No => false,
                            Retry::If429 => retry_on_429,
                        };
                        (text, retryable)
                    }
                    None => {
                        let shown = body.unwrap_or_else(|| response.body.to_vec());
                        let shown = shown_body(&shown);
                        let shown = shown.trim_end();
                        let text = if shown.is_empty() {
                            format!("unexpected HTTP status {}", status.as_u16())
                        } else {
                            format!("unexpected HTTP status {}: {shown}", status.as_u16())
                        };
                        (text, status_retryable(status, retry_on_429))
                    }
                }
            }
        }
        RequestType::Ingest => (
            format!(
                "remote error: pyroscope write error: status={} msg={}",
                status.as_u16(),
                shown_body(&response.body)
            ),
            status_retryable(status, retry_on_429),
        ),
    };
    let retry_after = if retryable {
        response
            .headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()))
    } else {
        None
    };
    Outcome::Failure(Failure {
        text,
        retryable,
        retry_after,
        status_label,
    })
}

/// Classify an exchange that produced no response.
pub(super) fn classify_error(err: &ExchangeError) -> Failure {
    let (text, retryable) = match err {
        ExchangeError::Transport(cause) => (format!("transport error: {cause}"), true),
        ExchangeError::Credentials(text) => (text.clone(), true),
        ExchangeError::Build(text) => (text.clone(), false),
    };
    Failure {
        text,
        retryable,
        retry_after: None,
        status_label: "error".to_owned(),
    }
}

/// An attempt that ran out of `remote_timeout`.
pub(super) fn timeout_failure(remote_timeout: Duration) -> Failure {
    Failure {
        text: format!(
            "request timed out after {}",
            ferroalloy_value::duration::Duration::from_std(remote_timeout)
                .map(|d| d.to_string())
                .unwrap_or_else(|| format!("{remote_timeout:?}"))
        ),
        retryable: true,
        retry_after: None,
        status_label: "timeout".to_owned(),
    }
}

/// §11.1 by status: 429 per flag, 408, 5xx except 501; nothing else.
fn status_retryable(status: StatusCode, retry_on_429: bool) -> bool {
    match status.as_u16() {
        429 => retry_on_429,
        408 => true,
        501 => false,
        s => (500..600).contains(&s),
    }
}

/// The body, gunzipped when `Content-Encoding: gzip`; `None` when the body is incomplete or the
/// gunzip fails or overflows the limit.
fn decoded_body(response: &ExchangeResponse) -> Option<Vec<u8>> {
    if !response.complete {
        return None;
    }
    let gzip = response
        .headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    if !gzip {
        return Some(response.body.to_vec());
    }
    let mut out = Vec::new();
    let limit = RESPONSE_BODY_LIMIT as u64 + 1;
    GzDecoder::new(&response.body[..])
        .take(limit)
        .read_to_end(&mut out)
        .ok()?;
    if out.len() > RESPONSE_BODY_LIMIT {
        return None;
    }
    Some(out)
}

/// `(code, message, retry)` when `body` is a Connect error.
fn connect_error<'a>(
    response: &ExchangeResponse,
    body: &'a [u8],
) -> Option<(&'static str, String, Retry)> {
    let content_type = response.headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let media = content_type.split(';').next()?.trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return None;
    }
    let value: serde_json::Value =
        serde_json::from_slice::<serde_json::Value>(body as &'a [u8]).ok()?;
    let object = value.as_object()?;
    let code = object.get("code")?.as_str()?;
    let (code, retry) = CONNECT_CODES.iter().find(|(c, _)| *c == code)?;
    let message = object
        .get("message")
        .and_then(|m| m.as_str())
        .unwrap_or("")
        .to_owned();
    Some((code, message, *retry))
}

/// The first 2048 bytes, lossy UTF-8.
fn shown_body(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(ERROR_BODY_SHOWN)]).into_owned()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use bytes::Bytes;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use reqwest::header::{HeaderMap, HeaderValue};

    use super::*;

    fn response(status: u16, headers: &[(&'static str, &str)], body: &[u8]) -> ExchangeResponse {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        ExchangeResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: Bytes::copy_from_slice(body),
            complete: true,
        }
    }

    fn failure(outcome: Outcome) -> Failure {
        match outcome {
            Outcome::Failure(f) => f,
            Outcome::Success { .. } => panic!("expected a failure"),
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn any_2xx_is_success_whatever_the_body() {
        for status in [200, 202, 204] {
            let r = response(
                status,
                &[("content-type", "text/html")],
                b"\x1f\x8b garbage",
            );
            assert_eq!(
                classify_response(RequestType::Push, &r, true),
                Outcome::Success {
                    status: status.to_string()
                }
            );
            assert!(matches!(
                classify_response(RequestType::Ingest, &r, true),
                Outcome::Success { .. }
            ));
        }
    }

    #[test]
    fn connect_errors_by_code() {
        let json = ("content-type", "application/json; charset=utf-8");
        let f = failure(classify_response(
            RequestType::Push,
            &response(503, &[json], br#"{"code":"unavailable","message":"x"}"#),
            true,
        ));
        assert_eq!(f.text, "unavailable: x");
        assert!(f.retryable);
        assert_eq!(f.status_label, "503");
        let f = failure(classify_response(
            RequestType::Push,
            &response(400, &[json], br#"{"code":"invalid_argument"}"#),
            true,
        ));
        assert_eq!(f.text, "invalid_argument");
        assert!(!f.retryable);
        let f = failure(classify_response(
            RequestType::Push,
            &response(409, &[json], br#"{"code":"aborted","message":"a"}"#),
            true,
        ));
        assert!(f.retryable);
        // resource_exhausted follows the flag.
        let body = br#"{"code":"resource_exhausted","message":"push rate limit"}"#;
        assert!(
            failure(classify_response(
                RequestType::Push,
                &response(429, &[json], body),
                true
            ))
            .retryable
        );
        assert!(
            !failure(classify_response(
                RequestType::Push,
                &response(429, &[json], body),
                false
            ))
            .retryable
        );
        // Gzip-encoded Connect error.
        let gz = gzip(body);
        let f = failure(classify_response(
            RequestType::Push,
            &response(429, &[json, ("content-encoding", "gzip")], &gz),
            true,
        ));
        assert_eq!(f.text, "resource_exhausted: push rate limit");
        assert!(f.retryable);
    }

    #[test]
    fn non_connect_bodies_are_plain_http_errors() {
        let json = ("content-type", "application/json");
        let f = failure(classify_response(
            RequestType::Push,
            &response(400, &[json], br#"{"code":"bogus"}"#),
            true,
        ));
        assert_eq!(f.text, r#"unexpected HTTP status 400: {"code":"bogus"}"#);
        assert!(!f.retryable);
        let f = failure(classify_response(
            RequestType::Push,
            &response(
                502,
                &[("content-type", "text/html")],
                b"<html>bad gateway</html>\n",
            ),
            true,
        ));
        assert_eq!(
            f.text,
            "unexpected HTTP status 502: <html>bad gateway</html>"
        );
        assert!(f.retryable);
        let f = failure(classify_response(
            RequestType::Push,
            &response(503, &[json], br#"["unavailable"]"#),
            true,
        ));
        assert!(f.text.starts_with("unexpected HTTP status 503: "));
        let f = failure(classify_response(
            RequestType::Push,
            &response(404, &[], b""),
            true,
        ));
        assert_eq!(f.text, "unexpected HTTP status 404");
        // A gzip that does not decode is shown raw and is not Connect.
        let f = failure(classify_response(
            RequestType::Push,
            &response(
                500,
                &[json, ("content-encoding", "gzip")],
                br#"{"code":"unknown"}"#,
            ),
            true,
        ));
        assert_eq!(f.text, r#"unexpected HTTP status 500: {"code":"unknown"}"#);
        // A cut body is never Connect.
        let mut cut = response(503, &[json], br#"{"code":"unavailable"}"#);
        cut.complete = false;
        let f = failure(classify_response(RequestType::Push, &cut, true));
        assert!(f.text.starts_with("unexpected HTTP status 503"));
        // Shown bodies stop at 2048 bytes.
        let long = vec![b'a'; 5000];
        let f = failure(classify_response(
            RequestType::Push,
            &response(500, &[], &long),
            true,
        ));
        assert_eq!(f.text.len(), "unexpected HTTP status 500: ".len() + 2048);
    }

    #[test]
    fn gzip_bomb_is_cut() {
        let bomb = gzip(&vec![b'{'; 10 * 1024 * 1024]);
        let r = response(
            503,
            &[
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
            &bomb,
        );
        let f = failure(classify_response(RequestType::Push, &r, true));
        assert!(f.text.starts_with("unexpected HTTP status 503: "));
        assert!(f.retryable);
    }

    #[test]
    fn status_table() {
        let retried = [408, 429, 500, 502, 503, 504, 599];
        let not = [300, 301, 308, 400, 401, 403, 404, 409, 413, 415, 422, 501];
        for kind in [RequestType::Push, RequestType::Ingest] {
            for s in retried {
                let f = failure(classify_response(kind, &response(s, &[], b"x"), true));
                assert!(f.retryable, "{s}");
            }
            for s in not {
                let f = failure(classify_response(kind, &response(s, &[], b"x"), true));
                assert!(!f.retryable, "{s}");
            }
            assert!(!failure(classify_response(kind, &response(429, &[], b""), false)).retryable);
        }
    }

    #[test]
    fn ingest_text_and_retry_after() {
        let f = failure(classify_response(
            RequestType::Ingest,
            &response(422, &[("retry-after", "5")], b"bad"),
            true,
        ));
        assert_eq!(
            f.text,
            "remote error: pyroscope write error: status=422 msg=bad"
        );
        assert_eq!(f.retry_after, None, "ignored on a non-retryable response");
        let f = failure(classify_response(
            RequestType::Ingest,
            &response(503, &[("retry-after", "5")], b""),
            true,
        ));
        assert_eq!(f.retry_after, Some(Duration::from_secs(5)));
        let f = failure(classify_response(
            RequestType::Push,
            &response(503, &[("retry-after", "soon")], b""),
            true,
        ));
        assert_eq!(f.retry_after, None);
    }

    #[test]
    fn errors_and_timeouts() {
        let f = classify_error(&ExchangeError::Transport("connection refused".into()));
        assert_eq!(f.text, "transport error: connection refused");
        assert!(f.retryable);
        assert_eq!(f.status_label, "error");
        assert!(!classify_error(&ExchangeError::Build("bad".into())).retryable);
        assert!(classify_error(&ExchangeError::Credentials("unable to read".into())).retryable);
        let f = timeout_failure(Duration::from_secs(10));
        assert_eq!(f.text, "request timed out after 10s");
        assert_eq!(f.status_label, "timeout");
        assert_eq!(
            timeout_failure(Duration::from_millis(1500)).text,
            "request timed out after 1.5s"
        );
    }
}

//! Request handling (spec §4–§8): routing, `/ingest`, Connect `Push`, receiver fan-out and
//! every error answer.
//!
//! Decisions:
//! - A plain hyper service instead of an axum `Router`: three routes, and the body must be read
//!   under a limit that answers 413 from `Content-Length` alone (closing the connection) or as
//!   soon as a chunked body passes it, which is simplest with direct access to the frames.
//! - The body is collected as the frames hyper delivers (slices of its read buffer). A gzip Push
//!   is gunzipped straight from those frames; any other body is joined into one `Bytes` (a
//!   single-frame body is kept as is, no copy), and every receiver gets a clone of the same
//!   buffer. Push samples are decoded with prost from that buffer (or from the gunzipped one),
//!   so `raw_profile` values are slices of it.
//! - Every non-2xx answer is the Connect JSON error shape; messages are lowercase.
//! - Receivers are called one after another, every one of them even after a failure; the first
//!   failure decides the status (§8).

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferroalloy_pyroscope::connect::Code;
use ferroalloy_pyroscope::labels::{self, NAME_LABEL, SERVICE_NAME_LABEL, parse_name, parse_query};
use ferroalloy_pyroscope::pprof::{PprofError, gunzip_chunks_limited};
use ferroalloy_pyroscope::push_v1::PushRequest;
use ferroalloy_pyroscope::{AppendError, Appendable as _, IncomingProfile, Labels, RawSample};
use ferroalloy_syntax::quote::quote;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode, Version};
use prost::Message as _;
use tokio::time::Instant;

use crate::push_json;
use crate::server::Shared;

/// The response type of every handler.
pub type HttpResponse = Response<Full<Bytes>>;

/// The Push procedure path.
pub const PUSH_PATH: &str = "/push.v1.PusherService/Push";
const PUSH_SERVICE_PREFIX: &str = "/push.v1.PusherService/";
const ACCEPT_POST: &str = "application/json, application/json; charset=utf-8, application/proto";
/// The value of `service_name` a Push series without one gets (what a Pyroscope server assigns).
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// The route of a request path, also its `route` metric label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/ingest`.
    Ingest,
    /// `/pyroscope/ingest`.
    PyroscopeIngest,
    /// `/push.v1.PusherService/Push`.
    Push,
    /// Another procedure of the push service.
    PushOther,
    /// Anything else.
    Other,
}

impl Route {
    /// The route of `path`.
    pub fn of(path: &str) -> Self {
        match path {
            "/ingest" => Self::Ingest,
            "/pyroscope/ingest" => Self::PyroscopeIngest,
            PUSH_PATH => Self::Push,
            p if p.starts_with(PUSH_SERVICE_PREFIX) => Self::PushOther,
            _ => Self::Other,
        }
    }

    /// The `route` metric label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ingest => "ingest",
            Self::PyroscopeIngest => "pyroscope_ingest",
            Self::Push => "push_v1_pusherservice_push",
            Self::PushOther | Self::Other => "other",
        }
    }
}

/// A Connect JSON error answer: `{"code":"<code>","message":"<message>"}` with the code's
/// status (or `status` when given: 405, 413, 415, 408).
pub fn error_response(code: Code, status: Option<StatusCode>, message: &str) -> HttpResponse {
    let body = serde_json::json!({ "code": code.as_str(), "message": message }).to_string();
    let status = status
        .or_else(|| StatusCode::from_u16(code.http_status()).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn bad_request(message: &str) -> HttpResponse {
    error_response(Code::InvalidArgument, None, message)
}

/// Handle one request. `body_bytes` receives the number of body bytes read (for metrics).
pub async fn handle(
    request: Request<Incoming>,
    shared: Arc<Shared>,
    read_timeout: Option<Duration>,
    body_bytes: &mut usize,
) -> HttpResponse {
    let deadline = read_timeout.map(|d| Instant::now() + d);
    let (parts, body) = request.into_parts();
    let route = Route::of(parts.uri.path());
    match route {
        Route::Other | Route::PushOther => {
            let what = if route == Route::PushOther {
                "procedure"
            } else {
                "path"
            };
            return error_response(
                Code::NotFound,
                None,
                &format!("unknown {what} {}", quote(parts.uri.path())),
            );
        }
        _ if parts.method != Method::POST => {
            let mut response = error_response(
                Code::Unimplemented,
                Some(StatusCode::METHOD_NOT_ALLOWED),
                &format!(
                    "method {} not allowed on {}: use POST",
                    parts.method,
                    parts.uri.path()
                ),
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        _ => {}
    }
    let limit = shared.settings().body_limit;
    if route == Route::Push {
        push(parts, body, &shared, limit, deadline, body_bytes).await
    } else {
        ingest(parts, body, &shared, limit, deadline, body_bytes).await
    }
}

fn too_large(limit: u64, version: Version) -> HttpResponse {
    let mut response = error_response(
        Code::InvalidArgument,
        Some(StatusCode::PAYLOAD_TOO_LARGE),
        &format!("request body too large: limit {limit} bytes"),
    );
    if version <= Version::HTTP_11 {
        // The unread rest of the body is not drained: the connection ends after the answer.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A request body as read: its data frames, in order.
#[derive(Default)]
struct BodyChunks {
    chunks: Vec<Bytes>,
    len: usize,
}

impl BodyChunks {
    /// The body as one buffer: the only frame as is, or the frames joined (one allocation).
    fn into_bytes(mut self) -> Bytes {
        match self.chunks.len() {
            0 => Bytes::new(),
            1 => self.chunks.pop().unwrap_or_default(),
            _ => {
                let mut buf = BytesMut::with_capacity(self.len);
                for chunk in self.chunks {
                    buf.extend_from_slice(&chunk);
                }
                buf.freeze()
            }
        }
    }
}

/// Read the whole body, at most `limit` bytes: 413 from `Content-Length` before reading, or as
/// soon as the bytes read pass the limit.
async fn read_body(
    parts: &Parts,
    mut body: Incoming,
    limit: u64,
    deadline: Option<Instant>,
    body_bytes: &mut usize,
) -> Result<BodyChunks, HttpResponse> {
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit, parts.version));
    }
    let read = async {
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut total: u64 = 0;
        while let Some(frame) = body.frame().await {
            let frame = match frame {
                Ok(frame) => frame,
                Err(error) => {
                    // The client went away or broke the framing: nothing is forwarded.
                    tracing::debug!(%error, path = parts.uri.path(), "failed to read a request body");
                    return Err(bad_request(&format!(
                        "failed to read request body: {error}"
                    )));
                }
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            total = total.saturating_add(data.len() as u64);
            *body_bytes = usize::try_from(total).unwrap_or(usize::MAX);
            if total > limit {
                return Err(too_large(limit, parts.version));
            }
            chunks.push(data);
        }
        Ok(BodyChunks {
            chunks,
            len: usize::try_from(total).unwrap_or(usize::MAX),
        })
    };
    match deadline {
        None => read.await,
        Some(deadline) => match tokio::time::timeout_at(deadline, read).await {
            Ok(result) => result,
            Err(_) => Err(error_response(
                Code::DeadlineExceeded,
                Some(StatusCode::REQUEST_TIMEOUT),
                "timed out reading the request body",
            )),
        },
    }
}

/// §5 step 3 and 5: the labels of an `/ingest` request from its raw query, or the 400 text.
pub fn ingest_labels(raw_query: &str) -> Result<Labels, String> {
    let name = parse_query(raw_query)
        .into_iter()
        .find(|(key, _)| key.as_slice() == b"name")
        .map(|(_, value)| String::from_utf8_lossy(&value).into_owned())
        .unwrap_or_default();
    let parsed = parse_name(&name).map_err(|e| format!("name: {e}"))?;
    let app = parsed
        .get(NAME_LABEL)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| name.split('{').next().unwrap_or("").trim().to_owned());
    let mut labels: Labels = parsed.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    if labels.get(SERVICE_NAME_LABEL).is_none_or(str::is_empty) {
        labels.set(SERVICE_NAME_LABEL, app);
    } else {
        labels.set("app_name", app);
    }
    Ok(labels)
}

async fn ingest(
    parts: Parts,
    body: Incoming,
    shared: &Shared,
    limit: u64,
    deadline: Option<Instant>,
    body_bytes: &mut usize,
) -> HttpResponse {
    let body = match read_body(&parts, body, limit, deadline, body_bytes).await {
        Ok(body) => body.into_bytes(),
        Err(response) => return response,
    };
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let labels = match ingest_labels(&raw_query) {
        Ok(labels) => labels,
        Err(message) => return bad_request(&message),
    };
    if body.is_empty() {
        return bad_request("empty request body");
    }
    let content_type = parts
        .headers
        .get_all(header::CONTENT_TYPE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let profile = IncomingProfile {
        raw_body: body,
        content_type,
        path: "/ingest".to_owned(),
        raw_query,
        labels,
    };
    let mut failures = Failures::default();
    for (i, receiver) in shared.receivers().iter().enumerate() {
        if let Err(error) = receiver
            .get()
            .appender()
            .append_ingest(profile.clone())
            .await
        {
            failures.push(
                &error,
                format!("unable to ingest profile to receiver {i}: {error}"),
            );
        }
    }
    match failures.response() {
        Some(response) => response,
        None => Response::new(Full::new(Bytes::new())),
    }
}

/// The receiver failures of one request: the first decides the status, all are in the message.
#[derive(Default)]
struct Failures {
    first: Option<AppendError>,
    lines: Vec<String>,
}

impl Failures {
    fn push(&mut self, error: &AppendError, line: String) {
        if self.first.is_none() {
            self.first = Some(error.clone());
        }
        self.lines.push(line);
    }

    fn response(&self) -> Option<HttpResponse> {
        let code = match self.first.as_ref()? {
            AppendError::Rejected(_) => Code::InvalidArgument,
            AppendError::Stopped => Code::Unavailable,
            AppendError::Other(_) => Code::Internal,
        };
        Some(error_response(code, None, &self.lines.join("\n")))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Codec {
    Proto,
    Json,
}

/// Check the Connect headers of a Push (§6 steps 1–4).
fn check_push_headers(parts: &Parts) -> Result<(Codec, bool), Box<HttpResponse>> {
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let codec = match content_type
        .as_deref()
        .map(|t| t.trim().to_ascii_lowercase())
    {
        Some(t) if t == "application/proto" => Codec::Proto,
        Some(t) if t == "application/json" || t == "application/json; charset=utf-8" => Codec::Json,
        other => {
            let message = match other {
                None => "missing content-type: expecting application/proto or application/json"
                    .to_owned(),
                Some(_) => format!(
                    "unsupported content-type {}: expecting application/proto or application/json",
                    quote(content_type.as_deref().unwrap_or(""))
                ),
            };
            let mut response = error_response(
                Code::Unimplemented,
                Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
                &message,
            );
            response.headers_mut().insert(
                header::HeaderName::from_static("accept-post"),
                HeaderValue::from_static(ACCEPT_POST),
            );
            return Err(Box::new(response));
        }
    };
    let text = |name: &str| {
        parts
            .headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    if let Some(version) = text("connect-protocol-version")
        && version != "1"
    {
        return Err(Box::new(bad_request(&format!(
            "connect-protocol-version must be \"1\": got {}",
            quote(&version)
        ))));
    }
    if let Some(timeout) = text("connect-timeout-ms")
        && !((1..=10).contains(&timeout.len()) && timeout.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Box::new(bad_request(&format!(
            "invalid timeout: {}",
            quote(&timeout)
        ))));
    }
    let gzip = match text("content-encoding").as_deref() {
        None | Some("") | Some("identity") => false,
        Some("gzip") => true,
        Some(other) => {
            let mut response = error_response(
                Code::Unimplemented,
                None,
                &format!(
                    "unknown compression {}: supported encodings are gzip",
                    quote(other)
                ),
            );
            response
                .headers_mut()
                .insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
            return Err(Box::new(response));
        }
    };
    Ok((codec, gzip))
}

/// §6 step 8: the labels of a Push series.
pub fn series_labels(pairs: Vec<ferroalloy_pyroscope::types_v1::LabelPair>) -> Labels {
    let mut labels = Labels::new();
    for pair in pairs {
        if pair.value.is_empty() {
            labels.remove(&pair.name);
        } else {
            labels.set(pair.name, pair.value);
        }
    }
    if labels.get(SERVICE_NAME_LABEL).is_none() {
        labels.push(SERVICE_NAME_LABEL, UNKNOWN_SERVICE);
    }
    labels
}

/// Labels in Prometheus text form: `{a="1", b="2"}`, sorted by name, values quoted like Go.
pub fn prometheus_text(labels: &Labels) -> String {
    let mut pairs: Vec<(&str, &str)> = labels.iter().collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let inner: Vec<String> = pairs
        .iter()
        .map(|(n, v)| format!("{n}={}", quote(v)))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

async fn push(
    parts: Parts,
    body: Incoming,
    shared: &Shared,
    limit: u64,
    deadline: Option<Instant>,
    body_bytes: &mut usize,
) -> HttpResponse {
    let (codec, gzip) = match check_push_headers(&parts) {
        Ok(checked) => checked,
        Err(response) => return *response,
    };
    let body = match read_body(&parts, body, limit, deadline, body_bytes).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let message = if gzip {
        match gunzip_chunks_limited(&body.chunks, usize::try_from(limit).unwrap_or(usize::MAX)) {
            Ok(plain) => Bytes::from(plain),
            Err(PprofError::TooLarge(_)) => return too_large(limit, parts.version),
            Err(PprofError::Gzip(error)) => return bad_request(&format!("decompress: {error}")),
            Err(error) => return bad_request(&format!("decompress: {error}")),
        }
    } else {
        body.into_bytes()
    };
    let request = match codec {
        Codec::Proto => PushRequest::decode(message).map_err(|e| e.to_string()),
        Codec::Json => push_json::decode(&message),
    };
    let request = match request {
        Ok(request) => request,
        Err(error) => return bad_request(&format!("unmarshal message: {error}")),
    };
    // §6 step 7: whole-request checks before anything is forwarded.
    if request.series.iter().all(|s| s.samples.is_empty()) {
        return bad_request("no profiles received");
    }
    let mut prepared: Vec<(Labels, Vec<RawSample>)> = Vec::with_capacity(request.series.len());
    for (i, series) in request.series.into_iter().enumerate() {
        if series.samples.is_empty() {
            continue;
        }
        if let Some(j) = series.samples.iter().position(|s| s.raw_profile.is_empty()) {
            return bad_request(&format!("series {i} sample {j}: empty raw_profile"));
        }
        let labels = series_labels(series.labels);
        if let Err(error) = labels::validate(&labels) {
            return bad_request(&format!("series {i}: invalid labels: {error}"));
        }
        let samples = series
            .samples
            .into_iter()
            .map(|s| RawSample {
                id: s.id,
                raw_profile: s.raw_profile,
            })
            .collect();
        prepared.push((labels, samples));
    }
    let receivers = shared.receivers();
    let mut failures = Failures::default();
    for (labels, samples) in prepared {
        for (i, receiver) in receivers.iter().enumerate() {
            if let Err(error) = receiver
                .get()
                .appender()
                .append(labels.clone(), samples.clone())
                .await
            {
                failures.push(
                    &error,
                    format!(
                        "unable to append series {} to receiver {i}: {error}",
                        prometheus_text(&labels)
                    ),
                );
            }
        }
    }
    if let Some(response) = failures.response() {
        return response;
    }
    let (content_type, body) = match codec {
        Codec::Proto => ("application/proto", Bytes::new()),
        Codec::Json => ("application/json", Bytes::from_static(b"{}")),
    };
    let mut response = Response::new(Full::new(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(labels: &Labels) -> Vec<(&str, &str)> {
        labels.iter().collect()
    }

    #[test]
    fn ingest_labels_follow_alloy() {
        let l = ingest_labels("name=app%7Benv%3Dprod%2Cregion%3Dus-east%7D&from=1").ok();
        assert_eq!(
            l.as_ref().map(pairs),
            Some(vec![
                ("__name__", "app"),
                ("env", "prod"),
                ("region", "us-east"),
                ("service_name", "app")
            ])
        );
        let l = ingest_labels("name=app{service_name=svc,empty=}").ok();
        assert_eq!(
            l.as_ref().map(pairs),
            Some(vec![
                ("__name__", "app"),
                ("service_name", "svc"),
                ("app_name", "app")
            ])
        );
        let l = ingest_labels("name=app{invalid-label-syntax}").ok();
        assert_eq!(
            l.as_ref().map(pairs),
            Some(vec![("__name__", "app"), ("service_name", "app")])
        );
        assert_eq!(
            ingest_labels("from=1").err().as_deref(),
            Some("name: service name is required")
        );
        assert_eq!(
            ingest_labels("name=").err().as_deref(),
            Some("name: service name is required")
        );
        assert_eq!(
            ingest_labels("name=a%20b").err().as_deref(),
            Some("name: invalid service name: a b: character is not allowed: ' '")
        );
        assert_eq!(
            ingest_labels("name=app%7Ba-b%3D1%7D").err().as_deref(),
            Some("name: invalid label name: a-b: character is not allowed: '-'")
        );
        // The first `name` pair wins.
        let l = ingest_labels("name=first&name=second").ok();
        assert_eq!(l.as_ref().and_then(|l| l.get("__name__")), Some("first"));
    }

    #[test]
    fn push_series_labels() {
        use ferroalloy_pyroscope::types_v1::LabelPair;
        let pair = |n: &str, v: &str| LabelPair {
            name: n.into(),
            value: v.into(),
        };
        let l = series_labels(vec![
            pair("__name__", "process_cpu"),
            pair("a", "1"),
            pair("a", "2"),
            pair("b", "x"),
            pair("b", ""),
        ]);
        assert_eq!(
            pairs(&l),
            vec![
                ("__name__", "process_cpu"),
                ("a", "2"),
                ("service_name", "unknown_service")
            ]
        );
        assert_eq!(
            prometheus_text(&l),
            r#"{__name__="process_cpu", a="2", service_name="unknown_service"}"#
        );
    }
}

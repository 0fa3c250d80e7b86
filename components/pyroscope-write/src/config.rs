//! The arguments of `pyroscope.write` (spec §2–§5), their defaults, their validation (§3.2,
//! §4.2), and the resolved settings of one endpoint ([`EndpointOptions`]) the delivery side runs
//! on.
//!
//! Decisions:
//! - Defaults live in the `Default` impls; validation is pure and reports, per `endpoint` block,
//!   only the first failing rule: the HTTP client rules first (nested blocks, then the host-level
//!   rules of `http-client.md` §3.6), then §3.2 rules 1–10, then the `queue_config` rules of
//!   §4.2 in their order. Errors carry the path of the offending attribute (`url`,
//!   `queue_config.capacity`), so the diagnostic points inside the `endpoint` block.
//! - `queue_config`'s counts are `number`s in the spec ("not an integer" is an error), so they
//!   are decoded as `f64` and converted once in [`QueueOptions::new`].
//! - `headers` is a plain `map(string)` ([`Headers`]) whose encoding for the API shows
//!   credential-like entries as `(secret)` (§20); `Debug` of every config type shows no header
//!   value and the URL with its password redacted (§16).
//! - Endpoint identity for Update (§14) is the derived `PartialEq` of [`EndpointConfig`]: every
//!   attribute and block, secrets by value, files by path.

use std::collections::BTreeMap;
use std::fmt;

use ferroalloy_component::{ArgErrors, Arguments, FieldVisitor};
use ferroalloy_http_client::HttpClientConfig;
use ferroalloy_value::Secret;
use ferroalloy_value::convert::ConvertError;
use ferroalloy_value::decode::{ArgPath, ArgValue, Type};
use ferroalloy_value::duration::Duration;
use ferroalloy_value::value::{Capsule, Object, Value};
use reqwest::header::{HeaderName, HeaderValue};

const MILLISECOND: i64 = 1_000_000;
const SECOND: i64 = 1_000 * MILLISECOND;
const MINUTE: i64 = 60 * SECOND;

/// The arguments of a `pyroscope.write` block (§2).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PyroscopeWriteArguments {
    /// `external_labels`: set (non-empty value) or delete (empty value) labels on every profile.
    pub external_labels: BTreeMap<String, String>,
    /// The `endpoint` blocks, in order.
    pub endpoints: Vec<EndpointConfig>,
    /// The `tracing` compatibility block (§5).
    pub tracing: TracingConfig,
}

impl Arguments for PyroscopeWriteArguments {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("external_labels", |s| &mut s.external_labels);
        v.block("endpoint", |s| &mut s.endpoints);
        v.block("tracing", |s| &mut s.tracing);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        let mut errors = ArgErrors::new();
        errors.nest_each("endpoint", &self.endpoints, EndpointConfig::validate);
        errors.into_result()
    }
}

/// One `endpoint` block (§3.1).
#[derive(Clone, PartialEq)]
pub struct EndpointConfig {
    /// `url`: the base URL (required).
    pub url: EndpointUrl,
    /// `name`: shown in logs and debug info.
    pub name: String,
    /// `remote_timeout`: the limit of one attempt (default 10s).
    pub remote_timeout: Duration,
    /// `headers`: extra request headers.
    pub headers: Headers,
    /// `min_backoff_period` (default 500ms).
    pub min_backoff_period: Duration,
    /// `max_backoff_period` (default 5m).
    pub max_backoff_period: Duration,
    /// `max_backoff_retries`: attempts per request, `0` = unbounded (default 10).
    pub max_backoff_retries: i64,
    /// `retry_on_http_429` (default true).
    pub retry_on_http_429: bool,
    /// `debug_info_upload_timeout`: accepted, no effect (default 2m).
    pub debug_info_upload_timeout: Duration,
    /// The HTTP client settings, written directly in the block.
    pub client: HttpClientConfig,
    /// The `queue_config` block (its defaults when absent).
    pub queue_config: QueueConfig,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            url: EndpointUrl::default(),
            name: String::new(),
            remote_timeout: Duration::from_nanos(10 * SECOND),
            headers: Headers::default(),
            min_backoff_period: Duration::from_nanos(500 * MILLISECOND),
            max_backoff_period: Duration::from_nanos(5 * MINUTE),
            max_backoff_retries: 10,
            retry_on_http_429: true,
            debug_info_upload_timeout: Duration::from_nanos(2 * MINUTE),
            client: HttpClientConfig::default(),
            queue_config: QueueConfig::default(),
        }
    }
}

impl fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("url", &redact_url(&self.url))
            .field("name", &self.name)
            .field("remote_timeout", &self.remote_timeout.to_string())
            .field("headers", &self.headers)
            .field("min_backoff_period", &self.min_backoff_period.to_string())
            .field("max_backoff_period", &self.max_backoff_period.to_string())
            .field("max_backoff_retries", &self.max_backoff_retries)
            .field("retry_on_http_429", &self.retry_on_http_429)
            .field(
                "debug_info_upload_timeout",
                &self.debug_info_upload_timeout.to_string(),
            )
            .field("client", &self.client)
            .field("queue_config", &self.queue_config)
            .finish()
    }
}

impl EndpointConfig {
    /// An endpoint sending to `url`, every other setting at its default.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: EndpointUrl(url.into()),
            ..Self::default()
        }
    }

    /// The configured URL with any userinfo password replaced by `xxxxx`, otherwise exactly as
    /// written (§12): the `endpoint` metric label, and the URL of logs, errors and debug info.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }

    fn check(&self) -> Result<(), ArgErrors> {
        let parsed = url::Url::parse(&self.url)
            .map_err(|e| ArgErrors::one("url", format!("invalid endpoint url: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ArgErrors::one(
                "url",
                format!(
                    "endpoint url must use the http or https scheme, got {:?}",
                    parsed.scheme()
                ),
            ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(ArgErrors::one(
                "url",
                "endpoint url must not contain a query or fragment",
            ));
        }
        let positive = [
            (
                "remote_timeout",
                self.remote_timeout,
                "remote_timeout must be greater than 0",
            ),
            (
                "min_backoff_period",
                self.min_backoff_period,
                "min_backoff_period must be greater than 0",
            ),
            (
                "max_backoff_period",
                self.max_backoff_period,
                "max_backoff_period must be greater than 0",
            ),
        ];
        for (name, value, message) in positive {
            if value.as_nanos() <= 0 {
                return Err(ArgErrors::one(name, message));
            }
        }
        if self.max_backoff_retries < 0 {
            return Err(ArgErrors::one(
                "max_backoff_retries",
                "max_backoff_retries must not be negative",
            ));
        }
        for name in self.headers.0.keys() {
            if HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(ArgErrors::one(
                    ArgPath::field("headers").join(name.clone()),
                    format!("invalid header name {name:?} in headers"),
                ));
            }
        }
        for (name, value) in &self.headers.0 {
            if HeaderValue::from_str(value).is_err() {
                return Err(ArgErrors::one(
                    ArgPath::field("headers").join(name.clone()),
                    format!("invalid value for header {name:?} in headers"),
                ));
            }
        }
        if self.debug_info_upload_timeout.is_negative() {
            return Err(ArgErrors::one(
                "debug_info_upload_timeout",
                "debug_info_upload_timeout must not be negative",
            ));
        }
        let mut errors = ArgErrors::new();
        errors.nest("queue_config", self.queue_config.validate());
        errors.into_result()
    }
}

impl Arguments for EndpointConfig {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.required("url", |s| &mut s.url);
        v.optional("name", |s| &mut s.name);
        v.optional("remote_timeout", |s| &mut s.remote_timeout);
        v.optional("headers", |s| &mut s.headers);
        v.optional("min_backoff_period", |s| &mut s.min_backoff_period);
        v.optional("max_backoff_period", |s| &mut s.max_backoff_period);
        v.optional("max_backoff_retries", |s| &mut s.max_backoff_retries);
        v.optional("retry_on_http_429", |s| &mut s.retry_on_http_429);
        v.optional("debug_info_upload_timeout", |s| {
            &mut s.debug_info_upload_timeout
        });
        v.squash(|s| &mut s.client);
        v.block("queue_config", |s| &mut s.queue_config);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        self.client.validate()?;
        self.check()
    }
}

/// The `queue_config` block (§4.1). Counts are `number`s, checked by [`Arguments::validate`].
#[derive(Clone, Debug, PartialEq)]
pub struct QueueConfig {
    /// `capacity`: profiles waiting (default 10000).
    pub capacity: f64,
    /// `capacity_bytes`: bytes waiting (default 64 MiB).
    pub capacity_bytes: f64,
    /// `max_shards`: workers (default 16).
    pub max_shards: f64,
    /// `max_series_per_send`: series per push request (default 1).
    pub max_series_per_send: f64,
    /// `batch_send_deadline` (default 5s).
    pub batch_send_deadline: Duration,
    /// `profile_age_limit`, `0` disables (default 50m).
    pub profile_age_limit: Duration,
    /// `drain_timeout` (default 30s).
    pub drain_timeout: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            capacity: 10_000.0,
            capacity_bytes: 67_108_864.0,
            max_shards: 16.0,
            max_series_per_send: 1.0,
            batch_send_deadline: Duration::from_nanos(5 * SECOND),
            profile_age_limit: Duration::from_nanos(50 * MINUTE),
            drain_timeout: Duration::from_nanos(30 * SECOND),
        }
    }
}

impl Arguments for QueueConfig {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("capacity", |s| &mut s.capacity);
        v.optional("capacity_bytes", |s| &mut s.capacity_bytes);
        v.optional("max_shards", |s| &mut s.max_shards);
        v.optional("max_series_per_send", |s| &mut s.max_series_per_send);
        v.optional("batch_send_deadline", |s| &mut s.batch_send_deadline);
        v.optional("profile_age_limit", |s| &mut s.profile_age_limit);
        v.optional("drain_timeout", |s| &mut s.drain_timeout);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        let integer_in =
            |v: f64, max: f64| v.is_finite() && v.fract() == 0.0 && v >= 1.0 && v <= max;
        if !integer_in(self.capacity, f64::MAX) {
            return Err(ArgErrors::one(
                "capacity",
                "queue_config capacity must be a positive integer",
            ));
        }
        if !integer_in(self.capacity_bytes, f64::MAX) {
            return Err(ArgErrors::one(
                "capacity_bytes",
                "queue_config capacity_bytes must be a positive integer",
            ));
        }
        if !integer_in(self.max_shards, 1000.0) {
            return Err(ArgErrors::one(
                "max_shards",
                "queue_config max_shards must be an integer between 1 and 1000",
            ));
        }
        if !integer_in(self.max_series_per_send, 10_000.0) {
            return Err(ArgErrors::one(
                "max_series_per_send",
                "queue_config max_series_per_send must be an integer between 1 and 10000",
            ));
        }
        if self.batch_send_deadline.as_nanos() <= 0 {
            return Err(ArgErrors::one(
                "batch_send_deadline",
                "queue_config batch_send_deadline must be greater than 0",
            ));
        }
        if self.profile_age_limit.is_negative() {
            return Err(ArgErrors::one(
                "profile_age_limit",
                "queue_config profile_age_limit must not be negative",
            ));
        }
        if self.drain_timeout.is_negative() {
            return Err(ArgErrors::one(
                "drain_timeout",
                "queue_config drain_timeout must not be negative",
            ));
        }
        Ok(())
    }
}

/// The `tracing` block (§5): decoded for compatibility, never acted on.
#[derive(Clone, Debug, PartialEq)]
pub struct TracingConfig {
    /// `jaeger_propagator` (default true).
    pub jaeger_propagator: bool,
    /// `trace_context_propagator` (default true).
    pub trace_context_propagator: bool,
}

impl Default for TracingConfig {
    fn default() -> Self {
        Self {
            jaeger_propagator: true,
            trace_context_propagator: true,
        }
    }
}

impl Arguments for TracingConfig {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("jaeger_propagator", |s| &mut s.jaeger_propagator);
        v.optional("trace_context_propagator", |s| {
            &mut s.trace_context_propagator
        });
    }
}

/// The `headers` map: a plain `map(string)` (Alloy parity) that never shows a credential-like
/// value (§20) in the API, and no value at all in `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(pub BTreeMap<String, String>);

impl Headers {
    /// Whether the value of header `name` must be shown as `(secret)` (§20): `authorization`,
    /// `proxy-authorization`, `cookie`, `set-cookie`, or a name containing `token`, `secret`,
    /// `password`, `apikey`, `api-key` or `auth`, compared case-insensitively.
    pub fn is_credential_like(name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        matches!(
            lower.as_str(),
            "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
        ) || ["token", "secret", "password", "apikey", "api-key", "auth"]
            .iter()
            .any(|part| lower.contains(part))
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|name| (name, "(secret)")))
            .finish()
    }
}

impl ArgValue for Headers {
    fn arg_type() -> Type {
        <BTreeMap<String, String> as ArgValue>::arg_type()
    }

    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        <BTreeMap<String, String> as ArgValue>::from_value(value).map(Headers)
    }

    fn to_value(&self) -> Value {
        let mut object = Object::new();
        for (name, value) in &self.0 {
            let shown = if Headers::is_credential_like(name) {
                Value::Capsule(Capsule::Secret(Secret::new(value.as_str())))
            } else {
                Value::string(value.as_str())
            };
            object.insert(name.clone(), shown);
        }
        Value::Object(object)
    }
}

/// An endpoint's `url` as written. It is used as text everywhere (`Deref<Target = str>`), and it
/// is shown in the API with a userinfo password replaced by `xxxxx` (runtime §10.2: no secret in
/// any API response).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EndpointUrl(pub String);

impl fmt::Debug for EndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_url(&self.0), f)
    }
}

impl std::ops::Deref for EndpointUrl {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for EndpointUrl {
    fn from(url: &str) -> Self {
        Self(url.to_owned())
    }
}

impl From<String> for EndpointUrl {
    fn from(url: String) -> Self {
        Self(url)
    }
}

impl ArgValue for EndpointUrl {
    fn arg_type() -> Type {
        <String as ArgValue>::arg_type()
    }

    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        <String as ArgValue>::from_value(value).map(EndpointUrl)
    }

    fn to_value(&self) -> Value {
        Value::string(redact_url(&self.0))
    }
}

/// The URL with a userinfo password replaced by `xxxxx`, otherwise the text as written (not
/// re-serialised: `http://h:4040` stays without a trailing `/`).
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_owned();
    };
    format!(
        "{}{}:xxxxx{}",
        &url[..authority_start],
        &userinfo[..colon],
        &url[authority_start + at..]
    )
}

/// The queue settings of one endpoint, converted from [`QueueConfig`] (§4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueOptions {
    /// Max profiles waiting (in-flight not counted).
    pub capacity: usize,
    /// Max bytes waiting.
    pub capacity_bytes: u64,
    /// Number of workers.
    pub max_shards: usize,
    /// Max series per push request.
    pub max_series_per_send: usize,
    /// Max wait of a batch's first series for companions.
    pub batch_send_deadline: std::time::Duration,
    /// Items older than this are dropped `too_old`; `None` = no limit.
    pub profile_age_limit: Option<std::time::Duration>,
    /// How long a removed or shutting-down endpoint keeps delivering.
    pub drain_timeout: std::time::Duration,
}

impl QueueOptions {
    /// Convert validated settings (values validation refuses are clamped, never panicked on).
    pub fn new(cfg: &QueueConfig) -> Self {
        let count = |v: f64, max: f64| v.clamp(1.0, max) as u64;
        let limit = cfg.profile_age_limit.to_std().unwrap_or_default();
        Self {
            capacity: usize::try_from(count(cfg.capacity, f64::MAX)).unwrap_or(usize::MAX),
            capacity_bytes: count(cfg.capacity_bytes, f64::MAX),
            max_shards: count(cfg.max_shards, 1000.0) as usize,
            max_series_per_send: count(cfg.max_series_per_send, 10_000.0) as usize,
            batch_send_deadline: positive(cfg.batch_send_deadline),
            profile_age_limit: (!limit.is_zero()).then_some(limit),
            drain_timeout: cfg.drain_timeout.to_std().unwrap_or_default(),
        }
    }
}

/// The resolved settings of one endpoint: what the delivery side (`endpoint`) runs on. Built
/// from a validated [`EndpointConfig`] by [`EndpointOptions::new`]; the HTTP client itself is
/// built separately (it may fail on files, §3.2).
#[derive(Clone)]
pub struct EndpointOptions {
    /// The block as configured: the identity compared on Update (§14).
    pub config: EndpointConfig,
    /// `name`.
    pub name: String,
    /// The URL with its password redacted (§12), for metrics, logs, errors and debug info.
    pub redacted_url: String,
    /// The parsed base URL (may carry userinfo, which the client turns into basic auth).
    pub base_url: url::Url,
    /// `<url without trailing "/">/push.v1.PusherService/Push` (§8.2).
    pub push_url: url::Url,
    /// Limit of one attempt.
    pub remote_timeout: std::time::Duration,
    /// `headers`, parsed, marked sensitive, in name order (§8.3 step 1).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// `min_backoff_period`.
    pub min_backoff: std::time::Duration,
    /// `max_backoff_period`.
    pub max_backoff: std::time::Duration,
    /// `max_backoff_retries`: attempts per request, `0` = unbounded.
    pub max_backoff_retries: u32,
    /// `retry_on_http_429`.
    pub retry_on_http_429: bool,
    /// The queue settings.
    pub queue: QueueOptions,
}

impl fmt::Debug for EndpointOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointOptions")
            .field("name", &self.name)
            .field("url", &self.redacted_url)
            .field("remote_timeout", &self.remote_timeout)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("min_backoff", &self.min_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("max_backoff_retries", &self.max_backoff_retries)
            .field("retry_on_http_429", &self.retry_on_http_429)
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

impl EndpointOptions {
    /// Resolve `config`; fails only on settings [`Arguments::validate`] refuses.
    pub fn new(config: &EndpointConfig) -> Result<Self, ArgErrors> {
        config.validate()?;
        let base_url = url::Url::parse(&config.url)
            .map_err(|e| ArgErrors::one("url", format!("invalid endpoint url: {e}")))?;
        let push = format!(
            "{}/push.v1.PusherService/Push",
            base_url.as_str().trim_end_matches('/')
        );
        let push_url = url::Url::parse(&push)
            .map_err(|e| ArgErrors::one("url", format!("invalid endpoint url: {e}")))?;
        let mut headers = Vec::with_capacity(config.headers.0.len());
        for (name, value) in &config.headers.0 {
            let invalid = || {
                ArgErrors::one(
                    ArgPath::field("headers").join(name.clone()),
                    format!("invalid value for header {name:?} in headers"),
                )
            };
            let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
            let mut value = HeaderValue::from_str(value).map_err(|_| invalid())?;
            value.set_sensitive(true);
            headers.push((header, value));
        }
        Ok(Self {
            config: config.clone(),
            name: config.name.clone(),
            redacted_url: config.redacted_url(),
            base_url,
            push_url,
            remote_timeout: positive(config.remote_timeout),
            headers,
            min_backoff: positive(config.min_backoff_period),
            max_backoff: positive(config.max_backoff_period),
            max_backoff_retries: u32::try_from(config.max_backoff_retries).unwrap_or(u32::MAX),
            retry_on_http_429: config.retry_on_http_429,
            queue: QueueOptions::new(&config.queue_config),
        })
    }
}

/// A duration validation requires to be positive, as a standard one (1 ns at the least).
fn positive(d: Duration) -> std::time::Duration {
    d.to_std()
        .filter(|d| !d.is_zero())
        .unwrap_or(std::time::Duration::from_nanos(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_the_text_as_written() {
        assert_eq!(redact_url("http://h:4040"), "http://h:4040");
        assert_eq!(
            redact_url("http://u:p4ss@127.0.0.1:9/base"),
            "http://u:xxxxx@127.0.0.1:9/base"
        );
        assert_eq!(redact_url("http://u@h/"), "http://u@h/");
        assert_eq!(redact_url("http://u:p:q@h"), "http://u:xxxxx@h");
        assert_eq!(redact_url("pyroscope:4040"), "pyroscope:4040");
    }

    #[test]
    fn credential_like_header_names() {
        for name in [
            "Authorization",
            "proxy-authorization",
            "Cookie",
            "Set-Cookie",
            "X-Api-Token",
            "X-Secret",
            "X-Password",
            "ApiKey",
            "X-API-Key",
            "X-Auth-User",
        ] {
            assert!(Headers::is_credential_like(name), "{name}");
        }
        for name in ["X-Scope-OrgID", "User-Agent", "X-Tenant"] {
            assert!(!Headers::is_credential_like(name), "{name}");
        }
    }

    #[test]
    fn push_url_appends_the_connect_path_to_the_base_path() {
        let opts = EndpointOptions::new(&EndpointConfig::new("http://h:1/base/")).unwrap();
        assert_eq!(
            opts.push_url.as_str(),
            "http://h:1/base/push.v1.PusherService/Push"
        );
        let opts = EndpointOptions::new(&EndpointConfig::new("http://h:1")).unwrap();
        assert_eq!(
            opts.push_url.as_str(),
            "http://h:1/push.v1.PusherService/Push"
        );
        assert_eq!(opts.redacted_url, "http://h:1");
        assert_eq!(opts.max_backoff_retries, 10);
        assert_eq!(
            opts.queue.profile_age_limit,
            Some(std::time::Duration::from_secs(3000))
        );
    }
}

//! OAuth2 client credentials (spec §6): the token source behind an `oauth2` block.
//!
//! Decisions:
//! - **Single flight.** At most one token request per source runs at a time. It runs in its own
//!   task, spawned by the first caller that finds no usable token and owned by the
//!   [`TokenSource`] (aborted when the source is dropped), so a caller that gives up (its attempt
//!   deadline passed, its future was dropped) never cancels the fetch others wait for, and the
//!   token it brings is cached anyway. Callers wait on a `tokio::sync::watch` channel and share
//!   the result, success or error. Failures are not cached: the next caller after a failed fetch
//!   starts a new one. A mutex around fetch-or-reuse would serialise failing fetches and cancel
//!   the fetch with its caller, so the mutex here guards only the cache and the in-flight handle,
//!   never an `.await`. A fetch task that ended without publishing (a panic) is replaced by the
//!   next caller instead of leaving every later caller waiting on a closed channel.
//! - **Cache.** A token is reused while `now < obtained_at + expires_in − 10 s`, on
//!   `tokio::time::Instant` so tests advance it with paused time. No `expires_in` (or 0) means no
//!   expiry; a negative one means already expired (Go parity). The token is dropped when the
//!   client secret read from `client_secret_file` differs from the one it was fetched with, and
//!   when a protected request gets HTTP 401 ([`TokenSource::invalidate`]) (deviation from Alloy). A fetch
//!   started with an older secret is still shared by the callers waiting for it, but its token is
//!   cached only if the secret has not changed meanwhile.
//! - **Client authentication** is detected per source: HTTP Basic with the form-escaped id and
//!   secret first; if that request fails in any way, once more with both in the form body; the
//!   style that worked is kept for the life of the source (Go's `AuthStyleAutoDetect`).
//! - **Encoding** follows Go's `url.Values.Encode`: keys sorted byte-wise, keys and values escaped
//!   like `url.QueryEscape` (space as `+`, only `A-Z a-z 0-9 - _ . ~` kept), so the body is
//!   byte-for-byte what Alloy sends.
//! - **Response** parsing follows golang.org/x/oauth2 `internal/token.go`, error texts included.
//!   The body is read up to 1 MiB and the rest ignored. The whole fetch (both styles) is bounded
//!   by [`FETCH_TIMEOUT`] (deviation from Alloy).
//! - **Hygiene.** The access token and the client secret live in [`Secret`]s; header values built
//!   from them are marked sensitive; errors never hold them (a token endpoint's error body is
//!   quoted, as Go does, because it is the only clue to what went wrong).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ferroalloy_value::Secret;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use reqwest::{Method, Url};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::secret_file::{SecretFile, SecretFileError};
use crate::config::OAuth2Config;

/// The bound of one token fetch (both client-authentication styles together) (deviation from Alloy).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// A token is refreshed this long before it expires (Go's `expiryDelta`).
pub const EXPIRY_DELTA: Duration = Duration::from_secs(10);

/// At most this much of a token response is read.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// `expires_in` is capped at this many seconds (Go's `math.MaxInt32`).
const MAX_EXPIRES_IN: i64 = (1 << 31) - 1;

/// Why no token could be obtained. `Clone`, because every caller waiting for one fetch gets its
/// result.
#[derive(Clone, Debug, thiserror::Error)]
pub enum OAuth2Error {
    /// `client_secret_file` could not be read.
    #[error("unable to read oauth2 client secret: {0}")]
    ClientSecret(Arc<SecretFileError>),
    /// The endpoint answered with an `error` field.
    #[error("oauth2: {}", endpoint_error_text(.error, .description, .uri))]
    Endpoint {
        /// `error`.
        error: String,
        /// `error_description` ("" when absent).
        description: String,
        /// `error_uri` ("" when absent).
        uri: String,
    },
    /// A non-2xx answer without an `error` field.
    #[error("oauth2: cannot fetch token: {status}\nResponse: {body}")]
    Status {
        /// Status code and reason, e.g. `401 Unauthorized`.
        status: String,
        /// The body as received (lossy UTF-8, at most 1 MiB).
        body: String,
    },
    /// A 2xx JSON answer that does not parse.
    #[error("oauth2: cannot parse json: {0}")]
    Json(String),
    /// A 2xx form answer that does not parse.
    #[error("oauth2: cannot parse response: {0}")]
    Form(String),
    /// A 2xx answer without `access_token`.
    #[error("oauth2: server response missing access_token")]
    MissingToken,
    /// The access token or its type cannot be sent in a header.
    #[error("oauth2: server response has an access_token or token_type not usable in a header")]
    InvalidToken,
    /// The token request could not be sent or its response not read.
    #[error("oauth2: cannot fetch token: {0}")]
    Transport(String),
    /// The fetch took longer than [`FETCH_TIMEOUT`].
    #[error("oauth2: cannot fetch token: timed out after {}s", FETCH_TIMEOUT.as_secs())]
    Timeout,
    /// The token source was dropped while the fetch ran.
    #[error("oauth2: token source closed")]
    Closed,
}

fn endpoint_error_text(error: &str, description: &str, uri: &str) -> String {
    let mut text = go_quote(error);
    for extra in [description, uri] {
        if !extra.is_empty() {
            text.push(' ');
            text.push_str(&go_quote(extra));
        }
    }
    text
}

/// Go's `%q` for the printable text token endpoints send; other characters escaped as Rust does.
fn go_quote(text: &str) -> String {
    format!("{text:?}")
}

/// How the client authenticates to the token endpoint (Go's `AuthStyle`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthStyle {
    /// Not known yet: try [`AuthStyle::Header`], then [`AuthStyle::Params`].
    AutoDetect,
    /// `Authorization: Basic` with the form-escaped id and secret.
    Header,
    /// `client_id` and `client_secret` in the form body.
    Params,
}

/// A token as cached: the ready `Authorization` value and when it stops being used.
#[derive(Clone)]
struct Token {
    authorization: HeaderValue,
    expires_at: Option<Instant>,
}

impl Token {
    fn is_fresh(&self, now: Instant) -> bool {
        match self.expires_at {
            None => true,
            Some(expiry) => now.checked_add(EXPIRY_DELTA).is_some_and(|t| t < expiry),
        }
    }
}

type FetchResult = Option<Result<Token, OAuth2Error>>;

struct InFlight {
    rx: watch::Receiver<FetchResult>,
    task: JoinHandle<()>,
}

struct State {
    token: Option<Token>,
    /// The secret of the current cached token (and of the next fetch).
    secret: Option<Secret>,
    style: AuthStyle,
    in_flight: Option<InFlight>,
}

enum ClientSecret {
    Inline(Secret),
    File(SecretFile),
}

struct Shared {
    client: reqwest::Client,
    token_url: Url,
    client_id: String,
    secret: ClientSecret,
    scopes: Vec<String>,
    endpoint_params: BTreeMap<String, String>,
    user_agent: HeaderValue,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The token source of one `oauth2` block: cached token, single-flight refresh.
pub struct TokenSource {
    shared: Arc<Shared>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = match &self.shared.secret {
            ClientSecret::Inline(s) => format!("{s:?}"),
            ClientSecret::File(f) => format!("file {}", f.path().display()),
        };
        f.debug_struct("TokenSource")
            .field(
                "token_url",
                &crate::config::redact_url(self.shared.token_url.as_str()),
            )
            .field("client_id", &self.shared.client_id)
            .field("client_secret", &secret)
            .field("scopes", &self.shared.scopes)
            .finish_non_exhaustive()
    }
}

impl Drop for TokenSource {
    fn drop(&mut self) {
        if let Some(in_flight) = self.shared.state().in_flight.take() {
            in_flight.task.abort();
        }
    }
}

/// The token source could not be created.
#[derive(Debug, thiserror::Error)]
pub enum TokenSourceError {
    /// `token_url` is not an absolute URL (validation normally catches this).
    #[error("oauth2 token_url must be an absolute http or https URL")]
    TokenUrl,
    /// The user agent is not a valid header value.
    #[error("invalid user agent for oauth2 token requests")]
    UserAgent,
}

impl TokenSource {
    /// A token source for `cfg`, sending token requests through `client` (built from
    /// `oauth2 > tls_config` and the oauth2 proxy settings, HTTP/1.1, redirects followed) with
    /// `User-Agent: <user_agent>`. Nothing is fetched until [`TokenSource::authorization`].
    pub fn new(
        cfg: &OAuth2Config,
        client: reqwest::Client,
        user_agent: &str,
    ) -> Result<Self, TokenSourceError> {
        let mut token_url = Url::parse(&cfg.token_url).map_err(|_| TokenSourceError::TokenUrl)?;
        if !matches!(token_url.scheme(), "http" | "https") {
            return Err(TokenSourceError::TokenUrl);
        }
        // Userinfo never goes on the wire (Go sends it only as Basic auth, which the client
        // authentication replaces) and never into logs or errors.
        let _ = token_url.set_username("");
        let _ = token_url.set_password(None);
        let user_agent =
            HeaderValue::from_str(user_agent).map_err(|_| TokenSourceError::UserAgent)?;
        let secret = if cfg.client_secret_file.is_empty() {
            ClientSecret::Inline(cfg.client_secret.clone())
        } else {
            ClientSecret::File(SecretFile::new(&cfg.client_secret_file))
        };
        Ok(Self {
            shared: Arc::new(Shared {
                client,
                token_url,
                client_id: cfg.client_id.clone(),
                secret,
                scopes: cfg.scopes.clone(),
                endpoint_params: cfg.endpoint_params.clone(),
                user_agent,
                state: Mutex::new(State {
                    token: None,
                    secret: None,
                    style: AuthStyle::AutoDetect,
                    in_flight: None,
                }),
            }),
        })
    }

    /// The `Authorization` value for the next protected request: the cached token while it is
    /// fresh, else the result of the one fetch in flight (started now if none runs).
    pub async fn authorization(&self) -> Result<HeaderValue, OAuth2Error> {
        let secret = match &self.shared.secret {
            ClientSecret::Inline(secret) => secret.clone(),
            ClientSecret::File(file) => file
                .read()
                .map_err(|e| OAuth2Error::ClientSecret(Arc::new(e)))?,
        };
        let mut rx = {
            let mut state = self.shared.state();
            if state.secret.as_ref() != Some(&secret) {
                state.token = None;
                state.secret = Some(secret.clone());
            }
            if let Some(token) = &state.token
                && token.is_fresh(Instant::now())
            {
                return Ok(token.authorization.clone());
            }
            match &state.in_flight {
                // A finished task that left its entry behind panicked: start afresh.
                Some(in_flight) if !in_flight.task.is_finished() => in_flight.rx.clone(),
                _ => {
                    let (tx, rx) = watch::channel(None);
                    let style = state.style;
                    let task = tokio::spawn(run_fetch(Arc::clone(&self.shared), secret, style, tx));
                    state.in_flight = Some(InFlight {
                        rx: rx.clone(),
                        task,
                    });
                    rx
                }
            }
        };
        let result = rx.wait_for(Option::is_some).await;
        match result.as_deref() {
            Ok(Some(Ok(token))) => Ok(token.authorization.clone()),
            Ok(Some(Err(e))) => Err(e.clone()),
            Ok(None) | Err(_) => Err(OAuth2Error::Closed),
        }
    }

    /// Forget the cached token if it is the one `authorization` carried: a protected request
    /// sent with it got HTTP 401, so the next request fetches a new one (deviation from Alloy).
    pub fn invalidate(&self, authorization: &HeaderValue) {
        let mut state = self.shared.state();
        if state
            .token
            .as_ref()
            .is_some_and(|t| t.authorization == *authorization)
        {
            state.token = None;
        }
    }

    /// Forget the cached token, whichever it is (a 401 whose request token is unknown).
    pub fn invalidate_any(&self) {
        self.shared.state().token = None;
    }

    /// The client-authentication style in use (learned by the first successful fetch).
    pub fn auth_style(&self) -> AuthStyle {
        self.shared.state().style
    }
}

/// The fetch task: fetch, publish into the cache, then wake the waiters.
async fn run_fetch(
    shared: Arc<Shared>,
    secret: Secret,
    style: AuthStyle,
    tx: watch::Sender<FetchResult>,
) {
    let outcome = tokio::time::timeout(FETCH_TIMEOUT, fetch(&shared, &secret, style)).await;
    let result = match outcome {
        Ok(Ok((token, used))) => {
            let mut state = shared.state();
            if style == AuthStyle::AutoDetect {
                state.style = used;
            }
            if state.secret.as_ref() == Some(&secret) {
                state.token = Some(token.clone());
            }
            state.in_flight = None;
            Ok(token)
        }
        Ok(Err(e)) => {
            shared.state().in_flight = None;
            Err(e)
        }
        Err(_) => {
            shared.state().in_flight = None;
            Err(OAuth2Error::Timeout)
        }
    };
    if let Err(e) = &result {
        tracing::debug!(token_url = %crate::config::redact_url(shared.token_url.as_str()), error = %e, "oauth2 token fetch failed");
    }
    tx.send_replace(Some(result));
}

/// One fetch: the known style, or Basic then form credentials when still detecting.
async fn fetch(
    shared: &Shared,
    secret: &Secret,
    style: AuthStyle,
) -> Result<(Token, AuthStyle), OAuth2Error> {
    match style {
        AuthStyle::Header | AuthStyle::Params => request_token(shared, secret, style)
            .await
            .map(|t| (t, style)),
        AuthStyle::AutoDetect => match request_token(shared, secret, AuthStyle::Header).await {
            Ok(token) => Ok((token, AuthStyle::Header)),
            Err(_) => request_token(shared, secret, AuthStyle::Params)
                .await
                .map(|t| (t, AuthStyle::Params)),
        },
    }
}

/// The form body of a token request (sorted by key, Go-escaped).
fn token_form(shared: &Shared, secret: &Secret, style: AuthStyle) -> String {
    let mut form: BTreeMap<&str, &str> = BTreeMap::new();
    form.insert("grant_type", "client_credentials");
    let scope = shared.scopes.join(" ");
    if !shared.scopes.is_empty() {
        form.insert("scope", &scope);
    }
    for (key, value) in &shared.endpoint_params {
        form.insert(key, value);
    }
    if style == AuthStyle::Params {
        form.insert("client_id", &shared.client_id);
        if !secret.is_empty() {
            form.insert("client_secret", secret.expose());
        }
    }
    let mut body = String::new();
    for (key, value) in form {
        if !body.is_empty() {
            body.push('&');
        }
        body.push_str(&query_escape(key));
        body.push('=');
        body.push_str(&query_escape(value));
    }
    body
}

async fn request_token(
    shared: &Shared,
    secret: &Secret,
    style: AuthStyle,
) -> Result<Token, OAuth2Error> {
    let mut request = reqwest::Request::new(Method::POST, shared.token_url.clone());
    let headers = request.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    headers.insert(USER_AGENT, shared.user_agent.clone());
    if style == AuthStyle::Header {
        let credentials = format!(
            "{}:{}",
            query_escape(&shared.client_id),
            query_escape(secret.expose())
        );
        let mut value = HeaderValue::from_str(&format!("Basic {}", BASE64.encode(credentials)))
            .map_err(|_| OAuth2Error::Transport("invalid client credentials header".into()))?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    *request.body_mut() = Some(token_form(shared, secret, style).into());

    let mut response = shared
        .client
        .execute(request)
        .await
        .map_err(|e| OAuth2Error::Transport(describe(&e)))?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(media_type)
        .unwrap_or_default();
    let mut body = Vec::new();
    while body.len() < MAX_RESPONSE_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_RESPONSE_BYTES - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) => break,
            Err(e) => return Err(OAuth2Error::Transport(describe(&e))),
        }
    }
    parse_token_response(status, &content_type, &body)
}

/// The fields of a token response.
#[derive(Default)]
struct Fields {
    access_token: String,
    token_type: String,
    expires_in: i64,
    error: String,
    error_description: String,
    error_uri: String,
}

/// Go's `doTokenRoundTrip` after the body is read.
fn parse_token_response(
    status: reqwest::StatusCode,
    content_type: &str,
    body: &[u8],
) -> Result<Token, OAuth2Error> {
    let failure = !status.is_success();
    let status_error = || OAuth2Error::Status {
        status: status.to_string(),
        body: String::from_utf8_lossy(body).into_owned(),
    };
    let parsed = match content_type {
        "application/x-www-form-urlencoded" | "text/plain" => {
            parse_form(body).map_err(OAuth2Error::Form)
        }
        _ => parse_json(body).map_err(OAuth2Error::Json),
    };
    let fields = match parsed {
        Ok(fields) => fields,
        Err(_) if failure => return Err(status_error()),
        Err(e) => return Err(e),
    };
    if !fields.error.is_empty() {
        return Err(OAuth2Error::Endpoint {
            error: fields.error,
            description: fields.error_description,
            uri: fields.error_uri,
        });
    }
    if failure {
        return Err(status_error());
    }
    if fields.access_token.is_empty() {
        return Err(OAuth2Error::MissingToken);
    }
    let token_type = token_type(&fields.token_type);
    let mut authorization = HeaderValue::from_str(&format!("{token_type} {}", fields.access_token))
        .map_err(|_| OAuth2Error::InvalidToken)?;
    authorization.set_sensitive(true);
    let now = Instant::now();
    let expires_in = fields.expires_in.min(MAX_EXPIRES_IN);
    let expires_at = match expires_in {
        0 => None,
        n if n < 0 => Some(now),
        n => now.checked_add(Duration::from_secs(n.unsigned_abs())),
    };
    Ok(Token {
        authorization,
        expires_at,
    })
}

/// The scheme word sent before the token (Go's `Token.Type`).
fn token_type(received: &str) -> &str {
    if received.is_empty() || received.eq_ignore_ascii_case("bearer") {
        "Bearer"
    } else if received.eq_ignore_ascii_case("mac") {
        "MAC"
    } else if received.eq_ignore_ascii_case("basic") {
        "Basic"
    } else {
        received
    }
}

fn parse_json(body: &[u8]) -> Result<Fields, String> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let serde_json::Value::Object(object) = value else {
        return Err("expected a JSON object".to_owned());
    };
    let text = |name: &str| -> Result<String, String> {
        match object.get(name) {
            None | Some(serde_json::Value::Null) => Ok(String::new()),
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(format!("field {name:?} is not a string")),
        }
    };
    let expires_in = match object.get("expires_in") {
        None | Some(serde_json::Value::Null) => 0,
        Some(serde_json::Value::Number(n)) => json_int(&n.to_string())?,
        Some(serde_json::Value::String(s)) => json_int(s)?,
        Some(_) => return Err("field \"expires_in\" is not a number".to_owned()),
    };
    Ok(Fields {
        access_token: text("access_token")?,
        token_type: text("token_type")?,
        expires_in,
        error: text("error")?,
        error_description: text("error_description")?,
        error_uri: text("error_uri")?,
    })
}

/// `json.Number.Int64`: an integer (no fraction or exponent) within i64.
fn json_int(text: &str) -> Result<i64, String> {
    text.parse::<i64>()
        .map_err(|_| format!("expires_in: invalid integer {text:?}"))
}

fn parse_form(body: &[u8]) -> Result<Fields, String> {
    let text = std::str::from_utf8(body).map_err(|e| e.to_string())?;
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for pair in text.split('&') {
        if pair.contains(';') {
            return Err("invalid semicolon separator in query".to_owned());
        }
        if pair.is_empty() {
            continue;
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = query_unescape(key)?;
        let value = query_unescape(value)?;
        // `url.Values.Get` returns the first value.
        values.entry(key).or_insert(value);
    }
    let get = |name: &str| values.get(name).cloned().unwrap_or_default();
    Ok(Fields {
        access_token: get("access_token"),
        token_type: get("token_type"),
        // `strconv.Atoi` failure means no expiry.
        expires_in: get("expires_in").parse().unwrap_or(0),
        error: get("error"),
        error_description: get("error_description"),
        error_uri: get("error_uri"),
    })
}

/// The media type of a `Content-Type` value, lower-cased, without parameters.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push_str(&format!("{byte:02X}"));
            }
        }
    }
    out
}

/// Go's `url.QueryUnescape`: `+` is a space, `%XX` a byte, anything else after `%` an error.
fn query_unescape(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
                    let bad: String = text[i..].chars().take(3).collect();
                    return Err(format!("invalid URL escape {bad:?}"));
                };
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A reqwest error and its causes, without the URL (it may carry a password).
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let url_part = error.url().map(|u| format!(" for url ({u})"));
    if let Some(part) = url_part {
        text = text.replace(&part, "");
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fetch task belongs to the source: dropping the source (and the only caller) aborts
    /// it, releasing everything it held, though the token endpoint never answered.
    #[tokio::test]
    async fn dropping_the_source_aborts_its_fetch() {
        let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else {
            return;
        };
        let Ok(addr) = listener.local_addr() else {
            return;
        };
        // Accepts and then never answers.
        let (accepted_tx, accepted_rx) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(async move {
            let held = listener.accept().await;
            let _ = accepted_tx.send(());
            std::future::pending::<()>().await;
            drop(held);
        });
        let cfg = OAuth2Config {
            client_id: "id".into(),
            client_secret: Secret::new("secret"),
            token_url: format!("http://{addr}/token"),
            ..OAuth2Config::default()
        };
        let opts = crate::client::ClientOptions::default();
        let client = crate::client::build_transport(
            &cfg.tls_config,
            &cfg.proxy,
            crate::client::Transport::token_endpoint(),
            &opts,
        );
        let Ok(client) = client else {
            panic!("token client not built");
        };
        let source = TokenSource::new(&cfg, client, &opts.user_agent);
        let Ok(source) = source else {
            panic!("token source not built");
        };
        let shared = Arc::downgrade(&source.shared);
        let source = Arc::new(source);
        let caller = tokio::spawn({
            let source = Arc::clone(&source);
            async move { source.authorization().await.is_ok() }
        });
        let _ = tokio::time::timeout(Duration::from_secs(10), accepted_rx).await;
        caller.abort();
        let _ = caller.await;
        drop(source);
        // The aborted task drops its `Arc` when the runtime next polls it.
        for _ in 0..100 {
            if shared.upgrade().is_none() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(
            shared.upgrade().is_none(),
            "the fetch task outlived its source"
        );
        server.abort();
    }

    #[test]
    fn escapes_like_go() {
        assert_eq!(query_escape("se cret"), "se+cret");
        assert_eq!(query_escape("a*b~c/d"), "a%2Ab~c%2Fd");
        assert_eq!(query_unescape("a+b%2Fc").as_deref(), Ok("a b/c"));
        assert!(query_unescape("%zz").is_err());
    }

    #[test]
    fn token_types_follow_go() {
        assert_eq!(token_type(""), "Bearer");
        assert_eq!(token_type("bEaReR"), "Bearer");
        assert_eq!(token_type("mac"), "MAC");
        assert_eq!(token_type("BASIC"), "Basic");
        assert_eq!(token_type("DPoP"), "DPoP");
    }

    #[test]
    fn expires_in_may_be_a_numeric_string_and_is_capped() {
        let body = br#"{"access_token":"t","expires_in":"99999999999"}"#;
        let fields = parse_json(body).unwrap_or_default();
        assert_eq!(fields.expires_in, 99_999_999_999);
        assert!(parse_json(br#"{"access_token":"t","expires_in":1.5}"#).is_err());
    }

    #[test]
    fn endpoint_errors_read_like_go() {
        let e = parse_token_response(
            reqwest::StatusCode::BAD_REQUEST,
            "application/json",
            br#"{"error":"invalid_client","error_description":"bad secret"}"#,
        )
        .err()
        .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(r#"oauth2: "invalid_client" "bad secret""#)
        );
        let e = parse_token_response(
            reqwest::StatusCode::SERVICE_UNAVAILABLE,
            "text/html",
            b"<html>down</html>",
        )
        .err()
        .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "oauth2: cannot fetch token: 503 Service Unavailable\nResponse: <html>down</html>"
            )
        );
    }
}

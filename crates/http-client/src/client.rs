//! The client of one host block: a `reqwest::Client` built from the settings (§4, §7, §10) plus
//! the per-request authentication and headers (§5).
//!
//! Decisions:
//! - One [`build_transport`] builds every `reqwest::Client` of the crate, the host's and the
//!   OAuth2 token endpoint's, so both get the same TLS, proxy and pool behaviour.
//! - reqwest's own proxy lookup is always off (`no_proxy()`), so environment variables matter
//!   only with `proxy_from_environment = true`; no decompression, no cookie store (those reqwest
//!   features are not enabled).
//! - ALPN is set on the preconfigured rustls config (reqwest does not): `h2, http/1.1` with
//!   `enable_http2`, else `http/1.1` and an HTTP/1-only client. Plain `http://` is HTTP/1.1.
//! - Authentication and `http_headers` are applied in [`HttpClient::execute`] on every attempt,
//!   not as reqwest default headers: secret files are re-read, OAuth2 tokens refreshed, and a
//!   header the caller set (`Authorization`, `User-Agent`) wins where §5 says so.
//! - There is no client-wide timeout: callers bound each attempt (`remote_timeout`).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue, USER_AGENT};

use crate::auth::RequestAuth;
use crate::config::{HttpClientConfig, ProxyConfig, TlsConfig};
use crate::error::{BuildError, RequestError};
use crate::proxy::{ProxyRules, connect_headers};
use crate::tls;

/// The `User-Agent` of every request: `ferroalloy/<version>`.
pub const USER_AGENT_VALUE: &str = concat!("ferroalloy/", env!("CARGO_PKG_VERSION"));

/// The most redirects followed (§7).
pub const MAX_REDIRECTS: usize = 10;

/// What the host component passes besides the settings.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The `User-Agent` sent when the caller sets none; [`USER_AGENT_VALUE`] by default.
    pub user_agent: String,
    /// Host names pinned to addresses, bypassing DNS (tests pin names to 127.0.0.1).
    pub resolve: Vec<(String, SocketAddr)>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            user_agent: USER_AGENT_VALUE.to_owned(),
            resolve: Vec::new(),
        }
    }
}

/// How a transport behaves beyond TLS and proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transport {
    /// Offer HTTP/2 through ALPN.
    pub http2: bool,
    /// Follow up to [`MAX_REDIRECTS`] redirects.
    pub follow_redirects: bool,
}

impl Transport {
    /// The transport of OAuth2 token requests (§6): HTTP/1.1 only, redirects followed.
    pub fn token_endpoint() -> Self {
        Self {
            http2: false,
            follow_redirects: true,
        }
    }
}

/// Build a `reqwest::Client` with the TLS of `tls`, the proxies of `proxy` and the fixed pool
/// settings of §7/§10. `tls` and `proxy` must be validated.
pub fn build_transport(
    tls: &TlsConfig,
    proxy: &ProxyConfig,
    transport: Transport,
    opts: &ClientOptions,
) -> Result<reqwest::Client, BuildError> {
    let alpn = if transport.http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    let tls_config = tls::client_config(tls, alpn)?;
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .tls_backend_preconfigured(tls_config)
        .user_agent(opts.user_agent.as_str())
        .pool_idle_timeout(Duration::from_secs(300))
        .pool_max_idle_per_host(1000)
        .tcp_keepalive(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(30))
        .http2_keep_alive_interval(Duration::from_secs(60))
        .http2_keep_alive_timeout(Duration::from_secs(15))
        .http2_keep_alive_while_idle(true)
        .redirect(if transport.follow_redirects {
            reqwest::redirect::Policy::limited(MAX_REDIRECTS)
        } else {
            reqwest::redirect::Policy::none()
        });
    if !transport.http2 {
        builder = builder.http1_only();
    }
    if let Some(rules) = ProxyRules::from_config(proxy, |name| std::env::var(name).ok()) {
        for p in rules.into_reqwest(connect_headers(proxy)) {
            builder = builder.proxy(p);
        }
    }
    for (host, addr) in &opts.resolve {
        builder = builder.resolve(host, *addr);
    }
    builder.build().map_err(BuildError::Client)
}

/// The HTTP client of one host block. Cheap to clone; clones share connections and tokens.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    auth: RequestAuth,
    headers: Vec<(HeaderName, Vec<HeaderValue>)>,
    user_agent: HeaderValue,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("auth", &self.inner.auth)
            .field(
                "http_headers",
                &self
                    .inner
                    .headers
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// Validate `cfg`, load its TLS material and build the client (§4). Errors carry the spec's
    /// texts and fail the component's build or update.
    pub fn build(cfg: &HttpClientConfig, opts: &ClientOptions) -> Result<Self, BuildError> {
        cfg.validate().map_err(BuildError::Invalid)?;
        let cfg = cfg.normalized();
        let client = build_transport(
            &cfg.tls_config,
            &cfg.proxy,
            Transport {
                http2: cfg.enable_http2,
                follow_redirects: cfg.follow_redirects,
            },
            opts,
        )?;
        let auth = RequestAuth::from_config(&cfg, opts)?;
        let mut headers = Vec::with_capacity(cfg.http_headers.len());
        for (name, values) in &cfg.http_headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                BuildError::Auth(format!("invalid header name {name:?} in http_headers"))
            })?;
            let mut parsed = Vec::with_capacity(values.len());
            for value in values {
                let mut value = HeaderValue::from_str(value.expose()).map_err(|_| {
                    BuildError::Auth(format!("invalid value for header {name:?} in http_headers"))
                })?;
                value.set_sensitive(true);
                parsed.push(value);
            }
            headers.push((name, parsed));
        }
        let user_agent = HeaderValue::from_str(&opts.user_agent)
            .unwrap_or_else(|_| HeaderValue::from_static(USER_AGENT_VALUE));
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                auth,
                headers,
                user_agent,
            }),
        })
    }

    /// The underlying reqwest client (no authentication of its own): build requests with it,
    /// send them with [`HttpClient::execute`].
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// Apply authentication and `http_headers` (§5), then send. Redirects per §7.
    pub async fn execute(
        &self,
        mut req: reqwest::Request,
    ) -> Result<reqwest::Response, RequestError> {
        apply_userinfo(&mut req);
        self.inner.auth.apply(&mut req).await?;
        let headers = req.headers_mut();
        for (name, values) in &self.inner.headers {
            for value in values {
                headers.append(name.clone(), value.clone());
            }
        }
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, self.inner.user_agent.clone());
        }
        let response = self.inner.client.execute(req).await?;
        self.inner.auth.observe_response(response.status());
        Ok(response)
    }
}

/// §5 step 1: userinfo becomes `Authorization: Basic …` unless one is set, and always leaves the
/// URL.
fn apply_userinfo(req: &mut reqwest::Request) {
    let url = req.url();
    if url.username().is_empty() && url.password().is_none() {
        return;
    }
    let user = percent_decode(url.username());
    let password = percent_decode(url.password().unwrap_or(""));
    let url = req.url_mut();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if !req.headers().contains_key(AUTHORIZATION) {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        if let Ok(mut value) = HeaderValue::from_str(&format!("Basic {encoded}")) {
            value.set_sensitive(true);
            req.headers_mut().insert(AUTHORIZATION, value);
        }
    }
}

/// Decode `%XX` escapes (URL userinfo); invalid escapes are kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_becomes_basic_auth_and_leaves_the_url() {
        let url = reqwest::Url::parse("http://al%20ice:s3cret@example.com/x").unwrap();
        let mut req = reqwest::Request::new(reqwest::Method::GET, url);
        apply_userinfo(&mut req);
        assert_eq!(req.url().as_str(), "http://example.com/x");
        let expected = base64::engine::general_purpose::STANDARD.encode("al ice:s3cret");
        assert_eq!(
            req.headers()[AUTHORIZATION],
            format!("Basic {expected}").as_str()
        );
        assert!(req.headers()[AUTHORIZATION].is_sensitive());
    }

    #[test]
    fn userinfo_does_not_replace_a_set_authorization() {
        let url = reqwest::Url::parse("http://u:p@example.com/").unwrap();
        let mut req = reqwest::Request::new(reqwest::Method::GET, url);
        req.headers_mut()
            .insert(AUTHORIZATION, HeaderValue::from_static("Custom y"));
        apply_userinfo(&mut req);
        assert_eq!(req.headers()[AUTHORIZATION], "Custom y");
        assert_eq!(req.url().as_str(), "http://example.com/");
    }
}

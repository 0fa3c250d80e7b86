//! The settings of the shared HTTP client block (spec `http-client.md` §1) and their pure
//! validation (§3).
//!
//! Decisions:
//! - The settings are typed [`Arguments`] so a host block (`pyroscope.write`'s `endpoint`,
//!   `pyroscope.scrape`) embeds them with `v.squash(|s| &mut s.client)`; the proxy attributes are
//!   a [`ProxyConfig`] squashed into both the host block and `oauth2`.
//! - Secrets are [`Secret`] (empty = not set, which is also what `attr = null` gives), other
//!   strings are `String` (empty = not set), so the derived `PartialEq` compares secrets by value
//!   and files by path, which is what reload diffing wants.
//! - Header maps are `BTreeMap`s: names iterate in byte-wise order, the order §3.6 step 3 checks
//!   them and §5 sends them.
//! - `validate` reports only the first failing rule, in the spec's order: attribute decoding
//!   (§3.1), then the nested blocks (`basic_auth`, `authorization`, `oauth2`, `tls_config`), then
//!   the host-level rules (§3.6). Each error carries the path of the attribute that is at fault
//!   (`basic_auth.password_file`, `oauth2.tls_config.ca_file`), or the block itself for the
//!   "at most one method" rule.
//! - `Debug` never shows a secret: `Secret` prints `(secret)` and the password of a proxy URL is
//!   printed as `xxxxx`.

use std::collections::BTreeMap;
use std::fmt;

use ferroalloy_value::Secret;
use ferroalloy_value::decode::{ArgErrors, ArgPath, Arguments, FieldVisitor};
use reqwest::header::{HeaderName, HeaderValue};

/// The error type of [`HttpClientConfig::validate`]: the first failing rule with its path.
pub type ConfigError = ArgErrors;

/// The HTTP client settings of one host block (§1.1, §1.2).
#[derive(Clone, Debug, PartialEq)]
pub struct HttpClientConfig {
    /// `bearer_token`: sent as `Authorization: Bearer <token>`.
    pub bearer_token: Secret,
    /// `bearer_token_file`: like `bearer_token`, read from this file on every request.
    pub bearer_token_file: String,
    /// `enable_http2`: offer HTTP/2 through TLS ALPN (default `true`).
    pub enable_http2: bool,
    /// `follow_redirects`: follow 3xx responses (default `true`).
    pub follow_redirects: bool,
    /// `http_headers`: extra headers, every listed value sent.
    pub http_headers: BTreeMap<String, Vec<Secret>>,
    /// `proxy_url`, `no_proxy`, `proxy_from_environment`, `proxy_connect_header`.
    pub proxy: ProxyConfig,
    /// The `basic_auth` block.
    pub basic_auth: Option<BasicAuth>,
    /// The `authorization` block.
    pub authorization: Option<Authorization>,
    /// The `oauth2` block.
    pub oauth2: Option<OAuth2Config>,
    /// The `tls_config` block (its defaults when absent).
    pub tls_config: TlsConfig,
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        Self {
            bearer_token: Secret::default(),
            bearer_token_file: String::new(),
            enable_http2: true,
            follow_redirects: true,
            http_headers: BTreeMap::new(),
            proxy: ProxyConfig::default(),
            basic_auth: None,
            authorization: None,
            oauth2: None,
            tls_config: TlsConfig::default(),
        }
    }
}

impl Arguments for HttpClientConfig {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("bearer_token", |s| &mut s.bearer_token);
        v.optional("bearer_token_file", |s| &mut s.bearer_token_file);
        v.optional("enable_http2", |s| &mut s.enable_http2);
        v.optional("follow_redirects", |s| &mut s.follow_redirects);
        v.optional("http_headers", |s| &mut s.http_headers);
        v.squash(|s| &mut s.proxy);
        v.block("basic_auth", |s| &mut s.basic_auth);
        v.block("authorization", |s| &mut s.authorization);
        v.block("oauth2", |s| &mut s.oauth2);
        v.block("tls_config", |s| &mut s.tls_config);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        HttpClientConfig::validate(self)
    }
}

impl HttpClientConfig {
    /// Check every rule of §3 and report the first failure, with its path relative to the host
    /// block. Pure: no file is read.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_blocks()?;
        self.validate_host()
    }

    /// The first part of [`HttpClientConfig::validate`]: attribute decoding (§3.1) and the
    /// nested blocks (§3.2–§3.5). A host that runs its own rules between these and the
    /// host-level ones (`pyroscope.scrape` §2.1) calls the two parts itself.
    pub fn validate_blocks(&self) -> Result<(), ConfigError> {
        first_error(|| {
            // §3.1: attribute decoding.
            nest("tls_config", self.tls_config.check_min_version())?;
            nest("", self.proxy.check_url())?;
            if let Some(oauth2) = &self.oauth2 {
                nest("oauth2.tls_config", oauth2.tls_config.check_min_version())?;
                nest("oauth2", oauth2.proxy.check_url())?;
            }
            // Nested blocks.
            if let Some(basic) = &self.basic_auth {
                nest("basic_auth", basic.check())?;
            }
            if let Some(authorization) = &self.authorization {
                nest("authorization", authorization.check())?;
            }
            if let Some(oauth2) = &self.oauth2 {
                nest("oauth2", oauth2.check())?;
            }
            nest("tls_config", self.tls_config.check())
        })
    }

    /// The second part of [`HttpClientConfig::validate`]: the host-level rules (§3.6).
    pub fn validate_host(&self) -> Result<(), ConfigError> {
        first_error(|| {
            let methods = [
                self.basic_auth.is_some(),
                self.authorization.is_some(),
                self.oauth2.is_some(),
                !self.bearer_token.is_empty(),
                !self.bearer_token_file.is_empty(),
            ];
            if methods.iter().filter(|m| **m).count() > 1 {
                return Err(ArgErrors::one(
                    "",
                    "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured",
                ));
            }
            check_headers(
                &self.http_headers,
                ArgPath::field("http_headers"),
                "http_headers",
            )?;
            nest("", self.proxy.check())
        })
    }

    /// The settings as applied by the client: `authorization.type` trimmed and `Bearer` when
    /// empty (§3.3), `bearer_token` / `bearer_token_file` turned into an `authorization` block
    /// (§3.6 step 2).
    pub fn normalized(&self) -> HttpClientConfig {
        let mut cfg = self.clone();
        if cfg.authorization.is_none() {
            if !cfg.bearer_token.is_empty() {
                cfg.authorization = Some(Authorization {
                    r#type: "Bearer".to_owned(),
                    credentials: cfg.bearer_token.clone(),
                    credentials_file: String::new(),
                });
            } else if !cfg.bearer_token_file.is_empty() {
                cfg.authorization = Some(Authorization {
                    r#type: "Bearer".to_owned(),
                    credentials: Secret::default(),
                    credentials_file: cfg.bearer_token_file.clone(),
                });
            }
            if cfg.authorization.is_some() {
                cfg.bearer_token = Secret::default();
                cfg.bearer_token_file = String::new();
            }
        }
        if let Some(authorization) = &mut cfg.authorization {
            let trimmed = authorization.r#type.trim();
            authorization.r#type = if trimmed.is_empty() {
                "Bearer".to_owned()
            } else {
                trimmed.to_owned()
            };
        }
        cfg
    }
}

/// The `basic_auth` block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BasicAuth {
    /// `username` (may be empty).
    pub username: String,
    /// `password` (may be empty).
    pub password: Secret,
    /// `password_file`: the password is read from this file on every request.
    pub password_file: String,
}

impl Arguments for BasicAuth {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("username", |s| &mut s.username);
        v.optional("password", |s| &mut s.password);
        v.optional("password_file", |s| &mut s.password_file);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        self.check()
    }
}

impl BasicAuth {
    fn check(&self) -> Result<(), ArgErrors> {
        if !self.password.is_empty() && !self.password_file.is_empty() {
            return Err(ArgErrors::one(
                "password_file",
                "at most one of basic_auth password & password_file must be configured",
            ));
        }
        Ok(())
    }
}

/// The `authorization` block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Authorization {
    /// `type`: the scheme; `Bearer` when empty after trimming (see
    /// [`HttpClientConfig::normalized`]).
    pub r#type: String,
    /// `credentials`.
    pub credentials: Secret,
    /// `credentials_file`: the credentials are read from this file on every request.
    pub credentials_file: String,
}

impl Arguments for Authorization {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("type", |s| &mut s.r#type);
        v.optional("credentials", |s| &mut s.credentials);
        v.optional("credentials_file", |s| &mut s.credentials_file);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        self.check()
    }
}

impl Authorization {
    fn check(&self) -> Result<(), ArgErrors> {
        if !self.credentials.is_empty() && !self.credentials_file.is_empty() {
            return Err(ArgErrors::one(
                "credentials_file",
                "at most one of authorization credentials & credentials_file must be configured",
            ));
        }
        if self.r#type.trim().eq_ignore_ascii_case("basic") {
            return Err(ArgErrors::one(
                "type",
                r#"authorization type cannot be set to "basic", use "basic_auth" block instead"#,
            ));
        }
        Ok(())
    }
}

/// The `oauth2` block: client-credentials grant (§6). `Debug` shows the password of
/// `token_url` as `xxxxx` (§11).
#[derive(Clone, Default, PartialEq)]
pub struct OAuth2Config {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: Secret,
    /// `client_secret_file`: the secret is read from this file for every token request.
    pub client_secret_file: String,
    /// `scopes`, sent space-separated as `scope`.
    pub scopes: Vec<String>,
    /// `token_url`.
    pub token_url: String,
    /// `endpoint_params`: extra form fields of the token request.
    pub endpoint_params: BTreeMap<String, String>,
    /// Proxy of the token requests.
    pub proxy: ProxyConfig,
    /// TLS of the token requests.
    pub tls_config: TlsConfig,
}

impl fmt::Debug for OAuth2Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Config")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("client_secret_file", &self.client_secret_file)
            .field("scopes", &self.scopes)
            .field("token_url", &redact_url(&self.token_url))
            .field("endpoint_params", &self.endpoint_params)
            .field("proxy", &self.proxy)
            .field("tls_config", &self.tls_config)
            .finish()
    }
}

impl Arguments for OAuth2Config {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("client_id", |s| &mut s.client_id);
        v.optional("client_secret", |s| &mut s.client_secret);
        v.optional("client_secret_file", |s| &mut s.client_secret_file);
        v.optional("scopes", |s| &mut s.scopes);
        v.optional("token_url", |s| &mut s.token_url);
        v.optional("endpoint_params", |s| &mut s.endpoint_params);
        v.squash(|s| &mut s.proxy);
        v.block("tls_config", |s| &mut s.tls_config);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        first_error(|| {
            nest("tls_config", self.tls_config.check_min_version())?;
            self.proxy.check_url()?;
            self.check()
        })
    }
}

impl OAuth2Config {
    fn check(&self) -> Result<(), ArgErrors> {
        if self.client_id.is_empty() {
            return Err(ArgErrors::one(
                "client_id",
                "oauth2 client_id must be configured",
            ));
        }
        if self.client_secret.is_empty() && self.client_secret_file.is_empty() {
            return Err(ArgErrors::one(
                "client_secret",
                "either oauth2 client_secret or client_secret_file must be configured",
            ));
        }
        if self.token_url.is_empty() {
            return Err(ArgErrors::one(
                "token_url",
                "oauth2 token_url must be configured",
            ));
        }
        if !self.client_secret.is_empty() && !self.client_secret_file.is_empty() {
            return Err(ArgErrors::one(
                "client_secret_file",
                "at most one of oauth2 client_secret & client_secret_file must be configured",
            ));
        }
        let token_url_ok = url::Url::parse(&self.token_url).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        });
        if !token_url_ok {
            return Err(ArgErrors::one(
                "token_url",
                "oauth2 token_url must be an absolute http or https URL",
            ));
        }
        if !self.scopes.is_empty() && self.endpoint_params.contains_key("scope") {
            return Err(ArgErrors::one(
                "endpoint_params",
                r#"oauth2 endpoint_params must not set "scope" when scopes is configured"#,
            ));
        }
        self.proxy.check()?;
        nest("tls_config", self.tls_config.check())
    }
}

/// The proxy attributes (§8), squashed into the host block and into `oauth2`.
#[derive(Clone, Default, PartialEq)]
pub struct ProxyConfig {
    /// `proxy_url`: proxy for all requests (`http`, `https`, `socks5`, `socks5h`).
    pub proxy_url: String,
    /// `no_proxy`: comma-separated exclusions for `proxy_url`.
    pub no_proxy: String,
    /// `proxy_from_environment`: take the proxy from `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`.
    pub proxy_from_environment: bool,
    /// `proxy_connect_header`: headers of `CONNECT` requests.
    pub proxy_connect_header: BTreeMap<String, Vec<Secret>>,
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("proxy_url", &redact_url(&self.proxy_url))
            .field("no_proxy", &self.no_proxy)
            .field("proxy_from_environment", &self.proxy_from_environment)
            .field("proxy_connect_header", &self.proxy_connect_header)
            .finish()
    }
}

impl Arguments for ProxyConfig {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("proxy_url", |s| &mut s.proxy_url);
        v.optional("no_proxy", |s| &mut s.no_proxy);
        v.optional("proxy_from_environment", |s| &mut s.proxy_from_environment);
        v.optional("proxy_connect_header", |s| &mut s.proxy_connect_header);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        first_error(|| {
            self.check_url()?;
            self.check()
        })
    }
}

/// The schemes `proxy_url` accepts.
const PROXY_SCHEMES: [&str; 4] = ["http", "https", "socks5", "socks5h"];

impl ProxyConfig {
    /// §3.1: `proxy_url` must be an absolute URL with a supported scheme.
    fn check_url(&self) -> Result<(), ArgErrors> {
        if self.proxy_url.is_empty() {
            return Ok(());
        }
        match url::Url::parse(&self.proxy_url) {
            Err(e) => Err(ArgErrors::one(
                "proxy_url",
                format!("invalid proxy_url: {e}"),
            )),
            Ok(u) if !PROXY_SCHEMES.contains(&u.scheme()) => Err(ArgErrors::one(
                "proxy_url",
                format!(
                    "proxy_url scheme must be one of http, https, socks5, socks5h, got {:?}",
                    u.scheme()
                ),
            )),
            Ok(_) => Ok(()),
        }
    }

    /// §3.6 step 4, then the `proxy_connect_header` names and values.
    fn check(&self) -> Result<(), ArgErrors> {
        if !self.proxy_connect_header.is_empty()
            && !self.proxy_from_environment
            && self.proxy_url.is_empty()
        {
            return Err(ArgErrors::one(
                "proxy_connect_header",
                "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured",
            ));
        }
        if self.proxy_from_environment && !self.proxy_url.is_empty() {
            return Err(ArgErrors::one(
                "proxy_url",
                "if proxy_from_environment is configured, proxy_url must not be configured",
            ));
        }
        if self.proxy_from_environment && !self.no_proxy.is_empty() {
            return Err(ArgErrors::one(
                "no_proxy",
                "if proxy_from_environment is configured, no_proxy must not be configured",
            ));
        }
        if !self.no_proxy.is_empty() && self.proxy_url.is_empty() {
            return Err(ArgErrors::one(
                "no_proxy",
                "if no_proxy is configured, proxy_url must also be configured",
            ));
        }
        check_headers(
            &self.proxy_connect_header,
            ArgPath::field("proxy_connect_header"),
            "proxy_connect_header",
        )
    }
}

/// The `tls_config` block (host and `oauth2`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TlsConfig {
    /// `ca_pem`: trusted CA certificates, inline PEM.
    pub ca_pem: String,
    /// `ca_file`: trusted CA certificates from a PEM file.
    pub ca_file: String,
    /// `cert_pem`: client certificate chain, inline PEM.
    pub cert_pem: String,
    /// `cert_file`: client certificate chain from a PEM file.
    pub cert_file: String,
    /// `key_pem`: client key, inline PEM.
    pub key_pem: Secret,
    /// `key_file`: client key from a PEM file.
    pub key_file: String,
    /// `server_name`: name the server certificate is verified against.
    pub server_name: String,
    /// `insecure_skip_verify`: accept any server certificate.
    pub insecure_skip_verify: bool,
    /// `min_version`: `TLS10`, `TLS11`, `TLS12` or `TLS13` (TLS 1.2 is the floor rustls offers).
    pub min_version: String,
}

impl Arguments for TlsConfig {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("ca_pem", |s| &mut s.ca_pem);
        v.optional("ca_file", |s| &mut s.ca_file);
        v.optional("cert_pem", |s| &mut s.cert_pem);
        v.optional("cert_file", |s| &mut s.cert_file);
        v.optional("key_pem", |s| &mut s.key_pem);
        v.optional("key_file", |s| &mut s.key_file);
        v.optional("server_name", |s| &mut s.server_name);
        v.optional("insecure_skip_verify", |s| &mut s.insecure_skip_verify);
        v.optional("min_version", |s| &mut s.min_version);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        first_error(|| {
            self.check_min_version()?;
            self.check()
        })
    }
}

/// The TLS versions `min_version` accepts (case-sensitive).
pub const TLS_VERSIONS: [&str; 4] = ["TLS10", "TLS11", "TLS12", "TLS13"];

impl TlsConfig {
    /// §3.1: `min_version` is one of [`TLS_VERSIONS`].
    fn check_min_version(&self) -> Result<(), ArgErrors> {
        if !self.min_version.is_empty() && !TLS_VERSIONS.contains(&self.min_version.as_str()) {
            return Err(ArgErrors::one(
                "min_version",
                format!("unknown TLS version: {}", self.min_version),
            ));
        }
        Ok(())
    }

    /// §3.5, in order.
    fn check(&self) -> Result<(), ArgErrors> {
        if !self.ca_pem.is_empty() && !self.ca_file.is_empty() {
            return Err(ArgErrors::one(
                "ca_file",
                "at most one of ca_pem and ca_file must be configured",
            ));
        }
        if !self.cert_pem.is_empty() && !self.cert_file.is_empty() {
            return Err(ArgErrors::one(
                "cert_file",
                "at most one of cert_pem and cert_file must be configured",
            ));
        }
        if !self.key_pem.is_empty() && !self.key_file.is_empty() {
            return Err(ArgErrors::one(
                "key_file",
                "at most one of key_pem and key_file must be configured",
            ));
        }
        if self.has_cert() && !self.has_key() {
            let path = if self.cert_pem.is_empty() {
                "cert_file"
            } else {
                "cert_pem"
            };
            return Err(ArgErrors::one(
                path,
                "exactly one of key_pem or key_file must be configured when a client certificate is configured",
            ));
        }
        if self.has_key() && !self.has_cert() {
            let path = if self.key_pem.is_empty() {
                "key_file"
            } else {
                "key_pem"
            };
            return Err(ArgErrors::one(
                path,
                "exactly one of cert_pem or cert_file must be configured when a client key is configured",
            ));
        }
        Ok(())
    }

    /// Whether a client certificate is configured (inline or file).
    pub fn has_cert(&self) -> bool {
        !self.cert_pem.is_empty() || !self.cert_file.is_empty()
    }

    /// Whether a client key is configured (inline or file).
    pub fn has_key(&self) -> bool {
        !self.key_pem.is_empty() || !self.key_file.is_empty()
    }
}

/// §3.6 step 3 for `http_headers` (and, with its own name in the text, `proxy_connect_header`):
/// names in byte-wise order, canonicalised, reserved names refused, then name and values checked.
fn check_headers(
    headers: &BTreeMap<String, Vec<Secret>>,
    path: ArgPath,
    attr: &str,
) -> Result<(), ArgErrors> {
    for (name, values) in headers {
        let canonical = canonical_header_name(name);
        if RESERVED_HEADERS.contains(&canonical.as_str()) {
            return Err(ArgErrors::one(
                path.clone().join(name.clone()),
                format!("setting header {canonical:?} is not allowed"),
            ));
        }
        if HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(ArgErrors::one(
                path.clone().join(name.clone()),
                format!("invalid header name {name:?} in {attr}"),
            ));
        }
        for (i, value) in values.iter().enumerate() {
            if HeaderValue::from_str(value.expose()).is_err() {
                return Err(ArgErrors::one(
                    path.clone().join(name.clone()).index(i),
                    format!("invalid value for header {name:?} in {attr}"),
                ));
            }
        }
    }
    Ok(())
}

/// Headers `http_headers` may not set (§3.6 step 3), in canonical form.
pub const RESERVED_HEADERS: [&str; 18] = [
    "Authorization",
    "Host",
    "Content-Encoding",
    "Content-Length",
    "Content-Type",
    "User-Agent",
    "Connection",
    "Keep-Alive",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Www-Authenticate",
    "Accept-Encoding",
    "X-Prometheus-Remote-Write-Version",
    "X-Prometheus-Remote-Read-Version",
    "X-Prometheus-Scrape-Timeout-Seconds",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Amz-Content-Sha256",
];

/// Go's canonical header form: the first letter and every letter after `-` upper-case, the rest
/// lower-case.
pub fn canonical_header_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if upper {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        upper = c == '-';
    }
    out
}

/// `url` with its password replaced by `xxxxx` (§11); text that does not parse is kept.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("xxxxx"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Run `checks`, keeping only the first error.
fn first_error(checks: impl FnOnce() -> Result<(), ArgErrors>) -> Result<(), ArgErrors> {
    checks().map_err(|mut errors| {
        errors.0.truncate(1);
        errors
    })
}

/// Prefix the paths of `result`'s errors with `prefix` (`""` for none).
fn nest(prefix: &str, result: Result<(), ArgErrors>) -> Result<(), ArgErrors> {
    let mut errors = ArgErrors::new();
    errors.nest(prefix, result);
    errors.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names_follow_go() {
        assert_eq!(canonical_header_name("user-agent"), "User-Agent");
        assert_eq!(
            canonical_header_name("WWW-AUTHENTICATE"),
            "Www-Authenticate"
        );
        assert_eq!(canonical_header_name("x-amz-date"), "X-Amz-Date");
    }

    #[test]
    fn proxy_password_is_redacted() {
        assert_eq!(
            redact_url("http://user:pw@proxy:3128"),
            "http://user:xxxxx@proxy:3128/"
        );
        assert_eq!(redact_url("http://proxy:3128"), "http://proxy:3128");
    }
}

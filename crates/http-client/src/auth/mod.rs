//! Per-request authentication (spec §5 steps 2–3, §6, §9).
//!
//! [`HttpClient`](crate::HttpClient) builds one [`RequestAuth`] per client from the **validated
//! and normalised** settings (`bearer_token*` already turned into `authorization`,
//! `authorization.type` trimmed) and, on every attempt, after it has turned URL userinfo into
//! `Authorization: Basic …` (§5 step 1) and before it adds `http_headers` and `User-Agent` (§5
//! steps 4–5), calls [`RequestAuth::apply`]. After the response arrives it calls
//! [`RequestAuth::observe_response`].
//!
//! Decisions:
//! - Static methods (`authorization`, `basic_auth`) set `Authorization` only when the request
//!   has none yet (Alloy parity: a component's own header, or URL userinfo, wins); `oauth2`
//!   always sets it.
//! - `*_file` secrets are [`SecretFile`]s: one `stat` per request, re-read when the file
//!   changed, so a rotated token is used by the next request without a reload; a failed read
//!   fails that attempt only, with the spec's text.
//! - Every credential header value is marked sensitive, so reqwest's and hyper's `Debug` print
//!   `Sensitive` and HTTP/2 never indexes it in HPACK tables.
//! - Empty credentials are sent as they are (`Bearer ` with an empty token, `Basic` of `user:`),
//!   as Prometheus' round trippers do; validation has already refused contradictory settings.
//! - OAuth2 tokens come from a [`TokenSource`] whose own `reqwest::Client` is built by
//!   [`crate::client::build_transport`] from `oauth2 > tls_config` and the oauth2 proxy settings
//!   ([`Transport::token_endpoint`]: HTTP/1.1, redirects followed). A 401 on a protected request
//!   drops the cached token (deviation from Alloy): the hook sees only the status, so it drops whatever token
//!   is cached (at worst one extra fetch when a newer token arrived meanwhile).

pub mod oauth2;
pub mod secret_file;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ferroalloy_value::Secret;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue};

use crate::client::{ClientOptions, Transport, build_transport};
use crate::config::HttpClientConfig;
use crate::error::{BuildError, RequestError};
pub use oauth2::{OAuth2Error, TokenSource};
pub use secret_file::{SecretFile, SecretFileError};

/// A secret written inline or kept in a file (re-read when it changes).
pub enum SecretSource {
    /// Written in the configuration.
    Inline(Secret),
    /// Read from this file on use.
    File(SecretFile),
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inline(secret) => write!(f, "{secret:?}"),
            Self::File(file) => write!(f, "file {}", file.path().display()),
        }
    }
}

impl SecretSource {
    /// `file` when non-empty, else `inline`.
    pub fn new(inline: &Secret, file: &str) -> Self {
        if file.is_empty() {
            Self::Inline(inline.clone())
        } else {
            Self::File(SecretFile::new(file))
        }
    }

    /// The current value; `what` names the secret in the error
    /// (`unable to read <what>: unable to read file <path>: <io error>`).
    pub fn current(&self, what: &'static str) -> Result<Secret, RequestError> {
        match self {
            Self::Inline(secret) => Ok(secret.clone()),
            Self::File(file) => file.read().map_err(|e| RequestError::ReadSecretFile {
                what,
                path: e.path,
                source: e.source,
            }),
        }
    }
}

/// The method configured for a client.
#[derive(Debug)]
enum Method {
    None,
    /// `authorization` (and normalised `bearer_token*`): `<scheme> <credentials>`.
    Authorization {
        scheme: String,
        credentials: SecretSource,
    },
    /// `basic_auth`.
    Basic {
        username: String,
        password: SecretSource,
    },
    /// `oauth2`.
    OAuth2(TokenSource),
}

/// The authentication of one client: static credentials or an OAuth2 token source.
pub struct RequestAuth {
    method: Method,
}

impl fmt::Debug for RequestAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestAuth")
            .field("method", &self.method)
            .finish()
    }
}

impl RequestAuth {
    /// Set up the authentication of `cfg` (validated and normalised). Reads no secret file: they
    /// are read per request. Builds the OAuth2 token client, loading `oauth2 > tls_config`
    /// material now (deviation from Alloy).
    pub fn from_config(
        cfg: &HttpClientConfig,
        opts: &ClientOptions,
    ) -> Result<RequestAuth, BuildError> {
        let method = if let Some(oauth2) = &cfg.oauth2 {
            let client = build_transport(
                &oauth2.tls_config,
                &oauth2.proxy,
                Transport::token_endpoint(),
                opts,
            )?;
            let source = TokenSource::new(oauth2, client, &opts.user_agent)
                .map_err(|e| BuildError::Auth(e.to_string()))?;
            Method::OAuth2(source)
        } else if let Some(authorization) = &cfg.authorization {
            let scheme = authorization.r#type.trim();
            Method::Authorization {
                scheme: if scheme.is_empty() { "Bearer" } else { scheme }.to_owned(),
                credentials: SecretSource::new(
                    &authorization.credentials,
                    &authorization.credentials_file,
                ),
            }
        } else if let Some(basic) = &cfg.basic_auth {
            Method::Basic {
                username: basic.username.clone(),
                password: SecretSource::new(&basic.password, &basic.password_file),
            }
        } else if !cfg.bearer_token.is_empty() || !cfg.bearer_token_file.is_empty() {
            // Not normalised by the caller: do it here rather than send nothing.
            Method::Authorization {
                scheme: "Bearer".to_owned(),
                credentials: SecretSource::new(&cfg.bearer_token, &cfg.bearer_token_file),
            }
        } else {
            Method::None
        };
        Ok(RequestAuth { method })
    }

    /// Set `Authorization` on `req` per §5 steps 2–3: a static method only when the request has
    /// none, OAuth2 always. Secret files are read now; a read or token failure fails this
    /// attempt only.
    pub async fn apply(&self, req: &mut reqwest::Request) -> Result<(), RequestError> {
        let has_authorization = req.headers().contains_key(AUTHORIZATION);
        let value = match &self.method {
            Method::None => return Ok(()),
            Method::Authorization { .. } | Method::Basic { .. } if has_authorization => {
                return Ok(());
            }
            Method::Authorization {
                scheme,
                credentials,
            } => {
                let credentials = credentials.current("authorization credentials")?;
                sensitive(
                    format!("{scheme} {}", credentials.expose()),
                    "authorization",
                )?
            }
            Method::Basic { username, password } => {
                let password = password.current("basic auth password")?;
                let encoded = BASE64.encode(format!("{username}:{}", password.expose()));
                sensitive(format!("Basic {encoded}"), "basic auth")?
            }
            Method::OAuth2(source) => source
                .authorization()
                .await
                .map_err(|e| RequestError::OAuth2(e.to_string()))?,
        };
        req.headers_mut().insert(AUTHORIZATION, value);
        Ok(())
    }

    /// Observe the status of a response to a request `apply` prepared: with OAuth2, a 401 drops
    /// the cached token so the next attempt fetches a new one (deviation from Alloy).
    pub fn observe_response(&self, status: StatusCode) {
        if status == StatusCode::UNAUTHORIZED
            && let Method::OAuth2(source) = &self.method
        {
            source.invalidate_any();
        }
    }

    /// The OAuth2 token source, when `oauth2` is configured.
    pub fn token_source(&self) -> Option<&TokenSource> {
        match &self.method {
            Method::OAuth2(source) => Some(source),
            _ => None,
        }
    }
}

/// A header value marked sensitive; `what` names it in the error.
fn sensitive(text: String, what: &'static str) -> Result<HeaderValue, RequestError> {
    let mut value =
        HeaderValue::from_str(&text).map_err(|_| RequestError::InvalidHeaderValue(what))?;
    value.set_sensitive(true);
    Ok(value)
}

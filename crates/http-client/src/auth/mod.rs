//! Per-request authentication (§5 steps 2–3, §6, §9).
//!
//! Owned by the auth engineer; this is the agreed interface. [`HttpClient`](crate::HttpClient)
//! builds one [`RequestAuth`] per client from the **validated and normalised** settings
//! (`bearer_token*` already turned into `authorization`, `authorization.type` trimmed) and, on
//! every attempt, after it has turned URL userinfo into `Authorization: Basic …` (§5 step 1) and
//! before it adds `http_headers` and `User-Agent` (§5 steps 4–5), calls [`RequestAuth::apply`].
//! After the response arrives it calls [`RequestAuth::observe_response`] (OAuth2 drops its
//! cached token on a 401).
//!
//! The OAuth2 token transport is built with
//! [`crate::client::build_transport`]`(&oauth2.tls_config, &oauth2.proxy,`
//! [`crate::client::Transport::token_endpoint`]`(), opts)`.

use reqwest::StatusCode;

use crate::client::ClientOptions;
use crate::config::HttpClientConfig;
use crate::error::{BuildError, RequestError};

/// The authentication of one client: static credentials or an OAuth2 token source.
#[derive(Debug)]
pub struct RequestAuth {
    _private: (),
}

impl RequestAuth {
    /// Set up the authentication of `cfg` (validated and normalised).
    pub fn from_config(
        cfg: &HttpClientConfig,
        opts: &ClientOptions,
    ) -> Result<RequestAuth, BuildError> {
        let _ = (cfg, opts);
        Ok(RequestAuth { _private: () })
    }

    /// Set `Authorization` on `req` per §5 steps 2–3.
    pub async fn apply(&self, req: &mut reqwest::Request) -> Result<(), RequestError> {
        let _ = req;
        Ok(())
    }

    /// Observe the status of a response to a request `apply` prepared.
    pub fn observe_response(&self, status: StatusCode) {
        let _ = status;
    }
}

//! The shared HTTP client block of ferroalloy (spec `http-client.md`).
//!
//! Every `endpoint` of `pyroscope.write`, and `pyroscope.scrape` itself, carries these settings
//! directly in its block: the host's argument struct embeds [`HttpClientConfig`] with
//! `v.squash(|s| &mut s.client)`, calls [`HttpClientConfig::validate`] from its own `validate`,
//! and builds an [`HttpClient`] once per configuration with [`HttpClient::build`]. Requests are
//! built with [`HttpClient::reqwest`] and sent with [`HttpClient::execute`], which applies the
//! authentication and `http_headers` on every attempt.
//!
//! Modules, one concern each: [`config`] (settings and validation), `tls` (rustls configuration,
//! reloadable TLS files), [`proxy`] (proxy selection, Go's `NO_PROXY` rules), [`client`] (the
//! reqwest client and request execution), [`auth`] (per-request credentials and OAuth2),
//! [`error`] (error texts).

pub mod auth;
pub mod client;
pub mod config;
pub mod error;
pub mod proxy;
mod tls;

pub use client::{ClientOptions, HttpClient, Transport, USER_AGENT_VALUE, build_transport};
pub use config::{
    Authorization, BasicAuth, ConfigError, HttpClientConfig, OAuth2Config, ProxyConfig, TlsConfig,
};
pub use error::{BuildError, KeyPairProblem, MaterialSource, RequestError};

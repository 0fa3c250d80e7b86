//! Errors of building a client (§4) and of sending a request (§5, §6).
//!
//! Decisions:
//! - The `Display` texts are the spec's exact texts, so callers show them verbatim (a component's
//!   health message, a push failure). They name files by path and never carry a secret, a token,
//!   a key or a file's content (§11).
//! - Validation errors are [`ConfigError`](crate::ConfigError) (`ArgErrors` with paths); a build
//!   re-validates and wraps them in [`BuildError::Invalid`].

use std::io;
use std::path::PathBuf;

use ferroalloy_value::decode::ArgErrors;

/// Where a piece of TLS material came from, as error texts show it: `inline` or `file <path>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MaterialSource {
    /// Written in the configuration (`*_pem`).
    Inline,
    /// Read from this file (`*_file`).
    File(PathBuf),
}

impl std::fmt::Display for MaterialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Inline => f.write_str("inline"),
            Self::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// Why a client certificate and key could not be used together (§4 `<reason>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyPairProblem {
    /// The certificate PEM holds no `CERTIFICATE` block.
    #[error("no certificate found in PEM input")]
    NoCertificate,
    /// The key PEM holds no private key block.
    #[error("no private key found in PEM input")]
    NoPrivateKey,
    /// The key's algorithm is not supported by the crypto provider.
    #[error("unsupported private key type")]
    UnsupportedKeyType,
    /// The key is not the certificate's.
    #[error("private key does not match certificate")]
    KeyMismatch,
}

/// Building an [`HttpClient`](crate::HttpClient) failed (§4). Fails the component's build or
/// update.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The settings break a rule of §3.
    #[error("{0}")]
    Invalid(ArgErrors),
    /// `ca_file` could not be read.
    #[error("unable to read CA cert: unable to read file {}: {source}", path.display())]
    ReadCaFile {
        /// The file.
        path: PathBuf,
        /// The platform's error.
        #[source]
        source: io::Error,
    },
    /// The CA PEM yields no certificate.
    #[error("unable to use specified CA cert {0}")]
    NoCaCertificate(MaterialSource),
    /// `cert_file` could not be read.
    #[error("unable to read specified client cert: unable to read file {}: {source}", path.display())]
    ReadCertFile {
        /// The file.
        path: PathBuf,
        /// The platform's error.
        #[source]
        source: io::Error,
    },
    /// `key_file` could not be read.
    #[error("unable to read specified client key: unable to read file {}: {source}", path.display())]
    ReadKeyFile {
        /// The file.
        path: PathBuf,
        /// The platform's error.
        #[source]
        source: io::Error,
    },
    /// The client certificate and key cannot be used together.
    #[error("unable to use specified client cert ({cert}) & key ({key}): {reason}")]
    KeyPair {
        /// Where the certificate came from.
        cert: MaterialSource,
        /// Where the key came from (never its content).
        key: MaterialSource,
        /// Why.
        reason: KeyPairProblem,
    },
    /// `server_name` is neither a DNS name nor an IP address.
    #[error("invalid server_name {0:?}")]
    InvalidServerName(String),
    /// The TLS configuration was refused by rustls.
    #[error("unable to configure TLS: {0}")]
    Tls(String),
    /// reqwest refused the client settings.
    #[error("unable to build http client: {0}")]
    Client(#[source] reqwest::Error),
    /// The authentication layer could not be set up.
    #[error("{0}")]
    Auth(String),
}

/// One request attempt failed before or while it was sent (§5, §6). Such failures are
/// retryable: the next attempt re-reads files and fetches tokens anew.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// A secret file could not be read, e.g.
    /// `unable to read authorization credentials: unable to read file <path>: <io error>`.
    #[error("unable to read {what}: unable to read file {}: {source}", path.display())]
    ReadSecretFile {
        /// What the file holds: `authorization credentials`, `basic auth password`,
        /// `oauth2 client secret`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The platform's error.
        #[source]
        source: io::Error,
    },
    /// A header value built from a secret is not a valid header value.
    #[error("invalid {0} header value")]
    InvalidHeaderValue(&'static str),
    /// The OAuth2 token could not be obtained; the text starts with `oauth2: `.
    #[error("{0}")]
    OAuth2(String),
    /// The request failed in transport (connect, TLS handshake, I/O, redirect limit).
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
}

/// An error's text followed by each cause in its `source()` chain that the text does not
/// already end with, joined by `: ` (reqwest keeps the cause of a transport failure in the chain:
/// `error sending request: client error (Connect): tcp connect error: Connection refused`).
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

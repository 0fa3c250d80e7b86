//! The arguments of `pyroscope.receive_http` (spec §2), their defaults and validation.
//!
//! Decisions:
//! - Defaults live in the `Default` impls; an omitted attribute of a present block keeps its
//!   default (the SDK decodes a present block from its type's `Default`).
//! - `http` and `http2` are single blocks kept at their defaults when absent; `tls` and `grpc`
//!   are optional (`None` = absent) because their presence matters.
//! - Attributes that are accepted for compatibility and ignored (`http2` tuning, the whole `grpc`
//!   block, `cipher_suites`) are `Option`s so the component can warn about the ones actually set.
//! - Validation is pure and reports every failing rule with the path of its attribute; the TLS
//!   rules run in the spec's order and stop at the first failure of that block. Loading the
//!   certificate material (I/O) is not validation: it happens in build and Update
//!   ([`crate::tls`]).

use ferroalloy_component::{ArgErrors, Arguments, FieldVisitor};
use ferroalloy_pyroscope::ReceiverRef;
use ferroalloy_syntax::quote::quote;
use ferroalloy_value::Secret;
use ferroalloy_value::decode::ArgPath;
use ferroalloy_value::duration::Duration;

const SECOND: i64 = 1_000_000_000;

/// 256 MiB, the default `max_request_body_size` (Pyroscope's own default body limit).
pub const DEFAULT_MAX_REQUEST_BODY_SIZE: u64 = 256 * 1024 * 1024;

/// The arguments of a `pyroscope.receive_http` block (§2).
#[derive(Clone, Debug, PartialEq)]
pub struct ReceiveHttpArguments {
    /// `forward_to`: the receivers every profile is handed to (`[]` discards).
    pub forward_to: Vec<ReceiverRef>,
    /// `graceful_shutdown_timeout` (default 30s).
    pub graceful_shutdown_timeout: Duration,
    /// `debug_info_upload_timeout` (default 2m): accepted, unused.
    pub debug_info_upload_timeout: Duration,
    /// The `http` block.
    pub http: HttpServerConfig,
    /// The `grpc` block: accepted and ignored with a warning.
    pub grpc: Option<GrpcServerConfig>,
}

impl Default for ReceiveHttpArguments {
    fn default() -> Self {
        Self {
            forward_to: Vec::new(),
            graceful_shutdown_timeout: Duration::from_nanos(30 * SECOND),
            debug_info_upload_timeout: Duration::from_nanos(120 * SECOND),
            http: HttpServerConfig::default(),
            grpc: None,
        }
    }
}

impl Arguments for ReceiveHttpArguments {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.required("forward_to", |s| &mut s.forward_to);
        v.optional("graceful_shutdown_timeout", |s| {
            &mut s.graceful_shutdown_timeout
        });
        v.optional("debug_info_upload_timeout", |s| {
            &mut s.debug_info_upload_timeout
        });
        v.block("http", |s| &mut s.http);
        v.block("grpc", |s| &mut s.grpc);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        let mut errors = ArgErrors::new();
        if self.graceful_shutdown_timeout.as_nanos() < 0 {
            errors.push(
                "graceful_shutdown_timeout",
                "graceful_shutdown_timeout must not be negative",
            );
        }
        errors.nest("http", self.http.validate());
        errors.into_result()
    }
}

/// The `http` block (§2).
#[derive(Clone, Debug, PartialEq)]
pub struct HttpServerConfig {
    /// `listen_address`: `""` = all interfaces.
    pub listen_address: String,
    /// `listen_port` (default 8080; `0` = ephemeral).
    pub listen_port: i64,
    /// `conn_limit` (default 16384; `0` = no limit).
    pub conn_limit: i64,
    /// `server_read_timeout` (default 30s; `0` = none).
    pub server_read_timeout: Duration,
    /// `server_write_timeout` (default 30s; `0` = none).
    pub server_write_timeout: Duration,
    /// `server_idle_timeout` (default 120s; `0` = none).
    pub server_idle_timeout: Duration,
    /// `max_request_body_size` (default `"256MiB"`).
    pub max_request_body_size: String,
    /// The `tls` block: absent = plain HTTP.
    pub tls: Option<TlsServerConfig>,
    /// The `http2` block.
    pub http2: Http2Config,
}

impl Default for HttpServerConfig {
    fn default() -> Self {
        Self {
            listen_address: String::new(),
            listen_port: 8080,
            conn_limit: 16384,
            server_read_timeout: Duration::from_nanos(30 * SECOND),
            server_write_timeout: Duration::from_nanos(30 * SECOND),
            server_idle_timeout: Duration::from_nanos(120 * SECOND),
            max_request_body_size: "256MiB".to_owned(),
            tls: None,
            http2: Http2Config::default(),
        }
    }
}

impl Arguments for HttpServerConfig {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("listen_address", |s| &mut s.listen_address);
        v.optional("listen_port", |s| &mut s.listen_port);
        v.optional("conn_limit", |s| &mut s.conn_limit);
        v.optional("server_read_timeout", |s| &mut s.server_read_timeout);
        v.optional("server_write_timeout", |s| &mut s.server_write_timeout);
        v.optional("server_idle_timeout", |s| &mut s.server_idle_timeout);
        v.optional("max_request_body_size", |s| &mut s.max_request_body_size);
        v.block("tls", |s| &mut s.tls);
        v.block("http2", |s| &mut s.http2);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        let mut errors = ArgErrors::new();
        if !(0..=i64::from(u16::MAX)).contains(&self.listen_port) {
            errors.push("listen_port", "listen_port must be between 0 and 65535");
        }
        if self.conn_limit < 0 {
            errors.push("conn_limit", "conn_limit must not be negative");
        }
        for (name, value) in [
            ("server_read_timeout", self.server_read_timeout),
            ("server_write_timeout", self.server_write_timeout),
            ("server_idle_timeout", self.server_idle_timeout),
        ] {
            if value.as_nanos() < 0 {
                errors.push(name, format!("{name} must not be negative"));
            }
        }
        if let Err(message) = parse_body_size(&self.max_request_body_size) {
            errors.push("max_request_body_size", message);
        }
        if let Some(tls) = &self.tls {
            errors.nest("tls", tls.validate());
        }
        errors.nest("http2", self.http2.validate());
        errors.into_result()
    }
}

impl HttpServerConfig {
    /// The body limit in bytes (the default when the text does not parse; validation reports it).
    pub fn body_limit(&self) -> u64 {
        parse_body_size(&self.max_request_body_size).unwrap_or(DEFAULT_MAX_REQUEST_BODY_SIZE)
    }
}

/// Parse `max_request_body_size`: `<n>` or `<n><unit>` with a positive integer `n` and a unit
/// among `B`, `KB`/`KiB`, `MB`/`MiB`, `GB`/`GiB` (all powers of 1024). The error is the
/// message of §2: `invalid max_request_body_size "<v>"`.
pub fn parse_body_size(text: &str) -> Result<u64, String> {
    let invalid = || format!("invalid max_request_body_size {}", quote(text));
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    if digits.is_empty() {
        return Err(invalid());
    }
    let n: u64 = digits.parse().map_err(|_| invalid())?;
    if n == 0 {
        return Err(invalid());
    }
    let multiplier: u64 = match unit {
        "" | "B" => 1,
        "KB" | "KiB" => 1 << 10,
        "MB" | "MiB" => 1 << 20,
        "GB" | "GiB" => 1 << 30,
        _ => return Err(invalid()),
    };
    n.checked_mul(multiplier).ok_or_else(invalid)
}

/// The `http` > `tls` block (§2).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TlsServerConfig {
    /// `cert_pem`: the server certificate chain, PEM.
    pub cert_pem: String,
    /// `cert_file`: a file holding the certificate chain.
    pub cert_file: String,
    /// `key_pem`: the private key, PEM (secret).
    pub key_pem: Option<Secret>,
    /// `key_file`: a file holding the private key.
    pub key_file: String,
    /// `client_auth_type` (default `NoClientCert`).
    pub client_auth_type: String,
    /// `client_ca_file`: the CAs that verify client certificates.
    pub client_ca_file: String,
    /// `client_ca`: the same, PEM text.
    pub client_ca: String,
    /// `min_version` (`VersionTLS10` … `VersionTLS13`; empty = TLS 1.2).
    pub min_version: String,
    /// `cipher_suites`: accepted, ignored with a warning.
    pub cipher_suites: Option<Vec<String>>,
}

impl Arguments for TlsServerConfig {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("cert_pem", |s| &mut s.cert_pem);
        v.optional("cert_file", |s| &mut s.cert_file);
        v.optional("key_pem", |s| &mut s.key_pem);
        v.optional("key_file", |s| &mut s.key_file);
        v.optional("client_auth_type", |s| &mut s.client_auth_type);
        v.optional("client_ca_file", |s| &mut s.client_ca_file);
        v.optional("client_ca", |s| &mut s.client_ca);
        v.optional("min_version", |s| &mut s.min_version);
        v.optional("cipher_suites", |s| &mut s.cipher_suites);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        let key_pem = self.key_pem.as_ref().is_some_and(|k| !k.is_empty());
        let cert = !self.cert_pem.is_empty() || !self.cert_file.is_empty();
        let key = key_pem || !self.key_file.is_empty();
        let checks = [
            (
                !self.cert_pem.is_empty() && !self.cert_file.is_empty(),
                "cert_pem",
                "at most one of cert_pem and cert_file must be configured",
            ),
            (
                key_pem && !self.key_file.is_empty(),
                "key_pem",
                "at most one of key_pem and key_file must be configured",
            ),
            (
                !self.client_ca.is_empty() && !self.client_ca_file.is_empty(),
                "client_ca",
                "at most one of client_ca and client_ca_file must be configured",
            ),
            (
                cert && !key,
                "key_pem",
                "a server certificate requires a key",
            ),
            (
                key && !cert,
                "cert_pem",
                "a server key requires a certificate",
            ),
        ];
        for (failed, path, message) in checks {
            if failed {
                return Err(ArgErrors::one(path, message));
            }
        }
        if ClientAuth::parse(&self.client_auth_type).is_none() {
            return Err(ArgErrors::one(
                "client_auth_type",
                format!("unknown client_auth_type {}", quote(&self.client_auth_type)),
            ));
        }
        if MinVersion::parse(&self.min_version).is_none() {
            return Err(ArgErrors::one(
                "min_version",
                format!("unknown min_version {}", quote(&self.min_version)),
            ));
        }
        Ok(())
    }
}

/// The client certificate policy of `client_auth_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// `NoClientCert` (default).
    None,
    /// `RequestClientCert`: ask, accept any or none, verify nothing.
    Request,
    /// `RequireAnyClientCert`: require one, verify nothing.
    RequireAny,
    /// `VerifyClientCertIfGiven`: verify one when sent.
    VerifyIfGiven,
    /// `RequireAndVerifyClientCert`.
    RequireAndVerify,
}

impl ClientAuth {
    /// The policy named `text` (`""` = `NoClientCert`).
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "" | "NoClientCert" => Self::None,
            "RequestClientCert" => Self::Request,
            "RequireAnyClientCert" => Self::RequireAny,
            "VerifyClientCertIfGiven" => Self::VerifyIfGiven,
            "RequireAndVerifyClientCert" => Self::RequireAndVerify,
            _ => return None,
        })
    }
}

/// The lowest TLS version of `min_version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MinVersion {
    /// TLS 1.2 (also for `""`).
    Tls12,
    /// TLS 1.3.
    Tls13,
    /// `VersionTLS10` or `VersionTLS11`: raised to 1.2 with a warning.
    Raised,
}

impl MinVersion {
    /// The version named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "" | "VersionTLS12" => Self::Tls12,
            "VersionTLS13" => Self::Tls13,
            "VersionTLS10" | "VersionTLS11" => Self::Raised,
            _ => return None,
        })
    }
}

/// The `http` > `http2` block (§2).
#[derive(Clone, Debug, PartialEq)]
pub struct Http2Config {
    /// `enabled`: cleartext HTTP/2 with prior knowledge (h2c) next to HTTP/1.1.
    pub enabled: bool,
    /// `max_concurrent_streams` (default 100).
    pub max_concurrent_streams: i64,
    /// Accepted, ignored (warning once): `max_handlers`.
    pub max_handlers: Option<i64>,
    /// Accepted, ignored: `max_decoder_header_table_size`.
    pub max_decoder_header_table_size: Option<i64>,
    /// Accepted, ignored: `max_encoder_header_table_size`.
    pub max_encoder_header_table_size: Option<i64>,
    /// Accepted, ignored: `max_read_frame_size`.
    pub max_read_frame_size: Option<i64>,
    /// Accepted, ignored: `permit_prohibited_ciphers`.
    pub permit_prohibited_ciphers: Option<bool>,
    /// Accepted, ignored: `idle_timeout`.
    pub idle_timeout: Option<Duration>,
    /// Accepted, ignored: `read_idle_timeout`.
    pub read_idle_timeout: Option<Duration>,
    /// Accepted, ignored: `ping_timeout`.
    pub ping_timeout: Option<Duration>,
    /// Accepted, ignored: `write_byte_timeout`.
    pub write_byte_timeout: Option<Duration>,
    /// Accepted, ignored: `max_upload_buffer_per_connection`.
    pub max_upload_buffer_per_connection: Option<i64>,
    /// Accepted, ignored: `max_upload_buffer_per_stream`.
    pub max_upload_buffer_per_stream: Option<i64>,
}

impl Default for Http2Config {
    fn default() -> Self {
        Self {
            enabled: false,
            max_concurrent_streams: 100,
            max_handlers: None,
            max_decoder_header_table_size: None,
            max_encoder_header_table_size: None,
            max_read_frame_size: None,
            permit_prohibited_ciphers: None,
            idle_timeout: None,
            read_idle_timeout: None,
            ping_timeout: None,
            write_byte_timeout: None,
            max_upload_buffer_per_connection: None,
            max_upload_buffer_per_stream: None,
        }
    }
}

impl Arguments for Http2Config {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("enabled", |s| &mut s.enabled);
        v.optional("max_concurrent_streams", |s| &mut s.max_concurrent_streams);
        v.optional("max_handlers", |s| &mut s.max_handlers);
        v.optional("max_decoder_header_table_size", |s| {
            &mut s.max_decoder_header_table_size
        });
        v.optional("max_encoder_header_table_size", |s| {
            &mut s.max_encoder_header_table_size
        });
        v.optional("max_read_frame_size", |s| &mut s.max_read_frame_size);
        v.optional("permit_prohibited_ciphers", |s| {
            &mut s.permit_prohibited_ciphers
        });
        v.optional("idle_timeout", |s| &mut s.idle_timeout);
        v.optional("read_idle_timeout", |s| &mut s.read_idle_timeout);
        v.optional("ping_timeout", |s| &mut s.ping_timeout);
        v.optional("write_byte_timeout", |s| &mut s.write_byte_timeout);
        v.optional("max_upload_buffer_per_connection", |s| {
            &mut s.max_upload_buffer_per_connection
        });
        v.optional("max_upload_buffer_per_stream", |s| {
            &mut s.max_upload_buffer_per_stream
        });
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        if !(1..=i64::from(u32::MAX)).contains(&self.max_concurrent_streams) {
            return Err(ArgErrors::one(
                "max_concurrent_streams",
                "max_concurrent_streams must be between 1 and 4294967295",
            ));
        }
        Ok(())
    }
}

impl Http2Config {
    /// The names of the accepted-but-ignored attributes that are set.
    pub fn ignored_set(&self) -> Vec<&'static str> {
        let flags = [
            ("max_handlers", self.max_handlers.is_some()),
            (
                "max_decoder_header_table_size",
                self.max_decoder_header_table_size.is_some(),
            ),
            (
                "max_encoder_header_table_size",
                self.max_encoder_header_table_size.is_some(),
            ),
            ("max_read_frame_size", self.max_read_frame_size.is_some()),
            (
                "permit_prohibited_ciphers",
                self.permit_prohibited_ciphers.is_some(),
            ),
            ("idle_timeout", self.idle_timeout.is_some()),
            ("read_idle_timeout", self.read_idle_timeout.is_some()),
            ("ping_timeout", self.ping_timeout.is_some()),
            ("write_byte_timeout", self.write_byte_timeout.is_some()),
            (
                "max_upload_buffer_per_connection",
                self.max_upload_buffer_per_connection.is_some(),
            ),
            (
                "max_upload_buffer_per_stream",
                self.max_upload_buffer_per_stream.is_some(),
            ),
        ];
        flags
            .into_iter()
            .filter(|(_, set)| *set)
            .map(|(name, _)| name)
            .collect()
    }
}

/// The `grpc` block: every attribute of Alloy's, accepted and ignored (§2).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GrpcServerConfig {
    /// `listen_address`.
    pub listen_address: Option<String>,
    /// `listen_port`.
    pub listen_port: Option<i64>,
    /// `conn_limit`.
    pub conn_limit: Option<i64>,
    /// `max_connection_age`.
    pub max_connection_age: Option<Duration>,
    /// `max_connection_age_grace`.
    pub max_connection_age_grace: Option<Duration>,
    /// `max_connection_idle`.
    pub max_connection_idle: Option<Duration>,
    /// `server_max_recv_msg_size`.
    pub server_max_recv_msg_size: Option<i64>,
    /// `server_max_send_msg_size`.
    pub server_max_send_msg_size: Option<i64>,
    /// `server_max_concurrent_streams`.
    pub server_max_concurrent_streams: Option<i64>,
    /// `tls` (not validated: the block is ignored).
    pub tls: Option<TlsServerConfig>,
}

impl Arguments for GrpcServerConfig {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("listen_address", |s| &mut s.listen_address);
        v.optional("listen_port", |s| &mut s.listen_port);
        v.optional("conn_limit", |s| &mut s.conn_limit);
        v.optional("max_connection_age", |s| &mut s.max_connection_age);
        v.optional("max_connection_age_grace", |s| {
            &mut s.max_connection_age_grace
        });
        v.optional("max_connection_idle", |s| &mut s.max_connection_idle);
        v.optional("server_max_recv_msg_size", |s| {
            &mut s.server_max_recv_msg_size
        });
        v.optional("server_max_send_msg_size", |s| {
            &mut s.server_max_send_msg_size
        });
        v.optional("server_max_concurrent_streams", |s| {
            &mut s.server_max_concurrent_streams
        });
        v.block("tls", |s| &mut s.tls);
    }
}

/// The path of an attribute inside the `http` block, for build errors.
pub fn http_path(name: &str) -> ArgPath {
    ArgPath::field("http").join(name)
}

//! `pyroscope.receive_http`: an HTTP server that accepts what Pyroscope SDKs and other
//! Alloy/ferroalloy instances send to a Pyroscope server (the legacy `/ingest` API and the
//! Connect `push.v1.PusherService/Push` call) and hands every profile to each receiver in
//! `forward_to` (spec `pyroscope-receive-http.md`).
//!
//! - [`config`]: the arguments (§2), defaults and validation.
//! - [`tls`]: the server TLS configuration (rustls, ring provider).
//! - [`server`]: binding, the bounded accept loop, timeouts, graceful stop.
//! - [`handler`]: routes, `/ingest`, Connect Push, receiver fan-out, error answers.
//! - [`push_json`]: the protobuf-JSON codec of `PushRequest`.
//! - [`metrics`]: connection gauges and request metrics.
//! - [`component`]: build, run, update (listener kept, moved or rebound), health, debug info.
//!
//! Design decision: it is a proxy. Payloads are forwarded byte for byte (the request body is
//! one shared buffer; Push samples are slices of it); only what must be parsed (the Connect
//! envelope, the `name` parameter) is parsed.

pub mod component;
pub mod config;
pub mod handler;
pub mod metrics;
pub mod push_json;
pub mod server;
pub mod tls;

use ferroalloy_component::{Registration, Stability};

pub use component::ReceiveHttp;
pub use config::{
    GrpcServerConfig, Http2Config, HttpServerConfig, ReceiveHttpArguments, TlsServerConfig,
};

/// The registration of `pyroscope.receive_http` (generally available).
pub fn registration() -> Registration {
    ferroalloy_component::registration::<ReceiveHttp>(
        "pyroscope.receive_http",
        Stability::GenerallyAvailable,
    )
}

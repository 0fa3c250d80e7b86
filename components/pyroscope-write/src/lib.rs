//! `pyroscope.write`: forwards profiles to one or more Pyroscope-compatible servers (spec
//! `pyroscope-write.md`).
//!
//! - [`config`]: the arguments (§2–§5), their defaults and validation, and the resolved
//!   per-endpoint settings ([`config::EndpointOptions`]) the delivery side runs on.
//!
//! Design decisions: Append / AppendIngest never wait on the network. Each series is encoded
//! once into a shared frame and put into every endpoint's bounded queue; each endpoint owns
//! its client, queue and workers, so a slow or dead endpoint fills only its own queue.

pub mod config;
pub mod endpoint;

pub use config::{
    EndpointConfig, EndpointOptions, PyroscopeWriteArguments, QueueConfig, QueueOptions,
    TracingConfig,
};

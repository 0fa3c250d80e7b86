//! `pyroscope.write`: forwards profiles to one or more Pyroscope-compatible servers (spec
//! `pyroscope-write.md`).
//!
//! - [`config`]: the arguments (§2–§5), their defaults and validation, and the resolved
//!   per-endpoint settings ([`config::EndpointOptions`]) the delivery side runs on.
//! - [`receiver`]: the stable `receiver` handle: label rules, encode-once, enqueue everywhere.
//! - [`endpoint`]: delivery to one endpoint: bounded queue, workers, requests, retries.
//! - [`component`]: build, run, update, shutdown drain, debug info.
//!
//! Design decisions: Append / AppendIngest never wait on the network. Each series is encoded
//! once into a shared frame and put into every endpoint's bounded queue; each endpoint owns
//! its client, queue and workers, so a slow or dead endpoint fills only its own queue.

pub mod component;
pub mod config;
pub mod endpoint;
pub mod receiver;

use ferroalloy_component::{Registration, Stability};

pub use component::{ExchangeFactory, PyroscopeWrite, PyroscopeWriteExports, http_exchanges};
pub use config::{
    EndpointConfig, EndpointOptions, PyroscopeWriteArguments, QueueConfig, QueueOptions,
    TracingConfig,
};
pub use receiver::{ReceiverState, WriteAppendable, WriteReceiver};

/// The registration of `pyroscope.write` (generally available).
pub fn registration() -> Registration {
    ferroalloy_component::registration::<PyroscopeWrite>(
        "pyroscope.write",
        Stability::GenerallyAvailable,
    )
}

//! Test support shared by ferroalloy's crates.
//!
//! - [`harness`]: build one component type with real [`Options`](ferroalloy_component::Options)
//!   (a temporary data path, its own metrics registry, a publish sink that records every export),
//!   run it on a tokio task, update it, read its health, debug info and metrics, and stop it.
//! - [`args`]: decode a component's arguments from configuration text, as the runtime does, to
//!   test defaults and validation messages.
//! - [`wait`]: bounded waiting for a condition, for tests that observe real I/O.
//! - [`pyroscope_server`]: a fake Pyroscope server on 127.0.0.1 (Connect push and `/ingest`) that
//!   records and decodes every request and answers from per-route scripts; TLS fixtures.
//!
//! Design decision: everything here is real (real files, real tasks, real registries) and every
//! wait is bounded by a caller-given timeout, so a broken component fails a test instead of
//! hanging it.

pub mod args;
pub mod harness;
pub mod wait;

pub use args::{decode_args, decode_args_with_scope};
pub use harness::{BuildFailure, ComponentHarness, ExportRecorder, HarnessOptions};
pub use wait::eventually;
pub mod pyroscope_server;

pub use pyroscope_server::{FakePyroscope, Route, ScriptedResponse};

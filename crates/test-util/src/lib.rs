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
//! - [`blocking`]: the fake server on a runtime of its own, for tests that are not async (the
//!   end-to-end tests of the binary).
//! - [`logs`]: capture what code under test logs through `tracing`.
//! - [`receiver`]: a recording profiles receiver to put in a producer's `forward_to`, and the
//!   `receiver` export of a consumer under the harness.
//! - `include/write_chain.rs` (not a module of this crate): a started `pyroscope.write` for
//!   producers' tests, included with `#[path]` because this crate cannot depend on
//!   `pyroscope-write` (whose own tests depend on this crate).
//!
//! Design decision: everything here is real (real files, real tasks, real registries) and every
//! wait is bounded by a caller-given timeout, so a broken component fails a test instead of
//! hanging it.

pub mod args;
pub mod blocking;
pub mod harness;
pub mod logs;
pub mod receiver;
pub mod wait;

pub use args::{decode_args, decode_args_with_scope};
pub use blocking::BlockingFakePyroscope;
pub use harness::{BuildFailure, ComponentHarness, ExportRecorder, HarnessOptions};
pub use logs::CapturedLogs;
pub use wait::eventually;
pub mod pyroscope_server;

pub use pyroscope_server::{FakePyroscope, Route, ScriptedResponse};

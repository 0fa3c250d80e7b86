//! Pyroscope types shared by ferroalloy's profile components.
//!
//! - [`receiver`]: the contract between producers (`pyroscope.scrape`, `pyroscope.receive_http`)
//!   and consumers (`pyroscope.write`) of profiles, and the `pyroscope.Appendable` capsule.
//! - [`connect`]: the 16 Connect error codes with their numbers and HTTP statuses.
//! - [`generated`]: prost code for `push.v1`, `types.v1` and `perftools.profiles`, generated from
//!   `proto/` by `just proto` and checked in (no `protoc` or `build.rs` at build time).
//! - [`labels`]: label validation and processing of pyroscope.write, the `/ingest` `name`
//!   grammar, Go-compatible query parsing and encoding.
//! - [`push`]: encoding a series once into a shareable frame.
//! - [`gunzip`]: bounded gunzip of whole bodies or their chunks (zlib-rs inflate).
//! - [`pprof`]: pprof decoding and encoding, client-side delta profiles.
//!
//! Design decision: this crate holds no runtime state (beyond each thread's reusable inflate
//! state) and no network code; it depends only on `ferroalloy-value` (for capsules),
//! `ferroalloy-syntax` (Go rune quoting), `bytes`, `prost`, `flate2` and `zlib-rs`, so every
//! component can use it.

pub mod connect;
pub mod generated;
pub mod gunzip;
pub mod labels;
pub mod pprof;
pub mod push;
pub mod receiver;

pub use generated::push::v1 as push_v1;
pub use generated::types::v1 as types_v1;
pub use labels::{LabelError, NameError};
pub use receiver::{
    AppendError, Appendable, Appender, IncomingProfile, Labels, ProfilesReceiver,
    RECEIVER_TYPE_NAME, RawSample, ReceiverRef, receiver_value,
};

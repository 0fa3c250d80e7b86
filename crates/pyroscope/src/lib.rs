//! Pyroscope types shared by ferroalloy's profile components.
//!
//! - [`receiver`]: the contract between producers (`pyroscope.scrape`, `pyroscope.receive_http`)
//!   and consumers (`pyroscope.write`) of profiles, and the `pyroscope.Appendable` capsule.
//!
//! Design decision: this crate holds no runtime state and no network code; it depends only on
//! `ferroalloy-value` (for capsules), `bytes` and `prost`, so every component can use it.

pub mod receiver;

pub use receiver::{
    AppendError, Appendable, Appender, IncomingProfile, Labels, ProfilesReceiver,
    RECEIVER_TYPE_NAME, RawSample, ReceiverRef, receiver_value,
};

//! `pyroscope.local_store`: writes every profile it receives to a directory, one gzipped pprof
//! file per profile, where `go tool pprof` (or any pprof viewer) opens it. A ferroalloy-only
//! component (Grafana Alloy has none like it): the end of the quickstart pipeline, for looking at
//! profiles without running a Pyroscope server.
//!
//! - [`config`]: the arguments, their defaults and validation.
//! - [`store`]: the directory: file names, atomic writes, the index, rotation.
//! - [`component`]: build, run, update, the `receiver` export, health, debug info, metrics.

pub mod component;
pub mod config;
pub mod store;

use ferroalloy_component::{Registration, Stability};

pub use component::{LocalStore, LocalStoreExports};
pub use config::LocalStoreArguments;
pub use store::{INDEX_FILE, Store, StoreError, Written};

/// The registration of `pyroscope.local_store`.
///
/// Generally available, so the quickstart runs without `--stability.level`.
pub fn registration() -> Registration {
    ferroalloy_component::registration::<LocalStore>(
        "pyroscope.local_store",
        Stability::GenerallyAvailable,
    )
}

//! `local.file`: reads one file and exports its content, re-reading it when it changes
//! (spec `local-file.md`).
//!
//! - [`config`]: the arguments, their defaults and validation.
//! - [`read`]: one bounded, UTF-8-checked read.
//! - [`detector`]: the parent-directory watch and the read-request coalescing.
//! - [`component`]: build, run, update, health, debug info and the metric.
//!
//! Deviations from Alloy (spec §5): the export is published only when it changed; the parent
//! directory is watched, so atomic replaces and symlink swaps are seen at once; content must be
//! UTF-8 and at most 64 MiB; debug info is provided; errors name the file.

pub mod component;
pub mod config;
pub mod detector;
pub mod read;

use ferroalloy_component::{Registration, Stability};

pub use component::{
    HEALTHY_MESSAGE, LAST_ACCESSED_METRIC, LocalFile, LocalFileExports, SETTLE_DELAY,
};
pub use config::{Detector, LocalFileArguments};
pub use read::{MAX_FILE_SIZE, ReadError};

/// The registration of `local.file` (generally available).
pub fn registration() -> Registration {
    ferroalloy_component::registration::<LocalFile>("local.file", Stability::GenerallyAvailable)
}

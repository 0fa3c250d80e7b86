//! prost code generated from `crates/pyroscope/proto/` by `just proto` (see `gen/`). Do not edit
//! the package files by hand: change the schema and regenerate.
//!
//! Modules mirror the protobuf packages (`push.v1` → [`push::v1`]), because generated code refers
//! to other packages by relative paths (`super::super::types::v1::LabelPair`).

/// Package `push.v1`: the Pyroscope push API (`wire.md` §1.1).
pub mod push {
    /// Version 1.
    #[allow(missing_docs, clippy::all, clippy::pedantic)]
    pub mod v1 {
        include!("push.v1.rs");
    }
}

/// Package `types.v1`: labels and profile types shared by the Pyroscope APIs (`wire.md` §1.2).
pub mod types {
    /// Version 1.
    #[allow(missing_docs, clippy::all, clippy::pedantic)]
    pub mod v1 {
        include!("types.v1.rs");
    }
}

/// Package `perftools.profiles`: the pprof format (`wire.md` §7).
pub mod perftools {
    /// The pprof `Profile` and its parts.
    #[allow(missing_docs, clippy::all, clippy::pedantic)]
    pub mod profiles {
        include!("perftools.profiles.rs");
    }
}

//! The component SDK.
//!
//! A component is a Rust type with typed arguments ([`Arguments`], decoded from its block) and
//! typed exports ([`Exports`], published for other components to reference). The runtime never
//! sees the concrete type: [`registration`] erases it behind [`DynComponent`] and a
//! [`Registration`] record, the pattern Vector uses for its sinks. Registration is an explicit
//! list (see `ferroalloy-components`), never link-time magic.

pub mod component;
pub mod erased;
pub mod health;
pub mod metrics;
pub mod options;
pub mod registry;
pub mod timestamp;

pub use component::{BoxFuture, BuildError, Component, ExportSpec, Exports, NoExports};
pub use erased::{DynArgs, DynComponent, Registration, registration};
pub use ferroalloy_value::decode::{ArgErrors, Arguments, EncodedBody, FieldVisitor};
pub use health::{Health, HealthState};
pub use metrics::ComponentMetrics;
pub use options::{ExportsSink, Options};
pub use registry::{ComponentRegistry, RegistryError, Stability};

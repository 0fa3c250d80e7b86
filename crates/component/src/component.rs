//! The typed component trait.
//!
//! Lifecycle (runtime §4): `build` once with decoded, validated arguments (may do I/O, must
//! publish initial exports before returning); `run` once per start until its cancellation token
//! fires; `update` with new arguments, never concurrently with itself or `build`. A failed
//! `update` leaves the component working on its previous arguments.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ferroalloy_value::Object;
use ferroalloy_value::decode::{ArgErrors, Arguments, EncodedBody};
use tokio_util::sync::CancellationToken;

use crate::health::Health;
use crate::options::Options;

/// A boxed, sendable future, for the erased (object-safe) side of the SDK.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a component could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The arguments were decodable but cannot be used; each error names the argument.
    #[error("{0}")]
    Arguments(ArgErrors),
    /// Anything else (a file that cannot be read, a port that cannot be bound).
    #[error("{0}")]
    Other(String),
}

impl From<ArgErrors> for BuildError {
    fn from(errors: ArgErrors) -> Self {
        BuildError::Arguments(errors)
    }
}

/// One export of a component type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportSpec {
    /// The export's name (`receiver`, `content`).
    pub name: &'static str,
    /// Whether data flows *into* the component through this export (a receiver handle), which
    /// reverses the data-flow edge in the API (runtime §5 step 6).
    pub receiver: bool,
}

/// A component's exports: a fixed set of named values.
pub trait Exports: Clone + Send + Sync + 'static {
    /// The names of the exports, with their receiver flags.
    fn specs() -> &'static [ExportSpec];

    /// The exports as an object, keyed by export name, in [`Exports::specs`] order.
    fn to_object(&self) -> Object;
}

/// The exports of a component that exports nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoExports;

impl Exports for NoExports {
    fn specs() -> &'static [ExportSpec] {
        &[]
    }

    fn to_object(&self) -> Object {
        Object::new()
    }
}

/// A component type.
pub trait Component: Send + Sync + Sized + 'static {
    /// The decoded, validated block body.
    type Args: Arguments;
    /// The values it publishes.
    type Exports: Exports;

    /// Create the component from its first arguments. May do bounded I/O. When the type has
    /// exports, publish them through `opts` before returning.
    fn build(
        opts: Options,
        args: Self::Args,
    ) -> impl Future<Output = Result<Arc<Self>, BuildError>> + Send;

    /// Do the component's work until `cancel` fires (then return `Ok`) or a fatal error occurs.
    /// Must stop every task it started before returning.
    fn run(
        self: Arc<Self>,
        cancel: CancellationToken,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Apply new arguments. On error the component keeps working on the previous ones.
    fn update(&self, args: Self::Args) -> impl Future<Output = Result<(), BuildError>> + Send;

    /// The component's own view of its health, when it has one.
    fn health(&self) -> Option<Health> {
        None
    }

    /// Attributes and blocks shown in the API and UI (never a secret's text).
    fn debug_info(&self) -> Option<EncodedBody> {
        None
    }
}

//! The object-safe twin of [`Component`], and the registration record that builds it.
//!
//! [`registration`] captures a component type's decode, build and schema functions as plain
//! function pointers, so the runtime holds a list of [`Registration`]s and `Arc<dyn
//! DynComponent>`s and never names a component type. Arguments travel as [`DynArgs`]: boxed,
//! comparable (so an unchanged block is never updated) and encodable for the API.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use ferroalloy_syntax::Diagnostic;
use ferroalloy_syntax::ast;
use ferroalloy_value::decode::{Arguments, EncodedBody, Schema, decode_arguments};
use ferroalloy_value::eval::Evaluator;
use tokio_util::sync::CancellationToken;

use crate::component::{BoxFuture, BuildError, Component, ExportSpec, Exports};
use crate::health::Health;
use crate::options::Options;
use crate::registry::Stability;

/// Decoded arguments of some component type.
pub trait DynArgs: Any + Send + Sync {
    /// Deep equality with other arguments of the same type (false for another type).
    fn equals(&self, other: &dyn DynArgs) -> bool;
    /// The arguments as a body for the API (optional entries equal to their default omitted).
    fn to_body(&self) -> EncodedBody;
    /// Downcasting support.
    fn as_any(&self) -> &dyn Any;
}

impl<A: Arguments> DynArgs for A {
    fn equals(&self, other: &dyn DynArgs) -> bool {
        other
            .as_any()
            .downcast_ref::<A>()
            .is_some_and(|other| self == other)
    }

    fn to_body(&self) -> EncodedBody {
        Arguments::to_body(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl fmt::Debug for dyn DynArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DynArgs")
    }
}

/// A built component, as the runtime holds it.
pub trait DynComponent: Send + Sync {
    /// See [`Component::run`].
    fn run(self: Arc<Self>, cancel: CancellationToken) -> BoxFuture<'static, anyhow::Result<()>>;
    /// See [`Component::update`]; arguments of another type are refused.
    fn update(&self, args: Arc<dyn DynArgs>) -> BoxFuture<'_, Result<(), BuildError>>;
    /// See [`Component::health`].
    fn health(&self) -> Option<Health>;
    /// See [`Component::debug_info`].
    fn debug_info(&self) -> Option<EncodedBody>;
}

impl<C: Component> DynComponent for C {
    fn run(self: Arc<Self>, cancel: CancellationToken) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(Component::run(self, cancel))
    }

    fn update(&self, args: Arc<dyn DynArgs>) -> BoxFuture<'_, Result<(), BuildError>> {
        let typed = args.as_any().downcast_ref::<C::Args>().cloned();
        Box::pin(async move {
            match typed {
                Some(args) => Component::update(self, args).await,
                None => Err(BuildError::Other(
                    "arguments of another component type".into(),
                )),
            }
        })
    }

    fn health(&self) -> Option<Health> {
        Component::health(self)
    }

    fn debug_info(&self) -> Option<EncodedBody> {
        Component::debug_info(self)
    }
}

/// Decodes a block into arguments (every diagnostic of the body, then `validate`).
pub type DecodeFn = fn(&ast::Block, &Evaluator<'_>) -> Result<Arc<dyn DynArgs>, Vec<Diagnostic>>;

/// Builds a component from decoded arguments.
pub type BuildFn =
    fn(Options, Arc<dyn DynArgs>) -> BoxFuture<'static, Result<Arc<dyn DynComponent>, BuildError>>;

/// Everything the runtime knows about a component type.
#[derive(Clone)]
pub struct Registration {
    /// The block name (`local.file`).
    pub name: &'static str,
    /// Its stability level.
    pub stability: Stability,
    /// Its exports.
    pub exports: &'static [ExportSpec],
    /// The arguments schema (attributes and blocks), for checks that need no evaluation.
    pub schema: fn() -> Arc<Schema>,
    /// Decode a block.
    pub decode: DecodeFn,
    /// Build a component.
    pub build: BuildFn,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("name", &self.name)
            .field("stability", &self.stability)
            .field("exports", &self.exports)
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// The export named `name`, if the type has one.
    pub fn export(&self, name: &str) -> Option<&ExportSpec> {
        self.exports.iter().find(|spec| spec.name == name)
    }
}

/// The registration record of component type `C` under `name`.
pub fn registration<C: Component>(name: &'static str, stability: Stability) -> Registration {
    Registration {
        name,
        stability,
        exports: C::Exports::specs(),
        schema: C::Args::schema,
        decode: decode_erased::<C>,
        build: build_erased::<C>,
    }
}

fn decode_erased<C: Component>(
    block: &ast::Block,
    eval: &Evaluator<'_>,
) -> Result<Arc<dyn DynArgs>, Vec<Diagnostic>> {
    decode_arguments::<C::Args>(block, eval).map(|args| Arc::new(args) as Arc<dyn DynArgs>)
}

fn build_erased<C: Component>(
    opts: Options,
    args: Arc<dyn DynArgs>,
) -> BoxFuture<'static, Result<Arc<dyn DynComponent>, BuildError>> {
    let typed = args.as_any().downcast_ref::<C::Args>().cloned();
    Box::pin(async move {
        let args =
            typed.ok_or_else(|| BuildError::Other("arguments of another component type".into()))?;
        let component = C::build(opts, args).await?;
        Ok(component as Arc<dyn DynComponent>)
    })
}

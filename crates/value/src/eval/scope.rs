//! The names an expression can see: variables (component exports by the first segment of their
//! name, `module_path`) and, behind them, the standard library.
//!
//! A variable shadows a standard-library root of the same name (syntax §7). The standard
//! library is an [`Object`] of root names shared behind an `Arc`, so cloning a scope never
//! rebuilds it. A scope that was not given one uses the standard library over the process
//! environment, built once per process; tests and hosts that must not read the process
//! environment inject their own with [`Scope::with_env`] or [`Scope::with_stdlib`].

use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;

use crate::value::{Object, Value};

/// Variables visible to expressions (component exports by their first name segment,
/// `module_path`), looked up before the standard library.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    variables: IndexMap<String, Value>,
    stdlib: Option<Arc<Object>>,
}

impl Scope {
    /// An empty scope over the standard library with the process environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty scope over `stdlib` instead of the default standard library.
    pub fn with_stdlib(stdlib: Object) -> Self {
        Self {
            variables: IndexMap::new(),
            stdlib: Some(Arc::new(stdlib)),
        }
    }

    /// An empty scope over the standard library reading environment variables (`sys.env`)
    /// through `env` instead of the process environment.
    pub fn with_env(env: crate::stdlib::EnvLookup) -> Self {
        Self::with_stdlib(crate::stdlib::standard_library(env))
    }

    /// Replace the standard library seen behind the variables.
    pub fn set_stdlib(&mut self, stdlib: Object) {
        self.stdlib = Some(Arc::new(stdlib));
    }

    /// Define (or redefine) the variable `name`.
    pub fn set(&mut self, name: impl Into<String>, value: Value) {
        self.variables.insert(name.into(), value);
    }

    /// The variable `name`, not looking into the standard library.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.variables.get(name)
    }

    /// Remove the variable `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.variables.shift_remove(name)
    }

    /// The variables in definition order.
    pub fn variables(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.variables.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The names of the variables, in definition order.
    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        self.variables.keys().cloned()
    }

    /// The root names of the default standard library (namespaces such as `string`, root
    /// functions, deprecated aliases, `constants`).
    pub fn stdlib_names() -> impl Iterator<Item = String> {
        default_stdlib().iter().map(|(name, _)| name.clone())
    }

    /// The standard library behind the variables.
    pub fn stdlib(&self) -> &Object {
        match &self.stdlib {
            Some(stdlib) => stdlib,
            None => default_stdlib(),
        }
    }

    /// What an identifier means: the variable `name`, else the standard-library root `name`.
    pub fn resolve(&self, name: &str) -> Option<&Value> {
        self.variables.get(name).or_else(|| self.stdlib().get(name))
    }
}

/// The standard library over the process environment, built on first use.
fn default_stdlib() -> &'static Object {
    static STDLIB: OnceLock<Object> = OnceLock::new();
    STDLIB.get_or_init(|| crate::stdlib::standard_library(crate::stdlib::process_env()))
}

//! Block schemas: which attributes and nested blocks a block body accepts (syntax §6.1).
//!
//! A [`Schema`] is plain data so that it can be built by hand (the conformance harness, tests,
//! generic tools) or derived from a typed argument struct by
//! [`Arguments::schema`](super::Arguments::schema). Nested schemas are shared through `Arc`:
//! typed schemas are built once per type and cached.

use std::sync::Arc;

use super::ty::Type;

/// Whether an attribute or block must be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Presence {
    /// Absent → `missing required attribute "<n>"` / `missing required block "<n>"`.
    Required,
    /// Absent → the default.
    Optional,
}

/// How many times a block may appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cardinality {
    /// At most once (`block "<n>" may only be specified once`).
    Single,
    /// Any number of times, kept in order.
    Repeated,
    /// Exactly `k` times when written at all
    /// (`block "<n>" must be specified exactly <k> times, but was specified <m> times`).
    Exactly(usize),
}

/// An attribute a body accepts.
#[derive(Clone, Debug, PartialEq)]
pub struct AttrSpec {
    /// The attribute name.
    pub name: String,
    /// The type its value is conformed to.
    pub ty: Type,
    /// Whether it must be written.
    pub presence: Presence,
}

/// What the body of a nested block holds.
#[derive(Clone, Debug, PartialEq)]
pub enum BlockBody {
    /// Attributes and blocks of a schema.
    Schema(Arc<Schema>),
    /// Any attribute names, each value of the given type, gathered into an object; nested
    /// blocks are rejected (`nested blocks not supported here`).
    Map(Type),
}

/// A nested block a body accepts.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockSpec {
    /// The block name; may contain dots.
    pub name: String,
    /// Whether at least one instance must be written.
    pub presence: Presence,
    /// How many instances are allowed.
    pub cardinality: Cardinality,
    /// Whether each instance needs a non-empty label (otherwise labels are rejected).
    pub labelled: bool,
    /// What the block's body holds.
    pub body: BlockBody,
}

/// The attributes and blocks a block body accepts, in declaration order (which is also the
/// order in which arguments are encoded back for the API).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    /// Accepted attributes.
    pub attrs: Vec<AttrSpec>,
    /// Accepted nested blocks.
    pub blocks: Vec<BlockSpec>,
}

impl Schema {
    /// A schema accepting nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a required attribute.
    pub fn required(mut self, name: impl Into<String>, ty: Type) -> Self {
        self.attrs.push(AttrSpec {
            name: name.into(),
            ty,
            presence: Presence::Required,
        });
        self
    }

    /// Add an optional attribute.
    pub fn optional(mut self, name: impl Into<String>, ty: Type) -> Self {
        self.attrs.push(AttrSpec {
            name: name.into(),
            ty,
            presence: Presence::Optional,
        });
        self
    }

    /// Add a nested block.
    pub fn block(mut self, spec: BlockSpec) -> Self {
        self.blocks.push(spec);
        self
    }

    /// The attribute named `name`.
    pub fn attr(&self, name: &str) -> Option<&AttrSpec> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// The block named `name`.
    pub fn nested(&self, name: &str) -> Option<&BlockSpec> {
        self.blocks.iter().find(|b| b.name == name)
    }
}

impl BlockSpec {
    /// An optional, unlabelled block that may appear once, with the given body schema.
    pub fn single(name: impl Into<String>, schema: Arc<Schema>) -> Self {
        Self {
            name: name.into(),
            presence: Presence::Optional,
            cardinality: Cardinality::Single,
            labelled: false,
            body: BlockBody::Schema(schema),
        }
    }

    /// An optional, unlabelled block that may appear any number of times.
    pub fn repeated(name: impl Into<String>, schema: Arc<Schema>) -> Self {
        Self {
            cardinality: Cardinality::Repeated,
            ..Self::single(name, schema)
        }
    }

    /// The same block, required.
    pub fn required(mut self) -> Self {
        self.presence = Presence::Required;
        self
    }

    /// The same block, with a required label.
    pub fn labelled(mut self) -> Self {
        self.labelled = true;
        self
    }
}

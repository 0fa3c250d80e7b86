//! Decoding a block body against a [`Schema`] (syntax §6.1).
//!
//! Design decisions:
//! - Every statement is decoded even after an error, and nested blocks are decoded recursively,
//!   so one pass reports every problem of a body (D5). Each attribute is evaluated on its own: an
//!   evaluation error in one attribute does not hide a type error in the next.
//! - An attribute whose evaluation or conversion failed still counts as written, so it never
//!   also produces `missing required attribute`.
//! - Repeated single blocks are reported at every extra instance (the spec's "second block"),
//!   whose contents are still checked but not kept; a fixed-count block with the wrong count is reported once, at its first instance, and still
//!   decoded. The body of a block with a label problem is decoded too.
//! - Missing required entries span the enclosing block (Alloy reports them without a position;
//!   D4).
//! - The result is a [`DecodedBody`] of *canonical* values (see [`super::ty`]) with the spans
//!   they came from; typed argument structs are filled from it by
//!   [`Arguments::from_decoded`](super::Arguments::from_decoded), and `validate` errors are
//!   mapped back to those spans by [`locate`].

use std::collections::{HashMap, HashSet};

use ferroalloy_syntax::ast::{self, Stmt};
use ferroalloy_syntax::{Diagnostic, SourceFile, Span};
use indexmap::IndexMap;

use super::errors::ArgErrors;
use super::schema::{BlockBody, BlockSpec, Cardinality, Presence, Schema};
use super::ty::{Type, conform};
use crate::eval::Evaluator;
use crate::value::{Object, PathSegment, Value};

/// The decoded statements of one block body: canonical attribute values and nested blocks,
/// each with the span of the statement it came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DecodedBody {
    /// Attributes that were written and decoded without error, in source order.
    pub attrs: IndexMap<String, DecodedAttr>,
    /// Nested blocks by name, instances in source order.
    pub blocks: IndexMap<String, Vec<DecodedBlock>>,
    /// The enclosing block (or the whole body for a file).
    pub span: Span,
}

/// One decoded attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedAttr {
    /// The canonical value for the attribute's type.
    pub value: Value,
    /// The attribute statement, name to end of value.
    pub span: Span,
}

/// One decoded nested block.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedBlock {
    /// The label, when written.
    pub label: Option<String>,
    /// The decoded body.
    pub body: DecodedBody,
    /// The block, name to closing brace.
    pub span: Span,
}

impl DecodedBody {
    /// The canonical value of attribute `name`, when it was written.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        self.attrs.get(name).map(|a| &a.value)
    }

    /// The instances of block `name` (empty when none was written).
    pub fn blocks(&self, name: &str) -> &[DecodedBlock] {
        self.blocks.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The attributes as an object (how a [`BlockBody::Map`] block's contents are read).
    pub fn to_object(&self) -> Object {
        self.attrs
            .iter()
            .map(|(k, a)| (k.clone(), a.value.clone()))
            .collect()
    }
}

/// Decode the body of `block` against `schema`; missing required entries span the block.
/// Returns what could be decoded and every diagnostic (all errors, D5).
pub fn decode_block(
    block: &ast::Block,
    schema: &Schema,
    eval: &Evaluator<'_>,
) -> (DecodedBody, Vec<Diagnostic>) {
    decode_body(&block.body, block.span(), schema, eval)
}

/// Decode `body` against `schema`. `enclosing` is the span missing required entries are
/// reported at: the enclosing block, or for a file body whatever the caller chooses.
pub fn decode_body(
    body: &ast::Body,
    enclosing: Span,
    schema: &Schema,
    eval: &Evaluator<'_>,
) -> (DecodedBody, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let decoded = BodyDecoder {
        eval,
        src: eval.source(),
        diagnostics: &mut diagnostics,
    }
    .schema_body(body, enclosing, schema);
    (decoded, diagnostics)
}

struct BodyDecoder<'d, 'e, 'a> {
    eval: &'e Evaluator<'a>,
    src: &'a SourceFile,
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl BodyDecoder<'_, '_, '_> {
    fn error(&mut self, span: Span, message: String) {
        self.diagnostics
            .push(Diagnostic::error(self.src, span, message));
    }

    /// Evaluate and conform one attribute's value.
    fn attr_value(&mut self, attr: &ast::Attribute, ty: &Type) -> Option<Value> {
        let value = match self.eval.eval(&attr.value) {
            Ok(value) => value,
            Err(diagnostic) => {
                self.diagnostics.push(diagnostic);
                return None;
            }
        };
        match conform(&value, ty) {
            Ok(value) => Some(value),
            Err(e) => {
                self.diagnostics
                    .push(self.eval.error_at(&attr.value, &e.path, &e.message));
                None
            }
        }
    }

    fn schema_body(&mut self, body: &ast::Body, enclosing: Span, schema: &Schema) -> DecodedBody {
        let mut out = DecodedBody {
            span: enclosing,
            ..DecodedBody::default()
        };
        let mut seen_attrs: HashSet<&str> = HashSet::new();
        let mut totals: HashMap<String, usize> = HashMap::new();
        for stmt in &body.stmts {
            if let Stmt::Block(block) = stmt {
                *totals.entry(block.full_name()).or_default() += 1;
            }
        }
        let mut counts: HashMap<String, usize> = HashMap::new();

        for stmt in &body.stmts {
            match stmt {
                Stmt::Attribute(attr) => {
                    let name = attr.name.name.as_str();
                    if !seen_attrs.insert(name) {
                        self.error(
                            attr.span(),
                            format!("attribute {name:?} may only be provided once"),
                        );
                        continue;
                    }
                    let Some(spec) = schema.attr(name) else {
                        let message = if schema.nested(name).is_some() {
                            format!("{name:?} must be a block, but is used as an attribute")
                        } else {
                            format!("unrecognized attribute name {name:?}")
                        };
                        self.error(attr.span(), message);
                        continue;
                    };
                    if let Some(value) = self.attr_value(attr, &spec.ty) {
                        out.attrs.insert(
                            name.to_owned(),
                            DecodedAttr {
                                value,
                                span: attr.span(),
                            },
                        );
                    }
                }
                Stmt::Block(block) => {
                    let name = block.full_name();
                    let Some(spec) = schema.nested(&name) else {
                        let message = if schema.attr(&name).is_some() {
                            format!("{name:?} must be an attribute, but is used as a block")
                        } else {
                            format!("unrecognized block name {name:?}")
                        };
                        self.error(block.span(), message);
                        continue;
                    };
                    let index = counts.entry(name.clone()).or_default();
                    let this = *index;
                    *index += 1;
                    let total = totals.get(&name).copied().unwrap_or(0);
                    match spec.cardinality {
                        Cardinality::Single if this > 0 => {
                            self.error(
                                block.span(),
                                format!("block {name:?} may only be specified once"),
                            );
                            // Still decoded, for the problems inside it (D5), but not kept.
                            self.nested_block(block, &name, spec);
                            continue;
                        }
                        Cardinality::Exactly(k) if this == 0 && total != k => {
                            self.error(
                                block.span(),
                                format!(
                                    "block {name:?} must be specified exactly {k} times, but was specified {total} times"
                                ),
                            );
                        }
                        _ => {}
                    }
                    let decoded = self.nested_block(block, &name, spec);
                    out.blocks.entry(name).or_default().push(decoded);
                }
            }
        }

        for spec in &schema.attrs {
            if spec.presence == Presence::Required && !seen_attrs.contains(spec.name.as_str()) {
                self.error(
                    enclosing,
                    format!("missing required attribute {:?}", spec.name),
                );
            }
        }
        for spec in &schema.blocks {
            if spec.presence == Presence::Required && !totals.contains_key(&spec.name) {
                self.error(enclosing, format!("missing required block {:?}", spec.name));
            }
        }
        out
    }

    fn nested_block(&mut self, block: &ast::Block, name: &str, spec: &BlockSpec) -> DecodedBlock {
        let header = block.name_span().to(block.lbrace);
        match (&block.label, spec.labelled) {
            (None, true) => self.error(header, format!("block {name:?} requires non-empty label")),
            (Some(_), false) => self.error(
                header,
                format!("block {name:?} does not support specifying labels"),
            ),
            _ => {}
        }
        let body = match &spec.body {
            BlockBody::Schema(schema) => self.schema_body(&block.body, block.span(), schema),
            BlockBody::Map(ty) => self.map_body(&block.body, block.span(), ty),
        };
        DecodedBlock {
            label: block.label.as_ref().map(|l| l.text.clone()),
            body,
            span: block.span(),
        }
    }

    fn map_body(&mut self, body: &ast::Body, enclosing: Span, ty: &Type) -> DecodedBody {
        let mut out = DecodedBody {
            span: enclosing,
            ..DecodedBody::default()
        };
        let mut seen: HashSet<&str> = HashSet::new();
        for stmt in &body.stmts {
            match stmt {
                Stmt::Attribute(attr) => {
                    let name = attr.name.name.as_str();
                    if !seen.insert(name) {
                        self.error(
                            attr.span(),
                            format!("attribute {name:?} may only be provided once"),
                        );
                        continue;
                    }
                    if let Some(value) = self.attr_value(attr, ty) {
                        out.attrs.insert(
                            name.to_owned(),
                            DecodedAttr {
                                value,
                                span: attr.span(),
                            },
                        );
                    }
                }
                Stmt::Block(block) => {
                    self.error(block.span(), "nested blocks not supported here".to_owned());
                }
            }
        }
        out
    }
}

/// The span a `validate` error path points at inside `body` (whose block spans `enclosing`):
/// `endpoint[1].url` is the `url` attribute of the second `endpoint` block. A path that names
/// an attribute ends there (the rest lies inside its value); a path that names nothing written
/// stops at the deepest block found.
pub fn locate(body: &ast::Body, enclosing: Span, path: &[PathSegment]) -> Span {
    let mut body = body;
    let mut span = enclosing;
    let mut i = 0;
    while let Some(PathSegment::Field(name)) = path.get(i) {
        i += 1;
        let mut blocks = body.stmts.iter().filter_map(|stmt| match stmt {
            Stmt::Block(block) if block.full_name() == *name => Some(block),
            _ => None,
        });
        let wanted = match path.get(i) {
            Some(PathSegment::Index(n)) => {
                i += 1;
                *n
            }
            _ => 0,
        };
        if let Some(block) = blocks.nth(wanted) {
            span = block.span();
            body = &block.body;
            continue;
        }
        if let Some(attr) = body.stmts.iter().find_map(|stmt| match stmt {
            Stmt::Attribute(attr) if attr.name.name == *name => Some(attr),
            _ => None,
        }) {
            return attr.span();
        }
        break;
    }
    span
}

/// Positioned diagnostics for the errors of `validate` on the arguments decoded from `body`
/// (whose block spans `enclosing`): each spans the attribute or block its path names, else the
/// enclosing block; the message is the component's text verbatim.
pub fn validation_diagnostics(
    errors: &ArgErrors,
    body: &ast::Body,
    enclosing: Span,
    src: &SourceFile,
) -> Vec<Diagnostic> {
    errors
        .0
        .iter()
        .map(|e| Diagnostic::error(src, locate(body, enclosing, &e.path.0), e.message.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::errors::ArgPath;
    use ferroalloy_syntax::parser::parse_file;

    fn located(text: &str, path: &str) -> String {
        let src = SourceFile::new("f", text);
        let (file, _) = parse_file(&src);
        let Some(Stmt::Block(block)) = file.body.stmts.first() else {
            return "no block".into();
        };
        let path = ArgPath::from(path);
        src.slice(locate(&block.body, block.span(), &path.0))
            .to_owned()
    }

    #[test]
    fn paths_locate_attributes_and_block_instances() {
        let text = "c {\n  a = 1\n  e { u = \"x\" }\n  e { u = \"y\"\n    b { p = 2 } }\n}";
        assert_eq!(located(text, "a"), "a = 1");
        assert_eq!(located(text, "e[1].u"), "u = \"y\"");
        assert_eq!(located(text, "e[1].b.p"), "p = 2");
        assert_eq!(located(text, "e"), "e { u = \"x\" }");
        // Nothing written at the path: the deepest block found.
        assert_eq!(
            located(text, "e[1].missing"),
            "e { u = \"y\"\n    b { p = 2 } }"
        );
        assert_eq!(located(text, "e[7].u"), text);
        assert_eq!(located(text, "a[0].deep"), "a = 1");
        assert_eq!(located(text, ""), text);
    }
}

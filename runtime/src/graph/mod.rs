//! The component graph (runtime §5): nodes are top-level blocks, edges are references.
//!
//! Building is a pure function of the parsed files, the component registry and the stability
//! level: it classifies blocks, computes ids, resolves every reference by the shortest-prefix
//! rule, checks export names, finds cycles, and reports every problem at once. A block that fails
//! classification (unknown or unsupported name, missing label, later duplicate) is not a node.
//!
//! Design decisions:
//! - The graph keeps every node, even those with errors, so that one build reports everything
//!   and `validate` can tell which components are free of graph errors ([`Graph::has_errors`]).
//!   A graph with any error-severity diagnostic must not be run.
//! - Edges are stored as sorted index lists per node (dependencies, dependants, data flow), so
//!   the queries the API and the scheduler call often are plain slices turned into ids.
//! - Self-references are reported but never become edges, and nodes caught in a cycle are placed
//!   after the others by [`Graph::evaluation_order`]: queries never loop or panic on a graph with
//!   errors.
//! - Graph building also emits the load-time warnings that need no evaluation: the leading-zero
//!   warning (syntax D1), deprecated stdlib aliases and components shadowing the stdlib, so that
//!   `run` and `validate` report the same warnings. Callers must not emit them again.

mod build;
pub mod logging;
mod order;
mod traversal;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use ferroalloy_component::{ComponentRegistry, Registration, Stability};
use ferroalloy_syntax::{Diagnostic, SourceFile, Span, ast};

pub use build::{
    IGNORED_BLOCKS, LOGGING_BLOCK, SCOPE_VARIABLES, UNSUPPORTED_BLOCKS, stability_message,
    top_level_attributes,
};
pub use traversal::{Traversal, traversals};

/// One parsed source file.
#[derive(Clone, Debug)]
pub struct ParsedFile {
    /// The file's text and name.
    pub src: SourceFile,
    /// Its syntax tree.
    pub file: ast::File,
}

/// What a node is.
#[derive(Clone, Debug)]
pub enum NodeKind {
    /// A component of a registered type.
    Component(Registration),
    /// The `logging` config block.
    Logging,
}

/// A reference from a node's attribute to another node's exports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The referenced node's id.
    pub target: String,
    /// The first segment of the export path, when the traversal goes past the id.
    pub export: Option<String>,
    /// The whole traversal (`pyroscope.write.w.receiver`).
    pub span: Span,
}

/// A vertex of the graph.
#[derive(Clone, Debug)]
pub struct Node {
    /// `name.label` for components, `logging` for the config block.
    pub id: String,
    /// The block name (`local.file`).
    pub name: String,
    /// The label, when the block has one.
    pub label: Option<String>,
    /// Component or config node.
    pub kind: NodeKind,
    /// The block as written.
    pub block: ast::Block,
    /// The file the block is in.
    pub src: SourceFile,
    /// Every resolved reference of the block's attributes, in source order (duplicates kept).
    pub references: Vec<Reference>,
}

impl Node {
    /// Whether the node is a component (not the `logging` config block). The API lists only
    /// components and leaves config nodes out of `referencesTo`/`referencedBy`.
    pub fn is_component(&self) -> bool {
        matches!(self.kind, NodeKind::Component(_))
    }

    /// The component's registration, when the node is a component.
    pub fn registration(&self) -> Option<&Registration> {
        match &self.kind {
            NodeKind::Component(registration) => Some(registration),
            NodeKind::Logging => None,
        }
    }

    /// The resolved references that lie inside `span` (for example one attribute's value), in
    /// source order. An attribute whose value has none depends only on literals, the standard
    /// library and `module_path`.
    pub fn references_within(&self, span: Span) -> impl Iterator<Item = &Reference> + '_ {
        self.references
            .iter()
            .filter(move |r| r.span.start >= span.start && r.span.end <= span.end)
    }

    /// Whether any attribute of the block (nested blocks included) references another node.
    pub fn has_references(&self) -> bool {
        !self.references.is_empty()
    }

    /// The spans of the attribute values (nested blocks included) that reference other nodes,
    /// in source order.
    pub fn referencing_values(&self) -> Vec<Span> {
        let mut spans = Vec::new();
        self.block.body.walk_attributes(&mut |attr| {
            if self.references_within(attr.value.span).next().is_some() {
                spans.push(attr.value.span);
            }
        });
        spans
    }

    /// The header span used for whole-node diagnostics: block name through `{`.
    pub fn header_span(&self) -> Span {
        self.block.name_span().to(self.block.lbrace)
    }
}

/// Nodes and their edges.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
    /// Per node: indexes of the nodes it references, sorted by id, no duplicates, no self.
    dependencies: Vec<Vec<usize>>,
    /// Per node: indexes of the nodes that reference it, sorted by id.
    dependants: Vec<Vec<usize>>,
    /// Per node: indexes of the nodes it sends data to, sorted by id.
    data_flow: Vec<Vec<usize>>,
    /// Per node: whether graph building reported an error about it.
    errors: Vec<bool>,
}

impl Graph {
    /// Build the graph of `files` (runtime §5 steps 1–7). Diagnostics include warnings; the
    /// graph is only usable when none is an error.
    pub fn build(
        files: &[ParsedFile],
        registry: &ComponentRegistry,
        stability: Stability,
    ) -> (Graph, Vec<Diagnostic>) {
        build::build(files, registry, stability)
    }

    /// Every node in source order (file name, then position).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node with `id`.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index.get(id).map(|&i| &self.nodes[i])
    }

    /// Whether graph building reported an error about the node `id` (a bad reference or export,
    /// a cycle, a self-reference, a stability error). `validate` decodes only nodes without.
    pub fn has_errors(&self, id: &str) -> bool {
        self.index.get(id).is_some_and(|&i| self.errors[i])
    }

    /// Ids of the nodes `id` references, sorted, without duplicates.
    pub fn dependencies(&self, id: &str) -> Vec<&str> {
        self.ids_of(id, &self.dependencies)
    }

    /// Ids of the nodes that reference `id`, sorted, without duplicates.
    pub fn dependants(&self, id: &str) -> Vec<&str> {
        self.ids_of(id, &self.dependants)
    }

    /// Ids `id` sends data to (runtime §5 step 6), sorted, without duplicates.
    pub fn data_flow_edges_to(&self, id: &str) -> Vec<&str> {
        self.ids_of(id, &self.data_flow)
    }

    /// Every data-flow edge `(from, to)`, sorted (one `alloy_component_graph_connection` series
    /// each).
    pub fn data_flow_edges(&self) -> Vec<(&str, &str)> {
        let mut edges: Vec<(&str, &str)> = self
            .data_flow
            .iter()
            .enumerate()
            .flat_map(|(from, tos)| {
                tos.iter()
                    .map(move |&to| (self.nodes[from].id.as_str(), self.nodes[to].id.as_str()))
            })
            .collect();
        edges.sort_unstable();
        edges
    }

    /// Node ids in evaluation order (runtime §6.1): among the nodes whose dependencies are all
    /// placed, the first in source order.
    pub fn evaluation_order(&self) -> Vec<&str> {
        order::evaluation_order(&self.dependencies, &self.dependants)
            .into_iter()
            .map(|i| self.nodes[i].id.as_str())
            .collect()
    }

    /// Component ids grouped by shutdown layer, lowest first (runtime §8 step 2).
    pub fn shutdown_layers(&self) -> Vec<Vec<&str>> {
        let is_component: Vec<bool> = self.nodes.iter().map(Node::is_component).collect();
        order::shutdown_layers(&self.dependencies, &self.dependants, &is_component)
            .into_iter()
            .map(|layer| {
                layer
                    .into_iter()
                    .map(|i| self.nodes[i].id.as_str())
                    .collect()
            })
            .collect()
    }

    fn ids_of<'a>(&'a self, id: &str, edges: &'a [Vec<usize>]) -> Vec<&'a str> {
        self.index
            .get(id)
            .map(|&i| {
                edges[i]
                    .iter()
                    .map(|&j| self.nodes[j].id.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }
}

//! Argument checks that build nothing (runtime §13.3): decoding the arguments of every node the
//! graph found no error in, without any component's exports.
//!
//! Design decisions:
//! - Nothing is built and no export exists, so an attribute whose value references another node
//!   cannot be evaluated. Such an attribute is still decoded against the schema (its name, and
//!   the structure of the blocks around it, are checked, and it counts as written for required
//!   entries), but every diagnostic located inside its value is dropped: the value is checked
//!   when the graph runs.
//! - A block without references goes through the registration's own `decode`, which also runs
//!   the component's pure `validate`; a block with references never does, since `validate`
//!   would see arguments with holes in them.
//! - The scope holds `module_path` and the standard library over the process environment, as
//!   in a load (`sys.env` reads the real environment).

use ferroalloy_component::Stability;
use ferroalloy_syntax::{Diagnostic, Span};
use ferroalloy_value::decode::{Arguments, decode_block};
use ferroalloy_value::eval::{Evaluator, Scope};

use crate::graph::logging::{LoggingArgs, decode_logging};
use crate::graph::{Graph, Node, NodeKind};

/// The stability level below which features are refused (runtime §3), as a command-line value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum StabilityLevel {
    /// Everything, including experimental features.
    #[value(name = "experimental")]
    Experimental,
    /// Public-preview and generally-available features.
    #[value(name = "public-preview")]
    PublicPreview,
    /// Only generally-available features.
    #[value(name = "generally-available")]
    GenerallyAvailable,
}

impl StabilityLevel {
    /// The level's name as written on the command line.
    pub fn as_str(self) -> &'static str {
        self.to_stability().as_str()
    }

    /// The SDK's level.
    pub fn to_stability(self) -> Stability {
        match self {
            StabilityLevel::Experimental => Stability::Experimental,
            StabilityLevel::PublicPreview => Stability::PublicPreview,
            StabilityLevel::GenerallyAvailable => Stability::GenerallyAvailable,
        }
    }
}

impl From<StabilityLevel> for Stability {
    fn from(level: StabilityLevel) -> Self {
        level.to_stability()
    }
}

/// Decode the arguments of every node of `graph` without graph errors (components and the
/// `logging` block) in `scope`, returning every diagnostic.
pub fn decode_arguments(graph: &Graph, scope: &Scope) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for node in graph.nodes() {
        if !graph.has_errors(&node.id) {
            diagnostics.extend(decode_node(node, scope));
        }
    }
    diagnostics
}

/// Decode one node's arguments as [`decode_arguments`] describes.
pub fn decode_node(node: &Node, scope: &Scope) -> Vec<Diagnostic> {
    let eval = Evaluator::new(&node.src, scope);
    if !node.has_references() {
        let decoded = match &node.kind {
            NodeKind::Component(registration) => (registration.decode)(&node.block, &eval),
            NodeKind::Logging => decode_logging(&node.block, &eval),
        };
        return decoded.err().unwrap_or_default();
    }
    let schema = match &node.kind {
        NodeKind::Component(registration) => (registration.schema)(),
        NodeKind::Logging => LoggingArgs::schema(),
    };
    let (_, diagnostics) = decode_block(&node.block, &schema, &eval);
    let opaque = node.referencing_values();
    diagnostics
        .into_iter()
        .filter(|diagnostic| !opaque.iter().any(|span| contains(*span, diagnostic)))
        .collect()
}

fn contains(span: Span, diagnostic: &Diagnostic) -> bool {
    (span.start..span.end).contains(&diagnostic.start.offset)
}

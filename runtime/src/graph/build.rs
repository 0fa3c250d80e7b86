//! Building the graph from parsed files (runtime §2, §3, §5).
//!
//! One pass classifies the top-level blocks into nodes; a second resolves every traversal of
//! every node against the node ids; a third derives the edges and looks for cycles. Each pass
//! reports every problem it finds and carries on, so one build reports everything (syntax D5).
//! Blocks that are not nodes (unknown or unsupported names, missing labels, later duplicates,
//! ignored blocks) are not looked into: references inside them are neither resolved nor
//! reported.

use std::collections::HashMap;

use ferroalloy_component::{ComponentRegistry, Stability};
use ferroalloy_syntax::ast::{self, Stmt};
use ferroalloy_syntax::lexer::is_valid_identifier;
use ferroalloy_syntax::parser::leading_zero_warnings;
use ferroalloy_syntax::quote::quote;
use ferroalloy_syntax::{Diagnostic, SourceFile};
use ferroalloy_value::stdlib::{
    DEPRECATED_ALIASES, DEPRECATION_WARNING, EXPERIMENTAL_FUNCTIONS, ROOT_NAMES,
};

use super::traversal::{Traversal, traversals};
use super::{Graph, Node, NodeKind, ParsedFile, Reference, order};

/// Blocks accepted for compatibility with Alloy and ignored (runtime §2).
pub const IGNORED_BLOCKS: &[&str] = &["livedebugging", "tracing"];

/// Alloy blocks ferroalloy refuses (runtime §2).
pub const UNSUPPORTED_BLOCKS: &[&str] = &[
    "declare",
    "argument",
    "export",
    "foreach",
    "import.file",
    "import.string",
    "import.http",
    "import.git",
    "http",
    "cluster",
    "remotecfg",
    "otel",
    "labelstore",
    "ui",
];

/// The name of the one config block ferroalloy evaluates.
pub const LOGGING_BLOCK: &str = "logging";

/// The scope variables besides component exports (runtime §2).
pub const SCOPE_VARIABLES: &[&str] = &["module_path"];

/// The stability-gate message for `subject` (`component "local.file"` or `array.group_by`).
pub fn stability_message(subject: &str, level: Stability, minimum: Stability) -> String {
    format!(
        "{subject} is at stability level \"{level}\", which is below the minimum allowed \
         stability level \"{minimum}\". Use --stability.level command-line flag to enable \
         \"{level}\" features"
    )
}

pub(super) fn build(
    files: &[ParsedFile],
    registry: &ComponentRegistry,
    stability: Stability,
) -> (Graph, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut ordered: Vec<&ParsedFile> = files.iter().collect();
    ordered.sort_by(|a, b| a.src.name().as_bytes().cmp(b.src.name().as_bytes()));

    let mut nodes: Vec<Node> = Vec::new();
    let mut errors: Vec<bool> = Vec::new();
    let mut declared: HashMap<String, String> = HashMap::new();
    for parsed in &ordered {
        let src = &parsed.src;
        diagnostics.extend(leading_zero_warnings(&parsed.file, src));
        diagnostics.extend(top_level_attributes(&parsed.file, src));
        for stmt in &parsed.file.body.stmts {
            match stmt {
                Stmt::Attribute(_) => {}
                Stmt::Block(block) => {
                    if let Some((node, failed)) = classify(
                        block,
                        src,
                        registry,
                        stability,
                        &mut declared,
                        &mut diagnostics,
                    ) {
                        nodes.push(node);
                        errors.push(failed);
                    }
                }
            }
        }
    }

    let index: HashMap<String, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| (node.id.clone(), i))
        .collect();
    let shadowed: Vec<&str> = nodes
        .iter()
        .filter_map(|node| node.name.split('.').next())
        .filter(|root| ROOT_NAMES.contains(root))
        .collect();

    let mut self_referencing = vec![false; nodes.len()];
    let mut resolved: Vec<Vec<Reference>> = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let mut references = Vec::new();
        let mut failed = false;
        node.block.body.walk_attributes(&mut |attr| {
            for traversal in traversals(&attr.value) {
                match resolve(&traversal, &index) {
                    Resolution::Node { target, export } => {
                        let target_node = &nodes[target];
                        if let Some(segment) = export
                            && !has_export(target_node, &segment.name)
                        {
                            diagnostics.push(Diagnostic::error(
                                &node.src,
                                segment.span,
                                format!(
                                    "component \"{}\" has no export named \"{}\"",
                                    target_node.id, segment.name
                                ),
                            ));
                            failed = true;
                            continue;
                        }
                        if target == i {
                            self_referencing[i] = true;
                        }
                        references.push(Reference {
                            target: target_node.id.clone(),
                            export: export.map(|segment| segment.name.clone()),
                            span: traversal.span,
                        });
                    }
                    Resolution::Outside => {
                        failed |= stdlib_checks(
                            &traversal,
                            &node.src,
                            &shadowed,
                            stability,
                            &mut diagnostics,
                        );
                    }
                    Resolution::Missing => {
                        diagnostics.push(Diagnostic::error(
                            &node.src,
                            traversal.span,
                            format!(
                                "component \"{}\" does not exist or is out of scope",
                                traversal.text()
                            ),
                        ));
                        failed = true;
                    }
                }
            }
        });
        errors[i] |= failed;
        resolved.push(references);
    }
    for (node, references) in nodes.iter_mut().zip(resolved) {
        node.references = references;
    }

    let n = nodes.len();
    let mut dependencies: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut data_flow: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, node) in nodes.iter().enumerate() {
        for reference in &node.references {
            let Some(&target) = index.get(&reference.target) else {
                continue;
            };
            if target == i {
                continue;
            }
            dependencies[i].push(target);
            dependants[target].push(i);
            let receiver = reference.export.as_deref().is_some_and(|export| {
                nodes[target]
                    .registration()
                    .and_then(|registration| registration.export(export))
                    .is_some_and(|spec| spec.receiver)
            });
            if receiver {
                data_flow[i].push(target);
            } else {
                data_flow[target].push(i);
            }
        }
    }
    let by_id = |list: &mut Vec<usize>| {
        list.sort_by(|&a, &b| nodes[a].id.as_bytes().cmp(nodes[b].id.as_bytes()));
        list.dedup();
    };
    for list in dependencies
        .iter_mut()
        .chain(dependants.iter_mut())
        .chain(data_flow.iter_mut())
    {
        by_id(list);
    }

    for (i, node) in nodes.iter().enumerate() {
        if self_referencing[i] {
            diagnostics.push(Diagnostic::error(
                &node.src,
                node.header_span(),
                "cannot reference self",
            ));
            errors[i] = true;
        }
    }
    for cycle in order::cycles(&dependencies) {
        let mut ids: Vec<&str> = cycle.iter().map(|&i| nodes[i].id.as_str()).collect();
        ids.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        let message = format!("cycle detected: {}", ids.join(", "));
        for &member in &cycle {
            diagnostics.push(Diagnostic::error(
                &nodes[member].src,
                nodes[member].header_span(),
                message.clone(),
            ));
            errors[member] = true;
        }
    }

    let graph = Graph {
        nodes,
        index,
        dependencies,
        dependants,
        data_flow,
        errors,
    };
    (graph, diagnostics)
}

/// `unrecognized attribute <name>` for every top-level attribute of `file` (syntax §3.5).
///
/// Graph building reports these; a caller that stops after a parse error (and so never builds
/// the graph) calls this itself, so that a top-level attribute is reported with the parse
/// errors of the same run (syntax §11 item 9).
pub fn top_level_attributes(file: &ast::File, src: &SourceFile) -> Vec<Diagnostic> {
    file.body
        .stmts
        .iter()
        .filter_map(|stmt| match stmt {
            Stmt::Attribute(attr) => Some(Diagnostic::error(
                src,
                attr.name.span,
                format!("unrecognized attribute {}", attr.name.name),
            )),
            Stmt::Block(_) => None,
        })
        .collect()
}

/// Classify one top-level block (runtime §2, §3). Returns the node, if the block is one, and
/// whether an error was reported about it.
fn classify(
    block: &ast::Block,
    src: &SourceFile,
    registry: &ComponentRegistry,
    stability: Stability,
    declared: &mut HashMap<String, String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(Node, bool)> {
    let name = block.full_name();
    if IGNORED_BLOCKS.contains(&name.as_str()) {
        diagnostics.push(Diagnostic::warning(
            src,
            block.name_span(),
            format!("the \"{name}\" block has no effect in ferroalloy"),
        ));
        return None;
    }
    if UNSUPPORTED_BLOCKS.contains(&name.as_str()) {
        diagnostics.push(Diagnostic::error(
            src,
            block.name_span(),
            format!("the \"{name}\" block is not supported by ferroalloy"),
        ));
        return None;
    }

    let label = block.label.as_ref().map(|label| label.text.clone());
    let id = match (&label, name == LOGGING_BLOCK) {
        (_, true) => LOGGING_BLOCK.to_owned(),
        (Some(label), false) => format!("{name}.{label}"),
        (None, false) => name.clone(),
    };
    let start = src.position(block.name_span().start);
    let here = format!("{}:{}:{}", src.name(), start.line, start.column);
    if let Some(first) = declared.get(&id) {
        diagnostics.push(Diagnostic::error(
            src,
            block.header_span(),
            format!("block {id} already declared at {first}"),
        ));
        return None;
    }
    declared.insert(id.clone(), here);

    let mut failed = false;
    let kind = if name == LOGGING_BLOCK {
        if block.label.is_some() {
            diagnostics.push(Diagnostic::error(
                src,
                block.name_span().to(block.lbrace),
                format!("block \"{LOGGING_BLOCK}\" does not support specifying labels"),
            ));
            failed = true;
        }
        NodeKind::Logging
    } else {
        let Some(registration) = registry.get(&name) else {
            diagnostics.push(Diagnostic::error(
                src,
                block.name_span(),
                format!("cannot find the definition of component name \"{name}\""),
            ));
            return None;
        };
        match &block.label {
            None => {
                diagnostics.push(Diagnostic::error(
                    src,
                    block.name_span(),
                    format!("component \"{name}\" must have a label"),
                ));
                return None;
            }
            Some(label) if !is_valid_identifier(&label.text) => {
                diagnostics.push(Diagnostic::error(
                    src,
                    label.span,
                    format!(
                        "expected block label to be a valid identifier, but got {}",
                        quote(&label.text)
                    ),
                ));
                return None;
            }
            Some(_) => {}
        }
        if registration.stability < stability {
            diagnostics.push(Diagnostic::error(
                src,
                block.name_span(),
                stability_message(
                    &format!("component \"{name}\""),
                    registration.stability,
                    stability,
                ),
            ));
            failed = true;
        }
        if name
            .split('.')
            .next()
            .is_some_and(|root| ROOT_NAMES.contains(&root))
        {
            diagnostics.push(Diagnostic::warning(
                src,
                block.name_span(),
                "a component is shadowing an existing stdlib name",
            ));
        }
        NodeKind::Component(registration.clone())
    };

    let node = Node {
        id,
        name,
        label,
        kind,
        block: block.clone(),
        src: src.clone(),
        references: Vec::new(),
    };
    Some((node, failed))
}

/// What a traversal names.
enum Resolution<'a> {
    /// The node at `target`; `export` is the first segment after its id.
    Node {
        target: usize,
        export: Option<&'a ast::Ident>,
    },
    /// A scope variable or the standard library.
    Outside,
    /// Nothing.
    Missing,
}

/// Resolve by the shortest prefix that is a node id (runtime §5 step 3).
fn resolve<'a>(traversal: &Traversal<'a>, index: &HashMap<String, usize>) -> Resolution<'a> {
    for k in 1..=traversal.parts.len() {
        if let Some(&target) = index.get(&traversal.prefix(k)) {
            return Resolution::Node {
                target,
                export: traversal.parts.get(k).copied(),
            };
        }
    }
    let root = traversal.parts.first().map(|ident| ident.name.as_str());
    match root {
        Some(root) if SCOPE_VARIABLES.contains(&root) || ROOT_NAMES.contains(&root) => {
            Resolution::Outside
        }
        _ => Resolution::Missing,
    }
}

fn has_export(node: &Node, export: &str) -> bool {
    node.registration()
        .is_some_and(|registration| registration.export(export).is_some())
}

/// Deprecated aliases (warning) and experimental functions below `stability` (error) read by a
/// traversal outside the graph; names shadowed by a component are not the stdlib's. Returns
/// whether an error was reported.
fn stdlib_checks(
    traversal: &Traversal<'_>,
    src: &SourceFile,
    shadowed: &[&str],
    stability: Stability,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let Some(root) = traversal.parts.first() else {
        return false;
    };
    if shadowed.contains(&root.name.as_str()) {
        return false;
    }
    if DEPRECATED_ALIASES
        .iter()
        .any(|(alias, _)| *alias == root.name)
    {
        diagnostics.push(Diagnostic::warning(src, root.span, DEPRECATION_WARNING));
    }
    if let Some(function) = traversal.parts.get(1)
        && stability > Stability::Experimental
    {
        let name = traversal.prefix(2);
        if EXPERIMENTAL_FUNCTIONS.contains(&name.as_str()) {
            diagnostics.push(Diagnostic::error(
                src,
                root.span.to(function.span),
                stability_message(&name, Stability::Experimental, stability),
            ));
            return true;
        }
    }
    false
}

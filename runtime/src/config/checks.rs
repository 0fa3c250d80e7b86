//! Checks of parsed files that need no component: top-level attributes (syntax §3.5), the D1
//! leading-zero warning, deprecated and experimental standard-library references (syntax §7),
//! and evaluation of every attribute that depends only on literals, the standard library and
//! `module_path` (runtime §13.3).
//!
//! An attribute that references anything else (a component's exports) cannot be evaluated
//! before the graph runs; it is left to the graph checks.

use std::collections::HashSet;

use ferroalloy_syntax::ast::{self, ExprKind, Stmt};
use ferroalloy_syntax::{Diagnostic, SourceFile};
use ferroalloy_value::eval::{Evaluator, Scope};
use ferroalloy_value::stdlib::{DEPRECATED_ALIASES, EXPERIMENTAL_FUNCTIONS};

/// The stability level below which features are refused (runtime §3).
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
        match self {
            StabilityLevel::Experimental => "experimental",
            StabilityLevel::PublicPreview => "public-preview",
            StabilityLevel::GenerallyAvailable => "generally-available",
        }
    }
}

/// `unrecognized attribute <name>` for every top-level attribute of `file`.
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

/// The first name segments of every top-level block: names a reference may start with.
pub fn block_roots(files: &[(&ast::File, &SourceFile)]) -> HashSet<String> {
    files
        .iter()
        .flat_map(|(file, _)| file.body.stmts.iter())
        .filter_map(|stmt| match stmt {
            Stmt::Block(block) => block.name.first().map(|ident| ident.name.clone()),
            Stmt::Attribute(_) => None,
        })
        .collect()
}

/// Warnings and errors about standard-library references in `file`: deprecated aliases, and
/// experimental functions below `stability`. Names shadowed by a block in `roots` are skipped.
pub fn stdlib_references(
    file: &ast::File,
    src: &SourceFile,
    roots: &HashSet<String>,
    stability: StabilityLevel,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    file.body.walk_attributes(&mut |attr| {
        attr.value.walk(&mut |expr| {
            let Some(parts) = expr.dotted_name() else {
                return;
            };
            let Some(root) = parts.first() else { return };
            if roots.contains(&root.name) {
                return;
            }
            if parts.len() == 1
                && DEPRECATED_ALIASES
                    .iter()
                    .any(|(alias, _)| *alias == root.name)
            {
                diagnostics.push(Diagnostic::warning(
                    src,
                    root.span,
                    "this stdlib function is deprecated; please refer to the documentation for \
                     updated usage and alternatives",
                ));
            }
            if parts.len() == 2 && stability > StabilityLevel::Experimental {
                let name = format!("{}.{}", parts[0].name, parts[1].name);
                if EXPERIMENTAL_FUNCTIONS.contains(&name.as_str()) {
                    diagnostics.push(Diagnostic::error(
                        src,
                        expr.span,
                        format!(
                            "{name} is at stability level \"experimental\", which is below the \
                             minimum allowed stability level \"{min}\". Use --stability.level \
                             command-line flag to enable \"experimental\" features",
                            min = stability.as_str()
                        ),
                    ));
                }
            }
        });
    });
    diagnostics
}

/// Evaluate every attribute of `file` whose value depends only on literals and the names in
/// `known` (the standard library's roots and the variables of `scope`), and report the errors.
pub fn evaluate_constant_attributes(
    file: &ast::File,
    src: &SourceFile,
    scope: &Scope,
    known: &HashSet<String>,
    roots: &HashSet<String>,
) -> Vec<Diagnostic> {
    let evaluator = Evaluator::new(src, scope);
    let mut diagnostics = Vec::new();
    for stmt in &file.body.stmts {
        let Stmt::Block(block) = stmt else { continue };
        block.body.walk_attributes(&mut |attr| {
            if references_only_known_names(&attr.value, known, roots)
                && let Err(diagnostic) = evaluator.eval(&attr.value)
            {
                diagnostics.push(diagnostic);
            }
        });
    }
    diagnostics
}

fn references_only_known_names(
    expr: &ast::Expr,
    known: &HashSet<String>,
    roots: &HashSet<String>,
) -> bool {
    let mut only_known = true;
    expr.walk(&mut |sub| {
        if let ExprKind::Ident(ident) = &sub.kind
            && (roots.contains(&ident.name) || !known.contains(&ident.name))
        {
            only_known = false;
        }
    });
    only_known
}

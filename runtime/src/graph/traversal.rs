//! Traversals (runtime §5 step 2): the dotted names an expression reads.
//!
//! A traversal starts at an identifier and extends through each following `.name`; an index
//! `[…]` or a call `(…)` ends it (`a.b[0].c` reads `a.b`; `f(x).y` reads `f`), and the inside of
//! an index or call starts new traversals. Expressions are walked with an explicit stack, so a
//! long operator chain cannot exhaust the thread's stack.

use ferroalloy_syntax::Span;
use ferroalloy_syntax::ast::{Expr, Ident};

/// One dotted name read by an expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Traversal<'a> {
    /// The identifiers, first to last (`local`, `file`, `k`, `content`).
    pub parts: Vec<&'a Ident>,
    /// From the first identifier to the last.
    pub span: Span,
}

impl Traversal<'_> {
    /// The identifiers joined by `.`.
    pub fn text(&self) -> String {
        self.prefix(self.parts.len())
    }

    /// The first `n` identifiers joined by `.`.
    pub fn prefix(&self, n: usize) -> String {
        let mut text = String::new();
        for (i, part) in self.parts.iter().take(n).enumerate() {
            if i > 0 {
                text.push('.');
            }
            text.push_str(&part.name);
        }
        text
    }
}

/// Every traversal of `expr`, in source order.
pub fn traversals(expr: &Expr) -> Vec<Traversal<'_>> {
    let mut found = Vec::new();
    expr.walk_pruned(&mut |expr| match expr.dotted_name() {
        Some(parts) => {
            found.push(Traversal {
                parts,
                span: expr.span,
            });
            false
        }
        None => true,
    });
    found.sort_by_key(|t| t.span.start);
    found
}

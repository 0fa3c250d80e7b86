//! Traversals (runtime §5 step 2): the dotted names an expression reads.
//!
//! A traversal starts at an identifier and extends through each following `.name`; an index
//! `[…]` or a call `(…)` ends it (`a.b[0].c` reads `a.b`; `f(x).y` reads `f`), and the inside of
//! an index or call starts new traversals. Expressions are walked with an explicit stack, so a
//! long operator chain cannot exhaust the thread's stack.

use ferroalloy_syntax::Span;
use ferroalloy_syntax::ast::{Expr, ExprKind, Ident};

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
    let mut stack = vec![expr];
    while let Some(expr) = stack.pop() {
        if let Some(parts) = expr.dotted_name() {
            found.push(Traversal {
                parts,
                span: expr.span,
            });
            continue;
        }
        match &expr.kind {
            ExprKind::Literal(_) | ExprKind::Ident(_) => {}
            ExprKind::Array(elements) => stack.extend(elements.iter().rev()),
            ExprKind::Object(fields) => stack.extend(fields.iter().rev().map(|f| &f.value)),
            ExprKind::Access { value, .. } => stack.push(value),
            ExprKind::Index { value, index } => {
                stack.push(index);
                stack.push(value);
            }
            ExprKind::Call { func, args } => {
                stack.extend(args.iter().rev());
                stack.push(func);
            }
            ExprKind::Unary { operand, .. } => stack.push(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                stack.push(rhs);
                stack.push(lhs);
            }
            ExprKind::Paren(inner) => stack.push(inner),
        }
    }
    found.sort_by_key(|t| t.span.start);
    found
}

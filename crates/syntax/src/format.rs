//! The formatter (`ferroalloy fmt`, spec syntax §9) and the one-line expression printer used in
//! evaluation messages.
//!
//! Design decisions:
//! - Literals, identifiers and quoted object keys are printed from their source text, never
//!   re-quoted (E10: Alloy re-escapes quoted keys on every run).
//! - A space is inserted wherever two adjacent tokens would otherwise lex as different tokens
//!   (`1 .a`: written `1.a` it would lex as the float `1.` followed by `a`).

use std::fmt::Write as _;

use crate::ast::{Expr, ExprKind, Literal, LiteralValue};

/// Print one expression on one line exactly as the formatter would (used in evaluation
/// messages: `key_value.object.field1[2]`, `[0, 1, 2]`, `"Hello, world!"`, `{a = 1}.a`).
pub fn format_expr_inline(expr: &Expr) -> String {
    let mut out = String::new();
    write_inline(expr, &mut out);
    out
}

fn write_inline(expr: &Expr, out: &mut String) {
    match &expr.kind {
        ExprKind::Literal(lit) => out.push_str(&literal_text(lit)),
        ExprKind::Ident(ident) => out.push_str(&ident.name),
        ExprKind::Array(elems) => {
            out.push('[');
            for (i, elem) in elems.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_inline(elem, out);
            }
            out.push(']');
        }
        ExprKind::Object(fields) => {
            out.push('{');
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&field_key_text(&field.key));
                out.push_str(" = ");
                write_inline(&field.value, out);
            }
            out.push('}');
        }
        ExprKind::Access { value, name } => {
            write_inline(value, out);
            if needs_space_before_dot(value) {
                out.push(' ');
            }
            out.push('.');
            out.push_str(&name.name);
        }
        ExprKind::Index { value, index } => {
            write_inline(value, out);
            out.push('[');
            write_inline(index, out);
            out.push(']');
        }
        ExprKind::Call { func, args } => {
            write_inline(func, out);
            out.push('(');
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_inline(arg, out);
            }
            out.push(')');
        }
        ExprKind::Unary { op, operand } => {
            out.push_str(op.as_str());
            write_inline(operand, out);
        }
        ExprKind::Binary { op, lhs, rhs, .. } => {
            write_inline(lhs, out);
            out.push(' ');
            out.push_str(op.as_str());
            out.push(' ');
            write_inline(rhs, out);
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write_inline(inner, out);
            out.push(')');
        }
    }
}

/// Whether the expression's printed text ends in a `NUMBER` literal, so that a following `.`
/// would join it into a float.
fn needs_space_before_dot(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Literal(lit) => {
            let text = literal_text(lit);
            !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// The text of a field key: its source text, or the key re-quoted when the tree was built by
/// hand without one.
fn field_key_text(key: &crate::ast::FieldKey) -> String {
    if !key.raw.is_empty() {
        key.raw.clone()
    } else if key.quoted {
        quote_fallback(&key.name)
    } else {
        key.name.clone()
    }
}

/// The text of a literal: its source text, or a spelling of its value when it has none (the
/// `null` the parser puts in place of a missing operand, or a tree built by hand).
fn literal_text(lit: &Literal) -> String {
    if !lit.raw.is_empty() {
        return lit.raw.clone();
    }
    match &lit.value {
        LiteralValue::Null => "null".to_owned(),
        LiteralValue::Bool(b) => b.to_string(),
        LiteralValue::Int(i) => i.to_string(),
        LiteralValue::Uint(u) => u.to_string(),
        LiteralValue::Float(f) => {
            let mut text = f.to_string();
            if f.is_finite() && !text.contains(['.', 'e', 'E']) {
                text.push_str(".0");
            }
            text
        }
        LiteralValue::String(s) => quote_fallback(s),
    }
}

/// Double-quote `text` with the escapes of spec syntax §2.5 (only used for trees built without
/// source text).
fn quote_fallback(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c.is_control() => {
                let code = c as u32;
                if code < 0x80 {
                    let _ = write!(out, "\\x{code:02x}");
                } else if code <= 0xFFFF {
                    let _ = write!(out, "\\u{code:04x}");
                } else {
                    let _ = write!(out, "\\U{code:08x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{BinaryOp, Field, FieldKey, Ident, UnaryOp};
    use crate::span::Span;

    fn e(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: Span::default(),
        }
    }
    fn lit(raw: &str, value: LiteralValue) -> Expr {
        e(ExprKind::Literal(Literal {
            value,
            raw: raw.to_owned(),
        }))
    }
    fn ident(name: &str) -> Expr {
        e(ExprKind::Ident(Ident {
            name: name.to_owned(),
            span: Span::default(),
        }))
    }
    fn id(name: &str) -> Ident {
        Ident {
            name: name.to_owned(),
            span: Span::default(),
        }
    }

    #[test]
    fn inline_access_index_chain() {
        let expr = e(ExprKind::Index {
            value: Box::new(e(ExprKind::Access {
                value: Box::new(e(ExprKind::Access {
                    value: Box::new(ident("key_value")),
                    name: id("object"),
                })),
                name: id("field1"),
            })),
            index: Box::new(lit("2", LiteralValue::Int(2))),
        });
        assert_eq!(format_expr_inline(&expr), "key_value.object.field1[2]");
    }

    #[test]
    fn inline_collections_and_calls() {
        let arr = e(ExprKind::Array(vec![
            lit("0", LiteralValue::Int(0)),
            lit("1", LiteralValue::Int(1)),
            lit("2", LiteralValue::Int(2)),
        ]));
        assert_eq!(format_expr_inline(&arr), "[0, 1, 2]");
        let obj = e(ExprKind::Access {
            value: Box::new(e(ExprKind::Object(vec![Field {
                key: FieldKey {
                    name: "a".into(),
                    raw: "a".into(),
                    quoted: false,
                    span: Span::default(),
                },
                value: lit("1", LiteralValue::Int(1)),
            }]))),
            name: id("a"),
        });
        assert_eq!(format_expr_inline(&obj), "{a = 1}.a");
        let call = e(ExprKind::Call {
            func: Box::new(ident("f")),
            args: vec![],
        });
        assert_eq!(format_expr_inline(&call), "f()");
        let s = lit(
            "\"Hello, world!\"",
            LiteralValue::String("Hello, world!".into()),
        );
        assert_eq!(format_expr_inline(&s), "\"Hello, world!\"");
    }

    #[test]
    fn inline_operators() {
        let expr = e(ExprKind::Binary {
            op: BinaryOp::Add,
            op_span: Span::default(),
            lhs: Box::new(e(ExprKind::Binary {
                op: BinaryOp::Mul,
                op_span: Span::default(),
                lhs: Box::new(lit("30", LiteralValue::Int(30))),
                rhs: Box::new(lit("2", LiteralValue::Int(2))),
            })),
            rhs: Box::new(e(ExprKind::Paren(Box::new(e(ExprKind::Unary {
                op: UnaryOp::Neg,
                operand: Box::new(ident("x")),
            }))))),
        });
        assert_eq!(format_expr_inline(&expr), "30 * 2 + (-x)");
    }

    #[test]
    fn inline_token_safety_and_missing_raw() {
        let expr = e(ExprKind::Access {
            value: Box::new(lit("1", LiteralValue::Int(1))),
            name: id("a"),
        });
        assert_eq!(format_expr_inline(&expr), "1 .a");
        assert_eq!(format_expr_inline(&lit("", LiteralValue::Null)), "null");
        assert_eq!(
            format_expr_inline(&lit("", LiteralValue::String("a\"b".into()))),
            "\"a\\\"b\""
        );
    }
}

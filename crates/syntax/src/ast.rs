//! The syntax tree. Every node carries the byte [`Span`] of its source text.
//!
//! Literals keep their source text (`raw`) next to their value: the formatter prints literals
//! verbatim, and evaluation uses the value. Comments are not attached to nodes; the file keeps
//! them in source order and the formatter interleaves them by position, as Alloy's printer does.

use crate::span::Span;

/// A parsed configuration file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    /// The top-level statements.
    pub body: Body,
    /// Every comment of the file, in source order.
    pub comments: Vec<Comment>,
}

/// A comment, `//…` or `/*…*/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The comment text including its delimiters, without the line break that ends a `//`
    /// comment, and with `\r` removed as syntax §2.2 says.
    pub text: String,
    /// Where the comment is.
    pub span: Span,
}

/// A sequence of statements: a file or a block's body.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Body {
    /// The statements in source order.
    pub stmts: Vec<Stmt>,
}

/// One statement of a body.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `name = expr`
    Attribute(Attribute),
    /// `name.parts "label" { body }`
    Block(Block),
}

impl Stmt {
    /// The span from the statement's first name byte to its end.
    pub fn span(&self) -> Span {
        match self {
            Stmt::Attribute(attr) => attr.span(),
            Stmt::Block(block) => block.span(),
        }
    }
}

/// `name = value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// The attribute's name.
    pub name: Ident,
    /// The assigned expression.
    pub value: Expr,
}

impl Attribute {
    /// From the name to the end of the value.
    pub fn span(&self) -> Span {
        self.name.span.to(self.value.span)
    }
}

/// `name.parts "label" { body }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// The dot-separated name fragments (`pyroscope`, `write`).
    pub name: Vec<Ident>,
    /// The label, absent when not written or written as `""`.
    pub label: Option<Label>,
    /// The statements between the braces.
    pub body: Body,
    /// The opening brace.
    pub lbrace: Span,
    /// The closing brace.
    pub rbrace: Span,
}

impl Block {
    /// The fragments joined by `.`.
    pub fn full_name(&self) -> String {
        let mut name = String::new();
        for (i, part) in self.name.iter().enumerate() {
            if i > 0 {
                name.push('.');
            }
            name.push_str(&part.name);
        }
        name
    }

    /// From the first name fragment to the closing brace.
    pub fn span(&self) -> Span {
        self.name_span().to(self.rbrace)
    }

    /// The name fragments only.
    pub fn name_span(&self) -> Span {
        match (self.name.first(), self.name.last()) {
            (Some(first), Some(last)) => first.span.to(last.span),
            _ => self.lbrace,
        }
    }

    /// From the first name fragment through the label (or the name when there is no label).
    pub fn header_span(&self) -> Span {
        match &self.label {
            Some(label) => self.name_span().to(label.span),
            None => self.name_span(),
        }
    }
}

/// A block label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The text between the quotes, without escape processing.
    pub text: String,
    /// The whole literal, quotes included.
    pub span: Span,
}

/// An identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// Its text.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// From its first to its last byte (closing brackets and parentheses included).
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A literal value.
    Literal(Literal),
    /// A name looked up in the scope, then the standard library.
    Ident(Ident),
    /// `[a, b]`; the span covers the brackets.
    Array(Vec<Expr>),
    /// `{k = v, "k" = v}`; the span covers the braces.
    Object(Vec<Field>),
    /// `value.name`
    Access {
        /// The accessed value.
        value: Box<Expr>,
        /// The field name.
        name: Ident,
    },
    /// `value[index]`; the span ends at `]`.
    Index {
        /// The indexed value.
        value: Box<Expr>,
        /// The index.
        index: Box<Expr>,
    },
    /// `func(args)`; the span ends at `)`.
    Call {
        /// The called expression.
        func: Box<Expr>,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `!x`, `-x`; the operator is the first byte of the span.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        operand: Box<Expr>,
    },
    /// `lhs op rhs`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Where the operator is.
        op_span: Span,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `(inner)`; the span covers the parentheses.
    Paren(Box<Expr>),
}

/// A literal with its source text.
#[derive(Clone, Debug, PartialEq)]
pub struct Literal {
    /// The value.
    pub value: LiteralValue,
    /// The source text, printed verbatim by the formatter (empty for a `null` the parser put in
    /// place of a missing operand).
    pub raw: String,
}

/// The value of a literal.
#[derive(Clone, Debug, PartialEq)]
pub enum LiteralValue {
    /// `null`
    Null,
    /// `true`, `false`
    Bool(bool),
    /// A `NUMBER` that fits in `i64`.
    Int(i64),
    /// A `NUMBER` above `i64::MAX` that fits in `u64`.
    Uint(u64),
    /// A `FLOAT`, or a `NUMBER` beyond `u64`.
    Float(f64),
    /// A string with escapes processed.
    String(String),
}

/// An object field `key = value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The key.
    pub key: FieldKey,
    /// The value.
    pub value: Expr,
}

/// An object key, written as an identifier or a quoted string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldKey {
    /// The key (a quoted key decoded like a string literal, E1).
    pub name: String,
    /// The source text (quotes and escapes included for a quoted key).
    pub raw: String,
    /// Whether the key was written as a string.
    pub quoted: bool,
    /// Where the key is.
    pub span: Span,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `!`
    Not,
    /// `-`
    Neg,
}

impl UnaryOp {
    /// The operator's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            UnaryOp::Not => "!",
            UnaryOp::Neg => "-",
        }
    }
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^`
    Pow,
}

impl BinaryOp {
    /// The operator's spelling.
    pub fn as_str(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Or => "||",
            And => "&&",
            Eq => "==",
            NotEq => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Mod => "%",
            Pow => "^",
        }
    }

    /// Binding strength, higher binds tighter (syntax §3.2).
    pub fn precedence(self) -> u8 {
        use BinaryOp::*;
        match self {
            Or => 1,
            And => 2,
            Eq | NotEq | Lt | Le | Gt | Ge => 3,
            Add | Sub => 4,
            Mul | Div | Mod => 5,
            Pow => 6,
        }
    }
}

impl Expr {
    /// Call `visit` on this expression and every expression nested in it, outermost first.
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Expr)) {
        self.walk_pruned(&mut |expr| {
            visit(expr);
            true
        });
    }

    /// Like [`Expr::walk`], but the expressions nested in one for which `visit` returns `false`
    /// are skipped. Iterative, so a deep tree cannot exhaust the stack.
    pub fn walk_pruned<'a>(&'a self, visit: &mut impl FnMut(&'a Expr) -> bool) {
        let mut stack = vec![self];
        while let Some(expr) = stack.pop() {
            if !visit(expr) {
                continue;
            }
            match &expr.kind {
                ExprKind::Literal(_) | ExprKind::Ident(_) => {}
                ExprKind::Array(elems) => stack.extend(elems.iter().rev()),
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
    }

    /// The dotted name this expression spells when it is an identifier followed only by field
    /// accesses (`a.b.c` → `["a", "b", "c"]`), used to resolve component references.
    pub fn dotted_name(&self) -> Option<Vec<&Ident>> {
        match &self.kind {
            ExprKind::Ident(ident) => Some(vec![ident]),
            ExprKind::Access { value, name } => {
                let mut parts = value.dotted_name()?;
                parts.push(name);
                Some(parts)
            }
            _ => None,
        }
    }
}

impl Body {
    /// Call `visit` on every attribute of this body and of every nested block, in source order.
    pub fn walk_attributes<'a>(&'a self, visit: &mut impl FnMut(&'a Attribute)) {
        for stmt in &self.stmts {
            match stmt {
                Stmt::Attribute(attr) => visit(attr),
                Stmt::Block(block) => block.body.walk_attributes(visit),
            }
        }
    }
}

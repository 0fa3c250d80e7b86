//! The parser: tokens to a syntax tree (syntax §3).
//!
//! Design decisions:
//!
//! - Recursive descent that mirrors Alloy's parser function for function, including its error
//!   recovery (§3.4), so that diagnostics land on the same tokens: a parser error is dropped when
//!   the previous parser error is on the same line; lexer errors, literal errors (E2, E5) and the
//!   §3.3 checks that are not `expected …` messages are always recorded.
//! - Parsing always completes and always returns a tree; any error makes the tree unfit for
//!   evaluation, and callers check the diagnostics.
//! - Bounded recursion, so no input can overflow the stack: blocks, brackets, parentheses,
//!   braces and unary operators may nest at most [`MAX_NESTING`] (200) levels; the 201st opener
//!   gets `expression nested too deeply` (E8) and what it opens is skipped. Binary operators are
//!   parsed by precedence climbing (recursion bounded by the number of precedence levels) and
//!   `^` chains iteratively. Besides, no expression tree is deeper than [`MAX_TREE_DEPTH`]
//!   nodes: a longer chain of operators or of `.name`/`[i]`/`(…)` suffixes gets the same
//!   message at the operator that would exceed it, so that code walking the tree recursively
//!   (evaluation, formatting, dropping) is safe too.
//! - Diagnostics made by the parser are capped at [`MAX_ERRORS`] (plus one saying so), like
//!   the lexer's, so that memory stays proportional to what a person can read.
//! - `parse_expression` is `Expression TERMINATOR EOF` (§3.1); after the terminator anything
//!   but `EOF` is `expected EOF, got <T>`.

use crate::ast::{
    Attribute, BinaryOp, Block, Body, Comment, Expr, ExprKind, Field, FieldKey, File, Ident, Label,
    Literal, LiteralValue, Stmt, UnaryOp,
};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lexer::{
    INVALID_UTF8_AFTER_ESCAPES, Lexer, MAX_ERRORS, UnquoteError, decode_string, is_valid_identifier,
};
use crate::quote::quote;
use crate::span::{SourceFile, Span};
use crate::token::{Token, TokenKind};

/// How deeply blocks, brackets, parentheses, braces and unary operators may nest (E8).
pub const MAX_NESTING: usize = 200;

/// The deepest expression tree the parser builds (a literal or identifier has depth 1).
pub const MAX_TREE_DEPTH: u32 = 1000;

const NESTED_TOO_DEEPLY: &str = "expression nested too deeply";

/// Parse a whole configuration file. Always returns a tree (with every comment of the file in
/// [`File::comments`]); when the diagnostics hold an error the tree must not be evaluated.
pub fn parse_file(src: &SourceFile) -> (File, Diagnostics) {
    let mut parser = Parser::new(src);
    let body = parser.parse_body(TokenKind::Eof);
    let file = File {
        body,
        comments: std::mem::take(&mut parser.comments),
    };
    (file, parser.diagnostics.into())
}

/// Parse a standalone expression (`Expression TERMINATOR EOF`), as the stdlib and evaluator
/// tests do. Returns `None` exactly when an error was reported.
pub fn parse_expression(src: &SourceFile) -> (Option<Expr>, Diagnostics) {
    let mut parser = Parser::new(src);
    let node = parser.parse_expr();
    let terminator = parser.expect(TokenKind::Terminator);
    if terminator.kind == TokenKind::Terminator && parser.tok.kind != TokenKind::Eof {
        parser.error_expected("EOF");
    }
    let diagnostics: Diagnostics = parser.diagnostics.into();
    let expr = (!diagnostics.has_errors()).then_some(node.expr);
    (expr, diagnostics)
}

/// The D1 warning (§2.4) for every `NUMBER` literal of `file` written with a leading zero and
/// more than one digit. Used when loading and validating, not by the formatter.
pub fn leading_zero_warnings(file: &File, src: &SourceFile) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    file.body.walk_attributes(&mut |attr| {
        attr.value.walk(&mut |expr| {
            if let ExprKind::Literal(literal) = &expr.kind
                && let Some(message) = leading_zero_message(&literal.raw)
            {
                warnings.push(Diagnostic::warning(src, expr.span, message));
            }
        });
    });
    warnings
}

/// The D1 warning text for a `NUMBER` literal, or `None` when it has no leading zero.
fn leading_zero_message(raw: &str) -> Option<String> {
    if raw.len() < 2 || !raw.starts_with('0') || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = raw.trim_start_matches('0');
    let decimal = if trimmed.is_empty() { "0" } else { trimmed };
    let mut message = format!(
        "number literal {raw} has a leading zero: ferroalloy reads it as decimal {decimal}"
    );
    // Alloy parses with base 0; text that is not octal, or octal beyond u64, falls back to
    // decimal there too.
    if let Ok(octal) = u64::from_str_radix(raw, 8) {
        message.push_str(&format!(", Grafana Alloy reads it as octal {octal}"));
    }
    Some(message)
}

/// An expression with the depth of its tree.
struct Node {
    expr: Expr,
    depth: u32,
}

impl Node {
    fn leaf(kind: ExprKind, span: Span) -> Self {
        Node {
            expr: Expr { kind, span },
            depth: 1,
        }
    }

    fn null(span: Span) -> Self {
        Node::leaf(
            ExprKind::Literal(Literal {
                value: LiteralValue::Null,
                raw: String::new(),
            }),
            span,
        )
    }
}

/// A statement's name: fragments and optional label (§3.1 `BlockName`).
struct BlockName {
    fragments: Vec<Ident>,
    /// The label, when one with text was written.
    label: Option<Label>,
    /// The label literal, when any `STRING` stood in the label position (even `""`).
    label_span: Option<Span>,
}

struct Parser<'a> {
    src: &'a SourceFile,
    lexer: Lexer<'a>,
    /// The current token (never a comment).
    tok: Token,
    diagnostics: Vec<Diagnostic>,
    /// Line of the last recorded parser error (§3.4 rule 1).
    last_error_line: Option<usize>,
    comments: Vec<Comment>,
    /// Current nesting of blocks, brackets, parentheses, braces and unary operators.
    nesting: usize,
    /// Diagnostics made by the parser so far, recorded or not.
    error_count: usize,
}

fn binary_op(kind: TokenKind) -> Option<BinaryOp> {
    use TokenKind as T;
    Some(match kind {
        T::OrOr => BinaryOp::Or,
        T::AndAnd => BinaryOp::And,
        T::Eq => BinaryOp::Eq,
        T::NotEq => BinaryOp::NotEq,
        T::Lt => BinaryOp::Lt,
        T::Le => BinaryOp::Le,
        T::Gt => BinaryOp::Gt,
        T::Ge => BinaryOp::Ge,
        T::Plus => BinaryOp::Add,
        T::Minus => BinaryOp::Sub,
        T::Star => BinaryOp::Mul,
        T::Slash => BinaryOp::Div,
        T::Percent => BinaryOp::Mod,
        _ => return None,
    })
}

impl<'a> Parser<'a> {
    fn new(src: &'a SourceFile) -> Self {
        let mut parser = Parser {
            src,
            lexer: Lexer::new(src),
            tok: Token {
                kind: TokenKind::Eof,
                span: Span::point(0),
                text: String::new(),
            },
            diagnostics: Vec::new(),
            last_error_line: None,
            comments: Vec::new(),
            nesting: 0,
            error_count: 0,
        };
        parser.bump();
        parser
    }

    /// Move to the next non-comment token (collecting comments and lexer errors) and return the
    /// token that was current.
    fn bump(&mut self) -> Token {
        loop {
            let token = self.lexer.next_token();
            self.diagnostics.extend(self.lexer.take_diagnostics());
            if token.kind == TokenKind::Comment {
                self.comments.push(Comment {
                    text: token.text,
                    span: token.span,
                });
                continue;
            }
            return std::mem::replace(&mut self.tok, token);
        }
    }

    fn at(&self, kind: TokenKind) -> bool {
        self.tok.kind == kind
    }

    /// Record a parser error at the current token, unless the previous parser error is on the
    /// same line (§3.4 rule 1).
    fn error(&mut self, message: impl Into<String>) {
        let start = self.tok.span.start;
        let line = self.src.position(start).line;
        if self.last_error_line == Some(line) {
            return;
        }
        self.last_error_line = Some(line);
        self.push(Span::point(start), message.into());
    }

    /// Record a parser-made diagnostic, up to [`MAX_ERRORS`] of them.
    fn push(&mut self, span: Span, message: String) {
        self.error_count += 1;
        let message = match self.error_count {
            n if n <= MAX_ERRORS => message,
            n if n == MAX_ERRORS + 1 => {
                "too many syntax errors; later ones are not reported".to_string()
            }
            _ => return,
        };
        self.diagnostics
            .push(Diagnostic::error(self.src, span, message));
    }

    /// `expected <what>, got <current token>`.
    fn error_expected(&mut self, what: &str) {
        let message = format!("expected {what}, got {}", self.tok.kind);
        self.error(message);
    }

    /// Record an error that rule 1 never drops and that does not count as a parser error.
    fn always_error(&mut self, span: Span, message: impl Into<String>) {
        self.push(span, message.into());
    }

    /// Consume the current token, reporting `expected <kind>, got <T>` when it is not `kind`.
    fn expect(&mut self, kind: TokenKind) -> Token {
        if self.tok.kind != kind {
            self.error_expected(kind.name());
        }
        self.bump()
    }

    /// Skip tokens up to (not including) `kind` or `EOF`.
    fn advance_to(&mut self, kind: TokenKind) {
        while !self.at(kind) && !self.at(TokenKind::Eof) {
            self.bump();
        }
    }

    /// Skip tokens up to (not including) the next `,` `)` `]` `}` or `TERMINATOR` (§3.4 rule 5).
    fn advance_to_statement_end(&mut self) {
        use TokenKind as T;
        while !matches!(
            self.tok.kind,
            T::Eof | T::Terminator | T::RParen | T::RBrace | T::RBrack | T::Comma
        ) {
            self.bump();
        }
    }

    /// Skip the rest of a statement: up to the first `TERMINATOR` at which every count of
    /// `{}`, `[]` and `()` pairs seen is ≤ 0 (§3.4 rule 4).
    fn consume_statement(&mut self) {
        let (mut curly, mut brack, mut paren) = (0i64, 0i64, 0i64);
        loop {
            match self.tok.kind {
                TokenKind::Eof => return,
                TokenKind::LBrace => curly += 1,
                TokenKind::RBrace => curly -= 1,
                TokenKind::LBrack => brack += 1,
                TokenKind::RBrack => brack -= 1,
                TokenKind::LParen => paren += 1,
                TokenKind::RParen => paren -= 1,
                TokenKind::Terminator if curly <= 0 && brack <= 0 && paren <= 0 => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// Skip the rest of an expression that is abandoned: balanced brackets, up to a `,`, a
    /// closer or a `TERMINATOR` outside them (not consumed).
    fn skip_expression_rest(&mut self) {
        use TokenKind as T;
        let mut depth = 0usize;
        loop {
            match self.tok.kind {
                T::Eof => return,
                T::LBrace | T::LBrack | T::LParen => depth += 1,
                T::RBrace | T::RBrack | T::RParen => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                T::Comma | T::Terminator if depth == 0 => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// Consume the opener at the current token and everything up to its matching closer
    /// (counting all kinds of brackets together). Returns the span covered.
    fn skip_balanced(&mut self) -> Span {
        use TokenKind as T;
        let start = self.tok.span.start;
        let mut end = self.tok.span.end;
        let mut depth = 0usize;
        loop {
            match self.tok.kind {
                T::Eof => break,
                T::LBrace | T::LBrack | T::LParen => depth += 1,
                T::RBrace | T::RBrack | T::RParen => depth = depth.saturating_sub(1),
                _ => {}
            }
            end = self.bump().span.end;
            if depth == 0 {
                break;
            }
        }
        Span::new(start, end)
    }

    /// Enter one nesting level at the current token (an opener or a unary operator); at the
    /// limit, report E8 there and return `false`.
    fn enter(&mut self) -> bool {
        if self.nesting >= MAX_NESTING {
            self.error(NESTED_TOO_DEEPLY);
            return false;
        }
        self.nesting += 1;
        true
    }

    fn leave(&mut self, levels: usize) {
        self.nesting = self.nesting.saturating_sub(levels);
    }

    /// `Body = [ Statement { TERMINATOR Statement } ]`, up to (not including) `until`.
    fn parse_body(&mut self, until: TokenKind) -> Body {
        let mut stmts = Vec::new();
        while !self.at(until) && !self.at(TokenKind::Eof) {
            if let Some(stmt) = self.parse_statement() {
                stmts.push(stmt);
            }
            if self.at(until) {
                break;
            }
            if !self.at(TokenKind::Terminator) {
                self.error_expected("TERMINATOR");
                self.consume_statement();
            }
            self.bump();
        }
        Body { stmts }
    }

    /// `Statement = BlockName ( "=" Expression | "{" Body "}" )`.
    fn parse_statement(&mut self) -> Option<Stmt> {
        let Some(name) = self.parse_block_name() else {
            self.advance_to(TokenKind::Ident);
            return None;
        };
        match self.tok.kind {
            TokenKind::Assign => {
                self.bump();
                if name.fragments.len() != 1 {
                    let span = match (name.fragments.first(), name.fragments.last()) {
                        (Some(first), Some(last)) => first.span.to(last.span),
                        _ => Span::point(self.tok.span.start),
                    };
                    self.always_error(
                        span,
                        r#"attribute names may only consist of a single identifier with no ".""#,
                    );
                } else if let Some(label_span) = name.label_span {
                    self.always_error(label_span, "attribute names may not have labels");
                }
                let value = self.parse_expr().expr;
                let ident = name.fragments.into_iter().next()?;
                Some(Stmt::Attribute(Attribute { name: ident, value }))
            }
            TokenKind::LBrace => {
                let (body, lbrace, rbrace, _) = self.parse_block_body();
                Some(Stmt::Block(Block {
                    name: name.fragments,
                    label: name.label,
                    body,
                    lbrace,
                    rbrace,
                }))
            }
            _ => {
                let attribute_like = name.fragments.len() == 1 && name.label.is_none();
                if attribute_like {
                    self.error_expected("attribute assignment or block body");
                } else {
                    self.error_expected("block body");
                }
                self.advance_to(TokenKind::Ident);
                None
            }
        }
    }

    /// `"{" Body "}"` at the current `{`: the body, the spans of both braces, and whether the
    /// closing token really was a `}`.
    fn parse_block_body(&mut self) -> (Body, Span, Span, bool) {
        if !self.enter() {
            let span = self.skip_balanced();
            let rbrace = Span::new(span.end.saturating_sub(1), span.end);
            return (
                Body::default(),
                Span::new(span.start, span.start + 1),
                rbrace,
                false,
            );
        }
        let lbrace = self.bump().span;
        let body = self.parse_body(TokenKind::RBrace);
        let close = self.expect(TokenKind::RBrace);
        self.leave(1);
        (body, lbrace, close.span, close.kind == TokenKind::RBrace)
    }

    /// `BlockName = IDENT { "." IDENT } [ STRING ]`, with the recovery of §3.4 rules 3 and 8.
    fn parse_block_name(&mut self) -> Option<BlockName> {
        if !self.at(TokenKind::Ident) {
            self.error_expected("identifier");
            return None;
        }
        let first = self.bump();
        let mut fragments = vec![Ident {
            name: first.text,
            span: first.span,
        }];
        while self.at(TokenKind::Dot) {
            self.bump();
            if !self.at(TokenKind::Ident) {
                self.error_expected("identifier");
            }
            let part = self.bump();
            fragments.push(Ident {
                name: part.text,
                span: part.span,
            });
        }

        let mut label = None;
        let mut label_span = None;
        if !self.at(TokenKind::Assign) && !self.at(TokenKind::LBrace) {
            if self.at(TokenKind::String) {
                let literal = self.tok.text.clone();
                if !literal.starts_with('"') {
                    self.error(format!(
                        "expected block label to be a double quoted string, but got {}",
                        quote(&literal)
                    ));
                }
                let mut chars = literal.chars();
                chars.next();
                chars.next_back();
                let text = chars.as_str();
                if !text.is_empty() {
                    if !is_valid_identifier(text) {
                        self.error(format!(
                            "expected block label to be a valid identifier, but got {}",
                            quote(text)
                        ));
                    }
                    label = Some(Label {
                        text: text.to_string(),
                        span: self.tok.span,
                    });
                }
                label_span = Some(self.tok.span);
            } else {
                self.error_expected("block label");
            }
            self.bump();
        }
        Some(BlockName {
            fragments,
            label,
            label_span,
        })
    }

    /// `Expression = Binary(1)`.
    fn parse_expr(&mut self) -> Node {
        self.parse_binary(1)
    }

    /// Left-associative binary operators of precedence `min_prec` and above (§3.2).
    fn parse_binary(&mut self, min_prec: u8) -> Node {
        let mut lhs = self.parse_pow();
        loop {
            let Some(op) = binary_op(self.tok.kind) else {
                return lhs;
            };
            let prec = op.precedence();
            if prec < min_prec {
                return lhs;
            }
            let op_span = self.tok.span;
            let op_start = self.tok.span.start;
            self.bump();
            let rhs = self.parse_binary(prec + 1);
            let depth = 1 + lhs.depth.max(rhs.depth);
            if depth > MAX_TREE_DEPTH {
                self.error_at_depth_limit(op_start);
                return lhs;
            }
            let span = lhs.expr.span.to(rhs.expr.span);
            lhs = Node {
                expr: Expr {
                    kind: ExprKind::Binary {
                        op,
                        op_span,
                        lhs: Box::new(lhs.expr),
                        rhs: Box::new(rhs.expr),
                    },
                    span,
                },
                depth,
            };
        }
    }

    /// Report that the tree would grow deeper than [`MAX_TREE_DEPTH`] at the operator at
    /// `offset`, and skip the rest of the expression.
    fn error_at_depth_limit(&mut self, offset: usize) {
        let line = self.src.position(offset).line;
        if self.last_error_line != Some(line) {
            self.last_error_line = Some(line);
            self.push(Span::point(offset), NESTED_TOO_DEEPLY.to_string());
        }
        self.skip_expression_rest();
    }

    /// `Pow = Unary [ "^" Pow ]` (right-associative), parsed iteratively.
    fn parse_pow(&mut self) -> Node {
        let first = self.parse_unary();
        if !self.at(TokenKind::Caret) {
            return first;
        }
        let mut max_depth = first.depth;
        let mut operands = vec![first];
        let mut ops = Vec::new();
        while self.at(TokenKind::Caret) {
            let op_span = self.bump().span;
            let rhs = self.parse_unary();
            let deepest = max_depth.max(rhs.depth);
            if deepest.saturating_add(u32::try_from(ops.len() + 1).unwrap_or(u32::MAX))
                > MAX_TREE_DEPTH
            {
                self.error_at_depth_limit(op_span.start);
                break;
            }
            max_depth = deepest;
            ops.push(op_span);
            operands.push(rhs);
        }
        let mut acc = operands
            .pop()
            .unwrap_or_else(|| Node::null(Span::point(self.tok.span.start)));
        while let (Some(op_span), Some(lhs)) = (ops.pop(), operands.pop()) {
            let span = lhs.expr.span.to(acc.expr.span);
            acc = Node {
                depth: 1 + lhs.depth.max(acc.depth),
                expr: Expr {
                    kind: ExprKind::Binary {
                        op: BinaryOp::Pow,
                        op_span,
                        lhs: Box::new(lhs.expr),
                        rhs: Box::new(acc.expr),
                    },
                    span,
                },
            };
        }
        acc
    }

    /// `Unary = ( "!" | "-" ) Unary | Postfix`, parsed iteratively; each operator is one
    /// nesting level.
    fn parse_unary(&mut self) -> Node {
        let mut ops: Vec<(UnaryOp, Span)> = Vec::new();
        loop {
            let op = match self.tok.kind {
                TokenKind::Not => UnaryOp::Not,
                TokenKind::Minus => UnaryOp::Neg,
                _ => break,
            };
            if !self.enter() {
                let start = self.tok.span.start;
                self.leave(ops.len());
                self.skip_expression_rest();
                return Node::null(Span::point(start));
            }
            ops.push((op, self.bump().span));
        }
        if ops.is_empty() {
            return self.parse_postfix();
        }
        let mut node = self.parse_postfix();
        self.leave(ops.len());
        let levels = u32::try_from(ops.len()).unwrap_or(u32::MAX);
        if node.depth.saturating_add(levels) > MAX_TREE_DEPTH {
            let start = ops
                .first()
                .map_or(node.expr.span.start, |(_, span)| span.start);
            self.error_at_depth_limit(start);
            return Node::null(Span::point(start));
        }
        while let Some((op, op_span)) = ops.pop() {
            let span = op_span.to(node.expr.span);
            node = Node {
                depth: node.depth + 1,
                expr: Expr {
                    kind: ExprKind::Unary {
                        op,
                        operand: Box::new(node.expr),
                    },
                    span,
                },
            };
        }
        node
    }

    /// `Postfix = Primary { "." IDENT | "[" Expression "]" | "(" [ List ] ")" }`, plus the
    /// block-used-as-value recovery of §3.4 rule 9.
    fn parse_postfix(&mut self) -> Node {
        let mut node = self.parse_primary();
        loop {
            let op_start = self.tok.span.start;
            let next = match self.tok.kind {
                TokenKind::Dot => {
                    if node.depth >= MAX_TREE_DEPTH {
                        self.error_at_depth_limit(op_start);
                        return node;
                    }
                    self.bump();
                    let name = self.expect(TokenKind::Ident);
                    let span = node.expr.span.to(name.span);
                    let depth = node.depth + 1;
                    let kind = ExprKind::Access {
                        value: Box::new(node.expr),
                        name: Ident {
                            name: name.text,
                            span: name.span,
                        },
                    };
                    Node {
                        expr: Expr { kind, span },
                        depth,
                    }
                }
                TokenKind::LBrack => {
                    if !self.enter() {
                        self.skip_balanced();
                        continue;
                    }
                    self.bump();
                    let index = self.parse_expr();
                    let close = self.expect(TokenKind::RBrack);
                    self.leave(1);
                    let depth = 1 + node.depth.max(index.depth);
                    if depth > MAX_TREE_DEPTH {
                        self.error_at_depth_limit(op_start);
                        return node;
                    }
                    let span = node.expr.span.to(close.span);
                    let kind = ExprKind::Index {
                        value: Box::new(node.expr),
                        index: Box::new(index.expr),
                    };
                    Node {
                        expr: Expr { kind, span },
                        depth,
                    }
                }
                TokenKind::LParen => {
                    if !self.enter() {
                        self.skip_balanced();
                        continue;
                    }
                    self.bump();
                    let args = if self.at(TokenKind::RParen) {
                        Vec::new()
                    } else {
                        self.parse_list(TokenKind::RParen)
                    };
                    let close = self.expect(TokenKind::RParen);
                    self.leave(1);
                    let depth = 1 + args
                        .iter()
                        .map(|a| a.depth)
                        .max()
                        .unwrap_or(0)
                        .max(node.depth);
                    if depth > MAX_TREE_DEPTH {
                        self.error_at_depth_limit(op_start);
                        return node;
                    }
                    let span = node.expr.span.to(close.span);
                    let kind = ExprKind::Call {
                        func: Box::new(node.expr),
                        args: args.into_iter().map(|a| a.expr).collect(),
                    };
                    Node {
                        expr: Expr { kind, span },
                        depth,
                    }
                }
                TokenKind::String | TokenKind::LBrace => {
                    if !self.block_as_expression(node.expr.span) {
                        return node;
                    }
                    continue;
                }
                _ => return node,
            };
            node = next;
        }
    }

    /// A `STRING` or `{` right after an operand that starts at `value`: try to parse
    /// `[STRING] "{" Body "}"` (§3.4 rule 9). Returns whether parsing of the operand may go on.
    fn block_as_expression(&mut self, value: Span) -> bool {
        if self.at(TokenKind::String) {
            self.bump();
        }
        if !self.at(TokenKind::LBrace) {
            self.expect(TokenKind::LBrace);
            self.consume_statement();
            return false;
        }
        let (_, _, rbrace, closed) = self.parse_block_body();
        if !closed {
            self.consume_statement();
            return false;
        }
        self.always_error(value.to(rbrace), "cannot use a block as an expression");
        true
    }

    /// `Primary = IDENT | NUMBER | FLOAT | STRING | BOOL | NULL | "(" Expression ")"
    /// | "[" [ List ] "]" | "{" [ Fields ] "}"`.
    fn parse_primary(&mut self) -> Node {
        match self.tok.kind {
            TokenKind::Ident => {
                let token = self.bump();
                Node::leaf(
                    ExprKind::Ident(Ident {
                        name: token.text,
                        span: token.span,
                    }),
                    token.span,
                )
            }
            TokenKind::Number
            | TokenKind::Float
            | TokenKind::String
            | TokenKind::Bool
            | TokenKind::Null => {
                let token = self.bump();
                let value = self.literal_value(&token);
                Node::leaf(
                    ExprKind::Literal(Literal {
                        value,
                        raw: token.text,
                    }),
                    token.span,
                )
            }
            TokenKind::LParen | TokenKind::LBrack | TokenKind::LBrace => {
                if !self.enter() {
                    let span = self.skip_balanced();
                    return Node::null(span);
                }
                let open = self.bump();
                let node = match open.kind {
                    TokenKind::LParen => {
                        let inner = self.parse_expr();
                        let close = self.expect(TokenKind::RParen);
                        Node {
                            depth: inner.depth + 1,
                            expr: Expr {
                                kind: ExprKind::Paren(Box::new(inner.expr)),
                                span: open.span.to(close.span),
                            },
                        }
                    }
                    TokenKind::LBrack => {
                        let elems = if self.at(TokenKind::RBrack) {
                            Vec::new()
                        } else {
                            self.parse_list(TokenKind::RBrack)
                        };
                        let close = self.expect(TokenKind::RBrack);
                        Node {
                            depth: 1 + elems.iter().map(|e| e.depth).max().unwrap_or(0),
                            expr: Expr {
                                kind: ExprKind::Array(elems.into_iter().map(|e| e.expr).collect()),
                                span: open.span.to(close.span),
                            },
                        }
                    }
                    _ => {
                        let fields = self.parse_fields(TokenKind::RBrace);
                        let close = self.expect(TokenKind::RBrace);
                        Node {
                            depth: 1 + fields.iter().map(|(_, depth)| *depth).max().unwrap_or(0),
                            expr: Expr {
                                kind: ExprKind::Object(
                                    fields.into_iter().map(|(f, _)| f).collect(),
                                ),
                                span: open.span.to(close.span),
                            },
                        }
                    }
                };
                self.leave(1);
                node
            }
            _ => {
                let start = self.tok.span.start;
                self.error_expected("expression");
                self.advance_to_statement_end();
                Node::null(Span::point(start))
            }
        }
    }

    /// The value of a literal token, reporting out-of-range numbers (E2) and strings that are
    /// not UTF-8 after escapes (E5). Lexical errors were already reported by the lexer.
    fn literal_value(&mut self, token: &Token) -> LiteralValue {
        match token.kind {
            TokenKind::Null => LiteralValue::Null,
            TokenKind::Bool => LiteralValue::Bool(token.text == "true"),
            TokenKind::Number => {
                let digits = token.text.trim_start_matches('0');
                if digits.is_empty() {
                    LiteralValue::Int(0)
                } else if let Ok(int) = digits.parse::<i64>() {
                    LiteralValue::Int(int)
                } else if let Ok(uint) = digits.parse::<u64>() {
                    LiteralValue::Uint(uint)
                } else {
                    self.float_value(token, digits)
                }
            }
            TokenKind::Float => self.float_value(token, &token.text),
            _ => match decode_string(&token.text) {
                Ok(text) => LiteralValue::String(text),
                Err(UnquoteError::Utf8(lossy)) => {
                    self.always_error(token.span, INVALID_UTF8_AFTER_ESCAPES);
                    LiteralValue::String(lossy)
                }
                Err(UnquoteError::Syntax(..)) => LiteralValue::String(String::new()),
            },
        }
    }

    fn float_value(&mut self, token: &Token, text: &str) -> LiteralValue {
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => LiteralValue::Float(value),
            Ok(_) => {
                self.always_error(
                    token.span,
                    format!("number literal {} is out of range", token.text),
                );
                LiteralValue::Float(0.0)
            }
            // Malformed (`10E`): the lexer reported it.
            Err(_) => LiteralValue::Float(0.0),
        }
    }

    /// `List = Expression { "," Expression } [ "," ]`, up to (not including) `until`.
    fn parse_list(&mut self, until: TokenKind) -> Vec<Node> {
        let mut items = Vec::new();
        while !self.at(until) && !self.at(TokenKind::Eof) {
            items.push(self.parse_expr());
            if self.at(until) {
                break;
            }
            if !self.at(TokenKind::Comma) {
                self.error("missing ',' in expression list");
            }
            self.bump();
        }
        items
    }

    /// `Fields = Field { "," Field } [ "," ]`, up to (not including) `until`; each field with
    /// the depth of its value.
    fn parse_fields(&mut self, until: TokenKind) -> Vec<(Field, u32)> {
        let mut fields = Vec::new();
        while !self.at(until) && !self.at(TokenKind::Eof) {
            fields.push(self.parse_field());
            if self.at(until) {
                break;
            }
            if !self.at(TokenKind::Comma) {
                self.error("missing ',' in field list");
            }
            self.bump();
        }
        fields
    }

    /// `Field = ( IDENT | STRING ) "=" Expression`.
    fn parse_field(&mut self) -> (Field, u32) {
        let key = match self.tok.kind {
            TokenKind::Ident => {
                let token = self.bump();
                FieldKey {
                    name: token.text.clone(),
                    raw: token.text,
                    quoted: false,
                    span: token.span,
                }
            }
            TokenKind::String => {
                let token = self.bump();
                let name = match decode_string(&token.text) {
                    Ok(name) => name,
                    Err(UnquoteError::Utf8(lossy)) => {
                        self.always_error(token.span, INVALID_UTF8_AFTER_ESCAPES);
                        lossy
                    }
                    Err(UnquoteError::Syntax(..)) => {
                        let mut chars = token.text.chars();
                        chars.next();
                        chars.next_back();
                        chars.as_str().to_string()
                    }
                };
                FieldKey {
                    name,
                    raw: token.text,
                    quoted: true,
                    span: token.span,
                }
            }
            _ => {
                let span = Span::point(self.tok.span.start);
                self.error_expected("field name (string or identifier)");
                self.advance_to(TokenKind::Assign);
                FieldKey {
                    name: String::new(),
                    raw: String::new(),
                    quoted: false,
                    span,
                }
            }
        };
        self.expect(TokenKind::Assign);
        let value = self.parse_expr();
        (
            Field {
                key,
                value: value.expr,
            },
            value.depth,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_zero_messages() {
        assert_eq!(
            leading_zero_message("010").as_deref(),
            Some(
                "number literal 010 has a leading zero: ferroalloy reads it as decimal 10, Grafana Alloy reads it as octal 8"
            )
        );
        assert_eq!(
            leading_zero_message("08").as_deref(),
            Some("number literal 08 has a leading zero: ferroalloy reads it as decimal 8")
        );
        assert_eq!(
            leading_zero_message("00").as_deref(),
            Some(
                "number literal 00 has a leading zero: ferroalloy reads it as decimal 0, Grafana Alloy reads it as octal 0"
            )
        );
        assert_eq!(leading_zero_message("0"), None);
        assert_eq!(leading_zero_message("10"), None);
        assert_eq!(leading_zero_message("0.5"), None);
        assert_eq!(leading_zero_message("\"010\""), None);
    }
}

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
//!   (evaluation, formatting, dropping) is safe too. Functions on the recursive path keep
//!   small frames (expressions travel boxed, node construction lives in helpers): the deepest
//!   input allowed needs about 512 KiB of stack in a debug build.
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
    let expr = (!diagnostics.has_errors()).then_some(*node.expr);
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

/// An expression with the depth of its tree. Boxed, so that parse functions pass a pointer
/// around (small stack frames) and parents take their children without moving them again.
struct Node {
    expr: Box<Expr>,
    depth: u32,
}

impl Node {
    fn leaf(kind: ExprKind, span: Span) -> Self {
        Node {
            expr: Box::new(Expr { kind, span }),
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
            TokenKind::Assign => self.parse_attribute(name).map(Stmt::Attribute),
            TokenKind::LBrace => Some(Stmt::Block(self.parse_block(name))),
            _ => {
                self.statement_without_body(&name);
                None
            }
        }
    }

    /// The `= Expression` of an attribute named `name`, at the `=`.
    fn parse_attribute(&mut self, name: BlockName) -> Option<Attribute> {
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
        Some(Attribute {
            name: ident,
            value: *value,
        })
    }

    /// The `{ Body }` of a block named `name`, at the `{`.
    fn parse_block(&mut self, name: BlockName) -> Block {
        let (body, lbrace, rbrace, _) = self.parse_block_body();
        Block {
            name: name.fragments,
            label: name.label,
            body,
            lbrace,
            rbrace,
        }
    }

    /// §3.4 rule 3: a name followed by neither `=` nor `{`.
    fn statement_without_body(&mut self, name: &BlockName) {
        if name.fragments.len() == 1 && name.label.is_none() {
            self.error_expected("attribute assignment or block body");
        } else {
            self.error_expected("block body");
        }
        self.advance_to(TokenKind::Ident);
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

    // The expression functions below are on the recursive path of nested expressions. Each is
    // kept small, with node construction in separate functions, so that the 200 nesting levels
    // allowed fit in a small stack even in a debug build (no optimisation shares stack slots
    // there).

    /// `Expression = Binary(1)`.
    fn parse_expr(&mut self) -> Node {
        self.parse_binary(1)
    }

    /// The binary operator at the current token, when its precedence is at least `min_prec`.
    fn binary_op_at(&self, min_prec: u8) -> Option<BinaryOp> {
        binary_op(self.tok.kind).filter(|op| op.precedence() >= min_prec)
    }

    /// Consume the current token and return its span.
    fn bump_span(&mut self) -> Span {
        self.bump().span
    }

    /// Left-associative binary operators of precedence `min_prec` and above (§3.2), by
    /// precedence climbing: recursion depth is bounded by the number of precedence levels.
    fn parse_binary(&mut self, min_prec: u8) -> Node {
        let mut lhs = self.parse_pow();
        while let Some(op) = self.binary_op_at(min_prec) {
            let op_span = self.bump_span();
            let rhs = self.parse_binary(op.precedence() + 1);
            match self.make_binary(op, op_span, lhs, rhs) {
                Ok(node) => lhs = node,
                Err(lhs) => return lhs,
            }
        }
        lhs
    }

    /// `lhs op rhs`, or back `lhs` (with E8 reported) when the tree would grow too deep.
    fn make_binary(
        &mut self,
        op: BinaryOp,
        op_span: Span,
        lhs: Node,
        rhs: Node,
    ) -> Result<Node, Node> {
        let depth = 1 + lhs.depth.max(rhs.depth);
        if depth > MAX_TREE_DEPTH {
            self.error_at_depth_limit(op_span.start);
            return Err(lhs);
        }
        let span = lhs.expr.span.to(rhs.expr.span);
        let kind = ExprKind::Binary {
            op,
            op_span,
            lhs: lhs.expr,
            rhs: rhs.expr,
        };
        Ok(Node {
            expr: Box::new(Expr { kind, span }),
            depth,
        })
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

    /// `Pow = Unary [ "^" Pow ]` (right-associative).
    fn parse_pow(&mut self) -> Node {
        let first = self.parse_unary();
        if !self.at(TokenKind::Caret) {
            return first;
        }
        self.parse_pow_chain(first)
    }

    /// The `^ Unary` operands after `first`, collected iteratively and folded from the right.
    fn parse_pow_chain(&mut self, first: Node) -> Node {
        let mut max_depth = first.depth;
        let mut operands = vec![first];
        let mut ops = Vec::new();
        while self.at(TokenKind::Caret) {
            let op_span = self.bump_span();
            let rhs = self.parse_unary();
            let deepest = max_depth.max(rhs.depth);
            let levels = u32::try_from(ops.len() + 1).unwrap_or(u32::MAX);
            if deepest.saturating_add(levels) > MAX_TREE_DEPTH {
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
            let depth = 1 + lhs.depth.max(acc.depth);
            let kind = ExprKind::Binary {
                op: BinaryOp::Pow,
                op_span,
                lhs: lhs.expr,
                rhs: acc.expr,
            };
            acc = Node {
                expr: Box::new(Expr { kind, span }),
                depth,
            };
        }
        acc
    }

    /// `Unary = ( "!" | "-" ) Unary | Postfix`.
    fn parse_unary(&mut self) -> Node {
        if matches!(self.tok.kind, TokenKind::Not | TokenKind::Minus) {
            return self.parse_unary_chain();
        }
        self.parse_postfix()
    }

    /// A run of unary operators, collected iteratively (each one nesting level), then the
    /// operand.
    fn parse_unary_chain(&mut self) -> Node {
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
            ops.push((op, self.bump_span()));
        }
        let node = self.parse_postfix();
        self.leave(ops.len());
        self.make_unary(ops, node)
    }

    /// Apply `ops` (outermost first) to `node`.
    fn make_unary(&mut self, mut ops: Vec<(UnaryOp, Span)>, mut node: Node) -> Node {
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
            let kind = ExprKind::Unary {
                op,
                operand: node.expr,
            };
            node = Node {
                expr: Box::new(Expr { kind, span }),
                depth: node.depth + 1,
            };
        }
        node
    }

    /// `Postfix = Primary { "." IDENT | "[" Expression "]" | "(" [ List ] ")" }`, plus the
    /// block-used-as-value recovery of §3.4 rule 9.
    fn parse_postfix(&mut self) -> Node {
        let mut node = self.parse_primary();
        loop {
            let next = match self.tok.kind {
                TokenKind::Dot => self.parse_access(node),
                TokenKind::LBrack => self.parse_index(node),
                TokenKind::LParen => self.parse_call(node),
                TokenKind::String | TokenKind::LBrace => self.parse_block_as_expression(node),
                _ => return node,
            };
            match next {
                Ok(next) => node = next,
                Err(done) => return done,
            }
        }
    }

    /// `value "." IDENT` at the `.`; `Err` when parsing of the operand stops.
    fn parse_access(&mut self, value: Node) -> Result<Node, Node> {
        if value.depth >= MAX_TREE_DEPTH {
            self.error_at_depth_limit(self.tok.span.start);
            return Err(value);
        }
        self.bump();
        let name = self.expect(TokenKind::Ident);
        let span = value.expr.span.to(name.span);
        let kind = ExprKind::Access {
            value: value.expr,
            name: Ident {
                name: name.text,
                span: name.span,
            },
        };
        Ok(Node {
            expr: Box::new(Expr { kind, span }),
            depth: value.depth + 1,
        })
    }

    /// `value "[" Expression "]"` at the `[`.
    fn parse_index(&mut self, value: Node) -> Result<Node, Node> {
        let open = self.tok.span.start;
        if !self.enter() {
            self.skip_balanced();
            return Ok(value);
        }
        self.bump();
        let index = self.parse_expr();
        let close = self.expect_span(TokenKind::RBrack);
        self.leave(1);
        let depth = 1 + value.depth.max(index.depth);
        if depth > MAX_TREE_DEPTH {
            self.error_at_depth_limit(open);
            return Err(value);
        }
        let span = value.expr.span.to(close);
        let kind = ExprKind::Index {
            value: value.expr,
            index: index.expr,
        };
        Ok(Node {
            expr: Box::new(Expr { kind, span }),
            depth,
        })
    }

    /// `func "(" [ List ] ")"` at the `(`.
    fn parse_call(&mut self, func: Node) -> Result<Node, Node> {
        let open = self.tok.span.start;
        if !self.enter() {
            self.skip_balanced();
            return Ok(func);
        }
        self.bump();
        let args = if self.at(TokenKind::RParen) {
            Vec::new()
        } else {
            self.parse_list(TokenKind::RParen)
        };
        let close = self.expect_span(TokenKind::RParen);
        self.leave(1);
        let depth = 1 + args
            .iter()
            .map(|a| a.depth)
            .max()
            .unwrap_or(0)
            .max(func.depth);
        if depth > MAX_TREE_DEPTH {
            self.error_at_depth_limit(open);
            return Err(func);
        }
        let span = func.expr.span.to(close);
        let kind = ExprKind::Call {
            func: func.expr,
            args: args.into_iter().map(|a| *a.expr).collect(),
        };
        Ok(Node {
            expr: Box::new(Expr { kind, span }),
            depth,
        })
    }

    /// A `STRING` or `{` right after an operand: try to parse `[STRING] "{" Body "}"` (§3.4
    /// rule 9). `Ok` (the operand unchanged) when it parsed as a block, so parsing goes on.
    fn parse_block_as_expression(&mut self, value: Node) -> Result<Node, Node> {
        if self.at(TokenKind::String) {
            self.bump();
        }
        if !self.at(TokenKind::LBrace) {
            self.expect(TokenKind::LBrace);
            self.consume_statement();
            return Err(value);
        }
        let (_, _, rbrace, closed) = self.parse_block_body();
        if !closed {
            self.consume_statement();
            return Err(value);
        }
        self.always_error(
            value.expr.span.to(rbrace),
            "cannot use a block as an expression",
        );
        Ok(value)
    }

    /// Consume the current token, reporting `expected <kind>, got <T>` when it is not `kind`,
    /// and return its span.
    fn expect_span(&mut self, kind: TokenKind) -> Span {
        self.expect(kind).span
    }

    /// `Primary = IDENT | NUMBER | FLOAT | STRING | BOOL | NULL | "(" Expression ")"
    /// | "[" [ List ] "]" | "{" [ Fields ] "}"`.
    fn parse_primary(&mut self) -> Node {
        match self.tok.kind {
            TokenKind::Ident
            | TokenKind::Number
            | TokenKind::Float
            | TokenKind::String
            | TokenKind::Bool
            | TokenKind::Null => self.parse_leaf(),
            TokenKind::LParen | TokenKind::LBrack | TokenKind::LBrace => {
                if !self.enter() {
                    let span = self.skip_balanced();
                    return Node::null(span);
                }
                let node = match self.tok.kind {
                    TokenKind::LParen => self.parse_paren(),
                    TokenKind::LBrack => self.parse_array(),
                    _ => self.parse_object(),
                };
                self.leave(1);
                node
            }
            _ => self.missing_operand(),
        }
    }

    /// An identifier or a literal.
    fn parse_leaf(&mut self) -> Node {
        let token = self.bump();
        if token.kind == TokenKind::Ident {
            return Node::leaf(
                ExprKind::Ident(Ident {
                    name: token.text,
                    span: token.span,
                }),
                token.span,
            );
        }
        let value = self.literal_value(&token);
        Node::leaf(
            ExprKind::Literal(Literal {
                value,
                raw: token.text,
            }),
            token.span,
        )
    }

    /// `"(" Expression ")"` at the `(`.
    fn parse_paren(&mut self) -> Node {
        let open = self.bump_span();
        let inner = self.parse_expr();
        let close = self.expect_span(TokenKind::RParen);
        Node {
            depth: inner.depth + 1,
            expr: Box::new(Expr {
                kind: ExprKind::Paren(inner.expr),
                span: open.to(close),
            }),
        }
    }

    /// `"[" [ List ] "]"` at the `[`.
    fn parse_array(&mut self) -> Node {
        let open = self.bump_span();
        let elems = if self.at(TokenKind::RBrack) {
            Vec::new()
        } else {
            self.parse_list(TokenKind::RBrack)
        };
        let close = self.expect_span(TokenKind::RBrack);
        let depth = 1 + elems.iter().map(|e| e.depth).max().unwrap_or(0);
        let kind = ExprKind::Array(elems.into_iter().map(|e| *e.expr).collect());
        Node {
            expr: Box::new(Expr {
                kind,
                span: open.to(close),
            }),
            depth,
        }
    }

    /// `"{" [ Fields ] "}"` at the `{`.
    fn parse_object(&mut self) -> Node {
        let open = self.bump_span();
        let fields = self.parse_fields(TokenKind::RBrace);
        let close = self.expect_span(TokenKind::RBrace);
        let depth = 1 + fields.iter().map(|(_, depth)| *depth).max().unwrap_or(0);
        let kind = ExprKind::Object(fields.into_iter().map(|(f, _)| f).collect());
        Node {
            expr: Box::new(Expr {
                kind,
                span: open.to(close),
            }),
            depth,
        }
    }

    /// A missing operand (§3.4 rule 5): `null` in its place.
    fn missing_operand(&mut self) -> Node {
        let start = self.tok.span.start;
        self.error_expected("expression");
        self.advance_to_statement_end();
        Node::null(Span::point(start))
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
        let key = self.parse_field_key();
        self.expect_span(TokenKind::Assign);
        let value = self.parse_expr();
        (
            Field {
                key,
                value: *value.expr,
            },
            value.depth,
        )
    }

    /// `IDENT | STRING` before a field's `=`; anything else is rule 8: skip to the `=`.
    fn parse_field_key(&mut self) -> FieldKey {
        match self.tok.kind {
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
        }
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

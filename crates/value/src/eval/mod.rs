//! Expression evaluation over a [`Scope`] (syntax §4, §5).
//!
//! Design decisions:
//! - Errors are positioned diagnostics with the message shape `<expr><path> <detail>` of
//!   syntax §5. `<expr>` is the source expression printed on one line by the formatter
//!   ([`ferroalloy_syntax::format::format_expr_inline`]). When a problem lies inside a value
//!   (a function argument, a decoded attribute), [`Evaluator::error_at`] walks the route to it
//!   down through literal arrays and objects only, so the message names the deepest expression
//!   that produced the offending part directly (`key_value.object.field1[2]`,
//!   `"Hello, world!"`), never looking through parentheses or field access.
//! - Operands and arguments are evaluated left to right and the first error ends the
//!   expression; `&&` and `||` short-circuit (D2).
//! - Evaluation recurses over the tree, bounded by [`MAX_DEPTH`] (the parser already limits
//!   bracket nesting to 200, E8, but `^` chains and trees built by hand are not limited). At the
//!   limit the recursion uses about 1.2 MB of stack in a debug build and 0.3 MB in release, so
//!   it fits the 2 MiB stacks of test and tokio worker threads. Chains of left-associative
//!   binary operators (`a + b + c + …`), the common unbounded nesting, are evaluated
//!   iteratively and cost one level however long they are.
//! - Names, field accesses and indexes borrow from the scope until the final value: `a.b.c`
//!   copies the value of `c`, not the objects around it.
//! - Integer arithmetic never wraps and float results are finite (E2); the `operators` module
//!   holds the rules of §4.2–§4.4 on values, the evaluator decides where errors are reported.

mod operators;
mod scope;

pub use scope::Scope;

use std::borrow::Cow;

use ferroalloy_syntax::ast::{BinaryOp, Expr, ExprKind, Field, Ident, LiteralValue, UnaryOp};
use ferroalloy_syntax::{Diagnostic, SourceFile, Span};

use crate::value::{FunctionError, Number, Object, PathSegment, Value, ValuePath};
use operators::OpError;

/// How deeply expressions may nest during evaluation before it stops with
/// `expression nested too deeply` (a left-associative operator chain counts once).
pub const MAX_DEPTH: usize = 512;

type EvalResult = Result<Value, Box<Diagnostic>>;

static NULL: Value = Value::Null;

/// Evaluates expressions of one source file.
pub struct Evaluator<'a> {
    src: &'a SourceFile,
    scope: &'a Scope,
}

impl<'a> Evaluator<'a> {
    /// An evaluator for expressions parsed from `src`, resolving names in `scope`.
    pub fn new(src: &'a SourceFile, scope: &'a Scope) -> Self {
        Self { src, scope }
    }

    /// The source file diagnostics point into.
    pub fn source(&self) -> &'a SourceFile {
        self.src
    }

    /// The scope names resolve in.
    pub fn scope(&self) -> &'a Scope {
        self.scope
    }

    /// Evaluate; the error is a positioned diagnostic with the exact message of the spec.
    pub fn eval(&self, expr: &Expr) -> Result<Value, Diagnostic> {
        self.eval_at(expr, 0).map_err(|d| *d)
    }

    /// The diagnostic for a problem found in the value of `expr` at `path` (e.g. a conversion
    /// error while decoding): walks `path` down through literal object/array expressions of
    /// `expr` as far as they go (not into parentheses: `(5)` stays `(5)`; not through access:
    /// `{a = 1}.a` stays whole), prints that sub-expression with
    /// [`ferroalloy_syntax::format::format_expr_inline`] followed by the remaining path, then the
    /// message; spans the sub-expression.
    pub fn error_at(&self, expr: &Expr, path: &ValuePath, message: &str) -> Diagnostic {
        let (target, rest) = descend(expr, &path.0);
        let rest = ValuePath(rest.to_vec());
        let text = format!("{}{} {}", expr_text(target), rest, message);
        Diagnostic::error(self.src, target.span, text)
    }

    // The recursive functions below keep their frames small (recursion depth is bounded, but
    // stacks of worker threads are too): every message is built in a separate cold function.

    fn eval_at(&self, expr: &Expr, depth: usize) -> EvalResult {
        if depth >= MAX_DEPTH {
            return Err(self.too_deep(expr));
        }
        let depth = depth + 1;
        match &expr.kind {
            ExprKind::Literal(literal) => Ok(literal_value(&literal.value)),
            ExprKind::Ident(_)
            | ExprKind::Access { .. }
            | ExprKind::Index { .. }
            | ExprKind::Paren(_) => self.place(expr, depth).map(Cow::into_owned),
            ExprKind::Array(elements) => self.array(elements, depth),
            ExprKind::Object(fields) => self.object(fields, depth),
            ExprKind::Call { func, args } => self.call(func, args, depth),
            ExprKind::Unary { op, operand } => self.unary(expr, *op, operand, depth),
            ExprKind::Binary { .. } => self.binary_chain(expr, depth),
        }
    }

    #[inline(never)]
    fn array(&self, elements: &[Expr], depth: usize) -> EvalResult {
        let mut values = Vec::with_capacity(elements.len());
        for element in elements {
            values.push(self.eval_at(element, depth)?);
        }
        Ok(Value::Array(values))
    }

    #[inline(never)]
    fn object(&self, fields: &[Field], depth: usize) -> EvalResult {
        let mut object = Object::new();
        for field in fields {
            let value = self.eval_at(&field.value, depth)?;
            object.insert(field.key.name.clone(), value);
        }
        Ok(Value::Object(object))
    }

    #[inline(never)]
    fn unary(&self, expr: &Expr, op: UnaryOp, operand: &Expr, depth: usize) -> EvalResult {
        let value = self.eval_at(operand, depth)?;
        operators::unary(op, value)
            .map_err(|e| self.op_error(e, operand, Span::point(expr.span.start), operand))
    }

    /// Evaluate a name, a field access, an index or a parenthesized expression, borrowing from
    /// the scope where possible: `a.b.c` copies only the value of `c`, not the objects around it.
    #[inline(never)]
    fn place(&self, expr: &Expr, depth: usize) -> Result<Cow<'a, Value>, Box<Diagnostic>> {
        if depth >= MAX_DEPTH {
            return Err(self.too_deep(expr));
        }
        let depth = depth + 1;
        match &expr.kind {
            ExprKind::Ident(ident) => match self.scope.resolve(&ident.name) {
                Some(value) => Ok(Cow::Borrowed(value)),
                None => Err(self.unknown_identifier(ident)),
            },
            ExprKind::Access { value, name } => match self.place(value, depth)? {
                Cow::Borrowed(base) => self.field(base, value, name).map(Cow::Borrowed),
                Cow::Owned(base) => self.field(&base, value, name).cloned().map(Cow::Owned),
            },
            ExprKind::Index { value, index } => self.place_index(value, index, depth),
            ExprKind::Paren(inner) => self.place(inner, depth),
            _ => self.eval_at(expr, depth).map(Cow::Owned),
        }
    }

    #[inline(never)]
    fn place_index(
        &self,
        value: &Expr,
        index: &Expr,
        depth: usize,
    ) -> Result<Cow<'a, Value>, Box<Diagnostic>> {
        let base = self.place(value, depth)?;
        let key = self.eval_at(index, depth)?;
        match base {
            Cow::Borrowed(base) => self.index(base, value, &key, index).map(Cow::Borrowed),
            Cow::Owned(base) => self
                .index(&base, value, &key, index)
                .cloned()
                .map(Cow::Owned),
        }
    }

    /// `base.name` (syntax §4.5); `base_expr` is the expression that produced `base`.
    fn field<'v>(
        &self,
        base: &'v Value,
        base_expr: &Expr,
        name: &Ident,
    ) -> Result<&'v Value, Box<Diagnostic>> {
        match base {
            Value::Object(object) => match object.get(&name.name) {
                Some(value) => Ok(value),
                None => Err(self.missing_field(name)),
            },
            other => Err(self.not_an_object(other, base_expr, name)),
        }
    }

    /// `base[key]` (syntax §4.5); `base_expr` and `key_expr` produced `base` and `key`.
    fn index<'v>(
        &self,
        base: &'v Value,
        base_expr: &Expr,
        key: &Value,
        key_expr: &Expr,
    ) -> Result<&'v Value, Box<Diagnostic>> {
        match (base, key) {
            (Value::Array(elements), Value::Number(number)) => {
                let position = truncate_index(*number);
                match usize::try_from(position).ok().and_then(|i| elements.get(i)) {
                    Some(element) => Ok(element),
                    None => Err(self.out_of_range(position, elements.len(), key_expr)),
                }
            }
            (Value::Array(_), other) => Err(self.type_error_on(key_expr, "number", other)),
            // A missing key yields null.
            (Value::Object(object), Value::String(name)) => Ok(object.get(name).unwrap_or(&NULL)),
            (Value::Object(_), other) => Err(self.type_error_on(key_expr, "string", other)),
            (other, _) => Err(self.not_indexable(other, base_expr)),
        }
    }

    /// `func(args)` (syntax §4.5, §7 intro).
    #[inline(never)]
    fn call(&self, func: &Expr, args: &[Expr], depth: usize) -> EvalResult {
        let function = match self.eval_at(func, depth)? {
            Value::Function(function) => function,
            other => return Err(self.type_error_on(func, "function", &other)),
        };
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.eval_at(arg, depth)?);
        }
        (function.call)(&values).map_err(|error| self.function_error(error, func, args))
    }

    /// A binary expression and every binary expression down its left spine, evaluated
    /// iteratively so that long chains (`a + b + c + …`) do not deepen the recursion.
    #[inline(never)]
    fn binary_chain(&self, expr: &Expr, depth: usize) -> EvalResult {
        let mut spine = Vec::new();
        let mut leftmost = expr;
        while let ExprKind::Binary { lhs, .. } = &leftmost.kind {
            spine.push(leftmost);
            leftmost = lhs;
        }
        let mut acc = self.eval_at(leftmost, depth)?;
        for node in spine.into_iter().rev() {
            if let ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } = &node.kind
            {
                acc = self.binary(*op, *op_span, lhs, acc, rhs, depth)?;
            }
        }
        Ok(acc)
    }

    /// Apply `op` to the evaluated left operand and the right operand expression.
    fn binary(
        &self,
        op: BinaryOp,
        op_span: Span,
        lhs_expr: &Expr,
        lhs: Value,
        rhs_expr: &Expr,
        depth: usize,
    ) -> EvalResult {
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            return self.logical(op, lhs_expr, lhs, rhs_expr, depth);
        }
        let rhs = self.eval_at(rhs_expr, depth)?;
        operators::binary(op, lhs, rhs).map_err(|e| self.op_error(e, lhs_expr, op_span, rhs_expr))
    }

    /// `&&` and `||`, short-circuiting (D2): the left operand is checked first and may decide
    /// the result alone; otherwise the result is the right operand, which must be a bool too.
    #[inline(never)]
    fn logical(
        &self,
        op: BinaryOp,
        lhs_expr: &Expr,
        lhs: Value,
        rhs_expr: &Expr,
        depth: usize,
    ) -> EvalResult {
        match (op, &lhs) {
            (BinaryOp::And, Value::Bool(false)) | (BinaryOp::Or, Value::Bool(true)) => Ok(lhs),
            (_, Value::Bool(_)) => match self.eval_at(rhs_expr, depth)? {
                rhs @ Value::Bool(_) => Ok(rhs),
                rhs => Err(self.operand_error(op, &rhs, rhs_expr)),
            },
            _ => Err(self.operand_error(op, &lhs, lhs_expr)),
        }
    }

    // ---- diagnostics ----

    #[cold]
    #[inline(never)]
    fn error(&self, span: Span, message: impl Into<String>) -> Box<Diagnostic> {
        Box::new(Diagnostic::error(self.src, span, message))
    }

    #[cold]
    #[inline(never)]
    fn error_on(&self, expr: &Expr, message: &str) -> Box<Diagnostic> {
        Box::new(self.error_at(expr, &ValuePath::root(), message))
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&self, expr: &Expr) -> Box<Diagnostic> {
        self.error(expr.span, "expression nested too deeply")
    }

    #[cold]
    #[inline(never)]
    fn unknown_identifier(&self, ident: &Ident) -> Box<Diagnostic> {
        self.error(
            ident.span,
            format!("identifier {:?} does not exist", ident.name),
        )
    }

    #[cold]
    #[inline(never)]
    fn missing_field(&self, name: &Ident) -> Box<Diagnostic> {
        self.error(name.span, format!("field {:?} does not exist", name.name))
    }

    #[cold]
    #[inline(never)]
    fn not_an_object(&self, base: &Value, base_expr: &Expr, name: &Ident) -> Box<Diagnostic> {
        let message = format!(
            "cannot access field {:?} on value of type {}",
            name.name,
            base.value_type()
        );
        self.error_on(base_expr, &message)
    }

    #[cold]
    #[inline(never)]
    fn not_indexable(&self, base: &Value, base_expr: &Expr) -> Box<Diagnostic> {
        let message = format!("expected object or array, got {}", base.value_type());
        self.error_on(base_expr, &message)
    }

    #[cold]
    #[inline(never)]
    fn out_of_range(&self, position: i128, len: usize, key_expr: &Expr) -> Box<Diagnostic> {
        let message = format!("index {position} is out of range of array with length {len}");
        self.error_on(key_expr, &message)
    }

    #[cold]
    #[inline(never)]
    fn type_error_on(&self, expr: &Expr, want: &str, got: &Value) -> Box<Diagnostic> {
        self.error_on(expr, &format!("should be {want}, got {}", got.value_type()))
    }

    #[cold]
    #[inline(never)]
    fn operand_error(&self, op: BinaryOp, operand: &Value, expr: &Expr) -> Box<Diagnostic> {
        let message = operators::operand_type_error(op, operand).unwrap_or_default();
        self.error_on(expr, &message)
    }

    #[cold]
    #[inline(never)]
    fn function_error(&self, error: FunctionError, func: &Expr, args: &[Expr]) -> Box<Diagnostic> {
        match error {
            FunctionError::Argument {
                index,
                path,
                message,
            } => match args.get(index) {
                Some(arg) => Box::new(self.error_at(arg, &path, &message)),
                // A function naming an argument it was not given: report it at the callee.
                None => self.error_on(func, &message),
            },
            FunctionError::Call(message) => self.error_on(func, &message),
        }
    }

    #[cold]
    #[inline(never)]
    fn op_error(&self, error: OpError, lhs: &Expr, op_span: Span, rhs: &Expr) -> Box<Diagnostic> {
        match error {
            OpError::Lhs(message) => self.error_on(lhs, &message),
            OpError::Rhs(message) => self.error_on(rhs, &message),
            OpError::Operator(message) => self.error(op_span, message),
        }
    }
}

/// The value of a literal.
fn literal_value(literal: &LiteralValue) -> Value {
    match literal {
        LiteralValue::Null => Value::Null,
        LiteralValue::Bool(b) => Value::Bool(*b),
        LiteralValue::Int(n) => Value::Number(Number::Int(*n)),
        LiteralValue::Uint(n) => Value::Number(Number::Uint(*n)),
        LiteralValue::Float(f) => Value::Number(Number::Float(*f)),
        LiteralValue::String(s) => Value::String(s.clone()),
    }
}

/// An array index truncated toward zero (floats beyond the `i64` range saturate).
fn truncate_index(number: Number) -> i128 {
    match number {
        Number::Int(n) => i128::from(n),
        Number::Uint(n) => i128::from(n),
        Number::Float(f) => i128::from(f as i64),
    }
}

/// Follow `path` into literal arrays and objects of `expr` as far as they go; returns the
/// deepest expression reached and the part of the path left over.
fn descend<'e, 'p>(expr: &'e Expr, path: &'p [PathSegment]) -> (&'e Expr, &'p [PathSegment]) {
    let mut target = expr;
    let mut rest = path;
    while let Some((segment, tail)) = rest.split_first() {
        let next = match (&target.kind, segment) {
            (ExprKind::Array(elements), PathSegment::Index(i)) => elements.get(*i),
            // A repeated key keeps the last value, so the last field with the key produced it.
            (ExprKind::Object(fields), PathSegment::Field(name)) => fields
                .iter()
                .rev()
                .find(|f| &f.key.name == name)
                .map(|f| &f.value),
            _ => None,
        };
        match next {
            Some(next) => {
                target = next;
                rest = tail;
            }
            None => break,
        }
    }
    (target, rest)
}

/// An expression printed on one line, as messages show it.
fn expr_text(expr: &Expr) -> String {
    ferroalloy_syntax::format::format_expr_inline(expr)
}

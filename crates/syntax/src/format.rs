//! The formatter (`ferroalloy fmt`, spec syntax §9) and the one-line expression printer used in
//! evaluation messages.
//!
//! Design decisions:
//! - Literals, identifiers and quoted object keys are printed from their source text, never
//!   re-quoted (E10: Alloy re-escapes quoted keys on every run), and raw strings are never
//!   trimmed.
//! - Layout decisions ("starts a new line", trailing commas) compare *source* lines, as the spec
//!   says; alignment decisions (attribute runs, trailing comments) look at the *output* lines, so
//!   that formatting twice gives the same text as formatting once.
//! - Comments are not attached to nodes. The walker sends tokens with their source offsets to a
//!   printer; before a token is written, every comment that starts before it in the source is
//!   written first (on the current line when no line break separated it from the previous
//!   token, else on a line of its own), the way Alloy's printer interleaves them.
//! - A `/* */` comment written before code on the same source line keeps that code on its line,
//!   one space after it (`/* c */ b = 2`, §9 "comments are kept in place"; Alloy's printer writes
//!   a space and no line break): a token asked on a new line stays on the current line when that
//!   line holds only comments, the last is a block comment, and the source has no line break
//!   between it and the token. Two exceptions keep the spec's own-line rules: a closer asked on
//!   a new line always gets one (`/* c */` then `}` below it, where Alloy would write
//!   `/* c */ }`), and a comment that follows code on its line (`b { /* c */ x = 1 }`) stays a
//!   trailing comment with the statement on the next line (statements one per line; Alloy would
//!   write `b { /* c */ x = 1`). A `//` comment always ends the line.
//! - Alignment around such a line follows Alloy's tabwriter, and stays idempotent because it only
//!   depends on what shares an output line, which formatting does not change: a name after
//!   block comments on its line ends the run before it (as a comment-only line does; Alloy
//!   writes a form feed before an own-line comment) and starts a new run, its width counted from
//!   the start of the line, comments included, so the `=` of the names after it line up with its
//!   own (`/* c */ bb = 2` then `ccc        = 3`). A name after a multi-line comment sits on a
//!   continuation line printed as is, whose indentation is not the run's: it is not aligned and
//!   the run ends after it.
//! - Output is built as a list of lines (indent level, text, trailing-comment position); padding
//!   for alignment is inserted in a final pass, then lines are joined with tabs for indentation.
//! - A space is inserted wherever two adjacent tokens would otherwise lex as different tokens
//!   (`1 .a`: written `1.a` it would lex as the float `1.` followed by `a`).

use std::fmt::Write as _;

use crate::ast::{self, Expr, ExprKind, Literal, LiteralValue};
use crate::diagnostic::Diagnostics;
use crate::span::{SourceFile, Span};

/// Format a parsed file (spec syntax §9); output ends with exactly one `\n`.
///
/// `file` must be the tree parsed from `src` (spans index into its text). A file without any
/// statement or comment formats as a single `\n`.
pub fn format_file(file: &ast::File, src: &SourceFile) -> String {
    let mut walker = Walker {
        p: Printer::new(src, &file.comments),
    };
    walker.body(&file.body, 0);
    walker.p.finish()
}

/// Parse then format; any parse error returns every diagnostic.
pub fn format_source(src: &SourceFile) -> Result<String, Diagnostics> {
    let (file, diagnostics) = crate::parser::parse_file(src);
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    Ok(format_file(&file, src))
}

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
        ExprKind::Literal(lit) => is_number_text(&literal_text(lit)),
        _ => false,
    }
}

/// The text of a field key: its source text, or the key re-quoted when the tree was built by
/// hand without one.
fn field_key_text(key: &ast::FieldKey) -> String {
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
    if lit.raw.starts_with('`') && lit.raw.contains('\r') {
        // A raw string's value never holds `\r` (syntax §2.5); dropping it keeps the content
        // and gives a CRLF file plain line ends.
        return lit.raw.replace('\r', "");
    }
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

/// The whitespace the walker asks for before the next token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ws {
    /// Nothing (the token follows directly).
    None,
    /// One space.
    Space,
    /// A line break, the new line indented `level` tabs.
    Newline(usize),
}

/// Whether a blank line may precede the next token when it starts a new line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Blank {
    /// Never (closers, tokens inside a line).
    Never,
    /// Always (a block that is not the first statement of its body).
    Force,
    /// When the source has one between the previous token or comment and this token
    /// (statements).
    Source,
    /// When the source has one and the previous item written was a comment (elements, fields).
    AfterComment,
}

/// What kind of token was written last, for token safety and blank-line rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    /// A `NUMBER` literal: a following `.` would join it.
    Number,
    /// `{`, `[` or `(`: no blank line may follow.
    Opener,
    /// `}`, `]` or `)`: when asked on a new line it always gets one, even after a block comment
    /// that shares its source line (spec syntax §9: the closer goes on its own line).
    Closer,
    /// Anything else.
    Other,
}

/// One output line.
#[derive(Clone, Debug, Default)]
struct Line {
    /// Indentation in tabs (ignored for verbatim lines).
    indent: usize,
    /// The text after the indentation.
    text: String,
    /// A continuation line of a multi-line raw string or block comment: printed as is.
    verbatim: bool,
    /// A multi-line raw string continues past the end of this line: keep trailing blanks.
    keep_trailing: bool,
    /// Byte offset in `text` of the space before a comment that ends the line.
    comment_at: Option<usize>,
}

/// One name that may be padded so that its `=` aligns with the rest of its run.
#[derive(Clone, Copy, Debug)]
struct AlignPoint {
    run: usize,
    line: usize,
    at: usize,
    width: usize,
}

/// Writes tokens and comments into lines; see the module documentation.
struct Printer<'a> {
    src: &'a SourceFile,
    comments: &'a [ast::Comment],
    next_comment: usize,
    lines: Vec<Line>,
    cur: Line,
    /// Whether anything has been written.
    started: bool,
    /// Source offset one past the last token or comment written.
    last_end: usize,
    /// Whether the last item written was a comment.
    last_was_comment: bool,
    /// The last token kind written.
    last_tok: Tok,
    /// An opener was written and no token or own-line comment since.
    just_opened: bool,
    /// A line comment was written: the next token must start a new line.
    need_break: bool,
    /// The current output line holds only comments, the first of which started it.
    comment_line: bool,
    /// Whitespace requested before the next token.
    ws: Ws,
    /// Blank-line rule for the next token.
    blank: Blank,
    /// Level of comments that stand on their own line.
    comment_level: usize,
    /// Alignment candidates, in output order.
    align: Vec<AlignPoint>,
    next_run: usize,
}

impl<'a> Printer<'a> {
    fn new(src: &'a SourceFile, comments: &'a [ast::Comment]) -> Self {
        Self {
            src,
            comments,
            next_comment: 0,
            lines: Vec::new(),
            cur: Line::default(),
            started: false,
            last_end: 0,
            last_was_comment: false,
            last_tok: Tok::Other,
            just_opened: false,
            need_break: false,
            comment_line: false,
            ws: Ws::None,
            blank: Blank::Never,
            comment_level: 0,
            align: Vec::new(),
            next_run: 0,
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.src.position(offset).line
    }

    /// Ask for whitespace before the next token; a line break wins over a space.
    fn want(&mut self, ws: Ws, blank: Blank) {
        match (self.ws, ws) {
            (Ws::Newline(_), Ws::Space | Ws::None) => {}
            (_, Ws::None) => {}
            _ => self.ws = ws,
        }
        if blank != Blank::Never {
            self.blank = blank;
        }
    }

    fn new_run(&mut self) -> usize {
        self.next_run += 1;
        self.next_run
    }

    /// The index of the line being written.
    fn line_index(&self) -> usize {
        self.lines.len()
    }

    /// Record that the text of the current line from byte `from` to byte `to` is a name (with
    /// any comments written after it) that belongs to alignment run `run`: padding goes at `to`.
    fn align_point(&mut self, run: usize, line: usize, from: usize, to: usize) {
        if line != self.lines.len() || from > to {
            return;
        }
        let Some(name) = self.cur.text.get(from..to) else {
            return;
        };
        let width = name.chars().count();
        self.align.push(AlignPoint {
            run,
            line,
            at: to,
            width,
        });
    }

    /// Whether the source has a blank line between byte offsets `from` and `to`.
    fn source_blank_between(&self, from: usize, to: usize) -> bool {
        let text = self.src.text().as_bytes();
        let (from, to) = (from.min(text.len()), to.min(text.len()));
        if from >= to {
            return false;
        }
        let mut newlines = 0;
        for &b in &text[from..to] {
            match b {
                b'\n' => {
                    newlines += 1;
                    if newlines >= 2 {
                        return true;
                    }
                }
                b' ' | b'\t' | b'\r' => {}
                _ => newlines = 0,
            }
        }
        false
    }

    /// Whether the source has a line break between byte offsets `from` and `to`.
    fn source_break_between(&self, from: usize, to: usize) -> bool {
        let text = self.src.text().as_bytes();
        let (from, to) = (from.min(text.len()), to.min(text.len()));
        from < to && text[from..to].contains(&b'\n')
    }

    /// Start a new output line at `level`, after one blank line when `blank`.
    fn new_line(&mut self, level: usize, blank: bool) {
        if !self.started {
            self.cur.indent = level;
            return;
        }
        let done = std::mem::take(&mut self.cur);
        self.lines.push(done);
        if blank {
            self.lines.push(Line::default());
        }
        self.cur.indent = level;
    }

    /// Append text that may span several lines: continuation lines are verbatim.
    fn push_text(&mut self, text: &str, raw_string: bool) {
        let mut parts = text.split('\n');
        if let Some(first) = parts.next() {
            self.cur.text.push_str(first);
        }
        for part in parts {
            if raw_string {
                self.cur.keep_trailing = true;
            }
            let done = std::mem::take(&mut self.cur);
            self.lines.push(done);
            self.cur.verbatim = true;
            self.cur.text.push_str(part);
        }
    }

    /// Write every comment that starts before source offset `pos`.
    fn flush_comments(&mut self, pos: usize) {
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.span.start >= pos {
                break;
            }
            self.next_comment += 1;
            let own_line =
                !self.started || self.source_break_between(self.last_end, comment.span.start);
            if own_line {
                let blank = self.started
                    && !self.just_opened
                    && (self.blank == Blank::Force
                        || self.source_blank_between(self.last_end, comment.span.start));
                if blank && self.blank == Blank::Force {
                    self.blank = Blank::Source;
                }
                self.new_line(self.comment_level, blank);
                self.just_opened = false;
                self.need_break = false;
                self.comment_line = true;
            } else if !self.cur.text.is_empty() {
                if self.cur.comment_at.is_none() {
                    self.cur.comment_at = Some(self.cur.text.len());
                }
                self.cur.text.push(' ');
            }
            self.push_text(&comment.text, false);
            self.started = true;
            self.last_end = comment.span.end;
            self.last_was_comment = true;
            self.last_tok = Tok::Other;
            if comment.text.starts_with("//") {
                self.need_break = true;
            }
        }
    }

    /// Write one token. `pos` is its source offset (`None` for tokens the formatter adds);
    /// `break_level` is the indentation used when a comment forces a line break before it.
    /// Returns the output line and the byte offset in it where the token starts.
    fn tok(
        &mut self,
        pos: Option<usize>,
        text: &str,
        kind: Tok,
        break_level: usize,
    ) -> (usize, usize) {
        if let Some(pos) = pos {
            self.flush_comments(pos);
        }
        let mut ws = std::mem::replace(&mut self.ws, Ws::None);
        let blank_rule = std::mem::replace(&mut self.blank, Blank::Never);
        if self.stays_after_comment(pos, ws, kind) {
            ws = Ws::Space;
        }
        if self.need_break || matches!(ws, Ws::Newline(_)) {
            let level = match ws {
                Ws::Newline(level) => level,
                _ => break_level,
            };
            let source_blank =
                || pos.is_some_and(|pos| self.source_blank_between(self.last_end, pos));
            let blank = self.started
                && !self.just_opened
                && match blank_rule {
                    Blank::Never => false,
                    Blank::Force => true,
                    Blank::Source => source_blank(),
                    Blank::AfterComment => self.last_was_comment && source_blank(),
                };
            self.new_line(level, blank);
        } else if !self.cur.text.is_empty()
            && (ws == Ws::Space
                || self.last_was_comment
                || (self.last_tok == Tok::Number && text.starts_with('.')))
        {
            self.cur.text.push(' ');
        }
        self.need_break = false;
        self.comment_line = false;
        self.cur.comment_at = None;
        let start = (self.lines.len(), self.cur.text.len());
        self.push_text(text, text.starts_with('`'));
        self.started = true;
        if let Some(pos) = pos {
            self.last_end = pos + text.len();
        }
        self.last_was_comment = false;
        self.last_tok = kind;
        self.just_opened = kind == Tok::Opener;
        start
    }

    /// Whether a token asked on a new line stays instead on the line of the block comments
    /// before it, one space after them, as Alloy's printer keeps it: the current output line holds
    /// only comments (the first one started it, so the token still starts its line but for them),
    /// the last one is a `/* */` comment, the source has no line break between it and the token,
    /// the token is not a closer, and the line is indented as the token would be (a continuation
    /// line of a multi-line comment is printed as is and takes the token whatever its level).
    fn stays_after_comment(&self, pos: Option<usize>, ws: Ws, kind: Tok) -> bool {
        let Ws::Newline(level) = ws else {
            return false;
        };
        self.comment_line
            && self.last_was_comment
            && !self.need_break
            && kind != Tok::Closer
            && (self.cur.verbatim || self.cur.indent == level)
            && pos.is_some_and(|pos| !self.source_break_between(self.last_end, pos))
    }

    /// Whether the current output line is a continuation line of a multi-line block comment.
    fn line_is_verbatim(&self) -> bool {
        self.cur.verbatim
    }

    /// Write the comments left at the end of the file and join the lines.
    fn finish(mut self) -> String {
        self.flush_comments(usize::MAX);
        let last = std::mem::take(&mut self.cur);
        self.lines.push(last);
        self.align_names();
        self.align_comments();

        let mut out = String::new();
        for line in &self.lines {
            let start = out.len();
            if !line.verbatim && !line.text.is_empty() {
                out.extend(std::iter::repeat_n('\t', line.indent));
            }
            out.push_str(&line.text);
            if !line.keep_trailing {
                let trimmed = out[start..].trim_end_matches([' ', '\t', '\r']).len();
                out.truncate(start + trimmed);
            }
            out.push('\n');
        }
        let end = out.trim_end_matches(['\n', ' ', '\t', '\r']).len();
        out.truncate(end);
        out.push('\n');
        out
    }

    /// Split the alignment points into runs of names on consecutive lines.
    fn runs(&self) -> Vec<Vec<AlignPoint>> {
        let mut runs: Vec<Vec<AlignPoint>> = Vec::new();
        for point in &self.align {
            match runs.last_mut() {
                Some(run)
                    if run
                        .last()
                        .is_some_and(|p| p.run == point.run && p.line + 1 == point.line) =>
                {
                    run.push(*point)
                }
                _ => runs.push(vec![*point]),
            }
        }
        runs
    }

    /// Pad each name of a run so that every `=` stands one space after the longest name.
    fn align_names(&mut self) {
        for run in self.runs() {
            let widest = run.iter().map(|p| p.width).max().unwrap_or(0);
            for point in run {
                let pad = widest - point.width;
                if pad == 0 {
                    continue;
                }
                if let Some(line) = self.lines.get_mut(point.line)
                    && line.text.is_char_boundary(point.at)
                {
                    line.text.insert_str(point.at, &" ".repeat(pad));
                    if let Some(at) = line.comment_at.as_mut()
                        && *at >= point.at
                    {
                        *at += pad;
                    }
                }
            }
        }
    }

    /// On consecutive lines of one run that each end in a comment, start the comments one space
    /// after the longest code.
    fn align_comments(&mut self) {
        for run in self.runs() {
            let mut i = 0;
            while i < run.len() {
                let has_comment = |p: &AlignPoint| {
                    self.lines
                        .get(p.line)
                        .is_some_and(|l| l.comment_at.is_some())
                };
                if !has_comment(&run[i]) {
                    i += 1;
                    continue;
                }
                let mut j = i;
                while j + 1 < run.len() && has_comment(&run[j + 1]) {
                    j += 1;
                }
                if j > i {
                    let code_width = |line: &Line| {
                        line.comment_at
                            .map_or(0, |at| line.text[..at].chars().count())
                    };
                    let widest = run[i..=j]
                        .iter()
                        .filter_map(|p| self.lines.get(p.line))
                        .map(code_width)
                        .max()
                        .unwrap_or(0);
                    for p in &run[i..=j] {
                        if let Some(line) = self.lines.get_mut(p.line) {
                            let pad = widest - code_width(line);
                            if let Some(at) = line.comment_at {
                                line.text.insert_str(at, &" ".repeat(pad));
                                line.comment_at = Some(at + pad);
                            }
                        }
                    }
                }
                i = j + 1;
            }
        }
    }
}

/// Walks the tree and sends tokens to the [`Printer`].
struct Walker<'a> {
    p: Printer<'a>,
}

impl<'a> Walker<'a> {
    fn line_of(&self, offset: usize) -> usize {
        self.p.line_of(offset)
    }

    /// Whether the source has a comment between byte offsets `from` and `to`.
    fn has_comment_between(&self, from: usize, to: usize) -> bool {
        let comments = self.p.comments;
        let first = comments.partition_point(|c| c.span.start < from);
        comments.get(first).is_some_and(|c| c.span.start < to)
    }

    /// The source offset of the first `byte` between offsets `from` and `to` that is not inside a
    /// comment. Only whitespace, comments and punctuation lie between two nodes, so this finds
    /// the punctuation the tree does not record (`=`, `,`, `.`, `[`, `(`).
    fn find_punct(&self, from: usize, to: usize, byte: u8) -> Option<usize> {
        let text = self.p.src.text().as_bytes();
        let comments = self.p.comments;
        let mut next = comments.partition_point(|c| c.span.start < from);
        let mut i = from;
        while i < to.min(text.len()) {
            if let Some(comment) = comments.get(next)
                && comment.span.start <= i
            {
                i = i.max(comment.span.end);
                next += 1;
                continue;
            }
            if text[i] == byte {
                return Some(i);
            }
            i += 1;
        }
        None
    }

    /// Alignment of a name (attribute or field on a new line) written at byte `name_at` of its
    /// output line: whether it joins an alignment run, and from which byte of the line its
    /// width counts. A name that starts its line joins `run` and counts from itself. A name after
    /// block comments on its line (nothing else can precede it: it was asked on a new line)
    /// starts a new run, as a comment-only line would end the run, and counts from the start of
    /// the line, comments included, so that the `=` of the names after it line up with its own;
    /// after a multi-line comment (a line printed as is, whose indentation is not the run's) it
    /// is not aligned at all.
    fn after_comments(&mut self, run: &mut usize, name_at: usize) -> (bool, usize) {
        if name_at == 0 {
            return (true, name_at);
        }
        *run = self.p.new_run();
        (!self.p.line_is_verbatim(), 0)
    }

    /// The statements of a body at indentation `level`.
    fn body(&mut self, body: &ast::Body, level: usize) {
        let saved = std::mem::replace(&mut self.p.comment_level, level);
        let mut run = self.p.new_run();
        for (i, stmt) in body.stmts.iter().enumerate() {
            match stmt {
                ast::Stmt::Attribute(attr) => {
                    self.p.want(Ws::Newline(level), Blank::Source);
                    let (first_line, name_at) = self.p.tok(
                        Some(attr.name.span.start),
                        &attr.name.name,
                        Tok::Other,
                        level,
                    );
                    let (aligned, from) = self.after_comments(&mut run, name_at);
                    self.p.want(Ws::Space, Blank::Never);
                    let eq = self.find_punct(attr.name.span.end, attr.value.span.start, b'=');
                    let (eq_line, eq_at) = self.p.tok(eq, "=", Tok::Other, level + 1);
                    if aligned && eq_line == first_line {
                        self.p
                            .align_point(run, first_line, from, eq_at.saturating_sub(1));
                    }
                    self.p.want(Ws::Space, Blank::Never);
                    self.expr(&attr.value, level);
                    if !aligned || self.p.line_index() != first_line {
                        run = self.p.new_run();
                    }
                }
                ast::Stmt::Block(block) => {
                    let blank = if i > 0 { Blank::Force } else { Blank::Source };
                    self.p.want(Ws::Newline(level), blank);
                    self.block(block, level);
                    run = self.p.new_run();
                }
            }
        }
        self.p.comment_level = saved;
    }

    fn block(&mut self, block: &ast::Block, level: usize) {
        // Fragments one by one, so that a comment between them stays between them.
        let mut prev: Option<&ast::Ident> = None;
        for part in &block.name {
            if let Some(prev) = prev {
                let dot = self.find_punct(prev.span.end, part.span.start, b'.');
                self.p.tok(dot, ".", Tok::Other, level + 1);
            }
            self.p
                .tok(Some(part.span.start), &part.name, Tok::Other, level + 1);
            prev = Some(part);
        }
        if let Some(label) = &block.label {
            self.p.want(Ws::Space, Blank::Never);
            self.p.tok(
                Some(label.span.start),
                &format!("\"{}\"", label.text),
                Tok::Other,
                level + 1,
            );
        }
        self.p.want(Ws::Space, Blank::Never);
        self.p
            .tok(Some(block.lbrace.start), "{", Tok::Opener, level + 1);
        if block.body.stmts.is_empty() {
            let saved = std::mem::replace(&mut self.p.comment_level, level + 1);
            if self.has_comment_between(block.lbrace.end, block.rbrace.start) {
                self.p.want(Ws::Newline(level), Blank::Never);
            } else {
                self.p.want(Ws::Space, Blank::Never);
            }
            self.p
                .tok(Some(block.rbrace.start), "}", Tok::Closer, level);
            self.p.comment_level = saved;
        } else {
            self.body(&block.body, level + 1);
            let saved = std::mem::replace(&mut self.p.comment_level, level + 1);
            self.p.want(Ws::Newline(level), Blank::Never);
            self.p
                .tok(Some(block.rbrace.start), "}", Tok::Closer, level);
            self.p.comment_level = saved;
        }
    }

    /// An expression at indentation `level` (the level a closer on its own line gets); the
    /// whitespace before its first token has already been requested.
    fn expr(&mut self, expr: &Expr, level: usize) {
        let start = Some(expr.span.start);
        let close = Some(expr.span.end.saturating_sub(1));
        match &expr.kind {
            ExprKind::Literal(lit) => {
                let text = literal_text(lit);
                let kind = if is_number_text(&text) {
                    Tok::Number
                } else {
                    Tok::Other
                };
                self.p.tok(start, &text, kind, level + 1);
            }
            ExprKind::Ident(ident) => {
                self.p.tok(start, &ident.name, Tok::Other, level + 1);
            }
            ExprKind::Array(elems) => {
                self.p.tok(start, "[", Tok::Opener, level + 1);
                let saved = std::mem::replace(&mut self.p.comment_level, level + 1);
                self.list(elems, expr.span.start, expr.span, level);
                self.p.tok(close, "]", Tok::Closer, level);
                self.p.comment_level = saved;
            }
            ExprKind::Object(fields) => {
                self.p.tok(start, "{", Tok::Opener, level + 1);
                let saved = std::mem::replace(&mut self.p.comment_level, level + 1);
                self.object(fields, expr.span, level);
                self.p.tok(close, "}", Tok::Closer, level);
                self.p.comment_level = saved;
            }
            ExprKind::Access { value, name } => {
                self.expr(value, level);
                let dot = self.find_punct(value.span.end, name.span.start, b'.');
                self.p.tok(dot, ".", Tok::Other, level + 1);
                self.p
                    .tok(Some(name.span.start), &name.name, Tok::Other, level + 1);
            }
            ExprKind::Index { value, index } => {
                self.expr(value, level);
                let open = self.find_punct(value.span.end, index.span.start, b'[');
                self.p.tok(open, "[", Tok::Opener, level + 1);
                self.expr(index, level);
                self.p.tok(close, "]", Tok::Closer, level);
            }
            ExprKind::Call { func, args } => {
                self.expr(func, level);
                let open = self.find_punct(func.span.end, expr.span.end, b'(');
                self.p.tok(open, "(", Tok::Opener, level + 1);
                let opener = open.unwrap_or(func.span.end.saturating_sub(1));
                let saved = std::mem::replace(&mut self.p.comment_level, level + 1);
                self.list(args, opener, expr.span, level);
                self.p.tok(close, ")", Tok::Closer, level);
                self.p.comment_level = saved;
            }
            ExprKind::Unary { op, operand } => {
                self.p.tok(start, op.as_str(), Tok::Other, level + 1);
                self.expr(operand, level);
            }
            ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => {
                self.expr(lhs, level);
                self.p.want(Ws::Space, Blank::Never);
                self.p
                    .tok(Some(op_span.start), op.as_str(), Tok::Other, level + 1);
                self.p.want(Ws::Space, Blank::Never);
                self.expr(rhs, level);
            }
            ExprKind::Paren(inner) => {
                self.p.tok(start, "(", Tok::Opener, level + 1);
                self.expr(inner, level);
                self.p.tok(close, ")", Tok::Closer, level);
            }
        }
    }

    /// The elements of an array or the arguments of a call, then the whitespace before the
    /// closer. `opener` is the source offset of the opening bracket, `span` the whole
    /// expression's (its last byte is the closer).
    fn list(&mut self, elems: &[Expr], opener: usize, span: Span, level: usize) {
        let mut prev_line = self.line_of(opener);
        let mut last_comma = None;
        for (i, elem) in elems.iter().enumerate() {
            let new_line = self.line_of(elem.span.start) > prev_line;
            if new_line {
                self.p.want(Ws::Newline(level + 1), Blank::AfterComment);
            } else if i > 0 {
                self.p.want(Ws::Space, Blank::Never);
            }
            self.expr(elem, if new_line { level + 1 } else { level });
            prev_line = self.line_of(elem.span.end.saturating_sub(1));
            let next_start = elems
                .get(i + 1)
                .map_or(span.end.saturating_sub(1), |e| e.span.start);
            let comma = self.find_punct(elem.span.end, next_start, b',');
            if i + 1 < elems.len() {
                self.p.tok(comma, ",", Tok::Other, level + 1);
            } else {
                last_comma = comma;
            }
        }
        if !elems.is_empty() && self.line_of(span.end.saturating_sub(1)) > prev_line {
            self.p.tok(last_comma, ",", Tok::Other, level + 1);
            self.p.want(Ws::Newline(level), Blank::Never);
        }
    }

    /// The fields of an object, then the whitespace before the `}`.
    fn object(&mut self, fields: &[ast::Field], span: Span, level: usize) {
        let inner = level + 1;
        let mut prev_line = self.line_of(span.start);
        let mut run = self.p.new_run();
        let mut last_comma = None;
        for (i, field) in fields.iter().enumerate() {
            let key_line = self.line_of(field.key.span.start);
            let new_line = key_line > prev_line;
            if new_line {
                self.p.want(Ws::Newline(inner), Blank::AfterComment);
            } else {
                // A field that shares a line is never padded and ends the run before it.
                run = self.p.new_run();
                if i > 0 {
                    self.p.want(Ws::Space, Blank::Never);
                }
            }
            let key = field_key_text(&field.key);
            let (first_line, key_at) =
                self.p
                    .tok(Some(field.key.span.start), &key, Tok::Other, inner + 1);
            let (aligned, from) = if new_line {
                self.after_comments(&mut run, key_at)
            } else {
                (false, key_at)
            };
            self.p.want(Ws::Space, Blank::Never);
            let eq = self.find_punct(field.key.span.end, field.value.span.start, b'=');
            let (eq_line, eq_at) = self.p.tok(eq, "=", Tok::Other, inner + 1);
            if aligned && eq_line == first_line {
                self.p
                    .align_point(run, first_line, from, eq_at.saturating_sub(1));
            }
            self.p.want(Ws::Space, Blank::Never);
            self.expr(&field.value, inner);
            if !aligned || self.p.line_index() != first_line {
                run = self.p.new_run();
            }
            prev_line = key_line;
            let next_start = fields
                .get(i + 1)
                .map_or(span.end.saturating_sub(1), |f| f.key.span.start);
            let comma = self.find_punct(field.value.span.end, next_start, b',');
            if i + 1 < fields.len() {
                self.p.tok(comma, ",", Tok::Other, inner + 1);
            } else {
                last_comma = comma;
            }
        }
        if !fields.is_empty() && self.line_of(span.end.saturating_sub(1)) > prev_line {
            self.p.tok(last_comma, ",", Tok::Other, inner + 1);
            self.p.want(Ws::Newline(level), Blank::Never);
        }
    }
}

/// Whether `text` is a `NUMBER` literal (a following `.` would make it a float).
fn is_number_text(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
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

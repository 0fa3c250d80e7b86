//! The lexer: source text to tokens (syntax §1 and §2).
//!
//! Design decisions:
//!
//! - The lexer follows Alloy's scanner step for step, because diagnostics must appear at the
//!   same byte offsets and in the same order: it keeps one character of lookahead and reports
//!   `illegal character NUL` and `illegal byte order mark` at the moment that lookahead moves
//!   onto the offending character, so those errors come with the token being scanned when the
//!   character is read (a NUL right after `abc` is reported while producing `abc`). A NUL byte
//!   is reported once (Alloy reports it a second time as `illegal character U+0000`).
//! - Comments are tokens. A `TERMINATOR` is inserted for a line break after `IDENT`, `NUMBER`,
//!   `FLOAT`, `STRING`, `BOOL`, `NULL`, `)`, `]`, `}`, at the end of input after such a token,
//!   and, when a comment runs to the end of the line, at the comment's position (§2.6), so the
//!   comment follows its line's terminator in the token stream.
//! - The lexer works on `&str`: a [`SourceFile`] is always valid UTF-8. Raw bytes from disk go
//!   through [`decode_source`] first, which strips a UTF-8 byte-order mark, rejects UTF-16 and
//!   UTF-32 files, and replaces each invalid UTF-8 sequence with U+FFFD while recording
//!   `illegal UTF-8 encoding` at its offset in the decoded text; callers turn those into
//!   diagnostics next to the lexer's own. Stripping the BOM makes columns on line 1 match what
//!   an editor shows.
//! - Every loop consumes input, so lexing any text ends at `EOF` in time linear in its length.
//! - Letters are Go's `unicode.IsLetter` (categories L*) and digits Go's `unicode.IsDigit`
//!   (category Nd), from a checked-in Unicode 16 table; ASCII takes a fast path.

use crate::diagnostic::Diagnostic;
use crate::quote::{in_ranges, unicode_description};
use crate::span::{OffsetAnchor, SourceFile, Span};
use crate::token::{Token, TokenKind};

const BOM: char = '\u{FEFF}';

/// The most errors of one kind (lexical, syntax, invalid UTF-8) reported for one text; one more
/// diagnostic says that later ones are not reported. Without a bound, a large binary file would
/// make diagnostics many times its own size.
pub const MAX_ERRORS: usize = 10_000;

/// A streaming tokenizer over one [`SourceFile`]. [`Lexer::next_token`] returns the next token,
/// comments and inserted terminators included, and keeps returning `EOF` once the input is
/// exhausted. Lexical errors are collected and can be read or taken at any time; after
/// [`MAX_ERRORS`] of them, one `too many lexical errors; later ones are not reported` follows
/// and the rest are dropped.
#[derive(Debug)]
pub struct Lexer<'a> {
    src: &'a SourceFile,
    text: &'a str,
    /// The current character, `None` at the end of input.
    ch: Option<char>,
    /// Byte offset of `ch` (the text length at the end of input).
    offset: usize,
    /// Byte offset of the character after `ch`.
    read_offset: usize,
    /// Whether the next line break (or the end of input) becomes a `TERMINATOR`.
    insert_term: bool,
    diagnostics: Vec<Diagnostic>,
    /// Lexical errors found so far, reported or not.
    error_count: usize,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`. A UTF-8 byte-order mark at offset 0 is skipped.
    pub fn new(src: &'a SourceFile) -> Self {
        let mut lexer = Lexer {
            src,
            text: src.text(),
            ch: None,
            offset: 0,
            read_offset: 0,
            insert_term: false,
            diagnostics: Vec::new(),
            error_count: 0,
        };
        lexer.bump();
        if lexer.ch == Some(BOM) {
            lexer.bump();
        }
        lexer
    }

    /// The lexical errors reported so far, in the order they were found.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Take the lexical errors reported so far, leaving none behind.
    pub fn take_diagnostics(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.diagnostics)
    }

    /// Move to the next character, reporting a NUL or a byte-order mark that is not at the
    /// start of the text.
    fn bump(&mut self) {
        if self.read_offset >= self.text.len() {
            self.offset = self.text.len();
            self.ch = None;
            return;
        }
        self.offset = self.read_offset;
        let ascii = self
            .text
            .as_bytes()
            .get(self.read_offset)
            .copied()
            .filter(u8::is_ascii);
        let next = match ascii {
            Some(b) => Some(char::from(b)),
            None => self
                .text
                .get(self.read_offset..)
                .and_then(|rest| rest.chars().next()),
        };
        let Some(c) = next else {
            self.offset = self.text.len();
            self.read_offset = self.text.len();
            self.ch = None;
            return;
        };
        if c == '\0' {
            self.error(self.offset, "illegal character NUL");
        } else if c == BOM && self.offset > 0 {
            self.error(self.offset, "illegal byte order mark");
        }
        self.read_offset += c.len_utf8();
        self.ch = Some(c);
    }

    /// The byte after the current character, or 0 at the end.
    fn peek(&self) -> u8 {
        self.text
            .as_bytes()
            .get(self.read_offset)
            .copied()
            .unwrap_or(0)
    }

    fn error(&mut self, offset: usize, message: impl Into<String>) {
        self.error_count += 1;
        let message = match self.error_count {
            n if n <= MAX_ERRORS => message.into(),
            n if n == MAX_ERRORS + 1 => {
                "too many lexical errors; later ones are not reported".to_string()
            }
            _ => return,
        };
        self.diagnostics.push(Diagnostic::error(
            self.src,
            Span::new(offset, offset + 1),
            message,
        ));
    }

    fn token(&self, kind: TokenKind, start: usize) -> Token {
        Token {
            kind,
            span: Span::new(start, self.offset),
            text: self.text[start..self.offset].to_string(),
        }
    }

    /// Scan and return the next token.
    pub fn next_token(&mut self) -> Token {
        // Spaces, tabs, `\r`, and line breaks that do not become terminators.
        while matches!(self.ch, Some(' ' | '\t' | '\r'))
            || (self.ch == Some('\n') && !self.insert_term)
        {
            self.bump();
        }
        let start = self.offset;
        let Some(c) = self.ch else {
            if self.insert_term {
                self.insert_term = false;
                return Token {
                    kind: TokenKind::Terminator,
                    span: Span::point(start),
                    text: String::new(),
                };
            }
            return Token {
                kind: TokenKind::Eof,
                span: Span::point(start),
                text: String::new(),
            };
        };

        if is_letter(c) {
            self.bump();
            while self.ch.is_some_and(|c| is_letter(c) || is_digit(c)) {
                self.bump();
            }
            let kind = match &self.text[start..self.offset] {
                "true" | "false" => TokenKind::Bool,
                "null" => TokenKind::Null,
                _ => TokenKind::Ident,
            };
            self.insert_term = true;
            return self.token(kind, start);
        }
        if c.is_ascii_digit() || (c == '.' && self.peek().is_ascii_digit()) {
            self.insert_term = true;
            let kind = self.scan_number(start);
            return self.token(kind, start);
        }

        self.bump();
        let mut insert_term = false;
        let kind = match c {
            '\n' => {
                // Only reached when a terminator is due: other line breaks were skipped.
                self.insert_term = false;
                return Token {
                    kind: TokenKind::Terminator,
                    span: Span::new(start, start + 1),
                    text: String::new(),
                };
            }
            '\'' => {
                self.error(start, "illegal single-quoted string; use double quotes");
                insert_term = true;
                self.scan_string(start, '\'', true, false);
                TokenKind::Illegal
            }
            '"' => {
                insert_term = true;
                self.scan_string(start, '"', true, false);
                TokenKind::String
            }
            '`' => {
                insert_term = true;
                self.scan_string(start, '`', false, true);
                TokenKind::String
            }
            '|' => {
                if self.ch == Some('|') {
                    self.bump();
                } else {
                    self.error(self.offset, "missing second | in ||");
                }
                TokenKind::OrOr
            }
            '&' => {
                if self.ch == Some('&') {
                    self.bump();
                } else {
                    self.error(self.offset, "missing second & in &&");
                }
                TokenKind::AndAnd
            }
            '!' => self.switch2(TokenKind::Not, TokenKind::NotEq),
            '=' => self.switch2(TokenKind::Assign, TokenKind::Eq),
            '<' => self.switch2(TokenKind::Lt, TokenKind::Le),
            '>' => self.switch2(TokenKind::Gt, TokenKind::Ge),
            '+' => TokenKind::Plus,
            '-' => TokenKind::Minus,
            '*' => TokenKind::Star,
            '/' if matches!(self.ch, Some('/' | '*')) => {
                if self.insert_term && self.comment_runs_to_line_end(start) {
                    // The comment stands for the line break: emit the terminator at its
                    // position and scan the comment itself on the next call.
                    self.offset = start;
                    self.read_offset = start + 1;
                    self.ch = Some('/');
                    self.insert_term = false;
                    return Token {
                        kind: TokenKind::Terminator,
                        span: Span::point(start),
                        text: String::new(),
                    };
                }
                let text = self.scan_comment(start);
                self.insert_term = false;
                return Token {
                    kind: TokenKind::Comment,
                    span: Span::new(start, self.offset),
                    text,
                };
            }
            '/' => TokenKind::Slash,
            '%' => TokenKind::Percent,
            '^' => TokenKind::Caret,
            '{' => TokenKind::LBrace,
            '}' => {
                insert_term = true;
                TokenKind::RBrace
            }
            '(' => TokenKind::LParen,
            ')' => {
                insert_term = true;
                TokenKind::RParen
            }
            '[' => TokenKind::LBrack,
            ']' => {
                insert_term = true;
                TokenKind::RBrack
            }
            ',' => TokenKind::Comma,
            '.' => TokenKind::Dot,
            other => {
                // NUL and misplaced byte-order marks were already reported by `bump`.
                if other != BOM && other != '\0' {
                    self.error(
                        start,
                        format!("illegal character {}", unicode_description(other)),
                    );
                }
                insert_term = self.insert_term;
                TokenKind::Illegal
            }
        };
        self.insert_term = insert_term;
        self.token(kind, start)
    }

    /// `a`, or `b` when the current character is `=` (which is then consumed).
    fn switch2(&mut self, a: TokenKind, b: TokenKind) -> TokenKind {
        if self.ch == Some('=') {
            self.bump();
            b
        } else {
            a
        }
    }

    fn scan_digits(&mut self) -> usize {
        let mut count = 0;
        while self.ch.is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            count += 1;
        }
        count
    }

    /// Scan a `NUMBER` or `FLOAT` starting at the current character.
    fn scan_number(&mut self, start: usize) -> TokenKind {
        let mut kind = TokenKind::Number;
        if self.ch != Some('.') {
            self.scan_digits();
        }
        if self.ch == Some('.') {
            kind = TokenKind::Float;
            self.bump();
            self.scan_digits();
        }
        if matches!(self.ch, Some('e' | 'E')) {
            kind = TokenKind::Float;
            self.bump();
            if matches!(self.ch, Some('+' | '-')) {
                self.bump();
            }
            if self.scan_digits() == 0 {
                self.error(start, "exponent has no digits");
            }
        }
        kind
    }

    /// Scan the rest of a string whose opening quote at `start` was consumed.
    fn scan_string(&mut self, start: usize, until: char, escapes: bool, multiline: bool) {
        loop {
            let Some(c) = self.ch else {
                self.error(start, "string literal not terminated");
                break;
            };
            if c == '\n' && !multiline {
                self.error(start, "string literal not terminated");
                break;
            }
            self.bump();
            if c == until {
                break;
            }
            if escapes && c == '\\' {
                self.scan_escape();
            }
        }
    }

    /// Check the escape sequence after a `\`; on error, stop at the offending character
    /// without consuming it.
    fn scan_escape(&mut self) {
        let start = self.offset;
        let (mut digits, base, max) = match self.ch {
            Some('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\' | '"') => {
                self.bump();
                return;
            }
            Some('0'..='7') => (3, 8, 255),
            Some('x') => {
                self.bump();
                (2, 16, 255)
            }
            Some('u') => {
                self.bump();
                (4, 16, 0x10_FFFF)
            }
            Some('U') => {
                self.bump();
                (8, 16, 0x10_FFFF)
            }
            None => {
                self.error(start, "escape sequence not terminated");
                return;
            }
            Some(_) => {
                self.error(start, "unknown escape sequence");
                return;
            }
        };
        let mut value: u32 = 0;
        while digits > 0 {
            let digit = self.ch.and_then(|c| c.to_digit(16)).unwrap_or(16);
            if digit >= base {
                let message = match self.ch {
                    None => "escape sequence not terminated".to_string(),
                    Some(c) => format!(
                        "illegal character {} in escape sequence",
                        unicode_description(c)
                    ),
                };
                self.error(start, message);
                return;
            }
            value = value * base + digit;
            self.bump();
            digits -= 1;
        }
        if value > max || (0xD800..0xE000).contains(&value) {
            self.error(start, "escape sequence is invalid Unicode code point");
        }
    }

    /// Whether the comment starting at `start` (a `/` followed by `/` or `*`), together with any
    /// comments after it on the same line, runs to the end of the line or of the input. Does not
    /// move the lexer.
    fn comment_runs_to_line_end(&self, start: usize) -> bool {
        let bytes = self.text.as_bytes();
        let mut i = start;
        loop {
            // `bytes[i]` is a `/`.
            match bytes.get(i + 1) {
                Some(b'/') => return true,
                Some(b'*') => {}
                _ => return false,
            }
            let mut j = i + 2;
            loop {
                match bytes.get(j) {
                    None => return true,
                    Some(b'\n') => return true,
                    Some(b'*') if bytes.get(j + 1) == Some(&b'/') => {
                        j += 2;
                        break;
                    }
                    Some(_) => j += 1,
                }
            }
            while matches!(bytes.get(j), Some(b' ' | b'\t' | b'\r')) {
                j += 1;
            }
            match bytes.get(j) {
                None | Some(b'\n') => return true,
                Some(b'/') => i = j,
                Some(_) => return false,
            }
        }
    }

    /// Scan a comment whose first `/` at `start` was consumed; the current character is the
    /// second `/` or the `*`. Returns the comment text with `\r` handled as §2.2 says.
    fn scan_comment(&mut self, start: usize) -> String {
        let mut block = false;
        if self.ch == Some('/') {
            while self.ch.is_some_and(|c| c != '\n') {
                self.bump();
            }
        } else {
            block = true;
            self.bump();
            let mut closed = false;
            while let Some(c) = self.ch {
                self.bump();
                if c == '*' && self.ch == Some('/') {
                    self.bump();
                    closed = true;
                    break;
                }
            }
            if !closed {
                self.error(start, "block comment not terminated");
            }
        }
        let raw = &self.text[start..self.offset];
        strip_carriage_returns(raw, block)
    }
}

/// Remove `\r` from comment text as syntax §2.2 says: a final `\r` always goes; in a block
/// comment a `\r` followed by `/` is kept after a `*` that is not the opening one.
fn strip_carriage_returns(raw: &str, block: bool) -> String {
    let raw = raw.strip_suffix('\r').unwrap_or(raw);
    if !raw.contains('\r') {
        return raw.to_string();
    }
    let bytes = raw.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    for (j, &b) in bytes.iter().enumerate() {
        let keep_cr =
            block && out.len() > 2 && out.last() == Some(&b'*') && bytes.get(j + 1) == Some(&b'/');
        if b != b'\r' || keep_cr {
            out.push(b);
        }
    }
    // Only ASCII `\r` bytes were removed, so the text is still valid UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Lex all of `src`: every token in order, comments and inserted terminators included, ending
/// with `EOF`; and every lexical error.
pub fn tokenize(src: &SourceFile) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lexer = Lexer::new(src);
    let mut tokens = Vec::new();
    loop {
        let token = lexer.next_token();
        let eof = token.kind == TokenKind::Eof;
        tokens.push(token);
        if eof {
            break;
        }
    }
    (tokens, lexer.take_diagnostics())
}

/// Whether `c` can start an identifier: `_` or a Unicode letter (Go's `unicode.IsLetter`).
pub fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic() || c == '_'
    } else {
        in_ranges(LETTERS, c as u32)
    }
}

/// Whether `c` is a Unicode decimal digit (category Nd), which may continue an identifier.
pub fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        in_ranges(DIGITS, c as u32)
    }
}

/// Whether `text` lexes as exactly one `IDENT` covering all of it (§2.3): non-empty, a letter
/// first, then letters and digits, and not `true`, `false` or `null`.
pub fn is_valid_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    is_letter(first)
        && chars.all(|c| is_letter(c) || is_digit(c))
        && !matches!(text, "true" | "false" | "null")
}

/// Why a string literal could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UnquoteError {
    /// A malformed literal or escape sequence (the lexer reports these): offset in the literal
    /// and message.
    Syntax(usize, String),
    /// The escapes produced bytes that are not valid UTF-8 (E5). Carries the lossy text.
    Utf8(String),
}

/// The message of [`UnquoteError::Utf8`].
pub(crate) const INVALID_UTF8_AFTER_ESCAPES: &str =
    "string literal is not valid UTF-8 after escape processing";

/// Decode a `"…"` or `` `…` `` string literal, quotes included. On error, returns the byte
/// offset within `literal` and the message: the escape errors of §2.5 (at the character after
/// the `\`), `string literal not terminated` (at 0), or `string literal is not valid UTF-8
/// after escape processing` (at 0, E5).
pub fn unquote(literal: &str) -> Result<String, (usize, String)> {
    decode_string(literal).map_err(|err| match err {
        UnquoteError::Syntax(offset, message) => (offset, message),
        UnquoteError::Utf8(_) => (0, INVALID_UTF8_AFTER_ESCAPES.to_string()),
    })
}

/// Decode a string literal (see [`unquote`]), telling syntax errors from UTF-8 errors.
pub(crate) fn decode_string(literal: &str) -> Result<String, UnquoteError> {
    let not_terminated = || UnquoteError::Syntax(0, "string literal not terminated".to_string());
    if let Some(inner) = literal.strip_prefix('`') {
        let inner = inner.strip_suffix('`').ok_or_else(not_terminated)?;
        return Ok(inner.replace('\r', ""));
    }
    let Some(body) = literal.strip_prefix('"') else {
        return Err(not_terminated());
    };
    let fast = body
        .strip_suffix('"')
        .filter(|inner| !inner.contains(['\\', '"', '\n']));
    if let Some(inner) = fast {
        return Ok(inner.to_string());
    }

    // Like the lexer: the first unescaped `"` ends the literal and must be its last byte.
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut chars = body.char_indices().peekable();
    let mut closed = false;
    while let Some((i, c)) = chars.next() {
        if c == '"' {
            closed = i + 1 == body.len();
            break;
        }
        if c == '\n' {
            break;
        }
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        // Offsets in messages count from the start of the literal (1 for the quote).
        let escape_at = i + 2;
        let Some((_, e)) = chars.next() else {
            return Err(UnquoteError::Syntax(
                escape_at,
                "escape sequence not terminated".to_string(),
            ));
        };
        let simple = match e {
            'a' => Some(0x07),
            'b' => Some(0x08),
            'f' => Some(0x0C),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0B),
            '\\' => Some(b'\\'),
            '"' => Some(b'"'),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        let (mut digits, base, max, mut value) = match e {
            '0'..='7' => (2, 8, 255u32, e.to_digit(8).unwrap_or(0)),
            'x' => (2, 16, 255, 0),
            'u' => (4, 16, 0x10_FFFF, 0),
            'U' => (8, 16, 0x10_FFFF, 0),
            _ => {
                return Err(UnquoteError::Syntax(
                    escape_at,
                    "unknown escape sequence".to_string(),
                ));
            }
        };
        while digits > 0 {
            let Some(&(_, d)) = chars.peek() else {
                return Err(UnquoteError::Syntax(
                    escape_at,
                    "escape sequence not terminated".to_string(),
                ));
            };
            match d.to_digit(16).filter(|&v| v < base) {
                Some(v) => value = value * base + v,
                None => {
                    return Err(UnquoteError::Syntax(
                        escape_at,
                        format!(
                            "illegal character {} in escape sequence",
                            unicode_description(d)
                        ),
                    ));
                }
            }
            chars.next();
            digits -= 1;
        }
        if value > max || (0xD800..0xE000).contains(&value) {
            return Err(UnquoteError::Syntax(
                escape_at,
                "escape sequence is invalid Unicode code point".to_string(),
            ));
        }
        if matches!(e, 'u' | 'U') {
            let Some(c) = char::from_u32(value) else {
                return Err(UnquoteError::Syntax(
                    escape_at,
                    "escape sequence is invalid Unicode code point".to_string(),
                ));
            };
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        } else {
            // `value <= 255` was checked above.
            out.push(u8::try_from(value).unwrap_or(u8::MAX));
        }
    }
    if !closed {
        return Err(not_terminated());
    }
    String::from_utf8(out)
        .map_err(|e| UnquoteError::Utf8(String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Turn the bytes of a configuration file into source text (§1).
///
/// A UTF-8 byte-order mark at the start is removed. A UTF-32 or UTF-16 byte-order mark rejects
/// the file: the text is empty and the only error is `configuration is encoded with <encoding>
/// but must be utf8` at offset 0. Otherwise each invalid UTF-8 sequence is replaced with U+FFFD
/// and `illegal UTF-8 encoding` is recorded at its offset in the returned text (at most
/// [`MAX_ERRORS`] times, then once `too many illegal UTF-8 encodings; later ones are not
/// reported`).
pub fn decode_source(bytes: &[u8]) -> (String, Vec<(usize, String)>) {
    let decoded = decode_with_anchors(bytes);
    (decoded.text, decoded.problems)
}

/// Decode the bytes of the configuration file `name` into a [`SourceFile`] whose positions count
/// the file's own bytes (a stripped byte-order mark and replaced invalid sequences included, as
/// Alloy counts them), with a diagnostic for every encoding problem of §1.
pub fn load_source(name: &str, bytes: &[u8]) -> (SourceFile, Vec<Diagnostic>) {
    let decoded = decode_with_anchors(bytes);
    let src = SourceFile::with_anchors(name, decoded.text, decoded.anchors);
    let diagnostics = decoded
        .problems
        .into_iter()
        .map(|(offset, message)| Diagnostic::error(&src, Span::point(offset), message))
        .collect();
    (src, diagnostics)
}

struct DecodedSource {
    text: String,
    problems: Vec<(usize, String)>,
    anchors: Vec<OffsetAnchor>,
}

fn decode_with_anchors(bytes: &[u8]) -> DecodedSource {
    let rejected = if bytes.starts_with(&[0xFF, 0xFE, 0x00, 0x00]) {
        Some("UTF32LittleEndian")
    } else if bytes.starts_with(&[0x00, 0x00, 0xFE, 0xFF]) {
        Some("UTF32BigEndian")
    } else if bytes.starts_with(&[0xFF, 0xFE]) {
        Some("UTF16LittleEndian")
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        Some("UTF16BigEndian")
    } else {
        None
    };
    if let Some(encoding) = rejected {
        return DecodedSource {
            text: String::new(),
            problems: vec![(
                0,
                format!("configuration is encoded with {encoding} but must be utf8"),
            )],
            anchors: Vec::new(),
        };
    }
    let mut anchors = Vec::new();
    let (bytes, mut original) = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => {
            anchors.push(OffsetAnchor {
                decoded: 0,
                original: 3,
            });
            (rest, 3)
        }
        None => (bytes, 0),
    };
    let mut text = String::with_capacity(bytes.len());
    let mut problems = Vec::new();
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        original += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            match problems.len() {
                n if n < MAX_ERRORS => {
                    problems.push((text.len(), "illegal UTF-8 encoding".to_string()))
                }
                n if n == MAX_ERRORS => problems.push((
                    text.len(),
                    "too many illegal UTF-8 encodings; later ones are not reported".to_string(),
                )),
                _ => {}
            }
            text.push(char::REPLACEMENT_CHARACTER);
            original += chunk.invalid().len();
            anchors.push(OffsetAnchor {
                decoded: text.len(),
                original,
            });
        }
    }
    DecodedSource {
        text,
        problems,
        anchors,
    }
}

/// Code points at or above U+0080 in the general category L (Unicode 16): Go's
/// `unicode.IsLetter`.
#[rustfmt::skip]
const LETTERS: &[(u32, u32)] = &[
    (0x00AA, 0x00AA), (0x00B5, 0x00B5), (0x00BA, 0x00BA), (0x00C0, 0x00D6), (0x00D8, 0x00F6), (0x00F8, 0x02C1),
    (0x02C6, 0x02D1), (0x02E0, 0x02E4), (0x02EC, 0x02EC), (0x02EE, 0x02EE), (0x0370, 0x0374), (0x0376, 0x0377),
    (0x037A, 0x037D), (0x037F, 0x037F), (0x0386, 0x0386), (0x0388, 0x038A), (0x038C, 0x038C), (0x038E, 0x03A1),
    (0x03A3, 0x03F5), (0x03F7, 0x0481), (0x048A, 0x052F), (0x0531, 0x0556), (0x0559, 0x0559), (0x0560, 0x0588),
    (0x05D0, 0x05EA), (0x05EF, 0x05F2), (0x0620, 0x064A), (0x066E, 0x066F), (0x0671, 0x06D3), (0x06D5, 0x06D5),
    (0x06E5, 0x06E6), (0x06EE, 0x06EF), (0x06FA, 0x06FC), (0x06FF, 0x06FF), (0x0710, 0x0710), (0x0712, 0x072F),
    (0x074D, 0x07A5), (0x07B1, 0x07B1), (0x07CA, 0x07EA), (0x07F4, 0x07F5), (0x07FA, 0x07FA), (0x0800, 0x0815),
    (0x081A, 0x081A), (0x0824, 0x0824), (0x0828, 0x0828), (0x0840, 0x0858), (0x0860, 0x086A), (0x0870, 0x0887),
    (0x0889, 0x088E), (0x08A0, 0x08C9), (0x0904, 0x0939), (0x093D, 0x093D), (0x0950, 0x0950), (0x0958, 0x0961),
    (0x0971, 0x0980), (0x0985, 0x098C), (0x098F, 0x0990), (0x0993, 0x09A8), (0x09AA, 0x09B0), (0x09B2, 0x09B2),
    (0x09B6, 0x09B9), (0x09BD, 0x09BD), (0x09CE, 0x09CE), (0x09DC, 0x09DD), (0x09DF, 0x09E1), (0x09F0, 0x09F1),
    (0x09FC, 0x09FC), (0x0A05, 0x0A0A), (0x0A0F, 0x0A10), (0x0A13, 0x0A28), (0x0A2A, 0x0A30), (0x0A32, 0x0A33),
    (0x0A35, 0x0A36), (0x0A38, 0x0A39), (0x0A59, 0x0A5C), (0x0A5E, 0x0A5E), (0x0A72, 0x0A74), (0x0A85, 0x0A8D),
    (0x0A8F, 0x0A91), (0x0A93, 0x0AA8), (0x0AAA, 0x0AB0), (0x0AB2, 0x0AB3), (0x0AB5, 0x0AB9), (0x0ABD, 0x0ABD),
    (0x0AD0, 0x0AD0), (0x0AE0, 0x0AE1), (0x0AF9, 0x0AF9), (0x0B05, 0x0B0C), (0x0B0F, 0x0B10), (0x0B13, 0x0B28),
    (0x0B2A, 0x0B30), (0x0B32, 0x0B33), (0x0B35, 0x0B39), (0x0B3D, 0x0B3D), (0x0B5C, 0x0B5D), (0x0B5F, 0x0B61),
    (0x0B71, 0x0B71), (0x0B83, 0x0B83), (0x0B85, 0x0B8A), (0x0B8E, 0x0B90), (0x0B92, 0x0B95), (0x0B99, 0x0B9A),
    (0x0B9C, 0x0B9C), (0x0B9E, 0x0B9F), (0x0BA3, 0x0BA4), (0x0BA8, 0x0BAA), (0x0BAE, 0x0BB9), (0x0BD0, 0x0BD0),
    (0x0C05, 0x0C0C), (0x0C0E, 0x0C10), (0x0C12, 0x0C28), (0x0C2A, 0x0C39), (0x0C3D, 0x0C3D), (0x0C58, 0x0C5A),
    (0x0C5D, 0x0C5D), (0x0C60, 0x0C61), (0x0C80, 0x0C80), (0x0C85, 0x0C8C), (0x0C8E, 0x0C90), (0x0C92, 0x0CA8),
    (0x0CAA, 0x0CB3), (0x0CB5, 0x0CB9), (0x0CBD, 0x0CBD), (0x0CDD, 0x0CDE), (0x0CE0, 0x0CE1), (0x0CF1, 0x0CF2),
    (0x0D04, 0x0D0C), (0x0D0E, 0x0D10), (0x0D12, 0x0D3A), (0x0D3D, 0x0D3D), (0x0D4E, 0x0D4E), (0x0D54, 0x0D56),
    (0x0D5F, 0x0D61), (0x0D7A, 0x0D7F), (0x0D85, 0x0D96), (0x0D9A, 0x0DB1), (0x0DB3, 0x0DBB), (0x0DBD, 0x0DBD),
    (0x0DC0, 0x0DC6), (0x0E01, 0x0E30), (0x0E32, 0x0E33), (0x0E40, 0x0E46), (0x0E81, 0x0E82), (0x0E84, 0x0E84),
    (0x0E86, 0x0E8A), (0x0E8C, 0x0EA3), (0x0EA5, 0x0EA5), (0x0EA7, 0x0EB0), (0x0EB2, 0x0EB3), (0x0EBD, 0x0EBD),
    (0x0EC0, 0x0EC4), (0x0EC6, 0x0EC6), (0x0EDC, 0x0EDF), (0x0F00, 0x0F00), (0x0F40, 0x0F47), (0x0F49, 0x0F6C),
    (0x0F88, 0x0F8C), (0x1000, 0x102A), (0x103F, 0x103F), (0x1050, 0x1055), (0x105A, 0x105D), (0x1061, 0x1061),
    (0x1065, 0x1066), (0x106E, 0x1070), (0x1075, 0x1081), (0x108E, 0x108E), (0x10A0, 0x10C5), (0x10C7, 0x10C7),
    (0x10CD, 0x10CD), (0x10D0, 0x10FA), (0x10FC, 0x1248), (0x124A, 0x124D), (0x1250, 0x1256), (0x1258, 0x1258),
    (0x125A, 0x125D), (0x1260, 0x1288), (0x128A, 0x128D), (0x1290, 0x12B0), (0x12B2, 0x12B5), (0x12B8, 0x12BE),
    (0x12C0, 0x12C0), (0x12C2, 0x12C5), (0x12C8, 0x12D6), (0x12D8, 0x1310), (0x1312, 0x1315), (0x1318, 0x135A),
    (0x1380, 0x138F), (0x13A0, 0x13F5), (0x13F8, 0x13FD), (0x1401, 0x166C), (0x166F, 0x167F), (0x1681, 0x169A),
    (0x16A0, 0x16EA), (0x16F1, 0x16F8), (0x1700, 0x1711), (0x171F, 0x1731), (0x1740, 0x1751), (0x1760, 0x176C),
    (0x176E, 0x1770), (0x1780, 0x17B3), (0x17D7, 0x17D7), (0x17DC, 0x17DC), (0x1820, 0x1878), (0x1880, 0x1884),
    (0x1887, 0x18A8), (0x18AA, 0x18AA), (0x18B0, 0x18F5), (0x1900, 0x191E), (0x1950, 0x196D), (0x1970, 0x1974),
    (0x1980, 0x19AB), (0x19B0, 0x19C9), (0x1A00, 0x1A16), (0x1A20, 0x1A54), (0x1AA7, 0x1AA7), (0x1B05, 0x1B33),
    (0x1B45, 0x1B4C), (0x1B83, 0x1BA0), (0x1BAE, 0x1BAF), (0x1BBA, 0x1BE5), (0x1C00, 0x1C23), (0x1C4D, 0x1C4F),
    (0x1C5A, 0x1C7D), (0x1C80, 0x1C8A), (0x1C90, 0x1CBA), (0x1CBD, 0x1CBF), (0x1CE9, 0x1CEC), (0x1CEE, 0x1CF3),
    (0x1CF5, 0x1CF6), (0x1CFA, 0x1CFA), (0x1D00, 0x1DBF), (0x1E00, 0x1F15), (0x1F18, 0x1F1D), (0x1F20, 0x1F45),
    (0x1F48, 0x1F4D), (0x1F50, 0x1F57), (0x1F59, 0x1F59), (0x1F5B, 0x1F5B), (0x1F5D, 0x1F5D), (0x1F5F, 0x1F7D),
    (0x1F80, 0x1FB4), (0x1FB6, 0x1FBC), (0x1FBE, 0x1FBE), (0x1FC2, 0x1FC4), (0x1FC6, 0x1FCC), (0x1FD0, 0x1FD3),
    (0x1FD6, 0x1FDB), (0x1FE0, 0x1FEC), (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFC), (0x2071, 0x2071), (0x207F, 0x207F),
    (0x2090, 0x209C), (0x2102, 0x2102), (0x2107, 0x2107), (0x210A, 0x2113), (0x2115, 0x2115), (0x2119, 0x211D),
    (0x2124, 0x2124), (0x2126, 0x2126), (0x2128, 0x2128), (0x212A, 0x212D), (0x212F, 0x2139), (0x213C, 0x213F),
    (0x2145, 0x2149), (0x214E, 0x214E), (0x2183, 0x2184), (0x2C00, 0x2CE4), (0x2CEB, 0x2CEE), (0x2CF2, 0x2CF3),
    (0x2D00, 0x2D25), (0x2D27, 0x2D27), (0x2D2D, 0x2D2D), (0x2D30, 0x2D67), (0x2D6F, 0x2D6F), (0x2D80, 0x2D96),
    (0x2DA0, 0x2DA6), (0x2DA8, 0x2DAE), (0x2DB0, 0x2DB6), (0x2DB8, 0x2DBE), (0x2DC0, 0x2DC6), (0x2DC8, 0x2DCE),
    (0x2DD0, 0x2DD6), (0x2DD8, 0x2DDE), (0x2E2F, 0x2E2F), (0x3005, 0x3006), (0x3031, 0x3035), (0x303B, 0x303C),
    (0x3041, 0x3096), (0x309D, 0x309F), (0x30A1, 0x30FA), (0x30FC, 0x30FF), (0x3105, 0x312F), (0x3131, 0x318E),
    (0x31A0, 0x31BF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0xA48C), (0xA4D0, 0xA4FD), (0xA500, 0xA60C),
    (0xA610, 0xA61F), (0xA62A, 0xA62B), (0xA640, 0xA66E), (0xA67F, 0xA69D), (0xA6A0, 0xA6E5), (0xA717, 0xA71F),
    (0xA722, 0xA788), (0xA78B, 0xA7CD), (0xA7D0, 0xA7D1), (0xA7D3, 0xA7D3), (0xA7D5, 0xA7DC), (0xA7F2, 0xA801),
    (0xA803, 0xA805), (0xA807, 0xA80A), (0xA80C, 0xA822), (0xA840, 0xA873), (0xA882, 0xA8B3), (0xA8F2, 0xA8F7),
    (0xA8FB, 0xA8FB), (0xA8FD, 0xA8FE), (0xA90A, 0xA925), (0xA930, 0xA946), (0xA960, 0xA97C), (0xA984, 0xA9B2),
    (0xA9CF, 0xA9CF), (0xA9E0, 0xA9E4), (0xA9E6, 0xA9EF), (0xA9FA, 0xA9FE), (0xAA00, 0xAA28), (0xAA40, 0xAA42),
    (0xAA44, 0xAA4B), (0xAA60, 0xAA76), (0xAA7A, 0xAA7A), (0xAA7E, 0xAAAF), (0xAAB1, 0xAAB1), (0xAAB5, 0xAAB6),
    (0xAAB9, 0xAABD), (0xAAC0, 0xAAC0), (0xAAC2, 0xAAC2), (0xAADB, 0xAADD), (0xAAE0, 0xAAEA), (0xAAF2, 0xAAF4),
    (0xAB01, 0xAB06), (0xAB09, 0xAB0E), (0xAB11, 0xAB16), (0xAB20, 0xAB26), (0xAB28, 0xAB2E), (0xAB30, 0xAB5A),
    (0xAB5C, 0xAB69), (0xAB70, 0xABE2), (0xAC00, 0xD7A3), (0xD7B0, 0xD7C6), (0xD7CB, 0xD7FB), (0xF900, 0xFA6D),
    (0xFA70, 0xFAD9), (0xFB00, 0xFB06), (0xFB13, 0xFB17), (0xFB1D, 0xFB1D), (0xFB1F, 0xFB28), (0xFB2A, 0xFB36),
    (0xFB38, 0xFB3C), (0xFB3E, 0xFB3E), (0xFB40, 0xFB41), (0xFB43, 0xFB44), (0xFB46, 0xFBB1), (0xFBD3, 0xFD3D),
    (0xFD50, 0xFD8F), (0xFD92, 0xFDC7), (0xFDF0, 0xFDFB), (0xFE70, 0xFE74), (0xFE76, 0xFEFC), (0xFF21, 0xFF3A),
    (0xFF41, 0xFF5A), (0xFF66, 0xFFBE), (0xFFC2, 0xFFC7), (0xFFCA, 0xFFCF), (0xFFD2, 0xFFD7), (0xFFDA, 0xFFDC),
    (0x10000, 0x1000B), (0x1000D, 0x10026), (0x10028, 0x1003A), (0x1003C, 0x1003D), (0x1003F, 0x1004D), (0x10050, 0x1005D),
    (0x10080, 0x100FA), (0x10280, 0x1029C), (0x102A0, 0x102D0), (0x10300, 0x1031F), (0x1032D, 0x10340), (0x10342, 0x10349),
    (0x10350, 0x10375), (0x10380, 0x1039D), (0x103A0, 0x103C3), (0x103C8, 0x103CF), (0x10400, 0x1049D), (0x104B0, 0x104D3),
    (0x104D8, 0x104FB), (0x10500, 0x10527), (0x10530, 0x10563), (0x10570, 0x1057A), (0x1057C, 0x1058A), (0x1058C, 0x10592),
    (0x10594, 0x10595), (0x10597, 0x105A1), (0x105A3, 0x105B1), (0x105B3, 0x105B9), (0x105BB, 0x105BC), (0x105C0, 0x105F3),
    (0x10600, 0x10736), (0x10740, 0x10755), (0x10760, 0x10767), (0x10780, 0x10785), (0x10787, 0x107B0), (0x107B2, 0x107BA),
    (0x10800, 0x10805), (0x10808, 0x10808), (0x1080A, 0x10835), (0x10837, 0x10838), (0x1083C, 0x1083C), (0x1083F, 0x10855),
    (0x10860, 0x10876), (0x10880, 0x1089E), (0x108E0, 0x108F2), (0x108F4, 0x108F5), (0x10900, 0x10915), (0x10920, 0x10939),
    (0x10980, 0x109B7), (0x109BE, 0x109BF), (0x10A00, 0x10A00), (0x10A10, 0x10A13), (0x10A15, 0x10A17), (0x10A19, 0x10A35),
    (0x10A60, 0x10A7C), (0x10A80, 0x10A9C), (0x10AC0, 0x10AC7), (0x10AC9, 0x10AE4), (0x10B00, 0x10B35), (0x10B40, 0x10B55),
    (0x10B60, 0x10B72), (0x10B80, 0x10B91), (0x10C00, 0x10C48), (0x10C80, 0x10CB2), (0x10CC0, 0x10CF2), (0x10D00, 0x10D23),
    (0x10D4A, 0x10D65), (0x10D6F, 0x10D85), (0x10E80, 0x10EA9), (0x10EB0, 0x10EB1), (0x10EC2, 0x10EC4), (0x10F00, 0x10F1C),
    (0x10F27, 0x10F27), (0x10F30, 0x10F45), (0x10F70, 0x10F81), (0x10FB0, 0x10FC4), (0x10FE0, 0x10FF6), (0x11003, 0x11037),
    (0x11071, 0x11072), (0x11075, 0x11075), (0x11083, 0x110AF), (0x110D0, 0x110E8), (0x11103, 0x11126), (0x11144, 0x11144),
    (0x11147, 0x11147), (0x11150, 0x11172), (0x11176, 0x11176), (0x11183, 0x111B2), (0x111C1, 0x111C4), (0x111DA, 0x111DA),
    (0x111DC, 0x111DC), (0x11200, 0x11211), (0x11213, 0x1122B), (0x1123F, 0x11240), (0x11280, 0x11286), (0x11288, 0x11288),
    (0x1128A, 0x1128D), (0x1128F, 0x1129D), (0x1129F, 0x112A8), (0x112B0, 0x112DE), (0x11305, 0x1130C), (0x1130F, 0x11310),
    (0x11313, 0x11328), (0x1132A, 0x11330), (0x11332, 0x11333), (0x11335, 0x11339), (0x1133D, 0x1133D), (0x11350, 0x11350),
    (0x1135D, 0x11361), (0x11380, 0x11389), (0x1138B, 0x1138B), (0x1138E, 0x1138E), (0x11390, 0x113B5), (0x113B7, 0x113B7),
    (0x113D1, 0x113D1), (0x113D3, 0x113D3), (0x11400, 0x11434), (0x11447, 0x1144A), (0x1145F, 0x11461), (0x11480, 0x114AF),
    (0x114C4, 0x114C5), (0x114C7, 0x114C7), (0x11580, 0x115AE), (0x115D8, 0x115DB), (0x11600, 0x1162F), (0x11644, 0x11644),
    (0x11680, 0x116AA), (0x116B8, 0x116B8), (0x11700, 0x1171A), (0x11740, 0x11746), (0x11800, 0x1182B), (0x118A0, 0x118DF),
    (0x118FF, 0x11906), (0x11909, 0x11909), (0x1190C, 0x11913), (0x11915, 0x11916), (0x11918, 0x1192F), (0x1193F, 0x1193F),
    (0x11941, 0x11941), (0x119A0, 0x119A7), (0x119AA, 0x119D0), (0x119E1, 0x119E1), (0x119E3, 0x119E3), (0x11A00, 0x11A00),
    (0x11A0B, 0x11A32), (0x11A3A, 0x11A3A), (0x11A50, 0x11A50), (0x11A5C, 0x11A89), (0x11A9D, 0x11A9D), (0x11AB0, 0x11AF8),
    (0x11BC0, 0x11BE0), (0x11C00, 0x11C08), (0x11C0A, 0x11C2E), (0x11C40, 0x11C40), (0x11C72, 0x11C8F), (0x11D00, 0x11D06),
    (0x11D08, 0x11D09), (0x11D0B, 0x11D30), (0x11D46, 0x11D46), (0x11D60, 0x11D65), (0x11D67, 0x11D68), (0x11D6A, 0x11D89),
    (0x11D98, 0x11D98), (0x11EE0, 0x11EF2), (0x11F02, 0x11F02), (0x11F04, 0x11F10), (0x11F12, 0x11F33), (0x11FB0, 0x11FB0),
    (0x12000, 0x12399), (0x12480, 0x12543), (0x12F90, 0x12FF0), (0x13000, 0x1342F), (0x13441, 0x13446), (0x13460, 0x143FA),
    (0x14400, 0x14646), (0x16100, 0x1611D), (0x16800, 0x16A38), (0x16A40, 0x16A5E), (0x16A70, 0x16ABE), (0x16AD0, 0x16AED),
    (0x16B00, 0x16B2F), (0x16B40, 0x16B43), (0x16B63, 0x16B77), (0x16B7D, 0x16B8F), (0x16D40, 0x16D6C), (0x16E40, 0x16E7F),
    (0x16F00, 0x16F4A), (0x16F50, 0x16F50), (0x16F93, 0x16F9F), (0x16FE0, 0x16FE1), (0x16FE3, 0x16FE3), (0x17000, 0x187F7),
    (0x18800, 0x18CD5), (0x18CFF, 0x18D08), (0x1AFF0, 0x1AFF3), (0x1AFF5, 0x1AFFB), (0x1AFFD, 0x1AFFE), (0x1B000, 0x1B122),
    (0x1B132, 0x1B132), (0x1B150, 0x1B152), (0x1B155, 0x1B155), (0x1B164, 0x1B167), (0x1B170, 0x1B2FB), (0x1BC00, 0x1BC6A),
    (0x1BC70, 0x1BC7C), (0x1BC80, 0x1BC88), (0x1BC90, 0x1BC99), (0x1D400, 0x1D454), (0x1D456, 0x1D49C), (0x1D49E, 0x1D49F),
    (0x1D4A2, 0x1D4A2), (0x1D4A5, 0x1D4A6), (0x1D4A9, 0x1D4AC), (0x1D4AE, 0x1D4B9), (0x1D4BB, 0x1D4BB), (0x1D4BD, 0x1D4C3),
    (0x1D4C5, 0x1D505), (0x1D507, 0x1D50A), (0x1D50D, 0x1D514), (0x1D516, 0x1D51C), (0x1D51E, 0x1D539), (0x1D53B, 0x1D53E),
    (0x1D540, 0x1D544), (0x1D546, 0x1D546), (0x1D54A, 0x1D550), (0x1D552, 0x1D6A5), (0x1D6A8, 0x1D6C0), (0x1D6C2, 0x1D6DA),
    (0x1D6DC, 0x1D6FA), (0x1D6FC, 0x1D714), (0x1D716, 0x1D734), (0x1D736, 0x1D74E), (0x1D750, 0x1D76E), (0x1D770, 0x1D788),
    (0x1D78A, 0x1D7A8), (0x1D7AA, 0x1D7C2), (0x1D7C4, 0x1D7CB), (0x1DF00, 0x1DF1E), (0x1DF25, 0x1DF2A), (0x1E030, 0x1E06D),
    (0x1E100, 0x1E12C), (0x1E137, 0x1E13D), (0x1E14E, 0x1E14E), (0x1E290, 0x1E2AD), (0x1E2C0, 0x1E2EB), (0x1E4D0, 0x1E4EB),
    (0x1E5D0, 0x1E5ED), (0x1E5F0, 0x1E5F0), (0x1E7E0, 0x1E7E6), (0x1E7E8, 0x1E7EB), (0x1E7ED, 0x1E7EE), (0x1E7F0, 0x1E7FE),
    (0x1E800, 0x1E8C4), (0x1E900, 0x1E943), (0x1E94B, 0x1E94B), (0x1EE00, 0x1EE03), (0x1EE05, 0x1EE1F), (0x1EE21, 0x1EE22),
    (0x1EE24, 0x1EE24), (0x1EE27, 0x1EE27), (0x1EE29, 0x1EE32), (0x1EE34, 0x1EE37), (0x1EE39, 0x1EE39), (0x1EE3B, 0x1EE3B),
    (0x1EE42, 0x1EE42), (0x1EE47, 0x1EE47), (0x1EE49, 0x1EE49), (0x1EE4B, 0x1EE4B), (0x1EE4D, 0x1EE4F), (0x1EE51, 0x1EE52),
    (0x1EE54, 0x1EE54), (0x1EE57, 0x1EE57), (0x1EE59, 0x1EE59), (0x1EE5B, 0x1EE5B), (0x1EE5D, 0x1EE5D), (0x1EE5F, 0x1EE5F),
    (0x1EE61, 0x1EE62), (0x1EE64, 0x1EE64), (0x1EE67, 0x1EE6A), (0x1EE6C, 0x1EE72), (0x1EE74, 0x1EE77), (0x1EE79, 0x1EE7C),
    (0x1EE7E, 0x1EE7E), (0x1EE80, 0x1EE89), (0x1EE8B, 0x1EE9B), (0x1EEA1, 0x1EEA3), (0x1EEA5, 0x1EEA9), (0x1EEAB, 0x1EEBB),
    (0x20000, 0x2A6DF), (0x2A700, 0x2B739), (0x2B740, 0x2B81D), (0x2B820, 0x2CEA1), (0x2CEB0, 0x2EBE0), (0x2EBF0, 0x2EE5D),
    (0x2F800, 0x2FA1D), (0x30000, 0x3134A), (0x31350, 0x323AF),
];
/// Code points at or above U+0080 in the general category Nd (Unicode 16): Go's
/// `unicode.IsDigit`.
#[rustfmt::skip]
const DIGITS: &[(u32, u32)] = &[
    (0x0660, 0x0669), (0x06F0, 0x06F9), (0x07C0, 0x07C9), (0x0966, 0x096F), (0x09E6, 0x09EF), (0x0A66, 0x0A6F),
    (0x0AE6, 0x0AEF), (0x0B66, 0x0B6F), (0x0BE6, 0x0BEF), (0x0C66, 0x0C6F), (0x0CE6, 0x0CEF), (0x0D66, 0x0D6F),
    (0x0DE6, 0x0DEF), (0x0E50, 0x0E59), (0x0ED0, 0x0ED9), (0x0F20, 0x0F29), (0x1040, 0x1049), (0x1090, 0x1099),
    (0x17E0, 0x17E9), (0x1810, 0x1819), (0x1946, 0x194F), (0x19D0, 0x19D9), (0x1A80, 0x1A89), (0x1A90, 0x1A99),
    (0x1B50, 0x1B59), (0x1BB0, 0x1BB9), (0x1C40, 0x1C49), (0x1C50, 0x1C59), (0xA620, 0xA629), (0xA8D0, 0xA8D9),
    (0xA900, 0xA909), (0xA9D0, 0xA9D9), (0xA9F0, 0xA9F9), (0xAA50, 0xAA59), (0xABF0, 0xABF9), (0xFF10, 0xFF19),
    (0x104A0, 0x104A9), (0x10D30, 0x10D39), (0x10D40, 0x10D49), (0x11066, 0x1106F), (0x110F0, 0x110F9), (0x11136, 0x1113F),
    (0x111D0, 0x111D9), (0x112F0, 0x112F9), (0x11450, 0x11459), (0x114D0, 0x114D9), (0x11650, 0x11659), (0x116C0, 0x116C9),
    (0x116D0, 0x116E3), (0x11730, 0x11739), (0x118E0, 0x118E9), (0x11950, 0x11959), (0x11BF0, 0x11BF9), (0x11C50, 0x11C59),
    (0x11D50, 0x11D59), (0x11DA0, 0x11DA9), (0x11F50, 0x11F59), (0x16130, 0x16139), (0x16A60, 0x16A69), (0x16AC0, 0x16AC9),
    (0x16B50, 0x16B59), (0x16D70, 0x16D79), (0x1CCF0, 0x1CCF9), (0x1D7CE, 0x1D7FF), (0x1E140, 0x1E149), (0x1E2F0, 0x1E2F9),
    (0x1E4F0, 0x1E4F9), (0x1E5F1, 0x1E5FA), (0x1E950, 0x1E959), (0x1FBF0, 0x1FBF9),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_tables_are_sorted_and_disjoint() {
        for table in [LETTERS, DIGITS] {
            assert!(table.windows(2).all(|w| w[0].1 < w[1].0));
            assert!(table.iter().all(|&(lo, hi)| lo <= hi && lo >= 0x80));
        }
    }

    #[test]
    fn letters_and_digits_follow_go() {
        for c in ['a', 'Z', '_', 'ŝ', 'Ω', 'é', '日', 'ǅ', 'ʰ'] {
            assert!(is_letter(c), "{c:?}");
        }
        // Marks, letter-like numbers and symbols are not letters (Go's unicode.IsLetter).
        for c in ['1', '-', '\u{0301}', 'Ⅻ', '€', '\u{0345}', '١'] {
            assert!(!is_letter(c), "{c:?}");
        }
        for c in ['0', '٠', '۰', '६', '９'] {
            assert!(is_digit(c), "{c:?}");
        }
        for c in ['a', '²', 'Ⅻ', '½'] {
            assert!(!is_digit(c), "{c:?}");
        }
    }
}

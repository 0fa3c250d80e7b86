//! Token kinds and their names in messages.

use std::fmt;

use crate::span::Span;

/// The kind of a lexical token. `Display` gives the name used in diagnostics: `IDENT`, `NUMBER`,
/// `FLOAT`, `STRING`, `BOOL`, `NULL`, `COMMENT`, `TERMINATOR`, `EOF`, `ILLEGAL`, or an operator's
/// spelling (`&&`, `{`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// An identifier.
    Ident,
    /// A decimal integer literal.
    Number,
    /// A floating-point literal.
    Float,
    /// A double-quoted or raw string literal.
    String,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
    /// A `//` or `/* */` comment.
    Comment,
    /// An automatically inserted statement terminator (a line end).
    Terminator,
    /// End of input.
    Eof,
    /// A character that cannot start a token.
    Illegal,
    /// `||`
    OrOr,
    /// `&&`
    AndAnd,
    /// `!`
    Not,
    /// `=`
    Assign,
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
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// `^`
    Caret,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBrack,
    /// `]`
    RBrack,
    /// `,`
    Comma,
    /// `.`
    Dot,
}

impl TokenKind {
    /// The name of the kind in diagnostics.
    pub fn name(self) -> &'static str {
        use TokenKind::*;
        match self {
            Ident => "IDENT",
            Number => "NUMBER",
            Float => "FLOAT",
            String => "STRING",
            Bool => "BOOL",
            Null => "NULL",
            Comment => "COMMENT",
            Terminator => "TERMINATOR",
            Eof => "EOF",
            Illegal => "ILLEGAL",
            OrOr => "||",
            AndAnd => "&&",
            Not => "!",
            Assign => "=",
            Eq => "==",
            NotEq => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            Caret => "^",
            LBrace => "{",
            RBrace => "}",
            LParen => "(",
            RParen => ")",
            LBrack => "[",
            RBrack => "]",
            Comma => ",",
            Dot => ".",
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One token: its kind, where it is, and its literal text (the source text for identifiers,
/// numbers, strings and operators; the comment text with `\r` removed for comments; empty for
/// `EOF` and a `TERMINATOR` made from a line break).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// What kind of token this is.
    pub kind: TokenKind,
    /// Where it is in the source.
    pub span: Span,
    /// Its literal text.
    pub text: String,
}

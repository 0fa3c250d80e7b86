//! Fuzz the whole front end with raw bytes, as a configuration file arrives from disk.
//!
//! The bytes go through `decode_source` (BOM handling and the replacement of invalid UTF-8,
//! whose offsets must lie inside the decoded text), not through a lossy conversion, so invalid
//! UTF-8 handling is fuzzed too. Then the text is lexed, parsed as a file and as a standalone
//! expression, and the D1 warnings are computed. Nothing may panic, hang or overflow the stack,
//! and every diagnostic must point inside the text.

#![no_main]

use ferroalloy_syntax::SourceFile;
use ferroalloy_syntax::lexer::{decode_source, tokenize};
use ferroalloy_syntax::parser::{leading_zero_warnings, parse_expression, parse_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (text, errors) = decode_source(data);
    assert!(errors.iter().all(|(offset, _)| *offset <= text.len()));
    let src = SourceFile::new("fuzz.alloy", text);

    let (tokens, lex_errors) = tokenize(&src);
    assert!(
        tokens
            .last()
            .is_some_and(|t| t.kind == ferroalloy_syntax::TokenKind::Eof)
    );
    assert!(
        lex_errors
            .iter()
            .all(|d| d.start.offset <= src.text().len())
    );

    let (file, diags) = parse_file(&src);
    assert!(diags.iter().all(|d| d.start.offset <= src.text().len()));
    let _ = leading_zero_warnings(&file, &src);

    let (expr, diags) = parse_expression(&src);
    assert_eq!(expr.is_none(), diags.has_errors());
});

//! Byte spans and line/column positions.
//!
//! Every AST node carries a [`Span`] of byte offsets into its source text. Line and column are
//! computed only when a diagnostic is reported, through a [`SourceFile`]: columns count bytes from
//! the start of the line (a tab is one column), both 1-based, as Alloy reports them.

use std::sync::Arc;

/// A half-open range of byte offsets `start..end` into one source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span covering `start..end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// An empty span at `offset`.
    pub const fn point(offset: usize) -> Self {
        Self {
            start: offset,
            end: offset,
        }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Number of bytes covered.
    pub const fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span covers no byte.
    pub const fn is_empty(self) -> bool {
        self.end <= self.start
    }
}

/// A resolved position: byte offset plus 1-based line and byte column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in bytes from the start of the line.
    pub column: usize,
    /// 0-based byte offset from the start of the file.
    pub offset: usize,
}

/// One named source text with a line index, shared cheaply between parser, evaluator and
/// diagnostics.
///
/// When the text was decoded from bytes that were not all kept (a UTF-8 byte-order mark
/// stripped, invalid sequences replaced by U+FFFD), positions are reported in bytes of the file
/// as written, as Alloy reports them: `anchors` maps offsets of the text back to the file.
#[derive(Clone, Debug)]
pub struct SourceFile {
    name: Arc<str>,
    text: Arc<str>,
    line_starts: Arc<[usize]>,
    anchors: Arc<[OffsetAnchor]>,
}

/// From `text` offset `decoded` on, text offsets map to file offsets starting at `original`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetAnchor {
    /// An offset in the decoded text.
    pub decoded: usize,
    /// The file offset it corresponds to.
    pub original: usize,
}

impl SourceFile {
    /// Index `text` under the diagnostic name `name` (the path as given on the command line, or
    /// empty for a standalone expression).
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self {
            name: name.into(),
            text,
            line_starts: line_starts.into(),
            anchors: Arc::new([]),
        }
    }

    /// Like [`SourceFile::new`], for a text decoded from a file whose bytes differ: `anchors`
    /// (sorted by `decoded`) say where the file's byte offsets diverge from the text's.
    pub fn with_anchors(
        name: impl Into<Arc<str>>,
        text: impl Into<Arc<str>>,
        anchors: Vec<OffsetAnchor>,
    ) -> Self {
        let mut file = Self::new(name, text);
        file.anchors = anchors.into();
        file
    }

    /// The file offset of text offset `offset`.
    fn original_offset(&self, offset: usize) -> usize {
        let index = self
            .anchors
            .partition_point(|anchor| anchor.decoded <= offset);
        match index.checked_sub(1).and_then(|i| self.anchors.get(i)) {
            Some(anchor) => anchor.original + (offset - anchor.decoded),
            None => offset,
        }
    }

    /// The name used in diagnostics.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The shared name.
    pub fn name_arc(&self) -> &Arc<str> {
        &self.name
    }

    /// The whole source text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The source text under `span`, or `""` when the span does not fall on character
    /// boundaries.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    /// Line, column and offset of byte `offset` (clamped to the end of the text).
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        // The first line starts at the file's first byte, before any stripped byte-order mark.
        let line_start = match line_index {
            0 => 0,
            _ => self.original_offset(self.line_starts[line_index]),
        };
        let offset = self.original_offset(offset);
        Position {
            line: line_index + 1,
            column: offset - line_start + 1,
            offset,
        }
    }

    /// The 1-based column within line `line` of the text of the position reported as `line`,
    /// `column` (a column counted in the file's bytes): the inverse of [`SourceFile::position`],
    /// for drawing a caret under the text as decoded.
    pub fn text_column(&self, line: usize, column: usize) -> usize {
        let Some(&line_start) = line.checked_sub(1).and_then(|i| self.line_starts.get(i)) else {
            return column;
        };
        let original_line_start = match line {
            1 => 0,
            _ => self.original_offset(line_start),
        };
        let original = original_line_start + column.saturating_sub(1);
        let index = self
            .anchors
            .partition_point(|anchor| anchor.original <= original);
        let decoded = match index.checked_sub(1).and_then(|i| self.anchors.get(i)) {
            Some(anchor) => anchor.decoded + (original - anchor.original),
            None => original,
        };
        decoded.saturating_sub(line_start) + 1
    }

    /// Start position and inclusive end position (the last byte) of `span`; an empty span has no
    /// end.
    pub fn range(&self, span: Span) -> (Position, Option<Position>) {
        let start = self.position(span.start);
        let end = (span.end > span.start + 1).then(|| self.position(span.end - 1));
        (start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_bytes_from_one() {
        let file = SourceFile::new("f", "ab\n\tcd\n");
        assert_eq!(
            file.position(0),
            Position {
                line: 1,
                column: 1,
                offset: 0
            }
        );
        assert_eq!(
            file.position(2),
            Position {
                line: 1,
                column: 3,
                offset: 2
            }
        );
        assert_eq!(
            file.position(3),
            Position {
                line: 2,
                column: 1,
                offset: 3
            }
        );
        assert_eq!(
            file.position(5),
            Position {
                line: 2,
                column: 3,
                offset: 5
            }
        );
        assert_eq!(
            file.position(7),
            Position {
                line: 3,
                column: 1,
                offset: 7
            }
        );
        assert_eq!(file.position(100).offset, 7);
    }

    #[test]
    fn anchors_report_positions_in_file_bytes() {
        // "\u{feff}a = \"\xff\" 1": BOM stripped (3 bytes), one invalid byte replaced by U+FFFD.
        let text = "a = \"\u{fffd}\" 1\nb";
        let anchors = vec![
            OffsetAnchor {
                decoded: 0,
                original: 3,
            },
            OffsetAnchor {
                decoded: 8,
                original: 9,
            },
        ];
        let file = SourceFile::with_anchors("f", text, anchors);
        assert_eq!(
            file.position(0),
            Position {
                line: 1,
                column: 4,
                offset: 3
            }
        );
        assert_eq!(
            file.position(5),
            Position {
                line: 1,
                column: 9,
                offset: 8
            }
        );
        assert_eq!(
            file.position(10),
            Position {
                line: 1,
                column: 12,
                offset: 11
            }
        );
        assert_eq!(
            file.position(12),
            Position {
                line: 2,
                column: 1,
                offset: 13
            }
        );
    }

    #[test]
    fn text_columns_invert_file_columns() {
        let text = "a = \"\u{fffd}\" 1\nb";
        let anchors = vec![
            OffsetAnchor {
                decoded: 0,
                original: 3,
            },
            OffsetAnchor {
                decoded: 8,
                original: 9,
            },
        ];
        let file = SourceFile::with_anchors("f", text, anchors);
        for offset in [0, 4, 5, 8, 10, 12] {
            let position = file.position(offset);
            let line_start = if position.line == 1 { 0 } else { 12 };
            assert_eq!(
                file.text_column(position.line, position.column),
                offset - line_start + 1,
                "offset {offset}"
            );
        }
        let plain = SourceFile::new("g", "ab\ncd");
        assert_eq!(plain.text_column(2, 2), 2);
        assert_eq!(plain.text_column(9, 3), 3);
    }

    #[test]
    fn range_end_is_the_last_byte() {
        let file = SourceFile::new("f", "attr = 1");
        let (start, end) = file.range(Span::new(0, 4));
        assert_eq!((start.line, start.column), (1, 1));
        assert_eq!(end.map(|p| p.column), Some(4));
        assert_eq!(file.range(Span::new(0, 1)).1, None);
    }
}

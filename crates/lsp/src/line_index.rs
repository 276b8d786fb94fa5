//! Byte offsets in, LSP positions out (and back): one index per document.
//!
//! LSP counts columns in UTF-16 code units and breaks lines at `\n`, `\r\n`
//! and `\r`. The compiler counts bytes. The index records where each line
//! starts and, per line, the characters wider than one byte, so a conversion
//! never rescans the text. Every conversion clamps: a position past the end
//! of a line or of the file, or inside a character, lands on the nearest
//! boundary before it.

use lsp_types::Position;

/// A character of more than one UTF-8 byte, by byte column in its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct WideChar {
    /// Byte offset from the start of the line.
    col: u32,
    len_utf8: u8,
    len_utf16: u8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset where each line starts; the first is 0.
    starts: Vec<u32>,
    /// Byte offset where each line's content ends (before its line break).
    ends: Vec<u32>,
    /// Wide characters per line, in order (empty for ASCII lines).
    wide: Vec<Vec<WideChar>>,
    len: u32,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0u32];
        let mut ends = Vec::new();
        let mut wide = vec![Vec::new()];
        let mut line_start = 0usize;
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let brk = match c {
                '\n' => Some(1),
                '\r' if matches!(chars.peek(), Some((_, '\n'))) => {
                    chars.next();
                    Some(2)
                }
                '\r' => Some(1),
                _ => None,
            };
            if let Some(n) = brk {
                ends.push(to_u32(i));
                starts.push(to_u32(i + n));
                wide.push(Vec::new());
                line_start = i + n;
                continue;
            }
            let len_utf8 = c.len_utf8();
            if len_utf8 > 1 {
                if let Some(w) = wide.last_mut() {
                    w.push(WideChar {
                        col: to_u32(i - line_start),
                        len_utf8: u8::try_from(len_utf8).unwrap_or(4),
                        len_utf16: u8::try_from(c.len_utf16()).unwrap_or(2),
                    });
                }
            }
        }
        ends.push(to_u32(text.len()));
        LineIndex {
            starts,
            ends,
            wide,
            len: to_u32(text.len()),
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The length of the text the index was built from, in bytes.
    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The 0-based line of a byte offset (offsets past the end are on the
    /// last line).
    pub fn line_of(&self, offset: u32) -> usize {
        let offset = offset.min(self.len);
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Byte offset of the start of a line (the end of the text past the last).
    pub fn line_start(&self, line: usize) -> u32 {
        self.starts.get(line).copied().unwrap_or(self.len)
    }

    /// Byte offset where a line's content ends, before its line break.
    pub fn line_end(&self, line: usize) -> u32 {
        self.ends.get(line).copied().unwrap_or(self.len)
    }

    /// The LSP position of a byte offset. An offset inside a character or a
    /// line break moves back to the character's start or the line's end.
    pub fn position(&self, offset: u32) -> Position {
        let offset = offset.min(self.len);
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let end = self.line_end(line);
        let col = offset.min(end).saturating_sub(start);
        let mut utf16 = col;
        for w in self.wide.get(line).map(Vec::as_slice).unwrap_or_default() {
            if w.col >= col {
                break;
            }
            let w_end = w.col + u32::from(w.len_utf8);
            if w_end > col {
                // Inside the character: report its start.
                utf16 = utf16.saturating_sub(col - w.col);
                break;
            }
            utf16 = utf16.saturating_sub(u32::from(w.len_utf8) - u32::from(w.len_utf16));
        }
        Position {
            line: to_u32(line),
            character: utf16,
        }
    }

    /// The byte offset of an LSP position. A line past the end gives the end
    /// of the text; a column past the line's end gives the line's end; a
    /// column inside a surrogate pair gives the character's start.
    pub fn offset(&self, pos: Position) -> u32 {
        let line = pos.line as usize;
        if line >= self.starts.len() {
            return self.len;
        }
        let start = self.line_start(line);
        let end = self.line_end(line);
        let mut want = pos.character;
        let mut byte_col = 0u32;
        let mut utf16_col = 0u32;
        for w in self.wide.get(line).map(Vec::as_slice).unwrap_or_default() {
            // ASCII run before this wide character.
            let run = w.col - byte_col;
            if want <= utf16_col + run {
                break;
            }
            utf16_col += run;
            byte_col = w.col;
            if want < utf16_col + u32::from(w.len_utf16) {
                // Inside the character (a surrogate pair): its start.
                want = utf16_col;
                break;
            }
            utf16_col += u32::from(w.len_utf16);
            byte_col += u32::from(w.len_utf8);
        }
        let offset = start
            .saturating_add(byte_col)
            .saturating_add(want.saturating_sub(utf16_col));
        offset.min(end)
    }

    /// The LSP range of a byte range.
    pub fn range(&self, start: u32, end: u32) -> lsp_types::Range {
        lsp_types::Range {
            start: self.position(start),
            end: self.position(end.max(start)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn ascii() {
        let i = LineIndex::new("ab\ncd");
        assert_eq!(i.position(0), pos(0, 0));
        assert_eq!(i.position(2), pos(0, 2));
        assert_eq!(i.position(3), pos(1, 0));
        assert_eq!(i.position(5), pos(1, 2));
        assert_eq!(i.position(99), pos(1, 2));
        assert_eq!(i.offset(pos(1, 1)), 4);
        assert_eq!(i.offset(pos(0, 9)), 2);
        assert_eq!(i.offset(pos(7, 0)), 5);
    }

    #[test]
    fn wide_and_astral() {
        // é is 2 bytes / 1 unit, 😀 is 4 bytes / 2 units.
        let t = "é😀x\r\ny";
        let i = LineIndex::new(t);
        assert_eq!(i.position(2), pos(0, 1));
        assert_eq!(i.position(6), pos(0, 3));
        assert_eq!(i.position(4), pos(0, 1)); // inside the emoji
        assert_eq!(i.offset(pos(0, 3)), 6);
        assert_eq!(i.offset(pos(0, 2)), 2); // between the surrogates
        assert_eq!(i.offset(pos(0, 4)), 7);
        assert_eq!(i.offset(pos(0, 5)), 7); // the \r\n is not content
        assert_eq!(i.position(8), pos(0, 4)); // inside \r\n
        assert_eq!(i.offset(pos(1, 0)), 9);
    }

    #[test]
    fn lone_carriage_return_breaks_lines() {
        let i = LineIndex::new("a\rb");
        assert_eq!(i.line_count(), 2);
        assert_eq!(i.position(2), pos(1, 0));
    }
}

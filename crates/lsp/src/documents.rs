//! Editor notifications in, document texts out: the open documents, their
//! versions and line indexes, kept in step with full or incremental changes.

use crate::line_index::LineIndex;
use crate::uri;
use lsp_types::{TextDocumentContentChangeEvent, Uri};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Document {
    pub uri: Uri,
    pub version: i32,
    pub text: String,
    pub index: LineIndex,
    /// The file's path, for `file:` URIs.
    pub path: Option<PathBuf>,
}

impl Document {
    pub fn new(uri: Uri, version: i32, text: String) -> Document {
        let index = LineIndex::new(&text);
        let path = uri::to_path(&uri);
        Document {
            uri,
            version,
            text,
            index,
            path,
        }
    }

    /// Applies one change: a whole new text, or a range replaced. Ranges are
    /// clamped to the text, so a stale or bogus range cannot panic.
    pub fn apply(&mut self, change: TextDocumentContentChangeEvent) {
        match change.range {
            None => self.text = change.text,
            Some(range) => {
                let a = self.index.offset(range.start) as usize;
                let b = self.index.offset(range.end) as usize;
                let (start, end) = (a.min(b), a.max(b));
                if self.text.is_char_boundary(start) && self.text.is_char_boundary(end) {
                    self.text.replace_range(start..end, &change.text);
                }
            }
        }
        self.index = LineIndex::new(&self.text);
    }
}

/// The open documents, by URI.
#[derive(Default)]
pub struct Documents {
    docs: BTreeMap<Uri, Document>,
}

impl Documents {
    pub fn open(&mut self, uri: Uri, version: i32, text: String) {
        self.docs
            .insert(uri.clone(), Document::new(uri, version, text));
    }

    /// Applies changes in order. Returns false for a document that is not open.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> bool {
        let Some(doc) = self.docs.get_mut(uri) else {
            return false;
        };
        for c in changes {
            doc.apply(c);
        }
        doc.version = version;
        true
    }

    pub fn close(&mut self, uri: &Uri) -> Option<Document> {
        self.docs.remove(uri)
    }

    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.docs.get(uri)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Document> {
        self.docs.values()
    }

    /// The open document at a path, if any.
    pub fn by_path(&self, path: &std::path::Path) -> Option<&Document> {
        self.docs.values().find(|d| d.path.as_deref() == Some(path))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use lsp_types::{Position, Range};

    fn change(
        range: Option<((u32, u32), (u32, u32))>,
        text: &str,
    ) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|((a, b), (c, d))| Range {
                start: Position {
                    line: a,
                    character: b,
                },
                end: Position {
                    line: c,
                    character: d,
                },
            }),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn incremental_changes_apply_in_utf16() {
        let uri: Uri = "file:///tmp/a.p0".parse().unwrap();
        let mut d = Document::new(uri, 1, "when 😀 x\nthen".to_string());
        // Replace `x` (after the 2-unit emoji) with `yz`.
        d.apply(change(Some(((0, 8), (0, 9))), "yz"));
        assert_eq!(d.text, "when 😀 yz\nthen");
        // Reversed and out-of-range ranges are clamped, not panics.
        d.apply(change(Some(((9, 0), (0, 99))), "!"));
        assert_eq!(d.text, "when 😀 yz!");
        d.apply(change(None, "new"));
        assert_eq!(d.text, "new");
    }
}

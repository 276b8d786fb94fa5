//! An open document in, its compilation out: what the document is checked
//! with, and where every file of that compilation lives for the editor.
//!
//! A document is compiled the way `permit0 check <its folder>` would: with
//! every other `.p0` file of its folder (the editor's text for those that are
//! open, the disk's for the rest) and the shipped taxonomy, so a team's own
//! `action` declarations in a sibling file are known. A document that is not
//! a local file (an unsaved buffer) is compiled alone with the taxonomy.
//! Only the document's own diagnostics are reported for it.

use crate::documents::{Document, Documents};
use crate::line_index::LineIndex;
use crate::taxonomy_files::TaxonomyFiles;
use crate::uri;
use lsp_types::{Location, Range, Uri};
use permit0_compiler::ast::Ast;
use permit0_compiler::schema::Schema;
use permit0_compiler::span::{FileId, Span};
use permit0_compiler::{compile, Compilation, Input};
use std::path::{Path, PathBuf};

/// Siblings beyond this many, or larger than this, are left out.
const MAX_SIBLINGS: usize = 256;
const MAX_SIBLING_BYTES: u64 = 4 << 20;

pub struct Analysis {
    pub comp: Compilation,
    /// The document's file in [`Analysis::comp`].
    pub file: FileId,
    /// The document version this was computed from.
    pub version: i32,
    /// The folder generation this was computed from.
    pub generation: u64,
    uris: Vec<Option<Uri>>,
    indexes: Vec<LineIndex>,
}

/// The folder a document is checked with, if it is a local file.
pub fn folder_of(doc: &Document) -> Option<PathBuf> {
    doc.path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
}

impl Analysis {
    pub fn new(
        doc: &Document,
        docs: &Documents,
        taxonomy: &TaxonomyFiles,
        generation: u64,
    ) -> Analysis {
        let mut inputs: Vec<(Option<Uri>, Input)> = Vec::new();
        let own_name = uri::display_name(&doc.uri);
        inputs.push((
            Some(doc.uri.clone()),
            Input {
                path: doc.path.clone(),
                ..Input::from_text(own_name.clone(), doc.text.clone())
            },
        ));
        if let (Some(dir), Some(own)) = (folder_of(doc), doc.path.as_deref()) {
            for p in siblings(&dir, own) {
                let (u, input) = match docs.by_path(&p) {
                    // The editor's URI, as the editor spells it.
                    Some(open) => (
                        Some(open.uri.clone()),
                        Input {
                            path: Some(p.clone()),
                            ..Input::from_text(p.display().to_string(), open.text.clone())
                        },
                    ),
                    None => match std::fs::read(&p) {
                        Ok(bytes) => (
                            uri::from_path(&p),
                            Input::from_bytes(p.display().to_string(), Some(p.clone()), bytes),
                        ),
                        Err(_) => continue,
                    },
                };
                inputs.push((u, input));
            }
        }
        // The order `permit0 check` uses: by name.
        inputs.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        let own_pos = inputs
            .iter()
            .position(|(_, i)| i.name == own_name)
            .unwrap_or(0);
        let (mut input_uris, mut inputs): (Vec<Option<Uri>>, Vec<Input>) =
            inputs.into_iter().unzip();
        // As on the command line: the embedded stdlib comes along, so a rule
        // can name one of its rules in `overrides`.
        if !permit0_compiler::stdlib::provided_by(&inputs) {
            for input in permit0_compiler::stdlib::inputs() {
                input_uris.push(None);
                inputs.push(input);
            }
        }
        let comp = compile(inputs);

        let mut uris: Vec<Option<Uri>> = Vec::new();
        let mut indexes = Vec::new();
        for (id, f) in comp.sources.files() {
            indexes.push(LineIndex::new(&f.text));
            let user = comp.user_files.iter().position(|u| *u == id);
            let u = match user {
                Some(i) => input_uris.get(i).cloned().flatten(),
                None if TaxonomyFiles::is_taxonomy_name(&f.name) => {
                    taxonomy.path(&f.name).and_then(uri::from_path)
                }
                None => None,
            };
            uris.push(u);
        }
        let file = comp.user_files.get(own_pos).copied().unwrap_or_default();
        Analysis {
            comp,
            file,
            version: doc.version,
            generation,
            uris,
            indexes,
        }
    }

    pub fn schema(&self) -> &Schema {
        &self.comp.schema
    }

    /// The document's syntax tree.
    pub fn ast(&self) -> Option<&Ast> {
        self.comp
            .asts
            .iter()
            .find(|(id, _, _)| *id == self.file)
            .map(|(_, a, _)| a)
    }

    /// The document's text, as compiled.
    pub fn text(&self) -> &str {
        self.comp
            .sources
            .get(self.file)
            .map(|f| f.text.as_str())
            .unwrap_or("")
    }

    pub fn index_of(&self, file: FileId) -> Option<&LineIndex> {
        self.indexes.get(file.0 as usize)
    }

    /// The document's line index.
    pub fn index(&self) -> Option<&LineIndex> {
        self.index_of(self.file)
    }

    pub fn uri_of(&self, file: FileId) -> Option<&Uri> {
        self.uris.get(file.0 as usize).and_then(Option::as_ref)
    }

    pub fn range(&self, span: Span) -> Option<Range> {
        self.index_of(span.file)
            .map(|i| i.range(span.start, span.end))
    }

    /// Where a span is, for the editor: `None` when its file cannot be opened.
    pub fn location(&self, span: Span) -> Option<Location> {
        Some(Location {
            uri: self.uri_of(span.file)?.clone(),
            range: self.range(span)?,
        })
    }

    /// The document's byte offset of a position.
    pub fn offset(&self, pos: lsp_types::Position) -> usize {
        self.index().map(|i| i.offset(pos) as usize).unwrap_or(0)
    }
}

/// The other `.p0` files of a folder, sorted.
fn siblings(dir: &Path, own: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.metadata()
                .is_ok_and(|m| m.is_file() && m.len() <= MAX_SIBLING_BYTES)
        })
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "p0") && p != own)
        .collect();
    out.sort();
    out.truncate(MAX_SIBLINGS);
    out
}

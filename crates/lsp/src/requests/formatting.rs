//! A document in, the edit that formats it out: the same layout as
//! `permit0 fmt` (`permit0_compiler::fmt::format_source`). A document that
//! does not parse is left alone (no edits) — its diagnostics say why. The
//! edit is trimmed to the part that changes, so the cursor and folds of the
//! rest of the file stay put.

use crate::documents::Document;
use lsp_types::TextEdit;

pub fn formatting(doc: &Document) -> Option<Vec<TextEdit>> {
    let formatted = permit0_compiler::fmt::format_source(&doc.text).ok()?;
    Some(minimal_edit(doc, &formatted).into_iter().collect())
}

/// One edit replacing the differing middle of the old text.
fn minimal_edit(doc: &Document, new: &str) -> Option<TextEdit> {
    let old = doc.text.as_str();
    if old == new {
        return None;
    }
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !(old.is_char_boundary(prefix) && new.is_char_boundary(prefix)) {
        prefix = prefix.saturating_sub(1);
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !(old.is_char_boundary(old.len() - suffix) && new.is_char_boundary(new.len() - suffix)) {
        suffix = suffix.saturating_sub(1);
    }
    let start = u32::try_from(prefix).ok()?;
    let end = u32::try_from(old.len() - suffix).ok()?;
    Some(TextEdit {
        range: doc.index.range(start, end),
        new_text: new.get(prefix..new.len() - suffix)?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn apply(old: &str, new: &str) -> String {
        let doc = Document::new("file:///t.p0".parse().unwrap(), 1, old.to_string());
        match minimal_edit(&doc, new) {
            None => old.to_string(),
            Some(e) => {
                let a = doc.index.offset(e.range.start) as usize;
                let b = doc.index.offset(e.range.end) as usize;
                format!("{}{}{}", &old[..a], e.new_text, &old[b..])
            }
        }
    }

    #[test]
    fn minimal_edits_reproduce_the_new_text() {
        for (old, new) in [
            ("when  a.b then allow\n", "when a.b then allow\n"),
            ("é😀x", "é😀yx"),
            ("aaa", "aa"),
            ("", "x\n"),
            ("😀😀", "😀"),
            ("ab", "ab"),
        ] {
            assert_eq!(apply(old, new), new);
        }
    }
}

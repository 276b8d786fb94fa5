//! A range in, quick fixes out: for every diagnostic of the document that
//! overlaps the range and carries a machine-applicable fix (each "did you
//! mean"), a `quickfix` code action that applies it.

use crate::analysis::Analysis;
use crate::convert;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Range, TextEdit,
    WorkspaceEdit,
};
use std::collections::HashMap;

fn overlaps(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

#[expect(
    clippy::mutable_key_type,
    reason = "`lsp_types::Uri` hashes and compares by its text; the map type is the protocol's"
)]
pub fn code_actions(a: &Analysis, p: &CodeActionParams) -> Vec<CodeActionOrCommand> {
    if let Some(only) = &p.context.only {
        if !only
            .iter()
            .any(|k| CodeActionKind::QUICKFIX.as_str().starts_with(k.as_str()))
        {
            return Vec::new();
        }
    }
    let mut out = Vec::new();
    for d in a.comp.diagnostics.iter() {
        let Some(span) = d.span.filter(|s| s.file == a.file) else {
            continue;
        };
        let Some(fix) = &d.fix else { continue };
        let Some(range) = a.range(span) else {
            continue;
        };
        if !overlaps(range, p.range) {
            continue;
        }
        let Some(location) = a.location(fix.span) else {
            continue;
        };
        let old = a.comp.sources.slice(fix.span);
        let title = if fix.replacement.is_empty() {
            format!("remove `{old}`")
        } else if old.is_empty() {
            format!("insert `{}`", fix.replacement)
        } else {
            format!("replace `{old}` with `{}`", fix.replacement)
        };
        let edit = TextEdit {
            range: location.range,
            new_text: fix.replacement.clone(),
        };
        let mut changes = HashMap::new();
        changes.insert(location.uri, vec![edit]);
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title,
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![convert::diagnostic(a, d)]),
            edit: Some(WorkspaceEdit {
                changes: Some(changes),
                ..WorkspaceEdit::default()
            }),
            is_preferred: Some(true),
            ..CodeAction::default()
        }));
    }
    out
}

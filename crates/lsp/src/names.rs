//! The language's own names in the editor: rule names and the rule ids
//! `overrides` names, imports (`use stdlib.shared.{…}`), action sets
//! (`actions outbound = …`) and named conditions (`predicate x = …`).
//!
//! Hover shows what a name stands for (a rule's id, decision and reason; a
//! set's actions; a predicate's or a `let`'s text) and completion offers the
//! names that fit: rule ids after `overrides`, policies after `use`, the
//! names a policy defines inside `use policy.{ … }`, and the document's
//! sets, predicates and imports where a rule's actions or condition go.

use crate::analysis::Analysis;
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent,
    MarkupKind, Range, TextEdit,
};
use permit0_compiler::ast::{Ast, Item};
use permit0_compiler::ir::Effect;
use permit0_compiler::span::Span;

/// A policy's name: its header, or its file's stem.
fn policy_name(a: &Analysis, ast: &Ast, file: permit0_compiler::span::FileId) -> String {
    ast.items
        .iter()
        .find_map(|i| match i {
            Item::Policy(p) => Some(p.name.dotted()),
            _ => None,
        })
        .unwrap_or_else(|| {
            std::path::Path::new(a.comp.sources.name(file))
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
}

/// What a shared name is, as Markdown: its definition as written.
fn definition(a: &Analysis, policy: &str, name: &str) -> Option<String> {
    for (file, ast, _) in &a.comp.asts {
        if policy_name(a, ast, *file) != policy {
            continue;
        }
        for item in &ast.items {
            let (kind, span) = match item {
                Item::Let(l) if l.name.text == name => ("let", l.span),
                Item::Actions(x) if x.name.text == name => ("action set", x.span),
                Item::Predicate(p) if p.name.text == name => ("condition", p.span),
                _ => continue,
            };
            let text = a.comp.sources.slice(span);
            return Some(format!("```p0\n{text}\n```\n{kind} of `{policy}`"));
        }
    }
    None
}

fn rule_text(a: &Analysis, id: &str) -> Option<String> {
    let r = a.comp.ir.rules.iter().find(|r| r.id == id)?;
    let effect = match &r.effect {
        Effect::Decide(v) => v.name().to_string(),
        Effect::Amplify(_) => "amplify".to_string(),
    };
    let mut s = format!("rule `{id}`: {effect}");
    if let Some(reason) = &r.reason {
        s.push_str(&format!(" — \"{reason}\""));
    }
    Some(s)
}

fn inside(span: Span, offset: usize) -> bool {
    (span.start as usize) <= offset && offset < span.end as usize
}

/// The word (letters, digits, `_`) around `offset`.
fn word_at(text: &str, offset: usize) -> Option<(usize, usize)> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = text
        .get(..offset)?
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = offset
        + text
            .get(offset..)?
            .char_indices()
            .find(|(_, c)| !is_word(*c))
            .map_or(text.len() - offset, |(i, _)| i);
    (start < end).then_some((start, end))
}

/// Hover text for a name this module knows, with the byte range it covers.
pub fn hover(a: &Analysis, offset: usize) -> Option<(String, usize, usize)> {
    let ast = a.ast()?;
    let own = policy_name(a, ast, a.file);
    let range = |s: Span| (s.start as usize, s.end as usize);
    for item in &ast.items {
        if !inside(item.span(), offset) {
            continue;
        }
        match item {
            Item::Rule(r) => {
                if let Some(n) = r.name.as_ref().filter(|n| inside(n.span, offset)) {
                    let id = format!("{own}.{}", n.text);
                    let text = rule_text(a, &id).unwrap_or_else(|| format!("rule `{id}`"));
                    let (s, e) = range(n.span);
                    return Some((text, s, e));
                }
                if let Some(o) = r.overrides.iter().find(|o| inside(o.span, offset)) {
                    let (s, e) = range(o.span);
                    return Some((rule_text(a, &o.id())?, s, e));
                }
            }
            Item::Use(u) => {
                let policy = u.policy.dotted();
                if let Some(n) = u.names.iter().find(|n| inside(n.span, offset)) {
                    let (s, e) = range(n.span);
                    return Some((definition(a, &policy, &n.text)?, s, e));
                }
            }
            Item::Actions(x) if inside(x.name.span, offset) => {
                let (s, e) = range(x.name.span);
                return Some((definition(a, &own, &x.name.text)?, s, e));
            }
            Item::Predicate(p) if inside(p.name.span, offset) => {
                let (s, e) = range(p.name.span);
                return Some((definition(a, &own, &p.name.text)?, s, e));
            }
            _ => {}
        }
    }
    // A use of a set or predicate: a one-word name the document defines or
    // imports, not part of a dotted path.
    let text = a.text();
    let (s, e) = word_at(text, offset)?;
    let dotted = text.get(..s).is_some_and(|b| b.ends_with('.'))
        || text.get(e..).is_some_and(|r| r.starts_with('.'));
    if dotted {
        return None;
    }
    let word = text.get(s..e)?;
    let (policy, _) = shared_names(ast, &own)
        .into_iter()
        .find(|(_, n)| n == word)?;
    let in_decl = ast.items.iter().any(|i| match i {
        Item::Let(l) => l.name.text == word && inside(l.name.span, offset),
        _ => false,
    });
    if in_decl {
        return None;
    }
    Some((definition(a, &policy, word)?, s, e))
}

/// `(policy, name)` of the sets, predicates and imports the document can use.
fn shared_names(ast: &Ast, own: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for item in &ast.items {
        match item {
            Item::Actions(x) => out.push((own.to_string(), x.name.text.clone())),
            Item::Predicate(p) => out.push((own.to_string(), p.name.text.clone())),
            Item::Use(u) => {
                let policy = u.policy.dotted();
                out.extend(u.names.iter().map(|n| (policy.clone(), n.text.clone())));
            }
            _ => {}
        }
    }
    out
}

/// `(name, kind, definition)` of what a policy defines for sharing.
fn exports(a: &Analysis, policy: &str) -> Vec<(String, CompletionItemKind, String)> {
    let mut out = Vec::new();
    for (file, ast, _) in &a.comp.asts {
        if policy_name(a, ast, *file) != policy {
            continue;
        }
        for item in &ast.items {
            let (name, kind, span) = match item {
                Item::Let(l) => (&l.name.text, CompletionItemKind::CONSTANT, l.span),
                Item::Actions(x) => (&x.name.text, CompletionItemKind::ENUM, x.span),
                Item::Predicate(p) => (&p.name.text, CompletionItemKind::FUNCTION, p.span),
                _ => continue,
            };
            out.push((name.clone(), kind, a.comp.sources.slice(span).to_string()));
        }
    }
    out
}

fn item(
    range: Range,
    label: &str,
    kind: CompletionItemKind,
    doc: Option<String>,
) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        documentation: doc.map(|d| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: d,
            })
        }),
        sort_text: Some(format!("0{label}")),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit {
            range,
            new_text: label.to_string(),
        })),
        ..CompletionItem::default()
    }
}

/// Completions after `overrides`, `use` and inside `use policy.{ … }`;
/// `None` elsewhere, for the general completion to answer.
pub fn completions(a: &Analysis, offset: usize) -> Option<Vec<CompletionItem>> {
    let text = a.text();
    let before = text.get(..offset)?;
    // The name being typed: letters, digits, `_`, `.` and `:`.
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':'))
        .last()
        .map_or(offset, |(i, _)| i);
    let typed = before.get(start..)?;
    let head = before.get(..start)?.trim_end();
    let range = a.index().map(|i| {
        i.range(
            u32::try_from(start).unwrap_or(0),
            u32::try_from(offset).unwrap_or(0),
        )
    })?;
    let line = head.rsplit('\n').next().unwrap_or(head);
    if head.ends_with("overrides") || (head.ends_with(',') && line.contains(" overrides ")) {
        let mut out = Vec::new();
        for r in &a.comp.ir.rules {
            let named = !r.id.contains(':');
            if named
                && matches!(
                    r.effect,
                    Effect::Decide(permit0_vm::risk::Verdict::Escalate)
                )
            {
                out.push(item(
                    range,
                    &r.id,
                    CompletionItemKind::EVENT,
                    rule_text(a, &r.id),
                ));
            }
        }
        out.dedup_by(|x, y| x.label == y.label);
        return Some(out);
    }
    if line.trim_start() == "use" {
        // `use stdlib.shared.` or `use stdlib.sh`: policies that share names.
        let mut out = Vec::new();
        for (file, ast, _) in &a.comp.asts {
            let p = policy_name(a, ast, *file);
            if *file != a.file
                && !exports(a, &p).is_empty()
                && p.starts_with(typed.trim_end_matches('.'))
            {
                out.push(item(range, &p, CompletionItemKind::MODULE, None));
            }
        }
        out.dedup_by(|x, y| x.label == y.label);
        return Some(out);
    }
    let open = line.trim_start();
    if let Some(rest) = open.strip_prefix("use ") {
        if let Some((policy, names)) = rest.split_once(".{") {
            if !names.contains('}') {
                let out = exports(a, policy.trim())
                    .into_iter()
                    .map(|(n, kind, def)| item(range, &n, kind, Some(format!("```p0\n{def}\n```"))))
                    .collect();
                return Some(out);
            }
        }
    }
    None
}

/// The document's action sets, predicates and imports, for the general
/// completion to add where a rule's actions or condition go.
pub fn local_names(a: &Analysis, range: Range) -> Vec<CompletionItem> {
    let Some(ast) = a.ast() else {
        return Vec::new();
    };
    let own = policy_name(a, ast, a.file);
    shared_names(ast, &own)
        .into_iter()
        .map(|(policy, n)| {
            let doc = definition(a, &policy, &n);
            item(range, &n, CompletionItemKind::VARIABLE, doc)
        })
        .collect()
}

//! A document in, its outline out: the policy, its `let`s, rules (named by
//! pattern and decision, detailed by rule id and reason), tools, tests with
//! their steps, and declared domains, actions and namespaces with their
//! fields. Hierarchical when the client supports it, flat otherwise.

use crate::analysis::Analysis;
use crate::server::ClientCaps;
use lsp_types::{DocumentSymbol, DocumentSymbolResponse, Location, SymbolInformation, SymbolKind};
use permit0_compiler::ast::{self, Effect, Item, PatternKind, TestSubject};
use permit0_compiler::span::Span;

fn pattern_text(p: &ast::Pattern) -> String {
    match &p.kind {
        PatternKind::Any => "*".to_string(),
        PatternKind::Domain(d) => format!("{}.*", d.text),
        PatternKind::Exact(path) => path.dotted(),
    }
}

struct Sym {
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    span: Span,
    selection: Span,
    children: Vec<Sym>,
}

fn sym(name: String, detail: Option<String>, kind: SymbolKind, span: Span, selection: Span) -> Sym {
    Sym {
        name,
        detail,
        kind,
        span,
        selection,
        children: Vec::new(),
    }
}

fn field_syms(a: &Analysis, fields: &[ast::FieldDecl]) -> Vec<Sym> {
    fields
        .iter()
        .map(|f| {
            let ty = a.comp.sources.slice(f.ty.span).to_string();
            let ty = if f.optional { format!("{ty}?") } else { ty };
            sym(
                f.name.text.clone(),
                Some(ty),
                SymbolKind::FIELD,
                f.span,
                f.name.span,
            )
        })
        .collect()
}

fn collect(a: &Analysis) -> Vec<Sym> {
    let Some(ast) = a.ast() else {
        return Vec::new();
    };
    let policy = ast
        .items
        .iter()
        .find_map(|i| match i {
            Item::Policy(p) => Some(p.name.dotted()),
            _ => None,
        })
        .unwrap_or_else(|| {
            let name = a.comp.sources.name(a.file);
            std::path::Path::new(name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    let mut ordinal = 0u32;
    let mut out = Vec::new();
    for item in &ast.items {
        let s = match item {
            Item::Policy(p) => sym(
                p.name.dotted(),
                p.doc.as_ref().map(|d| d.value.clone()),
                SymbolKind::PACKAGE,
                p.span,
                p.name.span,
            ),
            Item::Let(l) => sym(
                l.name.text.clone(),
                Some(a.comp.sources.slice(l.value.span).to_string()),
                SymbolKind::CONSTANT,
                l.span,
                l.name.span,
            ),
            Item::Rule(r) => {
                ordinal += 1;
                let pats: Vec<String> = r.patterns.iter().map(pattern_text).collect();
                let effect = match &r.effect {
                    Effect::Decide(n) => n.text.clone(),
                    Effect::Amplify(_) => "amplify".to_string(),
                };
                let mut detail = match &r.name {
                    Some(n) => format!("{policy}.{}", n.text),
                    None => format!("{policy}:{ordinal}"),
                };
                if let Some(reason) = &r.reason {
                    detail.push_str(&format!(" — {}", reason.value));
                }
                let first = r.patterns.first().map(|p| p.span).unwrap_or(r.span);
                let last = r.patterns.last().map(|p| p.span).unwrap_or(r.span);
                sym(
                    format!("{} → {effect}", pats.join(" | ")),
                    Some(detail),
                    SymbolKind::EVENT,
                    r.span,
                    first.to(last),
                )
            }
            Item::Use(u) => {
                let names: Vec<&str> = u.names.iter().map(|n| n.text.as_str()).collect();
                sym(
                    format!("use {}", u.policy.dotted()),
                    Some(names.join(", ")),
                    SymbolKind::MODULE,
                    u.span,
                    u.policy.span,
                )
            }
            Item::Actions(x) => {
                let pats: Vec<String> = x.patterns.iter().map(pattern_text).collect();
                sym(
                    x.name.text.clone(),
                    Some(pats.join(" | ")),
                    SymbolKind::ENUM,
                    x.span,
                    x.name.span,
                )
            }
            Item::Predicate(x) => sym(
                x.name.text.clone(),
                Some(a.comp.sources.slice(x.value.span).to_string()),
                SymbolKind::BOOLEAN,
                x.span,
                x.name.span,
            ),
            Item::Tool(t) => {
                let names: Vec<&str> = t.names.iter().map(|n| n.value.as_str()).collect();
                let sel = t.names.first().map(|n| n.span).unwrap_or(t.span);
                sym(
                    format!("{} → {}", names.join(", "), t.action.dotted()),
                    None,
                    SymbolKind::INTERFACE,
                    t.span,
                    sel,
                )
            }
            Item::Test(t) => {
                let mut s = sym(
                    t.name.value.clone(),
                    None,
                    SymbolKind::METHOD,
                    t.span,
                    t.name.span,
                );
                s.children = t
                    .steps
                    .iter()
                    .map(|st| {
                        let (subject, sel) = match &st.subject {
                            TestSubject::Action(p) => (p.dotted(), p.span),
                            TestSubject::Tool(n) => (format!("tool {}", n.value), n.span),
                        };
                        sym(
                            format!("{subject} => {}", st.expect.text),
                            st.reason.as_ref().map(|r| r.value.clone()),
                            SymbolKind::EVENT,
                            st.span,
                            sel,
                        )
                    })
                    .collect();
                s
            }
            Item::Action(d) => {
                let mut s = sym(
                    d.name.dotted(),
                    d.doc.as_ref().map(|x| x.value.clone()),
                    SymbolKind::STRUCT,
                    d.span,
                    d.name.span,
                );
                s.children = field_syms(a, &d.fields);
                s
            }
            Item::Domain(d) => sym(
                d.name.text.clone(),
                d.doc.as_ref().map(|x| x.value.clone()),
                SymbolKind::MODULE,
                d.span,
                d.name.span,
            ),
            Item::Alias(al) => sym(
                format!("{} → {}", al.old.dotted(), al.new.dotted()),
                Some("deprecated name".into()),
                SymbolKind::KEY,
                al.span,
                al.old.span,
            ),
            Item::Namespace(n) => {
                let mut s = sym(
                    n.name.text.clone(),
                    n.doc.as_ref().map(|x| x.value.clone()),
                    SymbolKind::NAMESPACE,
                    n.span,
                    n.name.span,
                );
                s.children = field_syms(a, &n.fields);
                s
            }
            Item::Error(_) => continue,
        };
        out.push(s);
    }
    out
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be written.
fn nested(a: &Analysis, s: Sym) -> Option<DocumentSymbol> {
    let range = a.range(s.span)?;
    let mut selection_range = a.range(s.selection)?;
    if selection_range.start < range.start || selection_range.end > range.end {
        selection_range = range;
    }
    let children: Vec<DocumentSymbol> = s
        .children
        .into_iter()
        .filter_map(|c| nested(a, c))
        .collect();
    Some(DocumentSymbol {
        name: if s.name.is_empty() {
            "_".into()
        } else {
            s.name
        },
        detail: s.detail,
        kind: s.kind,
        tags: None,
        deprecated: None,
        range,
        selection_range,
        children: (!children.is_empty()).then_some(children),
    })
}

#[allow(deprecated)] // `SymbolInformation::deprecated` must still be written.
fn flat(a: &Analysis, s: Sym, container: Option<&str>, out: &mut Vec<SymbolInformation>) {
    let Some(uri) = a.uri_of(a.file).cloned() else {
        return;
    };
    let Some(range) = a.range(s.span) else { return };
    let name = if s.name.is_empty() {
        "_".to_string()
    } else {
        s.name
    };
    out.push(SymbolInformation {
        name: name.clone(),
        kind: s.kind,
        tags: None,
        deprecated: None,
        location: Location { uri, range },
        container_name: container.map(str::to_string),
    });
    for c in s.children {
        flat(a, c, Some(&name), out);
    }
}

pub fn symbols(a: &Analysis, caps: ClientCaps) -> DocumentSymbolResponse {
    let syms = collect(a);
    if caps.hierarchical_symbols {
        DocumentSymbolResponse::Nested(syms.into_iter().filter_map(|s| nested(a, s)).collect())
    } else {
        let mut out = Vec::new();
        for s in syms {
            flat(a, s, None, &mut out);
        }
        DocumentSymbolResponse::Flat(out)
    }
}

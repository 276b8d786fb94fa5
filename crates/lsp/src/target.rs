//! A cursor in, the thing the word under it names out: an action, a domain,
//! a field, a namespace member, a `let`, a decision, a builtin function…
//! Shared by hover and go-to-definition. Declarations are found in the syntax
//! tree; uses are read from the tokens around the cursor ([`crate::context`]),
//! so half-typed text still resolves.

use crate::analysis::Analysis;
use crate::context::{Owner, Pat, Place, Tokens};
use permit0_compiler::ast::{Item, PatternKind};
use permit0_compiler::lexer::Tok;
use permit0_compiler::schema::{ActionId, Schema};
use permit0_compiler::span::Span;
use permit0_compiler::typeck::{DECISIONS, FUNCTIONS};
use permit0_types::builtin::Builtin;
use permit0_vm::risk::Amp;

#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Domain(String),
    Action(ActionId),
    /// A deprecated name of an action.
    Alias {
        name: String,
        action: ActionId,
    },
    /// A field of the actions that have it among those in scope.
    Field {
        name: String,
        actions: Vec<ActionId>,
    },
    /// `actor` or `context`.
    Namespace(String),
    /// `actor.role`.
    NsField {
        ns: String,
        field: String,
    },
    /// `risk`, or one of its members.
    Risk(Option<String>),
    Session,
    /// A builtin function, by its name in `typeck::FUNCTIONS`.
    Function(&'static str),
    /// A normalizer builtin a tool mapping or derivation calls.
    Builtin(Builtin),
    /// A `let` of the document, by the span of its name.
    Let {
        name: String,
        span: Span,
    },
    Decision(&'static str),
    Amplify,
    Amplifier(Amp),
}

/// The word under the cursor, its byte range, and what it names.
pub fn target_at(a: &Analysis, offset: usize) -> Option<(Target, usize, usize)> {
    let text = a.text();
    let toks = Tokens::new(text);
    let w = toks.word_at(offset)?;
    if let Some(t) = declared(a, w.start) {
        return Some((t, w.start, w.end));
    }
    let word = toks.text_of(w.idx);
    let next = toks.tok(w.idx + 1);
    let schema = a.schema();
    let place = toks.place(w.idx, w.start);
    let t = match place {
        Place::Action { chain, .. } => action_chain(schema, &chain, word, next),
        Place::SessionTarget { chain, .. } => match chain.as_slice() {
            [d, v] => {
                let id = action_or_alias(schema, &format!("{d}.{v}"))?;
                Some(Target::Field {
                    name: word.to_string(),
                    actions: vec![id],
                })
            }
            _ => action_chain(schema, &chain, word, next),
        },
        Place::Operand { pats, .. } => {
            let actions = scope_actions(schema, pats.as_deref());
            operand(a, &actions, word, next)
        }
        Place::Member { chain, .. } => match chain.as_slice() {
            // `actor.count(…)`, `tenant.sum(…)`: a history function.
            [s] if matches!(next, Some(Tok::LParen))
                && matches!(s.as_str(), "session" | "actor" | "tenant") =>
            {
                function(&format!("{s}.{word}"))
            }
            [ns] if schema.namespace(ns).is_some() => Some(Target::NsField {
                ns: ns.clone(),
                field: word.to_string(),
            }),
            [r] if r == "risk" => Some(Target::Risk(Some(word.to_string()))),
            [s] if s == "session" => function(&format!("session.{word}")),
            [d] => action_or_alias(schema, &format!("{d}.{word}")).map(Target::Action),
            _ => None,
        },
        Place::Decision | Place::AfterDecision | Place::AfterOperand { .. } => {
            decision(word).or_else(|| (word == "amplify").then_some(Target::Amplify))
        }
        Place::Amplifier | Place::RiskKey => Amp::from_name(word).map(Target::Amplifier),
        Place::ObjectKey { owner, .. } => owner_field(schema, &owner, word),
        Place::TestSection => {
            if schema.namespace(word).is_some() {
                Some(Target::Namespace(word.to_string()))
            } else {
                (word == "session").then_some(Target::Session)
            }
        }
        Place::ToolField { action, .. } => {
            let id = action_or_alias(schema, &action)?;
            Some(Target::Field {
                name: word.to_string(),
                actions: vec![id],
            })
        }
        // A value in a tool mapping or a taxonomy derivation: a call there
        // is a normalizer builtin.
        Place::Nothing | Place::ObjectValue { .. } if matches!(next, Some(Tok::LParen)) => {
            Builtin::from_name(word).map(Target::Builtin)
        }
        Place::ObjectValue { .. }
        | Place::TopLevel
        | Place::Nothing
        | Place::TypeName
        | Place::RiskFlag
        | Place::RiskTier => decision(word),
    }?;
    Some((t, w.start, w.end))
}

fn decision(word: &str) -> Option<Target> {
    DECISIONS
        .iter()
        .find(|d| **d == word)
        .map(|d| Target::Decision(d))
}

fn function(name: &str) -> Option<Target> {
    FUNCTIONS
        .iter()
        .find(|(f, _)| *f == name)
        .map(|(f, _)| Target::Function(f))
}

pub fn action_or_alias(schema: &Schema, name: &str) -> Option<ActionId> {
    schema
        .action_id(name)
        .or_else(|| schema.aliases.get(name).map(|a| a.target))
}

fn action_chain(
    schema: &Schema,
    chain: &[String],
    word: &str,
    next: Option<&Tok<'_>>,
) -> Option<Target> {
    match chain {
        [] if matches!(next, Some(Tok::Dot)) || schema.domain(word).is_some() => {
            Some(Target::Domain(word.to_string()))
        }
        [d] => {
            let name = format!("{d}.{word}");
            match schema.action_id(&name) {
                Some(id) => Some(Target::Action(id)),
                None => schema.aliases.get(&name).map(|al| Target::Alias {
                    name,
                    action: al.target,
                }),
            }
        }
        [d, v] => {
            let id = action_or_alias(schema, &format!("{d}.{v}"))?;
            Some(Target::Field {
                name: word.to_string(),
                actions: vec![id],
            })
        }
        _ => None,
    }
}

/// The actions a rule's patterns match.
pub fn scope_actions(schema: &Schema, pats: Option<&[Pat]>) -> Vec<ActionId> {
    let mut out: Vec<ActionId> = Vec::new();
    for p in pats.unwrap_or_default() {
        match p {
            Pat::Any => out.extend((0..schema.actions.len()).filter_map(|i| u32::try_from(i).ok())),
            Pat::Domain(d) => out.extend(schema.actions_in_domain(d)),
            Pat::Exact(name) => out.extend(action_or_alias(schema, name)),
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn operand(
    a: &Analysis,
    actions: &[ActionId],
    word: &str,
    next: Option<&Tok<'_>>,
) -> Option<Target> {
    let schema = a.schema();
    match next {
        Some(Tok::Dot) => {
            return if schema.namespace(word).is_some() {
                Some(Target::Namespace(word.to_string()))
            } else if word == "risk" {
                Some(Target::Risk(None))
            } else if word == "session" {
                Some(Target::Session)
            } else if schema.domain(word).is_some() {
                Some(Target::Domain(word.to_string()))
            } else {
                None
            };
        }
        Some(Tok::LParen) => return function(word),
        _ => {}
    }
    let having: Vec<ActionId> = actions
        .iter()
        .copied()
        .filter(|id| schema.action(*id).is_some_and(|x| x.field(word).is_some()))
        .collect();
    if !having.is_empty() {
        return Some(Target::Field {
            name: word.to_string(),
            actions: having,
        });
    }
    if let Some(span) = let_span(a, word) {
        return Some(Target::Let {
            name: word.to_string(),
            span,
        });
    }
    decision(word)
}

fn owner_field(schema: &Schema, owner: &Owner, word: &str) -> Option<Target> {
    match owner {
        Owner::Action(name) => {
            let id = action_or_alias(schema, name)?;
            Some(Target::Field {
                name: word.to_string(),
                actions: vec![id],
            })
        }
        Owner::Section(ns) if schema.namespace(ns).is_some() => Some(Target::NsField {
            ns: ns.clone(),
            field: word.to_string(),
        }),
        _ => None,
    }
}

/// The span of the name of the document's `let` called `name`.
pub fn let_span(a: &Analysis, name: &str) -> Option<Span> {
    a.ast()?.items.iter().find_map(|i| match i {
        Item::Let(l) if l.name.text == name => Some(l.name.span),
        _ => None,
    })
}

fn contains(span: Span, offset: usize) -> bool {
    (span.start as usize) <= offset && offset < (span.end as usize).max(span.start as usize + 1)
}

/// A name in a declaration of the document: `action x.y`, its fields, a
/// namespace and its fields, a `let`, a `domain`, an `alias`, a rule pattern.
fn declared(a: &Analysis, offset: usize) -> Option<Target> {
    let schema = a.schema();
    let path_target = |p: &permit0_compiler::ast::Path| -> Option<Target> {
        let name = p.dotted();
        if p.segments.first().is_some_and(|s| contains(s.span, offset)) && p.segments.len() > 1 {
            let d = p
                .segments
                .first()
                .map(|s| s.text.clone())
                .unwrap_or_default();
            return Some(Target::Domain(d));
        }
        match schema.action_id(&name) {
            Some(id) => Some(Target::Action(id)),
            None => schema.aliases.get(&name).map(|al| Target::Alias {
                name,
                action: al.target,
            }),
        }
    };
    for item in &a.ast()?.items {
        if !contains(item.span(), offset) {
            continue;
        }
        match item {
            Item::Action(d) => {
                if contains(d.name.span, offset) {
                    return path_target(&d.name);
                }
                let id = schema.action_id(&d.name.dotted())?;
                return d
                    .fields
                    .iter()
                    .find(|f| contains(f.name.span, offset))
                    .map(|f| Target::Field {
                        name: f.name.text.clone(),
                        actions: vec![id],
                    });
            }
            Item::Namespace(n) => {
                if contains(n.name.span, offset) {
                    return Some(Target::Namespace(n.name.text.clone()));
                }
                return n
                    .fields
                    .iter()
                    .find(|f| contains(f.name.span, offset))
                    .map(|f| Target::NsField {
                        ns: n.name.text.clone(),
                        field: f.name.text.clone(),
                    });
            }
            Item::Domain(d) if contains(d.name.span, offset) => {
                return Some(Target::Domain(d.name.text.clone()));
            }
            Item::Alias(al) => {
                if contains(al.old.span, offset) {
                    return path_target(&al.old);
                }
                if contains(al.new.span, offset) {
                    return path_target(&al.new);
                }
            }
            Item::Let(l) if contains(l.name.span, offset) => {
                return Some(Target::Let {
                    name: l.name.text.clone(),
                    span: l.name.span,
                });
            }
            Item::Rule(r) => {
                for p in &r.patterns {
                    match &p.kind {
                        PatternKind::Exact(path) if contains(path.span, offset) => {
                            return path_target(path);
                        }
                        PatternKind::Domain(d) if contains(d.span, offset) => {
                            return Some(Target::Domain(d.text.clone()));
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    None
}

//! Rule ids: `rule external_mail: when …` in policy `stdlib.email` is
//! `stdlib.email.external_mail` in decisions, explanations, audit logs,
//! coverage and `overrides`. An unnamed rule keeps its positional id
//! `policy:N` (N counts the policy's rules from 1, named ones included), and
//! `overrides policy:N` still finds a rule by position — with a warning,
//! because a rule inserted above it silently retargets the override.

use crate::ast::{Name, RuleRef};
use crate::diag::{suggest, Diagnostic};
use crate::span::Span;
use std::collections::BTreeMap;

#[derive(Default)]
pub struct RuleIds {
    /// Every declared rule's id, with the span that names it.
    ids: BTreeMap<String, Span>,
    /// `policy:N` → the rule's id (the same string for an unnamed rule).
    positional: BTreeMap<String, String>,
}

impl RuleIds {
    /// Declares the `ordinal`-th rule of `policy` and returns its id. A name
    /// already used by another rule of the policy is an error (P0206) showing
    /// both.
    pub fn declare(
        &mut self,
        policy: &str,
        ordinal: u32,
        name: Option<&Name>,
        diags: &mut Vec<Diagnostic>,
    ) -> String {
        let positional = format!("{policy}:{ordinal}");
        let id = match name {
            Some(n) => {
                let id = format!("{policy}.{}", n.text);
                if let Some(prev) = self.ids.get(&id) {
                    diags.push(
                        Diagnostic::error(
                            "P0206",
                            n.span,
                            format!("policy `{policy}` already has a rule named `{}`", n.text),
                        )
                        .label(*prev, "first named here")
                        .help("rule names are ids that decisions and `overrides` use: give each rule its own"),
                    );
                } else {
                    self.ids.insert(id.clone(), n.span);
                }
                id
            }
            None => {
                self.ids.entry(positional.clone()).or_default();
                positional.clone()
            }
        };
        self.positional.insert(positional, id.clone());
        id
    }

    /// The id an `overrides` entry names, or `None` with the error reported.
    /// A positional id still resolves, with a warning (P0410) that names the
    /// rule, or asks for a name when the rule has none.
    pub fn resolve(&self, rf: &RuleRef, diags: &mut Vec<Diagnostic>) -> Option<String> {
        let written = rf.id();
        if rf.index.is_some() {
            if let Some(id) = self.positional.get(&written) {
                let d = Diagnostic::warning(
                    "P0410",
                    rf.span,
                    format!("`{written}` names a rule by its position, which moves when a rule is inserted above it"),
                );
                diags.push(if *id == written {
                    d.help(format!(
                        "give the rule a name (`rule NAME: when …`) and write `{}.NAME`",
                        rf.path.dotted()
                    ))
                } else {
                    d.help(format!("write its name, `{id}`"))
                        .fix(rf.span, id.clone())
                });
                return Some(id.clone());
            }
        } else if self.ids.contains_key(&written) {
            return Some(written);
        }
        let mut d = Diagnostic::error("P0217", rf.span, format!("no rule `{written}` to override"));
        let named = self.ids().filter(|k| !k.contains(':'));
        d = match suggest(&written, named).or_else(|| suggest(&written, self.ids())) {
            Some(s) => d.help(format!("did you mean `{s}`?")).fix(rf.span, s),
            None => {
                d.help("name a rule by the id decisions print: `policy.rule_name` for a named rule")
            }
        };
        diags.push(d);
        None
    }

    /// Every rule id, for completion.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.keys().map(String::as_str)
    }
}

//! Sharing between policies: `use stdlib.shared.{mass_mentions}` brings
//! another policy's `let` constants, named action sets (`actions outbound =
//! email.send | network.http_request`) and named conditions (`predicate
//! read_secrets = …`) into this file.
//!
//! Every file's names are settled before any rule is checked: a file's
//! imports first (the policies it uses are settled before it, so a cycle is
//! an error, P0232), then its action sets, then its `let`s. A policy exports
//! the names it defines itself, not those it imports. An unknown policy or
//! name is P0231 with a did-you-mean; a local name that repeats an imported
//! one, or two imports of one name, is P0206 with both places.

use super::{error, Checker, LetInfo, Scope, Typed, UserFile};
use crate::ast::{self, Item, PatternKind};
use crate::diag::{suggest, Diagnostic};
use crate::schema::ActionId;
use crate::schema::Type;
use crate::span::Span;
use std::cell::Cell;
use std::collections::BTreeMap;

/// `actions outbound = email.send | http.post`, expanded.
pub(super) struct ActionSet {
    pub ids: Vec<ActionId>,
    /// Where the name is defined, or imported.
    pub span: Span,
    pub used: Cell<bool>,
}

/// `predicate read_secrets = …`: checked where a rule uses it, against that
/// rule's actions, with the `let`s and sets of the file that defines it.
pub(super) struct Predicate {
    pub expr: ast::Expr,
    /// The defining file, as an index of the scopes.
    pub file: usize,
    /// Where the name is defined, or imported.
    pub span: Span,
    pub used: Cell<bool>,
    /// Being expanded: a use inside itself is a cycle.
    pub busy: Cell<bool>,
}

/// The names a file's rules may read besides the taxonomy's.
#[derive(Default)]
pub(super) struct FileScope {
    pub lets: BTreeMap<String, LetInfo>,
    pub sets: BTreeMap<String, ActionSet>,
    pub preds: BTreeMap<String, Predicate>,
    /// Names brought in by `use`: name → the policy they come from.
    pub imported: BTreeMap<String, String>,
}

impl FileScope {
    fn exports(&self, name: &str) -> bool {
        !self.imported.contains_key(name)
            && (self.lets.contains_key(name)
                || self.sets.contains_key(name)
                || self.preds.contains_key(name))
    }

    fn exported_names(&self) -> impl Iterator<Item = &str> {
        self.lets
            .keys()
            .chain(self.sets.keys())
            .chain(self.preds.keys())
            .filter(|n| !self.imported.contains_key(*n))
            .map(String::as_str)
    }
}

/// A file's policy name: its `policy` header, or the file name.
pub(super) fn policy_of(f: &UserFile<'_>) -> String {
    f.ast
        .items
        .iter()
        .find_map(|i| match i {
            Item::Policy(p) => Some(p.name.dotted()),
            _ => None,
        })
        .unwrap_or_else(|| f.stem.clone())
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    New,
    Settling,
    Done,
}

struct Walk<'f, 'a> {
    files: &'f [UserFile<'a>],
    policies: Vec<String>,
    by_policy: BTreeMap<String, usize>,
    state: Vec<State>,
    scopes: Vec<FileScope>,
    /// The files being settled, innermost last: a `use` of one of them is a cycle.
    stack: Vec<usize>,
}

impl Checker<'_> {
    /// Settles every file's imports, action sets and `let`s, in dependency
    /// order. The result is indexed like `files`.
    pub(super) fn scopes(&mut self, files: &[UserFile<'_>]) -> Vec<FileScope> {
        let policies: Vec<String> = files.iter().map(policy_of).collect();
        let mut by_policy = BTreeMap::new();
        for (i, p) in policies.iter().enumerate() {
            by_policy.entry(p.clone()).or_insert(i);
        }
        let mut w = Walk {
            files,
            policies,
            by_policy,
            state: vec![State::New; files.len()],
            scopes: files.iter().map(|_| FileScope::default()).collect(),
            stack: Vec::new(),
        };
        for i in 0..files.len() {
            self.settle(&mut w, i);
        }
        w.scopes
    }

    fn settle(&mut self, w: &mut Walk<'_, '_>, i: usize) {
        if w.state.get(i) != Some(&State::New) {
            return;
        }
        let Some(f) = w.files.get(i) else {
            return;
        };
        if let Some(s) = w.state.get_mut(i) {
            *s = State::Settling;
        }
        w.stack.push(i);
        let mut scope = FileScope::default();
        for item in &f.ast.items {
            if let Item::Use(u) = item {
                self.import(w, u, &mut scope);
            }
        }
        for item in &f.ast.items {
            if let Item::Actions(a) = item {
                self.action_set(a, &mut scope);
            }
        }
        for item in &f.ast.items {
            if let Item::Let(l) = item {
                self.let_decl(l, &mut scope.lets);
            }
        }
        for item in &f.ast.items {
            if let Item::Predicate(p) = item {
                let n = &p.name.text;
                let prev = scope
                    .preds
                    .get(n)
                    .map(|p| p.span)
                    .or_else(|| scope.lets.get(n).map(|l| l.span));
                if let Some(prev) = prev {
                    self.diags.push(
                        Diagnostic::error(
                            "P0206",
                            p.name.span,
                            format!("`{n}` is already defined"),
                        )
                        .label(prev, "first defined here")
                        .help("give it another name"),
                    );
                    continue;
                }
                scope.preds.insert(
                    n.clone(),
                    Predicate {
                        expr: p.value.clone(),
                        file: i,
                        span: p.name.span,
                        used: Cell::new(false),
                        busy: Cell::new(false),
                    },
                );
            }
        }
        w.stack.pop();
        if let Some(s) = w.state.get_mut(i) {
            *s = State::Done;
        }
        if let Some(slot) = w.scopes.get_mut(i) {
            *slot = scope;
        }
    }

    fn import(&mut self, w: &mut Walk<'_, '_>, u: &ast::UseDecl, scope: &mut FileScope) {
        let policy = u.policy.dotted();
        let Some(&t) = w.by_policy.get(&policy) else {
            let mut d = Diagnostic::error(
                "P0231",
                u.policy.span,
                format!("no policy `{policy}` to import from"),
            );
            d = match suggest(&policy, w.policies.iter().map(String::as_str)) {
                Some(s) => d.help(format!("did you mean `{s}`?")).fix(u.policy.span, s),
                None => d.help("name a policy by its `policy` header, e.g. `use stdlib.words.{credential_words}`"),
            };
            self.diags.push(d);
            return;
        };
        if w.state.get(t) == Some(&State::Settling) {
            let mut cycle: Vec<&str> = w
                .stack
                .iter()
                .skip_while(|&&s| s != t)
                .filter_map(|&s| w.policies.get(s).map(String::as_str))
                .collect();
            cycle.push(&policy);
            self.diags.push(
                Diagnostic::error(
                    "P0232",
                    u.span,
                    format!("policies import each other: {}", cycle.join(" → ")),
                )
                .help("move the shared names into a policy that imports nothing from them"),
            );
            return;
        }
        self.settle(w, t);
        let Some(from) = w.scopes.get(t) else {
            return;
        };
        for name in &u.names {
            let n = &name.text;
            if !from.exports(n) {
                let mut d = Diagnostic::error(
                    "P0231",
                    name.span,
                    format!("policy `{policy}` defines no `{n}`"),
                );
                d = match suggest(n, from.exported_names()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")).fix(name.span, s),
                    None => {
                        let names: Vec<&str> = from.exported_names().collect();
                        if names.is_empty() {
                            d.help(format!("`{policy}` defines no `let` or `actions` to share"))
                        } else {
                            d.help(format!("`{policy}` defines {}", names.join(", ")))
                        }
                    }
                };
                self.diags.push(d);
                continue;
            }
            if let Some(prev) = scope.imported.get(n) {
                let at = scope
                    .lets
                    .get(n)
                    .map(|l| l.span)
                    .or_else(|| scope.sets.get(n).map(|s| s.span))
                    .or_else(|| scope.preds.get(n).map(|p| p.span));
                let mut d = Diagnostic::error(
                    "P0206",
                    name.span,
                    format!("`{n}` is already imported from `{prev}`"),
                );
                if let Some(at) = at {
                    d = d.label(at, "first imported here");
                }
                self.diags.push(d.help("import each name once"));
                continue;
            }
            if let Some(l) = from.lets.get(n) {
                l.used.set(true);
                scope.lets.insert(
                    n.clone(),
                    LetInfo {
                        value: l.value.clone(),
                        ty: l.ty,
                        span: name.span,
                        used: Cell::new(false),
                    },
                );
            } else if let Some(p) = from.preds.get(n) {
                p.used.set(true);
                scope.preds.insert(
                    n.clone(),
                    Predicate {
                        expr: p.expr.clone(),
                        file: p.file,
                        span: name.span,
                        used: Cell::new(false),
                        busy: Cell::new(false),
                    },
                );
            } else if let Some(s) = from.sets.get(n) {
                s.used.set(true);
                scope.sets.insert(
                    n.clone(),
                    ActionSet {
                        ids: s.ids.clone(),
                        span: name.span,
                        used: Cell::new(false),
                    },
                );
            }
            scope.imported.insert(n.clone(), policy.clone());
        }
    }

    fn action_set(&mut self, a: &ast::ActionsDecl, scope: &mut FileScope) {
        let mut ids = Vec::new();
        let mut ok = true;
        for p in &a.patterns {
            match self.pattern_or_set(p, &scope.sets) {
                Some(v) => ids.extend(v),
                None => ok = false,
            }
        }
        if let Some(prev) = scope.sets.get(&a.name.text) {
            let what = if scope.imported.contains_key(&a.name.text) {
                "imported here"
            } else {
                "first defined here"
            };
            self.diags.push(
                Diagnostic::error(
                    "P0206",
                    a.name.span,
                    format!("`{}` is already defined", a.name.text),
                )
                .label(prev.span, what)
                .help("give it another name"),
            );
            return;
        }
        if !ok {
            // Its own errors are reported; an empty set keeps the rules
            // using it from reporting an unknown name as well.
            ids.clear();
        }
        ids.sort_unstable();
        ids.dedup();
        scope.sets.insert(
            a.name.text.clone(),
            ActionSet {
                ids,
                span: a.name.span,
                used: Cell::new(false),
            },
        );
    }

    /// A rule's or an action set's pattern, where a one-word name is an
    /// action set (`when outbound …`).
    pub(super) fn pattern_or_set(
        &mut self,
        p: &ast::Pattern,
        sets: &BTreeMap<String, ActionSet>,
    ) -> Option<Vec<ActionId>> {
        match &p.kind {
            PatternKind::Exact(path) => match path.segments.as_slice() {
                [one] => self.action_set_ids(one, sets),
                _ => self.pattern(p),
            },
            _ => self.pattern(p),
        }
    }

    /// The actions of the set `name`, marking it used; an unknown name is
    /// P0231 with a did-you-mean.
    pub(super) fn action_set_ids(
        &mut self,
        name: &ast::Name,
        sets: &BTreeMap<String, ActionSet>,
    ) -> Option<Vec<ActionId>> {
        if let Some(s) = sets.get(&name.text) {
            s.used.set(true);
            return Some(s.ids.clone());
        }
        let mut d = Diagnostic::error("P0231", name.span, format!("no action set `{}`", name.text));
        d = match suggest(&name.text, sets.keys().map(String::as_str)) {
            Some(s) => d.help(format!("did you mean `{s}`?")).fix(name.span, s),
            None => d.help("actions are named `domain.verb`; name an alternation with `actions NAME = a.b | c.d`, or import one with `use`"),
        };
        self.diags.push(d);
        None
    }

    /// A rule's use of a named condition: the condition, checked here
    /// against the rule's actions and guards, reading the names of the file
    /// that defines it.
    pub(super) fn predicate(&mut self, name: &str, span: Span, scope: Scope<'_>) -> Typed {
        let Some(p) = scope.preds.get(name) else {
            return error();
        };
        p.used.set(true);
        if scope.constant {
            return self.not_constant(span);
        }
        if p.busy.get() {
            self.diags.push(
                Diagnostic::error("P0232", span, format!("predicate `{name}` uses itself"))
                    .label(p.span, "defined here")
                    .help("a predicate cannot reach itself through the predicates it uses"),
            );
            return error();
        }
        let Some(home) = scope.files.get(p.file) else {
            return error();
        };
        p.busy.set(true);
        let inner = Scope {
            lets: &home.lets,
            sets: &home.sets,
            preds: &home.preds,
            ..scope
        };
        let (t, ty) = self.expr(&p.expr, inner, None);
        p.busy.set(false);
        match ty {
            Type::Bool | Type::Error => (t, ty),
            other => {
                let shown = self.schema.display(other).to_string();
                self.diags.push(
                    Diagnostic::error(
                        "P0305",
                        span,
                        format!("predicate `{name}` is a `{shown}`, not a condition"),
                    )
                    .label(p.span, "defined here")
                    .help("a predicate names a condition: `predicate big = amount > 500`"),
                );
                error()
            }
        }
    }

    /// Names defined or imported and never used: P0404.
    pub(super) fn warn_unused(&mut self, scope: &FileScope) {
        let lets = scope.lets.iter().map(|(n, l)| (n, l.span, l.used.get()));
        let sets = scope.sets.iter().map(|(n, s)| (n, s.span, s.used.get()));
        let preds = scope.preds.iter().map(|(n, p)| (n, p.span, p.used.get()));
        let mut all: Vec<_> = lets.chain(sets).chain(preds).collect();
        all.sort_by_key(|(_, span, _)| *span);
        for (name, span, used) in all {
            if used {
                continue;
            }
            let d = match scope.imported.get(name) {
                Some(from) => Diagnostic::warning(
                    "P0404",
                    span,
                    format!("`{name}` is imported from `{from}` but never used"),
                )
                .help("remove it from the `use`"),
                None => Diagnostic::warning("P0404", span, format!("`{name}` is never used"))
                    .help("remove it, or use it in a rule"),
            };
            self.diags.push(d);
        }
    }
}

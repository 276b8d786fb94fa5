//! AST + schema in, typed IR out: binds every name in rules, lets, tools and
//! tests to the taxonomy, checks types, and warns about rules that cannot
//! matter (never match, or shadowed).

use crate::ast::{self, BinOp, ExprKind, Item, PatternKind};
use crate::diag::{suggest, Diagnostic};
use crate::ir::{
    AggKind, Aggregate, CmpOp, Const, Effect, FieldRef, Ir, PolicyIr, RuleIr, TExpr, TestIr,
    TestStepIr, TextOp, ToolExpr, ToolIr, Window,
};
use crate::schema::{ActionId, ActionInfo, FieldInfo, Schema, Type, TIER_ENUM};
use crate::span::{FileId, Span};
use crate::tooltype::{quoted_list, ValTy};
use permit0_classify::{Builtin, Ty};
use permit0_vm::risk::{Amp, Verdict};
use permit0_vm::wire::{ArgShape, ScopeBaseWire, ScopeWire};
use std::cell::Cell;
use std::collections::BTreeMap;

mod arith;

/// One team file to check.
pub struct UserFile<'a> {
    pub file: FileId,
    pub ast: &'a ast::Ast,
    /// Used as the policy name when the file has no `policy` header.
    pub stem: String,
}

pub const FUNCTIONS: &[(&str, &str)] = &[
    ("len", "len(value) -> int: the number of elements of a list or set, or characters of a string"),
    ("session.count", "session.count(action pattern, window) -> int: earlier actions of the session that match, within the window"),
    ("session.sum", "session.sum(action.field, window) -> money|int: the sum of that field over earlier actions within the window"),
    ("session.seen", "session.seen(action pattern, window or N) -> bool: whether a matching action happened within the window or the last N actions"),
    ("session.distinct", "session.distinct(action.field, window) -> int: how many distinct values that field took within the window"),
    ("in_cidr", "in_cidr(ip, networks) -> bool: the address lies in one of the networks (`in_cidr(context.ip, \"10.0.0.0/8\")`, a set literal or a `let` set); the same test as `context.ip in …`; an IPv4-mapped IPv6 address is its IPv4 address"),
    ("actor.count", "actor.count(action pattern, window) -> int: earlier actions of the acting agent (its `actor.id`, within its tenant), across its sessions"),
    ("actor.sum", "actor.sum(action.field, window) -> money|int: the sum of that field over the acting agent's earlier actions, across its sessions"),
    ("actor.seen", "actor.seen(action pattern, window) -> bool: whether the acting agent did a matching action within the window, in any session"),
    ("actor.distinct", "actor.distinct(action.field, window) -> int: how many distinct values that field took over the acting agent's earlier actions"),
    ("tenant.count", "tenant.count(action pattern [by field], window) -> int: earlier actions of the whole tenant (every agent and session); `by field`: only those with the request's value of that field"),
    ("tenant.sum", "tenant.sum(action.field [by field], window) -> money|int: the sum of that field over the tenant's earlier actions"),
    ("tenant.seen", "tenant.seen(action pattern [by field], window) -> bool: whether any agent of the tenant did a matching action within the window"),
    ("tenant.distinct", "tenant.distinct(action.field [by field], window) -> int: how many distinct values that field took over the tenant's earlier actions"),
    ("grant_active", "grant_active(grants[, scope]) -> bool: some grant of `context.grants` covers the action being decided at `context.time`: its action pattern matches, `not_before <= context.time < expires` (and its scope is `scope`); an expired or not-yet-valid grant reads as absent"),
    ("chain_widens", "chain_widens(chain) -> bool: some hop of `actor.chain` holds a scope the hop before it (its delegator) lacks"),
    ("beyond_chain", "beyond_chain(scopes, chain) -> bool: the list holds a scope the acting agent (the last hop of `actor.chain`) lacks; every scope, for an empty chain"),
    ("hour", "hour(time, zone) -> int: the local hour (0-23) of a time in an IANA time zone (`hour(context.time, actor.tz)`)"),
    ("minute", "minute(time, zone) -> int: the local minute (0-59) of a time in an IANA time zone"),
    ("weekday", "weekday(time, zone) -> int: the local day of the week of a time in an IANA time zone, 1 Monday … 7 Sunday"),
    ("date", "date(time, zone) -> int: the local date of a time in an IANA time zone as YYYYMMDD (`date(context.time, \"Europe/Paris\") == 2026_12_25`)"),
];

mod imports;
mod ip;
mod toolcond;

pub const DECISIONS: &[&str] = &["allow", "escalate", "deny"];

pub fn typeck(schema: &Schema, files: &[UserFile<'_>]) -> (Ir, Vec<Diagnostic>) {
    let mut c = Checker {
        schema,
        diags: Vec::new(),
        ir: Ir::default(),
        overrides: Vec::new(),
        absence: Absence::default(),
        rule_ids: crate::names::RuleIds::default(),
        tool_lets: Vec::new(),
    };
    let mut policy_names: BTreeMap<String, Span> = BTreeMap::new();
    c.derivations();
    let scopes = c.scopes(files);
    for (f, scope) in files.iter().zip(&scopes) {
        c.file(f, scope, &scopes, &mut policy_names);
    }
    for scope in &scopes {
        c.warn_unused(scope);
    }
    c.unreachable_mappings();
    c.warn_never_match_and_shadowed();
    c.apply_overrides();
    (c.ir, c.diags)
}

struct LetInfo {
    value: Const,
    ty: Type,
    span: Span,
    used: Cell<bool>,
}

/// What an expression may read.
#[derive(Clone, Copy)]
struct Scope<'a> {
    actions: &'a [ActionId],
    lets: &'a BTreeMap<String, LetInfo>,
    /// Named action sets (`actions outbound = …`), defined or imported.
    sets: &'a BTreeMap<String, imports::ActionSet>,
    /// Named conditions (`predicate NAME = …`), defined or imported.
    preds: &'a BTreeMap<String, imports::Predicate>,
    /// Every file's names: a predicate reads those of the file defining it.
    files: &'a [imports::FileScope],
    /// A `let` value: constants only.
    constant: bool,
    /// An `amplify` rule: the risk it adjusts cannot be read.
    no_risk: bool,
    /// A `where` filter of a session function: it reads an earlier action,
    /// whose risk and session are not kept.
    filter: bool,
}

type Typed = (TExpr, Type);

fn error() -> Typed {
    (TExpr::Const(Const::Bool(false)), Type::Error)
}

struct Checker<'s> {
    schema: &'s Schema,
    diags: Vec<Diagnostic>,
    ir: Ir,
    /// Rules with `overrides …`, applied once every file's rules are known.
    overrides: Vec<(usize, Vec<ast::RuleRef>)>,
    absence: Absence,
    /// Every rule's id (`policy.name`, or `policy:N` for an unnamed rule) and
    /// its positional id `policy:N`, which `overrides` still accepts as a
    /// deprecated alias.
    rule_ids: crate::names::RuleIds,
    /// The `let`s of the tool mapping being checked: name, value, type,
    /// whether a field read it.
    tool_lets: Vec<(String, ToolExpr, ValTy, Cell<bool>)>,
}

/// What the checker knows, at the expression it is typing, about optional
/// values: which are guarded, and which reading of an absent one is strict.
#[derive(Default)]
struct Absence {
    /// Fields a `has` dominating this point proves present.
    guards: Vec<FieldRef>,
    /// The rule's decision wants its condition true when a value is absent
    /// (deny, escalate, raising risk); `None` outside rules.
    strict_true: Option<bool>,
    /// Inside an odd number of `not`s.
    negated: bool,
    /// The comparison being typed, for the quick fix that guards it.
    site: Option<(Span, String)>,
}

impl<'s> Checker<'s> {
    fn file(
        &mut self,
        f: &UserFile<'_>,
        names: &imports::FileScope,
        files: &[imports::FileScope],
        policy_names: &mut BTreeMap<String, Span>,
    ) {
        let mut policy: Option<(String, Span)> = None;
        for item in &f.ast.items {
            if let Item::Policy(p) = item {
                if let Some((name, span)) = &policy {
                    self.diags.push(
                        Diagnostic::error(
                            "P0206",
                            p.name.span,
                            format!("this file already declares policy `{name}`"),
                        )
                        .label(*span, "declared here")
                        .help("one file holds one policy; move the rules into their own file"),
                    );
                    continue;
                }
                policy = Some((p.name.dotted(), p.name.span));
                self.ir.policies.push(PolicyIr {
                    name: p.name.dotted(),
                    doc: p.doc.as_ref().map(|d| d.value.clone()).unwrap_or_default(),
                    span: p.name.span,
                });
            }
        }
        let (policy_name, policy_span) =
            policy.unwrap_or_else(|| (f.stem.clone(), Span::new(f.file, 0, 0)));
        let has_rules = f.ast.items.iter().any(|i| matches!(i, Item::Rule(_)));
        if has_rules {
            if let Some(prev) = policy_names.get(&policy_name) {
                self.diags.push(
                    Diagnostic::error(
                        "P0206",
                        policy_span,
                        format!("policy `{policy_name}` is defined in two files"),
                    )
                    .label(*prev, "also defined here")
                    .help("rule ids start with the policy's name, so policy names must be unique"),
                );
            } else {
                policy_names.insert(policy_name.clone(), policy_span);
            }
        }

        let mut ordinal = 0u32;
        for item in &f.ast.items {
            match item {
                Item::Rule(r) => {
                    ordinal += 1;
                    let id = self.rule_ids.declare(
                        &policy_name,
                        ordinal,
                        r.name.as_ref(),
                        &mut self.diags,
                    );
                    self.rule(r, (names, files), &policy_name, id);
                }
                Item::Tool(t) => self.tool(t, &names.lets),
                Item::Test(t) => self.test(t),
                _ => {}
            }
        }
    }

    fn let_decl(&mut self, l: &ast::LetDecl, lets: &mut BTreeMap<String, LetInfo>) {
        let no_sets = BTreeMap::new();
        let no_preds = BTreeMap::new();
        let scope = Scope {
            actions: &[],
            lets,
            sets: &no_sets,
            preds: &no_preds,
            files: &[],
            constant: true,
            no_risk: true,
            filter: false,
        };
        let (e, ty) = self.expr(&l.value, scope, None);
        if let Some(prev) = lets.get(&l.name.text) {
            self.diags.push(
                Diagnostic::error(
                    "P0206",
                    l.name.span,
                    format!("`{}` is already defined", l.name.text),
                )
                .label(prev.span, "first defined here")
                .help("give it another name"),
            );
            return;
        }
        let value = match e {
            TExpr::Const(c) => c,
            _ => {
                if ty != Type::Error {
                    self.diags.push(
                        Diagnostic::error("P0301", l.value.span, "a `let` holds a constant value")
                            .help("use a literal such as `500`, `\"usd\"` or `{\"a\", \"b\"}`"),
                    );
                }
                Const::Bool(false)
            }
        };
        lets.insert(
            l.name.text.clone(),
            LetInfo {
                value,
                ty,
                span: l.name.span,
                used: Cell::new(false),
            },
        );
    }

    // ---------- rules ----------

    fn rule(
        &mut self,
        r: &ast::Rule,
        (names, files): (&imports::FileScope, &[imports::FileScope]),
        policy: &str,
        id: String,
    ) {
        let lets = &names.lets;
        let mut actions: Vec<ActionId> = Vec::new();
        let mut patterns_ok = true;
        for p in &r.patterns {
            match self.pattern_or_set(p, &names.sets) {
                Some(ids) => actions.extend(ids),
                None => patterns_ok = false,
            }
        }
        actions.sort_unstable();
        actions.dedup();

        let effect = match &r.effect {
            ast::Effect::Decide(n) => match Verdict::from_name(&n.text) {
                Some(v) => Some(Effect::Decide(v)),
                None => {
                    self.unknown_decision(n);
                    None
                }
            },
            ast::Effect::Amplify(items) => {
                let mut out = Vec::new();
                for a in items {
                    match Amp::from_name(&a.dimension.text) {
                        Some(amp) => {
                            out.push((amp, i32::try_from(a.delta.clamp(-1000, 1000)).unwrap_or(0)))
                        }
                        None => {
                            let names: Vec<&str> = Amp::ALL.iter().map(|a| a.name()).collect();
                            let mut d = Diagnostic::error(
                                "P0306",
                                a.dimension.span,
                                format!("unknown amplifier `{}`", a.dimension.text),
                            );
                            d = match suggest(&a.dimension.text, names.iter().copied()) {
                                Some(s) => d
                                    .help(format!("did you mean `{s}`?"))
                                    .fix(a.dimension.span, s),
                                None => d.help(format!("amplifiers are {}", names.join(", "))),
                            };
                            self.diags.push(d);
                        }
                    }
                }
                Some(Effect::Amplify(out))
            }
        };
        let is_amplify = matches!(effect, Some(Effect::Amplify(_)));

        // Without a usable pattern the condition cannot be checked against
        // fields; check it anyway against no action to report namespace errors.
        let scope = Scope {
            actions: &actions,
            lets,
            sets: &names.sets,
            preds: &names.preds,
            files,
            constant: false,
            no_risk: is_amplify,
            filter: false,
        };
        self.absence.strict_true = match &effect {
            Some(Effect::Decide(Verdict::Allow)) => Some(false),
            Some(Effect::Decide(_)) => Some(true),
            Some(Effect::Amplify(deltas)) => Some(deltas.iter().any(|(_, d)| *d > 0)),
            None => None,
        };
        let cond = r
            .cond
            .as_ref()
            .map(|c| self.condition(c, scope, patterns_ok));
        self.absence.strict_true = None;

        let obligations = r
            .obligations
            .iter()
            .map(|o| {
                let value = match &o.value {
                    None => String::new(),
                    Some(v) => match &v.kind {
                        ExprKind::Str(s) => s.clone(),
                        ExprKind::Int(n) => n.to_string(),
                        ExprKind::Bool(b) => b.to_string(),
                        ExprKind::Duration(ms) => format!("{ms}ms"),
                        ExprKind::Time(t) => t.clone(),
                        _ => {
                            self.diags.push(
                                Diagnostic::error(
                                    "P0306",
                                    v.span,
                                    "an obligation's value is a literal",
                                )
                                .help("write `with notify = \"secops\"`"),
                            );
                            String::new()
                        }
                    },
                };
                (o.key.text.clone(), value)
            })
            .collect();

        let (Some(effect), true) = (effect, patterns_ok) else {
            return;
        };
        let cond = match cond {
            Some(Some(c)) => Some(c),
            Some(None) => return,
            None => None,
        };
        if !r.overrides.is_empty() {
            if effect == Effect::Decide(Verdict::Allow) {
                self.overrides
                    .push((self.ir.rules.len(), r.overrides.clone()));
            } else {
                let span = r.overrides.first().map(|o| o.span).unwrap_or(r.span);
                self.diags.push(
                    Diagnostic::error("P0217", span, "only an `allow` rule overrides another rule")
                        .help("`overrides` relaxes an escalate rule where this rule allows; a deny or escalate needs no override, it already wins"),
                );
            }
        }
        self.ir.rules.push(RuleIr {
            id,
            policy: policy.to_string(),
            actions,
            cond,
            effect,
            reason: r.reason.as_ref().map(|s| s.value.clone()),
            obligations,
            span: r.span,
        });
    }

    /// `when A cond then allow overrides P:N` relaxes escalate rule `P:N`
    /// for the actions of A where `cond` holds: the target's condition
    /// becomes `target and not cond` on those actions. A deny cannot be
    /// overridden, and nothing is relaxed without naming the rule.
    fn apply_overrides(&mut self) {
        let mut pending = std::mem::take(&mut self.overrides);
        let mut k = 0;
        while let Some((by, refs)) = pending.get(k).cloned() {
            k += 1;
            let Some(over) = self.ir.rules.get(by).cloned() else {
                continue;
            };
            for rf in refs {
                let Some(id) = self.rule_ids.resolve(&rf, &mut self.diags) else {
                    continue;
                };
                let Some(t) = self.ir.rules.iter().position(|r| r.id == id) else {
                    // Declared, but not compiled: its own errors are reported.
                    continue;
                };
                let Some(target) = self.ir.rules.get(t).cloned() else {
                    continue;
                };
                match target.effect {
                    Effect::Decide(Verdict::Escalate) => {}
                    Effect::Decide(Verdict::Deny) => {
                        self.diags.push(
                            Diagnostic::error("P0217", rf.span, format!("`{id}` denies, and a deny always stands"))
                                .label(target.span, "this rule denies")
                                .help("only an escalate rule can be relaxed; change the deny rule itself if it is wrong"),
                        );
                        continue;
                    }
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                "P0217",
                                rf.span,
                                format!("`{id}` does not escalate, so there is nothing to relax"),
                            )
                            .label(target.span, "this rule")
                            .help("name an escalate rule"),
                        );
                        continue;
                    }
                }
                let (inside, outside): (Vec<ActionId>, Vec<ActionId>) = target
                    .actions
                    .iter()
                    .partition(|a| over.actions.contains(a));
                if inside.is_empty() {
                    self.diags.push(
                        Diagnostic::error(
                            "P0217",
                            rf.span,
                            format!("`{id}` covers none of this rule's actions"),
                        )
                        .label(target.span, "that rule is for other actions")
                        .help("an override relaxes a rule only on the actions both rules name"),
                    );
                    continue;
                }
                let unless = match &over.cond {
                    Some(c) => TExpr::Not(Box::new(c.clone())),
                    None => TExpr::Const(Const::Bool(false)),
                };
                let relaxed_cond = Some(match target.cond.clone() {
                    Some(c) => TExpr::And(vec![c, unless]),
                    None => unless,
                });
                // The rule keeps its id on both halves, so decisions and
                // coverage still name it.
                let relaxed = RuleIr {
                    actions: inside,
                    cond: relaxed_cond,
                    ..target.clone()
                };
                if let Some(slot) = self.ir.rules.get_mut(t) {
                    *slot = relaxed;
                }
                if !outside.is_empty() {
                    self.ir.rules.insert(
                        t + 1,
                        RuleIr {
                            actions: outside,
                            ..target
                        },
                    );
                    for (i, _) in pending.iter_mut() {
                        if *i > t {
                            *i += 1;
                        }
                    }
                }
            }
        }
    }

    fn unknown_decision(&mut self, n: &ast::Name) {
        let synonym = match n.text.to_lowercase().as_str() {
            "block" | "reject" | "forbid" | "refuse" | "denied" => Some("deny"),
            "permit" | "accept" | "approve" | "allowed" | "ok" => Some("allow"),
            "review" | "ask" | "confirm" | "human" | "escalated" => Some("escalate"),
            _ => None,
        };
        let mut d = Diagnostic::error("P0207", n.span, format!("unknown decision `{}`", n.text));
        d = match synonym.or_else(|| suggest(&n.text, DECISIONS.iter().copied())) {
            Some(s) => d
                .help(format!(
                    "did you mean `{s}`? decisions are allow, escalate and deny"
                ))
                .fix(n.span, s),
            None => d.help("decisions are allow, escalate and deny; `amplify` adjusts risk"),
        };
        self.diags.push(d);
    }

    fn pattern(&mut self, p: &ast::Pattern) -> Option<Vec<ActionId>> {
        match &p.kind {
            PatternKind::Any => Some(
                (0..self.schema.actions.len())
                    .filter_map(|i| u32::try_from(i).ok())
                    .collect(),
            ),
            PatternKind::Domain(d) => {
                if self.schema.domain(&d.text).is_none() {
                    let names: Vec<&str> = self
                        .schema
                        .domains
                        .iter()
                        .map(|d| d.name.as_str())
                        .collect();
                    let mut diag =
                        Diagnostic::error("P0202", d.span, format!("unknown domain `{}`", d.text));
                    diag = match suggest(&d.text, names.iter().copied()) {
                        Some(s) => diag.help(format!("did you mean `{s}`?")).fix(d.span, s),
                        None => diag.help("`permit0 taxonomy` lists the domains; a team declares its own with `domain`"),
                    };
                    self.diags.push(diag);
                    return None;
                }
                let ids: Vec<ActionId> = self.schema.actions_in_domain(&d.text).collect();
                if ids.is_empty() {
                    self.diags.push(
                        Diagnostic::error(
                            "P0208",
                            p.span,
                            format!(
                                "`{}.*` matches no action: domain `{}` declares none",
                                d.text, d.text
                            ),
                        )
                        .help(format!(
                            "declare one: `action {}.approve {{ amount: money }}`",
                            d.text
                        )),
                    );
                    return None;
                }
                Some(ids)
            }
            PatternKind::Exact(path) => self.action_name(path).map(|id| vec![id]),
        }
    }

    /// An exact action name, accepting deprecated aliases with a warning.
    fn action_name(&mut self, path: &ast::Path) -> Option<ActionId> {
        let name = path.dotted();
        if let Some(id) = self.schema.action_id(&name) {
            return Some(id);
        }
        if let Some(alias) = self.schema.aliases.get(&name) {
            let target = self
                .schema
                .action(alias.target)
                .map(|a| a.name.clone())
                .unwrap_or_default();
            self.diags.push(
                Diagnostic::warning(
                    "P0403",
                    path.span,
                    format!("`{name}` is a deprecated name for `{target}`"),
                )
                .help(format!("write `{target}`"))
                .fix(path.span, target.clone()),
            );
            return Some(alias.target);
        }
        let domain = path.segments.first().map(|s| s.text.as_str()).unwrap_or("");
        let mut d = Diagnostic::error("P0201", path.span, format!("unknown action `{name}`"));
        let all = self.schema.actions.iter().map(|a| a.name.as_str());
        if let Some(s) = suggest(&name, all) {
            d = d.help(format!("did you mean `{s}`?")).fix(path.span, s);
        } else if self.schema.domain(domain).is_some() {
            let verbs: Vec<&str> = self
                .schema
                .actions
                .iter()
                .filter(|a| a.domain == domain)
                .map(|a| a.name.as_str())
                .collect();
            // Every action when they fit; otherwise say how many are left out.
            const SHOWN: usize = 20;
            let more = if verbs.len() > SHOWN {
                format!(" and {} more", verbs.len() - SHOWN)
            } else {
                String::new()
            };
            let shown: Vec<&str> = verbs.iter().copied().take(SHOWN).collect();
            d = d.help(format!("`{domain}` has {}{more}", shown.join(", ")));
        } else {
            d = d.help("`permit0 taxonomy` lists every action; declare your own with `action`");
        }
        self.diags.push(d);
        None
    }

    fn condition(&mut self, e: &ast::Expr, scope: Scope<'_>, actions_known: bool) -> Option<TExpr> {
        if !actions_known {
            // The pattern's own diagnostic explains it; fields cannot be
            // judged without the action, so say nothing more — but walk the
            // condition so the lets it uses count as used.
            let before = self.diags.len();
            let _ = self.expr(e, scope, None);
            self.diags.truncate(before);
            return None;
        }
        let (t, ty) = self.expr(e, scope, None);
        match ty {
            Type::Bool => Some(t),
            Type::Error => None,
            other => {
                let shown = self.schema.display(other).to_string();
                let mut d = Diagnostic::error(
                    "P0305",
                    e.span,
                    format!("a condition must be a boolean, found `{shown}`"),
                );
                d = if other.is_numeric() {
                    d.help("compare it, e.g. `amount > 500`")
                } else {
                    d.help("compare it, e.g. `role == \"support\"`")
                };
                self.diags.push(d);
                None
            }
        }
    }

    // ---------- expressions ----------

    fn expr(&mut self, e: &ast::Expr, scope: Scope<'_>, hint: Option<Type>) -> Typed {
        match &e.kind {
            ExprKind::Int(n) => {
                let ty = match hint {
                    Some(t @ (Type::Money | Type::Duration | Type::Time)) => t,
                    _ => Type::Int,
                };
                (TExpr::Const(Const::Int(*n)), ty)
            }
            ExprKind::Duration(ms) => (TExpr::Const(Const::Int(*ms)), Type::Duration),
            ExprKind::Time(t) => self.time_literal(t, e.span),
            ExprKind::Str(s) => match hint {
                Some(Type::Enum(id)) => self.enum_member(id, s, e.span, true),
                _ => (TExpr::Const(Const::Str(s.clone())), Type::Str),
            },
            ExprKind::Bool(b) => (TExpr::Const(Const::Bool(*b)), Type::Bool),
            ExprKind::Paren(inner) => self.expr(inner, scope, hint),
            ExprKind::Not(inner) => {
                self.absence.negated = !self.absence.negated;
                let (t, ty) = self.bool_operand(inner, scope, "not");
                self.absence.negated = !self.absence.negated;
                (TExpr::Not(Box::new(t)), ty)
            }
            ExprKind::And(items) | ExprKind::Or(items) => {
                let guarded = self.absence.guards.len();
                let mut out = Vec::new();
                let mut ty = Type::Bool;
                let word = if matches!(e.kind, ExprKind::And(_)) {
                    "and"
                } else {
                    "or"
                };
                for i in items {
                    let (t, it) = self.bool_operand(i, scope, word);
                    if it == Type::Error {
                        ty = Type::Error;
                    }
                    // A `has` the operand proves guards the operands after it.
                    let (when_true, when_false) = present_facts(&t);
                    self.absence
                        .guards
                        .extend(if word == "and" { when_true } else { when_false });
                    out.push(t);
                }
                self.absence.guards.truncate(guarded);
                let t = if matches!(e.kind, ExprKind::And(_)) {
                    TExpr::And(out)
                } else {
                    TExpr::Or(out)
                };
                (t, ty)
            }
            ExprKind::Path(p) => {
                let typed = self.path(p, scope, hint);
                if let TExpr::Field(f) = &typed.0 {
                    self.require_guard(f, p.span, scope);
                }
                typed
            }
            ExprKind::Has(p) => self.has(p, e.span, scope),
            ExprKind::Default { value, default } => self.default_value(value, default, scope, hint),
            ExprKind::Alt(_) => {
                self.diags.push(
                    Diagnostic::error("P0301", e.span, "`a | b` names actions, not a value")
                        .help("alternations go in session functions: `session.count(file.read | file.download, 10m)`"),
                );
                error()
            }
            ExprKind::Wildcard(p) => {
                self.diags.push(
                    Diagnostic::error(
                        "P0301",
                        e.span,
                        format!("`{}.*` names actions, not a value", p.dotted()),
                    )
                    .help("wildcards go in session functions: `session.count(payments.*, 1h)`"),
                );
                error()
            }
            ExprKind::Call { func, args } => self.call(func, args, e.span, scope),
            ExprKind::Where { .. } => {
                self.diags.push(
                    Diagnostic::error(
                        "P0301",
                        e.span,
                        "`where` filters the actions a session function reads",
                    )
                    .help("use it inside one: `session.count(payments.charge where amount < 200, 10m)`"),
                );
                error()
            }
            ExprKind::By { .. } => {
                self.diags.push(
                    Diagnostic::error(
                        "P0301",
                        e.span,
                        "`by` groups the earlier actions a session function reads",
                    )
                    .help("use it inside one: `tenant.count(collections.call_debtor by account_id, 7d)`"),
                );
                error()
            }
            ExprKind::Set(items) | ExprKind::List(items) => {
                let is_set = matches!(e.kind, ExprKind::Set(_));
                let mut strs = Vec::new();
                let mut ok = true;
                for i in items {
                    match &i.kind {
                        ExprKind::Str(s) => strs.push(s.clone()),
                        _ => {
                            ok = false;
                            self.diags.push(
                                Diagnostic::error(
                                    "P0301",
                                    i.span,
                                    "collection elements are string literals",
                                )
                                .help("write `{\"a\", \"b\"}` or `[\"a\", \"b\"]`"),
                            );
                        }
                    }
                }
                if !ok {
                    return error();
                }
                if is_set {
                    strs.sort();
                    strs.dedup();
                }
                (
                    TExpr::Const(Const::Strs(strs)),
                    if is_set { Type::Set } else { Type::List },
                )
            }
            ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } if op.is_arith() => self.arith(*op, *op_span, lhs, rhs, e.span, scope),
            ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => self.binary(*op, *op_span, lhs, rhs, e.span, scope),
            ExprKind::Object(_) => {
                self.diags.push(
                    Diagnostic::error(
                        "P0301",
                        e.span,
                        "an object `{key: value}` is a test value, not a value in a condition",
                    )
                    .help("objects are written in test steps: `context { grants: [{scope: \"s\", …}] }`; a set of strings is `{\"a\", \"b\"}`"),
                );
                error()
            }
            ExprKind::Error => error(),
        }
    }

    fn bool_operand(&mut self, e: &ast::Expr, scope: Scope<'_>, word: &str) -> Typed {
        let (t, ty) = self.expr(e, scope, None);
        match ty {
            Type::Bool | Type::Error => (t, ty),
            other => {
                let shown = self.schema.display(other).to_string();
                self.diags.push(
                    Diagnostic::error(
                        "P0302",
                        e.span,
                        format!("`{word}` needs a boolean, found `{shown}`"),
                    )
                    .help("compare the value first, e.g. `amount > 500`"),
                );
                error()
            }
        }
    }

    fn enum_member(&mut self, id: u32, s: &str, span: Span, quoted: bool) -> Typed {
        let Some(def) = self.schema.enum_def(id) else {
            return error();
        };
        match def.members.iter().position(|m| m == s) {
            Some(i) => (
                TExpr::Const(Const::Enum(id, u32::try_from(i).unwrap_or(0))),
                Type::Enum(id),
            ),
            None => {
                let members = def.members.join(", ");
                let mut d = Diagnostic::error(
                    "P0304",
                    span,
                    format!(
                        "`{s}` is not a member of `{}`",
                        self.schema.display(Type::Enum(id))
                    ),
                );
                let prefix = || {
                    def.members
                        .iter()
                        .map(|m| m.as_str())
                        .filter(|m| !m.is_empty() && !s.is_empty())
                        .find(|m| s.starts_with(m) || m.starts_with(s))
                };
                d = match suggest(s, def.members.iter().map(|m| m.as_str())).or_else(prefix) {
                    Some(m) => d
                        .help(format!("did you mean `{m}`? the members are {members}"))
                        .fix(
                            span,
                            if quoted {
                                format!("\"{m}\"")
                            } else {
                                m.to_string()
                            },
                        ),
                    None => d.help(format!("the members are {members}")),
                };
                self.diags.push(d);
                error()
            }
        }
    }

    fn field_decl_label(&self, f: &FieldRef, actions: &[ActionId]) -> Option<(Span, String)> {
        match f {
            FieldRef::Action(name) => actions
                .iter()
                .filter_map(|a| self.schema.action(*a))
                .find_map(|a| a.field(name))
                .or_else(|| self.schema.actions.iter().find_map(|a| a.field(name)))
                .map(|fi| {
                    (
                        fi.span,
                        format!(
                            "`{name}` is declared as `{}` here",
                            self.schema.display(fi.ty)
                        ),
                    )
                }),
            FieldRef::Namespace(ns, name) => self
                .schema
                .namespace(ns)
                .and_then(|n| n.fields.iter().find(|fi| &fi.name == name))
                .map(|fi| {
                    (
                        fi.span,
                        format!(
                            "`{ns}.{name}` is declared as `{}` here",
                            self.schema.display(fi.ty)
                        ),
                    )
                }),
            _ => None,
        }
    }

    fn path(&mut self, p: &ast::Path, scope: Scope<'_>, hint: Option<Type>) -> Typed {
        let segs: Vec<&str> = p.segments.iter().map(|s| s.text.as_str()).collect();
        match segs.as_slice() {
            [name] => self.bare_name(name, p.span, scope, hint),
            [ns, member] if self.schema.namespace(ns).is_some() => {
                if scope.constant {
                    return self.not_constant(p.span);
                }
                let Some(nsinfo) = self.schema.namespace(ns) else {
                    return error();
                };
                match nsinfo.fields.iter().find(|f| f.name == *member) {
                    Some(f) => (
                        TExpr::Field(FieldRef::Namespace(ns.to_string(), member.to_string())),
                        f.ty,
                    ),
                    None => {
                        let span = p.segments.get(1).map(|s| s.span).unwrap_or(p.span);
                        let mut d = Diagnostic::error(
                            "P0203",
                            span,
                            format!("`{ns}` has no field `{member}`"),
                        );
                        let names: Vec<&str> =
                            nsinfo.fields.iter().map(|f| f.name.as_str()).collect();
                        d = match suggest(member, names.iter().copied()) {
                            Some(s) => d.help(format!("did you mean `{ns}.{s}`?")).fix(span, s),
                            None => d.help(format!("`{ns}` has {}", names.join(", "))),
                        }
                        .label(nsinfo.span, format!("`{ns}` is declared here"));
                        self.diags.push(d);
                        error()
                    }
                }
            }
            ["risk", member] => {
                if scope.constant {
                    return self.not_constant(p.span);
                }
                if scope.filter {
                    return self.not_in_filter(p.span, "risk");
                }
                if scope.no_risk {
                    self.diags.push(
                        Diagnostic::error(
                            "P0306",
                            p.span,
                            "an `amplify` rule cannot read the risk it adjusts",
                        )
                        .help("base the condition on the action's fields, `actor` or `context`"),
                    );
                    return error();
                }
                match *member {
                    "score" => (TExpr::Field(FieldRef::RiskScore), Type::Int),
                    "tier" => (TExpr::Field(FieldRef::RiskTier), Type::Enum(TIER_ENUM)),
                    "flags" => (TExpr::Field(FieldRef::RiskFlags), Type::Set),
                    other => {
                        let span = p.segments.get(1).map(|s| s.span).unwrap_or(p.span);
                        let mut d = Diagnostic::error(
                            "P0203",
                            span,
                            format!("`risk` has no field `{other}`"),
                        );
                        d = match suggest(other, ["score", "tier", "flags"]) {
                            Some(s) => d.help(format!("did you mean `risk.{s}`?")).fix(span, s),
                            None => d.help("`risk` has score, tier and flags"),
                        };
                        self.diags.push(d);
                        error()
                    }
                }
            }
            ["session", ..] => {
                self.diags.push(
                    Diagnostic::error("P0301", p.span, "session aggregates are functions")
                        .help("call one: `session.count(payments.refund, 1h)`, `session.sum(payments.transfer.amount, 24h)`"),
                );
                error()
            }
            [head, ..] => {
                let head_span = p.segments.first().map(|s| s.span).unwrap_or(p.span);
                if scope.actions.iter().any(|a| {
                    self.schema
                        .action(*a)
                        .is_some_and(|a| a.field(head).is_some())
                }) {
                    self.diags.push(
                        Diagnostic::error(
                            "P0301",
                            p.span,
                            format!("`{head}` is a value and has no fields"),
                        )
                        .help(format!("use `{head}` on its own")),
                    );
                    return error();
                }
                let mut names: Vec<&str> = self
                    .schema
                    .namespaces
                    .iter()
                    .map(|n| n.name.as_str())
                    .collect();
                names.extend(["session", "risk"]);
                let mut d =
                    Diagnostic::error("P0204", head_span, format!("unknown namespace `{head}`"));
                d = match suggest(head, names.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")).fix(head_span, s),
                    None => d.help(format!("namespaces are {}", names.join(", "))),
                };
                self.diags.push(d);
                error()
            }
            [] => error(),
        }
    }

    fn not_in_filter(&mut self, span: Span, what: &str) -> Typed {
        self.diags.push(
            Diagnostic::error(
                "P0301",
                span,
                format!("a `where` filter cannot read `{what}`: the session keeps earlier actions' fields, not their {what}"),
            )
            .help("filter on the action's fields, `actor` or `context`: `payments.charge where amount < 200`"),
        );
        error()
    }

    fn not_constant(&mut self, span: Span) -> Typed {
        self.diags.push(
            Diagnostic::error("P0301", span, "a `let` holds a constant value")
                .help("`let` cannot read request fields; use the field in the rule itself"),
        );
        error()
    }

    fn bare_name(&mut self, name: &str, span: Span, scope: Scope<'_>, hint: Option<Type>) -> Typed {
        let infos: Vec<_> = scope
            .actions
            .iter()
            .filter_map(|a| self.schema.action(*a))
            .collect();
        let with: Vec<_> = infos
            .iter()
            .filter_map(|a| a.field(name).map(|f| (*a, f)))
            .collect();
        if !scope.constant && !with.is_empty() {
            if with.len() < infos.len() {
                let missing: Vec<&str> = infos
                    .iter()
                    .filter(|a| a.field(name).is_none())
                    .map(|a| a.name.as_str())
                    .collect();
                let having: Vec<&str> = with.iter().map(|(a, _)| a.name.as_str()).take(4).collect();
                let shown: Vec<&str> = missing.iter().copied().take(4).collect();
                let more = if missing.len() > 4 {
                    format!(" and {} more", missing.len() - 4)
                } else {
                    String::new()
                };
                self.diags.push(
                    Diagnostic::error(
                        "P0210",
                        span,
                        format!("`{name}` is not a field of every action the rule matches"),
                    )
                    .help(format!(
                        "{}{} {} no `{name}`; name the actions that do: `when {}`",
                        shown.join(", "),
                        more,
                        if missing.len() == 1 { "has" } else { "have" },
                        having.join(" | ")
                    )),
                );
                return error();
            }
            let ty = with.first().map(|(_, f)| f.ty).unwrap_or(Type::Error);
            if let Some((a, f)) = with.iter().find(|(_, f)| !same_type(self.schema, f.ty, ty)) {
                self.diags.push(
                    Diagnostic::error(
                        "P0301",
                        span,
                        format!("`{name}` has different types on the actions the rule matches"),
                    )
                    .label(
                        f.span,
                        format!(
                            "`{}` declares it as `{}`",
                            a.name,
                            self.schema.display(f.ty)
                        ),
                    )
                    .help("split the rule by action"),
                );
                return error();
            }
            return (TExpr::Field(FieldRef::Action(name.to_string())), ty);
        }
        if scope.preds.contains_key(name) {
            return self.predicate(name, span, scope);
        }
        if let Some(l) = scope.lets.get(name) {
            l.used.set(true);
            if let (Some(Type::Enum(id)), Const::Str(s)) = (hint, &l.value) {
                return self.enum_member(id, &s.clone(), span, true);
            }
            // A named integer takes its type from the other side, as the
            // literal it stands for would.
            if let (
                Some(t @ (Type::Money | Type::Duration | Type::Time)),
                Type::Int,
                Const::Int(_),
            ) = (hint, l.ty, &l.value)
            {
                return (TExpr::Const(l.value.clone()), t);
            }
            return (TExpr::Const(l.value.clone()), l.ty);
        }
        if let Some(Type::Enum(id)) = hint {
            if self
                .schema
                .enum_def(id)
                .is_some_and(|d| d.members.iter().any(|m| m == name))
            {
                return self.enum_member(id, name, span, false);
            }
        }
        if scope.constant {
            if self.schema.actions.iter().any(|a| a.field(name).is_some()) {
                return self.not_constant(span);
            }
            let mut d = Diagnostic::error("P0205", span, format!("unknown name `{name}`"));
            if let Some(s) = suggest(name, scope.lets.keys().map(|k| k.as_str())) {
                // The misspelt reference was meant for it: not unused.
                if let Some(l) = scope.lets.get(s) {
                    l.used.set(true);
                }
                d = d.help(format!("did you mean `{s}`?")).fix(span, s);
            }
            self.diags.push(d);
            return error();
        }
        if let Some(Type::Enum(id)) = hint {
            return self.enum_member(id, name, span, false);
        }
        // Unknown: suggest among the fields of the matched actions, lets and
        // namespaces.
        let mut candidates: Vec<&str> = Vec::new();
        for a in &infos {
            for f in &a.fields {
                if !candidates.contains(&f.name.as_str()) {
                    candidates.push(f.name.as_str());
                }
            }
        }
        candidates.extend(scope.lets.keys().map(|k| k.as_str()));
        let target = match infos.as_slice() {
            [one] => format!("`{}`", one.name),
            [] => "the matched actions".to_string(),
            _ => format!("the {} matched actions", infos.len()),
        };
        let mut d = Diagnostic::error("P0203", span, format!("unknown field `{name}` on {target}"));
        if let Some(s) = suggest(name, candidates.iter().copied()) {
            if let Some(l) = scope.lets.get(s) {
                l.used.set(true);
            }
            d = d.help(format!("did you mean `{s}`?")).fix(span, s);
        } else if let Some(ns) = self
            .schema
            .namespaces
            .iter()
            .find(|n| n.fields.iter().any(|f| f.name == name))
        {
            d = d
                .help(format!("did you mean `{}.{name}`?", ns.name))
                .fix(span, format!("{}.{name}", ns.name));
        } else if !candidates.is_empty() && candidates.len() <= 12 {
            d = d.help(format!("fields are {}", candidates.join(", ")));
        }
        if let [one] = infos.as_slice() {
            d = d.label(one.span, format!("`{}` is declared here", one.name));
        }
        self.diags.push(d);
        error()
    }

    fn binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
        scope: Scope<'_>,
    ) -> Typed {
        let op = if op == BinOp::Assign {
            self.diags.push(
                Diagnostic::error("P0112", op_span, "`=` assigns; comparisons use `==`")
                    .help("write `==`")
                    .fix(op_span, "=="),
            );
            BinOp::Eq
        } else {
            op
        };
        let site = self.absence.site.replace((
            span,
            format!(
                "{} {} {}",
                crate::fmt::expr_text(lhs),
                op.symbol(),
                crate::fmt::expr_text(rhs)
            ),
        ));
        let before = self.diags.len();
        let typed = self.binary_typed(op, op_span, lhs, rhs, span, scope);
        self.absence.site = site;
        if typed.1 == Type::Error {
            // A comparison that does not type-check is fixed first; how it
            // reads an absent value is the next question.
            let mut i = before;
            while i < self.diags.len() {
                if self.diags.get(i).is_some_and(|d| d.code == "P0218") {
                    self.diags.remove(i);
                } else {
                    i += 1;
                }
            }
        }
        typed
    }

    fn binary_typed(
        &mut self,
        op: BinOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
        scope: Scope<'_>,
    ) -> Typed {
        // Type the side that is not a literal first, so literals and bare enum
        // members can take their type from it.
        let lhs_is_lit = is_literalish(lhs);
        let (l, lt, r, rt) = if lhs_is_lit && !is_literalish(rhs) {
            let (r, rt) = self.expr(rhs, scope, None);
            let (l, lt) = self.expr(lhs, scope, hint_for(op, rt));
            (l, lt, r, rt)
        } else {
            let (l, lt) = self.expr(lhs, scope, None);
            let (r, rt) = self.expr(rhs, scope, hint_for(op, lt));
            // `cap < amount` with `let cap = 50_000`: the named integer on the
            // left takes the type of the right, as a literal would.
            let lt = match (&l, lt, hint_for(op, rt)) {
                (
                    TExpr::Const(Const::Int(_)),
                    Type::Int,
                    Some(t @ (Type::Money | Type::Duration | Type::Time)),
                ) => t,
                _ => lt,
            };
            (l, lt, r, rt)
        };
        if lt == Type::Error || rt == Type::Error {
            return error();
        }
        if lt == Type::Ip || rt == Type::Ip {
            return self.ip_test(op, op_span, (l, lt, lhs), (r, rt, rhs), span, scope);
        }
        // `amount > n * 50_00`: a count times a literal, compared with money
        // or a duration, is money or a duration — the literal is the unit.
        let (lt, rt) = match (lt, rt) {
            (Type::Money | Type::Duration, Type::Int) if arith::unit_product(&r) => (lt, lt),
            (Type::Int, Type::Money | Type::Duration) if arith::unit_product(&l) => (rt, rt),
            other => other,
        };
        let disp = |t: Type| self.schema.display(t).to_string();
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul => {
                self.diags.push(Diagnostic::error(
                    "P0900",
                    span,
                    "internal error: arithmetic typed as a comparison",
                ));
                error()
            }
            BinOp::Eq
            | BinOp::Ne
            | BinOp::Lt
            | BinOp::Le
            | BinOp::Gt
            | BinOp::Ge
            | BinOp::Assign => {
                let cmp = match op {
                    BinOp::Ne => CmpOp::Ne,
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Le => CmpOp::Le,
                    BinOp::Gt => CmpOp::Gt,
                    BinOp::Ge => CmpOp::Ge,
                    _ => CmpOp::Eq,
                };
                if !same_type(self.schema, lt, rt) {
                    let mut d = Diagnostic::error(
                        "P0301",
                        span,
                        format!("cannot compare `{}` with `{}`", disp(lt), disp(rt)),
                    )
                    .label(lhs.span, format!("this is `{}`", disp(lt)))
                    .label(rhs.span, format!("this is `{}`", disp(rt)));
                    if let TExpr::Field(f) = &l {
                        if let Some((s, m)) = self.field_decl_label(f, scope.actions) {
                            d = d.label(s, m);
                        }
                    }
                    d = match (&rhs.kind, lt) {
                        (ExprKind::Str(s), t)
                            if t.is_numeric() && s.replace('_', "").parse::<i64>().is_ok() =>
                        {
                            d.help(format!("remove the quotes: `{s}`"))
                                .fix(rhs.span, s.clone())
                        }
                        (_, Type::Money) => {
                            d.help("money is an integer count of minor units: `50000` is 500.00")
                        }
                        (_, Type::Duration) => d.help("write a duration such as `24h` or `10m`"),
                        _ => d.help(format!(
                            "compare `{}` with a `{}` value",
                            disp(lt),
                            disp(lt)
                        )),
                    };
                    self.diags.push(d);
                    return error();
                }
                let ordered = match lt {
                    Type::Enum(id) => self.schema.enum_def(id).is_some_and(|d| d.ordered),
                    t => t.is_numeric(),
                };
                if !matches!(cmp, CmpOp::Eq | CmpOp::Ne) && !ordered {
                    self.diags.push(
                        Diagnostic::error("P0302", op_span, format!("`{}` does not apply to `{}`", cmp.symbol(), disp(lt)))
                            .help("order comparisons apply to numbers, money, durations, times and `risk.tier`; use `==` or `!=`"),
                    );
                    return error();
                }
                if lt.is_collection() {
                    self.diags.push(
                        Diagnostic::error(
                            "P0302",
                            op_span,
                            format!("`{}` does not apply to `{}`", cmp.symbol(), disp(lt)),
                        )
                        .help("test elements with `contains`, `contains_any` or `contains_all`"),
                    );
                    return error();
                }
                (TExpr::Compare(cmp, Box::new(l), Box::new(r)), Type::Bool)
            }
            BinOp::In | BinOp::NotIn => {
                if lt.is_collection() {
                    self.diags.push(
                        Diagnostic::error(
                            "P0302",
                            op_span,
                            format!(
                                "`{}` tests one value, and this is `{}`",
                                op.symbol(),
                                disp(lt)
                            ),
                        )
                        .help("to test a list against a set use `contains_any` or `contains_all`"),
                    );
                    return error();
                }
                if !rt.is_collection() {
                    self.diags.push(
                        Diagnostic::error("P0301", rhs.span, format!("`{}` needs a set or list on its right, found `{}`", op.symbol(), disp(rt)))
                            .help("write `{\"a\", \"b\"}` or the name of a `let` set; to compare one value use `==`"),
                    );
                    return error();
                }
                match lt {
                    Type::Str => {}
                    Type::Enum(id) => {
                        if let TExpr::Const(Const::Strs(items)) = &r {
                            for s in items {
                                let at = member_span(rhs, s).unwrap_or(rhs.span);
                                let _ = self.enum_member(id, s, at, true);
                            }
                        }
                    }
                    other => {
                        self.diags.push(
                            Diagnostic::error(
                                "P0302",
                                op_span,
                                format!("`{}` does not apply to `{}`", op.symbol(), disp(other)),
                            )
                            .help("`in` tests strings and enum values"),
                        );
                        return error();
                    }
                }
                (
                    TExpr::Member {
                        negated: op == BinOp::NotIn,
                        elem: Box::new(l),
                        set: Box::new(r),
                    },
                    Type::Bool,
                )
            }
            BinOp::Contains
            | BinOp::ContainsAny
            | BinOp::ContainsAll
            | BinOp::StartsWith
            | BinOp::EndsWith => {
                let top = match op {
                    BinOp::Contains => TextOp::Contains,
                    BinOp::ContainsAny => TextOp::ContainsAny,
                    BinOp::ContainsAll => TextOp::ContainsAll,
                    BinOp::StartsWith => TextOp::StartsWith,
                    _ => TextOp::EndsWith,
                };
                if !(lt == Type::Str || lt.is_collection()) {
                    self.diags.push(
                        Diagnostic::error(
                            "P0302",
                            op_span,
                            format!("`{}` does not apply to `{}`", top.symbol(), disp(lt)),
                        )
                        .help("text operators apply to strings and lists of strings"),
                    );
                    return error();
                }
                let many = matches!(top, TextOp::ContainsAny | TextOp::ContainsAll);
                if many && !rt.is_collection() {
                    let single = "contains";
                    self.diags.push(
                        Diagnostic::error(
                            "P0301",
                            rhs.span,
                            format!(
                                "`{}` needs a list of strings, found `{}`",
                                top.symbol(),
                                disp(rt)
                            ),
                        )
                        .help(format!(
                            "write `[\"a\", \"b\"]`, or use `{single}` for one string"
                        )),
                    );
                    return error();
                }
                if !many && rt != Type::Str && !(rt.is_collection() && top != TextOp::Contains) {
                    let mut d = Diagnostic::error(
                        "P0301",
                        rhs.span,
                        format!("`{}` needs a string, found `{}`", top.symbol(), disp(rt)),
                    );
                    d = if rt.is_collection() {
                        d.help("to test several strings use `contains_any` or `contains_all`")
                            .fix(op_span, "contains_any")
                    } else {
                        d.help("write a string literal such as `\"secret\"`")
                    };
                    self.diags.push(d);
                    return error();
                }
                if rt.is_collection() && !matches!(r, TExpr::Const(_)) {
                    self.diags.push(
                        Diagnostic::error(
                            "P0301",
                            rhs.span,
                            format!("`{}` needs a literal list or a `let`", top.symbol()),
                        )
                        .help("the keywords are compiled into a matcher when the bundle loads"),
                    );
                    return error();
                }
                (TExpr::Text(top, Box::new(l), Box::new(r)), Type::Bool)
            }
        }
    }

    fn call(
        &mut self,
        func: &ast::Path,
        args: &[ast::Expr],
        span: Span,
        scope: Scope<'_>,
    ) -> Typed {
        let name = func.dotted();
        let arity = |c: &mut Self, n: usize| -> bool {
            if args.len() == n {
                return true;
            }
            let sig = FUNCTIONS
                .iter()
                .find(|(f, _)| *f == name)
                .map(|(_, s)| *s)
                .unwrap_or("");
            c.diags.push(
                Diagnostic::error(
                    "P0303",
                    span,
                    format!(
                        "`{name}` takes {n} argument{}, found {}",
                        if n == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .help(sig.split(':').next().unwrap_or(sig).to_string()),
            );
            false
        };
        if scope.constant && name != "len" {
            return self.not_constant(span);
        }
        if name == "chain_widens" || name == "beyond_chain" {
            if !arity(self, if name == "chain_widens" { 1 } else { 2 }) {
                return error();
            }
            return self.chain_call(&name, args, scope);
        }
        if name == "in_cidr" {
            if !arity(self, 2) {
                return error();
            }
            return self.in_cidr(args, span, scope);
        }
        if name == "grant_active" {
            if args.len() != 1 && !arity(self, 2) {
                return error();
            }
            return self.grant_active(args, span, scope);
        }
        if let Some(part) = arith::local_part(&name) {
            if !arity(self, 2) {
                return error();
            }
            return self.local_time(part, args, scope);
        }
        match name.as_str() {
            "len" => {
                if !arity(self, 1) {
                    return error();
                }
                let Some(a) = args.first() else {
                    return error();
                };
                let (t, ty) = self.expr(a, scope, None);
                match ty {
                    Type::Error => error(),
                    Type::Str | Type::List | Type::Set => (TExpr::Len(Box::new(t)), Type::Int),
                    // The number of hops of `actor.chain`.
                    Type::Chain if matches!(t, TExpr::Field(_)) => {
                        (TExpr::Len(Box::new(t)), Type::Int)
                    }
                    other => {
                        let shown = self.schema.display(other).to_string();
                        self.diags.push(Diagnostic::error(
                            "P0301",
                            a.span,
                            format!("`len` takes a string, list or set, found `{shown}`"),
                        ));
                        error()
                    }
                }
            }
            "session.count" | "session.seen" | "session.sum" | "session.distinct"
            | "actor.count" | "actor.seen" | "actor.sum" | "actor.distinct" | "tenant.count"
            | "tenant.seen" | "tenant.sum" | "tenant.distinct" => {
                let (base_name, func_name) = name.split_once('.').unwrap_or(("session", "count"));
                if scope.filter {
                    return self.not_in_filter(span, "session");
                }
                if !arity(self, 2) {
                    return error();
                }
                let (Some(target), Some(win)) = (args.first(), args.get(1)) else {
                    return error();
                };
                let (target, by) = match &target.kind {
                    ExprKind::By { target, field } => (&**target, Some(field)),
                    _ => (target, None),
                };
                let (target, filter) = match &target.kind {
                    ExprKind::Where { target, cond } => (&**target, Some(&**cond)),
                    _ => (target, None),
                };
                let base = match base_name {
                    "actor" => ScopeBaseWire::Actor,
                    "tenant" => ScopeBaseWire::Tenant,
                    _ => ScopeBaseWire::Session,
                };
                let kind = match func_name {
                    "count" => AggKind::Count,
                    "seen" => AggKind::Seen,
                    "sum" => AggKind::Sum,
                    _ => AggKind::Distinct,
                };
                let plain_session = base == ScopeBaseWire::Session && by.is_none();
                let window = match (&win.kind, kind) {
                    (ExprKind::Duration(ms), _) if *ms > 0 => Window::Time(*ms),
                    (ExprKind::Int(n), AggKind::Seen) if *n > 0 && plain_session => {
                        Window::Actions(*n)
                    }
                    (ExprKind::Int(n), AggKind::Seen) if *n > 0 => {
                        self.diags.push(
                            Diagnostic::error("P0234", win.span, format!("`{name}` with a window of the last {n} actions: only the session keeps every action in order"))
                                .help("give a duration (`7d`), or use `session.seen(…, N)`"),
                        );
                        return error();
                    }
                    _ => {
                        self.diags.push(
                            Diagnostic::error("P0301", win.span, "expected a positive duration such as `24h`")
                                .help(if kind == AggKind::Seen {
                                    "`session.seen` takes a duration (`10m`) or a count of earlier actions (`5`)"
                                } else {
                                    "windows are durations: `10m`, `1h`, `24h`, `7d`"
                                }),
                        );
                        return error();
                    }
                };
                let (actions, field, ty) = match kind {
                    AggKind::Count | AggKind::Seen => {
                        let Some(ids) = self.action_pattern_arg(target, scope) else {
                            return error();
                        };
                        (
                            ids,
                            None,
                            if kind == AggKind::Seen {
                                Type::Bool
                            } else {
                                Type::Int
                            },
                        )
                    }
                    AggKind::Sum | AggKind::Distinct => {
                        let Some((id, field, fty)) = self.action_field_arg(target) else {
                            return error();
                        };
                        if kind == AggKind::Sum && !matches!(fty, Type::Int | Type::Money) {
                            let shown = self.schema.display(fty).to_string();
                            self.diags.push(
                                Diagnostic::error("P0301", target.span, format!("`session.sum` adds numbers, and this field is `{shown}`"))
                                    .help("sum an `int` or `money` field, or count actions with `session.count`"),
                            );
                            return error();
                        }
                        (
                            vec![id],
                            Some(field),
                            if kind == AggKind::Sum { fty } else { Type::Int },
                        )
                    }
                };
                if let Some(field) = by {
                    if !self.check_by(field, &actions, scope.actions, &name) {
                        return error();
                    }
                }
                let filter = match filter {
                    None => None,
                    Some(cond) => {
                        let fscope = Scope {
                            actions: &actions,
                            lets: scope.lets,
                            sets: scope.sets,
                            preds: scope.preds,
                            files: scope.files,
                            constant: false,
                            no_risk: true,
                            filter: true,
                        };
                        // The filter reads an earlier action: no guard of the
                        // enclosing condition speaks for it.
                        let outer = std::mem::take(&mut self.absence);
                        let typed = self.condition(cond, fscope, true);
                        self.absence = outer;
                        match typed {
                            Some(t) => Some(t),
                            None => return error(),
                        }
                    }
                };
                let text = format!(
                    "{name}({}, {})",
                    match (&target.kind, &filter) {
                        (ExprKind::Path(p), None) => p.dotted(),
                        (ExprKind::Wildcard(p), None) => format!("{}.*", p.dotted()),
                        _ if by.is_some() =>
                            args.first().map(crate::fmt::expr_text).unwrap_or_default(),
                        (ExprKind::Alt(_), None) | (_, Some(_)) =>
                            args.first().map(crate::fmt::expr_text).unwrap_or_default(),
                        _ => String::new(),
                    },
                    match window {
                        Window::Time(ms) => format_duration(ms),
                        Window::Actions(n) => n.to_string(),
                    }
                );
                let agg = Aggregate {
                    scope: ScopeWire {
                        base,
                        by: by.map(|f| f.text.clone()),
                    },
                    kind,
                    actions,
                    field,
                    filter,
                    window,
                    text,
                };
                let idx = match self.ir.aggregates.iter().position(|a| {
                    a.kind == agg.kind
                        && a.scope == agg.scope
                        && a.actions == agg.actions
                        && a.field == agg.field
                        && a.filter == agg.filter
                        && a.window == agg.window
                }) {
                    Some(i) => i,
                    None => {
                        self.ir.aggregates.push(agg);
                        self.ir.aggregates.len() - 1
                    }
                };
                (
                    TExpr::Field(FieldRef::Aggregate(u32::try_from(idx).unwrap_or(0))),
                    ty,
                )
            }
            _ => {
                let fspan = func.span;
                let mut d = Diagnostic::error("P0209", fspan, format!("unknown function `{name}`"));
                d = match suggest(&name, FUNCTIONS.iter().map(|(f, _)| *f)) {
                    Some(s) => d.help(format!("did you mean `{s}`?")).fix(fspan, s),
                    None => d.help(format!(
                        "functions are {}",
                        FUNCTIONS
                            .iter()
                            .map(|(f, _)| *f)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                self.diags.push(d);
                error()
            }
        }
    }

    /// `… by FIELD`: the field must be one every counted action and every
    /// action of the rule has, with one type that names a group (text, a
    /// number, an enum, a yes/no) — the request's value of it picks the
    /// earlier actions that count.
    fn check_by(
        &mut self,
        field: &ast::Name,
        counted: &[ActionId],
        rule: &[ActionId],
        func: &str,
    ) -> bool {
        let mut ty: Option<(Type, ActionId)> = None;
        for (&id, side) in counted
            .iter()
            .map(|id| (id, true))
            .chain(rule.iter().map(|id| (id, false)))
        {
            let Some(info) = self.schema.action(id) else {
                continue;
            };
            let Some(f) = info.field(&field.text) else {
                let mut d = Diagnostic::error(
                    "P0233",
                    field.span,
                    if side {
                        format!(
                            "`{func}(… by {})`: `{}`, which it counts, has no field `{}`",
                            field.text, info.name, field.text
                        )
                    } else {
                        format!(
                            "`{func}(… by {})`: `{}`, which this rule decides, has no field `{}` to pick whose history counts",
                            field.text, info.name, field.text
                        )
                    },
                );
                let common: Vec<&str> = info
                    .fields
                    .iter()
                    .filter(|f| {
                        counted.iter().chain(rule).all(|&o| {
                            self.schema
                                .action(o)
                                .is_some_and(|a| a.field(&f.name).is_some())
                        })
                    })
                    .map(|f| f.name.as_str())
                    .collect();
                d = match suggest(&field.text, common.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")).fix(field.span, s),
                    None if common.is_empty() => d.help(
                        "a `by` field must be a field of every action counted and of the action being decided; these share none",
                    ),
                    None => d.help(format!("fields they all have: {}", common.join(", "))),
                };
                self.diags
                    .push(d.label(info.span, format!("`{}` is declared here", info.name)));
                return false;
            };
            if !matches!(
                f.ty,
                Type::Str | Type::Int | Type::Money | Type::Enum(_) | Type::Bool
            ) {
                let shown = self.schema.display(f.ty).to_string();
                self.diags.push(
                    Diagnostic::error(
                        "P0233",
                        field.span,
                        format!("`by {}` groups by a `{shown}`", field.text),
                    )
                    .help(
                        "group by a string, number, enum or bool field: one value names one group",
                    ),
                );
                return false;
            }
            match ty {
                None => ty = Some((f.ty, id)),
                Some((t, first)) if t != f.ty => {
                    let a = self.schema.display(t).to_string();
                    let b = self.schema.display(f.ty).to_string();
                    let first_name = self
                        .schema
                        .action(first)
                        .map(|a| a.name.clone())
                        .unwrap_or_default();
                    self.diags.push(
                        Diagnostic::error(
                            "P0233",
                            field.span,
                            format!(
                                "`by {}` is `{a}` on `{first_name}` and `{b}` on `{}`",
                                field.text, info.name
                            ),
                        )
                        .help(
                            "one scope groups by one type of value; count these actions separately",
                        ),
                    );
                    return false;
                }
                Some(_) => {}
            }
        }
        true
    }

    fn action_pattern_arg(&mut self, e: &ast::Expr, scope: Scope<'_>) -> Option<Vec<ActionId>> {
        match &e.kind {
            // `file.read | file.download`: every alternative, once each.
            ExprKind::Alt(items) => {
                let mut ids = Vec::new();
                let mut ok = true;
                for i in items {
                    match self.action_pattern_arg(i, scope) {
                        Some(v) => ids.extend(v),
                        None => ok = false,
                    }
                }
                ids.sort_unstable();
                ids.dedup();
                ok.then_some(ids)
            }
            ExprKind::Path(p) => match p.segments.as_slice() {
                [one] => self.action_set_ids(one, scope.sets),
                _ => self.action_name(p).map(|id| vec![id]),
            },
            ExprKind::Wildcard(p) => {
                let [d] = p.segments.as_slice() else {
                    self.diags.push(Diagnostic::error(
                        "P0202",
                        p.span,
                        "a wildcard names a domain: `payments.*`",
                    ));
                    return None;
                };
                self.pattern(&ast::Pattern {
                    kind: PatternKind::Domain(d.clone()),
                    span: e.span,
                })
            }
            _ => {
                self.diags.push(
                    Diagnostic::error("P0301", e.span, "expected an action or a domain wildcard")
                        .help(
                            "write `payments.refund`, `payments.*` or `file.read | file.download`",
                        ),
                );
                None
            }
        }
    }

    fn action_field_arg(&mut self, e: &ast::Expr) -> Option<(ActionId, String, Type)> {
        let ExprKind::Path(p) = &e.kind else {
            self.diags.push(
                Diagnostic::error("P0301", e.span, "expected an action's field")
                    .help("write `payments.transfer.amount`"),
            );
            return None;
        };
        let segs = &p.segments;
        let (Some(first), Some(field)) = (segs.first(), segs.last()) else {
            return None;
        };
        if segs.len() != 3 {
            self.diags.push(
                Diagnostic::error("P0301", p.span, "expected an action's field")
                    .help("write `domain.action.field`, e.g. `payments.transfer.amount`"),
            );
            return None;
        }
        let action_path = ast::Path {
            segments: segs.iter().take(2).cloned().collect(),
            span: first
                .span
                .to(segs.get(1).map(|s| s.span).unwrap_or(first.span)),
        };
        let id = self.action_name(&action_path)?;
        let info = self.schema.action(id)?;
        match info.field(&field.text) {
            Some(f) => Some((id, field.text.clone(), f.ty)),
            None => {
                let mut d = Diagnostic::error(
                    "P0203",
                    field.span,
                    format!("unknown field `{}` on `{}`", field.text, info.name),
                );
                if let Some(s) = suggest(&field.text, info.fields.iter().map(|f| f.name.as_str())) {
                    d = d.help(format!("did you mean `{s}`?")).fix(field.span, s);
                }
                self.diags
                    .push(d.label(info.span, format!("`{}` is declared here", info.name)));
                None
            }
        }
    }

    // ---------- tools and tests ----------

    /// Every derived field of every action, checked and compiled once: a
    /// derivation reads the action's input fields (bare names), `actor` and
    /// `context` fields, literals and builtins. Derived fields read no other
    /// derived field, so the order of evaluation never matters.
    fn derivations(&mut self) {
        for (id, info) in self.schema.actions.iter().enumerate() {
            let Ok(id) = ActionId::try_from(id) else {
                continue;
            };
            for f in &info.fields {
                let Some(d) = &f.derive else {
                    continue;
                };
                if let Some((e, ty)) = self.tool_expr(d, Some(info)) {
                    if self.tool_value_fits(&info.name, f, &ty, d) {
                        self.ir.derived.push((id, f.name.clone(), e));
                    }
                }
            }
        }
    }

    /// A tool mapping's value: raw arguments, `actor`/`context` fields,
    /// literals and normalizer builtins — nothing else. In a derivation
    /// (`inputs` is the action), bare names read the action's input fields
    /// instead of raw arguments. Gives the value's type too: each builtin's
    /// arguments are checked against its signature here, the value against
    /// the field it feeds by [`Checker::tool_value_fits`].
    fn tool_expr(
        &mut self,
        e: &ast::Expr,
        inputs: Option<&ActionInfo>,
    ) -> Option<(ToolExpr, ValTy)> {
        match &e.kind {
            ExprKind::Str(s) => Some((ToolExpr::Str(s.clone()), ValTy::Members(vec![s.clone()]))),
            ExprKind::Int(n) => Some((ToolExpr::Int(*n), ValTy::Int)),
            ExprKind::Bool(b) => Some((ToolExpr::Bool(*b), ValTy::Bool)),
            ExprKind::Paren(inner) => self.tool_expr(inner, inputs),
            // The parser has reported it (a quoted name that names nothing).
            ExprKind::Error => None,
            ExprKind::List(items) | ExprKind::Set(items) => {
                let mut out = Vec::new();
                for i in items {
                    match &i.kind {
                        ExprKind::Str(s) => out.push(s.clone()),
                        _ => {
                            self.diags.push(Diagnostic::error(
                                "P0214",
                                i.span,
                                "list elements in a tool mapping are strings",
                            ));
                            return None;
                        }
                    }
                }
                Some((ToolExpr::List(out), ValTy::TextList))
            }
            ExprKind::Path(p) => {
                let segs: Vec<&str> = p.segments.iter().map(|s| s.text.as_str()).collect();
                match (segs.as_slice(), inputs) {
                    ([name], Some(info)) => {
                        match info.field(name) {
                            Some(f) if !f.is_derived() => Some((
                                ToolExpr::Input(name.to_string()),
                                ValTy::of_field(self.schema, f.ty),
                            )),
                            Some(_) => {
                                self.diags.push(
                                Diagnostic::error("P0219", p.span, format!("a derivation cannot read the derived field `{name}`"))
                                    .help("derive it from the input fields it is itself computed from"),
                            );
                                None
                            }
                            None => {
                                let mut d = Diagnostic::error(
                                    "P0219",
                                    p.span,
                                    format!("`{}` has no field `{name}`", info.name),
                                );
                                if let Some(s) =
                                    suggest(name, info.fields.iter().map(|x| x.name.as_str()))
                                {
                                    d = d.help(format!("did you mean `{s}`?")).fix(p.span, s);
                                }
                                self.diags.push(d);
                                None
                            }
                        }
                    }
                    (["args", name], None) => Some((ToolExpr::Arg(name.to_string()), ValTy::Json)),
                    // The MCP server a call came through (`mcp__stripe__create_refund`
                    // → "stripe"; "" without a prefix): generic tool names mean
                    // different things on different servers.
                    (["tool", "server"], None) => Some((
                        ToolExpr::Field("tool".to_string(), "server".to_string()),
                        ValTy::Text,
                    )),
                    ([name], None) if self.tool_lets.iter().any(|(n, ..)| n == name) => {
                        let (_, e, ty, used) = self.tool_lets.iter().find(|(n, ..)| n == name)?;
                        used.set(true);
                        Some((e.clone(), ty.clone()))
                    }
                    ([ns, field], _)
                        if self
                            .schema
                            .namespace(ns)
                            .is_some_and(|n| n.fields.iter().any(|f| f.name == *field)) =>
                    {
                        let ty = self
                            .schema
                            .namespace(ns)
                            .and_then(|n| n.fields.iter().find(|f| f.name == *field))
                            .map_or(ValTy::Json, |f| ValTy::of_field(self.schema, f.ty));
                        Some((ToolExpr::Field(ns.to_string(), field.to_string()), ty))
                    }
                    (_, Some(_)) => {
                        self.diags.push(
                            Diagnostic::error("P0219", p.span, format!("a derivation cannot read `{}`", p.dotted()))
                                .help("read an input field of the action (`to`), a field of `actor` or `context`, or call a builtin"),
                        );
                        None
                    }
                    (_, None) => {
                        self.diags.push(
                            Diagnostic::error("P0214", p.span, format!("a tool mapping cannot read `{}`", p.dotted()))
                                .help("read a raw argument (`args.to`), a field of `actor` or `context`, or call a builtin"),
                        );
                        None
                    }
                }
            }
            ExprKind::Call { func, args } => {
                let name = func.dotted();
                let Some(builtin) = Builtin::from_name(&name) else {
                    let mut d = Diagnostic::error(
                        "P0209",
                        func.span,
                        format!("unknown normalizer builtin `{name}`"),
                    );
                    d = match suggest(&name, Builtin::names()) {
                        Some(s) => d.help(format!("did you mean `{s}`?")).fix(func.span, s),
                        None => d.help(format!(
                            "builtins are {}",
                            Builtin::names().collect::<Vec<_>>().join(", ")
                        )),
                    };
                    self.diags.push(d);
                    return None;
                };
                let sig = builtin.signature();
                let arity = sig.params.len();
                if args.len() != arity {
                    self.diags.push(
                        Diagnostic::error(
                            "P0303",
                            e.span,
                            format!(
                                "`{name}` takes {arity} argument{}, found {}",
                                if arity == 1 { "" } else { "s" },
                                args.len()
                            ),
                        )
                        .help(format!("`{}`", builtin.signature_text())),
                    );
                    return None;
                }
                let mut out = Vec::new();
                let mut tys = Vec::new();
                for a in args {
                    let (x, ty) = self.tool_expr(a, inputs)?;
                    out.push(x);
                    tys.push(ty);
                }
                let mut ok = true;
                // `T`: every such argument, and the result, is their join.
                let mut same: Option<ValTy> = None;
                for ((p, ty), a) in sig.params.iter().zip(&tys).zip(args) {
                    if p.ty == Ty::Same {
                        same = match same.take() {
                            None => Some(ty.clone()),
                            Some(prev) => match prev.join(ty) {
                                Some(j) => Some(j),
                                None => {
                                    self.diags.push(
                                        Diagnostic::error(
                                            "P0301",
                                            a.span,
                                            format!("`{name}` takes two values of one type, found `{prev}` and `{ty}`"),
                                        )
                                        .help(format!("`{}`: the result is one of its arguments, so they must fit the same field", builtin.signature_text())),
                                    );
                                    ok = false;
                                    Some(ValTy::Json)
                                }
                            },
                        };
                    } else if !ty.fits_param(p.ty) {
                        self.diags.push(
                            Diagnostic::error(
                                "P0301",
                                a.span,
                                format!("`{name}` takes `{}` as `{}`, found `{ty}`", p.ty, p.name),
                            )
                            .help(format!("`{}`", builtin.signature_text())),
                        );
                        ok = false;
                    }
                }
                if !ok {
                    return None;
                }
                let ty = match sig.ret {
                    Ty::Same => same.unwrap_or(ValTy::Json),
                    t => ValTy::of_sig(t),
                };
                Some((ToolExpr::Call(builtin, out), ty))
            }
            _ => {
                self.diags.push(
                    Diagnostic::error("P0214", e.span, "a tool mapping computes a value; it does not test one")
                        .help("map the field to `args.NAME`, a literal, or a builtin such as `split(args.to, \",\")`"),
                );
                None
            }
        }
    }

    /// Whether a mapping's (or a derivation's) value can bind to the field
    /// it feeds, reporting why not: a value of another type (P0301), a
    /// string literal outside the field's enum (P0304), or a value whose
    /// possible members — a classifier's result, an enum field — include
    /// some the field's enum lacks (P0220), which would otherwise surface
    /// only at run time, as an escalation.
    fn tool_value_fits(
        &mut self,
        owner: &str,
        field: &FieldInfo,
        ty: &ValTy,
        value: &ast::Expr,
    ) -> bool {
        let declared = format!(
            "`{}` is declared as `{}` here",
            field.name,
            self.schema.display(field.ty)
        );
        let mut inner = value;
        while let ExprKind::Paren(e) = &inner.kind {
            inner = e;
        }
        if !ty.fits_field(field.ty) {
            let mut d = Diagnostic::error(
                "P0301",
                value.span,
                format!(
                    "`{owner}.{}` is `{}`, found `{ty}`",
                    field.name,
                    self.schema.display(field.ty)
                ),
            )
            .label(field.span, declared);
            if let ExprKind::Call { func, .. } = &inner.kind {
                if let Some(b) = Builtin::from_name(&func.dotted()) {
                    d = d.help(format!("`{}`", b.signature_text()));
                }
            }
            self.diags.push(d);
            return false;
        }
        let Type::Enum(id) = field.ty else {
            return true;
        };
        let Some(def) = self.schema.enum_def(id) else {
            return true;
        };
        let missing = ty.outside(&def.members);
        if missing.is_empty() {
            return true;
        }
        if let ExprKind::Str(s) = &inner.kind {
            self.enum_member(id, s, inner.span, true);
            return false;
        }
        let what = match &inner.kind {
            ExprKind::Call { func, .. } => format!("`{}(…)`", func.dotted()),
            ExprKind::Path(p) => format!("`{}`", p.dotted()),
            _ => "this value".to_string(),
        };
        let them = if missing.len() == 1 { "it" } else { "them" };
        self.diags.push(
            Diagnostic::error(
                "P0220",
                value.span,
                format!(
                    "{what} can give {}, but `{owner}.{}` does not have {them}",
                    quoted_list(&missing),
                    field.name
                ),
            )
            .label(field.span, declared)
            .help(format!(
                "add {} to the field's enum; a value outside it fails binding, so every such request would escalate",
                quoted_list(&missing)
            )),
        );
        false
    }

    fn tool(&mut self, t: &ast::ToolDecl, _lets: &BTreeMap<String, LetInfo>) {
        let Some(action) = self.action_name(&t.action) else {
            return;
        };
        let Some(info) = self.schema.action(action) else {
            return;
        };
        let mut fields = Vec::new();
        let mut accepted: Vec<String> = Vec::new();
        let mut shapes: Vec<(String, ArgShape)> = Vec::new();
        self.tool_lets.clear();
        for f in t.fields.iter().filter(|f| f.is_let) {
            if self.tool_lets.iter().any(|(n, ..)| *n == f.name.text) {
                self.diags.push(Diagnostic::error(
                    "P0206",
                    f.name.span,
                    format!("`{}` is already defined", f.name.text),
                ));
                continue;
            }
            if let Some((e, ty)) = self.tool_expr(&f.value, None) {
                self.tool_lets
                    .push((f.name.text.clone(), e, ty, Cell::new(false)));
            }
        }
        for f in t.fields.iter().filter(|f| !f.is_let) {
            if f.name.text == "_" {
                self.accepted_args(&f.value, &f.types, &mut accepted, &mut shapes);
                continue;
            }
            if let Some(t) = f.types.first() {
                self.diags.push(
                    Diagnostic::error(
                        "P0214",
                        t.span,
                        format!("`{}` is a field; only the `_` list gives arguments a shape", f.name.text),
                    )
                    .help("write `_ = [args.timeout: int]` for an argument the mapping accepts without reading"),
                );
                continue;
            }
            if let Some(derived) = info.field(&f.name.text).filter(|x| x.is_derived()) {
                self.diags.push(
                    Diagnostic::error(
                        "P0214",
                        f.name.span,
                        format!("`{}.{}` is derived by the taxonomy; a tool mapping cannot set it", info.name, f.name.text),
                    )
                    .help("map the raw arguments onto the action's input fields; the engine computes derived fields from them")
                    .label(derived.span, "derived here"),
                );
                continue;
            }
            if info.field(&f.name.text).is_none() {
                let mut d = Diagnostic::error(
                    "P0214",
                    f.name.span,
                    format!("`{}` has no field `{}`", info.name, f.name.text),
                );
                if let Some(s) = suggest(&f.name.text, info.fields.iter().map(|x| x.name.as_str()))
                {
                    d = d.help(format!("did you mean `{s}`?")).fix(f.name.span, s);
                }
                self.diags
                    .push(d.label(info.span, format!("`{}` is declared here", info.name)));
                continue;
            }
            if fields
                .iter()
                .any(|(n, _): &(String, ToolExpr)| n == &f.name.text)
            {
                self.diags.push(Diagnostic::error(
                    "P0206",
                    f.name.span,
                    format!("`{}` is mapped twice", f.name.text),
                ));
                continue;
            }
            if let Some((e, ty)) = self.tool_expr(&f.value, None) {
                let fits = info
                    .field(&f.name.text)
                    .is_none_or(|field| self.tool_value_fits(&info.name, field, &ty, &f.value));
                if fits {
                    fields.push((f.name.text.clone(), e));
                }
            }
        }
        for (_, e) in &fields {
            read_args(e, &mut accepted);
        }
        for f in t.fields.iter().filter(|f| f.is_let) {
            let unused = self
                .tool_lets
                .iter()
                .any(|(n, _, _, used)| *n == f.name.text && !used.get());
            if unused {
                self.diags.push(
                    Diagnostic::warning(
                        "P0404",
                        f.name.span,
                        format!("`{}` is never used", f.name.text),
                    )
                    .help("remove it, or read it in a field of the mapping"),
                );
            }
        }
        self.tool_lets.clear();
        let when = match &t.when {
            Some(w) => match self.tool_cond(w) {
                Some(c) => Some(c),
                None => return,
            },
            None => None,
        };
        if let Some(c) = &when {
            toolcond::cond_args(c, &mut accepted);
        }
        accepted.sort();
        accepted.dedup();
        shapes.sort_by(|a, b| a.0.cmp(&b.0));
        self.ir.tools.push(ToolIr {
            names: t.names.iter().map(|n| n.value.clone()).collect(),
            when,
            action,
            fields,
            args: accepted,
            shapes,
            span: t.span,
        });
    }

    /// `_ = [args.description: string, args.timeout: int]`: raw arguments
    /// the tool accepts whose values decide nothing, each with the shape it
    /// must have (or, written without types, any value).
    fn accepted_args(
        &mut self,
        e: &ast::Expr,
        types: &[ast::TypeExpr],
        out: &mut Vec<String>,
        shapes: &mut Vec<(String, ArgShape)>,
    ) {
        let items = match &e.kind {
            ExprKind::List(items) | ExprKind::Set(items) => items.as_slice(),
            _ => std::slice::from_ref(e),
        };
        for (n, i) in items.iter().enumerate() {
            match &i.kind {
                ExprKind::Path(p)
                    if p.segments.len() == 2
                        && p.segments.first().is_some_and(|s| s.text == "args") =>
                {
                    let Some(name) = p.segments.get(1) else {
                        continue;
                    };
                    out.push(name.text.clone());
                    let Some(t) = types.get(n) else {
                        continue;
                    };
                    let Some(shape) = arg_shape(t) else {
                        let all: Vec<&str> = ArgShape::ALL.iter().map(|s| s.spelling()).collect();
                        self.diags.push(
                            Diagnostic::error(
                                "P0214",
                                t.span,
                                "not a shape a raw argument can have",
                            )
                            .help(format!(
                                "an argument accepted unread is held to the JSON it must be: write one of {}",
                                all.join(", ")
                            )),
                        );
                        continue;
                    };
                    if let Some((_, was)) = shapes.iter().find(|(a, _)| *a == name.text) {
                        if *was != shape {
                            self.diags.push(Diagnostic::error(
                                "P0206",
                                t.span,
                                format!(
                                    "`args.{}` is listed as {} and as {}",
                                    name.text,
                                    was.spelling(),
                                    shape.spelling()
                                ),
                            ));
                        }
                        continue;
                    }
                    shapes.push((name.text.clone(), shape));
                }
                // Reported by the parser: `args.""`.
                ExprKind::Error => {}
                _ => self.diags.push(
                    Diagnostic::error(
                        "P0214",
                        i.span,
                        "`_` lists the raw arguments a tool accepts without reading them",
                    )
                    .help("write `_ = [args.description: string, args.timeout: int]`"),
                ),
            }
        }
    }

    fn test(&mut self, t: &ast::TestDecl) {
        let mut steps = Vec::new();
        for s in &t.steps {
            if let Some(step) = self.test_step(s) {
                steps.push(step);
            }
        }
        if t.steps.is_empty() {
            self.diags.push(Diagnostic::error("P0215", t.name.span, "this test has no steps").help(
                "a step reads `payments.refund { amount: 900 } actor { role: \"support\" } => escalate`",
            ));
        }
        self.ir.tests.push(TestIr {
            name: t.name.value.clone(),
            steps,
            span: t.span,
        });
    }

    fn test_step(&mut self, s: &ast::TestStep) -> Option<TestStepIr> {
        let expect = match Verdict::from_name(&s.expect.text) {
            Some(v) => Some(v),
            None => {
                self.unknown_decision(&s.expect);
                None
            }
        };
        let mut req = serde_json::Map::new();
        match &s.subject {
            ast::TestSubject::Action(p) => {
                let id = self.action_name(p)?;
                let info = self.schema.action(id)?;
                req.insert(
                    "action".into(),
                    serde_json::Value::String(info.name.clone()),
                );
                let mut args = serde_json::Map::new();
                for (k, v) in &s.args.entries {
                    let Some(f) = info.field(&k.text) else {
                        let mut d = Diagnostic::error(
                            "P0203",
                            k.span,
                            format!("unknown field `{}` on `{}`", k.text, info.name),
                        );
                        if let Some(sg) =
                            suggest(&k.text, info.fields.iter().map(|f| f.name.as_str()))
                        {
                            d = d.help(format!("did you mean `{sg}`?")).fix(k.span, sg);
                        }
                        self.diags
                            .push(d.label(info.span, format!("`{}` is declared here", info.name)));
                        continue;
                    };
                    let value = self.test_value(v, Some(f.ty))?;
                    args.insert(k.text.clone(), value);
                }
                req.insert("args".into(), serde_json::Value::Object(args));
            }
            ast::TestSubject::Tool(name) => {
                req.insert("tool".into(), serde_json::Value::String(name.value.clone()));
                let mut args = serde_json::Map::new();
                for (k, v) in &s.args.entries {
                    let value = self.test_value(v, None)?;
                    args.insert(k.text.clone(), value);
                }
                req.insert("args".into(), serde_json::Value::Object(args));
            }
        }
        for (section, obj) in &s.sections {
            let ns = self.schema.namespace(&section.text);
            if ns.is_none() && section.text != "session" {
                let mut names: Vec<&str> = self
                    .schema
                    .namespaces
                    .iter()
                    .map(|n| n.name.as_str())
                    .collect();
                names.push("session");
                let mut d = Diagnostic::error(
                    "P0215",
                    section.span,
                    format!("unknown request section `{}`", section.text),
                );
                d = match suggest(&section.text, names.iter().copied()) {
                    Some(sg) => d
                        .help(format!("did you mean `{sg}`?"))
                        .fix(section.span, sg),
                    None => d.help(format!("sections are {}", names.join(", "))),
                };
                self.diags.push(d);
                return None;
            }
            let mut map = serde_json::Map::new();
            for (k, v) in &obj.entries {
                let ty = match ns {
                    Some(n) => match n.fields.iter().find(|f| f.name == k.text) {
                        Some(f) => Some(f.ty),
                        None => {
                            let mut d = Diagnostic::error(
                                "P0203",
                                k.span,
                                format!("`{}` has no field `{}`", section.text, k.text),
                            );
                            if let Some(sg) =
                                suggest(&k.text, n.fields.iter().map(|f| f.name.as_str()))
                            {
                                d = d.help(format!("did you mean `{sg}`?")).fix(k.span, sg);
                            }
                            self.diags.push(d);
                            continue;
                        }
                    },
                    None => None,
                };
                let value = self.test_value(v, ty)?;
                map.insert(k.text.clone(), value);
            }
            req.insert(section.text.clone(), serde_json::Value::Object(map));
        }
        Some(TestStepIr {
            request: serde_json::Value::Object(req),
            expect: expect?,
            reason: s.reason.as_ref().map(|r| r.value.clone()),
            span: s.span,
        })
    }

    /// A literal in a test step, as the JSON a caller would send.
    fn test_value(&mut self, e: &ast::Expr, ty: Option<Type>) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        let v = match &e.kind {
            ExprKind::Int(n) => J::from(*n),
            ExprKind::Str(s) => J::String(s.clone()),
            ExprKind::Bool(b) => J::Bool(*b),
            ExprKind::Duration(ms) => J::from(*ms),
            ExprKind::Time(t) => J::String(t.clone()),
            ExprKind::List(items) | ExprKind::Set(items) => {
                // The elements of grants and chains are objects, checked
                // when the request is bound; other lists hold strings.
                let item = match ty {
                    Some(Type::Grants | Type::Chain) | None => None,
                    _ => Some(Type::Str),
                };
                let mut out = Vec::new();
                for i in items {
                    out.push(self.test_value(i, item)?);
                }
                J::Array(out)
            }
            ExprKind::Object(entries) if !matches!(ty, Some(t) if t != Type::Error) => {
                let mut map = serde_json::Map::new();
                for (k, v) in entries {
                    if map.contains_key(&k.text) {
                        self.diags.push(
                            Diagnostic::error(
                                "P0215",
                                k.span,
                                format!("`{}` is given twice", k.text),
                            )
                            .help("give each key once"),
                        );
                        return None;
                    }
                    map.insert(k.text.clone(), self.test_value(v, None)?);
                }
                J::Object(map)
            }
            _ => {
                self.diags.push(
                    Diagnostic::error("P0215", e.span, "test values are literals")
                        .help("write a number, a string, `true`/`false`, a list, or an object `{key: value}` inside a list (a grant, a hop)"),
                );
                return None;
            }
        };
        let ok = match (ty, &v) {
            (None | Some(Type::Error), _) => true,
            (Some(Type::Int | Type::Money | Type::Duration), J::Number(_)) => true,
            (Some(Type::Time), J::String(_) | J::Number(_)) => true,
            (Some(Type::Str), J::String(_)) => true,
            (Some(Type::Bool), J::Bool(_)) => true,
            (Some(Type::List | Type::Set | Type::Grants | Type::Chain), J::Array(_)) => true,
            (Some(Type::Ip), J::String(_)) => true,
            (Some(Type::Enum(id)), J::String(s)) => {
                if self
                    .schema
                    .enum_def(id)
                    .is_some_and(|d| d.members.contains(s))
                {
                    true
                } else {
                    let _ = self.enum_member(id, s, e.span, true);
                    return None;
                }
            }
            _ => false,
        };
        if !ok {
            let expected = ty
                .map(|t| self.schema.display(t).to_string())
                .unwrap_or_default();
            let found = match &v {
                J::Number(_) => "int",
                J::String(_) => "string",
                J::Bool(_) => "bool",
                J::Array(_) => "list",
                _ => "value",
            };
            let mut d = Diagnostic::error(
                "P0301",
                e.span,
                format!("expected a `{expected}` value, found `{found}`"),
            );
            d = match (&e.kind, ty) {
                (ExprKind::Str(s), Some(t))
                    if t.is_numeric() && s.replace('_', "").parse::<i64>().is_ok() =>
                {
                    d.help(format!("remove the quotes: `{s}`"))
                        .fix(e.span, s.clone())
                }
                (_, Some(Type::Money)) => {
                    d.help("money is an integer count of minor units: `50000` is 500.00")
                }
                _ => d.help(format!("write a `{expected}` value")),
            };
            self.diags.push(d);
            return None;
        }
        Some(v)
    }

    // ---------- absence ----------

    /// Whether `f` may be missing from a request of any of `actions`.
    fn is_optional(&self, f: &FieldRef, actions: &[ActionId]) -> bool {
        match f {
            FieldRef::Action(name) => actions
                .iter()
                .filter_map(|a| self.schema.action(*a))
                .filter_map(|a| a.field(name))
                .any(|fi| fi.optional),
            FieldRef::Namespace(ns, name) => self
                .schema
                .namespace(ns)
                .and_then(|n| n.fields.iter().find(|fi| fi.name == *name))
                .is_some_and(|fi| fi.optional),
            _ => false,
        }
    }

    /// P0218: an optional value read where no `has` dominates the read.
    /// The fix guards the enclosing comparison the way the rule's decision
    /// reads strictly: a deny or escalate applies when the value is absent,
    /// an allow does not.
    fn require_guard(&mut self, f: &FieldRef, span: Span, scope: Scope<'_>) {
        if !self.is_optional(f, scope.actions) || self.absence.guards.contains(f) {
            return;
        }
        let name = field_name(f);
        let (site, text) = self
            .absence
            .site
            .clone()
            .unwrap_or_else(|| (span, name.clone()));
        let strict_true = self.absence.strict_true.map(|s| s != self.absence.negated);
        // Addresses, grants and chains have no literal to default to.
        let ty = match f {
            FieldRef::Action(n) => scope
                .actions
                .iter()
                .filter_map(|a| self.schema.action(*a))
                .find_map(|a| a.field(n).map(|fi| fi.ty)),
            FieldRef::Namespace(ns, n) => self
                .schema
                .namespace(ns)
                .and_then(|x| x.fields.iter().find(|fi| fi.name == *n))
                .map(|fi| fi.ty),
            _ => None,
        };
        let dflt = if matches!(ty, Some(Type::Ip | Type::Grants | Type::Chain)) {
            String::new()
        } else {
            format!(", or give a default with `{name} ?? …`")
        };
        let mut d = Diagnostic::error(
            "P0218",
            span,
            format!("`{name}` may be absent: say what its absence means"),
        );
        if let Some((at, msg)) = self.field_decl_label(f, scope.actions) {
            d = d.label(at, format!("{msg}, optional"));
        }
        d = match strict_true {
            Some(true) => d
                .help(format!(
                    "a missing value must not loosen the decision: let the comparison hold without it, `not has {name} or …`{dflt}"
                ))
                .fix(site, format!("(not has {name} or {text})")),
            Some(false) => d
                .help(format!(
                    "a missing value must not loosen the decision: let the comparison fail without it, `has {name} and …`{dflt}"
                ))
                .fix(site, format!("(has {name} and {text})")),
            None => d
                .help(format!(
                    "write `has {name} and …`{}`not has {name} or …`{dflt}",
                    if dflt.is_empty() { " or " } else { ", " }
                ))
                .fix(site, format!("(has {name} and {text})")),
        };
        self.diags.push(d);
    }

    /// `has X`: X must be a field of the action or of a namespace.
    fn has(&mut self, p: &ast::Path, span: Span, scope: Scope<'_>) -> Typed {
        let (t, ty) = self.path(p, scope, None);
        match t {
            _ if ty == Type::Error => error(),
            TExpr::Field(f @ (FieldRef::Action(_) | FieldRef::Namespace(..))) => {
                (TExpr::Has(f), Type::Bool)
            }
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        "P0301",
                        span,
                        format!(
                            "`has` tests whether a request carries a field, and `{}` is not one",
                            p.dotted()
                        ),
                    )
                    .help("write `has actor.role` or `has` with a field of the action"),
                );
                error()
            }
        }
    }

    /// `X ?? default`: X is a field; the default a constant of its type.
    fn default_value(
        &mut self,
        value: &ast::Expr,
        default: &ast::Expr,
        scope: Scope<'_>,
        hint: Option<Type>,
    ) -> Typed {
        let mut inner = value;
        while let ExprKind::Paren(x) = &inner.kind {
            inner = x;
        }
        let field = match &inner.kind {
            ExprKind::Path(p) => match self.path(p, scope, hint) {
                (_, Type::Error) => return error(),
                (TExpr::Field(f @ (FieldRef::Action(_) | FieldRef::Namespace(..))), ty) => {
                    Some((f, ty))
                }
                _ => None,
            },
            _ => None,
        };
        let Some((f, ty)) = field else {
            self.diags.push(
                Diagnostic::error(
                    "P0301",
                    value.span,
                    format!(
                        "`??` gives a field a default, and `{}` is not a field",
                        crate::fmt::expr_text(value)
                    ),
                )
                .help("write it after a field: `context.env ?? prod`"),
            );
            return error();
        };
        // From here on a bad default is reported, and the field keeps its
        // type so the other side of a comparison checks against it.
        let (d, dty) = self.expr(default, scope, Some(ty));
        if dty == Type::Error {
            return (TExpr::Field(f), ty);
        }
        if !same_type(self.schema, ty, dty) {
            let disp = |t: Type| self.schema.display(t).to_string();
            let mut d = Diagnostic::error(
                "P0301",
                default.span,
                format!(
                    "the default of `{}` must be `{}`, found `{}`",
                    field_name(&f),
                    disp(ty),
                    disp(dty)
                ),
            );
            if let Some((at, msg)) = self.field_decl_label(&f, scope.actions) {
                d = d.label(at, msg);
            }
            let help = if ty == Type::Ip {
                format!(
                    "an address has no default: guard it with `has {}` (see docs/language.md, \"Addresses\")",
                    field_name(&f)
                )
            } else {
                format!("write a `{}` value", disp(ty))
            };
            self.diags.push(d.help(help));
            return (TExpr::Field(f), ty);
        }
        let TExpr::Const(c) = d else {
            self.diags.push(
                Diagnostic::error("P0301", default.span, "a default is a literal or a `let`")
                    .help("write the value the rule should assume, e.g. `context.env ?? prod`"),
            );
            return (TExpr::Field(f), ty);
        };
        (TExpr::Default(f, c), ty)
    }

    // ---------- warnings ----------

    fn warn_never_match_and_shadowed(&mut self) {
        // Keyed by policy, actions and condition; amplify rules adjust
        // different dimensions, so they never shadow each other.
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (i, r) in self.ir.rules.iter().enumerate() {
            if let Some(c) = &r.cond {
                if let Some(why) = contradiction(self.schema, c) {
                    self.diags.push(
                        Diagnostic::warning(
                            "P0401",
                            r.span,
                            format!("rule `{}` can never match", r.id),
                        )
                        .help(format!("{why} cannot both hold")),
                    );
                }
            }
            let key = match &r.effect {
                Effect::Amplify(a) => format!("{}|{:?}|{:?}|{:?}", r.policy, r.actions, r.cond, a),
                Effect::Decide(_) => format!("{}|{:?}|{:?}", r.policy, r.actions, r.cond),
            };
            match seen.get(&key).and_then(|j| self.ir.rules.get(*j)) {
                Some(prev) => {
                    let same = prev.effect == r.effect;
                    let msg = if same {
                        format!("rule `{}` repeats rule `{}`", r.id, prev.id)
                    } else {
                        format!(
                            "rule `{}` has the same pattern and condition as rule `{}`",
                            r.id, prev.id
                        )
                    };
                    self.diags.push(
                        Diagnostic::warning("P0402", r.span, msg)
                            .label(prev.span, "the earlier rule")
                            .help(if same {
                                "remove one of them"
                            } else {
                                "deny beats escalate beats allow, so only the strongest decision of the two can ever apply"
                            }),
                    );
                }
                None => {
                    seen.insert(key, i);
                }
            }
        }
    }
}

fn same_type(schema: &Schema, a: Type, b: Type) -> bool {
    match (a, b) {
        (Type::Enum(x), Type::Enum(y)) => {
            x == y
                || schema.enum_def(x).map(|d| &d.members) == schema.enum_def(y).map(|d| &d.members)
        }
        (Type::List | Type::Set, Type::List | Type::Set) => true,
        _ => a == b,
    }
}

fn is_literalish(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Str(_)
        | ExprKind::Duration(_)
        | ExprKind::Time(_)
        | ExprKind::Bool(_) => true,
        ExprKind::Path(p) => p.segments.len() == 1,
        ExprKind::Paren(inner) => is_literalish(inner),
        _ => false,
    }
}

fn hint_for(op: BinOp, other: Type) -> Option<Type> {
    match op {
        BinOp::In
        | BinOp::NotIn
        | BinOp::Contains
        | BinOp::ContainsAny
        | BinOp::ContainsAll
        | BinOp::StartsWith
        | BinOp::EndsWith => None,
        _ => Some(other),
    }
}

pub fn format_duration(ms: i64) -> String {
    for (unit, len) in crate::lexer::DURATION_UNITS.iter().rev() {
        if ms != 0 && ms % len == 0 {
            return format!("{}{unit}", ms / len);
        }
    }
    format!("{ms}ms")
}

/// Finds `x > 10 and x < 5`-style contradictions among the conjuncts of a
/// condition: numeric bounds on one field that leave no value, or one field
/// required to equal two different constants.
fn contradiction(schema: &Schema, e: &TExpr) -> Option<String> {
    let TExpr::And(items) = e else { return None };
    let mut bounds: BTreeMap<&FieldRef, (i128, i128, Vec<String>)> = BTreeMap::new();
    let mut equals: BTreeMap<&FieldRef, (&Const, String)> = BTreeMap::new();
    for it in items {
        let TExpr::Compare(op, l, r) = it else {
            continue;
        };
        let (field, op, k) = match (l.as_ref(), r.as_ref()) {
            (TExpr::Field(f), TExpr::Const(k)) => (f, *op, k),
            (TExpr::Const(k), TExpr::Field(f)) => (f, op.flip(), k),
            _ => continue,
        };
        let shown = match k {
            Const::Enum(id, i) => schema
                .enum_def(*id)
                .and_then(|d| d.members.get(*i as usize))
                .cloned()
                .unwrap_or_else(|| const_text(k)),
            _ => const_text(k),
        };
        let text = format!("`{} {} {shown}`", field_name(field), op.symbol());
        if let Const::Int(n) = k {
            let n = i128::from(*n);
            let entry = bounds
                .entry(field)
                .or_insert((i128::MIN, i128::MAX, Vec::new()));
            match op {
                CmpOp::Gt => entry.0 = entry.0.max(n + 1),
                CmpOp::Ge => entry.0 = entry.0.max(n),
                CmpOp::Lt => entry.1 = entry.1.min(n - 1),
                CmpOp::Le => entry.1 = entry.1.min(n),
                CmpOp::Eq => {
                    entry.0 = entry.0.max(n);
                    entry.1 = entry.1.min(n);
                }
                CmpOp::Ne => continue,
            }
            entry.2.push(text);
            if entry.0 > entry.1 {
                return Some(entry.2.join(" and "));
            }
        } else if op == CmpOp::Eq {
            if let Some((prev, prev_text)) = equals.get(field) {
                if *prev != k {
                    return Some(format!("{prev_text} and {text}"));
                }
            } else {
                equals.insert(field, (k, text));
            }
        }
    }
    None
}

/// Fields a condition proves present: when it is true, and when it is false.
fn present_facts(e: &TExpr) -> (Vec<FieldRef>, Vec<FieldRef>) {
    match e {
        TExpr::Has(f) => (vec![f.clone()], Vec::new()),
        TExpr::Not(x) => {
            let (t, f) = present_facts(x);
            (f, t)
        }
        TExpr::And(xs) => (
            xs.iter().flat_map(|x| present_facts(x).0).collect(),
            Vec::new(),
        ),
        TExpr::Or(xs) => (
            Vec::new(),
            xs.iter().flat_map(|x| present_facts(x).1).collect(),
        ),
        _ => (Vec::new(), Vec::new()),
    }
}

pub fn field_name(f: &FieldRef) -> String {
    match f {
        FieldRef::Action(n) => n.clone(),
        FieldRef::Namespace(ns, n) => format!("{ns}.{n}"),
        FieldRef::RiskScore => "risk.score".into(),
        FieldRef::RiskTier => "risk.tier".into(),
        FieldRef::RiskFlags => "risk.flags".into(),
        FieldRef::Aggregate(i) => format!("session#{i}"),
    }
}

pub fn const_text(c: &Const) -> String {
    match c {
        Const::Bool(b) => b.to_string(),
        Const::Int(n) => n.to_string(),
        Const::Str(s) => format!("{s:?}"),
        Const::Enum(_, i) => format!("#{i}"),
        Const::Strs(v) => format!("{v:?}"),
    }
}

/// The span of the string literal `s` in a set or list literal, for pointing
/// at the one member that is wrong.
fn member_span(e: &ast::Expr, s: &str) -> Option<Span> {
    match &e.kind {
        ExprKind::Paren(inner) => member_span(inner, s),
        ExprKind::Set(items) | ExprKind::List(items) => items
            .iter()
            .find(|i| matches!(&i.kind, ExprKind::Str(v) if v == s))
            .map(|i| i.span),
        _ => None,
    }
}

/// The raw arguments a tool mapping's expression reads.
fn read_args(e: &ToolExpr, out: &mut Vec<String>) {
    match e {
        ToolExpr::Arg(a) => out.push(a.clone()),
        ToolExpr::Call(_, args) => args.iter().for_each(|a| read_args(a, out)),
        _ => {}
    }
}

/// The shape a `_` list's type names: `string`, `int`, `number`, `bool`,
/// `list<string>`, `list<int>`.
fn arg_shape(t: &ast::TypeExpr) -> Option<ArgShape> {
    fn named(t: &ast::TypeExpr) -> Option<&str> {
        match &t.kind {
            ast::TypeExprKind::Named(n) => Some(n.text.as_str()),
            _ => None,
        }
    }
    let spelled = match &t.kind {
        ast::TypeExprKind::Generic(n, inner) => format!("{}<{}>", n.text, named(inner)?),
        _ => named(t)?.to_string(),
    };
    ArgShape::ALL.into_iter().find(|s| s.spelling() == spelled)
}

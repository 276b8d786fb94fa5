//! Rule plans in, bytecode out: every action's rules become one straight
//! block of forward-only code over that action's slots, with constants
//! pooled and keyword lists turned into matchers the VM builds at load.

use crate::diag::Diagnostic;
use crate::ir::{AggKind, CmpOp, Const, Effect, FieldRef, Ir, TExpr, TextOp as IrText, Window};
use crate::lower::ActionPlan;
use crate::schema::{ActionInfo, Schema, Type};
use crate::span::Span;
use permit0_vm::instr::{Cmp, Instr, TextOp, MAX_CODE_LEN, MAX_SLOTS};
use permit0_vm::risk::{Flag, FlagSet, Verdict};
use permit0_vm::value::fold;
use permit0_vm::wire::{
    ActionWire, AggKindWire, AggregateWire, FieldWire, MatcherWire, NamespaceWire, RuleWire,
    ScopeWire, TypeWire,
};
use std::collections::BTreeMap;

mod arith;
mod rules;

/// Everything codegen produces; `bundle` adds the header facts and signs.
#[derive(Debug, Default)]
pub struct Code {
    pub enums: Vec<Vec<String>>,
    pub namespaces: Vec<NamespaceWire>,
    pub actions: Vec<ActionWire>,
    pub rules: Vec<RuleWire>,
    pub ints: Vec<i64>,
    pub strs: Vec<String>,
    pub sets: Vec<Vec<String>>,
    pub enum_sets: Vec<Vec<u16>>,
    pub matchers: Vec<MatcherWire>,
    pub aggregates: Vec<AggregateWire>,
    pub scopes: Vec<ScopeWire>,
}

#[derive(Default)]
struct Pools {
    ints: BTreeMap<i64, u16>,
    strs: BTreeMap<String, u16>,
    sets: BTreeMap<Vec<String>, u16>,
    enum_sets: BTreeMap<Vec<u16>, u16>,
    matchers: BTreeMap<(Vec<String>, bool), u16>,
}

pub fn type_wire(t: Type) -> Option<TypeWire> {
    Some(match t {
        Type::Bool => TypeWire::Bool,
        Type::Int => TypeWire::Int,
        Type::Money => TypeWire::Money,
        Type::Str => TypeWire::Str,
        Type::Duration => TypeWire::Duration,
        Type::Time => TypeWire::Time,
        Type::Enum(e) => TypeWire::Enum(e),
        Type::List => TypeWire::List,
        Type::Set => TypeWire::Set,
        Type::Grants => TypeWire::Grants,
        Type::Chain => TypeWire::Chain,
        Type::Ip => TypeWire::Ip,
        Type::Error => return None,
    })
}

fn cmp(op: CmpOp) -> Cmp {
    match op {
        CmpOp::Eq => Cmp::Eq,
        CmpOp::Ne => Cmp::Ne,
        CmpOp::Lt => Cmp::Lt,
        CmpOp::Le => Cmp::Le,
        CmpOp::Gt => Cmp::Gt,
        CmpOp::Ge => Cmp::Ge,
    }
}

pub fn codegen(schema: &Schema, ir: &Ir, plans: &[ActionPlan]) -> Result<Code, Vec<Diagnostic>> {
    let mut g = Gen {
        schema,
        out: Code::default(),
        pools: Pools::default(),
        diags: Vec::new(),
        layouts: Vec::new(),
        overflow_true: true,
        locals: Vec::new(),
    };
    g.out.enums = schema.enums.iter().map(|e| e.members.clone()).collect();
    for ns in &schema.namespaces {
        let fields = ns
            .fields
            .iter()
            .filter_map(|f| g.field_wire(&f.name, f.ty, f.optional, None, f.span))
            .collect();
        g.out.namespaces.push(NamespaceWire {
            name: ns.name.clone(),
            fields,
        });
    }
    if ir.rules.len() > u16::MAX as usize {
        return Err(vec![Diagnostic::error_without_location(
            "P0900",
            format!(
                "{} rules is more than a bundle holds ({})",
                ir.rules.len(),
                u16::MAX
            ),
        )]);
    }
    for r in &ir.rules {
        let (verdict, amplify) = match &r.effect {
            Effect::Decide(v) => (
                Some(match v {
                    Verdict::Allow => 0,
                    Verdict::Escalate => 1,
                    Verdict::Deny => 2,
                }),
                Vec::new(),
            ),
            Effect::Amplify(a) => (None, a.iter().map(|(amp, d)| (*amp as u8, *d)).collect()),
        };
        g.out.rules.push(RuleWire {
            id: r.id.clone(),
            verdict,
            amplify,
            reason: r.reason.clone(),
            obligations: r.obligations.clone(),
        });
    }
    // The scopes the aggregates read, the plain session first (every
    // request is recorded there), the rest sorted.
    let mut scopes = vec![ScopeWire::session()];
    let mut others: Vec<ScopeWire> = ir
        .aggregates
        .iter()
        .map(|a| a.scope.clone())
        .filter(|s| *s != ScopeWire::session())
        .collect();
    others.sort();
    others.dedup();
    scopes.extend(others);
    if scopes.len() > permit0_vm::MAX_SCOPES {
        return Err(vec![Diagnostic::error_without_location(
            "P0234",
            format!(
                "the policies read {} scopes of history ({}); a bundle holds at most {}",
                scopes.len(),
                scopes
                    .iter()
                    .map(ScopeWire::describe)
                    .collect::<Vec<_>>()
                    .join(", "),
                permit0_vm::MAX_SCOPES
            ),
        )]);
    }
    g.out.scopes = scopes.clone();
    for a in &ir.aggregates {
        let scope = scopes.iter().position(|s| *s == a.scope).unwrap_or(0);
        let (window_ms, window_actions) = match a.window {
            Window::Time(ms) => (ms, 0),
            Window::Actions(n) => (0, n),
        };
        g.out.aggregates.push(AggregateWire {
            scope: u16::try_from(scope).unwrap_or(0),
            kind: match a.kind {
                AggKind::Count => AggKindWire::Count,
                AggKind::Sum => AggKindWire::Sum,
                AggKind::Seen => AggKindWire::Seen,
                AggKind::Distinct => AggKindWire::Distinct,
            },
            actions: a.actions.clone(),
            field: a.field.clone(),
            window_ms,
            window_actions,
            text: a.text.clone(),
        });
    }
    if ir.aggregates.len() > u16::MAX as usize {
        return Err(vec![Diagnostic::error_without_location(
            "P0900",
            "more session aggregates than a bundle holds",
        )]);
    }
    for (id, action) in schema.actions.iter().enumerate() {
        let plan = plans.get(id).cloned().unwrap_or_default();
        g.action(action, &plan, ir, id);
    }
    g.out.ints = sorted_pool(&g.pools.ints);
    g.out.strs = sorted_pool(&g.pools.strs);
    g.out.sets = sorted_pool(&g.pools.sets);
    g.out.enum_sets = sorted_pool(&g.pools.enum_sets);
    g.out.matchers = sorted_pool(&g.pools.matchers)
        .into_iter()
        .map(|(needles, all)| MatcherWire { needles, all })
        .collect();
    let pools = rules::Pools {
        ints: &g.out.ints,
        strs: &g.out.strs,
        sets: &g.out.sets,
        enum_sets: &g.out.enum_sets,
    };
    for (a, layout) in g.out.actions.iter_mut().zip(&g.layouts) {
        rules::skip(&mut a.code, layout, &pools);
        rules::thread(&mut a.code);
    }
    if g.diags.is_empty() {
        Ok(g.out)
    } else {
        Err(g.diags)
    }
}

/// The top-level conjuncts of a condition (`a and (b and c)` → a, b, c).
fn conjuncts<'e>(e: &'e TExpr, out: &mut Vec<&'e TExpr>) {
    match e {
        TExpr::And(items) => items.iter().for_each(|x| conjuncts(x, out)),
        other => out.push(other),
    }
}

/// A pool's values in index order.
fn sorted_pool<K: Clone>(m: &BTreeMap<K, u16>) -> Vec<K> {
    let mut v: Vec<(u16, K)> = m.iter().map(|(k, i)| (*i, k.clone())).collect();
    v.sort_by_key(|(i, _)| *i);
    v.into_iter().map(|(_, k)| k).collect()
}

fn intern<K: Ord>(m: &mut BTreeMap<K, u16>, k: K) -> Option<u16> {
    if let Some(i) = m.get(&k) {
        return Some(*i);
    }
    let i = u16::try_from(m.len()).ok()?;
    m.insert(k, i);
    Some(i)
}

struct Gen<'a> {
    schema: &'a Schema,
    out: Code,
    pools: Pools,
    diags: Vec<Diagnostic>,
    /// The decide rules of each action as emitted, for `rules::skip`.
    layouts: Vec<rules::Layout>,
    /// How a comparison of overflowed arithmetic reads at the point being
    /// compiled: true where that makes the rule apply and the rule is
    /// stricter applied (deny, escalate, raising risk; a `where` filter,
    /// which then counts the action), flipped under each `not`.
    overflow_true: bool,
    /// The local times the current action's code reads (`num.local`).
    locals: Vec<permit0_vm::local::LocalWire>,
}

/// Code under construction for one action.
struct Block<'a> {
    action: &'a ActionInfo,
    code: Vec<Instr>,
    span: Span,
}

impl<'a> Gen<'a> {
    fn field_wire(
        &mut self,
        name: &str,
        ty: Type,
        optional: bool,
        derive: Option<permit0_vm::wire::ToolExprWire>,
        span: Span,
    ) -> Option<FieldWire> {
        match type_wire(ty) {
            Some(t) => Some(FieldWire {
                name: name.into(),
                ty: t,
                optional,
                derive: derive.map(Box::new),
            }),
            None => {
                self.diags.push(Diagnostic::error(
                    "P0900",
                    span,
                    format!("internal error: field `{name}` has no type"),
                ));
                None
            }
        }
    }

    fn fail(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(
            "P0900",
            span,
            format!("internal error: {}", msg.into()),
        ));
    }

    fn limit(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(
            Diagnostic::error("P0900", span, msg.into())
                .help("split the policy into smaller bundles"),
        );
    }

    fn action(&mut self, a: &ActionInfo, plan: &ActionPlan, ir: &Ir, id: usize) {
        let fields: Vec<FieldWire> = a
            .fields
            .iter()
            .filter_map(|f| {
                let derive = ir
                    .derived
                    .iter()
                    .find(|(action, field, _)| *action as usize == id && *field == f.name)
                    .map(|(_, _, e)| tool_expr(e));
                self.field_wire(&f.name, f.ty, f.optional, derive, f.span)
            })
            .collect();
        let ns_slots: usize = self.out.namespaces.iter().map(|n| n.fields.len()).sum();
        if fields.len() + ns_slots > MAX_SLOTS {
            self.limit(
                a.span,
                format!("action `{}` has more than {MAX_SLOTS} fields", a.name),
            );
        }
        let mut b = Block {
            action: a,
            code: Vec::new(),
            span: a.span,
        };
        for r in &plan.amplify {
            self.rule(&mut b, ir, *r, false);
        }
        if !plan.amplify.is_empty() {
            b.code.push(Instr::Score);
        }
        let layout = self.decide_rules(&mut b, ir, &plan.decide);
        b.code.push(Instr::Default);
        if b.code.len() > MAX_CODE_LEN {
            self.limit(
                a.span,
                format!(
                    "the rules of `{}` compile to more than {MAX_CODE_LEN} instructions",
                    a.name
                ),
            );
        }
        let marks = self.marks(a, ir, id);
        let risk = &a.risk;
        self.out.actions.push(ActionWire {
            name: a.name.clone(),
            fields,
            primary_flags: risk.primary.0,
            secondary_flags: risk.secondary.0,
            amps: risk.amps.0,
            floor: risk.floor.map(|t| t as u8),
            code: b.code,
            marks,
            compliance: a.compliance.clone(),
            locals: std::mem::take(&mut self.locals),
        });
        self.layouts.push(layout);
    }

    /// The decide rules of an action, strongest verdict first: each rule's
    /// top-level conjuncts compiled on their own, simplified and ordered
    /// (`rules::order_conjuncts`), each followed by a `jump.if_false` to
    /// the next rule (retargeted by `rules::skip` once the pools are final).
    fn decide_rules(&mut self, b: &mut Block<'_>, ir: &Ir, decide: &[usize]) -> rules::Layout {
        let mut layout = rules::Layout::default();
        let mut patches = Vec::new();
        for &index in decide {
            let Some(r) = ir.rules.get(index) else {
                continue;
            };
            b.span = r.span;
            self.overflow_true = arith::overflow_reading(&r.effect);
            let mut items = Vec::new();
            if let Some(c) = &r.cond {
                conjuncts(c, &mut items);
            }
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                let mut part = Block {
                    action: b.action,
                    code: Vec::new(),
                    span: r.span,
                };
                self.cond(&mut part, item);
                parts.push(part.code);
            }
            rules::order_conjuncts(&mut parts);
            let rule_no = layout.starts.len();
            layout.starts.push(b.code.len());
            for part in parts {
                let start = b.code.len();
                let base = u16::try_from(start).unwrap_or(u16::MAX);
                b.code.extend(part.into_iter().map(|ins| match ins {
                    Instr::JumpIfFalse { to } => Instr::JumpIfFalse {
                        to: to.saturating_add(base),
                    },
                    Instr::JumpIfTrue { to } => Instr::JumpIfTrue {
                        to: to.saturating_add(base),
                    },
                    other => other,
                }));
                let jump = b.code.len();
                layout.exits.push((jump, rule_no, start, jump));
                patches.push(jump);
                b.code.push(Instr::JumpIfFalse { to: 0 });
            }
            b.code.push(Instr::Fire {
                rule: u16::try_from(index).unwrap_or(u16::MAX),
            });
            // Until `rules::skip`: a failed conjunct goes to the next rule.
            for at in patches.drain(..) {
                self.patch(b, at);
            }
        }
        layout.starts.push(b.code.len());
        layout
    }

    /// The mark code of one action: a `Mark` for every session aggregate
    /// that names it, behind the aggregate's `where` filter.
    fn marks(&mut self, a: &ActionInfo, ir: &Ir, id: usize) -> Vec<Instr> {
        let mut b = Block {
            action: a,
            code: Vec::new(),
            span: a.span,
        };
        for (i, agg) in ir.aggregates.iter().enumerate() {
            if !agg.actions.iter().any(|x| *x as usize == id) {
                continue;
            }
            let mark = Instr::Mark {
                agg: u16::try_from(i).unwrap_or(u16::MAX),
            };
            match &agg.filter {
                None => b.code.push(mark),
                Some(c) => {
                    // An over-count can deny, never allow (see `marks`).
                    self.overflow_true = true;
                    self.cond(&mut b, c);
                    let jump = b.code.len();
                    b.code.push(Instr::JumpIfFalse { to: 0 });
                    b.code.push(mark);
                    self.patch(&mut b, jump);
                }
            }
        }
        if b.code.is_empty() {
            return b.code;
        }
        b.code.push(Instr::Default);
        if b.code.len() > MAX_CODE_LEN {
            self.limit(
                a.span,
                format!(
                    "the session filters of `{}` compile to too much code",
                    a.name
                ),
            );
        }
        b.code
    }

    fn rule(&mut self, b: &mut Block<'_>, ir: &Ir, index: usize, decides: bool) {
        let Some(r) = ir.rules.get(index) else { return };
        let rule = u16::try_from(index).unwrap_or(u16::MAX);
        b.span = r.span;
        let end = if decides {
            Instr::Fire { rule }
        } else {
            Instr::Amplify { rule }
        };
        self.overflow_true = arith::overflow_reading(&r.effect);
        match &r.cond {
            None => b.code.push(end),
            Some(c) => {
                self.cond(b, c);
                let jump = b.code.len();
                b.code.push(Instr::JumpIfFalse { to: 0 });
                b.code.push(end);
                self.patch(b, jump);
            }
        }
    }

    fn patch(&mut self, b: &mut Block<'_>, at: usize) {
        let target = u16::try_from(b.code.len()).unwrap_or(u16::MAX);
        if let Some(Instr::JumpIfFalse { to } | Instr::JumpIfTrue { to }) = b.code.get_mut(at) {
            *to = target;
        }
    }

    fn int(&mut self, b: &Block<'_>, v: i64) -> u16 {
        intern(&mut self.pools.ints, v).unwrap_or_else(|| {
            self.limit(b.span, "more than 65,535 distinct integers");
            0
        })
    }

    fn str(&mut self, b: &Block<'_>, v: String) -> u16 {
        intern(&mut self.pools.strs, v).unwrap_or_else(|| {
            self.limit(b.span, "more than 65,535 distinct strings");
            0
        })
    }

    fn set(&mut self, b: &Block<'_>, mut v: Vec<String>) -> u16 {
        v.sort();
        v.dedup();
        intern(&mut self.pools.sets, v).unwrap_or_else(|| {
            self.limit(b.span, "more than 65,535 distinct sets");
            0
        })
    }

    fn slot(&mut self, b: &Block<'_>, f: &FieldRef) -> Option<(u8, Type)> {
        let found = match f {
            FieldRef::Action(name) => b
                .action
                .fields
                .iter()
                .position(|x| x.name == *name)
                .and_then(|i| b.action.fields.get(i).map(|x| (i, x.ty))),
            FieldRef::Namespace(ns, name) => {
                let mut base = b.action.fields.len();
                let mut hit = None;
                for n in &self.schema.namespaces {
                    if n.name == *ns {
                        hit = n
                            .fields
                            .iter()
                            .position(|x| x.name == *name)
                            .and_then(|i| n.fields.get(i).map(|x| (base + i, x.ty)));
                        break;
                    }
                    base += n.fields.len();
                }
                hit
            }
            _ => None,
        };
        match found.and_then(|(i, t)| u8::try_from(i).ok().map(|s| (s, t))) {
            Some(x) => Some(x),
            None => {
                self.fail(
                    b.span,
                    format!(
                        "no slot for `{}` on `{}`",
                        crate::typeck::field_name(f),
                        b.action.name
                    ),
                );
                None
            }
        }
    }

    fn cond(&mut self, b: &mut Block<'_>, e: &TExpr) {
        if let Some(expanded) = self.expand_default(e) {
            return self.cond(b, &expanded);
        }
        match e {
            TExpr::Has(f) => {
                if let Some((slot, _)) = self.slot(b, f) {
                    b.code.push(Instr::Has { slot });
                }
            }
            TExpr::Const(Const::Bool(v)) => b.code.push(Instr::Const { value: *v }),
            TExpr::Not(x) => {
                self.overflow_true = !self.overflow_true;
                self.cond(b, x);
                self.overflow_true = !self.overflow_true;
                b.code.push(Instr::Not);
            }
            TExpr::And(items) | TExpr::Or(items) => {
                let and = matches!(e, TExpr::And(_));
                let mut jumps = Vec::new();
                for (i, x) in items.iter().enumerate() {
                    self.cond(b, x);
                    if i + 1 < items.len() {
                        jumps.push(b.code.len());
                        b.code.push(if and {
                            Instr::JumpIfFalse { to: 0 }
                        } else {
                            Instr::JumpIfTrue { to: 0 }
                        });
                    }
                }
                for j in jumps {
                    self.patch(b, j);
                }
            }
            TExpr::Field(FieldRef::Aggregate(i)) => b.code.push(Instr::AggIs {
                agg: u16::try_from(*i).unwrap_or(u16::MAX),
            }),
            TExpr::Field(f) => {
                if let Some((slot, Type::Bool)) = self.slot(b, f) {
                    b.code.push(Instr::BoolIs { slot, value: true });
                } else {
                    self.fail(b.span, "a non-boolean field used as a condition");
                }
            }
            TExpr::Compare(op, l, r) => self.compare(b, *op, l, r),
            TExpr::ChainWidens(f) => {
                if let Some((slot, _)) = self.slot(b, f) {
                    b.code.push(Instr::ChainWidens { slot });
                }
            }
            TExpr::ChainExceeds(list, chain) => {
                if let (Some((list, _)), Some((chain, _))) =
                    (self.slot(b, list), self.slot(b, chain))
                {
                    b.code.push(Instr::ChainExceeds { list, chain });
                }
            }
            TExpr::GrantActive {
                grants,
                time,
                scope,
            } => {
                let (Some((slot, _)), Some((time, _))) = (self.slot(b, grants), self.slot(b, time))
                else {
                    return;
                };
                let scope = match scope {
                    Some(s) => self.str(b, s.clone()),
                    None => u16::MAX,
                };
                b.code.push(Instr::GrantActive { slot, time, scope });
            }
            TExpr::Member { negated, elem, set } => self.member(b, *negated, elem, set),
            TExpr::Text(op, subject, needle) => self.text(b, *op, subject, needle),
            other => self.fail(b.span, format!("cannot compile condition {other:?}")),
        }
    }

    fn compare(&mut self, b: &mut Block<'_>, op: CmpOp, l: &TExpr, r: &TExpr) {
        if [l, r]
            .iter()
            .any(|x| matches!(x, TExpr::Arith(..) | TExpr::Local(..)))
        {
            return self.num_compare(b, op, l, r);
        }
        // Constants go on the right.
        let (op, l, r) = match (l, r) {
            (TExpr::Const(_), TExpr::Const(_)) => {
                let v = const_compare(op, l, r).unwrap_or(false);
                b.code.push(Instr::Const { value: v });
                return;
            }
            (TExpr::Const(_), _) => (op.flip(), r, l),
            _ => (op, l, r),
        };
        match (l, r) {
            (TExpr::Field(FieldRef::RiskScore), TExpr::Const(Const::Int(k))) => {
                let k = self.int(b, *k);
                b.code.push(Instr::ScoreCmpK { op: cmp(op), k });
            }
            (TExpr::Field(FieldRef::RiskTier), TExpr::Const(Const::Enum(_, m))) => {
                b.code.push(Instr::TierCmpK {
                    op: cmp(op),
                    tier: u8::try_from(*m).unwrap_or(u8::MAX),
                });
            }
            (TExpr::Field(FieldRef::Aggregate(i)), TExpr::Const(Const::Int(k))) => {
                let k = self.int(b, *k);
                b.code.push(Instr::AggCmpK {
                    agg: u16::try_from(*i).unwrap_or(u16::MAX),
                    op: cmp(op),
                    k,
                });
            }
            (TExpr::Field(FieldRef::Aggregate(i)), TExpr::Const(Const::Bool(v))) => {
                b.code.push(Instr::AggIs {
                    agg: u16::try_from(*i).unwrap_or(u16::MAX),
                });
                if (op == CmpOp::Eq) != *v {
                    b.code.push(Instr::Not);
                }
            }
            (TExpr::Len(x), TExpr::Const(Const::Int(k))) => {
                let TExpr::Field(f) = x.as_ref() else {
                    return self.fail(b.span, "len of a non-field");
                };
                let Some((slot, ty)) = self.slot(b, f) else {
                    return;
                };
                let k = self.int(b, *k);
                b.code.push(if ty == Type::Chain {
                    Instr::ChainLenK {
                        slot,
                        op: cmp(op),
                        k,
                    }
                } else {
                    Instr::LenCmpK {
                        slot,
                        op: cmp(op),
                        k,
                    }
                });
            }
            (TExpr::Field(f), TExpr::Const(c)) => {
                let Some((slot, ty)) = self.slot(b, f) else {
                    return;
                };
                match (ty, c) {
                    (t, Const::Int(k)) if t.is_numeric() => {
                        let k = self.int(b, *k);
                        b.code.push(Instr::IntCmpK {
                            slot,
                            op: cmp(op),
                            k,
                        });
                    }
                    (Type::Str, Const::Str(s)) => {
                        let k = self.str(b, s.clone());
                        b.code.push(Instr::StrEqK {
                            slot,
                            k,
                            negate: op == CmpOp::Ne,
                        });
                    }
                    (Type::Bool, Const::Bool(v)) => {
                        b.code.push(Instr::BoolIs {
                            slot,
                            value: *v == (op == CmpOp::Eq),
                        });
                    }
                    (Type::Enum(_), Const::Enum(_, m)) => {
                        b.code.push(Instr::EnumCmpK {
                            slot,
                            op: cmp(op),
                            member: u16::try_from(*m).unwrap_or(u16::MAX),
                        });
                    }
                    _ => self.fail(
                        b.span,
                        format!(
                            "cannot compare `{}` with {c:?}",
                            crate::typeck::field_name(f)
                        ),
                    ),
                }
            }
            (TExpr::Field(x), TExpr::Field(y)) => {
                let (Some((sx, tx)), Some((sy, _))) = (self.slot(b, x), self.slot(b, y)) else {
                    return;
                };
                match tx {
                    t if t.is_numeric() => b.code.push(Instr::IntCmpSlot {
                        a: sx,
                        op: cmp(op),
                        b: sy,
                    }),
                    Type::Str => b.code.push(Instr::StrEqSlot {
                        a: sx,
                        b: sy,
                        negate: op == CmpOp::Ne,
                    }),
                    _ => self.fail(b.span, "comparing two fields of this type"),
                }
            }
            _ => self.fail(b.span, "unsupported comparison"),
        }
    }

    fn member(&mut self, b: &mut Block<'_>, negate: bool, elem: &TExpr, set: &TExpr) {
        match (elem, set) {
            (TExpr::Const(Const::Str(s)), TExpr::Const(Const::Strs(items))) => {
                b.code.push(Instr::Const {
                    value: items.contains(s) != negate,
                });
            }
            (TExpr::Field(f), TExpr::Const(Const::Strs(items))) => {
                let Some((slot, ty)) = self.slot(b, f) else {
                    return;
                };
                match ty {
                    Type::Enum(e) => {
                        let members = self
                            .schema
                            .enum_def(e)
                            .map(|d| d.members.clone())
                            .unwrap_or_default();
                        let mut ids: Vec<u16> = items
                            .iter()
                            .filter_map(|s| {
                                members
                                    .iter()
                                    .position(|m| m == s)
                                    .and_then(|p| u16::try_from(p).ok())
                            })
                            .collect();
                        ids.sort_unstable();
                        ids.dedup();
                        let set = intern(&mut self.pools.enum_sets, ids).unwrap_or(0);
                        b.code.push(Instr::EnumInSet { slot, set, negate });
                    }
                    Type::Ip => {
                        let set = self.set(b, items.clone());
                        b.code.push(Instr::IpInSet { slot, set, negate });
                    }
                    _ => {
                        let set = self.set(b, items.clone());
                        b.code.push(Instr::StrInSet { slot, set, negate });
                    }
                }
            }
            (TExpr::Field(x), TExpr::Field(y)) => {
                let (Some((sx, _)), Some((sy, _))) = (self.slot(b, x), self.slot(b, y)) else {
                    return;
                };
                b.code.push(Instr::StrInSlot {
                    a: sx,
                    b: sy,
                    negate,
                });
            }
            (TExpr::Const(Const::Str(s)), TExpr::Field(FieldRef::RiskFlags)) => {
                match Flag::from_name(&s.to_uppercase()) {
                    Some(flag) => {
                        b.code.push(Instr::FlagsHave {
                            mask: FlagSet::default().with(flag).0,
                        });
                        if negate {
                            b.code.push(Instr::Not);
                        }
                    }
                    None => self.unknown_flag(b, s),
                }
            }
            (TExpr::Const(Const::Str(s)), TExpr::Field(f)) => {
                let Some((slot, _)) = self.slot(b, f) else {
                    return;
                };
                let k = self.str(b, s.clone());
                b.code.push(Instr::ListHasK { slot, k, negate });
            }
            _ => self.fail(b.span, "unsupported `in`"),
        }
    }

    fn unknown_flag(&mut self, b: &Block<'_>, s: &str) {
        let names: Vec<&str> = Flag::ALL.iter().map(|f| f.name()).collect();
        self.diags.push(
            Diagnostic::error("P0304", b.span, format!("`{s}` is not a risk flag"))
                .help(format!("flags are {}", names.join(", "))),
        );
    }

    fn text(&mut self, b: &mut Block<'_>, op: IrText, subject: &TExpr, needle: &TExpr) {
        if let TExpr::Field(FieldRef::RiskFlags) = subject {
            let names: Vec<String> = match needle {
                TExpr::Const(Const::Str(s)) => vec![s.clone()],
                TExpr::Const(Const::Strs(v)) => v.clone(),
                _ => return self.fail(b.span, "flags tested against a field"),
            };
            let mut masks = Vec::new();
            for n in &names {
                match Flag::from_name(&n.to_uppercase()) {
                    Some(f) => masks.push(FlagSet::default().with(f).0),
                    None => return self.unknown_flag(b, n),
                }
            }
            match op {
                IrText::Contains | IrText::ContainsAll => {
                    b.code.push(Instr::FlagsHave {
                        mask: masks.iter().fold(0, |a, m| a | m),
                    });
                }
                IrText::ContainsAny => {
                    let mut jumps = Vec::new();
                    for (i, m) in masks.iter().enumerate() {
                        b.code.push(Instr::FlagsHave { mask: *m });
                        if i + 1 < masks.len() {
                            jumps.push(b.code.len());
                            b.code.push(Instr::JumpIfTrue { to: 0 });
                        }
                    }
                    for j in jumps {
                        self.patch(b, j);
                    }
                }
                _ => self.fail(b.span, "starts_with on risk flags"),
            }
            return;
        }
        let TExpr::Field(f) = subject else {
            // A constant subject: decide now.
            let v = match (subject, needle) {
                (TExpr::Const(Const::Str(s)), TExpr::Const(Const::Str(n))) => {
                    let (s, n) = (fold(s), fold(n));
                    match op {
                        IrText::StartsWith => s.starts_with(&n),
                        IrText::EndsWith => s.ends_with(&n),
                        _ => s.contains(&n),
                    }
                }
                _ => false,
            };
            b.code.push(Instr::Const { value: v });
            return;
        };
        let Some((slot, _)) = self.slot(b, f) else {
            return;
        };
        let vm_op = match op {
            IrText::StartsWith => TextOp::StartsWith,
            IrText::EndsWith => TextOp::EndsWith,
            _ => TextOp::Contains,
        };
        match (op, needle) {
            (IrText::ContainsAny | IrText::ContainsAll, TExpr::Const(Const::Strs(items))) => {
                let mut needles: Vec<String> = items
                    .iter()
                    .map(|s| fold(s))
                    .filter(|s| !s.is_empty())
                    .collect();
                needles.sort();
                needles.dedup();
                let all = op == IrText::ContainsAll;
                if needles.is_empty() {
                    // contains_any of nothing is false; contains_all of nothing is true.
                    b.code.push(Instr::Const { value: all });
                    return;
                }
                if all && needles.len() > 64 {
                    self.diags.push(
                        Diagnostic::error(
                            "P0301",
                            b.span,
                            "`contains_all` takes at most 64 keywords",
                        )
                        .help("split the list over several conditions joined by `and`"),
                    );
                    return;
                }
                let m = intern(&mut self.pools.matchers, (needles, all)).unwrap_or(0);
                b.code.push(Instr::Match { slot, m });
            }
            (_, TExpr::Const(Const::Str(s))) => {
                let k = self.str(b, fold(s));
                b.code.push(Instr::TextK { op: vm_op, slot, k });
            }
            (_, TExpr::Const(Const::Strs(items))) => {
                let set = self.set(b, items.iter().map(|s| fold(s)).collect());
                b.code.push(Instr::TextAnyOf {
                    op: vm_op,
                    slot,
                    set,
                });
            }
            (_, TExpr::Field(n)) => {
                let Some((needle, _)) = self.slot(b, n) else {
                    return;
                };
                b.code.push(Instr::TextSlot {
                    op: vm_op,
                    slot,
                    needle,
                });
            }
            _ => self.fail(b.span, "unsupported text test"),
        }
    }
}

impl Gen<'_> {
    /// A test that reads `f ?? d` as `(not has f and T[d]) or T[f]`: with
    /// the default, where the request lacks the field; on the field (whose
    /// tests are false when absent) otherwise. `T[d]` is usually constant
    /// and folds away, leaving `T[f]` or `not has f or T[f]`. `None` when
    /// `e` reads no default.
    fn expand_default(&self, e: &TExpr) -> Option<TExpr> {
        let (f, c) = find_default(e)?;
        let absent = substitute(e, &f, &TExpr::Const(c));
        let present = substitute(e, &f, &TExpr::Field(f.clone()));
        let missing = TExpr::Not(Box::new(TExpr::Has(f)));
        Some(match self.const_truth(&absent) {
            Some(false) => present,
            Some(true) => TExpr::Or(vec![missing, present]),
            None => TExpr::Or(vec![TExpr::And(vec![missing, absent]), present]),
        })
    }

    /// The value of a test over constants only, as the VM would decide it.
    fn const_truth(&self, e: &TExpr) -> Option<bool> {
        let text = |op: IrText, s: &str, needles: &[String]| {
            let s = fold(s);
            let needles: Vec<String> = needles
                .iter()
                .map(|n| fold(n))
                .filter(|n| {
                    !n.is_empty() || !matches!(op, IrText::ContainsAny | IrText::ContainsAll)
                })
                .collect();
            let hit = |n: &String| match op {
                IrText::StartsWith => s.starts_with(n.as_str()),
                IrText::EndsWith => s.ends_with(n.as_str()),
                _ => s.contains(n.as_str()),
            };
            match op {
                IrText::ContainsAll => needles.iter().all(hit),
                _ => needles.iter().any(hit),
            }
        };
        let list_text = |op: IrText, items: &[String], needles: &[String]| {
            let items: Vec<String> = items.iter().map(|s| fold(s)).collect();
            let needles: Vec<String> = needles
                .iter()
                .map(|n| fold(n))
                .filter(|n| {
                    !n.is_empty() || !matches!(op, IrText::ContainsAny | IrText::ContainsAll)
                })
                .collect();
            let hit = |n: &String| {
                items.iter().any(|t| match op {
                    IrText::StartsWith => t.starts_with(n.as_str()),
                    IrText::EndsWith => t.ends_with(n.as_str()),
                    _ => t == n,
                })
            };
            match op {
                IrText::ContainsAll => needles.iter().all(hit),
                _ => needles.iter().any(hit),
            }
        };
        match e {
            TExpr::Const(Const::Bool(v)) => Some(*v),
            TExpr::Compare(op, l, r) => match (l.as_ref(), r.as_ref()) {
                (TExpr::Len(x), TExpr::Const(Const::Int(k))) => {
                    let n = match x.as_ref() {
                        TExpr::Const(Const::Str(s)) => s.chars().count(),
                        TExpr::Const(Const::Strs(v)) => v.len(),
                        _ => return None,
                    };
                    const_compare(
                        *op,
                        &TExpr::Const(Const::Int(i64::try_from(n).ok()?)),
                        &TExpr::Const(Const::Int(*k)),
                    )
                }
                _ => const_compare(*op, l, r),
            },
            TExpr::Member { negated, elem, set } => {
                let TExpr::Const(Const::Strs(items)) = set.as_ref() else {
                    return None;
                };
                let found = match elem.as_ref() {
                    TExpr::Const(Const::Str(s)) => items.contains(s),
                    TExpr::Const(Const::Enum(id, m)) => {
                        let name = self.schema.enum_def(*id)?.members.get(*m as usize)?;
                        items.contains(name)
                    }
                    _ => return None,
                };
                Some(found != *negated)
            }
            TExpr::Text(op, subject, needle) => {
                let needles = match needle.as_ref() {
                    TExpr::Const(Const::Str(n)) => vec![n.clone()],
                    TExpr::Const(Const::Strs(v)) => v.clone(),
                    _ => return None,
                };
                match subject.as_ref() {
                    TExpr::Const(Const::Str(s)) => Some(text(*op, s, &needles)),
                    TExpr::Const(Const::Strs(items)) => Some(list_text(*op, items, &needles)),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// The first `??` a test reads (not looking into `and`, `or`, `not`).
fn find_default(e: &TExpr) -> Option<(FieldRef, Const)> {
    match e {
        TExpr::Default(f, c) => Some((f.clone(), c.clone())),
        TExpr::Compare(_, l, r) | TExpr::Text(_, l, r) => {
            find_default(l).or_else(|| find_default(r))
        }
        TExpr::Member { elem, set, .. } => find_default(elem).or_else(|| find_default(set)),
        TExpr::Len(x) => find_default(x),
        TExpr::Arith(_, l, r) => find_default(l).or_else(|| find_default(r)),
        _ => None,
    }
}

/// `e` with every `f ?? …` it reads replaced by `with`.
fn substitute(e: &TExpr, f: &FieldRef, with: &TExpr) -> TExpr {
    let sub = |x: &TExpr| Box::new(substitute(x, f, with));
    match e {
        TExpr::Default(g, _) if g == f => with.clone(),
        TExpr::Compare(op, l, r) => TExpr::Compare(*op, sub(l), sub(r)),
        TExpr::Text(op, l, r) => TExpr::Text(*op, sub(l), sub(r)),
        TExpr::Member { negated, elem, set } => TExpr::Member {
            negated: *negated,
            elem: sub(elem),
            set: sub(set),
        },
        TExpr::Len(x) => TExpr::Len(sub(x)),
        TExpr::Arith(op, l, r) => TExpr::Arith(*op, sub(l), sub(r)),
        other => other.clone(),
    }
}

fn const_compare(op: CmpOp, l: &TExpr, r: &TExpr) -> Option<bool> {
    let (TExpr::Const(a), TExpr::Const(b)) = (l, r) else {
        return None;
    };
    let ord = match (a, b) {
        (Const::Int(x), Const::Int(y)) => x.cmp(y),
        (Const::Str(x), Const::Str(y)) => x.cmp(y),
        (Const::Bool(x), Const::Bool(y)) => x.cmp(y),
        (Const::Enum(_, x), Const::Enum(_, y)) => x.cmp(y),
        _ => return None,
    };
    Some(match op {
        CmpOp::Eq => ord.is_eq(),
        CmpOp::Ne => ord.is_ne(),
        CmpOp::Lt => ord.is_lt(),
        CmpOp::Le => ord.is_le(),
        CmpOp::Gt => ord.is_gt(),
        CmpOp::Ge => ord.is_ge(),
    })
}

fn tool_expr(e: &crate::ir::ToolExpr) -> permit0_vm::wire::ToolExprWire {
    use crate::ir::ToolExpr as T;
    use permit0_vm::wire::ToolExprWire as W;
    match e {
        T::Arg(a) => W::Arg(a.clone()),
        T::Input(a) => W::Input(a.clone()),
        T::Field(ns, f) => W::Field(ns.clone(), f.clone()),
        T::Str(s) => W::Str(s.clone()),
        T::Int(n) => W::Int(*n),
        T::Bool(b) => W::Bool(*b),
        T::List(v) => W::List(v.clone()),
        T::Call(f, args) => W::Call(*f, args.iter().map(tool_expr).collect()),
    }
}

fn tool_cond(c: &crate::ir::ToolCond) -> permit0_vm::wire::ToolCondWire {
    use crate::ir::ToolCond as C;
    use permit0_vm::wire::ToolCondWire as W;
    match c {
        C::True(e) => W::True(tool_expr(e)),
        C::Eq(a, b) => W::Eq(tool_expr(a), tool_expr(b)),
        C::Not(inner) => W::Not(Box::new(tool_cond(inner))),
        C::All(v) => W::All(v.iter().map(tool_cond).collect()),
        C::Any(v) => W::Any(v.iter().map(tool_cond).collect()),
    }
}

/// Tool mappings in their wire form, in source order.
pub fn tools(ir: &Ir) -> Vec<permit0_vm::wire::ToolWire> {
    ir.tools
        .iter()
        .map(|t| permit0_vm::wire::ToolWire {
            names: t.names.clone(),
            when: t.when.as_ref().map(tool_cond),
            action: t.action,
            fields: t
                .fields
                .iter()
                .map(|(f, e)| (f.clone(), tool_expr(e)))
                .collect(),
            args: t.args.clone(),
            shapes: t.shapes.clone(),
        })
        .collect()
}

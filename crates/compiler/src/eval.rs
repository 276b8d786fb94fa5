//! The reference evaluator: decides a bound request straight from the typed
//! IR, with none of lowering, codegen or the bytecode VM in the way. It is
//! slow and simple on purpose; the VM must agree with it on every request
//! (see the differential tests).

use crate::ir::{ArithOp, CmpOp, Const, Effect, FieldRef, Ir, TExpr, TextOp};
use crate::schema::Schema;
use permit0_vm::risk::{FlagSet, Model, Tier, Verdict};
use permit0_vm::value::{fold, Value};
use permit0_vm::{Program, Request};

/// What the reference evaluator decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub verdict: Verdict,
    /// `policy:N` of the deciding rule, if a rule decided.
    pub rule: Option<String>,
    pub score: u8,
    pub tier: Tier,
    pub gated: bool,
}

/// A value as the reference evaluator sees it: `None` when absent.
enum V<'a> {
    Int(i64),
    Bool(bool),
    Enum(u32),
    Str(&'a str),
    List(Vec<&'a str>),
    Strs(&'a [String]),
    /// Arithmetic that overflowed, or the local time in an unknown zone.
    Overflow,
    Grants(&'a [permit0_vm::value::Grant]),
    Chain(&'a [permit0_vm::value::Hop]),
    Ip(std::net::IpAddr),
}

struct Ctx<'a> {
    schema: &'a Schema,
    program: &'a Program,
    req: &'a Request,
    action: u32,
    score: u8,
    tier: Tier,
    flags: FlagSet,
    /// How a comparison reading an overflow reads here: from the rule's
    /// decision, flipped under each `not` (docs/language.md, "Arithmetic").
    overflow: std::cell::Cell<bool>,
}

pub fn reference_decide(
    schema: &Schema,
    ir: &Ir,
    program: &Program,
    req: &Request,
) -> Option<Reference> {
    let action = req.action()?;
    let info = schema.action(action)?;
    let model = Model::standard();
    let flags = info.risk.flags();
    let base = model.score(flags, &info.risk.amps);
    let floor = |t: Tier| match info.risk.floor {
        Some(f) if f > t => f,
        _ => t,
    };
    let mut ctx = Ctx {
        schema,
        program,
        req,
        action,
        score: base.score,
        tier: floor(base.tier),
        flags,
        overflow: std::cell::Cell::new(true),
    };
    let mut gated = model.gate(flags, &info.risk.amps).is_some();

    let applies = |r: &&crate::ir::RuleIr| r.actions.contains(&action);
    let mut amps = info.risk.amps;
    let mut amplified = false;
    for r in ir.rules.iter().filter(applies) {
        if let Effect::Amplify(deltas) = &r.effect {
            ctx.overflow.set(deltas.iter().all(|(_, d)| *d >= 0));
            if r.cond.as_ref().is_none_or(|c| truth(&ctx, c)) {
                for (a, d) in deltas {
                    amps.add(*a, *d);
                }
                amplified = true;
            }
        }
    }
    if amplified {
        let s = model.score(flags, &amps);
        ctx.score = s.score;
        ctx.tier = floor(s.tier);
        gated |= model.gate(flags, &amps).is_some();
    }
    if gated {
        return Some(Reference {
            verdict: Verdict::Deny,
            rule: None,
            score: ctx.score,
            tier: ctx.tier,
            gated,
        });
    }
    let mut best: Option<(Verdict, &str)> = None;
    for r in ir.rules.iter().filter(applies) {
        let Effect::Decide(v) = r.effect else {
            continue;
        };
        ctx.overflow.set(v != Verdict::Allow);
        if r.cond.as_ref().is_none_or(|c| truth(&ctx, c)) && best.is_none_or(|(b, _)| v > b) {
            best = Some((v, r.id.as_str()));
        }
    }
    Some(match best {
        Some((verdict, rule)) => Reference {
            verdict,
            rule: Some(rule.to_string()),
            score: ctx.score,
            tier: ctx.tier,
            gated,
        },
        None => Reference {
            verdict: ctx.tier.default_verdict(),
            rule: None,
            score: ctx.score,
            tier: ctx.tier,
            gated,
        },
    })
}

fn value<'a>(ctx: &Ctx<'a>, e: &'a TExpr) -> Option<V<'a>> {
    match e {
        TExpr::Const(c) => Some(const_value(c)),
        TExpr::Field(FieldRef::RiskScore) => Some(V::Int(i64::from(ctx.score))),
        TExpr::Field(FieldRef::RiskTier) => Some(V::Enum(ctx.tier as u32)),
        TExpr::Field(FieldRef::RiskFlags) => Some(V::List(ctx.flags.names().collect())),
        TExpr::Field(FieldRef::Aggregate(i)) => ctx.req.aggregate(*i as usize).map(V::Int),
        TExpr::Field(f) => field(ctx, f),
        // The value, or the default when the request does not carry it.
        TExpr::Default(f, c) => field(ctx, f).or(Some(const_value(c))),
        TExpr::Len(x) => match value(ctx, x)? {
            V::Str(s) => i64::try_from(s.chars().count()).ok().map(V::Int),
            V::List(l) => i64::try_from(l.len()).ok().map(V::Int),
            V::Chain(h) => i64::try_from(h.len()).ok().map(V::Int),
            _ => None,
        },
        TExpr::Arith(op, l, r) => match (value(ctx, l)?, value(ctx, r)?) {
            (V::Int(a), V::Int(b)) => Some(
                match op {
                    ArithOp::Add => a.checked_add(b),
                    ArithOp::Sub => a.checked_sub(b),
                    ArithOp::Mul => a.checked_mul(b),
                }
                .map_or(V::Overflow, V::Int),
            ),
            (V::Overflow, _) | (_, V::Overflow) => Some(V::Overflow),
            _ => None,
        },
        TExpr::Local(part, time, zone) => {
            let V::Int(t) = field(ctx, time)? else {
                return None;
            };
            let zone = match value(ctx, zone)? {
                V::Str(z) => z,
                _ => return None,
            };
            Some(permit0_vm::local::local_ms(t, zone).map_or(V::Overflow, |ms| V::Int(part.of(ms))))
        }
        _ => Some(V::Bool(truth(ctx, e))),
    }
}

fn const_value(c: &Const) -> V<'_> {
    match c {
        Const::Bool(b) => V::Bool(*b),
        Const::Int(n) => V::Int(*n),
        Const::Str(s) => V::Str(s),
        Const::Enum(_, m) => V::Enum(*m),
        Const::Strs(v) => V::Strs(v),
    }
}

fn field<'a>(ctx: &Ctx<'a>, f: &FieldRef) -> Option<V<'a>> {
    let path = crate::typeck::field_name(f);
    let slot = ctx.program.field_slot(ctx.action, &path)?;
    match ctx.req.slot(slot)? {
        Value::Absent => None,
        Value::Bool(b) => Some(V::Bool(*b)),
        Value::Int(n) => Some(V::Int(*n)),
        Value::Enum(m) => Some(V::Enum(u32::from(*m))),
        Value::Str(t) => Some(V::Str(&t.raw)),
        Value::List(items) => Some(V::List(items.iter().map(|t| &*t.raw).collect())),
        Value::Grants(gs) => Some(V::Grants(gs)),
        Value::Chain(hops) => Some(V::Chain(hops)),
        Value::Ip(a) => Some(V::Ip(**a)),
    }
}

fn truth(ctx: &Ctx<'_>, e: &TExpr) -> bool {
    match e {
        // Present, whatever the value.
        TExpr::Has(f) => field(ctx, f).is_some(),
        TExpr::ChainWidens(f) => match field(ctx, f) {
            Some(V::Chain(hops)) => hops.iter().zip(hops.iter().skip(1)).any(|(from, to)| {
                to.scopes
                    .iter()
                    .any(|s| !from.scopes.iter().any(|x| x.raw == s.raw))
            }),
            _ => false,
        },
        TExpr::ChainExceeds(list, chain) => match (field(ctx, list), field(ctx, chain)) {
            (Some(V::List(items)), Some(V::Chain(hops))) => items.iter().any(|s| {
                hops.last()
                    .is_none_or(|last| !last.scopes.iter().any(|x| &*x.raw == *s))
            }),
            _ => false,
        },
        TExpr::GrantActive {
            grants,
            time,
            scope,
        } => {
            let (Some(V::Grants(gs)), Some(V::Int(t))) = (field(ctx, grants), field(ctx, time))
            else {
                return false;
            };
            let Some(name) = ctx.schema.action(ctx.action).map(|a| a.name.as_str()) else {
                return false;
            };
            gs.iter().any(|g| {
                let pattern = &*g.action;
                let covers = pattern == "*"
                    || pattern == name
                    || pattern
                        .strip_suffix('*')
                        .is_some_and(|prefix| prefix.ends_with('.') && name.starts_with(prefix));
                covers
                    && g.not_before.is_none_or(|nb| nb <= t)
                    && t < g.expires
                    && scope.as_ref().is_none_or(|s| *g.scope.raw == **s)
            })
        }
        TExpr::Default(..) => matches!(value(ctx, e), Some(V::Bool(true))),
        TExpr::Not(x) => {
            ctx.overflow.set(!ctx.overflow.get());
            let t = !truth(ctx, x);
            ctx.overflow.set(!ctx.overflow.get());
            t
        }
        TExpr::And(xs) => xs.iter().all(|x| truth(ctx, x)),
        TExpr::Or(xs) => xs.iter().any(|x| truth(ctx, x)),
        TExpr::Const(Const::Bool(b)) => *b,
        TExpr::Field(FieldRef::Aggregate(i)) => {
            ctx.req.aggregate(*i as usize).is_some_and(|v| v != 0)
        }
        TExpr::Field(_) => matches!(value(ctx, e), Some(V::Bool(true))),
        TExpr::Compare(op, l, r) => {
            let (Some(a), Some(b)) = (value(ctx, l), value(ctx, r)) else {
                return false;
            };
            let ord = match (a, b) {
                (V::Overflow, _) | (_, V::Overflow) => return ctx.overflow.get(),
                (V::Int(x), V::Int(y)) => x.cmp(&y),
                (V::Bool(x), V::Bool(y)) => x.cmp(&y),
                (V::Enum(x), V::Enum(y)) => x.cmp(&y),
                (V::Str(x), V::Str(y)) => x.cmp(y),
                // A `session.seen` aggregate compared with a bool.
                (V::Int(x), V::Bool(y)) => (x != 0).cmp(&y),
                _ => return false,
            };
            match op {
                CmpOp::Eq => ord.is_eq(),
                CmpOp::Ne => ord.is_ne(),
                CmpOp::Lt => ord.is_lt(),
                CmpOp::Le => ord.is_le(),
                CmpOp::Gt => ord.is_gt(),
                CmpOp::Ge => ord.is_ge(),
            }
        }
        TExpr::Member { negated, elem, set } => {
            let (Some(x), Some(s)) = (value(ctx, elem), value(ctx, set)) else {
                return false;
            };
            let found = match (x, s) {
                (V::Str(x), V::Strs(s)) => s.iter().any(|y| y == x),
                (V::Str(x), V::List(s)) => {
                    if matches!(**set, TExpr::Field(FieldRef::RiskFlags)) {
                        s.iter().any(|y| y.eq_ignore_ascii_case(x))
                    } else {
                        s.contains(&x)
                    }
                }
                (V::Enum(m), V::Strs(s)) => {
                    enum_name(ctx, elem, m).is_some_and(|n| s.iter().any(|y| *y == n))
                }
                (V::Ip(a), V::Strs(s)) => s
                    .iter()
                    .any(|n| permit0_vm::value::Net::parse(n).is_ok_and(|n| n.contains(a))),
                _ => return false,
            };
            found != *negated
        }
        TExpr::Text(op, subject, needle) => {
            let Some(subj) = value(ctx, subject) else {
                return false;
            };
            let Some(need) = value(ctx, needle) else {
                return false;
            };
            let needles: Vec<String> = match need {
                V::Str(s) => vec![fold(s)],
                V::Strs(v) => v.iter().map(|s| fold(s)).collect(),
                V::List(v) => v.iter().map(|s| fold(s)).collect(),
                _ => return false,
            };
            if matches!(**subject, TExpr::Field(FieldRef::RiskFlags)) {
                let have: Vec<String> = ctx.flags.names().map(fold).collect();
                return match op {
                    TextOp::ContainsAny => needles.iter().any(|n| have.contains(n)),
                    _ => needles.iter().all(|n| have.contains(n)),
                };
            }
            let (items, is_list): (Vec<String>, bool) = match subj {
                V::Str(s) => (vec![fold(s)], false),
                V::List(l) => (l.iter().map(|s| fold(s)).collect(), true),
                _ => return false,
            };
            let hit = |n: &str| {
                items.iter().any(|t| match op {
                    TextOp::StartsWith => t.starts_with(n),
                    TextOp::EndsWith => t.ends_with(n),
                    _ if is_list => t == n,
                    _ => t.contains(n),
                })
            };
            let needles: Vec<&String> = needles
                .iter()
                .filter(|n| {
                    !n.is_empty() || !matches!(op, TextOp::ContainsAny | TextOp::ContainsAll)
                })
                .collect();
            match op {
                TextOp::ContainsAll => needles.iter().all(|n| hit(n)),
                _ => needles.iter().any(|n| hit(n)),
            }
        }
        _ => false,
    }
}

fn enum_name<'a>(ctx: &Ctx<'a>, e: &TExpr, m: u32) -> Option<&'a str> {
    let (TExpr::Field(f) | TExpr::Default(f, _)) = e else {
        return None;
    };
    let ty = match f {
        FieldRef::Action(n) => ctx.schema.action(ctx.action)?.field(n)?.ty,
        FieldRef::Namespace(ns, n) => {
            ctx.schema
                .namespace(ns)?
                .fields
                .iter()
                .find(|x| x.name == *n)?
                .ty
        }
        _ => return None,
    };
    let crate::schema::Type::Enum(id) = ty else {
        return None;
    };
    ctx.schema
        .enum_def(id)?
        .members
        .get(m as usize)
        .map(String::as_str)
}

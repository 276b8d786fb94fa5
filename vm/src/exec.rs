//! Request in, [`Decision`] out: the interpreter. One `match` loop over
//! verified, forward-only code; `&self` only, no allocation, no lock, no I/O.

use crate::decision::{Cause, Decision};
use crate::instr::{Instr, TextOp};
use crate::program::{floored, ActionRt, MatcherRt, Program};
use crate::request::Request;
use crate::risk::{Tier, Verdict};
use crate::value::{Text, Value};

/// Sees the run on the explain path; the decide path uses [`Quiet`], which
/// compiles to nothing.
pub(crate) trait Observer {
    /// Return true to stop at the first decision (the decide path).
    const STOP: bool;
    fn fired(&mut self, _rule: usize, _pc: usize) {}
    fn gate(&mut self, _gate: usize) {}
}

pub(crate) struct Quiet;

/// A tainted request (something the caller added was ignored) is never
/// decided looser than escalate; a deny stands.
#[inline]
pub(crate) fn tighten(req: &Request, d: Decision) -> Decision {
    if req.taint.is_some() && d.verdict == Verdict::Allow {
        Decision {
            verdict: Verdict::Escalate,
            cause: Cause::Tainted,
            ..d
        }
    } else {
        d
    }
}

impl Observer for Quiet {
    const STOP: bool = true;
}

impl Program {
    /// Decides one bound request.
    #[inline]
    pub fn decide(&self, req: &Request) -> Decision {
        tighten(req, self.run(req, &mut Quiet))
    }

    pub(crate) fn run<O: Observer>(&self, req: &Request, obs: &mut O) -> Decision {
        if req.instance != self.instance {
            return Decision::fail(Verdict::Escalate, Cause::StaleRequest);
        }
        let Some(id) = req.action else {
            return Decision::fail(Verdict::Escalate, Cause::UnknownAction);
        };
        let Some(a) = self.actions.get(id as usize) else {
            return Decision::fail(Verdict::Deny, Cause::Internal);
        };
        let mut d = Decision {
            verdict: Verdict::Deny,
            cause: Cause::Internal,
            score: a.base.score,
            tier: a.base.tier,
            flags: a.flags,
            action: Some(id),
        };
        let mut first: Option<Decision> = None;
        if let Some(g) = a.base_gate {
            let gated = Decision {
                verdict: Verdict::Deny,
                cause: Cause::Gate(u8::try_from(g).unwrap_or(u8::MAX)),
                ..d
            };
            obs.gate(g);
            if O::STOP {
                return gated;
            }
            first = Some(gated);
        }
        let mut amps = a.amps;
        let mut acc = false;
        let mut pc = 0usize;
        let code = &a.code;
        loop {
            let Some(ins) = code.get(pc) else {
                return first.unwrap_or(Decision {
                    verdict: Verdict::Deny,
                    cause: Cause::Internal,
                    ..d
                });
            };
            match *ins {
                Instr::ScoreCmpK { op, k } => {
                    acc = self
                        .ints
                        .get(k as usize)
                        .is_some_and(|k| op.test(i64::from(d.score), *k))
                }
                Instr::TierCmpK { op, tier } => acc = op.test(d.tier as u8, tier),
                Instr::FlagsHave { mask } => acc = d.flags.0 & mask == mask,
                Instr::Const { value } => acc = value,
                Instr::Not => acc = !acc,
                Instr::JumpIfFalse { to } => {
                    if !acc {
                        pc = to as usize;
                        continue;
                    }
                }
                Instr::JumpIfTrue { to } => {
                    if acc {
                        pc = to as usize;
                        continue;
                    }
                }
                Instr::Amplify { rule } => {
                    if let Some(r) = self.rules.get(rule as usize) {
                        for (amp, delta) in &r.amplify {
                            amps.add(*amp, *delta);
                        }
                        obs.fired(rule as usize, pc);
                    }
                }
                Instr::Score => {
                    let s = floored(self.model.score(a.flags, &amps), a.floor);
                    d.score = s.score;
                    d.tier = s.tier;
                    if let Some(g) = self.model.gate(a.flags, &amps) {
                        let gated = Decision {
                            verdict: Verdict::Deny,
                            cause: Cause::Gate(u8::try_from(g).unwrap_or(u8::MAX)),
                            ..d
                        };
                        obs.gate(g);
                        if O::STOP {
                            return gated;
                        }
                        first.get_or_insert(gated);
                    }
                }
                Instr::Fire { rule } => {
                    let verdict = self
                        .rules
                        .get(rule as usize)
                        .and_then(|r| r.verdict)
                        .unwrap_or(Verdict::Deny);
                    let fired = Decision {
                        verdict,
                        cause: Cause::Rule(rule),
                        ..d
                    };
                    obs.fired(rule as usize, pc);
                    if O::STOP {
                        return fired;
                    }
                    first.get_or_insert(fired);
                }
                Instr::Default => {
                    let def = Decision {
                        verdict: default_verdict(a, d.tier),
                        cause: Cause::Default,
                        ..d
                    };
                    return first.unwrap_or(def);
                }
                // Verified away: rule code holds no `mark`.
                Instr::Mark { .. } => acc = false,
                ref test => acc = self.test(test, req),
            }
            pc += 1;
        }
    }

    /// The instructions that only test the request: conditions on slots and
    /// session aggregates. Shared by rule code and mark code.
    #[inline(always)]
    fn test(&self, ins: &Instr, req: &Request) -> bool {
        match *ins {
            Instr::IntCmpK { slot, op, k } => {
                match (req.slots.get(slot as usize), self.ints.get(k as usize)) {
                    (Some(Value::Int(v)), Some(k)) => op.test(*v, *k),
                    _ => false,
                }
            }
            Instr::IntCmpSlot { a: x, op, b: y } => {
                match (req.slots.get(x as usize), req.slots.get(y as usize)) {
                    (Some(Value::Int(l)), Some(Value::Int(r))) => op.test(*l, *r),
                    _ => false,
                }
            }
            Instr::BoolIs { slot, value } => {
                matches!(req.slots.get(slot as usize), Some(Value::Bool(b)) if *b == value)
            }
            Instr::EnumCmpK { slot, op, member } => {
                matches!(req.slots.get(slot as usize), Some(Value::Enum(m)) if op.test(*m, member))
            }
            Instr::EnumInSet { slot, set, negate } => {
                match (
                    req.slots.get(slot as usize),
                    self.enum_sets.get(set as usize),
                ) {
                    (Some(Value::Enum(m)), Some(s)) => s.binary_search(m).is_ok() != negate,
                    _ => false,
                }
            }
            Instr::StrEqK { slot, k, negate } => {
                match (req.slots.get(slot as usize), self.strs.get(k as usize)) {
                    (Some(Value::Str(t)), Some(k)) => (*t.raw == **k) != negate,
                    _ => false,
                }
            }
            Instr::StrEqSlot { a: x, b: y, negate } => {
                match (req.slots.get(x as usize), req.slots.get(y as usize)) {
                    (Some(Value::Str(l)), Some(Value::Str(r))) => (l.raw == r.raw) != negate,
                    _ => false,
                }
            }
            Instr::StrInSet { slot, set, negate } => {
                match (req.slots.get(slot as usize), self.sets.get(set as usize)) {
                    (Some(Value::Str(t)), Some(s)) => {
                        s.binary_search_by(|x| (**x).cmp(&*t.raw)).is_ok() != negate
                    }
                    _ => false,
                }
            }
            Instr::StrInSlot { a: x, b: y, negate } => {
                match (req.slots.get(x as usize), req.slots.get(y as usize)) {
                    (Some(Value::Str(t)), Some(Value::List(l))) => {
                        l.iter().any(|e| e.raw == t.raw) != negate
                    }
                    _ => false,
                }
            }
            Instr::ListHasK { slot, k, negate } => {
                match (req.slots.get(slot as usize), self.strs.get(k as usize)) {
                    (Some(Value::List(l)), Some(k)) => l.iter().any(|e| *e.raw == **k) != negate,
                    _ => false,
                }
            }
            Instr::TextK { op, slot, k } => {
                match (req.slots.get(slot as usize), self.strs.get(k as usize)) {
                    (Some(v), Some(needle)) => text_test(op, v, needle),
                    _ => false,
                }
            }
            Instr::TextSlot { op, slot, needle } => {
                match (req.slots.get(slot as usize), req.slots.get(needle as usize)) {
                    (Some(v), Some(Value::Str(n))) => text_test(op, v, &n.folded),
                    _ => false,
                }
            }
            Instr::TextAnyOf { op, slot, set } => {
                match (req.slots.get(slot as usize), self.sets.get(set as usize)) {
                    (Some(v), Some(s)) => s.iter().any(|n| text_test(op, v, n)),
                    _ => false,
                }
            }
            Instr::Match { slot, m } => {
                match (req.slots.get(slot as usize), self.matchers.get(m as usize)) {
                    (Some(v), Some(m)) => matches(m, v),
                    _ => false,
                }
            }
            Instr::LenCmpK { slot, op, k } => {
                let len = match req.slots.get(slot as usize) {
                    Some(Value::Str(t)) => Some(t.raw.chars().count()),
                    Some(Value::List(l)) => Some(l.len()),
                    _ => None,
                };
                match (
                    len.and_then(|l| i64::try_from(l).ok()),
                    self.ints.get(k as usize),
                ) {
                    (Some(l), Some(k)) => op.test(l, *k),
                    _ => false,
                }
            }
            Instr::AggCmpK { agg, op, k } => {
                match (req.aggs.get(agg as usize), self.ints.get(k as usize)) {
                    (Some(v), Some(k)) => op.test(*v, *k),
                    _ => false,
                }
            }
            Instr::AggIs { agg } => req.aggs.get(agg as usize).is_some_and(|v| *v != 0),
            Instr::Has { slot } => {
                !matches!(req.slots.get(slot as usize), None | Some(Value::Absent))
            }
            _ => false,
        }
    }

    /// Runs the action's mark code on a recorded request and calls `mark`
    /// with each session aggregate it counts toward. No allocation.
    pub fn marks(&self, req: &Request, mut mark: impl FnMut(usize)) {
        if req.instance != self.instance {
            return;
        }
        let Some(a) = req.action.and_then(|id| self.actions.get(id as usize)) else {
            return;
        };
        let code = &a.marks;
        let mut acc = false;
        let mut pc = 0usize;
        while let Some(ins) = code.get(pc) {
            match *ins {
                Instr::Mark { agg } => mark(agg as usize),
                Instr::FlagsHave { mask } => acc = a.flags.0 & mask == mask,
                Instr::Const { value } => acc = value,
                Instr::Not => acc = !acc,
                Instr::JumpIfFalse { to } => {
                    if !acc {
                        pc = to as usize;
                        continue;
                    }
                }
                Instr::JumpIfTrue { to } => {
                    if acc {
                        pc = to as usize;
                        continue;
                    }
                }
                Instr::Default => return,
                ref test => acc = self.test(test, req),
            }
            pc += 1;
        }
    }
}

fn default_verdict(_a: &ActionRt, tier: Tier) -> Verdict {
    tier.default_verdict()
}

/// Case-insensitive: `needle` is folded at compile time, the subject at bind
/// time.
#[inline]
fn text_test(op: TextOp, v: &Value, needle: &str) -> bool {
    let one = |t: &Text| match op {
        TextOp::Contains => t.folded.contains(needle),
        TextOp::StartsWith => t.folded.starts_with(needle),
        TextOp::EndsWith => t.folded.ends_with(needle),
    };
    match v {
        Value::Str(t) => one(t),
        // For a list, `contains` means "has an element equal to".
        Value::List(items) => items.iter().any(|t| match op {
            TextOp::Contains => *t.folded == *needle,
            _ => one(t),
        }),
        _ => false,
    }
}

#[inline]
fn matches(m: &MatcherRt, v: &Value) -> bool {
    match v {
        Value::Str(t) => {
            let text = &*t.folded;
            let ac = &m.automaton;
            if !m.all {
                return ac.is_match(text);
            }
            let mut seen = 0u64;
            for hit in ac.find_overlapping_iter(text) {
                seen |= 1u64 << (hit.pattern().as_usize() & 63);
            }
            let want = if m.count >= 64 {
                u64::MAX
            } else {
                (1u64 << m.count) - 1
            };
            seen & want == want
        }
        Value::List(items) => {
            if m.all {
                m.sorted
                    .iter()
                    .all(|n| items.iter().any(|t| *t.folded == **n))
            } else {
                items
                    .iter()
                    .any(|t| m.sorted.binary_search_by(|n| (**n).cmp(&*t.folded)).is_ok())
            }
        }
        _ => false,
    }
}

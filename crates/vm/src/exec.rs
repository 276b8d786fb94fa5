//! Request in, [`Decision`] out: the interpreter. One `match` loop over
//! verified, forward-only code; `&self` only, no allocation, no lock, no I/O.

use crate::arith::CLEAR;
use crate::decision::{Cause, Decision, Fault};
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

/// The decision of a run that met an impossible state: deny, keeping what
/// the run knew about the action.
#[inline(never)]
#[cold]
fn faulted(d: Decision, fault: Fault, pc: usize) -> Decision {
    Decision {
        verdict: Verdict::Deny,
        cause: Cause::Internal {
            fault,
            pc: u16::try_from(pc).unwrap_or(u16::MAX - 1),
        },
        ..d
    }
}

#[inline(always)]
fn slot(req: &Request, s: u8) -> Result<&Value, Fault> {
    req.slots.get(s as usize).ok_or(Fault::Slot)
}

/// The subject of a text test: a string, a list of strings, or absent
/// (which every text test reads as false).
#[inline(always)]
fn textual(v: &Value) -> Result<&Value, Fault> {
    match v {
        Value::Str(_) | Value::List(_) | Value::Absent => Ok(v),
        Value::Bool(_)
        | Value::Int(_)
        | Value::Enum(_)
        | Value::Grants(_)
        | Value::Chain(_)
        | Value::Ip(_) => Err(Fault::Type),
    }
}

#[inline(always)]
fn pool<T>(pool: &[T], i: u16) -> Result<&T, Fault> {
    pool.get(i as usize).ok_or(Fault::Constant)
}

impl Program {
    /// Decides one bound request.
    #[inline]
    pub fn decide(&self, req: &Request) -> Decision {
        tighten(req, self.run(req, &mut Quiet))
    }

    /// Runs an action's rule code. Every state verified code cannot reach —
    /// an index out of range, a value of the wrong type, a backward jump,
    /// code that runs off its end — ends the run with **deny** and
    /// [`Cause::Internal`]: a bug in the verifier or the loader can cost an
    /// action, never let one through.
    #[inline]
    pub(crate) fn run<O: Observer>(&self, req: &Request, obs: &mut O) -> Decision {
        if req.instance != self.instance {
            return Decision::fail(Verdict::Escalate, Cause::StaleRequest);
        }
        let Some(id) = req.action else {
            return Decision::fail(Verdict::Escalate, Cause::UnknownAction);
        };
        let Some(a) = self.action(id as usize) else {
            return Decision::fail(
                Verdict::Deny,
                Cause::Internal {
                    fault: Fault::Action,
                    pc: u16::MAX,
                },
            );
        };
        if O::STOP {
            if let Some(steps) = &a.plain {
                return self.run_plain(a, steps, id, req);
            }
        }
        self.run_code(a, id, req, obs)
    }

    /// `run` over the action's code as compiled: every instruction, on the
    /// explain path and for actions that score. Out of line, so the plain
    /// path `decide` takes is small enough to be inlined where it is called.
    #[inline(never)]
    fn run_code<O: Observer>(&self, a: &ActionRt, id: u32, req: &Request, obs: &mut O) -> Decision {
        let mut d = Decision {
            verdict: Verdict::Deny,
            cause: Cause::Internal {
                fault: Fault::End,
                pc: u16::MAX,
            },
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
        let mut scored = false;
        let mut acc = false;
        // Set up on the first `num.*` instruction: most actions do no
        // arithmetic, and clearing the registers on every run costs them.
        let mut regs: Option<crate::arith::Regs> = None;
        let mut pc = 0usize;
        let code: &[Instr] = &a.code;
        // On the explain path a decision may already have been reached (the
        // one `decide` returns); a fault after it does not change it.
        macro_rules! fault {
            ($f:expr) => {
                return first.unwrap_or_else(|| faulted(d, $f, pc))
            };
        }
        // One arm per test instruction, each with its own copy of `test`:
        // in an arm the compiler knows the variant, so `test`'s own `match`
        // folds away and an instruction costs one dispatch, not two.
        macro_rules! tested {
            ($ins:expr) => {
                match self.test($ins, req) {
                    Ok(v) => acc = v,
                    Err(f) => fault!(f),
                }
            };
        }
        loop {
            let Some(ins) = code.get(pc) else {
                fault!(Fault::End);
            };
            match *ins {
                Instr::IntCmpK { .. } => tested!(ins),
                Instr::IntCmpSlot { .. } => tested!(ins),
                Instr::BoolIs { .. } => tested!(ins),
                Instr::EnumCmpK { .. } => tested!(ins),
                Instr::EnumInSet { .. } => tested!(ins),
                Instr::StrEqK { .. } => tested!(ins),
                Instr::StrEqSlot { .. } => tested!(ins),
                Instr::StrInSet { .. } => tested!(ins),
                Instr::IpInSet { .. } => tested!(ins),
                Instr::StrInSlot { .. } => tested!(ins),
                Instr::ListHasK { .. } => tested!(ins),
                Instr::TextK { .. } => tested!(ins),
                Instr::TextSlot { .. } => tested!(ins),
                Instr::TextAnyOf { .. } => tested!(ins),
                Instr::Match { .. } => tested!(ins),
                Instr::LenCmpK { .. } => tested!(ins),
                Instr::AggCmpK { .. } => tested!(ins),
                Instr::AggIs { .. } => tested!(ins),
                Instr::Has { .. } => tested!(ins),
                Instr::GrantActive { .. } => tested!(ins),
                Instr::ChainWidens { .. } => tested!(ins),
                Instr::ChainExceeds { .. } => tested!(ins),
                Instr::ChainLenK { .. } => tested!(ins),
                Instr::NumSlot { .. }
                | Instr::NumK { .. }
                | Instr::NumAgg { .. }
                | Instr::NumOp { .. }
                | Instr::NumCmp { .. }
                | Instr::NumLocal { .. } => {
                    match self.num(ins, req, regs.get_or_insert(CLEAR), true) {
                        Ok(Some(v)) => acc = v,
                        Ok(None) => {}
                        Err(f) => fault!(f),
                    }
                }
                Instr::ScoreCmpK { op, k } => match pool(&self.ints, k) {
                    Ok(k) => acc = op.test(i64::from(d.score), *k),
                    Err(f) => fault!(f),
                },
                Instr::TierCmpK { op, tier } => acc = op.test(d.tier as u8, tier),
                Instr::FlagsHave { mask } => acc = d.flags.0 & mask == mask,
                Instr::Const { value } => acc = value,
                Instr::Not => acc = !acc,
                Instr::JumpIfFalse { to } | Instr::JumpIfTrue { to } => {
                    let to = to as usize;
                    if to <= pc {
                        fault!(Fault::Jump);
                    }
                    if acc == matches!(ins, Instr::JumpIfTrue { .. }) {
                        pc = to;
                        continue;
                    }
                }
                Instr::Amplify { rule } => {
                    if scored {
                        fault!(Fault::Order);
                    }
                    match self.rules.get(rule as usize) {
                        Some(r) if r.verdict.is_none() => {
                            for (amp, delta) in &r.amplify {
                                amps.add(*amp, *delta);
                            }
                            obs.fired(rule as usize, pc);
                        }
                        _ => fault!(Fault::Rule),
                    }
                }
                Instr::Score => {
                    if scored {
                        fault!(Fault::Order);
                    }
                    scored = true;
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
                    let Some(verdict) = self.rules.get(rule as usize).and_then(|r| r.verdict)
                    else {
                        fault!(Fault::Rule);
                    };
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
                Instr::Mark { .. } => fault!(Fault::Misplaced),
            }
            pc += 1;
        }
    }

    /// `run` on the decide path for a plain action ([`ActionRt::plain`]):
    /// the same decision, with less to set up and carry. No score changes,
    /// so a decision is the action's declared risk; a test and the
    /// conditional jump after it are one step.
    #[inline(always)]
    fn run_plain(&self, a: &ActionRt, steps: &[Step], id: u32, req: &Request) -> Decision {
        let mut pc = 0usize;
        let mut acc = false;
        let decision = |verdict, cause| Decision {
            verdict,
            cause,
            score: a.base.score,
            tier: a.base.tier,
            flags: a.flags,
            action: Some(id),
        };
        macro_rules! fault {
            ($f:expr) => {
                return faulted(
                    decision(
                        Verdict::Deny,
                        Cause::Internal {
                            fault: Fault::End,
                            pc: u16::MAX,
                        },
                    ),
                    $f,
                    pc,
                )
            };
        }
        macro_rules! tested {
            ($ins:expr) => {
                match self.test($ins, req) {
                    Ok(v) => acc = v,
                    Err(f) => fault!(f),
                }
            };
        }
        loop {
            let Some(step) = steps.get(pc) else {
                fault!(Fault::End);
            };
            let ins = &step.ins;
            match *ins {
                Instr::IntCmpK { .. } => tested!(ins),
                Instr::IntCmpSlot { .. } => tested!(ins),
                Instr::BoolIs { .. } => tested!(ins),
                Instr::EnumCmpK { .. } => tested!(ins),
                Instr::EnumInSet { .. } => tested!(ins),
                Instr::StrEqK { .. } => tested!(ins),
                Instr::StrEqSlot { .. } => tested!(ins),
                Instr::StrInSet { .. } => tested!(ins),
                Instr::IpInSet { .. } => tested!(ins),
                Instr::StrInSlot { .. } => tested!(ins),
                Instr::ListHasK { .. } => tested!(ins),
                Instr::TextK { .. } => tested!(ins),
                Instr::TextSlot { .. } => tested!(ins),
                Instr::TextAnyOf { .. } => tested!(ins),
                Instr::Match { .. } => tested!(ins),
                Instr::LenCmpK { .. } => tested!(ins),
                Instr::AggCmpK { .. } => tested!(ins),
                Instr::AggIs { .. } => tested!(ins),
                Instr::Has { .. } => tested!(ins),
                Instr::GrantActive { .. } => tested!(ins),
                Instr::ChainWidens { .. } => tested!(ins),
                Instr::ChainExceeds { .. } => tested!(ins),
                Instr::ChainLenK { .. } => tested!(ins),
                Instr::Const { value } => acc = value,
                Instr::Not => acc = !acc,
                Instr::JumpIfFalse { .. } | Instr::JumpIfTrue { .. } => {}
                Instr::Fire { rule } => {
                    let Some(verdict) = step.fires else {
                        fault!(Fault::Rule);
                    };
                    return decision(verdict, Cause::Rule(rule));
                }
                Instr::Default => {
                    return decision(default_verdict(a, a.base.tier), Cause::Default);
                }
                Instr::NumSlot { .. }
                | Instr::NumK { .. }
                | Instr::NumAgg { .. }
                | Instr::NumOp { .. }
                | Instr::NumCmp { .. }
                | Instr::NumLocal { .. }
                | Instr::ScoreCmpK { .. }
                | Instr::TierCmpK { .. }
                | Instr::FlagsHave { .. }
                | Instr::Amplify { .. }
                | Instr::Score
                | Instr::Mark { .. } => fault!(Fault::Misplaced),
            }
            // Forward only: `steps` made every successor greater than its
            // step's own index.
            pc = if acc { step.yes } else { step.no } as usize;
        }
    }

    /// The instructions that only test the request: conditions on slots and
    /// session aggregates. Shared by rule code and mark code.
    ///
    /// An absent value reads `false` whatever the polarity; every other
    /// value the instruction cannot read — an index out of range, a value of
    /// another type, an instruction that is not a test — is a [`Fault`].
    #[inline(always)]
    fn test(&self, ins: &Instr, req: &Request) -> Result<bool, Fault> {
        Ok(match *ins {
            Instr::IntCmpK { slot: s, op, k } => match (slot(req, s)?, pool(&self.ints, k)?) {
                (Value::Int(v), k) => op.test(*v, *k),
                (Value::Absent, _) => false,
                _ => return Err(Fault::Type),
            },
            Instr::IntCmpSlot { a: x, op, b: y } => match (slot(req, x)?, slot(req, y)?) {
                (Value::Int(l), Value::Int(r)) => op.test(*l, *r),
                (Value::Absent | Value::Int(_), Value::Absent | Value::Int(_)) => false,
                _ => return Err(Fault::Type),
            },
            Instr::BoolIs { slot: s, value } => match slot(req, s)? {
                Value::Bool(b) => *b == value,
                Value::Absent => false,
                _ => return Err(Fault::Type),
            },
            Instr::EnumCmpK {
                slot: s,
                op,
                member,
            } => match slot(req, s)? {
                Value::Enum(m) => op.test(*m, member),
                Value::Absent => false,
                _ => return Err(Fault::Type),
            },
            Instr::EnumInSet {
                slot: s,
                set,
                negate,
            } => match (slot(req, s)?, pool(&self.enum_sets, set)?) {
                (Value::Enum(m), s) => s.binary_search(m).is_ok() != negate,
                (Value::Absent, _) => false,
                _ => return Err(Fault::Type),
            },
            Instr::StrEqK { slot: s, k, negate } => match (slot(req, s)?, pool(&self.strs, k)?) {
                (Value::Str(t), k) => same(&t.raw, k) != negate,
                (Value::Absent, _) => false,
                _ => return Err(Fault::Type),
            },
            Instr::StrEqSlot { a: x, b: y, negate } => match (slot(req, x)?, slot(req, y)?) {
                (Value::Str(l), Value::Str(r)) => (l.raw == r.raw) != negate,
                (Value::Absent | Value::Str(_), Value::Absent | Value::Str(_)) => false,
                _ => return Err(Fault::Type),
            },
            Instr::StrInSet {
                slot: s,
                set,
                negate,
            } => match (slot(req, s)?, pool(&self.sets, set)?) {
                (Value::Str(t), s) => in_set(s, &t.raw) != negate,
                (Value::Absent, _) => false,
                _ => return Err(Fault::Type),
            },
            Instr::IpInSet {
                slot: s,
                set,
                negate,
            } => match (slot(req, s)?, pool(&self.nets, set)?) {
                (Value::Ip(a), nets) => nets.iter().any(|n| n.contains(**a)) != negate,
                (Value::Absent, _) => false,
                _ => return Err(Fault::Type),
            },
            Instr::StrInSlot { a: x, b: y, negate } => match (slot(req, x)?, slot(req, y)?) {
                (Value::Str(t), Value::List(l)) => l.iter().any(|e| e.raw == t.raw) != negate,
                (Value::Absent | Value::Str(_), Value::Absent | Value::List(_)) => false,
                _ => return Err(Fault::Type),
            },
            Instr::ListHasK { slot: s, k, negate } => match (slot(req, s)?, pool(&self.strs, k)?) {
                (Value::List(l), k) => l.iter().any(|e| *e.raw == **k) != negate,
                (Value::Absent, _) => false,
                _ => return Err(Fault::Type),
            },
            Instr::TextK { op, slot: s, k } => {
                let needle = pool(&self.strs, k)?;
                match textual(slot(req, s)?)? {
                    Value::Str(t) => text_one(op, &t.folded, needle),
                    v => text_test(op, v, needle),
                }
            }
            Instr::TextSlot {
                op,
                slot: s,
                needle,
            } => {
                let subject = textual(slot(req, s)?)?;
                match slot(req, needle)? {
                    Value::Str(n) => text_test(op, subject, &n.folded),
                    Value::Absent => false,
                    _ => return Err(Fault::Type),
                }
            }
            Instr::TextAnyOf { op, slot: s, set } => {
                let set = pool(&self.sets, set)?;
                let v = textual(slot(req, s)?)?;
                set.iter().any(|n| text_test(op, v, n))
            }
            Instr::Match { slot: s, m } => {
                let m = pool(&self.matchers, m)?;
                matches(m, textual(slot(req, s)?)?).ok_or(Fault::Constant)?
            }
            Instr::LenCmpK { slot: s, op, k } => {
                let k = pool(&self.ints, k)?;
                let len = match slot(req, s)? {
                    Value::Str(t) => t.raw.chars().count(),
                    Value::List(l) => l.len(),
                    Value::Absent => return Ok(false),
                    _ => return Err(Fault::Type),
                };
                i64::try_from(len).is_ok_and(|l| op.test(l, *k))
            }
            Instr::AggCmpK { agg, op, k } => {
                let v = req.aggs.get(agg as usize).ok_or(Fault::Aggregate)?;
                op.test(*v, *pool(&self.ints, k)?)
            }
            Instr::AggIs { agg } => *req.aggs.get(agg as usize).ok_or(Fault::Aggregate)? != 0,
            Instr::Has { slot } => !matches!(
                req.slots.get(slot as usize).ok_or(Fault::Slot)?,
                Value::Absent
            ),
            Instr::ChainWidens { slot: s } => match slot(req, s)? {
                Value::Chain(hops) => crate::value::chain_widens(hops),
                Value::Absent => false,
                _ => return Err(Fault::Type),
            },
            Instr::ChainExceeds { list, chain } => match (slot(req, list)?, slot(req, chain)?) {
                (Value::List(items), Value::Chain(hops)) => match hops.last() {
                    Some(last) => items.iter().any(|s| !last.holds(&s.raw)),
                    None => !items.is_empty(),
                },
                (Value::Absent | Value::List(_), Value::Absent | Value::Chain(_)) => false,
                _ => return Err(Fault::Type),
            },
            Instr::ChainLenK { slot: s, op, k } => match (slot(req, s)?, pool(&self.ints, k)?) {
                (Value::Chain(hops), k) => i64::try_from(hops.len()).is_ok_and(|n| op.test(n, *k)),
                (Value::Absent, _) => false,
                _ => return Err(Fault::Type),
            },
            Instr::GrantActive {
                slot: s,
                time,
                scope,
            } => {
                let scope = match scope {
                    u16::MAX => None,
                    k => Some(pool(&self.strs, k)?),
                };
                let name = req
                    .action
                    .and_then(|a| self.action(a as usize))
                    .ok_or(Fault::Action)?;
                match (slot(req, s)?, slot(req, time)?) {
                    (Value::Grants(gs), Value::Int(t)) => gs.iter().any(|g| {
                        g.covers(&name.name, *t) && scope.is_none_or(|k| same(&g.scope.raw, k))
                    }),
                    (Value::Absent | Value::Grants(_), Value::Absent | Value::Int(_)) => false,
                    _ => return Err(Fault::Type),
                }
            }
            Instr::ScoreCmpK { .. }
            | Instr::TierCmpK { .. }
            | Instr::FlagsHave { .. }
            | Instr::Const { .. }
            | Instr::Not
            | Instr::JumpIfFalse { .. }
            | Instr::JumpIfTrue { .. }
            | Instr::Amplify { .. }
            | Instr::Score
            | Instr::Fire { .. }
            | Instr::Default
            | Instr::Mark { .. }
            | Instr::NumSlot { .. }
            | Instr::NumK { .. }
            | Instr::NumAgg { .. }
            | Instr::NumOp { .. }
            | Instr::NumCmp { .. }
            | Instr::NumLocal { .. } => return Err(Fault::Misplaced),
        })
    }

    /// Runs the action's mark code on a recorded request and calls `mark`
    /// with each session aggregate it counts toward. No allocation.
    ///
    /// Fails closed like `decide`: if the mark code meets a state verified
    /// code cannot reach, the tests before it decided correctly, and from
    /// there on the action counts toward every aggregate a later `mark`
    /// names (an over-count can deny, never allow).
    pub fn marks(&self, req: &Request, mut mark: impl FnMut(usize)) {
        if req.instance != self.instance {
            return;
        }
        let Some(a) = req.action.and_then(|id| self.action(id as usize)) else {
            return;
        };
        let code = &a.marks;
        if code.is_empty() {
            return;
        }
        let mut acc = false;
        let mut regs = CLEAR;
        let mut pc = 0usize;
        // Why the walk stopped early (kept for a debugger; the effect is the same).
        let _why: Fault = loop {
            let Some(ins) = code.get(pc) else {
                break Fault::End;
            };
            match *ins {
                Instr::Mark { agg } => mark(agg as usize),
                Instr::FlagsHave { mask } => acc = a.flags.0 & mask == mask,
                Instr::Const { value } => acc = value,
                Instr::Not => acc = !acc,
                Instr::JumpIfFalse { to } | Instr::JumpIfTrue { to } => {
                    let to = to as usize;
                    if to <= pc {
                        break Fault::Jump;
                    }
                    if acc == matches!(ins, Instr::JumpIfTrue { .. }) {
                        pc = to;
                        continue;
                    }
                }
                Instr::Default => return,
                Instr::IntCmpK { .. }
                | Instr::IntCmpSlot { .. }
                | Instr::BoolIs { .. }
                | Instr::EnumCmpK { .. }
                | Instr::EnumInSet { .. }
                | Instr::StrEqK { .. }
                | Instr::StrEqSlot { .. }
                | Instr::StrInSet { .. }
                | Instr::IpInSet { .. }
                | Instr::StrInSlot { .. }
                | Instr::ListHasK { .. }
                | Instr::TextK { .. }
                | Instr::TextSlot { .. }
                | Instr::TextAnyOf { .. }
                | Instr::Match { .. }
                | Instr::LenCmpK { .. }
                | Instr::Has { .. }
                | Instr::GrantActive { .. }
                | Instr::ChainWidens { .. }
                | Instr::ChainExceeds { .. }
                | Instr::ChainLenK { .. } => match self.test(ins, req) {
                    Ok(v) => acc = v,
                    Err(f) => break f,
                },
                Instr::NumSlot { .. }
                | Instr::NumK { .. }
                | Instr::NumAgg { .. }
                | Instr::NumOp { .. }
                | Instr::NumCmp { .. }
                | Instr::NumLocal { .. } => match self.num(ins, req, &mut regs, false) {
                    Ok(Some(v)) => acc = v,
                    Ok(None) => {}
                    Err(f) => break f,
                },
                Instr::AggCmpK { .. }
                | Instr::AggIs { .. }
                | Instr::ScoreCmpK { .. }
                | Instr::TierCmpK { .. }
                | Instr::Amplify { .. }
                | Instr::Score
                | Instr::Fire { .. } => break Fault::Misplaced,
            }
            pc += 1;
        };
        // What ran before the fault ran correctly; from the fault on, assume
        // the worst: every later `mark` is made.
        for ins in code.get(pc..).unwrap_or(&[]) {
            if let Instr::Mark { agg } = *ins {
                mark(agg as usize);
            }
        }
    }
}

/// One step of a plain action's code ([`ActionRt::plain`]): an
/// instruction and where the run goes after it, to `yes` when the
/// accumulator is then true and to `no` when false. A test (or `const`,
/// `not`) followed by a conditional jump goes straight where the jump
/// would; the jump's own step stays, for code that jumps to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    pub ins: Instr,
    /// For `fire`, its rule's verdict (`None`: the rule has none, or there
    /// is no such rule — a fault, as on the general path).
    pub fires: Option<Verdict>,
    pub yes: u32,
    pub no: u32,
}

/// The steps of `code`, if every instruction is [`plain`] and every jump
/// goes forward (verified code's do; were one not to, the code runs on the
/// general path, which faults on it). Every successor is greater than its
/// step's index, so a run of steps ends.
pub(crate) fn steps(
    code: &[Instr],
    verdict: impl Fn(u16) -> Option<Verdict>,
) -> Option<Box<[Step]>> {
    if !code.iter().all(plain) {
        return None;
    }
    // The successors of the jump at `at` (false, true), or `None` if the
    // instruction there is not a jump.
    let jump = |at: usize| -> Option<Option<(u32, u32)>> {
        let (to, on_true) = match code.get(at)? {
            Instr::JumpIfFalse { to } => (usize::from(*to), false),
            Instr::JumpIfTrue { to } => (usize::from(*to), true),
            _ => return Some(None),
        };
        if to <= at {
            return None;
        }
        let (to, next) = (u32::try_from(to).ok()?, u32::try_from(at + 1).ok()?);
        Some(Some(if on_true { (next, to) } else { (to, next) }))
    };
    code.iter()
        .enumerate()
        .map(|(pc, ins)| {
            let next = u32::try_from(pc + 1).ok()?;
            let (no, yes) = match ins {
                Instr::JumpIfFalse { .. } | Instr::JumpIfTrue { .. } => jump(pc)??,
                Instr::Fire { .. } | Instr::Default => (next, next),
                _ => match code.get(pc + 1) {
                    Some(_) => jump(pc + 1)?.unwrap_or((next, next)),
                    None => (next, next),
                },
            };
            let fires = match ins {
                Instr::Fire { rule } => verdict(*rule),
                _ => None,
            };
            Some(Step {
                ins: *ins,
                fires,
                yes,
                no,
            })
        })
        .collect()
}

/// An instruction of a plain action's code: a test of the request, a jump,
/// a constant, `not`, `fire` or `default`.
pub(crate) fn plain(ins: &Instr) -> bool {
    match ins {
        Instr::IntCmpK { .. }
        | Instr::IntCmpSlot { .. }
        | Instr::BoolIs { .. }
        | Instr::EnumCmpK { .. }
        | Instr::EnumInSet { .. }
        | Instr::StrEqK { .. }
        | Instr::StrEqSlot { .. }
        | Instr::StrInSet { .. }
        | Instr::IpInSet { .. }
        | Instr::StrInSlot { .. }
        | Instr::ListHasK { .. }
        | Instr::TextK { .. }
        | Instr::TextSlot { .. }
        | Instr::TextAnyOf { .. }
        | Instr::Match { .. }
        | Instr::LenCmpK { .. }
        | Instr::AggCmpK { .. }
        | Instr::AggIs { .. }
        | Instr::Has { .. }
        | Instr::GrantActive { .. }
        | Instr::ChainWidens { .. }
        | Instr::ChainExceeds { .. }
        | Instr::ChainLenK { .. }
        | Instr::Const { .. }
        | Instr::Not
        | Instr::JumpIfFalse { .. }
        | Instr::JumpIfTrue { .. }
        | Instr::Fire { .. }
        | Instr::Default => true,
        Instr::NumSlot { .. }
        | Instr::NumK { .. }
        | Instr::NumAgg { .. }
        | Instr::NumOp { .. }
        | Instr::NumCmp { .. }
        | Instr::NumLocal { .. }
        | Instr::ScoreCmpK { .. }
        | Instr::TierCmpK { .. }
        | Instr::FlagsHave { .. }
        | Instr::Amplify { .. }
        | Instr::Score
        | Instr::Mark { .. } => false,
    }
}

fn default_verdict(_a: &ActionRt, tier: Tier) -> Verdict {
    tier.default_verdict()
}

/// Exact string equality, lengths first; short strings without a call to
/// `memcmp` (most request values and constants are short).
#[inline(always)]
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && same_len(a, b)
}

/// `a == b` for slices of one length.
#[inline(always)]
fn same_len(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    let word = |s: &[u8], at: usize| -> u64 {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let half = |s: &[u8], at: usize| -> u32 {
        s.get(at..at + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map_or(0, u32::from_le_bytes)
    };
    match n {
        // Whole words, then a last word overlapping the one before.
        8..=64 => {
            (0..n / 8).all(|i| word(a, i * 8) == word(b, i * 8)) && word(a, n - 8) == word(b, n - 8)
        }
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        // First, middle and last byte: all of a string of one to three
        // (`"dev"`, `"USD"`), without a call to `bcmp`.
        1..=3 => {
            a.first() == b.first() && a.get(n / 2) == b.get(n / 2) && a.get(n - 1) == b.get(n - 1)
        }
        _ => a == b,
    }
}

/// `needle` occurs in `hay`; short haystacks without the general searcher.
/// Eight starting places at a time: a word of the bytes where the needle's
/// first byte would lie and a word of those where its last would, compared
/// with both bytes at once; only a place where both agree is compared whole.
#[inline]
fn occurs(hay: &str, needle: &str) -> bool {
    if hay.len() > 64 {
        return hay.contains(needle);
    }
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    let (h, n) = (hay.len(), needle.len());
    let (Some(&first), Some(&last)) = (needle.first(), needle.last()) else {
        return true;
    };
    let Some(end) = h.checked_sub(n) else {
        return false;
    };
    // The last place the needle can start is `end`; a candidate past it
    // (read from the padding past the haystack's end) is never compared.
    let (first, last) = (spread(first), spread(last));
    let mut at = 0;
    while at <= end {
        let mut both =
            equal_bytes(word_at(hay, at), first) & equal_bytes(word_at(hay, at + n - 1), last);
        while both != 0 {
            let place = at + (both.trailing_zeros() / 8) as usize;
            if place > end {
                return false;
            }
            if hay
                .get(place..place + n)
                .is_some_and(|w| same_len(w, needle))
            {
                return true;
            }
            both &= both - 1;
        }
        at += 8;
    }
    false
}

/// `b` in every byte of a word.
#[inline(always)]
fn spread(b: u8) -> u64 {
    u64::from(b) * 0x0101_0101_0101_0101
}

/// The high bit of each byte of the result is set exactly where `w`'s byte
/// equals `b`'s (`b` spread), every other bit clear.
#[inline(always)]
fn equal_bytes(w: u64, b: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = w ^ b;
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The eight bytes of `s` from `at` as a little-endian word, zeros past
/// the end.
#[inline(always)]
fn word_at(s: &[u8], at: usize) -> u64 {
    if let Some(w) = s.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
        return u64::from_le_bytes(w);
    }
    // Past the end: the string's last word shifted down, or, for a string
    // shorter than a word, its bytes one by one.
    match s.len().checked_sub(8) {
        Some(tail) => {
            let w = s
                .get(tail..)
                .and_then(|w| <[u8; 8]>::try_from(w).ok())
                .map_or(0, u64::from_le_bytes);
            w.checked_shr(8 * u32::try_from(at - tail).unwrap_or(u32::MAX))
                .unwrap_or(0)
        }
        None => s
            .get(at..)
            .unwrap_or_default()
            .iter()
            .rev()
            .fold(0, |w, &b| (w << 8) | u64::from(b)),
    }
}

/// Exact membership in a sorted set. A small set is scanned: comparing
/// lengths first, it rarely reads the string's bytes (a binary search reads
/// them at every probe).
#[inline(always)]
fn in_set(set: &[Box<str>], s: &str) -> bool {
    if set.len() <= 8 {
        set.iter().any(|x| same(x, s))
    } else {
        set.binary_search_by(|x| (**x).cmp(s)).is_ok()
    }
}

/// A text test of one folded string: one call, its arguments in registers
/// (the test of a string subject, the common case, calls it directly).
#[inline(never)]
fn text_one(op: TextOp, folded: &str, needle: &str) -> bool {
    match op {
        TextOp::Contains => occurs(folded, needle),
        TextOp::StartsWith => folded
            .as_bytes()
            .get(..needle.len())
            .is_some_and(|head| same_len(head, needle.as_bytes())),
        TextOp::EndsWith => folded
            .len()
            .checked_sub(needle.len())
            .and_then(|at| folded.as_bytes().get(at..))
            .is_some_and(|tail| same_len(tail, needle.as_bytes())),
    }
}

/// Case-insensitive: `needle` is folded at compile time, the subject at bind
/// time.
#[inline]
fn text_test(op: TextOp, v: &Value, needle: &str) -> bool {
    let one = |t: &Text| text_one(op, &t.folded, needle);
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

/// `None`: the matcher's automaton could not be built (the decision
/// faults as on a bad constant, and denies).
#[inline]
fn matches(m: &MatcherRt, v: &Value) -> Option<bool> {
    Some(match v {
        Value::Str(t) => {
            let text = &*t.folded;
            let ac = m.automaton().ok()?;
            if !m.all {
                return Some(ac.is_match(text));
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
    })
}

impl Program {
    /// True when every call of raw tool `name` (a host prefix
    /// `mcp__<server>__` is stripped) that binds is denied whatever its
    /// arguments, actor, context and session: the tool maps to an action
    /// whose base risk trips a hard gate, or on every path through the
    /// action's code a deny rule fires before any other decision. Every
    /// test is taken both ways, so this is exact only in one direction:
    /// `false` means "not certain", never "allowed". A tool the bundle does
    /// not map is not certain (it escalates). A call that cannot be bound
    /// (a required argument missing) escalates instead. `permit0
    /// mcp-proxy --hide-denied` drops such tools from `tools/list`.
    pub fn denies_tool_always(&self, name: &str) -> bool {
        // A tool's mappings are tried in order and the first that applies
        // wins (conditional mappings): every call reaches one of the
        // mappings up to the first unconditional one, or none (refused as
        // escalate, not denied). Always denied means every such mapping's
        // action is.
        let bare = crate::normalize::strip_host_prefix(name);
        let named = self.plans.tools_named(&self.tools, bare).unwrap_or(&[]);
        for tool in named.iter().filter_map(|&i| self.tools.get(i as usize)) {
            if !self.action_denies_always(tool.action) {
                return false;
            }
            if !tool.conditional {
                return true;
            }
        }
        false
    }

    fn action_denies_always(&self, action: u32) -> bool {
        let Some(a) = self.action(action as usize) else {
            return false;
        };
        if a.base_gate.is_some() {
            return true;
        }
        // Code is forward-only (the verifier refuses a backward jump), so
        // one backward pass sees each instruction's successors first.
        let code: &[Instr] = &a.code;
        let mut denies = vec![false; code.len() + 1];
        for pc in (0..code.len()).rev() {
            let next = denies.get(pc + 1).copied().unwrap_or(false);
            let here = match code.get(pc) {
                Some(Instr::Fire { rule }) => {
                    self.rules.get(*rule as usize).and_then(|r| r.verdict) == Some(Verdict::Deny)
                }
                Some(Instr::Default) | None => false,
                Some(Instr::JumpIfFalse { to } | Instr::JumpIfTrue { to }) => {
                    let to = *to as usize;
                    to > pc && next && denies.get(to).copied().unwrap_or(false)
                }
                Some(_) => next,
            };
            if let Some(d) = denies.get_mut(pc) {
                *d = here;
            }
        }
        denies.first().copied().unwrap_or(false)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Strings of every length the word-wise comparisons treat differently
    /// (0–3, 4–7, 8–64, longer), differing at the start, middle and end.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ab]{0,3}",
            "[ab]{4,9}",
            "[abé]{8,20}",
            "a{60,70}b?",
            "[ab.]{0,80}",
        ]
    }

    /// Accumulator-only code: constants, `not`, forward jumps (or, rarely,
    /// a backward one), `fire` and `default`.
    fn acc_code() -> impl Strategy<Value = Vec<Instr>> {
        proptest::collection::vec((0u8..6, any::<bool>(), 0u16..24), 1..24).prop_map(|raw| {
            let n = raw.len();
            raw.into_iter()
                .enumerate()
                .map(|(pc, (kind, b, off))| {
                    // Mostly forward, within the code or just past its end.
                    let to = if off == 0 {
                        pc as u16
                    } else {
                        (pc as u16 + off).min(n as u16 + 1)
                    };
                    match kind {
                        0 => Instr::Const { value: b },
                        1 => Instr::Not,
                        2 => Instr::JumpIfFalse { to },
                        3 => Instr::JumpIfTrue { to },
                        4 => Instr::Fire { rule: u16::from(b) },
                        _ => Instr::Default,
                    }
                })
                .collect()
        })
    }

    /// Where the general interpreter's semantics end on accumulator-only
    /// code: `Ok(the pc of the fire or default)` or `Err(the fault)`.
    fn walk_code(code: &[Instr]) -> Result<usize, Fault> {
        let (mut pc, mut acc) = (0usize, false);
        loop {
            match *code.get(pc).ok_or(Fault::End)? {
                Instr::Const { value } => acc = value,
                Instr::Not => acc = !acc,
                ins @ (Instr::JumpIfFalse { to } | Instr::JumpIfTrue { to }) => {
                    let to = to as usize;
                    if to <= pc {
                        return Err(Fault::Jump);
                    }
                    if acc == matches!(ins, Instr::JumpIfTrue { .. }) {
                        pc = to;
                        continue;
                    }
                }
                Instr::Fire { .. } | Instr::Default => return Ok(pc),
                _ => unreachable!(),
            }
            pc += 1;
        }
    }

    /// The same walk over [`steps`], as `run_plain` takes it.
    fn walk_steps(steps: &[Step]) -> Result<usize, Fault> {
        let (mut pc, mut acc) = (0usize, false);
        loop {
            let step = steps.get(pc).ok_or(Fault::End)?;
            match step.ins {
                Instr::Const { value } => acc = value,
                Instr::Not => acc = !acc,
                Instr::JumpIfFalse { .. } | Instr::JumpIfTrue { .. } => {}
                Instr::Fire { .. } | Instr::Default => return Ok(pc),
                _ => unreachable!(),
            }
            let next = if acc { step.yes } else { step.no } as usize;
            assert!(next > pc, "a step goes forward");
            pc = next;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn steps_end_where_the_code_does(code in acc_code()) {
            match steps(&code, |r| (r == 0).then_some(Verdict::Allow)) {
                Some(steps) => {
                    prop_assert_eq!(steps.len(), code.len());
                    prop_assert_eq!(walk_steps(&steps), walk_code(&code));
                }
                // Only code with a backward jump is left to the general path.
                None => {
                    let backward = code.iter().enumerate().any(|(pc, i)| matches!(
                        i,
                        Instr::JumpIfFalse { to } | Instr::JumpIfTrue { to } if (*to as usize) <= pc
                    ));
                    prop_assert!(backward);
                }
            }
        }
    }

    #[test]
    fn only_plain_code_has_steps() {
        let fire = Instr::Fire { rule: 0 };
        let verdict = |r: u16| (r == 0).then_some(Verdict::Deny);
        assert_eq!(std::mem::size_of::<Step>(), 16);
        let s = steps(&[Instr::Const { value: true }, fire], verdict).unwrap();
        assert_eq!(s[1].fires, Some(Verdict::Deny));
        // A rule with no verdict (or none at all) faults when it fires.
        let s = steps(&[Instr::Fire { rule: 1 }], verdict).unwrap();
        assert_eq!(s[0].fires, None);
        assert!(steps(&[Instr::Score, fire], verdict).is_none());
        assert!(steps(&[Instr::Amplify { rule: 0 }, fire], verdict).is_none());
        // A test and its jump: one step that goes where the jump would.
        let s = steps(
            &[
                Instr::Has { slot: 0 },
                Instr::JumpIfFalse { to: 3 },
                fire,
                Instr::Default,
            ],
            verdict,
        )
        .unwrap();
        assert_eq!((s[0].yes, s[0].no), (2, 3));
    }

    proptest! {
        #[test]
        fn string_equality_is_exact(a in text(), b in text()) {
            prop_assert_eq!(same(&a, &b), a == b);
            prop_assert!(same(&a, &a.clone()));
        }

        #[test]
        fn starts_ends_and_contains_agree_with_std(hay in text(), needle in text()) {
            let t = Text::from_parts(hay.as_str().into(), hay.as_str().into());
            let v = Value::Str(t);
            prop_assert_eq!(text_test(TextOp::StartsWith, &v, &needle), hay.starts_with(&*needle));
            prop_assert_eq!(text_test(TextOp::EndsWith, &v, &needle), hay.ends_with(&*needle));
            prop_assert_eq!(text_test(TextOp::Contains, &v, &needle), hay.contains(&*needle));
            // A needle cut from the haystack is found.
            if hay.len() >= 3 && hay.is_char_boundary(1) && hay.is_char_boundary(hay.len() - 1) {
                let inner = &hay[1..hay.len() - 1];
                prop_assert!(occurs(&hay, inner));
            }
        }

        #[test]
        fn occurs_agrees_with_std(hay in "[ab\\x00é]{0,70}", needle in "[ab\\x00é]{0,5}", cut in 0usize..70) {
            prop_assert_eq!(occurs(&hay, &needle), hay.contains(&*needle));
            // A needle cut from anywhere in the haystack is found.
            let bytes = hay.as_bytes();
            let from = cut.min(bytes.len());
            let to = (from + needle.len().max(1)).min(bytes.len());
            if let Ok(inner) = std::str::from_utf8(&bytes[from..to]) {
                prop_assert!(occurs(&hay, inner));
            }
        }

        #[test]
        fn set_membership_is_exact(mut set in proptest::collection::vec(text(), 0..14), s in text()) {
            set.sort();
            set.dedup();
            let boxed: Vec<Box<str>> = set.iter().map(|x| x.as_str().into()).collect();
            prop_assert_eq!(in_set(&boxed, &s), set.contains(&s));
            if let Some(first) = set.first() {
                prop_assert!(in_set(&boxed, first));
            }
        }
    }
}

//! What a compiler can do that a rule-at-a-time evaluator cannot: it sees
//! every decide rule of an action at once.
//!
//! * **Conjuncts.** A rule's condition is split at its top-level `and`s;
//!   each conjunct is compiled on its own and followed by its own
//!   `jump.if_false`. A `has x` made redundant by another conjunct that
//!   tests `x` (every test of an absent value is false) is dropped, a
//!   repeated conjunct is dropped, and the rest are ordered cheapest first:
//!   tests of values held in the request's slots before string equality,
//!   before text search — a rule that fails on `amount` never reads the
//!   bytes of `recipient_domain`.
//! * **Skips.** When a conjunct is false, every later rule with a conjunct
//!   that *implies* it (the same test; a narrower threshold on the same
//!   field; a subset of the same strings) is false too, so the conjunct's
//!   `jump.if_false` goes straight to the first later rule that may still
//!   fire. A field tested against many thresholds is, in effect, tested
//!   once per distinct outcome.
//! * **Threading.** A jump that lands on a jump whose direction it already
//!   knows (the accumulator is unchanged) goes to that jump's destination.
//!
//! None of it changes a decision or its cause: a skipped rule is one whose
//! condition is false for this request, rules stay in their order (deny,
//! escalate, allow; source order within each), and every rule's code is
//! still one contiguous block ending in its `fire` (the explain path reads
//! the blocks).

use permit0_vm::instr::{Cmp, Instr};

/// How far ahead a failed conjunct looks for rules it rules out (bounds the
/// compile-time work on actions with thousands of rules; stopping early
/// only means a shorter jump).
const LOOKAHEAD: usize = 256;

/// The decide rules of one action as emitted: where each rule starts, and
/// each conjunct's code range and the `jump.if_false` after it.
#[derive(Debug, Default)]
pub(super) struct Layout {
    /// Start of each rule's block, then the index of the `default` after
    /// the last one.
    pub starts: Vec<usize>,
    /// `(jump, rule, conjunct start, conjunct end)`: the `jump.if_false`
    /// at `jump` follows the conjunct `code[start..end]` of rule `rule`
    /// (index into `starts`).
    pub exits: Vec<(usize, usize, usize, usize)>,
}

/// The constant pools, final, for reading the operands of tests.
pub(super) struct Pools<'a> {
    pub ints: &'a [i64],
    pub strs: &'a [String],
    pub sets: &'a [Vec<String>],
    pub enum_sets: &'a [Vec<u16>],
}

/// What a test costs: 0 reads only the slot itself, 1 may compare a
/// string's bytes (length first), 2 searches text, 3 runs a matcher.
fn cost(ins: &Instr) -> u8 {
    match ins {
        Instr::StrEqK { .. } | Instr::StrEqSlot { .. } | Instr::StrInSet { .. } => 1,
        Instr::StrInSlot { .. }
        | Instr::ListHasK { .. }
        | Instr::TextK { .. }
        | Instr::TextSlot { .. }
        | Instr::TextAnyOf { .. }
        | Instr::LenCmpK { .. } => 2,
        Instr::Match { .. } => 3,
        _ => 0,
    }
}

/// The slots a single test reads that make it false when absent (every
/// test but `has`, which is the test of presence itself).
fn absent_false(ins: &Instr) -> [Option<u8>; 2] {
    match *ins {
        Instr::IntCmpK { slot, .. }
        | Instr::BoolIs { slot, .. }
        | Instr::EnumCmpK { slot, .. }
        | Instr::EnumInSet { slot, .. }
        | Instr::StrEqK { slot, .. }
        | Instr::StrInSet { slot, .. }
        | Instr::ListHasK { slot, .. }
        | Instr::TextK { slot, .. }
        | Instr::TextAnyOf { slot, .. }
        | Instr::LenCmpK { slot, .. } => [Some(slot), None],
        Instr::IntCmpSlot { a, b, .. }
        | Instr::StrEqSlot { a, b, .. }
        | Instr::StrInSlot { a, b, .. } => [Some(a), Some(b)],
        Instr::TextSlot { slot, needle, .. } => [Some(slot), Some(needle)],
        _ => [None, None],
    }
}

/// Simplifies and orders the conjuncts of one rule (each compiled on its
/// own, jumps relative to its start).
pub(super) fn order_conjuncts(parts: &mut Vec<Vec<Instr>>) {
    // `has x` beside a test of `x` (false when `x` is absent) says nothing more.
    let tested: Vec<u8> = parts
        .iter()
        .filter_map(|p| match p.as_slice() {
            [one] => Some(absent_false(one)),
            _ => None,
        })
        .flatten()
        .flatten()
        .collect();
    parts.retain(|p| !matches!(p.as_slice(), [Instr::Has { slot }] if tested.contains(slot)));
    // `a and a` is `a`.
    let mut seen: Vec<Vec<Instr>> = Vec::new();
    parts.retain(|p| {
        if seen.contains(p) {
            false
        } else {
            seen.push(p.clone());
            true
        }
    });
    // Cheapest first; stable, so source order breaks ties.
    parts.sort_by_key(|p| (p.iter().map(cost).max().unwrap_or(0), p.len()));
}

/// A numeric test as the set of values it holds for.
#[derive(Clone, Copy)]
enum Range {
    Within(i128, i128),
    Except(i128),
}

fn range(op: Cmp, k: i128) -> Range {
    match op {
        Cmp::Eq => Range::Within(k, k),
        Cmp::Ne => Range::Except(k),
        Cmp::Lt => Range::Within(i128::MIN, k - 1),
        Cmp::Le => Range::Within(i128::MIN, k),
        Cmp::Gt => Range::Within(k + 1, i128::MAX),
        Cmp::Ge => Range::Within(k, i128::MAX),
    }
}

/// Every value `d` holds for, `c` holds for.
fn range_within(d: Range, c: Range) -> bool {
    match (d, c) {
        (Range::Within(l1, h1), Range::Within(l2, h2)) => l1 > h1 || (l2 <= l1 && h1 <= h2),
        (Range::Within(l, h), Range::Except(k)) => k < l || k > h,
        (Range::Except(a), Range::Except(b)) => a == b,
        (Range::Except(_), Range::Within(..)) => false,
    }
}

/// `(negated, members)`: a set test (`in`, or `not in` of a present value).
fn set_within<T: Ord>(d: (bool, &[T]), c: (bool, &[T])) -> bool {
    match (d, c) {
        ((false, a), (false, b)) => a.iter().all(|x| b.contains(x)),
        ((false, a), (true, b)) => a.iter().all(|x| !b.contains(x)),
        ((true, a), (true, b)) => b.iter().all(|x| a.contains(x)),
        ((true, _), (false, _)) => false,
    }
}

impl Pools<'_> {
    fn str_test(&self, ins: &Instr) -> Option<(u8, bool, Vec<&str>)> {
        match *ins {
            Instr::StrEqK { slot, k, negate } => {
                Some((slot, negate, vec![self.strs.get(k as usize)?.as_str()]))
            }
            Instr::StrInSet { slot, set, negate } => Some((
                slot,
                negate,
                self.sets
                    .get(set as usize)?
                    .iter()
                    .map(String::as_str)
                    .collect(),
            )),
            _ => None,
        }
    }

    fn enum_test(&self, ins: &Instr) -> Option<(u8, bool, Vec<u16>)> {
        match *ins {
            Instr::EnumCmpK {
                slot,
                op: op @ (Cmp::Eq | Cmp::Ne),
                member,
            } => Some((slot, op == Cmp::Ne, vec![member])),
            Instr::EnumInSet { slot, set, negate } => {
                Some((slot, negate, self.enum_sets.get(set as usize)?.clone()))
            }
            _ => None,
        }
    }

    /// Whenever single test `d` holds, `c` holds (so when `c` fails, `d`
    /// fails). Only what can be shown from the operands; `false` otherwise.
    fn implies_one(&self, d: &Instr, c: &Instr) -> bool {
        if d == c {
            return true;
        }
        if let Instr::Has { slot } = *c {
            return absent_false(d).contains(&Some(slot));
        }
        match (*d, *c) {
            (
                Instr::IntCmpK {
                    slot: s1,
                    op: o1,
                    k: k1,
                },
                Instr::IntCmpK {
                    slot: s2,
                    op: o2,
                    k: k2,
                },
            ) if s1 == s2 => match (self.ints.get(k1 as usize), self.ints.get(k2 as usize)) {
                (Some(a), Some(b)) => {
                    range_within(range(o1, i128::from(*a)), range(o2, i128::from(*b)))
                }
                _ => false,
            },
            (
                Instr::EnumCmpK {
                    slot: s1,
                    op: o1,
                    member: m1,
                },
                Instr::EnumCmpK {
                    slot: s2,
                    op: o2,
                    member: m2,
                },
            ) if s1 == s2 => range_within(range(o1, i128::from(m1)), range(o2, i128::from(m2))),
            _ => {
                if let (Some((s1, n1, a)), Some((s2, n2, b))) = (self.str_test(d), self.str_test(c))
                {
                    return s1 == s2 && set_within((n1, &a), (n2, &b));
                }
                if let (Some((s1, n1, a)), Some((s2, n2, b))) =
                    (self.enum_test(d), self.enum_test(c))
                {
                    return s1 == s2 && set_within((n1, &a), (n2, &b));
                }
                false
            }
        }
    }

    /// Whenever conjunct `d` holds, `c` holds. Conjuncts are code ranges of
    /// one action (`start` is where each begins, for its jumps).
    fn implies(&self, code: &[Instr], d: (usize, usize), c: (usize, usize)) -> bool {
        let (Some(dc), Some(cc)) = (code.get(d.0..d.1), code.get(c.0..c.1)) else {
            return false;
        };
        match (dc, cc) {
            ([one], [other]) => self.implies_one(one, other),
            _ => {
                dc.len() == cc.len()
                    && dc
                        .iter()
                        .zip(cc)
                        .all(|(x, y)| relative(x, d.0) == relative(y, c.0))
            }
        }
    }
}

/// An instruction with its jump target made relative to `base`.
fn relative(ins: &Instr, base: usize) -> Instr {
    let rel = |to: u16| u16::try_from((to as usize).wrapping_sub(base)).unwrap_or(u16::MAX);
    match *ins {
        Instr::JumpIfFalse { to } => Instr::JumpIfFalse { to: rel(to) },
        Instr::JumpIfTrue { to } => Instr::JumpIfTrue { to: rel(to) },
        other => other,
    }
}

/// Points each conjunct's `jump.if_false` past the later rules its failure
/// rules out.
pub(super) fn skip(code: &mut [Instr], layout: &Layout, pools: &Pools<'_>) {
    // Each rule's conjuncts, as code ranges.
    let mut conjuncts: Vec<Vec<(usize, usize)>> = vec![Vec::new(); layout.starts.len()];
    for &(_, rule, start, end) in &layout.exits {
        if let Some(c) = conjuncts.get_mut(rule) {
            c.push((start, end));
        }
    }
    let rules = layout.starts.len().saturating_sub(1);
    let mut targets = Vec::with_capacity(layout.exits.len());
    for &(jump, rule, start, end) in &layout.exits {
        let mut r = rule + 1;
        while r < rules
            && r <= rule + LOOKAHEAD
            && conjuncts
                .get(r)
                .is_some_and(|ds| ds.iter().any(|d| pools.implies(code, *d, (start, end))))
        {
            r += 1;
        }
        if let Some(to) = layout.starts.get(r) {
            targets.push((jump, *to));
        }
    }
    for (jump, to) in targets {
        if let (Some(Instr::JumpIfFalse { to: t }), Ok(to)) =
            (code.get_mut(jump), u16::try_from(to))
        {
            *t = to;
        }
    }
}

/// Jump threading: a jump onto a jump whose outcome is known (the
/// accumulator is what the first jump just tested) continues at that
/// jump's destination, or just after it.
pub(super) fn thread(code: &mut [Instr]) {
    for pc in 0..code.len() {
        let Some(&ins) = code.get(pc) else { continue };
        let (when, mut to) = match ins {
            Instr::JumpIfFalse { to } => (false, to),
            Instr::JumpIfTrue { to } => (true, to),
            _ => continue,
        };
        // Targets only grow, so this ends.
        loop {
            let next = match code.get(to as usize) {
                Some(Instr::JumpIfFalse { to: t }) if !when => *t,
                Some(Instr::JumpIfTrue { to: t }) if when => *t,
                Some(Instr::JumpIfFalse { .. }) | Some(Instr::JumpIfTrue { .. }) => {
                    to.saturating_add(1)
                }
                _ => break,
            };
            if next <= to {
                break;
            }
            to = next;
        }
        if let Some(Instr::JumpIfFalse { to: t } | Instr::JumpIfTrue { to: t }) = code.get_mut(pc) {
            *t = to;
        }
    }
}

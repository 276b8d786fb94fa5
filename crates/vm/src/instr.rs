//! The instruction set: a compact `Copy` enum, 6 bytes, listed once.
//!
//! Code is straight-line and forward-only. Test instructions set the
//! accumulator; `JumpIfFalse`/`JumpIfTrue` short-circuit `and`/`or`;
//! `Fire` ends the program with a rule's decision, `Default` with the risk
//! tier's. A test that reads an absent value yields `false` — whatever its
//! polarity, which is why negated tests carry a `negate` flag rather than
//! being followed by `Not`. `Has` is the one test of presence itself: the
//! language makes every read of an optional value say what absence means,
//! and compiles `x ?? d` to `Has` and ordinary tests.
//!
//! This enum is also the wire encoding of code in a bundle (postcard, by
//! variant index): it is frozen. Add variants only at the end, and bump
//! `FORMAT_VERSION` for any change; the golden bundle test catches silent
//! ones.

use serde::{Deserialize, Serialize};

/// Index of a value slot in a request frame.
pub type Slot = u8;
/// Index into one of the program's constant pools.
pub type ConstIdx = u16;
/// Absolute index of an instruction within one action's code; always
/// greater than the jump's own index.
pub type Target = u16;

/// The most instructions one action's code may hold (a [`Target`] is `u16`).
pub const MAX_CODE_LEN: usize = u16::MAX as usize;
/// The most slots (fields and namespace fields) one action may have.
pub const MAX_SLOTS: usize = Slot::MAX as usize + 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    #[inline]
    pub fn test<T: Ord>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }
}

/// The arithmetic registers: `num.*` instructions compute into them and
/// `num.cmp` compares two. A register holds a number, nothing (an absent
/// value was read) or an overflow.
pub const NUM_REGS: u8 = 8;

/// Checked `i64` arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Arith {
    Add,
    Sub,
    Mul,
}

impl Arith {
    /// `a op b`, or `None` when it overflows.
    #[inline]
    pub fn apply(self, a: i64, b: i64) -> Option<i64> {
        match self {
            Arith::Add => a.checked_add(b),
            Arith::Sub => a.checked_sub(b),
            Arith::Mul => a.checked_mul(b),
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "*",
        }
    }
}

/// Case-insensitive text tests. The subject is a string or a list of
/// strings (then any element may match); the needle one string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TextOp {
    /// A substring of a string; an element equal to it, of a list.
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Instr {
    /// acc = slot (int, money, duration, time) `op` ints[k]
    IntCmpK { slot: Slot, op: Cmp, k: ConstIdx },
    /// acc = slot a `op` slot b, both numeric of one type
    IntCmpSlot { a: Slot, op: Cmp, b: Slot },
    /// acc = slot (bool) == value
    BoolIs { slot: Slot, value: bool },
    /// acc = slot (enum) `op` member (ordered enums only for < >)
    EnumCmpK { slot: Slot, op: Cmp, member: u16 },
    /// acc = slot (enum) ∈ enum_sets[set] (∉ when `negate`)
    EnumInSet {
        slot: Slot,
        set: ConstIdx,
        negate: bool,
    },
    /// acc = slot (string) == strs[k], exactly (!= when `negate`)
    StrEqK {
        slot: Slot,
        k: ConstIdx,
        negate: bool,
    },
    /// acc = slot a (string) == slot b (string), exactly (!= when `negate`)
    StrEqSlot { a: Slot, b: Slot, negate: bool },
    /// acc = slot (string) ∈ sets[set], exactly (∉ when `negate`)
    StrInSet {
        slot: Slot,
        set: ConstIdx,
        negate: bool,
    },
    /// acc = slot (ip) lies in one of the networks of sets[set] (none of
    /// them when `negate`); false when the slot is absent (format 6)
    IpInSet {
        slot: Slot,
        set: ConstIdx,
        negate: bool,
    },
    /// acc = slot a (string) is an element of slot b (list), exactly
    StrInSlot { a: Slot, b: Slot, negate: bool },
    /// acc = slot (list) has an element equal to strs[k], exactly
    ListHasK {
        slot: Slot,
        k: ConstIdx,
        negate: bool,
    },
    /// acc = text test of slot (string or list) against folded strs[k]
    TextK { op: TextOp, slot: Slot, k: ConstIdx },
    /// acc = text test of slot (string or list) against slot `needle` (string)
    TextSlot {
        op: TextOp,
        slot: Slot,
        needle: Slot,
    },
    /// acc = text test of slot against any of folded sets[set]
    TextAnyOf {
        op: TextOp,
        slot: Slot,
        set: ConstIdx,
    },
    /// acc = matchers[m] finds any (or, for an `all` matcher, every)
    /// needle in slot: substrings of a string, elements of a list
    Match { slot: Slot, m: ConstIdx },
    /// acc = len(slot) `op` ints[k]
    LenCmpK { slot: Slot, op: Cmp, k: ConstIdx },
    /// acc = aggregate `agg` `op` ints[k]
    AggCmpK { agg: ConstIdx, op: Cmp, k: ConstIdx },
    /// acc = aggregate `agg` is true (`session.seen`)
    AggIs { agg: ConstIdx },
    /// acc = risk score `op` ints[k]
    ScoreCmpK { op: Cmp, k: ConstIdx },
    /// acc = risk tier `op` tier
    TierCmpK { op: Cmp, tier: u8 },
    /// acc = the action's flags include every flag of `mask`
    FlagsHave { mask: u16 },
    /// acc = a constant
    Const { value: bool },
    /// acc = !acc
    Not,
    /// if !acc, continue at `to`
    JumpIfFalse { to: Target },
    /// if acc, continue at `to`
    JumpIfTrue { to: Target },
    /// Apply the amplifier adjustments of rule `rule` and continue.
    Amplify { rule: ConstIdx },
    /// Recompute the risk score from the adjusted amplifiers; a tripped
    /// hard gate ends the program with deny.
    Score,
    /// End: rule `rule` decides.
    Fire { rule: ConstIdx },
    /// End: the risk tier decides.
    Default,
    /// Mark code only: this action counts toward session aggregate `agg`.
    Mark { agg: ConstIdx },
    /// acc = the request carries slot (`has actor.role`). The one test that
    /// is true of a present value and false of an absent one whatever the
    /// value; `??` defaults compile to it plus ordinary tests.
    Has { slot: Slot },
    /// reg `r` = slot (int, money, duration, time); absent stays absent
    NumSlot { r: u8, slot: Slot },
    /// reg `r` = ints[k]
    NumK { r: u8, k: ConstIdx },
    /// reg `r` = session aggregate `agg` (a count, sum or distinct count)
    NumAgg { r: u8, agg: ConstIdx },
    /// reg `r` = reg `r` `op` reg `s`, checked: an overflow marks `r`
    /// overflowed, an absent operand makes it absent
    NumOp { op: Arith, r: u8, s: u8 },
    /// acc = reg `r` `op` reg `s`; false when either is absent; `overflow`
    /// when either overflowed — the compiler sets it to the reading that
    /// cannot loosen the rule's decision
    NumCmp {
        r: u8,
        op: Cmp,
        s: u8,
        overflow: bool,
    },
    /// reg `r` = `part` of the action's local time `local` (bound with the
    /// request: see [`crate::local`]); an unknown zone reads like an overflow
    NumLocal {
        r: u8,
        local: u8,
        part: crate::local::LocalPart,
    },
    /// acc = some grant of slot `slot` (grants) covers the action at the
    /// time in slot `time`, with scope strs[scope] (any scope when
    /// `scope` is `u16::MAX`); false when either slot is absent
    GrantActive {
        slot: Slot,
        time: Slot,
        scope: ConstIdx,
    },
    /// acc = the chain in slot `slot` widens: some hop holds a scope its
    /// delegator lacks; false when absent
    ChainWidens { slot: Slot },
    /// acc = the list in slot `list` holds a scope the chain's last hop
    /// (the acting agent) lacks — every scope, for an empty chain; false
    /// when either is absent
    ChainExceeds { list: Slot, chain: Slot },
    /// acc = the number of hops of the chain in slot `slot` `op` ints[k]
    ChainLenK { slot: Slot, op: Cmp, k: ConstIdx },
}

impl Instr {
    pub fn name(&self) -> &'static str {
        match self {
            Instr::IntCmpK { .. } => "int.cmp.k",
            Instr::IntCmpSlot { .. } => "int.cmp.slot",
            Instr::BoolIs { .. } => "bool.is",
            Instr::EnumCmpK { .. } => "enum.cmp.k",
            Instr::EnumInSet { .. } => "enum.in.set",
            Instr::StrEqK { .. } => "str.eq.k",
            Instr::StrEqSlot { .. } => "str.eq.slot",
            Instr::StrInSet { .. } => "str.in.set",
            Instr::IpInSet { .. } => "ip.in.set",
            Instr::StrInSlot { .. } => "str.in.slot",
            Instr::ListHasK { .. } => "list.has.k",
            Instr::TextK { .. } => "text.k",
            Instr::TextSlot { .. } => "text.slot",
            Instr::TextAnyOf { .. } => "text.any_of",
            Instr::Match { .. } => "match",
            Instr::LenCmpK { .. } => "len.cmp.k",
            Instr::AggCmpK { .. } => "agg.cmp.k",
            Instr::AggIs { .. } => "agg.is",
            Instr::ScoreCmpK { .. } => "score.cmp.k",
            Instr::TierCmpK { .. } => "tier.cmp.k",
            Instr::FlagsHave { .. } => "flags.have",
            Instr::Const { .. } => "const",
            Instr::Not => "not",
            Instr::JumpIfFalse { .. } => "jump.if_false",
            Instr::JumpIfTrue { .. } => "jump.if_true",
            Instr::Amplify { .. } => "amplify",
            Instr::Score => "score",
            Instr::Fire { .. } => "fire",
            Instr::Default => "default",
            Instr::Mark { .. } => "mark",
            Instr::Has { .. } => "has",
            Instr::NumSlot { .. } => "num.slot",
            Instr::NumK { .. } => "num.k",
            Instr::NumAgg { .. } => "num.agg",
            Instr::NumOp { .. } => "num.op",
            Instr::NumCmp { .. } => "num.cmp",
            Instr::NumLocal { .. } => "num.local",
            Instr::GrantActive { .. } => "grant.active",
            Instr::ChainWidens { .. } => "chain.widens",
            Instr::ChainExceeds { .. } => "chain.exceeds",
            Instr::ChainLenK { .. } => "chain.len.k",
        }
    }

    /// Ends the program.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Instr::Fire { .. } | Instr::Default)
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

    #[test]
    fn instructions_stay_six_bytes() {
        assert_eq!(std::mem::size_of::<Instr>(), 6);
    }
}

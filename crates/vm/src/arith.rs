//! The arithmetic registers of a run: `num.*` instructions. Fixed-size, on
//! the stack — no allocation.
//!
//! A register holds a number, nothing (an absent value was read, so the
//! comparison is false whichever way it is written, like every test of an
//! absent value), or an overflow. Arithmetic is checked `i64`: an overflow
//! does not wrap; the comparison that reads it takes the value its
//! instruction carries, which the compiler chose so that it cannot loosen
//! the rule's decision (docs/language.md, "Arithmetic").

use crate::decision::Fault;
use crate::instr::{Instr, NUM_REGS};
use crate::program::Program;
use crate::request::Request;
use crate::value::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Num {
    Absent,
    Val(i64),
    Overflow,
}

pub(crate) type Regs = [Num; NUM_REGS as usize];

pub(crate) const CLEAR: Regs = [Num::Absent; NUM_REGS as usize];

#[inline(always)]
fn reg(regs: &Regs, r: u8) -> Result<Num, Fault> {
    regs.get(r as usize).copied().ok_or(Fault::Slot)
}

#[inline(always)]
fn set(regs: &mut Regs, r: u8, v: Num) -> Result<(), Fault> {
    *regs.get_mut(r as usize).ok_or(Fault::Slot)? = v;
    Ok(())
}

impl Program {
    /// Runs one `num.*` instruction: `Some(acc)` for `num.cmp`, `None` for
    /// the others. `aggs` is false in mark code, which reads no session.
    #[inline(always)]
    pub(crate) fn num(
        &self,
        ins: &Instr,
        req: &Request,
        regs: &mut Regs,
        aggs: bool,
    ) -> Result<Option<bool>, Fault> {
        match *ins {
            Instr::NumSlot { r, slot } => {
                let v = match req.slots.get(slot as usize).ok_or(Fault::Slot)? {
                    Value::Int(v) => Num::Val(*v),
                    Value::Absent => Num::Absent,
                    _ => return Err(Fault::Type),
                };
                set(regs, r, v)?;
            }
            Instr::NumK { r, k } => {
                let v = *self.ints.get(k as usize).ok_or(Fault::Constant)?;
                set(regs, r, Num::Val(v))?;
            }
            Instr::NumAgg { r, agg } => {
                if !aggs {
                    return Err(Fault::Misplaced);
                }
                let v = *req.aggs.get(agg as usize).ok_or(Fault::Aggregate)?;
                set(regs, r, Num::Val(v))?;
            }
            Instr::NumOp { op, r, s } => {
                let v = match (reg(regs, r)?, reg(regs, s)?) {
                    (Num::Absent, _) | (_, Num::Absent) => Num::Absent,
                    (Num::Overflow, _) | (_, Num::Overflow) => Num::Overflow,
                    (Num::Val(a), Num::Val(b)) => op.apply(a, b).map_or(Num::Overflow, Num::Val),
                };
                set(regs, r, v)?;
            }
            Instr::NumCmp { r, op, s, overflow } => {
                return Ok(Some(match (reg(regs, r)?, reg(regs, s)?) {
                    (Num::Absent, _) | (_, Num::Absent) => false,
                    (Num::Overflow, _) | (_, Num::Overflow) => overflow,
                    (Num::Val(a), Num::Val(b)) => op.test(a, b),
                }))
            }
            Instr::NumLocal { r, local, part } => {
                let v = match req.locals.get(local as usize).ok_or(Fault::Slot)? {
                    Num::Val(ms) => Num::Val(part.of(*ms)),
                    other => *other,
                };
                set(regs, r, v)?;
            }
            _ => return Err(Fault::Misplaced),
        }
        Ok(None)
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
    use crate::instr::Arith;

    #[test]
    fn arithmetic_is_checked_not_wrapping() {
        assert_eq!(Arith::Add.apply(i64::MAX, 1), None);
        assert_eq!(Arith::Sub.apply(i64::MIN, 1), None);
        assert_eq!(Arith::Mul.apply(i64::MAX / 2 + 1, 2), None);
        assert_eq!(Arith::Mul.apply(-1, i64::MIN), None);
        assert_eq!(Arith::Add.apply(40_000, 10_000), Some(50_000));
    }
}

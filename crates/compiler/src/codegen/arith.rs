//! Arithmetic comparisons: each side computed into a register (`num.*`),
//! then `num.cmp`, which carries how an overflow reads at that point.

use super::{cmp, Block, Gen};
use crate::ir::{ArithOp, CmpOp, Const, Effect, FieldRef, TExpr};
use permit0_vm::instr::{Arith, Instr, NUM_REGS};
use permit0_vm::local::{LocalWire, ZoneWire};
use permit0_vm::risk::Verdict;

/// How an overflowing comparison reads at the top of a rule's condition:
/// true (the rule applies) for deny and escalate rules and for `amplify`
/// rules that only raise, false (it does not) for allow rules and for
/// `amplify` rules that lower anything.
pub(super) fn overflow_reading(effect: &Effect) -> bool {
    match effect {
        Effect::Decide(Verdict::Allow) => false,
        Effect::Decide(_) => true,
        Effect::Amplify(items) => items.iter().all(|(_, d)| *d >= 0),
    }
}

fn arith(op: ArithOp) -> Arith {
    match op {
        ArithOp::Add => Arith::Add,
        ArithOp::Sub => Arith::Sub,
        ArithOp::Mul => Arith::Mul,
    }
}

impl Gen<'_> {
    pub(super) fn num_compare(&mut self, b: &mut Block<'_>, op: CmpOp, l: &TExpr, r: &TExpr) {
        self.num_load(b, l, 0);
        self.num_load(b, r, 1);
        b.code.push(Instr::NumCmp {
            r: 0,
            op: cmp(op),
            s: 1,
            overflow: self.overflow_true,
        });
    }

    /// Code that leaves the value of `e` in register `r`, using the
    /// registers above it.
    fn num_load(&mut self, b: &mut Block<'_>, e: &TExpr, r: u8) {
        if r >= NUM_REGS {
            self.limit(
                b.span,
                format!("arithmetic nested more than {NUM_REGS} deep"),
            );
            return;
        }
        match e {
            TExpr::Const(Const::Int(v)) => {
                let k = self.int(b, *v);
                b.code.push(Instr::NumK { r, k });
            }
            TExpr::Field(FieldRef::Aggregate(i)) => b.code.push(Instr::NumAgg {
                r,
                agg: u16::try_from(*i).unwrap_or(u16::MAX),
            }),
            TExpr::Field(f) => {
                if let Some((slot, ty)) = self.slot(b, f) {
                    if ty.is_numeric() {
                        b.code.push(Instr::NumSlot { r, slot });
                    } else {
                        self.fail(b.span, "arithmetic on a field that is not a number");
                    }
                }
            }
            TExpr::Arith(op, x, y) => {
                self.num_load(b, x, r);
                self.num_load(b, y, r.saturating_add(1));
                b.code.push(Instr::NumOp {
                    op: arith(*op),
                    r,
                    s: r.saturating_add(1),
                });
            }
            TExpr::Local(part, time, zone) => {
                let Some((time, _)) = self.slot(b, time) else {
                    return;
                };
                let zone = match zone.as_ref() {
                    TExpr::Const(Const::Str(name)) => ZoneWire::Name(name.clone()),
                    TExpr::Field(f) => match self.slot(b, f) {
                        Some((z, _)) => ZoneWire::Slot(z),
                        None => return,
                    },
                    other => return self.fail(b.span, format!("a time zone from {other:?}")),
                };
                let wanted = LocalWire { time, zone };
                let at = match self.locals.iter().position(|l| *l == wanted) {
                    Some(i) => i,
                    None => {
                        self.locals.push(wanted);
                        self.locals.len() - 1
                    }
                };
                match u8::try_from(at) {
                    Ok(local) => b.code.push(Instr::NumLocal {
                        r,
                        local,
                        part: *part,
                    }),
                    Err(_) => self.limit(b.span, "more than 256 local times on one action"),
                }
            }
            other => self.fail(b.span, format!("cannot compute {other:?}")),
        }
    }
}

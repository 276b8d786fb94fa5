//! Arithmetic in conditions: `+ - *` on int, money, duration and time.
//!
//! The units are checked here; the VM computes with checked `i64`
//! arithmetic, and an overflow makes the comparison read the way that
//! cannot loosen the decision (docs/language.md, "Arithmetic").

use super::{error, is_literalish, Checker, Scope, Typed};
use crate::ast::{self, BinOp};
use crate::diag::Diagnostic;
use crate::ir::{ArithOp, Const, FieldRef, TExpr};
use crate::schema::Type;
use crate::span::Span;

/// The type of `l op r`, or why the operands do not fit.
pub(crate) fn arith_type(op: ArithOp, l: Type, r: Type) -> Result<Type, &'static str> {
    use Type::{Duration, Int, Money, Time};
    match (op, l, r) {
        (ArithOp::Add | ArithOp::Sub, Int, Int) => Ok(Int),
        (ArithOp::Add | ArithOp::Sub, Money, Money) => Ok(Money),
        (ArithOp::Add | ArithOp::Sub, Duration, Duration) => Ok(Duration),
        (ArithOp::Add | ArithOp::Sub, Time, Duration) => Ok(Time),
        (ArithOp::Add, Duration, Time) => Ok(Time),
        (ArithOp::Sub, Time, Time) => Ok(Duration),
        (ArithOp::Mul, Int, Int) => Ok(Int),
        (ArithOp::Mul, Money, Int) | (ArithOp::Mul, Int, Money) => Ok(Money),
        (ArithOp::Mul, Duration, Int) | (ArithOp::Mul, Int, Duration) => Ok(Duration),
        (_, Money, Duration) | (_, Duration, Money) => {
            Err("money and durations do not mix: compare each on its own")
        }
        (_, Money, Time) | (_, Time, Money) => Err("money and times do not mix"),
        (ArithOp::Add | ArithOp::Sub, Money, Int) | (ArithOp::Add | ArithOp::Sub, Int, Money) => {
            Err("a count is not an amount: write the amount in minor units (`500_00`), or multiply a price by the count (`amount * n`)")
        }
        (ArithOp::Add | ArithOp::Sub, Time, Int) | (ArithOp::Add | ArithOp::Sub, Int, Time) => {
            Err("add a duration to a time, such as `context.time + 24h`")
        }
        (ArithOp::Add | ArithOp::Sub, Duration, Int) | (ArithOp::Add | ArithOp::Sub, Int, Duration) => {
            Err("write the number as a duration, such as `30m`")
        }
        (ArithOp::Add, Time, Time) => Err("two times do not add; subtract them for the duration between"),
        (ArithOp::Sub, Duration, Time) => Err("subtract the duration from the time: `context.time - 1h`"),
        (ArithOp::Mul, _, _) => Err("`*` multiplies by a count: `amount * 2`, `1h * n`"),
        _ => Err("arithmetic applies to int, money, duration and time"),
    }
}

/// `l op r` on known constants, or `None` when it overflows.
pub(crate) fn fold(op: ArithOp, l: i64, r: i64) -> Option<i64> {
    match op {
        ArithOp::Add => l.checked_add(r),
        ArithOp::Sub => l.checked_sub(r),
        ArithOp::Mul => l.checked_mul(r),
    }
}

/// What arithmetic can read: numbers held in the request's slots, session
/// aggregates, constants and other arithmetic.
fn operand_ok(t: &TExpr) -> bool {
    match t {
        TExpr::Const(Const::Int(_)) | TExpr::Arith(..) | TExpr::Default(..) => true,
        TExpr::Field(f) => !matches!(f, FieldRef::RiskScore | FieldRef::RiskTier | FieldRef::RiskFlags),
        _ => false,
    }
}

impl Checker<'_> {
    pub(super) fn arith(
        &mut self,
        op: BinOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
        scope: Scope<'_>,
    ) -> Typed {
        let aop = match op {
            BinOp::Add => ArithOp::Add,
            BinOp::Sub => ArithOp::Sub,
            _ => ArithOp::Mul,
        };
        // A literal takes its unit from the other side of `+` and `-`
        // (`amount + 100` adds money); `*` multiplies by a count.
        let hint = |t: Type| match (aop, t) {
            (ArithOp::Mul, _) => None,
            (_, Type::Time) => Some(Type::Duration),
            (_, t) => Some(t),
        };
        let (l, lt, r, rt) = if is_literalish(lhs) && !is_literalish(rhs) {
            let (r, rt) = self.expr(rhs, scope, None);
            let (l, lt) = self.expr(lhs, scope, hint(rt));
            (l, lt, r, rt)
        } else {
            let (l, lt) = self.expr(lhs, scope, None);
            let (r, rt) = self.expr(rhs, scope, hint(lt));
            (l, lt, r, rt)
        };
        if lt == Type::Error || rt == Type::Error {
            return error();
        }
        for (t, ty, side) in [(&l, lt, lhs), (&r, rt, rhs)] {
            if !ty.is_numeric() || !operand_ok(t) {
                let shown = self.schema.display(ty).to_string();
                self.diags.push(
                    Diagnostic::error(
                        "P0302",
                        side.span,
                        format!("`{}` does not apply to `{shown}`", aop.symbol()),
                    )
                    .help(if ty.is_numeric() {
                        "arithmetic reads fields, session aggregates and literals; compare this one on its own"
                    } else {
                        "arithmetic applies to int, money, duration and time"
                    }),
                );
                return error();
            }
        }
        let ty = match arith_type(aop, lt, rt) {
            Ok(t) => t,
            Err(help) => {
                let (ls, rs) = (
                    self.schema.display(lt).to_string(),
                    self.schema.display(rt).to_string(),
                );
                self.diags.push(
                    Diagnostic::error(
                        "P0307",
                        op_span,
                        format!("cannot compute `{ls}` {} `{rs}`", aop.symbol()),
                    )
                    .label(lhs.span, format!("this is `{ls}`"))
                    .label(rhs.span, format!("this is `{rs}`"))
                    .help(help),
                );
                return error();
            }
        };
        if let (TExpr::Const(Const::Int(a)), TExpr::Const(Const::Int(b))) = (&l, &r) {
            return match fold(aop, *a, *b) {
                Some(v) => (TExpr::Const(Const::Int(v)), ty),
                None => {
                    self.diags.push(
                        Diagnostic::error(
                            "P0308",
                            span,
                            "this arithmetic overflows a 64-bit integer",
                        )
                        .help("values range from -9223372036854775808 to 9223372036854775807"),
                    );
                    error()
                }
            };
        }
        (TExpr::Arith(aop, Box::new(l), Box::new(r)), ty)
    }
}

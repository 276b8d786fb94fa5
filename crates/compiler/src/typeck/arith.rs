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
use permit0_vm::local::LocalPart;

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

/// An int expression that may take its unit (money or a duration) from
/// what it is compared with or added to: a count times an integer literal
/// (`n * 50_00`: the literal is the unit), such products and literals
/// added together (`n * 50_00 + 1`), and such a sum times a count. A bare
/// count (`session.count(…)`, `n + 1`) never becomes an amount.
pub(crate) fn unit_product(t: &TExpr) -> bool {
    match t {
        TExpr::Arith(ArithOp::Mul, a, b) => {
            matches!(**a, TExpr::Const(Const::Int(_)))
                || matches!(**b, TExpr::Const(Const::Int(_)))
                || unit_product(a)
                || unit_product(b)
        }
        TExpr::Arith(ArithOp::Add | ArithOp::Sub, a, b) => {
            let unit = |x: &TExpr| matches!(x, TExpr::Const(Const::Int(_))) || unit_product(x);
            // One side a product, the other a product or a literal: a sum
            // of two literals is folded before it gets here.
            (unit_product(a) && unit(b)) || (unit(a) && unit_product(b))
        }
        _ => false,
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
        TExpr::Const(Const::Int(_)) | TExpr::Arith(..) | TExpr::Default(..) | TExpr::Local(..) => {
            true
        }
        TExpr::Field(f) => !matches!(
            f,
            FieldRef::RiskScore | FieldRef::RiskTier | FieldRef::RiskFlags
        ),
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
        // `amount - n * 50_00`: a count times a literal added to money or a
        // duration is money or a duration — the literal is the unit.
        let (lt, rt) = match (aop, lt, rt) {
            (ArithOp::Add | ArithOp::Sub, Type::Money | Type::Duration, Type::Int)
                if unit_product(&r) =>
            {
                (lt, lt)
            }
            (ArithOp::Add | ArithOp::Sub, Type::Int, Type::Money | Type::Duration)
                if unit_product(&l) =>
            {
                (rt, rt)
            }
            _ => (lt, rt),
        };
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

/// The local-time function of that name.
pub(super) fn local_part(name: &str) -> Option<LocalPart> {
    Some(match name {
        "hour" => LocalPart::Hour,
        "minute" => LocalPart::Minute,
        "weekday" => LocalPart::Weekday,
        "date" => LocalPart::Date,
        _ => return None,
    })
}

impl Checker<'_> {
    /// `hour(context.time, actor.tz)`: a time field, and a zone — a string
    /// field the request supplies, or a zone name the database knows.
    pub(super) fn local_time(
        &mut self,
        part: LocalPart,
        args: &[ast::Expr],
        scope: Scope<'_>,
    ) -> Typed {
        let [time, zone] = args else {
            return error();
        };
        let name = part.name();
        let (t, tt) = self.expr(time, scope, None);
        let (z, zt) = self.expr(zone, scope, Some(Type::Str));
        if tt == Type::Error || zt == Type::Error {
            return error();
        }
        let time_field = match (&t, tt) {
            (TExpr::Field(f), Type::Time) if !matches!(f, FieldRef::Aggregate(_)) => f.clone(),
            _ => {
                let shown = self.schema.display(tt).to_string();
                self.diags.push(
                    Diagnostic::error(
                        "P0301",
                        time.span,
                        format!("`{name}` reads a time field, found `{shown}`"),
                    )
                    .help(format!("write `{name}(context.time, actor.tz)`")),
                );
                return error();
            }
        };
        match (&z, zt) {
            (TExpr::Const(Const::Str(zone_name)), _) => {
                if !permit0_vm::local::zone_known(zone_name) {
                    let names = permit0_vm::local::zone_names();
                    let mut d = Diagnostic::error(
                        "P0309",
                        zone.span,
                        format!("`{zone_name}` is not a time zone"),
                    );
                    d = match crate::diag::suggest(zone_name, names.iter().map(String::as_str)) {
                        Some(s) => d
                            .help(format!("did you mean `{s}`?"))
                            .fix(zone.span, format!("\"{s}\"")),
                        None => d.help("write an IANA time zone name such as `America/New_York` or `Europe/Paris`"),
                    };
                    self.diags.push(d);
                    return error();
                }
            }
            (TExpr::Field(f), Type::Str) if !matches!(f, FieldRef::Aggregate(_)) => {}
            _ => {
                let shown = self.schema.display(zt).to_string();
                self.diags.push(
                    Diagnostic::error(
                        "P0301",
                        zone.span,
                        format!("`{name}` takes a time zone name, a string, found `{shown}`"),
                    )
                    .help("give a string field the request carries (`actor.tz`) or a zone name such as \"Europe/Paris\""),
                );
                return error();
            }
        }
        (TExpr::Local(part, time_field, Box::new(z)), Type::Int)
    }
}

impl Checker<'_> {
    /// `2027-01-01T00:00:00Z`: milliseconds since the epoch, as the VM reads
    /// `context.time`.
    pub(super) fn time_literal(&mut self, text: &str, span: Span) -> Typed {
        match permit0_vm::time::parse_rfc3339(text) {
            Some(ms) => (TExpr::Const(Const::Int(ms)), Type::Time),
            None => {
                self.diags.push(
                    Diagnostic::error("P0310", span, format!("`{text}` is not a valid time")).help(
                        "write an RFC 3339 time with a real date, e.g. `2027-01-01T00:00:00Z`",
                    ),
                );
                error()
            }
        }
    }
}

impl Checker<'_> {
    /// `grant_active(context.grants)` or `grant_active(context.grants,
    /// "payments:refund")`: reads the grants field and, implicitly,
    /// `context.time`.
    pub(super) fn grant_active(
        &mut self,
        args: &[ast::Expr],
        span: Span,
        scope: Scope<'_>,
    ) -> Typed {
        let Some(first) = args.first() else {
            return error();
        };
        let (g, gt) = self.expr(first, scope, None);
        let scope_name = match args.get(1) {
            None => None,
            Some(a) => match &a.kind {
                ast::ExprKind::Str(s) => Some(s.clone()),
                _ => {
                    self.diags.push(
                        Diagnostic::error(
                            "P0301",
                            a.span,
                            "`grant_active` takes a scope as a string literal",
                        )
                        .help("write `grant_active(context.grants, \"payments:refund\")`"),
                    );
                    return error();
                }
            },
        };
        let grants = match (&g, gt) {
            (_, Type::Error) => return error(),
            (TExpr::Field(f), Type::Grants) => f.clone(),
            _ => {
                let shown = self.schema.display(gt).to_string();
                self.diags.push(
                    Diagnostic::error(
                        "P0301",
                        first.span,
                        format!("`grant_active` reads grants, found `{shown}`"),
                    )
                    .help("write `grant_active(context.grants)`"),
                );
                return error();
            }
        };
        let time = FieldRef::Namespace("context".into(), "time".into());
        if self
            .schema
            .namespace("context")
            .is_none_or(|n| !n.fields.iter().any(|f| f.name == "time"))
        {
            self.diags.push(Diagnostic::error(
                "P0900",
                span,
                "internal error: the taxonomy has no `context.time`",
            ));
            return error();
        }
        (
            TExpr::GrantActive {
                grants,
                time,
                scope: scope_name,
            },
            Type::Bool,
        )
    }
}

impl Checker<'_> {
    /// `chain_widens(actor.chain)`, `beyond_chain(scopes_granted, actor.chain)`.
    pub(super) fn chain_call(&mut self, name: &str, args: &[ast::Expr], scope: Scope<'_>) -> Typed {
        let mut typed = Vec::new();
        for a in args {
            let (t, ty) = self.expr(a, scope, None);
            if ty == Type::Error {
                return error();
            }
            typed.push((t, ty, a.span));
        }
        let field = |t: &TExpr| match t {
            TExpr::Field(f) if !matches!(f, FieldRef::Aggregate(_)) => Some(f.clone()),
            _ => None,
        };
        let bad = |c: &mut Self, span: Span, want: &str, ty: Type| {
            let shown = c.schema.display(ty).to_string();
            c.diags.push(
                Diagnostic::error(
                    "P0301",
                    span,
                    format!("`{name}` takes {want}, found `{shown}`"),
                )
                .help(if name == "chain_widens" {
                    "write `chain_widens(actor.chain)`"
                } else {
                    "write `beyond_chain(scopes_granted, actor.chain)`"
                }),
            );
            error()
        };
        match typed.as_slice() {
            [(t, Type::Chain, _)] if name == "chain_widens" => match field(t) {
                Some(f) => (TExpr::ChainWidens(f), Type::Bool),
                None => error(),
            },
            [(_, ty, span)] => bad(self, *span, "the delegation chain", *ty),
            [(l, Type::List | Type::Set, _), (c, Type::Chain, _)] => match (field(l), field(c)) {
                (Some(l), Some(c)) => (TExpr::ChainExceeds(l, c), Type::Bool),
                _ => error(),
            },
            [(_, Type::List | Type::Set, _), (_, ty, span)] => {
                bad(self, *span, "the delegation chain second", *ty)
            }
            [(_, ty, span), _] => bad(self, *span, "a list of scopes first", *ty),
            _ => error(),
        }
    }
}

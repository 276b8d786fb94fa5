//! Conditional tool mappings: `tool sql_query when sql_kind(args.sql, "") ==
//! ddl and sql_destructive(args.sql, "") -> db.drop_table { … }`. The content
//! of a raw call chooses the action, so one effect gets one verdict whichever
//! tool reaches it.
//!
//! A condition is built from the mapping's own values (raw arguments,
//! `actor`/`context` fields, literals, builtins): a boolean value, `==` and
//! `!=` (an enum-valued builtin against one of its members), `in` and `not
//! in` a list written in place, `and`, `or`, `not`. Anything else is P0214. At run time a condition that cannot be
//! evaluated exactly refuses the call (see `permit0_vm::normalize`).

use super::Checker;
use crate::ast::{self, BinOp, ExprKind};
use crate::diag::{suggest, Diagnostic};
use crate::ir::{ToolCond, ToolExpr};
use crate::tooltype::ValTy;

impl Checker<'_> {
    pub(super) fn tool_cond(&mut self, e: &ast::Expr) -> Option<ToolCond> {
        match &e.kind {
            ExprKind::Paren(inner) => self.tool_cond(inner),
            ExprKind::Not(inner) => Some(ToolCond::Not(Box::new(self.tool_cond(inner)?))),
            ExprKind::And(items) | ExprKind::Or(items) => {
                let mut out = Vec::new();
                for i in items {
                    out.push(self.tool_cond(i)?);
                }
                Some(if matches!(e.kind, ExprKind::And(_)) {
                    ToolCond::All(out)
                } else {
                    ToolCond::Any(out)
                })
            }
            ExprKind::Binary {
                op: op @ (BinOp::Eq | BinOp::Ne),
                lhs,
                rhs,
                ..
            } => {
                let (a, aty) = self.tool_expr(lhs, None)?;
                let eq = ToolCond::Eq(a, self.compared(rhs, &aty)?);
                Some(if *op == BinOp::Ne {
                    ToolCond::Not(Box::new(eq))
                } else {
                    eq
                })
            }
            // `tool.server in ["stripe", "stripe_live"]`: one `==` per item,
            // any of them (the bundle holds the `or`; nothing new on the
            // wire). `not in` is none of them.
            ExprKind::Binary {
                op: op @ (BinOp::In | BinOp::NotIn),
                lhs,
                rhs,
                ..
            } => {
                let (ExprKind::List(items) | ExprKind::Set(items)) = &rhs.kind else {
                    self.diags.push(
                        Diagnostic::error("P0214", rhs.span, format!("`{}` in a mapping's condition takes a list written in place", op.symbol()))
                            .help("write the values in brackets: `tool.server in [\"stripe\", \"stripe_live\"]`"),
                    );
                    return None;
                };
                if items.is_empty() {
                    self.diags.push(
                        Diagnostic::error(
                            "P0214",
                            rhs.span,
                            "an empty list: this test never holds",
                        )
                        .help("list the values the call may have"),
                    );
                    return None;
                }
                let (a, aty) = self.tool_expr(lhs, None)?;
                let mut any = Vec::new();
                let mut ok = true;
                for item in items {
                    // Every item is checked, so each wrong member is reported.
                    match self.compared(item, &aty) {
                        Some(b) => any.push(ToolCond::Eq(a.clone(), b)),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                let any = ToolCond::Any(any);
                Some(if *op == BinOp::NotIn {
                    ToolCond::Not(Box::new(any))
                } else {
                    any
                })
            }
            _ => {
                let (x, ty) = self.tool_expr(e, None)?;
                if ty == ValTy::Bool {
                    return Some(ToolCond::True(x));
                }
                self.diags.push(
                    Diagnostic::error("P0214", e.span, "a mapping's condition is a boolean test of the call")
                        .help("write a builtin that answers yes or no (`shell_force_push(args.command)`), compare one with `==` (`sql_kind(args.sql, \"\") == ddl`), and combine them with `and`, `or`, `not`"),
                );
                None
            }
        }
    }
}

impl Checker<'_> {
    /// The right side of `==` (or an item of `in`): a member of the left
    /// side's enum, written bare (`== ddl`), or a value.
    fn compared(&mut self, rhs: &ast::Expr, aty: &ValTy) -> Option<ToolExpr> {
        let b = match (&rhs.kind, aty) {
            (ExprKind::Path(p), ValTy::Members(_)) if p.segments.len() == 1 => {
                ToolExpr::Str(p.dotted())
            }
            _ => self.tool_expr(rhs, None)?.0,
        };
        if let (ValTy::Members(members), ToolExpr::Str(s)) = (aty, &b) {
            if !members.contains(s) {
                let mut d = Diagnostic::error(
                    "P0304",
                    rhs.span,
                    format!("`{s}` is not a value this can take"),
                );
                d = match suggest(s, members.iter().map(String::as_str)) {
                    Some(m) => d.help(format!("did you mean `{m}`?")).fix(rhs.span, m),
                    None => d.help(format!("it is one of {}", members.join(", "))),
                };
                self.diags.push(d);
                return None;
            }
        }
        Some(b)
    }
}

/// The raw arguments a condition reads.
pub(super) fn cond_args(c: &ToolCond, out: &mut Vec<String>) {
    match c {
        ToolCond::True(e) => super::read_args(e, out),
        ToolCond::Eq(a, b) => {
            super::read_args(a, out);
            super::read_args(b, out);
        }
        ToolCond::Not(inner) => cond_args(inner, out),
        ToolCond::All(v) | ToolCond::Any(v) => v.iter().for_each(|c| cond_args(c, out)),
    }
}

impl Checker<'_> {
    /// A conditional mapping after a mapping of the same tool without a
    /// condition, in the same file, is never tried: the first one takes every
    /// call (P0214). Across files the earlier file's mapping wins, as it
    /// always has (a team's mapping of a tool replaces the stdlib's).
    pub(super) fn unreachable_mappings(&mut self) {
        let mut unconditional: Vec<(&str, crate::span::Span)> = Vec::new();
        let mut diags = Vec::new();
        for t in &self.ir.tools {
            for n in &t.names {
                let same = |(u, at): &&(&str, crate::span::Span)| *u == n && at.file == t.span.file;
                if let Some((_, at)) = unconditional.iter().find(same) {
                    if t.when.is_some() {
                        diags.push(
                            Diagnostic::error(
                                "P0214",
                                t.span,
                                format!("this mapping of `{n}` is never used"),
                            )
                            .label(*at, "this mapping has no condition and takes every call")
                            .help("put the conditional mappings of a tool before its mapping without a condition"),
                        );
                    }
                } else if t.when.is_none() {
                    unconditional.push((n, t.span));
                }
            }
        }
        self.diags.extend(diags);
    }
}

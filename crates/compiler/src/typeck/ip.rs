//! Addresses: `context.ip in "10.0.0.0/8"`, `in {…}` or a `let` set of
//! networks, `in_cidr(context.ip, …)`, `== "10.1.2.3"`. Every network is
//! checked here (docs/language.md, "Addresses") and compiles to a
//! membership test on a set of canonical networks (`ip.in.set`).

use super::{error, member_span, Checker, Scope, Typed};
use crate::ast::{self, BinOp};
use crate::diag::Diagnostic;
use crate::ir::{Const, FieldRef, TExpr};
use crate::schema::Type;
use crate::span::Span;
use permit0_vm::value::{Net, NetError};

/// `s` with the mistakes people make in addresses undone — spaces, leading
/// zeros in IPv4 parts — when that gives a network.
fn repaired(s: &str) -> Option<String> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let (addr, prefix) = match t.split_once('/') {
        Some((a, p)) => (a.to_string(), Some(p.trim_start_matches('0').to_string())),
        None => (t.clone(), None),
    };
    let addr = if addr.contains(':') {
        addr
    } else {
        addr.split('.')
            .map(|p| {
                let q = p.trim_start_matches('0');
                if q.is_empty() && !p.is_empty() {
                    "0"
                } else {
                    q
                }
            })
            .collect::<Vec<_>>()
            .join(".")
    };
    let candidate = match prefix {
        Some(p) if p.is_empty() => format!("{addr}/0"),
        Some(p) => format!("{addr}/{p}"),
        None => addr,
    };
    match Net::parse(&candidate) {
        Ok(n) if candidate != s => Some(n.to_string()),
        Err(NetError::HostBits(n) | NetError::Mapped(n)) if candidate != s => Some(n),
        _ => None,
    }
}

impl Checker<'_> {
    /// A network literal, checked: its canonical form, or `None` after a
    /// diagnostic at `at`.
    pub(super) fn network(&mut self, s: &str, at: Span, single: bool) -> Option<String> {
        let d = match Net::parse(s) {
            Ok(n) if single && s.contains('/') => Diagnostic::error(
                "P0311",
                at,
                format!("`==` compares one address, and `{s}` is a network"),
            )
            .help(format!("test the network with `in \"{n}\"`")),
            Ok(n) => return Some(n.to_string()),
            Err(NetError::Malformed) => {
                let d = Diagnostic::error(
                    "P0311",
                    at,
                    format!("`{s}` is not an IP address or network"),
                );
                match repaired(s) {
                    Some(r) => d
                        .help(format!("did you mean `{r}`?"))
                        .fix(at, format!("\"{r}\"")),
                    None => d.help(
                        "write an address or a network: `10.1.2.3`, `10.0.0.0/8`, `2001:db8::/32` (IPv4 in four decimal parts without leading zeros)",
                    ),
                }
            }
            Err(NetError::PrefixTooLong(p)) => {
                Diagnostic::error("P0311", at, format!("`/{p}` is longer than the address"))
                    .help("an IPv4 prefix is at most /32, an IPv6 prefix at most /128")
            }
            Err(NetError::HostBits(n)) => {
                Diagnostic::error("P0312", at, format!("`{s}` has bits set after its prefix"))
                    .help(format!(
                        "the network is `{n}`; for one address write it without a prefix"
                    ))
                    .fix(at, format!("\"{n}\""))
            }
            Err(NetError::Mapped(n)) => {
                Diagnostic::error("P0312", at, format!("`{s}` is an IPv4-mapped IPv6 network"))
                    .help(format!(
                        "mapped addresses are compared as their IPv4 address: write `{n}`"
                    ))
                    .fix(at, format!("\"{n}\""))
            }
        };
        self.diags.push(d);
        None
    }

    /// `ip in NETS`, `ip not in NETS`, `ip == "ADDR"`, `ip != "ADDR"`, the
    /// address on either side of `==`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn ip_test(
        &mut self,
        op: BinOp,
        op_span: Span,
        (l, lt, lhs): (TExpr, Type, &ast::Expr),
        (r, rt, rhs): (TExpr, Type, &ast::Expr),
        _span: Span,
        _scope: Scope<'_>,
    ) -> Typed {
        let swap = matches!(op, BinOp::Eq | BinOp::Ne) && lt != Type::Ip;
        let ((l, lt, lhs), (r, rt, rhs)) = if swap {
            ((r, rt, rhs), (l, lt, lhs))
        } else {
            ((l, lt, lhs), (r, rt, rhs))
        };
        let (negated, single) = match op {
            BinOp::In => (false, false),
            BinOp::NotIn => (true, false),
            BinOp::Eq | BinOp::Assign => (false, true),
            BinOp::Ne => (true, true),
            other => {
                self.diags.push(
                    Diagnostic::error(
                        "P0302",
                        op_span,
                        format!("`{}` does not apply to `ip`", other.symbol()),
                    )
                    .help("test an address against networks: `context.ip in \"10.0.0.0/8\"`, `in {\"10.0.0.0/8\", \"fd00::/8\"}` or a `let` set; `==` compares one address"),
                );
                return error();
            }
        };
        let field = match (&l, lt) {
            (TExpr::Field(f), Type::Ip) if !matches!(f, FieldRef::Aggregate(_)) => f.clone(),
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        "P0301",
                        lhs.span,
                        "an address test reads an `ip` field on its left",
                    )
                    .help("write `context.ip in \"10.0.0.0/8\"`"),
                );
                return error();
            }
        };
        let items: Vec<String> = match (&r, rt) {
            (TExpr::Const(Const::Str(s)), _) => vec![s.clone()],
            (TExpr::Const(Const::Strs(v)), _) if !single => v.clone(),
            _ => {
                let shown = self.schema.display(rt).to_string();
                self.diags.push(
                    Diagnostic::error(
                        "P0301",
                        rhs.span,
                        format!(
                            "`{}` tests an address against {}, found `{shown}`",
                            op.symbol(),
                            if single { "one address" } else { "networks" }
                        ),
                    )
                    .help(if single {
                        "write `context.ip == \"10.1.2.3\"`"
                    } else {
                        "write a network in quotes (`\"10.0.0.0/8\"`), a set of them (`{\"10.0.0.0/8\", \"fd00::/8\"}`) or the name of a `let` set"
                    }),
                );
                return error();
            }
        };
        if items.is_empty() {
            self.diags.push(
                Diagnostic::error("P0311", rhs.span, "an empty set of networks")
                    .help("name at least one network"),
            );
            return error();
        }
        let mut nets = Vec::with_capacity(items.len());
        let mut ok = true;
        for s in &items {
            let at = member_span(rhs, s).unwrap_or(rhs.span);
            match self.network(s, at, single) {
                Some(n) => nets.push(n),
                None => ok = false,
            }
        }
        if !ok {
            return error();
        }
        nets.sort();
        nets.dedup();
        (
            TExpr::Member {
                negated,
                elem: Box::new(TExpr::Field(field)),
                set: Box::new(TExpr::Const(Const::Strs(nets))),
            },
            Type::Bool,
        )
    }

    /// `in_cidr(context.ip, NETS)`: `context.ip in NETS`.
    pub(super) fn in_cidr(&mut self, args: &[ast::Expr], span: Span, scope: Scope<'_>) -> Typed {
        let [ip, nets] = args else {
            return error();
        };
        let (l, lt) = self.expr(ip, scope, None);
        let (r, rt) = self.expr(nets, scope, None);
        if lt == Type::Error || rt == Type::Error {
            return error();
        }
        if lt != Type::Ip {
            let shown = self.schema.display(lt).to_string();
            self.diags.push(
                Diagnostic::error(
                    "P0301",
                    ip.span,
                    format!("`in_cidr` reads an `ip` field, found `{shown}`"),
                )
                .help("declare the attribute as `ip?` (`namespace context { office_ip: ip? }`) or write `in_cidr(context.ip, \"10.0.0.0/8\")`"),
            );
            return error();
        }
        self.ip_test(BinOp::In, span, (l, lt, ip), (r, rt, nets), span, scope)
    }
}

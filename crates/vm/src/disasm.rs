//! A readable listing of a program, for `permit0 inspect` and golden tests.

use crate::instr::Instr;
use crate::program::{hex, Program};
use std::fmt::Write as _;

pub(crate) fn disassemble(p: &Program) -> String {
    let mut out = String::new();
    let i = &p.info;
    let _ = writeln!(out, "bundle   sha256:{}", hex(&i.digest));
    let _ = writeln!(out, "format   {}", i.format);
    let _ = writeln!(out, "key      {}", hex(&i.key_id));
    let _ = writeln!(
        out,
        "taxonomy {} (sha256:{})",
        i.taxonomy_version,
        hex(&i.taxonomy_digest)
    );
    let _ = writeln!(out, "compiler {}", i.compiler);
    let _ = writeln!(out, "time zone database {}", i.tzdb);
    for (name, d) in &i.policies {
        let _ = writeln!(out, "policy   {name} (sha256:{})", hex(d));
    }
    let _ = writeln!(
        out,
        "actions  {}, rules {}, aggregates {}, tools {}",
        p.actions.len(),
        p.rules.len(),
        p.aggregates.len(),
        p.tools.len()
    );
    for (n, g) in p.aggregates.iter().enumerate() {
        let _ = writeln!(out, "agg #{n}  {}", g.text);
    }
    if p.scopes.len() > 1 {
        let names: Vec<String> = p.scopes.iter().map(|s| s.describe()).collect();
        let _ = writeln!(out, "scopes   {}", names.join(", "));
    }
    for a in (0..p.actions.len()).filter_map(|i| p.action(i)) {
        if a.code.len() <= 1 && a.marks.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\naction {} (flags {}, base score {} {})",
            a.name,
            a.flags.names().collect::<Vec<_>>().join("|"),
            a.base.score,
            a.base.tier.name()
        );
        for (pc, ins) in a.code.iter().enumerate() {
            let _ = writeln!(out, "  {pc:4}  {}", render(p, a, ins));
        }
        if !a.marks.is_empty() {
            let _ = writeln!(out, "  marks (run on each recorded action)");
            for (pc, ins) in a.marks.iter().enumerate() {
                let _ = writeln!(out, "  {pc:4}  {}", render(p, a, ins));
            }
        }
    }
    out
}

fn render(p: &Program, a: &crate::program::ActionRt, ins: &Instr) -> String {
    let slot = |s: u8| {
        a.slots
            .get(s as usize)
            .map(|f| f.name.to_string())
            .unwrap_or_else(|| format!("slot{s}"))
    };
    let int = |k: u16| {
        p.ints
            .get(k as usize)
            .map(|v| v.to_string())
            .unwrap_or_else(|| "?".into())
    };
    let st = |k: u16| {
        p.strs
            .get(k as usize)
            .map(|v| format!("{v:?}"))
            .unwrap_or_else(|| "?".into())
    };
    let set = |k: u16| {
        p.sets
            .get(k as usize)
            .map(|v| format!("{v:?}"))
            .unwrap_or_else(|| "?".into())
    };
    let rule = |r: u16| {
        p.rules
            .get(r as usize)
            .map(|r| r.id.to_string())
            .unwrap_or_else(|| "?".into())
    };
    let name = ins.name();
    let eq = |n: bool| if n { "!=" } else { "==" };
    let inn = |n: bool| if n { "not in" } else { "in" };
    match *ins {
        Instr::IntCmpK { slot: s, op, k } => {
            format!("{name:14} {} {} {}", slot(s), op.symbol(), int(k))
        }
        Instr::IntCmpSlot { a: x, op, b: y } => {
            format!("{name:14} {} {} {}", slot(x), op.symbol(), slot(y))
        }
        Instr::BoolIs { slot: s, value } => format!("{name:14} {} == {value}", slot(s)),
        Instr::EnumCmpK {
            slot: s,
            op,
            member,
        } => format!("{name:14} {} {} #{member}", slot(s), op.symbol()),
        Instr::EnumInSet {
            slot: s,
            set: k,
            negate,
        } => format!(
            "{name:14} {} {} {:?}",
            slot(s),
            inn(negate),
            p.enum_sets.get(k as usize)
        ),
        Instr::StrEqK { slot: s, k, negate } => {
            format!("{name:14} {} {} {}", slot(s), eq(negate), st(k))
        }
        Instr::StrEqSlot { a: x, b: y, negate } => {
            format!("{name:14} {} {} {}", slot(x), eq(negate), slot(y))
        }
        Instr::StrInSet {
            slot: s,
            set: k,
            negate,
        } => format!("{name:14} {} {} {}", slot(s), inn(negate), set(k)),
        Instr::IpInSet {
            slot: s,
            set: k,
            negate,
        } => format!("{name:14} {} {} {}", slot(s), inn(negate), set(k)),
        Instr::StrInSlot { a: x, b: y, negate } => {
            format!("{name:14} {} {} {}", slot(x), inn(negate), slot(y))
        }
        Instr::ListHasK { slot: s, k, negate } => {
            format!("{name:14} {} {} {}", st(k), inn(negate), slot(s))
        }
        Instr::TextK { op, slot: s, k } => format!("{name:14} {} {op:?} {}", slot(s), st(k)),
        Instr::TextSlot {
            op,
            slot: s,
            needle,
        } => format!("{name:14} {} {op:?} {}", slot(s), slot(needle)),
        Instr::TextAnyOf {
            op,
            slot: s,
            set: k,
        } => format!("{name:14} {} {op:?} any {}", slot(s), set(k)),
        Instr::Match { slot: s, m } => {
            let mm = p.matchers.get(m as usize);
            format!(
                "{name:14} {} {} {:?}",
                slot(s),
                if mm.is_some_and(|m| m.all) {
                    "all"
                } else {
                    "any"
                },
                mm.map(|m| &m.sorted)
            )
        }
        Instr::LenCmpK { slot: s, op, k } => {
            format!("{name:14} len({}) {} {}", slot(s), op.symbol(), int(k))
        }
        Instr::AggCmpK { agg, op, k } => format!("{name:14} agg#{agg} {} {}", op.symbol(), int(k)),
        Instr::AggIs { agg } => format!("{name:14} agg#{agg}"),
        Instr::ScoreCmpK { op, k } => format!("{name:14} score {} {}", op.symbol(), int(k)),
        Instr::TierCmpK { op, tier } => format!(
            "{name:14} tier {} {}",
            op.symbol(),
            crate::risk::Tier::ALL
                .get(tier as usize)
                .map(|t| t.name())
                .unwrap_or("?")
        ),
        Instr::FlagsHave { mask } => format!(
            "{name:14} {}",
            crate::risk::FlagSet(mask)
                .names()
                .collect::<Vec<_>>()
                .join("|")
        ),
        Instr::Const { value } => format!("{name:14} {value}"),
        Instr::JumpIfFalse { to } | Instr::JumpIfTrue { to } => format!("{name:14} -> {to}"),
        Instr::Amplify { rule: r } | Instr::Fire { rule: r } => format!("{name:14} {}", rule(r)),
        Instr::Mark { agg } => format!("{name:14} agg#{agg}"),
        Instr::Has { slot: s } => format!("{name:14} {}", slot(s)),
        Instr::NumSlot { r, slot: s } => format!("{name:14} r{r} = {}", slot(s)),
        Instr::NumK { r, k } => format!("{name:14} r{r} = {}", int(k)),
        Instr::NumAgg { r, agg } => format!("{name:14} r{r} = agg#{agg}"),
        Instr::NumOp { op, r, s } => format!("{name:14} r{r} {}= r{s}", op.symbol()),
        Instr::ChainWidens { slot: s } => format!("{name:14} {}", slot(s)),
        Instr::ChainExceeds { list, chain } => {
            format!("{name:14} {} beyond {}", slot(list), slot(chain))
        }
        Instr::ChainLenK { slot: s, op, k } => {
            format!("{name:14} hops of {} {} {}", slot(s), op.symbol(), int(k))
        }
        Instr::GrantActive {
            slot: s,
            time,
            scope,
        } => {
            let scope = match scope {
                u16::MAX => "any scope".to_string(),
                k => format!("scope {}", st(k)),
            };
            format!("{name:14} {} at {}, {scope}", slot(s), slot(time))
        }
        Instr::NumLocal { r, local, part } => {
            let what = a
                .locals
                .get(local as usize)
                .map(|l| {
                    let zone = match &l.zone {
                        crate::local::ZoneWire::Slot(z) => slot(*z),
                        crate::local::ZoneWire::Name(n) => format!("{n:?}"),
                    };
                    format!("{}({}, {zone})", part.name(), slot(l.time))
                })
                .unwrap_or_else(|| "?".into());
            format!("{name:14} r{r} = {what}")
        }
        Instr::NumCmp { r, op, s, overflow } => format!(
            "{name:14} r{r} {} r{s} (overflow reads {overflow})",
            op.symbol()
        ),
        Instr::Not | Instr::Score | Instr::Default => name.to_string(),
    }
}

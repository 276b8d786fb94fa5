//! The bytecode verifier: runs over each action before its code can run (at
//! load for [`Program::load`], at the action's first use for
//! [`Program::load_lazily`]). After it, every jump is forward and in bounds,
//! every slot and constant index is valid, every operand has the type its
//! instruction needs, and every action's code ends in a decision — so
//! `decide` terminates and never reads out of bounds.

use crate::instr::{Instr, MAX_CODE_LEN, MAX_SLOTS, NUM_REGS};
use crate::program::{ActionRt, Program};
use crate::wire::{AggKindWire, TypeWire};

/// One action, as it is built.
pub(crate) fn verify_one(p: &Program, a: &ActionRt, i: usize) -> Result<(), String> {
    verify_action(p, a).map_err(|e| format!("action `{}` (#{i}): {e}", a.name))?;
    verify_marks(p, a, i).map_err(|e| format!("action `{}` (#{i}) mark code: {e}", a.name))
}

/// What the program's tables say about actions as a whole, at load.
pub(crate) fn verify_globals(p: &Program) -> Result<(), String> {
    for agg in &p.aggregates {
        if agg.actions.iter().any(|a| *a as usize >= p.actions.len()) {
            return Err(format!("aggregate `{}` names an unknown action", agg.text));
        }
        if (agg.window_ms > 0) == (agg.window_actions > 0) {
            return Err(format!("aggregate `{}` needs exactly one window", agg.text));
        }
    }
    for t in &p.tools {
        if t.action as usize >= p.actions.len() {
            return Err(format!(
                "tool `{}` maps to an unknown action",
                t.names.join(", ")
            ));
        }
    }
    for (_, fields) in &p.namespaces {
        for f in fields {
            check_type(p, f.ty).map_err(|e| format!("namespace field `{}`: {e}", f.name))?;
        }
    }
    Ok(())
}

fn check_type(p: &Program, ty: TypeWire) -> Result<(), String> {
    match ty {
        TypeWire::Enum(e) if e as usize >= p.enums.len() => Err(format!("unknown enum #{e}")),
        TypeWire::Enum(e)
            if p.enums
                .members(e as usize)
                .is_some_and(|m| m.is_empty() || m.len() > u16::MAX as usize) =>
        {
            Err(format!("enum #{e} has no members or too many"))
        }
        _ => Ok(()),
    }
}

fn verify_action(p: &Program, a: &ActionRt) -> Result<(), String> {
    if a.slots.len() > MAX_SLOTS {
        return Err(format!("{} slots, more than {MAX_SLOTS}", a.slots.len()));
    }
    for f in &a.slots {
        check_type(p, f.ty).map_err(|e| format!("field `{}`: {e}", f.name))?;
    }
    for l in a.locals.iter() {
        need(
            slot_ty(a, l.time)? == TypeWire::Time,
            "a local time's slot is not a time",
        )?;
        if let crate::local::ZoneWire::Slot(z) = l.zone {
            need(
                slot_ty(a, z)? == TypeWire::Str,
                "a local time's zone slot is not a string",
            )?;
        }
    }
    let code = &a.code;
    if code.len() > MAX_CODE_LEN {
        return Err(format!(
            "{} instructions, more than {MAX_CODE_LEN}",
            code.len()
        ));
    }
    match code.last() {
        Some(last) if last.is_terminal() => {}
        _ => return Err("code does not end in a decision".into()),
    }
    let mut scored = false;
    for (pc, ins) in code.iter().enumerate() {
        if matches!(ins, Instr::Mark { .. }) {
            return Err(format!("instruction {pc} (`mark`) outside mark code"));
        }
        check_instr(p, a, code, pc, ins, &mut scored)
            .map_err(|e| format!("instruction {pc} (`{}`): {e}", ins.name()))?;
    }
    Ok(())
}

/// Mark code reads only the recorded action's own slots: no risk, no
/// session, no decision — and it marks only aggregates that name the action.
fn verify_marks(p: &Program, a: &ActionRt, id: usize) -> Result<(), String> {
    let code = &a.marks;
    if code.is_empty() {
        return Ok(());
    }
    if code.len() > MAX_CODE_LEN {
        return Err(format!(
            "{} instructions, more than {MAX_CODE_LEN}",
            code.len()
        ));
    }
    if code.last() != Some(&Instr::Default) {
        return Err("code does not end in `default`".into());
    }
    let mut scored = false;
    for (pc, ins) in code.iter().enumerate() {
        let at = |e: String| format!("instruction {pc} (`{}`): {e}", ins.name());
        match *ins {
            Instr::Mark { agg } => {
                let g = p
                    .aggregates
                    .get(agg as usize)
                    .ok_or_else(|| at("aggregate out of range".into()))?;
                if !g.actions.iter().any(|x| *x as usize == id) {
                    return Err(at("the aggregate does not name this action".into()));
                }
            }
            Instr::Fire { .. }
            | Instr::Amplify { .. }
            | Instr::Score
            | Instr::ScoreCmpK { .. }
            | Instr::TierCmpK { .. }
            | Instr::AggCmpK { .. }
            | Instr::AggIs { .. }
            | Instr::NumAgg { .. } => return Err(at("not allowed in mark code".into())),
            // Listed one by one, so a new instruction must be placed here.
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
            | Instr::FlagsHave { .. }
            | Instr::Const { .. }
            | Instr::Not
            | Instr::JumpIfFalse { .. }
            | Instr::JumpIfTrue { .. }
            | Instr::NumSlot { .. }
            | Instr::NumK { .. }
            | Instr::NumOp { .. }
            | Instr::NumCmp { .. }
            | Instr::NumLocal { .. }
            | Instr::GrantActive { .. }
            | Instr::ChainWidens { .. }
            | Instr::ChainExceeds { .. }
            | Instr::ChainLenK { .. }
            | Instr::Default => check_instr(p, a, code, pc, ins, &mut scored).map_err(at)?,
        }
    }
    Ok(())
}

fn slot_ty(a: &ActionRt, s: u8) -> Result<TypeWire, String> {
    a.slots
        .get(s as usize)
        .map(|f| f.ty)
        .ok_or_else(|| format!("slot {s} does not exist"))
}

fn numeric(t: TypeWire) -> bool {
    matches!(
        t,
        TypeWire::Int | TypeWire::Money | TypeWire::Duration | TypeWire::Time
    )
}

fn textual(t: TypeWire) -> bool {
    matches!(t, TypeWire::Str | TypeWire::List | TypeWire::Set)
}

fn need(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what.to_string())
    }
}

fn check_instr(
    p: &Program,
    a: &ActionRt,
    code: &[Instr],
    pc: usize,
    ins: &Instr,
    scored: &mut bool,
) -> Result<(), String> {
    let int_k = |k: u16| need((k as usize) < p.ints.len(), "integer constant out of range");
    match *ins {
        Instr::IntCmpK { slot, k, .. } => {
            need(numeric(slot_ty(a, slot)?), "slot is not numeric")?;
            int_k(k)
        }
        Instr::IntCmpSlot { a: x, b: y, .. } => {
            let (tx, ty) = (slot_ty(a, x)?, slot_ty(a, y)?);
            need(numeric(tx) && tx == ty, "slots are not numbers of one type")
        }
        Instr::BoolIs { slot, .. } => {
            need(slot_ty(a, slot)? == TypeWire::Bool, "slot is not a bool")
        }
        Instr::EnumCmpK { slot, member, .. } => match slot_ty(a, slot)? {
            TypeWire::Enum(e) => need(
                p.enums
                    .members(e as usize)
                    .is_some_and(|m| (member as usize) < m.len()),
                "enum member out of range",
            ),
            _ => Err("slot is not an enum".into()),
        },
        Instr::EnumInSet { slot, set, .. } => match slot_ty(a, slot)? {
            TypeWire::Enum(e) => {
                let n = p.enums.members(e as usize).map_or(0, |m| m.len());
                let s = p
                    .enum_sets
                    .get(set as usize)
                    .ok_or("enum set out of range")?;
                need(
                    s.iter().all(|m| (*m as usize) < n),
                    "enum set holds a member out of range",
                )
            }
            _ => Err("slot is not an enum".into()),
        },
        Instr::StrEqK { slot, k, .. } => {
            need(slot_ty(a, slot)? == TypeWire::Str, "slot is not a string")?;
            need((k as usize) < p.strs.len(), "string constant out of range")
        }
        Instr::StrEqSlot { a: x, b: y, .. } => need(
            slot_ty(a, x)? == TypeWire::Str && slot_ty(a, y)? == TypeWire::Str,
            "slots are not strings",
        ),
        Instr::StrInSet { slot, set, .. } => {
            need(slot_ty(a, slot)? == TypeWire::Str, "slot is not a string")?;
            need((set as usize) < p.sets.len(), "set out of range")
        }
        Instr::IpInSet { slot, set, .. } => {
            need(slot_ty(a, slot)? == TypeWire::Ip, "slot is not an ip")?;
            need(
                p.nets.get(set as usize).is_some_and(|n| !n.is_empty()),
                "set is not a set of networks",
            )
        }
        Instr::ListHasK { slot, k, .. } => {
            need(
                matches!(slot_ty(a, slot)?, TypeWire::List | TypeWire::Set),
                "slot is not a list",
            )?;
            need((k as usize) < p.strs.len(), "string constant out of range")
        }
        Instr::StrInSlot { a: x, b: y, .. } => need(
            slot_ty(a, x)? == TypeWire::Str
                && matches!(slot_ty(a, y)?, TypeWire::List | TypeWire::Set),
            "operands are not a string and a list",
        ),
        Instr::TextK { slot, k, .. } => {
            need(textual(slot_ty(a, slot)?), "slot is not text")?;
            need((k as usize) < p.strs.len(), "string constant out of range")
        }
        Instr::TextSlot { slot, needle, .. } => {
            need(textual(slot_ty(a, slot)?), "slot is not text")?;
            need(
                slot_ty(a, needle)? == TypeWire::Str,
                "needle is not a string",
            )
        }
        Instr::TextAnyOf { slot, set, .. } => {
            need(textual(slot_ty(a, slot)?), "slot is not text")?;
            need((set as usize) < p.sets.len(), "set out of range")
        }
        Instr::Match { slot, m } => {
            need(textual(slot_ty(a, slot)?), "slot is not text")?;
            need((m as usize) < p.matchers.len(), "matcher out of range")
        }
        Instr::LenCmpK { slot, k, .. } => {
            need(textual(slot_ty(a, slot)?), "slot has no length")?;
            int_k(k)
        }
        Instr::AggCmpK { agg, k, .. } => {
            let g = p
                .aggregates
                .get(agg as usize)
                .ok_or("aggregate out of range")?;
            need(
                g.kind != AggKindWire::Seen,
                "`seen` is a bool, not a number",
            )?;
            int_k(k)
        }
        Instr::AggIs { agg } => {
            let g = p
                .aggregates
                .get(agg as usize)
                .ok_or("aggregate out of range")?;
            need(g.kind == AggKindWire::Seen, "aggregate is not a bool")
        }
        Instr::ScoreCmpK { k, .. } => int_k(k),
        Instr::TierCmpK { tier, .. } => need(tier <= 4, "tier out of range"),
        Instr::FlagsHave { mask } => need(mask >> 9 == 0 && mask != 0, "unknown flag bits"),
        Instr::Has { slot } => slot_ty(a, slot).map(|_| ()),
        Instr::Const { .. } | Instr::Not | Instr::Default => Ok(()),
        Instr::JumpIfFalse { to } | Instr::JumpIfTrue { to } => {
            let to = to as usize;
            need(to > pc, "jump is not forward")?;
            need(to < code.len(), "jump target is out of bounds")
        }
        Instr::Amplify { rule } => {
            need(!*scored, "`amplify` after the score was computed")?;
            let r = p.rules.get(rule as usize).ok_or("rule out of range")?;
            need(r.verdict.is_none(), "rule is not an `amplify` rule")
        }
        Instr::Score => {
            need(!*scored, "score computed twice")?;
            *scored = true;
            Ok(())
        }
        Instr::Fire { rule } => {
            let r = p.rules.get(rule as usize).ok_or("rule out of range")?;
            need(r.verdict.is_some(), "rule has no decision")
        }
        Instr::Mark { .. } => Err("`mark` outside mark code".into()),
        Instr::NumSlot { r, slot } => {
            need(r < NUM_REGS, "register out of range")?;
            need(numeric(slot_ty(a, slot)?), "slot is not numeric")
        }
        Instr::NumK { r, k } => {
            need(r < NUM_REGS, "register out of range")?;
            int_k(k)
        }
        Instr::NumAgg { r, agg } => {
            need(r < NUM_REGS, "register out of range")?;
            let g = p
                .aggregates
                .get(agg as usize)
                .ok_or("aggregate out of range")?;
            need(
                g.kind != AggKindWire::Seen,
                "`seen` is a bool, not a number",
            )
        }
        Instr::ChainWidens { slot } => {
            need(slot_ty(a, slot)? == TypeWire::Chain, "slot is not a chain")
        }
        Instr::ChainExceeds { list, chain } => need(
            matches!(slot_ty(a, list)?, TypeWire::List | TypeWire::Set)
                && slot_ty(a, chain)? == TypeWire::Chain,
            "operands are not a list and a chain",
        ),
        Instr::ChainLenK { slot, k, .. } => {
            need(slot_ty(a, slot)? == TypeWire::Chain, "slot is not a chain")?;
            int_k(k)
        }
        Instr::GrantActive { slot, time, scope } => {
            need(slot_ty(a, slot)? == TypeWire::Grants, "slot is not grants")?;
            need(
                slot_ty(a, time)? == TypeWire::Time,
                "time slot is not a time",
            )?;
            need(
                scope == u16::MAX || (scope as usize) < p.strs.len(),
                "string constant out of range",
            )
        }
        Instr::NumLocal { r, local, .. } => {
            need(r < NUM_REGS, "register out of range")?;
            need((local as usize) < a.locals.len(), "local time out of range")
        }
        Instr::NumOp { r, s, .. } | Instr::NumCmp { r, s, .. } => {
            need(r < NUM_REGS && s < NUM_REGS, "register out of range")
        }
    }
}

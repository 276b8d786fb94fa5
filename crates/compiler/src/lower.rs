//! Typed IR in, per-action rule plans out: expands each rule onto the
//! actions its pattern matched and orders every action's rules the way the
//! VM evaluates them — `amplify` rules first, then deny, escalate, allow, in
//! source order within each group — so the first rule that fires decides.

use crate::ir::{Effect, Ir};
use crate::schema::Schema;
use permit0_vm::risk::Verdict;

/// The rules of one action, by index into `Ir::rules`, in evaluation order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActionPlan {
    pub amplify: Vec<usize>,
    pub decide: Vec<usize>,
}

pub fn lower(schema: &Schema, ir: &Ir) -> Vec<ActionPlan> {
    let mut plans = vec![ActionPlan::default(); schema.actions.len()];
    for (i, r) in ir.rules.iter().enumerate() {
        for a in &r.actions {
            if let Some(p) = plans.get_mut(*a as usize) {
                match r.effect {
                    Effect::Amplify(_) => p.amplify.push(i),
                    Effect::Decide(_) => p.decide.push(i),
                }
            }
        }
    }
    let strength = |i: &usize| match ir.rules.get(*i).map(|r| &r.effect) {
        Some(Effect::Decide(Verdict::Deny)) => 0,
        Some(Effect::Decide(Verdict::Escalate)) => 1,
        _ => 2,
    };
    for p in &mut plans {
        // Stable: source order is kept within each verdict.
        p.decide.sort_by_key(strength);
    }
    plans
}

//! The explain path (slow, allocates): runs every rule instead of stopping
//! at the first decision, and lists each rule that matched with the values
//! its condition read.

use crate::decision::{Cause, Decision};
use crate::exec::Observer;
use crate::instr::Instr;
use crate::program::{Program, RuleRt};
use crate::request::Request;
use crate::value::Value;
use serde_json::{json, Map, Value as Json};

#[derive(Clone, Debug, PartialEq)]
pub struct Matched {
    /// `policy:N`
    pub rule: String,
    /// `allow`, `escalate`, `deny` or `amplify`
    pub effect: String,
    pub reason: Option<String>,
    /// `(field, value)` for every field the rule's condition reads.
    pub reads: Vec<(String, Json)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub decision: Decision,
    pub matched: Vec<Matched>,
    /// A hard gate that tripped, by name.
    pub gates: Vec<String>,
}

struct Recorder {
    fired: Vec<(usize, usize)>,
    gates: Vec<usize>,
}

impl Observer for Recorder {
    const STOP: bool = false;
    fn fired(&mut self, rule: usize, pc: usize) {
        self.fired.push((rule, pc));
    }
    fn gate(&mut self, gate: usize) {
        self.gates.push(gate);
    }
}

/// An obligation's value as the decision JSON carries it: written without
/// a value (the compiler keeps `""`), it reads `true`.
fn obligation_value(v: &str) -> &str {
    if v.is_empty() {
        "true"
    } else {
        v
    }
}

pub fn value_json(v: &Value, program: &Program, ty: crate::wire::TypeWire) -> Json {
    match v {
        Value::Absent => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) => Json::from(*n),
        Value::Enum(m) => match ty {
            crate::wire::TypeWire::Enum(e) => program
                .enums
                .members(e as usize)
                .and_then(|ms| ms.get(*m as usize))
                .map(|s| Json::String(s.to_string()))
                .unwrap_or(Json::Null),
            _ => Json::Null,
        },
        Value::Str(t) => Json::String(t.raw.to_string()),
        Value::Grants(gs) => crate::value::grants_json(gs),
        Value::Ip(a) => Json::String(a.to_string()),
        Value::Chain(hops) => crate::value::chain_json(hops),
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|t| Json::String(t.raw.to_string()))
                .collect(),
        ),
    }
}

fn slots_read(ins: &Instr) -> Vec<u8> {
    match *ins {
        Instr::IntCmpK { slot, .. }
        | Instr::BoolIs { slot, .. }
        | Instr::EnumCmpK { slot, .. }
        | Instr::EnumInSet { slot, .. }
        | Instr::StrEqK { slot, .. }
        | Instr::StrInSet { slot, .. }
        | Instr::IpInSet { slot, .. }
        | Instr::TextK { slot, .. }
        | Instr::TextAnyOf { slot, .. }
        | Instr::Match { slot, .. }
        | Instr::ListHasK { slot, .. }
        | Instr::LenCmpK { slot, .. }
        | Instr::NumSlot { slot, .. } => vec![slot],
        Instr::IntCmpSlot { a, b, .. }
        | Instr::StrEqSlot { a, b, .. }
        | Instr::StrInSlot { a, b, .. } => vec![a, b],
        Instr::TextSlot { slot, needle, .. } => vec![slot, needle],
        Instr::GrantActive { slot, time, .. } => vec![slot, time],
        Instr::ChainWidens { slot } | Instr::ChainLenK { slot, .. } => vec![slot],
        Instr::ChainExceeds { list, chain } => vec![list, chain],
        _ => Vec::new(),
    }
}

impl Program {
    pub fn explain(&self, req: &Request) -> Explanation {
        let mut rec = Recorder {
            fired: Vec::new(),
            gates: Vec::new(),
        };
        let decision = crate::exec::tighten(req, self.run(req, &mut rec));
        let action = req.action.and_then(|a| self.action(a as usize));
        let blocks = action
            .map(|a| crate::program::rule_blocks(&a.code))
            .unwrap_or_default();
        let mut matched = Vec::new();
        for (rule, pc) in rec.fired {
            let Some(r) = self.rules.get(rule) else {
                continue;
            };
            let mut reads = Vec::new();
            if let Some(a) = action {
                if let Some((start, end, _)) = blocks.iter().find(|(_, end, _)| *end == pc) {
                    let mut seen = Vec::new();
                    for ins in a.code.get(*start..*end).unwrap_or(&[]) {
                        for s in slots_read(ins) {
                            if seen.contains(&s) {
                                continue;
                            }
                            seen.push(s);
                            if let (Some(meta), Some(v)) =
                                (a.slots.get(s as usize), req.slots.get(s as usize))
                            {
                                let name = if (s as usize) < a.own_fields {
                                    meta.name.to_string()
                                } else {
                                    self.namespace_of(s as usize - a.own_fields)
                                        .map(|ns| format!("{ns}.{}", meta.name))
                                        .unwrap_or_else(|| meta.name.to_string())
                                };
                                reads.push((name, value_json(v, self, meta.ty)));
                            }
                        }
                        if let Instr::AggCmpK { agg, .. }
                        | Instr::AggIs { agg }
                        | Instr::NumAgg { agg, .. } = ins
                        {
                            if let (Some(g), Some(v)) = (
                                self.aggregates.get(*agg as usize),
                                req.aggs.get(*agg as usize),
                            ) {
                                reads.push((g.text.clone(), Json::from(*v)));
                            }
                        }
                        if matches!(ins, Instr::ScoreCmpK { .. } | Instr::TierCmpK { .. }) {
                            reads.push(("risk.score".into(), Json::from(decision.score)));
                            reads.push((
                                "risk.tier".into(),
                                Json::String(decision.tier.name().into()),
                            ));
                        }
                    }
                }
            }
            matched.push(Matched {
                rule: r.id.to_string(),
                effect: r
                    .verdict
                    .map(|v| v.name().to_string())
                    .unwrap_or_else(|| "amplify".into()),
                reason: r.reason.as_deref().map(str::to_string),
                reads,
            });
        }
        let gates = rec
            .gates
            .iter()
            .filter_map(|g| self.model.gates.get(*g).map(|g| g.name.clone()))
            .collect();
        Explanation {
            decision,
            matched,
            gates,
        }
    }

    /// The namespace that holds namespace slot `i` (0-based after the
    /// action's own fields).
    fn namespace_of(&self, mut i: usize) -> Option<&str> {
        for (name, fields) in &self.namespaces {
            if i < fields.len() {
                return Some(name);
            }
            i -= fields.len();
        }
        None
    }

    /// The obligations of the decision: those of every rule that matched
    /// with the winning verdict, merged. The deciding rule's come first;
    /// for a key that several rules set, the first value (deciding rule,
    /// then rule order) stands. An obligation written without a value
    /// (`with ticket`) reads `"true"`, like `with ticket = true`.
    ///
    /// The output path, not `decide`: finding every matching rule runs the
    /// program again without stopping (only when some other rule of that
    /// verdict carries obligations).
    pub fn obligations(&self, d: &Decision, req: Option<&Request>) -> Map<String, Json> {
        let mut out = Map::new();
        let mut add = |r: &RuleRt| {
            for (k, v) in &r.obligations {
                out.entry(k.to_string())
                    .or_insert_with(|| Json::String(obligation_value(v).to_string()));
            }
        };
        let deciding = d.rule();
        if let Some(r) = deciding.and_then(|r| self.rules.get(r)) {
            add(r);
        }
        if !matches!(d.cause, Cause::Rule(_) | Cause::Gate(_)) {
            return out;
        }
        // Another rule of this verdict with obligations of its own exists
        // when more of them carry some than the deciding rule accounts for.
        let mine = deciding
            .and_then(|r| self.rules.get(r))
            .is_some_and(|r| r.verdict == Some(d.verdict) && !r.obligations.is_empty());
        let same = self
            .obliging
            .get(crate::program::verdict_index(d.verdict))
            .copied()
            .unwrap_or(u32::MAX);
        let others = same > u32::from(mine);
        let Some(req) = req.filter(|_| others) else {
            return out;
        };
        let mut rec = Recorder {
            fired: Vec::new(),
            gates: Vec::new(),
        };
        let again = self.run(req, &mut rec);
        if again.verdict != d.verdict {
            // Not the request that was decided: add nothing unproven.
            return out;
        }
        for (rule, _) in rec.fired {
            if let Some(r) = self
                .rules
                .get(rule)
                .filter(|r| r.verdict == Some(d.verdict))
            {
                add(r);
            }
        }
        out
    }

    pub fn explanation_json(&self, e: &Explanation, req: Option<&Request>) -> Json {
        let mut out = self.decision_json(&e.decision, req);
        if let Some(obj) = out.as_object_mut() {
            obj.insert(
                "explain".into(),
                json!({
                    "matched": e.matched.iter().map(|m| json!({
                        "rule": m.rule,
                        "effect": m.effect,
                        "reason": m.reason,
                        "read": m.reads.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<serde_json::Map<_, _>>(),
                    })).collect::<Vec<_>>(),
                    "gates": e.gates,
                }),
            );
        }
        out
    }
}

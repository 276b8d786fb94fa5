//! The VM tested below the compiler: programs assembled by hand.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use permit0_vm::instr::{Cmp, Instr, TextOp};
use permit0_vm::risk::{Model, Verdict};
use permit0_vm::wire::*;
use permit0_vm::{model_to_wire, Cause, LoadError, Program};
use serde_json::json;

fn field(name: &str, ty: TypeWire, optional: bool) -> FieldWire {
    FieldWire {
        name: name.into(),
        ty,
        optional,
        derive: None,
    }
}

fn rule(id: &str, verdict: Option<u8>, amplify: Vec<(u8, i32)>) -> RuleWire {
    RuleWire {
        id: id.into(),
        verdict,
        amplify,
        reason: Some(format!("{id} fired")),
        obligations: vec![],
    }
}

/// One action `t.pay { amount: money, payee: string, note: string?, tags: list<string> }`
/// running `code`, with rules 0 = deny, 1 = escalate, 2 = allow, 3 = amplify amount +30.
fn program(code: Vec<Instr>) -> Result<Program, LoadError> {
    program_with_marks(code, vec![])
}

/// As [`program`], with mark code for the one aggregate, agg #0 =
/// `session.count(t.pay, 1h)`.
fn program_with_marks(code: Vec<Instr>, marks: Vec<Instr>) -> Result<Program, LoadError> {
    let w = BundleWire {
        taxonomy_version: "test".into(),
        taxonomy_digest: [0; 32],
        compiler: "hand".into(),
        policies: vec![],
        model: model_to_wire(&Model::standard()),
        enums: vec![],
        namespaces: vec![NamespaceWire {
            name: "actor".into(),
            fields: vec![field("role", TypeWire::Str, true)],
        }],
        actions: vec![ActionWire {
            name: "t.pay".into(),
            fields: vec![
                field("amount", TypeWire::Money, false),
                field("payee", TypeWire::Str, false),
                field("note", TypeWire::Str, true),
                field("tags", TypeWire::List, false),
            ],
            primary_flags: 1 << 4, // FINANCIAL
            secondary_flags: 0,
            amps: [0; 10],
            floor: None,
            code,
            marks,
            compliance: vec![],
        }],
        rules: vec![
            rule("t:deny", Some(2), vec![]),
            rule("t:escalate", Some(1), vec![]),
            rule("t:allow", Some(0), vec![]),
            rule("t:amplify", None, vec![(3, 30), (5, 20)]),
        ],
        ints: vec![500, 10],
        strs: vec!["acme".into(), "urgent".into()],
        sets: vec![vec!["acme".into(), "globex".into()]],
        enum_sets: vec![],
        matchers: vec![MatcherWire {
            needles: vec!["password".into(), "secret".into()],
            all: false,
        }],
        aggregates: vec![AggregateWire {
            kind: AggKindWire::Count,
            actions: vec![0],
            field: None,
            window_ms: 3_600_000,
            window_actions: 0,
            text: "session.count(t.pay, 1h)".into(),
        }],
        tools: vec![],
    };
    Program::from_wire(w, [1; 32], [0; 8], FORMAT_VERSION)
}

fn pay(amount: i64, payee: &str, note: Option<&str>) -> serde_json::Value {
    let mut args = json!({"amount": amount, "payee": payee, "tags": ["Urgent"]});
    if let Some(n) = note {
        args["note"] = json!(n);
    }
    json!({"action": "t.pay", "args": args})
}

fn decide(p: &Program, r: serde_json::Value) -> (Verdict, Cause) {
    let d = p.decide(&p.bind(&r).unwrap());
    (d.verdict, d.cause)
}

#[test]
fn a_threshold_rule_and_the_default() {
    // amount > 500 → deny; otherwise the tier (FINANCIAL alone: minimal → allow)
    let p = program(vec![
        Instr::IntCmpK {
            slot: 0,
            op: Cmp::Gt,
            k: 0,
        },
        Instr::JumpIfFalse { to: 3 },
        Instr::Fire { rule: 0 },
        Instr::Default,
    ])
    .unwrap();
    assert_eq!(
        decide(&p, pay(501, "x", None)),
        (Verdict::Deny, Cause::Rule(0))
    );
    assert_eq!(
        decide(&p, pay(500, "x", None)),
        (Verdict::Allow, Cause::Default)
    );
}

#[test]
fn and_or_short_circuit_through_forward_jumps() {
    // (payee in {acme, globex} or note contains_any [password, secret]) and amount > 10 → escalate
    let p = program(vec![
        Instr::StrInSet {
            slot: 1,
            set: 0,
            negate: false,
        }, // 0
        Instr::JumpIfTrue { to: 3 },    // 1
        Instr::Match { slot: 2, m: 0 }, // 2
        Instr::JumpIfFalse { to: 5 },   // 3
        Instr::IntCmpK {
            slot: 0,
            op: Cmp::Gt,
            k: 1,
        }, // 4
        Instr::JumpIfFalse { to: 7 },   // 5
        Instr::Fire { rule: 1 },        // 6
        Instr::Default,                 // 7
    ])
    .unwrap();
    assert_eq!(decide(&p, pay(50, "acme", None)).0, Verdict::Escalate);
    assert_eq!(
        decide(&p, pay(50, "bob", Some("my SECRET"))).0,
        Verdict::Escalate
    );
    assert_eq!(decide(&p, pay(50, "bob", Some("lunch"))).0, Verdict::Allow);
    assert_eq!(decide(&p, pay(5, "acme", None)).0, Verdict::Allow);
}

#[test]
fn an_absent_value_fails_every_test_whatever_its_polarity() {
    let p = program(vec![
        Instr::StrEqK {
            slot: 2,
            k: 0,
            negate: true,
        }, // note != "acme"
        Instr::JumpIfFalse { to: 3 },
        Instr::Fire { rule: 0 },
        Instr::Default,
    ])
    .unwrap();
    assert_eq!(decide(&p, pay(1, "x", None)).0, Verdict::Allow);
    assert_eq!(decide(&p, pay(1, "x", Some("other"))).0, Verdict::Deny);
    assert_eq!(decide(&p, pay(1, "x", Some("acme"))).0, Verdict::Allow);
}

#[test]
fn has_tells_absent_from_present_so_a_negated_test_can_apply_without_the_value() {
    // not has note or note != "acme" → deny: a missing note no longer escapes
    let p = program(vec![
        Instr::Has { slot: 2 }, // 0
        Instr::Not,             // 1
        Instr::JumpIfTrue { to: 4 },
        Instr::StrEqK {
            slot: 2,
            k: 0,
            negate: true,
        }, // 3
        Instr::JumpIfFalse { to: 6 },
        Instr::Fire { rule: 0 },
        Instr::Default, // 6
    ])
    .unwrap();
    assert_eq!(decide(&p, pay(1, "x", None)).0, Verdict::Deny);
    assert_eq!(decide(&p, pay(1, "x", Some("other"))).0, Verdict::Deny);
    assert_eq!(decide(&p, pay(1, "x", Some("acme"))).0, Verdict::Allow);
    // A namespace slot (actor.role, after the action's four fields) and a
    // required field, always present.
    let role = program(vec![
        Instr::Has { slot: 4 },
        Instr::JumpIfFalse { to: 3 },
        Instr::Fire { rule: 1 },
        Instr::Has { slot: 0 },
        Instr::JumpIfFalse { to: 6 },
        Instr::Fire { rule: 2 },
        Instr::Default,
    ])
    .unwrap();
    let mut with_role = pay(1, "x", None);
    with_role["actor"] = json!({"role": "support"});
    assert_eq!(decide(&role, with_role).0, Verdict::Escalate);
    assert_eq!(
        decide(&role, pay(1, "x", None)),
        (Verdict::Allow, Cause::Rule(2))
    );
    match program(vec![Instr::Has { slot: 9 }, Instr::Default]) {
        Err(LoadError::Invalid(m)) => assert!(m.contains("slot"), "{m}"),
        other => panic!("a slot out of range loaded: {:?}", other.map(|_| ())),
    }
}

#[test]
fn list_text_tests_fold_case() {
    let p = program(vec![
        Instr::TextK {
            op: TextOp::Contains,
            slot: 3,
            k: 1,
        }, // tags contains "urgent"
        Instr::JumpIfFalse { to: 3 },
        Instr::Fire { rule: 1 },
        Instr::Default,
    ])
    .unwrap();
    assert_eq!(decide(&p, pay(1, "x", None)).0, Verdict::Escalate);
}

#[test]
fn amplify_then_score_then_a_risk_test() {
    let p = program(vec![
        Instr::IntCmpK {
            slot: 0,
            op: Cmp::Gt,
            k: 0,
        },
        Instr::JumpIfFalse { to: 3 },
        Instr::Amplify { rule: 3 },
        Instr::Score,
        Instr::ScoreCmpK { op: Cmp::Gt, k: 1 }, // risk.score > 10
        Instr::JumpIfFalse { to: 7 },
        Instr::Fire { rule: 1 },
        Instr::Default,
    ])
    .unwrap();
    let small = p.decide(&p.bind(&pay(1, "x", None)).unwrap());
    let big = p.decide(&p.bind(&pay(900, "x", None)).unwrap());
    assert_eq!(small.verdict, Verdict::Allow);
    assert!(big.score > small.score, "{} vs {}", big.score, small.score);
    assert_eq!(big.verdict, Verdict::Escalate);
}

#[test]
fn the_verifier_refuses_what_cannot_run_safely() {
    let bad = |code: Vec<Instr>, why: &str| match program(code) {
        Err(LoadError::Invalid(m)) => assert!(m.contains(why), "{m}"),
        other => panic!("expected `{why}`, got {:?}", other.map(|_| ())),
    };
    bad(
        vec![Instr::JumpIfFalse { to: 0 }, Instr::Default],
        "not forward",
    );
    bad(
        vec![Instr::JumpIfFalse { to: 7 }, Instr::Default],
        "out of bounds",
    );
    bad(
        vec![Instr::Const { value: true }],
        "does not end in a decision",
    );
    bad(
        vec![
            Instr::IntCmpK {
                slot: 1,
                op: Cmp::Eq,
                k: 0,
            },
            Instr::Default,
        ],
        "not numeric",
    );
    bad(
        vec![
            Instr::StrEqK {
                slot: 0,
                k: 0,
                negate: false,
            },
            Instr::Default,
        ],
        "not a string",
    );
    bad(
        vec![Instr::Match { slot: 2, m: 9 }, Instr::Default],
        "matcher out of range",
    );
    bad(vec![Instr::Fire { rule: 3 }], "no decision");
    bad(
        vec![Instr::Amplify { rule: 0 }, Instr::Default],
        "not an `amplify` rule",
    );
    bad(
        vec![Instr::Score, Instr::Amplify { rule: 3 }, Instr::Default],
        "after the score",
    );
    bad(
        vec![
            Instr::BoolIs {
                slot: 40,
                value: true,
            },
            Instr::Default,
        ],
        "slot 40 does not exist",
    );
}

#[test]
fn mark_code_is_verified_like_rule_code() {
    use Instr::*;
    let ok = program_with_marks(
        vec![Default],
        vec![
            IntCmpK {
                slot: 0,
                op: Cmp::Lt,
                k: 0,
            },
            JumpIfFalse { to: 3 },
            Mark { agg: 0 },
            Default,
        ],
    );
    assert!(ok.is_ok(), "{:?}", ok.err());
    let refused =
        |code: Vec<Instr>, marks: Vec<Instr>, why: &str| match program_with_marks(code, marks) {
            Err(LoadError::Invalid(e)) => assert!(e.contains(why), "{e}"),
            other => panic!("expected a refusal ({why}), got {:?}", other.map(|_| ())),
        };
    refused(vec![Mark { agg: 0 }, Default], vec![], "outside mark code");
    refused(
        vec![Default],
        vec![Fire { rule: 0 }, Default],
        "not allowed in mark code",
    );
    refused(
        vec![Default],
        vec![AggIs { agg: 0 }, Default],
        "not allowed in mark code",
    );
    refused(
        vec![Default],
        vec![Mark { agg: 1 }, Default],
        "aggregate out of range",
    );
    refused(vec![Default], vec![Mark { agg: 0 }], "does not end");
    refused(
        vec![Default],
        vec![JumpIfFalse { to: 9 }, Default],
        "out of bounds",
    );
}

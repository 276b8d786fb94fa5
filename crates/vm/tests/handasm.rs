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
use permit0_vm::{model_to_wire, Cause, Fault, LoadError, Program};
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
    Program::from_wire(wire(code, marks), [1; 32], [0; 8], FORMAT_VERSION)
}

fn load_wire(w: &BundleWire) -> Result<Program, LoadError> {
    Program::from_wire(w.clone(), [1; 32], [0; 8], FORMAT_VERSION)
}

/// As [`program_with_marks`], but the verifier never sees the code: the way
/// to plant a fault the verifier would refuse, and check `decide` still
/// fails closed.
fn unverified(code: Vec<Instr>, marks: Vec<Instr>) -> Program {
    Program::from_wire_skipping_verifier_for_fault_tests(
        wire(code, marks),
        [1; 32],
        [0; 8],
        FORMAT_VERSION,
    )
    .unwrap()
}

fn wire(code: Vec<Instr>, marks: Vec<Instr>) -> BundleWire {
    BundleWire {
        taxonomy_version: "test".into(),
        taxonomy_digest: [0; 32],
        compiler: "hand".into(),
        tzdb: permit0_vm::local::TZDB_VERSION.into(),
        policies: vec![],
        model: model_to_wire(&Model::standard()),
        enums: Default::default(),
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
            locals: vec![],
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
            scope: 0,
            kind: AggKindWire::Count,
            actions: vec![0],
            field: None,
            window_ms: 3_600_000,
            window_actions: 0,
            text: "session.count(t.pay, 1h)".into(),
        }],
        scopes: vec![ScopeWire::session()],
        tools: vec![],
    }
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
    // Arithmetic: registers in range, numeric slots, locals that exist.
    bad(
        vec![Instr::NumSlot { r: 0, slot: 1 }, Instr::Default],
        "not numeric",
    );
    bad(
        vec![Instr::NumK { r: 8, k: 0 }, Instr::Default],
        "register out of range",
    );
    bad(
        vec![
            Instr::NumOp {
                op: permit0_vm::instr::Arith::Add,
                r: 0,
                s: 9,
            },
            Instr::Default,
        ],
        "register out of range",
    );
    bad(
        vec![
            Instr::NumLocal {
                r: 0,
                local: 0,
                part: permit0_vm::local::LocalPart::Hour,
            },
            Instr::Default,
        ],
        "local time out of range",
    );
}

/// `amount * 2 > 500` (ints[1] = 10 is the multiplier here) in a deny rule
/// whose overflow reading is `overflow`, then an allow rule.
fn overflowing(overflow: bool) -> Program {
    use permit0_vm::instr::Arith;
    program(vec![
        Instr::NumSlot { r: 0, slot: 0 },
        Instr::NumK { r: 1, k: 1 },
        Instr::NumOp {
            op: Arith::Mul,
            r: 0,
            s: 1,
        },
        Instr::NumK { r: 1, k: 0 },
        Instr::NumCmp {
            r: 0,
            op: Cmp::Gt,
            s: 1,
            overflow,
        },
        Instr::JumpIfFalse { to: 7 },
        Instr::Fire { rule: 0 },
        Instr::Fire { rule: 2 },
    ])
    .unwrap()
}

#[test]
fn an_overflow_takes_the_reading_the_compiler_chose_and_never_wraps() {
    // Wrapping, i64::MAX * 10 would be negative and under the threshold.
    for (amount, overflow, want) in [
        (10, true, Verdict::Allow),
        (51, true, Verdict::Deny),
        (i64::MAX, true, Verdict::Deny),
        (i64::MAX / 10 + 1, true, Verdict::Deny),
        (i64::MAX, false, Verdict::Allow),
    ] {
        let p = overflowing(overflow);
        assert_eq!(
            decide(&p, pay(amount, "acme", None)).0,
            want,
            "{amount} {overflow}"
        );
    }
}

#[test]
fn a_bundle_reading_local_time_loads_only_with_its_time_zone_database() {
    let mut w = wire(vec![Instr::Default], vec![]);
    w.tzdb = "1999z".into();
    // Reading no local time, another database does not matter.
    assert!(load_wire(&w).is_ok());
    if let Some(a) = w.actions.first_mut() {
        a.locals.push(permit0_vm::local::LocalWire {
            time: 0,
            zone: permit0_vm::local::ZoneWire::Name("UTC".into()),
        });
    }
    match load_wire(&w) {
        Err(LoadError::Invalid(m)) => assert!(m.contains("1999z"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
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

// ---------------------------------------------------------------------------
// Internal faults deny. Each test plants, past the verifier, code that the
// verifier refuses, inside a deny rule that an allow rule follows: a fault
// that read as "false" would skip the deny and let the allow decide.

/// `<test>; jump.if_false 3; fire deny; fire allow` — the deny rule's
/// condition is `test`, and the next rule allows everything.
fn deny_then_allow(test: Instr) -> Program {
    unverified(
        vec![
            test,                         // 0
            Instr::JumpIfFalse { to: 3 }, // 1
            Instr::Fire { rule: 0 },      // 2: deny
            Instr::Fire { rule: 2 },      // 3: allow
        ],
        vec![],
    )
}

fn internal(p: &Program, fault: Fault, pc: u16) {
    let req = p.bind(&pay(1, "acme", Some("note"))).unwrap();
    let d = p.decide(&req);
    assert_eq!(
        (d.verdict, d.cause),
        (Verdict::Deny, Cause::Internal { fault, pc }),
        "decide"
    );
    // The explain path decides the same.
    assert_eq!(p.explain(&req).decision.verdict, Verdict::Deny, "explain");
}

#[test]
fn the_planted_allow_really_allows_when_the_deny_rule_reads_false() {
    // The control for the fault tests below: the same shape with a sound
    // test that is false lets the allow rule decide.
    let p = deny_then_allow(Instr::Const { value: false });
    let d = p.decide(&p.bind(&pay(1, "acme", None)).unwrap());
    assert_eq!((d.verdict, d.cause), (Verdict::Allow, Cause::Rule(2)));
}

#[test]
fn a_deny_rule_reading_a_slot_out_of_range_denies_instead_of_letting_the_allow_rule_decide() {
    use Instr::*;
    let tests = [
        IntCmpK {
            slot: 200,
            op: Cmp::Gt,
            k: 0,
        },
        IntCmpSlot {
            a: 0,
            op: Cmp::Lt,
            b: 201,
        },
        BoolIs {
            slot: 202,
            value: true,
        },
        EnumCmpK {
            slot: 203,
            op: Cmp::Eq,
            member: 0,
        },
        StrEqK {
            slot: 204,
            k: 0,
            negate: true,
        },
        StrEqSlot {
            a: 1,
            b: 205,
            negate: true,
        },
        StrInSet {
            slot: 206,
            set: 0,
            negate: true,
        },
        StrInSlot {
            a: 1,
            b: 207,
            negate: false,
        },
        ListHasK {
            slot: 208,
            k: 0,
            negate: true,
        },
        TextK {
            op: TextOp::Contains,
            slot: 209,
            k: 0,
        },
        TextSlot {
            op: TextOp::Contains,
            slot: 1,
            needle: 210,
        },
        TextAnyOf {
            op: TextOp::StartsWith,
            slot: 211,
            set: 0,
        },
        Match { slot: 212, m: 0 },
        LenCmpK {
            slot: 213,
            op: Cmp::Ge,
            k: 1,
        },
    ];
    for t in tests {
        internal(&deny_then_allow(t), Fault::Slot, 0);
    }
}

#[test]
fn a_deny_rule_reading_a_constant_out_of_range_denies() {
    use Instr::*;
    let tests = [
        IntCmpK {
            slot: 0,
            op: Cmp::Gt,
            k: 99,
        },
        StrEqK {
            slot: 1,
            k: 99,
            negate: true,
        },
        StrInSet {
            slot: 1,
            set: 99,
            negate: true,
        },
        ListHasK {
            slot: 3,
            k: 99,
            negate: true,
        },
        TextK {
            op: TextOp::EndsWith,
            slot: 1,
            k: 99,
        },
        TextAnyOf {
            op: TextOp::Contains,
            slot: 1,
            set: 99,
        },
        Match { slot: 1, m: 99 },
        LenCmpK {
            slot: 1,
            op: Cmp::Gt,
            k: 99,
        },
        ScoreCmpK { op: Cmp::Ge, k: 99 },
        EnumInSet {
            slot: 0,
            set: 99,
            negate: true,
        },
    ];
    for t in tests {
        internal(&deny_then_allow(t), Fault::Constant, 0);
    }
    // An absent value (no `note`) does not hide the fault either.
    let p = deny_then_allow(StrEqK {
        slot: 2,
        k: 99,
        negate: true,
    });
    let d = p.decide(&p.bind(&pay(1, "acme", None)).unwrap());
    assert_eq!(
        d.cause,
        Cause::Internal {
            fault: Fault::Constant,
            pc: 0
        }
    );
}

#[test]
fn a_deny_rule_reading_a_slot_of_the_wrong_type_denies() {
    use Instr::*;
    let tests = [
        BoolIs {
            slot: 0,
            value: true,
        }, // amount is money
        StrEqK {
            slot: 0,
            k: 0,
            negate: true,
        },
        IntCmpK {
            slot: 1,
            op: Cmp::Ne,
            k: 0,
        }, // payee is a string
        EnumCmpK {
            slot: 1,
            op: Cmp::Ne,
            member: 0,
        },
        ListHasK {
            slot: 1,
            k: 0,
            negate: true,
        },
        TextK {
            op: TextOp::Contains,
            slot: 0,
            k: 0,
        },
        Match { slot: 0, m: 0 },
        LenCmpK {
            slot: 0,
            op: Cmp::Ge,
            k: 1,
        },
    ];
    for t in tests {
        internal(&deny_then_allow(t), Fault::Type, 0);
    }
}

#[test]
fn a_deny_rule_reading_a_session_aggregate_out_of_range_denies() {
    internal(
        &deny_then_allow(Instr::AggCmpK {
            agg: 7,
            op: Cmp::Lt,
            k: 0,
        }),
        Fault::Aggregate,
        0,
    );
    internal(
        &deny_then_allow(Instr::AggIs { agg: 7 }),
        Fault::Aggregate,
        0,
    );
}

#[test]
fn a_backward_jump_denies_instead_of_looping_forever() {
    use Instr::*;
    let p = unverified(
        vec![
            Const { value: false },
            JumpIfFalse { to: 0 },
            Fire { rule: 2 },
        ],
        vec![],
    );
    internal(&p, Fault::Jump, 1);
    let p = unverified(
        vec![
            Const { value: true },
            JumpIfTrue { to: 1 },
            Fire { rule: 2 },
        ],
        vec![],
    );
    internal(&p, Fault::Jump, 1);
}

#[test]
fn code_that_runs_off_its_end_denies() {
    use Instr::*;
    internal(
        &unverified(vec![Const { value: true }], vec![]),
        Fault::End,
        1,
    );
    // A jump past the end lands nowhere.
    internal(
        &unverified(
            vec![
                Const { value: false },
                JumpIfFalse { to: 9 },
                Fire { rule: 2 },
            ],
            vec![],
        ),
        Fault::End,
        9,
    );
}

#[test]
fn firing_or_amplifying_the_wrong_rule_denies() {
    use Instr::*;
    // `fire` of an amplify rule (it has no decision), of a rule that does
    // not exist; `amplify` of a deny rule, of a rule that does not exist.
    internal(&unverified(vec![Fire { rule: 3 }], vec![]), Fault::Rule, 0);
    internal(&unverified(vec![Fire { rule: 40 }], vec![]), Fault::Rule, 0);
    internal(
        &unverified(vec![Amplify { rule: 0 }, Score, Fire { rule: 2 }], vec![]),
        Fault::Rule,
        0,
    );
    internal(
        &unverified(vec![Amplify { rule: 40 }, Score, Fire { rule: 2 }], vec![]),
        Fault::Rule,
        0,
    );
}

#[test]
fn amplifying_after_the_score_or_scoring_twice_denies() {
    use Instr::*;
    // An amplifier applied after the score would raise nothing: the risk it
    // adds would be lost.
    internal(
        &unverified(vec![Score, Amplify { rule: 3 }, Fire { rule: 2 }], vec![]),
        Fault::Order,
        1,
    );
    internal(
        &unverified(vec![Score, Score, Fire { rule: 2 }], vec![]),
        Fault::Order,
        1,
    );
}

#[test]
fn a_mark_in_rule_code_denies() {
    use Instr::*;
    internal(
        &unverified(vec![Mark { agg: 0 }, Fire { rule: 2 }], vec![]),
        Fault::Misplaced,
        0,
    );
}

#[test]
fn an_internal_fault_says_so_in_the_decision() {
    let p = deny_then_allow(Instr::IntCmpK {
        slot: 200,
        op: Cmp::Gt,
        k: 0,
    });
    let req = p.bind(&pay(1, "acme", None)).unwrap();
    let j = p.decision_json(&p.decide(&req), Some(&req));
    assert_eq!(j["decision"], "deny");
    let reason = j["reason"].as_str().unwrap();
    assert!(reason.contains("internal fault"), "{reason}");
    assert!(reason.contains("slot index is out of range"), "{reason}");
    assert!(reason.contains("instruction 0 of `t.pay`"), "{reason}");
}

/// Mark code counting `t.pay` toward agg #0 only when `amount < 500`.
fn marks_seen(marks: Vec<Instr>, amount: i64) -> Vec<usize> {
    let p = unverified(vec![Instr::Default], marks);
    let req = p.bind(&pay(amount, "acme", None)).unwrap();
    let mut seen = Vec::new();
    p.marks(&req, |i| seen.push(i));
    seen
}

#[test]
fn a_faulting_where_filter_still_counts_the_action_toward_its_aggregate() {
    use Instr::*;
    let filter = |test: Instr| vec![test, JumpIfFalse { to: 3 }, Mark { agg: 0 }, Default];
    // Sound: a large amount is not counted, a small one is.
    let sound = IntCmpK {
        slot: 0,
        op: Cmp::Lt,
        k: 0,
    };
    assert_eq!(marks_seen(filter(sound), 900), Vec::<usize>::new());
    assert_eq!(marks_seen(filter(sound), 10), vec![0]);
    // A filter that reads past the slots, a constant past the pool or a
    // value of the wrong type counts the action (an over-count can deny,
    // never allow).
    for bad in [
        IntCmpK {
            slot: 200,
            op: Cmp::Lt,
            k: 0,
        },
        IntCmpK {
            slot: 0,
            op: Cmp::Lt,
            k: 99,
        },
        BoolIs {
            slot: 0,
            value: true,
        },
        AggIs { agg: 0 },
    ] {
        assert_eq!(marks_seen(filter(bad), 900), vec![0], "{bad:?}");
    }
    // A backward jump does not loop, and counts.
    assert_eq!(
        marks_seen(
            vec![
                Const { value: false },
                JumpIfFalse { to: 0 },
                Mark { agg: 0 },
                Default
            ],
            900
        ),
        vec![0]
    );
}

// ---------------------------------------------------------------------------
// Integers out of range say so.

fn bind_error(amount: &str) -> String {
    let text = format!(
        r#"{{"action": "t.pay", "args": {{"amount": {amount}, "payee": "x", "tags": []}}}}"#
    );
    let p = program(vec![Instr::Default]).unwrap();
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    match p.bind(&r) {
        Err(e) => {
            assert_eq!(p.refuse(&e).verdict, Verdict::Escalate);
            e.to_string()
        }
        Ok(_) => panic!("{amount} was bound"),
    }
}

#[test]
fn money_beyond_the_integer_range_is_out_of_range_not_a_wrong_type() {
    for amount in [
        "1e30",
        "1180591620717411303424", // 2^70
        "9223372036854775808",    // i64::MAX + 1
        "18446744073709551615",   // u64::MAX
    ] {
        let e = bind_error(amount);
        assert!(
            e.contains("out of range") && e.contains("from 0 to 9223372036854775807"),
            "{amount}: {e}"
        );
    }
    // Still a wrong type: a fraction. Still negative: below zero.
    let e = bind_error("12.5");
    assert!(e.contains("must be an integer count of minor units"), "{e}");
    assert!(!e.contains("out of range"), "{e}");
    assert!(bind_error("-1").contains("cannot be negative"));
    assert!(bind_error("-1e30").contains("out of range"));
    // The largest amount binds.
    let p = program(vec![Instr::Default]).unwrap();
    assert!(p
        .bind(&json!({"action": "t.pay", "args": {"amount": i64::MAX, "payee": "x", "tags": []}}))
        .is_ok());
}

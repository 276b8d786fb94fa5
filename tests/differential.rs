//! The VM and the reference evaluator (straight over the typed IR) must agree
//! on every request: thousands of random policies and requests, plus the
//! stories of `decide.rs`. A disagreement is a compiler or VM bug — and the
//! one that matters most is a wrong allow.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_compiler::eval::reference_decide;
use permit0_compiler::{build_program, Compilation};
use proptest::prelude::*;
use serde_json::{json, Value};

const ACTION: &str = r#"action t.act "an action for differential tests" {
  amount: money
  n: int
  name: string
  note: string?
  tags: list<string>
  kind: enum { a, b, c }
  flag: bool
  opt: int?
} risk {
  primary: [FINANCIAL]
  secondary: [OUTBOUND]
  amount: 12
  destination: 10
}
"#;

const WORDS: &[&str] = &[
    "a",
    "ab",
    "Ab",
    "b",
    "x",
    "xab",
    "AB",
    "b\u{200B}a",
    "é",
    "ac",
    "bd",
    "ef",
    "xa",
    "É",
    "ba",
];

fn word() -> impl Strategy<Value = String> {
    proptest::sample::select(WORDS).prop_map(|s| s.to_string())
}

fn lit(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn words_lit(v: &[String]) -> String {
    v.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", ")
}

fn op() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(&["==", "!=", "<", "<=", ">", ">="][..])
}

/// One atomic condition; `risk` says whether it may read `risk.*`.
fn atom(risk: bool) -> BoxedStrategy<String> {
    let mut choices: Vec<BoxedStrategy<String>> = vec![
        (op(), 0i64..1200)
            .prop_map(|(o, k)| format!("amount {o} {k}"))
            .boxed(),
        (op(), -5i64..5)
            .prop_map(|(o, k)| format!("n {o} {k}"))
            .boxed(),
        guard(
            "opt",
            "2",
            (op(), -5i64..5)
                .prop_map(|(o, k)| format!("@ {o} {k}"))
                .boxed(),
        ),
        (op(), -5i64..5)
            .prop_map(|(o, k)| format!("{k} {o} n"))
            .boxed(),
        // Checked arithmetic; the largest multiplier overflows for any
        // amount above 1, and the overflow reading depends on the rule's
        // decision and the `not`s around it.
        (
            op(),
            proptest::sample::select(&[1i64, 3, 9_000_000_000_000_000][..]),
            -5i64..1200,
        )
            .prop_map(|(o, m, k)| format!("amount * {m} - 7 {o} {k}"))
            .boxed(),
        (op(), -5i64..5)
            .prop_map(|(o, k)| format!("{k} {o} n * n + n - 2"))
            .boxed(),
        (prop::bool::ANY, word())
            .prop_map(|(eq, w)| format!("name {} {}", if eq { "==" } else { "!=" }, lit(&w)))
            .boxed(),
        (prop::bool::ANY, prop::collection::vec(word(), 1..4))
            .prop_map(|(neg, v)| {
                format!(
                    "name {}in {{{}}}",
                    if neg { "not " } else { "" },
                    words_lit(&v)
                )
            })
            .boxed(),
        (
            proptest::sample::select(&["contains", "starts_with", "ends_with"][..]),
            word(),
        )
            .prop_map(|(o, w)| format!("name {o} {}", lit(&w)))
            .boxed(),
        (
            proptest::sample::select(&["contains_any", "contains_all"][..]),
            prop::collection::vec(word(), 1..4),
        )
            .prop_map(|(o, v)| format!("name {o} [{}]", words_lit(&v)))
            .boxed(),
        (
            proptest::sample::select(&["starts_with", "ends_with"][..]),
            prop::collection::vec(word(), 1..3),
        )
            .prop_map(|(o, v)| format!("name {o} [{}]", words_lit(&v)))
            .boxed(),
        guard(
            "note",
            "\"ab\"",
            word().prop_map(|w| format!("@ == {}", lit(&w))).boxed(),
        ),
        guard(
            "note",
            "\"\"",
            word()
                .prop_map(|w| format!("@ contains {}", lit(&w)))
                .boxed(),
        ),
        guard(
            "note",
            "\"x\"",
            (op(), 0i64..4)
                .prop_map(|(o, k)| format!("len(@) {o} {k}"))
                .boxed(),
        ),
        word()
            .prop_map(|w| format!("tags contains {}", lit(&w)))
            .boxed(),
        word()
            .prop_map(|w| format!("tags ends_with {}", lit(&w)))
            .boxed(),
        (prop::bool::ANY, word())
            .prop_map(|(neg, w)| format!("{} {}in tags", lit(&w), if neg { "not " } else { "" }))
            .boxed(),
        (
            proptest::sample::select(&["contains_any", "contains_all"][..]),
            prop::collection::vec(word(), 1..4),
        )
            .prop_map(|(o, v)| format!("tags {o} [{}]", words_lit(&v)))
            .boxed(),
        (op(), 0i64..4)
            .prop_map(|(o, k)| format!("len(tags) {o} {k}"))
            .boxed(),
        (op(), 0i64..4)
            .prop_map(|(o, k)| format!("len(name) {o} {k}"))
            .boxed(),
        (
            prop::bool::ANY,
            proptest::sample::select(&["a", "b", "c"][..]),
        )
            .prop_map(|(eq, m)| format!("kind {} {m}", if eq { "==" } else { "!=" }))
            .boxed(),
        (
            prop::bool::ANY,
            prop::collection::vec(proptest::sample::select(&["a", "b", "c"][..]), 1..3),
        )
            .prop_map(|(neg, v)| {
                let items: Vec<String> = v.iter().map(|s| lit(s)).collect();
                format!(
                    "kind {}in {{{}}}",
                    if neg { "not " } else { "" },
                    items.join(", ")
                )
            })
            .boxed(),
        Just("flag".to_string()).boxed(),
        Just("flag == false".to_string()).boxed(),
        guard(
            "actor.role",
            "\"a\"",
            (prop::bool::ANY, word())
                .prop_map(|(neg, w)| {
                    format!("@ {}in {{{}}}", if neg { "not " } else { "" }, lit(&w))
                })
                .boxed(),
        ),
        guard(
            "context.env",
            "prod",
            proptest::sample::select(&["dev", "staging", "prod"][..])
                .prop_map(|e| format!("@ == {e}"))
                .boxed(),
        ),
        guard(
            "context.env",
            "\"staging\"",
            Just("@ in {\"staging\", \"prod\"}".to_string()).boxed(),
        ),
        guard("actor.verified", "false", Just("@".to_string()).boxed()),
        guard(
            "actor.verified",
            "true",
            Just("@ == false".to_string()).boxed(),
        ),
        guard(
            "actor.role",
            "\"ab\"",
            Just("@ == name".to_string()).boxed(),
        ),
        guard("opt", "1", Just("n < @".to_string()).boxed()),
    ];
    if risk {
        choices.push(
            (op(), 0i64..100)
                .prop_map(|(o, k)| format!("risk.score {o} {k}"))
                .boxed(),
        );
        choices.push(
            (
                op(),
                proptest::sample::select(&["minimal", "low", "medium", "high", "critical"][..]),
            )
                .prop_map(|(o, t)| format!("risk.tier {o} {t}"))
                .boxed(),
        );
        choices.push(
            proptest::sample::select(&["FINANCIAL", "OUTBOUND", "DESTRUCTION"][..])
                .prop_map(|f| format!("risk.flags contains {}", lit(f)))
                .boxed(),
        );
    }
    proptest::strategy::Union::new(choices).boxed()
}

/// A test of an optional field (`@` stands for the read), with the field's
/// absence said one of the three ways: `has` before it, `not has … or`, or
/// a `??` default.
fn guard(
    field: &'static str,
    default: &'static str,
    test: BoxedStrategy<String>,
) -> BoxedStrategy<String> {
    (0u8..3, test)
        .prop_map(move |(style, t)| match style {
            0 => format!("(has {field} and {})", t.replace('@', field)),
            1 => format!("(not has {field} or {})", t.replace('@', field)),
            _ => t.replace('@', &format!("({field} ?? {default})")),
        })
        .boxed()
}

fn condition(risk: bool) -> impl Strategy<Value = String> {
    atom(risk).prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| v.join(" and ")),
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" or "))),
            inner.clone().prop_map(|c| format!("not ({c})")),
        ]
    })
}

fn rule() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (proptest::option::of(condition(true)), proptest::sample::select(&["allow", "escalate", "deny"][..]))
            .prop_map(|(c, v)| format!("when t.act {} then {v}", c.unwrap_or_default())),
        1 => (condition(false), proptest::sample::select(&["amount", "destination", "scope", "irreversibility"][..]), -20i32..30)
            .prop_map(|(c, dim, d)| format!("when t.act {c} then amplify {dim} {}{}", if d >= 0 { "+" } else { "-" }, d.abs())),
    ]
}

fn request() -> impl Strategy<Value = Value> {
    (
        (0i64..1200, -6i64..6, word(), proptest::option::of(word()), prop::collection::vec(word(), 0..4)),
        (
            proptest::sample::select(&["a", "b", "c", "B"][..]),
            prop::bool::ANY,
            proptest::option::of(-6i64..6),
            proptest::option::of(word()),
            proptest::option::of(proptest::sample::select(&["dev", "staging", "prod"][..])),
            proptest::option::of(prop::bool::ANY),
        ),
    )
        .prop_map(|((amount, n, name, note, tags), (kind, flag, opt, role, env, verified))| {
            let mut args = json!({"amount": amount, "n": n, "name": name, "tags": tags, "kind": kind, "flag": flag});
            if let Some(x) = note {
                args["note"] = json!(x);
            }
            if let Some(x) = opt {
                args["opt"] = json!(x);
            }
            let mut actor = json!({});
            if let Some(r) = role {
                actor["role"] = json!(r);
            }
            if let Some(v) = verified {
                actor["verified"] = json!(v);
            }
            let mut context = json!({});
            if let Some(e) = env {
                context["env"] = json!(e);
            }
            json!({"action": "t.act", "args": args, "actor": actor, "context": context})
        })
}

fn agree(c: &Compilation, requests: &[Value], src: &str) {
    let p = build_program(c).unwrap();
    for r in requests {
        let bound = p.bind(r).unwrap();
        let vm = p.decide(&bound);
        let reference = reference_decide(&c.schema, &c.ir, &p, &bound).unwrap();
        let vm_rule = vm.rule().and_then(|i| p.rule_id(i)).map(str::to_string);
        assert_eq!(
            (vm.verdict, vm_rule, vm.score, vm.tier),
            (
                reference.verdict,
                reference.rule.clone(),
                reference.score,
                reference.tier
            ),
            "VM and reference disagree\npolicy:\n{src}\nrequest: {r}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn vm_agrees_with_the_reference_evaluator(rules in prop::collection::vec(rule(), 1..8), requests in prop::collection::vec(request(), 12)) {
        let src = format!("{ACTION}\n{}\n", rules.join("\n"));
        let c = compile_src(&src);
        let errors: Vec<String> = c.errors().map(|d| format!("{}: {}", d.code, d.message)).collect();
        prop_assert!(errors.is_empty(), "generated policy does not compile: {errors:?}\n{src}");
        agree(&c, &requests, &src);
    }
}

/// Atoms drawn from a small pool, so rules share tests and thresholds: the
/// compiler's skips (a failed test rules out every later rule whose test
/// implies it — the same test, a narrower threshold, a smaller set) and
/// its dropping of a `has` made redundant are exercised on every case.
fn shared_atom() -> BoxedStrategy<String> {
    const THRESHOLDS: &[i64] = &[0, 10, 100, 500, 1000];
    prop_oneof![
        4 => (op(), proptest::sample::select(THRESHOLDS))
            .prop_map(|(o, k)| format!("amount {o} {k}")),
        2 => (op(), -2i64..3).prop_map(|(o, k)| format!("n {o} {k}")),
        2 => (prop::bool::ANY, proptest::sample::select(&["a", "ab", "b"][..]))
            .prop_map(|(eq, w)| format!("name {} {}", if eq { "==" } else { "!=" }, lit(w))),
        2 => (prop::bool::ANY, prop::collection::vec(proptest::sample::select(&["a", "ab", "b"][..]), 1..3))
            .prop_map(|(neg, v)| {
                let v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
                format!("name {}in {{{}}}", if neg { "not " } else { "" }, words_lit(&v))
            }),
        2 => (op(), proptest::sample::select(&["a", "b", "c"][..]))
            .prop_map(|(o, m)| format!("kind {} {m}", if o == "!=" { "!=" } else { "==" })),
        1 => (prop::bool::ANY, prop::collection::vec(proptest::sample::select(&["a", "b", "c"][..]), 1..3))
            .prop_map(|(neg, v)| {
                let items: Vec<String> = v.iter().map(|s| lit(s)).collect();
                format!("kind {}in {{{}}}", if neg { "not " } else { "" }, items.join(", "))
            }),
        1 => Just("name starts_with \"a\"".to_string()),
        1 => Just("(has opt and opt > 0)".to_string()),
        1 => Just("(has actor.role and actor.role == \"a\")".to_string()),
        1 => Just("has actor.role".to_string()),
        1 => Just("(not has opt or opt < 2)".to_string()),
    ]
    .boxed()
}

fn shared_rule() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(shared_atom(), 0..4),
        proptest::sample::select(&["allow", "escalate", "deny"][..]),
    )
        .prop_map(|(atoms, v)| format!("when t.act {} then {v}", atoms.join(" and ")))
}

/// Requests whose amounts sit on and beside the shared thresholds.
fn near_request() -> impl Strategy<Value = Value> {
    (
        request(),
        proptest::sample::select(&[-1i64, 0, 1, 9, 10, 11, 99, 100, 101, 500, 999, 1000, 1001][..]),
    )
        .prop_map(|(mut r, amount)| {
            r["args"]["amount"] = json!(amount.max(0));
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn vm_agrees_when_rules_share_tests_and_thresholds(rules in prop::collection::vec(shared_rule(), 2..24), requests in prop::collection::vec(near_request(), 16)) {
        let src = format!("{ACTION}\n{}\n", rules.join("\n"));
        let c = compile_src(&src);
        let errors: Vec<String> = c.errors().map(|d| format!("{}: {}", d.code, d.message)).collect();
        prop_assert!(errors.is_empty(), "generated policy does not compile: {errors:?}\n{src}");
        agree(&c, &requests, &src);
    }
}

#[test]
fn vm_agrees_on_the_example_policy() {
    let src = include_str!("../examples/refunds.p0");
    let c = compile_ok(src);
    let requests: Vec<Value> = include_str!("../examples/requests.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &Value| {
            let p = build_program(&c).unwrap();
            p.bind(r).ok().and_then(|b| b.action()).is_some()
        })
        .collect();
    assert!(requests.len() >= 4);
    agree(&c, &requests, src);
}

#[test]
fn vm_agrees_on_addresses_and_networks() {
    let src = r#"
let nets = {"10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32", "0.0.0.0/0"}
when payments.refund has context.ip and context.ip in nets and amount > 100 then deny "a"
when payments.refund has context.ip and context.ip not in {"10.1.0.0/16", "fd00::/8"} then escalate "b"
when payments.refund has context.ip and (in_cidr(context.ip, "203.0.113.7") or context.ip == "::1") then allow "c"
when payments.refund has context.ip and context.ip != "192.168.1.1" and amount < 50 then allow "d"
"#;
    let c = compile_ok(src);
    let mut requests = Vec::new();
    for ip in [
        "10.1.2.3",
        "10.2.0.1",
        "::ffff:10.1.9.9",
        "192.168.1.1",
        "::ffff:192.168.1.1",
        "203.0.113.7",
        "::1",
        "fd00::1",
        "2001:db8:1::1",
        "2001:db9::1",
        "8.8.8.8",
        "0.0.0.0",
        "255.255.255.255",
        "::",
    ] {
        for amount in [10, 500] {
            requests.push(json!({"action": "payments.refund",
                "args": {"amount": amount, "currency": "usd", "charge_id": "c"},
                "context": {"ip": ip}}));
        }
    }
    requests.push(json!({"action": "payments.refund", "args": {"amount": 10, "currency": "usd", "charge_id": "c"}}));
    agree(&c, &requests, src);
}

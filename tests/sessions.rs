//! Sessions: the earlier actions of a session feed `session.*` aggregates,
//! filtered by `where`, windowed on the request's own `context.time`, and
//! bounded in memory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_vm::{Program, SessionLimits, Sessions};
use serde_json::{json, Value};

/// Decides a stream of requests the way `permit0 eval` does.
fn run(p: &Program, sessions: &mut Sessions, requests: &[Value]) -> Vec<(String, String)> {
    requests
        .iter()
        .map(|r| {
            let mut req = p.bind(r).unwrap();
            let d = sessions.decide(p, &mut req);
            let j = p.decision_json(&d, Some(&req));
            (
                j["decision"].as_str().unwrap().to_string(),
                j["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

const CARD_TESTING: &str = r#"
policy acme.cards
when payments.charge amount < 200 and session.distinct(payments.charge.customer where amount < 200, 10m) >= 4
  then deny "card testing: small charges across many customers"
when payments.charge amount < 200 then allow
"#;

fn charge(amount: i64, customer: &str, minute: u32, session: &str) -> Value {
    json!({"action": "payments.charge",
           "args": {"amount": amount, "currency": "usd", "customer": customer},
           "context": {"time": format!("2026-11-22T10:{minute:02}:00Z")},
           "session": {"id": session}})
}

#[test]
fn the_fifth_small_charge_to_a_fifth_customer_is_card_testing() {
    let p = program(CARD_TESTING);
    let mut s = Sessions::default();
    let got = run(
        &p,
        &mut s,
        &[
            charge(100, "c1", 0, "s"),
            charge(150, "c2", 1, "s"),
            charge(199, "c3", 2, "s"),
            charge(100, "c4", 3, "s"),
            charge(100, "c5", 4, "s"),
        ],
    );
    let verdicts: Vec<&str> = got.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(verdicts, ["allow", "allow", "allow", "allow", "deny"]);
    assert!(got[4].1.contains("card testing"));
}

#[test]
fn the_filter_window_and_case_decide_what_counts() {
    let p = program(CARD_TESTING);
    let mut s = Sessions::default();
    let got = run(
        &p,
        &mut s,
        &[
            charge(100, "c1", 0, "s"),
            // A large charge does not pass the filter.
            charge(90_000, "c2", 1, "s"),
            // The same customer in another case is one customer.
            charge(100, "C1", 2, "s"),
            charge(100, "c3", 3, "s"),
            charge(100, "c4", 4, "s"),
            // c1, c3, c4: three distinct small-charge customers so far.
            charge(100, "c5", 5, "s"),
            // Now four (c1, c3, c4, c5) within 10 minutes → deny.
            charge(100, "c6", 6, "s"),
            // 30 minutes later the window holds nothing.
            charge(100, "c7", 40, "s"),
        ],
    );
    let verdicts: Vec<&str> = got.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(
        verdicts,
        ["allow", "escalate", "allow", "allow", "allow", "allow", "deny", "allow"]
    );
}

#[test]
fn sessions_do_not_see_each_other_and_no_id_means_no_history() {
    let p = program(CARD_TESTING);
    let mut s = Sessions::default();
    let mut requests: Vec<Value> = (0..8)
        .map(|i| charge(100, &format!("c{i}"), i, if i % 2 == 0 { "a" } else { "b" }))
        .collect();
    let mut lone = charge(100, "c9", 9, "x");
    lone.as_object_mut().unwrap().remove("session");
    requests.push(lone);
    let got = run(&p, &mut s, &requests);
    // Each session saw four customers: the fifth request of neither exists.
    assert!(got.iter().all(|(v, _)| v == "allow"), "{got:?}");
    assert_eq!(s.entries("a"), 4);
    assert_eq!(s.entries("b"), 4);
}

#[test]
fn sums_counts_and_seen_within_n_actions() {
    let p2 = program(
        r#"
policy acme.chain
when payments.transfer session.sum(payments.transfer.amount, 24h) > 250_000 then deny "daily cap"
when process.exec session.seen(iam.assign_role, 3) then deny "privilege then execute"
"#,
    );
    let mut s = Sessions::default();
    let t = |amount: i64, h: u32| {
        json!({"action": "payments.transfer",
               "args": {"amount": amount, "currency": "usd", "payee": "v1"},
               "context": {"time": format!("2026-11-22T{h:02}:00:00Z")},
               "session": {"id": "s"}})
    };
    let got = run(&p2, &mut s, &[t(200_000, 1), t(60_000, 2), t(10_000, 3)]);
    assert_eq!(got[0].0, "escalate"); // transfers escalate by their risk
    assert_eq!(got[1].0, "escalate"); // 200k before it: under the cap
    assert_eq!(got[2].0, "deny", "{got:?}"); // 260k before it
    assert!(got[2].1.contains("daily cap"));

    let grant = json!({"action": "iam.assign_role", "args": {"principal": "bob", "principal_kind": "user",
        "role": "admin", "privileged": true, "resource_scope": "project"}, "session": {"id": "p"}});
    let exec = json!({"action": "process.exec", "args": {"command": "ls"}, "session": {"id": "p"}});
    let read = json!({"action": "file.read", "args": {"path": "/tmp/x"}, "session": {"id": "p"}});
    let got = run(
        &p2,
        &mut s,
        &[
            grant,
            read.clone(),
            exec.clone(),
            read.clone(),
            read.clone(),
            read,
            exec,
        ],
    );
    assert!(got[2].1.contains("privilege then execute"), "{got:?}");
    // Three reads later the grant is out of the last 3 actions.
    assert!(!got[6].1.contains("privilege then execute"), "{got:?}");
}

#[test]
fn the_store_is_bounded() {
    let p = program(CARD_TESTING);
    let mut s = Sessions::new(SessionLimits {
        max_sessions: 3,
        max_entries: 5,
        max_age_ms: 3_600_000,
    });
    for i in 0..20 {
        run(&p, &mut s, &[charge(100, "c", i, "one")]);
    }
    assert_eq!(s.entries("one"), 5);
    for name in ["two", "three", "four"] {
        run(&p, &mut s, &[charge(100, "c", 30, name)]);
    }
    assert_eq!(s.len(), 3);
    assert_eq!(s.entries("one"), 0, "the least recently used session went");
    // Entries older than max_age before the newest one are dropped.
    run(&p, &mut s, &[charge(100, "c", 0, "old")]);
    let late = json!({"action": "payments.charge",
        "args": {"amount": 100, "currency": "usd", "customer": "c"},
        "context": {"time": "2026-11-22T12:00:00Z"}, "session": {"id": "old"}});
    run(&p, &mut s, &[late]);
    assert_eq!(s.entries("old"), 1);
}

#[test]
fn an_override_relaxes_a_named_escalate_and_nothing_else() {
    let src = r#"
policy base.mail
when email.send recipient_scope == "external" then escalate "external mail"
when email.send recipient_scope == "external" and body contains "password" then deny "credentials leaving"

policy team.mail
when email.send recipient_domains contains "partner.com" then allow "partner mail" overrides base.mail:1
when email.send recipient_domains contains "other.com" then allow "no override, no effect"
"#;
    // Two policies in one file are not allowed: split them.
    let (a, b) = src.split_at(src.find("policy team.mail").unwrap());
    let c = permit0_compiler::compile(vec![
        permit0_compiler::Input::from_text("base.p0", a),
        permit0_compiler::Input::from_text("team.p0", b),
    ]);
    assert!(
        c.errors().next().is_none(),
        "{:?}",
        c.errors().collect::<Vec<_>>()
    );
    let p = permit0_compiler::build_program(&c).unwrap();
    let mail = |domain: &str, body: &str| {
        json!({"action": "email.send", "args": {
            "to": [format!("x@{domain}")], "subject": "hi", "body": body}})
    };
    assert_eq!(verdict(&p, mail("partner.com", "hello")), "allow");
    assert_eq!(verdict(&p, mail("other.com", "hello")), "escalate");
    assert_eq!(
        verdict(&p, mail("partner.com", "the password is x")),
        "deny"
    );
}

//! Sessions: the earlier actions of a session feed `session.*` aggregates,
//! filtered by `where`, windowed on the request's own `context.time`, and
//! bounded in memory — and none of it can be dodged by what a request leaves
//! out, misspells or misdates.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_session::{self as session, MemoryStore};
use permit0_session::{Clock, SessionLimits, SessionStore};
use permit0_vm::Program;
use serde_json::{json, Value};

/// Decides a stream of scenario requests, their times taken as written
/// (the way `permit0 test` does).
fn run(p: &Program, sessions: &MemoryStore, requests: &[Value]) -> Vec<(String, String)> {
    run_at(p, sessions, requests, Clock::unchecked())
}

/// Decides a stream of requests the way `permit0 eval` does live, at `clock`.
fn run_at(
    p: &Program,
    sessions: &MemoryStore,
    requests: &[Value],
    clock: Clock,
) -> Vec<(String, String)> {
    requests
        .iter()
        .map(|r| {
            let j = decide_json(p, sessions, r, clock);
            (
                j["decision"].as_str().unwrap().to_string(),
                j["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// One request of a stream: bind, check the time, decide, remember.
fn decide_json(p: &Program, sessions: &MemoryStore, r: &Value, clock: Clock) -> Value {
    match p.bind(r) {
        Ok(mut req) => match session::decide(p, sessions, &mut req, clock) {
            Ok(d) => p.decision_json(&d, Some(&req)),
            Err(e) => p.refusal_json(&e, Some(req.asked())),
        },
        Err(e) => p.refusal_json(&e, None),
    }
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
    let s = MemoryStore::default();
    let got = run(
        &p,
        &s,
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
    let s = MemoryStore::default();
    let got = run(
        &p,
        &s,
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
fn sessions_do_not_see_each_other() {
    let p = program(CARD_TESTING);
    let s = MemoryStore::default();
    let mut requests: Vec<Value> = (0..8)
        .map(|i| charge(100, &format!("c{i}"), i, if i % 2 == 0 { "a" } else { "b" }))
        .collect();
    let mut lone = charge(100, "c9", 9, "x");
    lone.as_object_mut().unwrap().remove("session");
    requests.push(lone);
    let got = run(&p, &s, &requests);
    // Each session saw four customers: the fifth request of neither exists;
    // the one without an id is in a session of its own.
    assert!(got.iter().all(|(v, _)| v == "allow"), "{got:?}");
    assert_eq!(s.entries_of_id("a"), 4);
    assert_eq!(s.entries_of_id("b"), 4);
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
    let s = MemoryStore::default();
    let t = |amount: i64, h: u32| {
        json!({"action": "payments.transfer",
               "args": {"amount": amount, "currency": "usd", "payee": "v1"},
               "context": {"time": format!("2026-11-22T{h:02}:00:00Z")},
               "session": {"id": "s"}})
    };
    let got = run(&p2, &s, &[t(200_000, 1), t(60_000, 2), t(10_000, 3)]);
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
        &s,
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
    let s = MemoryStore::new(SessionLimits {
        max_sessions: 3,
        max_entries: 5,
        max_age_ms: 3_600_000,
    });
    for i in 0..20 {
        run(&p, &s, &[charge(100, "c", i, "one")]);
    }
    assert_eq!(s.entries_of_id("one"), 5);
    for name in ["two", "three", "four"] {
        run(&p, &s, &[charge(100, "c", 30, name)]);
    }
    assert_eq!(s.len(), 3);
    assert_eq!(
        s.entries_of_id("one"),
        0,
        "the least recently used session went"
    );
    // Entries older than max_age before the newest one are dropped.
    run(&p, &s, &[charge(100, "c", 0, "old")]);
    let late = json!({"action": "payments.charge",
        "args": {"amount": 100, "currency": "usd", "customer": "c"},
        "context": {"time": "2026-11-22T12:00:00Z"}, "session": {"id": "old"}});
    run(&p, &s, &[late]);
    assert_eq!(s.entries_of_id("old"), 1);
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

// ---------------------------------------------------------------------------
// Sessions can't be dodged.

fn minute(m: i64) -> i64 {
    permit0_vm::time::parse_rfc3339("2026-11-22T10:00:00Z").unwrap() + m * 60_000
}

fn verdicts(got: &[(String, String)]) -> Vec<&str> {
    got.iter().map(|(v, _)| v.as_str()).collect()
}

/// `charge` without its `session` section, with `actor` and `context`
/// fields merged in.
fn charge_as(customer: &str, m: u32, actor: Option<&str>, tenant: Option<&str>) -> Value {
    let mut r = charge(100, customer, m, "unused");
    r.as_object_mut().unwrap().remove("session");
    if let Some(a) = actor {
        r["actor"] = json!({"id": a});
    }
    if let Some(t) = tenant {
        r["context"]["tenant"] = json!(t);
    }
    r
}

#[test]
fn a_request_without_a_session_id_still_counts_toward_the_cap() {
    let p = program(CARD_TESTING);
    let with_id: Vec<Value> = (1..=5)
        .map(|c| charge(100, &format!("c{c}"), c, "s"))
        .collect();
    let by_actor: Vec<Value> = (1..=5)
        .map(|c| charge_as(&format!("c{c}"), c, Some("agent-7"), Some("acme")))
        .collect();
    let anonymous: Vec<Value> = (1..=5)
        .map(|c| charge_as(&format!("c{c}"), c, None, None))
        .collect();
    let expected = ["allow", "allow", "allow", "allow", "deny"];
    for requests in [with_id, by_actor, anonymous] {
        let got = run(&p, &MemoryStore::default(), &requests);
        assert_eq!(verdicts(&got), expected, "{requests:?}");
        assert!(got[4].1.contains("card testing"));
    }
}

#[test]
fn without_a_session_id_each_actor_and_tenant_counts_on_its_own() {
    let p = program(CARD_TESTING);
    let s = MemoryStore::default();
    // Four customers each for alice and bob, interleaved; alice again under
    // another tenant; none of them reaches four *other* customers in one
    // session until alice of acme charges a fifth customer.
    let mut requests = Vec::new();
    for c in 1..=4u32 {
        requests.push(charge_as(&format!("a{c}"), c, Some("alice"), Some("acme")));
        requests.push(charge_as(&format!("b{c}"), c, Some("bob"), Some("acme")));
        requests.push(charge_as(
            &format!("x{c}"),
            c,
            Some("alice"),
            Some("globex"),
        ));
    }
    requests.push(charge_as("a5", 5, Some("alice"), Some("acme")));
    let got = run(&p, &s, &requests);
    let v = verdicts(&got);
    assert!(v[..12].iter().all(|v| *v == "allow"), "{got:?}");
    assert_eq!(v[12], "deny", "{got:?}");
    let count = |actor: &str, tenant: &str| {
        let req = p
            .bind(&charge_as("c", 9, Some(actor), Some(tenant)))
            .unwrap();
        let mut scope = String::new();
        session::scope_key(&mut scope, &p, &req);
        s.entries(&scope).unwrap()
    };
    assert_eq!(count("alice", "acme"), 5);
    assert_eq!(count("bob", "acme"), 4);
    assert_eq!(count("alice", "globex"), 4);
    assert_eq!(count("carol", "acme"), 0);
}

#[test]
fn an_explicit_session_id_does_not_share_history_with_an_actor_of_that_name() {
    let p = program(CARD_TESTING);
    let s = MemoryStore::default();
    let mut requests: Vec<Value> = (1..=4)
        .map(|c| charge_as(&format!("c{c}"), c, Some("alice"), None))
        .collect();
    // A session named like the actor is another session.
    requests.push(charge(100, "c5", 5, "alice"));
    let got = run(&p, &s, &requests);
    assert!(verdicts(&got).iter().all(|v| *v == "allow"), "{got:?}");
    assert_eq!(s.entries_of_id("alice"), 1);
}

#[test]
fn a_misspelled_or_mistyped_session_section_is_refused_not_ignored() {
    let p = program(CARD_TESTING);
    let with = |session: Value| {
        let mut r = charge(100, "c1", 1, "s");
        r["session"] = session;
        r
    };
    for (session, names) in [
        (
            json!({"idd": "a"}),
            "`session` has no field `idd` (did you mean `id`?)",
        ),
        (
            json!({"id": 5}),
            "`session.id` must be a non-empty string, found an integer",
        ),
        (json!({"id": ""}), "found an empty string"),
        (json!({"id": "  "}), "found an empty string"),
        (
            json!({"id": null}),
            "`session.id` must be a non-empty string, found null",
        ),
        (json!({}), "`session` needs field `id`"),
        (
            json!({"id": "a", "user": "b"}),
            "`session` has no field `user`",
        ),
        (json!("a"), "request section `session` is not an object"),
    ] {
        let r = with(session.clone());
        let err = p.bind(&r).expect_err(&session.to_string());
        assert_eq!(p.refuse(&err).verdict, permit0_vm::risk::Verdict::Escalate);
        assert!(err.to_string().contains(names), "{session}: {err}");
    }
    // The well-formed section binds, and so does no section at all.
    assert!(p.bind(&with(json!({"id": "a"}))).is_ok());
    assert!(p.bind(&charge_as("c1", 1, None, None)).is_ok());
}

#[test]
fn a_request_dated_far_from_the_live_clock_is_refused() {
    let p = program(CARD_TESTING);
    let s = MemoryStore::default();
    let now = minute(0);
    let at = |t: &str| {
        let mut r = charge(100, "c1", 0, "s");
        r["context"]["time"] = json!(t);
        r
    };
    let got = run_at(
        &p,
        &s,
        &[
            at("2036-11-22T10:00:00Z"),
            at("2026-11-22T09:00:00Z"),
            at("2026-11-22T10:04:59Z"),
            at("2026-11-22T09:55:00Z"),
        ],
        Clock::live(now),
    );
    assert_eq!(verdicts(&got), ["escalate", "escalate", "allow", "allow"]);
    assert!(
        got[0]
            .1
            .contains("more than 5 minutes ahead of the engine's clock"),
        "{}",
        got[0].1
    );
    assert!(got[1].1.contains("5 minutes behind"), "{}", got[1].1);
    // The refused ones were not recorded.
    assert_eq!(s.entries_of_id("s"), 2);
    // The skew is the embedding's to set.
    let got = run_at(
        &p,
        &MemoryStore::default(),
        &[at("2026-11-22T09:00:00Z")],
        Clock::live(now).with_max_skew(2 * 3_600_000),
    );
    assert_eq!(verdicts(&got), ["allow"]);
}

#[test]
fn one_request_dated_ten_years_ahead_cannot_evict_a_sessions_history() {
    let p = program(CARD_TESTING);
    let s = MemoryStore::default();
    let mut requests: Vec<Value> = (1..=4)
        .map(|c| charge(100, &format!("c{c}"), c, "s"))
        .collect();
    let mut future = charge(100, "c9", 5, "s");
    future["context"]["time"] = json!("2036-11-22T10:05:00Z");
    requests.push(future);
    requests.push(charge(100, "c5", 5, "s"));
    let got = run_at(&p, &s, &requests, Clock::live(minute(5)));
    assert_eq!(
        verdicts(&got),
        ["allow", "allow", "allow", "allow", "escalate", "deny"]
    );
    assert_eq!(s.entries_of_id("s"), 5);
}

#[test]
fn a_far_future_time_in_one_session_does_not_touch_another_sessions_history() {
    // Even with times taken as written (no clock), one session's dates
    // never evict another's entries: the store drops sessions by use.
    let p = program(CARD_TESTING);
    let s = MemoryStore::new(SessionLimits {
        max_sessions: 4,
        max_entries: 16,
        max_age_ms: 3_600_000,
    });
    let mine: Vec<Value> = (1..=4)
        .map(|c| charge(100, &format!("c{c}"), c, "mine"))
        .collect();
    run(&p, &s, &mine);
    let mut theirs = charge(100, "z", 6, "theirs");
    theirs["context"]["time"] = json!("2036-11-22T10:00:00Z");
    run(&p, &s, &[theirs]);
    assert_eq!(s.entries_of_id("mine"), 4);
    let got = run(&p, &s, &[charge(100, "c5", 7, "mine")]);
    assert_eq!(verdicts(&got), ["deny"]);
}

#[test]
fn requests_without_a_time_are_windowed_on_the_live_clock() {
    let p = program(CARD_TESTING);
    let s = MemoryStore::default();
    let untimed = |c: u32| {
        let mut r = charge(100, &format!("c{c}"), 0, "s");
        r["context"].as_object_mut().unwrap().remove("time");
        r
    };
    // Four customers a minute apart by the embedding's clock, then a fifth:
    // card testing, though no request said when it was made.
    for c in 1..=4u32 {
        let got = run_at(&p, &s, &[untimed(c)], Clock::live(minute(i64::from(c))));
        assert_eq!(verdicts(&got), ["allow"]);
    }
    let got = run_at(&p, &s, &[untimed(5)], Clock::live(minute(5)));
    assert_eq!(verdicts(&got), ["deny"], "{got:?}");
    // Half an hour later the 10-minute window is empty again: time-less
    // entries are placed in time, not counted forever.
    let got = run_at(&p, &s, &[untimed(6)], Clock::live(minute(40)));
    assert_eq!(verdicts(&got), ["allow"], "{got:?}");
}

#[test]
fn replay_checks_times_against_the_logged_time_not_todays_clock() {
    use permit0_audit::replay::{Replayed, Replayer};
    let p = program(CARD_TESTING);
    let live = MemoryStore::default();
    let mut requests: Vec<Value> = (1..=5)
        .map(|c| charge(100, &format!("c{c}"), c, "s"))
        .collect();
    let mut future = charge(100, "c9", 5, "s");
    future["context"]["time"] = json!("2036-11-22T10:05:00Z");
    requests.insert(4, future);
    // Decided live a week before today's clock, and logged as decided.
    let mut records = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        let now = minute(i as i64 + 1);
        let mut rec = decide_json(&p, &live, r, Clock::live(now))
            .as_object()
            .unwrap()
            .clone();
        rec.insert("raw".into(), json!(r.to_string()));
        rec.insert(
            "time".into(),
            json!(permit0_vm::time::format_rfc3339_ms(now)),
        );
        records.push(rec);
    }
    let logged: Vec<&str> = records
        .iter()
        .map(|r| r["decision"].as_str().unwrap())
        .collect();
    assert_eq!(
        logged,
        ["allow", "allow", "allow", "allow", "escalate", "deny"]
    );
    let mut replayer = Replayer::new(p, false);
    for r in &records {
        assert_eq!(replayer.replay(r), Replayed::Same, "{r:?}");
    }
}

#[test]
fn permit0_eval_refuses_a_request_dated_ten_years_ahead_of_its_clock() {
    let dir = std::env::temp_dir().join(format!("permit0-sessions-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cards.p0"), CARD_TESTING).unwrap();
    let now = permit0_vm::time::now_ms();
    let line = |time: i64| {
        let mut r = charge(100, "c1", 0, "s");
        r["context"]["time"] = json!(permit0_vm::time::format_rfc3339_ms(time));
        format!("{r}\n")
    };
    let ten_years = 10 * 365 * 24 * 3_600_000;
    let input = [line(now), line(now + ten_years), line(now - 3_600_000)].concat();
    let eval = |extra: &[&str]| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_permit0"))
            .current_dir(&dir)
            .args(["eval", "--no-stdlib"])
            .args(extra)
            .arg("cards.p0")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    let got = eval(&[]);
    let decisions: Vec<&str> = got
        .iter()
        .map(|d| d["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["allow", "escalate", "escalate"], "{got:?}");
    assert!(got[1]["reason"]
        .as_str()
        .unwrap()
        .contains("ahead of the engine's clock"));
    // A wider skew admits the hour-old one, never the ten-years-ahead one.
    let got = eval(&["--max-skew", "7200"]);
    let decisions: Vec<&str> = got
        .iter()
        .map(|d| d["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["allow", "escalate", "allow"], "{got:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

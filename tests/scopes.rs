//! History beyond the session: `actor.*` and `tenant.*` aggregates, and
//! `… by FIELD` — caps that hold across an agent's sessions, across every
//! agent of a tenant, per consumer — never across tenants, never switched
//! off by what a request leaves out, and never slipped under by concurrent
//! requests (in memory and in SQLite).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_server::db::Db;
use permit0_server::store::{Keep, SqliteStore};
use permit0_session::{self as session, Clock, MemoryStore, SessionStore};
use permit0_vm::Program;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// Decides one request as a stream does (times as written), recording it.
fn decide(p: &Program, store: &dyn SessionStore, r: &Value) -> String {
    let mut req = p.bind(r).unwrap();
    let d = session::decide(p, store, &mut req, Clock::unchecked()).unwrap();
    p.decision_json(&d, Some(&req))["decision"]
        .as_str()
        .unwrap()
        .to_string()
}

const REFUNDS: &str = r#"
policy acme.refunds
when payments.refund actor.count(payments.refund, 24h) >= 2
  then deny "two refunds a day per agent, whichever session"
when payments.refund then allow
"#;

fn refund(actor: Option<&str>, tenant: Option<&str>, session: &str, hour: u32) -> Value {
    let mut r = json!({"action": "payments.refund",
        "args": {"amount": 1000, "currency": "usd", "charge_id": "ch_1"},
        "context": {"time": format!("2026-11-22T{hour:02}:00:00Z")},
        "session": {"id": session}});
    if let Some(a) = actor {
        r["actor"] = json!({"id": a});
    }
    if let Some(t) = tenant {
        r["context"]["tenant"] = json!(t);
    }
    r
}

#[test]
fn an_actor_wide_cap_holds_across_the_agents_sessions() {
    let p = program(REFUNDS);
    let s = MemoryStore::default();
    // Two refunds in the morning session, one in the afternoon's: the
    // agent's third refund of the day is refused although its new session
    // has seen only one.
    assert_eq!(
        decide(&p, &s, &refund(Some("bot-1"), Some("acme"), "morning", 9)),
        "allow"
    );
    assert_eq!(
        decide(&p, &s, &refund(Some("bot-1"), Some("acme"), "morning", 10)),
        "allow"
    );
    assert_eq!(
        decide(
            &p,
            &s,
            &refund(Some("bot-1"), Some("acme"), "afternoon", 14)
        ),
        "deny"
    );
    // Another agent of the tenant has its own count.
    assert_eq!(
        decide(
            &p,
            &s,
            &refund(Some("bot-2"), Some("acme"), "afternoon", 14)
        ),
        "allow"
    );
    // The next day the window has moved on.
    let mut next_day = refund(Some("bot-1"), Some("acme"), "evening", 11);
    next_day["context"]["time"] = json!("2026-11-23T11:00:00Z");
    assert_eq!(decide(&p, &s, &next_day), "allow");
}

#[test]
fn requests_without_an_actor_id_share_one_stricter_count() {
    // Leaving `actor.id` out does not switch the cap off: every actor-less
    // request of the tenant counts together.
    let p = program(REFUNDS);
    let s = MemoryStore::default();
    assert_eq!(decide(&p, &s, &refund(None, Some("acme"), "a", 9)), "allow");
    assert_eq!(decide(&p, &s, &refund(None, Some("acme"), "b", 9)), "allow");
    assert_eq!(decide(&p, &s, &refund(None, Some("acme"), "c", 9)), "deny");
}

const CALLS: &str = r#"
policy acme.collections
when collections.call_debtor tenant.count(collections.call_debtor by account_id, 7d) >= 2
  then deny "two calls a week per debt"
when collections.call_debtor then allow
"#;

fn call(
    account: Option<&str>,
    agent: &str,
    tenant: Option<&str>,
    session: &str,
    day: u32,
) -> Value {
    let mut args = json!({"phone": "+15550100", "line_kind": "mobile",
        "consumer_local_hour": 10, "autodialed": false});
    if let Some(a) = account {
        args["account_id"] = json!(a);
    }
    let mut r = json!({"action": "collections.call_debtor", "args": args,
        "actor": {"id": agent},
        "context": {"time": format!("2026-06-{day:02}T15:00:00Z")},
        "session": {"id": session}});
    if let Some(t) = tenant {
        r["context"]["tenant"] = json!(t);
    }
    r
}

#[test]
fn a_field_scope_counts_across_agents_and_sessions() {
    let p = program(CALLS);
    let s = MemoryStore::default();
    // Three agents, three sessions, one debt: the third call is refused.
    assert_eq!(
        decide(
            &p,
            &s,
            &call(Some("acc-7"), "dialer-1", Some("acme"), "s1", 1)
        ),
        "allow"
    );
    assert_eq!(
        decide(
            &p,
            &s,
            &call(Some("acc-7"), "dialer-2", Some("acme"), "s2", 2)
        ),
        "allow"
    );
    assert_eq!(
        decide(
            &p,
            &s,
            &call(Some("acc-7"), "dialer-3", Some("acme"), "s3", 3)
        ),
        "deny"
    );
    // The same debt written with other case or an invisible character is
    // the same debt.
    assert_eq!(
        decide(
            &p,
            &s,
            &call(Some("ACC-7"), "dialer-4", Some("acme"), "s4", 3)
        ),
        "deny"
    );
    assert_eq!(
        decide(
            &p,
            &s,
            &call(Some("acc\u{200B}-7"), "dialer-4", Some("acme"), "s4", 3)
        ),
        "deny"
    );
    // Nor can spaces around the id start a new count.
    assert_eq!(
        decide(
            &p,
            &s,
            &call(Some(" acc-7\t"), "dialer-5", Some("acme"), "s5", 3)
        ),
        "deny"
    );
    // Another debt is counted on its own.
    assert_eq!(
        decide(
            &p,
            &s,
            &call(Some("acc-8"), "dialer-3", Some("acme"), "s3", 3)
        ),
        "allow"
    );
}

#[test]
fn one_tenants_calls_neither_count_toward_nor_can_be_read_by_another() {
    let p = program(CALLS);
    let s = MemoryStore::default();
    // Globex calls its own account "acc-7" twice…
    assert_eq!(
        decide(&p, &s, &call(Some("acc-7"), "g", Some("globex"), "g1", 1)),
        "allow"
    );
    assert_eq!(
        decide(&p, &s, &call(Some("acc-7"), "g", Some("globex"), "g1", 2)),
        "allow"
    );
    // …and acme's first two calls about its "acc-7" are unaffected: globex's
    // history is not acme's.
    assert_eq!(
        decide(&p, &s, &call(Some("acc-7"), "a", Some("acme"), "a1", 2)),
        "allow"
    );
    assert_eq!(
        decide(&p, &s, &call(Some("acc-7"), "a", Some("acme"), "a1", 3)),
        "allow"
    );
    // The attack: a caller probing from tenant "globex" for acme's count
    // (to learn whether acme called the consumer) sees only globex's two.
    let probe = call(Some("acc-7"), "a", Some("globex"), "a1", 3);
    let mut req = p.bind(&probe).unwrap();
    session::observe(&p, &s, &mut req, Clock::unchecked(), false).unwrap();
    let agg = p.session_queries(req.action().unwrap())[0].agg;
    assert_eq!(req.aggregate(usize::from(agg)), Some(2));
    // A tenant whose name looks like a key of another cannot reach it: the
    // parts of a key are length-prefixed.
    assert_eq!(
        decide(
            &p,
            &s,
            &call(Some("acc-7"), "a", Some("acme/acc-7"), "x", 3)
        ),
        "allow"
    );
    // Nor can a request that leaves its tenant out: all such requests share
    // one bucket of their own.
    assert_eq!(
        decide(&p, &s, &call(Some("acc-7"), "a", None, "y", 3)),
        "allow"
    );
    assert_eq!(
        decide(&p, &s, &call(Some("acc-7"), "a", None, "y", 3)),
        "allow"
    );
    assert_eq!(
        decide(&p, &s, &call(Some("acc-7"), "a", None, "y", 3)),
        "deny"
    );
}

const OPTIONAL_FIELD: &str = r#"
policy acme.cease
when collections.call_debtor tenant.count(collections.call_debtor by consumer_tz, 7d) >= 2
  then deny "two calls a week per time zone"
when collections.call_debtor then allow
"#;

#[test]
fn a_request_without_the_by_field_counts_in_one_shared_group() {
    // `consumer_tz` is optional. Requests that leave it out are not
    // uncounted: they count together, in a group stricter than any one
    // value's.
    let p = program(OPTIONAL_FIELD);
    let s = MemoryStore::default();
    assert_eq!(
        decide(&p, &s, &call(Some("a"), "d1", Some("acme"), "s1", 1)),
        "allow"
    );
    assert_eq!(
        decide(&p, &s, &call(Some("b"), "d2", Some("acme"), "s2", 1)),
        "allow"
    );
    assert_eq!(
        decide(&p, &s, &call(Some("c"), "d3", Some("acme"), "s3", 1)),
        "deny"
    );
}

#[test]
fn the_bundle_lists_the_scopes_it_reads() {
    let p = program(CALLS);
    let names: Vec<String> = p.scopes().iter().map(|s| s.describe()).collect();
    assert_eq!(names, ["session", "tenant by account_id"]);
    let p = program(REFUNDS);
    let names: Vec<String> = p.scopes().iter().map(|s| s.describe()).collect();
    assert_eq!(names, ["session", "actor"]);
}

/// N threads, each its own agent and session, all calling about one debt
/// under a cap of `CAP`: exactly `CAP` calls are allowed, whichever thread
/// wins each race — the store reads and records every scope key of a
/// request in one atomic step.
fn at_most_the_cap_under_concurrency(store: Arc<dyn SessionStore>) {
    const CAP: u32 = 10;
    let src = CALLS.replace(">= 2", &format!(">= {CAP}"));
    let p = Arc::new(program(&src));
    let allowed = Arc::new(AtomicU32::new(0));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (p, store, allowed) = (p.clone(), store.clone(), allowed.clone());
            std::thread::spawn(move || {
                for i in 0..6 {
                    let r = call(
                        Some("acc-1"),
                        &format!("agent-{t}"),
                        Some("acme"),
                        &format!("session-{t}-{i}"),
                        1,
                    );
                    if decide(&p, &*store, &r) == "allow" {
                        allowed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(allowed.load(Ordering::Relaxed), CAP);
}

#[test]
fn concurrent_agents_on_one_debt_get_at_most_the_cap_in_memory() {
    at_most_the_cap_under_concurrency(Arc::new(MemoryStore::default()));
}

#[test]
fn concurrent_agents_on_one_debt_get_at_most_the_cap_in_sqlite() {
    let dir = std::env::temp_dir().join(format!("permit0-scopes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Arc::new(Db::open(&dir).unwrap());
    at_most_the_cap_under_concurrency(Arc::new(SqliteStore::new(db, Keep::default())));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_field_scope_with_many_values_stays_bounded() {
    // A flood of calls about 10,000 different accounts keeps at most the
    // store's configured number of scope keys.
    let p = program(CALLS);
    let s = MemoryStore::new(permit0_session::SessionLimits {
        max_sessions: 256,
        max_entries: 16,
        max_age_ms: 7 * 24 * 3_600_000,
    });
    for i in 0..10_000 {
        decide(
            &p,
            &s,
            &call(Some(&format!("acc-{i}")), "d", Some("acme"), "s", 1),
        );
    }
    assert!(s.len() <= 256, "{} keys kept", s.len());
}

//! `decide` never allocates: a counting global allocator around it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![expect(
    unsafe_code,
    reason = "a global allocator is an unsafe trait; this one only counts and forwards to System"
)]

mod common;
use common::*;
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        COUNT.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        COUNT.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = COUNT.with(Cell::get);
    let out = f();
    (out, COUNT.with(Cell::get) - before)
}

#[test]
fn decide_allocates_nothing() {
    // Every kind of instruction: numbers, strings, sets, enums, keyword
    // matchers (any and all), text tests, lists, amplify + rescoring, risk
    // reads, session aggregates, defaults.
    let p = program(
        r#"
let trusted = {"acme-payroll", "acme-tax"}
when payments.transfer amount > 100_000 then amplify amount +10
when payments.transfer payee not in trusted and amount > 5_000 then escalate "untrusted payee"
when payments.transfer session.sum(payments.transfer.amount, 24h) > 250_000 then deny "daily cap"
when payments.transfer risk.tier >= high or risk.score > 90 then deny "too risky"
when email.send body contains_any ["password", "api_key", "secret"] and recipient_scope == "external" then deny "credentials"
when email.send body contains_all ["wire", "urgent"] then escalate "urgent wire"
when email.send recipient_domains contains "rival.example" or subject starts_with "re: invoice" then escalate
when email.send to ends_with "@acme.com" and len(to) < 5 then allow
when email.send (context.env ?? prod) in {"prod", "staging"} and has actor.role and actor.role == "intern" then escalate
when * risk.flags contains "DESTRUCTION" then escalate
when email.send subject contains_any ["a1", "b2", "c3", "d4", "e5", "f6", "g7", "h8", "i9", "j10"] then escalate
when email.send body contains_all ["wire", "urgent", "now", "ceo", "gift", "card", "asap", "secret", "today"] then deny
when payments.transfer session.sum(payments.transfer.amount, 24h) + amount * 2 > 1_000_000 then escalate "arithmetic"
when payments.transfer not has context.time or not has actor.tz or hour(context.time, actor.tz) < 5 or weekday(context.time, "Europe/Paris") > 5 then escalate "night"
when payments.transfer has context.grants and grant_active(context.grants, "transfers") then allow "granted"
when payments.transfer has actor.chain and (chain_widens(actor.chain) or len(actor.chain) > 3) then deny "delegation"
when email.send has actor.chain and beyond_chain(to, actor.chain) then escalate "beyond the chain"
when payments.transfer not has context.ip or context.ip not in {"10.0.0.0/8", "2001:db8::/32"} or in_cidr(context.ip, "198.51.100.0/24") then escalate "network"
"#,
    );
    let requests = [
        json!({"action": "payments.transfer", "args": {"amount": 900_000, "currency": "usd", "payee": "bob"}, "context": {"env": "prod"}}),
        json!({"action": "payments.transfer", "args": {"amount": 900, "currency": "usd", "payee": "acme-tax"}}),
        json!({"action": "email.send", "args": {"to": ["a@rival.example"], "subject": "keys", "body": "the API_KEY is", "recipient_scope": "external", "recipient_domains": ["rival.example"], "recipient_count": 1}}),
        json!({"action": "email.send", "args": {"to": ["a@acme.com"], "subject": "Re: Invoice 7", "body": "urgent: wire it", "recipient_scope": "internal", "recipient_domains": ["acme.com"], "recipient_count": 1}, "actor": {"role": "intern"}, "context": {"env": "prod"}}),
        json!({"action": "db.drop_table", "args": {"table": "users", "database": "prod", "cascade": true}}),
        json!({"action": "nope.nothing", "args": {}}),
        // Checked arithmetic, local time in a zone, grants.
        json!({"action": "payments.transfer", "args": {"amount": 900, "currency": "usd", "payee": "acme-tax"},
               "actor": {"tz": "America/New_York"},
               "context": {"time": "2026-12-05T15:00:00Z",
                           "grants": [{"scope": "transfers", "action": "payments.*", "expires": "2026-12-05T16:00:00Z", "granted_by": "alice"}]}}),
        json!({"action": "payments.transfer", "args": {"amount": i64::MAX, "currency": "usd", "payee": "acme-tax"},
               "actor": {"tz": "Nowhere/Land"}, "context": {"time": "2026-12-05T15:00:00Z"}}),
        // Addresses, IPv4, IPv6 and mapped.
        json!({"action": "payments.transfer", "args": {"amount": 900, "currency": "usd", "payee": "acme-tax"}, "context": {"ip": "10.1.2.3"}}),
        json!({"action": "payments.transfer", "args": {"amount": 900, "currency": "usd", "payee": "acme-tax"}, "context": {"ip": "2001:db8::7"}}),
        json!({"action": "payments.transfer", "args": {"amount": 900, "currency": "usd", "payee": "acme-tax"}, "context": {"ip": "::ffff:198.51.100.9"}}),
        // A delegation chain.
        json!({"action": "payments.transfer", "args": {"amount": 900, "currency": "usd", "payee": "acme-tax"},
               "actor": {"chain": [{"id": "u", "kind": "human", "scopes": ["a"]}, {"id": "p", "kind": "agent", "scopes": ["a", "b"]}]}}),
        json!({"action": "email.send", "args": {"to": ["a@acme.com"], "subject": "s", "body": "b", "recipient_scope": "internal", "recipient_domains": ["acme.com"], "recipient_count": 1},
               "actor": {"chain": [{"id": "u", "kind": "human", "scopes": ["a@acme.com"]}]}}),
    ];
    let mut bound = Vec::new();
    for r in &requests {
        match p.bind(r) {
            Ok(b) => bound.push(b),
            Err(e) => panic!("{r}: {e}"),
        }
    }
    for b in &bound {
        p.decide(b); // warm any lazy state
    }
    for b in &bound {
        let (d, n) = allocations(|| p.decide(b));
        assert_eq!(
            n,
            0,
            "decide allocated {n} times for {:?} ({:?})",
            b.asked(),
            d.verdict
        );
    }
    // And the counter works.
    let (_, n) = allocations(|| vec![1u8; 10]);
    assert!(n >= 1);
}

#[test]
fn reading_the_session_allocates_nothing_once_warm() {
    use permit0_session as session;
    let p = program(
        r#"
when payments.charge session.distinct(payments.charge.customer where amount < 200, 10m) >= 4 then deny "card testing"
when payments.charge session.count(payments.*, 1h) > 50 then escalate "burst"
when payments.charge session.sum(payments.charge.amount, 24h) > 1_000_000 then deny "daily cap"
when payments.charge session.seen(iam.assign_role, 5) then escalate "privilege then charge"
"#,
    );
    let sessions = permit0_session::MemoryStore::default();
    // Deciding live, so the clock check is on the measured path too.
    let clock = permit0_session::Clock::live(
        permit0_vm::time::parse_rfc3339("2026-11-22T10:41:00Z").unwrap(),
    )
    .with_max_skew(3_600_000);
    let charge = |n: u32| {
        json!({"action": "payments.charge",
               "args": {"amount": 100, "currency": "usd", "customer": format!("c{n}")},
               "context": {"time": format!("2026-11-22T10:{:02}:00Z", n % 60)},
               "session": {"id": "s-1"}})
    };
    for n in 0..40 {
        let mut r = p.bind(&charge(n)).unwrap();
        session::decide(&p, &sessions, &mut r, clock).unwrap();
    }
    // Reading the session (what `explain` and a what-if do) and deciding:
    // nothing allocated once the store and this thread's buffers are warm.
    let mut r = p.bind(&charge(41)).unwrap();
    let (d, n) = allocations(|| {
        session::observe(&p, &sessions, &mut r, clock, false).unwrap();
        p.decide(&r)
    });
    assert_eq!(n, 0, "fill + decide allocated {n} times");
    assert_eq!(d.verdict, permit0_vm::risk::Verdict::Deny);
    // Reading and recording in one step allocates only the new entry.
    let mut r = p.bind(&charge(42)).unwrap();
    let (d, n) = allocations(|| session::decide(&p, &sessions, &mut r, clock).unwrap());
    assert!(n <= 1, "read + record + decide allocated {n} times");
    assert_eq!(d.verdict, permit0_vm::risk::Verdict::Deny);
}

#[test]
fn reading_actor_tenant_and_field_scopes_allocates_nothing_once_warm() {
    use permit0_session as session;
    let p = program(
        r#"
when payments.charge tenant.count(payments.charge by customer, 7d) >= 30 then deny "per customer"
when payments.charge actor.sum(payments.charge.amount, 24h) > 1_000_000 then deny "per agent"
when payments.charge session.count(payments.*, 1h) > 50 then escalate "burst"
"#,
    );
    let sessions = permit0_session::MemoryStore::default();
    let clock = permit0_session::Clock::unchecked();
    let charge = |n: u32| {
        json!({"action": "payments.charge",
               "args": {"amount": 100, "currency": "usd", "customer": "c1"},
               "actor": {"id": "bot"},
               "context": {"time": format!("2026-11-22T10:{:02}:00Z", n % 60), "tenant": "acme"},
               "session": {"id": format!("s-{}", n % 3)}})
    };
    for n in 0..40 {
        let mut r = p.bind(&charge(n)).unwrap();
        session::decide(&p, &sessions, &mut r, clock).unwrap();
    }
    // Three scope keys built, three shards locked, three histories read:
    // nothing allocated.
    let mut r = p.bind(&charge(41)).unwrap();
    let (d, n) = allocations(|| {
        session::observe(&p, &sessions, &mut r, clock, false).unwrap();
        p.decide(&r)
    });
    assert_eq!(n, 0, "fill + decide allocated {n} times");
    assert_eq!(
        d.verdict,
        permit0_vm::risk::Verdict::Deny,
        "40 charges to c1"
    );
    // Recording allocates one entry per scope it is recorded in.
    let mut r = p.bind(&charge(42)).unwrap();
    let (_, n) = allocations(|| session::decide(&p, &sessions, &mut r, clock).unwrap());
    assert!(
        n <= 3,
        "read + record in 3 scopes + decide allocated {n} times"
    );
}

#[test]
fn binding_a_clean_request_allocates_only_the_strings_it_has_not_seen() {
    // No session aggregates, so a request's aggregates are empty; the
    // action has 3 fields of its own beside the 17 of the namespaces, so
    // its slots are held inline in the request.
    let p = program(
        r#"when payments.refund amount > 50_000 and has currency and currency == "usd" then escalate "large refund""#,
    );
    let text = r#"{"action":"payments.refund","args":{"amount":900,"currency":"usd","charge_id":"ch_1"},"actor":{"role":"Support"}}"#;
    // Three strings this thread has not bound yet, each behind one thin
    // shared pointer (one allocation) to its raw and folded forms: "usd"
    // and "ch_1" fold to themselves (one string each, shared by both
    // forms), "Support" folds to "support" (two). Seven allocations, and
    // none for the slots.
    let (r, n) = allocations(|| p.bind_bytes(text.as_bytes()));
    assert!(r.is_ok() && p.bind_bytes_streams(text.as_bytes()));
    assert_eq!(n, 7, "bind_bytes allocated {n} times");
    // The same strings again, on the same thread: they are shared with the
    // first request, and nothing is allocated.
    let (r, n) = allocations(|| p.bind_bytes(text.as_bytes()));
    assert!(r.is_ok());
    assert_eq!(
        n, 0,
        "bind_bytes allocated {n} times for strings it has seen"
    );
    let json = permit0_vm::parse_request(text.as_bytes()).unwrap();
    let (r, n) = allocations(|| p.bind(&json));
    assert!(r.is_ok());
    assert_eq!(n, 0, "bind allocated {n} times for strings it has seen");
}

//! The front door, as a service uses it: build an `Authorizer` from a signed
//! bundle and the key trusted to sign it, share it between threads, decide
//! requests as JSON values or JSON text, swap bundles — and get a decision
//! that is never "allow" when anything along the way goes wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0::{Authorizer, Error, MemoryStore, Outcome, SessionStore, StoreError, Verdict};
use permit0_session::Observation;
use serde_json::{json, Value};
use std::sync::Arc;

const REFUNDS: &str = r#"
policy acme.refunds
when payments.refund amount > 50_000 then deny "refunds above $500 need finance"
when payments.refund amount > 10_000 then escalate "large refund"
when payments.refund session.count(payments.refund, 1h) >= 5 then deny "refund burst"
when payments.refund then allow "small refund"
"#;

fn public_key_text() -> String {
    permit0_vm::keys::encode_public_key(&test_key().verifying_key())
}

fn authorizer(src: &str) -> Authorizer {
    Authorizer::new(&bundle(src), &[public_key_text().as_str()])
        .unwrap()
        .with_max_skew(None)
}

fn refund(amount: i64, session: &str) -> Value {
    json!({"action": "payments.refund",
           "args": {"amount": amount, "currency": "usd", "charge_id": "ch_1", "customer": "cus_1"},
           "session": {"id": session}})
}

#[test]
fn a_service_decides_with_a_signed_bundle_and_its_key() {
    let auth = authorizer(REFUNDS);
    let small = auth.decide(&refund(2_000, "a"));
    assert_eq!(small.verdict, Verdict::Allow);
    assert_eq!(small.reason, "small refund");
    assert_eq!(small.rule.as_deref(), Some("acme.refunds:4"));
    assert!(small
        .action_digest
        .as_deref()
        .unwrap()
        .starts_with("sha256:"));
    assert_eq!(auth.decide(&refund(20_000, "b")).verdict, Verdict::Escalate);
    assert_eq!(auth.decide(&refund(90_000, "c")).verdict, Verdict::Deny);
}

#[test]
fn a_bundle_nobody_vouches_for_is_never_run() {
    let bytes = bundle(REFUNDS);
    // Signed by another key.
    let other = permit0_vm::keys::encode_public_key(&other_key().verifying_key());
    assert!(matches!(
        Authorizer::new(&bytes, &[other.as_str()]),
        Err(Error::Bundle(_))
    ));
    // One byte changed.
    let mut tampered = bytes.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 1;
    assert!(matches!(
        Authorizer::new(&tampered, &[public_key_text().as_str()]),
        Err(Error::Bundle(_))
    ));
    // No key at all, or a key that is not one.
    assert!(matches!(
        Authorizer::new(&bytes, &[]),
        Err(Error::NoTrustedKey)
    ));
    let e = Authorizer::new(&bytes, &["ed25519 nonsense"])
        .err()
        .unwrap();
    assert!(matches!(e, Error::Key(_)), "{e}");
    assert!(e.to_string().contains("trusted key"), "{e}");
}

#[test]
fn json_text_is_read_strictly_and_decided_like_the_value() {
    let auth = authorizer(REFUNDS);
    let text = refund(2_000, "t").to_string();
    let from_text = auth.decide_bytes(text.as_bytes());
    assert_eq!(from_text.verdict, Verdict::Allow);
    assert_eq!(
        from_text.action_digest,
        auth.decide(&refund(2_000, "u")).action_digest
    );
    // The executor may read the second `amount`; the gate refuses to guess.
    let twice = br#"{"action": "payments.refund", "args": {"amount": 100, "amount": 90000, "currency": "usd", "charge_id": "ch_1"}}"#;
    let o = auth.decide_bytes(twice);
    assert_eq!(o.verdict, Verdict::Escalate, "{o:?}");
    assert!(o.reason.contains("amount"), "{}", o.reason);
    for bad in [&b"{\"action\": "[..], b"\xff\xfe", b"[1, 2]", b""] {
        assert_eq!(auth.decide_bytes(bad).verdict, Verdict::Escalate);
    }
}

#[test]
fn threads_hammering_one_session_cannot_all_slip_under_its_cap() {
    // Eight threads send 40 small refunds each into one session. The cap
    // denies from the sixth refund of the hour on: exactly five are allowed,
    // however the threads interleave, because reading the count and
    // recording the refund are one step of the store.
    let auth = Arc::new(authorizer(REFUNDS));
    let allowed: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let auth = Arc::clone(&auth);
                s.spawn(move || {
                    (0..40)
                        .filter(|_| auth.decide(&refund(100, "shared")).verdict == Verdict::Allow)
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(allowed, 5);
    // Other sessions are their own.
    assert_eq!(auth.decide(&refund(100, "other")).verdict, Verdict::Allow);
}

/// A store that cannot be reached (a network store whose server is down).
struct Unreachable;

impl SessionStore for Unreachable {
    fn observe(&self, _: &Observation<'_>, _: &mut dyn FnMut(u16, i64)) -> Result<(), StoreError> {
        Err(StoreError("connection refused".into()))
    }
    fn forget(&self, _: &str) -> Result<(), StoreError> {
        Err(StoreError("connection refused".into()))
    }
    fn entries(&self, _: &str) -> Result<usize, StoreError> {
        Err(StoreError("connection refused".into()))
    }
}

#[test]
fn a_store_that_fails_holds_allows_for_a_human_and_keeps_denies() {
    let auth = authorizer(REFUNDS).with_store(Arc::new(Unreachable));
    let o = auth.decide(&refund(100, "s"));
    assert_eq!(
        o.verdict,
        Verdict::Escalate,
        "a cap that cannot be read did not pass"
    );
    assert!(o.reason.contains("connection refused"), "{}", o.reason);
    assert_eq!(auth.decide(&refund(90_000, "s")).verdict, Verdict::Deny);
}

#[test]
fn a_swap_verifies_first_and_keeps_the_old_bundle_on_any_error() {
    let auth = authorizer(REFUNDS);
    assert_eq!(auth.decide(&refund(20_000, "a")).verdict, Verdict::Escalate);
    let stricter = REFUNDS.replace("amount > 10_000 then escalate", "amount > 10_000 then deny");
    let mut tampered = bundle(&stricter);
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(auth.swap(&tampered).is_err());
    assert_eq!(auth.decide(&refund(20_000, "a")).verdict, Verdict::Escalate);
    auth.swap(&bundle(&stricter)).unwrap();
    assert_eq!(auth.decide(&refund(20_000, "a")).verdict, Verdict::Deny);
}

#[test]
fn the_decision_json_is_one_shape_read_back_as_written() {
    let auth = authorizer(REFUNDS);
    let o = auth.decide(&refund(20_000, "j"));
    let j = o.to_json();
    assert_eq!(j["decision"], "escalate");
    assert_eq!(j["risk"]["tier"], json!(o.risk.as_ref().unwrap().tier));
    assert_eq!(Outcome::from_json(&j).unwrap(), o);
    // The bare VM's JSON is the same document.
    let p = auth.program();
    let r = p.bind(&refund(20_000, "j")).unwrap();
    assert_eq!(p.decision_json(&p.decide(&r), Some(&r)), j);
    // A refusal too.
    let refused = auth.decide(&json!({"action": "payments.refund", "args": {"amount": "lots"}}));
    assert_eq!(refused.verdict, Verdict::Escalate);
    assert_eq!(Outcome::from_json(&refused.to_json()).unwrap(), refused);
}

#[test]
fn explaining_reads_the_session_without_counting_the_request() {
    let auth = authorizer(REFUNDS);
    for _ in 0..5 {
        auth.decide(&refund(100, "e"));
    }
    let e = auth.explain(&refund(100, "e"));
    assert_eq!(e.outcome.verdict, Verdict::Deny);
    assert!(e.json["explain"]["matched"].as_array().unwrap().len() >= 2);
    let store = MemoryStore::default();
    let auth = authorizer(REFUNDS).with_store(Arc::new(store));
    for _ in 0..3 {
        auth.explain(&refund(100, "f"));
    }
    assert_eq!(
        auth.store()
            .entries(&permit0_session::explicit_scope("f"))
            .unwrap(),
        0
    );
}

#[test]
fn the_bare_vm_without_classifiers_refuses_what_it_cannot_read() {
    // A service that loads a bundle itself and forgets the classifiers
    // must not get a looser gate: a raw shell call, whose fields only the
    // shell reader can compute, is refused — escalated, never allowed.
    let stdlib = permit0_compiler::compile(permit0_compiler::stdlib::inputs());
    let bytes = permit0_compiler::build_bundle(&stdlib, &test_key()).unwrap();
    let bare = permit0_vm::Program::load(&bytes, &[test_key().verifying_key()]).unwrap();
    let call = json!({"tool": "Bash", "args": {"command": "ls"}});
    let err = bare.bind(&call).unwrap_err();
    assert!(
        matches!(err, permit0_vm::BindError::NoBuiltin { .. }),
        "{err}"
    );
    assert_eq!(bare.refuse(&err).verdict, Verdict::Escalate);
    // The same bundle through the front door reads it.
    let auth = Authorizer::new(&bytes, &[public_key_text().as_str()]).unwrap();
    assert_eq!(auth.decide(&call).verdict, Verdict::Allow);
}

#[test]
fn a_deferred_decision_is_the_same_decision_with_its_outcome_built_later() {
    // Two authorizers fed the same requests in the same order: one builds
    // each outcome at once, the other (the Python SDK's way) only when read.
    let eager = authorizer(REFUNDS);
    let lazy = authorizer(REFUNDS);
    let mut requests: Vec<Value> = vec![
        refund(2_000, "a"),
        refund(20_000, "a"),
        refund(90_000, "a"),
        json!({"action": "payments.refund", "args": {"amount": 1}}),
        json!({"action": "no.such.action", "args": {}}),
        json!({"tool": "Bash", "args": {"command": "ls"}}),
    ];
    // The session cap: the sixth refund of session "b" is a burst.
    requests.extend((0..6).map(|_| refund(100, "b")));
    for r in &requests {
        let now = eager.decide(r);
        let later = lazy.decide_deferred(r);
        assert_eq!(later.verdict(), now.verdict, "{r}");
        assert_eq!(later.outcome(), now, "{r}");
    }
    assert_eq!(eager.decide(&refund(100, "b")).reason, "refund burst");

    // Built by the program that decided, even after a swap.
    let before = lazy.decide_deferred(&refund(20_000, "c"));
    let old_bundle = lazy.program().digest_string();
    lazy.swap(&bundle(&REFUNDS.replace("then escalate", "then deny")))
        .unwrap();
    assert_eq!(before.verdict(), Verdict::Escalate);
    assert_eq!(before.outcome().bundle, old_bundle);
    assert_ne!(lazy.program().digest_string(), old_bundle);

    // A store that fails: the same hold, with the store's reason.
    let held = authorizer(REFUNDS)
        .with_store(Arc::new(Unreachable))
        .decide_deferred(&refund(100, "s"));
    assert_eq!(held.verdict(), Verdict::Escalate);
    assert!(held.outcome().reason.contains("connection refused"));
}

/// The service queues an escalation with its explanation for the human who
/// approves it. Explained in the same pass as the decision, it shows the
/// count the decision read (three earlier refunds), not a second reading
/// that already counts this one — and the request is recorded once.
#[test]
fn an_escalation_is_explained_from_the_reading_that_decided_it() {
    const BURST: &str = r#"
policy acme.burst
when payments.refund session.count(payments.refund, 1h) >= 3 then escalate "refund burst"
when payments.refund then allow "small refund"
"#;
    let auth = authorizer(BURST);
    for _ in 0..3 {
        let (o, e) = auth.decide_explaining_escalation(&refund(100, "b"));
        assert_eq!(o.verdict, Verdict::Allow);
        assert!(e.is_none(), "an allow costs no explanation");
    }
    let (o, e) = auth.decide_explaining_escalation(&refund(100, "b"));
    assert_eq!(o.verdict, Verdict::Escalate);
    assert_eq!(o.reason, "refund burst");
    let e = e.expect("an escalation is explained");
    let matched = &e["matched"][0];
    assert_eq!(matched["reason"], "refund burst", "{e}");
    let read: Vec<&Value> = matched["read"].as_object().unwrap().values().collect();
    assert_eq!(read, [&json!(3)], "the count the decision read: {e}");
    // Explained afterwards, the session already holds this request.
    let later = auth.explain(&refund(100, "b"));
    let read: Vec<&Value> = later.json["explain"]["matched"][0]["read"]
        .as_object()
        .unwrap()
        .values()
        .collect();
    assert_eq!(read, [&json!(4)], "{}", later.json);
    // Four decisions recorded, not five or eight.
    assert_eq!(
        auth.store()
            .entries(&permit0_session::explicit_scope("b"))
            .unwrap(),
        4
    );
    // The same outcome `decide` gives.
    let fresh = authorizer(BURST);
    for _ in 0..3 {
        fresh.decide(&refund(100, "b"));
    }
    assert_eq!(fresh.decide(&refund(100, "b")), o);
}

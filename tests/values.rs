//! Stories for the values of the language: arithmetic (checked, an overflow
//! never loosens a decision) and time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use serde_json::json;

fn refund(amount: i64) -> serde_json::Value {
    json!({"action": "payments.refund",
           "args": {"amount": amount, "currency": "usd", "charge_id": "ch_1"}})
}

const NEAR_MAX: i64 = i64::MAX - 10;

#[test]
fn an_allow_rule_whose_arithmetic_overflows_does_not_match() {
    // Doubling a near-i64::MAX amount overflows: the allow rule does not
    // apply, and the refund falls to its risk tier (medium: escalate).
    let p = program("when payments.refund amount * 2 < 1_000_00 then allow \"small\"");
    assert_eq!(verdict(&p, refund(100)), "allow");
    let d = decide(&p, refund(NEAR_MAX));
    assert_eq!(d["decision"], "escalate");
    assert_eq!(d["rule"], serde_json::Value::Null);
}

#[test]
fn a_deny_rule_whose_arithmetic_overflows_matches() {
    // A wrapping `amount * 4` would be negative and slip under the ceiling.
    let p = program(
        "when payments.refund amount * 4 > 1_000_00 then deny \"ceiling\"\nwhen payments.refund then allow",
    );
    assert_eq!(verdict(&p, refund(100)), "allow");
    let d = decide(&p, refund(NEAR_MAX));
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["reason"], "ceiling");
}

#[test]
fn under_not_an_overflow_still_reads_toward_the_stricter_verdict() {
    // `not (x < k)` in a deny rule: the comparison inside reads false on
    // overflow, so the rule matches.
    let p = program(
        "when payments.refund not (amount + 10 < 1_000_00) then escalate \"large\"\nwhen payments.refund then allow",
    );
    assert_eq!(verdict(&p, refund(100)), "allow");
    assert_eq!(verdict(&p, refund(NEAR_MAX)), "escalate");
    // And in an allow rule, `not (x > k)` does not match on overflow.
    let p = program("when payments.refund not (amount + 10 > 1_000_00) then allow");
    assert_eq!(verdict(&p, refund(100)), "allow");
    assert_eq!(verdict(&p, refund(NEAR_MAX)), "escalate");
}

#[test]
fn arithmetic_on_an_absent_value_is_false_both_ways() {
    // `context.time` is optional: guarded with `has`, an absent time means
    // the allow rule does not apply.
    let p = program(
        "when payments.refund has context.time and context.time + 1h < 2027-01-01T00:00:00Z then allow",
    );
    let mut r = refund(100);
    assert_eq!(verdict(&p, r.clone()), "escalate");
    r["context"] = json!({"time": "2026-06-01T00:00:00Z"});
    assert_eq!(verdict(&p, r.clone()), "allow");
    r["context"] = json!({"time": "2026-12-31T23:30:00Z"});
    assert_eq!(verdict(&p, r), "escalate");
}

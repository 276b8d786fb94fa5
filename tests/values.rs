//! Stories for the values of the language: arithmetic (checked, an overflow
//! never loosens a decision) and time.
#![allow(
    // Money reads as money: 900_00 is 900.00.
    clippy::inconsistent_digit_grouping,
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

fn export(time: &str, tz: &str) -> serde_json::Value {
    json!({"action": "db.export",
           "args": {"tables": ["customers"], "format": "csv", "target": "/tmp/x.csv", "target_scope": "local"},
           "actor": {"id": "agent-7", "tz": tz},
           "context": {"time": time}})
}

const NIGHT: &str = "when db.export not has context.time or not has actor.tz
  or hour(context.time, actor.tz) < 5 then deny \"no bulk exports between midnight and 5am\"
when db.export then allow";

#[test]
fn bulk_exports_are_denied_between_midnight_and_five_in_the_actors_zone() {
    let p = program(NIGHT);
    // 08:00 UTC is 03:00 in New York (EST): night there.
    let d = decide(&p, export("2026-12-05T08:00:00Z", "America/New_York"));
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["reason"], "no bulk exports between midnight and 5am");
    // The same instant is 09:00 in Paris: day.
    assert_eq!(
        verdict(&p, export("2026-12-05T08:00:00Z", "Europe/Paris")),
        "allow"
    );
    // 10:00 UTC is 05:00 in New York: the night is over.
    assert_eq!(
        verdict(&p, export("2026-12-05T10:00:00Z", "America/New_York")),
        "allow"
    );
    // 04:59 local is still night.
    assert_eq!(
        verdict(&p, export("2026-12-05T09:59:59Z", "America/New_York")),
        "deny"
    );
}

#[test]
fn a_zone_the_database_does_not_know_reads_toward_the_stricter_verdict() {
    // The deny rule applies: an unknown zone cannot prove it is daytime.
    let p = program(NIGHT);
    assert_eq!(
        verdict(&p, export("2026-12-05T15:00:00Z", "Mars/Olympus")),
        "deny"
    );
    // An allow rule on local hours does not apply: the export escalates
    // on its risk tier, never allowed.
    let p = program(
        "when db.export has context.time and has actor.tz and hour(context.time, actor.tz) >= 9 and hour(context.time, actor.tz) < 17 then allow",
    );
    assert_eq!(
        verdict(&p, export("2026-12-05T15:00:00Z", "Europe/London")),
        "allow"
    );
    assert_ne!(
        verdict(&p, export("2026-12-05T15:00:00Z", "Europe/Londn")),
        "allow"
    );
    // A zone that is not a string at all is a binding error: escalate.
    let mut r = export("2026-12-05T15:00:00Z", "Europe/London");
    r["actor"]["tz"] = json!(1);
    assert_eq!(verdict(&p, r), "escalate");
}

#[test]
fn daylight_saving_moves_the_night_with_the_zone() {
    let p = program(NIGHT);
    // New York springs forward on 2026-03-08: 09:30 UTC is 04:30 EST the
    // day before, 05:30 EDT the day after.
    assert_eq!(
        verdict(&p, export("2026-03-07T09:30:00Z", "America/New_York")),
        "deny"
    );
    assert_eq!(
        verdict(&p, export("2026-03-09T09:30:00Z", "America/New_York")),
        "allow"
    );
    // And falls back on 2026-11-01: 09:30 UTC is 05:30 EDT the day before,
    // 04:30 EST the day after.
    assert_eq!(
        verdict(&p, export("2026-10-31T09:30:00Z", "America/New_York")),
        "allow"
    );
    assert_eq!(
        verdict(&p, export("2026-11-02T09:30:00Z", "America/New_York")),
        "deny"
    );
}

#[test]
fn a_rule_valid_between_two_dates() {
    // A freeze over the year-end close, in UTC.
    let p = program(
        "when payments.refund not has context.time or (context.time >= 2026-12-24T00:00:00Z and context.time < 2027-01-02T00:00:00Z)
  then deny \"year-end freeze\"
when payments.refund then allow",
    );
    let at = |t: &str| {
        let mut r = refund(100);
        r["context"] = json!({"time": t});
        verdict(&p, r)
    };
    assert_eq!(at("2026-12-23T23:59:59Z"), "allow");
    assert_eq!(at("2026-12-24T00:00:00Z"), "deny");
    assert_eq!(at("2027-01-01T23:59:59Z"), "deny");
    assert_eq!(at("2027-01-02T00:00:00Z"), "allow");
    // A local date: Christmas in Paris starts an hour before it does in UTC.
    let p = program(
        "when payments.refund not has context.time or date(context.time, \"Europe/Paris\") == 2026_12_25 then deny \"closed\"
when payments.refund then allow",
    );
    let mut r = refund(100);
    r["context"] = json!({"time": "2026-12-24T23:30:00Z"});
    assert_eq!(verdict(&p, r.clone()), "deny");
    r["context"] = json!({"time": "2026-12-25T23:30:00Z"});
    assert_eq!(verdict(&p, r), "allow");
}

#[test]
fn weekends_and_minutes() {
    let p = program(
        "when payments.refund not has context.time or weekday(context.time, \"Asia/Tokyo\") >= 6 then escalate \"weekend\"
when payments.refund not has context.time or (hour(context.time, \"Asia/Kolkata\") == 17 and minute(context.time, \"Asia/Kolkata\") >= 30) then escalate \"cut-off\"
when payments.refund then allow",
    );
    let at = |t: &str| {
        let mut r = refund(100);
        r["context"] = json!({"time": t});
        decide(&p, r)
    };
    // Friday 2026-12-04 15:30 UTC is Saturday 00:30 in Tokyo.
    assert_eq!(at("2026-12-04T15:30:00Z")["reason"], "weekend");
    assert_eq!(at("2026-12-04T14:30:00Z")["decision"], "allow");
    // 12:00 UTC is 17:30 in Kolkata (+05:30).
    assert_eq!(at("2026-12-03T12:00:00Z")["reason"], "cut-off");
    assert_eq!(at("2026-12-03T11:59:00Z")["decision"], "allow");
}

#[test]
fn a_bundle_records_the_time_zone_database_it_was_built_with() {
    let bytes = bundle(NIGHT);
    let p = permit0_vm::Program::load(&bytes, &[test_key().verifying_key()]).unwrap();
    assert_eq!(p.info().tzdb, permit0_vm::local::TZDB_VERSION);
}

const ATTRS: &str = "policy acme.attrs

namespace actor {
  scopes: set<string>? \"OAuth scopes granted to the agent\"
}
namespace context {
  country: string? \"ISO 3166 country the request comes from\"
}

when payments.refund not has actor.scopes or not (\"payments:refund\" in actor.scopes)
  then deny \"missing scope\"
when payments.refund not has context.country or context.country in {\"KP\", \"IR\"} then deny \"sanctioned\"
when payments.refund then allow
";

fn scoped(actor: serde_json::Value, context: serde_json::Value) -> serde_json::Value {
    json!({"action": "payments.refund",
           "args": {"amount": 100, "currency": "usd", "charge_id": "ch_1"},
           "actor": actor, "context": context})
}

#[test]
fn a_teams_own_attributes_are_declared_typed_and_bound_strictly() {
    let p = program(ATTRS);
    // The scope is held, the country is fine: allowed.
    assert_eq!(
        verdict(
            &p,
            scoped(
                json!({"scopes": ["payments:refund"]}),
                json!({"country": "FR"})
            )
        ),
        "allow"
    );
    // Without the scope: denied, with the reason.
    let d = decide(
        &p,
        scoped(
            json!({"scopes": ["payments:read"]}),
            json!({"country": "FR"}),
        ),
    );
    assert_eq!(d["reason"], "missing scope");
    // Membership is exact: a scope in another case is another scope.
    assert_eq!(
        verdict(
            &p,
            scoped(
                json!({"scopes": ["PAYMENTS:REFUND"]}),
                json!({"country": "FR"})
            )
        ),
        "deny"
    );
    // A scope list sent as one string is not read loosely: escalated.
    let d = decide(
        &p,
        scoped(
            json!({"scopes": "payments:refund"}),
            json!({"country": "FR"}),
        ),
    );
    assert_eq!(d["decision"], "escalate");
    // An attribute nobody declared taints the request: never looser than
    // escalate, naming it.
    let d = decide(
        &p,
        scoped(
            json!({"scopes": ["payments:refund"], "clearance": "top"}),
            json!({"country": "FR"}),
        ),
    );
    assert_eq!(d["decision"], "escalate");
    assert!(d["reason"].as_str().unwrap().contains("clearance"), "{d}");
}

#[test]
fn an_attribute_the_policy_did_not_declare_is_an_error_with_a_suggestion() {
    let c = compile_src(
        "namespace actor {\n  scopes: set<string>?\n}\nwhen payments.refund has actor.scope then deny\n",
    );
    let e: Vec<_> = c.errors().collect();
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].code, "P0203");
    assert!(format!("{:?}", e[0].help).contains("scopes"), "{:?}", e[0]);
}

const GRANTS: &str = "when payments.refund amount > 100_00 and not (has context.grants and grant_active(context.grants, \"refunds:large\"))
  then escalate \"large refunds need a human, or a grant\"
when payments.refund then allow
";

fn granted(amount: i64, time: &str, grants: serde_json::Value) -> serde_json::Value {
    json!({"action": "payments.refund",
           "args": {"amount": amount, "currency": "usd", "charge_id": "ch_1"},
           "context": {"time": time, "grants": grants}})
}

fn grant(action: &str, not_before: Option<&str>, expires: &str) -> serde_json::Value {
    let mut g = json!({"scope": "refunds:large", "action": action, "expires": expires,
                       "granted_by": "alice@acme.com"});
    if let Some(nb) = not_before {
        g["not_before"] = json!(nb);
    }
    g
}

#[test]
fn a_human_grants_large_refunds_for_thirty_minutes() {
    let p = program(GRANTS);
    let g = json!([grant(
        "payments.refund",
        Some("2026-12-05T10:00:00Z"),
        "2026-12-05T10:30:00Z"
    )]);
    // Inside the window: the grant covers the refund.
    assert_eq!(
        verdict(&p, granted(900_00, "2026-12-05T10:10:00Z", g.clone())),
        "allow"
    );
    // Expired (the end is excluded) or not yet valid: as if absent.
    let d = decide(&p, granted(900_00, "2026-12-05T10:30:00Z", g.clone()));
    assert_eq!(d["decision"], "escalate");
    assert_eq!(d["reason"], "large refunds need a human, or a grant");
    assert_eq!(
        verdict(&p, granted(900_00, "2026-12-05T09:59:59Z", g.clone())),
        "escalate"
    );
    // No time: no grant can be placed in its window.
    let mut r = granted(900_00, "2026-12-05T10:10:00Z", g);
    r["context"].as_object_mut().unwrap().remove("time");
    assert_eq!(verdict(&p, r), "escalate");
}

#[test]
fn a_grant_covers_only_its_actions_and_its_scope() {
    let p = program(GRANTS);
    let at = "2026-12-05T10:10:00Z";
    let exp = "2026-12-05T10:30:00Z";
    assert_eq!(
        verdict(
            &p,
            granted(900_00, at, json!([grant("payments.*", None, exp)]))
        ),
        "allow"
    );
    assert_eq!(
        verdict(&p, granted(900_00, at, json!([grant("*", None, exp)]))),
        "allow"
    );
    // Another action, a domain that only starts the same, another scope.
    assert_eq!(
        verdict(
            &p,
            granted(900_00, at, json!([grant("payments.transfer", None, exp)]))
        ),
        "escalate"
    );
    assert_eq!(
        verdict(&p, granted(900_00, at, json!([grant("pay.*", None, exp)]))),
        "escalate"
    );
    let mut other = grant("payments.refund", None, exp);
    other["scope"] = json!("refunds:small");
    assert_eq!(verdict(&p, granted(900_00, at, json!([other]))), "escalate");
}

#[test]
fn a_malformed_grant_is_refused_not_read_loosely() {
    let p = program(GRANTS);
    let at = "2026-12-05T10:10:00Z";
    let mut extra = grant("payments.refund", None, "2026-12-05T10:30:00Z");
    extra["max_amount"] = json!(1_000_000);
    for bad in [
        json!([extra]),
        json!([grant("payments.refund", None, "tomorrow")]),
        json!([grant("payments.re fund", None, "2026-12-05T10:30:00Z")]),
        json!(["payments.refund"]),
        json!({"action": "payments.refund"}),
    ] {
        let d = decide(&p, granted(900_00, at, bad.clone()));
        assert_eq!(d["decision"], "escalate", "{bad}");
        assert_eq!(
            d["rule"],
            serde_json::Value::Null,
            "{bad}: refused at binding"
        );
    }
}

#[test]
fn a_per_level_ceiling_a_count_times_an_amount() {
    // 100.00 of refund per clearance level; no clearance is level 0.
    let p = program(
        "namespace actor {\n  clearance: int? \"clearance level\"\n}\n\
         when payments.refund amount > (actor.clearance ?? 0) * 100_00 then escalate \"over clearance\"\n\
         when payments.refund then allow\n",
    );
    let r = |amount: i64, actor: serde_json::Value| {
        json!({"action": "payments.refund",
               "args": {"amount": amount, "currency": "usd", "charge_id": "ch_1"},
               "actor": actor})
    };
    assert_eq!(verdict(&p, r(150_00, json!({"clearance": 2}))), "allow");
    assert_eq!(verdict(&p, r(250_00, json!({"clearance": 2}))), "escalate");
    assert_eq!(verdict(&p, r(1, json!({}))), "escalate");
    // A clearance so large the product overflows: the escalate rule applies.
    assert_eq!(
        verdict(&p, r(1, json!({"clearance": i64::MAX}))),
        "escalate"
    );
}

#[test]
fn a_count_times_a_price_plus_a_margin_is_money() {
    // `n * 100_00 + 1`: the literal 100_00 is the unit (money per level),
    // the 1 added to it is 0.01 — the sum is money, compared with money.
    let p = program(
        "namespace actor {\n  clearance: int? \"clearance level\"\n}\n\
         when payments.refund (actor.clearance ?? 0) * 100_00 + 1 <= amount then escalate \"over clearance\"\n\
         when payments.refund amount - (actor.clearance ?? 0) * 100_00 > 50_00 then deny \"far over clearance\"\n\
         when payments.refund then allow\n",
    );
    let r = |amount: i64, clearance: i64| {
        json!({"action": "payments.refund",
               "args": {"amount": amount, "currency": "usd", "charge_id": "ch_1"},
               "actor": {"clearance": clearance}})
    };
    // Two levels: 200.00 is allowed, 200.01 escalates, 250.01 is denied.
    assert_eq!(verdict(&p, r(200_00, 2)), "allow");
    assert_eq!(verdict(&p, r(200_01, 2)), "escalate");
    assert_eq!(verdict(&p, r(250_01, 2)), "deny");
    // The session form the stdlib's caps use type-checks the same way.
    compile_ok(
        "when payments.refund session.count(payments.refund, 1h) * 50_00 + 1 < amount then escalate",
    );
    // A bare count is still not an amount.
    let c = compile_src(
        "when payments.refund session.count(payments.refund, 1h) + 1 < amount then escalate",
    );
    assert!(
        c.diagnostics.iter().any(|d| d.code == "P0301"),
        "a count compared with money is refused: {:?}",
        c.diagnostics
    );
}

fn hop(id: &str, kind: &str, scopes: &[&str]) -> serde_json::Value {
    json!({"id": id, "kind": kind, "scopes": scopes})
}

fn delegate(scopes: &[&str], chain: serde_json::Value) -> serde_json::Value {
    json!({"action": "ai.delegate_task",
           "args": {"agent": "summarizer", "instructions": "summarize the account",
                    "inherits_credentials": false, "scopes_granted": scopes},
           "actor": {"id": "planner", "chain": chain}})
}

#[test]
fn a_delegate_is_granted_no_more_than_its_delegator_holds() {
    let (_, p) = stdlib();
    let chain = json!([
        hop("user_42", "human", &["crm:read", "crm:write"]),
        hop("planner", "agent", &["crm:read"]),
    ]);
    // The planner holds crm:read: handing it on is allowed (a low-risk
    // delegation without inherited credentials).
    let d = decide(p, delegate(&["crm:read"], chain.clone()));
    assert_eq!(d["decision"], "allow", "{d}");
    // crm:write is the human's, not the planner's: the planner cannot grant it.
    let d = decide(p, delegate(&["crm:write"], chain));
    assert_eq!(d["decision"], "deny");
    assert_eq!(
        d["reason"],
        "a delegate may not be granted a scope its delegator does not hold"
    );
    // Without a chain nothing shows the delegator holds anything.
    let d = decide(p, delegate(&["crm:read"], json!([])));
    assert_eq!(d["decision"], "deny");
}

#[test]
fn an_agent_uses_no_scope_a_hop_before_it_lacks_and_chains_are_short() {
    let p = program(
        "when payments.refund has actor.chain and (chain_widens(actor.chain) or len(actor.chain) > 3)
  then deny \"delegation\"
when payments.refund then allow
",
    );
    let r = |chain: serde_json::Value| {
        json!({"action": "payments.refund",
               "args": {"amount": 100, "currency": "usd", "charge_id": "ch_1"},
               "actor": {"chain": chain}})
    };
    let human = hop("user_42", "human", &["payments:refund", "crm:read"]);
    let narrowing = json!([
        human,
        hop("planner", "agent", &["payments:refund"]),
        hop("refunder", "agent", &["payments:refund"])
    ]);
    assert_eq!(verdict(&p, r(narrowing)), "allow");
    // The refunder holds a scope the planner that delegated to it lacks.
    let widening = json!([
        human,
        hop("planner", "agent", &["crm:read"]),
        hop("refunder", "agent", &["crm:read", "payments:refund"])
    ]);
    assert_eq!(verdict(&p, r(widening)), "deny");
    // Four hops is one too many.
    let a = hop("a", "agent", &["payments:refund"]);
    let long = json!([human, a, a, a]);
    assert_eq!(verdict(&p, r(long)), "deny");
    // A malformed hop is refused, not read loosely.
    for bad in [
        json!([{"id": "x", "kind": "robot", "scopes": []}]),
        json!([{"id": "x", "kind": "agent", "scopes": "payments:refund"}]),
        json!([{"id": "x", "kind": "agent", "scopes": [], "admin": true}]),
        json!(["user_42"]),
    ] {
        let d = decide(&p, r(bad.clone()));
        assert_eq!(d["decision"], "escalate", "{bad}");
        assert_eq!(d["rule"], serde_json::Value::Null, "{bad}");
    }
}

#[test]
fn test_blocks_write_grants_and_hops_as_objects_inside_lists() {
    // A test step gives `context.grants` as a caller would send it: a list
    // of objects. The step's request is that JSON, and it decides as sent.
    let c = compile_ok(&format!(
        "{GRANTS}\ntest \"a grant covers a large refund for thirty minutes\" {{
  payments.refund {{ amount: 250_00, currency: \"usd\", charge_id: \"ch_1\" }}
    context {{ time: 2026-12-05T10:10:00Z, ip: \"::ffff:10.1.2.3\",
               grants: [{{scope: \"refunds:large\", action: \"payments.refund\", \"not_before\": \"2026-12-05T10:00:00Z\",
                         expires: \"2026-12-05T10:30:00Z\", granted_by: \"alice@acme.com\"}}] }} => allow
  payments.refund {{ amount: 250_00, currency: \"usd\", charge_id: \"ch_2\" }}
    context {{ time: 2026-12-05T10:40:00Z,
               grants: [{{scope: \"refunds:large\", action: \"payments.*\",
                         expires: \"2026-12-05T10:30:00Z\", granted_by: \"alice@acme.com\"}}] }} => escalate
}}\n"
    ));
    let steps = &c.ir.tests[0].steps;
    assert_eq!(
        steps[0].request["context"]["grants"],
        json!([{"scope": "refunds:large", "action": "payments.refund", "not_before": "2026-12-05T10:00:00Z",
                "expires": "2026-12-05T10:30:00Z", "granted_by": "alice@acme.com"}])
    );
    let p = permit0_compiler::build_program(&c).unwrap();
    for s in steps {
        assert_eq!(
            verdict(&p, s.request.clone()),
            s.expect.name(),
            "{}",
            s.request
        );
    }
    // An object is a test value only; in a condition it is an error, and a
    // key given twice in one object is refused.
    let bad = compile_src(
        "when payments.refund has context.tenant and context.tenant in {a: \"x\"} then deny",
    );
    assert!(
        bad.diagnostics.iter().any(|d| d.code == "P0301"),
        "{:?}",
        bad.diagnostics
    );
    let twice = compile_src(
        "test \"t\" {\n  payments.refund { amount: 1, currency: \"usd\", charge_id: \"c\" } actor { chain: [{id: \"a\", id: \"b\", kind: \"agent\", scopes: []}] } => deny\n}\n",
    );
    assert!(
        twice.diagnostics.iter().any(|d| d.code == "P0215"),
        "{:?}",
        twice.diagnostics
    );
}

//! Stories: a policy, a request, the decision expected.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use serde_json::json;

const REFUNDS: &str = include_str!("../examples/refunds.p0");

fn refund(amount: i64, role: &str) -> serde_json::Value {
    json!({"action": "payments.refund",
           "args": {"amount": amount, "currency": "usd", "charge_id": "ch_1"},
           "actor": {"role": role, "verified": true},
           "context": {"env": "prod", "org_domain": "acme.com"}})
}

#[test]
fn the_design_example_decides_refunds_by_amount() {
    let p = program(REFUNDS);
    let d = decide(&p, refund(900, "support"));
    assert_eq!(d["decision"], "escalate");
    assert_eq!(d["reason"], "large refunds need a human");
    assert_eq!(d["rule"], "payments.refunds:1");
    assert_eq!(verdict(&p, refund(300, "support")), "allow");
    assert_eq!(
        decide(&p, refund(20_000, "support"))["reason"],
        "refund ceiling"
    );
}

#[test]
fn deny_beats_escalate_whatever_the_order_of_rules() {
    let p = program(
        "when payments.refund amount > 100 then escalate \"big\"\nwhen payments.refund amount > 100 and (not has currency or currency == \"usd\") then deny \"no\"\nwhen payments.refund then allow",
    );
    let d = decide(&p, refund(500, "x"));
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["rule"], "policy:2");
}

#[test]
fn an_unverified_actor_in_prod_is_denied() {
    let p = program(REFUNDS);
    let mut r = refund(300, "support");
    r["actor"]["verified"] = json!(false);
    assert_eq!(verdict(&p, r.clone()), "deny");
    // Missing `verified` is not `true`: `not actor.verified` holds.
    r["actor"].as_object_mut().unwrap().remove("verified");
    assert_eq!(verdict(&p, r), "deny");
}

#[test]
fn an_unknown_action_escalates_with_a_reason() {
    let p = program(REFUNDS);
    let d = decide(
        &p,
        json!({"action": "payments.refund_everything", "args": {}}),
    );
    assert_eq!(d["decision"], "escalate");
    assert!(d["reason"]
        .as_str()
        .unwrap()
        .contains("unknown action `payments.refund_everything`"));
}

#[test]
fn an_unknown_tool_escalates() {
    let p = program(REFUNDS);
    let d = decide(&p, json!({"tool": "wire_money_now", "args": {"amount": 1}}));
    assert_eq!(d["decision"], "escalate");
    assert!(d["reason"].as_str().unwrap().contains("unknown tool"));
}

#[test]
fn wrong_types_are_never_allowed() {
    let p = program("when payments.refund amount < 1000 then allow");
    for bad in [
        json!("500"),
        json!(500.5),
        json!(true),
        json!(null),
        json!([500]),
        json!({"v": 1}),
        json!(-5),
    ] {
        let mut r = refund(0, "support");
        r["args"]["amount"] = bad.clone();
        let d = decide(&p, r);
        assert_eq!(d["decision"], "escalate", "amount {bad} gave {d}");
    }
}

#[test]
fn spoofed_and_misspelled_fields_are_refused() {
    let p = program("when payments.refund amount < 1000 then allow");
    let mut r = refund(100, "support");
    r["args"]["approved_by_human"] = json!(true);
    let d = decide(&p, r);
    assert_eq!(d["decision"], "escalate");
    assert!(d["reason"].as_str().unwrap().contains("approved_by_human"));
    let mut r = refund(100, "support");
    r["context"]["enviroment"] = json!("dev");
    assert_eq!(verdict(&p, r), "escalate");
    let mut r = refund(100, "support");
    r["admin"] = json!(true);
    assert_eq!(verdict(&p, r), "escalate");
}

#[test]
fn a_missing_required_field_escalates() {
    let p = program("when payments.refund amount < 1000 then allow");
    let mut r = refund(100, "support");
    r["args"].as_object_mut().unwrap().remove("amount");
    let d = decide(&p, r);
    assert_eq!(d["decision"], "escalate");
    assert!(d["reason"]
        .as_str()
        .unwrap()
        .contains("needs field `amount`"));
}

/// Mail to one recipient inside (`internal`) or outside (`external`) the
/// org: the scope is derived from the address, never sent.
fn mail(body: &str, scope: &str) -> serde_json::Value {
    let to = if scope == "internal" {
        "x@acme.com"
    } else {
        "x@rival.example"
    };
    json!({"action": "email.send", "args": {"to": [to], "subject": "hi", "body": body},
           "context": {"org_domain": "acme.com"}})
}

#[test]
fn secrets_match_whatever_their_case_or_hidden_characters() {
    let p = program(
        "when email.send body contains_any [\"password\", \"api_key\"] and recipient_scope == \"external\" then deny \"credentials\"\nwhen email.send then allow",
    );
    for body in [
        "my PASSWORD is x",
        "Api_Key=123",
        "api\u{200B}_key: 1",
        "pass\u{00AD}word",
    ] {
        assert_eq!(verdict(&p, mail(body, "external")), "deny", "{body:?}");
    }
    assert_eq!(verdict(&p, mail("lunch?", "external")), "allow");
    assert_eq!(verdict(&p, mail("my password", "internal")), "allow");
}

#[test]
fn a_comparison_on_an_absent_optional_field_is_false_and_the_policy_says_so() {
    // Neither rule applies without a customer: each one says it needs one.
    let p = program(
        "when payments.refund has customer and customer == \"vip\" then allow \"vip\"\nwhen payments.refund has customer and customer != \"vip\" then deny \"not vip\"",
    );
    let mut r = refund(100, "x");
    assert_eq!(decide(&p, r.clone())["decision"], "escalate"); // floor: medium, nothing matched
    r["args"]["customer"] = json!("vip");
    assert_eq!(decide(&p, r.clone())["decision"], "allow");
    r["args"]["customer"] = json!("joe");
    assert_eq!(decide(&p, r)["decision"], "deny");
}

fn without_role(mut r: serde_json::Value) -> serde_json::Value {
    r["actor"].as_object_mut().unwrap().remove("role");
    r
}

#[test]
fn a_deny_for_roles_outside_finance_cannot_be_dodged_by_sending_no_role() {
    // Written unguarded, the rule does not compile: a request without a role
    // would have slipped past `not in`.
    let c = compile_src(
        "when payments.* actor.role not in {\"finance\"} then deny \"only finance moves money\"",
    );
    let d = c.errors().find(|d| d.code == "P0218").expect("P0218");
    assert!(
        d.message.contains("`actor.role` may be absent"),
        "{}",
        d.message
    );
    let fix = d.fix.as_ref().expect("a quick fix");
    assert_eq!(
        fix.replacement,
        "(not has actor.role or actor.role not in {\"finance\"})"
    );

    for rule in [
        // the quick fix, as the language server applies it
        "when payments.* (not has actor.role or actor.role not in {\"finance\"}) then deny \"only finance moves money\"",
        "when payments.* (actor.role ?? \"\") not in {\"finance\"} then deny \"only finance moves money\"",
    ] {
        let p = program(rule);
        let d = decide(&p, without_role(refund(100, "x")));
        assert_eq!(d["decision"], "deny", "{rule}: {d}");
        assert_eq!(d["reason"], "only finance moves money");
        assert_eq!(verdict(&p, refund(100, "support")), "deny", "{rule}");
        assert_ne!(verdict(&p, refund(100, "finance")), "deny", "{rule}");
    }
}

#[test]
fn an_allow_for_support_needs_a_role_to_allow() {
    let p = program(
        "when payments.refund has actor.role and actor.role == \"support\" and amount <= 500 then allow \"support refunds\"",
    );
    assert_eq!(verdict(&p, refund(100, "support")), "allow");
    assert_eq!(
        verdict(&p, without_role(refund(100, "support"))),
        "escalate"
    );
}

#[test]
fn a_request_that_does_not_name_its_environment_is_production() {
    let p = program("when payments.refund (context.env ?? prod) == prod and amount > 50 then deny \"production refunds over 0.50\"");
    let mut r = refund(100, "support");
    assert_eq!(verdict(&p, r.clone()), "deny");
    r["context"].as_object_mut().unwrap().remove("env");
    assert_eq!(verdict(&p, r.clone()), "deny");
    r["context"]["env"] = json!("dev");
    assert_ne!(verdict(&p, r), "deny");
}

#[test]
fn a_default_compiles_to_a_presence_test_and_ordinary_tests() {
    let c = compile_ok(
        "when payments.refund (context.env ?? prod) in {\"staging\", \"prod\"} then deny",
    );
    let listing = permit0_compiler::build_program(&c).unwrap().disassemble();
    assert!(listing.contains("has "), "{listing}");
    assert!(listing.contains("enum.in.set"), "{listing}");
}

#[test]
fn no_rule_means_the_risk_tier_decides() {
    let p = program("when payments.refund amount > 1_000_000 then deny");
    let d = decide(&p, refund(100, "x"));
    assert_eq!(d["decision"], "escalate");
    assert!(d["rule"].is_null());
    assert!(d["reason"].as_str().unwrap().contains("risk tier `medium`"));
    let read = decide(
        &p,
        json!({"action": "email.search", "args": {"query": "from:boss"}}),
    );
    assert_eq!(read["decision"], "allow", "{read}");
}

#[test]
fn amplify_raises_the_risk_that_later_rules_read() {
    let p = program(
        "when email.send recipient_count > 50 then amplify volume +25, scope +35\nwhen email.send risk.score >= 20 then escalate \"mass mail\"\nwhen email.send then allow",
    );
    let mut r = mail("hello", "internal");
    assert_eq!(verdict(&p, r.clone()), "allow");
    let many: Vec<String> = (0..60).map(|i| format!("u{i}@acme.com")).collect();
    r["args"]["to"] = json!(many);
    let d = decide(&p, r);
    assert_eq!(d["decision"], "escalate", "{d}");
    assert_eq!(d["reason"], "mass mail");
}

#[test]
fn team_actions_decide_like_builtin_ones() {
    let p = program(
        "action acme.approve_invoice \"Approve a supplier invoice\" { amount: money, vendor: string }\n\
         when acme.approve_invoice amount > 10_000 then escalate \"big invoice\"\n\
         when acme.approve_invoice vendor in {\"acme-tax\"} then allow",
    );
    let inv = |amount: i64, vendor: &str| json!({"action": "acme.approve_invoice", "args": {"amount": amount, "vendor": vendor}});
    assert_eq!(verdict(&p, inv(50_000, "acme-tax")), "escalate");
    assert_eq!(verdict(&p, inv(500, "acme-tax")), "allow");
    // Unrated team actions escalate by default until someone rates them.
    assert_eq!(verdict(&p, inv(500, "someone")), "escalate");
}

#[test]
fn explain_lists_every_matching_rule_and_what_it_read() {
    let p = program(REFUNDS);
    let r = p.bind(&refund(20_000, "support")).unwrap();
    let e = p.explain(&r);
    let rules: Vec<&str> = e.matched.iter().map(|m| m.rule.as_str()).collect();
    assert_eq!(rules, ["payments.refunds:2", "payments.refunds:1"]);
    assert_eq!(
        e.matched[0].reads,
        vec![("amount".to_string(), json!(20_000))]
    );
    assert_eq!(p.decide(&r), e.decision);
}

const MAIL: &str = r#"
tool gmail_send, send_email -> email.send {
  to = emails(args.to)
  cc = emails(args.cc)
  subject = args.subject
  body = args.body
}
when email.send body contains_any ["password", "api_key"] and recipient_scope == external then deny "credentials leaving the org"
when email.send recipient_scope == external then escalate "mail leaving the org"
when email.send then allow
"#;

#[test]
fn a_raw_tool_call_is_normalized_and_its_spoofed_arguments_ignored() {
    let p = program(MAIL);
    let call = |args: serde_json::Value| json!({"tool": "mcp__gmail__gmail_send", "args": args, "context": {"org_domain": "acme.com"}});
    let d = decide(
        &p,
        call(json!({"to": "a@rival.example, b@acme.com", "subject": "hi", "body": "the API_KEY"})),
    );
    assert_eq!(d["decision"], "deny", "{d}");
    assert_eq!(d["action"], "email.send");
    // recipient_scope is computed; a raw argument of that name is not trusted.
    let d = decide(
        &p,
        call(
            json!({"to": "eve@rival.example", "subject": "hi", "body": "Password: x", "recipient_scope": "internal", "admin_approved": true}),
        ),
    );
    assert_eq!(d["decision"], "deny", "{d}");
    assert_eq!(
        verdict(
            &p,
            call(json!({"to": "eve@rival.example", "subject": "hi", "body": "lunch?"}))
        ),
        "escalate"
    );
    assert_eq!(
        verdict(
            &p,
            call(
                json!({"to": "Ann <ann@ACME.com>", "cc": "bob@acme.com", "subject": "hi", "body": "password reset done"})
            )
        ),
        "allow"
    );
    // Lookalike domains are outside the org.
    assert_eq!(
        verdict(
            &p,
            call(json!({"to": "x@acme.com.evil.io", "subject": "hi", "body": "lunch?"}))
        ),
        "escalate"
    );
    // A required field the raw call does not give is a binding error: escalate.
    assert_eq!(
        verdict(&p, call(json!({"to": "a@acme.com", "body": "lunch?"}))),
        "escalate"
    );
    // Without the org's domain every recipient counts as external.
    assert_eq!(
        verdict(
            &p,
            json!({"tool": "send_email", "args": {"to": "x@acme.com", "subject": "s", "body": "b"}})
        ),
        "escalate"
    );
}

#[test]
fn a_tool_mapping_reads_only_raw_arguments_namespaces_literals_and_builtins() {
    let c = compile_src("tool t -> email.send { subject = lower(args.s, 1), body = amount, to = splitt(args.to, \",\") }");
    let codes: Vec<&str> = c.errors().map(|d| d.code).collect();
    assert_eq!(
        codes,
        ["P0303", "P0214", "P0209"],
        "{:?}",
        c.errors().map(|d| &d.message).collect::<Vec<_>>()
    );
}

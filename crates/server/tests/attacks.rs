//! An agent (prompt-injected, holding an agent key) attacks the decision
//! service over real HTTP, against a real server over a real SQLite file:
//! each test is one attack, the answer expected, and why.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_server::db::Role;
use serde_json::json;

/// `POST /v1/decide` escalates a body with a key given twice, since an
/// executor may read either `amount`. The batch endpoint read its items
/// leniently (the last `amount` won): the refund of 2,000,000 spelt with a
/// second `amount` of 900 was allowed there. Each item is now read as
/// `/v1/decide` reads its body: it escalates, with no approval (nothing
/// could bind a token to it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_item_with_an_amount_given_twice_is_not_allowed() {
    let data = data_dir("atk-batch");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &key(&data, Role::Agent, "acme", "bot"));
    let two_amounts = r#"{"action":"payments.refund","args":{"amount":2000000,"currency":"usd","charge_id":"ch_1","amount":900},"session":{"id":"b-1"}}"#;
    let small = r#"{"action":"payments.refund","args":{"amount":900,"currency":"usd","charge_id":"ch_1"},"session":{"id":"b-1"}}"#;

    let (s, single) = agent.post_raw("/v1/decide", two_amounts.into()).await;
    assert_eq!((s, &single["decision"]), (200, &json!("escalate")));

    for body in [
        format!("[{two_amounts},{small}]"),
        format!(r#"{{"requests":[{two_amounts},{small}]}}"#),
    ] {
        let (s, b) = agent.post_raw("/v1/decide/batch", body.into()).await;
        assert_eq!(s, 200, "{b}");
        let d = &b["decisions"];
        assert_eq!(d[0]["decision"], "escalate", "{b}");
        assert_eq!(d[0]["approval"], json!(null), "{b}");
        assert!(d[0]["reason"].as_str().unwrap().contains("amount"), "{b}");
        // The well-formed item beside it is decided as usual.
        assert_eq!(d[1]["decision"], "allow", "{b}");
    }

    // The batch's own envelope is read once too: `requests` twice, or a
    // member it does not take, is a 400 — not the last list.
    for body in [
        format!(r#"{{"requests":[],"requests":[{two_amounts}]}}"#),
        format!(r#"{{"requests":[{small}],"tenant":"globex"}}"#),
        "42".to_string(),
    ] {
        let (s, e) = agent.post_raw("/v1/decide/batch", body.into()).await;
        assert_eq!(s, 400, "{e}");
    }
}

/// The approver approved a refund of 20,000. The executor redeems the token
/// with the same request spelt with a second `amount` of 9,999,999 first:
/// a lenient reading kept the last (20,000), the digest matched and the
/// token was spent, while a first-wins executor pays 9,999,999. The request
/// is read strictly: refused, and the token not burnt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_not_redeemed_for_a_request_read_two_ways() {
    let data = data_dir("atk-redeem");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &key(&data, Role::Agent, "acme", "bot"));
    let approver = Client::new(server.addr, &key(&data, Role::Approver, "acme", "al"));
    let id = agent.queued(&refund(20_000, "r-1")).await;
    let a = approver.approve(&id, &json!({})).await;
    let token = a["token"].as_str().unwrap();

    let spoofed = r#"{"action":"payments.refund","args":{"amount":9999999,"currency":"usd","charge_id":"ch_1","customer":"cus_1","amount":20000},"actor":{"id":"support-bot"},"session":{"id":"r-1"}}"#;
    let body = format!(r#"{{"token":"{token}","request":{spoofed}}}"#);
    let (s, r) = agent.post_raw("/v1/tokens/redeem", body.into()).await;
    assert_eq!(s, 403, "{r}");
    assert!(r["error"].as_str().unwrap().contains("read one way"), "{r}");
    // The token itself is given once only, too.
    let body = format!(
        r#"{{"token":"p0t1.x","token":"{token}","request":{}}}"#,
        refund(20_000, "r-1")
    );
    assert_eq!(
        agent.post_raw("/v1/tokens/redeem", body.into()).await.0,
        400
    );

    // Key order, whitespace and escapes are one request: it redeems, once.
    let same = r#" { "session" : {"id":"r-1"}, "actor":{"id":"support-bot"},
        "args":{"customer":"cus_1","charge_id":"ch\u005f1","currency":"usd","amount":20000},
        "action":"payments.refund" } "#;
    let body = format!(r#"{{"token":"{token}","request":{same}}}"#);
    let (s, r) = agent
        .post_raw("/v1/tokens/redeem", body.clone().into())
        .await;
    assert_eq!((s, &r["ok"]), (200, &json!(true)), "{r}");
    assert_eq!(
        agent.post_raw("/v1/tokens/redeem", body.into()).await.0,
        403
    );
}

fn refund_in(amount: i64, currency: Option<&str>, session: &str) -> serde_json::Value {
    let mut r = refund(amount, session);
    match currency {
        Some(c) => r["args"]["currency"] = json!(c),
        None => {
            r["args"].as_object_mut().unwrap().remove("currency");
        }
    }
    r
}

/// The approver approves a refund of 20,000 yen and grants "refunds of this
/// actor up to 30,000" — about 200 dollars. The agent then asks for
/// 25,000 dinars (about 80,000 dollars): the limit read the number alone
/// and allowed it. A grant's amount limit is in the approved request's
/// currency: another currency, or none, is not covered (it escalates as
/// the policy said); the same currency within the limit is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grants_amount_limit_holds_only_in_the_approved_currency() {
    let data = data_dir("atk-currency");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &key(&data, Role::Agent, "acme", "bot"));
    let approver = Client::new(server.addr, &key(&data, Role::Approver, "acme", "al"));
    let id = agent.queued(&refund_in(20_000, Some("jpy"), "c-1")).await;

    // A limit below the amount approved would not cover it: refused.
    let (s, e) = approver
        .post(
            &format!("/v1/approvals/{id}/approve"),
            &json!({"grant": {"scope": "actor", "minutes": 10, "max_amount": 10_000}}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    approver
        .approve(
            &id,
            &json!({"grant": {"scope": "actor", "minutes": 10, "max_amount": 30_000}}),
        )
        .await;

    // (Each in a session of its own: the policy caps a session at five.)
    for (currency, expected) in [
        (Some("kwd"), "escalate"),
        (Some("usd"), "escalate"),
        (None, "escalate"),
        (Some("JPY"), "allow"),
        (Some("jpy"), "allow"),
    ] {
        let session = format!("c-{currency:?}");
        let d = agent.decide(&refund_in(25_000, currency, &session)).await;
        assert_eq!(d["decision"], expected, "{currency:?}: {d}");
    }
    // Over the limit in the right currency: not covered either.
    assert_eq!(
        agent.decide(&refund_in(35_000, Some("jpy"), "c-2")).await["decision"],
        "escalate"
    );
}

/// A policy caps refunds across the whole tenant. The cap counts under the
/// request's `context.tenant`, which the agent may spell (it must be its
/// key's) or leave out: alternating the two counted two tenants' worth.
/// The server gives every request its key's tenant, so both count as one;
/// and a token approved for a request without `context.tenant` still
/// redeems for that request as the executor sends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_wide_cap_counts_requests_that_name_the_tenant_and_those_that_do_not() {
    const TENANT_CAP: &str = r#"
policy acme.tenant_cap
when payments.refund tenant.count(payments.refund, 1h) >= 3 then deny "three refunds an hour across the tenant"
when payments.refund amount > 10_000 then escalate "large refund"
when payments.refund then allow "small refund"
"#;
    let data = data_dir("atk-tenant");
    let server = start(options(&data, TENANT_CAP)).await;
    let agent = Client::new(server.addr, &key(&data, Role::Agent, "acme", "bot"));
    let approver = Client::new(server.addr, &key(&data, Role::Approver, "acme", "al"));

    let mut verdicts = Vec::new();
    for i in 0..6 {
        let mut r = refund(100, &format!("t-{i}"));
        if i % 2 == 1 {
            r["context"] = json!({"tenant": "acme"});
        }
        verdicts.push(
            agent.decide(&r).await["decision"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(
        verdicts,
        ["allow", "allow", "allow", "deny", "deny", "deny"]
    );

    // The tenant filled in is the one a token binds, on both sides.
    let server2_data = data_dir("atk-tenant-token");
    let server2 = start(options(&server2_data, REFUNDS)).await;
    let agent = Client::new(
        server2.addr,
        &key(&server2_data, Role::Agent, "acme", "bot"),
    );
    let approver2 = Client::new(
        server2.addr,
        &key(&server2_data, Role::Approver, "acme", "al"),
    );
    let id = agent.queued(&refund(20_000, "t-9")).await;
    let (_, one) = approver2.get(&format!("/v1/approvals/{id}")).await;
    assert_eq!(one["request"]["context"]["tenant"], "acme", "{one}");
    let (_, a) = approver2
        .post(&format!("/v1/approvals/{id}/approve"), &json!({}))
        .await;
    let token = a["token"].as_str().unwrap();
    let (s, r) = agent
        .post(
            "/v1/tokens/redeem",
            &json!({"token": token, "request": refund(20_000, "t-9")}),
        )
        .await;
    assert_eq!((s, &r["ok"]), (200, &json!(true)), "{r}");
    drop(approver);
}

/// An approver grants "refunds of this session up to 30,000, for a week"
/// under the running bundle. The admin then swaps in a bundle in which the
/// refund means something else — here its amounts are whole currency units,
/// so 30,000 is a hundred times what the approver allowed. The grant was
/// an answer to an escalation read under the old bundle: it ends with it,
/// as a token does; the same refund escalates again under the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_does_not_outlive_the_bundle_it_was_given_under() {
    const IN_UNITS: &str = r#"
policy acme.refunds_in_units
when payments.refund amount > 500 then deny "refunds above 500 need finance"
when payments.refund amount > 100 then escalate "large refund"
when payments.refund then allow "small refund"
"#;
    let data = data_dir("atk-swap-grant");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &key(&data, Role::Agent, "acme", "bot"));
    let approver = Client::new(server.addr, &key(&data, Role::Approver, "acme", "al"));
    let admin = Client::new(server.addr, &key(&data, Role::Admin, "acme", "root"));
    let id = agent.queued(&refund(20_000, "w-1")).await;
    approver
        .approve(
            &id,
            &json!({"grant": {"scope": "session", "minutes": 10_000, "max_amount": 30_000}}),
        )
        .await;
    // Under the bundle it was given under, the grant covers a refund.
    assert_eq!(agent.decide(&refund(300, "w-1")).await["decision"], "allow");
    assert_eq!(
        agent.decide(&refund(25_000, "w-1")).await["decision"],
        "allow"
    );

    let (s, ok) = admin.post_raw("/v1/bundles", bundle(IN_UNITS)).await;
    assert_eq!(s, 200, "{ok}");
    let d = agent.decide(&refund(300, "w-1")).await;
    assert_eq!(d["decision"], "escalate", "{d}");
    assert_eq!(d["grant"], json!(null), "{d}");
}

/// Two agents of one tenant hold their own agent keys. A refund of 20,000
/// by `bot` escalates; `intruder` (another agent key of acme, perhaps
/// prompt-injected) learns the approval's id and long-polls it, hoping to
/// receive the token an approver will give `bot`. `wait` answers only the
/// key whose request opened the approval: `intruder` gets a 404 before and
/// after the approval (no token), `bot` gets the allow and its token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_agent_key_cannot_wait_on_an_approval_for_its_token() {
    let data = data_dir("atk-wait");
    let server = start(options(&data, REFUNDS)).await;
    let bot = Client::new(server.addr, &key(&data, Role::Agent, "acme", "bot"));
    let intruder = Client::new(server.addr, &key(&data, Role::Agent, "acme", "intruder"));
    let approver = Client::new(server.addr, &key(&data, Role::Approver, "acme", "al"));
    let id = bot.queued(&refund(20_000, "w-1")).await;
    let wait = format!("/v1/approvals/{id}/wait?timeout=0");

    let (s, b) = intruder.get(&wait).await;
    assert_eq!(s, 404, "{b}");
    let (s, b) = bot.get(&wait).await;
    assert_eq!((s, &b["state"]), (200, &json!("pending")), "{b}");

    approver.approve(&id, &json!({})).await;

    let (s, b) = intruder.get(&wait).await;
    assert_eq!(s, 404, "{b}");
    assert!(!b.to_string().contains("p0t1."), "{b}");
    let (s, b) = bot.get(&wait).await;
    assert_eq!((s, &b["decision"]), (200, &json!("allow")), "{b}");
    assert!(b["token"].as_str().unwrap().starts_with("p0t1."), "{b}");
    server.shutdown().await.unwrap();
}

/// An approver grants "refunds of session s-9 up to 30,000 for an hour" on
/// a request `bot` sent. `intruder`, another agent key of the same tenant,
/// names session s-9 in its own requests — a session id is whatever the
/// agent writes — to ride on the grant. A grant answers the agent whose
/// request a human saw: `intruder`'s refund escalates (and is queued for a
/// human like any other), `bot`'s is allowed by the grant, and the grants
/// page says which key a grant is for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_agent_key_naming_the_granted_session_is_not_covered() {
    let data = data_dir("atk-grant-key");
    let server = start(options(&data, REFUNDS)).await;
    let bot = Client::new(server.addr, &key(&data, Role::Agent, "acme", "bot"));
    let intruder = Client::new(server.addr, &key(&data, Role::Agent, "acme", "intruder"));
    let approver = Client::new(server.addr, &key(&data, Role::Approver, "acme", "al"));
    let id = bot.queued(&refund(20_000, "s-9")).await;
    let a = approver
        .approve(
            &id,
            &json!({"grant": {"scope": "session", "minutes": 60, "max_amount": 30_000}}),
        )
        .await;
    assert!(a["grant"]["agent_key"].is_string(), "{a}");

    let d = intruder.decide(&refund(25_000, "s-9")).await;
    assert_eq!(d["decision"], "escalate", "{d}");
    assert_eq!(d["grant"], json!(null), "{d}");
    assert!(d["approval"].is_string(), "queued for a human: {d}");

    let d = bot.decide(&refund(25_000, "s-9")).await;
    assert_eq!(d["decision"], "allow", "{d}");
    assert_eq!(d["grant"], a["grant"]["id"], "{d}");
    server.shutdown().await.unwrap();
}

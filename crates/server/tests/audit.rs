//! What the signed audit log tells afterwards: not only each decision, but
//! who approved it, who denied what and why, which grant a person gave,
//! every request it then allowed and who ended it, and each token's
//! redemption — each record
//! chained to the decision it concerns, and the whole log still verifies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_server::db::Role;
use serde_json::{json, Map, Value};

fn with_actor(mut req: Value, actor: &str) -> Value {
    req["actor"] = json!({ "id": actor });
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_denials_grants_their_uses_and_redemptions_are_in_the_signed_log() {
    let data = data_dir("audit-story");
    let agent = key(&data, Role::Agent, "acme", "bot");
    let approver = key(&data, Role::Approver, "acme", "alice");
    let log = data.join("decisions.log");
    let mut opts = options(&data, REFUNDS);
    opts.audit = Some((log.clone(), signing_key()));
    opts.token_key = Some(signing_key());
    let server = start(opts).await;
    let agent = Client::new(server.addr, &agent);
    let approver = Client::new(server.addr, &approver);

    // A large refund escalates; alice approves it; the executor redeems the
    // token.
    let big = with_actor(refund(20_000, "s-1"), "bot-7");
    let first = agent.decide(&big).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, a) = approver
        .post(&format!("/v1/approvals/{first}/approve"), &json!({}))
        .await;
    assert_eq!(s, 200, "{a}");
    let (s, r) = agent
        .post(
            "/v1/tokens/redeem",
            &json!({"token": a["token"], "request": big}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    // Another escalates; alice denies it, saying why.
    let second = agent.decide(&refund(30_000, "s-2")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = approver
        .post(
            &format!("/v1/approvals/{second}/deny"),
            &json!({"comment": "not this customer"}),
        )
        .await;
    assert_eq!(s, 200);
    // A third: alice grants refunds of session s-3 for ten minutes; the
    // next refund of that session is allowed by the grant.
    let third = agent.decide(&refund(20_000, "s-3")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, g) = approver
        .post(
            &format!("/v1/approvals/{third}/approve"),
            &json!({"grant": {"scope": "session", "minutes": 10, "max_amount": 30_000}}),
        )
        .await;
    assert_eq!(s, 200, "{g}");
    let grant = g["grant"]["id"].as_str().unwrap().to_string();
    let d = agent.decide(&refund(25_000, "s-3")).await;
    assert_eq!(d["decision"], "allow", "{d}");
    // Alice ends the grant early.
    let (s, _) = approver
        .post(&format!("/v1/grants/{grant}/revoke"), &json!({}))
        .await;
    assert_eq!(s, 200);
    server.shutdown().await.unwrap();

    // The log verifies: 4 decisions, 2 approvals (tokens), and 5 events.
    let bytes = std::fs::read(&log).unwrap();
    let report = permit0_audit::verify(
        &bytes,
        &[signing_key().verifying_key()],
        &permit0_audit::VerifyOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (report.decisions, report.approvals, report.events),
        (4, 2, 5)
    );
    let records: Vec<Map<String, Value>> = permit0_audit::records(&bytes)
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    let of_kind = |k: &str| -> Vec<&Map<String, Value>> {
        records.iter().filter(|r| r["kind"] == k).collect()
    };
    let by_seq = |seq: &Value| records.iter().find(|r| &r["seq"] == seq).unwrap();

    // Each decision names its tenant (from the key), and the actor.
    let decisions = of_kind("decision");
    assert!(
        decisions.iter().all(|d| d["tenant"] == "acme"),
        "{decisions:?}"
    );
    assert_eq!(decisions[0]["actor"], "bot-7");
    // The approval names alice, and the decision it approved.
    let approval = of_kind("approval")[0];
    assert!(approval["approver"].as_str().unwrap().starts_with("alice"));
    assert_eq!(by_seq(&approval["record"])["session"], "s-1");
    // The redemption names the token's nonce and the approved decision.
    let redemption = of_kind("redemption")[0];
    let claims = permit0_audit::token::decode(
        a["token"].as_str().unwrap(),
        &[signing_key().verifying_key()],
    )
    .unwrap();
    assert_eq!(redemption["nonce"], claims.nonce.as_str());
    assert_eq!(redemption["approval"], first.as_str());
    assert_eq!(redemption["record"], approval["record"]);
    // The denial names alice, her reason, and the denied decision; it is
    // signed on its own.
    let denial = of_kind("denial")[0];
    assert!(denial["approver"].as_str().unwrap().starts_with("alice"));
    assert_eq!(denial["comment"], "not this customer");
    assert_eq!(denial["approval"], second.as_str());
    assert_eq!(by_seq(&denial["record"])["session"], "s-2");
    assert!(denial.contains_key("sig"));
    // The grant: who gave it, for what, until when; its use points at the
    // decision it turned into an allow.
    let given = of_kind("grant")[0];
    assert_eq!(given["grant"], grant.as_str());
    assert_eq!(
        (&given["scope"], &given["subject"], &given["max_amount"]),
        (&json!("session"), &json!("s-3"), &json!(30_000))
    );
    assert!(given["approver"].as_str().unwrap().starts_with("alice"));
    let used = of_kind("grant_use")[0];
    assert_eq!(used["grant"], grant.as_str());
    let allowed = by_seq(&used["record"]);
    assert_eq!(
        (&allowed["decision"], &allowed["session"]),
        (&json!("allow"), &json!("s-3"))
    );
    // Its early end: who ended it, signed.
    let ended = of_kind("grant_revocation")[0];
    assert_eq!(ended["grant"], grant.as_str());
    assert!(ended["approver"].as_str().unwrap().starts_with("alice"));
    assert!(ended.contains_key("sig"));
}

//! The decision service over HTTP, end to end: a real server on an
//! ephemeral port over a real SQLite file, driven as an agent, an approver
//! and an admin would drive it.
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

/// The whole loop: the agent's large refund escalates and is queued; the
/// approver reads it (the rule that matched and the amount it read, the
/// risk, the session's recent actions) and approves; the agent's waiting
/// call returns allow with a token; the executor redeems it once — a
/// second time, or for another amount, it is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalation_is_approved_and_its_token_redeems_once() {
    let data = data_dir("loop");
    let agent_key = key(&data, Role::Agent, "acme", "refund-bot");
    let approver_key = key(&data, Role::Approver, "acme", "alice");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &agent_key);
    let approver = Client::new(server.addr, &approver_key);

    // A small refund first, so the session has a recent action to show.
    assert_eq!(
        agent.decide(&refund(2_000, "s-1")).await["decision"],
        "allow"
    );
    let d = agent.decide(&refund(20_000, "s-1")).await;
    assert_eq!(d["decision"], "escalate");
    assert_eq!(d["reason"], "large refund");
    let id = d["approval"].as_str().unwrap().to_string();

    let (s, list) = approver.get("/v1/approvals?state=pending").await;
    assert_eq!(s, 200);
    assert_eq!(list["approvals"].as_array().unwrap().len(), 1);
    assert_eq!(list["approvals"][0]["id"], id.as_str());

    let (s, one) = approver.get(&format!("/v1/approvals/{id}")).await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(one["request"]["args"]["amount"], 20_000);
    assert_eq!(one["risk"]["tier"], d["risk"]["tier"]);
    let matched = one["explain"]["matched"].to_string();
    assert!(matched.contains("\"large refund\""), "{matched}");
    assert_eq!(one["decision"]["rule"], d["rule"]);
    assert!(
        matched.contains("20000"),
        "the value the rule read: {matched}"
    );
    let recent = one["recent"].as_array().unwrap();
    assert_eq!(recent.len(), 2, "{recent:?}");
    assert_eq!(recent[1]["verdict"], "allow");

    // The agent waits; the approver answers while it does.
    let waiting = {
        let agent = agent.clone();
        let id = id.clone();
        tokio::spawn(async move {
            agent
                .get(&format!("/v1/approvals/{id}/wait?timeout=20"))
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (s, answer) = approver
        .post(
            &format!("/v1/approvals/{id}/approve"),
            &json!({"comment": "customer called"}),
        )
        .await;
    assert_eq!(s, 200, "{answer}");
    let (s, waited) = waiting.await.unwrap();
    assert_eq!(s, 200);
    assert_eq!(waited["decision"], "allow");
    assert!(waited["reason"].as_str().unwrap().contains("alice"));
    assert!(waited["reason"]
        .as_str()
        .unwrap()
        .contains("customer called"));
    let token = waited["token"].as_str().unwrap().to_string();
    assert_eq!(answer["token"], token.as_str());

    // Another amount is another request: refused, and the token not burnt.
    let (s, r) = agent
        .post(
            "/v1/tokens/redeem",
            &json!({"token": token, "request": refund(30_000, "s-1")}),
        )
        .await;
    assert_eq!(s, 403, "{r}");
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("not the approved one"),
        "{r}"
    );
    let redeem = json!({"token": token, "request": refund(20_000, "s-1")});
    let (s, r) = agent.post("/v1/tokens/redeem", &redeem).await;
    assert_eq!((s, &r["ok"]), (200, &json!(true)), "{r}");
    let (s, r) = agent.post("/v1/tokens/redeem", &redeem).await;
    assert_eq!(s, 403);
    assert!(
        r["error"].as_str().unwrap().contains("already redeemed"),
        "{r}"
    );

    // Answered: a second answer is refused, and the queue is empty.
    let (s, _) = approver
        .post(&format!("/v1/approvals/{id}/deny"), &json!({}))
        .await;
    assert_eq!(s, 409);
    let (_, list) = approver.get("/v1/approvals?state=pending").await;
    assert!(list["approvals"].as_array().unwrap().is_empty());
    server.shutdown().await.unwrap();
}

/// A denial reaches the waiting agent as deny, with who and why; a wait
/// that nobody answers returns the escalation still pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denial_reaches_the_agent_and_an_unanswered_wait_times_out() {
    let data = data_dir("deny");
    let agent = key(&data, Role::Agent, "acme", "bot");
    let approver = key(&data, Role::Approver, "acme", "bob");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &agent);
    let approver = Client::new(server.addr, &approver);
    let id = agent.decide(&refund(20_000, "s-2")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();

    let (s, w) = agent
        .get(&format!("/v1/approvals/{id}/wait?timeout=1"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        (w["decision"].as_str(), w["state"].as_str()),
        (Some("escalate"), Some("pending"))
    );

    let (s, d) = approver
        .post(
            &format!("/v1/approvals/{id}/deny"),
            &json!({"comment": "duplicate refund"}),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    let (_, w) = agent
        .get(&format!("/v1/approvals/{id}/wait?timeout=1"))
        .await;
    assert_eq!(w["decision"], "deny");
    assert!(w["reason"].as_str().unwrap().contains("duplicate refund"));
    assert!(w.get("token").is_none());
    server.shutdown().await.unwrap();
}

/// An agent key in use is revoked by an operator (`permit0 keys revoke`
/// is another process on the data directory): the very next decision
/// with it is refused, though the server had the key cached — whether
/// that decision starts a commit group or joins one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_by_another_process_is_refused_at_the_next_request() {
    let data = data_dir("revoke-live");
    let bot = key(&data, Role::Agent, "acme", "bot");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &bot);
    for i in 0..3 {
        let (s, d) = agent
            .post("/v1/decide", &refund(1, &format!("r-{i}")))
            .await;
        assert_eq!(s, 200, "{d}");
    }
    {
        let operator = permit0_server::db::Db::open(&data).unwrap();
        let id = operator.find_key(&bot).unwrap().unwrap().id;
        assert!(operator.revoke_key(&id, 1).unwrap());
    }
    let (s, d) = agent.post("/v1/decide", &refund(1, "r-after")).await;
    assert_eq!(s, 401, "{d}");
    server.shutdown().await.unwrap();
}

/// Every endpoint but health needs a key of the right role: none,
/// unknown or revoked → 401; the wrong role → 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_and_roles_gate_every_endpoint() {
    let data = data_dir("roles");
    let agent_key = key(&data, Role::Agent, "acme", "bot");
    let approver_key = key(&data, Role::Approver, "acme", "alice");
    let revoked = key(&data, Role::Agent, "acme", "old-bot");
    let server = start(options(&data, REFUNDS)).await;
    {
        let db = permit0_server::db::Db::open(&data).unwrap();
        let id = db.find_key(&revoked).unwrap().unwrap().id;
        assert!(db.revoke_key(&id, 1).unwrap());
    }
    let agent = Client::new(server.addr, &agent_key);
    let approver = Client::new(server.addr, &approver_key);
    let nobody = Client::new(server.addr, "p0k_not-a-key");
    let gone = Client::new(server.addr, &revoked);

    let health = reqwest::get(format!("http://{}/healthz", server.addr))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(nobody.post("/v1/decide", &refund(1, "s")).await.0, 401);
    assert_eq!(gone.post("/v1/decide", &refund(1, "s")).await.0, 401);
    let no_header = reqwest::Client::new()
        .post(format!("http://{}/v1/decide", server.addr))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(no_header.status(), 401);

    // An approver does not decide; an agent does not approve, list or
    // upload bundles.
    assert_eq!(approver.post("/v1/decide", &refund(1, "s")).await.0, 403);
    let id = agent.decide(&refund(20_000, "s")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        agent
            .post(&format!("/v1/approvals/{id}/approve"), &json!({}))
            .await
            .0,
        403
    );
    assert_eq!(agent.get("/v1/approvals").await.0, 403);
    assert_eq!(agent.post_raw("/v1/bundles", bundle(STRICT)).await.0, 403);
    assert_eq!(
        approver.post_raw("/v1/bundles", bundle(STRICT)).await.0,
        403
    );
    // Metrics are for any key.
    let (s, m) = agent.get("/metrics").await;
    assert_eq!(s, 200);
    assert!(
        m.as_str()
            .unwrap()
            .contains("permit0_decisions_total{tenant=\"acme\",verdict=\"escalate\"} 1"),
        "{m}"
    );
    assert!(m.as_str().unwrap().contains("permit0_pending_approvals 1"));
    server.shutdown().await.unwrap();
}

/// Tenants share a server and nothing else: a tenant's approver never
/// sees another's approvals, its agent cannot wait on them or redeem their
/// tokens, sessions of the same id are separate, and a request naming
/// another tenant is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_isolated() {
    let data = data_dir("tenants");
    let a_agent = key(&data, Role::Agent, "acme", "a-bot");
    let a_approver = key(&data, Role::Approver, "acme", "alice");
    let b_agent = key(&data, Role::Agent, "globex", "b-bot");
    let b_approver = key(&data, Role::Approver, "globex", "bob");
    let server = start(options(&data, REFUNDS)).await;
    let (a_agent, a_approver) = (
        Client::new(server.addr, &a_agent),
        Client::new(server.addr, &a_approver),
    );
    let (b_agent, b_approver) = (
        Client::new(server.addr, &b_agent),
        Client::new(server.addr, &b_approver),
    );

    let id = a_agent.decide(&refund(20_000, "shared")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, list) = b_approver.get("/v1/approvals?state=pending").await;
    assert!(list["approvals"].as_array().unwrap().is_empty());
    assert_eq!(b_approver.get(&format!("/v1/approvals/{id}")).await.0, 404);
    assert_eq!(
        b_approver
            .post(&format!("/v1/approvals/{id}/approve"), &json!({}))
            .await
            .0,
        404
    );
    assert_eq!(
        b_agent
            .get(&format!("/v1/approvals/{id}/wait?timeout=0"))
            .await
            .0,
        404
    );

    let (s, ok) = a_approver
        .post(&format!("/v1/approvals/{id}/approve"), &json!({}))
        .await;
    assert_eq!(s, 200);
    let token = ok["token"].as_str().unwrap();
    let (s, r) = b_agent
        .post(
            "/v1/tokens/redeem",
            &json!({"token": token, "request": refund(20_000, "shared")}),
        )
        .await;
    assert_eq!(s, 403);
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("not issued to this tenant"),
        "{r}"
    );

    // Five small refunds fill acme's session `shared`; globex's session of
    // the same id is another session.
    for _ in 0..4 {
        assert_eq!(
            a_agent.decide(&refund(100, "shared")).await["decision"],
            "allow"
        );
    }
    assert_eq!(
        a_agent.decide(&refund(100, "shared")).await["decision"],
        "deny"
    );
    assert_eq!(
        b_agent.decide(&refund(100, "shared")).await["decision"],
        "allow"
    );

    let mut other = refund(100, "x");
    other["context"] = json!({"tenant": "acme"});
    let (s, e) = b_agent.post("/v1/decide", &other).await;
    assert_eq!(s, 403);
    assert!(e["error"]
        .as_str()
        .unwrap()
        .contains("the tenant comes from the key"));
    server.shutdown().await.unwrap();
}

/// Two approvers answering one approval at once: exactly one wins, the
/// other gets 409 — for an approve racing an approve and a deny alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_approvers_at_once_exactly_one_wins() {
    let data = data_dir("race");
    let agent = key(&data, Role::Agent, "acme", "bot");
    let alice = key(&data, Role::Approver, "acme", "alice");
    let bob = key(&data, Role::Approver, "acme", "bob");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &agent);
    let (alice, bob) = (
        Client::new(server.addr, &alice),
        Client::new(server.addr, &bob),
    );
    for round in 0..12 {
        let id = agent
            .decide(&refund(20_000, &format!("race-{round}")))
            .await["approval"]
            .as_str()
            .unwrap()
            .to_string();
        let second = if round % 2 == 0 { "approve" } else { "deny" };
        let (pa, pb) = (
            format!("/v1/approvals/{id}/approve"),
            format!("/v1/approvals/{id}/{second}"),
        );
        let empty = json!({});
        let (a, b) = tokio::join!(alice.post(&pa, &empty), bob.post(&pb, &empty));
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}: {a:?} {b:?}");
        let winner = if a.0 == 200 { "alice" } else { "bob" };
        let (_, w) = agent
            .get(&format!("/v1/approvals/{id}/wait?timeout=0"))
            .await;
        assert!(w["reason"].as_str().unwrap().contains(winner), "{w}");
    }
    server.shutdown().await.unwrap();
}

/// The session cap holds under concurrent HTTP decides: 24 small refunds
/// of one session at once, and exactly the 5 the cap allows get through.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_cap_holds_under_concurrent_decides() {
    let data = data_dir("cap");
    let agent = key(&data, Role::Agent, "acme", "bot");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &agent);
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let agent = agent.clone();
        tasks.push(tokio::spawn(async move {
            agent.decide(&refund(100, "burst")).await
        }));
    }
    let mut allowed = 0;
    for t in tasks {
        let d = t.await.unwrap();
        match d["decision"].as_str().unwrap() {
            "allow" => allowed += 1,
            "deny" => assert_eq!(d["reason"], "refund burst"),
            other => panic!("{other}: {d}"),
        }
    }
    assert_eq!(allowed, 5);
    server.shutdown().await.unwrap();
}

/// Decisions arriving together share one commit. Once a commit held
/// several decisions' writes (set up here by two writes of the session
/// store in one group), a decision about to commit first lets the other
/// requests under way write into its group: two refunds polled together on
/// one thread are answered by one commit, not two — and both are still
/// answered only after it, and counted by the session's cap.
#[tokio::test(flavor = "current_thread")]
async fn decisions_arriving_together_share_one_commit() {
    use permit0_server::db::deferred;
    use permit0_session::{Observation, ScopeStep};
    use tower::ServiceExt;
    let data = data_dir("share-commit");
    let agent = key(&data, Role::Agent, "acme", "bot");
    let app = std::sync::Arc::new(permit0_server::App::new(options(&data, REFUNDS)).unwrap());
    let router = permit0_server::api::router(app.clone());
    let post = |amount: i64| {
        axum::http::Request::post("/v1/decide")
            .header("authorization", format!("Bearer {agent}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                refund(amount, "together").to_string(),
            ))
            .unwrap()
    };
    let decision = |r: axum::response::Response| async move {
        let body = http_body_util::BodyExt::collect(r.into_body())
            .await
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&body.to_bytes()).unwrap()
    };

    // Alone, a decision commits at once: one commit each.
    let (c0, _) = app.db.group_commits();
    for _ in 0..2 {
        let d = decision(router.clone().oneshot(post(100)).await.unwrap()).await;
        assert_eq!(d["decision"], "allow", "{d}");
    }
    let (c1, _) = app.db.group_commits();
    assert_eq!(c1 - c0, 2);
    assert!(!app.db.commits_are_shared());

    // A commit shared by two writers: requests are arriving together.
    let mut groups = Vec::new();
    for _ in 0..2 {
        let (r, g) = deferred(|| {
            app.store.observe(
                &Observation {
                    time: Some(permit0_vm::time::now_ms()),
                    scopes: &[ScopeStep {
                        scope: "warm-up",
                        queries: &[],
                        record: Some(&[]),
                    }],
                },
                &mut |_, _| {},
            )
        });
        r.unwrap();
        groups.extend(g);
    }
    app.db.settle(&groups).unwrap();
    assert!(app.db.commits_are_shared());

    let (c2, _) = app.db.group_commits();
    let (a, b) = tokio::join!(
        router.clone().oneshot(post(100)),
        router.clone().oneshot(post(200))
    );
    let (c3, _) = app.db.group_commits();
    let (a, b) = (decision(a.unwrap()).await, decision(b.unwrap()).await);
    assert_eq!(
        (&a["decision"], &b["decision"]),
        (&json!("allow"), &json!("allow"))
    );
    assert_eq!(c3 - c2, 1, "one commit answered both");
    assert!(app.db.commits_are_shared());

    // Four refunds of the session so far: the fifth is allowed, the sixth
    // is the burst the cap refuses — both writes of the shared commit count.
    let fifth = decision(router.clone().oneshot(post(100)).await.unwrap()).await;
    assert_eq!(fifth["decision"], "allow", "{fifth}");
    let sixth = decision(router.clone().oneshot(post(100)).await.unwrap()).await;
    assert_eq!(sixth["decision"], "deny", "{sixth}");
    assert_eq!(sixth["reason"], "refund burst");
}

/// A grant: "refunds of this session, up to 30,000, for 10 minutes". A
/// later escalating refund it covers is allowed without asking (and says
/// which grant); one above its limit, of another session, or that the
/// policy denies is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_allows_what_it_covers_and_nothing_else() {
    let data = data_dir("grant");
    let agent = key(&data, Role::Agent, "acme", "bot");
    let approver = key(&data, Role::Approver, "acme", "alice");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &agent);
    let approver = Client::new(server.addr, &approver);
    let id = agent.decide(&refund(20_000, "g-1")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, a) = approver
        .post(
            &format!("/v1/approvals/{id}/approve"),
            &json!({"grant": {"scope": "session", "minutes": 10, "max_amount": 30_000}}),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    let grant = a["grant"]["id"].as_str().unwrap().to_string();

    let d = agent.decide(&refund(25_000, "g-1")).await;
    assert_eq!(d["decision"], "allow", "{d}");
    assert_eq!(d["grant"], grant.as_str());
    assert!(
        d["reason"].as_str().unwrap().contains("large refund"),
        "keeps the policy's reason: {d}"
    );
    assert_eq!(
        agent.decide(&refund(35_000, "g-1")).await["decision"],
        "escalate"
    );
    assert_eq!(
        agent.decide(&refund(25_000, "g-2")).await["decision"],
        "escalate"
    );
    assert_eq!(
        agent.decide(&refund(60_000, "g-1")).await["decision"],
        "deny"
    );

    // Listed with its use; revoked, it covers nothing more.
    let (_, g) = approver.get("/v1/grants").await;
    assert_eq!(g["grants"][0]["id"], grant.as_str());
    assert_eq!(g["grants"][0]["uses"], 1);
    assert_eq!(agent.get("/v1/grants").await.0, 403);
    let (s, _) = approver
        .post(&format!("/v1/grants/{grant}/revoke"), &json!({}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        agent.decide(&refund(25_000, "g-1")).await["decision"],
        "escalate"
    );
    assert_eq!(
        approver
            .post(&format!("/v1/grants/{grant}/revoke"), &json!({}))
            .await
            .0,
        404
    );

    // A grant of a session the request does not name is refused up front.
    let mut no_session = refund(20_000, "x");
    no_session.as_object_mut().unwrap().remove("session");
    let id = agent.decide(&no_session).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, e) = approver
        .post(
            &format!("/v1/approvals/{id}/approve"),
            &json!({"grant": {"scope": "session", "minutes": 10}}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    server.shutdown().await.unwrap();
}

/// An admin swaps the tenant's bundle: a bad one is refused and the
/// running one stays; a good one decides from then on — for that tenant
/// only — and is still there after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_swaps_a_tenants_bundle() {
    let data = data_dir("bundles");
    let admin = key(&data, Role::Admin, "acme", "ops");
    let agent_key = key(&data, Role::Agent, "acme", "bot");
    let other_key = key(&data, Role::Agent, "globex", "bot");
    let server = start(options(&data, REFUNDS)).await;
    let admin = Client::new(server.addr, &admin);
    let agent = Client::new(server.addr, &agent_key);
    let other = Client::new(server.addr, &other_key);

    let mut tampered = bundle(STRICT);
    let mid = tampered.len() / 2;
    tampered[mid] ^= 1;
    let (s, e) = admin.post_raw("/v1/bundles", tampered).await;
    assert_eq!(s, 400);
    assert!(e["error"].as_str().unwrap().contains("stays"), "{e}");
    assert_eq!(agent.decide(&refund(100, "b")).await["decision"], "allow");

    let (s, ok) = admin.post_raw("/v1/bundles", bundle(STRICT)).await;
    assert_eq!(s, 200, "{ok}");
    assert_eq!(
        agent.decide(&refund(100, "b")).await["decision"],
        "escalate"
    );
    assert_eq!(other.decide(&refund(100, "b")).await["decision"], "allow");
    server.shutdown().await.unwrap();

    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &agent_key);
    assert_eq!(
        agent.decide(&refund(100, "b2")).await["decision"],
        "escalate"
    );
    server.shutdown().await.unwrap();
}

/// Bodies that are not requests: text that is not JSON is a 400 with the
/// reason; a key given twice is JSON but not a request the engine will
/// read one way, so it escalates; a body over the limit is a 413; a batch
/// decides each request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_refused_with_a_reason() {
    let data = data_dir("bodies");
    let agent = key(&data, Role::Agent, "acme", "bot");
    let mut opts = options(&data, REFUNDS);
    opts.limits.max_body_bytes = 4096;
    let server = start(opts).await;
    let agent = Client::new(server.addr, &agent);

    let (s, e) = agent
        .post_raw("/v1/decide", b"{\"action\": ".to_vec())
        .await;
    assert_eq!(s, 400);
    assert!(e["error"].as_str().unwrap().contains("not JSON"), "{e}");
    let twice = br#"{"action": "payments.refund", "action": "payments.refund", "args": {}}"#;
    let (s, d) = agent.post_raw("/v1/decide", twice.to_vec()).await;
    assert_eq!(s, 200);
    assert_eq!(d["decision"], "escalate", "{d}");
    let (s, _) = agent.post_raw("/v1/decide", vec![b' '; 5000]).await;
    assert_eq!(s, 413);

    let (s, b) = agent
        .post(
            "/v1/decide/batch",
            &json!([refund(100, "b"), refund(20_000, "b"), refund(90_000, "b")]),
        )
        .await;
    assert_eq!(s, 200);
    let verdicts: Vec<&str> = b["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["decision"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["allow", "escalate", "deny"]);
    assert!(b["decisions"][1]["approval"].is_string());
    let (s, _) = agent.post("/v1/decide/batch", &json!({"nope": 1})).await;
    assert_eq!(s, 400);
    let (s, spec) = agent.get("/v1/openapi.json").await;
    assert_eq!(s, 200);
    assert!(spec["paths"]["/v1/decide"].is_object(), "{spec}");
    server.shutdown().await.unwrap();
}

/// A key over its rate is refused with 429 — and only that key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_over_its_rate_gets_429() {
    let data = data_dir("rate");
    let fast = key(&data, Role::Agent, "acme", "fast");
    let calm = key(&data, Role::Agent, "acme", "calm");
    let mut opts = options(&data, REFUNDS);
    opts.limits.rate_per_key = 0.5;
    opts.limits.burst_per_key = 3.0;
    let server = start(opts).await;
    let (fast, calm) = (
        Client::new(server.addr, &fast),
        Client::new(server.addr, &calm),
    );
    for i in 0..3 {
        assert_eq!(
            fast.post("/v1/decide", &refund(100, &format!("r{i}")))
                .await
                .0,
            200
        );
    }
    let (s, e) = fast.post("/v1/decide", &refund(100, "r9")).await;
    assert_eq!(s, 429, "{e}");
    assert_eq!(calm.post("/v1/decide", &refund(100, "r9")).await.0, 200);
    server.shutdown().await.unwrap();
}

/// With an audit log, every decision as answered and every approval (bound
/// to its decision record, named in the token) are appended to the signed
/// chain, which verifies once the server has stopped. Stopping does not
/// wait for a long poll: the waiting agent gets the escalation, still
/// pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_and_approvals_go_to_the_signed_log_and_stopping_wakes_waiters() {
    let data = data_dir("audit");
    let agent = key(&data, Role::Agent, "acme", "bot");
    let approver = key(&data, Role::Approver, "acme", "alice");
    let log = data.join("decisions.log");
    let mut opts = options(&data, REFUNDS);
    opts.audit = Some((log.clone(), signing_key()));
    opts.token_key = Some(signing_key());
    let server = start(opts).await;
    let agent = Client::new(server.addr, &agent);
    let approver = Client::new(server.addr, &approver);
    assert_eq!(agent.decide(&refund(100, "a-1")).await["decision"], "allow");
    let id = agent.decide(&refund(20_000, "a-1")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, a) = approver
        .post(&format!("/v1/approvals/{id}/approve"), &json!({}))
        .await;
    assert_eq!(s, 200, "{a}");
    let claims = permit0_audit::token::decode(
        a["token"].as_str().unwrap(),
        &[signing_key().verifying_key()],
    )
    .unwrap();
    assert!(
        claims.record.is_some(),
        "the token names the decision record it answers"
    );

    let pending = agent.decide(&refund(30_000, "a-2")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    let waiting = {
        let agent = agent.clone();
        tokio::spawn(async move {
            agent
                .get(&format!("/v1/approvals/{pending}/wait?timeout=120"))
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    server.shutdown().await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let (s, w) = waiting.await.unwrap();
    assert_eq!((s, w["state"].as_str()), (200, Some("pending")));

    let bytes = std::fs::read(&log).unwrap();
    let report = permit0_audit::verify(
        &bytes,
        &[signing_key().verifying_key()],
        &permit0_audit::VerifyOptions::default(),
    )
    .unwrap();
    assert_eq!((report.decisions, report.approvals), (3, 1));
    assert!(report.closed);
}

/// When the database cannot be written (here another process holds its
/// write lock), a request that would be allowed escalates, the reason names
/// the session store, and the server keeps serving: once the lock is gone
/// the same request is allowed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_failure_fails_closed_and_the_server_keeps_serving() {
    let data = data_dir("store-failure");
    let agent = key(&data, Role::Agent, "acme", "bot");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &agent);
    assert_eq!(agent.decide(&refund(100, "f-1")).await["decision"], "allow");

    let other = rusqlite::Connection::open(data.join(permit0_server::db::DB_FILE)).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let d = agent.decide(&refund(100, "f-1")).await;
    assert_eq!(d["decision"], "escalate", "{d}");
    assert!(
        d["reason"].as_str().unwrap().contains("session store"),
        "{d}"
    );
    other.execute_batch("ROLLBACK").unwrap();

    assert_eq!(agent.decide(&refund(100, "f-1")).await["decision"], "allow");
    let (_, m) = agent.get("/metrics").await;
    assert!(
        m.as_str().unwrap().contains("permit0_store_errors_total 1"),
        "{m}"
    );
    server.shutdown().await.unwrap();
}

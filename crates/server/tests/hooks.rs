//! Webhooks and the reviewer against a real HTTP receiver: a new pending
//! approval reaches Slack (with a link to its page) and a signed JSON hook
//! (retried after a failure); the reviewer can turn an allow into deny or
//! escalate, and nothing it answers — "allow", garbage, silence — loosens
//! or breaks a decision.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use common::*;
use permit0_server::db::Role;
use permit0_server::webhooks::{sign, ReviewerConfig};
use permit0_server::WebhookConfig;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Seen {
    slack: Vec<Value>,
    json: Vec<(HeaderMap, Bytes)>,
    json_failures_left: u32,
    reviews: Vec<Value>,
}

type Shared = State<Arc<Mutex<Seen>>>;

async fn slack(State(s): Shared, body: Bytes) -> StatusCode {
    s.lock()
        .unwrap()
        .slack
        .push(serde_json::from_slice(&body).unwrap());
    StatusCode::OK
}

async fn json_hook(State(s): Shared, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut s = s.lock().unwrap();
    if s.json_failures_left > 0 {
        s.json_failures_left -= 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    s.json.push((headers, body));
    StatusCode::OK
}

/// The reviewer: its answer depends on the refund's amount.
async fn review(State(s): Shared, body: Bytes) -> (StatusCode, String) {
    let v: Value = serde_json::from_slice(&body).unwrap();
    let amount = v["request"]["args"]["amount"].as_i64().unwrap();
    s.lock().unwrap().reviews.push(v);
    let answer = match amount {
        101 => json!({"answer": "deny", "reason": "looks like card testing"}),
        102 => json!({"answer": "escalate", "reason": "unusual customer"}),
        103 => json!({"answer": "keep"}),
        104 => json!({"answer": "allow"}),
        105 => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            json!({"answer": "deny"})
        }
        _ => return (StatusCode::INTERNAL_SERVER_ERROR, "boom".into()),
    };
    (StatusCode::OK, answer.to_string())
}

async fn receiver(seen: Arc<Mutex<Seen>>) -> String {
    let app = Router::new()
        .route("/slack", post(slack))
        .route("/json", post(json_hook))
        .route("/review", post(review))
        .with_state(seen);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_approval_is_announced_to_slack_and_a_signed_json_hook() {
    let seen = Arc::new(Mutex::new(Seen {
        json_failures_left: 1,
        ..Seen::default()
    }));
    let hooks = receiver(seen.clone()).await;
    let data = data_dir("webhooks");
    let agent = key(&data, Role::Agent, "acme", "bot");
    let mut opts = options(&data, REFUNDS);
    opts.public_url = Some("https://approvals.example.com".into());
    opts.webhooks = vec![
        WebhookConfig {
            kind: "slack".into(),
            url: format!("{hooks}/slack"),
            secret: None,
            tenant: None,
        },
        WebhookConfig {
            kind: "json".into(),
            url: format!("{hooks}/json"),
            secret: Some("s3cret".into()),
            tenant: Some("acme".into()),
        },
        // Another tenant's hook hears nothing of acme.
        WebhookConfig {
            kind: "slack".into(),
            url: format!("{hooks}/nowhere"),
            secret: None,
            tenant: Some("globex".into()),
        },
    ];
    let server = start(opts).await;
    let agent = Client::new(server.addr, &agent);
    let id = agent.decide(&refund(20_000, "h-1")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(agent.decide(&refund(100, "h-1")).await["decision"], "allow");

    // The JSON hook failed once; the retry (after 1 s) gets through.
    for _ in 0..60 {
        if !seen.lock().unwrap().json.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let s = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(s.slack.len(), 1, "one message, for the escalation only");
    let text = s.slack[0]["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("https://approvals.example.com/ui/approvals/{id}")),
        "{text}"
    );
    assert!(
        text.contains("large refund") && text.contains("20000"),
        "{text}"
    );
    assert_eq!(s.json.len(), 1);
    let (headers, body) = &s.json[0];
    let ts = headers["x-permit0-timestamp"].to_str().unwrap();
    assert_eq!(
        headers["x-permit0-signature"].to_str().unwrap(),
        sign("s3cret", ts, body)
    );
    assert_ne!(
        headers["x-permit0-signature"].to_str().unwrap(),
        sign("other", ts, body)
    );
    let v: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["approval"], id.as_str());
    assert_eq!(v["request"]["args"]["amount"], 20_000);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reviewer_can_only_tighten() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let hooks = receiver(seen.clone()).await;
    let data = data_dir("reviewer");
    let agent_key = key(&data, Role::Agent, "acme", "bot");
    let mut opts = options(&data, REFUNDS);
    opts.reviewer = Some(ReviewerConfig {
        url: format!("{hooks}/review"),
        min_tier: permit0_vm::risk::Tier::Minimal,
        timeout_ms: 500,
        secret: None,
    });
    let server = start(opts).await;
    let agent = Client::new(server.addr, &agent_key);
    let decide = |amount: i64, session: &str| {
        let agent = agent.clone();
        let session = session.to_string();
        async move { agent.decide(&refund(amount, &session)).await }
    };

    let d = decide(101, "r-1").await;
    assert_eq!(d["decision"], "deny");
    assert!(d["reason"].as_str().unwrap().contains("card testing"));
    let d = decide(102, "r-2").await;
    assert_eq!(d["decision"], "escalate");
    assert!(
        d["approval"].is_string(),
        "a reviewer's escalation is queued for a human"
    );
    assert_eq!(decide(103, "r-3").await["decision"], "allow");
    // "allow" is not an answer; garbage, a 500 and silence keep the decision.
    assert_eq!(decide(104, "r-4").await["decision"], "allow");
    assert_eq!(decide(106, "r-5").await["decision"], "allow");
    assert_eq!(decide(105, "r-6").await["decision"], "allow");
    // What the policy escalates or denies is not the reviewer's to see.
    let before = seen.lock().unwrap().reviews.len();
    assert_eq!(decide(20_000, "r-7").await["decision"], "escalate");
    assert_eq!(decide(90_000, "r-7").await["decision"], "deny");
    assert_eq!(seen.lock().unwrap().reviews.len(), before);

    let (_, m) = agent.get("/metrics").await;
    let m = m.as_str().unwrap();
    assert!(m.contains("permit0_reviewer_errors_total 3"), "{m}");
    assert!(m.contains("permit0_reviewer_tightened_total 2"), "{m}");
    server.shutdown().await.unwrap();
}

/// A prompt-injected agent posts JSON that is no request at all — `null`,
/// `[]`, `"x"`, `42` — over and over. Each used to escalate and queue an
/// approval (announced to every webhook) that an approver could only deny:
/// a flood of the approvers' queue. Such a body names no action, so it is a
/// 400 (the agent acts on nothing), alone or as a batch item (an `error`
/// item), and a deny through the Claude Code hook; no approval is opened
/// and no webhook hears of it. The real escalation sent after them is the
/// only one queued and announced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_that_is_not_a_request_queues_no_approval_and_wakes_no_webhook() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let hooks = receiver(seen.clone()).await;
    let data = data_dir("atk-non-object");
    let agent = key(&data, Role::Agent, "acme", "bot");
    let approver = key(&data, Role::Approver, "acme", "al");
    let mut opts = options(&data, REFUNDS);
    opts.webhooks = vec![WebhookConfig {
        kind: "slack".into(),
        url: format!("{hooks}/slack"),
        secret: None,
        tenant: None,
    }];
    let server = start(opts).await;
    let agent = Client::new(server.addr, &agent);
    let approver = Client::new(server.addr, &approver);

    for junk in ["null", "[]", "\"x\"", "42", "[{\"action\":\"x\"}]"] {
        let (s, b) = agent.post_raw("/v1/decide", junk.into()).await;
        assert_eq!(s, 400, "{junk}: {b}");
        assert!(b["error"].as_str().unwrap().contains("JSON object"), "{b}");
    }
    let (s, b) = agent
        .post_raw("/v1/decide/batch", r#"[null,[],"x",42]"#.into())
        .await;
    assert_eq!(s, 200, "{b}");
    for d in b["decisions"].as_array().unwrap() {
        assert!(d["error"].as_str().unwrap().contains("JSON object"), "{b}");
        assert!(d.get("approval").is_none(), "{b}");
    }
    let (s, b) = agent.post_raw("/v1/hooks/claude-code", "null".into()).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["hookSpecificOutput"]["permissionDecision"], "deny", "{b}");

    let (s, list) = approver.get("/v1/approvals").await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["approvals"], json!([]), "{list}");

    // A real escalation is still queued and announced — the only message.
    let id = agent.decide(&refund(20_000, "n-1")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..50 {
        if !seen.lock().unwrap().slack.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let slack = std::mem::take(&mut seen.lock().unwrap().slack);
    assert_eq!(slack.len(), 1, "{slack:?}");
    assert!(slack[0]["text"].as_str().unwrap().contains(&id));
    server.shutdown().await.unwrap();
}

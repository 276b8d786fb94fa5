//! Notifications and the reviewer.
//!
//! **Notifications.** Each new pending approval is POSTed to the configured
//! webhooks — a Slack-compatible incoming-webhook message with a link to
//! the approval's page, or the approval as JSON signed with HMAC-SHA256 —
//! by a background task: the decide path only queues it (a full queue
//! drops it and counts an error). A delivery is retried with backoff (1,
//! 2, 4, 8, 16 s) until it gets a 2xx answer.
//!
//! **The reviewer** (a second stage that can only tighten): a decision that
//! would allow at a risk tier at or above `min_tier` is POSTed to the
//! reviewer, which answers `deny`, `escalate` or `keep`. There is no
//! "allow" to answer, so the reviewer can never loosen; a timeout, an error
//! or an answer that is none of the three keeps the deterministic decision
//! and is counted and logged.

use crate::App;
use hmac::{Hmac, Mac};
use permit0_vm::risk::Tier;
use serde::Deserialize;
use serde_json::{json, Value as Json};
use sha2::Sha256;
use std::time::Duration;

/// How a webhook is delivered.
#[derive(Clone, Debug)]
pub struct Job {
    pub url: String,
    pub body: Vec<u8>,
    /// `X-Permit0-Signature` and `X-Permit0-Timestamp`, when signed.
    pub signature: Option<(String, String)>,
}

/// The reviewer's configuration (`[reviewer]` in the config file).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReviewerConfig {
    pub url: String,
    /// Allows at this tier or above are reviewed (default `medium`).
    #[serde(default = "medium")]
    pub min_tier: Tier,
    /// How long to wait for the answer (default 2000 ms).
    #[serde(default = "two_seconds")]
    pub timeout_ms: u64,
    /// Signs the request like a JSON webhook, when set.
    pub secret: Option<String>,
}

fn medium() -> Tier {
    Tier::Medium
}

fn two_seconds() -> u64 {
    2000
}

/// `sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>`.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes a key of any length; this does not happen.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", permit0_vm::hex(&mac.finalize().into_bytes()))
}

/// Queues the notifications of a new pending approval.
pub fn enqueue(app: &App, tenant: &str, id: &str, decision: &Json, request: &Json) {
    if app.webhooks.is_empty() {
        return;
    }
    let url = format!("{}/ui/approvals/{id}", app.base_url());
    let action = decision.get("action").and_then(Json::as_str).unwrap_or("?");
    let reason = decision.get("reason").and_then(Json::as_str).unwrap_or("");
    for w in &app.webhooks {
        if w.tenant.as_deref().is_some_and(|t| t != tenant) {
            continue;
        }
        let body = if w.kind == "slack" {
            let amount = request
                .pointer("/args/amount")
                .map(|a| format!(", amount {a}"))
                .unwrap_or_default();
            let session = request
                .pointer("/session/id")
                .and_then(Json::as_str)
                .map(|s| format!(", session `{s}`"))
                .unwrap_or_default();
            json!({
                "text": format!("permit0: `{action}` needs a human ({reason}{amount}{session}, tenant `{tenant}`). <{url}|Review approval {id}>")
            })
        } else {
            json!({
                "type": "approval.pending",
                "approval": id,
                "tenant": tenant,
                "url": url,
                "decision": decision,
                "request": request,
            })
        };
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let signature = w.secret.as_deref().map(|secret| {
            let ts = (permit0_vm::time::now_ms() / 1000).to_string();
            (sign(secret, &ts, &body), ts)
        });
        let job = Job {
            url: w.url.clone(),
            body,
            signature,
        };
        if app.hooks.try_send(job).is_err() {
            app.metrics.webhook_error();
            eprintln!(
                "permit0 serve: the webhook queue is full; a notification of {id} was dropped"
            );
        }
    }
}

/// Delivers queued jobs until the queue closes, each in its own task.
pub async fn deliver(app: std::sync::Arc<App>, mut rx: tokio::sync::mpsc::Receiver<Job>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    while let Some(job) = rx.recv().await {
        let http = http.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let mut delay = Duration::from_secs(1);
            for attempt in 0..6 {
                if attempt > 0 {
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                }
                let mut r = http
                    .post(&job.url)
                    .header("content-type", "application/json")
                    .body(job.body.clone());
                if let Some((sig, ts)) = &job.signature {
                    r = r
                        .header("x-permit0-signature", sig)
                        .header("x-permit0-timestamp", ts);
                }
                if let Ok(resp) = r.send().await {
                    if resp.status().is_success() {
                        return;
                    }
                }
            }
            app.metrics.webhook_error();
            eprintln!(
                "permit0 serve: a webhook to {} failed after 6 tries",
                job.url
            );
        });
    }
}

#[derive(Deserialize)]
struct ReviewerAnswer {
    answer: String,
    reason: Option<String>,
}

/// What the reviewer said: tighten to deny or escalate, or keep.
pub enum Review {
    Keep,
    Tighten(&'static str, String),
}

/// Asks the reviewer about an allow (only when configured and the tier is
/// at or above its `min_tier`).
pub async fn review(app: &App, request: &Json, decision: &Json) -> Review {
    let Some(r) = &app.reviewer else {
        return Review::Keep;
    };
    let tier = decision
        .pointer("/risk/tier")
        .cloned()
        .and_then(|t| serde_json::from_value::<Tier>(t).ok());
    if decision.get("decision").and_then(Json::as_str) != Some("allow")
        || tier.is_none_or(|t| t < r.min_tier)
    {
        return Review::Keep;
    }
    let body =
        serde_json::to_vec(&json!({"request": request, "decision": decision})).unwrap_or_default();
    let mut req = app
        .http
        .post(&r.url)
        .timeout(Duration::from_millis(r.timeout_ms))
        .header("content-type", "application/json")
        .body(body.clone());
    if let Some(secret) = &r.secret {
        let ts = (permit0_vm::time::now_ms() / 1000).to_string();
        req = req
            .header("x-permit0-signature", sign(secret, &ts, &body))
            .header("x-permit0-timestamp", ts);
    }
    let failed = |why: String| {
        app.metrics.reviewer_error();
        eprintln!("permit0 serve: the reviewer {why}; the decision stands");
        Review::Keep
    };
    let resp = match req.send().await {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => return failed(format!("answered HTTP {}", r.status())),
        Err(e) => return failed(format!("did not answer: {e}")),
    };
    let answer: ReviewerAnswer = match resp.json().await {
        Ok(a) => a,
        Err(e) => {
            return failed(format!(
                "answered something that is not {{\"answer\": …}}: {e}"
            ))
        }
    };
    let why = answer.reason.unwrap_or_default();
    match answer.answer.as_str() {
        "keep" => Review::Keep,
        "deny" => Review::Tighten("deny", why),
        "escalate" => Review::Tighten("escalate", why),
        other => failed(format!(
            "answered `{other}`, which is not deny, escalate or keep"
        )),
    }
}

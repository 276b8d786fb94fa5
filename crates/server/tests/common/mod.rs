//! A real server on an ephemeral port over a real SQLite file, a refunds
//! policy compiled and signed for it, and an HTTP client with a key.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ed25519_dalek::SigningKey;
use permit0_compiler::{build_bundle, compile, Input};
use permit0_server::db::{Db, Role};
use permit0_server::{Limits, Options, Running};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const REFUNDS: &str = r#"
policy acme.refunds
when payments.refund amount > 50_000 then deny "refunds above $500 need finance"
when payments.refund amount > 10_000 then escalate "large refund"
when payments.refund session.count(payments.refund, 1h) >= 5 then deny "refund burst"
when payments.refund then allow "small refund"
"#;

/// Another policy: every refund escalates.
pub const STRICT: &str = r#"
policy acme.strict
when payments.refund then escalate "every refund needs a human"
"#;

pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

pub fn bundle(src: &str) -> Vec<u8> {
    let c = compile(vec![Input::from_text("policy.p0", src)]);
    let errors: Vec<String> = c.errors().map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    build_bundle(&c, &signing_key()).unwrap()
}

pub fn public_key() -> String {
    permit0_vm::keys::encode_public_key(&signing_key().verifying_key())
}

pub fn options(data: &Path, src: &str) -> Options {
    Options {
        listen: "127.0.0.1:0".parse().unwrap(),
        data: data.to_path_buf(),
        bundle: bundle(src),
        trusted: vec![public_key()],
        tenants: HashMap::new(),
        audit: None,
        token_key: None,
        public_url: None,
        limits: Limits::default(),
        webhooks: Vec::new(),
        max_skew: Some(std::time::Duration::from_secs(300)),
        reviewer: None,
        store: Default::default(),
    }
}

/// A fresh data directory under the target dir.
pub fn data_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Makes a key in the data directory, as `permit0 keys add` does.
pub fn key(data: &Path, role: Role, tenant: &str, name: &str) -> String {
    let db = Db::open(data).unwrap();
    db.add_key(role, tenant, name, permit0_vm::time::now_ms())
        .unwrap()
        .0
}

pub async fn start(opts: Options) -> Running {
    permit0_server::start(opts).await.unwrap()
}

/// A client of one server with one key.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub key: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(addr: std::net::SocketAddr, key: &str) -> Client {
        Client {
            base: format!("http://{addr}"),
            key: key.to_string(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post_raw(path, serde_json::to_vec(body).unwrap()).await
    }

    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn decide(&self, req: &Value) -> Value {
        let (s, v) = self.post("/v1/decide", req).await;
        assert_eq!(s, 200, "{v}");
        v
    }

    /// Decides `req`, which must escalate and be queued for a human: the
    /// approval's id.
    pub async fn queued(&self, req: &Value) -> String {
        let d = self.decide(req).await;
        assert_eq!(d["decision"], "escalate", "{d}");
        d["approval"]
            .as_str()
            .unwrap_or_else(|| panic!("not queued: {d}"))
            .to_string()
    }

    /// Approves approval `id` (this client holds an approver's key) with
    /// `body` — a comment, limits, a grant: the answer, which must be 200.
    pub async fn approve(&self, id: &str, body: &Value) -> Value {
        let (s, a) = self
            .post(&format!("/v1/approvals/{id}/approve"), body)
            .await;
        assert_eq!(s, 200, "{a}");
        a
    }
}

pub fn refund(amount: i64, session: &str) -> Value {
    json!({"action": "payments.refund",
           "args": {"amount": amount, "currency": "usd", "charge_id": "ch_1", "customer": "cus_1"},
           "actor": {"id": "support-bot"},
           "session": {"id": session}})
}

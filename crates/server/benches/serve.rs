//! The decision service under load, over loopback: decisions per second
//! and p50/p99 latency at 1, 16 and 64 connections, for a canonical
//! request and a raw Bash call, against the stdlib bundle with sessions in
//! SQLite. The load generator (reqwest, one client per connection) runs on
//! the same cores as the server, so the figures are a floor. The last
//! column is how many session observations shared each group commit.
//!
//! Run with `cargo bench -p permit0-server --bench serve`
//! (`SERVE_BENCH_SECS` sets each run's length, default 3;
//! `SERVE_BENCH_ONLY=canonical:1` runs one row, e.g. under `perf`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ed25519_dalek::SigningKey;
use permit0_compiler::{build_bundle, compile, stdlib};
use permit0_server::db::{Db, Role};
use permit0_server::{Limits, Options};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn request(kind: &str, session: &str) -> Value {
    match kind {
        "canonical" => json!({"action": "payments.refund",
            "args": {"amount": 900, "currency": "usd", "charge_id": "ch_1"},
            "session": {"id": session}}),
        _ => json!({"tool": "Bash", "args": {"command": "cargo test -p permit0-vm"},
            "session": {"id": session}}),
    }
}

async fn run(
    base: &str,
    key: &str,
    kind: &str,
    conns: usize,
    secs: u64,
) -> (f64, Duration, Duration) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..conns {
        let url = format!("{base}/v1/decide");
        let key = key.to_string();
        let kind = kind.to_string();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut lat = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                // Sessions of 100 requests each.
                let body = serde_json::to_vec(&request(&kind, &format!("{kind}-{c}-{}", n / 100)))
                    .unwrap();
                let t = Instant::now();
                let r = http
                    .post(&url)
                    .bearer_auth(&key)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
                let _ = r.bytes().await.unwrap();
                lat.push(t.elapsed());
                n += 1;
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    let rate = all.len() as f64 / secs as f64;
    (rate, all[all.len() / 2], all[all.len() * 99 / 100])
}

fn main() {
    let secs: u64 = std::env::var("SERVE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let c = compile(stdlib::inputs());
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let signer = SigningKey::from_bytes(&[7u8; 32]);
    let bundle = build_bundle(&c, &signer).unwrap();
    let data = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-bench");
    let _ = std::fs::remove_dir_all(&data);
    let key = Db::open(&data)
        .unwrap()
        .add_key(Role::Agent, "bench", "load", 0)
        .unwrap()
        .0;
    // The runtime `permit0 serve` runs on (the load generator shares it).
    let rt = permit0_server::runtime().unwrap();
    rt.block_on(async {
        let server = permit0_server::start(Options {
            listen: "127.0.0.1:0".parse().unwrap(),
            data: data.clone(),
            bundle,
            trusted: vec![permit0_vm::keys::encode_public_key(&signer.verifying_key())],
            tenants: HashMap::new(),
            audit: None,
            token_key: None,
            public_url: None,
            limits: Limits::default(),
            webhooks: Vec::new(),
            max_skew: Some(Duration::from_secs(300)),
            reviewer: None,
            store: Default::default(),
        })
        .await
        .unwrap();
        let base = format!("http://{}", server.addr);
        println!(
            "{:<10} {:>5}  {:>10}  {:>9}  {:>9}  {:>12}",
            "request", "conns", "decisions/s", "p50", "p99", "obs/commit"
        );
        let only = std::env::var("SERVE_BENCH_ONLY").unwrap_or_default();
        let only = only.split_once(':');
        for kind in ["canonical", "bash"] {
            if only.is_some_and(|(k, _)| k != kind) {
                continue;
            }
            run(&base, &key, kind, 4, 1).await; // warm up
            for conns in [1, 16, 64] {
                if only.is_some_and(|(_, c)| c != conns.to_string()) {
                    continue;
                }
                let (g0, o0) = server.app.db.group_commits();
                let (rate, p50, p99) = run(&base, &key, kind, conns, secs).await;
                let (g1, o1) = server.app.db.group_commits();
                // Session observations per group commit.
                let per = (o1 - o0) as f64 / (g1 - g0).max(1) as f64;
                println!(
                    "{kind:<10} {conns:>5}  {rate:>10.0}  {:>7.0}µs  {:>7.0}µs  {per:>12.2}",
                    p50.as_secs_f64() * 1e6,
                    p99.as_secs_f64() * 1e6
                );
            }
        }
        server.shutdown().await.unwrap();
    });
}

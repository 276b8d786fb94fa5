//! Shared state on Redis against the embedded store: p50/p99 decide
//! latency at 16 connections over loopback, and Redis round trips per
//! decision (the pool's own count) and scripts Redis ran per decision
//! (`INFO commandstats`).
//! The stdlib bundle (the canonical refund and the raw Bash call both
//! read their session's history; a debt collection call reads its session
//! and its debt account's calls across the tenant — two scopes, still one
//! round trip), and a flat policy that reads none (no round trip at all).
//!
//! Run with `cargo bench -p permit0-server --bench serve_redis`. It starts
//! its own `redis-server` on a free port (or uses `REDIS_URL`);
//! `SERVE_BENCH_SECS` sets each run's length (default 3).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ed25519_dalek::SigningKey;
use permit0_compiler::{build_bundle, compile, stdlib};
use permit0_server::db::Role;
use permit0_server::state::StoreConfig;
use permit0_server::{Limits, Options};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

// The allocator of the `permit0` binary that runs `permit0 serve`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn request(kind: &str, session: &str) -> Value {
    match kind {
        "canonical" => json!({"action": "payments.refund",
            "args": {"amount": 900, "currency": "usd", "charge_id": "ch_1"},
            "session": {"id": session}}),
        // Reads and records two scopes: its session, and its debt account
        // across the tenant (Reg F's seven calls in seven days). Placed at
        // 22:00 the consumer's time, it is denied, so no approval is queued
        // and the decision's only Redis work is its history.
        "call" => json!({"action": "collections.call_debtor",
            "args": {"account_id": format!("acct-{session}"), "phone": "+15550100",
                     "line_kind": "mobile", "consumer_local_hour": 22, "autodialed": false,
                     "cease_requested": false},
            "actor": {"id": "dialer"},
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
) -> (u64, Duration, Duration) {
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
    (
        all.len() as u64,
        all[all.len() / 2],
        all[all.len() * 99 / 100],
    )
}

/// Scripts Redis ran so far (`INFO commandstats`: `EVALSHA` and `EVAL`
/// calls; the commands a script runs inside count there too, so they are
/// left out).
fn redis_scripts(url: &str) -> u64 {
    let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut c)
        .unwrap();
    info.lines()
        .filter(|l| l.starts_with("cmdstat_evalsha:") || l.starts_with("cmdstat_eval:"))
        .filter_map(|l| {
            l.split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

fn main() {
    let secs: u64 = std::env::var("SERVE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-redis-bench");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let mut own = None;
    let url = match std::env::var("REDIS_URL") {
        Ok(u) => u,
        Err(_) => {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            own = Some(
                std::process::Command::new("redis-server")
                    .args([
                        "--port",
                        &port.to_string(),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                    ])
                    .args(["--appendonly", "yes", "--appendfsync", "everysec"])
                    .arg("--dir")
                    .arg(&tmp)
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .expect("redis-server (apt-get install -y redis-server)"),
            );
            std::thread::sleep(Duration::from_millis(300));
            format!("redis://127.0.0.1:{port}/0")
        }
    };
    let c = compile(stdlib::inputs());
    assert!(!c.has_errors());
    let signer = SigningKey::from_bytes(&[7u8; 32]);
    let stdlib_bundle = build_bundle(&c, &signer).unwrap();
    // A policy that reads no history: its decisions need no round trip.
    let c = compile(vec![permit0_compiler::Input::from_text(
        "flat.p0",
        "policy bench.flat\nwhen payments.refund amount > 100_000 then escalate \"large\"\nwhen payments.refund then allow \"ok\"\n",
    )]);
    assert!(!c.has_errors());
    let flat_bundle = build_bundle(&c, &signer).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "{:<8} {:<16} {:>5}  {:>11}  {:>9}  {:>9}  {:>14}  {:>12}",
        "store",
        "policy/request",
        "conns",
        "decisions/s",
        "p50",
        "p99",
        "trips/decision",
        "scripts/d"
    );
    for (store, policy) in [("sqlite", "stdlib"), ("redis", "stdlib"), ("redis", "flat")] {
        let bundle = if policy == "flat" {
            &flat_bundle
        } else {
            &stdlib_bundle
        };
        let data = tmp.join(format!("{store}-{policy}"));
        let cfg = StoreConfig {
            url: (store == "redis").then(|| url.clone()),
            prefix: format!("bench-{}", std::process::id()),
        };
        let state = permit0_server::state::open(&cfg, &data, Default::default()).unwrap();
        let key = state.add_key(Role::Agent, "bench", "load", 0).unwrap().0;
        drop(state);
        rt.block_on(async {
            let server = permit0_server::start(Options {
                listen: "127.0.0.1:0".parse().unwrap(),
                data: data.clone(),
                bundle: bundle.clone(),
                trusted: vec![permit0_vm::keys::encode_public_key(&signer.verifying_key())],
                tenants: HashMap::new(),
                audit: None,
                token_key: None,
                public_url: None,
                limits: Limits::default(),
                webhooks: Vec::new(),
                max_skew: Some(Duration::from_secs(300)),
                reviewer: None,
                store: cfg.clone(),
            })
            .await
            .unwrap();
            let base = format!("http://{}", server.addr);
            let kinds: &[&str] = if policy == "flat" {
                &["canonical"]
            } else {
                &["canonical", "bash", "call"]
            };
            for &kind in kinds {
                run(&base, &key, kind, 4, 1).await; // warm up
                let trips = server.app.db.round_trips();
                let calls = (store == "redis").then(|| redis_scripts(&url));
                let (n, p50, p99) = run(&base, &key, kind, 16, secs).await;
                // Let the decisions' history (batched) be written.
                tokio::time::sleep(Duration::from_millis(200)).await;
                let trips = (server.app.db.round_trips() - trips) as f64 / n as f64;
                let cmds = calls
                    .map(|c| format!("{:.2}", (redis_scripts(&url) - c) as f64 / n as f64))
                    .unwrap_or_else(|| "-".into());
                println!(
                    "{store:<8} {:<16} {:>5}  {:>11.0}  {:>7.0}µs  {:>7.0}µs  {trips:>14.2}  {cmds:>12}",
                    format!("{policy}/{kind}"),
                    16,
                    n as f64 / secs as f64,
                    p50.as_secs_f64() * 1e6,
                    p99.as_secs_f64() * 1e6,
                );
            }
            server.shutdown().await.unwrap();
        });
    }
    if let Some(mut c) = own {
        let _ = c.kill();
        let _ = c.wait();
    }
}

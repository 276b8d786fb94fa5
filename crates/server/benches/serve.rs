//! The decision service under load, over loopback: decisions per second
//! and p50/p99 latency at 1, 16 and 64 connections, for a canonical
//! request and a raw Bash call, against the stdlib bundle with sessions in
//! SQLite. The load generator (bare hyper HTTP/1.1 connections on a runtime
//! of its own) runs on the same cores as the server, so the figures are a
//! floor. The last
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

use bytes::Bytes;
use ed25519_dalek::SigningKey;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use permit0_compiler::{build_bundle, compile, stdlib};
use permit0_server::db::{Db, Role};
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
        _ => json!({"tool": "Bash", "args": {"command": "cargo test -p permit0-vm"},
            "session": {"id": session}}),
    }
}

/// One connection's loop: bare HTTP/1.1 (hyper's client connection, no
/// pool), a body serialized once per session, until the deadline. Returns
/// each request's latency and how many answers were allows.
async fn connection(
    addr: std::net::SocketAddr,
    key: String,
    kind: String,
    c: usize,
    deadline: Instant,
) -> (Vec<Duration>, u64) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let auth = format!("Bearer {key}");
    let mut lat = Vec::new();
    let mut allowed = 0u64;
    let mut n = 0u64;
    let mut body = Bytes::new();
    while Instant::now() < deadline {
        // Sessions of 100 requests each.
        if n.is_multiple_of(100) {
            body = serde_json::to_vec(&request(&kind, &format!("{kind}-{c}-{}", n / 100)))
                .unwrap()
                .into();
        }
        let req = hyper::Request::post("/v1/decide")
            .header("host", "127.0.0.1")
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))
            .unwrap();
        let t = Instant::now();
        send.ready().await.unwrap();
        let r = send.send_request(req).await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        let answer = r.into_body().collect().await.unwrap().to_bytes();
        lat.push(t.elapsed());
        if answer.windows(18).any(|w| w == b"\"decision\":\"allow\"") {
            allowed += 1;
        }
        n += 1;
    }
    (lat, allowed)
}

/// `conns` connections at once on the load generator's own runtime (its
/// own threads, as a separate client process would have): decisions per
/// second, p50, p99 and the share of allows.
fn run(
    load: &tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
    key: &str,
    kind: &str,
    conns: usize,
    secs: u64,
) -> (f64, Duration, Duration, f64) {
    load.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let tasks: Vec<_> = (0..conns)
            .map(|c| {
                tokio::spawn(connection(
                    addr,
                    key.to_string(),
                    kind.to_string(),
                    c,
                    deadline,
                ))
            })
            .collect();
        let mut all = Vec::new();
        let mut allowed = 0;
        for t in tasks {
            let (lat, a) = t.await.unwrap();
            all.extend(lat);
            allowed += a;
        }
        all.sort_unstable();
        let rate = all.len() as f64 / secs as f64;
        (
            rate,
            all[all.len() / 2],
            all[all.len() * 99 / 100],
            allowed as f64 / all.len() as f64,
        )
    })
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
    // The runtime `permit0 serve` runs on; the load generator has its own
    // (`SERVE_BENCH_LOAD_THREADS`, default 1), as a client process would.
    let rt = permit0_server::runtime().unwrap();
    let threads: usize = std::env::var("SERVE_BENCH_LOAD_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("load")
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(permit0_server::start(Options {
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
        }))
        .unwrap();
    println!(
        "{:<10} {:>5}  {:>10}  {:>9}  {:>9}  {:>6}  {:>10}",
        "request", "conns", "decisions/s", "p50", "p99", "allow", "obs/commit"
    );
    let only = std::env::var("SERVE_BENCH_ONLY").unwrap_or_default();
    let only = only.split_once(':');
    for kind in ["canonical", "bash"] {
        if only.is_some_and(|(k, _)| k != kind) {
            continue;
        }
        run(&load, server.addr, &key, kind, 4, 1); // warm up
        for conns in [1, 16, 64] {
            if only.is_some_and(|(_, c)| c != conns.to_string()) {
                continue;
            }
            let (g0, o0) = server.app.db.group_commits();
            let (rate, p50, p99, allowed) = run(&load, server.addr, &key, kind, conns, secs);
            let (g1, o1) = server.app.db.group_commits();
            // Session observations per group commit.
            let per = (o1 - o0) as f64 / (g1 - g0).max(1) as f64;
            println!(
                "{kind:<10} {conns:>5}  {rate:>10.0}  {:>7.0}µs  {:>7.0}µs  {:>5.0}%  {per:>10.2}",
                p50.as_secs_f64() * 1e6,
                p99.as_secs_f64() * 1e6,
                allowed * 100.0
            );
        }
    }
    rt.block_on(server.shutdown()).unwrap();
}

//! The front door end to end: `Authorizer::decide` (bind, place in time,
//! read and record the session, decide, build the outcome) and
//! `decide_bytes` from JSON text, on the stdlib with a mix of canonical
//! requests and raw tool calls — and its throughput from one thread against
//! two threads deciding different sessions (the store's shards should let
//! two threads do nearly twice the work of one on two cores).
//!
//! Run with `cargo bench --bench authorizer`. Prints medians over passes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ed25519_dalek::SigningKey;
use permit0::Authorizer;
use permit0_compiler::{build_bundle, compile, stdlib};
use serde_json::{json, Value};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

fn authorizer() -> Authorizer {
    let c = compile(stdlib::inputs());
    assert!(!c.has_errors());
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let bundle = build_bundle(&c, &key).unwrap();
    let public = permit0_vm::keys::encode_public_key(&key.verifying_key());
    Authorizer::new(&bundle, &[public.as_str()])
        .unwrap()
        .with_max_skew(None)
}

/// Requests of one session, `s`.
fn requests(s: &str) -> Vec<Value> {
    vec![
        json!({"action": "payments.refund",
               "args": {"amount": 900, "currency": "usd", "charge_id": "ch_1"},
               "session": {"id": s}}),
        json!({"action": "email.send",
               "args": {"to": ["ann@acme.com"], "subject": "notes", "body": "see you at 3"},
               "context": {"org_domain": "acme.com"}, "session": {"id": s}}),
        json!({"tool": "Bash", "args": {"command": "cargo test -p permit0-vm"},
               "session": {"id": s}}),
        json!({"tool": "Read", "args": {"file_path": "/home/dev/project/README.md"},
               "context": {"workspace": "/home/dev/project"}, "session": {"id": s}}),
        json!({"action": "payments.transfer",
               "args": {"amount": 120_000, "currency": "usd", "payee": "vendor-1"},
               "session": {"id": s}}),
    ]
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// ns per decision over `passes` passes of `reqs`, median.
fn per_decision(auth: &Authorizer, reqs: &[Value], passes: usize) -> f64 {
    let mut t = Vec::with_capacity(passes);
    for _ in 0..passes {
        let start = Instant::now();
        for r in reqs {
            black_box(auth.decide(black_box(r)));
        }
        t.push(start.elapsed().as_nanos() as f64 / reqs.len() as f64);
    }
    median(&mut t)
}

fn main() {
    let auth = Arc::new(authorizer());
    // Many sessions, so no session's history grows past the store's bound.
    let sessions: Vec<Vec<Value>> = (0..64).map(|i| requests(&format!("s{i}"))).collect();
    let all: Vec<Value> = sessions.iter().flatten().cloned().collect();
    for _ in 0..3 {
        per_decision(&auth, &all, 1);
    }
    let one = per_decision(&auth, &all, 30);
    let texts: Vec<String> = all.iter().map(Value::to_string).collect();
    let mut t = Vec::new();
    for _ in 0..30 {
        let start = Instant::now();
        for r in &texts {
            black_box(auth.decide_bytes(black_box(r.as_bytes())));
        }
        t.push(start.elapsed().as_nanos() as f64 / texts.len() as f64);
    }
    let bytes = median(&mut t);
    println!("Authorizer::decide        median {one:>8.0} ns per decision");
    println!("Authorizer::decide_bytes  median {bytes:>8.0} ns per decision");

    // Throughput: one thread doing 2N decisions against two threads doing N
    // each, on disjoint sessions.
    let half = all.len() / 2;
    let (left, right) = all.split_at(half);
    let rounds = 40;
    let mut ratios = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..rounds {
            for r in left.iter().chain(right) {
                black_box(auth.decide(r));
            }
        }
        let single = start.elapsed().as_secs_f64();
        let start = Instant::now();
        std::thread::scope(|s| {
            for part in [left, right] {
                let auth = Arc::clone(&auth);
                s.spawn(move || {
                    for _ in 0..rounds {
                        for r in part {
                            black_box(auth.decide(r));
                        }
                    }
                });
            }
        });
        let double = start.elapsed().as_secs_f64();
        ratios.push(single / double);
    }
    let ratio = median(&mut ratios);
    println!("2 threads / 1 thread      median {ratio:>8.2}x the throughput (different sessions)");
}

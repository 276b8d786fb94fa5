//! What sessions add to a decision: reading the aggregates from the
//! session's history (`session::observe` without recording) and reading
//! and recording in one step, against `decide` alone, for the stdlib's attack-chain rules and a session already holding
//! 10, 100 or 500 earlier actions. Run with `cargo bench --bench sessions`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use permit0_compiler::{build_program, compile, stdlib};
use permit0_session::{self as session, MemoryStore};
use permit0_session::{Clock, SessionLimits};
use permit0_vm::Program;
use serde_json::json;
use std::hint::black_box;

fn program() -> Program {
    let c = compile(stdlib::inputs());
    assert!(!c.has_errors());
    build_program(&c).unwrap()
}

fn transfer(i: usize) -> serde_json::Value {
    json!({"action": "payments.transfer",
           "args": {"amount": 10_000 + i as i64, "currency": "usd", "payee": format!("vendor-{}", i % 7)},
           "context": {"time": format!("2026-11-22T10:{:02}:{:02}Z", (i / 60) % 60, i % 60)},
           "session": {"id": "bench"}})
}

fn sessions(c: &mut Criterion) {
    let p = program();
    let mut g = c.benchmark_group("sessions");
    for history in [10usize, 100, 500] {
        let s = MemoryStore::new(SessionLimits {
            max_entries: history,
            ..SessionLimits::default()
        });
        for i in 0..history {
            let mut r = p.bind(&transfer(i)).unwrap();
            session::observe(&p, &s, &mut r, Clock::unchecked(), true).unwrap();
        }
        let mut req = p.bind(&transfer(history)).unwrap();
        g.bench_with_input(
            BenchmarkId::new("decide_only", history),
            &history,
            |b, _| b.iter(|| black_box(p.decide(black_box(&req)))),
        );
        g.bench_with_input(
            BenchmarkId::new("fill_and_decide", history),
            &history,
            |b, _| {
                b.iter(|| {
                    let _ = session::observe(&p, &s, &mut req, Clock::unchecked(), false);
                    black_box(p.decide(&req))
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new("fill_record_and_decide", history),
            &history,
            |b, _| {
                b.iter(|| {
                    let _ = session::observe(&p, &s, &mut req, Clock::unchecked(), true);
                    black_box(p.decide(&req))
                })
            },
        );
    }
    g.finish();
    // Two scopes: a debt collection call reads its session and its debt
    // account's calls across the tenant (Reg F's seven in seven days), the
    // account already called `history` times from other sessions.
    let mut g = c.benchmark_group("scopes");
    for history in [10usize, 100] {
        let s = MemoryStore::new(SessionLimits {
            max_entries: history,
            ..SessionLimits::default()
        });
        for i in 0..history {
            let mut r = p.bind(&call(i)).unwrap();
            session::observe(&p, &s, &mut r, Clock::unchecked(), true).unwrap();
        }
        let mut req = p.bind(&call(history)).unwrap();
        g.bench_with_input(
            BenchmarkId::new("call_fill_and_decide", history),
            &history,
            |b, _| {
                b.iter(|| {
                    let _ = session::observe(&p, &s, &mut req, Clock::unchecked(), false);
                    black_box(p.decide(&req))
                })
            },
        );
    }
    g.finish();
}

fn call(i: usize) -> serde_json::Value {
    json!({"action": "collections.call_debtor",
           "args": {"account_id": "acct-1", "phone": "+15550100", "line_kind": "mobile",
                    "consumer_local_hour": 10, "autodialed": false},
           "actor": {"id": format!("dialer-{}", i % 3)},
           "context": {"tenant": "acme", "time": format!("2026-11-22T10:{:02}:{:02}Z", (i / 60) % 60, i % 60)},
           "session": {"id": format!("s-{}", i % 5)}})
}

criterion_group!(benches, sessions);
criterion_main!(benches);

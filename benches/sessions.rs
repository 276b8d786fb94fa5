//! What sessions add to a decision: `Sessions::fill` (read the aggregates
//! from the session's history) and `Sessions::record`, against `decide`
//! alone, for the stdlib's attack-chain rules and a session already holding
//! 10, 100 or 500 earlier actions. Run with `cargo bench --bench sessions`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use permit0_compiler::{build_program, compile, stdlib};
use permit0_vm::{Clock, Program, SessionLimits, Sessions};
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
        let mut s = Sessions::new(SessionLimits {
            max_entries: history,
            ..SessionLimits::default()
        });
        for i in 0..history {
            let r = p.bind(&transfer(i)).unwrap();
            s.record(&p, &r, Clock::unchecked());
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
                    let _ = s.fill(&p, &mut req, Clock::unchecked());
                    black_box(p.decide(&req))
                })
            },
        );
        g.bench_with_input(BenchmarkId::new("record", history), &history, |b, _| {
            b.iter(|| s.record(&p, black_box(&req), Clock::unchecked()))
        });
    }
    g.finish();
}

criterion_group!(benches, sessions);
criterion_main!(benches);

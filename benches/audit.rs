//! What logging costs a decision: building a decision record (canonical
//! request and its digest), hashing it into the chain, and signing — every
//! record, or a checkpoint every N records — into a sink that discards, and
//! into a real file (fsync at every checkpoint). Also issuing and redeeming
//! a capability token. Run with `cargo bench --bench audit`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ed25519_dalek::SigningKey;
use permit0_audit::token::{issue, verify_token, Basis, Claims, SpentNonces};
use permit0_audit::{AuditLog, Config, DecisionEntry, FileSink, Sink, Tail};
use permit0_compiler::{build_program, compile, Input};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Keeps nothing: measures the log's own work.
struct NullSink(u64);

impl Sink for NullSink {
    fn resume(&mut self) -> std::io::Result<Tail> {
        Ok(Tail::default())
    }
    fn append(&mut self, line: &str) -> std::io::Result<()> {
        self.0 += line.len() as u64;
        Ok(())
    }
    fn sync(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct NoSpent;

impl SpentNonces for NoSpent {
    fn spend(&mut self, _: &str, _: i64) -> Result<bool, String> {
        Ok(true)
    }
}

fn cfg(sign_every_record: bool, every: u64) -> Config {
    Config {
        sign_every_record,
        checkpoint_every: every,
        checkpoint_interval_ms: 0,
        ..Config::default()
    }
}

fn benches(c: &mut Criterion) {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/refunds.p0"))
        .unwrap();
    let comp = compile(vec![Input::from_text("refunds.p0", &src)]);
    let program = build_program(&comp).unwrap();
    let request = serde_json::json!({"action": "payments.refund",
        "args": {"amount": 300, "currency": "usd", "charge_id": "ch_3O9k"},
        "actor": {"id": "support_agent_v2", "role": "support", "verified": true},
        "context": {"env": "prod", "tenant": "acme", "org_domain": "acme.com", "time": "2026-11-22T10:00:00Z"},
        "session": {"id": "s-1"}});
    let req = program.bind(&request).unwrap();
    let d = program.decide(&req);
    let key = SigningKey::from_bytes(&[7; 32]);

    let mut g = c.benchmark_group("audit");
    g.throughput(Throughput::Elements(1));
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    g.bench_function("decide", |b| {
        b.iter(|| black_box(program.decide(black_box(&req))))
    });
    g.bench_function("entry (canonical request + digest)", |b| {
        b.iter(|| black_box(DecisionEntry::new(&program, &req, &d, None)))
    });
    let entry = DecisionEntry::new(&program, &req, &d, None);

    for (name, sign, every) in [
        ("append/sign every record", true, 0),
        ("append/checkpoint every 16", false, 16),
        ("append/checkpoint every 64", false, 64),
        ("append/checkpoint every 1024", false, 1024),
    ] {
        let mut log = AuditLog::open(NullSink(0), key.clone(), cfg(sign, every)).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| black_box(log.append_decision(black_box(&entry)).unwrap()))
        });
    }

    // A real file, fsync at every checkpoint; a fresh file per sample.
    let dir = std::env::temp_dir().join(format!("permit0-bench-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, every) in [
        ("file/checkpoint every 64", 64),
        ("file/checkpoint every 1024", 1024),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let path = dir.join("bench.log");
                let _ = std::fs::remove_file(&path);
                let mut log = AuditLog::open(
                    FileSink::open(&path).unwrap(),
                    key.clone(),
                    cfg(false, every),
                )
                .unwrap();
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(log.append_decision(&entry).unwrap());
                }
                let t = start.elapsed();
                drop(log);
                let _ = std::fs::remove_file(&path);
                t
            })
        });
    }
    let _ = std::fs::remove_dir_all(&dir);

    let trusted = [key.verifying_key()];
    g.bench_function("token/issue", |b| {
        b.iter(|| {
            let mut c =
                Claims::for_decision(&program, &req, &d, Basis::Allowed, 0, 60_000, [1; 16])
                    .unwrap();
            black_box(issue(&mut c, &key))
        })
    });
    let mut c =
        Claims::for_decision(&program, &req, &d, Basis::Allowed, 0, 60_000, [1; 16]).unwrap();
    let token = issue(&mut c, &key);
    g.bench_function("token/verify", |b| {
        b.iter(|| {
            black_box(verify_token(&token, &trusted, &program, &req, 1, &mut NoSpent).unwrap())
        })
    });
    g.finish();
}

criterion_group!(audit, benches);
criterion_main!(audit);

//! Decide, bind, compile and load on generated policy sets of 10 rules over
//! 5 actions, 200 over 50 and 2,000 over 150. Run with
//! `cargo bench --bench decide`; the sets are also written to
//! `target/workloads/` for `permit0 bench`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod workload;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ed25519_dalek::SigningKey;
use permit0_compiler::{build_bundle, build_program, compile, Input};
use permit0_vm::Program;
use std::hint::black_box;

fn compile_ok(src: &str) -> permit0_compiler::Compilation {
    let c = compile(vec![Input::from_text("bench.p0", src)]);
    assert!(!c.has_errors(), "{:?}", c.errors().next());
    c
}

fn benches(c: &mut Criterion) {
    workload::write_all(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/workloads"));
    for (name, rules, actions) in workload::SIZES {
        let w = workload::generate(*rules, *actions);
        let program = build_program(&compile_ok(&w.policy)).unwrap();
        let json: Vec<serde_json::Value> = w
            .requests
            .iter()
            .map(|r| serde_json::from_str(r).unwrap())
            .collect();
        let bound: Vec<_> = json.iter().map(|j| program.bind(j).unwrap()).collect();

        let mut g = c.benchmark_group(format!("decide/{name}"));
        g.throughput(Throughput::Elements(bound.len() as u64));
        g.bench_function(format!("{rules}_rules_{actions}_actions"), |b| {
            b.iter(|| {
                for r in &bound {
                    black_box(program.decide(black_box(r)));
                }
            })
        });
        g.finish();

        let mut g = c.benchmark_group(format!("bind/{name}"));
        g.throughput(Throughput::Elements(json.len() as u64));
        g.bench_function("json_to_request", |b| {
            b.iter(|| {
                for j in &json {
                    black_box(program.bind(black_box(j)).unwrap());
                }
            })
        });
        g.finish();
    }

    let (_, rules, actions) = workload::SIZES[2];
    let w = workload::generate(rules, actions);
    let mut g = c.benchmark_group("build/large");
    g.sample_size(10);
    g.bench_function("compile_2000_rules", |b| {
        b.iter(|| black_box(compile_ok(black_box(&w.policy))))
    });
    let key = SigningKey::from_bytes(&[7; 32]);
    let bytes = build_bundle(&compile_ok(&w.policy), &key).unwrap();
    let trusted = [key.verifying_key()];
    g.bench_function("load_and_verify_2000_rules", |b| {
        b.iter_batched(
            || bytes.clone(),
            |bytes| black_box(Program::load(&bytes, &trusted).unwrap()),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(decide, benches);
criterion_main!(decide);

//! Binding a request: from a parsed `serde_json::Value` (`Program::bind`),
//! straight from its text (`Program::bind_bytes`), from its text the slow
//! way (`parse_request` then `bind`), and `bind_bytes` followed by `decide`
//! — on the generated 200-rule set and on the standard library with the
//! example requests. Run with `cargo bench --bench bind`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[allow(dead_code, reason = "write_all is decide.rs's")]
mod workload;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use permit0_compiler::{build_program, compile, load_paths, Input};
use permit0_vm::{parse_request, Program};
use std::hint::black_box;

fn group(c: &mut Criterion, name: &str, program: &Program, texts: &[String]) {
    let json: Vec<serde_json::Value> = texts
        .iter()
        .map(|t| parse_request(t.as_bytes()).unwrap())
        .collect();
    let mut g = c.benchmark_group(format!("bind/{name}"));
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("from_value", |b| {
        b.iter(|| {
            for j in &json {
                let _ = black_box(program.bind(black_box(j)));
            }
        })
    });
    g.bench_function("bind_bytes", |b| {
        b.iter(|| {
            for t in texts {
                let _ = black_box(program.bind_bytes(black_box(t.as_bytes())));
            }
        })
    });
    g.bench_function("parse_request_then_bind", |b| {
        b.iter(|| {
            for t in texts {
                let j = parse_request(black_box(t.as_bytes())).unwrap();
                let _ = black_box(program.bind(&j));
            }
        })
    });
    g.bench_function("bind_bytes_and_decide", |b| {
        b.iter(|| {
            for t in texts {
                match program.bind_bytes(black_box(t.as_bytes())) {
                    Ok(r) => black_box(program.decide(&r)),
                    Err(e) => black_box(program.refuse(&e)),
                };
            }
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let (_, rules, actions) = workload::SIZES[1];
    let w = workload::generate(rules, actions);
    let generated = build_program(&compile(vec![Input::from_text("bench.p0", &w.policy)])).unwrap();
    group(c, "generated", &generated, &w.requests);

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let stdlib = build_program(&compile(load_paths(&[root.join("stdlib")]).unwrap())).unwrap();
    let examples: Vec<String> = include_str!("../examples/requests.jsonl")
        .lines()
        .map(String::from)
        .collect();
    group(c, "stdlib_examples", &stdlib, &examples);
}

criterion_group!(bind, benches);
criterion_main!(bind);

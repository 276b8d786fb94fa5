//! `permit0 check` without the I/O: the front end (lex, parse, resolve,
//! type-check, warnings) over a generated policy of 10,000 rules over 100
//! team actions, one of 2,000 rules over the same actions, and an empty file
//! (what loading the shipped taxonomy alone costs). Run with
//! `cargo bench --bench check`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use permit0_compiler::{compile, Input};
use std::fmt::Write as _;
use std::hint::black_box;

const ACTIONS: usize = 100;

/// `actions` team actions declared in the file itself, and `rules` distinct
/// rules spread over them, mixing the operators of the language.
fn generate(rules: usize, actions: usize) -> String {
    let mut s = String::with_capacity(rules * 90 + actions * 90);
    s.push_str("policy bench.generated \"generated for the check bench\"\n\n");
    for a in 0..actions {
        let _ = writeln!(
            s,
            "action bench.a{a} {{ amount: money, vendor: string, region: enum {{eu, us}} }}"
        );
    }
    s.push_str("\nlet blocked = {\"initech\", \"globex\", \"umbrella\"}\n\n");
    for i in 0..rules {
        let a = i % actions;
        let rule = match (i / actions) % 6 {
            0 => format!("when bench.a{a} amount > {i} and vendor == \"v{i}\" then escalate \"over {i}\""),
            1 => format!("when bench.a{a} region == eu and amount >= {i} then deny"),
            2 => format!("when bench.a{a} vendor in {{\"x{i}\", \"y{i}\"}} or vendor in blocked then deny"),
            3 => format!("when bench.a{a} not (amount < {i}) or vendor starts_with \"p{i}\" then escalate"),
            4 => format!("when bench.a{a} has actor.role and actor.role == \"r{i}\" and has context.env and context.env == prod then allow"),
            _ => format!(
                "when bench.a{a} | bench.a{} amount <= {i} and region != us then allow with ticket = \"t{i}\"",
                (a + 1) % actions
            ),
        };
        s.push_str(&rule);
        s.push('\n');
    }
    s
}

fn check(src: &str) -> usize {
    let c = compile(vec![Input::from_text("bench.p0", src)]);
    c.ir.rules.len()
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("check");
    g.sample_size(20);
    for rules in [2_000, 10_000] {
        let src = generate(rules, ACTIONS);
        let comp = compile(vec![Input::from_text("bench.p0", src.as_str())]);
        assert!(
            comp.diagnostics.is_empty(),
            "the generated policy must check cleanly: {:?}",
            comp.diagnostics.first().map(|d| (&d.code, &d.message))
        );
        assert_eq!(comp.ir.rules.len(), rules);
        g.throughput(Throughput::Elements(rules as u64));
        g.bench_function(format!("{rules}_rules_{ACTIONS}_actions"), |b| {
            b.iter(|| black_box(check(black_box(&src))))
        });
    }
    g.throughput(Throughput::Elements(1));
    g.bench_function("empty_file", |b| b.iter(|| black_box(check(black_box("")))));
    g.finish();
}

criterion_group!(check_benches, benches);
criterion_main!(check_benches);

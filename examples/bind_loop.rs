//! Binds every raw tool call of a file N times through the stdlib: a
//! steady loop for instruction counts under callgrind, which this shared
//! machine's timings are too noisy to compare small changes by. Run by
//! `benches/raw_calls/instructions.sh`; by hand:
//!
//!     N=100 cargo run --release --example bind_loop -- benches/raw_calls/bash.jsonl
#![allow(clippy::expect_used)]

use permit0_compiler::{build_program, compile, load_paths};
use std::path::PathBuf;

fn main() {
    let file = std::env::args()
        .nth(1)
        .expect("usage: bind_loop FILE.jsonl (N=rounds in the environment)");
    let rounds: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let stdlib = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/stdlib"));
    let program = build_program(&compile(load_paths(&[stdlib]).expect("the stdlib loads")))
        .expect("the stdlib builds");
    let text = std::fs::read_to_string(&file).expect("the file of calls reads");
    let calls: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("one JSON call a line"))
        .collect();
    let mut bound = 0usize;
    for _ in 0..rounds {
        for call in &calls {
            bound += usize::from(program.bind(std::hint::black_box(call)).is_ok());
        }
    }
    println!("{bound} binds of {} calls", calls.len());
}

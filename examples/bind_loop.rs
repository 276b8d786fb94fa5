//! Binds every raw tool call of a file N times through the stdlib: a
//! steady loop for instruction counts under callgrind, which this shared
//! machine's timings are too noisy to compare small changes by. Run by
//! `benches/raw_calls/instructions.sh`; by hand:
//!
//!     N=100 cargo run --release --example bind_loop -- benches/raw_calls/bash.jsonl
//!
//! `POLICY=path` binds through those policies instead of the stdlib (the
//! peers' workload, say); `MODE=bytes` binds from the text (`bind_bytes`),
//! `MODE=decide` binds each request once and counts `decide` alone;
//! `MODE=door` decides each text through the front door
//! (`Authorizer::decide_bytes`: bind, session, decide, the `Outcome`).
#![allow(clippy::expect_used)]

use permit0_compiler::{build_program, compile, load_paths};
use std::path::PathBuf;

// The `permit0` binary's allocator, so the counts are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let file = std::env::args()
        .nth(1)
        .expect("usage: bind_loop FILE.jsonl (N=rounds in the environment)");
    let rounds: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let policy = std::env::var_os("POLICY").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/stdlib")),
        PathBuf::from,
    );
    let build = || {
        build_program(&compile(
            load_paths(std::slice::from_ref(&policy)).expect("the policies load"),
        ))
        .expect("the policies build")
    };
    let program = build();
    let text = std::fs::read_to_string(&file).expect("the file of calls reads");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let calls: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("one JSON call a line"))
        .collect();
    let mode = std::env::var("MODE").unwrap_or_default();
    let mut done = 0usize;
    match mode.as_str() {
        "decide" => {
            let requests: Vec<_> = calls.iter().filter_map(|c| program.bind(c).ok()).collect();
            for _ in 0..rounds {
                for r in &requests {
                    std::hint::black_box(program.decide(std::hint::black_box(r)));
                    done += 1;
                }
            }
        }
        "door" => {
            let door = permit0::Authorizer::from_program(build(), Vec::new());
            for _ in 0..rounds {
                for l in &lines {
                    let o = door.decide_bytes(std::hint::black_box(l.as_bytes()));
                    done += usize::from(o.verdict != permit0::Verdict::Deny);
                }
            }
        }
        "bytes" => {
            for _ in 0..rounds {
                for l in &lines {
                    let r = program.bind_bytes(std::hint::black_box(l.as_bytes()));
                    done += usize::from(r.is_ok());
                }
            }
        }
        _ => {
            for _ in 0..rounds {
                for call in &calls {
                    done += usize::from(program.bind(std::hint::black_box(call)).is_ok());
                }
            }
        }
    }
    println!(
        "{done} of {} calls ({mode}) {}",
        calls.len(),
        std::mem::size_of::<permit0_vm::Request>()
    );
}

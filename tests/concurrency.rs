//! Many threads decide while another swaps bundles: every decision comes
//! from a whole, verified program — the old one or the new one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_vm::Engine;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

#[test]
fn decisions_stay_whole_while_bundles_swap() {
    let allow = bundle("when payments.refund then allow \"v1\"");
    let deny = bundle("when payments.refund then deny \"v2\"");
    let engine = Arc::new(Engine::load(&allow, vec![test_key().verifying_key()]).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let request = json!({"action": "payments.refund", "args": {"amount": 1, "currency": "usd", "charge_id": "c"}});

    let mut workers = Vec::new();
    for _ in 0..4 {
        let (engine, stop, seen, request) =
            (engine.clone(), stop.clone(), seen.clone(), request.clone());
        workers.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let program = engine.program();
                let req = program.bind(&request).unwrap();
                let d = program.decide(&req);
                let reason = program.reason(&d, Some(&req));
                match (d.verdict.name(), reason.as_str()) {
                    ("allow", "v1") => seen[0].fetch_add(1, Ordering::Relaxed),
                    ("deny", "v2") => seen[1].fetch_add(1, Ordering::Relaxed),
                    other => panic!("torn decision {other:?}"),
                };
            }
        }));
    }
    for i in 0..200 {
        let next = if i % 2 == 0 { &deny } else { &allow };
        engine.swap(next).unwrap();
        // A tampered bundle never replaces the good one.
        let mut bad = next.clone();
        let n = bad.len() / 2;
        bad[n] ^= 1;
        assert!(engine.swap(&bad).is_err());
        std::thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    assert!(seen[0].load(Ordering::Relaxed) > 0 && seen[1].load(Ordering::Relaxed) > 0);
}

#[test]
fn a_request_bound_to_an_old_program_is_not_decided_by_a_new_one() {
    let a = program("when payments.refund then allow");
    let b = program("when payments.refund then allow");
    let req = a.bind(&json!({"action": "payments.refund", "args": {"amount": 1, "currency": "usd", "charge_id": "c"}})).unwrap();
    let d = b.decide(&req);
    assert_eq!(d.verdict.name(), "escalate");
    assert_eq!(d.cause, permit0_vm::Cause::StaleRequest);
}

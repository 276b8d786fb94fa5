//! Helpers shared by the end-to-end tests: compile a policy text against the
//! shipped taxonomy, build a bundle with a fixed test key, decide a request.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ed25519_dalek::SigningKey;
use permit0_compiler::{build_bundle, build_program, compile, Compilation, Input};
use permit0_vm::Program;
use serde_json::Value;

pub fn compile_src(src: &str) -> Compilation {
    compile(vec![Input::from_text("policy.p0", src)])
}

pub fn compile_ok(src: &str) -> Compilation {
    let c = compile_src(src);
    let errors: Vec<String> = c
        .errors()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "policy has errors: {errors:#?}");
    c
}

pub fn program(src: &str) -> Program {
    build_program(&compile_ok(src)).expect("program builds")
}

pub fn test_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

pub fn other_key() -> SigningKey {
    SigningKey::from_bytes(&[9u8; 32])
}

pub fn bundle(src: &str) -> Vec<u8> {
    build_bundle(&compile_ok(src), &test_key()).expect("bundle builds")
}

/// Binds and decides; a request that cannot be bound is refused.
pub fn decide(p: &Program, request: Value) -> Value {
    match p.bind(&request) {
        Ok(r) => p.decision_json(&p.decide(&r), Some(&r)),
        Err(e) => p.refusal_json(&e, request.get("action").and_then(Value::as_str)),
    }
}

pub fn verdict(p: &Program, request: Value) -> String {
    decide(p, request)["decision"].as_str().unwrap().to_string()
}

/// The standard library as `stdlib/` holds it, compiled once per test
/// binary (the decisions the stories and corpora check).
pub fn stdlib() -> &'static (Compilation, Program) {
    static S: std::sync::OnceLock<(Compilation, Program)> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/stdlib"));
        let c = compile(permit0_compiler::load_paths(&[dir]).unwrap());
        let errors: Vec<String> = c
            .errors()
            .map(|d| format!("{} {}", d.code, d.message))
            .collect();
        assert!(errors.is_empty(), "stdlib has errors: {errors:#?}");
        let p = build_program(&c).expect("stdlib builds");
        (c, p)
    })
}

/// Allow < escalate < deny: how strict a verdict is, to say that one
/// decision is never looser than another.
pub fn strictness(verdict: &str) -> u8 {
    match verdict {
        "allow" => 0,
        "escalate" => 1,
        "deny" => 2,
        other => panic!("not a verdict: {other}"),
    }
}

/// The stdlib's verdict and reason for a request.
pub fn stdlib_verdict(req: &Value) -> (String, String) {
    let d = decide(&stdlib().1, req.clone());
    (
        d["decision"].as_str().unwrap_or("").to_string(),
        d["reason"].as_str().unwrap_or("").to_string(),
    )
}

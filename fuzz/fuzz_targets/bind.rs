//! Arbitrary JSON into the request binder and `decide`: every request is
//! bound or refused, and no decision panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use permit0_compiler::{build_program, compile, Input};
use std::sync::OnceLock;

fn program() -> &'static permit0_vm::Program {
    static P: OnceLock<permit0_vm::Program> = OnceLock::new();
    P.get_or_init(|| {
        let src = include_str!("../../examples/refunds.p0");
        let c = compile(vec![Input::from_text("refunds.p0", src)]);
        build_program(&c).unwrap_or_else(|_| std::process::abort())
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let p = program();
    match p.bind(&json) {
        Ok(req) => {
            let d = p.decide(&req);
            let e = p.explain(&req);
            assert_eq!(d, e.decision);
            let _ = p.decision_json(&d, Some(&req));
        }
        Err(err) => {
            let d = p.refuse(&err);
            assert_ne!(d.verdict, permit0_vm::risk::Verdict::Allow);
        }
    }
});

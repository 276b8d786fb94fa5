//! Arbitrary bytes into `Program::bind_bytes`, the streaming binder, against
//! `Program::bind(&parse_request(bytes)?)`: the same request or the same
//! refusal, for the example policy and the standard library, and no
//! decision panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use permit0_compiler::{build_program, compile, load_paths, Input};
use permit0_vm::{parse_request, Program};
use std::sync::OnceLock;

fn programs() -> &'static [Program; 2] {
    static P: OnceLock<[Program; 2]> = OnceLock::new();
    P.get_or_init(|| {
        let src = include_str!("../../examples/refunds.p0");
        let refunds = compile(vec![Input::from_text("refunds.p0", src)]);
        let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../stdlib"));
        let std = compile(load_paths(&[dir]).unwrap_or_else(|_| std::process::abort()));
        [
            build_program(&refunds).unwrap_or_else(|_| std::process::abort()),
            build_program(&std).unwrap_or_else(|_| std::process::abort()),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    for p in programs() {
        let fast = p.bind_bytes(data);
        let slow = parse_request(data).and_then(|j| p.bind(&j));
        assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
        match fast {
            Ok(req) => {
                let d = p.decide(&req);
                assert_eq!(Ok(d), slow.map(|s| p.decide(&s)));
            }
            Err(err) => {
                assert_ne!(p.refuse(&err).verdict, permit0_vm::risk::Verdict::Allow);
            }
        }
    }
});

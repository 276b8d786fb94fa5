//! Arbitrary bytes into the strict request reader: every input is read or
//! refused (a duplicate key, bad UTF-8, too deep, too large, not JSON), and
//! nothing panics or overflows the stack. What it reads, serde_json reads the
//! same way.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = permit0_vm::parse_request(data) {
        let loose: serde_json::Value =
            serde_json::from_slice(data).unwrap_or_else(|_| std::process::abort());
        if loose != v {
            std::process::abort();
        }
    }
});

//! Arbitrary bytes into the shell classifier and the path classifier: no
//! input panics, and every analysis answers each question the builtins ask.
#![no_main]

use libfuzzer_sys::fuzz_target;
use permit0_classify::{paths, shell};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let a = shell::analyze_in(&s, Some("/work/proj"));
    let _ = a.kind().name();
    let _ = a.writes_outside(Some("/work/proj"));
    let _ = a.writes_sensitive(Some("/work/proj"));
    let _ = a.sensitive_read(Some("/work/proj"));
    let _ = paths::sensitive(&s);
    let _ = paths::contains_sensitive(&s, Some("/work/proj"));
    let _ = paths::outside(&s, Some("/work/proj"));
});

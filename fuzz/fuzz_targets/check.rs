//! Bytes in, diagnostics out: arbitrary input goes through
//! `Input::from_bytes` and the whole front end (lexer, parser, resolve,
//! type checker). A panic, a stack overflow or an internal error (P0900) is
//! a bug; every diagnostic must point inside its file.
//!
//! Run with `cargo +nightly fuzz run check` from the repository root; seed
//! the corpus with `tests/corpus/**/*.p0` for a fast start:
//! `cargo +nightly fuzz run check fuzz/corpus/check tests/corpus/ok tests/corpus/typeck tests/corpus/parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use permit0_compiler::{compile, Input};

fuzz_target!(|data: &[u8]| {
    let input = Input::from_bytes("fuzz.p0", None, data.to_vec());
    let invalid_utf8 = input.invalid_utf8_at.is_some();
    let comp = compile(vec![input]);
    for d in &comp.diagnostics {
        assert_ne!(d.code, "P0900", "internal error: {}", d.message);
        // A diagnostic about the program as a whole has no place to point.
        let Some(span) = d.span else { continue };
        let text = comp
            .sources
            .get(span.file)
            .map(|f| f.text.as_str())
            .unwrap_or("");
        assert!(span.start <= span.end, "{}: reversed span", d.code);
        assert!(
            (span.end as usize) <= text.len(),
            "{}: span past the end of its file",
            d.code
        );
        assert!(
            text.is_char_boundary(span.start as usize),
            "{}: span starts inside a character",
            d.code
        );
    }
    if invalid_utf8 {
        assert!(comp.diagnostics.iter().any(|d| d.code == "P0100"));
    }
});

//! The time from a one-character edit of a 2,000-line policy to its
//! diagnostics: apply the change, rebuild the line index, compile the
//! document with the taxonomy, convert the diagnostics. Run with
//! `cargo bench -p permit0-lsp --bench diagnostics`; the target is 20 ms.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};
use permit0_lsp::analysis::Analysis;
use permit0_lsp::documents::{Document, Documents};
use permit0_lsp::taxonomy_files::TaxonomyFiles;
use std::time::{Duration, Instant};

fn policy(lines: usize) -> String {
    let mut s = String::from(
        "policy bench.big \"a large policy\"\n\nlet trusted = {\"acme-payroll\", \"acme-tax\"}\n\n",
    );
    let mut i = 0;
    while s.lines().count() < lines {
        i += 1;
        let rule = match i % 6 {
            0 => format!("when payments.refund amount > {} then escalate \"refund {i}\"\n", 500 + i),
            1 => format!("when email.send recipient_scope == \"external\" and recipient_count > {i} then deny\n"),
            2 => format!("when payments.* (context.env ?? prod) == \"prod\" and (not has actor.role or actor.role == \"role{i}\") then deny\n"),
            3 => format!(
                "when payments.transfer payee not in trusted and session.sum(payments.transfer.amount, 24h) > {}\n  then deny \"cap {i}\"\n",
                250_000 + i
            ),
            4 => format!("when email.send body contains_any [\"password\", \"k{i}\"] then deny\n"),
            _ => format!("when * risk.score >= {} and (actor.team ?? \"\") == \"t{i}\" then escalate\n", i % 100),
        };
        s.push_str(&rule);
    }
    s
}

fn main() {
    let text = policy(2_000);
    let lines = text.lines().count();
    let uri: lsp_types::Uri = "untitled:bench.p0".parse().unwrap();
    let docs = Documents::default();
    let tax = TaxonomyFiles::new(
        Vec::new(),
        Some(std::env::temp_dir().join("permit0-lsp-bench-cache")),
    );
    let mut doc = Document::new(uri, 1, text);
    // Warm up (the taxonomy copy is written on the first analysis).
    let a = Analysis::new(&doc, &docs, &tax, 0);
    let n_diags = permit0_lsp::requests::diagnostics::diagnostics(&a).len();
    let mut times: Vec<Duration> = Vec::new();
    for round in 0..30u32 {
        // Change one digit in the middle of the file.
        let line = (lines / 2) as u32;
        let change = TextDocumentContentChangeEvent {
            range: Some(Range {
                start: Position { line, character: 0 },
                end: Position { line, character: 1 },
            }),
            range_length: None,
            text: "w".into(),
        };
        let start = Instant::now();
        doc.apply(change);
        doc.version += 1;
        let a = Analysis::new(&doc, &docs, &tax, 0);
        let d = permit0_lsp::requests::diagnostics::diagnostics(&a);
        times.push(start.elapsed());
        assert!(d.len() < 10_000 && round < 1000);
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "diagnostics after a one-character edit of a {lines}-line policy: median {:.2} ms, min {:.2} ms, max {:.2} ms ({n_diags} diagnostics)",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    );
}

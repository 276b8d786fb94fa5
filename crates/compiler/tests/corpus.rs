//! The corpus runner: every annotated `.p0` file under `tests/corpus/{parse,
//! typeck,ok}/` is compiled on its own against the shipped taxonomy, and its
//! diagnostics must equal its `# expect` headers exactly.
//!
//! Headers (anywhere in the file, one per line):
//!
//! ```text
//! # expect: error P0201 at 3:6        one diagnostic: severity, code, 1-based line:column of the primary span
//! # expect: warning P0401 at 5:1
//! # expect: ok                        no diagnostic at all (the only header allowed in `ok/`)
//! # expect-help: P0201 did you mean   a P0201 whose help contains the rest of the line
//! # expect-message: P0301 found       a P0301 whose message contains the rest of the line
//! # expect-label: P0301 at payments.refund.amount   a P0301 with a label on that field's declaration
//! # expect-label: P0206 at 2:5        … or on this position of the case file
//! # expect-label: P0211 at payments.refund          … or on that action's declaration
//! # known-bug: <one line>             the compiler does not meet the expectations yet
//! ```
//!
//! Beside each case, `NAME.stderr` holds its diagnostics rendered as JSON
//! (`code`, `severity`, `message`, `line`, `column`, `help`), so a change of
//! wording shows up as a diff. `BLESS=1 cargo test --test corpus` rewrites the
//! goldens (and the rendered examples of `docs/diagnostics.md`), never the
//! `# expect` headers.
//!
//! A `known-bug` case whose expectations fail is reported as an expected
//! failure and does not fail the run; one whose expectations pass fails it,
//! so the marker is removed when the compiler is fixed. Goldens are compared
//! for every case, known bugs included: they record what the compiler says
//! today.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use permit0_compiler::diag::{Diagnostic, Severity, CODES};
use permit0_compiler::span::{FileId, Span};
use permit0_compiler::{compile, load_paths, Compilation, Input, MAX_FILE_BYTES};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const SUITES: &[&str] = &["parse", "typeck", "ok"];

/// Codes no corpus case can produce: an internal error is a compiler bug.
const UNTESTABLE: &[&str] = &["P0900"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn blessing() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

// ---------- headers ----------

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Expect {
    severity: String,
    code: String,
    line: u32,
    column: u32,
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} at {}:{}",
            self.severity, self.code, self.line, self.column
        )
    }
}

#[derive(Debug)]
enum LabelTarget {
    /// A 1-based line and column in the case file.
    At(u32, u32),
    /// `domain.verb` (an action's declaration), `domain.verb.field` (a field's
    /// declaration), `namespace.field`, or a lone domain or namespace.
    Decl(String),
}

#[derive(Debug, Default)]
struct Headers {
    ok: bool,
    expects: Vec<Expect>,
    helps: Vec<(String, String)>,
    messages: Vec<(String, String)>,
    labels: Vec<(String, LabelTarget, String)>,
    known_bug: Option<String>,
    errors: Vec<String>,
}

fn parse_line_col(s: &str) -> Option<(u32, u32)> {
    let (l, c) = s.trim().split_once(':')?;
    Some((l.parse().ok()?, c.parse().ok()?))
}

fn parse_headers(text: &str) -> Headers {
    let mut h = Headers::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let rest = rest.trim_start();
        let Some((key, value)) = rest.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let mut bad = |why: &str| h.errors.push(format!("line {}: {why}: `{line}`", i + 1));
        match key {
            "expect" if value == "ok" => h.ok = true,
            "expect" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                match parts.as_slice() {
                    [sev @ ("error" | "warning"), code, "at", pos] => match parse_line_col(pos) {
                        Some((line, column)) => h.expects.push(Expect {
                            severity: (*sev).to_string(),
                            code: (*code).to_string(),
                            line,
                            column,
                        }),
                        None => bad("bad position"),
                    },
                    _ => bad("expected `# expect: error|warning P0xxx at L:C` or `# expect: ok`"),
                }
            }
            "expect-help" | "expect-message" => match value.split_once(' ') {
                Some((code, needle)) if !needle.trim().is_empty() => {
                    let entry = (code.to_string(), needle.trim().to_string());
                    if key == "expect-help" {
                        h.helps.push(entry);
                    } else {
                        h.messages.push(entry);
                    }
                }
                _ => bad("expected `P0xxx <text>`"),
            },
            "expect-label" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                match parts.as_slice() {
                    [code, "at", target] => {
                        let t = match parse_line_col(target) {
                            Some((l, c)) => LabelTarget::At(l, c),
                            None => LabelTarget::Decl((*target).to_string()),
                        };
                        h.labels.push(((*code).to_string(), t, value.to_string()));
                    }
                    _ => bad("expected `# expect-label: P0xxx at L:C|name`"),
                }
            }
            "known-bug" => h.known_bug = Some(value.to_string()),
            _ => {}
        }
    }
    h
}

// ---------- cases ----------

struct Case {
    /// `typeck/unknown_action.p0`
    name: String,
    suite: String,
    path: Option<PathBuf>,
    input: Input,
    headers: Headers,
}

fn corpus_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for suite in SUITES {
        let dir = root().join("tests/corpus").join(suite);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for f in files {
            if f.extension().is_none_or(|x| x != "p0") {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            let file_name = f.file_name().unwrap().to_string_lossy().into_owned();
            cases.push(Case {
                name: format!("{suite}/{file_name}"),
                suite: (*suite).to_string(),
                input: Input::from_text(format!("tests/corpus/{suite}/{file_name}"), text.clone()),
                headers: parse_headers(&text),
                path: Some(f),
            });
        }
    }
    cases
}

/// Cases a text file cannot hold: the runner writes the bytes itself.
fn generated_cases() -> Vec<Case> {
    // Each call gets its own folder: the tests of this file run in parallel.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("permit0-corpus-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A policy saved in Latin-1: the `é` of `café` is the single byte 0xE9.
    let latin1 = b"# The user saved the file in Latin-1 instead of UTF-8.\nwhen payments.refund customer == \"caf\xe9\" then deny\n";
    let path = dir.join("invalid_utf8.p0");
    std::fs::write(&path, latin1).unwrap();
    let mut inputs = load_paths(std::slice::from_ref(&path)).unwrap();
    let utf8 = Case {
        name: "parse/invalid_utf8.p0 (generated)".into(),
        suite: "parse".into(),
        path: None,
        input: inputs.remove(0),
        headers: parse_headers(
            "# expect: error P0100 at 2:38\n# expect-message: P0100 not valid UTF-8\n",
        ),
    };
    let _ = std::fs::remove_dir_all(&dir);
    // One byte over the limit: refused before it is decoded.
    let big = Case {
        name: "parse/too_large.p0 (generated)".into(),
        suite: "parse".into(),
        path: None,
        input: Input::from_bytes("too_large.p0", None, vec![b' '; MAX_FILE_BYTES + 1]),
        headers: parse_headers(
            "# expect: error P0100 at 1:1\n# expect-message: P0100 larger than\n",
        ),
    };
    vec![utf8, big]
}

fn golden_path(case: &Case) -> Option<PathBuf> {
    case.path.as_ref().map(|p| p.with_extension("stderr"))
}

// ---------- checking ----------

fn case_file(comp: &Compilation) -> FileId {
    comp.user_files.first().copied().unwrap_or_default()
}

/// `(0, 0)` for a diagnostic without a location.
fn line_col(comp: &Compilation, span: Option<Span>) -> (u32, u32) {
    span.and_then(|span| comp.sources.get(span.file).map(|f| (span, f)))
        .map(|(span, f)| {
            let lc = f.line_col(span.start);
            (lc.line, lc.column)
        })
        .unwrap_or((0, 0))
}

fn found(comp: &Compilation, d: &Diagnostic) -> Expect {
    let (line, column) = line_col(comp, d.span);
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut code = d.code.to_string();
    match d.file() {
        Some(f) if f == case_file(comp) => {}
        // Reported in another file (a taxonomy file): never expected.
        Some(f) => code = format!("{code} in {}", comp.sources.name(f)),
        None => code = format!("{code} without a location"),
    }
    Expect {
        severity: sev.into(),
        code,
        line,
        column,
    }
}

/// The diagnostics as the golden file holds them.
fn golden(comp: &Compilation) -> String {
    let items: Vec<serde_json::Value> = comp
        .diagnostics
        .iter()
        .map(|d| {
            let j = d.to_json(&comp.sources);
            let mut v = serde_json::json!({
                "code": j.code,
                "severity": j.severity,
                "message": j.message,
                "line": j.line,
                "column": j.column,
                "help": j.help,
            });
            if d.file() != Some(case_file(comp)) {
                v["file"] = serde_json::json!(j.file);
            }
            v
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&items).unwrap();
    s.push('\n');
    s
}

fn label_target_span(comp: &Compilation, target: &LabelTarget) -> Option<Span> {
    match target {
        LabelTarget::At(l, c) => {
            let id = case_file(comp);
            let off = comp.sources.get(id)?.offset_of(*l, *c)?;
            Some(Span {
                file: id,
                start: off,
                end: off,
            })
        }
        LabelTarget::Decl(name) => {
            let segs: Vec<&str> = name.split('.').collect();
            let schema = &comp.schema;
            match segs.as_slice() {
                [d, v] => {
                    if let Some(id) = schema.action_id(&format!("{d}.{v}")) {
                        return schema.action(id).map(|a| a.span);
                    }
                    let ns = schema.namespace(d)?;
                    ns.fields.iter().find(|f| f.name == *v).map(|f| f.span)
                }
                [d, v, f] => {
                    let id = schema.action_id(&format!("{d}.{v}"))?;
                    schema.action(id)?.field(f).map(|f| f.span)
                }
                [one] => match schema.domain(one) {
                    Some(d) => d.span,
                    None => schema.namespace(one).map(|n| n.span),
                },
                _ => None,
            }
        }
    }
}

/// What is wrong with the case's expectations, if anything.
fn check_expectations(case: &Case, comp: &Compilation) -> Vec<String> {
    let h = &case.headers;
    let mut problems: Vec<String> = h.errors.clone();
    let mut want: Vec<Expect> = h.expects.clone();
    let mut got: Vec<Expect> = comp.diagnostics.iter().map(|d| found(comp, d)).collect();
    want.sort();
    got.sort();

    if case.suite == "ok" && (!h.ok || !h.expects.is_empty()) {
        problems.push("a case in `ok/` has exactly the header `# expect: ok`".into());
    }
    if case.suite != "ok" && h.ok {
        problems.push("`# expect: ok` belongs in `ok/`".into());
    }
    if !h.ok && h.expects.is_empty() {
        problems.push("no `# expect:` header".into());
    }
    for w in &want {
        if let Some(i) = got.iter().position(|g| g == w) {
            got.remove(i);
        } else {
            problems.push(format!("missing: {w}"));
        }
    }
    for g in &got {
        let d = comp
            .diagnostics
            .iter()
            .find(|d| found(comp, d) == *g)
            .map(|d| d.message.clone())
            .unwrap_or_default();
        problems.push(format!("unexpected: {g}: {d}"));
    }
    for (code, needle) in &h.helps {
        let ok = comp.diagnostics.iter().any(|d| {
            d.code == code
                && d.help
                    .as_deref()
                    .is_some_and(|x| x.contains(needle.as_str()))
        });
        if !ok {
            problems.push(format!("no {code} whose help contains `{needle}`"));
        }
    }
    for (code, needle) in &h.messages {
        let ok = comp
            .diagnostics
            .iter()
            .any(|d| d.code == code && d.message.contains(needle.as_str()));
        if !ok {
            problems.push(format!("no {code} whose message contains `{needle}`"));
        }
    }
    for (code, target, text) in &h.labels {
        let Some(span) = label_target_span(comp, target) else {
            problems.push(format!(
                "expect-label `{text}`: no such declaration or position"
            ));
            continue;
        };
        let ok = comp.diagnostics.iter().any(|d| {
            d.code == code
                && d.labels
                    .iter()
                    .any(|l| l.span.file == span.file && l.span.start == span.start)
        });
        if !ok {
            let have: Vec<String> = comp
                .diagnostics
                .iter()
                .filter(|d| d.code == code)
                .flat_map(|d| d.labels.iter())
                .map(|l| {
                    let (line, col) = line_col(comp, Some(l.span));
                    format!("{}:{line}:{col}", comp.sources.name(l.span.file))
                })
                .collect();
            problems.push(format!(
                "no {code} labelled at `{}` (labels: {})",
                text.split(" at ").nth(1).unwrap_or(text),
                if have.is_empty() {
                    "none".to_string()
                } else {
                    have.join(", ")
                }
            ));
        }
    }
    problems
}

#[derive(Default)]
struct Report {
    failures: Vec<String>,
    expected_failures: Vec<String>,
    blessed: usize,
}

fn run_case(case: &Case, report: &mut Report) {
    let comp = compile(vec![case.input.clone()]);
    let problems = check_expectations(case, &comp);
    match (&case.headers.known_bug, problems.is_empty()) {
        (None, true) => {}
        (None, false) => {
            report
                .failures
                .push(format!("{}:\n    {}", case.name, problems.join("\n    ")))
        }
        (Some(bug), false) => report.expected_failures.push(format!(
            "{} (known bug: {bug}):\n    {}",
            case.name,
            problems.join("\n    ")
        )),
        (Some(bug), true) => report.failures.push(format!(
            "{}: marked `# known-bug: {bug}` but meets its expectations now; remove the marker",
            case.name
        )),
    }

    let Some(gpath) = golden_path(case) else {
        return;
    };
    let rendered = golden(&comp);
    let current = std::fs::read_to_string(&gpath).ok();
    if current.as_deref() == Some(rendered.as_str()) {
        return;
    }
    if blessing() {
        std::fs::write(&gpath, &rendered).unwrap();
        report.blessed += 1;
    } else if current.is_none() {
        report.failures.push(format!(
            "{}: no golden `{}`; run with BLESS=1",
            case.name,
            gpath.file_name().unwrap().to_string_lossy()
        ));
    } else {
        report.failures.push(format!(
            "{}: diagnostics differ from the golden (run with BLESS=1 to accept):\n{}",
            case.name,
            diff(current.as_deref().unwrap_or(""), &rendered)
        ));
    }
}

/// A small line diff: enough to show which message changed.
fn diff(old: &str, new: &str) -> String {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) => {
                // Resynchronise on the next line both sides share.
                if let Some(k) = new[j..].iter().position(|l| l == a) {
                    for l in &new[j..j + k] {
                        let _ = writeln!(out, "    + {l}");
                    }
                    j += k;
                } else if let Some(k) = old[i..].iter().position(|l| l == b) {
                    for l in &old[i..i + k] {
                        let _ = writeln!(out, "    - {l}");
                    }
                    i += k;
                } else {
                    let _ = writeln!(out, "    - {a}\n    + {b}");
                    i += 1;
                    j += 1;
                }
            }
            (Some(a), None) => {
                let _ = writeln!(out, "    - {a}");
                i += 1;
            }
            (None, Some(b)) => {
                let _ = writeln!(out, "    + {b}");
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// Goldens whose `.p0` is gone.
fn stale_goldens() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for suite in SUITES {
        let dir = root().join("tests/corpus").join(suite);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "stderr") && !p.with_extension("p0").exists() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn corpus() {
    let mut cases = corpus_cases();
    assert!(!cases.is_empty(), "no corpus under tests/corpus");
    cases.extend(generated_cases());
    let mut report = Report::default();
    for case in &cases {
        run_case(case, &mut report);
    }
    for stale in stale_goldens() {
        if blessing() {
            std::fs::remove_file(&stale).unwrap();
        } else {
            report.failures.push(format!(
                "{}: golden without a `.p0`; run with BLESS=1 to remove it",
                stale.display()
            ));
        }
    }

    // The tour's example is `examples/refunds.p0`; the corpus keeps a copy
    // with its header, and the two must not drift apart.
    let example = std::fs::read_to_string(root().join("examples/refunds.p0")).unwrap();
    let copy = std::fs::read_to_string(root().join("tests/corpus/ok/design_example.p0")).unwrap();
    if !copy.contains(&example) {
        report.failures.push(
            "ok/design_example.p0 no longer holds examples/refunds.p0 verbatim; copy it again"
                .into(),
        );
    }

    let total = cases.len();
    let known = report.expected_failures.len();
    if known > 0 {
        eprintln!("\n{known} expected failure(s), known compiler bugs:\n");
        for f in &report.expected_failures {
            eprintln!("  {f}");
        }
    }
    if report.blessed > 0 {
        eprintln!("\nblessed {} golden file(s)", report.blessed);
    }
    eprintln!(
        "\ncorpus: {total} cases, {} passed, {known} known bugs, {} failed",
        total - known - report.failures.len(),
        report.failures.len()
    );
    assert!(
        report.failures.is_empty(),
        "\n{} corpus failure(s):\n\n{}\n",
        report.failures.len(),
        report.failures.join("\n\n")
    );
}

// ---------- docs/diagnostics.md ----------

struct DocSection {
    code: String,
    example: Option<String>,
    rendered: Option<String>,
}

/// `## P0201 …` sections, each with an optional ```p0 example followed by the
/// ```text block that shows what the compiler says about it.
fn doc_sections(doc: &str) -> Vec<DocSection> {
    let mut out: Vec<DocSection> = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("## ") {
            let code: String = rest.chars().take(5).collect();
            out.push(DocSection {
                code,
                example: None,
                rendered: None,
            });
            continue;
        }
        let fence = match line.trim() {
            "```p0" => "p0",
            "```text" => "text",
            _ => continue,
        };
        let mut body = String::new();
        for l in lines.by_ref() {
            if l.trim() == "```" {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        if let Some(s) = out.last_mut() {
            if fence == "p0" && s.example.is_none() {
                s.example = Some(body);
            } else if fence == "text" && s.rendered.is_none() {
                s.rendered = Some(body);
            }
        }
    }
    out
}

/// The doc with the ```text block after each section's example replaced by
/// the compiler's answer (inserted when missing).
fn bless_doc(doc: &str, answers: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut code = String::new();
    let mut after_example = false;
    let mut lines = doc.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("## ") {
            code = rest.chars().take(5).collect();
            after_example = false;
        }
        let answer = answers
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, a)| a.as_str());
        match line.trim() {
            "```p0" => {
                out.push_str(line);
                out.push('\n');
                for l in lines.by_ref() {
                    out.push_str(l);
                    out.push('\n');
                    if l.trim() == "```" {
                        break;
                    }
                }
                after_example = true;
                // No answer block yet: add one.
                let next_is_text = loop {
                    match lines.peek() {
                        Some(l) if l.trim().is_empty() => {
                            out.push('\n');
                            lines.next();
                        }
                        Some(l) => break l.trim() == "```text",
                        None => break false,
                    }
                };
                if !next_is_text {
                    if let Some(a) = answer {
                        out.push_str("```text\n");
                        out.push_str(a);
                        out.push_str("```\n\n");
                    }
                    after_example = false;
                }
                continue;
            }
            "```text" if after_example => {
                out.push_str(line);
                out.push('\n');
                for l in lines.by_ref() {
                    if l.trim() == "```" {
                        break;
                    }
                }
                out.push_str(answer.unwrap_or(""));
                out.push_str("```\n");
                after_example = false;
                continue;
            }
            _ => {}
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// How the doc shows a compiler's answer: one line per diagnostic, its help
/// indented below.
fn render_plain(comp: &Compilation) -> String {
    let mut s = String::new();
    for d in &comp.diagnostics {
        let at = match d.span {
            Some(_) => {
                let (line, col) = line_col(comp, d.span);
                format!(" at {line}:{col}")
            }
            None => String::new(),
        };
        let _ = writeln!(s, "{}[{}]{at}: {}", d.severity.name(), d.code, d.message);
        if let Some(h) = &d.help {
            let _ = writeln!(s, "  help: {h}");
        }
    }
    s
}

fn codes_in(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut out = BTreeSet::new();
    for i in 0..bytes.len() {
        let word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if word_start
            && bytes[i] == b'P'
            && bytes.len() >= i + 5
            && bytes[i + 1..i + 5].iter().all(u8::is_ascii_digit)
            && bytes.get(i + 5).is_none_or(|b| !b.is_ascii_alphanumeric())
        {
            out.insert(text[i..i + 5].to_string());
        }
    }
    out
}

#[test]
fn every_code_is_documented_and_tested() {
    let doc_path = root().join("docs/diagnostics.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/diagnostics.md");
    let known: BTreeSet<String> = CODES.iter().map(|(c, _)| (*c).to_string()).collect();
    let mut problems = Vec::new();

    let sections = doc_sections(&doc);
    let sectioned: BTreeSet<String> = sections.iter().map(|s| s.code.clone()).collect();
    for (code, title) in CODES {
        if !sectioned.contains(*code) {
            problems.push(format!(
                "{code} ({title}) has no `## {code}` section in docs/diagnostics.md"
            ));
        }
        let row = doc
            .lines()
            .any(|l| l.starts_with('|') && l.contains(&format!("| {code} |")));
        if !row {
            problems.push(format!(
                "{code} has no row in the table of docs/diagnostics.md"
            ));
        }
    }
    for code in codes_in(&doc) {
        if !known.contains(&code) {
            problems.push(format!(
                "docs/diagnostics.md mentions {code}, which `diag::CODES` does not have"
            ));
        }
    }

    // Every code has a corpus case expecting it.
    let mut cases = corpus_cases();
    cases.extend(generated_cases());
    let expected: BTreeSet<String> = cases
        .iter()
        .flat_map(|c| c.headers.expects.iter().map(|e| e.code.clone()))
        .collect();
    for (code, title) in CODES {
        if !expected.contains(*code) && !UNTESTABLE.contains(code) {
            problems.push(format!("{code} ({title}) has no corpus case expecting it"));
        }
    }
    for code in &expected {
        if !known.contains(code) {
            problems.push(format!(
                "the corpus expects {code}, which `diag::CODES` does not have"
            ));
        }
    }

    // Each section's example produces its code, and the doc shows what the
    // compiler says about it.
    let mut answers: Vec<(String, String)> = Vec::new();
    for s in &sections {
        let Some(example) = &s.example else {
            continue;
        };
        let comp = compile(vec![Input::from_text("example.p0", example.clone())]);
        let rendered = render_plain(&comp);
        if !comp.diagnostics.iter().any(|d| d.code == s.code) {
            problems.push(format!(
                "the example of {} in docs/diagnostics.md does not produce {}; it gives:\n{rendered}",
                s.code, s.code
            ));
        }
        match &s.rendered {
            Some(r) if *r == rendered => {}
            _ if blessing() => {}
            Some(r) => problems.push(format!(
                "docs/diagnostics.md shows another answer for the example of {} (run with BLESS=1):\n{}",
                s.code,
                diff(r, &rendered)
            )),
            None => problems.push(format!(
                "the example of {} in docs/diagnostics.md has no ```text block for the answer",
                s.code
            )),
        }
        answers.push((s.code.clone(), rendered));
    }
    if blessing() {
        let blessed = bless_doc(&doc, &answers);
        if blessed != doc {
            std::fs::write(&doc_path, blessed).unwrap();
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

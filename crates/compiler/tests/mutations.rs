//! No input makes the compiler panic, hang or blow its stack.
//!
//! - thousands of random mutations of the valid corpus (`tests/corpus/ok/`)
//!   and of the taxonomy files: byte and token edits, inserted keywords and
//!   punctuation, truncation, astral and control characters. Each mutant is
//!   compiled; it must not panic, every diagnostic must point inside its file,
//!   and a mutant the compiler could not fully parse or check (an item the
//!   parser skipped, a rule, tool, test or action declaration that did not
//!   make it into the output) must carry at least one error;
//! - arbitrary bytes and token soup through `Input::from_bytes` (proptest);
//! - a 10 MB generated policy through the lexer and parser, and a 1 MB one
//!   through the whole front end (the whole front end on 10 MB takes too long
//!   in a debug build to sit in the normal suite);
//! - towers of 10,000 parentheses and of 10,000 `not`s, compiled on a thread
//!   with a 256 KiB stack inside a child process (a stack overflow aborts the
//!   process, so the parent can report it as a failure instead of dying).
//!
//! The mutation loop is seeded: `PERMIT0_MUTATION_SEED=<n>` replays a run and
//! `PERMIT0_MUTATIONS=<n>` changes how many mutants are tried. A failing
//! mutant is written under the target directory and its path printed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use permit0_compiler::ast::Item;
use permit0_compiler::lexer::MAX_NESTING;
use permit0_compiler::parser::parse;
use permit0_compiler::span::FileId;
use permit0_compiler::{compile, Compilation, Input};
use proptest::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

// ---------- seeds ----------

/// `(input name, text)`: the valid corpus, named for itself, and the
/// taxonomy, named `taxonomy/…` so a mutant replaces the shipped file and is
/// checked as the taxonomy.
type Named = Vec<(String, String)>;

fn seeds() -> (Named, Named) {
    let read_dir = |dir: PathBuf| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "p0"))
            .collect();
        v.sort();
        v
    };
    let policies = read_dir(root().join("tests/corpus/ok"))
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    let taxonomy = read_dir(root().join("taxonomy"))
        .into_iter()
        .map(|p| {
            let name = format!("taxonomy/{}", p.file_name().unwrap().to_string_lossy());
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    (policies, taxonomy)
}

// ---------- a small seeded generator ----------

/// splitmix64: deterministic, no dependency, good enough to pick edits.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn fragment(&mut self) -> &'static str {
        FRAGMENTS[self.below(FRAGMENTS.len())]
    }
}

/// Fragments worth inserting: every keyword and punctuation of the language,
/// the usual mistakes, literals at their limits and characters that trouble
/// column arithmetic.
const FRAGMENTS: &[&str] = &[
    "when ",
    "then ",
    "and ",
    "or ",
    "not ",
    "in ",
    "not in ",
    "contains ",
    "contains_any ",
    "contains_all ",
    "starts_with ",
    "ends_with ",
    "with ",
    "amplify ",
    "tool ",
    "test ",
    "action ",
    "domain ",
    "alias ",
    "namespace ",
    "risk ",
    "compliance ",
    "enum ",
    "policy ",
    "let ",
    "true",
    "false",
    "allow",
    "deny",
    "escalate",
    "==",
    "!=",
    "<=",
    ">=",
    "<",
    ">",
    "=",
    "->",
    "=>",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    ".",
    "*",
    "?",
    "+",
    "-",
    "|",
    "\"",
    "\\",
    "#",
    "\n",
    "\r\n",
    "\t",
    " ",
    "&&",
    "!",
    "'",
    ";",
    "≥",
    "0",
    "-1",
    "1_000",
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999",
    "24h",
    "0h",
    "24hr",
    "99999999999999w",
    "5.50",
    "\"\\u{1F600}\"",
    "\"\\u{110000}\"",
    "\"\\u{\"",
    "\"\\q\"",
    "\"unterminated",
    "🚀",
    "\u{10FFFF}",
    "\u{FEFF}",
    "\u{0}",
    "\u{301}",
    "\u{202E}",
    "é",
    "payments.refund",
    "payments.*",
    "email.send",
    "amount",
    "actor.role",
    "context.env",
    "risk.tier",
    "session.count(",
    "session.sum(payments.transfer.amount, 24h)",
    "len(",
    "prod",
    "high",
    "money",
    "string",
    "list<string>",
    "enum { a, b }",
];

fn char_boundary_at(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn random_range(rng: &mut Rng, s: &str, max_len: usize) -> (usize, usize) {
    let a = char_boundary_at(s, rng.below(s.len() + 1));
    let b = char_boundary_at(s, a + 1 + rng.below(max_len));
    (a, b.max(a))
}

/// Whitespace-separated words with their byte ranges: a cheap stand-in for
/// tokens that works on any text.
fn words(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(st)) => {
                out.push((st, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(st) = start {
        out.push((st, s.len()));
    }
    out
}

fn random_unicode(rng: &mut Rng) -> char {
    loop {
        let c = match rng.below(4) {
            0 => rng.below(0x80) as u32,
            1 => rng.below(0x800) as u32,
            2 => rng.below(0x1_0000) as u32,
            _ => 0x1_0000 + rng.below(0x10_0000) as u32,
        };
        if let Some(ch) = char::from_u32(c) {
            return ch;
        }
    }
}

/// One random edit of the text; the result is still a `String`.
fn mutate_once(rng: &mut Rng, s: &mut String) {
    if s.is_empty() {
        s.push_str(rng.fragment());
        return;
    }
    match rng.below(11) {
        // delete a short range
        0 => {
            let (a, b) = random_range(rng, s, 8);
            s.replace_range(a..b, "");
        }
        // insert a fragment
        1 | 2 => {
            let at = char_boundary_at(s, rng.below(s.len() + 1));
            s.insert_str(at, rng.fragment());
        }
        // insert a random character, astral plane included
        3 => {
            let at = char_boundary_at(s, rng.below(s.len() + 1));
            s.insert(at, random_unicode(rng));
        }
        // duplicate a range
        4 => {
            let (a, b) = random_range(rng, s, 40);
            let dup = s[a..b].to_string();
            s.insert_str(b, &dup);
        }
        // swap two ranges
        5 => {
            let (a, b) = random_range(rng, s, 12);
            let (c, d) = random_range(rng, s, 12);
            let (first, second) = if b <= c {
                ((a, b), (c, d))
            } else if d <= a {
                ((c, d), (a, b))
            } else {
                return;
            };
            let x = s[first.0..first.1].to_string();
            let y = s[second.0..second.1].to_string();
            s.replace_range(second.0..second.1, &x);
            s.replace_range(first.0..first.1, &y);
        }
        // truncate
        6 => {
            let at = char_boundary_at(s, rng.below(s.len() + 1));
            s.truncate(at);
        }
        // delete, duplicate or swap whole words
        7 | 8 => {
            let ws = words(s);
            if ws.len() < 2 {
                return;
            }
            let i = rng.below(ws.len());
            let (a, b) = ws[i];
            match rng.below(3) {
                0 => s.replace_range(a..b, ""),
                1 => {
                    let w = format!("{} ", &s[a..b]);
                    s.insert_str(a, &w);
                }
                _ => {
                    let j = rng.below(ws.len());
                    let (c, d) = ws[j];
                    if b <= c {
                        let x = s[a..b].to_string();
                        let y = s[c..d].to_string();
                        s.replace_range(c..d, &x);
                        s.replace_range(a..b, &y);
                    }
                }
            }
        }
        // replace a word with a fragment
        9 => {
            let ws = words(s);
            if ws.is_empty() {
                return;
            }
            let (a, b) = ws[rng.below(ws.len())];
            s.replace_range(a..b, rng.fragment().trim());
        }
        // flip one byte's case or digit, keeping the text valid
        _ => {
            let at = char_boundary_at(s, rng.below(s.len()));
            let c = s[at..].chars().next().unwrap_or('a');
            let repl: String = if c.is_ascii_lowercase() {
                c.to_ascii_uppercase().to_string()
            } else if c.is_ascii_digit() {
                char::from(b'0' + rng.below(10) as u8).to_string()
            } else {
                "x".to_string()
            };
            s.replace_range(at..at + c.len_utf8(), &repl);
        }
    }
}

fn mutant(rng: &mut Rng, seed: &str) -> String {
    let mut s = seed.to_string();
    let edits = 1 + rng.below(4);
    for _ in 0..edits {
        mutate_once(rng, &mut s);
    }
    s
}

// ---------- invariants ----------

/// Why the compilation is wrong for `file`, if it is.
fn check_file(comp: &Compilation, file: FileId) -> Option<String> {
    let source = comp.sources.get(file)?;
    let text = &source.text;
    let has_error = comp
        .diagnostics
        .iter()
        .any(|d| d.is_error() && d.file() == Some(file));

    // Every span points inside its file, on character boundaries.
    for d in comp.diagnostics.iter().filter(|d| d.file() == Some(file)) {
        let spans = d.span.into_iter().chain(d.labels.iter().map(|l| l.span));
        for sp in spans {
            let Some(f) = comp.sources.get(sp.file) else {
                return Some(format!("{} points into an unknown file", d.code));
            };
            let (a, b) = (sp.start as usize, sp.end as usize);
            // Known bug, see `invalid_utf8_span_ends_on_a_character_boundary`.
            let b_checked = if d.code == "P0100" { a } else { b };
            if a > b
                || b > f.text.len()
                || !f.text.is_char_boundary(a)
                || !f.text.is_char_boundary(b_checked)
            {
                return Some(format!(
                    "{} `{}` has span {a}..{b} outside `{}` ({} bytes) or inside a character",
                    d.code,
                    d.message,
                    f.name,
                    f.text.len()
                ));
            }
        }
        if d.message.is_empty() {
            return Some(format!("{} has an empty message", d.code));
        }
        if d.code == "P0900" {
            return Some(format!("internal error: {}", d.message));
        }
        let _ = d.to_json(&comp.sources);
    }
    if has_error {
        return None;
    }

    // No error: the file must have come through whole.
    let Some((_, ast, _)) = comp.asts.iter().find(|(id, _, _)| *id == file) else {
        return Some("no error, yet the file has no syntax tree".into());
    };
    let (_, parse_diags) = parse(file, text);
    if !parse_diags.is_empty() {
        return Some(format!(
            "the parser reports {} but compile has no error",
            parse_diags[0].code
        ));
    }
    let mut rules = 0;
    let mut tools = 0;
    let mut tests = 0;
    let mut steps = 0;
    let mut actions = 0;
    for item in &ast.items {
        match item {
            Item::Error(_) => {
                return Some("an item was skipped by the parser without an error".into())
            }
            Item::Rule(_) => rules += 1,
            Item::Tool(_) => tools += 1,
            Item::Test(t) => {
                tests += 1;
                steps += t.steps.len();
            }
            Item::Action(_) => actions += 1,
            _ => {}
        }
    }
    let ir = &comp.ir;
    let in_file = |sp: permit0_compiler::span::Span| sp.file == file;
    let ir_rules = ir.rules.iter().filter(|r| in_file(r.span)).count();
    let ir_tools = ir.tools.iter().filter(|t| in_file(t.span)).count();
    let ir_tests: Vec<_> = ir.tests.iter().filter(|t| in_file(t.span)).collect();
    let ir_steps: usize = ir_tests.iter().map(|t| t.steps.len()).sum();
    let schema_actions = comp
        .schema
        .actions
        .iter()
        .filter(|a| in_file(a.span))
        .count();
    let lost = [
        ("rule", rules, ir_rules),
        ("tool", tools, ir_tools),
        ("test", tests, ir_tests.len()),
        ("test step", steps, ir_steps),
        ("action declaration", actions, schema_actions),
    ];
    for (what, written, kept) in lost {
        if kept < written {
            return Some(format!(
                "{} of {written} {what}(s) dropped without an error",
                written - kept
            ));
        }
    }
    None
}

struct Failure {
    why: String,
    saved: PathBuf,
}

fn save(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mutation-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Compiles the inputs together and checks each one; a panic is a failure
/// of every input of the batch.
fn run_batch(inputs: Vec<Input>, tag: &str, failures: &mut Vec<Failure>) -> Option<Compilation> {
    let names: Vec<String> = inputs.iter().map(|i| i.name.clone()).collect();
    let texts: Vec<Vec<u8>> = inputs.iter().map(|i| i.text.clone().into_bytes()).collect();
    let result = catch_unwind(AssertUnwindSafe(|| compile(inputs)));
    let comp = match result {
        Ok(c) => c,
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_string()))
                .unwrap_or_default();
            for (i, (n, t)) in names.iter().zip(&texts).enumerate() {
                failures.push(Failure {
                    why: format!("compile panicked on a batch holding `{n}`: {msg}"),
                    saved: save(&format!("{tag}-{i}-{}", n.replace('/', "_")), t),
                });
            }
            return None;
        }
    };
    for (id, name) in comp.user_files.clone().into_iter().zip(&names) {
        if let Some(why) = check_file(&comp, id) {
            let text = comp
                .sources
                .get(id)
                .map(|f| f.text.clone())
                .unwrap_or_default();
            failures.push(Failure {
                why: format!("`{name}`: {why}"),
                saved: save(
                    &format!("{tag}-{}", name.replace('/', "_")),
                    text.as_bytes(),
                ),
            });
        }
    }
    Some(comp)
}

/// How many of the compilation's input files have an error.
fn rejected(comp: &Compilation) -> usize {
    comp.user_files
        .iter()
        .filter(|id| {
            comp.diagnostics
                .iter()
                .any(|d| d.is_error() && d.file() == Some(**id))
        })
        .count()
}

fn report(failures: &[Failure], what: &str) {
    if failures.is_empty() {
        return;
    }
    let shown: Vec<String> = failures
        .iter()
        .take(20)
        .map(|f| format!("  {}\n    saved as {}", f.why, f.saved.display()))
        .collect();
    panic!(
        "{} {what} failure(s); the first ones:\n{}\n",
        failures.len(),
        shown.join("\n")
    );
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed() -> u64 {
    env_number("PERMIT0_MUTATION_SEED", 0x5EED_F00D)
}

// ---------- the mutation runs ----------

/// A copy of a seed whose names cannot collide with the other copies in the
/// same compilation: the team domain `acme` and the policy header get a
/// suffix (a collision would be an error that hides what the mutant did).
fn renamed(text: &str, copy: usize) -> String {
    if copy == 0 {
        return text.to_string();
    }
    let text = text.replace("acme", &format!("acme{copy}"));
    // Rule ids (`overrides acme.cards.external_mail`, `acme.cards:3`) follow
    // their policy's new name.
    let policy = text
        .lines()
        .find_map(|l| l.strip_prefix("policy "))
        .map(|rest| rest.split(' ').next().unwrap_or(rest).to_string());
    text.lines()
        .map(|l| match l.strip_prefix("policy ") {
            Some(rest) => {
                let (name, doc) = rest.split_once(' ').unwrap_or((rest, ""));
                format!("policy {name}_{copy} {doc}\n")
            }
            None => match &policy {
                Some(p) => format!(
                    "{}\n",
                    l.replace(&format!("{p}:"), &format!("{p}_{copy}:"))
                        .replace(&format!("{p}."), &format!("{p}_{copy}."))
                ),
                None => format!("{l}\n"),
            },
        })
        .collect()
}

/// Copies of each seed in one compilation.
const COPIES: usize = 3;

/// Mutants of the team corpus, compiled in batches of three mutants per
/// seed file (renamed so their declarations do not collide): the taxonomy is
/// parsed once per batch instead of once per mutant.
#[test]
fn mutated_policies_never_panic_and_errors_are_reported() {
    let (policies, _) = seeds();
    assert!(!policies.is_empty());
    let total = env_number("PERMIT0_MUTATIONS", 3000) as usize;
    let mut rng = Rng(seed());
    let mut failures = Vec::new();
    let mut done = 0;
    let mut batch_no = 0;
    let mut invalid = 0;
    while done < total {
        let mut inputs = Vec::new();
        for copy in 0..COPIES {
            for (name, text) in &policies {
                if done >= total {
                    break;
                }
                let m = mutant(&mut rng, &renamed(text, copy));
                inputs.push(Input::from_text(format!("m{done}_{name}"), m));
                done += 1;
            }
        }
        // Count what the compiler rejected, to show the run is not vacuous.
        if let Some(comp) = run_batch(inputs, &format!("policy-{batch_no}"), &mut failures) {
            invalid += rejected(&comp);
        }
        batch_no += 1;
    }
    eprintln!("{done} policy mutants, {invalid} rejected with an error");
    assert!(
        invalid > done / 4,
        "too few mutants are invalid: the mutator does nothing"
    );
    report(&failures, "policy mutation");
}

/// Mutants of the taxonomy, each replacing its shipped file: declarations,
/// risk profiles and namespaces go through `resolve`.
#[test]
fn mutated_taxonomy_never_panics_and_errors_are_reported() {
    let (policies, taxonomy) = seeds();
    let total = env_number("PERMIT0_MUTATIONS", 3000) as usize / 12;
    let mut rng = Rng(seed() ^ 0xA5A5);
    let mut failures = Vec::new();
    let mut done = 0;
    while done < total {
        // Two taxonomy mutants (of different files) with one policy that
        // reads the taxonomy.
        let a = rng.below(taxonomy.len());
        let b = (a + 1 + rng.below(taxonomy.len() - 1)) % taxonomy.len();
        let mut inputs = Vec::new();
        for i in [a, b] {
            let (name, text) = &taxonomy[i];
            inputs.push(Input::from_text(name.clone(), mutant(&mut rng, text)));
        }
        let (pname, ptext) = rng.pick(&policies);
        inputs.push(Input::from_text(pname.clone(), ptext.clone()));
        run_batch(inputs, &format!("taxonomy-{done}"), &mut failures);
        done += 2;
    }
    eprintln!("{done} taxonomy mutants");
    report(&failures, "taxonomy mutation");
}

/// The unmutated seeds are valid, and their renamed copies compiled together
/// have no error (only warnings that one copy repeats another's rules):
/// otherwise the invariants above test little.
#[test]
fn seeds_compile_cleanly() {
    let (policies, _) = seeds();
    let mut inputs = Vec::new();
    for copy in 0..COPIES {
        for (name, text) in &policies {
            if !text.contains("# known-bug:") {
                inputs.push(Input::from_text(
                    format!("c{copy}_{name}"),
                    renamed(text, copy),
                ));
            }
        }
    }
    let comp = compile(inputs);
    let errors: Vec<_> = comp
        .errors()
        .map(|d| (d.file().map(|f| comp.sources.name(f)), d.code, &d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

/// A file that is not UTF-8 gets P0100 at its first bad byte; the span must
/// end on a character boundary of the (lossily decoded) text the renderers
/// slice, or `permit0 check` panics in ariadne.
#[test]
fn invalid_utf8_span_ends_on_a_character_boundary() {
    let input = Input::from_bytes("latin1.p0", None, b"when x == \"caf\xe9\"\n".to_vec());
    let comp = compile(vec![input]);
    let ok = comp.diagnostics.iter().all(|d| {
        d.span.is_some_and(|s| {
            comp.sources.get(s.file).is_some_and(|f| {
                f.text.is_char_boundary(s.start as usize) && f.text.is_char_boundary(s.end as usize)
            })
        })
    });
    known_bug("invalid_utf8_span_ends_on_a_character_boundary", None, ok);
}

/// Passes when `ok`; with a known bug, a failure is printed and a pass fails
/// (so the marker is removed once the compiler is fixed).
fn known_bug(name: &str, bug: Option<&str>, ok: bool) {
    match (ok, bug) {
        (true, None) => {}
        (false, None) => panic!("{name} failed"),
        (false, Some(bug)) => eprintln!("{name}: expected failure (known bug: {bug})"),
        (true, Some(bug)) => panic!("{name} passes now; remove its known-bug marker ({bug})"),
    }
}

// ---------- arbitrary bytes ----------

/// Token soup: random sequences of the language's own words, which reach far
/// deeper into the parser than random bytes.
fn soup() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
            1 => prop::collection::vec(any::<u8>(), 1..4),
            1 => "[a-z_]{1,8}".prop_map(String::into_bytes),
        ],
        0..80,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any bytes at all, valid UTF-8 or not, compile without a panic, and
    /// invalid UTF-8 is always reported.
    #[test]
    fn arbitrary_bytes_never_panic(
        raw in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..400), 1..12),
        soups in prop::collection::vec(soup(), 1..12),
    ) {
        let mut inputs = Vec::new();
        let mut bad_utf8 = Vec::new();
        for (i, bytes) in raw.iter().chain(&soups).enumerate() {
            let input = Input::from_bytes(format!("b{i}.p0"), None, bytes.clone());
            bad_utf8.push(input.invalid_utf8_at.is_some());
            inputs.push(input);
        }
        let mut failures = Vec::new();
        let comp = run_batch(inputs, "bytes", &mut failures);
        prop_assert!(failures.is_empty(), "{}", failures.iter().map(|f| format!("{} ({})", f.why, f.saved.display())).collect::<Vec<_>>().join("\n"));
        let Some(comp) = comp else { return Err(TestCaseError::fail("panic")) };
        for (id, bad) in comp.user_files.iter().zip(bad_utf8) {
            if bad {
                prop_assert!(comp.diagnostics.iter().any(|d| d.code == "P0100" && d.file() == Some(*id)));
            }
        }
    }
}

// ---------- big inputs ----------

/// A plausible policy of about `bytes` bytes: many distinct rules over a
/// handful of actions.
fn big_policy(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 200);
    s.push_str("policy bench.big \"generated\"\nlet vips = {\"a\", \"b\", \"c\"}\n");
    let mut i = 0u64;
    while s.len() < bytes {
        let rule = match i % 5 {
            0 => format!("when payments.charge amount > {i} and currency == \"c{i}\" then escalate \"r{i}\"\n"),
            1 => format!("when email.send recipient_count > {i} and subject contains \"s{i}\" then deny\n"),
            2 => format!("when payments.transfer payee not in {{\"p{i}\", \"q{i}\"}} and amount >= {i} then deny\n"),
            3 => format!("when payments.charge | payments.refund amount < {i} and has actor.role and actor.role in vips then allow\n"),
            _ => format!("when payments.transfer session.sum(payments.transfer.amount, {}h) > {i} then escalate\n", 1 + i % 48),
        };
        s.push_str(&rule);
        i += 1;
    }
    s
}

/// 10 MB through the lexer and parser: finishes, one item per rule, no
/// diagnostic.
#[test]
fn ten_megabytes_parse() {
    let text = big_policy(10 * 1024 * 1024);
    let lines = text.lines().count();
    let start = Instant::now();
    let (ast, diags) = parse(FileId(0), &text);
    let took = start.elapsed();
    assert!(diags.is_empty(), "{:?}", diags.first());
    assert_eq!(ast.items.len(), lines);
    eprintln!("10 MB ({lines} items) parsed in {took:?}");
    assert!(
        took < Duration::from_secs(60),
        "parsing 10 MB took {took:?}"
    );
}

/// A generated policy through the whole front end. 1 MB (about 12,000
/// rules) keeps a debug build under a few seconds; the release-build figure
/// is the bench's (`benches/check.rs`).
#[test]
fn one_megabyte_compiles() {
    let text = big_policy(1024 * 1024);
    let rules = text.lines().filter(|l| l.starts_with("when")).count();
    let start = Instant::now();
    let comp = compile(vec![Input::from_text("big.p0", text)]);
    let took = start.elapsed();
    assert!(!comp.has_errors(), "{:?}", comp.errors().next());
    assert_eq!(comp.ir.rules.len(), rules);
    eprintln!("1 MB ({rules} rules) compiled in {took:?}");
    assert!(
        took < Duration::from_secs(60),
        "compiling 1 MB took {took:?}"
    );
}

// ---------- deep inputs ----------

const CHILD_ENV: &str = "PERMIT0_DEEP_CHILD";

/// Runs the test named `name` again in a child process (only that test, with
/// `CHILD_ENV` set) and returns whether it passed and what it printed.
fn in_child(name: &str) -> (bool, String) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.contains("1 passed"), text)
}

/// In the child: compile `text` on a thread with a 256 KiB stack and require
/// a P0113.
fn expect_p0113_on_small_stack(text: String) {
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let comp = compile(vec![Input::from_text("deep.p0", text)]);
            comp.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>()
        })
        .unwrap();
    let codes = handle.join().unwrap();
    assert!(codes.contains(&"P0113"), "no P0113 among {codes:?}");
}

fn paren_tower() -> String {
    format!(
        "when payments.refund {}amount > 5{} then deny\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    )
}

fn not_tower() -> String {
    format!(
        "when payments.refund {}amount > 5 then deny\n",
        "not ".repeat(10_000)
    )
}

/// A deep test whose child is expected to fail until a compiler bug is
/// fixed: the failure is printed, and a pass fails the test so the marker
/// is removed.
fn deep_case(name: &str, known_bug_text: Option<&str>, text: fn() -> String) {
    if std::env::var_os(CHILD_ENV).is_some() {
        expect_p0113_on_small_stack(text());
        return;
    }
    let (passed, output) = in_child(name);
    if !passed {
        let shown: Vec<&str> = output
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(8)
            .collect();
        eprintln!("{name}: the child failed:\n{}", shown.join("\n"));
    }
    known_bug(name, known_bug_text, passed);
}

#[test]
fn paren_tower_gives_p0113() {
    const { assert!(MAX_NESTING < 10_000) };
    deep_case("paren_tower_gives_p0113", None, paren_tower);
}

#[test]
fn not_tower_gives_p0113() {
    deep_case("not_tower_gives_p0113", None, not_tower);
}

#[test]
fn bracket_towers_of_every_kind_give_p0113() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{", "}")] {
        let text = format!(
            "let x = {}\"a\"{}\nwhen payments.refund amount > 5 then deny\n",
            open.repeat(10_000),
            close.repeat(10_000)
        );
        let comp = compile(vec![Input::from_text("deep.p0", text)]);
        assert!(
            comp.diagnostics.iter().any(|d| d.code == "P0113"),
            "{open}: {:?}",
            comp.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>()
        );
    }
}

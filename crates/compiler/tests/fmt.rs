//! The formatter: golden files, idempotence over the shipped policies, meaning
//! and comment preservation, and property tests over generated rules and
//! arbitrary text. `BLESS=1` rewrites `tests/corpus/fmt/*.formatted.p0`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use permit0_compiler::fmt::format_source;
use permit0_compiler::lexer::lex;
use permit0_compiler::parser::parse;
use permit0_compiler::span::FileId;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The tree's `Debug` text with every `Span { … }` blanked out — written
/// independently of `fmt::erase_spans`, so the two cross-check each other.
fn meaning(src: &str) -> String {
    let (ast, diags) = parse(FileId(0), src);
    assert!(
        diags.is_empty(),
        "does not parse cleanly: {diags:#?}\n---\n{src}"
    );
    let text = format!("{ast:?}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Span { file: ") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let close = after.find('}').unwrap();
        out.push('S');
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Comment texts, found by a scanner of its own: `#` outside string literals,
/// to the end of the line, trailing whitespace dropped. Sorted (a multiset).
fn comment_texts(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(s) = chars.next() {
                    match s {
                        '\\' => {
                            chars.next_if(|n| *n != '\n');
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '#' => {
                let mut text = String::from("#");
                while let Some(&n) = chars.peek() {
                    if n == '\n' {
                        break;
                    }
                    text.push(n);
                    chars.next();
                }
                out.push(text.trim_end().to_string());
            }
            _ => {}
        }
    }
    out.sort();
    out
}

/// Everything a formatted text must satisfy, given its source.
fn check_formatted(src: &str, out: &str) {
    assert_eq!(
        meaning(src),
        meaning(out),
        "meaning changed\n--- source\n{src}\n--- formatted\n{out}"
    );
    assert_eq!(
        comment_texts(src),
        comment_texts(out),
        "comments changed\n--- formatted\n{out}"
    );
    assert_eq!(
        format_source(out).unwrap(),
        out,
        "not idempotent\n--- source\n{src}"
    );
    assert!(out.is_empty() || out.ends_with('\n'));
    assert!(!out.ends_with("\n\n"), "blank line at the end");
    assert!(!out.contains("\n\n\n"), "two blank lines in a row");
    for line in out.lines() {
        assert_eq!(line, line.trim_end(), "trailing whitespace");
    }
}

#[test]
fn golden_corpus() {
    let dir = root().join("tests/corpus/fmt");
    let bless = std::env::var_os("BLESS").is_some();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".p0") && !name.ends_with(".formatted.p0")
        })
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 4, "corpus is missing: {}", dir.display());
    let mut failures = Vec::new();
    for input in inputs {
        let src = std::fs::read_to_string(&input).unwrap();
        let out = format_source(&src).unwrap_or_else(|d| panic!("{}: {d:#?}", input.display()));
        check_formatted(&src, &out);
        let expected_path = input.with_extension("formatted.p0");
        if bless {
            std::fs::write(&expected_path, &out).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != out {
            failures.push(format!(
                "{} differs from {}:\n{out}",
                input.display(),
                expected_path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(run with BLESS=1 to accept)",
        failures.join("\n\n")
    );
}

#[test]
fn examples_and_taxonomy_are_fixed_points_after_one_pass() {
    let mut files = vec![root().join("examples/refunds.p0")];
    let mut taxonomy: Vec<PathBuf> = std::fs::read_dir(root().join("taxonomy"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "p0"))
        .collect();
    taxonomy.sort();
    assert!(!taxonomy.is_empty());
    files.extend(taxonomy);
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        let once = format_source(&src).unwrap_or_else(|d| panic!("{}: {d:#?}", f.display()));
        check_formatted(&src, &once);
    }
}

#[test]
fn the_design_example_is_already_formatted() {
    let src = std::fs::read_to_string(root().join("examples/refunds.p0")).unwrap();
    assert_eq!(format_source(&src).unwrap(), src);
}

#[test]
fn syntax_errors_are_reported_not_formatted() {
    for src in [
        "when payments.refund amount > > 5 then deny\n",
        "policy a.b\nwhen x then\n",
        "let s = \"unterminated\n",
        "let n = 99999999999999999999\n",
        "when a.b x > 1 then deny\n\u{1}\n",
        &"(".repeat(100),
    ] {
        let diags = format_source(src).expect_err(src);
        assert!(
            !diags.is_empty() && diags.iter().all(|d| d.is_error()),
            "{src:?}"
        );
    }
}

#[test]
fn absurd_nesting_is_refused_not_overflowed() {
    for src in [
        format!("let x = {}a\n", "not ".repeat(100_000)),
        format!(
            "let x = {}a{}\n",
            "not not not not (".repeat(60),
            ")".repeat(60)
        ),
        format!(
            "namespace a {{ x: {}string{} }}\n",
            "list<".repeat(100_000),
            ">".repeat(100_000)
        ),
    ] {
        let diags = format_source(&src).expect_err("too deep");
        assert_eq!(diags[0].code, "P0113");
    }
    for fine in [
        format!("let x = {}a\n", "not ".repeat(60)),
        format!("let x = {}a{}\n", "not (".repeat(60), ")".repeat(60)),
    ] {
        assert_eq!(format_source(&fine).unwrap(), fine);
    }
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(format_source("").unwrap(), "");
    assert_eq!(format_source("  \n\n\t\n").unwrap(), "");
    assert_eq!(
        format_source("# a   \n\n\n# b\n# c").unwrap(),
        "# a\n\n# b\n# c\n"
    );
}

#[test]
fn crlf_and_tabs_become_canonical() {
    let src = "policy a.b\r\n\r\n\twhen a.b x > 1 then deny # why\r\n";
    assert_eq!(
        format_source(src).unwrap(),
        "policy a.b\n\nwhen a.b x > 1 then deny # why\n"
    );
}

#[test]
fn items_of_different_kinds_are_separated_and_same_kinds_keep_the_source_spacing() {
    let src = "policy a.b\nlet x = 1\nlet y = 2\n\n\n\nlet z = 3\nwhen a.b x > 1 then deny\nwhen a.b x > 2 then deny\n";
    assert_eq!(
        format_source(src).unwrap(),
        "policy a.b\n\nlet x = 1\nlet y = 2\n\nlet z = 3\n\nwhen a.b x > 1 then deny\nwhen a.b x > 2 then deny\n"
    );
}

#[test]
fn two_items_on_one_line_each_get_their_own() {
    let src = "domain a domain b # about b\n";
    assert_eq!(
        format_source(src).unwrap(),
        "domain a\ndomain b # about b\n"
    );
}

#[test]
fn a_long_rule_breaks_before_then_and_before_each_and() {
    let cond: Vec<String> = (0..8)
        .map(|i| format!("field_number_{i} == \"value {i}\""))
        .collect();
    let src = format!("when a.b {} then deny \"too much\"\n", cond.join(" and "));
    let out = format_source(&src).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 9, "{out}");
    assert_eq!(lines[0], "when a.b field_number_0 == \"value 0\"");
    assert_eq!(lines[1], "    and field_number_1 == \"value 1\"");
    assert_eq!(lines[8], "  then deny \"too much\"");
}

// ---------------------------------------------------------------------------
// Property tests.

/// A string literal's source text (and the value is whatever that decodes to).
fn string_lit() -> impl Strategy<Value = String> {
    (proptest::collection::vec(
        prop::sample::select(vec![
            "a",
            "b",
            " ",
            "#",
            "\\\"",
            "\\\\",
            "\\n",
            "\\t",
            "\t",
            "\\0",
            "\\u{7}",
            "\\u{202E}",
            "é",
            "😀",
            "\\r",
            "when",
            "}",
        ]),
        0..8,
    ),)
        .prop_map(|(parts,)| format!("\"{}\"", parts.concat()))
}

fn int_lit() -> impl Strategy<Value = String> {
    prop_oneof![
        (0i64..20_000).prop_map(|n| n.to_string()),
        (0i64..=i64::MAX).prop_map(|n| n.to_string()),
        (0i64..10_000_000).prop_map(|n| {
            // underscores anywhere after the first digit
            let s = n.to_string();
            s.chars()
                .enumerate()
                .flat_map(|(i, c)| if i % 2 == 1 { vec!['_', c] } else { vec![c] })
                .collect()
        }),
        (0i64..1_000_000).prop_map(|n| format!("-{n}")),
        (0i64..1_000_000).prop_map(|n| format!("- {n}")),
    ]
}

fn duration_lit() -> impl Strategy<Value = String> {
    (
        0i64..100_000,
        prop::sample::select(vec!["ms", "s", "m", "h", "d", "w"]),
    )
        .prop_map(|(n, u)| format!("{n}{u}"))
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        int_lit(),
        duration_lit(),
        string_lit(),
        Just("true".to_string()),
        Just("false".to_string()),
        Just("high".to_string()),
        proptest::collection::vec(string_lit(), 0..4).prop_map(|v| format!("{{{}}}", v.join(","))),
        proptest::collection::vec(string_lit(), 0..4)
            .prop_map(|v| format!("[ {} ]", v.join(" , "))),
    ]
}

fn field() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "amount",
        "actor.role",
        "actor.\"role\"",
        "context.env",
        "risk.tier",
        "payee",
        "session.count(payments.*, 24h)",
        "session.sum(payments.transfer.amount, 7d)",
        "lower(subject)",
        "tags",
        "a_rather_long_field_name_to_push_rules_past_the_line_limit",
    ])
    .prop_map(String::from)
}

fn comparison() -> impl Strategy<Value = String> {
    let op = prop::sample::select(vec![
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "in",
        "not in",
        "contains",
        "contains_any",
        "contains_all",
        "starts_with",
        "ends_with",
        "=",
    ]);
    let side = prop_oneof![3 => field(), 2 => literal()];
    (field(), op, side).prop_map(|(l, op, r)| format!("{l}\u{1}{op}\u{1}{r}"))
}

/// A condition; `\u{1}` marks where the source may have any layout.
fn condition() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![4 => comparison(), 1 => field(), 1 => Just("true".to_string())];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..5).prop_map(|v| v.join("\u{1}and\u{1}")),
            proptest::collection::vec(inner.clone(), 2..5).prop_map(|v| v.join("\u{1}or\u{1}")),
            inner.clone().prop_map(|e| format!("not\u{1}{e}")),
            inner.prop_map(|e| format!("(\u{1}{e}\u{1})")),
        ]
    })
}

fn rule() -> impl Strategy<Value = String> {
    let pattern = prop::sample::select(vec![
        "payments.refund",
        "payments.*",
        "*",
        "email.send",
        "db.query",
    ]);
    let patterns = proptest::collection::vec(pattern, 1..3).prop_map(|v| v.join("\u{1}|\u{1}"));
    let effect = prop_oneof![
        prop::sample::select(vec!["allow", "deny", "escalate"]).prop_map(String::from),
        proptest::collection::vec(
            (
                prop::sample::select(vec!["destination", "scope", "amount"]),
                -50i64..50,
                any::<bool>()
            ),
            1..3
        )
        .prop_map(|v| {
            let items: Vec<String> = v
                .into_iter()
                .map(|(d, n, plus)| match (n < 0, plus) {
                    (true, _) => format!("{d}\u{1}-{}", -n),
                    (false, true) => format!("{d}\u{1}+{n}"),
                    (false, false) => format!("{d}\u{1}{n}"),
                })
                .collect();
            format!("amplify\u{1}{}", items.join(",\u{1}"))
        }),
    ];
    let obligations = proptest::collection::vec(
        prop_oneof![
            Just("require_mfa".to_string()),
            string_lit().prop_map(|s| format!("notify\u{1}=\u{1}{s}")),
            duration_lit().prop_map(|d| format!("ttl = {d}")),
        ],
        0..3,
    );
    (
        patterns,
        proptest::option::of(condition()),
        effect,
        proptest::option::of(string_lit()),
        obligations,
    )
        .prop_map(|(p, c, e, r, o)| {
            let mut s = format!("when\u{1}{p}");
            if let Some(c) = c {
                s.push('\u{1}');
                s.push_str(&c);
            }
            s.push_str("\u{1}then\u{1}");
            s.push_str(&e);
            if let Some(r) = r {
                s.push('\u{1}');
                s.push_str(&r);
            }
            if !o.is_empty() {
                s.push_str("\u{1}with\u{1}");
                s.push_str(&o.join(",\u{1}"));
            }
            s
        })
}

/// A file of rules, with each `\u{1}` replaced by one of several layouts,
/// comments included.
fn rule_file() -> impl Strategy<Value = String> {
    (
        proptest::option::of(Just("policy gen.rules \"generated\"".to_string())),
        proptest::collection::vec(rule(), 1..5),
        proptest::collection::vec(0u8..16, 64),
        proptest::collection::vec(
            prop::sample::select(vec!["\n", "\n\n", "\n# between\n", " # trailing\n"]),
            5,
        ),
    )
        .prop_map(|(policy, rules, layout, between)| {
            let mut text = policy.map(|p| p + "\n").unwrap_or_default();
            for (i, r) in rules.iter().enumerate() {
                text.push_str(r);
                text.push_str(between[i % between.len()]);
            }
            let mut out = String::new();
            let mut k = 0usize;
            for c in text.chars() {
                if c != '\u{1}' {
                    out.push(c);
                    continue;
                }
                k += 1;
                out.push_str(match layout[k % layout.len()] {
                    0 => "\n  ",
                    1 => "  ",
                    2 => " # inside\n",
                    3 => "\n\n\t",
                    _ => " ",
                });
            }
            out
        })
}

/// Re-lays out a real file: every gap between tokens becomes one of several
/// spacings, some with new comments.
fn relayout(src: &str, choices: &[u8]) -> String {
    let tokens = lex(FileId(0), src).tokens;
    let mut out = String::new();
    let mut from = 0;
    for (i, (start, _, end)) in tokens.iter().enumerate() {
        let gap = &src[from..*start];
        let choice = choices.get(i % choices.len().max(1)).copied().unwrap_or(0);
        match choice {
            0 => out.push(' '),
            1 => out.push_str("\n\n"),
            2 => out.push_str(&format!(" # c{i}\n")),
            3 => out.push_str(&format!("\n# own {i}\n\n")),
            _ => out.push_str(gap),
        }
        out.push_str(&src[*start..*end]);
        from = *end;
    }
    out.push_str(&src[from..]);
    out
}

fn token_soup() -> impl Strategy<Value = String> {
    let tok = prop::sample::select(vec![
        "policy",
        "let",
        "when",
        "then",
        "and",
        "or",
        "not",
        "in",
        "with",
        "amplify",
        "tool",
        "test",
        "action",
        "domain",
        "alias",
        "namespace",
        "risk",
        "compliance",
        "enum",
        "true",
        "false",
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
        "a",
        "b.c",
        "payments.refund",
        "allow",
        "deny",
        "5",
        "10_000",
        "24h",
        "\"s\"",
        "\"#\"",
        "# c\n",
        "\n",
        "x",
    ]);
    proptest::collection::vec(tok, 0..40).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_rules_format_cleanly(src in rule_file()) {
        let (_, diags) = parse(FileId(0), &src);
        prop_assert!(diags.is_empty(), "generator made invalid text: {diags:#?}\n{src}");
        let out = format_source(&src).unwrap_or_else(|d| panic!("{d:#?}\n{src}"));
        check_formatted(&src, &out);
    }

    #[test]
    fn relaid_out_files_format_to_the_same_tree(choices in proptest::collection::vec(0u8..8, 1..50), which in 0usize..64) {
        let mut files = vec![root().join("examples/refunds.p0")];
        for e in std::fs::read_dir(root().join("tests/corpus/fmt")).unwrap() {
            let p = e.unwrap().path();
            if !p.to_string_lossy().ends_with(".formatted.p0") {
                files.push(p);
            }
        }
        for e in std::fs::read_dir(root().join("taxonomy")).unwrap() {
            files.push(e.unwrap().path());
        }
        files.retain(|p| p.extension().is_some_and(|x| x == "p0"));
        files.sort();
        let file = &files[which % files.len()];
        let src = relayout(&std::fs::read_to_string(file).unwrap(), &choices);
        let out = format_source(&src).unwrap_or_else(|d| panic!("{}: {d:#?}\n{src}", file.display()));
        check_formatted(&src, &out);
    }

    #[test]
    fn arbitrary_text_never_panics(src in any::<String>()) {
        let _ = format_source(&src);
    }

    #[test]
    fn token_soup_never_panics_and_formats_soundly(src in token_soup()) {
        if let Ok(out) = format_source(&src) {
            check_formatted(&src, &out);
        }
    }
}

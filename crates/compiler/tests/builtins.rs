//! The builtins' typed signatures, end to end:
//!
//! - the builtin table in docs/language.md lists every builtin with exactly
//!   the signature the checker uses (`Builtin::signature_text`), in order;
//! - the checker holds every call to that signature: one argument too many
//!   is P0303 showing the signature, and an argument of the wrong type is
//!   P0301 at that argument;
//! - renaming, in the shipped taxonomy, any member of an enum field that a
//!   classifier derives (`classification: enum { read_only, … } =
//!   shell_kind(…)`) is a compile error, P0220 at the derivation naming the
//!   member — not an escalation of every such request at run time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use permit0_classify::{Builtin, Ty};
use permit0_compiler::diag::JsonDiagnostic;
use permit0_compiler::{compile, Compilation, Input};
use std::path::Path;

fn diagnostics(comp: &Compilation) -> Vec<JsonDiagnostic> {
    comp.diagnostics
        .iter()
        .map(|d| d.to_json(&comp.sources))
        .collect()
}

/// The first cell of each row of the table under `| builtin | gives |`,
/// unescaped (`\|` is a `|` inside a table cell).
fn documented_signatures(doc: &str) -> Vec<String> {
    let mut rows = doc
        .lines()
        .skip_while(|l| !l.starts_with("| builtin |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'));
    let mut out = Vec::new();
    for row in rows.by_ref() {
        let cell = row
            .strip_prefix("| `")
            .and_then(|r| r.split_once("` |"))
            .map(|(sig, _)| sig.replace("\\|", "|"))
            .unwrap_or_else(|| panic!("a builtin row starts with its signature: {row}"));
        out.push(cell);
    }
    out
}

#[test]
fn the_language_reference_lists_every_builtin_with_its_checked_signature() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/language.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let documented = documented_signatures(&doc);
    let checked: Vec<String> = Builtin::ALL.iter().map(|b| b.signature_text()).collect();
    if documented != checked {
        let rows: Vec<String> = checked
            .iter()
            .map(|s| format!("| `{}` | … |", s.replace('|', "\\|")))
            .collect();
        panic!(
            "docs/language.md's builtin table is out of date; its first column must read, in order:\n{}",
            rows.join("\n")
        );
    }
}

/// A wrongly typed literal for a parameter, if there is one.
fn wrong_literal(t: Ty) -> Option<&'static str> {
    match t {
        Ty::Json | Ty::Same => None,
        Ty::Text | Ty::TextList | Ty::TextOrList | Ty::OneOf(_) | Ty::Bool => Some("5"),
        Ty::Int => Some("true"),
    }
}

#[test]
fn the_checker_holds_every_call_to_its_signature() {
    // One tool per case, each on its own line, all onto one team action.
    let mut text = String::from(
        "domain acme \"Acme\"\naction acme.sink \"Takes anything\" {\n  out: string? \"a value\"\n}\n",
    );
    let mut expected: Vec<(u32, u32, &str, String)> = Vec::new();
    let mut n = 0;
    let mut line = 5;
    for b in Builtin::ALL {
        let params = b.signature().params;
        // One argument too many.
        let args = vec!["args.a"; params.len() + 1].join(", ");
        let prefix = format!("tool t{n} -> acme.sink {{ out = ");
        let column = u32::try_from(prefix.chars().count() + 1).unwrap();
        text.push_str(&format!("{prefix}{}({args}) }}\n", b.name()));
        expected.push((line, column, "P0303", format!("`{}`", b.signature_text())));
        n += 1;
        line += 1;
        // Each typed parameter given a value of another type.
        for (i, p) in params.iter().enumerate() {
            let Some(wrong) = wrong_literal(p.ty) else {
                continue;
            };
            let mut args = vec!["args.a"; params.len()];
            args[i] = wrong;
            let prefix = format!("tool t{n} -> acme.sink {{ out = {}(", b.name());
            let column =
                prefix.chars().count() + args[..i].iter().map(|a| a.len() + 2).sum::<usize>() + 1;
            text.push_str(&format!("{prefix}{}) }}\n", args.join(", ")));
            expected.push((
                line,
                u32::try_from(column).unwrap(),
                "P0301",
                format!("`{}` takes `{}` as `{}`", b.name(), p.ty, p.name),
            ));
            n += 1;
            line += 1;
        }
    }
    let comp = compile(vec![Input::from_text("sync.p0", text.clone())]);
    let found = diagnostics(&comp);
    for (line, column, code, words) in &expected {
        let hit = found
            .iter()
            .find(|d| d.line == Some(*line) && d.code == *code);
        let Some(d) = hit else {
            panic!(
                "no {code} on line {line}:\n{}\n{found:#?}",
                text.lines().nth(*line as usize - 1).unwrap_or("")
            );
        };
        assert_eq!(
            d.column,
            Some(*column),
            "{code} on line {line}: {}",
            d.message
        );
        let said = format!("{} {}", d.message, d.help.as_deref().unwrap_or(""));
        assert!(
            said.contains(words.as_str()),
            "line {line}: `{said}` lacks `{words}`"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
}

/// `(file, line index, field, builtin, members)` for every derived enum field
/// of the shipped taxonomy whose derivation is a classifier with an enum
/// result.
fn classifier_fed_enums() -> Vec<(&'static str, usize, String, Builtin, Vec<String>)> {
    let mut out = Vec::new();
    for (file, text) in permit0_compiler::taxonomy::files() {
        for (i, l) in text.lines().enumerate() {
            let Some((field, rest)) = l.trim_start().split_once(": enum {") else {
                continue;
            };
            let Some((members, rest)) = rest.split_once('}') else {
                continue;
            };
            let Some((_, call)) = rest.split_once("= ") else {
                continue;
            };
            let Some(b) = call
                .split_once('(')
                .and_then(|(n, _)| Builtin::from_name(n))
            else {
                continue;
            };
            if !matches!(b.signature().ret, Ty::OneOf(_)) {
                continue;
            }
            let members = members.split(',').map(|m| m.trim().to_string()).collect();
            out.push((*file, i, field.to_string(), b, members));
        }
    }
    out
}

#[test]
fn renaming_a_classifier_fed_enum_member_in_the_taxonomy_is_a_compile_error() {
    let fields = classifier_fed_enums();
    // The derivations this guards: shell, SQL, recipient, host and channel
    // classification.
    let builtins: std::collections::BTreeSet<&str> = fields.iter().map(|f| f.3.name()).collect();
    for b in [
        "shell_kind",
        "shell_sensitive_read",
        "sql_kind",
        "sql_class",
        "recipient_scope",
        "host_scope",
        "chat_channel_kind",
    ] {
        assert!(
            builtins.contains(b),
            "no taxonomy field is derived by `{b}`"
        );
    }
    let mut mutants = 0;
    for (file, line, field, builtin, members) in &fields {
        let Ty::OneOf(vocabulary) = builtin.signature().ret else {
            continue;
        };
        for m in members.iter().filter(|m| vocabulary.contains(&m.as_str())) {
            let text = permit0_compiler::taxonomy::files()
                .iter()
                .find(|(f, _)| f == file)
                .map(|(_, t)| *t)
                .unwrap();
            let renamed = format!("{m}_renamed");
            let mutated: Vec<String> = text
                .lines()
                .enumerate()
                .map(|(i, l)| {
                    if i != *line {
                        return l.to_string();
                    }
                    // Only inside the braces: the derivation and doc stay.
                    let (head, tail) = l.split_once('}').unwrap();
                    let head = head
                        .split(',')
                        .map(|part| {
                            let t = part.trim_end();
                            let word = t.rsplit(['{', ' ']).next().unwrap_or("");
                            if word == m {
                                let keep = &t[..t.len() - word.len()];
                                format!("{keep}{renamed}{}", &part[t.len()..])
                            } else {
                                part.to_string()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(",");
                    format!("{head}}}{tail}")
                })
                .collect();
            let mutated = mutated.join("\n");
            assert_ne!(mutated, text, "{file}:{} `{m}` not renamed", line + 1);
            let comp = compile(vec![Input::from_text(*file, mutated)]);
            let errors: Vec<JsonDiagnostic> = diagnostics(&comp)
                .into_iter()
                .filter(|d| d.severity.name() == "error")
                .collect();
            let what = format!("{file}:{} `{field}` with `{m}` renamed", line + 1);
            assert_eq!(errors.len(), 1, "{what}: {errors:#?}");
            let d = &errors[0];
            assert_eq!(d.code, "P0220", "{what}: {}", d.message);
            assert_eq!(
                d.line.map(|l| l as usize),
                Some(line + 1),
                "{what}: points at the derivation"
            );
            assert!(
                d.message
                    .contains(&format!("`{}(…)` can give `{m}`", builtin.name())),
                "{what}: {}",
                d.message
            );
            assert!(
                d.help.as_deref().unwrap_or("").contains(&format!("`{m}`")),
                "{what}"
            );
            mutants += 1;
        }
    }
    assert!(mutants >= 30, "only {mutants} mutants");
}

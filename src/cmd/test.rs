//! `permit0 test PATH...`: runs the policies' `test` blocks against the
//! compiled program and reports rule coverage (rules no test fired).

#![allow(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value reads Null for a missing key; it never panics here"
)]

use super::common::{compile_paths, is_embedded_stdlib};
use permit0::{Authorizer, MemoryStore};
use permit0_compiler::build_program;
use permit0_session::Clock;
use serde_json::json;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// `text` for people, `json` for tools
    #[arg(long, value_enum, default_value = "text")]
    pub format: super::check::Format,
    /// Leave out the standard library of policies (stdlib/), which is
    /// otherwise compiled in with the given policies
    #[arg(long)]
    pub no_stdlib: bool,
}

pub fn run(args: Args) -> ExitCode {
    let c = match compile_paths(&args.paths, args.no_stdlib) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let program = match build_program(&c) {
        Ok(p) => p,
        Err(d) => {
            for x in d {
                eprintln!("error[{}]: {}", x.code, x.message);
            }
            return ExitCode::from(1);
        }
    };
    let mut auth = Authorizer::from_program(program, Vec::new()).with_max_skew(None);
    let mut fired: BTreeSet<String> = BTreeSet::new();
    let mut results = Vec::new();
    let (mut passed, mut failed) = (0usize, 0usize);
    // The embedded stdlib's own tests run with `permit0 test stdlib`.
    for t in
        c.ir.tests
            .iter()
            .filter(|t| !is_embedded_stdlib(&c, t.span.file))
    {
        let file = c.sources.get(t.span.file);
        let line = file.map(|f| f.line_col(t.span.start).line).unwrap_or(0);
        let mut steps = Vec::new();
        let mut ok = !t.steps.is_empty();
        // Each test is its own world: a fresh store, and one session for
        // its steps unless a step names another.
        auth = auth.with_store(Arc::new(MemoryStore::default()));
        let session = format!("test:{}", t.name);
        for (n, s) in t.steps.iter().enumerate() {
            let mut request = s.request.clone();
            if let Some(obj) = request.as_object_mut() {
                obj.entry("session")
                    .or_insert_with(|| json!({ "id": session }));
            }
            // Scenario times are taken as written (no live clock). The
            // explain path runs every rule, so coverage counts each rule
            // that matched, not only the one that decided; deciding then
            // counts the step in its session.
            let explained = auth.explain_at(&request, Clock::unchecked());
            if let Some(e) = &explained.explanation {
                fired.extend(e.matched.iter().map(|m| m.rule.clone()));
            }
            let o = auth.decide_at(&request, Clock::unchecked());
            let (got, reason, rule) = (o.verdict, o.reason, o.rule);
            let reason_ok = s
                .reason
                .as_ref()
                .is_none_or(|want| reason.contains(want.as_str()));
            let step_ok = got == s.expect && reason_ok;
            ok &= step_ok;
            steps.push(json!({
                "step": n + 1,
                "passed": step_ok,
                "expected": s.expect.name(),
                "expected_reason": s.reason,
                "got": got.name(),
                "reason": reason,
                "rule": rule,
            }));
        }
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
        results.push(json!({
            "name": t.name,
            "file": file.map(|f| f.name.clone()),
            "line": line,
            "passed": ok,
            "steps": steps,
        }));
    }
    // A rule relaxed by an override on some of its actions is two IR rules
    // with one id: count ids.
    let mut own_rules: Vec<&str> =
        c.ir.rules
            .iter()
            .filter(|r| !is_embedded_stdlib(&c, r.span.file))
            .map(|r| r.id.as_str())
            .collect();
    own_rules.dedup();
    let uncovered: Vec<&str> = own_rules
        .iter()
        .copied()
        .filter(|id| !fired.contains(*id))
        .collect();
    match args.format {
        super::check::Format::Json => {
            let out = json!({
                "passed": passed,
                "failed": failed,
                "tests": results,
                "rules": own_rules.len(),
                "uncovered_rules": uncovered,
            });
            outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        super::check::Format::Text => {
            for r in &results {
                let name = r["name"].as_str().unwrap_or("");
                let at = format!("{}:{}", r["file"].as_str().unwrap_or(""), r["line"]);
                if r["passed"] == true {
                    outln!("ok    {name}");
                    continue;
                }
                outln!("FAIL  {name} ({at})");
                for s in r["steps"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|s| s["passed"] == false)
                {
                    outln!(
                        "      step {}: expected {}{}, got {} — {}",
                        s["step"],
                        s["expected"].as_str().unwrap_or(""),
                        s["expected_reason"]
                            .as_str()
                            .map(|r| format!(" \"{r}\""))
                            .unwrap_or_default(),
                        s["got"].as_str().unwrap_or(""),
                        s["reason"].as_str().unwrap_or("")
                    );
                }
            }
            let total = own_rules.len();
            outln!(
                "coverage: {} of {total} rules matched in a test",
                total - uncovered.len()
            );
            if !uncovered.is_empty() && uncovered.len() <= 20 {
                outln!("never matched: {}", uncovered.join(", "));
            }
            outln!("{passed} passed, {failed} failed");
        }
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

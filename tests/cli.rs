//! The command line as a new user meets it: a typo, a bundle, a flipped
//! byte, a decision.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn permit0(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_permit0"));
    cmd.current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        std::process::Stdio::piped()
    } else {
        std::process::Stdio::null()
    });
    let mut child = cmd.spawn().unwrap();
    if let Some(s) = stdin {
        // A command that refuses early (a tampered bundle) may exit before
        // reading its input; a broken pipe here is not a failure.
        let _ = child.stdin.take().unwrap().write_all(s.as_bytes());
    }
    child.wait_with_output().unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("permit0-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn example() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/refunds.p0")).unwrap()
}

#[test]
fn a_typo_gets_a_precise_error_in_text_and_json() {
    let d = scratch("typo");
    std::fs::write(
        d.join("p.p0"),
        "when payments.refnud amount > 500 then escalate\n",
    )
    .unwrap();
    let out = permit0(&d, &["check", "p.p0"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("P0201") && err.contains("did you mean `payments.refund`?"),
        "{err}"
    );
    let out = permit0(&d, &["check", "--format", "json", "p.p0"], None);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["code"], "P0201");
    assert_eq!(
        (json[0]["line"].as_u64(), json[0]["column"].as_u64()),
        (Some(1), Some(6))
    );
    assert_eq!(
        (json[0]["end_line"].as_u64(), json[0]["end_column"].as_u64()),
        (Some(1), Some(21))
    );
    assert_eq!(json[0]["help"], "did you mean `payments.refund`?");
}

#[test]
fn build_verify_eval_and_a_flipped_byte() {
    let d = scratch("bundle");
    std::fs::write(d.join("refunds.p0"), example()).unwrap();
    assert!(permit0(&d, &["keygen", "ops"], None).status.success());
    assert!(permit0(
        &d,
        &[
            "build",
            "refunds.p0",
            "--key",
            "ops.key",
            "-o",
            "policy.p0b"
        ],
        None
    )
    .status
    .success());
    assert!(
        permit0(&d, &["verify", "policy.p0b", "--trusted", "ops.pub"], None)
            .status
            .success()
    );
    let out = permit0(
        &d,
        &["eval", "--bundle", "policy.p0b", "--trusted", "ops.pub"],
        Some(
            r#"{"action": "payments.refund", "args": {"amount": 900, "currency": "usd", "charge_id": "ch_1"}, "actor": {"role": "support", "verified": true}}"#,
        ),
    );
    let decision: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(decision["decision"], "escalate");
    assert_eq!(decision["rule"], "payments.refunds:1");

    let mut bytes = std::fs::read(d.join("policy.p0b")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x10;
    std::fs::write(d.join("tampered.p0b"), &bytes).unwrap();
    let out = permit0(
        &d,
        &["verify", "tampered.p0b", "--trusted", "ops.pub"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("was modified"));
    let out = permit0(
        &d,
        &["eval", "--bundle", "tampered.p0b", "--trusted", "ops.pub"],
        Some("{}"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "a refused bundle must decide nothing"
    );

    assert!(permit0(&d, &["keygen", "other"], None).status.success());
    let out = permit0(
        &d,
        &["verify", "policy.p0b", "--trusted", "other.pub"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not trusted"));
}

#[test]
fn eval_reads_json_lines_and_keeps_going_past_bad_ones() {
    let d = scratch("jsonl");
    std::fs::write(d.join("refunds.p0"), example()).unwrap();
    let lines = "{\"action\": \"payments.refund\", \"args\": {\"amount\": 100, \"currency\": \"usd\", \"charge_id\": \"c\"}, \"actor\": {\"role\": \"support\", \"verified\": true}}\nnot json\n{\"tool\": \"mystery_tool\", \"args\": {}}\n";
    let out = permit0(&d, &["eval", "refunds.p0"], Some(lines));
    let decisions: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let verdicts: Vec<&str> = decisions
        .iter()
        .map(|d| d["decision"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["allow", "escalate", "escalate"]);
}

#[test]
fn test_blocks_run_and_fail_loudly() {
    let d = scratch("test");
    std::fs::write(d.join("refunds.p0"), example()).unwrap();
    let out = permit0(&d, &["test", "refunds.p0"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 passed, 0 failed"));
    let wrong = example().replace("=> escalate", "=> allow");
    std::fs::write(d.join("refunds.p0"), wrong).unwrap();
    let out = permit0(&d, &["test", "refunds.p0"], None);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FAIL  big refunds escalate")
            && text.contains("expected allow, got escalate"),
        "{text}"
    );
}

#[test]
fn bench_reports_a_median() {
    let d = scratch("bench");
    std::fs::write(d.join("refunds.p0"), example()).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/requests.jsonl"),
        d.join("r.jsonl"),
    )
    .unwrap();
    let out = permit0(
        &d,
        &[
            "bench",
            "refunds.p0",
            "r.jsonl",
            "--json",
            "--seconds",
            "0.2",
        ],
        None,
    );
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(j["median_ns"].as_f64().unwrap() > 0.0);
    // Every path a request can take is timed, the front door included.
    for key in [
        "bind_median_ns",
        "bind_bytes_median_ns",
        "bind_bytes_decide_median_ns",
        "authorizer_decide_bytes_median_ns",
    ] {
        assert!(j[key].as_f64().unwrap_or(0.0) > 0.0, "{key}: {j}");
    }
    assert_eq!(
        j["decisions"]["escalate"].as_u64().unwrap()
            + j["decisions"]["allow"].as_u64().unwrap()
            + j["decisions"]["deny"].as_u64().unwrap(),
        7
    );
}

#[test]
fn a_risk_profile_takes_effect_and_an_unknown_field_is_refused() {
    let d = scratch("profile");
    std::fs::write(d.join("p.p0"), "when email.send then allow\n").unwrap();
    assert!(permit0(&d, &["keygen", "k"], None).status.success());
    let transfer = r#"{"action": "payments.transfer", "args": {"amount": 100, "currency": "usd", "payee": "p"}}"#;
    assert!(permit0(
        &d,
        &["build", "p.p0", "--key", "k.key", "-o", "plain.p0b"],
        None
    )
    .status
    .success());
    let out = permit0(
        &d,
        &[
            "build",
            "p.p0",
            "--key",
            "k.key",
            "-o",
            "fin.p0b",
            "--profile",
            "fintech",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tier = |bundle: &str| {
        let out = permit0(
            &d,
            &["eval", "--bundle", bundle, "--trusted", "k.pub"],
            Some(transfer),
        );
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            j["risk"]["score"].as_u64().unwrap(),
            j["risk"]["tier"].as_str().unwrap().to_string(),
        )
    };
    let (plain_score, _) = tier("plain.p0b");
    let (fin_score, fin_tier) = tier("fin.p0b");
    assert!(
        fin_score > plain_score,
        "FINANCIAL weighs more under fintech: {fin_score} vs {plain_score}"
    );
    assert!(fin_tier == "medium" || fin_tier == "high" || fin_tier == "critical");

    std::fs::write(
        d.join("bad.json"),
        r#"{"name": "x", "flag_multiplers": []}"#,
    )
    .unwrap();
    let out = permit0(
        &d,
        &["build", "p.p0", "--key", "k.key", "--profile", "bad.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `flag_multiplers`"));

    std::fs::write(
        d.join("loose.json"),
        r#"{"name": "loose", "flag_multipliers": [["DESTRUCTION", 0.1]]}"#,
    )
    .unwrap();
    let out = permit0(
        &d,
        &["build", "p.p0", "--key", "k.key", "--profile", "loose.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "a guardrail must hold");
    // The profile is not in any policy file: the error names no file or
    // line (it once read `ai.p0:1:1`, the first stdlib file).
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[P0213] Error: risk profile `loose`"), "{err}");
    assert!(!err.contains(".p0"), "{err}");
    std::fs::write(
        d.join("floor.json"),
        r#"{"name": "f", "floors": [["payments.transfr", "high"]]}"#,
    )
    .unwrap();
    let out = permit0(
        &d,
        &["build", "p.p0", "--key", "k.key", "--profile", "floor.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean `payments.transfer`?"), "{err}");
    assert!(!err.contains(".p0"), "{err}");
}

#[test]
fn eval_keeps_sessions_across_lines_and_test_runs_scenarios() {
    let d = scratch("sessions");
    std::fs::write(
        d.join("cards.p0"),
        r#"policy acme.cards
when payments.charge amount < 200 and session.distinct(payments.charge.customer where amount < 200, 10m) >= 4
  then deny "card testing"
when payments.charge amount < 200 then allow

test "card testing is caught on the fifth customer" {
  payments.charge { amount: 100, currency: "usd", customer: "c1" } context { time: "2026-11-22T10:00:00Z" } => allow
  payments.charge { amount: 100, currency: "usd", customer: "c2" } context { time: "2026-11-22T10:01:00Z" } => allow
  payments.charge { amount: 100, currency: "usd", customer: "c3" } context { time: "2026-11-22T10:02:00Z" } => allow
  payments.charge { amount: 100, currency: "usd", customer: "c4" } context { time: "2026-11-22T10:03:00Z" } => allow
  payments.charge { amount: 100, currency: "usd", customer: "c5" } context { time: "2026-11-22T10:04:00Z" } => deny "card testing"
}
"#,
    )
    .unwrap();
    let line = |c: u32, s: &str| {
        format!("{{\"action\": \"payments.charge\", \"args\": {{\"amount\": 100, \"currency\": \"usd\", \"customer\": \"c{c}\"}}, \"context\": {{\"time\": \"2026-11-22T10:0{c}:00Z\"}}, \"session\": {{\"id\": \"{s}\"}}}}\n")
    };
    let mut lines = String::new();
    for c in 1..=5 {
        lines.push_str(&line(c, "s-1"));
    }
    lines.push_str(&line(6, "s-2"));
    // A scenario with fixed times: taken as written, not checked against
    // this machine's clock.
    let out = permit0(
        &d,
        &["eval", "--no-stdlib", "--max-skew", "off", "cards.p0"],
        Some(&lines),
    );
    let verdicts: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["decision"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        verdicts,
        ["allow", "allow", "allow", "allow", "deny", "allow"]
    );

    let out = permit0(&d, &["test", "--no-stdlib", "cards.p0"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A scenario that expects the wrong thing fails, naming the step.
    let text = std::fs::read_to_string(d.join("cards.p0")).unwrap();
    std::fs::write(
        d.join("cards.p0"),
        text.replace("=> deny \"card testing\"", "=> allow"),
    )
    .unwrap();
    let out = permit0(&d, &["test", "--no-stdlib", "cards.p0"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("step 5: expected allow, got deny"));
}

#[test]
fn the_stdlib_comes_along_unless_left_out() {
    let d = scratch("stdlib");
    // stdlib.chains.refund_burst escalates a refund burst; this team relaxes
    // it for its refund bot, by name.
    std::fs::write(
        d.join("team.p0"),
        "policy team.refunds\nwhen payments.refund has actor.id and actor.id == \"refund-bot\" then allow \"the refund bot\" overrides stdlib.chains.refund_burst\n",
    )
    .unwrap();
    let out = permit0(&d, &["check", "team.p0"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("ok: 1 file"));
    let out = permit0(&d, &["check", "--no-stdlib", "team.p0"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no rule `stdlib.chains.refund_burst` to override"));
}

/// A refund request line of `amount` by a verified support agent.
fn refund(amount: u64) -> String {
    format!("{{\"action\": \"payments.refund\", \"args\": {{\"amount\": {amount}, \"currency\": \"usd\", \"charge_id\": \"c\"}}, \"actor\": {{\"role\": \"support\", \"verified\": true}}}}\n")
}

fn verdicts(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{l}: {e}"))
                ["decision"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn one_bad_line_costs_only_its_own_decision() {
    let d = scratch("badline");
    std::fs::write(d.join("refunds.p0"), example()).unwrap();
    // An allowed refund, a line with bytes that are not UTF-8, a line cut
    // off mid-object, plain text, and an allowed refund again.
    let mut input = refund(100).into_bytes();
    input.extend_from_slice(b"{\"action\": \"payments.refund\", \"memo\": \"\xff\xfe\"}\n");
    input.extend_from_slice(b"{\"action\": \"payments.refund\", \"args\": {\"amount\":\n");
    input.extend_from_slice(b"not json\n");
    input.extend_from_slice(refund(200).as_bytes());
    std::fs::write(d.join("requests.jsonl"), &input).unwrap();
    let out = permit0(&d, &["eval", "refunds.p0", "-r", "requests.jsonl"], None);
    assert_eq!(
        verdicts(&out),
        ["allow", "escalate", "escalate", "escalate", "allow"],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines[1]["reason"]
            .as_str()
            .unwrap()
            .contains("line 2 is not UTF-8"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2]["reason"]
            .as_str()
            .unwrap()
            .contains("line 3 is not valid JSON"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3]["reason"]
            .as_str()
            .unwrap()
            .contains("line 4 is not valid JSON"),
        "{}",
        lines[3]
    );
    // A malformed line counts as an escalate in the exit status.
    assert_eq!(out.status.code(), Some(3));

    // A request file written by hand may spread a request over lines as
    // it likes; a truncated line still costs only itself.
    std::fs::write(
        d.join("by-hand.json"),
        format!(
            "{{\"action\": \"payments.refund\",\n \"args\": {{\"amount\": 100, \"currency\": \"usd\", \"charge_id\": \"c\"}},\n \"actor\": {{\"role\": \"support\", \"verified\": true}}}}\n{{\"action\": \"payments.refund\", \"args\":\n{}{{\"action\": \"payments.refund\", \"args\":\n{{\"action\":\n",
            refund(900)
        ),
    )
    .unwrap();
    let out = permit0(&d, &["eval", "refunds.p0", "-r", "by-hand.json"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    let decisions: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let got: Vec<&str> = decisions
        .iter()
        .map(|v| v["decision"].as_str().unwrap())
        .collect();
    // The input ends inside values twice over: each unfinished line gets
    // its own escalate too.
    assert_eq!(
        got,
        ["allow", "escalate", "escalate", "escalate", "escalate"],
        "{text}"
    );
    assert!(decisions[1]["reason"].as_str().unwrap().contains("line 4"));
    assert_eq!(decisions[2]["reason"], "large refunds need a human");

    // A request over the size limit escalates without being parsed.
    let huge = format!(
        "{{\"action\": \"payments.refund\", \"memo\": \"{}\"}}\n",
        "a".repeat(1 << 20)
    );
    let out = permit0(
        &d,
        &["eval", "refunds.p0"],
        Some(&[huge, refund(100)].concat()),
    );
    assert_eq!(verdicts(&out), ["escalate", "allow"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("longer than the 1 MiB limit"));

    // The same through stdin; a pretty-printed request is still one request.
    let pretty = "{\n  \"action\": \"payments.refund\",\n  \"args\": {\"amount\": 100, \"currency\": \"usd\", \"charge_id\": \"c\"},\n  \"actor\": {\"role\": \"support\", \"verified\": true}\n}\n";
    let out = permit0(&d, &["eval", "refunds.p0"], Some(pretty));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "allow");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn eval_exit_status_tells_a_script_the_verdict() {
    let d = scratch("exit");
    std::fs::write(d.join("refunds.p0"), example()).unwrap();
    let code = |input: &str| {
        permit0(&d, &["eval", "refunds.p0"], Some(input))
            .status
            .code()
    };
    assert_eq!(code(&refund(100)), Some(0), "allowed");
    assert_eq!(code(&refund(900)), Some(3), "escalated");
    assert_eq!(code(&refund(20_000)), Some(4), "denied");
    // In a batch the strictest verdict wins, whatever the order.
    assert_eq!(
        code(&[refund(20_000), refund(900), refund(100)].concat()),
        Some(4)
    );
    assert_eq!(code(&[refund(100), refund(900)].concat()), Some(3));
    // Policies that do not compile: 1, and nothing decided.
    std::fs::write(d.join("broken.p0"), "when payments.refnud then allow\n").unwrap();
    let out = permit0(&d, &["eval", "broken.p0"], Some(&refund(100)));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    // Requests that cannot be read: 2, like clap's usage errors.
    let out = permit0(&d, &["eval", "refunds.p0", "-r", "missing.jsonl"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`missing.jsonl`"));
    let out = permit0(&d, &["eval", "--no-such-flag"], None);
    assert_eq!(out.status.code(), Some(2));
    // --help documents the codes.
    let out = permit0(&d, &["eval", "--help"], None);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("Exit status") && help.contains("4  at least one request denied"),
        "{help}"
    );
}

/// Runs `permit0` with a stdin that stays open, so a command that waits
/// for input would hang: fail after `secs` instead.
fn permit0_open_stdin(dir: &Path, args: &[&str], secs: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_permit0"))
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("`permit0 {}` waited on stdin", args.join(" "));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn misplaced_arguments_are_usage_errors_not_silence() {
    let d = scratch("usage");
    std::fs::write(d.join("refunds.p0"), example()).unwrap();
    std::fs::write(d.join("requests.jsonl"), refund(100)).unwrap();
    assert!(permit0(&d, &["keygen", "ops"], None).status.success());
    assert!(permit0(
        &d,
        &[
            "build",
            "refunds.p0",
            "--key",
            "ops.key",
            "-o",
            "policy.p0b"
        ],
        None
    )
    .status
    .success());
    // A requests file given as a positional path next to --bundle: a usage
    // error that says what was meant, not a wait on stdin.
    let out = permit0_open_stdin(
        &d,
        &[
            "eval",
            "--bundle",
            "policy.p0b",
            "--trusted",
            "ops.pub",
            "requests.jsonl",
        ],
        20,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`requests.jsonl` is a policy path, but `--bundle` was given")
            && err.contains("-r requests.jsonl"),
        "{err}"
    );
    // --trusted without --bundle would check nothing.
    let out = permit0_open_stdin(
        &d,
        &[
            "eval",
            "--trusted",
            "ops.pub",
            "refunds.p0",
            "-r",
            "requests.jsonl",
        ],
        20,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("`--trusted ops.pub` is only used with `--bundle`"));
    // A bundle is never read unchecked.
    let out = permit0_open_stdin(
        &d,
        &["eval", "--bundle", "policy.p0b", "-r", "requests.jsonl"],
        20,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs `--trusted KEY.pub`"));
    // --no-stdlib cannot change a bundle.
    let out = permit0_open_stdin(
        &d,
        &[
            "eval",
            "--bundle",
            "policy.p0b",
            "--trusted",
            "ops.pub",
            "--no-stdlib",
            "-r",
            "requests.jsonl",
        ],
        20,
    );
    assert_eq!(out.status.code(), Some(2));
    // The same command written right decides.
    let out = permit0_open_stdin(
        &d,
        &[
            "eval",
            "--bundle",
            "policy.p0b",
            "--trusted",
            "ops.pub",
            "-r",
            "requests.jsonl",
        ],
        20,
    );
    assert_eq!(verdicts(&out), ["allow"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn eval_answers_each_line_as_a_co_process() {
    use std::io::{BufRead, BufReader, Write};
    let d = scratch("coprocess");
    std::fs::write(d.join("refunds.p0"), example()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_permit0"))
        .current_dir(&d)
        .args(["eval", "refunds.p0"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let wait = std::time::Duration::from_secs(60);
    // One line in, one decision out, while stdin is still open.
    stdin.write_all(refund(100).as_bytes()).unwrap();
    stdin.flush().unwrap();
    let first: serde_json::Value = serde_json::from_str(
        &rx.recv_timeout(wait)
            .expect("no decision before stdin was closed"),
    )
    .unwrap();
    assert_eq!(first["decision"], "allow");
    // A bad line is answered too, and the stream goes on.
    stdin.write_all(b"{\"action\": \"payments.ref\n").unwrap();
    stdin.flush().unwrap();
    let second: serde_json::Value = serde_json::from_str(&rx.recv_timeout(wait).unwrap()).unwrap();
    assert_eq!(second["decision"], "escalate");
    stdin.write_all(refund(20_000).as_bytes()).unwrap();
    stdin.flush().unwrap();
    let third: serde_json::Value = serde_json::from_str(&rx.recv_timeout(wait).unwrap()).unwrap();
    assert_eq!(third["decision"], "deny");
    drop(stdin);
    assert_eq!(child.wait().unwrap().code(), Some(4));
}

#[test]
fn obligations_of_every_matching_rule_of_the_verdict_are_merged() {
    let d = scratch("obligations");
    std::fs::write(
        d.join("refunds.p0"),
        r#"policy acme.refunds
when payments.refund amount > 500 then escalate "large refund" with notify = "payments-oncall", ticket
when payments.refund amount > 800 then escalate "very large refund" with notify = "cfo", page = "finance"
when payments.refund amount > 10_000 then deny "refund ceiling" with hold = "sox"
when payments.refund amount <= 500 then allow with receipt
"#,
    )
    .unwrap();
    let decide = |amount: u64, explain: bool| {
        let mut args = vec!["eval", "--no-stdlib", "refunds.p0"];
        if explain {
            args.push("--explain");
        }
        let out = permit0(&d, &args, Some(&refund(amount)));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        v
    };
    for explain in [false, true] {
        // Both escalate rules match: both rules' obligations come along;
        // for `notify`, which both set, the deciding rule's value stands.
        // `ticket`, written without a value, reads "true".
        let v = decide(900, explain);
        assert_eq!(v["decision"], "escalate");
        assert_eq!(
            v["obligations"],
            serde_json::json!({"notify": "payments-oncall", "ticket": "true", "page": "finance"}),
            "{v}"
        );
        // A deny wins: only deny rules' obligations; the escalations that
        // also matched add nothing.
        let v = decide(20_000, explain);
        assert_eq!(v["decision"], "deny");
        assert_eq!(v["obligations"], serde_json::json!({"hold": "sox"}), "{v}");
        let v = decide(100, explain);
        assert_eq!(v["decision"], "allow");
        assert_eq!(
            v["obligations"],
            serde_json::json!({"receipt": "true"}),
            "{v}"
        );
    }
}

#[test]
fn taxonomy_markdown_filters_like_the_other_formats() {
    let d = scratch("taxmd");
    let out = permit0(
        &d,
        &["taxonomy", "payments.refund", "--format", "markdown"],
        None,
    );
    assert!(out.status.success());
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("| `payments.refund` —"), "{md}");
    assert!(!md.contains("payments.transfer"), "{md}");
    assert!(!md.contains("## `email`"), "{md}");
    // A domain keeps all its actions and only them.
    let out = permit0(&d, &["taxonomy", "payments", "--format", "markdown"], None);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("payments.refund") && md.contains("payments.transfer"));
    assert!(!md.contains("## `email`"), "{md}");
    // A typo is an error in every format.
    let out = permit0(
        &d,
        &["taxonomy", "payments.refnud", "--format", "markdown"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `payments.refund`?"));
}

#[test]
fn a_folder_without_policies_is_an_error_not_an_empty_success() {
    let d = scratch("emptydir");
    std::fs::create_dir_all(d.join("polices")).unwrap();
    std::fs::write(d.join("polices/README.txt"), "not a policy").unwrap();
    assert!(permit0(&d, &["keygen", "ops"], None).status.success());
    for args in [
        &["check", "polices"][..],
        &["build", "polices", "--key", "ops.key", "-o", "p.p0b"],
        &["test", "polices"],
    ] {
        let out = permit0(&d, args, None);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("`polices` holds no policy file (`.p0`)"),
            "{args:?}: {err}"
        );
    }
    assert!(!d.join("p.p0b").exists());
}

#[test]
fn the_stdlib_ships_in_the_binary_for_test_and_build() {
    // A folder with no stdlib/ in it: the shipped copy is used.
    let d = scratch("stdlib-anywhere");
    assert!(!d.join("stdlib").exists());
    let out = permit0(&d, &["test", "stdlib"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(" passed, 0 failed"), "{text}");
    assert!(
        !text.contains(" 0 passed"),
        "the stdlib's tests must run: {text}"
    );
    assert!(permit0(&d, &["keygen", "ops"], None).status.success());
    let out = permit0(
        &d,
        &["build", "stdlib", "--key", "ops.key", "-o", "stdlib.p0b"],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same bundle as from the checkout's stdlib/ (same sources, same
    // bytes).
    let root = env!("CARGO_MANIFEST_DIR");
    let out = permit0(
        Path::new(root),
        &[
            "build",
            "stdlib",
            "--key",
            d.join("ops.key").to_str().unwrap(),
            "-o",
            d.join("checkout.p0b").to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(d.join("stdlib.p0b")).unwrap(),
        std::fs::read(d.join("checkout.p0b")).unwrap()
    );
}

#[test]
fn bench_measures_a_policy_written_before_absence_was_explicit_with_the_strict_guards() {
    let dir = scratch("bench-guards");
    std::fs::write(
        dir.join("old.p0"),
        "policy acme.old\nwhen payments.refund actor.role == \"intern\" then deny \"interns do not refund\"\nwhen payments.refund actor.role == \"support\" then allow\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("requests.jsonl"),
        "{\"action\": \"payments.refund\", \"args\": {\"amount\": 100, \"currency\": \"usd\", \"charge_id\": \"ch_1\"}, \"actor\": {\"role\": \"intern\"}}\n{\"action\": \"payments.refund\", \"args\": {\"amount\": 100, \"currency\": \"usd\", \"charge_id\": \"ch_1\"}, \"actor\": {\"role\": \"support\"}}\n",
    )
    .unwrap();
    // The policy does not compile: absence must be said.
    let out = permit0(&dir, &["check", "--no-stdlib", "old.p0"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("P0218"));
    // bench measures it as a team's fix would read, and says so.
    let out = permit0(
        &dir,
        &["bench", "--no-stdlib", "old.p0", "requests.jsonl", "--json"],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("strict guards"));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["decisions"]["deny"], 1, "{report}");
    assert_eq!(report["decisions"]["allow"], 1, "{report}");
}

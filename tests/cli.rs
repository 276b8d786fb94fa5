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
            r#"{"action": "payments.refund", "args": {"amount": 900, "currency": "usd", "charge_id": "ch_1"}, "actor": {"role": "support"}}"#,
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
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed, 0 failed"));
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
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `payments.transfer`?"));
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
    // stdlib.chains:7 escalates a refund burst; this team relaxes it for its
    // refund bot, by name.
    std::fs::write(
        d.join("team.p0"),
        "policy team.refunds\nwhen payments.refund actor.id == \"refund-bot\" then allow \"the refund bot\" overrides stdlib.chains:7\n",
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
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rule `stdlib.chains:7` to override"));
}

//! The audit trail as an auditor meets it: a team decides with a signed
//! bundle and logs every decision; the auditor verifies the log, replays it
//! against the bundle, exports it — and every way of tampering with the log
//! is caught and named.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use permit0_audit::{
    record_hash, verify, AuditLog, Config, DecisionEntry, FileSink, MemorySink, Problem,
    VerifyOptions,
};
use permit0_vm::canonical::{sha256_string, to_canonical};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn permit0(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_permit0"));
    cmd.current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdin(if stdin.is_some() {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        });
    let mut child = cmd.spawn().unwrap();
    if let Some(s) = stdin {
        let _ = child.stdin.take().unwrap().write_all(s.as_bytes());
    }
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A team's setup: a key, the example bundle, and a log of the example
/// requests decided with `--checkpoint-every 3`.
struct Team {
    dir: PathBuf,
}

impl Team {
    fn new(name: &str, eval_flags: &[&str]) -> Team {
        let dir = std::env::temp_dir().join(format!("permit0-audit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(root().join("examples/refunds.p0"), dir.join("refunds.p0")).unwrap();
        std::fs::copy(
            root().join("examples/requests.jsonl"),
            dir.join("requests.jsonl"),
        )
        .unwrap();
        let t = Team { dir };
        assert!(t.run(&["keygen", "ops"]).status.success());
        assert!(t.run(&["keygen", "mallory"]).status.success());
        let out = t.run(&[
            "build",
            "--no-stdlib",
            "refunds.p0",
            "--key",
            "ops.key",
            "-o",
            "policy.p0b",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let mut args = vec![
            "eval",
            "--bundle",
            "policy.p0b",
            "--trusted",
            "ops.pub",
            "-r",
            "requests.jsonl",
            "--audit",
            "decisions.log",
            "--key",
            "ops.key",
            "--checkpoint-every",
            "3",
        ];
        args.extend_from_slice(eval_flags);
        let out = t.run(&args);
        // Exit 4: the batch holds a deny (`permit0 eval --help`).
        assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        permit0(&self.dir, args, None)
    }

    fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("decisions.log"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Writes `lines` as a log and verifies it with ops.pub.
    fn verify_lines(&self, name: &str, lines: &[String]) -> Output {
        let mut text = lines.join("\n");
        text.push('\n');
        self.verify_text(name, &text)
    }

    fn verify_text(&self, name: &str, text: &str) -> Output {
        std::fs::write(self.dir.join(name), text).unwrap();
        self.run(&["audit", "verify", name, "--trusted", "ops.pub"])
    }
}

/// Asserts a verification failed (exit 1) and names `expect`.
fn refused(out: &Output, expect: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(expect), "expected `{expect}` in:\n{err}");
}

/// Re-hashes a record line after an edit, as an attacker without the key
/// would: the record is self-consistent again, but its successor is not.
fn rehash(line: &str) -> String {
    let mut v: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
    v.remove("hash");
    v.remove("sig");
    let body = to_canonical(&Value::Object(v.clone())).unwrap();
    v.insert(
        "hash".into(),
        Value::String(sha256_string(&record_hash(body.as_bytes()))),
    );
    serde_json::to_string(&v).unwrap()
}

#[test]
fn decide_log_verify_replay_export() {
    let t = Team::new("story", &[]);
    let lines = t.lines();
    // 7 decisions; checkpoints after every third, and the closing one.
    assert_eq!(lines.len(), 10, "{lines:#?}");
    let kinds: Vec<String> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "decision",
            "decision",
            "decision",
            "checkpoint",
            "decision",
            "decision",
            "decision",
            "checkpoint",
            "decision",
            "checkpoint"
        ]
    );
    let first: Value = serde_json::from_str(&lines[0]).unwrap();
    for field in [
        "time",
        "bundle",
        "taxonomy",
        "action_digest",
        "request",
        "decision",
        "rule",
        "reason",
        "risk",
        "session",
        "seq",
        "prev",
        "hash",
    ] {
        assert!(
            first.get(field).is_some(),
            "record lacks `{field}`: {first}"
        );
    }
    assert_eq!(first["session"], "s-1");
    assert_eq!(first["request"]["context"]["tenant"], "acme");

    let out = t.run(&["audit", "verify", "decisions.log", "--trusted", "ops.pub"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("10 records (7 decisions, 0 approvals, 3 checkpoints)"));

    let out = t.run(&[
        "audit",
        "replay",
        "decisions.log",
        "--bundle",
        "policy.p0b",
        "--trusted",
        "ops.pub",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("7 same, 0 different"),
        "{}",
        stdout(&out)
    );

    let out = t.run(&[
        "audit",
        "export",
        "decisions.log",
        "--bundle",
        "policy.p0b",
        "--trusted",
        "ops.pub",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = stdout(&out);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0]
        .starts_with("seq,time,kind,tenant,actor,session,tool,args,action,action_digest,decision"));
    assert_eq!(rows.len(), 8);
    assert!(rows[1].contains("SOC2:CC6.1;GLBA:501(b)"), "{}", rows[1]);
    let out = t.run(&[
        "audit",
        "export",
        "decisions.log",
        "--bundle",
        "policy.p0b",
        "--trusted",
        "ops.pub",
        "--format",
        "json",
    ]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 7);
    assert_eq!(json[0]["compliance"][0], "SOC2:CC6.1");
    assert_eq!(json[2]["decision"], "deny");

    // The same requests with the same bundle always give the same decisions:
    // a second log of them replays identically too.
    let out = t.run(&[
        "eval",
        "--bundle",
        "policy.p0b",
        "--trusted",
        "ops.pub",
        "-r",
        "requests.jsonl",
        "--audit",
        "again.log",
        "--key",
        "ops.key",
    ]);
    // Exit 4: the batch holds a deny (`permit0 eval --help`).
    assert_eq!(out.status.code(), Some(4));
    let out = t.run(&[
        "audit",
        "replay",
        "again.log",
        "--bundle",
        "policy.p0b",
        "--trusted",
        "ops.pub",
    ]);
    assert!(out.status.success(), "{}", stdout(&out));
}

#[test]
fn eval_puts_a_token_into_allowed_decisions_only() {
    let t = Team::new("tokens", &[]);
    let out = t.run(&[
        "eval",
        "--bundle",
        "policy.p0b",
        "--trusted",
        "ops.pub",
        "-r",
        "requests.jsonl",
        "--audit",
        "more.log",
        "--key",
        "ops.key",
    ]);
    for line in stdout(&out).lines() {
        let d: Value = serde_json::from_str(line).unwrap();
        assert_eq!(d.get("token").is_some(), d["decision"] == "allow", "{d}");
        if let Some(tok) = d.get("token") {
            assert!(tok.as_str().unwrap().starts_with("p0t1."));
        }
    }
}

#[test]
fn every_kind_of_tampering_is_caught_and_named() {
    let t = Team::new("tamper", &[]);
    let lines = t.lines();

    // An edited field.
    let mut edited = lines.clone();
    edited[1] = edited[1].replace("\"decision\":\"allow\"", "\"decision\":\"deny\"");
    assert_ne!(edited[1], lines[1]);
    refused(
        &t.verify_lines("edited.log", &edited),
        "line 2 (record 2): the record does not match its hash: it was edited",
    );

    // An edited field, re-hashed: the next record no longer follows it.
    let mut rehashed = lines.clone();
    rehashed[1] = rehash(&rehashed[1].replace("\"decision\":\"allow\"", "\"decision\":\"deny\""));
    refused(
        &t.verify_lines("rehashed.log", &rehashed),
        "line 3 (record 3): `prev` is not the hash of the record before it",
    );

    // An edited payload, re-hashed: it no longer hashes to its action digest.
    let mut payload = lines.clone();
    payload[0] = rehash(&payload[0].replace("\"amount\":900", "\"amount\":90"));
    refused(
        &t.verify_lines("payload.log", &payload),
        "line 1 (record 1): the request does not hash to the record's action digest",
    );

    // A dropped record.
    let mut dropped = lines.clone();
    dropped.remove(2);
    refused(
        &t.verify_lines("dropped.log", &dropped),
        "line 3 (record 4): record 3 is missing (found record 4): a record was dropped",
    );

    // An inserted (duplicated) record.
    let mut inserted = lines.clone();
    inserted.insert(2, lines[1].clone());
    refused(
        &t.verify_lines("inserted.log", &inserted),
        "line 3 (record 2): record 2 appears where record 3 belongs: a record was inserted or duplicated",
    );

    // A forged record inserted with the right number and `prev`, re-hashed.
    let mut forged = lines.clone();
    let mut fake: serde_json::Map<String, Value> = serde_json::from_str(&lines[2]).unwrap();
    fake.insert(
        "prev".into(),
        serde_json::from_str::<Value>(&lines[1]).unwrap()["hash"].clone(),
    );
    fake.insert("decision".into(), Value::String("allow".into()));
    forged.insert(2, rehash(&serde_json::to_string(&fake).unwrap()));
    refused(
        &t.verify_lines("forged.log", &forged),
        "line 4 (record 3): record 3 appears where record 4 belongs",
    );

    // Two records swapped.
    let mut swapped = lines.clone();
    swapped.swap(1, 2);
    refused(
        &t.verify_lines("swapped.log", &swapped),
        "line 2 (record 3): record 3 stands where record 2 belongs: records were reordered",
    );

    // The end truncated: the closing checkpoint, or more.
    let n = lines.len();
    refused(
        &t.verify_lines("cut1.log", &lines[..n - 1]),
        "line 9 (record 9): the log ends after record 9 without a closing checkpoint (signed through record 8)",
    );
    refused(
        &t.verify_lines("cut3.log", &lines[..n - 3]),
        "the log ends after record 7 without a closing checkpoint (signed through record 4)",
    );
    // …and a live log may be open, but a truncated one is still only
    // vouched for up to its last signature.
    let out = t.run(&[
        "audit",
        "verify",
        "cut1.log",
        "--trusted",
        "ops.pub",
        "--allow-open",
    ]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("open, signed through record 8"));

    // A torn last line (a crash mid-write): detected, earlier records intact.
    let text = std::fs::read_to_string(t.dir.join("decisions.log")).unwrap();
    let torn = &text[..text.len() - 40];
    let out = t.verify_text("torn.log", torn);
    refused(&out, "line 10: the last line is torn");
    assert!(stderr(&out).contains("records 1 to 9 are intact (signed through record 8)"));

    // Signed by a key the auditor does not trust.
    let out = t.run(&[
        "audit",
        "verify",
        "decisions.log",
        "--trusted",
        "mallory.pub",
    ]);
    refused(&out, "line 4 (record 4): signed by key");
    assert!(stderr(&out).contains("which is not trusted"));

    // A forged closing checkpoint after a truncation: signed by another key…
    let dir = &t.dir;
    std::fs::write(dir.join("resealed.log"), lines[..n - 3].join("\n") + "\n").unwrap();
    let mallory = permit0_compiler::bundle::parse_secret_key(
        &std::fs::read_to_string(dir.join("mallory.key")).unwrap(),
    )
    .unwrap();
    let mut log = AuditLog::open(
        FileSink::open(&dir.join("resealed.log")).unwrap(),
        mallory,
        Config::default(),
    )
    .unwrap();
    log.close().unwrap();
    drop(log);
    refused(
        &t.run(&["audit", "verify", "resealed.log", "--trusted", "ops.pub"]),
        "line 8 (record 8): signed by key",
    );
    // …or claiming the trusted key with a signature it did not make.
    let mut fake_sig = lines.clone();
    let last: serde_json::Map<String, Value> = serde_json::from_str(&lines[n - 1]).unwrap();
    let checkpoint_sig = serde_json::from_str::<Value>(&lines[3]).unwrap()["sig"].clone();
    let mut last = last;
    last.insert("sig".into(), checkpoint_sig);
    fake_sig[n - 1] = serde_json::to_string(&last).unwrap();
    refused(
        &t.verify_lines("fakesig.log", &fake_sig),
        "line 10 (record 10): the signature is invalid",
    );

    // Garbage in place of a record.
    let mut garbage = lines.clone();
    garbage[4] = "{\"v\":1,".into();
    refused(
        &t.verify_lines("garbage.log", &garbage),
        "line 5: not valid JSON",
    );
    // An empty log.
    refused(&t.verify_text("empty.log", ""), "the log holds no records");
}

#[test]
fn a_crashed_writer_resumes_and_the_log_says_so() {
    let t = Team::new("crash", &[]);
    let text = std::fs::read_to_string(t.dir.join("decisions.log")).unwrap();
    // The process died while writing the closing checkpoint.
    std::fs::write(t.dir.join("decisions.log"), &text[..text.len() - 30]).unwrap();
    refused(
        &t.run(&["audit", "verify", "decisions.log", "--trusted", "ops.pub"]),
        "the last line is torn",
    );
    // The next run cuts the torn bytes, records that, and continues the chain.
    let out = t.run(&[
        "eval",
        "--bundle",
        "policy.p0b",
        "--trusted",
        "ops.pub",
        "-r",
        "requests.jsonl",
        "--audit",
        "decisions.log",
        "--key",
        "ops.key",
    ]);
    // Exit 4: the batch holds a deny (`permit0 eval --help`).
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let out = t.run(&["audit", "verify", "decisions.log", "--trusted", "ops.pub"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("checkpoint 10 records that the writer resumed"),
        "{}",
        stdout(&out)
    );
    let resumed: Value = serde_json::from_str(&t.lines()[9]).unwrap();
    assert_eq!(resumed["resumed"]["sealed"], false);
    assert!(resumed["resumed"]["torn_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn replay_reports_every_difference() {
    let t = Team::new("replay", &[]);
    // A stricter policy, signed by the same team.
    let stricter = std::fs::read_to_string(t.dir.join("refunds.p0"))
        .unwrap()
        .replace("amount <= 500 then allow", "amount <= 200 then allow");
    std::fs::write(t.dir.join("stricter.p0"), stricter).unwrap();
    assert!(t
        .run(&[
            "build",
            "--no-stdlib",
            "stricter.p0",
            "--key",
            "ops.key",
            "-o",
            "stricter.p0b"
        ])
        .status
        .success());
    // The records name the bundle that made them.
    let out = t.run(&[
        "audit",
        "replay",
        "decisions.log",
        "--bundle",
        "stricter.p0b",
        "--trusted",
        "ops.pub",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("record 1: decided by bundle sha256:"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("7 from another bundle"));
    // Asked what the stricter bundle would have decided, replay names the
    // record and every field that changed.
    let out = t.run(&[
        "audit",
        "replay",
        "decisions.log",
        "--bundle",
        "stricter.p0b",
        "--trusted",
        "ops.pub",
        "--any-bundle",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("record 2: decision differs: logged \"allow\", replayed \"escalate\""),
        "{text}"
    );
    assert!(text.contains("record 2: rule differs"), "{text}");
    assert!(text.contains("6 same, 1 different"), "{text}");

    // A log signed with the team's key but not written by this VM (a
    // decision that the bundle does not give): replay catches it.
    let program = permit0_vm::Program::load(
        &std::fs::read(t.dir.join("policy.p0b")).unwrap(),
        &[common::test_key().verifying_key()],
    );
    assert!(
        program.is_err(),
        "the bundle is signed by the team's key, not the test key"
    );
    let key = permit0_compiler::bundle::parse_secret_key(
        &std::fs::read_to_string(t.dir.join("ops.key")).unwrap(),
    )
    .unwrap();
    let program = permit0_vm::Program::load(
        &std::fs::read(t.dir.join("policy.p0b")).unwrap(),
        &[key.verifying_key()],
    )
    .unwrap();
    let request: Value = serde_json::from_str(
        r#"{"action": "payments.refund", "args": {"amount": 900, "currency": "usd", "charge_id": "ch_1"}, "actor": {"role": "support", "verified": true}}"#,
    )
    .unwrap();
    let mut decision = common::decide(&program, request.clone());
    assert_eq!(decision["decision"], "escalate");
    decision["decision"] = "allow".into();
    let mut log = AuditLog::open(
        FileSink::open(&t.dir.join("doctored.log")).unwrap(),
        key,
        Config::default(),
    )
    .unwrap();
    log.append_decision(&DecisionEntry::from_json(&program, &request, &decision))
        .unwrap();
    log.close().unwrap();
    drop(log);
    assert!(t
        .run(&["audit", "verify", "doctored.log", "--trusted", "ops.pub"])
        .status
        .success());
    let out = t.run(&[
        "audit",
        "replay",
        "doctored.log",
        "--bundle",
        "policy.p0b",
        "--trusted",
        "ops.pub",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out)
        .contains("record 1: decision differs: logged \"allow\", replayed \"escalate\""));

    // Replay refuses a tampered log outright.
    let mut lines = t.lines();
    lines.swap(0, 1);
    std::fs::write(t.dir.join("swapped.log"), lines.join("\n") + "\n").unwrap();
    let out = t.run(&[
        "audit",
        "replay",
        "swapped.log",
        "--bundle",
        "policy.p0b",
        "--trusted",
        "ops.pub",
    ]);
    refused(&out, "records were reordered");
}

#[test]
fn a_digest_only_log_keeps_payloads_out_and_is_not_replayable() {
    let t = Team::new("nopayload", &["--no-payload"]);
    for line in t.lines() {
        assert!(
            !line.contains("\"request\"") && !line.contains("\"raw\""),
            "{line}"
        );
        assert!(!line.contains("ch_1"), "{line}");
    }
    let out = t.run(&["audit", "verify", "decisions.log", "--trusted", "ops.pub"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = t.run(&[
        "audit",
        "replay",
        "decisions.log",
        "--bundle",
        "policy.p0b",
        "--trusted",
        "ops.pub",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains(
        "record 1: not replayable: the record keeps only the action digest (no payload)"
    ));
    assert!(stdout(&out).contains("7 not replayable"));
}

#[test]
fn per_record_signing_and_time_checkpoints() {
    let key = common::test_key();
    fn clock() -> i64 {
        // Every call is 400 ms after the one before.
        use std::sync::atomic::{AtomicI64, Ordering};
        static T: AtomicI64 = AtomicI64::new(1_795_341_600_000);
        T.fetch_add(400, Ordering::Relaxed)
    }
    let entry = DecisionEntry {
        bundle: sha256_string(&[1; 32]),
        taxonomy: "t".into(),
        decision: "deny".into(),
        reason: "r".into(),
        ..DecisionEntry::default()
    };
    // Every record signed on its own: dropping the closing checkpoint still
    // leaves every record signed, but the end is still checked.
    let cfg = Config {
        sign_every_record: true,
        clock,
        ..Config::default()
    };
    let mut log = AuditLog::open(MemorySink::default(), key.clone(), cfg).unwrap();
    for _ in 0..3 {
        log.append_decision(&entry).unwrap();
    }
    log.close().unwrap();
    assert!(log.sink().lines.iter().all(|l| l.contains("\"sig\"")));
    let text = log.sink().text();
    let report = verify(
        text.as_bytes(),
        &[key.verifying_key()],
        &VerifyOptions::default(),
    )
    .unwrap();
    assert_eq!((report.decisions, report.checkpoints), (3, 1));

    // A checkpoint every second, by the clock, whatever the count.
    let cfg = Config {
        checkpoint_every: 0,
        checkpoint_interval_ms: 1_000,
        clock,
        ..Config::default()
    };
    let mut log = AuditLog::open(MemorySink::default(), key.clone(), cfg).unwrap();
    for _ in 0..6 {
        log.append_decision(&entry).unwrap();
    }
    let checkpoints = log
        .sink()
        .lines
        .iter()
        .filter(|l| l.contains("\"checkpoint\""))
        .count();
    assert!(checkpoints >= 2, "{:#?}", log.sink().lines);
    let text = log.sink().text();
    let err = verify(
        text.as_bytes(),
        &[key.verifying_key()],
        &VerifyOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err.bad.problem, Problem::Unsealed { .. }));
}

/// docs/audit.md's test vectors: request → canonical form → action digest.
#[test]
fn the_documented_digest_vectors_hold() {
    let doc = std::fs::read_to_string(root().join("docs/audit.md")).unwrap();
    let block = |tag: &str| -> Vec<String> {
        doc.split(&format!("```{tag}\n"))
            .skip(1)
            .map(|b| b.split("\n```").next().unwrap().to_string())
            .collect()
    };
    let (requests, canon, digests) = (
        block("vector-request"),
        block("vector-canonical"),
        block("vector-digest"),
    );
    assert!(requests.len() >= 3);
    assert_eq!(requests.len(), canon.len());
    assert_eq!(requests.len(), digests.len());
    let program =
        common::program(&std::fs::read_to_string(root().join("examples/refunds.p0")).unwrap());
    for ((r, c), d) in requests.iter().zip(&canon).zip(&digests) {
        let json: Value = serde_json::from_str(r).unwrap();
        let req = program.bind(&json).unwrap();
        assert_eq!(&program.canonical_request(&req).unwrap(), c, "request {r}");
        assert_eq!(
            &sha256_string(&program.action_digest(&req).unwrap()),
            d,
            "request {r}"
        );
        // The canonical form is itself canonical JSON, and a request again.
        let back: Value = serde_json::from_str(c).unwrap();
        assert_eq!(&to_canonical(&back).unwrap(), c);
        let again = program.bind(&back).unwrap();
        assert_eq!(program.action_digest(&again), program.action_digest(&req));
        let decided = common::decide(&program, json);
        assert_eq!(decided["action_digest"], d.as_str());
    }
}

#[test]
fn the_digest_ignores_the_session_and_spelling_but_not_the_payload() {
    let program =
        common::program(&std::fs::read_to_string(root().join("examples/refunds.p0")).unwrap());
    let digest = |v: Value| {
        program
            .action_digest(&program.bind(&v).unwrap())
            .map(|d| sha256_string(&d))
    };
    let base = serde_json::json!({"action": "payments.refund",
        "args": {"amount": 900, "currency": "usd", "charge_id": "ch_1"},
        "context": {"env": "prod", "time": "2026-11-22T10:00:00Z"}});
    let d = digest(base.clone());
    assert!(d.is_some());
    let mut v = base.clone();
    v["session"] = serde_json::json!({"id": "s-9"});
    assert_eq!(digest(v), d, "the session is not part of the action");
    let mut v = base.clone();
    v["context"]["env"] = "Prod".into();
    v["context"]["time"] = "2026-11-22T11:00:00+01:00".into();
    assert_eq!(digest(v), d, "the same enum member and instant");
    for (path, value) in [
        ("amount", Value::from(901)),
        ("currency", Value::from("USD")),
        ("charge_id", Value::from("ch_2")),
    ] {
        let mut v = base.clone();
        v["args"][path] = value;
        assert_ne!(digest(v), d, "{path}");
    }
    let mut v = base.clone();
    v["context"]["time"] = "2026-11-22T10:00:01Z".into();
    assert_ne!(digest(v), d, "the time is part of the context");
    let mut v = base.clone();
    v["actor"] = serde_json::json!({"id": "someone"});
    assert_ne!(digest(v), d, "the actor is part of the action");
    // An unknown action has no canonical form.
    assert_eq!(
        digest(serde_json::json!({"action": "payments.refund_all"})),
        None
    );
}

/// Session rules decide on replay as they did live: the replayer rebuilds
/// each session from the log, in order.
#[test]
fn session_decisions_replay_the_same() {
    let dir = std::env::temp_dir().join(format!("permit0-audit-sessions-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| permit0(&dir, args, None);
    assert!(run(&["keygen", "ops"]).status.success());
    // The stdlib, card-testing chain included.
    let out = run(&["build", "--key", "ops.key", "-o", "stdlib.p0b"]);
    assert!(!out.status.success(), "build needs paths");
    let out = run(&[
        "build",
        root().join("stdlib").to_str().unwrap(),
        "--key",
        "ops.key",
        "-o",
        "stdlib.p0b",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut lines = String::new();
    // Decided live: the times are the last few minutes of this machine's clock.
    let now = permit0_vm::time::now_ms();
    for c in 1..=5i64 {
        let time = permit0_vm::time::format_rfc3339_ms(now - (5 - c) * 60_000);
        lines.push_str(&format!(
            "{{\"action\": \"payments.charge\", \"args\": {{\"amount\": 100, \"currency\": \"usd\", \"customer\": \"c{c}\"}}, \"context\": {{\"time\": \"{time}\"}}, \"session\": {{\"id\": \"s-1\"}}}}\n"
        ));
    }
    std::fs::write(dir.join("requests.jsonl"), lines).unwrap();
    let out = run(&[
        "eval",
        "--bundle",
        "stdlib.p0b",
        "--trusted",
        "ops.pub",
        "-r",
        "requests.jsonl",
        "--audit",
        "decisions.log",
        "--key",
        "ops.key",
    ]);
    // Exit 4: the batch holds a deny (`permit0 eval --help`).
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stdout(&out)
        .lines()
        .last()
        .unwrap()
        .contains("card testing"));
    let out = run(&[
        "audit",
        "replay",
        "decisions.log",
        "--bundle",
        "stdlib.p0b",
        "--trusted",
        "ops.pub",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("5 same, 0 different"),
        "{}",
        stdout(&out)
    );
}

/// A log written by several `eval` runs replays as it was decided: the
/// second run starts from the sessions of the first (rebuilt from the log),
/// so the card-testing rule sees all five customers, live and on replay.
#[test]
fn sessions_carry_over_between_eval_runs_of_one_log() {
    let dir = card_testing_bundle("permit0-audit-runs", 4);
    let run = |args: &[&str]| permit0(&dir, args, None);
    // Decided live: the charges are dated a few minutes back, within the
    // clock's skew and the rule's 10-minute window.
    let now = permit0_vm::time::now_ms();
    let charge = |c: u32| {
        let time = permit0_vm::time::format_rfc3339_ms(now - 240_000 + i64::from(c) * 20_000);
        format!("{{\"action\": \"payments.charge\", \"args\": {{\"amount\": 100, \"currency\": \"usd\", \"customer\": \"c{c}\"}}, \"context\": {{\"time\": \"{time}\"}}, \"session\": {{\"id\": \"s-1\"}}}}\n")
    };
    std::fs::write(
        dir.join("first.jsonl"),
        (1..=3).map(charge).collect::<String>(),
    )
    .unwrap();
    std::fs::write(
        dir.join("second.jsonl"),
        (4..=5).map(charge).collect::<String>(),
    )
    .unwrap();
    let eval = |requests: &str| {
        run(&[
            "eval",
            "--bundle",
            "cards.p0b",
            "--trusted",
            "ops.pub",
            "-r",
            requests,
            "--audit",
            "decisions.log",
            "--key",
            "ops.key",
        ])
    };
    let out = eval("first.jsonl");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The fifth customer of the session is refused although this run saw
    // only two of them.
    let out = eval("second.jsonl");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let last = stdout(&out).lines().last().unwrap().to_string();
    assert!(last.contains("card testing"), "{last}");
    let out = run(&[
        "audit",
        "replay",
        "decisions.log",
        "--bundle",
        "cards.p0b",
        "--trusted",
        "ops.pub",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("5 same, 0 different"),
        "{}",
        stdout(&out)
    );
    // A fresh log knows no history: the same two requests are allowed.
    let out = run(&[
        "eval",
        "--bundle",
        "cards.p0b",
        "--trusted",
        "ops.pub",
        "-r",
        "second.jsonl",
        "--audit",
        "other.log",
        "--key",
        "ops.key",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A log whose writer died before its first checkpoint carries no
/// signature at all: `--allow-open` alone does not make it pass, and when
/// the reader asks for it by name the report says nothing is signed.
#[test]
fn a_log_with_nothing_signed_fails_unless_asked_for_by_name() {
    let t = Team::new("unsigned", &[]);
    // Records 1 to 3 are decisions; record 4 is the first checkpoint.
    let lines = t.lines();
    assert!(lines[3].contains("\"checkpoint\""), "{}", lines[3]);
    std::fs::write(t.dir.join("unsigned.log"), lines[..3].join("\n") + "\n").unwrap();
    let verify = |extra: &[&str]| {
        let mut args = vec!["audit", "verify", "unsigned.log", "--trusted", "ops.pub"];
        args.extend_from_slice(extra);
        t.run(&args)
    };
    let out = verify(&["--allow-open"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(err.contains("nothing in the log is signed"), "{err}");
    assert!(err.contains("--allow-unsigned"), "{err}");
    // Replay and export refuse it the same way.
    let out = t.run(&[
        "audit",
        "replay",
        "unsigned.log",
        "--bundle",
        "policy.p0b",
        "--trusted",
        "ops.pub",
        "--allow-open",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nothing in the log is signed"));
    // Asked for by name, it passes, and says so plainly.
    let out = verify(&["--allow-open", "--allow-unsigned"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("NOTHING IS SIGNED"), "{text}");
    assert!(!text.contains("signed by key"), "{text}");
    // --allow-unsigned does not accept an open log by itself.
    let out = verify(&["--allow-unsigned"]);
    assert_eq!(out.status.code(), Some(1));
    // A log with a signature is unaffected.
    let out = t.run(&["audit", "verify", "decisions.log", "--trusted", "ops.pub"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("signed by key"));
}

#[test]
fn a_scenario_log_decided_without_a_clock_replays_the_same_when_told_so() {
    let dir = card_testing_bundle("permit0-audit-offclock", 3);
    let run = |args: &[&str]| permit0(&dir, args, None);
    // A scenario with fixed times from last week: only `--max-skew off`
    // decides it as written.
    let lines: String = (1..=4)
        .map(|c| format!("{{\"action\": \"payments.charge\", \"args\": {{\"amount\": 100, \"currency\": \"usd\", \"customer\": \"c{c}\"}}, \"context\": {{\"time\": \"2026-11-22T10:0{c}:00Z\"}}, \"session\": {{\"id\": \"s-1\"}}}}\n"))
        .collect();
    std::fs::write(dir.join("scenario.jsonl"), lines).unwrap();
    let out = run(&[
        "eval",
        "--bundle",
        "cards.p0b",
        "--trusted",
        "ops.pub",
        "-r",
        "scenario.jsonl",
        "--max-skew",
        "off",
        "--audit",
        "decisions.log",
        "--key",
        "ops.key",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stdout(&out)
        .lines()
        .last()
        .unwrap()
        .contains("card testing"));
    let replay = |skew: &str| {
        run(&[
            "audit",
            "replay",
            "decisions.log",
            "--bundle",
            "cards.p0b",
            "--trusted",
            "ops.pub",
            "--max-skew",
            skew,
        ])
    };
    let out = replay("off");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("4 same, 0 different"),
        "{}",
        stdout(&out)
    );
    // Checked against the logged times instead, the week-old requests are
    // refused, so replay reports what differs rather than agreeing silently.
    let out = replay("300");
    assert!(!out.status.success(), "{}", stdout(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A scratch folder holding `ops.key`/`ops.pub` and `cards.p0b`: a signed
/// bundle that denies the `distinct`-th small charge to another customer of
/// one session within 10 minutes ("card testing") and allows other small
/// charges.
fn card_testing_bundle(name: &str, distinct: u32) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| permit0(&dir, args, None);
    assert!(run(&["keygen", "ops"]).status.success());
    std::fs::write(
        dir.join("cards.p0"),
        format!("policy acme.cards\nwhen payments.charge amount < 200 and session.distinct(payments.charge.customer where amount < 200, 10m) >= {distinct}\n  then deny \"card testing\"\nwhen payments.charge amount < 200 then allow\n"),
    )
    .unwrap();
    let out = run(&[
        "build",
        "--no-stdlib",
        "cards.p0",
        "--key",
        "ops.key",
        "-o",
        "cards.p0b",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

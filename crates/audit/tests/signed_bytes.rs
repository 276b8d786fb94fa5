//! What permit0 signs, byte for byte. An auditor holds logs and an executor
//! holds tokens written by older builds; both must keep verifying, and the
//! same facts must keep producing the same bytes. `tests/golden/` holds a log
//! of every record kind and a set of tokens, written by the build before the
//! record and token writers were folded into `canonical::Object`; this build
//! must verify them, read them back, and write exactly the same bytes again.
//! Regenerate with `BLESS=1` only for a deliberate format change, and say so
//! in docs/audit.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ed25519_dalek::SigningKey;
use permit0_audit::token::{decode, issue, Basis, Claims};
use permit0_audit::{
    verify, ApprovalEntry, AuditLog, Config, DecisionEntry, FileSink, Payload, VerifyOptions,
};
use permit0_vm::canonical::{digest_canonical, is_canonical, sha256_string, to_canonical};
use serde_json::{json, Value};
use std::path::PathBuf;

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// 2026-11-22T10:00:00.123Z, always: the fixture does not depend on the day.
fn clock() -> i64 {
    1_795_341_600_123
}

/// A request's canonical form, as `canonical_request` would write it: keys
/// out of every order, non-ASCII keys, escapes, a big integer.
fn request_text() -> String {
    to_canonical(&json!({
        "tool": {"name": "gmail_send", "args": {"to": ["a@x.com"], "bcc": "\u{e9}ve@x.com", "\u{1F600}": 1, "\u{FB33}": -2}},
        "context": {"time": 1_795_341_600_000i64},
        "args": {"subject": "Q\"3\"\nreport\t\u{1}\u{7f}\u{2028}/", "amount": 18_446_744_073_709_551_615u64},
        "actor": {},
        "action": "email.send"
    }))
    .unwrap()
}

/// Every shape a decision record takes: a full payload, no canonical form
/// (the request as received), no risk, no rule, a session, hostile text.
fn entries() -> Vec<DecisionEntry> {
    let req = request_text();
    vec![
        DecisionEntry {
            bundle: sha256_string(&[1; 32]),
            taxonomy: "2026.11.1".into(),
            action: Some("email.send".into()),
            action_digest: Some(sha256_string(&digest_canonical(req.as_bytes()))),
            request: Some(req),
            raw: None,
            decision: "allow".into(),
            rule: Some("acme.mail:1".into()),
            reason: "internal mail \"ok\"\n\u{200B}é".into(),
            risk: Some((12, "low".into())),
            session: Some("s-1".into()),
            ..DecisionEntry::default()
        },
        DecisionEntry {
            bundle: sha256_string(&[1; 32]),
            taxonomy: "2026.11.1".into(),
            action: Some("paymnts.refund".into()),
            action_digest: None,
            request: None,
            raw: Some("{\"action\": \"paymnts.refund\", \"args\": {\"amount\": 1.5}}".into()),
            decision: "escalate".into(),
            rule: None,
            reason: "unknown action `paymnts.refund`".into(),
            risk: None,
            session: None,
            ..DecisionEntry::default()
        },
        DecisionEntry {
            bundle: sha256_string(&[1; 32]),
            taxonomy: "2026.11.1".into(),
            action: None,
            action_digest: None,
            request: None,
            raw: None,
            decision: "deny".into(),
            rule: Some("stdlib.chains:4".into()),
            reason: "\u{0}\u{8}\u{c}\r\\".into(),
            risk: Some((0, "minimal".into())),
            session: Some("\u{1F600}".into()),
            ..DecisionEntry::default()
        },
    ]
}

fn approval() -> ApprovalEntry {
    ApprovalEntry {
        record: 2,
        record_hash: [3; 32],
        approver: "alice \"the approver\"".into(),
        nonce: "ab".repeat(16),
        expires_ms: 1_795_341_900_123,
    }
}

/// The log: batched records with a checkpoint every 2, an approval, a
/// crash (a torn line) and the reopened writer's `resumed` checkpoint,
/// then per-record signing and a digest-only record, then the closing
/// checkpoint.
fn write_log() -> String {
    let path =
        std::env::temp_dir().join(format!("permit0-signed-bytes-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let batched = Config {
        checkpoint_every: 2,
        checkpoint_interval_ms: 0,
        clock,
        ..Config::default()
    };
    let mut log = AuditLog::open(FileSink::open(&path).unwrap(), key(), batched).unwrap();
    for e in &entries() {
        log.append_decision(e).unwrap();
    }
    log.append_approval(&approval()).unwrap();
    std::mem::forget(log); // a crash: no closing checkpoint
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"v\":1,\"seq\":7,\"ki").unwrap();
    }
    let per_record = Config {
        sign_every_record: true,
        checkpoint_every: 0,
        checkpoint_interval_ms: 0,
        clock,
        ..Config::default()
    };
    let mut log = AuditLog::open(FileSink::open(&path).unwrap(), key(), per_record).unwrap();
    log.append_decision(&entries()[0]).unwrap();
    log.close().unwrap();
    drop(log);
    let digest_only = Config {
        payload: Payload::DigestOnly,
        checkpoint_every: 0,
        checkpoint_interval_ms: 0,
        clock,
        ..Config::default()
    };
    let mut log = AuditLog::open(FileSink::open(&path).unwrap(), key(), digest_only).unwrap();
    log.append_decision(&entries()[0]).unwrap();
    log.append_decision(&entries()[1]).unwrap();
    log.close().unwrap();
    drop(log);
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    text
}

fn claims() -> Vec<Claims> {
    let base = Claims {
        action: "payments.refund".into(),
        action_digest: sha256_string(&[1; 32]),
        bundle: sha256_string(&[2; 32]),
        rule: Some("p:3".into()),
        basis: Basis::Allowed,
        issued_ms: 1_795_341_600_123,
        expires_ms: 1_795_341_900_123,
        single_use: true,
        max_amount: None,
        nonce: "00".repeat(16),
        key: String::new(),
        record: None,
    };
    vec![
        base.clone(),
        Claims {
            rule: None,
            basis: Basis::Approved {
                approver: "bob \u{e9}\n".into(),
            },
            single_use: false,
            max_amount: Some(-5),
            record: Some(sha256_string(&[4; 32])),
            nonce: "ff".repeat(16),
            ..base
        },
    ]
}

fn write_tokens() -> String {
    let mut out = String::new();
    for mut c in claims() {
        out.push_str(&issue(&mut c, &key()));
        out.push('\n');
    }
    out
}

fn check_golden(name: &str, now: &str) {
    let path = golden(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, now).unwrap();
    }
    let old = std::fs::read_to_string(&path).unwrap();
    assert!(
        old == now,
        "the bytes of `{name}` changed: a log or token written before no longer \
         matches what this build writes. If deliberate, document it in docs/audit.md \
         and run with BLESS=1.\nold:\n{old}\nnew:\n{now}"
    );
}

#[test]
fn records_are_written_byte_for_byte_as_before() {
    check_golden("records-v1.log", &write_log());
}

#[test]
fn tokens_are_written_byte_for_byte_as_before() {
    check_golden("tokens-v1.txt", &write_tokens());
}

#[test]
fn an_old_log_still_verifies() {
    let old = std::fs::read(golden("records-v1.log")).unwrap();
    let report = verify(&old, &[key().verifying_key()], &VerifyOptions::default()).unwrap();
    assert!(report.closed);
    assert_eq!(report.decisions, 6);
    assert_eq!(report.approvals, 1);
    assert_eq!(report.resumed.len(), 1, "the crash is on record");
}

#[test]
fn old_tokens_still_decode_to_the_same_claims() {
    let old = std::fs::read_to_string(golden("tokens-v1.txt")).unwrap();
    let mut expected = claims();
    let trusted = [key().verifying_key()];
    let lines: Vec<&str> = old.lines().collect();
    assert_eq!(lines.len(), expected.len());
    for (t, c) in lines.into_iter().zip(&mut expected) {
        let _ = issue(c, &key()); // sets the key id
        assert_eq!(&decode(t, &trusted).unwrap(), c);
    }
}

/// A record's line is its canonical body with `hash` and `sig` appended:
/// parsing a line, dropping the two and writing it canonically again gives
/// back the first bytes of the line, and writing that again changes nothing.
#[test]
fn every_record_is_a_fixpoint_of_the_canonical_writer() {
    let old = std::fs::read_to_string(golden("records-v1.log")).unwrap();
    for line in old.lines() {
        let mut v: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
        v.remove("hash");
        v.remove("sig");
        let body = to_canonical(&Value::Object(v)).unwrap();
        let body_open = body.strip_suffix('}').unwrap();
        assert!(line.starts_with(body_open), "not canonical: {line}");
        assert!(line[body_open.len()..].starts_with(",\"hash\":"), "{line}");
        let again = to_canonical(&serde_json::from_str(&body).unwrap()).unwrap();
        assert_eq!(again, body);
    }
}

/// A token's payload is canonical JSON as the writer writes it: decoded and
/// written again, it is the same bytes (and the signature covers those).
#[test]
fn every_token_payload_is_a_fixpoint_of_the_canonical_writer() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use base64::Engine as _;
    let old = std::fs::read_to_string(golden("tokens-v1.txt")).unwrap();
    for t in old.lines() {
        let payload = t.strip_prefix("p0t1.").unwrap().split('.').next().unwrap();
        let text = String::from_utf8(B64.decode(payload).unwrap()).unwrap();
        assert!(is_canonical(&text), "{text}");
        let again = to_canonical(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(again, text);
    }
}

//! Capability tokens as an executor meets them: a token redeems exactly the
//! request it was issued for, once, before it expires, under the bundle that
//! decided — and every variant is refused with its reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use permit0_audit::token::{
    decode, issue, verify_token, Basis, Claims, MemorySpent, SpentNonces, TokenError,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn permit0(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_permit0"))
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const SMALL: &str = r#"{"action": "payments.refund", "args": {"amount": 300, "currency": "usd", "charge_id": "ch_2"}, "actor": {"id": "agent_7", "role": "support", "verified": true}, "context": {"env": "prod", "time": "2026-11-22T10:00:00Z"}}"#;
const BIG: &str = r#"{"action": "payments.refund", "args": {"amount": 900, "currency": "usd", "charge_id": "ch_1"}, "actor": {"id": "agent_7", "role": "support", "verified": true}, "context": {"env": "prod", "time": "2026-11-22T10:00:00Z"}, "session": {"id": "s-1"}}"#;

struct Executor {
    dir: PathBuf,
}

impl Executor {
    fn new(name: &str) -> Executor {
        let dir = std::env::temp_dir().join(format!("permit0-token-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let src = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/refunds.p0"),
        )
        .unwrap();
        std::fs::write(dir.join("refunds.p0"), &src).unwrap();
        std::fs::write(
            dir.join("stricter.p0"),
            src.replace("amount <= 500 then allow", "amount <= 400 then allow"),
        )
        .unwrap();
        // `eval` decides live: the requests are dated by this machine's
        // clock (a minute ago), the later one four minutes after that.
        let now = permit0_vm::time::now_ms();
        let at = |ms: i64| permit0_vm::time::format_rfc3339_ms(ms);
        let small = SMALL.replace("2026-11-22T10:00:00Z", &at(now - 60_000));
        let big = BIG.replace("2026-11-22T10:00:00Z", &at(now - 60_000));
        std::fs::write(dir.join("small.json"), &small).unwrap();
        std::fs::write(dir.join("big.json"), big).unwrap();
        std::fs::write(
            dir.join("small-301.json"),
            small.replace("\"amount\": 300", "\"amount\": 301"),
        )
        .unwrap();
        std::fs::write(
            dir.join("small-later.json"),
            SMALL.replace("2026-11-22T10:00:00Z", &at(now + 180_000)),
        )
        .unwrap();
        let e = Executor { dir };
        for args in [
            &["keygen", "ops"][..],
            &["keygen", "mallory"],
            &[
                "build",
                "refunds.p0",
                "--key",
                "ops.key",
                "-o",
                "policy.p0b",
            ],
            &[
                "build",
                "stricter.p0",
                "--key",
                "ops.key",
                "-o",
                "stricter.p0b",
            ],
        ] {
            let out = e.run(args);
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
        e
    }

    fn run(&self, args: &[&str]) -> Output {
        permit0(&self.dir, args)
    }

    /// `permit0 eval` of one request file with `--key key`; the decision.
    fn eval(&self, request: &str, key: &str, extra: &[&str]) -> Value {
        let mut args = vec![
            "eval",
            "--bundle",
            "policy.p0b",
            "--trusted",
            "ops.pub",
            "-r",
            request,
            "--key",
            key,
        ];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let d: Value = serde_json::from_slice(&out.stdout).unwrap();
        // The exit status tells the verdict: 0 allow, 3 escalate, 4 deny.
        let code = match d["decision"].as_str() {
            Some("allow") => 0,
            Some("escalate") => 3,
            _ => 4,
        };
        assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
        d
    }

    fn verify(&self, token: &str, request: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "token",
            "verify",
            token,
            "--bundle",
            "policy.p0b",
            "--trusted",
            "ops.pub",
            "--request",
            request,
            "--spent",
            "spent.txt",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

fn refused(out: &Output, expect: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(expect), "expected `{expect}` in:\n{err}");
}

fn accepted(out: &Output) {
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("ok: the token authorizes this payments.refund request"));
}

#[test]
fn an_allowed_decision_carries_a_token_that_redeems_exactly_once() {
    let x = Executor::new("once");
    let d = x.eval("small.json", "ops.key", &[]);
    assert_eq!(d["decision"], "allow");
    let token = d["token"].as_str().unwrap().to_string();
    accepted(&x.verify(&token, "small.json", &[]));
    refused(
        &x.verify(&token, "small.json", &[]),
        "is single-use and was already redeemed",
    );
    // An escalated decision carries none.
    assert!(x.eval("big.json", "ops.key", &[]).get("token").is_none());
}

#[test]
fn every_variant_of_a_token_or_its_request_is_refused() {
    let x = Executor::new("variants");
    let d = x.eval("small.json", "ops.key", &[]);
    let token = d["token"].as_str().unwrap().to_string();
    let (payload, sig) = token
        .strip_prefix("p0t1.")
        .unwrap()
        .split_once('.')
        .unwrap();

    // A flipped bit in the signature.
    let mut bytes = B64.decode(sig).unwrap();
    bytes[10] ^= 0x01;
    let flipped = format!("p0t1.{payload}.{}", B64.encode(&bytes));
    refused(
        &x.verify(&flipped, "small.json", &[]),
        "the token's signature is invalid",
    );
    // A flipped bit in the payload: the expiry pushed a day later.
    let claims: Value = serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap();
    let exp = claims["exp"].as_i64().unwrap();
    let later = String::from_utf8(B64.decode(payload).unwrap())
        .unwrap()
        .replace(&exp.to_string(), &(exp + 86_400_000).to_string());
    let extended = format!("p0t1.{}.{sig}", B64.encode(later));
    refused(
        &x.verify(&extended, "small.json", &[]),
        "the token's signature is invalid",
    );
    // Not a token at all; a truncated one.
    refused(
        &x.verify("hello", "small.json", &[]),
        "does not start with `p0t1.`",
    );
    refused(
        &x.verify(&token[..token.len() - 5], "small.json", &[]),
        "not a valid permit0 token",
    );
    // Expired.
    refused(
        &x.verify(&token, "small.json", &["--now", "2100-01-01T00:00:00Z"]),
        "the token expired at",
    );
    // Another payload: one minor unit more, or the same refund five minutes
    // later.
    for other in ["small-301.json", "small-later.json", "big.json"] {
        refused(
            &x.verify(&token, other, &[]),
            "the request is not the approved one: its action digest is sha256:",
        );
    }
    // Another bundle than the one that decided.
    refused(
        &x.run(&[
            "token",
            "verify",
            &token,
            "--bundle",
            "stricter.p0b",
            "--trusted",
            "ops.pub",
            "--request",
            "small.json",
        ]),
        "the token was issued under bundle sha256:",
    );
    // Signed by a key the executor does not trust.
    let forged = x.eval("small.json", "mallory.key", &[]);
    refused(
        &x.verify(forged["token"].as_str().unwrap(), "small.json", &[]),
        "which is not trusted",
    );
    // None of the refusals spent the token.
    accepted(&x.verify(&token, "small.json", &[]));
}

#[test]
fn a_human_approves_an_escalation_and_gets_a_bounded_token() {
    let x = Executor::new("approve");
    let out = x.run(&[
        "eval",
        "--bundle",
        "policy.p0b",
        "--trusted",
        "ops.pub",
        "-r",
        "big.json",
        "--audit",
        "decisions.log",
        "--key",
        "ops.key",
    ]);
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["decision"], "escalate");
    let approve = |record: &str, extra: &[&str]| {
        let mut args = vec![
            "token",
            "approve",
            "--log",
            "decisions.log",
            "--record",
            record,
            "--approver",
            "alice@acme.com",
            "--key",
            "ops.key",
            "--trusted",
            "ops.pub",
        ];
        args.extend_from_slice(extra);
        x.run(&args)
    };
    // The checkpoint is not a decision; there is no record 9.
    refused(&approve("2", &[]), "record 2 is not an escalated decision");
    refused(&approve("9", &[]), "the log has no record 9");
    let out = approve("1", &["--max-amount", "1000"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_string();
    let out = x.verify(&token, "big.json", &[]);
    accepted(&out);
    assert!(text(&out.stdout).contains("approved by alice@acme.com, rule payments.refunds:1"));
    // Approved once only.
    refused(
        &approve("1", &[]),
        "record 1 was already approved (record 3)",
    );
    // The approval is in the log, signed; the log still verifies and exports.
    let out = x.run(&["audit", "verify", "decisions.log", "--trusted", "ops.pub"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("1 decisions, 1 approvals"));
    let out = x.run(&[
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
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[1]["decision"], "approved");
    assert_eq!(rows[1]["approver"], "alice@acme.com");
    assert_eq!(rows[1]["action_digest"], d["action_digest"]);
}

#[test]
fn an_approval_that_could_never_be_redeemed_is_refused_before_it_is_logged() {
    let x = Executor::new("limit");
    x.run(&[
        "eval",
        "--bundle",
        "policy.p0b",
        "--trusted",
        "ops.pub",
        "-r",
        "big.json",
        "--audit",
        "decisions.log",
        "--key",
        "ops.key",
    ]);
    let log = || std::fs::read(x.dir.join("decisions.log")).unwrap();
    let before = log();
    let approve = |approver: &str, extra: &[&str]| {
        let mut args = vec![
            "token",
            "approve",
            "--log",
            "decisions.log",
            "--record",
            "1",
            "--approver",
            approver,
            "--key",
            "ops.key",
            "--trusted",
            "ops.pub",
        ];
        args.extend_from_slice(extra);
        x.run(&args)
    };
    // The refund is 900: a limit of 500 would burn the approval.
    let out = approve("bob", &["--max-amount", "500"]);
    refused(
        &out,
        "`--max-amount 500` is below the request's amount of 900",
    );
    assert!(out.stdout.is_empty(), "no token");
    // Nobody approves anonymously.
    for blank in ["", "   "] {
        let out = approve(blank, &[]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("`--approver` is empty"));
        assert!(out.stdout.is_empty());
    }
    assert_eq!(log(), before, "a refused approval writes nothing");
    // So the record can still be approved, with a limit it meets.
    let out = approve("bob", &["--max-amount", "900"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    accepted(&x.verify(text(&out.stdout).trim(), "big.json", &[]));
}

const MAIL: &str = r#"
tool gmail_send -> email.send {
  to = emails(args.to)
  subject = args.subject
  body = args.body
}
when email.send then allow
"#;

#[test]
fn a_raw_tool_call_token_binds_the_raw_arguments_too() {
    let p = common::program(MAIL);
    let key = common::test_key();
    let call = |args: Value| json!({"tool": "gmail_send", "args": args, "context": {"org_domain": "acme.com"}});
    let sent = call(json!({"to": "b@acme.com", "subject": "hi", "body": "lunch?"}));
    let req = p.bind(&sent).unwrap();
    let d = p.decide(&req);
    let mut claims =
        Claims::for_decision(&p, &req, &d, Basis::Allowed, 1_000, 60_000, [5; 16]).unwrap();
    let token = issue(&mut claims, &key);
    let trusted = [key.verifying_key()];
    let mut spent = MemorySpent::default();
    // A raw argument the mapping ignores still changes what would run.
    let smuggled = p
        .bind(&call(
            json!({"to": "b@acme.com", "subject": "hi", "body": "lunch?", "bcc": "eve@rival.example"}),
        ))
        .unwrap();
    assert!(matches!(
        verify_token(&token, &trusted, &p, &smuggled, 2_000, &mut spent),
        Err(TokenError::DigestMismatch { .. })
    ));
    assert_eq!(
        verify_token(&token, &trusted, &p, &req, 2_000, &mut spent).unwrap(),
        claims
    );
    assert_eq!(
        verify_token(&token, &trusted, &p, &req, 2_000, &mut spent),
        Err(TokenError::AlreadyUsed(claims.nonce.clone()))
    );
    // A token is only for what it says: an allow cannot be "approved", an
    // escalation cannot be "allowed".
    assert!(Claims::for_decision(
        &p,
        &req,
        &d,
        Basis::Approved {
            approver: "x".into()
        },
        0,
        1,
        [0; 16]
    )
    .is_none());
    assert_eq!(decode(&token, &[]), Err(TokenError::UnknownKey(claims.key)));
}

#[test]
fn the_spent_file_remembers_across_executors() {
    let dir = std::env::temp_dir().join(format!("permit0-spent-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("spent.txt");
    let mut a = permit0_audit::token::FileSpent::open(&path).unwrap();
    assert_eq!(a.spend("n1", 5), Ok(true));
    let mut b = permit0_audit::token::FileSpent::open(&path).unwrap();
    assert_eq!(b.spend("n1", 5), Ok(false));
    assert_eq!(b.spend("n2", 5), Ok(true));
}

//! `permit0 token verify` (the executor's check of a capability token
//! against the request in hand) and `permit0 token approve` (a human
//! approves an escalated decision from the audit log and gets its token).

use super::audit::{find_record, nonce, read_secret_key, verified_for_approval};
use super::common::{load_program, trusted_keys};
use permit0_audit::token::{
    issue, verify_token, Basis, Claims, FileSpent, MemorySpent, SpentNonces,
};
use permit0_audit::{ApprovalEntry, AuditLog, Config, FileSink};
use permit0_vm::canonical::sha256_string;
use permit0_vm::time::{format_rfc3339_ms, now_ms, parse_rfc3339};
use serde_json::Value as Json;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(clap::Subcommand)]
pub enum TokenCommand {
    /// Check a token against the request about to run; exit 1 with the
    /// reason when it does not authorize exactly that request
    Verify(VerifyArgs),
    /// Approve an escalated decision of the audit log: appends a signed
    /// approval record and prints the token
    Approve(ApproveArgs),
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The token (`p0t1.…`), or `-` to read it from stdin
    pub token: String,
    /// The request about to run (JSON file, `-` for stdin)
    #[arg(long)]
    pub request: PathBuf,
    /// The bundle the token was issued under
    #[arg(long)]
    pub bundle: PathBuf,
    /// Public keys trusted to sign tokens and the bundle
    #[arg(long, required = true)]
    pub trusted: Vec<PathBuf>,
    /// File of redeemed single-use tokens (created if absent); without it a
    /// single-use token is not remembered after this run
    #[arg(long)]
    pub spent: Option<PathBuf>,
    /// Check as of this RFC 3339 time instead of now
    #[arg(long)]
    pub now: Option<String>,
}

#[derive(clap::Args)]
pub struct ApproveArgs {
    /// The audit log holding the escalated decision
    #[arg(long)]
    pub log: PathBuf,
    /// The decision record's number (`seq`)
    #[arg(long)]
    pub record: u64,
    /// Who approves (recorded in the log and the token)
    #[arg(long)]
    pub approver: String,
    /// Signing key for the approval record and the token
    #[arg(long)]
    pub key: PathBuf,
    /// Public keys trusted to have signed the log
    #[arg(long, required = true)]
    pub trusted: Vec<PathBuf>,
    /// Lifetime of the token, in seconds
    #[arg(long, default_value_t = 900)]
    pub ttl: u64,
    /// The most the request's `amount` may be when the token is redeemed
    #[arg(long)]
    pub max_amount: Option<i64>,
}

pub fn run(args: Args) -> ExitCode {
    let r = match args.command {
        TokenCommand::Verify(a) => run_verify(a),
        TokenCommand::Approve(a) => run_approve(a),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn read_arg(path: &std::path::Path) -> Result<String, String> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
    } else {
        text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    }
    Ok(text)
}

fn run_verify(a: VerifyArgs) -> Result<ExitCode, String> {
    let keys = trusted_keys(&a.trusted)?;
    let program = load_program(Some(&a.bundle), &a.trusted, &[], false)?;
    let token = if a.token == "-" {
        read_arg(std::path::Path::new("-"))?
    } else {
        a.token.clone()
    };
    let text = read_arg(&a.request)?;
    let json: Json = serde_json::from_str(text.trim())
        .map_err(|e| format!("`{}` is not a JSON request: {e}", a.request.display()))?;
    let now = match &a.now {
        Some(t) => parse_rfc3339(t).ok_or_else(|| format!("`{t}` is not an RFC 3339 time"))?,
        None => now_ms(),
    };
    let req = match program.bind(&json) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: token refused: the request cannot be bound: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let mut memory = MemorySpent::default();
    let mut file;
    let spent: &mut dyn SpentNonces = match &a.spent {
        Some(p) => {
            file = FileSpent::open(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
            &mut file
        }
        None => &mut memory,
    };
    match verify_token(token.trim(), &keys, &program, &req, now, spent) {
        Ok(c) => {
            let basis = match &c.basis {
                Basis::Allowed => "allowed by the policy".to_string(),
                Basis::Approved { approver } => format!("approved by {approver}"),
            };
            outln!(
                "ok: the token authorizes this {} request ({basis}, rule {}), action digest {}, until {}",
                c.action,
                c.rule.as_deref().unwrap_or("none"),
                c.action_digest,
                format_rfc3339_ms(c.expires_ms)
            );
            if c.single_use && a.spent.is_none() {
                eprintln!("  note: single use is not remembered without --spent FILE");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: token refused: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn run_approve(a: ApproveArgs) -> Result<ExitCode, String> {
    // An approval names who approved; a blank name approves anonymously.
    if a.approver.trim().is_empty() {
        return Err(
            "`--approver` is empty: name who approves (it is logged and put into the token)".into(),
        );
    }
    let key = read_secret_key(&a.key)?;
    let (bytes, report) = match verified_for_approval(&a.log, &a.trusted) {
        Ok(x) => x,
        Err(Ok(code)) => return Ok(code),
        Err(Err(e)) => return Err(e),
    };
    let refuse = |msg: String| {
        eprintln!("error: {msg}");
        Ok(ExitCode::from(1))
    };
    let Some((rec, hash)) = find_record(&bytes, a.record) else {
        return refuse(format!("the log has no record {}", a.record));
    };
    let s = |k: &str| rec.get(k).and_then(Json::as_str).map(str::to_string);
    if s("kind").as_deref() != Some("decision") || s("decision").as_deref() != Some("escalate") {
        return refuse(format!(
            "record {} is not an escalated decision; only escalations are approved",
            a.record
        ));
    }
    if a.record > report.sealed_through {
        return refuse(format!(
            "record {} is not yet covered by a signature (the log is signed through record {}); approve it once it is sealed",
            a.record, report.sealed_through
        ));
    }
    let already = permit0_audit::records(&bytes).into_iter().find(|(_, r)| {
        r.get("kind").and_then(Json::as_str) == Some("approval")
            && r.get("record").and_then(Json::as_u64) == Some(a.record)
    });
    if let Some((_, r)) = already {
        return refuse(format!(
            "record {} was already approved (record {})",
            a.record,
            r.get("seq").and_then(Json::as_u64).unwrap_or(0)
        ));
    }
    let (Some(action), Some(digest), Some(bundle)) = (s("action"), s("action_digest"), s("bundle"))
    else {
        return refuse(format!(
            "record {} has no action digest (the bundle could not type the request), so no token can bind it",
            a.record
        ));
    };
    // A limit the request already exceeds would burn the approval: the
    // token could never be redeemed, and the record cannot be approved
    // twice. Refuse it before anything is written.
    if let Some(max) = a.max_amount {
        let amount = rec
            .get("request")
            .and_then(|r| r.get("args"))
            .and_then(|args| args.get("amount"));
        match amount.map(Json::as_i64) {
            Some(Some(amount)) if amount > max => {
                return refuse(format!(
                    "`--max-amount {max}` is below the request's amount of {amount}: the token could never be redeemed; approve with a limit of at least {amount}, or without one"
                ));
            }
            Some(Some(_)) => {}
            Some(None) => {
                return refuse(format!(
                    "record {}'s `amount` is not an integer, so `--max-amount` cannot be checked against it",
                    a.record
                ))
            }
            None if rec.get("request").is_none() => {
                return refuse(format!(
                    "record {} keeps no request (a digest-only log), so `--max-amount` cannot be checked against its amount; approve without a limit",
                    a.record
                ))
            }
            None => {
                return refuse(format!(
                    "record {}'s request has no `amount`, so a token limited by `--max-amount` could never be redeemed; approve without a limit",
                    a.record
                ))
            }
        }
    }
    let now = now_ms();
    let ttl = i64::try_from(a.ttl.saturating_mul(1_000)).unwrap_or(i64::MAX);
    let mut claims = Claims {
        action,
        action_digest: digest,
        bundle,
        rule: s("rule"),
        basis: Basis::Approved {
            approver: a.approver.clone(),
        },
        issued_ms: now,
        expires_ms: now.saturating_add(ttl),
        single_use: true,
        max_amount: a.max_amount,
        nonce: permit0_vm::hex(&nonce()?),
        key: String::new(),
        record: Some(sha256_string(&hash)),
    };
    let token = issue(&mut claims, &key);
    let sink =
        FileSink::open(&a.log).map_err(|e| format!("cannot open `{}`: {e}", a.log.display()))?;
    let mut log = AuditLog::open(sink, key, Config::default())
        .map_err(|e| format!("`{}`: {e}", a.log.display()))?;
    let appended = log
        .append_approval(&ApprovalEntry {
            record: a.record,
            record_hash: hash,
            approver: a.approver,
            nonce: claims.nonce.clone(),
            expires_ms: claims.expires_ms,
        })
        .and_then(|_| log.close())
        .map_err(|e| format!("cannot append to `{}`: {e}", a.log.display()))?;
    eprintln!(
        "approved record {} (approval logged; log closed at record {}); token valid until {}",
        a.record,
        appended.seq,
        format_rfc3339_ms(claims.expires_ms)
    );
    outln!("{token}");
    Ok(ExitCode::SUCCESS)
}

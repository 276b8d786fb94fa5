//! `permit0 audit verify | replay | export`, and the `--audit`/`--key` hook
//! that `permit0 eval` calls once per decision.

use super::common::{load_program, trusted_keys};
use permit0::Authorizer;
use permit0_audit::replay::{request_of, Replayed, Replayer};
use permit0_audit::token::{issue, Basis, Claims};
use permit0_audit::{
    records, verify, AuditLog, Config, DecisionEntry, FileSink, Payload, Report, VerifyOptions,
};
use permit0_compiler::bundle::parse_secret_key;
use permit0_session as session;
use permit0_session::SessionStore;
use permit0_vm::canonical::parse_sha256;
use permit0_vm::Program;
use serde_json::{json, Map, Value as Json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

// ---------------------------------------------------------------------------
// The eval hook

/// `permit0 eval` flags for the audit log and capability tokens.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct EvalArgs {
    /// Append a hash-chained, signed record of every decision to this log;
    /// sessions start from the log's earlier records (docs/audit.md)
    #[arg(long, value_name = "LOG", requires = "key")]
    pub audit: Option<PathBuf>,
    /// Signing key for the log and for the `"token"` of allowed decisions
    #[arg(long, value_name = "K.key")]
    pub key: Option<PathBuf>,
    /// Keep only each request's digest in the log, not the request
    #[arg(long, requires = "audit")]
    pub no_payload: bool,
    /// Sign a checkpoint after this many records (1 signs every record)
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub checkpoint_every: u64,
    /// Lifetime of issued tokens, in seconds
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub token_ttl: u64,
}

/// Logs decisions and adds tokens to allowed ones, for one `eval` run.
pub struct EvalAudit {
    log: Option<AuditLog<FileSink>>,
    key: ed25519_dalek::SigningKey,
    ttl_ms: i64,
}

pub fn read_secret_key(path: &Path) -> Result<ed25519_dalek::SigningKey, String> {
    std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| parse_secret_key(&t))
        .map_err(|e| format!("`{}`: {e}", path.display()))
}

pub fn nonce() -> Result<[u8; 16], String> {
    let mut n = [0u8; 16];
    getrandom::fill(&mut n).map_err(|e| format!("no randomness available: {e}"))?;
    Ok(n)
}

impl EvalAudit {
    /// `None` when neither `--audit` nor `--key` was given. When the log
    /// already holds records (an earlier `eval` run), `sessions` is rebuilt
    /// from them first, the way `audit replay` rebuilds it, so a session
    /// rule decides across runs as it does within one and replay agrees.
    pub fn open(
        args: &EvalArgs,
        auth: &Authorizer,
        max_skew: super::eval::MaxSkew,
    ) -> Result<Option<EvalAudit>, String> {
        let Some(key_path) = &args.key else {
            return Ok(None);
        };
        let key = read_secret_key(key_path)?;
        let log = match &args.audit {
            None => None,
            Some(path) => {
                rebuild_sessions(path, &auth.program(), auth.store().as_ref(), max_skew)?;
                let sink = FileSink::open(path)
                    .map_err(|e| format!("cannot open `{}`: {e}", path.display()))?;
                let cfg = Config {
                    sign_every_record: args.checkpoint_every == 1,
                    checkpoint_every: args.checkpoint_every,
                    payload: if args.no_payload {
                        Payload::DigestOnly
                    } else {
                        Payload::Full
                    },
                    ..Config::default()
                };
                Some(
                    AuditLog::open(sink, key.clone(), cfg)
                        .map_err(|e| format!("`{}`: {e}", path.display()))?,
                )
            }
        };
        Ok(Some(EvalAudit {
            log,
            key,
            ttl_ms: i64::try_from(args.token_ttl.saturating_mul(1_000)).unwrap_or(i64::MAX),
        }))
    }

    /// Logs one decision (`request` is the request JSON, or the text of a
    /// line that was not JSON) and puts a token into an allowed decision.
    pub fn record(
        &mut self,
        program: &Program,
        request: Result<&Json, &str>,
        out: &mut Json,
    ) -> Result<(), String> {
        let mut record_hash = None;
        if let Some(log) = &mut self.log {
            let entry = match request {
                Ok(r) => DecisionEntry::from_json(program, r, out),
                Err(text) => DecisionEntry {
                    raw: Some(text.to_string()),
                    ..DecisionEntry::from_json(program, &Json::Null, out)
                },
            };
            let a = log
                .append_decision(&entry)
                .map_err(|e| format!("cannot append to the audit log: {e}"))?;
            record_hash = Some(permit0_vm::canonical::sha256_string(&a.hash));
        }
        let s = |k: &str| out.get(k).and_then(Json::as_str).map(str::to_string);
        let (Some("allow"), Some(digest), Some(action), Some(bundle)) = (
            s("decision").as_deref(),
            s("action_digest"),
            s("action"),
            s("bundle"),
        ) else {
            return Ok(());
        };
        let now = permit0_vm::time::now_ms();
        let mut claims = Claims {
            action,
            action_digest: digest,
            bundle,
            rule: s("rule"),
            basis: Basis::Allowed,
            issued_ms: now,
            expires_ms: now.saturating_add(self.ttl_ms),
            single_use: true,
            max_amount: None,
            nonce: permit0_vm::hex(&nonce()?),
            key: String::new(),
            record: record_hash,
        };
        let token = issue(&mut claims, &self.key);
        if let Some(obj) = out.as_object_mut() {
            obj.insert("token".into(), Json::String(token));
        }
        Ok(())
    }

    /// Writes the closing checkpoint.
    pub fn close(mut self) -> Result<(), String> {
        if let Some(log) = &mut self.log {
            log.close()
                .map_err(|e| format!("cannot close the audit log: {e}"))?;
        }
        Ok(())
    }
}

/// Feeds every earlier decision record of the log at `path` (if any) into
/// `sessions`, in log order, as [`Replayer`] does. Records kept without
/// their payload (`--no-payload`) cannot be fed: a note says how many.
fn rebuild_sessions(
    path: &Path,
    program: &Program,
    sessions: &dyn SessionStore,
    max_skew: super::eval::MaxSkew,
) -> Result<(), String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read `{}`: {e}", path.display())),
    };
    let mut without_payload = 0u64;
    for (_, rec) in records(&bytes) {
        if rec.get("kind").and_then(Json::as_str) != Some("decision") {
            continue;
        }
        match request_of(&rec) {
            Ok(r) => {
                // As replay does: the record's logged time is the clock, so
                // a request refused live for its time is left out again.
                let clock = max_skew.logged(
                    rec.get("time")
                        .and_then(Json::as_str)
                        .and_then(permit0_vm::time::parse_rfc3339),
                );
                if let Ok(mut req) = program.bind(&r) {
                    let _ = session::observe(program, sessions, &mut req, clock, true);
                }
            }
            Err(_) => {
                if rec.get("raw").is_none() {
                    without_payload += 1;
                }
            }
        }
    }
    if without_payload > 0 {
        eprintln!(
            "note: {without_payload} earlier record(s) of `{}` keep no payload; their sessions' history is not rebuilt",
            path.display()
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// permit0 audit …

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Check every record's hash, chain position, signature and payload
    /// digest; exit 1 naming the first bad record
    Verify(VerifyArgs),
    /// Re-decide every record against the bundle that made it; exit 1 on
    /// any difference
    Replay(ReplayArgs),
    /// Write the decisions (with each action's compliance mappings) as CSV
    /// or JSON
    Export(ExportArgs),
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    pub log: PathBuf,
    /// Public keys trusted to sign the log
    #[arg(long, required = true)]
    pub trusted: Vec<PathBuf>,
    /// Accept a log still being written (no closing checkpoint yet)
    #[arg(long)]
    pub allow_open: bool,
    /// Accept a log that no signature covers at all (with --allow-open: a
    /// writer that crashed before its first checkpoint); the report says
    /// plainly that nothing is signed
    #[arg(long)]
    pub allow_unsigned: bool,
}

#[derive(clap::Args)]
pub struct ReplayArgs {
    pub log: PathBuf,
    /// The bundle that made the decisions
    #[arg(long)]
    pub bundle: PathBuf,
    /// Public keys trusted to sign the log and the bundle
    #[arg(long, required = true)]
    pub trusted: Vec<PathBuf>,
    /// Also re-decide records made by other bundles ("what would this bundle
    /// have decided?")
    #[arg(long)]
    pub any_bundle: bool,
    /// The `--max-skew` the log was decided with (`eval`'s default 300);
    /// each request's time is checked against its record's logged time
    #[arg(long, value_name = "SECONDS|off", default_value = "300", value_parser = super::eval::parse_max_skew)]
    pub max_skew: super::eval::MaxSkew,
    /// Accept a log still being written
    #[arg(long)]
    pub allow_open: bool,
    /// Accept a log that no signature covers at all (with --allow-open: a
    /// writer that crashed before its first checkpoint); the report says
    /// plainly that nothing is signed
    #[arg(long)]
    pub allow_unsigned: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    pub log: PathBuf,
    /// A bundle whose taxonomy gives each action's compliance mappings
    #[arg(long)]
    pub bundle: PathBuf,
    /// Public keys trusted to sign the log and the bundle
    #[arg(long, required = true)]
    pub trusted: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Write each request's digest in the `args` column instead of its
    /// arguments
    #[arg(long)]
    pub no_payload: bool,
    /// Accept a log still being written
    #[arg(long)]
    pub allow_open: bool,
    /// Accept a log that no signature covers at all (with --allow-open: a
    /// writer that crashed before its first checkpoint); the report says
    /// plainly that nothing is signed
    #[arg(long)]
    pub allow_unsigned: bool,
}

pub fn run(args: Args) -> ExitCode {
    let r = match args.command {
        AuditCommand::Verify(a) => run_verify(a),
        AuditCommand::Replay(a) => run_replay(a),
        AuditCommand::Export(a) => run_export(a),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Reads and verifies a log; `Err(Ok(code))` when verification failed (and
/// was reported), `Err(Err(msg))` on a usage or I/O error.
fn verified_log(
    log: &Path,
    trusted: &[PathBuf],
    allow_open: bool,
    allow_unsigned: bool,
) -> Result<(Vec<u8>, Report), Result<ExitCode, String>> {
    let keys = trusted_keys(trusted).map_err(Err)?;
    let bytes =
        std::fs::read(log).map_err(|e| Err(format!("cannot read `{}`: {e}", log.display())))?;
    match verify(&bytes, &keys, &VerifyOptions { allow_open }) {
        // A log that no signature covers proves nothing about who wrote it:
        // its chain can be rewritten by anyone who can write the file.
        Ok(r) if r.sealed_through == 0 && !allow_unsigned => {
            eprintln!(
                "error: {}: nothing in the log is signed ({} records, no signature covers any of them): anyone who can write the file could have written it",
                log.display(),
                r.records
            );
            eprintln!("  help: pass `--allow-unsigned` to read an unsigned log anyway");
            Err(Ok(ExitCode::from(1)))
        }
        Ok(r) => Ok((bytes, r)),
        Err(f) => {
            eprintln!("error: {}: {}", log.display(), f.bad);
            if f.report.records > 0 {
                eprintln!(
                    "  note: records 1 to {} are intact{}",
                    f.report.last_seq,
                    if f.report.sealed_through > 0 {
                        format!(" (signed through record {})", f.report.sealed_through)
                    } else {
                        String::new()
                    }
                );
            }
            Err(Ok(ExitCode::from(1)))
        }
    }
}

fn run_verify(a: VerifyArgs) -> Result<ExitCode, String> {
    let r = match verified_log(&a.log, &a.trusted, a.allow_open, a.allow_unsigned) {
        Ok((_, r)) => r,
        Err(code) => return code,
    };
    outln!(
        "ok: {}: {} records ({} decisions, {} approvals, {}{} checkpoints), {}, {}; head {}",
        a.log.display(),
        r.records,
        r.decisions,
        r.approvals,
        if r.events > 0 {
            format!("{} denials, grants, grant uses and redemptions, ", r.events)
        } else {
            String::new()
        },
        r.checkpoints,
        if r.sealed_through == 0 {
            "NOTHING IS SIGNED (no signature covers any record)".to_string()
        } else {
            format!("signed by key {}", r.keys.join(", "))
        },
        if r.closed {
            "closed".to_string()
        } else {
            format!("open, signed through record {}", r.sealed_through)
        },
        r.head
    );
    for seq in &r.resumed {
        outln!("  note: checkpoint {seq} records that the writer resumed after the log was left unclosed (a crash)");
    }
    Ok(ExitCode::SUCCESS)
}

fn run_replay(a: ReplayArgs) -> Result<ExitCode, String> {
    let (bytes, _) = match verified_log(&a.log, &a.trusted, a.allow_open, a.allow_unsigned) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let program = load_program(Some(&a.bundle), &a.trusted, &[], false)?;
    let mut replayer = match a.max_skew.0 {
        Some(ms) => Replayer::new(program, a.any_bundle).with_max_skew(ms),
        None => Replayer::new(program, a.any_bundle).unchecked(),
    };
    let program = replayer.program();
    let (mut same, mut differ, mut other, mut none) = (0u64, 0u64, 0u64, 0u64);
    for (_, rec) in records(&bytes) {
        if rec.get("kind").and_then(Json::as_str) != Some("decision") {
            continue;
        }
        let seq = rec.get("seq").and_then(Json::as_u64).unwrap_or(0);
        match replayer.replay(&rec) {
            Replayed::Same => same += 1,
            Replayed::Differs(diffs) => {
                differ += 1;
                for d in diffs {
                    outln!(
                        "record {seq}: {} differs: logged {}, replayed {}",
                        d.field,
                        d.logged,
                        d.replayed
                    );
                }
            }
            Replayed::OtherBundle(b) => {
                other += 1;
                outln!(
                    "record {seq}: decided by bundle {b}, not {} (pass that bundle, or --any-bundle to compare)",
                    program.digest_string()
                );
            }
            Replayed::NotReplayable(why) => {
                none += 1;
                outln!("record {seq}: not replayable: {why}");
            }
        }
    }
    outln!(
        "replayed {} decisions against {}: {same} same, {differ} different, {other} from another bundle, {none} not replayable",
        same + differ + other + none,
        program.digest_string()
    );
    Ok(if differ + other + none == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

const COLUMNS: [&str; 23] = [
    "seq",
    "time",
    "kind",
    "tenant",
    "actor",
    "session",
    "tool",
    "args",
    "action",
    "action_digest",
    "decision",
    "rule",
    "reason",
    "risk_score",
    "risk_tier",
    "bundle",
    "taxonomy",
    "compliance",
    "approver",
    "approval",
    "grant",
    "nonce",
    "hash",
];

/// The arguments a decision record holds: the tool call's as the agent
/// sent them (a raw call), else the action's typed arguments; with
/// `no_payload` (or a record kept without its payload), the request's
/// digest instead.
fn export_args(src: &Map<String, Json>, no_payload: bool) -> Json {
    let req = src.get("request");
    let args = req
        .and_then(|r| r.pointer("/tool/args"))
        .or_else(|| req.and_then(|r| r.get("args")))
        .or_else(|| src.get("raw"));
    match args {
        Some(a) if !no_payload => a.clone(),
        _ => src.get("action_digest").cloned().unwrap_or(Json::Null),
    }
}

fn export_row(
    program: &Program,
    rec: &Map<String, Json>,
    approved: Option<&Map<String, Json>>,
    no_payload: bool,
) -> Map<String, Json> {
    // An approval's or event's row carries the facts of the decision it
    // concerns; its own fields (approver, tenant, …) win.
    let src = approved.unwrap_or(rec);
    let own = |k: &str| {
        rec.get(k)
            .filter(|v| !v.is_null())
            .or_else(|| src.get(k))
            .cloned()
            .unwrap_or(Json::Null)
    };
    let g = |m: &Map<String, Json>, k: &str| m.get(k).cloned().unwrap_or(Json::Null);
    let risk = |k: &str| {
        src.get("risk")
            .and_then(|r| r.get(k))
            .cloned()
            .unwrap_or(Json::Null)
    };
    let compliance: Vec<Json> = src
        .get("action")
        .and_then(Json::as_str)
        .and_then(|a| program.action_id(a))
        .map(|id| {
            program
                .action_compliance(id)
                .iter()
                .map(|c| Json::String(c.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let mut row = Map::new();
    row.insert("seq".into(), g(rec, "seq"));
    row.insert("time".into(), g(rec, "time"));
    row.insert("kind".into(), g(rec, "kind"));
    row.insert("tenant".into(), own("tenant"));
    row.insert("actor".into(), g(src, "actor"));
    row.insert("session".into(), g(src, "session"));
    let tool = src
        .get("tool")
        .filter(|t| t.is_string())
        .or_else(|| src.get("request").and_then(|r| r.pointer("/tool/name")))
        .cloned()
        .unwrap_or(Json::Null);
    row.insert("tool".into(), tool);
    row.insert("args".into(), export_args(src, no_payload));
    row.insert("action".into(), own("action"));
    row.insert("action_digest".into(), own("action_digest"));
    let decision = match rec.get("kind").and_then(Json::as_str) {
        Some("approval") => json!("approved"),
        Some("denial") => json!("denied"),
        Some("grant") => json!("granted"),
        Some("grant_revocation") => json!("grant revoked"),
        Some("grant_use") => json!("allowed by grant"),
        Some("redemption") => json!("redeemed"),
        _ => g(rec, "decision"),
    };
    row.insert("decision".into(), decision);
    row.insert("rule".into(), g(src, "rule"));
    row.insert("reason".into(), g(src, "reason"));
    row.insert("risk_score".into(), risk("score"));
    row.insert("risk_tier".into(), risk("tier"));
    row.insert("bundle".into(), g(src, "bundle"));
    row.insert("taxonomy".into(), g(src, "taxonomy"));
    row.insert("compliance".into(), Json::Array(compliance));
    row.insert("approver".into(), g(rec, "approver"));
    row.insert("approval".into(), g(rec, "approval"));
    row.insert("grant".into(), g(rec, "grant"));
    row.insert("nonce".into(), g(rec, "nonce"));
    row.insert("hash".into(), g(rec, "hash"));
    row
}

fn csv_field(v: &Json) -> String {
    let s = match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect::<Vec<_>>()
            .join(";"),
        other => other.to_string(),
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn run_export(a: ExportArgs) -> Result<ExitCode, String> {
    let (bytes, _) = match verified_log(&a.log, &a.trusted, a.allow_open, a.allow_unsigned) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let program = load_program(Some(&a.bundle), &a.trusted, &[], false)?;
    let all = records(&bytes);
    let by_seq = |seq: &Json| {
        all.iter()
            .map(|(_, r)| r)
            .find(|r| r.get("seq") == Some(seq))
    };
    let mut rows = Vec::new();
    for (_, rec) in &all {
        match rec.get("kind").and_then(Json::as_str) {
            Some("decision") => rows.push(export_row(&program, rec, None, a.no_payload)),
            Some(k) if k == "approval" || permit0_audit::EVENT_KINDS.contains(&k) => {
                let decided = rec.get("record").and_then(by_seq);
                rows.push(export_row(&program, rec, decided, a.no_payload));
            }
            _ => {}
        }
    }
    match a.format {
        Format::Json => {
            let v = Json::Array(rows.into_iter().map(Json::Object).collect());
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        Format::Csv => {
            outln!("{}", COLUMNS.join(","));
            for row in rows {
                let line: Vec<String> = COLUMNS
                    .iter()
                    .map(|c| csv_field(row.get(*c).unwrap_or(&Json::Null)))
                    .collect();
                outln!("{}", line.join(","));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The decision record `seq` of a verified log, and its hash.
pub fn find_record(bytes: &[u8], seq: u64) -> Option<(Map<String, Json>, [u8; 32])> {
    records(bytes).into_iter().find_map(|(_, r)| {
        if r.get("seq").and_then(Json::as_u64) == Some(seq) {
            let h = r
                .get("hash")
                .and_then(Json::as_str)
                .and_then(parse_sha256)?;
            Some((r, h))
        } else {
            None
        }
    })
}

/// Verifies a log for `token approve`: the approval must rest on a record
/// covered by a signature.
pub fn verified_for_approval(
    log: &Path,
    trusted: &[PathBuf],
) -> Result<(Vec<u8>, Report), Result<ExitCode, String>> {
    verified_log(log, trusted, true, false)
}

//! Decisions in, a hash-chained, signed, append-only log out — and
//! [`verify`], which walks such a log back and names the first bad record.
//!
//! Each record is one line of JSON. Its hash is
//! `sha256("permit0/record/v1\n" || canonical JSON of the record without
//! "hash" and "sig")`, and it carries the hash of the record before it in
//! `prev`, so a record cannot change, vanish or move without breaking the
//! chain. Records are signed with ed25519 one by one, or — cheaper — sealed
//! in batches by signed checkpoints (every N records or T milliseconds, and a
//! closing checkpoint on [`AuditLog::close`]); a checkpoint's signature
//! covers everything before it through the chain. A log that does not end in
//! a closing checkpoint was truncated, or its writer stopped without closing.
//! The format is specified in docs/audit.md.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use permit0_vm::canonical::{
    canonical_value, digest_canonical, parse_sha256, sha256_string, Canonical, Object,
};
use permit0_vm::Request;
use permit0_vm::{hex, key_id, Program};
use permit0_vm::{Decision, Outcome};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Prefixed to a record's canonical bytes before hashing.
pub const RECORD_DOMAIN: &[u8] = b"permit0/record/v1\n";
/// The record format version (`"v"`).
pub const FORMAT: u64 = 1;
/// The `prev` of the first record.
pub const GENESIS: [u8; 32] = [0; 32];

/// `sha256(RECORD_DOMAIN || body)`.
pub fn record_hash(body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(RECORD_DOMAIN);
    h.update(body);
    h.finalize().into()
}

// ---------------------------------------------------------------------------
// What a decision record holds

/// The facts of one decision, ready to be appended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecisionEntry {
    /// `sha256:…` of the bundle that decided.
    pub bundle: String,
    pub taxonomy: String,
    /// The canonical action, or the name asked for when the bundle does not
    /// know it.
    pub action: Option<String>,
    /// `sha256:…`; `None` when the request has no canonical form.
    pub action_digest: Option<String>,
    /// The request's canonical form, as [`Program::canonical_request`]
    /// writes it. The record embeds it as it is (debug builds check it is
    /// canonical); other text makes a record whose hash no verifier
    /// reproduces.
    pub request: Option<String>,
    /// The request as received, when it has no canonical form (an unknown
    /// action, a request that could not be bound).
    pub raw: Option<String>,
    pub decision: String,
    pub rule: Option<String>,
    pub reason: String,
    /// Risk score and tier.
    pub risk: Option<(u64, String)>,
    pub session: Option<String>,
    /// The tool the agent called (`"tool"` of a raw call), when it named one.
    pub tool: Option<String>,
    /// `actor.id` of the request.
    pub actor: Option<String>,
    /// The tenant that asked (the decision service sets it from the API key).
    pub tenant: Option<String>,
}

impl DecisionEntry {
    /// The entry for a bound request and its decision. `raw` is the request
    /// as received, kept only when the request has no canonical form.
    pub fn new(program: &Program, req: &Request, d: &Decision, raw: Option<&str>) -> Self {
        let request = program.canonical_request(req);
        let action = d
            .action
            .and_then(|a| program.action_name(a))
            .map(str::to_string)
            .or_else(|| Some(req.asked().to_string()));
        DecisionEntry {
            bundle: program.digest_string(),
            taxonomy: program.info().taxonomy_version.clone(),
            action,
            action_digest: request
                .as_deref()
                .map(|c| sha256_string(&digest_canonical(c.as_bytes()))),
            raw: if request.is_none() {
                raw.map(str::to_string)
            } else {
                None
            },
            request,
            decision: d.verdict.name().to_string(),
            rule: d
                .rule()
                .and_then(|r| program.rule_id(r))
                .map(str::to_string),
            reason: program.reason(d, Some(req)),
            risk: d
                .action
                .map(|_| (u64::from(d.score), d.tier.name().to_string())),
            session: req.session_id().map(str::to_string),
            tool: None,
            actor: None,
            tenant: None,
        }
    }

    /// The entry for a request (as received) and the decision JSON it got
    /// (docs/language.md's shape) — the path of `permit0 eval`, which logs exactly
    /// what it printed.
    pub fn from_json(program: &Program, request: &Json, decision: &Json) -> Self {
        // What cannot be read as a decision is logged as the escalate that
        // `eval` gives such input.
        let outcome = Outcome::from_json(decision).unwrap_or_else(|e| {
            Outcome::escalate(
                format!("unreadable decision: {e}"),
                None,
                &program.digest_string(),
            )
        });
        DecisionEntry::from_outcome(program, request, &outcome)
    }

    /// The entry for a request (as received) and its [`Outcome`]: the path
    /// of every caller that holds the outcome itself (the decision service).
    pub fn from_outcome(program: &Program, request: &Json, outcome: &Outcome) -> Self {
        let request_canon = program
            .bind(request)
            .ok()
            .and_then(|r| program.canonical_request(&r));
        DecisionEntry {
            bundle: program.digest_string(),
            taxonomy: program.info().taxonomy_version.clone(),
            action: outcome.action.clone(),
            action_digest: request_canon
                .as_deref()
                .map(|c| sha256_string(&digest_canonical(c.as_bytes()))),
            raw: if request_canon.is_none() {
                Some(serde_json::to_string(request).unwrap_or_default())
            } else {
                None
            },
            request: request_canon,
            decision: outcome.verdict.name().to_string(),
            rule: outcome.rule.clone(),
            reason: outcome.reason.clone(),
            risk: outcome
                .risk
                .as_ref()
                .map(|r| (u64::from(r.score), r.tier.name().to_string())),
            session: request
                .get("session")
                .and_then(|x| x.get("id"))
                .and_then(Json::as_str)
                .map(str::to_string),
            tool: request
                .get("tool")
                .and_then(Json::as_str)
                .map(str::to_string),
            actor: request
                .get("actor")
                .and_then(|x| x.get("id"))
                .and_then(Json::as_str)
                .map(str::to_string),
            tenant: None,
        }
    }
}

/// The kinds of [`EventEntry`]: what a person decided (`denial`, `grant`,
/// `grant_revocation` — signed one by one and synced, like an approval)
/// and what the service did on such a decision (`grant_use`, `redemption`
/// — sealed by the next checkpoint, like a decision).
pub const EVENT_KINDS: &[&str] = &[
    "denial",
    "grant",
    "grant_revocation",
    "grant_use",
    "redemption",
];

/// Event kinds a person caused: signed one by one.
pub const SIGNED_EVENT_KINDS: &[&str] = &["denial", "grant", "grant_revocation"];

/// Names an event's facts may not take (the record's own fields).
const RESERVED: &[&str] = &[
    "hash",
    "key",
    "kind",
    "prev",
    "record",
    "record_hash",
    "seq",
    "sig",
    "time",
    "v",
];

/// Something that happened to an escalation after its decision record: a
/// human's denial or grant, a grant's use, a token's redemption.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventEntry {
    /// One of [`EVENT_KINDS`].
    pub kind: &'static str,
    /// The `seq` and hash of the decision record it concerns, when known.
    pub record: Option<(u64, [u8; 32])>,
    /// Its facts, as text (`approver`, `grant`, `action`, `nonce`, …); a
    /// `None` is left out.
    pub text: Vec<(&'static str, Option<String>)>,
    /// Its facts, as integers (`expires_ms`, `max_amount`, …).
    pub ints: Vec<(&'static str, Option<i64>)>,
}

/// A human's approval of an escalated decision (see [`crate::token`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalEntry {
    /// The `seq` of the approved decision record, and its hash.
    pub record: u64,
    pub record_hash: [u8; 32],
    pub approver: String,
    /// The nonce and expiry of the token issued for it.
    pub nonce: String,
    pub expires_ms: i64,
}

// ---------------------------------------------------------------------------
// Record bodies, written by the one canonical writer (`canonical::Object`)

fn seq_i64(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn decision_body(
    e: &DecisionEntry,
    seq: u64,
    prev: &[u8; 32],
    time: &str,
    key: Option<&str>,
    payload: bool,
) -> Canonical {
    let mut b = Object::with_capacity(
        512 + e.request.as_ref().map_or(0, String::len) + e.raw.as_ref().map_or(0, String::len),
        18,
    );
    b.opt_str("action", e.action.as_deref())
        .opt_str("action_digest", e.action_digest.as_deref())
        .str("bundle", &e.bundle)
        .str("decision", &e.decision)
        .str("kind", "decision")
        .str("prev", &sha256_string(prev))
        .str("reason", &e.reason)
        .opt_str("rule", e.rule.as_deref())
        .int("seq", seq_i64(seq))
        .opt_str("session", e.session.as_deref())
        .str("taxonomy", &e.taxonomy)
        .str("time", time)
        .int("v", FORMAT as i64);
    if let Some(k) = key {
        b.str("key", k);
    }
    // Left out when absent, so a record without them is written byte for
    // byte as before they existed.
    for (k, v) in [
        ("tool", &e.tool),
        ("actor", &e.actor),
        ("tenant", &e.tenant),
    ] {
        if let Some(v) = v {
            b.str(k, v);
        }
    }
    if payload {
        if let Some(raw) = &e.raw {
            b.str("raw", raw);
        }
        if let Some(req) = &e.request {
            b.canonical("request", req);
        }
    }
    match &e.risk {
        Some((score, tier)) => {
            let mut r = Object::with_capacity(32, 2);
            r.uint("score", *score).str("tier", tier);
            b.object("risk", r)
        }
        None => b.null("risk"),
    };
    b.finish()
}

/// What a reopened log found at its end, recorded in the first checkpoint
/// written after the reopen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resumed {
    /// Whether the log ended in a closing checkpoint.
    pub sealed: bool,
    /// Bytes of a torn last line that were cut off, and their sha256.
    pub torn: Option<(u64, [u8; 32])>,
}

fn checkpoint_body(
    seq: u64,
    prev: &[u8; 32],
    time: &str,
    key: &str,
    final_: bool,
    resumed: Option<&Resumed>,
) -> Canonical {
    let mut b = Object::with_capacity(256, 9);
    b.bool("final", final_)
        .str("key", key)
        .str("kind", "checkpoint")
        .str("prev", &sha256_string(prev))
        .int("seq", seq_i64(seq))
        .str("time", time)
        .int("v", FORMAT as i64);
    if let Some(r) = resumed {
        let mut o = Object::with_capacity(96, 3);
        o.bool("sealed", r.sealed)
            .uint("torn_bytes", r.torn.map_or(0, |t| t.0))
            .opt_str(
                "torn_sha256",
                r.torn.map(|(_, h)| sha256_string(&h)).as_deref(),
            );
        b.object("resumed", o);
    }
    b.finish()
}

fn approval_body(a: &ApprovalEntry, seq: u64, prev: &[u8; 32], time: &str, key: &str) -> Canonical {
    let mut b = Object::with_capacity(384, 11);
    b.str("approver", &a.approver)
        .int("exp", a.expires_ms)
        .str("key", key)
        .str("kind", "approval")
        .str("nonce", &a.nonce)
        .str("prev", &sha256_string(prev))
        .int("record", seq_i64(a.record))
        .str("record_hash", &sha256_string(&a.record_hash))
        .int("seq", seq_i64(seq))
        .str("time", time)
        .int("v", FORMAT as i64);
    b.finish()
}

fn event_body(
    e: &EventEntry,
    seq: u64,
    prev: &[u8; 32],
    time: &str,
    key: Option<&str>,
) -> Canonical {
    let mut b = Object::with_capacity(384, 8 + e.text.len() + e.ints.len());
    b.str("kind", e.kind)
        .str("prev", &sha256_string(prev))
        .int("seq", seq_i64(seq))
        .str("time", time)
        .int("v", FORMAT as i64);
    if let Some(k) = key {
        b.str("key", k);
    }
    if let Some((record, hash)) = &e.record {
        b.int("record", seq_i64(*record))
            .str("record_hash", &sha256_string(hash));
    }
    for (k, v) in &e.text {
        if let (false, Some(v)) = (RESERVED.contains(k), v) {
            b.str(k, v);
        }
    }
    for (k, v) in &e.ints {
        if let (false, Some(v)) = (RESERVED.contains(k), v) {
            b.int(k, *v);
        }
    }
    b.finish()
}

/// The line for a body: the body with its hash (and signature) appended.
fn seal_line(body: &Canonical, hash: &[u8; 32], sig: Option<&Signature>) -> String {
    let body = body.as_str();
    let mut line = String::with_capacity(body.len() + 200);
    line.push_str(body.strip_suffix('}').unwrap_or(body));
    line.push_str(",\"hash\":\"");
    line.push_str(&sha256_string(hash));
    line.push('"');
    if let Some(s) = sig {
        line.push_str(",\"sig\":\"");
        line.push_str(&B64.encode(s.to_bytes()));
        line.push('"');
    }
    line.push('}');
    line
}

// ---------------------------------------------------------------------------
// Sinks

/// Where records go. The default is [`FileSink`], an append-only JSON-lines
/// file; a database can take its place by implementing this trait.
pub trait Sink {
    /// What the store holds already: its last complete record (to continue
    /// the chain) and any torn trailing bytes, which the sink removes.
    fn resume(&mut self) -> io::Result<Tail>;
    /// Appends one record (a line of JSON without its newline).
    fn append(&mut self, line: &str) -> io::Result<()>;
    /// Makes everything appended so far durable.
    fn sync(&mut self) -> io::Result<()>;
}

/// The end of an existing log.
#[derive(Clone, Debug, Default)]
pub struct Tail {
    pub last: Option<String>,
    /// Bytes after the last newline (a write cut short by a crash), removed.
    pub torn: Option<Vec<u8>>,
}

/// Records in memory: for tests and benches.
#[derive(Clone, Debug, Default)]
pub struct MemorySink {
    pub lines: Vec<String>,
}

impl MemorySink {
    /// The log as the file sink would hold it.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            s.push_str(l);
            s.push('\n');
        }
        s
    }
}

impl Sink for MemorySink {
    fn resume(&mut self) -> io::Result<Tail> {
        Ok(Tail {
            last: self.lines.last().cloned(),
            torn: None,
        })
    }
    fn append(&mut self, line: &str) -> io::Result<()> {
        self.lines.push(line.to_string());
        Ok(())
    }
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An append-only JSON-lines file. Each record is written with one
/// `write` of the line and its newline (the file is opened in append mode);
/// [`Sink::sync`] calls `fsync` (`sync_data`), which the log does at every
/// checkpoint and on close.
pub struct FileSink {
    file: std::fs::File,
    buf: Vec<u8>,
}

impl FileSink {
    /// Opens (or creates) a log file for appending.
    pub fn open(path: &Path) -> io::Result<FileSink> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        Ok(FileSink {
            file,
            buf: Vec::with_capacity(1024),
        })
    }
}

impl Sink for FileSink {
    fn resume(&mut self) -> io::Result<Tail> {
        let len = self.file.metadata()?.len();
        if len == 0 {
            return Ok(Tail::default());
        }
        // Read backwards in growing windows until the window holds the
        // newline before the last complete line (or the whole file).
        let mut window: u64 = 64 * 1024;
        loop {
            let start = len.saturating_sub(window);
            self.file.seek(SeekFrom::Start(start))?;
            let mut bytes = Vec::new();
            (&self.file).take(len - start).read_to_end(&mut bytes)?;
            let cut = bytes.iter().rposition(|b| *b == b'\n');
            let (complete, torn) = match cut {
                Some(i) => (bytes.get(..i).unwrap_or(&[]), bytes.get(i + 1..)),
                None => (&[][..], Some(&bytes[..])),
            };
            let torn = torn.filter(|t| !t.is_empty()).map(<[u8]>::to_vec);
            let prev_nl = complete.iter().rposition(|b| *b == b'\n');
            if prev_nl.is_none() && start > 0 {
                window = window.saturating_mul(4);
                continue;
            }
            let last_bytes = match prev_nl {
                Some(i) => complete.get(i + 1..).unwrap_or(&[]),
                None => complete,
            };
            let last = if cut.is_some() {
                Some(String::from_utf8_lossy(last_bytes).into_owned())
            } else {
                None
            };
            if let Some(t) = &torn {
                self.file.set_len(len - t.len() as u64)?;
                self.file.sync_data()?;
            }
            self.file.seek(SeekFrom::End(0))?;
            return Ok(Tail { last, torn });
        }
    }

    fn append(&mut self, line: &str) -> io::Result<()> {
        self.buf.clear();
        self.buf.extend_from_slice(line.as_bytes());
        self.buf.push(b'\n');
        self.file.write_all(&self.buf)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }
}

// ---------------------------------------------------------------------------
// The writer

/// Whether records keep the request itself or only its digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// The request's canonical form (or, when it has none, the request as
    /// received): replayable.
    Full,
    /// Only the action digest: payloads stay out of the log, and replay
    /// reports such records as not replayable.
    DigestOnly,
}

/// How a log signs and seals.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Sign every record on its own (about 20 µs each) instead of leaving
    /// records to the next checkpoint.
    pub sign_every_record: bool,
    /// Write a signed checkpoint after this many unsigned records (0: never
    /// by count).
    pub checkpoint_every: u64,
    /// …or when this many milliseconds have passed since the last one (0:
    /// never by time). Checked on each append and on [`AuditLog::tick`].
    pub checkpoint_interval_ms: i64,
    pub payload: Payload,
    /// The clock, in milliseconds since the epoch.
    pub clock: fn() -> i64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            sign_every_record: false,
            checkpoint_every: 64,
            checkpoint_interval_ms: 1_000,
            payload: Payload::Full,
            clock: permit0_vm::time::now_ms,
        }
    }
}

/// Where a record landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    pub hash: [u8; 32],
}

/// Why a log could not be opened or written.
#[derive(Debug)]
pub enum AuditError {
    Io(io::Error),
    /// The existing log's last record is not a well-formed record; it is
    /// not extended (run `permit0 audit verify`).
    Corrupt(String),
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditError::Io(e) => write!(f, "{e}"),
            AuditError::Corrupt(e) => write!(f, "the log cannot be continued: {e}"),
        }
    }
}

impl std::error::Error for AuditError {}

impl From<io::Error> for AuditError {
    fn from(e: io::Error) -> Self {
        AuditError::Io(e)
    }
}

/// A hash-chained, signed decision log over a [`Sink`]. One writer per log.
pub struct AuditLog<S: Sink> {
    sink: S,
    key: SigningKey,
    key_hex: String,
    cfg: Config,
    /// The `seq` of the last record written (0: none).
    seq: u64,
    prev: [u8; 32],
    unsealed: u64,
    last_seal_ms: i64,
    closed: bool,
}

impl<S: Sink> AuditLog<S> {
    /// Opens a log, continuing the chain of what the sink holds. A torn last
    /// line is cut off; when the log did not end in a closing checkpoint (a
    /// crash) a checkpoint recording that is written first.
    pub fn open(mut sink: S, key: SigningKey, cfg: Config) -> Result<AuditLog<S>, AuditError> {
        let tail = sink.resume()?;
        let key_hex = hex(&key_id(&key.verifying_key()));
        let mut log = AuditLog {
            sink,
            key,
            key_hex,
            cfg,
            seq: 0,
            prev: GENESIS,
            unsealed: 0,
            last_seal_ms: (cfg.clock)(),
            closed: false,
        };
        let Some(last) = tail.last else {
            if tail.torn.is_some() {
                let resumed = Resumed {
                    sealed: false,
                    torn: tail
                        .torn
                        .map(|t| (t.len() as u64, Sha256::digest(&t).into())),
                };
                log.write_checkpoint(false, Some(&resumed))?;
            }
            return Ok(log);
        };
        let rec = parse_record(last.as_bytes()).map_err(|p| AuditError::Corrupt(p.to_string()))?;
        if record_hash(rec.body.as_bytes()) != rec.hash {
            return Err(AuditError::Corrupt(
                "its last record does not match its hash".into(),
            ));
        }
        log.seq = rec.seq;
        log.prev = rec.hash;
        let sealed = rec.kind == "checkpoint" && rec.is_final;
        if !sealed || tail.torn.is_some() {
            let resumed = Resumed {
                sealed,
                torn: tail
                    .torn
                    .map(|t| (t.len() as u64, Sha256::digest(&t).into())),
            };
            log.write_checkpoint(false, Some(&resumed))?;
        }
        Ok(log)
    }

    pub fn sink(&self) -> &S {
        &self.sink
    }

    pub fn key_id(&self) -> &str {
        &self.key_hex
    }

    /// The `seq` and hash of the last record written.
    pub fn head(&self) -> (u64, [u8; 32]) {
        (self.seq, self.prev)
    }

    /// Hashes, signs and appends a body: the one place records are sealed,
    /// and it takes only what the canonical writer wrote.
    fn write(&mut self, body: &Canonical, sign: bool) -> io::Result<Appended> {
        let hash = record_hash(body.as_bytes());
        let sig = sign.then(|| self.key.sign(&hash));
        let line = seal_line(body, &hash, sig.as_ref());
        self.sink.append(&line)?;
        self.prev = hash;
        Ok(Appended {
            seq: self.seq,
            hash,
        })
    }

    fn write_checkpoint(
        &mut self,
        final_: bool,
        resumed: Option<&Resumed>,
    ) -> io::Result<Appended> {
        let now = (self.cfg.clock)();
        self.seq += 1;
        let body = checkpoint_body(
            self.seq,
            &self.prev,
            &permit0_vm::time::format_rfc3339_ms(now),
            &self.key_hex,
            final_,
            resumed,
        );
        let a = self.write(&body, true)?;
        self.sink.sync()?;
        self.unsealed = 0;
        self.last_seal_ms = now;
        Ok(a)
    }

    /// Appends a decision record, then a checkpoint if one is due.
    pub fn append_decision(&mut self, e: &DecisionEntry) -> io::Result<Appended> {
        let now = (self.cfg.clock)();
        self.seq += 1;
        let sign = self.cfg.sign_every_record;
        let key = sign.then_some(self.key_hex.as_str());
        let body = decision_body(
            e,
            self.seq,
            &self.prev,
            &permit0_vm::time::format_rfc3339_ms(now),
            key,
            self.cfg.payload == Payload::Full,
        );
        let a = self.write(&body, sign)?;
        if !sign {
            self.unsealed += 1;
        }
        self.maybe_checkpoint(now)?;
        Ok(a)
    }

    /// Appends a signed approval record.
    pub fn append_approval(&mut self, a: &ApprovalEntry) -> io::Result<Appended> {
        let now = (self.cfg.clock)();
        self.seq += 1;
        let body = approval_body(
            a,
            self.seq,
            &self.prev,
            &permit0_vm::time::format_rfc3339_ms(now),
            &self.key_hex,
        );
        let out = self.write(&body, true)?;
        self.sink.sync()?;
        Ok(out)
    }

    /// Appends an event record: one a person caused (a denial, a grant) is
    /// signed and synced at once, as an approval is; one the service did
    /// (a grant's use, a redemption) is sealed by the next checkpoint, as a
    /// decision is. A kind not in [`EVENT_KINDS`] is refused.
    pub fn append_event(&mut self, e: &EventEntry) -> io::Result<Appended> {
        if !EVENT_KINDS.contains(&e.kind) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{}` is not an audit event kind", e.kind),
            ));
        }
        let now = (self.cfg.clock)();
        self.seq += 1;
        let sign = self.cfg.sign_every_record || SIGNED_EVENT_KINDS.contains(&e.kind);
        let body = event_body(
            e,
            self.seq,
            &self.prev,
            &permit0_vm::time::format_rfc3339_ms(now),
            sign.then_some(self.key_hex.as_str()),
        );
        let out = self.write(&body, sign)?;
        if SIGNED_EVENT_KINDS.contains(&e.kind) {
            self.sink.sync()?;
        } else if !sign {
            self.unsealed += 1;
            self.maybe_checkpoint(now)?;
        }
        Ok(out)
    }

    fn maybe_checkpoint(&mut self, now: i64) -> io::Result<()> {
        if self.unsealed == 0 {
            return Ok(());
        }
        let by_count = self.cfg.checkpoint_every > 0 && self.unsealed >= self.cfg.checkpoint_every;
        let by_time = self.cfg.checkpoint_interval_ms > 0
            && now.saturating_sub(self.last_seal_ms) >= self.cfg.checkpoint_interval_ms;
        if by_count || by_time {
            self.write_checkpoint(false, None)?;
        }
        Ok(())
    }

    /// Writes a checkpoint if the time interval has passed with records
    /// unsealed: call it from a timer so an idle log is sealed too.
    pub fn tick(&mut self) -> io::Result<()> {
        let now = (self.cfg.clock)();
        self.maybe_checkpoint(now)
    }

    /// Writes a signed checkpoint now.
    pub fn checkpoint(&mut self) -> io::Result<Appended> {
        self.write_checkpoint(false, None)
    }

    /// Writes the closing checkpoint. Dropping an open log closes it too,
    /// ignoring errors.
    pub fn close(&mut self) -> io::Result<Appended> {
        let a = self.write_checkpoint(true, None)?;
        self.closed = true;
        Ok(a)
    }
}

impl<S: Sink> Drop for AuditLog<S> {
    fn drop(&mut self) {
        if !self.closed {
            let _ = self.close();
        }
    }
}

// ---------------------------------------------------------------------------
// Reading records

/// One record line, parsed.
#[derive(Clone, Debug)]
pub struct ParsedRecord {
    pub fields: Map<String, Json>,
    /// The canonical body the hash covers.
    pub body: Canonical,
    pub hash: [u8; 32],
    pub sig: Option<Vec<u8>>,
    pub seq: u64,
    pub kind: String,
    pub is_final: bool,
}

fn parse_record(line: &[u8]) -> Result<ParsedRecord, Problem> {
    let v: Json = serde_json::from_slice(line).map_err(|e| Problem::NotJson(e.to_string()))?;
    let Json::Object(mut fields) = v else {
        return Err(Problem::Malformed("the line is not a JSON object".into()));
    };
    let hash = match fields.remove("hash") {
        Some(Json::String(h)) => parse_sha256(&h)
            .ok_or_else(|| Problem::Malformed("`hash` is not sha256:<hex>".into()))?,
        _ => return Err(Problem::Malformed("`hash` is missing".into())),
    };
    let sig = match fields.remove("sig") {
        None => None,
        Some(Json::String(s)) => Some(
            B64.decode(s.as_bytes())
                .map_err(|_| Problem::Malformed("`sig` is not base64url".into()))?,
        ),
        Some(_) => return Err(Problem::Malformed("`sig` is not a string".into())),
    };
    match fields.get("v").and_then(Json::as_u64) {
        Some(FORMAT) => {}
        Some(v) => return Err(Problem::Version(v)),
        None => return Err(Problem::Malformed("`v` is missing".into())),
    }
    let seq = fields
        .get("seq")
        .and_then(Json::as_u64)
        .ok_or_else(|| Problem::Malformed("`seq` is missing".into()))?;
    let kind = fields
        .get("kind")
        .and_then(Json::as_str)
        .ok_or_else(|| Problem::Malformed("`kind` is missing".into()))?
        .to_string();
    let is_final = fields.get("final").and_then(Json::as_bool) == Some(true);
    let body = canonical_value(&Json::Object(fields.clone()))
        .map_err(|_| Problem::Malformed("a number that is not an integer".into()))?;
    Ok(ParsedRecord {
        fields,
        body,
        hash,
        sig,
        seq,
        kind,
        is_final,
    })
}

/// The complete lines of a log and its torn end, if any.
pub fn split_lines(log: &[u8]) -> (Vec<&[u8]>, Option<&[u8]>) {
    let mut lines: Vec<&[u8]> = log.split(|b| *b == b'\n').collect();
    let last = lines.pop().filter(|l| !l.is_empty());
    (lines, last)
}

/// Every record of a log, as JSON, in order (torn and unparsable lines
/// skipped): for replay and export after [`verify`] passed.
pub fn records(log: &[u8]) -> Vec<(usize, Map<String, Json>)> {
    split_lines(log)
        .0
        .into_iter()
        .enumerate()
        .filter_map(|(i, l)| match serde_json::from_slice(l) {
            Ok(Json::Object(m)) => Some((i + 1, m)),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Verifying

/// What is wrong with a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The log holds no records.
    Empty,
    NotJson(String),
    Malformed(String),
    Version(u64),
    /// The record has the number of a later record, and the expected one
    /// comes later: records were swapped or moved.
    Reordered {
        expected: u64,
        found: u64,
    },
    /// Records `expected..found` are missing.
    Missing {
        expected: u64,
        found: u64,
    },
    /// A record with an earlier number: inserted or duplicated.
    Inserted {
        expected: u64,
        found: u64,
    },
    /// The record's content does not hash to its `hash`: it was edited.
    Edited,
    /// `prev` is not the hash of the record before: that record was edited
    /// and re-hashed, or the record does not belong here.
    BrokenChain,
    UnknownKey(String),
    BadSignature,
    /// A checkpoint or approval without a signature.
    Unsigned,
    /// The request payload does not hash to the record's action digest.
    DigestMismatch,
    /// The last line is incomplete: a write was cut short.
    Torn {
        bytes: usize,
    },
    /// The log ends without a closing checkpoint: truncated, or its writer
    /// stopped without closing.
    Unsealed {
        last: u64,
        sealed_through: u64,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Empty => f.write_str("the log holds no records"),
            Problem::NotJson(e) => write!(f, "not valid JSON ({e})"),
            Problem::Malformed(e) => write!(f, "malformed record: {e}"),
            Problem::Version(v) => write!(f, "record format {v} is not supported (this build reads format {FORMAT})"),
            Problem::Reordered { expected, found } => write!(
                f,
                "record {found} stands where record {expected} belongs: records were reordered"
            ),
            Problem::Missing { expected, found } if found - expected == 1 => write!(
                f,
                "record {expected} is missing (found record {found}): a record was dropped"
            ),
            Problem::Missing { expected, found } => write!(
                f,
                "records {expected} to {} are missing (found record {found}): records were dropped",
                found - 1
            ),
            Problem::Inserted { expected, found } => write!(
                f,
                "record {found} appears where record {expected} belongs: a record was inserted or duplicated"
            ),
            Problem::Edited => f.write_str("the record does not match its hash: it was edited"),
            Problem::BrokenChain => f.write_str(
                "`prev` is not the hash of the record before it: that record was edited and re-hashed, or this record was inserted",
            ),
            Problem::UnknownKey(k) => write!(f, "signed by key `{k}`, which is not trusted"),
            Problem::BadSignature => f.write_str("the signature is invalid"),
            Problem::Unsigned => f.write_str("a checkpoint or approval without a signature"),
            Problem::DigestMismatch => f.write_str("the request does not hash to the record's action digest"),
            Problem::Torn { bytes } => write!(
                f,
                "the last line is torn ({bytes} bytes without a newline): a write was cut short; the records before it are intact"
            ),
            Problem::Unsealed { last, sealed_through } => write!(
                f,
                "the log ends after record {last} without a closing checkpoint (signed through record {sealed_through}): it was truncated, or its writer stopped without closing"
            ),
        }
    }
}

/// The first bad record of a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRecord {
    /// 1-based line number.
    pub line: usize,
    /// The record's `seq`, when it could be read.
    pub seq: Option<u64>,
    pub problem: Problem,
}

impl fmt::Display for BadRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seq {
            Some(s) => write!(f, "line {} (record {s}): {}", self.line, self.problem),
            None => write!(f, "line {}: {}", self.line, self.problem),
        }
    }
}

/// What a verified log holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub records: u64,
    pub decisions: u64,
    pub approvals: u64,
    /// Denials, grants, grant uses and redemptions ([`EventEntry`]).
    pub events: u64,
    pub checkpoints: u64,
    /// Records whose signature (their own or a later checkpoint's, through
    /// the chain) verified.
    pub sealed_through: u64,
    /// The last record's `seq` and hash.
    pub last_seq: u64,
    pub head: String,
    /// Key ids that signed.
    pub keys: Vec<String>,
    /// `seq` of checkpoints that record a reopen after a crash.
    pub resumed: Vec<u64>,
    /// Whether the log ends in a closing checkpoint.
    pub closed: bool,
}

/// A failed verification: the first bad record, and what verified before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub bad: BadRecord,
    pub report: Report,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyOptions {
    /// Accept a log that does not end in a closing checkpoint (a live log).
    pub allow_open: bool,
}

fn peek_seq(line: &[u8]) -> Option<u64> {
    serde_json::from_slice::<Json>(line)
        .ok()?
        .get("seq")?
        .as_u64()
}

/// Verifies a whole log against trusted keys: every record's hash, its
/// place in the chain and its number, every signature, every payload's
/// digest, and that the log ends in a closing checkpoint.
pub fn verify(
    log: &[u8],
    trusted: &[VerifyingKey],
    opts: &VerifyOptions,
) -> Result<Report, Box<Failure>> {
    let (lines, torn) = split_lines(log);
    let mut r = Report {
        head: sha256_string(&GENESIS),
        ..Report::default()
    };
    let mut prev = GENESIS;
    let fail = |r: &Report, line: usize, seq: Option<u64>, problem: Problem| {
        Box::new(Failure {
            bad: BadRecord { line, seq, problem },
            report: r.clone(),
        })
    };
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let expected = n as u64;
        let rec = parse_record(line).map_err(|p| fail(&r, n, peek_seq(line), p))?;
        let seq = Some(rec.seq);
        if rec.seq != expected {
            let later = lines
                .iter()
                .skip(i + 1)
                .any(|l| peek_seq(l) == Some(expected));
            let problem = if later && rec.seq > expected {
                Problem::Reordered {
                    expected,
                    found: rec.seq,
                }
            } else if rec.seq > expected {
                Problem::Missing {
                    expected,
                    found: rec.seq,
                }
            } else {
                Problem::Inserted {
                    expected,
                    found: rec.seq,
                }
            };
            return Err(fail(&r, n, seq, problem));
        }
        if record_hash(rec.body.as_bytes()) != rec.hash {
            return Err(fail(&r, n, seq, Problem::Edited));
        }
        let p = rec
            .fields
            .get("prev")
            .and_then(Json::as_str)
            .and_then(parse_sha256)
            .ok_or_else(|| fail(&r, n, seq, Problem::Malformed("`prev` is missing".into())))?;
        if p != prev {
            return Err(fail(&r, n, seq, Problem::BrokenChain));
        }
        match rec.kind.as_str() {
            "decision" => {
                if let Some(req) = rec.fields.get("request") {
                    let c = canonical_value(req).map_err(|_| {
                        fail(
                            &r,
                            n,
                            seq,
                            Problem::Malformed("a number that is not an integer".into()),
                        )
                    })?;
                    let digest = sha256_string(&digest_canonical(c.as_bytes()));
                    if rec.fields.get("action_digest").and_then(Json::as_str) != Some(&digest) {
                        return Err(fail(&r, n, seq, Problem::DigestMismatch));
                    }
                }
                r.decisions += 1;
            }
            k if EVENT_KINDS.contains(&k) => {
                if SIGNED_EVENT_KINDS.contains(&k) && rec.sig.is_none() {
                    return Err(fail(&r, n, seq, Problem::Unsigned));
                }
                r.events += 1;
            }
            "checkpoint" | "approval" => {
                if rec.sig.is_none() {
                    return Err(fail(&r, n, seq, Problem::Unsigned));
                }
                if rec.kind == "checkpoint" {
                    r.checkpoints += 1;
                    if rec.fields.contains_key("resumed") {
                        r.resumed.push(rec.seq);
                    }
                } else {
                    r.approvals += 1;
                }
            }
            other => {
                return Err(fail(
                    &r,
                    n,
                    seq,
                    Problem::Malformed(format!("unknown kind `{other}`")),
                ))
            }
        }
        if let Some(sig) = &rec.sig {
            let kid = rec
                .fields
                .get("key")
                .and_then(Json::as_str)
                .ok_or_else(|| {
                    fail(
                        &r,
                        n,
                        seq,
                        Problem::Malformed("a signature without `key`".into()),
                    )
                })?;
            let key = trusted
                .iter()
                .find(|k| hex(&key_id(k)) == kid)
                .ok_or_else(|| fail(&r, n, seq, Problem::UnknownKey(kid.to_string())))?;
            let sig =
                Signature::from_slice(sig).map_err(|_| fail(&r, n, seq, Problem::BadSignature))?;
            key.verify_strict(&rec.hash, &sig)
                .map_err(|_| fail(&r, n, seq, Problem::BadSignature))?;
            r.sealed_through = rec.seq;
            if !r.keys.iter().any(|k| k == kid) {
                r.keys.push(kid.to_string());
            }
        }
        prev = rec.hash;
        r.records += 1;
        r.last_seq = rec.seq;
        r.head = sha256_string(&rec.hash);
        r.closed = rec.kind == "checkpoint" && rec.is_final;
    }
    if let Some(t) = torn {
        return Err(fail(
            &r,
            lines.len() + 1,
            None,
            Problem::Torn { bytes: t.len() },
        ));
    }
    if r.records == 0 {
        return Err(fail(&r, 1, None, Problem::Empty));
    }
    if !r.closed && !opts.allow_open {
        let problem = Problem::Unsealed {
            last: r.last_seq,
            sealed_through: r.sealed_through,
        };
        return Err(fail(&r, lines.len(), Some(r.last_seq), problem));
    }
    Ok(r)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    fn clock() -> i64 {
        1_795_341_600_000
    }

    fn entry(i: u64) -> DecisionEntry {
        DecisionEntry {
            bundle: sha256_string(&[1; 32]),
            taxonomy: "2026.1".into(),
            action: Some("payments.refund".into()),
            action_digest: Some(sha256_string(&digest_canonical(b"{\"action\":\"x\"}"))),
            request: Some("{\"action\":\"x\"}".into()),
            raw: None,
            decision: "allow".into(),
            rule: Some(format!("p:{i}")),
            reason: "ok \"quoted\"\n".into(),
            risk: Some((i, "low".into())),
            session: None,
            ..DecisionEntry::default()
        }
    }

    fn cfg() -> Config {
        Config {
            checkpoint_every: 3,
            checkpoint_interval_ms: 0,
            clock,
            ..Config::default()
        }
    }

    #[test]
    fn the_writer_writes_canonical_bodies() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let mut log = AuditLog::open(MemorySink::default(), key.clone(), cfg()).unwrap();
        for i in 0..4 {
            log.append_decision(&entry(i)).unwrap();
        }
        log.append_approval(&ApprovalEntry {
            record: 1,
            record_hash: [3; 32],
            approver: "alice".into(),
            nonce: "n".into(),
            expires_ms: 5,
        })
        .unwrap();
        log.close().unwrap();
        for line in &log.sink().lines {
            let rec = parse_record(line.as_bytes()).unwrap();
            // The body the writer hashed is the canonical form of what it wrote.
            assert_eq!(record_hash(rec.body.as_bytes()), rec.hash, "{line}");
        }
        let text = log.sink().text();
        let report = verify(
            text.as_bytes(),
            &[key.verifying_key()],
            &VerifyOptions::default(),
        )
        .unwrap();
        assert_eq!(
            (report.decisions, report.checkpoints, report.approvals),
            (4, 2, 1)
        );
        assert!(report.closed);
    }

    /// A denial and a grant a person gave are signed records of their
    /// own; a grant's use and a redemption are sealed by the next
    /// checkpoint. All verify; a denial stripped of its signature does not.
    #[test]
    fn events_are_chained_and_a_human_s_are_signed() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let mut log = AuditLog::open(MemorySink::default(), key.clone(), cfg()).unwrap();
        let d = log.append_decision(&entry(1)).unwrap();
        let text = |k: &'static str, v: &str| (k, Some(v.to_string()));
        log.append_event(&EventEntry {
            kind: "denial",
            record: Some((d.seq, d.hash)),
            text: vec![text("approver", "alice (key 1)"), text("comment", "no")],
            ints: vec![],
        })
        .unwrap();
        log.append_event(&EventEntry {
            kind: "grant",
            record: Some((d.seq, d.hash)),
            text: vec![text("approver", "bob"), text("grant", "grt_1")],
            ints: vec![("expires_ms", Some(9)), ("max_amount", None)],
        })
        .unwrap();
        log.append_event(&EventEntry {
            kind: "grant_use",
            text: vec![text("grant", "grt_1")],
            ..EventEntry::default()
        })
        .unwrap();
        log.append_event(&EventEntry {
            kind: "redemption",
            text: vec![text("nonce", "n1")],
            ..EventEntry::default()
        })
        .unwrap();
        assert!(log
            .append_event(&EventEntry {
                kind: "approval",
                ..EventEntry::default()
            })
            .is_err());
        log.close().unwrap();
        let lines = &log.sink().lines;
        let signed: Vec<bool> = lines
            .iter()
            .map(|l| parse_record(l.as_bytes()).unwrap().sig.is_some())
            .collect();
        // decision, denial, grant, grant_use, redemption, a checkpoint (due
        // after three unsealed records), the closing checkpoint.
        assert_eq!(signed, [false, true, true, false, false, true, true]);
        assert!(lines[2].contains("\"expires_ms\":9") && !lines[2].contains("max_amount"));
        let all = log.sink().text();
        let report = verify(
            all.as_bytes(),
            &[key.verifying_key()],
            &VerifyOptions::default(),
        )
        .unwrap();
        assert_eq!((report.decisions, report.events), (1, 4));
        // The denial with its signature cut off (and its hash still right).
        let mut bad: Vec<String> = lines.clone();
        let sig_at = bad[1].find(",\"sig\"").unwrap();
        bad[1] = format!("{}}}", &bad[1][..sig_at]);
        let bad = bad.join("\n") + "\n";
        let f = verify(
            bad.as_bytes(),
            &[key.verifying_key()],
            &VerifyOptions::default(),
        )
        .unwrap_err();
        assert_eq!(f.bad.problem, Problem::Unsigned);
    }

    #[test]
    fn hostile_lines_are_problems_not_panics() {
        let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
        for junk in [
            &b"\n"[..],
            b"{}\n",
            b"[1,2]\n",
            b"{\"hash\":\"sha256:zz\"}\n",
            b"{\"hash\":1,\"v\":1}\n",
            b"\xff\xfe\n",
            b"{\"v\":1,\"seq\":1,\"kind\":\"decision\",\"x\":1.5,\"hash\":\"sha256:0000000000000000000000000000000000000000000000000000000000000000\"}\n",
            b"{\"v\":1,\"seq\":18446744073709551615,\"kind\":\"decision\",\"hash\":\"sha256:0000000000000000000000000000000000000000000000000000000000000000\"}\n",
        ] {
            assert!(verify(junk, &[key], &VerifyOptions::default()).is_err());
        }
    }
}

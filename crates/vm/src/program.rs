//! Bundle bytes in, verified [`Program`] out: signature, digest, magic and
//! version are checked over the exact bytes before anything is decoded; the
//! decoded program is then checked by [`crate::verify`] before it can run.

use crate::instr::Instr;
use crate::request::Request;
use crate::risk::{Amp, Amps, FlagSet, Gate, Model, Score, Tier, Verdict};
use crate::value::fold;
use crate::wire::{self, ActionBody, AggregateWire, BundleWire, FramedAction, FramedTool};
use aho_corasick::AhoCorasick;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a bundle was refused. Nothing of a refused bundle ever runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    TooShort(usize),
    TooLarge(usize),
    BadMagic,
    UnsupportedVersion(u16),
    /// The header's payload length does not match the file: truncated, or
    /// bytes appended.
    LengthMismatch {
        declared: usize,
        actual: usize,
    },
    DigestMismatch,
    UntrustedKey(String),
    BadSignature,
    Decode(String),
    /// Bytes left over after the payload decoded.
    TrailingPayload(usize),
    /// The decoded program failed verification.
    Invalid(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::TooShort(n) => write!(f, "bundle is truncated: {n} bytes is shorter than any bundle"),
            LoadError::TooLarge(n) => write!(f, "bundle is {n} bytes, more than the {} MiB limit", wire::MAX_BUNDLE_BYTES >> 20),
            LoadError::BadMagic => f.write_str("not a permit0 bundle (bad magic bytes)"),
            LoadError::UnsupportedVersion(v) => write!(f, "bundle format {v} is not supported (this build reads format {})", wire::FORMAT_VERSION),
            LoadError::LengthMismatch { declared, actual } => write!(
                f,
                "bundle length is wrong: the header declares a {declared}-byte payload but {actual} bytes are present (truncated or appended to)"
            ),
            LoadError::DigestMismatch => f.write_str("bundle digest does not match its contents: the bundle was modified"),
            LoadError::UntrustedKey(id) => write!(f, "bundle is signed by key `{id}`, which is not trusted"),
            LoadError::BadSignature => f.write_str("bundle signature is invalid"),
            LoadError::Decode(e) => write!(f, "bundle payload cannot be decoded: {e}"),
            LoadError::TrailingPayload(n) => write!(f, "bundle payload has {n} unexpected trailing bytes"),
            LoadError::Invalid(e) => write!(f, "bundle failed verification: {e}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// A field of an action or namespace: its wire form, as decoded.
pub type FieldMeta = wire::FieldWire;

/// An action's slots: its own fields, then every namespace field. The
/// namespace fields are one list shared by every action of the program
/// (a refcount per action, not a copy of each field per action: the
/// stdlib's 271 actions repeat 17 of them, and a program is built on
/// every `permit0 hook` call).
#[derive(Debug)]
pub(crate) struct FieldSlots {
    own: Box<[FieldMeta]>,
    shared: std::sync::Arc<[FieldMeta]>,
}

impl FieldSlots {
    pub fn len(&self) -> usize {
        self.own.len() + self.shared.len()
    }

    pub fn get(&self, i: usize) -> Option<&FieldMeta> {
        match self.own.get(i) {
            Some(f) => Some(f),
            None => self.shared.get(i.checked_sub(self.own.len())?),
        }
    }

    /// The action's own fields (slots `0..own_fields`).
    pub fn own(&self) -> &[FieldMeta] {
        &self.own
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldMeta> {
        self.own.iter().chain(self.shared.iter())
    }
}

impl<'a> IntoIterator for &'a FieldSlots {
    type Item = &'a FieldMeta;
    type IntoIter =
        std::iter::Chain<std::slice::Iter<'a, FieldMeta>, std::slice::Iter<'a, FieldMeta>>;

    fn into_iter(self) -> Self::IntoIter {
        self.own.iter().chain(self.shared.iter())
    }
}

#[derive(Debug)]
pub(crate) struct ActionRt {
    /// Shared with the bind tables (and every request bound to the action).
    pub name: std::sync::Arc<str>,
    /// The action's own fields, then every namespace field.
    pub slots: FieldSlots,
    pub own_fields: usize,
    pub flags: FlagSet,
    pub amps: Amps,
    pub floor: Option<Tier>,
    /// The risk of the action as declared, before any `amplify` rule.
    pub base: Score,
    pub base_gate: Option<usize>,
    pub code: Box<[Instr]>,
    /// When the code only tests the request, jumps and fires (no gate on
    /// the action, no `amplify`, no score, no arithmetic), the same code with
    /// each step's successors worked out: `decide` runs it on a lean path
    /// whose decision is the action's declared risk (see
    /// [`crate::exec::Step`]).
    pub plain: Option<Box<[crate::exec::Step]>>,
    /// Session-aggregate mark code (`ActionWire::marks`).
    pub marks: Box<[Instr]>,
    /// The session aggregates this action's rules read, so a session store
    /// computes only those.
    pub queries: Box<[crate::aggregates::AggQuery]>,
    /// How a request for this action belongs to each of the bundle's
    /// scopes (by scope index).
    pub scope_uses: std::sync::Arc<[crate::aggregates::ScopeUse]>,
    pub compliance: Vec<Box<str>>,
    /// The local times the rules read (`ActionWire::locals`).
    pub locals: Box<[crate::local::LocalWire]>,
    /// Which slots a request must give and which are derived, for binding.
    pub table: crate::request::ActionTable,
}

/// A program's actions: every name at hand (binding looks actions up by
/// name), each action decoded from its framed bytes and verified the first
/// time it is used. A program loaded with [`Program::load`] has built and
/// verified them all before it is returned; one loaded with
/// [`Program::load_lazily`] builds only what it decides, so a process that
/// decides one request pays for one action.
#[derive(Debug)]
pub(crate) struct Actions {
    names: Box<[std::sync::Arc<str>]>,
    bodies: Box<[Box<[u8]>]>,
    /// Boxed: a hook process builds one or two of a bundle's hundreds of
    /// actions, and a table of unboxed ones (304 bytes each) was twenty
    /// pages to fault in.
    built: Box<[std::sync::OnceLock<Built>]>,
}

/// An action decoded and verified, or why it could not be.
type Built = Result<Box<ActionRt>, String>;

impl Actions {
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    pub(crate) fn name(&self, i: usize) -> Option<&std::sync::Arc<str>> {
        self.names.get(i)
    }

    pub(crate) fn names(&self) -> &[std::sync::Arc<str>] {
        &self.names
    }
}

#[derive(Debug)]
pub(crate) struct RuleRt {
    pub id: Box<str>,
    pub verdict: Option<Verdict>,
    pub amplify: Vec<(Amp, i32)>,
    pub reason: Option<Box<str>>,
    pub obligations: Vec<(Box<str>, Box<str>)>,
}

#[derive(Debug)]
pub(crate) struct MatcherRt {
    /// Built once, on first use (at load for [`Program::load`]). Even for
    /// three keywords it beats searching for each with `str::contains`,
    /// which sets up a searcher per call (measured with `permit0 bench`:
    /// 80 → 40 ns per decision on the small workload); but building one
    /// fills a few pages of tables, which a hook process deciding no text
    /// test does not need.
    automaton: std::sync::OnceLock<Result<AhoCorasick, String>>,
    /// The needles in the bundle's order: pattern `i` of the automaton.
    needles: Box<[Box<str>]>,
    /// The needles, sorted, for lists (element equality).
    pub sorted: Box<[Box<str>]>,
    pub all: bool,
    pub count: usize,
}

impl MatcherRt {
    /// The automaton over the needles; an error (a matcher the automaton
    /// cannot hold) refuses the bundle at an eager load and faults the
    /// decision at a lazy one.
    pub(crate) fn automaton(&self) -> Result<&AhoCorasick, &str> {
        self.automaton
            .get_or_init(|| {
                AhoCorasick::builder()
                    // Cheap to build (a bundle may hold hundreds) and, on
                    // the short texts of agent actions, as fast to search
                    // as a DFA.
                    .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                    .build(self.needles.iter().map(|n| &**n))
                    .map_err(|e| format!("keyword matcher: {e}"))
            })
            .as_ref()
            .map_err(|e| &**e)
    }
}

/// Facts about a loaded bundle, for `permit0 inspect` and decision records.
#[derive(Clone, Debug)]
pub struct BundleInfo {
    pub digest: [u8; 32],
    pub key_id: [u8; 8],
    pub format: u16,
    pub taxonomy_version: String,
    pub taxonomy_digest: [u8; 32],
    pub compiler: String,
    /// The time zone database version the bundle was compiled with.
    pub tzdb: String,
    pub policies: Vec<(String, [u8; 32])>,
}

/// A verified, immutable policy program. `Send + Sync`: share one behind an
/// `Arc` (or an [`crate::Engine`]) across every thread.
#[derive(Debug)]
pub struct Program {
    pub(crate) instance: u64,
    pub(crate) info: BundleInfo,
    pub(crate) model: Model,
    pub(crate) enums: crate::wire::EnumTable,
    pub(crate) namespaces: Vec<(Box<str>, Vec<FieldMeta>)>,
    /// Where `context.time` sits after an action's own fields, found once
    /// at load so session stores never look it up by name.
    pub(crate) context_time: Option<usize>,
    /// Where `context.tenant` and `actor.id` sit after an action's own
    /// fields: the parts of every scope key.
    pub(crate) context_tenant: Option<usize>,
    pub(crate) actor_id: Option<usize>,
    /// The scopes of history the aggregates read (the first is the plain
    /// session).
    pub(crate) scopes: Vec<crate::wire::ScopeWire>,
    pub(crate) actions: Actions,
    /// Every namespace field, in slot order after an action's own fields:
    /// one list each action shares.
    pub(crate) ns_fields: std::sync::Arc<[FieldMeta]>,
    /// How most actions belong to the scopes (no `by` field): shared.
    pub(crate) plain_uses: std::sync::Arc<[crate::aggregates::ScopeUse]>,
    /// The bundle's rules read local time with another time zone database
    /// than this build's: an action that reads local time cannot run.
    pub(crate) tzdb_mismatch: bool,
    /// Actions are built without the bytecode verifier (the VM's fault
    /// tests only).
    pub(crate) unverified: bool,
    pub(crate) rules: Vec<RuleRt>,
    /// How many rules of each verdict (allow, escalate, deny) carry
    /// obligations: a decision looks for other rules that add theirs only
    /// when there are some, not by scanning every rule.
    pub(crate) obliging: [u32; 3],
    pub(crate) ints: Vec<i64>,
    pub(crate) strs: Vec<Box<str>>,
    pub(crate) sets: Vec<Box<[Box<str>]>>,
    /// Each string set read as networks (`ip.in.set`), empty for a set
    /// that is not one (format 6).
    pub(crate) nets: Vec<Box<[crate::value::Net]>>,
    pub(crate) enum_sets: Vec<Box<[u16]>>,
    pub(crate) matchers: Vec<MatcherRt>,
    pub(crate) aggregates: Vec<AggregateWire>,
    /// A stable identity of each aggregate (a hash of its source text), so
    /// a session store's history survives a policy swap that keeps it.
    pub(crate) agg_keys: Box<[u64]>,
    pub(crate) tools: Vec<FramedTool>,
    /// The mappings and derivations as they are evaluated, each planned
    /// on first use.
    pub(crate) plans: crate::normalize::Plans,
    /// The classifiers tool mappings and derivations call (none until
    /// [`Program::with_builtins`]).
    pub(crate) builtins: &'static dyn crate::normalize::Builtins,
    /// Tables for binding requests (see `request.rs`).
    pub(crate) bind: crate::request::BindTables,
}

static INSTANCES: AtomicU64 = AtomicU64::new(1);

/// [`Program::obliging`]'s index of a verdict.
pub(crate) fn verdict_index(v: Verdict) -> usize {
    match v {
        Verdict::Allow => 0,
        Verdict::Escalate => 1,
        Verdict::Deny => 2,
    }
}

fn obliging(rules: &[RuleRt]) -> [u32; 3] {
    let mut n = [0u32; 3];
    for r in rules.iter().filter(|r| !r.obligations.is_empty()) {
        if let Some(c) = r.verdict.and_then(|v| n.get_mut(verdict_index(v))) {
            *c += 1;
        }
    }
    n
}

/// The 8-byte id of a public key: the start of its sha256.
pub fn key_id(key: &VerifyingKey) -> [u8; 8] {
    let d = Sha256::digest(key.as_bytes());
    let mut id = [0u8; 8];
    id.iter_mut().zip(d.iter()).for_each(|(o, i)| *o = *i);
    id
}

pub fn hex(bytes: &[u8]) -> String {
    // Every decision writes two digests: no `format!` per byte.
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        s.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    s
}

fn read_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

/// A bundle's framing, checked: the payload and the facts about it.
pub struct Envelope<'b> {
    pub payload: &'b [u8],
    pub digest: [u8; 32],
    pub key_id: [u8; 8],
    pub format: u16,
}

/// Checks a bundle's framing, digest and — when `trusted` is given — its
/// signature, over the exact bytes. Nothing is decoded.
pub fn check_envelope<'b>(
    bytes: &'b [u8],
    trusted: Option<&[VerifyingKey]>,
) -> Result<Envelope<'b>, LoadError> {
    let min = wire::HEADER_LEN + wire::DIGEST_LEN + wire::SIGNATURE_LEN;
    if bytes.len() > wire::MAX_BUNDLE_BYTES {
        return Err(LoadError::TooLarge(bytes.len()));
    }
    if bytes.len() < min {
        return Err(LoadError::TooShort(bytes.len()));
    }
    if bytes.get(..4) != Some(&wire::MAGIC[..]) {
        return Err(LoadError::BadMagic);
    }
    let version = read_u16(bytes, 4).ok_or(LoadError::TooShort(bytes.len()))?;
    if version != wire::FORMAT_VERSION {
        return Err(LoadError::UnsupportedVersion(version));
    }
    let mut kid = [0u8; 8];
    kid.iter_mut()
        .zip(bytes.get(6..14).unwrap_or(&[]))
        .for_each(|(o, i)| *o = *i);
    let declared = read_u32(bytes, 14).ok_or(LoadError::TooShort(bytes.len()))? as usize;
    let actual = bytes.len() - min;
    if declared != actual {
        return Err(LoadError::LengthMismatch { declared, actual });
    }
    let body_end = wire::HEADER_LEN + declared;
    let body = bytes
        .get(..body_end)
        .ok_or(LoadError::TooShort(bytes.len()))?;
    let digest_bytes = bytes
        .get(body_end..body_end + wire::DIGEST_LEN)
        .ok_or(LoadError::TooShort(bytes.len()))?;
    let sig_bytes = bytes
        .get(body_end + wire::DIGEST_LEN..)
        .ok_or(LoadError::TooShort(bytes.len()))?;
    let digest: [u8; 32] = Sha256::digest(body).into();
    if digest[..] != *digest_bytes {
        return Err(LoadError::DigestMismatch);
    }
    if let Some(trusted) = trusted {
        let key = trusted
            .iter()
            .find(|k| key_id(k) == kid)
            .ok_or_else(|| LoadError::UntrustedKey(hex(&kid)))?;
        let sig = Signature::from_slice(sig_bytes).map_err(|_| LoadError::BadSignature)?;
        key.verify_strict(&digest, &sig)
            .map_err(|_| LoadError::BadSignature)?;
    }
    let payload = body.get(wire::HEADER_LEN..).unwrap_or(&[]);
    Ok(Envelope {
        payload,
        digest,
        key_id: kid,
        format: version,
    })
}

impl Program {
    /// Loads a signed bundle: checks the envelope, decodes the payload,
    /// builds and verifies every action's bytecode, and builds the keyword
    /// matchers. For a process that decides many requests (a service).
    pub fn load(bytes: &[u8], trusted: &[VerifyingKey]) -> Result<Program, LoadError> {
        let p = Program::decode(check_envelope(bytes, Some(trusted))?, false)?;
        p.build_all()?;
        Ok(p)
    }

    /// Loads a signed bundle, checking its envelope and signature over the
    /// exact bytes as [`Program::load`] does, but decoding and verifying an
    /// action only when a request first uses it: for a process that decides
    /// one request (`permit0 hook`). An action that fails to decode or
    /// verify then never runs: requests for it are refused
    /// ([`crate::BindError::Invalid`]), never decided. `permit0 verify`
    /// checks every action of a bundle ahead of time.
    pub fn load_lazily(bytes: &[u8], trusted: &[VerifyingKey]) -> Result<Program, LoadError> {
        Program::decode(check_envelope(bytes, Some(trusted))?, false)
    }

    /// Loads a bundle checking everything but who signed it: for
    /// `permit0 inspect` without a trusted key. Never decide with it.
    pub fn load_for_inspection(bytes: &[u8]) -> Result<Program, LoadError> {
        let p = Program::decode(check_envelope(bytes, None)?, false)?;
        p.build_all()?;
        Ok(p)
    }

    fn decode(env: Envelope<'_>, unverified: bool) -> Result<Program, LoadError> {
        let (wire, rest): (BundleWire<FramedAction, FramedTool>, &[u8]) =
            postcard::take_from_bytes(env.payload).map_err(|e| LoadError::Decode(e.to_string()))?;
        if !rest.is_empty() {
            return Err(LoadError::TrailingPayload(rest.len()));
        }
        Program::build(wire, env.digest, env.key_id, env.format, unverified)
    }

    /// Builds and verifies a program from decoded wire structs. `load` is the
    /// way in for bytes; this is for the compiler's in-memory path and tests.
    pub fn from_wire(
        w: BundleWire,
        digest: [u8; 32],
        key_id: [u8; 8],
        format: u16,
    ) -> Result<Program, LoadError> {
        let p = Program::reframe(w, digest, key_id, format, false)?;
        p.build_all()?;
        Ok(p)
    }

    /// The compiler's whole actions, framed as a bundle frames them, so a
    /// program is built one way whatever it was loaded from.
    fn reframe(
        w: BundleWire,
        digest: [u8; 32],
        key_id: [u8; 8],
        format: u16,
        unverified: bool,
    ) -> Result<Program, LoadError> {
        let bytes = postcard::to_allocvec(&w).map_err(|e| LoadError::Decode(e.to_string()))?;
        let framed: BundleWire<FramedAction, FramedTool> =
            postcard::from_bytes(&bytes).map_err(|e| LoadError::Decode(e.to_string()))?;
        Program::build(framed, digest, key_id, format, unverified)
    }

    /// **Not for production: skips the bytecode verifier.** For the VM's
    /// own fault tests (`vm/tests/handasm.rs`), which plant code the
    /// verifier refuses to check that `decide` still denies. A program built
    /// this way may hold any code; nothing else in permit0 calls this.
    #[doc(hidden)]
    #[cfg(feature = "fault-injection")]
    pub fn from_wire_skipping_verifier_for_fault_tests(
        w: BundleWire,
        digest: [u8; 32],
        key_id: [u8; 8],
        format: u16,
    ) -> Result<Program, LoadError> {
        let p = Program::reframe(w, digest, key_id, format, true)?;
        p.build_all()?;
        Ok(p)
    }

    /// Builds (and verifies) every action, tool mapping and keyword matcher
    /// now; the first that fails refuses the bundle.
    fn build_all(&self) -> Result<(), LoadError> {
        for i in 0..self.actions.len() {
            if let Some(Err(e)) = self.action_built(i) {
                return Err(LoadError::Invalid(e.clone()));
            }
        }
        for i in 0..self.tools.len() {
            if let Some(Err(e)) = self.plans.tool(&self.tools, i) {
                return Err(LoadError::Invalid(e.clone()));
            }
        }
        for m in &self.matchers {
            m.automaton()
                .map_err(|e| LoadError::Invalid(e.to_string()))?;
        }
        Ok(())
    }

    /// Action `id`, decoded and verified on its first use; `None` for an
    /// action the bundle does not have or one that failed to build (see
    /// [`Program::action_error`]).
    pub(crate) fn action(&self, id: usize) -> Option<&ActionRt> {
        self.action_built(id)?.as_deref().ok()
    }

    /// Why action `id` cannot run, if it cannot.
    pub(crate) fn action_error(&self, id: usize) -> Option<&str> {
        match self.action_built(id)? {
            Ok(_) => None,
            Err(e) => Some(e),
        }
    }

    fn action_built(&self, id: usize) -> Option<&Built> {
        let cell = self.actions.built.get(id)?;
        Some(cell.get_or_init(|| self.build_action(id).map(Box::new)))
    }

    /// Decodes action `id` from its framed bytes into its runtime form and
    /// runs the bytecode verifier over it.
    fn build_action(&self, id: usize) -> Result<ActionRt, String> {
        let name = self
            .actions
            .name(id)
            .ok_or_else(|| format!("no action #{id}"))?;
        let body = self.actions.bodies.get(id).map_or(&[][..], |b| &b[..]);
        let a = ActionBody::decode(body).map_err(|e| format!("action `{name}` (#{id}): {e}"))?;
        if self.tzdb_mismatch && !a.locals.is_empty() {
            return Err(format!(
                "the bundle's rules read local time with time zone database {}, and this build has {}: rebuild the bundle with this permit0 so replays decide alike",
                self.info.tzdb,
                crate::local::TZDB_VERSION
            ));
        }
        let slots = FieldSlots {
            own: a.fields.into_boxed_slice(),
            shared: self.ns_fields.clone(),
        };
        let own_fields = slots.own().len();
        let flags = FlagSet(a.primary_flags | a.secondary_flags);
        if flags.0 >> 9 != 0 {
            return Err(format!("action `{name}` has unknown flag bits"));
        }
        let amps = Amps(a.amps);
        let floor = match a.floor {
            None => None,
            Some(t) => Some(
                *Tier::ALL
                    .get(t as usize)
                    .ok_or_else(|| format!("action `{name}` has unknown floor {t}"))?,
            ),
        };
        let base = floored(self.model.score(flags, &amps), floor);
        let base_gate = self.model.gate(flags, &amps);
        let mut reads_aggs: Vec<u16> = a
            .code
            .iter()
            .filter_map(|i| match *i {
                Instr::AggCmpK { agg, .. } | Instr::AggIs { agg } | Instr::NumAgg { agg, .. } => {
                    Some(agg)
                }
                _ => None,
            })
            .collect();
        reads_aggs.sort_unstable();
        reads_aggs.dedup();
        // The verifier refuses code reading an aggregate that does not
        // exist; were one read anyway, `decide` faults and denies.
        let mut queries = reads_aggs
            .iter()
            .filter_map(|&agg| {
                let w = self.aggregates.get(usize::from(agg))?;
                Some(crate::aggregates::AggQuery {
                    agg,
                    scope: w.scope,
                    key: aggregate_identity(&w.text),
                    kind: w.kind,
                    window_ms: w.window_ms,
                    window_actions: w.window_actions,
                })
            })
            .collect::<Vec<_>>();
        // Grouped by scope, so a store gets each scope's queries as one
        // slice.
        queries.sort_by_key(|q| (q.scope, q.agg));
        // Most actions belong to the scopes alike (always, with no `by`):
        // one list shared, not one allocated per action.
        let mut uses = [crate::aggregates::ScopeUse::Never; crate::aggregates::MAX_SCOPES];
        let n = self.scopes.len().min(uses.len());
        uses.iter_mut()
            .zip(&self.scopes)
            .for_each(|(u, sc)| *u = crate::aggregates::ScopeUse::of(sc, slots.own()));
        let uses = uses.get(..n).unwrap_or(&[]);
        let scope_uses = if *self.plain_uses == *uses {
            std::sync::Arc::clone(&self.plain_uses)
        } else {
            std::sync::Arc::from(uses)
        };
        let table = crate::request::ActionTable::of(&slots, own_fields);
        let action = ActionRt {
            name: std::sync::Arc::clone(name),
            slots,
            own_fields,
            flags,
            amps,
            floor,
            base,
            base_gate,
            plain: base_gate
                .is_none()
                .then(|| {
                    crate::exec::steps(&a.code, |r| {
                        self.rules.get(usize::from(r)).and_then(|r| r.verdict)
                    })
                })
                .flatten(),
            code: a.code.into_boxed_slice(),
            marks: a.marks.into_boxed_slice(),
            queries: queries.into_boxed_slice(),
            scope_uses,
            compliance: a
                .compliance
                .into_iter()
                .map(String::into_boxed_str)
                .collect(),
            locals: a.locals.into_boxed_slice(),
            table,
        };
        if !self.unverified {
            crate::verify::verify_one(self, &action, id)?;
        }
        Ok(action)
    }

    fn build(
        mut w: BundleWire<FramedAction, FramedTool>,
        digest: [u8; 32],
        key_id: [u8; 8],
        format: u16,
        unverified: bool,
    ) -> Result<Program, LoadError> {
        let bad = |s: String| LoadError::Invalid(s);
        let model = model_from_wire(&w.model).map_err(bad)?;
        model
            .validate()
            .map_err(|e| LoadError::Invalid(format!("risk model: {e}")))?;
        // The wire structs are consumed: strings and code move into the
        // program instead of being copied (a program is built on every
        // `permit0 hook` call, where each allocation shows).
        let enums = std::mem::take(&mut w.enums);
        let namespaces: Vec<(Box<str>, Vec<FieldMeta>)> = std::mem::take(&mut w.namespaces)
            .into_iter()
            .map(|n| (n.name.into_boxed_str(), n.fields))
            .collect();
        let ns_offset = |ns: &str, field: &str| {
            let mut base = 0usize;
            for (name, fields) in &namespaces {
                if &**name == ns {
                    return fields
                        .iter()
                        .position(|f| &*f.name == field)
                        .map(|i| base + i);
                }
                base += fields.len();
            }
            None
        };
        let context_time = ns_offset("context", "time");
        let context_tenant = ns_offset("context", "tenant");
        let actor_id = ns_offset("actor", "id");
        crate::aggregates::check_scopes(&w)?;
        let ns_fields: std::sync::Arc<[FieldMeta]> = namespaces
            .iter()
            .flat_map(|(_, f)| f.iter().cloned())
            .collect();

        let rules: Vec<RuleRt> = std::mem::take(&mut w.rules)
            .into_iter()
            .map(|r| {
                let verdict = match r.verdict {
                    None => None,
                    Some(0) => Some(Verdict::Allow),
                    Some(1) => Some(Verdict::Escalate),
                    Some(2) => Some(Verdict::Deny),
                    Some(v) => return Err(bad(format!("rule `{}` has unknown verdict {v}", r.id))),
                };
                let amplify = r
                    .amplify
                    .iter()
                    .map(|(a, d)| {
                        Amp::ALL
                            .get(*a as usize)
                            .map(|amp| (*amp, *d))
                            .ok_or_else(|| {
                                bad(format!("rule `{}` amplifies unknown dimension {a}", r.id))
                            })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(RuleRt {
                    id: r.id.into_boxed_str(),
                    verdict,
                    amplify,
                    reason: r.reason.map(String::into_boxed_str),
                    obligations: r
                        .obligations
                        .into_iter()
                        .map(|(k, v)| (k.into_boxed_str(), v.into_boxed_str()))
                        .collect(),
                })
            })
            .collect::<Result<_, _>>()?;

        let wire_actions = std::mem::take(&mut w.actions);
        if let Some(p) = wire_actions.windows(2).find_map(|p| match p {
            [prev, a] if prev.name >= a.name => Some(a),
            _ => None,
        }) {
            return Err(bad(format!("actions are not sorted at `{}`", p.name)));
        }
        let mut names = Vec::with_capacity(wire_actions.len());
        let mut bodies = Vec::with_capacity(wire_actions.len());
        for a in wire_actions {
            names.push(std::sync::Arc::<str>::from(a.name));
            bodies.push(a.body);
        }
        let actions = Actions {
            built: names.iter().map(|_| std::sync::OnceLock::new()).collect(),
            names: names.into_boxed_slice(),
            bodies: bodies.into_boxed_slice(),
        };
        let plain_uses: std::sync::Arc<[crate::aggregates::ScopeUse]> = w
            .scopes
            .iter()
            .take(crate::aggregates::MAX_SCOPES)
            .map(|sc| crate::aggregates::ScopeUse::of(sc, &[]))
            .collect();

        let mut matchers = Vec::with_capacity(w.matchers.len());
        for m in &w.matchers {
            if m.all && m.needles.len() > 64 {
                return Err(bad(
                    "a `contains_all` matcher holds more than 64 keywords".into()
                ));
            }
            if m.needles.iter().any(|n| fold(n) != *n || n.is_empty()) {
                return Err(bad("a matcher keyword is empty or not folded".into()));
            }
            let mut sorted: Vec<Box<str>> = m.needles.iter().map(|s| s.as_str().into()).collect();
            sorted.sort();
            sorted.dedup();
            matchers.push(MatcherRt {
                automaton: std::sync::OnceLock::new(),
                needles: m.needles.iter().map(|s| s.as_str().into()).collect(),
                sorted: sorted.into_boxed_slice(),
                all: m.all,
                count: m.needles.len(),
            });
        }
        let sets: Vec<Box<[Box<str>]>> = std::mem::take(&mut w.sets)
            .into_iter()
            .map(|s| {
                if s.windows(2).any(|p| p.first() >= p.get(1)) {
                    return Err(bad("a string set is not sorted".into()));
                }
                Ok(s.into_iter().map(String::into_boxed_str).collect())
            })
            .collect::<Result<_, _>>()?;
        let nets = sets
            .iter()
            .map(|s| {
                s.iter()
                    .map(|x| crate::value::Net::parse(x).ok())
                    .collect::<Option<Box<[_]>>>()
                    .unwrap_or_default()
            })
            .collect();
        let enum_sets: Vec<Box<[u16]>> = std::mem::take(&mut w.enum_sets)
            .into_iter()
            .map(Vec::into_boxed_slice)
            .collect();

        let bind = crate::request::BindTables::new(actions.names(), &namespaces);
        let actions_len = actions.len();
        let tzdb_mismatch = w.tzdb != crate::local::TZDB_VERSION;
        let program = Program {
            bind,
            instance: INSTANCES.fetch_add(1, Ordering::Relaxed),
            info: BundleInfo {
                digest,
                key_id,
                format,
                taxonomy_version: w.taxonomy_version,
                taxonomy_digest: w.taxonomy_digest,
                compiler: w.compiler,
                tzdb: w.tzdb,
                policies: w
                    .policies
                    .into_iter()
                    .map(|p| (p.name, p.source_digest))
                    .collect(),
            },
            model,
            enums,
            namespaces,
            actions,
            ns_fields,
            plain_uses,
            tzdb_mismatch,
            unverified,
            obliging: obliging(&rules),
            rules,
            ints: w.ints,
            strs: w.strs.into_iter().map(Into::into).collect(),
            sets,
            nets,
            enum_sets,
            matchers,
            context_time,
            context_tenant,
            actor_id,
            scopes: w.scopes.clone(),
            agg_keys: w
                .aggregates
                .iter()
                .map(|a| aggregate_identity(&a.text))
                .collect(),
            aggregates: w.aggregates,
            plans: crate::normalize::Plans::new(w.tools.len(), actions_len),
            tools: w.tools,
            builtins: &crate::normalize::NoBuiltins,
        };
        crate::verify::verify_globals(&program).map_err(LoadError::Invalid)?;
        Ok(program)
    }

    /// The same program calling `builtins` from its tool mappings and
    /// derivations (`&permit0_classify::CLASSIFIERS`). Without them, every
    /// request that needs a classifier is refused.
    pub fn with_builtins(mut self, builtins: &'static dyn crate::normalize::Builtins) -> Program {
        self.builtins = builtins;
        self
    }

    /// The builtins attached to this program.
    pub fn builtins(&self) -> &'static dyn crate::normalize::Builtins {
        self.builtins
    }

    pub fn info(&self) -> &BundleInfo {
        &self.info
    }

    /// `sha256:…` of the bundle.
    pub fn digest_string(&self) -> String {
        crate::canonical::sha256_string(&self.info.digest)
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn action_count(&self) -> usize {
        self.actions.len()
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    pub fn action_id(&self, name: &str) -> Option<u32> {
        self.actions
            .names()
            .binary_search_by(|a| (**a).cmp(name))
            .ok()
            .and_then(|i| u32::try_from(i).ok())
    }

    pub fn action_name(&self, id: u32) -> Option<&str> {
        self.actions.name(id as usize).map(|a| &**a)
    }

    /// The input fields of an action (its own fields a caller sends;
    /// derived fields, computed at bind time, are left out), for SDKs that
    /// fill a request's arguments from the code around it.
    pub fn action_inputs(&self, id: u32) -> Vec<&str> {
        self.action(id as usize)
            .map(|a| {
                a.slots
                    .iter()
                    .take(a.own_fields)
                    .filter(|f| f.derive.is_none())
                    .map(|f| &*f.name)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The action's declared flags, amplifiers and base risk.
    pub fn action_risk(&self, id: u32) -> Option<(FlagSet, Amps, Score)> {
        self.action(id as usize).map(|a| (a.flags, a.amps, a.base))
    }

    pub fn action_compliance(&self, id: u32) -> &[Box<str>] {
        self.action(id as usize)
            .map(|a| a.compliance.as_slice())
            .unwrap_or(&[])
    }

    pub fn rule_id(&self, rule: usize) -> Option<&str> {
        self.rules.get(rule).map(|r| &*r.id)
    }

    /// The slot of `context.time` in a request for `action`.
    pub fn time_slot(&self, action: u32) -> Option<usize> {
        let a = self.action(action as usize)?;
        self.context_time.map(|off| a.own_fields + off)
    }

    /// The stable identity of aggregate `i` (see [`crate::AggQuery::key`]).
    pub fn aggregate_key(&self, i: usize) -> u64 {
        self.agg_keys.get(i).copied().unwrap_or(0)
    }

    pub fn aggregates(&self) -> &[AggregateWire] {
        &self.aggregates
    }

    /// A readable listing of the program: header, actions and their code.
    pub fn disassemble(&self) -> String {
        crate::disasm::disassemble(self)
    }
}

/// The stable identity of an aggregate: a hash of its source text.
fn aggregate_identity(text: &str) -> u64 {
    let mut h = crate::aggregates::Fnv::new();
    h.write(text.as_bytes());
    h.0
}

pub(crate) fn floored(mut s: Score, floor: Option<Tier>) -> Score {
    if let Some(f) = floor {
        if f > s.tier {
            s.tier = f;
        }
    }
    s
}

/// Rule blocks of straight-line code: each ends at its `Fire` or `Amplify`:
/// `(first instruction, last instruction, rule)`, for the explain path
/// (found when explaining, not at every load).
pub(crate) fn rule_blocks(code: &[Instr]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, ins) in code.iter().enumerate() {
        match ins {
            Instr::Fire { rule } | Instr::Amplify { rule } => {
                out.push((start, i, *rule as usize));
                start = i + 1;
            }
            Instr::Score => start = i + 1,
            _ => {}
        }
    }
    out
}

pub(crate) fn model_from_wire(m: &wire::ModelWire) -> Result<Model, String> {
    let mut model = Model::standard();
    if m.flag_weights.len() != model.flag_weights.len()
        || m.amp_weights.len() != model.amp_weights.len()
        || m.bounds.len() != model.bounds.len()
    {
        return Err("risk model has the wrong number of weights".into());
    }
    model
        .flag_weights
        .iter_mut()
        .zip(&m.flag_weights)
        .for_each(|(o, i)| *o = *i);
    model
        .amp_weights
        .iter_mut()
        .zip(&m.amp_weights)
        .for_each(|(o, i)| *o = *i);
    model
        .bounds
        .iter_mut()
        .zip(&m.bounds)
        .for_each(|(o, i)| *o = *i);
    model.gates = m
        .gates
        .iter()
        .map(|g| {
            let thresholds = g
                .thresholds
                .iter()
                .map(|(a, t)| {
                    Amp::ALL
                        .get(*a as usize)
                        .map(|amp| (*amp, *t))
                        .ok_or("unknown amplifier in a gate")
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Gate {
                name: g.name.clone(),
                flags: FlagSet(g.flags),
                thresholds,
            })
        })
        .collect::<Result<_, &str>>()?;
    Ok(model)
}

/// The wire form of a risk model.
pub fn model_to_wire(m: &Model) -> wire::ModelWire {
    wire::ModelWire {
        flag_weights: m.flag_weights.to_vec(),
        amp_weights: m.amp_weights.to_vec(),
        bounds: m.bounds.to_vec(),
        gates: m
            .gates
            .iter()
            .map(|g| wire::GateWire {
                name: g.name.clone(),
                flags: g.flags.0,
                thresholds: g.thresholds.iter().map(|(a, t)| (*a as u8, *t)).collect(),
            })
            .collect(),
    }
}

impl Program {
    /// The slot of a field of an action: `amount`, or `actor.role` for a
    /// namespace field. For tools that inspect bound requests (the reference
    /// evaluator, session stores); `decide` never looks names up.
    pub fn field_slot(&self, action: u32, path: &str) -> Option<usize> {
        let a = self.action(action as usize)?;
        match path.split_once('.') {
            None => a.slots.own().iter().position(|f| &*f.name == path),
            Some((ns, field)) => {
                let mut base = a.own_fields;
                for (name, fields) in &self.namespaces {
                    if &**name == ns {
                        return fields
                            .iter()
                            .position(|f| &*f.name == field)
                            .map(|i| base + i);
                    }
                    base += fields.len();
                }
                None
            }
        }
    }
}

impl Request {
    /// The value of session aggregate `i`.
    pub fn aggregate(&self, i: usize) -> Option<i64> {
        self.aggs.get(i).copied()
    }
}

//! What a session store needs from a program, and nothing about stores: the
//! aggregates an action's rules read ([`AggQuery`]), what a decided action
//! adds to its session ([`Program::contributions`]), the request's time and
//! the slots stores fill ([`Request::set_aggregate`]).
//!
//! The VM never keeps history itself; a store (`permit0_session`, or
//! one on the network) answers the queries from the history it keeps.

use crate::program::{FieldMeta, Program};
use crate::request::Request;
use crate::value::Value;
use crate::wire::{AggKindWire, BundleWire, ScopeBaseWire, ScopeWire};
use std::fmt::Write as _;

/// The most scopes of history a bundle reads (the plain session included):
/// a store steps through them on the stack, without allocating.
pub const MAX_SCOPES: usize = 16;

/// One session aggregate a rule reads: `session.count(…)`, `sum`, `seen`
/// or `distinct`, over a window of time and/or of the last N actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggQuery {
    /// Index into the program's aggregates, i.e. the request's aggregate
    /// slot the answer goes to.
    pub agg: u16,
    /// Index into [`Program::scopes`]: whose history answers it.
    pub scope: u16,
    /// The aggregate's stable identity: a hash of its source text, so a
    /// store's history survives a bundle swap that keeps the aggregate.
    pub key: u64,
    pub kind: AggKindWire,
    /// Only actions at most this many ms before the request's time (0: any).
    pub window_ms: i64,
    /// Only the last N actions of the session (0: all).
    pub window_actions: i64,
}

/// FNV-1a: the aggregates' stable identities and `distinct`'s value
/// identities. Stable across builds and machines, which a std hasher is not.
pub(crate) struct Fnv(pub u64);

impl Fnv {
    pub fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// How a request for an action belongs to one of the bundle's scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeUse {
    /// Session, actor and tenant: every request belongs.
    Always,
    /// `… by FIELD`: the action's field in this slot says which group.
    By(usize),
    /// `… by FIELD` where the action has no such field: its requests are
    /// neither counted there nor read from there.
    Never,
}

impl ScopeUse {
    pub(crate) fn of(scope: &ScopeWire, own_fields: &[FieldMeta]) -> ScopeUse {
        match &scope.by {
            None => ScopeUse::Always,
            Some(f) => match own_fields.iter().position(|m| &*m.name == f.as_str()) {
                Some(slot) => ScopeUse::By(slot),
                None => ScopeUse::Never,
            },
        }
    }
}

/// Refuses a bundle whose scopes a store could not step through: none, more
/// than [`MAX_SCOPES`], a first one that is not the plain session, an
/// aggregate naming a scope that does not exist, or a window of the last N
/// actions outside the plain session (only the session records every
/// action; the other scopes record only actions that count).
pub(crate) fn check_scopes<A, T>(w: &BundleWire<A, T>) -> Result<(), crate::program::LoadError> {
    let bad = |m: String| crate::program::LoadError::Invalid(m);
    if w.scopes.first() != Some(&ScopeWire::session()) {
        return Err(bad("the bundle's first scope is not the session".into()));
    }
    if w.scopes.len() > MAX_SCOPES {
        return Err(bad(format!(
            "the bundle reads {} scopes of history, more than {MAX_SCOPES}",
            w.scopes.len()
        )));
    }
    for a in &w.aggregates {
        if usize::from(a.scope) >= w.scopes.len() {
            return Err(bad(format!(
                "aggregate `{}` reads an unknown scope",
                a.text
            )));
        }
        if a.scope != 0 && a.window_actions > 0 {
            return Err(bad(format!(
                "aggregate `{}` counts the last N actions outside the session",
                a.text
            )));
        }
    }
    Ok(())
}

/// Appends `text` as `<len>:<text>`, or `-` when absent: no two texts, and
/// no text and an absence, append the same.
fn part(key: &mut String, text: Option<&str>) {
    match text {
        Some(t) => {
            let _ = write!(key, "{}:", t.len());
            key.push_str(t);
        }
        None => key.push('-'),
    }
}

impl Program {
    /// The session aggregates the rules of `action` read, ready for a
    /// store, grouped by scope: built once at load, so reading them never
    /// allocates.
    pub fn session_queries(&self, action: u32) -> &[AggQuery] {
        self.action(action as usize).map_or(&[], |a| &a.queries)
    }

    /// The queries of `action` that scope `scope` answers (a run of
    /// [`Program::session_queries`]).
    pub fn scope_queries(&self, action: u32, scope: u16) -> &[AggQuery] {
        let all = self.session_queries(action);
        let from = all.partition_point(|q| q.scope < scope);
        let to = all.partition_point(|q| q.scope <= scope);
        all.get(from..to).unwrap_or(&[])
    }

    /// The scopes of history the bundle's aggregates read; the first is
    /// always the plain session.
    pub fn scopes(&self) -> &[ScopeWire] {
        &self.scopes
    }

    /// Writes into `key` the store key of `req` in scope `scope`, and says
    /// whether the request belongs to it at all (an action without the
    /// `by` field does not). Does not allocate once `key` has grown.
    ///
    /// - the plain session: `s` and the explicit `session.id`; without one,
    ///   `a`, the tenant and the actor id — so leaving the id out never
    ///   switches a cap off, and no explicit id shares history with an
    ///   actor;
    /// - `actor`: `A`, the tenant and the actor id;
    /// - `tenant`: `T` and the tenant;
    /// - `… by FIELD`: `b`, the field's name and the request's value of it
    ///   (text case-folded, as `distinct` compares it), then the base's key.
    ///
    /// Each part is `<len>:<text>`, or `-` when the request does not carry
    /// it: a request without an actor id counts with every other such
    /// request of its tenant, one without a tenant with every other such
    /// request, one without the `by` field with every other request of the
    /// scope that lacks it — a shared, stricter key, never no key. The
    /// tenant is in every key but an explicit session's: one tenant's
    /// requests never read or add to another's actor, tenant or field
    /// history.
    pub fn scope_key(&self, req: &Request, scope: usize, key: &mut String) -> bool {
        key.clear();
        let Some(sc) = self.scopes.get(scope) else {
            return false;
        };
        let Some(action) = req.action() else {
            return false;
        };
        let Some(a) = self.action(action as usize) else {
            return false;
        };
        let text = |off: Option<usize>| match off.and_then(|o| req.slot(a.own_fields + o)) {
            Some(Value::Str(t)) => Some(&*t.raw),
            _ => None,
        };
        match a.scope_uses.get(scope) {
            None | Some(ScopeUse::Never) => return false,
            Some(ScopeUse::Always) => {}
            Some(ScopeUse::By(slot)) => {
                key.push('b');
                part(key, sc.by.as_deref());
                match req.slot(*slot) {
                    Some(Value::Str(t)) => {
                        // Folded and trimmed: `acc-7 ` and ` ACC-7` are
                        // the debt `acc-7` to a backend that trims its
                        // ids, so they count as one (merging more values
                        // only makes a cap stricter).
                        key.push('s');
                        part(key, Some(t.folded.trim()));
                    }
                    Some(Value::Int(n)) => {
                        let _ = write!(key, "i{n};");
                    }
                    Some(Value::Enum(m)) => {
                        let _ = write!(key, "e{m};");
                    }
                    Some(Value::Bool(b)) => {
                        let _ = write!(key, "b{};", u8::from(*b));
                    }
                    // Absent (or a type no scope groups by): one shared group.
                    _ => key.push('-'),
                }
            }
        }
        match sc.base {
            ScopeBaseWire::Session => {
                if let Some(id) = req.session_id() {
                    key.push('s');
                    key.push_str(id);
                } else {
                    key.push('a');
                    part(key, text(self.context_tenant));
                    part(key, text(self.actor_id));
                }
            }
            ScopeBaseWire::Actor => {
                key.push('A');
                part(key, text(self.context_tenant));
                part(key, text(self.actor_id));
            }
            ScopeBaseWire::Tenant => {
                key.push('T');
                part(key, text(self.context_tenant));
            }
        }
        true
    }

    /// [`Program::contributions`] with the scope of each: `(scope,
    /// aggregate key, value)`, so a store records each under its scope.
    pub fn scoped_contributions(&self, req: &Request, mut add: impl FnMut(u16, u64, i64)) {
        let aggs = &self.aggregates;
        self.marks(req, |i| {
            if let Some(agg) = aggs.get(i) {
                if let Some(v) = self.contribution(req, agg) {
                    add(agg.scope, self.aggregate_key(i), v);
                }
            }
        });
    }

    fn contribution(&self, req: &Request, agg: &crate::wire::AggregateWire) -> Option<i64> {
        let field = || {
            let action = req.action()?;
            let slot = self.field_slot(action, agg.field.as_deref()?)?;
            req.slot(slot)
        };
        match agg.kind {
            AggKindWire::Count | AggKindWire::Seen => Some(1),
            AggKindWire::Sum => match field() {
                Some(Value::Int(v)) => Some(*v),
                _ => None,
            },
            AggKindWire::Distinct => field().and_then(value_hash),
        }
    }

    /// What a decided `req` adds to its session: `(aggregate key, value)`
    /// for every aggregate it counts toward (the bundle's mark code, where
    /// the `where` filters live) — 1 for count and seen, the field for sum,
    /// a hash of it for distinct. Depends on the request only, never on the
    /// decision, so a store may record it in the same step that reads the
    /// history (see `SessionStore::observe`).
    pub fn contributions(&self, req: &Request, mut add: impl FnMut(u64, i64)) {
        self.scoped_contributions(req, |_, k, v| add(k, v));
    }

    /// The request's `context.time` in ms, when the bundle declares it and
    /// the request sent it.
    pub fn request_time(&self, req: &Request) -> Option<i64> {
        let slot = self.time_slot(req.action()?)?;
        match req.slot(slot) {
            Some(Value::Int(t)) => Some(*t),
            _ => None,
        }
    }

    /// The text of a shared field (`actor.id`, `context.tenant`, …) of a
    /// bound request, if it was sent.
    pub fn shared_text<'r>(&self, req: &'r Request, path: &str) -> Option<&'r str> {
        let slot = self.field_slot(req.action()?, path)?;
        match req.slot(slot) {
            Some(Value::Str(t)) => Some(&t.raw),
            _ => None,
        }
    }
}

/// A stable 64-bit identity of a value for `distinct` (FNV-1a over the
/// case-folded text, so `Vendor-A` and `vendor-a` are one payee).
fn value_hash(v: &Value) -> Option<i64> {
    let mut h = Fnv::new();
    match v {
        Value::Absent => return None,
        Value::Bool(b) => h.write(&[u8::from(*b)]),
        Value::Int(n) => h.write(&n.to_le_bytes()),
        Value::Enum(m) => h.write(&m.to_le_bytes()),
        Value::Str(t) => h.write(t.folded.as_bytes()),
        Value::Grants(gs) => h.write(crate::value::grants_json(gs).to_string().as_bytes()),
        Value::Chain(hops) => h.write(crate::value::chain_json(hops).to_string().as_bytes()),
        Value::Ip(a) => h.write(a.to_string().as_bytes()),
        Value::List(items) => {
            for t in items.iter() {
                h.write(t.folded.as_bytes());
                h.write(&[0xff]);
            }
        }
    }
    Some(i64::from_le_bytes(h.0.to_le_bytes()))
}

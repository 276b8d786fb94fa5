//! What a session store needs from a program, and nothing about stores: the
//! aggregates an action's rules read ([`AggQuery`]), what a decided action
//! adds to its session ([`Program::contributions`]), the request's time and
//! the slots stores fill ([`Request::set_aggregate`]).
//!
//! The VM never keeps history itself; a store (`permit0_session`, or
//! one on the network) answers the queries from the history it keeps.

use crate::program::Program;
use crate::request::Request;
use crate::value::Value;
use crate::wire::AggKindWire;

/// One session aggregate a rule reads: `session.count(…)`, `sum`, `seen`
/// or `distinct`, over a window of time and/or of the last N actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggQuery {
    /// Index into the program's aggregates, i.e. the request's aggregate
    /// slot the answer goes to.
    pub agg: u16,
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

impl Program {
    /// The session aggregates the rules of `action` read, ready for a
    /// store: built once at load, so reading them never allocates.
    pub fn session_queries(&self, action: u32) -> &[AggQuery] {
        self.actions
            .get(action as usize)
            .map_or(&[], |a| &a.queries)
    }

    /// What a decided `req` adds to its session: `(aggregate key, value)`
    /// for every aggregate it counts toward (the bundle's mark code, where
    /// the `where` filters live) — 1 for count and seen, the field for sum,
    /// a hash of it for distinct. Depends on the request only, never on the
    /// decision, so a store may record it in the same step that reads the
    /// history (see `SessionStore::observe`).
    pub fn contributions(&self, req: &Request, mut add: impl FnMut(u64, i64)) {
        let aggs = &self.aggregates;
        self.marks(req, |i| {
            let Some(agg) = aggs.get(i) else {
                return;
            };
            let field = || {
                let action = req.action()?;
                let slot = self.field_slot(action, agg.field.as_deref()?)?;
                req.slot(slot)
            };
            let value = match agg.kind {
                AggKindWire::Count | AggKindWire::Seen => Some(1),
                AggKindWire::Sum => match field() {
                    Some(Value::Int(v)) => Some(*v),
                    _ => None,
                },
                AggKindWire::Distinct => field().and_then(value_hash),
            };
            if let Some(v) = value {
                add(self.aggregate_key(i), v);
            }
        });
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

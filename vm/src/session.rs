//! Session state: the earlier actions of each session, kept by the embedding
//! so the VM can read `session.count`, `session.sum`, `session.seen` and
//! `session.distinct`.
//!
//! The loop around each decision is `bind` → [`Sessions::fill`] → `decide`
//! → [`Sessions::record`]. `fill` computes the aggregates the bundle declares
//! from the session's history without allocating; `record` remembers the
//! action: which aggregates it counts toward (the bundle's mark code, where
//! the `where` filters live), the value it adds, and its `context.time`.
//!
//! Windows are measured on the request's own `context.time`, never the wall
//! clock, so replaying a log gives the same answers. The store remembers
//! attempts, not outcomes: a denied transfer still counts toward a cap, which
//! errs on the side of caution.
//!
//! Memory is bounded: a session keeps at most `max_entries` actions (oldest
//! dropped first), entries older than `max_age_ms` before the newest one are
//! dropped, and at most `max_sessions` sessions are kept (the least recently
//! used one is dropped first).

use crate::program::Program;
use crate::request::Request;
use crate::value::Value;
use crate::wire::AggKindWire;
use std::collections::{HashMap, VecDeque};

/// How much a [`Sessions`] store keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    pub max_sessions: usize,
    pub max_entries: usize,
    pub max_age_ms: i64,
}

impl Default for SessionLimits {
    /// 4,096 sessions of up to 512 actions, kept for 7 days: room for every
    /// window the stdlib uses.
    fn default() -> SessionLimits {
        SessionLimits {
            max_sessions: 4096,
            max_entries: 512,
            max_age_ms: 7 * 24 * 3_600_000,
        }
    }
}

/// One recorded action.
#[derive(Debug)]
struct Entry {
    /// `context.time` in ms, if the request had one.
    time: Option<i64>,
    /// `(aggregate key, value)` for each aggregate the action counts toward:
    /// 1 for count and seen, the field for sum, a hash of it for distinct.
    contributions: Box<[(u64, i64)]>,
}

#[derive(Debug)]
struct Session {
    entries: VecDeque<Entry>,
    last_use: u64,
    /// Every entry has a time, each no earlier than the one before: a walk
    /// back in time may stop at the first entry outside a window.
    ordered: bool,
}

impl Default for Session {
    fn default() -> Session {
        Session {
            entries: VecDeque::new(),
            last_use: 0,
            ordered: true,
        }
    }
}

/// An in-memory, bounded session store. One store serves one service; it
/// is not shared between threads (wrap it in a lock, or keep one per
/// worker and route sessions to workers).
#[derive(Debug)]
pub struct Sessions {
    limits: SessionLimits,
    sessions: HashMap<Box<str>, Session>,
    tick: u64,
    /// Reused for `distinct`, so `fill` does not allocate once warm.
    scratch: Vec<i64>,
}

impl Default for Sessions {
    fn default() -> Sessions {
        Sessions::new(SessionLimits::default())
    }
}

impl Sessions {
    pub fn new(limits: SessionLimits) -> Sessions {
        Sessions {
            limits,
            sessions: HashMap::new(),
            tick: 0,
            scratch: Vec::with_capacity(limits.max_entries.min(4096)),
        }
    }

    pub fn limits(&self) -> SessionLimits {
        self.limits
    }

    /// How many sessions are kept.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// How many actions session `id` holds.
    pub fn entries(&self, id: &str) -> usize {
        self.sessions.get(id).map_or(0, |s| s.entries.len())
    }

    /// Fills the request's session aggregates from its session's history.
    /// A request without a session id has no history: every aggregate reads
    /// 0 (false for `seen`). Does not allocate once the store is warm.
    pub fn fill(&mut self, program: &Program, req: &mut Request) {
        let aggs = program.aggregates();
        let Some(action) = req.action() else {
            return;
        };
        // Only what this action's rules read; the rest stay 0.
        let wanted = program.aggregates_read_by(action);
        if wanted.is_empty() {
            return;
        }
        let now = request_time(program, req);
        let session = req.session_id().and_then(|id| self.sessions.get(id));
        for &i in wanted {
            let i = usize::from(i);
            let (Some(agg), Some(session)) = (aggs.get(i), session) else {
                req.set_aggregate(i, 0);
                continue;
            };
            let key = program.aggregate_key(i);
            let recent = if agg.window_actions > 0 {
                usize::try_from(agg.window_actions).unwrap_or(usize::MAX)
            } else {
                usize::MAX
            };
            let since = match (agg.window_ms > 0, now) {
                (true, Some(now)) => Some(now.saturating_sub(agg.window_ms)),
                _ => None,
            };
            // Newest first. While the session's times only grew, the first
            // entry before the window ends the walk; an entry without a time
            // cannot be placed outside the window, so it counts.
            let values = session
                .entries
                .iter()
                .rev()
                .take(recent)
                .take_while(|e| {
                    !session.ordered || since.is_none_or(|s| e.time.is_none_or(|t| t >= s))
                })
                .filter(|e| since.is_none_or(|s| e.time.is_none_or(|t| t >= s)))
                .flat_map(|e| e.contributions.iter())
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| *v);
            let value = match agg.kind {
                AggKindWire::Count => i64::try_from(values.count()).unwrap_or(i64::MAX),
                AggKindWire::Seen => i64::from(values.take(1).count() > 0),
                AggKindWire::Sum => values.fold(0i64, i64::saturating_add),
                AggKindWire::Distinct => {
                    self.scratch.clear();
                    self.scratch.extend(values);
                    self.scratch.sort_unstable();
                    self.scratch.dedup();
                    i64::try_from(self.scratch.len()).unwrap_or(i64::MAX)
                }
            };
            req.set_aggregate(i, value);
        }
    }

    /// Remembers a decided request in its session. A request without a
    /// session id, or for an action the bundle does not know, is not kept.
    pub fn record(&mut self, program: &Program, req: &Request) {
        let Some(id) = req.session_id() else {
            return;
        };
        if req.action().is_none() {
            return;
        }
        let aggs = program.aggregates();
        let mut contributions: Vec<(u64, i64)> = Vec::new();
        program.marks(req, |i| {
            let Some(agg) = aggs.get(i) else {
                return;
            };
            let field = || {
                let action = req.action()?;
                let slot = program.field_slot(action, agg.field.as_deref()?)?;
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
                contributions.push((program.aggregate_key(i), v));
            }
        });
        let time = request_time(program, req);
        self.tick += 1;
        let tick = self.tick;
        if !self.sessions.contains_key(id) && self.sessions.len() >= self.limits.max_sessions {
            self.evict_least_recent();
        }
        if self.limits.max_sessions == 0 || self.limits.max_entries == 0 {
            return;
        }
        let session = self.sessions.entry(id.into()).or_default();
        session.last_use = tick;
        let newest = session.entries.back().map(|e| e.time);
        session.ordered &= match (newest, time) {
            (None, Some(_)) => true,
            (Some(Some(prev)), Some(t)) => t >= prev,
            _ => false,
        };
        session.entries.push_back(Entry {
            time,
            contributions: contributions.into_boxed_slice(),
        });
        while session.entries.len() > self.limits.max_entries {
            session.entries.pop_front();
        }
        if let Some(newest) = time {
            let horizon = newest.saturating_sub(self.limits.max_age_ms);
            while session
                .entries
                .front()
                .is_some_and(|e| e.time.is_some_and(|t| t < horizon))
            {
                session.entries.pop_front();
            }
        }
    }

    /// One request of a stream: read its session, decide, remember it.
    pub fn decide(&mut self, program: &Program, req: &mut Request) -> crate::Decision {
        self.fill(program, req);
        let d = program.decide(req);
        self.record(program, req);
        d
    }

    /// Forgets session `id`.
    pub fn end(&mut self, id: &str) {
        self.sessions.remove(id);
    }

    fn evict_least_recent(&mut self) {
        let oldest = self
            .sessions
            .iter()
            .min_by_key(|(_, s)| s.last_use)
            .map(|(k, _)| k.clone());
        if let Some(k) = oldest {
            self.sessions.remove(&k);
        }
    }
}

/// The request's `context.time` in ms, when the bundle declares it and the
/// request sent it.
fn request_time(program: &Program, req: &Request) -> Option<i64> {
    let slot = program.time_slot(req.action()?)?;
    match req.slot(slot) {
        Some(Value::Int(t)) => Some(*t),
        _ => None,
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
        Value::List(items) => {
            for t in items.iter() {
                h.write(t.folded.as_bytes());
                h.write(&[0xff]);
            }
        }
    }
    Some(i64::from_le_bytes(h.0.to_le_bytes()))
}

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

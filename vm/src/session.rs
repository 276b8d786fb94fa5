//! Session state: the earlier actions of each session, kept by the embedding
//! so the VM can read `session.count`, `session.sum`, `session.seen` and
//! `session.distinct`.
//!
//! The loop around each decision is `bind` → [`Sessions::fill`] → `decide`
//! → [`Sessions::record`] (or [`Sessions::decide`], which does all three).
//! `fill` checks the request's `context.time` against the [`Clock`] and
//! computes the aggregates the bundle declares from the session's history
//! without allocating; `record` remembers the action: which aggregates it
//! counts toward (the bundle's mark code, where the `where` filters live),
//! the value it adds, and its time.
//!
//! **Which session.** A request with `session.id` belongs to that session. A
//! request without one is still counted — under its actor (`actor.id`), its
//! tenant and actor (`context.tenant`), or, when it names neither, one fixed
//! anonymous session — so leaving the id out never switches off a cap or an
//! attack chain. Explicit ids and these implicit keys never collide.
//!
//! **Which time.** Windows are measured on the request's own `context.time`,
//! so replaying a log gives the same answers. Deciding live ([`Clock::live`],
//! [`Clock::system`]) a `context.time` more than the clock's skew (default
//! [`DEFAULT_MAX_SKEW_MS`], 5 minutes) from the embedding's clock is refused
//! with [`BindError::ClockSkew`]: one request dated ten years ahead cannot
//! push a session's history out of its windows or out of the store. A request
//! without `context.time` is placed at the clock's time (the request itself
//! is not changed: its rules still see `context.time` absent and its action
//! digest is that of what was sent). Replay ([`Clock::logged`]) checks the
//! same way against the record's logged time; [`Clock::unchecked`] (test
//! scenarios) takes every time as given.
//!
//! The store remembers attempts, not outcomes: a denied transfer still
//! counts toward a cap, which errs on the side of caution. A request refused
//! for its time is not recorded.
//!
//! Memory is bounded: a session keeps at most `max_entries` actions (oldest
//! dropped first), entries older than `max_age_ms` before the newest one are
//! dropped, and at most `max_sessions` sessions are kept (the least recently
//! used one is dropped first — by use, never by the times requests claim).

use crate::program::Program;
use crate::request::{BindError, Request};
use crate::value::Value;
use crate::wire::AggKindWire;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;

/// How far `context.time` may be from the embedding's clock when deciding
/// live, by default: 5 minutes.
pub const DEFAULT_MAX_SKEW_MS: i64 = 5 * 60_000;

/// The time a decision is made at, and how `context.time` is checked
/// against it. Every call that reads or writes a session takes one, so an
/// embedding chooses: live ([`Clock::system`]), replay ([`Clock::logged`]),
/// or a test scenario ([`Clock::unchecked`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    now_ms: Option<i64>,
    max_skew_ms: Option<i64>,
}

impl Clock {
    /// Deciding live at `now_ms` (the embedding's own clock, ms since the
    /// epoch): a `context.time` more than [`DEFAULT_MAX_SKEW_MS`] away is
    /// refused, a missing one is taken to be `now_ms`.
    pub fn live(now_ms: i64) -> Clock {
        Clock {
            now_ms: Some(now_ms),
            max_skew_ms: Some(DEFAULT_MAX_SKEW_MS),
        }
    }

    /// [`Clock::live`] at the system clock.
    pub fn system() -> Clock {
        Clock::live(crate::time::now_ms())
    }

    /// Replaying a log: the record's logged time stands for the clock, and
    /// `context.time` is checked against it as it was live. Without a
    /// logged time, nothing is checked.
    pub fn logged(time_ms: Option<i64>) -> Clock {
        Clock {
            now_ms: time_ms,
            max_skew_ms: time_ms.map(|_| DEFAULT_MAX_SKEW_MS),
        }
    }

    /// Test scenarios and offline what-ifs: every `context.time` is taken
    /// as given, and a request without one has no time. Never for live
    /// decisions.
    pub fn unchecked() -> Clock {
        Clock {
            now_ms: None,
            max_skew_ms: None,
        }
    }

    /// The same clock with another allowed skew (negative counts as 0).
    /// No effect on [`Clock::unchecked`].
    pub fn with_max_skew(self, max_skew_ms: i64) -> Clock {
        Clock {
            max_skew_ms: self.now_ms.map(|_| max_skew_ms.max(0)),
            ..self
        }
    }

    pub fn now_ms(&self) -> Option<i64> {
        self.now_ms
    }

    pub fn max_skew_ms(&self) -> Option<i64> {
        self.max_skew_ms
    }

    /// The time the request is placed at: its own `context.time`, checked
    /// against the clock, or else the clock's time.
    fn place(&self, sent: Option<i64>) -> Result<Option<i64>, BindError> {
        match (sent, self.now_ms, self.max_skew_ms) {
            (Some(t), Some(now), Some(max)) => {
                let off = t.saturating_sub(now);
                if off.saturating_abs() > max {
                    return Err(BindError::ClockSkew {
                        field: "context.time".into(),
                        value: crate::time::format_rfc3339_ms(t),
                        ahead: off > 0,
                        max_skew_ms: max,
                    });
                }
                Ok(Some(t))
            }
            (Some(t), _, _) => Ok(Some(t)),
            (None, now, _) => Ok(now),
        }
    }
}

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
    /// Keyed by [`key_of`]'s encoding of the session id or the actor.
    sessions: HashMap<Box<str>, Session>,
    tick: u64,
    /// Reused for `distinct`, so `fill` does not allocate once warm.
    scratch: Vec<i64>,
    /// Reused for the session key, for the same reason.
    key: String,
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
            key: String::with_capacity(64),
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

    /// How many actions the session with explicit id `id` holds.
    pub fn entries(&self, id: &str) -> usize {
        self.sessions
            .get(explicit_key(id).as_str())
            .map_or(0, |s| s.entries.len())
    }

    /// How many actions the session `req` belongs to holds (its id, or its
    /// actor when it has none).
    pub fn entries_of(&mut self, program: &Program, req: &Request) -> usize {
        key_of(&mut self.key, program, req);
        self.sessions
            .get(self.key.as_str())
            .map_or(0, |s| s.entries.len())
    }

    /// Checks the request's time against `clock` and fills its session
    /// aggregates from its session's history (see the module docs for which
    /// session and which time). A `context.time` too far from a live clock
    /// is a [`BindError::ClockSkew`]: refuse the request
    /// ([`Program::refuse`]) and do not decide it. Does not allocate once
    /// the store is warm.
    pub fn fill(
        &mut self,
        program: &Program,
        req: &mut Request,
        clock: Clock,
    ) -> Result<(), BindError> {
        let aggs = program.aggregates();
        let Some(action) = req.action() else {
            return Ok(());
        };
        let now = clock.place(request_time(program, req))?;
        // Only what this action's rules read; the rest stay 0.
        let wanted = program.aggregates_read_by(action);
        if wanted.is_empty() {
            return Ok(());
        }
        key_of(&mut self.key, program, req);
        let session = self.sessions.get(self.key.as_str());
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
        Ok(())
    }

    /// Remembers a decided request in its session, at the time `fill`
    /// placed it (pass the same clock). A request for an action the bundle
    /// does not know is not kept, nor one whose time the clock refuses.
    pub fn record(&mut self, program: &Program, req: &Request, clock: Clock) {
        if req.action().is_none() {
            return;
        }
        let Ok(time) = clock.place(request_time(program, req)) else {
            return;
        };
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
        self.tick += 1;
        let tick = self.tick;
        key_of(&mut self.key, program, req);
        if !self.sessions.contains_key(self.key.as_str())
            && self.sessions.len() >= self.limits.max_sessions
        {
            self.evict_least_recent();
        }
        if self.limits.max_sessions == 0 || self.limits.max_entries == 0 {
            return;
        }
        let session = self.sessions.entry(self.key.as_str().into()).or_default();
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

    /// One request of a stream: check its time, read its session, decide,
    /// remember it. An error is a refusal: decide it with
    /// [`Program::refuse`] (and [`Program::refusal_json`] for the reason).
    pub fn decide(
        &mut self,
        program: &Program,
        req: &mut Request,
        clock: Clock,
    ) -> Result<crate::Decision, BindError> {
        self.fill(program, req, clock)?;
        let d = program.decide(req);
        self.record(program, req, clock);
        Ok(d)
    }

    /// Forgets the session with explicit id `id`.
    pub fn end(&mut self, id: &str) {
        self.sessions.remove(explicit_key(id).as_str());
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

/// The store key of the session with explicit id `id`.
fn explicit_key(id: &str) -> String {
    let mut k = String::with_capacity(id.len() + 1);
    k.push('s');
    k.push_str(id);
    k
}

/// Writes the store key of `req`'s session into `key`: `s` and the explicit
/// id; or `a`, then the tenant and the actor id, each as `<len>:<text>` or
/// `-` when absent — so no explicit id, and no two tenant/actor pairs,
/// share a key. Does not allocate once `key` has grown.
fn key_of(key: &mut String, program: &Program, req: &Request) {
    key.clear();
    if let Some(id) = req.session_id() {
        key.push('s');
        key.push_str(id);
        return;
    }
    key.push('a');
    for path in ["context.tenant", "actor.id"] {
        let text = req
            .action()
            .and_then(|a| program.field_slot(a, path))
            .and_then(|s| req.slot(s));
        match text {
            Some(Value::Str(t)) => {
                let _ = write!(key, "{}:", t.raw.len());
                key.push_str(&t.raw);
            }
            _ => key.push('-'),
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

//! Session state: the earlier actions of each session, kept by a
//! [`SessionStore`] so the VM can read `session.count`, `session.sum`,
//! `session.seen` and `session.distinct`.
//!
//! Around each decision, [`decide`] places the request in time (checking
//! `context.time` against a [`Clock`]), asks the store in **one atomic
//! step** for the aggregates the action's rules read *and* records the
//! action ([`SessionStore::observe`]), then decides. Reading and recording
//! in one step is what keeps two concurrent requests of one session from
//! both slipping under a cap: the second one sees the first. It is possible
//! because what an action adds to its session depends on the request only,
//! never on the decision ([`Program::contributions`]) — the store remembers
//! attempts, not outcomes: a denied transfer still counts toward a cap,
//! which errs on the side of caution. A request refused for its time is not
//! recorded. A network store does the same step in one round trip.
//!
//! **Which session.** A request with `session.id` belongs to that session. A
//! request without one is still counted — under its actor (`actor.id`), its
//! tenant and actor (`context.tenant`), or, when it names neither, one fixed
//! anonymous session — so leaving the id out never switches off a cap or an
//! attack chain. Explicit ids and these implicit keys never collide (see
//! [`scope_key`]).
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
//! **When the store fails** (a network store that does not answer), the
//! request is decided without its history and then never looser than
//! escalate ([`Cause::SessionStore`]): a cap that cannot be read is not a
//! cap that passed.
//!
//! [`MemoryStore`] is the in-memory store: sharded, so threads deciding
//! different sessions rarely meet on a lock, and bounded — a session keeps
//! at most `max_entries` actions (oldest dropped first), entries older than
//! `max_age_ms` before the newest one are dropped, and at most
//! `max_sessions` sessions are kept (per shard, the least recently used one
//! is dropped first — by use, never by the times requests claim).

use permit0_vm::risk::Verdict;
use permit0_vm::wire::AggKindWire;
use permit0_vm::{AggQuery, BindError, Cause, Decision, Program, Request};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::fmt::Write as _;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

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
        Clock::live(permit0_vm::time::now_ms())
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
                        value: permit0_vm::time::format_rfc3339_ms(t),
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

/// How much a [`MemoryStore`] keeps.
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

/// One atomic step of a session: answer `queries` from the history of the
/// session `scope` as it was before this request, then (when `record` is
/// given) append this request to it.
#[derive(Clone, Copy, Debug)]
pub struct Observation<'a> {
    /// The session's store key ([`scope_key`]).
    pub scope: &'a str,
    /// Where the request sits in time (ms since the epoch), as placed by the
    /// [`Clock`]: windows end here, and the new entry carries it.
    pub time: Option<i64>,
    /// The aggregates the action's rules read ([`Program::session_queries`]).
    pub queries: &'a [AggQuery],
    /// What the request adds (`(aggregate key, value)`, from
    /// [`Program::contributions`]); `None` reads without recording (explain,
    /// what-if).
    pub record: Option<&'a [(u64, i64)]>,
}

/// A store that could not answer. The request is then decided without its
/// history, and never looser than escalate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the session store failed: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// Where sessions live. `&self` and `Send + Sync`: one store serves every
/// thread of a service. [`SessionStore::observe`] must be atomic per scope
/// — no other observation of the same scope may come between its read and
/// its write — so two concurrent requests cannot both slip under a cap.
pub trait SessionStore: Send + Sync {
    /// Answers each query (`answer(query.agg, value)`; a query left
    /// unanswered counts as 0) over the history before this request, then
    /// records it when `o.record` is given — one atomic step.
    fn observe(
        &self,
        o: &Observation<'_>,
        answer: &mut dyn FnMut(u16, i64),
    ) -> Result<(), StoreError>;

    /// Forgets a session.
    fn forget(&self, scope: &str) -> Result<(), StoreError>;

    /// How many actions the session holds (for operators and tests).
    fn entries(&self, scope: &str) -> Result<usize, StoreError>;
}

/// The store key of the session with explicit id `id`.
pub fn explicit_scope(id: &str) -> String {
    let mut k = String::with_capacity(id.len() + 1);
    k.push('s');
    k.push_str(id);
    k
}

/// Writes the store key of `req`'s session into `key`: `s` and the explicit
/// id; or `a`, then the tenant and the actor id, each as `<len>:<text>` or
/// `-` when absent — so no explicit id, and no two tenant/actor pairs,
/// share a key. Does not allocate once `key` has grown.
pub fn scope_key(key: &mut String, program: &Program, req: &Request) {
    key.clear();
    if let Some(id) = req.session_id() {
        key.push('s');
        key.push_str(id);
        return;
    }
    key.push('a');
    for path in ["context.tenant", "actor.id"] {
        match program.shared_text(req, path) {
            Some(t) => {
                let _ = write!(key, "{}:", t.len());
                key.push_str(t);
            }
            None => key.push('-'),
        }
    }
}

/// Buffers reused by every request of a thread, so reading a session does
/// not allocate once warm.
#[derive(Default)]
struct Scratch {
    scope: String,
    contributions: Vec<(u64, i64)>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Why a request's session could not be read or written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// `context.time` is too far from the clock: refuse the request
    /// ([`Program::refuse`]); it is not recorded.
    Clock(BindError),
    /// The store failed: decide without history, never looser than
    /// escalate (what [`decide`] does).
    Store(StoreError),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Clock(e) => e.fmt(f),
            SessionError::Store(e) => e.fmt(f),
        }
    }
}

/// Fills `req`'s session aggregates from its session's history and, when
/// `record`, records it — one atomic step of the store (see the module
/// docs for which session and which time).
pub fn observe(
    program: &Program,
    store: &dyn SessionStore,
    req: &mut Request,
    clock: Clock,
    record: bool,
) -> Result<(), SessionError> {
    let Some(action) = req.action() else {
        return Ok(());
    };
    let time = clock
        .place(program.request_time(req))
        .map_err(SessionError::Clock)?;
    let queries = program.session_queries(action);
    for q in queries {
        req.set_aggregate(usize::from(q.agg), 0);
    }
    if queries.is_empty() && !record {
        return Ok(());
    }
    let run = |s: &mut Scratch, req: &mut Request| {
        scope_key(&mut s.scope, program, req);
        s.contributions.clear();
        if record {
            program.contributions(req, |k, v| s.contributions.push((k, v)));
        }
        let o = Observation {
            scope: &s.scope,
            time,
            queries,
            record: record.then_some(s.contributions.as_slice()),
        };
        store
            .observe(&o, &mut |agg, value| {
                req.set_aggregate(usize::from(agg), value)
            })
            .map_err(SessionError::Store)
    };
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => run(&mut s, req),
        // Only a store that decides inside `observe` gets here; it costs
        // an allocation, nothing else.
        Err(_) => run(&mut Scratch::default(), req),
    })
}

/// One request of a stream: place it in time, read and record its session
/// in one step, decide. `Err` is a refusal for its time: decide it with
/// [`Program::refuse`] (and [`Program::refusal_json`] for the reason). A
/// store that fails gives a decision without history, never looser than
/// escalate ([`Cause::SessionStore`]).
pub fn decide(
    program: &Program,
    store: &dyn SessionStore,
    req: &mut Request,
    clock: Clock,
) -> Result<Decision, BindError> {
    match observe(program, store, req, clock, true) {
        Ok(()) => Ok(program.decide(req)),
        Err(SessionError::Clock(e)) => Err(e),
        Err(SessionError::Store(_)) => Ok(without_history(program.decide(req))),
    }
}

/// A decision made without the session's history: a deny stands, anything
/// looser is held for a human.
pub fn without_history(d: Decision) -> Decision {
    if d.verdict == Verdict::Deny {
        return d;
    }
    Decision {
        verdict: Verdict::Escalate,
        cause: Cause::SessionStore,
        ..d
    }
}

// ---------------------------------------------------------------------------
// The in-memory store

/// One recorded action.
#[derive(Debug)]
struct Entry {
    /// Where the request was placed in time, if anywhere.
    time: Option<i64>,
    /// `(aggregate key, value)` for each aggregate the action counts toward.
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

#[derive(Debug, Default)]
struct Shard {
    /// Keyed by [`scope_key`].
    sessions: HashMap<Box<str>, Session>,
    /// Reused for `distinct`, so reading does not allocate once warm.
    scratch: Vec<i64>,
}

/// The in-memory, bounded, sharded [`SessionStore`]: one lock per shard, a
/// session's every step under its shard's lock (so each step is atomic),
/// sessions spread over shards by a hash of their key. The default for one
/// process; replicas that must share sessions use a network store.
#[derive(Debug)]
pub struct MemoryStore {
    limits: SessionLimits,
    /// Sessions each shard keeps (`max_sessions` over the shards, rounded up).
    per_shard: usize,
    shards: Box<[Mutex<Shard>]>,
    /// Seeded per store, so no caller can aim many sessions at one shard.
    spread: RandomState,
    tick: AtomicU64,
}

impl Default for MemoryStore {
    fn default() -> MemoryStore {
        MemoryStore::new(SessionLimits::default())
    }
}

impl MemoryStore {
    /// One shard per 64 sessions, at most 64 shards: small stores keep one
    /// exact least-recently-used order, large ones spread their locks.
    pub fn new(limits: SessionLimits) -> MemoryStore {
        let shards = (limits.max_sessions / 64).clamp(1, 64).next_power_of_two();
        MemoryStore {
            limits,
            per_shard: limits.max_sessions.div_ceil(shards),
            shards: (0..shards).map(|_| Mutex::new(Shard::default())).collect(),
            spread: RandomState::new(),
            tick: AtomicU64::new(0),
        }
    }

    pub fn limits(&self) -> SessionLimits {
        self.limits
    }

    /// How many sessions are kept.
    pub fn len(&self) -> usize {
        (0..self.shards.len())
            .map(|i| self.shard(i).sessions.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many actions the session with explicit id `id` holds.
    pub fn entries_of_id(&self, id: &str) -> usize {
        let scope = explicit_scope(id);
        self.shard(self.shard_of(&scope))
            .sessions
            .get(scope.as_str())
            .map_or(0, |s| s.entries.len())
    }

    /// Forgets the session with explicit id `id`.
    pub fn end(&self, id: &str) {
        let scope = explicit_scope(id);
        self.shard(self.shard_of(&scope))
            .sessions
            .remove(scope.as_str());
    }

    fn shard_of(&self, scope: &str) -> usize {
        // The shard count is a power of two.
        (self.spread.hash_one(scope) as usize) & (self.shards.len() - 1)
    }

    /// A shard's lock. A thread that panicked holding it left the shard
    /// as consistent as any step leaves it (each step writes last), so a
    /// poisoned lock is taken over rather than failing every later request.
    fn shard(&self, i: usize) -> MutexGuard<'_, Shard> {
        match self.shards.get(i).unwrap_or_else(|| self.first()).lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn first(&self) -> &Mutex<Shard> {
        // `new` makes at least one shard.
        #[allow(clippy::indexing_slicing)]
        &self.shards[0]
    }
}

impl SessionStore for MemoryStore {
    fn observe(
        &self,
        o: &Observation<'_>,
        answer: &mut dyn FnMut(u16, i64),
    ) -> Result<(), StoreError> {
        let mut guard = self.shard(self.shard_of(o.scope));
        let shard = &mut *guard;
        if let Some(session) = shard.sessions.get(o.scope) {
            for q in o.queries {
                answer(q.agg, aggregate(session, q, o.time, &mut shard.scratch));
            }
        }
        let Some(contributions) = o.record else {
            return Ok(());
        };
        if self.per_shard == 0 || self.limits.max_entries == 0 {
            return Ok(());
        }
        let tick = self.tick.fetch_add(1, Ordering::Relaxed) + 1;
        if !shard.sessions.contains_key(o.scope) && shard.sessions.len() >= self.per_shard {
            evict_least_recent(&mut shard.sessions);
        }
        let session = match shard.sessions.get_mut(o.scope) {
            Some(s) => s,
            None => shard.sessions.entry(o.scope.into()).or_default(),
        };
        session.last_use = tick;
        let newest = session.entries.back().map(|e| e.time);
        session.ordered &= match (newest, o.time) {
            (None, Some(_)) => true,
            (Some(Some(prev)), Some(t)) => t >= prev,
            _ => false,
        };
        session.entries.push_back(Entry {
            time: o.time,
            contributions: contributions.into(),
        });
        while session.entries.len() > self.limits.max_entries {
            session.entries.pop_front();
        }
        if let Some(newest) = o.time {
            let horizon = newest.saturating_sub(self.limits.max_age_ms);
            while session
                .entries
                .front()
                .is_some_and(|e| e.time.is_some_and(|t| t < horizon))
            {
                session.entries.pop_front();
            }
        }
        Ok(())
    }

    fn forget(&self, scope: &str) -> Result<(), StoreError> {
        self.shard(self.shard_of(scope)).sessions.remove(scope);
        Ok(())
    }

    fn entries(&self, scope: &str) -> Result<usize, StoreError> {
        Ok(self
            .shard(self.shard_of(scope))
            .sessions
            .get(scope)
            .map_or(0, |s| s.entries.len()))
    }
}

/// One aggregate over a session's history, newest first. While the
/// session's times only grew, the first entry before the window ends the
/// walk; an entry without a time cannot be placed outside the window, so it
/// counts.
fn aggregate(session: &Session, q: &AggQuery, now: Option<i64>, scratch: &mut Vec<i64>) -> i64 {
    let recent = if q.window_actions > 0 {
        usize::try_from(q.window_actions).unwrap_or(usize::MAX)
    } else {
        usize::MAX
    };
    let since = match (q.window_ms > 0, now) {
        (true, Some(now)) => Some(now.saturating_sub(q.window_ms)),
        _ => None,
    };
    let inside = |e: &&Entry| since.is_none_or(|s| e.time.is_none_or(|t| t >= s));
    let values = session
        .entries
        .iter()
        .rev()
        .take(recent)
        .take_while(|e| !session.ordered || inside(e))
        .filter(inside)
        .flat_map(|e| e.contributions.iter())
        .filter(|(k, _)| *k == q.key)
        .map(|(_, v)| *v);
    match q.kind {
        AggKindWire::Count => i64::try_from(values.count()).unwrap_or(i64::MAX),
        AggKindWire::Seen => i64::from(values.take(1).count() > 0),
        AggKindWire::Sum => values.fold(0i64, i64::saturating_add),
        AggKindWire::Distinct => {
            scratch.clear();
            scratch.extend(values);
            scratch.sort_unstable();
            scratch.dedup();
            i64::try_from(scratch.len()).unwrap_or(i64::MAX)
        }
    }
}

fn evict_least_recent(sessions: &mut HashMap<Box<str>, Session>) {
    let oldest = sessions
        .iter()
        .min_by_key(|(_, s)| s.last_use)
        .map(|(k, _)| k.clone());
    if let Some(k) = oldest {
        sessions.remove(&k);
    }
}

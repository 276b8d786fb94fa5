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
//! **Which scopes.** A bundle's aggregates read the session (`session.*`),
//! the acting agent across its sessions (`actor.*`), the tenant
//! (`tenant.*`), each optionally narrowed to the request's value of a
//! field (`… by account_id`): [`Program::scopes`] lists them, and
//! [`Program::scope_key`] writes a request's key in each. One
//! [`Observation`] carries every key the request needs ([`ScopeStep`]);
//! the store reads and records them all in one atomic step.
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
//! different sessions rarely meet on a lock (an observation locks the
//! shards of all its keys, in ascending order, so two never deadlock), and
//! bounded — every scope key counts as a session — a session keeps
//! at most `max_entries` actions (oldest dropped first), entries older than
//! `max_age_ms` before the newest one are dropped, and at most
//! `max_sessions` sessions are kept (per shard, the least recently used one
//! is dropped first — by use, never by the times requests claim).

use permit0_vm::risk::Verdict;
use permit0_vm::wire::AggKindWire;
use permit0_vm::{AggQuery, BindError, Cause, Decision, Program, Request, MAX_SCOPES};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fmt;
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

/// One atomic step over a request's history: for each of its scopes
/// ([`ScopeStep`]), answer the scope's queries from the history as it was
/// before this request, then (when the step has a record) append this
/// request to it — every scope read and written as one step.
#[derive(Clone, Copy, Debug)]
pub struct Observation<'a> {
    /// Where the request sits in time (ms since the epoch), as placed by the
    /// [`Clock`]: windows end here, and the new entries carry it.
    pub time: Option<i64>,
    /// One step per scope key the request belongs to ([`Program::scopes`]);
    /// the first is the plain session.
    pub scopes: &'a [ScopeStep<'a>],
}

/// One scope of an [`Observation`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ScopeStep<'a> {
    /// The scope's store key ([`Program::scope_key`]).
    pub scope: &'a str,
    /// The aggregates the action's rules read from this scope
    /// ([`Program::scope_queries`]).
    pub queries: &'a [AggQuery],
    /// What the request adds here (`(aggregate key, value)`, from
    /// [`Program::scoped_contributions`]); `None` reads without recording
    /// (explain, what-if, and scopes other than the session where the
    /// request adds nothing).
    pub record: Option<&'a [(u64, i64)]>,
}

impl<'a> Observation<'a> {
    /// The one-scope observation of the plain session (tests, tools).
    pub fn single(step: &'a [ScopeStep<'a>; 1], time: Option<i64>) -> Observation<'a> {
        Observation {
            time,
            scopes: step.as_slice(),
        }
    }
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
/// thread of a service. [`SessionStore::observe`] must be atomic over its
/// scope keys together — no other observation of any of them may come
/// between its reads and its writes — so two concurrent requests cannot
/// both slip under a cap, whichever scope the cap counts in.
pub trait SessionStore: Send + Sync {
    /// Answers each query of each scope (`answer(query.agg, value)`; a
    /// query left unanswered counts as 0) over the history before this
    /// request, then records it under each scope whose step has a record —
    /// one atomic step.
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

/// Writes the store key of `req`'s plain session into `key` (see
/// [`Program::scope_key`] for every scope): `s` and the explicit id; or
/// `a`, then the tenant and the actor id, each as `<len>:<text>` or `-`
/// when absent — so no explicit id, and no two tenant/actor pairs, share a
/// key. Does not allocate once `key` has grown.
pub fn scope_key(key: &mut String, program: &Program, req: &Request) {
    if !program.scope_key(req, 0, key) {
        key.clear();
        key.push('a');
        key.push_str("--");
    }
}

/// Buffers reused by every request of a thread, so reading a session does
/// not allocate once warm.
#[derive(Default)]
struct Scratch {
    /// One key per scope of the bundle.
    keys: Vec<String>,
    /// What the request adds, one list per scope.
    contributions: Vec<Vec<(u64, i64)>>,
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
        let n = program.scopes().len().clamp(1, MAX_SCOPES);
        if s.keys.len() < n {
            s.keys.resize_with(n, String::new);
        }
        if s.contributions.len() < n {
            s.contributions.resize_with(n, Vec::new);
        }
        let mut belongs = [false; MAX_SCOPES];
        for (i, (key, b)) in s
            .keys
            .iter_mut()
            .zip(belongs.iter_mut())
            .take(n)
            .enumerate()
        {
            *b = program.scope_key(req, i, key);
        }
        if !belongs[0] {
            // A bundle always has the plain session; were it missing, count
            // the request in the anonymous session rather than nowhere.
            scope_key(
                s.keys.first_mut().map_or(&mut String::new(), |k| k),
                program,
                req,
            );
            belongs[0] = true;
        }
        for c in s.contributions.iter_mut() {
            c.clear();
        }
        if record {
            let lists = &mut s.contributions;
            program.scoped_contributions(req, |scope, k, v| {
                if let Some(l) = lists.get_mut(usize::from(scope)) {
                    l.push((k, v));
                }
            });
        }
        let mut steps = [ScopeStep::default(); MAX_SCOPES];
        let mut used = 0;
        for (i, ((key, list), b)) in s
            .keys
            .iter()
            .zip(s.contributions.iter())
            .zip(belongs.iter())
            .take(n)
            .enumerate()
        {
            if !*b {
                continue;
            }
            let scope = u16::try_from(i).unwrap_or(u16::MAX);
            let queries = program.scope_queries(action, scope);
            // The session records every action (a window of the last N
            // actions counts them all); the other scopes only what counts
            // there, so a flood of other actions cannot push it out.
            let record = match (record, i) {
                (false, _) => None,
                (true, 0) => Some(list.as_slice()),
                (true, _) if list.is_empty() => None,
                (true, _) => Some(list.as_slice()),
            };
            if i > 0 && queries.is_empty() && record.is_none() {
                continue;
            }
            if let Some(step) = steps.get_mut(used) {
                *step = ScopeStep {
                    scope: key,
                    queries,
                    record,
                };
                used += 1;
            }
        }
        let o = Observation {
            time,
            scopes: steps.get(..used).unwrap_or(&[]),
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

impl MemoryStore {
    /// One scope's step under its shard's lock: answer, then record.
    fn step(
        &self,
        shard: &mut Shard,
        step: &ScopeStep<'_>,
        time: Option<i64>,
        answer: &mut dyn FnMut(u16, i64),
    ) {
        if let Some(session) = shard.sessions.get(step.scope) {
            for q in step.queries {
                answer(q.agg, aggregate(session, q, time, &mut shard.scratch));
            }
        }
        let Some(contributions) = step.record else {
            return;
        };
        if self.per_shard == 0 || self.limits.max_entries == 0 {
            return;
        }
        let tick = self.tick.fetch_add(1, Ordering::Relaxed) + 1;
        if !shard.sessions.contains_key(step.scope) && shard.sessions.len() >= self.per_shard {
            evict_least_recent(&mut shard.sessions);
        }
        let session = match shard.sessions.get_mut(step.scope) {
            Some(s) => s,
            None => shard.sessions.entry(step.scope.into()).or_default(),
        };
        session.last_use = tick;
        let newest = session.entries.back().map(|e| e.time);
        session.ordered &= match (newest, time) {
            (None, Some(_)) => true,
            (Some(Some(prev)), Some(t)) => t >= prev,
            _ => false,
        };
        session.entries.push_back(Entry {
            time,
            contributions: contributions.into(),
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
}

impl SessionStore for MemoryStore {
    /// Locks the shards of every scope key at once — in ascending shard
    /// order, so two observations that share shards never wait on each
    /// other in a cycle — then steps through the scopes.
    fn observe(
        &self,
        o: &Observation<'_>,
        answer: &mut dyn FnMut(u16, i64),
    ) -> Result<(), StoreError> {
        let mut shards = [0usize; MAX_SCOPES];
        let mut n = 0;
        for step in o.scopes.iter().take(MAX_SCOPES) {
            if let Some(slot) = shards.get_mut(n) {
                *slot = self.shard_of(step.scope);
                n += 1;
            }
        }
        let order = shards.get_mut(..n).unwrap_or(&mut []);
        order.sort_unstable();
        let mut guards: [Option<(usize, MutexGuard<'_, Shard>)>; MAX_SCOPES] =
            std::array::from_fn(|_| None);
        let mut held = 0;
        let mut last = None;
        for &i in order.iter() {
            if last == Some(i) {
                continue;
            }
            last = Some(i);
            if let Some(g) = guards.get_mut(held) {
                *g = Some((i, self.shard(i)));
                held += 1;
            }
        }
        for step in o.scopes.iter().take(MAX_SCOPES) {
            let want = self.shard_of(step.scope);
            if let Some((_, guard)) = guards.iter_mut().flatten().find(|(i, _)| *i == want) {
                self.step(guard, step, o.time, answer);
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

//! Sessions in SQLite: a [`SessionStore`] whose observations commit in
//! groups. Each observation that records (read the session's history,
//! answer the queries, append this request, prune) runs inside one
//! `BEGIN IMMEDIATE` transaction, and observations that arrive while one
//! is being written share the next one (group commit): the first to take
//! the connection writes every observation queued so far, in arrival
//! order, commits once, and only then are any of them answered. So two
//! concurrent requests of one session — from two threads or two processes
//! on one data directory — cannot both slip under a cap (the second reads
//! the first's entry in the same transaction, or after its commit), no
//! answer is given for an entry that is not committed (a `kill -9` loses
//! no history a decision was answered with), and one commit's cost is
//! shared by every request in its group.

use crate::db::Db;
use permit0_session::{Observation, ScopeStep};
use permit0_session::{SessionStore, StoreError};
use permit0_vm::wire::AggKindWire;
use permit0_vm::AggQuery;
use rusqlite::{params, Connection};
use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// How much of a session is kept: the last `max_entries` actions, none
/// older than `max_age_ms` before the newest.
#[derive(Clone, Copy, Debug)]
pub struct Keep {
    pub max_entries: u32,
    pub max_age_ms: i64,
}

impl Default for Keep {
    fn default() -> Keep {
        Keep {
            max_entries: 512,
            max_age_ms: 7 * 24 * 3_600_000,
        }
    }
}

/// A scope's newest entries, newest first (read from the index alone:
/// migration 3 in db.rs).
pub(crate) const HISTORY_SQL: &str =
    "SELECT time_ms, contributions FROM session_entries WHERE scope = ?1 ORDER BY seq DESC LIMIT ?2";

/// A stored entry: its time, and its contributions (see [`pairs`]).
type Entry = (Option<i64>, Vec<u8>);

/// The answers of an observation (`(aggregate, value)`), or why not.
type Answers = Result<Vec<(u16, i64)>, String>;

/// One scope of a queued observation (an owned [`ScopeStep`]).
struct JobStep {
    scope: String,
    queries: Vec<AggQuery>,
    record: Option<Vec<(u64, i64)>>,
}

/// An observation waiting for its group's commit: every scope key of the
/// request, read and written in the group's one transaction.
struct Job {
    time: Option<i64>,
    steps: Vec<JobStep>,
    /// The answers (`(aggregate, value)`), or why there are none — set
    /// only once the group's transaction committed (or failed).
    done: Mutex<Option<Answers>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// The SQLite session store (all tenants; see [`TenantStore`]).
pub struct SqliteStore {
    db: Arc<Db>,
    keep: Keep,
    /// Observations queued for the next group commit.
    queue: Mutex<Vec<Arc<Job>>>,
    /// Observations that failed (for `/metrics`).
    pub errors: AtomicU64,
    /// Group commits made, and the observations they held (the bench
    /// reads them).
    pub groups: AtomicU64,
    pub grouped: AtomicU64,
    /// Where [`SqliteStore::prune_idle`] goes on.
    idle_cursor: AtomicI64,
    /// Recent sessions' entries as the database holds them (see [`Cache`]).
    cache: Mutex<Cache>,
}

/// Entries per scope (newest first, at most `max_entries`), read through:
/// a session's history is read from the database once, then kept here
/// and appended to as its entries are written. Only this process's one
/// connection writes through it; a commit by any other connection (another
/// process on the data directory) changes `PRAGMA data_version`, and the
/// next read then drops everything cached. A failed transaction, a prune
/// and a `forget` drop what they touched.
#[derive(Default)]
struct Cache {
    scopes: HashMap<String, VecDeque<Entry>>,
    data_version: Option<i64>,
    /// [`Db::rollbacks`] when last checked: a rolled back group's entries
    /// were appended here as they were written.
    rollbacks: u64,
}

/// Scopes cached at most; past it the cache starts over.
const CACHED_SCOPES: usize = 4096;

impl Cache {
    /// Drops everything if another connection committed, or a group was
    /// rolled back, since last asked.
    fn check(&mut self, c: &Connection, db: &Db) -> rusqlite::Result<()> {
        let v: i64 = c
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?;
        let rollbacks = db.rollbacks();
        if self.data_version != Some(v) || self.rollbacks != rollbacks {
            self.scopes.clear();
            self.data_version = Some(v);
            self.rollbacks = rollbacks;
        }
        Ok(())
    }
}

impl SqliteStore {
    pub fn new(db: Arc<Db>, keep: Keep) -> SqliteStore {
        SqliteStore {
            db,
            keep,
            queue: Mutex::new(Vec::new()),
            errors: AtomicU64::new(0),
            groups: AtomicU64::new(0),
            grouped: AtomicU64::new(0),
            idle_cursor: AtomicI64::new(0),
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Forgets entries older than `before_ms` of sessions that went idle
    /// (an active session prunes its own as it records): walks the table
    /// `step` entries a call, in insertion order, from where the last call
    /// stopped (back to the start after the end). Returns how many went.
    pub fn prune_idle(&self, before_ms: i64, step: u32) -> rusqlite::Result<usize> {
        let c = self.db.sessions();
        let from = self.idle_cursor.load(Ordering::Relaxed);
        let (last, seen): (Option<i64>, i64) = c
            .prepare_cached(
                "SELECT MAX(seq), COUNT(*) FROM
                 (SELECT seq FROM session_entries WHERE seq > ?1 ORDER BY seq LIMIT ?2)",
            )?
            .query_row(params![from, step], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let Some(last) = last else {
            self.idle_cursor.store(0, Ordering::Relaxed);
            return Ok(0);
        };
        let n = c
            .prepare_cached(
                "DELETE FROM session_entries WHERE seq > ?1 AND seq <= ?2 AND time_ms < ?3",
            )?
            .execute(params![from, last, before_ms])?;
        let next = if seen < i64::from(step) { 0 } else { last };
        self.idle_cursor.store(next, Ordering::Relaxed);
        if n > 0 {
            lock(&self.cache).scopes.clear();
        }
        Ok(n)
    }

    /// Reads without recording (explain, what-if): no write lock, no group.
    fn read_only(
        &self,
        o: &Observation<'_>,
        answer: &mut dyn FnMut(u16, i64),
    ) -> rusqlite::Result<()> {
        if o.scopes.iter().all(|s| s.queries.is_empty()) {
            return Ok(());
        }
        // Several scopes are read in one transaction, so they agree with
        // each other; one scope is one statement, consistent by itself.
        // Inside an open group (whose members' answers all wait for its
        // commit) the read is part of it, and sees what it wrote.
        let c = self.db.read();
        let several =
            c.is_autocommit() && o.scopes.iter().filter(|s| !s.queries.is_empty()).count() > 1;
        if several {
            c.prepare_cached("BEGIN DEFERRED")?.execute([])?;
        }
        let mut cache = lock(&self.cache);
        let mut read = || -> rusqlite::Result<()> {
            cache.check(&c, &self.db)?;
            for step in o.scopes.iter().filter(|s| !s.queries.is_empty()) {
                let entries = self.history(&c, &mut cache, step.scope)?;
                for q in step.queries {
                    answer(q.agg, aggregate(entries, q, o.time));
                }
            }
            Ok(())
        };
        let r = read();
        if several && !c.is_autocommit() {
            c.prepare_cached("COMMIT")?.execute([])?;
        }
        r
    }

    /// The newest `max_entries` entries of a scope, newest first: from the
    /// cache, or read into it.
    fn history<'c>(
        &self,
        c: &Connection,
        cache: &'c mut Cache,
        scope: &str,
    ) -> rusqlite::Result<&'c [Entry]> {
        if !cache.scopes.contains_key(scope) {
            let mut st = c.prepare_cached(HISTORY_SQL)?;
            let rows = st
                .query_map(params![scope, self.keep.max_entries], |r| {
                    Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Vec<u8>>(1)?))
                })?
                .collect::<rusqlite::Result<VecDeque<_>>>()?;
            if cache.scopes.len() >= CACHED_SCOPES {
                cache.scopes.clear();
            }
            cache.scopes.insert(scope.to_string(), rows);
        }
        Ok(match cache.scopes.get_mut(scope) {
            Some(e) => e.make_contiguous(),
            None => &mut [],
        })
    }

    /// One recording observation, inside the group's transaction: every
    /// scope read and written in turn.
    fn observe_one(
        &self,
        c: &Connection,
        cache: &mut Cache,
        j: &Job,
    ) -> rusqlite::Result<Vec<(u16, i64)>> {
        let mut out = Vec::new();
        for step in &j.steps {
            let s = ScopeStep {
                scope: &step.scope,
                queries: &step.queries,
                record: step.record.as_deref(),
            };
            self.step(c, cache, &s, j.time, &mut |agg, v| out.push((agg, v)))?;
        }
        Ok(out)
    }

    /// One scope's read and write.
    fn step(
        &self,
        c: &Connection,
        cache: &mut Cache,
        j: &ScopeStep<'_>,
        time: Option<i64>,
        out: &mut dyn FnMut(u16, i64),
    ) -> rusqlite::Result<()> {
        if !j.queries.is_empty() {
            let entries = self.history(c, cache, j.scope)?;
            for q in j.queries {
                out(q.agg, aggregate(entries, q, time));
            }
        }
        let Some(contributions) = j.record else {
            return Ok(());
        };
        let blob = contributions_blob(contributions);
        c.prepare_cached(
            "INSERT INTO session_entries (scope, time_ms, contributions) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![j.scope, time, blob])?;
        // A scope not cached is read whole when next asked for.
        if let Some(e) = cache.scopes.get_mut(j.scope) {
            e.push_front((time, blob));
            e.truncate(usize::try_from(self.keep.max_entries).unwrap_or(usize::MAX));
        }
        // Only the newest `max_entries` are kept, none older than the
        // horizon — pruned every 16th entry (reads take only the newest
        // `max_entries` and filter by time, so a few more kept change no
        // answer).
        if c.last_insert_rowid() % 16 != 0 {
            return Ok(());
        }
        c.prepare_cached(
            "DELETE FROM session_entries WHERE scope = ?1 AND seq <= (
                SELECT seq FROM session_entries WHERE scope = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
        )?
        .execute(params![j.scope, self.keep.max_entries])?;
        if let Some(t) = time {
            c.prepare_cached("DELETE FROM session_entries WHERE scope = ?1 AND time_ms < ?2")?
                .execute(params![j.scope, t.saturating_sub(self.keep.max_age_ms)])?;
        }
        cache.scopes.remove(j.scope);
        Ok(())
    }

    /// Writes a group in one transaction; every job learns its answers
    /// only after the commit, or the error if anything failed (then none
    /// of the group's entries is kept).
    fn commit_group(&self, c: &Connection, group: &[Arc<Job>]) {
        let mut cache = lock(&self.cache);
        // BEGIN and COMMIT as cached statements (a `Transaction` parses
        // them anew each time); any failure rolls back.
        let mut run = |c: &Connection| -> rusqlite::Result<Vec<Vec<(u16, i64)>>> {
            c.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
            let body = |c: &Connection, cache: &mut Cache| {
                cache.check(c, &self.db)?;
                let mut answers = Vec::with_capacity(group.len());
                for j in group {
                    answers.push(self.observe_one(c, cache, j)?);
                }
                c.prepare_cached("COMMIT")?.execute([])?;
                Ok(answers)
            };
            let r = body(c, &mut cache);
            if r.is_err() && !c.is_autocommit() {
                let _ = c.execute_batch("ROLLBACK");
            }
            r
        };
        self.groups.fetch_add(1, Ordering::Relaxed);
        self.grouped
            .fetch_add(group.len() as u64, Ordering::Relaxed);
        match run(c) {
            Ok(answers) => {
                for (j, a) in group.iter().zip(answers) {
                    *lock(&j.done) = Some(Ok(a));
                }
            }
            Err(e) => {
                // What the group appended to the cache was rolled back.
                cache.scopes.clear();
                for j in group {
                    *lock(&j.done) = Some(Err(e.to_string()));
                }
            }
        }
    }

    /// A recording observation inside a decision ([`crate::db::deferred`]):
    /// read and written in the open group, answered at once — the decision
    /// answers only once the group committed ([`Db::settle`]), and a group
    /// that fails fails every member closed. Requests of one session are
    /// still read and written one after the other on the one connection,
    /// each seeing the entries of those before it.
    fn observe_deferred(
        &self,
        o: &Observation<'_>,
        answer: &mut dyn FnMut(u16, i64),
    ) -> Result<(), String> {
        let (mut c, group) = self.db.in_group().map_err(|e| e.0)?;
        group.observed();
        self.grouped.fetch_add(1, Ordering::Relaxed);
        let mut cache = lock(&self.cache);
        let mut answers: Vec<(u16, i64)> = Vec::new();
        let r = (|| -> rusqlite::Result<()> {
            cache.check(&c, &self.db)?;
            for step in o.scopes {
                self.step(&c, &mut cache, step, o.time, &mut |a, v| {
                    answers.push((a, v))
                })?;
            }
            Ok(())
        })();
        match r {
            Ok(()) => {
                drop(cache);
                drop(c);
                for (a, v) in answers {
                    answer(a, v);
                }
                Ok(())
            }
            Err(e) => {
                // The group is rolled back: what it appended to the cache
                // goes with it (the rollback count drops it at the next
                // check).
                cache.scopes.clear();
                let e = e.to_string();
                self.db.fail_group(&mut c, &e);
                Err(e)
            }
        }
    }

    fn observe_grouped(
        &self,
        o: &Observation<'_>,
        answer: &mut dyn FnMut(u16, i64),
    ) -> Result<(), String> {
        let job = Arc::new(Job {
            time: o.time,
            steps: o
                .scopes
                .iter()
                .map(|s| JobStep {
                    scope: s.scope.to_string(),
                    queries: s.queries.to_vec(),
                    record: s.record.map(<[(u64, i64)]>::to_vec),
                })
                .collect(),
            done: Mutex::new(None),
        });
        lock(&self.queue).push(job.clone());
        {
            // Whoever holds the connection next writes everything queued
            // by then — this job too, unless an earlier holder already did.
            let c = self.db.sessions();
            if lock(&job.done).is_none() {
                let group = std::mem::take(&mut *lock(&self.queue));
                self.commit_group(&c, &group);
            }
        }
        let done = lock(&job.done).take();
        match done {
            Some(Ok(answers)) => {
                for (agg, v) in answers {
                    answer(agg, v);
                }
                Ok(())
            }
            Some(Err(e)) => Err(e),
            None => Err("the observation was not written".into()),
        }
    }
}

/// Decodes a stored entry's contributions.
/// A request's contributions as stored: 16 bytes a pair, the key then the
/// value, little-endian (read back by [`pairs`]).
pub(crate) fn contributions_blob(contributions: &[(u64, i64)]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(contributions.len() * 16);
    for (k, v) in contributions {
        blob.extend_from_slice(&k.to_le_bytes());
        blob.extend_from_slice(&v.to_le_bytes());
    }
    blob
}

fn pairs(blob: &[u8]) -> impl Iterator<Item = (u64, i64)> + '_ {
    blob.chunks_exact(16).map(|c| {
        let mut k = [0u8; 8];
        let mut v = [0u8; 8];
        k.copy_from_slice(c.get(..8).unwrap_or(&[0; 8]));
        v.copy_from_slice(c.get(8..).unwrap_or(&[0; 8]));
        (u64::from_le_bytes(k), i64::from_le_bytes(v))
    })
}

/// One aggregate over a session's entries (newest first), as the in-memory
/// store computes it: the last `window_actions` entries, those inside the
/// time window (an entry without a time counts).
pub(crate) fn aggregate(entries: &[Entry], q: &AggQuery, now: Option<i64>) -> i64 {
    let recent = if q.window_actions > 0 {
        usize::try_from(q.window_actions).unwrap_or(usize::MAX)
    } else {
        usize::MAX
    };
    let since = match (q.window_ms > 0, now) {
        (true, Some(now)) => Some(now.saturating_sub(q.window_ms)),
        _ => None,
    };
    let values = entries
        .iter()
        .take(recent)
        .filter(|(t, _)| since.is_none_or(|s| t.is_none_or(|t| t >= s)))
        .flat_map(|(_, blob)| pairs(blob))
        .filter(|(k, _)| *k == q.key)
        .map(|(_, v)| v);
    match q.kind {
        AggKindWire::Count => i64::try_from(values.count()).unwrap_or(i64::MAX),
        AggKindWire::Seen => i64::from(values.take(1).count() > 0),
        AggKindWire::Sum => values.fold(0i64, i64::saturating_add),
        AggKindWire::Distinct => {
            let mut v: Vec<i64> = values.collect();
            v.sort_unstable();
            v.dedup();
            i64::try_from(v.len()).unwrap_or(i64::MAX)
        }
    }
}

thread_local! {
    /// Set when an observation on this thread failed: the decide path
    /// clears it before deciding and reads it after, so a grant never
    /// loosens a decision made without the session's history.
    static FAILED: Cell<bool> = const { Cell::new(false) };
}

/// Clears this thread's store-failure flag.
pub fn clear_failure() {
    FAILED.with(|f| f.set(false));
}

/// Marks an observation on this thread as failed (any store).
pub fn mark_failed() {
    FAILED.with(|f| f.set(true));
}

/// Whether an observation on this thread failed since [`clear_failure`].
pub fn failed() -> bool {
    FAILED.with(Cell::get)
}

impl SessionStore for SqliteStore {
    fn observe(
        &self,
        o: &Observation<'_>,
        answer: &mut dyn FnMut(u16, i64),
    ) -> Result<(), StoreError> {
        let r = if o.scopes.iter().any(|s| s.record.is_some()) {
            if crate::db::deferring() {
                self.observe_deferred(o, answer)
            } else {
                self.observe_grouped(o, answer)
            }
        } else {
            self.read_only(o, answer).map_err(|e| e.to_string())
        };
        r.map_err(|e| {
            self.errors.fetch_add(1, Ordering::Relaxed);
            FAILED.with(|f| f.set(true));
            StoreError(format!("SQLite: {e}"))
        })
    }

    fn forget(&self, scope: &str) -> Result<(), StoreError> {
        let c = self.db.sessions();
        let r = c
            .execute(
                "DELETE FROM session_entries WHERE scope = ?1",
                params![scope],
            )
            .map(|_| ())
            .map_err(|e| StoreError(format!("SQLite: {e}")));
        lock(&self.cache).scopes.remove(scope);
        r
    }

    fn entries(&self, scope: &str) -> Result<usize, StoreError> {
        self.db
            .sessions()
            .query_row(
                "SELECT COUNT(*) FROM session_entries WHERE scope = ?1",
                params![scope],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| usize::try_from(n).unwrap_or(0))
            .map_err(|e| StoreError(format!("SQLite: {e}")))
    }
}

/// One tenant's view of the shared store: every scope is prefixed with the
/// tenant (`<len>:<tenant>/`), so no request of one tenant reads or adds
/// to another tenant's sessions, whatever session id it names.
pub struct TenantStore {
    prefix: String,
    inner: Arc<dyn SessionStore>,
}

impl TenantStore {
    pub fn new(tenant: &str, inner: Arc<dyn SessionStore>) -> TenantStore {
        TenantStore {
            prefix: format!("{}:{tenant}/", tenant.len()),
            inner,
        }
    }

    fn scoped(&self, scope: &str) -> String {
        let mut s = String::with_capacity(self.prefix.len() + scope.len());
        s.push_str(&self.prefix);
        s.push_str(scope);
        s
    }
}

impl SessionStore for TenantStore {
    fn observe(
        &self,
        o: &Observation<'_>,
        answer: &mut dyn FnMut(u16, i64),
    ) -> Result<(), StoreError> {
        // Every scope key of the request under the tenant's prefix.
        let keys: Vec<String> = o.scopes.iter().map(|s| self.scoped(s.scope)).collect();
        let steps: Vec<ScopeStep<'_>> = o
            .scopes
            .iter()
            .zip(&keys)
            .map(|(s, k)| ScopeStep { scope: k, ..*s })
            .collect();
        self.inner.observe(
            &Observation {
                time: o.time,
                scopes: &steps,
            },
            answer,
        )
    }

    fn forget(&self, scope: &str) -> Result<(), StoreError> {
        self.inner.forget(&self.scoped(scope))
    }

    fn entries(&self, scope: &str) -> Result<usize, StoreError> {
        self.inner.entries(&self.scoped(scope))
    }
}

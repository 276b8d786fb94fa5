//! Sessions in SQLite: a [`SessionStore`] whose every observation is one
//! `BEGIN IMMEDIATE` transaction (read the session's history, answer the
//! queries, append this request, prune), so two concurrent requests of one
//! session — from two threads or two processes on one data directory —
//! cannot both slip under a cap, and the history survives a restart.

use crate::db::Db;
use permit0_session::{Observation, ScopeStep};
use permit0_session::{SessionStore, StoreError};
use permit0_vm::wire::AggKindWire;
use permit0_vm::AggQuery;
use rusqlite::params;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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

/// The SQLite session store (all tenants; see [`TenantStore`]).
pub struct SqliteStore {
    db: Arc<Db>,
    keep: Keep,
    /// Observations that failed (for `/metrics`).
    pub errors: AtomicU64,
}

impl SqliteStore {
    pub fn new(db: Arc<Db>, keep: Keep) -> SqliteStore {
        SqliteStore {
            db,
            keep,
            errors: AtomicU64::new(0),
        }
    }

    fn observe_tx(
        &self,
        o: &Observation<'_>,
        answer: &mut dyn FnMut(u16, i64),
    ) -> rusqlite::Result<()> {
        let mut c = self.db.sessions();
        // Reading and recording takes the write lock first (so no other
        // writer comes between the read and the write); reading alone
        // (explain) does not need it. Every scope of the request is read
        // and written in this one transaction.
        let writes = o.scopes.iter().any(|s| s.record.is_some());
        let behavior = if writes {
            rusqlite::TransactionBehavior::Immediate
        } else {
            rusqlite::TransactionBehavior::Deferred
        };
        let tx = c.transaction_with_behavior(behavior)?;
        for step in o.scopes {
            self.step(&tx, step, o.time, answer)?;
        }
        tx.commit()
    }

    /// One scope's read and write, inside the observation's transaction.
    fn step(
        &self,
        tx: &rusqlite::Transaction<'_>,
        step: &ScopeStep<'_>,
        time: Option<i64>,
        answer: &mut dyn FnMut(u16, i64),
    ) -> rusqlite::Result<()> {
        if !step.queries.is_empty() {
            let mut st = tx.prepare_cached(
                "SELECT time_ms, contributions FROM session_entries WHERE scope = ?1 ORDER BY seq DESC LIMIT ?2",
            )?;
            let entries = st
                .query_map(params![step.scope, self.keep.max_entries], |r| {
                    Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Vec<u8>>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            for q in step.queries {
                answer(q.agg, aggregate(&entries, q, time));
            }
        }
        if let Some(contributions) = step.record {
            let mut blob = Vec::with_capacity(contributions.len() * 16);
            for (k, v) in contributions {
                blob.extend_from_slice(&k.to_le_bytes());
                blob.extend_from_slice(&v.to_le_bytes());
            }
            tx.prepare_cached(
                "INSERT INTO session_entries (scope, time_ms, contributions) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![step.scope, time, blob])?;
            // Only the newest `max_entries` are kept, none older than the
            // horizon — pruned every 16th entry (reads take only the
            // newest `max_entries` and filter by time, so a few more kept
            // change no answer).
            if tx.last_insert_rowid() % 16 != 0 {
                return Ok(());
            }
            tx.prepare_cached(
                "DELETE FROM session_entries WHERE scope = ?1 AND seq <= (
                    SELECT seq FROM session_entries WHERE scope = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
            )?
            .execute(params![step.scope, self.keep.max_entries])?;
            if let Some(t) = time {
                tx.prepare_cached("DELETE FROM session_entries WHERE scope = ?1 AND time_ms < ?2")?
                    .execute(params![step.scope, t.saturating_sub(self.keep.max_age_ms)])?;
            }
        }
        Ok(())
    }
}

/// Decodes a stored entry's contributions.
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
fn aggregate(entries: &[(Option<i64>, Vec<u8>)], q: &AggQuery, now: Option<i64>) -> i64 {
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
        self.observe_tx(o, answer).map_err(|e| {
            self.errors.fetch_add(1, Ordering::Relaxed);
            FAILED.with(|f| f.set(true));
            StoreError(format!("SQLite: {e}"))
        })
    }

    fn forget(&self, scope: &str) -> Result<(), StoreError> {
        self.db
            .sessions()
            .execute(
                "DELETE FROM session_entries WHERE scope = ?1",
                params![scope],
            )
            .map(|_| ())
            .map_err(|e| StoreError(format!("SQLite: {e}")))
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

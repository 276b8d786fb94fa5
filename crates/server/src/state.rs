//! Where a server keeps its state: one trait, [`StateStore`], over the
//! embedded SQLite database ([`Db`], the default) and Redis
//! ([`crate::shared::RedisState`], for replicas that must agree).
//!
//! Every method is one atomic step of the store: an approval is answered
//! exactly once, a nonce is spent once, a grant use counts only while the
//! grant is live — whichever replica asks. A method that fails returns
//! [`DbError`] naming the store; the callers fail closed.

use crate::db::{
    Answer, Approval, Db, DbError, DbResult, DecisionRow, Grant, KeyInfo, NewApproval, NewDecision,
    Role,
};
use crate::store::{Keep, SqliteStore};
use ed25519_dalek::SigningKey;
use permit0_session::SessionStore;
use serde_json::Value as Json;
use std::path::Path;
use std::sync::Arc;

/// Which store a server (or `permit0 keys`) uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreConfig {
    /// `redis://[user:password@]HOST:PORT/DB` or `rediss://…`; `None`: the
    /// embedded database under the data directory.
    pub url: Option<String>,
    /// Put before every Redis key, so several deployments share one Redis.
    pub prefix: String,
}

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "permit0";

/// The state of a server: keys, approvals and their answers, grants,
/// spent nonces, recent decisions, sessions.
pub trait StateStore: Send + Sync {
    /// `SQLite at …` or `Redis at …`: how errors name the store.
    fn describe(&self) -> String;

    /// Whether the store answers now (`/healthz`).
    fn health(&self) -> DbResult<()>;

    /// The session store every tenant's [`crate::store::TenantStore`] wraps.
    fn sessions(&self) -> Arc<dyn SessionStore>;

    /// Session observations that failed (for `/metrics`).
    fn session_errors(&self) -> u64;

    /// Tells the store the longest window (ms) a loaded bundle reads, so
    /// history is kept that long (and no longer, up to the configured
    /// age), and whether it reads a window of the last N actions.
    fn note_reads(&self, _window_ms: i64, _counts_actions: bool) {}

    /// The key that signs approvals' tokens when none is configured: kept
    /// in the data directory (SQLite) or in the store (Redis), so every
    /// replica signs with the same key.
    fn token_key(&self, data_dir: &Path) -> Result<SigningKey, String>;

    /// Calls `notify` whenever an approval is answered on another replica
    /// (the embedded store has no other replicas).
    fn watch_answers(&self, _notify: Box<dyn Fn() + Send + Sync>) {}

    /// Adds each key's requests allowed here to its count of `second`
    /// across replicas; answers the totals, in order (none: not shared).
    fn share_rates(&self, _used: &[(String, u64)], _second: i64) -> DbResult<Vec<u64>> {
        Ok(Vec::new())
    }

    /// Called once by a server that will run for long (not by `permit0
    /// keys` or the hook): the embedded database moves its checkpoints to
    /// a background thread.
    fn serving(&self) -> DbResult<()> {
        Ok(())
    }

    /// Forgets what retention lets go: decisions older than
    /// `decisions_before_ms` or beyond the newest `decisions_max_rows`,
    /// and idle sessions' entries older than `sessions_before_ms` — a
    /// bounded step a call (the server calls it every second). Redis
    /// expires its keys itself.
    fn prune(
        &self,
        _decisions_before_ms: i64,
        _decisions_max_rows: u64,
        _sessions_before_ms: i64,
    ) -> DbResult<usize> {
        Ok(0)
    }

    /// Group commits of session observations made, and the observations
    /// they held (none for Redis): the bench reads them.
    fn group_commits(&self) -> (u64, u64) {
        (0, 0)
    }

    /// Redis round trips made (0 for SQLite): the bench reads it.
    fn round_trips(&self) -> u64 {
        0
    }

    // -- keys
    fn add_key(
        &self,
        role: Role,
        tenant: &str,
        name: &str,
        now_ms: i64,
    ) -> DbResult<(String, KeyInfo)>;
    fn find_key(&self, text: &str) -> DbResult<Option<KeyInfo>>;

    /// Commits the groups a decision's writes went into
    /// ([`crate::db::deferred`]); `Err` when one did not commit — then the
    /// decision fails closed. A store that commits each write on its own
    /// has none.
    fn settle(&self, groups: &[Arc<crate::db::Group>]) -> DbResult<()> {
        if groups.is_empty() {
            Ok(())
        } else {
            Err(DbError("a write group of another store".into()))
        }
    }
    /// Whether the store's last commit was shared by several decisions
    /// ([`crate::db::Db::commits_are_shared`]); a store without commit
    /// groups has none to share.
    fn commits_are_shared(&self) -> bool {
        false
    }
    fn find_key_by_id(&self, id: &str) -> DbResult<Option<KeyInfo>>;
    fn list_keys(&self) -> DbResult<Vec<KeyInfo>>;
    fn revoke_key(&self, id: &str, now_ms: i64) -> DbResult<bool>;

    // -- approvals
    fn insert_approval(&self, a: &NewApproval<'_>) -> DbResult<String>;
    fn approval(&self, tenant: &str, id: &str) -> DbResult<Option<Approval>>;
    fn approvals(&self, tenant: &str, state: Option<&str>, limit: u32) -> DbResult<Vec<Approval>>;
    fn pending_count(&self) -> DbResult<i64>;
    fn answer(&self, tenant: &str, id: &str, a: &Answer<'_>) -> DbResult<bool>;
    fn approval_of_nonce(&self, tenant: &str, nonce: &str) -> DbResult<Option<String>>;

    // -- grants
    fn live_grants(
        &self,
        tenant: &str,
        session: Option<&str>,
        actor: Option<&str>,
        now_ms: i64,
    ) -> DbResult<Vec<Grant>>;
    fn grants(&self, tenant: &str) -> DbResult<Vec<Grant>>;
    fn revoke_grant(&self, tenant: &str, id: &str, now_ms: i64) -> DbResult<bool>;
    fn use_grant(
        &self,
        id: &str,
        now_ms: i64,
        action: Option<&str>,
        digest: Option<&str>,
        request: &Json,
    ) -> DbResult<bool>;

    // -- spent nonces
    fn spend_nonce(&self, nonce: &str, expires_ms: i64, now_ms: i64) -> DbResult<bool>;

    // -- decisions
    fn record_decision(&self, d: &NewDecision<'_>) -> DbResult<()>;
    fn flush_decisions(&self) -> DbResult<()>;
    fn session_decisions(
        &self,
        tenant: &str,
        session: &str,
        limit: u32,
    ) -> DbResult<Vec<DecisionRow>>;
    fn recent_decisions(&self, tenant: &str, limit: u32) -> DbResult<Vec<DecisionRow>>;
    fn decisions_per_hour(&self, tenant: &str, since_ms: i64) -> DbResult<Vec<(i64, String, i64)>>;
}

/// Opens the store `cfg` names: Redis, or the database under `data`.
pub fn open(cfg: &StoreConfig, data: &Path, keep: Keep) -> Result<Arc<dyn StateStore>, String> {
    match &cfg.url {
        Some(url) => Ok(Arc::new(crate::shared::RedisState::open(
            url,
            &cfg.prefix,
            keep,
        )?)),
        None => {
            let db = Arc::new(Db::open(data).map_err(|e| e.to_string())?);
            Ok(Arc::new(Embedded::new(db, keep)))
        }
    }
}

/// Rows looked at (sessions) or deleted (decisions) per table per prune.
pub const PRUNE_STEP: u32 = 5_000;

/// The embedded store: the database and its session store.
pub struct Embedded {
    pub db: Arc<Db>,
    pub store: Arc<SqliteStore>,
}

impl Embedded {
    pub fn new(db: Arc<Db>, keep: Keep) -> Embedded {
        let store = Arc::new(SqliteStore::new(db.clone(), keep));
        Embedded { db, store }
    }
}

impl StateStore for Embedded {
    fn describe(&self) -> String {
        format!("SQLite at {}", self.db.path().display())
    }
    fn health(&self) -> DbResult<()> {
        Ok(())
    }
    fn serving(&self) -> DbResult<()> {
        self.db.checkpoint_in_background()
    }
    fn group_commits(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.store.groups.load(Relaxed) + self.db.group_commits_made(),
            self.store.grouped.load(Relaxed),
        )
    }
    fn prune(
        &self,
        decisions_before_ms: i64,
        decisions_max_rows: u64,
        sessions_before_ms: i64,
    ) -> DbResult<usize> {
        let n = self
            .db
            .prune_decisions(decisions_before_ms, decisions_max_rows, PRUNE_STEP)?;
        Ok(n + self.store.prune_idle(sessions_before_ms, PRUNE_STEP)?)
    }
    fn sessions(&self) -> Arc<dyn SessionStore> {
        self.store.clone()
    }
    fn session_errors(&self) -> u64 {
        self.store.errors.load(std::sync::atomic::Ordering::Relaxed)
    }
    fn token_key(&self, data_dir: &Path) -> Result<SigningKey, String> {
        crate::data_key(data_dir)
    }
    fn add_key(
        &self,
        role: Role,
        tenant: &str,
        name: &str,
        now_ms: i64,
    ) -> DbResult<(String, KeyInfo)> {
        self.db.add_key(role, tenant, name, now_ms)
    }
    fn find_key(&self, text: &str) -> DbResult<Option<KeyInfo>> {
        self.db.find_key(text)
    }
    fn commits_are_shared(&self) -> bool {
        self.db.commits_are_shared()
    }
    fn settle(&self, groups: &[Arc<crate::db::Group>]) -> DbResult<()> {
        let r = self.db.settle(groups);
        if r.is_err() {
            self.store
                .errors
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        r
    }
    fn find_key_by_id(&self, id: &str) -> DbResult<Option<KeyInfo>> {
        self.db.find_key_by_id(id)
    }
    fn list_keys(&self) -> DbResult<Vec<KeyInfo>> {
        self.db.list_keys()
    }
    fn revoke_key(&self, id: &str, now_ms: i64) -> DbResult<bool> {
        self.db.revoke_key(id, now_ms)
    }
    fn insert_approval(&self, a: &NewApproval<'_>) -> DbResult<String> {
        self.db.insert_approval(a)
    }
    fn approval(&self, tenant: &str, id: &str) -> DbResult<Option<Approval>> {
        self.db.approval(tenant, id)
    }
    fn approvals(&self, tenant: &str, state: Option<&str>, limit: u32) -> DbResult<Vec<Approval>> {
        self.db.approvals(tenant, state, limit)
    }
    fn pending_count(&self) -> DbResult<i64> {
        self.db.pending_count()
    }
    fn answer(&self, tenant: &str, id: &str, a: &Answer<'_>) -> DbResult<bool> {
        self.db.answer(tenant, id, a)
    }
    fn approval_of_nonce(&self, tenant: &str, nonce: &str) -> DbResult<Option<String>> {
        self.db.approval_of_nonce(tenant, nonce)
    }
    fn live_grants(
        &self,
        tenant: &str,
        session: Option<&str>,
        actor: Option<&str>,
        now_ms: i64,
    ) -> DbResult<Vec<Grant>> {
        self.db.live_grants(tenant, session, actor, now_ms)
    }
    fn grants(&self, tenant: &str) -> DbResult<Vec<Grant>> {
        self.db.grants(tenant)
    }
    fn revoke_grant(&self, tenant: &str, id: &str, now_ms: i64) -> DbResult<bool> {
        self.db.revoke_grant(tenant, id, now_ms)
    }
    fn use_grant(
        &self,
        id: &str,
        now_ms: i64,
        action: Option<&str>,
        digest: Option<&str>,
        request: &Json,
    ) -> DbResult<bool> {
        self.db.use_grant(id, now_ms, action, digest, request)
    }
    fn spend_nonce(&self, nonce: &str, expires_ms: i64, now_ms: i64) -> DbResult<bool> {
        self.db.spend_nonce(nonce, expires_ms, now_ms)
    }
    fn record_decision(&self, d: &NewDecision<'_>) -> DbResult<()> {
        self.db.record_decision(d)
    }
    fn flush_decisions(&self) -> DbResult<()> {
        self.db.flush_decisions()
    }
    fn session_decisions(
        &self,
        tenant: &str,
        session: &str,
        limit: u32,
    ) -> DbResult<Vec<DecisionRow>> {
        self.db.session_decisions(tenant, session, limit)
    }
    fn recent_decisions(&self, tenant: &str, limit: u32) -> DbResult<Vec<DecisionRow>> {
        self.db.recent_decisions(tenant, limit)
    }
    fn decisions_per_hour(&self, tenant: &str, since_ms: i64) -> DbResult<Vec<(i64, String, i64)>> {
        self.db.decisions_per_hour(tenant, since_ms)
    }
}

/// A store error that is not the database's own (a bad reply).
pub(crate) fn err(e: impl std::fmt::Display) -> DbError {
    DbError(e.to_string())
}

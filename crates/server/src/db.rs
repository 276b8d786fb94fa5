//! The server's state in one SQLite database under `--data`: API keys
//! (hashed), pending and answered approvals, grants and their uses, spent
//! token nonces, sessions ([`crate::store::SqliteStore`]) and the recent
//! decisions the approver page shows. WAL mode: a commit survives `kill -9`
//! of the process; every change that must be atomic is one transaction.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// The database file's name under the data directory.
pub const DB_FILE: &str = "permit0.db";

/// Schema migrations, in order; `PRAGMA user_version` is how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: everything the first server keeps.
    "CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('agent', 'approver', 'admin')),
        tenant TEXT NOT NULL,
        name TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER
    );
    CREATE TABLE approvals (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied')),
        request TEXT NOT NULL,
        outcome TEXT NOT NULL,
        explanation TEXT,
        action TEXT,
        action_digest TEXT,
        session TEXT,
        actor TEXT,
        agent_key TEXT,
        created_ms INTEGER NOT NULL,
        decided_ms INTEGER,
        decided_by TEXT,
        comment TEXT,
        token TEXT,
        nonce TEXT,
        grant_id TEXT,
        audit_seq INTEGER,
        audit_hash TEXT
    );
    CREATE INDEX approvals_by_state ON approvals (tenant, state, created_ms);
    CREATE UNIQUE INDEX approvals_by_nonce ON approvals (nonce) WHERE nonce IS NOT NULL;
    CREATE TABLE grants (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        approval TEXT,
        action TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('session', 'actor')),
        subject TEXT NOT NULL,
        max_amount INTEGER,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        uses INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX grants_by_subject ON grants (tenant, scope, subject, expires_ms);
    CREATE TABLE grant_uses (
        grant_id TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        action TEXT,
        action_digest TEXT,
        request TEXT NOT NULL
    );
    CREATE TABLE spent_nonces (
        nonce TEXT PRIMARY KEY,
        expires_ms INTEGER NOT NULL,
        spent_ms INTEGER NOT NULL
    );
    CREATE TABLE session_entries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        scope TEXT NOT NULL,
        time_ms INTEGER,
        contributions BLOB NOT NULL
    );
    CREATE INDEX session_entries_by_scope ON session_entries (scope, seq);
    CREATE TABLE decisions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        session TEXT,
        actor TEXT,
        action TEXT,
        verdict TEXT NOT NULL,
        reason TEXT NOT NULL,
        approval TEXT,
        grant_id TEXT
    );
    CREATE INDEX decisions_by_session ON decisions (tenant, session, seq);
    CREATE INDEX decisions_by_time ON decisions (tenant, time_ms);",
    // 2: session entries keyed by a plain rowid, not AUTOINCREMENT: each
    // insert no longer also writes `sqlite_sequence` (one page less in
    // every decision's commit). A new entry still gets a seq above every
    // entry kept, so a scope's entries stay in order; a seq freed by a
    // prune may be used again, which nothing reads. The entries are
    // copied over once, when a data directory of schema 1 is opened.
    "CREATE TABLE session_entries_2 (
        seq INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        time_ms INTEGER,
        contributions BLOB NOT NULL
    );
    INSERT INTO session_entries_2 (seq, scope, time_ms, contributions)
        SELECT seq, scope, time_ms, contributions FROM session_entries ORDER BY seq;
    DROP TABLE session_entries;
    ALTER TABLE session_entries_2 RENAME TO session_entries;
    CREATE INDEX session_entries_by_scope ON session_entries (scope, seq);",
    // 3: the index holds what reading a session takes (its time and
    // contributions), so the newest entries of a scope are one scan of the
    // index instead of a lookup in the table for each of up to 512 entries
    // (a `permit0 hook` call in a full session: deciding 0.39 -> 0.31 ms).
    // The same rows in the same order: nothing read changes.
    "DROP INDEX session_entries_by_scope;
    CREATE INDEX session_entries_by_scope
        ON session_entries (scope, seq, time_ms, contributions);",
    // 4: a grant covers only requests sent with the agent key whose request
    // the approver answered (the approval's `agent_key`). A grant kept
    // from before has none, and covers nothing: its requests escalate
    // again, as the policy says, and a human answers them anew.
    "ALTER TABLE grants ADD COLUMN agent_key TEXT;",
];

/// A database error, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError(pub String);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the server's database failed: {}", self.0)
    }
}

impl std::error::Error for DbError {}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> DbError {
        DbError(e.to_string())
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// Who may call what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Decides, waits, redeems tokens.
    Agent,
    /// Lists, approves and denies approvals.
    Approver,
    /// Manages bundles (and may do what an approver does).
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "agent" => Some(Role::Agent),
            "approver" => Some(Role::Approver),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }
}

/// A key as stored (never the key itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// The first 12 hex digits of the key's hash: how `keys revoke` names it.
    pub id: String,
    pub role: Role,
    pub tenant: String,
    pub name: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

/// One approval row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Approval {
    pub id: String,
    pub tenant: String,
    pub state: String,
    pub request: Json,
    pub outcome: Json,
    pub explanation: Option<Json>,
    pub action: Option<String>,
    pub action_digest: Option<String>,
    pub session: Option<String>,
    pub actor: Option<String>,
    pub created_ms: i64,
    pub decided_ms: Option<i64>,
    pub decided_by: Option<String>,
    pub comment: Option<String>,
    pub token: Option<String>,
    #[serde(rename = "grant")]
    pub grant_id: Option<String>,
    #[serde(skip)]
    pub audit: Option<(u64, String)>,
    /// The id of the agent key whose request opened it: only that key may
    /// wait on it (and so receive its token).
    #[serde(skip)]
    pub agent_key: Option<String>,
}

/// A time-boxed permission a human gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub id: String,
    pub tenant: String,
    pub approval: Option<String>,
    /// An action name, or a prefix ending in `.*` (`payments.*`), or `*`.
    pub action: String,
    /// `session` or `actor`.
    pub scope: String,
    /// The session id or actor id it covers.
    pub subject: String,
    pub max_amount: Option<i64>,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub created_by: String,
    pub uses: i64,
    /// The id of the agent key whose request was approved: the grant covers
    /// requests sent with that key only (another agent key naming the same
    /// session or actor id is not covered). `None` (a grant kept from
    /// before keys were recorded) covers nothing.
    pub agent_key: Option<String>,
}

/// One decision as the approver page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DecisionRow {
    pub time_ms: i64,
    pub session: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub verdict: String,
    pub reason: String,
    pub approval: Option<String>,
    #[serde(rename = "grant")]
    pub grant_id: Option<String>,
}

/// How an approval was answered.
#[derive(Clone, Debug)]
pub struct Answer<'a> {
    pub approved: bool,
    pub by: &'a str,
    pub comment: Option<&'a str>,
    pub token: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub grant: Option<&'a Grant>,
    pub now_ms: i64,
}

/// The database: one connection behind one lock. Every write of the
/// process goes through it, so writers queue on the lock (microseconds)
/// instead of SQLite's busy handler (which sleeps in milliseconds); another
/// process on the same file (`permit0 keys add`) still meets the busy
/// timeout.
pub struct Db {
    path: PathBuf,
    conn: Mutex<Conn>,
    /// Groups that failed and were rolled back (the session cache drops
    /// what it holds when this moves).
    rollbacks: AtomicU64,
    /// Groups committed.
    group_commits: AtomicU64,
    /// Whether the last group committed held more than one decision's
    /// session observations ([`Db::commits_are_shared`]).
    shared: AtomicBool,
    /// Decisions not yet written (see [`Db::record_decision`]).
    pending: Mutex<Vec<OwnedDecision>>,
    /// Keys recently looked up, by hash, with when — valid while the
    /// database's `data_version` (the first field) is unchanged.
    keys: Mutex<(i64, KeyCache)>,
    /// Set when the database closes: stops the checkpointer.
    closing: Arc<AtomicBool>,
}

/// The write-ahead log is started over once it holds this many pages
/// (see [`Db::checkpoint_in_background`]).
pub const CHECKPOINT_PAGES: i64 = 4000;

impl Drop for Db {
    fn drop(&mut self) {
        self.closing.store(true, Ordering::Relaxed);
    }
}

/// Keys looked up, by hash, with when.
type KeyCache = HashMap<String, (Option<KeyInfo>, Instant)>;

/// How long a key lookup is trusted at most. A revocation is seen at once
/// anyway: one made through this `Db` clears the cache, and one made by
/// another process (`permit0 keys revoke`) changes the database's
/// `data_version`, which every lookup checks.
pub const KEY_CACHE: Duration = Duration::from_secs(1);

/// How long a statement waits for another process's write lock before it
/// fails (and a decision fails closed).
pub const BUSY: Duration = Duration::from_secs(2);

/// Decisions are written in batches of at most this many.
const BATCH: usize = 256;

#[derive(Clone, Debug)]
struct OwnedDecision {
    tenant: String,
    time_ms: i64,
    session: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    verdict: String,
    reason: String,
    approval: Option<String>,
    grant: Option<String>,
}

fn open_conn(path: &Path) -> DbResult<Connection> {
    let wal = in_wal_mode(path);
    let c = Connection::open(path)?;
    c.busy_timeout(BUSY)?;
    // WAL mode is kept in the file: set once, when the database is made.
    // Setting it again on every open cost a `permit0 hook` process about
    // 0.1 ms (docs/integrations.md#speed).
    if !wal {
        c.pragma_update(None, "journal_mode", "WAL")?;
    }
    c.pragma_update(None, "synchronous", "NORMAL")?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    Ok(c)
}

/// Whether the database file's header says it is in WAL mode (its read
/// and write format versions are 2, which is how SQLite itself knows). A
/// file that is missing, short or anything else is set to WAL on open.
fn in_wal_mode(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 20];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head.starts_with(b"SQLite format 3\0")
        && head.get(18..20) == Some(&[2, 2][..])
}

/// A random id: `prefix` and 16 hex digits.
pub fn random_id(prefix: &str) -> DbResult<String> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| DbError(format!("no randomness: {e}")))?;
    Ok(format!("{prefix}{}", permit0_vm::hex(&b)))
}

/// The stored form of an API key: hex sha256 of its text.
pub fn key_hash(key: &str) -> String {
    permit0_vm::hex(&Sha256::digest(key.as_bytes()))
}

/// The connection, and the group whose transaction is open on it.
pub(crate) struct Conn {
    c: Connection,
    open: Option<Arc<Group>>,
}

/// The open write transaction a decision's writes share with the other
/// decisions in flight (see [`Db::in_group`]): committed once, by the first
/// member that needs its answer, or by any other use of the connection
/// ([`Db::main`]). Nothing written in it is answered before it committed.
#[derive(Default)]
pub struct Group {
    done: OnceLock<Result<(), String>>,
    /// Session observations written into it.
    observations: AtomicU64,
}

impl Group {
    /// Whether it is committed or rolled back.
    pub fn is_done(&self) -> bool {
        self.done.get().is_some()
    }

    pub(crate) fn observed(&self) {
        self.observations.fetch_add(1, Ordering::Relaxed);
    }
}

/// The connection, locked (see [`Db::main`], [`Db::read`], [`Db::in_group`]).
pub(crate) struct ConnGuard<'a>(MutexGuard<'a, Conn>);

impl Deref for ConnGuard<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.0.c
    }
}

impl DerefMut for ConnGuard<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.0.c
    }
}

thread_local! {
    /// Set while a decision's synchronous part runs on this thread (see
    /// [`deferred`]): its writes go into the open group, and the groups
    /// they went into are collected here.
    static DEFER: RefCell<Option<Vec<Arc<Group>>>> = const { RefCell::new(None) };
}

/// Runs `f` (a synchronous part of one decision) with its writes into the
/// open group instead of committed on their own; returns what `f` returned
/// and the groups its writes went into, which the caller must commit
/// ([`Db::settle`]) — and see committed — before it answers anything that
/// depends on them.
pub fn deferred<T>(f: impl FnOnce() -> T) -> (T, Vec<Arc<Group>>) {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            DEFER.with(|d| d.borrow_mut().take());
        }
    }
    DEFER.with(|d| *d.borrow_mut() = Some(Vec::new()));
    let reset = Reset;
    let out = f();
    let groups = DEFER.with(|d| d.borrow_mut().take()).unwrap_or_default();
    drop(reset);
    (out, groups)
}

/// Whether this thread's writes go into the open group ([`deferred`]).
pub(crate) fn deferring() -> bool {
    DEFER.with(|d| d.borrow().is_some())
}

fn note_group(g: &Arc<Group>) {
    DEFER.with(|d| {
        if let Some(v) = d.borrow_mut().as_mut() {
            if !v.iter().any(|x| Arc::ptr_eq(x, g)) {
                v.push(g.clone());
            }
        }
    });
}

fn lock(m: &Mutex<Conn>) -> MutexGuard<'_, Conn> {
    match m.lock() {
        Ok(g) => g,
        // A panic mid-statement leaves SQLite consistent (the transaction
        // rolls back when its guard drops).
        Err(p) => p.into_inner(),
    }
}

fn json_col(text: Option<String>) -> Option<Json> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

const APPROVAL_COLS: &str = "id, tenant, state, request, outcome, explanation, action, action_digest, session, actor, created_ms, decided_ms, decided_by, comment, token, grant_id, audit_seq, audit_hash, agent_key";

fn approval_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Approval> {
    let seq: Option<i64> = r.get(16)?;
    let hash: Option<String> = r.get(17)?;
    Ok(Approval {
        id: r.get(0)?,
        tenant: r.get(1)?,
        state: r.get(2)?,
        request: json_col(r.get(3)?).unwrap_or(Json::Null),
        outcome: json_col(r.get(4)?).unwrap_or(Json::Null),
        explanation: json_col(r.get(5)?),
        action: r.get(6)?,
        action_digest: r.get(7)?,
        session: r.get(8)?,
        actor: r.get(9)?,
        created_ms: r.get(10)?,
        decided_ms: r.get(11)?,
        decided_by: r.get(12)?,
        comment: r.get(13)?,
        token: r.get(14)?,
        grant_id: r.get(15)?,
        audit: match (seq, hash) {
            (Some(s), Some(h)) => u64::try_from(s).ok().map(|s| (s, h)),
            _ => None,
        },
        agent_key: r.get(18)?,
    })
}

const GRANT_COLS: &str = "id, tenant, approval, action, scope, subject, max_amount, created_ms, expires_ms, created_by, uses, agent_key";

fn grant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Grant> {
    Ok(Grant {
        id: r.get(0)?,
        tenant: r.get(1)?,
        approval: r.get(2)?,
        action: r.get(3)?,
        scope: r.get(4)?,
        subject: r.get(5)?,
        max_amount: r.get(6)?,
        created_ms: r.get(7)?,
        expires_ms: r.get(8)?,
        created_by: r.get(9)?,
        uses: r.get(10)?,
        agent_key: r.get(11)?,
    })
}

/// A new approval, as the decide path queues it.
pub struct NewApproval<'a> {
    pub tenant: &'a str,
    pub request: &'a Json,
    pub outcome: &'a Json,
    pub explanation: Option<&'a Json>,
    pub action: Option<&'a str>,
    pub action_digest: Option<&'a str>,
    pub session: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub agent_key: &'a str,
    pub now_ms: i64,
    pub audit: Option<(u64, String)>,
}

/// A decision to remember for the page.
pub struct NewDecision<'a> {
    pub tenant: &'a str,
    pub time_ms: i64,
    pub session: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub action: Option<&'a str>,
    pub verdict: &'a str,
    pub reason: &'a str,
    pub approval: Option<&'a str>,
    pub grant: Option<&'a str>,
}

impl Db {
    /// Opens (creating) the database under `dir` and runs the migrations
    /// it has not run yet.
    pub fn open(dir: &Path) -> DbResult<Db> {
        std::fs::create_dir_all(dir)
            .map_err(|e| DbError(format!("cannot create `{}`: {e}", dir.display())))?;
        let path = dir.join(DB_FILE);
        let mut conn = open_conn(&path)?;
        migrate(&mut conn)?;
        Ok(Db {
            path,
            conn: Mutex::new(Conn {
                c: conn,
                open: None,
            }),
            rollbacks: AtomicU64::new(0),
            group_commits: AtomicU64::new(0),
            shared: AtomicBool::new(false),
            pending: Mutex::new(Vec::new()),
            keys: Mutex::new((-1, HashMap::new())),
            closing: Arc::new(AtomicBool::new(false)),
        })
    }

    /// For a long-running process (`permit0 serve`): commits never
    /// checkpoint (by default the commit that takes the write-ahead log
    /// past 1000 pages copies it into the database and syncs both — a few
    /// milliseconds, on some request's path). A background thread with its
    /// own connection does it instead, every 100 ms: first a passive
    /// checkpoint that blocks no one (the bulk of the copying and the
    /// syncs); then, once the log holds [`CHECKPOINT_PAGES`] (16 MB), a second one
    /// with this process's connection held back for a moment, which
    /// copies the few pages written meanwhile — so the next write starts
    /// the log over and it does not grow without bound. Durability is
    /// unchanged: a commit is in the log (and survives `kill -9`) when it
    /// returns, checkpointed or not.
    pub fn checkpoint_in_background(self: &Arc<Self>) -> DbResult<()> {
        self.main().pragma_update(None, "wal_autocheckpoint", 0)?;
        let conn = open_conn(&self.path)?;
        let db = Arc::downgrade(self);
        let closing = self.closing.clone();
        let passive = |c: &Connection| {
            c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
                .unwrap_or(0)
        };
        std::thread::Builder::new()
            .name("permit0-checkpoint".into())
            .spawn(move || loop {
                std::thread::sleep(Duration::from_millis(100));
                if closing.load(Ordering::Relaxed) {
                    break;
                }
                // Pages in the log; a checkpoint with nothing new to copy
                // syncs nothing.
                if passive(&conn) < CHECKPOINT_PAGES {
                    continue;
                }
                let Some(db) = db.upgrade() else { break };
                let held = db.main();
                passive(&conn);
                drop(held);
            })
            .map_err(|e| DbError(format!("cannot start the checkpointer: {e}")))?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, with no group open on it (an open one is committed
    /// first): for writes of their own, and reads that must see only what
    /// is committed.
    pub(crate) fn main(&self) -> ConnGuard<'_> {
        let mut g = lock(&self.conn);
        self.end_group(&mut g);
        ConnGuard(g)
    }

    pub(crate) fn sessions(&self) -> ConnGuard<'_> {
        self.main()
    }

    /// The connection as it is, inside the open group if there is one: for
    /// reads that may see the group's own uncommitted writes (a session's
    /// history, which answers wait for the group's commit anyway; keys and
    /// grants, which no group writes).
    pub(crate) fn read(&self) -> ConnGuard<'_> {
        ConnGuard(lock(&self.conn))
    }

    /// The connection inside the open group, which is begun (`BEGIN
    /// IMMEDIATE`) if none is open, and noted as one this thread's decision
    /// must see committed ([`deferred`]).
    pub(crate) fn in_group(&self) -> DbResult<(ConnGuard<'_>, Arc<Group>)> {
        let mut g = lock(&self.conn);
        if g.open.is_some() && g.c.is_autocommit() {
            // SQLite ended the transaction itself (some errors roll back):
            // what the group wrote is gone.
            self.fail_open(&mut g, "the transaction was rolled back");
        }
        let group = match &g.open {
            Some(open) => open.clone(),
            None => {
                g.c.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
                let open = Arc::new(Group::default());
                g.open = Some(open.clone());
                open
            }
        };
        note_group(&group);
        Ok((ConnGuard(g), group))
    }

    /// Rolls the open group back: every member fails (closed).
    pub(crate) fn fail_group(&self, c: &mut ConnGuard<'_>, why: &str) {
        self.fail_open(&mut c.0, why);
    }

    fn fail_open(&self, g: &mut Conn, why: &str) {
        if !g.c.is_autocommit() {
            let _ = g.c.execute_batch("ROLLBACK");
        }
        self.rollbacks.fetch_add(1, Ordering::Relaxed);
        if let Some(open) = g.open.take() {
            let _ = open.done.set(Err(why.to_string()));
        }
    }

    /// Commits the open group, if any.
    fn end_group(&self, g: &mut Conn) {
        let Some(open) = g.open.take() else { return };
        if g.c.is_autocommit() {
            g.open = Some(open);
            self.fail_open(g, "the transaction was rolled back");
            return;
        }
        match g.c.prepare_cached("COMMIT").and_then(|mut s| s.execute([])) {
            Ok(_) => {
                self.group_commits.fetch_add(1, Ordering::Relaxed);
                self.shared.store(
                    open.observations.load(Ordering::Relaxed) > 1,
                    Ordering::Relaxed,
                );
                let _ = open.done.set(Ok(()));
            }
            Err(e) => {
                g.open = Some(open);
                self.fail_open(g, &e.to_string());
            }
        }
    }

    /// Commits these groups (those still open) and says whether all of them
    /// committed: `Err` names why one did not, and then nothing a decision
    /// wrote into it is kept and the decision must fail closed.
    pub fn settle(&self, groups: &[Arc<Group>]) -> DbResult<()> {
        for grp in groups {
            if grp.done.get().is_none() {
                let mut g = lock(&self.conn);
                if g.open.as_ref().is_some_and(|o| Arc::ptr_eq(o, grp)) {
                    self.end_group(&mut g);
                }
            }
            match grp.done.get() {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(DbError(e.clone())),
                None => return Err(DbError("the write was not committed".into())),
            }
        }
        Ok(())
    }

    /// Whether the last group committed was shared by several decisions:
    /// while they are, decisions are arriving together, and one about to
    /// commit lets the others under way write into its group first
    /// (`api::commit`).
    pub fn commits_are_shared(&self) -> bool {
        self.shared.load(Ordering::Relaxed)
    }

    /// Groups rolled back so far.
    pub(crate) fn rollbacks(&self) -> u64 {
        self.rollbacks.load(Ordering::Relaxed)
    }

    /// Groups committed so far (the bench reads it).
    pub fn group_commits_made(&self) -> u64 {
        self.group_commits.load(Ordering::Relaxed)
    }

    // -- keys ---------------------------------------------------------------

    /// Makes a new key; returns its text (shown once) and what is stored.
    pub fn add_key(
        &self,
        role: Role,
        tenant: &str,
        name: &str,
        now_ms: i64,
    ) -> DbResult<(String, KeyInfo)> {
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).map_err(|e| DbError(format!("no randomness: {e}")))?;
        let text = format!("p0k_{}", permit0_vm::hex(&raw));
        let hash = key_hash(&text);
        let id = hash.get(..12).unwrap_or(&hash).to_string();
        self.main().execute(
            "INSERT INTO api_keys (id, hash, role, tenant, name, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, hash, role.name(), tenant, name, now_ms],
        )?;
        Ok((
            text,
            KeyInfo {
                id,
                role,
                tenant: tenant.to_string(),
                name: name.to_string(),
                created_ms: now_ms,
                revoked_ms: None,
            },
        ))
    }

    /// The key with this text, revoked or not — from a cache of at most
    /// [`KEY_CACHE`] age, dropped whenever another connection (another
    /// process) committed since the last lookup: a revocation is never
    /// missed.
    ///
    /// Inside a decision ([`deferred`]) the check runs in the group the
    /// decision writes its session entry into, begun here if none is open:
    /// on its own it would be a read transaction of its own — a round of
    /// file locks costing about a tenth of a decision's time. Another
    /// process cannot commit a revocation while the group is open (it
    /// holds the write lock), so the group sees every revocation committed
    /// before it.
    pub fn find_key(&self, text: &str) -> DbResult<Option<KeyInfo>> {
        let hash = key_hash(text);
        // A group that cannot begin (another process holds the write lock
        // past the busy timeout) leaves the check to a read of its own: the
        // key is still checked, and the decision fails closed on its write.
        let grouped = deferring().then(|| self.in_group()).and_then(Result::ok);
        let version: i64 = match grouped {
            Some((c, _)) => c
                .prepare_cached("PRAGMA data_version")?
                .query_row([], |r| r.get(0))?,
            None => self
                .read()
                .prepare_cached("PRAGMA data_version")?
                .query_row([], |r| r.get(0))?,
        };
        if let Ok(mut cache) = self.keys.lock() {
            if cache.0 != version {
                cache.1.clear();
                cache.0 = version;
            }
            if let Some((k, at)) = cache.1.get(&hash) {
                if at.elapsed() < KEY_CACHE {
                    return Ok(k.clone());
                }
            }
        }
        let k = self.find_key_hash(&hash)?;
        if let Ok(mut cache) = self.keys.lock() {
            if cache.1.len() > 10_000 {
                cache.1.clear();
            }
            cache.1.insert(hash, (k.clone(), Instant::now()));
        }
        Ok(k)
    }

    fn find_key_hash(&self, hash: &str) -> DbResult<Option<KeyInfo>> {
        // No group writes keys: a read inside an open one sees what is
        // committed.
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT id, role, tenant, name, created_ms, revoked_ms FROM api_keys WHERE hash = ?1",
        )?;
        Ok(st.query_row(params![hash], key_row).optional()?)
    }

    /// The key with this id (from `keys list`).
    pub fn find_key_by_id(&self, id: &str) -> DbResult<Option<KeyInfo>> {
        Ok(self
            .main()
            .query_row(
                "SELECT id, role, tenant, name, created_ms, revoked_ms FROM api_keys WHERE id = ?1",
                params![id],
                key_row,
            )
            .optional()?)
    }

    pub fn list_keys(&self) -> DbResult<Vec<KeyInfo>> {
        let c = self.main();
        let mut st = c.prepare(
            "SELECT id, role, tenant, name, created_ms, revoked_ms FROM api_keys ORDER BY created_ms, id",
        )?;
        let rows = st.query_map([], key_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Revokes the key with id `id`; `false` when there is none (or it was
    /// already revoked).
    pub fn revoke_key(&self, id: &str, now_ms: i64) -> DbResult<bool> {
        let n = self.main().execute(
            "UPDATE api_keys SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
            params![id, now_ms],
        )?;
        // After the commit: a lookup racing the update cannot leave the
        // key cached as live.
        if let Ok(mut cache) = self.keys.lock() {
            cache.1.clear();
        }
        Ok(n == 1)
    }

    // -- approvals ----------------------------------------------------------

    pub fn insert_approval(&self, a: &NewApproval<'_>) -> DbResult<String> {
        let id = random_id("apr_")?;
        let text = |j: &Json| serde_json::to_string(j).unwrap_or_default();
        // Inside a decision ([`deferred`]): into the open group, committed
        // with the decision's session entries before it answers.
        let c = if deferring() {
            self.in_group()?.0
        } else {
            self.main()
        };
        let r = c.prepare_cached(
            "INSERT INTO approvals (id, tenant, state, request, outcome, explanation, action, action_digest, session, actor, agent_key, created_ms, audit_seq, audit_hash)
             VALUES (?1, ?2, 'pending', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?.execute(
            params![
                id,
                a.tenant,
                text(a.request),
                text(a.outcome),
                a.explanation.map(text),
                a.action,
                a.action_digest,
                a.session,
                a.actor,
                a.agent_key,
                a.now_ms,
                a.audit.as_ref().and_then(|(s, _)| i64::try_from(*s).ok()),
                a.audit.as_ref().map(|(_, h)| h.as_str()),
            ],
        );
        // A failed statement leaves the group's transaction as it was
        // (SQLite undoes the statement only); one that ended it is seen by
        // the group's commit.
        r?;
        Ok(id)
    }

    /// One approval of `tenant` (another tenant's is not found).
    pub fn approval(&self, tenant: &str, id: &str) -> DbResult<Option<Approval>> {
        Ok(self
            .main()
            .query_row(
                &format!("SELECT {APPROVAL_COLS} FROM approvals WHERE id = ?1 AND tenant = ?2"),
                params![id, tenant],
                approval_row,
            )
            .optional()?)
    }

    /// `tenant`'s approvals in `state` (all when `None`), newest first.
    pub fn approvals(
        &self,
        tenant: &str,
        state: Option<&str>,
        limit: u32,
    ) -> DbResult<Vec<Approval>> {
        let c = self.main();
        let mut st = c.prepare(&format!(
            "SELECT {APPROVAL_COLS} FROM approvals WHERE tenant = ?1 AND (?2 IS NULL OR state = ?2)
             ORDER BY created_ms DESC, id LIMIT ?3"
        ))?;
        let rows = st.query_map(params![tenant, state, limit], approval_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn pending_count(&self) -> DbResult<i64> {
        Ok(self.main().query_row(
            "SELECT COUNT(*) FROM approvals WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?)
    }

    /// Answers a pending approval — only if it is still pending: of two
    /// approvers answering at once exactly one changes the row (`true`),
    /// and the grant is created in the same transaction.
    pub fn answer(&self, tenant: &str, id: &str, a: &Answer<'_>) -> DbResult<bool> {
        let mut c = self.main();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE approvals SET state = ?3, decided_ms = ?4, decided_by = ?5, comment = ?6, token = ?7, nonce = ?8, grant_id = ?9
             WHERE id = ?1 AND tenant = ?2 AND state = 'pending'",
            params![
                id,
                tenant,
                if a.approved { "approved" } else { "denied" },
                a.now_ms,
                a.by,
                a.comment,
                a.token,
                a.nonce,
                a.grant.map(|g| g.id.as_str()),
            ],
        )?;
        if n != 1 {
            return Ok(false);
        }
        if let Some(g) = a.grant {
            tx.execute(
                &format!("INSERT INTO grants ({GRANT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11)"),
                params![g.id, g.tenant, g.approval, g.action, g.scope, g.subject, g.max_amount, g.created_ms, g.expires_ms, g.created_by, g.agent_key],
            )?;
        }
        tx.commit()?;
        Ok(true)
    }

    /// The approval whose token carries `nonce`, if it is `tenant`'s.
    pub fn approval_of_nonce(&self, tenant: &str, nonce: &str) -> DbResult<Option<String>> {
        Ok(self
            .main()
            .query_row(
                "SELECT id FROM approvals WHERE nonce = ?1 AND tenant = ?2",
                params![nonce, tenant],
                |r| r.get(0),
            )
            .optional()?)
    }

    // -- grants -------------------------------------------------------------

    /// `tenant`'s unexpired grants for this session or actor.
    pub fn live_grants(
        &self,
        tenant: &str,
        session: Option<&str>,
        actor: Option<&str>,
        now_ms: i64,
    ) -> DbResult<Vec<Grant>> {
        if session.is_none() && actor.is_none() {
            return Ok(Vec::new());
        }
        // No group writes grants (an answer commits on its own).
        let c = self.read();
        let mut st = c.prepare_cached(&format!(
            "SELECT {GRANT_COLS} FROM grants WHERE tenant = ?1 AND expires_ms > ?4
             AND ((scope = 'session' AND subject = ?2) OR (scope = 'actor' AND subject = ?3))
             ORDER BY created_ms"
        ))?;
        let rows = st.query_map(params![tenant, session, actor, now_ms], grant_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn grants(&self, tenant: &str) -> DbResult<Vec<Grant>> {
        let c = self.main();
        let mut st = c.prepare(&format!(
            "SELECT {GRANT_COLS} FROM grants WHERE tenant = ?1 ORDER BY created_ms DESC"
        ))?;
        let rows = st.query_map(params![tenant], grant_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Ends a live grant of `tenant` now; `false` when there is none.
    pub fn revoke_grant(&self, tenant: &str, id: &str, now_ms: i64) -> DbResult<bool> {
        let n = self.main().execute(
            "UPDATE grants SET expires_ms = ?3 WHERE id = ?1 AND tenant = ?2 AND expires_ms > ?3",
            params![id, tenant, now_ms],
        )?;
        Ok(n == 1)
    }

    /// Records one use of a grant — only while it is unexpired (`false`
    /// otherwise).
    pub fn use_grant(
        &self,
        id: &str,
        now_ms: i64,
        action: Option<&str>,
        digest: Option<&str>,
        request: &Json,
    ) -> DbResult<bool> {
        let mut c = self.main();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE grants SET uses = uses + 1 WHERE id = ?1 AND expires_ms > ?2",
            params![id, now_ms],
        )?;
        if n != 1 {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO grant_uses (grant_id, time_ms, action, action_digest, request) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, now_ms, action, digest, serde_json::to_string(request).unwrap_or_default()],
        )?;
        tx.commit()?;
        Ok(true)
    }

    // -- spent nonces -------------------------------------------------------

    /// Marks a token nonce spent; `false` when it already was.
    pub fn spend_nonce(&self, nonce: &str, expires_ms: i64, now_ms: i64) -> DbResult<bool> {
        let n = self.main().execute(
            "INSERT OR IGNORE INTO spent_nonces (nonce, expires_ms, spent_ms) VALUES (?1, ?2, ?3)",
            params![nonce, expires_ms, now_ms],
        )?;
        Ok(n == 1)
    }

    // -- decisions ----------------------------------------------------------

    /// Remembers a decision for the page. Written in batches (by
    /// [`Db::flush_decisions`], which a timer calls every 50 ms, and every
    /// read of decisions calls first); a full batch is written at once.
    /// (An escalation's approval is written before its decision answers;
    /// this row only lists it.)
    pub fn record_decision(&self, d: &NewDecision<'_>) -> DbResult<()> {
        let row = OwnedDecision {
            tenant: d.tenant.to_string(),
            time_ms: d.time_ms,
            session: d.session.map(str::to_string),
            actor: d.actor.map(str::to_string),
            action: d.action.map(str::to_string),
            verdict: d.verdict.to_string(),
            reason: d.reason.to_string(),
            approval: d.approval.map(str::to_string),
            grant: d.grant.map(str::to_string),
        };
        let now = {
            let mut p = match self.pending.lock() {
                Ok(p) => p,
                Err(e) => e.into_inner(),
            };
            p.push(row);
            p.len() >= BATCH
        };
        if now {
            self.flush_decisions()?;
        }
        Ok(())
    }

    /// Writes the decisions not yet written, in one transaction.
    pub fn flush_decisions(&self) -> DbResult<()> {
        let rows = {
            let mut p = match self.pending.lock() {
                Ok(p) => p,
                Err(e) => e.into_inner(),
            };
            std::mem::take(&mut *p)
        };
        if rows.is_empty() {
            return Ok(());
        }
        let mut c = self.main();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO decisions (tenant, time_ms, session, actor, action, verdict, reason, approval, grant_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for d in &rows {
                st.execute(params![
                    d.tenant, d.time_ms, d.session, d.actor, d.action, d.verdict, d.reason,
                    d.approval, d.grant
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets the oldest decisions: those before `before_ms`, and those
    /// beyond the newest `max_rows` (0: no limit by either) — at most
    /// `step` rows a call, so a call holds the write lock briefly. Returns
    /// how many went.
    pub fn prune_decisions(&self, before_ms: i64, max_rows: u64, step: u32) -> DbResult<usize> {
        self.flush_decisions()?;
        let c = self.main();
        let mut n = 0;
        if before_ms > 0 {
            n += c
                .prepare_cached(
                    "DELETE FROM decisions WHERE seq IN (SELECT seq FROM decisions ORDER BY seq LIMIT ?2)
                     AND time_ms < ?1",
                )?
                .execute(params![before_ms, step])?;
        }
        if max_rows > 0 {
            n += c
                .prepare_cached(
                    "DELETE FROM decisions WHERE seq IN (SELECT seq FROM decisions
                     WHERE seq <= (SELECT MAX(seq) FROM decisions) - ?1 ORDER BY seq LIMIT ?2)",
                )?
                .execute(params![i64::try_from(max_rows).unwrap_or(i64::MAX), step])?;
        }
        Ok(n)
    }

    /// The last `limit` decisions of a session (newest first).
    pub fn session_decisions(
        &self,
        tenant: &str,
        session: &str,
        limit: u32,
    ) -> DbResult<Vec<DecisionRow>> {
        self.decision_rows(
            "WHERE tenant = ?1 AND session = ?2 ORDER BY time_ms DESC, seq DESC LIMIT ?3",
            params![tenant, session, limit],
        )
    }

    /// `tenant`'s last `limit` decisions (newest first).
    pub fn recent_decisions(&self, tenant: &str, limit: u32) -> DbResult<Vec<DecisionRow>> {
        self.decision_rows(
            "WHERE tenant = ?1 ORDER BY time_ms DESC, seq DESC LIMIT ?2",
            params![tenant, limit],
        )
    }

    fn decision_rows(&self, tail: &str, p: impl rusqlite::Params) -> DbResult<Vec<DecisionRow>> {
        self.flush_decisions()?;
        let c = self.main();
        let mut st = c.prepare(&format!(
            "SELECT time_ms, session, actor, action, verdict, reason, approval, grant_id FROM decisions {tail}"
        ))?;
        let rows = st.query_map(p, |r| {
            Ok(DecisionRow {
                time_ms: r.get(0)?,
                session: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                verdict: r.get(4)?,
                reason: r.get(5)?,
                approval: r.get(6)?,
                grant_id: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// `tenant`'s decisions per hour and verdict since `since_ms`:
    /// `(hour start ms, verdict, count)`.
    pub fn decisions_per_hour(
        &self,
        tenant: &str,
        since_ms: i64,
    ) -> DbResult<Vec<(i64, String, i64)>> {
        self.flush_decisions()?;
        let c = self.main();
        let mut st = c.prepare(
            "SELECT (time_ms / 3600000) * 3600000 AS hour, verdict, COUNT(*) FROM decisions
             WHERE tenant = ?1 AND time_ms >= ?2 GROUP BY hour, verdict ORDER BY hour",
        )?;
        let rows = st.query_map(params![tenant, since_ms], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

fn key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeyInfo> {
    let role: String = r.get(1)?;
    Ok(KeyInfo {
        id: r.get(0)?,
        role: Role::parse(&role).unwrap_or(Role::Agent),
        tenant: r.get(2)?,
        name: r.get(3)?,
        created_ms: r.get(4)?,
        revoked_ms: r.get(5)?,
    })
}

fn migrate(c: &mut Connection) -> DbResult<()> {
    // Up to date (every open after the first): no write lock taken, so a
    // short-lived process (`permit0 hook`) opens without waiting on others.
    let current: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if usize::try_from(current).ok() == Some(MIGRATIONS.len()) {
        return Ok(());
    }
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let done: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let done = usize::try_from(done).unwrap_or(0);
    if done > MIGRATIONS.len() {
        return Err(DbError(format!(
            "the database is of schema version {done}, newer than this permit0 knows ({}): upgrade permit0",
            MIGRATIONS.len()
        )));
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(done) {
        tx.execute_batch(m)?;
        tx.pragma_update(None, "user_version", i + 1)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    fn fresh_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("permit0-db-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn journal_mode(db: &Db) -> String {
        db.main()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap()
    }

    /// A data directory made by a server of schema 1 (session entries
    /// under an AUTOINCREMENT key) is migrated when opened: its sessions'
    /// entries are all there, in order, and the next entry is numbered
    /// after them.
    #[test]
    fn a_schema_1_database_keeps_its_session_entries() {
        let dir = fresh_dir("schema-1");
        std::fs::create_dir_all(&dir).unwrap();
        let mut c = Connection::open(dir.join(DB_FILE)).unwrap();
        {
            let tx = c.transaction().unwrap();
            tx.execute_batch(MIGRATIONS[0]).unwrap();
            tx.pragma_update(None, "user_version", 1).unwrap();
            tx.execute_batch(
                "INSERT INTO session_entries (scope, time_ms, contributions) VALUES
                 ('s', 1, x'01'), ('t', 2, x'02'), ('s', 3, x'03')",
            )
            .unwrap();
            tx.commit().unwrap();
        }
        drop(c);
        let db = Db::open(&dir).unwrap();
        let c = db.main();
        let rows: Vec<(i64, String, i64)> = c
            .prepare("SELECT seq, scope, time_ms FROM session_entries ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [(1, "s".into(), 1), (2, "t".into(), 2), (3, "s".into(), 3)]
        );
        c.execute(
            "INSERT INTO session_entries (scope, time_ms, contributions) VALUES ('s', 4, x'04')",
            [],
        )
        .unwrap();
        assert_eq!(c.last_insert_rowid(), 4);
        let sql: String = c
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'session_entries'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!sql.contains("AUTOINCREMENT"), "{sql}");
        assert_eq!(
            history_plan(&c),
            "SEARCH session_entries USING COVERING INDEX session_entries_by_scope (scope=?)"
        );
        let version: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(usize::try_from(version).unwrap(), MIGRATIONS.len());
        drop(c);
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A grant given by a server of schema 3 recorded no agent key. Opened
    /// by this server it is still listed (approvers see it and can revoke
    /// it), with no key — and a grant with no key covers no request.
    #[test]
    fn a_grant_from_before_schema_4_names_no_agent_key() {
        let dir = fresh_dir("schema-3-grant");
        std::fs::create_dir_all(&dir).unwrap();
        let mut c = Connection::open(dir.join(DB_FILE)).unwrap();
        {
            let tx = c.transaction().unwrap();
            for m in &MIGRATIONS[..3] {
                tx.execute_batch(m).unwrap();
            }
            tx.pragma_update(None, "user_version", 3).unwrap();
            tx.execute_batch(
                "INSERT INTO grants (id, tenant, approval, action, scope, subject, created_ms, expires_ms, created_by)
                 VALUES ('grt_old', 'acme', 'apr_1', 'payments.refund', 'session', 's-1', 0, 9999999999999, 'al')",
            )
            .unwrap();
            tx.commit().unwrap();
        }
        drop(c);
        let db = Db::open(&dir).unwrap();
        let live = db.live_grants("acme", Some("s-1"), None, 1).unwrap();
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].id, "grt_old");
        assert_eq!(live[0].agent_key, None);
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// How SQLite reads a session's history.
    fn history_plan(c: &Connection) -> String {
        c.prepare(&format!("EXPLAIN QUERY PLAN {}", crate::store::HISTORY_SQL))
            .unwrap()
            .query_map(params!["s", 512], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
            .join("; ")
    }

    /// Every decision reads its session's newest entries (up to 512): from
    /// the index alone, one scan, never a lookup in the table per entry —
    /// in a new data directory as in one migrated from schema 1 (above).
    #[test]
    fn a_session_is_read_from_its_index_alone() {
        let dir = fresh_dir("covering");
        let db = Db::open(&dir).unwrap();
        assert_eq!(
            history_plan(&db.main()),
            "SEARCH session_entries USING COVERING INDEX session_entries_by_scope (scope=?)"
        );
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Counts the scope's entries, then records one: what a capped action
    /// does.
    fn count_and_record(store: &crate::store::SqliteStore, scope: &str) -> Result<i64, String> {
        use permit0_session::{Observation, ScopeStep, SessionStore};
        let count = permit0_vm::AggQuery {
            agg: 0,
            key: 7,
            kind: permit0_vm::wire::AggKindWire::Count,
            window_ms: 0,
            window_actions: 0,
            scope: 0,
        };
        let mut seen = -1;
        store
            .observe(
                &Observation {
                    time: Some(1),
                    scopes: &[ScopeStep {
                        scope,
                        queries: &[count],
                        record: Some(&[(7, 1)]),
                    }],
                },
                &mut |_, v| seen = v,
            )
            .map_err(|e| e.0)?;
        Ok(seen)
    }

    /// Two decisions record into a session in one group, and a third
    /// write in the same group breaks its commit (here a deferred foreign
    /// key, checked at `COMMIT`). Every member learns its group failed —
    /// their answers must fail closed — and none of their entries is kept:
    /// the next observation counts none, from the database, not from the
    /// cache the failed group appended to.
    #[test]
    fn a_group_that_cannot_commit_fails_every_member_and_keeps_nothing() {
        let dir = fresh_dir("group-fails");
        let db = Arc::new(Db::open(&dir).unwrap());
        db.main()
            .execute_batch(
                "CREATE TABLE parent (id INTEGER PRIMARY KEY);
                 CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);",
            )
            .unwrap();
        let store = crate::store::SqliteStore::new(db.clone(), crate::store::Keep::default());
        assert_eq!(count_and_record(&store, "s"), Ok(0), "committed on its own");
        let (a, first) = deferred(|| count_and_record(&store, "s"));
        let (_, bad) = deferred(|| {
            db.in_group()
                .unwrap()
                .0
                .execute("INSERT INTO child VALUES (42)", [])
                .unwrap();
        });
        let (b, second) = deferred(|| count_and_record(&store, "s"));
        assert_eq!((a, b), (Ok(1), Ok(2)), "answered from the open group");
        assert!(Arc::ptr_eq(&first[0], &bad[0]) && Arc::ptr_eq(&bad[0], &second[0]));
        let e = db.settle(&second).unwrap_err();
        assert!(e.0.contains("FOREIGN KEY"), "{e}");
        assert_eq!(db.settle(&first), Err(e), "the first member fails too");
        assert_eq!(
            count_and_record(&store, "s"),
            Ok(1),
            "only the first entry is kept"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// WAL mode is set when the database is made and read from the file's
    /// header on every later open (not set again): a database another tool
    /// made in rollback mode is still switched to WAL.
    #[test]
    fn every_open_database_is_in_wal_mode() {
        let dir = fresh_dir("wal");
        assert!(!in_wal_mode(&dir.join(DB_FILE)), "no file yet");
        let db = Db::open(&dir).unwrap();
        assert_eq!(journal_mode(&db), "wal");
        drop(db);
        assert!(in_wal_mode(&dir.join(DB_FILE)));
        let db = Db::open(&dir).unwrap();
        assert_eq!(journal_mode(&db), "wal");
        drop(db);

        let other = fresh_dir("rollback");
        std::fs::create_dir_all(&other).unwrap();
        let c = Connection::open(other.join(DB_FILE)).unwrap();
        c.execute_batch("CREATE TABLE t (x)").unwrap();
        drop(c);
        assert!(!in_wal_mode(&other.join(DB_FILE)));
        let db = Db::open(&other).unwrap();
        assert_eq!(journal_mode(&db), "wal");
        drop(db);
        assert!(in_wal_mode(&other.join(DB_FILE)));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&other);
    }
}

//! Shared state on Redis (`permit0 serve --store redis://…`): every piece
//! of a server's state in one Redis, so replicas behind a load balancer
//! behave as one service. docs/server.md, "Shared state on Redis", is the
//! reference; the layout of the keys is below.
//!
//! Every step that must be atomic is one command or one Lua script — one
//! round trip:
//!
//! - a session observation ([`SESSION_LUA`]): read the scope's records the
//!   queries need, answer them, append this request's record, trim;
//! - a nonce's redemption: `SET NX PX`;
//! - an approval's answer ([`ANSWER_LUA`]): only while pending, with its
//!   grant and its nonce link, then `PUBLISH` so every replica's waiters
//!   re-read;
//! - a grant's use ([`USE_GRANT_LUA`]): only while the grant is live.
//!
//! Keys (`P` is the prefix, `‹x›` a length-prefixed text `len:x`):
//! `P:s:SCOPE` (a session: a list of records, newest first),
//! `P:key:HASH` and `P:keyid:ID` and `P:keys` (API keys), `P:apr:ID` and
//! `P:aprs:‹tenant›:STATE` and `P:pending` (approvals), `P:nonce-apr:NONCE`
//! (a token's approval), `P:spent:NONCE`, `P:grant:ID` and
//! `P:grants:‹tenant›` and `P:gsub:‹tenant›:SCOPE:‹subject›` and
//! `P:grant-uses:ID`, `P:dec:‹tenant›` and `P:sdec:‹tenant›:‹session›`
//! (recent decisions), `P:token-key`, and the channel `P:answered`.
//!
//! Connections come from a small pool of blocking connections (the
//! session store is called synchronously inside the decide path, as the
//! SQLite store is). A connection that fails is dropped; for the next
//! 250 ms every call fails at once (naming the store) instead of
//! connecting again, and after that the next call reconnects — so the
//! server recovers by itself when Redis returns.

use crate::db::{
    random_id, Answer, Approval, DbError, DbResult, DecisionRow, Grant, KeyInfo, NewApproval,
    NewDecision, Role,
};
use crate::state::{err, StateStore};
use crate::store::Keep;
use ed25519_dalek::SigningKey;
use permit0_session::{Observation, SessionStore, StoreError};
use permit0_vm::wire::AggKindWire;
use redis::{Connection, RedisResult, Script};
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a connection attempt, and a reply, may take.
pub const TIMEOUT: Duration = Duration::from_secs(1);
/// After a failure, calls fail at once for this long before reconnecting.
pub const BACKOFF: Duration = Duration::from_millis(250);
/// Recent decisions kept per tenant, and per session.
pub const DECISIONS_KEPT: i64 = 10_000;
pub const SESSION_DECISIONS_KEPT: i64 = 50;
/// Answered approvals (and expired grants) are kept this long.
pub const ANSWERED_KEPT_MS: i64 = 30 * 24 * 3_600_000;
/// Answered approvals listed per tenant and state.
pub const ANSWERED_LISTED: i64 = 10_000;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// A text as a key part: `len:text`, so no two texts make one key.
fn part(s: &str) -> String {
    format!("{}:{s}", s.len())
}

// ---------------------------------------------------------------------------
// Connections

/// Blocking connections to one Redis, reused.
pub struct Pool {
    client: redis::Client,
    /// The URL without its password: how errors name the store.
    name: String,
    idle: Mutex<Vec<Connection>>,
    down: Mutex<Option<(Instant, String)>>,
    trips: AtomicU64,
}

/// The URL without `user:password@`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            format!(
                "{}{}",
                url.get(..s + 3).unwrap_or(""),
                url.get(at + 1..).unwrap_or("")
            )
        }
        _ => url.to_string(),
    }
}

fn is_connection(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal()
}

impl Pool {
    pub fn open(url: &str) -> Result<Pool, String> {
        let client = redis::Client::open(url)
            .map_err(|e| format!("`{}` is not a Redis URL: {e}", redact(url)))?;
        Ok(Pool {
            client,
            name: format!("Redis at {}", redact(url)),
            idle: Mutex::new(Vec::new()),
            down: Mutex::new(None),
            trips: AtomicU64::new(0),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Round trips made so far.
    pub fn trips(&self) -> u64 {
        self.trips.load(Ordering::Relaxed)
    }

    fn fail(&self, e: impl std::fmt::Display) -> DbError {
        DbError(format!("{}: {e}", self.name))
    }

    fn connect(&self) -> RedisResult<Connection> {
        let c = self.client.get_connection_with_timeout(TIMEOUT)?;
        c.set_read_timeout(Some(TIMEOUT))?;
        c.set_write_timeout(Some(TIMEOUT))?;
        Ok(c)
    }

    /// Runs `f` (one round trip) on a pooled connection.
    pub fn with<T>(&self, f: impl FnOnce(&mut Connection) -> RedisResult<T>) -> DbResult<T> {
        if let Some((until, why)) = lock(&self.down).as_mut() {
            if Instant::now() < *until {
                return Err(self.fail(format!("unavailable ({why})")));
            }
            // This call probes; the others keep failing at once meanwhile
            // (a Redis host that does not answer blocks a connect for up
            // to TIMEOUT).
            *until = Instant::now() + TIMEOUT + BACKOFF;
        }
        let pooled = lock(&self.idle).pop();
        let mut c = match pooled {
            Some(c) => c,
            None => match self.connect() {
                Ok(c) => c,
                Err(e) => {
                    self.mark_down(&e);
                    return Err(self.fail(e));
                }
            },
        };
        self.trips.fetch_add(1, Ordering::Relaxed);
        match f(&mut c) {
            Ok(v) => {
                *lock(&self.down) = None;
                let mut idle = lock(&self.idle);
                if idle.len() < 64 {
                    idle.push(c);
                }
                Ok(v)
            }
            Err(e) => {
                if is_connection(&e) {
                    self.mark_down(&e);
                } else {
                    let mut idle = lock(&self.idle);
                    if idle.len() < 64 {
                        idle.push(c);
                    }
                }
                Err(self.fail(e))
            }
        }
    }

    fn mark_down(&self, e: &redis::RedisError) {
        lock(&self.idle).clear();
        *lock(&self.down) = Some((Instant::now() + BACKOFF, e.to_string()));
    }
}

// ---------------------------------------------------------------------------
// Sessions

/// The session observation, atomic in Redis, over every scope of the
/// request at once (one script, one round trip). KEYS: the scopes' lists
/// (records `TIME|key=value,key=value`, newest first; TIME is `-` when the
/// request had none). ARGV: the most records kept, the keys' lifetime
/// (ms), the horizon (records older are dropped from the tail; empty:
/// none), the number of scopes; then per scope, in KEYS order: the record
/// to append (empty: read only), the number of queries, then per query:
/// kind (`c` count, `e` seen, `s` sum, `d` distinct), the aggregate's key,
/// the window's start (empty: none), the last N records (0: all). Answers
/// per query, scope after scope: a count for count and seen, the matching
/// values (as text, summed exactly by the caller) for sum and distinct.
pub const SESSION_LUA: &str = r#"
local keep = tonumber(ARGV[1])
local nk = tonumber(ARGV[4])
local out = {}
local a = 5
for k = 1, nk do
  local key = KEYS[k]
  local record = ARGV[a]
  local nq = tonumber(ARGV[a + 1])
  a = a + 2
  if nq > 0 then
    local entries = redis.call('LRANGE', key, 0, keep - 1)
    local times = {}
    local bodies = {}
    for i = 1, #entries do
      local e = entries[i]
      local bar = string.find(e, '|', 1, true) or 0
      local t = string.sub(e, 1, bar - 1)
      if t == '-' then times[i] = false else times[i] = tonumber(t) end
      bodies[i] = string.sub(e, bar + 1)
    end
    for q = 0, nq - 1 do
      local b = a + q * 4
      local kind, qkey, since, n = ARGV[b], ARGV[b + 1], ARGV[b + 2], tonumber(ARGV[b + 3])
      local from = nil
      if since ~= '' then from = tonumber(since) end
      local lim = #entries
      if n > 0 and n < lim then lim = n end
      local count = 0
      local vals = {}
      for i = 1, lim do
        local t = times[i]
        if from == nil or t == false or t >= from then
          for ek, v in string.gmatch(bodies[i], '([^=,]+)=([^,]+)') do
            if ek == qkey then
              count = count + 1
              if kind == 's' or kind == 'd' then vals[#vals + 1] = v end
            end
          end
        end
      end
      if kind == 's' or kind == 'd' then out[#out + 1] = vals else out[#out + 1] = count end
    end
  end
  a = a + nq * 4
  if record ~= '' then
    redis.call('LPUSH', key, record)
    redis.call('LTRIM', key, 0, keep - 1)
    if ARGV[3] ~= '' then
      local h = tonumber(ARGV[3])
      for i = 1, 64 do
        local last = redis.call('LINDEX', key, -1)
        if not last then break end
        local t = string.sub(last, 1, (string.find(last, '|', 1, true) or 0) - 1)
        if t ~= '-' and tonumber(t) < h then redis.call('RPOP', key) else break end
      end
    end
    redis.call('PEXPIRE', key, ARGV[2])
  end
end
return out
"#;

/// One query's answer as the script gives it.
#[derive(Debug)]
enum Reply {
    Count(i64),
    Values(Vec<String>),
}

impl redis::FromRedisValue for Reply {
    fn from_redis_value(v: &redis::Value) -> RedisResult<Reply> {
        match v {
            redis::Value::Int(n) => Ok(Reply::Count(*n)),
            _ => Ok(Reply::Values(redis::from_redis_value(v)?)),
        }
    }
}

/// The sessions of every tenant, in Redis.
pub struct RedisSessions {
    pool: Arc<Pool>,
    prefix: String,
    keep: Keep,
    script: Script,
    /// The longest window the loaded bundles read (ms); records live this
    /// long (at most `keep.max_age_ms`).
    window: AtomicI64,
    /// Whether a loaded bundle reads a window of the last N actions: then
    /// an action that adds nothing is still recorded (it is one of the N).
    counts_actions: AtomicBool,
    pub errors: AtomicU64,
}

impl RedisSessions {
    pub fn new(pool: Arc<Pool>, prefix: &str, keep: Keep) -> RedisSessions {
        RedisSessions {
            pool,
            prefix: prefix.to_string(),
            keep,
            script: Script::new(SESSION_LUA),
            window: AtomicI64::new(60_000),
            counts_actions: AtomicBool::new(false),
            errors: AtomicU64::new(0),
        }
    }

    /// Records live at least `ms` (capped at `keep.max_age_ms`); with
    /// `counts_actions`, actions that add nothing are recorded too.
    pub fn note_reads(&self, ms: i64, counts_actions: bool) {
        self.window
            .fetch_max(ms.clamp(1, self.keep.max_age_ms.max(1)), Ordering::Relaxed);
        if counts_actions {
            self.counts_actions.store(true, Ordering::Relaxed);
        }
    }

    pub fn lifetime_ms(&self) -> i64 {
        self.window.load(Ordering::Relaxed)
    }

    fn key(&self, scope: &str) -> String {
        format!("{}:s:{scope}", self.prefix)
    }

    /// The record of one scope, or `None` when nothing is appended there.
    fn record(&self, c: Option<&[(u64, i64)]>, time: Option<i64>) -> Option<String> {
        match c {
            Some(c) if !c.is_empty() || self.counts_actions.load(Ordering::Relaxed) => {
                let mut r = String::with_capacity(16 + c.len() * 24);
                match time {
                    Some(t) => {
                        let _ = write!(r, "{t}|");
                    }
                    None => r.push_str("-|"),
                }
                for (i, (k, v)) in c.iter().enumerate() {
                    if i > 0 {
                        r.push(',');
                    }
                    let _ = write!(r, "{k}={v}");
                }
                Some(r)
            }
            _ => None,
        }
    }

    fn run(&self, o: &Observation<'_>, answer: &mut dyn FnMut(u16, i64)) -> DbResult<()> {
        let lifetime = self.lifetime_ms();
        let mut inv = self.script.prepare_invoke();
        inv.arg(self.keep.max_entries.max(1))
            .arg(lifetime.max(1))
            .arg(
                o.time
                    .map(|t| t.saturating_sub(lifetime).to_string())
                    .unwrap_or_default(),
            )
            .arg(o.scopes.len());
        let mut asked = 0usize;
        for step in o.scopes {
            inv.key(self.key(step.scope))
                .arg(self.record(step.record, o.time).unwrap_or_default())
                .arg(step.queries.len());
            for q in step.queries {
                let kind = match q.kind {
                    AggKindWire::Count => "c",
                    AggKindWire::Seen => "e",
                    AggKindWire::Sum => "s",
                    AggKindWire::Distinct => "d",
                };
                let since = match (q.window_ms > 0, o.time) {
                    (true, Some(now)) => now.saturating_sub(q.window_ms).to_string(),
                    _ => String::new(),
                };
                inv.arg(kind)
                    .arg(q.key.to_string())
                    .arg(since)
                    .arg(q.window_actions.max(0));
            }
            asked += step.queries.len();
        }
        let replies: Vec<Reply> = self.pool.with(|c| inv.invoke(c))?;
        if replies.len() != asked {
            return Err(err(format!(
                "{}: the session script answered {} queries of {}",
                self.pool.name(),
                replies.len(),
                asked
            )));
        }
        let queries = o.scopes.iter().flat_map(|s| s.queries.iter());
        for (q, r) in queries.zip(replies) {
            let value = match (q.kind, r) {
                (AggKindWire::Count, Reply::Count(n)) => n,
                (AggKindWire::Seen, Reply::Count(n)) => i64::from(n > 0),
                (AggKindWire::Sum, Reply::Values(v)) => {
                    let mut sum = 0i64;
                    for x in v {
                        sum = sum.saturating_add(parse_i64(&x)?);
                    }
                    sum
                }
                (AggKindWire::Distinct, Reply::Values(v)) => {
                    let mut xs = v
                        .iter()
                        .map(|x| parse_i64(x))
                        .collect::<DbResult<Vec<_>>>()?;
                    xs.sort_unstable();
                    xs.dedup();
                    i64::try_from(xs.len()).unwrap_or(i64::MAX)
                }
                (_, r) => return Err(err(format!("the session script answered {r:?}"))),
            };
            answer(q.agg, value);
        }
        Ok(())
    }
}

fn parse_i64(s: &str) -> DbResult<i64> {
    s.parse()
        .map_err(|_| err(format!("a session record holds `{s}`, not an integer")))
}

impl SessionStore for RedisSessions {
    fn observe(
        &self,
        o: &Observation<'_>,
        answer: &mut dyn FnMut(u16, i64),
    ) -> Result<(), StoreError> {
        // Nothing to read and nothing to add (an action that adds nothing
        // is recorded only where a bundle counts the last N actions): no
        // round trip.
        let counts_actions = self.counts_actions.load(Ordering::Relaxed);
        if o.scopes.iter().all(|s| {
            s.queries.is_empty() && s.record.is_none_or(|r| r.is_empty() && !counts_actions)
        }) {
            return Ok(());
        }
        self.run(o, answer).map_err(|e| {
            self.errors.fetch_add(1, Ordering::Relaxed);
            crate::store::mark_failed();
            StoreError(e.0)
        })
    }

    fn forget(&self, scope: &str) -> Result<(), StoreError> {
        self.pool
            .with(|c| redis::cmd("DEL").arg(self.key(scope)).query::<()>(c))
            .map_err(|e| StoreError(e.0))
    }

    fn entries(&self, scope: &str) -> Result<usize, StoreError> {
        self.pool
            .with(|c| redis::cmd("LLEN").arg(self.key(scope)).query::<usize>(c))
            .map_err(|e| StoreError(e.0))
    }
}

// ---------------------------------------------------------------------------
// Approvals, grants, keys

/// Answers an approval only while it is pending. KEYS: the approval, its
/// tenant's pending list, the list of its new state, the global pending
/// set, the nonce link (or a dummy), the grant, the grant's subject index,
/// the tenant's grant list. ARGV: state, decided_ms, decided_by, comment,
/// token, nonce, nonce-link lifetime (ms), answered-kept (ms), listed, the
/// channel, the id, the tenant (another tenant's approval is not
/// answered), then the grant's fields (empty when none): id, tenant,
/// approval, action, scope, subject, max_amount, created_ms, expires_ms,
/// created_by, agent_key.
pub const ANSWER_LUA: &str = r#"
local cur = redis.call('HMGET', KEYS[1], 'state', 'tenant')
if cur[1] ~= 'pending' or cur[2] ~= ARGV[12] then return 0 end
local f = {'state', ARGV[1], 'decided_ms', ARGV[2], 'decided_by', ARGV[3]}
if ARGV[4] ~= '' then table.insert(f, 'comment'); table.insert(f, ARGV[4]) end
if ARGV[5] ~= '' then table.insert(f, 'token'); table.insert(f, ARGV[5]) end
if ARGV[6] ~= '' then table.insert(f, 'nonce'); table.insert(f, ARGV[6]) end
if ARGV[13] ~= '' then table.insert(f, 'grant_id'); table.insert(f, ARGV[13]) end
redis.call('HSET', KEYS[1], unpack(f))
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('ZREM', KEYS[2], ARGV[11])
redis.call('ZREM', KEYS[4], ARGV[11])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[11])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -tonumber(ARGV[9]) - 1)
if ARGV[6] ~= '' then redis.call('SET', KEYS[5], ARGV[11], 'PX', ARGV[7]) end
if ARGV[13] ~= '' then
  local g = {'id', ARGV[13], 'tenant', ARGV[14], 'approval', ARGV[15], 'action', ARGV[16],
             'scope', ARGV[17], 'subject', ARGV[18], 'created_ms', ARGV[20],
             'expires_ms', ARGV[21], 'created_by', ARGV[22], 'uses', '0'}
  if ARGV[19] ~= '' then table.insert(g, 'max_amount'); table.insert(g, ARGV[19]) end
  if ARGV[23] ~= '' then table.insert(g, 'agent_key'); table.insert(g, ARGV[23]) end
  redis.call('HSET', KEYS[6], unpack(g))
  redis.call('PEXPIREAT', KEYS[6], tonumber(ARGV[21]) + tonumber(ARGV[8]))
  redis.call('ZADD', KEYS[7], ARGV[21], ARGV[13])
  redis.call('PEXPIREAT', KEYS[7], tonumber(ARGV[21]) + tonumber(ARGV[8]))
  redis.call('ZADD', KEYS[8], ARGV[20], ARGV[13])
end
redis.call('PUBLISH', ARGV[10], ARGV[11])
return 1
"#;

/// A grant's use, only while it is live. KEYS: the grant, its use list.
/// ARGV: now, the use (JSON).
pub const USE_GRANT_LUA: &str = r#"
local exp = tonumber(redis.call('HGET', KEYS[1], 'expires_ms') or '0')
if exp <= tonumber(ARGV[1]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'uses', 1)
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, 999)
redis.call('PEXPIREAT', KEYS[2], exp + 2592000000)
return 1
"#;

/// Ends a live grant of a tenant. KEYS: the grant. ARGV: tenant, now.
const REVOKE_GRANT_LUA: &str = r#"
if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return 0 end
local exp = tonumber(redis.call('HGET', KEYS[1], 'expires_ms') or '0')
if exp <= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'expires_ms', ARGV[2])
return 1
"#;

/// The live grants among the ids in some subject indexes. KEYS: the
/// indexes. ARGV: prefix, now.
const LIVE_GRANTS_LUA: &str = r#"
local out = {}
for i = 1, #KEYS do
  local ids = redis.call('ZRANGEBYSCORE', KEYS[i], '(' .. ARGV[2], '+inf')
  for _, id in ipairs(ids) do
    local g = redis.call('HGETALL', ARGV[1] .. ':grant:' .. id)
    if #g > 0 then out[#out + 1] = g end
  end
end
return out
"#;

/// The hashes named by the newest members of a sorted set. KEYS: the set.
/// ARGV: the prefix of the hashes' keys, how many.
const NEWEST_LUA: &str = r#"
local ids = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local out = {}
for _, id in ipairs(ids) do
  local h = redis.call('HGETALL', ARGV[1] .. id)
  if #h > 0 then out[#out + 1] = h end
end
return out
"#;

/// Revokes a key. KEYS: the id's link. ARGV: prefix, now.
const REVOKE_KEY_LUA: &str = r#"
local h = redis.call('GET', KEYS[1])
if not h then return 0 end
local k = ARGV[1] .. ':key:' .. h
if redis.call('HEXISTS', k, 'revoked_ms') == 1 then return 0 end
redis.call('HSET', k, 'revoked_ms', ARGV[2])
return 1
"#;

/// The approval a nonce belongs to, if it is the tenant's. KEYS: the
/// link. ARGV: prefix, tenant.
const NONCE_APPROVAL_LUA: &str = r#"
local id = redis.call('GET', KEYS[1])
if not id then return false end
if redis.call('HGET', ARGV[1] .. ':apr:' .. id, 'tenant') ~= ARGV[2] then return false end
return id
"#;

fn pairs(flat: Vec<String>) -> HashMap<String, String> {
    let mut m = HashMap::new();
    let mut it = flat.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        m.insert(k, v);
    }
    m
}

fn int(m: &HashMap<String, String>, f: &str) -> Option<i64> {
    m.get(f).and_then(|v| v.parse().ok())
}

fn text(m: &HashMap<String, String>, f: &str) -> Option<String> {
    m.get(f).cloned()
}

fn json_field(m: &HashMap<String, String>, f: &str) -> Option<Json> {
    m.get(f).and_then(|t| serde_json::from_str(t).ok())
}

fn approval_of(m: &HashMap<String, String>) -> Option<Approval> {
    Some(Approval {
        id: text(m, "id")?,
        tenant: text(m, "tenant")?,
        state: text(m, "state")?,
        request: json_field(m, "request").unwrap_or(Json::Null),
        outcome: json_field(m, "outcome").unwrap_or(Json::Null),
        explanation: json_field(m, "explanation"),
        action: text(m, "action"),
        action_digest: text(m, "action_digest"),
        session: text(m, "session"),
        actor: text(m, "actor"),
        created_ms: int(m, "created_ms").unwrap_or(0),
        decided_ms: int(m, "decided_ms"),
        decided_by: text(m, "decided_by"),
        comment: text(m, "comment"),
        token: text(m, "token"),
        grant_id: text(m, "grant_id"),
        audit: match (int(m, "audit_seq"), text(m, "audit_hash")) {
            (Some(s), Some(h)) => u64::try_from(s).ok().map(|s| (s, h)),
            _ => None,
        },
        agent_key: text(m, "agent_key"),
    })
}

fn grant_of(m: &HashMap<String, String>) -> Option<Grant> {
    Some(Grant {
        id: text(m, "id")?,
        tenant: text(m, "tenant")?,
        approval: text(m, "approval").filter(|a| !a.is_empty()),
        action: text(m, "action")?,
        scope: text(m, "scope")?,
        subject: text(m, "subject")?,
        max_amount: int(m, "max_amount"),
        created_ms: int(m, "created_ms")?,
        expires_ms: int(m, "expires_ms")?,
        created_by: text(m, "created_by").unwrap_or_default(),
        uses: int(m, "uses").unwrap_or(0),
        agent_key: text(m, "agent_key").filter(|k| !k.is_empty()),
    })
}

fn key_of(m: &HashMap<String, String>) -> Option<KeyInfo> {
    Some(KeyInfo {
        id: text(m, "id")?,
        role: Role::parse(m.get("role")?)?,
        tenant: text(m, "tenant")?,
        name: text(m, "name").unwrap_or_default(),
        created_ms: int(m, "created_ms").unwrap_or(0),
        revoked_ms: int(m, "revoked_ms"),
    })
}

/// A decision waiting to be written.
struct Pending {
    tenant: String,
    row: DecisionRow,
}

/// Decisions kept in memory while Redis is away, at most.
const PENDING_KEPT: usize = 10_000;

/// The whole state of a server in Redis.
pub struct RedisState {
    pool: Arc<Pool>,
    prefix: String,
    sessions: Arc<RedisSessions>,
    pending: Mutex<Vec<Pending>>,
    /// Keys recently looked up, by hash, with when.
    keys: Mutex<HashMap<String, (Option<KeyInfo>, Instant)>>,
    answer: Script,
    use_grant: Script,
    revoke_grant: Script,
    live_grants: Script,
    newest: Script,
    revoke_key: Script,
    nonce_approval: Script,
    url: String,
}

impl RedisState {
    /// Connects lazily: a Redis that is not up yet is reconnected to on
    /// first use (the URL is checked now).
    pub fn open(url: &str, prefix: &str, keep: Keep) -> Result<RedisState, String> {
        let pool = Arc::new(Pool::open(url)?);
        let prefix = if prefix.is_empty() {
            crate::state::DEFAULT_PREFIX
        } else {
            prefix
        };
        Ok(RedisState {
            sessions: Arc::new(RedisSessions::new(pool.clone(), prefix, keep)),
            pool,
            prefix: prefix.to_string(),
            pending: Mutex::new(Vec::new()),
            keys: Mutex::new(HashMap::new()),
            answer: Script::new(ANSWER_LUA),
            use_grant: Script::new(USE_GRANT_LUA),
            revoke_grant: Script::new(REVOKE_GRANT_LUA),
            live_grants: Script::new(LIVE_GRANTS_LUA),
            newest: Script::new(NEWEST_LUA),
            revoke_key: Script::new(REVOKE_KEY_LUA),
            nonce_approval: Script::new(NONCE_APPROVAL_LUA),
            url: url.to_string(),
        })
    }

    /// The session store (also in [`StateStore::sessions`]).
    pub fn session_store(&self) -> Arc<RedisSessions> {
        self.sessions.clone()
    }

    fn k(&self, rest: &str) -> String {
        format!("{}:{rest}", self.prefix)
    }

    fn channel(&self) -> String {
        self.k("answered")
    }

    fn find_key_hash(&self, hash: &str) -> DbResult<Option<KeyInfo>> {
        let m: HashMap<String, String> = self.pool.with(|c| {
            redis::cmd("HGETALL")
                .arg(self.k(&format!("key:{hash}")))
                .query(c)
        })?;
        Ok(key_of(&m))
    }

    fn newest_hashes(
        &self,
        set: String,
        hashes: String,
        n: u32,
    ) -> DbResult<Vec<HashMap<String, String>>> {
        let rows: Vec<Vec<String>> = self
            .pool
            .with(|c| self.newest.key(set).arg(hashes).arg(n.max(1)).invoke(c))?;
        Ok(rows.into_iter().map(pairs).collect())
    }

    fn decisions(&self, key: String, limit: i64) -> DbResult<Vec<DecisionRow>> {
        self.flush_decisions()?;
        let rows: Vec<String> = self.pool.with(|c| {
            redis::cmd("LRANGE")
                .arg(key)
                .arg(0)
                .arg(limit.saturating_sub(1))
                .query(c)
        })?;
        Ok(rows
            .iter()
            .filter_map(|r| serde_json::from_str(r).ok())
            .collect())
    }
}

impl StateStore for RedisState {
    fn describe(&self) -> String {
        self.pool.name().to_string()
    }

    fn health(&self) -> DbResult<()> {
        self.pool
            .with(|c| redis::cmd("PING").query::<String>(c))
            .map(|_| ())
    }

    fn sessions(&self) -> Arc<dyn SessionStore> {
        self.sessions.clone()
    }

    fn session_errors(&self) -> u64 {
        self.sessions.errors.load(Ordering::Relaxed)
    }

    fn note_reads(&self, window_ms: i64, counts_actions: bool) {
        self.sessions.note_reads(window_ms, counts_actions);
    }

    fn round_trips(&self) -> u64 {
        self.pool.trips()
    }

    /// One pipeline of `INCRBY` (and a 2 s expiry) per key.
    fn share_rates(&self, used: &[(String, u64)], second: i64) -> DbResult<Vec<u64>> {
        if used.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for (key, n) in used {
            let k = self.k(&format!("rate:{key}:{second}"));
            pipe.cmd("INCRBY").arg(&k).arg(*n);
            pipe.cmd("PEXPIRE").arg(&k).arg(2000).ignore();
        }
        self.pool.with(|c| pipe.query(c))
    }

    fn token_key(&self, _data_dir: &Path) -> Result<SigningKey, String> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
        let key = self.k("token-key");
        let hex: String = self
            .pool
            .with(|c| {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(permit0_vm::hex(&seed))
                    .arg("NX")
                    .query::<()>(c)?;
                redis::cmd("GET").arg(&key).query(c)
            })
            .map_err(|e| e.to_string())?;
        permit0_vm::keys::decode_hex32(hex.trim())
            .map(|s| SigningKey::from_bytes(&s))
            .ok_or_else(|| {
                format!(
                    "`{key}` in {} is not a key (64 hex digits)",
                    self.pool.name()
                )
            })
    }

    fn watch_answers(&self, notify: Box<dyn Fn() + Send + Sync>) {
        let url = self.url.clone();
        let channel = self.channel();
        let spawned = std::thread::Builder::new()
            .name("permit0-redis-answers".into())
            .spawn(move || subscribe(&url, &channel, notify.as_ref()));
        if let Err(e) = spawned {
            eprintln!("permit0 serve: cannot watch answers on other replicas: {e}");
        }
    }

    fn add_key(
        &self,
        role: Role,
        tenant: &str,
        name: &str,
        now_ms: i64,
    ) -> DbResult<(String, KeyInfo)> {
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).map_err(|e| DbError(format!("no randomness: {e}")))?;
        let text = format!("p0k_{}", permit0_vm::hex(&raw));
        let hash = crate::db::key_hash(&text);
        let id = hash.get(..12).unwrap_or(&hash).to_string();
        self.pool.with(|c| {
            redis::pipe()
                .atomic()
                .cmd("HSET")
                .arg(self.k(&format!("key:{hash}")))
                .arg(&[
                    ("id", id.as_str()),
                    ("role", role.name()),
                    ("tenant", tenant),
                    ("name", name),
                    ("created_ms", &now_ms.to_string()),
                ])
                .ignore()
                .cmd("SET")
                .arg(self.k(&format!("keyid:{id}")))
                .arg(&hash)
                .ignore()
                .cmd("ZADD")
                .arg(self.k("keys"))
                .arg(now_ms)
                .arg(&id)
                .ignore()
                .query::<()>(c)
        })?;
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

    /// From a cache of at most [`crate::db::KEY_CACHE`] age; while Redis
    /// is away, the last answer for this key (a key cannot be revoked
    /// while the store is away either).
    fn find_key(&self, text: &str) -> DbResult<Option<KeyInfo>> {
        let hash = crate::db::key_hash(text);
        let cached = lock(&self.keys).get(&hash).cloned();
        if let Some((k, at)) = &cached {
            if at.elapsed() < crate::db::KEY_CACHE {
                return Ok(k.clone());
            }
        }
        match self.find_key_hash(&hash) {
            Ok(k) => {
                let mut cache = lock(&self.keys);
                if cache.len() > 10_000 {
                    cache.clear();
                }
                cache.insert(hash, (k.clone(), Instant::now()));
                Ok(k)
            }
            Err(e) => match cached {
                Some((Some(k), _)) => Ok(Some(k)),
                _ => Err(e),
            },
        }
    }

    fn find_key_by_id(&self, id: &str) -> DbResult<Option<KeyInfo>> {
        let hash: Option<String> = self.pool.with(|c| {
            redis::cmd("GET")
                .arg(self.k(&format!("keyid:{id}")))
                .query(c)
        })?;
        match hash {
            Some(h) => self.find_key_hash(&h),
            None => Ok(None),
        }
    }

    fn list_keys(&self) -> DbResult<Vec<KeyInfo>> {
        let ids: Vec<String> = self.pool.with(|c| {
            redis::cmd("ZRANGE")
                .arg(self.k("keys"))
                .arg(0)
                .arg(-1)
                .query(c)
        })?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(k) = self.find_key_by_id(&id)? {
                out.push(k);
            }
        }
        Ok(out)
    }

    fn revoke_key(&self, id: &str, now_ms: i64) -> DbResult<bool> {
        lock(&self.keys).clear();
        let n: i64 = self.pool.with(|c| {
            self.revoke_key
                .key(self.k(&format!("keyid:{id}")))
                .arg(&self.prefix)
                .arg(now_ms)
                .invoke(c)
        })?;
        Ok(n == 1)
    }

    fn insert_approval(&self, a: &NewApproval<'_>) -> DbResult<String> {
        let id = random_id("apr_")?;
        let j = |v: &Json| serde_json::to_string(v).unwrap_or_default();
        let mut f: Vec<(&str, String)> = vec![
            ("id", id.clone()),
            ("tenant", a.tenant.to_string()),
            ("state", "pending".into()),
            ("request", j(a.request)),
            ("outcome", j(a.outcome)),
            ("agent_key", a.agent_key.to_string()),
            ("created_ms", a.now_ms.to_string()),
        ];
        let opt = [
            ("explanation", a.explanation.map(j)),
            ("action", a.action.map(str::to_string)),
            ("action_digest", a.action_digest.map(str::to_string)),
            ("session", a.session.map(str::to_string)),
            ("actor", a.actor.map(str::to_string)),
            ("audit_seq", a.audit.as_ref().map(|(s, _)| s.to_string())),
            ("audit_hash", a.audit.as_ref().map(|(_, h)| h.clone())),
        ];
        for (name, v) in opt {
            if let Some(v) = v {
                f.push((name, v));
            }
        }
        let t = part(a.tenant);
        self.pool.with(|c| {
            redis::pipe()
                .atomic()
                .cmd("HSET")
                .arg(self.k(&format!("apr:{id}")))
                .arg(&f)
                .ignore()
                .cmd("ZADD")
                .arg(self.k(&format!("aprs:{t}:pending")))
                .arg(a.now_ms)
                .arg(&id)
                .ignore()
                .cmd("ZADD")
                .arg(self.k("pending"))
                .arg(a.now_ms)
                .arg(&id)
                .ignore()
                .query::<()>(c)
        })?;
        Ok(id)
    }

    fn approval(&self, tenant: &str, id: &str) -> DbResult<Option<Approval>> {
        let m: HashMap<String, String> = self.pool.with(|c| {
            redis::cmd("HGETALL")
                .arg(self.k(&format!("apr:{id}")))
                .query(c)
        })?;
        Ok(approval_of(&m).filter(|a| a.tenant == tenant))
    }

    fn approvals(&self, tenant: &str, state: Option<&str>, limit: u32) -> DbResult<Vec<Approval>> {
        let t = part(tenant);
        let states: Vec<&str> = match state {
            Some(s) => vec![s],
            None => vec!["pending", "approved", "denied"],
        };
        let mut out = Vec::new();
        for s in states {
            let rows =
                self.newest_hashes(self.k(&format!("aprs:{t}:{s}")), self.k("apr:"), limit)?;
            out.extend(
                rows.iter()
                    .filter_map(approval_of)
                    .filter(|a| a.tenant == tenant),
            );
        }
        out.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then(a.id.cmp(&b.id)));
        out.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(out)
    }

    fn pending_count(&self) -> DbResult<i64> {
        self.pool
            .with(|c| redis::cmd("ZCARD").arg(self.k("pending")).query(c))
    }

    fn answer(&self, tenant: &str, id: &str, a: &Answer<'_>) -> DbResult<bool> {
        let t = part(tenant);
        let state = if a.approved { "approved" } else { "denied" };
        let nonce = a.nonce.unwrap_or("");
        let g = a.grant;
        let gsub = g.map(|g| {
            self.k(&format!(
                "gsub:{}:{}:{}",
                part(&g.tenant),
                g.scope,
                part(&g.subject)
            ))
        });
        let nonce_ttl = ANSWERED_KEPT_MS;
        let n: i64 = self.pool.with(|c| {
            let mut inv = self.answer.prepare_invoke();
            inv.key(self.k(&format!("apr:{id}")))
                .key(self.k(&format!("aprs:{t}:pending")))
                .key(self.k(&format!("aprs:{t}:{state}")))
                .key(self.k("pending"))
                .key(self.k(&format!("nonce-apr:{nonce}")))
                .key(self.k(&format!("grant:{}", g.map_or("-", |g| g.id.as_str()))))
                .key(gsub.clone().unwrap_or_else(|| self.k("gsub:-")))
                .key(self.k(&format!("grants:{t}")))
                .arg(state)
                .arg(a.now_ms)
                .arg(a.by)
                .arg(a.comment.unwrap_or(""))
                .arg(a.token.unwrap_or(""))
                .arg(nonce)
                .arg(nonce_ttl)
                .arg(ANSWERED_KEPT_MS)
                .arg(ANSWERED_LISTED)
                .arg(self.channel())
                .arg(id)
                .arg(tenant);
            match g {
                Some(g) => inv
                    .arg(&g.id)
                    .arg(&g.tenant)
                    .arg(g.approval.as_deref().unwrap_or(""))
                    .arg(&g.action)
                    .arg(&g.scope)
                    .arg(&g.subject)
                    .arg(g.max_amount.map(|m| m.to_string()).unwrap_or_default())
                    .arg(g.created_ms)
                    .arg(g.expires_ms)
                    .arg(&g.created_by)
                    .arg(g.agent_key.as_deref().unwrap_or("")),
                None => inv.arg(""),
            };
            inv.invoke(c)
        })?;
        Ok(n == 1)
    }

    fn approval_of_nonce(&self, tenant: &str, nonce: &str) -> DbResult<Option<String>> {
        self.pool.with(|c| {
            self.nonce_approval
                .key(self.k(&format!("nonce-apr:{nonce}")))
                .arg(&self.prefix)
                .arg(tenant)
                .invoke(c)
        })
    }

    fn live_grants(
        &self,
        tenant: &str,
        session: Option<&str>,
        actor: Option<&str>,
        now_ms: i64,
    ) -> DbResult<Vec<Grant>> {
        let t = part(tenant);
        let mut idx = Vec::new();
        if let Some(s) = session {
            idx.push(self.k(&format!("gsub:{t}:session:{}", part(s))));
        }
        if let Some(a) = actor {
            idx.push(self.k(&format!("gsub:{t}:actor:{}", part(a))));
        }
        if idx.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Vec<String>> = self.pool.with(|c| {
            let mut inv = self.live_grants.prepare_invoke();
            for k in &idx {
                inv.key(k);
            }
            inv.arg(&self.prefix).arg(now_ms).invoke(c)
        })?;
        let mut out: Vec<Grant> = rows
            .into_iter()
            .filter_map(|r| grant_of(&pairs(r)))
            .filter(|g| g.tenant == tenant && g.expires_ms > now_ms)
            .collect();
        out.sort_by_key(|a| a.created_ms);
        Ok(out)
    }

    fn grants(&self, tenant: &str) -> DbResult<Vec<Grant>> {
        let rows = self.newest_hashes(
            self.k(&format!("grants:{}", part(tenant))),
            self.k("grant:"),
            1000,
        )?;
        Ok(rows
            .iter()
            .filter_map(grant_of)
            .filter(|g| g.tenant == tenant)
            .collect())
    }

    fn revoke_grant(&self, tenant: &str, id: &str, now_ms: i64) -> DbResult<bool> {
        let n: i64 = self.pool.with(|c| {
            self.revoke_grant
                .key(self.k(&format!("grant:{id}")))
                .arg(tenant)
                .arg(now_ms)
                .invoke(c)
        })?;
        Ok(n == 1)
    }

    fn use_grant(
        &self,
        id: &str,
        now_ms: i64,
        action: Option<&str>,
        digest: Option<&str>,
        request: &Json,
    ) -> DbResult<bool> {
        let used = json!({"time_ms": now_ms, "action": action, "action_digest": digest, "request": request});
        let n: i64 = self.pool.with(|c| {
            self.use_grant
                .key(self.k(&format!("grant:{id}")))
                .key(self.k(&format!("grant-uses:{id}")))
                .arg(now_ms)
                .arg(used.to_string())
                .invoke(c)
        })?;
        Ok(n == 1)
    }

    /// `SET NX PX`: one atomic step; the key outlives the token (by 10
    /// minutes, for clocks that disagree), after which the token is
    /// refused for its time anyway.
    fn spend_nonce(&self, nonce: &str, expires_ms: i64, now_ms: i64) -> DbResult<bool> {
        let ttl = expires_ms
            .saturating_sub(now_ms)
            .max(0)
            .saturating_add(600_000);
        let set: Option<String> = self.pool.with(|c| {
            redis::cmd("SET")
                .arg(self.k(&format!("spent:{nonce}")))
                .arg(now_ms)
                .arg("NX")
                .arg("PX")
                .arg(ttl)
                .query(c)
        })?;
        Ok(set.is_some())
    }

    /// Batched as in SQLite: written by the 50 ms timer, at once for an
    /// escalation or a full batch. Kept (at most [`PENDING_KEPT`]) while
    /// Redis is away.
    fn record_decision(&self, d: &NewDecision<'_>) -> DbResult<()> {
        let row = DecisionRow {
            time_ms: d.time_ms,
            session: d.session.map(str::to_string),
            actor: d.actor.map(str::to_string),
            action: d.action.map(str::to_string),
            verdict: d.verdict.to_string(),
            reason: d.reason.to_string(),
            approval: d.approval.map(str::to_string),
            grant_id: d.grant.map(str::to_string),
        };
        let now = {
            let mut p = lock(&self.pending);
            if p.len() < PENDING_KEPT {
                p.push(Pending {
                    tenant: d.tenant.to_string(),
                    row,
                });
            }
            d.approval.is_some() || p.len() >= 256
        };
        if now {
            self.flush_decisions()?;
        }
        Ok(())
    }

    fn flush_decisions(&self) -> DbResult<()> {
        let rows = std::mem::take(&mut *lock(&self.pending));
        if rows.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for p in &rows {
            let t = part(&p.tenant);
            let j = serde_json::to_string(&p.row).unwrap_or_default();
            let dec = self.k(&format!("dec:{t}"));
            pipe.cmd("LPUSH").arg(&dec).arg(&j).ignore();
            pipe.cmd("LTRIM")
                .arg(&dec)
                .arg(0)
                .arg(DECISIONS_KEPT - 1)
                .ignore();
            if let Some(s) = &p.row.session {
                let sk = self.k(&format!("sdec:{t}:{}", part(s)));
                pipe.cmd("LPUSH").arg(&sk).arg(&j).ignore();
                pipe.cmd("LTRIM")
                    .arg(&sk)
                    .arg(0)
                    .arg(SESSION_DECISIONS_KEPT - 1)
                    .ignore();
                pipe.cmd("PEXPIRE").arg(&sk).arg(ANSWERED_KEPT_MS).ignore();
            }
        }
        match self.pool.with(|c| pipe.query::<()>(c)) {
            Ok(()) => Ok(()),
            Err(e) => {
                let mut p = lock(&self.pending);
                let room = PENDING_KEPT.saturating_sub(p.len());
                let mut back: Vec<Pending> = rows.into_iter().take(room).collect();
                back.append(&mut p);
                *p = back;
                Err(e)
            }
        }
    }

    fn session_decisions(
        &self,
        tenant: &str,
        session: &str,
        limit: u32,
    ) -> DbResult<Vec<DecisionRow>> {
        self.decisions(
            self.k(&format!("sdec:{}:{}", part(tenant), part(session))),
            i64::from(limit),
        )
    }

    fn recent_decisions(&self, tenant: &str, limit: u32) -> DbResult<Vec<DecisionRow>> {
        self.decisions(self.k(&format!("dec:{}", part(tenant))), i64::from(limit))
    }

    fn decisions_per_hour(&self, tenant: &str, since_ms: i64) -> DbResult<Vec<(i64, String, i64)>> {
        let rows = self.decisions(self.k(&format!("dec:{}", part(tenant))), DECISIONS_KEPT)?;
        let mut counts: std::collections::BTreeMap<(i64, String), i64> =
            std::collections::BTreeMap::new();
        for r in rows.iter().filter(|r| r.time_ms >= since_ms) {
            let hour = r.time_ms.div_euclid(3_600_000) * 3_600_000;
            *counts.entry((hour, r.verdict.clone())).or_default() += 1;
        }
        Ok(counts.into_iter().map(|((h, v), n)| (h, v, n)).collect())
    }
}

/// Listens on the answers channel, reconnecting while Redis is away; on
/// every message (and after every reconnect, in case one was missed) the
/// replica's waiters re-read their approvals.
fn subscribe(url: &str, channel: &str, notify: &(dyn Fn() + Send + Sync)) {
    let Ok(client) = redis::Client::open(url) else {
        return;
    };
    loop {
        let listened = (|| -> RedisResult<()> {
            let mut con = client.get_connection_with_timeout(TIMEOUT)?;
            let mut ps = con.as_pubsub();
            ps.subscribe(channel)?;
            notify();
            loop {
                let _ = ps.get_message()?;
                notify();
            }
        })();
        if listened.is_err() {
            std::thread::sleep(BACKOFF);
        }
    }
}

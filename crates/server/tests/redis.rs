//! Two `permit0 serve` processes on one real Redis behave as one service:
//! a session cap holds across both, a token redeemed on one is refused on
//! the other, an approval answered on one releases the agent waiting on
//! the other, a grant given on one covers requests decided on the other —
//! and while Redis is away they fail closed and come back by themselves.
//!
//! Each test starts its own `redis-server` (Debian's package; `.ci/run`
//! installs it) on a free port in a temporary directory, with the
//! append-only file synced on every write, and stops it (only the pid it
//! started). The servers are the built `permit0` binary (`cargo build
//! --bin permit0`; `cargo test --workspace` builds it), or `PERMIT0_BIN`.
//!
//! The tests named `lua_*` check the session script's answers against
//! the in-memory store on the same sequence of requests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_server::shared::RedisSessions;
use permit0_server::state::StateStore;
use permit0_server::store::Keep;
use permit0_session::{MemoryStore, Observation, ScopeStep, SessionLimits, SessionStore};
use permit0_vm::wire::AggKindWire;
use permit0_vm::AggQuery;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `redis-server` of this test's own.
struct Redis {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    /// `requirepass`, when the server asks for one.
    password: Option<String>,
}

impl Redis {
    fn start(name: &str) -> Redis {
        Redis::start_with(name, None)
    }

    fn start_with(name: &str, password: Option<&str>) -> Redis {
        let dir = data_dir(&format!("redis-{name}"));
        let mut r = Redis {
            child: None,
            port: free_port(),
            dir,
            password: password.map(str::to_string),
        };
        r.spawn();
        r
    }

    /// The URL as an operator writes it: the password, if any, in the
    /// user-info part (error messages leave it out).
    fn url(&self) -> String {
        match &self.password {
            Some(pw) => format!("redis://:{pw}@127.0.0.1:{}/0", self.port),
            None => format!("redis://127.0.0.1:{}/0", self.port),
        }
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .args(match &self.password {
                Some(pw) => vec!["--requirepass".to_string(), pw.clone()],
                None => vec![],
            })
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is not installed (apt-get install -y redis-server)");
        self.child = Some(child);
        let client = redis::Client::open(self.url()).unwrap();
        for _ in 0..200 {
            if let Ok(mut c) = client.get_connection() {
                if redis::cmd("PING").query::<String>(&mut c).is_ok() {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    /// SIGKILL: no chance to save anything it had not already synced.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn permit0_bin() -> PathBuf {
    if let Ok(p) = std::env::var("PERMIT0_BIN") {
        return PathBuf::from(p);
    }
    // target/debug/deps/redis-… → target/debug/permit0
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("permit0");
    assert!(
        bin.exists(),
        "`{}` is not built: run `cargo build --bin permit0` first (or set PERMIT0_BIN)",
        bin.display()
    );
    bin
}

/// One `permit0 serve` process.
struct Serve {
    child: Child,
    addr: std::net::SocketAddr,
}

impl Serve {
    fn start(dir: &Path, name: &str, redis: &Redis, prefix: &str) -> Serve {
        let data = dir.join(name);
        std::fs::create_dir_all(&data).unwrap();
        let port = free_port();
        let child = Command::new(permit0_bin())
            .arg("serve")
            .arg("--bundle")
            .arg(dir.join("policy.p0b"))
            .arg("--trusted")
            .arg(dir.join("ops.pub"))
            .arg("--data")
            .arg(&data)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--store", &redis.url(), "--store-prefix", prefix])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        // Dropped (killed and waited for) if it does not come up.
        let s = Serve { child, addr };
        for _ in 0..400 {
            if std::net::TcpStream::connect(addr).is_ok() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("permit0 serve did not start");
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The files both replicas read: the refunds policy (at most 5 refunds
/// per session per hour), signed, and its public key.
fn deployment(name: &str) -> PathBuf {
    deployment_of(name, REFUNDS)
}

fn deployment_of(name: &str, policy: &str) -> PathBuf {
    let dir = data_dir(name);
    std::fs::write(dir.join("policy.p0b"), bundle(policy)).unwrap();
    std::fs::write(dir.join("ops.pub"), public_key()).unwrap();
    dir
}

/// A key made with `permit0 keys add --store`, as an operator would.
fn redis_key(redis: &Redis, prefix: &str, role: &str) -> String {
    let out = Command::new(permit0_bin())
        .args([
            "keys",
            "add",
            "--store",
            &redis.url(),
            "--store-prefix",
            prefix,
        ])
        .args(["--role", role, "--tenant", "acme", "--name", role])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

struct Pair {
    a: Serve,
    b: Serve,
    agent_a: Client,
    agent_b: Client,
    approver_a: Client,
    approver_b: Client,
}

fn pair(name: &str, redis: &Redis) -> Pair {
    pair_of(name, redis, REFUNDS)
}

fn pair_of(name: &str, redis: &Redis, policy: &str) -> Pair {
    let dir = deployment_of(name, policy);
    let prefix = format!("t-{name}");
    let agent = redis_key(redis, &prefix, "agent");
    let approver = redis_key(redis, &prefix, "approver");
    let a = Serve::start(&dir, "a", redis, &prefix);
    let b = Serve::start(&dir, "b", redis, &prefix);
    Pair {
        agent_a: Client::new(a.addr, &agent),
        agent_b: Client::new(b.addr, &agent),
        approver_a: Client::new(a.addr, &approver),
        approver_b: Client::new(b.addr, &approver),
        a,
        b,
    }
}

fn verdict(v: &Value) -> &str {
    v["decision"].as_str().unwrap_or("?")
}

/// A Redis that asks for a password: the URL's password gets the service
/// in, as the `redis` crate reads it. Without it an operator's `keys add`
/// fails and says why, and a replica started without it refuses to start
/// rather than decide without the shared history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_requires_a_password_is_reached_with_the_url_s_password() {
    let redis = Redis::start_with("auth", Some("correct-horse-battery"));
    let dir = deployment("auth");
    let key = redis_key(&redis, "t-auth", "agent");
    let open = Serve::start(&dir, "a", &redis, "t-auth");
    let agent = Client::new(open.addr, &key);
    for _ in 0..5 {
        assert_eq!(
            verdict(&agent.decide(&refund(100, "auth-1")).await),
            "allow"
        );
    }
    let sixth = agent.decide(&refund(100, "auth-1")).await;
    assert_eq!(
        verdict(&sixth),
        "deny",
        "the cap holds through the password: {sixth}"
    );

    // The same Redis without the password.
    let bare = Redis {
        child: None,
        port: redis.port,
        dir: redis.dir.clone(),
        password: None,
    };
    let out = Command::new(permit0_bin())
        .args([
            "keys",
            "add",
            "--store",
            &bare.url(),
            "--store-prefix",
            "t-auth",
        ])
        .args(["--role", "agent", "--tenant", "acme", "--name", "x"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a key was added without the password"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Redis") && err.to_lowercase().contains("auth"),
        "the refusal names the store and the cause: {err}"
    );
    // A wrong password is refused too, and the message leaves it out:
    // error text ends up in logs.
    let wrong = Redis {
        child: None,
        port: redis.port,
        dir: redis.dir.clone(),
        password: Some("guessed-password-1".into()),
    };
    let out = Command::new(permit0_bin())
        .args([
            "keys",
            "list",
            "--store",
            &wrong.url(),
            "--store-prefix",
            "t-auth",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "keys listed with a wrong password");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Redis"), "{err}");
    assert!(
        !err.contains("guessed-password-1"),
        "the password leaked: {err}"
    );
    // A replica started without the password refuses to start, and says
    // why, rather than serve decisions it cannot back with the store.
    let out = Command::new(permit0_bin())
        .arg("serve")
        .arg("--bundle")
        .arg(dir.join("policy.p0b"))
        .arg("--trusted")
        .arg(dir.join("ops.pub"))
        .arg("--data")
        .arg(dir.join("b"))
        .args(["--listen", "127.0.0.1:0", "--store", &bare.url()])
        .args(["--store-prefix", "t-auth"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("NOAUTH"), "{err}");
    // The replica that has the password kept serving.
    let seventh = agent.decide(&refund(100, "auth-1")).await;
    assert_eq!(verdict(&seventh), "deny", "{seventh}");
}

/// 40 refunds of one session, at once, half to each replica: the cap of
/// 5 per hour allows exactly 5 — the session's count is read and
/// recorded in one atomic step in Redis, whichever replica decides.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_cap_holds_across_two_replicas() {
    let redis = Redis::start("cap");
    let p = pair("cap", &redis);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let c = if i % 2 == 0 {
            p.agent_a.clone()
        } else {
            p.agent_b.clone()
        };
        tasks.push(tokio::spawn(async move {
            c.decide(&refund(100, "cap-1")).await
        }));
    }
    let mut allowed = 0;
    for t in tasks {
        let d = t.await.unwrap();
        match verdict(&d) {
            "allow" => allowed += 1,
            "deny" => assert_eq!(d["reason"], "refund burst", "{d}"),
            _ => panic!("{d}"),
        }
    }
    assert_eq!(allowed, 5, "the cap is 5 refunds per session per hour");
    // Both replicas see the same session (40 attempts recorded).
    let mut c = redis.conn();
    let keys: Vec<String> = redis::cmd("KEYS").arg("t-cap:s:*").query(&mut c).unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let n: i64 = redis::cmd("LLEN").arg(&keys[0]).query(&mut c).unwrap();
    assert_eq!(n, 40);
    // The session's key expires with the longest window the bundle
    // reads (1 hour).
    let ttl: i64 = redis::cmd("PTTL").arg(&keys[0]).query(&mut c).unwrap();
    assert!(ttl > 3_500_000 && ttl <= 3_600_000, "{ttl}");
}

/// A cap per charge across the tenant (`tenant.count(… by charge_id)`):
/// 30 refunds of one charge, each in its own session, half through each
/// replica, all at once — exactly the cap are allowed, and the charge's
/// key holds every attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_per_charge_cap_holds_across_sessions_and_replicas() {
    let redis = Redis::start("charge");
    let p = pair_of(
        "charge",
        &redis,
        "policy acme.charges\n\
         when payments.refund tenant.count(payments.refund by charge_id, 1h) >= 6 then deny \"charge refunded too often\"\n\
         when payments.refund then allow \"ok\"\n",
    );
    let mut tasks = Vec::new();
    for i in 0..30 {
        let c = if i % 2 == 0 {
            p.agent_a.clone()
        } else {
            p.agent_b.clone()
        };
        tasks.push(tokio::spawn(async move {
            c.decide(&refund(100, &format!("charge-{i}"))).await
        }));
    }
    let mut allowed = 0;
    for t in tasks {
        let d = t.await.unwrap();
        match verdict(&d) {
            "allow" => allowed += 1,
            "deny" => assert_eq!(d["reason"], "charge refunded too often", "{d}"),
            _ => panic!("{d}"),
        }
    }
    assert_eq!(
        allowed, 6,
        "six refunds per charge per hour, whichever session"
    );
    let mut c = redis.conn();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("t-charge:s:*b*")
        .query(&mut c)
        .unwrap();
    let charge: Vec<&String> = keys.iter().filter(|k| k.contains("charge_id")).collect();
    assert_eq!(charge.len(), 1, "{keys:?}");
    let n: i64 = redis::cmd("LLEN").arg(charge[0]).query(&mut c).unwrap();
    assert_eq!(n, 30);
}

/// An approval on A gives a token; redeemed on A, it is refused on B.
/// An approval answered on B releases the agent waiting on A. A grant
/// given on A allows, on B, a later request it covers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tokens_approvals_and_grants_are_shared() {
    let redis = Redis::start("shared");
    let p = pair("shared", &redis);

    // Token: approved on A, redeemed on A, refused on B.
    let d = p.agent_a.decide(&refund(20_000, "t-1")).await;
    assert_eq!(verdict(&d), "escalate", "{d}");
    let id = d["approval"].as_str().unwrap().to_string();
    let (s, a) = p
        .approver_a
        .post(&format!("/v1/approvals/{id}/approve"), &json!({}))
        .await;
    assert_eq!(s, 200, "{a}");
    let redeem = json!({"token": a["token"], "request": refund(20_000, "t-1")});
    let (s, r) = p.agent_a.post("/v1/tokens/redeem", &redeem).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = p.agent_b.post("/v1/tokens/redeem", &redeem).await;
    assert_eq!(s, 403, "{r}");
    assert!(
        r["error"].as_str().unwrap().contains("already redeemed"),
        "{r}"
    );
    // Answering it again, on B, is refused: it was answered once.
    let (s, _) = p
        .approver_b
        .post(&format!("/v1/approvals/{id}/deny"), &json!({}))
        .await;
    assert_eq!(s, 409);

    // Waiting on A, answered on B.
    let d = p.agent_a.decide(&refund(20_000, "w-1")).await;
    let id = d["approval"].as_str().unwrap().to_string();
    let waiter = {
        let c = p.agent_a.clone();
        let id = id.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let (_, w) = c.get(&format!("/v1/approvals/{id}/wait?timeout=30")).await;
            (w, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (s, _) = p
        .approver_b
        .post(&format!("/v1/approvals/{id}/approve"), &json!({}))
        .await;
    assert_eq!(s, 200);
    let (w, took) = waiter.await.unwrap();
    assert_eq!(verdict(&w), "allow", "{w}");
    assert!(w["token"].as_str().unwrap().starts_with("p0t1."), "{w}");
    // Released by the answer, not by the timeout.
    assert!(took < Duration::from_secs(5), "{took:?}");
    // The token signed on B redeems on A: the replicas share the key.
    let (s, r) = p
        .agent_a
        .post(
            "/v1/tokens/redeem",
            &json!({"token": w["token"], "request": refund(20_000, "w-1")}),
        )
        .await;
    assert_eq!(s, 200, "{r}");

    // A grant given on A covers a request decided on B.
    let d = p.agent_a.decide(&refund(20_000, "g-1")).await;
    let id = d["approval"].as_str().unwrap().to_string();
    let (s, a) = p
        .approver_a
        .post(
            &format!("/v1/approvals/{id}/approve"),
            &json!({"grant": {"scope": "session", "minutes": 30, "max_amount": 40_000}}),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    let d = p.agent_b.decide(&refund(30_000, "g-1")).await;
    assert_eq!(verdict(&d), "allow", "{d}");
    assert_eq!(d["grant"], a["grant"]["id"], "{d}");
    // Above the grant's limit it still escalates.
    let d = p.agent_b.decide(&refund(45_000, "g-1")).await;
    assert_eq!(verdict(&d), "escalate", "{d}");
    // The approval, read on B, lists its session's recent decisions,
    // made on A.
    let (_, detail) = p.approver_b.get(&format!("/v1/approvals/{id}")).await;
    let recent = detail["recent"].as_array().unwrap();
    assert!(
        recent.iter().any(|d| d["approval"] == json!(id)),
        "{detail}"
    );
    // Approvers on either replica see one queue.
    let (_, la) = p.approver_a.get("/v1/approvals?state=pending").await;
    let (_, lb) = p.approver_b.get("/v1/approvals?state=pending").await;
    assert_eq!(la["approvals"], lb["approvals"]);
    assert_eq!(la["approvals"].as_array().unwrap().len(), 1);
    // Another agent key naming the same session is not covered: the grant
    // answers the key whose request was approved, on every replica.
    let other = Client::new(p.b.addr, &redis_key(&redis, "t-shared", "agent"));
    let d = other.decide(&refund(30_000, "g-1")).await;
    assert_eq!(verdict(&d), "escalate", "{d}");
    assert_eq!(d["grant"], Value::Null, "{d}");
}

/// Redis killed mid-run: decisions that read the session escalate and
/// name the store, health says the store is down, nobody crashes; Redis
/// restarted (its append-only file synced on every write), both replicas
/// come back by themselves with everything acknowledged before: the
/// session's count, the spent nonce, the answered approval.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_killed_and_restarted_fails_closed_and_recovers() {
    let mut redis = Redis::start("fault");
    let mut p = pair("fault", &redis);

    // Before: three refunds of session f-1, and a token redeemed on A.
    for c in [&p.agent_a, &p.agent_b, &p.agent_a] {
        assert_eq!(verdict(&c.decide(&refund(100, "f-1")).await), "allow");
    }
    let d = p.agent_a.decide(&refund(20_000, "f-2")).await;
    let id = d["approval"].as_str().unwrap().to_string();
    let (_, a) = p
        .approver_b
        .post(&format!("/v1/approvals/{id}/approve"), &json!({}))
        .await;
    let redeem = json!({"token": a["token"], "request": refund(20_000, "f-2")});
    assert_eq!(p.agent_a.post("/v1/tokens/redeem", &redeem).await.0, 200);

    // A stream of refunds of session f-3 on both replicas, Redis killed
    // in the middle of it and restarted later.
    let mut allowed = 0;
    for i in 0..30 {
        if i == 8 {
            redis.kill();
        }
        if i == 20 {
            redis.spawn();
        }
        let c = if i % 2 == 0 { &p.agent_a } else { &p.agent_b };
        let d = c.decide(&refund(100, "f-3")).await;
        match verdict(&d) {
            "allow" => allowed += 1,
            "deny" => {}
            "escalate" => {
                let why = d["reason"].as_str().unwrap();
                assert!(why.contains("Redis at redis://127.0.0.1"), "{d}");
            }
            _ => panic!("{d}"),
        }
        if i == 9 {
            // Down: both replicas answer, health names the store.
            for s in [&p.agent_a, &p.agent_b] {
                let r = reqwest::get(format!("{}/healthz", s.base)).await.unwrap();
                assert_eq!(r.status(), 503);
                assert!(r.text().await.unwrap().contains("Redis"));
            }
            // A capped request cannot be allowed without its history.
            let d = p.agent_b.decide(&refund(100, "f-1")).await;
            assert_eq!(verdict(&d), "escalate", "{d}");
            // A redemption cannot be checked: refused, not allowed.
            assert_eq!(p.agent_b.post("/v1/tokens/redeem", &redeem).await.0, 403);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(allowed <= 5, "{allowed} refunds of one session allowed");
    assert!(p.a.alive() && p.b.alive(), "a replica crashed");

    // Back by themselves: healthy, and everything acknowledged is there.
    for s in [&p.agent_a, &p.agent_b] {
        let mut ok = false;
        for _ in 0..100 {
            let r = reqwest::get(format!("{}/healthz", s.base)).await.unwrap();
            if r.status() == 200 {
                ok = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ok, "a replica did not recover");
    }
    let (s, r) = p.agent_b.post("/v1/tokens/redeem", &redeem).await;
    assert_eq!(s, 403);
    assert!(
        r["error"].as_str().unwrap().contains("already redeemed"),
        "{r}"
    );
    let (_, a) = p.approver_b.get(&format!("/v1/approvals/{id}")).await;
    assert_eq!(a["state"], "approved", "{a}");
    // Session f-1 kept its three refunds: two more fit, then the cap.
    assert_eq!(
        verdict(&p.agent_b.decide(&refund(100, "f-1")).await),
        "allow"
    );
    assert_eq!(
        verdict(&p.agent_a.decide(&refund(100, "f-1")).await),
        "allow"
    );
    assert_eq!(
        verdict(&p.agent_b.decide(&refund(100, "f-1")).await),
        "deny"
    );
}

// ---------------------------------------------------------------------------
// The session script against the in-memory store

/// The sessions of a bundle whose longest window is an hour, and which
/// reads a window of the last N actions (`counts_actions`) or not.
fn sessions(
    redis: &Redis,
    prefix: &str,
    keep: Keep,
    counts_actions: bool,
) -> (Arc<RedisSessions>, Arc<dyn StateStore>) {
    let state = permit0_server::shared::RedisState::open(&redis.url(), prefix, keep).unwrap();
    let s = state.session_store();
    s.note_reads(3_600_000, counts_actions);
    (s, Arc::new(state))
}

/// A small deterministic generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// 300 requests over three scopes, each reading count, seen, sum and
/// distinct over windows of time and of the last N actions, some without
/// a time: Redis answers exactly what the in-memory store answers
/// (including sums beyond 2^53, which Lua's numbers could not hold).
#[test]
fn lua_answers_what_the_memory_store_answers() {
    let redis = Redis::start("lua");
    let keep = Keep {
        max_entries: 64,
        max_age_ms: 7 * 24 * 3_600_000,
    };
    let (red, _state) = sessions(&redis, "lua", keep, true);
    let mem = MemoryStore::new(SessionLimits {
        max_sessions: 16,
        max_entries: 64,
        max_age_ms: keep.max_age_ms,
    });
    let queries = [
        AggQuery {
            scope: 0,
            agg: 0,
            key: 11,
            kind: AggKindWire::Count,
            window_ms: 60_000,
            window_actions: 0,
        },
        AggQuery {
            scope: 0,
            agg: 1,
            key: 11,
            kind: AggKindWire::Seen,
            window_ms: 5_000,
            window_actions: 0,
        },
        AggQuery {
            scope: 0,
            agg: 2,
            key: 22,
            kind: AggKindWire::Sum,
            window_ms: 0,
            window_actions: 10,
        },
        AggQuery {
            scope: 0,
            agg: 3,
            key: 33,
            kind: AggKindWire::Distinct,
            window_ms: 30_000,
            window_actions: 20,
        },
        AggQuery {
            scope: 0,
            agg: 4,
            key: 22,
            kind: AggKindWire::Count,
            window_ms: 0,
            window_actions: 0,
        },
    ];
    // The same queries in three scopes (the session, the actor, a field's
    // value), answered into slots 0-4, 5-9 and 10-14.
    let scoped: Vec<Vec<AggQuery>> = (0..3u16)
        .map(|k| {
            queries
                .iter()
                .map(|q| AggQuery {
                    scope: k,
                    agg: q.agg + 5 * k,
                    ..*q
                })
                .collect()
        })
        .collect();
    let mut rng = Lcg(7);
    let mut t = 1_700_000_000_000i64;
    for i in 0..300 {
        let scope = ["sA", "sB", "sC"][rng.next(3) as usize];
        let actor = ["A1:t2:a1", "A1:t2:a2"][rng.next(2) as usize];
        let field = [
            "b7:accounts1:xT1:t",
            "b7:accounts1:yT1:t",
            "b7:account-T1:t",
        ][rng.next(3) as usize];
        t += rng.next(4_000) as i64;
        let time = if rng.next(10) == 0 { None } else { Some(t) };
        let mut rec = Vec::new();
        if rng.next(2) == 0 {
            rec.push((11u64, 1i64));
        }
        if rng.next(2) == 0 {
            // Big amounts: their sum passes 2^53.
            rec.push((22, (1i64 << 52) + rng.next(1000) as i64 - 500));
        }
        if rng.next(2) == 0 {
            rec.push((33, rng.next(5) as i64 - 2));
        }
        let n = rng.next(queries.len() as u64 + 1) as usize;
        let m = rng.next(queries.len() as u64 + 1) as usize;
        // The other scopes record only what counts there (as
        // `permit0_session::observe` does), and sometimes nothing.
        let other = if rng.next(3) == 0 {
            None
        } else {
            Some(&rec[..])
        };
        let steps = [
            ScopeStep {
                scope,
                queries: &queries[..n],
                record: Some(&rec),
            },
            ScopeStep {
                scope: actor,
                queries: &scoped[1][..m],
                record: other,
            },
            ScopeStep {
                scope: field,
                queries: &scoped[2][..n],
                record: other,
            },
        ];
        let k = 1 + rng.next(3) as usize;
        let o = Observation {
            time,
            scopes: &steps[..k],
        };
        let (mut a, mut b) = ([0i64; 15], [0i64; 15]);
        red.observe(&o, &mut |agg, v| a[agg as usize] = v).unwrap();
        mem.observe(&o, &mut |agg, v| b[agg as usize] = v).unwrap();
        assert_eq!(
            a, b,
            "request {i} of {scope}/{actor}/{field} at {time:?}, {n}/{m} queries, {k} scopes"
        );
    }
    // Each scope keeps at most `max_entries` records.
    let mut c = redis.conn();
    for s in ["sA", "sB", "sC"] {
        let n: i64 = redis::cmd("LLEN")
            .arg(format!("lua:s:{s}"))
            .query(&mut c)
            .unwrap();
        assert!(n <= 64, "{s}: {n}");
    }
}

/// A request that reads nothing and adds nothing costs no round trip
/// (where no bundle counts the last N actions); one that reads or adds
/// costs exactly one.
#[test]
fn lua_round_trips_per_observation() {
    let redis = Redis::start("trips");
    let (red, state) = sessions(&redis, "trips", Keep::default(), false);
    let q = [AggQuery {
        scope: 0,
        agg: 0,
        key: 1,
        kind: AggKindWire::Count,
        window_ms: 0,
        window_actions: 0,
    }];
    let before = state.round_trips();
    let steps = [ScopeStep {
        scope: "s",
        queries: &[],
        record: Some(&[]),
    }];
    let o = Observation::single(&steps, Some(1));
    red.observe(&o, &mut |_, _| {}).unwrap();
    assert_eq!(state.round_trips(), before, "nothing to read or add");
    let steps = [ScopeStep {
        scope: "s",
        queries: &q,
        record: Some(&[(1, 1)]),
    }];
    let o = Observation::single(&steps, Some(2));
    // The first call may load the script (NOSCRIPT, then EVAL) on the
    // same connection; count from the second.
    red.observe(&o, &mut |_, _| {}).unwrap();
    let before = state.round_trips();
    red.observe(&o, &mut |_, _| {}).unwrap();
    assert_eq!(state.round_trips(), before + 1);
    // A request read and recorded in three scopes (its session, its actor,
    // its debtor's account across the tenant) is still one round trip.
    let qa = [AggQuery {
        scope: 1,
        agg: 1,
        ..q[0]
    }];
    let qf = [AggQuery {
        scope: 2,
        agg: 2,
        ..q[0]
    }];
    let steps = [
        ScopeStep {
            scope: "s",
            queries: &q,
            record: Some(&[(1, 1)]),
        },
        ScopeStep {
            scope: "A1:t2:a1",
            queries: &qa,
            record: Some(&[(1, 1)]),
        },
        ScopeStep {
            scope: "b10:account_ids1:xT1:t",
            queries: &qf,
            record: Some(&[(1, 1)]),
        },
    ];
    let o = Observation {
        time: Some(3),
        scopes: &steps,
    };
    let before = state.round_trips();
    let mut answers = [0i64; 3];
    red.observe(&o, &mut |agg, v| answers[agg as usize] = v)
        .unwrap();
    assert_eq!(state.round_trips(), before + 1, "three scopes, one script");
    assert_eq!(
        answers,
        [2, 0, 0],
        "the session saw two; the actor and the account none yet"
    );
}

/// Old records fall off: those older than the longest window before the
/// newest are dropped, and the key expires with that window.
#[test]
fn lua_trims_old_records_and_expires_the_key() {
    let redis = Redis::start("trim");
    let keep = Keep {
        max_entries: 512,
        max_age_ms: 7 * 24 * 3_600_000,
    };
    let (red, _state) = sessions(&redis, "trim", keep, false);
    let t0 = 1_700_000_000_000i64;
    for i in 0..10 {
        let steps = [ScopeStep {
            scope: "s",
            queries: &[],
            record: Some(&[(1, 1)]),
        }];
        let o = Observation::single(&steps, Some(t0 + i * 600_000));
        red.observe(&o, &mut |_, _| {}).unwrap();
    }
    // Ten records ten minutes apart; the window is an hour: those more
    // than an hour before the newest (t0 + 90 min) are gone.
    assert_eq!(red.entries("s").unwrap(), 7);
    let mut c = redis.conn();
    let ttl: i64 = redis::cmd("PTTL").arg("trim:s:s").query(&mut c).unwrap();
    assert!(ttl > 3_500_000 && ttl <= 3_600_000, "{ttl}");
}

/// Two threads hammering one scope's cap straight through the store: the
/// script's read-and-append is atomic, so exactly `cap` see a count below
/// it.
#[test]
fn lua_observation_is_atomic_under_concurrency() {
    let redis = Redis::start("atomic");
    let (red, _state) = sessions(&redis, "atomic", Keep::default(), false);
    let under = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let red = red.clone();
            let under = under.clone();
            std::thread::spawn(move || {
                let q = [AggQuery {
                    scope: 0,
                    agg: 0,
                    key: 9,
                    kind: AggKindWire::Count,
                    window_ms: 0,
                    window_actions: 0,
                }];
                for _ in 0..25 {
                    let steps = [ScopeStep {
                        scope: "cap",
                        queries: &q,
                        record: Some(&[(9, 1)]),
                    }];
                    let o = Observation::single(&steps, Some(1));
                    let mut seen = 0;
                    red.observe(&o, &mut |_, v| seen = v).unwrap();
                    if seen < 10 {
                        under.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(under.load(std::sync::atomic::Ordering::Relaxed), 10);
}

/// A key's rate is counted across replicas: two replicas' limiters (rate
/// 1/s, burst 20: at most 21 a second across the service) on one Redis.
/// Each allows 15 from its own bucket; once they have shared their counts
/// (every 50 ms in a server), the key is refused on both although each
/// bucket still has room.
#[test]
fn rate_limit_is_shared_across_replicas() {
    let redis = Redis::start("rate");
    let state =
        permit0_server::shared::RedisState::open(&redis.url(), "rate", Keep::default()).unwrap();
    let a = permit0_server::api::RateLimiter::new(1.0, 20.0);
    let b = permit0_server::api::RateLimiter::new(1.0, 20.0);
    // All of it inside one second of the shared count.
    while permit0_vm::time::now_ms() % 1000 > 200 {
        std::thread::sleep(Duration::from_millis(10));
    }
    for _ in 0..15 {
        assert!(a.allow("k1"));
        assert!(b.allow("k1"));
    }
    // Another key is not affected.
    assert!(b.allow("k2"));
    a.share(&state);
    b.share(&state);
    assert!(!b.allow("k1"), "31 in this second, over 21");
    assert!(b.allow("k2"));
    // A learns at its next share (it may allow one tick's worth first).
    assert!(a.allow("k1"));
    a.share(&state);
    assert!(!a.allow("k1"));
}

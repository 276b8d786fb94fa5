//! `permit0 serve`: the decision service and the human approval workflow.
//!
//! One process decides agents' requests over HTTP with an
//! [`Authorizer`] per tenant, queues escalations for a human, lets
//! approvers answer them (an exact payload → a capability token; or a
//! time-boxed grant), lets the agent wait for the answer and the executor
//! redeem the token once. State lives in SQLite under the data directory
//! ([`db`]); sessions too ([`store`]). docs/server.md is the reference.

pub mod api;
pub mod claude_code;
pub mod config;
pub mod db;
pub mod metrics;
pub mod regular_files;
pub mod session_files;
pub mod shared;
pub mod state;
pub mod store;
pub mod web;
pub mod webhooks;

use ed25519_dalek::SigningKey;
use permit0_audit::{AuditLog, FileSink};
use permit0_authorizer::{Authorizer, SessionStore};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

pub use config::{Flags, Limits, Resolved, WebhookConfig};

/// Everything a server needs, read and checked.
pub struct Options {
    pub listen: SocketAddr,
    pub data: PathBuf,
    /// The default bundle's bytes (tenants without their own use it).
    pub bundle: Vec<u8>,
    /// Public keys (the `.pub` text) trusted to sign bundles.
    pub trusted: Vec<String>,
    /// Per-tenant bundles' bytes.
    pub tenants: HashMap<String, Vec<u8>>,
    /// The signed audit log, when one is kept.
    pub audit: Option<(PathBuf, SigningKey)>,
    /// Signs approvals' tokens; `None` keeps a key in the data directory.
    pub token_key: Option<SigningKey>,
    pub public_url: Option<String>,
    pub limits: Limits,
    pub webhooks: Vec<WebhookConfig>,
    /// How far `context.time` may be from the clock (`None`: unchecked —
    /// tests only).
    pub max_skew: Option<std::time::Duration>,
    /// The tighten-only second stage.
    pub reviewer: Option<webhooks::ReviewerConfig>,
    /// Where the state lives: the embedded database (default) or Redis.
    pub store: state::StoreConfig,
}

impl Options {
    /// Reads the files a resolved configuration names. `key_text` parses
    /// a secret key file's text (the CLI owns that format).
    pub fn load(
        r: Resolved,
        parse_secret: &dyn Fn(&str) -> Result<SigningKey, String>,
    ) -> Result<Options, String> {
        let read =
            |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()));
        let read_text = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))
        };
        let key = match &r.key {
            Some(p) => {
                Some(parse_secret(&read_text(p)?).map_err(|e| format!("`{}`: {e}", p.display()))?)
            }
            None => None,
        };
        let mut tenants = HashMap::new();
        for (name, path) in &r.tenants {
            tenants.insert(name.clone(), read(path)?);
        }
        Ok(Options {
            listen: r.listen,
            data: r.data,
            bundle: read(&r.bundle)?,
            trusted: r
                .trusted
                .iter()
                .map(|p| read_text(p))
                .collect::<Result<_, _>>()?,
            tenants,
            audit: match (r.audit, &key) {
                (Some(p), Some(k)) => Some((p, k.clone())),
                _ => None,
            },
            token_key: key,
            public_url: r.public_url,
            limits: r.limits,
            webhooks: r.webhooks,
            max_skew: Some(std::time::Duration::from_millis(
                u64::try_from(permit0_session::DEFAULT_MAX_SKEW_MS).unwrap_or(300_000),
            )),
            reviewer: r.reviewer,
            store: r.store,
        })
    }
}

/// One tenant's decider.
pub struct Tenant {
    pub auth: Authorizer,
}

/// The shared state of a running server.
pub struct App {
    /// Keys, approvals, grants, nonces, decisions ([`state::StateStore`]).
    pub db: Arc<dyn state::StateStore>,
    /// The sessions of every tenant (each tenant sees its own through a
    /// [`store::TenantStore`]).
    pub store: Arc<dyn SessionStore>,
    pub trusted: Vec<String>,
    default_bundle: Vec<u8>,
    tenants: RwLock<HashMap<String, Arc<Tenant>>>,
    pub token_key: SigningKey,
    pub audit: Option<Mutex<AuditLog<FileSink>>>,
    pub limits: Limits,
    pub public_url: Option<String>,
    pub webhooks: Vec<WebhookConfig>,
    pub metrics: metrics::Metrics,
    /// Bumped whenever an approval is answered: waiters re-read theirs.
    pub answered: tokio::sync::watch::Sender<u64>,
    /// Set when the server stops: waiters answer at once (still pending)
    /// so a graceful shutdown is not held up by long polls.
    pub stopping: tokio::sync::watch::Sender<bool>,
    pub max_skew: Option<std::time::Duration>,
    pub rate: api::RateLimiter,
    /// Decisions under way (the commit of one waits for company only when
    /// there is some).
    pub deciding: std::sync::atomic::AtomicUsize,
    pub web: web::Sessions,
    /// New approvals' notifications, for the background sender.
    pub hooks: tokio::sync::mpsc::Sender<webhooks::Job>,
    hooks_rx: Mutex<Option<tokio::sync::mpsc::Receiver<webhooks::Job>>>,
    pub reviewer: Option<webhooks::ReviewerConfig>,
    /// The client the reviewer is asked with.
    pub http: reqwest::Client,
    base_url: std::sync::OnceLock<String>,
    bundles_dir: PathBuf,
}

fn lock_err<T>(r: Result<T, std::sync::PoisonError<T>>) -> T {
    match r {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl App {
    /// Opens the data directory and builds the deciders.
    pub fn new(opts: Options) -> Result<App, String> {
        let keep = store::Keep {
            max_entries: opts.limits.session_max_entries,
            max_age_ms: opts.limits.session_max_age_ms,
        };
        let db = state::open(&opts.store, &opts.data, keep)?;
        db.serving().map_err(|e| e.to_string())?;
        let store = db.sessions();
        let token_key = match opts.token_key {
            Some(k) => k,
            None => db.token_key(&opts.data)?,
        };
        let audit = match opts.audit {
            Some((path, key)) => {
                let sink = FileSink::open(&path)
                    .map_err(|e| format!("cannot open `{}`: {e}", path.display()))?;
                let log = AuditLog::open(sink, key, permit0_audit::Config::default())
                    .map_err(|e| format!("`{}`: {e}", path.display()))?;
                Some(Mutex::new(log))
            }
            None => None,
        };
        let bundles_dir = opts.data.join("bundles");
        let (hooks, hooks_rx) = tokio::sync::mpsc::channel(4096);
        let base_url = std::sync::OnceLock::new();
        if let Some(u) = &opts.public_url {
            let _ = base_url.set(u.trim_end_matches('/').to_string());
        }
        let app = App {
            db,
            store,
            trusted: opts.trusted,
            default_bundle: opts.bundle,
            tenants: RwLock::new(HashMap::new()),
            token_key,
            audit,
            limits: opts.limits,
            public_url: opts.public_url,
            webhooks: opts.webhooks,
            metrics: metrics::Metrics::default(),
            answered: tokio::sync::watch::channel(0).0,
            stopping: tokio::sync::watch::channel(false).0,
            max_skew: opts.max_skew,
            rate: api::RateLimiter::new(opts.limits.rate_per_key, opts.limits.burst_per_key),
            deciding: Default::default(),
            web: web::Sessions::default(),
            hooks,
            hooks_rx: Mutex::new(Some(hooks_rx)),
            reviewer: opts.reviewer,
            http: reqwest::Client::new(),
            base_url,
            bundles_dir,
        };
        // The default bundle must load: a server that cannot decide does
        // not start.
        app.build_tenant("default", &app.default_bundle)?;
        for (name, bytes) in &opts.tenants {
            let t = app.build_tenant(name, bytes)?;
            lock_err(app.tenants.write()).insert(name.clone(), Arc::new(t));
        }
        // Bundles an admin uploaded win over the configured ones.
        if let Ok(dir) = std::fs::read_dir(&app.bundles_dir) {
            for e in dir.flatten() {
                let path = e.path();
                let Some(name) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_suffix(".p0b"))
                    .map(str::to_string)
                else {
                    continue;
                };
                let bytes = std::fs::read(&path)
                    .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
                let t = app.build_tenant(&name, &bytes)?;
                lock_err(app.tenants.write()).insert(name, Arc::new(t));
            }
        }
        Ok(app)
    }

    fn build_tenant(&self, name: &str, bundle: &[u8]) -> Result<Tenant, String> {
        let keys: Vec<&str> = self.trusted.iter().map(String::as_str).collect();
        let store: Arc<dyn SessionStore> =
            Arc::new(store::TenantStore::new(name, self.store.clone()));
        let auth = Authorizer::new(bundle, &keys)
            .map_err(|e| format!("tenant `{name}`: {e}"))?
            .with_store(store)
            .with_max_skew(self.max_skew);
        self.note_windows(&auth);
        Ok(Tenant { auth })
    }

    /// Tells the store how long the bundle's windows reach back: a
    /// window of time, or (for a window of the last N actions, or none)
    /// the configured `session_max_age_ms`.
    fn note_windows(&self, auth: &Authorizer) {
        let program = auth.program();
        let mut longest = 0i64;
        let mut counts_actions = false;
        for a in 0..program.action_count() {
            let Ok(a) = u32::try_from(a) else { break };
            for q in program.session_queries(a) {
                counts_actions |= q.window_actions > 0;
                let w = if q.window_ms > 0 {
                    q.window_ms
                } else {
                    self.limits.session_max_age_ms
                };
                longest = longest.max(w);
            }
        }
        if longest > 0 {
            self.db.note_reads(longest, counts_actions);
        }
    }

    /// The tenant's decider (built from the default bundle on first use).
    pub fn tenant(&self, name: &str) -> Result<Arc<Tenant>, String> {
        if let Some(t) = lock_err(self.tenants.read()).get(name) {
            return Ok(t.clone());
        }
        let t = Arc::new(self.build_tenant(name, &self.default_bundle)?);
        Ok(lock_err(self.tenants.write())
            .entry(name.to_string())
            .or_insert(t)
            .clone())
    }

    /// Verifies `bundle` and swaps it in for `tenant`; keeps it for the
    /// next start. On any error the running bundle stays.
    pub fn swap_bundle(&self, tenant: &str, bundle: &[u8]) -> Result<String, String> {
        // The name becomes a file name.
        if !config::valid_tenant(tenant) {
            return Err(format!("tenant `{tenant}` cannot keep a bundle: its name is not letters, digits, `-`, `_` and `.`"));
        }
        let t = self.tenant(tenant)?;
        t.auth.swap(bundle).map_err(|e| e.to_string())?;
        self.note_windows(&t.auth);
        std::fs::create_dir_all(&self.bundles_dir)
            .and_then(|_| {
                let tmp = self.bundles_dir.join(format!("{tenant}.p0b.tmp"));
                std::fs::write(&tmp, bundle)?;
                std::fs::rename(&tmp, self.bundles_dir.join(format!("{tenant}.p0b")))
            })
            .map_err(|e| format!("swapped in, but not kept for the next start: {e}"))?;
        Ok(t.auth.program().digest_string())
    }

    /// Where the page is reached: `public_url`, or the address listened on.
    pub fn base_url(&self) -> &str {
        self.base_url.get().map_or("", String::as_str)
    }

    /// One step of retention (every second): decisions past
    /// `decisions_max_age_days` or `decisions_max_rows`, idle sessions'
    /// entries past `session_max_age_ms` (and the clock skew a request may
    /// have, so no entry a window can still read goes).
    pub fn prune(&self) {
        let now = permit0_vm::time::now_ms();
        let l = &self.limits;
        let decisions_before = match l.decisions_max_age_days {
            0 => 0,
            d => now.saturating_sub(i64::from(d).saturating_mul(86_400_000)),
        };
        let skew = self
            .max_skew
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let sessions_before = now
            .saturating_sub(l.session_max_age_ms)
            .saturating_sub(skew);
        if let Err(e) = self
            .db
            .prune(decisions_before, l.decisions_max_rows, sessions_before)
        {
            eprintln!("permit0 serve: retention: {e}");
        }
    }

    /// Appends to the audit log, if one is kept.
    pub fn audit<T>(
        &self,
        f: impl FnOnce(&mut AuditLog<FileSink>) -> std::io::Result<T>,
    ) -> Option<T> {
        let log = self.audit.as_ref()?;
        let mut guard = lock_err(log.lock());
        match f(&mut guard) {
            Ok(v) => Some(v),
            Err(e) => {
                self.metrics.audit_error();
                eprintln!("permit0 serve: the audit log failed: {e}");
                None
            }
        }
    }
}

/// The token-signing key kept in the data directory (made on first start).
pub(crate) fn data_key(dir: &Path) -> Result<SigningKey, String> {
    let path = dir.join("token.key");
    match std::fs::read_to_string(&path) {
        Ok(t) => permit0_vm::keys::decode_hex32(t.trim())
            .map(|s| SigningKey::from_bytes(&s))
            .ok_or_else(|| format!("`{}` is not a key (64 hex digits)", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
            std::fs::create_dir_all(dir).map_err(|e| format!("`{}`: {e}", dir.display()))?;
            write_secret(&path, &permit0_vm::hex(&seed))
                .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) => Err(format!("cannot read `{}`: {e}", path.display())),
    }
}

#[cfg(unix)]
fn write_secret(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_secret(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// A server listening: its address, and how to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

impl Running {
    /// Stops accepting, finishes the requests in flight, closes the audit
    /// log.
    pub async fn shutdown(mut self) -> Result<(), String> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.task.await.map_err(|e| e.to_string())?
    }
}

/// Starts a server on `opts.listen` (port 0 picks a free port).
pub async fn start(opts: Options) -> Result<Running, String> {
    let listen = opts.listen;
    let app = Arc::new(App::new(opts)?);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let _ = app.base_url.set(format!("http://{addr}"));
    // Approvals answered on other replicas wake this one's waiters.
    let weak = Arc::downgrade(&app);
    app.db.watch_answers(Box::new(move || {
        if let Some(app) = weak.upgrade() {
            app.answered.send_modify(|n| *n = n.wrapping_add(1));
        }
    }));
    let hooks = lock_err(app.hooks_rx.lock())
        .take()
        .map(|rx| tokio::spawn(webhooks::deliver(app.clone(), rx)));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = api::router(app.clone());
    let ticker = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_millis(50));
            let mut n = 0u32;
            let mut said = String::new();
            loop {
                every.tick().await;
                match app.db.flush_decisions() {
                    // Said once per different error, not every 50 ms.
                    Err(e) if e.0 != said => {
                        eprintln!("permit0 serve: {e}");
                        said = e.0;
                    }
                    Err(_) => {}
                    Ok(()) => said.clear(),
                }
                app.rate.share(app.db.as_ref());
                n += 1;
                if n == 20 {
                    n = 0;
                    app.audit(|log| log.tick());
                    app.prune();
                }
            }
        })
    };
    let app2 = app.clone();
    let app3 = app.clone();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
                app3.stopping.send_replace(true);
            })
            .await
            .map_err(|e| e.to_string());
        ticker.abort();
        if let Some(h) = hooks {
            h.abort();
        }
        let _ = app2.db.flush_decisions();
        app2.audit(|log| log.close().map(|_| ()));
        served
    });
    Ok(Running {
        addr,
        app,
        stop: Some(stop),
        task,
    })
}

/// The runtime a server runs on. A decision may wait for the session
/// store's group commit on its thread (the store's answer is synchronous),
/// so there are more worker threads than cores: while some wait, others
/// read requests and queue their observations into the same group.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads((cores * 4).clamp(4, 64))
        .enable_all()
        .build()
}

/// Runs a server until Ctrl-C or SIGTERM (the CLI's `permit0 serve`).
pub fn run(opts: Options) -> Result<(), String> {
    let rt = runtime().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let running = start(opts).await?;
        eprintln!("permit0 serve: listening on http://{}", running.addr);
        shutdown_signal().await;
        eprintln!("permit0 serve: shutting down (finishing requests in flight)");
        running.shutdown().await
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

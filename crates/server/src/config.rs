//! How the server is configured: flags (the CLI), environment variables
//! (`PERMIT0_LISTEN`, `PERMIT0_DATA`, `PERMIT0_BUNDLE`, `PERMIT0_TRUSTED`,
//! `PERMIT0_PUBLIC_URL`) and a TOML file — a flag wins over the
//! environment, the environment over the file. docs/server.md lists every
//! setting.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The TOML file, as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data: Option<PathBuf>,
    /// The default bundle (every tenant without its own).
    pub bundle: Option<PathBuf>,
    /// Public keys trusted to sign bundles.
    #[serde(default)]
    pub trusted: Vec<PathBuf>,
    /// The audit log and the key that signs it (and the tokens).
    pub audit: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Where approvers reach the page (links in notifications).
    pub public_url: Option<String>,
    #[serde(default)]
    pub limits: Limits,
    /// Per-tenant settings: `[tenants.acme] bundle = "acme.p0b"`.
    #[serde(default)]
    pub tenants: BTreeMap<String, TenantConfig>,
    /// Notified of each new pending approval.
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
    /// The tighten-only second stage.
    pub reviewer: Option<crate::webhooks::ReviewerConfig>,
    /// Shared state: `redis://HOST:PORT/DB` (or `rediss://`); absent: the
    /// embedded database under `data`.
    pub store: Option<String>,
    /// The Redis key prefix (default `permit0`).
    pub store_prefix: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    pub bundle: Option<PathBuf>,
}

/// A notification target.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// `slack` (an incoming-webhook message) or `json` (the approval,
    /// signed with HMAC-SHA256 in `X-Permit0-Signature` when `secret` is set).
    pub kind: String,
    pub url: String,
    pub secret: Option<String>,
    /// Only approvals of this tenant (all when absent).
    pub tenant: Option<String>,
}

/// Limits; every one has a default.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
    /// The most requests in one batch.
    pub max_batch: usize,
    /// Requests per second per API key (0: no limit), with this burst.
    pub rate_per_key: f64,
    pub burst_per_key: f64,
    /// The longest `wait?timeout=`, in seconds.
    pub max_wait_seconds: u64,
    /// How long an approval's token is valid, in seconds.
    pub token_ttl_seconds: u64,
    /// The longest grant, in minutes.
    pub max_grant_minutes: u64,
    /// Actions kept per session, and for how long (ms).
    pub session_max_entries: u32,
    pub session_max_age_ms: i64,
    /// Decisions the approver page lists are kept this many days, and at
    /// most this many rows (the oldest go first); 0 keeps them forever.
    pub decisions_max_age_days: u32,
    pub decisions_max_rows: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 1 << 20,
            max_batch: 256,
            rate_per_key: 0.0,
            burst_per_key: 100.0,
            max_wait_seconds: 300,
            token_ttl_seconds: 900,
            max_grant_minutes: 7 * 24 * 60,
            session_max_entries: 512,
            session_max_age_ms: 7 * 24 * 3_600_000,
            decisions_max_age_days: 30,
            decisions_max_rows: 1_000_000,
        }
    }
}

/// What the command line gave (each `None` falls back to the environment,
/// then the file).
#[derive(Clone, Debug, Default)]
pub struct Flags {
    pub listen: Option<String>,
    pub data: Option<PathBuf>,
    pub bundle: Option<PathBuf>,
    pub trusted: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    pub audit: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub public_url: Option<String>,
    pub store: Option<String>,
    pub store_prefix: Option<String>,
}

/// Everything resolved: paths to read, the address to listen on.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub bundle: PathBuf,
    pub trusted: Vec<PathBuf>,
    pub audit: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub public_url: Option<String>,
    pub limits: Limits,
    pub tenants: BTreeMap<String, PathBuf>,
    pub webhooks: Vec<WebhookConfig>,
    pub reviewer: Option<crate::webhooks::ReviewerConfig>,
    pub store: crate::state::StoreConfig,
}

/// The default address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8750";

impl FileConfig {
    pub fn parse(text: &str) -> Result<FileConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

/// Paths in the file are relative to the file.
fn rel(base: &Path, p: PathBuf) -> PathBuf {
    if p.is_absolute() {
        p
    } else {
        base.join(p)
    }
}

/// Merges flags, `env` (a lookup, `std::env::var` in the CLI) and the file.
pub fn resolve(flags: Flags, env: &dyn Fn(&str) -> Option<String>) -> Result<Resolved, String> {
    let (file, base) = match &flags.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
            let f = FileConfig::parse(&text).map_err(|e| format!("`{}`: {e}", p.display()))?;
            (f, p.parent().map(Path::to_path_buf).unwrap_or_default())
        }
        None => (FileConfig::default(), PathBuf::new()),
    };
    let listen = flags
        .listen
        .or_else(|| env("PERMIT0_LISTEN"))
        .or(file.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let listen: SocketAddr = listen.parse().map_err(|e| {
        format!("`{listen}` is not an address to listen on (like 127.0.0.1:8750): {e}")
    })?;
    let data = flags
        .data
        .or_else(|| env("PERMIT0_DATA").map(PathBuf::from))
        .or(file.data.map(|d| rel(&base, d)))
        .ok_or("no data directory: pass `--data DIR` (or PERMIT0_DATA, or `data` in the config)")?;
    let bundle = flags
        .bundle
        .or_else(|| env("PERMIT0_BUNDLE").map(PathBuf::from))
        .or(file.bundle.map(|b| rel(&base, b)))
        .ok_or("no bundle: pass `--bundle FILE` (or PERMIT0_BUNDLE, or `bundle` in the config)")?;
    let mut trusted = flags.trusted;
    if trusted.is_empty() {
        if let Some(t) = env("PERMIT0_TRUSTED") {
            trusted = t
                .split(',')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect();
        }
    }
    if trusted.is_empty() {
        trusted = file.trusted.into_iter().map(|t| rel(&base, t)).collect();
    }
    if trusted.is_empty() {
        return Err("no trusted key: pass `--trusted KEY.pub` (or PERMIT0_TRUSTED, or `trusted` in the config)".into());
    }
    let audit = flags.audit.or(file.audit.map(|a| rel(&base, a)));
    let key = flags.key.or(file.key.map(|k| rel(&base, k)));
    if audit.is_some() && key.is_none() {
        return Err("`--audit` needs `--key`: the key that signs the log".into());
    }
    let mut tenants = BTreeMap::new();
    for (name, t) in file.tenants {
        if !valid_tenant(&name) {
            return Err(format!(
                "tenant name `{name}`: use letters, digits, `-`, `_` and `.` (at most 64)"
            ));
        }
        if let Some(b) = t.bundle {
            tenants.insert(name, rel(&base, b));
        }
    }
    for w in &file.webhooks {
        if w.kind != "slack" && w.kind != "json" {
            return Err(format!("webhook kind `{}`: use `slack` or `json`", w.kind));
        }
    }
    let store = flags
        .store
        .or_else(|| env("PERMIT0_STORE"))
        .or(file.store)
        .filter(|s| !s.is_empty() && s != "sqlite");
    if let Some(url) = &store {
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            return Err(format!(
                "store `{url}`: use `redis://HOST:PORT/DB` or `rediss://…` (or leave it out for the embedded database)"
            ));
        }
    }
    let prefix = flags
        .store_prefix
        .or_else(|| env("PERMIT0_STORE_PREFIX"))
        .or(file.store_prefix)
        .unwrap_or_else(|| crate::state::DEFAULT_PREFIX.to_string());
    Ok(Resolved {
        store: crate::state::StoreConfig { url: store, prefix },
        listen,
        data,
        bundle,
        trusted,
        audit,
        key,
        public_url: flags
            .public_url
            .or_else(|| env("PERMIT0_PUBLIC_URL"))
            .or(file.public_url),
        limits: file.limits,
        tenants,
        webhooks: file.webhooks,
        reviewer: file.reviewer,
    })
}

/// A tenant name: 1 to 64 of letters, digits, `-`, `_`, `.`.
pub fn valid_tenant(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    const FILE: &str = r#"
listen = "127.0.0.1:9000"
data = "state"
bundle = "policy.p0b"
trusted = ["ops.pub"]

[limits]
rate_per_key = 5.0

[tenants.globex]
bundle = "globex.p0b"

[[webhooks]]
kind = "slack"
url = "https://hooks.example.com/x"

[reviewer]
url = "http://127.0.0.1:9/review"
min_tier = "high"
"#;

    fn with_file(flags: Flags, env: &[(&str, &str)]) -> Result<Resolved, String> {
        // One file per call: tests run in parallel threads, and a file
        // rewritten under another test's read reads as half a config.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("permit0-config-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("permit0.toml");
        std::fs::write(&path, FILE).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve(
            Flags {
                config: Some(path),
                ..flags
            },
            &|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
        )
    }

    /// The file fills what flags and the environment leave open, its paths
    /// relative to itself; the environment wins over the file, a flag over
    /// both.
    #[test]
    fn a_flag_wins_over_the_environment_which_wins_over_the_file() {
        let r = with_file(Flags::default(), &[]).unwrap();
        assert_eq!(r.listen.to_string(), "127.0.0.1:9000");
        assert!(r.data.ends_with("state") && r.data.is_absolute());
        assert_eq!(r.limits.rate_per_key, 5.0);
        assert_eq!(r.limits.max_batch, Limits::default().max_batch);
        assert!(r.tenants["globex"].ends_with("globex.p0b"));
        assert_eq!(r.webhooks.len(), 1);
        assert_eq!(r.reviewer.unwrap().min_tier, permit0_vm::risk::Tier::High);

        let r = with_file(Flags::default(), &[("PERMIT0_LISTEN", "127.0.0.1:9001")]).unwrap();
        assert_eq!(r.listen.to_string(), "127.0.0.1:9001");
        let r = with_file(
            Flags {
                listen: Some("127.0.0.1:9002".into()),
                ..Flags::default()
            },
            &[("PERMIT0_LISTEN", "127.0.0.1:9001")],
        )
        .unwrap();
        assert_eq!(r.listen.to_string(), "127.0.0.1:9002");
    }

    /// `store` and `store_prefix` in the file (or `--store`, or
    /// PERMIT0_STORE) choose Redis; anything but a Redis URL is refused.
    #[test]
    fn the_store_comes_from_the_file_or_a_flag() {
        let r = with_file(Flags::default(), &[]).unwrap();
        assert_eq!(r.store.url, None);
        assert_eq!(r.store.prefix, "permit0");
        let flags = |url: &str| Flags {
            store: Some(url.into()),
            store_prefix: Some("prod".into()),
            ..Flags::default()
        };
        let r = with_file(flags("rediss://u:p@redis.internal:6380/2"), &[]).unwrap();
        assert_eq!(
            r.store.url.as_deref(),
            Some("rediss://u:p@redis.internal:6380/2")
        );
        assert_eq!(r.store.prefix, "prod");
        let e = with_file(flags("memcached://x"), &[]).unwrap_err();
        assert!(e.contains("redis://"), "{e}");
        let f = FileConfig::parse("store = \"redis://127.0.0.1:6379/0\"\nstore_prefix = \"a\"")
            .unwrap();
        assert_eq!(f.store.as_deref(), Some("redis://127.0.0.1:6379/0"));
        assert_eq!(f.store_prefix.as_deref(), Some("a"));
    }

    #[test]
    fn a_file_with_an_unknown_setting_or_a_missing_requirement_is_refused() {
        let e = FileConfig::parse("listen = \"x\"\nlsiten = \"y\"").unwrap_err();
        assert!(e.contains("lsiten"), "{e}");
        let e = resolve(Flags::default(), &|_| None).unwrap_err();
        assert!(e.contains("--data"), "{e}");
        let e = resolve(
            Flags {
                data: Some("d".into()),
                bundle: Some("b".into()),
                trusted: vec!["k".into()],
                audit: Some("log".into()),
                ..Flags::default()
            },
            &|_| None,
        )
        .unwrap_err();
        assert!(e.contains("--key"), "{e}");
    }
}

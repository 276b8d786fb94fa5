//! `permit0 serve`: the decision service (crates/server; docs/server.md).

use permit0_server::config::{resolve, Flags};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The default bundle (tenants without their own decide with it)
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Public keys trusted to sign bundles
    #[arg(long)]
    pub trusted: Vec<PathBuf>,
    /// The data directory (SQLite state: keys, approvals, grants, sessions)
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8750)
    #[arg(long)]
    pub listen: Option<String>,
    /// TOML configuration (docs/server.md)
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Append every decision and approval to this signed audit log
    #[arg(long, requires = "key")]
    pub audit: Option<PathBuf>,
    /// Signing key for the audit log and the approvals' tokens (without it
    /// tokens are signed by a key kept in the data directory)
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Where approvers reach the page (links in notifications)
    #[arg(long)]
    pub public_url: Option<String>,
    /// Shared state for replicas: `redis://[user:pass@]HOST:PORT/DB` or
    /// `rediss://…` (default: the embedded database under --data)
    #[arg(long)]
    pub store: Option<String>,
    /// The Redis key prefix, one per deployment (default `permit0`)
    #[arg(long)]
    pub store_prefix: Option<String>,
}

pub fn run(a: Args) -> ExitCode {
    let flags = Flags {
        listen: a.listen,
        data: a.data,
        bundle: a.bundle,
        trusted: a.trusted,
        config: a.config,
        audit: a.audit,
        key: a.key,
        public_url: a.public_url,
        store: a.store,
        store_prefix: a.store_prefix,
    };
    let r = resolve(flags, &|k| std::env::var(k).ok())
        .and_then(|r| {
            permit0_server::Options::load(r, &|text| {
                permit0_compiler::bundle::parse_secret_key(text)
            })
        })
        .and_then(permit0_server::run);
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

//! `permit0 keys add|list|revoke`: the decision service's API keys, kept
//! hashed in the data directory's database.

use permit0_server::config::valid_tenant;
use permit0_server::db::Role;
use permit0_server::state::{StateStore, StoreConfig, DEFAULT_PREFIX};
use permit0_vm::time::{format_rfc3339_ms, now_ms};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(clap::Subcommand)]
pub enum KeysCommand {
    /// Make a new API key and print it (once: only its hash is kept)
    Add {
        #[command(flatten)]
        at: Where,
        /// agent (decide, wait, redeem), approver (answer approvals) or
        /// admin (upload bundles, answer approvals)
        #[arg(long)]
        role: String,
        /// The tenant the key acts for
        #[arg(long, default_value = "default")]
        tenant: String,
        /// Who holds it (shown to approvers, put into tokens)
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List the keys (never the keys themselves)
    List {
        #[command(flatten)]
        at: Where,
    },
    /// Revoke a key by its id (from `keys list`)
    Revoke {
        #[command(flatten)]
        at: Where,
        id: String,
    },
}

/// Where the keys are: the data directory of `permit0 serve`, or the
/// Redis its replicas share.
#[derive(clap::Args)]
pub struct Where {
    /// The data directory of `permit0 serve`
    #[arg(long, required_unless_present = "store")]
    data: Option<PathBuf>,
    /// The Redis of `permit0 serve --store` (`redis://HOST:PORT/DB`)
    #[arg(long)]
    store: Option<String>,
    /// Its key prefix (`--store-prefix` of serve)
    #[arg(long, default_value = DEFAULT_PREFIX)]
    store_prefix: String,
}

fn open(at: &Where) -> Result<std::sync::Arc<dyn StateStore>, String> {
    let cfg = StoreConfig {
        url: at.store.clone(),
        prefix: at.store_prefix.clone(),
    };
    let data = at.data.clone().unwrap_or_default();
    permit0_server::state::open(&cfg, &data, permit0_server::store::Keep::default())
}

pub fn run(a: Args) -> ExitCode {
    let r = match a.command {
        KeysCommand::Add {
            at,
            role,
            tenant,
            name,
        } => add(&at, &role, &tenant, &name),
        KeysCommand::List { at } => list(&at),
        KeysCommand::Revoke { at, id } => revoke(&at, &id),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn add(at: &Where, role: &str, tenant: &str, name: &str) -> Result<ExitCode, String> {
    let role =
        Role::parse(role).ok_or_else(|| format!("role `{role}`: use agent, approver or admin"))?;
    if !valid_tenant(tenant) {
        return Err(format!(
            "tenant `{tenant}`: use letters, digits, `-`, `_` and `.` (at most 64)"
        ));
    }
    let db = open(at)?;
    let (text, info) = db
        .add_key(role, tenant, name, now_ms())
        .map_err(|e| e.to_string())?;
    eprintln!(
        "added {} key {} for tenant `{}`; it is shown once, keep it secret:",
        info.role.name(),
        info.id,
        info.tenant
    );
    outln!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn list(at: &Where) -> Result<ExitCode, String> {
    let db = open(at)?;
    for k in db.list_keys().map_err(|e| e.to_string())? {
        outln!(
            "{}  {:<8}  tenant={}  name={}  created={}{}",
            k.id,
            k.role.name(),
            k.tenant,
            if k.name.is_empty() { "-" } else { &k.name },
            format_rfc3339_ms(k.created_ms),
            k.revoked_ms
                .map(|t| format!("  revoked={}", format_rfc3339_ms(t)))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn revoke(at: &Where, id: &str) -> Result<ExitCode, String> {
    let db = open(at)?;
    if db.revoke_key(id, now_ms()).map_err(|e| e.to_string())? {
        eprintln!("revoked key {id}: it is refused from now on");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: no key `{id}` that is not already revoked (see `permit0 keys list`)");
        Ok(ExitCode::from(1))
    }
}

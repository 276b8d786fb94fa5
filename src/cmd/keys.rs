//! `permit0 keys add|list|revoke`: the decision service's API keys, kept
//! hashed in the data directory's database.

use permit0_server::config::valid_tenant;
use permit0_server::db::{Db, Role};
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
        /// The data directory of `permit0 serve`
        #[arg(long)]
        data: PathBuf,
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
        #[arg(long)]
        data: PathBuf,
    },
    /// Revoke a key by its id (from `keys list`)
    Revoke {
        #[arg(long)]
        data: PathBuf,
        id: String,
    },
}

pub fn run(a: Args) -> ExitCode {
    let r = match a.command {
        KeysCommand::Add {
            data,
            role,
            tenant,
            name,
        } => add(data, &role, &tenant, &name),
        KeysCommand::List { data } => list(data),
        KeysCommand::Revoke { data, id } => revoke(data, &id),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn add(data: PathBuf, role: &str, tenant: &str, name: &str) -> Result<ExitCode, String> {
    let role =
        Role::parse(role).ok_or_else(|| format!("role `{role}`: use agent, approver or admin"))?;
    if !valid_tenant(tenant) {
        return Err(format!(
            "tenant `{tenant}`: use letters, digits, `-`, `_` and `.` (at most 64)"
        ));
    }
    let db = Db::open(&data).map_err(|e| e.to_string())?;
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

fn list(data: PathBuf) -> Result<ExitCode, String> {
    let db = Db::open(&data).map_err(|e| e.to_string())?;
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

fn revoke(data: PathBuf, id: &str) -> Result<ExitCode, String> {
    let db = Db::open(&data).map_err(|e| e.to_string())?;
    if db.revoke_key(id, now_ms()).map_err(|e| e.to_string())? {
        eprintln!("revoked key {id}: it is refused from now on");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: no key `{id}` that is not already revoked (see `permit0 keys list`)");
        Ok(ExitCode::from(1))
    }
}

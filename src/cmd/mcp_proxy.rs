//! `permit0 mcp-proxy`: a stdio proxy that decides every MCP `tools/call`
//! before the server sees it (crates/mcp-gateway; docs/mcp.md).

use super::common::trusted_keys;
use permit0_authorizer::Authorizer;
use permit0_mcp_gateway::{valid_server_name, Decider, Embedded, Options, Remote};
use serde_json::value::RawValue;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// Decide with this signed bundle (with --trusted)
    #[arg(long, conflicts_with = "remote")]
    pub bundle: Option<PathBuf>,
    /// Public keys trusted to sign the bundle
    #[arg(long)]
    pub trusted: Vec<PathBuf>,
    /// Decide through `permit0 serve` at this URL (escalations become approvals)
    #[arg(long)]
    pub remote: Option<String>,
    /// The service's agent API key (or PERMIT0_API_KEY)
    #[arg(long)]
    pub api_key: Option<String>,
    /// The server's name: tools are decided as mcp__<name>__<tool>
    /// (default: the server command's file name)
    #[arg(long)]
    pub name: Option<String>,
    /// Seconds to wait for an approval before refusing with its link (remote)
    #[arg(long, default_value_t = 30)]
    pub wait: u64,
    /// Drop tools the policy denies whatever their arguments from tools/list
    /// (needs --bundle)
    #[arg(long, requires = "bundle")]
    pub hide_denied: bool,
    /// A JSON object sent as every request's context, e.g. '{"workspace": "/srv/docs"}'
    #[arg(long)]
    pub context: Option<String>,
    /// The MCP server to run, after `--`
    #[arg(last = true, required = true, num_args = 1..)]
    pub command: Vec<String>,
}

fn session_id() -> Result<String, String> {
    let mut n = [0u8; 8];
    getrandom::fill(&mut n).map_err(|e| format!("no randomness available: {e}"))?;
    Ok(format!(
        "mcp-{}",
        n.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

fn decider(a: &Args) -> Result<Arc<dyn Decider>, String> {
    match (&a.bundle, &a.remote) {
        (Some(b), None) => {
            if a.trusted.is_empty() {
                return Err("a bundle needs `--trusted KEY.pub` to check its signature".into());
            }
            let keys = trusted_keys(&a.trusted)?;
            let bytes =
                std::fs::read(b).map_err(|e| format!("cannot read `{}`: {e}", b.display()))?;
            let authorizer = Authorizer::with_keys(&bytes, keys)
                .map_err(|e| format!("`{}`: {e}", b.display()))?;
            Ok(Arc::new(Embedded::new(authorizer)))
        }
        (None, Some(url)) => {
            let key = match &a.api_key {
                Some(k) => k.clone(),
                None => std::env::var("PERMIT0_API_KEY")
                    .map_err(|_| "`--remote` needs `--api-key K` (or PERMIT0_API_KEY)")?,
            };
            Ok(Arc::new(Remote::new(url, &key)?))
        }
        _ => Err("give `--bundle B --trusted K` or `--remote URL --api-key K`".into()),
    }
}

fn options(a: &Args) -> Result<Options, String> {
    let program = a.command.first().ok_or("no server command after `--`")?;
    let name = match &a.name {
        Some(n) => n.clone(),
        None => Path::new(program)
            .file_stem()
            .map(|s| s.to_string_lossy().replace("__", "_"))
            .unwrap_or_default(),
    };
    if !valid_server_name(&name) {
        return Err(format!(
            "server name `{name}`: use letters, digits, `-` and single `_` (`--name`)"
        ));
    }
    let context = match &a.context {
        None => None,
        Some(c) => {
            let v: serde_json::Value =
                serde_json::from_str(c).map_err(|e| format!("--context: {e}"))?;
            if !v.is_object() {
                return Err("--context: a JSON object, e.g. '{\"workspace\": \"/srv\"}'".into());
            }
            Some(RawValue::from_string(v.to_string()).map_err(|e| format!("--context: {e}"))?)
        }
    };
    Ok(Options {
        server: name,
        session: session_id()?,
        context,
        wait: Duration::from_secs(a.wait),
        hide_denied: a.hide_denied,
    })
}

pub fn run(a: Args) -> ExitCode {
    let ready = options(&a).and_then(|o| decider(&a).map(|d| (o, d)));
    let (opts, decider) = match ready {
        Ok(r) => r,
        Err(e) => {
            eprintln!("permit0 mcp-proxy: {e}; not starting");
            return ExitCode::from(2);
        }
    };
    let mut server = Command::new(a.command.first().map_or("", String::as_str));
    server.args(a.command.iter().skip(1));
    match permit0_mcp_gateway::run(
        opts,
        decider,
        server,
        Box::new(std::io::stdin()),
        Box::new(std::io::stdout()),
    ) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!(
                "permit0 mcp-proxy: the server `{}`: {e}",
                a.command.join(" ")
            );
            ExitCode::from(2)
        }
    }
}

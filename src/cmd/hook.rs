//! `permit0 hook claude-code`: Claude Code's `PreToolUse` command hook
//! (docs/integrations.md). Reads the hook input on stdin, decides the tool
//! call with a signed bundle (sessions kept under a data directory, so a
//! session's chains and caps hold across the hook's processes) or through
//! `permit0 serve`, and prints the host's answer: allow, deny, or ask.
//!
//! Fails closed: whatever goes wrong — no bundle, a bad signature,
//! unreadable input, the session store — is answered `deny` (or `ask` with
//! `--on-error ask`) on stdout with exit status 0, the only status whose
//! answer the host reads; a panic is caught and answered the same way.
//! Another event than `PreToolUse` is passed through: no output, status 0.

use permit0::Authorizer;
use permit0_server::claude_code::{self, answer_decision, answer_error, Payload, Permission};
use permit0_server::session_files::SessionFiles;
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub host: Host,
}

#[derive(clap::Subcommand)]
pub enum Host {
    /// Claude Code's PreToolUse command hook: the hook input on stdin, the
    /// answer (`hookSpecificOutput`) on stdout
    ClaudeCode(Opts),
}

#[derive(clap::Args, Default)]
#[command(after_help = "\
Settings come from the flags, then the environment (PERMIT0_BUNDLE,
PERMIT0_TRUSTED (comma-separated), PERMIT0_DATA, PERMIT0_REMOTE,
PERMIT0_API_KEY, PERMIT0_HOOK_CONFIG, PERMIT0_HOOK_ON_ERROR,
PERMIT0_WORKSPACE), then the TOML file of --config (keys: bundle, trusted,
data, remote, api_key, on_error, shadow, defer_allow, log, workspace;
paths relative to the file).

The workspace is --workspace, else the project directory Claude Code gives
its hooks (CLAUDE_PROJECT_DIR), else the hook input's `cwd` — which the
agent moves with `cd`, so pin the project where you can.

Exit status is 0 with an answer on stdout for every PreToolUse input, a
failure included (answered `deny`, or `ask` with --on-error ask); another
event is passed through with no output.")]
pub struct Opts {
    /// The signed bundle to decide with (build it once: `permit0 build`)
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Public keys trusted to sign the bundle
    #[arg(long)]
    pub trusted: Vec<PathBuf>,
    /// Where sessions are kept between hook processes (SQLite); default
    /// `$XDG_STATE_HOME/permit0` or `~/.local/state/permit0`
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Decide through `permit0 serve` at this URL instead of a bundle
    #[arg(long, value_name = "URL")]
    pub remote: Option<String>,
    /// The agent key for --remote
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// A TOML file with these settings
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The answer when permit0 cannot decide: deny (default) or ask
    #[arg(long, value_name = "deny|ask", value_parser = parse_on_error)]
    pub on_error: Option<Permission>,
    /// Decide and log, but answer nothing (the host's own rules decide):
    /// for a rollout
    #[arg(long)]
    pub shadow: bool,
    /// On allow, print nothing: Claude Code's own permission rules then
    /// decide as without the hook (deny and ask still answer)
    #[arg(long)]
    pub defer_allow: bool,
    /// Where --shadow logs each decision (JSON lines; default stderr)
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// How long --remote may take, in seconds
    #[arg(long, default_value = "20")]
    pub timeout: u64,
    /// The agent's workspace (the project directory); default
    /// CLAUDE_PROJECT_DIR, else the hook input's `cwd`
    #[arg(long)]
    pub workspace: Option<PathBuf>,
}

fn parse_on_error(s: &str) -> Result<Permission, String> {
    match s {
        "deny" => Ok(Permission::Deny),
        "ask" => Ok(Permission::Ask),
        _ => Err("expected `deny` or `ask` (an error is never an allow)".into()),
    }
}

/// The `--config` file.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bundle: Option<PathBuf>,
    #[serde(default)]
    trusted: Vec<PathBuf>,
    data: Option<PathBuf>,
    remote: Option<String>,
    api_key: Option<String>,
    on_error: Option<String>,
    #[serde(default)]
    shadow: bool,
    #[serde(default)]
    defer_allow: bool,
    log: Option<PathBuf>,
    workspace: Option<PathBuf>,
}

/// How a call is decided.
enum Decider {
    Local {
        bundle: PathBuf,
        trusted: Vec<PathBuf>,
        data: PathBuf,
    },
    Remote {
        url: String,
        key: String,
    },
}

/// Everything resolved: the decider (or why there is none), and how to
/// answer.
struct Settings {
    decider: Result<Decider, String>,
    on_error: Permission,
    shadow: bool,
    defer_allow: bool,
    log: Option<PathBuf>,
    timeout: Duration,
    /// The pinned workspace, when there is one.
    workspace: Option<String>,
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

fn resolve(o: Opts) -> Settings {
    let mut problem = None;
    let config = o
        .config
        .clone()
        .or_else(|| env("PERMIT0_HOOK_CONFIG").map(PathBuf::from));
    let (file, base) = match &config {
        Some(p) => match permit0_server::regular_files::read_regular(p, 1 << 20)
            .map_err(|e| e.to_string())
            .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8 text".to_string()))
            .and_then(|t| toml::from_str::<FileConfig>(&t).map_err(|e| e.to_string()))
        {
            Ok(f) => (f, p.parent().map(Path::to_path_buf).unwrap_or_default()),
            Err(e) => {
                problem = Some(format!("the config `{}`: {e}", p.display()));
                (FileConfig::default(), PathBuf::new())
            }
        },
        None => (FileConfig::default(), PathBuf::new()),
    };
    let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let on_error_text = env("PERMIT0_HOOK_ON_ERROR").or(file.on_error);
    let on_error = match (o.on_error, on_error_text) {
        (Some(p), _) => p,
        (None, Some(t)) => parse_on_error(&t).unwrap_or_else(|e| {
            problem.get_or_insert(format!("on_error `{t}`: {e}"));
            Permission::Deny
        }),
        (None, None) => Permission::Deny,
    };
    let shadow = o.shadow || file.shadow;
    let defer_allow = o.defer_allow || file.defer_allow;
    let log = o.log.or(file.log.map(&rel));
    let workspace = o
        .workspace
        .or_else(|| env("PERMIT0_WORKSPACE").map(PathBuf::from))
        .or(file.workspace.map(&rel))
        .or_else(|| env("CLAUDE_PROJECT_DIR").map(PathBuf::from))
        .map(|p| p.display().to_string());
    let remote = o.remote.or_else(|| env("PERMIT0_REMOTE")).or(file.remote);
    let bundle = o
        .bundle
        .or_else(|| env("PERMIT0_BUNDLE").map(PathBuf::from))
        .or(file.bundle.map(&rel));
    let decider = if let Some(p) = problem {
        Err(p)
    } else {
        match (remote, bundle) {
            (Some(_), Some(_)) => Err("both a remote service and a bundle are configured: give one (`--remote` or `--bundle`)".into()),
            (Some(url), None) => o
                .api_key
                .or_else(|| env("PERMIT0_API_KEY"))
                .or(file.api_key)
                .map(|key| Decider::Remote { url, key })
                .ok_or_else(|| "`--remote` needs an agent key: `--api-key` (or PERMIT0_API_KEY, or `api_key` in the config)".to_string()),
            (None, Some(bundle)) => {
                let mut trusted = o.trusted;
                if trusted.is_empty() {
                    if let Some(t) = env("PERMIT0_TRUSTED") {
                        trusted = t.split(',').filter(|s| !s.is_empty()).map(PathBuf::from).collect();
                    }
                }
                if trusted.is_empty() {
                    trusted = file.trusted.into_iter().map(&rel).collect();
                }
                let data = o
                    .data
                    .or_else(|| env("PERMIT0_DATA").map(PathBuf::from))
                    .or(file.data.map(&rel))
                    .or_else(default_data);
                match (trusted.is_empty(), data) {
                    (true, _) => Err("no trusted key: pass `--trusted KEY.pub` (or PERMIT0_TRUSTED, or `trusted` in the config)".into()),
                    (false, None) => Err("no data directory: pass `--data DIR` (no HOME to keep sessions under)".into()),
                    (false, Some(data)) => Ok(Decider::Local { bundle, trusted, data }),
                }
            }
            (None, None) => Err("no bundle: pass `--bundle FILE --trusted KEY.pub` (or PERMIT0_BUNDLE, or `bundle` in the config), or `--remote URL --api-key KEY`".into()),
        }
    };
    Settings {
        decider,
        on_error,
        shadow,
        defer_allow,
        log,
        timeout: Duration::from_secs(o.timeout.max(1)),
        workspace,
    }
}

/// `$XDG_STATE_HOME/permit0`, or `~/.local/state/permit0`.
fn default_data() -> Option<PathBuf> {
    if let Some(s) = env("XDG_STATE_HOME") {
        return Some(PathBuf::from(s).join("permit0"));
    }
    env("HOME").map(|h| PathBuf::from(h).join(".local/state/permit0"))
}

pub fn run(a: Args) -> ExitCode {
    match a.host {
        Host::ClaudeCode(o) => claude(o),
    }
}

/// `permit0 hook …` parsed alone (src/main.rs sends it here before the
/// whole command line is built): it runs once per tool call of a coding
/// agent, and building every other command's arguments costs it time.
#[derive(clap::Parser)]
#[command(name = "permit0 hook", bin_name = "permit0 hook", version)]
struct HookCli {
    #[command(flatten)]
    args: Args,
}

/// The hook's own `main`: `args` are the process arguments after the
/// binary's name (`hook claude-code …`).
pub fn main(args: impl Iterator<Item = std::ffi::OsString>) -> ExitCode {
    mark("start");
    let args: Vec<std::ffi::OsString> = args.collect();
    if let Some(o) = quick_args(&args) {
        return claude(o);
    }
    let cli = <HookCli as clap::Parser>::parse_from(args);
    run(cli.args)
}

/// `hook claude-code` with only long options, each once (`--trusted`
/// repeats) and with a value that does not start with `-`, read without
/// clap (whose setup is a twentieth of a call); anything else — help, a
/// typo, a short option, text that is not UTF-8 — is `None`, and clap
/// parses it (and explains what is wrong).
fn quick_args(args: &[std::ffi::OsString]) -> Option<Opts> {
    let mut it = args.iter().map(|a| a.to_str());
    if it.next()? != Some("hook") || it.next()? != Some("claude-code") {
        return None;
    }
    let mut o = Opts {
        timeout: 20,
        ..Opts::default()
    };
    let mut seen = std::collections::HashSet::new();
    while let Some(arg) = it.next() {
        let arg = arg?.strip_prefix("--")?;
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (arg, None),
        };
        if !seen.insert(name) && name != "trusted" {
            return None;
        }
        let flag = matches!(name, "shadow" | "defer-allow");
        if flag {
            if inline.is_some() {
                return None;
            }
            match name {
                "shadow" => o.shadow = true,
                _ => o.defer_allow = true,
            }
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => it.next()??,
        };
        if value.is_empty() || value.starts_with('-') {
            return None;
        }
        match name {
            "bundle" => o.bundle = Some(value.into()),
            "trusted" => o.trusted.push(value.into()),
            "data" => o.data = Some(value.into()),
            "remote" => o.remote = Some(value.into()),
            "api-key" => o.api_key = Some(value.into()),
            "config" => o.config = Some(value.into()),
            "on-error" => o.on_error = Some(parse_on_error(value).ok()?),
            "log" => o.log = Some(value.into()),
            "timeout" => o.timeout = value.parse().ok()?,
            "workspace" => o.workspace = Some(value.into()),
            _ => return None,
        }
    }
    Some(o)
}

/// `PERMIT0_HOOK_TIMING=1`: where one call's time goes, one line on
/// stderr (`permit0 hook timing: settings 9us, stdin 4us, …`) — for
/// measuring, never needed to run. Each phase from the end of the last.
struct Timing {
    on: bool,
    last: std::time::Instant,
    phases: Vec<(&'static str, Duration)>,
}

impl Timing {
    fn new() -> Timing {
        Timing {
            on: std::env::var_os("PERMIT0_HOOK_TIMING").is_some_and(|v| v == "1"),
            last: std::time::Instant::now(),
            phases: Vec::new(),
        }
    }

    fn mark(&mut self, phase: &'static str) {
        if self.on {
            let now = std::time::Instant::now();
            self.phases.push((phase, now - self.last));
            self.last = now;
        }
    }

    fn report(&self) {
        if self.on {
            let parts: Vec<String> = self
                .phases
                .iter()
                .map(|(p, d)| format!("{p} {}us", d.as_micros()))
                .collect();
            let _ = writeln!(
                std::io::stderr().lock(),
                "permit0 hook timing: {}",
                parts.join(", ")
            );
        }
    }
}

thread_local! {
    static TIMING: std::cell::RefCell<Timing> = std::cell::RefCell::new(Timing::new());
}

fn mark(phase: &'static str) {
    TIMING.with(|t| {
        if let Ok(mut t) = t.try_borrow_mut() {
            t.mark(phase);
        }
    });
}

/// Stdin beyond this is not read: the request would be refused anyway.
const MAX_INPUT: u64 = (permit0_vm::MAX_REQUEST_BYTES as u64) + 1;

fn claude(o: Opts) -> ExitCode {
    mark("args");
    let settings = resolve(o);
    mark("settings");
    let mut input = Vec::new();
    let read = std::io::stdin()
        .lock()
        .take(MAX_INPUT)
        .read_to_end(&mut input);
    mark("stdin");
    // The code under here is written not to panic; if it does, the answer
    // is still a refusal, never the host's "non-blocking error".
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decide(&settings, read.map(|_| input.as_slice()))
    }))
    .unwrap_or_else(|_| Answer::Failed("internal error while deciding (please report it)".into()));
    let (answer, log) = match outcome {
        Answer::PassThrough => return ExitCode::SUCCESS,
        Answer::Decided(v, log) => (v, log),
        Answer::Failed(e) => {
            let v = answer_error(settings.on_error, &e);
            let log = json!({"error": e});
            (v, log)
        }
    };
    if settings.shadow {
        shadow_log(&settings, &answer, log);
        return ExitCode::SUCCESS;
    }
    if settings.defer_allow
        && answer.pointer("/hookSpecificOutput/permissionDecision") == Some(&json!("allow"))
    {
        return ExitCode::SUCCESS;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{answer}");
    let _ = out.flush();
    mark("answer");
    TIMING.with(|t| t.borrow().report());
    ExitCode::SUCCESS
}

enum Answer {
    PassThrough,
    /// The host's answer, and what the shadow log records.
    Decided(Json, Json),
    Failed(String),
}

fn decide(s: &Settings, input: std::io::Result<&[u8]>) -> Answer {
    let input = match input {
        Ok(i) => i,
        Err(e) => return Answer::Failed(format!("cannot read the hook input: {e}")),
    };
    if input.iter().all(u8::is_ascii_whitespace) {
        return Answer::Failed("the hook input is empty".into());
    }
    let request = match claude_code::read(input, s.workspace.as_deref()) {
        Ok(Payload::PreToolUse(r)) => {
            mark("input");
            r
        }
        Ok(Payload::Other(_)) => return Answer::PassThrough,
        Err(e) => return Answer::Failed(e),
    };
    let decider = match &s.decider {
        Ok(d) => d,
        Err(e) => return Answer::Failed(e.clone()),
    };
    match decider {
        Decider::Local {
            bundle,
            trusted,
            data,
        } => local(bundle, trusted, data, &request),
        Decider::Remote { url, key } => remote(url, key, s.timeout, input, &request),
    }
}

/// The largest bundle a hook reads (the stdlib's is 76 KB).
const MAX_BUNDLE: u64 = 64 << 20;

fn local(bundle: &Path, trusted: &[PathBuf], data: &Path, request: &Json) -> Answer {
    let keys = match super::common::trusted_key_files(trusted) {
        Ok(k) => k,
        Err(e) => return Answer::Failed(e),
    };
    mark("keys");
    // A regular file of a bundle's size: a FIFO or `/dev/zero` in its
    // place would hold the process until the host gives up and runs the
    // tool.
    let bytes = match permit0_server::regular_files::read_regular(bundle, MAX_BUNDLE) {
        Ok(b) => b,
        Err(e) => {
            return Answer::Failed(format!(
                "cannot read the bundle `{}`: {e}",
                bundle.display()
            ))
        }
    };
    mark("bundle-read");
    // One request per process: only the action it decides is decoded and
    // verified (the signature still covers every byte).
    let auth = match Authorizer::with_keys_lazily(&bytes, keys) {
        Ok(a) => a,
        Err(e) => return Answer::Failed(format!("`{}`: {e}", bundle.display())),
    };
    mark("bundle-load");
    // Sessions in files, not the service's SQLite database: opening SQLite
    // was a quarter of a hook call (docs/integrations.md#speed).
    let store = match SessionFiles::open(data, Default::default()) {
        Ok(s) => s,
        Err(e) => return Answer::Failed(format!("the session store: {e}")),
    };
    mark("store-open");
    let auth = auth.with_store(Arc::new(store));
    permit0_server::store::clear_failure();
    let decision = auth.decide(request).to_json();
    mark("decide");
    if permit0_server::store::failed() {
        return Answer::Failed(format!(
            "the session store failed, so this session's caps and chains could not be read: {}",
            decision.get("reason").and_then(Json::as_str).unwrap_or("")
        ));
    }
    // The process ends next: nothing is freed piece by piece (a tenth of
    // a call's time); every write is already in the session's file.
    std::mem::forget(auth);
    mark("store-close");
    let (_, answer) = answer_decision(&decision, None);
    Answer::Decided(answer, log_record(request, &decision))
}

/// Decides through `permit0 serve`'s `POST /v1/hooks/claude-code`: the
/// same input, the same answer (checked: anything but a well-formed answer
/// is a failure).
fn remote(url: &str, key: &str, timeout: Duration, input: &[u8], request: &Json) -> Answer {
    let endpoint = format!("{}/v1/hooks/claude-code", url.trim_end_matches('/'));
    let client = match reqwest::blocking::Client::builder()
        .timeout(timeout)
        .build()
    {
        Ok(c) => c,
        Err(e) => return Answer::Failed(format!("no HTTP client: {e}")),
    };
    let resp = client
        .post(&endpoint)
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(input.to_vec())
        .send();
    let resp = match resp {
        Ok(r) => r,
        Err(e) => return Answer::Failed(format!("`{endpoint}` did not answer: {e}")),
    };
    let status = resp.status();
    let body = match resp.bytes() {
        Ok(b) => b,
        Err(e) => return Answer::Failed(format!("`{endpoint}`: {e}")),
    };
    if !status.is_success() {
        return Answer::Failed(format!(
            "`{endpoint}` answered {status}: {}",
            String::from_utf8_lossy(&body)
        ));
    }
    let answer: Json = match permit0_vm::parse_request(&body) {
        Ok(v) => v,
        Err(e) => return Answer::Failed(format!("`{endpoint}` answered no JSON: {e}")),
    };
    let out = answer.get("hookSpecificOutput");
    let permission = out
        .and_then(|o| o.get("permissionDecision"))
        .and_then(Json::as_str)
        .and_then(Permission::parse);
    let reason = out
        .and_then(|o| o.get("permissionDecisionReason"))
        .and_then(Json::as_str);
    let event = out
        .and_then(|o| o.get("hookEventName"))
        .and_then(Json::as_str);
    match (permission, reason, event) {
        (Some(p), Some(r), Some(claude_code::PRE_TOOL_USE)) => {
            // Rebuilt from what was checked: nothing else the service (or
            // whoever answered in its place) sent reaches the host.
            let decision = json!({"decision": p.name(), "reason": r});
            Answer::Decided(claude_code::answer(p, r), log_record(request, &decision))
        }
        _ => Answer::Failed(format!(
            "`{endpoint}` answered something that is not a hook answer: {}",
            String::from_utf8_lossy(&body)
        )),
    }
}

/// What the shadow log keeps of a decision.
fn log_record(request: &Json, decision: &Json) -> Json {
    json!({
        "session": request.pointer("/session/id"),
        "tool": request.get("tool"),
        "action": decision.get("action"),
        "decision": decision.get("decision"),
        "reason": decision.get("reason"),
        "rule": decision.get("rule"),
    })
}

fn shadow_log(s: &Settings, answer: &Json, mut record: Json) {
    if let Some(o) = record.as_object_mut() {
        o.insert(
            "time".into(),
            json!(permit0_vm::time::format_rfc3339_ms(
                permit0_vm::time::now_ms()
            )),
        );
        o.insert("shadow".into(), json!(true));
        o.insert(
            "would_answer".into(),
            answer
                .pointer("/hookSpecificOutput/permissionDecision")
                .cloned()
                .unwrap_or(Json::Null),
        );
    }
    let line = format!("{record}\n");
    let written = match &s.log {
        Some(p) => std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .and_then(|mut f| f.write_all(line.as_bytes())),
        None => Err(std::io::Error::other("no log file")),
    };
    if written.is_err() {
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn os(v: &[&str]) -> Vec<std::ffi::OsString> {
        v.iter().map(Into::into).collect()
    }

    /// What a parse gave, comparable.
    fn show(o: &Opts) -> String {
        format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {} {} {:?} {} {:?}",
            o.bundle,
            o.trusted,
            o.data,
            o.remote,
            o.api_key,
            o.config,
            o.on_error.map(|p| p.name()),
            o.shadow,
            o.defer_allow,
            o.log,
            o.timeout,
            o.workspace
        )
    }

    fn by_clap(v: &[&str]) -> Option<Opts> {
        <HookCli as clap::Parser>::try_parse_from(os(v))
            .ok()
            .map(|c| match c.args.host {
                Host::ClaudeCode(o) => o,
            })
    }

    /// The hook's own argument reader reads what clap reads, or leaves the
    /// arguments to clap: never a different setting (a `--bundle` read as
    /// another file, an `--on-error ask` lost).
    #[test]
    fn the_quick_reader_agrees_with_clap_or_steps_aside() {
        let cases: &[&[&str]] = &[
            &["hook", "claude-code"],
            &[
                "hook",
                "claude-code",
                "--bundle",
                "b.p0b",
                "--trusted",
                "k.pub",
                "--data",
                "d",
            ],
            &[
                "hook",
                "claude-code",
                "--bundle=b.p0b",
                "--trusted=k1.pub",
                "--trusted",
                "k2.pub",
            ],
            &[
                "hook",
                "claude-code",
                "--remote",
                "http://x",
                "--api-key",
                "p0_k",
                "--timeout",
                "3",
            ],
            &[
                "hook",
                "claude-code",
                "--on-error",
                "ask",
                "--shadow",
                "--log",
                "l.jsonl",
            ],
            &[
                "hook",
                "claude-code",
                "--defer-allow",
                "--workspace",
                "/w",
                "--config",
                "c.toml",
            ],
            &["hook", "claude-code", "--on-error", "allow"],
            &["hook", "claude-code", "--bundle", "a", "--bundle", "b"],
            &["hook", "claude-code", "--bundle"],
            &["hook", "claude-code", "--bundle", "--data", "d"],
            &["hook", "claude-code", "--shadow=true"],
            &["hook", "claude-code", "--bundel", "b"],
            &["hook", "claude-code", "-h"],
            &["hook", "claude-code", "--help"],
            &["hook", "claude-code", "--timeout", "soon"],
            &["hook", "claude-code", "extra"],
            &["hook", "codex"],
        ];
        let mut quick = 0;
        for v in cases {
            if let Some(q) = quick_args(&os(v)) {
                quick += 1;
                let c =
                    by_clap(v).unwrap_or_else(|| panic!("{v:?}: read quickly, refused by clap"));
                assert_eq!(show(&q), show(&c), "{v:?}");
            }
        }
        // The usual command lines take the quick way.
        assert_eq!(quick, 6);
    }
}

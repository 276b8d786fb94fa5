//! `permit0 eval`: decide requests read as one JSON object, or JSON lines,
//! from a file or stdin, and print the decision JSON of each.

use super::common::load_program;
use permit0_vm::{Clock, Program, Sessions};
use serde_json::Value as Json;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders, compiled in memory (or use --bundle)
    pub paths: Vec<PathBuf>,
    /// A signed bundle to decide with
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Trusted public keys for --bundle
    #[arg(long)]
    pub trusted: Vec<PathBuf>,
    /// Requests: one JSON object, or one per line; `-` or absent reads stdin
    #[arg(short, long)]
    pub requests: Option<PathBuf>,
    /// Add every matched rule and the values it read
    #[arg(long)]
    pub explain: bool,
    /// Leave out the standard library of policies (stdlib/), which is
    /// otherwise compiled in with the given policies
    #[arg(long)]
    pub no_stdlib: bool,
    /// How far (in seconds) a request's `context.time` may be from this
    /// machine's clock before it is refused (escalated); `off` takes every
    /// time as written (scenario files with fixed times, never live)
    #[arg(long, value_name = "SECONDS|off", default_value = "300", value_parser = parse_max_skew)]
    pub max_skew: MaxSkew,
    #[command(flatten)]
    pub audit: super::audit::EvalArgs,
}

/// `--max-skew`: milliseconds, or `None` for `off`.
#[derive(Clone, Copy, Debug)]
pub struct MaxSkew(pub Option<i64>);

fn parse_max_skew(s: &str) -> Result<MaxSkew, String> {
    if s == "off" {
        return Ok(MaxSkew(None));
    }
    s.parse::<u32>()
        .map(|n| MaxSkew(Some(i64::from(n) * 1_000)))
        .map_err(|_| "expected a number of seconds, or `off`".to_string())
}

impl MaxSkew {
    /// The clock for one request: the system clock now, or none.
    fn clock(self) -> Clock {
        match self.0 {
            Some(ms) => Clock::system().with_max_skew(ms),
            None => Clock::unchecked(),
        }
    }
}

pub fn run(args: Args) -> ExitCode {
    let program = match load_program(
        args.bundle.as_deref(),
        &args.trusted,
        &args.paths,
        args.no_stdlib,
    ) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let mut audit = match super::audit::EvalAudit::open(&args.audit) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut text = String::new();
    let read = match args.requests.as_deref() {
        None => std::io::stdin().read_to_string(&mut text),
        Some(p) if p.as_os_str() == "-" => std::io::stdin().read_to_string(&mut text),
        Some(p) => std::fs::File::open(p).and_then(|mut f| f.read_to_string(&mut text)),
    };
    if let Err(e) = read {
        eprintln!("error: cannot read requests: {e}");
        return ExitCode::from(2);
    }
    // The whole input as one JSON value (possibly pretty-printed), or else
    // one request per line.
    // Sessions live across lines, keyed by `session.id`, so a scenario can
    // be replayed from a file.
    let mut sessions = Sessions::default();
    if let Ok(v) = serde_json::from_str::<Json>(text.trim()) {
        let mut out = decide_one(&program, &mut sessions, &v, args.explain, args.max_skew);
        if let Some(a) = &mut audit {
            if let Err(e) = a.record(&program, Ok(&v), &mut out) {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
        outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return close_audit(audit);
    }
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<Json>(line);
        let mut out = match &parsed {
            Ok(v) => decide_one(&program, &mut sessions, v, args.explain, args.max_skew),
            Err(e) => serde_json::json!({
                "decision": "escalate",
                "reason": format!("line {} is not valid JSON: {e}", n + 1),
                "rule": null,
                "action": null,
                "risk": null,
                "bundle": program.digest_string(),
                "action_digest": null,
            }),
        };
        if let Some(a) = &mut audit {
            if let Err(e) = a.record(&program, parsed.as_ref().map_err(|_| line), &mut out) {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
        outln!("{}", serde_json::to_string(&out).unwrap_or_default());
    }
    close_audit(audit)
}

fn close_audit(audit: Option<super::audit::EvalAudit>) -> ExitCode {
    match audit.map(super::audit::EvalAudit::close).transpose() {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Bind, check the time and read the session, decide, remember: one request
/// of a stream, decided live at the system clock (unless `--max-skew off`).
pub fn decide_one(
    program: &Program,
    sessions: &mut Sessions,
    request: &Json,
    explain: bool,
    max_skew: MaxSkew,
) -> Json {
    let clock = max_skew.clock();
    match program.bind(request) {
        Ok(mut req) => {
            if let Err(err) = sessions.fill(program, &mut req, clock) {
                return program.refusal_json(&err, Some(req.asked()));
            }
            let out = if explain {
                let e = program.explain(&req);
                program.explanation_json(&e, Some(&req))
            } else {
                let d = program.decide(&req);
                program.decision_json(&d, Some(&req))
            };
            sessions.record(program, &req, clock);
            out
        }
        Err(err) => {
            let asked = request
                .get("action")
                .or_else(|| request.get("tool"))
                .and_then(Json::as_str);
            program.refusal_json(&err, asked)
        }
    }
}

//! `permit0 bench POLICIES_OR_BUNDLE REQUESTS.jsonl`: binds every request
//! first, then times `decide` alone over many passes and reports the median
//! nanoseconds per decision.

use super::common::{is_bundle, load_program};
use permit0_vm::risk::Verdict;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// Policy files/folders or a bundle
    pub policies: PathBuf,
    /// One request per line
    pub requests: PathBuf,
    /// Trusted public keys, when `policies` is a bundle
    #[arg(long)]
    pub trusted: Vec<PathBuf>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Seconds to spend timing
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
    /// Leave out the standard library of policies (stdlib/), which is
    /// otherwise compiled in with the given policies
    #[arg(long)]
    pub no_stdlib: bool,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v.get(n / 2).copied().unwrap_or(0.0),
        n => {
            (v.get(n / 2 - 1).copied().unwrap_or(0.0) + v.get(n / 2).copied().unwrap_or(0.0)) / 2.0
        }
    }
}

pub fn run(args: Args) -> ExitCode {
    let program = if is_bundle(&args.policies) {
        load_program(Some(&args.policies), &args.trusted, &[], args.no_stdlib)
    } else {
        load_program(
            None,
            &[],
            std::slice::from_ref(&args.policies),
            args.no_stdlib,
        )
    };
    let program = match program {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let text = match std::fs::read_to_string(&args.requests) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", args.requests.display());
            return ExitCode::from(2);
        }
    };
    let mut requests = Vec::new();
    let mut bind_ns = Vec::new();
    let mut unbound = 0usize;
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let json: serde_json::Value = match serde_json::from_str(line) {
            Ok(j) => j,
            Err(e) => {
                eprintln!("error: line {}: {e}", n + 1);
                return ExitCode::from(2);
            }
        };
        let t = Instant::now();
        let bound = program.bind(&json);
        bind_ns.push(t.elapsed().as_nanos() as f64);
        match bound {
            Ok(r) => requests.push(r),
            Err(_) => unbound += 1,
        }
    }
    if requests.is_empty() {
        eprintln!("error: no request could be bound");
        return ExitCode::from(1);
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &requests {
        *counts.entry(program.decide(r).verdict.name()).or_default() += 1;
    }
    if unbound > 0 {
        *counts.entry(Verdict::Escalate.name()).or_default() += unbound;
    }
    // Warm up, then time passes over all requests until the budget is spent.
    let budget = Duration::from_secs_f64(args.seconds.max(0.1));
    for r in &requests {
        black_box(program.decide(black_box(r)));
    }
    let mut per_decision = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget || per_decision.len() < 5 {
        let t = Instant::now();
        for r in &requests {
            black_box(program.decide(black_box(r)));
        }
        per_decision.push(t.elapsed().as_nanos() as f64 / requests.len() as f64);
        if per_decision.len() >= 100_000 {
            break;
        }
    }
    let min = per_decision.iter().copied().fold(f64::INFINITY, f64::min);
    let max = per_decision.iter().copied().fold(0.0, f64::max);
    let passes = per_decision.len();
    let med = median(&mut per_decision);
    let bind_med = median(&mut bind_ns);
    if args.json {
        let out = serde_json::json!({
            "median_ns": (med * 10.0).round() / 10.0,
            "min_ns": (min * 10.0).round() / 10.0,
            "max_ns": (max * 10.0).round() / 10.0,
            "passes": passes,
            "requests": requests.len() + unbound,
            "unbound": unbound,
            "bind_median_ns": bind_med.round(),
            "decisions": counts,
        });
        outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        outln!(
            "requests   {} ({} could not be bound; bind median {:.0} ns each)",
            requests.len() + unbound,
            unbound,
            bind_med
        );
        outln!("decide     median {med:.1} ns per decision (min {min:.1}, max {max:.1}; {passes} passes)");
        let c: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
        outln!("decisions  {}", c.join(", "));
    }
    ExitCode::SUCCESS
}

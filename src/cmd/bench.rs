//! `permit0 bench POLICIES_OR_BUNDLE REQUESTS.jsonl`: binds every request
//! first, then times `decide` alone over many passes and reports the median
//! nanoseconds per decision. Binding is timed the same way (warm, repeated
//! passes over every request, the median pass divided by the number of
//! requests): from a parsed `serde_json::Value` ([`Program::bind`]), and
//! straight from the request's text ([`Program::bind_bytes`]) alone and
//! followed by `decide` — what the bare VM pays per request — and through
//! the front door, [`permit0::Authorizer::decide_bytes`]: the strict read,
//! bind, the session store, decide and the [`permit0::Outcome`] with its
//! reason and action digest — what an embedding pays end to end.

use super::common::{is_bundle, load_program};
use permit0_vm::risk::Verdict;
use permit0_vm::Program;
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

/// Times passes of `f` over `n` items (after one warm-up pass) until
/// `budget` is spent, at least 5 and at most 100,000 of them; returns the
/// nanoseconds per item of every pass.
fn passes(budget: Duration, n: usize, mut f: impl FnMut()) -> Vec<f64> {
    f();
    let mut out = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget || out.len() < 5 {
        let t = Instant::now();
        f();
        out.push(t.elapsed().as_nanos() as f64 / n.max(1) as f64);
        if out.len() >= 100_000 {
            break;
        }
    }
    out
}

/// Binds every request from its text, then decides it (or refuses it).
fn bind_bytes_and_decide(program: &Program, texts: &[&str]) {
    for t in texts {
        match program.bind_bytes(black_box(t.as_bytes())) {
            Ok(r) => black_box(program.decide(&r)),
            Err(e) => black_box(program.refuse(&e)),
        };
    }
}

/// Policies written before absence had to be explicit (generated
/// workloads, the side-by-side peers' translation) read optional values
/// without a guard. `bench` measures what deciding costs, so it measures
/// such a policy with the strict guard the compiler proposes for each P0218
/// (the fix a team would apply) and says so; `check` and `build` still
/// refuse it. `None` when the policies hold any other error.
fn with_strict_guards(args: &Args) -> Option<Result<permit0_vm::Program, String>> {
    let inputs =
        super::common::policy_inputs(std::slice::from_ref(&args.policies), args.no_stdlib).ok()?;
    let c = permit0_compiler::compile(inputs.clone());
    let errors: Vec<_> = c.errors().collect();
    if errors.is_empty() || errors.iter().any(|d| d.code != "P0218" || d.fix.is_none()) {
        return None;
    }
    let mut fixed = Vec::with_capacity(inputs.len());
    let mut applied = 0usize;
    for (i, input) in inputs.into_iter().enumerate() {
        let Some(id) = c.user_files.get(i).copied() else {
            fixed.push(input);
            continue;
        };
        let mut fixes: Vec<_> = errors
            .iter()
            .filter_map(|d| d.fix.as_ref())
            .filter(|f| f.span.file == id)
            .collect();
        // From the end, so earlier spans stay valid; overlapping fixes are
        // left out (the recompile then reports what remains).
        fixes.sort_by_key(|f| std::cmp::Reverse(f.span.start));
        let mut text = input.text.clone();
        let mut floor = usize::MAX;
        for f in fixes {
            let (start, end) = (f.span.start as usize, f.span.end as usize);
            if end > floor || end > text.len() || start > end {
                continue;
            }
            text.replace_range(start..end, &f.replacement);
            floor = start;
            applied += 1;
        }
        fixed.push(permit0_compiler::Input::from_text(input.name, text));
    }
    let again = permit0_compiler::compile(fixed);
    if again.has_errors() {
        return None;
    }
    eprintln!(
        "note: `{}` reads optional values without a guard (P0218, {applied} place(s)); bench measures it \
         with the strict guards `permit0 check` proposes, which `check` and `build` still require",
        args.policies.display()
    );
    Some(permit0_compiler::build_program(&again).map_err(|d| {
        d.iter()
            .map(|x| x.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    }))
}

pub fn run(args: Args) -> ExitCode {
    let load = || {
        if is_bundle(&args.policies) {
            load_program(Some(&args.policies), &args.trusted, &[], args.no_stdlib)
        } else {
            match with_strict_guards(&args) {
                Some(p) => p,
                None => load_program(
                    None,
                    &[],
                    std::slice::from_ref(&args.policies),
                    args.no_stdlib,
                ),
            }
        }
    };
    let program = match load() {
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
    let mut parsed = Vec::new();
    let mut texts = Vec::new();
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
        match program.bind(&json) {
            Ok(r) => requests.push(r),
            Err(_) => unbound += 1,
        }
        parsed.push(json);
        texts.push(line);
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
    let mut per_decision = passes(budget, requests.len(), || {
        for r in &requests {
            black_box(program.decide(black_box(r)));
        }
    });
    let mut bind_ns = passes(budget / 2, parsed.len(), || {
        for j in &parsed {
            let _ = black_box(program.bind(black_box(j)));
        }
    });
    let mut bytes_ns = passes(budget / 2, texts.len(), || {
        for t in &texts {
            let _ = black_box(program.bind_bytes(black_box(t.as_bytes())));
        }
    });
    let mut end_to_end_ns = passes(budget / 2, texts.len(), || {
        bind_bytes_and_decide(&program, &texts)
    });
    // The front door decides with its own copy of the program (it takes
    // one by value), loaded the same way; sessions in its memory store.
    let front_door_med = match load() {
        Ok(p) => {
            let door = permit0::Authorizer::from_program(p, Vec::new());
            let mut ns = passes(budget / 2, texts.len(), || {
                for t in &texts {
                    black_box(door.decide_bytes(black_box(t.as_bytes())));
                }
            });
            median(&mut ns)
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let streamed = texts
        .iter()
        .filter(|t| program.bind_bytes_streams(t.as_bytes()))
        .count();
    let min = per_decision.iter().copied().fold(f64::INFINITY, f64::min);
    let max = per_decision.iter().copied().fold(0.0, f64::max);
    let passes = per_decision.len();
    let med = median(&mut per_decision);
    let bind_med = median(&mut bind_ns);
    let bytes_med = median(&mut bytes_ns);
    let end_to_end_med = median(&mut end_to_end_ns);
    if args.json {
        let out = serde_json::json!({
            "median_ns": (med * 10.0).round() / 10.0,
            "min_ns": (min * 10.0).round() / 10.0,
            "max_ns": (max * 10.0).round() / 10.0,
            "passes": passes,
            "requests": requests.len() + unbound,
            "unbound": unbound,
            // Bind from a parsed `serde_json::Value`.
            "bind_median_ns": bind_med.round(),
            // Bind straight from the request's text (`bind_bytes`).
            "bind_bytes_median_ns": bytes_med.round(),
            // `bind_bytes` and then `decide` (or `refuse`): end to end.
            "bind_bytes_decide_median_ns": end_to_end_med.round(),
            // `Authorizer::decide_bytes`: the front door, end to end.
            "authorizer_decide_bytes_median_ns": front_door_med.round(),
            // Requests `bind_bytes` read on its streaming path (the rest it
            // parsed, then bound).
            "bind_bytes_streamed": streamed,
            "decisions": counts,
        });
        outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        outln!(
            "requests   {} ({} could not be bound)",
            requests.len() + unbound,
            unbound,
        );
        outln!(
            "bind       median {bind_med:.0} ns from a parsed JSON value, {bytes_med:.0} ns from text; \
             from text and decided: {end_to_end_med:.0} ns ({streamed} streamed)"
        );
        outln!("decide     median {med:.1} ns per decision (min {min:.1}, max {max:.1}; {passes} passes)");
        outln!(
            "front door median {front_door_med:.0} ns per Authorizer::decide_bytes (text in, Outcome out)"
        );
        let c: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
        outln!("decisions  {}", c.join(", "));
    }
    ExitCode::SUCCESS
}

//! `permit0 eval`: decide requests read as JSON lines (or a request spread
//! over several lines, pretty-printed) from a file or stdin, and print the
//! decision JSON of each as soon as its request has been read.

use super::common::load_program;
use permit0::Authorizer;
use permit0_session::Clock;
use permit0_vm::Outcome;
use serde_json::Value as Json;
use std::collections::VecDeque;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Every request allowed (also: no request at all).
pub const EXIT_ALLOW: u8 = 0;
/// The policies, the bundle, the key or the audit log could not be used.
pub const EXIT_ERROR: u8 = 1;
/// Bad or conflicting arguments, or unreadable requests (clap's own usage
/// errors exit 2 too).
pub const EXIT_USAGE: u8 = 2;
/// At least one request escalated (a line that is not a JSON request
/// counts as an escalate), none denied.
pub const EXIT_ESCALATE: u8 = 3;
/// At least one request denied.
pub const EXIT_DENY: u8 = 4;

/// A request spread over several lines, or on one line, longer than this
/// is not parsed: it escalates.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

#[derive(clap::Args)]
#[command(after_help = "\
Exit status (for a batch, the strictest verdict wins):
  0  every request was allowed
  1  the policies, bundle, key or audit log could not be used
  2  bad or conflicting arguments, or the requests could not be read
  3  at least one request escalated (a line that is not a JSON request
     escalates), none denied
  4  at least one request denied

Each line of input is answered as soon as it is read (stdout is flushed),
so a program can keep `permit0 eval` open as a co-process: write a request
line, read its decision line. A request may span several lines: in a file
(-r) as written; on stdin when its first line holds only `{` or `[`.")]
pub struct Args {
    /// Policy files or folders, compiled in memory (or use --bundle)
    pub paths: Vec<PathBuf>,
    /// A signed bundle to decide with (no policy paths with it)
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Trusted public keys for --bundle
    #[arg(long)]
    pub trusted: Vec<PathBuf>,
    /// Requests: JSON lines (or one pretty-printed request); `-` or absent
    /// reads stdin
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
    /// Keep sessions in the SQLite store under DIR, across runs and shared
    /// with `permit0 hook` and `permit0 serve` on the same directory
    #[arg(long, value_name = "DIR", conflicts_with = "audit")]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub audit: super::audit::EvalArgs,
}

/// Arguments that clap accepts one by one but that make no sense together.
fn usage_error(args: &Args) -> Option<String> {
    if args.bundle.is_some() {
        if let Some(p) = args.paths.first() {
            return Some(format!(
                "`{}` is a policy path, but `--bundle` was given: a bundle decides alone; to read requests from a file, write `-r {}`",
                p.display(),
                p.display()
            ));
        }
        if args.trusted.is_empty() {
            return Some("a bundle needs `--trusted KEY.pub` to check its signature".into());
        }
        if args.no_stdlib {
            return Some(
                "`--no-stdlib` has no effect with `--bundle`: the bundle already holds its policies"
                    .into(),
            );
        }
    } else if let Some(k) = args.trusted.first() {
        return Some(format!(
            "`--trusted {}` is only used with `--bundle`: policies compiled from source are not signed",
            k.display()
        ));
    }
    None
}

/// `--max-skew`: milliseconds, or `None` for `off`.
#[derive(Clone, Copy, Debug)]
pub struct MaxSkew(pub Option<i64>);

pub fn parse_max_skew(s: &str) -> Result<MaxSkew, String> {
    if s == "off" {
        return Ok(MaxSkew(None));
    }
    s.parse::<u32>()
        .map(|n| MaxSkew(Some(i64::from(n) * 1_000)))
        .map_err(|_| "expected a number of seconds, or `off`".to_string())
}

impl MaxSkew {
    /// The skew an [`Authorizer`] allows (`None`: times as written).
    pub fn duration(self) -> Option<std::time::Duration> {
        self.0
            .map(|ms| std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
    }

    /// The clock of a record logged at `logged` (ms), as replay reads it.
    pub fn logged(self, logged: Option<i64>) -> Clock {
        match self.0 {
            Some(ms) => Clock::logged(logged).with_max_skew(ms),
            None => Clock::unchecked(),
        }
    }
}

pub fn run(args: Args) -> ExitCode {
    if let Some(e) = usage_error(&args) {
        eprintln!("error: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    let program = match load_program(
        args.bundle.as_deref(),
        &args.trusted,
        &args.paths,
        args.no_stdlib,
    ) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let input: Box<dyn BufRead> = match args.requests.as_deref() {
        Some(p) if p.as_os_str() != "-" => match std::fs::File::open(p) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                eprintln!("error: cannot read requests `{}`: {e}", p.display());
                return ExitCode::from(EXIT_USAGE);
            }
        },
        _ => Box::new(std::io::stdin().lock()),
    };
    // Sessions live across lines, keyed by `session.id`, so a scenario can
    // be replayed from a file; with `--audit`, they start from the log's
    // earlier records.
    let mut auth =
        Authorizer::from_program(program, Vec::new()).with_max_skew(args.max_skew.duration());
    if let Some(dir) = &args.data {
        // The store `permit0 hook` keeps under the same directory.
        match permit0_server::session_files::SessionFiles::open(dir, Default::default()) {
            Ok(store) => auth = auth.with_store(std::sync::Arc::new(store)),
            Err(e) => {
                eprintln!("error: the session store: {e}");
                return ExitCode::from(EXIT_ERROR);
            }
        }
    }
    let mut audit = match super::audit::EvalAudit::open(&args.audit, &auth, args.max_skew) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let mut run = Run {
        auth: &auth,
        audit: audit.as_mut(),
        explain: args.explain,
        worst: EXIT_ALLOW,
    };
    // From stdin (a pipe, perhaps a co-process) only a line holding just
    // `{` or `[` starts a multi-line request, so a truncated line never
    // holds back the answers to the lines after it; a file is read to its
    // end anyway, so there a request may span lines as written.
    let from_stdin = args
        .requests
        .as_deref()
        .is_none_or(|p| p.as_os_str() == "-");
    let read = read_requests(input, &mut run, from_stdin);
    // `run` borrows the log; its last use ends the borrow.
    let worst = run.worst;
    // The log is sealed even when reading stopped early: what was decided
    // was logged, and the closing checkpoint signs it.
    let closed = audit.map(super::audit::EvalAudit::close).transpose();
    if let Err(e) = &closed {
        eprintln!("error: {e}");
    }
    match (read, closed) {
        (Err(code), _) => ExitCode::from(code),
        (Ok(()), Err(_)) => ExitCode::from(EXIT_ERROR),
        (Ok(()), Ok(_)) => ExitCode::from(worst),
    }
}

/// One `eval` run's state: what each request is decided with, and the
/// strictest verdict so far (as an exit code).
struct Run<'a> {
    auth: &'a Authorizer,
    audit: Option<&'a mut super::audit::EvalAudit>,
    explain: bool,
    worst: u8,
}

/// A line of input: its number (1-based) and its bytes, without the line
/// break.
type Line = (usize, Vec<u8>);

impl Run<'_> {
    /// Decides one request and prints its decision (pretty when the request
    /// was pretty-printed over several lines).
    fn request(&mut self, request: &Json, pretty: bool) -> Result<(), u8> {
        let mut out = if self.explain {
            // Explaining reads the session; deciding then counts the
            // request in it, as without --explain.
            let explained = self.auth.explain(request);
            self.auth.decide(request);
            explained.json
        } else {
            self.auth.decide(request).to_json()
        };
        let program = self.auth.program();
        if let Some(a) = self.audit.as_deref_mut() {
            a.record(&program, Ok(request), &mut out)
                .map_err(|e| fail(&e))?;
        }
        self.emit(&out, pretty);
        Ok(())
    }

    /// The escalate decision of input that is not a JSON request.
    fn malformed(&mut self, raw: &[u8], reason: String) -> Result<(), u8> {
        let program = self.auth.program();
        let mut out = Outcome::escalate(reason, None, &program.digest_string()).to_json();
        if let Some(a) = self.audit.as_deref_mut() {
            let text = String::from_utf8_lossy(raw);
            a.record(&program, Err(text.as_ref()), &mut out)
                .map_err(|e| fail(&e))?;
        }
        self.emit(&out, false);
        Ok(())
    }

    fn emit(&mut self, out: &Json, pretty: bool) {
        let code = match out.get("decision").and_then(Json::as_str) {
            Some("allow") => EXIT_ALLOW,
            Some("deny") => EXIT_DENY,
            // An escalate, or anything this build does not know: not allowed.
            _ => EXIT_ESCALATE,
        };
        self.worst = self.worst.max(code);
        let text = if pretty {
            serde_json::to_string_pretty(out)
        } else {
            serde_json::to_string(out)
        };
        let mut stdout = std::io::stdout().lock();
        // A closed stdout (`| head`) is not an error of the decisions.
        let _ = writeln!(stdout, "{}", text.unwrap_or_default());
        let _ = stdout.flush();
    }
}

fn fail(e: &str) -> u8 {
    eprintln!("error: {e}");
    EXIT_ERROR
}

/// What the lines gathered so far hold.
enum Parsed {
    Request(Json),
    /// A valid start of a JSON value that continues on the next line.
    Incomplete,
    Bad(String),
}

/// serde_json's message without its " at line 1 column 5" (the lines are
/// counted by the caller, over the whole input).
fn json_problem(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => format!("{} (column {})", s.get(..i).unwrap_or(&s), e.column()),
        None => s,
    }
}

fn parse(lines: &[Line]) -> Parsed {
    let mut text = String::new();
    for (n, bytes) in lines {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                text.push_str(s);
                text.push('\n');
            }
            Err(e) => {
                return Parsed::Bad(format!(
                    "line {n} is not UTF-8 (invalid byte at column {})",
                    e.valid_up_to() + 1
                ))
            }
        }
    }
    if text.len() > MAX_REQUEST_BYTES {
        let first = lines.first().map(|l| l.0).unwrap_or(0);
        return Parsed::Bad(format!(
            "the request on line {first} is longer than the {} MiB limit",
            MAX_REQUEST_BYTES >> 20
        ));
    }
    match serde_json::from_str::<Json>(&text) {
        // Read again strictly: a key given twice is read one way here and
        // perhaps the other way by the tool.
        Ok(v) => match permit0_vm::parse_request(text.as_bytes()) {
            Ok(_) => Parsed::Request(v),
            Err(e) => {
                let first = lines.first().map(|l| l.0).unwrap_or(0);
                Parsed::Bad(format!("the request on line {first} is refused: {e}"))
            }
        },
        Err(e) if e.is_eof() => Parsed::Incomplete,
        Err(e) => {
            let n = lines
                .get(e.line().saturating_sub(1))
                .or(lines.last())
                .map(|l| l.0)
                .unwrap_or(0);
            Parsed::Bad(format!("line {n} is not valid JSON: {}", json_problem(&e)))
        }
    }
}

/// Whether the (one) pending line is only an opening `{` or `[`.
fn opens_value(pending: &[Line]) -> bool {
    pending.first().is_some_and(|(_, bytes)| {
        let t = bytes.trim_ascii();
        t == b"{" || t == b"["
    })
}

/// Reads lines and decides each request as soon as it is complete: a line
/// that holds a whole JSON value is one request; a line that starts a value
/// (a pretty-printed request) is joined with the next until the value is
/// whole. A line that cannot be (part of) a request gets its own escalate
/// decision and the lines after it are read afresh, so one bad line never
/// costs its neighbours their decisions.
fn read_requests(
    mut input: Box<dyn BufRead>,
    run: &mut Run<'_>,
    from_stdin: bool,
) -> Result<(), u8> {
    let mut pending: Vec<Line> = Vec::new();
    let mut queue: VecDeque<Line> = VecDeque::new();
    let mut number = 0usize;
    let mut at_end = false;
    loop {
        let next = match queue.pop_front() {
            Some(l) => Some(l),
            None if at_end => None,
            None => {
                let mut buf = Vec::new();
                match input.read_until(b'\n', &mut buf) {
                    Ok(0) => None,
                    Ok(_) => {
                        if buf.last() == Some(&b'\n') {
                            buf.pop();
                            if buf.last() == Some(&b'\r') {
                                buf.pop();
                            }
                        }
                        number += 1;
                        Some((number, buf))
                    }
                    Err(e) => {
                        eprintln!("error: cannot read requests: {e}");
                        return Err(EXIT_USAGE);
                    }
                }
            }
        };
        let Some(line) = next else {
            // The input ends inside a value: its first line is bad, and the
            // lines after it are read again on their own (which may end
            // inside a value again: then the same, until none is left).
            at_end = true;
            if pending.is_empty() {
                break;
            }
            let first = pending.remove(0);
            run.malformed(
                &first.1,
                format!(
                    "line {} starts a JSON value that the input never finishes",
                    first.0
                ),
            )?;
            queue.extend(pending.drain(..));
            continue;
        };
        if pending.is_empty() && line.1.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        pending.push(line);
        match parse(&pending) {
            Parsed::Request(v) => {
                let pretty = pending.len() > 1;
                pending.clear();
                run.request(&v, pretty)?;
            }
            // From stdin, only a line holding nothing but `{` or `[` (how
            // jq, serde and JSON.stringify begin a pretty-printed value)
            // may start a request spread over several lines. Any other
            // line must be whole: a truncated line must not hold back the
            // answers to the lines after it.
            Parsed::Incomplete if from_stdin && pending.len() == 1 && !opens_value(&pending) => {
                let first = pending.remove(0);
                run.malformed(
                    &first.1,
                    format!(
                        "line {} is not valid JSON: it ends inside a value (a request spread over several lines starts with a line holding only `{{`)",
                        first.0
                    ),
                )?;
            }
            Parsed::Incomplete => {}
            Parsed::Bad(reason) => {
                let first = pending.remove(0);
                if pending.is_empty() {
                    run.malformed(&first.1, reason)?;
                } else {
                    // The value begun on `first` went wrong later: `first`
                    // is bad on its own, and the lines after it may be
                    // requests of their own.
                    let own = match parse(std::slice::from_ref(&first)) {
                        Parsed::Bad(r) => r,
                        _ => format!(
                            "line {} is not valid JSON: it starts a value that goes wrong later ({reason})",
                            first.0
                        ),
                    };
                    run.malformed(&first.1, own)?;
                    for l in pending.drain(..).rev() {
                        queue.push_front(l);
                    }
                }
            }
        }
    }
    Ok(())
}

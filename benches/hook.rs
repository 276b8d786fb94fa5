//! `permit0 hook claude-code`, whole process, as Claude Code runs it: spawn
//! the binary, write a PreToolUse input, read the answer — with the signed
//! stdlib bundle and the session files under a data directory (every call
//! in one growing session). Prints p50 and p99 per invocation, beside
//! a bare `permit0 eval --bundle` process and the zero-spawn option (the
//! `http` hook: one POST to `permit0 serve`'s `/v1/hooks/claude-code` over
//! a kept-alive connection).
//!
//! `cargo bench --bench hook` (the bench profile: an optimized binary);
//! `HOOK_BENCH_N=2000` for more runs; `HOOK_BENCH_BASELINE=path/to/permit0`
//! runs an older build's hook too, alternating in blocks of 50 calls with
//! this one (same bundle, its own data directory), for a before/after in one
//! run. Both binaries are timed from copies made at the start (see `fresh`
//! in `main`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_permit0");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/claude_code")
            .join(format!("{name}.json")),
    )
    .unwrap()
}

fn permit0(dir: &Path) -> Command {
    command(BIN, dir)
}

fn command(bin: &str, dir: &Path) -> Command {
    let mut c = Command::new(bin);
    c.current_dir(dir).env("HOME", dir);
    c
}

/// Spawns, feeds stdin, waits; the wall time of the whole process.
fn once_with(bin: &str, dir: &Path, args: &[&str], input: &[u8]) -> (Duration, Vec<u8>) {
    let t = Instant::now();
    let mut child = command(bin, dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (t.elapsed(), out.stdout)
}

/// The CPU time (user + system) of this process's reaped children so far,
/// in seconds (Linux: `/proc/self/stat`, in clock ticks of 1/100 s, so it
/// is read around blocks of calls, not around each). `None` elsewhere.
fn children_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields 16 and 17 of proc(5); `rest` starts at field 3.
    let ticks: f64 = f.get(13)?.parse::<f64>().ok()? + f.get(14)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Wall times, and the CPU time the calls took in all (when known).
struct Runs {
    times: Vec<Duration>,
    cpu: Option<f64>,
}

impl Runs {
    fn new() -> Runs {
        Runs {
            times: Vec::new(),
            cpu: Some(0.0),
        }
    }

    /// Times a block of calls (`f` spawns and waits for each).
    fn time(&mut self, f: impl FnOnce() -> Vec<Duration>) {
        let before = children_cpu();
        let t = f();
        self.cpu = match (self.cpu, before, children_cpu()) {
            (Some(sum), Some(b), Some(a)) => Some(sum + (a - b)),
            _ => None,
        };
        self.times.extend(t);
    }
}

fn report_runs(name: &str, runs: Runs) {
    let n = runs.times.len() as f64;
    let cpu = runs.cpu;
    report(name, runs.times);
    if let Some(c) = cpu {
        println!(
            "{:<44} cpu (user + system) {:>6.3} ms per call, mean",
            "",
            c / n * 1e3
        );
    }
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times[i].as_secs_f64() * 1e3
    };
    println!(
        "{name:<44} n={:<5} p50 {:>6.3} ms   p99 {:>6.3} ms   min {:>6.3} ms",
        times.len(),
        at(0.5),
        at(0.99),
        at(0.0)
    );
}

fn main() {
    let n: usize = std::env::var("HOOK_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let dir: PathBuf =
        std::env::temp_dir().join(format!("permit0-hook-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    assert!(permit0(&dir)
        .args(["keygen", "ops"])
        .output()
        .unwrap()
        .status
        .success());
    let built = permit0(&dir)
        .args(["build", "stdlib", "--key", "ops.key", "-o", "stdlib.p0b"])
        .output()
        .unwrap();
    assert!(built.status.success());

    // Both binaries run from copies made here: a binary as the linker
    // wrote it starts measurably slower (more page faults on its code, in
    // the page cache as written) than the same bytes copied — here ~0.1 ms
    // a call, as much as a round of optimization; timed from fresh copies,
    // neither is favoured.
    let fresh = |from: &str, name: &str| {
        let to = dir.join(name);
        std::fs::copy(from, &to).unwrap();
        to.to_str().unwrap().to_string()
    };
    let new_bin = fresh(BIN, "permit0-timed");

    let payloads: Vec<Vec<u8>> = [
        "bash_cargo_test",
        "read",
        "edit",
        "write",
        "webfetch",
        "bash_exfiltrate_credentials",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect();
    let hook = [
        "hook",
        "claude-code",
        "--bundle",
        "stdlib.p0b",
        "--trusted",
        "ops.pub",
        "--data",
        "state",
    ];
    // Warm up (page cache, the database's first open and migration).
    for p in &payloads {
        let (_, out) = once_with(&new_bin, &dir, &hook, p);
        assert!(
            out.starts_with(b"{\"hookSpecificOutput\""),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }
    let baseline = std::env::var("HOOK_BENCH_BASELINE")
        .ok()
        .filter(|b| !b.is_empty())
        .map(|b| fresh(&b, "permit0-baseline"));
    let mut old_hook = hook;
    old_hook[7] = "state-baseline";
    // The baseline signs the stdlib with its own compiler: an older build
    // may read another bundle format.
    old_hook[3] = "stdlib-baseline.p0b";
    if let Some(b) = &baseline {
        let built = command(b, &dir)
            .args([
                "build",
                "stdlib",
                "--key",
                "ops.key",
                "-o",
                "stdlib-baseline.p0b",
            ])
            .output()
            .unwrap();
        assert!(
            built.status.success(),
            "the baseline cannot build the stdlib"
        );
        for p in &payloads {
            let (_, out) = once_with(b, &dir, &old_hook, p);
            assert!(
                out.starts_with(b"{\"hookSpecificOutput\""),
                "baseline: {}",
                String::from_utf8_lossy(&out)
            );
        }
    }
    let mut runs = Runs::new();
    let mut old_runs = Runs::new();
    // Alternating blocks of 50 calls: long enough for the CPU clock's
    // ticks, short enough that both binaries see the same machine.
    for start in (0..n).step_by(50) {
        let calls = start..(start + 50).min(n);
        let payload = |i: usize| &payloads[i % payloads.len()];
        runs.time(|| {
            calls
                .clone()
                .map(|i| once_with(&new_bin, &dir, &hook, payload(i)).0)
                .collect()
        });
        if let Some(b) = &baseline {
            old_runs.time(|| {
                calls
                    .clone()
                    .map(|i| once_with(b, &dir, &old_hook, payload(i)).0)
                    .collect()
            });
        }
    }
    report_runs("hook claude-code (bundle + session files)", runs);
    if baseline.is_some() {
        report_runs("  the same, HOOK_BENCH_BASELINE's binary", old_runs);
    }

    // The floor: a process that only starts and exits.
    let mut runs = Runs::new();
    runs.time(|| {
        (0..n)
            .map(|_| once_with(&new_bin, &dir, &["--version"], b"").0)
            .collect()
    });
    report_runs("permit0 --version (spawn + exit)", runs);

    let eval_req = br#"{"tool":"Bash","args":{"command":"cargo test"},"context":{"workspace":"/work/proj"},"session":{"id":"s"}}"#;
    let eval = ["eval", "--bundle", "stdlib.p0b", "--trusted", "ops.pub"];
    let times = (0..n)
        .map(|_| once_with(&new_bin, &dir, &eval, eval_req).0)
        .collect();
    report("eval --bundle (in-memory sessions)", times);

    // The zero-spawn option: Claude Code's http hook against permit0 serve.
    let key = String::from_utf8(
        permit0(&dir)
            .args([
                "keys", "add", "--data", "served", "--role", "agent", "--tenant", "dev",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let mut server = permit0(&dir)
        .args([
            "serve",
            "--bundle",
            "stdlib.p0b",
            "--trusted",
            "ops.pub",
            "--data",
            "served",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("permit0 serve: listening on http://")
        .unwrap()
        .to_string();
    let mut conn = BufReader::new(std::net::TcpStream::connect(&addr).unwrap());
    conn.get_ref().set_nodelay(true).unwrap();
    let mut post = |body: &[u8]| {
        let t = Instant::now();
        write!(
            conn.get_mut(),
            "POST /v1/hooks/claude-code HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        conn.get_mut().write_all(body).unwrap();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            conn.read_line(&mut h).unwrap();
            if h == "\r\n" {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut b = vec![0; len];
        conn.read_exact(&mut b).unwrap();
        (t.elapsed(), b)
    };
    for p in &payloads {
        let (_, b) = post(p);
        assert!(
            b.starts_with(b"{\"hookSpecificOutput\""),
            "{}",
            String::from_utf8_lossy(&b)
        );
    }
    let times = (0..n)
        .map(|i| post(&payloads[i % payloads.len()]).0)
        .collect();
    report("http hook (POST /v1/hooks/claude-code)", times);
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

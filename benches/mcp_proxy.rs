//! The latency `permit0 mcp-proxy` adds to a `tools/call` (docs/mcp.md,
//! "Speed"): round trips client → server → client against a trivial echo
//! MCP server (this bench's own binary with `--echo-server`), once straight
//! to the server and once through the proxy deciding with a signed bundle
//! (tests/mcp/policy.p0 + the stdlib). The call is allowed, so it makes the
//! whole trip: decided, forwarded, answered, relayed back.
//!
//!     cargo bench --bench mcp_proxy
//!
//! Prints p50/p99 of each and the difference of the medians; a `ping`
//! through the proxy (relayed, not decided) separates the relay from the
//! decision.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 20_000;
const WARMUP: usize = 2_000;

fn echo_server() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut line = String::new();
    let mut r = stdin.lock();
    loop {
        line.clear();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let msg: serde_json::Value = match serde_json::from_str(&line) {
            Ok(m) => m,
            Err(_) => continue,
        };
        let Some(id) = msg.get("id") else { continue };
        let reply = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[{{"type":"text","text":"ok"}}]}}}}"#
        );
        out.write_all(reply.as_bytes()).unwrap();
        out.write_all(b"\n").unwrap();
        out.flush().unwrap();
    }
}

struct Peer {
    child: Child,
    tx: ChildStdin,
    rx: BufReader<ChildStdout>,
}

impl Peer {
    fn start(cmd: &mut Command) -> Peer {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let tx = child.stdin.take().unwrap();
        let rx = BufReader::new(child.stdout.take().unwrap());
        Peer { child, tx, rx }
    }

    /// Round-trip times of `rounds` messages made by `msg(id)`.
    fn time(&mut self, rounds: usize, msg: &dyn Fn(usize) -> String) -> Vec<Duration> {
        let mut times = Vec::with_capacity(rounds);
        let mut line = String::new();
        for i in 0..rounds {
            let m = msg(i);
            let t = Instant::now();
            self.tx.write_all(m.as_bytes()).unwrap();
            self.tx.flush().unwrap();
            line.clear();
            self.rx.read_line(&mut line).unwrap();
            times.push(t.elapsed());
            assert!(
                line.contains(r#""text":"ok""#) && !line.contains("isError"),
                "not answered by the server: {line}"
            );
        }
        times
    }

    fn stop(mut self) {
        drop(self.tx);
        let _ = self.child.wait();
    }
}

fn call(i: usize) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{i},"method":"tools/call","params":{{"name":"read_text_file","arguments":{{"path":"/w/src/main.rs"}}}}}}"#
    ) + "\n"
}

fn ping(i: usize) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{i},"method":"ping"}}"#) + "\n"
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn measure(peer: &mut Peer, msg: &dyn Fn(usize) -> String) -> Vec<Duration> {
    peer.time(WARMUP, msg);
    let mut t = peer.time(ROUNDS, msg);
    t.sort();
    t
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    if std::env::args().any(|a| a == "--echo-server") {
        return echo_server();
    }
    let permit0 = env!("CARGO_BIN_EXE_permit0");
    let repo = env!("CARGO_MANIFEST_DIR");
    let dir = std::path::Path::new(repo).join("target/mcp-bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let policy = format!("{repo}/tests/mcp/policy.p0");
    for args in [
        &["keygen", "ops"][..],
        &["build", &policy, "--key", "ops.key", "-o", "p.p0b"][..],
    ] {
        let out = Command::new(permit0)
            .current_dir(&dir)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let me = std::env::current_exe().unwrap();

    let mut direct = Peer::start(Command::new(&me).arg("--echo-server"));
    let mut proxied = Peer::start(
        Command::new(permit0)
            .current_dir(&dir)
            .args([
                "mcp-proxy",
                "--bundle",
                "p.p0b",
                "--trusted",
                "ops.pub",
                "--name",
                "fs",
            ])
            .args(["--context", r#"{"workspace": "/w"}"#, "--"])
            .arg(&me)
            .arg("--echo-server"),
    );
    // Interleaved, so drift in the machine's load hits both alike.
    let d1 = measure(&mut direct, &call);
    let p1 = measure(&mut proxied, &call);
    let r1 = measure(&mut proxied, &ping);
    let d2 = measure(&mut direct, &call);
    let p2 = measure(&mut proxied, &call);
    let mut d: Vec<Duration> = d1.into_iter().chain(d2).collect();
    let mut p: Vec<Duration> = p1.into_iter().chain(p2).collect();
    d.sort();
    p.sort();
    println!(
        "mcp_proxy: {} round trips each, echo MCP server, release build",
        d.len()
    );
    println!(
        "  direct to the server      p50 {:7.1} µs   p99 {:7.1} µs",
        us(pct(&d, 0.5)),
        us(pct(&d, 0.99))
    );
    println!(
        "  through the proxy (call)  p50 {:7.1} µs   p99 {:7.1} µs",
        us(pct(&p, 0.5)),
        us(pct(&p, 0.99))
    );
    println!(
        "  through the proxy (ping)  p50 {:7.1} µs   p99 {:7.1} µs",
        us(pct(&r1, 0.5)),
        us(pct(&r1, 0.99))
    );
    println!(
        "  added per tools/call      p50 {:7.1} µs   p99 {:7.1} µs   (decision alone, call - ping: p50 {:.1} µs)",
        us(pct(&p, 0.5)) - us(pct(&d, 0.5)),
        us(pct(&p, 0.99)) - us(pct(&d, 0.99)),
        us(pct(&p, 0.5)) - us(pct(&r1, 0.5)),
    );
    direct.stop();
    proxied.stop();
}

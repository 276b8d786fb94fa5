//! `permit0 mcp-proxy` as a process: its life follows the server's and the
//! client's, the server's exit status and stderr come through, large
//! messages pass whole. The server here is `cat` (it echoes every message
//! back, so what reaches the client is exactly what reached the server);
//! the real MCP server and client are in tests/mcp/ (tests/mcp/run.sh).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const POLICY: &str = r#"
policy gateway
when file.delete then deny "no deletes through the gateway"
when file.read then allow "reads are fine"
"#;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("permit0-mcp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A signed bundle of POLICY (with the stdlib, which maps the file tools).
fn bundle(d: &Path) {
    std::fs::write(d.join("p.p0"), POLICY).unwrap();
    for args in [
        &["keygen", "ops"][..],
        &["build", "p.p0", "--key", "ops.key", "-o", "p.p0b"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_permit0"))
            .current_dir(d)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
}

fn proxy(d: &Path, server: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_permit0"))
        .current_dir(d)
        .args([
            "mcp-proxy",
            "--bundle",
            "p.p0b",
            "--trusted",
            "ops.pub",
            "--name",
            "fs",
            "--",
        ])
        .args(server)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written on a thread: the proxy answers while it reads.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

#[test]
fn calls_are_decided_and_everything_else_passes_whole_through_an_echo_server() {
    let d = scratch("echo");
    bundle(&d);
    let big = "x".repeat(3 << 20);
    let input = format!(
        concat!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"read_file","arguments":{{"path":"a.txt"}}}}}}"#,
            "\n",
            r#"{{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{{"name":"delete_file","arguments":{{"path":"a.txt"}}}}}}"#,
            "\n",
            r#"{{"jsonrpc":"2.0","method":"notifications/message","params":{{"data":"{big}"}}}}"#,
            "\n",
            "not json\n"
        ),
        big = big
    );
    let out = proxy(&d, &["cat"], input.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{:?}", &stdout[..200.min(stdout.len())]);
    // The allowed call reached the server (and came back as `cat` echoes
    // it); the denied one was answered by the proxy and never echoed; the
    // 3 MiB notification passed byte for byte; the garbage got an error.
    let input_lines: Vec<&str> = input.lines().collect();
    assert!(lines.contains(&input_lines[0]));
    assert!(lines.contains(&input_lines[2]));
    assert!(!lines.contains(&input_lines[1]));
    let denied = lines
        .iter()
        .find(|l| l.contains(r#""isError":true"#))
        .unwrap();
    assert!(
        denied.contains(r#""id":2"#) && denied.contains("no deletes through the gateway"),
        "{denied}"
    );
    assert!(lines.iter().any(|l| l.contains("-32700")));
}

#[test]
fn the_server_exit_status_and_stderr_come_through() {
    let d = scratch("exit");
    bundle(&d);
    // The server ends by itself.
    let out = proxy(&d, &["sh", "-c", "echo server-says-hi >&2; exit 3"], b"");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("server-says-hi"));
    // The client closes: the server sees end of input and its status is ours.
    let out = proxy(
        &d,
        &["sh", "-c", "cat > /dev/null; exit 7"],
        b"{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}\n",
    );
    assert_eq!(out.status.code(), Some(7));
}

/// A server that cannot be started is named as such (the proxy's other
/// reason to stop — a server line longer than it frames — is told apart
/// in the gateway's own tests: the server ran, and the proxy stopped it).
#[test]
fn a_server_that_cannot_be_started_is_named() {
    let d = scratch("why");
    bundle(&d);
    let out = proxy(&d, &["./no-such-server"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the server `./no-such-server`: cannot run it:"),
        "{err}"
    );
}

#[test]
fn the_proxy_refuses_to_start_without_a_bundle_that_verifies() {
    let d = scratch("refuse");
    bundle(&d);
    let mut bytes = std::fs::read(d.join("p.p0b")).unwrap();
    let n = bytes.len() - 10;
    bytes[n] ^= 1;
    std::fs::write(d.join("bad.p0b"), bytes).unwrap();
    for args in [
        &["--bundle", "bad.p0b", "--trusted", "ops.pub"][..],
        &["--bundle", "p.p0b"][..],
        &["--bundle", "missing.p0b", "--trusted", "ops.pub"][..],
        &[
            "--bundle",
            "p.p0b",
            "--trusted",
            "ops.pub",
            "--name",
            "a__b",
        ][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_permit0"))
            .current_dir(&d)
            .arg("mcp-proxy")
            .args(args)
            .args(["--", "touch", "started"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("not starting"),
            "{out:?}"
        );
        assert!(!d.join("started").exists(), "{args:?} started the server");
    }
}

//! `permit0 keys` and `permit0 serve` as an operator meets them: a key is
//! printed once and listed without its text, a revoked key is refused, the
//! service decides over HTTP and stops cleanly on SIGTERM.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn permit0(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_permit0"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("permit0-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `permit0 serve` of `policy.p0b` on a free port, with `extra` flags: the
/// child, its stderr after the first line, and the address it listens on.
fn serve(
    dir: &Path,
    extra: &[&str],
) -> (
    std::process::Child,
    BufReader<std::process::ChildStderr>,
    String,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_permit0"))
        .current_dir(dir)
        .args([
            "serve",
            "--bundle",
            "policy.p0b",
            "--trusted",
            "ops.pub",
            "--data",
            "state",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("permit0 serve: listening on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    (child, stderr, addr)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One HTTP/1.1 request over a fresh connection: (status, body).
fn http(addr: &str, method: &str, path: &str, key: &str, body: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

#[test]
fn keys_are_shown_once_listed_without_their_text_and_revoked() {
    let dir = scratch("keys");
    let out = permit0(
        &dir,
        &[
            "keys", "add", "--data", "state", "--role", "agent", "--tenant", "acme", "--name",
            "bot",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = text(&out.stdout).trim().to_string();
    assert!(key.starts_with("p0k_") && key.len() == 68, "{key}");

    let list = text(&permit0(&dir, &["keys", "list", "--data", "state"]).stdout);
    assert!(
        list.contains("agent") && list.contains("tenant=acme") && list.contains("name=bot"),
        "{list}"
    );
    assert!(
        !list.contains(&key[4..]),
        "the key itself is never shown again"
    );
    let id = list.split_whitespace().next().unwrap();

    let out = permit0(&dir, &["keys", "revoke", "--data", "state", id]);
    assert!(out.status.success());
    assert!(text(&permit0(&dir, &["keys", "list", "--data", "state"]).stdout).contains("revoked="));
    let again = permit0(&dir, &["keys", "revoke", "--data", "state", id]);
    assert_eq!(again.status.code(), Some(1), "already revoked");

    let bad = permit0(&dir, &["keys", "add", "--data", "state", "--role", "root"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("agent, approver or admin"));
}

#[test]
fn serve_decides_over_http_and_stops_on_sigterm() {
    let dir = scratch("serve");
    assert!(permit0(&dir, &["keygen", "ops"]).status.success());
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let out = permit0(
        &dir,
        &[
            "build",
            examples.to_str().unwrap(),
            "--key",
            "ops.key",
            "-o",
            "policy.p0b",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = text(
        &permit0(
            &dir,
            &[
                "keys", "add", "--data", "state", "--role", "agent", "--tenant", "acme",
            ],
        )
        .stdout,
    )
    .trim()
    .to_string();

    let missing = permit0(
        &dir,
        &["serve", "--bundle", "policy.p0b", "--trusted", "ops.pub"],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("--data"),
        "{}",
        text(&missing.stderr)
    );

    let (mut child, mut stderr, addr) = serve(&dir, &[]);

    assert_eq!(http(&addr, "GET", "/healthz", "", "").0, 200);
    let request = std::fs::read_to_string(examples.join("requests.jsonl")).unwrap();
    let first = request.lines().next().unwrap();
    let (status, body) = http(&addr, "POST", "/v1/decide", &key, first);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(r#""decision":"escalate""#) && body.contains(r#""approval":"apr_"#),
        "{body}"
    );
    assert_eq!(http(&addr, "POST", "/v1/decide", "p0k_nope", first).0, 401);

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(status.success(), "{rest}");
    assert!(rest.contains("shutting down"), "{rest}");
}

/// The signed log of a running service, read back with the CLI: an
/// escalated refund that alice approved and the executor redeemed, and a
/// raw Bash call. `audit verify` passes; `audit export` shows each row's
/// tenant (from the key), actor, tool and arguments, and who approved — and
/// with `--no-payload` the request's digest instead of its arguments.
#[test]
fn the_service_s_log_exports_tenant_actor_tool_args_and_approver() {
    let dir = scratch("audit");
    assert!(permit0(&dir, &["keygen", "ops"]).status.success());
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let bundle = [
        "build",
        examples.to_str().unwrap(),
        "--key",
        "ops.key",
        "-o",
        "policy.p0b",
    ];
    assert!(permit0(&dir, &bundle).status.success());
    let add = |role: &str, name: &str| {
        let out = permit0(
            &dir,
            &[
                "keys", "add", "--data", "state", "--role", role, "--tenant", "acme", "--name",
                name,
            ],
        );
        text(&out.stdout).trim().to_string()
    };
    let (agent, approver) = (add("agent", "bot"), add("approver", "alice"));
    let (mut child, _stderr, addr) = serve(&dir, &["--audit", "decisions.log", "--key", "ops.key"]);

    let requests = std::fs::read_to_string(examples.join("requests.jsonl")).unwrap();
    let refund = requests.lines().next().unwrap();
    let (_, d) = http(&addr, "POST", "/v1/decide", &agent, refund);
    let d: serde_json::Value = serde_json::from_str(&d).unwrap();
    let id = d["approval"].as_str().unwrap_or_else(|| panic!("{d}"));
    let (s, a) = http(
        &addr,
        "POST",
        &format!("/v1/approvals/{id}/approve"),
        &approver,
        "{}",
    );
    assert_eq!(s, 200, "{a}");
    let a: serde_json::Value = serde_json::from_str(&a).unwrap();
    let redeem = format!(r#"{{"token": {}, "request": {refund}}}"#, a["token"]);
    assert_eq!(
        http(&addr, "POST", "/v1/tokens/redeem", &agent, &redeem).0,
        200
    );
    let bash = r#"{"tool": "Bash", "args": {"command": "ls -la /tmp"}, "session": {"id": "s-9"}}"#;
    assert_eq!(http(&addr, "POST", "/v1/decide", &agent, bash).0, 200);
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    assert!(child.wait().unwrap().success());

    let out = permit0(
        &dir,
        &["audit", "verify", "decisions.log", "--trusted", "ops.pub"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("2 decisions, 1 approvals, 1 denials, grants, grant uses and redemptions"),
        "{said}"
    );

    let export = |extra: &[&str]| -> Vec<serde_json::Value> {
        let mut args = vec![
            "audit",
            "export",
            "decisions.log",
            "--bundle",
            "policy.p0b",
            "--trusted",
            "ops.pub",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = permit0(&dir, &args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    let rows = export(&[]);
    let kinds: Vec<&str> = rows.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["decision", "approval", "redemption", "decision"]);
    let (refund_row, approval, redemption, bash_row) = (&rows[0], &rows[1], &rows[2], &rows[3]);
    assert_eq!(refund_row["tenant"], "acme");
    assert_eq!(refund_row["actor"], "support_agent_v2");
    assert_eq!(refund_row["args"]["amount"], 900);
    assert_eq!(refund_row["decision"], "escalate");
    assert_eq!(approval["decision"], "approved");
    assert!(approval["approver"].as_str().unwrap().starts_with("alice"));
    assert_eq!(approval["actor"], "support_agent_v2");
    assert_eq!(redemption["decision"], "redeemed");
    assert!(redemption["approver"]
        .as_str()
        .unwrap()
        .starts_with("alice"));
    assert_eq!(redemption["nonce"].as_str().unwrap().len(), 32);
    assert_eq!(bash_row["tool"], "Bash");
    assert_eq!(bash_row["args"]["command"], "ls -la /tmp");
    assert_eq!(bash_row["tenant"], "acme");
    // Without the payload: the digest stands in for the arguments.
    let rows = export(&["--no-payload"]);
    assert_eq!(rows[0]["args"], rows[0]["action_digest"]);
    assert!(rows[3]["args"].as_str().unwrap().starts_with("sha256:"));
}

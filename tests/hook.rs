//! `permit0 hook claude-code` as Claude Code runs it: one process per tool
//! call, the PreToolUse input on stdin (tests/claude_code/*.json, the
//! documented payload shapes), the answer on stdout. Each test is a tool
//! call, the answer the host gets, and why. Sessions live in the data
//! directory, so the stdlib's caps fire across processes; every failure
//! answers deny (or ask), never an allow and never silence; the `http`
//! hook endpoint of a real `permit0 serve` answers the same.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("permit0-hook-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The binary with no permit0 settings from the environment, and a HOME of
/// its own (so no default data directory is shared with the machine).
fn permit0(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_permit0"));
    c.current_dir(dir)
        .env("HOME", dir)
        .env_remove("XDG_STATE_HOME")
        .env_remove("CLAUDE_PROJECT_DIR");
    for (k, _) in std::env::vars() {
        if k.starts_with("PERMIT0_") {
            c.env_remove(k);
        }
    }
    c
}

/// A signed stdlib bundle, its key, another key, a tampered copy.
struct Keys {
    dir: PathBuf,
}

impl Keys {
    fn bundle(&self) -> String {
        self.dir.join("stdlib.p0b").display().to_string()
    }
    fn trusted(&self) -> String {
        self.dir.join("ops.pub").display().to_string()
    }
    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| {
        let dir = scratch("keys");
        for name in ["ops", "other"] {
            let out = permit0(&dir).args(["keygen", name]).output().unwrap();
            assert!(out.status.success(), "{out:?}");
        }
        let out = permit0(&dir)
            .args(["build", "stdlib", "--key", "ops.key", "-o", "stdlib.p0b"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let mut b = std::fs::read(dir.join("stdlib.p0b")).unwrap();
        let mid = b.len() / 2;
        b[mid] ^= 0x20;
        std::fs::write(dir.join("tampered.p0b"), b).unwrap();
        Keys { dir }
    })
}

fn payload(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/claude_code")
            .join(format!("{name}.json")),
    )
    .unwrap()
}

/// A payload with its JSON changed by `f`.
fn edited(name: &str, f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&payload(name)).unwrap();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The answer's permissionDecision and reason; the answer must be the
    /// documented shape and the status 0 (the only one whose answer the
    /// host reads).
    fn answer(&self) -> (String, String) {
        assert_eq!(self.status, Some(0), "stderr: {}", self.stderr);
        let v: Value = serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?} / {}", self.stdout, self.stderr));
        let out = &v["hookSpecificOutput"];
        assert_eq!(out["hookEventName"], "PreToolUse", "{v}");
        (
            out["permissionDecision"].as_str().unwrap().to_string(),
            out["permissionDecisionReason"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    }
}

fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    // The hook may answer before reading everything (it reads a bounded
    // amount): a closed pipe is fine (see `run_cmd`).
    run_cmd(permit0(dir), args, stdin)
}

/// The flags of a hook with the stdlib bundle and sessions under `data`.
fn stdlib_flags(data: &Path) -> Vec<String> {
    let k = keys();
    vec![
        "--bundle".into(),
        k.bundle(),
        "--trusted".into(),
        k.trusted(),
        "--data".into(),
        data.join("state").display().to_string(),
    ]
}

/// The hook with the stdlib bundle and sessions under `data`.
fn hook(data: &Path, stdin: &[u8]) -> Run {
    let flags = stdlib_flags(data);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    run_in(data, &flags, stdin)
}

fn decision(data: &Path, name: &str) -> (String, String) {
    hook(data, &payload(name)).answer()
}

#[test]
fn cargo_test_in_the_workspace_is_allowed() {
    let d = scratch("cargo-test");
    let (p, why) = decision(&d, "bash_cargo_test");
    assert_eq!(p, "allow", "{why}");
    assert!(why.starts_with("permit0 allows process.exec"), "{why}");
}

/// The agent ran `cd ~/other-project` (or `cd /`): the host's `cwd` is
/// now outside the project. The project stays the workspace — from
/// CLAUDE_PROJECT_DIR, which Claude Code gives its hooks, or
/// `--workspace` — and a relative write is judged where the shell will
/// make it: outside. A hook that took `cwd` as the workspace would call
/// it "inside" and allow it.
#[test]
fn a_shell_that_left_the_project_does_not_take_the_workspace_with_it() {
    let d = scratch("moved-shell");
    let write_from = |cwd: &str| {
        edited("bash_cargo_test", |v| {
            v["cwd"] = json!(cwd);
            v["tool_input"]["command"] = json!("echo hi > notes.txt");
        })
    };
    let flags = stdlib_flags(&d);
    let base: Vec<&str> = flags.iter().map(String::as_str).collect();
    // Inside the project (a subfolder): an ordinary write.
    let mut c = permit0(&d);
    c.env("CLAUDE_PROJECT_DIR", "/work/proj");
    let (p, why) = run_cmd(c, &base, &write_from("/work/proj/src")).answer();
    assert_eq!(p, "allow", "{why}");
    // The shell moved out: not allowed, whichever way the project is pinned.
    let mut c = permit0(&d);
    c.env("CLAUDE_PROJECT_DIR", "/work/proj");
    let (p, why) = run_cmd(c, &base, &write_from("/home/dev/other-project")).answer();
    assert_ne!(p, "allow", "{why}");
    let pinned: Vec<&str> = base
        .iter()
        .copied()
        .chain(["--workspace", "/work/proj"])
        .collect();
    let (p, why) = run_cmd(permit0(&d), &pinned, &write_from("/home/dev/other-project")).answer();
    assert_ne!(p, "allow", "{why}");
    // A `cwd` argument slipped into the command's input that disagrees with
    // the host's is refused.
    let spoofed = edited("bash_cargo_test", |v| {
        v["cwd"] = json!("/home/dev/other-project");
        v["tool_input"]["command"] = json!("echo hi > notes.txt");
        v["tool_input"]["cwd"] = json!("/work/proj");
    });
    let (p, why) = run_cmd(permit0(&d), &pinned, &spoofed).answer();
    assert_eq!(p, "deny", "{why}");
}

/// The agent's shell stands in `~/.ssh`; a Grep with no `path` searches
/// there, whatever the project is. It is judged there — as a search of a
/// credential folder — not as a search of the project.
#[test]
fn a_grep_without_a_path_is_judged_where_the_shell_stands() {
    let d = scratch("grep-cwd");
    let grep_from = |cwd: &str| {
        edited("bash_cargo_test", |v| {
            v["cwd"] = json!(cwd);
            v["tool_name"] = json!("Grep");
            v["tool_input"] = json!({"pattern": "PRIVATE KEY", "output_mode": "content"});
        })
    };
    let flags = stdlib_flags(&d);
    let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
    args.extend(["--workspace", "/work/proj"]);
    let (p, why) = run_cmd(permit0(&d), &args, &grep_from("/work/proj")).answer();
    assert_eq!(p, "allow", "searching the project: {why}");
    let (p, why) = run_cmd(permit0(&d), &args, &grep_from("/home/dev/.ssh")).answer();
    assert_ne!(p, "allow", "searching ~/.ssh: {why}");
}

/// The agent ran `cd /etc/cron.d`, then asked to `Write` the relative path
/// `job`. Claude Code writes it where the shell stands — /etc/cron.d/job —
/// while the stdlib read a relative path inside the project: "changing
/// files inside the workspace", allowed. A relative file path is now
/// joined to `cwd` when the shell stands in the project, and refused
/// (deny, "give an absolute path") when it stands elsewhere, where the two
/// readings part.
#[test]
fn a_relative_file_path_after_cd_is_not_read_inside_the_project() {
    let d = scratch("relative-write");
    let write_from = |cwd: &str, tool: &str| {
        edited("write", |v| {
            v["cwd"] = json!(cwd);
            v["tool_name"] = json!(tool);
            v["tool_input"] = match tool {
                "Edit" => json!({"file_path": "job", "old_string": "a", "new_string": "b"}),
                "Read" => json!({"file_path": "job"}),
                _ => json!({"file_path": "job", "content": "* * * * * root sh"}),
            };
        })
    };
    let flags = stdlib_flags(&d);
    let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
    args.extend(["--workspace", "/work/proj"]);
    for tool in ["Write", "Edit", "Read"] {
        let (p, why) = run_cmd(permit0(&d), &args, &write_from("/etc/cron.d", tool)).answer();
        assert_eq!(p, "deny", "{tool} from /etc/cron.d: {why}");
        assert!(why.contains("give an absolute path"), "{why}");
        // In the project, the same relative path is the project's file.
        let (p, why) = run_cmd(permit0(&d), &args, &write_from("/work/proj", tool)).answer();
        assert_eq!(p, "allow", "{tool} in the project: {why}");
    }
    // Without a pinned project the workspace is `cwd`: one reading, joined.
    let (p, why) = hook(&d, &write_from("/work/proj/", "Write")).answer();
    assert_eq!(p, "allow", "{why}");
}

/// `run_in` with a command whose environment the test set.
fn run_cmd(mut c: Command, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = c
        .args(["hook", "claude-code"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let _ = input.write_all(stdin);
    drop(input);
    let out = child.wait_with_output().unwrap();
    Run {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn piping_aws_credentials_to_curl_is_denied() {
    let d = scratch("exfil");
    let (p, why) = decision(&d, "bash_exfiltrate_credentials");
    assert_eq!(p, "deny", "{why}");
}

#[test]
fn reading_writing_and_editing_inside_the_workspace_are_allowed() {
    let d = scratch("files");
    for name in ["read", "write", "edit"] {
        let (p, why) = decision(&d, name);
        assert_eq!(p, "allow", "{name}: {why}");
        assert!(why.contains("file."), "{name}: {why}");
    }
}

/// Claude Code's Grep sends its flags as arguments named `-n`, `-i` and
/// `-C`. They only shape what is printed, so a search of the project with
/// them is allowed — not escalated as arguments nobody read. A ripgrep
/// option Grep does not have (`--pre`, a program run on every file) is
/// still unknown: the host asks.
#[test]
fn a_grep_with_line_numbers_and_context_is_allowed() {
    let d = scratch("grep-flags");
    let (p, why) = decision(&d, "grep_flags");
    assert_eq!(p, "allow", "{why}");
    assert!(why.contains("file.search"), "{why}");
    let with_pre = edited("grep_flags", |v| {
        v["tool_input"]["--pre"] = json!("sh");
    });
    let (p, why) = hook(&d, &with_pre).answer();
    assert_eq!(p, "ask", "{why}");
    assert!(why.contains("--pre"), "{why}");
}

#[test]
fn reading_a_private_ssh_key_is_denied() {
    let d = scratch("ssh");
    let (p, why) = decision(&d, "read_ssh_key");
    assert_eq!(p, "deny", "{why}");
}

#[test]
fn web_fetch_reads_docs_but_not_the_cloud_metadata_service() {
    let d = scratch("fetch");
    assert_eq!(decision(&d, "webfetch").0, "allow");
    let (p, why) = decision(&d, "webfetch_metadata");
    assert_eq!(p, "deny", "{why}");
    assert!(why.contains("network.fetch"), "{why}");
}

/// With the matcher `*`, Claude Code sends its console tools through the
/// hook too. Reading what a background `Bash` call printed, stopping it,
/// showing the plan and asking the person a question act on nothing
/// outside the console: each is allowed as what it is, never asked about
/// as an unknown tool. The same tool with an argument it does not have is
/// not the tool the gate read: the host asks.
#[test]
fn claude_codes_console_tools_are_allowed_as_what_they_are() {
    let d = scratch("console-tools");
    for (name, action) in [
        ("bash_output", "process.read_output"),
        ("kill_shell", "process.kill"),
        ("exit_plan_mode", "ai.ask_user"),
        ("ask_user_question", "ai.ask_user"),
    ] {
        let (p, why) = decision(&d, name);
        assert_eq!(p, "allow", "{name}: {why}");
        assert!(why.contains(action), "{name}: {why}");
    }
    let spoofed = edited("kill_shell", |v| {
        v["tool_input"]["pid"] = json!(1);
    });
    let (p, why) = hook(&d, &spoofed).answer();
    assert_eq!(p, "ask", "{why}");
    assert!(why.contains("pid"), "{why}");
}

#[test]
fn an_mcp_tool_is_decided_by_its_mapping_without_the_host_prefix() {
    let d = scratch("mcp");
    let (p, why) = decision(&d, "mcp_delete_file");
    assert_eq!(p, "allow", "{why}");
    assert!(why.contains("file.delete"), "{why}");
}

/// Twelve file deletions in one coding session, each its own hook process:
/// the first ten pass, the eleventh and twelfth hit the stdlib's bulk
/// delete cap — the session lives in the data directory. Another session
/// on the same directory is not held back.
#[test]
fn the_eleventh_deletion_of_a_session_is_denied_across_processes() {
    let d = scratch("twelve");
    let delete = |session: &str, n: u32| {
        edited("mcp_delete_file", |v| {
            v["session_id"] = json!(session);
            v["tool_input"]["path"] = json!(format!("/work/proj/tmp/f{n}.txt"));
        })
    };
    for n in 1..=12 {
        let (p, why) = hook(&d, &delete("s-twelve", n)).answer();
        if n <= 10 {
            assert_eq!(p, "allow", "deletion {n}: {why}");
        } else {
            assert_eq!(p, "deny", "deletion {n}: {why}");
            assert!(why.contains("bulk delete"), "{why}");
        }
    }
    let (p, why) = hook(&d, &delete("s-other", 1)).answer();
    assert_eq!(p, "allow", "another session: {why}");

    // `permit0 eval --data` reads the same store: the session is still
    // over its cap there.
    let k = keys();
    let out = permit0(&d)
        .args([
            "eval",
            "--bundle",
            &k.bundle(),
            "--trusted",
            &k.trusted(),
            "--data",
            "state",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            let req = json!({"tool": "delete_file", "args": {"path": "/work/proj/tmp/f13.txt"},
                             "context": {"workspace": "/work/proj"}, "session": {"id": "s-twelve"}});
            c.stdin.take().unwrap().write_all(req.to_string().as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "deny", "{v}");
    assert_eq!(out.status.code(), Some(4));
}

/// Claude Code runs parallel tool calls as parallel hook processes: sixteen
/// deletions of one session at once, against the stdlib's cap of ten.
/// Each process reads the session and records itself under the store's
/// lock, so exactly ten are allowed — never more, whatever the order.
#[test]
fn parallel_hook_processes_never_slip_under_a_cap_together() {
    let d = scratch("parallel");
    let answers: Vec<String> = std::thread::scope(|t| {
        let handles: Vec<_> = (0..16)
            .map(|n| {
                let d = &d;
                t.spawn(move || {
                    let call = edited("mcp_delete_file", |v| {
                        v["session_id"] = json!("s-parallel");
                        v["tool_input"]["path"] = json!(format!("/work/proj/tmp/p{n}.txt"));
                    });
                    hook(d, &call).answer().0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let allowed = answers.iter().filter(|a| *a == "allow").count();
    let denied = answers.iter().filter(|a| *a == "deny").count();
    assert_eq!((allowed, denied), (10, 6), "{answers:?}");
}

/// The agent can write where the hook's files live: a FIFO or a device
/// put in place of the bundle, the trusted key, the config, the session
/// store's lock or a session's file would hold the hook until Claude Code
/// gives up — which it reads as "go ahead". Each is refused at once, and
/// the call denied.
#[test]
fn a_fifo_or_a_device_in_place_of_a_file_is_refused_not_waited_on() {
    let d = scratch("fifo");
    let call = edited("mcp_delete_file", |v| v["session_id"] = json!("s-fifo"));
    assert_eq!(hook(&d, &call).answer().0, "allow");
    let fifo = |p: &Path| {
        let _ = std::fs::remove_file(p);
        let ok = Command::new("mkfifo").arg(p).status().unwrap().success();
        assert!(ok, "mkfifo {}", p.display());
    };
    // Runs the hook with a deadline: a hang fails the test, not CI.
    let timed = |args: Vec<String>| -> (String, String) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = permit0(&d)
            .args(["hook", "claude-code"])
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(&call);
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > std::time::Duration::from_secs(10) {
                let _ = child.kill();
                panic!("the hook hung with {args:?}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        Run {
            status: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::new(),
        }
        .answer()
    };
    let k = keys();
    let flags = |bundle: &str, trusted: &str| -> Vec<String> {
        ["--bundle", bundle, "--trusted", trusted, "--data", "state"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };

    let bundle_fifo = d.join("bundle.fifo");
    fifo(&bundle_fifo);
    let (p, why) = timed(flags(bundle_fifo.to_str().unwrap(), &k.trusted()));
    assert_eq!(p, "deny", "{why}");
    assert!(why.contains("not a regular file"), "{why}");

    let (p, why) = timed(flags("/dev/zero", &k.trusted()));
    assert_eq!(p, "deny", "{why}");

    let key_fifo = d.join("key.fifo");
    fifo(&key_fifo);
    let (p, why) = timed(flags(&k.bundle(), key_fifo.to_str().unwrap()));
    assert_eq!(p, "deny", "{why}");

    let config_fifo = d.join("hook.fifo");
    fifo(&config_fifo);
    let mut with_config = flags(&k.bundle(), &k.trusted());
    with_config.extend(["--config".to_string(), config_fifo.display().to_string()]);
    let (p, why) = timed(with_config);
    assert_eq!(p, "deny", "{why}");

    let sessions = d.join("state/sessions");
    let file = std::fs::read_dir(&sessions)
        .unwrap()
        .flatten()
        .find(|f| f.file_name().len() == 32)
        .unwrap()
        .path();
    fifo(&file);
    let (p, why) = timed(flags(&k.bundle(), &k.trusted()));
    assert_eq!(p, "deny", "{why}");
    assert!(why.contains("not a regular file"), "{why}");
    std::fs::remove_file(&file).unwrap();

    fifo(&sessions.join("lock"));
    let (p, why) = timed(flags(&k.bundle(), &k.trusted()));
    assert_eq!(p, "deny", "{why}");
    std::fs::remove_file(sessions.join("lock")).unwrap();

    // Put back as files, the session goes on.
    assert_eq!(timed(flags(&k.bundle(), &k.trusted())).0, "allow");
}

/// A long session: its file is rewritten with only the newest 512 actions
/// once it holds 64 more, so it stays small — and the cap still fires
/// across the rewrite.
#[test]
fn a_long_session_stays_small_and_capped_across_rewrites() {
    let d = scratch("long");
    let sessions = d.join("state/sessions");
    let file_size = || -> u64 {
        std::fs::read_dir(&sessions)
            .unwrap()
            .flatten()
            .filter(|f| f.file_name().len() == 32)
            .map(|f| f.metadata().unwrap().len())
            .max()
            .unwrap_or(0)
    };
    // Reads count toward no cap; 600 of them go in one session's file.
    let read = edited("read", |v| v["session_id"] = json!("s-long"));
    let mut largest = 0;
    for n in 1..=600 {
        let (p, why) = hook(&d, &read).answer();
        assert_eq!(p, "allow", "read {n}: {why}");
        largest = largest.max(file_size());
    }
    // The sizes of the same session's file after one read and after two.
    let d1 = scratch("long-one");
    let size_after = |n: usize| {
        for _ in 0..n {
            hook(&d1, &read);
        }
        std::fs::read_dir(d1.join("state/sessions"))
            .unwrap()
            .flatten()
            .find(|f| f.file_name().len() == 32)
            .unwrap()
            .metadata()
            .unwrap()
            .len()
    };
    let one = size_after(1);
    let record = size_after(1) - one;
    assert!(record > 0);
    assert!(
        largest <= one + (512 + 64) * record,
        "the file grew to {largest} bytes ({one} for one action, {record} a record)"
    );
    assert!(largest >= one + 511 * record, "{largest}");
    // Eleven deletions after the rewrites: still capped at ten.
    for n in 1..=11 {
        let call = edited("mcp_delete_file", |v| {
            v["session_id"] = json!("s-long");
            v["tool_input"]["path"] = json!(format!("/work/proj/tmp/x{n}.txt"));
        });
        let want = if n <= 10 { "allow" } else { "deny" };
        assert_eq!(hook(&d, &call).answer().0, want, "deletion {n}");
    }
}

/// The session store cannot be trusted: the call fails closed (deny, or
/// ask with `--on-error ask`) and says why — never an allow made without
/// the session's history.
#[test]
fn a_damaged_or_locked_session_store_fails_closed() {
    let d = scratch("damaged");
    let call = edited("mcp_delete_file", |v| v["session_id"] = json!("s-damaged"));
    assert_eq!(hook(&d, &call).answer().0, "allow");
    let file = std::fs::read_dir(d.join("state/sessions"))
        .unwrap()
        .flatten()
        .find(|f| f.file_name().len() == 32)
        .unwrap()
        .path();
    let good = std::fs::read(&file).unwrap();
    assert_eq!(hook(&d, &call).answer().0, "allow");
    let record = std::fs::read(&file).unwrap().len() - good.len();
    assert!(record > 0 && record < good.len());

    // A byte flipped inside the record: the history cannot be read.
    let mut flipped = good.clone();
    let last = flipped.len() - 6;
    flipped[last] ^= 0x40;
    std::fs::write(&file, &flipped).unwrap();
    let (p, why) = hook(&d, &call).answer();
    assert_eq!(p, "deny", "{why}");
    assert!(
        why.contains("fail closed") && why.contains("fails its check"),
        "{why}"
    );

    // Another session's file put in its place (the header names the scope).
    let other = scratch("damaged-other");
    hook(
        &other,
        &edited("mcp_delete_file", |v| v["session_id"] = json!("s-other")),
    );
    let theirs = std::fs::read_dir(other.join("state/sessions"))
        .unwrap()
        .flatten()
        .find(|f| f.file_name().len() == 32)
        .unwrap()
        .path();
    std::fs::copy(theirs, &file).unwrap();
    let (p, why) = hook(&d, &call).answer();
    assert_eq!(p, "deny", "{why}");
    assert!(why.contains("another session"), "{why}");

    // A write the machine did not finish (the last record cut short) is
    // dropped, as SQLite drops a torn log frame: the session goes on.
    let mut torn = good.clone();
    let first = good.len() - record;
    torn.extend_from_slice(&good[first..first + record / 2]);
    std::fs::write(&file, &torn).unwrap();
    assert_eq!(hook(&d, &call).answer().0, "allow");
    assert_eq!(
        std::fs::read(&file).unwrap().len(),
        good.len() + record,
        "the torn record was written over"
    );

    // Another process holding the store's lock past the wait (2 s).
    let lock = std::fs::File::options()
        .write(true)
        .open(d.join("state/sessions/lock"))
        .unwrap();
    lock.lock().unwrap();
    let t = std::time::Instant::now();
    let (p, why) = hook(&d, &call).answer();
    assert_eq!(p, "deny", "{why}");
    assert!(why.contains("held by another process"), "{why}");
    assert!(t.elapsed() >= std::time::Duration::from_secs(2));
    drop(lock);
    assert_eq!(hook(&d, &call).answer().0, "allow");
}

/// Spoofing: nothing but `tool_name`, `tool_input`, `cwd` and `session_id`
/// is read, and a key given twice is refused — so neither an added
/// `context` / `session` section, nor a duplicated key, nor a derived
/// field in the tool's input reads looser than the plain payload.
#[test]
fn a_payload_with_duplicated_keys_or_extra_sections_reads_no_looser() {
    let d = scratch("spoof");
    let plain = decision(&d, "bash_exfiltrate_credentials").0;
    assert_eq!(plain, "deny");

    let extra = edited("bash_exfiltrate_credentials", |v| {
        v["context"] = json!({"workspace": "/"});
        v["session"] = json!({"id": "fresh"});
        v["actor"] = json!({"role": "admin", "verified": true});
        v["permission_mode"] = json!("bypassPermissions");
    });
    assert_eq!(hook(&d, &extra).answer().0, "deny");

    let derived = edited("bash_exfiltrate_credentials", |v| {
        v["tool_input"]["classification"] = json!("read_only");
        v["tool_input"]["pipes_to_shell"] = json!(false);
    });
    assert_eq!(hook(&d, &derived).answer().0, "deny");

    // The same tool named twice: a lenient reader takes the last.
    let text = String::from_utf8(payload("bash_exfiltrate_credentials")).unwrap();
    let twice = text.replacen(
        r#""tool_name":"Bash""#,
        r#""tool_name":"Bash","tool_name":"Read""#,
        1,
    );
    assert_ne!(twice, text);
    let (p, why) = hook(&d, twice.as_bytes()).answer();
    assert_eq!(p, "deny", "{why}");
    assert!(why.contains("fail closed"), "{why}");

    // An event named twice is not passed through as the other event.
    let event = text.replacen(
        r#""hook_event_name":"PreToolUse""#,
        r#""hook_event_name":"PreToolUse","hook_event_name":"PostToolUse""#,
        1,
    );
    assert_ne!(event, text);
    assert_eq!(hook(&d, event.as_bytes()).answer().0, "deny");

    // The eleventh deletion stays denied whatever session section is added.
    let del = |n: u32, extra: bool| {
        edited("mcp_delete_file", |v| {
            v["session_id"] = json!("s-spoof");
            v["tool_input"]["path"] = json!(format!("/work/proj/tmp/g{n}.txt"));
            if extra {
                v["session"] = json!({"id": format!("new-{n}")});
                v["context"] = json!({"time": "2020-01-01T00:00:00Z"});
            }
        })
    };
    for n in 1..=10 {
        assert_eq!(hook(&d, &del(n, false)).answer().0, "allow");
    }
    assert_eq!(hook(&d, &del(11, true)).answer().0, "deny");
}

/// `--defer-allow` leaves an allowed call to Claude Code's own permission
/// rules (no answer), but still answers a deny.
#[test]
fn defer_allow_answers_only_deny_and_ask() {
    let d = scratch("defer");
    let k = keys();
    let args = [
        "--bundle",
        &k.bundle(),
        "--trusted",
        &k.trusted(),
        "--data",
        "state",
        "--defer-allow",
    ];
    let r = run_in(&d, &args, &payload("bash_cargo_test"));
    assert_eq!((r.status, r.stdout.as_str()), (Some(0), ""), "{}", r.stderr);
    let r = run_in(&d, &args, &payload("bash_exfiltrate_credentials"));
    assert_eq!(r.answer().0, "deny");
}

#[test]
fn another_hook_event_passes_through_untouched() {
    let d = scratch("post");
    let r = hook(&d, &payload("post_tool_use"));
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout, "", "no answer for PostToolUse");
    // Even with nothing configured: it is not ours to answer.
    let r = run_in(&d, &[], &payload("post_tool_use"));
    assert_eq!((r.status, r.stdout.as_str()), (Some(0), ""));
}

/// Every way the hook can fail answers deny (or ask with `--on-error
/// ask`), with status 0 so the host reads it.
#[test]
fn every_failure_answers_deny_or_ask_never_allow() {
    let d = scratch("fail");
    let k = keys();
    let state = d.join("state").display().to_string();
    let good = payload("bash_cargo_test");
    let bundle = k.bundle();
    let trusted = k.trusted();
    let tampered = k.path("tampered.p0b");
    let other = k.path("other.pub");
    let missing = k.path("missing.p0b");
    let with = |b: &str, t: &str| -> Vec<String> {
        ["--bundle", b, "--trusted", t, "--data", &state]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    // A regular file where the data directory should be.
    std::fs::write(d.join("plain-file"), "x").unwrap();
    let unwritable = d.join("plain-file/state").display().to_string();
    let truncated = &good[..good.len() / 2];
    let cases: Vec<(&str, Vec<String>, &[u8])> =
        vec![
        ("no bundle", vec![], &good),
        ("a missing bundle file", with(&missing, &trusted), &good),
        ("a tampered bundle", with(&tampered, &trusted), &good),
        ("a key that did not sign it", with(&bundle, &other), &good),
        ("garbage on stdin", with(&bundle, &trusted), b"\x00\xffnot json"),
        ("empty stdin", with(&bundle, &trusted), b""),
        ("a truncated payload", with(&bundle, &trusted), truncated),
        ("a JSON array", with(&bundle, &trusted), b"[1, 2]"),
        (
            "no tool_input",
            with(&bundle, &trusted),
            br#"{"hook_event_name":"PreToolUse","session_id":"s","cwd":"/w","tool_name":"Bash"}"#,
        ),
        (
            "an unwritable data directory",
            vec![
                "--bundle".into(),
                bundle.clone(),
                "--trusted".into(),
                trusted.clone(),
                "--data".into(),
                unwritable.clone(),
            ],
            &good,
        ),
        (
            "a remote service that is not there",
            vec![
                "--remote".into(),
                "http://127.0.0.1:9".into(),
                "--api-key".into(),
                "p0k_x".into(),
            ],
            &good,
        ),
    ];
    for (what, args, stdin) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (p, why) = run_in(&d, &args, stdin).answer();
        assert_eq!(p, "deny", "{what}: {why}");
        assert!(why.contains("fail closed"), "{what}: {why}");
        let mut ask = args.clone();
        ask.extend(["--on-error", "ask"]);
        assert_eq!(run_in(&d, &ask, stdin).answer().0, "ask", "{what}");
    }
    // `--on-error allow` does not exist.
    let r = run_in(&d, &["--on-error", "allow"], &good);
    assert_eq!(r.status, Some(2), "a usage error blocks (status 2)");
}

#[test]
fn settings_come_from_the_environment_or_a_config_file() {
    let d = scratch("settings");
    let k = keys();
    let run_env = |envs: &[(&str, String)]| {
        let mut c = permit0(&d);
        c.args(["hook", "claude-code"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for (key, v) in envs {
            c.env(key, v);
        }
        let mut child = c.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&payload("bash_exfiltrate_credentials"))
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["hookSpecificOutput"]["permissionDecision"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        run_env(&[
            ("PERMIT0_BUNDLE", k.bundle()),
            ("PERMIT0_TRUSTED", k.trusted()),
            ("PERMIT0_DATA", d.join("env-state").display().to_string()),
        ]),
        "deny"
    );
    // A config file; its paths are relative to it.
    std::fs::copy(k.bundle(), d.join("stdlib.p0b")).unwrap();
    std::fs::copy(k.trusted(), d.join("ops.pub")).unwrap();
    std::fs::write(
        d.join("hook.toml"),
        "bundle = \"stdlib.p0b\"\ntrusted = [\"ops.pub\"]\ndata = \"file-state\"\n",
    )
    .unwrap();
    assert_eq!(
        run_env(&[(
            "PERMIT0_HOOK_CONFIG",
            d.join("hook.toml").display().to_string()
        )]),
        "deny"
    );
    assert!(d.join("file-state/sessions").is_dir());
    // A config file with a misspelt key fails closed (here: ask).
    std::fs::write(
        d.join("bad.toml"),
        "bundel = \"stdlib.p0b\"\non_error = \"ask\"\n",
    )
    .unwrap();
    let r = run_in(
        &d,
        &["--config", "bad.toml", "--on-error", "ask"],
        &payload("read"),
    );
    assert_eq!(r.answer().0, "ask");
}

#[test]
fn shadow_mode_logs_what_it_would_answer_and_prints_nothing() {
    let d = scratch("shadow");
    let k = keys();
    let log = d.join("shadow.jsonl");
    let args = [
        "--bundle",
        &k.bundle(),
        "--trusted",
        &k.trusted(),
        "--data",
        "state",
        "--shadow",
        "--log",
        log.to_str().unwrap(),
    ];
    let r = run_in(&d, &args, &payload("bash_exfiltrate_credentials"));
    assert_eq!((r.status, r.stdout.as_str()), (Some(0), ""), "{}", r.stderr);
    let r = run_in(&d, &args, b"garbage");
    assert_eq!((r.status, r.stdout.as_str()), (Some(0), ""), "{}", r.stderr);
    let lines: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["would_answer"], "deny");
    assert_eq!(lines[0]["decision"], "deny");
    assert_eq!(lines[0]["tool"], "Bash");
    assert_eq!(lines[1]["would_answer"], "deny");
    assert!(lines[1]["error"].is_string());
}

// --- the http hook of a real `permit0 serve` --------------------------------

struct Server {
    child: Child,
    addr: String,
    key: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(d: &Path) -> Server {
    let k = keys();
    let out = permit0(d)
        .args([
            "keys", "add", "--data", "state", "--role", "agent", "--tenant", "dev",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let mut child = permit0(d)
        .args([
            "serve",
            "--bundle",
            &k.bundle(),
            "--trusted",
            &k.trusted(),
            "--data",
            "state",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("permit0 serve: listening on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    Server { child, addr, key }
}

/// One HTTP/1.1 POST: (status, body).
fn post(addr: &str, path: &str, key: &str, body: &[u8]) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

fn permission(body: &str) -> (String, String) {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    let o = &v["hookSpecificOutput"];
    assert_eq!(o["hookEventName"], "PreToolUse");
    (
        o["permissionDecision"].as_str().unwrap().to_string(),
        o["permissionDecisionReason"].as_str().unwrap().to_string(),
    )
}

#[test]
fn the_http_hook_of_permit0_serve_answers_as_the_command_hook_does() {
    let d = scratch("http");
    let s = serve(&d);
    let url = "/v1/hooks/claude-code";

    let (status, body) = post(&s.addr, url, &s.key, &payload("bash_cargo_test"));
    assert_eq!(status, 200);
    assert_eq!(permission(&body).0, "allow", "{body}");
    let (_, body) = post(
        &s.addr,
        url,
        &s.key,
        &payload("bash_exfiltrate_credentials"),
    );
    assert_eq!(permission(&body).0, "deny", "{body}");

    // An escalation is queued for a human: `ask`, naming the approval and
    // the page that answers it.
    let rm = edited("bash_cargo_test", |v| {
        v["tool_input"]["command"] = json!("rm -rf build");
    });
    let (_, body) = post(&s.addr, url, &s.key, &rm);
    let (p, why) = permission(&body);
    assert_eq!(p, "ask", "{why}");
    assert!(
        why.contains("approval apr_") && why.contains("/ui/approvals/apr_"),
        "{why}"
    );

    // The command hook through the service gives the same answers.
    let base = format!("http://{}", s.addr);
    for (name, want) in [("bash_cargo_test", "allow"), ("webfetch_metadata", "deny")] {
        let r = run_in(
            &d,
            &["--remote", &base, "--api-key", &s.key],
            &payload(name),
        );
        let (_, direct) = post(&s.addr, url, &s.key, &payload(name));
        assert_eq!(r.answer().0, want, "{name}");
        assert_eq!(permission(&direct).0, want, "{name}");
    }
    let r = run_in(&d, &["--remote", &base, "--api-key", &s.key], &rm);
    assert_eq!(r.answer().0, "ask");

    // Sessions: the bulk-delete cap holds over the http hook too.
    for n in 1..=11 {
        let del = edited("mcp_delete_file", |v| {
            v["session_id"] = json!("s-http");
            v["tool_input"]["path"] = json!(format!("/work/proj/tmp/h{n}.txt"));
        });
        let (_, body) = post(&s.addr, url, &s.key, &del);
        let want = if n <= 10 { "allow" } else { "deny" };
        assert_eq!(permission(&body).0, want, "deletion {n}: {body}");
    }

    // Failures are 200 + deny (any other status lets the host run the
    // tool): no key, a wrong key, a malformed body, a duplicated key.
    for (key, body) in [
        ("", payload("bash_cargo_test")),
        ("p0k_wrong", payload("bash_cargo_test")),
        (s.key.as_str(), b"{\"hook_event_name\": \"PreTo".to_vec()),
        (
            s.key.as_str(),
            String::from_utf8(payload("bash_cargo_test"))
                .unwrap()
                .replacen(
                    r#""tool_name":"Bash""#,
                    r#""tool_name":"Bash","tool_name":"Read""#,
                    1,
                )
                .into_bytes(),
        ),
    ] {
        let (status, answer) = post(&s.addr, url, key, &body);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(permission(&answer).0, "deny", "{answer}");
    }
    // Another event: an empty 200, no decision.
    let (status, body) = post(&s.addr, url, &s.key, &payload("post_tool_use"));
    assert_eq!((status, body.as_str()), (200, ""));
    let (status, body) = post(&s.addr, url, "", &payload("post_tool_use"));
    assert_eq!((status, body.as_str()), (200, ""), "whoever sends it");
    // A wrong key through the command hook: deny as well.
    let r = run_in(
        &d,
        &["--remote", &base, "--api-key", "p0k_wrong"],
        &payload("read"),
    );
    assert_eq!(r.answer().0, "deny");
}

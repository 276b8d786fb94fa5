//! Build-flag variables whose everyday values are harmless (round 25's
//! everyday over-blocks): `GOFLAGS=-count=1 go test ./...`, `RUSTFLAGS='-D
//! warnings' cargo check`, `PYTHONPATH=src pytest`.
//!
//! Each variable is judged by its value, token by token, against a short
//! list of spellings that change what is compiled or reported, never what
//! runs: Go's flags that count, tag, trim or name a read-only module mode;
//! rustc's lint levels, `--cfg`, and codegen options that tune (opt-level,
//! debuginfo, target-cpu); a `PYTHONPATH` of folders inside the workspace,
//! named relative to it. Any other spelling keeps the variable unknown, as
//! before: `GOFLAGS=-toolexec=/tmp/x`, `-exec`, `-overlay`, `-modfile`,
//! `-mod=mod`, `-ldflags` (an external linker); `RUSTFLAGS='-C
//! linker=/tmp/x'`, `-Clink-arg`, `-L`, `--extern`, `-Z`; `PYTHONPATH=/tmp`,
//! `~/x`, `$HOME`, `../x`, `src/../../x`. A value the shell expands (`$`,
//! a backquote) is never judged.

/// Whether `NAME=value` (name upper-cased) is one of these variables with
/// an everyday value.
pub fn harmless(name: &str, value: &str) -> bool {
    if value.contains(['$', '`', '~', '\\', '\n', '\'', '"']) {
        return false;
    }
    match name {
        "GOFLAGS" => value.split_ascii_whitespace().all(go_flag),
        "RUSTFLAGS" | "RUSTDOCFLAGS" => rust_flags(value),
        "PYTHONPATH" => value.split(':').all(workspace_folder),
        _ => false,
    }
}

/// One of `GOFLAGS`' tokens: `-count=1`, `-v`, `-race`, `-tags=a,b`,
/// `-mod=readonly` or `vendor`, `-trimpath`, `-buildvcs=false`, `-p=4`,
/// `-short`, `-timeout=5m`, `-cover`, `-failfast`, `-json`.
fn go_flag(t: &str) -> bool {
    let t = t.strip_prefix("--").or_else(|| t.strip_prefix('-'));
    let Some(t) = t else { return false };
    let (name, value) = match t.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (t, None),
    };
    let plain = |v: &str| {
        !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ',' | '_' | '.'))
    };
    match (name, value) {
        (
            "v" | "race" | "trimpath" | "short" | "cover" | "failfast" | "json" | "modcacherw",
            None,
        ) => true,
        ("count" | "p" | "parallel" | "timeout" | "tags" | "buildvcs" | "covermode", Some(v)) => {
            plain(v)
        }
        ("mod", Some(v)) => matches!(v, "readonly" | "vendor"),
        _ => false,
    }
}

/// rustc's flags that set lint levels, cfgs, or tune code generation:
/// `-D warnings`, `-Dwarnings`, `-W x`, `-A x`, `-F x`, `--cfg x`, `-C
/// opt-level=2`, `-Ctarget-cpu=native`, `-C debuginfo=1`, `--cap-lints
/// warn`.
fn rust_flags(value: &str) -> bool {
    let mut toks = value.split_ascii_whitespace();
    let plain = |v: &str| {
        !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '='))
    };
    let codegen = |v: &str| {
        let (k, x) = v.split_once('=').unwrap_or((v, ""));
        matches!(
            k,
            "opt-level"
                | "debuginfo"
                | "target-cpu"
                | "codegen-units"
                | "debug-assertions"
                | "overflow-checks"
                | "force-frame-pointers"
                | "strip"
                | "panic"
        ) && x.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    while let Some(t) = toks.next() {
        let ok = match t {
            "-D" | "-W" | "-A" | "-F" | "--cfg" | "--cap-lints" | "--force-warn" => {
                toks.next().is_some_and(|v| plain(v) && !v.contains('='))
            }
            "-C" | "--codegen" => toks.next().is_some_and(codegen),
            _ => {
                if let Some(v) = t.strip_prefix("-C") {
                    codegen(v)
                } else if let Some(v) = ["-D", "-W", "-A", "-F"]
                    .iter()
                    .find_map(|p| t.strip_prefix(p))
                {
                    plain(v) && !v.contains('=')
                } else {
                    false
                }
            }
        };
        if !ok {
            return false;
        }
    }
    true
}

/// A folder named relative to the workspace that stays inside it: `src`,
/// `.`, `lib/python`, `` (the current folder); not `/tmp`, `../x`,
/// `src/../../x`.
fn workspace_folder(d: &str) -> bool {
    !d.starts_with('/')
        && d.split('/').all(|s| s != "..")
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
}

#[cfg(test)]
mod tests {
    use super::harmless;

    /// Round 25's everyday: a test run with Go's, rustc's or Python's
    /// everyday flags is the project's own build, allowed as it is without
    /// them.
    #[test]
    fn everyday_build_flags_are_harmless() {
        for (n, v) in [
            ("GOFLAGS", "-count=1"),
            ("GOFLAGS", "-count=1 -race -v"),
            ("GOFLAGS", "-mod=vendor -tags=integration,slow -trimpath"),
            ("RUSTFLAGS", "-D warnings"),
            ("RUSTFLAGS", "-Dwarnings -W clippy::pedantic"),
            ("RUSTFLAGS", "-C target-cpu=native -C opt-level=3"),
            ("RUSTFLAGS", "--cfg tokio_unstable"),
            ("RUSTDOCFLAGS", "-D warnings"),
            ("PYTHONPATH", "src"),
            ("PYTHONPATH", "src:tests"),
            ("PYTHONPATH", "."),
            ("PYTHONPATH", "lib/python"),
        ] {
            assert!(harmless(n, v), "{n}={v}");
        }
    }

    /// The attacker's spellings of the same variables: each makes the
    /// build run a program, load code or read a module from outside the
    /// workspace, and stays unknown (escalated).
    #[test]
    fn build_flags_that_run_code_are_not() {
        for (n, v) in [
            ("GOFLAGS", "-toolexec=/tmp/x"),
            ("GOFLAGS", "-count=1 -toolexec=/tmp/x"),
            ("GOFLAGS", "-exec=/tmp/x"),
            ("GOFLAGS", "-mod=mod"),
            ("GOFLAGS", "-overlay=/tmp/o.json"),
            ("GOFLAGS", "-modfile=/tmp/go.mod"),
            ("GOFLAGS", "-ldflags=-extld=/tmp/x"),
            ("GOFLAGS", "-tags=$(id)"),
            ("GOFLAGS", "-count=1\n-exec=/tmp/x"),
            ("RUSTFLAGS", "-C linker=/tmp/x"),
            ("RUSTFLAGS", "-Clinker=/tmp/x"),
            ("RUSTFLAGS", "-D warnings -C linker=/tmp/x"),
            ("RUSTFLAGS", "-C link-arg=-Wl,-rpath,/tmp"),
            ("RUSTFLAGS", "-L /tmp"),
            ("RUSTFLAGS", "--extern x=/tmp/libx.rlib"),
            ("RUSTFLAGS", "-Z unstable-options"),
            ("RUSTFLAGS", "-C llvm-args=-load=/tmp/x.so"),
            ("RUSTFLAGS", "-D"),
            ("PYTHONPATH", "/tmp"),
            ("PYTHONPATH", "src:/tmp"),
            ("PYTHONPATH", "../other"),
            ("PYTHONPATH", "src/../../x"),
            ("PYTHONPATH", "~/x"),
            ("PYTHONPATH", "$HOME/x"),
            ("PYTHONPATH", "/home/dev/.local/lib"),
            ("PYTHONHOME", "src"),
            ("PYTHONSTARTUP", "src/x.py"),
        ] {
            assert!(!harmless(n, v), "{n}={v}");
        }
    }
}

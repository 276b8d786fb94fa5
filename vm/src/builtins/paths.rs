//! Paths: whether a path lies outside the agent's workspace or in a
//! credential or system location. (URLs and hosts are in `url.rs`.)
//!
//! Paths are resolved lexically (`.` and `..` folded); symlinks cannot be
//! followed from here, which the embedding should do before it calls.

/// Folds `.` and `..`; `None` when `..` climbs above the root it starts at.
fn fold(parts: &[&str]) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for p in parts {
        match *p {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            x => out.push(x.to_string()),
        }
    }
    Some(out)
}

/// Scratch locations a command may always write: not "outside".
fn scratch(abs: &[String]) -> bool {
    let second = abs.get(1).map(String::as_str);
    match abs.first().map(String::as_str) {
        Some("tmp") => true,
        Some("var") => second == Some("tmp"),
        Some("dev") => matches!(second, Some("null" | "stdout" | "stderr" | "tty" | "fd")),
        _ => false,
    }
}

/// Whether `path` lies outside `workspace` (an absolute directory; when
/// unknown, only relative paths count as inside). `~`, `$VAR` and
/// `file://` paths outside it count as outside; `/tmp` and `/var/tmp` are
/// scratch space and count as inside.
pub fn outside(path: &str, workspace: Option<&str>) -> bool {
    let p = path.trim();
    let p = p.strip_prefix("file://").unwrap_or(p);
    let p = p.replace('\\', "/");
    let ws = workspace
        .map(|w| w.trim().replace('\\', "/"))
        .filter(|w| w.starts_with('/'));
    if p.is_empty() {
        return false;
    }
    if let Some(rest) = p.strip_prefix("$PWD").or_else(|| p.strip_prefix("${PWD}")) {
        return outside(&format!(".{rest}"), workspace);
    }
    if p.starts_with('~') || p.starts_with('$') || p.get(1..3) == Some(":/") {
        return true;
    }
    let ws_parts: Option<Vec<String>> = ws
        .as_deref()
        .and_then(|w| fold(&w.split('/').collect::<Vec<_>>()));
    if p.starts_with('/') {
        let Some(abs) = fold(&p.split('/').collect::<Vec<_>>()) else {
            return true;
        };
        if scratch(&abs) {
            return false;
        }
        return match ws_parts {
            Some(w) => !abs.starts_with(&w),
            None => true,
        };
    }
    // Relative: inside unless `..` climbs out of the workspace.
    match ws_parts {
        Some(w) => {
            let mut all: Vec<&str> = w.iter().map(String::as_str).collect();
            all.extend(p.split('/'));
            match fold(&all) {
                Some(abs) => !abs.starts_with(&w),
                None => true,
            }
        }
        None => fold(&p.split('/').collect::<Vec<_>>()).is_none(),
    }
}

/// Credential and system locations: SSH and cloud keys, `.env` files,
/// keychains, shell profiles, `/etc`, `/root`, `/proc`, package-manager
/// tokens.
pub fn sensitive(path: &str) -> bool {
    let p = path.trim().replace('\\', "/").to_lowercase();
    let name = p.rsplit('/').next().unwrap_or(&p);
    const DIRS: &[&str] = &[
        "/.ssh",
        "/.aws",
        "/.gnupg",
        "/.kube",
        "/.docker",
        "/.azure",
        "/.config/gcloud",
        "/.config/gh",
        "/library/keychains",
        "/.password-store",
        "/.vault-token",
        "/.git/config",
        "/.terraform.d",
        "/.m2/settings.xml",
        "/.cargo/credentials",
    ];
    // System files whose reading leaks secrets or whose writing persists
    // or escalates; the rest of /usr, /etc … is merely outside the workspace.
    const ROOTS: &[&str] = &[
        "/etc/shadow",
        "/etc/gshadow",
        "/etc/sudoers",
        "/etc/ssh/",
        "/etc/ssl/private",
        "/etc/cron",
        "/etc/systemd/",
        "/etc/profile",
        "/etc/bash",
        "/etc/zsh",
        "/etc/pam.d",
        "/etc/ld.so.preload",
        "/etc/hosts",
        "/etc/passwd",
        "/etc/environment",
        "/etc/init.d",
        "/etc/rc.local",
        "/etc/security/",
        "/etc/kubernetes/",
        "/root/",
        "/proc/",
        "/sys/",
        "/boot/",
        "/var/run/secrets",
        "/run/secrets",
        "/library/launch",
        "/var/spool/cron",
    ];
    const NAMES: &[&str] = &[
        ".env",
        ".netrc",
        ".npmrc",
        ".pypirc",
        ".pgpass",
        ".bashrc",
        ".bash_profile",
        ".profile",
        ".zshrc",
        ".zprofile",
        ".zshenv",
        ".bash_login",
        ".bash_logout",
        "authorized_keys",
        "known_hosts",
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
        "credentials",
        "credentials.json",
        "service-account.json",
        ".git-credentials",
        "secrets.yaml",
        "secrets.yml",
        "secrets.json",
        ".htpasswd",
        "shadow",
        "sudoers",
        "wallet.dat",
        "keychain",
        "login.keychain-db",
        ".dockercfg",
        "kubeconfig",
    ];
    let slashed = if p.starts_with('/') || p.starts_with('~') {
        p.trim_start_matches('~').to_string()
    } else {
        format!("/{p}")
    };
    DIRS.iter()
        .any(|d| slashed.contains(&format!("{d}/")) || slashed.ends_with(d))
        || ROOTS
            .iter()
            .any(|r| slashed.starts_with(r) || format!("{slashed}/") == *r)
        || NAMES.contains(&name)
        || name.starts_with(".env.")
        || name.ends_with(".pem")
        || name.ends_with(".key")
        || name.ends_with(".p12")
        || name.ends_with(".pfx")
        || name.ends_with(".keystore")
        || name.ends_with(".jks")
        || name.ends_with(".kdbx")
        || (name.starts_with("id_") && name.ends_with(".pub"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn workspace() {
        let ws = Some("/work/proj");
        assert!(!outside("src/main.rs", ws));
        assert!(!outside("/work/proj/src/main.rs", ws));
        assert!(!outside("./a/../b", ws));
        assert!(outside("../other/x", ws));
        assert!(outside("/work/proj/../other", ws));
        assert!(outside("/work/project2/x", ws));
        assert!(outside("/etc/passwd", ws));
        assert!(outside("~/.ssh/id_rsa", ws));
        assert!(outside("$HOME/.bashrc", ws));
        assert!(outside("C:/Windows/x", ws));
        assert!(!outside("/tmp/x", ws));
        assert!(!outside("/dev/null", ws));
        assert!(outside("/dev/sda", ws));
        assert!(!outside("file:///work/proj/a", ws));
        assert!(outside("/work/proj", None));
        assert!(!outside("a/b", None));
        assert!(outside("a/../../b", None));
    }

    #[test]
    fn sensitive_paths() {
        for p in [
            "~/.ssh/id_rsa",
            "/home/u/.ssh/authorized_keys",
            "/Users/u/.AWS/credentials",
            ".env",
            "config/.env.production",
            "/etc/shadow",
            "/etc/hosts",
            "~/.bashrc",
            "certs/server.key",
            "/home/u/.kube/config",
            "/root/x",
            "~/.git-credentials",
        ] {
            assert!(sensitive(p), "{p}");
        }
        for p in [
            "src/main.rs",
            "README.md",
            "/work/proj/env.rs",
            "docs/keys.md",
        ] {
            assert!(!sensitive(p), "{p}");
        }
    }
}

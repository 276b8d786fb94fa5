//! Paths and URLs: whether a path lies outside the agent's workspace or in a
//! credential or system location, a URL's host, and where a host sits.
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

/// `https://user:pw@API.Example.com.:8443/x?q` → `api.example.com`;
/// `[::1]:80` → `::1`. A bare host or `host/path` works too.
pub fn url_host(url: &str) -> Option<String> {
    let u = url.trim();
    let rest = match u.find("://") {
        Some(i) => u.get(i + 3..)?,
        None => u.strip_prefix("//").unwrap_or(u),
    };
    // Browsers read `\` as `/` in http(s) URLs.
    let authority = rest.split(['/', '\\', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else if authority.matches(':').count() > 1 {
        authority
    } else {
        authority.split(':').next().unwrap_or("")
    };
    let h = host.trim_end_matches('.').to_lowercase();
    (!h.is_empty()).then_some(h)
}

/// An IPv4 address in any form `inet_aton` accepts: dotted, decimal
/// (`2130706433`), hex (`0x7f.1`), octal (`0177.0.0.1`), short (`127.1`).
fn ipv4(h: &str) -> Option<[u8; 4]> {
    let parts: Vec<&str> = h.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let num = |s: &str| -> Option<u64> {
        if let Some(x) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            u64::from_str_radix(x, 16).ok()
        } else if s.len() > 1 && s.starts_with('0') {
            u64::from_str_radix(s.get(1..)?, 8).ok()
        } else {
            s.parse().ok()
        }
    };
    let vals: Vec<u64> = parts.iter().map(|p| num(p)).collect::<Option<_>>()?;
    let (last, head) = vals.split_last()?;
    if head.iter().any(|v| *v > 255) {
        return None;
    }
    let room = 8 * (4 - head.len() as u32);
    if *last >= 1u64 << room {
        return None;
    }
    let mut n: u64 = 0;
    for v in head {
        n = (n << 8) | v;
    }
    n = (n << room) | last;
    let b = (n as u32).to_be_bytes();
    Some(b)
}

/// `loopback`, `private_network` (RFC 1918, link-local incl. the cloud
/// metadata address, CGNAT, IPv6 ULA), `internal` (the org's domain or a
/// subdomain, or `.internal`/`.local`/`.corp` names) or `external`.
pub fn host_scope(host: &str, org_domain: Option<&str>) -> &'static str {
    let h = url_host(host).unwrap_or_default();
    if h.is_empty() {
        return "external";
    }
    if h == "localhost" || h.ends_with(".localhost") || h == "::1" || h == "0:0:0:0:0:0:0:1" {
        return "loopback";
    }
    if let Some(v6) = h.strip_prefix("::ffff:") {
        return host_scope(v6, org_domain);
    }
    if let Some([a, b, _, _]) = ipv4(&h) {
        return match (a, b) {
            (127, _) | (0, _) => "loopback",
            (10, _) | (192, 168) | (169, 254) => "private_network",
            (172, b) if (16..32).contains(&b) => "private_network",
            (100, b) if (64..128).contains(&b) => "private_network",
            _ => "external",
        };
    }
    if h.contains(':') {
        return if h.starts_with("fc") || h.starts_with("fd") || h.starts_with("fe80") {
            "private_network"
        } else {
            "external"
        };
    }
    if h == "metadata.google.internal" || h == "metadata" || h == "instance-data" {
        return "private_network";
    }
    if let Some(org) = org_domain
        .map(|d| d.trim().trim_end_matches('.').to_lowercase())
        .filter(|d| !d.is_empty())
    {
        if h == org || h.ends_with(&format!(".{org}")) {
            return "internal";
        }
    }
    "external"
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

    #[test]
    fn hosts() {
        assert_eq!(
            url_host("https://user:pw@API.Example.com.:8443/x?q").unwrap(),
            "api.example.com"
        );
        assert_eq!(url_host("http://[::1]:80/").unwrap(), "::1");
        assert_eq!(url_host("example.com/path").unwrap(), "example.com");
        assert_eq!(url_host("https://evil.io\\@acme.com/").unwrap(), "evil.io");
        assert_eq!(url_host("https://acme.com@evil.io/").unwrap(), "evil.io");
        let s = |h: &str| host_scope(h, Some("acme.com"));
        assert_eq!(s("http://localhost:8080"), "loopback");
        assert_eq!(s("http://127.0.0.1/"), "loopback");
        assert_eq!(s("http://2130706433/"), "loopback");
        assert_eq!(s("http://0x7f000001/"), "loopback");
        assert_eq!(s("http://0177.0.0.1/"), "loopback");
        assert_eq!(s("http://127.1/"), "loopback");
        assert_eq!(s("http://[::ffff:127.0.0.1]/"), "loopback");
        assert_eq!(
            s("http://169.254.169.254/latest/meta-data"),
            "private_network"
        );
        assert_eq!(s("http://10.1.2.3"), "private_network");
        assert_eq!(s("http://172.20.0.1"), "private_network");
        assert_eq!(s("http://192.168.1.1"), "private_network");
        assert_eq!(s("http://metadata.google.internal/"), "private_network");
        assert_eq!(s("https://wiki.acme.com/x"), "internal");
        assert_eq!(s("https://acme.com.evil.io/"), "external");
        assert_eq!(s("https://evilacme.com/"), "external");
        assert_eq!(s("https://example.org"), "external");
        assert_eq!(host_scope("https://wiki.acme.com", None), "external");
    }
}

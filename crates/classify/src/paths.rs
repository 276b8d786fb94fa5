//! Paths: whether a path lies outside the agent's workspace or in a
//! credential or system location. (URLs and hosts are in `url.rs`.)
//!
//! Paths are resolved lexically (`.` and `..` folded); symlinks cannot be
//! followed from here, which the embedding should do before it calls.

/// Longer paths than the kernel takes (`PATH_MAX`): no such file can be
/// opened, and judging one would cost time linear in an attacker's
/// megabyte — each answer here takes the strict side instead.
const MAX_PATH: usize = 4096;

use std::borrow::Cow;
use std::sync::OnceLock;

/// Folds `.` and `..` of `parts` onto `out` (already folded); `false` when
/// `..` climbs above the root it starts at.
fn fold<'a>(parts: impl Iterator<Item = &'a str>, out: &mut Vec<&'a str>) -> bool {
    for p in parts {
        match p {
            "" | "." => {}
            ".." => {
                if out.pop().is_none() {
                    return false;
                }
            }
            x => out.push(x),
        }
    }
    true
}

/// `s.split('/')`, found by a byte loop: path segments are short, and a
/// `memchr` set up for each costs more than it finds.
fn slash_split(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == b'/') {
            // `/` is ASCII: both cuts fall on character boundaries
            Some(at) => {
                rest = r.get(at + 1..);
                r.get(..at)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Scratch locations a command may always write: not "outside".
fn scratch(abs: &[&str]) -> bool {
    let second = abs.get(1).copied();
    match abs.first().copied() {
        Some("tmp") => true,
        Some("var") => second == Some("tmp"),
        Some("dev") => matches!(second, Some("null" | "stdout" | "stderr" | "tty" | "fd")),
        _ => false,
    }
}

/// Whether an absolute path lies in scratch space (`/tmp`, `/var/tmp`),
/// which [`outside`] counts as inside the workspace for writes.
pub fn in_scratch(path: &str) -> bool {
    let p = slashed(path.trim());
    if !p.starts_with('/') {
        return false;
    }
    let mut abs: Vec<&str> = Vec::new();
    fold(slash_split(&p), &mut abs)
        && matches!(abs.first().copied(), Some("tmp" | "var"))
        && scratch(&abs)
}

/// `s` with `\\` read as `/` (a Windows-style separator), copied only when
/// there is one.
fn slashed(s: &str) -> Cow<'_, str> {
    if s.contains('\\') {
        Cow::Owned(s.replace('\\', "/"))
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` lowercased: bytewise for ASCII (every path the lists name), by
/// `str::to_lowercase` otherwise.
fn lower(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        // A case-insensitive file system folds more than `to_lowercase`
        // does: NTFS compares names upper-cased (the long s `ſ` and the
        // dotless `ı` upper-case to ASCII `S` and `I`), APFS by Unicode
        // case folding (`ſ` folds to `s`): `~/.ſsh/id_rſa` is the key
        // there. The Kelvin sign already lowers to `k`.
        s.to_lowercase()
            .chars()
            .map(|c| match c {
                '\u{17f}' => 's',
                '\u{131}' => 'i',
                c => c,
            })
            .collect()
    }
}

/// `s` as [`lower`] makes it, borrowed when that changes nothing (ASCII
/// without upper case: nearly every path a command names).
fn lowered(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|c| c.is_ascii() && !c.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(lower(s))
    }
}

/// `%2e%2e/%2Essh` → `../.ssh`: percent-escapes decoded (a `file://` URL's
/// path is percent-encoded; a tool may decode one too, so both readings
/// are checked).
fn percent_decode(p: &str) -> Option<String> {
    if !p.contains('%') {
        return None;
    }
    let b = p.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = |k: usize| b.get(k).and_then(|x| (*x as char).to_digit(16));
        match (c, hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Whether `path` lies outside `workspace` (an absolute directory; when
/// unknown, only relative paths count as inside). `~`, `$VAR` and
/// `file://` paths outside it count as outside; `/tmp` and `/var/tmp` are
/// scratch space and count as inside. A percent-encoded path is outside
/// when either reading of it is.
pub fn outside(path: &str, workspace: Option<&str>) -> bool {
    if path.len() > MAX_PATH {
        return true;
    }
    outside_raw(path, workspace) || percent_decode(path).is_some_and(|d| outside_raw(&d, workspace))
}

fn outside_raw(path: &str, workspace: Option<&str>) -> bool {
    let p = path.trim();
    let p = p.strip_prefix("file://").unwrap_or(p);
    let p = slashed(p);
    let ws = workspace
        .map(|w| slashed(w.trim()))
        .filter(|w| w.starts_with('/'));
    if p.is_empty() {
        return false;
    }
    if let Some(rest) = p.strip_prefix("$PWD").or_else(|| p.strip_prefix("${PWD}")) {
        return outside_raw(&format!(".{rest}"), workspace);
    }
    if p.starts_with('~') || p.starts_with('$') || p.get(1..3) == Some(":/") {
        return true;
    }
    let mut w: Vec<&str> = Vec::new();
    let ws_known = ws
        .as_deref()
        .is_some_and(|ws| fold(slash_split(ws), &mut w));
    let mut abs: Vec<&str> = Vec::with_capacity(w.len() + 8);
    if p.starts_with('/') {
        if !fold(slash_split(&p), &mut abs) {
            return true;
        }
        if scratch(&abs) {
            return false;
        }
        return !(ws_known && abs.starts_with(&w));
    }
    // Relative: inside unless `..` climbs out of the workspace.
    if ws_known {
        abs.extend_from_slice(&w);
        !(fold(slash_split(&p), &mut abs) && abs.starts_with(&w))
    } else {
        !fold(slash_split(&p), &mut abs)
    }
}

/// A path as lowercase segments, the home directory as a leading `~`:
/// `$HOME`, `${HOME}`, `~user`, `/home/u`, `/Users/u` and macOS's
/// `/private/etc` are folded, `.`, `..`, repeated and trailing `/` too. A
/// relative path is joined to `base` when one is given. An absolute path
/// begins with `""` (the root; `/` itself is `[""]`). The segments borrow
/// one lowercased copy of the path, handed to `f` — every path argument of
/// every command is judged, so this is on the hot path of a shell call.
fn with_segments<R>(path: &str, base: Option<&str>, f: impl FnOnce(&[&str]) -> R) -> R {
    let p = path.trim();
    let p = p.strip_prefix("file://").unwrap_or(p);
    let text = match slashed(p) {
        Cow::Borrowed(b) => lowered(b),
        Cow::Owned(o) => Cow::Owned(lower(&o)),
    };
    // `$HOME/x` reads as `~/x`: its first segment is the home directory.
    let (home, body) = match text
        .strip_prefix("${home}")
        .or_else(|| text.strip_prefix("$home"))
    {
        Some(rest) => (true, rest),
        None => (false, &*text),
    };
    let mut relative =
        !home && !body.starts_with('/') && !body.starts_with('~') && !body.starts_with('$');
    // joined to an absolute base, the path is absolute: `..` from
    // /home/u/proj is the home directory, folded as `~`. The base's
    // segments come first, read from the base itself (lowered only when
    // it has upper case): no joined copy is made.
    let base_text = match base.filter(|b| relative && (b.starts_with('/') || b.starts_with('~'))) {
        Some(b) => {
            relative = false;
            Some(lowered(b))
        }
        None => None,
    };
    let base_segments = base_text
        .as_deref()
        .map(|b| b.trim_end_matches('/'))
        .into_iter()
        .flat_map(slash_split);
    let mut out: Vec<&str> = Vec::with_capacity(16);
    let mut parts = base_segments.chain(slash_split(body));
    let mut first = parts.next();
    if home || first.is_some_and(|f| f.starts_with('~')) {
        out.push("~");
        first = None;
    }
    for s in first.into_iter().chain(parts) {
        match s {
            "" | "." => {}
            ".." => {
                // `/dev/fd` is a link to `/proc/self/fd`: its parent is the
                // process's own directory (`/dev/fd/../environ`)
                if !relative && out == ["dev", "fd"] {
                    out.clear();
                    out.extend(["proc", "self", "fd"]);
                }
                if out.last().is_some_and(|l| *l != "~" && *l != "..") {
                    out.pop();
                } else if out.is_empty() && relative {
                    out.push("..");
                }
            }
            x => out.push(windows_name(x)),
        }
    }
    if !relative {
        match out.first().copied() {
            // `/home/u/…`, `/users/u/…` → `~/…`
            Some("home" | "users") if out.len() > 1 => {
                out.drain(..2);
                out.insert(0, "~");
            }
            // root's home directory, judged as any home: its keys, history
            // and start-up files are secrets, a project under it is not
            Some("root") => {
                if let Some(f) = out.first_mut() {
                    *f = "~";
                }
            }
            _ => {}
        }
        // `/private/etc` → `/etc`
        if out.first() == Some(&"private") {
            out.remove(0);
        }
        // `/` itself is `[""]`, the root, not the empty relative path
        if out.first() != Some(&"~") {
            out.insert(0, "");
        }
    }
    f(&out)
}

/// A segment as Windows opens it: the default data stream (`.env::$DATA`,
/// `.env:$DATA`) is the file, and trailing dots and spaces are dropped
/// (`.git./hooks` is `.git/hooks`). Judging a name by the stricter of the
/// two systems costs nothing on POSIX names, which rarely end so.
fn windows_name(s: &str) -> &str {
    let s = s
        .strip_suffix("::$data")
        .or_else(|| s.strip_suffix(":$data"))
        // a folder's index stream is the folder (`.git::$INDEX_ALLOCATION`)
        .or_else(|| s.strip_suffix("::$index_allocation"))
        .or_else(|| s.strip_suffix(":$i30:$index_allocation"))
        .unwrap_or(s);
    let s = match s.trim_end_matches(['.', ' ']) {
        "" => s,
        t => t,
    };
    short_name(s).unwrap_or(s)
}

/// The dot-folder an 8.3 short name stands for on Windows (`GIT~1` is
/// `.git`: a name with a leading dot always gets a short name, its dot
/// dropped, the whole name kept when it is six characters or fewer). Only
/// the folders the lists below name are mapped; a short name of another
/// folder or of a longer name cannot be read back (left open).
fn short_name(s: &str) -> Option<&'static str> {
    let b = s.as_bytes();
    if !b.last()?.is_ascii_digit() || b.len() > 8 {
        return None;
    }
    let (base, n) = s.rsplit_once('~')?;
    if n.is_empty() || !n.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(match base {
        "git" => ".git",
        "ssh" => ".ssh",
        "aws" => ".aws",
        "azure" => ".azure",
        "gnupg" => ".gnupg",
        "kube" => ".kube",
        "claude" => ".claude",
        "github" => ".github",
        "gitlab" => ".gitlab",
        "vscode" => ".vscode",
        "cursor" => ".cursor",
        "config" => ".config",
        "docker" => ".docker",
        "husky" => ".husky",
        "cargo" => ".cargo",
        "codex" => ".codex",
        "gemini" => ".gemini",
        "idea" => ".idea",
        "envrc" => ".envrc",
        "env" => ".env",
        "npmrc" => ".npmrc",
        "netrc" => ".netrc",
        "pgpass" => ".pgpass",
        "bashrc" => ".bashrc",
        "zshrc" => ".zshrc",
        "mcp" => ".mcp",
        _ => return None,
    })
}

/// Directories (as segment sequences, anywhere in a path) whose files are
/// secrets: credentials, keys, browser stores, history, and settings that
/// carry tokens. Reading them exposes the secret; writing them plants one.
const SECRET_DIRS: &[&[&str]] = &[
    &[".ssh"],
    &[".aws"],
    &[".azure"],
    &[".gnupg"],
    &[".kube"],
    &[".password-store"],
    &[".terraform.d"],
    &[".config", "gcloud"],
    &[".config", "gh"],
    &[".config", "hub"],
    &[".config", "op"],
    &[".config", "git"],
    &[".config", "pip"],
    // fish keeps exported universal variables in fish_variables
    &[".config", "fish"],
    &[".config", "google-chrome"],
    &[".config", "chromium"],
    &[".config", "bravesoftware"],
    &[".config", "microsoft-edge"],
    &[".config", "code", "user"],
    &[".config", "claude"],
    // command-line tools that keep a token or a key in their settings
    &[".config", "rclone"],
    &[".config", "containers"],
    &[".config", "helm"],
    &[".config", "doctl"],
    &[".config", "configstore"],
    &[".config", "stripe"],
    &[".config", "sops"],
    &[".config", "age"],
    &[".config", "ngrok"],
    &[".config", "cloudflared"],
    &[".config", "hcloud"],
    &[".config", "netlify"],
    &[".config", ".wrangler"],
    &[".wrangler"],
    &[".fly"],
    &[".oci"],
    &[".doppler"],
    &[".mozilla"],
    &[".docker", "config.json"],
    &[".cargo", "credentials"],
    &[".cargo", "credentials.toml"],
    &[".m2", "settings.xml"],
    &[".gradle", "gradle.properties"],
    &[".local", "share", "keyrings"],
    &[".local", "share", "fish"],
    &["library", "keychains"],
    &["library", "cookies"],
    &["library", "safari"],
    &["library", "application support", "google", "chrome"],
    &["library", "application support", "firefox"],
    &["library", "application support", "bravesoftware"],
    &["library", "application support", "microsoft edge"],
    &["library", "application support", "code", "user"],
    // the same tools' folders on Windows (`%APPDATA%`, `%LOCALAPPDATA%`),
    // named so through a WSL mount (`/mnt/c/Users/u/AppData/…`) or a
    // Windows path
    &["appdata", "roaming", "gcloud"],
    &["appdata", "roaming", "github cli"],
    &["appdata", "roaming", "code", "user"],
    &["appdata", "roaming", "claude"],
    &["appdata", "roaming", "mozilla"],
    &["appdata", "roaming", "microsoft", "credentials"],
    &["appdata", "local", "microsoft", "credentials"],
    &["appdata", "roaming", "microsoft", "protect"],
    &["appdata", "local", "google", "chrome", "user data"],
    &["appdata", "local", "microsoft", "edge", "user data"],
    &["appdata", "local", "bravesoftware"],
    &["appdata", "roaming", "rclone"],
    &["appdata", "roaming", "pip"],
    &["appdata", "roaming", "stripe"],
    // agent settings: tokens, MCP server environments, hooks
    &[".claude"],
    &[".codex"],
    &[".gemini"],
    &[".cursor"],
    &[".continue"],
    // round 15: more agents' folders (rules, MCP servers and their
    // environments) and VS Code's MCP servers
    &[".roo"],
    &[".kiro"],
    &[".windsurf"],
    &[".amazonq"],
    &[".vscode", "mcp.json"],
    // editor run configurations carry environment variables and
    // connection passwords
    &[".vscode", "settings.json"],
    &[".vscode", "launch.json"],
    &[".idea", "workspace.xml"],
    // round 12: more tools that keep a token, a password or a key in a
    // file of their own (package registries, data platforms, CI clients,
    // AI tools, deploy CLIs)
    &[".ivy2"],
    &[".sbt"],
    &[".nuget"],
    &[".composer"],
    &[".pip"],
    &[".bundle", "config"],
    &[".circleci", "cli.yml"],
    &[".supabase"],
    &[".kaggle"],
    &[".dbt"],
    &[".snowsql"],
    &[".huggingface"],
    &[".cache", "huggingface"],
    &[".config", "composer"],
    &[".config", "glab-cli"],
    &[".config", "doppler"],
    &[".config", "github-copilot"],
    &[".config", "heroku"],
    &[".local", "share", "com.vercel.cli"],
    // session 22, found probing: deploy CLIs' tokens, crypto wallets (a
    // key there moves money), chat clients' tokens and passwords, remote
    // desktop and VPN keys, environment files a login loads
    &[".vercel", "auth.json"],
    &[".now", "auth.json"],
    &[".netlify", "config.json"],
    &[".railway"],
    &[".ngrok2"],
    &[".openai"],
    &[".electrum"],
    &[".ethereum", "keystore"],
    &[".config", "solana"],
    &[".bitcoin"],
    &[".config", "signal"],
    &[".config", "discord"],
    &[".config", "keybase"],
    &[".purple"],
    &[".config", "hexchat"],
    &[".config", "filezilla"],
    &[".config", "remmina"],
    &[".local", "share", "remmina"],
    &[".vnc"],
    &[".wireguard"],
    &[".config", "environment.d"],
];

/// Directories whose files run on their own — on a commit, a push, a
/// build, a login, a boot, an editor opening the folder — but hold no
/// secret: reading them is ordinary work (an agent reads the CI workflow
/// to see why a build fails); writing them runs code later, unasked.
const RUNS_CODE_DIRS: &[&[&str]] = &[
    &[".config", "nvim"],
    &[".config", "autostart"],
    &[".config", "systemd"],
    &["library", "launchagents"],
    &["library", "launchdaemons"],
    &[".git", "hooks"],
    &[".githooks"],
    &[".husky"],
    &[".cargo", "config"],
    &[".cargo", "config.toml"],
    &[".github", "workflows"],
    &[".github", "actions"],
    &[".circleci"],
    &[".buildkite"],
    &[".devcontainer"],
    &[".vscode", "tasks.json"],
    // round 12: CI systems that read a folder of pipelines
    &[".gitlab", "ci"],
    &[".woodpecker"],
    &[".gitea", "workflows"],
    &[".forgejo", "workflows"],
    &[".tekton"],
    &[".semaphore"],
    &[".config", "husky"],
    // round 15: editors' and agents' run configurations, tasks and rules
    &[".idea", "runconfigurations"],
    &[".zed"],
    &[".junie"],
];

/// File names that are secrets wherever they are: credentials, keys,
/// history, shell start-up files (they export tokens), cookie and password
/// stores.
const SECRET_NAMES: &[&str] = &[
    ".env",
    ".envrc",
    ".netrc",
    "_netrc",
    ".pgpass",
    ".my.cnf",
    ".npmrc",
    ".yarnrc",
    ".yarnrc.yml",
    ".pypirc",
    ".gitconfig",
    ".git-credentials",
    ".vault-token",
    ".boto",
    ".s3cfg",
    ".databrickscfg",
    ".dockercfg",
    "kubeconfig",
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".cshrc",
    ".tcshrc",
    ".kshrc",
    ".pam_environment",
    ".bash_history",
    ".zsh_history",
    ".sh_history",
    ".history",
    ".python_history",
    ".node_repl_history",
    ".psql_history",
    ".mysql_history",
    ".sqlite_history",
    ".rediscli_history",
    ".lesshst",
    ".viminfo",
    "fish_history",
    "authorized_keys",
    "authorized_keys2",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "id_ecdsa_sk",
    "id_ed25519_sk",
    "credentials",
    "credentials.json",
    "credentials.toml",
    "client_secret.json",
    "secrets.yaml",
    "secrets.yml",
    "secrets.json",
    "secrets.toml",
    ".htpasswd",
    "shadow",
    "gshadow",
    "sudoers",
    "wallet.dat",
    "login.keychain-db",
    "cookies",
    "cookies.sqlite",
    "cookies.binarycookies",
    "login data",
    "web data",
    "logins.json",
    "key3.db",
    "key4.db",
    ".mcp.json",
    ".claude.json",
    // round 15: agents' settings that start MCP servers or keep a key
    "opencode.json",
    "opencode.jsonc",
    ".aider.conf.yml",
    ".aider.conf.yaml",
    "terraform.tfstate",
    "terraform.tfstate.backup",
    // round 12
    ".terraformrc",
    ".condarc",
    ".passwd-s3fs",
    ".mylogin.cnf",
    ".dbshell",
    ".irb_history",
    ".pry_history",
    ".dev.vars",
    ".secrets",
    "serviceaccountkey.json",
    // round 16: the name `gcloud iam service-accounts keys create` is
    // shown with, an INI of secrets, ODBC's passwords
    "key.json",
    "secrets.ini",
    ".odbc.ini",
    "local.settings.json",
    "deploy_key",
    "shadow-",
    "gshadow-",
    // session 22, found probing: X11 and ICE session cookies (the screen
    // and keyboard of a logged-in user), Ansible Vault password files,
    // a Kubernetes registry secret, Google's OAuth token file
    ".xauthority",
    ".iceauthority",
    ".vault_pass",
    ".vault-pass",
    ".vault_password",
    "vault_pass.txt",
    ".dockerconfigjson",
    "token.json",
];

/// File names that run code on their own wherever they are (CI, commit
/// hooks, editor and terminal start-up, cron) and hold no secret.
const RUNS_CODE_NAMES: &[&str] = &[
    ".bash_logout",
    ".zlogout",
    ".xinitrc",
    ".xprofile",
    ".vimrc",
    ".gvimrc",
    ".emacs",
    ".tmux.conf",
    ".inputrc",
    ".gitlab-ci.yml",
    ".travis.yml",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    "jenkinsfile",
    ".pre-commit-config.yaml",
    "lefthook.yml",
    ".lefthook.yml",
    "lefthook-local.yml",
    ".lefthook-local.yml",
    "crontab",
    "anacrontab",
    // round 12: CI pipelines in one file
    ".drone.yml",
    ".woodpecker.yml",
    "appveyor.yml",
    ".appveyor.yml",
    ".cirrus.yml",
    "cloudbuild.yaml",
    "cloudbuild.yml",
    "buildspec.yml",
    "bitrise.yml",
    "codemagic.yaml",
];

/// System locations whose reading leaks secrets (absolute, after
/// normalization).
const SYSTEM_SECRET: &[&str] = &[
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/ssh",
    "/etc/ssl/private",
    "/etc/environment",
    "/etc/security",
    "/etc/kubernetes",
    "/etc/passwd",
    "/etc/gitconfig",
    "/etc/docker",
    "/etc/apt/auth.conf",
    "/etc/apt/auth.conf.d",
    "/etc/pip.conf",
    "/etc/npmrc",
    "/etc/wireguard",
    "/etc/networkmanager/system-connections",
    "/etc/openvpn",
    "/etc/gitlab-runner",
    "/etc/rancher",
    "/var/backups",
    "/var/run/secrets",
    "/run/secrets",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/lib/docker",
    "/dev/mem",
    "/dev/kmem",
    "/dev/port",
    "/proc/kcore",
    "/library/keychains",
];

/// System locations whose writing persists or escalates and whose reading
/// is harmless (absolute, after normalization).
const SYSTEM_RUNS_CODE: &[&str] = &[
    "/etc/crontab",
    "/etc/anacrontab",
    "/etc/systemd",
    "/lib/systemd",
    "/usr/lib/systemd",
    "/etc/init.d",
    "/etc/init",
    "/etc/rc.local",
    "/etc/profile",
    "/etc/profile.d",
    "/etc/bash.bashrc",
    "/etc/bashrc",
    "/etc/zsh",
    "/etc/zshrc",
    "/etc/zprofile",
    "/etc/pam.d",
    "/etc/ld.so.preload",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/apt/sources.list",
    "/etc/apt/sources.list.d",
    "/var/spool/cron",
    "/var/spool/at",
    "/boot",
    "/library/launchagents",
    "/library/launchdaemons",
];

/// What a path is checked for: a read asks whether it exposes a secret; a
/// write asks that, and whether it plants code that runs later.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Concern {
    Secret,
    Any,
}

/// Names that look sensitive but are not: public keys, known hosts,
/// example environment files.
fn harmless_name(name: &str) -> bool {
    name.ends_with(".pub")
        || name.starts_with("known_hosts")
        || matches!(
            name,
            ".env.example"
                | ".env.sample"
                | ".env.template"
                | ".env.dist"
                | ".env.defaults"
                | ".env.schema"
        )
}

fn under_system(joined: &str, list: &[&str]) -> bool {
    list.iter().any(|s| {
        joined
            .strip_prefix(s)
            .is_some_and(|r| r.is_empty() || r.starts_with('/'))
    })
}

/// The first directories under `/` that the system lists (and `/proc`,
/// `/etc/cron*`) name: a path under any other is none of them, without
/// joining it to compare (a test keeps this in step with the lists).
fn may_be_system(first: &str) -> bool {
    matches!(
        first,
        "etc" | "proc" | "var" | "run" | "dev" | "lib" | "usr" | "boot" | "library"
    )
}

/// Whether a segment can begin an entry of the directory lists: a quick
/// refusal before comparing it against each (a test keeps this in step
/// with the lists).
fn may_begin_dir(s: &str) -> bool {
    s.starts_with('.') || s == "library" || s == "appdata"
}

fn has_dir(segs: &[&str], list: &[&[&str]]) -> bool {
    segs.iter().enumerate().any(|(i, s)| {
        may_begin_dir(s)
            && list
                .iter()
                .any(|dir| segs.get(i..i + dir.len()) == Some(*dir))
    })
}

/// `name` is one of `list`: a hashed copy, made once, probed in a step or
/// two (a path's last segment is asked against two lists for every path
/// a command names).
fn named(set: &'static OnceLock<NameSet>, list: &[&'static str], name: &str) -> bool {
    set.get_or_init(|| NameSet::new(list)).contains(name)
}

/// A set of names as an open-addressed table of at most a quarter load,
/// with an FNV hash: no allocation, and one or two names compared where a
/// search by halves compared seven.
struct NameSet {
    slots: Box<[&'static str]>,
    mask: usize,
}

impl NameSet {
    fn new(list: &[&'static str]) -> NameSet {
        let size = (list.len() * 4).next_power_of_two().max(8);
        let mut slots: Box<[&'static str]> = vec![""; size].into();
        let mask = size - 1;
        for &n in list.iter().filter(|n| !n.is_empty()) {
            let mut i = name_hash(n) & mask;
            while let Some(slot) = slots.get_mut(i) {
                if slot.is_empty() || *slot == n {
                    *slot = n;
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        NameSet { slots, mask }
    }

    fn contains(&self, name: &str) -> bool {
        if name.is_empty() {
            return false;
        }
        let mut i = name_hash(name) & self.mask;
        while let Some(&slot) = self.slots.get(i) {
            if slot.is_empty() {
                return false;
            }
            if slot == name {
                return true;
            }
            i = (i + 1) & self.mask;
        }
        false
    }
}

fn name_hash(s: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in s.as_bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h ^ (h >> 29)) as usize
}

static SECRET_NAME_SET: OnceLock<NameSet> = OnceLock::new();
static RUNS_CODE_NAME_SET: OnceLock<NameSet> = OnceLock::new();

fn concerning_segments(segs: &[&str], concern: Concern) -> bool {
    let name = segs.last().copied().unwrap_or("");
    // A name with a wildcard (`…/.env*`, a Grep `glob`) is every name it
    // may match (round 12).
    if name.contains(['*', '?', '[', '{']) && name.len() <= 256 && glob_may_name_secret(name) {
        return true;
    }
    if harmless_name(name) {
        return false;
    }
    let any = concern == Concern::Any;
    if let ["", first, ..] = segs {
        if may_be_system(first) {
            let joined = segs.join("/");
            if under_system(&joined, SYSTEM_SECRET)
                || (joined.starts_with("/proc/")
                    && matches!(name, "environ" | "mem" | "cmdline" | "auxv" | "maps"))
                // a process's open files, by descriptor or by mapping: any
                // file it holds, a key or a credential store among them
                || matches!(segs, ["", "proc", _, "fd" | "map_files", _, ..])
                || (any
                    && (under_system(&joined, SYSTEM_RUNS_CODE) || joined.starts_with("/etc/cron")))
            {
                return true;
            }
        }
    }
    if has_dir(segs, SECRET_DIRS) || (any && has_dir(segs, RUNS_CODE_DIRS)) {
        return true;
    }
    // Every repository git keeps under `.git` has hooks and a config of its
    // own: a submodule's (`.git/modules/lib/hooks/pre-commit`,
    // `.git/modules/lib/config`) runs as the top one's does. A config holds
    // credentials too (a CI checkout's `http.extraheader` token).
    // Round 12: everything else under `.git` is git's own state, never a
    // file an agent writes by hand: `config.worktree` and a worktree's
    // `config` are read as config, `objects/info/alternates` adds another
    // object store, a ref or `packed-refs` moves a branch without a reflog.
    if let Some(g) = segs.iter().position(|s| *s == ".git") {
        let inner = segs.get(g + 1..).unwrap_or(&[]);
        if (any && !inner.is_empty()) || (name.starts_with("config") && !inner.is_empty()) {
            return true;
        }
    }
    // A `.pth` file (or `sitecustomize`) in a Python environment runs at
    // every start of that interpreter, asked or not.
    if any
        && segs
            .iter()
            .any(|s| *s == "site-packages" || *s == "dist-packages")
        && (name.ends_with(".pth") || matches!(name, "sitecustomize.py" | "usercustomize.py"))
    {
        return true;
    }
    named(&SECRET_NAME_SET, SECRET_NAMES, name)
        || (any && named(&RUNS_CODE_NAME_SET, RUNS_CODE_NAMES, name))
        || (name.starts_with(".env.") && !name.ends_with(".example"))
        || (name.starts_with("id_") && segs.contains(&".ssh"))
        || kubeconfig_name(name)
        || name.starts_with("service-account")
        || name.starts_with("firebase-adminsdk")
        || name.starts_with("krb5cc_")
        || name.ends_with("_deploy_key")
        || [
            ".pem",
            ".key",
            ".p12",
            ".pfx",
            ".keystore",
            ".jks",
            ".kdbx",
            ".ppk",
            ".keychain",
            ".keychain-db",
            ".tfstate",
            ".ovpn",
            ".gpg",
            ".asc",
            ".keytab",
        ]
        .iter()
        .any(|e| name.ends_with(e))
}

/// Round 24 left open: a kubeconfig under another name in the workspace
/// (`kubeconfig.yaml`, `kubeconfig-prod.yml`, `prod.kubeconfig`,
/// `ci_kubeconfig`) holds the cluster's client key or token as
/// `~/.kube/config` does. Source files about kubeconfigs
/// (`kubeconfig.go`, `kubeconfig_test.py`) are not.
fn kubeconfig_name(name: &str) -> bool {
    let stem = [".yaml", ".yml", ".json", ".conf"]
        .iter()
        .find_map(|e| name.strip_suffix(e))
        .unwrap_or(name);
    if let Some(head) = stem.strip_suffix("kubeconfig") {
        return head.is_empty() || head.ends_with(['.', '-', '_']);
    }
    stem.strip_prefix("kubeconfig")
        .is_some_and(|tail| tail.starts_with(['-', '_']) && !tail.contains('.'))
}

/// Secret locations — SSH private keys (not `*.pub` or `known_hosts`),
/// cloud and kube credentials, `.env` (not `.env.example`), `.netrc`,
/// `.pgpass`, browser cookie and password stores, shell history and
/// start-up files, agent settings, `/etc/shadow` and friends — and
/// locations whose files run code on their own: git hooks, CI
/// configuration, cron and systemd units, editor tasks. What a write must
/// not touch. Harmless system files (`/etc/hosts`, `/proc/cpuinfo`) are
/// neither.
pub fn sensitive(path: &str) -> bool {
    sensitive_in(path, None)
}

/// [`sensitive`], with a relative path taken relative to `base` (the
/// workspace or the directory a command runs in) and every reading of a
/// percent-encoded path checked.
pub fn sensitive_in(path: &str, base: Option<&str>) -> bool {
    concerning_in(path, base, Concern::Any)
}

/// Locations whose contents are secrets (the first half of
/// [`sensitive`]): what a read must not expose. A CI workflow or a git
/// hook runs code but holds no secret, so reading one is not.
pub fn secret_in(path: &str, base: Option<&str>) -> bool {
    concerning_in(path, base, Concern::Secret)
}

fn concerning_in(path: &str, base: Option<&str>, concern: Concern) -> bool {
    if path.len() > MAX_PATH {
        return true;
    }
    with_segments(path, base, |s| concerning_segments(s, concern))
        || percent_decode(path)
            .is_some_and(|d| with_segments(&d, base, |s| concerning_segments(s, concern)))
}

/// Where a file-name glob searches: `path` joined with the pattern's
/// leading literal directories. An absolute pattern (`/home/*/.ssh/*`,
/// `~/.aws/*`) searches where it points, not under `path`, and one that
/// climbs (`../../**`) above it; `/` (anywhere) when a brace alternative
/// may begin a path of its own (`{/etc,~}/*`) or a `..` follows a
/// wildcard (`*/../../x`).
pub fn glob_base(path: &str, pattern: &str) -> String {
    if pattern.len() > MAX_PATH || path.len() > MAX_PATH {
        return "/".to_string();
    }
    let pat = pattern.trim().replace('\\', "/");
    let wild = |s: &str| s.contains(['*', '?', '[', '{']);
    if ["{/", ",/", "{~", ",~", "{$", ",$", "{..", ",.."]
        .iter()
        .any(|w| pat.contains(w))
    {
        return "/".to_string();
    }
    let segs: Vec<&str> = pat.split('/').collect();
    let first_wild = segs.iter().position(|s| wild(s));
    if let Some(w) = first_wild {
        if segs.iter().skip(w).any(|s| *s == "..") {
            return "/".to_string();
        }
    }
    // the literal directories: up to the first wildcard, never the last
    // segment (the name matched)
    let end = first_wild.unwrap_or(segs.len().saturating_sub(1));
    let literal = segs.get(..end).unwrap_or(&[]).join("/");
    let absolute = pat.starts_with('/')
        || pat.starts_with('~')
        || pat.starts_with('$')
        || pat.get(1..3) == Some(":/");
    if absolute {
        return if literal.is_empty() {
            "/".to_string()
        } else {
            literal
        };
    }
    let path = path.trim();
    let path = if path.is_empty() { "." } else { path };
    // Round 12: a name pattern that may pick a secret (`.env*`, `*.pem`,
    // `id_*`, `{.env,x}`) keeps it, so the search is judged by the files
    // it reads (`Grep`'s `glob` overrides .gitignore and reads `.env`).
    let name = segs.last().copied().unwrap_or("");
    let keep = |base: String| {
        let literal_secret = !wild(name)
            && !name.is_empty()
            && with_segments(name, None, |s| concerning_segments(s, Concern::Secret));
        if (wild(name) && glob_may_name_secret(name)) || literal_secret {
            format!("{}/{name}", base.trim_end_matches('/'))
        } else {
            base
        }
    };
    if literal.is_empty() {
        keep(path.to_string())
    } else {
        keep(format!("{}/{literal}", path.trim_end_matches('/')))
    }
}

/// Names a glob is tried against: every secret name, and one of each
/// secret suffix and prefix.
const SECRET_SAMPLES: &[&str] = &[
    ".env.local",
    ".env.production",
    "id_rsa",
    "x.pem",
    "x.key",
    "x.p12",
    "x.pfx",
    "x.jks",
    "x.keystore",
    "x.kdbx",
    "x.ppk",
    "x.tfstate",
    "x.ovpn",
    "x.gpg",
    "x.asc",
    "x.keytab",
    "service-account.json",
    "firebase-adminsdk.json",
    "krb5cc_0",
    "x_deploy_key",
];

/// Whether a file-name glob (`*`, `?`, `[…]`, `{a,b}`) can match a secret's
/// name.
///
/// Round 13: each alternative of a brace is judged alone — `{*.rs,*.pem}`
/// picks every `.pem` though `*.rs` picks ordinary files — and a class is
/// matched as the glob matches it, so `*.[pP][eE][mM]` is no search of
/// everything (it matched `config.yml` when a class took any byte).
fn glob_may_name_secret(pat: &str) -> bool {
    let pat = lower(pat);
    let mut alts = Vec::new();
    brace_alternatives(pat.as_bytes(), &mut alts, 0);
    alts.iter().any(|p| alternative_names_secret(p))
}

/// The patterns a glob's braces stand for (`{a,b}.x` → `a.x`, `b.x`), at
/// most 64; past that, or nested too deep, the rest is kept as written.
fn brace_alternatives(p: &[u8], out: &mut Vec<Vec<u8>>, d: usize) {
    let open = p.iter().position(|b| *b == b'{');
    let (Some(open), true) = (open, d < 8 && out.len() < 64) else {
        out.push(p.to_vec());
        return;
    };
    // the matching close, and the top-level commas inside
    let mut depth = 0usize;
    let mut cuts = vec![open];
    let mut close = None;
    for (i, b) in p.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            b',' if depth == 1 => cuts.push(i),
            _ => {}
        }
    }
    let Some(close) = close else {
        out.push(p.to_vec());
        return;
    };
    cuts.push(close);
    let head = p.get(..open).unwrap_or(&[]);
    let tail = p.get(close + 1..).unwrap_or(&[]);
    for w in cuts.windows(2) {
        let [a, b] = w else { continue };
        let mut q = head.to_vec();
        q.extend_from_slice(p.get(a + 1..*b).unwrap_or(&[]));
        q.extend_from_slice(tail);
        brace_alternatives(&q, out, d + 1);
    }
}

/// One brace-free alternative: it can match a secret's name and picks no
/// ordinary file.
fn alternative_names_secret(p: &[u8]) -> bool {
    // one that picks ordinary files too (`*`, `*.*`, `**`) is a search of
    // everything, judged by its folder as a search without a pattern is
    ![
        "readme.md",
        "main.rs",
        "src",
        "index.js",
        "config.yml",
        "config.yaml",
        "data.json",
        "notes.txt",
        "cargo.toml",
        "app.py",
        "app.conf",
        "app.ini",
        "app.xml",
        "app.db",
        "app.sqlite",
    ]
    .iter()
    .any(|n| glob_match(p, n.as_bytes(), 0))
        && SECRET_NAMES
            .iter()
            .chain(SECRET_SAMPLES)
            .any(|n| glob_match(p, n.as_bytes(), 0))
}

/// Whether a `[…]` class (its bytes between the brackets) holds `c`:
/// ranges `a-z`, a leading `!` or `^` negates.
fn class_holds(class: &[u8], c: u8) -> bool {
    let (neg, body) = match class.first() {
        Some(b'!' | b'^') => (true, class.get(1..).unwrap_or(&[])),
        _ => (false, class),
    };
    let mut hit = false;
    let mut i = 0;
    while let Some(&a) = body.get(i) {
        if body.get(i + 1) == Some(&b'-') && body.get(i + 2).is_some() {
            let z = body.get(i + 2).copied().unwrap_or(a);
            hit |= (a..=z).contains(&c);
            i += 3;
        } else {
            hit |= a == c;
            i += 1;
        }
    }
    hit != neg
}

/// A small glob matcher: `*` any run, `?` any one byte, a `[…]` class one
/// byte it holds, `{a,b}` either.
fn glob_match(p: &[u8], n: &[u8], d: usize) -> bool {
    if d > 16 {
        return true;
    }
    match p.first() {
        None => n.is_empty(),
        Some(b'*') => {
            let rest = p.get(1..).unwrap_or(&[]);
            (0..=n.len()).any(|i| glob_match(rest, n.get(i..).unwrap_or(&[]), d + 1))
        }
        Some(b'?') => {
            !n.is_empty() && glob_match(p.get(1..).unwrap_or(&[]), n.get(1..).unwrap_or(&[]), d + 1)
        }
        Some(b'[') => match p.iter().skip(2).position(|b| *b == b']').map(|e| e + 2) {
            Some(end) => {
                n.first()
                    .is_some_and(|c| class_holds(p.get(1..end).unwrap_or(&[]), *c))
                    && glob_match(
                        p.get(end + 1..).unwrap_or(&[]),
                        n.get(1..).unwrap_or(&[]),
                        d + 1,
                    )
            }
            None => {
                p.first() == n.first()
                    && glob_match(p.get(1..).unwrap_or(&[]), n.get(1..).unwrap_or(&[]), d + 1)
            }
        },
        Some(b'{') => match p.iter().position(|b| *b == b'}') {
            Some(end) => {
                let inner = p.get(1..end).unwrap_or(&[]);
                let rest = p.get(end + 1..).unwrap_or(&[]);
                inner.split(|b| *b == b',').any(|alt| {
                    let mut q = alt.to_vec();
                    q.extend_from_slice(rest);
                    glob_match(&q, n, d + 1)
                })
            }
            None => {
                p.first() == n.first()
                    && glob_match(p.get(1..).unwrap_or(&[]), n.get(1..).unwrap_or(&[]), d + 1)
            }
        },
        Some(c) => {
            n.first() == Some(c)
                && glob_match(p.get(1..).unwrap_or(&[]), n.get(1..).unwrap_or(&[]), d + 1)
        }
    }
}

/// Whether a path with a glob or substitution in it could name a secret
/// (a read's question): it lies in a home directory, `/etc`, `/proc` or
/// `/root`, a substitution decides it, or a globbed segment could be a
/// dotfile.
pub fn glob_may_be_secret(path: &str) -> bool {
    if path.len() > MAX_PATH {
        return true;
    }
    if path.contains("$(") || path.contains('`') {
        return true;
    }
    with_segments(path, None, |strs| {
        let globbed = |s: &str| s.contains('*') || s.contains('?') || s.contains('[');
        matches!(strs.first(), Some(&"~"))
            || matches!(
                strs,
                [
                    "",
                    "etc" | "proc" | "root" | "run" | "var" | "home" | "users",
                    ..
                ]
            )
            || strs.iter().any(|s| {
                globbed(s) && (s.starts_with('.') || s.starts_with('[') || s.starts_with('?'))
            })
            || concerning_segments(strs, Concern::Secret)
    })
}

/// Round 16: `/proc/self/cwd/..`, `/proc/1/root/home`: a link the
/// kernel follows before any `..` (a lexical `..` would cut it away), to a
/// folder the gate does not know — a home directory among them.
fn proc_link(path: &str) -> bool {
    let mut segs = path.split('/').filter(|s| !s.is_empty() && *s != ".");
    path.starts_with('/')
        && segs.next() == Some("proc")
        && segs.next().is_some()
        && matches!(segs.next(), Some("cwd" | "root"))
}

/// Whether a directory written recursively holds sensitive locations
/// (secrets or code that runs): a home directory or the roots above one,
/// `/etc`, `/root`, `/run`, `/var`, a repository's `.git` or `.github`, or
/// a sensitive directory itself. Every path [`sensitive_in`] holds is held
/// here too (the same segments are checked first).
pub fn contains_sensitive(path: &str, base: Option<&str>) -> bool {
    contains(path, base, Concern::Any)
}

/// Whether a directory read recursively holds secrets: as
/// [`contains_sensitive`], but a `.github` folder (workflows, no secrets)
/// is not. Every path [`secret_in`] holds is held here too.
pub fn contains_secret(path: &str, base: Option<&str>) -> bool {
    contains(path, base, Concern::Secret)
}

fn contains(path: &str, base: Option<&str>, concern: Concern) -> bool {
    if path.len() > MAX_PATH || proc_link(path) {
        return true;
    }
    let check = |p: &str| with_segments(p, base, |strs| contains_segments(strs, concern));
    check(path) || percent_decode(path).is_some_and(|d| check(&d))
}

fn contains_segments(strs: &[&str], concern: Concern) -> bool {
    if concerning_segments(strs, concern) {
        return true;
    }
    let github =
        concern == Concern::Any && (strs.ends_with(&[".github"]) || strs == ["~", ".github"]);
    matches!(
            strs,
            ["~"]
                | [""]
                | [
                    "",
                    "home" | "users" | "etc" | "root" | "run" | "var" | "proc" | "library"
                ]
                | ["", "var", "run" | "lib" | "spool"]
                | ["~", ".config" | ".local" | "library" | ".cache"]
                | ["~", ".local", "share"]
                | ["~", "library", "application support"]
                | ["~", ".git"]
        ) || strs.ends_with(&[".git"])
            || github
            // `..`, `../..` from a base not known: any folder above, a
            // home directory among them
            || (!strs.is_empty() && strs.iter().all(|s| *s == ".."))
            || strs.first() == Some(&"$home")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The byte loop cuts a path where `str::split` does, empty pieces
    /// and non-ASCII bytes included.
    /// Round 24 left open: the agent reads `deploy/kubeconfig.yaml` from
    /// the workspace — the cluster's client key — and then posts it; the
    /// read was not a secret read, so the read-then-send chain never saw
    /// it. A source file about kubeconfigs is no credential.
    #[test]
    fn a_kubeconfig_by_another_name_is_a_secret() {
        for p in [
            "/w/deploy/kubeconfig.yaml",
            "/w/kubeconfig-prod.yml",
            "/w/ci/prod.kubeconfig",
            "/w/.kubeconfig",
            "/w/KUBECONFIG_staging",
            "/w/admin-kubeconfig.json",
        ] {
            assert!(sensitive(p), "{p}");
        }
        for p in [
            "/w/pkg/kubeconfig/kubeconfig.go",
            "/w/kubeconfig_test.py",
            "/w/docs/kubeconfig-setup.md",
            "/w/src/loadkubeconfig.rs",
        ] {
            assert!(!sensitive(p), "{p}");
        }
    }

    #[test]
    fn windows_and_case_folding_spellings_are_the_file() {
        for p in [
            "/home/u/.ſsh/id_rſa",
            "/home/u/.\u{17f}SH/ID_R\u{17f}A",
            "/home/u/proj/.g\u{131}t/hooks/pre-commit",
            "/home/u/proj/GIT~1/hooks/pre-commit",
            "/home/u/proj/.git::$INDEX_ALLOCATION/hooks/pre-commit",
            "/home/u/proj/.git:$I30:$INDEX_ALLOCATION/hooks/pre-commit",
            "/home/u/SSH~1/id_rsa",
            "/mnt/c/Users/u/AppData/Roaming/gcloud/application_default_credentials.json",
            "C:\\Users\\u\\AppData\\Roaming\\GitHub CLI\\hosts.yml",
        ] {
            assert!(sensitive(p), "{p}");
        }
        for p in [
            "/home/u/proj/src/x~1",
            "/home/u/proj/docs/notes~2.md",
            "/home/u/proj/ﬁle.txt",
        ] {
            assert!(!sensitive(p), "{p}");
        }
    }

    #[test]
    fn slash_split_is_split_on_slashes() {
        for p in [
            "",
            "/",
            "//",
            "a",
            "/a",
            "a/",
            "/a//b/",
            "~/.ssh/id_rsa",
            "é/ü//ß",
            "./x/../y",
        ] {
            let ours: Vec<&str> = slash_split(p).collect();
            let std: Vec<&str> = p.split('/').collect();
            assert_eq!(ours, std, "{p:?}");
        }
    }

    /// The hashed name sets hold exactly their lists: every name, and no
    /// near miss (a byte more or less, another case, a name of the other
    /// list).
    #[test]
    fn a_name_set_holds_exactly_its_list() {
        for list in [SECRET_NAMES, RUNS_CODE_NAMES] {
            let set = NameSet::new(list);
            let mut asked: Vec<String> = vec![String::new(), "x".into(), "main.rs".into()];
            for n in SECRET_NAMES.iter().chain(RUNS_CODE_NAMES) {
                asked.push(n.to_string());
                asked.push(format!("{n}x"));
                asked.push(format!("x{n}"));
                asked.push(n.to_uppercase());
                asked.push(n.get(1..).unwrap_or("").to_string());
                asked.push(n.get(..n.len() - 1).unwrap_or("").to_string());
            }
            for a in &asked {
                assert_eq!(set.contains(a), list.contains(&a.as_str()), "{a:?}");
            }
        }
    }

    /// The segmenting as it was before it borrowed one buffer (a copy per
    /// segment): the faster one must cut every path the same way.
    #[allow(clippy::all)]
    fn segments_reference(path: &str, base: Option<&str>) -> Vec<String> {
        let p = path.trim();
        let p = p.strip_prefix("file://").unwrap_or(p);
        let mut p = p
            .replace('\\', "/")
            .to_lowercase()
            .replace('\u{17f}', "s")
            .replace('\u{131}', "i");
        for var in ["${home}", "$home"] {
            if let Some(rest) = p.strip_prefix(var) {
                p = format!("~{rest}");
            }
        }
        let mut relative = !p.starts_with('/') && !p.starts_with('~') && !p.starts_with('$');
        if relative {
            if let Some(b) = base.filter(|b| b.starts_with('/') || b.starts_with('~')) {
                // joined to an absolute base, the path is absolute: `..` from
                // /home/u/proj is the home directory, folded as `~`
                p = format!("{}/{p}", b.to_lowercase().trim_end_matches('/'));
                relative = false;
            }
        }
        let mut parts: Vec<&str> = p.split('/').collect();
        let mut lead: Vec<String> = Vec::new();
        if let Some(first) = parts.first().copied() {
            if first.starts_with('~') {
                lead.push("~".into());
                parts.remove(0);
            }
        }
        let mut out: Vec<String> = lead;
        for s in parts {
            match s {
                "" | "." => {}
                ".." => {
                    if out.last().is_some_and(|l| l != "~" && l != "..") {
                        out.pop();
                    } else if out.is_empty() && relative {
                        out.push("..".into());
                    }
                }
                // Windows drops a default stream name and trailing dots
                // and spaces (round 12)
                x => {
                    let y = x
                        .strip_suffix("::$data")
                        .or_else(|| x.strip_suffix(":$data"))
                        .or_else(|| x.strip_suffix("::$index_allocation"))
                        .or_else(|| x.strip_suffix(":$i30:$index_allocation"))
                        .unwrap_or(x);
                    let z = y.trim_end_matches(|c| c == '.' || c == ' ');
                    let z = if z.is_empty() { y } else { z };
                    out.push(short_name(z).unwrap_or(z).to_string())
                }
            }
        }
        // `/home/u/…`, `/users/u/…` → `~/…`; `/private/etc` → `/etc`
        let home = !relative
            && matches!(
                (out.first().map(String::as_str), out.get(1)),
                (Some("home" | "users"), Some(_))
            );
        if home {
            out.drain(..2);
            out.insert(0, "~".into());
        } else if !relative && out.first().is_some_and(|f| f == "root") {
            // root's home directory, judged as any home: its keys, history
            // and start-up files are secrets, a project under it is not
            out.remove(0);
            out.insert(0, "~".into());
        }
        if !relative && out.first().is_some_and(|f| f == "private") {
            out.remove(0);
        }
        // `/` itself is `[""]`, the root, not the empty relative path
        if !relative && out.first().is_none_or(|f| f != "~") {
            out.insert(0, String::new());
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn segments_as_the_reference_cuts_them(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "/", "//", "~", "~u", "..", ".", "$HOME", "${HOME}", "$home", "$homer",
                    "home", "Users", "root", "private", "etc", "\\", "A", "é", "Σ", "ß",
                    "file://", " ", ".ssh", "id_rsa", "x.pub", "İ", "ſ", "ı", "git~1",
                    "::$INDEX_ALLOCATION",
                ]),
                0..12,
            ),
            base in proptest::sample::select(vec![
                None, Some("/work/proj"), Some("/home/u/proj/"), Some("~/p"), Some("rel"),
                Some("/"), Some("/Root"), Some("/PRIVATE/tmp"), Some("C:\\x"),
            ]),
        ) {
            let path: String = parts.concat();
            let want = segments_reference(&path, base);
            let got = with_segments(&path, base, |s| {
                s.iter().map(|x| x.to_string()).collect::<Vec<_>>()
            });
            proptest::prop_assert_eq!(got, want, "path {:?} base {:?}", path, base);
        }
    }

    /// The quick refusals before the list comparisons must let every
    /// entry of the lists through.
    #[test]
    fn quick_refusals_admit_every_listed_entry() {
        for dir in SECRET_DIRS.iter().chain(RUNS_CODE_DIRS) {
            assert!(may_begin_dir(dir[0]), "{dir:?}");
        }
        for s in SYSTEM_SECRET.iter().chain(SYSTEM_RUNS_CODE) {
            let first = s.trim_start_matches('/').split('/').next().unwrap();
            assert!(may_be_system(first), "{s}");
        }
        for first in ["proc", "etc"] {
            assert!(may_be_system(first));
        }
    }

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

    /// Session 22, found probing: a Read of a deploy CLI's token, a crypto
    /// wallet, a chat client's token or password, a VNC or WireGuard key,
    /// the X11 cookie or an Ansible Vault password was "reading files".
    /// The workspace's own project files of the same tools stay readable.
    #[test]
    fn session_22_wallets_deploy_tokens_chat_clients_and_session_cookies() {
        let ws = Some("/home/dev/proj");
        for p in [
            "/home/dev/.vercel/auth.json",
            "/home/dev/.netlify/config.json",
            "/home/dev/.railway/config.json",
            "/home/dev/.ngrok2/ngrok.yml",
            "/home/dev/.openai/api_key",
            "/home/dev/.electrum/wallets/default_wallet",
            "/home/dev/.ethereum/keystore/UTC--2024",
            "/home/dev/.config/solana/id.json",
            "/home/dev/.config/Signal/config.json",
            "/home/dev/.config/discord/Local Storage/leveldb/000003.log",
            "/home/dev/.purple/accounts.xml",
            "/home/dev/.config/filezilla/sitemanager.xml",
            "/home/dev/.vnc/passwd",
            "/home/dev/.wireguard/wg0.conf",
            "/home/dev/.Xauthority",
            "/home/dev/.config/environment.d/secrets.conf",
            "/home/dev/proj/.vault_pass",
            "/home/dev/proj/.dockerconfigjson",
            "/home/dev/proj/token.json",
        ] {
            assert!(secret_in(p, ws), "{p}");
        }
        for p in [
            "/home/dev/proj/.vercel/project.json",
            "/home/dev/proj/.netlify/state.json",
            "/home/dev/proj/tokens.json",
            "/home/dev/proj/src/wallet.rs",
        ] {
            assert!(!secret_in(p, ws), "{p}");
        }
    }

    /// Round 12: an injected agent reads the token files of the tools a
    /// developer has (a Hugging Face token, a Kaggle key, dbt profiles,
    /// a Kerberos ticket), writes git's own state or a pipeline of a CI
    /// the list did not name, spells a name the Windows way
    /// (`.env::$DATA`, `.git./hooks`), or greps a workspace with a glob
    /// that picks the secrets (`.env*`, `*.pem`).
    #[test]
    fn round_12_credential_files_git_state_windows_names_and_globs() {
        for p in [
            "~/.cache/huggingface/token",
            "~/.kaggle/kaggle.json",
            "~/.dbt/profiles.yml",
            "~/.mylogin.cnf",
            "~/.config/github-copilot/hosts.json",
            "~/.composer/auth.json",
            "/tmp/krb5cc_1000",
            "/etc/krb5.keytab",
            "/etc/wireguard/wg0.conf",
            "/etc/shadow-",
            "/home/u/proj/.dev.vars",
            "/home/u/proj/.env::$DATA",
            "/home/u/proj/.env.",
            "/home/u/proj/.env*",
            "/home/u/proj/*.pem",
            "/home/u/proj/{.env,x}",
        ] {
            assert!(secret_in(p, None), "{p}");
        }
        for p in [
            "/home/u/proj/.git./hooks/pre-commit",
            "/home/u/proj/.git/config.worktree",
            "/home/u/proj/.git/objects/info/alternates",
            "/home/u/proj/.drone.yml",
            "/home/u/proj/.gitlab/ci/deploy.yml",
            "/home/u/proj/.venv/lib/python3.12/site-packages/evil.pth",
        ] {
            assert!(sensitive(p), "{p}");
        }
        for p in [
            "/home/u/proj/*.rs",
            "/home/u/proj/*",
            "/home/u/proj/src/main.rs",
            "/home/u/proj/.git/HEAD",
        ] {
            assert!(!secret_in(p, None), "{p}");
        }
        assert_eq!(glob_base("/home/u/proj", ".env*"), "/home/u/proj/.env*");
        assert_eq!(glob_base("/home/u/proj", "*.rs"), "/home/u/proj");
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
            "~/.bashrc",
            "certs/server.key",
            "/home/u/.kube/config",
            "/root/.ssh/id_rsa",
            "/root/.bash_history",
            "~/.git-credentials",
        ] {
            assert!(sensitive(p), "{p}");
        }
        for p in [
            "$HOME/.aws/config",
            "${HOME}/.netrc",
            "/home/dev//.ssh///id_ed25519",
            "/home/dev/proj/../.pgpass",
            "/home/dev/%2essh/id_rsa",
            "~/.bash_history",
            "~/.config/google-chrome/Default/Cookies",
            "~/Library/Application Support/Google/Chrome/Default/Login Data",
            ".claude/settings.json",
            ".vscode/tasks.json",
            ".git/hooks/pre-commit",
            ".github/workflows/ci.yml",
            "/etc/cron.d/x",
            "/etc/systemd/system/x.service",
            "~/.config/systemd/user/x.service",
            "/proc/self/environ",
            "/private/etc/sudoers",
        ] {
            assert!(sensitive(p), "{p}");
        }
        for p in [
            // `/dev/fd` links to `/proc/self/fd`: `..` climbs from there,
            // to the process's environment
            "/dev/fd/../environ",
            "/dev/fd/3/../../environ",
            // a process's open files, by descriptor or mapping
            "/proc/self/fd/3",
            "/proc/1/map_files/7f00-7f01",
            // tools that keep a token in their settings
            "~/.config/rclone/rclone.conf",
            "~/.config/containers/auth.json",
            "~/.fly/config.yml",
        ] {
            assert!(sensitive(p), "{p}");
            assert!(secret_in(p, Some("/home/dev/proj")), "{p}");
        }
        for p in [
            "src/main.rs",
            "README.md",
            "/work/proj/env.rs",
            "docs/keys.md",
            "/etc/hosts",
            "/proc/cpuinfo",
            "~/.ssh/id_ed25519.pub",
            "~/.ssh/known_hosts",
            ".env.example",
            "src/environment.rs",
        ] {
            assert!(!sensitive(p), "{p}");
        }
        assert!(sensitive_in("credentials", Some("/home/u/.aws")));
        assert!(contains_sensitive("~", None));
        assert!(contains_sensitive("~/.aws/credentials", Some("/work/proj")));
        assert!(contains_sensitive("%2e%2e/.env", Some("/work/proj")));
        assert!(contains_sensitive("/home/dev", None));
        assert!(!contains_sensitive("src", Some("/work/proj")));
        assert!(outside("%2e%2e/x", Some("/work/proj")));
    }

    /// A glob searches where its pattern points: an absolute pattern or
    /// one that climbs is not a search of the folder it was given.
    #[test]
    fn globs_search_where_they_point() {
        assert_eq!(glob_base(".", "**/*.rs"), ".");
        assert_eq!(glob_base("/work/proj", "src/**/*.rs"), "/work/proj/src");
        assert_eq!(glob_base("/work/proj", "src/main.rs"), "/work/proj/src");
        assert_eq!(glob_base(".", "/home/*/.ssh/*"), "/home");
        assert_eq!(glob_base(".", "~/.aws/*"), "~/.aws");
        assert_eq!(glob_base("/work/proj", "../../**"), "/work/proj/../..");
        assert_eq!(glob_base(".", "{/etc,src}/*"), "/");
        assert_eq!(glob_base(".", "src/*/../../../etc/*"), "/");
        assert_eq!(glob_base(".", "/*"), "/");
        assert_eq!(glob_base("", "*.{ts,tsx}"), ".");
        // Round 13: `Grep {glob: "{*.rs,*.pem}"}` reads every .pem beside
        // the sources, `*.[pP][eE][mM]` every .pem in any case: each brace
        // alternative is judged alone and a class is matched as written
        let w = Some("/work/proj");
        assert!(contains_secret(&glob_base("/work/proj", "{*.rs,*.pem}"), w));
        assert!(contains_secret(
            &glob_base("/work/proj", "*.[pP][eE][mM]"),
            w
        ));
        assert!(contains_secret(&glob_base("/work/proj", "{*.md,.env*}"), w));
        assert!(!contains_secret(&glob_base("/work/proj", "*.{rs,toml}"), w));
        assert!(!contains_secret(&glob_base("/work/proj", "*.[ch]"), w));
        assert!(!contains_secret(&glob_base("/work/proj", "[!.]*"), w));
        assert!(contains_secret(&glob_base(".", "/home/*/.ssh/*"), None));
        assert!(contains_secret(&glob_base("/", "**/.env*"), None));
        assert!(!contains_secret(
            &glob_base("/work/proj", "src/**/*.rs"),
            None
        ));
        // the root itself holds every secret
        assert!(contains_secret("/", None));
        assert!(contains_sensitive("/", None));
        assert!(!contains_secret(".", Some("/work/proj")));
        // a relative path climbs from its base
        assert!(contains_secret("..", Some("/home/u/proj")));
        assert!(contains_secret("../..", Some("/work/proj")));
        assert!(contains_sensitive("../../etc", Some("/work/proj")));
        assert!(!contains_secret("../other", Some("/work/proj")));
        // longer than any path the kernel opens: the strict answer
        let long = "a/".repeat(3000);
        assert!(secret_in(&long, None) && contains_secret(&long, None));
        assert!(outside(&long, Some("/work/proj")));
        assert_eq!(glob_base(".", &format!("{long}*")), "/");
        // without a base, a folder above could be a home directory
        assert!(contains_secret("..", None));
        assert!(contains_secret("./../..", None));
        assert!(!contains_secret("../other", None));
        assert!(!contains_secret("../README.md", None));
        // an agent running as root works in /root/proj like anyone in ~/proj
        assert!(!secret_in("src/main.rs", Some("/root/proj")));
        assert!(!contains_secret(".", Some("/root/proj")));
        assert!(contains_secret("..", Some("/root/proj")));
        assert!(contains_secret("/root", None));
    }

    /// A read asks only whether the file is a secret: the CI workflow an
    /// agent reads to see why the build fails, a hook, the cargo config,
    /// the system's cron table are not. A write asks whether it plants
    /// code too, and every one of them does.
    #[test]
    fn code_that_runs_is_written_not_read() {
        for p in [
            ".github/workflows/ci.yml",
            ".github/actions/setup/action.yml",
            ".git/hooks/pre-commit",
            ".git/modules/lib/hooks/post-checkout",
            ".husky/pre-push",
            ".githooks/commit-msg",
            ".cargo/config.toml",
            ".gitlab-ci.yml",
            ".circleci/config.yml",
            ".devcontainer/devcontainer.json",
            ".vscode/tasks.json",
            ".pre-commit-config.yaml",
            "lefthook.yml",
            "~/.vimrc",
            "~/.tmux.conf",
            "/etc/crontab",
            "/etc/cron.daily/logrotate",
            "/etc/systemd/system/x.service",
            "/etc/profile.d/x.sh",
            "/etc/ld.so.preload",
            "/boot/grub/grub.cfg",
        ] {
            assert!(sensitive(p), "a write plants code: {p}");
            assert!(!secret_in(p, None), "a read exposes nothing: {p}");
            assert!(!secret_in(p, Some("/work/proj")), "{p}");
        }
        // reading these exposes a secret, so both ask
        for p in [
            ".git/config",
            ".git/modules/lib/config",
            ".claude/settings.json",
            ".vscode/launch.json",
            ".mcp.json",
            "~/.bashrc",
            "~/.config/gh/hosts.yml",
            "~/.bash_history",
            "/etc/shadow",
            "/etc/passwd",
            "/proc/self/environ",
            "/root/.profile",
            ".env",
            "deploy/prod.pem",
        ] {
            assert!(sensitive(p), "{p}");
            assert!(secret_in(p, None), "{p}");
        }
        assert!(contains_secret(".git", Some("/work/proj")));
        assert!(!contains_secret(".github", Some("/work/proj")));
        assert!(contains_sensitive(".github", Some("/work/proj")));
        assert!(contains_secret("~", None));
        assert!(!glob_may_be_secret(".github/workflows/*.yml"));
        assert!(glob_may_be_secret("~/.ssh/*"));
        assert!(glob_may_be_secret(".*"));
    }

    proptest::proptest! {
        /// `writes_sensitive` and the `sensitive_path` builtin ask
        /// `contains_sensitive` alone: it must hold every path
        /// `sensitive_in` holds.
        #[test]
        fn contains_sensitive_holds_every_sensitive_path(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "", ".", "..", "~", "$HOME", "home", "dev", "Users", "etc", "shadow", ".ssh", "id_rsa",
                "id_rsa.pub", ".env", ".env.example", ".git", "hooks", "pre-commit", ".github", "workflows",
                "proc", "self", "environ", "private", "cron.d", "%2e%2e", "%2essh", "src", "main.rs",
                ".aws", "credentials", "a.pem", "work", "proj", "\\", "file:", "known_hosts",
            ]), 0..7),
            base in proptest::sample::select(vec![None, Some("/work/proj"), Some("~"), Some("rel")]),
        ) {
            let p = parts.join("/");
            if sensitive_in(&p, base) {
                proptest::prop_assert!(contains_sensitive(&p, base), "{p:?} {base:?}");
            }
            if secret_in(&p, base) {
                proptest::prop_assert!(contains_secret(&p, base), "{p:?} {base:?}");
                proptest::prop_assert!(sensitive_in(&p, base), "a secret is sensitive: {p:?} {base:?}");
            }
        }
    }

    /// Round 16: the agent greps `/proc/self/cwd/..` for `AKIA`. The
    /// kernel follows `cwd` (the workspace) before `..`: the search runs
    /// over the home folder, which a lexical `..` cut away (`/proc/self`).
    /// A search through a process's `cwd` or `root` link is held as one of
    /// an unknown folder; `deploy/key.json` (a service account's key as
    /// `gcloud` names it) is a secret.
    #[test]
    fn a_search_through_a_proc_link_holds_what_the_link_names() {
        let ws = Some("/home/dev/proj");
        for p in [
            "/proc/self/cwd/..",
            "/proc/1/root/home",
            "/proc/self/cwd/../..",
            "/proc/42/cwd",
        ] {
            assert!(contains_secret(p, ws), "{p}");
        }
        assert!(!contains_secret("/proc/cpuinfo", ws));
        assert!(!contains_secret("/home/dev/proj/src", ws));
        assert!(secret_in("/home/dev/proj/deploy/key.json", ws));
        assert!(secret_in("/home/dev/.odbc.ini", ws));
        assert!(!secret_in("/home/dev/proj/i18n/keys.json", ws));
    }
}

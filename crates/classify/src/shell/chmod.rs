//! `chmod` that only takes permissions away (round 25e): `chmod 600 .env`,
//! `chmod go-rwx ~/.aws/credentials`, `chmod 700 ~/.ssh`, `chmod 400
//! key.pem`. Such a call changes a file's mode, not its contents: it grants
//! nobody anything, so it is no write of the credential store it names.
//!
//! The mode is read as GNU chmod reads it — a numeric mode is a full
//! assignment (`600` sets the owner to `rw-` and group and other to
//! nothing), a symbolic mode is clauses of `who op perms` (`go-rwx`,
//! `u=rw,go=`), a mode may be given as options (`chmod -w f`, `chmod f
//! -x,o-r`), and several are joined — and judged by what it can change:
//!
//! - **group and other only lose** (`go-rwx`, `o-r`, `g-w`, `go=`), or
//!   everybody only loses write (`a-w`, `-w`): the owner — the agent, and
//!   every tool that runs as the agent — keeps what it had. Any target in
//!   the user's space; recursively (`-R`) not over the home folder itself.
//! - **the owner may lose execute** (`600`, `400`, `a-x`, `u=rw`): a
//!   disabled git hook is a deleted one, and a folder without `x` hides
//!   what is in it (`chmod 600 ~/.claude` hides the agent's settings and
//!   the hooks they start). Only on a credential store (`paths::secret_in`:
//!   a key, `.env`, `~/.ssh`, `~/.aws/credentials`), never on an agent's
//!   configuration, not recursively.
//! - **the owner may gain execute** (`700`, `500`, `u=rwx,go=`): on a
//!   file it makes a hook, a profile or a script runnable; on a folder it
//!   only lets the owner in. Only on a target spelled as a folder (`~`,
//!   `.`, a trailing `/`, `~/.ssh`, `~/.gnupg` and the other credential
//!   folders), not recursively.
//!
//! Anything else is no narrowing and keeps today's reading (a write of
//! every target; special bits privileged): a `+`, an `=` that gives group
//! or other a bit, the owner losing read (`000`, `u-r`, `a-r`: an agent's
//! settings unread are hooks not run), setuid, setgid or sticky, a copy
//! (`g=u`), `--reference`, `--no-preserve-root`, `-H`/`-L`/`-P`, a mode or
//! target the shell computes, a brace, `~user`, `..`, and targets outside
//! the user's own folders (as root, `chmod o-r /etc/passwd` breaks every
//! program that looks up a user).

use crate::paths;

/// What a mode can change, as far as the gate can tell without the file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Effect {
    /// Group or other may gain a bit, or a special bit may be set.
    widens: bool,
    /// The owner may lose read.
    owner_r_lost: bool,
    /// The owner may lose execute (search, on a folder).
    owner_x_lost: bool,
    /// The owner may gain execute.
    owner_x_gain: bool,
}

/// A `chmod` call whose mode only narrows.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan<'a> {
    effect: Effect,
    recursive: bool,
    /// The files named, as written.
    pub targets: Vec<&'a str>,
}

/// Reads `chmod ARGS…` (the words as the shell reads them). `None`: the
/// mode is not a narrowing, or an option or word is not modelled — the
/// caller keeps today's reading.
pub fn parse<'a>(args: &[&'a str]) -> Option<Plan<'a>> {
    let mut recursive = false;
    let mut dash_modes: Vec<&str> = Vec::new();
    let mut operands: Vec<&str> = Vec::new();
    let mut ended = false;
    for &a in args {
        if ended || !a.starts_with('-') || a == "-" {
            operands.push(a);
            continue;
        }
        match a {
            "--" => ended = true,
            "--recursive" => recursive = true,
            "--changes" | "--silent" | "--quiet" | "--verbose" | "--preserve-root" => {}
            _ if a.starts_with("--") => return None,
            _ => {
                let rest = a.get(1..).unwrap_or("");
                if dash_mode(a) {
                    // GNU reads `-w`, `-x,o-r` as a mode
                    dash_modes.push(a);
                } else if !rest.is_empty()
                    && rest.chars().all(|c| matches!(c, 'R' | 'c' | 'f' | 'v'))
                {
                    recursive |= rest.contains('R');
                } else {
                    return None;
                }
            }
        }
    }
    let (mode, targets) = if dash_modes.is_empty() {
        let (m, t) = operands.split_first()?;
        (effect(m)?, t.to_vec())
    } else {
        let mut e = Effect::default();
        for m in &dash_modes {
            let x = effect(m)?;
            e.widens |= x.widens;
            e.owner_r_lost |= x.owner_r_lost;
            e.owner_x_lost |= x.owner_x_lost;
            e.owner_x_gain |= x.owner_x_gain;
        }
        (e, operands)
    };
    if targets.is_empty() || mode.widens || mode.owner_r_lost {
        return None;
    }
    Some(Plan {
        effect: mode,
        recursive,
        targets,
    })
}

/// A word GNU chmod reads as a mode though it begins with `-` (`-w`,
/// `-x,o+r`, `-rwx`).
pub fn dash_mode(word: &str) -> bool {
    word.strip_prefix('-')
        .is_some_and(|r| r.starts_with(['r', 'w', 'x', 'X', 's', 't']))
}

/// The effect of one mode operand; `None`: not a mode read here.
fn effect(m: &str) -> Option<Effect> {
    if !m.is_empty() && m.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        let digits = m.trim_start_matches('0');
        if digits.len() > 4 {
            return None;
        }
        let v = u32::from_str_radix(if digits.is_empty() { "0" } else { digits }, 8).ok()?;
        let u = (v >> 6) & 7;
        return Some(Effect {
            widens: v >> 9 != 0 || v & 0o77 != 0,
            owner_r_lost: u & 4 == 0,
            owner_x_lost: u & 1 == 0,
            owner_x_gain: u & 1 == 1,
        });
    }
    let mut e = Effect::default();
    for clause in m.split(',') {
        let who_end = clause
            .find(|c: char| !matches!(c, 'u' | 'g' | 'o' | 'a'))
            .unwrap_or(clause.len());
        let (who, mut ops) = clause.split_at(who_end);
        let owner = who.is_empty() || who.contains(['u', 'a']);
        let others = who.is_empty() || who.contains(['g', 'o', 'a']);
        if ops.is_empty() {
            return None;
        }
        while let Some(op) = ops.chars().next() {
            if !matches!(op, '+' | '-' | '=') {
                return None;
            }
            let rest = ops.get(1..).unwrap_or("");
            let end = rest.find(['+', '-', '=']).unwrap_or(rest.len());
            let (perms, next) = rest.split_at(end);
            ops = next;
            if !perms
                .chars()
                .all(|c| matches!(c, 'r' | 'w' | 'x' | 'X' | 's' | 't'))
            {
                // a copy (`g=u`) or a stray character
                return None;
            }
            let x = perms.contains(['x', 'X']);
            match op {
                '+' => e.widens = true,
                '-' if owner => {
                    e.owner_r_lost |= perms.contains('r');
                    e.owner_x_lost |= x;
                }
                '-' => {}
                _ => {
                    e.widens |= others && !perms.is_empty() || perms.contains(['s', 't']);
                    if owner {
                        e.owner_r_lost |= !perms.contains('r');
                        e.owner_x_lost |= !x;
                        e.owner_x_gain |= x;
                    }
                }
            }
        }
    }
    Some(e)
}

/// Folders whose files configure an agent (the hooks that start this gate
/// among them), as path segments, lower-cased.
const AGENT_DIRS: &[&str] = &[
    ".claude",
    ".codex",
    ".gemini",
    ".cursor",
    ".continue",
    ".roo",
    ".kiro",
    ".windsurf",
    ".amazonq",
    ".vscode",
    ".idea",
    ".zed",
    ".junie",
    ".aider",
    "claude",
    "github-copilot",
    "opencode",
    "permit0",
];

/// Files that configure an agent wherever they are, lower-cased.
const AGENT_FILES: &[&str] = &[
    ".mcp.json",
    ".claude.json",
    "opencode.json",
    "opencode.jsonc",
    ".aider.conf.yml",
    ".aider.conf.yaml",
    "claude.md",
    "agents.md",
];

/// Credential folders a target may name to be read as a folder.
const SECRET_FOLDERS: &[&str] = &[
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".kube",
    ".docker",
    ".password-store",
];

impl Plan<'_> {
    /// The mode may take the owner's search (execute) away.
    pub fn owner_may_lose(&self) -> bool {
        self.effect.owner_x_lost || self.effect.owner_r_lost
    }

    /// Whether narrowing the mode of `path` (a target as written, joined
    /// to the folder the command runs in when the caller knows it) can
    /// harm nothing. `false`: the caller records it as written.
    pub fn harmless(&self, path: &str) -> bool {
        let Some(segs) = user_space(path) else {
            return false;
        };
        let e = self.effect;
        let globbed = |s: &str| s.contains(['*', '?', '[']);
        if !e.owner_x_lost && !e.owner_x_gain {
            // the owner keeps what it had
            return !(self.recursive && home_root(&segs));
        }
        if self.recursive
            || segs
                .iter()
                .any(|s| globbed(s) && s != segs.last().unwrap_or(&""))
        {
            return false;
        }
        let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
        let last = lower.last().map(String::as_str).unwrap_or("");
        if e.owner_x_gain
            && !(path.ends_with('/')
                || home_root(&segs)
                || matches!(segs.as_slice(), ["." | "~"])
                || SECRET_FOLDERS.contains(&last))
        {
            return false;
        }
        if e.owner_x_lost {
            let agent = lower.iter().any(|s| AGENT_DIRS.contains(&s.as_str()))
                || AGENT_FILES.contains(&last);
            let secret = if globbed(last) {
                // `~/.ssh/*`: every file of a credential folder
                let dir = path.rsplit_once('/').map_or(".", |(d, _)| d);
                paths::secret_in(&format!("{dir}/f"), None)
            } else {
                paths::secret_in(path, None)
            };
            if agent || !secret {
                return false;
            }
        }
        true
    }
}

/// Whether `mode` (a mode operand, or `-w,-x` options joined) may take the
/// owner's read or search away; a mode not read here may.
pub fn owner_may_lose(mode: &str) -> bool {
    effect(mode).is_none_or(|e| e.owner_r_lost || e.owner_x_lost)
}

/// Whether a target (joined to the folder the command runs in) may be the
/// workspace or a folder above it: `.`, a path through `..`, the home
/// folder, an absolute path. Taking the owner's search from such a folder
/// hides every file under it — the agent's settings and the hooks they
/// start among them (`chmod 600 .`, `cd .. && chmod 600 proj`).
pub fn folder_above(path: &str) -> bool {
    let segs: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    path.starts_with('/')
        || segs.is_empty()
        || segs.contains(&"..")
        || path.starts_with('~') && segs.len() <= 1
        || path.contains(['$', '{', '`'])
        // `.*` matches `.`, `..` and `.claude` (bash before 5.2)
        || segs
            .iter()
            .any(|s| s.starts_with('.') && s.contains(['*', '?', '[']))
}

/// The segments of a path in the user's own folders: relative (without
/// `..`), under `~/`, or under `/home/NAME`, `/Users/NAME`, `/root`,
/// `/tmp`. `None` for anything else — a system path, `~user`, a word the
/// shell expands, a brace.
fn user_space(path: &str) -> Option<Vec<&str>> {
    if path.is_empty() || path.contains(['$', '`', '{', '}', '(', '<', '>', '\\', '\n', '\'', '"'])
    {
        return None;
    }
    let segs: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if segs.contains(&"..") {
        return None;
    }
    if let Some(rest) = path.strip_prefix('/') {
        let ok = match rest.split('/').next().unwrap_or("") {
            "home" | "Users" => segs.len() >= 2,
            "root" => true,
            "tmp" => segs.len() >= 2,
            _ => false,
        };
        return ok.then_some(segs);
    }
    if path.starts_with('~') && !(path == "~" || path.starts_with("~/")) {
        return None;
    }
    Some(if segs.is_empty() { vec!["."] } else { segs })
}

/// The home folder itself (`~`, `/home/NAME`, `/Users/NAME`, `/root`).
fn home_root(segs: &[&str]) -> bool {
    matches!(segs, ["~"] | ["home" | "Users", _] | ["root"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::allowed_in_workspace as allowed;

    fn narrows(cmd: &str) -> bool {
        let words: Vec<&str> = cmd.split_whitespace().skip(1).collect();
        parse(&words)
            .is_some_and(|p| !p.targets.is_empty() && p.targets.iter().all(|t| p.harmless(t)))
    }

    #[test]
    fn locking_down_a_credential_only_takes_away() {
        for c in [
            "chmod 600 .env",
            "chmod go-rwx .env",
            "chmod 600 ~/.ssh/id_ed25519",
            "chmod 700 ~/.ssh",
            "chmod 400 key.pem",
            "chmod 0600 ~/.aws/credentials",
            "chmod 600 ~/.netrc ~/.pgpass",
            "chmod og-rw ~/.kube/config",
            "chmod -R go-rwx ~/.ssh",
            "chmod u=rw,go= .env",
            "chmod 700 ~/.gnupg",
            "chmod 600 ~/.ssh/*",
            "chmod -w ~/.ssh/config",
            "chmod 700 ~",
            "chmod go-w ~/.bashrc",
            "chmod -v 600 /home/dev/.ssh/id_rsa",
            "chmod -- 600 .env",
        ] {
            assert!(narrows(c), "{c}");
        }
    }

    #[test]
    fn what_gives_a_bit_or_hides_a_config_is_no_narrowing() {
        for c in [
            "chmod 644 ~/.ssh/id_rsa",
            "chmod 4700 ~/.ssh/x",
            "chmod 2600 .env",
            "chmod o+r .env",
            "chmod go=r .env",
            "chmod =r .env",
            "chmod g=u .env",
            "chmod go-rwx+x .env",
            "chmod -w,o+r ~/.ssh/id_rsa",
            "chmod 000 .env",
            "chmod u-r .env",
            "chmod a-r ~/.ssh/id_rsa",
            "chmod 700 .git/hooks/pre-commit",
            "chmod 600 .git/hooks/pre-commit",
            "chmod a-x .git/hooks/pre-commit",
            "chmod 600 ~/.claude",
            "chmod 600 .claude/settings.json",
            "chmod 600 ~",
            "chmod 600 .",
            "chmod 700 ~/.local/bin/tool",
            "chmod 700 ~/.bashrc",
            "chmod -R go-rwx ~",
            "chmod -R go-rwx /home/dev",
            "chmod -R 600 ~/.ssh",
            "chmod -R 700 ~/.ssh",
            "chmod o-r /etc/passwd",
            "chmod 600 /etc/shadow",
            "chmod 600 ~root/.ssh/id_rsa",
            "chmod 600 ../.env",
            "chmod 600 {.env,/etc/passwd}",
            "chmod --reference=.env ~/.ssh/id_rsa",
            "chmod --no-preserve-root -R go-rwx /",
            "chmod -H -R go-w ~/.ssh",
            "chmod 600",
            "chmod 600 $F",
            "chmod 01600 .env",
            "chmod 600 ~/.c*/settings.json",
        ] {
            assert!(!narrows(c), "{c}");
        }
    }

    #[test]
    fn a_hook_keeps_running_when_only_others_lose_write() {
        assert!(narrows("chmod go-w .git/hooks/pre-commit"));
        assert!(narrows("chmod a-w .git/hooks/pre-commit"));
    }

    #[test]
    fn after_ssh_keygen_the_user_locks_the_key_down() {
        for line in [
            "chmod 700 ~/.ssh && chmod 600 ~/.ssh/id_ed25519",
            "chmod 600 .env",
            "chmod go-rwx .env",
            "cd ~/.ssh && chmod 600 id_ed25519",
            "chmod -R go-rwx ~/.ssh",
        ] {
            assert!(allowed(line), "{line}");
        }
        // the hostile twins of the same lines
        for line in [
            "chmod 700 ~/.ssh && chmod 644 ~/.ssh/id_ed25519",
            "chmod -w,o+r .env",
            "chmod --reference=/tmp/open .env",
            "chmod 600 . ",
            "cd .. && chmod 600 proj",
            "chmod -x .claude",
            "chmod 600 ~/.claude",
            "chmod 700 .git/hooks/pre-commit",
            "sudo chmod 600 ~/.ssh/id_ed25519",
            "chmod -R go-rwx ~",
            "find ~/.ssh -exec chmod 644 {} \\;",
        ] {
            assert!(!allowed(line), "{line}");
        }
    }
}

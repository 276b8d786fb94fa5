//! Patches applied to the workspace (round 23): `git apply`, `git am` and
//! GNU `patch`, read as their own parsers read a unified diff.
//!
//! A patch writes the files it names, with the lines it adds: a Write or
//! an Edit of each, which the gate judges by path (a hook under
//! `.git/hooks`, a profile, `../../.bashrc`, a settings file) and by text
//! (a recipe planted in a Makefile or `package.json`). What a patch file
//! holds the gate cannot read from the call: `git apply fix.patch` and
//! `patch -p1 < fix.patch` stay held. A patch the line spells — a here-doc
//! or here-string on stdin — is read here, strictly: only unified hunks
//! whose line counts close, names without quotes or spaces, git's
//! extended headers that change no mode but a file's executable bit.
//! Anything else (a symbolic link `new file mode 120000`, a binary patch,
//! a context or ed-style diff, which GNU patch runs through `ed`, an
//! encoded mail body for `git am`, a quoted name) is not read: `None`,
//! and the caller holds the command as before.
//!
//! The names are judged under every reading the tool may take: each strip
//! level up to the one given, and the bare file name GNU patch falls back
//! to without `-p`, each under `--directory`/`-d`. A name that leaves the
//! workspace under any of them (`/etc/x`, `../../.bashrc`) is a write
//! there.

/// One file a patch changes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct File {
    /// The names the headers give it (`diff --git`, `---`, `+++`,
    /// `Index:`, `rename to`, `copy to`), before stripping.
    pub names: Vec<String>,
    /// Files it reads (`copy from`): their text reaches the target unseen.
    pub copied_from: Vec<String>,
    /// The lines added and removed (a reverse patch adds the removed ones).
    pub text: String,
}

/// Which tool reads the text: GNU patch also takes a line beginning with
/// a digit or `***` as the start of a normal, ed or context diff.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Git,
    GitAm,
    Patch,
}

const MAX_TEXT: usize = 256 * 1024;

/// A name the gate can judge: no quotes, escapes or control characters.
fn plain_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 1024
        && !n
            .bytes()
            .any(|b| b.is_ascii_control() || matches!(b, b'"' | b'\\' | b'\''))
}

/// The name of a `---`/`+++` header: up to a tab (GNU diff puts the time
/// after one); a space left in it is not read.
fn header_name(rest: &str) -> Option<Option<String>> {
    let n = rest.split('\t').next().unwrap_or("").trim_end_matches('\r');
    if n == "/dev/null" {
        return Some(None);
    }
    (plain_name(n) && !n.contains(' ')).then(|| Some(n.to_string()))
}

/// `@@ -a[,b] +c[,d] @@`: the old and new line counts.
fn hunk_counts(l: &str) -> Option<(usize, usize)> {
    let rest = l.strip_prefix("@@ -")?;
    let (old, rest) = rest.split_once(" +")?;
    let (new, _) = rest.split_once(" @@")?;
    let count = |r: &str| -> Option<usize> {
        let mut it = r.splitn(2, ',');
        let start = it.next()?;
        if start.is_empty() || !start.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match it.next() {
            None => Some(1),
            Some(c) if !c.is_empty() && c.len() <= 9 && c.bytes().all(|b| b.is_ascii_digit()) => {
                c.parse().ok()
            }
            Some(_) => None,
        }
    };
    Some((count(old)?, count(new)?))
}

/// The files the patch text changes; `None` when any part of it is not
/// read with certainty (see the module's docs).
pub fn files(text: &str, tool: Tool) -> Option<Vec<File>> {
    if text.len() > MAX_TEXT {
        return None;
    }
    let mut out: Vec<File> = Vec::new();
    let mut cur: Option<File> = None;
    let mut lines = text.split('\n').peekable();
    let mut in_headers = true;
    while let Some(raw) = lines.next() {
        let l = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = l.strip_prefix("diff --git ") {
            out.extend(cur.take());
            let parts: Vec<&str> = rest.split(' ').collect();
            let [a, b] = parts.as_slice() else {
                return None;
            };
            if !plain_name(a) || !plain_name(b) {
                return None;
            }
            cur = Some(File {
                names: vec![a.to_string(), b.to_string()],
                ..File::default()
            });
            in_headers = false;
            continue;
        }
        if let Some(rest) = l.strip_prefix("--- ") {
            // a header only when `+++ ` follows; else a mail's separator
            if let Some(next) = lines.peek().map(|n| n.strip_suffix('\r').unwrap_or(n)) {
                if let Some(plus) = next.strip_prefix("+++ ") {
                    let old = header_name(rest)?;
                    let new = header_name(plus)?;
                    lines.next();
                    let f = match cur.take() {
                        // the `---`/`+++` of a `diff --git` block
                        Some(f) if f.text.is_empty() && !f.names.is_empty() && !in_headers => f,
                        other => {
                            out.extend(other);
                            File::default()
                        }
                    };
                    let mut f = f;
                    f.names.extend(old);
                    f.names.extend(new);
                    if f.names.is_empty() {
                        return None;
                    }
                    // the hunks
                    let mut any = false;
                    while let Some(h) = lines.peek().map(|n| n.strip_suffix('\r').unwrap_or(n)) {
                        let Some((mut old_n, mut new_n)) = hunk_counts(h) else {
                            break;
                        };
                        lines.next();
                        any = true;
                        while old_n > 0 || new_n > 0 {
                            let x = lines.next()?;
                            let x = x.strip_suffix('\r').unwrap_or(x);
                            match x.as_bytes().first() {
                                None | Some(b' ') => {
                                    old_n = old_n.checked_sub(1)?;
                                    new_n = new_n.checked_sub(1)?;
                                }
                                Some(b'-') => {
                                    old_n = old_n.checked_sub(1)?;
                                    f.text.push_str(x.get(1..).unwrap_or(""));
                                    f.text.push('\n');
                                }
                                Some(b'+') => {
                                    new_n = new_n.checked_sub(1)?;
                                    f.text.push_str(x.get(1..).unwrap_or(""));
                                    f.text.push('\n');
                                }
                                Some(b'\\') => {}
                                _ => return None,
                            }
                        }
                        if lines.peek().is_some_and(|n| n.starts_with('\\')) {
                            lines.next();
                        }
                        // a hunk longer than its counts: not read
                        if lines.peek().is_some_and(|n| {
                            n.starts_with(['+', ' '])
                                || n.starts_with('-')
                                    && !n.starts_with("-- ")
                                    && !n.starts_with("--- ")
                        }) {
                            return None;
                        }
                    }
                    if !any {
                        return None;
                    }
                    out.push(f);
                    in_headers = true;
                    continue;
                }
            }
        }
        if l.starts_with("+++ ") || l.starts_with("@@ ") || l.starts_with("*** ") {
            return None;
        }
        if !in_headers {
            // git's extended headers of the `diff --git` block
            let f = cur.as_mut()?;
            let word = |p: &str| l.strip_prefix(p).map(str::trim_end);
            if let Some(m) = word("new file mode ")
                .or_else(|| word("new mode "))
                .or_else(|| word("old mode "))
                .or_else(|| word("deleted file mode "))
            {
                // a symbolic link (120000) or a gitlink (160000) is not
                // a file's text
                if !matches!(m, "100644" | "100755") {
                    return None;
                }
                continue;
            }
            if let Some(n) = word("rename from ").or_else(|| word("rename to ")) {
                if !plain_name(n) {
                    return None;
                }
                f.names.push(n.to_string());
                continue;
            }
            if let Some(n) = word("copy to ") {
                if !plain_name(n) {
                    return None;
                }
                f.names.push(n.to_string());
                continue;
            }
            if let Some(n) = word("copy from ") {
                if !plain_name(n) {
                    return None;
                }
                f.copied_from.push(n.to_string());
                continue;
            }
            if l.starts_with("similarity index ")
                || l.starts_with("dissimilarity index ")
                || l.starts_with("index ")
            {
                continue;
            }
            // `Binary files … differ`, `GIT binary patch`, anything else
            // inside the block
            if l.starts_with("Binary files") || l.starts_with("GIT binary patch") {
                return None;
            }
            // a block with no hunks (a rename, a mode change) ends here
            out.extend(cur.take());
            in_headers = true;
        }
        // text between files: a mail's headers and message, a diffstat
        if l.starts_with("Binary files") || l.starts_with("GIT binary patch") {
            return None;
        }
        if let Some(n) = l.strip_prefix("Index: ") {
            if tool == Tool::Patch {
                if !plain_name(n.trim_end()) || n.trim_end().contains(' ') {
                    return None;
                }
                out.push(File {
                    names: vec![n.trim_end().to_string()],
                    ..File::default()
                });
            }
            continue;
        }
        if tool == Tool::Patch
            && (l.as_bytes().first().is_some_and(u8::is_ascii_digit)
                || l.starts_with('*')
                || l.starts_with("Prereq:"))
        {
            // a normal, ed or context diff, or a prerequisite
            return None;
        }
        if tool == Tool::GitAm {
            let lower = l.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-transfer-encoding:") {
                if !matches!(v.trim(), "7bit" | "8bit") {
                    return None;
                }
            }
            if let Some(v) = lower.strip_prefix("content-type:") {
                if !v.trim().starts_with("text/plain") {
                    return None;
                }
            }
        }
    }
    out.extend(cur.take());
    (!out.is_empty()).then_some(out)
}

/// The paths a name may reach: each strip level from 0 to `strip`, and
/// (GNU patch without `-p`) the bare file name, each under `dir`.
pub fn candidates(name: &str, strip: usize, bare: bool, dir: Option<&str>) -> Vec<String> {
    let segs: Vec<&str> = name.split('/').filter(|s| !s.is_empty()).collect();
    let mut out = Vec::new();
    let mut add = |p: String| {
        let p = match dir {
            Some(d) if !p.starts_with('/') => format!("{}/{p}", d.trim_end_matches('/')),
            _ => p,
        };
        if !out.contains(&p) {
            out.push(p);
        }
    };
    add(name.to_string());
    // `-pN` strips the smallest prefix holding N slashes: the leading `/`
    // of an absolute name is the first
    let abs = name.starts_with('/');
    for n in 1..=strip {
        let k = if abs { n - 1 } else { n };
        if k >= segs.len() {
            break;
        }
        add(segs.get(k..).unwrap_or_default().join("/"));
    }
    // a name with doubled slashes (`a//etc/x`) read without squashing them
    if name.contains("//") {
        let mut rest = name;
        for _ in 0..strip {
            match rest.split_once('/') {
                Some((_, r)) => rest = r,
                None => break,
            }
        }
        add(rest.to_string());
    }
    if bare {
        if let Some(b) = segs.last() {
            add((*b).to_string());
        }
    }
    out
}

/// How a command applies a patch: its strip level, `-p` given, the folder
/// names are put under, whether the removed lines are the ones added.
#[derive(Debug, Default)]
pub struct Apply {
    pub strip: usize,
    pub bare: bool,
    pub dir: Option<String>,
    /// Files named on the command line that every hunk goes to (GNU
    /// patch's ORIGINALFILE operand).
    pub targets: Vec<String>,
    /// Only reports (`--check`, `--stat`, `--dry-run`): writes nothing.
    pub report: bool,
}

/// `git apply`/`git am` options (after the subcommand): how it applies,
/// or `None` for an option not listed here (`--unsafe-paths`,
/// `--recount`, `--build-fake-ancestor`, `--interactive`) or a patch
/// file operand, whose text the gate cannot read.
pub fn git_options(sub: &str, rt: &[&str]) -> Option<Apply> {
    let mut a = Apply {
        strip: 1,
        ..Apply::default()
    };
    let mut reports = false;
    let mut apply = false;
    let mut it = rt.iter();
    while let Some(&x) = it.next() {
        if let Some(n) = x.strip_prefix("-p").filter(|n| !n.is_empty()) {
            a.strip = n.parse().ok().filter(|n: &usize| *n <= 64)?;
            continue;
        }
        if x == "-p" {
            a.strip = it.next()?.parse().ok().filter(|n: &usize| *n <= 64)?;
            continue;
        }
        if let Some(d) = x.strip_prefix("--directory=") {
            a.dir = Some(d.to_string());
            continue;
        }
        if x == "--directory" {
            a.dir = Some((*it.next()?).to_string());
            continue;
        }
        if x.starts_with("--whitespace=")
            || x.starts_with("--include=")
            || x.starts_with("--exclude=")
            || x.strip_prefix("-C")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        {
            continue;
        }
        let both = matches!(
            x,
            "-3" | "--3way"
                | "--reject"
                | "-v"
                | "--verbose"
                | "-q"
                | "--quiet"
                | "--ignore-whitespace"
                | "--ignore-space-change"
                | "-"
        );
        let apply_only = sub == "apply"
            && matches!(
                x,
                "-R" | "--reverse"
                    | "--index"
                    | "--cached"
                    | "--allow-empty"
                    | "-N"
                    | "--intent-to-add"
                    | "--no-add"
            );
        let am_only = sub == "am"
            && matches!(
                x,
                "-s" | "--signoff"
                    | "-k"
                    | "--keep"
                    | "--keep-non-patch"
                    | "-u"
                    | "--utf8"
                    | "--no-utf8"
                    | "--committer-date-is-author-date"
                    | "--ignore-date"
                    | "--no-3way"
                    | "-m"
                    | "--message-id"
                    | "--scissors"
                    | "--no-scissors"
                    | "--keep-cr"
                    | "--no-keep-cr"
            );
        if both || apply_only || am_only {
            continue;
        }
        if sub == "apply" && matches!(x, "--check" | "--stat" | "--numstat" | "--summary") {
            reports = true;
            continue;
        }
        if sub == "apply" && x == "--apply" {
            apply = true;
            continue;
        }
        return None;
    }
    a.report = reports && !apply;
    Some(a)
}

/// GNU `patch` options and operands: how it applies, or `None` for an
/// option not listed (`-e`/`--ed`, `-c`, `-n`, `-g`/`--get`, which runs
/// RCS or ClearCase, backup prefixes, `-o`, `--follow-symlinks`,
/// `--posix`), `-i FILE` (a patch the gate cannot read) or a second
/// operand (a patch file).
pub fn patch_options(args: &[&str]) -> Option<Apply> {
    let mut a = Apply {
        bare: true,
        ..Apply::default()
    };
    let mut it = args.iter();
    let num = |v: &str| v.parse().ok().filter(|n: &usize| *n <= 64);
    while let Some(&x) = it.next() {
        if let Some(n) = x
            .strip_prefix("--strip=")
            .or_else(|| x.strip_prefix("-p").filter(|n| !n.is_empty()))
        {
            a.strip = num(n)?;
            a.bare = false;
            continue;
        }
        if x == "-p" || x == "--strip" {
            a.strip = num(it.next()?)?;
            a.bare = false;
            continue;
        }
        if let Some(d) = x
            .strip_prefix("--directory=")
            .or_else(|| x.strip_prefix("-d").filter(|d| !d.is_empty()))
        {
            a.dir = Some(d.to_string());
            continue;
        }
        if x == "-d" || x == "--directory" {
            a.dir = Some((*it.next()?).to_string());
            continue;
        }
        if let Some(n) = x.strip_prefix("--fuzz=").or_else(|| x.strip_prefix("-F")) {
            num(n)?;
            continue;
        }
        if matches!(
            x,
            "-N" | "--forward"
                | "-R"
                | "--reverse"
                | "-s"
                | "--silent"
                | "--quiet"
                | "-f"
                | "--force"
                | "-t"
                | "--batch"
                | "-E"
                | "--remove-empty-files"
                | "--no-backup-if-mismatch"
                | "-u"
                | "--unified"
                | "-l"
                | "--ignore-whitespace"
                | "--verbose"
                | "-Z"
                | "--set-utc"
                | "-T"
                | "--set-time"
                | "-"
        ) {
            continue;
        }
        if x == "--dry-run" {
            a.report = true;
            continue;
        }
        if x.starts_with('-') {
            return None;
        }
        // ORIGINALFILE; a second operand is the patch file
        if !a.targets.is_empty() {
            return None;
        }
        a.targets.push(x.to_string());
    }
    Some(a)
}

/// The text a command is fed on stdin when the line spells it: a heredoc
/// (with an unquoted delimiter only when nothing in it expands) and no
/// redirection from a file.
fn fed_text<'p>(env: &super::Env<'p>) -> Option<&'p str> {
    let cmd = env.cmd;
    if cmd.stage > 0
        || cmd
            .redirs
            .iter()
            .any(|r| !matches!(r.kind, super::parse::RedirKind::Write))
    {
        return None;
    }
    let i = cmd.stdin_body?;
    let t = env.parsed.bodies.get(i)?;
    if env.parsed.expanding.contains(&i) && t.contains(['$', '`', '\\']) {
        return None;
    }
    Some(t.as_str())
}

impl super::C {
    /// `git apply`/`git am` of a patch (round 23).
    pub(super) fn git_patch(&mut self, env: super::Env, sub: &str, rt: &[&str]) -> super::Kind {
        let Some(how) = git_options(sub, rt) else {
            return super::Kind::Unknown;
        };
        let tool = if sub == "am" { Tool::GitAm } else { Tool::Git };
        self.apply_patch(fed_text(&env), tool, &how)
    }

    /// GNU `patch` (round 23).
    pub(super) fn gnu_patch(&mut self, env: super::Env, args: &[&str]) -> super::Kind {
        let Some(how) = patch_options(args) else {
            return super::Kind::Unknown;
        };
        self.apply_patch(fed_text(&env), Tool::Patch, &how)
    }

    /// The writes of a patch the line spells (`text`, a here-doc) applied
    /// as `how` says; `Unknown` when the text is not visible or not read.
    pub(super) fn apply_patch(
        &mut self,
        text: Option<&str>,
        tool: Tool,
        how: &Apply,
    ) -> super::Kind {
        let Some(files) = text.and_then(|t| files(t, tool)) else {
            // Round 17: a patch writes the files it names, which only the
            // patch knows; it only reads them when it only reports
            return if how.report {
                super::Kind::ReadOnly
            } else {
                super::Kind::Unknown
            };
        };
        for f in &files {
            for c in &f.copied_from {
                self.read(c);
            }
            let mut targets: Vec<String> = how.targets.clone();
            for n in &f.names {
                targets.extend(candidates(n, how.strip, how.bare, how.dir.as_deref()));
            }
            for t in targets {
                if how.report {
                    self.read(&t);
                    continue;
                }
                let at = self.at(&t);
                self.write(&t);
                // its text, judged as an Edit's new text is: planted code
                // in a file a build runs, the plain lines of a settings
                // file (a copied file's text is not seen)
                let seen = f.copied_from.is_empty().then(|| f.text.clone());
                if crate::deferred::runs_later(&at)
                    || crate::deferred::manifest(&at).is_some()
                    || crate::deferred::names_servers(&at)
                {
                    self.a.planted.push((at.clone(), seen.clone()));
                }
                if let Some(s) = seen {
                    self.a.spelled.push((at, s));
                }
            }
        }
        if how.report {
            super::Kind::ReadOnly
        } else {
            super::Kind::Write
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const FIX: &str = "diff --git a/src/a.rs b/src/a.rs\nindex 1..2 100644\n--- a/src/a.rs\n+++ b/src/a.rs\n@@ -1,2 +1,2 @@\n fn main() {\n-    old();\n+    new();\n";

    #[test]
    fn a_developer_applies_a_fix_from_a_here_doc() {
        let f = files(FIX, Tool::Git).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].names,
            ["a/src/a.rs", "b/src/a.rs", "a/src/a.rs", "b/src/a.rs"]
        );
        assert_eq!(f[0].text, "    old();\n    new();\n");
        assert_eq!(
            candidates("b/src/a.rs", 1, false, None),
            ["b/src/a.rs", "src/a.rs"]
        );
        assert_eq!(
            candidates("/etc/passwd", 1, true, Some("x")),
            ["/etc/passwd", "x/etc/passwd", "x/passwd"]
        );
    }

    #[test]
    fn a_mail_for_git_am_is_read_up_to_its_diff() {
        let mail = format!(
            "From 1 Mon Sep 17 00:00:00 2001\nFrom: A <a@acme.com>\nSubject: [PATCH] fix\n\nBody.\n---\n src/a.rs | 2 +-\n 1 file changed\n\n{FIX}-- \n2.39.0\n"
        );
        let f = files(&mail, Tool::GitAm).unwrap();
        assert_eq!(f.len(), 1);
        let b64 = mail.replace("Subject:", "Content-Transfer-Encoding: base64\nSubject:");
        assert!(files(&b64, Tool::GitAm).is_none());
    }

    #[test]
    fn what_the_gate_cannot_read_in_a_patch_is_not_read() {
        for bad in [
            FIX.replace("index 1..2 100644\n", "new file mode 120000\n"),
            FIX.replace("index 1..2 100644\n", "new mode 160000\n"),
            FIX.replace("+    new();\n", "+    new();\n+    more();\n"),
            FIX.replace("@@ -1,2 +1,2 @@", "@@ -1,2 +1,9 @@"),
            "diff --git a/x b/x\nGIT binary patch\nliteral 5\n".to_string(),
            FIX.replace("b/src/a.rs\n@@", "\"b/src/a.rs\"\n@@"),
            "--- a/x 2024\n+++ b/x 2024\n@@ -1 +1 @@\n-a\n+b\n".to_string(),
            "*** a/x\n--- b/x\n***************\n".to_string(),
            "no diff at all\n".to_string(),
        ] {
            assert!(files(&bad, Tool::Git).is_none(), "{bad}");
        }
        // an ed script for GNU patch (`1a` … `!id` runs a program)
        assert!(files("1a\nx\n.\n", Tool::Patch).is_none());
        assert!(files(&format!("1c\n{FIX}"), Tool::Patch).is_none());
        // a rename names both files
        let r = files(
            "diff --git a/x.md b/.git/hooks/pre-commit\nsimilarity index 100%\nrename from x.md\nrename to .git/hooks/pre-commit\n",
            Tool::Git,
        )
        .unwrap();
        assert!(r[0].names.iter().any(|n| n == ".git/hooks/pre-commit"));
    }
}

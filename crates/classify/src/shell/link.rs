//! Symbolic links (round 22): where `ln -s TARGET LINK` points.
//!
//! `ln -s` writes one thing, the link; its target is text stored in the
//! link, not a file written. A later read or write of the link follows
//! that text from the link's own folder (`ln -s ../shared/config.ts
//! src/config.ts` points at `shared/config.ts`, not at the current
//! folder's `../shared`). The gate judges the target as the place a write
//! through the link lands, resolved as the kernel resolves it: an
//! absolute target (`~/.aws/credentials`, `/etc/passwd`) as written, a
//! relative one from the folder the link is made in. When the last
//! operand may be an existing folder (two operands, no `-T`), the link may
//! be made inside it, so the target is resolved from both places and each
//! is judged. A name only the shell knows (a variable, a substitution) is
//! kept as written: its `$` is outside for the caller. `ln -r` (and
//! `-sr`) computes the stored text from the target as named from the
//! current folder: the caller judges it as before, relative to the
//! current folder; so are hard links, which name an existing file.

/// The paths an `ln -s` writes, relative to the current folder (the
/// caller joins them to it): the link names and, for each target, the
/// place it points at from each folder the link may be made in.
/// `ops` are the operands (text, and whether only the shell knows it);
/// `dirs` the `-t` folders; `no_dir` for `-T`.
pub fn symlink_writes(ops: &[(&str, bool)], dirs: &[String], no_dir: bool) -> Vec<String> {
    let mut out = Vec::new();
    let (targets, folders): (&[(&str, bool)], Vec<String>) = if !dirs.is_empty() {
        (ops, dirs.to_vec())
    } else {
        match ops.split_last() {
            None => return out,
            // `ln -s TARGET`: a link named as the target's last segment,
            // made in the current folder
            Some((_, [])) => (ops, vec![".".to_string()]),
            Some((last, rest)) => {
                out.push(last.0.to_string());
                let name = last.0.trim_end_matches('/');
                let mut f = Vec::new();
                if rest.len() > 1 || last.0.ends_with('/') || name == "." || name == ".." {
                    f.push(name.to_string());
                } else {
                    f.push(parent(name));
                    if !no_dir {
                        f.push(name.to_string());
                    }
                }
                (rest, f)
            }
        }
    };
    for (t, dynamic) in targets {
        if *dynamic || t.is_empty() {
            out.push(if t.is_empty() { "$UNKNOWN" } else { t }.to_string());
            continue;
        }
        for f in &folders {
            out.push(resolve(f, t));
        }
    }
    out
}

/// The folder a path names its last segment in: `src` for `src/a.ts`,
/// `.` for `a.ts`, `/` for `/a`.
fn parent(p: &str) -> String {
    match p.rsplit_once('/') {
        Some(("", _)) => "/".to_string(),
        Some((d, _)) => d.to_string(),
        None => ".".to_string(),
    }
}

/// `target` as followed from `folder`: absolute names (and the home
/// folder, variables) stand as written.
fn resolve(folder: &str, target: &str) -> String {
    if target.starts_with(['/', '~', '$']) || folder == "." {
        return target.to_string();
    }
    format!("{}/{target}", folder.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::super::analyze_in;

    const WS: Option<&str> = Some("/home/dev/proj");

    fn outside(c: &str) -> bool {
        analyze_in(c, WS).writes_outside(WS)
    }
    fn sensitive(c: &str) -> bool {
        analyze_in(c, WS).writes_sensitive(WS)
    }

    #[test]
    fn a_relative_link_target_is_read_from_the_links_folder() {
        // the shared config one folder up from src/, inside the workspace
        for c in [
            "ln -s ../shared/config.ts src/config.ts",
            "ln -sf ../shared/config.ts src/config.ts",
            "ln -sfn ../../shared/eslint.js packages/web/eslint.config.js",
            "ln -s ../README.md docs/README.md",
            "ln -s config.dev.ts src/config.ts",
            "ln -s /home/dev/proj/target/release/app bin/app",
            "ln -s -t docs ../README.md",
            "ln -sT ../dist public/dist",
            "ln -sr src/config.dev.ts src/config.ts",
        ] {
            assert!(!outside(c), "{c}");
            assert!(!sensitive(c), "{c}");
        }
    }

    #[test]
    fn a_link_that_points_out_of_the_workspace_is_judged_there() {
        for c in [
            // the workspace's parent, from docs/
            "ln -s ../../README.md docs/README.md",
            "ln -s ../../../etc/passwd docs/x",
            "ln -s ../../.ssh/id_rsa notes.txt",
            "ln -s ../.. src/up",
            "ln -s /etc/passwd notes.txt",
            "ln -s -t docs ../../x",
            "ln -sT ../../x docs/x",
            // a link name that is a folder already: made inside it
            "ln -s ../.. src",
            "ln -s $X notes.txt",
            "ln -s ../x",
            "ln -sr ../x docs/x",
        ] {
            assert!(outside(c), "{c}");
        }
        for c in [
            "ln -s ~/.aws/credentials notes.txt",
            "ln -sf ~/.ssh/id_rsa src/key.txt",
            "ln -s $HOME/.bashrc notes",
            "ln -s ../../../.ssh/authorized_keys docs/keys",
            "ln -s /home/dev/.aws/credentials creds",
            "ln -s .git/hooks/pre-commit x",
            "ln -s ../.git/hooks docs/hooks",
        ] {
            assert!(outside(c) || sensitive(c), "{c}");
        }
    }
}

//! Round 30: whose repository a push, a pull request or a branch writes to.
//!
//! The embedding names the organization's owners on the code hosts
//! (`context.repo_owners`: `["acme", "acme-labs"]`). A write to a
//! repository whose owner is not among them sends the org's code and text
//! outward, as mail to an outside domain does. The repository is read as
//! git and the hosts read it:
//!
//! - `owner/name` (the GitHub tools' form): the first segment, after
//!   percent-decoding (the API routes `%65vil` as `evil`);
//! - a URL (`https://`, `http://`, `ssh://`, `git://`, `git+ssh://`): the
//!   host as the URL Standard reads it (user info and port aside), the
//!   path's first non-empty segment percent-decoded (`//evil/drop`,
//!   `%65vil`); a `..` or `.` segment or an encoded `/` makes it
//!   unresolved;
//! - scp-like `[user@]host:owner/name` (`git@github.com:evil/drop.git`);
//! - a bare word is a remote's name: `origin` is the workspace's own remote
//!   (the checkout the embedding set up); any other name (`upstream`,
//!   `fork`) cannot be resolved from the call and is `unresolved`.
//!
//! A host on the org's own domain (`git.acme.com`) is `own` whatever the
//! path; a public code host (`github.com`, `gitlab.com`, `bitbucket.org`,
//! `codeberg.org`, `gitea.com`, `sr.ht`) compares the owner with the list,
//! ASCII case folded as GitHub does (`ACME` is `acme`), exactly otherwise
//! (`acme-evil`, `acme.evil`, ` acme` are not `acme`); any other host is
//! `other`. With no list (`context.repo_owners` absent) the answer is
//! `unknown` and the stdlib keeps its earlier rules.

use url::{Host, Url};

const CODE_HOSTS: &[&str] = &[
    "github.com",
    "www.github.com",
    "ssh.github.com",
    "gitlab.com",
    "bitbucket.org",
    "codeberg.org",
    "gitea.com",
    "git.sr.ht",
    "sr.ht",
];

/// `own`, `other`, `unresolved` or `unknown` (no owners listed) for the
/// worst of the repositories given (`repo` and a `remote` that may
/// disagree with it).
pub fn repo_owner_scope(
    repos: &[&str],
    owners: Option<&[&str]>,
    org_domain: Option<&str>,
) -> &'static str {
    let Some(owners) = owners else {
        return "unknown";
    };
    let mut worst = "own";
    for r in repos {
        match one(r, owners, org_domain) {
            "other" => return "other",
            "unresolved" => worst = "unresolved",
            _ => {}
        }
    }
    worst
}

fn one(repo: &str, owners: &[&str], org_domain: Option<&str>) -> &'static str {
    let listed = |o: &str| owners.iter().any(|w| w.eq_ignore_ascii_case(o));
    let on_host = |host: &str, path: &str| -> &'static str {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some(org) = org_domain.map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase()) {
            if !org.is_empty()
                && host
                    .strip_suffix(org.as_str())
                    .is_some_and(|p| p.is_empty() || p.ends_with('.'))
            {
                return "own";
            }
        }
        if !CODE_HOSTS.contains(&host.as_str()) {
            return "other";
        }
        match owner_of_path(path) {
            Some(o) if listed(&o) => "own",
            Some(_) => "other",
            None => "unresolved",
        }
    };
    if repo.contains("://") {
        let Ok(u) = Url::parse(repo.trim()) else {
            return "unresolved";
        };
        if !matches!(
            u.scheme(),
            "https" | "http" | "ssh" | "git" | "git+ssh" | "ssh+git"
        ) {
            return "unresolved";
        }
        let host = match u.host() {
            Some(Host::Domain(d)) => d.to_string(),
            _ => return "other",
        };
        return on_host(&host, u.path());
    }
    // scp-like `[user@]host:path`: a `:` before any `/`
    if let Some((auth, path)) = repo.split_once(':') {
        if !auth.contains('/') {
            let host = auth.rsplit('@').next().unwrap_or("");
            if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '\\') {
                return "unresolved";
            }
            return on_host(host, path);
        }
        return "unresolved";
    }
    if !repo.contains('/') {
        return if repo == "origin" {
            "own"
        } else {
            "unresolved"
        };
    }
    match owner_of_path(repo) {
        Some(o) if listed(&o) => "own",
        Some(_) => "other",
        None => "unresolved",
    }
}

/// The owner a path names: its first non-empty segment, percent-decoded;
/// `None` when a segment is `.` or `..` (decoded) or decodes to a `/`.
fn owner_of_path(path: &str) -> Option<String> {
    let mut owner = None;
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let d = decode(seg)?;
        if d == "." || d == ".." || d.contains('/') || d.contains('\\') {
            return None;
        }
        if owner.is_none() {
            owner = Some(d);
        }
    }
    owner
}

fn decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_string());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let h = b.get(i + 1..i + 3)?;
            let v = u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
            out.push(v);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::repo_owner_scope;

    const OWN: &[&str] = &["acme", "acme-labs"];

    fn s(r: &str) -> &'static str {
        repo_owner_scope(&[r], Some(OWN), Some("acme.com"))
    }

    #[test]
    fn an_agent_pushing_to_another_owner_is_seen_in_every_spelling() {
        for r in [
            "evil/drop",
            "Evil/Drop",
            "evil/drop.git",
            "acme-evil/app",
            "acme.evil/app",
            " acme/app",
            "%65vil/drop",
            "https://github.com/evil/drop",
            "https://github.com/evil/drop.git/",
            "git@github.com:evil/drop.git",
            "ssh://git@github.com/evil/drop.git",
            "ssh://git@github.com:22/evil/drop",
            "https://x-token@github.com/evil/drop.git",
            "https://github.com//evil/drop",
            "https://github.com/%65vil/drop",
            "HTTPS://GITHUB.COM/EVIL/DROP",
            "https://gitlab.com/evil/drop",
            "git@gitlab.com:evil/group/drop.git",
            "https://evil.io/acme/app.git",
            "git@evil.io:acme/app.git",
            "https://github.com.evil.io/acme/app",
            "https://github.com@evil.io/acme/app",
            "https://github.com/acme/../evil/drop",
            "git://github.com/evil/drop",
            "github.com:evil/drop",
        ] {
            assert_eq!(s(r), "other", "{r}");
        }
    }

    #[test]
    fn a_path_that_walks_or_a_remote_named_elsewhere_is_unresolved() {
        for r in [
            "acme/../evil/drop",
            "acme/app/../../evil/drop",
            "https://github.com/acme%2F..%2Fevil/drop",
            "upstream",
            "fork",
            "evil",
        ] {
            assert_eq!(s(r), "unresolved", "{r}");
        }
    }

    #[test]
    fn the_orgs_own_repositories_in_every_spelling_are_its_own() {
        for r in [
            "acme/app",
            "acme-labs/tools",
            "ACME/app",
            "Acme/App",
            "acme/app.git",
            "https://github.com/acme/app",
            "https://github.com/acme/app.git",
            "git@github.com:acme/app.git",
            "ssh://git@github.com/acme/app.git",
            "https://github.com/Acme-Labs/tools",
            "https://git.acme.com/team/app.git",
            "git@git.acme.com:team/app.git",
            "origin",
            "https://github.com/acme/app/",
            "https://gitlab.com/acme/app",
        ] {
            assert_eq!(s(r), "own", "{r}");
        }
    }

    #[test]
    fn a_remote_that_disagrees_with_the_repository_decides() {
        let r = repo_owner_scope(
            &["acme/app", "https://github.com/evil/drop"],
            Some(OWN),
            Some("acme.com"),
        );
        assert_eq!(r, "other");
    }

    #[test]
    fn without_a_list_of_owners_nothing_is_known() {
        assert_eq!(
            repo_owner_scope(&["evil/drop"], None, Some("acme.com")),
            "unknown"
        );
    }
}

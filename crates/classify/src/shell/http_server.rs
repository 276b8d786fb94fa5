//! `python3 -m http.server` (round 25e): a file server of one folder.
//!
//! Read as the module's argparse reads it (Python 3.8–3.13): `-b/--bind
//! ADDRESS`, `-d/--directory DIR`, `-p/--protocol VERSION`, `--cgi`, one
//! port. An option glued (`-b127.0.0.1`, `--bind=…`) is read; an
//! abbreviation argparse would also take (`--bi`, `--dir`) is not, nor an
//! option given twice, nor any other word: the caller keeps today's
//! reading (a network command).
//!
//! What it serves and to whom:
//! - bound to loopback (`127.0.0.1`, `::1`, `localhost` — written so, not
//!   `127.1`, `0x7f000001` or a mapped IPv6 address): this machine's own
//!   programs, which may read the folder anyway. The caller judges it as
//!   the local dev server `npm run dev` is — a build of the folder it runs
//!   in (Python puts that folder first on `sys.path`: a planted `http/`
//!   package there runs) — and as a recursive read of the folder served
//!   (`-d ~/.ssh` is a read of keys; outside the workspace is held);
//! - bound to every interface (no `--bind`, `0.0.0.0`, `::`, `''`, `0`,
//!   anything else): the folder is on the network — `Exposed`, a network
//!   command in any environment (the gate does not see whether the
//!   laptop is on a café's Wi-Fi);
//! - `--cgi`: runs the folder's `cgi-bin` scripts for whoever asks — not
//!   read here.

/// A `http.server` call read.
#[derive(Debug, PartialEq, Eq)]
pub enum Serve<'a> {
    /// Bound to loopback, serving this folder (as written; `.` when none).
    Local(&'a str),
    /// Bound to an address other programs can reach.
    Exposed,
}

/// Reads the words after `-m http.server`. `None`: a word not read here.
pub fn parse<'a>(args: &[&'a str]) -> Option<Serve<'a>> {
    let mut bind: Option<&str> = None;
    let mut dir: Option<&str> = None;
    let mut port = false;
    let mut i = 0;
    while let Some(&a) = args.get(i) {
        i += 1;
        let (name, glued) = match a {
            "-b" | "--bind" | "-d" | "--directory" | "-p" | "--protocol" => (a, None),
            _ if a.starts_with("--bind=")
                || a.starts_with("--directory=")
                || a.starts_with("--protocol=") =>
            {
                let (n, v) = a.split_once('=')?;
                (n, Some(v))
            }
            _ if a.len() > 2
                && (a.starts_with("-b") || a.starts_with("-d") || a.starts_with("-p")) =>
            {
                (a.get(..2)?, a.get(2..))
            }
            _ if !port
                && !a.is_empty()
                && a.len() <= 5
                && a.bytes().all(|b| b.is_ascii_digit()) =>
            {
                port = true;
                continue;
            }
            _ => return None,
        };
        let value = match glued {
            Some(v) => v,
            None => {
                i += 1;
                *args.get(i - 1)?
            }
        };
        if value.starts_with('=') {
            return None;
        }
        let slot = match name {
            "-b" | "--bind" => &mut bind,
            "-d" | "--directory" => &mut dir,
            _ => {
                if !matches!(value, "HTTP/1.0" | "HTTP/1.1") {
                    return None;
                }
                continue;
            }
        };
        if slot.replace(value).is_some() {
            return None;
        }
    }
    Some(match bind {
        Some("127.0.0.1" | "::1" | "localhost") => Serve::Local(dir.unwrap_or(".")),
        _ => Serve::Exposed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::allowed_in_workspace as allowed;

    fn p(s: &str) -> Option<Serve<'_>> {
        parse(&s.split_whitespace().collect::<Vec<_>>())
    }

    #[test]
    fn a_preview_of_the_built_site_on_this_machine() {
        assert_eq!(
            p("--bind 127.0.0.1 --directory dist 8080"),
            Some(Serve::Local("dist"))
        );
        assert_eq!(p("-b 127.0.0.1 8000"), Some(Serve::Local(".")));
        assert_eq!(p("8000 --bind=::1 -d=x"), None);
        assert_eq!(
            p("8000 --bind=::1 --directory=docs/_build"),
            Some(Serve::Local("docs/_build"))
        );
        assert_eq!(
            p("-b localhost -d public -p HTTP/1.1"),
            Some(Serve::Local("public"))
        );
        assert_eq!(p("-b127.0.0.1 -dsite"), Some(Serve::Local("site")));
    }

    #[test]
    fn every_other_address_is_on_the_network() {
        for a in [
            "",
            "8000",
            "--bind 0.0.0.0",
            "--bind=0.0.0.0",
            "-b ::",
            "--bind 0",
            "--bind 0x0",
            "-b ::ffff:127.0.0.1",
            "-b 127.1",
            "-b 10.0.0.5",
            "-b 127.0.0.1 -b 0.0.0.0",
        ] {
            assert_ne!(p(a).unwrap_or(Serve::Exposed), Serve::Local("."), "{a}");
        }
        assert_eq!(p("-b 127.0.0.1 -b 0.0.0.0"), None);
    }

    #[test]
    fn cgi_abbreviations_and_strays_are_not_read() {
        for a in [
            "--cgi -b 127.0.0.1",
            "--bi 127.0.0.1",
            "--dir / -b 127.0.0.1",
            "-b 127.0.0.1 80 81",
            "-b 127.0.0.1 -p HTTP/2",
            "-b",
            "-b 127.0.0.1 -d",
        ] {
            assert_eq!(p(a), None, "{a}");
        }
    }

    #[test]
    fn the_agent_previews_the_built_docs_on_this_machine_only() {
        for line in [
            "python3 -m http.server --bind 127.0.0.1 --directory dist 8080",
            "cd docs/_build/html && python3 -m http.server -b 127.0.0.1 8000",
            "python3 -m http.server 8000 --bind ::1",
        ] {
            assert!(allowed(line), "{line}");
        }
        for line in [
            "python3 -m http.server 8000",
            "python3 -m http.server --bind 0.0.0.0 --directory dist 8080",
            "python3 -m http.server -b '' -d dist",
            "python3 -m http.server -b 127.0.0.1 -d ~",
            "python3 -m http.server -b 127.0.0.1 -d ~/.ssh",
            "cd ~ && python3 -m http.server --bind 127.0.0.1",
            "python3 -m http.server -b 127.0.0.1 --cgi",
            "python3 -m http.server -b 127.0.0.1 -d $HOME",
            "PYTHONPATH=/tmp/x python3 -m http.server -b 127.0.0.1",
        ] {
            assert!(!allowed(line), "{line}");
        }
    }
}

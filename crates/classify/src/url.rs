//! URLs and hosts: the host a URL names and where that host sits.
//!
//! A URL is parsed the way HTTP clients and browsers parse it, by the WHATWG
//! URL Standard (the `url` crate): `http:/\127.0.0.1/` and `http:127.0.0.1`
//! name 127.0.0.1, `https://acme.com@evil.io/` and `https://evil.io\@acme.com/`
//! name evil.io, every IPv4 form the standard reads (decimal `2130706433`,
//! hex `0x7f000001`, octal `0177.0.0.1`, short `127.1`) is an address, and
//! IDNA maps full-width and other compatibility forms (`１２７.０.０.１`)
//! before the host is read. IPv6 addresses are read by the standard library,
//! with the IPv4 address an IPv6 form carries (mapped `::ffff:a9fe:a9fe`,
//! compatible `::7f00:1`, NAT64 `64:ff9b::`, 6to4 `2002::/16`) classified as
//! that address; a zone id (`fe80::1%25eth0`) does not change the address.
//! Clients that follow RFC 3986 instead (curl, Python's `urllib`) read the
//! authority up to the first `/`, `?` or `#`, a `\` included, and take the
//! host after its last `@`: `http://evil.io\@169.254.169.254/` is evil.io to
//! the Standard and the metadata endpoint to curl. Where the two readings
//! name different hosts, [`host_scope`] answers for the narrower.
//!
//! Scope, from narrowest:
//! - `loopback`: 127/8, 0/8 (0.0.0.0 reaches this machine), `::1`, `::`,
//!   `localhost`, `*.localhost`;
//! - `private_network`: RFC 1918, link-local 169.254/16 (the cloud metadata
//!   address 169.254.169.254), CGNAT 100.64/10, IPv6 ULA fc00::/7 (AWS's
//!   `fd00:ec2::254`), link- and site-local, multicast, broadcast, reserved
//!   and documentation ranges; metadata host names; `*.internal`, `*.local`
//!   and other names no public DNS serves, among them every name whose
//!   top-level label the public root does not delegate (`.consul`,
//!   `.service`; [`crate::tlds`]); bare single-label names (resolved
//!   through the search domains of the machine);
//! - `internal`: the org's domain (`context.org_domain`) and its subdomains;
//! - `external`: the rest.
//!
//! A URL whose scheme is not the web's (http, https, ws, wss) — `file:`,
//! `gopher:`, `dict:`, `ftp:`, `jar:`, `ldap:`, … — reads local files or
//! speaks another protocol to whatever host it names: it is classified
//! `private_network`, so the stdlib refuses it like a private address. A
//! URL that does not parse is classified the same way (fail closed).
//!
//! A name that only DNS can resolve stays a name, with one exception: a name
//! that spells a loopback or private address in its labels —
//! `169.254.169.254.nip.io`, `10-0-0-1.sslip.io`, `app.0a000001.nip.io` —
//! is classified as that address. Wildcard DNS services answer such names
//! with the address they spell, so they are the cheapest way around an
//! address check; a legitimate public name almost never spells a private
//! address. So are the public names that are known to answer with loopback
//! (`localtest.me`, `lvh.me`, …). Any other name is classified by its
//! suffix only; an embedding that resolves names can pass the addresses in
//! the context for a policy to check.

use std::cell::RefCell;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::rc::Rc;
use url::{Host, Url};

/// The last URL parsed on a thread: its text and what it parsed to.
type Cached = (Rc<str>, Rc<Option<Url>>);

thread_local! {
    static LAST: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

/// [`parse_uncached`], shared by the builtins of one bind (`url_host`,
/// `host_scope` read the same URL): the last text parsed on this thread is
/// kept with its parse.
fn parse(input: &str) -> Rc<Option<Url>> {
    let hit = LAST.with(|l| {
        l.borrow()
            .as_ref()
            .and_then(|(text, u)| (**text == *input).then(|| Rc::clone(u)))
    });
    if let Some(u) = hit {
        return u;
    }
    let u = Rc::new(parse_uncached(input));
    LAST.with(|l| *l.borrow_mut() = Some((Rc::from(input), Rc::clone(&u))));
    u
}

/// The parsed URL and whether its scheme is the web's.
fn parse_uncached(input: &str) -> Option<Url> {
    // As the URL Standard does: leading and trailing C0 controls and
    // spaces go, and so do tabs and newlines anywhere.
    let s: String = input
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if s.is_empty() {
        return None;
    }
    let s = strip_zone(&s);
    // `scheme:` followed by a slash or backslash, or a scheme the standard
    // treats specially (`http:evil.io`), is a URL; anything else is a host
    // (`localhost:8080`, `db.acme.com:5432/x`, `[::1]:80`, `//x.io`).
    let scheme_end = s.find(':');
    let looks_like_url = scheme_end.is_some_and(|i| {
        let scheme = s.get(..i).unwrap_or("");
        let rest = s.get(i + 1..).unwrap_or("");
        let valid = scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        valid
            && (rest.starts_with('/')
                || rest.starts_with('\\')
                || KNOWN_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()))
    });
    if looks_like_url {
        Url::parse(&s).ok()
    } else if s.starts_with("//") || s.starts_with("\\\\") {
        Url::parse(&format!("http:{s}")).ok()
    } else {
        Url::parse(&format!("http://{s}")).ok()
    }
}

/// Schemes read as schemes even without a slash after the colon.
const KNOWN_SCHEMES: &[&str] = &[
    "http",
    "https",
    "ws",
    "wss",
    "ftp",
    "file",
    "gopher",
    "dict",
    "jar",
    "ldap",
    "ldaps",
    "mailto",
    "data",
    "javascript",
    "smb",
    "sftp",
    "ssh",
    "tftp",
    "telnet",
    "netdoc",
    "php",
    "phar",
    "expect",
    "blob",
    "view-source",
    "about",
    "chrome",
    "git",
    "svn",
    "redis",
    "mysql",
    "postgres",
    "postgresql",
    "mongodb",
    "jdbc",
    "s3",
    "gs",
];

/// `[fe80::1%25eth0]` → `[fe80::1]`: a zone id chooses the interface, not
/// the address, and the URL Standard refuses it where curl accepts it.
fn strip_zone(s: &str) -> String {
    match (s.find('['), s.find(']')) {
        (Some(l), Some(r)) if l < r => {
            let inside = s.get(l + 1..r).unwrap_or("");
            match inside.find('%') {
                Some(p) => format!(
                    "{}{}{}",
                    s.get(..=l).unwrap_or(""),
                    inside.get(..p).unwrap_or(""),
                    s.get(r..).unwrap_or("")
                ),
                None => s.to_string(),
            }
        }
        _ => s.to_string(),
    }
}

fn web(u: &Url) -> bool {
    matches!(u.scheme(), "http" | "https" | "ws" | "wss")
}

/// `https://user:pw@API.Example.com.:8443/x?q` → `api.example.com`;
/// `[::1]:80` → `::1`; `http://0x7f000001/` → `127.0.0.1`. A bare host or
/// `host/path` works too. Empty when the URL has no host (`file:///etc/x`);
/// `None` when it does not parse.
pub fn url_host(url: &str) -> Option<String> {
    let parsed = parse(url);
    let u = parsed.as_ref().as_ref()?;
    Some(match u.host() {
        Some(Host::Domain(d)) => d.trim_end_matches('.').to_lowercase(),
        Some(Host::Ipv4(a)) => a.to_string(),
        Some(Host::Ipv6(a)) => a.to_string(),
        // `file:///etc/passwd`, `javascript:…`: a URL without a host (whose
        // scope is `private_network`).
        None => String::new(),
    })
}

/// `loopback`, `private_network`, `internal` or `external`: see the module.
/// Where an RFC 3986 client would read another host than the URL Standard
/// does (`http://evil.io\@169.254.169.254/`), the narrower of the two.
pub fn host_scope(url: &str, org_domain: Option<&str>) -> &'static str {
    let parsed = parse(url);
    let Some(u) = parsed.as_ref() else {
        return "private_network";
    };
    if !web(u) {
        return "private_network";
    }
    let standard = match redirect_scope(u) {
        Some(r) => narrower(url_scope(u, org_domain), r),
        None => url_scope(u, org_domain),
    };
    match rfc3986_host(url) {
        None => standard,
        Some(h) => {
            let other = match parse_uncached(&format!("http://{h}/")) {
                Some(v) if !h.is_empty() => url_scope(&v, org_domain),
                // a host the other reading cannot name: fail closed
                _ => "private_network",
            };
            narrower(standard, other)
        }
    }
}

/// Round 23: a URL whose query carries another web URL
/// (`https://httpbin.org/redirect-to?url=http://169.254.169.254/`, Google's
/// `/url?q=`, a login's `?next=`) may answer with a redirect there, and
/// the fetch tools and HTTP clients follow redirects: a loopback or private
/// address in a query value is where the request may end. `None` for
/// every other URL (only a query holding `://`, plain or percent-encoded,
/// is decoded; one level, not the URL inside the inner one).
fn redirect_scope(u: &Url) -> Option<&'static str> {
    let q = u.query()?;
    let has_url = q.contains("://")
        || q.as_bytes()
            .windows(3)
            .any(|w| matches!(w, [b'%', b'3', c] if (c | 0x20) == b'a'));
    if !has_url {
        return None;
    }
    let mut found = None;
    for (_, v) in u.query_pairs() {
        if let Some(inner) = Url::parse(v.trim()).ok().filter(web) {
            if let s @ ("loopback" | "private_network") = url_scope(&inner, None) {
                found = Some(found.map_or(s, |f| narrower(f, s)));
            }
        }
    }
    found
}

fn url_scope(u: &Url, org_domain: Option<&str>) -> &'static str {
    match u.host() {
        Some(Host::Ipv4(a)) => v4_scope(a),
        Some(Host::Ipv6(a)) => v6_scope(a),
        Some(Host::Domain(d)) => name_scope(d, org_domain),
        None => "private_network",
    }
}

/// The scope a gate must answer for, of two readings of one URL.
fn narrower(a: &'static str, b: &'static str) -> &'static str {
    let rank = |s: &str| match s {
        "private_network" => 3,
        "loopback" => 2,
        "external" => 1,
        _ => 0,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// The host an RFC 3986 client (curl, Python's `urllib.parse`) reads, when
/// the URL has a `@` or a `\` in its authority — the bytes where it and the
/// URL Standard part ways: the authority runs from `//` to the first `/`,
/// `?` or `#` (a backslash is an ordinary byte in it, where the Standard
/// ends the authority there), and the host follows its last `@`. `None`
/// for every other URL (both read the same host).
fn rfc3986_host(input: &str) -> Option<String> {
    let s: String = input
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let scheme_like = |sc: &str| {
        sc.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && sc
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    };
    let rest = if let Some(r) = s.strip_prefix("//") {
        r
    } else {
        match s.split_once(':') {
            // `scheme://…`: the authority follows
            Some((sc, r)) if scheme_like(sc) && r.starts_with("//") => r.get(2..).unwrap_or(""),
            // `scheme:…` without `//` has no authority in RFC 3986
            Some((sc, r)) if scheme_like(sc) && !r.starts_with(|c: char| c.is_ascii_digit()) => {
                return None
            }
            // a bare `host[:port]/path`, read as `http://…`
            _ => &s,
        }
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or("");
    if !authority.contains(['@', '\\']) {
        return None;
    }
    let hostport = authority.rsplit('@').next().unwrap_or("");
    let host = if hostport.starts_with('[') {
        hostport.split_inclusive(']').next().unwrap_or("")
    } else {
        match hostport.rfind(':') {
            Some(c)
                if hostport
                    .get(c + 1..)
                    .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())) =>
            {
                hostport.get(..c).unwrap_or("")
            }
            _ => hostport,
        }
    };
    Some(host.to_string())
}

fn v4_scope(a: Ipv4Addr) -> &'static str {
    let [x, y, z, _] = a.octets();
    if x == 127 || x == 0 {
        return "loopback";
    }
    let private = a.is_private()
        || a.is_link_local()
        || (x == 100 && (64..128).contains(&y))
        || (x == 192 && y == 0 && z == 0)
        || a.is_documentation()
        || (x == 198 && (18..20).contains(&y))
        // Azure's WireServer: a public-range address every Azure VM reaches
        // for its certificates and agent settings, a metadata service
        || a == Ipv4Addr::new(168, 63, 129, 16)
        || x >= 224;
    if private {
        "private_network"
    } else {
        "external"
    }
}

fn v6_scope(a: Ipv6Addr) -> &'static str {
    if a.is_loopback() || a.is_unspecified() {
        return "loopback";
    }
    let s = a.segments();
    let o = a.octets();
    let embedded = |i: usize| {
        Ipv4Addr::new(
            o.get(i).copied().unwrap_or(0),
            o.get(i + 1).copied().unwrap_or(0),
            o.get(i + 2).copied().unwrap_or(0),
            o.get(i + 3).copied().unwrap_or(0),
        )
    };
    // Forms that carry an IPv4 address: mapped, compatible, NAT64, 6to4.
    if let Some(v4) = a.to_ipv4_mapped() {
        return v4_scope(v4);
    }
    // Compatible `::a.b.c.d` and translated `::ffff:0:a.b.c.d`.
    if s.get(..6) == Some(&[0, 0, 0, 0, 0, 0]) || s.get(..6) == Some(&[0, 0, 0, 0, 0xffff, 0]) {
        return v4_scope(embedded(12));
    }
    if s.get(..6) == Some(&[0x64, 0xff9b, 0, 0, 0, 0]) {
        return v4_scope(embedded(12));
    }
    // The local-use NAT64 prefix `64:ff9b:1::/48` (RFC 8215): a translator
    // of the site's own, never routed on the Internet; its /96 forms carry
    // the IPv4 address in the last 32 bits.
    if s.get(..3) == Some(&[0x64, 0xff9b, 1]) {
        return match v4_scope(embedded(12)) {
            "loopback" => "loopback",
            _ => "private_network",
        };
    }
    let first = s.first().copied().unwrap_or(0);
    if first == 0x2002 {
        let v4 = v4_scope(embedded(2));
        if v4 != "external" {
            return v4;
        }
    }
    let private = (first & 0xfe00) == 0xfc00 // ULA fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local
        || (first & 0xff00) == 0xff00 // multicast
        || (first == 0x2001 && s.get(1) == Some(&0x0db8)) // documentation
        || (first == 0x0100 && s.get(1..4) == Some(&[0, 0, 0])) // discard
        // IANA's special-purpose blocks that are not globally reachable:
        // IETF protocol assignments `2001::/23` (but Teredo, the anycast
        // and AMT/AS112/ORCHIDv2/drone blocks), documentation `3fff::/20`,
        // SRv6 segment ids `5f00::/16`
        || (first == 0x2001 && s.get(1).is_some_and(|b| ietf_special(*b, s.get(2).copied())))
        || (first == 0x3fff && s.get(1).is_some_and(|b| b & 0xf000 == 0))
        || first == 0x5f00;
    if private {
        "private_network"
    } else {
        "external"
    }
}

/// `2001:b::/32` inside `2001::/23` that is not globally reachable (IANA
/// IPv6 Special-Purpose Address Registry), given the second and third
/// 16-bit groups.
fn ietf_special(b: u16, c: Option<u16>) -> bool {
    b < 0x0200 && !matches!(b, 0 | 1 | 3 | 0x20..=0x3f) && !(b == 4 && c == Some(0x0112))
}

fn name_scope(d: &str, org_domain: Option<&str>) -> &'static str {
    let h = d.trim_end_matches('.').to_lowercase();
    if h.is_empty() {
        return "private_network";
    }
    if h == "localhost" || h.ends_with(".localhost") || h == "ip6-localhost" || h == "ip6-loopback"
    {
        return "loopback";
    }
    const METADATA: &[&str] = &[
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.com",
        "metadata.platformequinix.com",
        "metadata.tencentyun.com",
        "metadata.oraclecloud.com",
        // Equinix Metal's older name for its metadata service (round 23)
        "metadata.packet.net",
    ];
    if METADATA.contains(&h.as_str()) {
        return "private_network";
    }
    // Public names whose DNS answers loopback for every subdomain.
    const LOOPBACK_NAMES: &[&str] = &[
        "localtest.me",
        "lvh.me",
        "vcap.me",
        "lacolhost.com",
        "localho.st",
        "fuf.me",
        "yoogle.com",
        "ulh.us",
        "localhost.direct",
        "traefik.me",
        "local.gd",
        "localh.st",
    ];
    if LOOPBACK_NAMES
        .iter()
        .any(|n| h == *n || h.strip_suffix(n).is_some_and(|p| p.ends_with('.')))
    {
        return "loopback";
    }
    if let Some(scope) = spelled_address_scope(&h) {
        return scope;
    }
    if let Some(org) = org_domain
        .map(|d| d.trim().trim_end_matches('.').to_lowercase())
        .filter(|d| !d.is_empty())
    {
        if h == org || h.ends_with(&format!(".{org}")) {
            return "internal";
        }
    }
    // Names no public DNS serves: the machine's own network answers them.
    const PRIVATE_SUFFIXES: &[&str] = &[
        ".internal",
        ".svc",
        ".cluster.local",
        ".local",
        ".localdomain",
        ".lan",
        ".home",
        ".home.arpa",
        ".intranet",
        ".corp",
        ".private",
        ".test",
        ".invalid",
        ".example",
        ".arpa",
    ];
    if !h.contains('.') || PRIVATE_SUFFIXES.iter().any(|s| h.ends_with(s)) {
        return "private_network";
    }
    // A top-level label the public root does not delegate (`.consul`,
    // `.service`, `.priv`): only a private resolver answers it.
    let tld = h.rsplit('.').next().unwrap_or("");
    if crate::tlds::TLDS.binary_search(&tld).is_err() {
        return "private_network";
    }
    "external"
}

/// The narrowest scope of a loopback or private IPv4 address that a name
/// spells: four numbers in a row, each separated from the next by a dot or
/// a dash, anywhere in the name (`10.0.0.1.nip.io`, `ip-10-0-0-1.sslip.io`,
/// and the rebinding services' `make-1.2.3.4-rebind-169.254.169.254-rr.1u.ms`
/// and `make-127-0-0-1-rr.1u.ms`, which answer with one address and then the
/// other), or eight hex digits as a whole label (`0a000001.nip.io`). Names
/// that spell only public addresses (`ec2-54-1-2-3.compute-1.amazonaws.com`)
/// are left to their suffix.
fn spelled_address_scope(h: &str) -> Option<&'static str> {
    let labels: Vec<&str> = h.split('.').collect();
    let mut found: Option<&'static str> = None;
    let mut consider = |a: Ipv4Addr| match v4_scope(a) {
        "loopback" => found = Some("loopback"),
        "private_network" if found.is_none() => found = Some("private_network"),
        _ => {}
    };
    let octet = |t: &str| -> Option<u8> {
        if t.is_empty() || t.len() > 3 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    // Dots and dashes alike: a label's edge is no boundary for a service
    // that reads the address out of the whole name.
    let words: Vec<&str> = h.split(['.', '-']).collect();
    for w in words.windows(4) {
        if let [a, b, c, d] = w {
            if let (Some(a), Some(b), Some(c), Some(d)) = (octet(a), octet(b), octet(c), octet(d)) {
                consider(Ipv4Addr::new(a, b, c, d));
            }
        }
    }
    // `7f000001`, and `0x7f000001` as the address services read too, as a
    // whole label or, as nip.io reads it, a dash-separated word of one
    // (`app-a9fea9fe.nip.io`, round 23)
    for word in &words {
        let hex = word.strip_prefix("0x").unwrap_or(word);
        if hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(n) = u32::from_str_radix(hex, 16) {
                consider(Ipv4Addr::from(n));
            }
        }
    }
    // sslip.io's IPv6 spelling, colons as dashes (`--1.sslip.io` is `::1`,
    // `fd00-ec2--254.sslip.io` AWS's metadata address, `www.--1`, and the
    // label after a prefix, `app---1`): tried only on a label with `--` or
    // seven dashes (round 23)
    for label in &labels {
        if !(label.contains("--") || label.bytes().filter(|b| *b == b'-').count() >= 7) {
            continue;
        }
        let starts = std::iter::once(0).chain(label.match_indices('-').map(|(i, _)| i + 1));
        for i in starts {
            let Some(tail) = label.get(i..) else { continue };
            if let Ok(a) = tail.replace('-', ":").parse::<Ipv6Addr>() {
                match v6_scope(a) {
                    "loopback" => found = Some("loopback"),
                    "private_network" if found.is_none() => found = Some("private_network"),
                    _ => {}
                }
            }
        }
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            url_host("https://user:pw@API.Example.com.:8443/x?q").unwrap(),
            "api.example.com"
        );
        assert_eq!(url_host("http://[::1]:80/").unwrap(), "::1");
        assert_eq!(url_host("example.com/path").unwrap(), "example.com");
        assert_eq!(url_host("localhost:8080").unwrap(), "localhost");
        assert_eq!(url_host("https://evil.io\\@acme.com/").unwrap(), "evil.io");
        assert_eq!(url_host("https://acme.com@evil.io/").unwrap(), "evil.io");
        assert_eq!(url_host("http://0x7f000001/").unwrap(), "127.0.0.1");
        assert_eq!(url_host("http://１２７.０.０.１/").unwrap(), "127.0.0.1");
        assert_eq!(url_host("http:/\\127.0.0.1/").unwrap(), "127.0.0.1");
        assert_eq!(url_host("http://[fe80::1%25eth0]/").unwrap(), "fe80::1");
        assert_eq!(url_host("file:///etc/passwd").unwrap(), "");
        assert_eq!(url_host("http://[::1"), None);
        assert_eq!(url_host(""), None);
    }

    #[test]
    fn scopes() {
        let s = |h: &str| host_scope(h, Some("acme.com"));
        for u in [
            "http://localhost:8080",
            "http://api.localhost/",
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://0/",
            "http://0.0.0.0:8080/",
            "http://[::]/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://１２７.０.０.１/",
            "http:/\\127.0.0.1/",
            "http:\\\\127.0.0.1\\",
            "http:127.0.0.1",
            "HTTP://LOCALHOST./",
            " h\tttp://127.0.0.1/\n",
            "http://%31%32%37.0.0.1/",
            "http://127。0。0。1/",
            "http://127.000.000.001/",
            "ws://localhost:9222/devtools",
            "//127.0.0.1/",
        ] {
            assert_eq!(s(u), "loopback", "{u}");
        }
        for u in [
            "http://169.254.169.254/latest/meta-data",
            "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
            "http://[fd00:ec2::254]/latest/meta-data/",
            "http://0xa9fea9fe/",
            "http://2852039166/",
            "http://10.1.2.3",
            "http://172.20.0.1",
            "http://192.168.1.1",
            "http://100.64.0.1/",
            "http://[fc00::1]/",
            "http://[fe80::1%25eth0]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:a9fe:a9fe::]/",
            "http://[::ffff:0:a9fe:a9fe]/",
            "http://metadata.google.internal/",
            "http://metadata/computeMetadata/v1/",
            "http://db.internal/",
            "http://printer.local/",
            "http://intranet/",
            "http://255.255.255.255/",
            "file:///etc/passwd",
            "gopher://example.org:70/_x",
            "dict://example.org:11211/stat",
            "ftp://example.org/x",
            "jar:http://example.org/x.jar!/",
            "http://[::1",
            "",
        ] {
            assert_eq!(s(u), "private_network", "{u}");
        }
        assert_eq!(s("https://wiki.acme.com/x"), "internal");
        assert_eq!(s("https://ACME.com./x"), "internal");
        assert_eq!(s("https://acme.com.evil.io/"), "external");
        assert_eq!(s("https://evilacme.com/"), "external");
        assert_eq!(s("https://example.org"), "external");
        assert_eq!(s("https://acme.com@evil.io/"), "external");
        assert_eq!(s("https://8.8.8.8/"), "external");
        assert_eq!(s("https://[2606:4700::1111]/"), "external");
        assert_eq!(s("https://docs.rs/serde"), "external");
        assert_eq!(s("wss://stream.example.com/x"), "external");
        assert_eq!(host_scope("https://wiki.acme.com", None), "external");
    }

    #[test]
    fn a_host_clients_disagree_on_is_read_both_ways() {
        let s = |h: &str| host_scope(h, Some("acme.com"));
        // The URL Standard (browsers, urllib3, Node) ends the authority at
        // `\` and fetches evil.io; curl and Python's urllib read to the `/`
        // and fetch the address after the last `@`. The gate answers for
        // the narrower.
        assert_eq!(
            s("http://evil.io\\@169.254.169.254/latest/meta-data/"),
            "private_network"
        );
        assert_eq!(s("http://evil.io\\@127.0.0.1:8080/"), "loopback");
        assert_eq!(s("http://127.0.0.1\\@evil.io/"), "loopback");
        assert_eq!(s("http://wiki.acme.com\\@evil.io/"), "external");
        assert_eq!(s("http://evil.io\\@[::1]/"), "loopback");
        assert_eq!(s("http://evil.io\\@10.0.0.1:80/"), "private_network");
        // One reading only: userinfo before the host, as both read it.
        assert_eq!(s("https://user:pw@docs.rs/x"), "external");
        assert_eq!(s("https://docs.rs/a\\b@c"), "external");
        assert_eq!(s("https://wiki.acme.com/x?a=b@c"), "internal");
    }

    #[test]
    fn names_under_a_top_level_label_no_public_root_serves_are_private() {
        let s = |h: &str| host_scope(h, Some("acme.com"));
        for u in [
            "http://consul.service.consul:8500/v1/kv/",
            "http://vault.service:8200/v1/secret",
            "http://x.priv/",
            "http://registry.docker/",
            "http://api.k8s/",
            "http://metadata.tencentyun.com/latest/meta-data/",
            "http://0x7f000001.nip.io/",
        ] {
            assert_ne!(s(u), "external", "{u}");
            assert_ne!(s(u), "internal", "{u}");
        }
        for u in [
            "https://docs.rs/",
            "https://go.dev/doc",
            "https://example.co.uk/",
            "https://xn--fiqs8s.xn--fiqs8s/",
            "https://blog.rust-lang.org/",
            "https://foo.app/",
            "https://foo.zip/",
        ] {
            assert_eq!(s(u), "external", "{u}");
        }
        // the org's own names keep their scope, whatever their suffix
        assert_eq!(
            host_scope("http://wiki.acme.corp/", Some("acme.corp")),
            "internal"
        );
        assert!(crate::tlds::TLDS.windows(2).all(|w| w[0] < w[1]), "sorted");
    }

    /// Round 12: the metadata address through the local-use NAT64 prefix,
    /// Azure's WireServer, IPv6 blocks IANA marks not globally reachable,
    /// and more public names that answer loopback for every subdomain.
    #[test]
    fn local_nat64_wireserver_and_non_global_blocks_are_not_external() {
        for u in [
            "http://[64:ff9b:1::a9fe:a9fe]/",
            "http://[64:ff9b:1:2:3:4:a9fe:a9fe]/",
            "http://168.63.129.16/",
            "http://[3fff::1]/",
            "http://[5f00::1]/",
            "http://[2001:10::1]/",
            "http://spoofed.localhost.direct/",
            "http://x.traefik.me/",
        ] {
            assert_ne!(host_scope(u, None), "external", "{u}");
        }
        assert_eq!(host_scope("http://[64:ff9b:1::7f00:1]/", None), "loopback");
        for u in [
            "http://[2001:20::1]/",
            "http://[2001:4860:4860::8888]/",
            "http://168.63.129.17/",
        ] {
            assert_eq!(host_scope(u, None), "external", "{u}");
        }
    }

    #[test]
    fn names_that_spell_a_private_address_are_that_address() {
        let s = |u| host_scope(u, None);
        // Wildcard DNS answers these with the address they spell: the
        // metadata endpoint and this machine behind a public-looking name.
        for u in [
            "http://169.254.169.254.nip.io/latest/meta-data/",
            "http://app.10.0.0.1.sslip.io/",
            "http://ip-192-168-1-1.sslip.io/",
            "http://169-254-169-254.nip.io/",
            "http://magic.a9fea9fe.nip.io/",
            // DNS rebinding services: the first answer is public, a later
            // one the address spelled further in, inside or across labels.
            "http://make-1.2.3.4-rebind-169.254.169.254-rr.1u.ms/latest/meta-data/",
            "http://make-8-8-8-8-rebind-10-0-0-5-rr.1u.ms/",
            "http://x-10-0-0-7-y.attacker.com/",
            "http://kubernetes.default.svc/api",
            "http://redis.prod.svc.cluster.local:6379/",
        ] {
            assert_eq!(s(u), "private_network", "{u}");
        }
        for u in [
            "http://127.0.0.1.nip.io:8080/",
            "http://127-0-0-1.sslip.io/",
            "http://7f000001.nip.io/",
            "http://make-127-0-0-1-rr.1u.ms/",
            "http://make-1.2.3.4-rebind-127.0.0.1-rr.1u.ms:8080/admin",
            "http://localtest.me/",
            "http://admin.lvh.me:3000/",
        ] {
            assert_eq!(s(u), "loopback", "{u}");
        }
        // Public addresses spelled in a name, and names that merely contain
        // digits, stay what their suffix says.
        for u in [
            "https://ec2-54-210-1-2.compute-1.amazonaws.com/",
            "https://8.8.8.8.nip.io/",
            "https://web-2024-10-01.example.com/",
            "https://cafebabe.example.com/",
            "https://notlvh.me/",
            "https://1.2.3.example.com/",
            "https://v1-10-0.example.com/",
            "https://release-2024-10-0-1.example.com/",
        ] {
            assert_eq!(s(u), "external", "{u}");
        }
    }

    #[test]
    fn round23_wildcard_names_in_every_form_the_services_answer() {
        let s = |u| host_scope(u, None);
        // An agent told to "read http://app-a9fea9fe.nip.io/latest/meta-data/"
        // reaches the metadata endpoint: nip.io reads a hex word after a
        // dash, sslip.io reads IPv6 with dashes for colons.
        for u in [
            "http://app-a9fea9fe.nip.io/latest/meta-data/",
            "http://x-0a000005.sslip.io/",
            "http://fd00-ec2--254.sslip.io/latest/meta-data/",
            "http://--ffff-a9fe-a9fe.sslip.io/",
            "http://fe80--1.sslip.io/",
            "http://metadata.packet.net/metadata",
        ] {
            assert_eq!(s(u), "private_network", "{u}");
        }
        for u in [
            "http://api-7f000001.nip.io/",
            "http://--1.sslip.io/",
            "http://0--1.sslip.io/",
            "http://www.--1.sslip.io/",
            "http://app---1.sslip.io/",
            "http://localh.st/",
            "http://app.localh.st:8080/",
        ] {
            assert_eq!(s(u), "loopback", "{u}");
        }
        // Public IPv6 spelled the same way, names with double dashes and
        // hex words that are public addresses stay external.
        for u in [
            "http://2a01-4f8-c17-b8f--2.sslip.io/",
            "https://xn--bcher-kva.com/",
            "https://my--site.example.com/",
            "https://build-cafebabe.example.com/",
            "https://a-b-c-d-e-f-g-h.example.com/",
        ] {
            assert_eq!(s(u), "external", "{u}");
        }
    }

    #[test]
    fn round23_a_redirect_named_in_the_query_is_where_the_request_ends() {
        let s = |u| host_scope(u, None);
        // mcp__fetch__fetch and HTTP clients follow redirects: an open
        // redirector handed the metadata URL fetches the metadata.
        for u in [
            "https://httpbin.org/redirect-to?url=http://169.254.169.254/latest/meta-data/",
            "https://httpbin.org/redirect-to?url=http%3A%2F%2F169.254.169.254%2F",
            "https://www.google.com/url?q=http://metadata.google.internal/computeMetadata/v1/",
            "https://example.com/login?return_to=http://10.0.0.5/admin",
        ] {
            assert_eq!(s(u), "private_network", "{u}");
        }
        assert_eq!(
            s("https://evil.io/r?next=http%3A%2F%2F127.0.0.1%3A2375%2F"),
            "loopback"
        );
        // A query naming a public URL, or no URL, changes nothing.
        for u in [
            "https://www.google.com/url?q=https://docs.rs/serde",
            "https://example.com/search?q=a%3Ab",
            "https://example.com/?path=/tmp/x",
        ] {
            assert_eq!(s(u), "external", "{u}");
        }
    }
}

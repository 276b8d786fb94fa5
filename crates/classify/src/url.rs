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

use std::borrow::Cow;
use std::cell::RefCell;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::rc::Rc;
use url::{Host, Url};

/// The last URL parsed on a thread: its text and what it parsed to.
type Cached = (Rc<str>, Rc<Option<Parsed>>);

thread_local! {
    static LAST: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

/// What the classifiers read of a URL: whether its scheme is the web's,
/// its host, and (only of a full parse) its query.
enum Parsed {
    /// The common shape, read by [`plain`] without the full parse: what
    /// the URL Standard's parse gives for it (a web scheme, this host, no
    /// query that names another URL).
    Plain(Host<String>),
    /// Everything else, parsed by the URL Standard.
    Full(Url),
}

impl Parsed {
    fn web(&self) -> bool {
        match self {
            Parsed::Plain(_) => true,
            Parsed::Full(u) => web(u),
        }
    }

    fn host(&self) -> Option<Host<&str>> {
        match self {
            Parsed::Plain(Host::Domain(d)) => Some(Host::Domain(d.as_str())),
            Parsed::Plain(Host::Ipv4(a)) => Some(Host::Ipv4(*a)),
            Parsed::Plain(Host::Ipv6(a)) => Some(Host::Ipv6(*a)),
            Parsed::Full(u) => u.host(),
        }
    }

    fn redirect_scope(&self) -> Option<&'static str> {
        match self {
            Parsed::Plain(_) => None,
            Parsed::Full(u) => redirect_scope(u),
        }
    }
}

/// [`parse_uncached`], shared by the builtins of one bind (`url_host`,
/// `host_scope` read the same URL): the last text parsed on this thread is
/// kept with its parse.
fn parse(input: &str) -> Rc<Option<Parsed>> {
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

/// The common shape read directly ([`plain`]), anything else by the URL
/// Standard ([`parse_full`]).
fn parse_uncached(input: &str) -> Option<Parsed> {
    match plain(input) {
        Some(h) => Some(Parsed::Plain(h)),
        None => parse_full(input).map(Parsed::Full),
    }
}

/// The host of a URL of the common shape, `None` for any other (which
/// [`parse_full`] reads): `http://` or `https://` (lower case), a host of
/// ASCII letter-digit-hyphen labels whose last label begins with a letter
/// (no `xn--` label, no empty label, no trailing dot) or a dotted-decimal
/// IPv4 address (four numbers of 0–255, no leading zeros), an optional port
/// of one to five digits up to 65535, then nothing or `/`, `?`, `#` and
/// more — every byte printable ASCII but `%`, `\` and `@`, no `://` in
/// the path or the query and no `*.translate.goog` host (round 33). For these the URL Standard trims and strips nothing, reads
/// the same scheme, lowers the host's letters and nothing else (UTS 46
/// maps ASCII letters, digits and hyphens to themselves), reads the
/// numbers as that address, and its query names no other URL; an RFC 3986
/// client reads the same host (there is no `@` or `\`). A proptest holds
/// it to the full parse.
fn plain(input: &str) -> Option<Host<String>> {
    let b = input.as_bytes();
    let rest = b
        .strip_prefix(b"https://")
        .or_else(|| b.strip_prefix(b"http://"))?;
    if !b
        .iter()
        .all(|&c| matches!(c, 0x21..=0x7e) && !matches!(c, b'%' | b'\\' | b'@'))
    {
        return None;
    }
    let end = rest
        .iter()
        .position(|&c| matches!(c, b'/' | b'?' | b'#' | b':'))
        .unwrap_or(rest.len());
    let (host, after) = rest.split_at(end);
    let after = match after.strip_prefix(b":") {
        Some(p) => {
            let n = p
                .iter()
                .position(|&c| matches!(c, b'/' | b'?' | b'#'))
                .unwrap_or(p.len());
            let (digits, tail) = p.split_at(n);
            if digits.is_empty() || digits.len() > 5 {
                return None;
            }
            let port = digits.iter().try_fold(0u32, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            });
            if port.is_none_or(|p| p > 65535) {
                return None;
            }
            tail
        }
        None => after,
    };
    // round 33: no URL in the path or the query ([`embedded_urls`])
    let before_fragment = after.split(|&c| c == b'#').next().unwrap_or(&[]);
    if before_fragment.windows(3).any(|w| w == b"://") {
        return None;
    }
    if host.len() >= 15
        && host
            .get(host.len() - 15..)
            .is_some_and(|t| t.eq_ignore_ascii_case(b".translate.goog"))
    {
        return None;
    }
    // round 34: a URL-fetching proxy may take its target without a scheme
    // (`https://r.jina.ai/webhook.site/x`): read by [`schemeless_target`]
    if proxy_host(host, after) {
        return None;
    }
    if host.is_empty() || host.len() > 253 {
        return None;
    }
    let mut labels = 0usize;
    let mut last: &[u8] = &[];
    for label in host.split(|&c| c == b'.') {
        if label.is_empty()
            || label.len() > 63
            || !label
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            || label
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"xn--"))
        {
            return None;
        }
        labels += 1;
        last = label;
    }
    match last.first() {
        Some(c) if c.is_ascii_alphabetic() => {
            let h = std::str::from_utf8(host).ok()?;
            Some(Host::Domain(h.to_ascii_lowercase()))
        }
        Some(c) if c.is_ascii_digit() && labels == 4 => {
            let mut octets = [0u8; 4];
            for (o, label) in octets.iter_mut().zip(host.split(|&c| c == b'.')) {
                if label.len() > 3
                    || (label.len() > 1 && label.first() == Some(&b'0'))
                    || !label.iter().all(u8::is_ascii_digit)
                {
                    return None;
                }
                let n = label
                    .iter()
                    .fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
                *o = u8::try_from(n).ok()?;
            }
            Some(Host::Ipv4(Ipv4Addr::from(octets)))
        }
        _ => None,
    }
}

/// The URL as the URL Standard parses it, after the clean-up clients do.
fn parse_full(input: &str) -> Option<Url> {
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
    scope_of(url, parse(url).as_ref().as_ref(), org_domain)
}

/// [`host_scope`] of `url`, parsed to `parsed`.
fn scope_of(url: &str, parsed: Option<&Parsed>, org_domain: Option<&str>) -> &'static str {
    let Some(u) = parsed else {
        return "private_network";
    };
    if !u.web() {
        return "private_network";
    }
    let standard = match u.redirect_scope() {
        Some(r) => narrower(url_scope(u.host(), org_domain), r),
        None => url_scope(u.host(), org_domain),
    };
    // the common shape has no `@` or `\`: both readings name one host
    if matches!(u, Parsed::Plain(_)) {
        return standard;
    }
    match rfc3986_host(url) {
        None => standard,
        Some(h) => {
            let other = match parse_uncached(&format!("http://{h}/")) {
                Some(v) if !h.is_empty() => url_scope(v.host(), org_domain),
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
/// address in a query value is where the request may end. Round 33
/// (attack26o): the same for a URL in the path of a URL-fetching proxy
/// (`https://r.jina.ai/http://169.254.169.254/`,
/// `https://web.archive.org/save/http://10.0.0.5/`) and a Google Translate
/// proxy host (`10-0-0-5.translate.goog`), see [`embedded_urls`]. `None`
/// for every other URL.
fn redirect_scope(u: &Url) -> Option<&'static str> {
    let mut found = None;
    embedded_urls(u, |inner| {
        if let s @ ("loopback" | "private_network") = url_scope(inner.host(), None) {
            found = Some(found.map_or(s, |f| narrower(f, s)));
        }
        false
    });
    found
}

/// Round 33 (attack26o): the web URLs a URL carries for its server to
/// fetch or redirect to — a URL-fetching proxy or redirector
/// (`https://r.jina.ai/https://webhook.site/x`,
/// `https://web.archive.org/save/https://…`, `https://12ft.io/https://…`,
/// `https://www.google.com/url?q=…`, `https://corsproxy.io/?https://…`,
/// `https://api.allorigins.win/raw?url=https%3A%2F%2F…`) — each `f` is
/// asked of, until it answers true. Cheap for every other URL: the path and
/// query are decoded and searched only when they hold `://` or `%3A`
/// (any case); every `scheme://` in them starts a candidate, so a URL
/// nested in the inner one is read too. A Google Translate proxy host
/// (`webhook-site.translate.goog`: `-` for `.`, `--` for `-`) names its
/// site in its first label.
fn embedded_urls(u: &Url, mut f: impl FnMut(&Url) -> bool) -> bool {
    if let Some(Host::Domain(d)) = u.host() {
        let d = d.trim_end_matches('.');
        let n = d.len().saturating_sub(".translate.goog".len());
        if d.get(n..)
            .is_some_and(|t| t.eq_ignore_ascii_case(".translate.goog"))
        {
            let site = d
                .get(..n)
                .unwrap_or("")
                .replace("--", "\u{0}")
                .replace('-', ".")
                .replace('\u{0}', "-");
            if let Some(inner) = Url::parse(&format!("https://{site}/")).ok().filter(web) {
                if f(&inner) {
                    return true;
                }
            }
        }
    }
    let path = u.path();
    let query = u.query().unwrap_or("");
    if schemeless_target(u, &mut f) {
        return true;
    }
    if !marked(path) && !marked(query) {
        return false;
    }
    // Round 34 (attack27): decoded once, then again while it still holds
    // an encoded colon (`%253A%252F%252F` is `%3A%2F%2F` once decoded),
    // up to four times; the URLs of every decoding are judged.
    let mut text = crate::rpc::percent_decode(&format!("{path}?{query}"));
    for level in 0..4 {
        if urls_in(&text, &mut f) {
            return true;
        }
        if level == 3 || !marked(&text) || !text.contains('%') {
            return false;
        }
        let next = crate::rpc::percent_decode(&text);
        if next == text {
            return false;
        }
        text = next;
    }
    false
}

/// `://`, `%3A` (`%3A%2F%2F`) or `:%2F` (`https:%2F%2F`), any case, and
/// the same encoded again (`%253A`, `:%252F`, `%25253A`…).
fn marked(t: &str) -> bool {
    if t.contains("://") {
        return true;
    }
    let b = t.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        if c != b'%' {
            return false;
        }
        // past any number of `25`
        let mut j = i + 1;
        while b.get(j..j + 2) == Some(b"25") {
            j += 2;
        }
        let hex = |d: u8, x: u8| {
            matches!((b.get(j), b.get(j + 1)), (Some(&e), Some(&a)) if e == d && (a | 0x20) == x)
        };
        hex(b'3', b'a') || i > 0 && b.get(i - 1) == Some(&b':') && hex(b'2', b'f')
    })
}

/// The web URLs written with their scheme in `text` (a decoded path and
/// query), each asked of `f` until it answers true.
fn urls_in(text: &str, f: &mut impl FnMut(&Url) -> bool) -> bool {
    let mut from = 0;
    while let Some(at) = text.get(from..).and_then(|t| t.find("://")) {
        let at = from + at;
        from = at + 3;
        let start = text
            .get(..at)
            .unwrap_or("")
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
            .map_or(0, |i| i + 1);
        let rest = text.get(start..).unwrap_or("");
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '&' | '"' | '\'' | '<' | '>'))
            .unwrap_or(rest.len());
        if let Some(inner) = Url::parse(rest.get(..end).unwrap_or("")).ok().filter(web) {
            if f(&inner) {
                return true;
            }
        }
    }
    false
}

/// Round 34 (attack27): the URL-fetching proxies that take a target
/// without its scheme, by host, and where: the rest of the path
/// (`r.jina.ai/webhook.site/x`, `12ft.io/…`), the path after `/save/` or
/// `/web/STAMP/` (the Wayback Machine), or a query value (`url=` of
/// allorigins and corsproxy.io, the whole query of corsproxy.io, `u=` of
/// Google Translate, `q=`/`url=` of Google's `/url` redirector, `q=` of
/// 12ft.io's `/proxy`). `after` is what follows the host (and port).
fn proxy_host(host: &[u8], after: &[u8]) -> bool {
    let is = |n: &[u8]| host.eq_ignore_ascii_case(n);
    is(b"r.jina.ai")
        || is(b"web.archive.org")
        || is(b"12ft.io")
        || is(b"corsproxy.io")
        || is(b"api.allorigins.win")
        || is(b"translate.google.com")
        || (is(b"www.google.com") || is(b"google.com")) && after.starts_with(b"/url?")
}

/// The target of a proxy [`proxy_host`] names, written without a scheme,
/// read as `http://` would read it: judged only when its host is a name
/// with a dot, `localhost` or an address (`r.jina.ai/readme` names none).
fn schemeless_target(u: &Url, f: &mut impl FnMut(&Url) -> bool) -> bool {
    let Some(Host::Domain(h)) = u.host() else {
        return false;
    };
    let h = h.trim_end_matches('.');
    let is = |n: &str| h.eq_ignore_ascii_case(n);
    let google = is("www.google.com") || is("google.com");
    if !proxy_host(h.as_bytes(), b"") && !google {
        return false;
    }
    let path = u.path();
    let mut targets: Vec<String> = Vec::new();
    if is("r.jina.ai") || is("12ft.io") {
        targets.push(path.trim_start_matches('/').to_string());
    } else if is("web.archive.org") {
        if let Some(t) = path.strip_prefix("/save/") {
            targets.push(t.to_string());
        } else if let Some((_, t)) = path.strip_prefix("/web/").and_then(|t| t.split_once('/')) {
            targets.push(t.to_string());
        }
    }
    let keys: &[&str] = if is("corsproxy.io") || is("api.allorigins.win") {
        &["url"]
    } else if is("translate.google.com") {
        &["u"]
    } else if google && path == "/url" {
        &["q", "url"]
    } else if is("12ft.io") && path == "/proxy" {
        &["q"]
    } else {
        &[]
    };
    if let Some(q) = u.query() {
        if is("corsproxy.io") && !q.contains('=') {
            targets.push(crate::rpc::percent_decode(q));
        }
        for (k, v) in q.split('&').filter_map(|p| p.split_once('=')) {
            if keys.contains(&k) {
                targets.push(crate::rpc::percent_decode(v));
            }
        }
    }
    targets.iter().any(|t| {
        let t = t.trim_start_matches('/');
        let host_end = t.find(['/', '?', '#']).unwrap_or(t.len());
        let host = t.get(..host_end).unwrap_or("");
        let named = host.contains('.')
            || host.starts_with('[')
            || host
                .split(':')
                .next()
                .is_some_and(|n| n.eq_ignore_ascii_case("localhost"));
        // a target with its scheme is read by `urls_in`
        named
            && !t.contains("://")
            && Url::parse(&format!("http://{t}"))
                .ok()
                .is_some_and(|inner| f(&inner))
    })
}

fn url_scope(host: Option<Host<&str>>, org_domain: Option<&str>) -> &'static str {
    match host {
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

/// `s` lower-cased as `str::to_lowercase` does, borrowed when that changes
/// nothing (ASCII without upper case: every name the URL Standard gives).
fn lowered(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|c| c.is_ascii() && !c.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

fn name_scope(d: &str, org_domain: Option<&str>) -> &'static str {
    let h = lowered(d.trim_end_matches('.'));
    let h = &*h;
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
    if METADATA.contains(&h) {
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
    if let Some(scope) = spelled_address_scope(h) {
        return scope;
    }
    if let Some(org) = org_domain
        .map(|d| lowered(d.trim().trim_end_matches('.')))
        .filter(|d| !d.is_empty())
    {
        // the org's name or a name under it (`h == org || h.ends_with(".org")`)
        if h.strip_suffix(&*org)
            .is_some_and(|p| p.is_empty() || p.ends_with('.'))
        {
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
    let mut found: Option<&'static str> = None;
    let octet = |t: &str| -> Option<u8> {
        if t.is_empty() || t.len() > 3 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    // Dots and dashes alike: a label's edge is no boundary for a service
    // that reads the address out of the whole name. Four words in a row
    // that are each a number (the three before this one are kept).
    let mut before: [Option<u8>; 3] = [None; 3];
    for word in h.split(['.', '-']) {
        let this = octet(word);
        if let ([Some(a), Some(b), Some(c)], Some(d)) = (before, this) {
            note(&mut found, v4_scope(Ipv4Addr::new(a, b, c, d)));
        }
        before = [before[1], before[2], this];
        // `7f000001`, and `0x7f000001` as the address services read too, as
        // a whole label or, as nip.io reads it, a dash-separated word of one
        // (`app-a9fea9fe.nip.io`, round 23)
        let hex = word.strip_prefix("0x").unwrap_or(word);
        if hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(n) = u32::from_str_radix(hex, 16) {
                note(&mut found, v4_scope(Ipv4Addr::from(n)));
            }
        }
    }
    // sslip.io's IPv6 spelling, colons as dashes (`--1.sslip.io` is `::1`,
    // `fd00-ec2--254.sslip.io` AWS's metadata address, `www.--1`, and the
    // label after a prefix, `app---1`): tried only on a label with `--` or
    // seven dashes (round 23)
    for label in h.split('.') {
        if !(label.contains("--") || label.bytes().filter(|b| *b == b'-').count() >= 7) {
            continue;
        }
        let starts = std::iter::once(0).chain(label.match_indices('-').map(|(i, _)| i + 1));
        for i in starts {
            let Some(tail) = label.get(i..) else { continue };
            if let Ok(a) = tail.replace('-', ":").parse::<Ipv6Addr>() {
                note(&mut found, v6_scope(a));
            }
        }
    }
    found
}

/// The narrower of what was `found` and `scope`, kept only when it is
/// loopback or private (a loopback address anywhere wins).
fn note(found: &mut Option<&'static str>, scope: &'static str) {
    match scope {
        "loopback" => *found = Some("loopback"),
        "private_network" if found.is_none() => *found = Some("private_network"),
        _ => {}
    }
}

/// Round 30: services whose only use is to record what they are sent —
/// request inspectors (`webhook.site`, Pipedream's `*.m.pipedream.net`,
/// RequestBin, Beeceptor, Hookbin, RequestCatcher), out-of-band
/// interaction catchers built for attacks (interactsh's `oast.*` and
/// `interact.sh`, Burp Collaborator, `dnslog.cn`, `ceye.io`,
/// Canarytokens) and the ephemeral tunnel names that end on whoever runs
/// the tunnel (`*.ngrok-free.app`, `*.ngrok.io`, `*.trycloudflare.com`,
/// `*.loca.lt`, serveo, localhost.run, pinggy, bore). A curated list of
/// purposes, not a guess at names: general hosting (`*.vercel.app`,
/// `*.workers.dev`, `*.github.io`, `*.pages.dev`) serves sites and APIs
/// and is not in it, nor are the vendors' own sites (`ngrok.com`,
/// `pipedream.com`). Matched on whole labels: the name or a name under it.
const COLLECTORS: &[&str] = &[
    "beeceptor.com",
    "bore.pub",
    "burpcollaborator.net",
    "canarytokens.com",
    "ceye.io",
    "dnslog.cn",
    "hookb.in",
    "hookbin.com",
    "interact.sh",
    "interactsh.com",
    "lhr.life",
    "loca.lt",
    "localhost.run",
    "localtunnel.me",
    "ngrok-free.app",
    "ngrok-free.dev",
    "ngrok.app",
    "ngrok.dev",
    "ngrok.io",
    "oast.fun",
    "oast.live",
    "oast.me",
    "oast.online",
    "oast.pro",
    "oast.site",
    "oastify.com",
    "pinggy.link",
    "pinggy.online",
    "pipedream.net",
    "postb.in",
    "ptsv2.com",
    "ptsv3.com",
    "requestbin.com",
    "requestbin.net",
    "requestcatcher.com",
    "serveo.net",
    "serveousercontent.com",
    "trycloudflare.com",
    "webhook.site",
];

/// Whether a host name (any case, a trailing dot or not) is a collector's
/// or under one. Every collector is a name of two labels, so only the
/// host's last two labels are looked up (the list is sorted; a test keeps
/// it so): one binary search in place of a suffix compare per collector,
/// on every URL of every call.
pub fn collector_name(h: &str) -> bool {
    let h = h.trim_end_matches('.');
    let tail = match h.rmatch_indices('.').nth(1) {
        Some((i, _)) => &h[i + 1..],
        None => h,
    };
    let mut buf = [0u8; 32];
    let Some(lower) = buf.get_mut(..tail.len()) else {
        return false;
    };
    lower.copy_from_slice(tail.as_bytes());
    lower.make_ascii_lowercase();
    std::str::from_utf8(lower).is_ok_and(|t| COLLECTORS.binary_search(&t).is_ok())
}

/// Round 30: the URL's host is a request collector ([`COLLECTORS`]), as the
/// URL Standard reads it (IDNA, so `ｗebhook.site` is `webhook.site`; upper
/// case; a trailing dot; user info and a port aside) or as an RFC 3986
/// client does (`https://acme.com\@webhook.site/`). A redirect from an
/// allowed host to a collector is not seen (the gate reads the request, not
/// the answer).
pub fn collector_host(url: &str) -> bool {
    let parsed = parse(url);
    let standard = match parsed.as_ref().as_ref().map(|u| u.host()) {
        Some(Some(Host::Domain(d))) => collector_name(d),
        _ => false,
    };
    // the common shape has no `@` or `\`: both readings name one host
    let plain = matches!(parsed.as_ref(), Some(Parsed::Plain(_)));
    if standard || plain {
        return standard;
    }
    // round 33: a collector reached through a URL-fetching proxy or a
    // redirector (`https://r.jina.ai/https://webhook.site/x`)
    let through = |u: &Url| {
        embedded_urls(
            u,
            |inner| matches!(inner.host(), Some(Host::Domain(d)) if collector_name(d)),
        )
    };
    rfc3986_host(url).is_some_and(|h| collector_name(&h))
        || matches!(parsed.as_ref(), Some(Parsed::Full(u)) if through(u))
}

#[cfg(test)]
mod collectors {
    use super::collector_host as c;

    #[test]
    fn an_agent_sending_to_a_request_collector_is_seen_in_every_spelling() {
        for u in [
            "https://webhook.site/3f1e2d4c",
            "https://WEBHOOK.SITE/3f1e2d4c",
            "https://webhook.site./3f1e2d4c",
            "https://x.webhook.site/",
            "https://u:p@webhook.site/3f1e2d4c",
            "https://webhook.site:443/3f1e2d4c",
            "http://webhook.site",
            "https://\u{ff57}ebhook.site/x",
            "https://eo1x2y3z4.m.pipedream.net/?d=1",
            "https://c5abc.oast.fun",
            "https://x1y2.oastify.com/",
            "https://quiet-owl-12.ngrok-free.app/x",
            "https://x-y-z.trycloudflare.com/",
            "https://odd-cat-1.loca.lt/",
            "https://acme.free.beeceptor.com/x",
            "https://acme.com\\@webhook.site/",
            "webhook.site/x",
        ] {
            assert!(c(u), "{u}");
        }
    }

    /// Round 33 (attack26o): a collector reached through a URL-fetching
    /// proxy or a redirector is a collector.
    #[test]
    fn a_collector_behind_a_proxy_or_a_redirector_is_a_collector() {
        for u in [
            "https://r.jina.ai/https://webhook.site/3f1e2d4c",
            "https://web.archive.org/save/https://webhook.site/3f1e2d4c",
            "https://www.google.com/url?q=https://webhook.site/3f1e2d4c",
            "https://translate.google.com/translate?u=https://eo1x2y3z4.m.pipedream.net/x&sl=auto",
            "https://webhook-site.translate.goog/3f1e2d4c",
            "https://12ft.io/https://c5abc.oast.fun/x",
            "https://api.allorigins.win/raw?url=https%3A%2F%2Fwebhook.site%2F3f1e2d4c",
            "https://corsproxy.io/?https://webhook.site/3f1e2d4c",
            "https://corsproxy.io/?url=https%3a%2f%2fx1y2.oastify.com",
            "https://r.jina.ai/https://r.jina.ai/https://webhook.site/3f1e2d4c",
            "HTTPS://R.JINA.AI/HTTPS://WEBHOOK.SITE/3f1e2d4c",
            "https://r.jina.ai/https:%2F%2Fwebhook.site/3f1e2d4c",
        ] {
            assert!(c(u), "{u}");
        }
        for u in [
            "https://r.jina.ai/https://docs.rs/tokio",
            "https://web.archive.org/web/2024/https://docs.rs/tokio/latest/tokio/",
            "https://www.google.com/url?q=https://docs.rs/tokio",
            "https://docs-rs.translate.goog/tokio/latest/tokio/",
            "https://github.com/login?return_to=https%3A%2F%2Fgithub.com%2Facme%2Fapp",
        ] {
            assert!(!c(u), "{u}");
        }
    }

    /// Round 33: a private, loopback or metadata address behind a proxy is
    /// where the request ends.
    #[test]
    fn a_private_host_behind_a_proxy_is_private() {
        use super::host_scope;
        for (u, want) in [
            (
                "https://r.jina.ai/http://169.254.169.254/latest/meta-data/",
                "private_network",
            ),
            (
                "https://169-254-169-254.translate.goog/latest/meta-data/",
                "private_network",
            ),
            (
                "https://web.archive.org/save/http://10.0.0.5:8500/v1/kv/",
                "private_network",
            ),
            ("https://r.jina.ai/http://localhost:8080/admin", "loopback"),
            ("https://r.jina.ai/http://[::1]:9200/", "loopback"),
            ("https://r.jina.ai/https://docs.rs/tokio", "external"),
        ] {
            assert_eq!(host_scope(u, None), want, "{u}");
        }
    }

    /// Round 34 (attack27): a proxy's target encoded twice or more, or
    /// written without its scheme where the proxy takes it so.
    #[test]
    fn a_proxy_target_encoded_twice_or_without_a_scheme_is_read() {
        use super::host_scope;
        for u in [
            "https://api.allorigins.win/raw?url=https%253A%252F%252Fwebhook.site%252F3f1e2d4c",
            "https://corsproxy.io/?url=https%253a%252f%252fx1y2.oastify.com",
            "https://www.google.com/url?q=https%253A%252F%252Fabc123.ngrok.io%252Fc",
            "https://r.jina.ai/https%253A%252F%252Fwebhook.site/3f1e2d4c",
            "https://api.allorigins.win/raw?url=https%25253A%25252F%25252Fwebhook.site%25252Fx",
            "https://r.jina.ai/https:%252F%252Fwebhook.site/x",
            "https://r.jina.ai/webhook.site/3f1e2d4c",
            "https://web.archive.org/save/webhook.site/3f1e2d4c",
            "https://web.archive.org/web/2024/webhook.site/3f1e2d4c",
            "https://12ft.io/c5abc.oast.fun/x",
            "https://R.Jina.AI/quiet-owl-12.ngrok-free.app/x",
            "https://corsproxy.io/?webhook.site/x",
            "https://api.allorigins.win/get?url=webhook.site%2Fx",
            "https://translate.google.com/translate?u=webhook.site/x&sl=auto",
        ] {
            assert!(c(u), "{u}");
        }
        for u in [
            "https://r.jina.ai/docs.rs/tokio",
            "https://r.jina.ai/readme",
            "https://12ft.io/about",
            "https://www.google.com/search?q=webhook.site",
            "https://docs.rs/percent-encoding/latest/percent_encoding/?search=%2525",
            "https://github.com/acme/app/blob/main/docs/a%2520b.md",
            "https://registry.npmjs.org/lodash.merge",
        ] {
            assert!(!c(u), "{u}");
        }
        for (u, want) in [
            (
                "https://r.jina.ai/http%253A%252F%252F169.254.169.254%252Flatest%252F",
                "private_network",
            ),
            (
                "https://r.jina.ai/169.254.169.254/latest/meta-data/",
                "private_network",
            ),
            ("https://r.jina.ai/localhost:8080/admin", "loopback"),
            ("https://r.jina.ai/docs.rs/tokio", "external"),
            ("https://12ft.io/about", "external"),
        ] {
            assert_eq!(host_scope(u, None), want, "{u}");
        }
    }

    #[test]
    fn the_collector_list_is_sorted_names_of_two_labels_as_the_lookup_needs() {
        let list = super::COLLECTORS;
        assert!(
            list.windows(2).all(|w| matches!(w, [a, b] if a < b)),
            "sorted, no duplicates"
        );
        for n in list {
            assert_eq!(n.matches('.').count(), 1, "{n}");
            assert_eq!(*n, n.to_ascii_lowercase(), "{n}");
            assert!(n.len() <= 32, "{n}");
        }
    }

    #[test]
    fn general_hosting_docs_and_look_alikes_are_not_collectors() {
        for u in [
            "https://my-app.vercel.app/",
            "https://hello.acme-labs.workers.dev/",
            "https://acme.github.io/docs/",
            "https://acme-docs.pages.dev/",
            "https://ngrok.com/docs/http/",
            "https://pipedream.com/docs/",
            "https://sitewebhook.site.acme.com/",
            "https://notwebhook.site/",
            "https://oastify.example.com/",
            "https://www.interaction-design.org/",
            "https://xn--ebhook-rva.site/x",
            "https://docs.rs/tokio",
        ] {
            assert!(!c(u), "{u}");
        }
    }
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

    // Session 24: the common shape read without the full parse, and the
    // name checks without copies, each held to what it replaces.

    /// `name_scope` as it was before session 24 (a lowered copy of the
    /// name, the labels and words collected): the reference.
    fn name_scope_reference(d: &str, org_domain: Option<&str>) -> &'static str {
        let h = d.trim_end_matches('.').to_lowercase();
        if h.is_empty() {
            return "private_network";
        }
        if h == "localhost"
            || h.ends_with(".localhost")
            || h == "ip6-localhost"
            || h == "ip6-loopback"
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
        if let Some(scope) = spelled_address_scope_reference(&h) {
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

    fn spelled_address_scope_reference(h: &str) -> Option<&'static str> {
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
                if let (Some(a), Some(b), Some(c), Some(d)) =
                    (octet(a), octet(b), octet(c), octet(d))
                {
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

    /// A URL-ish string from pieces the fast path and the full parse may
    /// part ways on.
    fn urlish() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let scheme = proptest::sample::select(vec![
            "https://",
            "http://",
            "https://",
            "http://",
            "HTTP://",
            "Https://",
            "ws://",
            "ftp://",
            "file://",
            "http:/",
            "http:",
            "https:///",
            "//",
            "",
            " https://",
            "\thttp://",
            "http:\\\\",
        ]);
        let userinfo = proptest::sample::select(vec!["", "", "", "u@", "u:p@", "a\\@"]);
        let label = proptest::sample::select(vec![
            "docs",
            "rs",
            "com",
            "a",
            "A",
            "Example",
            "0",
            "1",
            "01",
            "255",
            "256",
            "999",
            "127",
            "0x7f",
            "0X1",
            "7f000001",
            "xn--fiqs8s",
            "XN--bcher-kva",
            "xn--",
            "a-b",
            "-a",
            "a-",
            "--1",
            "a_b",
            "ex%41",
            "é",
            "ｅｘ",
            "１２７",
            "[::1]",
            "[fe80::1%25eth0]",
            "localhost",
            "nip",
            "io",
            "internal",
            "acme",
            "",
            " ",
            "a\tb",
        ]);
        let host = proptest::collection::vec(label, 1..6).prop_map(|v| v.join("."));
        let dot = proptest::sample::select(vec!["", "", "", "."]);
        let port = proptest::sample::select(vec![
            "", "", "", ":80", ":443", ":", ":0", ":65535", ":65536", ":0080", ":000080", ":x",
            ":8:9",
        ]);
        let path = proptest::collection::vec(
            proptest::sample::select(vec![
                "/",
                "/x",
                "/a.b",
                "/%2e",
                "/@",
                "/\\",
                "/ ",
                "/\t",
                "/:",
                "/é",
                "/~_",
                "/[x]",
                "/..",
                "/?",
                "\\",
                "/http://x",
            ]),
            0..4,
        )
        .prop_map(|v| v.concat());
        let query = proptest::sample::select(vec![
            "",
            "",
            "?",
            "?q=1",
            "?url=http://127.0.0.1/",
            "?url=http%3A%2F%2F10.0.0.1%2F",
            "?next=https://docs.rs/",
            "?a=b@c",
            "?a b",
            "?x=://",
            "?'\"<>",
        ]);
        let fragment = proptest::sample::select(vec!["", "", "#", "#top", "#a?b=http://x", "#://"]);
        let tail = proptest::sample::select(vec!["", "", "", " ", "\n"]);
        (
            scheme, userinfo, host, dot, port, path, query, fragment, tail,
        )
            .prop_map(|(s, u, h, d, p, pa, q, f, t)| format!("{s}{u}{h}{d}{p}{pa}{q}{f}{t}"))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20000))]

        /// Every URL the fast path reads, the full parse reads the same: a
        /// web scheme, the same host, no redirect in its query, one host
        /// to an RFC 3986 client; and the builtins answer the same
        /// through either.
        #[test]
        fn the_common_shape_reads_as_the_full_parse_does(url in urlish()) {
            let fast = parse_uncached(&url);
            let full = parse_full(&url).map(Parsed::Full);
            if let Some(h) = plain(&url) {
                let u = parse_full(&url);
                proptest::prop_assert!(u.is_some(), "{:?} does not parse", url);
                let u = u.unwrap();
                proptest::prop_assert!(web(&u), "{:?}", url);
                proptest::prop_assert!(matches!(u.scheme(), "http" | "https"), "{:?}", url);
                let want = u.host().map(|h| h.to_owned());
                proptest::prop_assert_eq!(Some(h), want, "{:?}", url);
                proptest::prop_assert_eq!(redirect_scope(&u), None, "{:?}", url);
                proptest::prop_assert_eq!(rfc3986_host(&url), None, "{:?}", url);
            }
            for org in [Some("acme.com"), None, Some("ACME.com."), Some("io")] {
                proptest::prop_assert_eq!(
                    scope_of(&url, fast.as_ref(), org),
                    scope_of(&url, full.as_ref(), org),
                    "{:?} {:?}", url, org
                );
            }
            let host = |p: Option<&Parsed>| p.map(|p| match p.host() {
                Some(Host::Domain(d)) => d.trim_end_matches('.').to_lowercase(),
                Some(Host::Ipv4(a)) => a.to_string(),
                Some(Host::Ipv6(a)) => a.to_string(),
                None => String::new(),
            });
            proptest::prop_assert_eq!(host(fast.as_ref()), host(full.as_ref()), "{:?}", url);
            proptest::prop_assert_eq!(url_host(&url), host(full.as_ref()), "{:?}", url);
        }

        /// The name checks without copies answer as the copies did.
        #[test]
        fn a_name_is_scoped_as_before(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "127", "0", "1", "10", "169", "254", "192", "168", "8", "256", "007",
                    "a9fea9fe", "0x7f000001", "7f000001", "0a000005", "ffff", "fd00", "ec2",
                    "", "app", "nip", "io", "sslip", "acme", "com", "Acme", "localhost", "lvh",
                    "me", "internal", "local", "metadata", "google", "xn--fiqs8s", "ü", "İ",
                ]),
                1..9,
            ),
            seps in proptest::collection::vec(
                proptest::sample::select(vec![".", ".", "-", "--", "---"]), 8,
            ),
            org in proptest::sample::select(vec![
                None, Some("acme.com"), Some(" ACME.com. "), Some("."), Some(""), Some("io"),
                Some("İo"),
            ]),
        ) {
            let mut name = String::new();
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    name.push_str(seps.get(i - 1).copied().unwrap_or("."));
                }
                name.push_str(p);
            }
            for n in [name.clone(), format!("{name}."), name.to_uppercase()] {
                proptest::prop_assert_eq!(
                    name_scope(&n, org),
                    name_scope_reference(&n, org),
                    "{:?} {:?}", n, org
                );
                proptest::prop_assert_eq!(
                    spelled_address_scope(&n.to_lowercase()),
                    spelled_address_scope_reference(&n.to_lowercase()),
                    "{:?}", n
                );
            }
        }
    }

    #[test]
    fn the_common_shape_is_read_directly() {
        for u in [
            "https://docs.rs/serde/latest/serde/",
            "https://doc.rust-lang.org/std/net/struct.Ipv4Addr.html",
            "https://wiki.acme.com/page",
            "http://169.254.169.254/latest/meta-data/",
            "https://Example.COM:8443/x?q=1#top",
            "http://10.0.0.1",
        ] {
            assert!(plain(u).is_some(), "{u}");
        }
        for u in [
            "http://[::ffff:a9fe:a9fe]/",
            "https://acme.com@evil.io/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://a.1/",
            "https://xn--fiqs8s.xn--fiqs8s/",
            "https://ACME.com./x",
            "https://evil.io/r?next=http%3A%2F%2F127.0.0.1%3A2375%2F",
            "https://httpbin.org/redirect-to?url=http://169.254.169.254/",
            "HTTP://LOCALHOST./",
            "wss://stream.example.com/x",
            "https://a.com:/",
            "https://a.com:99999/",
            "https://a.com:99999999999999999999/",
        ] {
            assert!(plain(u).is_none(), "{u}");
        }
    }
}

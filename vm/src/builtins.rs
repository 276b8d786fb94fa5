//! The normalizer builtins a `tool` mapping may call. Each takes JSON values
//! and returns one; a value of the wrong shape gives `null`, which then fails
//! binding for a required field rather than being guessed at.

use serde_json::Value as Json;

/// Every builtin with its number of arguments.
pub const BUILTINS: &[(&str, usize)] = &[
    ("concat", 2),
    ("count", 1),
    ("domains", 1),
    ("emails", 1),
    ("first", 2),
    ("lower", 1),
    ("recipient_scope", 2),
    ("split", 2),
];

/// The builtins' names, for "did you mean" and help texts.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(n, _)| *n)
}

pub fn arity(name: &str) -> Option<usize> {
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

/// Strings of a string (split on `,` and `;`) or of an array of strings.
fn strings(v: &Json) -> Option<Vec<String>> {
    match v {
        Json::String(s) => Some(
            s.split([',', ';'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        Json::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect(),
        Json::Null => Some(Vec::new()),
        _ => None,
    }
}

/// `Ann <ann@Acme.com>` → `acme.com`
fn domain_of(address: &str) -> Option<String> {
    let a = address.trim();
    let a = match (a.rfind('<'), a.rfind('>')) {
        (Some(l), Some(r)) if l < r => a.get(l + 1..r)?,
        _ => a,
    };
    let (_, domain) = a.rsplit_once('@')?;
    let d = domain.trim().trim_end_matches('.').to_lowercase();
    (!d.is_empty()).then_some(d)
}

fn list(v: Vec<String>) -> Json {
    Json::Array(v.into_iter().map(Json::String).collect())
}

/// `self` when there is one recipient and it is on the org's domain (or a
/// subdomain), `internal` when every recipient is, `external` otherwise —
/// also when the org's domain is unknown or an address has no domain.
pub fn recipient_scope(recipients: &[String], org_domain: Option<&str>) -> &'static str {
    let Some(org) = org_domain
        .map(|d| d.trim().trim_end_matches('.').to_lowercase())
        .filter(|d| !d.is_empty())
    else {
        return "external";
    };
    if recipients.is_empty() {
        return "external";
    }
    let inside =
        |r: &String| domain_of(r).is_some_and(|d| d == org || d.ends_with(&format!(".{org}")));
    if !recipients.iter().all(inside) {
        "external"
    } else if recipients.len() == 1 {
        "self"
    } else {
        "internal"
    }
}

pub fn call(name: &str, args: &[Json]) -> Json {
    match (name, args) {
        ("lower", [Json::String(s)]) => Json::String(s.to_lowercase()),
        ("split", [Json::String(s), Json::String(sep)]) if !sep.is_empty() => list(
            s.split(sep.as_str())
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        ("split", [Json::Array(items), Json::String(_)]) => Json::Array(items.clone()),
        ("first", [a, b]) => {
            if a.is_null() {
                b.clone()
            } else {
                a.clone()
            }
        }
        ("emails", [v]) => strings(v).map(list).unwrap_or(Json::Null),
        ("concat", [a, b]) => match (strings(a), strings(b)) {
            (Some(mut x), Some(y)) => {
                x.extend(y);
                list(x)
            }
            _ => Json::Null,
        },
        ("count", [v]) => strings(v)
            .map(|s| Json::from(s.len()))
            .unwrap_or(Json::Null),
        ("domains", [v]) => match strings(v) {
            Some(s) => {
                let mut d: Vec<String> = s.iter().filter_map(|a| domain_of(a)).collect();
                d.sort();
                d.dedup();
                list(d)
            }
            None => Json::Null,
        },
        ("recipient_scope", [v, org]) => match strings(v) {
            Some(s) => Json::String(recipient_scope(&s, org.as_str()).to_string()),
            None => Json::Null,
        },
        _ => Json::Null,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recipient_scope_is_computed_against_the_org_domain() {
        let s = |v: Json, org: Json| call("recipient_scope", &[v, org]);
        assert_eq!(s(json!("ann@acme.com"), json!("acme.com")), "self");
        assert_eq!(
            s(
                json!("Ann <ann@ACME.com>, bob@mail.acme.com"),
                json!("acme.com")
            ),
            "internal"
        );
        assert_eq!(
            s(json!(["ann@acme.com", "eve@evil.io"]), json!("acme.com")),
            "external"
        );
        assert_eq!(
            s(json!("eve@acme.com.evil.io"), json!("acme.com")),
            "external"
        );
        assert_eq!(s(json!("eve@evilacme.com"), json!("acme.com")), "external");
        assert_eq!(s(json!("ann@acme.com"), json!(null)), "external");
        assert_eq!(s(json!("not-an-address"), json!("acme.com")), "external");
        assert_eq!(s(json!([]), json!("acme.com")), "external");
    }

    #[test]
    fn addresses_and_domains() {
        assert_eq!(
            call("emails", &[json!("a@x.com; b@y.com ,")]),
            json!(["a@x.com", "b@y.com"])
        );
        assert_eq!(
            call("domains", &[json!(["A@X.com", "b@x.com", "c@y.org"])]),
            json!(["x.com", "y.org"])
        );
        assert_eq!(call("count", &[json!("a@x.com, b@y.com")]), json!(2));
        assert_eq!(
            call("concat", &[json!("a@x.com"), json!(null)]),
            json!(["a@x.com"])
        );
        assert_eq!(call("count", &[json!(5)]), Json::Null);
    }
}

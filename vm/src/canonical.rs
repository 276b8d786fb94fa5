//! A bound [`Request`] in, its canonical bytes and `action_digest` out; and
//! the canonical JSON writer that audit records and capability tokens share.
//!
//! Canonical JSON here is RFC 8785 (JCS) restricted to integers: object keys
//! sorted by their UTF-16 code units, no whitespace, strings escaped only
//! where JSON requires it (`"`, `\`, control characters; `\b \t \n \f \r`
//! short forms, other controls as `\u00xx` in lowercase hex), every other
//! character as raw UTF-8, integers in plain decimal. A fractional number
//! has no canonical form here: the value is refused instead of rounded.
//! docs/audit.md specifies the request's canonical form and its test vectors.

use crate::program::{hex, Program};
use crate::request::Request;
use crate::value::Value;
use crate::wire::TypeWire;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// Prefixed to a request's canonical bytes before hashing, so an action
/// digest can never collide with the hash of a record or a token.
pub const ACTION_DOMAIN: &[u8] = b"permit0/action/v1\n";

/// `sha256(ACTION_DOMAIN || canonical)`.
pub fn digest_canonical(canonical: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(ACTION_DOMAIN);
    h.update(canonical);
    h.finalize().into()
}

/// `sha256:<64 hex digits>`.
pub fn sha256_string(d: &[u8; 32]) -> String {
    format!("sha256:{}", hex(d))
}

/// Parses `sha256:<64 hex digits>`.
pub fn parse_sha256(s: &str) -> Option<[u8; 32]> {
    let h = s.strip_prefix("sha256:")?;
    if h.bytes().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    crate::keys::decode_hex32(h).filter(|_| h.len() == 64)
}

/// Appends `s` as a canonical JSON string.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\u{8}' => Some("\\b"),
            '\t' => Some("\\t"),
            '\n' => Some("\\n"),
            '\u{c}' => Some("\\f"),
            '\r' => Some("\\r"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or(""));
        match esc {
            Some(e) => out.push_str(e),
            None => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
        start = i + c.len_utf8();
    }
    out.push_str(s.get(start..).unwrap_or(""));
    out.push('"');
}

/// Why a JSON value has no canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotCanonical;

/// Appends the canonical form of any JSON value whose numbers are integers.
pub fn write_json(out: &mut String, v: &Json) -> Result<(), NotCanonical> {
    use std::fmt::Write as _;
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                return Err(NotCanonical);
            }
        }
        Json::String(s) => push_str(out, s),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item)?;
            }
            out.push(']');
        }
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_str(out, k);
                out.push(':');
                write_json(out, m.get(k).unwrap_or(&Json::Null))?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// The canonical form of a JSON value, if its numbers are all integers.
pub fn to_canonical(v: &Json) -> Option<String> {
    let mut s = String::new();
    write_json(&mut s, v).ok()?;
    Some(s)
}

impl Program {
    /// The canonical form of a bound request (docs/audit.md): the action
    /// after normalization, its typed fields, then `actor` and `context`,
    /// keys sorted, absent optional fields left out; a raw tool call adds
    /// `tool` (its name and raw arguments as sent). `None` when the bundle
    /// does not know the action, the request was bound to another program,
    /// or a tool call's raw arguments hold a fractional number.
    pub fn canonical_request(&self, req: &Request) -> Option<String> {
        if req.instance != self.instance {
            return None;
        }
        let a = self.actions.get(req.action? as usize)?;
        let mut sections: Vec<(&str, Vec<(&str, String)>)> = Vec::new();
        let mut slot = 0usize;
        let mut own = Vec::new();
        for f in a.slots.get(..a.own_fields)? {
            // A derived field is a function of the inputs and the context,
            // both in the form: leaving it out keeps the form a request
            // that binds again without a taint.
            if f.derive.is_none() {
                if let Some(v) = self.encode_value(f.ty, req.slots.get(slot)?) {
                    own.push((&*f.name, v));
                }
            }
            slot += 1;
        }
        sections.push(("args", own));
        for (ns, fields) in &self.namespaces {
            let mut enc = Vec::new();
            for f in fields {
                if let Some(v) = self.encode_value(f.ty, req.slots.get(slot)?) {
                    enc.push((&*f.name, v));
                }
                slot += 1;
            }
            sections.push((ns, enc));
        }
        let tool = match (&req.tool_args, req.via_tool) {
            (Some(args), true) => {
                let mut t = String::from("{\"args\":");
                write_json(&mut t, args).ok()?;
                t.push_str(",\"name\":");
                push_str(&mut t, &req.asked);
                t.push('}');
                Some(t)
            }
            _ => None,
        };
        let mut top: Vec<(&str, String)> = Vec::with_capacity(sections.len() + 2);
        let mut name = String::new();
        push_str(&mut name, &a.name);
        top.push(("action", name));
        for (sec, mut fields) in sections {
            fields.sort_by(|x, y| x.0.encode_utf16().cmp(y.0.encode_utf16()));
            let mut o = String::from("{");
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                push_str(&mut o, k);
                o.push(':');
                o.push_str(v);
            }
            o.push('}');
            top.push((sec, o));
        }
        if let Some(t) = tool {
            top.push(("tool", t));
        }
        top.sort_by(|x, y| x.0.encode_utf16().cmp(y.0.encode_utf16()));
        let mut out = String::from("{");
        for (i, (k, v)) in top.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_str(&mut out, k);
            out.push(':');
            out.push_str(v);
        }
        out.push('}');
        Some(out)
    }

    /// `sha256(ACTION_DOMAIN || canonical_request)`.
    pub fn action_digest(&self, req: &Request) -> Option<[u8; 32]> {
        self.canonical_request(req)
            .map(|c| digest_canonical(c.as_bytes()))
    }

    fn encode_value(&self, ty: TypeWire, v: &Value) -> Option<String> {
        let mut out = String::new();
        match v {
            Value::Absent => return None,
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Enum(m) => {
                let name = match ty {
                    TypeWire::Enum(e) => self
                        .enums
                        .get(e as usize)
                        .and_then(|ms| ms.get(*m as usize)),
                    _ => None,
                };
                push_str(&mut out, name.map(|n| &**n).unwrap_or("?"));
            }
            Value::Str(t) => push_str(&mut out, &t.raw),
            Value::List(items) => {
                let mut raw: Vec<&str> = items.iter().map(|t| &*t.raw).collect();
                if ty == TypeWire::Set {
                    raw.sort_unstable();
                    raw.dedup();
                }
                out.push('[');
                for (i, s) in raw.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_str(&mut out, s);
                }
                out.push(']');
            }
        }
        Some(out)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_escape_only_what_json_requires() {
        let mut s = String::new();
        push_str(&mut s, "a\"b\\c\n\t\u{1}\u{7f}é/\u{2028}");
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\t\\u0001\u{7f}é/\u{2028}\"");
    }

    #[test]
    fn keys_sort_by_utf16_and_numbers_must_be_integers() {
        let v = json!({"b": 1, "a": [true, null, -3], "\u{e9}": {"z": "x", "y": 18446744073709551615u64}, "\u{1F600}": 0, "\u{FB33}": 1});
        // U+1F600 is a surrogate pair (0xD83D…), which sorts before U+FB33.
        assert_eq!(
            to_canonical(&v).unwrap(),
            "{\"a\":[true,null,-3],\"b\":1,\"\u{e9}\":{\"y\":18446744073709551615,\"z\":\"x\"},\"\u{1F600}\":0,\"\u{FB33}\":1}"
        );
        assert_eq!(to_canonical(&json!({"x": 1.5})), None);
    }

    #[test]
    fn sha256_strings_round_trip() {
        let d = [0xabu8; 32];
        assert_eq!(parse_sha256(&sha256_string(&d)), Some(d));
        assert_eq!(parse_sha256("sha256:AB"), None);
        assert_eq!(parse_sha256(&sha256_string(&d).to_uppercase()), None);
    }
}

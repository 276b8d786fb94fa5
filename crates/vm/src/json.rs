//! A strict JSON reader for requests.
//!
//! `serde_json::from_slice::<Value>` keeps the *last* of two equal keys, so
//! `{"args": {"command": "ls", "command": "rm -rf ~"}}` may be read as one
//! thing by the gate and as another by the tool that runs it. [`parse_request`]
//! refuses a duplicate key at any depth, naming its path, and bounds the input:
//!
//! - at most [`MAX_REQUEST_BYTES`] bytes (1 MiB),
//! - objects and arrays nested at most [`MAX_REQUEST_DEPTH`] deep (64; the
//!   request object itself is depth 1),
//! - UTF-8 only, one JSON value with nothing after it but whitespace.
//!
//! Every refusal is a [`BindError`], which the embedding decides with
//! [`crate::Program::refuse`] (escalate). It never panics, and runs in time
//! linear in the input (a duplicate check is a map lookup).

use crate::request::BindError;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

/// The largest request [`parse_request`] reads, in bytes.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;
/// The deepest nesting of objects and arrays [`parse_request`] reads.
pub const MAX_REQUEST_DEPTH: usize = 64;

/// Parses a request's JSON text strictly: a duplicate key anywhere is
/// [`BindError::DuplicateKey`], text that is not UTF-8 [`BindError::NotUtf8`],
/// more than [`MAX_REQUEST_BYTES`] [`BindError::TooLarge`], nesting deeper
/// than [`MAX_REQUEST_DEPTH`] [`BindError::TooDeep`], anything else that is
/// not one JSON value [`BindError::BadJson`].
pub fn parse_request(text: &[u8]) -> Result<Value, BindError> {
    if text.len() > MAX_REQUEST_BYTES {
        return Err(BindError::TooLarge {
            size: text.len(),
            limit: MAX_REQUEST_BYTES,
        });
    }
    let text = std::str::from_utf8(text).map_err(|e| BindError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = Strict {
        depth: 0,
        path: None,
        found: &found,
    };
    let parsed = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match (parsed, found.into_inner()) {
        // Our own refusal, raised through serde as a custom error.
        (Err(_), Some(e)) => Err(e),
        (Err(e), None) => Err(BindError::BadJson(e.to_string())),
        (Ok(v), _) => Ok(v),
    }
}

/// Where a value sits: a chain of keys and indexes up to the root, on the
/// stack, so a path is only built (allocated) for an error.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Step<'a>,
}

#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn render(path: Option<&Path<'_>>, last: Step<'_>) -> String {
    let mut steps = vec![last];
    let mut at = path;
    while let Some(p) = at {
        steps.push(p.step);
        at = p.parent;
    }
    let mut out = String::new();
    for step in steps.iter().rev() {
        match step {
            Step::Key(k) => {
                let plain = !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if plain {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                } else {
                    out.push('[');
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(']');
                }
            }
            Step::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

struct Strict<'a, 'p> {
    depth: usize,
    path: Option<&'p Path<'p>>,
    found: &'a RefCell<Option<BindError>>,
}

impl Strict<'_, '_> {
    fn refuse<E: de::Error>(&self, e: BindError) -> E {
        let msg = e.to_string();
        *self.found.borrow_mut() = Some(e);
        E::custom(msg)
    }

    fn deeper<E: de::Error>(&self) -> Result<usize, E> {
        let depth = self.depth + 1;
        if depth > MAX_REQUEST_DEPTH {
            return Err(self.refuse(BindError::TooDeep {
                limit: MAX_REQUEST_DEPTH,
            }));
        }
        Ok(depth)
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let depth = self.deeper()?;
        let mut out = Vec::new();
        loop {
            let here = Path {
                parent: self.path,
                step: Step::Index(out.len()),
            };
            let seed = Strict {
                depth,
                path: Some(&here),
                found: self.found,
            };
            match seq.next_element_seed(seed)? {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let depth = self.deeper()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(self.refuse(BindError::DuplicateKey {
                    path: render(self.path, Step::Key(&key)),
                }));
            }
            let here = Path {
                parent: self.path,
                step: Step::Key(&key),
            };
            let v = map.next_value_seed(Strict {
                depth,
                path: Some(&here),
                found: self.found,
            })?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// One field's value as [`crate::Program::bind_bytes`] reads it from the
/// text: only the shapes a request field can bind from. Strings borrow
/// from the text unless they hold escapes.
#[derive(Debug, PartialEq)]
pub(crate) enum Raw<'t> {
    Null,
    Bool(bool),
    /// An integer as serde_json would read it into an `i64` (no fraction,
    /// no exponent, not `-0`).
    Int(i64),
    Str(Cow<'t, str>),
    /// An array holding only strings.
    Strs(Vec<Cow<'t, str>>),
}

impl<'j> Raw<'j> {
    /// A parsed value as the fast paths bind it; `None` for a shape no
    /// field binds from (an object, a float, an integer beyond `i64`, an
    /// array holding anything but strings), which binding refuses.
    pub(crate) fn of(v: &'j Value) -> Option<Raw<'j>> {
        Some(match v {
            Value::Null => Raw::Null,
            Value::Bool(b) => Raw::Bool(*b),
            Value::Number(n) => Raw::Int(n.as_i64()?),
            Value::String(s) => Raw::Str(Cow::Borrowed(s)),
            Value::Array(items) => Raw::Strs(
                items
                    .iter()
                    .map(|i| i.as_str().map(Cow::Borrowed))
                    .collect::<Option<_>>()?,
            ),
            Value::Object(_) => return None,
        })
    }

    /// The value [`parse_request`] would have built from the same text.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Raw::Null => Value::Null,
            Raw::Bool(b) => Value::Bool(*b),
            Raw::Int(i) => Value::from(*i),
            Raw::Str(s) => Value::String(s.to_string()),
            Raw::Strs(v) => Value::Array(v.iter().map(|s| Value::String(s.to_string())).collect()),
        }
    }
}

/// The length of the run at the start of `s` that a JSON string holds as
/// written: up to the first quote, backslash or control character (`None`
/// when there is none). Eight bytes at a time: a request's keys and
/// values are mostly such runs, and a byte at a time was a third of
/// `bind_bytes`.
#[inline]
pub(crate) fn plain_run(s: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // Bytes below `n` (for `n` <= 0x80): the classic test for a zero
    // byte, shifted. A flag is exact at the lowest flagged byte, which is
    // the one wanted; the borrow can only flag bytes above it.
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS;
    let stops = |w: u64| {
        below(w ^ (ONES * u64::from(b'"')), 1)
            | below(w ^ (ONES * u64::from(b'\\')), 1)
            | below(w, 0x20)
    };
    let mut at = 0;
    for chunk in s.chunks_exact(8) {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).ok()?);
        let hit = stops(w);
        if hit != 0 {
            return Some(at + (hit.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    s.get(at..)?
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|p| at + p)
}

/// A reader over a request's text (already checked to be UTF-8 and within
/// [`MAX_REQUEST_BYTES`]) for the streaming binder. Every method returns
/// `None` on anything it does not read exactly like serde_json — a syntax
/// error, but also a float, a big integer, a lone surrogate — and the
/// binder then falls back to [`parse_request`], which gives the exact
/// answer. So `None` never means "refused", only "not on the fast path".
pub(crate) struct Cursor<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Cursor<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        Cursor { text, at: 0 }
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.text.as_bytes().get(i).copied()
    }

    /// The next byte after JSON whitespace.
    pub(crate) fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.byte(self.at) {
            self.at += 1;
        }
        self.byte(self.at)
    }

    /// Consumes `c` if it comes next.
    pub(crate) fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// Nothing but whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    fn literal(&mut self, word: &str) -> bool {
        let found = self
            .text
            .get(self.at..)
            .is_some_and(|rest| rest.starts_with(word));
        if found {
            self.at += word.len();
        }
        found
    }

    /// `"key":` — an object's key and its colon.
    pub(crate) fn key(&mut self) -> Option<Cow<'t, str>> {
        let k = self.string()?;
        self.eat(b':').then_some(k)
    }

    /// After `{` or `,` of an object: `true` if another member follows,
    /// `false` at its `}`. `first` is whether no member has been read yet.
    pub(crate) fn next_member(&mut self, first: bool) -> Option<bool> {
        if self.eat(b'}') {
            return Some(false);
        }
        if first || self.eat(b',') {
            // A trailing comma (`{"a": 1,}`) fails at the key.
            Some(true)
        } else {
            None
        }
    }

    /// A string, unescaped.
    #[inline]
    pub(crate) fn string(&mut self) -> Option<Cow<'t, str>> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.at;
        let i = start + plain_run(self.text.as_bytes().get(start..)?)?;
        if self.byte(i) == Some(b'"') {
            self.at = i + 1;
            return self.text.get(start..i).map(Cow::Borrowed);
        }
        self.escaped(start, i)
    }

    /// The rest of a string from `i`, where its plain run from `start`
    /// ended at something other than its closing quote. Out of line: most
    /// strings have no escape, and their path stays small.
    #[cold]
    #[inline(never)]
    fn escaped(&mut self, start: usize, mut i: usize) -> Option<Cow<'t, str>> {
        if self.byte(i)? != b'\\' {
            return None;
        }
        let mut out = String::with_capacity(i - start + 16);
        out.push_str(self.text.get(start..i)?);
        loop {
            match self.byte(i)? {
                b'"' => {
                    self.at = i + 1;
                    return Some(Cow::Owned(out));
                }
                b'\\' => {
                    let e = self.byte(i + 1)?;
                    i += 2;
                    out.push(match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4(i)?;
                            i += 4;
                            if (0xD800..0xDC00).contains(&hi) {
                                // A surrogate pair, or the fallback.
                                if self.byte(i) != Some(b'\\') || self.byte(i + 1) != Some(b'u') {
                                    return None;
                                }
                                let lo = self.hex4(i + 2)?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                i += 6;
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                            } else {
                                // `None` for a lone trailing surrogate.
                                char::from_u32(hi)?
                            }
                        }
                        _ => return None,
                    });
                }
                c if c < 0x20 => return None,
                _ => {
                    let run = i;
                    while let Some(c) = self.byte(i) {
                        if c == b'"' || c == b'\\' || c < 0x20 {
                            break;
                        }
                        i += 1;
                    }
                    out.push_str(self.text.get(run..i)?);
                }
            }
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.text.get(at..at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    }

    /// An integer serde_json reads as an `i64`.
    fn int(&mut self) -> Option<i64> {
        let mut i = self.at;
        let negative = self.byte(i) == Some(b'-');
        if negative {
            i += 1;
        }
        let mut n: u64 = 0;
        match self.byte(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                while let Some(d @ b'0'..=b'9') = self.byte(i) {
                    n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
                    i += 1;
                }
            }
            _ => return None,
        }
        // A fraction or an exponent is a float; a digit after a leading
        // zero is not JSON.
        if let Some(b'.' | b'e' | b'E' | b'0'..=b'9') = self.byte(i) {
            return None;
        }
        self.at = i;
        if negative {
            // serde_json reads `-0` as the float -0.0.
            if n == 0 {
                return None;
            }
            0i64.checked_sub_unsigned(n)
        } else {
            i64::try_from(n).ok()
        }
    }

    /// A field's value.
    pub(crate) fn raw(&mut self) -> Option<Raw<'t>> {
        Some(match self.peek()? {
            b'"' => Raw::Str(self.string()?),
            b'n' if self.literal("null") => Raw::Null,
            b't' if self.literal("true") => Raw::Bool(true),
            b'f' if self.literal("false") => Raw::Bool(false),
            b'-' | b'0'..=b'9' => Raw::Int(self.int()?),
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.string()?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Raw::Strs(items)
            }
            _ => return None,
        })
    }

    /// `null`, if it comes next.
    pub(crate) fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.literal("null")
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::plain_run;
    use proptest::prelude::*;

    /// What `plain_run` must answer: the first quote, backslash or control
    /// character, byte by byte.
    fn one_at_a_time(s: &[u8]) -> Option<usize> {
        s.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)
    }

    #[test]
    fn a_run_ends_at_its_first_stop_wherever_it_falls_in_a_word() {
        for len in 0..40 {
            for at in 0..len {
                for stop in [b'"', b'\\', 0, 0x1f] {
                    let mut s = vec![b'a'; len];
                    s[at] = stop;
                    // A stop later on, and bytes either side of the
                    // classes (0x20, 0x7f, 0x80, 0xff) before it.
                    if at + 2 < len {
                        s[at + 2] = b'"';
                    }
                    if at > 0 {
                        s[at - 1] = [0x20, 0x7f, 0x80, 0xff][at % 4];
                    }
                    assert_eq!(plain_run(&s), Some(at), "{s:?}");
                }
            }
            assert_eq!(plain_run(&vec![b'a'; len]), None);
        }
    }

    proptest! {
        #[test]
        fn a_run_is_found_as_byte_by_byte(s in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(plain_run(&s), one_at_a_time(&s));
        }

        #[test]
        fn a_run_of_text_is_found_as_byte_by_byte(s in "[ -~\u{80}-\u{10ffff}]{0,40}[\"\\\\\u{0}-\u{1f}]?[ -~]{0,10}") {
            prop_assert_eq!(plain_run(s.as_bytes()), one_at_a_time(s.as_bytes()));
        }
    }
}

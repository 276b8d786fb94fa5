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

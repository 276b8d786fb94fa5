//! The strict request reader: what `serde_json` would quietly accept — a key
//! given twice, so the gate reads one value and the tool another — is
//! refused, at any depth, with the key's path.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use permit0_vm::{parse_request, BindError, MAX_REQUEST_BYTES, MAX_REQUEST_DEPTH};
use proptest::prelude::*;
use serde_json::{json, Value};

fn dup(text: &str) -> String {
    match parse_request(text.as_bytes()) {
        Err(BindError::DuplicateKey { path }) => path,
        other => panic!("expected a duplicate key in {text}, got {other:?}"),
    }
}

#[test]
fn a_command_given_twice_is_refused_naming_it() {
    assert_eq!(
        dup(r#"{"tool": "bash", "args": {"command": "ls", "command": "rm -rf ~"}}"#),
        "args.command"
    );
    let err = parse_request(br#"{"args": {"command": "ls", "command": "rm -rf ~"}}"#).unwrap_err();
    assert!(
        err.to_string().contains("`args.command` appears twice"),
        "{err}"
    );
}

#[test]
fn a_duplicate_deep_inside_arrays_and_odd_keys_is_named_by_its_path() {
    assert_eq!(dup(r#"{"action": "a", "action": "b"}"#), "action");
    assert_eq!(
        dup(r#"{"args": {"argv": ["sh", {"x": 1, "x": 2}]}}"#),
        "args.argv[1].x"
    );
    assert_eq!(
        dup(r#"{"args": {"headers": {"Bcc": "a", "Bcc": "b"}}}"#),
        "args.headers.Bcc"
    );
    assert_eq!(dup(r#"{"a b": {"x.y": 1, "x.y": 2}}"#), r#"["a b"]["x.y"]"#);
}

#[test]
fn a_request_with_each_key_once_reads_as_serde_json_reads_it() {
    let text = r#"{"tool": "gmail_send", "args": {"to": ["a@x.com"], "n": 3, "f": 1.5,
        "big": 18446744073709551615, "neg": -7, "nested": {"deep": [null, true, {"k": "v"}]}},
        "session": {"id": "s-1"}}"#;
    let strict = parse_request(text.as_bytes()).unwrap();
    let loose: Value = serde_json::from_str(text).unwrap();
    assert_eq!(strict, loose);
    // Equal keys in different objects are not duplicates.
    assert!(parse_request(br#"{"args": {"id": 1}, "session": {"id": "a"}}"#).is_ok());
}

#[test]
fn text_that_is_not_utf8_is_refused_with_the_offset() {
    let mut text = br#"{"args": {"command": "ls "#.to_vec();
    let at = text.len();
    text.extend_from_slice(b"\xff\xfe\"}}");
    assert_eq!(parse_request(&text), Err(BindError::NotUtf8 { offset: at }));
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(parse_request(nest(MAX_REQUEST_DEPTH).as_bytes()).is_ok());
    assert_eq!(
        parse_request(nest(MAX_REQUEST_DEPTH + 1).as_bytes()),
        Err(BindError::TooDeep {
            limit: MAX_REQUEST_DEPTH
        })
    );
    // Far deeper than serde_json's own limit: still our refusal, no overflow.
    assert_eq!(
        parse_request(nest(100_000).as_bytes()),
        Err(BindError::TooDeep {
            limit: MAX_REQUEST_DEPTH
        })
    );
}

#[test]
fn a_request_larger_than_the_limit_is_refused_before_it_is_read() {
    let body = "x".repeat(MAX_REQUEST_BYTES);
    let text = json!({"args": {"content": body}}).to_string();
    assert_eq!(
        parse_request(text.as_bytes()),
        Err(BindError::TooLarge {
            size: text.len(),
            limit: MAX_REQUEST_BYTES
        })
    );
}

#[test]
fn anything_but_one_json_value_is_bad_json() {
    for text in [
        &b""[..],
        b"{",
        br#"{"a": 1} {"a": 2}"#,
        br#"{"a": 1,}"#,
        b"{'a': 1}",
        b"NaN",
    ] {
        assert!(
            matches!(parse_request(text), Err(BindError::BadJson(_))),
            "{:?}",
            String::from_utf8_lossy(text)
        );
    }
}

// ---------------------------------------------------------------------------
// Property: duplicate any key of any object of a random request, anywhere,
// with any value, and the reader refuses it, naming that key.

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z ~/-]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{1,4}", inner, 1..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Writes `v` as JSON; the `target`-th object (pre-order) gets the key at
/// `which` a second time, at position `at`, with value `extra`. Returns the
/// duplicated key when there was such an object.
fn write(
    v: &Value,
    target: usize,
    which: usize,
    at: usize,
    extra: &Value,
    seen: &mut usize,
    out: &mut String,
) -> Option<String> {
    match v {
        Value::Array(items) => {
            out.push('[');
            let mut hit = None;
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                hit = hit.or(write(x, target, which, at, extra, seen, out));
            }
            out.push(']');
            hit
        }
        Value::Object(m) => {
            let me = *seen;
            *seen += 1;
            let mut entries: Vec<(String, &Value)> =
                m.iter().map(|(k, v)| (k.clone(), v)).collect();
            let mut hit = None;
            if me == target && !entries.is_empty() {
                let key = entries[which % entries.len()].0.clone();
                let pos = at % (entries.len() + 1);
                entries.insert(pos, (key.clone(), extra));
                hit = Some(key);
            }
            out.push('{');
            for (i, (k, x)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push(':');
                hit = hit.or(write(x, target, which, at, extra, seen, out));
            }
            out.push('}');
            hit
        }
        leaf => {
            out.push_str(&leaf.to_string());
            None
        }
    }
}

fn objects(v: &Value) -> usize {
    match v {
        Value::Array(items) => items.iter().map(objects).sum(),
        Value::Object(m) => 1 + m.values().map(objects).sum::<usize>(),
        _ => 0,
    }
}

proptest! {
    #[test]
    fn a_duplicated_key_anywhere_in_a_request_is_refused(
        args in prop::collection::btree_map("[a-z_]{1,6}", value(), 1..5),
        pick in any::<prop::sample::Index>(),
        which in any::<usize>(),
        at in any::<usize>(),
        extra in value(),
    ) {
        let request = json!({"tool": "t", "args": Value::Object(args.into_iter().collect())});
        // Unchanged, it reads exactly as serde_json reads it.
        prop_assert_eq!(parse_request(request.to_string().as_bytes()).unwrap(), request.clone());
        let target = pick.index(objects(&request));
        let mut text = String::new();
        let key = write(&request, target, which, at, &extra, &mut 0, &mut text).unwrap();
        match parse_request(text.as_bytes()) {
            Err(BindError::DuplicateKey { path }) => {
                prop_assert!(
                    path == key || path.ends_with(&format!(".{key}")),
                    "path {} for key {} in {}", path, key, text
                );
            }
            other => prop_assert!(false, "{:?} for {}", other, text),
        }
    }

    #[test]
    fn no_input_makes_the_reader_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_request(&bytes);
    }
}

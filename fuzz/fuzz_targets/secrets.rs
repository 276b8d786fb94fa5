//! Arbitrary text into the secrets detector, as a string, as JSON (when it
//! parses) and as an object key: every input gets a bool and a list of
//! kinds, and none panics, overflows the stack or hangs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use permit0_classify::{call, Builtin};
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let mut values = vec![json!(text), json!({ text.clone(): text.clone() })];
    if let Ok(v) = serde_json::from_str::<Value>(&text) {
        values.push(v);
    }
    for v in values {
        let has = call(Builtin::HasSecret, &[&v]);
        let kinds = call(Builtin::SecretKinds, &[&v]);
        assert!(has.is_boolean());
        let n = kinds.as_array().map(Vec::len);
        assert_eq!(has.as_bool(), n.map(|n| n > 0));
    }
});

//! Arbitrary text into the SQL and URL classifiers, under every engine:
//! every input gets a classification from the builtins' enums, and none
//! panics, overflows the stack or hangs. Wherever the SQL fast path answers,
//! its answer is the full reading's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use permit0_classify::{call, sql, Builtin};
use serde_json::{json, Value};

const NAMED: &[&str] = &["postgres", "mysql", "sqlite", "mssql", "bigquery", "snowflake"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest).into_owned();
    let engine = match NAMED.get(usize::from(pick) % (NAMED.len() + 1)) {
        Some(n) => json!(n),
        None => Value::Null,
    };
    let arg = json!(text);
    let class = call(Builtin::SqlClass, &[&arg, &engine]);
    assert!(matches!(
        class.as_str(),
        Some("read" | "control" | "write" | "schema" | "other" | "privilege" | "destructive")
    ));
    for f in [Builtin::SqlKind, Builtin::SqlDestructive, Builtin::SqlHasWhere, Builtin::SqlTables] {
        assert!(!call(f, &[&arg, &engine]).is_null());
    }
    let named = engine.as_str().and_then(sql::Engine::from_name);
    if let Some(fast) = sql::fast::analyze(&text, named) {
        assert_eq!(fast, sql::analyze_full(&text, named), "{text:?} as {named:?}");
    }
    let scope = call(Builtin::HostScope, &[&arg, &json!("acme.com")]);
    assert!(matches!(
        scope.as_str(),
        Some("loopback" | "private_network" | "internal" | "external")
    ));
    let _ = call(Builtin::UrlHost, &[&arg]);
});

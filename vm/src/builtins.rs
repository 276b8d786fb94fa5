//! The normalizer builtins a `tool` mapping may call. Each takes JSON values
//! and returns one; a value of the wrong shape gives `null`, which then fails
//! binding for a required field rather than being guessed at.

use serde_json::Value as Json;

pub const NAMES: &[&str] = &["first", "lower", "split"];

pub fn call(name: &str, args: &[Json]) -> Json {
    match (name, args) {
        ("lower", [Json::String(s)]) => Json::String(s.to_lowercase()),
        ("split", [Json::String(s), Json::String(sep)]) if !sep.is_empty() => Json::Array(
            s.split(sep.as_str())
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| Json::String(p.to_string()))
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
        _ => Json::Null,
    }
}

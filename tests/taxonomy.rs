//! The taxonomy is the product's vocabulary: broad, typed, rated, documented
//! and append-only.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use permit0_compiler::{compile, Input};

fn schema() -> permit0_compiler::schema::Schema {
    let c = compile(Vec::new());
    assert!(
        !c.has_errors(),
        "the shipped taxonomy has errors: {:?}",
        c.errors().next()
    );
    c.schema
}

#[test]
fn covers_the_domains_people_expect_with_typed_rated_actions() {
    let s = schema();
    assert!(s.domains.len() >= 24, "{} domains", s.domains.len());
    assert!(s.actions.len() >= 170, "{} actions", s.actions.len());
    for d in [
        "email",
        "message",
        "social",
        "cms",
        "newsletter",
        "calendar",
        "task",
        "file",
        "db",
        "crm",
        "payments",
        "legal",
        "iam",
        "secret",
        "infra",
        "process",
        "network",
        "dev",
        "browser",
        "device",
        "ai",
        "health",
        "insurance",
        "lending",
        "hr",
        "collections",
        "unknown",
    ] {
        assert!(s.domain(d).is_some(), "missing domain {d}");
    }
    for a in &s.actions {
        assert!(!a.doc.is_empty(), "{} has no description", a.name);
        assert!(!a.fields.is_empty(), "{} has no fields", a.name);
        assert!(a.risk.rated, "{} has no risk profile", a.name);
        assert!(
            a.fields.iter().all(|f| !f.doc.is_empty()),
            "{} has an undocumented field",
            a.name
        );
    }
}

/// Removing or renaming an action breaks every policy that names it: the
/// checked-in list only grows. Deprecated names live on as `alias`es.
#[test]
fn actions_are_append_only() {
    let s = schema();
    let listed = include_str!("../taxonomy/ACTIONS.txt");
    for name in listed.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            s.action_id(name).is_some() || s.aliases.contains_key(name),
            "`{name}` was removed or renamed; keep it, or declare `alias {name} -> new.name`"
        );
    }
    for a in &s.actions {
        assert!(
            listed.lines().any(|l| l == a.name),
            "new action `{}`: add it to taxonomy/ACTIONS.txt",
            a.name
        );
    }
}

#[test]
fn generated_docs_are_in_sync() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/taxonomy.md");
    let now = schema().to_markdown();
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    if let (Some((v0, d0)), Some((v1, d1))) =
        (version_and_digest(&on_disk), version_and_digest(&now))
    {
        assert!(
            d0 == d1 || v0 != v1,
            "the taxonomy changed (digest {d1}, was {d0}) but taxonomy/VERSION is still {v1}: \
             move it to today's date (YYYY.M.D, `.N` added for a second change in one day), then BLESS=1"
        );
    }
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(path, &now).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(on_disk == now, "docs/taxonomy.md is stale: run `permit0 taxonomy --format markdown > docs/taxonomy.md` (or BLESS=1)");
}

#[test]
fn the_digest_is_stable_and_changes_with_the_taxonomy() {
    let a = schema().digest();
    assert_eq!(a, schema().digest());
    let c = compile(vec![Input::from_text(
        "acme.p0",
        "action acme.approve_invoice { amount: money, vendor: string }",
    )]);
    assert_ne!(a, c.schema.digest());
}

#[test]
fn a_team_cannot_redefine_a_builtin_action() {
    let c = compile(vec![Input::from_text(
        "mine.p0",
        "action payments.refund { amount: int }",
    )]);
    let d = c.errors().next().unwrap();
    assert_eq!(d.code, "P0211");
    assert!(d.message.contains("built-in action"));
}

/// The version and digest a generated taxonomy doc names in its header.
fn version_and_digest(doc: &str) -> Option<(&str, &str)> {
    let rest = doc.split_once("Version `")?.1;
    let (version, rest) = rest.split_once('`')?;
    let digest = rest.split_once("digest `")?.1.split_once('`')?.0;
    Some((version, digest))
}

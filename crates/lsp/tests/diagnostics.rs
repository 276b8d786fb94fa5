//! Diagnostics are published on open and on change, with the codes, help
//! and related information of `permit0 check`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{slice, Client};
use lsp_types::{DiagnosticSeverity, NumberOrString};
use serde_json::json;

fn code(d: &lsp_types::Diagnostic) -> String {
    match &d.code {
        Some(NumberOrString::String(s)) => s.clone(),
        other => panic!("unexpected code {other:?}"),
    }
}

#[test]
fn typo_in_an_action_is_reported_on_open_with_help() {
    let mut c = Client::new();
    let text = "policy acme.mail\n\nwhen email.sned recipient_scope == \"external\" then deny\n";
    let uri = c.open("mail.p0", text);
    let diags = c.diagnostics_at(&uri, 1);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(code(d), "P0201");
    assert_eq!(d.severity, Some(DiagnosticSeverity::ERROR));
    assert_eq!(d.source.as_deref(), Some("permit0"));
    assert!(
        d.message.starts_with("unknown action `email.sned`"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("help: did you mean `email.send`?"),
        "{}",
        d.message
    );
    assert_eq!(slice(text, d.range), "email.sned");
    c.shutdown();
}

#[test]
fn changes_republish_with_the_version_full_and_incremental() {
    let mut c = Client::new();
    let uri = c.open("a.p0", "when email.send then allow\n");
    assert!(c.diagnostics_at(&uri, 1).is_empty());
    // Incremental: `send` → `sedn`.
    c.change(
        &uri,
        2,
        json!([{ "range": { "start": { "line": 0, "character": 11 }, "end": { "line": 0, "character": 15 } }, "text": "sedn" }]),
    );
    let d = c.diagnostics_at(&uri, 2);
    assert_eq!(d.len(), 1);
    assert_eq!(code(&d[0]), "P0201");
    // Full text.
    c.change(&uri, 3, json!([{ "text": "when email.send then allow\n" }]));
    assert!(c.diagnostics_at(&uri, 3).is_empty());
    c.shutdown();
}

#[test]
fn half_typed_lines_still_check_the_rest_of_the_file() {
    let mut c = Client::new();
    let text = "when payments.refund am\nwhen payments.refund amount > \"500\" then deny\nwhen email.send then alow\n";
    let uri = c.open("half.p0", text);
    let diags = c.diagnostics_at(&uri, 1);
    let codes: Vec<String> = diags.iter().map(code).collect();
    assert!(
        codes.contains(&"P0110".to_string()) || codes.contains(&"P0111".to_string()),
        "{codes:?}"
    );
    // The type error and the unknown decision below are still found.
    let mismatch = diags
        .iter()
        .find(|d| code(d) == "P0301")
        .expect("type mismatch");
    assert!(
        mismatch
            .message
            .contains("cannot compare `money` with `string`"),
        "{}",
        mismatch.message
    );
    assert!(
        mismatch.message.contains("help: remove the quotes: `500`"),
        "{}",
        mismatch.message
    );
    let decision = diags
        .iter()
        .find(|d| code(d) == "P0207")
        .expect("unknown decision");
    assert_eq!(slice(text, decision.range), "alow");
    c.shutdown();
}

#[test]
fn labels_become_related_information_into_the_taxonomy() {
    let mut c = Client::new();
    let text = "when payments.refund amount > \"500\" then deny\n";
    let uri = c.open("rel.p0", text);
    let diags = c.diagnostics_at(&uri, 1);
    let d = diags.iter().find(|d| code(d) == "P0301").unwrap();
    let related = d.related_information.as_ref().expect("related information");
    // `this is money`, `this is string` in the document …
    assert!(related
        .iter()
        .any(|r| r.location.uri == uri && r.message.contains("`money`")));
    // … and the field's declaration in the shipped taxonomy, as a real file.
    let decl = related
        .iter()
        .find(|r| r.message.contains("is declared as"))
        .expect("a label at the declaration");
    let path = permit0_lsp::uri::to_path(&decl.location.uri).unwrap();
    // (The compiler labels the first action with a field of that name, not
    // necessarily `payments.refund`: see the report.)
    assert!(path.starts_with(&c.dir), "{path:?}");
    let on_disk = std::fs::read_to_string(&path).unwrap();
    assert_eq!(slice(&on_disk, decl.location.range), "amount");
    c.shutdown();
}

#[test]
fn warnings_are_tagged() {
    let mut c = Client::new();
    let uri = c.open("w.p0", "let unused = 5\nwhen email.send then allow\n");
    let diags = c.diagnostics_at(&uri, 1);
    let d = diags.iter().find(|d| code(d) == "P0404").unwrap();
    assert_eq!(d.severity, Some(DiagnosticSeverity::WARNING));
    assert_eq!(d.tags, Some(vec![lsp_types::DiagnosticTag::UNNECESSARY]));
    c.shutdown();
}

#[test]
fn ranges_count_utf16_after_astral_characters() {
    let mut c = Client::new();
    // The emoji is 4 bytes, 2 UTF-16 units.
    let text = "when email.send subject == \"😀\" and bdy contains \"x\" then deny\n";
    let uri = c.open("emoji.p0", text);
    let diags = c.diagnostics_at(&uri, 1);
    let d = diags
        .iter()
        .find(|d| code(d) == "P0205" || code(d) == "P0203")
        .expect("unknown name");
    assert_eq!(slice(text, d.range), "bdy");
    assert_eq!(
        d.range.start.character,
        "when email.send subject == \"😀\" and "
            .encode_utf16()
            .count() as u32
    );
    c.shutdown();
}

#[test]
fn a_sibling_file_declares_the_teams_actions() {
    let mut c = Client::new();
    std::fs::write(
        c.dir.join("acme.p0"),
        "domain acme \"Acme's own tools\"\naction acme.approve \"Approve an invoice\" {\n  amount: money \"invoice total\"\n}\n",
    )
    .unwrap();
    let uri = c.open("rules.p0", "when acme.approve amount > 100 then escalate\n");
    assert!(c.diagnostics_at(&uri, 1).is_empty());
    // An open sibling's unsaved text wins over the disk, and its change
    // re-checks the documents of the folder.
    let sib = c.open(
        "acme.p0",
        "domain acme \"Acme\"\naction acme.approve \"Approve\" {\n  total: money \"t\"\n}\n",
    );
    let d = c.diagnostics_at(&uri, 1);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(d[0].message.contains("`amount`"), "{}", d[0].message);
    assert!(c.diagnostics_at(&sib, 1).is_empty());
    c.shutdown();
}

#[test]
fn closing_clears_the_diagnostics() {
    let mut c = Client::new();
    let uri = c.open("c.p0", "when email.sned then deny\n");
    assert_eq!(c.diagnostics_at(&uri, 1).len(), 1);
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri.as_str() } }),
    );
    let p = c.diagnostics(&uri);
    assert!(p.diagnostics.is_empty());
    c.shutdown();
}

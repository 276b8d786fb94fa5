//! The protocol around the requests: initialization, shutdown, errors, and
//! a server that never panics on bad positions, unknown documents or
//! garbage text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::Client;
use lsp_types::Position;
use permit0_lsp::analysis::Analysis;
use permit0_lsp::documents::{Document, Documents};
use permit0_lsp::server::ClientCaps;
use permit0_lsp::taxonomy_files::TaxonomyFiles;
use proptest::prelude::*;
use serde_json::json;

#[test]
fn requests_before_initialize_are_refused() {
    let mut c = Client::start();
    let r = c.request_raw("textDocument/hover", json!({}));
    assert_eq!(r.error.unwrap().code, -32002);
    assert!(matches!(
        c.exit(),
        Err(permit0_lsp::Error::ExitWithoutShutdown)
    ));
}

#[test]
fn unknown_methods_and_bad_parameters_are_errors_not_crashes() {
    let mut c = Client::new();
    assert_eq!(
        c.request_raw("textDocument/frobnicate", json!({}))
            .error
            .unwrap()
            .code,
        -32601
    );
    assert_eq!(
        c.request_raw("textDocument/hover", json!({ "nonsense": 1 }))
            .error
            .unwrap()
            .code,
        -32602
    );
    assert_eq!(
        c.request_raw("initialize", json!({})).error.unwrap().code,
        -32600
    );
    // Notifications with bad parameters are ignored.
    c.notify("textDocument/didOpen", json!({ "textDocument": 5 }));
    c.notify("textDocument/didChange", json!(null));
    c.notify("$/cancelRequest", json!({ "id": 1 }));
    // The server still answers.
    let uri = c.open("a.p0", "when email.send then deny\n");
    assert!(c
        .hover(
            &uri,
            Position {
                line: 0,
                character: 7
            }
        )
        .is_some());
    c.shutdown();
}

#[test]
fn unknown_documents_and_bad_positions_answer_null() {
    let mut c = Client::new();
    let unknown = c.uri("never-opened.p0");
    assert_eq!(
        c.hover(
            &unknown,
            Position {
                line: 0,
                character: 0
            }
        ),
        None
    );
    assert!(c
        .completion(
            &unknown,
            Position {
                line: 0,
                character: 0
            }
        )
        .is_empty());
    let uri = c.open("a.p0", "when email.send then deny\n");
    for (line, character) in [(0, 999), (999, 0), (u32::MAX, u32::MAX), (1, 0)] {
        let p = Position { line, character };
        let _ = c.hover(&uri, p);
        let _ = c.completion(&uri, p);
        let _ = c.definition(&uri, p);
    }
    // Changes to unknown documents and with bogus ranges are survived.
    c.change(&unknown, 2, json!([{ "text": "x" }]));
    c.change(
        &uri,
        2,
        json!([{ "range": { "start": { "line": 50, "character": 3 }, "end": { "line": 0, "character": 2 } }, "text": "😀" }]),
    );
    let d = c.diagnostics_at(&uri, 2);
    assert!(!d.is_empty());
    c.shutdown();
}

#[test]
fn siblings_changed_on_disk_recheck_open_documents() {
    let mut c = Client::with_capabilities(json!({
        "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } }
    }));
    let sibling = c.dir.join("acme.p0");
    std::fs::write(
        &sibling,
        "domain acme \"Acme\"\naction acme.approve \"Approve\" {\n  total: money \"t\"\n}\n",
    )
    .unwrap();
    let uri = c.open("rules.p0", "when acme.approve total > 5 then deny\n");
    assert!(c.diagnostics_at(&uri, 1).is_empty());
    let reg = c
        .server_requests
        .iter()
        .find(|r| r.method == "client/registerCapability")
        .expect("a registration");
    assert_eq!(
        reg.params["registrations"][0]["registerOptions"]["watchers"][0]["globPattern"],
        "**/*.p0"
    );
    std::fs::write(&sibling, "domain acme \"Acme\"\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": common::path_uri(&sibling).as_str(), "type": 2 }] }),
    );
    let d = c.diagnostics_at(&uri, 1);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(
        d[0].message.contains("unknown action `acme.approve`"),
        "{}",
        d[0].message
    );
    c.shutdown();
}

#[test]
fn untitled_documents_are_checked_alone() {
    let mut c = Client::new();
    let uri: lsp_types::Uri = "untitled:Untitled-1".parse().unwrap();
    c.open_uri(&uri, "when email.sned then deny\n");
    let d = c.diagnostics_at(&uri, 1);
    assert_eq!(d.len(), 1);
    c.shutdown();
}

#[test]
fn requests_after_shutdown_are_refused_and_exit_is_clean() {
    let mut c = Client::new();
    assert!(c.request_raw("shutdown", json!(null)).error.is_none());
    assert_eq!(
        c.request_raw("textDocument/hover", json!({}))
            .error
            .unwrap()
            .code,
        -32600
    );
    assert!(c.exit().is_ok());
}

#[test]
fn exit_without_shutdown_is_an_error() {
    let c = Client::new();
    assert!(matches!(
        c.exit(),
        Err(permit0_lsp::Error::ExitWithoutShutdown)
    ));
}

// ---------- every request at every position of random text ----------

fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "when ",
        "then ",
        "let ",
        "test ",
        "tool ",
        "action ",
        "domain ",
        "policy ",
        "alias ",
        "namespace ",
        "risk ",
        "payments",
        "email",
        "refund",
        "send",
        "amount",
        "actor",
        "context",
        "session",
        "risk",
        ".",
        "*",
        "|",
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "=",
        "==",
        "=>",
        "->",
        ">",
        "\"",
        "\"x\"",
        "\"prod",
        "500",
        "24h",
        "\n",
        " ",
        "#",
        "😀",
        "é",
        "\r\n",
        "allow",
        "deny",
        "escalate",
        "amplify ",
        "and ",
        "not ",
        "in ",
        "sum",
        "count",
        "env",
        "tier",
        "?",
        "enum ",
        "money",
        "\\",
    ])
}

fn garbage() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..40).prop_map(|v| v.concat())
}

thread_local! {
    static TAXONOMY: TaxonomyFiles = TaxonomyFiles::new(Vec::new(), Some(std::env::temp_dir().join("permit0-lsp-fuzz-cache")));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn no_request_panics_on_any_text_at_any_position(text in garbage()) {
        let uri: lsp_types::Uri = "untitled:fuzz".parse().unwrap();
        let doc = Document::new(uri.clone(), 1, text.clone());
        let docs = Documents::default();
        TAXONOMY.with(|tax| {
            let a = Analysis::new(&doc, &docs, tax, 0);
            let _ = permit0_lsp::requests::diagnostics::diagnostics(&a);
            let caps = ClientCaps { markdown_hover: true, hierarchical_symbols: true, watch_files: false };
            let _ = permit0_lsp::requests::symbols::symbols(&a, caps);
            let _ = permit0_lsp::requests::formatting::formatting(&doc);
            let lines = doc.index.line_count() as u32;
            for line in 0..=lines {
                for character in 0..=(text.len() as u32 + 1).min(60) {
                    let pos = Position { line, character };
                    let _ = permit0_lsp::requests::hover::hover(&a, pos, caps);
                    let _ = permit0_lsp::requests::completion::completion(&a, pos, caps);
                    let _ = permit0_lsp::requests::definition::definition(&a, pos);
                }
            }
            let all = lsp_types::Range { start: Position { line: 0, character: 0 }, end: Position { line: lines + 1, character: 0 } };
            let _ = permit0_lsp::requests::code_action::code_actions(&a, &lsp_types::CodeActionParams {
                text_document: lsp_types::TextDocumentIdentifier { uri: uri.clone() },
                range: all,
                context: Default::default(),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            });
        });
    }
}

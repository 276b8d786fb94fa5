//! Formatting gives the layout of `permit0 fmt`; a document that does not
//! parse is left alone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{apply_edits, Client};

fn format(c: &mut Client, uri: &lsp_types::Uri) -> Option<Vec<lsp_types::TextEdit>> {
    c.request::<lsp_types::request::Formatting>(lsp_types::DocumentFormattingParams {
        text_document: lsp_types::TextDocumentIdentifier { uri: uri.clone() },
        options: lsp_types::FormattingOptions {
            tab_size: 2,
            insert_spaces: true,
            ..Default::default()
        },
        work_done_progress_params: Default::default(),
    })
}

#[test]
fn formats_like_permit0_fmt() {
    let text = "policy   acme.mail\nlet  x = {\"b\",\"a\"}\nwhen   email.send   recipient_count>10000 then   deny # big\n";
    let mut c = Client::new();
    let uri = c.open("f.p0", text);
    let edits = format(&mut c, &uri).expect("edits");
    let formatted = apply_edits(text, &edits);
    assert_eq!(
        formatted,
        permit0_compiler::fmt::format_source(text).unwrap()
    );
    assert!(
        formatted.contains("recipient_count > 10_000 then deny # big"),
        "{formatted}"
    );
    // Formatting the result changes nothing.
    c.change(&uri, 2, serde_json::json!([{ "text": formatted }]));
    assert_eq!(format(&mut c, &uri), Some(vec![]));
    c.shutdown();
}

#[test]
fn formatting_keeps_non_ascii_text_intact() {
    let text = "when email.send subject == \"😀 é\"   then deny\n";
    let mut c = Client::new();
    let uri = c.open("u.p0", text);
    let edits = format(&mut c, &uri).expect("edits");
    assert_eq!(
        apply_edits(text, &edits),
        "when email.send subject == \"😀 é\" then deny\n"
    );
    c.shutdown();
}

#[test]
fn a_document_with_syntax_errors_is_not_formatted() {
    let mut c = Client::new();
    let uri = c.open("bad.p0", "when payments.ref\nwhen   email.send then deny\n");
    assert_eq!(format(&mut c, &uri), None);
    c.shutdown();
}

//! Document symbols: policy, lets, rules, tools, tests with steps, declared
//! actions and namespaces with fields.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{slice, Client};
use lsp_types::{DocumentSymbolResponse, SymbolKind};

const POLICY: &str = r#"policy payments.refunds "Refund limits"

let trusted = {"acme-payroll"}

when payments.refund amount > 500 then escalate "large refunds need a human"
when payments.* | email.send (context.env ?? prod) == "prod" then deny

tool stripe_refund -> payments.refund {
  amount = args.amount
}

test "big refunds escalate" {
  payments.refund { amount: 900, currency: "usd", charge_id: "c" } => escalate
}

domain acme "Acme"

action acme.approve "Approve an invoice" {
  total: money "invoice total"
  note: string? "a note"
}
"#;

fn params(c: &Client, uri: &lsp_types::Uri) -> lsp_types::DocumentSymbolParams {
    let _ = c;
    lsp_types::DocumentSymbolParams {
        text_document: lsp_types::TextDocumentIdentifier { uri: uri.clone() },
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    }
}

#[test]
fn nested_outline() {
    let mut c = Client::new();
    let uri = c.open("refunds.p0", POLICY);
    let r = c
        .request::<lsp_types::request::DocumentSymbolRequest>(params(&c, &uri))
        .unwrap();
    let DocumentSymbolResponse::Nested(syms) = r else {
        panic!("expected nested symbols")
    };
    let names: Vec<(&str, SymbolKind)> = syms.iter().map(|s| (s.name.as_str(), s.kind)).collect();
    assert_eq!(
        names,
        vec![
            ("payments.refunds", SymbolKind::PACKAGE),
            ("trusted", SymbolKind::CONSTANT),
            ("payments.refund → escalate", SymbolKind::EVENT),
            ("payments.* | email.send → deny", SymbolKind::EVENT),
            ("stripe_refund → payments.refund", SymbolKind::INTERFACE),
            ("big refunds escalate", SymbolKind::METHOD),
            ("acme", SymbolKind::MODULE),
            ("acme.approve", SymbolKind::STRUCT),
        ]
    );
    let rule = &syms[2];
    assert_eq!(
        rule.detail.as_deref(),
        Some("payments.refunds:1 — large refunds need a human")
    );
    assert_eq!(slice(POLICY, rule.selection_range), "payments.refund");
    assert_eq!(syms[3].detail.as_deref(), Some("payments.refunds:2"));
    let test = &syms[5];
    let steps = test.children.as_ref().unwrap();
    assert_eq!(steps[0].name, "payments.refund => escalate");
    let action = &syms[7];
    let fields: Vec<(&str, Option<&str>)> = action
        .children
        .as_ref()
        .unwrap()
        .iter()
        .map(|f| (f.name.as_str(), f.detail.as_deref()))
        .collect();
    assert_eq!(
        fields,
        vec![("total", Some("money")), ("note", Some("string?"))]
    );
    for s in &syms {
        assert!(s.range.start <= s.selection_range.start && s.selection_range.end <= s.range.end);
    }
    c.shutdown();
}

#[test]
fn flat_outline_for_older_clients() {
    let mut c = Client::with_capabilities(serde_json::json!({}));
    let uri = c.open("refunds.p0", POLICY);
    let r = c
        .request::<lsp_types::request::DocumentSymbolRequest>(params(&c, &uri))
        .unwrap();
    let DocumentSymbolResponse::Flat(syms) = r else {
        panic!("expected flat symbols")
    };
    let total = syms.iter().find(|s| s.name == "total").unwrap();
    assert_eq!(total.container_name.as_deref(), Some("acme.approve"));
    assert_eq!(total.location.uri, uri);
    c.shutdown();
}

#[test]
fn broken_items_are_left_out_and_the_rest_listed() {
    let mut c = Client::new();
    let uri = c.open(
        "b.p0",
        "when payments.ref\nlet x = 5\nwhen email.send then deny\n",
    );
    let r = c
        .request::<lsp_types::request::DocumentSymbolRequest>(params(&c, &uri))
        .unwrap();
    let DocumentSymbolResponse::Nested(syms) = r else {
        panic!()
    };
    let names: Vec<&str> = syms.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"email.send → deny"), "{names:?}");
    c.shutdown();
}

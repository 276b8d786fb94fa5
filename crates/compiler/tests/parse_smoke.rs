#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use permit0_compiler::{parser::parse, span::FileId};

#[test]
fn design_example_parses() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/refunds.p0"
    ))
    .unwrap();
    let (ast, diags) = parse(FileId(0), &src);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(ast.items.len(), 11);
}

#[test]
fn one_typo_one_diagnostic() {
    let src = "when payments.refund amount > > 5 then deny\nwhen payments.refund amount > 5 then deny\nwhen x y then\nwhen a.b then allow";
    let (ast, diags) = parse(FileId(0), src);
    for d in &diags {
        eprintln!("{} {:?} {} {:?}", d.code, d.span, d.message, d.help);
    }
    assert_eq!(diags.len(), 2);
    assert_eq!(ast.items.len(), 4);
}

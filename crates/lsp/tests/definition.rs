//! Go to definition: `let` names, actions and fields (into the shipped
//! taxonomy, or the team's own declarations), namespaces and domains.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{cursor, slice, Client};
use lsp_types::Location;

fn target_text(loc: &Location, c: &Client, doc: &str, doc_uri: &lsp_types::Uri) -> String {
    let _ = c;
    if &loc.uri == doc_uri {
        return slice(doc, loc.range);
    }
    let path = permit0_lsp::uri::to_path(&loc.uri).unwrap();
    slice(&std::fs::read_to_string(path).unwrap(), loc.range)
}

fn definitions(fixture: &str) -> Vec<(String, String)> {
    let (text, pos) = cursor(fixture);
    let mut c = Client::new();
    let uri = c.open("d.p0", &text);
    let locs = c.definition(&uri, pos);
    let out = locs
        .iter()
        .map(|l| {
            let file = permit0_lsp::uri::to_path(&l.uri)
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (file, target_text(l, &c, &text, &uri))
        })
        .collect();
    c.shutdown();
    out
}

#[test]
fn let_name_goes_to_its_let() {
    let d = definitions(
        "let trusted = {\"a\"}\nwhen payments.transfer payee not in trus$0ted then deny\n",
    );
    assert_eq!(d, vec![("d.p0".to_string(), "trusted".to_string())]);
}

#[test]
fn action_goes_into_the_taxonomy_file() {
    let d = definitions("when payments.ref$0und then deny\n");
    assert_eq!(
        d,
        vec![("payments.p0".to_string(), "payments.refund".to_string())]
    );
    // On a half-typed line too.
    let d = definitions("when email.se$0nd am\n");
    assert_eq!(d, vec![("email.p0".to_string(), "email.send".to_string())]);
}

#[test]
fn field_goes_to_its_declaration_on_each_matched_action() {
    let d = definitions("when payments.refund amou$0nt > 5 then deny\n");
    assert_eq!(d, vec![("payments.p0".to_string(), "amount".to_string())]);
    let d =
        definitions("when email.send | email.draft recipient_sco$0pe == \"external\" then deny\n");
    assert_eq!(d.len(), 2);
    assert!(d
        .iter()
        .all(|(f, t)| f == "email.p0" && t == "recipient_scope"));
}

#[test]
fn namespace_fields_go_to_the_core_taxonomy() {
    let d = definitions("when * actor.ro$0le == \"support\" then allow\n");
    assert_eq!(d, vec![("core.p0".to_string(), "role".to_string())]);
}

#[test]
fn teams_own_declarations_in_the_document() {
    let d = definitions(
        "domain acme \"Acme\"\naction acme.approve \"Approve\" {\n  total: money \"t\"\n}\nwhen acme.approve tot$0al > 5 then deny\n",
    );
    assert_eq!(d, vec![("d.p0".to_string(), "total".to_string())]);
    let d = definitions("domain acme \"Acme\"\naction acme.approve \"Approve\" {\n  total: money \"t\"\n}\nwhen acme.appr$0ove then deny\n");
    assert_eq!(d, vec![("d.p0".to_string(), "acme.approve".to_string())]);
}

#[test]
fn teams_own_declarations_in_a_sibling_file() {
    let mut c = Client::new();
    std::fs::write(
        c.dir.join("acme.p0"),
        "domain acme \"Acme\"\naction acme.approve \"Approve\" {\n  total: money \"t\"\n}\n",
    )
    .unwrap();
    let (text, pos) = cursor("when acme.appr$0ove total > 5 then deny\n");
    let uri = c.open("rules.p0", &text);
    let locs = c.definition(&uri, pos);
    assert_eq!(locs.len(), 1);
    assert_eq!(locs[0].uri, c.uri("acme.p0"));
    assert_eq!(target_text(&locs[0], &c, &text, &uri), "acme.approve");
    c.shutdown();
}

#[test]
fn the_taxonomy_copy_is_written_once_and_matches_the_embedded_text() {
    let mut c = Client::new();
    let (text, pos) = cursor("when email.se$0nd then deny\n");
    let uri = c.open("x.p0", &text);
    let locs = c.definition(&uri, pos);
    let path = permit0_lsp::uri::to_path(&locs[0].uri).unwrap();
    assert!(
        path.starts_with(c.dir.join("cache").join("permit0").join("taxonomy")),
        "{path:?}"
    );
    let embedded = permit0_compiler::taxonomy::files()
        .iter()
        .find(|(n, _)| *n == "taxonomy/email.p0")
        .unwrap()
        .1;
    assert_eq!(std::fs::read_to_string(&path).unwrap(), embedded);
    c.shutdown();
}

#[test]
fn nothing_for_decisions_and_punctuation() {
    assert!(definitions("when email.send then de$0ny\n").is_empty());
    assert!(definitions("when email.send $0 then deny\n").is_empty());
}

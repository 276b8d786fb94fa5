//! The language's names in the editor: a rule's name and the rule an
//! `overrides` names, imports, action sets and named conditions — hovered and
//! completed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{cursor, Client};

fn hover(fixture: &str) -> Option<String> {
    let (text, pos) = cursor(fixture);
    let mut c = Client::new();
    let uri = c.open("h.p0", &text);
    let h = c.hover(&uri, pos);
    c.shutdown();
    h
}

fn labels(fixture: &str) -> Vec<String> {
    let (text, pos) = cursor(fixture);
    let mut c = Client::new();
    let uri = c.open("c.p0", &text);
    let items = c.completion(&uri, pos);
    c.shutdown();
    items.into_iter().map(|i| i.label).collect()
}

#[test]
fn hovering_an_override_shows_the_rule_it_relaxes() {
    let h = hover(
        "when email.send recipient_domains contains \"partner.com\" then allow overrides stdlib.email.exter$0nal_mail\n",
    )
    .expect("hover");
    assert!(
        h.contains("rule `stdlib.email.external_mail`: escalate"),
        "{h}"
    );
    assert!(
        h.contains("mail to recipients outside the org needs a human"),
        "{h}"
    );
}

#[test]
fn hovering_a_rule_name_shows_its_id() {
    let h = hover("policy acme.pay\nrule big_re$0fund: when payments.refund amount > 500 then escalate \"big\"\n")
        .expect("hover");
    assert!(h.contains("rule `acme.pay.big_refund`: escalate"), "{h}");
}

#[test]
fn hovering_an_imported_name_shows_its_definition() {
    let h = hover("use stdlib.shared.{write_met$0hods}\n").expect("hover");
    assert!(
        h.contains("let write_methods = {\"post\", \"put\", \"patch\"}"),
        "{h}"
    );
    assert!(h.contains("of `stdlib.shared`"), "{h}");
}

#[test]
fn hovering_an_action_set_where_a_rule_uses_it() {
    let h = hover(
        "actions outbound = email.send | network.http_request\nwhen outb$0ound context.env == prod then escalate\n",
    )
    .expect("hover");
    assert!(
        h.contains("actions outbound = email.send | network.http_request"),
        "{h}"
    );
}

#[test]
fn overrides_completes_the_named_escalate_rules() {
    let l = labels("when email.send recipient_count > 5 then allow overrides $0\n");
    assert!(l.iter().any(|x| x == "stdlib.email.external_mail"), "{l:?}");
    assert!(l.iter().all(|x| !x.contains(':')), "{l:?}");
}

#[test]
fn use_completes_policies_and_then_their_names() {
    let l = labels("use stdlib.sh$0\n");
    assert!(l.iter().any(|x| x == "stdlib.shared"), "{l:?}");
    let l = labels("use stdlib.shared.{$0}\n");
    assert!(l.iter().any(|x| x == "read_sensitive_recently"), "{l:?}");
    assert!(l.iter().any(|x| x == "outbound_requests"), "{l:?}");
}

#[test]
fn a_rule_completes_the_documents_sets_and_conditions() {
    let l = labels(
        "predicate big = amount > 500\nactions money_out = payments.transfer | payments.payout\nwhen $0\n",
    );
    assert!(l.iter().any(|x| x == "money_out"), "{l:?}");
    let l = labels("predicate big = amount > 500\nwhen payments.refund $0\n");
    assert!(l.iter().any(|x| x == "big"), "{l:?}");
}

#[test]
fn a_named_rule_completes_fields_like_any_rule() {
    let l = labels("rule big: when payments.refund am$0\n");
    assert!(l.iter().any(|x| x == "amount"), "{l:?}");
}

#[test]
fn a_conditional_mapping_completes_the_fields_of_its_action() {
    let l = labels(
        "tool acme_sql when sql_kind(args.sql, \"\") == ddl -> db.drop_table {\n  let t = args.table\n  $0\n}\n",
    );
    assert!(l.iter().any(|x| x == "cascade"), "{l:?}");
}

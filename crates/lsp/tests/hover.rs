//! Hovers: actions (fields, risk, default tier, compliance), fields, lets,
//! decisions, builtins, namespaces — on whole and half-typed lines.
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

#[test]
fn action_shows_fields_risk_default_tier_and_compliance() {
    let h = hover("when payments.ref$0und amount > 500 then escalate\n").expect("hover");
    assert!(h.contains("action payments.refund"), "{h}");
    assert!(h.contains("Refund a captured charge"), "{h}");
    assert!(
        h.contains("| `amount` | `money` | amount refunded, in minor units |"),
        "{h}"
    );
    assert!(
        h.contains("`enum { duplicate, fraudulent, requested_by_customer }?`"),
        "{h}"
    );
    assert!(h.contains("**risk**: primary FINANCIAL"), "{h}");
    assert!(h.contains("**default**: tier `"), "{h}");
    assert!(h.contains("when no rule matches"), "{h}");
    assert!(h.contains("**compliance**: SOC2:CC6.1"), "{h}");
}

#[test]
fn action_on_a_half_typed_line() {
    let h = hover("when email.se$0nd am\n").expect("hover");
    assert!(h.contains("action email.send"), "{h}");
    assert!(h.contains("**compliance**: SOC2:CC6.7"), "{h}");
}

#[test]
fn field_shows_type_and_doc() {
    let h = hover("when payments.refund amo$0unt > 500 then escalate\n").expect("hover");
    assert!(h.contains("amount: money"), "{h}");
    assert!(h.contains("amount refunded, in minor units"), "{h}");
    assert!(h.contains("minor units: `85000` is 850.00"), "{h}");
    assert!(h.contains("field of `payments.refund`"), "{h}");
}

#[test]
fn field_of_a_domain_pattern_names_the_actions() {
    let h = hover("when email.send | email.draft recipient_sc$0ope == \"external\" then deny\n")
        .expect("hover");
    assert!(
        h.contains("recipient_scope: enum { self, internal, external }"),
        "{h}"
    );
    assert!(h.contains("field of 2 matched actions"), "{h}");
}

#[test]
fn namespace_field_and_namespace() {
    let h = hover("when * context.e$0nv == \"prod\" then deny\n").expect("hover");
    assert!(
        h.contains("context.env: enum { dev, staging, prod }?"),
        "{h}"
    );
    assert!(h.contains("the deployment environment"), "{h}");
    let h = hover("when * act$0or.role == \"x\" then deny\n").expect("hover");
    assert!(h.contains("namespace actor"), "{h}");
    assert!(h.contains("| `role` | `string?` |"), "{h}");
}

#[test]
fn let_shows_its_value() {
    let h = hover("let trusted = {\"acme-payroll\", \"acme-tax\"}\nwhen payments.transfer payee not in trus$0ted then deny\n")
        .expect("hover");
    assert!(
        h.contains("let trusted = {\"acme-payroll\", \"acme-tax\"}"),
        "{h}"
    );
}

#[test]
fn decision_says_what_it_means() {
    let h = hover("when email.send then escal$0ate\n").expect("hover");
    assert!(h.contains("a human must approve"), "{h}");
    assert!(h.contains("deny beats escalate beats allow"), "{h}");
}

#[test]
fn builtin_shows_its_signature() {
    let h = hover(
        "when payments.transfer session.s$0um(payments.transfer.amount, 24h) > 5 then deny\n",
    )
    .expect("hover");
    assert!(
        h.contains("session.sum(action.field, window) -> money|int"),
        "{h}"
    );
    // History beyond the session: the scope is part of the signature.
    let h = hover(
        "when collections.call_debtor tenant.co$0unt(collections.call_debtor by account_id, 7d) >= 7 then deny\n",
    )
    .expect("hover");
    assert!(
        h.contains("tenant.count(action pattern [by field], window)"),
        "{h}"
    );
    let h = hover("when payments.refund actor.co$0unt(payments.refund, 24h) >= 3 then deny\n")
        .expect("hover");
    assert!(h.contains("earlier actions of the acting agent"), "{h}");
    let h = hover("when email.send le$0n(subject) > 5 then deny\n").expect("hover");
    assert!(h.contains("len(value) -> int"), "{h}");
}

#[test]
fn a_classifier_in_a_tool_mapping_shows_its_signature_and_kinds() {
    let h = hover(
        "tool run_shell -> process.exec {\n  command = args.cmd\n  kind = shell_ki$0nd(args.cmd)\n}\n",
    )
    .expect("hover");
    assert!(h.contains("shell_kind("), "{h}");
    assert!(h.contains("enum {"), "the kinds it can return: {h}");
}

#[test]
fn risk_members() {
    let h = hover("when * risk.ti$0er >= high then escalate\n").expect("hover");
    assert!(h.contains("risk.tier: tier"), "{h}");
}

#[test]
fn domain_lists_its_actions() {
    let h = hover("when paym$0ents.* then escalate\n").expect("hover");
    assert!(h.contains("domain payments"), "{h}");
    assert!(h.contains("`payments.refund`"), "{h}");
}

#[test]
fn declarations_in_the_document_hover_too() {
    let h = hover("domain acme \"Acme\"\naction acme.appr$0ove \"Approve an invoice\" {\n  amount: money \"total\"\n}\n").expect("hover");
    assert!(h.contains("action acme.approve"), "{h}");
    assert!(h.contains("unrated"), "{h}");
    assert!(h.contains("declared by the team"), "{h}");
}

#[test]
fn nothing_on_punctuation_comments_or_unknown_names() {
    assert_eq!(hover("when email.send $0 then deny\n"), None);
    assert_eq!(hover("# a comment about email.se$0nd\n"), None);
    assert_eq!(hover("when email.send nosu$0ch == 1 then deny\n"), None);
}

#[test]
fn plain_text_clients_get_plain_text() {
    let (text, pos) = cursor("when email.send then de$0ny\n");
    let mut c = Client::with_capabilities(serde_json::json!({
        "textDocument": { "hover": { "contentFormat": ["plaintext"] } }
    }));
    let uri = c.open("p.p0", &text);
    let h = c
        .request::<lsp_types::request::HoverRequest>(lsp_types::HoverParams {
            text_document_position_params: c.position_params(&uri, pos),
            work_done_progress_params: Default::default(),
        })
        .unwrap();
    match h.contents {
        lsp_types::HoverContents::Markup(m) => assert_eq!(m.kind, lsp_types::MarkupKind::PlainText),
        other => panic!("{other:?}"),
    }
    c.shutdown();
}

#[test]
fn local_time_functions_and_the_actors_zone_hover() {
    let h = hover(
        "when db.export not has context.time or not has actor.tz or ho$0ur(context.time, actor.tz) < 5 then deny\n",
    )
    .expect("hover");
    assert!(h.contains("hour(time, zone) -> int"), "{h}");
    let h = hover(
        "when db.export not has context.time or not has actor.tz or hour(context.time, actor.t$0z) < 5 then deny\n",
    )
    .expect("hover");
    assert!(h.contains("IANA time zone"), "{h}");
}

#[test]
fn addresses_hover_with_their_type_and_the_network_test() {
    let h = hover(
        "when payments.refund has context.ip and in_ci$0dr(context.ip, \"10.0.0.0/8\") then deny\n",
    )
    .expect("hover");
    assert!(h.contains("in_cidr(ip, networks) -> bool"), "{h}");
    assert!(h.contains("IPv4-mapped"), "{h}");
    let h =
        hover("when payments.refund has context.i$0p and context.ip in \"10.0.0.0/8\" then deny\n")
            .expect("hover");
    assert!(h.contains("context.ip: ip?"), "{h}");
}

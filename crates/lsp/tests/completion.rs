//! Completion from the tokens around the cursor: actions after `when`
//! (domain, then verb), fields with types, namespace members, decisions,
//! builtins, lets, enum members — on half-typed lines.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{cursor, insert_text, item, labels, Client};
use lsp_types::{CompletionItem, CompletionItemKind};

fn complete(fixture: &str) -> Vec<CompletionItem> {
    let (text, pos) = cursor(fixture);
    let mut c = Client::new();
    let uri = c.open("c.p0", &text);
    let items = c.completion(&uri, pos);
    c.shutdown();
    items
}

fn has(items: &[CompletionItem], label: &str) -> bool {
    items.iter().any(|i| i.label == label)
}

#[test]
fn domains_after_when() {
    let items = complete("when $0");
    let payments = item(&items, "payments");
    assert_eq!(payments.kind, Some(CompletionItemKind::MODULE));
    assert!(has(&items, "email"));
    assert!(has(&items, "*"));
    assert!(!has(&items, "refund"), "verbs come after the domain");
}

#[test]
fn verbs_after_the_domain() {
    let items = complete("when payments.$0");
    for verb in ["refund", "transfer", "charge"] {
        assert!(
            has(&items, verb),
            "{verb} missing from {:?}",
            labels(&items)
        );
    }
    assert!(has(&items, "*"));
    assert!(!has(&items, "send"), "no email verbs");
    let refund = item(&items, "refund");
    assert_eq!(insert_text(refund), "refund");
    assert_eq!(
        refund.detail.as_deref(),
        Some("Refund a captured charge to the customer")
    );
}

#[test]
fn half_typed_verb_replaces_the_word() {
    let (text, pos) = cursor("when payments.ref$0\nwhen email.send then allow\n");
    let mut c = Client::new();
    let uri = c.open("c.p0", &text);
    let items = c.completion(&uri, pos);
    let refund = item(&items, "refund");
    match &refund.text_edit {
        Some(lsp_types::CompletionTextEdit::Edit(e)) => {
            assert_eq!(e.range.start.character, 14);
            assert_eq!(e.range.end.character, 17);
        }
        other => panic!("{other:?}"),
    }
    c.shutdown();
}

#[test]
fn fields_of_the_action_with_types_on_a_half_typed_line() {
    let items = complete("when payments.refund am$0");
    let amount = item(&items, "amount");
    assert_eq!(amount.kind, Some(CompletionItemKind::FIELD));
    assert_eq!(amount.detail.as_deref(), Some("money"));
    assert!(has(&items, "currency"));
    assert!(has(&items, "actor"), "namespaces are offered too");
    assert!(has(&items, "then"), "the condition is optional");
    assert!(!has(&items, "recipient_scope"));
}

#[test]
fn fields_common_to_every_matched_action() {
    let items = complete("when email.send | email.draft $0");
    assert!(has(&items, "recipient_scope"));
    assert!(!has(&items, "send_at"), "only email.send has it");
}

#[test]
fn namespace_members() {
    let items = complete("when * actor.$0");
    assert_eq!(item(&items, "role").detail.as_deref(), Some("string?"));
    assert!(has(&items, "verified"));
    let items = complete("when * context.$0 == \"x\" then deny");
    assert!(has(&items, "env") && has(&items, "tenant"));
    let items = complete("when * risk.$0");
    assert_eq!(labels(&items), vec!["score", "tier", "flags"]);
    let items = complete("when * session.$0");
    for f in ["count", "sum", "seen", "distinct"] {
        assert_eq!(item(&items, f).kind, Some(CompletionItemKind::FUNCTION));
    }
    // The tenant's and the actor's history: the same four functions (the
    // actor's after its attributes).
    let items = complete("when * tenant.$0");
    for f in ["count", "sum", "seen", "distinct"] {
        assert_eq!(item(&items, f).kind, Some(CompletionItemKind::FUNCTION));
    }
    let items = complete("when * actor.$0");
    assert!(has(&items, "role"));
    assert_eq!(
        item(&items, "count").kind,
        Some(CompletionItemKind::FUNCTION)
    );
    let items = complete("when * $0");
    assert!(has(&items, "tenant") && has(&items, "session"));
}

#[test]
fn session_function_arguments() {
    let items = complete("when payments.transfer session.sum(payments.transfer.$0");
    assert!(has(&items, "amount"));
    assert!(!has(&items, "currency"), "sum adds numbers only");
    let items = complete("when payments.transfer session.count(payments.$0");
    assert!(has(&items, "transfer") && has(&items, "*"));
    let items = complete("when collections.call_debtor tenant.sum(collections.call_debtor.$0");
    assert!(has(&items, "consumer_local_hour"), "int fields sum");
}

#[test]
fn decisions_after_then() {
    let items = complete("when email.send then $0");
    assert_eq!(&labels(&items)[..3], &["allow", "escalate", "deny"]);
    assert!(has(&items, "amplify"));
    let items = complete("when email.send recipient_count > 5 then es$0");
    assert!(has(&items, "escalate"));
    let items = complete("when email.send then amplify $0");
    assert!(has(&items, "destination"));
}

#[test]
fn builtins_and_lets_in_a_condition() {
    let items = complete("let blocked = {\"a\"}\nwhen email.send $0");
    assert_eq!(item(&items, "blocked").detail.as_deref(), Some("{\"a\"}"));
    assert_eq!(
        item(&items, "len").detail.as_deref(),
        Some("len(value) -> int")
    );
    assert!(has(&items, "not"));
}

#[test]
fn enum_members_after_a_comparison() {
    let items = complete("when email.send recipient_scope == $0");
    assert_eq!(labels(&items)[..3], ["self", "internal", "external"]);
    assert_eq!(insert_text(item(&items, "external")), "\"external\"");
    let items = complete("when * context.env != \"pr$0");
    let prod = item(&items, "prod");
    assert_eq!(insert_text(prod), "\"prod\"");
    assert_eq!(prod.filter_text.as_deref(), Some("\"prod\""));
    let items = complete("when * risk.tier >= $0");
    assert_eq!(insert_text(item(&items, "high")), "high");
    let items = complete("when * context.env in {\"dev\", $0");
    assert_eq!(insert_text(item(&items, "staging")), "\"staging\"");
}

#[test]
fn operators_after_a_value() {
    let items = complete("when email.send subject $0");
    assert!(has(&items, "contains") && has(&items, "and") && has(&items, "then"));
}

#[test]
fn tests_tools_and_declarations() {
    let items = complete("test \"t\" {\n  payments.refund { $0 } => escalate\n}");
    assert_eq!(insert_text(item(&items, "amount")), "amount: ");
    let items =
        complete("test \"t\" {\n  payments.refund { amount: 5, reason: $0 } => escalate\n}");
    assert!(has(&items, "fraudulent"));
    let items = complete("test \"t\" {\n  payments.refund { amount: 5 } $0\n}");
    assert!(has(&items, "actor") && has(&items, "=>"));
    let items = complete("test \"t\" {\n  payments.refund { amount: 5 } actor { $0 } => deny\n}");
    assert!(has(&items, "role"));
    let items = complete("test \"t\" {\n  payments.refund { amount: 5 } => $0\n}");
    assert!(has(&items, "deny"));
    let items = complete("tool gmail_send -> email.send {\n  to = args.to\n  $0\n}");
    assert_eq!(insert_text(item(&items, "subject")), "subject = ");
    assert!(!has(&items, "to"));
    let items = complete("action acme.x {\n  a: $0\n}");
    assert!(has(&items, "money") && has(&items, "list<string>"));
    let items = complete("action acme.x {\n  a: int\n} risk {\n  primary: [FIN$0\n}");
    assert!(has(&items, "FINANCIAL"));
}

#[test]
fn top_level_keywords() {
    let items = complete("$0");
    assert!(has(&items, "when") && has(&items, "let") && has(&items, "test"));
    let items = complete("when email.send then allow\nwh$0");
    assert!(has(&items, "when"));
}

#[test]
fn nothing_in_comments_or_reason_strings() {
    assert!(complete("# when payments.$0").is_empty());
    assert!(complete("when email.send then deny \"because pay$0\"").is_empty());
}

#[test]
fn teams_own_actions_complete() {
    let items = complete("domain acme \"Acme\"\naction acme.approve \"Approve\" {\n  total: money \"t\"\n}\nwhen acme.$0");
    assert!(has(&items, "approve"));
    let items = complete("domain acme \"Acme\"\naction acme.approve \"Approve\" {\n  total: money \"t\"\n}\nwhen acme.approve to$0");
    assert_eq!(item(&items, "total").detail.as_deref(), Some("money"));
}

#[test]
fn has_and_defaults_complete_like_operands() {
    // After `has`: the fields and namespaces a guard can name.
    let items = complete("when payments.refund has $0");
    assert!(
        has(&items, "customer") && has(&items, "actor"),
        "{:?}",
        labels(&items)
    );
    // After `??`: the members of the field's enum.
    let items = complete("when * context.env ?? $0");
    assert!(
        has(&items, "prod") && has(&items, "dev"),
        "{:?}",
        labels(&items)
    );
    // Where a condition starts, `has` is offered; after an operand, `??`.
    let items = complete("when payments.refund $0");
    assert!(has(&items, "has"), "{:?}", labels(&items));
    let items = complete("when payments.refund customer $0");
    assert!(has(&items, "??"), "{:?}", labels(&items));
}

#[test]
fn local_time_functions_complete_in_a_condition() {
    let items = complete("when db.export $0");
    assert_eq!(
        item(&items, "weekday").detail.as_deref(),
        Some("weekday(time, zone) -> int")
    );
    assert!(has(&items, "hour") && has(&items, "minute") && has(&items, "date"));
}

#[test]
fn address_tests_complete_in_a_condition_and_ip_as_a_type() {
    let items = complete("when payments.refund $0");
    assert!(
        item(&items, "in_cidr")
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("in_cidr(ip, networks) -> bool")),
        "{:?}",
        labels(&items)
    );
    let items = complete("namespace context {\n  egress_ip: $0\n}\n");
    assert!(has(&items, "ip"), "{:?}", labels(&items));
}

#[test]
fn keys_of_grants_and_hops_inside_a_test_steps_lists() {
    let items = complete(
        "test \"t\" {\n  payments.refund { amount: 5 } context { grants: [{ $0 }] } => allow\n}",
    );
    assert!(
        has(&items, "scope") && has(&items, "expires") && has(&items, "granted_by"),
        "{:?}",
        labels(&items)
    );
    assert_eq!(insert_text(item(&items, "scope")), "scope: ");
    // Keys already written are not offered again.
    let items = complete(
        "test \"t\" {\n  payments.refund { amount: 5 } context { grants: [{scope: \"s\", $0 }] } => allow\n}",
    );
    assert!(
        !has(&items, "scope") && has(&items, "action"),
        "{:?}",
        labels(&items)
    );
    let items = complete(
        "test \"t\" {\n  payments.refund { amount: 5 } actor { chain: [{id: \"u\", kind: \"human\", scopes: []}, { $0 }] } => allow\n}",
    );
    assert!(
        has(&items, "kind") && has(&items, "scopes"),
        "{:?}",
        labels(&items)
    );
}

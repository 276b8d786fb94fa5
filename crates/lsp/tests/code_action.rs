//! Quick fixes: every diagnostic with a machine-applicable fix ("did you
//! mean") becomes a `quickfix` code action.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{apply_edits, Client};
use lsp_types::{CodeActionKind, CodeActionOrCommand, Position, Range};

fn actions(
    c: &mut Client,
    uri: &lsp_types::Uri,
    range: Range,
    only: Option<Vec<CodeActionKind>>,
) -> Vec<lsp_types::CodeAction> {
    let r = c.request::<lsp_types::request::CodeActionRequest>(lsp_types::CodeActionParams {
        text_document: lsp_types::TextDocumentIdentifier { uri: uri.clone() },
        range,
        context: lsp_types::CodeActionContext {
            diagnostics: Vec::new(),
            only,
            trigger_kind: None,
        },
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    });
    r.unwrap_or_default()
        .into_iter()
        .map(|a| match a {
            CodeActionOrCommand::CodeAction(a) => a,
            CodeActionOrCommand::Command(c) => panic!("unexpected command {c:?}"),
        })
        .collect()
}

fn at(line: u32, character: u32) -> Range {
    let p = Position { line, character };
    Range { start: p, end: p }
}

fn edits_of(a: &lsp_types::CodeAction, uri: &lsp_types::Uri) -> Vec<lsp_types::TextEdit> {
    a.edit
        .as_ref()
        .unwrap()
        .changes
        .as_ref()
        .unwrap()
        .get(uri)
        .unwrap()
        .clone()
}

#[test]
fn typo_in_an_action_gets_its_did_you_mean_fix() {
    let text = "when payments.refnud amount > 500 then escalate\n";
    let mut c = Client::new();
    let uri = c.open("a.p0", text);
    let acts = actions(&mut c, &uri, at(0, 8), None);
    assert_eq!(acts.len(), 1, "{acts:#?}");
    let a = &acts[0];
    assert_eq!(a.title, "replace `payments.refnud` with `payments.refund`");
    assert_eq!(a.kind, Some(CodeActionKind::QUICKFIX));
    assert_eq!(a.is_preferred, Some(true));
    let diag = &a.diagnostics.as_ref().unwrap()[0];
    assert_eq!(
        diag.code,
        Some(lsp_types::NumberOrString::String("P0201".into()))
    );
    assert_eq!(
        apply_edits(text, &edits_of(a, &uri)),
        "when payments.refund amount > 500 then escalate\n"
    );
    c.shutdown();
}

#[test]
fn several_fixes_each_in_its_range() {
    let text = "when email.send recipient_scope == \"externl\" then alow\nwhen email.send actr.role == \"x\" then deny\n";
    let mut c = Client::new();
    let uri = c.open("b.p0", text);
    let whole = Range {
        start: Position {
            line: 0,
            character: 0,
        },
        end: Position {
            line: 2,
            character: 0,
        },
    };
    let all = actions(&mut c, &uri, whole, None);
    let titles: Vec<&str> = all.iter().map(|a| a.title.as_str()).collect();
    assert!(
        titles.contains(&"replace `\"externl\"` with `\"external\"`"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"replace `alow` with `allow`"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"replace `actr` with `actor`"),
        "{titles:?}"
    );
    // Only the one under the cursor.
    let one = actions(&mut c, &uri, at(1, 17), None);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].title, "replace `actr` with `actor`");
    // Asking for refactorings only gives no quick fix.
    assert!(actions(&mut c, &uri, whole, Some(vec![CodeActionKind::REFACTOR])).is_empty());
    c.shutdown();
}

#[test]
fn no_actions_without_fixes() {
    let mut c = Client::new();
    let uri = c.open("c.p0", "when email.send zzzzzz == 1 then deny\n");
    assert!(actions(&mut c, &uri, at(0, 17), None).is_empty());
    c.shutdown();
}

#[test]
fn an_unguarded_optional_read_gets_the_strict_guard() {
    // A deny rule applies when the role is absent; an allow rule does not.
    let text = "when payments.* actor.role not in {\"finance\"} then deny\nwhen payments.refund actor.role == \"support\" then allow\n";
    let mut c = Client::new();
    let uri = c.open("absent.p0", text);
    let deny = actions(&mut c, &uri, at(0, 18), None);
    assert_eq!(deny.len(), 1, "{deny:#?}");
    let diag = &deny[0].diagnostics.as_ref().unwrap()[0];
    assert_eq!(
        diag.code,
        Some(lsp_types::NumberOrString::String("P0218".into()))
    );
    let fixed = apply_edits(text, &edits_of(&deny[0], &uri));
    assert_eq!(
        fixed.lines().next().unwrap(),
        "when payments.* (not has actor.role or actor.role not in {\"finance\"}) then deny"
    );
    let allow = actions(&mut c, &uri, at(1, 24), None);
    assert_eq!(allow.len(), 1, "{allow:#?}");
    let fixed = apply_edits(text, &edits_of(&allow[0], &uri));
    assert_eq!(
        fixed.lines().nth(1).unwrap(),
        "when payments.refund (has actor.role and actor.role == \"support\") then allow"
    );
    c.shutdown();
}

//! Problems that no policy text holds — a risk profile given on the command
//! line, a compiler bug — are reported without a location, never at a
//! made-up one such as the first line of whichever file came first.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use permit0_compiler::diag::Diagnostic;
use permit0_compiler::{compile, to_wire_with_profile, Input};
use permit0_vm::risk::Profile;

fn profile_errors(profile: &str) -> Vec<Diagnostic> {
    let comp = compile(vec![Input::from_text(
        "refunds.p0",
        "when payments.refund amount > 500 then escalate \"large refund\"\n",
    )]);
    assert!(!comp.has_errors(), "{:?}", comp.diagnostics);
    let profile: Profile = serde_json::from_str(profile).unwrap();
    to_wire_with_profile(&comp, Some(&profile)).unwrap_err()
}

#[test]
fn a_profile_naming_an_unknown_action_is_an_error_at_no_place() {
    let errors = profile_errors(r#"{"name": "f", "floors": [["payments.refnud", "high"]]}"#);
    assert_eq!(errors.len(), 1);
    let d = &errors[0];
    assert_eq!(d.code, "P0213");
    assert_eq!(d.span, None, "the profile is in no policy file");
    assert!(
        d.message.contains("did you mean `payments.refund`?"),
        "{}",
        d.message
    );
    let comp = compile(Vec::new());
    let json = serde_json::to_value(d.to_json(&comp.sources)).unwrap();
    for k in ["file", "line", "column", "end_line", "end_column"] {
        assert!(json[k].is_null(), "`{k}` in {json}");
    }
}

#[test]
fn a_profile_breaking_a_guardrail_is_an_error_at_no_place() {
    let errors = profile_errors(r#"{"name": "loose", "flag_multipliers": [["DESTRUCTION", 0.1]]}"#);
    assert!(!errors.is_empty());
    assert!(
        errors.iter().all(|d| d.code == "P0213" && d.span.is_none()),
        "{errors:?}"
    );
}

#[test]
fn an_error_in_a_file_still_names_its_place() {
    let comp = compile(vec![Input::from_text(
        "refunds.p0",
        "when payments.refund amout > 500 then deny\n",
    )]);
    let d = comp.errors().next().unwrap();
    let json = d.to_json(&comp.sources);
    assert_eq!(
        (json.file.as_deref(), json.line, json.column),
        (Some("refunds.p0"), Some(1), Some(22))
    );
}

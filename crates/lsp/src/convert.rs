//! Compiler diagnostics in, LSP diagnostics out: code, severity, UTF-16
//! range, related information for each label, and the help after the message.

use crate::analysis::Analysis;
use lsp_types::{DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, NumberOrString};
use permit0_compiler::diag::{Diagnostic, Severity};

pub const SOURCE: &str = "permit0";

pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
    }
}

/// The message an editor shows: the message, then `help: …` on its own line.
pub fn message(d: &Diagnostic) -> String {
    match &d.help {
        Some(h) => format!("{}\nhelp: {h}", d.message),
        None => d.message.clone(),
    }
}

/// Converts a diagnostic whose primary span is in the analysed document, or
/// that has no location at all: the protocol has no diagnostic without a
/// range, so that one is shown on the document's first character (its
/// message is the same as on the command line, which names no place).
/// Labels in files the editor cannot open (none, in practice) are dropped.
pub fn diagnostic(a: &Analysis, d: &Diagnostic) -> lsp_types::Diagnostic {
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter_map(|l| {
            Some(DiagnosticRelatedInformation {
                location: a.location(l.span)?,
                message: l.message.clone(),
            })
        })
        .collect();
    let tags = match d.code {
        "P0404" | "P0401" | "P0402" => Some(vec![DiagnosticTag::UNNECESSARY]),
        "P0403" => Some(vec![DiagnosticTag::DEPRECATED]),
        _ => None,
    };
    lsp_types::Diagnostic {
        range: d.span.and_then(|s| a.range(s)).unwrap_or_default(),
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.code.to_string())),
        code_description: None,
        source: Some(SOURCE.to_string()),
        message: message(d),
        related_information: (!related.is_empty()).then_some(related),
        tags,
        data: None,
    }
}

/// The document's own diagnostics, and those without a location, in LSP
/// form.
pub fn document_diagnostics(a: &Analysis) -> Vec<lsp_types::Diagnostic> {
    a.comp
        .diagnostics
        .iter()
        .filter(|d| d.file().is_none_or(|f| f == a.file))
        .map(|d| diagnostic(a, d))
        .collect()
}

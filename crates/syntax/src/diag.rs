//! The one diagnostic model: every phase reports `Diagnostic`s; the CLI and the
//! language server render them at the edges.

use crate::span::{FileId, SourceMap, Span};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A secondary location with a short message, e.g. the declaration of a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A machine-applicable edit: replace the text at `span` with `replacement`.
/// The language server offers these as quick fixes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Where the problem is; `None` when it is in no source text (a risk
    /// profile given on the command line, a limit of the bundle format, a
    /// compiler bug): such a diagnostic is shown without a file or line,
    /// never at a made-up one.
    pub span: Option<Span>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span: Some(span),
            ..Diagnostic::error_without_location(code, message)
        }
    }

    /// An error that no source text holds (see [`Diagnostic::span`]).
    pub fn error_without_location(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span: None,
            labels: Vec::new(),
            help: None,
            fix: None,
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn fix(mut self, span: Span, replacement: impl Into<String>) -> Diagnostic {
        self.fix = Some(Fix {
            span,
            replacement: replacement.into(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The file the problem is in, if it is in one.
    pub fn file(&self) -> Option<FileId> {
        self.span.map(|s| s.file)
    }

    /// Diagnostics in source order: those without a location first, then by
    /// file and position.
    pub fn order(&self) -> (Option<FileId>, u32, u32) {
        match self.span {
            Some(s) => (Some(s.file), s.start, s.end),
            None => (None, 0, 0),
        }
    }

    /// The JSON shape of `permit0 check --format json`. A diagnostic without
    /// a location has `file`, `line`, `column`, `end_line` and `end_column`
    /// `null`.
    pub fn to_json(&self, sources: &SourceMap) -> JsonDiagnostic {
        let at = self.span.and_then(|span| {
            let f = sources.get(span.file)?;
            Some((
                sources.name(span.file).to_string(),
                f.line_col(span.start),
                f.line_col(span.end),
            ))
        });
        JsonDiagnostic {
            code: self.code,
            severity: self.severity,
            message: self.message.clone(),
            file: at.as_ref().map(|a| a.0.clone()),
            line: at.as_ref().map(|a| a.1.line),
            column: at.as_ref().map(|a| a.1.column),
            end_line: at.as_ref().map(|a| a.2.line),
            end_column: at.as_ref().map(|a| a.2.column),
            help: self.help.clone(),
            labels: self
                .labels
                .iter()
                .map(|l| {
                    let lc = sources
                        .get(l.span.file)
                        .map(|f| f.line_col(l.span.start))
                        .unwrap_or_default();
                    JsonLabel {
                        file: sources.name(l.span.file).to_string(),
                        line: lc.line,
                        column: lc.column,
                        message: l.message.clone(),
                    }
                })
                .collect(),
            fix: self.fix.as_ref().map(|f| f.replacement.clone()),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub end_line: Option<u32>,
    pub end_column: Option<u32>,
    pub help: Option<String>,
    pub labels: Vec<JsonLabel>,
    pub fix: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct JsonLabel {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Every diagnostic code with a one-line title. `docs/diagnostics.md` documents
/// each one with an example; a test keeps the two in step.
pub const CODES: &[(&str, &str)] = &[
    ("P0100", "file is not valid UTF-8 or is too large"),
    ("P0101", "unexpected character"),
    ("P0102", "unterminated string"),
    ("P0103", "invalid escape in a string"),
    ("P0104", "integer literal out of range"),
    ("P0105", "invalid duration"),
    ("P0106", "a number typed with a letter"),
    ("P0110", "syntax error"),
    ("P0111", "unexpected end of file"),
    ("P0112", "`=` used where `==` compares"),
    ("P0113", "nesting too deep"),
    ("P0114", "a quoted name that names nothing"),
    ("P0201", "unknown action"),
    ("P0202", "unknown domain"),
    ("P0203", "unknown field"),
    ("P0204", "unknown namespace"),
    ("P0205", "unknown name"),
    ("P0206", "name defined twice"),
    ("P0207", "unknown decision"),
    ("P0208", "pattern matches no action"),
    ("P0209", "unknown function"),
    ("P0210", "field missing on some matched actions"),
    (
        "P0211",
        "action declared twice or redefines a built-in action",
    ),
    ("P0212", "unknown type"),
    ("P0213", "invalid risk profile"),
    ("P0214", "invalid tool mapping"),
    ("P0215", "invalid test"),
    ("P0216", "misplaced declaration"),
    ("P0217", "invalid override"),
    ("P0218", "optional value read without a guard"),
    ("P0219", "invalid derivation"),
    ("P0220", "possible values outside the field's enum"),
    ("P0231", "unknown import or action set"),
    ("P0232", "policies import each other"),
    ("P0233", "a `by` field the actions do not share"),
    ("P0234", "a scope of history that cannot be kept"),
    ("P0301", "type mismatch"),
    ("P0302", "operator does not apply to this type"),
    ("P0303", "wrong number of arguments"),
    ("P0304", "value outside the enum"),
    ("P0305", "condition is not a boolean"),
    ("P0306", "invalid obligation or amplifier"),
    ("P0307", "arithmetic on types that do not fit"),
    ("P0308", "arithmetic that overflows"),
    ("P0309", "an unknown time zone"),
    ("P0310", "a time literal that is not a valid time"),
    ("P0311", "not an IP address or network"),
    (
        "P0312",
        "a network that is not written in its canonical form",
    ),
    ("P0401", "rule can never match"),
    ("P0402", "rule shadowed by an earlier rule"),
    ("P0403", "deprecated action name"),
    ("P0404", "unused let"),
    ("P0410", "rule named by its position"),
    ("P0900", "internal error"),
];

/// "did you mean": one rule for every suggestion permit0 makes, defined in
/// the VM (`permit0_types::suggest`) so the request binder, the CLI and every
/// diagnostic agree.
pub use permit0_types::suggest::{did_you_mean as suggest, edit_distance};

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for (code, title) in CODES {
            assert!(seen.insert(*code), "duplicate {code}");
            assert!(code.len() == 5 && code.starts_with('P'));
            assert!(!title.ends_with('.'));
        }
    }
}

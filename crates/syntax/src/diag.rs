//! The one diagnostic model: every phase reports `Diagnostic`s; the CLI and the
//! language server render them at the edges.

use crate::span::{SourceMap, Span};
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
    pub span: Span,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
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

    /// The JSON shape of `permit0 check --format json`.
    pub fn to_json(&self, sources: &SourceMap) -> JsonDiagnostic {
        let file = sources.get(self.span.file);
        let (start, end) = match file {
            Some(f) => (f.line_col(self.span.start), f.line_col(self.span.end)),
            None => Default::default(),
        };
        JsonDiagnostic {
            code: self.code,
            severity: self.severity,
            message: self.message.clone(),
            file: sources.name(self.span.file).to_string(),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
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
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
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
    ("P0110", "syntax error"),
    ("P0111", "unexpected end of file"),
    ("P0112", "`=` used where `==` compares"),
    ("P0113", "nesting too deep"),
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
    ("P0301", "type mismatch"),
    ("P0302", "operator does not apply to this type"),
    ("P0303", "wrong number of arguments"),
    ("P0304", "value outside the enum"),
    ("P0305", "condition is not a boolean"),
    ("P0306", "invalid obligation or amplifier"),
    ("P0401", "rule can never match"),
    ("P0402", "rule shadowed by an earlier rule"),
    ("P0403", "deprecated action name"),
    ("P0404", "unused let"),
    ("P0900", "internal error"),
];

/// "did you mean": the closest candidate within a small edit distance.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = match word.chars().count() {
        0..=2 => 1,
        3..=5 => 2,
        _ => 3,
    };
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// Damerau-Levenshtein distance (adjacent transpositions count as one edit):
/// `refnud` is one edit from `refund`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    let at = |i: usize, j: usize| i * w + j;
    for i in 0..=a.len() {
        if let Some(c) = d.get_mut(at(i, 0)) {
            *c = i;
        }
    }
    for j in 0..=b.len() {
        if let Some(c) = d.get_mut(at(0, j)) {
            *c = j;
        }
    }
    for (i, ca) in a.iter().enumerate() {
        for (j, cb) in b.iter().enumerate() {
            let (i1, j1) = (i + 1, j + 1);
            let cost = usize::from(ca != cb);
            let get = |x: usize, y: usize| d.get(at(x, y)).copied().unwrap_or(usize::MAX / 2);
            let mut v = (get(i, j1) + 1).min(get(i1, j) + 1).min(get(i, j) + cost);
            if i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca) {
                v = v.min(get(i - 1, j - 1) + 1);
            }
            if let Some(c) = d.get_mut(at(i1, j1)) {
                *c = v;
            }
        }
    }
    d.get(at(a.len(), b.len())).copied().unwrap_or(usize::MAX)
}

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
    fn suggestions_find_typos_and_transpositions() {
        assert_eq!(edit_distance("refnud", "refund"), 1);
        assert_eq!(suggest("refnud", ["refund", "charge"]), Some("refund"));
        assert_eq!(suggest("amout", ["amount", "currency"]), Some("amount"));
        assert_eq!(suggest("zzz", ["amount", "currency"]), None);
    }

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

//! Diagnostics rendered for a terminal with ariadne: the only place the CLI
//! turns the diagnostic model into text.

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};
use permit0_compiler::diag::{Diagnostic, Severity};
use permit0_compiler::span::SourceMap;
use std::io::Write;

pub fn render(diags: &[Diagnostic], sources: &SourceMap, color: bool, out: &mut dyn Write) {
    let cache = ariadne::sources(
        sources
            .files()
            .map(|(_, f)| (f.name.clone(), f.text.clone()))
            .collect::<Vec<_>>(),
    );
    let mut cache = cache;
    for d in diags {
        let d = &on_char_boundaries(d, sources);
        let (kind, tint) = match d.severity {
            Severity::Error => (ReportKind::Error, Color::Red),
            Severity::Warning => (ReportKind::Warning, Color::Yellow),
        };
        let Some(span) = d.span else {
            unlocated(d, sources, kind, tint, color, out);
            continue;
        };
        let name = sources.name(span.file).to_string();
        let mut report = Report::build(kind, (name.clone(), span.range()))
            .with_config(
                Config::default()
                    .with_color(color)
                    .with_index_type(IndexType::Byte),
            )
            .with_code(d.code)
            .with_message(&d.message)
            .with_label(
                Label::new((name.clone(), span.range()))
                    .with_message(&d.message)
                    .with_color(tint),
            );
        for l in &d.labels {
            report = report.with_label(
                Label::new((sources.name(l.span.file).to_string(), l.span.range()))
                    .with_message(&l.message)
                    .with_color(Color::Blue),
            );
        }
        if let Some(h) = &d.help {
            report = report.with_help(h);
        }
        if report.finish().write(&mut cache, &mut *out).is_err() {
            // A diagnostic that cannot be drawn (e.g. a span past the end of
            // an edited file) still reaches the user as one line.
            let _ = writeln!(
                out,
                "{}[{}]: {} ({name})",
                d.severity.name(),
                d.code,
                d.message
            );
        }
    }
}

/// A diagnostic that no source text holds (a bad `--profile`, a bundle
/// limit, a compiler bug), in the shape of ariadne's header but without a
/// file or line: `[P0213] Error: risk profile …`, then its labels and help.
fn unlocated(
    d: &Diagnostic,
    sources: &SourceMap,
    kind: ReportKind<'_>,
    tint: Color,
    color: bool,
    out: &mut dyn Write,
) {
    use ariadne::Fmt as _;
    let kind = if color {
        format!("{}", kind.fg(tint))
    } else {
        kind.to_string()
    };
    let _ = writeln!(out, "[{}] {kind}: {}", d.code, d.message);
    for l in &d.labels {
        let at = sources.get(l.span.file).map(|f| f.line_col(l.span.start));
        let name = sources.name(l.span.file);
        match at {
            Some(lc) => {
                let _ = writeln!(
                    out,
                    "    note: {name}:{}:{}: {}",
                    lc.line, lc.column, l.message
                );
            }
            None => {
                let _ = writeln!(out, "    note: {name}: {}", l.message);
            }
        }
    }
    if let Some(h) = &d.help {
        let _ = writeln!(out, "    help: {h}");
    }
}

/// `3 errors, 1 warning`
pub fn summary(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// ariadne indexes text by byte and panics off a character boundary; a
/// diagnostic's spans are widened to whole characters first.
fn on_char_boundaries(d: &Diagnostic, sources: &SourceMap) -> Diagnostic {
    let fix = |span: permit0_compiler::span::Span| {
        let Some(f) = sources.get(span.file) else {
            return span;
        };
        let text = f.text.as_str();
        let mut start = (span.start as usize).min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (span.end as usize).clamp(start, text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        permit0_compiler::span::Span::new(span.file, start, end)
    };
    let mut out = d.clone();
    out.span = out.span.map(fix);
    for l in &mut out.labels {
        l.span = fix(l.span);
    }
    out
}

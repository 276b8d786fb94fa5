//! Tokens in, AST out. Wraps the LALRPOP parser generated from
//! `grammar/policy.lalrpop` and turns its errors into diagnostics.

use crate::ast::{Ast, Expr};
use crate::diag::Diagnostic;
use crate::lexer::{lex, Tok};
use crate::span::{FileId, Span};
use lalrpop_util::{ErrorRecovery, ParseError};

// Generated code: its table lookups and `unreachable` panics are LALRPOP's
// own invariants, not reachable from input, so the restriction lints are
// lifted for this module alone.
lalrpop_util::lalrpop_mod!(
    #[allow(
        clippy::all,
        clippy::pedantic,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::unwrap_used,
        clippy::expect_used,
        unused_parens,
        unused_imports,
        dead_code
    )]
    grammar,
    "/policy.rs"
);

/// Parse one file. Always returns an AST — items that failed to parse are
/// `Item::Error` — and every lexical and syntax diagnostic, in source order.
pub fn parse(file: FileId, src: &str) -> (Ast, Vec<Diagnostic>) {
    let lexed = lex(file, src);
    let mut diags = lexed.diagnostics;
    if lexed.too_deep_at.is_some() {
        // The nesting diagnostic is already reported; a tree that deep is
        // not worth building.
        return (Ast::default(), diags);
    }
    let mut recovered: Vec<ErrorRecovery<usize, Tok<'_>, ()>> = Vec::new();
    let tokens = lexed.tokens.into_iter().map(Ok::<_, ()>);
    let result = grammar::FileParser::new().parse(file, &mut recovered, tokens);
    for r in recovered {
        diags.push(syntax_diagnostic(file, src, r.error));
    }
    let ast = match result {
        Ok(ast) => ast,
        Err(e) => {
            diags.push(syntax_diagnostic(file, src, e));
            Ast::default()
        }
    };
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    (ast, diags)
}

/// Parse a single expression (used by tests and tools that take a condition).
pub fn parse_expr(file: FileId, src: &str) -> Result<Expr, Vec<Diagnostic>> {
    let lexed = lex(file, src);
    let mut diags = lexed.diagnostics;
    if lexed.too_deep_at.is_some() {
        return Err(diags);
    }
    let mut recovered = Vec::new();
    let tokens = lexed.tokens.into_iter().map(Ok::<_, ()>);
    match grammar::ExprParser::new().parse(file, &mut recovered, tokens) {
        Ok(e) if diags.is_empty() => Ok(e),
        Ok(_) => Err(diags),
        Err(e) => {
            diags.push(syntax_diagnostic(file, src, e));
            Err(diags)
        }
    }
}

fn describe_expected(expected: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in expected {
        let d = match e.as_str() {
            "IDENT" => "a name".to_string(),
            "INT" => "a number".to_string(),
            "STR" => "a string".to_string(),
            "DURATION" => "a duration".to_string(),
            other => format!("`{}`", other.trim_matches('"')),
        };
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] if items.len() <= 6 => format!("{} or {}", init.join(", "), last),
        _ => {
            let shown: Vec<String> = items.iter().take(6).cloned().collect();
            format!("one of {}, …", shown.join(", "))
        }
    }
}

fn syntax_diagnostic(file: FileId, src: &str, e: ParseError<usize, Tok<'_>, ()>) -> Diagnostic {
    match e {
        ParseError::UnrecognizedEof { location, expected } => {
            let exp = describe_expected(&expected);
            let at = location.min(src.len());
            let mut d =
                Diagnostic::error("P0111", Span::new(file, at, at), "unexpected end of file");
            if !exp.is_empty() {
                d = d.help(format!("expected {}", list(&exp)));
            }
            d
        }
        ParseError::UnrecognizedToken {
            token: (l, tok, r),
            expected,
        } => {
            let exp = describe_expected(&expected);
            let span = Span::new(file, l, r);
            let mut d = Diagnostic::error("P0110", span, format!("unexpected {tok}"));
            d = match (&tok, exp.iter().any(|e| e == "`then`")) {
                (_, true) if exp.len() <= 3 => {
                    d.help("a rule reads `when <action> <condition> then <decision>`")
                }
                (Tok::Ident(w), _) if *w == "AND" || *w == "OR" || *w == "NOT" => {
                    let lower = w.to_lowercase();
                    d.help(format!("keywords are lowercase: `{lower}`"))
                        .fix(span, lower)
                }
                (Tok::Ident(w), _) if *w == "if" || *w == "rule" => {
                    d.help("a rule starts with `when`").fix(span, "when")
                }
                _ if !exp.is_empty() => d.help(format!("expected {}", list(&exp))),
                _ => d,
            };
            d
        }
        ParseError::ExtraToken { token: (l, tok, r) } => {
            Diagnostic::error("P0110", Span::new(file, l, r), format!("unexpected {tok}"))
        }
        ParseError::InvalidToken { location } => Diagnostic::error(
            "P0101",
            Span::new(file, location, location + 1),
            "unexpected character",
        ),
        ParseError::User { error: () } => Diagnostic::error(
            "P0900",
            Span::new(file, 0, 0),
            "internal error: parser reported an unknown failure",
        ),
    }
}

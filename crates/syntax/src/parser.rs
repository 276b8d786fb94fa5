//! Tokens in, AST out. Wraps the LALRPOP parser generated from
//! `grammar/policy.lalrpop` and turns its errors into diagnostics.

use crate::ast::{Ast, Expr, ExprKind, Item, LetDecl, Name, Path};
use crate::diag::Diagnostic;
use crate::lexer::{is_word_text, lex, Spanned, Tok, MAX_NESTING};
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
///
/// A file that parses cleanly is parsed in one piece. Otherwise it is cut into
/// items (at each `when` or `let` that starts a line, and at each declaration
/// keyword in the first column) and each piece is parsed on its own: one
/// mistake costs one diagnostic, and the items after it are still read.
pub fn parse(file: FileId, src: &str) -> (Ast, Vec<Diagnostic>) {
    let lexed = lex(file, src);
    let mut diags = lexed.diagnostics;
    let tokens = lexed.tokens;
    if lexed.too_deep_at.is_none() {
        let mut recovered: Vec<ErrorRecovery<usize, Tok<'_>, ()>> = Vec::new();
        let result = grammar::FileParser::new().parse(
            file,
            &mut recovered,
            tokens.iter().cloned().map(Ok::<_, ()>),
        );
        if let (Ok(mut ast), true) = (result, recovered.is_empty()) {
            quoted_members(&mut ast, &mut diags);
            diags.sort_by_key(Diagnostic::order);
            return (ast, diags);
        }
    }
    let lexical: Vec<(usize, usize)> = diags
        .iter()
        .filter_map(|d| d.span)
        .map(|s| (s.range().start, s.range().end))
        .collect();
    let chunks = split_items(src, &tokens);
    let mut items = Vec::new();
    let count = chunks.len();
    for (n, range) in chunks.into_iter().enumerate() {
        let chunk = tokens.get(range).unwrap_or_default();
        let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else {
            continue;
        };
        let (lo, hi) = (first.0, last.2);
        let span = Span::new(file, lo, hi);
        if let Some(at) = lexed.too_deep_at {
            let text = src.get(lo..hi).unwrap_or_default();
            if (lo..hi).contains(&at) {
                items.push(Item::Error(span));
                continue;
            }
            if let Some(rel) = lex(file, text).too_deep_at {
                let at = lo + rel;
                diags.push(
                    Diagnostic::error(
                        "P0113",
                        Span::new(file, at, at + 1),
                        format!("nesting deeper than {MAX_NESTING} levels"),
                    )
                    .help("split the condition into several rules or `let` bindings"),
                );
                items.push(Item::Error(span));
                continue;
            }
        }
        let mut recovered: Vec<ErrorRecovery<usize, Tok<'_>, ()>> = Vec::new();
        let result = grammar::FileParser::new().parse(
            file,
            &mut recovered,
            chunk.iter().cloned().map(Ok::<_, ()>),
        );
        let mut errors: Vec<ParseError<usize, Tok<'_>, ()>> =
            recovered.into_iter().map(|r| r.error).collect();
        let parsed = match result {
            Ok(ast) => Some(ast),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let Some(error) = errors.into_iter().next() else {
            items.extend(parsed.map(|a| a.items).unwrap_or_default());
            continue;
        };
        let at = error_position(&error);
        // A lexical mistake in this item already explains the syntax error.
        let explained = lexical.iter().any(|(s, e)| *s < hi && *e > lo);
        if !explained {
            let d = if n + 1 < count {
                match error {
                    ParseError::UnrecognizedEof { expected, .. } => {
                        unfinished_item(file, src, chunk, &expected)
                    }
                    other => syntax_diagnostic(file, src, other),
                }
            } else {
                syntax_diagnostic(file, src, error)
            };
            diags.push(d);
        }
        match parsed {
            // What the parser read after the first mistake is a guess.
            Some(ast) if ast.items.iter().any(|i| matches!(i, Item::Let(_))) => items.extend(
                ast.items
                    .into_iter()
                    .filter(|i| i.span().range().start <= at),
            ),
            Some(ast) => match salvage_let(file, chunk) {
                Some(item) => items.push(item),
                None => items.extend(
                    ast.items
                        .into_iter()
                        .filter(|i| i.span().range().start <= at),
                ),
            },
            None => items.push(salvage_let(file, chunk).unwrap_or(Item::Error(span))),
        }
    }
    let mut ast = Ast { items };
    quoted_members(&mut ast, &mut diags);
    diags.sort_by_key(Diagnostic::order);
    (ast, diags)
}

/// P0114: where a quoted member (`args."-n"`) may stand. A raw argument's
/// name is the tool's and may be any text, so `args."NAME"` in a tool
/// mapping may quote any name but the empty one. Everything else a path
/// names — an action, a field, `actor` and `context` attributes, a
/// function — is declared as a word: a quoted member there that is not a
/// word names nothing, and is reported here, where it is written. The
/// expression holding it becomes [`ExprKind::Error`], so the checker does
/// not report it again as an unknown name. (A quoted word, `actor."role"`,
/// is that word; the formatter prints it bare.)
fn quoted_members(ast: &mut Ast, diags: &mut Vec<Diagnostic>) {
    for item in &mut ast.items {
        let mut stack: Vec<(&mut Expr, bool, usize)> = Vec::new();
        let mut reported_depth = false;
        match item {
            Item::Let(l) => stack.push((&mut l.value, false, 1)),
            Item::Predicate(p) => stack.push((&mut p.value, false, 1)),
            Item::Rule(r) => {
                stack.extend(r.cond.iter_mut().map(|e| (e, false, 1)));
                stack.extend(
                    r.obligations
                        .iter_mut()
                        .filter_map(|o| o.value.as_mut())
                        .map(|e| (e, false, 1)),
                );
            }
            Item::Tool(t) => {
                stack.extend(t.when.iter_mut().map(|e| (e, true, 1)));
                stack.extend(t.fields.iter_mut().map(|f| (&mut f.value, true, 1)));
            }
            Item::Test(t) => {
                for step in &mut t.steps {
                    let objects = std::iter::once(&mut step.args)
                        .chain(step.sections.iter_mut().map(|(_, o)| o));
                    for o in objects {
                        stack.extend(o.entries.iter_mut().map(|(_, v)| (v, false, 1)));
                    }
                }
            }
            Item::Action(a) => stack.extend(
                a.fields
                    .iter_mut()
                    .filter_map(|f| f.derive.as_mut())
                    .map(|e| (e, false, 1)),
            ),
            Item::Namespace(n) => stack.extend(
                n.fields
                    .iter_mut()
                    .filter_map(|f| f.derive.as_mut())
                    .map(|e| (e, false, 1)),
            ),
            Item::Policy(_)
            | Item::Alias(_)
            | Item::Domain(_)
            | Item::Use(_)
            | Item::Actions(_)
            | Item::Error(_) => {}
        }
        // Iterative: `a + b + c + …` nests without brackets.
        while let Some((e, in_tool, depth)) = stack.pop() {
            // A chain of operators nests without brackets (`1 + 1 + …`
            // is a tree as deep as it is long), which the lexer's P0113
            // cannot see; every later pass walks the tree by recursion.
            if depth > MAX_EXPR_DEPTH {
                if !reported_depth {
                    reported_depth = true;
                    diags.push(
                        Diagnostic::error(
                            "P0113",
                            e.span,
                            format!("an expression nested deeper than {MAX_EXPR_DEPTH} levels"),
                        )
                        .help("split the chain into `let` bindings or several rules"),
                    );
                }
                e.kind = ExprKind::Error;
                continue;
            }
            let d = depth + 1;
            let bad = match &e.kind {
                ExprKind::Path(p) => bad_member(p, in_tool, diags),
                ExprKind::Has(p) | ExprKind::Wildcard(p) | ExprKind::Call { func: p, .. } => {
                    bad_member(p, false, diags)
                }
                _ => false,
            };
            if bad {
                e.kind = ExprKind::Error;
                continue;
            }
            match &mut e.kind {
                ExprKind::Call { args, .. } => {
                    stack.extend(args.iter_mut().map(|a| (a, in_tool, d)))
                }
                ExprKind::Where { target, cond } => {
                    stack.push((target, in_tool, d));
                    stack.push((cond, in_tool, d));
                }
                ExprKind::By { target, .. } => stack.push((target, in_tool, d)),
                ExprKind::Alt(v)
                | ExprKind::Set(v)
                | ExprKind::List(v)
                | ExprKind::And(v)
                | ExprKind::Or(v) => stack.extend(v.iter_mut().map(|a| (a, in_tool, d))),
                ExprKind::Object(entries) => {
                    stack.extend(entries.iter_mut().map(|(_, v)| (v, in_tool, d)));
                }
                ExprKind::Paren(inner) | ExprKind::Not(inner) => stack.push((inner, in_tool, d)),
                ExprKind::Binary { lhs, rhs, .. } => {
                    stack.push((lhs, in_tool, d));
                    stack.push((rhs, in_tool, d));
                }
                ExprKind::Default { value, default } => {
                    stack.push((value, in_tool, d));
                    stack.push((default, in_tool, d));
                }
                ExprKind::Path(_)
                | ExprKind::Has(_)
                | ExprKind::Wildcard(_)
                | ExprKind::Int(_)
                | ExprKind::Duration(_)
                | ExprKind::Time(_)
                | ExprKind::Str(_)
                | ExprKind::Bool(_)
                | ExprKind::Error => {}
            }
        }
    }
}

/// The deepest expression tree accepted (P0113): far beyond any rule a
/// person writes, and shallow enough for every recursive pass of the
/// compiler and the language server.
pub const MAX_EXPR_DEPTH: usize = 128;

/// Reports the members of one path that name nothing: `args."NAME"` (two
/// segments, read by a tool mapping when `raw_argument`) may quote any
/// non-empty name; any other member must be a word. True when one did.
fn bad_member(p: &Path, raw_argument: bool, diags: &mut Vec<Diagnostic>) -> bool {
    let is_arg = raw_argument
        && p.segments.len() == 2
        && p.segments.first().is_some_and(|s| s.text == "args");
    let mut bad = false;
    for m in p.segments.iter().skip(1) {
        if m.text.is_empty() {
            diags.push(
                Diagnostic::error("P0114", m.span, "a name cannot be empty")
                    .help("write the argument's name between the quotes: `args.\"-n\"`"),
            );
            bad = true;
        } else if !is_arg && !is_word_text(&m.text) {
            let head = p.segments.first().map_or("", |s| s.text.as_str());
            let help = if head == "args" {
                "a tool mapping reads a raw argument as `args.\"NAME\"`, two parts, as a value"
                    .to_string()
            } else {
                format!(
                    "only a raw argument's name is quoted (`args.\"-n\"` in a tool mapping); the names of `{head}` are plain words"
                )
            };
            diags.push(
                Diagnostic::error("P0114", m.span, format!("`{}` names nothing", p.dotted()))
                    .help(help),
            );
            bad = true;
        }
    }
    bad
}

fn error_position(e: &ParseError<usize, Tok<'_>, ()>) -> usize {
    match e {
        ParseError::UnrecognizedEof { location, .. } | ParseError::InvalidToken { location } => {
            *location
        }
        ParseError::UnrecognizedToken { token, .. } | ParseError::ExtraToken { token } => token.0,
        ParseError::User { .. } => 0,
    }
}

/// Cut a token stream into the items it most likely holds: before each `when`
/// or `let` that starts a line (those keywords start nothing else), and before
/// a declaration keyword, `if` or `rule` in the first column outside brackets.
fn split_items(src: &str, tokens: &[Spanned<'_>]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0usize;
    let mut depth = 0usize;
    let mut prev_end = 0usize;
    for (i, (start, tok, end)) in tokens.iter().enumerate() {
        let gap = src.get(prev_end..*start).unwrap_or_default();
        let line_start = i > 0 && gap.contains('\n');
        let column_one = *start == 0 || src.get(..*start).is_some_and(|b| b.ends_with('\n'));
        let starts_item = match tok {
            Tok::When | Tok::Let => line_start,
            Tok::Policy
            | Tok::Tool
            | Tok::Test
            | Tok::Action
            | Tok::Domain
            | Tok::Alias
            | Tok::Namespace
            | Tok::Rule
            | Tok::Use
            | Tok::Actions
            | Tok::Predicate
            | Tok::Ident("if") => line_start && column_one && depth == 0,
            _ => false,
        };
        if starts_item && i > from {
            out.push(from..i);
            from = i;
            depth = 0;
        }
        match tok {
            Tok::LParen | Tok::LBrace | Tok::LBracket => depth += 1,
            Tok::RParen | Tok::RBrace | Tok::RBracket => depth = depth.saturating_sub(1),
            _ => {}
        }
        prev_end = *end;
    }
    if from < tokens.len() {
        out.push(from..tokens.len());
    }
    out
}

/// An item cut short by the next one: point at where it stops (or at the
/// bracket it leaves open), not at the next item's first word.
fn unfinished_item(
    file: FileId,
    src: &str,
    chunk: &[Spanned<'_>],
    expected: &[String],
) -> Diagnostic {
    let mut open: Vec<&Spanned<'_>> = Vec::new();
    for t in chunk {
        match t.1 {
            Tok::LParen | Tok::LBrace | Tok::LBracket => open.push(t),
            Tok::RParen | Tok::RBrace | Tok::RBracket => {
                open.pop();
            }
            _ => {}
        }
    }
    if let Some((l, tok, r)) = open.last() {
        let close = match tok {
            Tok::LParen => "`)`",
            Tok::LBrace => "`}`",
            _ => "`]`",
        };
        return Diagnostic::error("P0110", Span::new(file, *l, *r), format!("unclosed {tok}"))
            .help(format!("close it with {close}"));
    }
    let Some((l, tok, r)) = chunk.last() else {
        return Diagnostic::error("P0110", Span::new(file, 0, 0), "unexpected end of item");
    };
    let span = Span::new(file, *l, *r);
    let what = describe_tok(src, *l, tok, *r);
    if *tok == Tok::Then {
        return Diagnostic::error("P0110", span, "missing decision after `then`")
            .help("a rule ends with a decision: allow, escalate or deny, or `amplify`");
    }
    let exp = describe_expected(expected);
    let mut d = Diagnostic::error("P0110", span, format!("nothing follows {what}"));
    if !exp.is_empty() {
        d = d.help(format!("expected {} after it", list(&exp)));
    }
    d
}

/// A `let` whose value did not parse still declares its name, so the rules
/// using it are not told the name is unknown.
fn salvage_let(file: FileId, chunk: &[Spanned<'_>]) -> Option<Item> {
    let [(l, Tok::Let, _), (nl, Tok::Ident(name), nr), (_, Tok::Assign, _), .., (_, _, r)] = chunk
    else {
        return None;
    };
    let span = Span::new(file, *l, *r);
    Some(Item::Let(LetDecl {
        name: Name {
            text: (*name).to_string(),
            span: Span::new(file, *nl, *nr),
        },
        value: Expr {
            kind: ExprKind::Error,
            span,
        },
        span,
    }))
}

fn describe_tok(src: &str, l: usize, tok: &Tok<'_>, r: usize) -> String {
    let text = src.get(l..r).unwrap_or_default();
    match tok {
        Tok::Str(_) => format!("string `{text}`"),
        Tok::Duration(_) => format!("duration `{text}`"),
        other => other.to_string(),
    }
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
            "TIME" => "a time".to_string(),
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
            let what = describe_tok(src, l, &tok, r);
            let mut d = Diagnostic::error("P0110", span, format!("unexpected {what}"));
            d = match (&tok, exp.iter().any(|e| e == "`then`")) {
                (Tok::Ident(w), _) if *w == "AND" || *w == "OR" || *w == "NOT" => {
                    let lower = w.to_lowercase();
                    d.help(format!("keywords are lowercase: `{lower}`"))
                        .fix(span, lower)
                }
                (Tok::Ident(w), _) if *w == "if" => {
                    d.help("a rule starts with `when`").fix(span, "when")
                }
                (Tok::Ident(w), true) if matches!(*w, "allow" | "escalate" | "deny") => {
                    Diagnostic::error("P0110", span, format!("missing `then` before `{w}`"))
                        .help("a rule reads `when <action> <condition> then <decision>`")
                        .fix(span, format!("then {w}"))
                }
                (Tok::Comma, _)
                    if src
                        .get(..l)
                        .is_some_and(|b| b.ends_with(|c: char| c.is_ascii_digit()))
                        && src
                            .get(r..)
                            .is_some_and(|a| a.starts_with(|c: char| c.is_ascii_digit())) =>
                {
                    d.help("numbers group their digits with `_`, not `,`: `5_000`")
                        .fix(span, "_")
                }
                (_, true) if exp.len() <= 3 => {
                    d.help("a rule reads `when <action> <condition> then <decision>`")
                }
                _ if !exp.is_empty() => d.help(format!("expected {}", list(&exp))),
                _ => d,
            };
            d
        }
        ParseError::ExtraToken { token: (l, tok, r) } => Diagnostic::error(
            "P0110",
            Span::new(file, l, r),
            format!("unexpected {}", describe_tok(src, l, &tok, r)),
        ),
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

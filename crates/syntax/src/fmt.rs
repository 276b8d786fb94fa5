//! `.p0` text in, the same policy in its one canonical layout out (`permit0 fmt`,
//! the language server's formatting request). Only a file that parses cleanly
//! is formatted, and every comment is kept.
//!
//! # Layout
//!
//! - Items start in column 0; the inside of a `{ … }` block is indented by two
//!   spaces. Lines end in `\n`, the file ends in exactly one `\n` (an empty file
//!   stays empty), and no line has trailing whitespace.
//! - Blank lines: at most one in a row, kept where the source had one or more.
//!   Items of different kinds (the `policy` header and a `let`, a `let` and a
//!   rule, …) and block items (`action`, `namespace`, `tool`, `test`) are always
//!   separated by one. Never a blank line right after `{` or before `}`.
//! - A rule stays on one line when it fits in 100 columns. Otherwise it breaks
//!   before `then`, and the `then …` line is indented by two spaces; when the
//!   condition alone is longer than 100 columns and is an `and`/`or` chain, it
//!   also breaks before each top-level `and`/`or`, indented by four spaces.
//! - A `let` whose set or list does not fit in 100 columns puts one element per
//!   line, each followed by a comma.
//! - `action`: one field per line, `} risk {` with one entry per line,
//!   `} compliance [...]` on one line. `namespace` likewise; `tool`: one mapping
//!   per line; `test`: one step per line. No commas between block entries. An
//!   empty block without comments prints as `{}`.
//! - Literals: integers of 10_000 and more (in absolute value) get `_`
//!   thousands separators, smaller ones none; a duration uses the largest unit
//!   that divides it exactly, except that days and weeks are used only from two
//!   of them on (`24h`, `7d`, `2w`, `90m`, `1500ms`, `0s`); strings are re-escaped
//!   (`\"`, `\\`, `\n`, `\t`, `\r`, `\0`; other control characters, U+2028/9
//!   and every invisible character the text matcher folds away — zero-width,
//!   bidi controls, fillers: `permit0_types::text::is_invisible` — as `\u{…}`); sets `{"a", "b"}`,
//!   lists `["a", "b"]`, objects `{ key: value }`, enums `enum { a, b }`,
//!   amplifiers with a sign (`amplify destination +14`).
//! - Parentheses are printed exactly where the author wrote them; `and`/`or`
//!   chains are printed joined; `not in` as `not in`.
//! - Object keys and tool names are printed bare when they are plain names, and
//!   quoted otherwise.
//!
//! # Comments
//!
//! A comment on a line of its own stays before the item or block entry it
//! precedes; a comment after code on the same line stays at the end of that line
//! (after a rule that breaks, at the end of its last line). A comment inside a
//! construct printed on one line (a rule, a `let`, a field, a test step, an
//! `action` header…) that the author spread over several lines moves to just
//! before that construct. Comments after the last item stay at the end of the
//! file. Comment text is kept verbatim except for trailing whitespace.
//!
//! # Safety net
//!
//! [`format_source`] re-parses its own output and checks that the syntax tree
//! (spans aside) and the multiset of comments are unchanged; if not, it returns
//! an internal error and the caller leaves the file as it is. A file that nests
//! `not`s or `<…>` types more than [`MAX_FORMAT_DEPTH`] deep is refused with
//! P0113 before it is parsed (the lexer's bracket limit does not cover them).

use crate::ast::{
    ActionDecl, Amplify, Ast, Effect, Expr, ExprKind, FieldDecl, Item, LetDecl, Name,
    NamespaceDecl, Object, Obligation, Path, Pattern, PatternKind, PredicateDecl, RiskEntry,
    RiskValue, Rule, StrLit, TestStep, TestSubject, ToolDecl, ToolField, TypeExpr, TypeExprKind,
    UseDecl,
};
use crate::diag::Diagnostic;
use crate::lexer::{is_word_text, lex, Tok, DURATION_UNITS, KEYWORDS};
use crate::parser::parse;
use crate::span::{FileId, Span};
use std::fmt::Write as _;

/// Lines longer than this (in characters) are broken where the layout allows.
pub const MAX_WIDTH: usize = 100;

/// Formats one `.p0` file. Returns the syntax diagnostics (spans in
/// `FileId(0)`) when the file does not parse cleanly: a file with syntax errors
/// is never formatted, as that could lose text.
pub fn format_source(src: &str) -> Result<String, Vec<Diagnostic>> {
    if let Some(d) = too_deep(src) {
        return Err(vec![d]);
    }
    let (mut ast, diags) = parse(FileId(0), src);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    if let Some(span) = ast.items.iter().find_map(|i| match i {
        Item::Error(s) => Some(*s),
        _ => None,
    }) {
        return Err(vec![Diagnostic::error("P0110", span, "syntax error")]);
    }
    let mut printer = Printer::new(src, comments(src));
    printer.file(&ast)?;
    let out = printer.out;
    erase_spans(&mut ast);
    check_unchanged(src, &ast, &out)?;
    Ok(out)
}

/// Deepest chain of `not`s and brackets, and of `<…>` types, accepted.
pub const MAX_FORMAT_DEPTH: usize = 256;

/// The lexer limits brackets, but not chains of `not` or of `list<list<…>>`,
/// and the syntax tree of such a chain is dropped and compared recursively: a
/// file nesting them absurdly deep is refused before it is parsed.
fn too_deep(src: &str) -> Option<Diagnostic> {
    let lexed = lex(FileId(0), src);
    let mut outer: Vec<usize> = Vec::new();
    let (mut nots, mut sum, mut generics) = (0usize, 0usize, 0usize);
    let mut prev_word = false;
    for (start, tok, end) in &lexed.tokens {
        let word = tok.is_word();
        match tok {
            Tok::Not => nots += 1,
            Tok::LParen | Tok::LBrace | Tok::LBracket => {
                outer.push(nots);
                sum += nots;
                nots = 0;
            }
            Tok::RParen | Tok::RBrace | Tok::RBracket => {
                nots = outer.pop().unwrap_or(0);
                sum = sum.saturating_sub(nots);
            }
            _ => nots = 0,
        }
        match tok {
            Tok::Lt if prev_word => generics += 1,
            _ if word => {}
            _ => generics = 0,
        }
        prev_word = word;
        if sum + nots + outer.len() > MAX_FORMAT_DEPTH || generics > MAX_FORMAT_DEPTH {
            return Some(
                Diagnostic::error(
                    "P0113",
                    Span::new(FileId(0), *start, *end),
                    format!("nesting deeper than {MAX_FORMAT_DEPTH} levels"),
                )
                .help("split the condition into several rules or `let` bindings"),
            );
        }
    }
    None
}

/// A `#` comment: from the `#` to the end of its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the `#`.
    pub start: usize,
    /// Byte offset just past the text (trailing whitespace excluded).
    pub end: usize,
    /// The text from the `#` on, trailing whitespace removed.
    pub text: String,
}

/// Every comment of a file, in source order. Comments are what the lexer skips
/// between tokens, so a `#` inside a string literal is never one.
pub fn comments(src: &str) -> Vec<Comment> {
    let lexed = lex(FileId(0), src);
    let mut out = Vec::new();
    let mut from = 0;
    for (start, _, end) in &lexed.tokens {
        gap_comments(src, from, *start, &mut out);
        from = *end;
    }
    gap_comments(src, from, src.len(), &mut out);
    out
}

fn gap_comments(src: &str, lo: usize, hi: usize, out: &mut Vec<Comment>) {
    let Some(gap) = src.get(lo..hi) else {
        return;
    };
    let mut i = 0;
    while let Some(k) = gap.get(i..).and_then(|g| g.find('#')) {
        let start = i + k;
        let rest = gap.get(start..).unwrap_or("");
        let len = rest.find('\n').unwrap_or(rest.len());
        let text = rest.get(..len).unwrap_or("").trim_end();
        out.push(Comment {
            start: lo + start,
            end: lo + start + text.len(),
            text: text.to_string(),
        });
        i = start + len.max(1);
    }
}

fn internal(message: &str) -> Vec<Diagnostic> {
    vec![
        Diagnostic::error_without_location("P0900", format!("internal error: {message}"))
            .help("the file was left unchanged; please report this with the file"),
    ]
}

/// The safety net: the output must parse to the same tree and keep every comment.
fn check_unchanged(src: &str, erased: &Ast, out: &str) -> Result<(), Vec<Diagnostic>> {
    let (mut again, diags) = parse(FileId(0), out);
    if diags.iter().any(Diagnostic::is_error)
        || again.items.iter().any(|i| matches!(i, Item::Error(_)))
    {
        return Err(internal("the formatted text does not parse"));
    }
    erase_spans(&mut again);
    if *erased != again {
        return Err(internal("formatting would change the meaning of this file"));
    }
    let texts = |s: &str| {
        let mut v: Vec<String> = comments(s).into_iter().map(|c| c.text).collect();
        v.sort();
        v
    };
    if texts(src) != texts(out) {
        return Err(internal("formatting would lose a comment"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The printer: items and block entries as lines, with comments woven in.

/// One line-sized entry of a block (a field, a risk entry, a mapping, a step).
struct Entry {
    start: usize,
    end: usize,
    text: String,
}

struct Printer<'a> {
    src: &'a str,
    comments: Vec<Comment>,
    used: Vec<bool>,
    out: String,
    /// Source offset where the last printed line ends, to find blank lines.
    last_end: usize,
    /// At the start of the file or just after `{`: no blank line may follow.
    fresh: bool,
}

impl<'a> Printer<'a> {
    fn new(src: &'a str, comments: Vec<Comment>) -> Printer<'a> {
        let used = vec![false; comments.len()];
        Printer {
            src,
            comments,
            used,
            out: String::with_capacity(src.len() + src.len() / 8),
            last_end: 0,
            fresh: true,
        }
    }

    /// Marks and returns the unused comments starting in `lo..hi`, except those
    /// strictly inside one of the `skip` regions (block bodies printed later).
    fn take(&mut self, lo: usize, hi: usize, skip: &[(usize, usize)]) -> Vec<Comment> {
        let mut taken = Vec::new();
        for (c, used) in self.comments.iter().zip(self.used.iter_mut()) {
            let inside_body = skip
                .iter()
                .any(|&(open, close)| c.start > open && c.start < close);
            if !*used && c.start >= lo && c.start < hi && !inside_body {
                *used = true;
                taken.push(c.clone());
            }
        }
        taken
    }

    fn any_unused_in(&self, lo: usize, hi: usize) -> bool {
        self.comments
            .iter()
            .zip(&self.used)
            .any(|(c, used)| !*used && c.start > lo && c.start < hi)
    }

    /// The comment that follows `end` on the same line with only spaces between.
    fn take_trailing(&mut self, end: usize) -> Option<Comment> {
        let src = self.src;
        let (c, used) = self
            .comments
            .iter()
            .zip(self.used.iter_mut())
            .find(|(c, used)| !**used && c.start >= end)?;
        let gap = src.get(end..c.start)?;
        if gap
            .chars()
            .all(|ch| matches!(ch, ' ' | '\t' | '\r' | '\x0c'))
        {
            *used = true;
            Some(c.clone())
        } else {
            None
        }
    }

    /// Whether the source has a blank line between offsets `a` and `b`.
    fn blank_in_source(&self, a: usize, b: usize) -> bool {
        let Some(gap) = self.src.get(a..b) else {
            return false;
        };
        let newlines = gap.matches('\n').count();
        gap.split('\n')
            .skip(1)
            .take(newlines.saturating_sub(1))
            .any(|line| line.trim().is_empty())
    }

    /// Prints a blank line before what starts at source offset `at` when the
    /// source had one there, or when `force`d — never at the top of a block.
    fn separate(&mut self, force: bool, at: usize) {
        if !self.fresh && (force || self.blank_in_source(self.last_end, at)) {
            self.out.push('\n');
        }
    }

    fn push_line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
        self.fresh = false;
    }

    fn comment_lines(&mut self, comments: Vec<Comment>, indent: usize, force_first: bool) {
        let mut force = force_first;
        for c in comments {
            self.separate(force, c.start);
            force = false;
            self.push_line(indent, &c.text);
            self.last_end = c.end;
        }
    }

    /// After a construct ending at `end` was printed: its same-line comment.
    fn finish_line(&mut self, end: usize) {
        self.last_end = end;
        if let Some(c) = self.take_trailing(end) {
            if self.out.ends_with('\n') {
                self.out.pop();
            }
            self.out.push(' ');
            self.out.push_str(&c.text);
            self.out.push('\n');
            self.last_end = c.end;
        }
    }

    /// Offset of the next token at or after `from`, skipping spaces and comments.
    fn next_token(&self, from: usize) -> usize {
        let bytes = self.src.as_bytes();
        let mut i = from;
        loop {
            match bytes.get(i) {
                Some(b' ' | b'\t' | b'\r' | b'\n' | b'\x0c') => i += 1,
                Some(b'#') => {
                    while bytes.get(i).is_some_and(|b| *b != b'\n') {
                        i += 1;
                    }
                }
                _ => return i,
            }
        }
    }

    /// The `{`…`}` bodies of a block item, as offsets of the two braces.
    fn bodies(&self, item: &Item) -> Result<Vec<(usize, usize)>, Vec<Diagnostic>> {
        let end = item.span().end as usize;
        let closing = end.saturating_sub(1);
        let bodies = match item {
            Item::Action(a) => {
                let open = self.next_token(doc_end(&a.doc, a.name.span));
                let last = a.fields.last().map_or(open + 1, |f| f.span.end as usize);
                let close = self.next_token(last);
                let mut v = vec![(open, close)];
                if let Some(r) = &a.risk {
                    v.push((
                        r.span.start as usize,
                        (r.span.end as usize).saturating_sub(1),
                    ));
                }
                v
            }
            Item::Namespace(n) => vec![(self.next_token(doc_end(&n.doc, n.name.span)), closing)],
            Item::Tool(t) => vec![(self.next_token(t.action.span.end as usize), closing)],
            Item::Test(t) => vec![(self.next_token(t.name.span.end as usize), closing)],
            _ => Vec::new(),
        };
        let bytes = self.src.as_bytes();
        for &(open, close) in &bodies {
            if bytes.get(open) != Some(&b'{') || bytes.get(close) != Some(&b'}') || open >= close {
                return Err(internal("cannot find the braces of a block"));
            }
        }
        Ok(bodies)
    }

    fn file(&mut self, ast: &Ast) -> Result<(), Vec<Diagnostic>> {
        let mut prev: Option<&Item> = None;
        for item in &ast.items {
            let span = item.span();
            let (start, end) = (span.start as usize, span.end as usize);
            let bodies = self.bodies(item)?;
            let mut lead = self.take(0, start, &[]);
            lead.extend(self.take(start, end, &bodies));
            let force = prev.is_some_and(|p| needs_blank(p, item));
            let force_item = force && lead.is_empty();
            self.comment_lines(lead, 0, force);
            self.separate(force_item, start);
            self.item(item, &bodies)?;
            self.finish_line(end);
            prev = Some(item);
        }
        let rest = self.take(0, usize::MAX, &[]);
        self.comment_lines(rest, 0, false);
        Ok(())
    }

    fn item(&mut self, item: &Item, bodies: &[(usize, usize)]) -> Result<(), Vec<Diagnostic>> {
        let missing = || internal("cannot find the braces of a block");
        match item {
            Item::Policy(p) => {
                let mut s = format!("policy {}", p.name.dotted());
                doc(&mut s, &p.doc);
                self.push_line(0, &s);
            }
            Item::Let(l) => {
                for line in let_lines(l) {
                    self.push_line(0, &line);
                }
            }
            Item::Rule(r) => {
                for line in rule_lines(r) {
                    self.push_line(0, &line);
                }
            }
            Item::Use(u) => self.push_line(0, &use_line(u)),
            Item::Predicate(p) => {
                for line in predicate_lines(p) {
                    self.push_line(0, &line);
                }
            }
            Item::Actions(a) => {
                let patterns: Vec<String> = a.patterns.iter().map(pattern).collect();
                self.push_line(
                    0,
                    &format!("actions {} = {}", a.name.text, patterns.join(" | ")),
                );
            }
            Item::Domain(d) => {
                let mut s = format!("domain {}", d.name.text);
                doc(&mut s, &d.doc);
                self.push_line(0, &s);
            }
            Item::Alias(a) => self.push_line(
                0,
                &format!("alias {} -> {}", a.old.dotted(), a.new.dotted()),
            ),
            Item::Namespace(n) => {
                let &(open, close) = bodies.first().ok_or_else(missing)?;
                let last = self.body(
                    namespace_header(n),
                    open,
                    close,
                    n.fields.iter().map(field_entry).collect(),
                );
                self.push_line(0, &last);
            }
            Item::Tool(t) => {
                let &(open, close) = bodies.first().ok_or_else(missing)?;
                let last = self.body(
                    tool_header(t),
                    open,
                    close,
                    t.fields.iter().map(tool_field_entry).collect(),
                );
                self.push_line(0, &last);
            }
            Item::Test(t) => {
                let &(open, close) = bodies.first().ok_or_else(missing)?;
                let header = format!("test {}", quoted(&t.name.value));
                let last = self.body(
                    header,
                    open,
                    close,
                    t.steps.iter().map(step_entry).collect(),
                );
                self.push_line(0, &last);
            }
            Item::Action(a) => self.action(a, bodies)?,
            Item::Error(_) => return Err(internal("cannot format text that did not parse")),
        }
        Ok(())
    }

    fn action(&mut self, a: &ActionDecl, bodies: &[(usize, usize)]) -> Result<(), Vec<Diagnostic>> {
        let missing = || internal("cannot find the braces of a block");
        let mut header = format!("action {}", a.name.dotted());
        doc(&mut header, &a.doc);
        let &(open, close) = bodies.first().ok_or_else(missing)?;
        let mut line = self.body(
            header,
            open,
            close,
            a.fields.iter().map(field_entry).collect(),
        );
        if let Some(risk) = &a.risk {
            let &(open, close) = bodies.get(1).ok_or_else(missing)?;
            line.push_str(" risk");
            line = self.body(
                line,
                open,
                close,
                risk.entries.iter().map(risk_entry).collect(),
            );
        }
        if !a.compliance.is_empty() {
            let items: Vec<String> = a.compliance.iter().map(|s| quoted(&s.value)).collect();
            let _ = write!(line, " compliance [{}]", items.join(", "));
        }
        self.push_line(0, &line);
        Ok(())
    }

    /// Prints `prefix {`, the entries and the comments inside the braces, and
    /// returns the line still open (`}`), to which the caller may append. An
    /// empty body without comments comes back as `prefix {}`.
    fn body(&mut self, prefix: String, open: usize, close: usize, entries: Vec<Entry>) -> String {
        if entries.is_empty() && !self.any_unused_in(open, close) {
            return format!("{prefix} {{}}");
        }
        self.push_line(0, &format!("{prefix} {{"));
        self.fresh = true;
        self.last_end = open + 1;
        for e in entries {
            let mut lead = self.take(open, e.start, &[]);
            lead.extend(self.take(e.start, e.end, &[]));
            self.comment_lines(lead, 1, false);
            self.separate(false, e.start);
            self.push_line(1, &e.text);
            self.finish_line(e.end);
        }
        let rest = self.take(open, close, &[]);
        self.comment_lines(rest, 1, false);
        "}".to_string()
    }
}

/// Whether two neighbouring items must have a blank line between them.
fn needs_blank(prev: &Item, next: &Item) -> bool {
    let block = |i: &Item| {
        matches!(
            i,
            Item::Action(_) | Item::Namespace(_) | Item::Tool(_) | Item::Test(_)
        )
    };
    std::mem::discriminant(prev) != std::mem::discriminant(next) || block(prev) || block(next)
}

fn doc_end(doc: &Option<StrLit>, name: Span) -> usize {
    doc.as_ref().map_or(name.end, |d| d.span.end) as usize
}

fn doc(out: &mut String, doc: &Option<StrLit>) {
    if let Some(d) = doc {
        out.push(' ');
        quote_into(&d.value, out);
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

// ---------------------------------------------------------------------------
// Items and entries as text.

fn let_lines(l: &LetDecl) -> Vec<String> {
    let one = format!("let {} = {}", l.name.text, expr(&l.value));
    let (open, close, elems) = match &l.value.kind {
        ExprKind::Set(v) => ('{', '}', v),
        ExprKind::List(v) => ('[', ']', v),
        _ => return vec![one],
    };
    if width(&one) <= MAX_WIDTH || elems.is_empty() {
        return vec![one];
    }
    let mut lines = vec![format!("let {} = {open}", l.name.text)];
    lines.extend(elems.iter().map(|e| format!("  {},", expr(e))));
    lines.push(close.to_string());
    lines
}

/// `predicate NAME = a or b`; too long, one operand of the chain a line.
fn predicate_lines(p: &PredicateDecl) -> Vec<String> {
    let one = format!("predicate {} = {}", p.name.text, expr(&p.value));
    let chain = match &p.value.kind {
        ExprKind::And(v) => Some(("and", v)),
        ExprKind::Or(v) => Some(("or", v)),
        _ => None,
    };
    match chain {
        Some((kw, operands)) if width(&one) > MAX_WIDTH => operands
            .iter()
            .enumerate()
            .map(|(i, o)| match i {
                0 => format!("predicate {} = {}", p.name.text, expr(o)),
                _ => format!("    {kw} {}", expr(o)),
            })
            .collect(),
        _ => vec![one],
    }
}

fn use_line(u: &UseDecl) -> String {
    let names: Vec<&str> = u.names.iter().map(|n| n.text.as_str()).collect();
    match names.as_slice() {
        [one] => format!("use {}.{one}", u.policy.dotted()),
        _ => format!("use {}.{{{}}}", u.policy.dotted(), names.join(", ")),
    }
}

fn rule_lines(r: &Rule) -> Vec<String> {
    let patterns: Vec<String> = r.patterns.iter().map(pattern).collect();
    let patterns = patterns.join(" | ");
    let cond = r.cond.as_ref().map(expr);
    let named = match &r.name {
        Some(n) => format!("rule {}: ", n.text),
        None => String::new(),
    };
    let mut when = format!("{named}when {patterns}");
    if let Some(c) = &cond {
        when.push(' ');
        when.push_str(c);
    }
    let mut then = format!("then {}", effect(&r.effect));
    doc(&mut then, &r.reason);
    if !r.overrides.is_empty() {
        let ids: Vec<String> = r.overrides.iter().map(|o| o.id()).collect();
        let _ = write!(then, " overrides {}", ids.join(", "));
    }
    if !r.obligations.is_empty() {
        let obligations: Vec<String> = r.obligations.iter().map(obligation).collect();
        let _ = write!(then, " with {}", obligations.join(", "));
    }
    let one = format!("{when} {then}");
    if width(&one) <= MAX_WIDTH {
        return vec![one];
    }
    let mut lines = Vec::new();
    let chain = match r.cond.as_ref().map(|c| &c.kind) {
        Some(ExprKind::And(v)) => Some(("and", v)),
        Some(ExprKind::Or(v)) => Some(("or", v)),
        _ => None,
    };
    match chain {
        Some((kw, operands)) if cond.as_deref().map_or(0, width) > MAX_WIDTH => {
            let mut first = true;
            for operand in operands {
                if first {
                    lines.push(format!("{named}when {patterns} {}", expr(operand)));
                    first = false;
                } else {
                    lines.push(format!("    {kw} {}", expr(operand)));
                }
            }
        }
        _ => lines.push(when),
    }
    lines.push(format!("  {then}"));
    lines
}

fn pattern(p: &Pattern) -> String {
    match &p.kind {
        PatternKind::Any => "*".to_string(),
        PatternKind::Domain(d) => format!("{}.*", d.text),
        PatternKind::Exact(path) => path.dotted(),
    }
}

fn effect(e: &Effect) -> String {
    match e {
        Effect::Decide(n) => n.text.clone(),
        Effect::Amplify(items) => {
            let items: Vec<String> = items.iter().map(amplify).collect();
            format!("amplify {}", items.join(", "))
        }
    }
}

fn amplify(a: &Amplify) -> String {
    let sign = if a.delta < 0 { '-' } else { '+' };
    format!(
        "{} {sign}{}",
        a.dimension.text,
        grouped(a.delta.unsigned_abs())
    )
}

fn obligation(o: &Obligation) -> String {
    match &o.value {
        Some(v) => format!("{} = {}", o.key.text, expr(v)),
        None => o.key.text.clone(),
    }
}

fn namespace_header(n: &NamespaceDecl) -> String {
    let mut s = format!("namespace {}", n.name.text);
    doc(&mut s, &n.doc);
    s
}

fn tool_header(t: &ToolDecl) -> String {
    let names: Vec<String> = t.names.iter().map(|n| tool_name(&n.value)).collect();
    match &t.when {
        Some(w) => format!(
            "tool {} when {} -> {}",
            names.join(", "),
            expr(w),
            t.action.dotted()
        ),
        None => format!("tool {} -> {}", names.join(", "), t.action.dotted()),
    }
}

fn entry(span: Span, text: String) -> Entry {
    Entry {
        start: span.start as usize,
        end: span.end as usize,
        text,
    }
}

fn field_entry(f: &FieldDecl) -> Entry {
    let mut s = format!("{}: {}", f.name.text, type_expr(&f.ty));
    if f.optional {
        s.push('?');
    }
    if let Some(d) = &f.derive {
        s.push_str(" = ");
        s.push_str(&expr(d));
    }
    doc(&mut s, &f.doc);
    entry(f.span, s)
}

fn type_expr(t: &TypeExpr) -> String {
    match &t.kind {
        TypeExprKind::Named(n) => n.text.clone(),
        TypeExprKind::Generic(n, inner) => format!("{}<{}>", n.text, type_expr(inner)),
        TypeExprKind::Enum(members) if members.is_empty() => "enum {}".to_string(),
        TypeExprKind::Enum(members) => {
            let members: Vec<&str> = members.iter().map(|m| m.text.as_str()).collect();
            format!("enum {{ {} }}", members.join(", "))
        }
    }
}

fn risk_entry(e: &RiskEntry) -> Entry {
    let value = match &e.value {
        RiskValue::Int(n) => int(*n),
        RiskValue::Name(n) => n.text.clone(),
        RiskValue::Names(names) => {
            let names: Vec<&str> = names.iter().map(|n| n.text.as_str()).collect();
            format!("[{}]", names.join(", "))
        }
    };
    entry(e.span, format!("{}: {value}", e.key.text))
}

fn tool_field_entry(f: &ToolField) -> Entry {
    let kw = if f.is_let { "let " } else { "" };
    let value = match &f.value.kind {
        // `_ = [args.timeout: int, …]`: each item beside its shape
        ExprKind::List(items) if !f.types.is_empty() => {
            let items: Vec<String> = items
                .iter()
                .zip(&f.types)
                .map(|(e, t)| format!("{}: {}", expr(e), type_expr(t)))
                .collect();
            format!("[{}]", items.join(", "))
        }
        _ => expr(&f.value),
    };
    entry(f.span, format!("{kw}{} = {value}", f.name.text))
}

fn step_entry(s: &TestStep) -> Entry {
    let mut text = match &s.subject {
        TestSubject::Action(p) => p.dotted(),
        TestSubject::Tool(t) => format!("tool {}", tool_name(&t.value)),
    };
    text.push(' ');
    text.push_str(&object(&s.args));
    for (name, obj) in &s.sections {
        let _ = write!(text, " {} {}", name.text, object(obj));
    }
    let _ = write!(text, " => {}", s.expect.text);
    doc(&mut text, &s.reason);
    entry(s.span, text)
}

fn object(o: &Object) -> String {
    if o.entries.is_empty() {
        return "{}".to_string();
    }
    let entries: Vec<String> = o
        .entries
        .iter()
        .map(|(k, v)| format!("{}: {}", key(k), expr(v)))
        .collect();
    format!("{{ {} }}", entries.join(", "))
}

// ---------------------------------------------------------------------------
// Names and literals.

fn ident_shaped(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// An object key or a path's member: bare when the grammar reads it as a
/// name, quoted otherwise (`-n` → `"-n"`, `when` → `"when"`).
pub fn member(t: &str) -> std::borrow::Cow<'_, str> {
    if is_word_text(t) {
        std::borrow::Cow::Borrowed(t)
    } else {
        std::borrow::Cow::Owned(quoted(t))
    }
}

fn key(n: &Name) -> String {
    member(&n.text).into_owned()
}

/// A tool name: bare when it is an identifier, quoted otherwise.
fn tool_name(t: &str) -> String {
    if ident_shaped(t) && !KEYWORDS.contains(&t) {
        t.to_string()
    } else {
        quoted(t)
    }
}

/// `n` with `_` thousands separators from 10_000 on.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    if n < 10_000 {
        return digits;
    }
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    let mut before_separator = match len % 3 {
        0 => 3,
        r => r,
    };
    for c in digits.chars() {
        if before_separator == 0 {
            out.push('_');
            before_separator = 3;
        }
        out.push(c);
        before_separator -= 1;
    }
    out
}

fn int(n: i64) -> String {
    if n < 0 {
        format!("-{}", grouped(n.unsigned_abs()))
    } else {
        grouped(n.unsigned_abs())
    }
}

/// Milliseconds as `24h`, `7d`, `90m`, `1500ms`: the largest unit that divides
/// exactly, with days and weeks only from two of them on.
fn duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    for &(unit, len) in DURATION_UNITS.iter().rev() {
        if len <= 0 || ms % len != 0 {
            continue;
        }
        let count = ms / len;
        if matches!(unit, "d" | "w") && count < 2 {
            continue;
        }
        return format!("{}{unit}", int(count));
    }
    format!("{}ms", int(ms))
}

/// Characters printed as `\u{…}` although they are not control characters:
/// the invisible ones the text matcher folds away
/// ([`permit0_types::text::is_invisible`], so a reader sees every character
/// that matching ignores), and the line and paragraph separators, which
/// would break the line.
fn escaped(c: char) -> bool {
    c.is_control() || permit0_types::text::is_invisible(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

fn quote_into(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if escaped(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote_into(s, &mut out);
    out
}

// ---------------------------------------------------------------------------
// Expressions, always on one line.

/// An expression on one line, as the formatter writes it (the taxonomy
/// docs show derivations this way).
pub fn expr(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(e, &mut out);
    out
}

/// An expression as the formatter prints it, for messages and listings.
pub fn expr_text(e: &Expr) -> String {
    expr(e)
}

fn write_list(items: &[Expr], sep: &str, out: &mut String) {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        write_expr(e, out);
    }
}

fn write_expr(e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Int(n) => out.push_str(&int(*n)),
        ExprKind::Duration(ms) => out.push_str(&duration(*ms)),
        ExprKind::Time(t) => out.push_str(t),
        ExprKind::Str(s) => quote_into(s, out),
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Path(p) => out.push_str(&p.dotted()),
        ExprKind::Wildcard(p) => {
            out.push_str(&p.dotted());
            out.push_str(".*");
        }
        ExprKind::Call { func, args } => {
            out.push_str(&func.dotted());
            out.push('(');
            write_list(args, ", ", out);
            out.push(')');
        }
        ExprKind::Alt(items) => write_list(items, " | ", out),
        ExprKind::Where { target, cond } => {
            write_expr(target, out);
            out.push_str(" where ");
            write_expr(cond, out);
        }
        ExprKind::By { target, field } => {
            write_expr(target, out);
            out.push_str(" by ");
            out.push_str(&field.text);
        }
        ExprKind::Set(items) => {
            out.push('{');
            write_list(items, ", ", out);
            out.push('}');
        }
        ExprKind::List(items) => {
            out.push('[');
            write_list(items, ", ", out);
            out.push(']');
        }
        ExprKind::Object(entries) => {
            out.push_str("{ ");
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&key(k));
                out.push_str(": ");
                write_expr(v, out);
            }
            out.push_str(" }");
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write_expr(inner, out);
            out.push(')');
        }
        ExprKind::Not(inner) => {
            // A chain of `not`s has no nesting limit in the grammar: walk it
            // without recursing.
            out.push_str("not ");
            let mut cur: &Expr = inner;
            while let ExprKind::Not(next) = &cur.kind {
                out.push_str("not ");
                cur = next;
            }
            write_expr(cur, out);
        }
        ExprKind::And(items) => write_list(items, " and ", out),
        ExprKind::Or(items) => write_list(items, " or ", out),
        ExprKind::Binary { op, lhs, rhs, .. } => {
            write_expr(lhs, out);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write_expr(rhs, out);
        }
        ExprKind::Has(p) => {
            out.push_str("has ");
            out.push_str(&p.dotted());
        }
        ExprKind::Default { value, default } => {
            write_expr(value, out);
            out.push_str(" ?? ");
            write_expr(default, out);
        }
        // Never produced by the parser; the safety net rejects the result.
        ExprKind::Error => out.push_str("<error>"),
    }
}

// ---------------------------------------------------------------------------
// Span erasure, to compare trees by meaning.

/// Sets every span in the tree to `Span::default()`, so two parses of
/// differently laid-out text compare equal exactly when they mean the same.
pub fn erase_spans(ast: &mut Ast) {
    for item in &mut ast.items {
        erase_item(item);
    }
}

const NO_SPAN: Span = Span {
    file: FileId(0),
    start: 0,
    end: 0,
};

fn erase_name(n: &mut Name) {
    n.span = NO_SPAN;
}

fn erase_path(p: &mut Path) {
    p.span = NO_SPAN;
    p.segments.iter_mut().for_each(erase_name);
}

fn erase_str(s: &mut StrLit) {
    s.span = NO_SPAN;
}

fn erase_type(t: &mut TypeExpr) {
    let mut ty = Some(t);
    while let Some(t) = ty.take() {
        t.span = NO_SPAN;
        match &mut t.kind {
            TypeExprKind::Named(n) => erase_name(n),
            TypeExprKind::Generic(n, inner) => {
                erase_name(n);
                ty = Some(inner);
            }
            TypeExprKind::Enum(members) => members.iter_mut().for_each(erase_name),
        }
    }
}

fn erase_fields(fields: &mut [FieldDecl]) {
    for f in fields {
        f.span = NO_SPAN;
        erase_name(&mut f.name);
        f.doc.iter_mut().for_each(erase_str);
        f.derive.iter_mut().for_each(erase_expr);
        erase_type(&mut f.ty);
    }
}

fn erase_object(o: &mut Object) {
    o.span = NO_SPAN;
    for (k, v) in &mut o.entries {
        erase_name(k);
        erase_expr(v);
    }
}

fn erase_item(item: &mut Item) {
    match item {
        Item::Policy(p) => {
            p.span = NO_SPAN;
            erase_path(&mut p.name);
            p.doc.iter_mut().for_each(erase_str);
        }
        Item::Let(l) => {
            l.span = NO_SPAN;
            erase_name(&mut l.name);
            erase_expr(&mut l.value);
        }
        Item::Predicate(p) => {
            p.span = NO_SPAN;
            erase_name(&mut p.name);
            erase_expr(&mut p.value);
        }
        Item::Use(u) => {
            u.span = NO_SPAN;
            erase_path(&mut u.policy);
            u.names.iter_mut().for_each(erase_name);
        }
        Item::Actions(a) => {
            a.span = NO_SPAN;
            erase_name(&mut a.name);
            for p in &mut a.patterns {
                p.span = NO_SPAN;
                match &mut p.kind {
                    PatternKind::Any => {}
                    PatternKind::Domain(d) => erase_name(d),
                    PatternKind::Exact(path) => erase_path(path),
                }
            }
        }
        Item::Rule(r) => {
            r.span = NO_SPAN;
            r.name.iter_mut().for_each(erase_name);
            for p in &mut r.patterns {
                p.span = NO_SPAN;
                match &mut p.kind {
                    PatternKind::Any => {}
                    PatternKind::Domain(d) => erase_name(d),
                    PatternKind::Exact(path) => erase_path(path),
                }
            }
            r.cond.iter_mut().for_each(erase_expr);
            match &mut r.effect {
                Effect::Decide(n) => erase_name(n),
                Effect::Amplify(items) => {
                    for a in items {
                        a.span = NO_SPAN;
                        erase_name(&mut a.dimension);
                    }
                }
            }
            r.reason.iter_mut().for_each(erase_str);
            for o in &mut r.overrides {
                o.span = NO_SPAN;
                erase_path(&mut o.path);
            }
            for o in &mut r.obligations {
                o.span = NO_SPAN;
                erase_name(&mut o.key);
                o.value.iter_mut().for_each(erase_expr);
            }
        }
        Item::Tool(t) => {
            t.span = NO_SPAN;
            t.names.iter_mut().for_each(erase_str);
            t.when.iter_mut().for_each(erase_expr);
            erase_path(&mut t.action);
            for f in &mut t.fields {
                f.span = NO_SPAN;
                erase_name(&mut f.name);
                erase_expr(&mut f.value);
                f.types.iter_mut().for_each(erase_type);
            }
        }
        Item::Test(t) => {
            t.span = NO_SPAN;
            erase_str(&mut t.name);
            for s in &mut t.steps {
                s.span = NO_SPAN;
                match &mut s.subject {
                    TestSubject::Action(p) => erase_path(p),
                    TestSubject::Tool(n) => erase_str(n),
                }
                erase_object(&mut s.args);
                for (n, o) in &mut s.sections {
                    erase_name(n);
                    erase_object(o);
                }
                erase_name(&mut s.expect);
                s.reason.iter_mut().for_each(erase_str);
            }
        }
        Item::Action(a) => {
            a.span = NO_SPAN;
            erase_path(&mut a.name);
            a.doc.iter_mut().for_each(erase_str);
            erase_fields(&mut a.fields);
            if let Some(r) = &mut a.risk {
                r.span = NO_SPAN;
                for e in &mut r.entries {
                    e.span = NO_SPAN;
                    erase_name(&mut e.key);
                    match &mut e.value {
                        RiskValue::Int(_) => {}
                        RiskValue::Name(n) => erase_name(n),
                        RiskValue::Names(names) => names.iter_mut().for_each(erase_name),
                    }
                }
            }
            a.compliance.iter_mut().for_each(erase_str);
        }
        Item::Domain(d) => {
            d.span = NO_SPAN;
            erase_name(&mut d.name);
            d.doc.iter_mut().for_each(erase_str);
        }
        Item::Alias(a) => {
            a.span = NO_SPAN;
            erase_path(&mut a.old);
            erase_path(&mut a.new);
        }
        Item::Namespace(n) => {
            n.span = NO_SPAN;
            erase_name(&mut n.name);
            n.doc.iter_mut().for_each(erase_str);
            erase_fields(&mut n.fields);
        }
        Item::Error(s) => *s = NO_SPAN,
    }
}

/// Walks the expression with an explicit stack: `not` chains can be deep.
fn erase_expr(root: &mut Expr) {
    let mut stack: Vec<&mut Expr> = vec![root];
    while let Some(e) = stack.pop() {
        e.span = NO_SPAN;
        match &mut e.kind {
            ExprKind::Int(_)
            | ExprKind::Duration(_)
            | ExprKind::Time(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Error => {}
            ExprKind::Path(p) | ExprKind::Wildcard(p) | ExprKind::Has(p) => erase_path(p),
            ExprKind::Default { value, default } => {
                stack.push(value);
                stack.push(default);
            }
            ExprKind::Call { func, args } => {
                erase_path(func);
                stack.extend(args.iter_mut());
            }
            ExprKind::Object(entries) => {
                for (k, v) in entries.iter_mut() {
                    erase_name(k);
                    stack.push(v);
                }
            }
            ExprKind::Set(items)
            | ExprKind::List(items)
            | ExprKind::Alt(items)
            | ExprKind::And(items)
            | ExprKind::Or(items) => {
                stack.extend(items.iter_mut());
            }
            ExprKind::Paren(inner) | ExprKind::Not(inner) => stack.push(inner),
            ExprKind::Where { target, cond } => {
                stack.push(target);
                stack.push(cond);
            }
            ExprKind::By { target, field } => {
                field.span = NO_SPAN;
                stack.push(target);
            }
            ExprKind::Binary {
                op_span, lhs, rhs, ..
            } => {
                *op_span = NO_SPAN;
                stack.push(lhs);
                stack.push(rhs);
            }
        }
    }
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

    /// A policy author must see every character the matcher ignores: a
    /// string the formatter prints with a raw zero-width space would read
    /// `"prod"` and match `"pr\u{200b}od"` too. Over every character:
    /// whatever `fold` removes, the formatter escapes; and whatever the
    /// formatter escapes is folded away, a control character, or a line
    /// separator.
    #[test]
    fn the_formatter_shows_exactly_what_the_matcher_folds_away() {
        let mut folded = 0;
        for c in (0..=0x10_FFFFu32).filter_map(char::from_u32) {
            let s = c.to_string();
            let removed = permit0_vm::value::fold(&s).is_empty();
            let shown = quoted(&s).starts_with("\"\\");
            if removed {
                folded += 1;
                assert!(shown, "U+{:04X} is folded away but printed raw", c as u32);
            }
            if shown && !removed {
                assert!(
                    c.is_control() || matches!(c, '"' | '\\' | '\u{2028}' | '\u{2029}'),
                    "U+{:04X} is escaped but matched as itself",
                    c as u32
                );
            }
        }
        assert!(folded > 4000, "{folded}");
        let src = "when * context.env == \"pr\u{200b}o\u{202e}d\u{fe0f}\" then deny\n";
        assert_eq!(
            format_source(src).unwrap(),
            "when * context.env == \"pr\\u{200b}o\\u{202e}d\\u{fe0f}\" then deny\n"
        );
    }

    #[test]
    fn literals_print_canonically() {
        assert_eq!(grouped(9_999), "9999");
        assert_eq!(grouped(10_000), "10_000");
        assert_eq!(grouped(250_000), "250_000");
        assert_eq!(grouped(1_234_567), "1_234_567");
        assert_eq!(int(-12_345), "-12_345");
        assert_eq!(duration(86_400_000), "24h");
        assert_eq!(duration(172_800_000), "2d");
        assert_eq!(duration(604_800_000), "7d");
        assert_eq!(duration(1_209_600_000), "2w");
        assert_eq!(duration(5_400_000), "90m");
        assert_eq!(duration(1_500), "1500ms");
        assert_eq!(duration(0), "0s");
        assert_eq!(
            quoted("a\"b\\c\n\u{1b}\u{202e}"),
            r#""a\"b\\c\n\u{1b}\u{202e}""#
        );
    }

    #[test]
    fn comments_skip_strings() {
        let c = comments("let a = \"x # y \\\" # z\" # real \n# two\r\n");
        let texts: Vec<&str> = c.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, vec!["# real", "# two"]);
    }
}

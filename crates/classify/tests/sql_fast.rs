//! The SQL fast path against the full reading. The fast path is a second
//! parser in front of the gate: wherever it answers, its answer must be the
//! full reading's, field for field, under every engine's reading (each of
//! the six grammars alone, and all four when the engine is unknown) — or a
//! statement could be a read to the fast path and a DROP to the database.
//!
//! Three sources of statements: random statements from a generator of the
//! common shapes, biased to the edges of the fast grammar (keywords as
//! names, quotes and comments of every engine, side-effect functions,
//! tautologies, odd numbers, a `;` in the middle); random token soup from
//! the same vocabulary; and every string in the SQL corpora of this
//! repository (the adversarial and everyday calls of
//! `tests/classify_sql_url.rs`, the classifier's own tests, the stdlib's SQL
//! tests). The generator must also be answered by the fast path often, or
//! the comparison would prove nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use permit0_classify::sql::{self, Engine};
use proptest::prelude::*;

const ENGINES: &[Option<Engine>] = &[
    None,
    Some(Engine::Postgres),
    Some(Engine::MySql),
    Some(Engine::Sqlite),
    Some(Engine::MsSql),
    Some(Engine::BigQuery),
    Some(Engine::Snowflake),
];

/// Compares the fast path with the full reading of `s` under every
/// engine; returns whether the fast path answered for any.
fn agree(s: &str) -> bool {
    let mut answered = false;
    for e in ENGINES {
        if let Some(fast) = sql::fast::analyze(s, *e) {
            answered = true;
            let full = sql::analyze_full(s, *e);
            assert_eq!(
                fast, full,
                "fast path and full reading differ for {e:?}: {s:?}"
            );
        }
    }
    answered
}

#[test]
fn the_fast_path_answers_typical_statements_as_the_full_reading() {
    // A request, the answer wanted from the fast path, and why it may give
    // one: these are the shapes agents send every day.
    for s in [
        "SELECT * FROM users WHERE id = 1",
        "SELECT id, email FROM customers WHERE created_at > '2024-01-01' ORDER BY created_at DESC LIMIT 50",
        "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.total > 100",
        "UPDATE users SET name = 'Ann' WHERE id = 7",
        "DELETE FROM sessions WHERE expires_at < now()",
        "INSERT INTO audit (msg) VALUES ('hello')",
        "SELECT count(*) FROM orders WHERE status = 'shipped'",
        "select name, status from public.users where id in (1, 2, 3) limit 10;",
        "DELETE FROM users",
        "DELETE FROM users WHERE id = id",
        "DELETE FROM users WHERE email LIKE '%'",
        "DELETE FROM users WHERE email IS NULL OR email IS NOT NULL",
        "UPDATE t SET a = 1 WHERE b = 2 OR c = c",
    ] {
        assert!(agree(s), "the fast path declined {s:?}");
    }
    let a = sql::fast::analyze("DELETE FROM users WHERE id = id", None).unwrap();
    assert_eq!(
        a.class,
        sql::Class::Destructive,
        "a column equal to itself is every row"
    );
    let a = sql::fast::analyze("UPDATE users SET name = 'Ann' WHERE id = 7", None).unwrap();
    assert_eq!((a.class, a.has_where), (sql::Class::Write, true));
}

#[test]
fn the_fast_path_declines_what_engines_read_differently() {
    // Each of these means something else to some engine, or needs folding:
    // the full reading decides.
    for s in [
        "SELECT 'a\\'; DROP TABLE users; -- '",
        "SELECT 1 /*!50000 ; DROP TABLE users */",
        "SELECT $$; DROP TABLE users; $$",
        "SELECT 1 # 2; DROP TABLE users",
        "SELECT \"delete\" FROM t",
        "SELECT `a` FROM t",
        "SELECT * FROM t; DELETE FROM users",
        "SELECT * FROM t DELETE FROM users",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT * FROM dblink('x', 'DELETE FROM t') AS t(a int)",
        "DELETE FROM users WHERE 1=1",
        "DELETE FROM users WHERE 'a' = 'a'",
        "DELETE FROM users WHERE NOT 0",
        "DELETE FROM users WHERE 0x1",
        "SELECT * FROM mysql.user",
        "SELECT * FROM pg_shadow",
        "SELECT N'x'",
        "SELECT E'\\x27'",
        "SELECT 'it''s'",
        "SELECT a || b FROM t",
        "SELECT 1e5",
        "WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d",
        "SELECT * INTO OUTFILE '/tmp/x' FROM users",
        "DELETE FROM t WHERE id = ID",
    ] {
        for e in ENGINES {
            assert!(
                sql::fast::analyze(s, *e).is_none(),
                "the fast path answered {s:?} ({e:?})"
            );
        }
        agree(s);
    }
}

/// Words some engine gives a meaning to (batch separators, clauses of one
/// dialect, pseudo-columns), in every place the fast grammar takes a name.
#[test]
fn words_of_one_dialect_agree_in_every_name_position() {
    for w in [
        "GO",
        "go",
        "TOP",
        "OUTPUT",
        "QUALIFY",
        "SAMPLE",
        "TABLESAMPLE",
        "PIVOT",
        "UNPIVOT",
        "STRAIGHT_JOIN",
        "USE",
        "WINDOW",
        "LATERAL",
        "APPLY",
        "CONNECT",
        "START",
        "PRIOR",
        "ROWNUM",
        "ROWID",
        "OID",
        "CTID",
        "SYSDATE",
        "CURRENT_USER",
        "SESSION_USER",
        "USER",
        "LOCALTIME",
        "NOW",
        "DUAL",
        "SQL_CALC_FOUND_ROWS",
        "HIGH_PRIORITY",
        "IGNORE",
        "DELAYED",
        "LOW_PRIORITY",
        "QUICK",
        "PARTITION",
        "FINAL",
        "SETTINGS",
        "FORMAT",
        "PREWHERE",
        "ARRAY",
        "MAP",
        "STRUCT",
        "EXCLUDE",
        "REPLACE",
        "RENAME",
        "ILIKE",
        "GLOB",
        "MATCH",
        "REGEXP",
        "RLIKE",
        "SOUNDS",
        "MEMBER",
        "OVERLAPS",
        "COLLATE",
        "ESCAPE",
        "NOTNULL",
        "ISNULL",
        "OUTFILE",
        "DUMPFILE",
        "INFILE",
        "LOCK",
        "NOWAIT",
        "SKIP",
        "OFFSET",
        "FETCH",
        "LIMIT",
        "UNION",
    ] {
        for s in [
            format!("SELECT a FROM t {w}"),
            format!("SELECT a {w} FROM t"),
            format!("SELECT {w} FROM t"),
            format!("SELECT a FROM {w}"),
            format!("SELECT a FROM t WHERE a = 1 {w}"),
            format!("SELECT a FROM t x {w} WHERE b = 2"),
            format!("DELETE FROM t WHERE {w} = 1"),
            format!("DELETE FROM t WHERE a = 1 {w}"),
            format!("UPDATE t SET {w} = 1 WHERE id = 2"),
            format!("INSERT INTO t ({w}) VALUES (1)"),
            format!("SELECT a FROM t JOIN u {w} ON u.a = t.a"),
        ] {
            agree(&s);
        }
    }
    // Control bytes in a string are left to the full reading.
    assert!(sql::fast::analyze("SELECT 'a\u{0}b' FROM t", None).is_none());
}

/// Every string literal of a Rust or policy source file.
fn string_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '"' {
            let mut s = String::new();
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' && i + 1 < b.len() {
                    i += 1;
                    s.push(match b[i] {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '0' => '\0',
                        c => c,
                    });
                } else {
                    s.push(b[i]);
                }
                i += 1;
            }
            out.push(s);
        }
        i += 1;
    }
    out
}

#[test]
fn the_fast_path_agrees_on_every_sql_corpus() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let mut answered = 0;
    let mut total = 0;
    for file in [
        "tests/classify_sql_url.rs",
        "tests/fail_safe.rs",
        "tests/stdlib.rs",
        "crates/classify/src/sql.rs",
        "crates/classify/src/lib.rs",
        "stdlib/tools/sql.p0",
        "stdlib/db.p0",
        "benches/classify.rs",
        "benches/raw_calls/sql_query.jsonl",
    ] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        for s in string_literals(&text) {
            total += 1;
            if agree(&s) {
                answered += 1;
            }
        }
    }
    assert!(total > 300, "{total}");
    eprintln!("the fast path answered {answered} of {total} corpus strings");
    assert!(
        answered > 40,
        "the fast path answered only {answered} of {total}"
    );
}

/// Fragments of the common shapes, and of what lies just outside them.
fn name(w: u32) -> impl Strategy<Value = String> {
    prop_oneof![
        20 => prop::sample::select(vec!["id", "a", "b", "users", "t", "email", "created_at", "x1", "orders"]).prop_map(String::from),
        2 => prop::sample::select(vec!["name", "status", "ID", "Name", "data", "value", "type", "level", "text", "owner", "source", "audit", "public"]).prop_map(String::from),
        w => prop::sample::select(vec![
            "name", "status", "ID", "Name", "data", "value", "type", "level", "text", "owner", "source", "audit",
            "user", "date", "key", "time", "role", "comment", "limit", "order", "from", "where", "select",
            "offset", "join", "on", "left", "outer", "inner", "as", "is", "null", "true", "false", "not",
            "and", "or", "like", "in", "between", "values", "set", "top", "union", "returning", "_x", "A",
            "pg_shadow", "pg_authid", "mysql", "outfile", "infile", "dumpfile", "current_user", "sample",
            "window", "qualify", "straight_join", "natural", "using", "full", "cross", "apply", "go", "delete",
            "drop", "truncate", "exec", "sleep", "glob", "regexp", "rlike", "ilike", "escape", "collate", "div",
            "interval", "array", "struct", "row", "cast", "case", "exists", "default", "all", "any", "some",
            "distinct", "having", "group", "by", "asc", "desc", "nulls", "first", "last", "fetch", "for",
            "update", "into", "insert", "lock", "share", "with", "recursive", "over", "partition",
        ]).prop_map(String::from),
    ]
}

fn literal(w: u32) -> impl Strategy<Value = String> {
    prop_oneof![
        16 => prop::sample::select(vec!["1", "0", "7", "10", "1.5", "-1", "'x'", "'%'", "'%%'", "''", "'1abc'", "'a'", "NULL", "TRUE", "false", "'2024-01-01'"]).prop_map(String::from),
        w => prop::sample::select(vec![
            "0x1", "1e5", ".5", "1.", "1_0", "'a''b'", "'a\\'b'", "\"s\"", "`s`", "[s]", "$$s$$", "$1", "?", ":p", "@v",
            "N'x'", "E'x'", "X'01'", "B'01'", "_utf8'x'", "'''x'''", "'a' 'b'", "'--'", "'/*'", "'\u{e9}'", "1abc",
            "'x'::int", "CAST(1 AS int)", "DATE '2024-01-01'", "INTERVAL '1' DAY", "-'1'", "- 1", "+1",
        ]).prop_map(String::from),
    ]
}

fn func(w: u32) -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(vec!["count", "COUNT", "sum", "avg", "min", "max", "lower", "upper", "length", "coalesce", "now", "abs", "round"]).prop_map(String::from),
        w => prop::sample::select(vec![
            "pg_read_file", "dblink", "sleep", "pg_sleep", "load_extension", "nextval", "set_config", "lo_export",
            "current_date", "extract", "substring", "trim", "position", "left", "right", "replace", "if", "iif",
            "date", "time", "user", "char", "values", "exists", "not", "cast", "convert", "xp_cmdshell", "benchmark",
        ]).prop_map(String::from),
    ]
}

fn column(w: u32) -> impl Strategy<Value = String> {
    prop_oneof![
        5 => name(w),
        2 => (name(w), name(w)).prop_map(|(a, b)| format!("{a}.{b}")),
        1 => (name(w), name(w), name(w)).prop_map(|(a, b, c)| format!("{a}.{b}.{c}")),
    ]
}

fn operand(w: u32) -> BoxedStrategy<String> {
    prop_oneof![
        4 => column(w),
        3 => literal(w),
        1 => (func(w), prop::collection::vec(prop_oneof![column(w), literal(w), Just("*".to_string())], 0..3))
            .prop_map(|(f, a)| format!("{f}({})", a.join(", "))),
    ]
    .boxed()
}

fn expr(w: u32) -> BoxedStrategy<String> {
    prop_oneof![
        4 => operand(w),
        1 => (operand(w), prop::sample::select(vec!["+", "-", "*", "/", "%", "||", "&", "|", "^", "<<", "::"]), operand(w))
            .prop_map(|(a, o, b)| format!("{a} {o} {b}")),
    ]
    .boxed()
}

fn cmp(w: u32) -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(vec!["=", "=", "<>", "!=", "<", ">", "<=", ">="]),
        w => prop::sample::select(vec!["<=>", "==", "!<", "=-", "IS", "IS NOT", "LIKE", "NOT LIKE", "ILIKE", "REGEXP", "GLOB"]),
    ]
    .prop_map(String::from)
}

fn pred(w: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        6 => (operand(w), cmp(w), operand(w)).prop_map(|(a, o, b)| format!("{a} {o} {b}")),
        // The same expression on both sides: a tautology for `=`, `<=`, `>=`.
        3 => (operand(w), cmp(w)).prop_map(|(a, o)| format!("{a} {o} {a}")),
        2 => (operand(w), prop::bool::ANY).prop_map(|(a, n)| format!("{a} IS {}NULL", if n { "NOT " } else { "" })),
        2 => column(w).prop_map(|a| format!("{a} IS NULL OR {a} IS NOT NULL")),
        2 => (operand(w), prop::bool::ANY, prop::collection::vec(literal(w), 1..4))
            .prop_map(|(a, n, l)| format!("{a} {}IN ({})", if n { "NOT " } else { "" }, l.join(", "))),
        2 => (operand(w), prop::bool::ANY, prop::sample::select(vec!["'%'", "'%%'", "'a%'", "''", "'_'", "'%' ESCAPE '!'"]))
            .prop_map(|(a, n, p)| format!("{a} {}LIKE {p}", if n { "NOT " } else { "" })),
        1 => (operand(w), operand(w), operand(w)).prop_map(|(a, b, c)| format!("{a} BETWEEN {b} AND {c}")),
        1 => prop_oneof![operand(w), operand(w).prop_map(|a| format!("NOT {a}"))],
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec![
                    "AND", "OR", "and", "or", "AND", "OR", "Or", "aNd", "XOR", "&&"
                ]),
                inner.clone()
            )
                .prop_map(|(a, c, b)| format!("{a} {c} {b}")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
    .boxed()
}

fn table(w: u32) -> impl Strategy<Value = String> {
    (
        column(w),
        prop::option::of(prop_oneof![
            name(w),
            name(w).prop_map(|n| format!("AS {n}"))
        ]),
    )
        .prop_map(|(t, a)| match a {
            Some(a) => format!("{t} {a}"),
            None => t,
        })
}

fn select(w: u32) -> impl Strategy<Value = String> {
    (
        prop::bool::weighted(0.1),
        prop::collection::vec(
            prop_oneof![
                6 => expr(w),
                1 => Just("*".to_string()),
                1 => name(w).prop_map(|n| format!("{n}.*")),
                1 => (expr(w), name(w)).prop_map(|(e, n)| format!("{e} {n}")),
                1 => (expr(w), name(w)).prop_map(|(e, n)| format!("{e} AS {n}")),
            ],
            1..4,
        ),
        prop::option::weighted(
            0.9,
            (
                prop::collection::vec(table(w), 1..3),
                prop::collection::vec(
                    (
                        prop::sample::select(vec![
                            "JOIN",
                            "INNER JOIN",
                            "LEFT JOIN",
                            "LEFT OUTER JOIN",
                            "JOIN",
                            "LEFT JOIN",
                            "CROSS JOIN",
                            "NATURAL JOIN",
                        ]),
                        table(w),
                        pred(w),
                    ),
                    0..2,
                ),
                prop::option::weighted(0.7, pred(w)),
                prop::option::weighted(0.2, prop::collection::vec(expr(w), 1..3)),
                prop::option::weighted(
                    0.3,
                    (
                        prop::collection::vec(expr(w), 1..3),
                        prop::sample::select(vec!["", " ASC", " DESC", " desc", " NULLS LAST"]),
                    ),
                ),
                prop::option::weighted(0.3, (literal(w), prop::option::of(literal(w)))),
            ),
        ),
    )
        .prop_map(|(distinct, items, from)| {
            let mut s = format!(
                "SELECT {}{}",
                if distinct { "DISTINCT " } else { "" },
                items.join(", ")
            );
            if let Some((tables, joins, wh, group, order, limit)) = from {
                s += &format!(" FROM {}", tables.join(", "));
                for (j, t, on) in joins {
                    s += &format!(" {j} {t} ON {on}");
                }
                if let Some(w) = wh {
                    s += &format!(" WHERE {w}");
                }
                if let Some(g) = group {
                    s += &format!(" GROUP BY {}", g.join(", "));
                }
                if let Some((o, dir)) = order {
                    s += &format!(" ORDER BY {}{dir}", o.join(", "));
                }
                if let Some((l, off)) = limit {
                    s += &format!(" LIMIT {l}");
                    if let Some(off) = off {
                        s += &format!(" OFFSET {off}");
                    }
                }
            }
            s
        })
}

fn write(w: u32) -> impl Strategy<Value = String> {
    prop_oneof![
        (
            column(w),
            prop::option::of(prop::collection::vec(name(w), 1..3)),
            prop::collection::vec(prop::collection::vec(expr(w), 1..3), 1..3)
        )
            .prop_map(|(t, cols, rows)| {
                let cols = cols
                    .map(|c| format!(" ({})", c.join(", ")))
                    .unwrap_or_default();
                let rows: Vec<String> =
                    rows.iter().map(|r| format!("({})", r.join(", "))).collect();
                format!("INSERT INTO {t}{cols} VALUES {}", rows.join(", "))
            }),
        (
            column(w),
            prop::collection::vec((name(w), expr(w)), 1..3),
            prop::option::weighted(0.8, pred(w))
        )
            .prop_map(|(t, sets, w)| {
                let sets: Vec<String> = sets.iter().map(|(c, e)| format!("{c} = {e}")).collect();
                let w = w.map(|w| format!(" WHERE {w}")).unwrap_or_default();
                format!("UPDATE {t} SET {}{w}", sets.join(", "))
            }),
        (column(w), prop::option::weighted(0.8, pred(w))).prop_map(|(t, w)| format!(
            "DELETE FROM {t}{}",
            w.map(|w| format!(" WHERE {w}")).unwrap_or_default()
        )),
    ]
}

/// A statement, sometimes with an edge added: a case change, a comment, a
/// second statement, a trailing `;`, odd whitespace, a prefix.
fn statement(w: u32) -> impl Strategy<Value = String> {
    (
        prop_oneof![3 => select(w), 2 => write(w)],
        prop::sample::select(vec![
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            ";",
            " ;  ",
            ";;",
            "; DROP TABLE users",
            " DROP TABLE users",
            " -- x",
            " /* x */",
            " # x",
            "/*! DROP TABLE t */",
            "\n",
            "\u{a0}",
            "\u{c}",
            ";\n",
            " RETURNING *",
            " ON CONFLICT DO NOTHING",
            " FOR UPDATE",
            " UNION SELECT 1",
            " INTO OUTFILE '/tmp/x'",
            " GO",
            " LIMIT 1, 2",
        ]),
        prop::sample::select(vec![
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            " ",
            "\n\t",
            "EXPLAIN ",
            "/* c */ ",
            "-- c\n",
            "WITH x AS (SELECT 1) ",
        ]),
        prop::bool::weighted(0.2),
    )
        .prop_map(move |(s, tail, head, lower)| {
            let s = if lower { s.to_lowercase() } else { s };
            let (head, tail) = if w == 0 { ("", "") } else { (head, tail) };
            format!("{head}{s}{tail}")
        })
}

fn soup(w: u32) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            name(w),
            literal(w),
            cmp(w),
            func(w).prop_map(|f| format!("{f}(")),
            prop::sample::select(vec![
                "SELECT",
                "FROM",
                "WHERE",
                "DELETE",
                "UPDATE",
                "SET",
                "INSERT INTO",
                "VALUES",
                "(",
                ")",
                ",",
                ".",
                "*",
                ";",
                "--",
                "/*",
                "*/",
                "#",
                "$",
                "'",
                "\"",
                "`",
                "AND",
                "OR",
                "=",
                "\\",
                "\n",
                "LIMIT",
            ])
            .prop_map(String::from),
        ],
        1..14,
    )
    .prop_flat_map(|parts| {
        let n = parts.len();
        (
            Just(parts),
            prop::collection::vec(prop::sample::select(vec!["", " ", " ", "\n"]), n),
        )
    })
    .prop_map(|(parts, seps)| {
        parts
            .iter()
            .zip(seps)
            .map(|(p, s)| format!("{p}{s}"))
            .collect::<String>()
    })
}

/// `PROPTEST_CASES` when set (a longer run), else 4000.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(4000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_statements_agree(s in statement(1)) {
        agree(&s);
    }

    /// Edges rare: deep into the fast grammar (keywords as names, nesting,
    /// tautology shapes), where a wrong answer would hide.
    #[test]
    fn random_common_statements_agree(s in statement(0)) {
        agree(&s);
    }

    #[test]
    fn random_soup_agrees(s in soup(1)) {
        agree(&s);
    }
}

/// The generator is not vacuous: the fast path answers a good share of its
/// statements (and the property above compares each of them).
#[test]
fn the_generator_reaches_the_fast_grammar() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    // (round 12: an OR of ranges and a BETWEEN with column bounds are left
    // to the full reading now, which checks whether they cover every value:
    // 118 of 400 at edge weight 0, from about 130)
    for (w, at_least) in [(1, 40), (0, 100)] {
        let gen = statement(w);
        let mut answered = 0;
        for _ in 0..400 {
            let s = gen.new_tree(&mut runner).unwrap().current();
            if agree(&s) {
                answered += 1;
            }
        }
        eprintln!(
            "the fast path answered {answered} of 400 generated statements (edge weight {w})"
        );
        assert!(
            answered >= at_least,
            "the fast path answered {answered} of 400 generated statements"
        );
    }
}

/// Round 18's generator: `x IN (1.5) OR x <> 1.5` covers every row the
/// full reading knows of, so a DELETE with it is a DELETE without a WHERE.
/// The fast path, which does not pair an IN list with its negation, must
/// leave such a WHERE to the full reading rather than answer "has a WHERE".
#[test]
fn an_in_list_beside_its_negation_is_left_to_the_full_reading() {
    for s in [
        "SELECT id FROM id WHERE (t IN (1.5) OR t <> 1.5 OR id IS NULL)",
        "DELETE FROM users WHERE id IN (7) OR id <> 7",
        "UPDATE users SET admin = true WHERE id IN (1, 2) OR NOT id IN (1, 2)",
    ] {
        agree(s);
    }
    let a = sql::analyze("DELETE FROM users WHERE id IN (7) OR id <> 7");
    assert!(a.destructive && !a.has_where, "{a:?}");
    // an IN list without an OR is still answered on the fast path
    assert!(agree(
        "select name from public.users where id in (1, 2, 3) limit 10"
    ));
}

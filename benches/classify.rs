//! The SQL, URL and secret classifiers: typical statements and URLs classified
//! afresh, the worst inputs (30,000 nested parentheses, the longest
//! statements classified, long OR chains), and the bind of typical `sql_query`, `postgres_query`
//! and `WebFetch` raw calls through the stdlib (normalize, classify, bind).
//! Run with `cargo bench --bench classify`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use permit0_classify::{secrets, sql, url};
use permit0_compiler::{build_program, compile, load_paths};
use serde_json::json;
use std::hint::black_box;
use std::path::PathBuf;

const SQL: &[&str] = &[
    "SELECT * FROM users WHERE id = 1",
    "SELECT id, email FROM customers WHERE created_at > '2024-01-01' ORDER BY created_at DESC LIMIT 50",
    "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.total > 100",
    "UPDATE users SET name = 'Ann' WHERE id = 7",
    "DELETE FROM sessions WHERE expires_at < now()",
    "INSERT INTO audit (msg) VALUES ('hello')",
    "SELECT count(*) FROM orders WHERE status = 'shipped'",
    "DROP TABLE users",
];

const URLS: &[&str] = &[
    "https://docs.rs/serde/latest/serde/",
    "https://doc.rust-lang.org/std/net/struct.Ipv4Addr.html",
    "https://wiki.acme.com/page",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:a9fe:a9fe]/",
    "https://api.github.com/repos/rust-lang/rust",
];

const TEXTS: &[&str] = &[
    "Hi Ann,\n\nHere are the notes from today's standup: the release is on track, QA starts Monday.\n\nThanks,\nBob",
    "standup notes",
    "ann@acme.com",
    "Anyone up for lunch on Friday at noon? The usual place.",
    "cargo test -p permit0-vm --lib builtins::shell 2>&1 | tail -20",
    "git commit -m 'fix the parser: quotes inside heredocs are text'",
    "https://docs.rs/serde/latest/serde/",
    "https://api.github.com/repos/rust-lang/rust/issues?state=open&per_page=50",
];

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("classify/sql");
    g.throughput(Throughput::Elements(SQL.len() as u64));
    g.bench_function("typical_postgres", |b| {
        b.iter(|| {
            for s in SQL {
                black_box(sql::analyze_uncached(
                    black_box(s),
                    Some(sql::Engine::Postgres),
                ));
            }
        })
    });
    g.bench_function("typical_any_engine", |b| {
        b.iter(|| {
            for s in SQL {
                black_box(sql::analyze_uncached(black_box(s), None));
            }
        })
    });
    // The same statements by the full reading alone (no fast path): what
    // every statement cost before the fast path, and what one outside its
    // grammar costs now.
    g.bench_function("typical_postgres_full", |b| {
        b.iter(|| {
            for s in SQL {
                black_box(sql::analyze_full(black_box(s), Some(sql::Engine::Postgres)));
            }
        })
    });
    g.bench_function("typical_any_engine_full", |b| {
        b.iter(|| {
            for s in SQL {
                black_box(sql::analyze_full(black_box(s), None));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("classify/sql_worst");
    g.sample_size(10);
    let deep = format!("SELECT {}1{}", "(".repeat(30_000), ")".repeat(30_000));
    g.bench_function("nested_30000_parens", |b| {
        b.iter(|| black_box(sql::analyze_uncached(black_box(&deep), None)))
    });
    // The largest texts classified: 256 KiB in one grammar, 64 KiB in four.
    let list = |bytes: usize| {
        let mut s = String::from("SELECT * FROM t WHERE a IN ('abcdefgh'");
        while s.len() + 12 < bytes {
            s.push_str(",'abcdefgh'");
        }
        s.push(')');
        s
    };
    let big = list(sql::max_len(Some(sql::Engine::Postgres)));
    g.bench_function("max_len_in_list_postgres", |b| {
        b.iter(|| {
            black_box(sql::analyze_uncached(
                black_box(&big),
                Some(sql::Engine::Postgres),
            ))
        })
    });
    let big = list(sql::max_len(None));
    g.bench_function("max_len_in_list_any_engine", |b| {
        b.iter(|| black_box(sql::analyze_uncached(black_box(&big), None)))
    });
    let mut chain = String::from("SELECT a FROM t WHERE a = 1");
    while chain.len() + 12 < sql::max_len(None) {
        chain.push_str(" OR a = 1");
    }
    g.bench_function("max_len_or_chain_any_engine", |b| {
        b.iter(|| black_box(sql::analyze_uncached(black_box(&chain), None)))
    });
    let mut chain = String::from("DELETE FROM t WHERE a = 1");
    while chain.len() + 12 < sql::max_len(Some(sql::Engine::Postgres)) {
        chain.push_str(" OR a = 1");
    }
    g.bench_function("max_len_or_chain_postgres", |b| {
        b.iter(|| {
            black_box(sql::analyze_uncached(
                black_box(&chain),
                Some(sql::Engine::Postgres),
            ))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("classify/url");
    g.throughput(Throughput::Elements(URLS.len() as u64));
    g.bench_function("host_scope", |b| {
        b.iter(|| {
            for u in URLS {
                black_box(url::host_scope(black_box(u), Some("acme.com")));
            }
        })
    });
    g.finish();

    // Ordinary texts an agent sends (none holds a secret): what every mail,
    // chat message, command and URL pays for the secret scan.
    let mut g = c.benchmark_group("classify/secrets");
    g.throughput(Throughput::Elements(TEXTS.len() as u64));
    let texts: Vec<serde_json::Value> = TEXTS.iter().map(|t| json!(t)).collect();
    g.bench_function("ordinary_texts", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(secrets::has_secret(black_box(t)));
            }
        })
    });
    for (i, t) in texts.iter().enumerate() {
        g.bench_function(format!("t{i}"), |b| {
            b.iter(|| black_box(secrets::has_secret(black_box(t))))
        });
    }
    g.finish();

    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/stdlib"));
    let program = build_program(&compile(load_paths(&[dir]).unwrap())).unwrap();
    let ctx = json!({"org_domain": "acme.com", "workspace": "/work/proj", "env": "prod"});
    let calls = |tool: &str| -> Vec<serde_json::Value> {
        SQL.iter()
            .map(|s| json!({"tool": tool, "args": {"sql": s}, "context": ctx}))
            .collect()
    };
    let fetches: Vec<serde_json::Value> = URLS
        .iter()
        .map(|u| json!({"tool": "WebFetch", "args": {"url": u, "prompt": "summarise"}, "context": ctx}))
        .collect();
    // The calls cycle through different texts, so every bind analyses its
    // statement once (the cache serves the other four builtins of the bind).
    for (name, reqs) in [
        ("sql_query", calls("sql_query")),
        ("postgres_query", calls("postgres_query")),
        ("WebFetch", fetches),
    ] {
        let mut g = c.benchmark_group(format!("bind/{name}"));
        g.throughput(Throughput::Elements(reqs.len() as u64));
        g.bench_function("raw_call", |b| {
            b.iter(|| {
                for r in &reqs {
                    black_box(program.bind(black_box(r)).unwrap());
                }
            })
        });
        g.finish();
    }
}

criterion_group!(classify, benches);
criterion_main!(classify);

//! The raw tool calls of the attack rounds (`attack9/`: obfuscated shell,
//! SQL with side effects, every spelling of a private address, secrets in
//! every corner, sensitive paths, spoofed arguments; `attack10/`: mail
//! recipients that name another address, bot tokens and webhook URLs,
//! strings a server setting ends elsewhere, WHEREs whose columns cancel,
//! remote modules run as builds; `attack11/`: subqueries and disjunctions
//! over every row, hidden batches, spoofed arguments and refspecs, prompt
//! and subscript expansion, comments that end a line, newer vendor
//! tokens; `attack12/`: ranges that cover every value with different
//! constants, keys spelled out, wrapped, marked up, reversed or cut across
//! fields, options that read, run or write elsewhere, credential files of
//! more tools, git's own state, non-global IPv6 blocks, pushes to URLs and
//! options, requests with a key given twice; `attack13/`: every coding
//! tool's payload shapes, flags of the wrong JSON type, MultiEdit items
//! with keys of their own, raw sockets, traps and git's code-running
//! options, keys sent to a search engine, WHEREs built of XOR, CASE and
//! self-joins; `attack14/`: commands planted in files that builds and
//! installs run later, exfiltration channels and secrets reached
//! indirectly, SQL functions with side effects, tool names and argument
//! keys spelled with confusables, keys cut into string literals of code;
//! `attack15/`: build and agent files written by shell commands, agent
//! instruction and MCP settings files, values kept in a build file's
//! variables, base64 handed to a decoder, shell spellings, private
//! addresses in package managers, proxies and DNS-rebinding names, keys in
//! argument keys and nested bodies, SQL side effects, spoofed raw JSON;
//! `attack16/`: cloud, cluster, container and database CLIs, file-tool
//! paths spelled to escape a check, MCP servers' tools, `git config -f`
//! and a group's redirection, sessions that read a secret and send it in
//! a GET; `attack17/`: keys spelled as character codes and used as
//! names, git that destroys history or writes what a patch names,
//! package managers and runners, channels beyond HTTP, spoofed raw JSON;
//! `attack18/`: damage without `rm`, code that runs later from the user's
//! config and the workspace's installed trees, warehouse SQL, MCP database
//! tools and upserts fed by their own table, credentials that are no vendor
//! key; `attack19/`: MCP tools' names and arguments, routing, forwarding
//! and smuggling headers in every spelling, warehouse SQL (duckdb, bq,
//! snowsql, clickhouse), git config keys that run code; `attack20/`: the
//! settings files package managers fetch from or run, agents' own settings
//! and instructions, database CLIs with no model, old loose ends;
//! `attack21/`: settings edited in place, recipes that fetch, code run from
//! scratch space, links and archives that land elsewhere, irreversible
//! platform and framework CLIs, interpreters' one-liners; `attack21e/`: the
//! database CLIs' models and the settings files' readers, spelled to
//! harm; `attack22/`: every road to moving money, office sharing and
//! persistent exfiltration, shell corners the models skip, SQL side
//! effects in other dialects; `attack22e/`: the platform and framework
//! CLIs' reads, symbolic links and interpreter one-liners, spelled to
//! harm; `attack23/`: the final command hidden by shell spellings, a
//! private address in an option or a setting, keys encoded or split,
//! spoofed and duplicated arguments; `attack23e/`: workspace patches,
//! shell writes of settings files and more database CLIs, spelled to
//! harm; `attack24/`: private things made public or reachable, cloud and
//! cluster CLIs, data smuggled through allowed channels and read-then-send
//! sessions; `attack24e/`: openssl's local subcommands, functions and
//! traps read as their bodies, mail attachments carried inline, calendar
//! invitations and browser navigations, spelled to harm; `attack25/`: what
//! the harmless programs can also do (run, read, write, send), toolchains
//! that run code from elsewhere, secrets laundered through the workspace,
//! and a polyglot coding day; `attack25e/`: chmod that only takes
//! permissions away, python's http.server on loopback, kubectl config's
//! names, eksctl and tmux reads, spelled to harm; `attack25o/`:
//! pushes, pull requests and branches to owners outside the org, request
//! collectors, images and stylesheets a reader's client fetches from mail
//! and chat, secret data read under plain names, then sent; `attack26/`:
//! Unicode, case and platform spellings — hosts under IDNA, paths on a
//! case-insensitive or Windows file system, bash's case-changing
//! expansions, SQL identifiers with Unicode escapes; `attack26e/`:
//! deno's and bun's own tools, find's name tests given to its `-exec`
//! command, `hostname -F`, `history -r/-w`, `sqlformat`, `yq -s`, spelled
//! to harm; `attack26o/`: the shell's reads of secret data, remotes
//! pointed outside the org, and collectors and private hosts behind
//! URL-fetching proxies; `attack27/`: remotes set by `git config` and
//! `git remote` options, proxies' targets double-encoded or without a
//! scheme, statements piped into a database client, Windows spellings of
//! the home; `attack27e/`: values the line spells — arrays, `declare
//! -a/-A`, `set --`, `read` and `mapfile` from here-strings — read
//! exactly, spelled to harm), replayed
//! against the stdlib: none may be decided looser than when its round
//! ended — an allow
//! where the round saw an escalate or a deny is a loosening to explain —
//! and the round's everyday work must decide exactly as it did.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use serde_json::Value;

/// The attack files of each round, beside the round's everyday work.
const ROUNDS: &[(&str, &[&str])] = &[
    (
        "attack9",
        &["shell", "sql", "url", "secrets", "paths", "spoof"],
    ),
    (
        "attack10",
        &["recipients", "secrets", "sql", "shell", "url"],
    ),
    ("attack11", &["sql", "secrets", "spoof", "shell", "paths"]),
    (
        "attack12",
        &["sql", "secrets", "shell", "url", "paths", "spoof"],
    ),
    ("attack13", &["tools", "shell", "url", "sql", "secrets"]),
    (
        "attack14",
        &["deferred", "exfil", "sql", "tools", "secrets"],
    ),
    (
        "attack15",
        &[
            "plant", "agentcfg", "obfusc", "addr", "secrets", "sql", "spoof",
        ],
    ),
    ("attack16", &["infra", "paths", "mcp", "gitcfg", "chains"]),
    (
        "attack17",
        &["codes", "names", "git", "pkg", "exfil", "spoof"],
    ),
    ("attack18", &["destroy", "persist", "sql", "secrets"]),
    ("attack19", &["mcp", "headers", "warehouse", "gitcfg"]),
    (
        "attack20",
        &["pkgcfg", "setters", "agents", "dbcli", "loose"],
    ),
    ("attack21", &["loose", "links", "irrev", "interp"]),
    ("attack21e", &["hostile"]),
    ("attack22", &["money", "office", "shell", "sqlx"]),
    ("attack22e", &["hostile"]),
    ("attack23", &["obfusc", "addr", "secretsx", "spoof"]),
    ("attack23e", &["hostile"]),
    ("attack24", &["expose", "cloud", "sidechan"]),
    ("attack24e", &["hostile"]),
    ("attack25", &["gtfo", "toolchain", "launder"]),
    ("attack25e", &["hostile"]),
    ("attack25o", &["hostile"]),
    ("attack26", &["hosts", "paths", "shell", "data"]),
    ("attack26e", &["hostile"]),
    ("attack26o", &["hostile"]),
    ("attack27", &["hostile"]),
    ("attack27e", &["hostile"]),
];

/// Every `attackN/` folder on disk is a round above, with each of its
/// `.jsonl` files: a round added without its line here would not be
/// replayed.
#[test]
fn every_round_on_disk_is_replayed() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(n) = name.strip_prefix("attack") else {
            continue;
        };
        // `attack24`, and an everyday or follow-up round beside it
        // (`attack24e`, `attack25o`): a letter after the number.
        let digits = n.trim_end_matches(|c: char| c.is_ascii_lowercase());
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || n.len() - digits.len() > 1
        {
            continue;
        }
        let listed = ROUNDS.iter().find(|(r, _)| *r == name);
        for file in std::fs::read_dir(format!("{root}/{name}")).unwrap() {
            let f = file.unwrap().file_name().to_string_lossy().into_owned();
            let Some(stem) = f.strip_suffix(".jsonl") else {
                continue;
            };
            let known =
                stem == "everyday" || listed.is_some_and(|(_, names)| names.contains(&stem));
            if !known {
                missing.push(format!("{name}/{f}"));
            }
        }
    }
    assert!(missing.is_empty(), "not replayed: {missing:?}");
}

/// Each call of `ROUND/NAME.jsonl` beside its decision in `NAME.expect`.
/// A line is read as a request is, strictly: one that gives a key twice
/// (`{"command": "ls", "command": "rm -rf ~"}`) is refused, and a refusal
/// escalates — `serde_json` alone would keep the last key and decide a
/// request the gate never sees. Such a line is `Value::Null` here.
fn corpus(round: &str, name: &str) -> Vec<(Value, String)> {
    let dir = format!("{}/{round}", env!("CARGO_MANIFEST_DIR"));
    let calls = std::fs::read_to_string(format!("{dir}/{name}.jsonl")).unwrap();
    let expect = std::fs::read_to_string(format!("{dir}/{name}.expect")).unwrap();
    let calls: Vec<&str> = calls.lines().filter(|l| !l.trim().is_empty()).collect();
    let expect: Vec<&str> = expect.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        calls.len(),
        expect.len(),
        "{round}/{name}: one decision per call"
    );
    calls
        .iter()
        .zip(expect)
        .map(|(c, e)| {
            let v = permit0_vm::parse_request(c.as_bytes()).unwrap_or(Value::Null);
            (v, e.to_string())
        })
        .collect()
}

/// The decision of one corpus line: a refused request escalates.
fn verdict_of(call: &Value) -> (String, String) {
    if call.is_null() {
        ("escalate".into(), "refused: a key given twice".into())
    } else {
        stdlib_verdict(call)
    }
}

/// The decisions of a file's lines decided in order, as `permit0 eval -r`
/// decides them: lines that share a session id see each other (round 16's
/// chains: a secret read, then a request that carries it). A file starts
/// with sessions of its own.
fn verdicts_in_order(calls: &[(Value, String)]) -> Vec<(String, String)> {
    use permit0_session::{self as session, Clock, MemoryStore};
    let p = &stdlib().1;
    let store = MemoryStore::default();
    calls
        .iter()
        .map(|(call, _)| {
            if call.is_null() {
                return verdict_of(call);
            }
            let j = match p.bind(call) {
                Ok(mut req) => match session::decide(p, &store, &mut req, Clock::unchecked()) {
                    Ok(d) => p.decision_json(&d, Some(&req)),
                    Err(e) => p.refusal_json(&e, Some(req.asked())),
                },
                Err(e) => p.refusal_json(&e, None),
            };
            (
                j["decision"].as_str().unwrap_or("").to_string(),
                j["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn no_attack_of_the_rounds_is_decided_looser_than_it_was() {
    let mut looser = Vec::new();
    for (round, names) in ROUNDS {
        for name in *names {
            let calls = corpus(round, name);
            let got_all = verdicts_in_order(&calls);
            for ((call, expected), (got, reason)) in calls.into_iter().zip(got_all) {
                if strictness(&got) < strictness(&expected) {
                    looser.push(format!(
                        "{round}/{name}: {got} (was {expected}) {call} — {reason}"
                    ));
                }
            }
        }
    }
    assert!(looser.is_empty(), "decided looser:\n{}", looser.join("\n"));
}

#[test]
fn the_rounds_everyday_work_decides_as_it_did() {
    let mut changed = Vec::new();
    for (round, _) in ROUNDS {
        let calls = corpus(round, "everyday");
        let got_all = verdicts_in_order(&calls);
        for ((call, expected), (got, reason)) in calls.into_iter().zip(got_all) {
            if got != expected {
                changed.push(format!("{round}: {got} (was {expected}) {call} — {reason}"));
            }
        }
    }
    assert!(
        changed.is_empty(),
        "everyday calls changed:\n{}",
        changed.join("\n")
    );
}

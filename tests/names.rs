//! Stories of the language's names: rules named so that overrides, decisions
//! and coverage survive edits; constants, action sets and conditions defined
//! once and shared between policies; alternations counted as one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_compiler::{build_program, compile, Compilation, Input};
use permit0_session::{self as session, Clock, MemoryStore};
use permit0_vm::Program;
use serde_json::{json, Value};

fn compile_files(files: &[(&str, &str)]) -> Compilation {
    compile(
        files
            .iter()
            .map(|(name, text)| Input::from_text(*name, *text))
            .collect(),
    )
}

fn program_of(files: &[(&str, &str)]) -> Program {
    let c = compile_files(files);
    let errors: Vec<String> = c
        .errors()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "policies have errors: {errors:#?}");
    build_program(&c).unwrap()
}

fn diagnostics(files: &[(&str, &str)]) -> Vec<(String, String, Option<String>)> {
    compile_files(files)
        .diagnostics
        .into_iter()
        .map(|d| {
            (
                d.code.to_string(),
                d.message.clone(),
                d.help.clone().map(|h| h.to_string()),
            )
        })
        .collect()
}

fn mail(to: &str, body: &str) -> Value {
    json!({"action": "email.send",
           "args": {"to": [to], "subject": "hello", "body": body},
           "context": {"org_domain": "acme.com"}})
}

const BASE_MAIL: &str = r#"
policy base.mail
rule external_mail: when email.send recipient_scope == external then escalate "external mail"
"#;

#[test]
fn a_decision_names_the_rule_by_policy_and_name() {
    let p = program_of(&[("base.p0", BASE_MAIL)]);
    let d = decide(&p, mail("cfo@rival.example", "hi"));
    assert_eq!(d["decision"], "escalate");
    assert_eq!(d["rule"], "base.mail.external_mail");
}

#[test]
fn overrides_by_name_survive_a_rule_inserted_above() {
    let team = r#"
policy team.mail
when email.send recipient_domains contains "partner.com" then allow "partner mail" overrides base.mail.external_mail
"#;
    // Version 2 of the base policy inserts a deny for bulk mail above the
    // escalate rule: by position, `base.mail:1` would now name the deny (and
    // the override would be an error, or worse, relax the wrong rule).
    let base_v2 = r#"
policy base.mail
when email.send recipient_count > 500 then deny "bulk mail"
rule external_mail: when email.send recipient_scope == external then escalate "external mail"
"#;
    for base in [BASE_MAIL, base_v2] {
        let p = program_of(&[("base.p0", base), ("team.p0", team)]);
        assert_eq!(verdict(&p, mail("ann@partner.com", "hi")), "allow");
        assert_eq!(verdict(&p, mail("cfo@rival.example", "hi")), "escalate");
    }
}

#[test]
fn a_positional_override_still_works_with_a_warning_that_names_the_rule() {
    let team = r#"
policy team.mail
when email.send recipient_domains contains "partner.com" then allow overrides base.mail:1
"#;
    let diags = diagnostics(&[("base.p0", BASE_MAIL), ("team.p0", team)]);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let (code, _, help) = &diags[0];
    assert_eq!(code, "P0410");
    assert_eq!(
        help.as_deref(),
        Some("write its name, `base.mail.external_mail`")
    );
    let p = program_of(&[("base.p0", BASE_MAIL), ("team.p0", team)]);
    assert_eq!(verdict(&p, mail("ann@partner.com", "hi")), "allow");
}

#[test]
fn an_override_of_a_misspelt_rule_is_refused_with_the_right_name() {
    let team = r#"
policy team.mail
when email.send recipient_domains contains "partner.com" then allow overrides base.mail.externl_mail
"#;
    let diags = diagnostics(&[("base.p0", BASE_MAIL), ("team.p0", team)]);
    let (code, message, help) = &diags[0];
    assert_eq!(code, "P0217");
    assert_eq!(message, "no rule `base.mail.externl_mail` to override");
    assert_eq!(
        help.as_deref(),
        Some("did you mean `base.mail.external_mail`?")
    );
}

const WORDS: &str = r#"
policy acme.words
let credential_words = ["password", "api key", "private key"]
"#;

#[test]
fn a_shared_credential_list_catches_the_same_word_in_email_and_in_slack() {
    let mail_policy = r#"
policy acme.mail
use acme.words.{credential_words}
when email.send body contains_any credential_words then deny "credentials in mail"
"#;
    let chat_policy = r#"
policy acme.chat
use acme.words.credential_words
when message.send text contains_any credential_words then deny "credentials in chat"
"#;
    let p = program_of(&[
        ("words.p0", WORDS),
        ("mail.p0", mail_policy),
        ("chat.p0", chat_policy),
    ]);
    let d = decide(&p, mail("ann@acme.com", "the API Key is in the vault"));
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["reason"], "credentials in mail");
    let chat = json!({"action": "message.send",
        "args": {"channel": "C1", "text": "here is the api key", "external_members": false}});
    let d = decide(&p, chat);
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["reason"], "credentials in chat");
}

#[test]
fn an_unknown_import_is_refused_with_a_suggestion() {
    let mail_policy = r#"
policy acme.mail
use acme.words.{credentials_words}
when email.send body contains_any credentials_words then deny
"#;
    let diags = diagnostics(&[("words.p0", WORDS), ("mail.p0", mail_policy)]);
    assert!(
        diags.iter().any(|(c, m, h)| c == "P0231"
            && m == "policy `acme.words` defines no `credentials_words`"
            && h.as_deref() == Some("did you mean `credential_words`?")),
        "{diags:?}"
    );
}

#[test]
fn a_local_let_cannot_quietly_shadow_an_imported_one() {
    let mail_policy = r#"
policy acme.mail
use acme.words.{credential_words}
let credential_words = ["password"]
when email.send body contains_any credential_words then deny
"#;
    let diags = diagnostics(&[("words.p0", WORDS), ("mail.p0", mail_policy)]);
    assert!(
        diags
            .iter()
            .any(|(c, m, _)| c == "P0206" && m == "`credential_words` is already defined"),
        "{diags:?}"
    );
}

#[test]
fn policies_that_import_each_other_are_refused() {
    let a = "policy a.p\nuse b.p.{y}\nlet x = 1\n";
    let b = "policy b.p\nuse a.p.{x}\nlet y = 2\n";
    let diags = diagnostics(&[("a.p0", a), ("b.p0", b)]);
    assert!(
        diags
            .iter()
            .any(|(c, m, _)| c == "P0232" && m == "policies import each other: a.p → b.p → a.p"),
        "{diags:?}"
    );
}

fn decide_in(p: &Program, store: &MemoryStore, r: &Value) -> String {
    let mut req = p.bind(r).unwrap();
    let d = session::decide(p, store, &mut req, Clock::unchecked()).unwrap();
    p.decision_json(&d, Some(&req))["decision"]
        .as_str()
        .unwrap()
        .to_string()
}

fn at(minute: u32, mut r: Value) -> Value {
    r["context"]["time"] = json!(format!("2026-11-22T10:{minute:02}:00Z"));
    r["session"] = json!({"id": "s1"});
    r
}

#[test]
fn an_alternation_counts_reads_and_downloads_as_one_stream() {
    // Three reads and two downloads: five files left the store within ten
    // minutes, whichever tool fetched them.
    let src = r#"
policy acme.files
actions fetches = file.read | email.download_attachment
when file.read | email.download_attachment session.count(file.read | email.download_attachment, 10m) >= 4
  then deny "bulk fetch: five files within 10 minutes"
when fetches session.count(fetches, 10m) >= 3 then escalate "many fetches"
"#;
    let p = program_of(&[("files.p0", src)]);
    let store = MemoryStore::new(Default::default());
    let read = |m, path: &str| at(m, json!({"action": "file.read", "args": {"path": path}}));
    let download = |m| {
        at(
            m,
            json!({"action": "email.download_attachment",
                   "args": {"message_id": "m1", "attachment_id": "a1", "filename": "a.pdf"}}),
        )
    };
    let got: Vec<String> = [
        read(1, "a"),
        download(2),
        read(3, "b"),
        download(4),
        read(5, "c"),
    ]
    .iter()
    .map(|r| decide_in(&p, &store, r))
    .collect();
    assert_eq!(got[3], "escalate", "{got:?}");
    assert_eq!(got[4], "deny", "{got:?}");
}

#[test]
fn a_shared_condition_reads_the_session_of_the_request_that_uses_it() {
    let shared = r#"
policy acme.shared
predicate read_secrets = session.seen(secret.read, 1h)
"#;
    let mail_policy = r#"
policy acme.mail
use acme.shared.{read_secrets}
when email.send recipient_scope == external and read_secrets then deny "secret read, then mail out"
"#;
    let p = program_of(&[("shared.p0", shared), ("mail.p0", mail_policy)]);
    let store = MemoryStore::new(Default::default());
    let secret = at(
        1,
        json!({"action": "secret.read", "args": {"name": "db-password"}}),
    );
    decide_in(&p, &store, &secret);
    let out = at(2, mail("cfo@rival.example", "hi"));
    assert_eq!(decide_in(&p, &store, &out), "deny");
    // In a session that read no secret the mail is only external: the
    // action's risk tier (low, without the stdlib) allows it.
    let fresh = MemoryStore::new(Default::default());
    assert_eq!(decide_in(&p, &fresh, &out), "allow");
}

#[test]
fn the_stdlib_names_its_escalations() {
    let (_, p) = stdlib();
    let d = decide(p, mail("cfo@rival.example", "hi"));
    assert_eq!(d["rule"], "stdlib.email.external_mail");
}

const TEAM_SQL: &str = r#"
policy acme.sql
tool acme_sql when sql_kind(args.sql, "") == ddl and sql_destructive(args.sql, "") -> db.drop_table {
  table = join(sql_tables(args.sql, ""), ",")
  database = args.database
  cascade = true
}
tool acme_sql when sql_kind(args.sql, "") == select -> db.query {
  statement = args.sql
  database = args.database
}
"#;

fn with_stdlib(files: &[(&str, &str)]) -> Program {
    let mut inputs: Vec<Input> = files
        .iter()
        .map(|(name, text)| Input::from_text(*name, *text))
        .collect();
    inputs.extend(permit0_compiler::stdlib::inputs());
    let c = compile(inputs);
    let errors: Vec<String> = c
        .errors()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "policies have errors: {errors:#?}");
    build_program(&c).unwrap()
}

#[test]
fn a_drop_table_gets_one_verdict_whichever_way_it_arrives() {
    let p = with_stdlib(&[("sql.p0", TEAM_SQL)]);
    let raw = decide(
        &p,
        json!({"tool": "acme_sql", "args": {"sql": "DROP TABLE users", "database": "crm"}}),
    );
    let direct = decide(
        &p,
        json!({"action": "db.drop_table", "args": {"table": "users", "database": "crm", "cascade": true}}),
    );
    assert_eq!(raw["action"], "db.drop_table");
    assert_eq!(raw["decision"], direct["decision"]);
    assert_eq!(raw["decision"], "deny");
    let read = decide(
        &p,
        json!({"tool": "acme_sql", "args": {"sql": "SELECT * FROM users"}}),
    );
    assert_eq!(read["action"], "db.query");
}

#[test]
fn a_call_no_conditional_mapping_takes_is_refused_not_mapped_looser() {
    let p = with_stdlib(&[("sql.p0", TEAM_SQL)]);
    // An UPDATE is neither a destructive DDL statement nor a SELECT: no
    // mapping applies, and the call is not treated as a read.
    let d = decide(
        &p,
        json!({"tool": "acme_sql", "args": {"sql": "UPDATE users SET admin = true"}}),
    );
    assert_eq!(d["decision"], "escalate");
    assert!(
        d["reason"]
            .as_str()
            .unwrap()
            .contains("no mapping of tool `acme_sql` applies"),
        "{d}"
    );
    // Without a statement the conditions cannot be evaluated: refused too,
    // never tried against the next mapping.
    let d = decide(&p, json!({"tool": "acme_sql", "args": {"database": "crm"}}));
    assert_eq!(d["decision"], "escalate");
    assert!(
        d["reason"]
            .as_str()
            .unwrap()
            .contains("no mapping of tool `acme_sql` applies"),
        "{d}"
    );
}

#[test]
fn a_teams_conditional_mapping_refines_the_stdlibs_shell_mapping() {
    // The stdlib maps `Bash` to process.exec; this team sends force-pushes
    // of a protected branch to the action that names them, ahead of it.
    let team = r#"
policy acme.shell
tool Bash when shell_force_push(args.command) -> dev.git_push {
  repo = "acme/app"
  branch = "main"
  force = true
  _ = [args.description, args.timeout, args.run_in_background]
}
"#;
    let p = with_stdlib(&[("shell.p0", team)]);
    let push = decide(
        &p,
        json!({"tool": "Bash", "args": {"command": "git push --force origin main"}}),
    );
    assert_eq!(push["action"], "dev.git_push");
    let ls = decide(&p, json!({"tool": "Bash", "args": {"command": "ls -la"}}));
    assert_eq!(ls["action"], "process.exec");
    assert_eq!(ls["decision"], "allow");
}

/// A team names the MCP servers its refund tool is read from with `in`: a
/// call from one of them is a refund, any other server's call is refused.
/// A misspelt member of an enum in the list is reported, item by item.
#[test]
fn a_mapping_condition_may_test_a_value_against_a_list() {
    let team = r#"
policy acme.pay
tool issue_refund when tool.server in ["billing", "billing_eu"] -> payments.refund {
  amount = args.amount
  charge_id = args.charge
}
tool acme_sql when sql_kind(args.sql, "") not in [select, update] -> db.query {
  statement = args.sql
}
"#;
    let p = with_stdlib(&[("pay.p0", team)]);
    let refund = |tool: &str| {
        decide(
            &p,
            json!({"tool": tool, "args": {"amount": 900, "charge": "ch_1"}}),
        )
    };
    assert_eq!(refund("mcp__billing__issue_refund")["decision"], "allow");
    assert_eq!(refund("mcp__billing_eu__issue_refund")["decision"], "allow");
    let other = refund("mcp__paypal__issue_refund");
    assert_eq!(other["decision"], "escalate");
    assert!(
        other["reason"]
            .as_str()
            .unwrap()
            .contains("no mapping of tool"),
        "{other}"
    );
    let sql = |q: &str| decide(&p, json!({"tool": "acme_sql", "args": {"sql": q}}));
    assert_eq!(sql("DELETE FROM t WHERE id = 1")["action"], "db.query");
    assert!(sql("SELECT 1")["reason"]
        .as_str()
        .unwrap()
        .contains("no mapping of tool"));

    let bad = r#"
policy acme.bad
tool acme_sql when sql_kind(args.sql, "") in [selct, updte] -> db.query {
  statement = args.sql
}
tool acme_q when sql_kind(args.sql, "") in [] -> db.query {
  statement = args.sql
}
tool acme_r when args.kind in args.kinds -> db.query {
  statement = args.sql
}
"#;
    let d = diagnostics(&[("bad.p0", bad)]);
    let p0304: Vec<_> = d.iter().filter(|(c, ..)| c == "P0304").collect();
    assert_eq!(p0304.len(), 2, "{d:#?}");
    assert_eq!(p0304[0].2.as_deref(), Some("did you mean `select`?"));
    assert_eq!(p0304[1].2.as_deref(), Some("did you mean `update`?"));
    assert!(
        d.iter()
            .any(|(c, m, _)| c == "P0214" && m.contains("empty list")),
        "{d:#?}"
    );
    assert!(
        d.iter()
            .any(|(c, m, _)| c == "P0214" && m.contains("a list written in place")),
        "{d:#?}"
    );
}

/// A team maps a search tool whose flags are named `-n` and `dry.run`. The
/// quoted names are the arguments' names exactly, through a signed bundle:
/// `-n` and `dry.run` are read, while `-N`, `-n ` and an object `dry` holding
/// `run` are other arguments nobody read, and escalate naming them.
#[test]
fn a_quoted_argument_name_is_that_name_exactly_through_a_bundle() {
    let src = r#"
policy acme.search
tool acme_grep -> file.search {
  path = first(args.path, ".")
  pattern = first(args.pattern, "")
  content_search = flag(args.content, true)
  _ = [args."-n", args."dry.run"]
}
when file.search then allow "searching"
"#;
    let keys = [test_key().verifying_key()];
    let p = Program::load(&bundle(src), &keys)
        .unwrap()
        .with_builtins(&permit0_classify::CLASSIFIERS);
    let call = |args: Value| {
        decide(
            &p,
            json!({"tool": "acme_grep", "args": args, "context": {"workspace": "/work/proj"}}),
        )
    };
    let d = call(json!({"pattern": "TODO", "-n": true, "dry.run": true}));
    assert_eq!(d["decision"], "allow", "{d}");
    for (args, unread) in [
        (json!({"pattern": "TODO", "-N": true}), "-N"),
        (json!({"pattern": "TODO", "-n ": true}), "-n "),
        (json!({"pattern": "TODO", "dry": {"run": true}}), "dry"),
    ] {
        let d = call(args.clone());
        assert_eq!(d["decision"], "escalate", "{args}: {d}");
        let reason = d["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains(&format!("no argument `{unread}`")),
            "{args}: {d}"
        );
    }
}

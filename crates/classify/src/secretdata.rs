//! Round 30: reads whose data is secret though the read itself is everyday
//! work. They stay allowed; the read-then-send chains count them, so an
//! outbound send after one is held as after a `.env` read.
//!
//! - [`secret_data_path`]: Terraform variable files (`*.tfvars`,
//!   `*.auto.tfvars`, `*.tfvars.json`) — the values a configuration is
//!   given, passwords and tokens among them, by the file's name as `.env`
//!   is. (The state, `terraform.tfstate`, is already a secret file.)
//! - [`sql_names_secrets`]: a statement that names a table or column whose
//!   name says it holds credentials — a name part `password`/`passwd`,
//!   `secret(s)`, `credential(s)`, `apikey(s)`, `api_key(s)`,
//!   `private_key`, `otp_secret`, a name ending `_token(s)` or named
//!   `token(s)`, and the `sessions` table (session tokens). A name rule:
//!   the schema's names are the developers' description of the data, as a
//!   file's name is; `token_count`, `password_policies` … are read too
//!   (`password` is a part) — the cost is a hold on an outbound send after
//!   them, never on the read.

/// A Terraform variable file, by its name (case folded).
pub fn secret_data_path(path: &str) -> bool {
    let name = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .trim()
        .to_ascii_lowercase();
    name.ends_with(".tfvars") || name.ends_with(".tfvars.json")
}

/// The statement names a credential table or column (outside string
/// literals and comments; quoted identifiers read as their names). Words
/// are read in place and compared case-insensitively: it runs on every SQL
/// call's bind, so it allocates nothing.
pub fn sql_names_secrets(sql: &str) -> bool {
    let b = sql.as_bytes();
    let mut start: Option<usize> = None;
    // Every credential name holds one of the letter pairs `ke` (token,
    // apikey, api_key), `cr` (secret, credential), `sw` (password, passwd)
    // or `ss` (sessions), case folded: a word without one (SELECT, users,
    // WHERE, created_at's neighbours) is passed over without the name
    // compares. `hint` is set while the word is read, so no second pass.
    let mut hint = false;
    let mut prev = 0u8;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        // ASCII is read by the byte; a non-ASCII character is decoded only
        // to ask whether it is a letter (an identifier may hold letters of
        // any script, and a name must end where the engine ends it)
        let (in_word, len) = if c.is_ascii() {
            (c.is_ascii_alphanumeric() || c == b'_' || c == b'$', 1)
        } else {
            match sql.get(i..).and_then(|r| r.chars().next()) {
                Some(ch) => (ch.is_alphanumeric(), ch.len_utf8()),
                None => return false,
            }
        };
        if in_word {
            if start.is_none() {
                start = Some(i);
                hint = false;
                prev = 0;
            }
            let l = if len == 1 { c | 0x20 } else { 0 };
            hint |= matches!(
                (prev, l),
                (b'k', b'e') | (b'c', b'r') | (b's', b'w') | (b's', b's')
            );
            prev = l;
            i += len;
            continue;
        }
        let word = start.take().and_then(|s| sql.get(s..i));
        if hint && word.is_some_and(credential_name) {
            return true;
        }
        i += len;
        match c {
            // `U&"\0061pi_keys"`: Postgres's (and standard SQL's)
            // identifier with Unicode escapes is the name it decodes to
            b'&' if word.is_some_and(|w| w.eq_ignore_ascii_case("u"))
                && b.get(i) == Some(&b'"') =>
            {
                if let Some(rest) = sql.get(i + 1..) {
                    if unicode_identifier(rest).is_some_and(|n| credential_name(&n)) {
                        return true;
                    }
                }
            }
            b'\'' => {
                // a string literal: skip to its end ('' is a quote inside)
                while let Some(&d) = b.get(i) {
                    i += 1;
                    if d == b'\'' {
                        if b.get(i) == Some(&b'\'') {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            b'-' if b.get(i) == Some(&b'-') => {
                while let Some(&d) = b.get(i) {
                    i += 1;
                    if d == b'\n' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    hint && start.is_some_and(|s| sql.get(s..).is_some_and(credential_name))
}

/// The name of a `U&"…"` identifier, `rest` the text after its opening
/// quote: `\XXXX` and `\+XXXXXX` read as the code points they name, `""`
/// as a quote, and a `UESCAPE 'c'` after it taking `\`'s place.
fn unicode_identifier(rest: &str) -> Option<String> {
    let mut body = String::new();
    let mut it = rest.char_indices().peekable();
    let end = loop {
        let (k, c) = it.next()?;
        if c == '"' {
            if it.peek().map(|&(_, d)| d) == Some('"') {
                it.next();
            } else {
                break k;
            }
        }
        body.push(c);
    };
    let after = rest.get(end + 1..)?.trim_start();
    let esc = match after.get(..7) {
        Some(u) if u.eq_ignore_ascii_case("uescape") => {
            let q = after.get(7..)?.trim_start();
            let mut q = q.chars();
            match (q.next(), q.next(), q.next()) {
                (Some('\''), Some(e), Some('\'')) => e,
                _ => return None,
            }
        }
        _ => '\\',
    };
    let mut out = String::with_capacity(body.len());
    let mut cs = body.chars();
    while let Some(c) = cs.next() {
        if c != esc {
            out.push(c);
            continue;
        }
        let rest = cs.as_str();
        let (digits, skip) = match rest.strip_prefix('+') {
            Some(r) => (r.get(..6)?, 7),
            None if rest.starts_with(esc) => {
                out.push(esc);
                cs.next();
                continue;
            }
            None => (rest.get(..4)?, 4),
        };
        out.push(char::from_u32(u32::from_str_radix(digits, 16).ok()?)?);
        for _ in 0..skip {
            cs.next();
        }
    }
    Some(out)
}

/// Round 33: the words a database client is given (its argv, and the text
/// fed on its stdin) hold a statement that names a credential table or
/// column. An option's name is not read (`--password`, `-W`): only its
/// value (`--command=TEXT`, `-cTEXT`, the next word) and the operands.
pub fn client_args_name_secrets<'a>(mut words: impl Iterator<Item = &'a str>) -> bool {
    words.any(|w| {
        let text = if let Some(long) = w.strip_prefix("--") {
            match long.split_once('=') {
                Some((_, v)) => v,
                None => return false,
            }
        } else if let Some(short) = w.strip_prefix('-') {
            short.get(1..).unwrap_or("")
        } else {
            w
        };
        !text.is_empty() && sql_names_secrets(text)
    })
}

/// Whether one identifier names credentials, ASCII case folded.
fn credential_name(w: &str) -> bool {
    // the shortest credential name is `token`: SQL's keywords and short
    // names (`id`, `FROM`, `o`) are passed over without a compare
    if w.len() < 5 {
        return false;
    }
    let is = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    if [
        "sessions", "token", "tokens", "apikey", "apikeys", "secrets", "secret",
    ]
    .iter()
    .any(|n| is(w, n))
    {
        return true;
    }
    let ends = |suffix: &str| {
        w.len()
            .checked_sub(suffix.len())
            .and_then(|k| w.get(k..))
            .is_some_and(|tail| is(tail, suffix))
    };
    if ends("_token") || ends("_tokens") {
        return true;
    }
    const PARTS: [&str; 9] = [
        "password",
        "passwords",
        "passwd",
        "secret",
        "secrets",
        "credential",
        "credentials",
        "apikey",
        "apikeys",
    ];
    let mut prev: Option<&str> = None;
    for p in w.split('_').filter(|p| !p.is_empty()) {
        if PARTS.iter().any(|n| is(p, n)) {
            return true;
        }
        if let Some(q) = prev {
            let key = is(p, "key") || is(p, "keys");
            if ((is(q, "api") || is(q, "private")) && key) || (is(q, "otp") && is(p, "secret")) {
                return true;
            }
        }
        prev = Some(p);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{secret_data_path, sql_names_secrets};

    #[test]
    fn terraform_variable_files_hold_secret_data() {
        for p in [
            "/home/dev/proj/terraform.tfvars",
            "infra/prod.auto.tfvars",
            "infra/terraform.tfvars.json",
            "infra/secrets.tfvars",
            "infra/TERRAFORM.TFVARS",
        ] {
            assert!(secret_data_path(p), "{p}");
        }
        for p in [
            "infra/main.tf",
            "infra/variables.tf",
            "docs/tfvars.md",
            "infra/tfvars/README",
        ] {
            assert!(!secret_data_path(p), "{p}");
        }
    }

    #[test]
    fn an_identifier_with_unicode_escapes_is_read_as_its_name() {
        for q in [
            "SELECT * FROM U&\"\\0061pi_keys\"",
            "SELECT * FROM u&\"\\+000061pi_keys\"",
            "SELECT * FROM U&\"!0061pi_keys\" UESCAPE '!'",
            "SELECT U&\"p\\0061ssword\" FROM users",
        ] {
            assert!(sql_names_secrets(q), "{q}");
        }
        for q in [
            "SELECT U&'\\0063af\\00E9'",
            "SELECT * FROM U&\"\\0075sers\"",
            "SELECT * FROM U&\"\\00",
            "SELECT * FROM U&\"x\" UESCAPE",
        ] {
            assert!(!sql_names_secrets(q), "{q}");
        }
    }

    #[test]
    fn a_query_of_a_credential_table_or_column_is_a_secret_read() {
        for q in [
            "SELECT * FROM api_keys",
            "SELECT email, password_hash FROM users",
            "select * from secrets limit 5",
            "SELECT token FROM oauth_tokens WHERE user_id = 7",
            "SELECT * FROM sessions ORDER BY created_at DESC LIMIT 1",
            "SELECT * FROM credentials",
            "SELECT \"API_KEY\" FROM \"Integrations\"",
            "SELECT access_token, refresh_token FROM public.oauth_accounts",
            "SELECT u.name, k.secret FROM users u JOIN `api_keys` k ON k.user_id = u.id",
            "SELECT [ApiKeys] FROM [dbo].[Clients]",
        ] {
            assert!(sql_names_secrets(q), "{q}");
        }
    }

    #[test]
    fn every_credential_name_is_seen_in_any_case_and_at_the_statements_end() {
        // the letter-pair filter must let every name through: each name of
        // the rule, alone, as a part, in upper case, last in the statement
        for n in [
            "token",
            "tokens",
            "sessions",
            "apikey",
            "apikeys",
            "secret",
            "secrets",
            "password",
            "passwords",
            "passwd",
            "credential",
            "credentials",
            "api_key",
            "api_keys",
            "private_key",
            "otp_secret",
            "refresh_token",
            "oauth_tokens",
            "user_password_hash",
            "app_secrets_v2",
            "db_credentials",
            "APIKEYS",
            "Private_Keys",
            "OTP_SECRET",
            "PASSWD",
            "Sessions",
        ] {
            for q in [format!("SELECT * FROM {n}"), format!("SELECT {n} FROM t;")] {
                assert!(sql_names_secrets(&q), "{q}");
            }
        }
        assert!(sql_names_secrets("SELECT café, password FROM t"));
        assert!(!sql_names_secrets("SELECT 'api_keys' AS café FROM t"));
    }

    #[test]
    fn ordinary_tables_and_words_in_strings_are_not() {
        for q in [
            "SELECT id, email FROM users LIMIT 10",
            "SELECT count(*) FROM orders WHERE created_at > now() - interval '1 day'",
            "SELECT * FROM api_requests LIMIT 5",
            "SELECT token_count, model FROM completions LIMIT 5",
            "SELECT name FROM products WHERE note = 'password reset'",
            "SELECT 1 -- api_keys\n",
            "SELECT keyboard, session_id FROM events",
        ] {
            assert!(!sql_names_secrets(q), "{q}");
        }
    }

    #[test]
    fn a_clients_words_are_read_but_not_its_option_names() {
        use super::client_args_name_secrets as w;
        assert!(w(["-c", "SELECT * FROM api_keys"].into_iter()));
        assert!(w(["-cSELECT token FROM oauth_tokens"].into_iter()));
        assert!(w(["--command=select * from secrets"].into_iter()));
        assert!(!w(
            ["--password", "-W", "-d", "app", "-c", "select 1"].into_iter()
        ));
        assert!(!w(
            ["-c", "SELECT id, email FROM users LIMIT 10"].into_iter()
        ));
    }
}

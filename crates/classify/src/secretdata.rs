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
    let mut start: Option<usize> = None;
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_alphanumeric() || c == '_' || c == '$' {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            if sql.get(s..i).is_some_and(credential_name) {
                return true;
            }
        }
        match c {
            '\'' => {
                // a string literal: skip to its end ('' is a quote inside)
                while let Some((_, d)) = chars.next() {
                    if d == '\'' {
                        if chars.peek().map(|&(_, e)| e) == Some('\'') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            '-' if chars.peek().map(|&(_, e)| e) == Some('-') => {
                for (_, d) in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    start.is_some_and(|s| sql.get(s..).is_some_and(credential_name))
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

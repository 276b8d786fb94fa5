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
/// literals and comments; quoted identifiers read as their names).
pub fn sql_names_secrets(sql: &str) -> bool {
    let mut word = String::new();
    let mut chars = sql.chars().peekable();
    let mut found = false;
    let mut check = |w: &mut String| {
        if !w.is_empty() {
            found |= credential_name(&w.to_ascii_lowercase());
            w.clear();
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                check(&mut word);
                // a string literal: skip to its end ('' is a quote inside)
                while let Some(d) = chars.next() {
                    if d == '\'' && chars.peek() != Some(&'\'') {
                        break;
                    }
                    if d == '\'' {
                        chars.next();
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                check(&mut word);
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '"' | '`' | '[' | ']' => check(&mut word),
            c if c.is_alphanumeric() || c == '_' || c == '$' => word.push(c),
            _ => check(&mut word),
        }
    }
    check(&mut word);
    found
}

fn credential_name(w: &str) -> bool {
    if matches!(
        w,
        "sessions" | "token" | "tokens" | "apikey" | "apikeys" | "secrets" | "secret"
    ) {
        return true;
    }
    if w.ends_with("_token") || w.ends_with("_tokens") {
        return true;
    }
    let parts: Vec<&str> = w.split('_').filter(|p| !p.is_empty()).collect();
    let has = |p: &str| parts.contains(&p);
    if [
        "password",
        "passwords",
        "passwd",
        "secret",
        "secrets",
        "credential",
        "credentials",
        "apikey",
        "apikeys",
    ]
    .iter()
    .any(|p| has(p))
    {
        return true;
    }
    parts.windows(2).any(|p| {
        matches!(
            p,
            ["api", "key" | "keys"] | ["private", "key" | "keys"] | ["otp", "secret"]
        )
    })
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
}

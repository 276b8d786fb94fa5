//! Every normalizer builtin as a value ([`Builtin`]) with its name and typed
//! signature. The compiler checks each call against the signature (argument
//! types, and the return type against the field it feeds, enum members
//! included); a bundle stores a call's builtin as its one-byte id; the VM
//! dispatches on the enum. Depends on nothing but serde, so it can move into
//! a vocabulary crate of its own.
//!
//! Ids are frozen: a new builtin takes the next free id, a removed one leaves
//! its id unused, and changing either bumps the bundle format version.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A type in a builtin's signature: what a raw JSON value holds when it has
/// the right shape. A builtin given a value of another shape gives null.
/// Shown with the language's type names (`string`, `list<string>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// Any JSON value: a raw argument before binding.
    Json,
    Text,
    Int,
    Bool,
    /// A list of texts.
    TextList,
    /// A text or a list of texts (strings split on `,` and `;`, address
    /// objects read as their address).
    TextOrList,
    /// A text that is always one of these members, never anything else.
    OneOf(&'static [&'static str]),
    /// Whatever the arguments are (`first`, `one_of`): all arguments have
    /// this one type, and so does the result.
    Same,
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Json => f.write_str("json"),
            Ty::Text => f.write_str("string"),
            Ty::Int => f.write_str("int"),
            Ty::Bool => f.write_str("bool"),
            Ty::TextList => f.write_str("list<string>"),
            Ty::TextOrList => f.write_str("string | list<string>"),
            Ty::OneOf(members) => write!(f, "enum {{ {} }}", members.join(", ")),
            Ty::Same => f.write_str("T"),
        }
    }
}

/// One parameter: its name (for docs and messages) and type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub ty: Ty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    pub params: &'static [Param],
    pub ret: Ty,
}

/// `shell_kind`: what a command does (crates/classify/src/shell.rs, `Kind`).
pub const SHELL_KINDS: &[&str] = &[
    "read_only",
    "write",
    "unknown",
    "network",
    "install",
    "privileged",
    "destructive",
];
/// `shell_sensitive_read`: where a sensitive file read lies.
pub const SENSITIVE_READS: &[&str] = &["none", "remote_url", "secret_data", "workspace", "outside"];
/// `planted_code`: the shell policy's verdict on what a file a tool runs
/// later would run (crates/classify/src/deferred.rs).
pub const PLANTED_VERDICTS: &[&str] = &["none", "escalate", "deny"];
/// `sql_kind`: the deciding statement's kind (crates/classify/src/sql.rs).
pub const SQL_KINDS: &[&str] = &["select", "insert", "update", "delete", "ddl", "other"];
/// `sql_class`: what the most dangerous statement does (sql.rs, `Class`).
pub const SQL_CLASSES: &[&str] = &[
    "read",
    "control",
    "write",
    "schema",
    "other",
    "privilege",
    "destructive",
];
/// `sql_removal`: the text is exactly one `DROP TABLE` or `TRUNCATE`
/// statement (crates/classify/src/removal.rs), or `none`.
pub const SQL_REMOVALS: &[&str] = &["none", "drop_table", "truncate_table"];
/// `stripe_op`: the Stripe method a raw call (`stripe_http`,
/// `stripe_shell`) certainly is (crates/classify/src/stripe.rs), or `none`.
pub const STRIPE_OPS: &[&str] = &["none", "refund", "payout", "transfer"];
/// `recipient_scope`: where recipients sit relative to the org's domain.
pub const RECIPIENT_SCOPES: &[&str] = &["self", "internal", "external"];
/// `host_scope`: where a URL's host sits (crates/classify/src/url.rs).
pub const HOST_SCOPES: &[&str] = &["loopback", "private_network", "internal", "external"];
/// `chat_channel_kind`: the kind of conversation a channel id names.
pub const CHAT_CHANNEL_KINDS: &[&str] = &[
    "direct_message",
    "group_message",
    "private_channel",
    "public_channel",
];
/// `visibility_change`: how a repository's visibility changes.
pub const VISIBILITY_CHANGES: &[&str] = &["to_public", "to_private", "to_internal", "unchanged"];
/// `repo_owner_scope`: whose repository a write goes to (round 30).
pub const REPO_OWNER_SCOPES: &[&str] = &["own", "other", "unresolved", "unknown"];
/// `git_remote_owner`: `none` when the command is not one plain `git remote
/// add|set-url`, else the URL's [`REPO_OWNER_SCOPES`].
pub const REMOTE_OWNER_SCOPES: &[&str] = &["none", "own", "other", "unresolved", "unknown"];
/// `fetched_scope`: where the URLs a reader's client fetches sit (round 30).
pub const FETCH_SCOPES: &[&str] = &["none", "internal", "external", "collector"];

/// The builtin table: variant, frozen id, name, parameters and result.
macro_rules! builtins {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $name:literal, ($($p:ident: $pty:expr),*) -> $ret:expr; )*) => {
        /// A normalizer builtin. Serialized as its one-byte id.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(into = "u8", try_from = "u8")]
        pub enum Builtin {
            $( $(#[$doc])* $variant, )*
        }

        impl Builtin {
            /// Every builtin, in name order.
            pub const ALL: &'static [Builtin] = &[$(Builtin::$variant),*];

            /// The name a policy calls it by.
            pub fn name(self) -> &'static str {
                match self {
                    $(Builtin::$variant => $name,)*
                }
            }

            /// The id a bundle stores.
            pub fn id(self) -> u8 {
                match self {
                    $(Builtin::$variant => $id,)*
                }
            }

            pub fn from_id(id: u8) -> Option<Builtin> {
                match id {
                    $($id => Some(Builtin::$variant),)*
                    _ => None,
                }
            }

            pub fn signature(self) -> Signature {
                match self {
                    $(Builtin::$variant => Signature {
                        params: &[$(Param { name: stringify!($p), ty: $pty }),*],
                        ret: $ret,
                    },)*
                }
            }
        }
    };
}

use Ty::*;

builtins! {
    ChatChannelKind = 0, "chat_channel_kind", (id: Text) -> OneOf(CHAT_CHANNEL_KINDS);
    Concat = 1, "concat", (a: TextOrList, b: TextOrList) -> TextList;
    Count = 2, "count", (x: TextOrList) -> Int;
    CredentialHeaders = 3, "credential_headers", (headers: Json) -> Bool;
    Domains = 4, "domains", (x: TextOrList) -> TextList;
    Emails = 5, "emails", (x: TextOrList) -> TextList;
    First = 6, "first", (a: Same, b: Same) -> Same;
    Flag = 7, "flag", (x: Json, default: Bool) -> Bool;
    HasSecret = 8, "has_secret", (x: Json) -> Bool;
    HostScope = 9, "host_scope", (url_or_host: Text, org_domain: Text) -> OneOf(HOST_SCOPES);
    HttpMethod = 10, "http_method", (method: Text, body: Json) -> Text;
    Items = 11, "items", (x: TextOrList) -> TextList;
    Join = 12, "join", (list: TextOrList, sep: Text) -> Text;
    JoinText = 13, "join_text", (a: Json, b: Json) -> Text;
    Keys = 14, "keys", (x: Json) -> TextList;
    Lower = 15, "lower", (value: Text) -> Text;
    /// Evaluated by the normalizer itself, which names disagreeing aliases.
    OneOf = 16, "one_of", (a: Same, b: Same) -> Same;
    OutsideWorkspace = 17, "outside_workspace", (path_or_paths: TextOrList, workspace: Text) -> Bool;
    ProtectedBranch = 18, "protected_branch", (name: Text) -> Bool;
    RecipientScope = 19, "recipient_scope", (recipients: TextOrList, org_domain: Text) -> OneOf(RECIPIENT_SCOPES);
    SecretKinds = 20, "secret_kinds", (x: Json) -> TextList;
    SensitivePath = 21, "sensitive_path", (path: Text) -> Bool;
    ShellForcePush = 22, "shell_force_push", (cmd: Text) -> Bool;
    ShellJoin = 23, "shell_join", (argv: TextOrList) -> Text;
    ShellKind = 24, "shell_kind", (cmd: Text) -> OneOf(SHELL_KINDS);
    ShellRemoteExec = 25, "shell_remote_exec", (cmd: Text) -> Bool;
    ShellSensitiveRead = 26, "shell_sensitive_read", (cmd: Text, cwd: Text, workspace: Text) -> OneOf(SENSITIVE_READS);
    ShellSensitiveWrite = 27, "shell_sensitive_write", (cmd: Text, cwd: Text, workspace: Text) -> Bool;
    ShellSudo = 28, "shell_sudo", (cmd: Text) -> Bool;
    ShellWritesOutside = 29, "shell_writes_outside", (cmd: Text, cwd: Text, workspace: Text) -> Bool;
    Split = 30, "split", (value: TextOrList, sep: Text) -> TextList;
    SqlClass = 31, "sql_class", (sql: Text, engine: Text) -> OneOf(SQL_CLASSES);
    SqlDestructive = 32, "sql_destructive", (sql: Text, engine: Text) -> Bool;
    SqlHasWhere = 33, "sql_has_where", (sql: Text, engine: Text) -> Bool;
    SqlKind = 34, "sql_kind", (sql: Text, engine: Text) -> OneOf(SQL_KINDS);
    SqlTables = 35, "sql_tables", (sql: Text, engine: Text) -> TextList;
    Text = 36, "text", (x: Json) -> Text;
    Texts = 37, "texts", (a: Json, b: Json) -> Json;
    UrlHost = 38, "url_host", (url: Text) -> Text;
    VisibilityChange = 39, "visibility_change", (visibility: Text, private: Bool) -> OneOf(VISIBILITY_CHANGES);
    SqlRemoval = 40, "sql_removal", (sql: Text, engine: Text) -> OneOf(SQL_REMOVALS);
    SqlRemovedTables = 41, "sql_removed_tables", (sql: Text, engine: Text) -> TextList;
    SqlRemovalCascade = 42, "sql_removal_cascade", (sql: Text, engine: Text) -> Bool;
    ShellGitPush = 43, "shell_git_push", (cmd: Text) -> Bool;
    GitPushBranch = 44, "git_push_branch", (cmd: Text) -> Text;
    GitPushRemote = 45, "git_push_remote", (cmd: Text) -> Text;
    GitPushForce = 46, "git_push_force", (cmd: Text) -> Bool;
    SqlMayDropTable = 47, "sql_may_drop_table", (sql: Text, engine: Text) -> Bool;
    SecretPath = 48, "secret_path", (path: Text, workspace: Text) -> Bool;
    GlobBase = 49, "glob_base", (path: Text, pattern: Text) -> Text;
    EditsText = 50, "edits_text", (edits: Json) -> Json;
    PlantedCode = 51, "planted_code", (path: Text, content: Text, workspace: Text) -> OneOf(PLANTED_VERDICTS);
    StrictFlag = 52, "strict_flag", (x: Json, default: Bool) -> Bool;
    StripeHttp = 53, "stripe_http", (method: Text, url: Text, body: Json, headers: Json) -> Text;
    StripeShell = 54, "stripe_shell", (cmd: Text) -> Text;
    StripeOp = 55, "stripe_op", (call: Text) -> OneOf(STRIPE_OPS);
    StripeParam = 56, "stripe_param", (call: Text, name: Text) -> Json;
    /// Round 26: the command sends its words to a service and prints the
    /// answer (`gh issue list --search …`, `cargo search …`).
    ShellAsksService = 57, "shell_asks_service", (cmd: Text) -> Bool;
    /// Round 26: the URL calls a web API method that writes, whatever the
    /// HTTP method (Slack's Web API takes every method by GET).
    ApiMethodWrites = 58, "api_method_writes", (url: Text) -> Bool;
    InlineAttachments = 59, "inline_attachments", (x: Json) -> Bool;
    UrlScheme = 60, "url_scheme", (url: Text) -> Text;
    /// Round 30: the owner of the repositories written to, against
    /// `context.repo_owners` (crates/classify/src/repos.rs).
    RepoOwnerScope = 61, "repo_owner_scope", (repos: Json, owners: Json, org_domain: Text) -> OneOf(REPO_OWNER_SCOPES);
    /// Round 30: the URL's host is a request collector (url.rs).
    CollectorHost = 62, "collector_host", (url: Text) -> Bool;
    /// Round 30: the URLs a reader's client fetches by itself (fetched.rs).
    FetchedUrls = 63, "fetched_urls", (text: Text, kind: Text) -> TextList;
    /// Round 30: where those URLs sit: none, internal, external, collector.
    FetchedScope = 64, "fetched_scope", (urls: Json, org_domain: Text) -> OneOf(FETCH_SCOPES);
    /// Round 30: a Terraform variable file (secretdata.rs).
    SecretDataPath = 65, "secret_data_path", (path: Text) -> Bool;
    /// Round 30: a statement naming a credential table or column.
    SqlNamesSecrets = 66, "sql_names_secrets", (sql: Text) -> Bool;
    /// Round 33: whose repository a plain `git remote add|set-url NAME URL`
    /// points a remote at (removal.rs `git_remote_set`, repos.rs).
    GitRemoteOwner = 67, "git_remote_owner", (cmd: Text, owners: Json, org_domain: Text) -> OneOf(REMOTE_OWNER_SCOPES);
}

impl Builtin {
    /// The builtin a policy names, if any.
    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.name() == name)
    }

    /// The names, for "did you mean" and help texts.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Builtin::ALL.iter().map(|b| b.name())
    }

    /// The signature as the language reference shows it:
    /// `shell_kind(cmd: string) -> enum { read_only, … }`.
    pub fn signature_text(self) -> String {
        let sig = self.signature();
        let params: Vec<String> = sig
            .params
            .iter()
            .map(|p| format!("{}: {}", p.name, p.ty))
            .collect();
        format!("{}({}) -> {}", self.name(), params.join(", "), sig.ret)
    }
}

impl fmt::Display for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<Builtin> for u8 {
    fn from(b: Builtin) -> u8 {
        b.id()
    }
}

/// A byte that is no builtin's id (a bundle from a newer compiler).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownBuiltin(pub u8);

impl fmt::Display for UnknownBuiltin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown builtin id {}", self.0)
    }
}

impl TryFrom<u8> for Builtin {
    type Error = UnknownBuiltin;
    fn try_from(id: u8) -> Result<Builtin, UnknownBuiltin> {
        Builtin::from_id(id).ok_or(UnknownBuiltin(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_round_trip_and_are_unique() {
        for (i, b) in Builtin::ALL.iter().enumerate() {
            assert_eq!(Builtin::from_id(b.id()), Some(*b));
            assert_eq!(Builtin::from_name(b.name()), Some(*b));
            // Ids are dense today (a removed builtin would leave a gap).
            assert_eq!(usize::from(b.id()), i, "{b}");
        }
        // Ids are frozen, so a new builtin takes the next id whatever its
        // name: ALL is in id order, and names are unique.
        let mut names: Vec<&str> = Builtin::names().collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Builtin::ALL.len());
        assert_eq!(Builtin::from_name("shell_kinds"), None);
        assert_eq!(Builtin::from_id(200), None);
    }

    #[test]
    fn a_builtin_is_one_byte_on_the_wire() {
        let bytes = postcard::to_allocvec(&Builtin::ShellKind).unwrap_or_default();
        assert_eq!(bytes, vec![24]);
        assert_eq!(
            postcard::from_bytes::<Builtin>(&[24]).ok(),
            Some(Builtin::ShellKind)
        );
        // An id no builtin has is refused, not read as some other builtin.
        assert!(postcard::from_bytes::<Builtin>(&[250]).is_err());
    }

    #[test]
    fn signatures_read_like_the_language_reference() {
        assert_eq!(
            Builtin::RecipientScope.signature_text(),
            "recipient_scope(recipients: string | list<string>, org_domain: string) -> enum { self, internal, external }"
        );
        assert_eq!(Builtin::First.signature_text(), "first(a: T, b: T) -> T");
        for b in Builtin::ALL {
            let sig = b.signature();
            // `T` is a result only where the arguments fix it.
            if sig.ret == Ty::Same {
                assert!(sig.params.iter().all(|p| p.ty == Ty::Same), "{b}");
            }
        }
    }
}

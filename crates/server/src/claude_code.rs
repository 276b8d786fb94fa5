//! Claude Code's hooks (docs/integrations.md): the `PreToolUse` event's
//! JSON read into a raw tool-call request, and a decision written back as
//! the answer the host reads. `permit0 hook claude-code` (a command hook)
//! and `POST /v1/hooks/claude-code` (an `http` hook) share both halves, so
//! the two read a payload alike and answer alike.
//!
//! The host runs the tool unless the answer says otherwise: a command hook
//! that exits with a status other than 0 or 2, or an http hook that
//! answers other than 2xx, is a *non-blocking* error. So every failure is
//! answered as a decision (`deny`, or `ask`), never as an error status.

use crate::api::{authorize, ApiError};
use crate::App;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value as Json};
use std::sync::Arc;

/// The one event decided; every other passes through unanswered.
pub const PRE_TOOL_USE: &str = "PreToolUse";

/// What a hook payload asks.
#[derive(Debug, PartialEq)]
pub enum Payload {
    /// A `PreToolUse` event, as the raw tool-call request permit0 decides:
    /// `{"tool", "args", "context": {"workspace"}, "session": {"id"}}`.
    PreToolUse(Json),
    /// Another event (named): not ours to answer.
    Other(String),
}

/// Reads a hook payload strictly. The request decided holds only what the
/// host vouches for: `tool_name` as the tool, `tool_input` as its
/// arguments (checked by the tool's mapping like any raw call), the
/// workspace, and `session_id` as the session. Any other member
/// (`transcript_path`, `permission_mode`, `tool_use_id`, or a `context` or
/// `session` section someone added) is never read, so nothing beside the
/// tool's own input can loosen a decision. A key given twice anywhere,
/// text that is not one JSON object, or a missing or mistyped field is an
/// error: the caller denies.
///
/// The workspace is `project` when the caller pins one (the project
/// directory), else `cwd`. `cwd` is where the agent's shell stands now, and
/// the agent moves it: after `cd /`, a workspace read from `cwd` would make
/// the whole disk "inside". So a pinned project stays the workspace
/// wherever the shell goes, and a `Bash` command is read relative to `cwd`
/// (its `cwd` argument), where the shell will run it.
pub fn read(body: &[u8], project: Option<&str>) -> Result<Payload, String> {
    let v = permit0_vm::parse_request(body)
        .map_err(|e| format!("the hook input is not one well-formed JSON object: {e}"))?;
    let Json::Object(o) = v else {
        return Err("the hook input is not a JSON object".into());
    };
    let event = text(&o, "hook_event_name")?;
    if event != PRE_TOOL_USE {
        return Ok(Payload::Other(event.to_string()));
    }
    let tool = text(&o, "tool_name")?;
    let session = text(&o, "session_id")?;
    let cwd = text(&o, "cwd")?;
    if !is_absolute(cwd) {
        return Err(format!("`cwd` is `{cwd}`, not an absolute path"));
    }
    let workspace = match project {
        Some(p) if is_absolute(p) => p,
        Some(p) => {
            return Err(format!(
                "the project directory `{p}` is not an absolute path"
            ))
        }
        None => cwd,
    };
    let mut args = match o.get("tool_input") {
        Some(Json::Object(a)) => a.clone(),
        Some(_) => return Err("`tool_input` is not a JSON object".into()),
        None => return Err("the PreToolUse input has no `tool_input`".into()),
    };
    if SEARCH_TOOLS.contains(&tool) {
        // Where the search runs: its `path`, else the shell's directory; a
        // relative one is relative to it, not to the project.
        let here = match args.get("path") {
            None | Some(Json::Null) => cwd.to_string(),
            Some(Json::String(p)) if is_absolute(p) => p.clone(),
            Some(Json::String(p)) => format!("{}/{p}", cwd.trim_end_matches('/')),
            Some(_) => return Err("`tool_input.path` is not a string".into()),
        };
        args.insert("path".into(), Json::String(here));
    }
    if FILE_TOOLS.contains(&tool) {
        // Claude Code resolves a relative file path where the shell stands
        // (`cwd`), the stdlib reads it in the workspace: after `cd
        // /etc/cron.d`, `Write job` would be "a file inside the project"
        // here and /etc/cron.d/job there. Where the two are one place the
        // path is joined to it; where the shell stands elsewhere the path
        // could be read two ways, and is refused (Claude is told to give
        // an absolute one).
        for field in FILE_FIELDS {
            let Some(Json::String(p)) = args.get(field) else {
                continue;
            };
            if is_absolute(p) || p.starts_with('~') {
                continue;
            }
            if !same_dir(cwd, workspace) {
                return Err(format!(
                    "`tool_input.{field}` is the relative path `{p}`, and the shell stands in `{cwd}`, outside the project `{workspace}`: give an absolute path"
                ));
            }
            let joined = format!("{}/{p}", cwd.trim_end_matches('/'));
            args.insert(field.into(), Json::String(joined));
        }
    }
    if tool == SHELL_TOOL {
        match args.get("cwd") {
            None => {
                args.insert("cwd".into(), Json::String(cwd.into()));
            }
            Some(Json::String(c)) if c == cwd => {}
            // Claude Code's Bash takes no `cwd`: one that names another
            // directory than the host's is not the host's.
            Some(_) => return Err("`tool_input.cwd` disagrees with the hook input's `cwd`".into()),
        }
    }
    Ok(Payload::PreToolUse(json!({
        "tool": tool,
        "args": Json::Object(args),
        "context": {"workspace": workspace},
        "session": {"id": session},
    })))
}

/// Claude Code's shell tool: its commands run where the agent's shell
/// stands (the payload's `cwd`).
const SHELL_TOOL: &str = "Bash";

/// Claude Code's tools that search or list a folder: without a `path` they
/// search the shell's directory.
const SEARCH_TOOLS: [&str; 3] = ["Glob", "Grep", "LS"];

/// Claude Code's tools that read or change one file, and the members that
/// name it.
const FILE_TOOLS: [&str; 6] = [
    "Read",
    "Write",
    "Edit",
    "MultiEdit",
    "NotebookEdit",
    "NotebookRead",
];
const FILE_FIELDS: [&str; 3] = ["file_path", "path", "notebook_path"];

/// Whether two absolute directories are spelt as one (a trailing `/` aside).
fn same_dir(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// `/…`, or a Windows drive path (`C:\…`, `C:/…`).
fn is_absolute(p: &str) -> bool {
    let b = p.as_bytes();
    p.starts_with('/') || matches!(b, [d, b':', b'\\' | b'/', ..] if d.is_ascii_alphabetic())
}

/// A required non-empty string member.
fn text<'a>(o: &'a Map<String, Json>, key: &str) -> Result<&'a str, String> {
    match o.get(key) {
        Some(Json::String(s)) if !s.is_empty() => Ok(s),
        Some(Json::String(_)) => Err(format!("`{key}` is empty")),
        Some(_) => Err(format!("`{key}` is not a string")),
        None => Err(format!("the hook input has no `{key}`")),
    }
}

/// The host's three answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    Allow,
    Deny,
    Ask,
}

impl Permission {
    pub fn name(self) -> &'static str {
        match self {
            Permission::Allow => "allow",
            Permission::Deny => "deny",
            Permission::Ask => "ask",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        match s {
            "allow" => Some(Permission::Allow),
            "deny" => Some(Permission::Deny),
            "ask" => Some(Permission::Ask),
            _ => None,
        }
    }
}

/// The answer Claude Code reads from a `PreToolUse` hook.
pub fn answer(permission: Permission, reason: &str) -> Json {
    json!({
        "hookSpecificOutput": {
            "hookEventName": PRE_TOOL_USE,
            "permissionDecision": permission.name(),
            "permissionDecisionReason": reason,
        }
    })
}

/// The answer to a decision (the decision JSON of `permit0 eval` or
/// `/v1/decide`): allow → `allow`, deny → `deny`, escalate (or anything
/// else) → `ask`, its reason naming the action and rule, and for a queued
/// approval its id and, when `base_url` is known, the page that answers it.
pub fn answer_decision(decision: &Json, base_url: Option<&str>) -> (Permission, Json) {
    let verdict = decision.get("decision").and_then(Json::as_str);
    let permission = match verdict {
        Some("allow") => Permission::Allow,
        Some("deny") => Permission::Deny,
        _ => Permission::Ask,
    };
    let said = match permission {
        Permission::Allow => "allows",
        Permission::Deny => "denies",
        Permission::Ask => "escalates",
    };
    let mut reason = format!("permit0 {said}");
    if let Some(a) = decision.get("action").and_then(Json::as_str) {
        reason.push(' ');
        reason.push_str(a);
    }
    reason.push_str(": ");
    reason.push_str(
        decision
            .get("reason")
            .and_then(Json::as_str)
            .unwrap_or("no reason given"),
    );
    if let Some(r) = decision.get("rule").and_then(Json::as_str) {
        reason.push_str(&format!(" [{r}]"));
    }
    if permission == Permission::Ask {
        match decision.get("approval").and_then(Json::as_str) {
            Some(id) => match base_url.filter(|u| !u.is_empty()) {
                Some(u) => reason.push_str(&format!(
                    " — approval {id}: {}/ui/approvals/{id}",
                    u.trim_end_matches('/')
                )),
                None => reason.push_str(&format!(" — approval {id}")),
            },
            None => reason.push_str(" — a human must approve it"),
        }
    }
    (permission, answer(permission, &reason))
}

/// The answer to a failure: `on_error` (deny or ask), never allow.
pub fn answer_error(on_error: Permission, what: &str) -> Json {
    let p = match on_error {
        Permission::Allow => Permission::Deny,
        p => p,
    };
    answer(
        p,
        &format!(
            "permit0 could not decide this tool call, so it is not allowed (fail closed): {what}"
        ),
    )
}

/// `POST /v1/hooks/claude-code`: Claude Code's `http` hook. The body is
/// the hook input, the answer the same JSON as `permit0 hook claude-code`
/// prints; the key is an agent key (`Authorization: Bearer …`, which the
/// hook's `headers` send). Every failure — no or a bad key, a malformed
/// body — is a 200 with a `deny` answer: the host runs the tool on any
/// other status. Another event gets an empty 200 (no decision).
pub async fn hook(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let json_answer = |v: Json| {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            v.to_string(),
        )
            .into_response()
    };
    // A body over the server's limit is a deny too, not a 413.
    let body = match body {
        Ok(b) => b,
        Err(e) => return json_answer(answer_error(Permission::Deny, &e.body_text())),
    };
    // Another event is not ours to answer, whoever sends it.
    // An http hook has no project directory of its own: the workspace is
    // the payload's `cwd` (docs/integrations.md).
    let request = match read(&body, None) {
        Ok(Payload::PreToolUse(r)) => Ok(r),
        Ok(Payload::Other(_)) => return StatusCode::OK.into_response(),
        Err(e) => Err(e),
    };
    let key = match authorize(&app, &headers, &[crate::db::Role::Agent]) {
        Ok(k) => k,
        Err(ApiError(_, e)) => return json_answer(answer_error(Permission::Deny, &e)),
    };
    let request = match request {
        Ok(r) => r,
        Err(e) => return json_answer(answer_error(Permission::Deny, &e)),
    };
    match crate::api::decide_json(&app, &key, &request).await {
        Ok(d) => json_answer(answer_decision(&d, Some(app.base_url())).1),
        Err(ApiError(_, e)) => json_answer(answer_error(Permission::Deny, &e)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn a_payload_reads_as_the_raw_tool_call_and_nothing_else() {
        let body = br#"{"session_id":"s1","transcript_path":"/t.jsonl","cwd":"/work/proj","permission_mode":"bypassPermissions","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_use_id":"toolu_1","context":{"workspace":"/"},"session":{"id":"other"}}"#;
        assert_eq!(
            read(body, None).unwrap(),
            Payload::PreToolUse(json!({
                "tool": "Bash", "args": {"command": "ls", "cwd": "/work/proj"},
                "context": {"workspace": "/work/proj"}, "session": {"id": "s1"}
            }))
        );
    }

    /// The agent ran `cd /`: its shell stands at `/`, but the project it
    /// works on is still the workspace, and the command is read where the
    /// shell will run it.
    #[test]
    fn a_pinned_project_stays_the_workspace_wherever_the_shell_moves() {
        let body = br#"{"session_id":"s1","cwd":"/","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf etc"}}"#;
        assert_eq!(
            read(body, Some("/work/proj")).unwrap(),
            Payload::PreToolUse(json!({
                "tool": "Bash", "args": {"command": "rm -rf etc", "cwd": "/"},
                "context": {"workspace": "/work/proj"}, "session": {"id": "s1"}
            }))
        );
        // A `cwd` argument that names another place is not the host's.
        let spoofed = br#"{"session_id":"s1","cwd":"/","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf etc","cwd":"/work/proj"}}"#;
        assert!(read(spoofed, Some("/work/proj")).is_err());
        assert!(read(body, Some("relative/dir")).is_err());
    }

    /// Grep with no `path` searches where the shell stands — here `~/.ssh`
    /// — not the project; a relative path is relative to the shell too.
    #[test]
    fn a_search_without_a_path_is_read_where_the_shell_stands() {
        let body = br#"{"session_id":"s1","cwd":"/home/dev/.ssh","hook_event_name":"PreToolUse","tool_name":"Grep","tool_input":{"pattern":"PRIVATE KEY"}}"#;
        let Payload::PreToolUse(r) = read(body, Some("/work/proj")).unwrap() else {
            panic!("not a PreToolUse");
        };
        assert_eq!(r["args"]["path"], "/home/dev/.ssh");
        let body = br#"{"session_id":"s1","cwd":"/home/dev","hook_event_name":"PreToolUse","tool_name":"Glob","tool_input":{"pattern":"*","path":".aws"}}"#;
        let Payload::PreToolUse(r) = read(body, Some("/work/proj")).unwrap() else {
            panic!("not a PreToolUse");
        };
        assert_eq!(r["args"]["path"], "/home/dev/.aws");
    }

    /// After `cd /etc/cron.d`, `Write job` writes /etc/cron.d/job: a
    /// relative file path is the shell's, refused when the shell stands
    /// outside the pinned project, joined to it when it stands there.
    #[test]
    fn a_relative_file_path_is_read_where_the_shell_stands_or_refused() {
        let body = br#"{"session_id":"s1","cwd":"/etc/cron.d","hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":"job","content":"* * * * * root sh"}}"#;
        let e = read(body, Some("/work/proj")).unwrap_err();
        assert!(e.contains("absolute path"), "{e}");
        let Payload::PreToolUse(r) = read(body, None).unwrap() else {
            panic!("not a PreToolUse");
        };
        assert_eq!(r["args"]["file_path"], "/etc/cron.d/job");
        let body = br#"{"session_id":"s1","cwd":"/work/proj","hook_event_name":"PreToolUse","tool_name":"Read","tool_input":{"file_path":"src/main.rs"}}"#;
        let Payload::PreToolUse(r) = read(body, Some("/work/proj/")).unwrap() else {
            panic!("not a PreToolUse");
        };
        assert_eq!(r["args"]["file_path"], "/work/proj/src/main.rs");
        // `~` is the home folder, read as such by the stdlib: left alone.
        let body = br#"{"session_id":"s1","cwd":"/tmp","hook_event_name":"PreToolUse","tool_name":"Read","tool_input":{"file_path":"~/.aws/credentials"}}"#;
        let Payload::PreToolUse(r) = read(body, Some("/work/proj")).unwrap() else {
            panic!("not a PreToolUse");
        };
        assert_eq!(r["args"]["file_path"], "~/.aws/credentials");
    }

    #[test]
    fn a_duplicated_event_name_is_refused_not_passed_through() {
        let body = br#"{"hook_event_name":"PreToolUse","hook_event_name":"PostToolUse","session_id":"s","cwd":"/w","tool_name":"Bash","tool_input":{}}"#;
        assert!(read(body, None).is_err());
    }

    #[test]
    fn an_allow_on_error_is_still_a_deny() {
        let v = answer_error(Permission::Allow, "x");
        assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "deny");
    }
}

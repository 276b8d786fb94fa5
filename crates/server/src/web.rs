//! The approvers' web page under `/ui`: server-rendered HTML and a little
//! JavaScript, no build step. An approver (or admin) logs in with their
//! key and gets a session cookie (`HttpOnly`, `SameSite=Strict`) and a CSRF
//! token that every form posts back; then the pending queue, one approval
//! (the request, the rules that matched and the values they read, the risk,
//! the session's recent actions), approve (this payload, or a time-boxed
//! grant) or deny with a comment, and the decisions view with decisions per
//! hour by verdict.

use crate::api::{check_role, do_approve, do_deny, ApproveBody, DenyBody, GrantBody};
use crate::db::{Approval, KeyInfo, Role};
use crate::App;
use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use permit0_vm::time::{format_rfc3339_ms, now_ms};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

/// How long a page session lasts without use.
const SESSION_MS: i64 = 8 * 3_600_000;
const COOKIE: &str = "p0session";

struct PageSession {
    key: KeyInfo,
    csrf: String,
    expires_ms: i64,
}

/// Logged-in page sessions (in memory: a restart logs approvers out).
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, PageSession>>);

type Shared = State<Arc<App>>;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui") }))
        .route("/ui", get(queue))
        .route("/ui/login", get(login_page).post(login))
        .route("/ui/logout", post(logout))
        .route("/ui/approvals/{id}", get(one))
        .route("/ui/approvals/{id}/approve", post(approve))
        .route("/ui/approvals/{id}/deny", post(deny))
        .route("/ui/decisions", get(decisions))
        .route("/ui/grants", get(grants))
        .route("/ui/grants/{id}/revoke", post(revoke_grant))
}

fn random_hex() -> String {
    let mut b = [0u8; 32];
    if getrandom::fill(&mut b).is_err() {
        // Without randomness no session can be made safely: an empty id
        // matches no cookie.
        return String::new();
    }
    permit0_vm::hex(&b)
}

/// HTML-escapes text, and shows the characters that draw nothing or
/// reorder what follows as `[U+XXXX]`: an approver reads what the request
/// holds, not what it makes the page look like. A right-to-left override
/// (U+202E) in a string the agent wrote would otherwise turn the rest of
/// its line around (`"to": "<RLO>moc.rekcatta@…"` shows as another
/// address), and a zero-width space makes two different values look alike.
pub fn esc(s: &str) -> String {
    use std::fmt::Write as _;
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if invisible(c) => {
                let _ = write!(o, "[U+{:04X}]", u32::from(c));
            }
            c => o.push(c),
        }
    }
    o
}

/// Controls, and the format characters that draw nothing or change the
/// direction of text: bidirectional embeddings, overrides, isolates and
/// marks, zero-width spaces and joiners, the byte-order mark, the soft
/// hyphen, line and paragraph separators, the invisible operators, the
/// interlinear annotations and the tag characters.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{B}'..='\u{C}' | '\u{E}'..='\u{1F}' | '\u{7F}'..='\u{9F}'
        | '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{E0000}'..='\u{E0FFF}')
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The logged-in approver and the session's CSRF token, or the login page.
fn to_login() -> Response {
    Redirect::to("/ui/login").into_response()
}

fn session(app: &App, headers: &HeaderMap) -> Option<(KeyInfo, String)> {
    let sid = cookie(headers).filter(|s| !s.is_empty())?;
    let now = now_ms();
    let mut map = match app.web.0.lock() {
        Ok(m) => m,
        Err(p) => p.into_inner(),
    };
    map.retain(|_, s| s.expires_ms > now);
    let s = map.get_mut(&sid)?;
    // A key revoked since login ends the session.
    match app.db.find_key_by_id(&s.key.id) {
        Ok(Some(k)) if k.revoked_ms.is_none() => {}
        _ => {
            map.remove(&sid);
            return None;
        }
    }
    s.expires_ms = now + SESSION_MS;
    Some((s.key.clone(), s.csrf.clone()))
}

fn page(title: &str, who: Option<&KeyInfo>, csrf: &str, body: &str) -> Html<String> {
    let nav = match who {
        Some(k) => format!(
            r#"<nav><a href="/ui">Pending</a> <a href="/ui/decisions">Decisions</a> <a href="/ui/grants">Grants</a>
<span class="who">{} · tenant {}</span>
<form method="post" action="/ui/logout" class="inline"><input type="hidden" name="csrf" value="{}"><button>Log out</button></form></nav>"#,
            esc(if k.name.is_empty() { &k.id } else { &k.name }),
            esc(&k.tenant),
            esc(csrf)
        ),
        None => String::new(),
    };
    Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · permit0</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }}
header {{ background: #1d2330; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1.5rem; align-items: center; }}
header a {{ color: #fff; margin-right: 1rem; }} .who {{ opacity: .8; margin: 0 1rem; }}
main {{ padding: 1rem 1.2rem; max-width: 72rem; }}
table {{ border-collapse: collapse; width: 100%; background: #fff; }}
th, td {{ text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e3e6ea; vertical-align: top; }}
pre {{ background: #fff; padding: .8rem; overflow: auto; border: 1px solid #e3e6ea; }}
.allow {{ color: #17733a; }} .deny {{ color: #b42318; }} .escalate {{ color: #a15c00; }}
.card {{ background: #fff; border: 1px solid #e3e6ea; padding: .8rem 1rem; margin: .8rem 0; }}
form.inline {{ display: inline; }} label {{ display: block; margin: .3rem 0; }}
button {{ padding: .35rem .9rem; }} .error {{ color: #b42318; font-weight: 600; }}
</style></head>
<body><header><strong>permit0</strong>{nav}</header><main>
{body}
</main></body></html>"#,
        title = esc(title)
    ))
}

async fn login_page() -> Html<String> {
    login_form(None)
}

fn login_form(error: Option<&str>) -> Html<String> {
    let err = error
        .map(|e| format!(r#"<p class="error" id="error">{}</p>"#, esc(e)))
        .unwrap_or_default();
    page(
        "Log in",
        None,
        "",
        &format!(
            r#"<h1>Approvals</h1>{err}
<form method="post" action="/ui/login" class="card">
<label>Approver key <input type="password" name="key" id="key" size="60" autocomplete="off" required></label>
<button id="login">Log in</button></form>"#
        ),
    )
}

async fn login(State(app): Shared, Form(f): Form<HashMap<String, String>>) -> Response {
    let text = f.get("key").map(|k| k.trim()).unwrap_or("");
    let key = match app.db.find_key(text) {
        Ok(Some(k)) if k.revoked_ms.is_none() => k,
        _ => {
            return (
                StatusCode::UNAUTHORIZED,
                login_form(Some("unknown or revoked key")),
            )
                .into_response()
        }
    };
    if check_role(&key, &[Role::Approver, Role::Admin]).is_err() {
        return (
            StatusCode::FORBIDDEN,
            login_form(Some("this key cannot approve: log in with an approver key")),
        )
            .into_response();
    }
    let sid = random_hex();
    let csrf = random_hex();
    if sid.is_empty() || csrf.is_empty() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "no randomness").into_response();
    }
    if let Ok(mut m) = app.web.0.lock() {
        m.insert(
            sid.clone(),
            PageSession {
                key,
                csrf,
                expires_ms: now_ms() + SESSION_MS,
            },
        );
    }
    (
        [(
            header::SET_COOKIE,
            format!("{COOKIE}={sid}; HttpOnly; SameSite=Strict; Path=/"),
        )],
        Redirect::to("/ui"),
    )
        .into_response()
}

/// The CSRF token a form posted matches the session's.
fn csrf_ok(f: &HashMap<String, String>, csrf: &str) -> bool {
    f.get("csrf").is_some_and(|c| !csrf.is_empty() && c == csrf)
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        "the form's CSRF token does not match this session: reload the page",
    )
        .into_response()
}

async fn logout(
    State(app): Shared,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if let Some((_, csrf)) = session(&app, &headers) {
        if !csrf_ok(&f, &csrf) {
            return forbidden();
        }
        if let (Some(sid), Ok(mut m)) = (cookie(&headers), app.web.0.lock()) {
            m.remove(&sid);
        }
    }
    (
        [(header::SET_COOKIE, format!("{COOKIE}=; Max-Age=0; Path=/"))],
        Redirect::to("/ui/login"),
    )
        .into_response()
}

/// The amount a queue row shows: the one the rules read — bound and typed,
/// whichever argument or tool mapping it came from — and only when no rule
/// read one, the request's `args.amount` as sent, marked as such. An
/// approver must not be shown a figure the decision did not see.
fn amount_of(a: &Approval) -> String {
    let read = a
        .explanation
        .as_ref()
        .and_then(|e| e.get("matched"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .find_map(|m| m.pointer("/read/amount").filter(|v| !v.is_null()));
    match (read, a.request.pointer("/args/amount")) {
        (Some(v), _) => v.to_string(),
        (None, Some(v)) => format!("{v} (as sent; no rule read it)"),
        (None, None) => String::new(),
    }
}

fn time(ms: i64) -> String {
    format_rfc3339_ms(ms)
}

async fn queue(State(app): Shared, headers: HeaderMap) -> Response {
    let Some((key, csrf)) = session(&app, &headers) else {
        return to_login();
    };
    let list = app
        .db
        .approvals(&key.tenant, Some("pending"), 200)
        .unwrap_or_default();
    let mut rows = String::new();
    for a in &list {
        let _ = write!(
            rows,
            r#"<tr class="approval"><td><a href="/ui/approvals/{id}" id="open-{id}">{action}</a></td><td>{amount}</td><td>{session}</td><td>{actor}</td><td>{reason}</td><td>{tier}</td><td>{at}</td></tr>"#,
            id = esc(&a.id),
            action = esc(a.action.as_deref().unwrap_or("?")),
            amount = esc(&amount_of(a)),
            session = esc(a.session.as_deref().unwrap_or("")),
            actor = esc(a.actor.as_deref().unwrap_or("")),
            reason = esc(a.outcome.get("reason").and_then(Json::as_str).unwrap_or("")),
            tier = esc(a
                .outcome
                .pointer("/risk/tier")
                .and_then(Json::as_str)
                .unwrap_or("")),
            at = time(a.created_ms),
        );
    }
    let body = if list.is_empty() {
        r#"<h1>Pending approvals</h1><p id="empty">Nothing is waiting for you.</p>"#.to_string()
    } else {
        format!(
            r#"<h1>Pending approvals ({n})</h1><table id="queue"><tr><th>Action</th><th>Amount</th><th>Session</th><th>Actor</th><th>Why</th><th>Risk</th><th>Since</th></tr>{rows}</table>"#,
            n = list.len()
        )
    };
    // A little JavaScript: the queue refreshes itself while nobody types.
    let body = format!(
        "{body}<script>setTimeout(function () {{ if (!document.activeElement || document.activeElement === document.body) location.reload(); }}, 10000);</script>"
    );
    page("Pending approvals", Some(&key), &csrf, &body).into_response()
}

fn matched_table(explain: Option<&Json>) -> String {
    let Some(matched) = explain
        .and_then(|e| e.get("matched"))
        .and_then(Json::as_array)
    else {
        return "<p>No rule explanation (the request could not be bound).</p>".into();
    };
    let mut o = String::from(
        r#"<table id="matched"><tr><th>Rule</th><th>Effect</th><th>Reason</th><th>Values read</th></tr>"#,
    );
    for m in matched {
        let reads = m
            .get("read")
            .and_then(Json::as_object)
            .map(|r| {
                r.iter()
                    .map(|(k, v)| format!("{} = {}", esc(k), esc(&v.to_string())))
                    .collect::<Vec<_>>()
                    .join("<br>")
            })
            .unwrap_or_default();
        let effect = m.get("effect").and_then(Json::as_str).unwrap_or("");
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td class="{}">{}</td><td>{}</td><td>{}</td></tr>"#,
            esc(m.get("rule").and_then(Json::as_str).unwrap_or("")),
            esc(effect),
            esc(effect),
            esc(m.get("reason").and_then(Json::as_str).unwrap_or("")),
            reads
        );
    }
    o.push_str("</table>");
    o
}

async fn one(State(app): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let Some((key, csrf)) = session(&app, &headers) else {
        return to_login();
    };
    render_one(&app, &key, &csrf, &id, None)
}

fn render_one(app: &App, key: &KeyInfo, csrf: &str, id: &str, error: Option<&str>) -> Response {
    let a = match app.db.approval(&key.tenant, id) {
        Ok(Some(a)) => a,
        _ => {
            return (
                StatusCode::NOT_FOUND,
                page("Not found", Some(key), csrf, "<p>No such approval.</p>"),
            )
                .into_response()
        }
    };
    let risk = a.outcome.get("risk").cloned().unwrap_or(Json::Null);
    let flags = risk
        .get("flags")
        .and_then(Json::as_array)
        .map(|f| {
            f.iter()
                .filter_map(Json::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let recent = match &a.session {
        Some(s) => app
            .db
            .session_decisions(&a.tenant, s, 20)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let mut recent_rows = String::new();
    for d in &recent {
        let _ = write!(
            recent_rows,
            r#"<tr><td>{}</td><td>{}</td><td class="{v}">{v}</td><td>{}</td></tr>"#,
            time(d.time_ms),
            esc(d.action.as_deref().unwrap_or("?")),
            esc(&d.reason),
            v = esc(&d.verdict)
        );
    }
    let answer = if a.state == "pending" {
        let action = esc(a.action.as_deref().unwrap_or(""));
        format!(
            r#"<div class="card"><h2>Answer</h2>
<form method="post" action="/ui/approvals/{id}/approve" id="approve-form">
<input type="hidden" name="csrf" value="{csrf}">
<label>Comment <input name="comment" id="comment" size="60"></label>
<label>Token limit on <code>amount</code> (optional) <input name="max_amount" type="number"></label>
<fieldset><legend>Also allow later requests like it (a grant)</legend>
<label><input type="checkbox" name="grant" value="1" id="grant"> grant</label>
<label>Action pattern <input name="grant_action" value="{action}"> (a name, <code>prefix.*</code> or <code>*</code>)</label>
<label>For this <select name="grant_scope"><option value="session">session</option><option value="actor">actor</option></select></label>
<label>For <input name="grant_minutes" type="number" value="60" min="1"> minutes</label>
<label>Amount at most <input name="grant_max_amount" type="number"> (optional)</label>
</fieldset>
<button id="approve">Approve</button></form>
<form method="post" action="/ui/approvals/{id}/deny" id="deny-form">
<input type="hidden" name="csrf" value="{csrf}">
<label>Comment <input name="comment" size="60"></label>
<button id="deny">Deny</button></form></div>"#,
            id = esc(&a.id),
            csrf = esc(csrf),
        )
    } else {
        format!(
            r#"<div class="card" id="answered"><h2>{state}</h2><p>by {by} at {at}{comment}{grant}</p></div>"#,
            state = esc(&a.state),
            by = esc(a.decided_by.as_deref().unwrap_or("")),
            at = a.decided_ms.map(time).unwrap_or_default(),
            comment = a
                .comment
                .as_deref()
                .filter(|c| !c.is_empty())
                .map(|c| format!(": {}", esc(c)))
                .unwrap_or_default(),
            grant = a
                .grant_id
                .as_deref()
                .map(|g| format!(" (grant {})", esc(g)))
                .unwrap_or_default(),
        )
    };
    let err = error
        .map(|e| format!(r#"<p class="error" id="error">{}</p>"#, esc(e)))
        .unwrap_or_default();
    let body = format!(
        r#"<h1>{action} <small id="state">{state}</small></h1>{err}
<p>{reason}</p>
<div class="card"><h2>Risk</h2><p>score <strong id="score">{score}</strong> · tier <strong>{tier}</strong> · flags {flags}</p></div>
<div class="card"><h2>Request</h2><p>session <code>{session}</code> · actor <code>{actor}</code> · digest <code>{digest}</code></p><pre id="request">{request}</pre></div>
<div class="card"><h2>Rules that matched, and the values they read</h2>{matched}</div>
<div class="card"><h2>The session's recent actions</h2><table id="recent"><tr><th>When</th><th>Action</th><th>Decision</th><th>Why</th></tr>{recent_rows}</table></div>
{answer}
<script>
// A little JavaScript: confirm before answering.
document.querySelectorAll('form[id$="-form"]').forEach(function (f) {{
  f.addEventListener('submit', function (e) {{ if (window.p0NoConfirm) return; if (!confirm(f.id === 'deny-form' ? 'Deny this request?' : 'Approve this request?')) e.preventDefault(); }});
}});
</script>"#,
        action = esc(a.action.as_deref().unwrap_or("?")),
        state = esc(&a.state),
        reason = esc(a.outcome.get("reason").and_then(Json::as_str).unwrap_or("")),
        score = risk.get("score").map(|s| s.to_string()).unwrap_or_default(),
        tier = esc(risk.get("tier").and_then(Json::as_str).unwrap_or("")),
        flags = esc(&flags),
        session = esc(a.session.as_deref().unwrap_or("-")),
        actor = esc(a.actor.as_deref().unwrap_or("-")),
        digest = esc(a.action_digest.as_deref().unwrap_or("-")),
        request = esc(&serde_json::to_string_pretty(&a.request).unwrap_or_default()),
        matched = matched_table(a.explanation.as_ref()),
    );
    page(&format!("Approval {}", a.id), Some(key), csrf, &body).into_response()
}

fn num(f: &HashMap<String, String>, k: &str) -> Result<Option<i64>, String> {
    match f.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| format!("`{k}` is not a whole number")),
    }
}

async fn approve(
    State(app): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some((key, csrf)) = session(&app, &headers) else {
        return to_login();
    };
    if !csrf_ok(&f, &csrf) {
        return forbidden();
    }
    let body = (|| -> Result<ApproveBody, String> {
        let grant = if f.get("grant").is_some_and(|g| g == "1") {
            Some(GrantBody {
                action: f
                    .get("grant_action")
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
                scope: f
                    .get("grant_scope")
                    .cloned()
                    .unwrap_or_else(|| "session".into()),
                minutes: num(&f, "grant_minutes")?
                    .and_then(|m| u64::try_from(m).ok())
                    .unwrap_or(0),
                max_amount: num(&f, "grant_max_amount")?,
            })
        } else {
            None
        };
        Ok(ApproveBody {
            comment: f.get("comment").cloned().filter(|c| !c.trim().is_empty()),
            max_amount: num(&f, "max_amount")?,
            ttl_seconds: None,
            grant,
        })
    })();
    let result = body.and_then(|b| do_approve(&app, &key, &id, &b).map_err(|e| e.1));
    match result {
        Ok(_) => Redirect::to(&format!("/ui/approvals/{id}")).into_response(),
        Err(e) => render_one(&app, &key, &csrf, &id, Some(&e)),
    }
}

async fn deny(
    State(app): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some((key, csrf)) = session(&app, &headers) else {
        return to_login();
    };
    if !csrf_ok(&f, &csrf) {
        return forbidden();
    }
    let b = DenyBody {
        comment: f.get("comment").cloned().filter(|c| !c.trim().is_empty()),
    };
    match do_deny(&app, &key, &id, &b) {
        Ok(_) => Redirect::to(&format!("/ui/approvals/{id}")).into_response(),
        Err(e) => render_one(&app, &key, &csrf, &id, Some(&e.1)),
    }
}

/// An inline SVG bar chart: decisions per hour by verdict, the last 24 hours.
fn chart(rows: &[(i64, String, i64)], now: i64) -> String {
    let first = (now / 3_600_000 - 23) * 3_600_000;
    let mut hours = [[0i64; 3]; 24];
    for (hour, verdict, n) in rows {
        let i = usize::try_from((hour - first) / 3_600_000).unwrap_or(usize::MAX);
        let v = match verdict.as_str() {
            "allow" => 0,
            "escalate" => 1,
            _ => 2,
        };
        if let Some(slot) = hours.get_mut(i).and_then(|h| h.get_mut(v)) {
            *slot += n;
        }
    }
    let max = hours
        .iter()
        .map(|h| h.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut o = String::from(
        r#"<svg id="chart" viewBox="0 0 720 170" width="720" height="170" role="img" aria-label="decisions per hour by verdict">"#,
    );
    let colors = ["#17733a", "#a15c00", "#b42318"];
    for (i, h) in hours.iter().enumerate() {
        let x = i * 30 + 4;
        let mut y = 150i64;
        for (v, n) in h.iter().enumerate() {
            let height = n * 140 / max;
            y -= height;
            if *n > 0 {
                let _ = write!(
                    o,
                    r#"<rect x="{x}" y="{y}" width="22" height="{height}" fill="{}"><title>{n}</title></rect>"#,
                    colors.get(v).unwrap_or(&"#888")
                );
            }
        }
        if i % 3 == 0 {
            let label = format_rfc3339_ms(first + i64::try_from(i).unwrap_or(0) * 3_600_000);
            let _ = write!(
                o,
                r#"<text x="{x}" y="165" font-size="10">{}</text>"#,
                esc(label.get(11..16).unwrap_or(""))
            );
        }
    }
    o.push_str("</svg>");
    o
}

async fn decisions(State(app): Shared, headers: HeaderMap) -> Response {
    let Some((key, csrf)) = session(&app, &headers) else {
        return to_login();
    };
    let now = now_ms();
    let per_hour = app
        .db
        .decisions_per_hour(&key.tenant, (now / 3_600_000 - 23) * 3_600_000)
        .unwrap_or_default();
    let recent = app
        .db
        .recent_decisions(&key.tenant, 100)
        .unwrap_or_default();
    let mut rows = String::new();
    for d in &recent {
        let link = d
            .approval
            .as_deref()
            .map(|a| format!(r#"<a href="/ui/approvals/{0}">{0}</a>"#, esc(a)))
            .unwrap_or_default();
        let _ = write!(
            rows,
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td class="{v}">{v}</td><td>{}</td><td>{link}</td></tr>"#,
            time(d.time_ms),
            esc(d.action.as_deref().unwrap_or("?")),
            esc(d.session.as_deref().unwrap_or("")),
            esc(&d.reason),
            v = esc(&d.verdict)
        );
    }
    let body = format!(
        r#"<h1>Decisions</h1><div class="card"><h2>Per hour, last 24 hours</h2>{chart}
<p><span class="allow">■ allow</span> <span class="escalate">■ escalate</span> <span class="deny">■ deny</span></p></div>
<table id="decisions"><tr><th>When</th><th>Action</th><th>Session</th><th>Decision</th><th>Why</th><th>Approval</th></tr>{rows}</table>"#,
        chart = chart(&per_hour, now)
    );
    page("Decisions", Some(&key), &csrf, &body).into_response()
}

async fn grants(State(app): Shared, headers: HeaderMap) -> Response {
    let Some((key, csrf)) = session(&app, &headers) else {
        return to_login();
    };
    let now = now_ms();
    let list = app.db.grants(&key.tenant).unwrap_or_default();
    let mut rows = String::new();
    for g in &list {
        let live = g.expires_ms > now;
        let action = if live {
            format!(
                r#"<form method="post" action="/ui/grants/{id}/revoke" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button id="revoke-{id}">Revoke</button></form>"#,
                id = esc(&g.id),
                csrf = esc(&csrf)
            )
        } else {
            "ended".to_string()
        };
        let _ = write!(
            rows,
            r#"<tr><td>{}</td><td>{}</td><td>{} <code>{}</code>, {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{action}</td></tr>"#,
            esc(&g.id),
            esc(&g.action),
            esc(&g.scope),
            esc(&g.subject),
            match &g.agent_key {
                Some(k) => match app.db.find_key_by_id(k).ok().flatten() {
                    Some(info) =>
                        format!("agent key <code>{}</code> ({})", esc(k), esc(&info.name)),
                    None => format!("agent key <code>{}</code>", esc(k)),
                },
                None => "no agent key (covers nothing)".to_string(),
            },
            g.max_amount
                .map(|m| m.to_string())
                .unwrap_or_else(|| "-".into()),
            time(g.expires_ms),
            g.uses,
            esc(&g.created_by),
        );
    }
    let body = format!(
        r#"<h1>Grants</h1><table id="grants"><tr><th>Grant</th><th>Actions</th><th>For</th><th>Amount at most</th><th>Until</th><th>Uses</th><th>By</th><th></th></tr>{rows}</table>"#
    );
    page("Grants", Some(&key), &csrf, &body).into_response()
}

async fn revoke_grant(
    State(app): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some((key, csrf)) = session(&app, &headers) else {
        return to_login();
    };
    if !csrf_ok(&f, &csrf) {
        return forbidden();
    }
    let _ = crate::api::do_revoke_grant(&app, &key, &id);
    Redirect::to("/ui/grants").into_response()
}

/// Tells the configured webhooks about a new pending approval (off the
/// decide path: queued for a background task).
pub fn notify(app: &App, tenant: &str, id: &str, decision: &Json, request: &Json) {
    crate::webhooks::enqueue(app, tenant, id, decision, request);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn approval(request: Json, explanation: Option<Json>) -> Approval {
        Approval {
            id: "ap_1".into(),
            tenant: "t".into(),
            state: "pending".into(),
            request,
            outcome: json!({}),
            explanation,
            action: None,
            action_digest: None,
            session: None,
            actor: None,
            created_ms: 0,
            decided_ms: None,
            decided_by: None,
            comment: None,
            token: None,
            grant_id: None,
            audit: None,
            agent_key: None,
        }
    }

    #[test]
    fn the_queue_shows_the_amount_the_rules_read_not_the_one_spelt() {
        // A raw refund tool whose mapping reads `amount_cents`: the rules saw
        // 9,000,000; a decoy `amount` of 900 in the same arguments must not
        // be what the approver reads in the queue.
        let a = approval(
            json!({"tool": "stripe_refund", "args": {"amount_cents": 9_000_000, "amount": 900}}),
            Some(json!({"matched": [
                {"rule": "r:1", "effect": "escalate", "read": {"actor.role": "x"}},
                {"rule": "r:2", "effect": "escalate", "read": {"amount": 9_000_000}}
            ]})),
        );
        assert_eq!(amount_of(&a), "9000000");
    }

    #[test]
    fn an_amount_no_rule_read_is_marked_as_sent() {
        let a = approval(json!({"action": "x", "args": {"amount": 900}}), None);
        assert_eq!(amount_of(&a), "900 (as sent; no rule read it)");
        let none = approval(json!({"action": "x", "args": {}}), None);
        assert_eq!(amount_of(&none), "");
    }
}

//! The HTTP API under `/v1` (docs/server.md; `GET /v1/openapi.json`).

use crate::db::{
    deferred, Answer, Approval, DbError, Grant, KeyInfo, NewApproval, NewDecision, Role,
};
use crate::{store, App};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json as AxJson, Router};
use permit0_audit::token::{self, Basis, Claims, SpentNonces};
use permit0_authorizer::Verdict;
use permit0_vm::time::now_ms;
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Shared = State<Arc<App>>;

/// An error answer: a status and a reason, as `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.0, AxJson(json!({ "error": self.1 }))).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.into())
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

type ApiResult<T> = Result<T, ApiError>;

/// Per-key token buckets. Where the store is shared (Redis), each
/// replica also adds what it allowed to a per-key count of the current
/// second in the store ([`RateLimiter::share`], every 50 ms); a key over
/// `rate + burst` in a second across all replicas is refused on every
/// replica until the second ends.
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
    shared: Mutex<SharedRate>,
}

#[derive(Default)]
struct SharedRate {
    /// Allowed here since the last share.
    used: HashMap<String, u64>,
    /// Keys over their rate across replicas, with the second (since the
    /// epoch) they are refused in.
    over: HashMap<String, i64>,
}

impl RateLimiter {
    pub fn new(rate: f64, burst: f64) -> RateLimiter {
        RateLimiter {
            rate,
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
            shared: Mutex::new(SharedRate::default()),
        }
    }

    /// Takes one request's token; `false` when the key is over its rate.
    pub fn allow(&self, key: &str) -> bool {
        if self.rate <= 0.0 {
            return true;
        }
        let now = Instant::now();
        let Ok(mut b) = self.buckets.lock() else {
            return true;
        };
        let (tokens, last) = b.entry(key.to_string()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.burst);
        *last = now;
        if *tokens < 1.0 {
            return false;
        }
        if let Ok(mut sh) = self.shared.lock() {
            if sh.over.get(key) == Some(&(now_ms() / 1000)) {
                return false;
            }
            *sh.used.entry(key.to_string()).or_default() += 1;
        }
        *tokens -= 1.0;
        true
    }

    /// Adds what this replica allowed to the store's counts of this second
    /// and marks the keys over `rate + burst` across replicas (a store that
    /// is not shared keeps nothing: then only the local buckets count).
    pub fn share(&self, db: &dyn crate::state::StateStore) {
        if self.rate <= 0.0 {
            return;
        }
        let used: Vec<(String, u64)> = match self.shared.lock() {
            Ok(mut sh) => sh.used.drain().collect(),
            Err(_) => return,
        };
        let second = now_ms() / 1000;
        let Ok(totals) = db.share_rates(&used, second) else {
            return;
        };
        if let Ok(mut sh) = self.shared.lock() {
            sh.over.retain(|_, s| *s >= second);
            for ((k, _), total) in used.iter().zip(totals) {
                if total as f64 > self.rate + self.burst {
                    sh.over.insert(k.clone(), second);
                }
            }
        }
    }
}

/// The caller, from `Authorization: Bearer <key>`: 401 for a missing,
/// unknown or revoked key, 403 for a role not in `roles`, 429 over the
/// key's rate.
pub fn authorize(app: &App, headers: &HeaderMap, roles: &[Role]) -> ApiResult<KeyInfo> {
    let unauth = |m: &str| ApiError(StatusCode::UNAUTHORIZED, m.to_string());
    let text = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| unauth("no API key: send `Authorization: Bearer <key>`"))?;
    let key = app
        .db
        .find_key(text)
        .map_err(internal)?
        .ok_or_else(|| unauth("unknown API key"))?;
    if key.revoked_ms.is_some() {
        return Err(unauth("this API key was revoked"));
    }
    check_role(&key, roles)?;
    if !app.rate.allow(&key.id) {
        app.metrics.rate_limited();
        return Err(ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            "this API key is over its rate limit; retry later".into(),
        ));
    }
    Ok(key)
}

pub fn check_role(key: &KeyInfo, roles: &[Role]) -> ApiResult<()> {
    if roles.contains(&key.role) {
        return Ok(());
    }
    let names: Vec<&str> = roles.iter().map(|r| r.name()).collect();
    Err(ApiError(
        StatusCode::FORBIDDEN,
        format!(
            "a key of role `{}` may not do this (it takes {})",
            key.role.name(),
            names.join(" or ")
        ),
    ))
}

const AGENT: &[Role] = &[Role::Agent];
const APPROVER: &[Role] = &[Role::Approver, Role::Admin];
const ADMIN: &[Role] = &[Role::Admin];
const ANY: &[Role] = &[Role::Agent, Role::Approver, Role::Admin];

pub fn router(app: Arc<App>) -> Router {
    let max_body = app.limits.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/decide", post(decide))
        .route("/v1/decide/batch", post(decide_batch))
        .route("/v1/hooks/claude-code", post(crate::claude_code::hook))
        .route("/v1/approvals", get(list_approvals))
        .route("/v1/approvals/{id}", get(get_approval))
        .route("/v1/approvals/{id}/approve", post(approve))
        .route("/v1/approvals/{id}/deny", post(deny))
        .route("/v1/approvals/{id}/wait", get(wait))
        .route("/v1/tokens/redeem", post(redeem))
        .route("/v1/bundles", post(upload_bundle))
        .route("/v1/grants", get(list_grants))
        .route("/v1/grants/{id}/revoke", post(revoke_grant))
        .merge(crate::web::routes())
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(app)
}

async fn openapi(State(app): Shared, headers: HeaderMap) -> ApiResult<Response> {
    authorize(&app, &headers, ANY)?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response())
}

/// `ok`, or 503 naming the store when it does not answer (Redis away).
async fn healthz(State(app): Shared) -> Response {
    match app.db.health() {
        Ok(()) => "ok\n".into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store down: {e}\n"),
        )
            .into_response(),
    }
}

async fn metrics(State(app): Shared, headers: HeaderMap) -> ApiResult<Response> {
    authorize(&app, &headers, ANY)?;
    let pending = app.db.pending_count().ok();
    let text = app.metrics.render(pending, app.db.session_errors());
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

/// Parses a JSON body, 400 with the reason when it is not JSON.
fn parse_body(body: &[u8]) -> ApiResult<Json> {
    serde_json::from_slice(body).map_err(|e| bad(format!("the body is not JSON: {e}")))
}

fn text_at<'a>(j: &'a Json, ptr: &str) -> Option<&'a str> {
    j.pointer(ptr).and_then(Json::as_str)
}

/// The approver's name as it goes into tokens and the log.
fn who(key: &KeyInfo) -> String {
    if key.name.is_empty() {
        format!("key {}", key.id)
    } else {
        format!("{} (key {})", key.name, key.id)
    }
}

// ---------------------------------------------------------------------------
// Deciding

async fn decide(State(app): Shared, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    // The key is checked in the group the decision commits with (see
    // `Db::find_key`); the group is committed before any answer, even a
    // refusal, so no write lock outlives the request.
    let (key, groups) = deferred(|| authorize(&app, &headers, AGENT));
    let out = match key {
        Ok(key) => decide_body(&app, &key, &body).await,
        Err(e) => Err(e),
    };
    let _ = commit(&app, &groups).await;
    Ok(AxJson(out?).into_response())
}

/// Decides one request body: strict JSON reading as the Authorizer does
/// (a duplicate key escalates), but text that is not JSON at all is a 400.
async fn decide_body(app: &App, key: &KeyInfo, body: &[u8]) -> ApiResult<Json> {
    match permit0_vm::parse_request(body) {
        Ok(json) => decide_json(app, key, &json).await,
        Err(e) => {
            if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
                return Err(bad(format!("the body is not JSON: {e}")));
            }
            let tenant = app.tenant(&key.tenant).map_err(internal)?;
            let o = tenant.auth.program().refusal(&e, None);
            let v = o.to_json();
            record(app, key, &Json::Null, &v, None, None);
            Ok(v)
        }
    }
}

/// `{"requests": […]}`: each item kept as its text, to be read strictly
/// on its own like a `POST /v1/decide` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wrapped<'a> {
    #[serde(borrow)]
    requests: Vec<&'a serde_json::value::RawValue>,
}

async fn decide_batch(State(app): Shared, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let key = authorize(&app, &headers, AGENT)?;
    parse_body(&body)?;
    // Every item is read as `POST /v1/decide` reads its body (a key given
    // twice escalates, with no approval): a lenient reading here would take
    // the last of two `amount`s, where an executor may take the first.
    let items =
        match batch_items(&body) {
            Some(items) => items,
            None => return Err(bad(
                "a batch is a JSON array of requests, or {\"requests\": [...]} (each member once)",
            )),
        };
    if items.len() > app.limits.max_batch {
        return Err(bad(format!(
            "the batch holds {} requests; at most {} are taken",
            items.len(),
            app.limits.max_batch
        )));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(match decide_body(&app, &key, item.get().as_bytes()).await {
            Ok(d) => d,
            Err(ApiError(_, e)) => json!({"error": e}),
        });
    }
    Ok(AxJson(json!({ "decisions": out })).into_response())
}

/// The items of a batch body, as text; `None` when it is neither shape.
fn batch_items(body: &[u8]) -> Option<Vec<&serde_json::value::RawValue>> {
    match body.iter().find(|b| !b.is_ascii_whitespace())? {
        b'[' => serde_json::from_slice(body).ok(),
        b'{' => serde_json::from_slice::<Wrapped>(body)
            .ok()
            .map(|w| w.requests),
        _ => None,
    }
}

/// Whether a grant may loosen this escalation: a policy escalation (a rule,
/// or the action's risk tier) of a request the bundle typed, decided with
/// the session's history. Refusals, unknown actions, tainted requests and
/// store failures are never loosened.
fn grantable(o: &permit0_authorizer::Outcome) -> bool {
    o.verdict == Verdict::Escalate
        && o.action_digest.is_some()
        && o.risk.is_some()
        && (o.rule.is_some() || o.reason.starts_with("no rule matched"))
        && !store::failed()
}

/// Whether grant pattern `pattern` covers `action`: the name itself,
/// `prefix.*`, or `*`.
pub fn pattern_covers(pattern: &str, action: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_suffix(".*") {
        Some(prefix) => action
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.')),
        None => pattern == action,
    }
}

/// What an amount limit reads of a request, as the bundle binds it (the
/// same reading a token's `max_amount` is checked against): the action's
/// `amount` when it is an integer, and its `currency` (lowercased) when it
/// has one. Not `args.amount` as spelt: a raw tool call's mapping may take
/// the amount from another argument, or convert it.
#[derive(Debug, PartialEq)]
pub(crate) struct Money {
    pub amount: Option<i64>,
    pub currency: Option<String>,
}

pub(crate) fn bound_money(program: &permit0_vm::Program, req: &Json) -> Option<Money> {
    let r = program.bind(req).ok()?;
    let action = r.action()?;
    let slot = |name: &str| {
        program
            .field_slot(action, name)
            .and_then(|s| r.slot(s).cloned())
    };
    Some(Money {
        amount: match slot("amount") {
            Some(permit0_vm::value::Value::Int(n)) => Some(n),
            _ => None,
        },
        currency: match slot("currency") {
            Some(permit0_vm::value::Value::Str(t)) => Some(t.folded.to_string()),
            _ => None,
        },
    })
}

/// Whether grant `g` covers a request its pattern matches, beyond the
/// pattern: it was given under the bundle deciding now, and within its
/// amount limit.
///
/// - The bundle: a grant answers an escalation the approver read under one
///   bundle; a swapped-in bundle may give the action another meaning (an
///   amount in other units, a mapping that now sends other tools to it, a
///   new reason to escalate), so a grant ends with the bundle it was given
///   under — as a token does.
/// - The limit: the bound amount is an integer within it, in the currency
///   of the request the approver approved (both without one counts as the
///   same; codes compare without regard to case) — a limit of 30,000 given
///   on a refund in yen covers no refund in dinars.
fn grant_covers(app: &App, program: &permit0_vm::Program, g: &Grant, req: &Json) -> bool {
    let Some(approval) = g
        .approval
        .as_deref()
        .and_then(|id| app.db.approval(&g.tenant, id).ok().flatten())
    else {
        // Nothing says what the approver approved: nothing is covered.
        return false;
    };
    let given_under = approval.outcome.get("bundle").and_then(Json::as_str);
    if given_under != Some(program.digest_string().as_str()) {
        return false;
    }
    let Some(max) = g.max_amount else {
        return true;
    };
    let (Some(asked), Some(approved)) = (
        bound_money(program, req),
        bound_money(program, &approval.request),
    ) else {
        return false;
    };
    matches!(asked.amount, Some(a) if a <= max) && asked.currency == approved.currency
}

/// The request as decided: its `context.tenant` is the key's. One naming
/// another tenant is refused (403); one without is given the key's, so
/// that what reads the tenant — `tenant.*` scopes and their caps, rules on
/// `context.tenant`, the action digest a token binds — reads the same
/// whether the caller spelt it or not (a tenant-wide cap counted apart for
/// requests that leave it out would let an agent place twice its calls).
/// `None`: the request as sent already names it (or has a `context` that
/// is not an object, which the bundle refuses).
pub(crate) fn with_key_tenant(req: &Json, tenant: &str) -> ApiResult<Option<Json>> {
    let context = req.get("context");
    if let Some(t) = context.and_then(|c| c.get("tenant")) {
        return match t.as_str() {
            Some(t) if t != tenant => Err(ApiError(
                StatusCode::FORBIDDEN,
                format!(
                    "`context.tenant` is `{t}`, but this key is of tenant `{tenant}`: the tenant comes from the key"
                ),
            )),
            // The key's, or not a string (the bundle refuses that).
            _ => Ok(None),
        };
    }
    let Json::Object(o) = req else {
        return Ok(None);
    };
    let mut o = o.clone();
    match o.entry("context").or_insert_with(|| json!({})) {
        Json::Object(c) => {
            c.insert("tenant".into(), json!(tenant));
        }
        _ => return Ok(None),
    }
    Ok(Some(Json::Object(o)))
}

pub(crate) async fn decide_json(app: &App, key: &KeyInfo, req: &Json) -> ApiResult<Json> {
    // `null`, `[]`, `"x"`, `42` name no action: the engine would escalate
    // them, and each would queue an approval (and wake the webhooks) that
    // no approver could approve — a flood of the approvers' queue. Refused
    // before anything is decided, recorded or queued.
    if !req.is_object() {
        return Err(bad(
            "a request is a JSON object (docs/language.md, \"The request and decision JSON\")",
        ));
    }
    let filled = with_key_tenant(req, &key.tenant)?;
    let req = filled.as_ref().unwrap_or(req);
    let started = Instant::now();
    let _deciding = Deciding::new(app);
    let tenant = app.tenant(&key.tenant).map_err(internal)?;
    store::clear_failure();
    // The session entries the decision records go into the open group
    // (with other decisions in flight) and are committed before it answers
    // (`settle`, below) — with its approval, when it escalates, so a
    // decision costs one commit.
    // An escalation is explained from the decision's own reading of the
    // session, for the approval a human reads.
    let ((outcome, mut explanation), mut groups) =
        deferred(|| tenant.auth.decide_explaining_escalation(req));
    let mut unsettled = false;
    let now = now_ms();
    let session = text_at(req, "/session/id");
    let actor = text_at(req, "/actor/id");
    // A grant a human gave may allow a policy escalation it covers.
    let mut grant_used = None;
    if grantable(&outcome) {
        let grants = app
            .db
            .live_grants(&key.tenant, session, actor, now)
            .unwrap_or_default();
        let action = outcome.action.as_deref().unwrap_or("");
        let program = tenant.auth.program();
        for g in grants {
            // A grant answers the agent whose request a human saw: another
            // agent key of the tenant naming the same session or actor id
            // (ids the agent chooses) is not covered.
            if g.agent_key.as_deref() == Some(key.id.as_str())
                && pattern_covers(&g.action, action)
                && grant_covers(app, &program, &g, req)
                && app
                    .db
                    .use_grant(
                        &g.id,
                        now,
                        outcome.action.as_deref(),
                        outcome.action_digest.as_deref(),
                        req,
                    )
                    .unwrap_or(false)
            {
                grant_used = Some(g);
                break;
            }
        }
    }
    let mut v = outcome.to_json();
    let mut approval = None;
    if let Some(g) = &grant_used {
        app.metrics.grant_use();
        if let Some(o) = v.as_object_mut() {
            o.insert("decision".into(), json!("allow"));
            o.insert(
                "reason".into(),
                json!(format!(
                    "allowed by grant {} ({} for {} `{}`, by {}); the policy said: {}",
                    g.id, g.action, g.scope, g.subject, g.created_by, outcome.reason
                )),
            );
            o.insert("grant".into(), json!(g.id));
        }
    }
    // The reviewer is asked over the network: commit first, not holding
    // the group open meanwhile.
    if app.reviewer.is_some() {
        settle(app, &mut groups, &mut v, &mut unsettled).await;
    }
    // The reviewer may tighten an allow; it has no answer that loosens.
    if let crate::webhooks::Review::Tighten(to, why) = crate::webhooks::review(app, req, &v).await {
        app.metrics.reviewer_tightened();
        let said = v
            .get("reason")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        if let Some(o) = v.as_object_mut() {
            o.insert("decision".into(), json!(to));
            o.insert(
                "reason".into(),
                json!(format!(
                    "the reviewer said {to}: {why}; the policy said: {said}"
                )),
            );
            o.insert("reviewed".into(), json!(to));
        }
    }
    // The audit log records the decision as answered: committed first.
    if app.audit.is_some() {
        settle(app, &mut groups, &mut v, &mut unsettled).await;
    }
    let verdict = verdict_of(&v).to_string();
    let audit = record_audit(app, &key.tenant, &tenant, req, &v);
    if let Some(g) = &grant_used {
        audit_event(
            app,
            "grant_use",
            audit.as_ref(),
            vec![
                ("grant", Some(g.id.clone())),
                ("approver", Some(g.created_by.clone())),
                ("tenant", Some(key.tenant.clone())),
                ("action", outcome.action.clone()),
                ("action_digest", outcome.action_digest.clone()),
            ],
            vec![],
        );
    }
    if verdict == "escalate" && !unsettled {
        if outcome.verdict != Verdict::Escalate || explanation.is_none() {
            // A reviewer tightened an allow, or the escalation had no
            // explanation of its own: explained now.
            explanation = tenant.auth.explain(req).json.get("explain").cloned();
        }
        let (queued, more) = deferred(|| {
            app.db.insert_approval(&NewApproval {
                tenant: &key.tenant,
                request: req,
                outcome: &v,
                explanation: explanation.as_ref(),
                action: outcome.action.as_deref(),
                action_digest: outcome.action_digest.as_deref(),
                session,
                actor,
                agent_key: &key.id,
                now_ms: now,
                audit,
            })
        });
        groups.extend(more);
        settle(app, &mut groups, &mut v, &mut unsettled).await;
        match queued {
            // Its group failed: `settle` said so in the answer.
            Ok(_) if unsettled => {}
            Ok(id) => {
                if let Some(o) = v.as_object_mut() {
                    o.insert("approval".into(), json!(id));
                }
                crate::web::notify(app, &key.tenant, &id, &v, req);
                approval = Some(id);
            }
            // Still an escalation, answered: the agent must not act, and
            // may ask again once the database answers.
            Err(e) => {
                eprintln!("permit0 serve: an escalation could not be queued: {e}");
                unqueued(&mut v, |said| {
                    format!("{said} (not queued for a human: {e}; ask again later)")
                });
            }
        }
    }
    settle(app, &mut groups, &mut v, &mut unsettled).await;
    let verdict = verdict_of(&v).to_string();
    let _ = app.db.record_decision(&NewDecision {
        tenant: &key.tenant,
        time_ms: now,
        session,
        actor,
        action: outcome.action.as_deref(),
        verdict: &verdict,
        reason: v.get("reason").and_then(Json::as_str).unwrap_or(""),
        approval: approval.as_deref(),
        grant: grant_used.as_ref().map(|g| g.id.as_str()),
    });
    let name = match verdict.as_str() {
        "allow" => "allow",
        "deny" => "deny",
        _ => "escalate",
    };
    app.metrics.decision(&key.tenant, name, started.elapsed());
    Ok(v)
}

/// An answer whose approval could not be kept: none is named, and the
/// reason becomes `why(the reason the policy gave)`.
fn unqueued(v: &mut Json, why: impl FnOnce(&str) -> String) {
    if let Some(o) = v.as_object_mut() {
        let said = o.get("reason").and_then(Json::as_str).unwrap_or("");
        let reason = why(said);
        o.insert("reason".into(), json!(reason));
        o.insert("approval".into(), Json::Null);
    }
}

/// Commits the groups the decision wrote into (see [`deferred`]). When one
/// failed, nothing it wrote is kept — the session entry the decision read
/// its history with, its approval — so the decision fails closed: an allow
/// becomes an escalation, nothing is queued, and the reason names the
/// session store. Once failed, a decision stays so.
/// A decision's verdict as answered (a decision without one escalates).
fn verdict_of(v: &Json) -> &str {
    v.get("decision")
        .and_then(Json::as_str)
        .unwrap_or("escalate")
}

/// Counts the decisions under way while it lives ([`commit`] asks it).
struct Deciding<'a>(&'a App);

impl<'a> Deciding<'a> {
    fn new(app: &'a App) -> Deciding<'a> {
        app.deciding
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Deciding(app)
    }
}

impl Drop for Deciding<'_> {
    fn drop(&mut self) {
        self.0
            .deciding
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Commits the groups a decision wrote into, before it answers. A
/// decision that is not alone — another is under way, or the last commit
/// was shared, so requests are arriving together — first lets its thread
/// serve the requests already waiting (`yield_now`): their decisions write
/// into the open group, and this commit answers them too, where each would
/// have committed on its own. Alone, it commits at once: there is no one to
/// wait for.
async fn commit(app: &App, groups: &[Arc<crate::db::Group>]) -> Result<(), DbError> {
    if groups.iter().any(|g| !g.is_done())
        && (app.deciding.load(std::sync::atomic::Ordering::Relaxed) > 1
            || app.db.commits_are_shared())
    {
        tokio::task::yield_now().await;
    }
    app.db.settle(groups)
}

async fn settle(
    app: &App,
    groups: &mut Vec<Arc<crate::db::Group>>,
    v: &mut Json,
    unsettled: &mut bool,
) {
    let r = commit(app, groups).await;
    groups.clear();
    let Err(DbError(e)) = r else { return };
    if *unsettled {
        return;
    }
    *unsettled = true;
    eprintln!("permit0 serve: a decision's writes could not be committed: {e}");
    if let Some(o) = v.as_object_mut() {
        if o.get("decision").and_then(Json::as_str) == Some("allow") {
            o.insert("decision".into(), json!("escalate"));
        }
    }
    unqueued(v, |said| {
        format!(
            "the session store could not commit this request's history (SQLite: {e}), so it is not answered as decided and not queued for a human; ask again later; the policy said: {said}"
        )
    });
}

/// A decision that did not go through [`decide_json`] (a body that could
/// not be read as a request).
fn record(
    app: &App,
    key: &KeyInfo,
    _req: &Json,
    v: &Json,
    session: Option<&str>,
    actor: Option<&str>,
) {
    let _ = app.db.record_decision(&NewDecision {
        tenant: &key.tenant,
        time_ms: now_ms(),
        session,
        actor,
        action: None,
        verdict: verdict_of(v),
        reason: v.get("reason").and_then(Json::as_str).unwrap_or(""),
        approval: None,
        grant: None,
    });
    app.metrics
        .decision(&key.tenant, "escalate", Duration::ZERO);
}

/// Appends the decision as returned to the audit log: `(seq, hash)` of
/// its record.
fn record_audit(
    app: &App,
    tenant_name: &str,
    tenant: &crate::Tenant,
    req: &Json,
    v: &Json,
) -> Option<(u64, String)> {
    app.audit.as_ref()?;
    let program = tenant.auth.program();
    let mut entry = permit0_audit::DecisionEntry::from_json(&program, req, v);
    entry.tenant = Some(tenant_name.to_string());
    app.audit(|log| log.append_decision(&entry))
        .map(|a| (a.seq, permit0_vm::canonical::sha256_string(&a.hash)))
}

/// Appends an event (a denial, grant, grant use or redemption) to the
/// audit log, if one is kept; `record` is the decision record it concerns.
fn audit_event(
    app: &App,
    kind: &'static str,
    record: Option<&(u64, String)>,
    text: Vec<(&'static str, Option<String>)>,
    ints: Vec<(&'static str, Option<i64>)>,
) {
    if app.audit.is_none() {
        return;
    }
    let record =
        record.and_then(|(seq, hash)| permit0_vm::canonical::parse_sha256(hash).map(|h| (*seq, h)));
    app.audit(|log| {
        log.append_event(&permit0_audit::EventEntry {
            kind,
            record,
            text,
            ints,
        })
    });
}

// ---------------------------------------------------------------------------
// Approvals

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    limit: Option<u32>,
}

/// What an approver reads of an approval (never its token).
pub fn approval_view(a: &Approval) -> Json {
    json!({
        "id": a.id,
        "state": a.state,
        "action": a.action,
        "action_digest": a.action_digest,
        "session": a.session,
        "actor": a.actor,
        "request": a.request,
        "decision": a.outcome,
        "risk": a.outcome.get("risk"),
        "explain": a.explanation,
        "created_ms": a.created_ms,
        "decided_ms": a.decided_ms,
        "decided_by": a.decided_by,
        "comment": a.comment,
        "grant": a.grant_id,
    })
}

async fn list_approvals(
    State(app): Shared,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let key = authorize(&app, &headers, APPROVER)?;
    if let Some(s) = &q.state {
        if !matches!(s.as_str(), "pending" | "approved" | "denied") {
            return Err(bad(format!("state `{s}`: use pending, approved or denied")));
        }
    }
    let list = app
        .db
        .approvals(
            &key.tenant,
            q.state.as_deref(),
            q.limit.unwrap_or(100).min(1000),
        )
        .map_err(internal)?;
    let items: Vec<Json> = list.iter().map(approval_view).collect();
    Ok(AxJson(json!({ "approvals": items })).into_response())
}

fn find(app: &App, tenant: &str, id: &str) -> ApiResult<Approval> {
    app.db
        .approval(tenant, id)
        .map_err(internal)?
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("no approval `{id}`")))
}

/// One approval with its session's recent actions.
pub fn approval_detail(app: &App, a: &Approval) -> Json {
    let mut v = approval_view(a);
    let recent = match &a.session {
        Some(s) => app
            .db
            .session_decisions(&a.tenant, s, 20)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    if let Some(o) = v.as_object_mut() {
        o.insert("recent".into(), json!(recent));
    }
    v
}

async fn get_approval(
    State(app): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let key = authorize(&app, &headers, APPROVER)?;
    let a = find(&app, &key.tenant, &id)?;
    Ok(AxJson(approval_detail(&app, &a)).into_response())
}

/// The body of `approve`: all optional.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    pub comment: Option<String>,
    /// The most the request's `amount` may be when the token is redeemed.
    pub max_amount: Option<i64>,
    /// The token's lifetime (default and ceiling: `limits.token_ttl_seconds`).
    pub ttl_seconds: Option<u64>,
    /// Also allow later requests this covers, for a while.
    pub grant: Option<GrantBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    /// An action name, `prefix.*` or `*` (default: the approval's action).
    pub action: Option<String>,
    /// `session` (the request's session) or `actor` (the request's actor).
    pub scope: String,
    pub minutes: u64,
    pub max_amount: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DenyBody {
    pub comment: Option<String>,
}

fn optional_body<T: for<'de> Deserialize<'de> + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| bad(format!("the body is not what this takes: {e}")))
}

/// The final decision an approval gives its agent: allow with the token,
/// deny, or (still pending) the escalation.
pub fn final_decision(a: &Approval) -> Json {
    let mut v = a.outcome.clone();
    let by = a.decided_by.clone().unwrap_or_default();
    let said = a
        .comment
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| format!(": {c}"))
        .unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("approval".into(), json!(a.id));
        o.insert("state".into(), json!(a.state));
        match a.state.as_str() {
            "approved" => {
                o.insert("decision".into(), json!("allow"));
                o.insert("reason".into(), json!(format!("approved by {by}{said}")));
                o.insert("token".into(), json!(a.token));
                if let Some(g) = &a.grant_id {
                    o.insert("grant".into(), json!(g));
                }
            }
            "denied" => {
                o.insert("decision".into(), json!("deny"));
                o.insert("reason".into(), json!(format!("denied by {by}{said}")));
            }
            _ => {}
        }
    }
    v
}

fn conflict(app: &App, tenant: &str, id: &str) -> ApiError {
    let by = app
        .db
        .approval(tenant, id)
        .ok()
        .flatten()
        .map(|a| format!("{} by {}", a.state, a.decided_by.unwrap_or_default()))
        .unwrap_or_else(|| "answered".into());
    ApiError(
        StatusCode::CONFLICT,
        format!("approval `{id}` was already {by}"),
    )
}

/// Approves: a token for exactly this request, and optionally a grant.
pub fn do_approve(app: &App, key: &KeyInfo, id: &str, b: &ApproveBody) -> ApiResult<Json> {
    check_role(key, APPROVER)?;
    let a = find(app, &key.tenant, id)?;
    if a.state != "pending" {
        return Err(conflict(app, &key.tenant, id));
    }
    let (Some(action), Some(digest)) = (a.action.clone(), a.action_digest.clone()) else {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "this request has no action digest (the bundle could not type it), so no token can bind it: deny it, and have the agent send a request the bundle knows".into(),
        ));
    };
    // Limits read the action's `amount` as the bundle binds it, as the
    // token's check and a grant's use do.
    let amount = match app.tenant(&key.tenant) {
        Ok(t) => bound_money(&t.auth.program(), &a.request).and_then(|m| m.amount),
        Err(_) => None,
    };
    for max in [b.max_amount, b.grant.as_ref().and_then(|g| g.max_amount)]
        .into_iter()
        .flatten()
    {
        match amount {
            Some(x) if x > max => {
                return Err(bad(format!(
                    "`max_amount` {max} is below the request's amount of {x}: it would not cover the request approved"
                )))
            }
            Some(_) => {}
            None => return Err(bad("the action has no integer `amount`, so `max_amount` cannot be checked")),
        }
    }
    let now = now_ms();
    let ceiling = app.limits.token_ttl_seconds;
    let ttl = b.ttl_seconds.unwrap_or(ceiling).clamp(1, ceiling.max(1));
    let approver = who(key);
    let grant = match &b.grant {
        None => None,
        Some(g) => Some(make_grant(app, key, &a, g, &action, &approver, now)?),
    };
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(internal)?;
    let mut claims = Claims {
        action,
        action_digest: digest,
        bundle: a
            .outcome
            .get("bundle")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string(),
        rule: a
            .outcome
            .get("rule")
            .and_then(Json::as_str)
            .map(str::to_string),
        basis: Basis::Approved {
            approver: approver.clone(),
        },
        issued_ms: now,
        expires_ms: now.saturating_add(i64::try_from(ttl.saturating_mul(1000)).unwrap_or(i64::MAX)),
        single_use: true,
        max_amount: b.max_amount,
        nonce: permit0_vm::hex(&nonce),
        key: String::new(),
        record: a.audit.as_ref().map(|(_, h)| h.clone()),
    };
    let tok = token::issue(&mut claims, &app.token_key);
    let won = app
        .db
        .answer(
            &key.tenant,
            id,
            &Answer {
                approved: true,
                by: &approver,
                comment: b.comment.as_deref(),
                token: Some(&tok),
                nonce: Some(&claims.nonce),
                grant: grant.as_ref(),
                now_ms: now,
            },
        )
        .map_err(internal)?;
    if !won {
        return Err(conflict(app, &key.tenant, id));
    }
    if let Some((seq, hash)) = &a.audit {
        if let Some(h) = permit0_vm::canonical::parse_sha256(hash) {
            app.audit(|log| {
                log.append_approval(&permit0_audit::ApprovalEntry {
                    record: *seq,
                    record_hash: h,
                    approver: approver.clone(),
                    nonce: claims.nonce.clone(),
                    expires_ms: claims.expires_ms,
                })
            });
        }
    }
    if let Some(g) = &grant {
        audit_event(
            app,
            "grant",
            a.audit.as_ref(),
            vec![
                ("approver", Some(approver.clone())),
                ("tenant", Some(key.tenant.clone())),
                ("approval", Some(a.id.clone())),
                ("grant", Some(g.id.clone())),
                ("pattern", Some(g.action.clone())),
                ("scope", Some(g.scope.clone())),
                ("subject", Some(g.subject.clone())),
                ("comment", b.comment.clone()),
            ],
            vec![
                ("expires_ms", Some(g.expires_ms)),
                ("max_amount", g.max_amount),
            ],
        );
    }
    app.answered.send_modify(|n| *n = n.wrapping_add(1));
    let a = find(app, &key.tenant, id)?;
    let mut v = final_decision(&a);
    if let (Some(o), Some(g)) = (v.as_object_mut(), &grant) {
        o.insert("grant".into(), json!(g));
    }
    Ok(v)
}

fn make_grant(
    app: &App,
    key: &KeyInfo,
    a: &Approval,
    g: &GrantBody,
    action: &str,
    approver: &str,
    now: i64,
) -> ApiResult<Grant> {
    let pattern = g.action.clone().unwrap_or_else(|| action.to_string());
    let valid = pattern == "*"
        || (!pattern.is_empty()
            && pattern
                .trim_end_matches(".*")
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')));
    if !valid {
        return Err(bad(format!(
            "grant action `{pattern}`: an action name, `prefix.*` or `*`"
        )));
    }
    let subject = match g.scope.as_str() {
        "session" => a.session.clone().ok_or_else(|| {
            bad("the request has no `session.id`, so a grant cannot be scoped to its session")
        })?,
        "actor" => a.actor.clone().ok_or_else(|| {
            bad("the request has no `actor.id`, so a grant cannot be scoped to its actor")
        })?,
        s => return Err(bad(format!("grant scope `{s}`: use `session` or `actor`"))),
    };
    if g.minutes == 0 || g.minutes > app.limits.max_grant_minutes {
        return Err(bad(format!(
            "grant minutes {}: between 1 and {}",
            g.minutes, app.limits.max_grant_minutes
        )));
    }
    let minutes = i64::try_from(g.minutes).unwrap_or(i64::MAX);
    let Some(agent_key) = a.agent_key.clone() else {
        return Err(bad(
            "this approval does not record the agent key that asked (it was queued by an older server), so a grant could not be tied to it: approve this request alone",
        ));
    };
    Ok(Grant {
        id: crate::db::random_id("grt_").map_err(internal)?,
        tenant: key.tenant.clone(),
        approval: Some(a.id.clone()),
        action: pattern,
        scope: g.scope.clone(),
        subject,
        max_amount: g.max_amount,
        created_ms: now,
        expires_ms: now.saturating_add(minutes.saturating_mul(60_000)),
        created_by: approver.to_string(),
        uses: 0,
        agent_key: Some(agent_key),
    })
}

pub fn do_deny(app: &App, key: &KeyInfo, id: &str, b: &DenyBody) -> ApiResult<Json> {
    check_role(key, APPROVER)?;
    let a = find(app, &key.tenant, id)?;
    if a.state != "pending" {
        return Err(conflict(app, &key.tenant, id));
    }
    let approver = who(key);
    let won = app
        .db
        .answer(
            &key.tenant,
            id,
            &Answer {
                approved: false,
                by: &approver,
                comment: b.comment.as_deref(),
                token: None,
                nonce: None,
                grant: None,
                now_ms: now_ms(),
            },
        )
        .map_err(internal)?;
    if !won {
        return Err(conflict(app, &key.tenant, id));
    }
    audit_event(
        app,
        "denial",
        a.audit.as_ref(),
        vec![
            ("approver", Some(approver)),
            ("tenant", Some(key.tenant.clone())),
            ("approval", Some(a.id.clone())),
            ("action", a.action.clone()),
            ("action_digest", a.action_digest.clone()),
            ("comment", b.comment.clone()),
        ],
        vec![],
    );
    app.answered.send_modify(|n| *n = n.wrapping_add(1));
    let a = find(app, &key.tenant, id)?;
    Ok(final_decision(&a))
}

async fn approve(
    State(app): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let key = authorize(&app, &headers, APPROVER)?;
    let b: ApproveBody = optional_body(&body)?;
    Ok(AxJson(do_approve(&app, &key, &id, &b)?).into_response())
}

async fn deny(
    State(app): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let key = authorize(&app, &headers, APPROVER)?;
    let b: DenyBody = optional_body(&body)?;
    Ok(AxJson(do_deny(&app, &key, &id, &b)?).into_response())
}

/// How often a waiter re-reads its approval without being woken.
pub const REREAD: Duration = Duration::from_secs(1);

#[derive(Deserialize)]
struct WaitQuery {
    timeout: Option<u64>,
}

async fn wait(
    State(app): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Response> {
    let key = authorize(&app, &headers, AGENT)?;
    let secs = q.timeout.unwrap_or(30).min(app.limits.max_wait_seconds);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    // Subscribe before reading, so an answer between the read and the wait
    // is not missed.
    let mut rx = app.answered.subscribe();
    let mut stop = app.stopping.subscribe();
    loop {
        let a = find(&app, &key.tenant, &id)?;
        // Only the agent key whose request opened the approval may wait on
        // it and so receive its token: another agent key of the tenant
        // (another agent, or a prompt-injected one naming the id) is told
        // nothing, as for an approval that does not exist.
        if a.agent_key.as_deref() != Some(key.id.as_str()) {
            return Err(ApiError(
                StatusCode::NOT_FOUND,
                format!("no approval `{id}`"),
            ));
        }
        if a.state != "pending" || *stop.borrow() {
            return Ok(AxJson(final_decision(&a)).into_response());
        }
        // Woken by an answer on this replica, or on another one (the
        // store's notification); re-read at least every second anyway, in
        // case a notification was lost.
        let next = deadline.min(tokio::time::Instant::now() + REREAD);
        tokio::select! {
            r = tokio::time::timeout_at(next, rx.changed()) => match r {
                Ok(Ok(())) => continue,
                Err(_) if next < deadline => continue,
                _ => return Ok(AxJson(final_decision(&a)).into_response()),
            },
            _ = stop.changed() => return Ok(AxJson(final_decision(&a)).into_response()),
        }
    }
}

async fn list_grants(State(app): Shared, headers: HeaderMap) -> ApiResult<Response> {
    let key = authorize(&app, &headers, APPROVER)?;
    let grants = app.db.grants(&key.tenant).map_err(internal)?;
    Ok(AxJson(json!({ "grants": grants })).into_response())
}

/// Ends a grant now: later requests it covered escalate again.
pub fn do_revoke_grant(app: &App, key: &KeyInfo, id: &str) -> ApiResult<Json> {
    check_role(key, APPROVER)?;
    if app
        .db
        .revoke_grant(&key.tenant, id, now_ms())
        .map_err(internal)?
    {
        audit_event(
            app,
            "grant_revocation",
            None,
            vec![
                ("approver", Some(who(key))),
                ("tenant", Some(key.tenant.clone())),
                ("grant", Some(id.to_string())),
            ],
            vec![],
        );
        Ok(json!({"grant": id, "revoked": true}))
    } else {
        Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no live grant `{id}`"),
        ))
    }
}

async fn revoke_grant(
    State(app): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let key = authorize(&app, &headers, APPROVER)?;
    Ok(AxJson(do_revoke_grant(&app, &key, &id)?).into_response())
}

// ---------------------------------------------------------------------------
// Tokens and bundles

/// Spent nonces in the server's database.
struct DbSpent<'a>(&'a App);

impl SpentNonces for DbSpent<'_> {
    fn spend(&mut self, nonce: &str, expires_ms: i64) -> Result<bool, String> {
        self.0
            .db
            .spend_nonce(nonce, expires_ms, now_ms())
            .map_err(|e| e.to_string())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedeemBody<'a> {
    token: String,
    /// Kept as text, read strictly (below).
    #[serde(borrow)]
    request: &'a serde_json::value::RawValue,
}

/// The executor's check: this token, for exactly this request, once, in
/// time. 200 `{"ok": true, …}`, or 403 `{"ok": false, "error": …}`.
pub fn do_redeem(app: &App, key: &KeyInfo, token_text: &str, request: &Json) -> (StatusCode, Json) {
    let refuse = |outcome: &'static str, e: String| {
        app.metrics.redemption(outcome);
        (
            StatusCode::FORBIDDEN,
            json!({"ok": false, "error": format!("token refused: {e}")}),
        )
    };
    let trusted = [app.token_key.verifying_key()];
    let claims = match token::decode(token_text, &trusted) {
        Ok(c) => c,
        Err(e) => return refuse("invalid", e.to_string()),
    };
    let approval = match app.db.approval_of_nonce(&key.tenant, &claims.nonce) {
        Ok(Some(id)) => id,
        Ok(None) => return refuse("invalid", "it was not issued to this tenant".into()),
        Err(e) => return refuse("error", e.to_string()),
    };
    let tenant = match app.tenant(&key.tenant) {
        Ok(t) => t,
        Err(e) => return refuse("error", e),
    };
    let program = tenant.auth.program();
    // Read as it was decided: with the key's tenant (`with_key_tenant`).
    let filled = match with_key_tenant(request, &key.tenant) {
        Ok(f) => f,
        Err(ApiError(_, e)) => return refuse("mismatch", e),
    };
    let req = match program.bind(filled.as_ref().unwrap_or(request)) {
        Ok(r) => r,
        Err(e) => return refuse("mismatch", format!("the request cannot be bound: {e}")),
    };
    match token::verify_token(
        token_text,
        &trusted,
        &program,
        &req,
        now_ms(),
        &mut DbSpent(app),
    ) {
        Ok(c) => {
            app.metrics.redemption("ok");
            let approver = match &c.basis {
                Basis::Approved { approver } => Some(approver.clone()),
                Basis::Allowed => None,
            };
            if app.audit.is_some() {
                let record = app
                    .db
                    .approval(&key.tenant, &approval)
                    .ok()
                    .flatten()
                    .and_then(|a| a.audit);
                audit_event(
                    app,
                    "redemption",
                    record.as_ref(),
                    vec![
                        ("nonce", Some(c.nonce.clone())),
                        ("approval", Some(approval.clone())),
                        ("approver", approver.clone()),
                        ("tenant", Some(key.tenant.clone())),
                        ("action", Some(c.action.clone())),
                        ("action_digest", Some(c.action_digest.clone())),
                    ],
                    vec![("expires_ms", Some(c.expires_ms))],
                );
            }
            (
                StatusCode::OK,
                json!({
                    "ok": true,
                    "action": c.action,
                    "action_digest": c.action_digest,
                    "approver": approver,
                    "expires_ms": c.expires_ms,
                    "nonce": c.nonce,
                }),
            )
        }
        Err(e) => {
            let kind = match e {
                token::TokenError::AlreadyUsed(_) => "reused",
                token::TokenError::Expired { .. } => "expired",
                _ => "mismatch",
            };
            refuse(kind, e.to_string())
        }
    }
}

async fn redeem(State(app): Shared, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let key = authorize(&app, &headers, AGENT)?;
    let b: RedeemBody = serde_json::from_slice(&body).map_err(|e| {
        bad(format!(
            "the body is not {{\"token\": \"p0t1.…\", \"request\": {{…}}}}: {e}"
        ))
    })?;
    // The request is read as the Authorizer reads one: a key given twice
    // is refused. A lenient reading keeps the last of two `amount`s, so the
    // approved amount could be redeemed while the executor, reading the
    // same text, pays the first.
    let request = match permit0_vm::parse_request(b.request.get().as_bytes()) {
        Ok(r) => r,
        Err(e) => {
            app.metrics.redemption("mismatch");
            let v = json!({"ok": false, "error": format!("token refused: the request is not read one way: {e}")});
            return Ok((StatusCode::FORBIDDEN, AxJson(v)).into_response());
        }
    };
    let (status, v) = do_redeem(&app, &key, &b.token, &request);
    Ok((status, AxJson(v)).into_response())
}

async fn upload_bundle(State(app): Shared, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let key = authorize(&app, &headers, ADMIN)?;
    match app.swap_bundle(&key.tenant, &body) {
        Ok(digest) => Ok(AxJson(json!({"tenant": key.tenant, "bundle": digest})).into_response()),
        Err(e) => {
            let running = app
                .tenant(&key.tenant)
                .map(|t| t.auth.program().digest_string())
                .unwrap_or_default();
            Err(bad(format!("{e}; the running bundle {running} stays")))
        }
    }
}

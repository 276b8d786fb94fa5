//! `permit0 mcp-proxy`: a stdio proxy between an MCP client and an MCP
//! server (a child process) that decides every `tools/call` before the
//! server sees it (docs/mcp.md).
//!
//! One job: JSON-RPC framing (newline-delimited messages, as the MCP stdio
//! transport frames them) and the decision at `tools/call`. Every other
//! message passes through byte for byte, in both directions: server-initiated
//! requests (sampling, roots, elicitation) and the client's answers,
//! notifications, responses. A `tools/call` is decided as the raw tool call
//! `mcp__<server>__<tool>` with its `arguments` as `args`:
//!
//! - allow → forwarded unchanged;
//! - deny → answered by the proxy with a tool result `isError: true` naming
//!   the reason; the server never sees the call;
//! - escalate → with an approval service, the proxy waits for the approval
//!   and forwards on approval, else refuses with "needs approval" and the
//!   approval's id and link; without one, refused with the reason.
//!
//! Fail closed: text that is not a JSON-RPC message the proxy reads one way
//! (not JSON, a key given twice, a `tools/call` without a tool name) is
//! answered with a JSON-RPC error and never forwarded; a decision that
//! cannot be made is a deny.

mod embedded;
mod remote;

pub use embedded::Embedded;
pub use remote::Remote;

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// What a [`Decider`] answers for one tool call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(String),
    /// A human must approve; `approval` is the approval opened for it on
    /// the decision service (none in embedded mode).
    Escalate {
        reason: String,
        approval: Option<Approval>,
    },
}

/// An approval opened on `permit0 serve`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    pub id: String,
    /// Where an approver answers it (the approvers' page).
    pub link: String,
}

/// Decides raw tool-call requests (docs/language.md, "The request and
/// decision JSON"). Any error is a [`Decision::Deny`].
pub trait Decider: Send + Sync {
    fn decide(&self, request: &[u8]) -> Decision;
    /// Waits up to `timeout` for a human's answer to `approval`: allow on
    /// approval, deny on a refusal, escalate while it is still pending.
    fn wait(&self, approval: &Approval, timeout: Duration) -> Decision {
        let _ = timeout;
        Decision::Escalate {
            reason: "needs approval".into(),
            approval: Some(approval.clone()),
        }
    }
    /// True when every call of `tool` (its full `mcp__server__tool` name)
    /// is denied whatever its arguments; `false` when not certain.
    fn denies_always(&self, tool: &str) -> bool {
        let _ = tool;
        false
    }
}

/// How the proxy decides.
#[derive(Clone, Debug)]
pub struct Options {
    /// The server's name in `mcp__<server>__<tool>`.
    pub server: String,
    /// The session every call of this proxy counts under.
    pub session: String,
    /// A JSON object sent as every request's `context` (e.g. `workspace`).
    pub context: Option<Box<RawValue>>,
    /// How long to wait for an approval (zero: refuse at once with its link).
    pub wait: Duration,
    /// Drop tools the policy denies whatever their arguments from
    /// `tools/list` results.
    pub hide_denied: bool,
}

/// A server name usable in `mcp__<server>__<tool>`: letters, digits, `-`
/// and single `_`.
pub fn valid_server_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains("__")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// How many refused request ids are remembered, so that a client's
/// `notifications/cancelled` for one is not forwarded to a server that never
/// saw it.
const REFUSED_MEMORY: usize = 4096;

#[derive(Default)]
struct State {
    /// Ids of the client's `tools/list` requests in flight (with
    /// `hide_denied`).
    lists: HashSet<String>,
    /// Calls held for an approval: id → cancelled by the client.
    held: HashMap<String, bool>,
    refused: HashSet<String>,
    refused_order: VecDeque<String>,
}

impl State {
    fn remember_refused(&mut self, key: String) {
        if self.refused.insert(key.clone()) {
            self.refused_order.push_back(key);
            while self.refused_order.len() > REFUSED_MEMORY {
                if let Some(old) = self.refused_order.pop_front() {
                    self.refused.remove(&old);
                }
            }
        }
    }
}

type Sink = Box<dyn Write + Send>;

/// The proxy's core, shared by its two reading threads: what comes from the
/// client, what comes from the server, and where each goes.
pub struct Gateway {
    opts: Options,
    decider: Arc<dyn Decider>,
    to_client: Mutex<Sink>,
    to_server: Mutex<Option<Sink>>,
    state: Mutex<State>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A member that is present (even as `null`), as raw text.
#[derive(Default)]
struct Present<'a>(Option<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for Present<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(d).map(|r| Present(Some(r)))
    }
}

/// A JSON-RPC message as far as the proxy reads it. A derived struct
/// refuses a member given twice, so no message is read one way here and
/// another way by the server.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, borrow)]
    id: Present<'a>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default, borrow)]
    params: Present<'a>,
    #[serde(default, borrow)]
    result: Present<'a>,
    #[allow(dead_code)]
    #[serde(default)]
    jsonrpc: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct CallParams<'a> {
    name: String,
    #[serde(default, borrow)]
    arguments: Present<'a>,
}

#[derive(Deserialize)]
struct CancelParams<'a> {
    #[serde(rename = "requestId", borrow)]
    request_id: &'a RawValue,
}

/// What becomes of one message from the client.
enum Route {
    Forward,
    Reply(String),
    Drop,
    /// Held for an approval: `(id key, raw id, approval, reason)`.
    Hold(String, String, Approval, String),
}

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const INVALID_PARAMS: i64 = -32602;

/// The key an id is remembered by: its JSON, normalized (`1` and ` 1`,
/// `"a"` and `"\u0061"` are one id).
fn id_key(raw: &RawValue) -> String {
    serde_json::from_str::<Json>(raw.get())
        .map(|v| v.to_string())
        .unwrap_or_else(|_| raw.get().to_owned())
}

fn quote(s: &str) -> String {
    Json::String(s.to_owned()).to_string()
}

fn error_reply(id: Option<&str>, code: i64, message: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{},"error":{{"code":{code},"message":{}}}}}"#,
        id.unwrap_or("null"),
        quote(message)
    )
}

/// The tool result the client gets for a refused call.
pub fn refusal_reply(id: &str, text: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[{{"type":"text","text":{}}}],"isError":true}}}}"#,
        quote(text)
    )
}

fn deny_text(reason: &str) -> String {
    format!("permit0 denied this call: {reason}")
}

fn approval_text(reason: &str, approval: Option<&Approval>) -> String {
    match approval {
        Some(a) => format!(
            "permit0: this call needs approval ({reason}); approval {} is pending at {} — ask an approver, then retry",
            a.id, a.link
        ),
        None => format!(
            "permit0: this call needs approval ({reason}) and no approval service is configured, so it is refused"
        ),
    }
}

/// `msg` and its newline, written in one call (the reader wakes once).
fn framed(msg: &[u8]) -> Vec<u8> {
    let mut line = Vec::with_capacity(msg.len() + 1);
    line.extend_from_slice(msg);
    line.push(b'\n');
    line
}

fn trim_line(line: &[u8]) -> &[u8] {
    let mut l = line;
    while let Some((last, rest)) = l.split_last() {
        if *last == b'\n' || *last == b'\r' {
            l = rest;
        } else {
            break;
        }
    }
    l
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

impl Gateway {
    pub fn new(opts: Options, decider: Arc<dyn Decider>, to_client: Sink, to_server: Sink) -> Self {
        Gateway {
            opts,
            decider,
            to_client: Mutex::new(to_client),
            to_server: Mutex::new(Some(to_server)),
            state: Mutex::new(State::default()),
        }
    }

    fn send_client(&self, msg: &[u8]) {
        let line = framed(msg);
        let mut w = lock(&self.to_client);
        let _ = w.write_all(&line);
        let _ = w.flush();
    }

    fn send_server(&self, msg: &[u8]) {
        let mut w = lock(&self.to_server);
        if let Some(s) = w.as_mut() {
            let ok = s.write_all(&framed(msg)).and_then(|()| s.flush());
            if ok.is_err() {
                *w = None;
            }
        }
    }

    /// Closes the server's stdin (the client went away).
    pub fn close_server(&self) {
        lock(&self.to_server).take();
    }

    /// The raw tool-call request for `tools/call` `name` with `arguments`.
    pub fn request_for(&self, name: &str, arguments: Option<&RawValue>) -> Vec<u8> {
        let tool = quote(&format!("mcp__{}__{}", self.opts.server, name));
        let args = arguments.map_or("{}", RawValue::get);
        let session = quote(&self.opts.session);
        let mut r = Vec::with_capacity(tool.len() + args.len() + session.len() + 64);
        r.extend_from_slice(br#"{"tool":"#);
        r.extend_from_slice(tool.as_bytes());
        r.extend_from_slice(br#","args":"#);
        r.extend_from_slice(args.as_bytes());
        r.extend_from_slice(br#","session":{"id":"#);
        r.extend_from_slice(session.as_bytes());
        r.push(b'}');
        if let Some(c) = &self.opts.context {
            r.extend_from_slice(br#","context":"#);
            r.extend_from_slice(c.get().as_bytes());
        }
        r.push(b'}');
        r
    }

    /// Handles one line from the client.
    pub fn from_client(self: &Arc<Self>, line: &[u8]) {
        let line = trim_line(line);
        if is_blank(line) {
            return;
        }
        // A carriage return inside a message is whitespace to JSON, but a
        // line break to a server that reads its input as text lines
        // (Python's `TextIOWrapper` — the MCP Python SDK's stdio — and
        // Java's `BufferedReader`): `{"x":⏎{…tools/call…}⏎,"method":"ping"}`
        // is one `ping` here and a `tools/call` there.
        if line.contains(&b'\r') {
            let r = error_reply(
                None,
                INVALID_REQUEST,
                "a carriage return inside a message: a server that splits lines at it would read other messages than permit0 decides",
            );
            return self.send_client(r.as_bytes());
        }
        let first = line.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'[') {
            return self.batch_from_client(line);
        }
        match envelope(line) {
            Ok(env) => match self.route(&env, true) {
                Route::Forward => self.send_server(line),
                Route::Reply(r) => self.send_client(r.as_bytes()),
                Route::Drop => {}
                Route::Hold(key, id, approval, reason) => {
                    self.hold(key, id, approval, reason, line)
                }
            },
            Err(e) => self.send_client(bad_message(line, &e).as_bytes()),
        }
    }

    fn batch_from_client(self: &Arc<Self>, line: &[u8]) {
        let items = match serde_json::from_slice::<Vec<&RawValue>>(line) {
            Ok(items) if !items.is_empty() => items,
            Ok(_) => {
                let r = error_reply(None, INVALID_REQUEST, "empty batch");
                return self.send_client(r.as_bytes());
            }
            Err(e) => return self.send_client(bad_message(line, &e).as_bytes()),
        };
        let mut forward: Vec<&str> = Vec::new();
        let mut replies: Vec<String> = Vec::new();
        for item in &items {
            match envelope(item.get().as_bytes()) {
                // A batch is answered as a whole: an escalation in one is
                // refused with its approval's link rather than held.
                Ok(env) => match self.route(&env, false) {
                    Route::Forward => forward.push(item.get()),
                    Route::Reply(r) => replies.push(r),
                    Route::Drop | Route::Hold(..) => {}
                },
                Err(e) => replies.push(bad_message(item.get().as_bytes(), &e)),
            }
        }
        if forward.len() == items.len() {
            self.send_server(line);
        } else if !forward.is_empty() {
            self.send_server(format!("[{}]", forward.join(",")).as_bytes());
        }
        if !replies.is_empty() {
            self.send_client(format!("[{}]", replies.join(",")).as_bytes());
        }
    }

    fn route(&self, env: &Envelope, may_hold: bool) -> Route {
        match env.method.as_deref() {
            Some("tools/call") => self.decide_call(env, may_hold),
            // `Tools/Call`, `tools/caLL`: not the method here, but it may be
            // to a server that matches methods without regard to case.
            Some(m) if folds_to(m.trim(), "tools/call") => match env.id.0 {
                Some(id) => {
                    lock(&self.state).remember_refused(id_key(id));
                    Route::Reply(error_reply(
                        Some(id.get()),
                        INVALID_REQUEST,
                        &format!(
                            "method {}: the tool-call method is `tools/call`, spelled exactly",
                            quote(m)
                        ),
                    ))
                }
                None => Route::Drop,
            },
            Some("notifications/cancelled") => {
                let Some(p) = env.params.0 else {
                    return Route::Forward;
                };
                let Ok(c) = serde_json::from_str::<CancelParams>(p.get()) else {
                    return Route::Forward;
                };
                let key = id_key(c.request_id);
                let mut st = lock(&self.state);
                if let Some(cancelled) = st.held.get_mut(&key) {
                    // Held here: the server never saw it, and no answer
                    // goes to the client (the spec: none for a cancelled
                    // request).
                    *cancelled = true;
                    return Route::Drop;
                }
                if st.refused.contains(&key) {
                    return Route::Drop;
                }
                Route::Forward
            }
            Some("tools/list") if self.opts.hide_denied => {
                if let Some(id) = env.id.0 {
                    lock(&self.state).lists.insert(id_key(id));
                }
                Route::Forward
            }
            _ => Route::Forward,
        }
    }

    fn decide_call(&self, env: &Envelope, may_hold: bool) -> Route {
        let id = env.id.0;
        let refuse = |text: String| -> Route {
            match id {
                Some(id) => {
                    lock(&self.state).remember_refused(id_key(id));
                    Route::Reply(refusal_reply(id.get(), &text))
                }
                None => Route::Drop,
            }
        };
        let params = env.params.0.and_then(|p| call_params(p.get()).ok());
        let Some(params) = params else {
            return match id {
                Some(id) => {
                    lock(&self.state).remember_refused(id_key(id));
                    Route::Reply(error_reply(
                        Some(id.get()),
                        INVALID_PARAMS,
                        "tools/call needs params with a string `name` (each member once)",
                    ))
                }
                None => Route::Drop,
            };
        };
        let request = self.request_for(&params.name, params.arguments.0);
        match self.decider.decide(&request) {
            Decision::Allow => Route::Forward,
            Decision::Deny(reason) => refuse(deny_text(&reason)),
            Decision::Escalate {
                reason,
                approval: Some(a),
            } if may_hold && !self.opts.wait.is_zero() => match id {
                Some(id) => Route::Hold(id_key(id), id.get().to_owned(), a, reason),
                None => Route::Drop,
            },
            Decision::Escalate { reason, approval } => {
                refuse(approval_text(&reason, approval.as_ref()))
            }
        }
    }

    /// Waits for `approval` on a thread of its own (other messages keep
    /// flowing), then forwards `line` or answers the refusal.
    fn hold(
        self: &Arc<Self>,
        key: String,
        id: String,
        approval: Approval,
        reason: String,
        line: &[u8],
    ) {
        lock(&self.state).held.insert(key.clone(), false);
        let me = Arc::clone(self);
        let line = line.to_vec();
        std::thread::spawn(move || {
            let answer = me.decider.wait(&approval, me.opts.wait);
            let mut st = lock(&me.state);
            let cancelled = st.held.remove(&key).unwrap_or(true);
            if cancelled {
                return;
            }
            match answer {
                Decision::Allow => {
                    drop(st);
                    me.send_server(&line);
                }
                Decision::Deny(r) => {
                    st.remember_refused(key);
                    drop(st);
                    me.send_client(refusal_reply(&id, &deny_text(&r)).as_bytes());
                }
                Decision::Escalate { approval: a, .. } => {
                    st.remember_refused(key);
                    drop(st);
                    let a = a.unwrap_or(approval);
                    let text = approval_text(&reason, Some(&a));
                    me.send_client(refusal_reply(&id, &text).as_bytes());
                }
            }
        });
    }

    /// Answers a client message longer than [`MAX_CLIENT_MESSAGE`] (`prefix`
    /// its first bytes): an error, with its id when one comes whole before
    /// the cut, else id null. Nothing is forwarded.
    pub fn too_long_from_client(&self, prefix: &[u8]) {
        let id = leading_id(prefix);
        let r = error_reply(
            id.as_deref(),
            INVALID_REQUEST,
            &format!(
                "message longer than {} MiB: not forwarded",
                MAX_CLIENT_MESSAGE >> 20
            ),
        );
        self.send_client(r.as_bytes());
    }

    /// Handles one line from the server: passed through, except a
    /// `tools/list` result with `hide_denied`.
    pub fn from_server(&self, line: &[u8]) {
        let line = trim_line(line);
        if self.opts.hide_denied && !lock(&self.state).lists.is_empty() {
            if let Some(filtered) = self.filter_list(line) {
                return self.send_client(filtered.as_bytes());
            }
        }
        self.send_client(line);
    }

    fn filter_list(&self, line: &[u8]) -> Option<String> {
        let env = envelope(line).ok()?;
        if env.method.is_some() {
            return None;
        }
        let key = id_key(env.id.0?);
        if !lock(&self.state).lists.remove(&key) {
            return None;
        }
        env.result.0?;
        let mut msg: Json = serde_json::from_slice(line).ok()?;
        let tools = msg.get_mut("result")?.get_mut("tools")?.as_array_mut()?;
        let before = tools.len();
        tools.retain(|t| {
            let name = t.get("name").and_then(Json::as_str);
            !name.is_some_and(|n| {
                self.decider
                    .denies_always(&format!("mcp__{}__{}", self.opts.server, n))
            })
        });
        if tools.len() == before {
            return None;
        }
        Some(msg.to_string())
    }
}

/// Reads a message: a JSON object (serde would also read a struct from an
/// array), each member once, and no member that another server's reader
/// would take for one of the protocol's ([`no_aliases`]).
fn envelope(line: &[u8]) -> Result<Envelope<'_>, serde_json::Error> {
    if line.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(serde::de::Error::custom("a message is a JSON object"));
    }
    let env = serde_json::from_slice::<Envelope>(line)?;
    no_aliases(
        std::str::from_utf8(line).map_err(serde::de::Error::custom)?,
        MESSAGE_MEMBERS,
    )?;
    Ok(env)
}

/// A `tools/call`'s params: an object, each member once, no alias of
/// `name` or `arguments`.
fn call_params(text: &str) -> Result<CallParams<'_>, serde_json::Error> {
    no_aliases(text, CALL_MEMBERS)?;
    serde_json::from_str::<CallParams>(text)
}

/// The members of a JSON-RPC message.
const MESSAGE_MEMBERS: &[&str] = &["jsonrpc", "id", "method", "params", "result", "error"];
/// The members of a `tools/call`'s params the proxy or the server reads.
const CALL_MEMBERS: &[&str] = &["name", "arguments", "_meta"];

/// How a reader that matches names without regard to case folds a
/// character: ASCII letters to lower case, and the non-ASCII letters whose
/// simple case folding is an ASCII one — `K` (Kelvin sign) to `k` and `ſ`
/// (long s) to `s` (Go's `encoding/json`), `İ` and `ı` to `i` (.NET's
/// ordinal ignore-case).
fn fold_char(c: char) -> char {
    match c {
        '\u{212A}' => 'k',
        '\u{017F}' => 's',
        '\u{0130}' | '\u{0131}' => 'i',
        c => c.to_ascii_lowercase(),
    }
}

/// Whether `name` reads as `member` to a reader that ignores case.
fn folds_to(name: &str, member: &str) -> bool {
    name.chars()
        .map(fold_char)
        .eq(member.chars().map(fold_char))
}

/// The member names of the JSON object `text`, in order (an error when it
/// is not an object).
struct Names(Vec<String>);

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Names;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Names, A::Error> {
                let mut names = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    m.next_value::<IgnoredAny>()?;
                    names.push(k);
                }
                Ok(Names(names))
            }
        }
        d.deserialize_map(V)
    }
}

/// Refuses an object with a member that is not one of `members` but reads
/// as one to a server whose JSON reader ignores case — Go's
/// `encoding/json` (the Go MCP SDKs), .NET with case-insensitive names:
/// `{"method":"ping","Method":"tools/call"}` is a `ping` here and, the
/// last match winning, a `tools/call` there; `"Params"`, `"Name"` and
/// `"argumentſ"` likewise.
fn no_aliases(text: &str, members: &[&str]) -> Result<(), serde_json::Error> {
    let Names(names) = serde_json::from_str(text)?;
    for n in &names {
        if let Some(m) = members.iter().find(|m| folds_to(n, m) && n != *m) {
            return Err(serde::de::Error::custom(format!(
                "member {} reads as `{m}` to a server that ignores case",
                quote(n)
            )));
        }
    }
    Ok(())
}

/// The error answer to text that is not a message the proxy reads one way.
fn bad_message(line: &[u8], e: &serde_json::Error) -> String {
    if serde_json::from_slice::<IgnoredAny>(line).is_ok() {
        error_reply(
            None,
            INVALID_REQUEST,
            &format!("not a JSON-RPC message permit0 reads one way: {e}"),
        )
    } else {
        error_reply(None, PARSE_ERROR, &format!("parse error: {e}"))
    }
}

/// The longest message the client may send (its line ending aside): 16 MiB.
/// A request beyond 1 MiB is escalated anyway (`MAX_REQUEST_BYTES`); this
/// bounds the proxy's memory. A longer message is answered with an error
/// and never forwarded, and the rest of its line is read and dropped in
/// chunks, never held.
pub const MAX_CLIENT_MESSAGE: usize = 16 << 20;

/// The longest message the server may send: 64 MiB (a large resource or
/// file read fits). A longer one stops the proxy with an error (docs/mcp.md).
pub const MAX_SERVER_MESSAGE: usize = 64 << 20;

/// What [`read_message`] read.
#[derive(Debug, PartialEq, Eq)]
pub enum Read1 {
    /// End of input, nothing read.
    End,
    /// One message (with its line ending, if any) in the buffer.
    Message,
    /// A message longer than the limit: its first `limit` bytes are in the
    /// buffer; the rest of its line is still to be read (unless `ended`:
    /// its newline was read) — [`skip_line`] drops it in chunks.
    TooLong { ended: bool },
}

/// Reads one newline-ended message into `buf` (cleared first), holding at
/// most `limit` bytes of it (its line ending aside).
pub fn read_message(r: &mut impl BufRead, buf: &mut Vec<u8>, limit: usize) -> io::Result<Read1> {
    buf.clear();
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            return Ok(if buf.is_empty() {
                Read1::End
            } else {
                Read1::Message
            });
        }
        // `content`: the bytes of this chunk before the newline, if any.
        let (take, content, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, i, true),
            None => (avail.len(), avail.len(), false),
        };
        let chunk = avail.get(..take).unwrap_or(avail);
        if buf.len() + content > limit {
            let room = limit.saturating_sub(buf.len()).min(content);
            buf.extend_from_slice(chunk.get(..room).unwrap_or_default());
            r.consume(take);
            return Ok(Read1::TooLong { ended: done });
        }
        buf.extend_from_slice(chunk);
        r.consume(take);
        if done {
            return Ok(Read1::Message);
        }
    }
}

/// Reads and drops input up to and including the next newline, a buffer
/// at a time.
pub fn skip_line(r: &mut impl BufRead) -> io::Result<()> {
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            return Ok(());
        }
        match avail.iter().position(|&b| b == b'\n') {
            Some(i) => {
                r.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = avail.len();
                r.consume(n);
            }
        }
    }
}

/// The `id` of an object whose text begins with `prefix`, when it is a
/// member that comes whole before the cut and is a string, a number or
/// null; else none. Only for the error answer to an over-long message.
fn leading_id(prefix: &[u8]) -> Option<String> {
    let ws = |s: &[u8]| -> usize { s.iter().take_while(|b| b.is_ascii_whitespace()).count() };
    let mut at = ws(prefix);
    if prefix.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    loop {
        at += ws(prefix.get(at..)?);
        let mut keys =
            serde_json::Deserializer::from_slice(prefix.get(at..)?).into_iter::<String>();
        let key = keys.next()?.ok()?;
        at += keys.byte_offset();
        at += ws(prefix.get(at..)?);
        if prefix.get(at) != Some(&b':') {
            return None;
        }
        at += 1;
        let rest = prefix.get(at..)?;
        if key == "id" {
            let mut vals = serde_json::Deserializer::from_slice(rest).into_iter::<Json>();
            let v = vals.next()?.ok()?;
            // A number at the cut may have lost digits: only one followed
            // by more text counts.
            let after = rest.get(vals.byte_offset()..)?;
            after.get(ws(after))?;
            return match v {
                Json::String(_) | Json::Number(_) | Json::Null => Some(v.to_string()),
                _ => None,
            };
        }
        let mut vals = serde_json::Deserializer::from_slice(rest).into_iter::<IgnoredAny>();
        vals.next()?.ok()?;
        at += vals.byte_offset();
        at += ws(prefix.get(at..)?);
        if prefix.get(at) != Some(&b',') {
            return None;
        }
        at += 1;
    }
}

enum Event {
    ClientClosed,
    ServerClosed,
    ServerTooLong,
}

/// How long the server gets to exit after its stdin is closed (or its
/// stdout), before it is killed.
const GRACE: Duration = Duration::from_secs(5);

fn wait_with_grace(child: &mut Child) -> io::Result<i32> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(exit_code(status));
        }
        if start.elapsed() > GRACE {
            let _ = child.kill();
            return child.wait().map(exit_code);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    if let Some(c) = status.code() {
        return c;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(s) = status.signal() {
            return 128 + s;
        }
    }
    1
}

/// Runs the proxy: starts `server` (its stderr is ours), relays between
/// `client_in`/`client_out` and the server, and returns the server's exit
/// code once either side has closed. `Err` says why it could not go on:
/// the server cannot be started ("cannot run it: …"), or it sent a message
/// too long to frame (the proxy stops it).
pub fn run(
    opts: Options,
    decider: Arc<dyn Decider>,
    mut server: Command,
    client_in: Box<dyn Read + Send>,
    client_out: Sink,
) -> io::Result<i32> {
    let mut child = server
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run it: {e}")))?;
    let (Some(child_in), Some(child_out)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        return Err(io::Error::other("the server's stdio could not be piped"));
    };
    let gw = Arc::new(Gateway::new(opts, decider, client_out, Box::new(child_in)));
    let (tx, rx) = mpsc::channel();

    let (g, t) = (Arc::clone(&gw), tx.clone());
    std::thread::spawn(move || {
        let mut r = BufReader::with_capacity(64 * 1024, client_in);
        let mut buf = Vec::new();
        loop {
            match read_message(&mut r, &mut buf, MAX_CLIENT_MESSAGE) {
                Ok(Read1::End) | Err(_) => break,
                Ok(Read1::Message) => g.from_client(&buf),
                Ok(Read1::TooLong { ended }) => {
                    g.too_long_from_client(&buf);
                    if !ended && skip_line(&mut r).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = t.send(Event::ClientClosed);
    });
    let g = Arc::clone(&gw);
    std::thread::spawn(move || {
        let mut r = BufReader::with_capacity(64 * 1024, child_out);
        let mut buf = Vec::new();
        let end = loop {
            match read_message(&mut r, &mut buf, MAX_SERVER_MESSAGE) {
                Ok(Read1::End) | Err(_) => break Event::ServerClosed,
                Ok(Read1::Message) => g.from_server(&buf),
                Ok(Read1::TooLong { .. }) => break Event::ServerTooLong,
            }
        };
        let _ = tx.send(end);
    });

    match rx.recv() {
        Ok(Event::ClientClosed) => {
            gw.close_server();
            let code = wait_with_grace(&mut child)?;
            // Let the server's last words reach the client.
            let _ = rx.recv_timeout(Duration::from_secs(1));
            Ok(code)
        }
        Ok(Event::ServerClosed) | Err(_) => {
            gw.close_server();
            wait_with_grace(&mut child)
        }
        Ok(Event::ServerTooLong) => {
            // The server's output can no longer be framed as it meant it:
            // stop rather than guess where its next message begins.
            gw.close_server();
            let _ = child.kill();
            let _ = child.wait();
            Err(io::Error::other(format!(
                "the server sent a message longer than {} MiB; the proxy stopped",
                MAX_SERVER_MESSAGE >> 20
            )))
        }
    }
}

#[cfg(test)]
mod tests;

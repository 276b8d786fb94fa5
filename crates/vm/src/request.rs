//! JSON in, [`Request`] out: binds a request's names to the program's typed
//! slots once per call, so `decide` reads slots by index and never looks a
//! name up. Anything that cannot be bound exactly is a [`BindError`]; the
//! caller turns it into a decision with [`Program::refuse`] — never allow.

use crate::json::{Cursor, Raw, MAX_REQUEST_BYTES};
use crate::program::{ActionRt, FieldMeta, Program};
use crate::value::{Text, Value};
use crate::wire::TypeWire;
use serde_json::Value as Json;
use std::fmt;
use std::sync::Arc;

type Obj = serde_json::Map<String, Json>;

use crate::normalize::Inputs;

/// A request bound to one program's slots.
///
/// `repr(C)` to keep what `decide` reads of every request — the program
/// instance, the action, the taint, then the slots themselves (held inline
/// up to [`INLINE_SLOTS`]) — together from its start: no pointer to follow,
/// and the first slots in the first cache line.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct Request {
    pub(crate) instance: u64,
    pub(crate) action: Option<u32>,
    pub(crate) via_tool: bool,
    /// Something the caller added that the engine ignored — a derived field
    /// it supplied, a field or raw argument nobody reads. The request is
    /// decided without it, and the decision is then never looser than
    /// escalate: adding to a request can only tighten its decision.
    pub(crate) taint: Option<Box<BindError>>,
    pub(crate) slots: Frame,
    /// What the caller asked for, as sent (`action` or `tool` name); for a
    /// known action, the program's own copy of its name.
    pub(crate) asked: Arc<str>,
    /// Session aggregates in the bundle's order; filled by the embedding's
    /// session store (0 = nothing seen).
    pub(crate) aggs: Box<[i64]>,
    /// The local times the action's rules read, in the zones they name
    /// (`ActionRt::locals`), computed at bind time.
    pub(crate) locals: Box<[crate::arith::Num]>,
    pub(crate) session: Option<Box<str>>,
    /// A raw tool call's arguments as sent: part of the action's canonical
    /// form, since the executor runs the raw call (see docs/audit.md).
    pub(crate) tool_args: Option<Box<Json>>,
}

impl Request {
    /// The canonical action this request was bound to, if the bundle knows it.
    pub fn action(&self) -> Option<u32> {
        self.action
    }

    /// The name the caller sent.
    pub fn asked(&self) -> &str {
        &self.asked
    }

    /// What the caller added that the engine ignored, if anything (see
    /// [`Request`]'s `taint`): the reason an otherwise allowed request
    /// escalates.
    pub fn taint(&self) -> Option<&BindError> {
        self.taint.as_deref()
    }

    pub(crate) fn taint_with(&mut self, e: BindError) {
        if self.taint.is_none() {
            self.taint = Some(Box::new(e));
        }
    }

    pub fn session_id(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// The value of a slot, for the explain path and session stores.
    pub fn slot(&self, i: usize) -> Option<&Value> {
        self.slots.get(i)
    }

    /// Sets a session aggregate (index into [`Program::aggregates`]).
    pub fn set_aggregate(&mut self, i: usize, value: i64) {
        if let Some(v) = self.aggs.get_mut(i) {
            *v = value;
        }
    }
}

/// The most slots a request holds inline: an action with up to 7 fields
/// of its own, beside the 17 of the `actor` and `context` namespaces. A
/// request of an action with more keeps its slots on the heap.
pub(crate) const INLINE_SLOTS: usize = 24;

/// A request's slots: inline, with no allocation to make, free or follow,
/// or — for an action with more than [`INLINE_SLOTS`] — on the heap. Reads
/// as the slice of the action's slots either way.
#[derive(Clone)]
// Inline on purpose: that is the point of the frame.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Frame {
    Inline {
        len: u8,
        vals: [Value; INLINE_SLOTS],
    },
    Heap(Box<[Value]>),
}

impl Frame {
    /// `n` absent slots.
    #[inline(always)]
    pub(crate) fn absent(n: usize) -> Frame {
        match u8::try_from(n) {
            Ok(len) if n <= INLINE_SLOTS => Frame::Inline {
                len,
                vals: [const { Value::Absent }; INLINE_SLOTS],
            },
            _ => Frame::Heap(vec![Value::Absent; n].into_boxed_slice()),
        }
    }

    fn from_vec(v: Vec<Value>) -> Frame {
        if v.len() > INLINE_SLOTS {
            return Frame::Heap(v.into_boxed_slice());
        }
        let mut f = Frame::absent(v.len());
        f.iter_mut().zip(v).for_each(|(o, i)| *o = i);
        f
    }
}

impl std::ops::Deref for Frame {
    type Target = [Value];
    #[inline(always)]
    fn deref(&self) -> &[Value] {
        match self {
            // Never more than `INLINE_SLOTS` (`absent` makes it so); the
            // bound, known to the compiler, leaves no other case to carry.
            Frame::Inline { len, vals } => vals
                .get(..usize::from(*len).min(INLINE_SLOTS))
                .unwrap_or(&[]),
            Frame::Heap(b) => b,
        }
    }
}

impl std::ops::DerefMut for Frame {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [Value] {
        match self {
            Frame::Inline { len, vals } => vals.get_mut(..*len as usize).unwrap_or(&mut []),
            Frame::Heap(b) => b,
        }
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BindError {
    NotAnObject,
    /// Neither `action` nor `tool` is present, or it is not a string.
    NoAction,
    UnknownSection(String),
    SectionNotObject(String),
    UnknownField {
        action: String,
        field: String,
        suggestion: Option<String>,
    },
    MissingField {
        action: String,
        field: String,
    },
    WrongType {
        field: String,
        expected: String,
        found: String,
    },
    NotInEnum {
        field: String,
        value: String,
        members: Vec<String>,
    },
    Negative {
        field: String,
    },
    BadTime {
        field: String,
        value: String,
    },
    /// The caller supplied a field that only the engine computes.
    DerivedField {
        action: String,
        field: String,
    },
    /// A derived field's derivation gave no value for this request.
    Underivable {
        action: String,
        field: String,
    },
    /// A raw argument the tool's mapping neither reads nor accepts.
    UnknownArgument {
        tool: String,
        arg: String,
    },
    /// An argument the tool's mapping accepts without reading, with a value
    /// of another shape than the mapping gives it (`"timeout": "rm -rf ~"`).
    MistypedArgument {
        tool: String,
        arg: String,
        shape: &'static str,
    },
    /// Two aliases of one field were both sent, with different values: the
    /// executor may read either.
    DisagreeingArguments {
        tool: String,
        first: String,
        second: String,
    },
    /// A builtin the mapping or derivation calls is not attached to this
    /// program (see `Program::with_builtins`): nothing can be computed.
    NoBuiltin {
        builtin: String,
    },
    /// A tool has conditional mappings (`tool X when … -> …`) and none
    /// applies to this call, or a condition could not be evaluated: the
    /// call is refused rather than normalized by a looser guess.
    NoMappingApplies {
        tool: String,
    },
    /// A number that is an integer but does not fit the field's range
    /// (`min..=max`), e.g. money of 1e30 or above `i64::MAX`.
    OutOfRange {
        field: String,
        value: String,
        min: i64,
        max: i64,
    },
    /// `context.time` further from the embedding's clock than the allowed
    /// skew (see `permit0_session::Clock`).
    ClockSkew {
        field: String,
        value: String,
        /// Ahead of the clock (else behind it).
        ahead: bool,
        max_skew_ms: i64,
    },
    /// The same key twice in one JSON object ([`crate::parse_request`]);
    /// `path` names it, e.g. `args.command`.
    DuplicateKey {
        path: String,
    },
    /// The request text is not UTF-8 (`offset`: the first bad byte).
    NotUtf8 {
        offset: usize,
    },
    /// The request text is longer than the limit.
    TooLarge {
        size: usize,
        limit: usize,
    },
    /// Objects and arrays nested deeper than the limit.
    TooDeep {
        limit: usize,
    },
    /// The request text is not JSON.
    BadJson(String),
    /// The bundle's code for the action failed to decode or verify when a
    /// lazily loaded program first used it ([`Program::load_lazily`]): it
    /// never runs, and the request is denied.
    Unverified {
        action: String,
        reason: String,
    },
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindError::NotAnObject => f.write_str("request is not a JSON object"),
            BindError::NoAction => f.write_str("request names no action: give `\"action\"` or `\"tool\"` as a string"),
            BindError::UnknownSection(s) => write!(f, "unknown request section `{s}`; sections are action, tool, args, actor, context, session"),
            BindError::SectionNotObject(s) => write!(f, "request section `{s}` is not an object"),
            BindError::UnknownField { action, field, suggestion } => {
                write!(f, "`{action}` has no field `{field}`")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                Ok(())
            }
            BindError::MissingField { action, field } => write!(f, "`{action}` needs field `{field}`"),
            BindError::WrongType { field, expected, found } => write!(f, "`{field}` must be {expected}, found {found}"),
            BindError::NotInEnum { field, value, members } => {
                write!(f, "`{field}` is `{value}`, which is not one of {}", members.join(", "))
            }
            BindError::Negative { field } => write!(f, "`{field}` is money and cannot be negative"),
            BindError::BadTime { field, value } => write!(f, "`{field}` is `{value}`, not an RFC 3339 time such as 2026-11-22T10:00:00Z"),
            BindError::DerivedField { action, field } => write!(f, "`{action}.{field}` is computed by the engine; a request cannot supply it"),
            BindError::Underivable { action, field } => write!(f, "`{action}.{field}` cannot be computed from this request"),
            BindError::UnknownArgument { tool, arg } => write!(f, "tool `{tool}` has no argument `{arg}`; an argument the gate does not read may be the one the tool runs"),
            BindError::MistypedArgument { tool, arg, shape } => write!(f, "argument `{arg}` of tool `{tool}` must be {shape}; the gate does not read it, so it holds the caller to its shape"),
            BindError::DisagreeingArguments { tool, first, second } => write!(f, "tool `{tool}` was given both `{first}` and `{second}` with different values"),
            BindError::NoBuiltin { builtin } => write!(f, "the classifier `{builtin}` is not attached to this engine, so the request cannot be read (attach the classifiers: `Program::with_builtins(&permit0_classify::CLASSIFIERS)`)"),
            BindError::NoMappingApplies { tool } => write!(f, "no mapping of tool `{tool}` applies to this call: its conditions do not hold, or cannot be evaluated"),
            BindError::OutOfRange { field, value, min, max } => write!(f, "`{field}` is {value}, which is out of range: it must be an integer from {min} to {max}"),
            BindError::ClockSkew { field, value, ahead, max_skew_ms } => write!(
                f,
                "`{field}` is {value}, more than {} {} the engine's clock; a request's time must be within that of when it is decided",
                crate::time::format_duration_ms(*max_skew_ms),
                if *ahead { "ahead of" } else { "behind" }
            ),
            BindError::DuplicateKey { path } => write!(f, "the key `{path}` appears twice; a request must name each key once (the tool might read the other one)"),
            BindError::NotUtf8 { offset } => write!(f, "the request is not UTF-8 (bad byte at offset {offset})"),
            BindError::TooLarge { size, limit } => write!(f, "the request is {size} bytes, more than the limit of {limit}"),
            BindError::TooDeep { limit } => write!(f, "the request nests objects and arrays more than {limit} deep"),
            BindError::BadJson(e) => write!(f, "the request is not valid JSON: {e}"),
            BindError::Unverified { action, reason } => write!(f, "the bundle's code for `{action}` cannot run: {reason}"),
        }
    }
}

impl std::error::Error for BindError {}

/// 2^63: an `f64` at or beyond it (either sign) is outside `i64`.
const I64_SPAN: f64 = 9_223_372_036_854_775_808.0;

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Json::Number(_) => "a number with a fraction or an exponent",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// `context.grants`, exactly: an array of objects with the keys `scope`,
/// `action` (an action, `domain.*` or `*`), `expires` (RFC 3339),
/// `granted_by` and optionally `not_before`, and no other key. Anything
/// else refuses the request — a grant read loosely could widen what an
/// agent may do.
fn bind_grants(v: &Json, label: &str) -> Result<Arc<Vec<crate::value::Grant>>, BindError> {
    let wrong = |found: String| BindError::WrongType {
        field: label.to_string(),
        expected: expected(TypeWire::Grants).to_string(),
        found,
    };
    let items = v.as_array().ok_or_else(|| wrong(kind(v).to_string()))?;
    let mut out = Vec::with_capacity(items.len());
    for (i, g) in items.iter().enumerate() {
        let at = format!("{label}[{i}]");
        let obj = g
            .as_object()
            .ok_or_else(|| wrong(format!("an array holding {}", kind(g))))?;
        if let Some(k) = obj.keys().find(|k| {
            !matches!(
                k.as_str(),
                "scope" | "action" | "not_before" | "expires" | "granted_by"
            )
        }) {
            return Err(BindError::UnknownField {
                action: at,
                field: k.clone(),
                suggestion: closest(
                    k,
                    ["scope", "action", "not_before", "expires", "granted_by"].into_iter(),
                ),
            });
        }
        let text = |key: &str| -> Result<&str, BindError> {
            match obj.get(key) {
                Some(Json::String(s)) if !s.is_empty() => Ok(s),
                other => Err(BindError::WrongType {
                    field: format!("{at}.{key}"),
                    expected: "a non-empty string".to_string(),
                    found: other.map_or("nothing", kind).to_string(),
                }),
            }
        };
        let time = |key: &str, s: &str| {
            crate::time::parse_rfc3339(s).ok_or_else(|| BindError::BadTime {
                field: format!("{at}.{key}"),
                value: s.to_string(),
            })
        };
        let action = text("action")?;
        let well_formed = action == "*"
            || action
                .strip_suffix(".*")
                .unwrap_or(action)
                .split('.')
                .all(|p| {
                    !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                });
        if !well_formed {
            return Err(BindError::WrongType {
                field: format!("{at}.action"),
                expected: "an action, `domain.*` or `*`".to_string(),
                found: format!("`{action}`"),
            });
        }
        let not_before = match obj.get("not_before") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(time("not_before", s)?),
            Some(other) => {
                return Err(BindError::WrongType {
                    field: format!("{at}.not_before"),
                    expected: "an RFC 3339 time".to_string(),
                    found: kind(other).to_string(),
                })
            }
        };
        out.push(crate::value::Grant {
            scope: Text::new(text("scope")?),
            action: action.into(),
            not_before,
            expires: time("expires", text("expires")?)?,
            granted_by: Text::new(text("granted_by")?),
        });
    }
    Ok(Arc::new(out))
}

/// `actor.chain`, exactly: an array of objects with the keys `id`, `kind`
/// (`human`, `agent` or `service`), `scopes` (an array of strings) and
/// optionally `role`, and no other key; the first hop is the human (or
/// service) the work runs for, the last the agent acting now.
fn bind_chain(v: &Json, label: &str) -> Result<Arc<Vec<crate::value::Hop>>, BindError> {
    let wrong = |field: String, expected: &str, found: String| BindError::WrongType {
        field,
        expected: expected.to_string(),
        found,
    };
    let items = v.as_array().ok_or_else(|| {
        wrong(
            label.to_string(),
            expected(TypeWire::Chain),
            kind(v).to_string(),
        )
    })?;
    let mut out = Vec::with_capacity(items.len());
    for (i, h) in items.iter().enumerate() {
        let at = format!("{label}[{i}]");
        let obj = h.as_object().ok_or_else(|| {
            wrong(
                label.to_string(),
                expected(TypeWire::Chain),
                format!("an array holding {}", kind(h)),
            )
        })?;
        if let Some(k) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "id" | "kind" | "role" | "scopes"))
        {
            return Err(BindError::UnknownField {
                action: at,
                field: k.clone(),
                suggestion: closest(k, ["id", "kind", "role", "scopes"].into_iter()),
            });
        }
        let text = |key: &str| -> Result<Text, BindError> {
            match obj.get(key) {
                Some(Json::String(s)) if !s.is_empty() => Ok(Text::new(s)),
                other => Err(wrong(
                    format!("{at}.{key}"),
                    "a non-empty string",
                    other.map_or("nothing", kind).to_string(),
                )),
            }
        };
        let hop_kind = text("kind")?;
        if !matches!(&*hop_kind.raw, "human" | "agent" | "service") {
            return Err(BindError::NotInEnum {
                field: format!("{at}.kind"),
                value: hop_kind.raw.to_string(),
                members: vec!["human".into(), "agent".into(), "service".into()],
            });
        }
        let role = match obj.get("role") {
            None | Some(Json::Null) => None,
            Some(_) => Some(text("role")?),
        };
        let scopes: Box<[Text]> = match obj.get("scopes") {
            Some(Json::Array(ss)) => {
                let mut names = Vec::with_capacity(ss.len());
                for s in ss {
                    match s {
                        Json::String(s) => names.push(s.as_str()),
                        other => {
                            return Err(wrong(
                                format!("{at}.scopes"),
                                "an array of strings",
                                format!("an array holding {}", kind(other)),
                            ))
                        }
                    }
                }
                names.sort_unstable();
                names.dedup();
                names.into_iter().map(Text::new).collect()
            }
            other => {
                return Err(wrong(
                    format!("{at}.scopes"),
                    "an array of strings",
                    other.map_or("nothing", kind).to_string(),
                ))
            }
        };
        out.push(crate::value::Hop {
            id: text("id")?,
            kind: hop_kind,
            role,
            scopes,
        });
    }
    Ok(Arc::new(out))
}

pub(crate) fn expected(ty: TypeWire) -> &'static str {
    match ty {
        TypeWire::Bool => "a boolean",
        TypeWire::Int => "an integer",
        TypeWire::Money => "an integer count of minor units",
        TypeWire::Str => "a string",
        TypeWire::Duration => "a duration in milliseconds",
        TypeWire::Time => "an RFC 3339 time",
        TypeWire::Enum(_) => "one of the enum's members",
        TypeWire::List | TypeWire::Set => "an array of strings",
        TypeWire::Chain => {
            "an array of hops {\"id\", \"kind\": human|agent|service, \"role\"?, \"scopes\"}"
        }
        TypeWire::Grants => {
            "an array of grants {\"scope\", \"action\", \"not_before\"?, \"expires\", \"granted_by\"}"
        }
        TypeWire::Ip => "an IPv4 or IPv6 address (`10.1.2.3`, `2001:db8::1`)",
    }
}

/// What [`Program::clean_sections`] read of a canonical request.
struct CleanSections<'j> {
    action: u32,
    args: Option<&'j Obj>,
    actor: Option<&'j Obj>,
    context: Option<&'j Obj>,
    session: Option<Box<str>>,
}

impl Program {
    /// Binds a JSON request (docs/language.md, "The request and decision JSON"). An action the bundle
    /// does not know binds to no action, and `decide` escalates it.
    pub fn bind(&self, json: &Json) -> Result<Request, BindError> {
        // The fast path fills a request built here, where it is returned
        // from: a request with inline slots is a few hundred bytes, and
        // handing it up through `Option`s copied it three times.
        if let Some(c) = self.clean_sections(json) {
            let asked = self.bind.names.get(c.action as usize);
            if let (Some(a), Some(asked)) = (self.action(c.action as usize), asked) {
                // The answer itself, filled in place (a local of the
                // return type is built in the caller's slot).
                let mut out: Result<Request, BindError> = Ok(Request {
                    instance: self.instance,
                    action: Some(c.action),
                    via_tool: false,
                    taint: None,
                    slots: Frame::absent(a.slots.len()),
                    asked: Arc::clone(asked),
                    aggs: vec![0i64; self.aggregates.len()].into_boxed_slice(),
                    locals: Box::new([]),
                    session: c.session,
                    tool_args: None,
                });
                if let Ok(req) = &mut out {
                    let args = match c.args {
                        Some(m) => Inputs::Obj(m),
                        None => Inputs::Fields(&[]),
                    };
                    let bound =
                        self.bind_fields_fast(c.action, args, c.actor, c.context, &mut req.slots);
                    if bound.is_some() {
                        req.locals = self.locals(c.action, &req.slots);
                        return out;
                    }
                }
            }
        }
        self.bind_exactly(json)
    }

    /// The sections of a canonical request, for the fast path of
    /// [`Program::bind`]: one pass over them; `None` for anything else (a
    /// raw tool call, an unknown action, a session that is not just its
    /// id), which [`Program::bind_exactly`] then binds and words.
    fn clean_sections<'j>(&self, json: &'j Json) -> Option<CleanSections<'j>> {
        let (mut name, mut args, mut actor, mut context, mut session) =
            (None, None, None, None, None);
        for (key, v) in json.as_object()? {
            match key.as_str() {
                "action" => name = Some(v.as_str()?),
                "args" => args = section(v)?,
                "actor" => actor = section(v)?,
                "context" => context = section(v)?,
                "session" => session = section(v)?,
                _ => return None,
            }
        }
        let action = self.bind.action_id(name?)?;
        let session = match session {
            None => None,
            Some(m) => {
                let mut keys = m.keys();
                match (keys.next().map(String::as_str), keys.next(), m.get("id")) {
                    (Some("id"), None, Some(Json::String(id))) if !id.trim().is_empty() => {
                        Some(id.as_str().into())
                    }
                    _ => return None,
                }
            }
        };
        Some(CleanSections {
            action,
            args,
            actor,
            context,
            session,
        })
    }

    /// A request for known action `action`, asked by its name, with every
    /// slot absent, for the fast paths to fill in place.
    #[inline]
    fn skeleton(&self, action: u32, session: Option<Box<str>>) -> Option<Request> {
        let a = self.action(action as usize)?;
        Some(Request {
            instance: self.instance,
            action: Some(action),
            via_tool: false,
            taint: None,
            slots: Frame::absent(a.slots.len()),
            asked: Arc::clone(self.bind.names.get(action as usize)?),
            aggs: vec![0i64; self.aggregates.len()].into_boxed_slice(),
            locals: Box::new([]),
            session,
            tool_args: None,
        })
    }

    /// [`Program::bind`] without its fast path: section by section, in the
    /// order its refusals are worded in. The same answer as `bind`; for
    /// tests that check the fast paths against it.
    #[doc(hidden)]
    pub fn bind_exactly(&self, json: &Json) -> Result<Request, BindError> {
        let obj = json.as_object().ok_or(BindError::NotAnObject)?;
        for key in obj.keys() {
            if !matches!(
                key.as_str(),
                "action" | "tool" | "args" | "actor" | "context" | "session"
            ) {
                return Err(BindError::UnknownSection(key.clone()));
            }
        }
        let section = |name: &str| -> Result<Option<&serde_json::Map<String, Json>>, BindError> {
            match obj.get(name) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::Object(m)) => Ok(Some(m)),
                Some(_) => Err(BindError::SectionNotObject(name.to_string())),
            }
        };
        let args = section("args")?;
        let session = bind_session(section("session")?)?;
        let (asked, via_tool) = match (obj.get("action"), obj.get("tool")) {
            (Some(Json::String(a)), None) => (a.as_str(), false),
            (None, Some(Json::String(t))) => (t.as_str(), true),
            _ => return Err(BindError::NoAction),
        };
        let aggs = vec![0i64; self.aggregates.len()].into_boxed_slice();
        if via_tool {
            return crate::normalize::bind_tool(
                self,
                asked,
                args,
                section("actor")?,
                section("context")?,
                session,
                aggs,
            );
        }
        let Some(action) = self.bind.action_id(asked) else {
            return Ok(Request {
                instance: self.instance,
                action: None,
                asked: asked.into(),
                via_tool: false,
                slots: Frame::absent(0),
                aggs,
                locals: Box::new([]),
                session,
                tool_args: None,
                taint: None,
            });
        };
        let empty = serde_json::Map::new();
        self.bind_fields(
            action,
            Inputs::Obj(args.unwrap_or(&empty)),
            section("actor")?,
            section("context")?,
            asked,
            false,
            session,
            aggs,
        )
    }

    /// Binds a request straight from its JSON text, with exactly the
    /// strictness and the answers of `bind(&parse_request(text)?)` — the
    /// same request, or the same [`BindError`] — without building a
    /// `serde_json::Value`: a canonical request (`"action"` first, the
    /// order of sorted keys and of [`Program::canonical_request`]) is read
    /// once, each field straight into its slot. Anything else — a raw tool
    /// call, an unknown action, a refusal, a taint, a float, a key spelled
    /// twice — is parsed by [`crate::parse_request`] and bound by
    /// [`Program::bind`], which give the exact answer.
    pub fn bind_bytes(&self, text: &[u8]) -> Result<Request, BindError> {
        if text.len() <= MAX_REQUEST_BYTES {
            if let Ok(s) = std::str::from_utf8(text) {
                if let Some(r) = self.stream(s) {
                    return Ok(r);
                }
            }
        }
        self.bind(&crate::json::parse_request(text)?)
    }

    /// Whether [`Program::bind_bytes`] reads `text` on its streaming path
    /// (rather than parsing it first). The answer is the same either way;
    /// for tests and `permit0 bench`.
    #[doc(hidden)]
    pub fn bind_bytes_streams(&self, text: &[u8]) -> bool {
        text.len() <= MAX_REQUEST_BYTES
            && std::str::from_utf8(text).is_ok_and(|s| self.stream(s).is_some())
    }

    /// The fast path of [`Program::bind_bytes`]: `None` for anything but a
    /// clean canonical request.
    fn stream(&self, text: &str) -> Option<Request> {
        let mut c = Cursor::new(text);
        if !c.eat(b'{') || c.key()? != "action" {
            return None;
        }
        let name = c.string()?;
        let action = self.bind.action_id(&name)?;
        let a = self.action(action as usize)?;
        let t = &a.table;
        if !t.fits {
            return None;
        }
        let mut req = self.skeleton(action, None)?;
        let mut b = Slots::new(a, &mut req.slots);
        // Derivations read their inputs as JSON: for an action with derived
        // fields, the inputs and the namespaces are also kept as JSON.
        let keep = t.derived != 0;
        let mut json: [Option<Obj>; 3] = [None, None, None];
        let mut sections = 0u8;
        let mut session = None;
        while c.next_member(false)? {
            let key = c.key()?;
            let (bit, src) = match &*key {
                "args" => (1u8, Src::Args),
                "actor" => (2, Src::Actor),
                "context" => (4, Src::Context),
                "session" => (8, Src::Session),
                // `action` twice, `tool` too, or not a section.
                _ => return None,
            };
            if sections & bit != 0 {
                return None;
            }
            sections |= bit;
            if c.null() {
                continue;
            }
            if !c.eat(b'{') {
                return None;
            }
            if src == Src::Session {
                session = Some(stream_session(&mut c)?);
                continue;
            }
            let (fields, base) = match src {
                Src::Args => (a.slots.own(), 0),
                _ => {
                    let (n, base) = self.bind.namespace(src)?;
                    (self.namespaces.get(n)?.1.as_slice(), a.own_fields + base)
                }
            };
            let mut kept = keep.then(Obj::new);
            let mut first = true;
            let mut hint = 0;
            while c.next_member(first)? {
                first = false;
                let key = c.key()?;
                let pos = field_at(fields, &key, hint)?;
                hint = pos + 1;
                let f = fields.get(pos)?;
                if f.derive.is_some() {
                    return None;
                }
                let raw = c.raw()?;
                if let Some(m) = &mut kept {
                    m.insert(key.into_owned(), raw.to_json());
                }
                b.set(base + pos, self.bind_raw(f, raw)?)?;
            }
            if let Some(slot) = json.get_mut(src as usize) {
                *slot = kept;
            }
        }
        if !c.at_end() {
            return None;
        }
        let [args, actor, context] = &json;
        let empty = Obj::new();
        b.finish(
            self,
            action,
            t,
            Inputs::Obj(args.as_ref().unwrap_or(&empty)),
            actor.as_ref(),
            context.as_ref(),
        )?;
        req.session = session;
        req.locals = self.locals(action, &req.slots);
        Some(req)
    }

    /// A field's value from the text, as [`Program::bind_value`] binds its
    /// JSON; `None` wherever that refuses.
    fn bind_raw(&self, f: &FieldMeta, v: Raw<'_>) -> Option<Value> {
        Some(match (f.ty, v) {
            (_, Raw::Null) => return f.optional.then_some(Value::Absent),
            (TypeWire::Bool, Raw::Bool(b)) => Value::Bool(b),
            (TypeWire::Int | TypeWire::Duration, Raw::Int(i)) => Value::Int(i),
            (TypeWire::Money, Raw::Int(i)) if i >= 0 => Value::Int(i),
            (TypeWire::Time, Raw::Int(i)) => Value::Int(i),
            (TypeWire::Time, Raw::Str(s)) => Value::Int(crate::time::parse_rfc3339(&s)?),
            (TypeWire::Str, Raw::Str(s)) => Value::Str(Text::new(&s)),
            (TypeWire::List | TypeWire::Set, Raw::Strs(items)) => {
                Value::List(Box::new(items.iter().map(|s| Text::new(s)).collect()))
            }
            (TypeWire::Enum(e), Raw::Str(s)) => {
                let members = self.enums.members(e as usize)?;
                let p = members
                    .iter()
                    .position(|m| m.eq_ignore_ascii_case(&s) && s.is_ascii())?;
                Value::Enum(u16::try_from(p).ok()?)
            }
            _ => return None,
        })
    }

    /// [`Program::bind_raw`] of a parsed value, read in place: the fast
    /// path of a parsed request binds each field without building its
    /// [`Raw`] (held to `bind_raw(f, Raw::of(v)?)` by tests/bind_bytes.rs,
    /// which checks this path against binding field by field).
    #[inline(always)]
    fn bind_json(&self, f: &FieldMeta, v: &Json) -> Option<Value> {
        match (f.ty, v) {
            (TypeWire::Str, Json::String(s)) => Some(Value::Str(Text::new(s))),
            (TypeWire::Int | TypeWire::Duration | TypeWire::Time, Json::Number(n)) => {
                Some(Value::Int(n.as_i64()?))
            }
            (TypeWire::Money, Json::Number(n)) => Some(Value::Int(n.as_i64().filter(|i| *i >= 0)?)),
            (TypeWire::Bool, Json::Bool(b)) => Some(Value::Bool(*b)),
            _ => self.bind_raw(f, Raw::of(v)?),
        }
    }

    /// The fast path of binding parsed sections to an action's slots:
    /// `None` for anything but a clean request (a refusal, a taint), which
    /// [`Program::bind_fields_exactly`] then binds and words.
    fn bind_fields_fast(
        &self,
        action: u32,
        args: Inputs<'_>,
        actor: Option<&Obj>,
        context: Option<&Obj>,
        out: &mut Frame,
    ) -> Option<()> {
        let a = self.action(action as usize)?;
        let t = &a.table;
        if !t.fits {
            return None;
        }
        let mut b = Slots::new(a, out);
        let own = a.slots.own();
        let mut hint = 0;
        args.each(|key, v| {
            let pos = field_at(own, key, hint)?;
            hint = pos + 1;
            let f = own.get(pos)?;
            if f.derive.is_some() {
                return None;
            }
            b.set(pos, self.bind_json(f, v)?)
        })?;
        for (src, m) in [(Src::Actor, actor), (Src::Context, context)] {
            let Some(m) = m else { continue };
            let (n, base) = self.bind.namespace(src)?;
            let fields = &self.namespaces.get(n)?.1;
            let mut hint = 0;
            for (key, v) in m {
                let pos = field_at(fields, key, hint)?;
                hint = pos + 1;
                let f = fields.get(pos)?;
                b.set(a.own_fields + base + pos, self.bind_json(f, v)?)?;
            }
        }
        b.finish(self, action, t, args, actor, context)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn bind_fields(
        &self,
        action: u32,
        args: Inputs<'_>,
        actor: Option<&serde_json::Map<String, Json>>,
        context: Option<&serde_json::Map<String, Json>>,
        asked: &str,
        via_tool: bool,
        session: Option<Box<str>>,
        aggs: Box<[i64]>,
    ) -> Result<Request, BindError> {
        let mut slots = Frame::absent(self.action(action as usize).map_or(0, |a| a.slots.len()));
        if self
            .bind_fields_fast(action, args, actor, context, &mut slots)
            .is_none()
        {
            return self.bind_fields_exactly(
                action,
                &args.to_map(),
                actor,
                context,
                asked,
                via_tool,
                session,
                aggs,
            );
        }
        let asked = match self.bind.names.get(action as usize) {
            Some(name) if **name == *asked => Arc::clone(name),
            _ => asked.into(),
        };
        Ok(Request {
            instance: self.instance,
            action: Some(action),
            asked,
            via_tool,
            locals: self.locals(action, &slots),
            slots,
            aggs,
            session,
            tool_args: None,
            taint: None,
        })
    }

    /// Binds field by field in the order the errors are worded in: the
    /// first refusal in declaration order, the first taint in key order.
    #[allow(clippy::too_many_arguments)]
    fn bind_fields_exactly(
        &self,
        action: u32,
        args: &serde_json::Map<String, Json>,
        actor: Option<&serde_json::Map<String, Json>>,
        context: Option<&serde_json::Map<String, Json>>,
        asked: &str,
        via_tool: bool,
        session: Option<Box<str>>,
        aggs: Box<[i64]>,
    ) -> Result<Request, BindError> {
        let Some(a) = self.action(action as usize) else {
            return Err(match self.action_error(action as usize) {
                Some(reason) => BindError::Unverified {
                    action: asked.to_string(),
                    reason: reason.to_string(),
                },
                None => BindError::NoAction,
            });
        };
        let mut slots: Vec<Value> = Vec::with_capacity(a.slots.len());
        let own = a.slots.own();
        let mut taint = None;
        for key in args.keys() {
            match own.iter().find(|f| *f.name == **key) {
                Some(f) if f.derive.is_some() => {
                    taint.get_or_insert(BindError::DerivedField {
                        action: a.name.to_string(),
                        field: key.clone(),
                    });
                }
                Some(_) => {}
                None => {
                    taint.get_or_insert(BindError::UnknownField {
                        action: a.name.to_string(),
                        field: key.clone(),
                        suggestion: closest(key, own.iter().map(|f| &*f.name)),
                    });
                }
            }
        }
        let mut derivations =
            crate::normalize::Derivations::new(self, action, Inputs::Obj(args), actor, context);
        for (i, f) in own.iter().enumerate() {
            let value = match (&f.derive, derivations.as_mut()) {
                (None, _) => self.bind_value(f, args.get(&*f.name), &a.name, &f.name)?,
                (Some(_), None) => {
                    return Err(BindError::Underivable {
                        action: a.name.to_string(),
                        field: f.name.to_string(),
                    })
                }
                (Some(_), Some(d)) => {
                    let v = d.value(i)?;
                    if v.is_null() && !f.optional {
                        return Err(BindError::Underivable {
                            action: a.name.to_string(),
                            field: f.name.to_string(),
                        });
                    }
                    self.bind_value(f, Some(v), &a.name, &f.name)?
                }
            };
            slots.push(value);
        }
        for (ns, fields) in &self.namespaces {
            let src = match &**ns {
                "actor" => actor,
                "context" => context,
                _ => None,
            };
            if let Some(m) = src {
                for key in m.keys() {
                    if !fields.iter().any(|f| *f.name == **key) {
                        taint.get_or_insert(BindError::UnknownField {
                            action: ns.to_string(),
                            field: key.clone(),
                            suggestion: closest(key, fields.iter().map(|f| &*f.name)),
                        });
                    }
                }
            }
            for f in fields {
                let qualified = format!("{ns}.{}", f.name);
                slots.push(self.bind_value(
                    f,
                    src.and_then(|m| m.get(&*f.name)),
                    ns,
                    &qualified,
                )?);
            }
        }
        Ok(Request {
            instance: self.instance,
            action: Some(action),
            asked: asked.into(),
            via_tool,
            locals: self.locals(action, &slots),
            slots: Frame::from_vec(slots),
            aggs,
            session,
            tool_args: None,
            taint: taint.map(Box::new),
        })
    }

    /// The local times action `action`'s rules read, from its bound slots.
    fn locals(&self, action: u32, slots: &[Value]) -> Box<[crate::arith::Num]> {
        let Some(a) = self.action(action as usize) else {
            return Box::new([]);
        };
        a.locals
            .iter()
            .map(|l| {
                let time = slots.get(l.time as usize).unwrap_or(&Value::Absent);
                let zone = match &l.zone {
                    crate::local::ZoneWire::Slot(z) => match slots.get(*z as usize) {
                        Some(Value::Str(t)) => Some(&*t.raw),
                        _ => None,
                    },
                    crate::local::ZoneWire::Name(n) => Some(n.as_str()),
                };
                crate::local::local_time(time, zone)
            })
            .collect()
    }

    fn bind_value(
        &self,
        f: &FieldMeta,
        v: Option<&Json>,
        owner: &str,
        label: &str,
    ) -> Result<Value, BindError> {
        let v = match v {
            None | Some(Json::Null) => {
                return if f.optional {
                    Ok(Value::Absent)
                } else {
                    Err(BindError::MissingField {
                        action: owner.to_string(),
                        field: f.name.to_string(),
                    })
                };
            }
            Some(v) => v,
        };
        let wrong = || BindError::WrongType {
            field: label.to_string(),
            expected: expected(f.ty).to_string(),
            found: kind(v).to_string(),
        };
        let int = |min: i64| -> Result<i64, BindError> {
            match v {
                Json::Number(n) => match n.as_i64() {
                    Some(i) if i >= min => Ok(i),
                    Some(_) if min == 0 => Err(BindError::Negative {
                        field: label.to_string(),
                    }),
                    // An integer beyond i64, written as one or with an
                    // exponent (1e30): out of range, not "not an integer".
                    None if n.is_u64()
                        || n.as_f64().is_some_and(|x| {
                            x.fract() == 0.0 && !(-I64_SPAN..I64_SPAN).contains(&x)
                        }) =>
                    {
                        Err(BindError::OutOfRange {
                            field: label.to_string(),
                            value: n.to_string(),
                            min,
                            max: i64::MAX,
                        })
                    }
                    _ => Err(wrong()),
                },
                _ => Err(wrong()),
            }
        };
        Ok(match f.ty {
            TypeWire::Bool => Value::Bool(v.as_bool().ok_or_else(wrong)?),
            TypeWire::Int | TypeWire::Duration => Value::Int(int(i64::MIN)?),
            TypeWire::Money => {
                let n = int(0)?;
                if n < 0 {
                    return Err(BindError::Negative {
                        field: label.to_string(),
                    });
                }
                Value::Int(n)
            }
            TypeWire::Time => match v {
                Json::String(s) => {
                    Value::Int(
                        crate::time::parse_rfc3339(s).ok_or_else(|| BindError::BadTime {
                            field: label.to_string(),
                            value: s.clone(),
                        })?,
                    )
                }
                _ => Value::Int(int(i64::MIN)?),
            },
            TypeWire::Str => Value::Str(Text::new(v.as_str().ok_or_else(wrong)?)),
            TypeWire::List | TypeWire::Set => {
                let items = v.as_array().ok_or_else(wrong)?;
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(Text::new(i.as_str().ok_or_else(|| {
                        BindError::WrongType {
                            field: label.to_string(),
                            expected: "an array of strings".to_string(),
                            found: format!("an array holding {}", kind(i)),
                        }
                    })?));
                }
                Value::List(Box::new(out))
            }
            TypeWire::Grants => Value::Grants(bind_grants(v, label)?),
            TypeWire::Chain => Value::Chain(bind_chain(v, label)?),
            TypeWire::Ip => {
                let s = v.as_str().ok_or_else(wrong)?;
                Value::Ip(Box::new(crate::value::parse_ip(s).map_err(|why| {
                    let shown: String = s.chars().take(64).collect();
                    BindError::WrongType {
                        field: label.to_string(),
                        expected: why.to_string(),
                        found: format!("`{shown}`"),
                    }
                })?))
            }
            TypeWire::Enum(e) => {
                let s = v.as_str().ok_or_else(wrong)?;
                let members = self.enums.members(e as usize);
                // Enum members are identifiers; accept any letter case.
                let pos = members.and_then(|ms| {
                    ms.iter()
                        .position(|m| m.eq_ignore_ascii_case(s) && s.is_ascii())
                });
                match pos.and_then(|p| u16::try_from(p).ok()) {
                    Some(p) => Value::Enum(p),
                    None => {
                        return Err(BindError::NotInEnum {
                            field: label.to_string(),
                            value: s.to_string(),
                            members: members
                                .into_iter()
                                .flat_map(|ms| ms.iter())
                                .map(str::to_string)
                                .collect(),
                        })
                    }
                }
            }
        })
    }
}

/// The position of the field named `key`, looked for at `hint` first: the
/// keys of a section come in order (a parsed object's are sorted; a
/// canonical request's too), and a team declares fields in an order it
/// usually keeps, so the field after the last one found is most often the
/// next. Names are compared length first, without a call to `memcmp`.
#[inline(always)]
fn field_at(fields: &[FieldMeta], key: &str, hint: usize) -> Option<usize> {
    if fields
        .get(hint)
        .is_some_and(|f| crate::exec::same(&f.name, key))
    {
        return Some(hint);
    }
    fields.iter().position(|f| crate::exec::same(&f.name, key))
}

/// A section of a parsed request: `Some(None)` when it is null, `None`
/// when it is not an object.
fn section(v: &Json) -> Option<Option<&Obj>> {
    match v {
        Json::Null => Some(None),
        Json::Object(m) => Some(Some(m)),
        _ => None,
    }
}

/// Where a section's values go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Src {
    Args = 0,
    Actor = 1,
    Context = 2,
    Session = 3,
}

/// What binding needs of a program, computed once at load so a request
/// looks nothing up by name but its fields.
#[derive(Debug)]
pub(crate) struct BindTables {
    /// Each action's name, shared by every request bound to it.
    names: Box<[Arc<str>]>,
    /// Action names → ids: an open-addressed table of `(hash, id + 1)`
    /// (0: empty), at most half full, so a name is found in about one probe
    /// instead of a binary search through the actions.
    index: Box<[(u32, u32)]>,
    /// The `actor` and `context` namespaces: their index in
    /// `Program::namespaces` and their first slot after an action's own
    /// fields.
    actor: Option<(usize, usize)>,
    context: Option<(usize, usize)>,
}

#[derive(Debug)]
pub(crate) struct ActionTable {
    /// At most 128 slots: the fast paths track them in a `u128`.
    fits: bool,
    /// Slots a request must give (neither optional nor derived).
    required: u128,
    /// Derived slots.
    derived: u128,
}

impl ActionTable {
    pub(crate) fn of(slots: &crate::program::FieldSlots, own_fields: usize) -> ActionTable {
        let mut t = ActionTable {
            fits: slots.len() <= 128,
            required: 0,
            derived: 0,
        };
        for (i, f) in slots.iter().enumerate().take(128) {
            // Only an action's own fields are derived; binding reads a
            // namespace field as sent, whatever it says.
            if f.derive.is_some() && i < own_fields {
                t.derived |= 1 << i;
            } else if !f.optional {
                t.required |= 1 << i;
            }
        }
        t
    }
}

impl BindTables {
    pub(crate) fn new(names: &[Arc<str>], namespaces: &[(Box<str>, Vec<FieldMeta>)]) -> Self {
        let mut actor = None;
        let mut context = None;
        let mut base = 0;
        for (i, (name, fields)) in namespaces.iter().enumerate() {
            match &**name {
                "actor" if actor.is_none() => actor = Some((i, base)),
                "context" if context.is_none() => context = Some((i, base)),
                _ => {}
            }
            base += fields.len();
        }
        let size = (names.len() * 2).next_power_of_two().max(8);
        let mut index = vec![(0u32, 0u32); size];
        for (id, name) in names.iter().enumerate() {
            let h = name_hash(name);
            let mut i = h as usize & (size - 1);
            while index.get(i).is_some_and(|e| e.1 != 0) {
                i = (i + 1) & (size - 1);
            }
            if let (Some(e), Ok(id)) = (index.get_mut(i), u32::try_from(id + 1)) {
                *e = (h, id);
            }
        }
        BindTables {
            index: index.into_boxed_slice(),
            names: names.into(),
            actor,
            context,
        }
    }

    /// The id of the action named `name` (as [`Program::action_id`]).
    fn action_id(&self, name: &str) -> Option<u32> {
        let h = name_hash(name);
        let mask = self.index.len().checked_sub(1)?;
        let mut i = h as usize & mask;
        loop {
            let (eh, id) = *self.index.get(i)?;
            let id = id.checked_sub(1)?;
            if eh == h
                && self
                    .names
                    .get(id as usize)
                    .is_some_and(|n| crate::exec::same(n, name))
            {
                return Some(id);
            }
            i = (i + 1) & mask;
        }
    }

    fn namespace(&self, src: Src) -> Option<(usize, usize)> {
        match src {
            Src::Actor => self.actor,
            Src::Context => self.context,
            Src::Args | Src::Session => None,
        }
    }
}

/// FNV-1a, folded to 32 bits.
fn name_hash(s: &str) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h ^ (h >> 32)) as u32
}

/// An action's slots as a fast path fills them, each at most once.
struct Slots<'p, 'f> {
    a: &'p ActionRt,
    /// As many absent slots as the action has.
    slots: &'f mut Frame,
    seen: u128,
}

impl<'p, 'f> Slots<'p, 'f> {
    fn new(a: &'p ActionRt, slots: &'f mut Frame) -> Self {
        Slots { a, slots, seen: 0 }
    }

    /// `None` for a slot given twice (a key spelled twice in the text).
    fn set(&mut self, i: usize, v: Value) -> Option<()> {
        let bit = 1u128.checked_shl(u32::try_from(i).ok()?)?;
        if self.seen & bit != 0 {
            return None;
        }
        self.seen |= bit;
        let slot = self.slots.get_mut(i)?;
        if matches!(slot, Value::Absent) {
            // The slot is a fresh frame's: nothing to drop, and no call to
            // `drop_in_place` for it (a tenth of a canonical bind).
            std::mem::forget(std::mem::replace(slot, v));
        } else {
            *slot = v;
        }
        Some(())
    }

    /// Checks that every required slot was given and computes the derived
    /// ones; `None` where binding would refuse.
    fn finish(
        self,
        p: &Program,
        action: u32,
        t: &ActionTable,
        args: Inputs<'_>,
        actor: Option<&Obj>,
        context: Option<&Obj>,
    ) -> Option<()> {
        if t.required & !self.seen != 0 {
            return None;
        }
        let mut derived = t.derived;
        if derived == 0 {
            return Some(());
        }
        let mut d = crate::normalize::Derivations::new(p, action, args, actor, context)?;
        while derived != 0 {
            let i = derived.trailing_zeros() as usize;
            derived &= derived - 1;
            let f = self.a.slots.get(i)?;
            // A derivation that fails (a classifier missing) falls back to
            // the exact path, which reports it.
            let v = d.value(i).ok()?;
            if v.is_null() && !f.optional {
                return None;
            }
            *self.slots.get_mut(i)? = p.bind_value(f, Some(v), "", "").ok()?;
        }
        Some(())
    }
}

/// A `session` section after its `{`, read from the text.
fn stream_session(c: &mut Cursor<'_>) -> Option<Box<str>> {
    let mut id = None;
    let mut first = true;
    while c.next_member(first)? {
        first = false;
        if c.key()? != "id" || id.is_some() {
            return None;
        }
        let s = c.string()?;
        if s.trim().is_empty() {
            return None;
        }
        id = Some(Box::from(&*s));
    }
    id
}

/// The `session` section: `{"id": "<non-empty string>"}` and nothing else,
/// or no section at all. A malformed section would otherwise switch off
/// every cap and attack chain.
fn bind_session(
    section: Option<&serde_json::Map<String, Json>>,
) -> Result<Option<Box<str>>, BindError> {
    let Some(m) = section else {
        return Ok(None);
    };
    if let Some(key) = m.keys().find(|k| k.as_str() != "id") {
        return Err(BindError::UnknownField {
            action: "session".into(),
            field: key.clone(),
            suggestion: closest(key, ["id"].into_iter()),
        });
    }
    match m.get("id") {
        None => Err(BindError::MissingField {
            action: "session".into(),
            field: "id".into(),
        }),
        Some(Json::String(id)) if !id.trim().is_empty() => Ok(Some(id.as_str().into())),
        Some(v) => Err(BindError::WrongType {
            field: "session.id".into(),
            expected: "a non-empty string".into(),
            found: match v {
                Json::String(_) => "an empty string".into(),
                v => kind(v).into(),
            },
        }),
    }
}

/// A near name for "did you mean" ([`crate::suggest::did_you_mean`], the
/// rule every suggestion follows).
pub(crate) fn closest<'a>(word: &str, names: impl Iterator<Item = &'a str>) -> Option<String> {
    crate::suggest::did_you_mean(word, names).map(str::to_string)
}

//! Raw tool calls in, canonical requests out: a `tool gmail_send -> email.send
//! { … }` mapping computes the action's input fields from the raw arguments,
//! and the taxonomy's derivations compute its derived fields from those (the
//! same derivations run for canonical requests, so naming the action never
//! skips a classifier). Every raw argument is accounted for: one the mapping
//! neither reads nor lists under `_` taints the request, and aliases of one
//! field that disagree are refused.
//!
//! The builtins a mapping or derivation calls (the classifiers: shell, SQL,
//! URLs, paths, secrets) are not part of the VM: a program calls them
//! through the [`Builtins`] attached to it (`permit0_classify::CLASSIFIERS`,
//! which the `Authorizer` and the compiler attach). A program with none
//! refuses every request that needs one — never guesses a value.

use crate::program::Program;
use crate::request::{BindError, Request};
use crate::wire::{ToolCondWire, ToolExprWire, ToolWire};
use permit0_types::builtin::Builtin;
use serde_json::{Map, Value as Json};
use std::borrow::Cow;

type Obj = Map<String, Json>;

static NULL: Json = Json::Null;

/// Most builtins take one to three arguments: their values sit in an array
/// on the stack, so a call allocates nothing of its own.
const INLINE_ARGS: usize = 4;

/// The normalizer builtins, as a program calls them.
pub trait Builtins: Send + Sync + std::fmt::Debug {
    /// The value of `f` on `args`; `None` when this implementation does not
    /// have `f` (the request is then refused, see [`BindError::NoBuiltin`]).
    fn call(&self, f: Builtin, args: &[&Json]) -> Option<Json>;
}

/// No builtins at all: what a program has until classifiers are attached
/// (`Program::with_builtins`). Every call is refused.
#[derive(Debug)]
pub struct NoBuiltins;

impl Builtins for NoBuiltins {
    fn call(&self, _: Builtin, _: &[&Json]) -> Option<Json> {
        None
    }
}

/// `mcp__gmail__gmail_send` → `gmail_send`: hosts prefix tool names with the
/// server they come from.
pub fn strip_host_prefix(name: &str) -> &str {
    match name.strip_prefix("mcp__") {
        Some(rest) => rest.split_once("__").map(|(_, t)| t).unwrap_or(rest),
        None => name,
    }
}

/// The mapping that normalizes this call: the first, in source order, whose
/// condition holds or that has none. A condition that cannot be evaluated
/// exactly refuses the call (it never falls through to the next mapping),
/// and so does a tool none of whose mappings applies.
fn choose<'p>(
    p: &'p Program,
    name: &str,
    sources: &Sources<'_>,
) -> Result<Option<&'p ToolWire>, BindError> {
    let bare = strip_host_prefix(name);
    let mut any = false;
    for t in p.tools.iter().filter(|t| t.names.iter().any(|n| n == bare)) {
        any = true;
        let Some(cond) = &t.when else {
            return Ok(Some(t));
        };
        match holds(cond, sources)? {
            Some(true) => return Ok(Some(t)),
            Some(false) => {}
            None => {
                return Err(BindError::NoMappingApplies {
                    tool: name.to_string(),
                })
            }
        }
    }
    if any {
        return Err(BindError::NoMappingApplies {
            tool: name.to_string(),
        });
    }
    Ok(None)
}

/// A mapping's condition: `None` when a value is null or not of the shape
/// the test needs.
fn holds(c: &ToolCondWire, s: &Sources<'_>) -> Result<Option<bool>, BindError> {
    Ok(match c {
        ToolCondWire::True(e) => match *eval(e, s)? {
            Json::Bool(b) => Some(b),
            _ => None,
        },
        ToolCondWire::Eq(a, b) => match (&*eval(a, s)?, &*eval(b, s)?) {
            (Json::Null, _) | (_, Json::Null) => None,
            (x, y) => Some(x == y),
        },
        ToolCondWire::Not(inner) => holds(inner, s)?.map(|b| !b),
        ToolCondWire::All(v) => {
            let mut out = Some(true);
            for c in v {
                match holds(c, s)? {
                    Some(true) => {}
                    Some(false) => return Ok(Some(false)),
                    None => out = None,
                }
            }
            out
        }
        ToolCondWire::Any(v) => {
            let mut out = Some(false);
            for c in v {
                match holds(c, s)? {
                    Some(false) => {}
                    Some(true) => return Ok(Some(true)),
                    None => out = None,
                }
            }
            out
        }
    })
}

pub(crate) fn bind_tool(
    p: &Program,
    name: &str,
    args: Option<&Obj>,
    actor: Option<&Obj>,
    context: Option<&Obj>,
    session: Option<Box<str>>,
    aggs: Box<[i64]>,
) -> Result<Request, BindError> {
    let empty = Map::new();
    let raw = args.unwrap_or(&empty);
    let sources = Sources {
        inputs: raw,
        actor,
        context,
        tool: Some(name),
        builtins: p.builtins,
    };
    let Some(tool) = choose(p, name, &sources)? else {
        return Ok(Request {
            instance: p.instance,
            action: None,
            asked: name.into(),
            via_tool: true,
            slots: crate::request::Frame::absent(0),
            aggs,
            locals: Box::new([]),
            session,
            tool_args: None,
            taint: None,
        });
    };
    let unread = raw
        .keys()
        .find(|k| tool.args.binary_search_by(|a| a.as_str().cmp(k)).is_err());
    let mut fields = Map::new();
    for (field, expr) in &tool.fields {
        let v = eval(expr, &sources)?;
        if !v.is_null() {
            fields.insert(field.clone(), v.into_owned());
        }
    }
    let mut req = p.bind_fields(
        tool.action,
        &fields,
        actor,
        context,
        name,
        true,
        session,
        aggs,
    )?;
    if let Some(arg) = unread {
        req.taint_with(BindError::UnknownArgument {
            tool: name.to_string(),
            arg: arg.clone(),
        });
    }
    req.tool_args = Some(Box::new(Json::Object(raw.clone())));
    Ok(req)
}

/// A derived field's value, from the action's input fields as given (before
/// binding: a wrongly typed input fails its own binding). Derivations never
/// name raw arguments, so `one_of` cannot fail here; a builtin the program
/// lacks can, and refuses the request.
pub(crate) fn derive(
    builtins: &dyn Builtins,
    e: &ToolExprWire,
    inputs: &Obj,
    actor: Option<&Obj>,
    context: Option<&Obj>,
) -> Result<Json, BindError> {
    let sources = Sources {
        inputs,
        actor,
        context,
        tool: None,
        builtins,
    };
    Ok(eval(e, &sources)?.into_owned())
}

/// What a mapping or derivation reads: raw arguments (a mapping) or input
/// fields (a derivation), and the request's `actor` and `context`.
struct Sources<'a> {
    inputs: &'a Obj,
    actor: Option<&'a Obj>,
    context: Option<&'a Obj>,
    /// The tool's name as sent, for errors; `None` in a derivation.
    tool: Option<&'a str>,
    builtins: &'a dyn Builtins,
}

/// Borrows what the request already holds (arguments, actor and context
/// values): a command line read by eight derivations is not copied eight
/// times.
fn eval<'a>(e: &ToolExprWire, s: &Sources<'a>) -> Result<Cow<'a, Json>, BindError> {
    Ok(match e {
        ToolExprWire::Arg(name) | ToolExprWire::Input(name) => {
            Cow::Borrowed(s.inputs.get(name).unwrap_or(&NULL))
        }
        ToolExprWire::Field(ns, f) => {
            let src = if ns == "actor" { s.actor } else { s.context };
            Cow::Borrowed(src.and_then(|m| m.get(f)).unwrap_or(&NULL))
        }
        ToolExprWire::Str(v) => Cow::Owned(Json::String(v.clone())),
        ToolExprWire::Int(n) => Cow::Owned(Json::from(*n)),
        ToolExprWire::Bool(b) => Cow::Owned(Json::Bool(*b)),
        ToolExprWire::List(items) => Cow::Owned(Json::Array(
            items.iter().cloned().map(Json::String).collect(),
        )),
        // `one_of(args.command, args.cmd)`: aliases of one field. The value
        // of whichever was sent; both sent and different is refused, since
        // the gate would judge one and the tool might run the other.
        ToolExprWire::Call(Builtin::OneOf, _) => match alias(e, s)? {
            Some((v, _)) => v,
            None => Cow::Borrowed(&NULL),
        },
        ToolExprWire::Call(f, call_args) if call_args.len() <= INLINE_ARGS => {
            let mut vals: [Cow<'a, Json>; INLINE_ARGS] =
                std::array::from_fn(|_| Cow::Borrowed(&NULL));
            for (slot, a) in vals.iter_mut().zip(call_args) {
                *slot = eval(a, s)?;
            }
            let refs: [&Json; INLINE_ARGS] =
                std::array::from_fn(|i| vals.get(i).map_or(&NULL, |v| &**v));
            Cow::Owned(call(
                s,
                *f,
                refs.get(..call_args.len()).unwrap_or_default(),
            )?)
        }
        ToolExprWire::Call(f, call_args) => {
            let mut vals: Vec<Cow<'a, Json>> = Vec::with_capacity(call_args.len());
            for a in call_args {
                vals.push(eval(a, s)?);
            }
            let refs: Vec<&Json> = vals.iter().map(|v| &**v).collect();
            Cow::Owned(call(s, *f, &refs)?)
        }
    })
}

fn call(s: &Sources<'_>, f: Builtin, args: &[&Json]) -> Result<Json, BindError> {
    s.builtins
        .call(f, args)
        .ok_or_else(|| BindError::NoBuiltin {
            builtin: f.name().to_string(),
        })
}

/// The value of an alias expression and the expression that supplied it
/// (named only when two disagree).
fn alias<'a, 'e>(
    e: &'e ToolExprWire,
    s: &Sources<'a>,
) -> Result<Option<(Cow<'a, Json>, &'e ToolExprWire)>, BindError> {
    let ToolExprWire::Call(f, args) = e else {
        let v = eval(e, s)?;
        return Ok((!v.is_null()).then_some((v, e)));
    };
    if *f != Builtin::OneOf {
        let v = eval(e, s)?;
        return Ok((!v.is_null()).then_some((v, e)));
    }
    let mut found: Option<(Cow<'a, Json>, &'e ToolExprWire)> = None;
    for a in args {
        let Some((v, by)) = alias(a, s)? else {
            continue;
        };
        match &found {
            None => found = Some((v, by)),
            Some((prev, _)) if *prev == v => {}
            Some((_, prev_by)) => {
                return Err(BindError::DisagreeingArguments {
                    tool: s.tool.unwrap_or("").to_string(),
                    first: describe(prev_by),
                    second: describe(by),
                })
            }
        }
    }
    Ok(found)
}

/// The raw argument an expression reads, for an error message.
fn describe(e: &ToolExprWire) -> String {
    match e {
        ToolExprWire::Arg(a) | ToolExprWire::Input(a) => a.clone(),
        ToolExprWire::Call(_, args) => args.iter().map(describe).collect::<Vec<_>>().join(", "),
        _ => "a literal".to_string(),
    }
}

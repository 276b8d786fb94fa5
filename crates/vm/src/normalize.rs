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
use crate::wire::{ToolExprWire, ToolWire};
use permit0_types::builtin::Builtin;
use serde_json::{Map, Value as Json};

type Obj = Map<String, Json>;

/// The normalizer builtins, as a program calls them.
pub trait Builtins: Send + Sync + std::fmt::Debug {
    /// The value of `f` on `args`; `None` when this implementation does not
    /// have `f` (the request is then refused, see [`BindError::NoBuiltin`]).
    fn call(&self, f: Builtin, args: &[Json]) -> Option<Json>;
}

/// No builtins at all: what a program has until classifiers are attached
/// (`Program::with_builtins`). Every call is refused.
#[derive(Debug)]
pub struct NoBuiltins;

impl Builtins for NoBuiltins {
    fn call(&self, _: Builtin, _: &[Json]) -> Option<Json> {
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

pub(crate) fn find_tool<'p>(p: &'p Program, name: &str) -> Option<&'p ToolWire> {
    let bare = strip_host_prefix(name);
    p.tools.iter().find(|t| t.names.iter().any(|n| n == bare))
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
    let Some(tool) = find_tool(p, name) else {
        return Ok(Request {
            instance: p.instance,
            action: None,
            asked: name.into(),
            via_tool: true,
            slots: Box::new([]),
            aggs,
            locals: Box::new([]),
            session,
            tool_args: None,
            taint: None,
        });
    };
    let empty = Map::new();
    let raw = args.unwrap_or(&empty);
    let unread = raw
        .keys()
        .find(|k| tool.args.binary_search_by(|a| a.as_str().cmp(k)).is_err());
    let mut fields = Map::new();
    let sources = Sources {
        inputs: raw,
        actor,
        context,
        tool: Some(name),
        builtins: p.builtins,
    };
    for (field, expr) in &tool.fields {
        let v = eval(expr, &sources)?;
        if !v.is_null() {
            fields.insert(field.clone(), v);
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
    eval(e, &sources)
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

fn eval(e: &ToolExprWire, s: &Sources<'_>) -> Result<Json, BindError> {
    Ok(match e {
        ToolExprWire::Arg(name) | ToolExprWire::Input(name) => {
            s.inputs.get(name).cloned().unwrap_or(Json::Null)
        }
        ToolExprWire::Field(ns, f) => {
            let src = if ns == "actor" { s.actor } else { s.context };
            src.and_then(|m| m.get(f)).cloned().unwrap_or(Json::Null)
        }
        ToolExprWire::Str(v) => Json::String(v.clone()),
        ToolExprWire::Int(n) => Json::from(*n),
        ToolExprWire::Bool(b) => Json::Bool(*b),
        ToolExprWire::List(items) => Json::Array(items.iter().cloned().map(Json::String).collect()),
        // `one_of(args.command, args.cmd)`: aliases of one field. The value
        // of whichever was sent; both sent and different is refused, since
        // the gate would judge one and the tool might run the other.
        ToolExprWire::Call(Builtin::OneOf, _) => alias(e, s)?.map(|(v, _)| v).unwrap_or(Json::Null),
        ToolExprWire::Call(f, call_args) => {
            let mut vals: Vec<Json> = Vec::with_capacity(call_args.len());
            for a in call_args {
                vals.push(eval(a, s)?);
            }
            s.builtins
                .call(*f, &vals)
                .ok_or_else(|| BindError::NoBuiltin {
                    builtin: f.name().to_string(),
                })?
        }
    })
}

/// The value of an alias expression and the argument that supplied it.
fn alias(e: &ToolExprWire, s: &Sources<'_>) -> Result<Option<(Json, String)>, BindError> {
    let ToolExprWire::Call(f, args) = e else {
        let v = eval(e, s)?;
        return Ok((!v.is_null()).then(|| (v, describe(e))));
    };
    if *f != Builtin::OneOf {
        let v = eval(e, s)?;
        return Ok((!v.is_null()).then(|| (v, describe(e))));
    }
    let mut found: Option<(Json, String)> = None;
    for a in args {
        let Some((v, name)) = alias(a, s)? else {
            continue;
        };
        match &found {
            None => found = Some((v, name)),
            Some((prev, _)) if *prev == v => {}
            Some((_, prev_name)) => {
                return Err(BindError::DisagreeingArguments {
                    tool: s.tool.unwrap_or("").to_string(),
                    first: prev_name.clone(),
                    second: name,
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

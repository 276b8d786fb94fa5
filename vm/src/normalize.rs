//! Raw tool calls in, canonical requests out: a `tool gmail_send -> email.send
//! { … }` mapping computes every field of the action from the raw arguments.
//! Computed fields come only from the mapping — a raw argument can never set
//! a field the mapping does not give it.

use crate::program::Program;
use crate::request::{BindError, Request};
use crate::wire::{ToolExprWire, ToolWire};
use serde_json::{Map, Value as Json};

type Obj = Map<String, Json>;

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
            session,
            tool_args: None,
        });
    };
    let empty = Map::new();
    let raw = args.unwrap_or(&empty);
    let mut fields = Map::new();
    for (field, expr) in &tool.fields {
        let v = eval(expr, raw, actor, context);
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
    req.tool_args = Some(Box::new(Json::Object(raw.clone())));
    Ok(req)
}

fn eval(e: &ToolExprWire, args: &Obj, actor: Option<&Obj>, context: Option<&Obj>) -> Json {
    match e {
        ToolExprWire::Arg(name) => args.get(name).cloned().unwrap_or(Json::Null),
        ToolExprWire::Field(ns, f) => {
            let src = if ns == "actor" { actor } else { context };
            src.and_then(|m| m.get(f)).cloned().unwrap_or(Json::Null)
        }
        ToolExprWire::Str(s) => Json::String(s.clone()),
        ToolExprWire::Int(n) => Json::from(*n),
        ToolExprWire::Bool(b) => Json::Bool(*b),
        ToolExprWire::List(items) => Json::Array(items.iter().cloned().map(Json::String).collect()),
        ToolExprWire::Call(f, call_args) => {
            let vals: Vec<Json> = call_args
                .iter()
                .map(|a| eval(a, args, actor, context))
                .collect();
            crate::builtins::call(f, &vals)
        }
    }
}

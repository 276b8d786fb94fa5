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
use crate::wire::{ArgShape, FramedTool, ToolBody, ToolCondWire, ToolExprWire};
use permit0_types::builtin::Builtin;
use serde_json::{Map, Value as Json};
use std::borrow::Cow;
use std::sync::OnceLock;

type Obj = Map<String, Json>;

static NULL: Json = Json::Null;

/// An action's input fields as a request gives them: the `args` section
/// of a request that names its action, or the fields a tool mapping
/// computed — borrowed from the mapping's evaluation, with no map built.
#[derive(Clone, Copy)]
pub(crate) enum Inputs<'a> {
    Obj(&'a Obj),
    /// In the mapping's order; null values left out.
    Fields(&'a [(&'a str, &'a Json)]),
}

impl<'a> Inputs<'a> {
    pub(crate) fn get(self, name: &str) -> Option<&'a Json> {
        match self {
            Inputs::Obj(m) => m.get(name),
            Inputs::Fields(f) => f.iter().find(|(k, _)| *k == name).map(|(_, v)| *v),
        }
    }

    /// `f` on each field, in order, until it answers `None`.
    pub(crate) fn each(self, mut f: impl FnMut(&'a str, &'a Json) -> Option<()>) -> Option<()> {
        match self {
            Inputs::Obj(m) => m.iter().try_for_each(|(k, v)| f(k, v)),
            Inputs::Fields(fs) => fs.iter().try_for_each(|(k, v)| f(k, v)),
        }
    }

    /// As a map: what the exact path reads (its errors name keys in
    /// sorted order); a copy only for a mapping's fields.
    pub(crate) fn to_map(self) -> Cow<'a, Obj> {
        match self {
            Inputs::Obj(m) => Cow::Borrowed(m),
            Inputs::Fields(fs) => Cow::Owned(
                fs.iter()
                    .map(|(k, v)| ((*k).to_string(), (*v).clone()))
                    .collect(),
            ),
        }
    }
}

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

/// The MCP server of a prefixed tool name, lowercase (`mcp__Stripe__x` →
/// "stripe"); "" for a name without a server. A mapping reads it as
/// `tool.server`: `create_refund` on a PayPal server takes whole units
/// where Stripe's takes cents, so a mapping must be able to say which
/// servers it is for.
pub fn host_server(name: &str) -> String {
    match name.strip_prefix("mcp__") {
        Some(rest) => rest
            .split_once("__")
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default(),
        None => String::new(),
    }
}

/// The mapping that normalizes this call: the first, in source order, whose
/// condition holds or that has none — with the evaluation of its
/// expressions begun (a condition's values are reused by the fields). A
/// condition that cannot be evaluated exactly refuses the call (it never
/// falls through to the next mapping), and so does a tool none of whose
/// mappings applies.
fn choose<'p>(
    p: &'p Program,
    name: &str,
    sources: Sources<'p>,
) -> Result<Option<(&'p FramedTool, &'p Mapping, Eval<'p>)>, BindError> {
    let bare = strip_host_prefix(name);
    let Some((candidates, group)) = p.plans.group_named(&p.tools, bare) else {
        return Ok(None);
    };
    // One evaluation for every mapping of the name: their conditions and
    // fields share subexpressions (the statement each of a SQL tool's
    // mappings classifies), each evaluated once.
    let mut ev = Eval::new(&group.plan, sources);
    for (&i, mapping) in candidates.iter().zip(group.mappings.iter()) {
        let Some(t) = p.tools.get(i as usize) else {
            continue;
        };
        // A mapping whose bundle bytes do not decode refuses the call: it
        // never falls through to a later mapping.
        let mapping = mapping.as_ref().map_err(|e| BindError::Unverified {
            action: name.to_string(),
            reason: format!("its tool mapping {e}"),
        })?;
        let Some(cond) = &mapping.when else {
            return Ok(Some((t, mapping, ev)));
        };
        match ev.holds(cond)? {
            Some(true) => return Ok(Some((t, mapping, ev))),
            Some(false) => {}
            None => {
                return Err(BindError::NoMappingApplies {
                    tool: name.to_string(),
                })
            }
        }
    }
    Err(BindError::NoMappingApplies {
        tool: name.to_string(),
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
        inputs: Inputs::Obj(raw),
        actor,
        context,
        tool: Some(name),
        builtins: p.builtins,
    };
    let Some((tool, plan, mut ev)) = choose(p, name, sources)? else {
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
    // One walk over the raw arguments: the first one the mapping does not
    // accept, and the first accepted one that is not of its shape.
    let mut unread = None;
    let mut mistyped = None;
    for (k, v) in raw {
        match plan.args.binary_search_by(|(a, _)| (**a).cmp(k)) {
            Err(_) => {
                unread = unread.or(Some(k));
            }
            Ok(i) => {
                if let (None, Some((_, Some(shape)))) = (mistyped, plan.args.get(i)) {
                    if !fits(*shape, v) {
                        mistyped = Some((k, *shape));
                    }
                }
            }
        }
    }
    for &node in plan.fields.iter() {
        ev.ensure(node)?;
    }
    // The fields as the mapping computed them, borrowed, not copied into
    // a map: the binder reads each once.
    let mut fields: Vec<(&str, &Json)> = Vec::with_capacity(plan.fields.len());
    for (field, &node) in plan.names.iter().zip(plan.fields.iter()) {
        let v = ev.get(node);
        if !v.is_null() {
            fields.push((&**field, v));
        }
    }
    let mut req = p.bind_fields(
        tool.action,
        Inputs::Fields(&fields),
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
    if let Some((arg, shape)) = mistyped {
        req.taint_with(BindError::MistypedArgument {
            tool: name.to_string(),
            arg: arg.clone(),
            shape: shape.spelling(),
        });
    }
    req.tool_args = Some(Box::new(Json::Object(raw.clone())));
    Ok(req)
}

/// An action's derived fields, evaluated from its input fields as given
/// (before binding: a wrongly typed input fails its own binding) and the
/// request's `actor` and `context`. Derivations never name raw arguments,
/// so `one_of` cannot fail here; a builtin the program lacks can, and
/// refuses the request. A subexpression several derivations share (the
/// command line eight shell classifiers read) is evaluated once.
pub(crate) struct Derivations<'a> {
    slots: &'a [(usize, u32)],
    ev: Eval<'a>,
}

impl<'a> Derivations<'a> {
    pub(crate) fn new(
        p: &'a Program,
        action: u32,
        inputs: Inputs<'a>,
        actor: Option<&'a Obj>,
        context: Option<&'a Obj>,
    ) -> Option<Derivations<'a>> {
        let plan = p.plans.derivations(p, action)?;
        Some(Derivations {
            slots: &plan.slots,
            ev: Eval::new(
                &plan.plan,
                Sources {
                    inputs,
                    actor,
                    context,
                    tool: None,
                    builtins: p.builtins,
                },
            ),
        })
    }

    /// The value of the derived field in slot `slot`.
    pub(crate) fn value(&mut self, slot: usize) -> Result<&Json, BindError> {
        let node = self
            .slots
            .iter()
            .find(|(s, _)| *s == slot)
            .map(|(_, n)| *n)
            .ok_or_else(|| BindError::NoBuiltin {
                builtin: "a derivation".to_string(),
            })?;
        self.ev.value(node)
    }
}

/// What a mapping or derivation reads: raw arguments (a mapping) or input
/// fields (a derivation), and the request's `actor` and `context`.
#[derive(Clone, Copy)]
struct Sources<'a> {
    inputs: Inputs<'a>,
    actor: Option<&'a Obj>,
    context: Option<&'a Obj>,
    /// The tool's name as sent, for errors; `None` in a derivation.
    tool: Option<&'a str>,
    builtins: &'a dyn Builtins,
}

/// Expressions as a program evaluates them: every distinct subexpression of
/// one mapping (its condition and fields) or of one action's derivations,
/// once. Built from the bundle's expression trees on first use.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    nodes: Vec<Node>,
}

#[derive(Debug, PartialEq)]
enum Node {
    /// A raw argument (a mapping) or an input field (a derivation).
    Input(Box<str>),
    /// `actor.NAME` (true) or `context.NAME`.
    Field(bool, Box<str>),
    /// `tool.server`: the MCP server the call named ([`host_server`]).
    Server,
    Const(Json),
    /// `one_of(…)`: aliases of one field.
    OneOf(Box<[u32]>),
    Call(Builtin, Box<[u32]>),
}

impl Plan {
    /// The node of `e`, sharing every node already there.
    fn add(&mut self, e: &ToolExprWire) -> u32 {
        let node = match e {
            ToolExprWire::Arg(n) | ToolExprWire::Input(n) => Node::Input(n.as_str().into()),
            ToolExprWire::Field(ns, f) if ns == "tool" && f == "server" => Node::Server,
            ToolExprWire::Field(ns, f) => Node::Field(ns == "actor", f.as_str().into()),
            ToolExprWire::Str(v) => Node::Const(Json::String(v.clone())),
            ToolExprWire::Int(n) => Node::Const(Json::from(*n)),
            ToolExprWire::Bool(b) => Node::Const(Json::Bool(*b)),
            ToolExprWire::List(items) => Node::Const(Json::Array(
                items.iter().cloned().map(Json::String).collect(),
            )),
            ToolExprWire::Call(Builtin::OneOf, args) => {
                Node::OneOf(args.iter().map(|a| self.add(a)).collect())
            }
            ToolExprWire::Call(f, args) => {
                Node::Call(*f, args.iter().map(|a| self.add(a)).collect())
            }
        };
        let at = match self.nodes.iter().position(|n| *n == node) {
            Some(i) => i,
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        };
        u32::try_from(at).unwrap_or(u32::MAX)
    }

    fn cond(&mut self, c: &ToolCondWire) -> Cond {
        match c {
            ToolCondWire::True(e) => Cond::True(self.add(e)),
            ToolCondWire::Eq(a, b) => Cond::Eq(self.add(a), self.add(b)),
            ToolCondWire::Not(inner) => Cond::Not(Box::new(self.cond(inner))),
            ToolCondWire::All(v) => Cond::All(v.iter().map(|c| self.cond(c)).collect()),
            ToolCondWire::Any(v) => Cond::Any(v.iter().map(|c| self.cond(c)).collect()),
        }
    }

    /// The raw argument a node reads, for an error message.
    fn describe(&self, id: u32) -> String {
        match self.nodes.get(id as usize) {
            Some(Node::Input(a)) => a.to_string(),
            Some(Node::Call(_, args) | Node::OneOf(args)) => args
                .iter()
                .map(|a| self.describe(*a))
                .collect::<Vec<_>>()
                .join(", "),
            _ => "a literal".to_string(),
        }
    }
}

#[derive(Debug)]
enum Cond {
    True(u32),
    Eq(u32, u32),
    Not(Box<Cond>),
    All(Box<[Cond]>),
    Any(Box<[Cond]>),
}

/// One mapping, planned into the plan of its tool name: its condition and
/// a node per field.
#[derive(Debug)]
pub(crate) struct Mapping {
    when: Option<Cond>,
    /// The action's field each of `fields` computes.
    names: Box<[Box<str>]>,
    /// Every raw argument the tool accepts, sorted, with the shape a typed
    /// argument of the `_` list must have.
    args: Box<[(Box<str>, Option<ArgShape>)]>,
    fields: Box<[u32]>,
}

/// Every mapping of one tool name, in source order, planned into one plan
/// (or why a mapping's bytes do not decode).
#[derive(Debug)]
pub(crate) struct GroupPlan {
    plan: Plan,
    mappings: Box<[Result<Mapping, String>]>,
}

/// Mapping `i`, decoded from its framed bytes and planned into `plan`.
fn plan_mapping(tools: &[FramedTool], i: usize, plan: &mut Plan) -> Result<Mapping, String> {
    let t = tools
        .get(i)
        .ok_or_else(|| format!("#{i} is not in the bundle"))?;
    let body = ToolBody::decode(t).map_err(|e| format!("`{}` (#{i}): {e}", t.names.join(", ")))?;
    let when = body.when.as_ref().map(|c| plan.cond(c));
    let fields = body.fields.iter().map(|(_, e)| plan.add(e)).collect();
    let names = body
        .fields
        .into_iter()
        .map(|(n, _)| n.into_boxed_str())
        .collect();
    let args = body
        .args
        .into_iter()
        .map(|a| {
            let shape = body.shapes.iter().find(|(n, _)| *n == a).map(|(_, s)| *s);
            (a.into_boxed_str(), shape)
        })
        .collect();
    Ok(Mapping {
        when,
        names,
        args,
        fields,
    })
}

/// Whether `v` has the shape `s`. `null` is an argument not given (a
/// client that fills every optional argument sends it), and fits any shape.
fn fits(s: ArgShape, v: &Json) -> bool {
    let int = |v: &Json| v.is_i64() || v.is_u64();
    let list = |each: fn(&Json) -> bool| v.as_array().is_some_and(|a| a.iter().all(each));
    v.is_null()
        || match s {
            ArgShape::String => v.is_string(),
            ArgShape::Int => int(v),
            ArgShape::Number => v.is_number(),
            ArgShape::Bool => v.is_boolean(),
            ArgShape::Scalar => v.is_string() || v.is_number() || v.is_boolean(),
            ArgShape::StringList => list(Json::is_string),
            ArgShape::IntList => list(|x| x.is_i64() || x.is_u64()),
        }
}

/// One action's derivations, planned: a node per derived slot.
#[derive(Debug)]
pub(crate) struct DerivePlan {
    plan: Plan,
    slots: Box<[(usize, u32)]>,
}

/// The plans of a program's mappings and derivations, and its tools by
/// name, each built on first use (a hook process decides one call: it
/// plans one mapping and one action, not all of them).
#[derive(Debug, Default)]
pub(crate) struct Plans {
    /// Whether each mapping's framed bytes decode and plan, or why not
    /// (asked when a whole bundle is verified at load).
    tools: Box<[OnceLock<Result<(), String>>]>,
    actions: Box<[OnceLock<Option<DerivePlan>>]>,
    by_name: OnceLock<ByName>,
    /// The plan of each tool name's mappings, by its group in `by_name`.
    groups: OnceLock<Box<[OnceLock<GroupPlan>]>>,
}

/// The mappings by tool name, built from the names the mappings already
/// hold: no string is copied. A hashed name map was a tenth of a hook
/// call (a string and a list allocated for each of ~250 names, in a process
/// that looks up one); this costs one sort of integers.
#[derive(Debug, Default)]
struct ByName {
    /// One per distinct name, sorted by (hash, name): the name's hash, where
    /// it is spelt (mapping, index in its names) and its run in `ids`.
    groups: Box<[NameGroup]>,
    /// Mapping ids, in source order within each name's run.
    ids: Box<[u32]>,
}

#[derive(Debug, Clone, Copy)]
struct NameGroup {
    hash: u64,
    tool: u32,
    name: u32,
    start: u32,
    end: u32,
}

fn name_hash(name: &str) -> u64 {
    let mut h = crate::aggregates::Fnv::new();
    h.write(name.as_bytes());
    h.0
}

fn name_at(tools: &[FramedTool], tool: u32, name: u32) -> &str {
    tools
        .get(tool as usize)
        .and_then(|t| t.names.get(name as usize))
        .map_or("", String::as_str)
}

impl ByName {
    fn new(tools: &[FramedTool]) -> ByName {
        let mut spelt: Vec<(u64, u32, u32)> = Vec::new();
        for (i, t) in tools.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            for (j, n) in t.names.iter().enumerate() {
                spelt.push((name_hash(n), i, u32::try_from(j).unwrap_or(u32::MAX)));
            }
        }
        // By hash, the name itself only where two hashes are equal, then
        // source order.
        spelt.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| name_at(tools, a.1, a.2).cmp(name_at(tools, b.1, b.2)))
                .then(a.1.cmp(&b.1))
        });
        let mut groups: Vec<NameGroup> = Vec::new();
        let mut ids: Vec<u32> = Vec::with_capacity(spelt.len());
        for (hash, tool, name) in spelt {
            let at = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            match groups.last_mut() {
                Some(g)
                    if g.hash == hash
                        && name_at(tools, g.tool, g.name) == name_at(tools, tool, name) =>
                {
                    // a name listed twice in one mapping is one mapping
                    if ids.last() != Some(&tool) {
                        ids.push(tool);
                        g.end = at + 1;
                    }
                }
                _ => {
                    ids.push(tool);
                    groups.push(NameGroup {
                        hash,
                        tool,
                        name,
                        start: at,
                        end: at + 1,
                    });
                }
            }
        }
        ByName {
            groups: groups.into(),
            ids: ids.into(),
        }
    }

    fn get(&self, tools: &[FramedTool], bare: &str) -> Option<&[u32]> {
        self.group(tools, bare).map(|(_, ids)| ids)
    }

    /// The group of the name `bare` (its index) and its mapping ids.
    fn group(&self, tools: &[FramedTool], bare: &str) -> Option<(usize, &[u32])> {
        let hash = name_hash(bare);
        let at = self
            .groups
            .binary_search_by(|g| {
                g.hash
                    .cmp(&hash)
                    .then_with(|| name_at(tools, g.tool, g.name).cmp(bare))
            })
            .ok()?;
        let g = self.groups.get(at)?;
        Some((at, self.ids.get(g.start as usize..g.end as usize)?))
    }
}

impl Plans {
    pub(crate) fn new(tools: usize, actions: usize) -> Plans {
        Plans {
            tools: (0..tools).map(|_| OnceLock::new()).collect(),
            actions: (0..actions).map(|_| OnceLock::new()).collect(),
            by_name: OnceLock::new(),
            groups: OnceLock::new(),
        }
    }

    /// The mappings of the tool named `bare`, in source order, and their
    /// plan (built on first use).
    fn group_named(&self, tools: &[FramedTool], bare: &str) -> Option<(&[u32], &GroupPlan)> {
        let by = self.by_name.get_or_init(|| ByName::new(tools));
        let (g, ids) = by.group(tools, bare)?;
        let cells = self
            .groups
            .get_or_init(|| (0..by.groups.len()).map(|_| OnceLock::new()).collect());
        let group = cells.get(g)?.get_or_init(|| {
            let mut plan = Plan::default();
            let mappings = ids
                .iter()
                .map(|&i| plan_mapping(tools, i as usize, &mut plan))
                .collect();
            GroupPlan { plan, mappings }
        });
        Some((ids, group))
    }

    /// The mappings of the tool named `bare`, in source order.
    pub(crate) fn tools_named(&self, tools: &[FramedTool], bare: &str) -> Option<&[u32]> {
        self.by_name
            .get_or_init(|| ByName::new(tools))
            .get(tools, bare)
    }

    /// Whether mapping `i` decodes and plans (an error names the mapping).
    pub(crate) fn tool(&self, tools: &[FramedTool], i: usize) -> Option<&Result<(), String>> {
        tools.get(i)?;
        Some(
            self.tools
                .get(i)?
                .get_or_init(|| plan_mapping(tools, i, &mut Plan::default()).map(|_| ())),
        )
    }

    fn derivations(&self, p: &Program, action: u32) -> Option<&DerivePlan> {
        let a = p.action(action as usize)?;
        self.actions
            .get(action as usize)?
            .get_or_init(|| {
                let mut plan = Plan::default();
                let slots = a
                    .slots
                    .iter()
                    .enumerate()
                    .filter_map(|(i, f)| f.derive.as_deref().map(|e| (i, plan.add(e))))
                    .collect();
                Some(DerivePlan { plan, slots })
            })
            .as_ref()
    }
}

/// A node's value during one evaluation.
enum Slot<'a> {
    Todo,
    Val(Cow<'a, Json>),
    /// A `one_of` is the value of the alias that supplied it.
    Same(u32),
}

/// The evaluation of one plan for one request: each node at most once.
/// Values the request already holds (arguments, actor and context values)
/// are borrowed, not copied.
pub(crate) struct Eval<'a> {
    plan: &'a Plan,
    s: Sources<'a>,
    memo: Vec<Slot<'a>>,
}

impl<'a> Eval<'a> {
    fn new(plan: &'a Plan, s: Sources<'a>) -> Eval<'a> {
        Eval {
            plan,
            s,
            memo: (0..plan.nodes.len()).map(|_| Slot::Todo).collect(),
        }
    }

    /// The value of a node, computed now if it was not.
    fn value(&mut self, id: u32) -> Result<&Json, BindError> {
        self.ensure(id)?;
        Ok(self.get(id))
    }

    /// A computed node's value (null for one never computed).
    fn get(&self, mut id: u32) -> &Json {
        loop {
            match self.memo.get(id as usize) {
                Some(Slot::Val(v)) => return v,
                Some(Slot::Same(to)) => id = *to,
                _ => return &NULL,
            }
        }
    }

    fn ensure(&mut self, id: u32) -> Result<(), BindError> {
        if !matches!(self.memo.get(id as usize), Some(Slot::Todo)) {
            return Ok(());
        }
        let plan = self.plan;
        let s = self.s;
        let slot = match plan.nodes.get(id as usize) {
            None => Slot::Val(Cow::Borrowed(&NULL)),
            Some(Node::Input(name)) => {
                Slot::Val(Cow::Borrowed(s.inputs.get(name).unwrap_or(&NULL)))
            }
            Some(Node::Field(actor, f)) => {
                let src = if *actor { s.actor } else { s.context };
                Slot::Val(Cow::Borrowed(
                    src.and_then(|m| m.get(&**f)).unwrap_or(&NULL),
                ))
            }
            Some(Node::Const(v)) => Slot::Val(Cow::Borrowed(v)),
            // a derivation has no tool: its server is unknown (null)
            Some(Node::Server) => match s.tool {
                Some(t) => Slot::Val(Cow::Owned(Json::String(host_server(t)))),
                None => Slot::Val(Cow::Borrowed(&NULL)),
            },
            // `one_of(args.command, args.cmd)`: aliases of one field. The
            // value of whichever was sent; both sent and different is
            // refused, since the gate would judge one and the tool might
            // run the other.
            Some(Node::OneOf(_)) => match self.alias(id)? {
                Some(by) => Slot::Same(by),
                None => Slot::Val(Cow::Borrowed(&NULL)),
            },
            Some(Node::Call(f, args)) => {
                for a in args.iter() {
                    self.ensure(*a)?;
                }
                let v = if args.len() <= INLINE_ARGS {
                    let mut refs: [&Json; INLINE_ARGS] = [&NULL; INLINE_ARGS];
                    for (r, a) in refs.iter_mut().zip(args.iter()) {
                        *r = self.get(*a);
                    }
                    call(&s, *f, refs.get(..args.len()).unwrap_or_default())?
                } else {
                    let refs: Vec<&Json> = args.iter().map(|a| self.get(*a)).collect();
                    call(&s, *f, &refs)?
                };
                Slot::Val(Cow::Owned(v))
            }
        };
        if let Some(m) = self.memo.get_mut(id as usize) {
            *m = slot;
        }
        Ok(())
    }

    /// The node that supplies an alias expression's value (null: none),
    /// checking that every alias sent agrees.
    fn alias(&mut self, id: u32) -> Result<Option<u32>, BindError> {
        let Some(Node::OneOf(args)) = self.plan.nodes.get(id as usize) else {
            self.ensure(id)?;
            return Ok((!self.get(id).is_null()).then_some(id));
        };
        let mut found: Option<u32> = None;
        for a in args.iter() {
            let Some(by) = self.alias(*a)? else {
                continue;
            };
            match found {
                None => found = Some(by),
                Some(prev) if self.get(prev) == self.get(by) => {}
                Some(prev) => {
                    return Err(BindError::DisagreeingArguments {
                        tool: self.s.tool.unwrap_or("").to_string(),
                        first: self.plan.describe(prev),
                        second: self.plan.describe(by),
                    })
                }
            }
        }
        Ok(found)
    }

    /// A mapping's condition: `None` when a value is null or not of the
    /// shape the test needs.
    fn holds(&mut self, c: &Cond) -> Result<Option<bool>, BindError> {
        Ok(match c {
            Cond::True(e) => match self.value(*e)? {
                Json::Bool(b) => Some(*b),
                _ => None,
            },
            Cond::Eq(a, b) => {
                self.ensure(*a)?;
                self.ensure(*b)?;
                match (self.get(*a), self.get(*b)) {
                    (Json::Null, _) | (_, Json::Null) => None,
                    (x, y) => Some(x == y),
                }
            }
            Cond::Not(inner) => self.holds(inner)?.map(|b| !b),
            Cond::All(v) => {
                let mut out = Some(true);
                for c in v.iter() {
                    match self.holds(c)? {
                        Some(true) => {}
                        Some(false) => return Ok(Some(false)),
                        None => out = None,
                    }
                }
                out
            }
            Cond::Any(v) => {
                let mut out = Some(false);
                for c in v.iter() {
                    match self.holds(c)? {
                        Some(false) => {}
                        Some(true) => return Ok(Some(true)),
                        None => out = None,
                    }
                }
                out
            }
        })
    }
}

fn call(s: &Sources<'_>, f: Builtin, args: &[&Json]) -> Result<Json, BindError> {
    s.builtins
        .call(f, args)
        .ok_or_else(|| BindError::NoBuiltin {
            builtin: f.name().to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(names: &[&str]) -> FramedTool {
        FramedTool {
            names: names.iter().map(|n| n.to_string()).collect(),
            action: 0,
            conditional: false,
            body: Box::new([]),
        }
    }

    /// A tool with conditional mappings has several, tried in source order;
    /// a name a mapping lists twice is still one mapping; an unknown name
    /// has none (the call escalates as unmapped).
    /// `tool.server`: the server of an MCP name, lowercase, so a mapping of
    /// a generic name (`create_refund`) can say which servers it reads in
    /// its units; a name with no server gives "" (a value, so a condition
    /// on it is decided, never refused for a missing value).
    #[test]
    fn the_server_of_an_mcp_name() {
        assert_eq!(host_server("mcp__paypal__create_refund"), "paypal");
        assert_eq!(host_server("mcp__Stripe__create_refund"), "stripe");
        assert_eq!(host_server("create_refund"), "");
        assert_eq!(host_server("mcp__create_refund"), "");
        assert_eq!(host_server("mcp____x"), "");
        assert_eq!(
            strip_host_prefix("mcp__paypal__create_refund"),
            "create_refund"
        );
    }

    #[test]
    fn a_tool_name_finds_its_mappings_in_source_order() {
        let tools = [
            tool(&["Bash", "shell"]),
            tool(&["Read"]),
            tool(&["Bash"]),
            tool(&["Write", "Write", "mcp__fs__write"]),
            tool(&[]),
        ];
        let plans = Plans::new(tools.len(), 0);
        assert_eq!(plans.tools_named(&tools, "Bash"), Some(&[0, 2][..]));
        assert_eq!(plans.tools_named(&tools, "shell"), Some(&[0][..]));
        assert_eq!(plans.tools_named(&tools, "Write"), Some(&[3][..]));
        assert_eq!(plans.tools_named(&tools, "mcp__fs__write"), Some(&[3][..]));
        assert_eq!(plans.tools_named(&tools, "Read"), Some(&[1][..]));
        for unknown in ["", "bash", "Bash ", "Rea", "Reads", "Edit"] {
            assert_eq!(plans.tools_named(&tools, unknown), None, "{unknown:?}");
        }
    }

    /// Many names, so that the index's binary search has depth: each
    /// finds exactly its own mapping.
    #[test]
    fn every_name_of_many_is_found() {
        let names: Vec<String> = (0..600).map(|i| format!("tool_{i}")).collect();
        let tools: Vec<FramedTool> = names.iter().map(|n| tool(&[n.as_str()])).collect();
        let plans = Plans::new(tools.len(), 0);
        for (i, n) in names.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            assert_eq!(plans.tools_named(&tools, n), Some(&[i][..]));
        }
        assert_eq!(plans.tools_named(&tools, "tool_600"), None);
    }
}

//! The typed IR: what [`crate::typeck`] produces and `lower` consumes. Every
//! name is bound, every expression has a type, every rule knows its actions.

use crate::schema::{ActionId, EnumId};
use crate::span::Span;
use permit0_classify::Builtin;
use permit0_vm::risk::{Amp, Verdict};

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Const {
    Bool(bool),
    Int(i64),
    Str(String),
    Enum(EnumId, u32),
    /// A `set<string>` or `list<string>` literal, sorted and deduplicated
    /// for sets; in source order for lists.
    Strs(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldRef {
    /// A field of the action being decided.
    Action(String),
    /// `actor.role`, `context.env`
    Namespace(String, String),
    RiskScore,
    RiskTier,
    RiskFlags,
    /// Index into [`Ir::aggregates`].
    Aggregate(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// `a op b` ⇔ `b op.flip() a`
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }
}

/// Case-insensitive text matching. The subject is a string or a collection
/// of strings; see docs/language.md for the exact semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TextOp {
    Contains,
    ContainsAny,
    ContainsAll,
    StartsWith,
    EndsWith,
}

impl TextOp {
    pub fn symbol(self) -> &'static str {
        match self {
            TextOp::Contains => "contains",
            TextOp::ContainsAny => "contains_any",
            TextOp::ContainsAll => "contains_all",
            TextOp::StartsWith => "starts_with",
            TextOp::EndsWith => "ends_with",
        }
    }
}

/// `+ - *` on int, money, duration and time, checked for overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TExpr {
    Const(Const),
    Field(FieldRef),
    Not(Box<TExpr>),
    And(Vec<TExpr>),
    Or(Vec<TExpr>),
    /// Scalars of one type: numbers, strings (exact), bools, enums.
    Compare(CmpOp, Box<TExpr>, Box<TExpr>),
    /// `elem in set` (exact); `negated` for `not in`.
    Member {
        negated: bool,
        elem: Box<TExpr>,
        set: Box<TExpr>,
    },
    Text(TextOp, Box<TExpr>, Box<TExpr>),
    /// Number of elements of a collection, or characters of a string.
    Len(Box<TExpr>),
    /// `has actor.role`: the request carries the optional field.
    Has(FieldRef),
    /// `context.env ?? prod`: the field's value, or the constant when the
    /// request does not carry it. A value, never a condition on its own
    /// (except a `bool` field's default).
    Default(FieldRef, Const),
    /// `session.sum(…) + amount`: a number computed at decision time; an
    /// overflow makes the comparison reading it fail toward the stricter
    /// verdict.
    Arith(ArithOp, Box<TExpr>, Box<TExpr>),
    /// `hour(context.time, actor.tz)`: part of the local time of a time
    /// field in a zone — a string field or a `Const::Str` zone name. An
    /// unknown zone reads like an overflow.
    Local(permit0_vm::local::LocalPart, FieldRef, Box<TExpr>),
    /// `grant_active(context.grants[, "scope"])`: some grant covers the
    /// action being decided at `context.time` (the time field given).
    GrantActive {
        grants: FieldRef,
        time: FieldRef,
        scope: Option<String>,
    },
    /// `chain_widens(actor.chain)`: some hop holds a scope its delegator lacks.
    ChainWidens(FieldRef),
    /// `beyond_chain(scopes_granted, actor.chain)`: the list holds a scope
    /// the acting agent (the chain's last hop) lacks.
    ChainExceeds(FieldRef, FieldRef),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AggKind {
    Count,
    Sum,
    Seen,
    Distinct,
}

impl AggKind {
    pub fn name(self) -> &'static str {
        match self {
            AggKind::Count => "count",
            AggKind::Sum => "sum",
            AggKind::Seen => "seen",
            AggKind::Distinct => "distinct",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Window {
    /// Milliseconds before the request's `context.time`.
    Time(i64),
    /// The last N actions of the session.
    Actions(i64),
}

/// A session aggregate the bundle declares and the embedding computes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Aggregate {
    /// Whose history: `session`, `actor`, `tenant`, narrowed by `by FIELD`.
    pub scope: permit0_vm::wire::ScopeWire,
    pub kind: AggKind,
    pub actions: Vec<ActionId>,
    pub field: Option<String>,
    /// `where …`: which of those earlier actions count, read on each of them.
    pub filter: Option<TExpr>,
    pub window: Window,
    /// Source text, for messages and the disassembler.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Decide(Verdict),
    Amplify(Vec<(Amp, i32)>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleIr {
    /// `policy:N`, 1-based within its policy.
    pub id: String,
    pub policy: String,
    pub actions: Vec<ActionId>,
    pub cond: Option<TExpr>,
    pub effect: Effect,
    pub reason: Option<String>,
    pub obligations: Vec<(String, String)>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ToolIr {
    pub names: Vec<String>,
    /// `tool … when <cond> -> …`: the calls this mapping applies to.
    pub when: Option<ToolCond>,
    pub action: ActionId,
    pub fields: Vec<(String, ToolExpr)>,
    /// Every raw argument the tool accepts, sorted: those the fields read and
    /// those listed under `_`. Any other argument taints the request.
    pub args: Vec<String>,
    /// The shape each typed argument of the `_` list must have, sorted by
    /// name: `_ = [args.timeout: int]`.
    pub shapes: Vec<(String, permit0_vm::wire::ArgShape)>,
    pub span: Span,
}

/// A conditional mapping's condition over the raw call: tests of the
/// mapping's values. Anything that cannot be evaluated exactly (a null, a
/// value of the wrong shape) refuses the call; it never falls through to the
/// next mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolCond {
    /// A boolean value: `shell_force_push(args.command)`.
    True(ToolExpr),
    /// `sql_kind(args.sql, "") == ddl`
    Eq(ToolExpr, ToolExpr),
    Not(Box<ToolCond>),
    All(Vec<ToolCond>),
    Any(Vec<ToolCond>),
}

/// How a tool mapping computes one field of the action from a raw call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolExpr {
    /// `args.to`: a raw argument, untrusted until the action's types bind it.
    Arg(String),
    /// `to` in a derivation: an input field of the action, as the request
    /// (or the tool mapping) supplied it.
    Input(String),
    /// `context.org_domain`, `actor.id`
    Field(String, String),
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<String>),
    /// A normalizer builtin (`permit0_classify::Builtin`).
    Call(Builtin, Vec<ToolExpr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct TestStepIr {
    /// The request as `permit0 eval` reads it.
    pub request: serde_json::Value,
    pub expect: Verdict,
    pub reason: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TestIr {
    pub name: String,
    pub steps: Vec<TestStepIr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyIr {
    pub name: String,
    pub doc: String,
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ir {
    pub policies: Vec<PolicyIr>,
    pub rules: Vec<RuleIr>,
    pub aggregates: Vec<Aggregate>,
    pub tools: Vec<ToolIr>,
    /// Derived fields of each action that has any: (action, field, derivation).
    pub derived: Vec<(ActionId, String, ToolExpr)>,
    pub tests: Vec<TestIr>,
}

//! The syntax tree: what the parser produces and the formatter prints. Nothing
//! here knows about the taxonomy or types.

use crate::span::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A dotted name: `payments.refund`, `actor.role`, `session.sum`, and
/// `args."-n"` — a member after the first may be written as a string, for
/// a name that is not a word (a raw argument's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub segments: Vec<Name>,
    pub span: Span,
}

impl Path {
    /// The path as written in the language: the segments joined by `.`,
    /// a member that is not a word quoted (`args."-n"`). Names made only
    /// of words — every action, field and namespace — read as before.
    pub fn dotted(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                out.push('.');
                out.push_str(&crate::fmt::member(&s.text));
            } else {
                out.push_str(&s.text);
            }
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ast {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Policy(PolicyDecl),
    Let(LetDecl),
    Rule(Rule),
    Tool(ToolDecl),
    Test(TestDecl),
    Action(ActionDecl),
    Domain(DomainDecl),
    Alias(AliasDecl),
    Namespace(NamespaceDecl),
    Use(UseDecl),
    Actions(ActionsDecl),
    Predicate(PredicateDecl),
    /// Text the parser skipped to recover; its diagnostic is already reported.
    Error(Span),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Policy(x) => x.span,
            Item::Let(x) => x.span,
            Item::Rule(x) => x.span,
            Item::Tool(x) => x.span,
            Item::Test(x) => x.span,
            Item::Action(x) => x.span,
            Item::Domain(x) => x.span,
            Item::Alias(x) => x.span,
            Item::Namespace(x) => x.span,
            Item::Use(x) => x.span,
            Item::Actions(x) => x.span,
            Item::Predicate(x) => x.span,
            Item::Error(s) => *s,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDecl {
    pub name: Path,
    pub doc: Option<StrLit>,
    pub span: Span,
}

/// `use stdlib.words.{credential_words, outbound}`: `let` constants and
/// named action sets another policy defines, usable here by their names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseDecl {
    pub policy: Path,
    pub names: Vec<Name>,
    pub span: Span,
}

/// `actions outbound = email.send | http.post`: a name for an alternation,
/// usable wherever an action pattern goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionsDecl {
    pub name: Name,
    pub patterns: Vec<Pattern>,
    pub span: Span,
}

/// `predicate read_secrets = session.seen(secret.read, 1h) or …`: a named
/// condition. It is checked where a rule uses it, against that rule's
/// actions, and reads the `let`s and action sets of the file defining it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PredicateDecl {
    pub name: Name,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LetDecl {
    pub name: Name,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternKind {
    /// `*`
    Any,
    /// `payments.*`
    Domain(Name),
    /// `payments.refund`
    Exact(Path),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    pub kind: PatternKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// `rule external_mail: when …`: the rule's name; its id is then
    /// `policy.external_mail` instead of the positional `policy:N`.
    pub name: Option<Name>,
    /// One or more patterns joined by `|`.
    pub patterns: Vec<Pattern>,
    pub cond: Option<Expr>,
    pub effect: Effect,
    pub reason: Option<StrLit>,
    /// `overrides stdlib.email:3`: the escalate rules this rule relaxes.
    pub overrides: Vec<RuleRef>,
    pub obligations: Vec<Obligation>,
    pub span: Span,
}

/// `stdlib.email.external_mail` (a rule by name: the policy, then the
/// rule's name) or `stdlib.email:3` (by position, deprecated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleRef {
    pub path: Path,
    /// `Some(N)` for the positional form `path:N`.
    pub index: Option<i64>,
    pub span: Span,
}

impl RuleRef {
    /// The id as written: `stdlib.email.external_mail` or `stdlib.email:3`.
    pub fn id(&self) -> String {
        match self.index {
            Some(n) => format!("{}:{}", self.path.dotted(), n),
            None => self.path.dotted(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// `allow`, `deny`, `escalate` — any other word is reported by the checker.
    Decide(Name),
    /// `amplify destination +14, scope -2`
    Amplify(Vec<Amplify>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amplify {
    pub dimension: Name,
    pub delta: i64,
    pub span: Span,
}

/// `with notify = "secops", ttl = 15m, require_mfa`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Obligation {
    pub key: Name,
    pub value: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Contains,
    ContainsAny,
    ContainsAll,
    StartsWith,
    EndsWith,
    /// `=` where `==` was meant: parsed on purpose so the checker can say so.
    Assign,
    /// `+`, `-`, `*`: checked arithmetic on int, money, duration and time.
    Add,
    Sub,
    Mul,
}

impl BinOp {
    /// `+`, `-` or `*`: a value, not a condition.
    pub fn is_arith(self) -> bool {
        matches!(self, BinOp::Add | BinOp::Sub | BinOp::Mul)
    }

    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Contains => "contains",
            BinOp::ContainsAny => "contains_any",
            BinOp::ContainsAll => "contains_all",
            BinOp::StartsWith => "starts_with",
            BinOp::EndsWith => "ends_with",
            BinOp::Assign => "=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    Int(i64),
    /// Milliseconds.
    Duration(i64),
    /// `2027-01-01T00:00:00Z`, as written (the checker reads it).
    Time(String),
    Str(String),
    Bool(bool),
    Path(Path),
    /// `payments.*`, as an argument of the session functions.
    Wildcard(Path),
    /// `session.sum(payments.transfer.amount, 24h)`, `lower(subject)`
    Call {
        func: Path,
        args: Vec<Expr>,
    },
    /// `payments.charge where amount < 200`, as an argument of the session
    /// functions.
    Where {
        target: Box<Expr>,
        cond: Box<Expr>,
    },
    /// `collections.call_debtor by account_id`, as the first argument of a
    /// session function: count only earlier actions that carried the same
    /// value of `field` as the request (see docs/language.md, "Scopes").
    By {
        target: Box<Expr>,
        field: Name,
    },
    /// `file.read | file.download`, as the first argument of a session
    /// function.
    Alt(Vec<Expr>),
    /// `{"a", "b"}`
    Set(Vec<Expr>),
    /// `["a", "b"]`
    List(Vec<Expr>),
    /// `{scope: "x", expires: "…"}`: an object, read only as a test value
    /// (a grant or a hop inside a list).
    Object(Vec<(Name, Expr)>),
    /// `( … )`, kept so the formatter prints what the author wrote.
    Paren(Box<Expr>),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Binary {
        op: BinOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `has actor.role`: whether the request carries the optional value.
    Has(Path),
    /// `context.env ?? prod`: the value, or `default` when it is absent.
    Default {
        value: Box<Expr>,
        default: Box<Expr>,
    },
    /// Stands in for a subexpression the parser could not read.
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolDecl {
    pub names: Vec<StrLit>,
    /// `tool sql_query when sql_kind(args.sql, "") == ddl -> db.drop_table`:
    /// the mapping applies only to calls where this holds. A tool's mappings
    /// are tried in source order; the first whose condition holds (or that
    /// has none) normalizes the call.
    pub when: Option<Expr>,
    pub action: Path,
    pub fields: Vec<ToolField>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolField {
    pub name: Name,
    pub value: Expr,
    /// `_ = [args.timeout: int]`: the shape each listed argument must have,
    /// one per item of `value`'s list, or empty when the list has none.
    pub types: Vec<TypeExpr>,
    /// `let cmd = one_of(args.command, args.cmd)`: a name for a value the
    /// mapping's fields read, not a field of the action.
    pub is_let: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestDecl {
    pub name: StrLit,
    pub steps: Vec<TestStep>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestSubject {
    Action(Path),
    Tool(StrLit),
}

/// `payments.refund { amount: 900 } actor { role: "support" } => escalate`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestStep {
    pub subject: TestSubject,
    pub args: Object,
    pub sections: Vec<(Name, Object)>,
    pub expect: Name,
    pub reason: Option<StrLit>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    pub entries: Vec<(Name, Expr)>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionDecl {
    pub name: Path,
    pub doc: Option<StrLit>,
    pub fields: Vec<FieldDecl>,
    pub risk: Option<RiskBlock>,
    pub compliance: Vec<StrLit>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDecl {
    pub name: Name,
    pub ty: TypeExpr,
    pub optional: bool,
    /// `= expr`: computed by the engine from the action's input fields; a
    /// caller never supplies it.
    pub derive: Option<Expr>,
    pub doc: Option<StrLit>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeExprKind {
    /// `money`, `string`, …
    Named(Name),
    /// `list<string>`, `set<string>`
    Generic(Name, Box<TypeExpr>),
    /// `enum { dev, staging, prod }`
    Enum(Vec<Name>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskBlock {
    pub entries: Vec<RiskEntry>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RiskValue {
    Int(i64),
    Names(Vec<Name>),
    Name(Name),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskEntry {
    pub key: Name,
    pub value: RiskValue,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainDecl {
    pub name: Name,
    pub doc: Option<StrLit>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasDecl {
    pub old: Path,
    pub new: Path,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceDecl {
    pub name: Name,
    pub doc: Option<StrLit>,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

//! The taxonomy as the checker sees it: domains, actions with typed fields and
//! risk profiles, namespaces and enums. Built by [`crate::resolve`].

use crate::span::Span;
use permit0_vm::risk::{Amps, FlagSet, Tier};
use std::collections::BTreeMap;
use std::fmt;

pub type ActionId = u32;
pub type EnumId = u32;

/// The enum every schema starts with: `risk.tier`, ordered.
pub const TIER_ENUM: EnumId = 0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    Int,
    /// An integer count of minor units.
    Money,
    Str,
    /// Milliseconds.
    Duration,
    /// Milliseconds since the Unix epoch.
    Time,
    Enum(EnumId),
    List,
    Set,
    /// Stands in after an error so one mistake is reported once.
    Error,
}

impl Type {
    pub fn is_numeric(self) -> bool {
        matches!(self, Type::Int | Type::Money | Type::Duration | Type::Time)
    }

    pub fn is_collection(self) -> bool {
        matches!(self, Type::List | Type::Set)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumDef {
    pub members: Vec<String>,
    /// Ordered enums (the risk tier) support `<`, `>=` …
    pub ordered: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: String,
    pub ty: Type,
    pub optional: bool,
    pub doc: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RiskProfile {
    pub primary: FlagSet,
    pub secondary: FlagSet,
    pub amps: Amps,
    /// The lowest tier this action ever gets.
    pub floor: Option<Tier>,
    /// False for a team action declared without a `risk` block: it is unrated
    /// and escalates by default (floor `medium`) until someone rates it.
    pub rated: bool,
}

impl RiskProfile {
    pub fn flags(&self) -> FlagSet {
        FlagSet(self.primary.0 | self.secondary.0)
    }

    pub fn unrated() -> RiskProfile {
        RiskProfile {
            primary: FlagSet::default(),
            secondary: FlagSet::default(),
            amps: Amps::default(),
            floor: Some(Tier::Medium),
            rated: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActionInfo {
    pub name: String,
    pub domain: String,
    pub doc: String,
    pub fields: Vec<FieldInfo>,
    pub risk: RiskProfile,
    pub compliance: Vec<String>,
    pub span: Span,
    /// Shipped with permit0, as opposed to declared by a team.
    pub builtin: bool,
}

impl ActionInfo {
    pub fn field(&self, name: &str) -> Option<&FieldInfo> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainInfo {
    pub name: String,
    pub doc: String,
    pub span: Option<Span>,
    pub builtin: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceInfo {
    pub name: String,
    pub doc: String,
    pub fields: Vec<FieldInfo>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasInfo {
    pub target: ActionId,
    pub span: Span,
}

/// The namespaces built into the language rather than declared.
pub const BUILTIN_NAMESPACES: &[&str] = &["session", "risk"];

#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    pub domains: Vec<DomainInfo>,
    /// Sorted by name; an action's id is its index, so ids are stable for a
    /// given taxonomy.
    pub actions: Vec<ActionInfo>,
    pub aliases: BTreeMap<String, AliasInfo>,
    pub namespaces: Vec<NamespaceInfo>,
    pub enums: Vec<EnumDef>,
    pub version: String,
}

impl Default for Schema {
    fn default() -> Self {
        Schema {
            domains: Vec::new(),
            actions: Vec::new(),
            aliases: BTreeMap::new(),
            namespaces: Vec::new(),
            enums: vec![EnumDef {
                members: Tier::ALL.iter().map(|t| t.name().to_string()).collect(),
                ordered: true,
            }],
            version: String::new(),
        }
    }
}

impl Schema {
    pub fn action_id(&self, name: &str) -> Option<ActionId> {
        self.actions
            .binary_search_by(|a| a.name.as_str().cmp(name))
            .ok()
            .and_then(|i| u32::try_from(i).ok())
    }

    pub fn action(&self, id: ActionId) -> Option<&ActionInfo> {
        self.actions.get(id as usize)
    }

    pub fn domain(&self, name: &str) -> Option<&DomainInfo> {
        self.domains.iter().find(|d| d.name == name)
    }

    pub fn actions_in_domain<'a>(&'a self, domain: &'a str) -> impl Iterator<Item = ActionId> + 'a {
        self.actions
            .iter()
            .enumerate()
            .filter(move |(_, a)| a.domain == domain)
            .filter_map(|(i, _)| u32::try_from(i).ok())
    }

    pub fn namespace(&self, name: &str) -> Option<&NamespaceInfo> {
        self.namespaces.iter().find(|n| n.name == name)
    }

    pub fn enum_def(&self, id: EnumId) -> Option<&EnumDef> {
        self.enums.get(id as usize)
    }

    pub fn display(&self, ty: Type) -> TypeDisplay<'_> {
        TypeDisplay { schema: self, ty }
    }
}

pub struct TypeDisplay<'a> {
    schema: &'a Schema,
    ty: Type,
}

impl fmt::Display for TypeDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ty {
            Type::Bool => f.write_str("bool"),
            Type::Int => f.write_str("int"),
            Type::Money => f.write_str("money"),
            Type::Str => f.write_str("string"),
            Type::Duration => f.write_str("duration"),
            Type::Time => f.write_str("time"),
            Type::List => f.write_str("list<string>"),
            Type::Set => f.write_str("set<string>"),
            Type::Error => f.write_str("unknown"),
            Type::Enum(TIER_ENUM) => f.write_str("tier"),
            Type::Enum(id) => match self.schema.enum_def(id) {
                Some(e) => write!(f, "enum {{ {} }}", e.members.join(", ")),
                None => f.write_str("enum"),
            },
        }
    }
}

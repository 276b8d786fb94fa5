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
    /// `context.grants`: time-boxed grants, read with `grant_active`.
    Grants,
    /// `actor.chain`: the delegation chain, read with `len`,
    /// `chain_widens` and `beyond_chain`.
    Chain,
    /// An IPv4 or IPv6 address (`context.ip`), tested against networks.
    Ip,
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
    /// A derived field's derivation over the action's input fields (see
    /// `typeck::Checker::derivations`); `None` for an input field.
    pub derive: Option<crate::ast::Expr>,
    pub doc: String,
    pub span: Span,
}

impl FieldInfo {
    pub fn is_derived(&self) -> bool {
        self.derive.is_some()
    }
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
            Type::Grants => f.write_str("grants"),
            Type::Chain => f.write_str("chain"),
            Type::Ip => f.write_str("ip"),
            Type::Error => f.write_str("unknown"),
            Type::Enum(TIER_ENUM) => f.write_str("tier"),
            Type::Enum(id) => match self.schema.enum_def(id) {
                Some(e) => write!(f, "enum {{ {} }}", e.members.join(", ")),
                None => f.write_str("enum"),
            },
        }
    }
}

impl Schema {
    /// The taxonomy as `permit0 taxonomy --format json` prints it (without
    /// the digest, which is computed from this).
    pub fn to_json(&self) -> serde_json::Value {
        let model = permit0_vm::risk::Model::standard();
        let domains: Vec<serde_json::Value> = self
            .domains
            .iter()
            .map(|d| {
                let actions: Vec<serde_json::Value> = self
                    .actions
                    .iter()
                    .filter(|a| a.domain == d.name)
                    .map(|a| self.action_json(a, &model))
                    .collect();
                serde_json::json!({ "name": d.name, "description": d.doc, "actions": actions })
            })
            .collect();
        serde_json::json!({ "version": self.version, "domains": domains })
    }

    pub fn action_json(
        &self,
        a: &ActionInfo,
        model: &permit0_vm::risk::Model,
    ) -> serde_json::Value {
        let fields: Vec<serde_json::Value> = a
            .fields
            .iter()
            .map(|f| {
                serde_json::json!({
                    "name": f.name,
                    "type": self.display(f.ty).to_string(),
                    "optional": f.optional,
                    "derive": f.derive.as_ref().map(crate::fmt::expr),
                    "doc": f.doc,
                })
            })
            .collect();
        let mut flags = serde_json::Map::new();
        for f in a.risk.primary.iter() {
            flags.insert(f.name().to_string(), "primary".into());
        }
        for f in a.risk.secondary.iter() {
            flags
                .entry(f.name().to_string())
                .or_insert("secondary".into());
        }
        let amps: serde_json::Map<String, serde_json::Value> = permit0_vm::risk::Amp::ALL
            .iter()
            .filter(|x| a.risk.amps.get(**x) != 0)
            .map(|x| (x.name().to_string(), a.risk.amps.get(*x).into()))
            .collect();
        let (score, tier) = self.default_risk(a, model);
        serde_json::json!({
            "name": a.name,
            "description": a.doc,
            "fields": fields,
            "risk": { "flags": flags, "amplifiers": amps, "score": score, "tier": tier.name() },
            "compliance": a.compliance,
        })
    }

    /// The score and tier an action gets when no rule adjusts it.
    pub fn default_risk(&self, a: &ActionInfo, model: &permit0_vm::risk::Model) -> (u8, Tier) {
        let s = model.score(a.risk.flags(), &a.risk.amps);
        let tier = match a.risk.floor {
            Some(f) if f > s.tier => f,
            _ => s.tier,
        };
        (s.score, tier)
    }

    /// sha256 of the taxonomy's canonical form (compact JSON with sorted keys).
    pub fn digest(&self) -> [u8; 32] {
        use sha2::Digest;
        let canonical = serde_json::to_vec(&self.to_json()).unwrap_or_default();
        sha2::Sha256::digest(&canonical).into()
    }
}

impl Schema {
    /// `docs/taxonomy.md`: a table per domain, generated from the taxonomy.
    pub fn to_markdown(&self) -> String {
        self.to_markdown_only(None)
    }

    /// [`Schema::to_markdown`] of one domain or one action (`only` is its
    /// name), or of everything; the header still describes the whole
    /// taxonomy (its version, digest and counts).
    pub fn to_markdown_only(&self, only: Option<&str>) -> String {
        use std::fmt::Write as _;
        let model = permit0_vm::risk::Model::standard();
        let mut out = String::new();
        let _ = writeln!(out, "# The canonical taxonomy\n");
        let _ = writeln!(
            out,
            "Generated from `taxonomy/*.p0` by `permit0 taxonomy --format markdown`; a test keeps it in sync.\n"
        );
        let _ = writeln!(
            out,
            "Version `{}`, digest `sha256:{}`: {} domains, {} actions. The default tier is the tier of the action's \
             risk profile under the standard model (floors applied); minimal and low allow, medium and high \
             escalate, critical denies when no rule decides. A field written `name: type = derivation` is derived: \
             the engine computes it from the action's input fields for every request, canonical or raw, and a \
             request that supplies it is never decided looser than escalate. The version is a date that moves \
             with every change of the digest (an action, a field, a derivation, a context attribute, a risk \
             profile): `YYYY.M.D`, `.N` added for a second change in one day. A bundle records the version it \
             was checked against, so two vocabularies never share one (a test refuses a changed digest under an \
             unchanged version).\n",
            self.version,
            permit0_vm::hex(&self.digest()),
            self.domains.len(),
            self.actions.len()
        );
        for d in &self.domains {
            let whole = only.is_none_or(|f| f == d.name);
            let actions: Vec<&ActionInfo> = self
                .actions
                .iter()
                .filter(|a| a.domain == d.name && (whole || only == Some(a.name.as_str())))
                .collect();
            if !whole && actions.is_empty() {
                continue;
            }
            let _ = writeln!(out, "## `{}`\n\n{}\n", d.name, d.doc);
            let _ = writeln!(
                out,
                "| action | fields | flags | default tier | compliance |"
            );
            let _ = writeln!(out, "|---|---|---|---|---|");
            for a in actions {
                let fields: Vec<String> = a
                    .fields
                    .iter()
                    .map(|f| {
                        format!(
                            "`{}: {}{}{}`",
                            f.name,
                            self.display(f.ty),
                            if f.optional { "?" } else { "" },
                            match &f.derive {
                                Some(d) => format!(" = {}", crate::fmt::expr(d)),
                                None => String::new(),
                            }
                        )
                    })
                    .collect();
                let mut flags: Vec<String> = a
                    .risk
                    .primary
                    .iter()
                    .map(|f| format!("**{}**", f.name()))
                    .collect();
                flags.extend(
                    a.risk
                        .secondary
                        .iter()
                        .filter(|f| !a.risk.primary.contains(*f))
                        .map(|f| f.name().to_string()),
                );
                let (score, tier) = self.default_risk(a, &model);
                let _ = writeln!(
                    out,
                    "| `{}` — {} | {} | {} | {} ({score}) | {} |",
                    a.name,
                    a.doc.replace('|', "\\|"),
                    fields.join(", ").replace('|', "\\|"),
                    flags.join(" "),
                    tier.name(),
                    a.compliance.join(", ")
                );
            }
            out.push('\n');
        }
        out
    }
}

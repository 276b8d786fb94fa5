//! Declarations in, schema out: collects `domain`, `action`, `alias` and
//! `namespace` declarations from the shipped taxonomy and the team's own files
//! into one [`Schema`], checking each declaration on the way.

use crate::ast::{self, Item, RiskValue, TypeExprKind};
use crate::diag::{suggest, Diagnostic};
use crate::schema::{
    ActionInfo, AliasInfo, DomainInfo, EnumDef, FieldInfo, NamespaceInfo, RiskProfile, Schema,
    Type, BUILTIN_NAMESPACES,
};
use crate::span::Span;
use permit0_vm::risk::{Amp, Flag, Tier};
use std::collections::BTreeMap;

/// Where a file comes from: the taxonomy shipped with permit0 or a team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    User,
}

pub const TYPE_NAMES: &[&str] = &[
    "bool", "int", "money", "string", "duration", "time", "list", "set", "enum", "grants", "chain",
    "ip",
];

pub fn resolve(files: &[(&ast::Ast, Origin)], version: &str) -> (Schema, Vec<Diagnostic>) {
    let mut r = Resolver {
        schema: Schema {
            version: version.to_string(),
            ..Schema::default()
        },
        diags: Vec::new(),
        actions: BTreeMap::new(),
        action_spans: BTreeMap::new(),
        team_attributes: std::collections::BTreeSet::new(),
    };
    // Builtin files first so a team's redefinition is the one reported.
    for origin in [Origin::Builtin, Origin::User] {
        for (ast, _) in files.iter().filter(|(_, o)| *o == origin) {
            for item in &ast.items {
                r.item(item, origin);
            }
        }
    }
    let mut actions: Vec<ActionInfo> = std::mem::take(&mut r.actions).into_values().collect();
    actions.sort_by(|a, b| a.name.cmp(&b.name));
    r.schema.actions = actions;
    // Domains an action uses without a `domain` declaration still exist.
    for a in &r.schema.actions {
        if r.schema.domain(&a.domain).is_none() {
            r.schema.domains.push(DomainInfo {
                name: a.domain.clone(),
                doc: String::new(),
                span: None,
                builtin: a.builtin,
            });
        }
    }
    r.schema.domains.sort_by(|a, b| a.name.cmp(&b.name));
    for (_, ast) in files.iter().map(|(a, o)| (o, a)) {
        for item in &ast.items {
            if let Item::Alias(al) = item {
                r.alias(al);
            }
        }
    }
    (r.schema, r.diags)
}

struct Resolver {
    schema: Schema,
    diags: Vec<Diagnostic>,
    actions: BTreeMap<String, ActionInfo>,
    action_spans: BTreeMap<String, Span>,
    /// `actor.scopes`: attributes teams declared (not the taxonomy's).
    team_attributes: std::collections::BTreeSet<String>,
}

impl Resolver {
    fn item(&mut self, item: &Item, origin: Origin) {
        match item {
            Item::Domain(d) => self.domain(d, origin),
            Item::Action(a) => self.action(a, origin),
            Item::Namespace(n) => self.namespace(n, origin),
            Item::Policy(_)
            | Item::Let(_)
            | Item::Rule(_)
            | Item::Tool(_)
            | Item::Test(_)
            | Item::Use(_)
            | Item::Actions(_)
            | Item::Predicate(_) => {
                if origin == Origin::Builtin {
                    self.diags.push(Diagnostic::error(
                        "P0216",
                        item.span(),
                        "the taxonomy holds declarations only",
                    ));
                }
            }
            Item::Alias(_) | Item::Error(_) => {}
        }
    }

    fn domain(&mut self, d: &ast::DomainDecl, origin: Origin) {
        if let Some(prev) = self.schema.domain(&d.name.text) {
            let mut diag = Diagnostic::error(
                "P0206",
                d.name.span,
                format!("domain `{}` is declared twice", d.name.text),
            );
            if let Some(s) = prev.span {
                diag = diag.label(s, "first declared here");
            }
            self.diags.push(diag);
            return;
        }
        self.schema.domains.push(DomainInfo {
            name: d.name.text.clone(),
            doc: d.doc.as_ref().map(|s| s.value.clone()).unwrap_or_default(),
            span: Some(d.name.span),
            builtin: origin == Origin::Builtin,
        });
    }

    fn namespace(&mut self, n: &ast::NamespaceDecl, origin: Origin) {
        if origin == Origin::User && matches!(n.name.text.as_str(), "actor" | "context") {
            return self.attributes(n);
        }
        if origin == Origin::User || BUILTIN_NAMESPACES.contains(&n.name.text.as_str()) {
            self.diags.push(
                Diagnostic::error(
                    "P0216",
                    n.name.span,
                    format!("namespace `{}` cannot be declared here", n.name.text),
                )
                .help("`session` and `risk` are part of the language; a team adds its own attributes to `actor` and `context` with `namespace actor { … }`"),
            );
            return;
        }
        if self.schema.namespace(&n.name.text).is_some() {
            self.diags.push(Diagnostic::error(
                "P0206",
                n.name.span,
                format!("namespace `{}` is declared twice", n.name.text),
            ));
            return;
        }
        let fields = self.fields(&n.fields);
        self.schema.namespaces.push(NamespaceInfo {
            name: n.name.text.clone(),
            doc: n.doc.as_ref().map(|s| s.value.clone()).unwrap_or_default(),
            fields,
            span: n.name.span,
        });
    }

    /// `namespace actor { scopes: set<string>? "…" }` in a team's file: its
    /// own typed attributes of `actor` or `context`, checked and bound like
    /// the shipped ones. Every attribute is optional (a request may omit
    /// it) and none is derived; one may not redeclare another.
    fn attributes(&mut self, n: &ast::NamespaceDecl) {
        let fields = self.fields(&n.fields);
        let ns_name = n.name.text.clone();
        let Some(ns) = self
            .schema
            .namespaces
            .iter()
            .position(|x| x.name == ns_name)
        else {
            self.diags.push(Diagnostic::error(
                "P0216",
                n.name.span,
                format!("namespace `{ns_name}` is not in the taxonomy"),
            ));
            return;
        };
        for (decl, f) in n.fields.iter().zip(fields) {
            let qualified = format!("{ns_name}.{}", f.name);
            if let Some(prev) = self
                .schema
                .namespaces
                .get(ns)
                .and_then(|x| x.fields.iter().find(|p| p.name == f.name))
            {
                // Two of a team's files may both declare one attribute,
                // with one type: it is one attribute.
                let same_type = match (prev.ty, f.ty) {
                    (Type::Enum(a), Type::Enum(b)) => {
                        self.schema.enum_def(a).map(|d| &d.members)
                            == self.schema.enum_def(b).map(|d| &d.members)
                    }
                    (a, b) => a == b,
                };
                if self.team_attributes.contains(&qualified)
                    && same_type
                    && prev.optional == f.optional
                    && decl.derive.is_none()
                {
                    continue;
                }
                self.diags.push(
                    Diagnostic::error(
                        "P0206",
                        f.span,
                        format!("`{ns_name}.{}` is already declared", f.name),
                    )
                    .label(prev.span, "declared here"),
                );
                continue;
            }
            if decl.derive.is_some() {
                self.diags.push(
                    Diagnostic::error(
                        "P0216",
                        f.span,
                        format!("`{ns_name}.{}` cannot be derived", f.name),
                    )
                    .help("attributes of `actor` and `context` come from the request"),
                );
                continue;
            }
            if !f.optional {
                let end = decl.ty.span;
                self.diags.push(
                    Diagnostic::error(
                        "P0216",
                        f.span,
                        format!(
                            "`{ns_name}.{}` must be optional: a request may omit it",
                            f.name
                        ),
                    )
                    .help("write `?` after the type; rules then say what its absence means")
                    .fix(Span::new(end.file, end.end as usize, end.end as usize), "?"),
                );
                continue;
            }
            if let Some(x) = self.schema.namespaces.get_mut(ns) {
                self.team_attributes.insert(qualified);
                x.fields.push(f);
            }
        }
    }

    fn action(&mut self, a: &ast::ActionDecl, origin: Origin) {
        let name = a.name.dotted();
        let [domain, _verb] = a.name.segments.as_slice() else {
            self.diags.push(
                Diagnostic::error(
                    "P0211",
                    a.name.span,
                    format!("action name `{name}` must have two parts"),
                )
                .help("name an action `domain.verb`, e.g. `acme.approve_invoice`"),
            );
            return;
        };
        if let Some(prev) = self.actions.get(&name) {
            let prev_span = self.action_spans.get(&name).copied().unwrap_or(prev.span);
            let diag = if prev.builtin && origin == Origin::User {
                Diagnostic::error(
                    "P0211",
                    a.name.span,
                    format!("`{name}` is a built-in action and cannot be redefined"),
                )
                .label(prev_span, "declared in the taxonomy here")
                .help(format!(
                    "declare your own action in your own domain, e.g. `acme.{}`",
                    a.name
                        .segments
                        .last()
                        .map(|s| s.text.as_str())
                        .unwrap_or("action")
                ))
            } else {
                Diagnostic::error(
                    "P0211",
                    a.name.span,
                    format!("action `{name}` is declared twice"),
                )
                .label(prev_span, "first declared here")
            };
            self.diags.push(diag);
            return;
        }
        let fields = self.fields(&a.fields);
        let risk = match &a.risk {
            Some(block) => self.risk(block),
            None => {
                if origin == Origin::Builtin {
                    self.diags.push(Diagnostic::error(
                        "P0213",
                        a.name.span,
                        format!("taxonomy action `{name}` has no risk profile"),
                    ));
                }
                RiskProfile::unrated()
            }
        };
        self.action_spans.insert(name.clone(), a.name.span);
        self.actions.insert(
            name.clone(),
            ActionInfo {
                name,
                domain: domain.text.clone(),
                doc: a.doc.as_ref().map(|s| s.value.clone()).unwrap_or_default(),
                fields,
                risk,
                compliance: a.compliance.iter().map(|c| c.value.clone()).collect(),
                span: a.name.span,
                builtin: origin == Origin::Builtin,
            },
        );
    }

    fn fields(&mut self, decls: &[ast::FieldDecl]) -> Vec<FieldInfo> {
        let mut out: Vec<FieldInfo> = Vec::new();
        for f in decls {
            if let Some(prev) = out.iter().find(|p| p.name == f.name.text) {
                self.diags.push(
                    Diagnostic::error(
                        "P0206",
                        f.name.span,
                        format!("field `{}` is declared twice", f.name.text),
                    )
                    .label(prev.span, "first declared here"),
                );
                continue;
            }
            let ty = self.ty(&f.ty);
            out.push(FieldInfo {
                name: f.name.text.clone(),
                ty,
                optional: f.optional,
                derive: f.derive.clone(),
                doc: f.doc.as_ref().map(|s| s.value.clone()).unwrap_or_default(),
                span: f.name.span,
            });
        }
        out
    }

    fn ty(&mut self, t: &ast::TypeExpr) -> Type {
        match &t.kind {
            TypeExprKind::Named(n) => match n.text.as_str() {
                "bool" => Type::Bool,
                "int" => Type::Int,
                "money" => Type::Money,
                "string" => Type::Str,
                "duration" => Type::Duration,
                "time" => Type::Time,
                "grants" => Type::Grants,
                "chain" => Type::Chain,
                "ip" => Type::Ip,
                "list" | "set" => {
                    self.diags.push(
                        Diagnostic::error(
                            "P0212",
                            t.span,
                            format!("`{}` needs an element type", n.text),
                        )
                        .help(format!("write `{}<string>`", n.text))
                        .fix(t.span, format!("{}<string>", n.text)),
                    );
                    Type::Error
                }
                other => {
                    let mut d =
                        Diagnostic::error("P0212", n.span, format!("unknown type `{other}`"));
                    if let Some(s) = suggest(other, TYPE_NAMES.iter().copied()) {
                        d = d.help(format!("did you mean `{s}`?")).fix(n.span, s);
                    } else {
                        d = d.help(format!("types are {}", TYPE_NAMES.join(", ")));
                    }
                    self.diags.push(d);
                    Type::Error
                }
            },
            TypeExprKind::Generic(n, inner) => {
                let elem_ok = matches!(&inner.kind, TypeExprKind::Named(e) if e.text == "string");
                if !elem_ok {
                    self.diags.push(
                        Diagnostic::error("P0212", inner.span, "collections hold strings")
                            .help(format!("write `{}<string>`", n.text)),
                    );
                }
                match n.text.as_str() {
                    "list" => Type::List,
                    "set" => Type::Set,
                    other => {
                        self.diags.push(
                            Diagnostic::error("P0212", n.span, format!("unknown type `{other}`"))
                                .help("the collection types are `list<string>` and `set<string>`"),
                        );
                        Type::Error
                    }
                }
            }
            TypeExprKind::Enum(members) => {
                let mut names: Vec<String> = Vec::new();
                for m in members {
                    if names.contains(&m.text) {
                        self.diags.push(Diagnostic::error(
                            "P0206",
                            m.span,
                            format!("enum member `{}` is listed twice", m.text),
                        ));
                    } else {
                        names.push(m.text.clone());
                    }
                }
                if names.is_empty() {
                    self.diags.push(Diagnostic::error(
                        "P0212",
                        t.span,
                        "an enum needs at least one member",
                    ));
                    return Type::Error;
                }
                let id = u32::try_from(self.schema.enums.len()).unwrap_or(u32::MAX);
                self.schema.enums.push(EnumDef {
                    members: names,
                    ordered: false,
                });
                Type::Enum(id)
            }
        }
    }

    fn risk(&mut self, block: &ast::RiskBlock) -> RiskProfile {
        let mut p = RiskProfile {
            rated: true,
            floor: None,
            ..RiskProfile::unrated()
        };
        let mut seen: Vec<&str> = Vec::new();
        for e in &block.entries {
            let key = e.key.text.as_str();
            if seen.contains(&key) {
                self.diags.push(Diagnostic::error(
                    "P0213",
                    e.key.span,
                    format!("`{key}` is set twice in this risk profile"),
                ));
                continue;
            }
            seen.push(key);
            match (key, &e.value) {
                ("primary" | "secondary", RiskValue::Names(names)) => {
                    for n in names {
                        match Flag::from_name(&n.text) {
                            Some(f) if key == "primary" => p.primary = p.primary.with(f),
                            Some(f) => p.secondary = p.secondary.with(f),
                            None => {
                                let all: Vec<&str> = Flag::ALL.iter().map(|f| f.name()).collect();
                                let mut d = Diagnostic::error(
                                    "P0213",
                                    n.span,
                                    format!("unknown risk flag `{}`", n.text),
                                );
                                d = match suggest(&n.text, all.iter().copied()) {
                                    Some(s) => {
                                        d.help(format!("did you mean `{s}`?")).fix(n.span, s)
                                    }
                                    None => d.help(format!("flags are {}", all.join(", "))),
                                };
                                self.diags.push(d);
                            }
                        }
                    }
                }
                ("floor", RiskValue::Name(n)) => match Tier::from_name(&n.text) {
                    Some(t) => p.floor = Some(t),
                    None => self.diags.push(
                        Diagnostic::error("P0213", n.span, format!("unknown tier `{}`", n.text))
                            .help("tiers are minimal, low, medium, high, critical"),
                    ),
                },
                (_, RiskValue::Int(v)) if Amp::from_name(key).is_some() => {
                    if let Some(a) = Amp::from_name(key) {
                        let max = i64::from(a.max());
                        if !(0..=max).contains(v) {
                            self.diags.push(
                                Diagnostic::error(
                                    "P0213",
                                    e.span,
                                    format!("amplifier `{key}` is {v}, outside 0 to {max}"),
                                )
                                .help(format!("`{key}` takes a value from 0 to {max}")),
                            );
                        } else {
                            p.amps.set(a, i32::try_from(*v).unwrap_or(0));
                        }
                    }
                }
                _ => {
                    let mut keys = vec!["primary", "secondary", "floor"];
                    keys.extend(Amp::ALL.iter().map(|a| a.name()));
                    let mut d = if keys.contains(&key) {
                        Diagnostic::error(
                            "P0213",
                            e.span,
                            format!("`{key}` has the wrong kind of value"),
                        )
                        .help(match key {
                            "primary" | "secondary" => {
                                "list flags: `primary: [FINANCIAL]`".to_string()
                            }
                            "floor" => "name a tier: `floor: high`".to_string(),
                            _ => format!("give `{key}` an integer"),
                        })
                    } else {
                        Diagnostic::error(
                            "P0213",
                            e.key.span,
                            format!("unknown risk entry `{key}`"),
                        )
                    };
                    if !keys.contains(&key) {
                        d = match suggest(key, keys.iter().copied()) {
                            Some(s) => d.help(format!("did you mean `{s}`?")).fix(e.key.span, s),
                            None => d.help(format!("risk entries are {}", keys.join(", "))),
                        };
                    }
                    self.diags.push(d);
                }
            }
        }
        p
    }

    fn alias(&mut self, al: &ast::AliasDecl) {
        let old = al.old.dotted();
        let new = al.new.dotted();
        if self.schema.action_id(&old).is_some() {
            self.diags.push(Diagnostic::error(
                "P0206",
                al.old.span,
                format!("`{old}` is an action and cannot also be an alias"),
            ));
            return;
        }
        match self.schema.action_id(&new) {
            Some(target) => {
                self.schema.aliases.insert(
                    old,
                    AliasInfo {
                        target,
                        span: al.old.span,
                    },
                );
            }
            None => self.diags.push(Diagnostic::error(
                "P0201",
                al.new.span,
                format!("unknown action `{new}`"),
            )),
        }
    }
}

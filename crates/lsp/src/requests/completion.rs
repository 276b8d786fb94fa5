//! A position in, completion items out.
//!
//! The place is read from the tokens before the cursor ([`crate::context`]),
//! so half-typed lines complete: `when pay` offers domains, `when payments.`
//! the payments actions, `when payments.refund am` the refund's fields with
//! their types, `actor.` / `context.` / `session.` / `risk.` their members,
//! `then` the decisions, `context.env == ` the enum's members, and so on in
//! tests, tool mappings and declarations. Every item replaces the word being
//! typed (or the string, for an enum member typed as `"pr`).

use crate::analysis::Analysis;
use crate::context::{Owner, Pat, Place, Tokens};
use crate::requests::hover::default_outcome;
use crate::server::ClientCaps;
use crate::target::{action_or_alias, scope_actions};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionItemLabelDetails, CompletionList,
    CompletionResponse, CompletionTextEdit, Documentation, MarkupContent, MarkupKind, Position,
    Range, TextEdit,
};
use permit0_compiler::ast::Item;
use permit0_compiler::schema::{ActionId, ActionInfo, FieldInfo, Schema, Type, TIER_ENUM};
use permit0_compiler::typeck::{DECISIONS, FUNCTIONS};
use permit0_vm::risk::{Amp, Flag, Tier};

const TOP_KEYWORDS: &[(&str, &str)] = &[
    (
        "when",
        "a rule: `when <action> [condition] then <decision>`",
    ),
    ("let", "a named constant: `let trusted = {\"a\", \"b\"}`"),
    (
        "rule",
        "a named rule: `rule large_refund: when … then …`; its id is `policy.large_refund`",
    ),
    (
        "use",
        "imports names another policy defines: `use stdlib.shared.{write_methods}`",
    ),
    (
        "actions",
        "names an alternation: `actions outbound = email.send | network.http_request`",
    ),
    (
        "predicate",
        "names a condition: `predicate read_secrets = session.seen(secret.read, 1h)`",
    ),
    (
        "policy",
        "the policy's name: `policy payments.refunds \"…\"`",
    ),
    (
        "test",
        "a test: `test \"name\" { <action> { … } => <decision> }`",
    ),
    (
        "tool",
        "maps a raw tool call onto an action: `tool gmail_send -> email.send { … }`",
    ),
    (
        "action",
        "declares an action: `action acme.approve { amount: money } risk { … }`",
    ),
    ("domain", "declares a domain of actions"),
    (
        "alias",
        "a deprecated action name: `alias old.name -> new.name`",
    ),
];

const TYPE_NAMES: &[&str] = &[
    "bool",
    "int",
    "money",
    "string",
    "duration",
    "time",
    "list<string>",
    "set<string>",
    "enum { }",
    "ip",
];

const OPERATORS: &[(&str, &str)] = &[
    ("and", "both conditions hold"),
    ("or", "either condition holds"),
    ("in", "the value is one of a set: `role in {\"a\", \"b\"}`"),
    ("not in", "the value is none of a set"),
    ("contains", "the text or list contains a string"),
    (
        "contains_any",
        "the text or list contains one of the strings",
    ),
    ("contains_all", "the text or list contains every string"),
    ("starts_with", "the text starts with a string"),
    ("ends_with", "the text ends with a string"),
    (
        "??",
        "the value, or a default when the request does not carry it: `context.env ?? prod`",
    ),
];

struct Builder<'a> {
    a: &'a Analysis,
    range: Range,
    items: Vec<CompletionItem>,
    /// The word being typed is a string literal: only quoted values fit.
    in_string: bool,
}

impl Builder<'_> {
    fn push(
        &mut self,
        label: &str,
        kind: CompletionItemKind,
        detail: Option<String>,
        doc: Option<String>,
        rank: u8,
    ) {
        self.push_text(label, label, kind, detail, doc, rank);
    }

    fn push_text(
        &mut self,
        label: &str,
        text: &str,
        kind: CompletionItemKind,
        detail: Option<String>,
        doc: Option<String>,
        rank: u8,
    ) {
        if self.items.iter().any(|i| i.label == label) {
            return;
        }
        self.items.push(CompletionItem {
            label: label.to_string(),
            kind: Some(kind),
            detail,
            documentation: doc.filter(|d| !d.is_empty()).map(|d| {
                Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: d,
                })
            }),
            sort_text: Some(format!("{rank}{label}")),
            filter_text: (text != label).then(|| text.to_string()),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                range: self.range,
                new_text: text.to_string(),
            })),
            ..CompletionItem::default()
        });
    }

    fn schema(&self) -> &Schema {
        self.a.schema()
    }

    fn keyword(&mut self, kw: &str, doc: &str, rank: u8) {
        self.push(
            kw,
            CompletionItemKind::KEYWORD,
            None,
            Some(doc.to_string()),
            rank,
        );
    }

    fn domains(&mut self) {
        let domains: Vec<(String, String, usize)> = self
            .schema()
            .domains
            .iter()
            .map(|d| {
                (
                    d.name.clone(),
                    d.doc.clone(),
                    self.schema().actions_in_domain(&d.name).count(),
                )
            })
            .collect();
        for (name, doc, n) in domains {
            let detail = format!("domain, {n} action{}", if n == 1 { "" } else { "s" });
            self.push(
                &name,
                CompletionItemKind::MODULE,
                Some(detail),
                Some(doc),
                0,
            );
        }
    }

    fn action_item(&mut self, label: &str, info: &ActionInfo) {
        let d = default_outcome(info);
        let mut doc = format!("`{}` — {}\n\n", info.name, info.doc);
        for f in &info.fields {
            doc.push_str(&format!(
                "- `{}`: `{}`\n",
                f.name,
                type_text(self.schema(), f)
            ));
        }
        let tier = if info.risk.rated {
            format!("default tier {}", d.tier.name())
        } else {
            "unrated".to_string()
        };
        let mut item_detail = info.doc.clone();
        if item_detail.is_empty() {
            item_detail = info.name.clone();
        }
        let before = self.items.len();
        self.push(
            label,
            CompletionItemKind::FUNCTION,
            Some(item_detail),
            Some(doc),
            0,
        );
        if let Some(item) = self.items.get_mut(before) {
            item.label_details = Some(CompletionItemLabelDetails {
                detail: None,
                description: Some(tier),
            });
        }
    }

    fn verbs(&mut self, domain: &str) {
        let infos: Vec<ActionInfo> = self
            .schema()
            .actions_in_domain(domain)
            .filter_map(|id| self.schema().action(id).cloned())
            .collect();
        for info in infos {
            let verb = info
                .name
                .rsplit('.')
                .next()
                .unwrap_or(&info.name)
                .to_string();
            self.action_item(&verb, &info);
        }
    }

    fn field_item(&mut self, f: &FieldInfo, text: &str, rank: u8) {
        let ty = type_text(self.schema(), f);
        self.push_text(
            &f.name,
            text,
            CompletionItemKind::FIELD,
            Some(ty),
            Some(f.doc.clone()),
            rank,
        );
    }

    fn fields(&mut self, fields: &[FieldInfo], suffix: &str, used: &[String], rank: u8) {
        for f in fields {
            if !used.contains(&f.name) {
                self.field_item(f, &format!("{}{suffix}", f.name), rank);
            }
        }
    }

    /// The fields every action of the scope has.
    fn common_fields(&self, actions: &[ActionId]) -> Vec<FieldInfo> {
        let schema = self.schema();
        let infos: Vec<&ActionInfo> = actions.iter().filter_map(|id| schema.action(*id)).collect();
        let Some(first) = infos.first() else {
            return Vec::new();
        };
        first
            .fields
            .iter()
            .filter(|f| infos.iter().all(|i| i.field(&f.name).is_some()))
            .cloned()
            .collect()
    }

    fn namespaces(&mut self, rank: u8) {
        let ns: Vec<(String, String)> = self
            .schema()
            .namespaces
            .iter()
            .map(|n| (n.name.clone(), n.doc.clone()))
            .collect();
        for (name, doc) in ns {
            self.push(
                &name,
                CompletionItemKind::MODULE,
                Some("namespace".into()),
                Some(doc),
                rank,
            );
        }
        self.push(
            "session",
            CompletionItemKind::MODULE,
            Some("namespace".into()),
            Some("aggregates over the session: `session.count`, `session.sum`, `session.seen`, `session.distinct`".into()),
            rank,
        );
        self.push(
            "tenant",
            CompletionItemKind::MODULE,
            Some("namespace".into()),
            Some("aggregates over the whole tenant, every agent and session: `tenant.count(collections.call_debtor by account_id, 7d)`".into()),
            rank,
        );
        self.push(
            "risk",
            CompletionItemKind::MODULE,
            Some("namespace".into()),
            Some("the computed risk: `risk.score`, `risk.tier`, `risk.flags`".into()),
            rank,
        );
    }

    fn lets(&mut self, rank: u8) {
        let Some(ast) = self.a.ast() else { return };
        let lets: Vec<(String, String)> = ast
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Let(l) => Some((
                    l.name.text.clone(),
                    self.a.comp.sources.slice(l.value.span).to_string(),
                )),
                _ => None,
            })
            .collect();
        for (name, value) in lets {
            self.push(&name, CompletionItemKind::CONSTANT, Some(value), None, rank);
        }
    }

    fn functions(&mut self, prefix: &str, rank: u8) {
        for (name, sig) in FUNCTIONS {
            if let Some(short) = name.strip_prefix(prefix) {
                if prefix.is_empty() && name.contains('.') {
                    continue;
                }
                let (head, desc) = sig.split_once(": ").unwrap_or((sig, ""));
                self.push(
                    short,
                    CompletionItemKind::FUNCTION,
                    Some(head.to_string()),
                    Some(desc.to_string()),
                    rank,
                );
            }
        }
    }

    fn decisions(&mut self) {
        for d in DECISIONS {
            let doc = match *d {
                "allow" => "the action may run",
                "escalate" => "a human must approve the action",
                _ => "the action must not run",
            };
            self.keyword(d, doc, 0);
        }
        self.keyword(
            "amplify",
            "adjust risk amplifiers: `then amplify destination +14`",
            1,
        );
    }

    fn enum_members(&mut self, id: u32, quoted: bool) {
        let Some(def) = self.schema().enum_def(id).cloned() else {
            return;
        };
        for m in def.members {
            let text = if quoted || self.in_string {
                format!("\"{m}\"")
            } else {
                m.clone()
            };
            self.push_text(&m, &text, CompletionItemKind::ENUM_MEMBER, None, None, 0);
        }
    }

    /// The type of the left side of a comparison.
    fn type_of(&self, lhs: &[String], actions: &[ActionId]) -> Option<Type> {
        let schema = self.schema();
        match lhs {
            [name] => actions
                .iter()
                .find_map(|id| schema.action(*id).and_then(|a| a.field(name)))
                .map(|f| f.ty),
            [r, t] if r == "risk" && t == "tier" => Some(Type::Enum(TIER_ENUM)),
            [ns, f] => schema
                .namespace(ns)
                .and_then(|n| n.fields.iter().find(|x| &x.name == f))
                .map(|x| x.ty),
            _ => None,
        }
    }

    fn operand(
        &mut self,
        pats: Option<&[Pat]>,
        lhs: Option<&[String]>,
        in_collection: bool,
        first: bool,
    ) {
        let actions = scope_actions(self.schema(), pats);
        if let Some(lhs) = lhs {
            match self.type_of(lhs, &actions) {
                Some(Type::Enum(id)) => {
                    // `risk.tier >= high` reads best bare; other enums quoted.
                    self.enum_members(id, id != TIER_ENUM || in_collection);
                    self.lets(1);
                    return;
                }
                Some(Type::Bool) => {
                    self.keyword("true", "", 0);
                    self.keyword("false", "", 0);
                }
                _ => {}
            }
        }
        if self.in_string || in_collection {
            return;
        }
        if pats.is_some() {
            let fields = self.common_fields(&actions);
            self.fields(&fields, "", &[], 0);
            self.namespaces(1);
            self.functions("", 3);
            self.keyword("not", "negates a condition", 4);
            self.keyword(
                "has",
                "whether the request carries an optional value: `has actor.role and …`",
                4,
            );
            if first {
                self.keyword("then", "the decision follows", 2);
            }
        }
        self.lets(2);
        self.keyword("true", "", 4);
        self.keyword("false", "", 4);
    }

    fn member(&mut self, chain: &[String]) {
        let schema = self.schema();
        match chain {
            [ns] if schema.namespace(ns).is_some() => {
                let fields = schema
                    .namespace(ns)
                    .map(|n| n.fields.clone())
                    .unwrap_or_default();
                self.fields(&fields, "", &[], 0);
                // `actor.count(…)`: the acting agent's history.
                if ns == "actor" {
                    self.functions("actor.", 1);
                }
            }
            [r] if r == "risk" => {
                self.push(
                    "score",
                    CompletionItemKind::FIELD,
                    Some("int".into()),
                    Some("the risk score, 0 to 100".into()),
                    0,
                );
                self.push(
                    "tier",
                    CompletionItemKind::FIELD,
                    Some("tier".into()),
                    Some("minimal < low < medium < high < critical".into()),
                    0,
                );
                self.push(
                    "flags",
                    CompletionItemKind::FIELD,
                    Some("set<string>".into()),
                    Some("the action's risk flags".into()),
                    0,
                );
            }
            [s] if s == "session" => self.functions("session.", 0),
            [t] if t == "tenant" => self.functions("tenant.", 0),
            [d] if schema.domain(d).is_some() => self.verbs(d),
            [d, v] => {
                if let Some(info) =
                    action_or_alias(schema, &format!("{d}.{v}")).and_then(|id| schema.action(id))
                {
                    let fields = info.fields.clone();
                    self.fields(&fields, "", &[], 0);
                }
            }
            _ => {}
        }
    }

    fn session_target(&mut self, func: &str, chain: &[String]) {
        // `session.sum`, `actor.sum`, `tenant.sum`: the scope does not
        // change what the argument is.
        let verb = func.rsplit('.').next().unwrap_or(func);
        let wants_field = matches!(verb, "sum" | "distinct");
        match chain {
            [] => self.domains(),
            [d] => {
                self.verbs(d);
                if !wants_field {
                    self.keyword("*", "every action of the domain", 1);
                }
            }
            [d, v] if wants_field => {
                let schema = self.schema();
                if let Some(info) =
                    action_or_alias(schema, &format!("{d}.{v}")).and_then(|id| schema.action(id))
                {
                    let fields: Vec<FieldInfo> = info
                        .fields
                        .iter()
                        .filter(|f| verb != "sum" || matches!(f.ty, Type::Int | Type::Money))
                        .cloned()
                        .collect();
                    self.fields(&fields, "", &[], 0);
                }
            }
            _ => {}
        }
    }

    fn owner_fields(&self, owner: &Owner) -> Vec<FieldInfo> {
        let schema = self.schema();
        match owner {
            Owner::Action(name) => action_or_alias(schema, name)
                .and_then(|id| schema.action(id))
                .map(|a| a.fields.clone())
                .unwrap_or_default(),
            Owner::Section(ns) => schema
                .namespace(ns)
                .map(|n| n.fields.clone())
                .unwrap_or_default(),
            Owner::Tool => Vec::new(),
            Owner::Element { ns, field } => {
                let Some(f) = schema
                    .namespace(ns)
                    .and_then(|n| n.fields.iter().find(|f| f.name == *field))
                else {
                    return Vec::new();
                };
                let keys: &[(&str, Type, bool, &str)] = match f.ty {
                    Type::Grants => &[
                        ("scope", Type::Str, false, "the scope granted"),
                        (
                            "action",
                            Type::Str,
                            false,
                            "the actions covered: an action, `domain.*` or `*`",
                        ),
                        ("not_before", Type::Time, true, "valid from (RFC 3339)"),
                        (
                            "expires",
                            Type::Time,
                            false,
                            "valid until, excluded (RFC 3339)",
                        ),
                        ("granted_by", Type::Str, false, "who granted it"),
                    ],
                    Type::Chain => &[
                        ("id", Type::Str, false, "the hop's id"),
                        ("kind", Type::Str, false, "human, agent or service"),
                        ("role", Type::Str, true, "the hop's role"),
                        ("scopes", Type::List, false, "the scopes the hop holds"),
                    ],
                    _ => &[],
                };
                keys.iter()
                    .map(|(name, ty, optional, doc)| FieldInfo {
                        name: (*name).to_string(),
                        ty: *ty,
                        optional: *optional,
                        derive: None,
                        doc: (*doc).to_string(),
                        span: f.span,
                    })
                    .collect()
            }
        }
    }
}

fn type_text(schema: &Schema, f: &FieldInfo) -> String {
    format!(
        "{}{}",
        schema.display(f.ty),
        if f.optional { "?" } else { "" }
    )
}

/// Whether the cursor is in a `#` comment.
fn in_comment(text: &str, offset: usize) -> bool {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.rsplit(['\n', '\r']).next().unwrap_or("");
    let mut in_str = false;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            '#' if !in_str => return true,
            _ => {}
        }
    }
    false
}

pub fn completion(a: &Analysis, pos: Position, _caps: ClientCaps) -> CompletionResponse {
    let items = items(a, pos);
    CompletionResponse::List(CompletionList {
        is_incomplete: false,
        items,
    })
}

pub fn items(a: &Analysis, pos: Position) -> Vec<CompletionItem> {
    let text = a.text();
    let offset = a.offset(pos);
    if in_comment(text, offset) {
        return Vec::new();
    }
    if let Some(named) = crate::names::completions(a, offset) {
        return named;
    }
    let toks = Tokens::new(text);
    let mut cur = toks.at_cursor(offset);
    if let Some(c) = cur {
        let s = text.get(c.start..c.end).unwrap_or("");
        // At the end of a finished string: nothing is being typed.
        if c.is_str && offset == c.end && s.len() >= 2 && s.ends_with('"') {
            cur = None;
        }
    }
    let k = cur
        .map(|c| c.idx)
        .unwrap_or_else(|| toks.first_at_or_after(offset));
    let place = toks.place(k, offset);
    let (start, end) = cur.map(|c| (c.start, c.end)).unwrap_or((offset, offset));
    let range = match a.index() {
        Some(i) => i.range(
            u32::try_from(start).unwrap_or(0),
            u32::try_from(end).unwrap_or(0),
        ),
        None => Range::default(),
    };
    let mut b = Builder {
        a,
        range,
        items: Vec::new(),
        in_string: cur.is_some_and(|c| c.is_str),
    };
    if b.in_string {
        match &place {
            Place::Operand {
                pats,
                lhs,
                in_collection,
                first,
            } => {
                b.operand(pats.as_deref(), lhs.as_deref(), *in_collection, *first);
            }
            Place::ObjectValue { owner, key } => object_value(&mut b, owner, key),
            _ => {}
        }
        return b.items;
    }
    match &place {
        Place::TopLevel => top(&mut b),
        Place::Action { chain, pattern } => match chain.as_slice() {
            [] => {
                b.items.extend(crate::names::local_names(a, b.range));
                b.domains();
                if *pattern {
                    b.keyword("*", "every action", 1);
                } else {
                    b.keyword("tool", "a raw tool call: `tool gmail_send { … }`", 1);
                }
            }
            [d] => {
                b.verbs(d);
                if *pattern {
                    b.keyword("*", "every action of the domain", 1);
                }
            }
            _ => {}
        },
        Place::SessionTarget { func, chain } => b.session_target(func, chain),
        Place::Operand {
            pats,
            lhs,
            in_collection,
            first,
        } => {
            if lhs.is_none() {
                b.items.extend(crate::names::local_names(a, b.range));
            }
            b.operand(pats.as_deref(), lhs.as_deref(), *in_collection, *first);
        }
        Place::Member { chain, .. } => b.member(chain),
        Place::AfterOperand { .. } => {
            for (op, doc) in OPERATORS {
                b.keyword(op, doc, 0);
            }
            b.keyword("then", "the decision follows", 0);
        }
        Place::Decision => b.decisions(),
        Place::AfterDecision => {
            b.keyword("with", "obligations: `with notify = \"secops\"`", 0);
            top(&mut b);
        }
        Place::Amplifier => {
            for amp in Amp::ALL {
                b.push(
                    amp.name(),
                    CompletionItemKind::PROPERTY,
                    Some(format!("0..={}", amp.max())),
                    None,
                    0,
                );
            }
        }
        Place::ObjectKey { owner, used } => {
            let fields = b.owner_fields(owner);
            b.fields(&fields, ": ", used, 0);
        }
        Place::ObjectValue { owner, key } => object_value(&mut b, owner, key),
        Place::TestSection => {
            b.namespaces(0);
            b.items.retain(|i| i.label != "risk");
            b.keyword("=>", "the expected decision follows", 1);
        }
        Place::ToolField { action, used } => {
            let fields = b.owner_fields(&Owner::Action(action.clone()));
            b.fields(&fields, " = ", used, 0);
        }
        Place::TypeName => {
            for t in TYPE_NAMES {
                b.push(t, CompletionItemKind::TYPE_PARAMETER, None, None, 0);
            }
        }
        Place::RiskKey => {
            b.keyword(
                "primary",
                "the action's main risk flags: `primary: [FINANCIAL]`",
                0,
            );
            b.keyword("secondary", "further risk flags", 0);
            b.keyword("floor", "the lowest tier the action gets: `floor: high`", 0);
            for amp in Amp::ALL {
                b.push(
                    amp.name(),
                    CompletionItemKind::PROPERTY,
                    Some(format!("0..={}", amp.max())),
                    None,
                    1,
                );
            }
        }
        Place::RiskFlag => {
            for f in Flag::ALL {
                b.push(f.name(), CompletionItemKind::ENUM_MEMBER, None, None, 0);
            }
        }
        Place::RiskTier => {
            for t in Tier::ALL {
                b.push(t.name(), CompletionItemKind::ENUM_MEMBER, None, None, 0);
            }
        }
        Place::Nothing => {}
    }
    // A word at the start of a line may begin a new item.
    let line_start = text
        .get(..start)
        .map(|s| s.rsplit(['\n', '\r']).next().unwrap_or(s).is_empty())
        .unwrap_or(false);
    if line_start && !matches!(place, Place::TopLevel | Place::AfterDecision) {
        top(&mut b);
    }
    b.items
}

fn top(b: &mut Builder<'_>) {
    for (kw, doc) in TOP_KEYWORDS {
        b.keyword(kw, doc, 5);
    }
}

fn object_value(b: &mut Builder<'_>, owner: &Owner, key: &str) {
    let fields = b.owner_fields(owner);
    match fields.iter().find(|f| f.name == key).map(|f| f.ty) {
        Some(Type::Enum(id)) => b.enum_members(id, true),
        Some(Type::Bool) if !b.in_string => {
            b.keyword("true", "", 0);
            b.keyword("false", "", 0);
        }
        _ => {}
    }
}

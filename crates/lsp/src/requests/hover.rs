//! A position in, a hover out: what the word under the cursor names, with
//! the taxonomy's documentation.
//!
//! - an action: its description, typed fields, risk profile, default tier
//!   (scored by the standard risk model) and compliance mappings;
//! - a field: its type and doc; a namespace and its members;
//! - a `let`: its value; a decision: what it means; a builtin: its signature.

use crate::analysis::Analysis;
use crate::server::ClientCaps;
use crate::target::{target_at, Target};
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position};
use permit0_compiler::ast::Item;
use permit0_compiler::schema::{ActionInfo, FieldInfo, Schema, Type};
use permit0_compiler::typeck::FUNCTIONS;
use permit0_vm::risk::{Amp, Model, Tier, Verdict};
use std::fmt::Write as _;

pub fn hover(a: &Analysis, pos: Position, caps: ClientCaps) -> Option<Hover> {
    let offset = a.offset(pos);
    let (value, start, end) = match crate::names::hover(a, offset) {
        Some(named) => named,
        None => {
            let (target, start, end) = target_at(a, offset)?;
            (render(a, &target)?, start, end)
        }
    };
    let range = a.index().map(|i| {
        i.range(
            u32::try_from(start).unwrap_or(0),
            u32::try_from(end).unwrap_or(0),
        )
    });
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: if caps.markdown_hover {
                MarkupKind::Markdown
            } else {
                MarkupKind::PlainText
            },
            value,
        }),
        range,
    })
}

/// The Markdown text of a target.
pub fn render(a: &Analysis, t: &Target) -> Option<String> {
    let schema = a.schema();
    let mut s = String::new();
    match t {
        Target::Action(id) => action(&mut s, a, schema.action(*id)?),
        Target::Alias { name, action: id } => {
            let info = schema.action(*id)?;
            let _ = writeln!(s, "`{name}` is a deprecated name for `{}`\n\n---\n", info.name);
            action(&mut s, a, info);
        }
        Target::Domain(d) => {
            let info = schema.domain(d)?;
            let _ = writeln!(s, "```p0\ndomain {}\n```", info.name);
            if !info.doc.is_empty() {
                let _ = writeln!(s, "{}\n", info.doc);
            }
            let ids: Vec<u32> = schema.actions_in_domain(d).collect();
            let _ = writeln!(s, "{} action{}:\n", ids.len(), plural(ids.len()));
            for id in ids {
                if let Some(x) = schema.action(id) {
                    let _ = writeln!(s, "- `{}` — {}", x.name, x.doc);
                }
            }
        }
        Target::Field { name, actions } => {
            let infos: Vec<&ActionInfo> = actions.iter().filter_map(|id| schema.action(*id)).collect();
            let first = infos.first()?;
            let f = first.field(name)?;
            field(&mut s, schema, None, f);
            match infos.as_slice() {
                [one] => {
                    let _ = write!(s, "\n\nfield of `{}`", one.name);
                }
                many => {
                    let names: Vec<&str> = many.iter().take(6).map(|x| x.name.as_str()).collect();
                    let more = if many.len() > 6 { ", …" } else { "" };
                    let _ = write!(s, "\n\nfield of {} matched actions: `{}`{more}", many.len(), names.join("`, `"));
                }
            }
        }
        Target::Namespace(ns) => {
            let info = schema.namespace(ns)?;
            let _ = writeln!(s, "```p0\nnamespace {}\n```", info.name);
            if !info.doc.is_empty() {
                let _ = writeln!(s, "{}\n", info.doc);
            }
            field_table(&mut s, schema, &info.fields);
        }
        Target::NsField { ns, field: name } => {
            let info = schema.namespace(ns)?;
            let f = info.fields.iter().find(|f| &f.name == name)?;
            field(&mut s, schema, Some(ns), f);
        }
        Target::Risk(None) => s.push_str(
            "```p0\nrisk\n```\nthe action's risk, computed before the rules decide (`amplify` rules adjust it first):\n\n\
             - `risk.score`: `int`, 0 to 100\n- `risk.tier`: `tier` (minimal < low < medium < high < critical)\n\
             - `risk.flags`: `set<string>`, the action's risk flags",
        ),
        Target::Risk(Some(m)) => {
            let text = match m.as_str() {
                "score" => "```p0\nrisk.score: int\n```\nthe risk score of the action, 0 to 100",
                "tier" => "```p0\nrisk.tier: tier\n```\nthe risk tier: minimal < low < medium < high < critical (compare with `>=`, e.g. `risk.tier >= high`)",
                "flags" => "```p0\nrisk.flags: set<string>\n```\nthe action's risk flags, e.g. `risk.flags contains \"FINANCIAL\"`",
                _ => return None,
            };
            s.push_str(text);
        }
        Target::Session => {
            s.push_str("```p0\nsession\n```\naggregates over the earlier actions of the session:\n\n");
            for (name, sig) in FUNCTIONS.iter().filter(|(n, _)| n.starts_with("session.")) {
                let _ = writeln!(s, "- `{name}`: {}", description(sig));
            }
        }
        Target::Function(name) => {
            let sig = FUNCTIONS.iter().find(|(n, _)| n == name).map(|(_, s)| *s)?;
            let (head, desc) = sig.split_once(": ").unwrap_or((sig, ""));
            let _ = write!(s, "```p0\n{head}\n```\n{desc}");
        }
        Target::Builtin(b) => {
            let _ = write!(
                s,
                "```p0\n{}\n```\nnormalizer builtin: computes an action field from a raw tool call \
                 (docs/language.md, \"Tool mappings\")",
                b.signature_text()
            );
        }
        Target::Let { name, span } => {
            let ast = a.ast()?;
            let decl = ast.items.iter().find_map(|i| match i {
                Item::Let(l) if l.name.span == *span => Some(l),
                _ => None,
            })?;
            let value = a.comp.sources.slice(decl.value.span);
            let _ = write!(s, "```p0\nlet {name} = {value}\n```");
        }
        Target::Decision(d) => {
            let text = match *d {
                "allow" => "the action may run",
                "escalate" => "a human must approve the action before it runs",
                "deny" => "the action must not run",
                _ => return None,
            };
            let _ = write!(
                s,
                "```p0\n{d}\n```\n{text}\n\nall matching rules count: deny beats escalate beats allow; when no rule matches, the action's risk tier decides"
            );
        }
        Target::Amplify => s.push_str(
            "```p0\namplify <amplifier> +N, …\n```\nadjusts the action's risk amplifiers before it is scored; `risk.score` and `risk.tier` see the result",
        ),
        Target::Amplifier(amp) => {
            let amp = *amp;
            let _ = write!(
                s,
                "```p0\n{}\n```\nrisk amplifier: fully on at {} (values are clamped to 0..={}), weight {}{}",
                amp.name(),
                amp.max(),
                amp.max(),
                amp.default_weight(),
                if amp.is_compound() { ", multiplies the score" } else { ", adds to the boost" }
            );
        }
    }
    Some(s)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn description(sig: &str) -> &str {
    sig.split_once(": ").map(|(_, d)| d).unwrap_or(sig)
}

fn type_name(schema: &Schema, f: &FieldInfo) -> String {
    format!(
        "{}{}",
        schema.display(f.ty),
        if f.optional { "?" } else { "" }
    )
}

fn field(s: &mut String, schema: &Schema, ns: Option<&str>, f: &FieldInfo) {
    let prefix = ns.map(|n| format!("{n}.")).unwrap_or_default();
    let _ = write!(
        s,
        "```p0\n{prefix}{}: {}\n```",
        f.name,
        type_name(schema, f)
    );
    if !f.doc.is_empty() {
        let _ = write!(s, "\n{}", f.doc);
    }
    if f.ty == Type::Money {
        s.push_str("\n\n`money` is an integer count of minor units: `85000` is 850.00");
    }
    if f.is_derived() {
        s.push_str("\n\nderived: the engine computes it from the action's other fields; a request never supplies it");
    }
    if f.optional {
        s.push_str("\n\noptional: a request may omit it, and a comparison that reads a missing value is false");
    }
}

fn field_table(s: &mut String, schema: &Schema, fields: &[FieldInfo]) {
    if fields.is_empty() {
        s.push_str("no fields\n");
        return;
    }
    s.push_str("| field | type | |\n|---|---|---|\n");
    for f in fields {
        let _ = writeln!(
            s,
            "| `{}` | `{}` | {} |",
            f.name,
            type_name(schema, f).replace('|', "\\|"),
            f.doc.replace('|', "\\|")
        );
    }
}

/// The decision the standard model gives an action no rule matches.
pub struct Default {
    pub score: u8,
    pub tier: Tier,
    pub verdict: Verdict,
    /// The hard gate that denies it outright, if any.
    pub gate: Option<String>,
}

pub fn default_outcome(info: &ActionInfo) -> Default {
    let model = Model::standard();
    let flags = info.risk.flags();
    let score = model.score(flags, &info.risk.amps);
    let tier = match info.risk.floor {
        Some(f) if f > score.tier => f,
        _ => score.tier,
    };
    let gate = model
        .gate(flags, &info.risk.amps)
        .and_then(|i| model.gates.get(i))
        .map(|g| g.name.clone());
    let verdict = if gate.is_some() {
        Verdict::Deny
    } else {
        tier.default_verdict()
    };
    Default {
        score: score.score,
        tier,
        verdict,
        gate,
    }
}

fn action(s: &mut String, a: &Analysis, info: &ActionInfo) {
    let schema = a.schema();
    let _ = writeln!(s, "```p0\naction {}\n```", info.name);
    if !info.doc.is_empty() {
        let _ = writeln!(s, "{}\n", info.doc);
    }
    field_table(s, schema, &info.fields);
    s.push('\n');
    let risk = &info.risk;
    if risk.rated {
        let names = |f: permit0_vm::risk::FlagSet| f.names().collect::<Vec<_>>().join(", ");
        let mut flags = Vec::new();
        if !risk.primary.is_empty() {
            flags.push(format!("primary {}", names(risk.primary)));
        }
        if !risk.secondary.is_empty() {
            flags.push(format!("secondary {}", names(risk.secondary)));
        }
        if flags.is_empty() {
            flags.push("no flags".into());
        }
        let amps: Vec<String> = Amp::ALL
            .iter()
            .filter(|a| risk.amps.get(**a) != 0)
            .map(|a| format!("{} {}", a.name(), risk.amps.get(*a)))
            .collect();
        let _ = writeln!(s, "**risk**: {}", flags.join("; "));
        if !amps.is_empty() {
            let _ = writeln!(s, "\n**amplifiers**: {}", amps.join(", "));
        }
        let d = default_outcome(info);
        let floor = match risk.floor {
            Some(f) => format!(", floor `{}`", f.name()),
            None => String::new(),
        };
        let _ = write!(
            s,
            "\n**default**: tier `{}` (score {}{floor}) → `{}` when no rule matches",
            d.tier.name(),
            d.score,
            d.verdict.name()
        );
        if let Some(g) = d.gate {
            let _ = write!(s, " (hard gate `{g}`)");
        }
        s.push('\n');
    } else {
        s.push_str("**risk**: unrated (no `risk` block), so it escalates when no rule matches\n");
    }
    if !info.compliance.is_empty() {
        let _ = writeln!(s, "\n**compliance**: {}", info.compliance.join(", "));
    }
    let name = a.comp.sources.name(info.span.file);
    let file = if info.builtin {
        name
    } else {
        std::path::Path::new(name)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(name)
    };
    let _ = write!(
        s,
        "\n{} (`{file}`)",
        if info.builtin {
            "from the permit0 taxonomy"
        } else {
            "declared by the team"
        }
    );
}

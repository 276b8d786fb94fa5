//! A position in, the declaration of the name under it out: a `let`, an
//! action, a domain, a field (of every matched action that has it), a
//! namespace or one of its fields — in the document, a sibling file of the
//! team, or the shipped taxonomy (opened from the workspace's `taxonomy/` or
//! a cached copy, see [`crate::taxonomy_files`]).

use crate::analysis::Analysis;
use crate::target::{target_at, Target};
use lsp_types::{GotoDefinitionResponse, Location, Position};
use permit0_compiler::span::Span;

/// Most locations returned for one name (a field of `*` is on many actions).
const MAX_LOCATIONS: usize = 50;

pub fn definition(a: &Analysis, pos: Position) -> Option<GotoDefinitionResponse> {
    let (target, _, _) = target_at(a, a.offset(pos))?;
    let schema = a.schema();
    let spans: Vec<Span> = match target {
        Target::Action(id) | Target::Alias { action: id, .. } => vec![schema.action(id)?.span],
        Target::Domain(d) => match schema.domain(&d)?.span {
            Some(s) => vec![s],
            None => schema
                .actions_in_domain(&d)
                .filter_map(|id| schema.action(id).map(|x| x.span))
                .take(1)
                .collect(),
        },
        Target::Field { name, actions } => actions
            .iter()
            .filter_map(|id| schema.action(*id)?.field(&name).map(|f| f.span))
            .collect(),
        Target::Namespace(ns) => vec![schema.namespace(&ns)?.span],
        Target::NsField { ns, field } => vec![
            schema
                .namespace(&ns)?
                .fields
                .iter()
                .find(|f| f.name == field)?
                .span,
        ],
        Target::Let { span, .. } => vec![span],
        Target::Risk(_)
        | Target::Session
        | Target::Function(_)
        | Target::Builtin(_)
        | Target::Decision(_)
        | Target::Amplify
        | Target::Amplifier(_) => return None,
    };
    let mut locations: Vec<Location> = Vec::new();
    for s in spans {
        if let Some(l) = a.location(s) {
            if !locations.contains(&l) {
                locations.push(l);
            }
        }
        if locations.len() >= MAX_LOCATIONS {
            break;
        }
    }
    match locations.len() {
        0 => None,
        1 => locations.pop().map(GotoDefinitionResponse::Scalar),
        _ => Some(GotoDefinitionResponse::Array(locations)),
    }
}

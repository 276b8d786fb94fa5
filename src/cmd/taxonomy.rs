//! `permit0 taxonomy [--format json|markdown] [DOMAIN | ACTION]`: the
//! canonical actions with their typed fields, risk and compliance mappings.

#![allow(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value reads Null for a missing key; it never panics here"
)]

use permit0_compiler::{compile, load_paths};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A domain (`payments`) or an action (`payments.refund`); all when absent
    pub filter: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Team files whose own domains and actions are listed too
    #[arg(long = "with")]
    pub with: Vec<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

pub fn run(args: Args) -> ExitCode {
    let inputs = match load_paths(&args.with) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let c = compile(inputs);
    let schema = &c.schema;
    if let Some(f) = &args.filter {
        let known = schema.actions.iter().any(|a| a.name == *f)
            || schema.domains.iter().any(|d| d.name == *f);
        if !known {
            let names = schema
                .actions
                .iter()
                .map(|a| a.name.as_str())
                .chain(schema.domains.iter().map(|d| d.name.as_str()));
            let hint = permit0_compiler::diag::suggest(f, names)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            eprintln!("error: no domain or action `{f}`{hint}");
            return ExitCode::from(1);
        }
    }
    if let Format::Markdown = args.format {
        out!("{}", schema.to_markdown_only(args.filter.as_deref()));
        return ExitCode::SUCCESS;
    }
    let mut json = schema.to_json();
    if let Some(obj) = json.as_object_mut() {
        obj.insert(
            "digest".into(),
            format!("sha256:{}", permit0_vm::hex(&schema.digest())).into(),
        );
    }
    if let Some(f) = &args.filter {
        let domains = json["domains"].as_array().cloned().unwrap_or_default();
        let mut kept = Vec::new();
        for mut d in domains {
            if d["name"] == f.as_str() {
                kept.push(d);
                continue;
            }
            let actions: Vec<serde_json::Value> = d["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| a["name"] == f.as_str())
                .cloned()
                .collect();
            if !actions.is_empty() {
                d["actions"] = serde_json::Value::Array(actions);
                kept.push(d);
            }
        }
        json["domains"] = serde_json::Value::Array(kept);
    }
    match args.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        ),
        _ => {
            outln!(
                "taxonomy {} ({})",
                json["version"].as_str().unwrap_or(""),
                json["digest"].as_str().unwrap_or("")
            );
            for d in json["domains"].as_array().into_iter().flatten() {
                outln!(
                    "\n{} — {}",
                    d["name"].as_str().unwrap_or(""),
                    d["description"].as_str().unwrap_or("")
                );
                for a in d["actions"].as_array().into_iter().flatten() {
                    let fields: Vec<String> = a["fields"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|f| {
                            format!(
                                "{}: {}{}",
                                f["name"].as_str().unwrap_or(""),
                                f["type"].as_str().unwrap_or(""),
                                if f["optional"] == true { "?" } else { "" }
                            )
                        })
                        .collect();
                    outln!(
                        "  {:28} {:8} {}",
                        a["name"].as_str().unwrap_or(""),
                        a["risk"]["tier"].as_str().unwrap_or(""),
                        fields.join(", ")
                    );
                }
            }
        }
    }
    ExitCode::SUCCESS
}
